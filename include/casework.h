/*
 * Case policy for a run: which module a filed letter goes to (a bounce
 * to bounce.h, a seeker's letter to seeker.h, staff's and partners'
 * replies to replies.h), and the rounds over all cases after filing
 * (rounds.h).  It opens what they need for the run (casemail.h: the
 * calendar, reply tokens, the data key and the templates) and keeps
 * whether an emergency was filed, for its mail to go at once.
 */
#ifndef LAMPLIGHT_CASEWORK_H
#define LAMPLIGHT_CASEWORK_H

#include <glib.h>

#include "classify.h"
#include "err.h"
#include "mime.h"
#include "run.h"
#include "spool.h"
#include "store.h"

struct casework;

/* Opens what case mail needs: the calendar, tokens, data key and
 * templates of cfg. */
enum status casework_open(const struct config *cfg,
			  const struct run_opts *opts,
			  struct run_stats *stats, struct store *store,
			  struct spool *spool, struct casework **out,
			  struct err *err);
void casework_close(struct casework *cw);
/* The run's rules (filing loads them): staff mail checks what it relays
 * against their names. */
void casework_set_rules(struct casework *cw, const struct ruleset *rules);

/*
 * Inside the filing transaction: m, classified as c and recorded as
 * arrival_id (mailbox, body_hash), on the cases.  *on_case says whether
 * it was filed on a case that was there already.
 */
enum status casework_file(struct casework *cw, const struct mail_msg *m,
			  const struct classification *c, const char *mailbox,
			  const char *body_hash, gint64 arrival_id,
			  gboolean *on_case, struct err *err);

/* Sends the mail of the emergencies filed since the last call, if any:
 * one slow mailbox does not hold back an answer found in another. */
void casework_send_urgent(struct casework *cw);

/* Sends every mail due (the outbox, most urgent first). */
enum status casework_send_all(struct casework *cw, GDateTime *now,
			      struct err *err);

/* After filing: seal the filed letters, queue reminders, erase what
 * retention lets go. */
enum status casework_seal_letters(struct casework *cw, struct err *err);
enum status casework_remind(struct casework *cw, GDateTime *now,
			    struct err *err);
enum status casework_erase_expired(struct casework *cw, GDateTime *now,
				   struct err *err);

#endif
