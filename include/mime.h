/*
 * One parsed message: the headers later stages need, decoded to UTF-8,
 * the text the writer sent (plain text, or HTML made readable when the
 * plain text is missing or a stub), and apart from it the text of the
 * messages forwarded as attachments; other attachments are listed but
 * never decoded into the text.  Built with GMime.
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
	GBytes *data;		/* decoded; NULL for an attached message */
};

/* What a staff mail carries of a letter's files, at the most. */
#define MIME_PASS_FILE_MAX (10u << 20)	/* one file */
#define MIME_PASS_TOTAL_MAX (15u << 20)	/* all of a letter's */

/*
 * Whether a letter's file may be passed on to staff: a document or a
 * picture (PDF, Office and OpenDocument files, images, plain text) by
 * its declared type, its name and its first bytes alike, within
 * MIME_PASS_FILE_MAX; never a program, a script, an archive or a file
 * whose bytes say it is other than it claims.  Else *why says why, in
 * Chinese, for the notice.
 */
gboolean mime_attachment_passable(const struct attachment *a,
				  const char **why);

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
	/* A DKIM-Signature whose d=, i= or s= (decoded) holds what would
	 * break an Authentication-Results header's syntax once a server
	 * writes it there unquoted: ';', '(', ')', '"', '\\', ',', '=',
	 * white space or a control character (verify.h). */
	gboolean dkim_hostile;
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
	char *text;		/* the body as UTF-8, never NULL: the top
				 * message's own text parts only, never
				 * those of an attached message */
	gboolean text_from_html;
	/*
	 * The first text of the top message, never NULL: its first text
	 * part in reading order (with that part's alternative when a
	 * multipart/alternative holds the two, by the rule for text), not
	 * the text parts after it, not an attachment, not an attached
	 * message.  What a staff member typed is in it, and only in it;
	 * equal to text for a message of one text or one pair.
	 */
	char *own_text;
	/*
	 * The attached messages (message/rfc822), nested ones too, in
	 * order, as UTF-8, never NULL ("" when none).  Each is a line
	 * "--- 轉寄的信件 ---" (with "：<From display name>" before the
	 * closing dashes when it has one), its subject on a line if it
	 * has one, a blank line and its text (plain, or its HTML's visible
	 * text, by the rule for text), sections apart by a blank line.
	 * Someone else's words: never commands, never quote_strip()ped.
	 */
	char *forwarded_text;
	char *report;		/* headers of a returned message, never NULL */
	const char *charset;	/* charset the text was decoded from */
	guint bad_bytes;	/* bytes of text (forwarded text too) that
				 * could not be decoded */
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
/* The length of what mail_body_hash() hashes: equal for any two
 * bodies it finds equal, and cheap. */
size_t mail_body_length(const char *data, size_t len);

/*
 * HTML bytes (any charset) to readable UTF-8 text, only what a reader
 * sees: no head, script or style, no comments, nothing hidden by the
 * hidden attribute or by display:none, visibility:hidden, font-size:0 or
 * opacity:0 (inline, or by a class a style sheet hides).  Caller frees.
 */
char *html_to_text(const char *html, size_t len, const char *charset,
		   guint *bad);

#endif
