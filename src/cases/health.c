/*
 * The figures behind `lamplight status`.  Each comes from the module
 * that owns its table; this file only gathers them and decides whether
 * a person should look.  It holds no SQL and never turns an error into
 * a figure.
 */
#include <string.h>

#include "calendar.h"
#include "cases.h"
#include "health.h"

static void
mailbox_clear(gpointer p)
{
	mailbox_health_done(&((struct health_mailbox *)p)->h);
}

void
health_free(struct health *h)
{
	if (h == NULL)
		return;
	if (h->mailboxes != NULL)
		g_array_free(h->mailboxes, TRUE);
	if (h->overdue_steps != NULL)
		g_ptr_array_free(h->overdue_steps, TRUE);
	if (h->overdue_referrals != NULL)
		g_ptr_array_free(h->overdue_referrals, TRUE);
	if (h->lost != NULL)
		g_array_unref(h->lost);
	g_free(h);
}

/* Whether one of list is due before stuck_day. */
static gboolean
any_before(const GPtrArray *list, const char *stuck_day)
{
	for (guint i = 0; i < list->len; i++) {
		const struct case_overdue *o = list->pdata[i];

		if (strcmp(o->oldest_due, stuck_day) < 0)
			return TRUE;
	}
	return FALSE;
}

enum status
health_read(struct store *s, const struct config *cfg, const GDate *today,
	    struct health **out, struct err *err)
{
	struct health *h = g_new0(struct health, 1);
	g_autofree char *day = calendar_date_string(today);
	g_autofree char *stuck_day = NULL;
	enum status st;
	GDate d = *today;

	g_date_subtract_days(&d, HEALTH_STUCK_DAYS);
	stuck_day = calendar_date_string(&d);
	h->mailboxes = g_array_new(FALSE, TRUE,
				   sizeof(struct health_mailbox));
	g_array_set_clear_func(h->mailboxes, mailbox_clear);
	st = outbox_count(s, &h->outbox, err);
	if (st == ST_OK)
		st = store_quarantine_held(s, &h->held, err);
	if (st == ST_OK)
		st = store_fetched_lost_list(s, &h->lost, err);
	h->stuck = h->outbox.failed > 0 || h->outbox.stale > 0 ||
		   h->outbox.urgent_undelivered > 0 || h->held > 0 ||
		   (h->lost != NULL && h->lost->len > 0);
	for (guint i = 0; st == ST_OK && i < cfg->centres->len; i++) {
		const struct centre *c = cfg->centres->pdata[i];
		struct health_mailbox m = { .id = c->id };

		if (c->mailbox == NULL)
			continue;
		st = store_mailbox_health(s, c->id, &m.h, err);
		if (st != ST_OK)
			break;
		/* A failing mailbox, mail too big to take, or cron not
		 * running: a person. */
		if (m.h.error != NULL || m.h.left_on_server > 0 ||
		    m.h.finished_at == NULL || m.h.day_old)
			h->stuck = TRUE;
		g_array_append_val(h->mailboxes, m);
	}
	if (st == ST_OK)
		st = cases_overdue(s, day, FALSE, &h->overdue_steps, err);
	if (st == ST_OK)
		st = cases_overdue(s, day, TRUE, &h->overdue_referrals, err);
	if (st != ST_OK) {
		health_free(h);
		return st;
	}
	if (any_before(h->overdue_steps, stuck_day) ||
	    any_before(h->overdue_referrals, stuck_day))
		h->stuck = TRUE;
	*out = h;
	return ST_OK;
}
