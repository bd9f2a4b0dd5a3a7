/* Rule loading (with located errors) and triage decisions. */
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "hanzi.h"
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
	{ "rule a\n\tpattern  (燒炭\n\trisk suicide\n\tlevel acute\n",
	  ":2:11: missing ')'" },
	/* The '(' left open, not one inside a class or a quoted run. */
	{ "rule a\n\tpattern  (甲[^]((]\n\tneed hiv\n", ":2:11: missing ')'" },
	{ "rule a\n\tpattern  (甲\\Q(\\E\n\tneed hiv\n",
	  ":2:11: missing ')'" },
	{ "rule a\n\trisk suicide\n\tlevel acute\n",
	  ":1:1: rule a has no pattern" },
	{ "rule a\n\tpattern x\n", ":1:1: rule a votes for nothing "
				   "(add risk, urgency, need, writer or kind)" },
	{ "rule a\n\tpattern x\n\tneed jobs\n", ":3:7: unknown need 'jobs'" },
	{ "rule a\n\tpattern x\n\turgency soon\n",
	  ":3:10: urgency must be application or consultation" },
	/* An emergency is found, not voted for. */
	{ "rule a\n\tpattern x\n\turgency emergency\n",
	  ":3:10: an emergency is found by risk and level" },
	{ "rule a\n\tpattern x\n\trisk suicide\n",
	  ":1:1: rule a needs both risk and level" },
	{ "rule a\n\tpattern x\n\trisk grief\n\tlevel acute\n",
	  ":3:7: risk must be suicide" },
	{ "rule a\n\tpattern x\n\trisk suicide\n\tlevel severe\n",
	  ":4:8: level must be acute, high or watch" },
	/* A word list that is not there: the column of its name. */
	{ "rule a\n\tpattern  我想{no-such-list}\n\tneed hiv\n",
	  ":2:13: word list {no-such-list}: cannot read word list" },
	{ "rule a\n\tpattern x\n\tneed hiv\n\tguard nowhere\n",
	  ":4:8: no guard named 'nowhere'" },
	{ "guard g\n\tpattern 以前\n\texample 以前想過\n",
	  ":3:10: a guard's example is \"text | words\"" },
	{ "guard g\n\tpattern 以前\n", ":1:1: guard g has no label" },
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
	/* Nothing about an application outvotes a risk. */
	{ "我想申請轉介戒癮門診，也想申請補助，可是今晚我就想自殺",
	  URGENCY_EMERGENCY, "counseling crisis detox_treatment "
			     "financial_aid" },
	/* A farewell and silence: added up, an emergency. */
	{ "他把狗送人了，說以後拜託你照顧。打他電話都沒接", URGENCY_EMERGENCY,
	  "crisis locate_person" },
	/* A farewell alone is a sign, not yet an emergency. */
	{ "他把狗送人了，說以後拜託你照顧", URGENCY_CONSULTATION, "" },
	/* Swallowing all the pills is both an overdose and an attempt. */
	{ "他藥都吞了，現在叫不醒", URGENCY_EMERGENCY,
	  "counseling crisis detox_treatment" },
	{ "想幫兒子申請戒癮門診，也想找工作", URGENCY_APPLICATION,
	  "detox_treatment employment" },
	{ "請問美沙冬要喝多久？", URGENCY_CONSULTATION,
	  "substitution_therapy" },
	/* A time word alone is not an emergency. */
	{ "今晚可以打電話給我嗎", URGENCY_CONSULTATION, "" },
	/* Latin letters match in either case; wanting a test is asking
	 * for a service (LABELS.md). */
	{ "想做hiv篩檢", URGENCY_APPLICATION, "hiv" },
	/* Asking whether one may apply is not applying. */
	{ "請問我可以申請補助嗎？", URGENCY_CONSULTATION, "financial_aid" },
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

/*
 * Sentences written for each risk concept, and some that only sound
 * alarming (tests/corpus/triage-probes.tsv): the shipped rules give each
 * its urgency, read as classify reads it (Simplified as Traditional).
 */
