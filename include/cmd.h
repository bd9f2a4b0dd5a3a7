/*
 * The lamplight command's subcommands and what they share: exit codes,
 * the common options, parsing with help and usage errors, and config
 * loading with its problems printed.
 */
#ifndef LAMPLIGHT_CMD_H
#define LAMPLIGHT_CMD_H

#include <glib.h>

#include "config.h"
#include "err.h"
#include "store.h"

/* Exit codes (sysexits.h where one fits); documented in README.md. */
enum {
	EXIT_OK = 0,
	EXIT_PARTIAL = 1,	/* done, but a message or mailbox failed */
	EXIT_LOCKED = 3,	/* another run holds the lock */
	EXIT_FIRST_RUN = 4,	/* a first run found more letters than
				 * first_run_limit: that mailbox waits for
				 * a backfill (run --no-send) */
	EXIT_USAGE = 64,	/* EX_USAGE */
	EXIT_DATAERR = 65,	/* EX_DATAERR: unreadable input file */
	EXIT_UNAVAILABLE = 69,	/* EX_UNAVAILABLE: a mailbox failed */
	EXIT_SOFTWARE = 70,	/* EX_SOFTWARE: a bug */
	EXIT_CANTCREAT = 73,	/* EX_CANTCREAT: an output file cannot be
				 * made (no such directory, not allowed) */
	EXIT_IOERR = 74,	/* EX_IOERR: the disk is full or failing */
	EXIT_TEMPFAIL = 75,	/* EX_TEMPFAIL: try again later */
	EXIT_CONFIG = 78,	/* EX_CONFIG */
};

extern char *arg_config;
extern gboolean arg_verbose;
extern gboolean arg_debug;

/*
 * A sub-command (case list, outbox retry): what its help and usage errors
 * show, and how many arguments it takes after its name.
 */
struct cmd_verb {
	const char *name;
	const char *args;	/* as usage shows them: "CASE TEXT", "" */
	guint min_args, max_args;
	const char *summary;	/* one line */
	const char *options;	/* the command's options it takes, by long
				 * name ("json reveal"): its --help shows
				 * only those; "" none, NULL all */
};

/*
 * A command: what lamplight --help and its own --help say of it, and what
 * cmd_parse() checks before it runs.  Each cmd_*.c defines its own.
 */
struct cmd_info {
	const char *name;
	const char *summary;	/* one line of at most 64 columns */
	const char *args;	/* without sub-commands: as usage shows them
				 * ("DIR", "FILE..."), "" for none */
	guint min_args, max_args;
	const struct cmd_verb *verbs;	/* ended by { NULL }; or NULL */
	const GOptionEntry *options;	/* its own, ended by { NULL }; test
					 * only ones G_OPTION_FLAG_HIDDEN */
};

/* The config file to use: --config, $LAMPLIGHT_CONFIG, ./, /etc. */
const char *cmd_config_path(void);

/*
 * Loads the config, printing each problem to stderr.  Returns NULL (and
 * the caller exits with EXIT_CONFIG) when there was any.
 */
struct config *cmd_load_config(void);

/* The exit code for a failure err: 78 for the set-up's, 75 for a
 * temporary one, 74 for the disk, else 70. */
int cmd_exit_for(const struct err *err);

/*
 * Opens the database of cfg's state directory (statedir.h: checked to be
 * the one it was made with, never made here).  On failure says why on
 * stderr as command and returns the exit code; else 0.
 */
int cmd_open_store(const struct config *cfg, const char *command,
		   struct store **out);

/*
 * The centre a --centre option names (config_centre_find: its id or
 * code); when none is so named, says so on stderr as command and
 * returns NULL (the caller exits with EXIT_USAGE).
 */
const struct centre *cmd_centre_named(const struct config *cfg,
				      const char *command, const char *name);

/*
 * Parses argv (argv[0] is info's name) with info's options and the common
 * ones (-c, -v, --debug, --syslog, -h).  With -h or --help it prints the
 * help, of the sub-command named if there is one, and exits 0.  On misuse
 * (an unknown option or sub-command, a missing or extra argument) it
 * says so as cmd_usage_error() does and exits EXIT_USAGE.  After it,
 * argv[1] is the sub-command if info has them.
 */
void cmd_parse(int *argc, char ***argv, const struct cmd_info *info);

/*
 * A usage error of the command (and sub-command) cmd_parse() took: prints
 * "lamplight CMD: PROBLEM", the usage line and where the help is, to
 * stderr.  Returns EXIT_USAGE.
 */
int cmd_usage_error(const char *fmt, ...) G_GNUC_PRINTF(1, 2);

extern const struct cmd_info cmd_init_info, cmd_run_info, cmd_ingest_info,
	cmd_quarantine_info, cmd_status_info, cmd_classify_info,
	cmd_config_info, cmd_rules_info, cmd_case_info, cmd_outbox_info,
	cmd_calendar_info, cmd_report_info, cmd_backup_info,
	cmd_restore_info;

int cmd_init(int argc, char **argv);
int cmd_backup(int argc, char **argv);
int cmd_restore(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_ingest(int argc, char **argv);
int cmd_quarantine(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_classify(int argc, char **argv);
int cmd_config(int argc, char **argv);
int cmd_rules(int argc, char **argv);
int cmd_case(int argc, char **argv);
int cmd_calendar(int argc, char **argv);
int cmd_outbox(int argc, char **argv);
int cmd_report(int argc, char **argv);

#endif
