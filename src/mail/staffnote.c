/*
 * Mail to a centre's own people (staffnote.h): notices of letters, the
 * duty alert, the flood notice, alerts of refused mail and transcripts.
 */
#include <string.h>

#include "cases.h"
#include "log.h"
#include "outbox.h"
#include "staffnote.h"
#include "twtime.h"

/* The note address of a case mail: "tnn+note.TOKEN@domain" (new). */
static char *
note_address(const char *token, const char *centre_address)
{
	g_autofree char *tagged = g_strconcat("note.", token, NULL);

	return token_reply_to(tagged, centre_address);
}

enum status
staffnote_letter(const struct casemail *cm, gint64 case_id, gboolean first,
		 const struct triage *t, const char *letter,
		 const char *in_reply_to, GDateTime *now, struct err *err)
{
	const struct centre *c = cm->centre;
	g_autoptr(GHashTable) vars = g_hash_table_new(g_str_hash,
						      g_str_equal);
	g_autofree char *reasons = notify_reasons(t);
	struct case_view cr;
	char *one[2] = { NULL, NULL };
	char **to = c->staff;
	enum status st;

	if (!c->staff_notices || c->staff == NULL || c->staff[0] == NULL)
		return ST_OK;
	st = cases_view(cm->store, case_id, &cr, err);
	if (st != ST_OK || cr.number == NULL) {
		case_view_clear(&cr);
		return st;
	}
	/* The assignee alone, once there is one. */
	if (cr.assignee != NULL) {
		one[0] = cr.assignee;
		to = one;
	}
	g_hash_table_insert(vars, "event", first ? "新案件" : "當事人再次來信");
	g_hash_table_insert(vars, "event_detail",
			    first ? "收到一封新的來信，已登錄為新案件。"
				  : "收到當事人再次來信，已歸入原案件。");
	g_hash_table_insert(vars, "urgency_label",
			    (gpointer)urgency_label(
				    t != NULL && t->urgency != URGENCY_NONE
					    ? t->urgency
					    : URGENCY_CONSULTATION));
	/* A weak sign, or one a guard cleared: a person reads it today. */
	g_hash_table_insert(vars, "risk_flag",
			    t != NULL && t->possible_risk ? "可能風險・" : "");
	g_hash_table_insert(vars, "state_label",
			    (gpointer)case_state_label(cr.state));
	g_hash_table_insert(vars, "reasons", reasons);
	g_hash_table_insert(vars, "letter",
			    (gpointer)(letter != NULL && *letter != '\0'
					       ? letter
					       : "（來信沒有內文）"));
	for (int i = 0; st == ST_OK && to[i] != NULL; i++) {
		g_autofree char *token = token_make(cm->tokens, cr.number,
						    to[i]);
		g_autofree char *note = note_address(token, c->address);
		struct outgoing *o = NULL;

		g_hash_table_insert(vars, "note_address", note);
		st = notify_build_staff(cm->notify, c, "case-staff", cr.number,
					token, to[i], in_reply_to, vars, now,
					&o, err);
		if (st == ST_OK)
			st = outbox_queue(
				cm->store, case_id, "staff",
				t != NULL && t->urgency == URGENCY_EMERGENCY
					? OUTBOX_PRIORITY_EMERGENCY
					: OUTBOX_PRIORITY_NORMAL,
				o, err);
		outgoing_free(o);
	}
	case_view_clear(&cr);
	return st;
}

enum status
staffnote_duty(const struct casemail *cm, gint64 case_id, const char *number,
	       const struct classification *c, GDateTime *now,
	       struct err *err)
{
	const struct centre *centre = cm->centre;
	struct outgoing *o = NULL;
	struct err e2 = { 0 };
	enum status st;

	if (centre->duty == NULL) {
		log_warn("centre %s has no duty address: emergency %s "
			 "alerted to nobody", centre->code, number);
		return cases_event_add(cm->store, case_id, NULL, "lamplight",
				       "no duty alert",
				       "the centre has no duty address", err);
	}
	g_autofree char *token = token_make(cm->tokens, number, centre->duty);

	if (notify_build_duty(cm->notify, centre, number, token, c->triage,
			      &c->identity, c->reply_addr, now, &o,
			      &e2) != ST_OK) {
		log_warn("duty alert for %s: %s", number, e2.msg);
		return ST_OK;
	}
	st = outbox_queue(cm->store, case_id, "duty", OUTBOX_PRIORITY_EMERGENCY,
			  o, err);
	outgoing_free(o);
	return st;
}

