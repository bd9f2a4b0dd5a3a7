/*
 * Deciding what a message is.  Machine mail (bounces, auto-replies, our
 * own mail) is recognised first, from headers, so it can never open a
 * case or draw an answer; then mail from staff and partners; the rest is
 * a seeker's, a follow-up when it names a case.
 */
#include <pcre2.h>
#include <stdio.h>
#include <string.h>

#include "charset.h"
#include "classify.h"
#include "content.h"
#include "form.h"
#include "quote.h"

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
	g_free(c->referrer_addr);
	g_free(c->referrer_unit);
	if (c->form != NULL)
		g_hash_table_destroy(c->form);
	triage_free(c->triage);
	identity_clear(&c->identity);
	g_free(c);
}

char *
case_ref_find(const char *s)
{
	static pcre2_code *re;
	static gsize once;
	pcre2_match_data *md;
	char *out = NULL;
	size_t len;
	int code;
	PCRE2_SIZE off;

	/* Every case number has "-1" (ROC years 100 to 199): a cheap test. */
	if (s == NULL || strstr(s, "-1") == NULL)
		return NULL;
	if (g_once_init_enter(&once)) {
		/* COUNTY-ROC date (yyyMMdd)-sequence, not inside a word.
		 * ASCII alone: read as bytes, with no UTF-8 to check, and
		 * compiled to machine code, as it reads whole letters. */
		re = pcre2_compile(
			(PCRE2_SPTR) "(?<![A-Za-z0-9])([A-Z]{3})-(1[0-9]{2}"
				     "(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|"
				     "3[01]))-([0-9]{4})(?![0-9])"
				     "(?:-R[0-9]+)?",
			PCRE2_ZERO_TERMINATED, 0, &code, &off, NULL);
		g_assert(re != NULL);
		pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
		g_once_init_leave(&once, 1);
	}
	len = strlen(s);
	md = pcre2_match_data_create_from_pattern(re, NULL);
	for (PCRE2_SIZE start = 0;;) {
		PCRE2_SIZE *ov;
		int rc = pcre2_match(re, (PCRE2_SPTR)s, len, start, 0, md,
				     NULL);
		g_autofree char *cc = NULL;

		if (rc < 0)
			break;
		ov = pcre2_get_ovector_pointer(md);
		cc = g_strndup(s + ov[2], ov[3] - ov[2]);
		if (county_code_valid(cc)) {
			/* A referral's "-R1" names the case it belongs to. */
			out = g_strndup(s + ov[0], ov[7] - ov[0]);
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

/*
 * A delivery report that is no multipart/report and comes from no
 * mailer-daemon address (Exchange's MicrosoftExchange..., a relay's own
 * name): sent with the null sender, or by a mail system's mailbox, under
 * the subject mail systems give their reports.  A person forwarding one
 * ("Fwd: Undeliverable") has an address of his own.
 */
static gboolean
bounce_by_form(const struct mail_msg *m)
{
	static const char *const subjects[] = {
		"undeliverable", "undelivered", "delivery status notification",
		"delivery failure", "delivery has failed", "delivery failed",
		"failure notice", "returned mail", "non-delivery",
		"nondeliverable", "delivery delayed", "delayed mail",
		"無法傳遞", "無法投遞", "无法投递", "无法传递", "退信",
		"傳遞失敗", "投遞失敗", "投递失败", "遞送失敗", "递送失败", NULL,
	};
	g_autofree char *subj = NULL;
	g_autofree char *from = m->from_addr != NULL
					? g_ascii_strdown(m->from_addr, -1)
					: NULL;
	gboolean null_sender = m->return_path != NULL &&
			       *m->return_path == '\0';
	gboolean system = from != NULL &&
			  (g_str_has_prefix(from, "microsoftexchange") ||
			   strstr(from, "mailer-daemon") != NULL ||
			   strstr(from, "postmaster") != NULL);

	if (!null_sender && !system)
		return FALSE;
	subj = g_utf8_casefold(m->subject, -1);
	for (int i = 0; subjects[i] != NULL; i++)
		if (strstr(subj, subjects[i]) != NULL)
			return TRUE;
	return FALSE;
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
	    g_ascii_strcasecmp(m->precedence, "auto_reply") == 0)
		return TRUE;
	/* "[Auto]", "【休假通知】": a bracket may open the subject. */
	for (;;) {
		if (*s == ' ' || *s == '[' || *s == '(')
			s++;
		else if (g_str_has_prefix(s, "【") || g_str_has_prefix(s, "（"))
			s += strlen("【");
		else
			break;
	}
	for (int i = 0; auto_subjects[i] != NULL; i++)
		if (g_str_has_prefix(s, auto_subjects[i]))
			return TRUE;
	return FALSE;
}

/* Mailing lists and bulk mail: never a letter to the centre. */
static gboolean
is_list(const struct mail_msg *m)
{
	return m->list_id != NULL ||
	       (m->precedence != NULL &&
		(g_ascii_strcasecmp(m->precedence, "bulk") == 0 ||
		 g_ascii_strcasecmp(m->precedence, "list") == 0 ||
		 g_ascii_strcasecmp(m->precedence, "junk") == 0));
}

/*
 * Whether from is centre staff: named in the config, or writing from the
 * centres' own mail domain (tpe.centers.example for centers.example)
 * without being a centre's mailbox itself.
 */
static gboolean
is_staff(const struct config *cfg, const struct mail_msg *m)
{
	const char *from = m->from_addr, *fd = address_domain(from);

	if (from == NULL)
		return FALSE;
	if (cfg != NULL) {
		for (guint i = 0; i < cfg->centres->len; i++) {
			const struct centre *c = cfg->centres->pdata[i];

			if (centre_staff(c, from))
				return TRUE;
			if (g_ascii_strcasecmp(c->address, from) != 0 &&
			    domain_within(fd, address_domain(c->address)))
				return TRUE;
		}
		return FALSE;
	}
	/* Without a config: the domain of the centre mailbox written to. */
	for (guint i = 0; i < m->to->len; i++) {
		const char *to = m->to->pdata[i];
		const char *td = address_domain(to);

		if (g_ascii_strcasecmp(to, from) != 0 &&
		    county_code_for_address(to) != NULL &&
		    domain_within(fd, td))
			return TRUE;
	}
	return FALSE;
}

static gboolean
is_partner(const struct config *cfg, const char *from)
{
	if (cfg == NULL || from == NULL)
		return FALSE;
	for (guint i = 0; i < cfg->centres->len; i++) {
		const struct centre *c = cfg->centres->pdata[i];

		for (int g = 0; g < GROUP_COUNT; g++)
			if (address_in(c->partners[g], from))
				return TRUE;
	}
	return FALSE;
}

/* An answer to one of our referral notices: "-R1" refs or subject. */
static gboolean
answers_referral(const struct mail_msg *m)
{
	static const char *const marks[] = { "referral.", "-R1", "-R2",
					     "-R3", "-R4", "-R5", NULL };
	GPtrArray *refs = m->references;

	for (guint i = 0; i <= refs->len; i++) {
		const char *r = i < refs->len ? refs->pdata[i]
					      : m->in_reply_to;

		for (int k = 0; r != NULL && marks[k] != NULL; k++)
			if (strstr(r, marks[k]) != NULL)
				return TRUE;
	}
	/* "[轉介 KHH-1151109-0004-R1]" names one of ours; a bare "[轉介]"
	 * is an agency referring someone in (docs/referral-mail.md). */
	return strstr(m->subject, "[轉介 ") != NULL;
}

static const char *
county_from_to(const struct config *cfg, const struct mail_msg *m)
{
	for (guint i = 0; i < m->to->len; i++) {
		const char *a = m->to->pdata[i];
		const struct centre *c;
		const char *code;

		if (cfg != NULL && (c = config_centre_by_address(cfg, a)))
			return c->code;
		code = county_code_for_address(a);
		if (code != NULL)
			return code;
	}
	return NULL;
}

static gboolean
is_form(const struct mail_msg *m)
{
	return m->form_version > 0 ||
	       (m->from_addr != NULL &&
		g_ascii_strcasecmp(m->from_addr, FORM_FROM_ADDRESS) == 0) ||
	       g_str_has_prefix(m->subject, FORM_SUBJECT_PREFIX);
}

/*
 * A referral by mail (docs/referral-mail.md): a subject tag, from an
 * address the centre names as a referrer.  Returns the case source, or
 * NULL.  Without a mailbox (classify FILE), any centre's referrers
 * count.
 */
static const char *
referral_source(const struct classify_ctx *ctx, const struct mail_msg *m)
{
	gboolean dispatch = strstr(m->subject, "[派案]") != NULL;
	gboolean record = strstr(m->subject, "[諮詢紀錄]") != NULL;
	gboolean referral = strstr(m->subject, "[轉介]") != NULL;
	enum referrer r = REFERRER_COUNT;

	if (ctx->cfg == NULL || !(dispatch || record || referral))
		return NULL;
	for (guint i = 0; i < ctx->cfg->centres->len && r == REFERRER_COUNT;
	     i++) {
		const struct centre *c = ctx->cfg->centres->pdata[i];

		if (ctx->mailbox_county != NULL &&
		    strcmp(c->code, ctx->mailbox_county) != 0)
			continue;
		if (!config_referrer(c, m->from_addr, &r))
			r = REFERRER_COUNT;
	}
	if (r == REFERRER_COUNT)
		return NULL;
	if (r == REFERRER_DISPATCH)
		return record ? "hotline" : "dispatch";
	return referral ? referrer_key(r) : NULL;
}

/*
 * Where a referral's result is owed: its 回覆信箱 (back) or Reply-To
 * when at the domain of the sender the centre lists, else the sender.
 * The result names the person referred: a form's word alone never
 * sends it to a mailbox the centre does not know.  A new string.
 */
static char *
referrer_reply(const struct mail_msg *m, const char *back)
{
	const char *dom = address_domain(m->from_addr);
	const char *const tries[] = { back, m->reply_to };

	for (size_t i = 0; i < G_N_ELEMENTS(tries); i++)
		if (address_valid(tries[i]) && dom != NULL &&
		    g_ascii_strcasecmp(address_domain(tries[i]), dom) == 0)
			return g_strdup(tries[i]);
	return address_valid(m->from_addr) ? g_strdup(m->from_addr) : NULL;
}

static char *
subject_without_prefix(const char *s)
{
	if (g_str_has_prefix(s, FORM_SUBJECT_PREFIX))
		s += strlen(FORM_SUBJECT_PREFIX);
	return g_strstrip(g_strdup(s));
}

/* How often the text says "I" (我, 本人, I, I'm, me). */
static int
first_person(const char *text)
{
	static const char wo[] = "我";
	int n = 0;

	/* One pass: no strstr() from each hit, which rescans the rest. */
	for (const char *p = text; *p; p++) {
		if (p[0] == wo[0] && p[1] == wo[1] && p[2] == wo[2]) {
			n++;
			p += 2;
		} else if ((p == text || !g_ascii_isalpha(p[-1])) &&
			   ((p[0] == 'I' && (p[1] == ' ' || p[1] == '\'')) ||
			    (p[0] == 'm' && p[1] == 'e' &&
			     !g_ascii_isalpha(p[2])))) {
			n++;
		}
	}
	return n;
}

/* Whether the text speaks of someone else: 他, 她, he, she. */
static gboolean
third_person(const char *text)
{
	return strstr(text, "他") != NULL || strstr(text, "她") != NULL ||
	       strstr(text, "he ") != NULL || strstr(text, "she ") != NULL ||
	       strstr(text, "He ") != NULL || strstr(text, "She ") != NULL;
}

/* The writer by the form's 求助者身分, if it says. */
static enum writer
writer_from_form(GHashTable *form)
{
	const char *v = form ? g_hash_table_lookup(form, "求助者身分") : NULL;

	if (v == NULL)
		return WRITER_UNKNOWN;
	if (strstr(v, "本人") != NULL)
		return WRITER_SELF;
	if (strstr(v, "家屬") != NULL || strstr(v, "家人") != NULL)
		return WRITER_FAMILY;
	if (strstr(v, "朋友") != NULL)
		return WRITER_FRIEND;
	if (strstr(v, "民眾") != NULL)
		return WRITER_PUBLIC;
	return WRITER_UNKNOWN;
}

/*
 * Who wrote: the form says, unless the letter says otherwise ("I ticked
 * 一般民眾, but it is me"); in free mail, what the words point to most.
 */
static enum writer
decide_writer(const struct classification *c)
{
	/* On a tie the other person wins: "self" is also the fallback. */
	static const enum writer order[] = {
		WRITER_FAMILY, WRITER_FRIEND, WRITER_PUBLIC, WRITER_SELF,
	};
	const int *sc = c->triage->writer_score;
	enum writer form = writer_from_form(c->form), best = WRITER_UNKNOWN;
	int top = 0;

	for (size_t i = 0; i < G_N_ELEMENTS(order); i++)
		if (sc[order[i]] > top) {
			top = sc[order[i]];
			best = order[i];
		}
	if (form != WRITER_UNKNOWN) {
		/*
		 * 一般民眾 is the box people tick to stay out of sight; a plain
		 * "it is me" in the letter outweighs it.  戒毒者本人 is the
		 * one some tick for "the person who uses": a letter with no
		 * sign of the writer's own use and a clear one of another
		 * side outweighs it too.  Other boxes stand: a parent's
		 * letter is full of "my son".
		 */
		if (best != WRITER_UNKNOWN && best != form &&
		    top >= RULES_WRITER_STATEMENT_AT)
			return best;
		if (form == WRITER_PUBLIC && best == WRITER_SELF &&
		    top >= RULES_WRITER_OVERRIDE_AT)
			return WRITER_SELF;
		if ((form == WRITER_PUBLIC || form == WRITER_SELF) &&
		    best != WRITER_UNKNOWN && best != form &&
		    top >= RULES_WRITER_OVERRIDE_AT &&
		    sc[form] < RULES_WRITER_AT)
			return best;
		return form;
	}
	if (top >= RULES_WRITER_AT)
		return best;
	/*
	 * No one else in sight: the writer's own letter when it speaks of
	 * "I", writes again on its case ("收到，禮拜一過去找妳"), or names
	 * no one at all, as Chinese leaves "I" out ("出來以後可以去職訓
	 * 嗎").  A "he" or "she" no rule could place stays unknown.
	 */
	if (first_person(c->new_text) >= 1 ||
	    c->kind == KIND_SEEKER_FOLLOWUP || !third_person(c->new_text))
		return WRITER_SELF;
	return WRITER_UNKNOWN;
}

/*
 * Whether the domain of addr is made to look like one it is not: a
 * centre's (mail-moj-help.example.com for centers.moj-help.example), a
 * government's outside .gov.tw (nhi-gov-tw.example.com), or written in
 * punycode.  Centre domains are the config's, else those of the centre
 * mailboxes the mail was sent to.
 */
static gboolean
domain_looks_alike(const struct classify_ctx *ctx, const struct mail_msg *m,
		   const char *addr)
{
	static const char *const plain[] = {
		"mail", "email", "centers", "center", "centre", "example",
		"www", "com", "org", "net", "gov", "edu", "help", NULL,
	};
	const char *d = address_domain(addr);
	g_autofree char *low = NULL;
	g_auto(GStrv) tokens = NULL;
	GPtrArray *ours;
	gboolean alike = FALSE;

	if (d == NULL || *d == '\0')
		return FALSE;
	low = g_ascii_strdown(d, -1);
	if (strstr(low, "xn--") != NULL)
		return TRUE;
	/* "gov" as a word of a domain that is not a government's. */
	tokens = g_strsplit_set(low, ".-", -1);
	for (int i = 0; tokens[i] != NULL && !alike; i++)
		alike = strcmp(tokens[i], "gov") == 0;
	if (alike && !g_str_has_suffix(low, ".gov.tw") &&
	    !g_str_has_suffix(low, ".gov"))
		return TRUE;
	alike = FALSE;
	ours = g_ptr_array_new();
	if (ctx->cfg != NULL)
		for (guint i = 0; i < ctx->cfg->centres->len; i++) {
			const char *od = address_domain(
				((const struct centre *)
					 ctx->cfg->centres->pdata[i])->address);

			/* The centres mostly share one domain: once. */
			if (od != NULL && !g_ptr_array_find_with_equal_func(
						  ours, od, g_str_equal, NULL))
				g_ptr_array_add(ours, (gpointer)od);
		}
	else
		for (guint i = 0; i < m->to->len; i++)
			if (county_code_for_address(m->to->pdata[i]) != NULL)
				g_ptr_array_add(ours, (gpointer)address_domain(
							      m->to->pdata[i]));
	/* A distinctive label of ours ("moj-help") in a domain not ours. */
	for (guint i = 0; i < ours->len && !alike; i++) {
		const char *od = ours->pdata[i];
		g_auto(GStrv) labels = NULL;

		/* Ours, or a parent of ours (the ministry's own). */
		if (od == NULL || domain_within(low, od) ||
		    domain_within(od, low))
			continue;
		labels = g_strsplit(od, ".", -1);
		for (int k = 0; labels[k] != NULL && !alike; k++) {
			g_autofree char *l = g_ascii_strdown(labels[k], -1);

			alike = strlen(l) >= 4 && !g_strv_contains(plain, l) &&
				strstr(low, l) != NULL;
		}
	}
	g_ptr_array_free(ours, TRUE);
	return alike;
}

/*
 * Spam told from the message's form, not its words: links that show one
 * address and go to another, a sender or Reply-To made to look like us
 * or a government.  A weight on the kind rules' scale (RULES_KIND_AT):
 * one sign alone is not enough, as a seeker's mail client may rewrite a
 * link, so it adds to what the words say; both together decide alone.
 */
static int
spam_by_form(const struct classify_ctx *ctx, const struct mail_msg *m)
{
	int w = 0;

	if (m->link_mismatches > 0)
		w += 6;
	if (domain_looks_alike(ctx, m, m->from_addr) ||
	    domain_looks_alike(ctx, m, m->reply_to))
		w += 6;
	return w;
}

/* The bytes of one encoded word's text ("B" base64 or "Q"). */
static void
encoded_word_bytes(GByteArray *out, char enc, const char *t, size_t len)
{
	if (enc == 'B' || enc == 'b') {
		/* Each word alone: padding ends one word, not the run. */
		g_autofree char *s = g_strndup(t, len);
		gsize n = 0;
		g_autofree guchar *b = g_base64_decode(s, &n);

		g_byte_array_append(out, b, n);
		return;
	}
	for (size_t i = 0; i < len; i++) {
		guint8 c = (guint8)t[i];

		if (c == '_')
			c = ' ';
		else if (c == '=' && i + 2 < len && g_ascii_isxdigit(t[i + 1]) &&
			 g_ascii_isxdigit(t[i + 2])) {
			c = (guint8)(g_ascii_xdigit_value(t[i + 1]) * 16 +
				     g_ascii_xdigit_value(t[i + 2]));
			i += 2;
		}
		g_byte_array_append(out, &c, 1);
	}
}

/*
 * One line with its encoded words (RFC 2047) decoded, appended to out.
 * Adjacent words of one charset are joined as bytes before conversion,
 * as a mailer may split a character, or a case number, between them.
 */
static void
encoded_line_decode(GString *out, const char *line)
{
	static GRegex *word_re;
	static gsize once;
	g_autoptr(GByteArray) run = g_byte_array_new();
	g_autofree char *run_cs = NULL;
	GMatchInfo *mi = NULL;
	const char *p = line;

	if (g_once_init_enter(&once)) {
		word_re = g_regex_new("=\\?([^?\\s]+)\\?([BbQq])\\?([^?\\s]*)"
				      "\\?=",
				      G_REGEX_RAW, 0, NULL);
		g_assert(word_re != NULL);
		g_once_init_leave(&once, 1);
	}
	g_regex_match(word_re, line, 0, &mi);
	while (g_match_info_matches(mi)) {
		int s0, e0, s1, e1, s2, e2, s3, e3;
		g_autofree char *cs = NULL;
		gboolean blank = TRUE;

		g_match_info_fetch_pos(mi, 0, &s0, &e0);
		g_match_info_fetch_pos(mi, 1, &s1, &e1);
		g_match_info_fetch_pos(mi, 2, &s2, &e2);
		g_match_info_fetch_pos(mi, 3, &s3, &e3);
		cs = g_ascii_strdown(line + s1, e1 - s1);
		for (const char *q = p; q < line + s0; q++)
			blank = blank && g_ascii_isspace(*q);
		/* Words apart only by blanks, in one charset: one run. */
		if (run->len > 0 && !(blank && g_strcmp0(cs, run_cs) == 0)) {
			guint bad = 0;
			g_autofree char *u = charset_to_utf8(
				(char *)run->data, run->len, run_cs, &bad, NULL);

			g_string_append(out, u);
			g_byte_array_set_size(run, 0);
		}
		if (run->len == 0)
			g_string_append_len(out, p, line + s0 - p);
		g_free(run_cs);
		run_cs = g_steal_pointer(&cs);
		encoded_word_bytes(run, line[s2], line + s3, e3 - s3);
		p = line + e0;
		g_match_info_next(mi, NULL);
	}
	g_match_info_free(mi);
	if (run->len > 0) {
		guint bad = 0;
		g_autofree char *u = charset_to_utf8((char *)run->data,
						     run->len, run_cs, &bad,
						     NULL);

		g_string_append(out, u);
	}
	g_string_append(out, p);
	g_string_append_c(out, '\n');
}

/*
 * Encoded words (RFC 2047) decoded in the header lines of a text: the
 * returned headers of a DSN (text/rfc822-headers is kept raw) or the
 * original an old-style bounce pastes into its body carry the subject,
 * and its case number, as "=?UTF-8?B?...?=".  Folded lines are joined
 * first, as a split number spans two encoded words.  Returns a new
 * string of the decoded lines only, or NULL when there are none.
 */
static char *
encoded_words_decode(const char *s)
{
	g_auto(GStrv) lines = NULL;
	GString *unfolded, *out;

	if (s == NULL || strstr(s, "=?") == NULL)
		return NULL;
	unfolded = g_string_sized_new(MIN(strlen(s), CLASSIFY_TEXT_MAX));
	for (const char *p = s; *p && unfolded->len < CLASSIFY_TEXT_MAX;
	     p++) {
		if (*p == '\r')
			continue;
		if (*p == '\n' && (p[1] == ' ' || p[1] == '\t')) {
			g_string_append_c(unfolded, ' ');
			while (p[1] == ' ' || p[1] == '\t')
				p++;
			continue;
		}
		g_string_append_c(unfolded, *p);
	}
	lines = g_strsplit(unfolded->str, "\n", -1);
	g_string_free(unfolded, TRUE);
	out = g_string_new(NULL);
	for (int i = 0; lines[i] != NULL; i++)
		if (strstr(lines[i], "=?") != NULL && strlen(lines[i]) <= 8192)
			encoded_line_decode(out, lines[i]);
	if (out->len == 0) {
		g_string_free(out, TRUE);
		return NULL;
	}
	return g_string_free(out, FALSE);
}

/* A case number in s, or in its encoded words decoded; NULL if none. */
static char *
case_ref_find_decoded(const char *s)
{
	char *ref = case_ref_find(s);
	g_autofree char *dec = NULL;

	if (ref != NULL)
		return ref;
	dec = encoded_words_decode(s);
	return case_ref_find(dec);
}

/*
 * Whether the Message-ID id (without <>) is one we sent: its domain is
 * a centre mailbox's domain or within it (ours are "lamplight.X.Y@
 * centers.example"; a centre's own mail client's are alike).  Without a
 * config, the domain of a centre mailbox the mail was sent to.
 */
static gboolean
message_id_ours(const struct classify_ctx *ctx, const struct mail_msg *m,
		const char *id)
{
	const char *d = address_domain(id);

	if (d == NULL || *d == '\0')
		return FALSE;
	if (ctx->cfg != NULL) {
		for (guint i = 0; i < ctx->cfg->centres->len; i++) {
			const struct centre *c = ctx->cfg->centres->pdata[i];

			if (domain_within(d, address_domain(c->address)))
				return TRUE;
		}
		return FALSE;
	}
	for (guint i = 0; i < m->to->len; i++) {
		const char *to = m->to->pdata[i];

		if (county_code_for_address(to) != NULL &&
		    domain_within(d, address_domain(to)))
			return TRUE;
	}
	return FALSE;
}

/* The Message-ID of a returned message ("Message-ID: <x@y>"), or NULL. */
static char *
returned_message_id(const char *s)
{
	static const char key[] = "message-id:";
	const char *p = s;

	for (; p != NULL && *p; p++) {
		const char *lt, *gt;

		if (g_ascii_strncasecmp(p, key, sizeof key - 1) != 0 ||
		    (p != s && p[-1] != '\n'))
			continue;
		lt = strchr(p, '<');
		gt = lt != NULL ? strchr(lt, '>') : NULL;
		if (gt == NULL || gt - lt > 998 ||
		    memchr(lt, '\n', gt - lt) != NULL)
			return NULL;
		return g_strndup(lt + 1, gt - lt - 1);
	}
	return NULL;
}

/*
 * The message of ours that m answers, as "<id>": In-Reply-To, else the
 * newest of References that is ours, else (a bounce) the returned
 * message's own id.  NULL when none is ours.
 */
static char *
our_message_ref(const struct classify_ctx *ctx, const struct mail_msg *m,
		const struct classification *c)
{
	g_autofree char *returned = NULL;

	if (m->in_reply_to != NULL && message_id_ours(ctx, m, m->in_reply_to))
		return g_strdup_printf("<%s>", m->in_reply_to);
	for (guint i = m->references->len; i > 0; i--)
		if (message_id_ours(ctx, m, m->references->pdata[i - 1]))
			return g_strdup_printf("<%s>",
					       (char *)m->references->pdata[i - 1]);
	if (c->kind != KIND_BOUNCE)
		return NULL;
	returned = returned_message_id(m->report);
	if (returned == NULL)
		returned = returned_message_id(m->text);
	if (returned != NULL && message_id_ours(ctx, m, returned))
		return g_strdup_printf("<%s>", returned);
	return NULL;
}

/*
 * The case a message refers to, wherever people leave its number: the
 * subject; the ids it answers (ours carry the number); a bounce's
 * returned headers, or the original an old bounce pastes in, encoded
 * subjects decoded; what the writer wrote; the quoted history (a new
 * subject over a quote of our mail, an auto-reply quoting the
 * original).  Failing a number, the message of ours it answers, as
 * "<id>".  A new string, or NULL.
 */
static char *
case_ref_locate(const struct classify_ctx *ctx, const struct mail_msg *m,
		const struct classification *c)
{
	char *ref = case_ref_find(m->subject);
	g_autofree char *text = NULL;

	for (guint i = 0; ref == NULL && i < m->references->len; i++)
		ref = case_ref_find(m->references->pdata[i]);
	if (ref == NULL && m->in_reply_to != NULL)
		ref = case_ref_find(m->in_reply_to);
	if (ref == NULL)
		ref = case_ref_find_decoded(m->report);
	/* A bounce's own words are the mail system's; a seeker's are his. */
	if (ref == NULL && c->kind != KIND_BOUNCE &&
	    c->kind != KIND_AUTO_REPLY)
		ref = case_ref_find(c->new_text);
	if (ref == NULL) {
		/* The rules' cap holds here too. */
		text = strlen(m->text) > CLASSIFY_TEXT_MAX
			       ? g_utf8_make_valid(m->text, CLASSIFY_TEXT_MAX)
			       : g_strdup(m->text);
		ref = case_ref_find_decoded(text);
	}
	if (ref == NULL)
		ref = our_message_ref(ctx, m, c);
	return ref;
}

/*
 * Someone else's words the writer passes on: messages forwarded as
 * attachments, and, in a forward (Fwd:, FW:, 轉寄) rather than a reply,
 * the text pasted below the writer's own, which quote_strip() sets
 * apart as history.  A new string; NULL when there is none.
 */
static char *
forwarded_words(const struct mail_msg *m, const struct classification *c)
{
	static const char *const marks[] = {
		"fw:", "fwd:", "轉寄", "轉發", "转发", "轉傳", NULL,
	};
	g_autofree char *subj = g_utf8_casefold(m->subject, -1);
	const char *s = subj;
	gboolean forward = FALSE;

	while (*s == ' ' || *s == '[')
		s++;
	for (int i = 0; marks[i] != NULL && !forward; i++)
		forward = g_str_has_prefix(s, marks[i]);
	if (forward && c->case_ref == NULL && m->text != NULL)
		return g_strconcat(m->forwarded_text != NULL
					   ? m->forwarded_text : "",
				   "\n", m->text, NULL);
	return g_strdup(m->forwarded_text);
}

/*
 * Mail that reads as a help request: the kind rules may set it aside as
 * spam or other mail, unless it shows a risk; a seeker's letter is then
 * triaged.  The letter's words are screened once for all three passes.
 */
static enum status
triage_help_request(const struct classify_ctx *ctx, const struct mail_msg *m,
		    struct classification *c, struct err *err)
{
	struct rules_text *said = NULL;
	struct triage *k = NULL;
	enum kind set_aside = KIND_HELP_REQUEST;
	g_autofree char *others = NULL;
	enum status st;

	/* What the words are, over who seems to send them: a first look
	 * with the kind rules alone spares spam and lists the rest. */
	st = rules_text_new(ctx->rules, c->new_text, &said, err);
	if (st == ST_OK)
		st = rules_triage_kind(said, &k, err);
	if (st != ST_OK)
		goto out;
	if (k->kind_score[KIND_VOTE_SPAM] >= RULES_KIND_AT)
		set_aside = KIND_SPAM;
	else if (is_list(m))
		set_aside = KIND_OTHER;
	else if (k->kind_score[KIND_VOTE_OTHER] >= RULES_KIND_AT &&
		 !c->from_form && !c->referral)
		set_aside = KIND_OTHER;
	triage_free(k);
	if (set_aside != KIND_HELP_REQUEST) {
		gboolean danger = FALSE;

		/* Risk is read before a letter is set aside: a plea that
		 * also names a loan shark and a LINE id is a plea.  The
		 * risk words are listed in both scripts, so mail set aside
		 * is not converted. */
		st = rules_risk_sign(said, &danger, err);
		if (st != ST_OK)
			goto out;
		if (!danger)
			c->kind = set_aside;
	}
	if (c->kind == KIND_HELP_REQUEST && c->case_ref != NULL)
		c->kind = KIND_SEEKER_FOLLOWUP;
	if (!kind_is_seeker(c->kind))
		goto out;
	/* A forwarded message (a brother's farewell sent on by his sister)
	 * is evidence of risk. */
	others = forwarded_words(m, c);
	st = rules_triage_letter(said, m->text, others, &c->triage, err);
out:
	rules_text_free(said);
	return st;
}

enum status
classify_mail(const struct classify_ctx *ctx, const struct mail_msg *m,
	      struct classification **out, struct err *err)
{
	struct classification *c = g_new0(struct classification, 1);
	struct content *said;
	const char *county = NULL;
	enum status st = ST_OK;

	c->from_form = is_form(m);
	c->subject = subject_without_prefix(m->subject);
	c->source = c->from_form ? "webform" : "direct";
	if (!c->from_form) {
		const char *src = referral_source(ctx, m);

		if (src != NULL) {
			c->source = src;
			c->referral = TRUE;
		}
	}
	if (c->from_form || c->referral)
		c->form = form_parse(m->text);
	/* A form's own subject is the writer's; the mail's is the page's
	 * ("我要求助網頁"). */
	if (c->form != NULL) {
		const char *subj = g_hash_table_lookup(c->form, "主旨");

		if (subj != NULL && *g_strstrip((char *)subj) != '\0') {
			g_free(c->subject);
			c->subject = g_strdup(subj);
		}
	}
	/* Our own mail come back (a forward, a list): never a letter. */
	if (m->loop != NULL ||
	    (ctx->cfg != NULL &&
	     config_centre_by_address(ctx->cfg, m->from_addr) != NULL))
		c->own_mail = TRUE;

	/* What the writer wrote now: form fields, or the body unquoted. */
	if (c->form != NULL && g_hash_table_contains(c->form, "內容")) {
		const char *subj = g_hash_table_lookup(c->form, "主旨");

		c->new_text = g_strdup_printf(
			"%s\n%s", subj != NULL ? subj : "",
			(const char *)g_hash_table_lookup(c->form, "內容"));
	} else {
		g_autofree char *body = quote_strip(m->text);

		c->new_text = g_strdup_printf("%s\n%s", c->subject, body);
	}
	if (strlen(c->new_text) > CLASSIFY_TEXT_MAX) {
		/* Cut at a character boundary. */
		char *end = g_utf8_find_prev_char(c->new_text,
						  c->new_text +
							  CLASSIFY_TEXT_MAX + 1);

		*end = '\0';
	}

	/* Machine mail first, from headers: it never opens a case. */
	said = content_new(ctx->rules, c->new_text);
	if (is_bounce(m) || bounce_by_form(m))
		c->kind = KIND_BOUNCE;
	else if (is_auto_reply(m) || content_auto_reply(said))
		c->kind = KIND_AUTO_REPLY;
	else if (c->own_mail)
		c->kind = KIND_OTHER;
	else if (c->from_form || c->referral)
		c->kind = KIND_HELP_REQUEST;
	else if (spam_by_form(ctx, m) >= RULES_KIND_AT)
		c->kind = KIND_SPAM;
	else if (is_staff(ctx->cfg, m) || content_staff(said))
		c->kind = KIND_STAFF_REPLY;
	else if (is_partner(ctx->cfg, m->from_addr) || answers_referral(m) ||
		 content_partner(said, m))
		c->kind = KIND_REFERRAL_REPLY;
	else
		c->kind = KIND_HELP_REQUEST;
	content_free(said);

	c->case_ref = case_ref_locate(ctx, m, c);

	if (c->kind == KIND_HELP_REQUEST) {
		st = triage_help_request(ctx, m, c, err);
		if (st != ST_OK)
			goto fail;
	}

	/* The centre: the mailbox it came to, else To, form, or text. */
	county = ctx->mailbox_county;
	if (county == NULL)
		county = county_from_to(ctx->cfg, m);
	if (county == NULL && c->form != NULL)
		county = county_code_for_name(
			g_hash_table_lookup(c->form, "求助縣市"));
	if (county == NULL && c->case_ref != NULL) {
		g_autofree char *cc = g_strndup(c->case_ref, 3);

		if (county_code_valid(cc))
			county = g_intern_string(cc);
	}
	if (county == NULL && kind_is_seeker(c->kind))
		county = county_code_for_name(c->new_text);
	if (county != NULL)
		g_strlcpy(c->county, county, sizeof c->county);

	if (kind_is_seeker(c->kind)) {
		const char *to = m->reply_to;

		/* Answers go to the writer: never to the webpage's From.
		 * A referral is answered to the agency, not to the person
		 * it refers, who did not write. */
		if (c->from_form && to == NULL && c->form != NULL)
			to = g_hash_table_lookup(c->form, "電子郵件");
		if (!c->from_form && to == NULL)
			to = m->from_addr;
		if (c->referral) {
			const char *back = g_hash_table_lookup(c->form,
							       "回覆信箱");

			c->referrer_addr = referrer_reply(m, back);
			c->referrer_unit = g_strdup(g_hash_table_lookup(
				c->form, "轉介單位"));
		} else if (to != NULL && address_valid(to) &&
			   g_ascii_strcasecmp(to, FORM_FROM_ADDRESS) != 0) {
			c->reply_addr = g_strdup(to);
		}

		identity_from_form(&c->identity, c->form);
		if (c->from_form) {
			if (c->identity.email == NULL && m->reply_to != NULL &&
			    address_valid(m->reply_to))
				c->identity.email = g_strdup(m->reply_to);
		} else if (!c->referral) {
			identity_from_text(&c->identity, c->new_text,
					   m->from_name, m->reply_to != NULL
							     ? m->reply_to
							     : m->from_addr);
		}
		c->identified = identity_identified(&c->identity);
		c->writer = decide_writer(c);
	}
	*out = c;
	return ST_OK;
fail:
	classification_free(c);
	return st;
}

/* A string member, or null when s is NULL. */
/* Sets member to s, or to null. */
static void
set_string(JsonObject *o, const char *member, const char *s)
{
	if (s != NULL)
		json_object_set_string_member(o, member, s);
	else
		json_object_set_null_member(o, member);
}

static const char *const place_names[] = { "text", "quoted", "forwarded" };

/*
 * One reason: the rule, what it found (a risk and its level, or what it
 * votes for), the words and where they are; for a sign a guard cleared,
 * the guard and a sentence a case worker reads ("提到自殺或自傷，但為過去
 * 的事件").
 */
static JsonObject *
hit_to_json(const struct rule_hit *h)
{
	JsonObject *r = json_object_new();
	enum risk risk = rule_risk(h->rule);

	json_object_set_string_member(r, "rule", rule_id(h->rule));
	json_object_set_string_member(r, "vote", rule_vote(h->rule));
	json_object_set_int_member(r, "weight", rule_weight(h->rule));
	if (risk != RISK_NONE) {
		json_object_set_string_member(r, "risk", risk_name(risk));
		json_object_set_string_member(
			r, "level", risk_level_name(rule_level(h->rule)));
	}
	json_object_set_string_member(r, "match", h->match);
	json_object_set_int_member(r, "start", h->start);
	json_object_set_int_member(r, "end", h->end);
	if (h->place != HIT_TEXT)
		json_object_set_boolean_member(r, "quoted", TRUE);
	if (h->place != HIT_TEXT)
		json_object_set_string_member(r, "place",
					      place_names[h->place]);
	if (h->cleared != NULL) {
		g_autofree char *why = g_strdup_printf(
			"提到%s，但%s", risk_label(risk),
			guard_label(h->cleared));

		json_object_set_string_member(r, "cleared_by",
					      guard_name(h->cleared));
		json_object_set_string_member(r, "note", why);
	}
	return r;
}

JsonNode *
classification_to_json(const struct classification *c, const char *file)
{
	return classification_to_json_full(c, NULL, file);
}

/*
 * Built as objects and arrays directly: a JsonBuilder costs a GObject
 * and a state machine per value, more than the rest of this together.
 */
JsonNode *
classification_to_json_full(const struct classification *c,
			    const struct mail_msg *m, const char *file)
{
	JsonObject *o = json_object_new();
	JsonArray *needs = json_array_new(), *reasons = json_array_new();
	JsonNode *root = json_node_new(JSON_NODE_OBJECT);

	json_object_set_string_member(o, "file", file);
	json_object_set_string_member(o, "kind", kind_name(c->kind));
	json_object_set_string_member(o, "source", c->source);
	set_string(o, "county", c->county[0] ? c->county : NULL);
	set_string(o, "urgency",
		   c->triage != NULL ? urgency_name(c->triage->urgency) : NULL);
	for (guint i = 0; c->triage != NULL && i < c->triage->needs->len; i++)
		json_array_add_string_element(needs,
					      c->triage->needs->pdata[i]);
	json_object_set_array_member(o, "needs", needs);
	set_string(o, "writer", writer_name(c->writer));
	json_object_set_boolean_member(o, "identified", c->identified);
	json_object_set_member(o, "identity", identity_to_json(&c->identity));
	set_string(o, "case_ref", c->case_ref);
	for (guint i = 0; c->triage != NULL && i < c->triage->hits->len; i++)
		json_array_add_object_element(
			reasons, hit_to_json(&g_array_index(c->triage->hits,
							    struct rule_hit, i)));
	for (guint i = 0; c->triage != NULL && i < c->triage->cleared->len;
	     i++)
		json_array_add_object_element(
			reasons, hit_to_json(&g_array_index(c->triage->cleared,
							    struct rule_hit, i)));
	if (c->triage != NULL) {
		JsonArray *risks = json_array_new();

		for (int k = RISK_NONE + 1; k < RISK_COUNT; k++) {
			JsonObject *ro;

			if (c->triage->risk[k] == RISK_LEVEL_NONE)
				continue;
			ro = json_object_new();
			json_object_set_string_member(ro, "risk", risk_name(k));
			json_object_set_string_member(ro, "label",
						      risk_label(k));
			json_object_set_string_member(
				ro, "level",
				risk_level_name(c->triage->risk[k]));
			json_array_add_object_element(risks, ro);
		}
		json_object_set_array_member(o, "risks", risks);
		json_object_set_boolean_member(o, "possible_risk",
					       c->triage->possible_risk);
	}
	json_object_set_array_member(o, "reasons", reasons);
	if (m != NULL) {
		/* What the text model kept aside: listed, never decoded. */
		JsonArray *atts = json_array_new();

		for (guint i = 0; i < m->attachments->len; i++) {
			const struct attachment *a = m->attachments->pdata[i];
			JsonObject *ao = json_object_new();

			set_string(ao, "name", a->filename);
			json_object_set_string_member(ao, "type",
						      a->content_type);
			json_object_set_int_member(ao, "size",
						   (gint64)a->size);
			json_array_add_object_element(atts, ao);
		}
		json_object_set_array_member(o, "attachments", atts);
		json_object_set_string_member(o, "charset", m->charset);
		json_object_set_int_member(o, "undecodable_bytes",
					   m->bad_bytes);
		json_object_set_boolean_member(o, "from_html",
					       m->text_from_html);
	}
	json_node_take_object(root, o);
	return root;
}
