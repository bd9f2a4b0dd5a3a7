/*
 * The cron run.  Order matters, and each comment says why:
 *
 *   lock -> per mailbox: fetch into spool/new (synced) -> record fetched
 *        -> file spool/new in one transaction each -> move to cur/
 *        -> mark the server copy -> then send the outbox.
 *
 * A message is touched at its source only after its arrival is committed;
 * a crash anywhere costs at most a re-fetch that files as a duplicate.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cases.h"
#include "classify.h"
#include "fetch.h"
#include "hanzi.h"
#include "log.h"
#include "mime.h"
#include "notify.h"
#include "outbox.h"
#include "people.h"
#include "quote.h"
#include "remind.h"
#include "run.h"
#include "spool.h"
#include "staffmail.h"
#include "store.h"
#include "thread.h"
#include "twtime.h"
#include "watchdog.h"

/* What the main thread holds: only it files and sends. */
struct run {
	const struct config *cfg;
	const struct run_opts *opts;
	struct run_stats *stats;
	struct spool *spool;
	struct store *store;
	struct ruleset *rules;
	struct notify *notify;
	struct calendar *calendar;	/* deadlines are counted on it */
	struct tokens *tokens;		/* reply tokens (token.h) */
	struct vault *vault;		/* seals personal data (people.h) */
	char *db_path;
	gboolean emergency;	/* an emergency was filed: send at once */
	/* Letters filed in one transaction (group commit): the spool
	 * files to move to cur/ once it commits. */
	gboolean in_group;
	GPtrArray *done_later;
	GHashTable *screened;	/* name -> 1 urgent, 2 not (file_pending) */
	/* The progress bar (--progress on a terminal). */
	gboolean bar;
	guint bar_total, bar_boxes, bar_boxes_done;
	gint64 bar_drawn_us;
};

/* Redraws the progress bar, at most ten times a second (or when done). */
static void
progress(struct run *r, gboolean force)
{
	gint64 now = g_get_monotonic_time();
	guint done = r->stats->filed + r->stats->quarantined;
	guint total = MAX(r->bar_total, done);
	char bar[31];
	guint fill;

	if (!r->bar || (!force && now - r->bar_drawn_us < 100000))
		return;
	r->bar_drawn_us = now;
	fill = total > 0 ? (guint)((guint64)done * 30 / total) : 0;
	memset(bar, '#', fill);
	memset(bar + fill, '.', 30 - fill);
	bar[30] = '\0';
	fprintf(stderr, "\r  filed %u/%u [%s] %3u%%", done, total, bar,
		total > 0 ? (guint)((guint64)done * 100 / total) : 100);
	if (r->bar_boxes > 0)
		fprintf(stderr, "  mailboxes %u/%u", r->bar_boxes_done,
			r->bar_boxes);
	fflush(stderr);
}

static void
progress_end(struct run *r)
{
	if (r->bar) {
		fputs("\r\033[K", stderr);
		fflush(stderr);
	}
}

/* Durable steps so far, counted across threads for --stop-after. */
static gint run_steps;

void
run_stats_init(struct run_stats *rs)
{
	memset(rs, 0, sizeof *rs);
	rs->report = g_ptr_array_new_with_free_func(g_free);
}

void
run_stats_done(struct run_stats *rs)
{
	if (rs->report != NULL)
		g_ptr_array_free(rs->report, TRUE);
	rs->report = NULL;
}

/*
 * Called after every durable step.  --stop-after=N ends the process here,
 * without cleanup, as a crash would: tests replay every N.
 */
static void
step(const struct run_opts *opts)
{
	gint n = g_atomic_int_add(&run_steps, 1) + 1;

	if (opts->stop_after != 0 && (guint)n >= opts->stop_after)
		_exit(RUN_EXIT_STOPPED);
}

/* A mail sent and marked so: a durable step like any other. */
static void
mail_sent(gpointer opts)
{
	step(opts);
}

static enum status
take_lock(const char *state_dir, int *fd_out, gboolean *locked,
	  struct err *err)
{
	g_autofree char *path = g_build_filename(state_dir, "lock", NULL);
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	int fd;

