/*
 * Fetching runs in a pool of threads, one mailbox per job, at most
 * fetch_concurrency at once.  A job talks to its server, writes into the
 * spool and records what it fetched through its own database connection,
 * and tells the main thread of each spooled message.  The main thread
 * files them as they come (so an emergency goes out at once), then lets
 * the job mark the server copies of what was filed.
 */
#include <string.h>

#include "fetch.h"
#include "fetchpool.h"
#include "log.h"
#include "twtime.h"

/* Letters left waiting, at most, while mailboxes are still fetched. */
#define FILE_BACKLOG_MAX 5000

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
	guint first_run_limit;	/* 0: none, or the run may pass it */
	GAsyncQueue *events;	/* to the main thread: struct event */
	GAsyncQueue *go;	/* from the main thread: filing done */
	guint to_fetch;		/* for the progress bar, at EV_LISTED */
	gboolean fetch_over;	/* the main thread saw EV_FETCHED */
	/* Results, read by the main thread after EV_FINISHED. */
	guint fetched, left_on_server;
	gboolean failed;
	gboolean waiting;	/* a first run over first_run_limit */
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
	run_step(j->opts);
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
	run_step(j->opts);
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

/*
 * Letters of this mailbox recorded as fetched whose spool file is gone
 * before they were filed (nothing else of this mailbox is in flight
 * yet): marked lost, to be fetched again below, since their source copy
 * is marked only once they are filed.  FALSE on a database error.
 */
static gboolean
job_reclaim(struct job *j, struct store *db, guint32 uidvalidity)
{
	g_autoptr(GPtrArray) uids = NULL, names = NULL;
	struct err e = { 0 };
	enum status st;

	st = store_fetched_unfiled(db, j->c->id, uidvalidity, &uids, &names,
				   &e);
	for (guint i = 0; st == ST_OK && i < uids->len; i++) {
		if (spool_has(j->spool, names->pdata[i]))
			continue;
		log_warn("mailbox %s: message %s was fetched, but its spool "
			 "file %s is gone before it was filed: fetching it "
			 "again", j->c->id, (char *)uids->pdata[i],
			 (char *)names->pdata[i]);
		job_report(j, "mailbox %s: message %s lost from the spool: "
			   "fetched again", j->c->id, (char *)uids->pdata[i]);
		st = store_fetched_lost(db, j->c->id, uidvalidity,
					uids->pdata[i], &e);
	}
	if (st != ST_OK) {
		j->fatal = st;
		j->err = e;
	}
	return st == ST_OK;
}

/*
 * Whether a first run of this mailbox is to wait for a person: never
 * fetched from before, and more letters there than first_run_limit.  A
 * first run answers every letter it files: on a mailbox of years of
 * mail, a flood of answers to old letters and of notices to staff.
 */
static gboolean
job_first_run_waits(struct job *j, struct store *db, guint letters)
{
	gboolean known = TRUE;
	struct err e = { 0 };

	if (j->first_run_limit == 0 || letters <= j->first_run_limit)
		return FALSE;
	if (store_mailbox_known(db, j->c->id, &known, &e) != ST_OK) {
		j->fatal = e.status;
		j->err = e;
		return TRUE;
	}
	if (known)
		return FALSE;
	j->waiting = TRUE;
	err_set(&j->err, ST_SOURCE_BAD, "mailbox %s: a first run finds %u "
		"letters, over first_run_limit (%u): nothing fetched.  File "
		"them without answering anyone with 'lamplight run --no-send "
		"--only %s', or answer them all with 'lamplight run "
		"--first-run --only %s'", j->c->id, letters, j->first_run_limit,
		j->c->code, j->c->code);
	log_error("%s", j->err.msg);
	job_report(j, "%s", j->err.msg);
	return TRUE;
}

