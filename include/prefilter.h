/*
 * A prefilter for many regular expressions: one pass over a text tells
 * which of them may match there, so that only those are run in full.
 * It may name a pattern that does not match, never leave out one that
 * does.
 */
#ifndef LAMPLIGHT_PREFILTER_H
#define LAMPLIGHT_PREFILTER_H

#include <glib.h>

struct prefilter;

/*
 * Builds a prefilter for patterns[0..n-1] (PCRE2 syntax, matched
 * caselessly on UTF-8 text).  Compiling takes a second or more, so the
 * result is kept in cache_dir (may be NULL) and read back next time.
 * Returns NULL if no prefilter can be built: then every pattern must run.
 */
struct prefilter *prefilter_new(const char *const *patterns, guint n,
				const char *cache_dir);
void prefilter_free(struct prefilter *pf);

/*
 * Sets may[i] to TRUE for each pattern i that may match text (len bytes
 * of valid UTF-8) and to FALSE for the others.  If the scan fails, every
 * pattern may match.
 */
void prefilter_scan(struct prefilter *pf, const char *text, size_t len,
		    gboolean *may);

/*
 * A finder of where literals start: literals[0..n-1] are PCRE2
 * patterns of literal text, matched exactly and caselessly like the
 * rules.  Kept in cache_dir like a prefilter.  Returns NULL if none can
 * be built; a literal it could not compile is prefilter_always().
 */
struct prefilter *prefilter_new_starts(const char *const *literals, guint n,
				       const char *cache_dir);

/* Whether pattern i is left out of the database (always may match). */
gboolean prefilter_always(const struct prefilter *pf, guint i);

typedef void (*prefilter_start_fn)(guint id, size_t from, void *data);

/*
 * Calls fn for each place in text (len bytes of valid UTF-8) where
 * literal id occurs, with the byte offset where it starts; in no
 * particular order.  Returns FALSE if the scan failed (then some may
 * have been left out).
 */
gboolean prefilter_scan_starts(struct prefilter *pf, const char *text,
			       size_t len, prefilter_start_fn fn, void *data);

/* The cache directory used when none is configured. */
char *prefilter_default_cache_dir(void);

#endif
