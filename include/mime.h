/*
 * One parsed message: the headers later stages need, decoded to UTF-8,
 * and the text the writer sent (plain text, or HTML made readable), with
 * attachments listed but never decoded into the text.  Built with GMime.
 */
#ifndef LAMPLIGHT_MIME_H
#define LAMPLIGHT_MIME_H

#include <glib.h>

#include "err.h"

/* Limits on what a sender controls; beyond them a message is quarantined. */
#define MIME_MAX_PARTS 500
#define MIME_MAX_DEPTH 32
#define MIME_MAX_HEADER_BYTES (256u << 10)	/* the whole header block */

struct attachment {
	char *filename;		/* UTF-8, or NULL */
	char *content_type;	/* "application/pdf" */
	gsize size;		/* decoded bytes */
};

struct mail_msg {
	char *message_id;	/* without <>; NULL when absent */
	char *subject;		/* UTF-8, never NULL */
	char *from_addr;	/* NULL when absent or unreadable */
	char *from_name;
	char *reply_to;		/* first Reply-To address, or NULL */
	GPtrArray *to;		/* To and Cc addresses (char *) */
	char *in_reply_to;	/* the first id it names, without <> */
	GPtrArray *references;	/* message ids (char *), oldest first */
	char *return_path;	/* NULL when absent; "" for <> */
	GPtrArray *auth_results;	/* Authentication-Results values, top
					 * first (char *) */
	guint from_count;	/* addresses in From (more than 1: suspect) */
	char *auto_submitted;	/* RFC 3834 header value, or NULL */
	char *loop;		/* X-Lamplight-Loop: mail we sent, or NULL */
	char *precedence;
	char *list_id;		/* List-Id (or List-Unsubscribe), or NULL */
	gboolean x_autoreply;	/* X-Autoreply or X-Autorespond present */
	char *content_type;	/* of the top part: "multipart/report" */
	char *report_type;	/* its report-type parameter, or NULL */
	int form_version;	/* X-Help-Form value; 0 when absent */
	GDateTime *date;	/* NULL when absent or unreadable */
	char *text;		/* the body as UTF-8, never NULL */
	gboolean text_from_html;
	char *report;		/* headers of a returned message, never NULL */
	const char *charset;	/* charset the text was decoded from */
	guint bad_bytes;	/* bytes of text that could not be decoded */
	GPtrArray *attachments;	/* struct attachment * */
	gsize size;		/* of the raw message */
	guint link_mismatches;	/* HTML links showing one address and going
				 * to another (phishing) */
};

/* Once per process, before any mail_parse(); mime_done() at the end. */
void mime_init(void);
void mime_done(void);

/*
 * Parses len bytes of RFC 5322 mail.  On ST_OK *out is new (free with
 * mail_msg_free()).  ST_MSG_BAD when the data holds no message at all,
 * or breaks a limit (MIME_MAX_PARTS parts, MIME_MAX_DEPTH nesting,
 * MIME_MAX_HEADER_BYTES of header).
 */
enum status mail_parse(const void *data, size_t len, struct mail_msg **out,
		       struct err *err);
void mail_msg_free(struct mail_msg *m);

/* SHA-256 (hex) of the bytes after the header block, CRLF taken as LF. */
void mail_body_hash(const char *data, size_t len, char out[65]);

/* HTML bytes (any charset) to readable UTF-8 text; caller frees. */
char *html_to_text(const char *html, size_t len, const char *charset,
		   guint *bad);

#endif
