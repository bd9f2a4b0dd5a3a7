/*
 * Reply tokens: every mail lamplight sends names its case and its
 * recipient in a token, "TPE-1151123-0001.<mac>", where mac is the first
 * TOKEN_MAC_BYTES of HMAC-SHA256(key, number "\n" recipient), in hex.
 * The token goes in the Message-ID ("lamplight.<token>.<random>@domain")
 * and in a plus-address Reply-To ("tpe+<token>@domain"); a reply brings
 * it back in In-Reply-To, References or its recipient, and only the
 * recipient it was made for (and the key's holder) can present it.
 */
#ifndef LAMPLIGHT_TOKEN_H
#define LAMPLIGHT_TOKEN_H

#include <glib.h>

#include "err.h"
#include "mime.h"

#define TOKEN_KEY_BYTES 32
#define TOKEN_MAC_BYTES 12

struct tokens;

/*
 * Reads the key file (at least TOKEN_KEY_BYTES bytes, readable by its
 * owner alone).  When create is set and the file is missing, makes one
 * of random bytes, mode 0600.
 */
enum status tokens_open(const char *path, gboolean create,
			struct tokens **out, struct err *err);
void tokens_free(struct tokens *t);

/* The token of case_number for rcpt (compared without case): new. */
char *token_make(const struct tokens *t, const char *case_number,
		 const char *rcpt);
/* Whether token was made for sender; *number (new) its case number. */
gboolean token_check(const struct tokens *t, const char *token,
		     const char *sender, char **number);

/* A Message-ID carrying token, unique; in the domain of from: new. */
char *token_message_id(const char *token, const char *from);
/* "local+token@domain" for the centre's address from: new. */
char *token_reply_to(const char *token, const char *from);

/*
 * The tokens a message brings back, those in its recipients' plus
 * addresses first, then In-Reply-To, then References newest first: a
 * new array of new strings, perhaps empty.  Only the form is checked.
 */
GPtrArray *token_find_all(const struct mail_msg *m);

/* A keyed hash of an address, for matching parties without storing
 * their addresses: new hex string. */
char *token_party_hash(const struct tokens *t, const char *addr);

#endif
