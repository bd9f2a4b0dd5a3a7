/*
 * Charset conversion with glibc iconv through GLib.  Labels in real mail
 * name subsets of what the sender used (big5 for CP950 text, gb2312 for
 * GBK), so each label maps to its widest compatible superset before
 * converting.  Guessing is left to uchardet.
 */
#include <errno.h>
#include <string.h>
#include <uchardet.h>

#include "charset.h"

static const struct {
	const char *label;
	const char *iconv;
} supersets[] = {
	{ "big5", "CP950" },		{ "x-big5", "CP950" },
	{ "big-5", "CP950" },		{ "cp950", "CP950" },
	{ "big5-hkscs", "BIG5-HKSCS" },	{ "gb2312", "GB18030" },
	{ "gbk", "GB18030" },		{ "x-gbk", "GB18030" },
	{ "euc-cn", "GB18030" },	{ "cp936", "GB18030" },
	{ "gb18030", "GB18030" },	{ "us-ascii", "UTF-8" },
	{ "ascii", "UTF-8" },		{ "utf8", "UTF-8" },
	{ "utf-8", "UTF-8" },
	{ "iso-8859-1", "WINDOWS-1252" }, { "latin1", "WINDOWS-1252" },
	{ "ks_c_5601-1987", "CP949" },	{ "euc-kr", "CP949" },
	{ "shift_jis", "CP932" },	{ "x-sjis", "CP932" },
};

const char *
charset_canonical(const char *label)
{
	g_autofree char *low = NULL;

	if (label == NULL || *label == '\0')
		return NULL;
	low = g_ascii_strdown(label, -1);
	g_strstrip(low);
	for (size_t i = 0; i < G_N_ELEMENTS(supersets); i++)
		if (strcmp(low, supersets[i].label) == 0)
			return supersets[i].iconv;
	return g_intern_string(low);
}

/*
 * Converts with cd, replacing each unconvertible byte by U+FFFD.
 * Returns the number of such bytes; the output is always valid UTF-8
 * because iconv only writes complete characters.
 */
static guint
convert_lossy(GIConv cd, const char *data, size_t len, GString *out)
{
	char *in = (char *)data;
	gsize inleft = len;
	guint bad = 0;
	char buf[16384];

	/*
	 * In chunks: a converter may look at all the input it is given on
	 * every call (sanitizers do), and a bad byte means one call each.
	 */
	while (inleft > 0) {
		gsize chunk = MIN(inleft, (gsize)4096), cleft = chunk;
		char *o = buf;
		gsize oleft = sizeof buf;
		gsize r = g_iconv(cd, &in, &cleft, &o, &oleft);

		g_string_append_len(out, buf, o - buf);
		inleft -= chunk - cleft;
		if (r != (gsize)-1)
			continue;
		if (errno == E2BIG)
			continue;
		/* Cut inside a character by the chunk: the next one has it. */
		if (errno == EINVAL && cleft < inleft)
			continue;
		/* EILSEQ, or a character cut by the end: skip one byte. */
		g_string_append(out, "\xEF\xBF\xBD");
		bad++;
		in++;
		inleft--;
		g_iconv(cd, NULL, NULL, NULL, NULL);
	}
	/* Flush any shift state (ISO-2022-JP). */
	{
		char *o = buf;
		gsize oleft = sizeof buf;

		g_iconv(cd, NULL, NULL, &o, &oleft);
		g_string_append_len(out, buf, o - buf);
	}
	return bad;
}

static void
close_converter(gpointer cd)
{
	if ((GIConv)cd != (GIConv)-1)
		g_iconv_close((GIConv)cd);
}

static void
free_converters(gpointer table)
{
	g_hash_table_destroy(table);
}

/*
 * A converter from cs to UTF-8, or (GIConv)-1.  Opening one costs glibc
 * a module lookup each time, more than converting a short letter, so
 * each thread keeps those it opened (and the names it could not open).
 */
static GIConv
converter(const char *cs)
{
	static GPrivate key = G_PRIVATE_INIT(free_converters);
	GHashTable *open = g_private_get(&key);
	gpointer cd;

	if (open == NULL) {
		open = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					     close_converter);
		g_private_set(&key, open);
	}
	if (g_hash_table_lookup_extended(open, cs, NULL, &cd))
		return (GIConv)cd;
	cd = (gpointer)g_iconv_open("UTF-8", cs);
	g_hash_table_insert(open, g_strdup(cs), cd);
	return (GIConv)cd;
}

