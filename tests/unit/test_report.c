/*
 * The monthly report (report.h): the month's new cases counted by
 * source and urgency, the month's closures by reason, per centre and
 * for the country; cases of other months and merged cases left out;
 * counts only, never a case number or a person.  And as a supervisor
 * hands it on: the month read in 民國 or Gregorian, months that are none
 * refused; an empty month said, with the latest that had something;
 * titled with the centres it covers; the case charts on one scale; a
 * hand-over to a county outside the config counted.
 */
#include <string.h>

#include "testutil.h"
#include "testvault.h"
#include "testconfig.h"

#include "cases.h"
#include "config.h"
#include "report.h"
#include "store.h"
#include "twtime.h"

struct fx {
	char *dir;
	struct config *cfg;
	struct store *s;
	struct calendar *cal;
	GPtrArray *numbers;	/* of every case made */
};

static int
setup(void **state)
{
	struct fx *f = g_new0(struct fx, 1);
	g_autofree char *db = NULL;
	struct err err = { 0 };

	f->dir = scratch_new();
	f->numbers = g_ptr_array_new_with_free_func(g_free);
	f->cfg = test_config(f->dir,
		"[centre TPE]\nname = 臺北市政府毒品危害防制中心\n"
		"address = tpe@centers.moj-help.example\n"
		"staff = lin@tpe.centers.example\n"
		"duty = duty@tpe.centers.example\n\n"
		"[centre KHH]\nname = 高雄市政府毒品危害防制中心\n"
		"address = khh@centers.moj-help.example\n"
		"staff = wu@khh.centers.example\n"
		"duty = duty@khh.centers.example\n");
	db = g_build_filename(f->dir, "t.db", NULL);
	if (f->cfg == NULL || store_open(db, &f->s, &err) != ST_OK || !test_seal(f->s, f->dir) ||
	    cases_calendar(f->s, f->cfg->calendar, &f->cal, &err) != ST_OK) {
		print_error("%s\n", err.msg);
		return -1;
	}
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	calendar_free(f->cal);
	store_close(f->s);
	config_free(f->cfg);
	scratch_remove(f->dir);
	g_ptr_array_free(f->numbers, TRUE);
	g_free(f->dir);
	g_free(f);
	return 0;
}

/* A case of county from source with urgency, received on month/day. */
static void
new_case(struct fx *f, const char *county, const char *source,
	 const char *urgency, int month, int day, struct case_ref *c)
{
	g_autoptr(GDateTime) at = g_date_time_new(twtime_zone(), 2026, month,
						  day, 10, 0, 0);
	struct case_new cn = { .county = county, .urgency = urgency,
			       .source = source, .subject = "陳小明 求助" };
	g_autofree char *number = NULL;
	struct err err = { 0 };
	gint64 id;

	assert_int_equal(store_begin(f->s, &err), ST_OK);
	assert_int_equal(cases_add(f->s, &cn, at, &id, &number, &err),
			 ST_OK);
	assert_int_equal(cases_opened(f->s, f->cal, id, at, &err), ST_OK);
	assert_int_equal(store_commit(f->s, &err), ST_OK);
	assert_int_equal(cases_find(f->s, number, c, &err), ST_OK);
	g_ptr_array_add(f->numbers, g_steal_pointer(&number));
}

/* The count of section/key for centre in r (0 when no row says). */
static gint64
count(const struct report *r, const char *section, const char *key,
      const char *centre)
{
	for (guint i = 0; i < r->rows->len; i++) {
		const struct report_row *row =
			&g_array_index(r->rows, struct report_row, i);

		if (strcmp(row->section, section) == 0 &&
		    strcmp(row->key, key) == 0 &&
		    strcmp(row->centre, centre) == 0)
			return row->count;
	}
	return 0;
}

