/*
 * What acting on cases and sending their mail needs, in one place: the
 * database, the office calendar deadlines are counted on, the reply
 * tokens, the data key and the templates, opened together here and
 * closed together.  A run opens them all (casework.h); "lamplight case"
 * only those its verb needs.  The modules that act on a case
 * (staffmail.h, staffnote.h, answer.h and the others) borrow them,
 * with the case's centre.
 */
#ifndef LAMPLIGHT_CASEMAIL_H
#define LAMPLIGHT_CASEMAIL_H

#include <glib.h>

#include "calendar.h"
#include "config.h"
#include "err.h"
#include "notify.h"
#include "people.h"
#include "rules.h"
#include "store.h"
#include "token.h"

struct casemail {
	const struct config *cfg;
	struct store *store;
	struct calendar *calendar;	/* deadlines are counted on it */
	struct tokens *tokens;		/* reply tokens (token.h) */
	struct vault *vault;		/* NULL: no personal data to read */
	struct notify *notify;		/* the templates */
	const struct centre *centre;	/* the case's; NULL: none */
	const struct ruleset *rules;	/* NULL: no rule names to refuse */
};

/* What casemail_open() opens, in this order. */
enum {
	CASEMAIL_CALENDAR = 1 << 0,	/* cases_calendar() of cfg */
	CASEMAIL_VAULT = 1 << 1,	/* the data key */
	CASEMAIL_SEND = 1 << 2,		/* reply tokens and templates */
	CASEMAIL_ALL = CASEMAIL_CALENDAR | CASEMAIL_VAULT | CASEMAIL_SEND,
};

/*
 * Opens the parts of cm (cfg and store set by the caller) that parts
 * names and that are not open yet: the calendar, the reply tokens, the
 * data key, the templates, in that order.  What was opened before a
 * failure stays open, for casemail_done().
 */
enum status casemail_open(struct casemail *cm, unsigned parts,
			  struct err *err);
/* Closes what casemail_open() opened; cfg and store are the caller's. */
void casemail_done(struct casemail *cm);

#endif
