/*
 * Deciding what a message is.  Machine mail (bounces, auto-replies, our
 * own mail) is recognised first, from headers, so it can never open a
 * case or draw an answer; then mail from staff and partners; the rest is
 * a seeker's, a follow-up when it names a case.
 */
#include <pcre2.h>
#include <stdio.h>
#include <string.h>

#include "classify.h"
#include "form.h"

static const char *const kind_names[] = {
	"help_request", "seeker_followup", "staff_reply", "referral_reply",
	"auto_reply", "bounce", "spam", "other",
};

const char *
kind_name(enum kind k)
{
	return k <= KIND_OTHER ? kind_names[k] : "other";
}

gboolean
kind_is_seeker(enum kind k)
{
	return k == KIND_HELP_REQUEST || k == KIND_SEEKER_FOLLOWUP;
}

void
classification_free(struct classification *c)
{
	if (c == NULL)
		return;
	g_free(c->reply_addr);
	g_free(c->case_ref);
	g_free(c->subject);
	g_free(c->new_text);
	if (c->form != NULL)
		g_hash_table_destroy(c->form);
	triage_free(c->triage);
	g_free(c);
}

char *
case_ref_find(const char *s)
{
	static pcre2_code *re;
	pcre2_match_data *md;
	char *out = NULL;
	int code;
	PCRE2_SIZE off;

	if (s == NULL)
		return NULL;
	if (re == NULL) {
		/* COUNTY-ROC date (yyyMMdd)-sequence, not inside a word. */
		re = pcre2_compile(
			(PCRE2_SPTR) "(?<![A-Za-z0-9])([A-Z]{3})-(1[0-9]{2}"
				     "(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|"
				     "3[01]))-([0-9]{4})(?![0-9])",
			PCRE2_ZERO_TERMINATED, PCRE2_UTF, &code, &off, NULL);
		g_assert(re != NULL);
	}
	md = pcre2_match_data_create_from_pattern(re, NULL);
	for (PCRE2_SIZE start = 0;;) {
		PCRE2_SIZE *ov;
		int rc = pcre2_match(re, (PCRE2_SPTR)s, strlen(s), start, 0, md,
				     NULL);
		g_autofree char *cc = NULL;

		if (rc < 0)
			break;
		ov = pcre2_get_ovector_pointer(md);
		cc = g_strndup(s + ov[2], ov[3] - ov[2]);
		if (county_code_valid(cc)) {
			out = g_strndup(s + ov[0], ov[1] - ov[0]);
			break;
		}
		start = ov[1];
	}
	pcre2_match_data_free(md);
	return out;
}

static gboolean
addr_local_is(const char *addr, const char *const *locals)
{
	g_autofree char *low = NULL;
	char *at;

	if (addr == NULL)
		return FALSE;
	low = g_ascii_strdown(addr, -1);
	at = strchr(low, '@');
	if (at != NULL)
		*at = '\0';
	return g_strv_contains(locals, low);
}

static gboolean
is_bounce(const struct mail_msg *m)
{
	static const char *const daemons[] = {
		"mailer-daemon", "postmaster", "mail-daemon", NULL,
	};

	if (m->content_type != NULL &&
	    g_ascii_strcasecmp(m->content_type, "multipart/report") == 0 &&
	    m->report_type != NULL &&
	    strcmp(m->report_type, "delivery-status") == 0)
		return TRUE;
	return addr_local_is(m->from_addr, daemons);
}

/* Subject openings of out-of-office and vacation notices. */
static const char *const auto_subjects[] = {
	"自動回覆", "自動回復", "自动回复", "自動答覆", "auto:",
	"automatic reply", "autoreply", "auto-reply", "out of office",
	"out of the office", "不在辦公室", "休假通知", "外出通知", NULL,
};

static gboolean
is_auto_reply(const struct mail_msg *m)
{
	g_autofree char *subj = g_utf8_casefold(m->subject, -1);
	const char *s = subj;

	if (m->auto_submitted != NULL &&
	    g_ascii_strncasecmp(m->auto_submitted, "no", 2) != 0)
		return TRUE;
	if (m->x_autoreply)
		return TRUE;
	if (m->precedence != NULL &&
	    (g_ascii_strcasecmp(m->precedence, "auto_reply") == 0 ||
	     g_ascii_strcasecmp(m->precedence, "bulk") == 0 ||
	     g_ascii_strcasecmp(m->precedence, "junk") == 0))
		return TRUE;
	while (*s == ' ' || *s == '[')
		s++;
	for (int i = 0; auto_subjects[i] != NULL; i++)
		if (g_str_has_prefix(s, auto_subjects[i]))
			return TRUE;
	return FALSE;
}

