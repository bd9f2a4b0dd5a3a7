/*
 * The SOP's states and clocks over the cases, referrals, deadlines and
 * case_events tables (store.c, migration 2).  Deadlines keep the day
 * their clock started, their rule and the calendar version that set
 * them, so that a revised calendar can recompute the open ones.
 */
#include <string.h>

#include "cases.h"
#include "outbox.h"
#include "refusal.h"
#include "twtime.h"

/* Follow-up contacts: monthly for half a year, then every quarter. */
static const guint follow_up_months[] = {
	1, 2, 3, 4, 5, 6, 9, 12, 15, 18, 21, 24,
};


void
case_ref_clear(struct case_ref *c)
{
	g_free(c->number);
	memset(c, 0, sizeof *c);
}

/* ---- the calendar in force ---- */

enum status
cases_calendar(struct store *s, const char *file, struct calendar **out,
	       struct err *err)
{
	g_autofree char *text = NULL;
	g_autoptr(GDateTime) now = NULL;
	guint recomputed;
	enum status st;

	st = store_query(s, err, store_read_text, &text,
			 "SELECT text FROM calendars WHERE active = 1", "");
	if (st != ST_OK)
		return st;
	if (text != NULL) {
		/* Checked when installed: now it does not read, the
		 * database is damaged. */
		st = calendar_parse("the database's calendar", text, out,
				    err);
		if (st != ST_OK) {
			g_autofree char *why = g_strdup(err != NULL ? err->msg
								    : "");

			err_set(err, ST_FATAL, "the calendar kept in the "
				"database no longer reads (%.200s): the "
				"database may be damaged; check it with "
				"sqlite3 lamplight.db 'PRAGMA integrity_check'",
				why);
		}
		return st;
	}
	if (file == NULL)
		return err_set(err, ST_FATAL, "no calendar is installed and "
			       "none is configured");
	st = calendar_load(file, out, err);
	if (st != ST_OK)
		return st;
	now = twtime_now();
	st = cases_calendar_install(s, *out, now, &recomputed, err);
	if (st != ST_OK) {
		calendar_free(*out);
		*out = NULL;
	}
	return st;
}

struct open_deadline {
	gint64 id;
	char *start, *rule, *due;
	guint n;
};

static gboolean
collect_open(const struct store_row *row, gpointer data)
{
	struct open_deadline d = {
		.id = store_col_int(row, 0),
		.start = store_col_dup(row, 1),
		.rule = store_col_dup(row, 2),
		.n = (guint)(int)store_col_int(row, 3),
		.due = store_col_dup(row, 4),
	};

	g_array_append_val(data, d);
	return TRUE;
}

static enum deadline_rule
rule_of(const char *name)
{
	return strcmp(name, "working_days") == 0 ? DEADLINE_WORKING_DAYS
						 : DEADLINE_DAYS;
}

static const char *
rule_name(enum deadline_rule r)
{
	return r == DEADLINE_WORKING_DAYS ? "working_days" : "days";
}

enum status
cases_calendar_install(struct store *s, const struct calendar *cal,
		       GDateTime *now, guint *recomputed, struct err *err)
{
	g_autofree char *at = twtime_iso(now);
	g_autoptr(GArray) open = g_array_new(FALSE, FALSE,
					     sizeof(struct open_deadline));
	const char *v = calendar_version(cal);
	enum status st;

	*recomputed = 0;
	st = store_begin(s, err);
	if (st != ST_OK)
		return st;
	st = store_run(s, err, "UPDATE calendars SET active = 0 "
			       "WHERE active = 1", "");
	if (st == ST_OK)
		st = store_run(s, err,
			       "INSERT INTO calendars (version, text, "
			       "loaded_at, active) VALUES (?, ?, ?, 1) "
			       "ON CONFLICT (version) DO UPDATE SET "
			       "text = excluded.text, active = 1",
			       "ttt", v, calendar_text(cal), at);
	if (st == ST_OK)
		st = store_query(s, err, collect_open, open,
				 "SELECT id, start_day, rule, n, due_day FROM "
				 "deadlines WHERE outcome IS NULL", "");
	for (guint i = 0; st == ST_OK && i < open->len; i++) {
		struct open_deadline *d =
			&g_array_index(open, struct open_deadline, i);
		g_autofree char *due = NULL;
		GDate start, day;

		if (!calendar_date_parse(d->start, &start)) {
			st = err_set(err, ST_FATAL, "deadline %lld has a bad "
				     "start day", (long long)d->id);
			break;
		}
		calendar_due(cal, &start, rule_of(d->rule), d->n, &day);
		due = calendar_date_string(&day);
		if (strcmp(due, d->due) != 0)
			(*recomputed)++;
		st = store_run(s, err, "UPDATE deadlines SET due_day = ?, "
				       "calendar = ? WHERE id = ?",
			       "tti", due, v, d->id);
	}
	for (guint i = 0; i < open->len; i++) {
		struct open_deadline *d =
			&g_array_index(open, struct open_deadline, i);

		g_free(d->start);
		g_free(d->rule);
		g_free(d->due);
	}
	st = store_end(s, st, err);
	return st;
}

/* ---- deadlines and the audit trail ---- */

/*
 * Opens a deadline of step, n days (or working days) from start, set by
 * the SOP rule basis (vocab.h's deadline_basis_label).
 */
static enum status
deadline_open(struct store *s, const struct calendar *cal, gint64 case_id,
	      const char *step, const char *basis, gint64 referral_id,
	      const GDate *start, enum deadline_rule rule, guint n,
	      struct err *err)
{
	g_autofree char *from = calendar_date_string(start);
	g_autofree char *due = NULL;
	GDate day;

	calendar_due(cal, start, rule, n, &day);
	due = calendar_date_string(&day);
	return store_run(s, err,
			 "INSERT INTO deadlines (case_id, step, referral_id, "
			 "start_day, rule, n, due_day, calendar, basis) VALUES "
			 "(?, ?, NULLIF(?, 0), ?, ?, ?, ?, ?, ?)",
			 "itittittt", case_id, step, referral_id, from,
			 rule_name(rule), (gint64)n, due,
			 calendar_version(cal), basis);
}

/* Settles the open deadlines of a step (all when step is NULL). */
static enum status
deadline_settle(struct store *s, gint64 case_id, const char *step,
		gint64 referral_id, const char *outcome, const char *at,
		struct err *err)
{
	return store_run(s, err,
			 "UPDATE deadlines SET met_at = ?, outcome = ? "
			 "WHERE case_id = ? AND outcome IS NULL AND "
			 "(?4 IS NULL OR step = ?4) AND "
			 "(?5 = 0 OR referral_id = ?5)",
			 "ttiti", at, outcome, case_id, step, referral_id);
}

enum status
cases_event_add(struct store *s, gint64 case_id, const char *at,
		const char *who, const char *what, const char *why,
		struct err *err)
{
	g_autoptr(GDateTime) now = at == NULL ? twtime_now() : NULL;
	g_autofree char *now_text = now != NULL ? twtime_iso(now) : NULL;

