/*
 * From raw bytes to struct mail_msg with GMime.  Charsets of text parts
 * are handled by charset.c, not by GMime's filters, because those drop
 * unconvertible bytes without a word; HTML is read with libxml2.
 */
#include <gmime/gmime.h>
#include <libxml/HTMLparser.h>
#include <string.h>

#include "charset.h"
#include "mime.h"

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
	g_free(a);
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
	g_free(m->report);
	if (m->attachments != NULL)
		g_ptr_array_free(m->attachments, TRUE);
	g_free(m);
}

void
mail_body_hash(const char *data, size_t len, char out[65])
{
	g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA256);
	const char *p = data, *end = data + len, *body = end;

	/* The body starts after the first empty line; without one (not
	 * mail at all, or headers alone) all of it counts, so that two
	 * such files are never taken for copies of one another. */
	for (; p < end; p++) {
		if (*p != '\n')
			continue;
		if (p + 1 < end && p[1] == '\n') {
			body = p + 2;
			break;
		}
		if (p + 2 < end && p[1] == '\r' && p[2] == '\n') {
			body = p + 3;
			break;
		}
	}
	if (body == end)
		body = data;
	for (p = body; p < end;) {
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

static void
html_walk(xmlNode *node, GString *out, int depth)
{
	/* libxml2 caps nesting itself; this guards our own recursion. */
	if (depth > 256)
		return;
	for (xmlNode *n = node; n != NULL; n = n->next) {
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
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (strcmp(name, "script") == 0 || strcmp(name, "style") == 0 ||
		    strcmp(name, "head") == 0)
			continue;
		if (strcmp(name, "td") == 0 || strcmp(name, "th") == 0) {
			if (out->len > 0 && out->str[out->len - 1] != '\n')
				g_string_append_c(out, ' ');
		}
		if (html_is_quote(n)) {
			/* Quoted history keeps its "> " marks as text. */
			GString *q = g_string_new(NULL);
			g_auto(GStrv) lines = NULL;

			html_walk(n->children, q, depth + 1);
			lines = g_strsplit(q->str, "\n", -1);
			g_string_free(q, TRUE);
			if (out->len > 0 && out->str[out->len - 1] != '\n')
				g_string_append_c(out, '\n');
			for (int i = 0; lines[i] != NULL; i++)
				if (*g_strstrip(lines[i]))
					g_string_append_printf(out, "> %s\n",
							       lines[i]);
			continue;
		}
		/* A block starts on a line of its own ("a<div>b</div>"). */
		if (html_is_block(name) && strcmp(name, "br") != 0 &&
		    out->len > 0 && out->str[out->len - 1] != '\n') {
			while (out->len > 0 && out->str[out->len - 1] == ' ')
				g_string_truncate(out, out->len - 1);
			g_string_append_c(out, '\n');
		}
		html_walk(n->children, out, depth + 1);
		if (html_is_block(name)) {
			while (out->len > 0 && out->str[out->len - 1] == ' ')
				g_string_truncate(out, out->len - 1);
			g_string_append_c(out, '\n');
		}
	}
}

char *
html_to_text(const char *html, size_t len, const char *charset, guint *bad)
{
	g_autofree char *utf8 = charset_to_utf8(html, len, charset, bad, NULL);
	GString *out = g_string_new(NULL);
	htmlDocPtr doc;

	doc = htmlReadMemory(utf8, (int)MIN(strlen(utf8), (size_t)G_MAXINT),
			     NULL, "UTF-8",
			     HTML_PARSE_RECOVER | HTML_PARSE_NOERROR |
				     HTML_PARSE_NOWARNING | HTML_PARSE_NONET);
	if (doc != NULL) {
		html_walk(xmlDocGetRootElement(doc), out, 0);
		xmlFreeDoc(doc);
	}
	/* Squeeze three or more line ends into one blank line. */
	while (strstr(out->str, "\n\n\n") != NULL)
		g_string_replace(out, "\n\n\n", "\n\n", 0);
	return g_string_free(out, FALSE);
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

/* How deep "1.2.3" is. */
static guint
path_depth(const char *path)
{
	guint d = 1;

	for (; path != NULL && *path; path++)
		d += *path == '.';
	return d;
}

/*
 * Walks the tree: text parts into text/html, the rest into attachments.
 * ST_MSG_BAD, with nothing more read, when the tree breaks a limit.
 */
static enum status
read_parts(struct mail_msg *m, GMimeMessage *msg, GString *plain,
	   GPtrArray *html_parts, GString *m_report, struct err *err)
{
	GMimePartIter *it = g_mime_part_iter_new(GMIME_OBJECT(msg));
	enum status st = ST_OK;
	guint parts = 0;
	guint bad;

	do {
		GMimeObject *obj = g_mime_part_iter_get_current(it);
		GMimeContentType *ct;
		GMimePart *part;
		const char *cs;
		g_autofree char *path = g_mime_part_iter_get_path(it);

		if (obj == NULL)
			continue;
		if (++parts > MIME_MAX_PARTS) {
			st = err_set(err, ST_MSG_BAD, "more than %d MIME parts",
				     MIME_MAX_PARTS);
			break;
		}
		if (path_depth(path) > MIME_MAX_DEPTH) {
			st = err_set(err, ST_MSG_BAD, "MIME parts nested more "
				     "than %d deep", MIME_MAX_DEPTH);
			break;
		}
		if (GMIME_IS_MESSAGE_PART(obj)) {
			/* A returned or forwarded message: its headers. */
			GMimeMessage *in = g_mime_message_part_get_message(
				GMIME_MESSAGE_PART(obj));
			static const char *const keep[] = {
				"Subject", "Message-ID", "References",
				"In-Reply-To", "X-Lamplight-Case",
			};

			for (size_t k = 0; in != NULL && k < G_N_ELEMENTS(keep);
			     k++) {
				const char *v = g_mime_object_get_header(
					GMIME_OBJECT(in), keep[k]);

				if (v != NULL)
					g_string_append_printf(m_report, "%s: "
							       "%s\n",
							       keep[k], v);
			}
			continue;
		}
		if (!GMIME_IS_PART(obj))
			continue;
		part = GMIME_PART(obj);
		ct = g_mime_object_get_content_type(obj);
		cs = g_mime_content_type_get_parameter(ct, "charset");
		if (!part_is_attachment(obj) &&
		    g_mime_content_type_is_type(ct, "text", "plain")) {
			g_autoptr(GByteArray) ba = part_bytes(part);
			const char *used;
			g_autofree char *t = charset_to_utf8(
				(char *)ba->data, ba->len, cs, &bad, &used);

			if (plain->len > 0)
				g_string_append(plain, "\n\n");
			g_string_append(plain, t);
			m->bad_bytes += bad;
			m->charset = used;
		} else if (!part_is_attachment(obj) &&
			   g_mime_content_type_is_type(ct, "text", "html")) {
			/* Read only if no plain text comes (it is slow). */
			if (plain->len == 0 && html_parts != NULL) {
				g_ptr_array_add(html_parts, g_object_ref(part));
				if (m->charset == NULL)
					m->charset = charset_canonical(cs);
			}
		} else {
			struct attachment *a = g_new0(struct attachment, 1);
			g_autoptr(GByteArray) ba = part_bytes(part);

			/* Returned headers of a bounce: kept for matching. */
			if (g_mime_content_type_is_type(ct, "text",
							"rfc822-headers") ||
			    g_mime_content_type_is_type(ct, "message",
							"delivery-status")) {
				g_autofree char *t = charset_to_utf8(
					(char *)ba->data, ba->len, NULL, &bad,
					NULL);

				g_string_append(m_report, t);
			}
			const char *fn = g_mime_part_get_filename(part);

			a->filename = fn != NULL ? g_strdup(fn) : NULL;
			a->content_type = g_mime_content_type_get_mime_type(ct);
			a->size = ba->len;
			g_ptr_array_add(m->attachments, a);
		}
	} while (g_mime_part_iter_next(it));
	g_mime_part_iter_free(it);
	return st;
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
	g_autofree char *s = NULL;
	const char *p, *end;
	guint n = 0, links = 0;

	/* An empty part's bytes may be no buffer at all. */
	if (html == NULL || len == 0)
		return 0;
	len = MIN(len, 1u << 20);
	/* Lowercased: hosts are compared without case anyway. */
	s = g_ascii_strdown(html, len);
	end = s + strlen(s);
	for (p = s; (p = strstr(p, "<a")) != NULL && links < 500; p += 2) {
		const char *tag_end, *close, *q;
		g_autofree char *href = NULL, *to = NULL, *shown = NULL;
		GString *text;

		if (!g_ascii_isspace(p[2]))
			continue;
		tag_end = memchr(p, '>', MIN((size_t)(end - p), 4096u));
		if (tag_end == NULL)
			continue;
		close = g_strstr_len(tag_end, MIN(end - tag_end, 4096), "</a");
		if (close == NULL)
			continue;
		links++;
		href = tag_href(p + 2, tag_end);
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
		to = link_host(href, FALSE);
		shown = link_host(text->str, TRUE);
		g_string_free(text, TRUE);
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
	g_autoptr(GString) plain = g_string_new(NULL);
	g_autoptr(GString) html = g_string_new(NULL);
	g_autoptr(GString) report = g_string_new(NULL);
	g_autoptr(GPtrArray) html_parts =
		g_ptr_array_new_with_free_func(g_object_unref);
	GMimeStream *stream;
	GMimeParser *parser;
	GMimeMessage *msg;
	GMimeContentType *ct;
	struct mail_msg *m;

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
	if (g_mime_message_get_mime_part(msg) != NULL &&
	    read_parts(m, msg, plain, html_parts, report, err) != ST_OK) {
		g_object_unref(msg);
		mail_msg_free(m);
		return ST_MSG_BAD;
	}
	/* HTML only: now make it text. */
	for (guint i = 0; plain->len == 0 && i < html_parts->len; i++) {
		GMimePart *part = html_parts->pdata[i];
		GMimeContentType *hct =
			g_mime_object_get_content_type(GMIME_OBJECT(part));
		g_autoptr(GByteArray) ba = part_bytes(part);
		guint bad = 0;
		g_autofree char *t = html_to_text(
			(char *)ba->data, ba->len,
			g_mime_content_type_get_parameter(hct, "charset"), &bad);

		if (html->len > 0)
			g_string_append(html, "\n\n");
		g_string_append(html, t);
		m->bad_bytes += bad;
	}
	if (plain->len == 0 && html->len > 0) {
		m->text_from_html = TRUE;
		m->text = g_string_free(g_steal_pointer(&html), FALSE);
	} else {
		m->text = g_string_free(g_steal_pointer(&plain), FALSE);
	}
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
