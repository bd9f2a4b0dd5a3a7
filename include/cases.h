/*
 * Cases on the centres' standard operating procedure:
 *
 *   received -> registered (編號列冊) -> contacted (訪視) ->
 *   assessed (轉介評估) -> referred (轉介) -> follow_up (追蹤輔導) ->
 *   closed, for one of five reasons.
 *
 * Each of the first three steps is due 3 days from 收案, the day the
 * case was received (counted as calendar.h says); a referral starts a
 * partner's 5 working days for its reply slip and, for a personal
 * request, its result is due 5 days from 收案; an agency's referral
 * owes the agency a result in 7 days; follow-up schedules contacts over
 * two years.  Each deadline keeps the SOP rule that set it (its basis,
 * vocab.h).  Every change is a row of
 * case_events, which nothing can update or delete: who, when, why.
 */
#ifndef LAMPLIGHT_CASES_H
#define LAMPLIGHT_CASES_H

#include <glib.h>
#include <json-glib/json-glib.h>

#include "calendar.h"
#include "config.h"
#include "err.h"
#include "rules.h"
#include "store.h"
#include "vocab.h"

/* Days the SOP allows each step, and partners and agencies. */
#define SOP_STEP_DAYS 3
#define SOP_PARTNER_WORKING_DAYS 5
#define SOP_PARTNER_RESULT_DAYS 5	/* from 收案, personal requests */
#define SOP_AGENCY_DAYS 7
#define SOP_FOLLOW_UP_MONTHS 24

/*
 * The calendar deadlines are counted on: the one last installed in the
 * database, or else the file (installed then).  *out is new.
 */
enum status cases_calendar(struct store *s, const char *file,
			   struct calendar **out, struct err *err);
/*
 * Makes cal the calendar in force and recomputes every open deadline
 * on it; *recomputed says how many changed day.  In a transaction.
 */
enum status cases_calendar_install(struct store *s,
				   const struct calendar *cal, GDateTime *now,
				   guint *recomputed, struct err *err);

/*
 * Appends a row to the case's audit trail (case_events, which nothing
 * can update or delete): who did what, and why (may be NULL), at at (an
 * ISO time; NULL: now).  The one way a row gets there.
 */
enum status cases_event_add(struct store *s, gint64 case_id, const char *at,
			    const char *who, const char *what,
			    const char *why, struct err *err);

/* Opens the clocks of a new case (received at received).  Inside the
 * filing transaction. */
enum status cases_opened(struct store *s, const struct calendar *cal,
			 gint64 case_id, GDateTime *received,
			 struct err *err);

/* A case to open (cases_add). */
struct case_new {
	const char *county;
	const char *urgency;
	const char *source;	/* "webform", "direct" */
	const char *subject;
	const char *reply_addr;	/* may be NULL */
	const char *referrer;	/* who referred it in, or NULL */
	const char *referrer_addr;	/* owed the result, or NULL */
	gint64 arrival_id;	/* the letter that opens it, or 0 */
};

/*
 * Inside a transaction: opens a case, numbered COUNTY-yyyMMdd-NNNN (ROC
 * date of now in Taiwan, per-county daily sequence), and files the
 * letter that opens it on it.  *number is new.
 */
enum status cases_add(struct store *s, const struct case_new *c,
		      GDateTime *now, gint64 *case_id, char **number,
		      struct err *err);

/* Inside a transaction: the reasons of t (its rule hits), on case_id. */
enum status cases_add_reasons(struct store *s, gint64 case_id,
			      const struct triage *t, struct err *err);
/* Inside a transaction: one reason (a rule hit) for a case's triage. */
enum status cases_reason_add(struct store *s, gint64 case_id,
			     const char *rule, const char *vote, int weight,
			     glong start, glong end, const char *match,
			     struct err *err);

/*
 * Inside a transaction: links case_id to the cases opened for the same
 * letter (Message-ID and body hash) in other mailboxes; *linked counts.
 */
enum status cases_link_copies(struct store *s, gint64 case_id,
			      const char *mailbox, const char *message_id,
			      const char *body_hash, guint *linked,
			      struct err *err);

/* A case as staff see it; personal data stays out. */
struct case_ref {
	gint64 id;
	char *number;
	char county[4];
	enum case_state state;
};
void case_ref_clear(struct case_ref *c);
/*
 * Finds a case by number; refused (REFUSED_NO_CASE) if none, ST_FATAL if
 * its state is none the vocabulary knows.
 */
enum status cases_find(struct store *s, const char *number,
		       struct case_ref *out, struct err *err);

/*
 * Inside the caller's transaction: links cases a and b both ways, why
 * ("merged", "handed over", "possible follow-up"); a link made before
 * stays as it is.
 */
enum status cases_link(struct store *s, gint64 a, gint64 b, const char *why,
		       struct err *err);
