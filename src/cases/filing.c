/*
 * Filing the spool: each letter in spool/new is read (its time capped
 * by the watchdog), classified and recorded with what it does to the
 * cases in one transaction; then its file moves to cur/.  Reading is
 * reader.h's.  Letters go in
 * groups of FILE_GROUP_MAX to a transaction, emergencies first and
 * alone, so that their mail goes out at once.  What cannot be read is
 * quarantined, kept for a person; what overran the time cap once is
 * poison, quarantined unread by the next run.
 */
#include "casework.h"
#include "filing.h"
#include "log.h"
#include "reader.h"

struct filing {
	const struct config *cfg;
	const struct run_opts *opts;
	struct run_stats *stats;
	struct spool *spool;
	struct store *store;
	struct reader *reader;	/* the rules, the watchdog */
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

static enum status
file_one(struct filing *f, const char *name, struct err *err)
{
	g_autofree char *mailbox = spool_name_source(name);
	g_autofree char *key = NULL, *why = NULL;
	struct reader_letter *l = NULL;
	const struct classification *c;
	struct arrival a = { 0 };
	gboolean filed = FALSE, poisoned = FALSE;
	gint64 id = 0, dup = 0;
	gboolean on_case = FALSE;
	enum status st;

	if (mailbox == NULL)
		mailbox = g_strdup("unknown");
	st = store_arrival_filed(f->store, name, &filed, err);
	if (st != ST_OK)
		return st;
	if (filed) {
		/* Committed by a run that died before the move: finish it. */
		return mark_done(f, name, err);
	}
	st = reader_read(f->reader, name, mailbox, &l, &key, &why, &poisoned,
			 err);
	if (st == ST_MSG_BAD) {
		st = quarantine(f, name, mailbox, key, why, err);
		if (st == ST_OK && poisoned)
			reader_poison_clear(f->reader, name);
		return st;
	}
	if (st != ST_OK)
		return st;
	c = l->c;

	a.spool_name = name;
	a.mailbox = mailbox;
	a.message_id = l->m->message_id;
	a.body_hash = l->hash;
	a.kind = kind_name(c->kind);
	a.county = c->county[0] ? c->county : NULL;
	a.urgency = c->triage ? urgency_name(c->triage->urgency) : NULL;

	/* One transaction: the arrival, its case and its answer. */
	st = store_begin(f->store, err);
	if (st == ST_OK)
		st = store_arrival_add(f->store, &a, &id, &dup, err);
	if (st == ST_OK && dup == 0)
		st = casework_file(f->cw, l->m, c, mailbox, l->hash, id,
				   &on_case, err);
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
	reader_letter_free(l);
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
			g_hash_table_insert(
				f->screened, g_strdup(name),
				GINT_TO_POINTER(reader_urgent(f->reader, name)
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
	st = reader_open(cfg, spool, &f->reader, err);
	if (st != ST_OK) {
		filing_close(f);
		return st;
	}
	casework_set_rules(cw, reader_rules(f->reader));
	*out = f;
	return ST_OK;
}

void
filing_close(struct filing *f)
{
	if (f == NULL)
		return;
	reader_close(f->reader);
	g_ptr_array_free(f->done_later, TRUE);
	g_hash_table_unref(f->screened);
	g_free(f);
}