/* Converts from cs; returns NULL if iconv cannot open it. */
static char *
try_convert(const char *data, size_t len, const char *cs, guint *bad)
{
	GIConv cd = converter(cs);
	GString *out;

	if (cd == (GIConv)-1)
		return NULL;
	g_iconv(cd, NULL, NULL, NULL, NULL);	/* the initial state */
	out = g_string_sized_new(len + len / 2 + 1);
	*bad = convert_lossy(cd, data, len, out);
	return g_string_free(out, FALSE);
}

/*
 * uchardet reads about two megabytes a second.  It is given the lines
 * that hold evidence (a byte over 0x7F, or an escape), up to
 * CHARSET_GUESS_BYTES of them in all: in a long English letter with a few
 * accented words those lines are all it needs, and in Chinese text a few
 * kilobytes settle the verdict.
 */
#define CHARSET_GUESS_BYTES (4 * 1024)

static GString *
evidence(const char *data, size_t len)
{
	GString *ev = g_string_sized_new(MIN(len, CHARSET_GUESS_BYTES));
	const char *p = data, *end = data + len;

	while (p < end && ev->len < CHARSET_GUESS_BYTES) {
		const char *nl = memchr(p, '\n', end - p);
		const char *stop = nl != NULL ? nl + 1 : end;

		/* A line may be the whole part (HTML often is). */
		for (const char *q = p; q < stop; q++)
			if ((unsigned char)*q >= 0x80 || *q == 0x1b) {
				g_string_append_len(
					ev, p,
					MIN(stop - p, CHARSET_GUESS_BYTES -
							      (ptrdiff_t)ev->len));
				break;
			}
		p = stop;
	}
	return ev;
}

static void
detector_free(gpointer ud)
{
	uchardet_delete(ud);
}

/*
 * uchardet builds its probers (a model per language) on the first data
 * it is given: most of a guess's cost.  Each thread keeps one detector
 * and resets it between guesses.
 */
static GPrivate detector_key = G_PRIVATE_INIT(detector_free);

static uchardet_t
detector(void)
{
	uchardet_t ud = g_private_get(&detector_key);

	if (ud == NULL) {
		ud = uchardet_new();
		g_private_set(&detector_key, ud);
	} else {
		uchardet_reset(ud);
	}
	return ud;
}

static const char *
guess(const char *data, size_t len)
{
	uchardet_t ud = detector();
	g_autoptr(GString) ev = evidence(data, len);
	const char *cs = NULL;

	data = ev->str;
	len = ev->len;
	if (uchardet_handle_data(ud, data, len) == 0) {
		uchardet_data_end(ud);
		cs = uchardet_get_charset(ud);
		cs = (cs != NULL && *cs) ? charset_canonical(cs) : NULL;
	}
	return cs;
}

static gboolean
is_multibyte(const char *cs)
{
	static const char *const multi[] = {
		"CP950", "BIG5-HKSCS", "GB18030", "UTF-8", "CP932", "CP949",
		"euc-jp", "euc-tw", "iso-2022-jp", "iso-2022-cn", "iso-2022-kr",
		"utf-16", "utf-32", NULL,
	};
	g_autofree char *low = g_ascii_strdown(cs, -1);

	for (int i = 0; multi[i] != NULL; i++)
		if (g_ascii_strcasecmp(cs, multi[i]) == 0)
			return TRUE;
	return g_str_has_prefix(low, "utf-") || g_str_has_prefix(low, "euc-");
}

/* Western labels, under which Big5 and GB2312 text is often sent. */
static gboolean
is_western(const char *cs)
{
	static const char *const west[] = {
		"WINDOWS-1252", "iso-8859-1", "iso-8859-15", "iso8859-1",
		"latin-1", "cp1252", NULL,
	};

	for (int i = 0; west[i] != NULL; i++)
		if (g_ascii_strcasecmp(cs, west[i]) == 0)
			return TRUE;
	return FALSE;
}

/*
 * Whether bytes under a Western label look like double-byte Chinese: a
 * run of four or more bytes over 0x7F, or a run of two or more holding
 * a Latin-1 symbol (0xA1-0xBF but the guillemets), is rare in Western
 * text ("Grüße", "« été »") and usual in Big5 and GB2312, whose lead
 * and trail bytes read as "§Ú¤£" or "ÎÒ²»".
 */
static gboolean
looks_double_byte(const char *data, size_t len)
{
	size_t run = 0;
	gboolean symbol = FALSE;

	for (size_t i = 0; i <= len; i++) {
		unsigned char c = i < len ? (unsigned char)data[i] : 0;

		if (c >= 0x80) {
			run++;
			symbol = symbol || (c >= 0xa1 && c <= 0xbf &&
					    c != 0xab && c != 0xbb);
			continue;
		}
		if (run >= 4 || (run >= 2 && symbol))
			return TRUE;
		run = 0;
		symbol = FALSE;
	}
	return FALSE;
}

static const char *guess(const char *data, size_t len);

