/*
 * Case policy: what a filed letter does to the cases.  A bounce marks
 * the mail of ours it returns; a letter that belongs to a case is filed
 * on it (a seeker's emergency raises the case and alerts the duty
 * officer; staff and partners act through staffmail); a new letter
 * opens a case, with its reasons, its answer and the staff notice.
 * Then, after filing, the steps over all cases: sealing the letters,
 * reminders and the erasure of what retention lets go.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "casework.h"
#include "hanzi.h"
#include "log.h"
#include "notify.h"
#include "people.h"
#include "quote.h"
#include "remind.h"
#include "staffmail.h"
#include "thread.h"
#include "twtime.h"

/*
 * A flood: letters to one centre in an hour beyond which staff are told
 * once, not letter by letter, and the duty officer at most once more.
 * Every letter is still filed and answered (the daily limit per address
 * holds the answers).  From one address (the writer's, or the web form's
 * e-mail field), or from anyone.
 */
#define FLOOD_SENDER_PER_HOUR 5
#define FLOOD_CENTRE_PER_HOUR 100

struct flood {
	gboolean folded;	/* beyond a limit: no staff notice of its own */
	gboolean first;		/* the first beyond: staff are told of it */
	gboolean alert;		/* a duty alert for it may go */
	gboolean by_sender;	/* one address's (else the centre's) */
	gint64 n;		/* the letters counted in the hour */
};

struct casework {
	const struct config *cfg;
	const struct run_opts *opts;
	struct run_stats *stats;
	struct store *store;
	struct spool *spool;
	struct notify *notify;
	struct calendar *calendar;	/* deadlines are counted on it */
	struct tokens *tokens;		/* reply tokens (token.h) */
	struct vault *vault;		/* seals personal data (people.h) */
	const struct ruleset *rules;	/* filing's: what staff mail checks */
	gboolean emergency;	/* an emergency was filed: send at once */
};

enum status
casework_open(const struct config *cfg, const struct run_opts *opts,
	      struct run_stats *stats, struct store *store,
	      struct spool *spool, struct casework **out, struct err *err)
{
	struct casework *cw = g_new0(struct casework, 1);
	enum status st;

	cw->cfg = cfg;
	cw->opts = opts;
	cw->stats = stats;
	cw->store = store;
	cw->spool = spool;
	st = cases_calendar(store, cfg->calendar, &cw->calendar, err);
	if (st == ST_OK)
		st = tokens_open(cfg->token_key_file, FALSE, &cw->tokens, err);
	if (st == ST_OK)
		st = vault_open(cfg->data_key_file, FALSE, &cw->vault, err);
	if (st == ST_OK)
		st = notify_open(cfg->templates_dir, &cw->notify, err);
	if (st != ST_OK) {
		casework_close(cw);
		return st;
	}
	*out = cw;
	return ST_OK;
}

void
casework_set_rules(struct casework *cw, const struct ruleset *rules)
{
	cw->rules = rules;
}

void
casework_close(struct casework *cw)
{
	if (cw == NULL)
		return;
	notify_close(cw->notify);
	calendar_free(cw->calendar);
	tokens_free(cw->tokens);
	vault_free(cw->vault);
	g_free(cw);
}

/* Retention: the raw letter goes with the rest (people.h). */
static enum status
forget_letter(const char *spool_name, gpointer data, struct err *err)
{
	g_autofree char *path = spool_path(data, spool_name);
	g_autofree char *sealed = g_strconcat(path, ".sealed", NULL);

	if ((unlink(path) != 0 && errno != ENOENT) ||
	    (unlink(sealed) != 0 && errno != ENOENT))
		return err_sys(err, ST_TEMP, "cannot erase %s", spool_name);
	return ST_OK;
}

/* A filed letter to seal: only once it is in cur/, done with. */
static char *
letter_to_seal(const char *spool_name, gpointer data)
{
	char *path = spool_path(data, spool_name);
	g_autofree char *dir = g_path_get_dirname(path);

	if (!g_str_has_suffix(dir, "/cur")) {
		g_free(path);
		return NULL;
	}
	return path;
}

/*
 * Queues an automatic answer (kind "ack" or "followup") to rcpt, unless
 * rcpt had auto_mail_per_day of them in the last day: then the case
 * records that it was held back.  *said tells the report what happened.
 */