enum status
staffnote_flood(const struct casemail *cm, gint64 case_id, const char *items,
		GDateTime *now, struct err *err)
{
	const struct centre *centre = cm->centre;
	enum status st = ST_OK;

	for (int i = 0; st == ST_OK && centre->staff[i] != NULL; i++) {
		struct outgoing *o = NULL;
		struct err e2 = { 0 };

		if (notify_build_reminder(cm->notify, centre, "flood-staff",
					  centre->staff[i], items, now, &o,
					  &e2) != ST_OK)
			continue;	/* an unusable address */
		st = outbox_queue(cm->store, case_id, "flood-staff",
				  OUTBOX_PRIORITY_NORMAL, o, err);
		outgoing_free(o);
	}
	return st;
}

/* Why a reply was refused, for the centre's people. */
static const char *
verdict_label(enum verdict v)
{
	switch (v) {
	case VERIFY_NOT_STAFF: return "寄件人不是本中心的同仁";
	case VERIFY_MANY_FROM: return "寄件人欄有不只一個地址";
	case VERIFY_NO_TOKEN:
		return "信中沒有系統寄給這位同仁、屬於本案的回覆代碼";
	case VERIFY_OTHER_CASE:
		return "信中夾帶這位同仁另一個案件的回覆代碼";
	case VERIFY_UNAUTHENTICATED:
		return "收信的郵件伺服器沒有確認寄件人的身分（未登入或簽章不符）";
	case VERIFY_CLOSED: return "本案已結案";
	case VERIFY_BAD_SECRET: return "信中的密語不正確";
	case VERIFY_NO_SECRET:
		return "這位同仁的回覆須附上密語（#secret），這封信沒有";
	default: return "未通過驗證";
	}
}

/*
 * Queues to one of the centre's people the staff mail of template, of
 * outbox kind kind, unless STAFFNOTE_ALERTS_PER_DAY of that kind went to
 * them in the last day: a flood of forgeries must not become a flood of
 * alerts.
 */
static enum status
queue_capped(const struct casemail *cm, gint64 case_id, const char *number,
	     const char *to, const char *kind, const char *template,
	     int priority, GHashTable *vars, GDateTime *now, struct err *err)
{
	g_autoptr(GDateTime) since = g_date_time_add_days(now, -1);
	g_autofree char *from = twtime_iso(since);
	struct outgoing *o = NULL;
	gint64 today = 0;
	enum status st;

	st = outbox_count_for(cm->store, to, kind, NULL, from, FALSE, &today,
			      err);
	if (st != ST_OK || today >= STAFFNOTE_ALERTS_PER_DAY)
		return st;
	st = notify_build_staff(cm->notify, cm->centre, template, number, NULL,
				to, NULL, vars, now, &o, err);
	if (st == ST_OK)
		st = outbox_queue(cm->store, case_id, kind, priority, o, err);
	outgoing_free(o);
	return st;
}

enum status
staffnote_alert(const struct casemail *cm, gint64 case_id, const char *number,
	       const struct mail_msg *m, const char *event,
	       const char *detail, const char *reason, GDateTime *now,
	       struct err *err)
{
	const struct centre *c = cm->centre;
	g_autoptr(GHashTable) vars = g_hash_table_new(g_str_hash,
						      g_str_equal);
	char *duty[2] = { c->duty, NULL };
	char **to = c->duty != NULL ? duty : c->staff;
	enum status st = ST_OK;

	g_hash_table_insert(vars, "reason", (gpointer)reason);
	g_hash_table_insert(vars, "event", (gpointer)event);
	g_hash_table_insert(vars, "event_detail", (gpointer)detail);
	/* A sender's address, claimed: the centre needs it to ask them. */
	g_hash_table_insert(vars, "claimed_from",
			    (gpointer)(m == NULL ? "（同仁）"
				       : m->from_addr != NULL ? m->from_addr
							      : "（沒有寄件人）"));
	for (int i = 0; st == ST_OK && to != NULL && to[i] != NULL; i++)
		st = queue_capped(cm, case_id, number, to[i], "alert",
				  "command-refused", OUTBOX_PRIORITY_EMERGENCY,
				  vars, now, err);
	return st;
}

