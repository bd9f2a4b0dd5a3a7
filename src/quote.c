/*
 * Separating new text from quoted history.  A reply's history starts at
 * the first line that opens a quote block; what follows is history,
 * except when the writer answers below the quote (bottom posting), whose
 * unquoted lines are kept.
 */
#include <pcre2.h>
#include <string.h>

#include "quote.h"

/* Lines that open the quoted history in the mail clients people use. */
static const char *const openers =
	"^\\s*(?:"
	/* Outlook, Exchange, Thunderbird, Samsung, forwards */
	"-{2,}\\s*(?:Original Message|原始(?:訊息|郵件|邮件|信件)|"
	"Forwarded message|轉寄(?:的)?(?:郵件|訊息)|转发的邮件|"
	"Reply message|回覆的郵件)\\s*-{2,}"
	"|_{10,}"
	/* Gmail, Apple Mail: "On ... wrote:", "於 ... 寫道：" */
	"|On\\b.{4,200}\\bwrote:\\s*$"
	"|(?:於|在)\\s*\\S.{2,200}(?:寫道|写道)\\s*[：:]\\s*$"
	"|\\S.{2,200}\\s(?:於|在)\\s.{2,100}(?:寫道|写道)\\s*[：:]\\s*$"
	"|.{0,200}[0-9].{0,200}(?:寫道|写道)\\s*[：:]\\s*$"
	")";

/* An Outlook header block: From/寄件者 followed soon by Sent/Subject. */
static const char *const outlook_from =
	"^\\s*\\*?(?:From|寄件者|发件人|寄件人)\\s*\\*?\\s*[:：]";
static const char *const outlook_next =
	"^\\s*\\*?(?:Sent|Date|To|Subject|寄件日期|傳送時間|日期|收件者|收件人|"
	"主旨|主題|发送时间|收件人|主题)\\s*\\*?\\s*[:：]";

/* Signature openers: everything from here on is not the letter. */
static const char *const signatures =
	"^(?:-- ?$|(?:Sent from my|Get Outlook for|從我的|从我的|由我的)"
	"\\s*.{0,40}(?:傳送|发送|iPhone|iPad|Android|Samsung|手機|$))";

static pcre2_code *
compile(const char *p)
{
	int code;
	PCRE2_SIZE off;
	pcre2_code *re = pcre2_compile((PCRE2_SPTR)p, PCRE2_ZERO_TERMINATED,
				       PCRE2_UTF | PCRE2_UCP | PCRE2_CASELESS,
				       &code, &off, NULL);

	g_assert(re != NULL);
	pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
	return re;
}

static pcre2_code *re_open, *re_from, *re_next, *re_sig;

/* One match block per thread, big enough for every pattern here. */
static GPrivate md_key = G_PRIVATE_INIT((GDestroyNotify)pcre2_match_data_free);

static gboolean
match(pcre2_code *re, const char *line)
{
	pcre2_match_data *md = g_private_get(&md_key);

	if (md == NULL) {
		md = pcre2_match_data_create(8, NULL);
		g_private_set(&md_key, md);
	}
	return pcre2_match(re, (PCRE2_SPTR)line, strlen(line), 0, 0, md,
			   NULL) >= 0;
}

static gboolean
quoted(const char *line)
{
	while (*line == ' ' || *line == '\t')
		line++;
	return *line == '>' || g_str_has_prefix(line, "｜");
}

/*
 * Cheap tests before the patterns, which would otherwise run on every
 * line of a long message: each pattern needs one of these strings.
 */
static gboolean
may_open(const char *l)
{
	return strstr(l, "--") || strstr(l, "__") ||
	       strcasestr(l, "wrote") || strstr(l, "寫道") ||
	       strstr(l, "写道");
}

static gboolean
may_head(const char *l)
{
	return strpbrk(l, ":") != NULL || strstr(l, "：") != NULL;
}

static gboolean
may_sign(const char *l)
{
	return (l[0] == '-' && l[1] == '-') || strstr(l, "Sent from") ||
	       strstr(l, "Get Outlook") || strstr(l, "傳送") ||
	       strstr(l, "发送") || strstr(l, "從我的") ||
	       strstr(l, "从我的") ||
	       strstr(l, "由我的");
}

static gboolean
blank(const char *s)
{
	for (; *s; s++)
		if (!g_ascii_isspace(*s))
			return FALSE;
	return TRUE;
}

char *
quote_strip(const char *text)
{
	static gsize once;
	g_auto(GStrv) lines = NULL;
	GString *out;
	int n, cut;

	if (g_once_init_enter(&once)) {
		re_open = compile(openers);
		re_from = compile(outlook_from);
		re_next = compile(outlook_next);
		re_sig = compile(signatures);
		g_once_init_leave(&once, 1);
	}
	if (text == NULL)
		return g_strdup("");
	lines = g_strsplit(text, "\n", -1);
	n = (int)g_strv_length(lines);
	for (int i = 0; i < n; i++)
		g_strchomp(lines[i]);	/* CR and trailing blanks */

	/* Where the history starts. */
	cut = n;
	for (int i = 0; i < n && cut == n; i++) {
		if (may_open(lines[i]) && match(re_open, lines[i])) {
			cut = i;
		} else if (may_head(lines[i]) && match(re_from, lines[i])) {
			/* Two header lines within the next four: a block. */
			int hits = 0;

			for (int k = i + 1; k < n && k <= i + 4; k++)
				hits += match(re_next, lines[k]);
			if (hits >= 2)
				cut = i;
		}
	}
	out = g_string_new(NULL);
	for (int i = 0; i < cut; i++) {
		if (may_sign(lines[i]) && match(re_sig, lines[i]))
			break;
		if (quoted(lines[i]))
			continue;
		g_string_append(out, lines[i]);
		g_string_append_c(out, '\n');
	}
	/* Nothing new above the history: the writer answered below it. */
	if (blank(out->str)) {
		g_string_truncate(out, 0);
		for (int i = 0; i < n; i++) {
			if (quoted(lines[i]) ||
			    (may_open(lines[i]) && match(re_open, lines[i])))
				continue;
			g_string_append(out, lines[i]);
			g_string_append_c(out, '\n');
		}
	}
	/* No trailing blank lines. */
	while (out->len > 0 && (out->str[out->len - 1] == '\n' ||
				out->str[out->len - 1] == ' '))
		g_string_truncate(out, out->len - 1);
	return g_string_free(out, FALSE);
}
