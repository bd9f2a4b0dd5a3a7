/*
 * From raw bytes to struct mail_msg with GMime.  Charsets of text parts
 * are handled by charset.c, not by GMime's filters, because those drop
 * unconvertible bytes without a word; HTML is read with libxml2, its
 * hidden parts left out.  The top message's own text and that of the
 * messages attached to it are kept apart: only the first is what the
 * sender wrote, and only it may hold a staff member's commands.
 */
#include <gmime/gmime.h>
#include <libxml/HTMLparser.h>
#include <string.h>

#include "charset.h"
#include "mime.h"
#include "watchdog.h"

static GMimeParserOptions *parser_opts;

void
mime_init(void)
{
	/* Raw 8-bit headers: try UTF-8, then Big5 (CP950), then GB18030. */
	static const char *fallback[] = { "UTF-8", "CP950", "GB18030",
					  NULL };

	g_mime_init();
	parser_opts = g_mime_parser_options_new();
	g_mime_parser_options_set_fallback_charsets(parser_opts, fallback);
	g_mime_parser_options_set_rfc2047_compliance_mode(
		parser_opts, GMIME_RFC_COMPLIANCE_LOOSE);
	g_mime_parser_options_set_address_compliance_mode(
		parser_opts, GMIME_RFC_COMPLIANCE_LOOSE);
	xmlInitParser();
}

void
mime_done(void)
{
	g_clear_pointer(&parser_opts, g_mime_parser_options_free);
	g_mime_shutdown();
	xmlCleanupParser();
}

static void
attachment_free(struct attachment *a)
{
	if (a == NULL)
		return;
	g_free(a->filename);
	g_free(a->content_type);
	if (a->data != NULL)
		g_bytes_unref(a->data);
	g_free(a);
}

/* The file kinds staff may be sent: declared type, name endings, and
 * the first bytes that such a file starts with (NULL: any). */
static const struct {
	const char *type;	/* a prefix of the declared type */
	const char *const ends[6];
	const char *magic;
	gsize magic_len;
} passable[] = {
	{ "application/pdf", { ".pdf" }, "%PDF-", 5 },
	{ "image/jpeg", { ".jpg", ".jpeg" }, "\xff\xd8\xff", 3 },
	{ "image/png", { ".png" }, "\x89PNG", 4 },
	{ "image/gif", { ".gif" }, "GIF8", 4 },
	{ "image/heic", { ".heic", ".heif" }, NULL, 0 },
	{ "image/webp", { ".webp" }, "RIFF", 4 },
	{ "text/plain", { ".txt", ".csv" }, NULL, 0 },
	{ "text/csv", { ".csv" }, NULL, 0 },
	/* Office files are zip (OOXML, OpenDocument) or OLE (old). */
	{ "application/vnd.openxmlformats-officedocument",
	  { ".docx", ".xlsx", ".pptx" }, "PK\x03\x04", 4 },
	{ "application/vnd.oasis.opendocument", { ".odt", ".ods" },
	  "PK\x03\x04", 4 },
	{ "application/msword", { ".doc" }, "\xd0\xcf\x11\xe0", 4 },
	{ "application/vnd.ms-excel", { ".xls" }, "\xd0\xcf\x11\xe0", 4 },
};

gboolean
mime_attachment_passable(const struct attachment *a, const char **why)
{
	g_autofree char *name = a->filename != NULL
					? g_utf8_strdown(a->filename, -1)
					: g_strdup("");
	const guint8 *d;
	gsize len;

	*why = NULL;
	if (a->data == NULL) {
		*why = "附加的郵件（內容已併入上方的來信）";
		return FALSE;
	}
	if (a->size > MIME_PASS_FILE_MAX) {
		*why = "檔案超過 10 MB";
		return FALSE;
	}
	d = g_bytes_get_data(a->data, &len);
	for (size_t i = 0; i < G_N_ELEMENTS(passable); i++) {
		gboolean named = *name == '\0';

		if (a->content_type == NULL ||
		    !g_str_has_prefix(a->content_type, passable[i].type))
			continue;
		for (int k = 0; !named && passable[i].ends[k] != NULL; k++)
			named = g_str_has_suffix(name, passable[i].ends[k]);
		if (!named)
			break;	/* the name says another kind */
		if (passable[i].magic != NULL &&
		    (len < passable[i].magic_len ||
		     memcmp(d, passable[i].magic, passable[i].magic_len) != 0))
			break;	/* the bytes say another kind */
		/* Text that is a program in disguise. */
		if (g_str_has_prefix(passable[i].type, "text/") && len >= 2 &&
		    d[0] == '#' && d[1] == '!')
			break;
		return TRUE;
	}
	*why = "檔案類型不允許轉寄（只轉寄文件與圖片）";
	return FALSE;
}

void
mail_msg_free(struct mail_msg *m)
{
	if (m == NULL)
		return;
	g_free(m->message_id);
	g_free(m->subject);
	g_free(m->from_addr);
	g_free(m->from_name);
	g_free(m->reply_to);
	if (m->to != NULL)
		g_ptr_array_free(m->to, TRUE);
	g_free(m->in_reply_to);
	g_free(m->loop);
	if (m->references != NULL)
		g_ptr_array_free(m->references, TRUE);
	g_free(m->return_path);
	if (m->auth_results != NULL)
		g_ptr_array_free(m->auth_results, TRUE);
	g_free(m->auto_submitted);
	g_free(m->precedence);
	g_free(m->list_id);
	g_free(m->content_type);
	g_free(m->report_type);
	if (m->date != NULL)
		g_date_time_unref(m->date);
	g_free(m->text);
	g_free(m->own_text);
	g_free(m->forwarded_text);
	g_free(m->report);
	if (m->attachments != NULL)
		g_ptr_array_free(m->attachments, TRUE);
	g_free(m);
}

/*
 * Where the body of data (len bytes) starts: after the first empty
 * line; without one (not mail at all, or headers alone) all of it
 * counts, so that two such files are never taken for copies of one
 * another.
 */
static const char *
body_start(const char *data, size_t len)
{
	const char *end = data + len;

	for (const char *p = data; p < end; p++) {
		if (*p != '\n')
			continue;
		if (p + 1 < end && p[1] == '\n')
			return p + 2;
		if (p + 2 < end && p[1] == '\r' && p[2] == '\n')
			return p + 3;
	}
	return data;
}

void
mail_body_hash(const char *data, size_t len, char out[65])
{
	g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA256);
	const char *p = body_start(data, len), *end = data + len;

	/* The CR of each CRLF is dropped: a copy that crossed a server
	 * which changed its line ends is the same letter. */
	while (p < end) {
		const char *cr = memchr(p, '\r', end - p);

		if (cr == NULL) {
			g_checksum_update(sum, (const guchar *)p, end - p);
			break;
		}
		g_checksum_update(sum, (const guchar *)p, cr - p);
		if (cr + 1 < end && cr[1] == '\n')
			p = cr + 1;	/* drop the CR of CRLF */
		else {
			g_checksum_update(sum, (const guchar *)cr, 1);
			p = cr + 1;
		}
	}
	g_strlcpy(out, g_checksum_get_string(sum), 65);
}