static enum status
answer(struct casework *cw, const struct centre *centre, gint64 case_id,
       const char *number, const char *kind, const struct triage *t,
       const char *rcpt, const char *in_reply_to, GDateTime *now,
       const char **said, struct err *err)
{
	g_autoptr(GDateTime) since = g_date_time_add_days(now, -1);
	g_autofree char *from = twtime_iso(since);
	g_autofree char *token = token_make(cw->tokens, number, rcpt);
	struct outgoing *o = NULL;
	struct err e2 = { 0 };
	gint64 today = 0;
	enum status st;

	st = outbox_count_for(cw->store, rcpt, "ack", "followup", from, FALSE,
			      &today, err);
	if (st != ST_OK)
		return st;
	if (today >= cw->cfg->auto_mail_per_day) {
		*said = "no answer: the day's limit for that address";
		return cases_event_add(cw->store, case_id, NULL, "lamplight",
				       "answer held back",
				       "the address had the day's automatic "
				       "mail already", err);
	}
	/* An unusable address costs the answer, not the case. */
	if (strcmp(kind, "ack") == 0)
		st = notify_build_ack(cw->notify, centre, number, token,
				      t->urgency, t, rcpt, in_reply_to, now,
				      &o, &e2);
	else
		st = notify_build_followup(cw->notify, centre, number, token, t,
					   rcpt, in_reply_to, now, &o, &e2);
	if (st != ST_OK) {
		*said = "no answer: address unusable";
		return ST_OK;
	}
	st = outbox_queue(cw->store, case_id, kind,
			  t->urgency == URGENCY_EMERGENCY
				  ? OUTBOX_PRIORITY_EMERGENCY
				  : OUTBOX_PRIORITY_NORMAL, o, err);
	if (st == ST_OK)
		st = thread_add_party(cw->store, cw->tokens, case_id, rcpt,
				      "recipient", err);
	*said = strcmp(kind, "ack") == 0 ? "acknowledgement queued"
					 : "answer queued";
	outgoing_free(o);
	return st;
}

/*
 * Queues the alert of an emergency to the centre's duty officer, first
 * in the outbox.  A centre without a duty address is told in the case.
 */
static enum status
alert_duty(struct casework *cw, const struct centre *centre, gint64 case_id,
	   const char *number, const struct classification *c,
	   GDateTime *now, struct err *err)
{
	struct outgoing *o = NULL;
	struct err e2 = { 0 };
	enum status st;

	if (centre->duty == NULL) {
		log_warn("centre %s has no duty address: emergency %s "
			 "alerted to nobody", centre->code, number);
		return cases_event_add(cw->store, case_id, NULL, "lamplight",
				       "no duty alert",
				       "the centre has no duty address", err);
	}
	g_autofree char *token = token_make(cw->tokens, number, centre->duty);

	if (notify_build_duty(cw->notify, centre, number, token, c->triage,
			      &c->identity, c->reply_addr, now, &o,
			      &e2) != ST_OK) {
		log_warn("duty alert for %s: %s", number, e2.msg);
		return ST_OK;
	}
	st = outbox_queue(cw->store, case_id, "duty", OUTBOX_PRIORITY_EMERGENCY,
			  o, err);
	outgoing_free(o);
	return st;
}

/*
 * Records who sent the letter arrival_id (a keyed hash of the address)
 * and tells whether it is part of a flood (see FLOOD_SENDER_PER_HOUR).
 */
