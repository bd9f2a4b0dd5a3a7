/*
 * The register: schema, case numbers in Taiwan time and the ROC calendar,
 * de-duplication of arrivals, fetch state, and the one helper that
 * binds, steps and reads rows.
 */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "testutil.h"
#include "testvault.h"
#include "testhistory.h"

#include "cases.h"
#include "store.h"
#include "twtime.h"

struct fx {
	char *dir;
	struct store *s;
};

static int
setup(void **state)
{
	struct fx *f = g_new0(struct fx, 1);
	g_autofree char *db = NULL;
	struct err err = { 0 };

	f->dir = scratch_new();
	db = g_build_filename(f->dir, "t.db", NULL);
	if (store_open(db, &f->s, &err) != ST_OK || !test_seal(f->s, f->dir))
		return -1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	store_close(f->s);
	scratch_remove(f->dir);
	g_free(f->dir);
	g_free(f);
	return 0;
}

static gint64
add_arrival(struct store *s, const char *spool, const char *mbox,
	    const char *mid, const char *hash, gint64 *dup)
{
	struct arrival a = { .spool_name = spool, .mailbox = mbox,
			     .message_id = mid, .body_hash = hash,
			     .kind = "help_request" };
	struct err err = { 0 };
	gint64 id = 0;

	assert_int_equal(store_begin(s, &err), ST_OK);
	assert_int_equal(store_arrival_add(s, &a, &id, dup, &err), ST_OK);
	assert_int_equal(store_commit(s, &err), ST_OK);
	return id;
}

static void
test_dedup_key(void **state)
{
	struct fx *f = *state;
	gint64 dup, first;
	gboolean filed;
	struct err err = { 0 };

	first = add_arrival(f->s, "s1", "tpe", "m1@x", "h1", &dup);
	assert_int_equal(dup, 0);
	/* The same letter fetched again: a duplicate of the first. */
	add_arrival(f->s, "s2", "tpe", "m1@x", "h1", &dup);
	assert_int_equal(dup, first);
	/* A reused Message-ID with another body is another letter. */
	add_arrival(f->s, "s3", "tpe", "m1@x", "h2", &dup);
	assert_int_equal(dup, 0);
	/* No Message-ID: the body decides. */
	first = add_arrival(f->s, "s4", "tpe", NULL, "h3", &dup);
	assert_int_equal(dup, 0);
	add_arrival(f->s, "s5", "tpe", NULL, "h3", &dup);
	assert_int_equal(dup, first);
	/* The same letter to another centre's mailbox is its own arrival. */
	add_arrival(f->s, "s6", "khh", "m1@x", "h1", &dup);
	assert_int_equal(dup, 0);

	assert_int_equal(store_arrival_filed(f->s, "s2", &filed, &err), ST_OK);
	assert_true(filed);
	assert_int_equal(store_arrival_filed(f->s, "nope", &filed, &err),
			 ST_OK);
	assert_false(filed);
}

static char *
open_case(struct store *s, const char *county, const char *now_iso)
{
	g_autoptr(GDateTime) now = g_date_time_new_from_iso8601(now_iso, NULL);
	g_autofree char *spool = g_strdup_printf("c%d", g_random_int());
	struct case_new c = { .county = county, .urgency = "application",
			      .source = "webform", .subject = "s" };
	struct err err = { 0 };
	gint64 dup, id;
	char *number = NULL;

	c.arrival_id = add_arrival(s, spool, "x", spool, "h", &dup);
	assert_int_equal(store_begin(s, &err), ST_OK);
	assert_int_equal(cases_add(s, &c, now, &id, &number, &err), ST_OK);
	assert_int_equal(store_commit(s, &err), ST_OK);
	return number;
}

static void
test_case_numbers(void **state)
{
	struct fx *f = *state;
	static const struct {
		const char *county, *now, *number;
	} t[] = {
		{ "TPE", "2026-11-03T09:00:00+08:00", "TPE-1151103-0001" },
		{ "TPE", "2026-11-03T18:00:00+08:00", "TPE-1151103-0002" },
		{ "KHH", "2026-11-03T18:00:00+08:00", "KHH-1151103-0001" },
		/* 16:30 UTC is already the next day in Taipei. */
		{ "TPE", "2026-11-03T16:30:00Z", "TPE-1151104-0001" },
		/* And 23:59 on the 3rd in Taipei is still the 3rd. */
		{ "TPE", "2026-11-03T15:59:00Z", "TPE-1151103-0003" },
		/* ROC years before 100 keep three digits. */
		{ "HUA", "2010-01-05T10:00:00+08:00", "HUA-0990105-0001" },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(t); i++) {
		g_autofree char *n = open_case(f->s, t[i].county, t[i].now);

		assert_string_equal(n, t[i].number);
	}
}

