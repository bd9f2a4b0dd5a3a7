/*
 * A seeker's letter (seeker.h): on the case it belongs to, or a new
 * case with its reasons, its answer and the staff notice.
 */
#include "answer.h"
#include "cases.h"
#include "flood.h"
#include "log.h"
#include "people.h"
#include "seeker.h"
#include "thread.h"

/* Links a new case to the one it may follow up, both ways, for staff. */
static enum status
mark_possible_follow_up(const struct casemail *cm, gint64 case_id, gint64 of,
			struct err *err)
{
	enum status st = cases_link(cm->store, case_id, of,
				    "possible follow-up", err);

	if (st == ST_OK)
		st = cases_event_add(cm->store, case_id, NULL, "lamplight",
				     "possible follow-up",
				     "names another case of this centre "
				     "without a reply token: staff to "
				     "confirm", err);
	return st;
}

/*
 * Inside the transaction: a further letter of a seeker, on the case it
 * belongs to (tm).  An emergency raises the case's urgency and is sent
 * to the duty officer at once.
 */
static enum status
attach(const struct casemail *cm, struct run_stats *stats,
       const struct mail_msg *m, const struct classification *c,
       gint64 arrival_id, const struct thread_match *tm,
       const struct flood *fl, GDateTime *now, gboolean *emergency,
       struct err *err)
{
	const struct centre *centre = cm->centre;
	const struct triage *t = c->triage;
	g_autofree char *why = g_strdup_printf("%s, matched by %s",
					       kind_name(c->kind), tm->how);
	g_autofree char *number = NULL;
	const char *said = "";
	enum status st;

	st = cases_file_arrival(cm->store, tm->case_id, arrival_id, why, err);
	if (st == ST_OK)
		st = thread_add_party(cm->store, cm->tokens, tm->case_id,
				      m->from_addr, "writer", err);
	if (st == ST_OK)
		st = cases_add_needs(cm->store, tm->case_id, t, err);
	if (st == ST_OK)
		st = cases_number(cm->store, tm->case_id, &number, err);
	if (st == ST_OK && t != NULL && t->urgency == URGENCY_EMERGENCY) {
		st = cases_escalate(cm->store, tm->case_id,
				    "a follow-up letter", err);
		if (st == ST_OK && centre != NULL)
			st = flood_duty(cm, tm->case_id, number, c, m, fl, now,
					err);
		*emergency = TRUE;
	}
	/* The writer hears that the letter reached the case; staff
	 * that the writer wrote again. */
	if (st == ST_OK && centre != NULL && c->reply_addr != NULL)
		st = answer_followup(cm, tm->case_id, number, tm->how, t, m,
				     c->reply_addr, now, &said, err);
	if (st == ST_OK && centre != NULL)
		st = flood_notice(cm, tm->case_id, number, fl, FALSE, c, m,
				  now, err);
	if (st == ST_OK) {
		run_report(stats, "filed %s on its case (%s)%s%s",
			   kind_name(c->kind), tm->how,
			   *said != '\0' ? ": " : "", said);
		log_info("filed a %s on %s (%s)", kind_name(c->kind), number,
			 tm->how);
	}
	return st;
}