static void
test_concept_probes(void **state)
{
	g_autofree char *dir = source_path("rules");
	g_autofree char *path = fixture_path("triage-probes.tsv");
	g_autofree char *data = NULL;
	g_auto(GStrv) lines = NULL;
	struct ruleset *rs = NULL;
	struct err err = { 0 };
	guint probes = 0, wrong = 0;

	assert_true(g_file_get_contents(path, &data, NULL, NULL));
	assert_int_equal(rules_load_dir(dir, &rs, &err), ST_OK);
	lines = g_strsplit(data, "\n", -1);
	for (int i = 0; lines[i] != NULL; i++) {
		char *tab = strchr(lines[i], '\t');
		g_autofree char *trad = NULL;
		struct triage *t = NULL;
		enum urgency want;

		if (lines[i][0] == '#' || tab == NULL)
			continue;
		*tab = '\0';
		assert_true(urgency_parse(lines[i], &want));
		trad = hanzi_to_traditional(tab + 1);
		assert_int_equal(rules_triage(rs, trad ? trad : tab + 1, &t,
					      &err),
				 ST_OK);
		probes++;
		if (t->urgency != want) {
			print_error("line %d: %s, not %s: %s\n", i + 1,
				    urgency_name(t->urgency), lines[i],
				    tab + 1);
			wrong++;
		}
		triage_free(t);
	}
	assert_true(probes >= 30);
	assert_int_equal(wrong, 0);
	ruleset_free(rs);
}

static void
test_hit_offsets_are_characters(void **state)
{
	g_autofree char *dir = scratch_new();
	g_autofree char *p = write_rules(dir, "t.rules",
					 "rule t\n\tpattern 燒炭\n\trisk "
					 "suicide\n\tlevel acute\n");
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
	assert_int_equal(t->urgency, URGENCY_EMERGENCY);
	assert_int_equal(t->risk[RISK_SUICIDE], RISK_LEVEL_ACUTE);
	triage_free(t);
	/* Far into a long letter, characters of one to four bytes
	 * straddling every kilobyte: each hit where counting says. */
	{
		GString *text = g_string_new(NULL);
		const char *at;
		guint n = 0;

		for (int i = 0; i < 6; i++) {
			for (int j = 0; j < 97 + i; j++)
				g_string_append(text, "aé中😀");
			g_string_append(text, "燒炭");
		}
		assert_int_equal(rules_triage(rs, text->str, &t, &err), ST_OK);
		assert_int_equal(t->hits->len, 6);
		for (at = strstr(text->str, "燒炭"); at != NULL;
		     at = strstr(at + 1, "燒炭"), n++) {
			h = &g_array_index(t->hits, struct rule_hit, n);
			assert_int_equal(h->start, g_utf8_pointer_to_offset(
							   text->str, at));
			assert_int_equal(h->end, h->start + 2);
		}
		assert_int_equal(n, 6);
		triage_free(t);
		g_string_free(text, TRUE);
	}
	/* Invalid UTF-8 is refused, not matched. */
	assert_int_equal(rules_triage(rs, "\xff\xfe", &t, &err), ST_FATAL);
	ruleset_free(rs);
	scratch_remove(dir);
}

static const char guard_rules[] =
	"guard negation\n\tlabel 寫信者否定了\n\tpattern 沒有|沒|不會\n"
	"\tscope clause\n\tbefore 5\n"
	"guard hypothetical\n\tlabel 為假設\n\tpattern 如果|萬一\n"
	"\tscope clause\n\tbefore 10\n"
	"guard past\n\tlabel 為過去的事件\n\tpattern 以前|曾經\n"
	"\tscope clause\n\tbefore 10\n"
	"guard jest\n\tlabel 為玩笑\n\tpattern XD\n"
	"\tscope clause\n\tbefore 0\n\tafter 4\n"
	"guard over\n\tlabel 危險已經過去\n\tpattern 救回來了\n"
	"\tscope letter\n"
	"rule t\n\tpattern 自殺\n\trisk suicide\n\tlevel acute\n"
	"\tguard negation\n\tguard hypothetical\n\tguard past\n"
	"\tguard jest\n\tguard over\n";

