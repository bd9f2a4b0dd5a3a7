/*
 * Staff replies by mail: the command block (command.h) and who may act
 * (verify.h), without servers.  tests/e2e/staff.sh drives the rest.
 */
#include <string.h>

#include "testutil.h"
#include "testmime.h"

#include "command.h"
#include "config.h"
#include "mime.h"
#include "quote.h"
#include "token.h"
#include "verify.h"

static struct mail_msg *parse(const char *raw);

static const struct command *
cmd_at(const struct command_block *b, guint i)
{
	assert_true(i < b->commands->len);
	return b->commands->pdata[i];
}

static void
test_block_then_message(void **state)
{
	struct command_block *b = command_parse(
		"\n#state registered\n\n＃note 已電話聯絡本人\n"
		"#Refer: health 需要美沙冬\n#thanks\n"
		"#close 1\n您好，我們明天會去拜訪。\n");

	assert_int_equal(b->commands->len, 3);
	assert_int_equal(cmd_at(b, 0)->verb, CMD_STATE);
	assert_string_equal(cmd_at(b, 0)->arg, "registered");
	/* Full-width hash of Chinese input methods. */
	assert_int_equal(cmd_at(b, 1)->verb, CMD_NOTE);
	assert_string_equal(cmd_at(b, 1)->arg, "已電話聯絡本人");
	/* Any case, a colon after the verb. */
	assert_int_equal(cmd_at(b, 2)->verb, CMD_REFER);
	assert_string_equal(cmd_at(b, 2)->arg, "health 需要美沙冬");
	/* After #thanks a '#' line is the message. */
	assert_true(g_str_has_prefix(b->rest, "#close 1\n您好"));
	command_block_free(b);
}

static void
test_block_ends_at_text(void **state)
{
	struct command_block *b = command_parse(
		"#assign lin\n謝謝您的來信。\n#close 3\n");

	assert_int_equal(b->commands->len, 1);
	assert_int_equal(cmd_at(b, 0)->verb, CMD_ASSIGN);
	/* A command below the text is text. */
	assert_string_equal(b->rest, "謝謝您的來信。\n#close 3\n");
	command_block_free(b);

	b = command_parse("您好\n#close 3\n");
	assert_int_equal(b->commands->len, 0);
	assert_string_equal(b->rest, "您好\n#close 3\n");
	command_block_free(b);

	b = command_parse("");
	assert_int_equal(b->commands->len, 0);
	assert_string_equal(b->rest, "");
	command_block_free(b);
}

static void
test_unknown_and_glued(void **state)
{
	struct command_block *b = command_parse(
		"#closed 2\n#hashtag\n#follow-up 12/01\n#visit　115/12/3\n");

	/* "#closed" is not "#close": unknown, not a guess. */
	assert_int_equal(b->commands->len, 4);
	assert_int_equal(cmd_at(b, 0)->verb, CMD_UNKNOWN);
	assert_int_equal(cmd_at(b, 1)->verb, CMD_UNKNOWN);
	assert_string_equal(cmd_at(b, 1)->line, "#hashtag");
	assert_int_equal(cmd_at(b, 2)->verb, CMD_FOLLOWUP);
	assert_string_equal(cmd_at(b, 2)->arg, "12/01");
	/* A full-width space after the verb. */
	assert_int_equal(cmd_at(b, 3)->verb, CMD_VISIT);
	assert_string_equal(cmd_at(b, 3)->arg, "115/12/3");
	assert_string_equal(b->rest, "");
	command_block_free(b);
}

static void
test_quoted_commands_counted(void **state)
{
	/* Quoted commands at any depth; our notices' help lines ("・#...")
	 * and a '#' word that is no command are not counted, nor is the
	 * unquoted block. */
	assert_int_equal(command_quoted("#note top\n好\n> #close 3\n"
					"> > ＃state registered\n"
					">   ・#state registered\n"
					"> #hashtag\n｜#merge TPE-1151123-0001\n"),
			 3);
	assert_int_equal(command_quoted("#close 3\n"), 0);
	assert_int_equal(command_quoted(""), 0);
}

