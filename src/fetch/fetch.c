/*
 * Choosing a fetch driver by the mailbox URL's scheme, and saying in an
 * operator's words why a connection to a mail server failed.
 */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fetch.h"

void
fetch_entry_free(struct fetch_entry *e)
{
	if (e == NULL)
		return;
	g_free(e->uid);
	g_free(e);
}

const struct fetch_ops *
fetch_ops_for(const char *url, struct err *err)
{
	if (g_str_has_prefix(url, "maildir:"))
		return &fetch_maildir_ops;
	if (g_str_has_prefix(url, "imap://") ||
	    g_str_has_prefix(url, "imaps://"))
		return &fetch_imap_ops;
	if (g_str_has_prefix(url, "pop3://") ||
	    g_str_has_prefix(url, "pop3s://"))
		return &fetch_pop3_ops;
	err_set(err, ST_SOURCE_BAD, "no fetch driver for this mailbox URL");
	return NULL;
}

/*
 * One TCP connection to host:port by hand, to say why libetpan's failed:
 * it reports only a number, the same for a name that does not resolve
 * and a port that refuses.  Returns the connected socket, or -1 with
 * *why set (a static string or strerror's).
 */
static int
probe_connect(const char *host, int port, int timeout_s, const char **why)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM };
	struct addrinfo *ai = NULL;
	char service[16];
	int fd = -1, r;

	g_snprintf(service, sizeof service, "%d", port);
	r = getaddrinfo(host, service, &hints, &ai);
	if (r != 0) {
		*why = r == EAI_NONAME || r == EAI_NODATA
			       ? "no such host"
		       : r == EAI_AGAIN ? "the name server did not answer"
					: gai_strerror(r);
		return -1;
	}
	*why = "no address to connect to";
	for (struct addrinfo *a = ai; a != NULL && fd < 0; a = a->ai_next) {
		struct pollfd pfd = { .events = POLLOUT };
		int e = 0;
		socklen_t elen = sizeof e;

		fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC |
						  SOCK_NONBLOCK,
			    a->ai_protocol);
		if (fd < 0)
			continue;
		if (connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
			e = errno;
			if (e == EINPROGRESS) {
				pfd.fd = fd;
				r = poll(&pfd, 1, timeout_s * 1000);
				if (r == 0)
					e = ETIMEDOUT;
				else if (getsockopt(fd, SOL_SOCKET, SO_ERROR,
						    &e, &elen) != 0)
					e = errno;
			}
		}
		if (e != 0) {
			*why = e == ECONNREFUSED
				       ? "connection refused (nothing listens "
					 "there)"
			       : e == ETIMEDOUT ? "no answer (timeout)"
						: g_strerror(e);
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(ai);
	return fd;
}

/* The first bytes the server sends unasked, within timeout_s. */
static gssize
probe_greeting(int fd, int timeout_s, char *buf, gsize size)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	if (poll(&pfd, 1, timeout_s * 1000) <= 0)
		return 0;
	return recv(fd, buf, size, 0);
}

enum status
fetch_login_refused(struct err *err, const char *id, const char *host,
		    int port, const char *user, const char *said)
{
	return err_set(err, ST_SOURCE_BAD, "mailbox %s: %s:%d refused the "
		       "login of user '%s' (%s): check the user in the URL "
		       "and password_file", id, host, port,
		       user != NULL ? user : "", said != NULL && *said
							? said
							: "no reason given");
}

enum status
fetch_why_connect_failed(struct err *err, const char *id, const char *host,
			 int port, gboolean tls, int timeout_s, int r)
{
	const char *why = NULL;
	char greeting[16] = "";
	gssize n = 0;
	int fd;

	timeout_s = CLAMP(timeout_s, 1, 10);
	fd = probe_connect(host, port, timeout_s, &why);
	if (fd >= 0) {
		/* A server greets at once: a second is plenty, and a
		 * silent one costs the run no more than that. */
		n = probe_greeting(fd, 1, greeting, sizeof greeting - 1);
		close(fd);
	}
	if (fd < 0)
		return err_set(err, ST_SOURCE_BAD, "mailbox %s: cannot "
			       "connect to %s:%d: %s", id, host, port, why);
	/* A TLS server waits for our hello; a text greeting says the
	 * port speaks plain IMAP or POP3. */
	if (tls && n > 0 && (g_str_has_prefix(greeting, "* ") ||
			     g_str_has_prefix(greeting, "+OK")))
		return err_set(err, ST_SOURCE_BAD, "mailbox %s: %s:%d is not "
			       "TLS: the server greets in plain text there; "
			       "use the TLS port (993 for imaps, 995 for "
			       "pop3s), or the plain scheme with starttls = "
			       "required", id, host, port);
	if (!tls && n <= 0)
		return err_set(err, ST_SOURCE_BAD, "mailbox %s: %s:%d sent no "
			       "greeting: a TLS port? use imaps:// or "
			       "pop3s://", id, host, port);
	return err_set(err, ST_SOURCE_BAD, "mailbox %s: %s:%d: %s failed or "
		       "timed out (libetpan %d)", id, host, port,
		       tls ? "the TLS handshake" : "the greeting", r);
}
