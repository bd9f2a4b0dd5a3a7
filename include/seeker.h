/*
 * A letter from a seeker (someone at risk, their family, an agency on
 * their behalf), filed.  Counted for floods (flood.h), then on the case
 * it belongs to (thread.h) if any: the writer takes part in it, its
 * needs are added, an emergency raises it and alerts the duty officer,
 * and the writer is answered.  Otherwise it opens a case, with the
 * writer's personal data sealed (people.h), the triage's reasons and
 * needs, the acknowledgement (answer.h), and, when it names a case
 * without proving it belongs there, a link for staff to confirm.
 * Staff are told either way (staffnote.h).
 */
#ifndef LAMPLIGHT_SEEKER_H
#define LAMPLIGHT_SEEKER_H

#include <glib.h>

#include "casemail.h"
#include "classify.h"
#include "err.h"
#include "mime.h"
#include "run.h"

/*
 * Inside the filing transaction: m, classified as c for cm's centre
 * (NULL: none configured) and recorded as arrival_id (mailbox,
 * body_hash).
 * *on_case says whether it was filed on a case that was there already;
 * *emergency is set when it was an emergency (its mail to go at once).
 */
enum status seeker_file(const struct casemail *cm, struct run_stats *stats,
			const struct mail_msg *m,
			const struct classification *c, const char *mailbox,
			const char *body_hash, gint64 arrival_id,
			GDateTime *now, gboolean *on_case,
			gboolean *emergency, struct err *err);

#endif