/* Copies new messages into the spool, a batch at a time. */
static void
job_fetch(struct job *j, struct store *db, const struct fetch_ops *ops,
	  void *h, guint32 uidvalidity, struct mailbox_run *mr)
{
	g_autoptr(GPtrArray) entries = NULL;
	g_autoptr(GPtrArray) batch = g_ptr_array_new();
	struct err e = { 0 };
	guint32 since = 0, lost = 0;
	guint64 bytes = 0;
	enum status st;

	if (store_fetched_max_uid(db, j->c->id, uidvalidity, &since, &e) !=
		    ST_OK ||
	    store_fetched_min_lost(db, j->c->id, uidvalidity, &lost, &e) !=
		    ST_OK) {
		j->fatal = e.status;
		j->err = e;
		return;
	}
	/* Listed from the first lost one on: it is to be fetched again. */
	if (lost > 0)
		since = MIN(since, lost - 1);
	/* Only IMAP numbers its messages; the others list everything. */
	if (ops != &fetch_imap_ops)
		since = 0;
	if (ops->list(h, since, &entries, &e) != ST_OK) {
		job_fail(j, &e);
		return;
	}
	mr->listed = entries->len;
	if (job_first_run_waits(j, db, entries->len))
		return;
	/* How many are new, for the progress bar: asked only for it. */
	if (j->opts->progress != NULL) {
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
		run_step(j->opts);
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
	if (job_reclaim(j, db, uidvalidity))
		job_fetch(j, db, ops, h, uidvalidity, &mr);
	if (j->fatal == ST_OK && !j->failed && !j->waiting) {
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
	mr.error = j->failed || j->waiting ? j->err.msg : NULL;
	if (store_mailbox_run_add(db, &mr, &e) != ST_OK)
		log_warn("%s", e.msg);
out:
	g_free((char *)mr.last_uid);
	store_close(db);
	post(j, EV_FINISHED, NULL);
}

/* Runs every fetching job, filing what they spool as it arrives. */
enum status
fetchpool_run(const struct config *cfg, const struct run_opts *opts,
	      struct run_stats *stats, struct spool *spool,
	      const char *db_path, struct filing *f, struct err *err)
{
	g_autoptr(GPtrArray) jobs = g_ptr_array_new_with_free_func(g_free);
	GAsyncQueue *events = g_async_queue_new();
	g_autoptr(GPtrArray) pending = g_ptr_array_new_with_free_func(g_free);
	GThreadPool *pool;
	enum status st = ST_OK;
	guint running = 0, fetching = 0;

	for (guint i = 0; i < cfg->centres->len; i++) {
		const struct centre *c = cfg->centres->pdata[i];
		struct job *j;

		if (c->mailbox == NULL ||
		    (opts->only != NULL &&
		     g_ascii_strcasecmp(opts->only, c->code) != 0))
			continue;
		j = g_new0(struct job, 1);
		j->c = c;
		j->opts = opts;
		j->db_path = db_path;
		j->spool = spool;
		j->max_bytes = cfg->max_message_bytes;
		j->first_run_limit = opts->no_send || opts->first_run_ok
					     ? 0
					     : cfg->first_run_limit;
		j->events = events;
		j->go = g_async_queue_new();
		j->report = g_ptr_array_new_with_free_func(g_free);
		g_ptr_array_add(jobs, j);
	}
	pool = g_thread_pool_new(job_run, NULL,
				 (gint)MAX(1u, cfg->fetch_concurrency),
				 FALSE, NULL);
	stats->mailboxes = jobs->len;
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

				st = filing_pending(f, pending, events, first,
						  err);
				if (!first)
					continue;
				ev = g_async_queue_timeout_pop(events, 200000);
				if (ev == NULL) {
					if (st == ST_OK)
						st = filing_pending(f, pending,
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
			stats->to_file += j->to_fetch;
			break;
		case EV_SPOOLED:
			/* After a fatal error, filing waits for next run. */
			if (st == ST_OK && !opts->fetch_only)
				g_ptr_array_add(pending, g_strdup(ev->name));
			break;
		case EV_FETCHED:
			fetching--;
			j->fetch_over = TRUE;
			/* All it spooled is filed before its source is
			 * touched. */
			while (st == ST_OK && pending->len > 0)
				st = filing_pending(f, pending, NULL, FALSE, err);
			g_async_queue_push(j->go, GINT_TO_POINTER(1));
			break;
		case EV_FINISHED:
			running--;
			if (!j->fetch_over)
				fetching--;
			stats->mailboxes_done++;
			stats->fetched += j->fetched;
			stats->left_on_server += j->left_on_server;
			if (j->failed)
				stats->sources_failed++;
			if (j->waiting)
				stats->first_run_waiting++;
			for (guint k = 0; k < j->report->len; k++)
				g_ptr_array_add(stats->report,
						g_strdup(j->report->pdata[k]));
			if (j->fatal != ST_OK && st == ST_OK) {
				*err = j->err;
				st = j->fatal;
			}
			break;
		}
		g_free(ev->name);
		g_free(ev);
		run_progress(opts, stats);
	}
	g_thread_pool_free(pool, FALSE, TRUE);
	while (st == ST_OK && pending->len > 0)
		st = filing_pending(f, pending, NULL, FALSE, err);
	for (guint i = 0; i < jobs->len; i++) {
		struct job *j = jobs->pdata[i];

		g_async_queue_unref(j->go);
		g_ptr_array_free(j->report, TRUE);
	}
	g_async_queue_unref(events);
	return st;
}
