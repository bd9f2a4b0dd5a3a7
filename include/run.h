/*
 * One cron run: take the lock, fetch each centre's mailbox into the spool,
 * file every spooled message, deal with the server copies of what was
 * filed, and send the outbox.  Each step is durable before the next
 * begins, so a run killed at any line is finished by the next one.
 */
#ifndef LAMPLIGHT_RUN_H
#define LAMPLIGHT_RUN_H

#include <glib.h>

#include "config.h"
#include "err.h"
#include "outbox.h"

/* Exit status of a run stopped by --stop-after (a simulated crash). */
#define RUN_EXIT_STOPPED 99

struct run_stats;

struct run_opts {
	guint stop_after;	/* 0: run to the end */
	const char *only;	/* a centre code, or NULL for all */
	gboolean no_fetch;	/* file the spool and send only (ingest) */
	gboolean fetch_only;	/* only fetch into the spool (backfills) */
	/* File everything, answer no one, notify no staff: what is queued
	 * is held back for good (a backfill); nothing is sent. */
	gboolean no_send;
	/* A mailbox's first run may bring more than first_run_limit. */
	gboolean first_run_ok;
	/* Told as letters are filed and mailboxes done (a command's
	 * progress bar); may be NULL.  Called from the main thread. */
	void (*progress)(const struct run_stats *rs, void *data);
	void *progress_data;
};

struct run_stats {
	guint fetched;		/* messages copied into the spool */
	guint filed;		/* arrivals recorded */
	guint cases;		/* new cases */
	guint duplicates;	/* re-fetched copies, filed as no-ops */
	guint quarantined;
	guint sources_failed;
	guint left_on_server;	/* over the size cap */
	guint held_back;	/* mails not sent for --no-send */
	/* Mailboxes whose first run found over first_run_limit letters
	 * and waits for a backfill: nothing of them was fetched. */
	guint first_run_waiting;
	struct outbox_stats out;
	GPtrArray *report;	/* lines for the operator, no personal data */
	/* For progress: letters to file, mailboxes to fetch, and done. */
	guint to_file, mailboxes, mailboxes_done;
};

void run_stats_init(struct run_stats *rs);
void run_stats_done(struct run_stats *rs);
/* Adds a line for the operator to rs (no personal data). */
void run_report(struct run_stats *rs, const char *fmt, ...)
	G_GNUC_PRINTF(2, 3);
/* Tells opts->progress, if any, where the run is. */
void run_progress(const struct run_opts *opts, const struct run_stats *rs);

/*
 * Called after every durable step, from any thread.  --stop-after=N ends
 * the process here, without cleanup, as a crash would: tests replay
 * every N.  run_mail_sent is the same for outbox_send_due's callback.
 */
void run_step(const struct run_opts *opts);
void run_mail_sent(gpointer opts);

/*
 * Runs once.  ST_TEMP when the lock is held by another run (and *locked
 * set), or when the store is busy; per-message and per-source failures
 * are counted in stats and do not stop the run.
 */
/*
 * Makes state_dir (0700) if it is not there, refuses it if others can
 * read it or if root is to work in a state directory that is another
 * user's (the message names the runuser line for command), and takes
 * its lock: *fd_out holds it until closed.  Another holder sets *locked
 * and returns ST_TEMP.
 */
enum status run_lock(const char *state_dir, const char *command,
		     int *fd_out, gboolean *locked, struct err *err);
/* Seconds since the lock of state_dir was last taken (a holder sets
 * its time), or -1 when there is no lock file. */
gint64 run_lock_age(const char *state_dir);
/* run_lock()'s checks of a state directory that is there, alone. */
enum status run_check_state_dir(const char *state_dir, const char *command,
				struct err *err);

enum status run_once(const struct config *cfg, const struct run_opts *opts,
		     struct run_stats *stats, gboolean *locked,
		     struct err *err);

#endif
