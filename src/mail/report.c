/* The monthly report (report.h). */
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "cases.h"
#include "report.h"
#include "vocab.h"
#include "twtime.h"

enum section_id {
	SEC_SOURCE,
	SEC_URGENCY,
	SEC_NEED,
	SEC_REFERRAL,
	SEC_STATE,
	SEC_CLOSED,
	SEC_OVERDUE,
	SEC_COUNT,
};

/*
 * Each section: its name, its label, the SQL of its counts (columns
 * county, key, count; ?1 the month, ?2 the county or NULL, ?3 the day
 * overdue is counted before) and the colour of its chart.
 */
static const struct {
	const char *name, *label, *sql, *colour;
} sections[SEC_COUNT] = {
	[SEC_SOURCE] = { "source", "新案件：案件來源",
		"SELECT county, source, count(*) FROM cases "
		"WHERE substr(created_at, 1, 7) = ?1 AND "
		"(?2 IS NULL OR county = ?2) AND merged_into IS NULL "
		"GROUP BY 1, 2", "#3b6ea5" },
	[SEC_URGENCY] = { "urgency", "新案件：緊急程度",
		"SELECT county, urgency, count(*) FROM cases "
		"WHERE substr(created_at, 1, 7) = ?1 AND "
		"(?2 IS NULL OR county = ?2) AND merged_into IS NULL "
		"GROUP BY 1, 2", "#c0504d" },
	[SEC_NEED] = { "need", "新案件：需求（一案可有多項）",
		"SELECT c.county, n.need, count(*) FROM case_needs n "
		"JOIN cases c ON c.id = n.case_id "
		"WHERE substr(c.created_at, 1, 7) = ?1 AND "
		"(?2 IS NULL OR c.county = ?2) AND c.merged_into IS NULL "
		"GROUP BY 1, 2", "#4f9a6b" },
	[SEC_REFERRAL] = { "referral", "本月轉介：轉介組別",
		"SELECT c.county, r.grp, count(*) FROM referrals r "
		"JOIN cases c ON c.id = r.case_id "
		"WHERE substr(r.referred_at, 1, 7) = ?1 AND "
		"(?2 IS NULL OR c.county = ?2) GROUP BY 1, 2", "#8064a2" },
	[SEC_STATE] = { "state", "本月新案件目前的處理階段",
		"SELECT county, state, count(*) FROM cases "
		"WHERE substr(created_at, 1, 7) = ?1 AND "
		"(?2 IS NULL OR county = ?2) AND merged_into IS NULL "
		"GROUP BY 1, 2", "#d08a2c" },
	[SEC_CLOSED] = { "closed", "本月結案：結案原因",
		"SELECT county, closed_reason, count(*) FROM cases "
		"WHERE state = 'closed' AND substr(closed_at, 1, 7) = ?1 AND "
		"(?2 IS NULL OR county = ?2) GROUP BY 1, 2", "#5f6b7a" },
	[SEC_OVERDUE] = { "overdue", "月底仍逾期的作業期限",
		"SELECT c.county, d.step, count(*) FROM deadlines d "
		"JOIN cases c ON c.id = d.case_id "
		"WHERE d.due_day < ?3 AND (d.outcome IS NULL OR "
		"(d.outcome = 'met' AND d.met_at >= ?3)) AND "
		"(?2 IS NULL OR c.county = ?2) AND c.merged_into IS NULL "
		"GROUP BY 1, 2", "#b03a2e" },
};

static const struct {
	const char *key, *label;
} steps[] = {
	{ "register", "編號列冊（3 日）" },
	{ "contact", "訪視（3 日）" },
	{ "assess", "轉介評估（3 日）" },
	{ "partner_reply", "合作單位回覆（5 個工作天）" },
	{ "partner_result", "合作單位處理結果（收案後 5 日）" },
	{ "agency_result", "回覆轉介機關（7 日）" },
	{ "follow_up", "追蹤輔導聯繫" },
	{ "visit", "排定的訪視" },
};