	return store_run(s, err,
			 "INSERT INTO case_events (case_id, at, who, what, "
			 "why) VALUES (?, ?, ?, ?, seal(?, 'case_events.why'))",
			 "itttt", case_id, at != NULL ? at : now_text, who,
			 what, why);
}
enum status
cases_opened(struct store *s, const struct calendar *cal, gint64 case_id,
	     GDateTime *received, struct err *err)
{
	static const struct {
		const char *step, *basis;
	} intake[] = {
		{ "register", "intake_register" },
		{ "contact", "intake_visit" },
		{ "assess", "intake_assess" },
	};
	g_autofree char *source = NULL;
	GDate day;
	enum status st;

	calendar_day_of(received, &day);
	st = store_query(s, err, store_read_text, &source,
			 "SELECT source FROM cases WHERE id = ?", "i",
			 case_id);
	/* Registration, visit and assessment are each due 3 days from
	 * 收案 (二、(二)2、3), not from the step before. */
	for (size_t i = 0; st == ST_OK && i < G_N_ELEMENTS(intake); i++)
		st = deadline_open(s, cal, case_id, intake[i].step,
				   intake[i].basis, 0, &day, DEADLINE_DAYS,
				   SOP_STEP_DAYS, err);
	if (st == ST_OK && case_source_is_agency(source))
		st = deadline_open(s, cal, case_id, "agency_result",
				   "referrer_result", 0, &day, DEADLINE_DAYS,
				   SOP_AGENCY_DAYS, err);
	return st;
}

/* A case read with a state the vocabulary does not know (read as
 * CASE_STATE_COUNT): an error, never taken for another state. */
static enum status
unknown_state(const char *number, struct err *err)
{
	return err_set(err, ST_FATAL, "case %s has a state lamplight does "
		       "not know", number);
}

static gboolean
read_ref(const struct store_row *row, gpointer data)
{
	struct case_ref *c = data;
	const char *county = store_col_text(row, 2);

	c->id = store_col_int(row, 0);
	c->number = store_col_dup(row, 1);
	g_strlcpy(c->county, county != NULL ? county : "", sizeof c->county);
	/* An unknown state is an error, never a default (cases_find). */
	if (!case_state_parse(store_col_text(row, 3), &c->state))
		c->state = CASE_STATE_COUNT;
	return FALSE;
}

enum status
cases_find(struct store *s, const char *number, struct case_ref *out,
	   struct err *err)
{
	enum status st;

	memset(out, 0, sizeof *out);
	st = store_query(s, err, read_ref, out,
			 "SELECT id, number, county, state FROM cases "
			 "WHERE number = ?", "t", number);
	if (st == ST_OK && out->id == 0)
		st = refuse(err, REFUSED_NO_CASE, number, -1, NULL);
	else if (st == ST_OK && out->state == CASE_STATE_COUNT)
		st = unknown_state(number, err);
	if (st != ST_OK)
		case_ref_clear(out);
	return st;
}

enum status
cases_add(struct store *s, const struct case_new *c, GDateTime *now,
	  gint64 *case_id, char **number, struct err *err)
{
	g_autofree char *day = twtime_roc_date(now);
	g_autofree char *at = twtime_iso(now);
	g_autofree char *num = NULL;
	gint64 seq = 0;
	enum status st;

	st = store_query(s, err, store_read_int, &seq,
			 "INSERT INTO case_seq (county, day, last) "
			 "VALUES (?, ?, 1) ON CONFLICT (county, day) DO "
			 "UPDATE SET last = last + 1 RETURNING last",
			 "tt", c->county, day);
	if (st != ST_OK)
		return st;
	if (seq == 0)
		return err_set(err, ST_FATAL, "database: case_seq: no number "
			       "for %s on %s", c->county, day);
	if (seq > 9999)
		return err_set(err, ST_FATAL, "more than 9999 cases for %s on "
			       "%s", c->county, day);
	num = g_strdup_printf("%s-%s-%04lld", c->county, day, (long long)seq);
	st = store_run(s, err,
		       "INSERT INTO cases (number, county, urgency, source, "
		       "subject, reply_addr, created_at, referrer, "
		       "referrer_addr) VALUES (?, ?, ?, ?, seal(?, "
		       "'cases.subject'), seal(?, 'cases.reply_addr'), ?, ?, "
		       "seal(?, 'cases.referrer_addr'))",
		       "ttttttttt", num, c->county, c->urgency, c->source,
		       c->subject, c->reply_addr, at, c->referrer,
		       c->referrer_addr);
	if (st != ST_OK)
		return st;
	*case_id = store_last_id(s);
	st = store_arrival_on_case(s, c->arrival_id, *case_id, err);
	if (st == ST_OK)
		*number = g_steal_pointer(&num);
	return st;
}

enum status
cases_reason_add(struct store *s, gint64 case_id, const char *rule,
		 const char *vote, int weight, glong start, glong end,
		 const char *match, struct err *err)
{
	return store_run(s, err,
			 "INSERT INTO reasons (case_id, rule, vote, weight, "
			 "start, end, match) VALUES (?, ?, ?, ?, ?, ?, "
			 "seal(?, 'reasons.match'))",
			 "ittiiit", case_id, rule, vote, (gint64)weight,
			 (gint64)start, (gint64)end, match);
}

enum status
cases_add_reasons(struct store *s, gint64 case_id, const struct triage *t,
		  struct err *err)
{
	enum status st = ST_OK;

	for (guint i = 0; st == ST_OK && i < t->hits->len; i++) {
		const struct rule_hit *h =
			&g_array_index(t->hits, struct rule_hit, i);
		const char *vote = rule_vote(h->rule);

		st = cases_reason_add(s, case_id, rule_id(h->rule), vote,
				      rule_weight(h->rule), h->start, h->end,
				      h->match, err);
	}
	return st;
}

enum status
cases_link_copies(struct store *s, gint64 case_id, const char *mailbox,
		       const char *message_id, const char *body_hash,
		       guint *linked, struct err *err)
{
	enum status st;

	st = store_run(s, err,
		       "INSERT OR IGNORE INTO case_links (case_id, other_id, "
		       "why) SELECT ?1, a.case_id, 'same letter to ' || "
		       "a.mailbox FROM arrivals a WHERE a.mailbox <> ?2 AND "
		       "a.message_id IS keyed(?3) AND a.body_hash = ?4 AND "
		       "a.case_id IS NOT NULL AND a.case_id <> ?1",
		       "ittt", case_id, mailbox, message_id, body_hash);
	*linked = st == ST_OK ? store_changes(s) : 0;
	/* Links go both ways. */
	if (st == ST_OK && *linked > 0)
		st = store_run(s, err,
			       "INSERT OR IGNORE INTO case_links (case_id, "
			       "other_id, why) SELECT other_id, case_id, "
			       "'same letter to ' || ? FROM case_links "
			       "WHERE case_id = ?", "ti", mailbox, case_id);
	return st;
}

enum status
cases_link(struct store *s, gint64 a, gint64 b, const char *why,
	   struct err *err)
{
	return store_run(s, err,
			 "INSERT INTO case_links (case_id, other_id, why) "
			 "VALUES (?1, ?2, ?3), (?2, ?1, ?3) "
			 "ON CONFLICT DO NOTHING", "iit", a, b, why);
}

/* The why of a link between two cases of one person: then the kinds. */
#define SAME_PERSON "same person: "

enum status
cases_link_person(struct store *s, gint64 id, gint64 other, const char *kinds,
		  struct err *err)
{
	g_autofree char *why = g_strconcat(SAME_PERSON, kinds, NULL);
	g_autofree char *number = NULL, *other_number = NULL;
	g_autofree char *told = NULL, *told_other = NULL;
	enum status st;

	st = cases_link(s, id, other, why, err);
	if (st == ST_OK)
		st = cases_number(s, id, &number, err);
	if (st == ST_OK)
		st = cases_number(s, other, &other_number, err);
	if (st != ST_OK)
		return st;
	told = g_strdup_printf("an earlier case %s: same %s", other_number,
			       kinds);
	told_other = g_strdup_printf("came back as %s: same %s", number,
				     kinds);
	st = cases_event_add(s, id, NULL, "lamplight", "returning person",
			     told, err);
	if (st == ST_OK)
		st = cases_event_add(s, other, NULL, "lamplight",
				     "returning person", told_other, err);
	return st;
}