static void
test_fetched_state(void **state)
{
	struct fx *f = *state;
	g_autoptr(GPtrArray) pending = NULL;
	struct err err = { 0 };
	gboolean has;
	guint32 max;
	gint64 dup;

	assert_int_equal(store_fetched_add(f->s, "tpe", 7, "3", "sp3", &err),
			 ST_OK);
	assert_int_equal(store_fetched_add(f->s, "tpe", 7, "12", "sp12", &err),
			 ST_OK);
	assert_int_equal(store_fetched_has(f->s, "tpe", 7, "3", &has, &err),
			 ST_OK);
	assert_true(has);
	/* Another UIDVALIDITY is another mailbox generation. */
	assert_int_equal(store_fetched_has(f->s, "tpe", 8, "3", &has, &err),
			 ST_OK);
	assert_false(has);
	assert_int_equal(store_fetched_max_uid(f->s, "tpe", 7, &max, &err),
			 ST_OK);
	assert_int_equal(max, 12);

	/* Only filed messages are pending at the source. */
	add_arrival(f->s, "sp12", "tpe", "m12", "h", &dup);
	assert_int_equal(store_fetched_pending(f->s, "tpe", 7, &pending, &err),
			 ST_OK);
	assert_int_equal(pending->len, 1);
	assert_string_equal(pending->pdata[0], "12");
	assert_int_equal(store_fetched_done(f->s, "tpe", 7, "12", &err), ST_OK);
	g_ptr_array_free(pending, TRUE);
	assert_int_equal(store_fetched_pending(f->s, "tpe", 7, &pending, &err),
			 ST_OK);
	assert_int_equal(pending->len, 0);
}

/* The helper binds each type, hands rows to a reader, and stops when
 * the reader says so. */
struct seen {
	GString *text;
	int rows;
};

static gboolean
read_all(const struct store_row *row, gpointer data)
{
	struct seen *v = data;

	assert_int_equal(store_col_count(row), 4);
	assert_string_equal(store_col_name(row, 0), "n");
	assert_true(store_col_is_int(row, 0));
	g_string_append_printf(v->text, "%lld|%s|", (long long)
			       store_col_int(row, 0),
			       store_col_is_null(row, 1)
				       ? "NULL" : store_col_text(row, 1));
	{
		g_autoptr(GBytes) b = store_col_bytes(row, 2);
		g_autofree char *t = store_col_dup(row, 3);
		gsize len = 0;
		const char *p = g_bytes_get_data(b, &len);

		g_string_append_len(v->text, p, (gssize)len);
		g_string_append_printf(v->text, "|%s;", t ? t : "NULL");
	}
	return ++v->rows < 2;	/* read two rows, then stop */
}

static void
test_helper_binds_and_reads(void **state)
{
	struct fx *f = *state;
	struct seen v = { g_string_new(NULL), 0 };
	g_autoptr(GPtrArray) texts = g_ptr_array_new_with_free_func(g_free);
	g_autofree char *text = NULL;
	struct err err = { 0 };
	gint64 n = 0;

	assert_int_equal(store_run(f->s, &err, "CREATE TEMP TABLE t (n "
				   "INTEGER, s TEXT, b BLOB, u TEXT)", ""),
			 ST_OK);
	for (gint64 i = 1; i <= 3; i++)
		assert_int_equal(store_run(f->s, &err, "INSERT INTO t VALUES "
					   "(?, ?, ?, ?)", "itbt", i,
					   i == 2 ? NULL : "a’b",
					   (const void *)"x\0y", (gsize)3,
					   i == 3 ? "z" : NULL),
				 ST_OK);
	assert_int_equal(store_last_id(f->s), 3);
	assert_int_equal(store_run(f->s, &err, "UPDATE t SET u = 'w' WHERE "
				   "n > ?", "i", (gint64)1), ST_OK);
	assert_int_equal(store_changes(f->s), 2);
	assert_int_equal(store_query(f->s, &err, read_all, &v, "SELECT n, s, "
				     "b, u FROM t ORDER BY n", ""), ST_OK);
	assert_int_equal(v.rows, 2);
	assert_memory_equal(v.text->str, "1|a’b|x\0y|NULL;"
			    "2|NULL|x\0y|w;", v.text->len);
	g_string_free(v.text, TRUE);
	/* The readers; arguments past the last parameter are left alone. */
	assert_int_equal(store_query(f->s, &err, store_read_int, &n,
				     "SELECT count(*) FROM t WHERE n >= ?1",
				     "itt", (gint64)2, "unused", NULL), ST_OK);
	assert_int_equal(n, 2);
	assert_int_equal(store_query(f->s, &err, store_read_text, &text,
				     "SELECT u FROM t WHERE n = 3", ""), ST_OK);
	assert_string_equal(text, "w");
	assert_int_equal(store_query(f->s, &err, store_read_texts, texts,
				     "SELECT n FROM t ORDER BY n DESC", ""),
			 ST_OK);
	assert_int_equal(texts->len, 3);
	assert_string_equal(texts->pdata[0], "3");
}

