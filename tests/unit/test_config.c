/*
 * The configuration: the shipped files load, and each kind of mistake is
 * reported with its file and line.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "testutil.h"

#include "config.h"

static const char *const base =
	"[lamplight]\n"			/* 1 */
	"state_dir = state\n"		/* 2 */
	"\n"				/* 3 */
	"[smtp]\n"			/* 4 */
	"url = smtp://localhost:25\n"	/* 5 */
	"\n"				/* 6 */
	"[centre TPE]\n"		/* 7 */
	"name = 臺北市政府毒品危害防制中心\n"	/* 8 */
	"address = tpe@centers.moj-help.example\n";	/* 9 */

static GPtrArray *
load(const char *dir, const char *extra, struct config **cfg)
{
	g_autofree char *path = g_build_filename(dir, "lamplight.conf", NULL);
	g_autofree char *text = g_strconcat(base, extra, NULL);
	GPtrArray *problems = g_ptr_array_new_with_free_func(g_free);
	struct err err = { 0 };

	assert_true(g_file_set_contents(path, text, -1, NULL));
	*cfg = NULL;
	config_load(path, cfg, problems, &err);
	return problems;
}

static void
test_problems_have_lines(void **state)
{
	g_autofree char *dir = scratch_new();
	static const struct {
		const char *extra, *want;
	} t[] = {
		{ "password = hunter2\n", ":10: secret 'password' in the config" },
		{ "mailbox = ftp://x/\n", ":10: mailbox scheme 'ftp'" },
		{ "mailbox = imap://host/INBOX\n",
		  ":10: mailbox URL needs a user and a host" },
		{ "mailbox = imap://u:pw@host/INBOX\n",
		  ":10: password in the mailbox URL" },
		{ "staff = a@x;not-an-address\n",
		  ":10: 'not-an-address' in staff is not a mail address" },
		{ "colour = red\n", ":10: unknown key 'colour' in [centre TPE] "
		  "(the keys: name address mailbox " },
		{ "dutty = duty@x.example\n", ":10: unknown key 'dutty' in "
		  "[centre TPE]: did you mean 'duty'?" },
		{ "Name = x\n", ":10: unknown key 'Name' in [centre TPE]: did "
		  "you mean 'name'?" },
		{ "[centre XYZ]\nname = x\n", ":10: unknown county code 'XYZ' "
		  "(the codes: TPE NWT " },
		{ "[centre TPQ]\nname = x\n", ":10: unknown county code 'TPQ': "
		  "did you mean TPE?" },
		{ "[smpt]\n", ":10: unknown group [smpt]: did you mean [smtp]?" },
		{ "[center NWT]\nname = x\n", ":10: unknown group [center NWT]: "
		  "did you mean [centre NWT]?" },
		{ "[centre]\n", ":10: unknown group [centre] (the groups: "
		  "[lamplight] [smtp] [centre CODE])" },
		{ "[mail]\n", ":10: unknown group [mail] (the groups: " },
		{ "[centre TPE]\n", ":10: group [centre TPE] repeated" },
		{ "this is not a line\n", ":10: expected 'key = value'" },
		{ "mailbox = imaps://u@h/INBOX\n",
		  ":10: a network mailbox needs password_file" },
		{ "password_file = /nonexistent/pw\n",
		  ":10: cannot read password_file" },
		{ "ack_discreet = maybe\n",
		  ":10: ack_discreet must be yes or no" },
		{ "ack_sender_name = 服務通知\n",
		  ":10: ack_sender_name needs ack_discreet = yes" },
		{ "ack_discreet = no\nack_subject = 通知\n",
		  ":11: ack_subject needs ack_discreet = yes" },
		{ "ack_discreet = yes\nack_sender_name = 戒毒服務\n",
		  ":11: ack_sender_name must not speak of drugs" },
		{ "ack_discreet = yes\nack_subject = 毒品諮詢回覆\n",
		  ":11: ack_subject must not speak of drugs" },
		{ "ack_discreet = yes\n"
		  "ack_sender_name = 臺北市政府毒品危害防制中心\n",
		  ":11: ack_sender_name must not speak of drugs" },
		{ "ack_discreet = yes\nack_subject = a\\nBcc: x@y\n",
		  ":11: ack_subject must be one line of text" },
		{ "ack_discreet = yes\nack_sender_name = "
		  "一二三四五六七八九十一二三四五六七八九十"
		  "一二三四五六七八九十一二三四五六七八九十一\n",
		  ":11: ack_sender_name must be 40 characters or fewer" },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(t); i++) {
		struct config *cfg;
		g_autoptr(GPtrArray) p = load(dir, t[i].extra, &cfg);
		gboolean found = FALSE;

		assert_null(cfg);
		for (guint k = 0; k < p->len; k++)
			if (strstr(p->pdata[k], t[i].want) != NULL)
				found = TRUE;
		if (!found) {
			print_error("case %zu: %u problems, first: %s\n", i,
				    p->len, p->len ? (char *)p->pdata[0] : "");
			fail();
		}
	}
	scratch_remove(dir);
}

