/*
 * A state directory holds the database it was made with, and the keys
 * made with it: whatever an operator does to the files afterwards
 * (empties, removes or swaps the database, loses or swaps a key, points
 * state_dir elsewhere), an opening stops with an error of the set-up
 * that says what it found, and changes nothing.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"
#include "testconfig.h"

#include "statedir.h"

#define CENTRE "[centre TPE]\nname = TPE\naddress = tpe@x.example\n"

struct fx {
	char *dir[2];
	struct config *cfg[2];	/* two state directories */
};

static int
setup(void **state)
{
	struct fx *f = g_new0(struct fx, 1);

	for (int i = 0; i < 2; i++) {
		f->dir[i] = scratch_new();
		f->cfg[i] = test_config(f->dir[i], CENTRE);
		if (f->cfg[i] == NULL)
			return -1;
	}
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	for (int i = 0; i < 2; i++) {
		config_free(f->cfg[i]);
		scratch_remove(f->dir[i]);
		g_free(f->dir[i]);
	}
	g_free(f);
	return 0;
}

static char *
in_state(struct fx *f, int i, const char *name)
{
	return g_build_filename(f->cfg[i]->state_dir, name, NULL);
}

/* Opens state directory i; the status, and err's message in *msg. */
static enum status
open_dir(struct fx *f, int i, gboolean init, char **msg)
{
	struct store *s = NULL;
	struct err err = { 0 };
	enum status st = statedir_open(f->cfg[i], init, &s, &err);

	store_close(s);
	if (msg != NULL)
		*msg = g_strdup(err.msg);
	if (st != ST_OK)
		assert_true(err_is_setup(&err));
	return st;
}

static void
made(struct fx *f, int i)
{
	g_mkdir_with_parents(f->cfg[i]->state_dir, 0700);
	assert_int_equal(open_dir(f, i, TRUE, NULL), ST_OK);
}

static gboolean
exists(const char *path)
{
	return access(path, F_OK) == 0;
}

static char *
slurp(const char *path)
{
	char *s = NULL;

	g_file_get_contents(path, &s, NULL, NULL);
	return s;
}

static void
copy(const char *from, const char *to)
{
	g_autofree char *data = NULL;
	gsize len;

	assert_true(g_file_get_contents(from, &data, &len, NULL));
	assert_true(g_file_set_contents(to, data, len, NULL));
	assert_int_equal(chmod(to, 0600), 0);
}