/* Every error of the database comes back: none is a quiet -1. */
static void
test_helper_passes_errors_up(void **state)
{
	struct fx *f = *state;
	struct err err = { 0 };
	gint64 n = -1;

	assert_int_equal(store_query(f->s, &err, store_read_int, &n,
				     "SELECT count(*) FROM nosuch", ""),
			 ST_FATAL);
	assert_non_null(strstr(err.msg, "no such table: nosuch"));
	assert_int_equal(n, -1);
	err_clear(&err);
	assert_int_equal(store_run(f->s, &err, "INSERT INTO cases (id) "
				   "VALUES (1)", ""), ST_FATAL);
	assert_non_null(strstr(err.msg, "NOT NULL"));
	err_clear(&err);
	/* A trigger at step: the audit trail is append-only. */
	assert_int_equal(store_run(f->s, &err, "INSERT INTO cases (id, "
				   "number, county, urgency, source, "
				   "created_at) VALUES (1, 'TPE-1150101-0001', "
				   "'TPE', 'normal', 'direct', '2026-01-01')",
				   ""), ST_OK);
	assert_int_equal(store_run(f->s, &err, "INSERT INTO case_events "
				   "(case_id, at, who, what) VALUES (1, "
				   "'2026-01-01', 'x', 'y')", ""), ST_OK);
	assert_int_equal(store_run(f->s, &err, "DELETE FROM case_events", ""),
			 ST_FATAL);
	assert_non_null(strstr(err.msg, "append-only"));
}

/* A second connection holding the write lock: busy is ST_TEMP. */
static void
test_helper_busy_is_temporary(void **state)
{
	struct fx *f = *state;
	g_autofree char *db = g_build_filename(f->dir, "t.db", NULL);
	struct store *other = NULL;
	struct err err = { 0 };

	store_set_busy_timeout(0);
	assert_int_equal(store_open(db, &other, &err), ST_OK);
	assert_int_equal(store_begin(f->s, &err), ST_OK);
	assert_int_equal(store_run(f->s, &err, "INSERT INTO case_seq VALUES "
				   "('TPE', '1150101', 1)", ""), ST_OK);
	assert_int_equal(store_begin(other, &err), ST_TEMP);
	assert_non_null(strstr(err.msg, "locked"));
	store_rollback(f->s);
	store_close(other);
	store_set_busy_timeout(10);
}

static void
test_reopen_keeps_schema(void **state)
{
	struct fx *f = *state;
	g_autofree char *db = g_build_filename(f->dir, "t.db", NULL);
	g_autofree char *out = NULL;
	g_autofree char *cmd = NULL;
	struct err err = { 0 };

	store_close(f->s);
	assert_int_equal(store_open(db, &f->s, &err), ST_OK);
	cmd = g_strdup_printf("sqlite3 '%s' 'PRAGMA user_version; PRAGMA "
			      "journal_mode'", db);
	assert_true(g_spawn_command_line_sync(cmd, &out, NULL, NULL, NULL));
	g_autofree char *want = g_strdup_printf("%d\nwal\n", store_schema_version());

	assert_string_equal(out, want);
}

/* A database of schema 1 with mail in its outbox opens as the newest,
 * its rows kept. */
