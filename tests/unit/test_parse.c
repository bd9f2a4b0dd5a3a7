/*
 * Parsing: charsets (lying labels too), HTML-only mail and HTML beside a
 * stub text part, hidden HTML, forwarded messages kept apart from the
 * sender's own text, web form fields, and the kind, urgency and reply
 * address of each fixture in tests/corpus/expected.tsv.
 */
#include <opencc.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "testmime.h"

#include "charset.h"
#include "classify.h"
#include "command.h"
#include "form.h"
#include "hanzi.h"
#include "mime.h"
#include "quote.h"

static struct mail_msg *
parse_fixture(const char *name)
{
	g_autofree char *data = NULL;
	struct mail_msg *m = NULL;
	struct err err = { 0 };
	gsize len;

	data = fixture_read(name, &len);
	assert_int_equal(mail_parse(data, len, &m, &err), ST_OK);
	return m;
}

static void
test_charsets(void **state)
{
	static const struct {
		const char *bytes, *label, *want;
		guint bad;
	} t[] = {
		/* 戒毒 in Big5, labelled and unlabelled. */
		{ "\xa7\xd9\xac\x72", "big5", "戒毒", 0 },
		{ "\xa7\xd9\xac\x72", NULL, "戒毒", 0 },
		/* Big5 text that lies about being UTF-8. */
		{ "\xa7\xd9\xac\x72\xa4\xa4\xa4\xdf", "utf-8", "戒毒中心", 0 },
		/* GB2312 label on GBK text: 戒毒 */
		{ "\xbd\xe4\xb6\xbe", "gb2312", "戒毒", 0 },
		/* UTF-8 with a GB label is still UTF-8. */
		{ "戒毒", "gb2312", "戒毒", 0 },
		{ "caf\xe9", "iso-8859-1", "café", 0 },
		/* HKSCS characters that plain Big5 and CP950 lack: 戒着 */
		{ "\xa7\xd9\xfe\xd3", "big5", "戒着", 0 },
		{ "\xf0\xd2\xc9\xd7\xc5\xd4", "koi8-r", "Привет", 0 },
		{ "\xcf\xf0\xe8\xe2\xe5\xf2", "windows-1251", "Привет", 0 },
		{ "\x1b$BF|K\\8l\x1b(B", "iso-2022-jp", "日本語", 0 },
		/* The escape, or a byte over 0x7F, past the first eight. */
		{ "Dear all, \x1b$BF|K\\8l\x1b(B", "iso-2022-jp",
		  "Dear all, 日本語", 0 },
		{ "plain ASCII first, then caf\xe9", "iso-8859-1",
		  "plain ASCII first, then café", 0 },
		{ "Gr\xfc\xdf" "e", "iso-8859-15", "Grüße", 0 },
		{ "\xc5\xeb\xeb\xdc\xe4\xe1", "iso-8859-7", "Ελλάδα", 0 },
		{ "plain", "x-unknown-charset", "plain", 0 },
		{ "", "utf-8", "", 0 },
		/* Big5 and GB text under a Latin-1 label: 我不想活了 */
		{ "\xa7\xda\xa4\xa3\xb7\x51\xac\xa1\xa4\x46", "iso-8859-1",
		  "我不想活了", 0 },
		{ "\xa7\xd9\xac\x72", "iso-8859-1", "戒毒", 0 },
		{ "\xce\xd2\xb2\xbb\xcf\xeb\xbb\xee\xc1\xcb", "windows-1252",
		  "我不想活了", 0 },
		{ "\xce\xd2\xb2\xbb\xcf\xeb\xbb\xee\xc1\xcb", "us-ascii",
		  "我不想活了", 0 },
		/* UTF-8 under Latin-1 and Big5 labels, and cut short. */
		{ "我不想活了", "iso-8859-1", "我不想活了", 0 },
		{ "我不想活了", "big5", "我不想活了", 0 },
		{ "我不想活了，請幫幫我\xe3\x80", "big5",
		  "我不想活了，請幫幫我\xef\xbf\xbd\xef\xbf\xbd", 2 },
		/* Western text stays Western. */
		{ "Gr\xfc\xdf" "e aus M\xfcnchen", "iso-8859-1",
		  "Grüße aus München", 0 },
		{ "\xab\xa0\xe0 bient\xf4t\xa0\xbb \xe9t\xe9", "iso-8859-1",
		  "«\xc2\xa0à bientôt\xc2\xa0» été", 0 },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(t); i++) {
		guint bad = 99;
		g_autofree char *s = charset_to_utf8(
			t[i].bytes, strlen(t[i].bytes), t[i].label, &bad, NULL);

		if (strcmp(s, t[i].want) != 0 || bad != t[i].bad) {
			print_error("case %zu: '%s' bad %u\n", i, s, bad);
			fail();
		}
	}
}