static void
test_dates(void **state)
{
	GDate today, d;

	g_date_clear(&today, 1);
	g_date_set_dmy(&today, 23, 11, 2026);
	assert_true(command_date("2026-12-01", &today, &d));
	assert_int_equal(g_date_get_day(&d), 1);
	assert_int_equal(g_date_get_month(&d), 12);
	assert_true(command_date("115/12/01", &today, &d));
	assert_int_equal(g_date_get_year(&d), 2026);
	assert_true(command_date("12/24 下午", &today, &d));
	assert_int_equal(g_date_get_year(&d), 2026);
	assert_int_equal(g_date_get_day(&d), 24);
	assert_false(command_date("2026-02-30", &today, &d));
	assert_false(command_date("明天", &today, &d));
	assert_false(command_date("", &today, &d));
	assert_false(command_date("2026-13", &today, &d));
	assert_false(command_date("1/2/3/4", &today, &d));
}

/* verify_authenticated over a list of header values. */
static gboolean
vouched(const char *trusted, const char *from, const char *const *ar)
{
	char *ids[] = { (char *)trusted, NULL };
	g_autoptr(GPtrArray) a = g_ptr_array_new();

	for (int i = 0; ar[i] != NULL; i++)
		g_ptr_array_add(a, (gpointer)ar[i]);
	return verify_authenticated(ids, a, from);
}

static void
test_authentication_results(void **state)
{
	const char *from = "lin@tpe.centers.example";
	const char *auth[] = {
		"mx.tpe.example; auth=pass (PLAIN) smtp.auth=lin@tpe.centers.example",
		NULL };
	const char *other_user[] = {
		"mx.tpe.example; auth=pass smtp.auth=chen@tpe.centers.example",
		NULL };
	const char *dkim[] = {
		"mx.tpe.example 1; spf=none; dkim=pass (2048-bit key) "
		"header.d=centers.example header.s=s1",
		NULL };
	const char *dkim_other[] = {
		"mx.tpe.example; dkim=pass header.d=evil.example", NULL };
	const char *spf[] = {
		"mx.tpe.example;\r\n\tspf=pass smtp.mailfrom=\"lin@tpe.centers.example\"",
		NULL };
	const char *fail[] = {
		"mx.tpe.example; dkim=fail header.d=tpe.centers.example; "
		"spf=softfail smtp.mailfrom=tpe.centers.example", NULL };
	const char *forged[] = {
		"evil.example; auth=pass smtp.auth=lin@tpe.centers.example",
		NULL };
	const char *commented[] = {
		"mx.tpe.example; (auth=pass smtp.auth=lin@tpe.centers.example) "
		"none", NULL };
	const char *none[] = { NULL };

	assert_true(vouched("mx.tpe.example", from, auth));
	assert_true(vouched("MX.TPE.example", from, auth));
	assert_false(vouched("mx.tpe.example", from, other_user));
	/* DKIM of the parent domain is aligned (relaxed). */
	assert_true(vouched("mx.tpe.example", from, dkim));
	assert_false(vouched("mx.tpe.example", from, dkim_other));
	assert_true(vouched("mx.tpe.example", from, spf));
	assert_false(vouched("mx.tpe.example", from, fail));
	/* Only the trusted server's word counts. */
	assert_false(vouched("mx.tpe.example", from, forged));
	assert_false(vouched("mx.tpe.example", from, commented));
	assert_false(vouched("mx.tpe.example", from, none));
	assert_false(verify_authenticated(NULL, NULL, from));
}

/*
 * Authentication-Results as exim's ${authresults} really writes them
 * (tests/harness: exim 4.96), hostile DKIM tags included, and RFC 8601's
 * syntax: quoted strings, nested comments, versions, "none".
 */