static enum status
flood_check(struct casework *cw, const struct mail_msg *m,
	    const struct classification *c, gint64 arrival_id,
	    GDateTime *now, struct flood *fl, struct err *err)
{
	g_autoptr(GDateTime) hour = g_date_time_add_hours(now, -1);
	g_autofree char *since = twtime_iso(hour);
	const char *who = c->from_form ? c->reply_addr : m->from_addr;
	g_autofree char *canon = who != NULL ? address_canonical(who) : NULL;
	g_autofree char *sender =
		canon != NULL ? token_party_hash(cw->tokens, canon) : NULL;
	struct store_flood one = { 0 }, all = { 0 };
	enum status st = ST_OK;

	memset(fl, 0, sizeof *fl);
	fl->alert = TRUE;
	if (sender != NULL)
		st = store_arrival_set_sender(cw->store, arrival_id, sender,
					      err);
	if (st == ST_OK && sender != NULL)
		st = store_arrivals_since(cw->store, c->county, sender, since,
					  FLOOD_SENDER_PER_HOUR, &one, err);
	if (st == ST_OK)
		st = store_arrivals_since(cw->store, c->county, NULL, since,
					  FLOOD_CENTRE_PER_HOUR, &all, err);
	if (st != ST_OK)
		return st;
	if (one.n > FLOOD_SENDER_PER_HOUR) {
		fl->folded = fl->by_sender = TRUE;
		fl->n = one.n;
		fl->first = one.n == FLOOD_SENDER_PER_HOUR + 1;
		fl->alert = one.emergencies_beyond <= 1;
	} else if (all.n > FLOOD_CENTRE_PER_HOUR) {
		fl->folded = TRUE;
		fl->n = all.n;
		fl->first = all.n == FLOOD_CENTRE_PER_HOUR + 1;
		fl->alert = all.emergencies_beyond <= 1;
	}
	return ST_OK;
}

/*
 * Staff's part of a letter in a flood: the first beyond the limit tells
 * each of the centre's staff once; the others are marked on their case.
 */
static enum status
flood_tell(struct casework *cw, const struct centre *centre, gint64 case_id,
	   const char *number, const struct flood *fl, GDateTime *now,
	   struct err *err)
{
	g_autofree char *items = NULL;
	enum status st;

	st = cases_event_add(cw->store, case_id, NULL, "lamplight",
			     "staff notice folded",
			     fl->by_sender ? "many letters from one address "
					     "in an hour"
					   : "many letters to the centre in an "
					     "hour", err);
	if (st != ST_OK || !fl->first || !centre->staff_notices ||
	    centre->staff == NULL)
		return st;
	log_warn("centre %s: more than %d letters in an hour%s: staff "
		 "notices folded", centre->code,
		 fl->by_sender ? FLOOD_SENDER_PER_HOUR : FLOOD_CENTRE_PER_HOUR,
		 fl->by_sender ? " from one address" : "");
	items = g_strdup_printf(
		fl->by_sender ? "同一個信箱在一小時內寄來了 %lld 封信（最新一封立案為 %s）。\n"
			      : "本中心在一小時內收到了 %lld 封信（最新一封立案為 %s）。\n",
		(long long)fl->n, number);
	for (int i = 0; st == ST_OK && centre->staff[i] != NULL; i++) {
		struct outgoing *o = NULL;
		struct err e2 = { 0 };

		if (notify_build_reminder(cw->notify, centre, "flood-staff",
					  centre->staff[i], items, now, &o,
					  &e2) != ST_OK)
			continue;	/* an unusable address */
		st = outbox_queue(cw->store, case_id, "flood-staff",
				  OUTBOX_PRIORITY_NORMAL, o, err);
		outgoing_free(o);
	}
	return st;
}

/* The staff side of the case mail of centre (staffmail.h). */
static struct staffmail
staff_side(struct casework *cw, const struct centre *centre)
{
	struct staffmail sm = {
		.cfg = cw->cfg, .store = cw->store, .notify = cw->notify,
		.tokens = cw->tokens, .vault = cw->vault,
		.calendar = cw->calendar, .centre = centre,
		.rules = cw->rules,
	};

	return sm;
}

/*
 * Whether m carries the token lamplight made for its From address on
 * case number (or one merged into it): a partner answering our notice,
 * by In-Reply-To, References or the plus-address it was sent.
 */
static gboolean
partner_token(struct casework *cw, const struct mail_msg *m,
	      const char *number)
{
	g_autoptr(GPtrArray) found = token_find_all(m);

	if (m->from_addr == NULL || number == NULL || m->from_count != 1)
		return FALSE;
	for (guint i = 0; i < found->len; i++) {
		g_autofree char *n = NULL;

		if (token_check(cw->tokens, found->pdata[i], m->from_addr,
				&n) &&
		    strcmp(n, number) == 0)
			return TRUE;
	}
	return FALSE;
}

