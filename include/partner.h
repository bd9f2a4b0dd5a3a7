/*
 * Partners answering the referral notices a centre sent them.  Only the
 * reply token of our notice to that very partner stops the referral's
 * clock; a reply from a partner address without it waits for staff to
 * confirm it (#confirm, staffcmd.h).  What the partner wrote is kept on
 * the case as a note (in Traditional Chinese), not in the audit trail,
 * so that retention can erase it.
 */
#ifndef LAMPLIGHT_PARTNER_H
#define LAMPLIGHT_PARTNER_H

#include <glib.h>

#include "casemail.h"
#include "err.h"
#include "mime.h"

/* Inside the filing transaction: m, a partner's reply to cm's centre,
 * filed on case number (case_id). */
enum status partner_reply(const struct casemail *cm,
			  const struct mail_msg *m, gint64 case_id,
			  const char *number, GDateTime *now,
			  struct err *err);

#endif
