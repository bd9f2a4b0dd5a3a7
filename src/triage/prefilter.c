/*
 * The prefilter is a Hyperscan (Vectorscan) database compiled in
 * prefilter mode: Hyperscan approximates what it cannot match exactly
 * (lookaround, for one) by something that matches more.  A pattern it
 * cannot compile even so is tried once more without its anchors (it
 * takes none inside a pattern), then left out of the database and
 * always reported.
 *
 * Not HS_FLAG_SINGLEMATCH: with it, Vectorscan 5.4 in prefilter mode
 * drops a pattern's match when another pattern matched earlier in the
 * text (a spam letter's "@sh6501" went unreported after its "46000元/"),
 * so a rule could be skipped and the same letter read two ways.  Every
 * match is reported now; the callback only sets a flag.
 *
 * The compiled database is cached as <cache_dir>/prefilter-<key>.hs,
 * where the key is a SHA-256 of the format, the library version, the
 * flags and the patterns.  The file holds a BLAKE2b digest of the rest
 * (libsodium's, several times faster than SHA-256 over megabytes read
 * at every start), checked before Hyperscan reads it: a torn or damaged
 * cache is compiled afresh.
 * A database unused for a month is removed when a new one is written.
 */
#include <errno.h>
#include <glib/gstdio.h>
#include <hs.h>
#include <sodium.h>
#include <string.h>
#include <utime.h>

#include "prefilter.h"
#include "resyntax.h"

/* Whether a pattern may match, not where (see above: no
 * HS_FLAG_SINGLEMATCH). */
#define FLAGS                                                                \
	(HS_FLAG_PREFILTER | HS_FLAG_UTF8 | HS_FLAG_UCP | HS_FLAG_CASELESS | \
	 HS_FLAG_ALLOWEMPTY)
/* A finder of where literals start: exact, with the start of each. */
#define STARTS_FLAGS \
	(HS_FLAG_UTF8 | HS_FLAG_UCP | HS_FLAG_CASELESS | HS_FLAG_SOM_LEFTMOST)
#define DIGEST_LEN 32	/* crypto_generichash_BYTES */
/* -2: repeats unbounded; -3: anchors dropped where Hyperscan takes none */
#define CACHE_FORMAT "blake2b-3"
#define PRUNE_DAYS 30	/* a cached database unused this long goes */

struct prefilter {
	hs_database_t *db;
	hs_scratch_t *scratch;
	unsigned flags;		/* FLAGS or STARTS_FLAGS */
	guint n;
	gboolean *always;	/* n flags: not in the database */
};

char *
prefilter_default_cache_dir(void)
{
	return g_build_filename(g_get_user_cache_dir(), "lamplight", NULL);
}

static char *
cache_path(const char *cache_dir, unsigned flags, const char *const *patterns,
	   guint n)
{
	g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA256);
	g_autofree char *name = NULL;

	g_checksum_update(sum, (const guchar *)CACHE_FORMAT, -1);
	g_checksum_update(sum, (const guchar *)hs_version(), -1);
	g_checksum_update(sum, (const guchar *)&flags, sizeof flags);
	for (guint i = 0; i < n; i++)
		g_checksum_update(sum, (const guchar *)patterns[i],
				  strlen(patterns[i]) + 1);
	name = g_strdup_printf("prefilter-%s.hs", g_checksum_get_string(sum));
	return g_build_filename(cache_dir, name, NULL);
}

/* FALSE if there is no digest: then the cache is neither read nor
 * written. */
static gboolean
digest(const char *data, size_t len, guint8 out[DIGEST_LEN])
{
	G_STATIC_ASSERT(DIGEST_LEN == crypto_generichash_BYTES);
	/* Picks the fastest code for this processor; idempotent. */
	return sodium_init() >= 0 &&
	       crypto_generichash(out, DIGEST_LEN, (const unsigned char *)data,
				  len, NULL, 0) == 0;
}

/* Reads the cache: the always flags, then the database. */
static gboolean
cache_read(struct prefilter *pf, const char *path)
{
	g_autofree char *data = NULL;
	gsize len;
	guint8 want[DIGEST_LEN];

	if (!g_file_get_contents(path, &data, &len, NULL) ||
	    len < DIGEST_LEN + pf->n)
		return FALSE;
	if (!digest(data + DIGEST_LEN, len - DIGEST_LEN, want) ||
	    memcmp(want, data, DIGEST_LEN) != 0)
		return FALSE;
	for (guint i = 0; i < pf->n; i++)
		pf->always[i] = data[DIGEST_LEN + i] != 0;
	if (hs_deserialize_database(data + DIGEST_LEN + pf->n,
				    len - DIGEST_LEN - pf->n,
				    &pf->db) != HS_SUCCESS)
		return FALSE;
	/* Used: kept from the pruning below. */
	utime(path, NULL);
	return TRUE;
}

