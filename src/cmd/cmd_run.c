/*
 * lamplight run: one cron run.  Silent when all went well, so that cron
 * mails only when something needs a person: then (or with --verbose)
 * one summary line, and with --verbose a line per filed message too.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "statedir.h"
#include "log.h"
#include "run.h"

static gint arg_stop_after;
static char *arg_only;
static gboolean arg_fetch_only;
static gboolean arg_progress;
static gboolean arg_no_send;
static gboolean arg_first_run;

static const GOptionEntry run_options[] = {
	{ "no-send", 0, 0, G_OPTION_ARG_NONE, &arg_no_send,
	  "file everything, answer no one, notify no staff: a backfill "
	  "(what it would have sent is held back for good)", NULL },
	{ "first-run", 0, 0, G_OPTION_ARG_NONE, &arg_first_run,
	  "let a mailbox's first run file and answer more letters than "
	  "first_run_limit", NULL },
	{ "only", 0, 0, G_OPTION_ARG_STRING, &arg_only,
	  "fetch only this centre's mailbox (a county code)", "CODE" },
	{ "fetch-only", 0, 0, G_OPTION_ARG_NONE, &arg_fetch_only,
	  "only fetch into the spool; the next run files (backfills)",
	  NULL },
	{ "progress", 0, 0, G_OPTION_ARG_NONE, &arg_progress,
	  "a progress bar on the terminal (long backfills)", NULL },
	{ "stop-after", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_INT,
	  &arg_stop_after, "stop (as if killed) after the N-th durable step; "
	  "for crash tests", "N" },
	{ NULL },
};

const struct cmd_info cmd_run_info = {
	.name = "run",
	.summary = "one cron run: fetch new mail, file cases, answer",
	.args = "",
	.options = run_options,
};

/* The progress bar: redrawn at most ten times a second. */
static void
draw_bar(const struct run_stats *rs, void *data)
{
	gint64 *drawn_us = data, now = g_get_monotonic_time();
	guint done = rs->filed + rs->quarantined;
	guint total = MAX(rs->to_file, done);
	char bar[31];
	guint fill;

	if (now - *drawn_us < 100000)
		return;
	*drawn_us = now;
	fill = total > 0 ? (guint)((guint64)done * 30 / total) : 0;
	memset(bar, '#', fill);
	memset(bar + fill, '.', 30 - fill);
	bar[30] = '\0';
	fprintf(stderr, "\r  filed %u/%u [%s] %3u%%", done, total, bar,
		total > 0 ? (guint)((guint64)done * 100 / total) : 100);
	if (rs->mailboxes > 0)
		fprintf(stderr, "  mailboxes %u/%u", rs->mailboxes_done,
			rs->mailboxes);
	fflush(stderr);
}

int
cmd_run(int argc, char **argv)
{
	gint64 drawn_us = 0;
	struct run_opts opts = { 0 };
	struct run_stats stats;
	struct err err = { 0 };
	struct config *cfg;
	gboolean locked = FALSE;
	enum status st;
	int rc;

	cmd_parse(&argc, &argv, &cmd_run_info);
	if (arg_stop_after < 0)
		return cmd_usage_error("--stop-after must be >= 0");
	cfg = cmd_load_config();
	if (cfg == NULL)
		return EXIT_CONFIG;
	if (arg_only != NULL && config_centre_find(cfg, arg_only) == NULL) {
		fprintf(stderr, "lamplight run: no centre '%s' in %s\n",
			arg_only, cfg->path);
		config_free(cfg);
		return EXIT_USAGE;
	}
	opts.stop_after = (guint)arg_stop_after;
	opts.only = arg_only;
	opts.fetch_only = arg_fetch_only;
	opts.no_send = arg_no_send;
	opts.first_run_ok = arg_first_run;
	if (arg_progress && isatty(STDERR_FILENO)) {
		opts.progress = draw_bar;
		opts.progress_data = &drawn_us;
	}
	run_stats_init(&stats);
	st = run_once(cfg, &opts, &stats, &locked, &err);
	if (opts.progress != NULL) {
		drawn_us = 0;		/* where it ended, then it goes */
		draw_bar(&stats, &drawn_us);
		fputs("\r\033[K", stderr);
		fflush(stderr);
	}
	/* The worst thing that happened decides; see README.md. */
	if (locked) {
		rc = EXIT_LOCKED;
		/* A run still at work is no news; one holding the lock for
		 * long may be stuck, and a person should look. */
		if (run_lock_age(cfg->state_dir) >=
		    (gint64)cfg->lock_warn_after * 60) {
			log_error("%s, over lock_warn_after (%u min): is it "
				  "stuck?  Nothing was done", err.msg,
				  cfg->lock_warn_after);
		} else {
			log_debug("%s: nothing done", err.msg);
		}
	} else if (st != ST_OK || err_is_setup(&err)) {
		log_error("%s", err.msg);
		rc = cmd_exit_for(&err);
	} else if (stats.out.login_refused) {
		/* Logged where it happened; nothing can go until a person
		 * puts [smtp] right. */
		rc = EXIT_CONFIG;
		g_strlcpy(err.msg, "the SMTP server refused the login: all "
			  "mail stays queued", sizeof err.msg);
	} else if (stats.out.tls_failed) {
		/* Logged where it happened; a certificate, CA file or
		 * STARTTLS setting for a person to put right. */
		rc = EXIT_CONFIG;
		g_strlcpy(err.msg, "TLS with the SMTP server failed: all mail "
			  "stays queued", sizeof err.msg);
	} else if (stats.first_run_waiting) {
		/* Logged where it happened, with what to run. */
		rc = EXIT_FIRST_RUN;
		g_snprintf(err.msg, sizeof err.msg, "%u mailbox(es) wait for "
			   "a backfill: over first_run_limit",
			   stats.first_run_waiting);
	} else if (stats.sources_failed) {
		rc = EXIT_UNAVAILABLE;
		g_snprintf(err.msg, sizeof err.msg, "%u mailbox(es) could not "
			   "be fetched", stats.sources_failed);
	} else if (stats.quarantined || stats.out.failed ||
		   stats.left_on_server) {
		rc = EXIT_PARTIAL;
	} else {
		rc = EXIT_OK;
	}
	/* Quiet for cron: the summary only when asked, or when a person
	 * should look (then the error above was logged as well). */
	if (arg_verbose)
		for (guint i = 0; i < stats.report->len; i++)
			printf("%s\n", (char *)stats.report->pdata[i]);
	if (arg_verbose || (rc != EXIT_OK && !locked))
		printf("fetched %u, filed %u (%u new cases, %u duplicates, "
		       "%u quarantined), sent %u, deferred %u, failed %u, "
		       "mailboxes failed %u\n",
		       stats.fetched, stats.filed, stats.cases,
		       stats.duplicates, stats.quarantined, stats.out.sent,
		       stats.out.deferred, stats.out.failed,
		       stats.sources_failed);
	/* A backfill is run by hand: it says what it held back. */
	if (arg_no_send && !locked)
		printf("held back %u answers and notices (--no-send): they "
		       "will never be sent\n", stats.held_back);
	/* For status, until a clean run: what another run holding the
	 * lock did is that run's to say. */
	if (!locked)
		statedir_record_run(cfg, rc, rc == EXIT_OK ? NULL : err.msg);
	run_stats_done(&stats);
	config_free(cfg);
	g_free(arg_only);
	return rc;
}
