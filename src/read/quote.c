/*
 * Separating new text from quoted history.  A reply's history starts at
 * the first line that opens a quote block; what follows is history,
 * except when the writer answers below the quote (bottom posting), whose
 * unquoted lines are kept.
 */
#include <pcre2.h>
#include <string.h>

#include "quote.h"

/*
 * Lines that open the quoted history in the mail clients people use, by
 * what each needs in its line (may_match() looks for it first).
 * Outlook, Exchange, Thunderbird, Samsung, forwards: "--" or "__".
 */
static const char *const dashes =
	"^\\s*(?:"
	"-{2,}\\s*(?:Original Message|原始(?:訊息|郵件|邮件|信件)|"
	"Forwarded message|轉寄(?:的)?(?:郵件|訊息)|转发的邮件|"
	"Reply message|回覆的郵件)\\s*-{2,}"
	"|_{10,})";

/* Gmail, Apple Mail: attributions, which introduce a '>' quote (only
 * below these can the writer have answered): "On ... wrote:" needs
 * "wrote", "於 ... 寫道：" needs 寫道 or 写道. */
static const char *const wrote = "^\\s*On\\b.{4,200}\\bwrote:\\s*$";
static const char *const xiedao =
	"^\\s*(?:(?:於|在)\\s*\\S.{2,200}(?:寫道|写道)\\s*[：:]\\s*$"
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

static pcre2_code *re_dashes, *re_wrote, *re_xiedao, *re_from, *re_next,
	*re_sig;

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
 * may match: an opener needs "--" or "__", an attribution "wrote", 寫道
 * or 写道 (each has its own pattern); an Outlook header a colon; a
 * signature "--" at the start, "Sent from", "Get Outlook", 傳送, 发送 or
 * 從我的, 从我的, 由我的.
 */
enum {
	MAY_DASHES = 1 << 0,	/* "--" or "__" */
	MAY_HEAD = 1 << 1,
	MAY_SIGN = 1 << 2,
	MAY_KNOWN = 1 << 3,	/* the line was looked at */
	MAY_WROTE = 1 << 4,	/* "wrote" in any case */
	MAY_XIEDAO = 1 << 5,	/* 寫道 or 写道 */
};

/* Whether the three bytes at p are those of the UTF-8 character c. */
static gboolean
char_at(const char *p, const char *c)
{
	return p[0] == c[0] && p[1] == c[1] && p[2] == c[2];
}

