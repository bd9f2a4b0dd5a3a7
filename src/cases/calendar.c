/*
 * The calendar file: "version V", "covers FIRST LAST", then one line per
 * day that breaks the Monday-to-Friday rule, "YYYY-MM-DD off|work NAME".
 * Comments start with '#'.  Days are kept in a hash table by Julian day.
 */
#include <stdio.h>
#include <string.h>

#include "calendar.h"
#include "twtime.h"

struct day {
	gboolean works;
	char *name;
};

struct calendar {
	char *version;
	char *text;
	GDate first, last;
	GHashTable *days;	/* Julian day -> struct day */
};

static void
day_free(gpointer p)
{
	struct day *d = p;

	g_free(d->name);
	g_free(d);
}

void
calendar_free(struct calendar *cal)
{
	if (cal == NULL)
		return;
	g_free(cal->version);
	g_free(cal->text);
	if (cal->days != NULL)
		g_hash_table_destroy(cal->days);
	g_free(cal);
}

gboolean
calendar_date_parse(const char *s, GDate *d)
{
	guint y, m, dd;
	char end;

	if (s == NULL || strlen(s) != 10 || s[4] != '-' || s[7] != '-' ||
	    sscanf(s, "%4u-%2u-%2u%c", &y, &m, &dd, &end) != 3 ||
	    !g_date_valid_dmy((GDateDay)dd, (GDateMonth)m, (GDateYear)y))
		return FALSE;
	g_date_clear(d, 1);
	g_date_set_dmy(d, (GDateDay)dd, (GDateMonth)m, (GDateYear)y);
	return TRUE;
}

char *
calendar_date_string(const GDate *d)
{
	return g_strdup_printf("%04u-%02u-%02u", g_date_get_year(d),
			       g_date_get_month(d), g_date_get_day(d));
}

void
calendar_day_of(GDateTime *t, GDate *d)
{
	g_autoptr(GDateTime) tw = g_date_time_to_timezone(t, twtime_zone());

	g_date_clear(d, 1);
	g_date_set_dmy(d, (GDateDay)g_date_time_get_day_of_month(tw),
		       (GDateMonth)g_date_time_get_month(tw),
		       (GDateYear)g_date_time_get_year(tw));
}

void
calendar_today(GDate *d)
{
	g_autoptr(GDateTime) now = twtime_now();

	calendar_day_of(now, d);
}

static enum status
parse_line(struct calendar *cal, const char *name, int lineno, char *line,
	   gboolean *have_version, gboolean *have_covers, struct err *err)
{
	g_auto(GStrv) f = g_strsplit_set(g_strstrip(line), " \t", 3);
	guint n = g_strv_length(f);
	GDate d;

	if (n >= 1 && strcmp(f[0], "version") == 0) {
		if (n != 2 || *f[1] == '\0')
			return err_set(err, ST_FATAL, "%s:%d: version takes "
				       "one word", name, lineno);
		g_free(cal->version);
		cal->version = g_strdup(f[1]);
		*have_version = TRUE;
		return ST_OK;
	}
	if (n >= 1 && strcmp(f[0], "covers") == 0) {
		g_auto(GStrv) r = g_strsplit_set(line + strlen("covers"),
						 " \t", -1);
		GDate *ends[2] = { &cal->first, &cal->last };
		int k = 0;

		for (int i = 0; r[i] != NULL; i++) {
			if (*r[i] == '\0')
				continue;
			if (k == 2 || !calendar_date_parse(r[i], ends[k]))
				return err_set(err, ST_FATAL, "%s:%d: covers "
					       "takes two dates, YYYY-MM-DD",
					       name, lineno);
			k++;
		}
		if (k != 2 || g_date_compare(&cal->first, &cal->last) > 0)
			return err_set(err, ST_FATAL, "%s:%d: covers takes "
				       "two dates in order", name, lineno);
		*have_covers = TRUE;
		return ST_OK;
	}
	if (n < 2 || !calendar_date_parse(f[0], &d))
		return err_set(err, ST_FATAL, "%s:%d: expected YYYY-MM-DD "
			       "off|work NAME", name, lineno);
	if (strcmp(f[1], "off") != 0 && strcmp(f[1], "work") != 0)
		return err_set(err, ST_FATAL, "%s:%d: '%s' is neither off nor "
			       "work", name, lineno, f[1]);
	if (!*have_covers)
		return err_set(err, ST_FATAL, "%s:%d: days before the covers "
			       "line", name, lineno);
	if (g_date_compare(&d, &cal->first) < 0 ||
	    g_date_compare(&d, &cal->last) > 0)
		return err_set(err, ST_FATAL, "%s:%d: %s is outside what the "
			       "calendar covers", name, lineno, f[0]);
	if (g_hash_table_contains(cal->days,
				  GUINT_TO_POINTER(g_date_get_julian(&d))))
		return err_set(err, ST_FATAL, "%s:%d: %s is listed twice",
			       name, lineno, f[0]);
	{
		struct day *day = g_new0(struct day, 1);

		day->works = strcmp(f[1], "work") == 0;
		day->name = g_strdup(n == 3 ? g_strstrip(f[2]) : "");
		g_hash_table_insert(cal->days,
				    GUINT_TO_POINTER(g_date_get_julian(&d)),
				    day);
	}
	return ST_OK;
}