static void
test_guards(void **state)
{
	g_autofree char *dir = scratch_new();
	g_autofree char *p = write_rules(dir, "t.rules", guard_rules);
	static const struct {
		const char *text;
		enum urgency want;
		const char *cleared_by;	/* or NULL */
	} t[] = {
		{ "我想自殺", URGENCY_EMERGENCY, NULL },
		{ "我沒有想自殺", URGENCY_CONSULTATION, "negation" },
		{ "如果再這樣我會自殺", URGENCY_CONSULTATION, "hypothetical" },
		{ "以前曾經想過自殺", URGENCY_CONSULTATION, "past" },
		{ "考爛了想自殺XD", URGENCY_CONSULTATION, "jest" },
		/* The whole letter: "he was saved". */
		{ "九月他想自殺。後來救回來了", URGENCY_CONSULTATION, "over" },
		/* A clause boundary ends the guard's reach. */
		{ "我沒有辦法，我想自殺", URGENCY_EMERGENCY, NULL },
		/* A bare 不 is not taken as a negation. */
		{ "我不知道，想自殺", URGENCY_EMERGENCY, NULL },
		/* Unpunctuated Chinese: a space stands for the comma. */
		{ "我說沒有 他就說要自殺", URGENCY_EMERGENCY, NULL },
		/* Words after the hit are not a negation. */
		{ "我想自殺，吃了就不會痛", URGENCY_EMERGENCY, NULL },
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
		if (t[i].cleared_by != NULL) {
			const struct rule_hit *h;

			/* Cleared, but kept as a reason, and read today. */
			assert_int_equal(tr->cleared->len, 1);
			h = &g_array_index(tr->cleared, struct rule_hit, 0);
			assert_string_equal(guard_name(h->cleared),
					    t[i].cleared_by);
			assert_true(tr->possible_risk);
		} else {
			assert_int_equal(tr->cleared->len, 0);
		}
		triage_free(tr);
	}
	ruleset_free(rs);
	scratch_remove(dir);
}

/*
 * Word lists: one phrase per line, Simplified read as Traditional,
 * Latin words whole, "..." a gap within the sentence; "with" asks for
 * a second list in the same sentence; levels add up.
 */
static void
test_word_lists_and_levels(void **state)
{
	g_autofree char *dir = scratch_new();
	g_autofree char *words = g_build_filename(dir, "words", NULL);
	g_autofree char *p = NULL;
	static const struct {
		const char *text;
		enum urgency want;
		gboolean possible;
	} t[] = {
		{ "他說想要結束一切", URGENCY_EMERGENCY, FALSE },
		{ "他说想要结束一切", URGENCY_EMERGENCY, FALSE },
		/* A list holds both scripts: Simplified text unconverted. */
		{ "遗书写好了", URGENCY_EMERGENCY, FALSE },
		{ "He wants to end it all", URGENCY_EMERGENCY, FALSE },
		{ "calendar", URGENCY_CONSULTATION, FALSE },
		{ "存了一個月的安眠藥", URGENCY_EMERGENCY, FALSE },
		/* A gap stays in its sentence. */
		{ "存了錢。安眠藥", URGENCY_CONSULTATION, FALSE },
		/* A child's words and danger in one sentence. */
		{ "女兒兩歲，靠在欄杆上", URGENCY_EMERGENCY, FALSE },
		{ "女兒兩歲。衣服晾在欄杆上", URGENCY_CONSULTATION, FALSE },
		/* A strong sign alone: read today, not yet an emergency. */
		{ "打給他都沒接", URGENCY_CONSULTATION, TRUE },
		/* A strong sign and "now". */
		{ "現在打給他都沒接", URGENCY_EMERGENCY, FALSE },
		/* "Now" alone is nothing. */
		{ "現在", URGENCY_CONSULTATION, TRUE },
	};
	struct ruleset *rs = NULL;
	struct err err = { 0 };

	assert_int_equal(g_mkdir(words, 0700), 0);
	g_free(write_rules(words, "end.words",
			   "# ending it\n结束一切\n結束一切\n遺書寫好\n遗书写好\n"
			   "end it all\nal\n"
			   "存了...安眠藥\n"));
	g_free(write_rules(words, "child.words", "女兒\n兒子\n"));
	g_free(write_rules(words, "danger.words", "欄杆\n"));
	p = write_rules(dir, "t.rules",
			"rule end\n\tpattern {end}\n\trisk suicide\n"
			"\tlevel acute\n"
			"rule child\n\tpattern {danger}\n\twith {child}\n"
			"\trisk child\n\tlevel acute\n"
			"rule gone\n\tpattern 都沒接\n\trisk missing\n"
			"\tlevel high\n"
			"rule now\n\tpattern 現在\n\trisk now\n"
			"\tlevel watch\n");
	assert_int_equal(rules_load_file(p, &rs, &err), ST_OK);
	for (size_t i = 0; i < G_N_ELEMENTS(t); i++) {
		struct triage *tr = NULL;

		assert_int_equal(rules_triage(rs, t[i].text, &tr, &err), ST_OK);
		if (tr->urgency != t[i].want ||
		    tr->possible_risk != t[i].possible) {
			print_error("case %zu: %s possible %d\n", i,
				    urgency_name(tr->urgency),
				    tr->possible_risk);
			fail();
		}
		if (tr->urgency == URGENCY_EMERGENCY)
			assert_true(g_ptr_array_find_with_equal_func(
				tr->needs, "crisis", g_str_equal, NULL));
		triage_free(tr);
	}
	ruleset_free(rs);
	scratch_remove(dir);
}