static void
test_lost_bytes_are_counted(void **state)
{
	/* UTF-8 text with one byte that cannot be anything. */
	const char *in = "戒毒中心\xff戒毒中心的個案管理師";
	guint bad = 0;
	g_autofree char *s = charset_to_utf8(in, strlen(in), "utf-8", &bad,
					     NULL);

	assert_true(g_utf8_validate(s, -1, NULL));
	assert_int_equal(bad, 1);
	assert_non_null(strstr(s, "戒毒中心\xEF\xBF\xBD戒毒中心"));
}

static void
test_big5_form(void **state)
{
	struct mail_msg *m = parse_fixture("form-v1-big5.eml");
	g_autoptr(GHashTable) f = form_parse(m->text);

	assert_int_equal(m->bad_bytes, 0);
	assert_non_null(f);
	assert_string_equal(g_hash_table_lookup(f, "是否表明身分"), "是");
	assert_non_null(g_hash_table_lookup(f, "內容"));
	assert_non_null(strchr(g_hash_table_lookup(f, "內容"), '\n'));
	assert_non_null(g_hash_table_lookup(f, "求助縣市"));
	mail_msg_free(m);
}

static void
test_html_only(void **state)
{
	struct mail_msg *m = parse_fixture("html-only.eml");

	assert_true(m->text_from_html);
	assert_null(strchr(m->text, '<'));
	assert_true(g_utf8_strlen(m->text, -1) > 20);
	assert_string_equal(m->forwarded_text, "");
	mail_msg_free(m);
}

static void
test_raw_big5_subject(void **state)
{
	struct mail_msg *m = parse_fixture("raw-8bit-big5-subject.eml");

	assert_string_equal(m->subject, "請教緩起訴附命戒癮治療的規定");
	mail_msg_free(m);
}

static void
test_form_variants(void **state)
{
	/* Half-width colon, spaces, 台 for 臺, fields out of order. */
	const char *text = "姓名 : 王大同\n求助縣市:台北市政府毒品危害防制中心\n"
			   "是否表明身分：是\n內容：第一行\n第二行\n主旨：不是欄位\n";
	g_autoptr(GHashTable) f = form_parse(text);

	assert_non_null(f);
	assert_string_equal(g_hash_table_lookup(f, "姓名"), "王大同");
	assert_string_equal(g_hash_table_lookup(f, "求助縣市"),
			    "台北市政府毒品危害防制中心");
	/* 內容 runs to the end, even over a line that looks like a field. */
	assert_string_equal(g_hash_table_lookup(f, "內容"),
			    "第一行\n第二行\n主旨：不是欄位");
	assert_null(form_parse("Hello\nworld\n"));
	assert_string_equal(county_code_for_name("台北市政府"), "TPE");
	assert_string_equal(county_code_for_name("我住在新竹縣竹北"), "HSQ");
	assert_null(county_code_for_name("東京都"));
}

