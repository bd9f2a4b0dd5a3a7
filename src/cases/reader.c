/*
 * Reading a spooled letter: read, parsed and classified with the run's
 * rules, timed by the watchdog.  A letter over the cap is set aside
 * (quarantined by filing); one whose reading is stuck inside a library
 * for the cap again is marked poison and ends the run, and the next run
 * quarantines it unread.
 */
#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "reader.h"
#include "watchdog.h"

struct reader {
	const struct config *cfg;
	struct spool *spool;
	struct ruleset *rules;
};

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
poisoned(struct reader *r, const char *name)
{
	g_autofree char *p = poison_path(r->cfg, name);
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

void
reader_poison_clear(struct reader *r, const char *name)
{
	g_autofree char *p = poison_path(r->cfg, name);

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

void
reader_letter_free(struct reader_letter *l)
{
	if (l == NULL)
		return;
	classification_free(l->c);
	mail_msg_free(l->m);
	g_free(l);
}

enum status
reader_read(struct reader *r, const char *name, const char *mailbox,
	    struct reader_letter **out, char **key, char **why,
	    gboolean *poisoned_out, struct err *err)
{
	g_autofree char *cap = NULL;
	g_autoptr(GBytes) data = NULL;
	struct reader_letter *l = NULL;
	const struct centre *centre;
	struct classify_ctx ctx = { r->cfg, r->rules, NULL };
	struct err merr = { 0 };
	enum status st;
	const void *bytes;
	gsize len;

	*out = NULL;
	*poisoned_out = FALSE;
	if ((cap = poisoned(r, name)) != NULL) {
		/* Over the cap ahead of filing, or in a run that died of
		 * it: not read again.  The mark has served once recorded. */
		*key = g_strconcat("unread:", name, NULL);
		*why = g_strdup_printf("reading it took over %s ms: set aside",
				       cap);
		*poisoned_out = TRUE;
		return ST_MSG_BAD;
	}
	st = spool_read(r->spool, name, r->cfg->max_message_bytes, &data,
			&merr);
	if (st == ST_MSG_BAD) {
		/* Unread, so no hash: never taken for a copy of another. */
		*key = g_strconcat("unread:", name, NULL);
		*why = g_strdup(merr.msg);
		return ST_MSG_BAD;
	}
	if (st != ST_OK)
		return err_set(err, st, "%s", merr.msg);
	l = g_new0(struct reader_letter, 1);
	bytes = g_bytes_get_data(data, &len);
	mail_body_hash(bytes, len, l->hash);
	/* Reading is timed: a letter over the cap is set aside, and the
	 * others go on. */
	watchdog_arm(name);
	st = mail_parse(bytes, len, &l->m, &merr);
	if (st == ST_OK) {
		centre = config_centre_find(r->cfg, mailbox);
		ctx.mailbox_county = centre != NULL ? centre->code : NULL;
		st = classify_mail(&ctx, l->m, &l->c, &merr);
	}
	if (watchdog_disarm()) {
		*key = g_strdup(l->hash);
		*why = g_strdup_printf("reading it took over %u ms: set aside",
				       watchdog_cap_ms());
		reader_letter_free(l);
		return ST_MSG_BAD;
	}
	if (st == ST_MSG_BAD) {
		*key = g_strdup(l->hash);
		*why = g_strdup(merr.msg);
		reader_letter_free(l);
		return ST_MSG_BAD;
	}
	if (st != ST_OK) {
		reader_letter_free(l);
		return err_set(err, st, "%s", merr.msg);
	}
	*out = l;
	return ST_OK;
}

gboolean
reader_urgent(struct reader *r, const char *name)
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
	if (watchdog_disarm()) {
		/* Over the cap: filing quarantines it without reading it
		 * a second time. */
		poison_mark(r->cfg, name);
		yes = FALSE;
	}
	classification_free(c);
	mail_msg_free(m);
	return yes;
}

const struct ruleset *
reader_rules(const struct reader *r)
{
	return r->rules;
}

enum status
reader_open(const struct config *cfg, struct spool *spool,
	    struct reader **out, struct err *err)
{
	struct reader *r = g_new0(struct reader, 1);
	enum status st;

	r->cfg = cfg;
	r->spool = spool;
	st = rules_load_dir(cfg->rules_dir, &r->rules, err);
	if (st != ST_OK) {
		reader_close(r);
		return st;
	}
	if (g_getenv("XDG_CACHE_HOME") == NULL) {
		/* Cron's user may have no home of its own: unless a cache
		 * is named, it goes with the state. */
		g_autofree char *cache =
			g_build_filename(cfg->state_dir, "cache", NULL);

		rules_set_cache_dir(r->rules, cache);
	}
	/* The prefilter is compiled (or read from its cache) now, not
	 * in the first letter's read time, which the watchdog caps. */
	rules_prepare(r->rules);
	watchdog_start(read_stuck, (void *)cfg);
	*out = r;
	return ST_OK;
}

void
reader_close(struct reader *r)
{
	if (r == NULL)
		return;
	if (r->rules != NULL)
		watchdog_stop();
	ruleset_free(r->rules);
	g_free(r);
}
