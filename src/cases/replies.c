/* Staff's and partners' replies on a case (replies.h). */
#include "cases.h"
#include "log.h"
#include "partner.h"
#include "replies.h"
#include "staffmail.h"
#include "staffnote.h"
#include "thread.h"

enum status
replies_file(const struct casemail *cm, struct run_stats *stats,
	     const struct mail_msg *m, const struct classification *c,
	     gint64 arrival_id, GDateTime *now, gboolean *on_case,
	     gboolean *emergency, struct err *err)
{
	const struct centre *centre = cm->centre;
	const struct triage *t = c->triage;
	struct thread_match tm = { 0 };
	g_autofree char *why = NULL, *number = NULL;
	const char *said = "";
	enum status st;

	st = thread_find(cm->store, cm->tokens, m, c->county, c->case_ref,
			 &tm, err);
	if (st != ST_OK || tm.case_id == 0)
		return st;
	*on_case = TRUE;
	why = g_strdup_printf("%s, matched by %s", kind_name(c->kind),
			      tm.how);
	st = cases_file_arrival(cm->store, tm.case_id, arrival_id, why, err);
	if (st == ST_OK)
		st = cases_number(cm->store, tm.case_id, &number, err);
	if (st == ST_OK && t != NULL && t->urgency == URGENCY_EMERGENCY) {
		st = cases_escalate(cm->store, tm.case_id,
				    "a follow-up letter", err);
		if (st == ST_OK && centre != NULL)
			st = staffnote_duty(cm, tm.case_id, number, c,
					    m->attachments, now,
					    err);
		*emergency = TRUE;
	}
	/* Staff answering case mail: verified, then commands, and the
	 * rest relayed to the writer or kept as a note. */
	if (st == ST_OK && c->kind == KIND_STAFF_REPLY && centre != NULL)
		st = staffmail_reply(cm, m, tm.case_id, now, &said, err);
	/* A partner answering a referral: its clock stops. */
	if (st == ST_OK && c->kind == KIND_REFERRAL_REPLY && centre != NULL)
		st = partner_reply(cm, m, tm.case_id, number, now, err);
	/* Its owner reads it, and its files, from the inbox. */
	if (st == ST_OK && c->kind == KIND_REFERRAL_REPLY && centre != NULL)
		st = staffnote_partner(cm, tm.case_id, c, m, now, err);
	if (st == ST_OK) {
		run_report(stats, "filed %s on its case (%s)%s%s",
			   kind_name(c->kind), tm.how,
			   *said != '\0' ? ": " : "", said);
		log_info("filed a %s on %s (%s)", kind_name(c->kind), number,
			 tm.how);
	}
	return st;
}
