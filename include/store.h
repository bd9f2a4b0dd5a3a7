/*
 * The case register in SQLite: store.c opens and migrates it, begins and
 * commits, runs every statement through one helper (store_query,
 * store_run), and owns the arrivals (every message filed, with its
 * de-duplication key), what was fetched from each mailbox and the runs.
 * The cases and their audit trail are cases.h's, the outbox outbox.h's.
 * WAL, foreign keys on, all SQL bound.  Writes that belong together run
 * in one transaction that the caller opens with store_begin().
 */
#ifndef LAMPLIGHT_STORE_H
#define LAMPLIGHT_STORE_H

#include <glib.h>

#include "err.h"

struct store;

/* How long to wait for another writer before ST_TEMP (default 10 s). */
void store_set_busy_timeout(guint seconds);

/* Opens (creating and migrating) the database at path. */
enum status store_open(const char *path, struct store **out,
		       struct err *err);
void store_close(struct store *s);

/* The schema version this build writes (PRAGMA user_version). */
int store_schema_version(void);
/* The SQL of migration v (1-based), for tests that build old schemas. */
const char *store_migration_sql(int v);

/*
 * Sealing at rest.  The columns that hold personal data (a case's
 * subject and reply address, notes, the words rules matched, the why
 * of the audit trail, the mail in the outbox, a writer's address on it
 * and a server's error) are written through the SQL function seal(value,
 * 'table.column') and read through unseal(value, 'table.column'); the
 * codec does the work (people.h: the data key).  A value from before
 * sealing reads as it is.  Without a codec seal() fails: nothing is
 * written in the clear.  keyed(text) is a keyed hash of text, for what
 * must be found again without being read (a recipient counted).
 */
struct store_codec {
	/* A new sealed form of len bytes (blob: a blob, else text), or
	 * NULL; column is bound into it. */
	GBytes *(*seal)(const void *data, gsize len, gboolean blob,
			const char *column, void *ctx);
	/* What was sealed, and whether it was a blob; NULL if it does not
	 * open (another key, tampered, another column). */
	GBytes *(*open)(const void *data, gsize len, const char *column,
			gboolean *blob, void *ctx);
	/* Whether len bytes are a sealed form. */
	gboolean (*is_sealed)(const void *data, gsize len);
	/* A keyed hash of text, as hex: equal texts, equal hashes, and
	 * nothing to read back (the SQL function keyed()). */
	char *(*keyed)(const char *text, void *ctx);
	void (*free)(void *ctx);	/* of ctx, at store_close(); or NULL */
	void *ctx;
};

/* s seals with codec from now on (the previous codec is freed). */
void store_set_codec(struct store *s, const struct store_codec *codec);
/* A letter's Message-ID is kept as a keyed hash (a writer's may carry
 * their address): found again by equality, never read back.  Once, for
 * a database from before: keys every one in the clear. */
enum status store_key_message_ids(struct store *s, struct err *err);
/* Seals every value of the personal columns written before sealing;
 * *sealed says how many. */
enum status store_seal_existing(struct store *s, guint *sealed,
				struct err *err);

/* BEGIN IMMEDIATE, COMMIT, ROLLBACK.  Busy for too long: ST_TEMP. */
enum status store_begin(struct store *s, struct err *err);
enum status store_commit(struct store *s, struct err *err);
void store_rollback(struct store *s);
/* The end of a transaction begun with store_begin(): committed when st
 * is ST_OK (the commit's status returned), else rolled back (st
 * returned). */
enum status store_end(struct store *s, enum status st, struct err *err);

/* --- what was fetched from each mailbox --- */

/* Whether (mailbox, uidvalidity, uid) was fetched before. */
enum status store_fetched_has(struct store *s, const char *mailbox,
			      guint32 uidvalidity, const char *uid,
			      gboolean *has, struct err *err);
/* Records a fetch into the spool file spool_name. */
enum status store_fetched_add(struct store *s, const char *mailbox,
			      guint32 uidvalidity, const char *uid,
			      const char *spool_name, struct err *err);
/*
 * The uids of mailbox (at uidvalidity) whose message is filed but whose
 * server copy is not yet dealt with: a new array of new strings.
 */
