/*
 * The one vocabulary: every value's name parses back to it, its label
 * too; every value has both; an unknown value is an error, never a
 * default.
 */
#include <string.h>

#include "testutil.h"

#include "vocab.h"

static void
test_names_and_labels_parse_back(void **state)
{
	for (enum urgency u = URGENCY_CONSULTATION; u <= URGENCY_EMERGENCY;
	     u++) {
		enum urgency back = URGENCY_NONE;

		assert_true(urgency_parse(urgency_name(u), &back));
		assert_int_equal(back, u);
		assert_true(urgency_parse(urgency_label(u), &back));
		assert_int_equal(back, u);
	}
	for (int w = WRITER_SELF; w < WRITER_COUNT; w++) {
		enum writer back = WRITER_UNKNOWN;

		assert_true(writer_parse(writer_name(w), &back));
		assert_int_equal(back, w);
		assert_true(writer_parse(writer_label(w), &back));
		assert_int_equal(back, w);
	}
	for (int k = 0; k < KIND_COUNT; k++) {
		enum kind back = KIND_COUNT;

		assert_true(kind_parse(kind_name(k), &back));
		assert_int_equal(back, k);
		assert_true(kind_parse(kind_label(k), &back));
		assert_int_equal(back, k);
	}
	for (int s = 0; s < CASE_STATE_COUNT; s++) {
		enum case_state back = CASE_STATE_COUNT;

		assert_true(case_state_parse(case_state_name(s), &back));
		assert_int_equal(back, s);
		assert_true(case_state_parse(case_state_label(s), &back));
		assert_int_equal(back, s);
	}
	for (int r = 0; r < CLOSE_REASON_COUNT; r++) {
		enum close_reason back = CLOSE_REASON_COUNT;

		assert_true(close_reason_parse(close_reason_name(r), &back));
		assert_int_equal(back, r);
		assert_true(close_reason_parse(close_reason_label(r), &back));
		assert_int_equal(back, r);
	}
	for (int g = 0; g < GROUP_COUNT; g++) {
		enum group back = GROUP_COUNT;

		assert_true(group_parse(group_key(g), &back));
		assert_int_equal(back, g);
		assert_true(group_parse(group_label(g), &back));
		assert_int_equal(back, g);
	}
}

/* The 14 needs of LABELS.md, each with words and a group. */
static void
test_needs(void **state)
{
	guint n = 0;

	for (; need_name(n) != NULL; n++) {
		enum group g = GROUP_COUNT;

		assert_true(need_valid(need_name(n)));
		assert_ptr_equal(need_find(need_name(n)), need_name(n));
		assert_non_null(need_label(need_name(n)));
		assert_true(need_group(need_name(n), &g));
		assert_true(g < GROUP_COUNT);
	}
	assert_int_equal(n, 14);
	assert_string_equal(need_label("detox_treatment"), "戒癮治療");
}

static void
test_sources_and_counties(void **state)
{
	guint n = 0;

	for (; case_source_name(n) != NULL; n++)
		assert_non_null(case_source_label(case_source_name(n)));
	assert_true(n >= 9);
	assert_true(case_source_is_agency("probation"));
	for (n = 0; deadline_step_name(n) != NULL; n++)
		assert_non_null(deadline_step_label(deadline_step_name(n)));
	assert_int_equal(n, 7);
	/* Every deadline's rule has its words; the SOP's sections named. */
	for (n = 0; deadline_basis_name(n) != NULL; n++)
		assert_non_null(deadline_basis_label(deadline_basis_name(n)));
	assert_int_equal(n, 9);
	assert_string_equal(deadline_basis_label("intake_visit"),
			    "收案後3日內（二、(二)2）");
	assert_string_equal(deadline_basis_label("intake_assess"),
			    "收案後3日內（二、(二)3）");
	assert_null(deadline_basis_label("nonesuch"));
	/* 其他 (社會、衛生醫療等機構團體或其他毒危中心) refer in and are
	 * owed the result. */
	assert_true(case_source_is_agency("other"));
	assert_non_null(strstr(case_source_label("other"), "其他"));
	assert_false(case_source_is_agency("webform"));
	assert_true(county_code_valid("TPE"));
	assert_string_equal(county_name("khh"), "高雄市");
	assert_string_equal(county_code_for_name("我住台北市"), "TPE");
	assert_string_equal(county_code_for_address("nwt@centers.example"),
			    "NWT");
}

/* Nothing unknown becomes something. */
static void
test_unknown_is_an_error(void **state)
{
	enum urgency u;
	enum writer w;
	enum kind k;
	enum case_state s;
	enum close_reason r;
	enum group g = GROUP_COUNT;

	assert_null(kind_name(KIND_COUNT));
	assert_null(kind_label(KIND_COUNT));
	assert_null(urgency_name(URGENCY_NONE));
	assert_null(writer_name(WRITER_UNKNOWN));
	assert_null(case_state_name(CASE_STATE_COUNT));
	assert_null(close_reason_name(CLOSE_REASON_COUNT));
	assert_null(group_key(GROUP_COUNT));
	assert_false(urgency_parse("urgent", &u));
	assert_false(writer_parse("neighbour", &w));
	assert_false(kind_parse("newsletter", &k));
	assert_false(case_state_parse("open", &s));
	assert_false(close_reason_parse("6", &r));
	assert_false(group_parse("housing", &g));
	/* Once a need unknown to cases went to the health group. */
	assert_false(need_group("jobs", &g));
	assert_int_equal(g, GROUP_COUNT);
	assert_false(need_valid("jobs"));
	assert_null(need_label("jobs"));
	assert_null(need_find(NULL));
	assert_null(case_source_label("fax"));
	assert_false(county_code_valid("TPQ"));
	assert_null(deadline_step_label("visit"));
	assert_null(county_name("TPQ"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names_and_labels_parse_back),
		cmocka_unit_test(test_needs),
		cmocka_unit_test(test_sources_and_counties),
		cmocka_unit_test(test_unknown_is_an_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