/* The keys of a section in their order, with labels: i-th, or FALSE. */
static gboolean
section_key(enum section_id sec, guint i, const char **key,
	    const char **label)
{
	*key = NULL;
	switch (sec) {
	case SEC_SOURCE:
		*key = case_source_name(i);
		*label = case_source_label(*key);
		break;
	case SEC_URGENCY:
		/* The most urgent first. */
		if (i < URGENCY_EMERGENCY) {
			*key = urgency_name(URGENCY_EMERGENCY - i);
			*label = urgency_label(URGENCY_EMERGENCY - i);
		}
		break;
	case SEC_NEED:
		*key = need_name(i);
		*label = need_label(*key);
		break;
	case SEC_REFERRAL:
		if (i < GROUP_COUNT) {
			*key = group_key((enum group)i);
			*label = group_label((enum group)i);
		}
		break;
	case SEC_STATE:
		if (i < CASE_STATE_COUNT) {
			*key = case_state_name((enum case_state)i);
			*label = case_state_label((enum case_state)i);
		}
		break;
	case SEC_CLOSED:
		if (i < CLOSE_REASON_COUNT) {
			*key = close_reason_name((enum close_reason)i);
			*label = close_reason_label((enum close_reason)i);
		}
		break;
	case SEC_OVERDUE:
		if (i < G_N_ELEMENTS(steps)) {
			*key = steps[i].key;
			*label = steps[i].label;
		}
		break;
	default:
		break;
	}
	return *key != NULL;
}

/* "county\tkey" -> count, for one section. */
static gboolean
collect(const struct store_row *row, gpointer data)
{
	const char *county = store_col_text(row, 0);
	const char *key = store_col_text(row, 1);

	if (county != NULL && key != NULL)
		g_hash_table_insert(data, g_strdup_printf("%s\t%s", county, key),
				    GINT_TO_POINTER((int)store_col_int(row,
								       2)));
	return TRUE;
}

static void
add_row(struct report *r, enum section_id sec, const char *key,
	const char *label, const char *centre, gint64 n)
{
	struct report_row row = {
		.section = sections[sec].name,
		.section_label = sections[sec].label,
		.key = key, .label = label, .count = n,
	};

	g_strlcpy(row.centre, centre, sizeof row.centre);
	g_array_append_val(r->rows, row);
}

/* The first day after month, and today: the earlier, as "YYYY-MM-DD". */
static char *
overdue_until(const char *month, GDateTime *now)
{
	GDate end, today;
	int y = atoi(month), m = atoi(month + 5);

	g_date_clear(&end, 1);
	g_date_set_dmy(&end, 1, (GDateMonth)m, (GDateYear)y);
	g_date_add_months(&end, 1);
	calendar_day_of(now, &today);
	return calendar_date_string(g_date_compare(&today, &end) < 0 ? &today
								     : &end);
}

static gboolean
month_valid(const char *month)
{
	return month != NULL && strlen(month) == 7 && month[4] == '-' &&
	       g_ascii_isdigit(month[0]) && g_ascii_isdigit(month[1]) &&
	       g_ascii_isdigit(month[2]) && g_ascii_isdigit(month[3]) &&
	       g_ascii_isdigit(month[5]) && g_ascii_isdigit(month[6]) &&
	       atoi(month + 5) >= 1 && atoi(month + 5) <= 12 &&
	       atoi(month) >= 1912;
}

enum status
report_build(struct store *s, const struct config *cfg, const char *month,
	     const char *county, GDateTime *now, struct report **out,
	     struct err *err)
{
	struct report *r;
	enum status st = ST_OK;

	if (!month_valid(month))
		return err_set(err, ST_FATAL, "a month is written YYYY-MM, "
			       "not '%s'", month != NULL ? month : "");
	r = g_new0(struct report, 1);
	r->month = g_strdup(month);
	r->scope = g_strdup(county);
	r->generated = twtime_iso(now);
	r->until = overdue_until(month, now);
	r->rows = g_array_new(FALSE, FALSE, sizeof(struct report_row));
	for (int sec = 0; st == ST_OK && sec < SEC_COUNT; sec++) {
		g_autoptr(GHashTable) counts = g_hash_table_new_full(
			g_str_hash, g_str_equal, g_free, NULL);
		const char *key, *label;

		st = store_query(s, err, collect, counts, sections[sec].sql,
				 "ttt", month, county, r->until);
		/* Centre by centre, then the country: key by key. */
		for (guint c = 0; st == ST_OK && c <= cfg->centres->len; c++) {
			const struct centre *cen =
				c < cfg->centres->len ? cfg->centres->pdata[c]
						      : NULL;

			if (cen == NULL && county != NULL)
				break;
			if (cen != NULL && county != NULL &&
			    strcmp(cen->code, county) != 0)
				continue;
			for (guint i = 0; section_key(sec, i, &key, &label);
			     i++) {
				gint64 n = 0;

				for (guint k = 0; k < cfg->centres->len; k++) {
					const struct centre *o =
						cfg->centres->pdata[k];
					g_autofree char *hk = NULL;

					if (cen != NULL && o != cen)
						continue;
					hk = g_strdup_printf("%s\t%s", o->code,
							     key);
					n += GPOINTER_TO_INT(g_hash_table_lookup(
						counts, hk));
				}
				add_row(r, sec, key, label,
					cen != NULL ? cen->code : "ALL", n);
			}
		}
	}
	if (st != ST_OK) {
		report_free(r);
		return st;
	}
	*out = r;
	return ST_OK;
}