/* The triage of text, which must succeed; freed with triage_free(). */
static struct triage *
triaged(const struct ruleset *rs, const char *text)
{
	struct triage *tr = NULL;
	struct err err = { 0 };

	assert_int_equal(rules_triage(rs, text, &tr, &err), ST_OK);
	return tr;
}

/* Whether the triage of text finds need. */
static gboolean
finds_need(const struct ruleset *rs, const char *text, const char *need)
{
	struct triage *tr = triaged(rs, text);
	gboolean found = g_ptr_array_find_with_equal_func(tr->needs, need,
							  g_str_equal, NULL);

	triage_free(tr);
	return found;
}

/*
 * A {name} is a word list only where a pattern element starts: inside a
 * class, escaped or in a quoted run it is the characters it is (no list
 * of those names exists here; they were once looked for).
 */
static void
test_braces_not_lists(void **state)
{
	g_autofree char *dir = scratch_new();
	g_autofree char *p = write_rules(
		dir, "t.rules",
		"rule brace\n\tpattern 甲[{x}]乙|丙\\{y\\}丁|戊\\Q{z}\\E\n"
		"\tneed hiv\n");
	static const struct {
		const char *text;
		gboolean found;
	} t[] = {
		{ "甲{乙", TRUE }, { "甲x乙", TRUE }, { "丙{y}丁", TRUE },
		{ "戊{z}", TRUE }, { "甲乙", FALSE }, { "丙y丁", FALSE },
		{ "戊z", FALSE },
	};
	struct ruleset *rs = NULL;
	struct err err = { 0 };

	assert_int_equal(rules_load_file(p, &rs, &err), ST_OK);
	for (size_t i = 0; i < G_N_ELEMENTS(t); i++) {
		if (finds_need(rs, t[i].text, "hiv") != t[i].found) {
			print_error("case %zu: %s\n", i, t[i].text);
			fail();
		}
	}
	ruleset_free(rs);
	scratch_remove(dir);
}

