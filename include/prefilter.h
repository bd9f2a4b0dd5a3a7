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

/* How many of the patterns it screens (the others always may match). */
guint prefilter_screened(const struct prefilter *pf);

/*
 * Sets may[i] to TRUE for each pattern i that may match text (len bytes
 * of valid UTF-8) and to FALSE for the others.  If the scan fails, every
 * pattern may match.
 */
void prefilter_scan(struct prefilter *pf, const char *text, size_t len,
		    gboolean *may);

/* The cache directory used when none is configured. */
char *prefilter_default_cache_dir(void);

#endif
