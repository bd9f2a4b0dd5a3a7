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
#include <string.h>
#include <unistd.h>

#include "classify.h"
#include "fetch.h"
#include "log.h"
#include "mime.h"
#include "notify.h"
#include "run.h"
#include "spool.h"
#include "store.h"
#include "twtime.h"

struct run {
	const struct config *cfg;
	const struct run_opts *opts;
	struct run_stats *stats;
	struct spool *spool;
	struct store *store;
	struct ruleset *rules;
	struct notify *notify;
	guint steps;
};

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
step(struct run *r)
{
	r->steps++;
	if (r->opts->stop_after != 0 && r->steps >= r->opts->stop_after)
		_exit(RUN_EXIT_STOPPED);
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
	step(r);
	r->stats->filed++;
	if (dup != 0) {
		r->stats->duplicates++;
	} else {
		r->stats->quarantined++;
		log_warn("quarantined %s: %s", name, why);
		report(r, "quarantined %s: %s", name, why);
	}
	st = spool_mark_done(r->spool, name, &e2);
	if (st == ST_OK)
		step(r);
	else
		log_warn("%s", e2.msg);
	return ST_OK;
}

/* Inside the transaction: a new case, its reasons, its answer. */
static enum status
open_case(struct run *r, const struct mail_msg *m,
	  const struct classification *c, gint64 arrival_id,
	  GDateTime *now, struct err *err)
{
	const struct centre *centre = config_centre_find(r->cfg, c->county);
	const struct triage *t = c->triage;
	struct case_new cn = {
		.county = c->county,
		.urgency = urgency_name(t->urgency),
		.source = c->from_form ? "webform" : "direct",
		.subject = c->subject,
		.reply_addr = c->reply_addr,
		.arrival_id = arrival_id,
	};
	g_autofree char *number = NULL;
	struct outgoing *ack = NULL;
	const char *answer = "no answer: no address";
	gint64 case_id;
	enum status st;

	st = store_case_add(r->store, &cn, now, &case_id, &number, err);
	if (st == ST_OK)
		st = store_event_add(r->store, case_id, "lamplight", "received",
				     c->from_form ? "web form" : "direct mail",
				     err);
	for (guint i = 0; st == ST_OK && i < t->hits->len; i++) {
		const struct rule_hit *h =
			&g_array_index(t->hits, struct rule_hit, i);
		const char *vote = rule_urgency(h->rule) != URGENCY_NONE
					   ? urgency_name(rule_urgency(h->rule))
					   : rule_need(h->rule);

		st = store_reason_add(r->store, case_id, rule_id(h->rule), vote,
				      rule_weight(h->rule), h->start, h->end,
				      h->match, err);
	}
	if (st == ST_OK && c->reply_addr != NULL && centre != NULL) {
		struct err e2 = { 0 };

		/* An unusable address costs the answer, not the case. */
		if (notify_build_ack(r->notify, centre, number, t->urgency,
				     c->reply_addr, m->message_id, now, &ack,
				     &e2) == ST_OK) {
			st = store_outbox_add(
				r->store, case_id, "ack",
				t->urgency == URGENCY_EMERGENCY ? 0 : 5,
				ack->message_id, ack->env_from, ack->rcpt,
				ack->data, ack->len, err);
			answer = "acknowledgement queued";
		} else {
			answer = "no answer: address unusable";
		}
	}
	outgoing_free(ack);
	if (st == ST_OK) {
		r->stats->cases++;
		report(r, "filed %s %s (%s)", number, urgency_name(t->urgency),
		       answer);
		log_info("filed case %s urgency %s", number,
			 urgency_name(t->urgency));
	}
	return st;
}

