/*
 * The outbox's states, as outbox.c alone writes them: queued, due in
 * priority order, sent, failed (for now or for good), bounced, queued
 * again or cancelled by a person, erased; and the counts the daily
 * limits and status read.  No SMTP: outbox_send_due() is e2e's.
 */
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "testvault.h"

#include "cases.h"
#include "outbox.h"
#include "store.h"
#include "twtime.h"

struct fx {
	char *dir;
	struct store *s;
	gint64 case_id;
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
	if (store_run(f->s, &err, "INSERT INTO cases (number, county, "
		      "urgency, source, created_at) VALUES "
		      "('TPE-1150101-0001', 'TPE', 'normal', 'direct', "
		      "'2026-01-01T00:00:00+08:00')", "") != ST_OK)
		return -1;
	f->case_id = store_last_id(f->s);
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
add(struct fx *f, gint64 case_id, const char *kind, int priority,
    const char *mid, const char *rcpt)
{
	struct err err = { 0 };

	assert_int_equal(store_begin(f->s, &err), ST_OK);
	assert_int_equal(outbox_add(f->s, case_id, kind, priority, mid,
				    "f@x", rcpt, "DATA", 4, &err), ST_OK);
	assert_int_equal(store_commit(f->s, &err), ST_OK);
	return store_last_id(f->s);
}

static char *
state_of(struct fx *f, gint64 id)
{
	g_autoptr(GPtrArray) list = NULL;
	struct err err = { 0 };

	assert_int_equal(outbox_list(f->s, NULL, &list, &err), ST_OK);
	for (guint i = 0; i < list->len; i++) {
		const struct outbox_entry *e = list->pdata[i];

		if (e->id == id)
			return g_strdup(e->state);
	}
	return NULL;
}

static gint64
events(struct fx *f, const char *what)
{
	struct err err = { 0 };
	gint64 n = -1;

	assert_int_equal(store_query(f->s, &err, store_read_int, &n,
				     "SELECT count(*) FROM case_events WHERE "
				     "what = ?", "t", what), ST_OK);
	return n;
}

static void
test_order_and_retry(void **state)
{
	struct fx *f = *state;
	g_autoptr(GDateTime) now = NULL;
	g_autoptr(GDateTime) later = NULL;
	g_autoptr(GPtrArray) due = NULL;
	struct outbox_item *it;
	struct err err = { 0 };

	add(f, 0, "ack", 5, "a@x", "r@x");
	add(f, f->case_id, "ack", 0, "b@x", "r@x");
	/* After the adds: their times have whole seconds, and a second
	 * may turn between an earlier reading and outbox_add(). */
	now = twtime_now();
	later = g_date_time_add_hours(now, 1);
	/* A Message-ID is stored once: a second copy is refused. */
	assert_int_equal(store_begin(f->s, &err), ST_OK);
	assert_int_not_equal(outbox_add(f->s, 0, "ack", 0, "b@x", "f@x",
					"r@x", "B", 1, &err), ST_OK);
	store_rollback(f->s);

	assert_int_equal(outbox_due(f->s, now, G_MAXINT, &due, &err), ST_OK);
	assert_int_equal(due->len, 2);
	it = due->pdata[0];
	/* The emergency (priority 0) leaves first, with its case. */
	assert_string_equal(it->message_id, "b@x");
	assert_int_equal(it->case_id, f->case_id);
	assert_int_equal(g_bytes_get_size(it->data), 4);
	assert_int_equal(outbox_sent(f->s, it->id, "250", &err), ST_OK);
	it = due->pdata[1];
	assert_int_equal(it->case_id, 0);
	assert_int_equal(outbox_failed(f->s, it->id, TRUE, "421", later, &err),
			 ST_OK);
	g_ptr_array_free(due, TRUE);
	/* Only up to a priority. */
	assert_int_equal(outbox_due(f->s, later, 0, &due, &err), ST_OK);
	assert_int_equal(due->len, 0);
	g_ptr_array_free(due, TRUE);
	assert_int_equal(outbox_due(f->s, now, G_MAXINT, &due, &err), ST_OK);
	assert_int_equal(due->len, 0);
	g_ptr_array_free(due, TRUE);
	assert_int_equal(outbox_due(f->s, later, G_MAXINT, &due, &err), ST_OK);
	assert_int_equal(due->len, 1);
	assert_int_equal(((struct outbox_item *)due->pdata[0])->attempts, 1);
	it = due->pdata[0];
	/* A permanent failure stops it for good. */
	assert_int_equal(outbox_failed(f->s, it->id, FALSE, "550", later,
				       &err), ST_OK);
	g_free(state_of(f, 0));
	{
		g_autofree char *st = state_of(f, it->id);

		assert_string_equal(st, "failed");
	}
}

static void
test_bounce_retry_cancel(void **state)
{
	struct fx *f = *state;
	g_autoptr(GDateTime) now = twtime_now();
	g_autofree char *kind = NULL, *was = NULL, *st = NULL;
	struct err err = { 0 };
	gint64 sent, queued, case_id = -1;
	gboolean done;

	sent = add(f, f->case_id, "ack", 5, "s@x", "r@x");
	queued = add(f, f->case_id, "followup", 5, "q@x", "r@x");
	assert_int_equal(outbox_sent(f->s, sent, "250", &err), ST_OK);

	/* A bounce of a mail not ours changes nothing. */
	assert_int_equal(outbox_bounced(f->s, "other@x", "bounced: 5.1.1",
					&case_id, &kind, &err), ST_OK);
	assert_null(kind);
	assert_int_equal(case_id, 0);
	assert_int_equal(outbox_bounced(f->s, "s@x", "bounced: 5.1.1",
					&case_id, &kind, &err), ST_OK);
	assert_string_equal(kind, "ack");
	assert_int_equal(case_id, f->case_id);
	st = state_of(f, sent);
	assert_string_equal(st, "bounced");
	g_clear_pointer(&st, g_free);
	assert_int_equal(events(f, "mail bounced: ack"), 1);

	/* Cancel takes only queued or failed mail. */
	assert_int_equal(outbox_change(f->s, sent, FALSE, NULL, now, &was,
				       &done, &err), ST_OK);
	assert_false(done);
	assert_string_equal(was, "bounced");
	g_clear_pointer(&was, g_free);
	assert_int_equal(outbox_change(f->s, queued, FALSE, "wrong address",
				       now, &was, &done, &err), ST_OK);
	assert_true(done);
	assert_string_equal(was, "queued");
	g_clear_pointer(&was, g_free);
	st = state_of(f, queued);
	assert_string_equal(st, "cancelled");
	g_clear_pointer(&st, g_free);
	assert_int_equal(events(f, "outbox cancel: followup 2"), 1);
	/* A bounce never undoes a person's cancel. */
	g_clear_pointer(&kind, g_free);
	assert_int_equal(outbox_bounced(f->s, "q@x", "bounced", &case_id,
					&kind, &err), ST_OK);
	assert_null(kind);

	/* Retry takes all but sent and cancelled mail. */
	assert_int_equal(outbox_change(f->s, queued, TRUE, NULL, now, &was,
				       &done, &err), ST_OK);
	assert_false(done);
	g_clear_pointer(&was, g_free);
	assert_int_equal(outbox_change(f->s, sent, TRUE, NULL, now, &was,
				       &done, &err), ST_OK);
	assert_true(done);
	g_clear_pointer(&was, g_free);
	st = state_of(f, sent);
	assert_string_equal(st, "queued");
	assert_int_equal(events(f, "outbox retry: ack 1"), 1);
	/* No such mail. */
	assert_int_equal(outbox_change(f->s, 99, TRUE, NULL, now, &was,
				       &done, &err), ST_OK);
	assert_null(was);
	assert_false(done);
}

/* The daily limits count one mailbox however its address is spelt. */
static void
test_limits_count_one_mailbox(void **state)
{
	struct fx *f = *state;
	g_autoptr(GDateTime) now = twtime_now();
	g_autoptr(GDateTime) ago = g_date_time_add_days(now, -1);
	g_autofree char *since = twtime_iso(ago);
	struct err err = { 0 };
	gint64 n = -1;

	add(f, f->case_id, "ack", 5, "1@x", "Writer@X");
	add(f, f->case_id, "followup", 5, "2@x", "writer@x");
	/* A +tag, or Gmail's dots, do not make another address. */
	add(f, f->case_id, "ack", 5, "4@x", "writer+1@x");
	add(f, f->case_id, "ack", 5, "5@x", "Writer+two@X");
	add(f, f->case_id, "ack", 5, "6@x", "a.b.c@gmail.com");
	add(f, f->case_id, "ack", 5, "7@x", "abc+x@googlemail.com");
	add(f, f->case_id, "ack", 5, "8@x", "a.b.c@example.org");
	assert_int_equal(outbox_count_for(f->s, "writer+9@x", "ack",
					  "followup", since, FALSE, &n, &err),
			 ST_OK);
	assert_int_equal(n, 4);
	assert_int_equal(outbox_count_for(f->s, "ABC@gmail.com", "ack", NULL,
					  since, FALSE, &n, &err), ST_OK);
	assert_int_equal(n, 2);
	/* Elsewhere a dot is a letter like any other. */
	assert_int_equal(outbox_count_for(f->s, "abc@example.org", "ack", NULL,
					  since, FALSE, &n, &err), ST_OK);
	assert_int_equal(n, 0);

}

static void
test_counts_and_erase(void **state)
{
	struct fx *f = *state;
	g_autoptr(GDateTime) now = twtime_now();
	g_autoptr(GDateTime) ago = g_date_time_add_days(now, -1);
	g_autofree char *since = twtime_iso(ago);
	g_autoptr(GPtrArray) list = NULL;
	struct outbox_counts c;
	struct err err = { 0 };
	gint64 n = -1, id, case_id = -1;

	add(f, f->case_id, "ack", 5, "1@x", "Writer@X");
	id = add(f, f->case_id, "followup", 5, "2@x", "writer@x");
	add(f, 0, "alert", 0, "3@x", "duty@x");
	/* The daily limit: either kind, the address in any case. */
	assert_int_equal(outbox_count_for(f->s, "WRITER@x", "ack", "followup",
					  since, FALSE, &n, &err), ST_OK);
	assert_int_equal(n, 2);
	assert_int_equal(outbox_count_for(f->s, "writer@x", "alert", NULL,
					  since, FALSE, &n, &err), ST_OK);
	assert_int_equal(n, 0);
	assert_int_equal(outbox_count_for(f->s, "duty@x", "alert", NULL,
					  since, TRUE, &n, &err), ST_OK);
	assert_int_equal(n, 1);

	assert_int_equal(outbox_case_of(f->s, "2@x", &case_id, &err), ST_OK);
	assert_int_equal(case_id, f->case_id);
	assert_int_equal(outbox_case_of(f->s, "3@x", &case_id, &err), ST_OK);
	assert_int_equal(case_id, 0);

	assert_int_equal(outbox_failed(f->s, id, FALSE, "550", now, &err),
			 ST_OK);
	assert_int_equal(outbox_count(f->s, &c, &err), ST_OK);
	assert_int_equal(c.queued, 2);
	assert_int_equal(c.failed, 1);
	assert_int_equal(c.stale, 0);

	/* Retention erases what left, never what is still to go. */
	assert_int_equal(outbox_erase_case(f->s, f->case_id, &err), ST_OK);
	assert_int_equal(outbox_list(f->s, NULL, &list, &err), ST_OK);
	assert_int_equal(list->len, 3);
	assert_string_equal(((struct outbox_entry *)list->pdata[0])->rcpt,
			    "Writer@X");
	assert_string_equal(((struct outbox_entry *)list->pdata[0])
				    ->case_number, "TPE-1150101-0001");
	assert_string_equal(((struct outbox_entry *)list->pdata[1])->rcpt,
			    "(erased)");
	assert_null(((struct outbox_entry *)list->pdata[2])->case_number);
	g_ptr_array_free(g_steal_pointer(&list), TRUE);
	assert_int_equal(outbox_list(f->s, "failed", &list, &err), ST_OK);
	assert_int_equal(list->len, 1);
}

/* With the table gone, every figure is an error, never a zero. */
static void
test_missing_table_is_an_error(void **state)
{
	struct fx *f = *state;
	struct outbox_counts c;
	struct err err = { 0 };
	gint64 n = 0;

	assert_int_equal(store_run(f->s, &err, "DROP TABLE outbox", ""),
			 ST_OK);
	assert_int_equal(outbox_count(f->s, &c, &err), ST_FATAL);
	assert_non_null(strstr(err.msg, "no such table: outbox"));
	assert_int_not_equal(outbox_count_for(f->s, "a@x", "ack", NULL, "",
					      FALSE, &n, &err), ST_OK);
}

/* Mail from before sealing: keyed for the limit, a writer's address
 * sealed, staff's left as configured. */
static void
test_existing_mail_sealed(void **state)
{
	struct fx *f = *state;
	g_autoptr(GDateTime) now = twtime_now();
	g_autoptr(GDateTime) ago = g_date_time_add_days(now, -1);
	g_autofree char *since = twtime_iso(ago);
	g_autofree char *ack = NULL, *staff = NULL;
	struct err err = { 0 };
	gint64 n = -1;

	assert_int_equal(store_run(f->s, &err, "INSERT INTO outbox (kind, "
				   "priority, message_id, env_from, rcpt, data, "
				   "next_at, created_at) VALUES (?1, 5, ?2, "
				   "'f@x', ?3, x'00', ?4, ?4), (?5, 5, ?6, "
				   "'f@x', ?7, x'00', ?4, ?4)", "ttttttt",
				   "ack", "o1@x", "Writer+a@X", since, "staff",
				   "o2@x", "lin@centre.example"), ST_OK);
	assert_int_equal(outbox_seal_existing(f->s, &err), ST_OK);
	assert_int_equal(store_query(f->s, &err, store_read_text, &ack,
				     "SELECT typeof(rcpt) FROM outbox WHERE "
				     "kind = 'ack'", ""), ST_OK);
	assert_string_equal(ack, "blob");
	assert_int_equal(store_query(f->s, &err, store_read_text, &staff,
				     "SELECT rcpt FROM outbox WHERE kind = "
				     "'staff'", ""), ST_OK);
	assert_string_equal(staff, "lin@centre.example");
	assert_int_equal(outbox_count_for(f->s, "writer@x", "ack", NULL,
					  since, TRUE, &n, &err), ST_OK);
	assert_int_equal(n, 1);
	assert_int_equal(outbox_count_for(f->s, "writer@x", "ack", NULL,
					  since, FALSE, &n, &err), ST_OK);
	assert_int_equal(n, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_order_and_retry, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_bounce_retry_cancel,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_limits_count_one_mailbox,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_counts_and_erase, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_existing_mail_sealed,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_table_is_an_error,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
