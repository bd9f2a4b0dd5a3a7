/*
 * Filing the spool: each letter in spool/new is read (its time capped
 * by the watchdog), classified and recorded with what it does to the
 * cases in one transaction; then its file moves to cur/.  Letters go in
 * groups of FILE_GROUP_MAX to a transaction, emergencies first and
 * alone, so that their mail goes out at once.  What cannot be read is
 * quarantined, kept for a person; what overran the time cap once is
 * poison, quarantined unread by the next run.
 */
#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>

#include "casework.h"
#include "filing.h"
#include "log.h"
#include "watchdog.h"

struct filing {
	const struct config *cfg;
	const struct run_opts *opts;
	struct run_stats *stats;
	struct spool *spool;
	struct store *store;
	struct ruleset *rules;
	struct casework *cw;
	/* Letters filed in one transaction (group commit): the spool
	 * files to move to cur/ once it commits. */
	gboolean in_group;
	GPtrArray *done_later;
	GHashTable *screened;	/* name -> 1 urgent, 2 not (file_pending) */
};

/*
 * The spool file of a filed message goes to cur/: at once, or, inside a
 * group of letters, once the group's transaction commits (a crash
 * before leaves it in new/, to be filed again: nothing lost).
 */
static enum status
mark_done(struct filing *f, const char *name, struct err *err)
{
	enum status st;

	if (f->in_group) {
		g_ptr_array_add(f->done_later, g_strdup(name));
		return ST_OK;
	}
	st = spool_mark_done(f->spool, name, err);
	if (st == ST_OK)
		run_step(f->opts);
	return st;
}

/* Records a message that cannot be filed; its bytes stay in the spool. */
static enum status
quarantine(struct filing *f, const char *name, const char *mailbox,
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

	st = store_begin(f->store, err);
	if (st == ST_OK)
		st = store_arrival_add(f->store, &a, &id, &dup, err);
	if (st == ST_OK)
		st = store_commit(f->store, err);
	if (st != ST_OK) {
		store_rollback(f->store);
		return st;
	}
	if (!f->in_group)
		run_step(f->opts);
	f->stats->filed++;
	if (dup != 0) {
		f->stats->duplicates++;
	} else {
		f->stats->quarantined++;
		log_warn("quarantined %s: %s", name, why);
		run_report(f->stats, "quarantined %s: %s", name, why);
	}
	st = mark_done(f, name, &e2);
	if (st != ST_OK)
		log_warn("%s", e2.msg);
	return ST_OK;
}

/* Where the poison mark of spool file name is kept. */
static char *
poison_path(const struct config *cfg, const char *name)
{
	return g_build_filename(cfg->state_dir, "poison", name, NULL);
}

/*
 * A message whose reading overran the time cap in an earlier run: a new
 * string saying what the cap was, or NULL.
 */
static char *
poisoned(struct filing *f, const char *name)
{
	g_autofree char *p = poison_path(f->cfg, name);
	char *cap = NULL;

	if (!g_file_get_contents(p, &cap, NULL, NULL))
		return NULL;
	return g_strstrip(cap);
}

/* Records name as poison, durably: the next reading quarantines it
 * unread. */
static void
poison_mark(const struct config *cfg, const char *name)
{
	g_autofree char *p = poison_path(cfg, name);
	g_autofree char *dir = g_path_get_dirname(p);
	g_autofree char *cap = g_strdup_printf("%u\n", watchdog_cap_ms());
	struct err err = { 0 };

	g_mkdir_with_parents(dir, 0700);
	if (file_write_durable(p, cap, strlen(cap), &err) != ST_OK)
		log_error("%s", err.msg);
}

static void
poison_clear(const struct config *cfg, const char *name)
{
	g_autofree char *p = poison_path(cfg, name);

	if (g_unlink(p) != 0 && errno != ENOENT)
		log_warn("cannot remove %s: %s", p, g_strerror(errno));
}

