/*
 * The government office calendar and the SOP: deadlines around Lunar
 * New Year 2024-2026 and make-up Saturdays, revised calendars, the
 * lifecycle's order, the audit trail and the closing reasons.
 */
#include <sqlite3.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "testvault.h"

#include "cases.h"
#include "refusal.h"
#include "twtime.h"

static struct calendar *
shipped(void)
{
	g_autofree char *path = source_path("data/calendar/tw-gov.cal");
	struct calendar *cal = NULL;
	struct err err = { 0 };

	if (calendar_load(path, &cal, &err) != ST_OK)
		print_error("%s\n", err.msg);
	assert_non_null(cal);
	return cal;
}

/* The due day of n (working) days from start, as a string. */
static char *
due(const struct calendar *cal, const char *start, enum deadline_rule rule,
    guint n)
{
	GDate s, d;

	assert_true(calendar_date_parse(start, &s));
	calendar_due(cal, &s, rule, n, &d);
	return calendar_date_string(&d);
}

static void
check_due(const struct calendar *cal, const char *start,
	  enum deadline_rule rule, guint n, const char *want)
{
	g_autofree char *got = due(cal, start, rule, n);

	if (strcmp(got, want) != 0) {
		print_error("%s + %u %s: got %s, want %s\n", start, n,
			    rule == DEADLINE_DAYS ? "days" : "working days",
			    got, want);
		fail();
	}
}

static void
test_lunar_new_year_and_make_up_days(void **state)
{
	struct calendar *cal = shipped();

	/* 2025: 1/27-1/31 off, Saturday 2/8 a working day. */
	check_due(cal, "2025-01-24", DEADLINE_WORKING_DAYS, 5, "2025-02-07");
	check_due(cal, "2025-02-04", DEADLINE_WORKING_DAYS, 5, "2025-02-10");
	check_due(cal, "2025-02-05", DEADLINE_DAYS, 3, "2025-02-08");
	check_due(cal, "2025-01-24", DEADLINE_DAYS, 3, "2025-02-03");
	/* 2026: 2/14-2/22 off, then 2/27 for 228 on a Saturday. */
	check_due(cal, "2026-02-13", DEADLINE_WORKING_DAYS, 5, "2026-03-02");
	check_due(cal, "2026-02-12", DEADLINE_DAYS, 3, "2026-02-23");
	check_due(cal, "2026-02-11", DEADLINE_DAYS, 7, "2026-02-23");
	/* 2024: 2/8-2/14 off, Saturday 2/17 a working day. */
	check_due(cal, "2024-02-07", DEADLINE_WORKING_DAYS, 5, "2024-02-20");
	/* An ordinary week: Friday + 5 working days is next Friday. */
	check_due(cal, "2026-11-20", DEADLINE_WORKING_DAYS, 5, "2026-11-27");
	/* Beyond what the file covers: Monday to Friday. */
	check_due(cal, "2030-01-04", DEADLINE_WORKING_DAYS, 1, "2030-01-07");
	calendar_free(cal);
}

static void
test_taiwan_day_whatever_the_zone(void **state)
{
	/* 17:30 UTC on 13 February is 01:30 on the 14th in Taipei. */
	g_autoptr(GDateTime) t = g_date_time_new_utc(2026, 2, 13, 17, 30, 0);
	g_autofree char *s = NULL;
	GDate d;

	g_setenv("TZ", "America/Los_Angeles", TRUE);
	calendar_day_of(t, &d);
	s = calendar_date_string(&d);
	assert_string_equal(s, "2026-02-14");
	g_setenv("TZ", "UTC", TRUE);
}

static void
test_calendar_errors_are_located(void **state)
{
	static const struct {
		const char *text, *error;
	} bad[] = {
		{ "version 1\ncovers 2025-01-01 2025-12-31\n2025-02-30 off x\n",
		  "cal:3: expected YYYY-MM-DD off|work NAME" },
		{ "version 1\ncovers 2025-01-01 2025-12-31\n2025-02-08 maybe\n",
		  "cal:3: 'maybe' is neither off nor work" },
		{ "version 1\ncovers 2025-01-01 2025-12-31\n2026-01-01 off x\n",
		  "cal:3: 2026-01-01 is outside what the calendar covers" },
		{ "version 1\ncovers 2025-01-01 2025-12-31\n2025-01-01 off a\n"
		  "2025-01-01 off b\n", "cal:4: 2025-01-01 is listed twice" },
		{ "covers 2025-01-01 2025-12-31\n",
		  "cal: needs a version and a covers line" },
		{ "version 1\ncovers 2025-12-31 2025-01-01\n",
		  "cal:2: covers takes two dates in order" },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		struct calendar *cal = NULL;
		struct err err = { 0 };

		assert_int_equal(calendar_parse("cal", bad[i].text, &cal, &err),
				 ST_FATAL);
		assert_null(cal);
		if (strcmp(err.msg, bad[i].error) != 0) {
			print_error("case %zu: got '%s'\n", i, err.msg);
			fail();
		}
	}
}