static gboolean
in_list(char **list, const char *addr)
{
	for (int i = 0; list != NULL && list[i] != NULL; i++)
		if (g_ascii_strcasecmp(list[i], addr) == 0)
			return TRUE;
	return FALSE;
}

/* The centre a staff member or partner belongs to, by From. */
static enum kind
kind_by_sender(const struct config *cfg, const char *from)
{
	if (cfg == NULL || from == NULL)
		return KIND_HELP_REQUEST;
	for (guint i = 0; i < cfg->centres->len; i++) {
		const struct centre *c = cfg->centres->pdata[i];

		if (in_list(c->staff, from) ||
		    (c->duty != NULL && g_ascii_strcasecmp(c->duty, from) == 0))
			return KIND_STAFF_REPLY;
		for (int g = 0; g < GROUP_COUNT; g++)
			if (in_list(c->partners[g], from))
				return KIND_REFERRAL_REPLY;
	}
	return KIND_HELP_REQUEST;
}

static const char *
county_from_to(const struct config *cfg, const struct mail_msg *m)
{
	for (guint i = 0; i < m->to->len; i++) {
		const char *a = m->to->pdata[i];
		const struct centre *c;
		g_autofree char *local = NULL;
		const char *at;

		if (cfg != NULL && (c = config_centre_by_address(cfg, a)))
			return c->code;
		at = strchr(a, '@');
		if (at == NULL ||
		    g_ascii_strcasecmp(at + 1, "centers.moj-help.example") != 0)
			continue;
		local = g_ascii_strup(a, at - a);
		if (county_code_valid(local))
			return g_intern_string(local);
	}
	return NULL;
}

/* The writer's own words: quoted lines ("> ...") left out. */
static char *
strip_quotes(const char *text)
{
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
	GString *out = g_string_new(NULL);

	for (int i = 0; lines[i] != NULL; i++) {
		const char *l = lines[i];

		while (*l == ' ')
			l++;
		if (*l == '>')
			continue;
		g_string_append(out, lines[i]);
		g_string_append_c(out, '\n');
	}
	return g_string_free(out, FALSE);
}

static gboolean
is_form(const struct mail_msg *m)
{
	return m->form_version > 0 ||
	       (m->from_addr != NULL &&
		g_ascii_strcasecmp(m->from_addr, FORM_FROM_ADDRESS) == 0) ||
	       g_str_has_prefix(m->subject, FORM_SUBJECT_PREFIX);
}

static char *
subject_without_prefix(const char *s)
{
	if (g_str_has_prefix(s, FORM_SUBJECT_PREFIX))
		s += strlen(FORM_SUBJECT_PREFIX);
	return g_strstrip(g_strdup(s));
}

enum status
classify_mail(const struct classify_ctx *ctx, const struct mail_msg *m,
	      struct classification **out, struct err *err)
{
	struct classification *c = g_new0(struct classification, 1);
	const char *county = NULL;
	enum status st = ST_OK;

	c->from_form = is_form(m);
	c->subject = subject_without_prefix(m->subject);
	if (c->from_form)
		c->form = form_parse(m->text);
	if (ctx->cfg != NULL &&
	    config_centre_by_address(ctx->cfg, m->from_addr) != NULL)
		c->own_mail = TRUE;

	if (is_bounce(m))
		c->kind = KIND_BOUNCE;
	else if (is_auto_reply(m))
		c->kind = KIND_AUTO_REPLY;
	else if (c->own_mail)
		c->kind = KIND_OTHER;
	else if (!c->from_form)
		c->kind = kind_by_sender(ctx->cfg, m->from_addr);
	else
		c->kind = KIND_HELP_REQUEST;

	c->case_ref = case_ref_find(m->subject);
	for (guint i = 0; c->case_ref == NULL && i < m->references->len; i++)
		c->case_ref = case_ref_find(m->references->pdata[i]);
	if (c->case_ref == NULL && m->in_reply_to != NULL)
		c->case_ref = case_ref_find(m->in_reply_to);
	if (c->case_ref == NULL && c->kind != KIND_BOUNCE)
		c->case_ref = case_ref_find(m->text);
	if (c->kind == KIND_HELP_REQUEST && c->case_ref != NULL)
		c->kind = KIND_SEEKER_FOLLOWUP;