/*
 * Every change to the rules leaves a database behind, some megabytes
 * each: those not used for PRUNE_DAYS go when a new one is written.
 */
static void
cache_prune(const char *dir)
{
	GDir *d = g_dir_open(dir, 0, NULL);
	gint64 now = g_get_real_time() / G_USEC_PER_SEC;
	const char *name;

	if (d == NULL)
		return;
	while ((name = g_dir_read_name(d)) != NULL) {
		g_autofree char *path = NULL;
		GStatBuf st;

		if (!g_str_has_prefix(name, "prefilter-") ||
		    !g_str_has_suffix(name, ".hs"))
			continue;
		path = g_build_filename(dir, name, NULL);
		if (g_stat(path, &st) == 0 &&
		    now - st.st_mtime > PRUNE_DAYS * 24 * 3600)
			g_unlink(path);
	}
	g_dir_close(d);
}

/* Writes the cache; a failure only costs the next run a compile. */
static void
cache_write(const struct prefilter *pf, const char *path)
{
	g_autofree char *dir = g_path_get_dirname(path);
	g_autoptr(GByteArray) out = g_byte_array_new();
	char *bytes = NULL;
	size_t len;
	guint8 sum[DIGEST_LEN] = { 0 };

	if (hs_serialize_database(pf->db, &bytes, &len) != HS_SUCCESS)
		return;
	g_byte_array_append(out, sum, DIGEST_LEN);
	for (guint i = 0; i < pf->n; i++) {
		guint8 b = pf->always[i] ? 1 : 0;

		g_byte_array_append(out, &b, 1);
	}
	g_byte_array_append(out, (const guint8 *)bytes, len);
	free(bytes);
	if (!digest((const char *)out->data + DIGEST_LEN,
		    out->len - DIGEST_LEN, sum))
		return;
	memcpy(out->data, sum, DIGEST_LEN);
	if (g_mkdir_with_parents(dir, 0700) == 0) {
		cache_prune(dir);
		g_file_set_contents(path, (const char *)out->data, out->len,
				    NULL);
	}
}

/* Digits at *p as a number (at most 9 of them); FALSE if none. */
static gboolean
digits(const char **p, unsigned *out)
{
	const char *start = *p;

	*out = 0;
	while (g_ascii_isdigit(**p) && *p - start < 9)
		*out = *out * 10 + (unsigned)(*(*p)++ - '0');
	return *p > start && !g_ascii_isdigit(**p);
}

/* The length of the quantifier "{m,n}" at p, with m and n; 0 if p does
 * not start one. */
static size_t
bounded_repeat(const char *p, unsigned *m, unsigned *n)
{
	const char *q = p + 1;

	if (!digits(&q, m) || *q++ != ',' || !digits(&q, n) || *q != '}')
		return 0;
	return q + 1 - p;
}

/* What loosen() does to a pattern. */
enum {
	OPEN_REPEATS = 1 << 0,	/* x{m,n} becomes x{m,} */
	NO_ANCHORS = 1 << 1,	/* ^ and $ go */
};

/*
 * pattern matching all it matches, and more, which a prefilter may.
 * OPEN_REPEATS: each bounded repeat x{m,n} made x{m,}.  Hyperscan
 * builds a bounded repeat of a class of Chinese characters ("[^。\n]
 * {0,20}") into a large automaton, which costs every scan its cache;
 * an open one is a loop.  A possessive repeat ({m,n}+) is kept.
 * NO_ANCHORS: ^ and $ dropped, for Hyperscan takes none inside a
 * pattern ("(?m)^主旨…(?:^|。)說明"), and a pattern it rejects would be
 * tried on every letter.
 */
static char *
loosen(const char *pattern, unsigned how)
{
	GString *out = g_string_sized_new(strlen(pattern));

	for (const char *p = pattern; *p != '\0';) {
		size_t n = re_element_len(p), len;
		unsigned m, max;

		if ((how & OPEN_REPEATS) && *p == '{' &&
		    (len = bounded_repeat(p, &m, &max)) && p[len] != '+' &&
		    max > m) {
			g_string_append_printf(out, "{%u,}", m);
			p += len;
			continue;
		}
		if ((how & NO_ANCHORS) && (*p == '^' || *p == '$')) {
			p++;
			continue;
		}
		g_string_append_len(out, p, n);
		p += n;
	}
	return g_string_free(out, FALSE);
}

/*
 * Compiles what Hyperscan accepts.  A rejected pattern is named by the
 * compile error; it is set aside and the rest compiled again.
 */
