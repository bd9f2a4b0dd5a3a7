/*
 * The staff guide (docs/staff-guide.md) against the code: every command
 * it shows is one the parser knows, every example a staff member might
 * copy would be taken as written, and its tables of states, groups,
 * closing reasons and counties are the vocabulary's.  A guide that
 * drifts from the code fails here.
 */
#include <string.h>

#include "testutil.h"

#include "command.h"
#include "vocab.h"

struct guide {
	char *text;
	GPtrArray *fences;	/* the text of each ``` block */
	GPtrArray *spans;	/* inline `#...` code spans */
};

static void
guide_load(struct guide *g)
{
	g_autofree char *path = source_path("docs/staff-guide.md");
	g_auto(GStrv) lines = NULL;
	GString *fence = NULL;

	assert_true(g_file_get_contents(path, &g->text, NULL, NULL));
	g->fences = g_ptr_array_new_with_free_func(g_free);
	g->spans = g_ptr_array_new_with_free_func(g_free);
	lines = g_strsplit(g->text, "\n", -1);
	for (int i = 0; lines[i] != NULL; i++) {
		const char *l = lines[i];

		if (g_str_has_prefix(l, "```")) {
			if (fence != NULL)
				g_ptr_array_add(g->fences,
						g_string_free(fence, FALSE));
			fence = fence != NULL ? NULL : g_string_new(NULL);
			continue;
		}
		if (fence != NULL) {
			g_string_append_printf(fence, "%s\n", l);
			continue;
		}
		/* `#state 狀態`: a command named in the running text. */
		for (const char *p = strchr(l, '`'); p != NULL;) {
			const char *end = strchr(p + 1, '`');

			if (end == NULL)
				break;
			/* A command, not the mark alone: `#`, `＃`. */
			if ((p[1] == '#' && g_ascii_isalpha(p[2])) ||
			    (g_str_has_prefix(p + 1, "＃") &&
			     g_ascii_isalpha(p[1 + strlen("＃")])))
				g_ptr_array_add(g->spans,
						g_strndup(p + 1, end - p - 1));
			p = strchr(end + 1, '`');
		}
	}
	assert_null(fence);	/* every block closed */
}

static void
guide_done(struct guide *g)
{
	g_free(g->text);
	g_ptr_array_unref(g->fences);
	g_ptr_array_unref(g->spans);
}

static gboolean
is_command_line(const char *l)
{
	while (*l == ' ')
		l++;
	return *l == '#' || g_str_has_prefix(l, "＃");
}

/* Whether one command, as the guide writes it for staff to copy, would
 * be taken: its argument is one the command accepts. */
static gboolean
argument_taken(const struct command *c)
{
	GDate today, d;
	/* The first word, the second (a county), the rest. */
	g_auto(GStrv) words = g_strsplit(c->arg, " ", 3);
	const char *w = words[0] != NULL ? words[0] : "";
	enum case_state s;
	enum close_reason r;

	g_date_clear(&today, 1);
	g_date_set_dmy(&today, 1, 11, 2026);
	switch (c->verb) {
	case CMD_STATE:
		/* received is where cases start; referred and closed have
		 * their own commands. */
		return case_state_parse(w, &s) && s != CASE_RECEIVED &&
		       s != CASE_REFERRED && s != CASE_CLOSED;
	case CMD_CLOSE:
		if (strlen(w) == 1 && w[0] >= '1' &&
		    w[0] < '1' + CLOSE_REASON_COUNT)
			r = (enum close_reason)(w[0] - '1');
		else if (!close_reason_parse(w, &r))
			return FALSE;
		if (r == CLOSE_MOVED)
			return words[0] != NULL && words[1] != NULL &&
			       (county_code_valid(words[1]) ||
				county_code_for_name(words[1]) != NULL);
		return TRUE;
	case CMD_VISIT:
	case CMD_FOLLOWUP:
		return command_date(c->arg, &today, &d);
	case CMD_MERGE: {
		g_autofree char *county = g_strndup(w, 3);

		return g_regex_match_simple("^[A-Z]{3}-[0-9]{7}-[0-9]{4}$", w,
					    0, 0) &&
		       county_code_valid(county);
	}
	case CMD_REFER: {
		enum group g;

		/* A group key, a partner's address, or Chinese words
		 * (staffcmd.c): ASCII words must be keys. */
		if (*w == '\0')
			return FALSE;
		if (strchr(w, '@') != NULL || (guchar)w[0] >= 0x80)
			return TRUE;
		return group_parse(w, &g);
	}
	case CMD_ASSIGN:
	case CMD_NOTE:
	case CMD_SECRET:
		return *c->arg != '\0';
	case CMD_CONFIRM:
		return *c->arg == '\0';
	case CMD_UNKNOWN:
		break;
	}
	return FALSE;
}

/* Whether line is "#thanks" alone: the end of the commands. */
static gboolean
is_thanks(const char *line)
{
	struct command_block *b = command_parse(line);
	gboolean end = b->commands->len == 0 && *b->rest == '\0';

	command_block_free(b);
	return end;
}

/*
 * Every example block: each '#' line is one command the parser knows
 * (or #thanks), with an argument it takes; and the block read as a
 * reply runs exactly those lines, none left below the text.
 */