size_t
mail_body_length(const char *data, size_t len)
{
	const char *p = body_start(data, len), *end = data + len;
	size_t n = end - p;

	for (; p < end && (p = memchr(p, '\r', end - p)) != NULL; p++)
		if (p + 1 < end && p[1] == '\n')
			n--;
	return n;
}

/* HTML element names after which a line ends. */
static gboolean
html_is_block(const char *name)
{
	static const char *const blocks[] = {
		"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5",
		"h6", "table", "blockquote", "pre", "hr", "dt", "dd", "ul",
		"ol", "section", "article", "header", "footer", "title",
		NULL,
	};
	return g_strv_contains(blocks, name);
}

/* <blockquote>, and Gmail's quote container. */
static gboolean
html_is_quote(xmlNode *n)
{
	g_autofree char *cls = NULL;
	gboolean q;

	if (strcmp((const char *)n->name, "blockquote") == 0)
		return TRUE;
	/* Outlook's header block is found in the text by quote.c. */
	cls = (char *)xmlGetProp(n, (const xmlChar *)"class");
	q = cls != NULL && strstr(cls, "gmail_quote") != NULL;
	return q;
}

/* Whether a CSS length or number ("0", "0px", "0.0em", "0%") is zero. */
static gboolean
css_zero(const char *v)
{
	char *end = NULL;
	double d = g_ascii_strtod(v, &end);

	return end != v && d == 0.0;
}

/*
 * Whether CSS declarations ("color: red; display:none !important") hide
 * what they apply to: display:none, visibility:hidden, font-size:0 or
 * opacity:0, the ways mail hides text from the reader but not from us.
 */
static gboolean
css_hides(const char *decls, size_t len)
{
	g_autofree char *low = g_ascii_strdown(decls, (gssize)len);
	g_auto(GStrv) d = g_strsplit(low, ";", -1);
	gboolean clipped = FALSE, zero = FALSE;

	for (int i = 0; d[i] != NULL; i++) {
		char *colon = strchr(d[i], ':');
		char *prop = d[i], *val, *bang;

		if (colon == NULL)
			continue;
		*colon = '\0';
		val = colon + 1;
		bang = strchr(val, '!');
		if (bang != NULL)
			*bang = '\0';
		g_strstrip(prop);
		g_strstrip(val);
		if ((strcmp(prop, "display") == 0 && strcmp(val, "none") == 0) ||
		    (strcmp(prop, "visibility") == 0 &&
		     (strcmp(val, "hidden") == 0 ||
		      strcmp(val, "collapse") == 0)) ||
		    (strcmp(prop, "font-size") == 0 && css_zero(val)) ||
		    (strcmp(prop, "opacity") == 0 && css_zero(val)) ||
		    /* Outlook's own way to hide a block. */
		    (strcmp(prop, "mso-hide") == 0 && strcmp(val, "all") == 0))
			return TRUE;
		/* A box of no size that clips what it holds. */
		if (strcmp(prop, "overflow") == 0 && strcmp(val, "hidden") == 0)
			clipped = TRUE;
		if ((strcmp(prop, "height") == 0 ||
		     strcmp(prop, "max-height") == 0 ||
		     strcmp(prop, "width") == 0 ||
		     strcmp(prop, "max-width") == 0) && css_zero(val))
			zero = TRUE;
	}
	return clipped && zero;
}

/* A class selector alone (".x", "span.x"): the class name, else NULL. */
static char *
css_class_selector(const char *sel)
{
	g_autofree char *s = g_strstrip(g_strdup(sel));
	const char *dot = strchr(s, '.');

	if (dot == NULL || dot[1] == '\0')
		return NULL;
	for (const char *p = s; p < dot; p++)
		if (!g_ascii_isalnum(*p))
			return NULL;
	for (const char *p = dot + 1; *p; p++)
		if (!g_ascii_isalnum(*p) && *p != '-' && *p != '_')
			return NULL;
	return g_strdup(dot + 1);
}

/*
 * The classes a style sheet hides (".preheader { display: none }"), into
 * hidden.  Only plain rules count: those inside @media apply to some
 * screens only, and others are left alone.
 */
static void
css_hidden_classes(const char *css, GHashTable *hidden)
{
	GString *s = g_string_new(NULL);
	const char *p;

	/* Comments out first. */
	for (p = css; *p;) {
		if (p[0] == '/' && p[1] == '*') {
			const char *e = strstr(p + 2, "*/");

			if (e == NULL)
				break;
			p = e + 2;
			continue;
		}
		g_string_append_c(s, *p++);
	}
	for (p = s->str; *p;) {
		const char *open = strchr(p, '{'), *close;
		g_autofree char *prelude = NULL;

		if (open == NULL)
			break;
		prelude = g_strstrip(g_strndup(p, open - p));
		if (prelude[0] == '@') {
			/* Skip the whole at-rule block, nested braces too. */
			int depth = 0;

			for (close = open; *close; close++) {
				depth += *close == '{';
				depth -= *close == '}';
				if (depth == 0)
					break;
			}
			p = *close ? close + 1 : close;
			continue;
		}
		close = strchr(open, '}');
		if (close == NULL)
			break;
		if (css_hides(open + 1, close - open - 1)) {
			g_auto(GStrv) sels = g_strsplit(prelude, ",", -1);

			for (int i = 0; sels[i] != NULL; i++) {
				char *cls = css_class_selector(sels[i]);

				if (cls != NULL)
					g_hash_table_add(hidden, cls);
			}
		}
		p = close + 1;
	}
	g_string_free(s, TRUE);
}

/* Gathers the classes every <style> in the tree hides. */
static void
html_styles(xmlNode *node, GHashTable *hidden, int depth)
{
	if (depth > 256)
		return;
	for (xmlNode *n = node; n != NULL; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (strcmp((const char *)n->name, "style") == 0) {
			xmlChar *css = xmlNodeGetContent(n);

			if (css != NULL)
				css_hidden_classes((const char *)css, hidden);
			xmlFree(css);
			continue;
		}
		html_styles(n->children, hidden, depth + 1);
	}
}

/*
 * Whether an element is never shown: what browsers never render (head,
 * script, style, template...), the hidden attribute, a hiding inline
 * style, or a class a style sheet hides.
 */
