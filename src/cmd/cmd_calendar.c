/*
 * lamplight calendar show [YEAR] | rules | check FILE | load FILE: the
 * government office calendar that deadlines are counted on, and the
 * SOP rules that set them.  "load" installs a revised calendar in the
 * database and recomputes every open deadline on it; each deadline
 * keeps the version and the rule that set it (lamplight case show).
 */
#include <stdio.h>
#include <string.h>

#include "cases.h"
#include "cmd.h"
#include "twtime.h"

static const GOptionEntry calendar_options[] = {
	{ NULL },
};

static const struct cmd_verb calendar_verbs[] = {
	{ "show", "[YEAR]", 0, 1, "the year's days off and working days "
	  "(default: this year)", NULL },
	{ "rules", "", 0, 0, "the SOP rules that set deadlines, as case show "
	  "names them", NULL },
	{ "check", "FILE", 1, 1, "check a calendar file", NULL },
	{ "load", "FILE", 1, 1, "install a revised calendar and move every "
	  "open deadline on it", NULL },
	{ NULL },
};

const struct cmd_info cmd_calendar_info = {
	.name = "calendar",
	.summary = "the office calendar deadlines are counted on",
	.verbs = calendar_verbs,
	.options = calendar_options,
};

static int
show(const struct calendar *cal, const char *year)
{
	GDate d;
	guint y = year != NULL ? (guint)g_ascii_strtoull(year, NULL, 10) : 0;

	if (y == 0) {
		calendar_today(&d);
		y = g_date_get_year(&d);
	}
	if (!g_date_valid_year((GDateYear)y))
		return cmd_usage_error("bad year '%s'", year);
	printf("calendar %s\n", calendar_version(cal));
	g_date_clear(&d, 1);
	g_date_set_dmy(&d, 1, G_DATE_JANUARY, (GDateYear)y);
	if (!calendar_covers(cal, &d))
		printf("(%u is not covered: Monday to Friday are taken as "
		       "working days)\n", y);
	for (; g_date_get_year(&d) == y; g_date_add_days(&d, 1)) {
		const char *name = calendar_day_name(cal, &d);
		g_autofree char *s = NULL;

		if (name == NULL)
			continue;
		s = calendar_date_string(&d);
		printf("%s %s %s\n", s,
		       calendar_is_working_day(cal, &d) ? "work" : "off ",
		       name);
	}
	return EXIT_OK;
}

/* The SOP rules deadlines are set by, as case show names them. */
static int
rules(const struct calendar *cal)
{
	printf("deadlines are counted on calendar %s; a period in days as "
	       "行政程序法 §48 counts it (from the day after; a last day "
	       "off moves to the next working day)\n",
	       calendar_version(cal));
	for (guint i = 0; deadline_basis_name(i) != NULL; i++)
		printf("%-16s %s\n", deadline_basis_name(i),
		       deadline_basis_label(deadline_basis_name(i)));
	return EXIT_OK;
}

int
cmd_calendar(int argc, char **argv)
{
	struct config *cfg = NULL;
	struct store *store = NULL;
	struct calendar *cal = NULL;
	struct err err = { 0 };
	const char *verb;
	int rc = EXIT_OK;

	cmd_parse(&argc, &argv, &cmd_calendar_info);
	verb = argv[1];
	if (strcmp(verb, "check") == 0) {
		if (calendar_load(argv[2], &cal, &err) != ST_OK) {
			fprintf(stderr, "%s\n", err.msg);
			return EXIT_DATAERR;
		}
		printf("%s: version %s: ok\n", argv[2], calendar_version(cal));
		calendar_free(cal);
		return EXIT_OK;
	}
	cfg = cmd_load_config();
	if (cfg == NULL)
		return EXIT_CONFIG;
	rc = cmd_open_store(cfg, "calendar", &store);
	if (rc != 0) {
		config_free(cfg);
		return rc;
	}
	if (strcmp(verb, "load") == 0) {
		g_autoptr(GDateTime) now = twtime_now();
		guint changed = 0;

		if (calendar_load(argv[2], &cal, &err) != ST_OK) {
			fprintf(stderr, "%s\n", err.msg);
			rc = EXIT_DATAERR;
		} else if (cases_calendar_install(store, cal, now, &changed,
						  &err) != ST_OK) {
			fprintf(stderr, "lamplight calendar: %s\n", err.msg);
			rc = err.status == ST_TEMP ? EXIT_TEMPFAIL
						   : EXIT_SOFTWARE;
		} else {
			printf("calendar %s installed; %u open deadlines "
			       "moved\n", calendar_version(cal), changed);
		}
	} else if (cases_calendar(store, cfg->calendar, &cal, &err) != ST_OK) {
		fprintf(stderr, "lamplight calendar: %s\n", err.msg);
		rc = EXIT_SOFTWARE;
	} else if (strcmp(verb, "rules") == 0) {
		rc = rules(cal);
	} else {
		rc = show(cal, argc == 3 ? argv[2] : NULL);
	}
	calendar_free(cal);
	store_close(store);
	config_free(cfg);
	return rc;
}
