/*
 * What the commands share: the common options, parsing a command line
 * with its git-style help and usage errors (a slip named with what was
 * likely meant, suggest.h), the config and the database opened with
 * their problems said, and the exit code for an error.  main.c only
 * dispatches.
 */
#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "log.h"
#include "statedir.h"
#include "store.h"
#include "suggest.h"

char *arg_config;
gboolean arg_verbose;
gboolean arg_debug;
static gboolean arg_syslog;
static gboolean arg_help;

static const GOptionEntry common_options[] = {
	{ "config", 'c', 0, G_OPTION_ARG_FILENAME, &arg_config,
	  "configuration file (default: $LAMPLIGHT_CONFIG, ./lamplight.conf, "
	  "/etc/lamplight/lamplight.conf)", "FILE" },
	{ "verbose", 'v', 0, G_OPTION_ARG_NONE, &arg_verbose,
	  "say more", NULL },
	{ "debug", 0, 0, G_OPTION_ARG_NONE, &arg_debug,
	  "log each step to stderr (never personal data)", NULL },
	{ "syslog", 0, 0, G_OPTION_ARG_NONE, &arg_syslog,
	  "log to syslog (facility mail) as well as stderr", NULL },
	{ "help", 'h', 0, G_OPTION_ARG_NONE, &arg_help, "show this help",
	  NULL },
	{ NULL },
};

/* The command cmd_parse() took, and its sub-command once known: what
 * a usage error names. */
static const struct cmd_info *taken;
static const struct cmd_verb *taken_verb;

const char *
cmd_config_path(void)
{
	const char *env = g_getenv("LAMPLIGHT_CONFIG");

	if (arg_config != NULL)
		return arg_config;
	if (env != NULL && *env)
		return env;
	if (g_file_test("lamplight.conf", G_FILE_TEST_EXISTS))
		return "lamplight.conf";
	return "/etc/lamplight/lamplight.conf";
}

struct config *
cmd_load_config(void)
{
	g_autoptr(GPtrArray) problems = g_ptr_array_new_with_free_func(g_free);
	struct config *cfg = NULL;
	struct err err = { 0 };

	if (config_load(cmd_config_path(), &cfg, problems, &err) == ST_OK) {
		store_set_busy_timeout(cfg->busy_timeout);
		return cfg;
	}
	for (guint i = 0; i < problems->len; i++)
		fprintf(stderr, "%s\n", (char *)problems->pdata[i]);
	if (problems->len == 0)
		log_error("%s", err.msg);
	return NULL;
}

int
cmd_exit_for(const struct err *err)
{
	if (err_is_setup(err))
		return EXIT_CONFIG;
	if (err->status != ST_OK && err_is_disk(err))
		return EXIT_IOERR;
	if (err->status == ST_TEMP || err->status == ST_NOMEM)
		return EXIT_TEMPFAIL;
	return EXIT_SOFTWARE;
}

int
cmd_open_store(const struct config *cfg, const char *command,
	       struct store **out)
{
	struct err err = { 0 };

	if (statedir_open(cfg, FALSE, out, &err) == ST_OK)
		return 0;
	fprintf(stderr, "lamplight %s: %s\n", command, err.msg);
	return cmd_exit_for(&err);
}

const struct centre *
cmd_centre_named(const struct config *cfg, const char *command,
		 const char *name)
{
	const struct centre *c = config_centre_find(cfg, name);

	if (c == NULL)
		fprintf(stderr, "lamplight %s: no centre '%s'\n", command,
			name);
	return c;
}

/* --- help ---------------------------------------------------------- */

#define HELP_COLUMN 24		/* where the text of an item starts */
#define HELP_WIDTH 79

/*
 * text from column at, lines after the first from column col, wrapped at
 * spaces within HELP_WIDTH (a word longer than that stays whole).
 */
static void
print_wrapped(FILE *f, int col, int at, const char *text)
{
	const char *p = text != NULL ? text : "";

	do {
		size_t room = (size_t)(HELP_WIDTH - col), n = strlen(p);

		if (n > room) {
			const char *cut = p + room;

			/* The last space that fits, else the first after. */
			while (cut > p && *cut != ' ')
				cut--;
			if (cut == p)
				cut = strchr(p + room, ' ');
			if (cut != NULL)
				n = (size_t)(cut - p);
		}
		fprintf(f, "%*s%.*s\n", *p != '\0' ? col - at : 0, "", (int)n,
			p);
		at = 0;
		p += n;
		while (*p == ' ')
			p++;
	} while (*p != '\0');
}

/* "  left   text", text under itself from HELP_COLUMN; when left reaches
 * into that column, text starts on the next line. */
static void
print_item(FILE *f, const char *left, const char *text)
{
	int at = fprintf(f, "  %s", left);

	if (at > HELP_COLUMN - 2 && text != NULL && *text != '\0') {
		fputc('\n', f);
		at = 0;
	}
	print_wrapped(f, HELP_COLUMN, at, text);
}