/* rules test names a phrase whose other script is missing. */
static void
test_word_list_both_scripts(void **state)
{
	g_autofree char *dir = scratch_new();
	g_autofree char *words = g_build_filename(dir, "words", NULL);
	g_autofree char *p = NULL;
	g_autoptr(GPtrArray) failures = g_ptr_array_new_with_free_func(g_free);
	struct ruleset *rs = NULL;
	struct err err = { 0 };

	assert_int_equal(g_mkdir(words, 0700), 0);
	g_free(write_rules(words, "w.words", "# a note\n遺書寫好\nend it all\n"));
	p = write_rules(dir, "t.rules", "rule w\n\tpattern {w}\n"
					"\trisk suicide\n\tlevel acute\n");
	assert_int_equal(rules_load_file(p, &rs, &err), ST_OK);
	rules_check_examples(rs, failures);
	assert_int_equal(failures->len, 1);
	assert_non_null(strstr(failures->pdata[0], "w.words:2: '遺書寫好' has "
				"no Simplified form '遗书写好'"));
	ruleset_free(rs);
	scratch_remove(dir);
}

/*
 * A "!" line of a word list: where the text reads it, the list's words
 * mean something else ("打我的手機" is "call me"), and no phrase starts
 * there; elsewhere they still count.  A "!" line with a gap, one that
 * starts with no phrase of the list, or one without its other script,
 * is said.
 */
static void
test_word_list_nots(void **state)
{
	g_autofree char *dir = scratch_new();
	g_autofree char *words = g_build_filename(dir, "words", NULL);
	g_autofree char *p = NULL;
	g_autoptr(GPtrArray) failures = g_ptr_array_new_with_free_func(g_free);
	static const struct {
		const char *text;
		enum urgency want;
	} t[] = {
		{ "他現在一直打我", URGENCY_EMERGENCY },
		{ "有事請打我的手機", URGENCY_CONSULTATION },
		{ "有事请打我的手机", URGENCY_CONSULTATION },
		/* The same words elsewhere in the letter still count. */
		{ "請打我的手機，他昨晚又打我", URGENCY_EMERGENCY },
		{ "他打我，我的手機也被摔壞了", URGENCY_EMERGENCY },
	};
	struct ruleset *rs = NULL;
	struct err err = { 0 };

	assert_int_equal(g_mkdir(words, 0700), 0);
	g_free(write_rules(words, "hit.words",
			   "打我\n!打我的手機\n!打我的手机\n!打我手機\n"));
	p = write_rules(dir, "t.rules", "rule hit\n\tpattern {hit}\n"
					"\trisk violence\n\tlevel acute\n");
	assert_int_equal(rules_load_file(p, &rs, &err), ST_OK);
	for (size_t i = 0; i < G_N_ELEMENTS(t); i++) {
		struct triage *tr = triaged(rs, t[i].text);

		if (tr->urgency != t[i].want) {
			print_error("case %zu: %s\n", i,
				    urgency_name(tr->urgency));
			fail();
		}
		triage_free(tr);
	}
	/* 打我手機 is there without 打我手机. */
	rules_check_examples(rs, failures);
	assert_int_equal(failures->len, 1);
	assert_non_null(strstr(failures->pdata[0], "hit.words:4: '!打我手機' "
				"has no Simplified form '!打我手机'"));
	ruleset_free(rs);
	rs = NULL;

	g_free(write_rules(words, "hit.words", "打我\n!打我...手機\n"));
	assert_int_equal(rules_load_file(p, &rs, &err), ST_FATAL);
	assert_non_null(strstr(err.msg, "hit.words:2:1: a '!' line needs the "
				"words it excludes, with no gap"));
	g_free(write_rules(words, "hit.words", "打我\n\n!罵我的手機\n"));
	assert_int_equal(rules_load_file(p, &rs, &err), ST_FATAL);
	assert_non_null(strstr(err.msg, "hit.words:3:1: '!罵我的手機' starts "
				"with no phrase of the list"));
	scratch_remove(dir);
}

