/*
 * lamplight: one executable, subcommands.  main() only dispatches; each
 * cmd_*.c parses its own options with GOptionContext and calls the
 * library.
 */
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "statedir.h"
#include "log.h"
#include "mime.h"
#include "outbox.h"
#include "store.h"

static const struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
} commands[] = {
	{ "init", cmd_init, "make the state directory: database and keys" },
	{ "run", cmd_run, "one cron run: fetch, file, answer" },
	{ "ingest", cmd_ingest, "take one message on stdin (MTA pipe)" },
	{ "quarantine", cmd_quarantine, "list, show, retry, release" },
	{ "status", cmd_status, "mailbox health, outbox, quarantine" },
	{ "classify", cmd_classify, "show how messages would be read" },
	{ "config", cmd_config, "check the configuration (config check)" },
	{ "rules", cmd_rules, "check the triage rules and their examples" },
	{ "case", cmd_case, "the case register: list, show, note, set" },
	{ "outbox", cmd_outbox, "mail to send and sent: list, retry, cancel" },
	{ "calendar", cmd_calendar, "the office calendar: show, check, load" },
	{ "report", cmd_report, "the monthly report, CSV or HTML" },
	{ "backup", cmd_backup, "copy the database and spool (not the keys)" },
	{ "restore", cmd_restore, "a backup into an empty state directory" },
};

char *arg_config;
gboolean arg_verbose;
gboolean arg_debug;
static gboolean arg_syslog;

const GOptionEntry cmd_common_options[] = {
	{ "config", 'c', 0, G_OPTION_ARG_FILENAME, &arg_config,
	  "configuration file (default: $LAMPLIGHT_CONFIG, ./lamplight.conf, "
	  "/etc/lamplight/lamplight.conf)", "FILE" },
	{ "verbose", 'v', 0, G_OPTION_ARG_NONE, &arg_verbose,
	  "say more", NULL },
	{ "debug", 0, 0, G_OPTION_ARG_NONE, &arg_debug,
	  "log each step to stderr (never personal data)", NULL },
	{ "syslog", 0, 0, G_OPTION_ARG_NONE, &arg_syslog,
	  "log to syslog (facility mail) as well as stderr", NULL },
	{ NULL },
};

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

void
cmd_parse(int *argc, char ***argv, const char *params, const char *summary,
	  const GOptionEntry *entries)
{
	g_autoptr(GOptionContext) ctx = g_option_context_new(params);
	g_autoptr(GError) gerr = NULL;

	g_option_context_set_summary(ctx, summary);
	if (entries != NULL)
		g_option_context_add_main_entries(ctx, entries, NULL);
	g_option_context_add_main_entries(ctx, cmd_common_options, NULL);
	if (!g_option_context_parse(ctx, argc, argv, &gerr)) {
		fprintf(stderr, "lamplight: %s\n", gerr->message);
		exit(EXIT_USAGE);
	}
	log_init(arg_debug ? LOG_LEVEL_DEBUG : LOG_LEVEL_WARN, arg_syslog);
}

static void
usage(FILE *f)
{
	fprintf(f, "Usage:\n  lamplight COMMAND [OPTION...]\n\n"
		   "Turns mail to the drug-abuse-prevention centres into "
		   "tracked cases.\n\nCommands:\n");
	for (size_t i = 0; i < G_N_ELEMENTS(commands); i++)
		fprintf(f, "  %-10s %s\n", commands[i].name,
			commands[i].summary);
	fprintf(f, "\nOptions:\n  -h, --help     show this help\n"
		   "  --version      show the version\n\n"
		   "'lamplight COMMAND --help' shows a command's options.\n");
}

int
main(int argc, char **argv)
{
	int rc = EXIT_USAGE;

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
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return EXIT_OK;
	}
	for (size_t i = 0; i < G_N_ELEMENTS(commands); i++) {
		if (strcmp(argv[1], commands[i].name) != 0)
			continue;
		mime_init();
		outbox_init();
		rc = commands[i].fn(argc - 1, argv + 1);
		outbox_done();
		mime_done();
		g_free(arg_config);
		return rc;
	}
	fprintf(stderr, "lamplight: unknown command '%s'\n\n", argv[1]);
	usage(stderr);
	return EXIT_USAGE;
}
