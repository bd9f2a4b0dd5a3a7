/*
 * One pass per centre over the open deadlines.  "Once a day" is read
 * from the outbox itself: a reminder to that address created since the
 * start of the day in Taiwan means none is due.
 */
#include <string.h>

#include "calendar.h"
#include "log.h"
#include "outbox.h"
#include "remind.h"
#include "twtime.h"

/* A deadline's step in words; one unknown to the vocabulary is shown as
 * it is kept, and said in the log. */
static const char *
step_label(const char *step)
{
	const char *label = deadline_step_label(step);

	if (label == NULL)
		log_warn("a deadline of unknown step '%s'", step);
	return label != NULL ? label : step;
}

struct items {
	GString *text;
	const char *today;
	guint n;
};

/* "（逾期 3 天）" or "（今天到期）" or "（明天到期）". */
static char *
when(const char *due, const char *today)
{
	GDate d, t;
	gint days;

	if (!calendar_date_parse(due, &d) || !calendar_date_parse(today, &t))
		return g_strdup("");
	days = g_date_days_between(&d, &t);
	if (days > 0)
		return g_strdup_printf("（逾期 %d 天）", days);
	return g_strdup(days == 0 ? "（今天到期）" : "（明天到期）");
}

static gboolean
staff_item(const struct store_row *row, gpointer data)
{
	struct items *it = data;
	const char *due = store_col_text(row, 2);
	g_autofree char *w = when(due, it->today);

	g_string_append_printf(it->text, "  %s  %s  期限 %s%s\n",
			       store_col_text(row, 0),
			       step_label(store_col_text(row, 1)),
			       due, w);
	it->n++;
	return TRUE;
}

static gboolean
partner_item(const struct store_row *row, gpointer data)
{
	struct items *it = data;
	const char *due = store_col_text(row, 2);
	g_autofree char *w = when(due, it->today);

	/* A referral has two clocks for a personal request: the reply
	 * slip's and the result's (cases.h). */
	g_string_append_printf(it->text, "  %s-R%lld  %s期限 %s%s\n",
			       store_col_text(row, 0),
			       (long long)store_col_int(row, 1),
			       strcmp(store_col_text(row, 3),
				      "partner_result") == 0 ? "處理結果"
							      : "回覆",
			       due, w);
	it->n++;
	return TRUE;
}

/* Queues name's digest of items to rcpt unless one went today. */
static enum status
queue(struct store *s, const struct notify *n, const struct centre *c,
      const char *name, const char *rcpt, const char *items,
      const char *day_start, GDateTime *now, guint *queued,
      struct err *err)
{
	struct outgoing *o = NULL;
	struct err e2 = { 0 };
	gint64 sent = 0;
	enum status st;

	st = outbox_count_for(s, rcpt, name, NULL, day_start, TRUE, &sent,
			      err);
	if (st != ST_OK || sent > 0)
		return st;
	if (notify_build_reminder(n, c, name, rcpt, items, now, &o, &e2) !=
	    ST_OK)
		return ST_OK;	/* an unusable address: nothing to send */
	st = outbox_queue(s, 0, name, OUTBOX_PRIORITY_NORMAL, o, err);
	if (st == ST_OK)
		(*queued)++;
	outgoing_free(o);
	return st;
}

static enum status
remind_centre(struct store *s, const struct centre *c,
	      const struct notify *n, const char *today,
	      const char *tomorrow, const char *day_start, GDateTime *now,
	      guint *queued, struct err *err)
{
	struct items staff = { g_string_new(NULL), today, 0 };
	enum status st;

	st = store_query(s, err, staff_item, &staff,
			 "SELECT c.number, d.step, d.due_day FROM deadlines d "
			 "JOIN cases c ON c.id = d.case_id WHERE c.county = ? "
			 "AND d.outcome IS NULL AND d.referral_id IS NULL "
			 "AND d.due_day <= ? ORDER BY d.due_day, c.number",
			 "tt", c->code, tomorrow);
	for (int i = 0; st == ST_OK && staff.n > 0 && c->staff != NULL &&
			c->staff[i] != NULL;
	     i++)
		st = queue(s, n, c, "reminder-staff", c->staff[i],
			   staff.text->str, day_start, now, queued, err);
	g_string_free(staff.text, TRUE);
	for (int g = 0; st == ST_OK && g < GROUP_COUNT; g++) {
		struct items partner = { g_string_new(NULL), today, 0 };

		if (c->partners[g] != NULL && c->partners[g][0] != NULL)
			st = store_query(
				s, err, partner_item, &partner,
				"SELECT c.number, (SELECT count(*) FROM "
				"referrals r2 WHERE r2.case_id = r.case_id AND "
				"r2.id <= r.id), d.due_day, d.step FROM "
				"deadlines d "
				"JOIN referrals r ON r.id = d.referral_id "
				"JOIN cases c ON c.id = d.case_id WHERE "
				"c.county = ? AND r.grp = ? AND d.outcome IS "
				"NULL AND d.due_day <= ? ORDER BY d.due_day",
				"ttt", c->code, group_key((enum group)g),
				tomorrow);
		for (int i = 0; st == ST_OK && partner.n > 0 &&
				c->partners[g][i] != NULL;
		     i++)
			st = queue(s, n, c, "reminder-partner",
				   c->partners[g][i], partner.text->str,
				   day_start, now, queued, err);
		g_string_free(partner.text, TRUE);
	}
	return st;
}

enum status
remind_all(struct store *s, const struct config *cfg, const struct notify *n,
	   GDateTime *now, guint *queued, struct err *err)
{
	g_autoptr(GDateTime) tw = g_date_time_to_timezone(now, twtime_zone());
	g_autoptr(GDateTime) midnight = g_date_time_new(
		twtime_zone(), g_date_time_get_year(tw),
		g_date_time_get_month(tw), g_date_time_get_day_of_month(tw), 0,
		0, 0);
	g_autofree char *day_start = twtime_iso(midnight);
	g_autofree char *today = NULL, *tomorrow = NULL;
	GDate d;
	enum status st;

	*queued = 0;
	calendar_day_of(now, &d);
	today = calendar_date_string(&d);
	g_date_add_days(&d, 1);
	tomorrow = calendar_date_string(&d);
	st = store_begin(s, err);
	for (guint i = 0; st == ST_OK && i < cfg->centres->len; i++)
		st = remind_centre(s, cfg->centres->pdata[i], n, today,
				   tomorrow, day_start, now, queued, err);
	if (st == ST_OK)
		return store_commit(s, err);
	store_rollback(s);
	return st;
}