void
case_earlier_free(struct case_earlier *e)
{
	if (e == NULL)
		return;
	g_free(e->number);
	g_free(e->closed_reason);
	g_free(e->kinds);
	g_free(e);
}

static gboolean
read_earlier(const struct store_row *row, gpointer data)
{
	struct case_earlier *e = g_new0(struct case_earlier, 1);

	e->number = store_col_dup(row, 0);
	if (!case_state_parse(store_col_text(row, 1), &e->state))
		e->state = CASE_STATE_COUNT;
	e->closed_reason = store_col_dup(row, 2);
	e->kinds = store_col_dup(row, 3);
	g_ptr_array_add(data, e);
	return TRUE;
}

enum status
cases_earlier(struct store *s, gint64 id, GPtrArray *out, struct err *err)
{
	/* Only those before: the later case of a person links back too. */
	return store_query(s, err, read_earlier, out,
			   "SELECT c.number, c.state, c.closed_reason, "
			   "substr(l.why, length(?2) + 1) FROM case_links l "
			   "JOIN cases c ON c.id = l.other_id WHERE "
			   "l.case_id = ?1 AND l.other_id < ?1 AND "
			   "substr(l.why, 1, length(?2)) = ?2 ORDER BY c.id",
			   "it", id, SAME_PERSON);
}

enum status
cases_add_needs(struct store *s, gint64 id, const struct triage *t,
		struct err *err)
{
	enum status st = ST_OK;

	for (guint i = 0; t != NULL && st == ST_OK && i < t->needs->len; i++)
		st = cases_add_need(s, id, t->needs->pdata[i], err);
	return st;
}

enum status
cases_file_arrival(struct store *s, gint64 id, gint64 arrival_id,
		   const char *why, struct err *err)
{
	enum status st = store_arrival_on_case(s, arrival_id, id, err);

	if (st == ST_OK)
		st = cases_event_add(s, id, NULL, "lamplight",
				     "mail received", why, err);
	return st;
}

enum status
cases_add_need(struct store *s, gint64 id, const char *need,
	       struct err *err)
{
	return store_run(s, err,
			 "INSERT INTO case_needs (case_id, need) VALUES "
			 "(?, ?) ON CONFLICT DO NOTHING", "it", id, need);
}

enum status
cases_note_add(struct store *s, gint64 id, const char *at, const char *who,
	       const char *text, gint64 *note, struct err *err)
{
	enum status st = store_run(s, err,
				   "INSERT INTO case_notes (case_id, at, who, "
				   "text) VALUES (?, ?, ?, seal(?, "
				   "'case_notes.text'))", "ittt", id, at,
				   who, text);

	if (st == ST_OK && note != NULL)
		*note = store_last_id(s);
	return st;
}

void
case_view_clear(struct case_view *v)
{
	g_free(v->number);
	g_free(v->assignee);
	g_free(v->reply);
	g_free(v->title);
	g_free(v->next_step);
	g_free(v->next_due);
	memset(v, 0, sizeof *v);
}

static gboolean
read_view(const struct store_row *row, gpointer data)
{
	struct case_view *v = data;

	v->number = store_col_dup(row, 0);
	if (!case_state_parse(store_col_text(row, 1), &v->state))
		v->state = CASE_STATE_COUNT;
	v->assignee = store_col_dup(row, 2);
	v->reply = store_col_dup(row, 3);
	v->title = store_col_dup(row, 4);
	v->next_step = store_col_dup(row, 5);
	v->next_due = store_col_dup(row, 6);
	return FALSE;
}

enum status
cases_view(struct store *s, gint64 id, struct case_view *out,
	   struct err *err)
{
	enum status st;

	memset(out, 0, sizeof *out);
	st = store_query(s, err, read_view, out,
			 "SELECT number, state, assignee, unseal(reply_addr, "
			 "'cases.reply_addr'), unseal(subject, "
			 "'cases.subject'), d.step, d.due_day FROM cases "
			 "LEFT JOIN (SELECT step, due_day FROM deadlines "
			 "WHERE case_id = ?1 AND outcome IS NULL "
			 "ORDER BY due_day, id LIMIT 1) AS d "
			 "WHERE id = ?1", "i", id);
	if (st == ST_OK && out->number != NULL &&
	    out->state == CASE_STATE_COUNT)
		st = unknown_state(out->number, err);
	if (st != ST_OK)
		case_view_clear(out);
	return st;
}

enum status
cases_number(struct store *s, gint64 id, char **number, struct err *err)
{
	*number = NULL;
	return store_query(s, err, store_read_text, number,
			   "SELECT number FROM cases WHERE id = ?", "i", id);
}

enum status
cases_numbers(struct store *s, gint64 id, GPtrArray *out, struct err *err)
{
	return store_query(s, err, store_read_texts, out,
			   "SELECT number FROM cases WHERE id = ?1 OR "
			   "merged_into = ?1", "i", id);
}

enum status
cases_partner_unconfirmed(struct store *s, gint64 id, char **detail,
			  struct err *err)
{
	*detail = NULL;
	return store_query(s, err, store_read_text, detail,
			   "SELECT unseal(e.why, 'case_events.why') FROM "
			   "case_events e WHERE e.case_id = ? "
			   "AND e.what = 'partner reply unconfirmed' AND NOT "
			   "EXISTS (SELECT 1 FROM case_events f WHERE f.case_id "
			   "= e.case_id AND f.what = 'partner reply confirmed' "
			   "AND f.id > e.id) ORDER BY e.id DESC LIMIT 1", "i",
			   id);
}

/* Moves c from its state to to, or fails if it moved meanwhile. */
static enum status
move(struct store *s, const struct case_ref *c, enum case_state to,
     const char *at, struct err *err)
{
	enum status st = store_run(s, err,
				   "UPDATE cases SET state = ?, state_at = ? "
				   "WHERE id = ? AND state = ?",
				   "ttit", case_state_name(to), at, c->id,
				   case_state_name(c->state));

	if (st == ST_OK && store_changes(s) != 1)
		st = err_set(err, ST_TEMP, "case %s changed meanwhile; "
			     "look again", c->number);
	return st;
}

gboolean
cases_may_become(enum case_state from, enum case_state to)
{
	if (from == CASE_CLOSED)
		return FALSE;
	if (to == CASE_CLOSED)
		return TRUE;
	if (to == CASE_REFERRED)
		return from == CASE_ASSESSED || from == CASE_REFERRED;
	return to == from + 1 ||
	       (from == CASE_ASSESSED && to == CASE_FOLLOW_UP);
}

/* The step whose deadline a move to `to` meets (all three were opened
 * at 收案, cases_opened). */
static const char *
step_met_by(enum case_state to)
{
	switch (to) {
	case CASE_REGISTERED: return "register";
	case CASE_CONTACTED: return "contact";
	case CASE_ASSESSED: return "assess";
	default: return NULL;
	}
}

static enum status
schedule_follow_up(struct store *s, const struct calendar *cal,
		   gint64 case_id, const GDate *start, struct err *err)
{
	enum status st = ST_OK;

	for (size_t i = 0; st == ST_OK && i < G_N_ELEMENTS(follow_up_months);
	     i++) {
		GDate target = *start;

		g_date_add_months(&target, follow_up_months[i]);
		st = deadline_open(s, cal, case_id, "follow_up", "follow_up", 0,
				   start, DEADLINE_DAYS,
				   (guint)g_date_days_between(start, &target),
				   err);
	}
	return st;
}