/* A forwarded letter is evidence of risk, never the writer's words. */
static void
test_forwarded_is_evidence(void **state)
{
	g_autofree char *dir = scratch_new();
	g_autofree char *p = write_rules(dir, "t.rules",
		"rule end\n\tpattern 不想活了\n\trisk suicide\n"
		"\tlevel acute\n"
		"rule me\n\tpattern 我\n\twriter self\n\tweight 10\n"
		"rule ask\n\tpattern 申請\n\turgency application\n"
		"\tweight 5\n");
	struct ruleset *rs = NULL;
	struct triage *t = NULL;
	struct rules_text *tx = NULL;
	struct err err = { 0 };

	assert_int_equal(rules_load_file(p, &rs, &err), ST_OK);
	assert_int_equal(rules_text_new(rs, "附件是弟弟的信", &tx, &err), ST_OK);
	assert_int_equal(rules_triage_letter(tx, NULL, "我申請過了，我不想活了",
					     &t, &err),
			 ST_OK);
	rules_text_free(tx);
	assert_int_equal(t->urgency, URGENCY_EMERGENCY);
	assert_int_equal(t->writer_score[WRITER_SELF], 0);
	assert_int_equal(t->application_score, 0);
	assert_int_equal(t->hits->len, 1);
	assert_int_equal(g_array_index(t->hits, struct rule_hit, 0).place,
			 HIT_FORWARDED);
	triage_free(t);
	ruleset_free(rs);
	scratch_remove(dir);
}

static void
test_about(void **state)
{
	g_autofree char *dir = scratch_new();
	g_autofree char *words = g_build_filename(dir, "words", NULL);
	g_autofree char *self = (g_mkdir(words, 0700),
				 write_rules(words, "self.words", "我\n"));
	g_autofree char *others = write_rules(words, "other-person.words",
					      "他\n兒子\n");
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
		"rule fresh\n\tpattern 自殺\n\trisk suicide\n"
		"\tlevel acute\n"
		"rule history\n\tpattern 案件編號\n\tneed legal\n"
		"\tquoted yes\n");
	const char *text = "謝謝，收到了";
	const char *body = "謝謝，收到了\n> 不要自殺\n> 案件編號 TPE-1151103-0002\n";
	struct ruleset *rs = NULL;
	struct triage *t = NULL;
	struct rules_text *tx = NULL;
	struct err err = { 0 };

	assert_int_equal(rules_load_file(p, &rs, &err), ST_OK);
	assert_int_equal(rules_text_new(rs, text, &tx, &err), ST_OK);
	assert_int_equal(rules_triage_letter(tx, body, NULL, &t, &err), ST_OK);
	rules_text_free(tx);
	/* Quoted history does not count, unless the rule says it may. */
	assert_int_equal(t->urgency, URGENCY_CONSULTATION);
	assert_int_equal(t->needs->len, 1);
	assert_int_equal(t->hits->len, 1);
	assert_int_equal(g_array_index(t->hits, struct rule_hit, 0).place,
			 HIT_QUOTED);
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
				       h->match,
				       h->place != HIT_TEXT ? " quoted" : "");
	}
	return g_string_free(s, FALSE);
}

/*
 * The kind, risk and letter passes over text, as classify runs them:
 * with one rules_text read by all three (shared), or a new one each.
 */
static char *
summarise(struct ruleset *rs, const char *text, const char *body,
	  gboolean shared)
{
	struct rules_text *tx = NULL;
	struct triage *t = NULL;
	struct err err = { 0 };
	gboolean danger = FALSE;
	char *s;

	assert_int_equal(rules_text_new(rs, text, &tx, &err), ST_OK);
	assert_int_equal(rules_triage_kind(tx, &t, &err), ST_OK);
	s = triage_summary(t);
	triage_free(t);
	if (!shared) {
		rules_text_free(tx);
		assert_int_equal(rules_text_new(rs, text, &tx, &err), ST_OK);
	}
	assert_int_equal(rules_risk_sign(tx, &danger, &err), ST_OK);
	if (!shared) {
		rules_text_free(tx);
		assert_int_equal(rules_text_new(rs, text, &tx, &err), ST_OK);
	}
	assert_int_equal(rules_triage_letter(tx, body, NULL, &t, &err), ST_OK);
	rules_text_free(tx);
	{
		g_autofree char *k = s, *r = triage_summary(t);

		s = g_strdup_printf("%s\n--\nrisk %d\n--\n%s", k, danger, r);
	}
	triage_free(t);
	return s;
}

