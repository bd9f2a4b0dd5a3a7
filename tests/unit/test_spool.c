/* The spool: durable delivery, listing, reading, moving to cur/. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "testutil.h"

#include "spool.h"

static void
test_deliver_and_done(void **state)
{
	g_autofree char *dir = scratch_new();
	g_autoptr(GPtrArray) names = NULL;
	g_autoptr(GBytes) got = NULL;
	g_autofree char *n1 = NULL, *n2 = NULL, *src = NULL, *p = NULL;
	struct spool *sp = NULL;
	struct err err = { 0 };
	struct stat st;
	gsize len;

	assert_int_equal(spool_open(dir, &sp, &err), ST_OK);
	assert_int_equal(spool_deliver(sp, "tpe", "one", 3, &n1, &err), ST_OK);
	assert_int_equal(spool_deliver(sp, "khh", "two", 3, &n2, &err), ST_OK);
	assert_string_not_equal(n1, n2);

	/* New files are private and in delivery order. */
	p = spool_path(sp, n1);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(spool_list_new(sp, &names, &err), ST_OK);
	assert_int_equal(names->len, 2);
	assert_string_equal(names->pdata[0], n1);

	src = spool_name_source(n2);
	assert_string_equal(src, "khh");

	assert_int_equal(spool_read(sp, n1, 100, &got, &err), ST_OK);
	assert_memory_equal(g_bytes_get_data(got, &len), "one", 3);
	assert_int_equal(len, 3);

	/* Over the cap is this message's problem, not the run's. */
	assert_int_equal(spool_read(sp, n2, 2, &got, &err), ST_MSG_BAD);

	assert_int_equal(spool_mark_done(sp, n1, &err), ST_OK);
	g_ptr_array_free(names, TRUE);
	assert_int_equal(spool_list_new(sp, &names, &err), ST_OK);
	assert_int_equal(names->len, 1);
	assert_string_equal(names->pdata[0], n2);
	/* Still readable from cur/. */
	g_bytes_unref(got);
	got = NULL;
	assert_int_equal(spool_read(sp, n1, 100, &got, &err), ST_OK);

	spool_close(sp);
	scratch_remove(dir);
}

static void
test_bad_source_refused(void **state)
{
	g_autofree char *dir = scratch_new();
	struct spool *sp = NULL;
	struct err err = { 0 };
	char *name = NULL;
	static const char *const bad[] = { "", "TPE", "a/b", "a.b", "x:y" };

	assert_int_equal(spool_open(dir, &sp, &err), ST_OK);
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++)
		assert_int_equal(spool_deliver(sp, bad[i], "x", 1, &name, &err),
				 ST_FATAL);
	assert_null(name);
	spool_close(sp);
	scratch_remove(dir);
}

static void
test_write_durable_replaces(void **state)
{
	g_autofree char *dir = scratch_new();
	g_autofree char *path = g_build_filename(dir, "state", NULL);
	g_autofree char *data = NULL;
	struct err err = { 0 };

	assert_int_equal(file_write_durable(path, "a", 1, &err), ST_OK);
	assert_int_equal(file_write_durable(path, "bb", 2, &err), ST_OK);
	assert_true(g_file_get_contents(path, &data, NULL, NULL));
	assert_string_equal(data, "bb");
	scratch_remove(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_deliver_and_done),
		cmocka_unit_test(test_bad_source_refused),
		cmocka_unit_test(test_write_durable_replaces),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