static void
test_authres_rfc8601(void **state)
{
	const char *from = "lin@tpe.centers.example";
	const char *exim_login[] = {
		"localhost;\n\tauth=pass (PLAIN) smtp.auth=lin@tpe.centers.example;"
		"\n\tdkim=fail (body hash mismatch; body probably modified in "
		"transit)\n\t\t header.d=evil.example header.i=@evil.example "
		"header.s=sel header.a=rsa-sha256", NULL };
	/* An outsider's DKIM i= "x=3Bauth=3Dpass=20smtp.auth=3Dlin@...". */
	const char *exim_hostile_i[] = {
		"localhost;\n\tdkim=fail (body hash mismatch; body probably "
		"modified in transit)\n\t\t header.d=evil.example "
		"header.i=x;auth=pass smtp.auth=lin@tpe.centers.example "
		"header.s=sel header.a=rsa-sha256", NULL };
	/* ... closing the rest into a comment with a second signature's
	 * s= "s2)": exim's header.a still follows (and the message's
	 * DKIM-Signature tags are refused besides: test_dkim_hostile). */
	const char *exim_hostile_comment[] = {
		"localhost;\n\tdkim=fail (body hash mismatch)\n\t\t "
		"header.d=evil.example header.i=x;auth=pass "
		"smtp.auth=lin@tpe.centers.example ( header.s=sel "
		"header.a=rsa-sha256;\n\tdkim=fail (body hash mismatch)\n\t\t "
		"header.d=y.example header.i=@y.example header.s=s2) "
		"header.a=rsa-sha256", NULL };
	/* ... with a real login beside it: two auth results. */
	const char *exim_two_auth[] = {
		"localhost;\n\tauth=pass (PLAIN) smtp.auth=chen@tpe.centers.example;"
		"\n\tdkim=fail header.d=evil.example header.i=x;auth=pass "
		"smtp.auth=lin@tpe.centers.example", NULL };
	/* Below another server's header: not the trusted server's. */
	const char *below_other[] = {
		"mx.evil.example; none",
		"localhost; auth=pass smtp.auth=lin@tpe.centers.example", NULL };
	const char *quoted_ok[] = {
		"\"localhost\" 1 (the (nested) server); auth=pass "
		"smtp.auth=\"lin@tpe.centers.example\"", NULL };
	const char *quoted_semicolon[] = {
		"localhost; dkim=pass header.i=\"x;auth=pass "
		"smtp.auth=lin@tpe.centers.example\" header.d=evil.example",
		NULL };
	const char *unclosed[] = {
		"localhost; auth=pass smtp.auth=lin@tpe.centers.example (",
		NULL };
	const char *stray[] = {
		"localhost; auth=pass smtp.auth=lin@tpe.centers.example ]", NULL };
	const char *reason[] = {
		"localhost; dkim/1=pass reason=\"good; sig\" "
		"header.d=tpe.centers.example", NULL };
	struct authres *a;

	assert_true(vouched("localhost", from, exim_login));
	assert_false(vouched("localhost", from, exim_hostile_i));
	assert_false(vouched("localhost", from, exim_hostile_comment));
	assert_false(vouched("localhost", "chen@tpe.centers.example",
			     exim_two_auth));
	assert_false(vouched("localhost", from, exim_two_auth));
	assert_false(vouched("localhost", from, below_other));
	assert_true(vouched("localhost", from, quoted_ok));
	assert_false(vouched("localhost", from, quoted_semicolon));
	assert_false(vouched("localhost", from, unclosed));
	assert_false(vouched("localhost", from, stray));
	assert_true(vouched("localhost", from, reason));

	a = authres_parse(quoted_ok[0]);
	assert_non_null(a);
	assert_string_equal(a->authserv_id, "localhost");
	assert_int_equal(a->results->len, 1);
	authres_free(a);
	a = authres_parse("mx.example.org; none");
	assert_non_null(a);
	assert_int_equal(a->results->len, 0);
	authres_free(a);
	assert_null(authres_parse(""));
	assert_null(authres_parse("mx.example.org"));
	assert_null(authres_parse("mx.example.org; dkim=pass header.d=a@b@c"));
}

