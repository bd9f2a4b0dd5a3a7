/*
 * hanzi_gen OUTPUT: writes OUTPUT, the C source of the table that
 * hanzi.c converts Simplified characters of the Basic Multilingual Plane
 * with, made at build time from the OpenCC installed (s2tw.json): each
 * character from U+3400 converted alone, as hanzi.c reads it.  A table
 * spares every run the loading of OpenCC's dictionaries and a call into
 * it for each character not met before.
 *
 * The table has two levels: hanzi_s2t_page[c >> 8] is 0 when no
 * character of that page of 256 changes, else the 1-based row of
 * hanzi_s2t_row that holds what each of them becomes (0: itself).
 * A character that OpenCC makes into more than one stays as it is.
 */
#include <glib.h>
#include <opencc.h>
#include <stdio.h>
#include <string.h>

#define FIRST 0x3400	/* hanzi.c converts from the CJK blocks on */

static gboolean
is_surrogate(gunichar c)
{
	return c >= 0xd800 && c < 0xe000;
}

int
main(int argc, char **argv)
{
	static gunichar to[0x10000];
	GString *ask = g_string_new(NULL);
	opencc_t cc;
	char *out;
	gchar **lines;
	guint asked = 0, rows = 0, changed = 0;
	guint16 page[256] = { 0 };
	FILE *f;

	if (argc != 2) {
		fprintf(stderr, "usage: hanzi_gen OUTPUT\n");
		return 2;
	}
	cc = opencc_open("s2tw.json");
	if (cc == (opencc_t)-1) {
		fprintf(stderr, "hanzi_gen: OpenCC cannot open s2tw.json: %s\n",
			opencc_error());
		return 1;
	}
	/* One character a line: a line is not a phrase, so each is
	 * converted as if alone. */
	for (gunichar c = FIRST; c < 0x10000; c++) {
		if (is_surrogate(c))
			continue;
		g_string_append_unichar(ask, c);
		g_string_append_c(ask, '\n');
		asked++;
	}
	out = opencc_convert_utf8(cc, ask->str, ask->len);
	if (out == NULL) {
		fprintf(stderr, "hanzi_gen: OpenCC failed: %s\n",
			opencc_error());
		return 1;
	}
	lines = g_strsplit(out, "\n", -1);
	opencc_convert_utf8_free(out);
	if (g_strv_length(lines) != asked + 1) {
		fprintf(stderr, "hanzi_gen: OpenCC gave %u lines for %u\n",
			g_strv_length(lines), asked);
		return 1;
	}
	for (gunichar c = FIRST, i = 0; c < 0x10000; c++) {
		gunichar t;

		if (is_surrogate(c))
			continue;
		t = g_utf8_strlen(lines[i], -1) == 1
			    ? g_utf8_get_char(lines[i])
			    : c;
		i++;
		if (t != c) {
			to[c] = t;
			changed++;
			if (page[c >> 8] == 0)
				page[c >> 8] = (guint16)++rows;
		}
	}

	f = fopen(argv[1], "w");
	if (f == NULL) {
		perror(argv[1]);
		return 1;
	}
	fprintf(f, "/* Made by hanzi_gen from OpenCC's s2tw.json: %u "
		   "characters change.  Do not edit. */\n"
		   "#include <glib.h>\n\n"
		   "const guint16 hanzi_s2t_page[256] = {",
		changed);
	for (guint p = 0; p < 256; p++)
		fprintf(f, "%s%u,", p % 16 ? " " : "\n\t", page[p]);
	fprintf(f, "\n};\n\nconst guint32 hanzi_s2t_row[%u][256] = {\n",
		MAX(rows, 1));
	for (guint p = 0; p < 256; p++) {
		if (page[p] == 0)
			continue;
		fprintf(f, "\t{ /* U+%02X00 */", p);
		for (guint k = 0; k < 256; k++)
			fprintf(f, "%s%u,", k % 8 ? " " : "\n\t\t",
				to[p << 8 | k]);
		fprintf(f, "\n\t},\n");
	}
	if (rows == 0)
		fprintf(f, "\t{ 0 },\n");
	fprintf(f, "};\n");
	g_strfreev(lines);
	g_string_free(ask, TRUE);
	opencc_close(cc);
	if (fclose(f) != 0) {
		perror(argv[1]);
		return 1;
	}
	return 0;
}
