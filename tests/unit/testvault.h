/*
 * A data key for the unit tests that write personal columns: made in a
 * scratch directory and attached to a store as statedir_open() attaches
 * the state directory's (store.h: sealing at rest).
 */
#ifndef LAMPLIGHT_TESTVAULT_H
#define LAMPLIGHT_TESTVAULT_H

#include "people.h"
#include "store.h"

/* s seals with a key made in dir; FALSE (printed) if it cannot be. */
static inline gboolean
test_seal(struct store *s, const char *dir)
{
	g_autofree char *path = g_build_filename(dir, "test-data.key", NULL);
	struct vault *v = NULL;
	struct err err = { 0 };

	if (vault_open(path, TRUE, &v, &err) != ST_OK) {
		print_error("%s\n", err.msg);
		return FALSE;
	}
	vault_attach(v, s);
	return TRUE;
}

#endif
