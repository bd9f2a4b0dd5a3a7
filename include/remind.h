/*
 * Reminders, at most one digest a day to each address: to a centre's
 * staff, its open SOP steps that are overdue or due by tomorrow; to a
 * partner, the referrals awaiting its reply that are overdue or due by
 * tomorrow.  Digests name case and referral numbers and days, never a
 * person.  They go through the outbox like any other mail.
 */
#ifndef LAMPLIGHT_REMIND_H
#define LAMPLIGHT_REMIND_H

#include <glib.h>

#include "config.h"
#include "err.h"
#include "notify.h"
#include "store.h"
#include "token.h"

/*
 * Queues today's digests not queued yet; *queued counts them.  A staff
 * digest lists emergencies first, marked, each case with a reply
 * address of the reader's own (tk) that acts on it.
 */
enum status remind_all(struct store *s, const struct config *cfg,
		       const struct notify *n, const struct tokens *tk,
		       GDateTime *now, guint *queued, struct err *err);

#endif
