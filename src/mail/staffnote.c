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
#include "vocab.h"

/* The note address of a case mail: "tnn+note.TOKEN@domain" (new). */
static char *
note_address(const char *token, const char *centre_address)
{
	g_autofree char *tagged = g_strconcat("note.", token, NULL);

	return token_reply_to(tagged, centre_address);
}

/*
 * A letter as the staff mails quote it: between rules of dashes, so no
 * line of its own may be one (the HTML twin would end the quote there).
 */
static char *
letter_block(const char *letter)
{
	g_auto(GStrv) lines = NULL;
	GString *s;

	if (letter == NULL || *letter == '\0')
		return g_strdup("（來信沒有內文）");
	lines = g_strsplit(letter, "\n", -1);
	s = g_string_new(NULL);
	for (int i = 0; lines[i] != NULL; i++) {
		const char *l = lines[i];

		if (strspn(l, "-") == strlen(l) && strlen(l) >= 8)
			g_string_append_c(s, ' ');
		g_string_append(s, l);
		if (lines[i + 1] != NULL)
			g_string_append_c(s, '\n');
	}
	return g_string_free(s, FALSE);
}

/* What every mail about a case tells its reader. */
struct case_words {
	char *reasons, *letter, *owner, *next_step, *alerted, *reply_how;
	char *files;		/* the letter's files, listed */
	GPtrArray *attached;	/* struct attachment *, borrowed: sent */
	char *returning;	/* the person's earlier cases */
};

static void
case_words_clear(struct case_words *w)
{
	g_free(w->reasons);
	g_free(w->letter);
	g_free(w->owner);
	g_free(w->next_step);
	g_free(w->alerted);
	g_free(w->reply_how);
	g_free(w->files);
	if (w->attached != NULL)
		g_ptr_array_free(w->attached, TRUE);
	g_free(w->returning);
}

/*
 * The earlier cases of case_id's person, as staff read them (new):
 * "TNN-1150301-0002（已結案：再入監），依身分證字號、電話相符", one after
 * another, or 無.
 */
static enum status
earlier_words(const struct casemail *cm, gint64 case_id, char **out,
	      struct err *err)
{
	g_autoptr(GPtrArray) earlier = g_ptr_array_new_with_free_func(
		(GDestroyNotify)case_earlier_free);
	GString *s = g_string_new(NULL);
	enum status st = cases_earlier(cm->store, case_id, earlier, err);

	for (guint i = 0; st == ST_OK && i < earlier->len; i++) {
		const struct case_earlier *e = earlier->pdata[i];
		g_auto(GStrv) kinds = g_strsplit(e->kinds, " ", -1);
		enum close_reason r;

		if (s->len > 0)
			g_string_append(s, "；");
		g_string_append_printf(s, "%s（", e->number);
		if (e->state == CASE_CLOSED)
			g_string_append(s, "已結案");
		else
			g_string_append_printf(s, "進行中：%s",
					       case_state_label(e->state) != NULL
						       ? case_state_label(e->state)
						       : "不明");
		if (e->state == CASE_CLOSED &&
		    close_reason_parse(e->closed_reason, &r))
			g_string_append_printf(s, "：%s", close_reason_label(r));
		g_string_append(s, "），依");
		for (int k = 0; kinds[k] != NULL; k++)
			g_string_append_printf(s, "%s%s", k > 0 ? "、" : "",
					       person_key_label(kinds[k]) != NULL
						       ? person_key_label(kinds[k])
						       : kinds[k]);
		g_string_append(s, "相符");
	}
	if (st == ST_OK && s->len == 0)
		g_string_append(s, "無");
	*out = g_string_free(s, st != ST_OK);
	return st;
}

/*
 * The letter's files that staff are sent (into attached), and the list
 * that says of each whether it is attached, and why not: a program, an
 * archive, a file too large, or past the letter's total.
 */