static void
test_migrates_old_schema(void **state)
{
	g_autofree char *dir = scratch_new();
	g_autofree char *db = g_build_filename(dir, "old.db", NULL);
	struct store *s = NULL;
	struct err err = { 0 };
	sqlite3 *raw;
	gint64 n = -1;
	sqlite3_stmt *st;

	assert_int_equal(sqlite3_open(db, &raw), SQLITE_OK);
	assert_int_equal(sqlite3_exec(raw, store_migration_sql(1), NULL, NULL,
				      NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_exec(raw,
				      "PRAGMA user_version = 1;"
				      "INSERT INTO outbox (kind, priority, "
				      "message_id, env_from, rcpt, data, state, "
				      "next_at, created_at) VALUES ('ack', 5, "
				      "'m1@x', 'a@x', 'b@x', 'DATA', 'failed', "
				      "'2026-01-01', '2026-01-01');"
				      /* Counted by schema 11: one filed and
				       * its copy, two uids. */
				      "INSERT INTO fetched (mailbox, "
				      "uidvalidity, uid, spool_name, "
				      "fetched_at) VALUES ('tpe', 1, '5', "
				      "'s5', 'x'), ('tpe', 1, '6', 's6', 'x');"
				      "INSERT INTO arrivals (id, spool_name, "
				      "mailbox, body_hash, kind, received_at, "
				      "duplicate_of) VALUES (1, 's5', 'tpe', "
				      "'b', 'seeker', 'x', NULL), (2, 's6', "
				      "'tpe', 'b', 'seeker', 'x', 1);",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(raw);
	/* Made by sqlite3 under the test's umask: private, as lamplight
	 * asks. */
	assert_int_equal(chmod(db, 0600), 0);
	assert_int_equal(store_open(db, &s, &err), ST_OK);
	sqlite3_prepare_v2(store_sqlite(s),
			   "SELECT (SELECT count(*) FROM outbox WHERE state = "
			   "'failed' AND message_id = 'm1@x') * 100 + "
			   "(SELECT user_version FROM pragma_user_version) + "
			   "(SELECT filed * 10000 + uids * 1000 FROM "
			   "mailbox_counts WHERE mailbox = 'tpe')",
			   -1, &st, NULL);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	assert_int_equal(n, 10000 + 2000 + 100 + store_schema_version());
	/* The new states are allowed now. */
	assert_int_equal(sqlite3_exec(store_sqlite(s),
				      "UPDATE outbox SET state = 'bounced'",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	store_close(s);
	scratch_remove(dir);
}

/* The database is private whatever the umask; one others can read is
 * refused, naming the fix. */
static void
test_private_whatever_the_umask(void **state)
{
	struct fx *f = *state;
	g_autofree char *db = g_build_filename(f->dir, "u.db", NULL);
	g_autofree char *wal = g_strconcat(db, "-wal", NULL);
	struct store *s = NULL;
	struct err err = { 0 };
	struct stat sb;
	mode_t old = umask(022);

	assert_int_equal(store_open(db, &s, &err), ST_OK);
	assert_int_equal(store_run(s, &err, "INSERT INTO cases (number, "
				   "county, urgency, source, created_at) VALUES "
				   "('x', 'TPE', 'consultation', 'direct', "
				   "'2026-12-01T10:00:00+08:00')", ""),
			 ST_OK);
	assert_int_equal(stat(db, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_int_equal(stat(wal, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	store_close(s);
	s = NULL;
	umask(old);

	assert_int_equal(chmod(db, 0644), 0);
	assert_int_equal(store_open(db, &s, &err), ST_FATAL);
	assert_null(s);
	assert_non_null(strstr(err.msg, "chmod 600"));
}

/* Pages of what every run asks of a mailbox: the uids to mark at the
 * source, those not filed, the lowest lost, the highest fetched. */
static int
fetched_pages(struct fx *f)
{
	g_autoptr(GPtrArray) pending = NULL, uids = NULL, names = NULL;
	struct err err = { 0 };
	guint32 n;

	(void)test_pages_read(f->s);
	assert_int_equal(store_fetched_pending(f->s, "tpe", 1, &pending, &err),
			 ST_OK);
	assert_int_equal(store_fetched_unfiled(f->s, "tpe", 1, &uids, &names,
					       &err),
			 ST_OK);
	assert_int_equal(store_fetched_min_lost(f->s, "tpe", 1, &n, &err),
			 ST_OK);
	assert_int_equal(store_fetched_max_uid(f->s, "tpe", 1, &n, &err),
			 ST_OK);
	return test_pages_read(f->s);
}

/* They are read from indexes of what is pending: 4,000 more letters
 * fetched, filed and marked add nothing to what a run reads. */
static void
test_fetched_history_not_read(void **state)
{
	struct fx *f = *state;
	int week, years;

	test_history_add(f->s, 1, 100);
	week = fetched_pages(f);
	test_history_add(f->s, 101, 4100);
	years = fetched_pages(f);
	print_message("# a run's fetch state read %d pages, then %d\n", week,
		      years);
	assert_true(years - week < 10);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_private_whatever_the_umask, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dedup_key, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_case_numbers, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_fetched_state, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_fetched_history_not_read,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_helper_binds_and_reads,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_helper_passes_errors_up,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_helper_busy_is_temporary,
						setup, teardown),
		cmocka_unit_test(test_migrates_old_schema),
		cmocka_unit_test_setup_teardown(test_reopen_keeps_schema,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