static void
test_month_counts(void **state)
{
	struct fx *f = *state;
	g_autoptr(GDateTime) now = g_date_time_new(twtime_zone(), 2026, 12, 5,
						   9, 0, 0);
	g_autoptr(GDateTime) closed_at = g_date_time_new(twtime_zone(), 2026,
							 11, 20, 9, 0, 0);
	struct report *r = NULL, *all = NULL;
	struct case_ref a, b, k, old, merged;
	g_autofree char *csv = NULL, *html = NULL;
	struct err err = { 0 };

	new_case(f, "TPE", "webform", "emergency", 11, 3, &a);
	new_case(f, "TPE", "direct", "application", 11, 30, &b);
	new_case(f, "KHH", "webform", "consultation", 11, 12, &k);
	/* October's case is not November's. */
	new_case(f, "TPE", "webform", "application", 10, 31, &old);
	/* A case merged into another is counted once, as the other. */
	new_case(f, "TPE", "webform", "application", 11, 4, &merged);
	assert_int_equal(cases_merge(f->s, &merged, a.number, "lin",
				     closed_at, &err),
			 ST_OK);
	assert_int_equal(cases_close(f->s, f->cal, &b, CLOSE_DECEASED, NULL,
				     FALSE, "lin", NULL, closed_at, NULL, &err),
			 ST_OK);

	assert_int_equal(report_build(f->s, f->cfg, "2026-11", "TPE", now, &r,
				      &err),
			 ST_OK);
	assert_int_equal(count(r, "source", "webform", "TPE"), 1);
	assert_int_equal(count(r, "source", "direct", "TPE"), 1);
	assert_int_equal(count(r, "urgency", "emergency", "TPE"), 1);
	assert_int_equal(count(r, "closed", "deceased", "TPE"), 1);
	/* A centre's report holds no other centre. */
	assert_int_equal(count(r, "source", "webform", "KHH"), 0);

	assert_int_equal(report_build(f->s, f->cfg, "2026-11", NULL, now,
				      &all, &err),
			 ST_OK);
	assert_int_equal(count(all, "source", "webform", "KHH"), 1);
	assert_int_equal(count(all, "source", "webform", "ALL"), 2);
	assert_int_equal(count(all, "source", "direct", "ALL"), 1);

	/* Counts only: no case number, no person, in either form. */
	csv = report_csv(all, f->cfg);
	html = report_html(all, f->cfg);
	assert_true(g_str_has_prefix(csv, "\xEF\xBB\xBF"));
	for (guint i = 0; i < f->numbers->len; i++) {
		assert_null(strstr(csv, f->numbers->pdata[i]));
		assert_null(strstr(html, f->numbers->pdata[i]));
	}
	assert_null(strstr(csv, "陳小明"));
	assert_null(strstr(html, "陳小明"));
	report_free(r);
	report_free(all);
	case_ref_clear(&a);
	case_ref_clear(&b);
	case_ref_clear(&k);
	case_ref_clear(&old);
	case_ref_clear(&merged);
}

/* Months as people write them, and those refused; now is 2026-12-05. */
static void
test_month_parse(void **state)
{
	static const struct {
		const char *text, *month;	/* NULL: refused */
	} cases[] = {
		{ "2026-11", "2026-11" },
		{ "115-11", "2026-11" },
		{ "115/11", "2026-11" },
		{ "115.11", "2026-11" },
		{ "115年11月", "2026-11" },
		{ "民國115年11月", "2026-11" },
		{ "2026/1", "2026-01" },
		{ "99-12", "2010-12" },
		{ "1912-01", "1912-01" },
		{ "2026-12", "2026-12" },	/* this month, not over */
		{ "115-13", NULL },
		{ "2026-00", NULL },
		{ "115-0", NULL },
		{ "abc", NULL },
		{ "", NULL },
		{ "2026-11-01", NULL },
		{ "2026 -11", NULL },
		{ "202611", NULL },
		{ "12026-11", NULL },
		{ "1-11", NULL },
		{ "00-11", NULL },		/* 民國 0 is 1911 */
		{ "1911-12", NULL },
		{ "2027-01", NULL },		/* not begun */
		{ "116-01", NULL },
		{ "115-011", NULL },
		{ "99999999999-11", NULL },
	};
	g_autoptr(GDateTime) now = g_date_time_new(twtime_zone(), 2026, 12, 5,
						   9, 0, 0);

	(void)state;
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *month = NULL;
		struct err err = { 0 };
		enum status st = report_month_parse(cases[i].text, now, &month,
						    &err);

		if (cases[i].month != NULL) {
			assert_int_equal(st, ST_OK);
			assert_string_equal(month, cases[i].month);
		} else {
			assert_int_equal(st, ST_FATAL);
			assert_null(month);
			/* The error names what was given. */
			assert_non_null(strstr(err.msg, cases[i].text));
		}
	}
	{
		g_autofree char *month = NULL;
		struct err err = { 0 };

		assert_int_equal(report_month_parse(NULL, now, &month, &err),
				 ST_FATAL);
	}
}

/* A report of month as of 2026-12-05 (scope NULL: every centre). */
static struct report *
build(struct fx *f, const char *month, const char *scope)
{
	g_autoptr(GDateTime) now = g_date_time_new(twtime_zone(), 2026, 12, 5,
						   9, 0, 0);
	struct report *r = NULL;
	struct err err = { 0 };

	assert_int_equal(report_build(f->s, f->cfg, month, scope, now, &r,
				      &err),
			 ST_OK);
	return r;
}

