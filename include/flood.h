/*
 * Floods: letters to one centre in an hour beyond which staff are told
 * once, not letter by letter, and the duty officer at most once more.
 * Every letter is still filed and answered (the daily limit per address
 * holds the answers).  From one address (the writer's, or the web
 * form's e-mail field), or from anyone.  This module records who sent
 * each letter (a keyed hash of the address), counts, and decides what
 * staff hear of each letter: the duty alert and the staff notice
 * (staffnote.h), or one notice for the flood.
 */
#ifndef LAMPLIGHT_FLOOD_H
#define LAMPLIGHT_FLOOD_H

#include <glib.h>

#include "casemail.h"
#include "classify.h"
#include "err.h"
#include "mime.h"

#define FLOOD_SENDER_PER_HOUR 5
#define FLOOD_CENTRE_PER_HOUR 100

struct flood {
	gboolean folded;	/* beyond a limit: no staff notice of its own */
	gboolean first;		/* the first beyond: staff are told of it */
	gboolean alert;		/* a duty alert for it may go */
	gboolean by_sender;	/* one address's (else the centre's) */
	gint64 n;		/* the letters counted in the hour */
};

/*
 * Records who sent m, the letter arrival_id classified as c, and tells
 * in *fl whether it is part of a flood.
 */
enum status flood_check(const struct casemail *cm, const struct mail_msg *m,
			const struct classification *c, gint64 arrival_id,
			GDateTime *now, struct flood *fl, struct err *err);

/* The duty officer's alert of emergency number on case_id (at cm's
 * centre), unless the flood it is part of had its alert
 * (staffnote_duty()). */
enum status flood_duty(const struct casemail *cm, gint64 case_id,
		       const char *number, const struct classification *c,
		       const struct mail_msg *m, const struct flood *fl,
		       GDateTime *now, struct err *err);

/*
 * Staff's part of letter m to cm's centre, classified as c
 * (staffnote_letter(); first: it opened the case).  In a flood, the letter is marked on its case
 * instead, and the first beyond the limit tells each of the centre's
 * staff once.
 */
enum status flood_notice(const struct casemail *cm, gint64 case_id,
			 const char *number, const struct flood *fl,
			 gboolean first, const struct classification *c,
			 const struct mail_msg *m, GDateTime *now,
			 struct err *err);

#endif
