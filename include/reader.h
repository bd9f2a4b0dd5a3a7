/*
 * Reading a spooled letter for filing: its bytes read, parsed and
 * classified, the whole reading timed by the watchdog.  It owns the
 * run's rules and the read-time watchdog, and the poison marks of
 * letters whose reading overran the cap; what to do with a letter read
 * (or not) is filing's (filing.h).
 */
#ifndef LAMPLIGHT_READER_H
#define LAMPLIGHT_READER_H

#include <glib.h>

#include "classify.h"
#include "config.h"
#include "err.h"
#include "mime.h"
#include "rules.h"
#include "spool.h"

struct reader;

/* Loads the rules of cfg and starts the watchdog. */
enum status reader_open(const struct config *cfg, struct spool *spool,
			struct reader **out, struct err *err);
void reader_close(struct reader *r);

/* The run's rules: borrowed, valid until reader_close(). */
const struct ruleset *reader_rules(const struct reader *r);

/* A letter read and classified. */
struct reader_letter {
	struct mail_msg *m;
	struct classification *c;
	char hash[65];		/* the body hash (mail_body_hash) */
};

void reader_letter_free(struct reader_letter *l);

/*
 * Reads spool file name (from mailbox) into *out (new).  ST_MSG_BAD when
 * it is to be quarantined unread or unreadable: *key (new) is what it is
 * recorded by, *why (new) the reason, and *poisoned whether it was set
 * aside for a poison mark (reader_poison_clear() once recorded).  Other
 * errors in err.
 */
enum status reader_read(struct reader *r, const char *name,
			const char *mailbox, struct reader_letter **out,
			char **key, char **why, gboolean *poisoned,
			struct err *err);

/*
 * Whether spool file name reads as a seeker's emergency: the same
 * reading as reader_read(), done ahead.  Anything unreadable is not; a
 * reading over the cap marks it poison.
 */
gboolean reader_urgent(struct reader *r, const char *name);

/* The poison mark of name has served: it goes. */
void reader_poison_clear(struct reader *r, const char *name);

#endif