/* The <h1> of a page: new string. */
static char *
title_of(const char *html)
{
	const char *a = strstr(html, "<h1>"), *b;

	assert_non_null(a);
	a += strlen("<h1>");
	b = strstr(a, "</h1>");
	assert_non_null(b);
	return g_strndup(a, (gsize)(b - a));
}

/* The width of the bar labelled label in section's chart of html. */
static int
bar_width(const char *html, const char *section, const char *label)
{
	g_autofree char *at = g_strdup_printf("<section id=\"%s\">", section);
	g_autofree char *text = g_strdup_printf(">%s</text><rect ", label);
	const char *p = strstr(html, at), *end, *w;

	assert_non_null(p);
	end = strstr(p, "</svg>");
	p = strstr(p, text);
	assert_true(p != NULL && p < end);
	w = strstr(p, "width=\"");
	assert_non_null(w);
	return atoi(w + strlen("width=\""));
}

static void
test_same_scale(void **state)
{
	struct fx *f = *state;
	g_autoptr(GDateTime) at = g_date_time_new(twtime_zone(), 2026, 11, 20,
						  9, 0, 0);
	struct case_ref c[6];
	struct report *r;
	g_autofree char *html = NULL;
	int six, three, one;
	struct err err = { 0 };

	for (int i = 0; i < 6; i++)
		new_case(f, "TPE", "webform", i == 0 ? "emergency"
						     : "application",
			 11, 3 + i, &c[i]);
	for (int i = 0; i < 3; i++)
		assert_int_equal(cases_close(f->s, f->cal, &c[i],
					     CLOSE_UNREACHABLE, NULL, FALSE, "lin",
					     NULL, at, NULL, &err),
				 ST_OK);
	r = build(f, "2026-11", "TPE");
	html = report_html(r, f->cfg);
	six = bar_width(html, "source", "我要求助網頁");
	three = bar_width(html, "closed", "無法聯繫");
	one = bar_width(html, "urgency", "緊急");
	/* 3 closures draw half as long as 6 new cases, 1 a sixth. */
	assert_true(six > 0);
	assert_int_equal(three * 2, six);
	assert_int_equal(one * 6, six);
	/* Said on the page: one scale for cases, to 10. */
	assert_non_null(strstr(html, "各圖的案件數同一比例（全長 10 件）"));
	assert_int_equal(six, 6 * 380 / 10);
	report_free(r);
	for (int i = 0; i < 6; i++)
		case_ref_clear(&c[i]);
}

static void
test_empty_month(void **state)
{
	struct fx *f = *state;
	struct report *r;
	g_autofree char *html = NULL, *busy = NULL;
	struct case_ref a;

	/* No case at all yet. */
	r = build(f, "2026-10", NULL);
	assert_true(r->quiet);
	assert_null(r->latest);
	html = report_html(r, f->cfg);
	assert_non_null(strstr(html, "115 年 10 月（2026-10）沒有新案件，"
				     "也沒有轉介或結案。"));
	assert_non_null(strstr(html, "以下各項皆為 0。目前尚無任何案件紀錄。"));
	report_free(r);
	g_clear_pointer(&html, g_free);

	/* November had a case: October says so, November has no note. */
	new_case(f, "KHH", "direct", "consultation", 11, 12, &a);
	r = build(f, "115-10", NULL);
	assert_true(r->quiet);
	assert_false(r->partial);
	assert_string_equal(r->latest, "2026-11");
	html = report_html(r, f->cfg);
	assert_non_null(strstr(html, "有資料的最近月份是 "
				     "115 年 11 月（2026-11）。"));
	report_free(r);
	/* The centre without it: nothing anywhere. */
	r = build(f, "2026-11", "TPE");
	assert_true(r->quiet);
	assert_null(r->latest);
	report_free(r);
	r = build(f, "2026-11", NULL);
	assert_false(r->quiet);
	busy = report_html(r, f->cfg);
	assert_null(strstr(busy, "沒有新案件"));
	assert_null(strstr(busy, "尚未結束"));
	report_free(r);
	/* December is not over on the 5th. */
	r = build(f, "2026-12", NULL);
	assert_true(r->partial);
	g_clear_pointer(&html, g_free);
	html = report_html(r, f->cfg);
	assert_non_null(strstr(html, "本月尚未結束"));
	report_free(r);
	case_ref_clear(&a);
}