/* DKIM signatures whose tags would break the header, once written. */
static void
test_dkim_hostile(void **state)
{
	static const struct {
		const char *sig;
		gboolean hostile;
	} t[] = {
		{ "v=1; a=rsa-sha256; d=tpe.centers.example; s=s1;\r\n "
		  "i=lin@tpe.centers.example; h=From; bh=x; b=y", FALSE },
		{ "v=1; d=evil.example; s=sel; i=x=3Bauth=3Dpass=20smtp.auth"
		  "=3Dlin@tpe.centers.example; bh=x; b=y", TRUE },
		{ "v=1; d=evil.example; s=s2); bh=x; b=y", TRUE },
		{ "v=1; d=evil.example; s=sel; i=a=28b@evil.example; b=y",
		  TRUE },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(t); i++) {
		g_autofree char *raw = g_strdup_printf(
			"DKIM-Signature: %s\r\nFrom: a@b.example\r\n\r\nx\r\n",
			t[i].sig);
		struct mail_msg *m = parse(raw);

		assert_int_equal(m->dkim_hostile, t[i].hostile);
		mail_msg_free(m);
	}
}

static struct tokens *
open_key(const char *dir)
{
	g_autofree char *path = g_build_filename(dir, "token.key", NULL);
	struct tokens *t = NULL;
	struct err err = { 0 };

	assert_int_equal(tokens_open(path, TRUE, &t, &err), ST_OK);
	return t;
}

static struct mail_msg *
reply(const char *from, const char *to, const char *ar)
{
	g_autofree char *raw = g_strdup_printf(
		"%s%s%sFrom: %s\r\nTo: %s\r\nSubject: Re\r\n"
		"Message-ID: <r1@x.example>\r\n\r\n好\r\n",
		ar != NULL ? "Authentication-Results: " : "",
		ar != NULL ? ar : "", ar != NULL ? "\r\n" : "", from, to);
	struct mail_msg *m = NULL;
	struct err err = { 0 };

	assert_int_equal(mail_parse(raw, strlen(raw), &m, &err), ST_OK);
	return m;
}

static void
test_verify_staff(void **state)
{
	g_autofree char *dir = scratch_new();
	struct tokens *t = open_key(dir);
	char *staff[] = { "lin@tpe.centers.example", NULL };
	char *trusted[] = { "mx.tpe.example", NULL };
	char *numbers[] = { "TPE-1151123-0001", NULL };
	struct centre c = { .code = "TPE", .address = "tpe@centers.example",
			    .staff = staff };
	g_autofree char *tok = token_make(t, numbers[0], staff[0]);
	g_autofree char *tok2 = token_make(t, "TPE-1151123-0002", staff[0]);
	g_autofree char *to = token_reply_to(tok, c.address);
	g_autofree char *to2 = token_reply_to(tok2, c.address);
	const char *ar = "mx.tpe.example; auth=pass "
			 "smtp.auth=lin@tpe.centers.example";
	struct {
		const char *from, *to, *ar;
		gboolean closed;
		enum verdict want;
	} cases[] = {
		{ staff[0], to, ar, FALSE, VERIFY_OK },
		{ staff[0], to, ar, TRUE, VERIFY_CLOSED },
		{ staff[0], to, NULL, FALSE, VERIFY_UNAUTHENTICATED },
		{ staff[0], c.address, ar, FALSE, VERIFY_NO_TOKEN },
		{ staff[0], to2, ar, FALSE, VERIFY_OTHER_CASE },
		{ "chen@tpe.centers.example", to, ar, FALSE, VERIFY_NOT_STAFF },
		{ "lin@tpe.centers.example, x@evil.example", to, ar, FALSE,
		  VERIFY_MANY_FROM },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		struct mail_msg *m = reply(cases[i].from, cases[i].to,
					   cases[i].ar);

		assert_int_equal(verify_staff(&c, trusted, t, m, numbers,
					      cases[i].closed, NULL),
				 cases[i].want);
		mail_msg_free(m);
	}
	/* Nothing is trusted: nobody is authenticated. */
	{
		struct mail_msg *m = reply(staff[0], to, ar);

		assert_int_equal(verify_staff(&c, NULL, t, m, numbers, FALSE,
					      NULL),
				 VERIFY_UNAUTHENTICATED);
		mail_msg_free(m);
	}
	/* The staff secret: instead of the server, or required. */
	{
		struct mail_msg *m = reply(staff[0], to, NULL);
		struct mail_msg *ok = reply(staff[0], to, ar);

		c.staff_secrets = g_hash_table_new_full(g_str_hash, g_str_equal,
							g_free, g_free);
		g_hash_table_insert(c.staff_secrets,
				    g_strdup("lin@tpe.centers.example"),
				    g_strdup("月光燈塔-7"));
		assert_int_equal(verify_staff(&c, trusted, t, m, numbers,
					      FALSE, "月光燈塔-7"), VERIFY_OK);
		assert_int_equal(verify_staff(&c, trusted, t, m, numbers,
					      FALSE, "月光燈塔-8"),
				 VERIFY_BAD_SECRET);
		/* A wrong one refuses even a vouched reply. */
		assert_int_equal(verify_staff(&c, trusted, t, ok, numbers,
					      FALSE, "月光燈塔"),
				 VERIFY_BAD_SECRET);
		assert_int_equal(verify_staff(&c, trusted, t, m, numbers,
					      FALSE, ""), VERIFY_BAD_SECRET);
		assert_int_equal(verify_staff(&c, trusted, t, m, numbers,
					      FALSE, NULL),
				 VERIFY_UNAUTHENTICATED);
		c.secret_required = staff;
		assert_int_equal(verify_staff(&c, trusted, t, ok, numbers,
					      FALSE, NULL), VERIFY_NO_SECRET);
		assert_int_equal(verify_staff(&c, trusted, t, ok, numbers,
					      FALSE, "月光燈塔-7"), VERIFY_OK);
		c.secret_required = NULL;
		g_hash_table_destroy(c.staff_secrets);
		c.staff_secrets = NULL;
		mail_msg_free(m);
		mail_msg_free(ok);
	}
	tokens_free(t);
	scratch_remove(dir);
}

