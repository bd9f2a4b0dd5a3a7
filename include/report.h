/*
 * The monthly report the centres owe (每月填具相關報表): for one month,
 * per centre and for the whole country, the cases opened by source,
 * urgency and need; the referrals made by group; where the month's cases
 * stand now; the cases closed by reason; and the deadlines overdue.
 * Counts only: no case numbers, no person.  As CSV (UTF-8 with a BOM,
 * so that Excel reads it) and as one self-contained HTML page with its
 * charts in inline SVG.
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
	char centre[4];		/* "TPE", or "ALL" for the country */
	gint64 count;
};

struct report {
	char *month;		/* "2026-11" */
	char *scope;		/* a county code, or NULL: the country */
	char *generated;	/* when, ISO 8601 */
	char *until;		/* overdue counted before this day */
	GArray *rows;		/* struct report_row, section by section */
};

/*
 * The report of month ("YYYY-MM", Taiwan time) for the centre county, or
 * the country when county is NULL, as the database has it at now.
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