/* The n of "NUMBER-Rn" (a referral's number) in subject, or 0. */
static guint
referral_seq(const char *subject, const char *number)
{
	const char *p = number != NULL ? strstr(subject, number) : NULL;

	if (p == NULL || strncmp(p + strlen(number), "-R", 2) != 0 ||
	    !g_ascii_isdigit(p[strlen(number) + 2]))
		return 0;
	return (guint)MIN(g_ascii_strtoull(p + strlen(number) + 2, NULL, 10),
			  G_MAXUINT);
}

/* The group whose partner addr is at centre, or -1. */
static int
partner_group(const struct centre *centre, const char *addr)
{
	for (int g = 0; g < GROUP_COUNT; g++)
		if (address_in(centre->partners[g], addr))
			return g;
	return -1;
}

/* The first value of header name in a bounce's report, or NULL: new. */
static char *
report_field(const char *report, const char *name)
{
	g_auto(GStrv) lines = g_strsplit(report, "\n", -1);
	size_t n = strlen(name);

	for (int i = 0; lines[i] != NULL; i++)
		if (g_ascii_strncasecmp(lines[i], name, n) == 0 &&
		    lines[i][n] == ':') {
			char *v = g_strstrip(g_strdup(lines[i] + n + 1));

			if (*v == '<' && v[strlen(v) - 1] == '>') {
				char *inner = g_strndup(v + 1, strlen(v) - 2);

				g_free(v);
				v = inner;
			}
			return v;
		}
	return NULL;
}

/*
 * Inside the transaction: a bounce of mail we sent.  The outbox row it
 * returns is marked bounced and its case told, so that staff see that
 * an answer did not arrive.
 */
static enum status
file_bounce(struct casework *cw, const struct mail_msg *m, gint64 arrival_id,
	    struct err *err)
{
	g_autofree char *id = report_field(m->report, "Message-ID");
	g_autofree char *status = report_field(m->report, "Status");
	g_autofree char *diag = report_field(m->report, "Diagnostic-Code");
	g_autofree char *why = NULL, *kind = NULL;
	gint64 case_id = 0;
	enum status st;

	if (id == NULL)
		return ST_OK;
	why = g_strdup_printf("bounced: %s%s%s", status ? status : "",
			      status && diag ? " " : "", diag ? diag : "");
	st = outbox_bounced(cw->store, id, why, &case_id, &kind, err);
	if (st != ST_OK || kind == NULL)
		return st;
	if (case_id != 0)
		st = store_arrival_on_case(cw->store, arrival_id, case_id,
					   err);
	if (st == ST_OK)
		run_report(cw->stats, "a bounce of our %s mail: marked in the outbox",
		       kind != NULL ? kind : "");
	return st;
}

/* Whether mail of kind k is filed on a case (machine mail never is). */
static gboolean
threads(enum kind k)
{
	return kind_is_seeker(k) || k == KIND_STAFF_REPLY ||
	       k == KIND_REFERRAL_REPLY;
}

/* Inside the transaction: the needs t found, on the case. */
static enum status
add_needs(struct casework *cw, gint64 case_id, const struct triage *t,
	  struct err *err)
{
	enum status st = ST_OK;

	for (guint i = 0; t != NULL && st == ST_OK && i < t->needs->len; i++)
		st = cases_add_need(cw->store, case_id, t->needs->pdata[i],
				    err);
	return st;
}

/* Links a new case to the one it may follow up, both ways, for staff. */
static enum status
mark_possible_follow_up(struct casework *cw, gint64 case_id, gint64 of,
			struct err *err)
{
	enum status st = cases_link(cw->store, case_id, of,
				    "possible follow-up", err);

	if (st == ST_OK)
		st = cases_event_add(cw->store, case_id, NULL, "lamplight",
				     "possible follow-up",
				     "names another case of this centre "
				     "without a reply token: staff to "
				     "confirm", err);
	return st;
}

/*
 * Inside the transaction: a message that belongs to a case already.  It
 * is filed on that case; a seeker's emergency raises the case's urgency
 * and is sent to the duty officer at once.
 */
