/*
 * Staff replying to case mail from their own mail clients.
 *
 * Staff get a mail for each new case and each further letter
 * (staffnote.h), each with a reply token of their own.  A reply to it
 * is relayed to the writer from the centre's address (relay.h), or kept
 * as an internal note when written to the note address; commands at its
 * top (command.h, carried out by staffcmd.h) act on the case.  Nothing
 * of this happens unless verify.h verifies the sender: a reply that
 * fails is kept on the case, refused, logged without personal data,
 * and the centre is alerted.
 */
#ifndef LAMPLIGHT_STAFFMAIL_H
#define LAMPLIGHT_STAFFMAIL_H

#include <glib.h>

#include "casemail.h"
#include "err.h"
#include "mime.h"

/*
 * Inside the filing transaction: a reply from a staff address of cm's
 * centre, matched to case_id.  *said (static) is a line for the run's
 * report.
 */
enum status staffmail_reply(const struct casemail *cm,
			    const struct mail_msg *m, gint64 case_id,
			    GDateTime *now, const char **said,
			    struct err *err);

#endif
