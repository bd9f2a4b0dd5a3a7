/*
 * OpenCC's conversion behind a cheap test: most letters are in
 * Traditional Chinese or English, and converting them all would cost
 * more than triage itself.  A letter is converted only when it holds one
 * of the commonest characters that Simplified Chinese alone uses.  The
 * characters of the Basic Multilingual Plane are looked up in a table
 * made from OpenCC when lamplight is built (hanzi_gen.c); OpenCC itself
 * is opened only for the rest, and for hanzi_to_simplified().
 */
#include <opencc.h>
#include <string.h>

#include "hanzi.h"

/*
 * Frequent characters that differ from their Traditional forms (and
 * only those: 毒, 戒, 吸, 孩 are the same in both, and a Traditional
 * letter converted for them would read 里長 as 裡長).
 */
static const char simplified_only[] =
	"们这说个为会来时对还没发过钱吗样让给问题请谢买卖觉该药爱医开关门"
	"车长东经现实认识话应从间动进听写读书帮办么怀瘾断杀药"
	"难过妈儿离钱债务实验检测针头汉语学习";

/* Bit c set: U+c is one of simplified_only (all in the BMP). */
static const guint8 *
simplified_set(void)
{
	static guint8 set[0x10000 / 8];
	static gsize once;

	if (g_once_init_enter(&once)) {
		for (const char *p = simplified_only; *p;
		     p = g_utf8_next_char(p)) {
			gunichar c = g_utf8_get_char(p);

			set[c / 8] |= 1 << (c % 8);
		}
		g_once_init_leave(&once, 1);
	}
	return set;
}

gboolean
hanzi_has_simplified(const char *text)
{
	const guint8 *set = simplified_set();

	for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
		gunichar c;

		/* Han characters are three bytes in UTF-8, from E3. */
		if (*p < 0xe3 || *p > 0xef || (p[1] & 0xc0) != 0x80 ||
		    (p[2] & 0xc0) != 0x80)
			continue;
		c = (gunichar)(*p & 0x0f) << 12 | (gunichar)(p[1] & 0x3f) << 6 |
		    (p[2] & 0x3f);
		if (set[c / 8] & (1 << (c % 8)))
			return TRUE;
		p += 2;
	}
	return FALSE;
}

/* Made at build time from OpenCC's s2tw.json (hanzi_gen.c). */
extern const guint16 hanzi_s2t_page[256];
extern const guint32 hanzi_s2t_row[][256];

/*
 * The OpenCC converter of config (kept in *cc), opened on first need
 * (*tried): (opencc_t)-1 when it cannot be.  Converting from Simplified
 * needs it only for characters beyond the Basic Multilingual Plane,
 * which the table leaves out (rare in letters).
 */
static opencc_t
opened(const char *config, opencc_t *cc, gboolean *tried)
{
	if (!*tried) {
		*tried = TRUE;
		*cc = opencc_open(config);
	}
	return *cc;
}

/*
 * What Han character c becomes in Traditional characters, alone:
 * character by character, phrases are not seen; for matching words that
 * is enough.  Only one character for one: anything else stays as is.
 */
static gunichar
to_traditional(gunichar c)
{
	static opencc_t s2tw = (opencc_t)-1;
	static gboolean tried;
	char in[8] = { 0 }, *out;
	opencc_t cc;
	gunichar t = c;

	if (c < 0x10000) {
		guint16 row = hanzi_s2t_page[c >> 8];
		guint32 to = row != 0 ? hanzi_s2t_row[row - 1][c & 0xff] : 0;

		return to != 0 ? to : c;
	}
	cc = opened("s2tw.json", &s2tw, &tried);
	if (cc == (opencc_t)-1)
		return c;
	g_unichar_to_utf8(c, in);
	out = opencc_convert_utf8(cc, in, strlen(in));
	if (out != NULL) {
		if (g_utf8_strlen(out, -1) == 1)
			t = g_utf8_get_char(out);
		opencc_convert_utf8_free(out);
	}
	return t;
}

char *
hanzi_to_traditional(const char *text)
{
	if (text == NULL || !hanzi_has_simplified(text))
		return NULL;
	return hanzi_convert(text);
}

/* Character by character into a new string: any text, any lengths. */
static char *
convert_each(const char *text)
{
	GString *out = g_string_sized_new(strlen(text));

	for (const char *p = text; *p; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);

		/* Only Han characters change (CJK blocks from U+3400). */
		if (c >= 0x3400)
			c = to_traditional(c);
		g_string_append_unichar(out, c);
	}
	return g_string_free(out, FALSE);
}

/*
 * A Han character of the BMP and what it becomes are three bytes each
 * in UTF-8: a copy of the text is converted in place, each three-byte
 * character from U+3400 rewritten, the rest left as it is.  A character
 * that would change its length sends the text to convert_each().
 */
static char *
convert_in_place(const char *text)
{
	char *out = g_strdup(text);

	for (unsigned char *p = (unsigned char *)out; *p;) {
		gunichar c, t;

		if (*p < 0xe3 || *p > 0xef) {
			/* Not a three-byte character from U+3000. */
			if (*p >= 0xf0) {
				g_free(out);	/* beyond the BMP */
				return convert_each(text);
			}
			p++;
			continue;
		}
		c = (gunichar)(p[0] & 0x0f) << 12 |
		    (gunichar)(p[1] & 0x3f) << 6 | (p[2] & 0x3f);
		t = c >= 0x3400 ? to_traditional(c) : c;
		if (t != c) {
			if (t < 0x800 || t > 0xffff) {
				g_free(out);
				return convert_each(text);
			}
			p[0] = 0xe0 | (t >> 12);
			p[1] = 0x80 | ((t >> 6) & 0x3f);
			p[2] = 0x80 | (t & 0x3f);
		}
		p += 3;
	}
	return out;
}

char *
hanzi_convert(const char *text)
{
	if (text == NULL)
		return NULL;
	/* Stepping over bytes in place needs well-formed UTF-8. */
	if (!g_utf8_validate(text, -1, NULL))
		return convert_each(text);
	return convert_in_place(text);
}

char *
hanzi_to_simplified(const char *text)
{
	static opencc_t t2s = (opencc_t)-1;
	static gboolean tried;
	opencc_t cc;
	char *out, *copy;

	if (text == NULL)
		return NULL;
	cc = opened("t2s.json", &t2s, &tried);
	if (cc == (opencc_t)-1)
		return NULL;
	out = opencc_convert_utf8(cc, text, strlen(text));
	if (out == NULL)
		return NULL;
	copy = strcmp(out, text) != 0 ? g_strdup(out) : NULL;
	opencc_convert_utf8_free(out);
	return copy;
}
