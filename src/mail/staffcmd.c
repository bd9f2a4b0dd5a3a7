/*
 * Staff commands carried out on a case (staffcmd.h): each one checked,
 * done through cases.h, and worded for the transcript.
 */
#include <string.h>

#include "people.h"
#include "refusal.h"
#include "referral.h"
#include "staffcmd.h"

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
 * #confirm: the newest partner reply filed without its token (partner.h,
 * event "partner reply unconfirmed": "GROUP SEQ ADDRESS") is taken as
 * that partner's, and its referral's clock stops.  *text (new) says
 * what happened; refused if no such reply waits.
 */
static enum status
confirm_partner(const struct casemail *cm, const struct case_ref *c,
		const char *who, GDateTime *now, char **text, struct err *err)
{
	g_autofree char *detail = NULL;
	g_auto(GStrv) w = NULL;
	gboolean found = FALSE;
	enum status st;

	st = cases_partner_unconfirmed(cm->store, c->id, &detail, err);
	if (st != ST_OK)
		return st;
	w = g_strsplit(detail != NULL ? detail : "", " ", 3);
	if (w[0] == NULL || w[1] == NULL || w[2] == NULL)
		return refuse(err, REFUSED_NO_PARTNER_REPLY, c->number,
			      c->state, NULL);
	for (int g = 0; g < GROUP_COUNT; g++) {
		if (strcmp(w[0], group_key((enum group)g)) != 0)
			continue;
		st = cases_partner_replied_in(cm->store, c->id, (enum group)g,
					      (guint)g_ascii_strtoull(w[1],
								      NULL, 10),
					      w[2], now, &found, err);
		if (st == ST_OK)
			st = cases_event_add(cm->store, c->id, NULL, who,
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

/*
 * A command's outcome from its status st (e says why): done, refused
 * (said to staff in Chinese), or an error passed up in err: a database
 * or internal error is the run's to log and alert, never a refusal.
 */
static enum status
outcome_of(struct staffcmd_outcome *out, enum status st, const struct err *e,
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

/*
 * The person a #refer names, "當事人：王大明 1999-01-02 0912345678",
 * up to "；" or the end, into id; *after is what follows (a note).
 * FALSE when text names no one.
 */
static gboolean
client_named(const char *text, const char **after, struct identity *id)
{
	static const char *const marks[] = { "當事人：", "當事人:", "當事人=",
					     "當事人 ", NULL };
	const char *p = NULL, *end;
	g_autofree char *spec = NULL;

	for (int i = 0; marks[i] != NULL && p == NULL; i++)
		if (g_str_has_prefix(text, marks[i]))
			p = text + strlen(marks[i]);
	if (p == NULL)
		return FALSE;
	end = strstr(p, "；");
	if (end == NULL)
		end = strchr(p, ';');
	spec = g_strndup(p, end != NULL ? (gsize)(end - p) : strlen(p));
	*after = end == NULL ? p + strlen(p)
		 : *end == ';' ? end + 1 : end + strlen("；");
	*after += strspn(*after, " \t");
	return identity_parse_person(spec, id);
}

enum status
staffcmd_run(const struct casemail *cm, const struct command *cmd,
	     const char *number, const char *who, GDateTime *now,
	     struct staffcmd_outcome *out, struct err *err)
{
	const struct centre *cen = cm->centre;
	const char *rest = NULL;
	g_autofree char *word = first_word(cmd->arg, &rest);
	g_autofree char *handed = NULL;
	struct case_ref c = { 0 };
	struct err e = { 0 };
	enum case_state state;
	enum close_reason reason;
	enum group g;
	GDate today, day;
	struct identity client = { 0 };
	enum status st;

	memset(out, 0, sizeof *out);
	st = cases_find(cm->store, number, &c, &e);
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
		st = cases_set_state(cm->store, cm->calendar, &c, state, who,
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
		/* "#refer health 當事人：王大明 1999-01-02；備註": the
		 * person referred, when someone else wrote. */
		/* Kept only for a referral that can be made now. */
		if (client_named(rest, &rest, &client) &&
		    cases_may_become(c.state, CASE_REFERRED))
			st = people_store_about(cm->store, cm->vault, c.id,
						NULL, &client, &e);
		if (st == ST_OK)
			st = cases_refer(cm->store, cm->calendar, &c, g,
				 strchr(word, '@') != NULL ? word
							   : group_label(g),
				 who, now, referral_notice, (gpointer)cm, &e);
		if (st == ST_OK && *rest != '\0') {
			case_ref_clear(&c);
			st = cases_find(cm->store, number, &c, &e);
			if (st == ST_OK)
				st = cases_note(cm->store, &c, who, rest, now,
						&e);
		}
		if (st == ST_OK)
			out->text = g_strdup_printf(
				"已轉介%s%s，並寄出轉介通知；合作單位須於 5 個"
				"工作天內回覆", group_label(g),
				identity_any(&client) ? "（通知中的個案為您指定的當事人）"
						      : "");
		break;
	case CMD_CLOSE: {
		const char *more = NULL;
		g_autofree char *county = NULL;
		gboolean served;	/* the county moved to, by a centre here */
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
		served = config_centre_find(cm->cfg, county) != NULL;
		st = cases_close(cm->store, cm->calendar, &c, reason,
				 reason == CLOSE_MOVED ? county : NULL, served,
				 who, reason == CLOSE_MOVED ? more : rest,
				 now, &handed, &e);
		if (st == ST_OK && handed != NULL)
			out->text = g_strdup_printf(
				"已結案（%s），移交 %s，新案號 %s%s",
				close_reason_label(reason),
				county_name(county), handed,
				served ? ""
				       : "；該縣市的中心不使用本系統，新案件"
					 "不計期限，請以公文或電話移交");
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
		st = cases_assign(cm->store, &c, staff, who, now, &e);
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
			st = cases_schedule(cm->store, &c,
					    visit ? "visit" : "follow_up", &day,
					    who, now, &e);
			if (st == ST_OK)
				out->text = g_strdup_printf(
					"已排定 %s %s", ds,
					visit ? "訪視" : "追蹤聯繫");
		} else if (visit && c.state == CASE_REGISTERED) {
			st = cases_set_state(cm->store, cm->calendar, &c,
					     CASE_CONTACTED, who, why, now, &e);
			if (st == ST_OK)
				out->text = g_strdup_printf(
					"已記錄 %s 訪視，狀態改為「訪視」", ds);
		} else if (visit) {
			st = cases_note_event(cm->store, &c, who, why, now,
					      &e);
			if (st == ST_OK)
				out->text = g_strdup_printf("已記錄 %s 訪視",
							    ds);
		} else {
			st = cases_follow_up_contact(cm->store, &c, who, why,
						     now, &e);
			if (st == ST_OK)
				out->text = g_strdup_printf(
					"已記錄 %s 追蹤聯繫", ds);
		}
		break;
	}
	case CMD_NOTE:
		st = cases_note(cm->store, &c, who, cmd->arg, now, &e);
		if (st == ST_OK)
			out->text = g_strdup("已記下內部紀錄");
		break;
	case CMD_MERGE:
		st = cases_merge(cm->store, &c, word, who, now, &e);
		if (st == ST_OK)
			out->text = g_strdup_printf("本案已併入 %s", word);
		break;
	case CMD_CONFIRM:
		st = confirm_partner(cm, &c, who, now, &out->text, &e);
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
	identity_clear(&client);
	case_ref_clear(&c);
	return outcome_of(out, st, &e, err);
}
