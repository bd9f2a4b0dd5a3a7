/*
 * Did you mean: the distance counts a slip as people make them (a swap,
 * a letter missing or doubled, the wrong case), and a word is suggested
 * only when it is near enough to be meant; the county codes go by it.
 */
#include <string.h>

#include "testutil.h"

#include "suggest.h"
#include "vocab.h"

static void
test_distance(void **state)
{
	static const struct {
		const char *a, *b;
		guint d;
	} t[] = {
		{ "", "", 0 },
		{ "", "list", 4 },
		{ "list", "list", 0 },
		{ "lsit", "list", 1 },		/* a swap is one */
		{ "stauts", "status", 1 },
		{ "dutty", "duty", 1 },		/* a letter doubled */
		{ "dty", "duty", 1 },		/* a letter missing */
		{ "TPQ", "TPE", 1 },
		{ "tpe", "TPE", 0 },		/* case is no slip */
		{ "ca", "abc", 3 },		/* a character changes once */
		{ "kitten", "sitting", 3 },
		{ "台北", "臺北", 1 },		/* characters, not bytes */
		{ "\xff" "ist", "list", 1 },	/* not UTF-8: one character */
	};

	for (size_t i = 0; i < G_N_ELEMENTS(t); i++) {
		guint d = suggest_distance(t[i].a, t[i].b);

		if (d != t[i].d) {
			print_error("'%s' '%s': %u, not %u\n", t[i].a, t[i].b,
				    d, t[i].d);
			fail();
		}
		assert_int_equal(suggest_distance(t[i].b, t[i].a), d);
	}
}

static void
test_nearest(void **state)
{
	static const char *const commands[] = {
		"init", "run", "ingest", "quarantine", "status", "classify",
		"config", "rules", "case", "outbox", "calendar", "report",
		"backup", "restore", NULL,
	};
	static const char *const keys[] = { "name", "address", "duty",
					    "staff", "staff_notices", NULL };
	static const struct {
		const char *word;
		const char *const *words;
		const char *want;
	} t[] = {
		{ "stauts", commands, "status" },
		{ "Status", commands, "status" },
		{ "stat", commands, "status" },
		{ "cas", commands, "case" },
		{ "rn", commands, "run" },
		{ "reprot", commands, "report" },
		{ "quarantien", commands, "quarantine" },
		{ "dutty", keys, "duty" },
		{ "staf_notices", keys, "staff_notices" },
		/* The first of the nearest. */
		{ "staf", keys, "staff" },
		/* Far off: no wild guess. */
		{ "frobnicate", commands, NULL },
		{ "xyzzy", commands, NULL },
		{ "xy", commands, NULL },
		{ "ls", commands, NULL },
		{ "colour", keys, NULL },
		{ "addr", keys, NULL },
		{ "", commands, NULL },
		{ NULL, commands, NULL },
		{ "run", NULL, NULL },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(t); i++) {
		const char *got = suggest_nearest(t[i].word, t[i].words);

		if (g_strcmp0(got, t[i].want) != 0) {
			print_error("'%s': '%s', not '%s'\n",
				    t[i].word ? t[i].word : "(null)",
				    got ? got : "(none)",
				    t[i].want ? t[i].want : "(none)");
			fail();
		}
	}
}

/* The county codes' slips, through the same measure. */
static void
test_county_codes(void **state)
{
	assert_string_equal(county_code_nearest("TPQ"), "TPE");
	assert_string_equal(county_code_nearest("tpe"), "TPE");
	assert_string_equal(county_code_nearest("TPEE"), "TPE");
	assert_string_equal(county_code_nearest("KHG"), "KHH");
	assert_null(county_code_nearest("QQQ"));
	assert_null(county_code_nearest("TAIPEI"));
	assert_null(county_code_nearest(""));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_distance),
		cmocka_unit_test(test_nearest),
		cmocka_unit_test(test_county_codes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