/* The bytes that may start a trigger, and the NUL that ends a line. */
static const guint8 trigger_byte[256] = {
	[0] = 1, ['-'] = 1, ['_'] = 1, [':'] = 1, ['w'] = 1, ['W'] = 1,
	['S'] = 1, ['G'] = 1, [0xe6] = 1, [0xe9] = 1, [0xef] = 1,
};

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
	for (const char *p = l;; p++) {
		gboolean after;

		while (!trigger_byte[(unsigned char)*p])
			p++;
		after = p - l >= 3;
		switch ((unsigned char)*p) {
		case '\0':
			return may;
		case '-':
		case '_':
			if (p[1] == p[0])
				may |= MAY_DASHES;
			break;
		case ':':
			may |= MAY_HEAD;
			break;
		case 'w':
		case 'W':
			if (g_ascii_strncasecmp(p, "wrote", 5) == 0)
				may |= MAY_WROTE;
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
				may |= MAY_XIEDAO;
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

/* A line that closes a letter: 敬上, 順頌 時祺, Best regards... */
static const char *const signoffs =
	"^(?:(?:敬上|敬啟|謹上|謹啟|拜上|順頌\\s*\\S{0,4}|祝\\s*\\S{0,6}|"
	"此致\\s*\\S{0,8}|Best(?:\\s+regards)?|Kind\\s+regards|Regards|"
	"Cheers|Sincerely|Thanks|Thank\\s+you|謝謝|感謝|多謝)"
	"[\\s,，.。!！]*|\\S{1,16}\\s*(?:敬上|謹上|敬啟|謹啟|拜上)[\\s.。]*)$";

/* Lines of a signature block: contact lines, titles, the centre. */
static const char *const sig_lines =
	"^(?:(?:電話|Tel|Phone|分機|傳真|Fax|手機|Mobile|E-?mail|信箱|地址|"
	"Address|網站|Web|Line)\\s*[:：].*"
	"|\\S*@\\S+\\.\\S+|(?:https?://|www\\.)\\S+"
	"|[0-9\\s()+#\\-－轉ext.]{7,}"
	"|[^，。！？,.!?]{0,20}(?:社工|個管|個案管理師|心理師|專員|督導|"
	"科長|主任|組長|護理師|研究員|助理|輔導員)[^，。！？,.!?]{0,10}"
	"|[^，。！？,.!?]{0,30}(?:毒品危害防制中心|毒防中心|政府衛生局|"
	"政府社會局)[^，。！？,.!?]{0,20})$";

/* A bare name: two to four Han characters. */
static const char *const name_line = "^\\p{Han}{2,4}$";

static pcre2_code *re_signoff, *re_sigline, *re_name;

static void
compile_once(void)
{
	static gsize once;

	if (g_once_init_enter(&once)) {
		re_dashes = compile(dashes);
		re_wrote = compile(wrote);
		re_xiedao = compile(xiedao);
		re_from = compile(outlook_from);
		re_next = compile(outlook_next);
		re_sig = compile(signatures);
		re_signoff = compile(signoffs);
		re_sigline = compile(sig_lines);
		re_name = compile(name_line);
		g_once_init_leave(&once, 1);
	}
}

/*
 * A text cut into lines, what each line may match, and where the
 * quoted history starts (n when none does).  A line's MAY_* bits are
 * found when it is first asked about: the lines below the history's
 * start are seldom read.
 */
struct reading {
	char *copy;		/* the lines point into it */
	GPtrArray *lines;
	guint *may;		/* MAY_* of each line, 0 until asked */
	int n, cut;
};

/* Whether line i of r may match what bit (one of MAY_*) stands for. */
static gboolean
may(struct reading *r, int i, guint bit)
{
	if (r->may[i] == 0)
		r->may[i] = MAY_KNOWN | may_match(r->lines->pdata[i]);
	return (r->may[i] & bit) != 0;
}

/* Whether line i of r is an attribution ("On ... wrote:"). */
static gboolean
attribution(struct reading *r, int i)
{
	const char *l = r->lines->pdata[i];

	return (may(r, i, MAY_WROTE) && match(re_wrote, l)) ||
	       (may(r, i, MAY_XIEDAO) && match(re_xiedao, l));
}

/* Whether line i of r opens the quoted history. */
static gboolean
opener(struct reading *r, int i)
{
	return (may(r, i, MAY_DASHES) &&
		match(re_dashes, r->lines->pdata[i])) ||
	       attribution(r, i);
}

/* The first line of the history among r's lines, or r->n. */
static int
history_start(struct reading *r)
{
	GPtrArray *lines = r->lines;
	int n = r->n, cut = n;

	for (int i = 0; i < n && cut == n; i++) {
		const char *l = lines->pdata[i];

		if (opener(r, i)) {
			cut = i;
		} else if (may(r, i, MAY_HEAD) && match(re_from, l)) {
			/* Two header lines within the next four: a block. */
			int hits = 0;

			for (int k = i + 1; k < n && k <= i + 4; k++)
				hits += may(r, k, MAY_HEAD) &&
					match(re_next, lines->pdata[k]);
			if (hits >= 2)
				cut = i;
		}
	}
	return cut;
}

static void
reading_init(struct reading *r, const char *text)
{
	compile_once();
	r->copy = g_strdup(text);
	r->lines = split_lines(r->copy);
	r->n = (int)r->lines->len;
	r->may = g_new0(guint, r->n);
	r->cut = history_start(r);
}

static void
reading_clear(struct reading *r)
{
	g_ptr_array_unref(r->lines);
	g_free(r->may);
	g_free(r->copy);
}

char *
quote_typed(const char *text, size_t *head)
{
	struct reading rd;
	GPtrArray *lines;
	GString *out;
	gboolean in_head = TRUE;
	int n, cut, from = 0, to;

	*head = 0;
	if (text == NULL)
		return g_strdup("");
	reading_init(&rd, text);
	lines = rd.lines;
	n = rd.n;
	cut = rd.cut;
	to = cut;
	out = g_string_sized_new(strlen(text) + 1);
	for (int pass = 0; pass < 2; pass++) {
		for (int i = from; i < to; i++) {
			const char *l = lines->pdata[i];

			if (may(&rd, i, MAY_SIGN) && match(re_sig, l))
				break;
			if (quoted(l)) {
				/* The commands end at the first quote. */
				in_head = FALSE;
				continue;
			}
			if (out->len == 0 && blank(l))
				continue;
			g_string_append(out, l);
			g_string_append_c(out, '\n');
			if (in_head)
				*head = out->len;
		}
		if (!blank(out->str) || cut == n ||
		    !attribution(&rd, cut))
			break;
		/*
		 * Nothing above an attribution ("On ... wrote:"): the
		 * answer is below the quote, after its last '>' line (a
		 * line of the quote that a client wrapped has no mark and
		 * is not the answer).  No other history marks its lines, so
		 * nothing below it can be told from the history.
		 */
		g_string_truncate(out, 0);
		*head = 0;
		in_head = TRUE;
		from = cut + 1;
		for (int i = cut + 1; i < n; i++)
			if (quoted(lines->pdata[i]))
				from = i + 1;
		to = n;
	}
	if (blank(out->str)) {
		g_string_truncate(out, 0);
		*head = 0;
	}
	while (out->len > 0 && (out->str[out->len - 1] == '\n' ||
				out->str[out->len - 1] == ' '))
		g_string_truncate(out, out->len - 1);
	*head = MIN(*head, out->len);
	reading_clear(&rd);
	return g_string_free(out, FALSE);
}

char *
quote_strip(const char *text)
{
	struct reading rd;
	GPtrArray *lines;
	GString *out;
	int n, cut;

	if (text == NULL)
		return g_strdup("");
	reading_init(&rd, text);
	lines = rd.lines;
	n = rd.n;
	cut = rd.cut;
	out = g_string_sized_new(strlen(text) + 1);
	for (int i = 0; i < cut; i++) {
		const char *l = lines->pdata[i];

		if (may(&rd, i, MAY_SIGN) && match(re_sig, l))
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

			if (may(&rd, i, MAY_SIGN) && match(re_sig, l))
				break;
			if (quoted(l) ||
			    opener(&rd, i))
				continue;
			g_string_append(out, l);
			g_string_append_c(out, '\n');
		}
	}
	/* No trailing blank lines. */
	while (out->len > 0 && (out->str[out->len - 1] == '\n' ||
				out->str[out->len - 1] == ' '))
		g_string_truncate(out, out->len - 1);
	reading_clear(&rd);
	return g_string_free(out, FALSE);
}



/* Whether line is the writer's name as their mail client knows it. */
static gboolean
is_name(const char *line, const char *name)
{
	return name != NULL && *name != '\0' && strcmp(line, name) == 0;
}

char *
quote_unsign(const char *text, const char *name)
{
	g_autofree char *copy = g_strdup(text != NULL ? text : "");
	g_autofree char *nm = g_strstrip(g_strdup(name != NULL ? name : ""));
	g_autoptr(GPtrArray) orig = NULL;
	g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func(g_free);
	GString *out;
	int n, end;

	compile_once();
	/* Matched trimmed; kept as written. */
	orig = split_lines(copy);
	for (guint i = 0; i < orig->len; i++)
		g_ptr_array_add(lines, g_strstrip(g_strdup(orig->pdata[i])));
	n = (int)lines->len;
	while (n > 0 && *(char *)lines->pdata[n - 1] == '\0')
		n--;
	end = n;
	/* A sign-off with at most a few short lines after it. */
	for (int k = MAX(0, n - 9); k < n; k++) {
		const char *l = lines->pdata[k];
		gboolean tail = TRUE;

		if (*l == '\0' || !match(re_signoff, l))
			continue;
		for (int j = k + 1; j < n && tail; j++)
			tail = g_utf8_strlen(lines->pdata[j], -1) <= 50;
		if (tail) {
			end = k;
			break;
		}
	}
	/*
	 * Then, from the end, whole paragraphs of nothing but signature
	 * lines (the name, a title, the centre, phone and mail), one of
	 * them more than a bare name.
	 */
	for (;;) {
		int start = end, strong = 0, weak = 0;

		while (end > 0 && *(char *)lines->pdata[end - 1] == '\0')
			end--;
		start = end;
		while (start > 0 && *(char *)lines->pdata[start - 1] != '\0')
			start--;
		if (start == end || end - start > 6)
			break;
		for (int j = start; j < end; j++) {
			const char *l = lines->pdata[j];

			if (is_name(l, nm) || match(re_sigline, l))
				strong++;
			else if (match(re_name, l))
				weak++;
		}
		if (strong == 0 || strong + weak < end - start)
			break;
		end = start;
	}
	out = g_string_new(NULL);
	for (int i = 0; i < end; i++) {
		g_string_append(out, orig->pdata[i]);
		g_string_append_c(out, '\n');
	}
	while (out->len > 0 && g_ascii_isspace(out->str[out->len - 1]))
		g_string_truncate(out, out->len - 1);
	return g_string_free(out, FALSE);
}
