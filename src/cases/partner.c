/*
 * A partner answering a referral (partner.h): its clock stops when the
 * reply proves itself, and what the partner did is kept as a note.
 */
#include <string.h>

#include "cases.h"
#include "hanzi.h"
#include "log.h"
#include "partner.h"
#include "quote.h"
#include "twtime.h"

/*
 * Whether m carries the token lamplight made for its From address on
 * case number (or one merged into it): a partner answering our notice,
 * by In-Reply-To, References or the plus-address it was sent.
 */
static gboolean
partner_token(const struct casemail *cm, const struct mail_msg *m,
	      const char *number)
{
	g_autoptr(GPtrArray) found = token_find_all(m);

	if (m->from_addr == NULL || number == NULL || m->from_count != 1)
		return FALSE;
	for (guint i = 0; i < found->len; i++) {
		g_autofree char *n = NULL;

		if (token_check(cm->tokens, found->pdata[i], m->from_addr,
				&n) &&
		    strcmp(n, number) == 0)
			return TRUE;
	}
	return FALSE;
}

/* The n of "NUMBER-Rn" (a referral's number) in subject, or 0. */
static guint
referral_seq(const char *subject, const char *number)
{
	const char *p = number != NULL ? strstr(subject, number) : NULL;

	if (p == NULL || strncmp(p + strlen(number), "-R", 2) != 0 ||
	    !g_ascii_isdigit(p[strlen(number) + 2]))
		return 0;
	return (guint)MIN(g_ascii_strtoull(p + strlen(number) + 2, NULL, 10),
			  G_MAXUINT);
}

/* The group whose partner addr is at centre, or -1. */
static int
partner_group(const struct centre *centre, const char *addr)
{
	for (int g = 0; g < GROUP_COUNT; g++)
		if (address_in(centre->partners[g], addr))
			return g;
	return -1;
}

enum status
partner_reply(const struct casemail *cm, const struct mail_msg *m,
	      gint64 case_id, const char *number, GDateTime *now,
	      struct err *err)
{
	enum status st = ST_OK;
	int g = partner_group(cm->centre, m->from_addr);
	gboolean found = FALSE;
	gboolean proven = g >= 0 && partner_token(cm, m, number);
	guint seq = referral_seq(m->subject, number);

	/* Only the token of our notice to that very partner stops
	 * the clock; anything else waits for staff (#confirm). */
	if (proven) {
		st = cases_partner_replied_in(cm->store, case_id,
					      (enum group)g, seq,
					      m->from_addr, now,
					      &found, err);
	} else if (g >= 0) {
		g_autofree char *detail = g_strdup_printf(
			"%s %u %s", group_key((enum group)g), seq,
			m->from_addr);

		log_warn("case %s: a partner reply without its token "
			 "awaits staff to confirm it", number);
		st = cases_event_add(cm->store, case_id, NULL,
				     "lamplight",
				     "partner reply unconfirmed",
				     detail, err);
	}
	/* What they did is the outcome: kept as a note, not in the
	 * trail, so that retention can erase it. */
	if (st == ST_OK && g >= 0) {
		g_autofree char *text = quote_strip(m->text);
		g_autofree char *at = twtime_iso(now);

		/* Staff read Traditional Chinese. */
		if (hanzi_has_simplified(text) ||
		    (m->charset != NULL &&
		     g_ascii_strncasecmp(m->charset, "gb", 2) == 0)) {
			char *trad = hanzi_convert(text);

			if (trad != NULL) {
				g_free(text);
				text = trad;
			}
		}

		if (*g_strstrip(text) != '\0' && !proven) {
			char *marked = g_strconcat(
				"（未確認的合作單位回覆：信中沒有轉介通知"
				"的回覆代碼，轉介期限仍在計算；同仁確認後"
				"請回覆 #confirm）\n", text, NULL);

			g_free(text);
			text = marked;
		}
		if (*g_strstrip(text) != '\0')
			st = cases_note_add(cm->store, case_id,
					    at, m->from_addr, text,
					    NULL, err);
	}
	return st;
}
