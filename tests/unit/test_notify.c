/*
 * Answers: templates load and fail loudly, and the acknowledgement is
 * valid MIME that carries the case number and none of the letter.
 */
#include <gmime/gmime.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "testmime.h"

#include "mime.h"
#include "notify.h"
#include "rules.h"
#include "template.h"
#include "twtime.h"

static struct centre centre = {
	.code = "TPE",
	.id = "tpe",
	.name = "臺北市政府毒品危害防制中心",
	.address = "tpe@centers.moj-help.example",
};

static void
test_shipped_templates_load(void **state)
{
	g_autofree char *dir = source_path("templates");
	struct notify *n = NULL;
	struct err err = { 0 };

	assert_int_equal(notify_open(dir, &n, &err), ST_OK);
	notify_close(n);
}

static void
test_template_errors(void **state)
{
	g_autofree char *dir = scratch_new();
	g_autofree char *p = g_build_filename(dir, "x.txt", NULL);
	struct template *t = NULL;
	struct err err = { 0 };

	assert_true(g_file_set_contents(p, "Subject: a\n\nHi {{seeker_name}}\n",
					-1, NULL));
	assert_int_equal(template_load(dir, "x", &t, &err), ST_FATAL);
	assert_non_null(strstr(err.msg, "x.txt:3: unknown variable "
					"'seeker_name'"));
	assert_true(g_file_set_contents(p, "Hi\n", -1, NULL));
	assert_int_equal(template_load(dir, "x", &t, &err), ST_FATAL);
	assert_true(g_file_set_contents(p, "Subject: {{case_number}}\r\n\r\n"
					"Body {{ centre_name }}.\r\n", -1, NULL));
	assert_int_equal(template_load(dir, "x", &t, &err), ST_OK);
	{
		g_autoptr(GHashTable) v = g_hash_table_new(g_str_hash,
							   g_str_equal);
		g_autofree char *s = NULL;

		g_hash_table_insert(v, "centre_name", "中心");
		s = template_expand(t->body, v);
		assert_string_equal(s, "Body 中心.\n");
	}
	template_free(t);
	scratch_remove(dir);
}

static GMimeMessage *
parse_out(const struct outgoing *o)
{
	GMimeStream *s = g_mime_stream_mem_new_with_buffer(o->data, o->len);
	GMimeParser *p = g_mime_parser_new_with_stream(s);
	GMimeMessage *m = g_mime_parser_construct_message(p, NULL);

	g_object_unref(p);
	g_object_unref(s);
	assert_non_null(m);
	return m;
}

static void
test_ack_is_valid_mime(void **state)
{
	g_autofree char *dir = source_path("templates");
	g_autoptr(GDateTime) now = g_date_time_new_from_iso8601(
		"2026-11-03T09:30:00+08:00", NULL);
	struct notify *n = NULL;
	struct outgoing *o = NULL;
	struct err err = { 0 };
	GMimeMessage *m;
	GMimeObject *body;
	g_autofree char *text = NULL;
	InternetAddressList *to;

	assert_int_equal(notify_open(dir, &n, &err), ST_OK);
	for (enum urgency u = URGENCY_CONSULTATION; u <= URGENCY_EMERGENCY;
	     u++) {
		assert_int_equal(notify_build_ack(n, &centre,
						  "TPE-1151103-0002", NULL, u, NULL,
						  "seeker@example.org",
						  "orig@moj-help.example", now,
						  &o, &err), ST_OK);
		/* CRLF throughout, no bare LF. */
		for (gsize i = 0; i < o->len; i++)
			if (o->data[i] == '\n')
				assert_int_equal(o->data[i - 1], '\r');
		assert_string_equal(o->rcpt, "seeker@example.org");
		assert_string_equal(o->env_from, centre.address);
		m = parse_out(o);
		assert_non_null(strstr(g_mime_message_get_subject(m),
				       "TPE-1151103-0002"));
		assert_string_equal(g_mime_message_get_message_id(m),
				    o->message_id);
		to = g_mime_message_get_to(m);
		assert_int_equal(internet_address_list_length(to), 1);
		assert_string_equal(g_mime_object_get_header(GMIME_OBJECT(m),
							     "Auto-Submitted"),
				    "auto-replied");
		assert_string_equal(g_mime_object_get_header(GMIME_OBJECT(m),
							     "In-Reply-To"),
				    "<orig@moj-help.example>");
		body = g_mime_message_get_mime_part(m);
		assert_true(GMIME_IS_TEXT_PART(body));
		text = g_mime_text_part_get_text(GMIME_TEXT_PART(body));
		assert_non_null(strstr(text, centre.name));
		if (u == URGENCY_EMERGENCY) {
			/* Crisis lines first for an emergency. */
			assert_non_null(strstr(text, "1925"));
			assert_non_null(strstr(text, "119"));
		}
		g_clear_pointer(&text, g_free);
		g_object_unref(m);
		outgoing_free(o);
		o = NULL;
	}
	notify_close(n);
}