static enum status
finish(struct store *s, enum status st, struct err *err)
{
	if (st == ST_OK)
		return store_commit(s, err);
	store_rollback(s);
	return st;
}

enum status
cases_set_state(struct store *s, const struct calendar *cal,
		const struct case_ref *c, enum case_state to, const char *who,
		const char *why, GDateTime *now, struct err *err)
{
	g_autofree char *at = twtime_iso(now);
	g_autofree char *what = NULL;
	GDate today;
	enum status st;

	if (to == CASE_REFERRED)
		return refuse(err, REFUSED_USE_REFER, c->number, c->state,
			      NULL);
	if (to == CASE_CLOSED)
		return refuse(err, REFUSED_USE_CLOSE, c->number, c->state,
			      NULL);
	if (!cases_may_become(c->state, to))
		return refuse(err, REFUSED_STEP, c->number, c->state, NULL);
	calendar_day_of(now, &today);
	what = g_strdup_printf("state %s", case_state_name(to));
	st = store_begin(s, err);
	if (st != ST_OK)
		return st;
	st = move(s, c, to, at, err);
	if (st == ST_OK && step_met_by(to) != NULL)
		st = deadline_settle(s, c->id, step_met_by(to), 0, "met", at,
				     err);
	if (st == ST_OK && to == CASE_FOLLOW_UP)
		st = schedule_follow_up(s, cal, c->id, &today, err);
	if (st == ST_OK)
		st = cases_event_add(s, c->id, at, who, what, why, err);
	return finish(s, st, err);
}

/*
 * The day of c's 收案: the day its clocks started (its registration
 * deadline's), else the Taiwan day it was opened; and whether it is a
 * personal request (not an agency's referral).
 */
static enum status
intake_of(struct store *s, gint64 case_id, GDate *day, gboolean *personal,
	  struct err *err)
{
	g_autofree char *from = NULL, *source = NULL;
	enum status st;

	st = store_query(s, err, store_read_text, &from,
			 "SELECT coalesce((SELECT start_day FROM deadlines "
			 "WHERE case_id = ?1 AND step = 'register' ORDER BY "
			 "id LIMIT 1), substr(created_at, 1, 10)) FROM cases "
			 "WHERE id = ?1", "i", case_id);
	if (st == ST_OK)
		st = store_query(s, err, store_read_text, &source,
				 "SELECT source FROM cases WHERE id = ?", "i",
				 case_id);
	if (st == ST_OK && (from == NULL || !calendar_date_parse(from, day)))
		st = err_set(err, ST_FATAL, "case %lld has no day of 收案",
			     (long long)case_id);
	*personal = !case_source_is_agency(source);
	return st;
}

enum status
cases_refer(struct store *s, const struct calendar *cal,
	    const struct case_ref *c, enum group g, const char *agency,
	    const char *who, GDateTime *now, cases_notice_fn notice,
	    gpointer data, struct err *err)
{
	g_autofree char *at = twtime_iso(now);
	g_autofree char *what = NULL;
	gint64 ref;
	GDate today, intake;
	gboolean personal = FALSE;
	enum status st;

	if (!cases_may_become(c->state, CASE_REFERRED))
		return refuse(err, REFUSED_REFER_EARLY, c->number, c->state,
			      NULL);
	if (agency == NULL || *agency == '\0')
		return refuse(err, REFUSED_NO_AGENCY, c->number, c->state,
			      NULL);
	calendar_day_of(now, &today);
	what = g_strdup_printf("referred %s: %s", group_key(g), agency);
	st = store_begin(s, err);
	if (st != ST_OK)
		return st;
	st = intake_of(s, c->id, &intake, &personal, err);
	if (st == ST_OK && c->state == CASE_ASSESSED)
		st = move(s, c, CASE_REFERRED, at, err);
	if (st == ST_OK)
		st = store_run(s, err,
			       "INSERT INTO referrals (case_id, grp, agency, "
			       "referred_at) VALUES (?, ?, ?, ?)",
			       "ittt", c->id, group_key(g), agency, at);
	ref = store_last_id(s);
	if (st == ST_OK)
		st = deadline_open(s, cal, c->id, "partner_reply",
				   "partner_slip", ref, &today,
				   DEADLINE_WORKING_DAYS,
				   SOP_PARTNER_WORKING_DAYS, err);
	/* A personal request's result is due 5 days from 收案 (二、(二)
	 * 4(1)) besides the slip: already near, or past, when referred. */
	if (st == ST_OK && personal)
		st = deadline_open(s, cal, c->id, "partner_result",
				   "partner_result", ref, &intake,
				   DEADLINE_DAYS, SOP_PARTNER_RESULT_DAYS,
				   err);
	if (st == ST_OK && notice != NULL) {
		g_autofree char *number = NULL, *due = NULL;
		gint64 seq = 0;
		GDate day;

		calendar_due(cal, &today, DEADLINE_WORKING_DAYS,
			     SOP_PARTNER_WORKING_DAYS, &day);
		due = calendar_date_string(&day);
		st = store_query(s, err, store_read_int, &seq,
				 "SELECT count(*) FROM referrals "
				 "WHERE case_id = ?", "i", c->id);
		number = g_strdup_printf("%s-R%" G_GINT64_FORMAT, c->number,
					 seq);
		if (st == ST_OK)
			st = notice(s, c, g, agency, number, due, data, err);
	}
	if (st == ST_OK)
		st = cases_event_add(s, c->id, at, who, what, NULL, err);
	return finish(s, st, err);
}

/* The referral's reply, inside a transaction of the caller's. */
enum status
cases_partner_replied_in(struct store *s, gint64 case_id, enum group g,
			 guint seq, const char *who, GDateTime *now,
			 gboolean *found, struct err *err)
{
	g_autofree char *at = twtime_iso(now);
	g_autofree char *what = g_strdup_printf("reply %s", group_key(g));
	gint64 ref = 0;
	enum status st;

	*found = FALSE;
	/* The referral its notice numbered (R2: the second), if that one
	 * is the group's and awaits a reply; else the group's oldest. */
	if (seq > 0)
		st = store_query(s, err, store_read_int, &ref,
				 "SELECT id FROM (SELECT id, grp, replied_at "
				 "FROM referrals WHERE case_id = ? ORDER BY id "
				 "LIMIT 1 OFFSET ?) WHERE grp = ? AND "
				 "replied_at IS NULL",
				 "iit", case_id, (gint64)seq - 1, group_key(g));
	else
		st = ST_OK;
	if (st == ST_OK && ref == 0)
		st = store_query(s, err, store_read_int, &ref,
				 "SELECT id FROM referrals WHERE case_id = ? AND "
				 "grp = ? AND replied_at IS NULL ORDER BY id "
				 "LIMIT 1", "it", case_id, group_key(g));
	if (st != ST_OK || ref == 0)
		return st;
	*found = TRUE;
	st = store_run(s, err, "UPDATE referrals SET replied_at = ? "
			       "WHERE id = ?", "ti", at, ref);
	/* The reply meets both of the referral's clocks: the slip's and,
	 * for a personal request, the result's. */
	if (st == ST_OK)
		st = deadline_settle(s, case_id, NULL, ref, "met", at, err);
	if (st == ST_OK)
		st = cases_event_add(s, case_id, at, who, what, NULL, err);
	return st;
}

enum status
cases_partner_replied(struct store *s, const struct case_ref *c,
		      enum group g, const char *who, GDateTime *now,
		      struct err *err)
{
	gboolean found;
	enum status st = store_begin(s, err);