static void
test_expected_fixtures(void **state)
{
	g_autofree char *tsv = NULL;
	g_autofree char *rules_dir = source_path("rules");
	g_auto(GStrv) lines = NULL;
	struct ruleset *rs = NULL;
	struct classify_ctx ctx = { 0 };
	struct err err = { 0 };
	int n = 0;

	tsv = fixture_read("expected.tsv", NULL);
	assert_int_equal(rules_load_dir(rules_dir, &rs, &err), ST_OK);
	ctx.rules = rs;
	lines = g_strsplit(tsv, "\n", -1);
	for (int i = 1; lines[i] != NULL; i++) {
		g_auto(GStrv) col = g_strsplit(lines[i], "\t", -1);
		struct mail_msg *m;
		struct classification *c = NULL;
		const char *urg;

		if (g_strv_length(col) < 5)
			continue;
		m = parse_fixture(col[0]);
		assert_int_equal(classify_mail(&ctx, m, &c, &err), ST_OK);
		urg = c->triage ? urgency_name(c->triage->urgency) : "-";
		if (strcmp(kind_name(c->kind), col[1]) != 0 ||
		    strcmp(urg, col[2]) != 0 ||
		    strcmp(c->reply_addr ? c->reply_addr : "-", col[3]) != 0 ||
		    strcmp(m->subject, col[4]) != 0) {
			print_error("%s: kind %s urgency %s reply %s\n", col[0],
				    kind_name(c->kind), urg,
				    c->reply_addr ? "set" : "-");
			fail();
		}
		/* Form mail is never answered at the webpage's own From. */
		if (c->from_form && c->reply_addr != NULL)
			assert_string_not_equal(c->reply_addr,
						FORM_FROM_ADDRESS);
		classification_free(c);
		mail_msg_free(m);
		n++;
	}
	assert_true(n >= 9);
	ruleset_free(rs);
}

static void
test_broken_mail_does_not_crash(void **state)
{
	static const char *const names[] = {
		"broken/truncated-multipart.eml", "broken/garbage.eml",
		/* Found by fuzzing: a decoded part that glibc "converts" to
		 * bytes beyond U+10FFFF. */
		"broken/fuzz-utf8-beyond-range.eml",
		/* and an encoded word GMime decodes to invalid UTF-8 */
		"broken/fuzz-subject-not-utf8.eml",
	};

	for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
		g_autofree char *data = NULL;
		struct mail_msg *m = NULL;
		struct err err = { 0 };
		gsize len;
		enum status st;

		data = fixture_read(names[i], &len);
		st = mail_parse(data, len, &m, &err);
		assert_true(st == ST_OK || st == ST_MSG_BAD);
		if (st == ST_OK) {
			assert_true(g_utf8_validate(m->text, -1, NULL));
			assert_true(g_utf8_validate(m->forwarded_text, -1,
						    NULL));
			assert_true(g_utf8_validate(m->subject, -1, NULL));
		}
		mail_msg_free(m);
	}
}

/* The de-duplication key: the body alone, line ends aside; a file
 * with no empty line (not mail) by all its bytes. */
static void
test_body_hash(void **state)
{
	char a[65], b[65], c[65], d[65];
	static const char ma[] = "Subject: a\r\n\r\nsame\r\n";
	static const char mb[] = "Subject: b\n\nsame\n";
	static const char mc[] = "\x01\x02 not mail at all";
	static const char md[] = "\x01\x03 not mail at all";

	mail_body_hash(ma, strlen(ma), a);
	mail_body_hash(mb, strlen(mb), b);
	assert_string_equal(a, b);
	mail_body_hash(mc, strlen(mc), c);
	mail_body_hash(md, strlen(md), d);
	assert_string_not_equal(c, d);
	assert_string_not_equal(c, a);
}

