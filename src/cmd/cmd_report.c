/*
 * lamplight report [--month MONTH] [--centre CODE] [--html] [-o FILE]:
 * the monthly report (report.h), by default of last month and every
 * centre, as CSV; --html makes the page with charts.  The month is
 * Gregorian (2026-11) or ROC (115-11).
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "log.h"
#include "report.h"
#include "twtime.h"

static char *arg_month;
static char *arg_centre;
static gboolean arg_html;
static char *arg_output;

static const GOptionEntry report_options[] = {
	{ "month", 0, 0, G_OPTION_ARG_STRING, &arg_month,
	  "the month, 2026-11 or 民國 115-11 (default: last month)",
	  "MONTH" },
	{ "centre", 0, 0, G_OPTION_ARG_STRING, &arg_centre,
	  "one centre (default: every centre and their total)", "CODE" },
	{ "html", 0, 0, G_OPTION_ARG_NONE, &arg_html,
	  "one HTML page with charts, instead of CSV", NULL },
	{ "output", 'o', 0, G_OPTION_ARG_FILENAME, &arg_output,
	  "write to FILE (default: standard output)", "FILE" },
	{ NULL },
};

const struct cmd_info cmd_report_info = {
	.name = "report",
	.summary = "the monthly report, CSV or HTML",
	.args = "",
	.options = report_options,
};

static char *
last_month(GDateTime *now)
{
	g_autoptr(GDateTime) tw = g_date_time_to_timezone(now, twtime_zone());
	g_autoptr(GDateTime) first = g_date_time_add_days(
		tw, 1 - g_date_time_get_day_of_month(tw));
	g_autoptr(GDateTime) prev = g_date_time_add_months(first, -1);

	return g_date_time_format(prev, "%Y-%m");
}

int
cmd_report(int argc, char **argv)
{
	g_autoptr(GDateTime) now = twtime_now();
	g_autofree char *month = NULL, *text = NULL;
	g_autofree char *code = NULL;
	g_autoptr(GError) gerr = NULL;
	struct report *r = NULL;
	struct store *s = NULL;
	struct config *cfg;
	struct err err = { 0 };
	int rc = EXIT_OK;

	cmd_parse(&argc, &argv, &cmd_report_info);
	cfg = cmd_load_config();
	if (cfg == NULL)
		return EXIT_CONFIG;
	if (arg_centre != NULL) {
		const struct centre *c = cmd_centre_named(cfg, "report",
							  arg_centre);

		if (c == NULL) {
			config_free(cfg);
			return EXIT_USAGE;
		}
		code = g_strdup(c->code);
	}
	/* A month refused is said before the database is opened. */
	if (arg_month == NULL) {
		month = last_month(now);
	} else if (report_month_parse(arg_month, now, &month, &err) !=
		   ST_OK) {
		fprintf(stderr, "lamplight report: %s\n", err.msg);
		config_free(cfg);
		return EXIT_USAGE;
	}
	if ((rc = cmd_open_store(cfg, "report", &s)) != 0) {
		/* said */
	} else if (report_build(s, cfg, month, code, now, &r, &err) !=
		   ST_OK) {
		fprintf(stderr, "lamplight report: %s\n", err.msg);
		rc = err.status == ST_TEMP ? EXIT_TEMPFAIL : EXIT_USAGE;
	} else {
		/* Said here too, for the CSV that has no room for it; to a
		 * person at a terminal (or -v), not to cron, which would
		 * mail it: the report's own first line says it there. */
		if (r->quiet && (arg_verbose || isatty(STDERR_FILENO)))
			fprintf(stderr, "lamplight report: no case opened, "
				"referred or closed in %s; %s%s\n", r->month,
				r->latest != NULL
					? "the latest month with any is "
					: "there are none yet",
				r->latest != NULL ? r->latest : "");
		text = arg_html ? report_html(r, cfg) : report_csv(r, cfg);
		if (arg_output == NULL) {
			fputs(text, stdout);
		} else if (!g_file_set_contents(arg_output, text, -1,
						&gerr)) {
			/* 74 only for a full or failing disk; a directory
			 * that is not there or not ours is the caller's. */
			gboolean disk = gerr->domain == G_FILE_ERROR &&
					(gerr->code == G_FILE_ERROR_NOSPC ||
					 gerr->code == G_FILE_ERROR_IO);

			fprintf(stderr, "lamplight report: cannot write '%s' "
				"(as uid %u): %s\n", arg_output,
				(unsigned)geteuid(), gerr->message);
			rc = disk ? EXIT_IOERR : EXIT_CANTCREAT;
		}
	}
	report_free(r);
	store_close(s);
	config_free(cfg);
	return rc;
}
