/*
 * lamplight: one executable, subcommands.  main() only dispatches; each
 * cmd_*.c says what it takes (struct cmd_info), parses its options with
 * cmd_parse() and calls the library.  "lamplight help CMD" is
 * "lamplight CMD --help".
 */
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "log.h"
#include "mime.h"
#include "outbox.h"
#include "suggest.h"

static const struct command {
	const struct cmd_info *info;
	int (*fn)(int argc, char **argv);
} commands[] = {
	{ &cmd_init_info, cmd_init },
	{ &cmd_run_info, cmd_run },
	{ &cmd_ingest_info, cmd_ingest },
	{ &cmd_quarantine_info, cmd_quarantine },
	{ &cmd_status_info, cmd_status },
	{ &cmd_classify_info, cmd_classify },
	{ &cmd_config_info, cmd_config },
	{ &cmd_rules_info, cmd_rules },
	{ &cmd_case_info, cmd_case },
	{ &cmd_outbox_info, cmd_outbox },
	{ &cmd_calendar_info, cmd_calendar },
	{ &cmd_report_info, cmd_report },
	{ &cmd_backup_info, cmd_backup },
	{ &cmd_restore_info, cmd_restore },
};

#define USAGE_LINE "usage: lamplight COMMAND [OPTION...] [ARG...]\n"

static void
usage(FILE *f)
{
	fprintf(f, USAGE_LINE "\nTurns mail to the drug-abuse-prevention "
		   "centres into tracked cases.\n\nCommands:\n");
	for (size_t i = 0; i < G_N_ELEMENTS(commands); i++)
		fprintf(f, "  %-11s %s\n", commands[i].info->name,
			commands[i].info->summary);
	fprintf(f, "\nOptions:\n  -h, --help     show this help\n"
		   "      --version  show the version\n\n"
		   "'lamplight help COMMAND' (or 'lamplight COMMAND --help') "
		   "shows a command's\nsub-commands and options.\n");
}

/* word is no command (nor an option of lamplight's own): says so, with
 * the one likely meant, or those there are. */
static int
not_a_command(const char *word)
{
	static const char *const options[] = { "--help", "--version", NULL };
	const char *names[G_N_ELEMENTS(commands) + 1];
	g_autoptr(GString) all = g_string_new(NULL);
	const char *near;

	for (size_t i = 0; i < G_N_ELEMENTS(commands); i++) {
		names[i] = commands[i].info->name;
		g_string_append_printf(all, "%s%s", i > 0 ? " " : "",
				       names[i]);
	}
	names[G_N_ELEMENTS(commands)] = NULL;
	if (word[0] == '-') {
		near = suggest_nearest(word, options);
		fprintf(stderr, "lamplight: unknown option '%s'", word);
	} else {
		near = suggest_nearest(word, names);
		fprintf(stderr, "lamplight: '%s' is not a command", word);
	}
	if (near != NULL)
		fprintf(stderr, ". Did you mean '%s'?\n", near);
	else if (word[0] != '-')
		fprintf(stderr, " (the commands: %s)\n", all->str);
	else
		fputc('\n', stderr);
	fprintf(stderr, USAGE_LINE "see 'lamplight --help'\n");
	return EXIT_USAGE;
}

int
main(int argc, char **argv)
{
	g_autofree char **help_args = NULL;
	int rc;

	setlocale(LC_ALL, "");
	/* A reset connection and a file size limit are errors, not deaths. */
	signal(SIGPIPE, SIG_IGN);
	signal(SIGXFSZ, SIG_IGN);
	log_init(LOG_LEVEL_WARN, FALSE);
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "--version") == 0 ||
	    strcmp(argv[1], "version") == 0) {
		printf("lamplight %s\n", LAMPLIGHT_VERSION);
		return EXIT_OK;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    (strcmp(argv[1], "help") == 0 &&
	     (argc == 2 || strcmp(argv[2], "help") == 0))) {
		usage(stdout);
		return EXIT_OK;
	}
	if (strcmp(argv[1], "help") == 0) {
		/* help CMD [SUB-COMMAND]: CMD [SUB-COMMAND] --help. */
		help_args = g_new0(char *, argc + 1);
		help_args[0] = argv[0];
		memcpy(help_args + 1, argv + 2,
		       (size_t)(argc - 2) * sizeof *argv);
		help_args[argc - 1] = (char *)"--help";
		argv = help_args;
	}
	for (size_t i = 0; i < G_N_ELEMENTS(commands); i++) {
		if (strcmp(argv[1], commands[i].info->name) != 0)
			continue;
		mime_init();
		outbox_init();
		rc = commands[i].fn(argc - 1, argv + 1);
		outbox_done();
		mime_done();
		g_free(arg_config);
		return rc;
	}
	return not_a_command(argv[1]);
}