/*
 * The watchdog's verdict on a reading stuck where it cannot give up:
 * record the message as poison and end the run; the next one
 * quarantines it unread and goes on.
 */
static void
read_stuck(const char *name, void *data)
{
	poison_mark(data, name);
	log_error("reading %s took over %u ms twice over: stopping; the "
		  "next run quarantines it", name, watchdog_cap_ms());
	_exit(70);
}

static enum status
file_one(struct filing *f, const char *name, struct err *err)
{
	g_autofree char *mailbox = spool_name_source(name);
	g_autofree char *cap = NULL;
	g_autoptr(GBytes) data = NULL;
	struct mail_msg *m = NULL;
	struct classification *c = NULL;
	const struct centre *centre;
	struct classify_ctx ctx = { f->cfg, f->rules, NULL };
	struct arrival a = { 0 };
	struct err merr = { 0 };
	char hash[65];
	gboolean filed = FALSE;
	gint64 id = 0, dup = 0;
	gboolean on_case = FALSE;
	enum status st;
	const void *bytes;
	gsize len;

	if (mailbox == NULL)
		mailbox = g_strdup("unknown");
	st = store_arrival_filed(f->store, name, &filed, err);
	if (st != ST_OK)
		return st;
	if (filed) {
		/* Committed by a run that died before the move: finish it. */
		return mark_done(f, name, err);
	}
	if ((cap = poisoned(f, name)) != NULL) {
		/* Over the cap ahead of filing, or in a run that died of
		 * it: not read again.  The mark has served once recorded. */
		g_autofree char *key = g_strconcat("unread:", name, NULL);
		g_autofree char *why = g_strdup_printf(
			"reading it took over %s ms: set aside", cap);

		st = quarantine(f, name, mailbox, key, why, err);
		if (st == ST_OK)
			poison_clear(f->cfg, name);
		return st;
	}
	st = spool_read(f->spool, name, f->cfg->max_message_bytes, &data,
			&merr);
	if (st == ST_MSG_BAD) {
		/* Unread, so no hash: never taken for a copy of another. */
		g_autofree char *key = g_strconcat("unread:", name, NULL);

		return quarantine(f, name, mailbox, key, merr.msg, err);
	}
	if (st != ST_OK)
		return err_set(err, st, "%s", merr.msg);
	bytes = g_bytes_get_data(data, &len);
	mail_body_hash(bytes, len, hash);
	/* Reading is timed: a letter over the cap is set aside, and the
	 * others go on. */
	watchdog_arm(name);
	st = mail_parse(bytes, len, &m, &merr);
	if (st == ST_OK) {
		centre = config_centre_find(f->cfg, mailbox);
		ctx.mailbox_county = centre != NULL ? centre->code : NULL;
		st = classify_mail(&ctx, m, &c, &merr);
	}
	if (watchdog_disarm()) {
		g_autofree char *why = g_strdup_printf(
			"reading it took over %u ms: set aside",
			watchdog_cap_ms());

		classification_free(c);
		mail_msg_free(m);
		return quarantine(f, name, mailbox, hash, why, err);
	}
	if (st == ST_MSG_BAD) {
		classification_free(c);
		mail_msg_free(m);
		return quarantine(f, name, mailbox, hash, merr.msg, err);
	}
	if (st != ST_OK) {
		err_set(err, st, "%s", merr.msg);
		goto out;
	}

	a.spool_name = name;
	a.mailbox = mailbox;
	a.message_id = m->message_id;
	a.body_hash = hash;
	a.kind = kind_name(c->kind);
	a.county = c->county[0] ? c->county : NULL;
	a.urgency = c->triage ? urgency_name(c->triage->urgency) : NULL;

	/* One transaction: the arrival, its case and its answer. */
	st = store_begin(f->store, err);
	if (st == ST_OK)
		st = store_arrival_add(f->store, &a, &id, &dup, err);
	if (st == ST_OK && dup == 0)
		st = casework_file(f->cw, m, c, mailbox, hash, id, &on_case,
				   err);
	if (st == ST_OK)
		st = store_commit(f->store, err);
	if (st != ST_OK) {
		store_rollback(f->store);
		goto out;
	}
	if (!f->in_group)
		run_step(f->opts);
	f->stats->filed++;
	if (dup != 0) {
		f->stats->duplicates++;
		log_info("%s is a copy of arrival %lld: nothing new", name,
			 (long long)dup);
	} else if (!on_case && !kind_is_seeker(c->kind)) {
		run_report(f->stats, "filed %s from mailbox %s: %s, no new case", name,
		       mailbox, kind_name(c->kind));
	} else if (c->county[0] == '\0') {
		run_report(f->stats, "filed %s: no centre could be told, no case", name);
	}
	/* COMMIT before the move to cur/: a crash in between is a no-op. */
	st = mark_done(f, name, err);
out:
	classification_free(c);
	mail_msg_free(m);
	return st;
}

