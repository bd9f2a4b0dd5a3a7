/*
 * SQLite behind the case register.  Migrations are a list of scripts,
 * applied in order under PRAGMA user_version; a busy database is a
 * temporary failure, never a reason to drop a message.
 */
#include <errno.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <string.h>

#include "store.h"
#include "twtime.h"

struct store {
	sqlite3 *db;
	char *path;
	int depth;		/* transactions open: 1 BEGIN, then SAVEPOINTs */
};

static const char *const migrations[] = {
	/* 1: the first schema. */
	"CREATE TABLE fetched ("
	"  mailbox TEXT NOT NULL,"
	"  uidvalidity INTEGER NOT NULL,"
	"  uid TEXT NOT NULL,"
	"  spool_name TEXT NOT NULL,"
	"  fetched_at TEXT NOT NULL,"
	"  done_at_source INTEGER NOT NULL DEFAULT 0,"
	"  PRIMARY KEY (mailbox, uidvalidity, uid));"
	"CREATE INDEX fetched_spool ON fetched(spool_name);"
	"CREATE TABLE cases ("
	"  id INTEGER PRIMARY KEY,"
	"  number TEXT NOT NULL UNIQUE,"
	"  county TEXT NOT NULL,"
	"  state TEXT NOT NULL DEFAULT 'received',"
	"  urgency TEXT NOT NULL,"
	"  source TEXT NOT NULL,"
	"  subject TEXT,"
	"  reply_addr TEXT,"
	"  created_at TEXT NOT NULL);"
	"CREATE TABLE case_seq ("
	"  county TEXT NOT NULL,"
	"  day TEXT NOT NULL,"
	"  last INTEGER NOT NULL,"
	"  PRIMARY KEY (county, day));"
	"CREATE TABLE arrivals ("
	"  id INTEGER PRIMARY KEY,"
	"  spool_name TEXT NOT NULL UNIQUE,"
	"  mailbox TEXT NOT NULL,"
	"  message_id TEXT,"
	"  body_hash TEXT NOT NULL,"
	"  kind TEXT NOT NULL,"
	"  county TEXT,"
	"  urgency TEXT,"
	"  quarantine TEXT,"
	"  quarantine_state TEXT CHECK (quarantine_state IN"
	"    ('held', 'retried', 'released')),"
	"  received_at TEXT NOT NULL,"
	"  duplicate_of INTEGER REFERENCES arrivals(id),"
	"  case_id INTEGER REFERENCES cases(id));"
	"CREATE INDEX arrivals_key ON arrivals(mailbox, message_id, body_hash);"
	"CREATE TABLE reasons ("
	"  case_id INTEGER NOT NULL REFERENCES cases(id),"
	"  rule TEXT NOT NULL,"
	"  vote TEXT NOT NULL,"
	"  weight INTEGER NOT NULL,"
	"  start INTEGER NOT NULL,"
	"  end INTEGER NOT NULL,"
	"  match TEXT NOT NULL);"
	"CREATE TABLE case_events ("
	"  id INTEGER PRIMARY KEY,"
	"  case_id INTEGER NOT NULL REFERENCES cases(id),"
	"  at TEXT NOT NULL,"
	"  who TEXT NOT NULL,"
	"  what TEXT NOT NULL,"
	"  why TEXT);"
	"CREATE TABLE outbox ("
	"  id INTEGER PRIMARY KEY,"
	"  case_id INTEGER REFERENCES cases(id),"
	"  kind TEXT NOT NULL,"
	"  priority INTEGER NOT NULL,"
	"  message_id TEXT NOT NULL UNIQUE,"
	"  env_from TEXT NOT NULL,"
	"  rcpt TEXT NOT NULL,"
	"  data BLOB NOT NULL,"
	"  state TEXT NOT NULL DEFAULT 'queued'"
	"    CHECK (state IN ('queued', 'sent', 'failed')),"
	"  attempts INTEGER NOT NULL DEFAULT 0,"
	"  next_at TEXT NOT NULL,"
	"  created_at TEXT NOT NULL,"
	"  sent_at TEXT,"
	"  last_error TEXT);"
	"CREATE INDEX outbox_due ON outbox(state, priority, id);"
	"CREATE TABLE case_links ("
	"  case_id INTEGER NOT NULL REFERENCES cases(id),"
	"  other_id INTEGER NOT NULL REFERENCES cases(id),"
	"  why TEXT NOT NULL,"
	"  PRIMARY KEY (case_id, other_id));"
	"CREATE TABLE mailbox_runs ("
	"  id INTEGER PRIMARY KEY,"
	"  mailbox TEXT NOT NULL,"
	"  started_at TEXT NOT NULL,"
	"  finished_at TEXT NOT NULL,"
	"  uidvalidity INTEGER,"
	"  listed INTEGER NOT NULL,"
	"  fetched INTEGER NOT NULL,"
	"  left_on_server INTEGER NOT NULL,"
	"  last_uid TEXT,"
	"  error TEXT);"
	"CREATE INDEX mailbox_runs_last ON mailbox_runs(mailbox, id);",

	/* 2: the SOP: states, referrals, deadlines on the office calendar,
	 * and an audit trail nobody can rewrite. */
	"ALTER TABLE cases ADD COLUMN closed_reason TEXT;"
	"ALTER TABLE cases ADD COLUMN closed_at TEXT;"
	"ALTER TABLE cases ADD COLUMN handed_to TEXT;"
	"ALTER TABLE cases ADD COLUMN handed_from INTEGER REFERENCES cases(id);"
	"ALTER TABLE cases ADD COLUMN referrer TEXT;"
	"ALTER TABLE cases ADD COLUMN referrer_addr TEXT;"
	"ALTER TABLE cases ADD COLUMN state_at TEXT;"
	"CREATE INDEX cases_county_state ON cases(county, state);"
	"CREATE TABLE calendars ("
	"  version TEXT PRIMARY KEY,"
	"  text TEXT NOT NULL,"
	"  loaded_at TEXT NOT NULL,"
	"  active INTEGER NOT NULL DEFAULT 0 CHECK (active IN (0, 1)));"
	"CREATE UNIQUE INDEX calendars_one_active ON calendars(active)"
	"  WHERE active = 1;"
	"CREATE TABLE referrals ("
	"  id INTEGER PRIMARY KEY,"
	"  case_id INTEGER NOT NULL REFERENCES cases(id),"
	"  grp TEXT NOT NULL CHECK (grp IN ('health', 'social',"
	"    'employment', 'education', 'police')),"
	"  agency TEXT NOT NULL,"
	"  referred_at TEXT NOT NULL,"
	"  replied_at TEXT);"
	"CREATE TABLE deadlines ("
	"  id INTEGER PRIMARY KEY,"
	"  case_id INTEGER NOT NULL REFERENCES cases(id),"
	"  step TEXT NOT NULL,"
	"  referral_id INTEGER REFERENCES referrals(id),"
	"  start_day TEXT NOT NULL,"
	"  rule TEXT NOT NULL CHECK (rule IN ('days', 'working_days')),"
	"  n INTEGER NOT NULL,"
	"  due_day TEXT NOT NULL,"
	"  calendar TEXT NOT NULL REFERENCES calendars(version),"
	"  met_at TEXT,"
	"  outcome TEXT CHECK (outcome IN ('met', 'cancelled')));"
	"CREATE INDEX deadlines_case ON deadlines(case_id);"
	"CREATE INDEX deadlines_open ON deadlines(due_day)"
	"  WHERE outcome IS NULL;"
	/* Who takes part in a case, as keyed hashes of their addresses
	 * (token.h): a writer, a recipient of our mail. */
	"CREATE TABLE case_parties ("
	"  case_id INTEGER NOT NULL REFERENCES cases(id),"
	"  party TEXT NOT NULL,"
	"  role TEXT NOT NULL,"
	"  PRIMARY KEY (case_id, party));"
	"CREATE INDEX arrivals_message_id ON arrivals(message_id);"
	/* Name, national ID, phone, address, birth date: sealed with the
	 * data key (people.h), never stored in the clear. */
	/* Notes by staff: their words may name people, so they are kept
	 * apart from the audit trail, which only points at them, and are
	 * erased with the rest at retention. */
	"CREATE TABLE case_notes ("
	"  id INTEGER PRIMARY KEY,"
	"  case_id INTEGER NOT NULL REFERENCES cases(id),"
	"  at TEXT NOT NULL,"
	"  who TEXT NOT NULL,"
	"  text TEXT NOT NULL);"
	"CREATE INDEX case_notes_case ON case_notes(case_id);"
	"CREATE TABLE case_people ("
	"  case_id INTEGER PRIMARY KEY REFERENCES cases(id),"
	"  key_id TEXT NOT NULL,"
	"  sealed BLOB NOT NULL);"
	"ALTER TABLE cases ADD COLUMN erased_at TEXT;"
	"ALTER TABLE arrivals ADD COLUMN sealed_at TEXT;"
	"CREATE INDEX arrivals_unsealed ON arrivals(id)"
	"  WHERE sealed_at IS NULL;"
	/* The outbox learns two more states: cancelled by a person, and
	 * bounced (a permanent failure reported by mail). */
	"CREATE TABLE outbox_new ("
	"  id INTEGER PRIMARY KEY,"
	"  case_id INTEGER REFERENCES cases(id),"
	"  kind TEXT NOT NULL,"
	"  priority INTEGER NOT NULL,"
	"  message_id TEXT NOT NULL UNIQUE,"
	"  env_from TEXT NOT NULL,"
	"  rcpt TEXT NOT NULL,"
	"  data BLOB NOT NULL,"
	"  state TEXT NOT NULL DEFAULT 'queued'"
	"    CHECK (state IN ('queued', 'sent', 'failed', 'cancelled',"
	"                     'bounced')),"
	"  attempts INTEGER NOT NULL DEFAULT 0,"
	"  next_at TEXT NOT NULL,"
	"  created_at TEXT NOT NULL,"
	"  sent_at TEXT,"
	"  last_error TEXT);"
	"INSERT INTO outbox_new SELECT id, case_id, kind, priority, message_id,"
	"  env_from, rcpt, data, state, attempts, next_at, created_at,"
	"  sent_at, last_error FROM outbox;"
	"DROP TABLE outbox;"
	"ALTER TABLE outbox_new RENAME TO outbox;"
	"CREATE INDEX outbox_due ON outbox(state, priority, id);"
	/* The daily limit of answers reads by recipient and time. */
	"CREATE INDEX outbox_rcpt ON outbox(rcpt COLLATE NOCASE, created_at);"
	"CREATE TRIGGER case_events_no_update BEFORE UPDATE ON case_events"
	"  BEGIN SELECT RAISE(ABORT, 'case_events is append-only'); END;"
	"CREATE TRIGGER case_events_no_delete BEFORE DELETE ON case_events"
	"  BEGIN SELECT RAISE(ABORT, 'case_events is append-only'); END;",

	/* 3: staff work by mail: who a case is assigned to, and a case
	 * merged into another (it then only points there). */
	"ALTER TABLE cases ADD COLUMN assignee TEXT;"
	"ALTER TABLE cases ADD COLUMN merged_into INTEGER REFERENCES cases(id);"
	/* The needs triage found in a case's letters (rules.h), as the
	 * referrals and the monthly report count them; cases filed before
	 * get those their reasons voted for. */
	/* Sends begun, committed before each attempt: a mail found
	 * delivered twice with sends > 1 was resent after a run died
	 * between the server's acceptance and our record of it. */
	"ALTER TABLE outbox ADD COLUMN sends INTEGER NOT NULL DEFAULT 0;"
	"CREATE TABLE case_needs ("
	"  case_id INTEGER NOT NULL REFERENCES cases(id),"
	"  need TEXT NOT NULL,"
	"  PRIMARY KEY (case_id, need));"
	"INSERT INTO case_needs SELECT DISTINCT case_id, vote FROM reasons"
	"  WHERE vote IN ('crisis', 'detox_treatment', 'substitution_therapy',"
	"    'hiv', 'counseling', 'financial_aid', 'family', 'halfway_house',"
	"    'legal', 'employment', 'vocational_training', 'business_loan',"
	"    'schooling', 'locate_person');",
};

