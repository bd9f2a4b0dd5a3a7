/*
 * What `lamplight status` reports, as typed figures: each mailbox's last
 * run, the outbox, the quarantine and the deadlines past, and whether a
 * person should look.  It reads through the tables' owners (store.h,
 * outbox.h, cases.h) and passes every error of theirs up: a database it
 * cannot read is an error, never a zero or an "ok".  Counts, codes and
 * agency names only: no personal data.
 */
#ifndef LAMPLIGHT_HEALTH_H
#define LAMPLIGHT_HEALTH_H

#include <glib.h>

#include "config.h"
#include "err.h"
#include "outbox.h"
#include "store.h"

/* A deadline this many days past is stuck, not just late. */
#define HEALTH_STUCK_DAYS 7

struct health_mailbox {
	const char *id;		/* borrowed from the configuration */
	struct mailbox_health h;
};

struct health {
	GArray *mailboxes;	/* struct health_mailbox, configured order */
	GPtrArray *overdue_steps;	/* struct case_overdue (cases.h) */
	GPtrArray *overdue_referrals;	/* struct case_overdue */
	struct outbox_counts outbox;
	gint64 held;		/* messages held in quarantine */
	GArray *lost;		/* struct store_lost: fetched, then gone
				 * from the spool and from the source */
	/* A person should look: a mailbox failing, not run for a day or
	 * leaving mail on the server; mail held or lost; an emergency's mail
	 * not delivered at its first try; the outbox failing or
	 * stuck for an hour; a deadline HEALTH_STUCK_DAYS past. */
	gboolean stuck;
};

/*
 * Reads the figures of cfg's mailboxes from s, deadlines counted
 * against today (a day as calendar.h writes it).  *out is new; free it
 * with health_free().  Any error reading them is returned as the store
 * said it (ST_TEMP busy, ST_FATAL a missing table or a corrupt file)
 * and *out is left alone.
 */
enum status health_read(struct store *s, const struct config *cfg,
			const GDate *today, struct health **out,
			struct err *err);
void health_free(struct health *h);

#endif
