/*
 * What a message is: its kind, the centre it is for, who to answer, the
 * case it refers to, and, for a seeker's letter, the triage of its text.
 * Combines mime.c (the message), form.c (web form fields) and rules.c.
 */
#ifndef LAMPLIGHT_CLASSIFY_H
#define LAMPLIGHT_CLASSIFY_H

#include <glib.h>
#include <json-glib/json-glib.h>

#include "config.h"
#include "err.h"
#include "identity.h"
#include "mime.h"
#include "rules.h"
#include "vocab.h"

/* The kind's name as in LABELS.md ("help_request"); static. */
const char *kind_name(enum kind k);

/* Whether mail of kind k comes from a seeker and is triaged. */
gboolean kind_is_seeker(enum kind k);

/*
 * Rules and identity read at most this much of the writer's new text: a
 * letter is not megabytes long, and a hostile one must not make the
 * rules scan it all.  The whole message stays in the spool.
 */
#define CLASSIFY_TEXT_MAX (1u << 20)

struct classification {
	enum kind kind;
	char county[4];		/* "TPE"; "" when it cannot be told */
	gboolean from_form;	/* sent by the help webpage */
	gboolean referral;	/* referred in by an agency or the 0800 line */
	const char *source;	/* cases.source: "webform", "police"... */
	char *referrer_addr;	/* referrals: where the result is owed */
	char *referrer_unit;	/* referrals: 轉介單位, or NULL */
	gboolean own_mail;	/* sent by lamplight itself: a loop */
	char *reply_addr;	/* where an answer may go, or NULL */
	char *case_ref;		/* "TPE-1151103-0002", or NULL */
	char *subject;		/* the writer's subject, prefix removed */
	char *new_text;		/* what the writer wrote now (triaged) */
	GHashTable *form;	/* label -> value, or NULL */
	struct triage *triage;	/* NULL unless kind_is_seeker() */
	enum writer writer;	/* seekers only */
	struct identity identity;	/* seekers only; personal data */
	gboolean identified;
};

struct classify_ctx {
	const struct config *cfg;	/* may be NULL (classify FILE) */
	const struct ruleset *rules;
	const char *mailbox_county;	/* the fetching mailbox's, or NULL */
};

/* Classifies m.  On ST_OK *out is new (classification_free()). */
enum status classify_mail(const struct classify_ctx *ctx,
			  const struct mail_msg *m,
			  struct classification **out, struct err *err);
void classification_free(struct classification *c);

/*
 * The fields of LABELS.md for one message (file, kind, county, urgency,
 * needs, writer, identified, identity, case_ref) plus reasons: a new JSON
 * object node.
 */
JsonNode *classification_to_json(const struct classification *c,
				 const char *file);
/* As above, adding what the message model holds: attachments (name,
 * type, size), the charset read, undecodable bytes, HTML or not. */
JsonNode *classification_to_json_full(const struct classification *c,
				      const struct mail_msg *m,
				      const char *file);

/* Finds a case number ("TPE-1151103-0002") in s; new string or NULL. */
char *case_ref_find(const char *s);

#endif
