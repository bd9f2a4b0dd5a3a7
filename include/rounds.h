/*
 * The rounds over all cases that follow filing in a run: sending what
 * the outbox holds due (emergencies at once, the rest at the end),
 * sealing the letters filed, queueing the day's reminders (remind.h),
 * and erasing the personal data and letters that retention lets go
 * (people.h).  Each says what it did in the run's report.
 */
#ifndef LAMPLIGHT_ROUNDS_H
#define LAMPLIGHT_ROUNDS_H

#include <glib.h>

#include "casemail.h"
#include "err.h"
#include "run.h"
#include "spool.h"

/* With opts->no_send, what this run queues is held back: never sent
 * (outbox_hold_new()).  Before anything is queued. */
void rounds_hold(const struct run_opts *opts);

/* Sends the emergencies' mail due now; a failure is logged (the end of
 * the run sends again). */
void rounds_send_urgent(const struct casemail *cm,
			const struct run_opts *opts,
			struct run_stats *stats);

/* Sends every mail due (the outbox, most urgent first).  With
 * opts->no_send, sends nothing and counts what was held back. */
enum status rounds_send_all(const struct casemail *cm,
			    const struct run_opts *opts,
			    struct run_stats *stats, GDateTime *now,
			    struct err *err);

/* Seals the letters filed (in spool's cur/), and any a crash left. */
enum status rounds_seal_letters(const struct casemail *cm,
				struct spool *spool, struct err *err);

/* Queues the reminder digests due today. */
enum status rounds_remind(const struct casemail *cm, struct run_stats *stats,
			  GDateTime *now, struct err *err);

/* Erases what retention lets go, the raw letters in spool with it. */
enum status rounds_erase_expired(const struct casemail *cm,
				 struct spool *spool, struct run_stats *stats,
				 GDateTime *now, struct err *err);

#endif