enum status
calendar_parse(const char *name, const char *text, struct calendar **out,
	       struct err *err)
{
	struct calendar *cal = g_new0(struct calendar, 1);
	g_auto(GStrv) lines = NULL;
	gboolean have_version = FALSE, have_covers = FALSE;
	enum status st = ST_OK;

	if (!g_utf8_validate(text, -1, NULL)) {
		calendar_free(cal);
		return err_set(err, ST_FATAL, "%s:1: not valid UTF-8", name);
	}
	cal->text = g_strdup(text);
	cal->days = g_hash_table_new_full(NULL, NULL, NULL, day_free);
	lines = g_strsplit(text, "\n", -1);
	for (int i = 0; lines[i] != NULL && st == ST_OK; i++) {
		char *hash = strchr(lines[i], '#');

		if (hash != NULL)
			*hash = '\0';
		if (*g_strstrip(lines[i]) == '\0')
			continue;
		st = parse_line(cal, name, i + 1, lines[i], &have_version,
				&have_covers, err);
	}
	if (st == ST_OK && (!have_version || !have_covers))
		st = err_set(err, ST_FATAL, "%s: needs a version and a covers "
			     "line", name);
	if (st != ST_OK) {
		calendar_free(cal);
		return st;
	}
	*out = cal;
	return ST_OK;
}

enum status
calendar_load(const char *path, struct calendar **out, struct err *err)
{
	g_autofree char *text = NULL;
	g_autoptr(GError) gerr = NULL;

	enum status st;

	/* The configured file: the set-up's to put right. */
	if (!g_file_get_contents(path, &text, NULL, &gerr))
		return err_setup(err, "cannot read the calendar: %s",
				 gerr->message);
	st = calendar_parse(path, text, out, err);
	if (st != ST_OK && err != NULL)
		err->setup = TRUE;
	return st;
}

const char *
calendar_version(const struct calendar *cal)
{
	return cal->version;
}

const char *
calendar_text(const struct calendar *cal)
{
	return cal->text;
}

gboolean
calendar_covers(const struct calendar *cal, const GDate *d)
{
	return g_date_compare(d, &cal->first) >= 0 &&
	       g_date_compare(d, &cal->last) <= 0;
}

static const struct day *
listed(const struct calendar *cal, const GDate *d)
{
	return g_hash_table_lookup(cal->days,
				   GUINT_TO_POINTER(g_date_get_julian(d)));
}

gboolean
calendar_is_working_day(const struct calendar *cal, const GDate *d)
{
	const struct day *day = listed(cal, d);

	if (day != NULL)
		return day->works;
	return g_date_get_weekday(d) <= G_DATE_FRIDAY;
}

const char *
calendar_day_name(const struct calendar *cal, const GDate *d)
{
	const struct day *day = listed(cal, d);

	return day != NULL ? day->name : NULL;
}

void
calendar_due(const struct calendar *cal, const GDate *start,
	     enum deadline_rule rule, guint n, GDate *due)
{
	*due = *start;
	if (rule == DEADLINE_WORKING_DAYS) {
		for (guint left = n; left > 0;) {
			g_date_add_days(due, 1);
			if (calendar_is_working_day(cal, due))
				left--;
		}
		return;
	}
	g_date_add_days(due, n);
	while (!calendar_is_working_day(cal, due))
		g_date_add_days(due, 1);
}