static enum status
file_one(struct run *r, const char *name, struct err *err)
{
	g_autofree char *mailbox = spool_name_source(name);
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
		st = spool_mark_done(r->spool, name, err);
		if (st == ST_OK)
			step(r);
		return st;
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
	st = mail_parse(bytes, len, &m, &merr);
	if (st == ST_MSG_BAD)
		return quarantine(r, name, mailbox, hash, merr.msg, err);
	if (st != ST_OK)
		return err_set(err, st, "%s", merr.msg);

	centre = config_centre_find(r->cfg, mailbox);
	ctx.mailbox_county = centre != NULL ? centre->code : NULL;
	st = classify_mail(&ctx, m, &c, err);
	if (st != ST_OK)
		goto out;

	a.spool_name = name;
	a.mailbox = mailbox;
	a.message_id = m->message_id;
	a.body_hash = m->body_hash;
	a.kind = kind_name(c->kind);
	a.county = c->county[0] ? c->county : NULL;
	a.urgency = c->triage ? urgency_name(c->triage->urgency) : NULL;

	/* One transaction: the arrival, its case and its answer. */
	st = store_begin(r->store, err);
	if (st == ST_OK)
		st = store_arrival_add(r->store, &a, &id, &dup, err);
	if (st == ST_OK && dup == 0 && c->kind == KIND_HELP_REQUEST &&
	    c->county[0] != '\0')
		st = open_case(r, m, c, id, now, err);
	if (st == ST_OK)
		st = store_commit(r->store, err);
	if (st != ST_OK) {
		store_rollback(r->store);
		goto out;
	}
	step(r);
	r->stats->filed++;
	if (dup != 0) {
		r->stats->duplicates++;
		log_info("%s is a copy of arrival %lld: nothing new", name,
			 (long long)dup);
	} else if (c->kind != KIND_HELP_REQUEST) {
		report(r, "filed %s from mailbox %s: %s, no new case", name,
		       mailbox, kind_name(c->kind));
	} else if (c->county[0] == '\0') {
		report(r, "filed %s: no centre could be told, no case", name);
	}
	/* COMMIT before the move to cur/: a crash in between is a no-op. */
	st = spool_mark_done(r->spool, name, err);
	if (st == ST_OK)
		step(r);
out:
	classification_free(c);
	mail_msg_free(m);
	return st;
}

/* Files everything waiting in spool/new, oldest first. */
static enum status
file_spool(struct run *r, struct err *err)
{
	g_autoptr(GPtrArray) names = NULL;
	enum status st = spool_list_new(r->spool, &names, err);

	for (guint i = 0; st == ST_OK && i < names->len; i++) {
		st = file_one(r, names->pdata[i], err);
		if (st == ST_MSG_BAD) {
			/* Already recorded; the run goes on. */
			st = ST_OK;
		}
	}
	return st;
}

/* Marks at the source what was filed; failures wait for the next run. */
static void
source_done(struct run *r, const struct centre *c,
	    const struct fetch_ops *ops, void *h, guint32 uidvalidity)
{
	g_autoptr(GPtrArray) pending = NULL;
	struct err err = { 0 };

	if (store_fetched_pending(r->store, c->id, uidvalidity, &pending,
				  &err) != ST_OK) {
		log_warn("%s", err.msg);
		return;
	}
	for (guint i = 0; i < pending->len; i++) {
		const char *uid = pending->pdata[i];

		if (ops->done(h, uid, c->after_fetch, &err) != ST_OK ||
		    store_fetched_done(r->store, c->id, uidvalidity, uid,
				       &err) != ST_OK) {
			log_warn("%s", err.msg);
			return;
		}
		step(r);
	}
}

