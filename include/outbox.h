/*
 * The outbox: the table of mail to send and sent, and sending it with
 * libcurl SMTP.  This module owns the table: every state a mail goes
 * through (queued, sent, failed, bounced, queued again, cancelled, and
 * erased at retention) and every count of it is written here, and
 * nowhere else.  Each message is stored with its Message-ID before the
 * first attempt and marked sent when the server accepts it.  A crash
 * between acceptance and marking re-sends the same message with the
 * same Message-ID next run: we prefer a duplicate that a mail client can
 * fold over a lost answer (see README, "Sending").
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
	gboolean login_refused;	/* the server refused our login: all kept */
	gboolean tls_failed;	/* TLS to the server failed (handshake,
				 * certificate, STARTTLS): all kept */
};

/* Once per process (curl_global_init) and at the end. */
void outbox_init(void);
void outbox_done(void);

/* Priorities of outbox rows: emergencies leave first. */
#define OUTBOX_PRIORITY_EMERGENCY 0
#define OUTBOX_PRIORITY_NORMAL 5

struct outgoing;	/* notify.h */

/* Queues mail built by notify.h for case_id (0: none) as kind. */
enum status outbox_queue(struct store *s, gint64 case_id, const char *kind,
			 int priority, const struct outgoing *o,
			 struct err *err);
/*
 * From now on in this process, mail queued is held back (run --no-send,
 * a backfill): recorded with its Message-ID but cancelled at once, with
 * why, never to be sent, by this run or any later one.
 */
void outbox_hold_new(const char *why);
/* How many mails were held back so far in this process. */
guint outbox_held_back(void);

/* Inside a transaction: queues a message (priority 0 goes first). */
enum status outbox_add(struct store *s, gint64 case_id, const char *kind,
		       int priority, const char *message_id,
		       const char *env_from, const char *rcpt,
		       const char *data, gsize len, struct err *err);

struct outbox_item {
	gint64 id;
	gint64 case_id;		/* 0 when none */
	char *case_number;	/* "TPE-1151103-0002", NULL when none */
	char *kind;
	char *message_id;
	char *env_from;
	char *rcpt;
	GBytes *data;		/* the whole message, CRLF */
	int attempts;
	int priority;		/* OUTBOX_PRIORITY_* */
};

void outbox_item_free(struct outbox_item *it);

/*
 * Queued items due now with priority at most max_priority, emergencies
 * (priority 0) first: a new array (items freed with it).
 */
enum status outbox_due(struct store *s, GDateTime *now, int max_priority,
		       GPtrArray **out, struct err *err);
/* The server took mail id; reply is its reply code. */
enum status outbox_sent(struct store *s, gint64 id, const char *reply,
			struct err *err);
/* A failure: temporary ones retry at next_at, others stop for good. */
enum status outbox_failed(struct store *s, gint64 id, gboolean temp,
			  const char *why, GDateTime *next_at,
			  struct err *err);

/*
 * A bounce reported our mail message_id undeliverable: it is marked
 * bounced (unless a person cancelled it) with why, and its case hears
 * of it.  *kind (a new string) and *case_id (0: none) say which mail it
 * was; *kind is NULL when no mail of ours was changed.
 */
enum status outbox_bounced(struct store *s, const char *message_id,
			   const char *why, gint64 *case_id, char **kind,
			   struct err *err);

/*
 * A person's word on mail id: retry (queued again, due at now, with the
 * same Message-ID) or cancel it (it never goes), recorded on its case
 * as the operator's, with why (may be NULL).  In a transaction of its
 * own.  *was is the mail's state before (a new string; NULL: no such
 * mail); *done whether it changed: a sent or cancelled mail cannot be
 * retried, only a queued or failed one cancelled.
 */
enum status outbox_change(struct store *s, gint64 id, gboolean retry,
			  const char *why, GDateTime *now, char **was,
			  gboolean *done, struct err *err);

/*
 * The mails of kind, or also (may be NULL), queued for rcpt after
 * since, an ISO time, or at it too when at_too: what the daily limits
 * count.  Addresses compare as one mailbox (address_canonical():
 * without case, "+tag" or Gmail's dots), so that victim+1@ ... +8@ are
 * one address.
 */
enum status outbox_count_for(struct store *s, const char *rcpt,
			     const char *kind, const char *also,
			     const char *since, gboolean at_too, gint64 *n,
			     struct err *err);

/* The case a mail of ours with Message-ID message_id was for, or 0. */
enum status outbox_case_of(struct store *s, const char *message_id,
			   gint64 *case_id, struct err *err);

/* Retention: the sent mail of case_id loses its text and recipient. */
enum status outbox_erase_case(struct store *s, gint64 case_id,
			      struct err *err);

/* One mail as listed for a person. */
struct outbox_entry {
	gint64 id;
	char *case_number;	/* NULL when none */
	char *kind, *rcpt, *state, *next_at;
	char *sent_at, *last_error;	/* may be NULL */
	int attempts;
};

void outbox_entry_free(struct outbox_entry *e);

/* The mail in state (NULL: all), oldest first: a new array. */
enum status outbox_list(struct store *s, const char *state, GPtrArray **out,
			struct err *err);

/*
 * The mail of case_id, oldest first, each row passed to fn: columns
 * kind, rcpt, state, created_at, sent_at (named so).
 */
enum status outbox_of_case(struct store *s, gint64 case_id, store_row_fn fn,
			   gpointer data, struct err *err);

/* What status shows of the outbox. */
struct outbox_counts {
	gint64 queued;
	gint64 stale;		/* queued for over an hour */
	gint64 failed;
	/* Emergency mail (duty alerts, their answers) tried and not yet
	 * delivered, queued again or failed: a person at once. */
	gint64 urgent_undelivered;
	gint64 held_back;	/* by a backfill: cancelled, never sent */
};

enum status outbox_count(struct store *s, struct outbox_counts *out,
			 struct err *err);

/* Whether mail of kind goes to a writer (an answer, a relayed staff
 * reply), or to a referrer at the address its referral gave (a result):
 * their address is personal data, sealed at rest and masked in lists.
 * Staff's and partners' addresses are the configuration's. */
gboolean outbox_to_writer(const char *kind);

/* Mail queued before the outbox was keyed and sealed (schema 7) gets
 * its recipient's keyed hash, and a writer's address sealed. */
enum status outbox_seal_existing(struct store *s, struct err *err);

/* The message of outbox row id, whole (opened: it is sealed at rest),
 * into *out; NULL when there is no such row or it was erased. */
enum status outbox_message(struct store *s, gint64 id, GBytes **out,
			   struct err *err);

/*
 * Connects to the SMTP server of cfg and logs in as a run would, then
 * quits: nothing is sent.  ST_OK; ST_FATAL marked as the set-up's
 * (err_setup) when the login is refused or TLS fails; ST_SOURCE_BAD
 * when the server cannot be reached.  err names the URL and why.
 */
enum status outbox_check_server(const struct config *cfg, struct err *err);

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
