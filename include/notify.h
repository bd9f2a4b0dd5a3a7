/*
 * Mail that lamplight writes: built from templates with GMime as valid
 * MIME (UTF-8, encoded headers, CRLF), each with its fixed Message-ID,
 * ready to be stored in the outbox before anything is sent.  Every one
 * carries Auto-Submitted and our loop header, so that no robot answers
 * it and lamplight never files its own mail as a letter.
 */
#ifndef LAMPLIGHT_NOTIFY_H
#define LAMPLIGHT_NOTIFY_H

#include <glib.h>

#include "config.h"
#include "err.h"
#include "identity.h"
#include "rules.h"

/* The loop header: its value is the sending centre's address. */
#define NOTIFY_LOOP_HEADER "X-Lamplight-Loop"

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
 * centre to rcpt.  An emergency's names the crisis lines that fit its
 * reasons (t, may be NULL).  token (token.h; may be NULL) goes in its
 * Message-ID and a plus-address Reply-To, so that an answer finds the
 * case.  in_reply_to is the letter's Message-ID (or NULL).  ST_MSG_BAD
 * when rcpt cannot be a header value.  A discreet centre's
 * (c->ack_discreet) goes out as from c->ack_sender_name, its Subject
 * c->ack_subject and the case number; so do the answer to a further
 * letter and a relayed staff reply ("回覆您的來信").
 */
enum status notify_build_ack(const struct notify *n, const struct centre *c,
			     const char *case_number, const char *token,
			     enum urgency urgency, const struct triage *t,
			     const char *rcpt, const char *in_reply_to,
			     GDateTime *now, struct outgoing **out,
			     struct err *err);

/* The answer to a seeker's further letter on their case. */
enum status notify_build_followup(const struct notify *n,
				  const struct centre *c,
				  const char *case_number, const char *token,
				  const struct triage *t, const char *rcpt,
				  const char *in_reply_to, GDateTime *now,
				  struct outgoing **out, struct err *err);

/*
 * How to reach a writer, for the centre's own people: name, phone, the
 * reply address (else the email in id), address, birth date (民國), one
 * "  ・label：value" line each; a line saying so when there is none.
 * New string.
 */
char *notify_contact(const struct identity *id, const char *reply);

/* The staff mails' help on replying and commands ("staff-commands"),
 * filled from vars (reply_how, note_address). New string. */
char *notify_staff_commands(const struct notify *n, GHashTable *vars);

/*
 * A staff member's reply relayed to the writer: from the centre, the
 * staff address nowhere in it, message being the reply without its
 * quoted history.
 */
enum status notify_build_relay(const struct notify *n, const struct centre *c,
			       const char *case_number, const char *token,
			       const char *rcpt, const char *message,
			       GDateTime *now, struct outgoing **out,
			       struct err *err);

/*
 * Why, for a case worker, in sections with Chinese labels, each thing
 * once: 緊急的理由 (or 可能的風險), each risk at its highest level with
 * its words; 已排除的風險 and why; 需求; 申請服務的字句; 來信者, the
 * writer w (WRITER_UNKNOWN: left out).  t may be NULL.  New string.
 */
char *notify_reasons(const struct triage *t, enum writer w);

/* The crisis lines that fit t's reasons, one per line (new). */
char *notify_crisis_lines(const struct triage *t);

/*
 * A referral notice to a partner of group g: only what that group needs
 * (the police: only what finding the person needs), the needs, and the
 * day a reply is due.  It names the person the case is about: client
 * (NULL: none) when staff named them, else the writer (id) when the writer is that
 * person; a writer who is someone else (writer, writer_name(): family,
 * friend) is named as the contact, as who they are to the person.  referral_number is
 * "TNN-1151123-0001-R1".
 */
enum status notify_build_referral(const struct notify *n,
				  const struct centre *c,
				  const char *referral_number,
				  const char *token, enum group g,
				  const char *agency, const char *rcpt,
				  const struct identity *id,
				  const char *writer,
				  const struct identity *client,
				  const char *needs, const char *due_date,
				  GDateTime *now, struct outgoing **out,
				  struct err *err);
/*
 * The result a referral's case owes the agency that referred it in
 * (referrer, its 轉介單位, may be NULL), at rcpt: staff's words, result.
 */
enum status notify_build_result(const struct notify *n,
				const struct centre *c,
				const char *case_number, const char *token,
				const char *referrer, const char *rcpt,
				const char *result, GDateTime *now,
				struct outgoing **out, struct err *err);

/* A reminder digest (template "reminder-staff" or "reminder-partner"):
 * items is the list, one per line. */
enum status notify_build_reminder(const struct notify *n,
				  const struct centre *c, const char *name,
				  const char *rcpt, const char *items,
				  GDateTime *now, struct outgoing **out,
				  struct err *err);

/*
 * Mail to the centre's own people from template name ("case-staff",
 * "duty-alert", "command-transcript", "command-refused"), with vars
 * (string to string; the centre's and case_number are added), the text
 * and its HTML twin (mailhtml.h).
 */
enum status notify_build_staff(const struct notify *n,
			       const struct centre *c, const char *name,
			       const char *case_number, const char *token,
			       const char *rcpt, const char *in_reply_to,
			       GHashTable *vars, GDateTime *now,
			       struct outgoing **out, struct err *err);

/*
 * notify_build_staff() with files (struct attachment *, as the caller
 * chose them: mime_attachment_passable()) attached after the text.
 */
enum status notify_build_staff_files(const struct notify *n,
				     const struct centre *c, const char *name,
				     const char *case_number,
				     const char *token, const char *rcpt,
				     const char *in_reply_to,
				     GHashTable *vars, const GPtrArray *files,
				     GDateTime *now, struct outgoing **out,
				     struct err *err);

/* The body of template name as loaded (borrowed), or NULL. */
const char *notify_template_body(const struct notify *n, const char *name);

/* The longest id copied out: "References: <id>" fits a 998-character
 * line (RFC 5322 2.1.1). */
#define NOTIFY_MSGID_MAX 984

/*
 * Whether id (without <>) is an RFC 5322 msg-id: dot-atom-text "@"
 * (dot-atom-text or "[" dtext "]"), at most NOTIFY_MSGID_MAX characters.
 * Only such an id taken from incoming mail goes into our In-Reply-To
 * and References.
 */
gboolean notify_msg_id_valid(const char *id);

#endif
