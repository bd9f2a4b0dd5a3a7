/*
 * Floods (flood.h): who sent each letter, counted over the hour, and
 * what staff hear of a letter in a flood.
 */
#include <string.h>

#include "cases.h"
#include "flood.h"
#include "log.h"
#include "staffnote.h"
#include "twtime.h"

enum status
flood_check(const struct casemail *cm, const struct mail_msg *m,
	    const struct classification *c, gint64 arrival_id,
	    GDateTime *now, struct flood *fl, struct err *err)
{
	g_autoptr(GDateTime) hour = g_date_time_add_hours(now, -1);
	g_autofree char *since = twtime_iso(hour);
	const char *who = c->from_form ? c->reply_addr : m->from_addr;
	g_autofree char *canon = who != NULL ? address_canonical(who) : NULL;
	g_autofree char *sender =
		canon != NULL ? token_party_hash(cm->tokens, canon) : NULL;
	struct store_flood one = { 0 }, all = { 0 };
	enum status st = ST_OK;

	memset(fl, 0, sizeof *fl);
	fl->alert = TRUE;
	if (sender != NULL)
		st = store_arrival_set_sender(cm->store, arrival_id, sender,
					      err);
	if (st == ST_OK && sender != NULL)
		st = store_arrivals_since(cm->store, c->county, sender, since,
					  FLOOD_SENDER_PER_HOUR, &one, err);
	if (st == ST_OK)
		st = store_arrivals_since(cm->store, c->county, NULL, since,
					  FLOOD_CENTRE_PER_HOUR, &all, err);
	if (st != ST_OK)
		return st;
	if (one.n > FLOOD_SENDER_PER_HOUR) {
		fl->folded = fl->by_sender = TRUE;
		fl->n = one.n;
		fl->first = one.n == FLOOD_SENDER_PER_HOUR + 1;
		fl->alert = one.emergencies_beyond <= 1;
	} else if (all.n > FLOOD_CENTRE_PER_HOUR) {
		fl->folded = TRUE;
		fl->n = all.n;
		fl->first = all.n == FLOOD_CENTRE_PER_HOUR + 1;
		fl->alert = all.emergencies_beyond <= 1;
	}
	return ST_OK;
}

static enum status
flood_tell(const struct casemail *cm, gint64 case_id, const char *number,
	   const struct flood *fl, GDateTime *now, struct err *err)
{
	const struct centre *centre = cm->centre;
	g_autofree char *items = NULL;
	enum status st;

	st = cases_event_add(cm->store, case_id, NULL, "lamplight",
			     "staff notice folded",
			     fl->by_sender ? "many letters from one address "
					     "in an hour"
					   : "many letters to the centre in an "
					     "hour", err);
	if (st != ST_OK || !fl->first || !centre->staff_notices ||
	    centre->staff == NULL)
		return st;
	log_warn("centre %s: more than %d letters in an hour%s: staff "
		 "notices folded", centre->code,
		 fl->by_sender ? FLOOD_SENDER_PER_HOUR : FLOOD_CENTRE_PER_HOUR,
		 fl->by_sender ? " from one address" : "");
	items = g_strdup_printf(
		fl->by_sender ? "同一個信箱在一小時內寄來了 %lld 封信（最新一封立案為 %s）。\n"
			      : "本中心在一小時內收到了 %lld 封信（最新一封立案為 %s）。\n",
		(long long)fl->n, number);
	return staffnote_flood(cm, case_id, items, now, err);
}

enum status
flood_duty(const struct casemail *cm, gint64 case_id, const char *number,
	   const struct classification *c, const struct mail_msg *m,
	   const struct flood *fl, GDateTime *now, struct err *err)
{
	if (!fl->alert)
		return ST_OK;
	return staffnote_duty(cm, case_id, number, c, m->attachments, now,
			      err);
}

enum status
flood_notice(const struct casemail *cm, gint64 case_id, const char *number,
	     const struct flood *fl, gboolean first,
	     const struct classification *c, const struct mail_msg *m,
	     GDateTime *now, struct err *err)
{
	if (fl->folded)
		return flood_tell(cm, case_id, number, fl, now, err);
	return staffnote_letter(cm, case_id, first, c, m->attachments,
				m->message_id, now, err);
}