enum status store_fetched_pending(struct store *s, const char *mailbox,
				  guint32 uidvalidity, GPtrArray **out,
				  struct err *err);
enum status store_fetched_done(struct store *s, const char *mailbox,
			       guint32 uidvalidity, const char *uid,
			       struct err *err);
/*
 * A letter recorded as fetched whose spool file is gone before it was
 * filed (an operator's rm, a disk restored from an older copy) is
 * marked lost: it is fetched again if the source still has it (its copy
 * there is marked only once filed), else status reports it until a
 * person acts.
 *
 * store_fetched_unfiled(): the uids of mailbox not yet filed, nor lost,
 * and their spool names, as two new arrays of new strings in step.
 */
enum status store_fetched_unfiled(struct store *s, const char *mailbox,
				  guint32 uidvalidity, GPtrArray **uids,
				  GPtrArray **names, struct err *err);
enum status store_fetched_lost(struct store *s, const char *mailbox,
			       guint32 uidvalidity, const char *uid,
			       struct err *err);
/* The lowest numeric uid of mailbox marked lost, or 0. */
enum status store_fetched_min_lost(struct store *s, const char *mailbox,
				   guint32 uidvalidity, guint32 *out,
				   struct err *err);
/* Every letter marked lost (not fetched again): a new array of
 * struct store_lost. */
struct store_lost {
	char *mailbox;
	char *uid;
	char *since;		/* when it was found gone, ISO 8601 */
};
enum status store_fetched_lost_list(struct store *s, GArray **out,
				    struct err *err);
/* A person gives up on a lost letter: forgotten (*found FALSE if no
 * such letter was lost). */
enum status store_fetched_forget(struct store *s, const char *mailbox,
				 const char *uid, gboolean *found,
				 struct err *err);
/* The highest numeric uid fetched from mailbox at uidvalidity, or 0. */
enum status store_fetched_max_uid(struct store *s, const char *mailbox,
				  guint32 uidvalidity, guint32 *out,
				  struct err *err);

/* --- arrivals and cases --- */

struct arrival {
	const char *spool_name;
	const char *mailbox;	/* source mailbox id */
	const char *message_id;	/* may be NULL */
	const char *body_hash;
	const char *kind;
	const char *county;	/* may be NULL */
	const char *urgency;	/* may be NULL */
	const char *quarantine;	/* reason, or NULL */
};

/* Whether spool_name was filed already (a crash before its move). */
enum status store_arrival_filed(struct store *s, const char *spool_name,
				gboolean *filed, struct err *err);

/*
 * Inside a transaction: records a, and sets *id.  When an earlier arrival
 * in the same mailbox has the same Message-ID and body hash, a is recorded
 * as its duplicate and *dup_of set to that arrival (else 0).
 */
enum status store_arrival_add(struct store *s, const struct arrival *a,
			      gint64 *id, gint64 *dup_of, struct err *err);
/* Inside a transaction: arrival id came from sender (a keyed hash of
 * its address, token_party_hash). */
enum status store_arrival_set_sender(struct store *s, gint64 id,
				     const char *sender, struct err *err);

/* The letters to county (from sender, or any when NULL) received since
 * (ISO 8601): how many, and how many of those after the first limit
 * were emergencies. */
struct store_flood {
	gint64 n;
	gint64 emergencies_beyond;
};
enum status store_arrivals_since(struct store *s, const char *county,
				 const char *sender, const char *since,
				 gint64 limit, struct store_flood *out,
				 struct err *err);

/* Inside a transaction: arrival id was filed on case case_id. */
enum status store_arrival_on_case(struct store *s, gint64 id, gint64 case_id,
				  struct err *err);




/* --- quarantine --- */

struct quarantined {
	gint64 id;		/* the arrival */
	char *spool_name;
	char *mailbox;
	char *reason;
	char *state;		/* held, retried, released */
	char *received_at;
};

void quarantined_free(struct quarantined *q);

/* Held messages (all: also retried and released), oldest first. */
enum status store_quarantine_list(struct store *s, gboolean all,
				  GPtrArray **out, struct err *err);