/*
 * Inside the caller's transaction: links case id to other, an earlier
 * case of the same person, both ways, by kinds ("national_id phone":
 * what matched, people.h, never the value), with an audit row on each.
 */
enum status cases_link_person(struct store *s, gint64 id, gint64 other,
			      const char *kinds, struct err *err);
/* An earlier case of the same person (cases_link_person()). */
struct case_earlier {
	char *number;
	enum case_state state;
	char *closed_reason;	/* its name, or NULL */
	char *kinds;		/* "national_id phone" */
};
void case_earlier_free(struct case_earlier *e);
/* Appends to out (of struct case_earlier *, the caller's) the earlier
 * cases linked to case id as the same person's, oldest first. */
enum status cases_earlier(struct store *s, gint64 id, GPtrArray *out,
			  struct err *err);
/* Inside the caller's transaction: case id needs what t found (t may
 * be NULL: nothing). */
enum status cases_add_needs(struct store *s, gint64 id,
			    const struct triage *t, struct err *err);
/*
 * Inside the caller's transaction: the letter arrival_id filed on case
 * id, which was there already, with the event "mail received", why.
 */
enum status cases_file_arrival(struct store *s, gint64 id, gint64 arrival_id,
			       const char *why, struct err *err);
/* Inside the caller's transaction: case id needs need (vocab.h). */
enum status cases_add_need(struct store *s, gint64 id, const char *need,
			   struct err *err);
/* Inside the caller's transaction: a note on case id by who, at at; its
 * row id in *note (may be NULL). */
enum status cases_note_add(struct store *s, gint64 id, const char *at,
			   const char *who, const char *text, gint64 *note,
			   struct err *err);

/* What staff mail reads of a case: new strings. */
struct case_view {
	char *number;		/* NULL: no such case */
	enum case_state state;
	char *assignee;		/* NULL: nobody yet */
	char *reply;		/* the writer's reply address, or NULL */
	char *title;		/* the writer's subject, or NULL */
	char *next_step;	/* the open deadline due first, or NULL */
	char *next_due;		/* ... its day ("2026-12-08") */
};
void case_view_clear(struct case_view *v);
/* Reads case id into out (number NULL when none, as for a case that
 * was never there); ST_FATAL if its state is unknown. */
enum status cases_view(struct store *s, gint64 id, struct case_view *out,
		       struct err *err);
/* The number of case id (new), or NULL when there is none. */
enum status cases_number(struct store *s, gint64 id, char **number,
			 struct err *err);
/* Appends to out the numbers of case id and of the cases merged into
 * it (new strings). */
enum status cases_numbers(struct store *s, gint64 id, GPtrArray *out,
			  struct err *err);
/*
 * The detail ("GROUP SEQ ADDRESS") of the newest partner reply filed on
 * case id without its token and not confirmed since, or NULL: new.
 */
enum status cases_partner_unconfirmed(struct store *s, gint64 id,
				      char **detail, struct err *err);

/*
 * Whether a case in state from may move to to on the SOP: one step on,
 * or from the assessment straight to follow-up; referred (again) from
 * the assessment or a referral; closed from any state but closed.
 */
gboolean cases_may_become(enum case_state from, enum case_state to);

/*
 * The acts of staff, each in its own transaction, each leaving an
 * audit row with who and why.  A request the case's state does not
 * allow is refused (ST_REFUSED, refusal.h), saying what may come next;
 * a database error keeps its own status.
 */
enum status cases_set_state(struct store *s, const struct calendar *cal,
			    const struct case_ref *c, enum case_state to,
			    const char *who, const char *why, GDateTime *now,
			    struct err *err);
/*
 * Called inside the referral's transaction to queue its notice:
 * referral_number is "TNN-1151123-0001-R1", due_day "2026-11-30".
 */
typedef enum status (*cases_notice_fn)(struct store *s,
				       const struct case_ref *c, enum group g,
				       const char *agency,
				       const char *referral_number,
				       const char *due_day, gpointer data,
				       struct err *err);
enum status cases_refer(struct store *s, const struct calendar *cal,
			const struct case_ref *c, enum group g,
			const char *agency, const char *who, GDateTime *now,
			cases_notice_fn notice, gpointer data,
			struct err *err);

/* The needs of the case that group g serves, as words: "戒癮治療、替代療法". */
enum status cases_needs_text(struct store *s, const struct case_ref *c,
			     enum group g, char **out, struct err *err);
/* As cases_partner_replied(), inside the caller's transaction; seq is
 * the referral's number on its case (R2: 2), or 0 for the group's
 * oldest open one; *found says whether a referral awaited the reply. */
enum status cases_partner_replied_in(struct store *s, gint64 case_id,
				     enum group g, guint seq, const char *who,
				     GDateTime *now, gboolean *found,
				     struct err *err);
enum status cases_partner_replied(struct store *s, const struct case_ref *c,
				  enum group g, const char *who,
				  GDateTime *now, struct err *err);