static char *
files_words(const GPtrArray *files, GPtrArray *attached)
{
	GString *s = g_string_new(NULL);
	gsize total = 0;

	for (guint i = 0; files != NULL && i < files->len; i++) {
		const struct attachment *a = files->pdata[i];
		const char *why = NULL;
		g_autofree char *size = g_format_size(a->size);

		if (mime_attachment_passable(a, &why) &&
		    total + a->size > MIME_PASS_TOTAL_MAX)
			why = "附件合計超過 15 MB";
		if (why == NULL) {
			total += a->size;
			g_ptr_array_add(attached, (gpointer)a);
		}
		g_string_append_printf(s, "  ・%s（%s，%s）：%s%s\n",
				       a->filename != NULL ? a->filename
							   : "（沒有檔名）",
				       a->content_type, size,
				       why == NULL ? "已附在本信" : "未附上：",
				       why == NULL ? "" : why);
	}
	if (s->len == 0) {
		g_string_free(s, TRUE);
		return g_strdup("");
	}
	g_string_prepend(s, "來信的附件（原信加密保存在案件中）：\n");
	return g_string_free(s, FALSE);
}

/*
 * Fills vars with what a staff mail says of case cr and letter c: its
 * title, state, owner, next step and its deadline, who was alerted, the
 * reasons and the letter, and how a reply acts.  The strings are w's.
 */
static void
case_vars(const struct casemail *cm, const struct case_view *cr,
	  const struct classification *c, const GPtrArray *files,
	  GHashTable *vars, struct case_words *w)
{
	const struct centre *centre = cm->centre;
	gboolean emergency = c != NULL && c->triage != NULL &&
			     c->triage->urgency == URGENCY_EMERGENCY;

	w->reasons = notify_reasons(c != NULL ? c->triage : NULL,
				    c != NULL ? c->writer : WRITER_UNKNOWN);
	w->letter = letter_block(c != NULL ? c->new_text : NULL);
	w->attached = g_ptr_array_new();
	w->files = files_words(files, w->attached);
	g_hash_table_insert(vars, "files", w->files);
	w->owner = cr->assignee != NULL
			   ? g_strdup(cr->assignee)
			   : g_strdup("尚未指派（回覆 #assign 同仁信箱 指派）");
	if (cr->next_step != NULL) {
		g_autofree char *due = twtime_roc_day(cr->next_due);

		w->next_step = g_strdup_printf(
			"%s，期限 %s", deadline_step_label(cr->next_step),
			due);
	} else {
		w->next_step = g_strdup("目前沒有待辦的期限");
	}
	if (!emergency)
		w->alerted = g_strdup("不需要（不是緊急個案）");
	else if (centre->duty != NULL)
		w->alerted = g_strdup_printf("已通知值班信箱 %s", centre->duty);
	else
		w->alerted = g_strdup("本中心沒有設定值班信箱，沒有人收到緊急通知");
	w->reply_how = g_strdup(
		cr->reply != NULL
			? "直接回覆這封信：您寫的內容會以中心的名義轉給來信者，"
			  "您的信箱不會出現"
			: "這位來信者沒有留下可回信的地址（匿名），回覆的內容不會轉給任何人，"
			  "只會記在案件中；請用下面的指令處理");
	g_hash_table_insert(vars, "title",
			    (gpointer)(cr->title != NULL && *cr->title != '\0'
					       ? cr->title
					       : "（沒有主旨）"));
	g_hash_table_insert(vars, "state_label",
			    (gpointer)case_state_label(cr->state));
	g_hash_table_insert(vars, "owner", w->owner);
	g_hash_table_insert(vars, "next_step", w->next_step);
	g_hash_table_insert(vars, "alerted", w->alerted);
	g_hash_table_insert(vars, "reasons", w->reasons);
	g_hash_table_insert(vars, "letter", w->letter);
	g_hash_table_insert(vars, "reply_how", w->reply_how);
	g_hash_table_insert(vars, "urgency_label",
			    (gpointer)urgency_label(
				    c != NULL && c->triage != NULL &&
						    c->triage->urgency !=
							    URGENCY_NONE
					    ? c->triage->urgency
					    : URGENCY_CONSULTATION));
	/* A weak sign, or one a guard cleared: a person reads it today. */
	g_hash_table_insert(vars, "risk_flag",
			    c != NULL && c->triage != NULL &&
					    c->triage->possible_risk
				    ? "可能風險・"
				    : "");
}

