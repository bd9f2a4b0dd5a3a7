/*
 * OpenCC behind a cheap test: most letters are in Traditional Chinese or
 * English, and converting them all would cost more than triage itself.
 * A letter is converted only when it holds one of the commonest
 * characters that Simplified Chinese alone uses.
 */
#include <opencc.h>
#include <string.h>

#include "hanzi.h"

/* Frequent characters that differ from their Traditional forms. */
static const char simplified_only[] =
	"们这说个为会来时对还没发过钱吗样让给问题请谢买卖觉该药爱医开关门"
	"车长东经现实认识话应从间动进听写读书帮办么怀孕毒瘾戒断吸杀药"
	"难过妈爸儿孩离婚钱债务实验检测艾滋针头汉语学习";

static GHashTable *
simplified_set(void)
{
	static GHashTable *set;
	static gsize once;

	if (g_once_init_enter(&once)) {
		set = g_hash_table_new(NULL, NULL);
		for (const char *p = simplified_only; *p;
		     p = g_utf8_next_char(p)) {
			gunichar c = g_utf8_get_char(p);

			g_hash_table_add(set, GUINT_TO_POINTER(c));
		}
		g_once_init_leave(&once, 1);
	}
	return set;
}

gboolean
hanzi_has_simplified(const char *text)
{
	GHashTable *set = simplified_set();

	for (const char *p = text; *p; p = g_utf8_next_char(p)) {
		/* Han characters are three bytes in UTF-8. */
		if ((unsigned char)*p < 0xe3)
			continue;
		if (g_hash_table_contains(set,
					  GUINT_TO_POINTER(g_utf8_get_char(p))))
			return TRUE;
	}
	return FALSE;
}

/*
 * One character through OpenCC, remembered: a letter holds a few hundred
 * distinct characters, and OpenCC's trie lookups would otherwise cost
 * more than all the rules.  Character by character, phrases are not
 * seen; for matching words that is enough.
 */
static gunichar
to_traditional(opencc_t cc, GHashTable *cache, gunichar c)
{
	gpointer hit;
	char in[8] = { 0 }, *out;
	gunichar t = c;

	if (g_hash_table_lookup_extended(cache, GUINT_TO_POINTER(c), NULL,
					 &hit))
		return GPOINTER_TO_UINT(hit);
	g_unichar_to_utf8(c, in);
	out = opencc_convert_utf8(cc, in, strlen(in));
	if (out != NULL) {
		/* Only one character for one: anything else stays as is. */
		if (g_utf8_strlen(out, -1) == 1)
			t = g_utf8_get_char(out);
		opencc_convert_utf8_free(out);
	}
	g_hash_table_insert(cache, GUINT_TO_POINTER(c), GUINT_TO_POINTER(t));
	return t;
}

char *
hanzi_to_traditional(const char *text)
{
	static opencc_t cc = (opencc_t)-1;
	static GHashTable *cache;
	static gboolean tried;
	GString *out;

	if (text == NULL || !hanzi_has_simplified(text))
		return NULL;
	if (!tried) {
		tried = TRUE;
		cc = opencc_open("s2tw.json");
		cache = g_hash_table_new(NULL, NULL);
	}
	if (cc == (opencc_t)-1)
		return NULL;
	out = g_string_sized_new(strlen(text));
	for (const char *p = text; *p; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);

		/* Only Han characters change (CJK blocks from U+3400). */
		if (c >= 0x3400)
			c = to_traditional(cc, cache, c);
		g_string_append_unichar(out, c);
	}
	return g_string_free(out, FALSE);
}