	if (g_mkdir_with_parents(state_dir, 0700) != 0)
		return err_io(err, ST_FATAL, "cannot create state dir '%s'",
			      state_dir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return err_io(err, ST_FATAL, "cannot open '%s'", path);
	if (fcntl(fd, F_SETLK, &fl) != 0) {
		int e = errno;

		close(fd);
		if (e == EACCES || e == EAGAIN) {
			*locked = TRUE;
			return err_set(err, ST_TEMP, "another run holds '%s'",
				       path);
		}
		errno = e;
		return err_sys(err, ST_FATAL, "cannot lock '%s'", path);
	}
	*fd_out = fd;
	return ST_OK;
}

static void
report(struct run *r, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static void
report(struct run *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	g_ptr_array_add(r->stats->report, g_strdup_vprintf(fmt, ap));
	va_end(ap);
}

/*
 * The spool file of a filed message goes to cur/: at once, or, inside a
 * group of letters, once the group's transaction commits (a crash
 * before leaves it in new/, to be filed again: nothing lost).
 */
static enum status
mark_done(struct run *r, const char *name, struct err *err)
{
	enum status st;

	if (r->in_group) {
		g_ptr_array_add(r->done_later, g_strdup(name));
		return ST_OK;
	}
	st = spool_mark_done(r->spool, name, err);
	if (st == ST_OK)
		step(r->opts);
	return st;
}

/* Records a message that cannot be filed; its bytes stay in the spool. */
static enum status
quarantine(struct run *r, const char *name, const char *mailbox,
	   const char *body_hash, const char *why, struct err *err)
{
	struct arrival a = {
		.spool_name = name,
		.mailbox = mailbox,
		.body_hash = body_hash,
		.kind = "other",
		.quarantine = why,
	};
	struct err e2 = { 0 };
	gint64 id, dup;
	enum status st;

	st = store_begin(r->store, err);
	if (st == ST_OK)
		st = store_arrival_add(r->store, &a, &id, &dup, err);
	if (st == ST_OK)
		st = store_commit(r->store, err);
	if (st != ST_OK) {
		store_rollback(r->store);
		return st;
	}
	if (!r->in_group)
		step(r->opts);
	r->stats->filed++;
	if (dup != 0) {
		r->stats->duplicates++;
	} else {
		r->stats->quarantined++;
		log_warn("quarantined %s: %s", name, why);
		report(r, "quarantined %s: %s", name, why);
	}
	st = mark_done(r, name, &e2);
	if (st != ST_OK)
		log_warn("%s", e2.msg);
	return ST_OK;
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
answer(struct run *r, const struct centre *centre, gint64 case_id,
       const char *number, const char *kind, const struct triage *t,
       const char *rcpt, const char *in_reply_to, GDateTime *now,
       const char **said, struct err *err)
{
	g_autoptr(GDateTime) since = g_date_time_add_days(now, -1);
	g_autofree char *from = twtime_iso(since);
	g_autofree char *token = token_make(r->tokens, number, rcpt);
	struct outgoing *o = NULL;
	struct err e2 = { 0 };
	gint64 today = 0;
	enum status st;

	st = store_query(r->store, err, store_row_int, &today,
			 "SELECT count(*) FROM outbox WHERE rcpt = ? "
			 "COLLATE NOCASE AND kind IN ('ack', 'followup') "
			 "AND created_at > ?", "tt", rcpt, from);
	if (st != ST_OK)
		return st;
	if (today >= r->cfg->auto_mail_per_day) {
		*said = "no answer: the day's limit for that address";
		return store_event_add(r->store, case_id, "lamplight",
				       "answer held back",
				       "the address had the day's automatic "
				       "mail already", err);
	}
	/* An unusable address costs the answer, not the case. */
	if (strcmp(kind, "ack") == 0)
		st = notify_build_ack(r->notify, centre, number, token,
				      t->urgency, t, rcpt, in_reply_to, now,
				      &o, &e2);
	else
		st = notify_build_followup(r->notify, centre, number, token, t,
					   rcpt, in_reply_to, now, &o, &e2);
	if (st != ST_OK) {
		*said = "no answer: address unusable";
		return ST_OK;
	}
	st = outbox_queue(r->store, case_id, kind,
			  t->urgency == URGENCY_EMERGENCY
				  ? OUTBOX_PRIORITY_EMERGENCY
				  : OUTBOX_PRIORITY_NORMAL, o, err);
	if (st == ST_OK)
		st = thread_add_party(r->store, r->tokens, case_id, rcpt,
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
alert_duty(struct run *r, const struct centre *centre, gint64 case_id,
	   const char *number, const struct classification *c,
	   GDateTime *now, struct err *err)
{
	struct outgoing *o = NULL;
	struct err e2 = { 0 };
	enum status st;

	if (centre->duty == NULL) {
		log_warn("centre %s has no duty address: emergency %s "
			 "alerted to nobody", centre->code, number);
		return store_event_add(r->store, case_id, "lamplight",
				       "no duty alert",
				       "the centre has no duty address", err);
	}
	g_autofree char *token = token_make(r->tokens, number, centre->duty);

	if (notify_build_duty(r->notify, centre, number, token, c->triage,
			      &c->identity, c->reply_addr, now, &o,
			      &e2) != ST_OK) {
		log_warn("duty alert for %s: %s", number, e2.msg);
		return ST_OK;
	}
	st = outbox_queue(r->store, case_id, "duty", OUTBOX_PRIORITY_EMERGENCY,
			  o, err);
	outgoing_free(o);
	return st;
}

/* The staff side of the case mail of centre (staffmail.h). */
static struct staffmail
staff_side(struct run *r, const struct centre *centre)
{
	struct staffmail sm = {
		.cfg = r->cfg, .store = r->store, .notify = r->notify,
		.tokens = r->tokens, .vault = r->vault,
		.calendar = r->calendar, .centre = centre,
		.rules = r->rules,
	};

	return sm;
}

/*
 * Whether m carries the token lamplight made for its From address on
 * case number (or one merged into it): a partner answering our notice,
 * by In-Reply-To, References or the plus-address it was sent.
 */
static gboolean
partner_token(struct run *r, const struct mail_msg *m, const char *number)
{
	g_autoptr(GPtrArray) found = token_find_all(m);

	if (m->from_addr == NULL || number == NULL || m->from_count != 1)
		return FALSE;
	for (guint i = 0; i < found->len; i++) {
		g_autofree char *n = NULL;

		if (token_check(r->tokens, found->pdata[i], m->from_addr, &n) &&
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
file_bounce(struct run *r, const struct mail_msg *m, gint64 arrival_id,
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
	st = store_run(r->store, err,
		       "UPDATE outbox SET state = 'bounced', last_error = ? "
		       "WHERE message_id = ? AND state <> 'cancelled'",
		       "tt", why, id);
	if (st != ST_OK || sqlite3_changes(store_sqlite(r->store)) == 0)
		return st;
	st = store_query(r->store, err, store_row_int, &case_id,
			 "SELECT coalesce(case_id, 0) FROM outbox "
			 "WHERE message_id = ?", "t", id);
	if (st == ST_OK)
		st = store_query(r->store, err, store_row_text, &kind,
				 "SELECT kind FROM outbox WHERE message_id = ?",
				 "t", id);
	if (st == ST_OK && case_id != 0) {
		g_autofree char *what = g_strdup_printf("mail bounced: %s",
							kind);

		st = store_run(r->store, err,
			       "UPDATE arrivals SET case_id = ? WHERE id = ?",
			       "ii", case_id, arrival_id);
		if (st == ST_OK)
			st = store_event_add(r->store, case_id, "lamplight",
					     what, why, err);
	}
	if (st == ST_OK)
		report(r, "a bounce of our %s mail: marked in the outbox",
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
add_needs(struct run *r, gint64 case_id, const struct triage *t,
	  struct err *err)
{
	enum status st = ST_OK;

	for (guint i = 0; t != NULL && st == ST_OK && i < t->needs->len; i++)
		st = store_run(r->store, err,
			       "INSERT INTO case_needs (case_id, need) VALUES "
			       "(?, ?) ON CONFLICT DO NOTHING",
			       "it", case_id, (const char *)t->needs->pdata[i]);
	return st;
}

/* Links a new case to the one it may follow up, both ways, for staff. */
static enum status
mark_possible_follow_up(struct run *r, gint64 case_id, gint64 of,
			struct err *err)
{
	enum status st = store_run(r->store, err,
				   "INSERT INTO case_links (case_id, other_id, "
				   "why) VALUES (?, ?, 'possible follow-up'), "
				   "(?, ?, 'possible follow-up') "
				   "ON CONFLICT DO NOTHING",
				   "iiii", case_id, of, of, case_id);

	if (st == ST_OK)
		st = store_event_add(r->store, case_id, "lamplight",
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
attach(struct run *r, const struct mail_msg *m,
       const struct classification *c, gint64 arrival_id,
       const struct thread_match *tm, GDateTime *now, struct err *err)
{
	const struct triage *t = c->triage;
	const struct centre *centre = config_centre_find(r->cfg, c->county);
	g_autofree char *why = g_strdup_printf("%s, matched by %s",
					       kind_name(c->kind), tm->how);
	g_autofree char *number = NULL;
	const char *said = "";
	enum status st;

	st = store_run(r->store, err,
		       "UPDATE arrivals SET case_id = ? WHERE id = ?", "ii",
		       tm->case_id, arrival_id);
	if (st == ST_OK)
		st = store_event_add(r->store, tm->case_id, "lamplight",
				     "mail received", why, err);
	if (st == ST_OK && kind_is_seeker(c->kind))
		st = thread_add_party(r->store, r->tokens, tm->case_id,
				      m->from_addr, "writer", err);
	if (st == ST_OK && kind_is_seeker(c->kind))
		st = add_needs(r, tm->case_id, t, err);
	if (st == ST_OK)
		st = store_query(r->store, err, store_row_text, &number,
				 "SELECT number FROM cases WHERE id = ?", "i",
				 tm->case_id);
	if (st == ST_OK && t != NULL && t->urgency == URGENCY_EMERGENCY) {
		st = store_run(r->store, err,
			       "UPDATE cases SET urgency = 'emergency' "
			       "WHERE id = ? AND urgency <> 'emergency'",
			       "i", tm->case_id);
		if (st == ST_OK &&
		    sqlite3_changes(store_sqlite(r->store)) > 0)
			st = store_event_add(r->store, tm->case_id,
					     "lamplight", "urgency emergency",
					     "a follow-up letter", err);
		if (st == ST_OK && centre != NULL)
			st = alert_duty(r, centre, tm->case_id, number, c, now,
					err);
		r->emergency = TRUE;
	}
	/* Staff answering case mail: verified, then commands, and the
	 * rest relayed to the writer or kept as a note. */
	if (st == ST_OK && c->kind == KIND_STAFF_REPLY && centre != NULL) {
		struct staffmail sm = staff_side(r, centre);

		st = staffmail_reply(&sm, m, tm->case_id, now, &said, err);
	}
	/* A partner answering a referral: its clock stops. */
	if (st == ST_OK && c->kind == KIND_REFERRAL_REPLY && centre != NULL) {
		int g = partner_group(centre, m->from_addr);
		gboolean found = FALSE;
		gboolean proven = g >= 0 && partner_token(r, m, number);
		guint seq = referral_seq(m->subject, number);

		/* Only the token of our notice to that very partner stops
		 * the clock; anything else waits for staff (#confirm). */
		if (proven)
			st = cases_partner_replied_in(r->store, tm->case_id,
						      (enum group)g, seq,
						      m->from_addr, now,
						      &found, err);
		else if (g >= 0) {
			g_autofree char *detail = g_strdup_printf(
				"%s %u %s", group_key((enum group)g), seq,
				m->from_addr);

			log_warn("case %s: a partner reply without its token "
				 "awaits staff to confirm it", number);
			st = store_event_add(r->store, tm->case_id,
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
				st = store_run(r->store, err,
					       "INSERT INTO case_notes (case_id, "
					       "at, who, text) VALUES (?, ?, ?, "
					       "?)", "ittt", tm->case_id, at,
					       m->from_addr, text);
		}
	}
	/* The writer hears that the letter reached the case; staff
	 * that the writer wrote again. */
	if (st == ST_OK && kind_is_seeker(c->kind) && centre != NULL &&
	    c->reply_addr != NULL)
		st = answer(r, centre, tm->case_id, number, "followup", t,
			    c->reply_addr, m->message_id, now, &said, err);
	if (st == ST_OK && kind_is_seeker(c->kind) && centre != NULL) {
		struct staffmail sm = staff_side(r, centre);

		st = staffmail_notify(&sm, tm->case_id, FALSE, t, c->new_text,
				      m->message_id, now, err);
	}
	if (st == ST_OK) {
		report(r, "filed %s on its case (%s)%s%s", kind_name(c->kind),
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
open_case(struct run *r, const struct mail_msg *m, const char *m_mailbox,
	  const char *m_hash, const struct classification *c,
	  gint64 arrival_id, gint64 possible_of, GDateTime *now,
	  struct err *err)
{
	const struct centre *centre = config_centre_find(r->cfg, c->county);
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

	st = store_case_add(r->store, &cn, now, &case_id, &number, err);
	if (st == ST_OK)
		st = cases_opened(r->store, r->calendar, case_id, now, err);
	if (st == ST_OK)
		st = store_event_add(r->store, case_id, "lamplight", "received",
				     case_source_label(c->source), err);
	if (st == ST_OK)
		st = people_store(r->store, r->vault, case_id, &c->identity,
				  err);
	/* Who wrote takes part: a later letter naming the case is theirs. */
	if (st == ST_OK)
		st = thread_add_party(r->store, r->tokens, case_id,
				      m->from_addr, "writer", err);
	if (st == ST_OK)
		st = thread_add_party(r->store, r->tokens, case_id,
				      c->reply_addr, "writer", err);
	if (st == ST_OK && possible_of != 0)
		st = mark_possible_follow_up(r, case_id, possible_of, err);
	st = st == ST_OK ? add_needs(r, case_id, t, err) : st;
	for (guint i = 0; st == ST_OK && i < t->hits->len; i++) {
		const struct rule_hit *h =
			&g_array_index(t->hits, struct rule_hit, i);
		const char *vote = rule_vote(h->rule);

		st = store_reason_add(r->store, case_id, rule_id(h->rule), vote,
				      rule_weight(h->rule), h->start, h->end,
				      h->match, err);
	}
	if (st == ST_OK && c->reply_addr != NULL && centre != NULL)
		st = answer(r, centre, case_id, number, "ack", t, c->reply_addr,
			    m->message_id, now, &answer_said, err);
	if (st == ST_OK && t->urgency == URGENCY_EMERGENCY && centre != NULL)
		st = alert_duty(r, centre, case_id, number, c, now, err);
	if (st == ST_OK && centre != NULL) {
		struct staffmail sm = staff_side(r, centre);

		st = staffmail_notify(&sm, case_id, TRUE, t, c->new_text,
				      m->message_id, now, err);
	}
	if (st == ST_OK) {
		guint linked = 0;

		st = store_case_link_copies(r->store, case_id, m_mailbox,
					    m->message_id, m_hash, &linked,
					    err);
		if (st == ST_OK && linked > 0)
			report(r, "linked %s to %u case(s) of the same letter "
			       "in other centres", number, linked);
	}
	if (st == ST_OK) {
		r->stats->cases++;
		if (t->urgency == URGENCY_EMERGENCY)
			r->emergency = TRUE;
		report(r, "filed %s %s (%s)", number, urgency_name(t->urgency),
		       answer_said);
		log_info("filed case %s urgency %s", number,
			 urgency_name(t->urgency));
	}
	return st;
}

/*
 * A message whose reading overran the time cap in an earlier run: a new
 * string saying what the cap was, or NULL.
 */
static char *
poisoned(struct run *r, const char *name)
{
	g_autofree char *p = g_build_filename(r->cfg->state_dir, "poison",
					      name, NULL);
	char *cap = NULL;

	if (!g_file_get_contents(p, &cap, NULL, NULL))
		return NULL;
	return g_strstrip(cap);
}

/*
 * The watchdog's verdict: record the message as poison, durably, and
 * end the run; the next one quarantines it unread and goes on.
 */
static void
read_overrun(const char *name, void *data)
{
	const struct config *cfg = data;
	g_autofree char *dir = g_build_filename(cfg->state_dir, "poison",
						NULL);
	g_autofree char *p = g_build_filename(dir, name, NULL);
	g_autofree char *cap = g_strdup_printf("%u\n", watchdog_cap_ms());
	struct err err = { 0 };

	g_mkdir_with_parents(dir, 0700);
	if (file_write_durable(p, cap, strlen(cap), &err) != ST_OK)
		log_error("%s", err.msg);
	log_error("reading %s took over %u ms: stopping; the next run "
		  "quarantines it", name, watchdog_cap_ms());
	_exit(70);
}

static enum status
file_one(struct run *r, const char *name, struct err *err)
{
	g_autofree char *mailbox = spool_name_source(name);
	g_autofree char *cap = NULL;
	g_autoptr(GBytes) data = NULL;
	g_autoptr(GDateTime) now = twtime_now();
	struct mail_msg *m = NULL;
	struct classification *c = NULL;
	const struct centre *centre;
	struct classify_ctx ctx = { r->cfg, r->rules, NULL };
	struct arrival a = { 0 };
	struct err merr = { 0 };
	char hash[65];
	gboolean filed = FALSE;
	gint64 id = 0, dup = 0;
	struct thread_match tm = { 0 };
	enum status st;
	const void *bytes;
	gsize len;

	if (mailbox == NULL)
		mailbox = g_strdup("unknown");
	st = store_arrival_filed(r->store, name, &filed, err);
	if (st != ST_OK)
		return st;
	if (filed) {
		/* Committed by a run that died before the move: finish it. */
		return mark_done(r, name, err);
	}
	if ((cap = poisoned(r, name)) != NULL) {
		g_autofree char *key = g_strconcat("unread:", name, NULL);
		g_autofree char *why = g_strdup_printf(
			"reading it took over %s ms; quarantined unread", cap);

		return quarantine(r, name, mailbox, key, why, err);
	}
	st = spool_read(r->spool, name, r->cfg->max_message_bytes, &data,
			&merr);
	if (st == ST_MSG_BAD) {
		/* Unread, so no hash: never taken for a copy of another. */
		g_autofree char *key = g_strconcat("unread:", name, NULL);

		return quarantine(r, name, mailbox, key, merr.msg, err);
	}
	if (st != ST_OK)
		return err_set(err, st, "%s", merr.msg);
	bytes = g_bytes_get_data(data, &len);
	mail_body_hash(bytes, len, hash);
	/* Reading is timed: an overrun marks it poison and ends the run. */
	watchdog_arm(name);
	st = mail_parse(bytes, len, &m, &merr);
	if (st == ST_MSG_BAD) {
		watchdog_disarm();
		return quarantine(r, name, mailbox, hash, merr.msg, err);
	}
	if (st != ST_OK) {
		watchdog_disarm();
		return err_set(err, st, "%s", merr.msg);
	}
	centre = config_centre_find(r->cfg, mailbox);
	ctx.mailbox_county = centre != NULL ? centre->code : NULL;
	st = classify_mail(&ctx, m, &c, err);
	watchdog_disarm();
	if (st != ST_OK)
		goto out;

	a.spool_name = name;
	a.mailbox = mailbox;
	a.message_id = m->message_id;
	a.body_hash = hash;
	a.kind = kind_name(c->kind);
	a.county = c->county[0] ? c->county : NULL;
	a.urgency = c->triage ? urgency_name(c->triage->urgency) : NULL;

	/* One transaction: the arrival, its case and its answer. */
	st = store_begin(r->store, err);
	if (st == ST_OK)
		st = store_arrival_add(r->store, &a, &id, &dup, err);
	if (st == ST_OK && dup == 0 && c->kind == KIND_BOUNCE)
		st = file_bounce(r, m, id, err);
	if (st == ST_OK && dup == 0 && c->county[0] != '\0' &&
	    threads(c->kind)) {
		st = thread_find(r->store, r->tokens, m, c->county,
				 c->case_ref, &tm, err);
		if (st == ST_OK && tm.case_id != 0)
			st = attach(r, m, c, id, &tm, now, err);
		else if (st == ST_OK && kind_is_seeker(c->kind))
			st = open_case(r, m, mailbox, hash, c, id,
				       tm.possible_of, now, err);
	}
	if (st == ST_OK)
		st = store_commit(r->store, err);
	if (st != ST_OK) {
		store_rollback(r->store);
		goto out;
	}
	if (!r->in_group)
		step(r->opts);
	r->stats->filed++;
	if (dup != 0) {
		r->stats->duplicates++;
		log_info("%s is a copy of arrival %lld: nothing new", name,
			 (long long)dup);
	} else if (tm.case_id == 0 && !kind_is_seeker(c->kind)) {
		report(r, "filed %s from mailbox %s: %s, no new case", name,
		       mailbox, kind_name(c->kind));
	} else if (c->county[0] == '\0') {
		report(r, "filed %s: no centre could be told, no case", name);
	}
	/* COMMIT before the move to cur/: a crash in between is a no-op. */
	st = mark_done(r, name, err);
out:
	classification_free(c);
	mail_msg_free(m);
	return st;
}

static void send_emergencies(struct run *r);

/* Letters filed in one transaction at most: one sync for them all. */
#define FILE_GROUP_MAX 64
/* Letters left waiting, at most, while mailboxes are still fetched. */
#define FILE_BACKLOG_MAX 5000

static enum status
group_begin(struct run *r, struct err *err)
{
	enum status st = store_begin(r->store, err);

	r->in_group = st == ST_OK;
	return st;
}

/* Commits the group, then moves its spool files to cur/. */
static enum status
group_commit(struct run *r, struct err *err)
{
	enum status st = store_commit(r->store, err);

	r->in_group = FALSE;
	if (st != ST_OK) {
		store_rollback(r->store);
		g_ptr_array_set_size(r->done_later, 0);
		return st;
	}
	step(r->opts);
	for (guint i = 0; st == ST_OK && i < r->done_later->len; i++) {
		st = spool_mark_done(r->spool, r->done_later->pdata[i], err);
		if (st == ST_OK)
			step(r->opts);
	}
	g_ptr_array_set_size(r->done_later, 0);
	return st;
}

/*
 * Whether the letter in spool file name reads as an emergency: the same
 * reading as filing's, done ahead so that an emergency among many
 * letters is filed and answered first.  Anything unreadable is not.
 */
static gboolean
urgent(struct run *r, const char *name)
{
	g_autofree char *mailbox = spool_name_source(name);
	g_autoptr(GBytes) data = NULL;
	const struct centre *centre = config_centre_find(r->cfg,
							 mailbox ? mailbox : "");
	struct classify_ctx ctx = { r->cfg, r->rules,
				    centre != NULL ? centre->code : NULL };
	struct mail_msg *m = NULL;
	struct classification *c = NULL;
	struct err e = { 0 };
	gboolean yes = FALSE;
	const void *bytes;
	gsize len;
	g_autofree char *cap = poisoned(r, name);

	/* What overran the time cap once is not read again here. */
	if (cap != NULL || spool_read(r->spool, name,
				      r->cfg->max_message_bytes, &data,
				      &e) != ST_OK)
		return FALSE;
	bytes = g_bytes_get_data(data, &len);
	watchdog_arm(name);
	if (mail_parse(bytes, len, &m, &e) == ST_OK &&
	    classify_mail(&ctx, m, &c, &e) == ST_OK)
		yes = c->triage != NULL &&
		      c->triage->urgency == URGENCY_EMERGENCY &&
		      kind_is_seeker(c->kind);
	watchdog_disarm();
	classification_free(c);
	mail_msg_free(m);
	return yes;
}

/*
 * Files the letters in pending (spool names, taken out as filed).
 * Emergencies first, each in its own transaction and its mail sent at
 * once; then (unless urgent_only) the others, FILE_GROUP_MAX to a
 * transaction.  When events is given and mail arrives meanwhile, it
 * returns after the group, with the rest still pending, so that the new
 * mail is looked at first.
 */
static enum status
file_pending(struct run *r, GPtrArray *pending, GAsyncQueue *events,
	     gboolean urgent_only, struct err *err)
{
	enum status st = ST_OK;
	guint n = 0;

	/* Read ahead: which of them are emergencies. */
	for (guint i = 0; i < pending->len; i++) {
		const char *name = pending->pdata[i];

		if (!g_hash_table_contains(r->screened, name))
			g_hash_table_insert(r->screened, g_strdup(name),
					    GINT_TO_POINTER(urgent(r, name)
								    ? 1 : 2));
	}
	for (guint i = 0; st == ST_OK && i < pending->len;) {
		const char *name = pending->pdata[i];

		if (GPOINTER_TO_INT(g_hash_table_lookup(r->screened, name)) !=
		    1) {
			i++;
			continue;
		}
		st = group_begin(r, err);
		if (st == ST_OK)
			st = file_one(r, name, err);
		if (st == ST_OK)
			st = group_commit(r, err);
		if (st == ST_OK)
			send_emergencies(r);
		g_hash_table_remove(r->screened, name);
		g_ptr_array_remove_index(pending, i);
		progress(r, FALSE);
	}
	while (st == ST_OK && !urgent_only && pending->len > 0) {
		const char *name = pending->pdata[0];

		if (!r->in_group)
			st = group_begin(r, err);
		if (st == ST_OK)
			st = file_one(r, name, err);
		if (st != ST_OK)
			break;
		g_hash_table_remove(r->screened, name);
		g_ptr_array_remove_index(pending, 0);
		progress(r, FALSE);
		if (++n >= FILE_GROUP_MAX ||
		    (events != NULL && g_async_queue_length(events) > 0)) {
			st = group_commit(r, err);
			if (st != ST_OK || events != NULL)
				break;
			n = 0;
		}
	}
	if (r->in_group) {
		if (st == ST_OK) {
			st = group_commit(r, err);
		} else {
			store_rollback(r->store);
			r->in_group = FALSE;
			g_ptr_array_set_size(r->done_later, 0);
		}
	}
	if (st == ST_OK)
		send_emergencies(r);
	return st;
}

/* Files everything waiting in spool/new, oldest first, emergencies
 * before all. */
static enum status
file_spool(struct run *r, struct err *err)
{
	g_autoptr(GPtrArray) names = NULL;
	enum status st = spool_list_new(r->spool, &names, err);

	if (st == ST_OK)
		r->bar_total += names->len;
	while (st == ST_OK && names->len > 0)
		st = file_pending(r, names, NULL, FALSE, err);
	return st;
}

/*
 * Sends the emergencies' mail as soon as one is filed, so that one slow
 * mailbox does not hold back an answer found in another.
 */
static void
send_emergencies(struct run *r)
{
	g_autoptr(GDateTime) now = NULL;
	struct err err = { 0 };

	if (!r->emergency)
		return;
	r->emergency = FALSE;
	now = twtime_now();
	if (outbox_send_due(r->store, r->cfg, now, OUTBOX_PRIORITY_EMERGENCY,
			    &r->stats->out, mail_sent, (gpointer)r->opts,
			    &err) != ST_OK)
		log_warn("%s", err.msg);
}

/*
 * Fetching runs in a pool of threads, one mailbox per job, at most
 * fetch_concurrency at once.  A job talks to its server, writes into the
 * spool and records what it fetched through its own database connection,
 * and tells the main thread of each spooled message.  The main thread
 * files them as they come (so an emergency goes out at once), then lets
 * the job mark the server copies of what was filed.
 */
enum event_kind {
	EV_LISTED,	/* the job knows how many it will fetch: to_fetch */
	EV_SPOOLED,	/* name: a message is in spool/new */
	EV_FETCHED,	/* the job fetched all it will; waits for EV_GO */
	EV_FINISHED,	/* the job is over */
};

struct job {
	const struct centre *c;
	const struct run_opts *opts;
	const char *db_path;
	struct spool *spool;
	guint64 max_bytes;
	GAsyncQueue *events;	/* to the main thread: struct event */
	GAsyncQueue *go;	/* from the main thread: filing done */
	guint to_fetch;		/* for the progress bar, at EV_LISTED */
	gboolean fetch_over;	/* the main thread saw EV_FETCHED */
	/* Results, read by the main thread after EV_FINISHED. */
	guint fetched, left_on_server;
	gboolean failed;
	enum status fatal;	/* ST_OK, or what stops the whole run */
	struct err err;
	GPtrArray *report;
};

struct event {
	enum event_kind kind;
	struct job *job;
	char *name;
};

static void
post(struct job *j, enum event_kind kind, char *name)
{
	struct event *ev = g_new0(struct event, 1);

	ev->kind = kind;
	ev->job = j;
	ev->name = name;
	g_async_queue_push(j->events, ev);
}

static void G_GNUC_PRINTF(2, 3)
job_report(struct job *j, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	g_ptr_array_add(j->report, g_strdup_vprintf(fmt, ap));
	va_end(ap);
}

static void
job_fail(struct job *j, const struct err *e)
{
	j->failed = TRUE;
	j->err = *e;
	log_error("%s", e->msg);
	job_report(j, "mailbox %s skipped: %s", j->c->id, e->msg);
}

/* A batch: up to this many messages, or this many bytes, per round trip. */
#define FETCH_BATCH_MAX 200
#define FETCH_BATCH_BYTES (8u << 20)

/*
 * Spools one batch: fetch (one round trip), write each file, sync the
 * directory once, record the lot as fetched in one transaction, then
 * hand the names to the main thread.  A crash before the record costs a
 * re-fetch, which files as a duplicate.
 */
static enum status
job_batch(struct job *j, struct store *db, const struct fetch_ops *ops,
	  void *h, guint32 uidvalidity, GPtrArray *batch,
	  struct mailbox_run *mr)
{
	g_autofree GBytes **data = g_new0(GBytes *, batch->len + 1);
	g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GPtrArray) uids = g_ptr_array_new();
	struct err e = { 0 };
	enum status st = ST_OK;

	if (ops->fetch(h, (const char *const *)batch->pdata, batch->len, data,
		       &e) != ST_OK) {
		job_fail(j, &e);
		st = e.status;
		goto out;
	}
	for (guint i = 0; i < batch->len && st == ST_OK; i++) {
		const void *bytes;
		gsize len;
		char *name = NULL;

		if (data[i] == NULL) {
			log_warn("mailbox %s: message %s has gone",
				 j->c->id, (char *)batch->pdata[i]);
			continue;
		}
		bytes = g_bytes_get_data(data[i], &len);
		st = spool_write(j->spool, j->c->id, bytes, len, &name, &e);
		if (st == ST_OK) {
			g_ptr_array_add(names, name);
			g_ptr_array_add(uids, batch->pdata[i]);
		}
	}
	if (st == ST_OK && names->len > 0)
		st = spool_sync(j->spool, names, &e);
	if (st != ST_OK) {
		/* Written but unrecorded files are filed, not lost. */
		j->fatal = st;
		j->err = e;
		goto out;
	}
	if (names->len == 0)
		goto out;
	step(j->opts);
	st = store_begin(db, &e);
	for (guint i = 0; st == ST_OK && i < names->len; i++)
		st = store_fetched_add(db, j->c->id, uidvalidity,
				       uids->pdata[i], names->pdata[i], &e);
	if (st == ST_OK)
		st = store_commit(db, &e);
	if (st != ST_OK) {
		store_rollback(db);
		j->fatal = st;
		j->err = e;
		goto out;
	}
	step(j->opts);
	j->fetched += names->len;
	g_free((char *)mr->last_uid);
	mr->last_uid = g_strdup(uids->pdata[uids->len - 1]);
	for (guint i = 0; i < names->len; i++)
		post(j, EV_SPOOLED, g_strdup(names->pdata[i]));
out:
	for (guint i = 0; i < batch->len; i++)
		if (data[i] != NULL)
			g_bytes_unref(data[i]);
	return st;
}

/* Copies new messages into the spool, a batch at a time. */
static void
job_fetch(struct job *j, struct store *db, const struct fetch_ops *ops,
	  void *h, guint32 uidvalidity, struct mailbox_run *mr)
{
	g_autoptr(GPtrArray) entries = NULL;
	g_autoptr(GPtrArray) batch = g_ptr_array_new();
	struct err e = { 0 };
	guint32 since = 0;
	guint64 bytes = 0;
	enum status st;

	if (store_fetched_max_uid(db, j->c->id, uidvalidity, &since, &e) !=
	    ST_OK) {
		j->fatal = e.status;
		j->err = e;
		return;
	}
	/* Only IMAP numbers its messages; the others list everything. */
	if (ops != &fetch_imap_ops)
		since = 0;
	if (ops->list(h, since, &entries, &e) != ST_OK) {
		job_fail(j, &e);
		return;
	}
	mr->listed = entries->len;
	/* How many are new, for the progress bar: asked only for it. */
	if (j->opts->progress) {
		for (guint i = 0; i < entries->len; i++) {
			const struct fetch_entry *en = entries->pdata[i];
			gboolean has = FALSE;

			if (store_fetched_has(db, j->c->id, uidvalidity,
					      en->uid, &has, &e) == ST_OK &&
			    !has && en->size <= j->max_bytes)
				j->to_fetch++;
		}
		post(j, EV_LISTED, NULL);
	}
	for (guint i = 0; i <= entries->len; i++) {
		const struct fetch_entry *en =
			i < entries->len ? entries->pdata[i] : NULL;
		gboolean has = FALSE;

		if (en != NULL) {
			st = store_fetched_has(db, j->c->id, uidvalidity,
					       en->uid, &has, &e);
			if (st != ST_OK) {
				j->fatal = st;
				j->err = e;
				return;
			}
			if (has)
				continue;
			if (en->size > j->max_bytes) {
				/* Too big: it stays there, for a person. */
				j->left_on_server++;
				log_warn("mailbox %s: message %s is over the "
					 "size cap (%" G_GUINT64_FORMAT
					 " bytes); left on the server",
					 j->c->id, en->uid, en->size);
				job_report(j, "mailbox %s: message %s left on "
					   "the server: over the size cap",
					   j->c->id, en->uid);
				continue;
			}
			g_ptr_array_add(batch, en->uid);
			bytes += en->size;
		}
		if (batch->len > 0 &&
		    (en == NULL || batch->len >= FETCH_BATCH_MAX ||
		     bytes >= FETCH_BATCH_BYTES)) {
			if (job_batch(j, db, ops, h, uidvalidity, batch, mr) !=
			    ST_OK)
				return;
			g_ptr_array_set_size(batch, 0);
			bytes = 0;
		}
	}
}

/*
 * Marks at the source what was filed, then records it as done, but only
 * once the server has made it so (POP3 deletes at QUIT): a crash in
 * between marks it again next run, which is harmless.
 */
static void
job_done_at_source(struct job *j, struct store *db,
		   const struct fetch_ops *ops, void *h, guint32 uidvalidity)
{
	g_autoptr(GPtrArray) pending = NULL;
	struct err e = { 0 };
	guint n;

	if (store_fetched_pending(db, j->c->id, uidvalidity, &pending, &e) !=
	    ST_OK) {
		log_warn("%s", e.msg);
		return;
	}
	for (n = 0; n < pending->len; n++)
		if (ops->done(h, pending->pdata[n], &e) != ST_OK) {
			job_fail(j, &e);
			break;
		}
	if (n > 0 && ops->commit != NULL && ops->commit(h, &e) != ST_OK) {
		job_fail(j, &e);
		return;
	}
	for (guint i = 0; i < n; i++) {
		if (store_fetched_done(db, j->c->id, uidvalidity,
				       pending->pdata[i], &e) != ST_OK) {
			log_warn("%s", e.msg);
			return;
		}
		step(j->opts);
	}
}

static void
job_run(gpointer data, gpointer user_data)
{
	struct job *j = data;
	const struct fetch_ops *ops;
	struct store *db = NULL;
	struct mailbox_run mr = { .mailbox = j->c->id };
	g_autoptr(GDateTime) t0 = twtime_now();
	g_autoptr(GDateTime) t1 = NULL;
	g_autofree char *started = twtime_iso(t0), *finished = NULL;
	struct err e = { 0 };
	guint32 uidvalidity = 0;
	void *h = NULL;

	mr.started_at = started;
	if (store_open(j->db_path, &db, &e) != ST_OK) {
		j->fatal = e.status;
		j->err = e;
		goto out;
	}
	ops = fetch_ops_for(j->c->mailbox, &e);
	if (ops == NULL || ops->open(j->c, &h, &uidvalidity, &e) != ST_OK) {
		job_fail(j, &e);
		goto record;
	}
	mr.uidvalidity = uidvalidity;
	job_fetch(j, db, ops, h, uidvalidity, &mr);
	if (j->fatal == ST_OK && !j->failed) {
		/* Wait until the main thread has filed what we spooled. */
		post(j, EV_FETCHED, NULL);
		g_async_queue_pop(j->go);
		job_done_at_source(j, db, ops, h, uidvalidity);
	}
	ops->close(h);
record:
	t1 = twtime_now();
	finished = twtime_iso(t1);
	mr.finished_at = finished;
	mr.fetched = j->fetched;
	mr.left_on_server = j->left_on_server;
	mr.error = j->failed ? j->err.msg : NULL;
	if (store_mailbox_run_add(db, &mr, &e) != ST_OK)
		log_warn("%s", e.msg);
out:
	g_free((char *)mr.last_uid);
	store_close(db);
	post(j, EV_FINISHED, NULL);
}

/* Runs every fetching job, filing what they spool as it arrives. */
static enum status
fetch_all(struct run *r, struct err *err)
{
	g_autoptr(GPtrArray) jobs = g_ptr_array_new_with_free_func(g_free);
	GAsyncQueue *events = g_async_queue_new();
	g_autoptr(GPtrArray) pending = g_ptr_array_new_with_free_func(g_free);
	GThreadPool *pool;
	enum status st = ST_OK;
	guint running = 0, fetching = 0;

	for (guint i = 0; i < r->cfg->centres->len; i++) {
		const struct centre *c = r->cfg->centres->pdata[i];
		struct job *j;

		if (c->mailbox == NULL ||
		    (r->opts->only != NULL &&
		     g_ascii_strcasecmp(r->opts->only, c->code) != 0))
			continue;
		j = g_new0(struct job, 1);
		j->c = c;
		j->opts = r->opts;
		j->db_path = r->db_path;
		j->spool = r->spool;
		j->max_bytes = r->cfg->max_message_bytes;
		j->events = events;
		j->go = g_async_queue_new();
		j->report = g_ptr_array_new_with_free_func(g_free);
		g_ptr_array_add(jobs, j);
	}
	pool = g_thread_pool_new(job_run, NULL,
				 (gint)MAX(1u, r->cfg->fetch_concurrency),
				 FALSE, NULL);
	r->bar_boxes = jobs->len;
	for (guint i = 0; i < jobs->len; i++) {
		g_thread_pool_push(pool, jobs->pdata[i], NULL);
		running++;
		fetching++;
	}
	while (running > 0) {
		struct event *ev = NULL;
		struct job *j;

		/* Mail waiting to be filed: file some whenever no event
		 * is there to take first.  While mailboxes are still being
		 * fetched, only emergencies: the rest of their mail may
		 * hold another, and fetching it goes faster alone (a few
		 * tenths of a second for a thousand letters).  A silent
		 * server does not hold the others back for long. */
		if (pending->len > 0 && st == ST_OK) {
			ev = g_async_queue_try_pop(events);
			if (ev == NULL) {
				gboolean first = fetching > 0 &&
						 pending->len < FILE_BACKLOG_MAX;

				st = file_pending(r, pending, events, first,
						  err);
				if (!first)
					continue;
				ev = g_async_queue_timeout_pop(events, 200000);
				if (ev == NULL) {
					if (st == ST_OK)
						st = file_pending(r, pending,
								  events, FALSE,
								  err);
					continue;
				}
			}
		} else {
			ev = g_async_queue_pop(events);
		}
		j = ev->job;
		switch (ev->kind) {
		case EV_LISTED:
			r->bar_total += j->to_fetch;
			break;
		case EV_SPOOLED:
			/* After a fatal error, filing waits for next run. */
			if (st == ST_OK && !r->opts->fetch_only)
				g_ptr_array_add(pending, g_strdup(ev->name));
			break;
		case EV_FETCHED:
			fetching--;
			j->fetch_over = TRUE;
			/* All it spooled is filed before its source is
			 * touched. */
			while (st == ST_OK && pending->len > 0)
				st = file_pending(r, pending, NULL, FALSE, err);
			g_async_queue_push(j->go, GINT_TO_POINTER(1));
			break;
		case EV_FINISHED:
			running--;
			if (!j->fetch_over)
				fetching--;
			r->bar_boxes_done++;
			r->stats->fetched += j->fetched;
			r->stats->left_on_server += j->left_on_server;
			if (j->failed)
				r->stats->sources_failed++;
			for (guint k = 0; k < j->report->len; k++)
				g_ptr_array_add(r->stats->report,
						g_strdup(j->report->pdata[k]));
			if (j->fatal != ST_OK && st == ST_OK) {
				*err = j->err;
				st = j->fatal;
			}
			break;
		}
		g_free(ev->name);
		g_free(ev);
		progress(r, FALSE);
	}
	g_thread_pool_free(pool, FALSE, TRUE);
	while (st == ST_OK && pending->len > 0)
		st = file_pending(r, pending, NULL, FALSE, err);
	for (guint i = 0; i < jobs->len; i++) {
		struct job *j = jobs->pdata[i];

		g_async_queue_unref(j->go);
		g_ptr_array_free(j->report, TRUE);
	}
	g_async_queue_unref(events);
	return st;
}

enum status
run_once(const struct config *cfg, const struct run_opts *opts,
	 struct run_stats *stats, gboolean *locked, struct err *err)
{
	struct run r = { .cfg = cfg, .opts = opts, .stats = stats,
			 .bar = opts->progress && isatty(2) };
	g_autoptr(GPtrArray) done_later =
		g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GHashTable) screened = g_hash_table_new_full(
		g_str_hash, g_str_equal, g_free, NULL);
	g_autofree char *spool_dir = NULL;
	g_autoptr(GDateTime) now = NULL;
	int lock_fd = -1;
	enum status st;

	*locked = FALSE;
	r.done_later = done_later;
	r.screened = screened;
	st = take_lock(cfg->state_dir, &lock_fd, locked, err);
	if (st != ST_OK)
		return st;
	spool_dir = g_build_filename(cfg->state_dir, "spool", NULL);
	r.db_path = g_build_filename(cfg->state_dir, "lamplight.db", NULL);
	st = spool_open(spool_dir, &r.spool, err);
	if (st == ST_OK)
		st = store_open(r.db_path, &r.store, err);
	if (st == ST_OK)
		st = rules_load_dir(cfg->rules_dir, &r.rules, err);
	if (st == ST_OK && g_getenv("XDG_CACHE_HOME") == NULL) {
		/* Cron's user may have no home of its own: unless a cache
		 * is named, it goes with the state. */
		g_autofree char *cache =
			g_build_filename(cfg->state_dir, "cache", NULL);

		rules_set_cache_dir(r.rules, cache);
	}
	/* The prefilter is compiled (or read from its cache) now, not
	 * in the first letter's read time, which the watchdog caps. */
	if (st == ST_OK)
		rules_prepare(r.rules);
	if (st == ST_OK)
		st = cases_calendar(r.store, cfg->calendar, &r.calendar, err);
	if (st == ST_OK)
		st = tokens_open(cfg->token_key_file, TRUE, &r.tokens, err);
	if (st == ST_OK)
		st = vault_open(cfg->data_key_file, TRUE, &r.vault, err);
	if (st == ST_OK)
		st = notify_open(cfg->templates_dir, &r.notify, err);
	if (st == ST_OK)
		watchdog_start(read_overrun, (void *)cfg);
	/* Leftovers of an interrupted run go first, in arrival order. */
	if (st == ST_OK && !opts->fetch_only)
		st = file_spool(&r, err);
	if (st == ST_OK)
		send_emergencies(&r);
	if (st == ST_OK && !opts->no_fetch)
		st = fetch_all(&r, err);
	progress(&r, TRUE);
	progress_end(&r);
	if (st == ST_OK && !opts->fetch_only) {
		guint sealed = 0;

		/* The letters just filed, and any a crash left clear. */
		st = people_seal_letters(r.store, r.vault, letter_to_seal,
					 r.spool, &sealed, err);
		if (sealed > 0)
			log_debug("sealed %u letters", sealed);
	}
	if (st == ST_OK && !opts->fetch_only) {
		guint reminders = 0;

		now = twtime_now();
		st = remind_all(r.store, cfg, r.notify, now, &reminders, err);
		if (reminders > 0)
			report(&r, "queued %u reminder digest(s)", reminders);
	}
	if (st == ST_OK && !opts->fetch_only) {
		st = outbox_send_due(r.store, cfg, now, G_MAXINT, &stats->out,
				     mail_sent, (gpointer)opts,
				     err);
	}
	if (st == ST_OK && !opts->fetch_only) {
		guint erased = 0;

		st = people_erase_expired(r.store, now, cfg->retention_days,
					  forget_letter, r.spool, &erased,
					  err);
		if (erased > 0)
			report(&r, "erased the personal data of %u case(s) "
			       "closed over %u days", erased,
			       cfg->retention_days);
	}
	watchdog_stop();
	notify_close(r.notify);
	calendar_free(r.calendar);
	tokens_free(r.tokens);
	vault_free(r.vault);
	ruleset_free(r.rules);
	store_close(r.store);
	spool_close(r.spool);
	g_free(r.db_path);
	if (lock_fd >= 0)
		close(lock_fd);
	return st;
}