static enum status
attach(struct casework *cw, const struct mail_msg *m,
       const struct classification *c, gint64 arrival_id,
       const struct thread_match *tm, const struct flood *fl,
       GDateTime *now, struct err *err)
{
	const struct triage *t = c->triage;
	const struct centre *centre = config_centre_find(cw->cfg, c->county);
	g_autofree char *why = g_strdup_printf("%s, matched by %s",
					       kind_name(c->kind), tm->how);
	g_autofree char *number = NULL;
	const char *said = "";
	enum status st;

	st = store_arrival_on_case(cw->store, arrival_id, tm->case_id, err);
	if (st == ST_OK)
		st = cases_event_add(cw->store, tm->case_id, NULL, "lamplight",
				     "mail received", why, err);
	if (st == ST_OK && kind_is_seeker(c->kind))
		st = thread_add_party(cw->store, cw->tokens, tm->case_id,
				      m->from_addr, "writer", err);
	if (st == ST_OK && kind_is_seeker(c->kind))
		st = add_needs(cw, tm->case_id, t, err);
	if (st == ST_OK)
		st = cases_number(cw->store, tm->case_id, &number, err);
	if (st == ST_OK && t != NULL && t->urgency == URGENCY_EMERGENCY) {
		st = cases_escalate(cw->store, tm->case_id,
				    "a follow-up letter", err);
		if (st == ST_OK && centre != NULL && fl->alert)
			st = alert_duty(cw, centre, tm->case_id, number, c, now,
					err);
		cw->emergency = TRUE;
	}
	/* Staff answering case mail: verified, then commands, and the
	 * rest relayed to the writer or kept as a note. */
	if (st == ST_OK && c->kind == KIND_STAFF_REPLY && centre != NULL) {
		struct staffmail sm = staff_side(cw, centre);

		st = staffmail_reply(&sm, m, tm->case_id, now, &said, err);
	}
	/* A partner answering a referral: its clock stops. */
	if (st == ST_OK && c->kind == KIND_REFERRAL_REPLY && centre != NULL) {
		int g = partner_group(centre, m->from_addr);
		gboolean found = FALSE;
		gboolean proven = g >= 0 && partner_token(cw, m, number);
		guint seq = referral_seq(m->subject, number);

		/* Only the token of our notice to that very partner stops
		 * the clock; anything else waits for staff (#confirm). */
		if (proven) {
			st = cases_partner_replied_in(cw->store, tm->case_id,
						      (enum group)g, seq,
						      m->from_addr, now,
						      &found, err);
		} else if (g >= 0) {
			g_autofree char *detail = g_strdup_printf(
				"%s %u %s", group_key((enum group)g), seq,
				m->from_addr);

			log_warn("case %s: a partner reply without its token "
				 "awaits staff to confirm it", number);
			st = cases_event_add(cw->store, tm->case_id, NULL,
					     "lamplight",
					     "partner reply unconfirmed",
					     detail, err);
		}
		/* What they did is the outcome: kept as a note, not in the
		 * trail, so that retention can erase it. */
		if (st == ST_OK && g >= 0) {
			g_autofree char *text = quote_strip(m->text);
			g_autofree char *at = twtime_iso(now);

			/* Staff read Traditional Chinese. */
			if (hanzi_has_simplified(text) ||
			    (m->charset != NULL &&
			     g_ascii_strncasecmp(m->charset, "gb", 2) == 0)) {
				char *trad = hanzi_convert(text);

				if (trad != NULL) {
					g_free(text);
					text = trad;
				}
			}

			if (*g_strstrip(text) != '\0' && !proven) {
				char *marked = g_strconcat(
					"（未確認的合作單位回覆：信中沒有轉介通知"
					"的回覆代碼，轉介期限仍在計算；同仁確認後"
					"請回覆 #confirm）\n", text, NULL);

				g_free(text);
				text = marked;
			}
			if (*g_strstrip(text) != '\0')
				st = cases_note_add(cw->store, tm->case_id,
						    at, m->from_addr, text,
						    NULL, err);
		}
	}
	/* The writer hears that the letter reached the case; staff
	 * that the writer wrote again. */
	if (st == ST_OK && kind_is_seeker(c->kind) && centre != NULL &&
	    c->reply_addr != NULL) {
		const char *rcpt = c->reply_addr;
		gboolean known = TRUE;

		/* A case number and a From are anyone's to write: matched
		 * by them alone, the answer goes only to an address the
		 * case knows (From is one), never to a new Reply-To. */
		if (strcmp(tm->how, "subject") == 0)
			st = thread_is_party(cw->store, cw->tokens,
					     tm->case_id, rcpt, &known, err);
		if (st == ST_OK && !known) {
			log_warn("case %s: a follow-up asked for answers at an "
				 "address the case does not know; answered "
				 "at its From", number);
			rcpt = m->from_addr;
		}
		if (st == ST_OK)
			st = answer(cw, centre, tm->case_id, number, "followup",
				    t, rcpt, m->message_id, now, &said, err);
	}
	if (st == ST_OK && kind_is_seeker(c->kind) && centre != NULL &&
	    fl->folded)
		st = flood_tell(cw, centre, tm->case_id, number, fl, now, err);
	else if (st == ST_OK && kind_is_seeker(c->kind) && centre != NULL) {
		struct staffmail sm = staff_side(cw, centre);

		st = staffmail_notify(&sm, tm->case_id, FALSE, t, c->new_text,
				      m->message_id, now, err);
	}
	if (st == ST_OK) {
		run_report(cw->stats, "filed %s on its case (%s)%s%s", kind_name(c->kind),
		       tm->how, *said != '\0' ? ": " : "", said);
		log_info("filed a %s on case %lld (%s)", kind_name(c->kind),
			 (long long)tm->case_id, tm->how);
	}
	return st;
}

