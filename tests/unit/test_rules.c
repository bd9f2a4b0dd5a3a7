/* Rule loading (with located errors) and triage decisions. */
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "prefilter.h"
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

/* Hits, urgency and needs of a triage, as one comparable string. */
static char *
triage_summary(const struct triage *t)
{
	GString *s = g_string_new(urgency_name(t->urgency));

	for (guint i = 0; i < t->needs->len; i++)
		g_string_append_printf(s, " %s", (char *)t->needs->pdata[i]);
	for (guint i = 0; i < t->hits->len; i++) {
		const struct rule_hit *h =
			&g_array_index(t->hits, struct rule_hit, i);

		g_string_append_printf(s, "\n%s %ld-%ld %s%s",
				       rule_id(h->rule), h->start, h->end,
				       h->match, h->quoted ? " quoted" : "");
	}
	return g_string_free(s, FALSE);
}

static char *
summarise(struct ruleset *rs, const char *text, const char *body)
{
	struct triage *t = NULL;
	struct err err = { 0 };
	char *s;

	assert_int_equal(rules_triage_kind(rs, text, &t, &err), ST_OK);
	s = triage_summary(t);
	triage_free(t);
	assert_int_equal(rules_triage_seeker_quoted(rs, text, body, &t, &err),
			 ST_OK);
	{
		g_autofree char *k = s, *r = triage_summary(t);

		s = g_strconcat(k, "\n--\n", r, NULL);
	}
	triage_free(t);
	return s;
}

/*
 * The prefilter only saves work: over the shipped rules, the letters of
 * the labelled corpus and texts written for its hard cases (lookbehind,
 * guards, quoted history, case folding), triage finds the same with and
 * without it.
 */
static void
test_prefilter_changes_nothing(void **state)
{
	static const char *const texts[] = {
		"我兒子在吸安，他說想戒掉，可以幫忙轉介嗎？",
		"她吸安，我沒有用過",
		"我沒有想自殺，只是很累",
		"如果他再用，我會報警",
		"I want to KILL MYSELF tonight, I'm ſuicidal",
		"以前曾經想過一了百了，現在好多了",
		"我们这里有人在吸毒，怎么办",
		"加賴 abc1234 全台可寄 貨到付款",
		"",
		"\n\n\n",
	};
	g_autofree char *dir = source_path("rules");
	g_autofree char *dev = fixture_path("dev");
	g_autoptr(GPtrArray) all = g_ptr_array_new_with_free_func(g_free);
	struct ruleset *rs = NULL;
	struct err err = { 0 };
	GDir *d;
	const char *name;

	for (size_t i = 0; i < G_N_ELEMENTS(texts); i++)
		g_ptr_array_add(all, g_strdup(texts[i]));
	d = g_dir_open(dev, 0, NULL);
	assert_non_null(d);
	while ((name = g_dir_read_name(d)) != NULL) {
		g_autofree char *p = g_build_filename(dev, name, NULL);
		char *data = NULL;

		if (g_str_has_suffix(name, ".eml") &&
		    g_file_get_contents(p, &data, NULL, NULL) &&
		    g_utf8_validate(data, -1, NULL))
			g_ptr_array_add(all, data);
		else
			g_free(data);
	}
	g_dir_close(d);
	assert_true(all->len > 50);

	assert_int_equal(rules_load_dir(dir, &rs, &err), ST_OK);
	for (guint i = 0; i < all->len; i++) {
		const char *text = all->pdata[i];
		g_autofree char *body = g_strdup_printf("> %s", text);
		g_autofree char *on = NULL, *off = NULL;

		rules_set_prefilter(rs, TRUE);
		on = summarise(rs, text, body);
		rules_set_prefilter(rs, FALSE);
		off = summarise(rs, text, body);
		if (strcmp(on, off) != 0) {
			print_error("text %u:\nwith:\n%s\nwithout:\n%s\n", i,
				    on, off);
			fail();
		}
	}
	ruleset_free(rs);
}

static void
scan(struct prefilter *pf, const char *text, gboolean *may)
{
	prefilter_scan(pf, text, strlen(text), may);
}

/*
 * The compiled prefilter is cached and read back; a damaged cache is
 * compiled afresh; a pattern Hyperscan cannot take is always run.
 */
static void
test_prefilter_cache(void **state)
{
	const char *const pats[] = { "自殺", "(?<![他她])吸安", "ab\\Kc" };
	g_autofree char *dir = scratch_new();
	struct prefilter *pf;
	gboolean may[3];
	GDir *d;
	const char *name;
	g_autofree char *cache = NULL;
	g_autofree char *data = NULL;
	gsize len;

	pf = prefilter_new(pats, 3, dir);
	assert_non_null(pf);
	scan(pf, "我想自殺", may);
	assert_true(may[0]);
	assert_false(may[1]);
	assert_true(may[2]);	/* not compiled: always */
	prefilter_free(pf);

	d = g_dir_open(dir, 0, NULL);
	while ((name = g_dir_read_name(d)) != NULL)
		if (g_str_has_prefix(name, "prefilter-"))
			cache = g_build_filename(dir, name, NULL);
	g_dir_close(d);
	assert_non_null(cache);

	/* Read back from the cache: the same answers. */
	pf = prefilter_new(pats, 3, dir);
	scan(pf, "她吸安", may);
	assert_false(may[0]);
	assert_true(may[1]);	/* a superset: lookbehind approximated */
	assert_true(may[2]);
	prefilter_free(pf);

	/* Damaged: compiled again, still right. */
	assert_true(g_file_get_contents(cache, &data, &len, NULL));
	data[len / 2] ^= 0x55;
	assert_true(g_file_set_contents(cache, data, len, NULL));
	pf = prefilter_new(pats, 3, dir);
	assert_non_null(pf);
	scan(pf, "我想自殺", may);
	assert_true(may[0]);
	assert_false(may[1]);
	prefilter_free(pf);

	/* No cache at all works too. */
	pf = prefilter_new(pats, 1, NULL);
	scan(pf, "沒事", may);
	assert_false(may[0]);
	prefilter_free(pf);
	scratch_remove(dir);
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
		cmocka_unit_test(test_prefilter_changes_nothing),
		cmocka_unit_test(test_prefilter_cache),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
