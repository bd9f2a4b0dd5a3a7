/* Staff working by mail (staffmail.h). */
#include <string.h>

#include "cases.h"
#include "command.h"
#include "log.h"
#include "outbox.h"
#include "quote.h"
#include "refusal.h"
#include "staffmail.h"
#include "thread.h"
#include "twtime.h"
#include "verify.h"

enum status
staffmail_referral_notice(struct store *s, const struct case_ref *c,
			  enum group g, const char *agency,
			  const char *referral_number, const char *due_day,
			  gpointer data, struct err *err)
{
	struct staffmail *sm = data;
	char **to = sm->centre->partners[g];
	g_autoptr(GDateTime) now = twtime_now();
	g_autofree char *needs = NULL;
	struct identity id = { 0 };
	enum status st;

	if (to == NULL || to[0] == NULL)
		return cases_note_event(s, c, "lamplight",
					"no referral notice: no partner "
					"address", now, err);
	st = cases_needs_text(s, c, g, &needs, err);
	if (st == ST_OK && sm->vault != NULL)
		st = people_load(s, sm->vault, c->id, &id, err);
	for (int i = 0; st == ST_OK && to[i] != NULL; i++) {
		g_autofree char *token = token_make(sm->tokens, c->number,
						    to[i]);
		struct outgoing *o = NULL;

		st = notify_build_referral(sm->notify, sm->centre,
					   referral_number, token, g, agency,
					   to[i], &id, needs, due_day, now, &o,
					   err);
		if (st == ST_OK)
			st = outbox_queue(sm->store, c->id, "referral",
					  OUTBOX_PRIORITY_NORMAL, o, err);
		if (st == ST_OK)
			st = thread_add_party(s, sm->tokens, c->id, to[i],
					      "partner", err);
		outgoing_free(o);
	}
	identity_clear(&id);
	return st;
}

/* The note address of a case mail: "tnn+note.TOKEN@domain" (new). */
static char *
note_address(const char *token, const char *centre_address)
{
	g_autofree char *tagged = g_strconcat("note.", token, NULL);

	return token_reply_to(tagged, centre_address);
}

enum status
staffmail_notify(struct staffmail *sm, gint64 case_id, gboolean first,
		 const struct triage *t, const char *letter,
		 const char *in_reply_to, GDateTime *now, struct err *err)
{
	const struct centre *c = sm->centre;
	g_autoptr(GHashTable) vars = g_hash_table_new(g_str_hash,
						      g_str_equal);
	g_autofree char *reasons = notify_reasons(t);
	struct case_view cr;
	char *one[2] = { NULL, NULL };
	char **to = c->staff;
	enum status st;

	if (!c->staff_notices || c->staff == NULL || c->staff[0] == NULL)
		return ST_OK;
	st = cases_view(sm->store, case_id, &cr, err);
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
		g_autofree char *token = token_make(sm->tokens, cr.number,
						    to[i]);
		g_autofree char *note = note_address(token, c->address);
		struct outgoing *o = NULL;

		g_hash_table_insert(vars, "note_address", note);
		st = notify_build_staff(sm->notify, c, "case-staff", cr.number,
					token, to[i], in_reply_to, vars, now,
					&o, err);
		if (st == ST_OK)
			st = outbox_queue(
				sm->store, case_id, "staff",
				t != NULL && t->urgency == URGENCY_EMERGENCY
					? OUTBOX_PRIORITY_EMERGENCY
					: OUTBOX_PRIORITY_NORMAL,
				o, err);
		outgoing_free(o);
	}
	case_view_clear(&cr);
	return st;
}

/* Whether m was written to a note address ("tnn+note.TOKEN@..."). */
static gboolean
to_note_address(const struct mail_msg *m)
{
	for (guint i = 0; m->to != NULL && i < m->to->len; i++)
		if (strstr(m->to->pdata[i], "+note.") != NULL)
			return TRUE;
	return FALSE;
}

/* Where refusals are told: the duty officer, else every staff address. */
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

/* Tells the duty officer (else every staff member) of event on a
 * case, at most STAFFMAIL_ALERTS_PER_DAY a day each. */
