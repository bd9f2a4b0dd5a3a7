/* Rule loading (with located errors) and triage decisions. */
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "rules.h"

static char *
write_rules(const char *dir, const char *name, const char *text)
{
	char *path = g_build_filename(dir, name, NULL);

	assert_true(g_file_set_contents(path, text, -1, NULL));
	return path;
}

static const struct {
	const char *text;
	const char *error;	/* expected err.msg suffix after the path */
} bad_rules[] = {
	{ "rule a\n\tpattern  (燒炭\n\turgency emergency\n",
	  ":2:11: missing ')'" },
	{ "rule a\n\turgency emergency\n", ":1:1: rule a has no pattern" },
	{ "rule a\n\tpattern x\n", ":1:1: rule a votes for nothing "
				   "(add urgency, need, writer or kind)" },
	{ "rule a\n\tpattern x\n\tneed jobs\n", ":3:7: unknown need 'jobs'" },
	{ "rule a\n\tpattern x\n\turgency soon\n",
	  ":3:10: urgency must be emergency, application or consultation" },
	{ "rule a\n\tpattern x\n\tneed hiv\n\tcolour red\n",
	  ":4:2: unknown key 'colour'" },
	{ "\tpattern x\n", ":1:2: indented line outside a rule" },
	{ "rule a\n\tpattern a\bb\n\tneed hiv\n",
	  ":2:11: control character 0x08" },
	{ "rule a\n\tpattern x\n\tneed hiv\nrule a\n\tpattern y\n\tneed hiv\n",
	  ":4:6: rule a already defined at" },
};

static void
test_errors_are_located(void **state)
{
	g_autofree char *dir = scratch_new();

	for (size_t i = 0; i < G_N_ELEMENTS(bad_rules); i++) {
		g_autofree char *path =
			write_rules(dir, "t.rules", bad_rules[i].text);
		struct ruleset *rs = NULL;
		struct err err = { 0 };

		assert_int_equal(rules_load_file(path, &rs, &err), ST_FATAL);
		assert_null(rs);
		assert_true(g_str_has_prefix(err.msg, path));
		if (strstr(err.msg + strlen(path), bad_rules[i].error) !=
		    err.msg + strlen(path)) {
			print_error("case %zu: got '%s'\n", i, err.msg);
			fail();
		}
	}
	scratch_remove(dir);
}

static void
test_include(void **state)
{
	g_autofree char *dir = scratch_new();
	g_autofree char *a = write_rules(dir, "a.rules", "include b.inc\n");
	g_autofree char *b = write_rules(dir, "b.inc",
					 "rule b\n\tpattern 就業\n\tneed "
					 "employment\n");
	struct ruleset *rs = NULL;
	struct err err = { 0 };

	assert_int_equal(rules_load_dir(dir, &rs, &err), ST_OK);
	assert_int_equal(ruleset_size(rs), 1);
	ruleset_free(rs);
	scratch_remove(dir);
}

static const struct {
	const char *text;
	enum urgency urgency;
	const char *needs;	/* space-separated, sorted */
} cases[] = {
	{ "我已經買好木炭，今晚準備燒炭", URGENCY_EMERGENCY,
	  "counseling crisis" },
	/* Swallowing all the pills is both an overdose and an attempt. */
	{ "他藥都吞了，現在叫不醒", URGENCY_EMERGENCY,
	  "counseling crisis detox_treatment" },
	{ "想幫兒子申請戒癮門診，也想找工作", URGENCY_APPLICATION,
	  "detox_treatment employment" },
	{ "請問美沙冬要喝多久？", URGENCY_CONSULTATION,
	  "substitution_therapy" },
	/* A time word alone is not an emergency. */
	{ "今晚可以打電話給我嗎", URGENCY_CONSULTATION, "" },
	/* Latin letters match in either case. */
	{ "想做hiv篩檢", URGENCY_CONSULTATION, "hiv" },
	{ "", URGENCY_CONSULTATION, "" },
};

