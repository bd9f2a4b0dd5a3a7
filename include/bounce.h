/*
 * Bounces of mail we sent: the outbox row a bounce returns (by the
 * Message-ID in its report) is marked bounced with its status and
 * diagnostic, and the bounce is filed on that mail's case, so that
 * staff see that an answer did not arrive.
 */
#ifndef LAMPLIGHT_BOUNCE_H
#define LAMPLIGHT_BOUNCE_H

#include <glib.h>

#include "err.h"
#include "mime.h"
#include "run.h"
#include "store.h"

/* Inside the filing transaction: m, a bounce recorded as arrival_id. */
enum status bounce_file(struct store *s, struct run_stats *stats,
			const struct mail_msg *m, gint64 arrival_id,
			struct err *err);

#endif
