/*
 * Building outgoing mail.  Values that reach headers come from the config
 * and the templates, except the recipient, which is checked; nothing from
 * the writer's letter is ever quoted back.
 */
#include <gmime/gmime.h>
#include <string.h>

#include "mailhtml.h"
#include "mime.h"
#include "notify.h"
#include "template.h"
#include "token.h"
#include "twtime.h"

static const char *const ack_names[] = {
	[URGENCY_CONSULTATION] = "ack-consultation",
	[URGENCY_APPLICATION] = "ack-application",
	[URGENCY_EMERGENCY] = "ack-emergency",
};

/* Every template, checked when notify opens. */
static const char *const names[] = {
	"ack-consultation", "ack-application", "ack-emergency",
	"followup-reply", "duty-alert", "referral", "reminder-staff",
	"reminder-partner", "staff-reply", "case-staff",
	"command-transcript", "command-refused", "reply-refused",
	"flood-staff", "staff-commands", "referrer-result",
	"partner-reply-staff", NULL,
};

struct notify {
	GHashTable *templates;	/* name -> struct template */
};

void
outgoing_free(struct outgoing *o)
{
	if (o == NULL)
		return;
	g_free(o->message_id);
	g_free(o->env_from);
	g_free(o->rcpt);
	g_free(o->data);
	g_free(o);
}

enum status
notify_open(const char *dir, struct notify **out, struct err *err)
{
	struct notify *n = g_new0(struct notify, 1);
	enum status st = ST_OK;

	n->templates = g_hash_table_new_full(
		g_str_hash, g_str_equal, NULL,
		(GDestroyNotify)template_free);
	for (int i = 0; names[i] != NULL && st == ST_OK; i++) {
		struct template *t = NULL;

		st = template_load(dir, names[i], &t, err);
		if (st == ST_OK)
			g_hash_table_insert(n->templates, (gpointer)names[i],
					    t);
	}
	if (st != ST_OK) {
		notify_close(n);
		return st;
	}
	*out = n;
	return ST_OK;
}

void
notify_close(struct notify *n)
{
	if (n == NULL)
		return;
	g_hash_table_destroy(n->templates);
	g_free(n);
}

/* A Message-ID in the centre's domain, unique without coordination. */
static char *
new_message_id(const char *what, const char *address)
{
	const char *domain = strchr(address, '@');
	guint32 r[2] = { g_random_int(), g_random_int() };

	return g_strdup_printf("lamplight.%s.%08x%08x@%s", what, r[0], r[1],
			       domain != NULL ? domain + 1 : "localhost");
}

static gboolean
header_safe(const char *s)
{
	return s != NULL && strpbrk(s, "\r\n") == NULL;
}

