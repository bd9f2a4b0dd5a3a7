/*
 * Shared by the unit tests: cmocka, paths to fixtures and a scratch
 * directory per test program.
 */
#ifndef LAMPLIGHT_TESTUTIL_H
#define LAMPLIGHT_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <glib.h>
#include <glib/gstdio.h>

/* SOURCE_ROOT comes from meson: the repository's top directory. */
static inline char *
fixture_path(const char *name)
{
	return g_build_filename(SOURCE_ROOT, "tests", "corpus", name, NULL);
}

static inline char *
source_path(const char *name)
{
	return g_build_filename(SOURCE_ROOT, name, NULL);
}

static inline char *
fixture_read(const char *name, gsize *len)
{
	g_autofree char *p = fixture_path(name);
	char *data = NULL;

	assert_true(g_file_get_contents(p, &data, len, NULL));
	return data;
}

/* A new empty directory under $TMPDIR; remove with scratch_remove(). */
static inline char *
scratch_new(void)
{
	char *d = g_dir_make_tmp("lamplight-test-XXXXXX", NULL);

	assert_non_null(d);
	return d;
}

static inline void
scratch_remove(const char *dir)
{
	g_autofree char *cmd = NULL;

	if (dir == NULL)
		return;
	cmd = g_strdup_printf("rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

#endif
