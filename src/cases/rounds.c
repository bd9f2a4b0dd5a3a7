/* The rounds after filing (rounds.h). */
#include <errno.h>
#include <unistd.h>

#include "log.h"
#include "outbox.h"
#include "remind.h"
#include "rounds.h"
#include "twtime.h"

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

void
rounds_hold(const struct run_opts *opts)
{
	if (opts->no_send)
		outbox_hold_new("held back by run --no-send (a backfill): "
				"never sent");
}

void
rounds_send_urgent(const struct casemail *cm, const struct run_opts *opts,
		   struct run_stats *stats)
{
	g_autoptr(GDateTime) now = twtime_now();
	struct err err = { 0 };

	if (opts->no_send)
		return;

	if (outbox_send_due(cm->store, cm->cfg, now, OUTBOX_PRIORITY_EMERGENCY,
			    &stats->out, run_mail_sent, (gpointer)opts,
			    &err) != ST_OK)
		log_warn("%s", err.msg);
}

enum status
rounds_send_all(const struct casemail *cm, const struct run_opts *opts,
		struct run_stats *stats, GDateTime *now, struct err *err)
{
	/* Nothing goes, not even what earlier runs queued: --no-send is
	 * the promise that this run mails no one. */
	if (opts->no_send) {
		stats->held_back = outbox_held_back();
		return ST_OK;
	}
	return outbox_send_due(cm->store, cm->cfg, now, G_MAXINT, &stats->out,
			       run_mail_sent, (gpointer)opts, err);
}

enum status
rounds_seal_letters(const struct casemail *cm, struct spool *spool,
		    struct err *err)
{
	guint sealed = 0;
	enum status st;

	/* The letters just filed, and any a crash left clear. */
	st = people_seal_letters(cm->store, cm->vault, letter_to_seal, spool,
				 &sealed, err);
	if (sealed > 0)
		log_debug("sealed %u letters", sealed);
	return st;
}

enum status
rounds_remind(const struct casemail *cm, struct run_stats *stats,
	      GDateTime *now, struct err *err)
{
	guint reminders = 0;
	enum status st = remind_all(cm->store, cm->cfg, cm->notify,
				    cm->tokens, now, &reminders, err);

	if (reminders > 0)
		run_report(stats, "queued %u reminder digest(s)", reminders);
	return st;
}

enum status
rounds_erase_expired(const struct casemail *cm, struct spool *spool,
		     struct run_stats *stats, GDateTime *now,
		     struct err *err)
{
	guint erased = 0;
	enum status st = people_erase_expired(cm->store, now,
					      cm->cfg->retention_days,
					      forget_letter, spool, &erased,
					      err);

	if (erased > 0)
		run_report(stats, "erased the personal data of %u "
			   "case(s) closed over %u days", erased,
			   cm->cfg->retention_days);
	return st;
}