/* RFC 5322 atext. */
static gboolean
atext(char c)
{
	return c != '\0' && (g_ascii_isalnum(c) ||
			     strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

/* A dot-atom-text of [p, end): atoms apart by single dots. */
static gboolean
dot_atom(const char *p, const char *end)
{
	gboolean after_dot = TRUE;

	if (p == end)
		return FALSE;
	for (; p < end; p++) {
		if (*p == '.') {
			if (after_dot)
				return FALSE;
			after_dot = TRUE;
		} else if (atext(*p)) {
			after_dot = FALSE;
		} else {
			return FALSE;
		}
	}
	return !after_dot;
}

gboolean
notify_msg_id_valid(const char *id)
{
	const char *at, *end;

	if (id == NULL || strlen(id) > NOTIFY_MSGID_MAX)
		return FALSE;
	end = id + strlen(id);
	at = strrchr(id, '@');
	if (at == NULL || !dot_atom(id, at))
		return FALSE;
	/* id-right: a dot-atom, or a literal "[...]" of dtext. */
	if (at[1] == '[') {
		if (end - at < 3 || end[-1] != ']')
			return FALSE;
		for (const char *p = at + 2; p < end - 1; p++)
			if ((unsigned char)*p < 33 || (unsigned char)*p > 126 ||
			    *p == '[' || *p == ']' || *p == '\\')
				return FALSE;
		return TRUE;
	}
	return dot_atom(at + 1, end);
}

/* Serialises msg with CRLF line ends into o->data. */
static void
to_crlf(GMimeMessage *msg, struct outgoing *o)
{
	GMimeFormatOptions *fo = g_mime_format_options_clone(NULL);

	g_mime_format_options_set_newline_format(fo,
						 GMIME_NEWLINE_FORMAT_DOS);
	o->data = g_mime_object_to_string(GMIME_OBJECT(msg), fo);
	o->len = strlen(o->data);
	g_mime_format_options_free(fo);
}

/* What one mail is: its template, words and envelope. */
struct spec {
	const struct centre *centre;
	const char *template;
	GHashTable *vars;	/* beyond the centre's, which are added */
	const char *rcpt;
	const char *to_name;	/* display name of To, or NULL */
	const char *token;	/* may be NULL */
	const char *in_reply_to;
	const char *case_number;	/* may be NULL */
	const char *auto_submitted;	/* RFC 3834 value */
	gboolean html;		/* with an HTML twin (mailhtml.h) */
	/* Mail to a writer: its Subject, before the case number, when the
	 * centre is discreet (ack_discreet); NULL for anyone else's. */
	const char *discreet_subject;
	const GPtrArray *files;	/* struct attachment * to attach, or NULL */
};

/* A UTF-8 text part of subtype, in the lightest encoding that fits. */
static GMimeTextPart *
text_part(const char *subtype, const char *text)
{
	GMimeTextPart *part = g_mime_text_part_new_with_subtype(subtype);

	g_mime_text_part_set_charset(part, "UTF-8");
	g_mime_text_part_set_text(part, text);
	g_mime_part_set_content_encoding(
		GMIME_PART(part),
		g_mime_part_get_best_content_encoding(
			GMIME_PART(part), GMIME_ENCODING_CONSTRAINT_7BIT));
	return part;
}

/* msg's body and files, in a multipart/mixed: each file base64, its
 * declared type and name. */
static void
attach_files(GMimeMessage *msg, const GPtrArray *files)
{
	GMimeMultipart *mixed = g_mime_multipart_new_with_subtype("mixed");

	g_mime_multipart_add(mixed, g_mime_message_get_mime_part(msg));
	for (guint i = 0; i < files->len; i++) {
		const struct attachment *a = files->pdata[i];
		GMimeContentType *ct = g_mime_content_type_parse(
			NULL, a->content_type != NULL ? a->content_type
						      : "application/octet-stream");
		GMimePart *p = g_mime_part_new_with_type(
			g_mime_content_type_get_media_type(ct),
			g_mime_content_type_get_media_subtype(ct));
		GMimeStream *st = g_mime_stream_mem_new_with_byte_array(
			g_bytes_unref_to_array(g_bytes_ref(a->data)));
		GMimeDataWrapper *w = g_mime_data_wrapper_new_with_stream(
			st, GMIME_CONTENT_ENCODING_DEFAULT);

		g_mime_part_set_content(p, w);
		g_mime_part_set_content_encoding(p,
						 GMIME_CONTENT_ENCODING_BASE64);
		if (a->filename != NULL)
			g_mime_part_set_filename(p, a->filename);
		g_mime_object_set_disposition(GMIME_OBJECT(p), "attachment");
		g_mime_multipart_add(mixed, GMIME_OBJECT(p));
		g_object_unref(w);
		g_object_unref(st);
		g_object_unref(p);
		g_object_unref(ct);
	}
	g_mime_message_set_mime_part(msg, GMIME_OBJECT(mixed));
	g_object_unref(mixed);
}

static enum status
build(const struct notify *n, const struct spec *sp, GDateTime *now,
      struct outgoing **out, struct err *err)
{
	const struct centre *c = sp->centre;
	const struct template *t = g_hash_table_lookup(n->templates,
						       sp->template);
	g_autofree char *subject = NULL, *body = NULL, *date = NULL;
	const char *from_name = c->name;
	gboolean own_date;
	GMimeMessage *msg;
	GMimeTextPart *part;
	struct outgoing *o;

	if (t == NULL)
		return err_set(err, ST_FATAL, "no template %s", sp->template);
	if (!header_safe(sp->rcpt) || !address_valid(sp->rcpt))
		return err_set(err, ST_MSG_BAD, "a recipient of %s is not "
			       "usable", sp->case_number ? sp->case_number
							 : sp->template);
	date = twtime_roc_long(now);
	g_hash_table_insert(sp->vars, "centre_name", c->name);
	g_hash_table_insert(sp->vars, "centre_address", c->address);
	g_hash_table_insert(sp->vars, "county_name",
			    (gpointer)county_name(c->code));
	own_date = !g_hash_table_contains(sp->vars, "received_date");
	if (own_date)
		g_hash_table_insert(sp->vars, "received_date", date);
	if (sp->case_number != NULL)
		g_hash_table_insert(sp->vars, "case_number",
				    (gpointer)sp->case_number);
	subject = template_expand(t->subject, sp->vars);
	body = template_expand(t->body, sp->vars);
	/* vars may serve the next mail: nothing of ours stays in it. */
	if (own_date)
		g_hash_table_remove(sp->vars, "received_date");
	if (!header_safe(subject))
		return err_set(err, ST_FATAL, "template %s makes a subject of "
			       "more than one line", sp->template);
	/* A writer who shares a phone sees the sender and the subject
	 * before opening: neither names the centre.  The body still does
	 * (lamplight.conf(5)). */
	if (sp->discreet_subject != NULL && c->ack_discreet) {
		g_free(subject);
		subject = sp->case_number != NULL
				  ? g_strdup_printf("%s（案號 %s）",
						    sp->discreet_subject,
						    sp->case_number)
				  : g_strdup(sp->discreet_subject);
		from_name = c->ack_sender_name;
	}

	o = g_new0(struct outgoing, 1);
	o->message_id = sp->token != NULL
				? token_message_id(sp->token, c->address)
				: new_message_id(sp->case_number != NULL
							 ? sp->case_number
							 : sp->template,
						 c->address);
	o->env_from = g_strdup(c->address);
	o->rcpt = g_strdup(sp->rcpt);

	msg = g_mime_message_new(TRUE);
	g_mime_message_add_mailbox(msg, GMIME_ADDRESS_TYPE_FROM, from_name,
				   c->address);
	g_mime_message_add_mailbox(msg, GMIME_ADDRESS_TYPE_TO, sp->to_name,
				   sp->rcpt);
	if (sp->token != NULL) {
		g_autofree char *reply = token_reply_to(sp->token, c->address);

		g_mime_message_add_mailbox(msg, GMIME_ADDRESS_TYPE_REPLY_TO,
					   from_name, reply);
	}
	g_mime_message_set_subject(msg, subject, "UTF-8");
	g_mime_message_set_date(msg, now);
	g_mime_message_set_message_id(msg, o->message_id);
	/* Only a well-formed id of another's travels (RFC 5322 msg-id):
	 * no TAB, VT, control character or line that breaks 998. */
	if (notify_msg_id_valid(sp->in_reply_to)) {
		g_autofree char *ref = g_strdup_printf("<%s>", sp->in_reply_to);

		g_mime_object_set_header(GMIME_OBJECT(msg), "In-Reply-To",
					 ref, NULL);
		g_mime_object_set_header(GMIME_OBJECT(msg), "References", ref,
					 NULL);
	}
	/* RFC 3834, and our own mark: no robot answers, we never file it. */
	g_mime_object_set_header(GMIME_OBJECT(msg), "Auto-Submitted",
				 sp->auto_submitted, NULL);
	g_mime_object_set_header(GMIME_OBJECT(msg), NOTIFY_LOOP_HEADER,
				 c->address, NULL);
	if (sp->case_number != NULL)
		g_mime_object_set_header(GMIME_OBJECT(msg), "X-Lamplight-Case",
					 sp->case_number, NULL);
	part = text_part("plain", body);
	if (sp->html) {
		/* Our own addresses, and no other, as links. */
		const char *domain = strchr(c->address, '@');
		g_autofree char *html = mailhtml_from_text(
			subject, body, domain != NULL ? domain + 1 : NULL);
		GMimeMultipart *alt = g_mime_multipart_new_with_subtype(
			"alternative");
		GMimeTextPart *hp = text_part("html", html);

		g_mime_multipart_add(alt, GMIME_OBJECT(part));
		g_mime_multipart_add(alt, GMIME_OBJECT(hp));
		g_object_unref(hp);
		g_mime_message_set_mime_part(msg, GMIME_OBJECT(alt));
		g_object_unref(alt);
	} else {
		g_mime_message_set_mime_part(msg, GMIME_OBJECT(part));
	}
	g_object_unref(part);
	if (sp->files != NULL && sp->files->len > 0)
		attach_files(msg, sp->files);
	to_crlf(msg, o);
	g_object_unref(msg);
	*out = o;
	return ST_OK;
}

/* Whether t found any of the risks (ending RISK_NONE), at any level. */
static gboolean
found(const struct triage *t, const enum risk *risks)
{
	for (int k = 0; t != NULL && risks[k] != RISK_NONE; k++)
		if (t->risk[risks[k]] != RISK_LEVEL_NONE)
			return TRUE;
	return FALSE;
}

char *
notify_crisis_lines(const struct triage *t)
{
	static const enum risk life[] = { RISK_SUICIDE, RISK_NONE };
	static const enum risk body[] = {
		RISK_OVERDOSE, RISK_WITHDRAWAL, RISK_NONE,
	};
	static const enum risk violence[] = {
		RISK_VIOLENCE, RISK_CHILD, RISK_PSYCHOSIS, RISK_NONE,
	};
	static const enum risk missing[] = { RISK_MISSING, RISK_NONE };
	GString *s = g_string_new(NULL);
	gboolean any = FALSE;

	/* The lines for what the letter speaks of come first. */
	if (found(t, body)) {
		g_string_append(s, "  119 救護車（身體危急、用藥過量）\n");
		any = TRUE;
	}
	if (found(t, violence)) {
		g_string_append(s, "  110 報案（有人正受到威脅或傷害）\n"
				   "  113 保護專線（家庭暴力、兒少保護，24 小時）\n");
		any = TRUE;
	}
	if (found(t, missing)) {
		g_string_append(s, "  110 報案（聯絡不上、擔心有危險）\n");
		any = TRUE;
	}
	if (found(t, life) || !any) {
		g_string_append(s, "  1925 安心專線（24 小時，免付費）\n"
				   "  1995 生命線、1980 張老師專線\n");
	}
	if (!any)
		g_string_append(s, "  110 報案、119 救護車\n");
	g_string_append(s, "  0800-770-885 戒成專線（24 小時，免付費）\n");
	return g_string_free(s, FALSE);
}

static GHashTable *
new_vars(void)
{
	return g_hash_table_new(g_str_hash, g_str_equal);
}

enum status
notify_build_ack(const struct notify *n, const struct centre *c,
		 const char *case_number, const char *token,
		 enum urgency urgency, const struct triage *t,
		 const char *rcpt, const char *in_reply_to, GDateTime *now,
		 struct outgoing **out, struct err *err)
{
	g_autoptr(GHashTable) vars = new_vars();
	g_autofree char *lines = notify_crisis_lines(t);
	struct spec sp = {
		.centre = c, .vars = vars, .rcpt = rcpt, .token = token,
		.in_reply_to = in_reply_to, .case_number = case_number,
		.auto_submitted = "auto-replied",
		.discreet_subject = c->ack_subject,
	};

	if (urgency < URGENCY_CONSULTATION || urgency > URGENCY_EMERGENCY)
		urgency = URGENCY_CONSULTATION;
	sp.template = ack_names[urgency];
	g_hash_table_insert(vars, "crisis_lines", lines);
	return build(n, &sp, now, out, err);
}

enum status
notify_build_followup(const struct notify *n, const struct centre *c,
		      const char *case_number, const char *token,
		      const struct triage *t, const char *rcpt,
		      const char *in_reply_to, GDateTime *now,
		      struct outgoing **out, struct err *err)
{
	g_autoptr(GHashTable) vars = new_vars();
	g_autofree char *lines = notify_crisis_lines(t);
	struct spec sp = {
		.centre = c, .template = "followup-reply", .vars = vars,
		.rcpt = rcpt, .token = token, .in_reply_to = in_reply_to,
		.case_number = case_number, .auto_submitted = "auto-replied",
		.discreet_subject = c->ack_subject,
	};

	g_hash_table_insert(vars, "crisis_lines", lines);
	return build(n, &sp, now, out, err);
}

/* Where a quote stands, when not in what the writer wrote now. */
static const char *
place_label(enum hit_place place)
{
	switch (place) {
	case HIT_QUOTED:
		return "（引用的舊信）";
	case HIT_FORWARDED:
		return "（轉寄的信）";
	case HIT_TEXT:
		break;
	}
	return "";
}

/* Up to this many quotes a line: the rest say nothing new to a reader. */
#define REASON_QUOTES 4

/*
 * The words of the hits that keep(h, data) accepts, each once, quoted
 * "「想死」、「遺書寫好了」"; empty when there are none.  New string.
 */
typedef gboolean hit_keep(const struct rule_hit *h, gconstpointer data);

static char *
quotes(const GArray *hits, hit_keep *keep, gconstpointer data)
{
	g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash,
							   g_str_equal, g_free,
							   NULL);
	GString *s = g_string_new(NULL);
	guint n = 0;

	for (guint i = 0; hits != NULL && i < hits->len; i++) {
		const struct rule_hit *h =
			&g_array_index(hits, struct rule_hit, i);
		g_autofree char *key = NULL;

		if (!keep(h, data))
			continue;
		key = g_strconcat(h->match, place_label(h->place), NULL);
		if (g_hash_table_contains(seen, key))
			continue;
		if (n++ == REASON_QUOTES) {
			g_string_append(s, "……");
			break;
		}
		g_hash_table_add(seen, g_steal_pointer(&key));
		g_string_append_printf(s, "%s「%s」%s", n > 1 ? "、" : "",
				       h->match, place_label(h->place));
	}
	return g_string_free(s, FALSE);
}

static gboolean
of_risk(const struct rule_hit *h, gconstpointer data)
{
	return rule_risk(h->rule) == *(const enum risk *)data;
}

static gboolean
of_need(const struct rule_hit *h, gconstpointer data)
{
	return g_strcmp0(rule_need(h->rule), data) == 0;
}

static gboolean
of_application(const struct rule_hit *h, gconstpointer data)
{
	return rule_urgency(h->rule) == URGENCY_APPLICATION;
}

static gboolean
of_writer(const struct rule_hit *h, gconstpointer data)
{
	return rule_writer(h->rule) == *(const enum writer *)data;
}

static gboolean
of_guard(const struct rule_hit *h, gconstpointer data)
{
	const struct rule_hit *first = data;

	return rule_risk(h->rule) == rule_risk(first->rule) &&
	       h->cleared == first->cleared;
}

/* "  ・label：quotes" (no quotes: "  ・label"). */
static void
add_item(GString *s, const char *label, const char *q)
{
	g_string_append_printf(s, "  ・%s%s%s\n", label, *q ? "：" : "", q);
}

char *
notify_reasons(const struct triage *t, enum writer w)
{
	static const struct triage none = { .urgency = URGENCY_NONE };
	GString *s = g_string_new(NULL);
	g_autoptr(GString) part = g_string_new(NULL);
	g_autofree char *app = NULL;

	if (t == NULL)
		t = &none;	/* not triaged (a partner's answer) */
	/* Each risk once, at its highest level, with its words. */
	for (int r = 0; t->hits != NULL && r < RISK_COUNT; r++) {
		enum risk risk = r;
		g_autofree char *q = NULL, *label = NULL;

		if (risk == RISK_NONE || t->risk[r] == RISK_LEVEL_NONE)
			continue;
		q = quotes(t->hits, of_risk, &risk);
		label = g_strdup_printf("%s（%s）", risk_label(risk),
					risk_level_label(t->risk[r]));
		add_item(part, label, q);
	}
	if (t->acute_by_sum)
		g_string_append(part, "  ・幾個強烈的徵兆合起來，判為緊急\n");
	if (part->len > 0) {
		g_string_append(s, t->urgency == URGENCY_EMERGENCY
					   ? "緊急的理由：\n"
					   : "可能的風險（未達緊急，請今天讀過）：\n");
		g_string_append(s, part->str);
		g_string_truncate(part, 0);
	}
	/* Signs a guard cleared, once per risk and reason: a person may
	 * disagree. */
	for (guint i = 0; t->cleared != NULL && i < t->cleared->len; i++) {
		const struct rule_hit *h =
			&g_array_index(t->cleared, struct rule_hit, i);
		g_autofree char *q = NULL, *label = NULL;
		gboolean before = FALSE;

		for (guint j = 0; j < i && !before; j++)
			before = of_guard(&g_array_index(t->cleared,
							 struct rule_hit, j),
					  h);
		if (before)
			continue;
		q = quotes(t->cleared, of_guard, h);
		label = g_strdup_printf("提到%s，但%s",
					risk_label(rule_risk(h->rule)),
					guard_label(h->cleared));
		add_item(part, label, q);
	}
	if (part->len > 0) {
		g_string_append(s, "已排除的風險（若不同意，請直接處理）：\n");
		g_string_append(s, part->str);
		g_string_truncate(part, 0);
	}
	for (guint i = 0; t->needs != NULL && i < t->needs->len; i++) {
		const char *need = t->needs->pdata[i];
		g_autofree char *q = NULL;

		if (strcmp(need, "crisis") == 0)
			continue;	/* the risks above say it */
		q = quotes(t->hits, of_need, need);
		add_item(part, need_label(need), q);
	}
	if (part->len > 0) {
		g_string_append(s, "需求：\n");
		g_string_append(s, part->str);
		g_string_truncate(part, 0);
	}
	app = quotes(t->hits, of_application, NULL);
	if (t->urgency == URGENCY_APPLICATION && *app != '\0') {
		g_string_append(s, "申請服務的字句：\n");
		add_item(s, app, "");
	}
	if (w != WRITER_UNKNOWN) {
		g_autofree char *q = quotes(t->hits, of_writer, &w);

		g_string_append(s, "來信者：\n");
		add_item(s, writer_label(w), q);
	}
	if (s->len == 0)
		g_string_append(s, "（規則沒有找到風險或需求）\n");
	return g_string_free(s, FALSE);
}

static void
add_line(GString *s, const char *label, const char *value)
{
	if (value != NULL && *value != '\0')
		g_string_append_printf(s, "  ・%s：%s\n", label, value);
}

char *
notify_contact(const struct identity *id, const char *reply)
{
	GString *s = g_string_new(NULL);
	g_autofree char *born = twtime_roc_day(id->birth_date);

	add_line(s, "姓名", id->name);
	add_line(s, "電話", id->phone);
	add_line(s, "電子郵件", reply != NULL ? reply : id->email);
	add_line(s, "地址", id->address);
	add_line(s, "出生日期", born);
	if (s->len == 0)
		g_string_append(s, "  ・來信者沒有留下聯絡方式（匿名），"
				   "只能等他再來信。\n");
	return g_string_free(s, FALSE);
}

char *
notify_staff_commands(const struct notify *n, GHashTable *vars)
{
	const struct template *t = g_hash_table_lookup(n->templates,
						       "staff-commands");

	return t != NULL ? template_expand(t->body, vars) : g_strdup("");
}

/* The fields of p that group g needs, one line each: never the letter,
 * never the ID; the police only what finding the person needs. */
static void
add_person(GString *s, const struct identity *p, enum group g)
{
	g_autofree char *born = twtime_roc_day(p->birth_date);
	const char *sex = p->sex == NULL ? NULL
			  : strcmp(p->sex, "M") == 0 ? "男"
			  : strcmp(p->sex, "F") == 0 ? "女"
						     : NULL;

	add_line(s, "姓名", p->name);
	add_line(s, "性別", sex);
	if (g != GROUP_EMPLOYMENT)
		add_line(s, "出生年月日", born);
	add_line(s, "聯絡電話", p->phone);
	if (g == GROUP_SOCIAL || g == GROUP_POLICE)
		add_line(s, "住址", p->address);
	if (g == GROUP_HEALTH || g == GROUP_EMPLOYMENT)
		add_line(s, "電子郵件", p->email);
}

enum status
notify_build_referral(const struct notify *n, const struct centre *c,
		      const char *referral_number, const char *token,
		      enum group g, const char *agency, const char *rcpt,
		      const struct identity *id, const char *writer,
		      const struct identity *client, const char *needs,
		      const char *due_date, GDateTime *now,
		      struct outgoing **out, struct err *err)
{
	g_autoptr(GHashTable) vars = new_vars();
	g_autoptr(GString) person = g_string_new(NULL);
	g_autofree char *case_number = g_strndup(referral_number, 16);
	gboolean named = client != NULL;
	enum writer kind = WRITER_UNKNOWN;
	gboolean other;
	struct spec sp = {
		.centre = c, .template = "referral", .vars = vars,
		.rcpt = rcpt, .to_name = agency, .token = token,
		.case_number = case_number,
		.auto_submitted = "auto-generated",
	};

	if (writer != NULL && !writer_parse(writer, &kind))
		kind = WRITER_UNKNOWN;
	/* Someone who wrote about another: a mother for her son. */
	other = kind == WRITER_FAMILY || kind == WRITER_FRIEND ||
		kind == WRITER_PUBLIC;

	if (named)
		add_person(person, client, g);
	else if (!other)
		add_person(person, id, g);
	else
		g_string_append(person, "  ・來信的不是當事人本人，也還沒有提供"
					"當事人的資料：請先與下面的聯絡人聯繫\n");
	if (person->len == 0)
		g_string_append(person, "  ・（當事人未留下可提供的資料）\n");
	if (other) {
		g_string_append_printf(person, "\n聯絡人（來信的%s，不是當事人"
				       "本人）：\n", writer_label(kind));
		add_line(person, "姓名", id->name);
		add_line(person, "聯絡電話", id->phone);
		add_line(person, "電子郵件", id->email);
	} else if (kind == WRITER_SELF) {
		g_string_append(person, "  ・來信者：當事人本人\n");
	}
	if (g == GROUP_POLICE)
		g_string_append(person,
				"\n本轉介僅供協尋、確認當事人安全之用；依毒品"
				"危害防制中心作業規定，轉介資料不得作為犯罪"
				"偵查之用。\n");
	g_hash_table_insert(vars, "referral_number",
			    (gpointer)referral_number);
	g_hash_table_insert(vars, "group_label", (gpointer)group_label(g));
	g_hash_table_insert(vars, "agency", (gpointer)agency);
	g_hash_table_insert(vars, "person", person->str);
	g_hash_table_insert(vars, "needs", (gpointer)needs);
	g_hash_table_insert(vars, "due_date", (gpointer)due_date);
	return build(n, &sp, now, out, err);
}

enum status
notify_build_relay(const struct notify *n, const struct centre *c,
		   const char *case_number, const char *token,
		   const char *rcpt, const char *message, GDateTime *now,
		   struct outgoing **out, struct err *err)
{
	g_autoptr(GHashTable) vars = new_vars();
	struct spec sp = {
		.centre = c, .template = "staff-reply", .vars = vars,
		.rcpt = rcpt, .token = token, .case_number = case_number,
		.auto_submitted = "no", .discreet_subject = "回覆您的來信",
	};

	g_hash_table_insert(vars, "message", (gpointer)message);
	return build(n, &sp, now, out, err);
}

enum status
notify_build_result(const struct notify *n, const struct centre *c,
		    const char *case_number, const char *token,
		    const char *referrer, const char *rcpt,
		    const char *result, GDateTime *now,
		    struct outgoing **out, struct err *err)
{
	g_autoptr(GHashTable) vars = new_vars();
	struct spec sp = {
		.centre = c, .template = "referrer-result", .vars = vars,
		.rcpt = rcpt, .to_name = referrer, .token = token,
		.case_number = case_number, .auto_submitted = "no",
	};

	g_hash_table_insert(vars, "agency",
			    (gpointer)(referrer != NULL ? referrer : "轉介單位"));
	g_hash_table_insert(vars, "message", (gpointer)result);
	return build(n, &sp, now, out, err);
}

enum status
notify_build_reminder(const struct notify *n, const struct centre *c,
		      const char *name, const char *rcpt, const char *items,
		      GDateTime *now, struct outgoing **out,
		      struct err *err)
{
	g_autoptr(GHashTable) vars = new_vars();
	struct spec sp = {
		.centre = c, .template = name, .vars = vars, .rcpt = rcpt,
		.auto_submitted = "auto-generated",
		.html = strcmp(name, "reminder-partner") != 0,
	};

	g_hash_table_insert(vars, "items", (gpointer)items);
	return build(n, &sp, now, out, err);
}

enum status
notify_build_staff(const struct notify *n, const struct centre *c,
		   const char *name, const char *case_number,
		   const char *token, const char *rcpt,
		   const char *in_reply_to, GHashTable *vars, GDateTime *now,
		   struct outgoing **out, struct err *err)
{
	return notify_build_staff_files(n, c, name, case_number, token, rcpt,
					in_reply_to, vars, NULL, now, out,
					err);
}

enum status
notify_build_staff_files(const struct notify *n, const struct centre *c,
			 const char *name, const char *case_number,
			 const char *token, const char *rcpt,
			 const char *in_reply_to, GHashTable *vars,
			 const GPtrArray *files, GDateTime *now,
			 struct outgoing **out, struct err *err)
{
	struct spec sp = {
		.centre = c, .template = name, .vars = vars, .rcpt = rcpt,
		.token = token, .in_reply_to = in_reply_to,
		.case_number = case_number,
		.auto_submitted = "auto-generated", .html = TRUE,
		.files = files,
	};

	return build(n, &sp, now, out, err);
}

const char *
notify_template_body(const struct notify *n, const char *name)
{
	const struct template *t = g_hash_table_lookup(n->templates, name);

	return t != NULL ? t->body : NULL;
}
