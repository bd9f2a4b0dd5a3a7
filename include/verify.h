/*
 * Whether a reply from staff may act for the centre: relay its text to
 * the writer, run its commands.  A From address alone never suffices.
 * All of these must hold:
 *
 *   - From is one address, a staff (or duty) address of the case's
 *     centre;
 *   - the mail carries a reply token (token.h) made for that address
 *     on that very case: the token of the mail it answers;
 *   - the receiving server vouches for the sender in an
 *     Authentication-Results header (RFC 8601) under an authserv-id the
 *     config trusts: auth=pass with smtp.auth the From address, or
 *     dkim=pass / spf=pass / dmarc=pass for the From address's domain;
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
};

/* Why, in words fit for logs and alerts: no address, no name. */
const char *verify_reason(enum verdict v);

/*
 * Whether m's sender may act on a case of centre c, open unless closed
 * is set, known by numbers (its own and those merged into it, NULL-
 * terminated), given the authserv-ids trusted (NULL-terminated).
 */
enum verdict verify_staff(const struct centre *c, char **trusted,
			  const struct tokens *t, const struct mail_msg *m,
			  char **numbers, gboolean closed);

/*
 * Whether one of the Authentication-Results values (auth_results, as
 * mail_msg has them) from a trusted authserv-id vouches for from.
 */
gboolean verify_authenticated(char **trusted, const GPtrArray *auth_results,
			      const char *from);

#endif
