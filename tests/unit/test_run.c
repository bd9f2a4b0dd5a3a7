/*
 * The run's steps, with the real modules behind them: a Maildir of
 * letters is fetched, filed and answered once; a second run finds
 * nothing new; what cannot be read is quarantined, not lost.  The SMTP
 * server is a closed loopback port: mail waits in the outbox.  (A run
 * killed at each durable step is tests/e2e/crash.sh's: --stop-after
 * ends the process.)
 */
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "testconfig.h"

#include "config.h"
#include "mime.h"
#include "outbox.h"
#include "run.h"
#include "store.h"

static const char *const letters[] = {
	/* An emergency: a duty alert, first in the outbox. */
	"From: a@example.org\nTo: tpe@centers.moj-help.example\n"
	"Subject: =?UTF-8?B?5pWR5pWR5oiR?=\nMessage-ID: <r1@example.org>\n"
	"Content-Type: text/plain; charset=utf-8\n\n"
	"我今晚就要燒炭自殺，炭已經買好了。\n",
	/* An application. */
	"From: b@example.org\nTo: tpe@centers.moj-help.example\n"
	"Subject: help\nMessage-ID: <r2@example.org>\n"
	"Content-Type: text/plain; charset=utf-8\n\n"
	"我兒子吸安，想請你們幫忙安排戒癮門診。\n",
	/* Not mail at all: quarantined, kept. */
	"\x01\x02 not a message",
};

struct fx {
	char *dir, *db;
	struct config *cfg;
};

static int
setup(void **state)
{
	struct fx *f = g_new0(struct fx, 1);
	g_autofree char *box = NULL, *centres = NULL;

	f->dir = scratch_new();
	box = g_build_filename(f->dir, "box", NULL);
	for (const char *sub = "new"; sub != NULL;
	     sub = strcmp(sub, "new") == 0 ? "cur"
		   : strcmp(sub, "cur") == 0 ? "tmp" : NULL) {
		g_autofree char *d = g_build_filename(box, sub, NULL);

		assert_int_equal(g_mkdir_with_parents(d, 0700), 0);
	}
	for (size_t i = 0; i < G_N_ELEMENTS(letters); i++) {
		g_autofree char *name = g_strdup_printf("%zu.test", i);
		g_autofree char *p = g_build_filename(box, "new", name, NULL);

		assert_true(g_file_set_contents(p, letters[i], -1, NULL));
	}
	centres = g_strdup_printf(
		"[centre TPE]\nname = 臺北市政府毒品危害防制中心\n"
		"address = tpe@centers.moj-help.example\n"
		"mailbox = maildir:%s\n"
		"staff = case1@tpe.centers.moj-help.example\n"
		"duty = duty@tpe.centers.moj-help.example\n", box);
	f->cfg = test_config(f->dir, centres);
	assert_non_null(f->cfg);
	f->db = g_build_filename(f->dir, "state", "lamplight.db", NULL);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	config_free(f->cfg);
	scratch_remove(f->dir);
	g_free(f->dir);
	g_free(f->db);
	g_free(f);
	return 0;
}

static gint64
count(const char *db, const char *sql)
{
	struct store *s = NULL;
	struct err err = { 0 };
	gint64 n = -1;

	assert_int_equal(store_open(db, &s, &err), ST_OK);
	assert_int_equal(store_query(s, &err, store_read_int, &n, sql, ""),
			 ST_OK);
	store_close(s);
	return n;
}

static enum status
run(struct fx *f, guint stop_after, struct run_stats *stats)
{
	struct run_opts opts = { .stop_after = stop_after };
	gboolean locked = FALSE;
	struct err err = { 0 };
	enum status st;

	run_stats_init(stats);
	st = run_once(f->cfg, &opts, stats, &locked, &err);
	assert_false(locked);
	return st;
}

/* Filed once, answered once; the emergency's alert first in line. */
static void
test_a_run_files_and_answers(void **state)
{
	struct fx *f = *state;
	struct run_stats stats;
	gint64 queued;

	assert_int_equal(run(f, 0, &stats), ST_OK);
	assert_int_equal(stats.fetched, 3);
	assert_int_equal(stats.filed, 3);
	assert_int_equal(stats.cases, 2);
	assert_int_equal(stats.quarantined, 1);
	/* Nothing could be sent: all of it waits. */
	assert_int_equal(stats.out.sent, 0);
	run_stats_done(&stats);
	assert_int_equal(count(f->db, "SELECT count(*) FROM cases WHERE "
				      "urgency = 'emergency'"), 1);
	assert_int_equal(count(f->db, "SELECT count(*) FROM outbox WHERE "
				      "kind = 'duty'"), 1);
	assert_int_equal(count(f->db, "SELECT count(*) FROM outbox WHERE "
				      "kind = 'ack'"), 2);
	/* The unreadable file is kept, for a person. */
	assert_int_equal(count(f->db, "SELECT count(*) FROM arrivals WHERE "
				      "quarantine IS NOT NULL"), 1);
	/* And staff are told of each case. */
	assert_int_equal(count(f->db, "SELECT count(*) FROM outbox WHERE "
				      "kind NOT IN ('duty', 'ack')"), 2);
	queued = count(f->db, "SELECT count(*) FROM outbox");

	/* Again: nothing new, nothing answered twice. */
	assert_int_equal(run(f, 0, &stats), ST_OK);
	assert_int_equal(stats.fetched, 0);
	assert_int_equal(stats.filed, 0);
	assert_int_equal(stats.cases, 0);
	run_stats_done(&stats);
	assert_int_equal(count(f->db, "SELECT count(*) FROM outbox"), queued);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_a_run_files_and_answers,
						setup, teardown),
	};

	mime_init();
	outbox_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
