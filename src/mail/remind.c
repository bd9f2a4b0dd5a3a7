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
#include "token.h"
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

/* An open SOP step of a case, for the staff digest. */
struct due {
	char *number, *step, *due_day, *assignee;
	gboolean emergency;
};

static void
due_free(struct due *d)
{
	g_free(d->number);
	g_free(d->step);
	g_free(d->due_day);
	g_free(d->assignee);
	g_free(d);
}

static gboolean
read_due(const struct store_row *row, gpointer data)
{
	struct due *d = g_new0(struct due, 1);

	d->number = store_col_dup(row, 0);
	d->step = store_col_dup(row, 1);
	d->due_day = store_col_dup(row, 2);
	d->emergency = g_strcmp0(store_col_text(row, 3), "emergency") == 0;
	d->assignee = store_col_dup(row, 4);
	g_ptr_array_add(data, d);
	return TRUE;
}

/*
 * The digest's entries for rcpt, emergencies first (the query's order):
 * each with its own reply address, so that a reply acts on that case.
 */
static char *
staff_items(const GPtrArray *dues, const struct tokens *tk,
	    const struct centre *c, const char *rcpt, const char *today)
{
	GString *s = g_string_new(NULL);

	for (guint i = 0; i < dues->len; i++) {
		const struct due *d = dues->pdata[i];
		g_autofree char *w = when(d->due_day, today);
		g_autofree char *day = twtime_roc_day(d->due_day);
		g_autofree char *token = token_make(tk, d->number, rcpt);
		g_autofree char *reply = token_reply_to(token, c->address);

		g_string_append_printf(
			s, "  ・%s%s：%s，期限 %s%s；承辦人：%s\n"
			   "      回覆本案：%s\n",
			d->emergency ? "【緊急】" : "", d->number,
			step_label(d->step), day, w,
			d->assignee != NULL ? d->assignee : "尚未指派", reply);
	}
	return g_string_free(s, FALSE);
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

/* Queues the staff digest of dues to rcpt unless one went today. */
static enum status
queue_staff(struct store *s, const struct notify *n,
	    const struct tokens *tk, const struct centre *c,
	    const char *rcpt, const GPtrArray *dues, const char *today,
	    const char *day_start, GDateTime *now, guint *queued,
	    struct err *err)
{
	g_autoptr(GHashTable) vars = g_hash_table_new(g_str_hash,
						      g_str_equal);
	g_autofree char *items = NULL, *count = NULL;
	gboolean urgent = FALSE;
	struct outgoing *o = NULL;
	struct err e2 = { 0 };
	gint64 sent = 0;
	enum status st;

	st = outbox_count_for(s, rcpt, "reminder-staff", NULL, day_start,
			      TRUE, &sent, err);
	if (st != ST_OK || sent > 0)
		return st;
	for (guint i = 0; i < dues->len; i++)
		urgent |= ((const struct due *)dues->pdata[i])->emergency;
	items = staff_items(dues, tk, c, rcpt, today);
	count = g_strdup_printf("%u", dues->len);
	g_hash_table_insert(vars, "items", items);
	g_hash_table_insert(vars, "count", count);
	g_hash_table_insert(vars, "risk_flag",
			    urgent ? "緊急個案到期・" : "");
	if (notify_build_staff(n, c, "reminder-staff", NULL, NULL, rcpt, NULL,
			       vars, now, &o, &e2) != ST_OK)
		return ST_OK;	/* an unusable address: nothing to send */
	st = outbox_queue(s, 0, "reminder-staff",
			  urgent ? OUTBOX_PRIORITY_EMERGENCY
				 : OUTBOX_PRIORITY_NORMAL,
			  o, err);
	if (st == ST_OK)
		(*queued)++;
	outgoing_free(o);
	return st;
}

static enum status
remind_centre(struct store *s, const struct centre *c,
	      const struct notify *n, const struct tokens *tk,
	      const char *today, const char *tomorrow,
	      const char *day_start, GDateTime *now, guint *queued,
	      struct err *err)
{
	g_autoptr(GPtrArray) dues = g_ptr_array_new_with_free_func(
		(GDestroyNotify)due_free);
	enum status st;

	/* Emergencies first, then by the day they are due.  The open
	 * deadlines due by tomorrow are few, the centre's cases of all
	 * years many: "+c.county" keeps SQLite from walking the cases by
	 * county, so that it takes the deadlines from deadlines_open. */
	st = store_query(s, err, read_due, dues,
			 "SELECT c.number, d.step, d.due_day, c.urgency, "
			 "c.assignee FROM deadlines d "
			 "JOIN cases c ON c.id = d.case_id WHERE +c.county = ? "
			 "AND d.outcome IS NULL AND d.referral_id IS NULL "
			 "AND d.due_day <= ? ORDER BY c.urgency = 'emergency' "
			 "DESC, d.due_day, c.number",
			 "tt", c->code, tomorrow);
	for (int i = 0; st == ST_OK && dues->len > 0 && c->staff != NULL &&
			c->staff[i] != NULL;
	     i++)
		st = queue_staff(s, n, tk, c, c->staff[i], dues, today,
				 day_start, now, queued, err);
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
				"+c.county = ? AND r.grp = ? AND d.outcome IS "
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
	   const struct tokens *tk, GDateTime *now, guint *queued,
	   struct err *err)
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
		st = remind_centre(s, cfg->centres->pdata[i], n, tk, today,
				   tomorrow, day_start, now, queued, err);
	if (st == ST_OK)
		return store_commit(s, err);
	store_rollback(s);
	return st;
}