/* *out is NULL when id is not a quarantined arrival. */
enum status store_quarantine_get(struct store *s, gint64 id,
				 struct quarantined **out, struct err *err);
/* Moves a held message to state (retried, released). */
enum status store_quarantine_set(struct store *s, gint64 id,
				 const char *state, struct err *err);

/* --- mailbox health --- */

struct mailbox_run {
	const char *mailbox;
	const char *started_at, *finished_at;
	guint32 uidvalidity;
	guint listed, fetched, left_on_server;
	const char *last_uid;	/* highest UID or last UIDL seen */
	const char *error;	/* NULL when the mailbox was fine */
};

/* Whether mailbox has been fetched from before: anything recorded as
 * fetched, or a run that went well.  FALSE: its first run is to come. */
enum status store_mailbox_known(struct store *s, const char *mailbox,
				gboolean *known, struct err *err);

enum status store_mailbox_run_add(struct store *s,
				  const struct mailbox_run *mr,
				  struct err *err);

/* A mailbox as status shows it: its last run and what it brought. */
struct mailbox_health {
	char *finished_at;	/* NULL: never run */
	char *last_ok;		/* the last run without an error; NULL: none */
	char *last_uid, *error;	/* may be NULL */
	gint64 listed, fetched, left_on_server;
	gint64 filed, quarantined, uids;
	gboolean day_old;	/* the last run finished over a day ago */
};

/* Frees the strings of h (embedded). */
void mailbox_health_done(struct mailbox_health *h);
enum status store_mailbox_health(struct store *s, const char *mailbox,
				 struct mailbox_health *out,
				 struct err *err);
/* How many messages are held in quarantine. */
enum status store_quarantine_held(struct store *s, gint64 *n,
				  struct err *err);

/* --- the one way SQL reaches the database --- */

/* A row of a result, passed to a store_row_fn; valid during the call. */
struct store_row;

/* Called for each row until it returns FALSE. */
typedef gboolean (*store_row_fn)(const struct store_row *row,
				 gpointer data);

/*
 * Runs one statement: each "?" bound in order from the arguments, types
 * saying what each is: 'i' a gint64, 't' a const char * (NULL binds
 * NULL), 'b' a const void * and a gsize (a blob).  Each row is passed to
 * fn (which may be NULL) until it returns FALSE.  Every error of the
 * database is returned: busy, full or failing disk ST_TEMP, anything
 * else (a missing table, a constraint, corruption) ST_FATAL; err says
 * what SQLite said.  SQL never contains input: bind it.
 */
enum status store_query(struct store *s, struct err *err, store_row_fn fn,
			gpointer data, const char *sql, const char *types,
			...);
/* store_query() with no rows to read. */
enum status store_run(struct store *s, struct err *err, const char *sql,
		      const char *types, ...);

/* Rows changed by the last statement; the id of the last row inserted. */
guint store_changes(struct store *s);
gint64 store_last_id(struct store *s);

/* Column col of a row: 0 for NULL; text borrowed (NULL for NULL). */
gint64 store_col_int(const struct store_row *row, int col);
const char *store_col_text(const struct store_row *row, int col);
/* A new string, NULL for NULL; a new GBytes (empty for NULL). */
char *store_col_dup(const struct store_row *row, int col);
GBytes *store_col_bytes(const struct store_row *row, int col);
gboolean store_col_is_null(const struct store_row *row, int col);
gboolean store_col_is_int(const struct store_row *row, int col);
int store_col_count(const struct store_row *row);
const char *store_col_name(const struct store_row *row, int col);

/*
 * Row readers for store_query(): the first column of the first row as
 * a gint64 (data: gint64 *) or a new string (data: char **; NULL for
 * NULL); or of every row, appended to a GPtrArray of new strings.
 */
gboolean store_read_int(const struct store_row *row, gpointer data);
gboolean store_read_text(const struct store_row *row, gpointer data);
gboolean store_read_texts(const struct store_row *row, gpointer data);

/* The connection, for tests that reach behind the store; borrowed. */
struct sqlite3 *store_sqlite(struct store *s);

#endif
