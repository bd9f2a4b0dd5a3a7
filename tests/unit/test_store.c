/*
 * The register: schema, case numbers in Taiwan time and the ROC calendar,
 * de-duplication of arrivals, fetch state, outbox order.
 */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

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
	if (store_open(db, &f->s, &err) != ST_OK)
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
	assert_int_equal(store_case_add(s, &c, now, &id, &number, &err), ST_OK);
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

static void
test_outbox_order_and_retry(void **state)
{
	struct fx *f = *state;
	g_autoptr(GDateTime) now = twtime_now();
	g_autoptr(GDateTime) later = g_date_time_add_hours(now, 1);
	g_autoptr(GPtrArray) due = NULL;
	struct outbox_item *it;
	struct err err = { 0 };

	assert_int_equal(store_begin(f->s, &err), ST_OK);
	assert_int_equal(store_outbox_add(f->s, 0, "ack", 5, "a@x", "f@x",
					  "r@x", "A", 1, &err), ST_OK);
	assert_int_equal(store_outbox_add(f->s, 0, "ack", 0, "b@x", "f@x",
					  "r@x", "B", 1, &err), ST_OK);
	/* A Message-ID is stored once: a second copy is refused. */
	assert_int_not_equal(store_outbox_add(f->s, 0, "ack", 0, "b@x", "f@x",
					      "r@x", "B", 1, &err), ST_OK);
	assert_int_equal(store_commit(f->s, &err), ST_OK);

	assert_int_equal(store_outbox_due(f->s, now, G_MAXINT, &due, &err), ST_OK);
	assert_int_equal(due->len, 2);
	it = due->pdata[0];
	/* The emergency (priority 0) leaves first. */
	assert_string_equal(it->message_id, "b@x");
	assert_int_equal(store_outbox_sent(f->s, it->id, "250", &err), ST_OK);
	it = due->pdata[1];
	assert_int_equal(store_outbox_failed(f->s, it->id, TRUE, "421",
					     later, &err), ST_OK);
	g_ptr_array_free(due, TRUE);
	assert_int_equal(store_outbox_due(f->s, now, G_MAXINT, &due, &err), ST_OK);
	assert_int_equal(due->len, 0);
	g_ptr_array_free(due, TRUE);
	assert_int_equal(store_outbox_due(f->s, later, G_MAXINT, &due, &err), ST_OK);
	assert_int_equal(due->len, 1);
	assert_int_equal(((struct outbox_item *)due->pdata[0])->attempts, 1);
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
				      "'2026-01-01', '2026-01-01');",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(raw);
	assert_int_equal(store_open(db, &s, &err), ST_OK);
	sqlite3_prepare_v2(store_sqlite(s),
			   "SELECT (SELECT count(*) FROM outbox WHERE state = "
			   "'failed' AND message_id = 'm1@x') * 100 + "
			   "(SELECT user_version FROM pragma_user_version)",
			   -1, &st, NULL);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	assert_int_equal(n, 100 + store_schema_version());
	/* The new states are allowed now. */
	assert_int_equal(sqlite3_exec(store_sqlite(s),
				      "UPDATE outbox SET state = 'bounced'",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	store_close(s);
	scratch_remove(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_dedup_key, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_case_numbers, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_fetched_state, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_outbox_order_and_retry,
						setup, teardown),
		cmocka_unit_test(test_migrates_old_schema),
		cmocka_unit_test_setup_teardown(test_reopen_keeps_schema,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
