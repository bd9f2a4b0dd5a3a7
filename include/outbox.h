/*
 * Sending the outbox with libcurl SMTP.  Each message is stored with its
 * Message-ID before the first attempt and marked sent when the server
 * accepts it.  A crash between acceptance and marking re-sends the same
 * message with the same Message-ID next run: we prefer a duplicate that
 * a mail client can fold over a lost answer (see README, "Sending").
 */
#ifndef LAMPLIGHT_OUTBOX_H
#define LAMPLIGHT_OUTBOX_H

#include <glib.h>

#include "config.h"
#include "err.h"
#include "store.h"

struct outbox_stats {
	guint sent;
	guint deferred;		/* temporary failure: retried later */
	guint failed;		/* permanent failure: kept for a person */
};

/* Once per process (curl_global_init) and at the end. */
void outbox_init(void);
void outbox_done(void);

/* Priorities of outbox rows: emergencies leave first. */
#define OUTBOX_PRIORITY_EMERGENCY 0
#define OUTBOX_PRIORITY_NORMAL 5

/*
 * Sends every queued message that is due with priority at most
 * max_priority, emergencies first.  Per-message
 * failures are recorded in the store and counted; the status is ST_OK
 * unless the store itself failed.  An unreachable server defers the rest.
 */
struct outgoing;	/* notify.h */

/* Queues mail built by notify.h for case_id (0: none) as kind. */
enum status outbox_queue(struct store *s, gint64 case_id, const char *kind,
			 int priority, const struct outgoing *o,
			 struct err *err);

/*
 * Sends what is due, most urgent first, over one connection.  A mail is
 * marked sent once the server took it; after each, sent(data) is called
 * (may be NULL): a durable step.  A crash between the server taking a
 * mail and the mark means the next run sends it again, with the same
 * Message-ID, so that the receiving side can tell it is the same mail:
 * a mail arriving twice is better than one never arriving.
 */
enum status outbox_send_due(struct store *s, const struct config *cfg,
			    GDateTime *now, int max_priority,
			    struct outbox_stats *stats,
			    void (*sent)(gpointer data), gpointer data,
			    struct err *err);

#endif
