/*
 * Parsing: charsets, HTML-only mail, web form fields, and the kind,
 * urgency and reply address of each fixture in tests/corpus/expected.tsv.
 */
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "charset.h"
#include "classify.h"
#include "form.h"
#include "hanzi.h"
#include "mime.h"

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
		{ "Gr\xfc\xdf" "e", "iso-8859-15", "Grüße", 0 },
		{ "\xc5\xeb\xeb\xdc\xe4\xe1", "iso-8859-7", "Ελλάδα", 0 },
		{ "plain", "x-unknown-charset", "plain", 0 },
		{ "", "utf-8", "", 0 },
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

static int
group_setup(void **state)
{
	mime_init();
	return 0;
}

static int
group_teardown(void **state)
{
	mime_done();
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_charsets),
		cmocka_unit_test(test_lost_bytes_are_counted),
		cmocka_unit_test(test_big5_form),
		cmocka_unit_test(test_html_only),
		cmocka_unit_test(test_raw_big5_subject),
		cmocka_unit_test(test_form_variants),
		cmocka_unit_test(test_expected_fixtures),
		cmocka_unit_test(test_broken_mail_does_not_crash),
		cmocka_unit_test(test_body_hash),
		cmocka_unit_test(test_case_ref),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_simplified_is_triaged),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
