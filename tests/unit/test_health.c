/*
 * The figures of `lamplight status`: counted from each table's owner,
 * "stuck" when a person should look, and every error of the database
 * passed up: a broken database never reads as "ok".
 */
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "testvault.h"
#include "testhistory.h"

#include "calendar.h"
#include "cases.h"
#include "config.h"
#include "health.h"
#include "outbox.h"
#include "store.h"
#include "twtime.h"

struct fx {
	char *dir;
	struct store *s;
	struct config cfg;
	struct centre tpe, off;
	GDate today;
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
	f->tpe.id = "tpe";
	f->tpe.mailbox = "imap://x/INBOX";
	f->off.id = "off";	/* not fetched: not shown */
	f->cfg.centres = g_ptr_array_new();
	g_ptr_array_add(f->cfg.centres, &f->tpe);
	g_ptr_array_add(f->cfg.centres, &f->off);
	g_date_clear(&f->today, 1);
	g_date_set_dmy(&f->today, 20, 3, 2026);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	g_ptr_array_free(f->cfg.centres, TRUE);
	store_close(f->s);
	scratch_remove(f->dir);
	g_free(f->dir);
	g_free(f);
	return 0;
}

static void
run_now(struct fx *f, const char *error, guint left)
{
	g_autoptr(GDateTime) now = twtime_now();
	g_autofree char *at = twtime_iso(now);
	struct mailbox_run mr = { .mailbox = "tpe", .started_at = at,
				  .finished_at = at, .uidvalidity = 1,
				  .listed = 3, .fetched = 2,
				  .left_on_server = left, .last_uid = "42",
				  .error = error };
	struct err err = { 0 };

	assert_int_equal(store_mailbox_run_add(f->s, &mr, &err), ST_OK);
}

static void
test_quiet_is_ok(void **state)
{
	struct fx *f = *state;
	struct health *h = NULL;
	const struct health_mailbox *m;
	struct err err = { 0 };

	/* Never run: a person should look. */
	assert_int_equal(health_read(f->s, &f->cfg, &f->today, &h, &err),
			 ST_OK);
	assert_int_equal(h->mailboxes->len, 1);
	m = &g_array_index(h->mailboxes, struct health_mailbox, 0);
	assert_string_equal(m->id, "tpe");
	assert_null(m->h.finished_at);
	assert_true(h->stuck);
	health_free(h);

	run_now(f, NULL, 0);
	assert_int_equal(health_read(f->s, &f->cfg, &f->today, &h, &err),
			 ST_OK);
	m = &g_array_index(h->mailboxes, struct health_mailbox, 0);
	assert_non_null(m->h.finished_at);
	assert_string_equal(m->h.last_uid, "42");
	assert_int_equal(m->h.fetched, 2);
	assert_false(m->h.day_old);
	assert_int_equal(h->outbox.queued, 0);
	assert_int_equal(h->held, 0);
	assert_int_equal(h->overdue_steps->len, 0);
	assert_false(h->stuck);
	health_free(h);
}

static void
test_what_makes_it_stuck(void **state)
{
	struct fx *f = *state;
	g_autoptr(GDateTime) now = twtime_now();
	struct health *h = NULL;
	struct err err = { 0 };
	gint64 id;

	run_now(f, NULL, 0);
	/* Mail waiting to go is not stuck; a failed mail is. */
	assert_int_equal(store_begin(f->s, &err), ST_OK);
	assert_int_equal(outbox_add(f->s, 0, "ack", 5, "1@x", "f@x", "r@x",
				    "D", 1, &err), ST_OK);
	assert_int_equal(outbox_add(f->s, 0, "ack", 5, "2@x", "f@x", "r@x",
				    "D", 1, &err), ST_OK);
	assert_int_equal(store_commit(f->s, &err), ST_OK);
	id = store_last_id(f->s);
	assert_int_equal(health_read(f->s, &f->cfg, &f->today, &h, &err),
			 ST_OK);
	assert_int_equal(h->outbox.queued, 2);
	assert_false(h->stuck);
	health_free(h);
	assert_int_equal(outbox_failed(f->s, id, FALSE, "550", now, &err),
			 ST_OK);
	assert_int_equal(health_read(f->s, &f->cfg, &f->today, &h, &err),
			 ST_OK);
	assert_int_equal(h->outbox.failed, 1);
	assert_true(h->stuck);
	health_free(h);
}

