/*
 * A staff member's reply relayed to the writer of a case, from the
 * centre, and the last check before it goes: nothing inward goes
 * outward (staff, duty and tagged centre addresses, reply tokens, rule
 * names, lines of the centre's own notices, triage reasons).  What is
 * refused is recorded on the case and the centre alerted (staffnote.h).
 */
#ifndef LAMPLIGHT_RELAY_H
#define LAMPLIGHT_RELAY_H

#include <glib.h>

#include "casemail.h"
#include "cases.h"
#include "err.h"

/*
 * Inside the filing transaction: text, the reply of who on case_id (as
 * cr), to the writer.  *said (static) is a line for the run's report:
 * relayed, or why not.
 */
enum status relay_reply(const struct casemail *cm, gint64 case_id,
			const struct case_view *cr, const char *who,
			const char *text, GDateTime *now, const char **said,
			struct err *err);

#endif