/*
 * A clean Chinese reading of data, or NULL: uchardet's guess if it names
 * a Chinese charset, else CP950, else GB18030.
 */
static char *
cjk_reading(const char *data, size_t len, const char **used)
{
	const char *tries[] = { guess(data, len), "CP950", "GB18030" };

	for (size_t i = 0; i < G_N_ELEMENTS(tries); i++) {
		const char *cs = tries[i];
		guint nbad = 0;
		char *text;

		if (cs == NULL || (strcmp(cs, "CP950") != 0 &&
				   strcmp(cs, "BIG5-HKSCS") != 0 &&
				   strcmp(cs, "GB18030") != 0))
			continue;
		text = try_convert(data, len, cs, &nbad);
		if (text != NULL && nbad == 0) {
			*used = cs;
			return text;
		}
		g_free(text);
	}
	return NULL;
}

/* Replaces each invalid UTF-8 sequence by U+FFFD; counts the bytes. */
static char *
utf8_make_valid(const char *data, size_t len, guint *bad)
{
	GString *out = g_string_sized_new(len + 1);
	const char *p = data, *end = data + len;

	*bad = 0;
	while (p < end) {
		const char *stop;

		if (g_utf8_validate(p, end - p, &stop)) {
			g_string_append_len(out, p, end - p);
			break;
		}
		g_string_append_len(out, p, stop - p);
		g_string_append(out, "\xEF\xBF\xBD");
		(*bad)++;
		p = stop + 1;
	}
	return g_string_free(out, FALSE);
}

/*
 * Whether data is UTF-8 but for a few bytes (a letter cut short, one
 * stray byte): at least eight well-formed three- or four-byte characters
 * (Chinese in UTF-8) for each bad byte.  Big5 and GB text come nowhere
 * near: their pairs make two-byte UTF-8 often enough, but a longer
 * sequence is followed by a stray byte.
 */
static gboolean
utf8_nearly(const char *data, size_t len)
{
	const char *p = data, *end = data + len;
	size_t bad = 0, wide = 0;

	while (p < end) {
		const char *stop;
		gboolean ok = g_utf8_validate(p, end - p, &stop);

		for (const char *q = p; q < stop; q++)
			wide += (unsigned char)*q >= 0xe0;
		if (ok)
			break;
		bad++;
		p = stop + 1;
		/* Even if all the rest were wide, too few: not UTF-8. */
		if (wide + (size_t)(end - p) < 8 * bad)
			return FALSE;
	}
	return bad > 0 && wide >= 8 * bad;
}

static char *convert(const char *data, size_t len, const char *declared,
		     guint *bad, const char **used, gboolean *checked);

char *
charset_valid_utf8(char *s, guint *bad)
{
	guint n = 0;
	char *fixed;

	if (s == NULL || g_utf8_validate(s, -1, NULL))
		return s;
	fixed = utf8_make_valid(s, strlen(s), &n);
	g_free(s);
	if (bad != NULL)
		*bad += n;
	return fixed;
}

gboolean
charset_utf8_longer(const char *s, size_t len, size_t chars)
{
	size_t n = 0;

	/* A character starts at each byte that does not continue one. */
	for (size_t i = 0; i < len; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80 && ++n > chars)
			return TRUE;
	return FALSE;
}

/*
 * The converters can still emit what GLib does not call UTF-8 (glibc
 * decodes old 5- and 6-byte forms beyond U+10FFFF), so every result is
 * checked once more, and repaired and counted if it must be; a text
 * that was ASCII or UTF-8 already was checked on the way.
 */
char *
charset_to_utf8(const char *data, size_t len, const char *declared,
		guint *bad, const char **used)
{
	gboolean checked = FALSE;
	char *text = convert(data, len, declared, bad, used, &checked);
	guint more = 0;
	char *fixed;

	if (checked || g_utf8_validate(text, -1, NULL))
		return text;
	fixed = utf8_make_valid(text, strlen(text), &more);
	g_free(text);
	*bad += more;
	return fixed;
}

/*
 * Whether data is all ASCII without an escape (ESC opens the 7-bit
 * encodings, ISO-2022-JP): eight bytes at a time, most mail being so.
 */
static gboolean
plain_ascii(const char *data, size_t len)
{
	const guint64 ones = 0x0101010101010101u, highs = 0x8080808080808080u;
	size_t i = 0;

	for (; i + 8 <= len; i += 8) {
		guint64 w, esc;

		memcpy(&w, data + i, 8);
		esc = w ^ (0x1b * ones);	/* a zero byte where ESC was */
		if ((w & highs) != 0 || ((esc - ones) & ~esc & highs) != 0)
			return FALSE;
	}
	for (; i < len; i++)
		if ((unsigned char)data[i] >= 0x80 || data[i] == 0x1b)
			return FALSE;
	return TRUE;
}