/* What quote_typed() keeps, and where the commands may stand. */
static void
test_typed_text(void **state)
{
	static const struct {
		const char *in, *typed, *head;
	} t[] = {
		/* Top posting: above the quote; commands end at a quote. */
		{ "#note a\n好的\n\n> #close 4\n#close 3\n",
		  "#note a\n好的\n\n#close 3", "#note a\n好的" },
		/* Outlook's block without '>': nothing below it is typed,
		 * and with nothing above it nothing at all. */
		{ "\n\n寄件者: 臺北市中心 <tpe@c.example>\n寄件日期: 2026年11月23日\n"
		  "主旨: [TPE-1] 新案件\n\n同仁您好：\n#close 4\n", "", "" },
		{ "From: tpe@c.example\nSent: Monday\nSubject: x\n\n#close 4\n",
		  "", "" },
		{ "-----Original Message-----\n#close 4\n", "", "" },
		/* Below an attribution: after the quote's last '>' line; a
		 * wrapped quote line without its mark is not typed. */
		{ "On Mon, lin wrote:\n> 同仁您好\n#close 4\n> 我的電話\n\n"
		  "#assign chen\n好\n-- \n林\n", "#assign chen\n好",
		  "#assign chen\n好" },
		/* The signature is not typed text. */
		{ "#note x\n-- \n林社工\n", "#note x", "#note x" },
		{ "", "", "" },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(t); i++) {
		size_t head = 99;
		g_autofree char *typed = quote_typed(t[i].in, &head);
		g_autofree char *h = g_strndup(typed, head);

		assert_string_equal(typed, t[i].typed);
		assert_string_equal(g_strchomp(h), t[i].head);
	}
}

/* Signatures off the end of what is relayed, the letter kept. */
static void
test_unsign(void **state)
{
	static const struct {
		const char *in, *name, *want;
	} t[] = {
		{ "您好，下週見。\n\n林社工 敬上\n臺北市政府毒品危害防制中心\n",
		  NULL, "您好，下週見。" },
		{ "林社工\n臺北市政府毒品危害防制中心 社工員\n"
		  "電話：(02)2345-6789 分機 123\n", NULL, "" },
		{ "好的\n\n林小美\n02-2345-6789\n", NULL, "好的" },
		{ "好的\n\n林小美\n", "林小美", "好的" },
		{ "Thanks,\nLin\n", NULL, "" },
		/* Words of the letter are not a signature. */
		{ "我是中心的社工，明天打電話給您。\n", NULL,
		  "我是中心的社工，明天打電話給您。" },
		{ "王先生您好：\n  下週三見。\n", NULL,
		  "王先生您好：\n  下週三見。" },
		{ "", NULL, "" },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(t); i++) {
		g_autofree char *out = quote_unsign(t[i].in, t[i].name);

		assert_string_equal(out, t[i].want);
	}
}