static void
test_examples_parse(void **state)
{
	struct guide g = { 0 };
	guint seen = 0;

	guide_load(&g);
	for (guint i = 0; i < g.fences->len; i++) {
		const char *block = g.fences->pdata[i];
		g_auto(GStrv) lines = g_strsplit(block, "\n", -1);
		struct command_block *all = command_parse(block);
		guint want = 0;

		for (int k = 0; lines[k] != NULL; k++) {
			struct command_block *b;
			const struct command *c;

			if (!is_command_line(lines[k]))
				continue;
			if (is_thanks(lines[k]))
				continue;
			b = command_parse(lines[k]);
			if (b->commands->len != 1) {
				print_error("guide: '%s' is not a command\n",
					    lines[k]);
				fail();
			}
			c = b->commands->pdata[0];
			if (c->verb == CMD_UNKNOWN || !argument_taken(c)) {
				print_error("guide: '%s' would be refused\n",
					    lines[k]);
				fail();
			}
			want++;
			seen++;
			command_block_free(b);
		}
		if (all->commands->len != want) {
			print_error("guide: a block runs %u of its %u "
				    "commands:\n%s", all->commands->len, want,
				    block);
			fail();
		}
		command_block_free(all);
	}
	assert_true(seen >= CMD_UNKNOWN);
	guide_done(&g);
}

/* Commands named in the running text are commands too. */
static void
test_spans_name_commands(void **state)
{
	struct guide g = { 0 };

	guide_load(&g);
	assert_true(g.spans->len > 0);
	for (guint i = 0; i < g.spans->len; i++) {
		const char *s = g.spans->pdata[i];
		struct command_block *b;

		if (is_thanks(s))
			continue;
		b = command_parse(s);
		if (b->commands->len != 1 ||
		    ((const struct command *)b->commands->pdata[0])->verb ==
			    CMD_UNKNOWN) {
			print_error("guide: `%s` names no command\n", s);
			fail();
		}
		command_block_free(b);
	}
	guide_done(&g);
}

/* Whether some example block of g has a line "#verb" or "#verb ...". */
static gboolean
shown(const struct guide *g, const char *verb)
{
	g_autofree char *pat = g_strdup_printf("(?m)^[#＃]%s( |$)", verb);

	for (guint i = 0; i < g->fences->len; i++)
		if (g_regex_match_simple(pat, g->fences->pdata[i],
					 G_REGEX_CASELESS, 0))
			return TRUE;
	return FALSE;
}

/* Every command the parser knows has an example; so have the states a
 * reply may set, each group and each closing reason. */
static void
test_everything_shown(void **state)
{
	struct guide g = { 0 };

	guide_load(&g);
	for (int v = 0; v < CMD_UNKNOWN; v++)
		if (!shown(&g, command_verb_name((enum command_verb)v))) {
			print_error("guide: no example of #%s\n",
				    command_verb_name((enum command_verb)v));
			fail();
		}
	assert_true(shown(&g, "thanks"));
	for (int s = CASE_REGISTERED; s <= CASE_FOLLOW_UP; s++) {
		g_autofree char *row = NULL;

		if (s == CASE_REFERRED)
			continue;
		row = g_strdup_printf("| `%s` 或 `%s` |",
				      case_state_name((enum case_state)s),
				      case_state_label((enum case_state)s));
		if (strstr(g.text, row) == NULL) {
			print_error("guide: no row %s\n", row);
			fail();
		}
	}
	for (int k = 0; k < GROUP_COUNT; k++) {
		g_autofree char *row = g_strdup_printf(
			"| `%s`", group_key((enum group)k));
		g_autofree char *to = g_strdup_printf(
			"| %s |", group_label((enum group)k));

		assert_non_null(strstr(g.text, row));
		assert_non_null(strstr(g.text, to));
	}
	for (int r = 0; r < CLOSE_REASON_COUNT; r++) {
		g_autofree char *row = g_strdup_printf(
			"| %d | %s |", r + 1,
			close_reason_label((enum close_reason)r));

		if (strstr(g.text, row) == NULL) {
			print_error("guide: no row %s\n", row);
			fail();
		}
	}
	guide_done(&g);
}

/* The table of county codes is the vocabulary's, all 22 of them. */
static void
test_county_table(void **state)
{
	struct guide g = { 0 };
	g_autoptr(GRegex) re = g_regex_new(
		"\\| ([A-Z]{3}) \\| (\\S+[縣市]) ", 0, 0, NULL);
	g_autoptr(GMatchInfo) mi = NULL;
	g_autoptr(GHashTable) codes = g_hash_table_new_full(
		g_str_hash, g_str_equal, g_free, NULL);

	guide_load(&g);
	g_regex_match(re, g.text, 0, &mi);
	for (; g_match_info_matches(mi); g_match_info_next(mi, NULL)) {
		g_autofree char *code = g_match_info_fetch(mi, 1);
		g_autofree char *name = g_match_info_fetch(mi, 2);

		assert_true(county_code_valid(code));
		assert_string_equal(county_name(code), name);
		g_hash_table_add(codes, g_steal_pointer(&code));
	}
	assert_int_equal(g_hash_table_size(codes), COUNTY_COUNT);
	guide_done(&g);
}

/* No developer's words in a guide for case workers. */
static void
test_for_staff_only(void **state)
{
	static const char *const dev[] = {
		"lamplight case", "--reveal", "meson", "src/", "tests/",
		"Authentication-Results", "DKIM", "staff_secrets_file",
		"config check", "token", NULL,
	};
	struct guide g = { 0 };

	guide_load(&g);
	for (int i = 0; dev[i] != NULL; i++)
		if (strstr(g.text, dev[i]) != NULL) {
			print_error("guide: says '%s'\n", dev[i]);
			fail();
		}
	guide_done(&g);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_examples_parse),
		cmocka_unit_test(test_spans_name_commands),
		cmocka_unit_test(test_everything_shown),
		cmocka_unit_test(test_county_table),
		cmocka_unit_test(test_for_staff_only),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
