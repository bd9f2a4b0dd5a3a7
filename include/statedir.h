/*
 * The state directory knows which database it holds.  When it is
 * initialised (`lamplight init`, or the first run into an empty one)
 * the database is given a random identity, written in the database
 * (table meta) and beside it (database-id), with the fingerprints of the
 * token key and the data key, made then and never afterwards.  Every
 * opening after checks that the three still belong together: an emptied,
 * replaced or missing database, or a missing or swapped key, stops with
 * an error of the set-up (exit 78) that says what was found, instead of
 * starting over, which would number cases anew and let the tokens of the
 * old cases' mail verify against the new ones.
 */
#ifndef LAMPLIGHT_STATEDIR_H
#define LAMPLIGHT_STATEDIR_H

#include "config.h"
#include "err.h"
#include "store.h"

/* The database of cfg's state directory, checked as above.  With init,
 * a state directory that holds no database and no identity is
 * initialised; without, it is an error. */
enum status statedir_open(const struct config *cfg, gboolean init,
			  struct store **out, struct err *err);

/* The identity of the database s, 32 hex digits, as a new string; NULL
 * for a database from before identities (the next run gives it one). */
char *statedir_database_id(struct store *s);

/* statedir_open() without init, for a check: into *id the database's
 * identity (a new string; NULL as above), then closed again. */
enum status statedir_check(const struct config *cfg, char **id,
			   struct err *err);

/*
 * The fingerprints (keyfile.h) of cfg's token key and data key as they
 * are on disk, never made here: a key missing or unreadable is an error
 * of the set-up that names it.
 */
enum status statedir_key_fingerprints(const struct config *cfg,
				      char token_fp[17], char data_fp[17],
				      struct err *err);

/*
 * How the last run ended, kept in the state directory (last-run) where
 * status finds it even when the database cannot be opened: its exit
 * code, when, and why (an error's words: no personal data).
 */
struct statedir_run {
	int code;
	char *at;		/* ISO 8601 */
	char *why;		/* "" for a clean run */
};

/* Records a run's end; a failure to write it is only logged. */
void statedir_record_run(const struct config *cfg, int code,
			 const char *why);
/* The last run's record into *out (free with statedir_run_clear);
 * FALSE if no run was recorded. */
gboolean statedir_last_run(const struct config *cfg,
			   struct statedir_run *out);
void statedir_run_clear(struct statedir_run *r);

#endif
