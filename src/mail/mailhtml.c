/*
 * The HTML twin of a plain-text staff mail (mailhtml.h).  The text is the
 * source: this reads its shape, never its words.
 */
#include <string.h>

#include "mailhtml.h"

/* What the lines so far are part of. */
enum block {
	BLOCK_NONE,
	BLOCK_PARA,
	BLOCK_LIST,
	BLOCK_QUOTE,
};

struct page {
	GString *out;
	enum block in;
	const char *domain;	/* addresses there are linked */
	int item_indent;	/* of the open list's items */
};

/* A rule of dashes (the frame of a quoted letter). */
static gboolean
is_rule(const char *line)
{
	size_t n = 0;

	for (const char *p = line; *p; p++) {
		if (*p != '-')
			return FALSE;
		n++;
	}
	return n >= 8;
}

static int
indent_of(const char *line)
{
	int n = 0;

	while (line[n] == ' ')
		n++;
	return n;
}

/* A character of the local part of the addresses we link. */
static gboolean
local_char(char c)
{
	return g_ascii_isalnum(c) || (c != '\0' && strchr(".+_-", c) != NULL);
}

/*
 * Appends text escaped; with link, each address at the page's domain
 * becomes a mailto: link (our own addresses: reply, note, the centre's).
 */
static void
put_text(struct page *pg, const char *text, size_t len, gboolean link)
{
	g_autofree char *s = g_strndup(text, len);
	g_autofree char *esc = g_markup_escape_text(s, -1);
	g_autofree char *at_domain = pg->domain != NULL
		? g_strconcat("@", pg->domain, NULL) : NULL;
	const char *p = esc;

	while (*p) {
		const char *at = link && at_domain != NULL
					 ? strstr(p, at_domain) : NULL;
		const char *start, *end;

		if (at == NULL) {
			g_string_append(pg->out, p);
			break;
		}
		start = at;
		while (start > p && local_char(start[-1]))
			start--;
		end = at + strlen(at_domain);
		/* Not a longer domain ("...example.evil"), not an empty
		 * local part. */
		if (start == at || local_char(*end) ||
		    (*end == '.' && g_ascii_isalnum(end[1]))) {
			g_string_append_len(pg->out, p, end - p);
			p = end;
			continue;
		}
		g_string_append_len(pg->out, p, start - p);
		g_string_append(pg->out, "<a href=\"mailto:");
		g_string_append_len(pg->out, start, end - start);
		g_string_append(pg->out, "\">");
		g_string_append_len(pg->out, start, end - start);
		g_string_append(pg->out, "</a>");
		p = end;
	}
}

static void
close_block(struct page *pg)
{
	static const char *const ends[] = {
		[BLOCK_NONE] = "", [BLOCK_PARA] = "</p>\n",
		[BLOCK_LIST] = "</li>\n</ul>\n",
		[BLOCK_QUOTE] = "</div></blockquote>\n",
	};

	g_string_append(pg->out, ends[pg->in]);
	pg->in = BLOCK_NONE;
}

/* A list item's text: the line without its indent and bullet. */
static const char *
item_text(const char *line)
{
	const char *p = line + indent_of(line);

	if (g_str_has_prefix(p, "・"))
		p += strlen("・");
	return p;
}

static void
put_line(struct page *pg, const char *line, const char *next)
{
	int indent = indent_of(line);
	gboolean heading;

	if (pg->in == BLOCK_QUOTE) {
		if (is_rule(line)) {
			close_block(pg);
			return;
		}
		put_text(pg, line, strlen(line), FALSE);
		g_string_append_c(pg->out, '\n');
		return;
	}
	if (is_rule(line)) {
		close_block(pg);
		g_string_append(pg->out, "<blockquote><div class=\"letter\">");
		pg->in = BLOCK_QUOTE;
		return;
	}
	if (*line == '\0') {
		close_block(pg);
		return;
	}
	if (indent >= 2 || g_str_has_prefix(line, "・")) {
		if (pg->in == BLOCK_LIST && indent > pg->item_indent + 2) {
			/* A continuation of the item above. */
			g_string_append_c(pg->out, ' ');
			put_text(pg, item_text(line), strlen(item_text(line)),
				 TRUE);
			return;
		}
		if (pg->in == BLOCK_LIST) {
			g_string_append(pg->out, "</li>\n<li>");
		} else {
			close_block(pg);
			g_string_append(pg->out, "<ul>\n<li>");
			pg->in = BLOCK_LIST;
			pg->item_indent = indent;
		}
		put_text(pg, item_text(line), strlen(item_text(line)), TRUE);
		return;
	}
	/* A line that ends in "：" over a list names the list. */
	heading = g_str_has_suffix(line, "：") && next != NULL &&
		  (indent_of(next) >= 2 || g_str_has_prefix(next, "・"));
	if (heading) {
		close_block(pg);
		g_string_append(pg->out, "<h3>");
		put_text(pg, line, strlen(line), TRUE);
		g_string_append(pg->out, "</h3>\n");
		return;
	}
	if (pg->in == BLOCK_PARA) {
		g_string_append(pg->out, "<br>\n");
	} else {
		close_block(pg);
		g_string_append(pg->out, "<p>");
		pg->in = BLOCK_PARA;
	}
	put_text(pg, line, strlen(line), TRUE);
}

char *
mailhtml_from_text(const char *title, const char *text, const char *domain)
{
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
	g_autofree char *t = g_markup_escape_text(title, -1);
	struct page pg = { g_string_new(NULL), BLOCK_NONE, domain, 0 };

	g_string_append_printf(
		pg.out,
		"<!DOCTYPE html>\n<html lang=\"zh-Hant-TW\">\n<head>\n"
		"<meta charset=\"utf-8\">\n<title>%s</title>\n"
		"<style>\n"
		"body { font-family: sans-serif; line-height: 1.6; "
		"max-width: 46em; margin: 1em; color: #222; }\n"
		"h3 { font-size: 1em; margin: 1.2em 0 0.3em; }\n"
		"ul { margin: 0.3em 0; padding-left: 1.4em; }\n"
		"li { margin: 0.2em 0; }\n"
		"blockquote { margin: 0.5em 0; padding: 0.4em 0.8em; "
		"border-left: 4px solid #9ab; background: #f4f6f8; }\n"
		".letter { white-space: pre-wrap; }\n"
		"</style>\n</head>\n<body>\n",
		t);
	for (int i = 0; lines[i] != NULL; i++) {
		g_strchomp(lines[i]);
		put_line(&pg, lines[i], lines[i + 1]);
	}
	close_block(&pg);
	g_string_append(pg.out, "</body>\n</html>\n");
	return g_string_free(pg.out, FALSE);
}
