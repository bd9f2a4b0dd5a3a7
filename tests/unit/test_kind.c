/*
 * Kind and case_ref from what a person would see: a partner's reply from
 * an address no config names, phishing, scams, a journalist, private mail
 * sent here by mistake; the case a bounce, a delay notice, an old bounce
 * with the original pasted in, an auto-reply without its headers or a
 * reply naming only our Message-ID refers to.  Fixtures are in
 * tests/corpus/kind/, each classified with and without a config.
 */
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "classify.h"
#include "config.h"
#include "content.h"
#include "mime.h"

static struct mail_msg *
parse_text(const char *data, size_t len)
{
	struct mail_msg *m = NULL;
	struct err err = { 0 };

	assert_int_equal(mail_parse(data, len, &m, &err), ST_OK);
	return m;
}

static struct mail_msg *
parse_fixture(const char *name)
{
	g_autofree char *path = g_build_filename("kind", name, NULL);
	g_autofree char *data = NULL;
	gsize len;

	data = fixture_read(path, &len);
	return parse_text(data, len);
}

/* Loaded once: compiling the rules is the slow part. */
static struct ruleset *rs;

static struct classification *
classify(const struct config *cfg, const struct mail_msg *m)
{
	struct classify_ctx ctx = { .cfg = cfg, .rules = rs };
	struct classification *c = NULL;
	struct err err = { 0 };

	assert_int_equal(classify_mail(&ctx, m, &c, &err), ST_OK);
	return c;
}

static void
test_fixtures(void **state)
{
	static const struct {
		const char *file, *kind, *case_ref;
	} t[] = {
		/* A health bureau whose address no config names. */
		{ "partner-unknown.eml", "referral_reply", "PIF-1151128-0007" },
		/* A hospital's note on someone "（貴中心轉介）", no number. */
		{ "partner-no-number.eml", "referral_reply", NULL },
		/* A school referring someone in: "轉介貴中心", a new case. */
		{ "agency-new-referral.eml", "help_request", NULL },
		{ "phishing-link.eml", "spam", NULL },
		{ "romance-scam.eml", "spam", NULL },
		{ "gambling-sc.eml", "spam", NULL },
		{ "journalist.eml", "other", NULL },
		/* A staff command from an outside address: a staff reply,
		 * which verification refuses; a hashtag is no command. */
		{ "staff-claimed.eml", "staff_reply", "KHH-1151105-0031" },
		{ "hashtag-seeker.eml", "help_request", NULL },
		{ "misaddressed-wedding.eml", "other", NULL },
		/* The number split between two encoded words. */
		{ "dsn-encoded-subject.eml", "bounce", "TNN-1151201-0033" },
		{ "bounce-oldstyle.eml", "bounce", "YUN-1151130-0021" },
		/* Exchange's report as plain text, from no mailer-daemon. */
		{ "ndr-plain.eml", "bounce", "NWT-1151203-0021" },
		/* Nothing but the returned Message-ID, one of ours. */
		{ "dsn-delayed.eml", "bounce",
		  "<20261204060000.4d4d@centers.moj-help.example>" },
		{ "auto-reply-bare.eml", "auto_reply", "CHA-1151130-0012" },
		/* The number only in the quoted original. */
		{ "auto-reply-quoted.eml", "auto_reply", "HSZ-1151202-0015" },
		/* References alone name our mail: the newest of ours. */
		{ "references-ours.eml", "seeker_followup",
		  "<20261202103000.4f2a9c@centers.moj-help.example>" },
	};
	g_autofree char *conf = source_path("lamplight.conf");
	struct config *cfg = NULL;
	struct err err = { 0 };
	g_autoptr(GPtrArray) problems = g_ptr_array_new_with_free_func(g_free);

	assert_int_equal(config_load(conf, &cfg, problems, &err), ST_OK);
	for (size_t i = 0; i < G_N_ELEMENTS(t); i++) {
		struct mail_msg *m = parse_fixture(t[i].file);

		/* Without a config (classify FILE) and with the demo's,
		 * whose partners are other addresses. */
		for (int with = 0; with < 2; with++) {
			struct classification *c =
				classify(with ? cfg : NULL, m);

			if (strcmp(kind_name(c->kind), t[i].kind) != 0 ||
			    g_strcmp0(c->case_ref, t[i].case_ref) != 0) {
				print_error("%s (%s config): kind %s, case_ref "
					    "%s\n", t[i].file,
					    with ? "with" : "no",
					    kind_name(c->kind),
					    c->case_ref ? c->case_ref : "null");
				fail();
			}
			classification_free(c);
		}
		mail_msg_free(m);
	}
	config_free(cfg);
}

/* A mail with one HTML part, the body given. */
static guint
mismatches(const char *html)
{
	g_autofree char *mail = g_strdup_printf(
		"From: a@example.org\r\n"
		"To: tpe@centers.moj-help.example\r\n"
		"Subject: x\r\n"
		"MIME-Version: 1.0\r\n"
		"Content-Type: text/html; charset=utf-8\r\n\r\n%s\r\n",
		html);
	struct mail_msg *m = parse_text(mail, strlen(mail));
	guint n = m->link_mismatches;

	mail_msg_free(m);
	return n;
}