static void
test_triage_decisions(void **state)
{
	g_autofree char *dir = source_path("rules");
	struct ruleset *rs = NULL;
	struct err err = { 0 };

	assert_int_equal(rules_load_dir(dir, &rs, &err), ST_OK);
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		struct triage *t = NULL;
		g_autoptr(GString) needs = g_string_new(NULL);

		assert_int_equal(rules_triage(rs, cases[i].text, &t, &err),
				 ST_OK);
		for (guint k = 0; k < t->needs->len; k++)
			g_string_append_printf(needs, "%s%s", k ? " " : "",
					       (char *)t->needs->pdata[k]);
		if (t->urgency != cases[i].urgency ||
		    strcmp(needs->str, cases[i].needs) != 0) {
			print_error("case %zu: urgency %s needs '%s'\n", i,
				    urgency_name(t->urgency), needs->str);
			fail();
		}
		/* Every emergency states its reasons. */
		if (t->urgency == URGENCY_EMERGENCY)
			assert_true(t->hits->len > 0);
		triage_free(t);
	}
	ruleset_free(rs);
}

static void
test_hit_offsets_are_characters(void **state)
{
	g_autofree char *dir = scratch_new();
	g_autofree char *p = write_rules(dir, "t.rules",
					 "rule t\n\tpattern 燒炭\n\turgency "
					 "emergency\n\tweight 10\n");
	struct ruleset *rs = NULL;
	struct triage *t = NULL;
	struct err err = { 0 };
	const struct rule_hit *h;

	assert_int_equal(rules_load_file(p, &rs, &err), ST_OK);
	assert_int_equal(rules_triage(rs, "我想燒炭，燒炭", &t, &err), ST_OK);
	assert_int_equal(t->hits->len, 2);
	h = &g_array_index(t->hits, struct rule_hit, 0);
	assert_int_equal(h->start, 2);
	assert_int_equal(h->end, 4);
	assert_string_equal(h->match, "燒炭");
	/* Two hits of one rule are one vote. */
	assert_int_equal(t->emergency_score, 10);
	triage_free(t);
	/* Invalid UTF-8 is refused, not matched. */
	assert_int_equal(rules_triage(rs, "\xff\xfe", &t, &err), ST_FATAL);
	ruleset_free(rs);
	scratch_remove(dir);
}

static void
test_guards(void **state)
{
	g_autofree char *dir = scratch_new();
	g_autofree char *p = write_rules(dir, "t.rules",
		"rule t\n\tpattern 自殺\n\turgency emergency\n\tweight 10\n"
		"\tguard negation\n\tguard hypothetical\n\tguard past\n");
	static const struct {
		const char *text;
		enum urgency want;
	} t[] = {
		{ "我想自殺", URGENCY_EMERGENCY },
		{ "我沒有想自殺", URGENCY_CONSULTATION },
		{ "如果再這樣我會自殺", URGENCY_CONSULTATION },
		{ "以前曾經想過自殺", URGENCY_CONSULTATION },
		/* A clause boundary ends the guard's reach. */
		{ "我沒有辦法，我想自殺", URGENCY_EMERGENCY },
		/* A bare 不 is not taken as a negation. */
		{ "我不知道，想自殺", URGENCY_EMERGENCY },
		{ "沒有人懂我想自殺的心情", URGENCY_EMERGENCY },
	};
	struct ruleset *rs = NULL;
	struct err err = { 0 };

	assert_int_equal(rules_load_file(p, &rs, &err), ST_OK);
	for (size_t i = 0; i < G_N_ELEMENTS(t); i++) {
		struct triage *tr = NULL;

		assert_int_equal(rules_triage(rs, t[i].text, &tr, &err), ST_OK);
		if (tr->urgency != t[i].want) {
			print_error("case %zu: %s\n", i,
				    urgency_name(tr->urgency));
			fail();
		}
		triage_free(tr);
	}
	ruleset_free(rs);
	scratch_remove(dir);
}