static enum status
open_case(const struct casemail *cm, struct run_stats *stats,
	  const struct mail_msg *m, const char *m_mailbox, const char *m_hash,
	  const struct classification *c, gint64 arrival_id,
	  gint64 possible_of, const struct flood *fl, GDateTime *now,
	  gboolean *emergency, struct err *err)
{
	const struct centre *centre = cm->centre;
	const struct triage *t = c->triage;
	struct case_new cn = {
		.county = c->county,
		.urgency = urgency_name(t->urgency),
		.source = c->source,
		.subject = c->subject,
		.reply_addr = c->reply_addr,
		.referrer = c->referrer_unit,
		.referrer_addr = c->referrer_addr,
		.arrival_id = arrival_id,
	};
	g_autofree char *number = NULL;
	const char *answer_said = "no answer: no address";
	gint64 case_id;
	enum status st;

	st = cases_add(cm->store, &cn, now, &case_id, &number, err);
	if (st == ST_OK)
		st = cases_opened(cm->store, cm->calendar, case_id, now, err);
	if (st == ST_OK)
		st = cases_event_add(cm->store, case_id, NULL, "lamplight",
				     "received", case_source_label(c->source),
				     err);
	if (st == ST_OK)
		st = people_store(cm->store, cm->vault, case_id, &c->identity,
				  err);
	/* Who the writer is to the person: a referral names the right one. */
	if (st == ST_OK && c->writer != WRITER_UNKNOWN)
		st = people_store_about(cm->store, cm->vault, case_id,
					writer_name(c->writer), NULL, err);
	/* Before the staff notice, which names the earlier cases. */
	if (st == ST_OK) {
		guint earlier = 0;

		st = people_link_returning(cm->store, case_id, &earlier, err);
		if (st == ST_OK && earlier > 0)
			run_report(stats, "linked %s to %u earlier case(s) of "
				   "the same person", number, earlier);
	}
	/* Who wrote takes part: a later letter naming the case is theirs. */
	if (st == ST_OK)
		st = thread_add_party(cm->store, cm->tokens, case_id,
				      m->from_addr, "writer", err);
	if (st == ST_OK)
		st = thread_add_party(cm->store, cm->tokens, case_id,
				      c->reply_addr, "writer", err);
	if (st == ST_OK && possible_of != 0)
		st = mark_possible_follow_up(cm, case_id, possible_of, err);
	st = st == ST_OK ? cases_add_needs(cm->store, case_id, t, err) : st;
	if (st == ST_OK)
		st = cases_add_reasons(cm->store, case_id, t, err);
	if (st == ST_OK && c->reply_addr != NULL && centre != NULL)
		st = answer_queue(cm, case_id, number, "ack", t, c->reply_addr,
				  m->message_id, now, &answer_said, err);
	if (st == ST_OK && t->urgency == URGENCY_EMERGENCY && centre != NULL)
		st = flood_duty(cm, case_id, number, c, m, fl, now, err);
	if (st == ST_OK && centre != NULL)
		st = flood_notice(cm, case_id, number, fl, TRUE, c, m, now,
				  err);
	if (st == ST_OK) {
		guint linked = 0;

		st = cases_link_copies(cm->store, case_id, m_mailbox,
					    m->message_id, m_hash, &linked,
					    err);
		if (st == ST_OK && linked > 0)
			run_report(stats, "linked %s to %u case(s) of the same "
				   "letter in other centres", number, linked);
	}
	if (st == ST_OK) {
		stats->cases++;
		if (t->urgency == URGENCY_EMERGENCY)
			*emergency = TRUE;
		run_report(stats, "filed %s %s (%s)", number,
			   urgency_name(t->urgency), answer_said);
		log_info("filed case %s urgency %s", number,
			 urgency_name(t->urgency));
	}
	return st;
}

enum status
seeker_file(const struct casemail *cm, struct run_stats *stats,
	    const struct mail_msg *m, const struct classification *c,
	    const char *mailbox, const char *body_hash, gint64 arrival_id,
	    GDateTime *now, gboolean *on_case, gboolean *emergency,
	    struct err *err)
{
	struct thread_match tm = { 0 };
	struct flood fl = { .alert = TRUE };
	enum status st;

	/* Only letters from seekers count, and are folded. */
	st = flood_check(cm, m, c, arrival_id, now, &fl, err);
	if (st != ST_OK)
		return st;
	st = thread_find(cm->store, cm->tokens, m, c->county, c->case_ref,
			 &tm, err);
	if (st == ST_OK && tm.case_id != 0) {
		*on_case = TRUE;
		st = attach(cm, stats, m, c, arrival_id, &tm, &fl, now,
			    emergency, err);
	} else if (st == ST_OK) {
		st = open_case(cm, stats, m, mailbox, body_hash, c,
			       arrival_id, tm.possible_of, &fl, now, emergency,
			       err);
	}
	return st;
}