static void
test_link_mismatches(void **state)
{
	/* Shows one address, goes to another. */
	assert_int_equal(mismatches("<a href=\"http://nhi-gov.example.com/r\">"
				    "https://www.nhi.gov.tw/refund</a>"), 1);
	/* A bare domain shown; the real host after a user part. */
	assert_int_equal(mismatches("<A HREF='https://nhi.gov.tw@evil.example"
				    ".net/x'>nhi.gov.tw</A>"), 1);
	/* The same host, with or without www., or a subdomain. */
	assert_int_equal(mismatches("<a href=\"https://www.example.org/a\">"
				    "example.org/a</a> <a href=\"http://mail."
				    "example.org/\">https://example.org</a>"),
			 0);
	/* Words, not an address, as the text: nothing to compare. */
	assert_int_equal(mismatches("<a href=\"http://shop.example.com/\">"
				    "立即報名</a>"), 0);
	/* A link-protection service carries the shown address. */
	assert_int_equal(mismatches("<a href=\"https://nam06.safelinks.protect"
				    "ion.outlook.com/?url=https%3A%2F%2Fgithub"
				    ".com%2Fx\">https://github.com/x</a>"), 0);
	/* mailto: is no web link. */
	assert_int_equal(mismatches("<a href=\"mailto:a@example.org\">"
				    "b@example.net</a>"), 0);
	/* Tags in any case, a link's text in tags; a tag cut off by the
	 * end of the part. */
	assert_int_equal(mismatches("<P><a HREF=\"https://pay.example.net/\">"
				    "<B>https://www.NHI.gov.tw</B></a></P>"),
			 1);
	assert_int_equal(mismatches("text <a"), 0);
}

static void
test_seeker_is_no_partner(void **state)
{
	/* The centre's referral named, a hospital mentioned: a seeker's
	 * words, with no agency speaking as itself or signing. */
	const char *mail = "From: a@example.org\r\n"
			   "To: tpe@centers.moj-help.example\r\n"
			   "Subject: =?UTF-8?B?5ZWP5LiA5LiL?=\r\n"
			   "Content-Type: text/plain; charset=utf-8\r\n\r\n"
			   "上次貴中心轉介的醫院我去過了，可是醫生說要等兩週。"
			   "\r\n請問可以換一家醫院嗎？\r\n\r\n阿明\r\n";
	struct mail_msg *m = parse_text(mail, strlen(mail));
	struct classification *c = classify(NULL, m);

	assert_int_equal(c->kind, KIND_HELP_REQUEST);
	classification_free(c);
	mail_msg_free(m);
}

static void
test_our_notice_unquoted(void **state)
{
	/* A short reply over our acknowledgement, pasted without quote
	 * marks: its "由系統自動寄出" is ours, not an autoresponder's. */
	g_autofree char *path = source_path("templates/ack-emergency.txt");
	g_autofree char *tpl = NULL, *mail = NULL;
	g_autoptr(GRegex) var = g_regex_new("\\{\\{[a-z_]+\\}\\}", 0, 0,
					    NULL);
	g_autofree char *ack = NULL;
	struct mail_msg *m;
	struct classification *c;

	assert_true(g_file_get_contents(path, &tpl, NULL, NULL));
	ack = g_regex_replace_literal(var, tpl, -1, 0, "TPE-1151201-0001", 0,
				      NULL);
	mail = g_strdup_printf("From: a@example.org\r\n"
			       "To: tpe@centers.moj-help.example\r\n"
			       "Subject: Re: x\r\n"
			       "Content-Type: text/plain; charset=utf-8\r\n"
			       "\r\n好，謝謝。\r\n\r\n%s", ack);
	m = parse_text(mail, strlen(mail));
	c = classify(NULL, m);
	assert_int_equal(c->kind, KIND_SEEKER_FOLLOWUP);
	classification_free(c);
	mail_msg_free(m);
}

static void
test_case_ref_places(void **state)
{
	/* A new subject over a quote of our mail: the quoted number. */
	const char *quoted = "From: b@example.org\r\n"
			     "To: khh@centers.moj-help.example\r\n"
			     "Subject: =?UTF-8?B?5YaN5ZWP5LiA5LiL?=\r\n"
			     "Content-Type: text/plain; charset=utf-8\r\n\r\n"
			     "請問面試是哪一天？\r\n\r\n"
			     "> 案號：KHH-1151201-0044\r\n"
			     "> 高雄市政府毒品危害防制中心\r\n";
	/* In-Reply-To names mail that is not ours: no reference. */
	const char *foreign = "From: b@example.org\r\n"
			      "To: khh@centers.moj-help.example\r\n"
			      "In-Reply-To: <x1@mail.example.com>\r\n"
			      "Subject: hello\r\n"
			      "Content-Type: text/plain; charset=utf-8\r\n\r\n"
			      "請問美沙冬門診在哪裡？\r\n";
	struct mail_msg *m;
	struct classification *c;

	m = parse_text(quoted, strlen(quoted));
	c = classify(NULL, m);
	assert_string_equal(c->case_ref, "KHH-1151201-0044");
	assert_int_equal(c->kind, KIND_SEEKER_FOLLOWUP);
	classification_free(c);
	mail_msg_free(m);

	m = parse_text(foreign, strlen(foreign));
	c = classify(NULL, m);
	assert_null(c->case_ref);
	assert_int_equal(c->kind, KIND_HELP_REQUEST);
	classification_free(c);
	mail_msg_free(m);
}