/* Whether e shows in the help; only: the long names a sub-command
 * takes, space-separated (NULL: any). */
static gboolean
option_shown(const GOptionEntry *e, const char *only)
{
	g_auto(GStrv) names = NULL;

	if (e->flags & G_OPTION_FLAG_HIDDEN)
		return FALSE;
	if (only == NULL)
		return TRUE;
	names = g_strsplit(only, " ", -1);
	return g_strv_contains((const char *const *)names, e->long_name);
}

/* The options of entries that show, under title; nothing if none. */
static void
print_options(const char *title, const GOptionEntry *entries,
	      const char *only)
{
	gboolean any = FALSE;

	for (const GOptionEntry *e = entries; e->long_name != NULL; e++) {
		g_autofree char *left = NULL;

		if (!option_shown(e, only))
			continue;
		if (!any)
			printf("\n%s:\n", title);
		any = TRUE;
		/* git's layout: the long names line up. */
		left = g_strdup_printf("%c%c%c --%s%s%s",
				       e->short_name ? '-' : ' ',
				       e->short_name ? e->short_name : ' ',
				       e->short_name ? ',' : ' ', e->long_name,
				       e->arg_description ? "=" : "",
				       e->arg_description ? e->arg_description
							  : "");
		print_item(stdout, left, e->description);
	}
}

/* "list|show|export": the sub-commands' names. */
static char *
verb_names(const struct cmd_verb *verbs, const char *sep)
{
	GString *s = g_string_new(NULL);

	for (const struct cmd_verb *v = verbs; v->name != NULL; v++)
		g_string_append_printf(s, "%s%s", v == verbs ? "" : sep,
				       v->name);
	return g_string_free(s, FALSE);
}

/* "usage: lamplight case show [OPTION...] CASE" */
static void
print_usage(FILE *f, const struct cmd_info *info,
	    const struct cmd_verb *verb)
{
	const char *args = verb != NULL ? verb->args : info->args;
	g_autofree char *names = NULL;
	gboolean any = FALSE;

	fprintf(f, "usage: lamplight %s", info->name);
	if (verb != NULL) {
		fprintf(f, " %s", verb->name);
	} else if (info->verbs != NULL) {
		names = verb_names(info->verbs, "|");
		fprintf(f, " %s", names);
		for (const struct cmd_verb *v = info->verbs; v->name; v++)
			any |= v->max_args > 0;
		args = any ? "[ARG...]" : "";
	}
	fprintf(f, " [OPTION...]%s%s\n", *args ? " " : "", args);
}

static void
print_help(const struct cmd_info *info, const struct cmd_verb *verb)
{
	print_usage(stdout, info, verb);
	printf("\n");
	print_wrapped(stdout, 0, 0, verb != NULL ? verb->summary
						 : info->summary);
	if (verb == NULL && info->verbs != NULL) {
		printf("\nSub-commands:\n");
		for (const struct cmd_verb *v = info->verbs; v->name; v++) {
			g_autofree char *left = g_strjoin(*v->args ? " " : "",
							  v->name, v->args,
							  NULL);

			print_item(stdout, left, v->summary);
		}
	}
	print_options("Options", info->options,
		      verb != NULL ? verb->options : NULL);
	print_options("Common options", common_options, NULL);
	if (verb == NULL && info->verbs != NULL)
		printf("\n'lamplight %s SUB-COMMAND --help' shows one "
		       "sub-command's options.\n", info->name);
}

int
cmd_usage_error(const char *fmt, ...)
{
	g_autofree char *problem = NULL;
	va_list ap;

	assert(taken != NULL);
	va_start(ap, fmt);
	problem = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	fprintf(stderr, "lamplight %s: %s\n", taken->name, problem);
	print_usage(stderr, taken, taken_verb);
	fprintf(stderr, "see 'lamplight %s%s%s --help'\n", taken->name,
		taken_verb != NULL ? " " : "",
		taken_verb != NULL ? taken_verb->name : "");
	return EXIT_USAGE;
}

/* --- parsing ------------------------------------------------------- */

/* Whether name is the long name of one of entries. */
static gboolean
long_option_known(const GOptionEntry *entries, const char *name)
{
	for (const GOptionEntry *e = entries; e->long_name != NULL; e++)
		if (strcmp(e->long_name, name) == 0)
			return TRUE;
	return FALSE;
}

/* A long option of args that info does not take ("--no-sned"), as
 * "--NAME" without its value; NULL when none is. */
static char *
unknown_long_option(const struct cmd_info *info, char **args)
{
	for (int i = 1; args[i] != NULL && strcmp(args[i], "--") != 0; i++) {
		const char *a = args[i];
		g_autofree char *name = NULL;

		if (!g_str_has_prefix(a, "--"))
			continue;
		name = g_strndup(a + 2, strcspn(a + 2, "="));
		if (!long_option_known(info->options, name) &&
		    !long_option_known(common_options, name))
			return g_strconcat("--", name, NULL);
	}
	return NULL;
}

/* The usage error for an option GOption refused: an unknown long one
 * with the one likely meant. */