/* *checked is set when what is returned is known to be UTF-8. */
static char *
convert(const char *data, size_t len, const char *declared, guint *bad,
	const char **used, gboolean *checked)
{
	const char *cs = charset_canonical(declared);
	const char *alt;
	char *text;
	guint nbad = 0;

	if (used != NULL)
		*used = "UTF-8";
	*bad = 0;
	if (len == 0)
		return g_strdup("");
	/* NUL bytes end C strings: drop them, and count them as lost. */
	if (memchr(data, 0, len) != NULL) {
		g_autofree char *copy = g_malloc(len);
		size_t n = 0;
		guint nul;

		for (size_t i = 0; i < len; i++)
			if (data[i] != 0)
				copy[n++] = data[i];
		nul = (guint)(len - n);
		text = charset_to_utf8(copy, n, declared, bad, used);
		*bad += nul;
		return text;
	}
	if (plain_ascii(data, len)) {
		*checked = TRUE;
		return g_strndup(data, len);
	}
	/*
	 * Non-ASCII text that is valid UTF-8 is UTF-8, whatever the label;
	 * but 7-bit encodings with escapes (ISO-2022-JP, HZ) are valid
	 * UTF-8 bytes too, and their label is believed.
	 */
	if (g_utf8_validate(data, len, NULL) &&
	    !(cs != NULL && (g_str_has_prefix(cs, "iso-2022") ||
			     g_str_has_prefix(cs, "hz") ||
			     strcmp(cs, "utf-7") == 0))) {
		*checked = TRUE;
		return g_strndup(data, len);
	}
	if (utf8_nearly(data, len))
		return utf8_make_valid(data, len, bad);
	/* Big5 or GB2312 text sent as Latin-1 converts without an error
	 * into nonsense ("§Ú¤£·Q"): the bytes decide, not the label. */
	if (cs != NULL && is_western(cs) && looks_double_byte(data, len)) {
		const char *cjk = NULL;

		text = cjk_reading(data, len, &cjk);
		if (text != NULL) {
			if (used != NULL)
				*used = cjk;
			return text;
		}
	}
	if (cs != NULL && strcmp(cs, "UTF-8") != 0) {
		text = try_convert(data, len, cs, &nbad);
		if (text != NULL && nbad == 0) {
			if (used != NULL)
				*used = cs;
			return text;
		}
		/* Big5 text with HKSCS characters fails CP950 alone. */
		if (text != NULL && strcmp(cs, "CP950") == 0) {
			guint b2;
			char *t2 = try_convert(data, len, "BIG5-HKSCS", &b2);

			if (t2 != NULL && b2 < nbad) {
				g_free(text);
				text = t2;
				nbad = b2;
				cs = "BIG5-HKSCS";
			} else {
				g_free(t2);
			}
		}
		if (text != NULL && nbad == 0) {
			if (used != NULL)
				*used = cs;
			return text;
		}
		g_free(text);
	}
	/*
	 * The label lied or was missing: guess.  uchardet tells Big5 from
	 * GB18030 well on real text, but short CJK text often looks like
	 * Latin-1 to it; here CJK is far likelier, so a single-byte guess
	 * yields to a clean Big5 or GB18030 reading.
	 */
	alt = guess(data, len);
	if (alt == NULL || !is_multibyte(alt)) {
		static const char *const cjk[] = { "CP950", "GB18030" };

		for (size_t i = 0; i < G_N_ELEMENTS(cjk); i++) {
			text = try_convert(data, len, cjk[i], &nbad);
			if (text != NULL && nbad == 0) {
				if (used != NULL)
					*used = cjk[i];
				return text;
			}
			g_free(text);
		}
	}
	if (alt != NULL && strcmp(alt, "UTF-8") != 0) {
		text = try_convert(data, len, alt, &nbad);
		if (text != NULL && nbad == 0) {
			if (used != NULL)
				*used = alt;
			return text;
		}
		g_free(text);
	}
	/*
	 * Last resort: the label (or CP950, the commonest here), lossy,
	 * unless UTF-8 loses fewer bytes.
	 */
	{
		guint ubad = 0;
		char *utf8 = utf8_make_valid(data, len, &ubad);
		const char *last = cs;

		if (cs == NULL || strcmp(cs, "UTF-8") == 0)
			last = "CP950";
		text = try_convert(data, len, last, &nbad);
		if (text != NULL && nbad < ubad &&
		    (last == cs || nbad * 20 < len)) {
			g_free(utf8);
			*bad = nbad;
			if (used != NULL)
				*used = last;
			return text;
		}
		g_free(text);
		*bad = ubad;
		return utf8;
	}
}
