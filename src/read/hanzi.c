/*
 * OpenCC behind a cheap test: most letters are in Traditional Chinese or
 * English, and converting them all would cost more than triage itself.
 * A letter is converted only when it holds one of the commonest
 * characters that Simplified Chinese alone uses.
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

/*
 * One character through OpenCC, remembered: a letter holds a few hundred
 * distinct characters, and OpenCC's trie lookups would otherwise cost
 * more than all the rules.  Character by character, phrases are not
 * seen; for matching words that is enough.  The memory covers the BMP,
 * where Han characters in use are, two bytes for each (what it holds is
 * read often: the smaller the better); the rest, and the rare character
 * that becomes one beyond the BMP, go to OpenCC each time.
 */
static gunichar
to_traditional(opencc_t cc, guint16 *memory, gunichar c)
{
	char in[8] = { 0 }, *out;
	gunichar t = c;

	if (c < 0x10000 && memory[c] != 0)
		return memory[c];
	g_unichar_to_utf8(c, in);
	out = opencc_convert_utf8(cc, in, strlen(in));
	if (out != NULL) {
		/* Only one character for one: anything else stays as is. */
		if (g_utf8_strlen(out, -1) == 1)
			t = g_utf8_get_char(out);
		opencc_convert_utf8_free(out);
	}
	if (c < 0x10000 && t < 0x10000)
		memory[c] = (guint16)t;
	return t;
}

/*
 * Asks OpenCC at once for every character of text (well-formed UTF-8)
 * not yet remembered, one per line: a call costs nearly three times what
 * a character in it does.  A line is not a phrase, so each character is
 * converted as if alone.  What a line does not answer plainly is left
 * for to_traditional().
 */
static void
remember_all(opencc_t cc, guint16 *memory, const char *text)
{
	g_autoptr(GString) ask = g_string_new(NULL);
	g_autoptr(GArray) asked = g_array_new(FALSE, FALSE, sizeof(gunichar));
	g_autofree guint8 *seen = g_new0(guint8, 0x10000 / 8);
	g_auto(GStrv) lines = NULL;
	char *out;

	for (const char *p = text; *p; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);

		if (c < 0x3400 || c >= 0x10000 || memory[c] != 0 ||
		    (seen[c / 8] & (1u << (c % 8))))
			continue;
		seen[c / 8] |= 1u << (c % 8);
		g_array_append_val(asked, c);
		g_string_append_unichar(ask, c);
		g_string_append_c(ask, '\n');
	}
	if (asked->len < 2)
		return;	/* one alone: to_traditional() asks as cheaply */
	out = opencc_convert_utf8(cc, ask->str, ask->len);
	if (out == NULL)
		return;
	lines = g_strsplit(out, "\n", -1);
	opencc_convert_utf8_free(out);
	/* One line per character asked, and the empty rest after the last
	 * line end; anything else is not trusted. */
	if (g_strv_length(lines) != asked->len + 1)
		return;
	for (guint i = 0; i < asked->len; i++) {
		gunichar c = g_array_index(asked, gunichar, i);
		gunichar t = c;

		/* Only one character for one: anything else stays as is. */
		if (g_utf8_strlen(lines[i], -1) == 1)
			t = g_utf8_get_char(lines[i]);
		if (t < 0x10000)
			memory[c] = (guint16)t;
	}
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
convert_each(opencc_t cc, guint16 *memory, const char *text)
{
	GString *out = g_string_sized_new(strlen(text));

	for (const char *p = text; *p; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);

		/* Only Han characters change (CJK blocks from U+3400). */
		if (c >= 0x3400)
			c = to_traditional(cc, memory, c);
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
convert_in_place(opencc_t cc, guint16 *memory, const char *text)
{
	char *out = g_strdup(text);

	for (unsigned char *p = (unsigned char *)out; *p;) {
		gunichar c, t;

		if (*p < 0xe3 || *p > 0xef) {
			/* Not a three-byte character from U+3000. */
			if (*p >= 0xf0) {
				g_free(out);	/* beyond the BMP */
				return convert_each(cc, memory, text);
			}
			p++;
			continue;
		}
		c = (gunichar)(p[0] & 0x0f) << 12 |
		    (gunichar)(p[1] & 0x3f) << 6 | (p[2] & 0x3f);
		t = c >= 0x3400 ? to_traditional(cc, memory, c) : c;
		if (t != c) {
			if (t < 0x800 || t > 0xffff) {
				g_free(out);
				return convert_each(cc, memory, text);
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
	static opencc_t cc = (opencc_t)-1;
	static guint16 *memory;
	static gboolean tried;

	if (text == NULL)
		return NULL;
	if (!tried) {
		tried = TRUE;
		cc = opencc_open("s2tw.json");
		memory = g_new0(guint16, 0x10000);
	}
	if (cc == (opencc_t)-1)
		return NULL;
	/* Stepping over bytes in place needs well-formed UTF-8. */
	if (!g_utf8_validate(text, -1, NULL))
		return convert_each(cc, memory, text);
	remember_all(cc, memory, text);
	return convert_in_place(cc, memory, text);
}

char *
hanzi_to_simplified(const char *text)
{
	static opencc_t cc = (opencc_t)-1;
	static gboolean tried;
	char *out, *copy;

	if (text == NULL)
		return NULL;
	if (!tried) {
		tried = TRUE;
		cc = opencc_open("t2s.json");
	}
	if (cc == (opencc_t)-1)
		return NULL;
	out = opencc_convert_utf8(cc, text, strlen(text));
	if (out == NULL)
		return NULL;
	copy = strcmp(out, text) != 0 ? g_strdup(out) : NULL;
	opencc_convert_utf8_free(out);
	return copy;
}
