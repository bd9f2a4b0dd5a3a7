/*
 * Text in any charset to UTF-8, never silently losing a byte: labels are
 * checked against the bytes, a lying or missing label is replaced by a
 * guess (uchardet), and bytes that fit no charset become U+FFFD and are
 * counted.
 */
#ifndef LAMPLIGHT_CHARSET_H
#define LAMPLIGHT_CHARSET_H

#include <glib.h>

/*
 * Converts len bytes labelled declared (NULL: no label) to UTF-8.
 * Returns a new NUL-terminated string (caller frees).  *bad receives the
 * number of input bytes that could not be converted; *used, if not NULL,
 * a static or interned name of the charset finally used.
 */
char *charset_to_utf8(const char *data, size_t len, const char *declared,
		      guint *bad, const char **used);

/*
 * Takes s (a new string, may be NULL) and returns it, or a repaired copy
 * with U+FFFD for each byte that is not UTF-8 (s freed); *bad, if not
 * NULL, grows by their number.  For what libraries hand back as UTF-8.
 */
char *charset_valid_utf8(char *s, guint *bad);

/*
 * Whether the valid UTF-8 in s (len bytes) has more than chars
 * characters.  It stops counting there: cheap on a long letter.
 */
gboolean charset_utf8_longer(const char *s, size_t len, size_t chars);

/* The iconv name to use for a MIME label ("big5" -> "CP950"); interned. */
const char *charset_canonical(const char *label);

#endif
