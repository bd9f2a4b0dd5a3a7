/*
 * The monthly report the centres owe (每月填具相關報表): for one month,
 * per centre and for the whole country, the cases opened by source,
 * urgency and need; the referrals made by group; where the month's cases
 * stand now; the cases closed by reason; and the deadlines overdue.
 * Counts only: no case numbers, no person.  As CSV (UTF-8 with a BOM,
 * so that Excel reads it) and as one self-contained HTML page with its
 * charts in inline SVG, titled with the centres it covers, on one scale
 * per group of charts that count alike, and saying so when the month
 * had nothing in it.
 */
#ifndef LAMPLIGHT_REPORT_H
#define LAMPLIGHT_REPORT_H

#include <glib.h>

#include "config.h"
#include "err.h"
#include "store.h"

struct report_row {
	const char *section;	/* "source" */
	const char *section_label;	/* "案件來源" */
	const char *key;	/* "webform" */
	const char *label;	/* "我要求助網頁" */
	/* "TPE", or "ALL" for the country; in the country's report also
	 * a county outside the config that a case was handed over to. */
	char centre[4];
	gint64 count;
};

struct report {
	char *month;		/* "2026-11" */
	char *scope;		/* a county code, or NULL: the country */
	char *generated;	/* when, ISO 8601 */
	char *until;		/* overdue counted before this day */
	GArray *rows;		/* struct report_row, section by section */
	/* No case opened, referred or closed in the month. */
	gboolean quiet;
	/* The month not over at generated: counts so far. */
	gboolean partial;
	/* The latest month up to now with a case opened, referred or
	 * closed ("2026-10"), or NULL: none at all. */
	char *latest;
};

/*
 * Reads a month as people write it: Gregorian "2026-11" or ROC "115-11"
 * (民國, a year of two or three digits), with '-', '/' or '.' between,
 * or "115年11月"; *month gets it as "2026-11" (new string).  Refused
 * (ST_FATAL) if it is none of these, no month (115-13, 2026-00), before
 * the ROC calendar, or after the month of now (Taiwan time).
 */
enum status report_month_parse(const char *text, GDateTime *now,
			       char **month, struct err *err);

/*
 * The report of month (as report_month_parse() reads it, Taiwan time)
 * for the centre county, or the country when county is NULL, as the
 * database has it at now.  The country counts every case of the
 * database, those of counties outside the config as well (a hand-over
 * to another county opens its case there).  ST_FATAL: month refused.
 */
enum status report_build(struct store *s, const struct config *cfg,
			 const char *month, const char *county,
			 GDateTime *now, struct report **out,
			 struct err *err);
void report_free(struct report *r);

/* The report as CSV (new string). */
char *report_csv(const struct report *r, const struct config *cfg);
/* The report as one HTML page, charts and all (new string). */
char *report_html(const struct report *r, const struct config *cfg);

#endif
