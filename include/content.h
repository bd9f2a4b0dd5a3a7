/*
 * What the words of a letter say of the kind of mail it is, read by
 * patterns of our own (rules/ is for what a case worker extends): an
 * out-of-office notice without the headers that say so, an agency
 * answering about a client the centre sent it, a staff member's reply.
 *
 * The patterns are screened together, in one pass over the text, by a
 * prefilter (as the rules are); only those that may match are run.
 */
#ifndef LAMPLIGHT_CONTENT_H
#define LAMPLIGHT_CONTENT_H

#include <glib.h>

#include "mime.h"
#include "rules.h"

/* One text, read by the checks below; it is screened once, when a check
 * first needs it.  rs says whether to screen and where the compiled
 * screen is cached; text is borrowed and must outlive the reading. */
struct content;

struct content *content_new(const struct ruleset *rs, const char *text);
void content_free(struct content *ct);

/* Whether a line of the text is a staff command ("#close 1"). */
gboolean content_staff(struct content *ct);

/* Whether the text is an out-of-office or "sent by a machine" notice. */
gboolean content_auto_reply(struct content *ct);

/* Whether the text, from m, is an agency answering about a client the
 * centre sent it. */
gboolean content_partner(struct content *ct, const struct mail_msg *m);

#endif