const char *
store_migration_sql(int v)
{
	return v >= 1 && v <= (int)G_N_ELEMENTS(migrations) ? migrations[v - 1]
							    : NULL;
}

int
store_schema_version(void)
{
	return (int)G_N_ELEMENTS(migrations);
}

static enum status
db_error(struct store *s, struct err *err, const char *what)
{
	int code = sqlite3_errcode(s->db);
	enum status st = ST_FATAL;

	if (code == SQLITE_BUSY || code == SQLITE_LOCKED ||
	    code == SQLITE_FULL || code == SQLITE_IOERR ||
	    code == SQLITE_CANTOPEN)
		st = ST_TEMP;
	err_set(err, st, "database: %s: %s", what, sqlite3_errmsg(s->db));
	/* A full disk is the disk's problem, whoever writes to it. */
	if (err != NULL && (code == SQLITE_FULL || code == SQLITE_IOERR))
		err->sys_errno = code == SQLITE_FULL ? ENOSPC : EIO;
	return st;
}

static enum status
exec(struct store *s, const char *sql, struct err *err)
{
	char *msg = NULL;

	if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		enum status st = db_error(s, err, "exec");

		sqlite3_free(msg);
		return st;
	}
	return ST_OK;
}

static sqlite3_stmt *
prepare(struct store *s, const char *sql)
{
	sqlite3_stmt *stmt = NULL;

	if (sqlite3_prepare_v2(s->db, sql, -1, &stmt, NULL) != SQLITE_OK)
		return NULL;
	return stmt;
}

