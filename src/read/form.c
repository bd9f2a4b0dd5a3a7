/*
 * Web form fields.  Only the labels of spec/webform.md are read; a line
 * that starts with another word belongs to the field before it, so a
 * multi-line value survives.
 */
#include <string.h>

#include "form.h"

static const char *const labels[] = {
	"求助縣市", "求助者身分", "是否表明身分", "姓名", "性別",
	"出生年月日", "聯絡電話", "電子郵件", "聯絡地址", "身分證統一編號",
	"希望聯繫方式", "主旨", "內容",
	/* referrals by mail (docs/referral-mail.md) */
	"轉介單位", "回覆信箱", NULL,
};

/*
 * If line starts with a known label followed by a colon (full or half
 * width, spaces allowed), returns the label and sets *value.
 */
static const char *
field_label(const char *line, const char **value)
{
	g_autoptr(GString) norm = g_string_new(NULL);
	const char *p = line;

	while (*p == ' ' || *p == '\t' || g_str_has_prefix(p, "　"))
		p += (*p == ' ' || *p == '\t') ? 1 : strlen("　");
	for (int i = 0; labels[i] != NULL; i++) {
		const char *l = labels[i];
		const char *q = p;
		gboolean ok = TRUE;

		/* Compare treating 台 as 臺 and skipping inner spaces. */
		while (*l && ok) {
			while (*q == ' ')
				q++;
			if (g_str_has_prefix(l, "臺") &&
			    g_str_has_prefix(q, "台")) {
				l += strlen("臺");
				q += strlen("台");
			} else if (g_utf8_get_char(l) == g_utf8_get_char(q)) {
				l = g_utf8_next_char(l);
				q = g_utf8_next_char(q);
			} else {
				ok = FALSE;
			}
		}
		if (!ok)
			continue;
		while (*q == ' ' || *q == '\t')
			q++;
		if (g_str_has_prefix(q, "："))
			q += strlen("：");
		else if (*q == ':')
			q++;
		else
			continue;
		while (*q == ' ' || *q == '\t' || g_str_has_prefix(q, "　"))
			q += (*q == ' ' || *q == '\t') ? 1 : strlen("　");
		*value = q;
		return labels[i];
	}
	return NULL;
}

GHashTable *
form_parse(const char *text)
{
	g_auto(GStrv) lines = NULL;
	g_autoptr(GString) content = NULL;
	GHashTable *f;
	GString *last = NULL;
	const char *last_label = NULL;
	int known = 0;

	if (text == NULL)
		return NULL;
	lines = g_strsplit(text, "\n", -1);
	f = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, g_free);
	for (int i = 0; lines[i] != NULL; i++) {
		char *line = lines[i];
		size_t n = strlen(line);
		const char *label, *value = NULL;

		if (n > 0 && line[n - 1] == '\r')
			line[--n] = '\0';
		if (content != NULL) {
			/* 內容 runs to the end of the part. */
			g_string_append_c(content, '\n');
			g_string_append(content, line);
			continue;
		}
		label = field_label(line, &value);
		if (label == NULL) {
			if (last != NULL && *line) {
				g_string_append_c(last, '\n');
				g_string_append(last, line);
			}
			continue;
		}
		if (last != NULL)
			g_hash_table_replace(f, (gpointer)last_label,
					     g_strstrip(g_string_free(last, FALSE)));
		last = NULL;
		known++;
		if (strcmp(label, "內容") == 0) {
			content = g_string_new(value);
			continue;
		}
		last = g_string_new(value);
		last_label = label;
	}
	if (last != NULL)
		g_hash_table_replace(f, (gpointer)last_label,
				     g_strstrip(g_string_free(last, FALSE)));
	if (content != NULL) {
		char *c = g_string_free(g_steal_pointer(&content), FALSE);

		g_hash_table_replace(f, (gpointer)"內容", g_strstrip(c));
	}
	if (known < 3) {
		g_hash_table_destroy(f);
		return NULL;
	}
	return f;
}
