/*
 * SQLite behind the case register.  Migrations are a list of scripts,
 * applied in order under PRAGMA user_version; a busy database is a
 * temporary failure, never a reason to drop a message.
 */
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store.h"
#include "twtime.h"

/* The audit trail is append-only: no row of it changes. */
#define CASE_EVENTS_NO_UPDATE                                              \
	"CREATE TRIGGER case_events_no_update BEFORE UPDATE ON case_events" \
	"  BEGIN SELECT RAISE(ABORT, 'case_events is append-only'); END"

struct store {
	sqlite3 *db;
	char *path;
	int depth;		/* transactions open: 1 BEGIN, then SAVEPOINTs */
	struct store_codec codec;	/* seals personal columns; or none */
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
	CASE_EVENTS_NO_UPDATE ";"
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
	/* 4: who sent each letter, as a keyed hash of the address (token.h),
	 * for the hourly limits on floods; the address itself is not kept
	 * here. */
	"ALTER TABLE arrivals ADD COLUMN sender TEXT;"
	"CREATE INDEX arrivals_flood ON arrivals (county, received_at);",

	/* 5: which database this is, and which keys it was made with
	 * (statedir.h). */
	"CREATE TABLE meta ("
	"  name TEXT PRIMARY KEY,"
	"  value TEXT NOT NULL);",

	/* 6: a letter fetched whose spool file went before it was filed:
	 * when that was seen (it is fetched again, or reported lost). */
	"ALTER TABLE fetched ADD COLUMN lost_at TEXT;",

	/* 7: a writer's address in the outbox is sealed (store_codec); the
	 * daily limit counts by a keyed hash of its canonical form. */
	"ALTER TABLE outbox ADD COLUMN rcpt_key TEXT;"
	"DROP INDEX outbox_rcpt;"
	"CREATE INDEX outbox_rcpt_key ON outbox(rcpt_key, created_at);",

	/* 8: the SOP's clocks as written.  Each deadline keeps the rule that
	 * set it (vocab.h, deadline_basis_label).  The visit and the
	 * assessment are due 3 days from 收案, as the registration is:
	 * open ones counted from the step before start again from the
	 * registration clock's day (same rule, so same due day and
	 * calendar), and open cases get the ones they lack. */
	"ALTER TABLE deadlines ADD COLUMN basis TEXT;"
	"UPDATE deadlines SET basis = CASE"
	"  WHEN step = 'register' THEN 'intake_register'"
	"  WHEN step = 'agency_result' THEN 'referrer_result'"
	"  WHEN step = 'partner_reply' THEN 'partner_slip'"
	"  WHEN step IN ('contact', 'assess') THEN 'previous_step'"
	"  WHEN step = 'follow_up' AND NOT EXISTS (SELECT 1 FROM case_events e"
	"    WHERE e.case_id = deadlines.case_id AND"
	"    e.what = 'follow_up planned for ' || deadlines.due_day)"
	"    THEN 'follow_up'"
	"  ELSE 'staff_planned' END;"
	"CREATE TEMP TABLE intake AS SELECT case_id, start_day, due_day,"
	"  calendar FROM deadlines WHERE id IN (SELECT min(id) FROM deadlines"
	"  WHERE step = 'register' GROUP BY case_id);"
	"UPDATE deadlines SET (start_day, due_day, calendar, basis) ="
	"  (SELECT i.start_day, i.due_day, i.calendar, CASE deadlines.step"
	"   WHEN 'contact' THEN 'intake_visit' ELSE 'intake_assess' END"
	"   FROM intake i WHERE i.case_id = deadlines.case_id)"
	"  WHERE outcome IS NULL AND step IN ('contact', 'assess') AND"
	"  case_id IN (SELECT case_id FROM intake);"
	"INSERT INTO deadlines (case_id, step, start_day, rule, n, due_day,"
	"  calendar, basis) SELECT i.case_id, k.step, i.start_day, 'days', 3,"
	"  i.due_day, i.calendar, k.basis FROM intake i JOIN cases c ON"
	"  c.id = i.case_id JOIN (SELECT 'contact' AS step, 'intake_visit' AS"
	"  basis UNION ALL SELECT 'assess', 'intake_assess') k"
	"  WHERE c.state IN ('received', 'registered') AND"
	"  c.merged_into IS NULL AND NOT EXISTS (SELECT 1 FROM deadlines x"
	"  WHERE x.case_id = i.case_id AND x.step = k.step)"
	"  ORDER BY i.case_id, k.step DESC;"
	"DROP TABLE intake;",

	/* 9: who a person is across cases, to know one who comes back: a
	 * keyed hash of each normalised national ID, phone and address of
	 * a case's person (people.h), a key of its own for each kind; never
	 * the value itself.  Erased with the sealed record. */
	"CREATE TABLE case_people_keys ("
	"  case_id INTEGER NOT NULL REFERENCES cases(id),"
	"  kind TEXT NOT NULL CHECK (kind IN ('national_id', 'phone',"
	"    'address')),"
	"  hash TEXT NOT NULL,"
	"  PRIMARY KEY (case_id, kind, hash));"
	"CREATE INDEX case_people_keys_hash ON case_people_keys(kind, hash);",

