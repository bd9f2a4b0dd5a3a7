/*
 * Backups of a state directory: the database (SQLite's online backup,
 * a consistent snapshot taken while a run writes), the spool's letters
 * (sealed at rest, or waiting in new/ to be filed), the database-id and
 * a manifest.  Never the keys: a backup names them by their
 * fingerprints only, and is useless without the same data key, which
 * is kept apart.  A restore fills an empty or missing state directory
 * only, and only when the configured keys are the backup's.
 */
#ifndef LAMPLIGHT_BACKUP_H
#define LAMPLIGHT_BACKUP_H

#include <glib.h>

#include "config.h"
#include "err.h"
#include "store.h"

/* What a backup holds, as its manifest says. */
struct backup_manifest {
	char *made;		/* ISO 8601, Taiwan time */
	char *version;		/* of the lamplight that made it */
	int schema;		/* the database's user_version */
	char *database_id;
	char token_key[17];	/* fingerprints, never the keys */
	char data_key[17];
	gint64 cases;
	gint64 arrivals;	/* letters recorded */
	gint64 outbox;		/* mail queued or sent */
	guint files;		/* spool files copied */
	guint absent;		/* letters the database names that the
				 * live spool did not hold either */
};

/* Frees what m holds (not m); NULL-safe. */
void backup_manifest_clear(struct backup_manifest *m);

/*
 * Whether dir may receive a backup of cfg's state directory: neither
 * inside it nor it, and missing or empty (a backup never mixes with
 * another).  ST_FATAL with the reason (a usage error) if not.
 */
enum status backup_target_check(const struct config *cfg, const char *dir,
				struct err *err);

/*
 * Backs up the state directory of cfg, whose database s was opened with
 * statedir_open(), into dir (made 0700 if missing; checked with
 * backup_target_check() first).  The run's lock is not taken: a run may
 * go on meanwhile.  *m receives the manifest written (clear it).
 * ST_TEMP when the database stayed busy or a disk failed (err_is_disk).
 */
enum status backup_make(const struct config *cfg, struct store *s,
			const char *dir, struct backup_manifest *m,
			struct err *err);

/* Reads dir's manifest into *m; a set-up error if it is not a backup. */
enum status backup_manifest_read(const char *dir, struct backup_manifest *m,
				 struct err *err);

/*
 * Restores the backup in dir into cfg's state directory, which must be
 * missing or empty, after checking that cfg's keys are the backup's (a
 * set-up error otherwise: exit 78).  Built beside it and renamed into
 * place, directories 0700 and files 0600, owned by the running user.
 * *m receives the backup's manifest (clear it).
 */
enum status backup_restore(const struct config *cfg, const char *dir,
			   struct backup_manifest *m, struct err *err);

#endif