static void
test_mailbox_failing_is_stuck(void **state)
{
	struct fx *f = *state;
	struct health *h = NULL;
	struct err err = { 0 };

	/* Never a success: status says never. */
	run_now(f, "login refused", 1);
	assert_int_equal(health_read(f->s, &f->cfg, &f->today, &h, &err),
			 ST_OK);
	assert_string_equal(g_array_index(h->mailboxes, struct health_mailbox,
					  0).h.error, "login refused");
	assert_null(g_array_index(h->mailboxes, struct health_mailbox,
				  0).h.last_ok);
	assert_true(h->stuck);
	health_free(h);
	/* A good run, then a failing one: the last success is the good
	 * run's, the last run the failing one's. */
	run_now(f, NULL, 0);
	run_now(f, "connection refused", 0);
	assert_int_equal(health_read(f->s, &f->cfg, &f->today, &h, &err),
			 ST_OK);
	assert_non_null(g_array_index(h->mailboxes, struct health_mailbox,
				      0).h.last_ok);
	assert_string_equal(g_array_index(h->mailboxes, struct health_mailbox,
					  0).h.error, "connection refused");
	health_free(h);
}

/* The misuse: with a table gone, status has no figure to show. */
static void
test_missing_table_is_an_error(void **state)
{
	static const char *const tables[] = {
		"outbox", "mailbox_runs", "fetched", "deadlines", "referrals",
	};
	struct fx *f = *state;

	run_now(f, NULL, 0);
	for (size_t i = 0; i < G_N_ELEMENTS(tables); i++) {
		g_autofree char *drop = g_strdup_printf("DROP TABLE %s",
							tables[i]);
		g_autofree char *want = g_strdup_printf("no such table: %s",
							tables[i]);
		struct health *h = NULL;
		struct err err = { 0 };

		/* One at a time: dropped inside a transaction undone. */
		assert_int_equal(store_begin(f->s, &err), ST_OK);
		assert_int_equal(store_run(f->s, &err, drop, ""), ST_OK);
		assert_int_equal(health_read(f->s, &f->cfg, &f->today, &h,
					     &err), ST_FATAL);
		store_rollback(f->s);
		assert_null(h);
		assert_non_null(strstr(err.msg, want));
	}
}

/* Pages the figures of status read; mailbox tpe's counts of all time
 * into filed and uids. */
static int
status_pages(struct fx *f, gint64 *filed, gint64 *uids)
{
	struct health *h = NULL;
	struct err err = { 0 };
	int pages;

	run_now(f, NULL, 0);
	(void)test_pages_read(f->s);
	assert_int_equal(health_read(f->s, &f->cfg, &f->today, &h, &err),
			 ST_OK);
	pages = test_pages_read(f->s);
	*filed = g_array_index(h->mailboxes, struct health_mailbox, 0).h.filed;
	*uids = g_array_index(h->mailboxes, struct health_mailbox, 0).h.uids;
	health_free(h);
	return pages;
}

/*
 * status reads what is pending, not the years behind it: 4,000 more
 * letters filed, answered and erased add nothing to what it reads (but
 * b-trees a level deeper), neither the mail sent (8 KiB each) nor the
 * cases; the letters filed and the uids seen of all time are kept
 * counted, not counted again.
 */
static void
test_history_is_not_read(void **state)
{
	struct fx *f = *state;
	gint64 filed = 0, uids = 0;
	struct err err = { 0 };
	int week, years;

	test_history_add(f->s, 1, 100);
	week = status_pages(f, &filed, &uids);
	assert_int_equal(filed, 100);
	assert_int_equal(uids, 100);
	test_history_add(f->s, 101, 4100);
	years = status_pages(f, &filed, &uids);
	print_message("# status read %d pages, then %d\n", week, years);
	assert_true(years - week < 15);
	assert_int_equal(filed, 4100);
	assert_int_equal(uids, 4100);
	/* A quarantined letter or a copy is not filed; a uid forgotten is
	 * seen no more. */
	assert_int_equal(store_run(f->s, &err,
				   "INSERT INTO arrivals (spool_name, mailbox, "
				   "body_hash, kind, received_at, quarantine, "
				   "quarantine_state) VALUES ('q', 'tpe', 'q', "
				   "'other', 'x', 'unreadable', 'held')", ""),
			 ST_OK);
	assert_int_equal(store_run(f->s, &err,
				   "INSERT INTO arrivals (spool_name, mailbox, "
				   "body_hash, kind, received_at, duplicate_of) "
				   "VALUES ('d', 'tpe', 'b1', 'seeker', 'x', 1)",
				   ""),
			 ST_OK);
	assert_int_equal(store_run(f->s, &err,
				   "DELETE FROM fetched WHERE uid = '7'", ""),
			 ST_OK);
	(void)status_pages(f, &filed, &uids);
	assert_int_equal(filed, 4100);
	assert_int_equal(uids, 4099);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_quiet_is_ok, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_what_makes_it_stuck, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_mailbox_failing_is_stuck,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_table_is_an_error,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_history_is_not_read,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