	if (st != ST_OK)
		return st;
	st = cases_partner_replied_in(s, c->id, g, 0, who, now, &found, err);
	if (st == ST_OK && !found)
		st = refuse(err, REFUSED_NO_REFERRAL, c->number, c->state,
			    group_key(g));
	return finish(s, st, err);
}

/* Every column of the first row, as new strings (NULL for NULL). */
static gboolean
read_columns(const struct store_row *row, gpointer data)
{
	for (int i = 0; i < store_col_count(row); i++)
		g_ptr_array_add(data, store_col_dup(row, i));
	return FALSE;
}

enum status
cases_result_sent(struct store *s, const struct case_ref *c, const char *who,
		  const char *text, cases_result_fn mail, gpointer data,
		  GDateTime *now, struct err *err)
{
	g_autoptr(GPtrArray) row = g_ptr_array_new_with_free_func(g_free);
	g_autofree char *at = twtime_iso(now);
	struct case_referrer r = { 0 };
	gint64 open = 0;
	enum status st;

	st = store_begin(s, err);
	if (st != ST_OK)
		return st;
	st = store_query(s, err, store_read_int, &open,
			 "SELECT count(*) FROM deadlines WHERE case_id = ? "
			 "AND step = 'agency_result' AND outcome IS NULL",
			 "i", c->id);
	if (st == ST_OK && open == 0)
		st = refuse(err, REFUSED_NO_RESULT_OWED, c->number, c->state,
			    NULL);
	if (st == ST_OK && text != NULL)
		st = store_query(s, err, read_columns, row,
				 "SELECT source, referrer, unseal(referrer_addr, "
				 "'cases.referrer_addr') FROM cases WHERE id = ?",
				 "i", c->id);
	if (st == ST_OK && text != NULL && row->len == 3) {
		r.source = row->pdata[0];
		r.unit = row->pdata[1];
		r.addr = row->pdata[2];
		/* Mailed in this transaction: queued, or nothing recorded;
		 * with nowhere to send it staff hear so, never silence. */
		if (r.addr == NULL)
			st = refuse(err, REFUSED_NO_REFERRER_ADDR, c->number,
				    c->state, NULL);
		else
			st = mail(s, c, &r, text, data, err);
		if (st == ST_MSG_BAD)
			st = refuse(err, REFUSED_NO_REFERRER_ADDR, c->number,
				    c->state, NULL);
	}
	if (st == ST_OK)
		st = deadline_settle(s, c->id, "agency_result", 0, "met", at,
				     err);
	if (st == ST_OK)
		st = cases_event_add(s, c->id, at, who,
				     text != NULL ? "result mailed to the "
						    "referrer"
						  : "result sent to the "
						    "referrer",
				     NULL, err);
	return finish(s, st, err);
}

enum status
cases_follow_up_contact(struct store *s, const struct case_ref *c,
			const char *who, const char *why, GDateTime *now,
			struct err *err)
{
	g_autofree char *at = twtime_iso(now);
	gint64 next = 0;
	enum status st;

	if (c->state != CASE_FOLLOW_UP)
		return refuse(err, REFUSED_NOT_FOLLOW_UP, c->number, c->state,
			      NULL);
	st = store_begin(s, err);
	if (st != ST_OK)
		return st;
	/* The earliest scheduled contact still open is the one made. */
	st = store_query(s, err, store_read_int, &next,
			 "SELECT id FROM deadlines WHERE case_id = ? AND "
			 "step = 'follow_up' AND outcome IS NULL "
			 "ORDER BY due_day, id LIMIT 1", "i", c->id);
	if (st == ST_OK && next != 0)
		st = store_run(s, err,
			       "UPDATE deadlines SET met_at = ?, outcome = "
			       "'met' WHERE id = ?", "ti", at, next);
	if (st == ST_OK)
		st = cases_event_add(s, c->id, at, who, "follow-up contact",
				     why, err);
	return finish(s, st, err);
}

/* Whether two years of follow-up have passed (問題改善). */
static enum status
follow_up_done(struct store *s, const struct case_ref *c, GDateTime *now,
	       gboolean *done, struct err *err)
{
	g_autofree char *since = NULL;
	g_autoptr(GDateTime) start = NULL;
	enum status st;

	*done = FALSE;
	st = store_query(s, err, store_read_text, &since,
			 "SELECT state_at FROM cases WHERE id = ?", "i",
			 c->id);
	if (st != ST_OK || since == NULL)
		return st;
	start = g_date_time_new_from_iso8601(since, NULL);
	if (start != NULL) {
		g_autoptr(GDateTime) end =
			g_date_time_add_months(start, SOP_FOLLOW_UP_MONTHS);

		*done = g_date_time_compare(now, end) >= 0;
	}
	return ST_OK;
}

/* Opens c's successor in another centre: the handover of 遷出. */
static enum status
hand_over(struct store *s, const struct calendar *cal,
	  const struct case_ref *c, const char *to, gboolean served,
	  GDateTime *now, const char *at, const char *who, char **number,
	  struct err *err)
{
	g_autoptr(GPtrArray) row = g_ptr_array_new_with_free_func(g_free);
	g_autofree char *why = NULL;
	struct case_new cn = { 0 };
	gint64 id;
	enum status st;

	/* What goes over: subject, urgency and reply address, one row. */
	st = store_query(s, err, read_columns, row,
			 "SELECT unseal(subject, 'cases.subject'), urgency, "
			 "unseal(reply_addr, 'cases.reply_addr') FROM cases "
			 "WHERE id = ?", "i", c->id);
	if (st != ST_OK)
		return st;
	if (row->len != 3)
		return err_set(err, ST_FATAL, "no case %s", c->number);
	cn.county = to;
	cn.subject = row->pdata[0];
	cn.urgency = row->pdata[1];
	cn.reply_addr = row->pdata[2];
	cn.source = "centre";
	cn.referrer = c->county;
	st = cases_add(s, &cn, now, &id, number, err);
	if (st == ST_OK)
		st = store_run(s, err,
			       "UPDATE cases SET handed_from = ? WHERE id = ?",
			       "ii", c->id, id);
	if (st == ST_OK)
		st = cases_link(s, c->id, id, "handed over", err);
	/* No clocks where no centre of this installation would keep them. */
	if (st == ST_OK && served)
		st = cases_opened(s, cal, id, now, err);
	why = g_strdup_printf("handed over by %s (%s)%s", c->county, c->number,
			      served ? "" : ", to a centre outside lamplight: "
					    "no deadlines");
	if (st == ST_OK)
		st = cases_event_add(s, id, at, who, "state received", why,
				     err);
	return st;
}

