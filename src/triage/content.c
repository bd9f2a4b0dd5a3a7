/*
 * What the words of a letter say of the kind of mail it is: a staff
 * command, read by the commands' parser, and the rest by patterns of
 * our own.  Those patterns read every letter, and PCRE2 walks Chinese text
 * nearly a character at a time: one Hyperscan pass over the text says
 * which of them may match, and only those run (the rules' prefilter,
 * prefilter.c, does the same for rules/).  A prefilter holds a scratch
 * space that one thread at a time may use: each thread has its own.
 */
#include <pcre2.h>
#include <string.h>

#include "charset.h"
#include "classify.h"
#include "command.h"
#include "content.h"
#include "prefilter.h"

enum pattern {
	P_AWAY,
	P_MEANWHILE,
	P_MACHINE,
	P_ANSWER,
	P_FORM,
	P_SELF,
	P_AGENCY,
	P_NOTICE,
	P_COUNT
};

static const char *const patterns[P_COUNT] = {
	/* An absence: 休假, 出差, 出國, 研習, on leave, out of the office. */
	[P_AWAY] =
		"休假|請假|请假|特休|年假|公假|出差|出國|出国|研習|研习|"
		"教育訓練|教育训练|不在辦公室|不在办公室|"
		"(?i:on (?:annual |sick |parental )?leave|out of (?:the )?"
		"office|on vacation|away from (?:the )?office)",
	/* What becomes of the mail meanwhile: 期間無法收信, 回辦公室後儘速回覆,
	 * 職務代理人, 急件請洽, will not be reading email. */
	[P_MEANWHILE] =
		"(?:無法|无法|不會|不会|不便|不方便)(?:即時|即时)?"
		"(?:收信|看信|回信|回覆|回复|讀信|读信|查看郵件|查看邮件)|"
		"(?:回|返回|回到)(?:辦公室|办公室|國|国|崗位|岗位)後|上班後|"
		"上班后|(?:儘速|盡快|尽快|逐一)(?:回覆|回复|處理|处理)|"
		"職務代理人|职务代理人|(?:急件|急事)請(?:洽|聯繫|改撥)|"
		"(?i:limited access to (?:e-?mail|my mail)|will not be "
		"(?:reading|checking)|(?:reply|respond|answer) (?:to )?(?:your "
		"(?:e-?mail|message|mail) )?(?:when|after|upon) (?:my return|I "
		"return|[0-9]))",
	/* A notice that says a machine sent it. */
	[P_MACHINE] =
		"(?:此|這|这)(?:為|为|是|封)?(?:信)?(?:系統)?自動(?:回覆|回復|發送)|"
		"此为自动回复|系統自動(?:發送|發出|產生)|系统自动(?:发送|发出|产生)|"
		"請勿(?:直接)?回覆(?:此|本)(?:信|郵件)|"
		"请勿(?:直接)?回复(?:此|本)(?:信|邮件)|"
		"(?i:this is an? (?:automatic|automated|auto-generated) "
		"(?:reply|response|message)|do not reply to this (?:e-?mail|"
		"message)|this (?:mailbox|address) is (?:not monitored|no "
		"longer (?:in use|monitored)))",
	/* The centre's own act named as the reason for writing. */
	[P_ANSWER] =
		"[貴贵](?:中心|單位|单位)(?:於|于)?[0-9０-９一二三四五六七八九十年"
		"月日時时分晚早上下午中間间前後后 ]{0,14}(?:轉介|转介|通報|通报|"
		"協尋|协寻|委託|委托|委請|委请|請託|请托|函轉|函转|函請|函请|"
		"來函|来函|來文|来文|所請|所请)(?:之|的|至|到|本|請|请|個案|个案|"
		"學生|学生|乙案|一案|案件|（|）|\\(|\\))|(?:回覆|回复|回復|函復|函复|"
		"函覆|覆|復)(?:貴中心|贵中心|貴單位|贵单位)",
	/* A reply form's wording. */
	[P_FORM] =
		"回覆轉介|回复转介|轉介回覆|转介回复|轉介回復|處理情形|处理情形|"
		"處理結果|处理结果|辦理情形|办理情形|協尋結果|协寻结果|"
		"已收悉|已受理|受理情形|轉介(?:單號|編號)|转介(?:单号|编号)|"
		"個案已(?:於|經|完成|到|入住|出院|錄取|開始|同意)|"
		"个案已(?:于|经|完成|到|入住|出院|录取|开始|同意)",
	/* An agency writing as itself: 本局, 本分局, 本院... */
	[P_SELF] =
		"本(?:分局|局|處|处|所|院|分會|分会|會|会|署|站|室|科|隊|队|"
		"中心)(?!人)",
	/* An agency's name, in a From or on a signature line. */
	[P_AGENCY] =
		"衛生局|卫生局|衛生所|社會處|社会处|社會局|社会局|警察局|"
		"分局|派出所|就業服務站|就业服务站|就業中心|就业中心|"
		"就業服務處|更生保護會|更生保护会|教育處|教育处|教育局|醫院|"
		"医院|心理衛生中心|家庭暨性侵害防治中心|地方檢察署|地檢署|"
		"觀護人",
	/* A referral number ("-R1") goes to agencies only, and our notice
	 * asks them to keep it; a reply may quote the notice's words. */
	[P_NOTICE] =
		"(?<![A-Za-z0-9])[A-Z]{3}-1[0-9]{6}-[0-9]{4}-R[0-9]+|"
		"請保留主旨中的轉介(?:編號|單號)",
};

