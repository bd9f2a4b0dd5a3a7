/*
 * The lamplight command's subcommands and what they share: exit codes,
 * the --config option and config loading with its problems printed.
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

/* Options every subcommand takes: --config, --verbose, --debug. */
extern const GOptionEntry cmd_common_options[];

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

/* Parses argv with entries plus the common options; exits on misuse. */
void cmd_parse(int *argc, char ***argv, const char *params,
	       const char *summary, const GOptionEntry *entries);

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