enum status
cases_close(struct store *s, const struct calendar *cal,
	    const struct case_ref *c, enum close_reason r,
	    const char *to_county, gboolean served, const char *who,
	    const char *why, GDateTime *now, char **handed, struct err *err)
{
	g_autofree char *at = twtime_iso(now);
	g_autofree char *what = NULL, *number = NULL;
	gboolean done;
	enum status st;

	if (c->state == CASE_CLOSED)
		return refuse(err, REFUSED_CLOSED_ALREADY, c->number,
			      c->state, NULL);
	if (r == CLOSE_MOVED &&
	    (to_county == NULL || !county_code_valid(to_county) ||
	     strcmp(to_county, c->county) == 0))
		return refuse(err, REFUSED_MOVED_COUNTY, c->number, c->state,
			      to_county);
	if (r == CLOSE_IMPROVED) {
		if (c->state != CASE_FOLLOW_UP)
			return refuse(err, REFUSED_IMPROVED_EARLY, c->number,
				      c->state, NULL);
		st = follow_up_done(s, c, now, &done, err);
		if (st != ST_OK)
			return st;
		if (!done)
			return refuse(err, REFUSED_IMPROVED_RELAPSE,
				      c->number, c->state, NULL);
	}
	st = store_begin(s, err);
	if (st != ST_OK)
		return st;
	st = move(s, c, CASE_CLOSED, at, err);
	if (st == ST_OK)
		st = store_run(s, err,
			       "UPDATE cases SET closed_reason = ?, "
			       "closed_at = ?, handed_to = ? WHERE id = ?",
			       "ttti", close_reason_name(r), at,
			       r == CLOSE_MOVED ? to_county : NULL, c->id);
	if (st == ST_OK)
		st = deadline_settle(s, c->id, NULL, 0, "cancelled", at, err);
	if (st == ST_OK && r == CLOSE_MOVED)
		st = hand_over(s, cal, c, to_county, served, now, at, who,
			       &number, err);
	if (st == ST_OK) {
		what = r == CLOSE_MOVED
			       ? g_strdup_printf("closed moved: handed over to "
						 "%s as %s%s", to_county,
						 number,
						 served ? ""
							: ", a centre outside "
							  "lamplight")
			       : g_strdup_printf("closed %s",
						 close_reason_name(r));
		st = cases_event_add(s, c->id, at, who, what, why, err);
	}
	st = finish(s, st, err);
	if (st == ST_OK && handed != NULL)
		*handed = g_steal_pointer(&number);
	return st;
}

enum status
cases_note(struct store *s, const struct case_ref *c, const char *who,
	   const char *text, GDateTime *now, struct err *err)
{
	g_autofree char *at = twtime_iso(now);
	g_autofree char *why = NULL;
	gint64 note = 0;
	enum status st;

	if (text == NULL || *text == '\0')
		return refuse(err, REFUSED_NOTE_EMPTY, c->number, c->state,
			      NULL);
	st = store_begin(s, err);
	if (st != ST_OK)
		return st;
	st = cases_note_add(s, c->id, at, who, text, &note, err);
	why = g_strdup_printf("note %lld", (long long)note);
	if (st == ST_OK)
		st = cases_event_add(s, c->id, at, who, "note", why, err);
	return finish(s, st, err);
}

enum status
cases_assign(struct store *s, const struct case_ref *c, const char *staff,
	     const char *who, GDateTime *now, struct err *err)
{
	g_autofree char *at = twtime_iso(now);
	g_autofree char *what = g_strdup_printf("assigned to %s", staff);
	enum status st;

	if (c->state == CASE_CLOSED)
		return refuse(err, REFUSED_CLOSED, c->number, c->state, NULL);
	st = store_begin(s, err);
	if (st != ST_OK)
		return st;
	st = store_run(s, err, "UPDATE cases SET assignee = ? WHERE id = ?",
		       "ti", staff, c->id);
	if (st == ST_OK)
		st = cases_event_add(s, c->id, at, who, what, NULL, err);
	return finish(s, st, err);
}

enum status
cases_schedule(struct store *s, const struct case_ref *c, const char *step,
	       const GDate *day, const char *who, GDateTime *now,
	       struct err *err)
{
	g_autofree char *at = twtime_iso(now);
	g_autofree char *from = NULL, *due = NULL, *what = NULL;
	GDate today;
	enum status st;

	calendar_day_of(now, &today);
	if (c->state == CASE_CLOSED)
		return refuse(err, REFUSED_CLOSED, c->number, c->state, NULL);
	if (g_date_compare(day, &today) <= 0)
		return refuse(err, REFUSED_DAY_PAST, c->number, c->state,
			      step);
	from = calendar_date_string(&today);
	due = calendar_date_string(day);
	what = g_strdup_printf("%s planned for %s", step, due);
	st = store_begin(s, err);
	if (st != ST_OK)
		return st;
	/* The day is the one staff named, not one the SOP counts. */
	st = store_run(s, err,
		       "INSERT INTO deadlines (case_id, step, start_day, rule, "
		       "n, due_day, calendar, basis) VALUES (?, ?, ?, 'days', "
		       "?, ?, (SELECT version FROM calendars WHERE active = 1), "
		       "'staff_planned')",
		       "ittit", c->id, step, from,
		       (gint64)g_date_days_between(&today, day), due);
	if (st == ST_OK)
		st = cases_event_add(s, c->id, at, who, what, NULL, err);
	return finish(s, st, err);
}

enum status
cases_merge(struct store *s, const struct case_ref *c, const char *into,
	    const char *who, GDateTime *now, struct err *err)
{
	g_autofree char *at = twtime_iso(now);
	g_autofree char *what = NULL, *back = NULL;
	struct case_ref t = { 0 };
	struct err e2 = { 0 };
	gint64 merged = 0;
	enum status st;

	/* Another centre's case is not found: it does not exist here. */
	if (cases_find(s, into, &t, &e2) != ST_OK ||
	    strcmp(t.county, c->county) != 0) {
		case_ref_clear(&t);
		return refuse(err, REFUSED_NO_CASE_HERE, into, -1, c->county);
	}
	st = store_query(s, err, store_read_int, &merged,
			 "SELECT count(*) FROM cases WHERE id IN (?, ?) AND "
			 "merged_into IS NOT NULL", "ii", c->id, t.id);
	if (st == ST_OK && t.id == c->id)
		st = refuse(err, REFUSED_MERGE_SELF, c->number, c->state,
			    NULL);
	else if (st == ST_OK && (c->state == CASE_CLOSED ||
				 t.state == CASE_CLOSED))
		st = refuse(err, REFUSED_MERGE_CLOSED, c->number, c->state,
			    NULL);
	else if (st == ST_OK && merged > 0)
		st = refuse(err, REFUSED_MERGED_ALREADY, c->number, c->state,
			    NULL);
	if (st != ST_OK) {
		case_ref_clear(&t);
		return st;
	}
	what = g_strdup_printf("merged into %s", t.number);
	back = g_strdup_printf("%s merged into this case", c->number);
	st = store_begin(s, err);
	/* Its letters, parties and notes go over; its clocks stop. */
	if (st == ST_OK)
		st = store_run(s, err, "UPDATE arrivals SET case_id = ? "
				       "WHERE case_id = ?", "ii", t.id, c->id);
	if (st == ST_OK)
		st = store_run(s, err,
			       "INSERT INTO case_parties (case_id, party, role) "
			       "SELECT ?, party, role FROM case_parties WHERE "
			       "case_id = ? ON CONFLICT DO NOTHING",
			       "ii", t.id, c->id);
	if (st == ST_OK)
		st = store_run(s, err, "UPDATE case_notes SET case_id = ? "
				       "WHERE case_id = ?", "ii", t.id, c->id);
	if (st == ST_OK)
		st = deadline_settle(s, c->id, NULL, 0, "cancelled", at, err);
	if (st == ST_OK)
		st = store_run(s, err,
			       "UPDATE cases SET merged_into = ? WHERE id = ?",
			       "ii", t.id, c->id);
	if (st == ST_OK)
		st = cases_link(s, c->id, t.id, "merged", err);
	if (st == ST_OK)
		st = cases_event_add(s, c->id, at, who, what, NULL, err);
	if (st == ST_OK)
		st = cases_event_add(s, t.id, at, who, back, NULL, err);
	case_ref_clear(&t);
	return finish(s, st, err);
}

