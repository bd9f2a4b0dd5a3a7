/*
 * Automatic answers to the writers of letters: the acknowledgement that
 * opens a case and the answer to a further letter on it, worded for the
 * letter's urgency, with a reply token.  At most auto_mail_per_day of
 * them go to one address in a day; beyond it the case records that the
 * answer was held back.  An address that cannot be a header costs the
 * answer, never the case.
 */
#ifndef LAMPLIGHT_ANSWER_H
#define LAMPLIGHT_ANSWER_H

#include <glib.h>

#include "casemail.h"
#include "err.h"
#include "mime.h"
#include "rules.h"

/*
 * Inside the filing transaction: queues an answer of kind "ack" or
 * "followup" from cm's centre to rcpt on case number (case_id), unless
 * rcpt had its day's limit.  *said (static) tells the report what
 * happened.
 */
enum status answer_queue(const struct casemail *cm, gint64 case_id,
			 const char *number, const char *kind,
			 const struct triage *t, const char *rcpt,
			 const char *in_reply_to, GDateTime *now,
			 const char **said, struct err *err);

/*
 * The answer to m, a seeker's further letter on case_id, matched to it
 * how (thread.h), asking for answers at reply_addr.  Matched by the
 * subject alone, it goes to reply_addr only if the case knows that
 * address, else to m's From.
 */
enum status answer_followup(const struct casemail *cm, gint64 case_id,
			    const char *number, const char *how,
			    const struct triage *t, const struct mail_msg *m,
			    const char *reply_addr, GDateTime *now,
			    const char **said, struct err *err);

#endif