/* Binds NULL for a NULL string. */
static void
bind_text(sqlite3_stmt *stmt, int i, const char *v)
{
	if (v == NULL)
		sqlite3_bind_null(stmt, i);
	else
		sqlite3_bind_text(stmt, i, v, -1, SQLITE_TRANSIENT);
}

static char *
now_iso(void)
{
	g_autoptr(GDateTime) now = twtime_now();

	return twtime_iso(now);
}

static enum status
migrate(struct store *s, struct err *err)
{
	sqlite3_stmt *stmt = prepare(s, "PRAGMA user_version");
	int version = 0;
	enum status st = ST_OK;

	if (stmt == NULL)
		return db_error(s, err, "user_version");
	if (sqlite3_step(stmt) == SQLITE_ROW)
		version = sqlite3_column_int(stmt, 0);
	sqlite3_finalize(stmt);
	if (version > store_schema_version())
		return err_set(err, ST_FATAL, "database schema %d is newer "
			       "than this lamplight (%d)", version,
			       store_schema_version());
	for (int v = version; v < store_schema_version() && st == ST_OK;
	     v++) {
		g_autofree char *set =
			g_strdup_printf("PRAGMA user_version = %d", v + 1);

		st = store_begin(s, err);
		if (st == ST_OK)
			st = exec(s, migrations[v], err);
		if (st == ST_OK)
			st = exec(s, set, err);
		if (st == ST_OK)
			st = store_commit(s, err);
		else
			store_rollback(s);
	}
	return st;
}

static int
first_column_is_wal(void *arg, int n, char **vals, char **names)
{
	*(gboolean *)arg = n > 0 && vals[0] != NULL &&
			   g_ascii_strcasecmp(vals[0], "wal") == 0;
	return 0;
}

static int store_busy_ms = 10000;

void
store_set_busy_timeout(guint seconds)
{
	store_busy_ms = (int)MIN(seconds, 3600u) * 1000;
}