static enum status
alert_event(struct staffmail *sm, gint64 case_id, const char *number,
	    const struct mail_msg *m, const char *event, const char *detail,
	    const char *reason, GDateTime *now, struct err *err)
{
	const struct centre *c = sm->centre;
	g_autoptr(GHashTable) vars = g_hash_table_new(g_str_hash,
						      g_str_equal);
	g_autoptr(GDateTime) since = g_date_time_add_days(now, -1);
	g_autofree char *from = twtime_iso(since);
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
	for (int i = 0; st == ST_OK && to != NULL && to[i] != NULL; i++) {
		struct outgoing *o = NULL;
		gint64 today = 0;

		st = outbox_count_for(sm->store, to[i], "alert", NULL, from,
				      FALSE, &today, err);
		if (st != ST_OK || today >= STAFFMAIL_ALERTS_PER_DAY)
			continue;
		st = notify_build_staff(sm->notify, c, "command-refused",
					number, NULL, to[i], NULL, vars, now,
					&o, err);
		if (st == ST_OK)
			st = outbox_queue(sm->store, case_id, "alert",
					  OUTBOX_PRIORITY_EMERGENCY, o, err);
		outgoing_free(o);
	}
	return st;
}

static enum status
alert_refused(struct staffmail *sm, gint64 case_id, const char *number,
	      const struct mail_msg *m, gboolean refused, const char *reason,
	      GDateTime *now, struct err *err)
{
	return alert_event(sm, case_id, number, m,
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
 * nothing was done and why, at most STAFFMAIL_ALERTS_PER_DAY a day.  A
 * forger learns nothing; the staff member learns of the forgery.
 */
static enum status
tell_refused(struct staffmail *sm, gint64 case_id, const char *number,
	     const struct mail_msg *m, enum verdict v, GDateTime *now,
	     struct err *err)
{
	const struct centre *c = sm->centre;
	g_autoptr(GHashTable) vars = g_hash_table_new(g_str_hash,
						      g_str_equal);
	g_autoptr(GDateTime) since = g_date_time_add_days(now, -1);
	g_autofree char *from = twtime_iso(since);
	const char *to = NULL;
	struct outgoing *o = NULL;
	gint64 today = 0;
	enum status st;

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
	st = outbox_count_for(sm->store, to, "refused", NULL, from, FALSE,
			      &today, err);
	if (st != ST_OK || today >= STAFFMAIL_ALERTS_PER_DAY)
		return st;
	g_hash_table_insert(vars, "reason", (gpointer)verdict_label(v));
	g_hash_table_insert(vars, "staff_name", "");
	st = notify_build_staff(sm->notify, c, "reply-refused", number, NULL,
				to, NULL, vars, now, &o, err);
	if (st == ST_OK)
		st = outbox_queue(sm->store, case_id, "refused",
				  OUTBOX_PRIORITY_NORMAL, o, err);
	outgoing_free(o);
	return st;
}

/* The staff address of the centre that s names (an address, or the
 * part before @ of exactly one), or NULL. */
static const char *
staff_named(const struct centre *c, const char *s)
{
	const char *found = NULL;
	size_t n = strlen(s);

	for (int i = 0; c->staff != NULL && c->staff[i] != NULL; i++) {
		const char *a = c->staff[i];

		if (g_ascii_strcasecmp(a, s) == 0)
			return a;
		if (strchr(s, '@') == NULL && g_ascii_strncasecmp(a, s, n) == 0 &&
		    a[n] == '@') {
			if (found != NULL)
				return NULL;
			found = a;
		}
	}
	return found;
}

/* A group named as staff write it: key, Chinese name, or a partner's
 * address. */
static gboolean
group_named(const struct centre *c, const char *s, enum group *out)
{
	static const struct {
		const char *word;
		enum group g;
	} words[] = {
		{ "衛生", GROUP_HEALTH },     { "醫療", GROUP_HEALTH },
		{ "社會", GROUP_SOCIAL },     { "社福", GROUP_SOCIAL },
		{ "就業", GROUP_EMPLOYMENT }, { "教育", GROUP_EDUCATION },
		{ "警察", GROUP_POLICE },     { "警局", GROUP_POLICE },
	};

	for (int g = 0; g < GROUP_COUNT; g++)
		if (g_ascii_strcasecmp(s, group_key((enum group)g)) == 0 ||
		    address_in(c->partners[g], s)) {
			*out = (enum group)g;
			return TRUE;
		}
	for (size_t i = 0; i < G_N_ELEMENTS(words); i++)
		if (g_str_has_prefix(s, words[i].word)) {
			*out = words[i].g;
			return TRUE;
		}
	return FALSE;
}

/* The first word of s (new) and, in *rest, what follows it trimmed. */
static char *
first_word(const char *s, const char **rest)
{
	size_t n = strcspn(s, " \t");
	const char *r = s + n;

	while (*r == ' ' || *r == '\t')
		r++;
	*rest = r;
	return g_strndup(s, n);
}

/*
 * #confirm: the newest partner reply filed without its token (run.c,
 * event "partner reply unconfirmed": "GROUP SEQ ADDRESS") is taken as
 * that partner's, and its referral's clock stops.  *text (new) says
 * what happened; refused if no such reply waits.
 */
static enum status
confirm_partner(struct staffmail *sm, const struct case_ref *c,
		const char *who, GDateTime *now, char **text, struct err *err)
{
	g_autofree char *detail = NULL;
	g_auto(GStrv) w = NULL;
	gboolean found = FALSE;
	enum status st;

	st = cases_partner_unconfirmed(sm->store, c->id, &detail, err);
	if (st != ST_OK)
		return st;
	w = g_strsplit(detail != NULL ? detail : "", " ", 3);
	if (w[0] == NULL || w[1] == NULL || w[2] == NULL)
		return refuse(err, REFUSED_NO_PARTNER_REPLY, c->number,
			      c->state, NULL);
	for (int g = 0; g < GROUP_COUNT; g++) {
		if (strcmp(w[0], group_key((enum group)g)) != 0)
			continue;
		st = cases_partner_replied_in(sm->store, c->id, (enum group)g,
					      (guint)g_ascii_strtoull(w[1],
								      NULL, 10),
					      w[2], now, &found, err);
		if (st == ST_OK)
			st = cases_event_add(sm->store, c->id, NULL, who,
					     "partner reply confirmed", w[0],
					     err);
		if (st == ST_OK)
			*text = g_strdup(found ? "已確認合作單位的回覆，"
						 "轉介的回覆期限停止計算"
					       : "已確認；沒有待回覆的轉介");
		return st;
	}
	return refuse(err, REFUSED_NO_PARTNER_REPLY, c->number, c->state,
		      NULL);
}

/* What one command did, for the transcript. */
struct outcome {
	gboolean done;	/* its status was ST_OK */
	char *text;	/* Chinese; new */
};

/*
 * A command's outcome from its status st (e says why): done, refused
 * (said to staff in Chinese), or an error passed up in err: a database
 * or internal error is the run's to log and alert, never a refusal.
 */
static enum status
outcome_of(struct outcome *out, enum status st, const struct err *e,
	   struct err *err)
{
	g_autofree char *why = NULL;

	switch (st) {
	case ST_OK:
		out->done = TRUE;
		return ST_OK;
	case ST_REFUSED:
		why = refusal_text(e, REFUSAL_ZH);
		g_free(out->text);
		out->text = g_strdup_printf("未執行：%s", why);
		out->done = FALSE;
		return ST_OK;
	default:
		g_clear_pointer(&out->text, g_free);
		if (err != NULL)
			*err = *e;
		return st;
	}
}

static enum status
run_command(struct staffmail *sm, const struct command *cmd,
	    const char *number, const char *who, GDateTime *now,
	    struct outcome *out, struct err *err)
{
	const struct centre *cen = sm->centre;
	const char *rest = NULL;
	g_autofree char *word = first_word(cmd->arg, &rest);
	g_autofree char *handed = NULL;
	struct case_ref c = { 0 };
	struct err e = { 0 };
	enum case_state state;
	enum close_reason reason;
	enum group g;
	GDate today, day;
	enum status st;

	memset(out, 0, sizeof *out);
	st = cases_find(sm->store, number, &c, &e);
	if (st != ST_OK)
		return outcome_of(out, st, &e, err);
	calendar_day_of(now, &today);
	switch (cmd->verb) {
	case CMD_STATE:
		if (!case_state_parse(word, &state)) {
			st = refuse(&e, REFUSED_UNKNOWN_STATE, number,
				    c.state, word);
			break;
		}
		st = cases_set_state(sm->store, sm->calendar, &c, state, who,
				     "by mail", now, &e);
		if (st == ST_OK)
			out->text = g_strdup_printf("已改為「%s」",
						    case_state_label(state));
		break;
	case CMD_REFER:
		if (!group_named(cen, word, &g)) {
			st = refuse(&e, REFUSED_UNKNOWN_GROUP, number, c.state,
				    word);
			break;
		}
		st = cases_refer(sm->store, sm->calendar, &c, g,
				 strchr(word, '@') != NULL ? word
							   : group_label(g),
				 who, now, staffmail_referral_notice, sm, &e);
		if (st == ST_OK && *rest != '\0') {
			case_ref_clear(&c);
			st = cases_find(sm->store, number, &c, &e);
			if (st == ST_OK)
				st = cases_note(sm->store, &c, who, rest, now,
						&e);
		}
		if (st == ST_OK)
			out->text = g_strdup_printf(
				"已轉介%s，並寄出轉介通知；合作單位須於 5 個"
				"工作天內回覆", group_label(g));
		break;
	case CMD_CLOSE: {
		const char *more = NULL;
		g_autofree char *county = NULL;
		long n = strtol(word, NULL, 10);

		if (n >= 1 && n <= CLOSE_REASON_COUNT &&
		    strlen(word) == 1)
			reason = (enum close_reason)(n - 1);
		else if (!close_reason_parse(word, &reason)) {
			st = refuse(&e, REFUSED_BAD_REASON, number, c.state,
				    word);
			break;
		}
		county = first_word(rest, &more);
		if (reason == CLOSE_MOVED && *county != '\0' &&
		    !county_code_valid(county)) {
			const char *code = county_code_for_name(county);
			char *up = g_ascii_strup(county, -1);

			g_free(county);
			county = code != NULL ? g_strdup(code) : up;
			if (code != NULL)
				g_free(up);
		}
		st = cases_close(sm->store, sm->calendar, &c, reason,
				 reason == CLOSE_MOVED ? county : NULL, who,
				 reason == CLOSE_MOVED ? more : rest, now,
				 &handed, &e);
		if (st == ST_OK && handed != NULL)
			out->text = g_strdup_printf("已結案（%s），移交 %s，"
						    "新案號 %s",
						    close_reason_label(reason),
						    county_name(county), handed);
		else if (st == ST_OK)
			out->text = g_strdup_printf("已結案（%s）",
						    close_reason_label(reason));
		break;
	}
	case CMD_ASSIGN: {
		const char *staff = staff_named(cen, word);

		if (staff == NULL) {
			st = refuse(&e, REFUSED_NOT_STAFF, number, c.state,
				    word);
			break;
		}
		st = cases_assign(sm->store, &c, staff, who, now, &e);
		if (st == ST_OK)
			out->text = g_strdup_printf("已指派給 %s", staff);
		break;
	}
	case CMD_VISIT:
	case CMD_FOLLOWUP: {
		gboolean visit = cmd->verb == CMD_VISIT;
		g_autofree char *ds = NULL, *why = NULL;

		if (!command_date(word, &today, &day)) {
			st = refuse(&e, REFUSED_BAD_DATE, number, c.state,
				    word);
			break;
		}
		ds = calendar_date_string(&day);
		why = g_strdup_printf("%s on %s", visit ? "visit" : "contact",
				      ds);
		if (g_date_compare(&day, &today) > 0) {
			st = cases_schedule(sm->store, &c,
					    visit ? "visit" : "follow_up", &day,
					    who, now, &e);
			if (st == ST_OK)
				out->text = g_strdup_printf(
					"已排定 %s %s", ds,
					visit ? "訪視" : "追蹤聯繫");
		} else if (visit && c.state == CASE_REGISTERED) {
			st = cases_set_state(sm->store, sm->calendar, &c,
					     CASE_CONTACTED, who, why, now, &e);
			if (st == ST_OK)
				out->text = g_strdup_printf(
					"已記錄 %s 訪視，狀態改為「訪視」", ds);
		} else if (visit) {
			st = cases_note_event(sm->store, &c, who, why, now,
					      &e);
			if (st == ST_OK)
				out->text = g_strdup_printf("已記錄 %s 訪視",
							    ds);
		} else {
			st = cases_follow_up_contact(sm->store, &c, who, why,
						     now, &e);
			if (st == ST_OK)
				out->text = g_strdup_printf(
					"已記錄 %s 追蹤聯繫", ds);
		}
		break;
	}
	case CMD_NOTE:
		st = cases_note(sm->store, &c, who, cmd->arg, now, &e);
		if (st == ST_OK)
			out->text = g_strdup("已記下內部紀錄");
		break;
	case CMD_MERGE:
		st = cases_merge(sm->store, &c, word, who, now, &e);
		if (st == ST_OK)
			out->text = g_strdup_printf("本案已併入 %s", word);
		break;
	case CMD_CONFIRM:
		st = confirm_partner(sm, &c, who, now, &out->text, &e);
		break;
	case CMD_SECRET:
		/* Checked before anything ran (verify.h). */
		out->text = g_strdup("已確認密語");
		break;
	case CMD_UNKNOWN:
		st = refuse(&e, REFUSED_UNKNOWN_COMMAND, number, c.state,
			    NULL);
		break;
	}
	case_ref_clear(&c);
	return outcome_of(out, st, &e, err);
}

/* Templates whose lines are the centre's own, never the writer's. */
static const char *const inward_templates[] = {
	"case-staff", "command-transcript", "command-refused", "duty-alert",
	"referral", "reminder-staff", "flood-staff", NULL,
};

/*
 * The last check before anything goes to a writer: text holds nothing
 * from inside the centre.  NULL when it may go, else why not (static,
 * for logs: no address, no text).
 */
static const char *
inward_in(const struct staffmail *sm, const char *text)
{
	const struct centre *c = sm->centre;
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
	for (guint i = 0; sm->rules != NULL &&
			  i < ruleset_size(sm->rules); i++) {
		const char *id = ruleset_rule_id(sm->rules, i);

		/* Only dotted ids ("suicide.intent"): a bare word may be
		 * any word. */
		if (id != NULL && strchr(id, '.') != NULL &&
		    strstr(low, id) != NULL)
			return "a rule name";
	}
	for (int t = 0; inward_templates[t] != NULL; t++) {
		const char *body = notify_template_body(sm->notify,
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
	if (strstr(text, "【已排除】") != NULL || strstr(text, "判斷的理由") != NULL)
		return "the triage reasons";
	return NULL;
}

/* The writer gets the reply's new text, from the centre. */
static enum status
relay(struct staffmail *sm, gint64 case_id, const struct case_view *cr,
      const char *who, const char *text, GDateTime *now, const char **said,
      struct err *err)
{
	g_autofree char *token = NULL;
	struct outgoing *o = NULL;
	struct err e2 = { 0 };
	const char *inward;
	enum status st;

	if (cr->reply == NULL) {
		*said = "staff reply not relayed: the writer left no address";
		return cases_event_add(sm->store, case_id, NULL, who,
				       "staff reply not relayed",
				       "the writer left no address", err);
	}
	/* Nothing inward goes outward: refused, logged, alerted. */
	inward = inward_in(sm, text);
	if (inward != NULL) {
		g_autofree char *why = g_strdup_printf(
			"refused by the last check: %s", inward);

		log_warn("case %s: a staff reply was not relayed: it holds %s",
			 cr->number, inward);
		*said = "staff reply not relayed: refused by the last check";
		st = cases_event_add(sm->store, case_id, NULL, "lamplight",
				     "staff reply not relayed", why, err);
		if (st == ST_OK)
			st = alert_event(sm, case_id, cr->number, NULL,
					 "同仁回覆含有內部資料，沒有轉寄",
					 "這封同仁回覆中有中心內部的資料（同仁或"
					 "紀錄信箱、回覆代碼、規則名稱或通知的"
					 "內容），因此沒有轉寄給來信者。",
					 "回覆內容含有內部資料", now, err);
		return st;
	}
	token = token_make(sm->tokens, cr->number, cr->reply);
	if (notify_build_relay(sm->notify, sm->centre, cr->number, token,
			       cr->reply, text, now, &o, &e2) != ST_OK) {
		*said = "staff reply not relayed: address not usable";
		return cases_event_add(sm->store, case_id, NULL, who,
				       "staff reply not relayed",
				       "the writer's address is not usable",
				       err);
	}
	st = outbox_queue(sm->store, case_id, "relay", OUTBOX_PRIORITY_NORMAL,
			  o, err);
	outgoing_free(o);
	if (st == ST_OK)
		st = cases_event_add(sm->store, case_id, NULL, who,
				     "staff reply relayed to the writer", NULL,
				     err);
	*said = "staff reply relayed to the writer";
	return st;
}

static enum status
transcript(struct staffmail *sm, gint64 case_id, const char *number,
	   const struct mail_msg *m, GPtrArray *lines, const char *relayed,
	   GDateTime *now, struct err *err)
{
	g_autoptr(GHashTable) vars = g_hash_table_new(g_str_hash,
						      g_str_equal);
	g_autofree char *token = token_make(sm->tokens, number, m->from_addr);
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
	st = cases_view(sm->store, case_id, &cr, err);
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
	st = notify_build_staff(sm->notify, sm->centre, "command-transcript",
				number, token, m->from_addr, m->message_id,
				vars, now, &o, err);
	if (st == ST_OK)
		st = outbox_queue(sm->store, case_id, "transcript",
				  OUTBOX_PRIORITY_NORMAL, o, err);
	outgoing_free(o);
	case_view_clear(&cr);
	return st;
}

enum status
staffmail_reply(struct staffmail *sm, const struct mail_msg *m,
		gint64 case_id, GDateTime *now, const char **said,
		struct err *err)
{
	g_autoptr(GPtrArray) numbers = NULL, lines = NULL;
	g_autofree char *text = NULL, *typed = NULL, *unsigned_rest = NULL;
	struct command_block *b = NULL;
	struct case_view cr;
	GString *told = NULL;
	gboolean tell = FALSE;
	const char *secret = NULL;
	size_t head = 0;
	const char *who = m->from_addr;
	guint quoted;
	enum verdict v;
	enum status st;

	numbers = g_ptr_array_new_with_free_func(g_free);
	st = cases_view(sm->store, case_id, &cr, err);
	if (st == ST_OK)
		st = cases_numbers(sm->store, case_id, numbers, err);
	if (st != ST_OK || cr.number == NULL) {
		case_view_clear(&cr);
		return st;
	}
	g_ptr_array_add(numbers, NULL);
	/* Commands and what is relayed come only from what the staff
	 * member typed: the first text of their own message, never an
	 * attached message, another part or the quoted history. */
	typed = quote_typed(m->own_text, &head);
	text = g_strndup(typed, head);
	b = command_parse(text);
	if (typed[head] != '\0') {
		char *all = g_strconcat(b->rest, "\n", typed + head, NULL);

		g_free(b->rest);
		b->rest = all;
	}
	/* A staff secret, in the command block like the commands. */
	for (guint i = 0; i < b->commands->len; i++) {
		const struct command *cmd = b->commands->pdata[i];

		if (cmd->verb == CMD_SECRET && secret == NULL)
			secret = cmd->arg;
	}
	v = verify_staff(sm->centre, sm->cfg->trusted_authserv, sm->tokens,
			 m, (char **)numbers->pdata, cr.state == CASE_CLOSED,
			 secret);
	if (v != VERIFY_OK) {
		/* Kept on the case for a person to see; nothing acts. */
		log_warn("refused a reply as staff on case %s: %s", cr.number,
			 verify_reason(v));
		st = cases_event_add(sm->store, case_id, NULL, "lamplight",
				     "staff mail refused", verify_reason(v),
				     err);
		if (st == ST_OK)
			st = alert_refused(sm, case_id, cr.number, m, TRUE,
					   verdict_label(v), now, err);
		if (st == ST_OK)
			st = tell_refused(sm, case_id, cr.number, m, v, now,
					  err);
		*said = "staff mail refused; the centre is alerted";
		command_block_free(b);
		case_view_clear(&cr);
		return st;
	}

	/* Commands in the quoted history never run; someone may have
	 * hoped they would. */
	quoted = command_quoted(m->text);
	if (quoted > 0) {
		g_autofree char *why = g_strdup_printf("%u line(s)", quoted);

		log_warn("case %s: commands in the quoted text of a staff "
			 "reply were not run", cr.number);
		st = cases_event_add(sm->store, case_id, NULL, "lamplight",
				     "commands in quoted text not run", why,
				     err);
		if (st == ST_OK)
			st = alert_refused(sm, case_id, cr.number, m, FALSE,
					   "引用的舊信中有指令", now, err);
		if (st != ST_OK) {
			command_block_free(b);
			case_view_clear(&cr);
			return st;
		}
	}
	lines = g_ptr_array_new_with_free_func(g_free);
	for (guint i = 0; st == ST_OK && i < b->commands->len; i++) {
		const struct command *cmd = b->commands->pdata[i];
		struct outcome oc;

		st = run_command(sm, cmd, cr.number, who, now, &oc, err);
		/* The secret itself is never written back. */
		if (st == ST_OK)
			g_ptr_array_add(lines,
					g_strdup_printf("%s %s\n  → %s",
							oc.done ? "✔" : "✘",
							cmd->verb == CMD_SECRET
								? "#secret ******"
								: cmd->line,
							oc.text));
		g_free(oc.text);
	}
	/* What follows the commands: a note, or the writer's answer,
	 * without the signature. */
	g_strstrip(b->rest);
	unsigned_rest = quote_unsign(b->rest, m->from_name);
	told = g_string_new(NULL);
	if (st == ST_OK && to_note_address(m) &&
	    (*b->rest != '\0' || *m->forwarded_text != '\0')) {
		struct case_ref c = { 0 };
		/* A message forwarded to the note address is kept whole on
		 * the case, as evidence: someone else's words, never
		 * commands. */
		g_autofree char *note = g_strconcat(
			b->rest, *b->rest != '\0' && *m->forwarded_text != '\0'
					 ? "\n\n" : "",
			m->forwarded_text, NULL);

		st = cases_find(sm->store, cr.number, &c, err);
		if (st == ST_OK)
			st = cases_note(sm->store, &c, who, note, now, err);
		case_ref_clear(&c);
		g_string_append(told,
				*m->forwarded_text != '\0'
					? "其餘內容與轉寄的信件已記為內部紀錄，"
					  "沒有寄給來信者；轉寄信件中的指令一律"
					  "不執行。"
					: "其餘內容已記為內部紀錄，沒有寄給來信者。");
		*said = "note by mail";
		tell = *m->forwarded_text != '\0';
	} else if (st == ST_OK && *unsigned_rest != '\0') {
		st = relay(sm, case_id, &cr, who, unsigned_rest, now, said,
			   err);
		if (strcmp(*said, "staff reply relayed to the writer") == 0) {
			g_string_append(told, "您寫的內容（不含引用的舊信與簽名"
					      "檔）已以中心名義轉寄給來信者。");
		} else if (cr.reply == NULL) {
			g_string_append(told, "您寫的內容沒有轉寄：來信者沒有"
					      "留下可用的信箱，無法聯絡。");
			tell = TRUE;
		} else if (strstr(*said, "last check") != NULL) {
			g_string_append(told, "您寫的內容沒有轉寄：其中有中心"
					      "內部的資料（同仁或紀錄信箱、回覆"
					      "代碼、規則名稱或通知的內容），"
					      "值班同仁已收到通知。請只寫要給"
					      "來信者的話，再回覆一次。");
			tell = TRUE;
		} else {
			g_string_append(told, "您寫的內容沒有轉寄：來信者的"
					      "信箱無法使用。");
			tell = TRUE;
		}
	} else if (st == ST_OK) {
		g_string_append(told, "這封回覆除了指令、引用的舊信和簽名檔"
				      "以外沒有內容，因此沒有轉寄任何東西給"
				      "來信者。");
		*said = b->commands->len > 0 ? "commands by mail"
					     : "staff reply with nothing new";
		tell = *b->rest != '\0' || b->commands->len == 0;
		if (b->commands->len == 0)
			st = cases_event_add(sm->store, case_id, NULL, who,
					     "staff reply not relayed",
					     *b->rest != '\0'
						     ? "nothing but a signature"
						     : "nothing new above the "
						       "quote", err);
	}
	/* What never goes to a writer: said, so that nobody counts on it. */
	if (!to_note_address(m) && *m->forwarded_text != '\0') {
		g_string_append(told, "\n轉寄的信件沒有轉給來信者，其中的指令"
				      "也不執行（要留存請寄到紀錄信箱）。");
		tell = TRUE;
	}
	if (m->attachments->len > 0 && *m->forwarded_text == '\0') {
		g_string_append_printf(told, "\n附件（%u 個）不會轉寄給來信者，"
				       "也不會存入案件。",
				       m->attachments->len);
		tell = TRUE;
	}
	if (st == ST_OK && (b->commands->len > 0 || tell))
		st = transcript(sm, case_id, cr.number, m, lines, told->str,
				now, err);
	g_string_free(told, TRUE);
	command_block_free(b);
	case_view_clear(&cr);
	return st;
}
