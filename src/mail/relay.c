/*
 * A staff reply relayed to the writer, from the centre, and the last
 * check before it goes (relay.h).
 */
#include <string.h>

#include "log.h"
#include "outbox.h"
#include "relay.h"
#include "staffnote.h"

/* Templates whose lines are the centre's own, never the writer's. */
static const char *const inward_templates[] = {
	"case-staff", "command-transcript", "command-refused", "duty-alert",
	"referral", "reminder-staff", "flood-staff", "staff-commands",
	"partner-reply-staff", NULL,
};

/*
 * The last check before anything goes to a writer: text holds nothing
 * from inside the centre.  NULL when it may go, else why not (static,
 * for logs: no address, no text).
 */
static const char *
inward_in(const struct casemail *cm, const char *text)
{
	const struct centre *c = cm->centre;
	g_autofree char *low = g_utf8_casefold(text, -1);
	g_autofree char *local = NULL;
	g_autoptr(GRegex) hex = NULL;
	const char *at;

	for (int i = 0; c->staff != NULL && c->staff[i] != NULL; i++) {
		g_autofree char *a = g_utf8_casefold(c->staff[i], -1);

		if (strstr(low, a) != NULL)
			return "a staff address";
	}
	if (c->duty != NULL) {
		g_autofree char *a = g_utf8_casefold(c->duty, -1);

		if (strstr(low, a) != NULL)
			return "the duty address";
	}
	/* A note or reply address of the centre: "tpe+...". */
	at = c->address != NULL ? strchr(c->address, '@') : NULL;
	if (at != NULL) {
		g_autofree char *l = g_ascii_strdown(c->address,
						     at - c->address);

		local = g_strconcat(l, "+", NULL);
		if (strstr(low, local) != NULL)
			return "a tagged centre address";
	}
	if (strstr(low, "+note.") != NULL)
		return "a note address";
	/* A token's MAC: 24 hex digits in a row. */
	hex = g_regex_new("(?<![0-9a-f])[0-9a-f]{24}", 0, 0, NULL);
	if (hex != NULL && g_regex_match(hex, low, 0, NULL))
		return "a reply token";
	for (guint i = 0; cm->rules != NULL &&
			  i < ruleset_size(cm->rules); i++) {
		const char *id = ruleset_rule_id(cm->rules, i);

		/* Only dotted ids ("suicide.intent"): a bare word may be
		 * any word. */
		if (id != NULL && strchr(id, '.') != NULL &&
		    strstr(low, id) != NULL)
			return "a rule name";
	}
	for (int t = 0; inward_templates[t] != NULL; t++) {
		const char *body = notify_template_body(cm->notify,
							inward_templates[t]);
		g_auto(GStrv) lines = g_strsplit(body != NULL ? body : "",
						 "\n", -1);

		for (int i = 0; lines[i] != NULL; i++) {
			char *l = g_strstrip(lines[i]);

			if (g_str_has_prefix(l, "・"))
				l += strlen("・");
			/* Fixed lines only, long enough to be the notice's. */
			if (strstr(l, "{{") != NULL ||
			    g_utf8_strlen(l, -1) < 8)
				continue;
			{
				g_autofree char *fl = g_utf8_casefold(l, -1);

				if (strstr(low, fl) != NULL)
					return "a line of the centre's notices";
			}
		}
	}
	/* The headings notify_reasons() writes. */
	if (strstr(text, "緊急的理由：") != NULL ||
	    strstr(text, "已排除的風險（") != NULL ||
	    strstr(text, "可能的風險（未達緊急") != NULL)
		return "the triage reasons";
	return NULL;
}

enum status
relay_reply(const struct casemail *cm, gint64 case_id,
	    const struct case_view *cr,
	    const char *who, const char *text, GDateTime *now,
	    const char **said, struct err *err)
{
	g_autofree char *token = NULL;
	struct outgoing *o = NULL;
	struct err e2 = { 0 };
	const char *inward;
	enum status st;

	if (cr->reply == NULL) {
		*said = "staff reply not relayed: the writer left no address";
		return cases_event_add(cm->store, case_id, NULL, who,
				       "staff reply not relayed",
				       "the writer left no address", err);
	}
	/* Nothing inward goes outward: refused, logged, alerted. */
	inward = inward_in(cm, text);
	if (inward != NULL) {
		g_autofree char *why = g_strdup_printf(
			"refused by the last check: %s", inward);

		log_warn("case %s: a staff reply was not relayed: it holds %s",
			 cr->number, inward);
		*said = "staff reply not relayed: refused by the last check";
		st = cases_event_add(cm->store, case_id, NULL, "lamplight",
				     "staff reply not relayed", why, err);
		if (st == ST_OK)
			st = staffnote_alert(cm, case_id, cr->number, NULL,
					 "同仁回覆含有內部資料，沒有轉寄",
					 "這封同仁回覆中有中心內部的資料（同仁或"
					 "紀錄信箱、回覆代碼、規則名稱或通知的"
					 "內容），因此沒有轉寄給來信者。",
					 "回覆內容含有內部資料", now, err);
		return st;
	}
	token = token_make(cm->tokens, cr->number, cr->reply);
	if (notify_build_relay(cm->notify, cm->centre, cr->number, token,
			       cr->reply, text, now, &o, &e2) != ST_OK) {
		*said = "staff reply not relayed: address not usable";
		return cases_event_add(cm->store, case_id, NULL, who,
				       "staff reply not relayed",
				       "the writer's address is not usable",
				       err);
	}
	st = outbox_queue(cm->store, case_id, "relay", OUTBOX_PRIORITY_NORMAL,
			  o, err);
	outgoing_free(o);
	if (st == ST_OK)
		st = cases_event_add(cm->store, case_id, NULL, who,
				     "staff reply relayed to the writer", NULL,
				     err);
	*said = "staff reply relayed to the writer";
	return st;
}