static gboolean
html_is_hidden(xmlNode *n, GHashTable *hidden)
{
	static const char *const never[] = {
		"head", "script", "style", "template", "title", "datalist",
		"noembed", "noframes", "rp", NULL,
	};
	xmlChar *v;
	gboolean h = FALSE;

	if (g_strv_contains(never, (const char *)n->name))
		return TRUE;
	if (xmlHasProp(n, (const xmlChar *)"hidden") != NULL)
		return TRUE;
	v = xmlGetProp(n, (const xmlChar *)"style");
	if (v != NULL)
		h = css_hides((const char *)v, strlen((const char *)v));
	xmlFree(v);
	if (h || g_hash_table_size(hidden) == 0)
		return h;
	v = xmlGetProp(n, (const xmlChar *)"class");
	if (v != NULL) {
		g_auto(GStrv) cls = g_strsplit_set((const char *)v,
						   " \t\r\n\f", -1);

		for (int i = 0; !h && cls[i] != NULL; i++)
			h = *cls[i] && g_hash_table_contains(hidden, cls[i]);
	}
	xmlFree(v);
	return h;
}

/*
 * A walk of the visible HTML into text.  Quoted history keeps its "> "
 * marks: a quote's lines are stripped, the blank ones dropped, and each
 * prefixed once per quote around it.  The marks are written once, when
 * the outermost quote ends, from where each nested one started and
 * ended: linear however deep the nesting.
 */
struct html_walk {
	GString *out;
	GHashTable *hidden;	/* classes a style sheet hides */
	GArray *levels;		/* struct quote_level, in the outermost */
	int quoting;		/* the quotes around the walk now */
};

/* From byte at of out on, lines are inside depth quotes. */
struct quote_level {
	size_t at;
	int depth;
};

static void
line_break(GString *out)
{
	if (out->len > 0 && out->str[out->len - 1] != '\n')
		g_string_append_c(out, '\n');
}

/* Rewrites out from byte from on with the marks of levels. */
static void
quote_marks(GString *out, size_t from, const GArray *levels)
{
	g_autofree char *text = g_strndup(out->str + from, out->len - from);
	char *line = text;
	guint k = 0;
	int depth = 0;

	g_string_truncate(out, from);
	while (line != NULL) {
		char *nl = strchr(line, '\n');
		size_t at = from + (size_t)(line - text);

		if (nl != NULL)
			*nl = '\0';
		while (k < levels->len &&
		       g_array_index(levels, struct quote_level, k).at <= at)
			depth = g_array_index(levels, struct quote_level,
					      k++).depth;
		if (*g_strstrip(line) != '\0') {
			for (int d = 0; d < depth; d++)
				g_string_append(out, "> ");
			g_string_append(out, line);
			g_string_append_c(out, '\n');
		}
		line = nl != NULL ? nl + 1 : NULL;
	}
}

static void
html_walk(struct html_walk *w, xmlNode *node, int depth)
{
	GString *out = w->out;

	/* libxml2 caps nesting itself; this guards our own recursion.
	 * Over the time cap the reading gives up (watchdog.h). */
	if (depth > 256 || watchdog_expired())
		return;
	for (xmlNode *n = node; n != NULL && !watchdog_expired();
	     n = n->next) {
		const char *name = (const char *)n->name;

		if (n->type == XML_TEXT_NODE ||
		    n->type == XML_CDATA_SECTION_NODE) {
			const char *t = (const char *)n->content;
			gboolean space = out->len > 0 &&
					 (out->str[out->len - 1] == ' ' ||
					  out->str[out->len - 1] == '\n');

			/* Collapse runs of white space, as a browser does;
			 * copy the runs between them whole. */
			while (t != NULL && *t) {
				size_t run = strcspn(t, " \t\r\n\f\v");

				if (run > 0) {
					g_string_append_len(out, t, run);
					t += run;
					space = FALSE;
					continue;
				}
				if (!space && out->len > 0)
					g_string_append_c(out, ' ');
				space = TRUE;
				t += strspn(t, " \t\r\n\f\v");
			}
			continue;
		}
		/* Comments, processing instructions: never shown. */
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (html_is_hidden(n, w->hidden))
			continue;
		if (strcmp(name, "td") == 0 || strcmp(name, "th") == 0) {
			if (out->len > 0 && out->str[out->len - 1] != '\n')
				g_string_append_c(out, ' ');
		}
		if (html_is_quote(n)) {
			struct quote_level in, back;
			size_t from;

			line_break(out);
			from = out->len;
			in.at = from;
			in.depth = ++w->quoting;
			g_array_append_val(w->levels, in);
			html_walk(w, n->children, depth + 1);
			line_break(out);
			back.at = out->len;
			back.depth = --w->quoting;
			g_array_append_val(w->levels, back);
			if (w->quoting == 0) {
				quote_marks(out, from, w->levels);
				g_array_set_size(w->levels, 0);
			}
			continue;
		}
		/* A block starts on a line of its own ("a<div>b</div>"). */
		if (html_is_block(name) && strcmp(name, "br") != 0 &&
		    out->len > 0 && out->str[out->len - 1] != '\n') {
			while (out->len > 0 && out->str[out->len - 1] == ' ')
				g_string_truncate(out, out->len - 1);
			g_string_append_c(out, '\n');
		}
		html_walk(w, n->children, depth + 1);
		if (html_is_block(name)) {
			while (out->len > 0 && out->str[out->len - 1] == ' ')
				g_string_truncate(out, out->len - 1);
			g_string_append_c(out, '\n');
		}
	}
}

/* html_to_text(), and the charset the HTML was read in into *used. */
static char *
html_read(const char *html, size_t len, const char *charset, guint *bad,
	  const char **used)
{
	g_autofree char *utf8 = charset_to_utf8(html, len, charset, bad,
						used);
	g_autoptr(GHashTable) hidden =
		g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	GString *out = g_string_new(NULL);
	htmlDocPtr doc;

	doc = htmlReadMemory(utf8, (int)MIN(strlen(utf8), (size_t)G_MAXINT),
			     NULL, "UTF-8",
			     HTML_PARSE_RECOVER | HTML_PARSE_NOERROR |
				     HTML_PARSE_NOWARNING | HTML_PARSE_NONET);
	if (doc != NULL) {
		xmlNode *root = xmlDocGetRootElement(doc);

		struct html_walk w = { out, hidden, NULL, 0 };

		w.levels = g_array_new(FALSE, FALSE,
				       sizeof(struct quote_level));
		html_styles(root, hidden, 0);
		html_walk(&w, root, 0);
		g_array_free(w.levels, TRUE);
		xmlFreeDoc(doc);
	}
	/* Squeeze three or more line ends into one blank line. */
	while (strstr(out->str, "\n\n\n") != NULL)
		g_string_replace(out, "\n\n\n", "\n\n", 0);
	return g_string_free(out, FALSE);
}

char *
html_to_text(const char *html, size_t len, const char *charset, guint *bad)
{
	return html_read(html, len, charset, bad, NULL);
}

/* The decoded (transfer encoding undone) content of a leaf part. */
static GByteArray *
part_bytes(GMimePart *part)
{
	GMimeDataWrapper *dw = g_mime_part_get_content(part);
	GMimeStream *mem;
	GByteArray *ba;

	if (dw == NULL)
		return g_byte_array_new();
	/* charset_to_utf8() and libxml2 take (data, len); never NULL. */
	mem = g_mime_stream_mem_new();
	g_mime_data_wrapper_write_to_stream(dw, mem);
	g_mime_stream_flush(mem);
	/* The array outlives the stream: take it over. */
	g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(mem), FALSE);
	ba = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
	g_object_unref(mem);
	return ba;
}