/* A multipart with n leaves, or nested n deep. */
static char *
make_tree(int n, gboolean nested)
{
	GString *s = g_string_new("From: a@example.org\r\nSubject: t\r\n"
				  "MIME-Version: 1.0\r\n");

	if (nested) {
		for (int i = 0; i < n; i++)
			g_string_append_printf(
				s, "Content-Type: multipart/mixed; "
				   "boundary=\"b%d\"\r\n\r\n--b%d\r\n", i, i);
		g_string_append(s, "Content-Type: text/plain\r\n\r\nhi\r\n");
		for (int i = n - 1; i >= 0; i--)
			g_string_append_printf(s, "--b%d--\r\n", i);
	} else {
		g_string_append(s, "Content-Type: multipart/mixed; "
				   "boundary=\"b\"\r\n\r\n");
		for (int i = 0; i < n; i++)
			g_string_append(s, "--b\r\nContent-Type: text/plain"
					   "\r\n\r\nx\r\n");
		g_string_append(s, "--b--\r\n");
	}
	return g_string_free(s, FALSE);
}

static void
test_limits(void **state)
{
	static const struct {
		int n;
		gboolean nested;
		enum status want;
	} t[] = {
		{ 400, FALSE, ST_OK },
		{ 600, FALSE, ST_MSG_BAD },
		{ 20, TRUE, ST_OK },
		{ 60, TRUE, ST_MSG_BAD },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(t); i++) {
		g_autofree char *msg = make_tree(t[i].n, t[i].nested);
		struct mail_msg *m = NULL;
		struct err err = { 0 };

		assert_int_equal(mail_parse(msg, strlen(msg), &m, &err),
				 t[i].want);
		if (t[i].want == ST_MSG_BAD)
			assert_non_null(strstr(err.msg, t[i].nested ? "nested"
								   : "parts"));
		mail_msg_free(m);
	}
}

static void
test_case_ref(void **state)
{
	g_autofree char *a = case_ref_find("Re: 回覆 TPE-1151103-0002 的問題");
	g_autofree char *b = case_ref_find("XYZ-1151103-0002");
	g_autofree char *c = case_ref_find("ATPE-1151103-0002");
	g_autofree char *d = case_ref_find("TPE-1151399-0002");

	assert_string_equal(a, "TPE-1151103-0002");
	assert_null(b);	/* not a county */
	assert_null(c);	/* inside a word */
	assert_null(d);	/* no such date */
}

static void
test_simplified_is_triaged(void **state)
{
	/* Written in Simplified; the rules are in Traditional. */
	const char *mail = "From: a@example.org\r\n"
			   "To: tpe@centers.moj-help.example\r\n"
			   "Subject: =?UTF-8?B?5rGC5Yqp?=\r\n"
			   "Content-Type: text/plain; charset=utf-8\r\n\r\n"
			   "我已经买好木炭了，今晚就烧炭。\r\n";
	g_autofree char *rules_dir = source_path("rules");
	g_autofree char *trad = NULL;
	struct ruleset *rs = NULL;
	struct classify_ctx ctx = { 0 };
	struct classification *c = NULL;
	struct mail_msg *m = NULL;
	struct err err = { 0 };
	gboolean method = FALSE;

	assert_true(hanzi_has_simplified("他们说"));
	assert_false(hanzi_has_simplified("他們說 hello"));
	trad = hanzi_to_traditional("我已经买好木炭");
	assert_string_equal(trad, "我已經買好木炭");
	assert_null(hanzi_to_traditional("已經是繁體"));
	/* Converted in place, ASCII and full-width marks between; with a
	 * character beyond the BMP (𠮷), one by one: the same words. */
	g_free(trad);
	trad = hanzi_convert("a们说，b 这样「药」!");
	assert_string_equal(trad, "a們說，b 這樣「藥」!");
	g_free(trad);
	trad = hanzi_convert("𠮷们说");
	assert_string_equal(trad, "𠮷們說");

	assert_int_equal(rules_load_dir(rules_dir, &rs, &err), ST_OK);
	ctx.rules = rs;
	assert_int_equal(mail_parse(mail, strlen(mail), &m, &err), ST_OK);
	assert_int_equal(classify_mail(&ctx, m, &c, &err), ST_OK);
	assert_int_equal(c->triage->urgency, URGENCY_EMERGENCY);
	for (guint i = 0; i < c->triage->hits->len; i++)
		method = method || strcmp(rule_id(g_array_index(
				c->triage->hits, struct rule_hit, i).rule),
				"suicide.means") == 0;
	assert_true(method);
	classification_free(c);
	mail_msg_free(m);
	ruleset_free(rs);
}