enum status
cases_note_event(struct store *s, const struct case_ref *c, const char *who,
		 const char *what, GDateTime *now, struct err *err)
{
	g_autofree char *at = twtime_iso(now);

	return cases_event_add(s, c->id, at, who, what, NULL, err);
}

enum status
cases_needs_text(struct store *s, const struct case_ref *c, enum group g,
		 char **out, struct err *err)
{
	g_autoptr(GPtrArray) votes = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GString) text = g_string_new(NULL);
	enum status st;

	st = store_query(s, err, store_read_texts, votes,
			 "SELECT need FROM case_needs WHERE case_id = ?", "i",
			 c->id);
	for (guint i = 0; st == ST_OK && need_name(i) != NULL; i++) {
		enum group ng;

		if (need_group(need_name(i), &ng) && ng == g &&
		    g_ptr_array_find_with_equal_func(votes, need_name(i),
						     g_str_equal, NULL))
			g_string_append_printf(text, "%s%s",
					       text->len ? "、" : "",
					       need_label(need_name(i)));
	}
	if (st == ST_OK)
		*out = g_strdup(text->len ? text->str : group_label(g));
	return st;
}

/* ---- views ---- */

static void
set_text(JsonObject *o, const char *member, const struct store_row *row,
	 int col)
{
	const char *v = store_col_text(row, col);

	if (v != NULL)
		json_object_set_string_member(o, member, v);
	else
		json_object_set_null_member(o, member);
}

static gboolean
list_row(const struct store_row *row, gpointer data)
{
	JsonObject *o = json_object_new();
	enum case_state st;

	json_object_set_string_member(o, "number",
				      store_col_text(row, 0));
	set_text(o, "county", row, 1);
	set_text(o, "state", row, 2);
	if (case_state_parse(store_col_text(row, 2), &st))
		json_object_set_string_member(o, "state_label",
					      case_state_label(st));
	set_text(o, "urgency", row, 3);
	set_text(o, "source", row, 4);
	set_text(o, "created_at", row, 5);
	set_text(o, "next_due", row, 6);
	set_text(o, "next_step", row, 7);
	json_object_set_boolean_member(o, "overdue",
				       (int)store_col_int(row, 8) != 0);
	set_text(o, "closed_reason", row, 9);
	set_text(o, "next_basis", row, 10);
	if (deadline_basis_label(store_col_text(row, 10)) != NULL)
		json_object_set_string_member(
			o, "next_basis_label",
			deadline_basis_label(store_col_text(row, 10)));
	json_array_add_object_element(data, o);
	return TRUE;
}

enum status
cases_list(struct store *s, const struct case_filter *f, JsonNode **out,
	   struct err *err)
{
	JsonArray *a = json_array_new();
	GDate today;
	g_autofree char *day = NULL;
	enum status st;

	calendar_today(&today);
	day = calendar_date_string(&today);
	st = store_query(s, err, list_row, a,
		"SELECT c.number, c.county, c.state, c.urgency, c.source, "
		"  c.created_at, d.due_day, d.step, "
		"  d.due_day IS NOT NULL AND d.due_day < ?1, c.closed_reason, "
		"  d.basis "
		"FROM cases c LEFT JOIN deadlines d ON d.id = ("
		"  SELECT id FROM deadlines WHERE case_id = c.id AND "
		"  outcome IS NULL ORDER BY due_day, id LIMIT 1) "
		"WHERE (?2 IS NULL OR c.county = ?2) AND c.merged_into IS NULL "
		"  AND (?3 IS NULL OR c.state = ?3) "
		"  AND (?4 = 0 OR d.due_day < ?1) "
		"ORDER BY c.id DESC",
		"ttti", day, f->county,
		f->state >= 0 ? case_state_name((enum case_state)f->state)
			      : NULL,
		(gint64)f->overdue);
	if (st != ST_OK) {
		json_array_unref(a);
		return st;
	}
	*out = json_node_new(JSON_NODE_ARRAY);
	json_node_take_array(*out, a);
	return ST_OK;
}

struct show {
	JsonObject *o;
	const char *today;
};

static gboolean
show_case(const struct store_row *row, gpointer data)
{
	struct show *sh = data;
	const char *label;
	enum case_state st;

	json_object_set_string_member(sh->o, "number",
				      store_col_text(row, 0));
	set_text(sh->o, "county", row, 1);
	set_text(sh->o, "state", row, 2);
	if (case_state_parse(store_col_text(row, 2), &st))
		json_object_set_string_member(sh->o, "state_label",
					      case_state_label(st));
	set_text(sh->o, "urgency", row, 3);
	set_text(sh->o, "source", row, 4);
	label = case_source_label(store_col_text(row, 4));
	if (label != NULL)
		json_object_set_string_member(sh->o, "source_label", label);
	set_text(sh->o, "created_at", row, 5);
	set_text(sh->o, "state_at", row, 6);
	set_text(sh->o, "closed_reason", row, 7);
	set_text(sh->o, "handed_to", row, 8);
	set_text(sh->o, "referrer", row, 9);
	set_text(sh->o, "assignee", row, 10);
	set_text(sh->o, "merged_into", row, 11);
	/* Whether a referrer's result can be mailed; the address itself
	 * is shown by export. */
	json_object_set_boolean_member(sh->o, "referrer_addr_kept",
				       store_col_int(row, 12) != 0);
	return FALSE;
}

static gboolean
show_deadline(const struct store_row *row, gpointer data)
{
	struct show *sh = data;
	JsonObject *d = json_object_new();
	const char *due = store_col_text(row, 3);
	const char *outcome = store_col_text(row, 6);

	set_text(d, "step", row, 0);
	set_text(d, "start_day", row, 1);
	set_text(d, "rule", row, 2);
	json_object_set_int_member(d, "n", (int)store_col_int(row, 4));
	set_text(d, "due_day", row, 3);
	set_text(d, "calendar", row, 5);
	set_text(d, "outcome", row, 6);
	set_text(d, "met_at", row, 7);
	set_text(d, "basis", row, 8);
	if (deadline_basis_label(store_col_text(row, 8)) != NULL)
		json_object_set_string_member(
			d, "basis_label",
			deadline_basis_label(store_col_text(row, 8)));
	if (deadline_step_label(store_col_text(row, 0)) != NULL)
		json_object_set_string_member(
			d, "step_label",
			deadline_step_label(store_col_text(row, 0)));
	json_object_set_boolean_member(d, "overdue",
				       outcome == NULL &&
					       strcmp(due, sh->today) < 0);
	json_array_add_object_element(
		json_object_get_array_member(sh->o, "deadlines"), d);
	return TRUE;
}

/* Each row of a query appended to an array as an object, with the
 * query's column names. */
struct rows {
	JsonArray *a;
};

static gboolean
any_row(const struct store_row *row, gpointer data)
{
	JsonObject *o = json_object_new();

	for (int i = 0; i < store_col_count(row); i++) {
		const char *name = store_col_name(row, i);

		if (store_col_is_int(row, i))
			json_object_set_int_member(o, name,
						   store_col_int(row, i));
		else if (store_col_is_null(row, i))
			json_object_set_null_member(o, name);
		else
			set_text(o, name, row, i);
	}
	json_array_add_object_element(((struct rows *)data)->a, o);
	return TRUE;
}

