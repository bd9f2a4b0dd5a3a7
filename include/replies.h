/*
 * Replies on a case from the centre's own staff and from its partners:
 * filed on the case they answer (thread.h; never a case of their own),
 * an emergency in them raising the case and alerting the duty officer;
 * then staffmail.h acts on a staff reply and partner.h on a partner's.
 */
#ifndef LAMPLIGHT_REPLIES_H
#define LAMPLIGHT_REPLIES_H

#include <glib.h>

#include "casemail.h"
#include "classify.h"
#include "err.h"
#include "mime.h"
#include "run.h"

/*
 * Inside the filing transaction: m, a staff or referral reply
 * classified as c for cm's centre (NULL: none configured), recorded
 * as arrival_id.  *on_case says whether a case was found for it;
 * *emergency is set when it carried an emergency.
 */
enum status replies_file(const struct casemail *cm, struct run_stats *stats,
			 const struct mail_msg *m,
			 const struct classification *c, gint64 arrival_id,
			 GDateTime *now, gboolean *on_case,
			 gboolean *emergency, struct err *err);

#endif