static void
test_title_and_month_forms(void **state)
{
	struct fx *f = *state;
	struct report *g, *roc, *one;
	g_autofree char *gh = NULL, *rh = NULL, *gc = NULL, *rc = NULL;
	g_autofree char *title = NULL, *one_title = NULL;
	struct case_ref a;

	new_case(f, "TPE", "webform", "emergency", 11, 3, &a);
	g = build(f, "2026-11", NULL);
	roc = build(f, "115-11", NULL);
	gh = report_html(g, f->cfg);
	rh = report_html(roc, f->cfg);
	gc = report_csv(g, f->cfg);
	rc = report_csv(roc, f->cfg);
	assert_string_equal(gh, rh);
	assert_string_equal(gc, rc);
	title = title_of(gh);
	assert_string_equal(title, "臺北市政府、高雄市政府毒品危害防制中心 "
				   "115 年 11 月（2026-11）月報");
	/* No body that is not there; the total row says what it is. */
	assert_null(strstr(gh, "全國"));
	assert_null(strstr(gc, "全國"));
	assert_non_null(strstr(gc, ",ALL,合計,"));
	one = build(f, "2026-11", "KHH");
	one_title = report_html(one, f->cfg);
	g_free(title);
	title = title_of(one_title);
	assert_string_equal(title, "高雄市政府毒品危害防制中心 "
				   "115 年 11 月（2026-11）月報");
	report_free(g);
	report_free(roc);
	report_free(one);
	case_ref_clear(&a);
}

/* More centres than a title names: counted, and listed under it. */
static void
test_title_many(void **state)
{
	struct fx *f = *state;
	const char *codes[] = { "TPE", "NWT", "TAO", "TXG", "TNN" };
	const char *names[] = { "臺北市", "新北市", "桃園市", "臺中市",
				"臺南市" };
	g_autoptr(GString) text = g_string_new(NULL);
	struct report *r;
	g_autofree char *html = NULL, *title = NULL;

	for (size_t i = 0; i < G_N_ELEMENTS(codes); i++)
		g_string_append_printf(
			text,
			"[centre %s]\nname = %s政府毒品危害防制中心\n"
			"address = c%zu@centers.moj-help.example\n"
			"staff = s%zu@centers.example\n\n",
			codes[i], names[i], i, i);
	config_free(f->cfg);
	f->cfg = test_config(f->dir, text->str);
	assert_non_null(f->cfg);
	r = build(f, "2026-11", NULL);
	html = report_html(r, f->cfg);
	title = title_of(html);
	assert_string_equal(title, "5 個毒品危害防制中心 115 年 11 月"
				   "（2026-11）月報");
	assert_non_null(strstr(html, "涵蓋：臺北市政府、新北市政府、"
				     "桃園市政府、臺中市政府、"
				     "臺南市政府毒品危害防制中心"));
	report_free(r);
}

/* A case handed over to a county no centre of the config serves. */
static void
test_handover_outside(void **state)
{
	struct fx *f = *state;
	g_autoptr(GDateTime) at = g_date_time_new(twtime_zone(), 2026, 11, 20,
						  9, 0, 0);
	struct report *r, *tpe;
	g_autofree char *handed = NULL, *csv = NULL, *html = NULL;
	struct case_ref a;
	struct err err = { 0 };

	new_case(f, "TPE", "webform", "application", 11, 3, &a);
	assert_int_equal(cases_close(f->s, f->cal, &a, CLOSE_MOVED, "PIF", TRUE,
				     "lin", NULL, at, &handed, &err),
			 ST_OK);
	g_ptr_array_add(f->numbers, g_steal_pointer(&handed));
	r = build(f, "2026-11", NULL);
	assert_int_equal(count(r, "closed", "moved", "TPE"), 1);
	assert_int_equal(count(r, "source", "centre", "PIF"), 1);
	assert_int_equal(count(r, "source", "centre", "ALL"), 1);
	assert_int_equal(count(r, "source", "webform", "ALL"), 1);
	assert_int_equal(count(r, "state", "received", "ALL"), 1);
	assert_int_equal(count(r, "state", "closed", "ALL"), 1);
	csv = report_csv(r, f->cfg);
	assert_non_null(strstr(csv, ",PIF,屏東縣（移交至本系統以外的中心）,"));
	html = report_html(r, f->cfg);
	assert_non_null(strstr(html, "合計含移交至本系統以外中心的案件"
				     "（屏東縣）"));
	for (guint i = 0; i < f->numbers->len; i++) {
		assert_null(strstr(csv, f->numbers->pdata[i]));
		assert_null(strstr(html, f->numbers->pdata[i]));
	}
	/* A centre's own report is that centre's alone. */
	tpe = build(f, "2026-11", "TPE");
	assert_int_equal(count(tpe, "source", "centre", "PIF"), 0);
	assert_int_equal(count(tpe, "closed", "moved", "TPE"), 1);
	report_free(r);
	report_free(tpe);
	case_ref_clear(&a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_month_counts, setup,
						teardown),
		cmocka_unit_test(test_month_parse),
		cmocka_unit_test_setup_teardown(test_same_scale, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_empty_month, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_title_and_month_forms,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_title_many, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_handover_outside, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