/*
 * The table built from OpenCC with lamplight (hanzi_gen.c) converts
 * every character of the Basic Multilingual Plane from U+3400 as OpenCC
 * installed here does, asked about that character alone: a table made
 * wrong, or from another OpenCC, fails.
 */
static void
test_hanzi_table(void **state)
{
	opencc_t cc = opencc_open("s2tw.json");
	guint changed = 0;

	assert_true(cc != (opencc_t)-1);
	for (gunichar c = 0x3400; c < 0x10000; c++) {
		char in[8] = { 0 };
		g_autofree char *want = NULL, *got = NULL;
		char *out;

		if (c >= 0xd800 && c < 0xe000)
			continue;	/* surrogates are no characters */
		g_unichar_to_utf8(c, in);
		out = opencc_convert_utf8(cc, in, strlen(in));
		assert_non_null(out);
		/* One character for one, or it stays as it is. */
		want = g_strdup(g_utf8_strlen(out, -1) == 1 ? out : in);
		opencc_convert_utf8_free(out);
		got = hanzi_convert(in);
		if (strcmp(got, want) != 0)
			fail_msg("U+%04X: table gives %s, OpenCC %s", c, got,
				 want);
		changed += strcmp(want, in) != 0;
	}
	opencc_close(cc);
	/* Thousands change (们 們, 药 藥): the test read a real table. */
	assert_true(changed > 2000);
}

/*
 * A forward pasted below the writer's note (not attached) is read as
 * evidence about the one who wrote it; a reply's quoted history is not.
 */
static void
test_inline_forward_is_evidence(void **state)
{
	static const char *const mails[] = {
		"From: a@example.org\r\nTo: tpe@centers.moj-help.example\r\n"
		"Subject: Fwd: =?UTF-8?B?5aq9?=\r\n"
		"Content-Type: text/plain; charset=utf-8\r\n\r\n"
		"這是我弟弟昨晚寄給我的，拜託幫忙。\r\n\r\n"
		"---------- Forwarded message ---------\r\n"
		"From: 弟弟 <b@example.org>\r\n\r\n"
		"媽，對不起，我不想活了，不要找我。\r\n",
		"From: a@example.org\r\nTo: tpe@centers.moj-help.example\r\n"
		"Subject: Re: =?UTF-8?B?5aq9?=\r\n"
		"Content-Type: text/plain; charset=utf-8\r\n\r\n"
		"謝謝，我想問門診時間。\r\n\r\n"
		"On Mon, 2 Nov 2026 at 09:00, 中心 <tpe@centers.moj-help.example> wrote:\r\n"
		"> 若您有立即的危險，例如想自殺，請撥 1925。\r\n",
	};
	static const enum urgency want[] = {
		URGENCY_EMERGENCY, URGENCY_CONSULTATION,
	};
	g_autofree char *rules_dir = source_path("rules");
	struct ruleset *rs = NULL;
	struct classify_ctx ctx = { 0 };
	struct err err = { 0 };

	assert_int_equal(rules_load_dir(rules_dir, &rs, &err), ST_OK);
	ctx.rules = rs;
	for (size_t i = 0; i < G_N_ELEMENTS(mails); i++) {
		struct classification *c = NULL;
		struct mail_msg *m = NULL;

		assert_int_equal(mail_parse(mails[i], strlen(mails[i]), &m,
					    &err), ST_OK);
		assert_int_equal(classify_mail(&ctx, m, &c, &err), ST_OK);
		assert_non_null(c->triage);
		assert_int_equal(c->triage->urgency, want[i]);
		classification_free(c);
		mail_msg_free(m);
	}
	ruleset_free(rs);
}