/*
 * case_vars() for a letter's notice or alert, with the person's earlier
 * cases (returning) too.
 */
static enum status
letter_vars(const struct casemail *cm, gint64 case_id,
	    const struct case_view *cr, const struct classification *c,
	    const GPtrArray *files, GHashTable *vars, struct case_words *w,
	    struct err *err)
{
	enum status st;

	case_vars(cm, cr, c, files, vars, w);
	st = earlier_words(cm, case_id, &w->returning, err);
	if (st == ST_OK)
		g_hash_table_insert(vars, "returning", w->returning);
	return st;
}

/*
 * Queues to to the staff mail template about case cr, with a reply
 * token and a note address of to's own.
 */
static enum status
queue_case_mail(const struct casemail *cm, gint64 case_id,
		const struct case_view *cr, const char *to,
		const char *template, const char *kind, int priority,
		const char *in_reply_to, GHashTable *vars,
		const GPtrArray *files, GDateTime *now, struct err *err)
{
	g_autofree char *token = token_make(cm->tokens, cr->number, to);
	g_autofree char *note = note_address(token, cm->centre->address);
	g_autofree char *commands = NULL;
	struct outgoing *o = NULL;
	enum status st;

	g_hash_table_insert(vars, "note_address", note);
	commands = notify_staff_commands(cm->notify, vars);
	g_hash_table_insert(vars, "commands", commands);
	st = notify_build_staff_files(cm->notify, cm->centre, template,
				      cr->number, token, to, in_reply_to, vars,
				      files, now, &o, err);
	if (st == ST_OK)
		st = outbox_queue(cm->store, case_id, kind, priority, o, err);
	outgoing_free(o);
	/* vars may serve the next mail: nothing of this one stays. */
	g_hash_table_remove(vars, "note_address");
	g_hash_table_remove(vars, "commands");
	return st;
}

/*
 * Reads case_id into cr and sets *to to who hears of it: its owner
 * alone once there is one, else every staff address of the centre (one
 * holds the owner).  FALSE when there is no such case or no one to tell
 * (*st says whether that is an error).
 */
static gboolean
case_readers(const struct casemail *cm, gint64 case_id, struct case_view *cr,
	     char *one[2], char ***to, enum status *st, struct err *err)
{
	*to = cm->centre->staff;
	*st = ST_OK;
	if (*to == NULL || (*to)[0] == NULL)
		return FALSE;
	*st = cases_view(cm->store, case_id, cr, err);
	if (*st != ST_OK || cr->number == NULL) {
		case_view_clear(cr);
		return FALSE;
	}
	if (cr->assignee != NULL) {
		one[0] = cr->assignee;
		one[1] = NULL;
		*to = one;
	}
	return TRUE;
}

enum status
staffnote_letter(const struct casemail *cm, gint64 case_id, gboolean first,
		 const struct classification *c, const GPtrArray *files,
		 const char *in_reply_to, GDateTime *now, struct err *err)
{
	const struct centre *centre = cm->centre;
	g_autoptr(GHashTable) vars = g_hash_table_new(g_str_hash,
						      g_str_equal);
	struct case_words w = { 0 };
	struct case_view cr;
	char *one[2] = { NULL, NULL };
	char **to = NULL;
	gboolean emergency = c->triage != NULL &&
			     c->triage->urgency == URGENCY_EMERGENCY;
	enum status st = ST_OK;

	if (!centre->staff_notices ||
	    !case_readers(cm, case_id, &cr, one, &to, &st, err))
		return st;
	g_hash_table_insert(vars, "event", first ? "新案件" : "當事人再次來信");
	g_hash_table_insert(vars, "event_detail",
			    first ? "收到一封新的來信，已登錄為新案件。"
				  : "收到當事人再次來信，已歸入原案件。");
	st = letter_vars(cm, case_id, &cr, c, files, vars, &w, err);
	for (int i = 0; st == ST_OK && to[i] != NULL; i++)
		st = queue_case_mail(cm, case_id, &cr, to[i], "case-staff",
				     "staff",
				     emergency ? OUTBOX_PRIORITY_EMERGENCY
					       : OUTBOX_PRIORITY_NORMAL,
				     in_reply_to, vars, w.attached, now, err);
	case_words_clear(&w);
	case_view_clear(&cr);
	return st;
}