/*
 * The prefilter only saves work: over the shipped rules, the letters of
 * the labelled corpus and texts written for its hard cases (lookbehind,
 * guards, quoted history, case folding), triage finds the same with and
 * without it, and the same whether the three passes share one reading
 * of the text or each has its own.
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

		g_autofree char *apart = NULL;

		rules_set_prefilter(rs, TRUE);
		on = summarise(rs, text, body, TRUE);
		apart = summarise(rs, text, body, FALSE);
		rules_set_prefilter(rs, FALSE);
		off = summarise(rs, text, body, FALSE);
		if (strcmp(on, off) != 0 || strcmp(on, apart) != 0) {
			print_error("text %u:\nwith:\n%s\none each:\n%s\n"
				    "without:\n%s\n", i, on, apart, off);
			fail();
		}
	}
	ruleset_free(rs);
}

static void
collect_start(guint id, size_t from, void *data)
{
	g_string_append_printf(data, "%u@%zu ", id, from);
}

static int
cmp_strv(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * A rule made of word lists is tried only where a phrase's head starts,
 * anchored: it finds what a search from each place finds.  Heads that
 * overlap, end inside one another, repeat, fold case (the Kelvin sign
 * is a K, the long s an s) or stand after a letter (whole words only).
 */
static void
test_heads_find_what_search_finds(void **state)
{
	static const char *const texts[] = {
		"aab abc bcd ab bc abcd",
		"想想要想要結束結束一切",
		"\u212Aill myſelf, KILL MYSELF, skill myself",
		"存了存了一個月的安眠藥存了安眠藥",
		"電話。他都沒接電話沒接",
		"xab ab_ 1ab",
		"",
	};
	g_autofree char *dir = scratch_new();
	g_autofree char *words = g_build_filename(dir, "words", NULL);
	g_autofree char *p = NULL;
	struct ruleset *rs = NULL;
	struct err err = { 0 };

	assert_int_equal(g_mkdir(words, 0700), 0);
	g_free(write_rules(words, "w.words",
			   "ab\nabc\nbc\nb...d\n想要結束\n想要\n結束一切\n"
			   "kill myself\nkill\n存了...安眠藥\n電話...沒接\n"
			   "都沒接\n"));
	g_free(write_rules(words, "v.words", "一切\n沒接\n"));
	p = write_rules(dir, "t.rules",
			"rule w\n\tpattern {w}\n\trisk suicide\n"
			"\tlevel high\n"
			"rule near\n\tpattern {w}[\\s\\S]{0,6}?{v}\n"
			"\tpattern {v}\n\trisk missing\n\tlevel high\n");
	assert_int_equal(rules_load_file(p, &rs, &err), ST_OK);
	for (size_t i = 0; i < G_N_ELEMENTS(texts); i++) {
		g_autofree char *text = g_strcompress(texts[i]);
		g_autofree char *on = NULL, *off = NULL;

		rules_set_prefilter(rs, TRUE);
		on = summarise(rs, text, text, TRUE);
		rules_set_prefilter(rs, FALSE);
		off = summarise(rs, text, text, FALSE);
		if (strcmp(on, off) != 0) {
			print_error("text %zu:\nwith:\n%s\nwithout:\n%s\n",
				    i, on, off);
			fail();
		}
		/* Not vacuous: every text but the empty one is found. */
		if (*text != '\0')
			assert_non_null(strstr(on, "\nw "));
	}
	ruleset_free(rs);
	scratch_remove(dir);
}

