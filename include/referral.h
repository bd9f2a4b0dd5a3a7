/*
 * A referral's notice to the partners of its group: only what that
 * group needs of the person, the needs and the day a reply is due, with
 * a reply token for each partner address, who then takes part in the
 * case.  And the other way: the result owed to an agency that referred
 * a case in, mailed to the address its referral gave.
 */
#ifndef LAMPLIGHT_REFERRAL_H
#define LAMPLIGHT_REFERRAL_H

#include <glib.h>

#include "casemail.h"
#include "cases.h"
#include "err.h"

/*
 * A cases_notice_fn (cases.h) queueing a referral's notice to each
 * partner address the centre lists for the group; data is a const
 * struct casemail at the case's centre.  No address listed: the case
 * records that none was sent.
 */
enum status referral_notice(struct store *s, const struct case_ref *c,
			    enum group g, const char *agency,
			    const char *referral_number, const char *due_day,
			    gpointer data, struct err *err);

/*
 * A cases_result_fn (cases.h): queues the result text to the referrer
 * at r->addr (not NULL), with a reply token; data as above.  ST_MSG_BAD
 * when the address cannot be used.
 */
enum status referral_result(struct store *s, const struct case_ref *c,
			    const struct case_referrer *r, const char *text,
			    gpointer data, struct err *err);

#endif