enum status
store_open(const char *path, struct store **out, struct err *err)
{
	struct store *s = g_new0(struct store, 1);
	gboolean wal = FALSE;
	enum status st;

	s->path = g_strdup(path);
	if (sqlite3_open_v2(path, &s->db,
			    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
				    SQLITE_OPEN_NOFOLLOW,
			    NULL) != SQLITE_OK) {
		st = s->db != NULL ? db_error(s, err, "open")
				   : err_set(err, ST_NOMEM, "database: open");
		store_close(s);
		return st;
	}
	sqlite3_busy_timeout(s->db, store_busy_ms);
	sqlite3_extended_result_codes(s->db, 0);
	st = exec(s, "PRAGMA foreign_keys = ON", err);
	if (st == ST_OK &&
	    sqlite3_exec(s->db, "PRAGMA journal_mode = WAL",
			 first_column_is_wal, &wal, NULL) != SQLITE_OK)
		st = db_error(s, err, "journal_mode");
	if (st == ST_OK && !wal)
		st = err_set(err, ST_FATAL, "database: cannot use WAL mode");
	/* In WAL mode NORMAL loses no committed data on a process crash. */
	if (st == ST_OK)
		st = exec(s, "PRAGMA synchronous = FULL", err);
	if (st == ST_OK)
		st = migrate(s, err);
	if (st != ST_OK) {
		store_close(s);
		return st;
	}
	*out = s;
	return ST_OK;
}

void
store_close(struct store *s)
{
	if (s == NULL)
		return;
	sqlite3_close_v2(s->db);
	g_free(s->path);
	g_free(s);
}

/*
 * Inside a transaction, begin opens a savepoint: a step that fails is
 * undone alone while the whole still commits (a command by mail
 * refused among others).
 */
enum status
store_begin(struct store *s, struct err *err)
{
	g_autofree char *sp = NULL;
	enum status st;

	if (s->depth > 0 && sqlite3_get_autocommit(s->db))
		s->depth = 0;	/* SQLite ended it on an error */
	if (s->depth == 0)
		st = exec(s, "BEGIN IMMEDIATE", err);
	else {
		sp = g_strdup_printf("SAVEPOINT s%d", s->depth);
		st = exec(s, sp, err);
	}
	if (st == ST_OK)
		s->depth++;
	return st;
}

enum status
store_commit(struct store *s, struct err *err)
{
	g_autofree char *sp = NULL;
	enum status st;

	if (s->depth <= 1) {
		st = exec(s, "COMMIT", err);
		if (st == ST_OK || sqlite3_get_autocommit(s->db))
			s->depth = 0;
		return st;
	}
	sp = g_strdup_printf("RELEASE s%d", s->depth - 1);
	st = exec(s, sp, err);
	if (st == ST_OK)
		s->depth--;
	return st;
}

void
store_rollback(struct store *s)
{
	if (s->depth > 1 && !sqlite3_get_autocommit(s->db)) {
		g_autofree char *sp = g_strdup_printf(
			"ROLLBACK TO s%d; RELEASE s%d", s->depth - 1,
			s->depth - 1);

		sqlite3_exec(s->db, sp, NULL, NULL, NULL);
		s->depth--;
		return;
	}
	if (!sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	s->depth = 0;
}

/* Steps a statement that returns no rows, then finalizes it. */
sqlite3 *
store_sqlite(struct store *s)
{
	return s->db;
}

gboolean
store_row_int(sqlite3_stmt *row, gpointer data)
{
	*(gint64 *)data = sqlite3_column_int64(row, 0);
	return FALSE;
}

gboolean
store_row_text(sqlite3_stmt *row, gpointer data)
{
	char **out = data;

	g_free(*out);
	*out = g_strdup((const char *)sqlite3_column_text(row, 0));
	return FALSE;
}

gboolean
store_rows_text(sqlite3_stmt *row, gpointer data)
{
	g_ptr_array_add(data,
			g_strdup((const char *)sqlite3_column_text(row, 0)));
	return TRUE;
}

enum status
store_db_error(struct store *s, struct err *err, const char *what)
{
	return db_error(s, err, what);
}

/* Binds the arguments of ap to stmt as types says. */
static void
bind_args(sqlite3_stmt *stmt, const char *types, va_list ap)
{
	for (int i = 0; types[i] != '\0'; i++) {
		if (types[i] == 'i')
			sqlite3_bind_int64(stmt, i + 1, va_arg(ap, gint64));
		else
			bind_text(stmt, i + 1, va_arg(ap, const char *));
	}
}

enum status
store_run(struct store *s, struct err *err, const char *sql,
	  const char *types, ...)
{
	sqlite3_stmt *stmt = prepare(s, sql);
	enum status st = ST_OK;
	va_list ap;

	if (stmt == NULL)
		return db_error(s, err, "prepare");
	va_start(ap, types);
	bind_args(stmt, types, ap);
	va_end(ap);
	if (sqlite3_step(stmt) != SQLITE_DONE)
		st = db_error(s, err, "step");
	sqlite3_finalize(stmt);
	return st;
}

enum status
store_query(struct store *s, struct err *err, store_row_fn fn, gpointer data,
	    const char *sql, const char *types, ...)
{
	sqlite3_stmt *stmt = prepare(s, sql);
	enum status st = ST_OK;
	va_list ap;
	int rc;

	if (stmt == NULL)
		return db_error(s, err, "prepare");
	va_start(ap, types);
	bind_args(stmt, types, ap);
	va_end(ap);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
		if (!fn(stmt, data))
			break;
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		st = db_error(s, err, "step");
	sqlite3_finalize(stmt);
	return st;
}

static enum status
step_done(struct store *s, sqlite3_stmt *stmt, const char *what,
	  struct err *err)
{
	enum status st = ST_OK;

	if (sqlite3_step(stmt) != SQLITE_DONE)
		st = db_error(s, err, what);
	sqlite3_finalize(stmt);
	return st;
}

enum status
store_fetched_has(struct store *s, const char *mailbox, guint32 uidvalidity,
		  const char *uid, gboolean *has, struct err *err)
{
	sqlite3_stmt *stmt = prepare(s,
		"SELECT 1 FROM fetched WHERE mailbox = ? AND uidvalidity = ? "
		"AND uid = ?");
	int rc;

	if (stmt == NULL)
		return db_error(s, err, "fetched");
	bind_text(stmt, 1, mailbox);
	sqlite3_bind_int64(stmt, 2, uidvalidity);
	bind_text(stmt, 3, uid);
	rc = sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_error(s, err, "fetched");
	*has = rc == SQLITE_ROW;
	return ST_OK;
}

enum status
store_fetched_add(struct store *s, const char *mailbox, guint32 uidvalidity,
		  const char *uid, const char *spool_name, struct err *err)
{
	g_autofree char *now = now_iso();
	sqlite3_stmt *stmt = prepare(s,
		"INSERT INTO fetched (mailbox, uidvalidity, uid, spool_name, "
		"fetched_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING");

	if (stmt == NULL)
		return db_error(s, err, "fetched");
	bind_text(stmt, 1, mailbox);
	sqlite3_bind_int64(stmt, 2, uidvalidity);
	bind_text(stmt, 3, uid);
	bind_text(stmt, 4, spool_name);
	bind_text(stmt, 5, now);
	return step_done(s, stmt, "fetched", err);
}

enum status
store_fetched_pending(struct store *s, const char *mailbox,
		      guint32 uidvalidity, GPtrArray **out, struct err *err)
{
	sqlite3_stmt *stmt = prepare(s,
		"SELECT f.uid FROM fetched f JOIN arrivals a "
		"ON a.spool_name = f.spool_name WHERE f.mailbox = ? AND "
		"f.uidvalidity = ? AND f.done_at_source = 0 ORDER BY f.rowid");
	GPtrArray *uids;
	int rc;

	if (stmt == NULL)
		return db_error(s, err, "fetched");
	bind_text(stmt, 1, mailbox);
	sqlite3_bind_int64(stmt, 2, uidvalidity);
	uids = g_ptr_array_new_with_free_func(g_free);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
		g_ptr_array_add(uids, g_strdup((const char *)
					       sqlite3_column_text(stmt, 0)));
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE) {
		g_ptr_array_free(uids, TRUE);
		return db_error(s, err, "fetched");
	}
	*out = uids;
	return ST_OK;
}

