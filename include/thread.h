/*
 * Finding the case a message belongs to, most trusted first:
 *   1. a reply token (token.h) made for the sender;
 *   2. In-Reply-To or References naming a mail of the case, sent or
 *      received;
 *   3. a case number in the subject, if the sender already takes part
 *      in that case.
 * Only cases of the message's own centre are found.  Failing all three,
 * a case number seen anywhere in the message makes the new case a
 * "possible follow-up" of that one, for staff to confirm.
 */
#ifndef LAMPLIGHT_THREAD_H
#define LAMPLIGHT_THREAD_H

#include <glib.h>

#include "err.h"
#include "mime.h"
#include "store.h"
#include "token.h"

struct thread_match {
	gint64 case_id;		/* 0: none */
	const char *how;	/* "token", "in-reply-to", "subject" */
	gint64 possible_of;	/* a case it may follow up, or 0 */
};

/*
 * Looks for m's case among county's.  case_ref is a case number the
 * classifier saw in the message (may be NULL).
 */
enum status thread_find(struct store *s, const struct tokens *t,
			const struct mail_msg *m, const char *county,
			const char *case_ref, struct thread_match *out,
			struct err *err);

/* Whether addr takes part in case_id (a writer, a recipient...). */
enum status thread_is_party(struct store *s, const struct tokens *t,
			    gint64 case_id, const char *addr, gboolean *yes,
			    struct err *err);

/* Records addr as taking part in case_id, in role ("writer"...). */
enum status thread_add_party(struct store *s, const struct tokens *t,
			     gint64 case_id, const char *addr,
			     const char *role, struct err *err);

#endif