/* A follow-up contact made: the earliest scheduled one is met. */
enum status cases_follow_up_contact(struct store *s,
				    const struct case_ref *c, const char *who,
				    const char *why, GDateTime *now,
				    struct err *err);
/* Who referred a case in, as cases_result_sent() hands it on:
 * borrowed. */
struct case_referrer {
	const char *source;	/* cases.source: "police", "other"... */
	const char *unit;	/* 轉介單位 (a county's code for "centre"),
				 * or NULL */
	const char *addr;	/* where the result is owed, or NULL: none
				 * kept */
};
/*
 * Called inside cases_result_sent()'s transaction to queue the result
 * text to r; refuses (REFUSED_NO_REFERRER_ADDR) when it has nowhere to
 * send it, and then nothing is recorded.
 */
typedef enum status (*cases_result_fn)(struct store *s,
				       const struct case_ref *c,
				       const struct case_referrer *r,
				       const char *text, gpointer data,
				       struct err *err);
/*
 * The 7-day result owed to an agency that referred c in: met.  With
 * text, mail (data its own) mails it to the referrer in the same
 * transaction; without, staff sent it another way.  Refused when no
 * result is owed.
 */
enum status cases_result_sent(struct store *s, const struct case_ref *c,
			      const char *who, const char *text,
			      cases_result_fn mail, gpointer data,
			      GDateTime *now, struct err *err);
/*
 * Closes c.  CLOSE_MOVED needs to_county: a new case is opened there,
 * linked both ways, and *handed (may be NULL) gets its number.  Its SOP
 * clocks start only if this installation serves to_county (served):
 * a centre outside it would never be reminded, and its steps would
 * stand overdue for ever; the case is kept for the record and the
 * reports, and staff hand the person over by letter or phone.
 */
enum status cases_close(struct store *s, const struct calendar *cal,
			const struct case_ref *c, enum close_reason r,
			const char *to_county, gboolean served,
			const char *who, const char *why, GDateTime *now,
			char **handed, struct err *err);
enum status cases_note(struct store *s, const struct case_ref *c,
		       const char *who, const char *text, GDateTime *now,
		       struct err *err);

/* Assigns c to a staff address (checked by the caller). */
enum status cases_assign(struct store *s, const struct case_ref *c,
			 const char *staff, const char *who, GDateTime *now,
			 struct err *err);
/*
 * A day staff set for step ("visit", "follow_up"): a deadline due that
 * day, which reminders then name.  day must be after today.
 */
enum status cases_schedule(struct store *s, const struct case_ref *c,
			   const char *step, const GDate *day,
			   const char *who, GDateTime *now, struct err *err);
/*
 * Merges c into the case numbered into, of the same centre: c's letters,
 * parties and notes move there, c's clocks stop, and c points there
 * from then on (mail threading to c goes to into).
 */
enum status cases_merge(struct store *s, const struct case_ref *c,
			const char *into, const char *who, GDateTime *now,
			struct err *err);

/* An audit row of what (no text of its own), e.g. data shown. */
enum status cases_note_event(struct store *s, const struct case_ref *c,
			     const char *who, const char *what,
			     GDateTime *now, struct err *err);

struct case_filter {
	const char *county;	/* NULL: all */
	int state;		/* -1: all; else enum case_state */
	gboolean overdue;	/* only those with a deadline passed */
};
/* The cases that pass f, newest first: a JSON array. */
/*
 * Raises case_id to an emergency, with an audit row saying why, unless
 * it is one already.
 */
enum status cases_escalate(struct store *s, gint64 case_id, const char *why,
			   struct err *err);

/*
 * Retention: the case's own personal columns (reply address, subject,
 * referrer's address) are erased at at, and the audit trail says why.
 */
enum status cases_erase(struct store *s, gint64 case_id, const char *at,
			const char *why, struct err *err);

/* Open deadlines past, by centre and what (a step, or for partner
 * replies "group agency"), with their oldest due day. */
struct case_overdue {
	char *centre, *what, *oldest_due;
	gint64 count;
};

void case_overdue_free(struct case_overdue *o);

/*
 * The open SOP steps due before today (a day as calendar.h writes it)
 * by centre and step, or with partner the referrals awaiting their
 * partner past a clock (each counted once) by centre and agency, merged
 * cases left out: a new array.
 */
enum status cases_overdue(struct store *s, const char *today,
			  gboolean partner, GPtrArray **out,
			  struct err *err);

enum status cases_list(struct store *s, const struct case_filter *f,
		       JsonNode **out, struct err *err);
/* One case with its deadlines (each with the SOP rule that set it:
 * basis, basis_label), referrals and audit trail. */
enum status cases_show(struct store *s, const struct case_ref *c,
		       JsonNode **out, struct err *err);
/* cases_show() and all else held: the letters (their spool files), the
 * rules' matched words, the mail sent, the linked cases. */
enum status cases_export(struct store *s, const struct case_ref *c,
			 JsonNode **out, struct err *err);

#endif