static enum status
alert_refused(const struct casemail *cm, gint64 case_id, const char *number,
	      const struct mail_msg *m, gboolean refused, const char *reason,
	      GDateTime *now, struct err *err)
{
	return staffnote_alert(cm, case_id, number, m,
			   refused ? "一封同仁回覆未通過驗證"
				   : "同仁回覆的引用內容夾帶指令",
			   refused ? "這封信沒有通過驗證，因此其中的指令都沒有"
				     "執行，內容也沒有轉寄給來信者。"
				   : "這封信通過了驗證，但引用的舊信中夾帶指令；"
				     "引用中的指令一律不執行。",
			   reason, now, err);
}

/*
 * A refused reply whose From is a staff address of the centre: that
 * address, as configured (never the reply's Reply-To), is told that
 * nothing was done and why, at most STAFFNOTE_ALERTS_PER_DAY a day.  A
 * forger learns nothing; the staff member learns of the forgery.
 */
static enum status
tell_refused(const struct casemail *cm, gint64 case_id, const char *number,
	     const struct mail_msg *m, enum verdict v, GDateTime *now,
	     struct err *err)
{
	const struct centre *c = cm->centre;
	g_autoptr(GHashTable) vars = g_hash_table_new(g_str_hash,
						      g_str_equal);
	const char *to = NULL;

	if (v == VERIFY_NOT_STAFF || v == VERIFY_MANY_FROM ||
	    m->from_addr == NULL)
		return ST_OK;
	for (int i = 0; c->staff != NULL && c->staff[i] != NULL; i++)
		if (g_ascii_strcasecmp(c->staff[i], m->from_addr) == 0)
			to = c->staff[i];
	if (to == NULL && c->duty != NULL &&
	    g_ascii_strcasecmp(c->duty, m->from_addr) == 0)
		to = c->duty;
	if (to == NULL)
		return ST_OK;
	g_hash_table_insert(vars, "reason", (gpointer)verdict_label(v));
	g_hash_table_insert(vars, "staff_name", "");
	return queue_capped(cm, case_id, number, to, "refused",
			    "reply-refused", OUTBOX_PRIORITY_NORMAL, vars, now,
			    err);
}

enum status
staffnote_refused(const struct casemail *cm, gint64 case_id,
		  const char *number, const struct mail_msg *m, enum verdict v,
		  GDateTime *now, struct err *err)
{
	enum status st = alert_refused(cm, case_id, number, m, TRUE,
				       verdict_label(v), now, err);

	if (st == ST_OK)
		st = tell_refused(cm, case_id, number, m, v, now, err);
	return st;
}

enum status
staffnote_quoted(const struct casemail *cm, gint64 case_id,
		 const char *number, const struct mail_msg *m, GDateTime *now,
		 struct err *err)
{
	return alert_refused(cm, case_id, number, m, FALSE,
			     "引用的舊信中有指令", now, err);
}

enum status
staffnote_transcript(const struct casemail *cm, gint64 case_id,
		     const char *number, const struct mail_msg *m,
		     GPtrArray *lines, const char *relayed, GDateTime *now,
		     struct err *err)
{
	g_autoptr(GHashTable) vars = g_hash_table_new(g_str_hash,
						      g_str_equal);
	g_autofree char *token = token_make(cm->tokens, number, m->from_addr);
	g_autofree char *count = g_strdup_printf("%u", lines->len);
	g_autoptr(GString) results = g_string_new(NULL);
	struct case_view cr;
	struct outgoing *o = NULL;
	enum status st;

	if (lines->len > 0)
		g_string_append_printf(results, "指令 %u 個：\n", lines->len);
	else
		g_string_append(results, "沒有指令。\n");
	for (guint i = 0; i < lines->len; i++)
		g_string_append_printf(results, "%s\n", (char *)lines->pdata[i]);
	st = cases_view(cm->store, case_id, &cr, err);
	if (st != ST_OK) {
		case_view_clear(&cr);
		return st;
	}
	g_hash_table_insert(vars, "staff_name",
			    (gpointer)(m->from_name != NULL &&
						       *m->from_name != '\0'
					       ? m->from_name
					       : ""));
	g_hash_table_insert(vars, "count", count);
	g_hash_table_insert(vars, "results", results->str);
	g_hash_table_insert(vars, "relayed", (gpointer)relayed);
	g_hash_table_insert(vars, "state_label",
			    (gpointer)case_state_label(cr.state));
	st = notify_build_staff(cm->notify, cm->centre, "command-transcript",
				number, token, m->from_addr, m->message_id,
				vars, now, &o, err);
	if (st == ST_OK)
		st = outbox_queue(cm->store, case_id, "transcript",
				  OUTBOX_PRIORITY_NORMAL, o, err);
	outgoing_free(o);
	case_view_clear(&cr);
	return st;
}