enum status
store_fetched_done(struct store *s, const char *mailbox, guint32 uidvalidity,
		   const char *uid, struct err *err)
{
	sqlite3_stmt *stmt = prepare(s,
		"UPDATE fetched SET done_at_source = 1 WHERE mailbox = ? AND "
		"uidvalidity = ? AND uid = ?");

	if (stmt == NULL)
		return db_error(s, err, "fetched");
	bind_text(stmt, 1, mailbox);
	sqlite3_bind_int64(stmt, 2, uidvalidity);
	bind_text(stmt, 3, uid);
	return step_done(s, stmt, "fetched", err);
}

enum status
store_fetched_max_uid(struct store *s, const char *mailbox,
		      guint32 uidvalidity, guint32 *out, struct err *err)
{
	sqlite3_stmt *stmt = prepare(s,
		"SELECT max(CAST(uid AS INTEGER)) FROM fetched WHERE "
		"mailbox = ? AND uidvalidity = ?");
	int rc;

	if (stmt == NULL)
		return db_error(s, err, "fetched");
	bind_text(stmt, 1, mailbox);
	sqlite3_bind_int64(stmt, 2, uidvalidity);
	rc = sqlite3_step(stmt);
	*out = rc == SQLITE_ROW ? (guint32)sqlite3_column_int64(stmt, 0) : 0;
	sqlite3_finalize(stmt);
	if (rc != SQLITE_ROW)
		return db_error(s, err, "fetched");
	return ST_OK;
}

enum status
store_arrival_filed(struct store *s, const char *spool_name, gboolean *filed,
		    struct err *err)
{
	sqlite3_stmt *stmt = prepare(s,
		"SELECT 1 FROM arrivals WHERE spool_name = ?");
	int rc;

	if (stmt == NULL)
		return db_error(s, err, "arrivals");
	bind_text(stmt, 1, spool_name);
	rc = sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_error(s, err, "arrivals");
	*filed = rc == SQLITE_ROW;
	return ST_OK;
}

