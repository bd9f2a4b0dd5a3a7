/*
 * Filing the spool (filing.h), without servers: each letter read,
 * classified and recorded with its case in one transaction, then moved
 * to cur/; a copy delivered twice is recorded once; what is no mail at
 * all is quarantined and kept; a letter the database already holds (a
 * crash between the commit and the move) is not filed again.
 */
#include <string.h>

#include "testutil.h"
#include "testconfig.h"
#include "testmime.h"

#include "casework.h"
#include "config.h"
#include "filing.h"
#include "run.h"
#include "spool.h"
#include "statedir.h"
#include "store.h"

struct fx {
	char *dir, *spool_dir;
	struct config *cfg;
	struct store *s;
	struct spool *spool;
	struct run_opts opts;
	struct run_stats stats;
	struct casework *cw;
	struct filing *f;
};

static int
setup(void **state)
{
	struct fx *f = g_new0(struct fx, 1);
	struct err err = { 0 };

	f->dir = scratch_new();
	f->cfg = test_config(f->dir,
		"[centre TPE]\nname = 臺北市政府毒品危害防制中心\n"
		"address = tpe@centers.moj-help.example\n"
		"staff = lin@tpe.centers.example\n"
		"duty = duty@tpe.centers.example\n");
	f->spool_dir = g_build_filename(f->dir, "spool", NULL);
	run_stats_init(&f->stats);
	if (f->cfg == NULL ||
	    g_mkdir_with_parents(f->cfg->state_dir, 0700) != 0 ||
	    statedir_open(f->cfg, TRUE, &f->s, &err) != ST_OK ||
	    spool_open(f->spool_dir, &f->spool, &err) != ST_OK ||
	    casework_open(f->cfg, &f->opts, &f->stats, f->s, f->spool, &f->cw,
			  &err) != ST_OK ||
	    filing_open(f->cfg, &f->opts, &f->stats, f->spool, f->s, f->cw,
			&f->f, &err) != ST_OK) {
		print_error("%s\n", err.msg);
		return -1;
	}
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	filing_close(f->f);
	casework_close(f->cw);
	spool_close(f->spool);
	store_close(f->s);
	config_free(f->cfg);
	run_stats_done(&f->stats);
	scratch_remove(f->dir);
	g_free(f->spool_dir);
	g_free(f->dir);
	g_free(f);
	return 0;
}

/* Delivers raw into the spool as the fetch step does; its name (new). */
static char *
deliver(struct fx *f, const char *raw)
{
	struct err err = { 0 };
	char *name = NULL;

	if (spool_deliver(f->spool, "tpe", raw, strlen(raw), &name, &err) !=
	    ST_OK) {
		print_error("%s\n", err.msg);
		fail();
	}
	return name;
}

static gint64
count(struct fx *f, const char *sql)
{
	struct err err = { 0 };
	gint64 n = -1;

	assert_int_equal(store_query(f->s, &err, store_read_int, &n, sql, ""),
			 ST_OK);
	return n;
}

/* Whether spool name is in sub ("new" or "cur"), where spool_path
 * finds it. */
static gboolean
in(struct fx *f, const char *sub, const char *name)
{
	g_autofree char *p = spool_path(f->spool, name);
	g_autofree char *dir = g_path_get_dirname(p);
	g_autofree char *base = g_path_get_basename(dir);

	return strcmp(base, sub) == 0 && g_file_test(p, G_FILE_TEST_EXISTS);
}

static const char letter[] =
	"From: a@writer.example\nTo: tpe@centers.moj-help.example\n"
	"Subject: help\nMessage-ID: <l1@writer.example>\n"
	"Content-Type: text/plain; charset=utf-8\n\n"
	"我兒子吸安，想請你們幫忙安排戒癮門診。\n";

static void
test_filed_once_and_moved(void **state)
{
	struct fx *f = *state;
	g_autofree char *a = deliver(f, letter);
	g_autofree char *b = deliver(f, letter);	/* the same, again */
	g_autofree char *junk = deliver(f, "\x01\x02 not a message");
	struct err err = { 0 };

	assert_int_equal(filing_spool(f->f, &err), ST_OK);
	/* One case; the copy is recorded as one, not opened again. */
	assert_int_equal(count(f, "SELECT count(*) FROM cases"), 1);
	assert_int_equal(count(f, "SELECT count(*) FROM arrivals WHERE "
				  "duplicate_of IS NOT NULL"),
			 1);
	assert_int_equal(f->stats.duplicates, 1);
	/* What is no mail is kept, quarantined, for a person to see. */
	assert_int_equal(count(f, "SELECT count(*) FROM arrivals WHERE "
				  "quarantine IS NOT NULL"),
			 1);
	/* All three moved on; the quarantined one kept. */
	assert_true(in(f, "cur", a));
	assert_true(in(f, "cur", b));
	assert_true(in(f, "cur", junk));
	/* Nothing left to file: a second pass changes nothing. */
	assert_int_equal(filing_spool(f->f, &err), ST_OK);
	assert_int_equal(count(f, "SELECT count(*) FROM arrivals"), 3);
	assert_int_equal(count(f, "SELECT count(*) FROM cases"), 1);
}

/*
 * A crash after the commit and before the move to cur/: the letter is
 * still in new/, but the database has it; it is moved, not filed again.
 */
static void
test_committed_not_filed_twice(void **state)
{
	struct fx *f = *state;
	g_autofree char *a = deliver(f, letter);
	g_autofree char *src = NULL;
	g_autofree char *dst = g_build_filename(f->spool_dir, "new", a, NULL);
	struct err err = { 0 };

	assert_int_equal(filing_spool(f->f, &err), ST_OK);
	assert_int_equal(count(f, "SELECT count(*) FROM cases"), 1);
	/* As if the move had not happened. */
	assert_true(in(f, "cur", a));
	src = spool_path(f->spool, a);
	assert_int_equal(g_rename(src, dst), 0);
	assert_true(in(f, "new", a));
	assert_int_equal(filing_spool(f->f, &err), ST_OK);
	assert_int_equal(count(f, "SELECT count(*) FROM arrivals"), 1);
	assert_int_equal(count(f, "SELECT count(*) FROM cases"), 1);
	assert_int_equal(count(f, "SELECT count(*) FROM outbox WHERE kind = "
				  "'ack'"),
			 1);
	assert_false(in(f, "new", a));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_filed_once_and_moved,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_committed_not_filed_twice,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, mime_group_setup,
				      mime_group_teardown);
}