static void
test_secret_file(void **state)
{
	g_autofree char *dir = scratch_new();
	g_autofree char *pw = g_build_filename(dir, "pw", NULL);
	g_autofree char *extra = g_strdup_printf(
		"mailbox = imaps://tpe@localhost:993/INBOX\n"
		"password_file = %s\n", pw);
	struct config *cfg;
	g_autoptr(GPtrArray) p1 = NULL, p2 = NULL;

	assert_true(g_file_set_contents(pw, "s3cret\n", -1, NULL));
	chmod(pw, 0644);
	p1 = load(dir, extra, &cfg);
	assert_null(cfg);
	assert_non_null(strstr(p1->pdata[0], "readable by others"));
	/* The problem names the file, never the secret. */
	assert_null(strstr(p1->pdata[0], "s3cret"));
	chmod(pw, 0600);
	p2 = load(dir, extra, &cfg);
	assert_int_equal(p2->len, 0);
	assert_non_null(cfg);
	assert_string_equal(((struct centre *)cfg->centres->pdata[0])->password,
			    "s3cret");
	config_free(cfg);
	scratch_remove(dir);
}

/* ack_discreet: off by default, neutral defaults when on, or the
 * centre's own words. */
static void
test_discreet_keys(void **state)
{
	g_autofree char *dir = scratch_new();
	static const struct {
		const char *extra, *name, *subject;
		gboolean on;
	} t[] = {
		{ "", NULL, NULL, FALSE },
		{ "ack_discreet = no\n", NULL, NULL, FALSE },
		{ "ack_discreet = yes\n", "服務通知", "您的來信已收到", TRUE },
		{ "ack_discreet = true\nack_sender_name = 市府服務信箱\n"
		  "ack_subject = 回覆通知\n", "市府服務信箱", "回覆通知", TRUE },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(t); i++) {
		struct config *cfg;
		g_autoptr(GPtrArray) p = load(dir, t[i].extra, &cfg);
		const struct centre *c;

		assert_int_equal(p->len, 0);
		c = cfg->centres->pdata[0];
		assert_int_equal(c->ack_discreet, t[i].on);
		if (t[i].on) {
			assert_string_equal(c->ack_sender_name, t[i].name);
			assert_string_equal(c->ack_subject, t[i].subject);
		} else {
			assert_null(c->ack_sender_name);
			assert_null(c->ack_subject);
		}
		config_free(cfg);
	}
	scratch_remove(dir);
}

static void
test_shipped_configs(void **state)
{
	g_autofree char *demo = source_path("lamplight.conf");
	g_autofree char *example = source_path("etc/lamplight.conf.example");
	g_autoptr(GPtrArray) p = g_ptr_array_new_with_free_func(g_free);
	struct config *cfg = NULL;
	struct err err = { 0 };
	guint nonsecret = 0;

	assert_int_equal(config_load(demo, &cfg, p, &err), ST_OK);
	assert_int_equal(cfg->centres->len, CENTRE_COUNT);
	config_free(cfg);
	/* The production example lists 22 centres; only secrets are missing. */
	assert_int_equal(config_load(example, &cfg, p, &err), ST_FATAL);
	for (guint i = 0; i < p->len; i++)
		if (strstr(p->pdata[i], "password_file") == NULL)
			nonsecret++;
	assert_int_equal(nonsecret, 0);
	assert_int_equal(p->len, CENTRE_COUNT + 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_problems_have_lines),
		cmocka_unit_test(test_secret_file),
		cmocka_unit_test(test_discreet_keys),
		cmocka_unit_test(test_shipped_configs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