/*
 * The content checks read a text screened once by a prefilter: what they
 * find is what they find unscreened, in any thread.  Each text is one
 * such check's case: an absence notice, a "sent by a machine" notice,
 * one with a link (phishing's "sent automatically"), a letter; an agency
 * answering by what it names, by its signature line, by a form about a
 * numbered case; a mother who writes "本來".
 */
static const struct {
	const char *from_name, *text;
	gboolean auto_reply, partner;
} content_cases[] = {
	{ "", "您好，本人於12/1至12/5休假，期間無法收信，急件請洽職務代理人。",
	  TRUE, FALSE },
	{ "", "此為系統自動回覆，請勿直接回覆此信。", TRUE, FALSE },
	{ "", "您好，本人休假中，期間無法收信。詳見 https://x.example/a",
	  FALSE, FALSE },
	{ "", "我想問戒毒的事，我兒子一直在用安，請問要去哪裡看？", FALSE,
	  FALSE },
	{ "", "有關貴中心轉介之個案，本局已派員訪視，謝謝。", FALSE, TRUE },
	{ "", "貴中心12月19日通報個案已受理，謝謝。\n\n臺中市政府衛生局 心理健康科",
	  FALSE, TRUE },
	{ "王社工", "處理情形：個案已於12月3日入住。TPE-1151103-0002\n本院社工室",
	  FALSE, TRUE },
	{ "", "本來想自己處理，可是我兒子又在用，個案已經不理我了。", FALSE,
	  FALSE },
};

static struct mail_msg *
content_mail(const char *from_name, const char *text)
{
	g_autofree char *mail = g_strdup_printf(
		"From: \"%s\" <a@example.org>\r\nTo: c@example.org\r\n"
		"Subject: =?UTF-8?B?5Zue6KaG?=\r\nMIME-Version: 1.0\r\n"
		"Content-Type: text/plain; charset=utf-8\r\n"
		"Content-Transfer-Encoding: 8bit\r\n\r\n%s\r\n",
		from_name, text);

	return parse_text(mail, strlen(mail));
}

/* Reads every case; TRUE if each gives what it should. */
static gboolean
content_read_all(void)
{
	gboolean ok = TRUE;

	for (size_t i = 0; i < G_N_ELEMENTS(content_cases); i++) {
		struct mail_msg *m = content_mail(content_cases[i].from_name,
						  content_cases[i].text);
		struct content *ct = content_new(rs, content_cases[i].text);

		if (content_auto_reply(ct) != content_cases[i].auto_reply ||
		    content_partner(ct, m) != content_cases[i].partner) {
			fprintf(stderr, "content case %zu differs\n", i);
			ok = FALSE;
		}
		content_free(ct);
		mail_msg_free(m);
	}
	return ok;
}

static gpointer
content_thread(gpointer data)
{
	gboolean ok = TRUE;

	for (int round = 0; round < 20; round++)
		ok = content_read_all() && ok;
	return GINT_TO_POINTER(ok);
}

static void
test_content_screened(void **state)
{
	GThread *th[2];

	/* Screened, unscreened, then screened in two threads at once
	 * (each has its own scratch space). */
	assert_true(content_read_all());
	rules_set_prefilter(rs, FALSE);
	assert_true(content_read_all());
	rules_set_prefilter(rs, TRUE);
	for (int k = 0; k < 2; k++)
		th[k] = g_thread_new("content", content_thread, NULL);
	for (int k = 0; k < 2; k++)
		assert_true(GPOINTER_TO_INT(g_thread_join(th[k])));
}

static int
group_setup(void **state)
{
	g_autofree char *rules_dir = source_path("rules");
	struct err err = { 0 };

	mime_init();
	return rules_load_dir(rules_dir, &rs, &err) == ST_OK ? 0 : -1;
}

static int
group_teardown(void **state)
{
	ruleset_free(rs);
	mime_done();
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixtures),
		cmocka_unit_test(test_link_mismatches),
		cmocka_unit_test(test_seeker_is_no_partner),
		cmocka_unit_test(test_our_notice_unquoted),
		cmocka_unit_test(test_case_ref_places),
		cmocka_unit_test(test_content_screened),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
