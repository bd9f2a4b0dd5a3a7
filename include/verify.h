/*
 * Whether a reply from staff may act for the centre: relay its text to
 * the writer, run its commands.  A From address alone never suffices.
 * All of these must hold:
 *
 *   - From is one address, a staff (or duty) address of the case's
 *     centre;
 *   - the mail carries a reply token (token.h) made for that address
 *     on that very case: the token of the mail it answers;
 *   - the sender is authenticated, by one of:
 *     - their staff secret (config staff_secrets_file), given in the
 *       reply's command block as "#secret WORD"; a secret given and
 *       wrong refuses the reply, and staff listed in
 *       staff_require_secret act only with theirs;
 *     - the receiving server, in an Authentication-Results header
 *       (RFC 8601) under an authserv-id the config trusts, among the
 *       topmost headers above any other server's: auth=pass with
 *       smtp.auth the From address, or dkim=pass / spf=pass / dmarc=
 *       pass for the From address's domain.  The header is read as
 *       RFC 8601 writes it (quoted strings, nested comments, property
 *       values) and whole or not at all; one whose results carry
 *       properties their method does not, or two auth results, is
 *       ignored, as is every header of a message whose DKIM-Signature
 *       tags could break the syntax once a server writes them out
 *       unquoted (exim's ${authresults} does);
 *   - the case is open.
 *
 * The trusted server must remove Authentication-Results headers that
 * arrive claiming its own authserv-id, as RFC 8601 section 5 asks
 * (tests/harness/servers.sh does so for its exim).
 */
#ifndef LAMPLIGHT_VERIFY_H
#define LAMPLIGHT_VERIFY_H

#include <glib.h>

#include "config.h"
#include "mime.h"
#include "token.h"

enum verdict {
	VERIFY_OK,
	VERIFY_NOT_STAFF,	/* From is not staff of the case's centre */
	VERIFY_MANY_FROM,	/* more than one From address */
	VERIFY_NO_TOKEN,	/* no token made for From */
	VERIFY_OTHER_CASE,	/* From's token names another case */
	VERIFY_UNAUTHENTICATED,	/* no trusted Authentication-Results */
	VERIFY_CLOSED,		/* the case is closed */
	VERIFY_BAD_SECRET,	/* a staff secret given, and wrong */
	VERIFY_NO_SECRET,	/* the sender must give one, and did not */
};

/* One result of an Authentication-Results header ("dkim=pass ..."). */
struct authres_result {
	char *method;		/* "dkim", without a version */
	char *result;		/* "pass" */
	char *reason;		/* reason="...", or NULL */
	char **props;		/* "header.d", "example.org", ... pairs,
				 * NULL-terminated */
};

struct authres {
	char *authserv_id;
	GPtrArray *results;	/* struct authres_result *; empty: "none" */
};

/*
 * Reads one Authentication-Results value as RFC 8601 writes it: a new
 * struct authres (authres_free()), or NULL when any of it does not
 * parse.
 */
struct authres *authres_parse(const char *value);
void authres_free(struct authres *a);

/* Why, in words fit for logs and alerts: no address, no name. */
const char *verify_reason(enum verdict v);

/*
 * Whether m's sender may act on a case of centre c, open unless closed
 * is set, known by numbers (its own and those merged into it, NULL-
 * terminated), given the authserv-ids trusted (NULL-terminated) and the
 * staff secret the reply gives (NULL: none).
 */
enum verdict verify_staff(const struct centre *c, char **trusted,
			  const struct tokens *t, const struct mail_msg *m,
			  char **numbers, gboolean closed,
			  const char *secret);

/*
 * Whether one of the Authentication-Results values (auth_results, as
 * mail_msg has them, top first) of a trusted authserv-id, above any
 * other's, vouches for from.
 */
gboolean verify_authenticated(char **trusted, const GPtrArray *auth_results,
			      const char *from);

#endif