	/* The centre: the mailbox it came to, else To, form, or text. */
	county = ctx->mailbox_county;
	if (county == NULL)
		county = county_from_to(ctx->cfg, m);
	if (county == NULL && c->form != NULL)
		county = county_code_for_name(
			g_hash_table_lookup(c->form, "求助縣市"));
	if (county == NULL && kind_is_seeker(c->kind))
		county = county_code_for_name(m->text);
	if (county != NULL)
		g_strlcpy(c->county, county, sizeof c->county);

	/* Answers go to the writer: never to the webpage's own From. */
	if (kind_is_seeker(c->kind) && m->list_id == NULL) {
		const char *to = m->reply_to;

		if (c->from_form && to == NULL && c->form != NULL)
			to = g_hash_table_lookup(c->form, "電子郵件");
		if (!c->from_form && to == NULL)
			to = m->from_addr;
		if (to != NULL && address_valid(to) &&
		    g_ascii_strcasecmp(to, FORM_FROM_ADDRESS) != 0)
			c->reply_addr = g_strdup(to);
	}

	if (c->form != NULL && g_hash_table_contains(c->form, "內容")) {
		const char *subj = g_hash_table_lookup(c->form, "主旨");

		c->new_text = g_strdup_printf(
			"%s\n%s", subj != NULL ? subj : "",
			(const char *)g_hash_table_lookup(c->form, "內容"));
	} else {
		g_autofree char *body = strip_quotes(m->text);

		c->new_text = g_strdup_printf("%s\n%s", c->subject, body);
	}
	if (kind_is_seeker(c->kind))
		st = rules_triage(ctx->rules, c->new_text, &c->triage, err);
	if (st != ST_OK) {
		classification_free(c);
		return st;
	}
	*out = c;
	return ST_OK;
}

JsonNode *
classification_to_json(const struct classification *c, const char *file)
{
	g_autoptr(JsonBuilder) b = json_builder_new();

	json_builder_begin_object(b);
	json_builder_set_member_name(b, "file");
	json_builder_add_string_value(b, file);
	json_builder_set_member_name(b, "kind");
	json_builder_add_string_value(b, kind_name(c->kind));
	json_builder_set_member_name(b, "county");
	if (c->county[0])
		json_builder_add_string_value(b, c->county);
	else
		json_builder_add_null_value(b);
	json_builder_set_member_name(b, "urgency");
	if (c->triage != NULL)
		json_builder_add_string_value(b,
					      urgency_name(c->triage->urgency));
	else
		json_builder_add_null_value(b);
	json_builder_set_member_name(b, "needs");
	json_builder_begin_array(b);
	for (guint i = 0; c->triage != NULL && i < c->triage->needs->len; i++)
		json_builder_add_string_value(b, c->triage->needs->pdata[i]);
	json_builder_end_array(b);
	json_builder_set_member_name(b, "case_ref");
	if (c->case_ref != NULL)
		json_builder_add_string_value(b, c->case_ref);
	else
		json_builder_add_null_value(b);
	json_builder_set_member_name(b, "reasons");
	json_builder_begin_array(b);
	for (guint i = 0; c->triage != NULL && i < c->triage->hits->len; i++) {
		const struct rule_hit *h =
			&g_array_index(c->triage->hits, struct rule_hit, i);
		const char *vote = rule_urgency(h->rule) != URGENCY_NONE
					   ? urgency_name(rule_urgency(h->rule))
					   : rule_need(h->rule);

		json_builder_begin_object(b);
		json_builder_set_member_name(b, "rule");
		json_builder_add_string_value(b, rule_id(h->rule));
		json_builder_set_member_name(b, "vote");
		json_builder_add_string_value(b, vote);
		json_builder_set_member_name(b, "weight");
		json_builder_add_int_value(b, rule_weight(h->rule));
		json_builder_set_member_name(b, "match");
		json_builder_add_string_value(b, h->match);
		json_builder_set_member_name(b, "start");
		json_builder_add_int_value(b, h->start);
		json_builder_set_member_name(b, "end");
		json_builder_add_int_value(b, h->end);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
	json_builder_end_object(b);
	return json_builder_get_root(b);
}