	/* 10: mail a backfill (run --no-send) queued is held back: cancelled
	 * at once and marked so, never sent, and counted by status. */
	"ALTER TABLE outbox ADD COLUMN held_back INTEGER NOT NULL DEFAULT 0;",

	/* 11: what every run and status read is found through an index of
	 * what is pending, not by reading two years of history (bench/years):
	 * the letters not yet marked at their source, those lost, the
	 * highest uid; the held letters of a mailbox; the mail held back (a
	 * row holds its mail: reading past it costs its overflow pages); the
	 * cases retention is to erase.  What status counts of all time, the
	 * letters filed and the uids seen of each mailbox, is kept counted
	 * by triggers. */
	"CREATE INDEX fetched_pending ON fetched(mailbox, uidvalidity)"
	"  WHERE done_at_source = 0;"
	"CREATE INDEX fetched_lost ON fetched(mailbox, uidvalidity,"
	"  CAST(uid AS INTEGER)) WHERE lost_at IS NOT NULL;"
	"CREATE INDEX fetched_uid ON fetched(mailbox, uidvalidity,"
	"  CAST(uid AS INTEGER));"
	"CREATE INDEX arrivals_held ON arrivals(mailbox)"
	"  WHERE quarantine_state = 'held';"
	"CREATE INDEX outbox_held_back ON outbox(id) WHERE held_back;"
	"CREATE INDEX cases_to_erase ON cases(closed_at)"
	"  WHERE state = 'closed' AND erased_at IS NULL;"
	"CREATE TABLE mailbox_counts ("
	"  mailbox TEXT PRIMARY KEY,"
	"  filed INTEGER NOT NULL DEFAULT 0,"
	"  uids INTEGER NOT NULL DEFAULT 0);"
	"INSERT INTO mailbox_counts (mailbox) SELECT mailbox FROM arrivals"
	"  UNION SELECT mailbox FROM fetched;"
	"UPDATE mailbox_counts SET"
	"  filed = (SELECT count(*) FROM arrivals a WHERE"
	"    a.mailbox = mailbox_counts.mailbox AND a.quarantine IS NULL AND"
	"    a.duplicate_of IS NULL),"
	"  uids = (SELECT count(*) FROM fetched f WHERE"
	"    f.mailbox = mailbox_counts.mailbox);"
	"CREATE TRIGGER arrivals_count_add AFTER INSERT ON arrivals"
	"  WHEN NEW.quarantine IS NULL AND NEW.duplicate_of IS NULL BEGIN"
	"  INSERT INTO mailbox_counts (mailbox, filed) VALUES (NEW.mailbox, 1)"
	"    ON CONFLICT (mailbox) DO UPDATE SET filed = filed + 1; END;"
	"CREATE TRIGGER arrivals_count_drop AFTER DELETE ON arrivals"
	"  WHEN OLD.quarantine IS NULL AND OLD.duplicate_of IS NULL BEGIN"
	"  UPDATE mailbox_counts SET filed = filed - 1"
	"    WHERE mailbox = OLD.mailbox; END;"
	"CREATE TRIGGER arrivals_count_set AFTER UPDATE OF mailbox, quarantine,"
	"  duplicate_of ON arrivals BEGIN"
	"  UPDATE mailbox_counts SET filed = filed - 1 WHERE"
	"    mailbox = OLD.mailbox AND OLD.quarantine IS NULL AND"
	"    OLD.duplicate_of IS NULL;"
	"  INSERT INTO mailbox_counts (mailbox, filed) SELECT NEW.mailbox, 1"
	"    WHERE NEW.quarantine IS NULL AND NEW.duplicate_of IS NULL"
	"    ON CONFLICT (mailbox) DO UPDATE SET filed = filed + 1; END;"
	"CREATE TRIGGER fetched_count_add AFTER INSERT ON fetched BEGIN"
	"  INSERT INTO mailbox_counts (mailbox, uids) VALUES (NEW.mailbox, 1)"
	"    ON CONFLICT (mailbox) DO UPDATE SET uids = uids + 1; END;"
	"CREATE TRIGGER fetched_count_drop AFTER DELETE ON fetched BEGIN"
	"  UPDATE mailbox_counts SET uids = uids - 1"
	"    WHERE mailbox = OLD.mailbox; END;",
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

/* ---- the generic helper: bind, step, read rows ---- */

struct store_row {
	sqlite3_stmt *stmt;
};

/*
 * Binds the arguments of ap to stmt as types says.  Arguments past the
 * statement's last parameter are read and left unbound, so that a table
 * of statements can share one argument list (report.c).
 */
static int
bind_args(sqlite3_stmt *stmt, const char *types, va_list ap)
{
	int n = sqlite3_bind_parameter_count(stmt);
	int rc = SQLITE_OK;

	for (int i = 0; types[i] != '\0' && rc == SQLITE_OK; i++) {
		gint64 iv;
		const char *tv;
		const void *bv;
		gsize len;

		switch (types[i]) {
		case 'i':
			iv = va_arg(ap, gint64);
			if (i < n)
				rc = sqlite3_bind_int64(stmt, i + 1, iv);
			break;
		case 't':
			tv = va_arg(ap, const char *);
			if (i < n && tv == NULL)
				rc = sqlite3_bind_null(stmt, i + 1);
			else if (i < n)
				rc = sqlite3_bind_text(stmt, i + 1, tv, -1,
						       SQLITE_TRANSIENT);
			break;
		case 'b':
			bv = va_arg(ap, const void *);
			len = va_arg(ap, gsize);
			if (i < n)
				rc = sqlite3_bind_blob64(stmt, i + 1, bv, len,
							 SQLITE_TRANSIENT);
			break;
		default:
			g_assert_not_reached();
		}
	}
	return rc;
}

/*
 * The one place a statement is prepared, bound, stepped and finalized.
 * A row reader that stops early leaves the rest unread: a RETURNING
 * statement has done all its work at the first step.
 */
static enum status
query_v(struct store *s, struct err *err, store_row_fn fn, gpointer data,
	const char *sql, const char *types, va_list ap)
{
	struct store_row row = { NULL };
	enum status st = ST_OK;
	int rc;

	if (sqlite3_prepare_v2(s->db, sql, -1, &row.stmt, NULL) != SQLITE_OK)
		return db_error(s, err, "prepare");
	if (bind_args(row.stmt, types, ap) != SQLITE_OK) {
		st = db_error(s, err, "bind");
		sqlite3_finalize(row.stmt);
		return st;
	}
	while ((rc = sqlite3_step(row.stmt)) == SQLITE_ROW)
		if (fn == NULL || !fn(&row, data))
			break;
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		st = db_error(s, err, "step");
	sqlite3_finalize(row.stmt);
	return st;
}

enum status
store_query(struct store *s, struct err *err, store_row_fn fn, gpointer data,
	    const char *sql, const char *types, ...)
{
	enum status st;
	va_list ap;

	va_start(ap, types);
	st = query_v(s, err, fn, data, sql, types, ap);
	va_end(ap);
	return st;
}

enum status
store_run(struct store *s, struct err *err, const char *sql,
	  const char *types, ...)
{
	enum status st;
	va_list ap;

	va_start(ap, types);
	st = query_v(s, err, NULL, NULL, sql, types, ap);
	va_end(ap);
	return st;
}

guint
store_changes(struct store *s)
{
	return (guint)sqlite3_changes(s->db);
}

gint64
store_last_id(struct store *s)
{
	return sqlite3_last_insert_rowid(s->db);
}

gint64
store_col_int(const struct store_row *row, int col)
{
	return sqlite3_column_int64(row->stmt, col);
}

const char *
store_col_text(const struct store_row *row, int col)
{
	return (const char *)sqlite3_column_text(row->stmt, col);
}

char *
store_col_dup(const struct store_row *row, int col)
{
	return g_strdup(store_col_text(row, col));
}

GBytes *
store_col_bytes(const struct store_row *row, int col)
{
	const void *p = sqlite3_column_blob(row->stmt, col);

	return g_bytes_new(p, (gsize)sqlite3_column_bytes(row->stmt, col));
}

gboolean
store_col_is_null(const struct store_row *row, int col)
{
	return sqlite3_column_type(row->stmt, col) == SQLITE_NULL;
}

gboolean
store_col_is_int(const struct store_row *row, int col)
{
	return sqlite3_column_type(row->stmt, col) == SQLITE_INTEGER;
}

int
store_col_count(const struct store_row *row)
{
	return sqlite3_column_count(row->stmt);
}

const char *
store_col_name(const struct store_row *row, int col)
{
	return sqlite3_column_name(row->stmt, col);
}

gboolean
store_read_int(const struct store_row *row, gpointer data)
{
	*(gint64 *)data = store_col_int(row, 0);
	return FALSE;
}

gboolean
store_read_text(const struct store_row *row, gpointer data)
{
	char **out = data;

	g_free(*out);
	*out = store_col_dup(row, 0);
	return FALSE;
}

gboolean
store_read_texts(const struct store_row *row, gpointer data)
{
	g_ptr_array_add(data, store_col_dup(row, 0));
	return TRUE;
}

sqlite3 *
store_sqlite(struct store *s)
{
	return s->db;
}

/* ---- opening, migrating, transactions ---- */

static char *
now_iso(void)
{
	g_autoptr(GDateTime) now = twtime_now();

	return twtime_iso(now);
}

static enum status
migrate(struct store *s, struct err *err)
{
	gint64 version = 0;
	enum status st;

	st = store_query(s, err, store_read_int, &version,
			 "PRAGMA user_version", "");
	if (st != ST_OK)
		return st;
	if (version > store_schema_version())
		return err_set(err, ST_FATAL, "database schema %d is newer "
			       "than this lamplight (%d)", (int)version,
			       store_schema_version());
	for (int v = (int)version; v < store_schema_version() && st == ST_OK;
	     v++) {
		g_autofree char *set =
			g_strdup_printf("PRAGMA user_version = %d", v + 1);

		st = store_begin(s, err);
		if (st == ST_OK)
			st = exec(s, migrations[v], err);
		if (st == ST_OK)
			st = exec(s, set, err);
		st = store_end(s, st, err);
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

/*
 * The database is private whatever the umask: made 0600 before SQLite
 * opens it (its -wal and -shm take its mode); one that others can read
 * is refused, naming the command that fixes it.
 */
static enum status
private_file(const char *path, struct err *err)
{
	struct stat sb;
	int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
		      0600);

	if (fd >= 0) {
		close(fd);
		return ST_OK;
	}
	if (errno != EEXIST)
		return err_io(err, ST_FATAL, "database: cannot create '%s'",
			      path);
	if (lstat(path, &sb) != 0)
		return err_io(err, ST_FATAL, "database: cannot stat '%s'",
			      path);
	if (S_ISREG(sb.st_mode) && (sb.st_mode & 077) != 0)
		return err_setup(err, "database '%s' can be read by others "
				 "(mode %04o); make it private: chmod 600 "
				 "'%s'", path, (unsigned)(sb.st_mode & 07777),
				 path);
	/* Opened read-only, SQLite would leave -wal and -shm files of the
	 * same mode behind, in the way once the mode is put right. */
	if (S_ISREG(sb.st_mode) &&
	    ((sb.st_mode & S_IWUSR) == 0 || access(path, W_OK) != 0))
		return err_setup(err, "database '%s' cannot be written (mode "
				 "%04o, owner uid %u): make it its owner's: "
				 "chmod 600 '%s'", path,
				 (unsigned)(sb.st_mode & 07777),
				 (unsigned)sb.st_uid, path);
	return ST_OK;
}

/* ---- sealing: the SQL functions seal(), unseal(), is_sealed() ---- */

/* The columns that hold personal data, sealed by the codec. */
static const struct {
	const char *table, *column;
	/* The trigger that keeps the table's rows as they are, lifted
	 * while store_seal_existing() seals them: its name and its
	 * making; or NULL. */
	const char *guard, *guard_sql;
} sealed_columns[] = {
	{ "cases", "subject", NULL, NULL },
	{ "cases", "reply_addr", NULL, NULL },
	/* Where a referrer's result goes (schema 8 on). */
	{ "cases", "referrer_addr", NULL, NULL },
	{ "case_notes", "text", NULL, NULL },
	{ "reasons", "match", NULL, NULL },
	{ "outbox", "data", NULL, NULL },
	/* What went wrong: a server's words may name the recipient. */
	{ "outbox", "last_error", NULL, NULL },
	/* Why something happened to a case: an address, a reason given. */
	{ "case_events", "why", "case_events_no_update",
	  CASE_EVENTS_NO_UPDATE },
	/* A writer's address on outbox mail: outbox_seal_existing(). */
};

static gboolean
value_sealed(sqlite3_value *v, const struct store_codec *codec)
{
	return sqlite3_value_type(v) == SQLITE_BLOB && codec->is_sealed &&
	       codec->is_sealed(sqlite3_value_blob(v),
				(gsize)sqlite3_value_bytes(v));
}

/* ctx's result: b's bytes, as a blob or as text; b is freed. */
static void
result_bytes(sqlite3_context *ctx, GBytes *b, gboolean blob)
{
	gsize len;
	const void *data = g_bytes_get_data(b, &len);

	if (blob)
		sqlite3_result_blob(ctx, data, (int)len, SQLITE_TRANSIENT);
	else
		sqlite3_result_text(ctx, data, (int)len, SQLITE_TRANSIENT);
	g_bytes_unref(b);
}

/* seal(value, column): a text or blob as the codec seals it for
 * column; NULL stays NULL.  No codec: an error, never the clear. */
static void
sql_seal(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	struct store *s = sqlite3_user_data(ctx);
	int type = sqlite3_value_type(argv[0]);
	const char *column = (const char *)sqlite3_value_text(argv[1]);
	const void *data;
	GBytes *sealed;
	gsize len;

	if (type == SQLITE_NULL) {
		sqlite3_result_null(ctx);
		return;
	}
	if (s->codec.seal == NULL) {
		sqlite3_result_error(ctx, "no data key to seal with", -1);
		return;
	}
	if (value_sealed(argv[0], &s->codec)) {
		sqlite3_result_value(ctx, argv[0]);
		return;
	}
	data = type == SQLITE_BLOB ? sqlite3_value_blob(argv[0])
				   : (const void *)sqlite3_value_text(argv[0]);
	len = (gsize)sqlite3_value_bytes(argv[0]);
	sealed = s->codec.seal(data, len, type == SQLITE_BLOB,
			       column != NULL ? column : "", s->codec.ctx);
	if (sealed == NULL) {
		sqlite3_result_error(ctx, "cannot seal", -1);
		return;
	}
	result_bytes(ctx, sealed, TRUE);
}

/* unseal(value, column): what seal() was given, text or blob; a value
 * from before sealing (or erased to '') as it is. */
static void
sql_unseal(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	struct store *s = sqlite3_user_data(ctx);
	const char *column = (const char *)sqlite3_value_text(argv[1]);
	gboolean blob = FALSE;
	GBytes *open;

	if (!value_sealed(argv[0], &s->codec)) {
		sqlite3_result_value(ctx, argv[0]);
		return;
	}
	if (s->codec.open == NULL) {
		sqlite3_result_error(ctx, "sealed: no data key to open it", -1);
		return;
	}
	open = s->codec.open(sqlite3_value_blob(argv[0]),
			     (gsize)sqlite3_value_bytes(argv[0]),
			     column != NULL ? column : "", &blob,
			     s->codec.ctx);
	if (open == NULL) {
		sqlite3_result_error(ctx, "sealed with another data key, or "
				     "tampered with", -1);
		return;
	}
	result_bytes(ctx, open, blob);
}

/* keyed(text): the codec's keyed hash of text; NULL stays NULL. */
static void
sql_keyed(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	struct store *s = sqlite3_user_data(ctx);
	const char *text = (const char *)sqlite3_value_text(argv[0]);
	char *hash;

	if (text == NULL) {
		sqlite3_result_null(ctx);
		return;
	}
	if (s->codec.keyed == NULL) {
		sqlite3_result_error(ctx, "no data key to hash with", -1);
		return;
	}
	hash = s->codec.keyed(text, s->codec.ctx);
	sqlite3_result_text(ctx, hash, -1, g_free);
}

static void
sql_is_sealed(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	struct store *s = sqlite3_user_data(ctx);

	sqlite3_result_int(ctx, value_sealed(argv[0], &s->codec));
}

static enum status
codec_functions(struct store *s, struct err *err)
{
	const int flags = SQLITE_UTF8 | SQLITE_DETERMINISTIC;

	if (sqlite3_create_function(s->db, "seal", 2, SQLITE_UTF8, s,
				    sql_seal, NULL, NULL) != SQLITE_OK ||
	    sqlite3_create_function(s->db, "unseal", 2, flags, s, sql_unseal,
				    NULL, NULL) != SQLITE_OK ||
	    sqlite3_create_function(s->db, "is_sealed", 1, flags, s,
				    sql_is_sealed, NULL, NULL) != SQLITE_OK ||
	    sqlite3_create_function(s->db, "keyed", 1, flags, s, sql_keyed,
				    NULL, NULL) != SQLITE_OK)
		return db_error(s, err, "sealing functions");
	return ST_OK;
}

void
store_set_codec(struct store *s, const struct store_codec *codec)
{
	if (s->codec.free != NULL)
		s->codec.free(s->codec.ctx);
	s->codec = *codec;
}

enum status
store_key_message_ids(struct store *s, struct err *err)
{
	return store_run(s, err, "UPDATE arrivals SET message_id = "
			 "keyed(message_id) WHERE message_id IS NOT NULL", "");
}

enum status
store_seal_existing(struct store *s, guint *sealed, struct err *err)
{
	enum status st = store_begin(s, err);

	*sealed = 0;
	for (size_t i = 0; st == ST_OK && i < G_N_ELEMENTS(sealed_columns);
	     i++) {
		const char *t = sealed_columns[i].table;
		const char *c = sealed_columns[i].column;
		const char *guard = sealed_columns[i].guard;
		g_autofree char *sql = g_strdup_printf(
			"UPDATE %s SET %s = seal(%s, '%s.%s') WHERE %s IS NOT "
			"NULL AND %s <> '' AND NOT is_sealed(%s)",
			t, c, c, t, c, c, c, c);
		g_autofree char *lift =
			guard != NULL ? g_strconcat("DROP TRIGGER ", guard, NULL)
				      : NULL;

		if (lift != NULL)
			st = exec(s, lift, err);
		if (st == ST_OK)
			st = exec(s, sql, err);
		if (st == ST_OK)
			*sealed += (guint)sqlite3_changes(s->db);
		if (st == ST_OK && guard != NULL)
			st = exec(s, sealed_columns[i].guard_sql, err);
	}
	st = store_end(s, st, err);
	return st;
}

enum status
store_open(const char *path, struct store **out, struct err *err)
{
	struct store *s = g_new0(struct store, 1);
	gboolean wal = FALSE;
	enum status st;

	s->path = g_strdup(path);
	st = private_file(path, err);
	if (st != ST_OK) {
		store_close(s);
		return st;
	}
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
		st = codec_functions(s, err);
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
	if (s->codec.free != NULL)
		s->codec.free(s->codec.ctx);
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

enum status
store_end(struct store *s, enum status st, struct err *err)
{
	if (st == ST_OK)
		return store_commit(s, err);
	store_rollback(s);
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


/* ---- what was fetched from each mailbox ---- */

enum status
store_mailbox_known(struct store *s, const char *mailbox, gboolean *known,
		    struct err *err)
{
	gint64 n = 0;
	enum status st = store_query(
		s, err, store_read_int, &n,
		"SELECT EXISTS (SELECT 1 FROM fetched WHERE mailbox = ?1) OR "
		"EXISTS (SELECT 1 FROM mailbox_runs WHERE mailbox = ?1 AND "
		"error IS NULL)", "t", mailbox);

	*known = n != 0;
	return st;
}

enum status
store_fetched_has(struct store *s, const char *mailbox, guint32 uidvalidity,
		  const char *uid, gboolean *has, struct err *err)
{
	gint64 one = 0;
	enum status st;

	st = store_query(s, err, store_read_int, &one,
			 "SELECT 1 FROM fetched f WHERE mailbox = ? AND "
			 "uidvalidity = ? AND uid = ? AND (lost_at IS NULL OR "
			 "EXISTS (SELECT 1 FROM arrivals a WHERE "
			 "a.spool_name = f.spool_name))",
			 "tit", mailbox, (gint64)uidvalidity, uid);
	if (st == ST_OK)
		*has = one == 1;
	return st;
}

enum status
store_fetched_add(struct store *s, const char *mailbox, guint32 uidvalidity,
		  const char *uid, const char *spool_name, struct err *err)
{
	g_autofree char *now = now_iso();

	return store_run(s, err,
			 "INSERT INTO fetched (mailbox, uidvalidity, uid, "
			 "spool_name, fetched_at) VALUES (?, ?, ?, ?, ?) "
			 "ON CONFLICT DO UPDATE SET spool_name = "
			 "excluded.spool_name, fetched_at = excluded.fetched_at, "
			 "lost_at = NULL WHERE lost_at IS NOT NULL",
			 "tittt", mailbox, (gint64)uidvalidity, uid,
			 spool_name, now);
}

enum status
store_fetched_pending(struct store *s, const char *mailbox,
		      guint32 uidvalidity, GPtrArray **out, struct err *err)
{
	GPtrArray *uids = g_ptr_array_new_with_free_func(g_free);
	enum status st;

	st = store_query(s, err, store_read_texts, uids,
			 "SELECT f.uid FROM fetched f JOIN arrivals a "
			 "ON a.spool_name = f.spool_name WHERE f.mailbox = ? "
			 "AND f.uidvalidity = ? AND f.done_at_source = 0 "
			 "ORDER BY f.rowid",
			 "ti", mailbox, (gint64)uidvalidity);
	if (st != ST_OK) {
		g_ptr_array_free(uids, TRUE);
		return st;
	}
	*out = uids;
	return ST_OK;
}

enum status
store_fetched_done(struct store *s, const char *mailbox, guint32 uidvalidity,
		   const char *uid, struct err *err)
{
	return store_run(s, err,
			 "UPDATE fetched SET done_at_source = 1 WHERE "
			 "mailbox = ? AND uidvalidity = ? AND uid = ?",
			 "tit", mailbox, (gint64)uidvalidity, uid);
}

/* Reads (uid, spool_name) rows into two arrays (data: GPtrArray *[2]). */
static gboolean
read_uid_and_name(const struct store_row *row, gpointer data)
{
	GPtrArray **two = data;

	g_ptr_array_add(two[0], store_col_dup(row, 0));
	g_ptr_array_add(two[1], store_col_dup(row, 1));
	return TRUE;
}

enum status
store_fetched_unfiled(struct store *s, const char *mailbox,
		      guint32 uidvalidity, GPtrArray **uids,
		      GPtrArray **names, struct err *err)
{
	GPtrArray *two[2] = { g_ptr_array_new_with_free_func(g_free),
			      g_ptr_array_new_with_free_func(g_free) };
	enum status st;

	st = store_query(s, err, read_uid_and_name, two,
			 "SELECT f.uid, f.spool_name FROM fetched f WHERE "
			 "f.mailbox = ? AND f.uidvalidity = ? AND "
			 "f.done_at_source = 0 AND f.lost_at IS NULL AND NOT "
			 "EXISTS (SELECT 1 FROM arrivals a WHERE a.spool_name "
			 "= f.spool_name) ORDER BY f.rowid",
			 "ti", mailbox, (gint64)uidvalidity);
	if (st != ST_OK) {
		g_ptr_array_unref(two[0]);
		g_ptr_array_unref(two[1]);
		return st;
	}
	*uids = two[0];
	*names = two[1];
	return ST_OK;
}

enum status
store_fetched_lost(struct store *s, const char *mailbox, guint32 uidvalidity,
		   const char *uid, struct err *err)
{
	g_autofree char *now = now_iso();

	return store_run(s, err,
			 "UPDATE fetched SET lost_at = ? WHERE mailbox = ? AND "
			 "uidvalidity = ? AND uid = ?",
			 "ttit", now, mailbox, (gint64)uidvalidity, uid);
}

enum status
store_fetched_min_lost(struct store *s, const char *mailbox,
		       guint32 uidvalidity, guint32 *out, struct err *err)
{
	gint64 min = 0;
	enum status st;

	/* By the index of the lost: left to itself SQLite may walk every
	 * uid in order (fetched_uid) looking for one that is lost. */
	st = store_query(s, err, store_read_int, &min,
			 "SELECT min(CAST(uid AS INTEGER)) FROM fetched "
			 "INDEXED BY fetched_lost "
			 "WHERE mailbox = ? AND uidvalidity = ? AND "
			 "lost_at IS NOT NULL",
			 "ti", mailbox, (gint64)uidvalidity);
	*out = st == ST_OK ? (guint32)MAX(min, 0) : 0;
	return st;
}

static gboolean
read_lost(const struct store_row *row, gpointer data)
{
	struct store_lost l = {
		.mailbox = store_col_dup(row, 0),
		.uid = store_col_dup(row, 1),
		.since = store_col_dup(row, 2),
	};

	g_array_append_val(data, l);
	return TRUE;
}

static void
lost_clear(gpointer p)
{
	struct store_lost *l = p;

	g_free(l->mailbox);
	g_free(l->uid);
	g_free(l->since);
}

enum status
store_fetched_lost_list(struct store *s, GArray **out, struct err *err)
{
	GArray *a = g_array_new(FALSE, TRUE, sizeof(struct store_lost));
	enum status st;

	g_array_set_clear_func(a, lost_clear);
	st = store_query(s, err, read_lost, a,
			 "SELECT mailbox, uid, lost_at FROM fetched f WHERE "
			 "lost_at IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "
			 "arrivals a WHERE a.spool_name = f.spool_name) "
			 "ORDER BY mailbox, rowid", "");
	if (st != ST_OK) {
		g_array_unref(a);
		return st;
	}
	*out = a;
	return ST_OK;
}

enum status
store_fetched_forget(struct store *s, const char *mailbox, const char *uid,
		     gboolean *found, struct err *err)
{
	enum status st = store_run(s, err,
				   "DELETE FROM fetched WHERE mailbox = ? AND "
				   "uid = ? AND lost_at IS NOT NULL",
				   "tt", mailbox, uid);

	*found = st == ST_OK && store_changes(s) > 0;
	return st;
}

enum status
store_fetched_max_uid(struct store *s, const char *mailbox,
		      guint32 uidvalidity, guint32 *out, struct err *err)
{
	gint64 max = 0;
	enum status st;

	st = store_query(s, err, store_read_int, &max,
			 "SELECT max(CAST(uid AS INTEGER)) FROM fetched "
			 "WHERE mailbox = ? AND uidvalidity = ?",
			 "ti", mailbox, (gint64)uidvalidity);
	*out = st == ST_OK ? (guint32)max : 0;
	return st;
}

/* ---- arrivals and cases ---- */

enum status
store_arrival_filed(struct store *s, const char *spool_name, gboolean *filed,
		    struct err *err)
{
	gint64 one = 0;
	enum status st;

	st = store_query(s, err, store_read_int, &one,
			 "SELECT 1 FROM arrivals WHERE spool_name = ?",
			 "t", spool_name);
	if (st == ST_OK)
		*filed = one == 1;
	return st;
}

enum status
store_arrival_set_sender(struct store *s, gint64 id, const char *sender,
			 struct err *err)
{
	return store_run(s, err, "UPDATE arrivals SET sender = ? WHERE id = ?",
			 "ti", sender, id);
}

/* What a flood count reads: the rows, and the id of the limit-th. */
struct flood_read {
	gint64 n, limit, limit_id, emergencies_after;
};

static gboolean
read_flood(const struct store_row *row, gpointer data)
{
	struct flood_read *r = data;

	r->n++;
	if (r->n == r->limit)
		r->limit_id = store_col_int(row, 0);
	if (r->limit_id != 0 && store_col_int(row, 0) > r->limit_id &&
	    g_strcmp0(store_col_text(row, 1), "emergency") == 0)
		r->emergencies_after++;
	return TRUE;
}

enum status
store_arrivals_since(struct store *s, const char *county, const char *sender,
		     const char *since, gint64 limit, struct store_flood *out,
		     struct err *err)
{
	struct flood_read r = { .limit = limit };
	enum status st;

	memset(out, 0, sizeof *out);
	st = store_query(s, err, read_flood, &r,
			 "SELECT id, urgency FROM arrivals WHERE county = ?1 "
			 "AND (?2 IS NULL OR sender = ?2) AND received_at >= ?3 "
			 "AND quarantine IS NULL ORDER BY id",
			 "ttt", county, sender, since);
	out->n = r.n;
	out->emergencies_beyond = r.emergencies_after;
	return st;
}

enum status
store_arrival_on_case(struct store *s, gint64 id, gint64 case_id,
		      struct err *err)
{
	return store_run(s, err, "UPDATE arrivals SET case_id = ? WHERE id = ?",
			 "ii", case_id, id);
}

enum status
store_arrival_add(struct store *s, const struct arrival *a, gint64 *id,
		  gint64 *dup_of, struct err *err)
{
	g_autofree char *now = now_iso();
	enum status st;

	/* The key: mailbox, Message-ID (maybe none) and body hash.  A
	 * quarantined copy is a duplicate of a quarantined first. */
	*dup_of = 0;
	st = store_query(s, err, store_read_int, dup_of,
			 "SELECT id FROM arrivals WHERE mailbox = ? AND "
			 "message_id IS keyed(?) AND body_hash = ? AND "
			 "duplicate_of IS NULL AND "
			 "(quarantine IS NULL) = (? IS NULL) AND "
			 "coalesce(quarantine_state, 'held') = 'held' "
			 "ORDER BY id LIMIT 1",
			 "tttt", a->mailbox, a->message_id, a->body_hash,
			 a->quarantine);
	if (st == ST_OK)
		st = store_run(s, err,
			       "INSERT INTO arrivals (spool_name, mailbox, "
			       "message_id, body_hash, kind, county, urgency, "
			       "quarantine, received_at, duplicate_of, "
			       "quarantine_state) VALUES "
			       "(?, ?, keyed(?), ?, ?, ?, ?, ?, ?, nullif(?, 0), "
			       "?)",
			       "tttttttttit", a->spool_name, a->mailbox,
			       a->message_id, a->body_hash, a->kind,
			       a->county, a->urgency, a->quarantine, now,
			       *dup_of,
			       a->quarantine != NULL && *dup_of == 0 ? "held"
								    : NULL);
	if (st == ST_OK)
		*id = store_last_id(s);
	return st;
}

/* ---- quarantine ---- */

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

static gboolean
read_quarantined(const struct store_row *row, gpointer data)
{
	struct quarantined *q = g_new0(struct quarantined, 1);

	q->id = store_col_int(row, 0);
	q->spool_name = store_col_dup(row, 1);
	q->mailbox = store_col_dup(row, 2);
	q->reason = store_col_dup(row, 3);
	q->state = store_col_dup(row, 4);
	q->received_at = store_col_dup(row, 5);
	g_ptr_array_add(data, q);
	return TRUE;
}

#define QUARANTINE_COLUMNS \
	"id, spool_name, mailbox, quarantine, quarantine_state, received_at"

enum status
store_quarantine_list(struct store *s, gboolean all, GPtrArray **out,
		      struct err *err)
{
	GPtrArray *list = g_ptr_array_new_with_free_func(
		(GDestroyNotify)quarantined_free);
	enum status st;

	st = store_query(s, err, read_quarantined, list,
			 "SELECT " QUARANTINE_COLUMNS " FROM arrivals WHERE "
			 "quarantine_state IS NOT NULL AND (? OR "
			 "quarantine_state = 'held') ORDER BY id",
			 "i", (gint64)all);
	if (st != ST_OK) {
		g_ptr_array_free(list, TRUE);
		return st;
	}
	*out = list;
	return ST_OK;
}

enum status
store_quarantine_get(struct store *s, gint64 id, struct quarantined **out,
		     struct err *err)
{
	g_autoptr(GPtrArray) one = g_ptr_array_new_with_free_func(
		(GDestroyNotify)quarantined_free);
	enum status st;

	*out = NULL;
	st = store_query(s, err, read_quarantined, one,
			 "SELECT " QUARANTINE_COLUMNS " FROM arrivals WHERE "
			 "id = ? AND quarantine_state IS NOT NULL", "i", id);
	if (st == ST_OK && one->len > 0)
		*out = g_ptr_array_steal_index(one, 0);
	return st;
}

enum status
store_quarantine_set(struct store *s, gint64 id, const char *state,
		     struct err *err)
{
	enum status st;

	st = store_run(s, err,
		       "UPDATE arrivals SET quarantine_state = ? WHERE id = ? "
		       "AND quarantine_state = 'held'", "ti", state, id);
	if (st == ST_OK && store_changes(s) == 0)
		return err_set(err, ST_FATAL, "quarantined message %lld is not "
			       "held", (long long)id);
	return st;
}

/* ---- mailbox health ---- */

enum status
store_mailbox_run_add(struct store *s, const struct mailbox_run *mr,
		      struct err *err)
{
	return store_run(s, err,
			 "INSERT INTO mailbox_runs (mailbox, started_at, "
			 "finished_at, uidvalidity, listed, fetched, "
			 "left_on_server, last_uid, error) "
			 "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
			 "tttiiiitt", mr->mailbox, mr->started_at,
			 mr->finished_at, (gint64)mr->uidvalidity,
			 (gint64)mr->listed, (gint64)mr->fetched,
			 (gint64)mr->left_on_server, mr->last_uid, mr->error);
}

void
mailbox_health_done(struct mailbox_health *h)
{
	g_free(h->finished_at);
	g_free(h->last_ok);
	g_free(h->last_uid);
	g_free(h->error);
	memset(h, 0, sizeof *h);
}

static gboolean
read_last_run(const struct store_row *row, gpointer data)
{
	struct mailbox_health *h = data;

	h->finished_at = store_col_dup(row, 0);
	h->last_uid = store_col_dup(row, 1);
	h->error = store_col_dup(row, 2);
	h->listed = store_col_int(row, 3);
	h->fetched = store_col_int(row, 4);
	h->left_on_server = store_col_int(row, 5);
	h->day_old = store_col_int(row, 6) == 1;
	return FALSE;
}

static gboolean
read_counts(const struct store_row *row, gpointer data)
{
	struct mailbox_health *h = data;

	h->filed = store_col_int(row, 0);
	h->uids = store_col_int(row, 1);
	return FALSE;
}

enum status
store_mailbox_health(struct store *s, const char *mailbox,
		     struct mailbox_health *out, struct err *err)
{
	enum status st;

	memset(out, 0, sizeof *out);
	st = store_query(s, err, read_last_run, out,
			 "SELECT finished_at, last_uid, error, listed, "
			 "fetched, left_on_server, julianday('now') - "
			 "julianday(finished_at) > 1 FROM mailbox_runs "
			 "WHERE mailbox = ? ORDER BY id DESC LIMIT 1",
			 "t", mailbox);
	/* Kept counted (schema 11): not counted again over the years. */
	if (st == ST_OK)
		st = store_query(s, err, read_counts, out,
				 "SELECT filed, uids FROM mailbox_counts "
				 "WHERE mailbox = ?", "t", mailbox);
	if (st == ST_OK)
		st = store_query(s, err, store_read_int, &out->quarantined,
				 "SELECT count(*) FROM arrivals WHERE "
				 "mailbox = ? AND quarantine_state = 'held'",
				 "t", mailbox);
	if (st == ST_OK)
		st = store_query(s, err, store_read_text, &out->last_ok,
				 "SELECT finished_at FROM mailbox_runs WHERE "
				 "mailbox = ? AND error IS NULL ORDER BY id "
				 "DESC LIMIT 1", "t", mailbox);
	if (st != ST_OK)
		mailbox_health_done(out);
	return st;
}

enum status
store_quarantine_held(struct store *s, gint64 *n, struct err *err)
{
	*n = 0;
	return store_query(s, err, store_read_int, n,
			   "SELECT count(*) FROM arrivals WHERE "
			   "quarantine_state = 'held'", "");
}