static char *
header_dup(GMimeObject *obj, const char *name)
{
	const char *v = g_mime_object_get_header(obj, name);

	return v != NULL ? charset_valid_utf8(g_strstrip(g_strdup(v)), NULL)
			 : NULL;
}

static void
add_addresses(GPtrArray *out, InternetAddressList *list, int depth)
{
	if (list == NULL || depth > 4)
		return;
	for (int i = 0; i < internet_address_list_length(list); i++) {
		InternetAddress *a = internet_address_list_get_address(list, i);

		if (INTERNET_ADDRESS_IS_MAILBOX(a)) {
			const char *s = internet_address_mailbox_get_addr(
				INTERNET_ADDRESS_MAILBOX(a));

			if (s != NULL && *s)
				g_ptr_array_add(out, charset_valid_utf8(
							     g_strdup(s), NULL));
		} else if (INTERNET_ADDRESS_IS_GROUP(a)) {
			add_addresses(out,
				      internet_address_group_get_members(
					      INTERNET_ADDRESS_GROUP(a)),
				      depth + 1);
		}
	}
}


/*
 * Whether a DKIM-Signature's d=, i= or s= tags, once decoded (i= is
 * DKIM-quoted-printable), hold a character that would break an
 * Authentication-Results header where a server writes them unquoted.
 */
static gboolean
dkim_tags_hostile(const char *raw)
{
	g_auto(GStrv) tags = g_strsplit(raw != NULL ? raw : "", ";", -1);

	for (int i = 0; tags[i] != NULL; i++) {
		g_autofree char *t = g_strstrip(g_strdup(tags[i]));
		g_autoptr(GString) v = g_string_new(NULL);
		char *eq = strchr(t, '=');
		const char *p;

		if (eq == NULL)
			continue;
		*eq = '\0';
		g_strstrip(t);
		if (strcmp(t, "d") != 0 && strcmp(t, "i") != 0 &&
		    strcmp(t, "s") != 0)
			continue;
		/* Folding white space inside a tag value is no part of it. */
		for (p = eq + 1; *p; p++) {
			if (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
				continue;
			if (*p == '=' && g_ascii_isxdigit(p[1]) &&
			    g_ascii_isxdigit(p[2])) {
				g_string_append_c(
					v, (char)(g_ascii_xdigit_value(p[1]) * 16 +
						  g_ascii_xdigit_value(p[2])));
				p += 2;
				continue;
			}
			g_string_append_c(v, *p);
		}
		for (gsize k = 0; k < v->len; k++) {
			unsigned char c = (unsigned char)v->str[k];

			if (c <= ' ' || c == 0x7f ||
			    strchr(";()\"\\,=", c) != NULL)
				return TRUE;
		}
	}
	return FALSE;
}

static void
read_headers(struct mail_msg *m, GMimeMessage *msg)
{
	GMimeObject *obj = GMIME_OBJECT(msg);
	g_autoptr(GPtrArray) from = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GPtrArray) rt = g_ptr_array_new_with_free_func(g_free);
	InternetAddressList *list;
	const char *v;
	GDateTime *date;

	v = g_mime_message_get_message_id(msg);
	m->message_id = v != NULL && *v
				? charset_valid_utf8(g_strdup(v), NULL)
				: NULL;
	v = g_mime_message_get_subject(msg);
	/* GMime's decoding of encoded words can pass invalid bytes on. */
	m->subject = charset_valid_utf8(g_strdup(v != NULL ? v : ""), NULL);
	list = g_mime_message_get_from(msg);
	add_addresses(from, list, 0);
	if (from->len > 0) {
		InternetAddress *a = internet_address_list_get_address(list, 0);
		const char *name = internet_address_get_name(a);

		m->from_addr = charset_valid_utf8(g_strdup(from->pdata[0]),
						  NULL);
		m->from_name = charset_valid_utf8(
			name != NULL ? g_strdup(name) : NULL, NULL);
	}
	add_addresses(rt, g_mime_message_get_reply_to(msg), 0);
	if (rt->len > 0)
		m->reply_to = g_strdup(rt->pdata[0]);
	m->to = g_ptr_array_new_with_free_func(g_free);
	add_addresses(m->to, g_mime_message_get_to(msg), 0);
	add_addresses(m->to, g_mime_message_get_cc(msg), 0);
	/* The message id it answers, without <>, as Message-ID is kept. */
	v = g_mime_object_get_header(obj, "In-Reply-To");
	if (v != NULL) {
		GMimeReferences *refs = g_mime_references_parse(NULL, v);

		if (refs != NULL && g_mime_references_length(refs) > 0)
			m->in_reply_to = charset_valid_utf8(
				g_strdup(g_mime_references_get_message_id(
					refs, 0)),
				NULL);
		if (refs != NULL)
			g_mime_references_free(refs);
	}
	m->references = g_ptr_array_new_with_free_func(g_free);
	v = g_mime_object_get_header(obj, "References");
	if (v != NULL) {
		GMimeReferences *refs = g_mime_references_parse(NULL, v);

		for (int i = 0; refs != NULL && i < g_mime_references_length(refs);
		     i++)
			g_ptr_array_add(m->references,
					charset_valid_utf8(g_strdup(
						g_mime_references_get_message_id(
							refs, i)), NULL));
		if (refs != NULL)
			g_mime_references_free(refs);
	}
	/* Every Authentication-Results, top first (verify.h reads them). */
	m->auth_results = g_ptr_array_new_with_free_func(g_free);
	{
		GMimeHeaderList *hl = g_mime_object_get_header_list(obj);
		int n = g_mime_header_list_get_count(hl);

		for (int i = 0; i < n; i++) {
			GMimeHeader *h = g_mime_header_list_get_header_at(hl, i);

			if (g_ascii_strcasecmp(g_mime_header_get_name(h),
					       "Authentication-Results") == 0)
				g_ptr_array_add(m->auth_results,
						charset_valid_utf8(g_strdup(
							g_mime_header_get_value(h)),
							NULL));
		}
	}
	/* DKIM signatures whose tags a server would write out unquoted. */
	{
		GMimeHeaderList *hl = g_mime_object_get_header_list(obj);
		int n = g_mime_header_list_get_count(hl);

		for (int i = 0; i < n && !m->dkim_hostile; i++) {
			GMimeHeader *h = g_mime_header_list_get_header_at(hl, i);

			if (g_ascii_strcasecmp(g_mime_header_get_name(h),
					       "DKIM-Signature") == 0)
				m->dkim_hostile = dkim_tags_hostile(
					g_mime_header_get_raw_value(h));
		}
	}
	m->from_count = from->len;
	m->return_path = header_dup(obj, "Return-Path");
	m->auto_submitted = header_dup(obj, "Auto-Submitted");
	m->loop = header_dup(obj, "X-Lamplight-Loop");
	m->precedence = header_dup(obj, "Precedence");
	m->list_id = header_dup(obj, "List-Id");
	if (m->list_id == NULL)
		m->list_id = header_dup(obj, "List-Unsubscribe");
	m->x_autoreply = g_mime_object_get_header(obj, "X-Autoreply") ||
			 g_mime_object_get_header(obj, "X-Autorespond");
	v = g_mime_object_get_header(obj, "X-Help-Form");
	m->form_version = v != NULL ? (int)g_ascii_strtoll(v, NULL, 10) : 0;
	date = g_mime_message_get_date(msg);
	m->date = date != NULL ? g_date_time_ref(date) : NULL;
}