static void
option_error(const struct cmd_info *info, char **args, const GError *gerr)
{
	g_autofree char *bad = NULL;
	g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
	const GOptionEntry *const lists[] = { info->options, common_options };
	const char *near;

	if (g_error_matches(gerr, G_OPTION_ERROR,
			    G_OPTION_ERROR_UNKNOWN_OPTION))
		bad = unknown_long_option(info, args);
	if (bad == NULL) {
		g_autofree char *msg = g_strdup(gerr->message);

		/* GOption's words, begun as ours are. */
		msg[0] = g_ascii_tolower(msg[0]);
		cmd_usage_error("%s", msg);
		return;
	}
	for (size_t k = 0; k < G_N_ELEMENTS(lists); k++)
		for (const GOptionEntry *e = lists[k]; e->long_name; e++)
			if (!(e->flags & G_OPTION_FLAG_HIDDEN))
				g_ptr_array_add(names, g_strconcat(
					"--", e->long_name, NULL));
	g_ptr_array_add(names, NULL);
	near = suggest_nearest(bad, (const char *const *)names->pdata);
	if (near != NULL)
		cmd_usage_error("unknown option '%s'. Did you mean '%s'?", bad,
				near);
	else
		cmd_usage_error("unknown option '%s'", bad);
}

/* The sub-command named word, or NULL. */
static const struct cmd_verb *
verb_find(const struct cmd_info *info, const char *word)
{
	for (const struct cmd_verb *v = info->verbs; v->name; v++)
		if (strcmp(v->name, word) == 0)
			return v;
	return NULL;
}

/* The usage error for a sub-command that is none of info's. */
static void
verb_error(const struct cmd_info *info, const char *word)
{
	g_autoptr(GPtrArray) names = g_ptr_array_new();
	g_autofree char *all = verb_names(info->verbs, " ");
	const char *near;

	if (word == NULL) {
		cmd_usage_error("which one? (the sub-commands: %s)", all);
		return;
	}
	for (const struct cmd_verb *v = info->verbs; v->name; v++)
		g_ptr_array_add(names, (char *)v->name);
	g_ptr_array_add(names, NULL);
	near = suggest_nearest(word, (const char *const *)names->pdata);
	if (near != NULL)
		cmd_usage_error("'%s' is not a sub-command. Did you mean "
				"'%s'?", word, near);
	else
		cmd_usage_error("'%s' is not a sub-command (the "
				"sub-commands: %s)", word, all);
}

/* Whether argc - 1 arguments after argv[0] (the command or the
 * sub-command) are as many as it takes; if not, says so. */
static gboolean
count_ok(int argc, char **argv, guint min, guint max, const char *args)
{
	if ((guint)(argc - 1) < min) {
		if (taken_verb != NULL)
			cmd_usage_error("%s needs %s", argv[0], args);
		else
			cmd_usage_error("missing %s", args);
		return FALSE;
	}
	if ((guint)(argc - 1) > max) {
		cmd_usage_error("unexpected argument '%s'", argv[max + 1]);
		return FALSE;
	}
	return TRUE;
}

void
cmd_parse(int *argc, char ***argv, const struct cmd_info *info)
{
	GOptionContext *ctx = g_option_context_new(NULL);
	GError *gerr = NULL;
	/* As given: GOption takes out what it parses. */
	char **given = g_strdupv(*argv);
	const struct cmd_verb *verb = NULL;
	int rc = -1;

	taken = info;
	taken_verb = NULL;
	/* Our help, not GOption's: git's layout, test-only options out
	 * of sight, the sub-commands. */
	g_option_context_set_help_enabled(ctx, FALSE);
	g_option_context_add_main_entries(ctx, info->options, NULL);
	g_option_context_add_main_entries(ctx, common_options, NULL);
	if (!g_option_context_parse(ctx, argc, argv, &gerr)) {
		option_error(info, given, gerr);
		rc = EXIT_USAGE;
	} else {
		if (info->verbs != NULL && *argc > 1)
			verb = verb_find(info, (*argv)[1]);
		taken_verb = verb;
	}
	if (rc >= 0) {
		/* said */
	} else if (arg_help) {
		/* Of the sub-command named, else of the command. */
		print_help(info, verb);
		rc = EXIT_OK;
	} else if (info->verbs != NULL && verb == NULL) {
		verb_error(info, *argc > 1 ? (*argv)[1] : NULL);
		rc = EXIT_USAGE;
	} else if (verb != NULL ? !count_ok(*argc - 1, *argv + 1,
					    verb->min_args, verb->max_args,
					    verb->args)
				: !count_ok(*argc, *argv, info->min_args,
					    info->max_args, info->args)) {
		rc = EXIT_USAGE;
	}
	g_clear_error(&gerr);
	g_strfreev(given);
	g_option_context_free(ctx);
	if (rc >= 0)
		exit(rc);
	log_init(arg_debug ? LOG_LEVEL_DEBUG : LOG_LEVEL_WARN, arg_syslog);
}