static struct mail_msg *
parse(const char *raw)
{
	struct mail_msg *m = NULL;
	struct err err = { 0 };

	assert_int_equal(mail_parse(raw, strlen(raw), &m, &err), ST_OK);
	return m;
}

/* The first text of a message: never an attached message, a later
 * part or hidden HTML. */
static void
test_own_text(void **state)
{
	struct mail_msg *m;

	/* An empty text/plain of their own, a forward attached. */
	m = parse("From: a@x.example\nMIME-Version: 1.0\n"
		  "Content-Type: multipart/mixed; boundary=b\n\n--b\n"
		  "Content-Type: text/plain\n\n\n--b\n"
		  "Content-Type: message/rfc822\n\nFrom: w@y.example\n"
		  "Subject: s\n\n#close 4\n#assign chen\n--b--\n");
	assert_null(strstr(m->own_text, "#close"));
	assert_null(strstr(m->text, "#close"));
	assert_non_null(strstr(m->forwarded_text, "#close 4"));
	mail_msg_free(m);
	/* HTML only, the forward's HTML with a display:none block. */
	m = parse("From: a@x.example\nMIME-Version: 1.0\n"
		  "Content-Type: multipart/mixed; boundary=b\n\n--b\n"
		  "Content-Type: text/html\n\n<p>請看附件</p>"
		  "<div style=\"display:none\">#close 4</div>"
		  "<div hidden>#assign chen</div>"
		  "<div style=\"mso-hide:all\">#close 2</div>"
		  "<div style=\"max-height:0;overflow:hidden\">#close 3</div>\n--b\n"
		  "Content-Type: message/rfc822\n\nFrom: w@y.example\n"
		  "Content-Type: text/html\n\n<div style=display:none>#close 4"
		  "</div>\n--b--\n");
	assert_string_equal(g_strstrip(m->own_text), "請看附件");
	mail_msg_free(m);
	/* A second inline text part is not the first text. */
	m = parse("From: a@x.example\nMIME-Version: 1.0\n"
		  "Content-Type: multipart/mixed; boundary=b\n\n--b\n"
		  "Content-Type: text/plain\n\n\n--b\n"
		  "Content-Type: image/png\nContent-Disposition: attachment; "
		  "filename=a.png\n\nxx\n--b\nContent-Type: text/plain\n\n"
		  "#close 4\n--b--\n");
	assert_string_equal(g_strstrip(m->own_text), "");
	assert_non_null(strstr(m->text, "#close 4"));
	mail_msg_free(m);
	/* An alternative pair: the plain text, or the HTML beside a stub. */
	m = parse("From: a@x.example\nMIME-Version: 1.0\n"
		  "Content-Type: multipart/mixed; boundary=b\n\n--b\n"
		  "Content-Type: multipart/alternative; boundary=c\n\n--c\n"
		  "Content-Type: text/plain\n\n\n--c\n"
		  "Content-Type: text/html\n\n<p>#state registered</p>\n"
		  "--c--\n--b\nContent-Type: text/plain\n\n#close 4\n--b--\n");
	assert_string_equal(g_strstrip(m->own_text), "#state registered");
	mail_msg_free(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_block_then_message),
		cmocka_unit_test(test_block_ends_at_text),
		cmocka_unit_test(test_unknown_and_glued),
		cmocka_unit_test(test_quoted_commands_counted),
		cmocka_unit_test(test_dates),
		cmocka_unit_test(test_authentication_results),
		cmocka_unit_test(test_verify_staff),
		cmocka_unit_test(test_typed_text),
		cmocka_unit_test(test_own_text),
		cmocka_unit_test(test_unsign),
		cmocka_unit_test(test_authres_rfc8601),
		cmocka_unit_test(test_dkim_hostile),
	};

	return cmocka_run_group_tests(tests, mime_group_setup,
				      mime_group_teardown);
}