static void
test_header_injection_refused(void **state)
{
	g_autofree char *dir = source_path("templates");
	g_autoptr(GDateTime) now = twtime_now();
	static const char *const bad[] = {
		"a@example.org\r\nBcc: x@example.org", "a@example.org\n",
		"not an address", "", "<a@example.org>",
	};
	struct notify *n = NULL;
	struct outgoing *o = NULL;
	struct err err = { 0 };

	assert_int_equal(notify_open(dir, &n, &err), ST_OK);
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++)
		assert_int_equal(notify_build_ack(n, &centre, "TPE-1151103-0002",
						  NULL, URGENCY_APPLICATION, NULL, bad[i],
						  NULL, now, &o, &err),
				 ST_MSG_BAD);
	assert_null(o);
	notify_close(n);
}

/*
 * What a case worker reads: the concept, level and words of each risk,
 * a sign a guard cleared and why, and the crisis lines for the concept.
 */
static void
test_reasons_name_risks(void **state)
{
	g_autofree char *dir = source_path("rules");
	struct ruleset *rs = NULL;
	struct triage *t = NULL;
	struct err err = { 0 };
	g_autofree char *acute = NULL, *cleared = NULL, *lines = NULL;

	assert_int_equal(rules_load_dir(dir, &rs, &err), ST_OK);
	assert_int_equal(rules_triage(rs, "他打太多了，現在叫不醒", &t, &err),
			 ST_OK);
	assert_int_equal(t->urgency, URGENCY_EMERGENCY);
	acute = notify_reasons(t, WRITER_FRIEND);
	assert_true(g_str_has_prefix(acute, "緊急的理由：\n"));
	assert_non_null(strstr(acute, "  ・用藥過量或身體危急（緊急）："));
	assert_non_null(strstr(acute, "「叫不醒」"));
	/* Each risk once, however many words raised it. */
	assert_null(strstr(strstr(acute, "用藥過量") + 1, "用藥過量"));
	/* A case worker's words, not the rules' names. */
	assert_null(strstr(acute, "overdose"));
	assert_non_null(strstr(acute, "來信者：\n  ・朋友"));
	lines = notify_crisis_lines(t);
	assert_true(g_str_has_prefix(lines, "  119"));
	triage_free(t);

	assert_int_equal(rules_triage(rs, "我以前曾經想過輕生，現在想找工作",
				      &t, &err),
			 ST_OK);
	assert_int_not_equal(t->urgency, URGENCY_EMERGENCY);
	assert_true(t->possible_risk);
	cleared = notify_reasons(t, WRITER_UNKNOWN);
	assert_non_null(strstr(cleared, "已排除的風險（若不同意，請直接處理）：\n"
				       "  ・提到自殺或自傷，但為過去的事件：「"));
	assert_non_null(strstr(cleared, "需求：\n  ・就業"));
	assert_null(strstr(cleared, "來信者"));
	triage_free(t);
	ruleset_free(rs);
}

