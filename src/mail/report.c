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
 * The groups of charts that count alike and so share a scale: cases
 * (opened, referred, closed, with a need) and overdue steps, of which a
 * case may have several and which reach back past the month.
 */
enum scale_group {
	SCALE_CASES,
	SCALE_STEPS,
	SCALE_COUNT,
};

static const char *const scale_unit[SCALE_COUNT] = { "件", "項" };

/*
 * Each section: its name, its label, the SQL of its counts (columns
 * county, key, count; ?1 the month, ?2 the county or NULL, ?3 the day
 * overdue is counted before), the colour of its chart and its scale.
 */
static const struct {
	const char *name, *label, *sql, *colour;
	enum scale_group scale;
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
		"GROUP BY 1, 2", "#b03a2e", SCALE_STEPS },
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

/* Where counts keep the sum over every county. */
#define ANY_COUNTY "*"

/*
 * "county\tkey" -> count, for one section, and "*\tkey" -> the sum over
 * every county, those outside the config too.
 */
static gboolean
collect(const struct store_row *row, gpointer data)
{
	const char *county = store_col_text(row, 0);
	const char *key = store_col_text(row, 1);
	int n = (int)store_col_int(row, 2);
	char *any;

	if (county == NULL || key == NULL)
		return TRUE;
	g_hash_table_insert(data, g_strdup_printf("%s\t%s", county, key),
			    GINT_TO_POINTER(n));
	any = g_strdup_printf(ANY_COUNTY "\t%s", key);
	n += GPOINTER_TO_INT(g_hash_table_lookup(data, any));
	g_hash_table_replace(data, any, GINT_TO_POINTER(n));
	return TRUE;
}

/*
 * Adds to out (once each) the counties of counts that no centre of the
 * config serves: a case handed over there was opened in that county.
 */
