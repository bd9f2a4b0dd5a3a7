/*
 * The monthly report (report.h): the month's new cases counted by
 * source and urgency, the month's closures by reason, per centre and
 * for the country; cases of other months and merged cases left out;
 * counts only, never a case number or a person.
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
				     "lin", NULL, closed_at, NULL, &err),
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_month_counts, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