/* The finder of heads reports where each literal starts, every time. */
static void
test_prefilter_starts(void **state)
{
	const char *const lits[] = { "ab", "b", "結束", "kill" };
	struct prefilter *pf = prefilter_new_starts(lits, 4, NULL);
	GString *got = g_string_new(NULL);
	const char *text = "abab 結束結束 \xe2\x84\xaaILL";

	assert_non_null(pf);
	assert_true(prefilter_scan_starts(pf, text, strlen(text),
					  collect_start, got));
	/* "ab" at 0 and 2, "b" at 1 and 3, 結束 at 5 and 11, the Kelvin
	 * sign's KILL at 18; in any order. */
	{
		g_auto(GStrv) v = g_strsplit(g_strstrip(got->str), " ", -1);
		g_autofree char *sorted = NULL;

		qsort(v, g_strv_length(v), sizeof *v, cmp_strv);
		sorted = g_strjoinv(" ", v);
		assert_string_equal(sorted, "0@0 0@2 1@1 1@3 2@11 2@5 3@18");
	}
	g_string_free(got, TRUE);
	prefilter_free(pf);
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

/*
 * The n patterns compiled into one prefilter, none left out: each may
 * match text all, none may match text none.
 */
static void
screens_all(const char *const *pats, guint n, const char *all,
	    const char *none)
{
	g_autofree gboolean *may = g_new0(gboolean, n);
	struct prefilter *pf = prefilter_new(pats, n, NULL);

	assert_non_null(pf);
	for (guint i = 0; i < n; i++)
		assert_false(prefilter_always(pf, i));	/* all compiled */
	scan(pf, all, may);
	for (guint i = 0; i < n; i++)
		assert_true(may[i]);
	scan(pf, none, may);
	for (guint i = 0; i < n; i++)
		assert_false(may[i]);
	prefilter_free(pf);
}

/*
 * A prefilter never leaves out a pattern that matches, bounded repeats
 * included (it reads them open); it still rules out what cannot match.
 * What looks like a repeat but is not one (inside a class, after an
 * escape, \x{...}, \Q...\E) keeps its meaning.
 */
static void
test_prefilter_repeats(void **state)
{
	const char *const pats[] = {
		"甲[^。\\n]{0,3}乙",
		"(?:再|又){1,2}吸",
		"[{]1,2[}]",
		"\\{1,2\\}",
		"\\x{4e19}{2,3}丁",
		"\\Qa{1,2}\\E",
		"[0-9]{2,4}+元",
	};

	/* Within the bounds: found; what none of them can match. */
	screens_all(pats, G_N_ELEMENTS(pats),
		    "甲一二乙 再又吸 {1,2} 丙丙丁 a{1,2} 300元",
		    "甲。乙 吸 {1} 丙丁 a 元");
}

/*
 * Hyperscan takes no anchor inside a pattern: such a pattern is screened
 * without its anchors (matching more), not left out to run on every
 * letter; where its words are not, it is not run.  A class's ^ and an
 * escaped \^ or \$ keep their meaning.
 */
static void
test_prefilter_anchors(void **state)
{
	const char *const pats[] = {
		"(?m)^主旨[：:][\\s\\S]{0,40}?(?:^|。)說明[：:]",
		"(?m)^甲$|乙[^^]\\^\\$",
	};

	screens_all(pats, G_N_ELEMENTS(pats), "主旨：會議。\n說明：一、 乙丙^$",
		    "想問戒毒門診 乙^$");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_errors_are_located),
		cmocka_unit_test(test_include),
		cmocka_unit_test(test_triage_decisions),
		cmocka_unit_test(test_concept_probes),
		cmocka_unit_test(test_hit_offsets_are_characters),
		cmocka_unit_test(test_guards),
		cmocka_unit_test(test_word_lists_and_levels),
		cmocka_unit_test(test_word_list_both_scripts),
		cmocka_unit_test(test_braces_not_lists),
		cmocka_unit_test(test_word_list_nots),
		cmocka_unit_test(test_forwarded_is_evidence),
		cmocka_unit_test(test_about),
		cmocka_unit_test(test_quoted_scope),
		cmocka_unit_test(test_shipped_examples_hold),
		cmocka_unit_test(test_prefilter_changes_nothing),
		cmocka_unit_test(test_heads_find_what_search_finds),
		cmocka_unit_test(test_prefilter_starts),
		cmocka_unit_test(test_prefilter_cache),
		cmocka_unit_test(test_prefilter_repeats),
		cmocka_unit_test(test_prefilter_anchors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
