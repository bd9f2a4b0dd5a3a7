/*
 * lamplight run: one cron run.  Quiet when nothing happened; one summary
 * line when something did; with --verbose, a line per filed message.
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

static const GOptionEntry run_options[] = {
	{ "stop-after", 0, 0, G_OPTION_ARG_INT, &arg_stop_after,
	  "stop (as if killed) after the N-th durable step; for crash tests",
	  "N" },
	{ "only", 0, 0, G_OPTION_ARG_STRING, &arg_only,
	  "fetch only this centre's mailbox (a county code)", "CODE" },
	{ "fetch-only", 0, 0, G_OPTION_ARG_NONE, &arg_fetch_only,
	  "only fetch into the spool; the next run files (backfills)",
	  NULL },
	{ "progress", 0, 0, G_OPTION_ARG_NONE, &arg_progress,
	  "a progress bar on the terminal (long backfills)", NULL },
	{ NULL },
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
	gboolean locked = FALSE, busy;
	enum status st;
	int rc;

	cmd_parse(&argc, &argv, "", "Fetch new mail, file cases, answer.",
		  run_options);
	if (argc > 1) {
		fprintf(stderr, "lamplight run: unexpected argument '%s'\n",
			argv[1]);
		return EXIT_USAGE;
	}
	if (arg_stop_after < 0) {
		fprintf(stderr, "lamplight run: --stop-after must be >= 0\n");
		return EXIT_USAGE;
	}
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
	if (arg_verbose)
		for (guint i = 0; i < stats.report->len; i++)
			printf("%s\n", (char *)stats.report->pdata[i]);
	busy = stats.fetched || stats.filed || stats.out.sent ||
	       stats.out.deferred || stats.out.failed ||
	       stats.sources_failed || stats.left_on_server;
	if (busy || arg_verbose)
		printf("fetched %u, filed %u (%u new cases, %u duplicates, "
		       "%u quarantined), sent %u, deferred %u, failed %u, "
		       "mailboxes failed %u\n",
		       stats.fetched, stats.filed, stats.cases,
		       stats.duplicates, stats.quarantined, stats.out.sent,
		       stats.out.deferred, stats.out.failed,
		       stats.sources_failed);
	/* The worst thing that happened decides; see README.md. */
	if (locked) {
		log_warn("%s", err.msg);
		rc = EXIT_LOCKED;
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
	/* For status, until a clean run: what another run holding the
	 * lock did is that run's to say. */
	if (!locked)
		statedir_record_run(cfg, rc, rc == EXIT_OK ? NULL : err.msg);
	run_stats_done(&stats);
	config_free(cfg);
	g_free(arg_only);
	return rc;
}
