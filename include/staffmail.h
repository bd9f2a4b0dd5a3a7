/*
 * Staff and partners working from their own mail clients.
 *
 * Staff get a mail for each new case and each further letter (to the
 * case's assignee, else to every staff address of the centre), each
 * with a reply token of their own.  A reply to it is relayed to the
 * writer from the centre's address, or kept as an internal note when
 * written to the note address; commands at its top (command.h) act on
 * the case.  Nothing of this happens unless verify.h verifies the
 * sender: a reply that fails is kept on the case, refused, logged
 * without personal data, and the centre is alerted.
 */
#ifndef LAMPLIGHT_STAFFMAIL_H
#define LAMPLIGHT_STAFFMAIL_H

#include <glib.h>

#include "calendar.h"
#include "cases.h"
#include "config.h"
#include "err.h"
#include "mime.h"
#include "notify.h"
#include "people.h"
#include "rules.h"
#include "store.h"
#include "token.h"

struct staffmail {
	const struct config *cfg;
	struct store *store;
	const struct notify *notify;
	const struct tokens *tokens;
	struct vault *vault;		/* NULL: no personal data to read */
	const struct calendar *calendar;
	const struct centre *centre;	/* the case's centre */
	const struct ruleset *rules;	/* NULL: no rule names to refuse */
};

/* Refusal alerts to one address in a day, at most. */
#define STAFFMAIL_ALERTS_PER_DAY 20

/*
 * A cases_notice_fn (cases.h) queueing a referral's notice to each
 * partner address the centre lists for the group; data is a struct
 * staffmail.  No address listed: the case records that none was sent.
 */
enum status staffmail_referral_notice(struct store *s,
				      const struct case_ref *c, enum group g,
				      const char *agency,
				      const char *referral_number,
				      const char *due_day, gpointer data,
				      struct err *err);

/*
 * Inside the filing transaction: tells staff of a letter on case_id
 * (first: it opened the case), with t's reasons and the letter's new
 * text.  Nothing when the centre has staff_notices off or no staff.
 */
enum status staffmail_notify(struct staffmail *sm, gint64 case_id,
			     gboolean first, const struct triage *t,
			     const char *letter, const char *in_reply_to,
			     GDateTime *now, struct err *err);

/*
 * Inside the filing transaction: a reply from a staff address, matched
 * to case_id.  *said (static) is a line for the run's report.
 */
enum status staffmail_reply(struct staffmail *sm, const struct mail_msg *m,
			    gint64 case_id, GDateTime *now,
			    const char **said, struct err *err);

#endif