static gboolean
has(const char *hay, const char *needle)
{
	return strstr(hay, needle) != NULL;
}

/* A sister forwards her brother's letter: his words apart from hers. */
static void
test_forwarded_plain(void **state)
{
	struct mail_msg *m = parse_fixture("mime/forward-rfc822-plain.eml");
	const struct attachment *a;

	assert_true(has(m->text, "我聯絡不到他"));
	assert_false(has(m->text, "撐不下去"));
	assert_string_equal(m->forwarded_text,
			    "--- 轉寄的信件：陳小明 ---\n"
			    "給姊姊\n\n"
			    "姊：\n"
			    "對不起，我真的撐不下去了。戒不掉，也不想再拖累你們。\n"
			    "謝謝妳一直照顧我，這是最後一封信了。\n"
			    "小明");
	assert_false(m->text_from_html);
	assert_int_equal(m->attachments->len, 1);
	a = m->attachments->pdata[0];
	assert_string_equal(a->content_type, "message/rfc822");
	assert_string_equal(a->filename, "letter.eml");
	assert_true(a->size > 0);
	mail_msg_free(m);
}

/* The forwarded letter is HTML only, in Big5: its visible text only. */
static void
test_forwarded_html(void **state)
{
	struct mail_msg *m = parse_fixture("mime/forward-rfc822-html.eml");

	assert_true(has(m->text, "兒子半夜寄來這封信"));
	assert_false(has(m->text, "宿舍頂樓"));
	assert_false(m->text_from_html);
	assert_true(g_str_has_prefix(m->forwarded_text,
				     "--- 轉寄的信件：林俊傑 ---\n媽\n\n"));
	assert_true(has(m->forwarded_text, "媽，我在宿舍頂樓，想了很久。\n"
					   "我不想再活下去了，對不起。"));
	assert_false(has(m->forwarded_text, "HIDDEN"));
	assert_false(has(m->forwarded_text, "HEADTITLE"));
	assert_null(strchr(m->forwarded_text, '<'));
	mail_msg_free(m);
}

/* A forward of a forward: each letter once, the outer one first. */
static void
test_forwarded_nested(void **state)
{
	struct mail_msg *m = parse_fixture("mime/forward-nested.eml");
	const char *sister, *brother;

	assert_string_equal(g_strchomp(m->text), "我朋友小芳的弟弟，請你們幫忙。");
	sister = strstr(m->forwarded_text, "--- 轉寄的信件：陳小芳 ---\n"
					   "轉寄：給姊姊\n\n您好，");
	brother = strstr(m->forwarded_text, "\n\n--- 轉寄的信件：陳小明 ---\n"
					    "給姊姊\n\n姊：\n");
	assert_true(sister == m->forwarded_text);
	assert_non_null(brother);
	assert_true(has(brother, "這是最後一封信了"));
	/* The brother's letter once, not again inside the sister's. */
	assert_true(strstr(m->forwarded_text, "撐不下去") > brother);
	assert_null(strstr(strstr(m->forwarded_text, "撐不下去") + 1,
			   "撐不下去"));
	assert_int_equal(m->attachments->len, 2);
	mail_msg_free(m);
}

/* Issue 16: commands inside a forwarded message never reach the parser. */
static void
test_staff_forward_not_commands(void **state)
{
	struct mail_msg *m = parse_fixture("mime/staff-forward-command.eml");
	g_autofree char *text = quote_strip(m->text);
	struct command_block *b = command_parse(text);

	assert_false(has(m->text, "#close"));
	assert_false(has(m->text, "可結案"));
	assert_true(has(m->forwarded_text, "#close 4"));
	assert_int_equal(command_quoted(m->text), 0);
	assert_int_equal(b->commands->len, 1);
	assert_int_equal(((struct command *)b->commands->pdata[0])->verb,
			 CMD_NOTE);
	command_block_free(b);
	mail_msg_free(m);
}