enum status
store_arrival_add(struct store *s, const struct arrival *a, gint64 *id,
		  gint64 *dup_of, struct err *err)
{
	g_autofree char *now = now_iso();
	sqlite3_stmt *stmt;
	enum status st;

	/* The key: mailbox, Message-ID (maybe none) and body hash. */
	stmt = prepare(s, "SELECT id FROM arrivals WHERE mailbox = ? AND "
			  "message_id IS ? AND body_hash = ? AND "
			  "duplicate_of IS NULL AND "
			  "(quarantine IS NULL) = (? IS NULL) AND "
			  "coalesce(quarantine_state, 'held') = 'held' "
			  "ORDER BY id LIMIT 1");
	if (stmt == NULL)
		return db_error(s, err, "arrivals");
	bind_text(stmt, 1, a->mailbox);
	bind_text(stmt, 2, a->message_id);
	bind_text(stmt, 3, a->body_hash);
	/* A quarantined copy is a duplicate of a quarantined first. */
	bind_text(stmt, 4, a->quarantine);
	*dup_of = sqlite3_step(stmt) == SQLITE_ROW
			  ? sqlite3_column_int64(stmt, 0)
			  : 0;
	sqlite3_finalize(stmt);

	stmt = prepare(s, "INSERT INTO arrivals (spool_name, mailbox, "
			  "message_id, body_hash, kind, county, urgency, "
			  "quarantine, received_at, duplicate_of, "
			  "quarantine_state) VALUES "
			  "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
	if (stmt == NULL)
		return db_error(s, err, "arrivals");
	bind_text(stmt, 1, a->spool_name);
	bind_text(stmt, 2, a->mailbox);
	bind_text(stmt, 3, a->message_id);
	bind_text(stmt, 4, a->body_hash);
	bind_text(stmt, 5, a->kind);
	bind_text(stmt, 6, a->county);
	bind_text(stmt, 7, a->urgency);
	bind_text(stmt, 8, a->quarantine);
	bind_text(stmt, 9, now);
	if (*dup_of != 0)
		sqlite3_bind_int64(stmt, 10, *dup_of);
	else
		sqlite3_bind_null(stmt, 10);
	bind_text(stmt, 11, a->quarantine != NULL && *dup_of == 0 ? "held"
								 : NULL);
	st = step_done(s, stmt, "arrivals", err);
	if (st == ST_OK)
		*id = sqlite3_last_insert_rowid(s->db);
	return st;
}

enum status
store_case_add(struct store *s, const struct case_new *c, GDateTime *now,
	       gint64 *case_id, char **number, struct err *err)
{
	g_autofree char *day = twtime_roc_date(now);
	g_autofree char *at = twtime_iso(now);
	sqlite3_stmt *stmt;
	gint64 seq = 0;
	enum status st;
	char *num;

	stmt = prepare(s, "INSERT INTO case_seq (county, day, last) "
			  "VALUES (?, ?, 1) ON CONFLICT (county, day) DO "
			  "UPDATE SET last = last + 1 RETURNING last");
	if (stmt == NULL)
		return db_error(s, err, "case_seq");
	bind_text(stmt, 1, c->county);
	bind_text(stmt, 2, day);
	if (sqlite3_step(stmt) == SQLITE_ROW)
		seq = sqlite3_column_int64(stmt, 0);
	sqlite3_finalize(stmt);
	if (seq == 0)
		return db_error(s, err, "case_seq");
	if (seq > 9999)
		return err_set(err, ST_FATAL, "more than 9999 cases for %s on "
			       "%s", c->county, day);
	num = g_strdup_printf("%s-%s-%04lld", c->county, day, (long long)seq);
	stmt = prepare(s, "INSERT INTO cases (number, county, urgency, "
			  "source, subject, reply_addr, created_at, referrer, "
			  "referrer_addr) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
	if (stmt == NULL) {
		g_free(num);
		return db_error(s, err, "cases");
	}
	bind_text(stmt, 1, num);
	bind_text(stmt, 2, c->county);
	bind_text(stmt, 3, c->urgency);
	bind_text(stmt, 4, c->source);
	bind_text(stmt, 5, c->subject);
	bind_text(stmt, 6, c->reply_addr);
	bind_text(stmt, 7, at);
	bind_text(stmt, 8, c->referrer);
	bind_text(stmt, 9, c->referrer_addr);
	st = step_done(s, stmt, "cases", err);
	if (st != ST_OK) {
		g_free(num);
		return st;
	}
	*case_id = sqlite3_last_insert_rowid(s->db);
	stmt = prepare(s, "UPDATE arrivals SET case_id = ? WHERE id = ?");
	if (stmt == NULL) {
		g_free(num);
		return db_error(s, err, "arrivals");
	}
	sqlite3_bind_int64(stmt, 1, *case_id);
	sqlite3_bind_int64(stmt, 2, c->arrival_id);
	st = step_done(s, stmt, "arrivals", err);
	if (st != ST_OK) {
		g_free(num);
		return st;
	}
	*number = num;
	return ST_OK;
}

enum status
store_reason_add(struct store *s, gint64 case_id, const char *rule,
		 const char *vote, int weight, glong start, glong end,
		 const char *match, struct err *err)
{
	sqlite3_stmt *stmt = prepare(s,
		"INSERT INTO reasons (case_id, rule, vote, weight, start, end, "
		"match) VALUES (?, ?, ?, ?, ?, ?, ?)");

	if (stmt == NULL)
		return db_error(s, err, "reasons");
	sqlite3_bind_int64(stmt, 1, case_id);
	bind_text(stmt, 2, rule);
	bind_text(stmt, 3, vote);
	sqlite3_bind_int(stmt, 4, weight);
	sqlite3_bind_int64(stmt, 5, start);
	sqlite3_bind_int64(stmt, 6, end);
	bind_text(stmt, 7, match);
	return step_done(s, stmt, "reasons", err);
}

enum status
store_event_add(struct store *s, gint64 case_id, const char *who,
		const char *what, const char *why, struct err *err)
{
	g_autofree char *now = now_iso();
	sqlite3_stmt *stmt = prepare(s,
		"INSERT INTO case_events (case_id, at, who, what, why) "
		"VALUES (?, ?, ?, ?, ?)");

	if (stmt == NULL)
		return db_error(s, err, "case_events");
	sqlite3_bind_int64(stmt, 1, case_id);
	bind_text(stmt, 2, now);
	bind_text(stmt, 3, who);
	bind_text(stmt, 4, what);
	bind_text(stmt, 5, why);
	return step_done(s, stmt, "case_events", err);
}

void
outbox_item_free(struct outbox_item *it)
{
	if (it == NULL)
		return;
	g_free(it->kind);
	g_free(it->message_id);
	g_free(it->env_from);
	g_free(it->rcpt);
	if (it->data != NULL)
		g_bytes_unref(it->data);
	g_free(it);
}

enum status
store_outbox_add(struct store *s, gint64 case_id, const char *kind,
		 int priority, const char *message_id, const char *env_from,
		 const char *rcpt, const char *data, gsize len,
		 struct err *err)
{
	g_autofree char *now = now_iso();
	sqlite3_stmt *stmt = prepare(s,
		"INSERT INTO outbox (case_id, kind, priority, message_id, "
		"env_from, rcpt, data, next_at, created_at) VALUES "
		"(?, ?, ?, ?, ?, ?, ?, ?, ?)");

	if (stmt == NULL)
		return db_error(s, err, "outbox");
	if (case_id != 0)
		sqlite3_bind_int64(stmt, 1, case_id);
	else
		sqlite3_bind_null(stmt, 1);
	bind_text(stmt, 2, kind);
	sqlite3_bind_int(stmt, 3, priority);
	bind_text(stmt, 4, message_id);
	bind_text(stmt, 5, env_from);
	bind_text(stmt, 6, rcpt);
	sqlite3_bind_blob64(stmt, 7, data, len, SQLITE_TRANSIENT);
	bind_text(stmt, 8, now);
	bind_text(stmt, 9, now);
	return step_done(s, stmt, "outbox", err);
}

enum status
store_outbox_due(struct store *s, GDateTime *now, int max_priority,
		 GPtrArray **out, struct err *err)
{
	g_autofree char *at = twtime_iso(now);
	sqlite3_stmt *stmt = prepare(s,
		"SELECT id, coalesce(case_id, 0), kind, message_id, env_from, "
		"rcpt, data, attempts FROM outbox WHERE state = 'queued' AND "
		"next_at <= ? AND priority <= ? ORDER BY priority, id");
	GPtrArray *items;
	int rc;

	if (stmt == NULL)
		return db_error(s, err, "outbox");
	bind_text(stmt, 1, at);
	sqlite3_bind_int(stmt, 2, max_priority);
	items = g_ptr_array_new_with_free_func(
		(GDestroyNotify)outbox_item_free);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		struct outbox_item *it = g_new0(struct outbox_item, 1);

		it->id = sqlite3_column_int64(stmt, 0);
		it->case_id = sqlite3_column_int64(stmt, 1);
		it->kind = g_strdup((const char *)sqlite3_column_text(stmt, 2));
		it->message_id =
			g_strdup((const char *)sqlite3_column_text(stmt, 3));
		it->env_from =
			g_strdup((const char *)sqlite3_column_text(stmt, 4));
		it->rcpt = g_strdup((const char *)sqlite3_column_text(stmt, 5));
		it->data = g_bytes_new(sqlite3_column_blob(stmt, 6),
				       sqlite3_column_bytes(stmt, 6));
		it->attempts = sqlite3_column_int(stmt, 7);
		g_ptr_array_add(items, it);
	}
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE) {
		g_ptr_array_free(items, TRUE);
		return db_error(s, err, "outbox");
	}
	*out = items;
	return ST_OK;
}