static void
test_first_run_initialises(void **state)
{
	struct fx *f = *state;
	g_autofree char *key = in_state(f, 0, "token.key");
	g_autofree char *dkey = in_state(f, 0, "data.key");
	g_autofree char *id = in_state(f, 0, "database-id");
	g_autofree char *msg = NULL, *first = NULL, *again = NULL;
	struct stat sb;

	g_mkdir_with_parents(f->cfg[0]->state_dir, 0700);
	/* Only a run may make one; a command says none is there yet. */
	assert_int_equal(open_dir(f, 0, FALSE, &msg), ST_FATAL);
	assert_non_null(strstr(msg, "holds no database yet"));
	assert_false(exists(key));
	made(f, 0);
	assert_int_equal(stat(key, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_int_equal(stat(dkey, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	first = slurp(key);
	assert_true(exists(id));
	/* Opened again: the same keys, nothing made anew. */
	assert_int_equal(open_dir(f, 0, TRUE, NULL), ST_OK);
	assert_int_equal(open_dir(f, 0, FALSE, NULL), ST_OK);
	again = slurp(key);
	assert_memory_equal(first, again, 32);
}

static void
test_emptied_or_missing_database(void **state)
{
	struct fx *f = *state;
	g_autofree char *db = in_state(f, 0, "lamplight.db");
	g_autofree char *msg = NULL, *msg2 = NULL;
	struct stat sb;

	made(f, 0);
	assert_int_equal(truncate(db, 0), 0);
	assert_int_equal(open_dir(f, 0, TRUE, &msg), ST_FATAL);
	assert_non_null(strstr(msg, "is empty"));
	assert_non_null(strstr(msg, "restore it"));
	/* Nothing was made in its place. */
	assert_int_equal(stat(db, &sb), 0);
	assert_int_equal(sb.st_size, 0);
	assert_int_equal(unlink(db), 0);
	assert_int_equal(open_dir(f, 0, TRUE, &msg2), ST_FATAL);
	assert_non_null(strstr(msg2, "is missing"));
	assert_false(exists(db));
}

static void
test_replaced_database(void **state)
{
	struct fx *f = *state;
	g_autofree char *db0 = in_state(f, 0, "lamplight.db");
	g_autofree char *db1 = in_state(f, 1, "lamplight.db");
	g_autofree char *msg = NULL;

	made(f, 0);
	made(f, 1);
	copy(db1, db0);
	assert_int_equal(open_dir(f, 0, TRUE, &msg), ST_FATAL);
	assert_non_null(strstr(msg, "was replaced"));
}

static void
test_missing_or_swapped_keys(void **state)
{
	struct fx *f = *state;
	g_autofree char *key = in_state(f, 0, "token.key");
	g_autofree char *dkey0 = in_state(f, 0, "data.key");
	g_autofree char *dkey1 = in_state(f, 1, "data.key");
	g_autofree char *msg = NULL, *msg2 = NULL;

	made(f, 0);
	made(f, 1);
	assert_int_equal(unlink(key), 0);
	assert_int_equal(open_dir(f, 0, TRUE, &msg), ST_FATAL);
	assert_non_null(strstr(msg, "token key"));
	assert_non_null(strstr(msg, "is missing"));
	/* Never made anew: it would not read what the old one made. */
	assert_false(exists(key));
	copy(dkey1, dkey0);
	assert_int_equal(open_dir(f, 0, TRUE, &msg2), ST_FATAL);
	assert_non_null(strstr(msg2, "token key"));	/* still first */
	g_clear_pointer(&msg2, g_free);
	{
		g_autofree char *key1 = in_state(f, 1, "token.key");

		copy(key1, key);
	}
	assert_int_equal(open_dir(f, 0, TRUE, &msg2), ST_FATAL);
	assert_non_null(strstr(msg2, "is not the key of database"));
}

/* A state_dir pointed elsewhere, with the keys kept apart: the keys
 * belong to a database, so no new one is made beside them. */
static void
test_keys_without_database(void **state)
{
	struct fx *f = *state;
	g_autofree char *key = in_state(f, 1, "token.key");
	g_autofree char *key0 = in_state(f, 0, "token.key");
	g_autofree char *db = in_state(f, 1, "lamplight.db");
	g_autofree char *msg = NULL;

	made(f, 0);
	g_mkdir_with_parents(f->cfg[1]->state_dir, 0700);
	copy(key0, key);
	assert_int_equal(open_dir(f, 1, TRUE, &msg), ST_FATAL);
	assert_non_null(strstr(msg, "belongs to another database"));
	assert_false(exists(db));
}

static void
test_identity_file_lost_or_old_database(void **state)
{
	struct fx *f = *state;
	g_autofree char *id = in_state(f, 0, "database-id");
	g_autofree char *was = NULL, *now = NULL, *later = NULL;
	struct store *s = NULL;
	struct err err = { 0 };

	made(f, 0);
	was = slurp(id);
	/* Lost: written again from the database. */
	assert_int_equal(unlink(id), 0);
	assert_int_equal(open_dir(f, 0, FALSE, NULL), ST_OK);
	now = slurp(id);
	assert_string_equal(was, now);
	/* A database from before identities is given one, once. */
	assert_int_equal(statedir_open(f->cfg[0], FALSE, &s, &err), ST_OK);
	assert_int_equal(store_run(s, &err, "DELETE FROM meta", ""), ST_OK);
	store_close(s);
	assert_int_equal(unlink(id), 0);
	assert_int_equal(open_dir(f, 0, FALSE, NULL), ST_OK);
	later = slurp(id);
	assert_string_not_equal(later, was);
	assert_int_equal(open_dir(f, 0, FALSE, NULL), ST_OK);
}

/* A first run killed while initialising: the next one finishes it. */
static void
test_initialisation_cut_short(void **state)
{
	struct fx *f = *state;
	g_autofree char *id = in_state(f, 0, "database-id");
	g_autofree char *dkey = in_state(f, 0, "data.key");
	struct store *s = NULL;
	struct err err = { 0 };

	made(f, 0);
	assert_int_equal(statedir_open(f->cfg[0], FALSE, &s, &err), ST_OK);
	assert_int_equal(store_run(s, &err, "DELETE FROM meta WHERE name = "
				   "'data_key'", ""), ST_OK);
	store_close(s);
	assert_int_equal(unlink(dkey), 0);
	assert_int_equal(unlink(id), 0);
	assert_int_equal(open_dir(f, 0, TRUE, NULL), ST_OK);
	assert_true(exists(dkey));
	assert_true(exists(id));
	assert_int_equal(open_dir(f, 0, FALSE, NULL), ST_OK);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_first_run_initialises,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_emptied_or_missing_database, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replaced_database, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_missing_or_swapped_keys,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_keys_without_database,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_identity_file_lost_or_old_database, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_initialisation_cut_short,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
