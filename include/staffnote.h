/*
 * Mail to a centre's own people about its cases, each from its template
 * through the outbox: the notice of each letter (to the case's
 * assignee, else every staff address, with a reply token and a note
 * address of their own), the duty officer's alert of an emergency, the
 * one notice of a flood, alerts of staff mail refused or not relayed
 * (at most STAFFNOTE_ALERTS_PER_DAY a day to an address), and the
 * transcript of what a staff member's mail did.  What goes to writers
 * is answer.h's and relay.h's.
 */
#ifndef LAMPLIGHT_STAFFNOTE_H
#define LAMPLIGHT_STAFFNOTE_H

#include <glib.h>

#include "casemail.h"
#include "classify.h"
#include "err.h"
#include "mime.h"
#include "rules.h"
#include "verify.h"

/* Alerts to one address in a day, at most. */
#define STAFFNOTE_ALERTS_PER_DAY 20

/*
 * Inside the filing transaction: tells staff of cm's centre of letter c
 * on case_id (first: it opened the case): the case (title, owner, next
 * step and its deadline, who was alerted), the reasons, the letter's
 * new text, its files (struct attachment *; those that may pass
 * attached, mime_attachment_passable()), and how to act by replying.  Nothing when the centre has
 * staff_notices off or no staff.
 */
enum status staffnote_letter(const struct casemail *cm, gint64 case_id,
			     gboolean first, const struct classification *c,
			     const GPtrArray *files, const char *in_reply_to,
			     GDateTime *now, struct err *err);

/*
 * Queues the alert of emergency number (classified as c) to the duty
 * officer of cm's centre, first in the outbox: all the notice says and
 * how to reach the person, to act on by replying.  A centre without a
 * duty address is told in the case.
 */
enum status staffnote_duty(const struct casemail *cm, gint64 case_id,
			   const char *number,
			   const struct classification *c,
			   const GPtrArray *files, GDateTime *now,
			   struct err *err);

/*
 * Tells the owner of case_id (else every staff member) that a partner
 * answered its referral (m, classified as c): the answer's text and
 * the files it carries that may pass (mime_attachment_passable()).
 */
enum status staffnote_partner(const struct casemail *cm, gint64 case_id,
			      const struct classification *c,
			      const struct mail_msg *m, GDateTime *now,
			      struct err *err);

/* The notice of a flood (items: what happened, one per line) to each
 * staff address of cm's centre. */
enum status staffnote_flood(const struct casemail *cm, gint64 case_id,
			    const char *items, GDateTime *now,
			    struct err *err);

/*
 * Tells the duty officer (else every staff member) of cm's centre of
 * event on case number, with detail and reason; m (may be NULL) is the
 * mail it is about.  At most STAFFNOTE_ALERTS_PER_DAY a day each.
 */
enum status staffnote_alert(const struct casemail *cm, gint64 case_id,
			    const char *number, const struct mail_msg *m,
			    const char *event, const char *detail,
			    const char *reason, GDateTime *now,
			    struct err *err);

/*
 * A staff reply m refused as v: the centre is alerted, and a From that
 * is a staff address of the centre, as configured, is told that nothing
 * was done and why.  A forger learns nothing.
 */
enum status staffnote_refused(const struct casemail *cm, gint64 case_id,
			      const char *number, const struct mail_msg *m,
			      enum verdict v, GDateTime *now,
			      struct err *err);

/* A verified staff reply m with commands in its quoted text (never
 * run): the centre is alerted. */
enum status staffnote_quoted(const struct casemail *cm, gint64 case_id,
			     const char *number, const struct mail_msg *m,
			     GDateTime *now, struct err *err);

/*
 * The transcript to the writer of staff reply m: lines, what each
 * command did, and relayed, what became of the rest.
 */
enum status staffnote_transcript(const struct casemail *cm, gint64 case_id,
				 const char *number,
				 const struct mail_msg *m, GPtrArray *lines,
				 const char *relayed, GDateTime *now,
				 struct err *err);

#endif