enum status
store_outbox_sent(struct store *s, gint64 id, const char *reply,
		  struct err *err)
{
	g_autofree char *now = now_iso();
	sqlite3_stmt *stmt = prepare(s,
		"UPDATE outbox SET state = 'sent', sent_at = ?, attempts = "
		"attempts + 1, last_error = ? WHERE id = ?");

	if (stmt == NULL)
		return db_error(s, err, "outbox");
	bind_text(stmt, 1, now);
	bind_text(stmt, 2, reply);
	sqlite3_bind_int64(stmt, 3, id);
	return step_done(s, stmt, "outbox", err);
}

enum status
store_outbox_failed(struct store *s, gint64 id, gboolean temp,
		    const char *why, GDateTime *next_at, struct err *err)
{
	g_autofree char *next = twtime_iso(next_at);
	sqlite3_stmt *stmt = prepare(s,
		"UPDATE outbox SET state = ?, attempts = attempts + 1, "
		"last_error = ?, next_at = ? WHERE id = ?");

	if (stmt == NULL)
		return db_error(s, err, "outbox");
	bind_text(stmt, 1, temp ? "queued" : "failed");
	bind_text(stmt, 2, why);
	bind_text(stmt, 3, next);
	sqlite3_bind_int64(stmt, 4, id);
	return step_done(s, stmt, "outbox", err);
}