static gboolean
compile(struct prefilter *pf, const char *const *patterns)
{
	g_autofree const char **exprs = g_new(const char *, pf->n);
	g_autofree unsigned *flags = g_new(unsigned, pf->n);
	g_autofree unsigned *ids = g_new(unsigned, pf->n);
	g_autoptr(GPtrArray) open = g_ptr_array_new_with_free_func(g_free);
	g_autofree gboolean *anchorless = g_new0(gboolean, pf->n);
	gboolean loose = (pf->flags & HS_FLAG_PREFILTER) != 0;

	/* A prefilter may match more than the pattern: not a finder. */
	for (guint i = 0; i < pf->n; i++)
		g_ptr_array_add(open, loose ? loosen(patterns[i], OPEN_REPEATS)
					    : g_strdup(patterns[i]));
	for (;;) {
		hs_compile_error_t *cerr = NULL;
		unsigned count = 0;
		int bad;
		guint which;

		for (guint i = 0; i < pf->n; i++) {
			if (pf->always[i])
				continue;
			exprs[count] = open->pdata[i];
			flags[count] = pf->flags;
			ids[count++] = i;
		}
		if (count == 0)
			return FALSE;
		if (hs_compile_multi(exprs, flags, ids, count, HS_MODE_BLOCK,
				     NULL, &pf->db, &cerr) == HS_SUCCESS)
			return TRUE;
		bad = cerr->expression;
		hs_free_compile_error(cerr);
		if (bad < 0 || (unsigned)bad >= count)
			return FALSE;	/* not one pattern's fault */
		which = ids[bad];	/* among all the patterns */
		/* Once more without its anchors, then it is left out. */
		if (loose && !anchorless[which]) {
			anchorless[which] = TRUE;
			g_free(open->pdata[which]);
			open->pdata[which] = loosen(patterns[which],
						    OPEN_REPEATS | NO_ANCHORS);
			continue;
		}
		pf->always[which] = TRUE;
	}
}

static struct prefilter *
prefilter_build(const char *const *patterns, guint n, unsigned flags,
		const char *cache_dir)
{
	struct prefilter *pf = g_new0(struct prefilter, 1);
	g_autofree char *path = NULL;

	pf->n = n;
	pf->flags = flags;
	pf->always = g_new0(gboolean, n);
	if (cache_dir != NULL)
		path = cache_path(cache_dir, flags, patterns, n);
	if (path == NULL || !cache_read(pf, path)) {
		memset(pf->always, 0, n * sizeof *pf->always);
		if (!compile(pf, patterns)) {
			prefilter_free(pf);
			return NULL;
		}
		if (path != NULL)
			cache_write(pf, path);
	}
	if (hs_alloc_scratch(pf->db, &pf->scratch) != HS_SUCCESS) {
		prefilter_free(pf);
		return NULL;
	}
	return pf;
}

struct prefilter *
prefilter_new(const char *const *patterns, guint n, const char *cache_dir)
{
	return prefilter_build(patterns, n, FLAGS, cache_dir);
}

struct prefilter *
prefilter_new_starts(const char *const *literals, guint n,
		     const char *cache_dir)
{
	return prefilter_build(literals, n, STARTS_FLAGS, cache_dir);
}

void
prefilter_free(struct prefilter *pf)
{
	if (pf == NULL)
		return;
	hs_free_scratch(pf->scratch);
	hs_free_database(pf->db);
	g_free(pf->always);
	g_free(pf);
}

static int
on_match(unsigned id, unsigned long long from, unsigned long long to,
	 unsigned flags, void *ctx)
{
	gboolean *may = ctx;

	may[id] = TRUE;
	return 0;
}

gboolean
prefilter_always(const struct prefilter *pf, guint i)
{
	return pf->always[i];
}

void
prefilter_scan(struct prefilter *pf, const char *text, size_t len,
	       gboolean *may)
{
	g_assert(pf->flags == FLAGS);
	memcpy(may, pf->always, pf->n * sizeof *may);
	if (len > G_MAXUINT ||
	    hs_scan(pf->db, text, (unsigned)len, 0, pf->scratch, on_match,
		    may) != HS_SUCCESS)
		for (guint i = 0; i < pf->n; i++)
			may[i] = TRUE;
}

struct starts_ctx {
	prefilter_start_fn fn;
	void *data;
};

static int
on_start(unsigned id, unsigned long long from, unsigned long long to,
	 unsigned flags, void *ctx)
{
	const struct starts_ctx *c = ctx;

	c->fn(id, (size_t)from, c->data);
	return 0;
}

gboolean
prefilter_scan_starts(struct prefilter *pf, const char *text, size_t len,
		      prefilter_start_fn fn, void *data)
{
	struct starts_ctx c = { fn, data };

	g_assert(pf->flags == STARTS_FLAGS);
	return len <= G_MAXUINT &&
	       hs_scan(pf->db, text, (unsigned)len, 0, pf->scratch, on_start,
		       &c) == HS_SUCCESS;
}