struct fx {
	char *dir;
	struct store *s;
	struct calendar *cal;
};

static int
setup(void **state)
{
	struct fx *f = g_new0(struct fx, 1);
	g_autofree char *db = NULL;
	struct err err = { 0 };
	g_autofree char *path = source_path("data/calendar/tw-gov.cal");

	f->dir = scratch_new();
	db = g_build_filename(f->dir, "t.db", NULL);
	if (store_open(db, &f->s, &err) != ST_OK || !test_seal(f->s, f->dir) ||
	    cases_calendar(f->s, path, &f->cal, &err) != ST_OK) {
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
	scratch_remove(f->dir);
	g_free(f->dir);
	g_free(f);
	return 0;
}

static GDateTime *
taipei(int y, int mo, int d, int h)
{
	return g_date_time_new(twtime_zone(), y, mo, d, h, 0, 0);
}

/* A case received at `at`, as filing opens it; its number in *c. */
static void
new_case(struct fx *f, const char *county, const char *source,
	 GDateTime *at, struct case_ref *c)
{
	struct case_new cn = { .county = county, .urgency = "application",
			       .source = source, .subject = "求助" };
	g_autofree char *number = NULL;
	struct err err = { 0 };
	gint64 id;

	assert_int_equal(store_begin(f->s, &err), ST_OK);
	assert_int_equal(cases_add(f->s, &cn, at, &id, &number, &err),
			 ST_OK);
	assert_int_equal(cases_opened(f->s, f->cal, id, at, &err), ST_OK);
	assert_int_equal(store_commit(f->s, &err), ST_OK);
	assert_int_equal(cases_find(f->s, number, c, &err), ST_OK);
}

static JsonObject *
show(struct fx *f, const struct case_ref *c, JsonNode **node)
{
	struct err err = { 0 };

	assert_int_equal(cases_show(f->s, c, node, &err), ST_OK);
	return json_node_get_object(*node);
}

static JsonObject *
deadline(JsonObject *o, const char *step, guint nth)
{
	JsonArray *a = json_object_get_array_member(o, "deadlines");

	for (guint i = 0; i < json_array_get_length(a); i++) {
		JsonObject *d = json_array_get_object_element(a, i);

		if (strcmp(json_object_get_string_member(d, "step"), step) == 0 &&
		    nth-- == 0)
			return d;
	}
	return NULL;
}

static gboolean
is_null(JsonObject *o, const char *m)
{
	return json_node_is_null(json_object_get_member(o, m));
}

static void
test_lifecycle_in_order_with_audit(void **state)
{
	struct fx *f = *state;
	g_autoptr(GDateTime) t0 = taipei(2026, 2, 12, 10);
	g_autoptr(GDateTime) t1 = taipei(2026, 2, 23, 9);
	g_autoptr(JsonNode) node = NULL;
	struct case_ref c;
	struct err err = { 0 };
	JsonObject *o, *d;
	JsonArray *events;

	new_case(f, "TPE", "webform", t0, &c);
	/* Thursday before the New Year: 3 days end on Sunday 2/15, and
	 * the period runs on to the next working day. */
	o = show(f, &c, &node);
	d = deadline(o, "register", 0);
	assert_non_null(d);
	assert_string_equal(json_object_get_string_member(d, "due_day"),
			    "2026-02-23");
	assert_string_equal(json_object_get_string_member(d, "calendar"),
			    "2026-11-23.1");
	g_clear_pointer(&node, json_node_unref);

	/* Out of order: refused, with what may come next. */
	assert_int_equal(cases_set_state(f->s, f->cal, &c, CASE_ASSESSED,
					 "a@tpe", NULL, t1, &err),
			 ST_REFUSED);
	assert_non_null(strstr(err.msg, "may become registered"));
	assert_int_equal(cases_refer(f->s, f->cal, &c, GROUP_HEALTH, "衛生局",
				     "a@tpe", t1, NULL, NULL, &err),
			 ST_REFUSED);
	assert_int_equal(cases_set_state(f->s, f->cal, &c, CASE_REGISTERED,
					 "a@tpe", "列冊", t1, &err),
			 ST_OK);
	c.state = CASE_REGISTERED;
	assert_int_equal(cases_set_state(f->s, f->cal, &c, CASE_CONTACTED,
					 "a@tpe", NULL, t1, &err),
			 ST_OK);
	c.state = CASE_CONTACTED;
	assert_int_equal(cases_set_state(f->s, f->cal, &c, CASE_ASSESSED,
					 "a@tpe", NULL, t1, &err),
			 ST_OK);
	c.state = CASE_ASSESSED;
	/* Monday 2/23 + 5 working days: Friday 2/27 is 228's 補假. */
	assert_int_equal(cases_refer(f->s, f->cal, &c, GROUP_EMPLOYMENT,
				     "就業服務站", "a@tpe", t1, NULL, NULL,
				     &err),
			 ST_OK);
	c.state = CASE_REFERRED;
	/* A state set from a stale view is refused, not applied twice. */
	{
		struct case_ref stale = c;

		stale.state = CASE_ASSESSED;
		assert_int_equal(cases_set_state(f->s, f->cal, &stale,
						 CASE_FOLLOW_UP, "a@tpe", NULL,
						 t1, &err),
				 ST_TEMP);
	}
	o = show(f, &c, &node);
	d = deadline(o, "partner_reply", 0);
	assert_string_equal(json_object_get_string_member(d, "due_day"),
			    "2026-03-03");
	assert_true(is_null(d, "outcome"));
	assert_string_equal(
		json_object_get_string_member(deadline(o, "register", 0),
					      "outcome"),
		"met");
	events = json_object_get_array_member(o, "events");
	assert_int_equal(json_array_get_length(events), 4);
	assert_string_equal(json_object_get_string_member(
				    json_array_get_object_element(events, 0),
				    "why"),
			    "列冊");
	g_clear_pointer(&node, json_node_unref);

	assert_int_equal(cases_partner_replied(f->s, &c, GROUP_EMPLOYMENT,
					       "a@tpe", t1, &err),
			 ST_OK);
	assert_int_equal(cases_partner_replied(f->s, &c, GROUP_EMPLOYMENT,
					       "a@tpe", t1, &err),
			 ST_REFUSED);
	o = show(f, &c, &node);
	assert_string_equal(json_object_get_string_member(
				    deadline(o, "partner_reply", 0), "outcome"),
			    "met");
	g_clear_pointer(&node, json_node_unref);

	/* The audit trail cannot be rewritten. */
	assert_int_not_equal(sqlite3_exec(store_sqlite(f->s),
					  "UPDATE case_events SET who = 'x'",
					  NULL, NULL, NULL),
			     SQLITE_OK);
	assert_int_not_equal(sqlite3_exec(store_sqlite(f->s),
					  "DELETE FROM case_events", NULL,
					  NULL, NULL),
			     SQLITE_OK);
	case_ref_clear(&c);
}

static void
test_closing_reasons(void **state)
{
	struct fx *f = *state;
	g_autoptr(GDateTime) t0 = taipei(2024, 3, 1, 10);
	g_autoptr(GDateTime) soon = taipei(2025, 3, 1, 10);
	g_autoptr(GDateTime) later = taipei(2026, 3, 2, 10);
	g_autoptr(JsonNode) node = NULL;
	g_autofree char *handed = NULL;
	struct case_ref c, m, h;
	struct err err = { 0 };
	gint64 clocks = -1;
	JsonObject *o;

	new_case(f, "TPE", "probation", t0, &c);
	o = show(f, &c, &node);
	/* An agency's referral: a result owed in 7 days. */
	assert_string_equal(json_object_get_string_member(
				    deadline(o, "agency_result", 0), "due_day"),
			    "2024-03-08");
	g_clear_pointer(&node, json_node_unref);
	for (int s = CASE_REGISTERED; s <= CASE_ASSESSED; s++) {
		assert_int_equal(cases_set_state(f->s, f->cal, &c, s, "a@tpe",
						 NULL, t0, &err),
				 ST_OK);
		c.state = s;
	}
	assert_int_equal(cases_set_state(f->s, f->cal, &c, CASE_FOLLOW_UP,
					 "a@tpe", NULL, t0, &err),
			 ST_OK);
	c.state = CASE_FOLLOW_UP;
	o = show(f, &c, &node);
	assert_non_null(deadline(o, "follow_up", 11));
	assert_null(deadline(o, "follow_up", 12));
	assert_string_equal(json_object_get_string_member(
				    deadline(o, "follow_up", 0), "due_day"),
			    "2024-04-01");
	g_clear_pointer(&node, json_node_unref);
	/* A contact made meets the earliest scheduled one. */
	assert_int_equal(cases_follow_up_contact(f->s, &c, "a@tpe", "電訪",
						 soon, &err),
			 ST_OK);
	o = show(f, &c, &node);
	assert_string_equal(json_object_get_string_member(
				    deadline(o, "follow_up", 0), "outcome"),
			    "met");
	assert_true(is_null(deadline(o, "follow_up", 1), "outcome"));
	g_clear_pointer(&node, json_node_unref);
	/* 問題改善 only after two years of follow-up. */
	assert_int_equal(cases_close(f->s, f->cal, &c, CLOSE_IMPROVED, NULL,
				     FALSE, "a@tpe", NULL, soon, NULL, &err),
			 ST_REFUSED);
	assert_int_equal(cases_close(f->s, f->cal, &c, CLOSE_IMPROVED, NULL,
				     FALSE, "a@tpe", "兩年未再犯", later, NULL, &err),
			 ST_OK);
	c.state = CASE_CLOSED;
	assert_int_equal(cases_close(f->s, f->cal, &c, CLOSE_DECEASED, NULL,
				     FALSE, "a@tpe", NULL, later, NULL, &err),
			 ST_REFUSED);
	o = show(f, &c, &node);
	assert_string_equal(json_object_get_string_member(o, "closed_reason"),
			    "improved");
	/* Closing cancels what was still open, and counts none as met. */
	assert_string_equal(json_object_get_string_member(
				    deadline(o, "follow_up", 11), "outcome"),
			    "cancelled");
	g_clear_pointer(&node, json_node_unref);

	/* 遷出: handed over to the centre named, linked both ways. */
	new_case(f, "TPE", "webform", t0, &m);
	assert_int_equal(cases_close(f->s, f->cal, &m, CLOSE_MOVED, NULL, FALSE,
				     "a@tpe", NULL, later, NULL, &err),
			 ST_REFUSED);
	assert_int_equal(cases_close(f->s, f->cal, &m, CLOSE_MOVED, "TPE", TRUE,
				     "a@tpe", NULL, later, NULL, &err),
			 ST_REFUSED);
	assert_int_equal(cases_close(f->s, f->cal, &m, CLOSE_MOVED, "KHH", TRUE,
				     "a@tpe", "搬到高雄", later, &handed,
				     &err),
			 ST_OK);
	assert_true(g_str_has_prefix(handed, "KHH-"));
	assert_int_equal(cases_find(f->s, handed, &h, &err), ST_OK);
	assert_string_equal(h.county, "KHH");
	assert_int_equal(h.state, CASE_RECEIVED);
	o = show(f, &h, &node);
	assert_string_equal(json_object_get_string_member(o, "source"),
			    "centre");
	assert_string_equal(json_object_get_string_member(o, "referrer"),
			    "TPE");
	g_clear_pointer(&node, json_node_unref);

	/* To a county no centre here serves: the case there is kept for
	 * the record, but with no clocks nobody here would keep. */
	case_ref_clear(&m);
	case_ref_clear(&h);
	new_case(f, "TPE", "webform", t0, &m);
	g_clear_pointer(&handed, g_free);
	assert_int_equal(cases_close(f->s, f->cal, &m, CLOSE_MOVED, "PIF",
				     FALSE, "a@tpe", "搬到屏東", later, &handed,
				     &err),
			 ST_OK);
	assert_true(g_str_has_prefix(handed, "PIF-"));
	assert_int_equal(cases_find(f->s, handed, &h, &err), ST_OK);
	assert_int_equal(store_query(f->s, &err, store_read_int, &clocks,
				     "SELECT count(*) FROM deadlines WHERE "
				     "case_id = ?", "i", h.id), ST_OK);
	assert_int_equal(clocks, 0);
	o = show(f, &m, &node);
	assert_string_equal(json_object_get_string_member(o, "handed_to"),
			    "PIF");
	g_clear_pointer(&node, json_node_unref);
	case_ref_clear(&c);
	case_ref_clear(&m);
	case_ref_clear(&h);
}

static void
test_revised_calendar_recomputes_open_deadlines(void **state)
{
	struct fx *f = *state;
	g_autoptr(GDateTime) t0 = taipei(2027, 6, 4, 10);
	g_autoptr(GDateTime) now = taipei(2027, 6, 4, 11);
	g_autoptr(JsonNode) node = NULL;
	g_autofree char *text = NULL;
	struct calendar *v2 = NULL;
	struct case_ref c, done;
	struct err err = { 0 };
	guint moved = 0;
	JsonObject *o;

	/* Friday 6/4 + 3 days = Monday 6/7. */
	new_case(f, "TPE", "webform", t0, &done);
	assert_int_equal(cases_set_state(f->s, f->cal, &done, CASE_REGISTERED,
					 "a@tpe", NULL, now, &err),
			 ST_OK);
	new_case(f, "TPE", "webform", t0, &c);
	o = show(f, &c, &node);
	assert_string_equal(json_object_get_string_member(
				    deadline(o, "register", 0), "due_day"),
			    "2027-06-07");
	g_clear_pointer(&node, json_node_unref);

	/* A revision makes Monday 6/7 a day off (say, a moved holiday). */
	text = g_strdup_printf("%s\n2027-06-07 off 補假（測試）\n",
			       calendar_text(f->cal));
	{
		char *v = strstr(text, "version 2026-11-23.1");

		assert_non_null(v);
		memcpy(v, "version 2026-11-23.2", strlen("version 2026-11-23.2"));
	}
	assert_int_equal(calendar_parse("v2", text, &v2, &err), ST_OK);
	assert_int_equal(cases_calendar_install(f->s, v2, now, &moved, &err),
			 ST_OK);
	/* Open deadlines moved (this case's register, visit and
	 * assessment, all from 收案; the other's visit and assessment) and
	 * record the new version; a met one keeps its own. */
	assert_int_equal(moved, 5);
	o = show(f, &c, &node);
	assert_string_equal(json_object_get_string_member(
				    deadline(o, "register", 0), "due_day"),
			    "2027-06-08");
	assert_string_equal(json_object_get_string_member(
				    deadline(o, "register", 0), "calendar"),
			    "2026-11-23.2");
	g_clear_pointer(&node, json_node_unref);
	o = show(f, &done, &node);
	assert_string_equal(json_object_get_string_member(
				    deadline(o, "register", 0), "calendar"),
			    "2026-11-23.1");
	g_clear_pointer(&node, json_node_unref);

	/* The database now holds v2, whatever the file says. */
	{
		g_autofree char *path = source_path("data/calendar/tw-gov.cal");
		struct calendar *cur = NULL;

		assert_int_equal(cases_calendar(f->s, path, &cur, &err), ST_OK);
		assert_string_equal(calendar_version(cur), "2026-11-23.2");
		calendar_free(cur);
	}
	calendar_free(v2);
	case_ref_clear(&c);
	case_ref_clear(&done);
}

static void
test_list_filters(void **state)
{
	struct fx *f = *state;
	g_autoptr(GDateTime) old = taipei(2025, 1, 2, 10);
	g_autoptr(GDateTime) now = twtime_now();
	g_autoptr(JsonNode) node = NULL;
	struct case_filter all = { .state = -1 };
	struct case_filter overdue = { .state = -1, .overdue = TRUE };
	struct case_filter khh = { .county = "KHH", .state = -1 };
	struct case_ref a, b, k;
	struct err err = { 0 };
	JsonArray *arr;

	new_case(f, "TPE", "webform", old, &a);
	new_case(f, "TPE", "webform", now, &b);
	new_case(f, "KHH", "direct", now, &k);
	assert_int_equal(cases_list(f->s, &all, &node, &err), ST_OK);
	assert_int_equal(json_array_get_length(json_node_get_array(node)), 3);
	g_clear_pointer(&node, json_node_unref);
	assert_int_equal(cases_list(f->s, &overdue, &node, &err), ST_OK);
	arr = json_node_get_array(node);
	assert_int_equal(json_array_get_length(arr), 1);
	assert_string_equal(json_object_get_string_member(
				    json_array_get_object_element(arr, 0),
				    "number"),
			    a.number);
	g_clear_pointer(&node, json_node_unref);
	assert_int_equal(cases_list(f->s, &khh, &node, &err), ST_OK);
	arr = json_node_get_array(node);
	assert_int_equal(json_array_get_length(arr), 1);
	assert_string_equal(json_object_get_string_member(
				    json_array_get_object_element(arr, 0),
				    "county"),
			    "KHH");
	g_clear_pointer(&node, json_node_unref);
	case_ref_clear(&a);
	case_ref_clear(&b);
	case_ref_clear(&k);
}

/* err's refusal in lang, checked against want. */
static void
check_refusal(const struct err *err, enum refusal_lang lang,
	      const char *want)
{
	g_autofree char *got = refusal_text(err, lang);

	if (strcmp(got, want) != 0) {
		print_error("got '%s', want '%s'\n", got, want);
		fail();
	}
}

/*
 * A refusal is a status with its reason as data: code, case, state; its
 * words in both languages come from one table.  A database error is
 * never one.
 */
static void
test_refusals_are_data(void **state)
{
	struct fx *f = *state;
	g_autoptr(GDateTime) t0 = taipei(2026, 12, 1, 10);
	struct case_ref c, found = { 0 }, bogus = { 0 };
	struct err err = { 0 };
	g_autofree char *want = NULL;

	new_case(f, "TPE", "webform", t0, &c);
	assert_int_equal(cases_set_state(f->s, f->cal, &c, CASE_ASSESSED,
					 "a@tpe", NULL, t0, &err),
			 ST_REFUSED);
	assert_int_equal(err.refused.code, REFUSED_STEP);
	assert_int_equal(err.refused.state, CASE_RECEIVED);
	assert_string_equal(err.refused.number, c.number);
	/* The command line's words stay what they were. */
	assert_true(g_str_has_suffix(err.msg, " is received; it may become "
					      "registered, or closed"));
	check_refusal(&err, REFUSAL_ZH,
		      "案件目前是「收件」，下一步只能是：編號列冊，或結案");

	/* What may follow a referral, in both languages. */
	c.state = CASE_REFERRED;
	assert_int_equal(cases_set_state(f->s, f->cal, &c, CASE_CONTACTED,
					 "a@tpe", NULL, t0, &err),
			 ST_REFUSED);
	check_refusal(&err, REFUSAL_ZH, "案件目前是「轉介」，下一步只能是："
					"追蹤輔導（或再轉介），或結案");
	c.state = CASE_ASSESSED;
	assert_int_equal(cases_set_state(f->s, f->cal, &c, CASE_RECEIVED,
					 "a@tpe", NULL, t0, &err),
			 ST_REFUSED);
	want = g_strdup_printf("case %s is assessed; it may become "
			       "referred, follow_up, or closed", c.number);
	check_refusal(&err, REFUSAL_EN, want);
	c.state = CASE_RECEIVED;

	/* A word asked for is kept, and rendered. */
	assert_int_equal(cases_close(f->s, f->cal, &c, CLOSE_MOVED, "TPQ", TRUE,
				     "a@tpe", NULL, t0, NULL, &err),
			 ST_REFUSED);
	assert_int_equal(err.refused.code, REFUSED_MOVED_COUNTY);
	assert_string_equal(err.refused.word, "TPQ");
	assert_int_equal(cases_find(f->s, "TPE-0000000-0000", &found, &err),
			 ST_REFUSED);
	check_refusal(&err, REFUSAL_ZH, "找不到案件 TPE-0000000-0000");

	/* A state nobody knows is an error, never taken for another. */
	assert_int_equal(store_run(f->s, &err, "UPDATE cases SET state = "
				   "'bogus' WHERE number = ?", "t", c.number),
			 ST_OK);
	assert_int_equal(cases_find(f->s, c.number, &bogus, &err), ST_FATAL);
	assert_null(bogus.number);
	assert_int_equal(store_run(f->s, &err, "UPDATE cases SET state = "
				   "'received' WHERE number = ?", "t",
				   c.number),
			 ST_OK);

	/* The database broken: an error of its own, no refusal words. */
	assert_int_equal(store_run(f->s, &err, "DROP TABLE case_events", ""),
			 ST_OK);
	assert_int_not_equal(cases_set_state(f->s, f->cal, &c,
					     CASE_REGISTERED, "a@tpe", NULL,
					     t0, &err),
			     ST_OK);
	assert_int_not_equal(err.status, ST_REFUSED);
	assert_int_equal(err.refused.code, REFUSED_NONE);
	check_refusal(&err, REFUSAL_ZH, "");
	case_ref_clear(&c);
	case_ref_clear(&found);
}

static const char *
member_of(JsonObject *d, const char *m)
{
	return d != NULL ? json_object_get_string_member(d, m) : "(none)";
}

/*
 * The SOP's clocks as written (issue 18.6): a case received Friday
 * 2025-12-05, registered 12-08 and visited 12-11 had its assessment due
 * 3 days from 收案, Monday 12-08, not 12-14; each deadline names the
 * rule that set it.
 */
static void
test_clocks_run_from_intake(void **state)
{
	struct fx *f = *state;
	g_autoptr(GDateTime) t0 = taipei(2025, 12, 5, 10);
	g_autoptr(GDateTime) t1 = taipei(2025, 12, 8, 9);
	g_autoptr(GDateTime) t2 = taipei(2025, 12, 11, 9);
	g_autoptr(GDateTime) t3 = taipei(2025, 12, 12, 9);
	g_autoptr(JsonNode) node = NULL;
	static const struct {
		const char *step, *start, *due, *basis;
	} want[] = {
		{ "register", "2025-12-05", "2025-12-08",
		  "收案後3日內編號列冊（收案流程）" },
		{ "contact", "2025-12-05", "2025-12-08",
		  "收案後3日內（二、(二)2）" },
		{ "assess", "2025-12-05", "2025-12-08",
		  "收案後3日內（二、(二)3）" },
		/* Both partner clocks: the result 5 days from 收案, the
		 * slip 5 working days from the referral on Thursday. */
		{ "partner_result", "2025-12-05", "2025-12-10",
		  "收案後5日內（二、(二)4(1)，個人求助）" },
		{ "partner_reply", "2025-12-11", "2025-12-18",
		  "轉介後5個工作天內（收案流程圖：轉介回覆單）" },
	};
	struct case_ref c;
	struct err err = { 0 };
	JsonObject *o;

	new_case(f, "TPE", "webform", t0, &c);
	assert_int_equal(cases_set_state(f->s, f->cal, &c, CASE_REGISTERED,
					 "a@tpe", NULL, t1, &err), ST_OK);
	c.state = CASE_REGISTERED;
	assert_int_equal(cases_set_state(f->s, f->cal, &c, CASE_CONTACTED,
					 "a@tpe", NULL, t2, &err), ST_OK);
	c.state = CASE_CONTACTED;
	o = show(f, &c, &node);
	assert_string_equal(member_of(deadline(o, "assess", 0), "due_day"),
			    "2025-12-08");
	assert_true(json_object_get_boolean_member(deadline(o, "assess", 0),
						   "overdue"));
	assert_null(deadline(o, "assess", 1));
	g_clear_pointer(&node, json_node_unref);
	assert_int_equal(cases_set_state(f->s, f->cal, &c, CASE_ASSESSED,
					 "a@tpe", NULL, t2, &err), ST_OK);
	c.state = CASE_ASSESSED;
	assert_int_equal(cases_refer(f->s, f->cal, &c, GROUP_HEALTH, "衛生局",
				     "a@tpe", t2, NULL, NULL, &err), ST_OK);
	c.state = CASE_REFERRED;
	o = show(f, &c, &node);
	for (size_t i = 0; i < G_N_ELEMENTS(want); i++) {
		JsonObject *d = deadline(o, want[i].step, 0);

		assert_non_null(d);
		assert_string_equal(member_of(d, "start_day"), want[i].start);
		assert_string_equal(member_of(d, "due_day"), want[i].due);
		assert_string_equal(member_of(d, "basis_label"),
				    want[i].basis);
	}
	g_clear_pointer(&node, json_node_unref);
	/* The partner's reply meets both of the referral's clocks. */
	assert_int_equal(cases_partner_replied(f->s, &c, GROUP_HEALTH,
					       "p@health", t3, &err), ST_OK);
	o = show(f, &c, &node);
	assert_string_equal(member_of(deadline(o, "partner_result", 0),
				      "outcome"), "met");
	assert_string_equal(member_of(deadline(o, "partner_reply", 0),
				      "outcome"), "met");
	g_clear_pointer(&node, json_node_unref);
	case_ref_clear(&c);
}

/* What referral_result() would have been handed: the address, or
 * ST_MSG_BAD for one the notice could not use. */
struct mailed {
	char *addr, *text, *unit;
	gboolean unusable;
};

static enum status
fake_mail(struct store *s, const struct case_ref *c,
	  const struct case_referrer *r, const char *text, gpointer data,
	  struct err *err)
{
	struct mailed *m = data;

	if (m->unusable)
		return err_set(err, ST_MSG_BAD, "not usable");
	m->addr = g_strdup(r->addr);
	m->unit = g_strdup(r->unit);
	m->text = g_strdup(text);
	return ST_OK;
}

/* An agency's case with referrer and address, received at t0. */
static void
referred_case(struct fx *f, const char *source, const char *addr,
	      GDateTime *t0, struct case_ref *c)
{
	struct case_new cn = { .county = "KHH", .urgency = "application",
			       .source = source, .subject = "轉介",
			       .referrer = "醫院社工室",
			       .referrer_addr = addr };
	g_autofree char *number = NULL;
	struct err err = { 0 };
	gint64 id;

	assert_int_equal(store_begin(f->s, &err), ST_OK);
	assert_int_equal(cases_add(f->s, &cn, t0, &id, &number, &err), ST_OK);
	assert_int_equal(cases_opened(f->s, f->cal, id, t0, &err), ST_OK);
	assert_int_equal(store_commit(f->s, &err), ST_OK);
	assert_int_equal(cases_find(f->s, number, c, &err), ST_OK);
}

/* 其他 referrers are owed their result by mail: to the address kept,
 * sealed at rest; none kept is refused, the clock left open. */
static void
test_result_mailed_to_referrer(void **state)
{
	struct fx *f = *state;
	g_autoptr(GDateTime) t0 = taipei(2025, 12, 5, 10);
	g_autoptr(GDateTime) t1 = taipei(2025, 12, 9, 10);
	g_autoptr(JsonNode) node = NULL;
	struct mailed m = { 0 };
	struct case_ref c, bare;
	struct err err = { 0 };
	gint64 sealed = 0;
	JsonObject *o;

	referred_case(f, "other", "sw@hosp.example", t0, &c);
	referred_case(f, "other", NULL, t0, &bare);
	assert_int_equal(store_query(f->s, &err, store_read_int, &sealed,
				     "SELECT count(*) FROM cases WHERE "
				     "is_sealed(referrer_addr)", ""), ST_OK);
	assert_int_equal(sealed, 1);
	o = show(f, &c, &node);
	assert_true(json_object_get_boolean_member(o, "referrer_addr_kept"));
	assert_string_equal(member_of(deadline(o, "agency_result", 0),
				      "basis_label"),
			    "收案後7日內回覆轉介單位（收案流程）");
	g_clear_pointer(&node, json_node_unref);

	/* No address kept: refused in words, nothing recorded. */
	assert_int_equal(cases_result_sent(f->s, &bare, "b@khh", "結果",
					   fake_mail, &m, t1, &err),
			 ST_REFUSED);
	assert_int_equal(err.refused.code, REFUSED_NO_REFERRER_ADDR);
	assert_non_null(strstr(err.msg, "nothing was mailed"));
	assert_null(m.addr);
	o = show(f, &bare, &node);
	assert_true(is_null(deadline(o, "agency_result", 0), "outcome"));
	g_clear_pointer(&node, json_node_unref);
	/* Recorded as sent another way, it is met. */
	assert_int_equal(cases_result_sent(f->s, &bare, "b@khh", NULL, NULL,
					   NULL, t1, &err), ST_OK);

	/* An address the notice cannot use: the same refusal. */
	m.unusable = TRUE;
	assert_int_equal(cases_result_sent(f->s, &c, "b@khh", "結果",
					   fake_mail, &m, t1, &err),
			 ST_REFUSED);
	assert_int_equal(err.refused.code, REFUSED_NO_REFERRER_ADDR);
	m.unusable = FALSE;
	assert_int_equal(cases_result_sent(f->s, &c, "b@khh", "已開始治療",
					   fake_mail, &m, t1, &err), ST_OK);
	assert_string_equal(m.addr, "sw@hosp.example");
	assert_string_equal(m.unit, "醫院社工室");
	assert_string_equal(m.text, "已開始治療");
	o = show(f, &c, &node);
	assert_string_equal(member_of(deadline(o, "agency_result", 0),
				      "outcome"), "met");
	g_clear_pointer(&node, json_node_unref);
	assert_int_equal(cases_result_sent(f->s, &c, "b@khh", "again",
					   fake_mail, &m, t1, &err),
			 ST_REFUSED);
	assert_int_equal(err.refused.code, REFUSED_NO_RESULT_OWED);
	g_free(m.addr);
	g_free(m.unit);
	g_free(m.text);
	case_ref_clear(&c);
	case_ref_clear(&bare);
}

/* A database of schema 7: open visits and assessments counted from the
 * step before start again from 收案, cases lacking them get them, and
 * every deadline names its rule. */
static void
test_migration_counts_from_intake(void **state)
{
	g_autofree char *dir = scratch_new();
	g_autofree char *db = g_build_filename(dir, "old.db", NULL);
	struct store *s = NULL;
	struct err err = { 0 };
	g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func(g_free);
	sqlite3 *raw;

	assert_int_equal(sqlite3_open(db, &raw), SQLITE_OK);
	for (int v = 1; v <= 7; v++)
		assert_int_equal(sqlite3_exec(raw, store_migration_sql(v),
					      NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_exec(raw,
		"PRAGMA user_version = 7;"
		"INSERT INTO calendars VALUES ('c1', 'x', '2025', 1);"
		"INSERT INTO cases (id, number, county, state, urgency, source,"
		"  created_at) VALUES"
		"  (1, 'TPE-1141205-0001', 'TPE', 'registered', 'application',"
		"   'webform', '2025-12-05T10:00:00+08:00'),"
		"  (2, 'TPE-1141205-0002', 'TPE', 'received', 'application',"
		"   'webform', '2025-12-05T10:00:00+08:00');"
		"INSERT INTO deadlines (case_id, step, start_day, rule, n,"
		"  due_day, calendar, met_at, outcome) VALUES"
		"  (1, 'register', '2025-12-05', 'days', 3, '2025-12-08', 'c1',"
		"   '2025-12-08', 'met'),"
		"  (1, 'contact', '2025-12-08', 'days', 3, '2025-12-11', 'c1',"
		"   NULL, NULL),"
		"  (2, 'register', '2025-12-05', 'days', 3, '2025-12-08', 'c1',"
		"   NULL, NULL),"
		"  (2, 'visit', '2025-12-05', 'days', 9, '2025-12-14', 'c1',"
		"   NULL, NULL);", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(raw);
	assert_int_equal(chmod(db, 0600), 0);
	assert_int_equal(store_open(db, &s, &err), ST_OK);
	assert_int_equal(store_query(s, &err, store_read_texts, rows,
		"SELECT group_concat(case_id || ' ' || step || ' ' || "
		"start_day || ' ' || due_day || ' ' || basis, '; ') FROM "
		"(SELECT * FROM deadlines ORDER BY case_id, id)", ""), ST_OK);
	assert_int_equal(rows->len, 1);
	assert_string_equal(rows->pdata[0],
		"1 register 2025-12-05 2025-12-08 intake_register; "
		"1 contact 2025-12-05 2025-12-08 intake_visit; "
		"1 assess 2025-12-05 2025-12-08 intake_assess; "
		"2 register 2025-12-05 2025-12-08 intake_register; "
		"2 visit 2025-12-05 2025-12-14 staff_planned; "
		"2 contact 2025-12-05 2025-12-08 intake_visit; "
		"2 assess 2025-12-05 2025-12-08 intake_assess");
	store_close(s);
	scratch_remove(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lunar_new_year_and_make_up_days),
		cmocka_unit_test(test_taiwan_day_whatever_the_zone),
		cmocka_unit_test(test_calendar_errors_are_located),
		cmocka_unit_test_setup_teardown(
			test_lifecycle_in_order_with_audit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_closing_reasons, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			test_revised_calendar_recomputes_open_deadlines, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_list_filters, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_refusals_are_data, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_clocks_run_from_intake,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_result_mailed_to_referrer, setup, teardown),
		cmocka_unit_test(test_migration_counts_from_intake),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