static gboolean
part_is_attachment(GMimeObject *obj)
{
	GMimeContentDisposition *cd =
		g_mime_object_get_content_disposition(obj);

	if (cd != NULL && g_mime_content_disposition_is_attachment(cd))
		return TRUE;
	return GMIME_IS_PART(obj) &&
	       g_mime_part_get_filename(GMIME_PART(obj)) != NULL;
}

/*
 * The text of one message, the top one or one forwarded inside it: its
 * own text parts, never those of the messages attached to it.
 */
struct body {
	GString *plain;		/* text/plain parts, joined */
	GPtrArray *html;	/* text/html parts (GMimePart *, a reference
				 * each), read only if the plain text says
				 * nothing */
	const char *charset;	/* of the last plain part read */
	guint bad;
	guint n_plain;		/* text/plain parts joined into plain */
};

static void
body_init(struct body *b)
{
	b->plain = g_string_new(NULL);
	b->html = g_ptr_array_new_with_free_func(g_object_unref);
	b->charset = NULL;
	b->bad = 0;
	b->n_plain = 0;
}

static void
body_done(struct body *b)
{
	g_string_free(b->plain, TRUE);
	g_ptr_array_free(b->html, TRUE);
}

/* A plain text shorter than this may be a stub ("請使用支援HTML的郵件
 * 程式", a signature): the HTML beside it is read too. */
#define PLAIN_STUB_CHARS 40

/* s (len bytes) without the ASCII blanks around it: *len shortened. */
static const char *
trimmed(const char *s, size_t *len)
{
	const char *end = s + *len;

	while (s < end && g_ascii_isspace(*s))
		s++;
	while (end > s && g_ascii_isspace(end[-1]))
		end--;
	*len = end - s;
	return s;
}

/*
 * The text of a body, a new string: the plain text, unless it is a stub
 * beside longer HTML (under PLAIN_STUB_CHARS, and empty, under a quarter
 * of the HTML's visible text, or naming HTML).  *from_html says which;
 * *charset is the charset read.
 */
static char *
body_text(struct body *b, gboolean *from_html, const char **charset)
{
	size_t plain_len = b->plain->len, vis_len;
	const char *plain = trimmed(b->plain->str, &plain_len), *vis;
	g_autoptr(GString) html = NULL;
	const char *html_cs = NULL;
	glong plain_chars;
	gboolean names_html;

	*from_html = FALSE;
	*charset = b->charset;
	if (b->html->len == 0 ||
	    charset_utf8_longer(plain, plain_len, PLAIN_STUB_CHARS - 1))
		return g_string_free(g_string_new_len(b->plain->str,
						      b->plain->len), FALSE);
	plain_chars = g_utf8_strlen(plain, plain_len);
	/* Rendering HTML is slow: only where the plain text is a stub. */
	html = g_string_new(NULL);
	for (guint i = 0; i < b->html->len; i++) {
		GMimePart *part = b->html->pdata[i];
		GMimeContentType *ct =
			g_mime_object_get_content_type(GMIME_OBJECT(part));
		g_autoptr(GByteArray) ba = part_bytes(part);
		const char *used = NULL;
		guint bad = 0;
		g_autofree char *t = html_read(
			(char *)ba->data, ba->len,
			g_mime_content_type_get_parameter(ct, "charset"), &bad,
			&used);

		if (html->len > 0)
			g_string_append(html, "\n\n");
		g_string_append(html, t);
		b->bad += bad;
		if (html_cs == NULL)
			html_cs = used;
	}
	vis_len = html->len;
	vis = trimmed(html->str, &vis_len);
	/* A short plain text that names HTML is the "use a mail program
	 * that shows HTML" stub, whatever the length of the letter; else
	 * the HTML must say four times as much. */
	names_html = g_strstr_len(plain, plain_len, "HTML") != NULL ||
		     g_strstr_len(plain, plain_len, "html") != NULL;
	if (charset_utf8_longer(vis, vis_len,
				names_html ? plain_chars : plain_chars * 4)) {
		*from_html = TRUE;
		*charset = html_cs;
		return g_string_free(g_steal_pointer(&html), FALSE);
	}
	return g_string_free(g_string_new_len(b->plain->str, b->plain->len),
			     FALSE);
}

/* What the walk over the tree fills in besides the bodies. */
struct walk {
	struct mail_msg *m;
	GString *report;	/* returned headers of a bounce */
	GString *forwarded;	/* text of attached messages */
	guint parts;
	struct err *err;
};

static enum status walk_object(struct walk *w, struct body *b,
			       GMimeObject *obj, guint depth);

/* A text/plain part's text, decoded, onto b's plain text. */
static void
body_add_plain(struct body *b, GMimePart *part)
{
	GMimeContentType *ct = g_mime_object_get_content_type(
		GMIME_OBJECT(part));
	g_autoptr(GByteArray) ba = part_bytes(part);
	const char *used;
	guint bad = 0;
	g_autofree char *t = charset_to_utf8(
		(char *)ba->data, ba->len,
		g_mime_content_type_get_parameter(ct, "charset"), &bad, &used);

	if (b->plain->len > 0)
		g_string_append(b->plain, "\n\n");
	g_string_append(b->plain, t);
	b->bad += bad;
	b->charset = used;
	b->n_plain++;
}

/* Whether obj is a text part of the message's own (not an attachment). */
static gboolean
own_text_part(GMimeObject *obj, const char *subtype)
{
	return GMIME_IS_PART(obj) && !part_is_attachment(obj) &&
	       g_mime_content_type_is_type(
		       g_mime_object_get_content_type(obj), "text", subtype);
}

/*
 * The first text part of the tree under obj in reading order, not
 * looking into attached messages, into *leaf; *alt is the multipart/
 * alternative that holds it directly, if one does.  The limits of the
 * tree were checked by the walk before.
 */