struct content {
	const char *text;
	size_t len;
	gboolean screen;	/* FALSE: every pattern may match */
	const char *cache_dir;	/* NULL: the user's cache */
	gboolean screened;
	gboolean may[P_COUNT];
};

/* The patterns compiled, for every thread; a pattern of ours that does
 * not compile is a bug. */
static pcre2_code *compiled[P_COUNT];

static void
compile_once(void)
{
	static gsize once;

	if (g_once_init_enter(&once)) {
		for (int i = 0; i < P_COUNT; i++) {
			int code;
			PCRE2_SIZE off;

			compiled[i] = pcre2_compile(
				(PCRE2_SPTR)patterns[i], PCRE2_ZERO_TERMINATED,
				PCRE2_UTF | PCRE2_UCP, &code, &off, NULL);
			g_assert(compiled[i] != NULL);
			/* They run on every letter: JIT, as the rules do. */
			pcre2_jit_compile(compiled[i], PCRE2_JIT_COMPLETE);
		}
		g_once_init_leave(&once, 1);
	}
}

/* Each thread's match data (no groups needed) and screen. */
static GPrivate thread_md = G_PRIVATE_INIT(
	(GDestroyNotify)pcre2_match_data_free);
static GPrivate thread_screen = G_PRIVATE_INIT(
	(GDestroyNotify)prefilter_free);
static GPrivate thread_tried;	/* to build the screen */

struct content *
content_new(const struct ruleset *rs, const char *text)
{
	struct content *ct = g_new0(struct content, 1);

	compile_once();
	ct->text = text;
	ct->len = text != NULL ? strlen(text) : 0;
	ct->screen = rules_prefilter_on(rs);
	ct->cache_dir = rules_cache_dir(rs);
	return ct;
}

void
content_free(struct content *ct)
{
	g_free(ct);
}

/* Whether pattern p may match in the text: screened the first time. */
static gboolean
may(struct content *ct, enum pattern p)
{
	struct prefilter *pf;

	if (!ct->screen)
		return TRUE;
	if (!ct->screened) {
		ct->screened = TRUE;
		pf = g_private_get(&thread_screen);
		if (pf == NULL && g_private_get(&thread_tried) == NULL) {
			g_autofree char *dir =
				ct->cache_dir != NULL
					? g_strdup(ct->cache_dir)
					: prefilter_default_cache_dir();

			/* Built once a thread, or tried once. */
			g_private_set(&thread_tried, GINT_TO_POINTER(1));
			pf = prefilter_new(patterns, P_COUNT, dir);
			g_private_set(&thread_screen, pf);
		}
		if (pf == NULL) {
			/* No screen here: every pattern runs. */
			ct->screen = FALSE;
			return TRUE;
		}
		prefilter_scan(pf, ct->text, ct->len, ct->may);
	}
	return ct->may[p];
}

/* Whether pattern p matches somewhere in s (NULL: no). */
static gboolean
search(enum pattern p, const char *s)
{
	pcre2_match_data *md = g_private_get(&thread_md);

	if (s == NULL)
		return FALSE;
	if (md == NULL) {
		md = pcre2_match_data_create(1, NULL);
		g_private_set(&thread_md, md);
	}
	return pcre2_match(compiled[p], (PCRE2_SPTR)s, strlen(s), 0, 0, md,
			   NULL) >= 0;
}

/* Whether pattern p matches in the text, or in s, a part of it. */
static gboolean
found(struct content *ct, enum pattern p, const char *s)
{
	return may(ct, p) && search(p, s);
}

/*
 * Whether the writer acts as staff: a line of the new text is one of
 * the staff commands ("#close 1"), wherever it stands.  What a person
 * sees is a staff member's reply; whether it may act is for the
 * verification of staff mail to say (a sender who is not staff is
 * refused and the duty officer told), never for the kind.
 */