void
report_free(struct report *r)
{
	if (r == NULL)
		return;
	g_free(r->month);
	g_free(r->scope);
	g_free(r->generated);
	g_free(r->until);
	g_array_unref(r->rows);
	g_free(r);
}

static const char *
centre_label(const struct config *cfg, const char *code)
{
	const struct centre *c;

	if (strcmp(code, "ALL") == 0)
		return "全國";
	c = config_centre_find(cfg, code);
	return c != NULL && c->name != NULL ? c->name : county_name(code);
}

/* A CSV field, quoted when it must be. */
static void
csv_field(GString *out, const char *v, gboolean last)
{
	if (strpbrk(v, ",\"\r\n") != NULL) {
		g_string_append_c(out, '"');
		for (; *v; v++) {
			if (*v == '"')
				g_string_append_c(out, '"');
			g_string_append_c(out, *v);
		}
		g_string_append_c(out, '"');
	} else {
		g_string_append(out, v);
	}
	g_string_append(out, last ? "\r\n" : ",");
}

char *
report_csv(const struct report *r, const struct config *cfg)
{
	GString *out = g_string_new("\xEF\xBB\xBF");

	g_string_append(out, "month,section,section_label,centre,centre_name,"
			     "key,label,count\r\n");
	for (guint i = 0; i < r->rows->len; i++) {
		const struct report_row *row =
			&g_array_index(r->rows, struct report_row, i);
		g_autofree char *n = g_strdup_printf("%" G_GINT64_FORMAT,
						     row->count);

		csv_field(out, r->month, FALSE);
		csv_field(out, row->section, FALSE);
		csv_field(out, row->section_label, FALSE);
		csv_field(out, row->centre, FALSE);
		csv_field(out, centre_label(cfg, row->centre), FALSE);
		csv_field(out, row->key, FALSE);
		csv_field(out, row->label, FALSE);
		csv_field(out, n, TRUE);
	}
	return g_string_free(out, FALSE);
}

static void
esc(GString *out, const char *s)
{
	g_autofree char *e = g_markup_escape_text(s, -1);

	g_string_append(out, e);
}

/* Rows of one section for one centre (or ALL): a horizontal bar chart. */
static void
chart(GString *out, const struct report *r, const char *section,
      const char *centre, const char *colour)
{
	const int label_w = 230, bar_w = 380, row_h = 24, top = 6;
	gint64 max = 0;
	int n = 0, y;

	for (guint i = 0; i < r->rows->len; i++) {
		const struct report_row *row =
			&g_array_index(r->rows, struct report_row, i);

		if (strcmp(row->section, section) == 0 &&
		    strcmp(row->centre, centre) == 0) {
			max = MAX(max, row->count);
			n++;
		}
	}
	g_string_append_printf(out,
			       "<svg class=\"chart\" xmlns=\"http://www.w3.org/"
			       "2000/svg\" width=\"%d\" height=\"%d\" role=\"img\""
			       " aria-label=\"",
			       label_w + bar_w + 60, top * 2 + n * row_h);
	esc(out, section);
	g_string_append(out, "\">");
	y = top;
	for (guint i = 0; i < r->rows->len; i++) {
		const struct report_row *row =
			&g_array_index(r->rows, struct report_row, i);
		int w;

		if (strcmp(row->section, section) != 0 ||
		    strcmp(row->centre, centre) != 0)
			continue;
		w = max > 0 ? (int)(row->count * bar_w / max) : 0;
		g_string_append_printf(out, "<text x=\"%d\" y=\"%d\" "
				       "text-anchor=\"end\">", label_w - 8,
				       y + 16);
		esc(out, row->label);
		g_string_append_printf(out,
				       "</text><rect x=\"%d\" y=\"%d\" "
				       "width=\"%d\" height=\"%d\" fill=\"%s\"/>"
				       "<text x=\"%d\" y=\"%d\">%" G_GINT64_FORMAT
				       "</text>",
				       label_w, y + 3, MAX(w, 1), row_h - 6,
				       colour, label_w + w + 6, y + 16,
				       row->count);
		y += row_h;
	}
	g_string_append(out, "</svg>\n");
}

