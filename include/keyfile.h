/*
 * Secret keys kept in files of their own (the token key, the data key):
 * made once of random bytes, mode 0600, never overwritten; refused when
 * others may read them.
 */
#ifndef LAMPLIGHT_KEYFILE_H
#define LAMPLIGHT_KEYFILE_H

#include <glib.h>

#include "err.h"

/*
 * Reads the first n bytes of the key file at path into key; what names
 * it in messages ("token key").  With create, a missing file is made
 * first.  The caller wipes key when done.
 */
enum status keyfile_load(const char *path, gboolean create, guint8 *key,
			 gsize n, const char *what, struct err *err);

/* A key's fingerprint, 16 hex digits: names the key in messages and in
 * the database it belongs to, and tells nothing of it. */
void keyfile_fingerprint(const guint8 *key, gsize n, char out[17]);

#endif