static void
first_text(GMimeObject *obj, guint depth, GMimeObject **leaf,
	   GMimeMultipart **alt)
{
	if (obj == NULL || depth > MIME_MAX_DEPTH || *leaf != NULL)
		return;
	if (GMIME_IS_MULTIPART(obj)) {
		GMimeMultipart *mp = GMIME_MULTIPART(obj);
		GMimeContentType *ct = g_mime_object_get_content_type(obj);

		for (int i = 0; *leaf == NULL &&
				i < g_mime_multipart_get_count(mp); i++) {
			GMimeObject *c = g_mime_multipart_get_part(mp, i);

			first_text(c, depth + 1, leaf, alt);
			if (*leaf == c && *alt == NULL &&
			    g_mime_content_type_is_type(ct, "multipart",
							"alternative"))
				*alt = mp;
		}
		return;
	}
	if (own_text_part(obj, "plain") || own_text_part(obj, "html"))
		*leaf = obj;
}

/*
 * The first text of the message (mail_msg.own_text): the first text
 * part, with its alternative in the other form when a multipart/
 * alternative holds both, chosen between by the rule for text.  A new
 * string; all_text (the joined text) when that is the same.
 */
static char *
own_text(GMimeObject *top, const struct body *all, const char *all_text)
{
	GMimeObject *leaf = NULL, *plain = NULL, *html = NULL;
	GMimeMultipart *alt = NULL;
	struct body b;
	gboolean from_html;
	const char *cs;
	char *text;

	first_text(top, 0, &leaf, &alt);
	if (leaf == NULL)
		return g_strdup("");
	if (alt != NULL) {
		for (int i = 0; i < g_mime_multipart_get_count(alt); i++) {
			GMimeObject *c = g_mime_multipart_get_part(alt, i);

			if (plain == NULL && own_text_part(c, "plain"))
				plain = c;
			else if (html == NULL && own_text_part(c, "html"))
				html = c;
		}
	} else if (own_text_part(leaf, "plain")) {
		plain = leaf;
	} else {
		html = leaf;
	}
	/* The usual mail, one text or one pair: read once only. */
	if (all->n_plain == (plain != NULL) &&
	    all->html->len == (html != NULL))
		return g_strdup(all_text);
	body_init(&b);
	if (plain != NULL)
		body_add_plain(&b, GMIME_PART(plain));
	if (html != NULL)
		g_ptr_array_add(b.html, g_object_ref(html));
	text = body_text(&b, &from_html, &cs);
	body_done(&b);
	return text;
}

