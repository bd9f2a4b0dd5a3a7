/*
 * Mail sources behind one table of operations (mbsync's driver.h is the
 * model): a local Maildir, IMAP (plain, STARTTLS, IMAPS) and POP3 (plain,
 * STLS, POP3S).  A source lists what may be new, hands over each
 * message's bytes, and is told what to do with its copy only after the
 * message is filed.  Which messages were fetched is
 * the store's business, not the driver's.
 */
#ifndef LAMPLIGHT_FETCH_H
#define LAMPLIGHT_FETCH_H

#include <glib.h>

#include "config.h"
#include "err.h"

struct fetch_entry {
	char *uid;	/* IMAP UID, or Maildir base name */
	guint64 size;	/* bytes as the server reports them; 0: unknown */
};

void fetch_entry_free(struct fetch_entry *e);

struct fetch_ops {
	const char *name;	/* "imap" */

	/*
	 * Connects and opens c's mailbox; *uidvalidity is 0 if none.  The
	 * handle keeps c (borrowed) for its after_fetch action.
	 */
	enum status (*open)(const struct centre *c, void **handle,
			    guint32 *uidvalidity, struct err *err);
	/* Entries that may be new: for IMAP, UIDs above since. */
	enum status (*list)(void *handle, guint32 since, GPtrArray **out,
			    struct err *err);
	/*
	 * The bytes of n messages at once (one round trip where the
	 * protocol allows): out[i] for uids[i], NULL if it has gone.
	 */
	enum status (*fetch)(void *handle, const char *const *uids, guint n,
			     GBytes **out, struct err *err);
	/* Deals with the server copy of a filed message (after_fetch). */
	enum status (*done)(void *handle, const char *uid, struct err *err);
	/*
	 * Makes the done() calls so far take effect (POP3 deletes only at
	 * QUIT); NULL when they take effect at once.  Only after it returns
	 * ST_OK may they be recorded as done.
	 */
	enum status (*commit)(void *handle, struct err *err);
	void (*close)(void *handle);
};

extern const struct fetch_ops fetch_maildir_ops;
extern const struct fetch_ops fetch_imap_ops;
extern const struct fetch_ops fetch_pop3_ops;

/* The driver for a mailbox URL; NULL (and err set) if none. */
const struct fetch_ops *fetch_ops_for(const char *url, struct err *err);

/*
 * After libetpan failed to connect (its code r) to host:port as mailbox
 * id, tries again by hand to find out why: no such host, connection
 * refused, timeout, a plain-text server on a TLS port or a TLS server on
 * a plain one.  Sets err (ST_SOURCE_BAD, naming host:port) and returns
 * its status.
 */
enum status fetch_why_connect_failed(struct err *err, const char *id,
				     const char *host, int port,
				     gboolean tls, int timeout_s, int r);

/* The server at host:port refused the login of user as mailbox id,
 * saying said (its reply's text, may be NULL): sets err and returns
 * ST_SOURCE_BAD. */
enum status fetch_login_refused(struct err *err, const char *id,
				const char *host, int port, const char *user,
				const char *said);

/*
 * Verifies the certificate chain of a TLS stream (a libetpan mailstream)
 * for host, against ca_file or the system trust store.  Must pass before
 * any password is sent: libetpan itself accepts any certificate.
 */
enum status tls_verify_stream(void *mailstream, const char *host,
			      const char *ca_file, struct err *err);

#endif