/* An empty, stub or signature-only text part beside the HTML letter. */
static void
test_html_beside_stub(void **state)
{
	static const struct {
		const char *file;
		gboolean html;
		const char *want;
	} t[] = {
		{ "mime/html-empty-plain.eml", TRUE, "晚上會打我和孩子" },
		{ "mime/html-stub-plain.eml", TRUE, "晚上會打我和孩子" },
		{ "mime/html-sig-plain.eml", TRUE, "晚上會打我和孩子" },
		/* A short letter whose HTML says no more keeps its text. */
		{ "mime/html-short-plain.eml", FALSE, "謝謝你們，我明天會去。" },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(t); i++) {
		struct mail_msg *m = parse_fixture(t[i].file);

		if (m->text_from_html != t[i].html || !has(m->text, t[i].want) ||
		    has(m->text, "<") || has(m->text, "請使用支援")) {
			print_error("%s: html %d\n", t[i].file,
				    m->text_from_html);
			fail();
		}
		assert_string_equal(m->forwarded_text, "");
		mail_msg_free(m);
	}
}

/* What a reader never sees never becomes text. */
static void
test_html_hidden(void **state)
{
	static const struct {
		const char *html, *want;
	} t[] = {
		{ "<p>a</p><p style='font-size: 0pt'>x</p>", "a\n" },
		{ "<p>a</p><p style='font-size:0.0em;color:red'>x</p>", "a\n" },
		{ "<p>a</p><p style='font-size:10px'>b</p>", "a\nb\n" },
		{ "<p style='display:block'>a</p>", "a\n" },
		{ "<p style='display: none ! important'>x</p>b", "b" },
		{ "<p style='visibility:collapse'>x</p>b", "b" },
		{ "<p style='opacity:0'>x</p><p style='opacity:0.5'>b</p>",
		  "b\n" },
		{ "<p HIDDEN>x</p>b", "b" },
		{ "a<!-- x -->b", "ab\n" },
		{ "<style>.h{display:none}</style><p class='h k'>x</p>b", "b" },
		/* Rules for some screens only are left alone. */
		{ "<style>@media (max-width:1px){.h{display:none}}</style>"
		  "<p class='h'>a</p>", "a\n" },
		{ "<style>.h{display:none", "" },
		{ "<style>/*", "" },
		{ "<noscript>a</noscript>", "a" },
		{ "<body>a<title>x</title></body>", "a" },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(t); i++) {
		guint bad = 0;
		g_autofree char *s = html_to_text(t[i].html, strlen(t[i].html),
						  "utf-8", &bad);

		if (strcmp(s, t[i].want) != 0) {
			print_error("case %zu: '%s'\n", i, s);
			fail();
		}
	}
	{
		struct mail_msg *m = parse_fixture("mime/html-hidden.eml");

		assert_true(m->text_from_html);
		for (int i = 1; i <= 16; i++) {
			char mark[8];

			g_snprintf(mark, sizeof mark, "HIDE%02d", i);
			if (has(m->text, mark)) {
				print_error("%s in the text\n", mark);
				fail();
			}
		}
		assert_false(has(m->text, "貸款"));
		assert_true(has(m->text, "我最近睡不好"));
		assert_true(has(m->text, "想找人談談"));
		assert_true(has(m->text, "週末也可以嗎"));
		assert_true(has(m->text, "謝謝。"));
		mail_msg_free(m);
	}
}

/* Quoted history keeps one "> " per quote around it, blank lines out,
 * whatever the nesting (250 deep: read in one pass, not one per level). */