/* A header value on one line, control characters made spaces. */
static char *
one_line(const char *s)
{
	char *t = charset_valid_utf8(g_strdup(s != NULL ? s : ""), NULL);

	for (char *p = t; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	return g_strstrip(t);
}

/*
 * An attached message (message/rfc822): its headers for bounces, an
 * entry among the attachments, and its subject and text, then those of
 * the messages attached to it, into w->forwarded.
 */
static enum status
walk_message(struct walk *w, GMimeMessagePart *mp, guint depth)
{
	static const char *const keep[] = {
		"Subject", "Message-ID", "References", "In-Reply-To",
		"X-Lamplight-Case",
	};
	GMimeObject *obj = GMIME_OBJECT(mp);
	GMimeMessage *in = g_mime_message_part_get_message(mp);
	GMimeContentType *ct = g_mime_object_get_content_type(obj);
	GMimeContentDisposition *cd = g_mime_object_get_content_disposition(obj);
	struct attachment *a = g_new0(struct attachment, 1);
	const char *fn = cd != NULL ? g_mime_content_disposition_get_parameter(
					      cd, "filename")
				    : NULL;

	if (fn == NULL && ct != NULL)
		fn = g_mime_content_type_get_parameter(ct, "name");
	struct body b;
	gsize at = w->forwarded->len;
	enum status st = ST_OK;

	a->filename = fn != NULL ? charset_valid_utf8(g_strdup(fn), NULL)
				 : NULL;
	a->content_type = ct != NULL ? g_mime_content_type_get_mime_type(ct)
				     : g_strdup("message/rfc822");
	g_ptr_array_add(w->m->attachments, a);
	if (in == NULL)
		return ST_OK;
	{
		GMimeStream *null = g_mime_stream_null_new();

		a->size = (gsize)MAX(g_mime_object_write_to_stream(
					     GMIME_OBJECT(in), NULL, null),
				     0);
		g_object_unref(null);
	}
	for (size_t k = 0; k < G_N_ELEMENTS(keep); k++) {
		const char *v = g_mime_object_get_header(GMIME_OBJECT(in),
							 keep[k]);

		if (v != NULL)
			g_string_append_printf(w->report, "%s: %s\n", keep[k],
					       v);
	}
	body_init(&b);
	if (g_mime_message_get_mime_part(in) != NULL)
		st = walk_object(w, &b, g_mime_message_get_mime_part(in),
				 depth + 1);
	if (st == ST_OK) {
		/* This message before those attached to it, which the walk
		 * has just added after position at. */
		GString *sec = g_string_new("--- 轉寄的信件");
		InternetAddressList *from = g_mime_message_get_from(in);
		InternetAddress *fa =
			from != NULL && internet_address_list_length(from) > 0
				? internet_address_list_get_address(from, 0)
				: NULL;
		g_autofree char *name =
			fa != NULL ? one_line(internet_address_get_name(fa))
				   : NULL;
		g_autofree char *subj =
			one_line(g_mime_message_get_subject(in));
		g_autofree char *text = NULL;
		gboolean from_html;
		const char *cs;

		if (name != NULL && *name)
			g_string_append_printf(sec, "：%s", name);
		g_string_append(sec, " ---\n");
		if (*subj)
			g_string_append_printf(sec, "%s\n", subj);
		text = body_text(&b, &from_html, &cs);
		g_strchomp(text);
		if (*text)
			g_string_append_printf(sec, "\n%s\n", text);
		g_string_append_c(sec, '\n');
		w->m->bad_bytes += b.bad;
		g_string_insert_len(w->forwarded, at, sec->str, sec->len);
		g_string_free(sec, TRUE);
	}
	body_done(&b);
	return st;
}

/*
 * Walks the tree under obj: text parts into b, attached messages into
 * w->forwarded, the rest into the attachments.  ST_MSG_BAD, with nothing
 * more read, when the tree breaks a limit.
 */
static enum status
walk_object(struct walk *w, struct body *b, GMimeObject *obj, guint depth)
{
	struct mail_msg *m = w->m;
	GMimeContentType *ct;
	GMimePart *part;
	guint bad = 0;

	if (obj == NULL)
		return ST_OK;
	if (++w->parts > MIME_MAX_PARTS)
		return err_set(w->err, ST_MSG_BAD, "more than %d MIME parts",
			       MIME_MAX_PARTS);
	if (depth > MIME_MAX_DEPTH)
		return err_set(w->err, ST_MSG_BAD, "MIME parts nested more "
			       "than %d deep", MIME_MAX_DEPTH);
	if (GMIME_IS_MULTIPART(obj)) {
		GMimeMultipart *mp = GMIME_MULTIPART(obj);
		int n = g_mime_multipart_get_count(mp);

		for (int i = 0; i < n; i++) {
			enum status st = walk_object(
				w, b, g_mime_multipart_get_part(mp, i),
				depth + 1);

			if (st != ST_OK)
				return st;
		}
		return ST_OK;
	}
	if (GMIME_IS_MESSAGE_PART(obj))
		return walk_message(w, GMIME_MESSAGE_PART(obj), depth);
	if (!GMIME_IS_PART(obj))
		return ST_OK;
	part = GMIME_PART(obj);
	ct = g_mime_object_get_content_type(obj);
	if (!part_is_attachment(obj) &&
	    g_mime_content_type_is_type(ct, "text", "plain")) {
		body_add_plain(b, part);
	} else if (!part_is_attachment(obj) &&
		   g_mime_content_type_is_type(ct, "text", "html")) {
		g_ptr_array_add(b->html, g_object_ref(part));
	} else {
		struct attachment *a = g_new0(struct attachment, 1);
		g_autoptr(GByteArray) ba = part_bytes(part);
		const char *fn = g_mime_part_get_filename(part);

		/* Returned headers of a bounce: kept for matching. */
		if (g_mime_content_type_is_type(ct, "text", "rfc822-headers") ||
		    g_mime_content_type_is_type(ct, "message",
						"delivery-status")) {
			g_autofree char *t = charset_to_utf8(
				(char *)ba->data, ba->len, NULL, &bad, NULL);

			/* A part need not end its last line (the line end
			 * before a boundary is the boundary's): each part's
			 * fields start on a line of their own. */
			if (w->report->len > 0 &&
			    w->report->str[w->report->len - 1] != '\n')
				g_string_append_c(w->report, '\n');
			g_string_append(w->report, t);
		}
		a->filename = fn != NULL ? charset_valid_utf8(g_strdup(fn), NULL)
					 : NULL;
		a->content_type = g_mime_content_type_get_mime_type(ct);
		a->size = ba->len;
		a->data = g_byte_array_free_to_bytes(g_steal_pointer(&ba));
		g_ptr_array_add(m->attachments, a);
	}
	return ST_OK;
}

/*
 * The host a link's address or its visible text names, lowercased and
 * without "www.", or NULL when s names none.  An address must be
 * http(s); a visible text counts only when it is itself an address or
 * a bare domain ("https://www.nhi.gov.tw", "nhi.gov.tw/refund"), not
 * words ("立即報名").  "http://a.example@b.example/" goes to b.
 */
static char *
link_host(const char *s, gboolean visible)
{
	const char *p = s, *auth_end, *at, *end;
	char *host;

	while (g_ascii_isspace(*p))
		p++;
	if (g_ascii_strncasecmp(p, "http://", 7) == 0)
		p += 7;
	else if (g_ascii_strncasecmp(p, "https://", 8) == 0)
		p += 8;
	else if (!visible)
		return NULL;
	auth_end = p + strcspn(p, "/?# \t\r\n");
	at = NULL;
	for (const char *q = p; q < auth_end; q++)
		if (*q == '@')
			at = q;
	if (at != NULL)
		p = at + 1;
	if (g_ascii_strncasecmp(p, "www.", 4) == 0)
		p += 4;
	end = p;
	while (end < auth_end && (g_ascii_isalnum(*end) || *end == '.' ||
				  *end == '-'))
		end++;
	/* A bare domain as text: nothing else on the line but its path. */
	if (visible && *end != '\0' && *end != '/' && *end != ':' &&
	    !g_ascii_isspace(*end))
		return NULL;
	if (end == p || memchr(p, '.', end - p) == NULL || end[-1] == '.' ||
	    !g_ascii_isalpha(end[-1]))
		return NULL;
	host = g_ascii_strdown(p, end - p);
	return host;
}

/* Whether host a is b or within it, or b within a. */
static gboolean
hosts_related(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	if (la == lb)
		return strcmp(a, b) == 0;
	if (la > lb)
		return a[la - lb - 1] == '.' && strcmp(a + la - lb, b) == 0;
	return b[lb - la - 1] == '.' && strcmp(b + lb - la, a) == 0;
}

/* Whether the address href carries host after its own host. */
static gboolean
href_carries(const char *href, const char *host)
{
	g_autofree char *low = g_ascii_strdown(href, -1);
	const char *p = strstr(low, "://");

	p = p != NULL ? p + 3 : low;
	p += strcspn(p, "/?#");
	return strstr(p, host) != NULL;
}

/* The value of attribute href in the tag [p, end), a new string, or NULL. */
static char *
tag_href(const char *p, const char *end)
{
	for (; (p = g_strstr_len(p, end - p, "href")) != NULL; p += 4) {
		const char *v = p + 4, *e;

		/* "href" as an attribute name, not inside another word. */
		if (!g_ascii_isspace(p[-1]) && p[-1] != '"' && p[-1] != '\'')
			continue;
		while (v < end && g_ascii_isspace(*v))
			v++;
		if (v == end || *v != '=')
			continue;
		v++;
		while (v < end && g_ascii_isspace(*v))
			v++;
		if (v < end && (*v == '"' || *v == '\'')) {
			e = memchr(v + 1, *v, end - v - 1);
			if (e == NULL)
				return NULL;
			return g_strndup(v + 1, e - v - 1);
		}
		for (e = v; e < end && !g_ascii_isspace(*e); e++)
			;
		return g_strndup(v, e - v);
	}
	return NULL;
}

/* The first "<tag" (lit, lower case) in [p, end) whatever its case, or
 * NULL. */
static const char *
find_tag(const char *p, const char *end, const char *lit)
{
	size_t n = strlen(lit);

	while ((p = memchr(p, '<', end - p)) != NULL) {
		if ((size_t)(end - p) < n)
			return NULL;
		if (g_ascii_strncasecmp(p, lit, n) == 0)
			return p;
		p++;
	}
	return NULL;
}

/*
 * How many links of an HTML text show one address and go to another
 * (<a href="http://nhi-gov-tw.example.com/">https://www.nhi.gov.tw</a>),
 * the mark of phishing.  A plain scan, each step bounded, whatever the
 * HTML: the first MiB, 500 links, a tag and a link text of a few KiB.
 * Raw bytes do: the addresses are ASCII in any charset mail uses.
 */
static guint
html_links_mismatched(const char *html, size_t len)
{
	const char *p, *end;
	guint n = 0, links = 0;

	/* An empty part's bytes may be no buffer at all. */
	if (html == NULL || len == 0)
		return 0;
	len = MIN(len, 1u << 20);
	end = html + strnlen(html, len);
	/* The tags and texts read are lowercased, each alone: hosts are
	 * compared without case anyway. */
	for (p = html; (p = find_tag(p, end, "<a")) != NULL && links < 500;
	     p += 2) {
		const char *tag_end, *close, *q;
		g_autofree char *tag = NULL, *href = NULL, *to = NULL,
				*shown = NULL, *low = NULL;
		GString *text;

		if (end - p < 3 || !g_ascii_isspace(p[2]))
			continue;
		tag_end = memchr(p, '>', MIN((size_t)(end - p), 4096u));
		if (tag_end == NULL)
			continue;
		close = find_tag(tag_end, tag_end + MIN(end - tag_end, 4096),
				 "</a");
		if (close == NULL)
			continue;
		links++;
		/* From the "<a": tag_href() looks before each "href". */
		tag = g_ascii_strdown(p, tag_end - p);
		href = tag_href(tag + 2, tag + (tag_end - p));
		if (href == NULL)
			continue;
		/* The link's text without its tags. */
		text = g_string_new(NULL);
		for (q = tag_end + 1; q < close; q++) {
			if (*q == '<') {
				const char *gt = memchr(q, '>', close - q);

				if (gt == NULL)
					break;
				q = gt;
				g_string_append_c(text, ' ');
				continue;
			}
			g_string_append_c(text, *q);
		}
		low = g_ascii_strdown(text->str, text->len);
		g_string_free(text, TRUE);
		to = link_host(href, FALSE);
		shown = link_host(low, TRUE);
		/* A link-protection service (Outlook's safelinks, Proofpoint)
		 * goes through itself with the shown address inside. */
		if (to != NULL && shown != NULL && !hosts_related(to, shown) &&
		    !href_carries(href, shown))
			n++;
		p = close;
	}
	return n;
}

/*
 * Mismatched links in the HTML parts of the message itself (not those
 * of a message attached to it); the tree's limits were checked before.
 */
static guint
links_mismatched(GMimeObject *obj, guint depth)
{
	guint n = 0;

	if (obj == NULL || depth > MIME_MAX_DEPTH)
		return 0;
	if (GMIME_IS_MULTIPART(obj)) {
		GMimeMultipart *mp = GMIME_MULTIPART(obj);

		for (int i = 0; i < g_mime_multipart_get_count(mp); i++)
			n += links_mismatched(g_mime_multipart_get_part(mp, i),
					      depth + 1);
		return n;
	}
	if (GMIME_IS_PART(obj) && !part_is_attachment(obj) &&
	    g_mime_content_type_is_type(g_mime_object_get_content_type(obj),
					"text", "html")) {
		g_autoptr(GByteArray) ba = part_bytes(GMIME_PART(obj));

		n = html_links_mismatched((const char *)ba->data, ba->len);
	}
	return n;
}

/* The length of the header block (up to the first empty line). */
static size_t
header_bytes(const char *data, size_t len)
{
	for (const char *p = data; (p = memchr(p, '\n', len - (p - data)));
	     p++) {
		if (p + 1 < data + len && p[1] == '\n')
			return (size_t)(p - data);
		if (p + 2 < data + len && p[1] == '\r' && p[2] == '\n')
			return (size_t)(p - data);
	}
	return len;
}

/*
 * Whether data opens with an RFC 5322 header field ("Name:"), after an
 * mbox "From " line if there is one.
 */
static gboolean
starts_with_header(const char *data, size_t len)
{
	const char *p = data, *end = data + len;

	if (len > 5 && memcmp(p, "From ", 5) == 0) {
		p = memchr(p, '\n', len);
		if (p == NULL)
			return FALSE;
		p++;
	}
	for (const char *q = p; q < end; q++) {
		if (*q == ':')
			return q > p;
		/* Obsolete syntax (RFC 5322 4.5) allows blanks before ':'. */
		if ((*q == ' ' || *q == '\t') && q > p) {
			while (q < end && (*q == ' ' || *q == '\t'))
				q++;
			return q < end && *q == ':';
		}
		/* Field names are printable ASCII without space. */
		if ((unsigned char)*q <= ' ' || (unsigned char)*q >= 0x7f)
			return FALSE;
	}
	return FALSE;
}

enum status
mail_parse(const void *data, size_t len, struct mail_msg **out,
	   struct err *err)
{
	g_autoptr(GString) report = g_string_new(NULL);
	g_autoptr(GString) forwarded = g_string_new(NULL);
	struct walk w = { 0 };
	struct body b;
	GMimeStream *stream;
	GMimeParser *parser;
	GMimeMessage *msg;
	GMimeContentType *ct;
	struct mail_msg *m;
	enum status st;

	if (len == 0)
		return err_set(err, ST_MSG_BAD, "empty message");
	if (header_bytes(data, len) > MIME_MAX_HEADER_BYTES)
		return err_set(err, ST_MSG_BAD, "header block over %u bytes",
			       MIME_MAX_HEADER_BYTES);
	stream = g_mime_stream_mem_new_with_buffer(data, len);
	parser = g_mime_parser_new_with_stream(stream);
	g_object_unref(stream);
	msg = g_mime_parser_construct_message(parser, parser_opts);
	g_object_unref(parser);
	if (msg == NULL)
		return err_set(err, ST_MSG_BAD, "not a mail message");

	m = g_new0(struct mail_msg, 1);
	m->size = len;
	m->attachments = g_ptr_array_new_with_free_func(
		(GDestroyNotify)attachment_free);
	read_headers(m, msg);
	ct = g_mime_object_get_content_type(GMIME_OBJECT(msg));
	if (ct != NULL) {
		const char *rt = g_mime_content_type_get_parameter(
			ct, "report-type");

		m->content_type = g_mime_content_type_get_mime_type(ct);
		m->report_type = rt != NULL ? g_ascii_strdown(rt, -1) : NULL;
	}
	w.m = m;
	w.report = report;
	w.forwarded = forwarded;
	w.err = err;
	body_init(&b);
	st = walk_object(&w, &b, g_mime_message_get_mime_part(msg), 0);
	if (st != ST_OK) {
		body_done(&b);
		g_object_unref(msg);
		mail_msg_free(m);
		return ST_MSG_BAD;
	}
	/* The top message's own text only: what is attached to it, even
	 * a forwarded letter, never reads as what its sender wrote now. */
	m->text = body_text(&b, &m->text_from_html, &m->charset);
	m->bad_bytes += b.bad;
	m->own_text = own_text(g_mime_message_get_mime_part(msg), &b, m->text);
	body_done(&b);
	g_strchomp(forwarded->str);
	forwarded->len = strlen(forwarded->str);
	m->forwarded_text = g_string_free(g_steal_pointer(&forwarded), FALSE);
	if (m->charset == NULL)
		m->charset = "UTF-8";
	m->report = charset_valid_utf8(
		g_string_free(g_steal_pointer(&report), FALSE), NULL);
	m->link_mismatches = links_mismatched(
		g_mime_message_get_mime_part(msg), 0);
	/* Bytes that do not open with a header line are not mail. */
	if (!starts_with_header(data, len)) {
		g_object_unref(msg);
		mail_msg_free(m);
		return err_set(err, ST_MSG_BAD, "no mail headers found");
	}
	g_object_unref(msg);
	*out = m;
	return ST_OK;
}