static void
outside_counties(GHashTable *counts, const struct config *cfg,
		 GPtrArray *out)
{
	GHashTableIter it;
	gpointer k;

	g_hash_table_iter_init(&it, counts);
	while (g_hash_table_iter_next(&it, &k, NULL)) {
		const char *key = k, *tab = strchr(key, '\t');
		char code[4];

		/* Codes are three letters (county_code_valid()). */
		if (tab == NULL || tab - key != 3)
			continue;
		g_strlcpy(code, key, sizeof code);
		if (config_centre_find(cfg, code) == NULL &&
		    !g_ptr_array_find_with_equal_func(out, code, g_str_equal,
						      NULL))
			g_ptr_array_add(out, g_strdup(code));
	}
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

/* The digits at *p (five at most: more is no year) as *n: how many. */
static int
digits(const char **p, int *n)
{
	int k = 0;

	*n = 0;
	for (; k < 5 && g_ascii_isdigit(**p); k++, (*p)++)
		*n = *n * 10 + (**p - '0');
	return k;
}

/* The month of now in Taiwan, "2026-11": new string. */
static char *
month_of(GDateTime *now)
{
	g_autoptr(GDateTime) tw = g_date_time_to_timezone(now, twtime_zone());

	return g_date_time_format(tw, "%Y-%m");
}

enum status
report_month_parse(const char *text, GDateTime *now, char **month,
		   struct err *err)
{
	const char *p = text != NULL ? text : "";
	g_autofree char *canon = NULL, *current = NULL;
	int y, m, ny, nm;

	if (g_str_has_prefix(p, "民國"))
		p += strlen("民國");
	ny = digits(&p, &y);
	if (g_str_has_prefix(p, "年"))
		p += strlen("年");
	else if (*p == '-' || *p == '/' || *p == '.')
		p++;
	else
		ny = 0;
	nm = digits(&p, &m);
	if (g_str_has_prefix(p, "月"))
		p += strlen("月");
	if (ny < 2 || ny > 4 || nm < 1 || nm > 2 || *p != '\0')
		return err_set(err, ST_FATAL,
			       "a month is written 2026-11, or 115-11 in the "
			       "ROC calendar, not '%s'", text != NULL ? text
								      : "");
	if (m < 1 || m > 12)
		return err_set(err, ST_FATAL, "'%s' has no month %d", text, m);
	/* Two or three digits are a 民國 year: 115 is 2026. */
	if (ny < 4)
		y += 1911;
	if (y < 1912)
		return err_set(err, ST_FATAL, "'%s' is before the ROC "
			       "calendar began (1912-01)", text);
	canon = g_strdup_printf("%04d-%02d", y, m);
	current = month_of(now);
	if (strcmp(canon, current) > 0)
		return err_set(err, ST_FATAL, "'%s' (%s) has not begun yet: "
			       "it is %s now", text, canon, current);
	*month = g_steal_pointer(&canon);
	return ST_OK;
}

/*
 * The latest month up to now with a case opened, referred or closed, in
 * county or anywhere (?1 NULL); ?2 the month of now.
 */
static const char latest_sql[] =
	"SELECT max(m) FROM ("
	"SELECT substr(created_at, 1, 7) AS m FROM cases "
	"WHERE (?1 IS NULL OR county = ?1) AND merged_into IS NULL "
	"UNION ALL SELECT substr(r.referred_at, 1, 7) FROM referrals r "
	"JOIN cases c ON c.id = r.case_id WHERE (?1 IS NULL OR c.county = ?1) "
	"UNION ALL SELECT substr(closed_at, 1, 7) FROM cases "
	"WHERE state = 'closed' AND (?1 IS NULL OR county = ?1)) "
	"WHERE m <= ?2";

/* The sum of a section's counts for centre (or "ALL"). */
static gint64
section_total(const struct report *r, const char *section,
	      const char *centre)
{
	gint64 total = 0;

	for (guint i = 0; i < r->rows->len; i++) {
		const struct report_row *row =
			&g_array_index(r->rows, struct report_row, i);

		if (strcmp(row->section, section) == 0 &&
		    strcmp(row->centre, centre) == 0)
			total += row->count;
	}
	return total;
}

static gint
code_cmp(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The rows of section sec for one centre, outside county or "ALL". */
static void
add_rows(struct report *r, enum section_id sec, GHashTable *counts,
	 const char *centre)
{
	const char *key, *label;

	for (guint i = 0; section_key(sec, i, &key, &label); i++) {
		g_autofree char *hk = g_strdup_printf(
			"%s\t%s",
			strcmp(centre, "ALL") == 0 ? ANY_COUNTY : centre, key);

		add_row(r, sec, key, label, centre,
			GPOINTER_TO_INT(g_hash_table_lookup(counts, hk)));
	}
}

enum status
report_build(struct store *s, const struct config *cfg, const char *month,
	     const char *county, GDateTime *now, struct report **out,
	     struct err *err)
{
	GHashTable *counts[SEC_COUNT] = { NULL };
	g_autoptr(GPtrArray) outside = g_ptr_array_new_with_free_func(g_free);
	g_autofree char *current = month_of(now);
	struct report *r;
	enum status st;

	r = g_new0(struct report, 1);
	r->rows = g_array_new(FALSE, FALSE, sizeof(struct report_row));
	st = report_month_parse(month, now, &r->month, err);
	if (st == ST_OK) {
		r->scope = g_strdup(county);
		r->generated = twtime_iso(now);
		r->until = overdue_until(r->month, now);
		r->partial = strcmp(r->month, current) == 0;
		st = store_query(s, err, store_read_text, &r->latest,
				 latest_sql, "tt", county, current);
	}
	for (int sec = 0; st == ST_OK && sec < SEC_COUNT; sec++) {
		counts[sec] = g_hash_table_new_full(g_str_hash, g_str_equal,
						    g_free, NULL);
		st = store_query(s, err, collect, counts[sec],
				 sections[sec].sql, "ttt", r->month, county,
				 r->until);
		if (county == NULL)
			outside_counties(counts[sec], cfg, outside);
	}
	g_ptr_array_sort(outside, code_cmp);
	/* Centre by centre, the counties outside, then the country. */
	for (int sec = 0; st == ST_OK && sec < SEC_COUNT; sec++) {
		for (guint c = 0; c < cfg->centres->len; c++) {
			const struct centre *cen = cfg->centres->pdata[c];

			if (county == NULL || strcmp(cen->code, county) == 0)
				add_rows(r, sec, counts[sec], cen->code);
		}
		for (guint c = 0; c < outside->len; c++)
			add_rows(r, sec, counts[sec], outside->pdata[c]);
		if (county == NULL)
			add_rows(r, sec, counts[sec], "ALL");
	}
	for (int sec = 0; sec < SEC_COUNT; sec++)
		if (counts[sec] != NULL)
			g_hash_table_unref(counts[sec]);
	if (st != ST_OK) {
		report_free(r);
		return st;
	}
	county = county != NULL ? county : "ALL";
	r->quiet = section_total(r, sections[SEC_SOURCE].name, county) == 0 &&
		   section_total(r, sections[SEC_REFERRAL].name, county) == 0 &&
		   section_total(r, sections[SEC_CLOSED].name, county) == 0;
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
	g_free(r->latest);
	g_array_unref(r->rows);
	g_free(r);
}

/* What every centre's name ends in, which a list of them shares. */
#define CENTRE_SUFFIX "毒品危害防制中心"

/*
 * The name a row's centre goes by: the centre's own; for a county
 * outside the config, the county, marked; "合計" for the total.  New.
 */
static char *
centre_label(const struct config *cfg, const char *code)
{
	const struct centre *c;
	const char *county;

	if (strcmp(code, "ALL") == 0)
		return g_strdup("合計");
	c = config_centre_find(cfg, code);
	if (c != NULL && c->name != NULL)
		return g_strdup(c->name);
	county = county_name(code);
	return g_strdup_printf("%s（移交至本系統以外的中心）",
			       county != NULL ? county : code);
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
		g_autofree char *name = centre_label(cfg, row->centre);

		csv_field(out, r->month, FALSE);
		csv_field(out, row->section, FALSE);
		csv_field(out, row->section_label, FALSE);
		csv_field(out, row->centre, FALSE);
		csv_field(out, name, FALSE);
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

/* The least of 1, 2, 5, 10, 20, 50... not below n: a scale's end. */
static gint64
scale_end(gint64 n)
{
	for (gint64 p = 1;; p *= 10) {
		if (n <= p)
			return p;
		if (n <= 2 * p)
			return 2 * p;
		if (n <= 5 * p)
			return 5 * p;
	}
}

/*
 * The scale of group g in the charts of centre: where a bar ends that
 * is the full width, the same for every chart of the group, so that 3
 * closures draw shorter than 246 new cases.
 */
static gint64
scale_of(const struct report *r, enum scale_group g, const char *centre)
{
	gint64 max = 0;

	for (guint i = 0; i < r->rows->len; i++) {
		const struct report_row *row =
			&g_array_index(r->rows, struct report_row, i);

		for (int sec = 0; sec < SEC_COUNT; sec++)
			if (sections[sec].scale == g &&
			    strcmp(row->section, sections[sec].name) == 0 &&
			    strcmp(row->centre, centre) == 0)
				max = MAX(max, row->count);
	}
	return scale_end(max);
}

enum {
	CHART_LABEL_W = 230,	/* labels end here, and bars begin */
	CHART_BAR_W = 380,	/* the width of a bar as long as the scale */
	CHART_ROW_H = 24,
	CHART_TOP = 6,
	CHART_AXIS_H = 22,
};

/* The axis under a chart: its scale at 0, the middle and the end. */
static void
chart_axis(GString *out, int y, gint64 scale, enum scale_group g)
{
	const int x0 = CHART_LABEL_W;

	g_string_append_printf(out, "<line class=\"axis\" x1=\"%d\" y1=\"%d\" "
			       "x2=\"%d\" y2=\"%d\"/>", x0, y, x0 + CHART_BAR_W,
			       y);
	for (gint64 t = 0; t <= 2; t++) {
		int x = x0 + (int)(t * CHART_BAR_W / 2);

		/* A scale of 1 or 5 has no whole middle. */
		if (t == 1 && scale % 2 != 0)
			continue;
		g_string_append_printf(
			out,
			"<line class=\"axis\" x1=\"%d\" y1=\"%d\" x2=\"%d\" "
			"y2=\"%d\"/><text class=\"tick\" x=\"%d\" y=\"%d\" "
			"text-anchor=\"middle\">%" G_GINT64_FORMAT
			"%s%s</text>",
			x, y, x, y + 4, x, y + 17, t * scale / 2,
			t == 2 ? " " : "", t == 2 ? scale_unit[g] : "");
	}
}

/*
 * Rows of section sec for one centre (or ALL): a horizontal bar chart
 * on the scale of its group, its axis under it.
 */
static void
chart(GString *out, const struct report *r, enum section_id sec,
      const char *centre, gint64 scale)
{
	const char *section = sections[sec].name;
	int n = 0, y;

	for (guint i = 0; i < r->rows->len; i++) {
		const struct report_row *row =
			&g_array_index(r->rows, struct report_row, i);

		if (strcmp(row->section, section) == 0 &&
		    strcmp(row->centre, centre) == 0)
			n++;
	}
	g_string_append_printf(
		out,
		"<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" "
		"width=\"%d\" height=\"%d\" data-scale=\"%" G_GINT64_FORMAT
		"\" role=\"img\" aria-label=\"",
		CHART_LABEL_W + CHART_BAR_W + 60,
		CHART_TOP * 2 + n * CHART_ROW_H + CHART_AXIS_H, scale);
	esc(out, sections[sec].label);
	g_string_append(out, "\">");
	y = CHART_TOP;
	for (guint i = 0; i < r->rows->len; i++) {
		const struct report_row *row =
			&g_array_index(r->rows, struct report_row, i);
		int w;

		if (strcmp(row->section, section) != 0 ||
		    strcmp(row->centre, centre) != 0)
			continue;
		w = (int)(row->count * CHART_BAR_W / scale);
		g_string_append_printf(out, "<text x=\"%d\" y=\"%d\" "
				       "text-anchor=\"end\">",
				       CHART_LABEL_W - 8, y + 16);
		esc(out, row->label);
		g_string_append_printf(
			out,
			"</text><rect x=\"%d\" y=\"%d\" width=\"%d\" "
			"height=\"%d\" fill=\"%s\"/><text x=\"%d\" y=\"%d\">"
			"%" G_GINT64_FORMAT "</text>",
			CHART_LABEL_W, y + 3, MAX(w, 1), CHART_ROW_H - 6,
			sections[sec].colour, CHART_LABEL_W + w + 6, y + 16,
			row->count);
		y += CHART_ROW_H;
	}
	chart_axis(out, y + 2, scale, sections[sec].scale);
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
			g_autofree char *name = NULL;

			if (centre != NULL)
				g_string_append(out, "</tr>");
			centre = row->centre;
			g_string_append_printf(out, "<tr%s><th>",
					       strcmp(centre, "ALL") == 0
						       ? " class=\"total\""
						       : "");
			name = centre_label(cfg, centre);
			esc(out, name);
			g_string_append(out, "</th>");
		}
		g_string_append_printf(out, "<td>%" G_GINT64_FORMAT "</td>",
				       row->count);
	}
	g_string_append(out, "</tr></tbody></table>\n");
}

/* "115 年 11 月（2026-11）" of month "2026-11": new string. */
static char *
month_words(const char *month)
{
	return g_strdup_printf("%d 年 %d 月（%s）", atoi(month) - 1911,
			       atoi(month + 5), month);
}

/*
 * The centres of cfg named together, as a supervisor writes them: the
 * suffix they share once ("臺南市政府、新北市政府毒品危害防制中心"), or
 * each name in full.  New string.
 */
static char *
centres_named(const struct config *cfg)
{
	GString *out = g_string_new(NULL);
	gboolean shared = TRUE;

	for (guint i = 0; i < cfg->centres->len; i++) {
		const struct centre *c = cfg->centres->pdata[i];

		shared = shared && g_str_has_suffix(c->name, CENTRE_SUFFIX) &&
			 strcmp(c->name, CENTRE_SUFFIX) != 0;
	}
	for (guint i = 0; i < cfg->centres->len; i++) {
		const struct centre *c = cfg->centres->pdata[i];

		if (i > 0)
			g_string_append(out, "、");
		g_string_append_len(out, c->name,
				    (gssize)strlen(c->name) -
					    (shared ? (gssize)strlen(
							      CENTRE_SUFFIX)
						    : 0));
	}
	if (shared)
		g_string_append(out, CENTRE_SUFFIX);
	return g_string_free(out, FALSE);
}

/* Names up to this many centres in a title; more are counted. */
#define TITLE_CENTRES 3

/*
 * Whom the report is of, for its title: the centre, the centres named,
 * or how many ("9 個毒品危害防制中心").  New string.
 */
static char *
report_of(const struct report *r, const struct config *cfg)
{
	if (r->scope != NULL)
		return centre_label(cfg, r->scope);
	if (cfg->centres->len <= TITLE_CENTRES)
		return centres_named(cfg);
	return g_strdup_printf("%u 個" CENTRE_SUFFIX, cfg->centres->len);
}

/* The counties outside the config that rows count, "屏東縣、金門縣". */
static char *
outside_named(const struct report *r, const struct config *cfg)
{
	GString *out = g_string_new(NULL);
	const char *last = "";

	for (guint i = 0; i < r->rows->len; i++) {
		const struct report_row *row =
			&g_array_index(r->rows, struct report_row, i);
		const char *name;

		/* The first section lists each centre once, in order. */
		if (strcmp(row->section, sections[0].name) != 0)
			break;
		if (strcmp(row->centre, last) == 0 ||
		    strcmp(row->centre, "ALL") == 0 ||
		    config_centre_find(cfg, row->centre) != NULL)
			continue;
		last = row->centre;
		name = county_name(row->centre);
		g_string_append_printf(out, "%s%s", out->len > 0 ? "、" : "",
				       name != NULL ? name : row->centre);
	}
	return g_string_free(out, out->len == 0);
}

/* Whether every count of the report's own scope is 0. */
static gboolean
all_zero(const struct report *r, const char *scope)
{
	for (int sec = 0; sec < SEC_COUNT; sec++)
		if (section_total(r, sections[sec].name, scope) != 0)
			return FALSE;
	return TRUE;
}

/*
 * What a reader must know before the figures: a month with nothing in
 * it and the latest that had something; a month not over; counties
 * outside the config in the total; the scales of the charts.
 */
static void
notes(GString *out, const struct report *r, const struct config *cfg,
      const gint64 *scale)
{
	const char *scope = r->scope != NULL ? r->scope : "ALL";
	g_autofree char *when = month_words(r->month);
	g_autofree char *outside = outside_named(r, cfg);

	if (r->quiet) {
		g_autofree char *latest =
			r->latest != NULL ? month_words(r->latest) : NULL;

		g_string_append(out, "<p class=\"empty\"><strong>");
		esc(out, when);
		g_string_append(out, "沒有新案件，也沒有轉介或結案。</strong>");
		g_string_append(out, all_zero(r, scope)
					? "以下各項皆為 0。"
					: "月底仍逾期的作業期限列在最後。");
		if (latest != NULL) {
			g_string_append(out, "有資料的最近月份是 ");
			esc(out, latest);
			g_string_append(out, "。");
		} else {
			g_string_append(out, "目前尚無任何案件紀錄。");
		}
		g_string_append(out, "</p>\n");
	}
	if (r->partial)
		g_string_append(out, "<p class=\"empty\">本月尚未結束："
				     "數字計至產生時間為止。</p>\n");
	if (outside != NULL) {
		g_string_append(out, "<p class=\"note\">合計含移交至本系統以外"
				     "中心的案件（");
		esc(out, outside);
		g_string_append(out, "），各表另列一行。</p>\n");
	}
	g_string_append_printf(
		out,
		"<p class=\"note\">長條圖的比例尺：各圖的案件數同一比例"
		"（全長 %" G_GINT64_FORMAT " %s）；逾期作業期限另一比例"
		"（全長 %" G_GINT64_FORMAT " %s）。</p>\n",
		scale[SCALE_CASES], scale_unit[SCALE_CASES],
		scale[SCALE_STEPS], scale_unit[SCALE_STEPS]);
}

char *
report_html(const struct report *r, const struct config *cfg)
{
	GString *out = g_string_new(NULL);
	const char *scope = r->scope != NULL ? r->scope : "ALL";
	g_autofree char *of = report_of(r, cfg);
	g_autofree char *when = month_words(r->month);
	g_autofree char *title = g_strdup_printf("%s %s月報", of, when);
	gint64 scale[SCALE_COUNT];

	for (int g = 0; g < SCALE_COUNT; g++)
		scale[g] = scale_of(r, (enum scale_group)g, scope);
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
		"svg.chart text.tick{font-size:11px;fill:#666}"
		"svg.chart line.axis{stroke:#999}"
		".note{color:#666;font-size:.85em}"
		".empty{border-left:4px solid #d08a2c;background:#fdf6ec;"
		"padding:.5em .8em}"
		"@media print{h2{break-before:auto}}"
		"</style></head><body>\n<h1>");
	esc(out, title);
	g_string_append(out, "</h1>\n");
	if (r->scope == NULL && cfg->centres->len > TITLE_CENTRES) {
		g_autofree char *named = centres_named(cfg);

		g_string_append(out, "<p class=\"cover\">涵蓋：");
		esc(out, named);
		g_string_append(out, "</p>\n");
	}
	g_string_append(out, "<p class=\"note\">統計期間：");
	esc(out, when);
	g_string_append(out, "，臺灣時間；逾期計至 ");
	esc(out, r->until);
	g_string_append(out, " 前；產生時間 ");
	esc(out, r->generated);
	g_string_append(out, "。本報表只有件數，不含個案資料。</p>\n");
	notes(out, r, cfg, scale);
	for (int sec = 0; sec < SEC_COUNT; sec++) {
		g_string_append_printf(out, "<section id=\"%s\"><h2>",
				       sections[sec].name);
		esc(out, sections[sec].label);
		g_string_append_printf(out, "（合計 %" G_GINT64_FORMAT "）"
				       "</h2>\n",
				       section_total(r, sections[sec].name,
						     scope));
		chart(out, r, (enum section_id)sec, scope,
		      scale[sections[sec].scale]);
		if (r->scope == NULL)
			country_table(out, r, sections[sec].name, cfg);
		g_string_append(out, "</section>\n");
	}
	g_string_append(out, "</body></html>\n");
	return g_string_free(out, FALSE);
}
