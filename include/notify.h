/*
 * Mail that lamplight writes: built from templates with GMime as valid
 * MIME (UTF-8, encoded headers, CRLF), each with its fixed Message-ID,
 * ready to be stored in the outbox before anything is sent.
 */
#ifndef LAMPLIGHT_NOTIFY_H
#define LAMPLIGHT_NOTIFY_H

#include <glib.h>

#include "config.h"
#include "err.h"
#include "rules.h"

struct notify;

struct outgoing {
	char *message_id;	/* without <> */
	char *env_from;		/* envelope sender */
	char *rcpt;		/* envelope recipient */
	char *data;		/* the whole message, CRLF line ends */
	gsize len;
};

void outgoing_free(struct outgoing *o);

/* Loads and checks every template notify needs from dir. */
enum status notify_open(const char *dir, struct notify **out,
			struct err *err);
void notify_close(struct notify *n);

/*
 * The acknowledgement of a new letter, worded for its urgency, from the
 * centre to rcpt.  token (token.h; may be NULL) goes in its Message-ID
 * and a plus-address Reply-To, so that an answer finds the case.
 * in_reply_to is the letter's Message-ID (or NULL).  ST_MSG_BAD when
 * rcpt cannot be a header value.
 */
enum status notify_build_ack(const struct notify *n, const struct centre *c,
			     const char *case_number, const char *token,
			     enum urgency urgency,
			     const char *rcpt, const char *in_reply_to,
			     GDateTime *now, struct outgoing **out,
			     struct err *err);

#endif