gboolean
content_staff(struct content *ct)
{
	const char *text = ct->text;
	gboolean found = FALSE;

	for (const char *p = text; p != NULL && *p != '\0' && !found;) {
		const char *l = p + strspn(p, " \t");
		const char *nl = strchr(p, '\n');
		struct command_block *b;

		p = nl != NULL ? nl + 1 : NULL;
		if (*l != '#' && !g_str_has_prefix(l, "＃"))
			continue;
		{
			g_autofree char *line =
				nl != NULL ? g_strndup(l, nl - l) : g_strdup(l);

			b = command_parse(line);
		}
		found = b->commands->len > 0 &&
			((struct command *)b->commands->pdata[0])->verb !=
				CMD_UNKNOWN;
		command_block_free(b);
	}
	return found;
}

/*
 * An out-of-office notice without the headers that say so (Auto-
 * Submitted, X-Autoreply, Precedence), told by its shape: an absence
 * together with what becomes of the mail meanwhile, or a notice that
 * says it was sent by a machine.  Short: a letter that tells its story
 * is no autoresponder.  Our own notices say "這封信由系統自動寄出":
 * a reply that keeps them unquoted must not read as a machine's.
 */
gboolean
content_auto_reply(struct content *ct)
{
	const char *text = ct->text;

	if (text == NULL)
		return FALSE;
	/* A link to follow is what phishing and casinos add to their
	 * "this mail was sent automatically"; an absence notice does not
	 * ask to be clicked. */
	if (strstr(text, "http://") != NULL || strstr(text, "https://") != NULL)
		return FALSE;
	/* About ten lines of Chinese: a letter says more. */
	if (charset_utf8_longer(text, ct->len, 600))
		return FALSE;
	return found(ct, P_MACHINE, text) ||
	       (found(ct, P_AWAY, text) && found(ct, P_MEANWHILE, text));
}

/*
 * Whether a line of the text is an agency's signature: short, no
 * sentence in it, naming an agency ("高雄市政府警察局鳳山分局 偵查隊").
 * A letter that only mentions a hospital or a police station does not
 * sign so.
 */
static gboolean
agency_signature(struct content *ct)
{
	const char *text = ct->text, *end = text + ct->len;

	if (!may(ct, P_AGENCY))
		return FALSE;	/* no line of the text can name one */
	/* The last lines, where a signature is: read from the end. */
	for (int n = 0; n < 12 && end > text; n++) {
		const char *start = end;
		g_autofree char *l = NULL;
		const char *t;

		while (start > text && start[-1] != '\n')
			start--;
		l = g_strndup(start, end - start);
		end = start > text ? start - 1 : text;
		t = g_strstrip(l);
		if (*t == '\0' || charset_utf8_longer(t, strlen(t), 40) ||
		    strstr(t, "，") != NULL || strstr(t, "。") != NULL ||
		    strstr(t, "？") != NULL || strstr(t, "！") != NULL ||
		    strstr(t, "、") != NULL)
			continue;
		if (search(P_AGENCY, t))
			return TRUE;
	}
	return FALSE;
}

/*
 * An agency answering about a client the centre sent it, told from
 * what a case worker reading it sees, whatever address it comes from:
 *
 * - the centre's own act named as the reason for writing: "貴中心轉介之
 *   個案", "貴中心12月19日通報個案", "有關貴單位函請協尋", or an answer
 *   to it ("函復貴中心"); a new referral says it the other way round:
 *   "轉介貴中心協助";
 * - or a referral number ("KHH-1151109-0004-R1": only agencies are
 *   sent one), or our referral notice quoted;
 * - or a reply form's wording (轉介回覆單, 處理情形, 協尋結果, 已受理,
 *   個案已於…) about a numbered case;
 * - and, either way, an agency writing as itself: "本局", "本分局",
 *   "本院"..., or an agency named in its From or on a signature line
 *   (衛生局, 社會處, 警察局, 派出所, 就業服務站, 更生保護會, 教育處, a
 *   hospital).
 */
gboolean
content_partner(struct content *ct, const struct mail_msg *m)
{
	const char *text = ct->text;

	if (text == NULL)
		return FALSE;
	if (!found(ct, P_SELF, text) && !search(P_AGENCY, m->from_name) &&
	    !agency_signature(ct))
		return FALSE;
	if (found(ct, P_ANSWER, text) || found(ct, P_NOTICE, text) ||
	    search(P_NOTICE, m->text))
		return TRUE;
	if (found(ct, P_FORM, text)) {
		g_autofree char *ref = case_ref_find(text);

		return ref != NULL;
	}
	return FALSE;
}