enum status
store_case_link_copies(struct store *s, gint64 case_id, const char *mailbox,
		       const char *message_id, const char *body_hash,
		       guint *linked, struct err *err)
{
	sqlite3_stmt *stmt = prepare(s,
		"INSERT OR IGNORE INTO case_links (case_id, other_id, why) "
		"SELECT ?1, a.case_id, 'same letter to ' || a.mailbox FROM "
		"arrivals a WHERE a.mailbox <> ?2 AND a.message_id IS ?3 AND "
		"a.body_hash = ?4 AND a.case_id IS NOT NULL AND "
		"a.case_id <> ?1");
	enum status st;

	if (stmt == NULL)
		return db_error(s, err, "case_links");
	sqlite3_bind_int64(stmt, 1, case_id);
	bind_text(stmt, 2, mailbox);
	bind_text(stmt, 3, message_id);
	bind_text(stmt, 4, body_hash);
	st = step_done(s, stmt, "case_links", err);
	*linked = st == ST_OK ? (guint)sqlite3_changes(s->db) : 0;
	if (st == ST_OK && *linked > 0) {
		/* Links go both ways. */
		stmt = prepare(s, "INSERT OR IGNORE INTO case_links (case_id, "
				  "other_id, why) SELECT other_id, case_id, "
				  "'same letter to ' || ? FROM case_links "
				  "WHERE case_id = ?");
		if (stmt == NULL)
			return db_error(s, err, "case_links");
		bind_text(stmt, 1, mailbox);
		sqlite3_bind_int64(stmt, 2, case_id);
		st = step_done(s, stmt, "case_links", err);
	}
	return st;
}

void
quarantined_free(struct quarantined *q)
{
	if (q == NULL)
		return;
	g_free(q->spool_name);
	g_free(q->mailbox);
	g_free(q->reason);
	g_free(q->state);
	g_free(q->received_at);
	g_free(q);
}

static struct quarantined *
quarantined_row(sqlite3_stmt *stmt)
{
	struct quarantined *q = g_new0(struct quarantined, 1);

	q->id = sqlite3_column_int64(stmt, 0);
	q->spool_name = g_strdup((const char *)sqlite3_column_text(stmt, 1));
	q->mailbox = g_strdup((const char *)sqlite3_column_text(stmt, 2));
	q->reason = g_strdup((const char *)sqlite3_column_text(stmt, 3));
	q->state = g_strdup((const char *)sqlite3_column_text(stmt, 4));
	q->received_at = g_strdup((const char *)sqlite3_column_text(stmt, 5));
	return q;
}

#define QUARANTINE_COLUMNS \
	"id, spool_name, mailbox, quarantine, quarantine_state, received_at"

enum status
store_quarantine_list(struct store *s, gboolean all, GPtrArray **out,
		      struct err *err)
{
	sqlite3_stmt *stmt = prepare(s,
		"SELECT " QUARANTINE_COLUMNS " FROM arrivals WHERE "
		"quarantine_state IS NOT NULL AND (? OR quarantine_state = "
		"'held') ORDER BY id");
	GPtrArray *list;
	int rc;

	if (stmt == NULL)
		return db_error(s, err, "arrivals");
	sqlite3_bind_int(stmt, 1, all);
	list = g_ptr_array_new_with_free_func((GDestroyNotify)quarantined_free);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
		g_ptr_array_add(list, quarantined_row(stmt));
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE) {
		g_ptr_array_free(list, TRUE);
		return db_error(s, err, "arrivals");
	}
	*out = list;
	return ST_OK;
}

enum status
store_quarantine_get(struct store *s, gint64 id, struct quarantined **out,
		     struct err *err)
{
	sqlite3_stmt *stmt = prepare(s,
		"SELECT " QUARANTINE_COLUMNS " FROM arrivals WHERE id = ? AND "
		"quarantine_state IS NOT NULL");
	int rc;

	if (stmt == NULL)
		return db_error(s, err, "arrivals");
	sqlite3_bind_int64(stmt, 1, id);
	rc = sqlite3_step(stmt);
	*out = rc == SQLITE_ROW ? quarantined_row(stmt) : NULL;
	sqlite3_finalize(stmt);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_error(s, err, "arrivals");
	return ST_OK;
}

enum status
store_quarantine_set(struct store *s, gint64 id, const char *state,
		     struct err *err)
{
	sqlite3_stmt *stmt = prepare(s,
		"UPDATE arrivals SET quarantine_state = ? WHERE id = ? AND "
		"quarantine_state = 'held'");
	enum status st;

	if (stmt == NULL)
		return db_error(s, err, "arrivals");
	bind_text(stmt, 1, state);
	sqlite3_bind_int64(stmt, 2, id);
	st = step_done(s, stmt, "arrivals", err);
	if (st == ST_OK && sqlite3_changes(s->db) == 0)
		return err_set(err, ST_FATAL, "quarantined message %lld is not "
			       "held", (long long)id);
	return st;
}

enum status
store_mailbox_run_add(struct store *s, const struct mailbox_run *mr,
		      struct err *err)
{
	sqlite3_stmt *stmt = prepare(s,
		"INSERT INTO mailbox_runs (mailbox, started_at, finished_at, "
		"uidvalidity, listed, fetched, left_on_server, last_uid, error) "
		"VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");

	if (stmt == NULL)
		return db_error(s, err, "mailbox_runs");
	bind_text(stmt, 1, mr->mailbox);
	bind_text(stmt, 2, mr->started_at);
	bind_text(stmt, 3, mr->finished_at);
	sqlite3_bind_int64(stmt, 4, mr->uidvalidity);
	sqlite3_bind_int(stmt, 5, (int)mr->listed);
	sqlite3_bind_int(stmt, 6, (int)mr->fetched);
	sqlite3_bind_int(stmt, 7, (int)mr->left_on_server);
	bind_text(stmt, 8, mr->last_uid);
	bind_text(stmt, 9, mr->error);
	return step_done(s, stmt, "mailbox_runs", err);
}

sqlite3 *
store_db(struct store *s)
{
	return s->db;
}