static enum status
fetch_source(struct run *r, const struct centre *c, struct err *err)
{
	const struct fetch_ops *ops;
	g_autoptr(GPtrArray) entries = NULL;
	struct err serr = { 0 };
	guint32 uidvalidity = 0, since = 0;
	void *h = NULL;
	enum status st;

	ops = fetch_ops_for(c->mailbox, &serr);
	if (ops == NULL || ops->open(c, &h, &uidvalidity, &serr) != ST_OK) {
		r->stats->sources_failed++;
		log_error("%s", serr.msg);
		report(r, "mailbox %s skipped: %s", c->id, serr.msg);
		return ST_OK;
	}
	st = store_fetched_max_uid(r->store, c->id, uidvalidity, &since, err);
	if (st == ST_OK && ops->list(h, ops == &fetch_imap_ops ? since : 0,
				     &entries, &serr) != ST_OK) {
		r->stats->sources_failed++;
		log_error("%s", serr.msg);
		report(r, "mailbox %s skipped: %s", c->id, serr.msg);
		ops->close(h);
		return ST_OK;
	}
	for (guint i = 0; st == ST_OK && i < entries->len; i++) {
		const struct fetch_entry *e = entries->pdata[i];
		g_autoptr(GBytes) data = NULL;
		g_autofree char *name = NULL;
		gboolean has = FALSE;
		const void *bytes;
		gsize len;

		st = store_fetched_has(r->store, c->id, uidvalidity, e->uid,
				       &has, err);
		if (st != ST_OK || has)
			continue;
		if (e->size > r->cfg->max_message_bytes) {
			/* Too big to take: it stays where it is, for a person. */
			r->stats->left_on_server++;
			log_warn("mailbox %s: message %s is over the size cap "
				 "(%" G_GUINT64_FORMAT " bytes); left on the "
				 "server", c->id, e->uid, e->size);
			continue;
		}
		if (ops->fetch(h, e->uid, &data, &serr) != ST_OK) {
			log_warn("%s", serr.msg);
			if (serr.status == ST_MSG_BAD)
				continue;
			r->stats->sources_failed++;
			break;
		}
		bytes = g_bytes_get_data(data, &len);
		st = spool_deliver(r->spool, c->id, bytes, len, &name, err);
		if (st != ST_OK)
			break;
		step(r);
		/* A crash here re-fetches; the copy files as a duplicate. */
		st = store_fetched_add(r->store, c->id, uidvalidity, e->uid,
				       name, err);
		if (st == ST_OK)
			step(r);
		r->stats->fetched++;
	}
	if (st == ST_OK)
		st = file_spool(r, err);
	if (st == ST_OK)
		source_done(r, c, ops, h, uidvalidity);
	ops->close(h);
	return st;
}

enum status
run_once(const struct config *cfg, const struct run_opts *opts,
	 struct run_stats *stats, gboolean *locked, struct err *err)
{
	struct run r = { .cfg = cfg, .opts = opts, .stats = stats };
	g_autofree char *spool_dir = NULL, *db = NULL;
	g_autoptr(GDateTime) now = NULL;
	int lock_fd = -1;
	enum status st;

	*locked = FALSE;
	st = take_lock(cfg->state_dir, &lock_fd, locked, err);
	if (st != ST_OK)
		return st;
	spool_dir = g_build_filename(cfg->state_dir, "spool", NULL);
	db = g_build_filename(cfg->state_dir, "lamplight.db", NULL);
	st = spool_open(spool_dir, &r.spool, err);
	if (st == ST_OK)
		st = store_open(db, &r.store, err);
	if (st == ST_OK)
		st = rules_load_dir(cfg->rules_dir, &r.rules, err);
	if (st == ST_OK)
		st = notify_open(cfg->templates_dir, &r.notify, err);
	/* Leftovers of an interrupted run go first, in arrival order. */
	if (st == ST_OK)
		st = file_spool(&r, err);
	for (guint i = 0; st == ST_OK && i < cfg->centres->len; i++) {
		const struct centre *c = cfg->centres->pdata[i];

		if (c->mailbox == NULL ||
		    (opts->only != NULL &&
		     g_ascii_strcasecmp(opts->only, c->code) != 0))
			continue;
		st = fetch_source(&r, c, err);
	}
	if (st == ST_OK) {
		now = twtime_now();
		st = outbox_send_due(r.store, cfg, now, &stats->out, err);
	}
	notify_close(r.notify);
	ruleset_free(r.rules);
	store_close(r.store);
	spool_close(r.spool);
	if (lock_fd >= 0)
		close(lock_fd);
	return st;
}
