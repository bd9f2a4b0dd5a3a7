/*
 * The spool: a Maildir under the state directory, our durable queue.  A
 * message is written to tmp/, synced, renamed into new/ and the directory
 * synced; only then may its source copy go.  Once filed it moves to cur/.
 * File names carry the id of the mailbox the message came from.
 */
#ifndef LAMPLIGHT_SPOOL_H
#define LAMPLIGHT_SPOOL_H

#include <glib.h>

#include "err.h"

struct spool;

/* Opens (creating tmp/, new/, cur/ mode 0700 as needed) the Maildir dir. */
enum status spool_open(const char *dir, struct spool **out, struct err *err);
void spool_close(struct spool *sp);

/*
 * Writes len bytes durably into new/ under a new unique name that records
 * source (a mailbox id: [a-z0-9-]).  *name_out: a new string, caller frees.
 * ST_TEMP on a full disk; nothing is left in new/ on failure.
 */
enum status spool_deliver(struct spool *sp, const char *source,
			  const void *data, size_t len, char **name_out,
			  struct err *err);

/*
 * spool_deliver() in two halves, for batches: spool_write() writes each
 * message into tmp/ (unsynced, not yet visible); spool_sync() flushes
 * them all at once (syncfs) and only then moves them into new/ and
 * syncs new/.  A crash in between leaves them in tmp/, where they are
 * swept: never a torn message in new/.  Nothing may rely on a written
 * message, e.g. by touching its source copy, before spool_sync()
 * returned ST_OK.
 */
enum status spool_write(struct spool *sp, const char *source,
			const void *data, size_t len, char **name_out,
			struct err *err);
enum status spool_sync(struct spool *sp, GPtrArray *names, struct err *err);

/*
 * As spool_deliver(), reading the message from the file descriptor in
 * until its end; *size receives its length.  ST_MSG_BAD if it is empty,
 * ST_TEMP if reading or writing fails.
 */
enum status spool_deliver_fd(struct spool *sp, const char *source, int in,
			     char **name_out, guint64 *size,
			     struct err *err);

/* The names in new/, sorted (oldest first); a new array of new strings. */
enum status spool_list_new(struct spool *sp, GPtrArray **out,
			   struct err *err);

/* Reads the message name from new/ or cur/ into a new GBytes. */
enum status spool_read(struct spool *sp, const char *name, gsize max,
		       GBytes **out, struct err *err);

/* Whether name is in the spool, in new/ or cur/. */
gboolean spool_has(struct spool *sp, const char *name);

/* The full path of name in new/ or cur/ (wherever it is); caller frees. */
char *spool_path(struct spool *sp, const char *name);

/* Moves name from new/ to cur/ (not synced: redoing it is harmless). */
enum status spool_mark_done(struct spool *sp, const char *name,
			    struct err *err);

/* The source id recorded in a spool name, as a new string; NULL if none. */
char *spool_name_source(const char *name);

/* Writes len bytes to path durably: tmp file, fsync, rename, dir fsync. */
enum status file_write_durable(const char *path, const void *data,
			       size_t len, struct err *err);

#endif
