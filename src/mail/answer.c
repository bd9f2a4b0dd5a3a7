/*
 * Automatic answers to writers (answer.h): within the day's limit per
 * address, queued in the outbox, the recipient taking part in the case.
 */
#include <string.h>

#include "answer.h"
#include "cases.h"
#include "log.h"
#include "outbox.h"
#include "thread.h"
#include "twtime.h"

enum status
answer_queue(const struct casemail *cm, gint64 case_id, const char *number,
	     const char *kind, const struct triage *t, const char *rcpt,
	     const char *in_reply_to, GDateTime *now, const char **said,
	     struct err *err)
{
	const struct centre *centre = cm->centre;
	g_autoptr(GDateTime) since = g_date_time_add_days(now, -1);
	g_autofree char *from = twtime_iso(since);
	g_autofree char *token = token_make(cm->tokens, number, rcpt);
	struct outgoing *o = NULL;
	struct err e2 = { 0 };
	gint64 today = 0;
	enum status st;

	st = outbox_count_for(cm->store, rcpt, "ack", "followup", from, FALSE,
			      &today, err);
	if (st != ST_OK)
		return st;
	if (today >= cm->cfg->auto_mail_per_day) {
		*said = "no answer: the day's limit for that address";
		return cases_event_add(cm->store, case_id, NULL, "lamplight",
				       "answer held back",
				       "the address had the day's automatic "
				       "mail already", err);
	}
	/* An unusable address costs the answer, not the case. */
	if (strcmp(kind, "ack") == 0)
		st = notify_build_ack(cm->notify, centre, number, token,
				      t->urgency, t, rcpt, in_reply_to, now,
				      &o, &e2);
	else
		st = notify_build_followup(cm->notify, centre, number, token, t,
					   rcpt, in_reply_to, now, &o, &e2);
	if (st != ST_OK) {
		*said = "no answer: address unusable";
		return ST_OK;
	}
	st = outbox_queue(cm->store, case_id, kind,
			  t->urgency == URGENCY_EMERGENCY
				  ? OUTBOX_PRIORITY_EMERGENCY
				  : OUTBOX_PRIORITY_NORMAL, o, err);
	if (st == ST_OK)
		st = thread_add_party(cm->store, cm->tokens, case_id, rcpt,
				      "recipient", err);
	*said = strcmp(kind, "ack") == 0 ? "acknowledgement queued"
					 : "answer queued";
	outgoing_free(o);
	return st;
}

enum status
answer_followup(const struct casemail *cm, gint64 case_id,
		const char *number, const char *how, const struct triage *t,
		const struct mail_msg *m, const char *reply_addr,
		GDateTime *now, const char **said, struct err *err)
{
	const char *rcpt = reply_addr;
	gboolean known = TRUE;
	enum status st = ST_OK;

	/* A case number and a From are anyone's to write: matched by them
	 * alone, the answer goes only to an address the case knows (From
	 * is one), never to a new Reply-To. */
	if (strcmp(how, "subject") == 0)
		st = thread_is_party(cm->store, cm->tokens, case_id, rcpt,
				     &known, err);
	if (st == ST_OK && !known) {
		log_warn("case %s: a follow-up asked for answers at an "
			 "address the case does not know; answered at its "
			 "From", number);
		rcpt = m->from_addr;
	}
	if (st == ST_OK)
		st = answer_queue(cm, case_id, number, "followup", t, rcpt,
				  m->message_id, now, said, err);
	return st;
}