/* A weak or cleared sign marks the staff notice's subject 可能風險. */
static void
test_possible_risk_in_subject(void **state)
{
	g_autofree char *dir = source_path("templates");
	g_autoptr(GDateTime) now = g_date_time_new_from_iso8601(
		"2026-11-03T09:30:00+08:00", NULL);
	g_autoptr(GHashTable) vars = g_hash_table_new(g_str_hash, g_str_equal);
	static const char *const keys[] = {
		"event", "event_detail", "urgency_label", "state_label",
		"reasons", "letter", "note_address", NULL,
	};
	struct notify *n = NULL;
	struct err err = { 0 };

	assert_int_equal(notify_open(dir, &n, &err), ST_OK);
	for (int i = 0; keys[i] != NULL; i++)
		g_hash_table_insert(vars, (gpointer)keys[i], "x");
	for (int flagged = 0; flagged < 2; flagged++) {
		struct outgoing *o = NULL;
		GMimeMessage *m;
		const char *subject;

		g_hash_table_insert(vars, "risk_flag",
				    flagged ? "可能風險・" : "");
		assert_int_equal(notify_build_staff(n, &centre, "case-staff",
						    "TPE-1151103-0002", NULL,
						    "case1@tpe.example", NULL,
						    vars, now, &o, &err),
				 ST_OK);
		m = parse_out(o);
		subject = g_mime_message_get_subject(m);
		assert_int_equal(strstr(subject, "可能風險") != NULL, flagged);
		g_object_unref(m);
		outgoing_free(o);
	}
	notify_close(n);
}

/* Only valid message ids of incoming mail travel (issue 16, point 7). */
static void
test_msg_id_valid(void **state)
{
	g_autofree char *long_id = g_strnfill(5000, 'a');
	g_autofree char *edge = g_strnfill(NOTIFY_MSGID_MAX - 10, 'b');
	g_autofree char *edge_id = g_strconcat(edge, "@x.example", NULL);
	g_autofree char *over = g_strconcat(edge, "a@x.example", NULL);
	g_autofree char *huge = g_strconcat(long_id, "@x.example", NULL);
	static const struct {
		const char *id;
		gboolean ok;
	} t[] = {
		{ "CAGm3qKx9Zu+0ab1Fw@mail.gmail.com", TRUE },
		{ "a.b.c@[192.0.2.1]", TRUE },
		{ "TYZPR03MB7001ABCD@TYZPR03MB7001.apcprd03.prod.outlook.com",
		  TRUE },
		{ "a\tb@x.example", FALSE },
		{ "a\vb@x.example", FALSE },
		{ "a@x.example\r\nBcc: x@y", FALSE },
		{ "a b@x.example", FALSE },
		{ "a@b@x.example", FALSE },
		{ "<a@x.example>", FALSE },
		{ "a..b@x.example", FALSE },
		{ ".a@x.example", FALSE },
		{ "a@x.example.", FALSE },
		{ "a@", FALSE },
		{ "@x.example", FALSE },
		{ "noat", FALSE },
		{ "\"q\"@x.example", FALSE },
		{ "a@[x]y]", FALSE },
		{ "", FALSE },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(t); i++)
		assert_int_equal(notify_msg_id_valid(t[i].id), t[i].ok);
	assert_false(notify_msg_id_valid(NULL));
	assert_false(notify_msg_id_valid(huge));
	assert_true(notify_msg_id_valid(edge_id));
	assert_false(notify_msg_id_valid(over));
}

/* Whether any header of m, decoded, or its From's name holds a word
 * that tells what the centre is. */
static gboolean
headers_tell(GMimeMessage *m)
{
	static const char *const words[] = {
		"毒", "戒", "癮", "防制", "中心", NULL,
	};
	GMimeHeaderList *hl = g_mime_object_get_header_list(GMIME_OBJECT(m));
	InternetAddressList *lists[] = { g_mime_message_get_from(m),
					 g_mime_message_get_reply_to(m) };

	for (int i = 0; i < g_mime_header_list_get_count(hl); i++) {
		const char *v = g_mime_header_get_value(
			g_mime_header_list_get_header_at(hl, i));

		for (int k = 0; v != NULL && words[k] != NULL; k++)
			if (strstr(v, words[k]) != NULL)
				return TRUE;
	}
	for (size_t l = 0; l < G_N_ELEMENTS(lists); l++)
		for (int i = 0; lists[l] != NULL &&
				i < internet_address_list_length(lists[l]);
		     i++) {
			const char *name = internet_address_get_name(
				internet_address_list_get_address(lists[l],
								  i));

			for (int k = 0; name != NULL && words[k] != NULL; k++)
				if (strstr(name, words[k]) != NULL)
					return TRUE;
		}
	return FALSE;
}

