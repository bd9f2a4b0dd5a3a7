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
 * line of a long message.  One pass over a line notes which patterns it
 * may match: an opener needs "--", "__", "wrote", 寫道 or 写道; an Outlook
 * header a colon; a signature "--" at the start, "Sent from",
 * "Get Outlook", 傳送, 发送 or 從我的, 从我的, 由我的.
 */
enum {
	MAY_OPEN = 1 << 0,
	MAY_HEAD = 1 << 1,
	MAY_SIGN = 1 << 2,
};

/* Whether the three bytes at p are those of the UTF-8 character c. */
static gboolean
char_at(const char *p, const char *c)
{
	return p[0] == c[0] && p[1] == c[1] && p[2] == c[2];
}

/*
 * Chinese triggers are found by their last character, then the one
 * before is checked: every Han character is three bytes.
 */
static guint
may_match(const char *l)
{
	guint may = 0;

	if (l[0] == '-' && l[1] == '-')
		may |= MAY_SIGN;
	for (const char *p = l; *p; p++) {
		gboolean after = p - l >= 3;

		switch ((unsigned char)*p) {
		case '-':
		case '_':
			if (p[1] == p[0])
				may |= MAY_OPEN;
			break;
		case ':':
			may |= MAY_HEAD;
			break;
		case 'w':
		case 'W':
			if (g_ascii_strncasecmp(p, "wrote", 5) == 0)
				may |= MAY_OPEN;
			break;
		case 'S':
			if (strncmp(p, "Sent from", 9) == 0)
				may |= MAY_SIGN;
			break;
		case 'G':
			if (strncmp(p, "Get Outlook", 11) == 0)
				may |= MAY_SIGN;
			break;
		case 0xef:
			if (char_at(p, "："))
				may |= MAY_HEAD;
			break;
		case 0xe9:
			if (after && char_at(p, "道") &&
			    (char_at(p - 3, "寫") || char_at(p - 3, "写")))
				may |= MAY_OPEN;
			if (after && char_at(p, "送") &&
			    (char_at(p - 3, "傳") || char_at(p - 3, "发")))
				may |= MAY_SIGN;
			break;
		case 0xe6:
			if (after && char_at(p, "我") &&
			    (char_at(p - 3, "從") || char_at(p - 3, "从") ||
			     char_at(p - 3, "由")))
				may |= MAY_SIGN;
			break;
		}
	}
	return may;
}

/*
 * Splits text (a copy, changed in place) into lines without their line
 * ends and trailing blanks.
 */
static GPtrArray *
split_lines(char *text)
{
	GPtrArray *lines = g_ptr_array_new();

	for (char *p = text;;) {
		char *nl = strchr(p, '\n');

		if (nl != NULL)
			*nl = '\0';
		g_ptr_array_add(lines, g_strchomp(p));
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	return lines;
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
	g_autofree char *copy = NULL;
	g_autoptr(GPtrArray) lines = NULL;
	g_autofree guint *may = NULL;
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
	copy = g_strdup(text);
	lines = split_lines(copy);
	n = (int)lines->len;
	may = g_new(guint, n);
	for (int i = 0; i < n; i++)
		may[i] = may_match(lines->pdata[i]);

	/* Where the history starts. */
	cut = n;
	for (int i = 0; i < n && cut == n; i++) {
		const char *l = lines->pdata[i];

		if ((may[i] & MAY_OPEN) && match(re_open, l)) {
			cut = i;
		} else if ((may[i] & MAY_HEAD) && match(re_from, l)) {
			/* Two header lines within the next four: a block. */
			int hits = 0;

			for (int k = i + 1; k < n && k <= i + 4; k++)
				hits += (may[k] & MAY_HEAD) &&
					match(re_next, lines->pdata[k]);
			if (hits >= 2)
				cut = i;
		}
	}
	out = g_string_sized_new(strlen(text) + 1);
	for (int i = 0; i < cut; i++) {
		const char *l = lines->pdata[i];

		if ((may[i] & MAY_SIGN) && match(re_sig, l))
			break;
		if (quoted(l))
			continue;
		g_string_append(out, l);
		g_string_append_c(out, '\n');
	}
	/* Nothing new above the history: the writer answered below it. */
	if (blank(out->str)) {
		g_string_truncate(out, 0);
		for (int i = 0; i < n; i++) {
			const char *l = lines->pdata[i];

			if ((may[i] & MAY_SIGN) && match(re_sig, l))
				break;
			if (quoted(l) ||
			    ((may[i] & MAY_OPEN) && match(re_open, l)))
				continue;
			g_string_append(out, l);
			g_string_append_c(out, '\n');
		}
	}
	/* No trailing blank lines. */
	while (out->len > 0 && (out->str[out->len - 1] == '\n' ||
				out->str[out->len - 1] == ' '))
		g_string_truncate(out, out->len - 1);
	return g_string_free(out, FALSE);
}