static void
test_html_quotes(void **state)
{
	static const struct {
		const char *html, *want;
	} t[] = {
		{ "a<blockquote>b</blockquote>c", "a\n> b\nc" },
		{ "<blockquote> b <br><br> c </blockquote>", "> b\n> c\n" },
		{ "<blockquote>b<blockquote>c</blockquote>d</blockquote>e",
		  "> b\n> > c\n> d\ne" },
		{ "<div class='gmail_quote'>b<blockquote></blockquote></div>",
		  "> b\n" },
	};
	GString *html = g_string_new(NULL), *want = g_string_new(NULL);
	guint bad = 0;
	char *s;

	for (size_t i = 0; i < G_N_ELEMENTS(t); i++) {
		s = html_to_text(t[i].html, strlen(t[i].html), "utf-8", &bad);
		if (strcmp(s, t[i].want) != 0) {
			print_error("case %zu: '%s'\n", i, s);
			fail();
		}
		g_free(s);
	}
	for (int d = 1; d <= 250; d++) {
		g_string_append_printf(html, "<blockquote>%d", d);
		for (int k = 0; k < d; k++)
			g_string_append(want, "> ");
		g_string_append_printf(want, "%d\n", d);
	}
	for (int d = 0; d < 250; d++)
		g_string_append(html, "</blockquote>");
	s = html_to_text(html->str, html->len, "utf-8", &bad);
	assert_string_equal(s, want->str);
	g_free(s);
	g_string_free(html, TRUE);
	g_string_free(want, TRUE);
}

/* Parts whose charset label lies, as they come in mail. */
static void
test_mislabelled_parts(void **state)
{
	static const char trad[] = "我不想活了，請幫幫我。戒毒好難。";
	static const char simp[] = "我不想活了，请帮帮我。戒毒好难。";
	static const struct {
		const char *file, *want, *charset;
		guint bad;
	} t[] = {
		{ "mime/charset-latin1-big5.eml", trad, "CP950", 0 },
		{ "mime/charset-ascii-big5.eml", trad, "CP950", 0 },
		{ "mime/charset-latin1-gb.eml", simp, "GB18030", 0 },
		{ "mime/charset-ascii-gb.eml", simp, "GB18030", 0 },
		{ "mime/charset-latin1-utf8.eml", trad, "UTF-8", 0 },
		{ "mime/charset-big5-utf8.eml", trad, "UTF-8", 0 },
		{ "mime/charset-big5-utf8-cut.eml",
		  "我不想活了，請幫幫我。戒毒好難\xef\xbf\xbd", "UTF-8", 1 },
		{ "mime/charset-latin1-true.eml",
		  "Grüße aus München, à bientôt « chez nous ».", "WINDOWS-1252",
		  0 },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(t); i++) {
		struct mail_msg *m = parse_fixture(t[i].file);

		g_strstrip(m->text);
		if (strcmp(m->text, t[i].want) != 0 ||
		    strcmp(m->charset, t[i].charset) != 0 ||
		    m->bad_bytes != t[i].bad) {
			print_error("%s: '%s' %s bad %u\n", t[i].file, m->text,
				    m->charset, m->bad_bytes);
			fail();
		}
		mail_msg_free(m);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_charsets),
		cmocka_unit_test(test_lost_bytes_are_counted),
		cmocka_unit_test(test_big5_form),
		cmocka_unit_test(test_hanzi_table),
		cmocka_unit_test(test_html_only),
		cmocka_unit_test(test_raw_big5_subject),
		cmocka_unit_test(test_form_variants),
		cmocka_unit_test(test_expected_fixtures),
		cmocka_unit_test(test_broken_mail_does_not_crash),
		cmocka_unit_test(test_body_hash),
		cmocka_unit_test(test_case_ref),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_simplified_is_triaged),
		cmocka_unit_test(test_inline_forward_is_evidence),
		cmocka_unit_test(test_forwarded_plain),
		cmocka_unit_test(test_forwarded_html),
		cmocka_unit_test(test_forwarded_nested),
		cmocka_unit_test(test_staff_forward_not_commands),
		cmocka_unit_test(test_html_beside_stub),
		cmocka_unit_test(test_html_hidden),
		cmocka_unit_test(test_html_quotes),
		cmocka_unit_test(test_mislabelled_parts),
	};

	return cmocka_run_group_tests(tests, mime_group_setup,
				      mime_group_teardown);
}
