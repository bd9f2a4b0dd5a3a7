/*
 * Staff commands (command.h parses them) carried out on a case: state,
 * refer, close, assign, visit, follow-up, note, merge, confirm, secret.
 * Each is done through cases.h or refused, and worded in Chinese for
 * the transcript; a database error is passed up, never a refusal.
 */
#ifndef LAMPLIGHT_STAFFCMD_H
#define LAMPLIGHT_STAFFCMD_H

#include <glib.h>

#include "casemail.h"
#include "command.h"
#include "err.h"

/* What one command did, for the transcript. */
struct staffcmd_outcome {
	gboolean done;	/* its status was ST_OK */
	char *text;	/* Chinese; new */
};

/*
 * Inside the filing transaction: does cmd on case number as who (a
 * staff address of cm's centre).  *out says what happened (done or
 * refused); ST_OK unless an error is to be passed up in err.
 */
enum status staffcmd_run(const struct casemail *cm, const struct command *cmd,
			 const char *number, const char *who, GDateTime *now,
			 struct staffcmd_outcome *out, struct err *err);

#endif