/* The country's table of a section: a row per centre, a column per key. */
static void
country_table(GString *out, const struct report *r, const char *section,
	      const struct config *cfg)
{
	g_autoptr(GPtrArray) keys = g_ptr_array_new();
	const char *centre = NULL;

	g_string_append(out, "<table><thead><tr><th>中心</th>");
	for (guint i = 0; i < r->rows->len; i++) {
		const struct report_row *row =
			&g_array_index(r->rows, struct report_row, i);

		if (strcmp(row->section, section) != 0)
			continue;
		if (centre == NULL)
			centre = row->centre;
		if (strcmp(row->centre, centre) != 0)
			break;
		g_string_append(out, "<th>");
		esc(out, row->label);
		g_string_append(out, "</th>");
	}
	g_string_append(out, "</tr></thead><tbody>");
	centre = NULL;
	for (guint i = 0; i < r->rows->len; i++) {
		const struct report_row *row =
			&g_array_index(r->rows, struct report_row, i);

		if (strcmp(row->section, section) != 0)
			continue;
		if (centre == NULL || strcmp(row->centre, centre) != 0) {
			if (centre != NULL)
				g_string_append(out, "</tr>");
			centre = row->centre;
			g_string_append_printf(out, "<tr%s><th>",
					       strcmp(centre, "ALL") == 0
						       ? " class=\"total\""
						       : "");
			esc(out, centre_label(cfg, centre));
			g_string_append(out, "</th>");
		}
		g_string_append_printf(out, "<td>%" G_GINT64_FORMAT "</td>",
				       row->count);
	}
	g_string_append(out, "</tr></tbody></table>\n");
}

char *
report_html(const struct report *r, const struct config *cfg)
{
	GString *out = g_string_new(NULL);
	const char *scope = r->scope != NULL ? r->scope : "ALL";
	g_autofree char *title = g_strdup_printf(
		"%s %d 年 %d 月（%s）月報",
		r->scope != NULL ? centre_label(cfg, scope)
				 : "全國毒品危害防制中心",
		atoi(r->month) - 1911, atoi(r->month + 5), r->month);

	g_string_append(out, "<!DOCTYPE html>\n<html lang=\"zh-Hant-TW\">"
			     "<head><meta charset=\"utf-8\"><title>");
	esc(out, title);
	g_string_append(out,
		"</title><style>"
		"body{font-family:'Noto Sans CJK TC','WenQuanYi Micro Hei',"
		"'Microsoft JhengHei',sans-serif;margin:2em;color:#222}"
		"h1{font-size:1.5em}h2{font-size:1.15em;margin-top:2em;"
		"border-bottom:1px solid #ccc}"
		"table{border-collapse:collapse;font-size:.85em;margin:.5em 0}"
		"th,td{border:1px solid #ccc;padding:.2em .5em;text-align:right}"
		"th{background:#f3f3f3;font-weight:normal}"
		"tbody th{text-align:left}tr.total td,tr.total th{font-weight:"
		"bold;background:#eef3f8}"
		"svg.chart text{font-size:13px;fill:#222}"
		".note{color:#666;font-size:.85em}"
		"@media print{h2{break-before:auto}}"
		"</style></head><body>\n<h1>");
	esc(out, title);
	g_string_append(out, "</h1>\n<p class=\"note\">統計期間：");
	esc(out, r->month);
	g_string_append(out, "（臺灣時間）；逾期計至 ");
	esc(out, r->until);
	g_string_append(out, " 前；產生時間 ");
	esc(out, r->generated);
	g_string_append(out, "。本報表只有件數，不含個案資料。</p>\n");
	for (int sec = 0; sec < SEC_COUNT; sec++) {
		gint64 total = 0;

		for (guint i = 0; i < r->rows->len; i++) {
			const struct report_row *row =
				&g_array_index(r->rows, struct report_row, i);

			if (strcmp(row->section, sections[sec].name) == 0 &&
			    strcmp(row->centre, scope) == 0)
				total += row->count;
		}
		g_string_append_printf(out, "<section id=\"%s\"><h2>",
				       sections[sec].name);
		esc(out, sections[sec].label);
		g_string_append_printf(out, "（合計 %" G_GINT64_FORMAT "）"
				       "</h2>\n", total);
		chart(out, r, sections[sec].name, scope,
		      sections[sec].colour);
		if (r->scope == NULL)
			country_table(out, r, sections[sec].name, cfg);
		g_string_append(out, "</section>\n");
	}
	g_string_append(out, "</body></html>\n");
	return g_string_free(out, FALSE);
}