static void
test_about(void **state)
{
	g_autofree char *dir = scratch_new();
	g_autofree char *p = write_rules(dir, "t.rules",
		"rule self\n\tpattern 想戒\n\twriter self\n\tweight 10\n"
		"\tabout self\n"
		"rule other\n\tpattern 想戒\n\twriter family\n\tweight 10\n"
		"\tabout other\n");
	static const struct {
		const char *text;
		int self, family;
	} t[] = {
		{ "我想戒", 10, 0 },
		{ "想戒了", 10, 0 },		/* no one named: the writer */
		{ "我兒子說他想戒", 0, 10 },
		{ "他說我想戒", 10, 10 },	/* both named: either may be */
	};
	struct ruleset *rs = NULL;
	struct err err = { 0 };

	assert_int_equal(rules_load_file(p, &rs, &err), ST_OK);
	for (size_t i = 0; i < G_N_ELEMENTS(t); i++) {
		struct triage *tr = NULL;

		assert_int_equal(rules_triage(rs, t[i].text, &tr, &err), ST_OK);
		if (tr->writer_score[WRITER_SELF] != t[i].self ||
		    tr->writer_score[WRITER_FAMILY] != t[i].family) {
			print_error("case %zu: self %d family %d\n", i,
				    tr->writer_score[WRITER_SELF],
				    tr->writer_score[WRITER_FAMILY]);
			fail();
		}
		triage_free(tr);
	}
	ruleset_free(rs);
	scratch_remove(dir);
}

static void
test_quoted_scope(void **state)
{
	g_autofree char *dir = scratch_new();
	g_autofree char *p = write_rules(dir, "t.rules",
		"rule fresh\n\tpattern 自殺\n\turgency emergency\n"
		"\tweight 10\n"
		"rule history\n\tpattern 案件編號\n\tneed legal\n"
		"\tquoted yes\n");
	const char *text = "謝謝，收到了";
	const char *body = "謝謝，收到了\n> 不要自殺\n> 案件編號 TPE-1151103-0002\n";
	struct ruleset *rs = NULL;
	struct triage *t = NULL;
	struct err err = { 0 };

	assert_int_equal(rules_load_file(p, &rs, &err), ST_OK);
	assert_int_equal(rules_triage_seeker_quoted(rs, text, body, &t, &err),
			 ST_OK);
	/* Quoted history does not count, unless the rule says it may. */
	assert_int_equal(t->urgency, URGENCY_CONSULTATION);
	assert_int_equal(t->needs->len, 1);
	assert_int_equal(t->hits->len, 1);
	assert_true(g_array_index(t->hits, struct rule_hit, 0).quoted);
	triage_free(t);
	ruleset_free(rs);
	scratch_remove(dir);
}

static void
test_shipped_examples_hold(void **state)
{
	g_autofree char *dir = source_path("rules");
	g_autoptr(GPtrArray) failures = g_ptr_array_new_with_free_func(g_free);
	struct ruleset *rs = NULL;
	struct err err = { 0 };

	assert_int_equal(rules_load_dir(dir, &rs, &err), ST_OK);
	assert_true(rules_check_examples(rs, failures) > 0);
	for (guint i = 0; i < failures->len; i++)
		print_error("%s\n", (char *)failures->pdata[i]);
	assert_int_equal(failures->len, 0);
	ruleset_free(rs);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_errors_are_located),
		cmocka_unit_test(test_include),
		cmocka_unit_test(test_triage_decisions),
		cmocka_unit_test(test_hit_offsets_are_characters),
		cmocka_unit_test(test_guards),
		cmocka_unit_test(test_about),
		cmocka_unit_test(test_quoted_scope),
		cmocka_unit_test(test_shipped_examples_hold),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