/* Mail number kind of the five a writer may get, from centre c. */
static GMimeMessage *
writer_mail(const struct notify *n, const struct centre *c, int kind)
{
	g_autoptr(GDateTime) at = g_date_time_new_from_iso8601(
		"2026-11-03T09:30:00+08:00", NULL);
	const char *num = "TPE-1151103-0002", *to = "seeker@example.org";
	struct outgoing *o = NULL;
	struct err e = { 0 };
	GMimeMessage *m;
	enum status st;

	if (kind < 3)
		st = notify_build_ack(n, c, num, "tok",
				      URGENCY_CONSULTATION + kind, NULL, to,
				      NULL, at, &o, &e);
	else if (kind == 3)
		st = notify_build_followup(n, c, num, "tok", NULL, to, NULL,
					   at, &o, &e);
	else
		st = notify_build_relay(n, c, num, "tok", to,
					"您好，我是個管師。", at, &o, &e);
	assert_int_equal(st, ST_OK);
	m = parse_out(o);
	outgoing_free(o);
	return m;
}

static const char *
from_name(GMimeMessage *m)
{
	return internet_address_get_name(
		internet_address_list_get_address(g_mime_message_get_from(m),
						  0));
}

/*
 * ack_discreet: every mail to a writer (the three acknowledgements, the
 * answer to a further letter, a relayed staff reply) shows a neutral
 * sender and subject, nothing in its headers naming the centre or
 * drugs, the case number kept; the body still says who writes.  Off,
 * the mail is as before.  Staff mail is never made discreet.
 */
static void
test_discreet_writer_mail(void **state)
{
	g_autofree char *templates = source_path("templates");
	g_autoptr(GHashTable) vars = g_hash_table_new(g_str_hash,
						      g_str_equal);
	g_autoptr(GDateTime) now = twtime_now();
	struct centre quiet = centre;
	struct notify *n = NULL;
	struct outgoing *staff = NULL;
	struct err e = { 0 };
	GMimeMessage *m;

	quiet.ack_discreet = TRUE;
	quiet.ack_sender_name = "服務通知";
	quiet.ack_subject = "您的來信已收到";
	assert_int_equal(notify_open(templates, &n, &e), ST_OK);
	for (int on = 0; on < 2; on++)
		for (int kind = 0; kind < 5; kind++) {
			g_autofree char *text = NULL;
			const char *subject;

			m = writer_mail(n, on ? &quiet : &centre, kind);
			subject = g_mime_message_get_subject(m);
			text = g_mime_text_part_get_text(GMIME_TEXT_PART(
				g_mime_message_get_mime_part(m)));
			assert_non_null(strstr(subject, "TPE-1151103-0002"));
			/* Who writes is said inside, when the mail is open. */
			assert_non_null(strstr(text, centre.name));
			assert_int_equal(headers_tell(m), !on);
			if (on) {
				assert_string_equal(from_name(m), "服務通知");
				assert_string_equal(
					subject,
					kind < 4 ? "您的來信已收到（案號 "
						   "TPE-1151103-0002）"
						 : "回覆您的來信（案號 "
						   "TPE-1151103-0002）");
			} else {
				assert_string_equal(from_name(m), centre.name);
				assert_non_null(strstr(subject, centre.name));
			}
			g_object_unref(m);
		}
	g_hash_table_insert(vars, "staff_name", "");
	g_hash_table_insert(vars, "results", "");
	g_hash_table_insert(vars, "relayed", "");
	g_hash_table_insert(vars, "state_label", "收件");
	assert_int_equal(notify_build_staff(n, &quiet, "command-transcript",
					    "TPE-1151103-0002", "tok",
					    "case1@tpe.example", NULL, vars,
					    now, &staff, &e),
			 ST_OK);
	m = parse_out(staff);
	assert_string_equal(from_name(m), centre.name);
	g_object_unref(m);
	outgoing_free(staff);
	notify_close(n);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shipped_templates_load),
		cmocka_unit_test(test_msg_id_valid),
		cmocka_unit_test(test_template_errors),
		cmocka_unit_test(test_ack_is_valid_mime),
		cmocka_unit_test(test_header_injection_refused),
		cmocka_unit_test(test_reasons_name_risks),
		cmocka_unit_test(test_possible_risk_in_subject),
		cmocka_unit_test(test_discreet_writer_mail),
	};

	return cmocka_run_group_tests(tests, mime_group_setup,
				      mime_group_teardown);
}
