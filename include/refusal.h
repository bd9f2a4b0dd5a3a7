/*
 * Refusals: a request a person may not make now (close a closed case,
 * skip a step of the SOP, name a group that does not exist).  A refusal
 * is a status of its own, ST_REFUSED, with a typed reason in err.refused;
 * whether a request was done is its status, never its words.  One table
 * holds each reason's words: English for the command line (also put in
 * err.msg), Traditional Chinese for staff mail.  A database or internal
 * error is never a refusal: it keeps its own status and is logged.
 */
#ifndef LAMPLIGHT_REFUSAL_H
#define LAMPLIGHT_REFUSAL_H

#include <glib.h>

#include "err.h"

/* What each code is about: N the case number, S its state, W the word
 * asked for (see struct refusal). */
enum refusal_code {
	REFUSED_NONE,
	REFUSED_NO_CASE,	/* N: no such case */
	REFUSED_NO_CASE_HERE,	/* N (asked for), W (the centre) */
	REFUSED_STEP,		/* N, S: not a next step of the SOP */
	REFUSED_USE_REFER,	/* a referral needs the refer command */
	REFUSED_USE_CLOSE,	/* closing needs the close command */
	REFUSED_REFER_EARLY,	/* N, S: a referral follows the assessment */
	REFUSED_NO_AGENCY,	/* a referral names no agency */
	REFUSED_NO_REFERRAL,	/* N, W (group): no referral awaits a reply */
	REFUSED_NO_RESULT_OWED,	/* N: no result owed to a referrer */
	REFUSED_NO_REFERRER_ADDR, /* N: no address kept to mail it to */
	REFUSED_NOT_FOLLOW_UP,	/* N, S: a follow-up contact outside it */
	REFUSED_CLOSED,		/* N: the case is closed */
	REFUSED_CLOSED_ALREADY,	/* N: closing a closed case */
	REFUSED_MOVED_COUNTY,	/* 遷出 without another centre's code */
	REFUSED_IMPROVED_EARLY,	/* N, S: 問題改善 outside follow-up */
	REFUSED_IMPROVED_RELAPSE, /* N: 問題改善 before two clean years */
	REFUSED_NOTE_EMPTY,	/* a note without text */
	REFUSED_DAY_PAST,	/* W (the step): a day not to come */
	REFUSED_MERGE_SELF,	/* a case merged into itself */
	REFUSED_MERGE_CLOSED,	/* a closed case in a merge */
	REFUSED_MERGED_ALREADY,	/* a case in a merge is merged already */
	REFUSED_UNKNOWN_STATE,	/* W: no such case state */
	REFUSED_UNKNOWN_GROUP,	/* W: no such referral group or partner */
	REFUSED_BAD_REASON,	/* W: no such closing reason */
	REFUSED_NOT_STAFF,	/* W: not an address of the centre's staff */
	REFUSED_BAD_DATE,	/* W: not a date */
	REFUSED_UNKNOWN_COMMAND, /* W: no such command */
	REFUSED_NO_PARTNER_REPLY, /* N: no partner reply to confirm */
	REFUSED_COUNT,
};

enum refusal_lang {
	REFUSAL_EN,		/* the command line, logs */
	REFUSAL_ZH,		/* staff mail: Traditional Chinese */
};

/*
 * Records a refusal in err: code, the case's number (or NULL), its state
 * (enum case_state, or -1) and the word asked for (or NULL); err.msg gets
 * the English words.  Returns ST_REFUSED.
 */
enum status refuse(struct err *err, enum refusal_code code,
		   const char *number, int state, const char *word);

/* err's refusal in lang: a new string ("" for no refusal). */
char *refusal_text(const struct err *err, enum refusal_lang lang);

#endif