/* Letters filed in one transaction at most: one sync for them all. */
#define FILE_GROUP_MAX 64

static enum status
group_begin(struct filing *f, struct err *err)
{
	enum status st = store_begin(f->store, err);

	f->in_group = st == ST_OK;
	return st;
}

/* Commits the group, then moves its spool files to cur/. */
static enum status
group_commit(struct filing *f, struct err *err)
{
	enum status st = store_commit(f->store, err);

	f->in_group = FALSE;
	if (st != ST_OK) {
		store_rollback(f->store);
		g_ptr_array_set_size(f->done_later, 0);
		return st;
	}
	run_step(f->opts);
	for (guint i = 0; st == ST_OK && i < f->done_later->len; i++) {
		st = spool_mark_done(f->spool, f->done_later->pdata[i], err);
		if (st == ST_OK)
			run_step(f->opts);
	}
	g_ptr_array_set_size(f->done_later, 0);
	return st;
}

/*
 * Whether the letter in spool file name reads as an emergency: the same
 * reading as filing's, done ahead so that an emergency among many
 * letters is filed and answered first.  Anything unreadable is not.
 */
static gboolean
urgent(struct filing *f, const char *name)
{
	g_autofree char *mailbox = spool_name_source(name);
	g_autoptr(GBytes) data = NULL;
	const struct centre *centre = config_centre_find(f->cfg,
							 mailbox ? mailbox : "");
	struct classify_ctx ctx = { f->cfg, f->rules,
				    centre != NULL ? centre->code : NULL };
	struct mail_msg *m = NULL;
	struct classification *c = NULL;
	struct err e = { 0 };
	gboolean yes = FALSE;
	const void *bytes;
	gsize len;
	g_autofree char *cap = poisoned(f, name);

	/* What overran the time cap once is not read again here. */
	if (cap != NULL || spool_read(f->spool, name,
				      f->cfg->max_message_bytes, &data,
				      &e) != ST_OK)
		return FALSE;
	bytes = g_bytes_get_data(data, &len);
	watchdog_arm(name);
	if (mail_parse(bytes, len, &m, &e) == ST_OK &&
	    classify_mail(&ctx, m, &c, &e) == ST_OK)
		yes = c->triage != NULL &&
		      c->triage->urgency == URGENCY_EMERGENCY &&
		      kind_is_seeker(c->kind);
	if (watchdog_disarm()) {
		/* Over the cap: filing quarantines it without reading it
		 * a second time. */
		poison_mark(f->cfg, name);
		yes = FALSE;
	}
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
enum status
filing_pending(struct filing *f, GPtrArray *pending, GAsyncQueue *events,
	     gboolean urgent_only, struct err *err)
{
	enum status st = ST_OK;
	guint n = 0;

	/* Read ahead: which of them are emergencies. */
	for (guint i = 0; i < pending->len; i++) {
		const char *name = pending->pdata[i];

		if (!g_hash_table_contains(f->screened, name))
			g_hash_table_insert(f->screened, g_strdup(name),
					    GINT_TO_POINTER(urgent(f, name)
								    ? 1 : 2));
	}
	for (guint i = 0; st == ST_OK && i < pending->len;) {
		const char *name = pending->pdata[i];

		if (GPOINTER_TO_INT(g_hash_table_lookup(f->screened, name)) !=
		    1) {
			i++;
			continue;
		}
		st = group_begin(f, err);
		if (st == ST_OK)
			st = file_one(f, name, err);
		if (st == ST_OK)
			st = group_commit(f, err);
		if (st == ST_OK)
			casework_send_urgent(f->cw);
		g_hash_table_remove(f->screened, name);
		g_ptr_array_remove_index(pending, i);
		run_progress(f->opts, f->stats);
	}
	while (st == ST_OK && !urgent_only && pending->len > 0) {
		const char *name = pending->pdata[0];

		if (!f->in_group)
			st = group_begin(f, err);
		if (st == ST_OK)
			st = file_one(f, name, err);
		if (st != ST_OK)
			break;
		g_hash_table_remove(f->screened, name);
		g_ptr_array_remove_index(pending, 0);
		run_progress(f->opts, f->stats);
		if (++n >= FILE_GROUP_MAX ||
		    (events != NULL && g_async_queue_length(events) > 0)) {
			st = group_commit(f, err);
			if (st != ST_OK || events != NULL)
				break;
			n = 0;
		}
	}
	if (f->in_group) {
		if (st == ST_OK) {
			st = group_commit(f, err);
		} else {
			store_rollback(f->store);
			f->in_group = FALSE;
			g_ptr_array_set_size(f->done_later, 0);
		}
	}
	if (st == ST_OK)
		casework_send_urgent(f->cw);
	return st;
}

/* Files everything waiting in spool/new, oldest first, emergencies
 * before all. */
enum status
filing_spool(struct filing *f, struct err *err)
{
	g_autoptr(GPtrArray) names = NULL;
	enum status st = spool_list_new(f->spool, &names, err);

	if (st == ST_OK)
		f->stats->to_file += names->len;
	while (st == ST_OK && names->len > 0)
		st = filing_pending(f, names, NULL, FALSE, err);
	return st;
}

enum status
filing_open(const struct config *cfg, const struct run_opts *opts,
	    struct run_stats *stats, struct spool *spool, struct store *store,
	    struct casework *cw, struct filing **out, struct err *err)
{
	struct filing *f = g_new0(struct filing, 1);
	enum status st;

	f->cfg = cfg;
	f->opts = opts;
	f->stats = stats;
	f->spool = spool;
	f->store = store;
	f->cw = cw;
	f->done_later = g_ptr_array_new_with_free_func(g_free);
	f->screened = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					    NULL);
	st = rules_load_dir(cfg->rules_dir, &f->rules, err);
	if (st != ST_OK) {
		filing_close(f);
		return st;
	}
	if (g_getenv("XDG_CACHE_HOME") == NULL) {
		/* Cron's user may have no home of its own: unless a cache
		 * is named, it goes with the state. */
		g_autofree char *cache =
			g_build_filename(cfg->state_dir, "cache", NULL);

		rules_set_cache_dir(f->rules, cache);
	}
	/* The prefilter is compiled (or read from its cache) now, not
	 * in the first letter's read time, which the watchdog caps. */
	rules_prepare(f->rules);
	casework_set_rules(cw, f->rules);
	watchdog_start(read_stuck, (void *)cfg);
	*out = f;
	return ST_OK;
}

void
filing_close(struct filing *f)
{
	if (f == NULL)
		return;
	if (f->rules != NULL)
		watchdog_stop();
	ruleset_free(f->rules);
	g_ptr_array_free(f->done_later, TRUE);
	g_hash_table_unref(f->screened);
	g_free(f);
}