enum status
cases_show(struct store *s, const struct case_ref *c, JsonNode **out,
	   struct err *err)
{
	static const struct {
		const char *member, *sql;
	} lists[] = {
		{ "referrals", "SELECT grp AS \"group\", agency, referred_at, "
			       "replied_at FROM referrals WHERE case_id = ? "
			       "ORDER BY id" },
		{ "events", "SELECT at, who, what, unseal(why, "
			    "'case_events.why') AS why FROM case_events "
			    "WHERE case_id = ? ORDER BY id" },
		{ "notes", "SELECT id, at, who, unseal(text, "
			   "'case_notes.text') AS text FROM case_notes "
			   "WHERE case_id = ? ORDER BY id" },
		/* Other cases: the same letter, a follow-up, the same
		 * person (what matched, never the value). */
		{ "links", "SELECT c.number, c.state, c.closed_reason, l.why "
			   "FROM case_links l JOIN cases c ON "
			   "c.id = l.other_id WHERE l.case_id = ? "
			   "ORDER BY c.id" },
	};
	g_autofree char *day = NULL;
	struct show sh = { .o = json_object_new() };
	GDate today;
	enum status st;

	calendar_today(&today);
	day = calendar_date_string(&today);
	sh.today = day;
	json_object_set_array_member(sh.o, "deadlines", json_array_new());
	json_object_set_array_member(sh.o, "referrals", json_array_new());
	json_object_set_array_member(sh.o, "events", json_array_new());
	json_object_set_array_member(sh.o, "notes", json_array_new());
	json_object_set_array_member(sh.o, "links", json_array_new());
	st = store_query(s, err, show_case, &sh,
			 "SELECT number, county, state, urgency, source, "
			 "created_at, state_at, closed_reason, handed_to, "
			 "referrer, assignee, (SELECT number FROM cases m "
			 "WHERE m.id = cases.merged_into), referrer_addr IS "
			 "NOT NULL FROM cases "
			 "WHERE id = ?", "i", c->id);
	if (st == ST_OK)
		st = store_query(s, err, show_deadline, &sh,
				 "SELECT step, start_day, rule, due_day, n, "
				 "calendar, outcome, met_at, basis FROM deadlines "
				 "WHERE case_id = ? ORDER BY due_day, id",
				 "i", c->id);
	for (size_t i = 0; st == ST_OK && i < G_N_ELEMENTS(lists); i++) {
		struct rows r = { json_object_get_array_member(
			sh.o, lists[i].member) };

		st = store_query(s, err, any_row, &r, lists[i].sql, "i",
				 c->id);
	}
	if (st != ST_OK) {
		json_object_unref(sh.o);
		return st;
	}
	*out = json_node_new(JSON_NODE_OBJECT);
	json_node_take_object(*out, sh.o);
	return ST_OK;
}


enum status
cases_export(struct store *s, const struct case_ref *c, JsonNode **out,
	     struct err *err)
{
	static const struct {
		const char *member, *sql;
	} parts[] = {
		{ "letters", "SELECT spool_name, mailbox, message_id, kind, "
			     "received_at FROM arrivals WHERE case_id = ? "
			     "ORDER BY id" },
		{ "reasons", "SELECT rule, vote, weight, start, end, "
			     "unseal(match, 'reasons.match') AS match FROM "
			     "reasons WHERE case_id = ?" },
		/* The outbox's own: outbox.h.  Links come with the show. */
		{ "mail_sent", NULL },
	};
	g_autoptr(GPtrArray) addrs = g_ptr_array_new_with_free_func(g_free);
	JsonObject *o;
	enum status st = cases_show(s, c, out, err);

	if (st != ST_OK)
		return st;
	o = json_node_get_object(*out);
	for (size_t i = 0; st == ST_OK && i < G_N_ELEMENTS(parts); i++) {
		struct rows r = { json_array_new() };

		json_object_set_array_member(o, parts[i].member, r.a);
		st = parts[i].sql == NULL
			     ? outbox_of_case(s, c->id, any_row, &r, err)
			     : store_query(s, err, any_row, &r, parts[i].sql,
					   "i", c->id);
	}
	/* The writer's address, and the referrer's owed a result. */
	if (st == ST_OK)
		st = store_query(s, err, read_columns, addrs,
				 "SELECT unseal(reply_addr, 'cases.reply_addr') "
				 "AS reply_addr, unseal(referrer_addr, "
				 "'cases.referrer_addr') AS referrer_addr FROM "
				 "cases WHERE id = ?", "i", c->id);
	for (guint i = 0; st == ST_OK && i < addrs->len; i++)
		if (addrs->pdata[i] != NULL)
			json_object_set_string_member(
				o, i == 0 ? "reply_addr" : "referrer_addr",
				addrs->pdata[i]);
	if (st != ST_OK)
		g_clear_pointer(out, json_node_unref);
	return st;
}

void
case_overdue_free(struct case_overdue *o)
{
	if (o == NULL)
		return;
	g_free(o->centre);
	g_free(o->what);
	g_free(o->oldest_due);
	g_free(o);
}

static gboolean
read_overdue(const struct store_row *row, gpointer data)
{
	struct case_overdue *o = g_new0(struct case_overdue, 1);

	o->centre = store_col_dup(row, 0);
	o->what = store_col_dup(row, 1);
	o->count = store_col_int(row, 2);
	o->oldest_due = store_col_dup(row, 3);
	g_ptr_array_add(data, o);
	return TRUE;
}

enum status
cases_overdue(struct store *s, const char *today, gboolean partner,
	      GPtrArray **out, struct err *err)
{
	GPtrArray *list = g_ptr_array_new_with_free_func(
		(GDestroyNotify)case_overdue_free);
	enum status st;

	st = store_query(s, err, read_overdue, list,
			 partner
			 /* A referral counts once, however many of its
			  * clocks (slip, result) are past. */
			 ? "SELECT c.county, r.grp || ' ' || r.agency, "
			   "count(DISTINCT r.id), min(d.due_day) FROM "
			   "deadlines d JOIN "
			   "cases c ON c.id = d.case_id JOIN referrals r ON "
			   "r.id = d.referral_id WHERE d.outcome IS NULL AND "
			   "d.due_day < ?1 AND d.referral_id IS NOT NULL AND "
			   "c.merged_into IS NULL "
			   "GROUP BY c.county, r.grp, r.agency "
			   "ORDER BY c.county"
			 : "SELECT c.county, d.step, count(*), min(d.due_day) "
			   "FROM deadlines d JOIN cases c ON c.id = d.case_id "
			   "WHERE d.outcome IS NULL AND d.due_day < ?1 "
			   "AND d.referral_id IS NULL AND "
			   "c.merged_into IS NULL "
			   "GROUP BY c.county, d.step "
			   "ORDER BY c.county, d.step",
			 "t", today);
	if (st != ST_OK) {
		g_ptr_array_free(list, TRUE);
		return st;
	}
	*out = list;
	return ST_OK;
}

enum status
cases_escalate(struct store *s, gint64 case_id, const char *why,
	       struct err *err)
{
	enum status st;

	st = store_run(s, err,
		       "UPDATE cases SET urgency = 'emergency' "
		       "WHERE id = ? AND urgency <> 'emergency'", "i", case_id);
	if (st == ST_OK && store_changes(s) > 0)
		st = cases_event_add(s, case_id, NULL, "lamplight",
				     "urgency emergency", why, err);
	return st;
}

enum status
cases_erase(struct store *s, gint64 case_id, const char *at,
	    const char *why, struct err *err)
{
	enum status st;

	st = store_run(s, err,
		       "UPDATE cases SET reply_addr = NULL, subject = NULL, "
		       "referrer_addr = NULL, erased_at = ? WHERE id = ?",
		       "ti", at, case_id);
	if (st == ST_OK)
		st = cases_event_add(s, case_id, at, "lamplight",
				     "personal data erased", why, err);
	return st;
}