/*
 * Inside the transaction: a new case, its reasons, its answer.  When
 * possible_of is not 0 the letter named that case without proving it
 * belongs there: staff are asked to confirm.
 */
static enum status
open_case(struct casework *cw, const struct mail_msg *m, const char *m_mailbox,
	  const char *m_hash, const struct classification *c,
	  gint64 arrival_id, gint64 possible_of, const struct flood *fl,
	  GDateTime *now, struct err *err)
{
	const struct centre *centre = config_centre_find(cw->cfg, c->county);
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

	st = cases_add(cw->store, &cn, now, &case_id, &number, err);
	if (st == ST_OK)
		st = cases_opened(cw->store, cw->calendar, case_id, now, err);
	if (st == ST_OK)
		st = cases_event_add(cw->store, case_id, NULL, "lamplight",
				     "received", case_source_label(c->source),
				     err);
	if (st == ST_OK)
		st = people_store(cw->store, cw->vault, case_id, &c->identity,
				  err);
	/* Who wrote takes part: a later letter naming the case is theirs. */
	if (st == ST_OK)
		st = thread_add_party(cw->store, cw->tokens, case_id,
				      m->from_addr, "writer", err);
	if (st == ST_OK)
		st = thread_add_party(cw->store, cw->tokens, case_id,
				      c->reply_addr, "writer", err);
	if (st == ST_OK && possible_of != 0)
		st = mark_possible_follow_up(cw, case_id, possible_of, err);
	st = st == ST_OK ? add_needs(cw, case_id, t, err) : st;
	for (guint i = 0; st == ST_OK && i < t->hits->len; i++) {
		const struct rule_hit *h =
			&g_array_index(t->hits, struct rule_hit, i);
		const char *vote = rule_vote(h->rule);

		st = cases_reason_add(cw->store, case_id, rule_id(h->rule), vote,
				      rule_weight(h->rule), h->start, h->end,
				      h->match, err);
	}
	if (st == ST_OK && c->reply_addr != NULL && centre != NULL)
		st = answer(cw, centre, case_id, number, "ack", t, c->reply_addr,
			    m->message_id, now, &answer_said, err);
	if (st == ST_OK && t->urgency == URGENCY_EMERGENCY && centre != NULL &&
	    fl->alert)
		st = alert_duty(cw, centre, case_id, number, c, now, err);
	if (st == ST_OK && centre != NULL && fl->folded)
		st = flood_tell(cw, centre, case_id, number, fl, now, err);
	else if (st == ST_OK && centre != NULL) {
		struct staffmail sm = staff_side(cw, centre);

		st = staffmail_notify(&sm, case_id, TRUE, t, c->new_text,
				      m->message_id, now, err);
	}
	if (st == ST_OK) {
		guint linked = 0;

		st = cases_link_copies(cw->store, case_id, m_mailbox,
					    m->message_id, m_hash, &linked,
					    err);
		if (st == ST_OK && linked > 0)
			run_report(cw->stats, "linked %s to %u case(s) of the same letter "
			       "in other centres", number, linked);
	}
	if (st == ST_OK) {
		cw->stats->cases++;
		if (t->urgency == URGENCY_EMERGENCY)
			cw->emergency = TRUE;
		run_report(cw->stats, "filed %s %s (%s)", number, urgency_name(t->urgency),
		       answer_said);
		log_info("filed case %s urgency %s", number,
			 urgency_name(t->urgency));
	}
	return st;
}