enum status
staffnote_partner(const struct casemail *cm, gint64 case_id,
		  const struct classification *c, const struct mail_msg *m,
		  GDateTime *now, struct err *err)
{
	g_autoptr(GHashTable) vars = g_hash_table_new(g_str_hash,
						      g_str_equal);
	g_autofree char *detail = NULL;
	struct case_words w = { 0 };
	struct case_view cr;
	char *one[2] = { NULL, NULL };
	char **to = NULL;
	enum status st = ST_OK;

	if (!case_readers(cm, case_id, &cr, one, &to, &st, err))
		return st;
	detail = g_strdup_printf("合作單位 %s 回覆了本案的轉介；回覆已記在案件"
				 "中，附件也一併保存。",
				 m->from_addr != NULL ? m->from_addr
						      : "（沒有寄件人）");
	g_hash_table_insert(vars, "event_detail", detail);
	case_vars(cm, &cr, c, m->attachments, vars, &w);
	for (int i = 0; st == ST_OK && to[i] != NULL; i++)
		st = queue_case_mail(cm, case_id, &cr, to[i],
				     "partner-reply-staff", "staff",
				     OUTBOX_PRIORITY_NORMAL, m->message_id,
				     vars, w.attached, now, err);
	case_words_clear(&w);
	case_view_clear(&cr);
	return st;
}

enum status
staffnote_duty(const struct casemail *cm, gint64 case_id, const char *number,
	       const struct classification *c, const GPtrArray *files,
	       GDateTime *now, struct err *err)
{
	const struct centre *centre = cm->centre;
	g_autoptr(GHashTable) vars = g_hash_table_new(g_str_hash,
						      g_str_equal);
	g_autofree char *contact = NULL;
	struct case_words w = { 0 };
	struct case_view cr;
	struct err e2 = { 0 };
	enum status st;

	if (centre->duty == NULL) {
		log_warn("centre %s has no duty address: emergency %s "
			 "alerted to nobody", centre->code, number);
		return cases_event_add(cm->store, case_id, NULL, "lamplight",
				       "no duty alert",
				       "the centre has no duty address", err);
	}
	st = cases_view(cm->store, case_id, &cr, err);
	if (st != ST_OK || cr.number == NULL) {
		case_view_clear(&cr);
		return st;
	}
	st = letter_vars(cm, case_id, &cr, c, files, vars, &w, err);
	if (st != ST_OK) {
		case_words_clear(&w);
		case_view_clear(&cr);
		return st;
	}
	contact = notify_contact(&c->identity, c->reply_addr);
	g_hash_table_insert(vars, "contact", contact);
	st = queue_case_mail(cm, case_id, &cr, centre->duty, "duty-alert",
			     "duty", OUTBOX_PRIORITY_EMERGENCY, NULL, vars,
			     w.attached, now, &e2);
	if (st == ST_MSG_BAD) {
		/* An unusable duty address: the case says so; filing goes
		 * on. */
		log_warn("duty alert for %s: %s", number, e2.msg);
		st = ST_OK;
	} else if (st != ST_OK) {
		*err = e2;
	}
	case_words_clear(&w);
	case_view_clear(&cr);
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