enum status
casework_file(struct casework *cw, const struct mail_msg *m,
	      const struct classification *c, const char *mailbox,
	      const char *body_hash, gint64 arrival_id, gboolean *on_case,
	      struct err *err)
{
	g_autoptr(GDateTime) now = twtime_now();
	struct thread_match tm = { 0 };
	struct flood fl = { .alert = TRUE };
	enum status st = ST_OK;

	*on_case = FALSE;
	if (c->kind == KIND_BOUNCE)
		st = file_bounce(cw, m, arrival_id, err);
	if (st != ST_OK || c->county[0] == '\0' || !threads(c->kind))
		return st;
	/* Only letters from seekers count, and are folded. */
	if (kind_is_seeker(c->kind))
		st = flood_check(cw, m, c, arrival_id, now, &fl, err);
	if (st != ST_OK)
		return st;
	st = thread_find(cw->store, cw->tokens, m, c->county, c->case_ref,
			 &tm, err);
	if (st == ST_OK && tm.case_id != 0) {
		*on_case = TRUE;
		st = attach(cw, m, c, arrival_id, &tm, &fl, now, err);
	} else if (st == ST_OK && kind_is_seeker(c->kind)) {
		st = open_case(cw, m, mailbox, body_hash, c, arrival_id,
			       tm.possible_of, &fl, now, err);
	}
	return st;
}

/*
 * Sends the emergencies' mail as soon as one is filed, so that one slow
 * mailbox does not hold back an answer found in another.
 */
void
casework_send_urgent(struct casework *cw)
{
	g_autoptr(GDateTime) now = NULL;
	struct err err = { 0 };

	if (!cw->emergency)
		return;
	cw->emergency = FALSE;
	now = twtime_now();
	if (outbox_send_due(cw->store, cw->cfg, now, OUTBOX_PRIORITY_EMERGENCY,
			    &cw->stats->out, run_mail_sent, (gpointer)cw->opts,
			    &err) != ST_OK)
		log_warn("%s", err.msg);
}

enum status
casework_send_all(struct casework *cw, GDateTime *now, struct err *err)
{
	return outbox_send_due(cw->store, cw->cfg, now, G_MAXINT,
			       &cw->stats->out, run_mail_sent,
			       (gpointer)cw->opts, err);
}

enum status
casework_seal_letters(struct casework *cw, struct err *err)
{
	guint sealed = 0;
	enum status st;

	/* The letters just filed, and any a crash left clear. */
	st = people_seal_letters(cw->store, cw->vault, letter_to_seal,
				 cw->spool, &sealed, err);
	if (sealed > 0)
		log_debug("sealed %u letters", sealed);
	return st;
}

enum status
casework_remind(struct casework *cw, GDateTime *now, struct err *err)
{
	guint reminders = 0;
	enum status st = remind_all(cw->store, cw->cfg, cw->notify, now,
				    &reminders, err);

	if (reminders > 0)
		run_report(cw->stats, "queued %u reminder digest(s)",
			   reminders);
	return st;
}

enum status
casework_erase_expired(struct casework *cw, GDateTime *now, struct err *err)
{
	guint erased = 0;
	enum status st = people_erase_expired(cw->store, now,
					      cw->cfg->retention_days,
					      forget_letter, cw->spool,
					      &erased, err);

	if (erased > 0)
		run_report(cw->stats, "erased the personal data of %u "
			   "case(s) closed over %u days", erased,
			   cw->cfg->retention_days);
	return st;
}
