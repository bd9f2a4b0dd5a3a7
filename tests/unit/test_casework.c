/*
 * Case policy (casework.h), without servers: a new letter opens a case
 * with its reasons, its answer and the staff notice; an emergency also
 * alerts the duty officer, first in the outbox; the writer's next letter
 * (In-Reply-To our answer) is filed on the same case and answered; a
 * bounce of our mail marks it and opens nothing; a newsletter opens
 * nothing.
 */
#include <string.h>

#include "testutil.h"
#include "testconfig.h"
#include "testmime.h"

#include "casework.h"
#include "cases.h"
#include "classify.h"
#include "config.h"
#include "outbox.h"
#include "rules.h"
#include "run.h"
#include "spool.h"
#include "statedir.h"
#include "store.h"

struct fx {
	char *dir;
	struct config *cfg;
	struct store *s;
	struct spool *spool;
	struct ruleset *rules;
	struct run_opts opts;
	struct run_stats stats;
	struct casework *cw;
	guint arrivals;
};

static int
setup(void **state)
{
	struct fx *f = g_new0(struct fx, 1);
	g_autofree char *sp = NULL;
	struct err err = { 0 };

	f->dir = scratch_new();
	f->cfg = test_config(f->dir,
		"[centre TPE]\nname = 臺北市政府毒品危害防制中心\n"
		"address = tpe@centers.moj-help.example\n"
		"staff = lin@tpe.centers.example\n"
		"duty = duty@tpe.centers.example\n");
	sp = g_build_filename(f->dir, "spool", NULL);
	run_stats_init(&f->stats);
	if (f->cfg == NULL ||
	    g_mkdir_with_parents(f->cfg->state_dir, 0700) != 0 ||
	    statedir_open(f->cfg, TRUE, &f->s, &err) != ST_OK ||
	    spool_open(sp, &f->spool, &err) != ST_OK ||
	    rules_load_dir(f->cfg->rules_dir, &f->rules, &err) != ST_OK ||
	    casework_open(f->cfg, &f->opts, &f->stats, f->s, f->spool, &f->cw,
			  &err) != ST_OK) {
		print_error("%s\n", err.msg);
		return -1;
	}
	casework_set_rules(f->cw, f->rules);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	casework_close(f->cw);
	ruleset_free(f->rules);
	spool_close(f->spool);
	store_close(f->s);
	config_free(f->cfg);
	run_stats_done(&f->stats);
	scratch_remove(f->dir);
	g_free(f->dir);
	g_free(f);
	return 0;
}

/*
 * Files raw as the filing step does (classify, then the arrival and the
 * casework in one transaction); whether it went on a case already there
 * in *on_case.
 */
static void
file(struct fx *f, const char *raw, gboolean *on_case)
{
	struct classify_ctx ctx = { f->cfg, f->rules, "TPE" };
	struct classification *c = NULL;
	struct mail_msg *m = NULL;
	struct err err = { 0 };
	g_autofree char *name = g_strdup_printf("%u.test", ++f->arrivals);
	struct arrival a = { .spool_name = name, .mailbox = "TPE" };
	char hash[65];
	gint64 id = 0, dup = 0;

	assert_int_equal(mail_parse(raw, strlen(raw), &m, &err), ST_OK);
	assert_int_equal(classify_mail(&ctx, m, &c, &err), ST_OK);
	mail_body_hash(raw, strlen(raw), hash);
	a.message_id = m->message_id;
	a.body_hash = hash;
	a.kind = kind_name(c->kind);
	a.county = c->county[0] ? c->county : NULL;
	a.urgency = c->triage ? urgency_name(c->triage->urgency) : NULL;
	assert_int_equal(store_begin(f->s, &err), ST_OK);
	assert_int_equal(store_arrival_add(f->s, &a, &id, &dup, &err), ST_OK);
	assert_int_equal(dup, 0);
	if (casework_file(f->cw, m, c, "TPE", hash, id, on_case, &err) !=
	    ST_OK) {
		print_error("%s\n", err.msg);
		fail();
	}
	assert_int_equal(store_commit(f->s, &err), ST_OK);
	classification_free(c);
	mail_msg_free(m);
}

static gint64
count(struct fx *f, const char *sql)
{
	struct err err = { 0 };
	gint64 n = -1;

	assert_int_equal(store_query(f->s, &err, store_read_int, &n, sql, ""),
			 ST_OK);
	return n;
}

static char *
text(struct fx *f, const char *sql)
{
	struct err err = { 0 };
	char *s = NULL;

	assert_int_equal(store_query(f->s, &err, store_read_text, &s, sql,
				     ""),
			 ST_OK);
	return s;
}

static const char emergency[] =
	"From: a@writer.example\nTo: tpe@centers.moj-help.example\n"
	"Subject: help\nMessage-ID: <e1@writer.example>\n"
	"Content-Type: text/plain; charset=utf-8\n\n"
	"我今晚就要燒炭自殺，炭已經買好了。\n";

static void
test_emergency_opens_a_case_and_alerts(void **state)
{
	struct fx *f = *state;
	g_autofree char *urgency = NULL, *ack = NULL;
	g_autofree char *reply = NULL;
	gboolean on_case = TRUE;

	file(f, emergency, &on_case);
	assert_false(on_case);
	assert_int_equal(count(f, "SELECT count(*) FROM cases"), 1);
	urgency = text(f, "SELECT urgency FROM cases");
	assert_string_equal(urgency, "emergency");
	/* Its reasons, and the crisis need. */
	assert_true(count(f, "SELECT count(*) FROM reasons") > 0);
	assert_int_equal(count(f, "SELECT count(*) FROM case_needs WHERE "
				  "need = 'crisis'"),
			 1);
	/* The duty officer and the writer go out first, at the
	 * emergency's priority. */
	assert_int_equal(count(f, "SELECT count(*) FROM outbox WHERE kind = "
				  "'duty' AND rcpt = 'duty@tpe.centers.example' "
				  "AND priority = 0"),
			 1);
	assert_int_equal(count(f, "SELECT count(*) FROM outbox WHERE kind = "
				  "'ack' AND unseal(rcpt, 'outbox.rcpt') = "
				  "'a@writer.example' AND "
				  "priority = 0"),
			 1);
	assert_int_equal(count(f, "SELECT count(*) FROM outbox WHERE rcpt = "
				  "'lin@tpe.centers.example'"),
			 1);

	/* The writer answers our acknowledgement: the same case. */
	ack = text(f, "SELECT message_id FROM outbox WHERE kind = 'ack'");
	reply = g_strdup_printf(
		"From: a@writer.example\nTo: tpe@centers.moj-help.example\n"
		"Subject: Re: help\nMessage-ID: <e2@writer.example>\n"
		"In-Reply-To: <%s>\n"
		"Content-Type: text/plain; charset=utf-8\n\n"
		"謝謝，我會等你們的電話。\n", ack);
	file(f, reply, &on_case);
	assert_true(on_case);
	assert_int_equal(count(f, "SELECT count(*) FROM cases"), 1);
	assert_int_equal(count(f, "SELECT count(*) FROM arrivals WHERE "
				  "case_id IS NOT NULL"),
			 2);
	assert_int_equal(count(f, "SELECT count(*) FROM outbox WHERE kind = "
				  "'followup'"),
			 1);
}

static void
test_machine_mail_opens_nothing(void **state)
{
	struct fx *f = *state;
	g_autofree char *ack = NULL, *bounce = NULL, *st = NULL;
	gboolean on_case = TRUE;
	struct err err = { 0 };

	file(f, emergency, &on_case);
	ack = text(f, "SELECT message_id FROM outbox WHERE kind = 'ack'");
	/* Sent, then returned by a report whose parts end their last
	 * lines at the boundary. */
	assert_int_equal(outbox_sent(f->s, count(f, "SELECT id FROM outbox "
						   "WHERE kind = 'ack'"),
				     "250 ok", &err),
			 ST_OK);
	bounce = g_strdup_printf(
		"From: MAILER-DAEMON@mx.example\n"
		"To: tpe@centers.moj-help.example\n"
		"Subject: Undelivered Mail Returned to Sender\n"
		"Message-ID: <b1@mx.example>\n"
		"Content-Type: multipart/report; report-type=delivery-status;"
		" boundary=\"B\"\n\n"
		"--B\nContent-Type: text/plain\n\nThe mail could not be "
		"delivered.\n"
		"--B\nContent-Type: message/delivery-status\n\n"
		"Reporting-MTA: dns; mx.example\n\n"
		"Final-Recipient: rfc822; a@writer.example\n"
		"Action: failed\nStatus: 5.1.1\n"
		"--B\nContent-Type: text/rfc822-headers\n\n"
		"Message-ID: <%s>\nSubject: x\n--B--\n", ack);
	file(f, bounce, &on_case);
	assert_int_equal(count(f, "SELECT count(*) FROM cases"), 1);
	st = text(f, "SELECT state FROM outbox WHERE kind = 'ack'");
	assert_string_equal(st, "bounced");

	file(f,
	     "From: news@shop.example\nTo: tpe@centers.moj-help.example\n"
	     "Subject: =?UTF-8?B?5pyA5paw5YSq5oOg?=\n"
	     "Message-ID: <n1@shop.example>\nList-Unsubscribe: <mailto:u@shop"
	     ".example>\nPrecedence: bulk\n"
	     "Content-Type: text/plain; charset=utf-8\n\n"
	     "本週限時優惠，全館商品八折，點此取消訂閱。\n",
	     &on_case);
	assert_false(on_case);
	assert_int_equal(count(f, "SELECT count(*) FROM cases"), 1);
}

/* Letter i (new Message-ID) from `from`: an emergency, or not. */
static char *
letter(int i, const char *from, gboolean urgent)
{
	return g_strdup_printf(
		"From: %s\nTo: tpe@centers.moj-help.example\n"
		"Subject: help %d\nMessage-ID: <f%d@writer.example>\n"
		"Content-Type: text/plain; charset=utf-8\n\n%s\n", from, i, i,
		urgent ? "我今晚就要燒炭自殺，炭已經買好了。"
		       : "我兒子吸安，想請你們幫忙安排戒癮門診。");
}

/*
 * A flood from one address: every letter is filed, but staff hear of
 * the first five one by one and of the rest once, and the duty officer
 * of one emergency beyond them; another writer meanwhile is told as
 * usual.
 */
static void
test_flood_is_folded(void **state)
{
	struct fx *f = *state;
	gboolean on_case;

	for (int i = 0; i < 12; i++) {
		g_autofree char *raw = letter(i, "flood@attacker.example",
					      i >= 3);

		file(f, raw, &on_case);
	}
	assert_int_equal(count(f, "SELECT count(*) FROM cases"), 12);
	assert_int_equal(count(f, "SELECT count(*) FROM outbox WHERE kind = "
				  "'staff'"),
			 5);
	assert_int_equal(count(f, "SELECT count(*) FROM outbox WHERE kind = "
				  "'flood-staff' AND rcpt = "
				  "'lin@tpe.centers.example'"),
			 1);
	/* Emergencies 4 and 5 are within the limit: theirs go; of the
	 * seven beyond it, one. */
	assert_int_equal(count(f, "SELECT count(*) FROM outbox WHERE kind = "
				  "'duty'"),
			 3);
	assert_int_equal(count(f, "SELECT count(*) FROM case_events WHERE "
				  "what = 'staff notice folded'"),
			 7);
	/* The same address in another case of letters (a +tag, capitals)
	 * is the same sender. */
	{
		g_autofree char *raw = letter(20, "Flood+x@Attacker.example",
					      FALSE);

		file(f, raw, &on_case);
	}
	assert_int_equal(count(f, "SELECT count(*) FROM outbox WHERE kind = "
				  "'staff'"),
			 5);
	/* Someone else writing meanwhile: a notice as always. */
	{
		g_autofree char *raw = letter(30, "mother@family.example",
					      FALSE);

		file(f, raw, &on_case);
	}
	assert_int_equal(count(f, "SELECT count(*) FROM outbox WHERE kind = "
				  "'staff'"),
			 6);
	/* Nothing in the database names the sender in the clear. */
	assert_int_equal(count(f, "SELECT count(*) FROM arrivals WHERE "
				  "sender LIKE '%flood%'"),
			 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_emergency_opens_a_case_and_alerts, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_machine_mail_opens_nothing,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_flood_is_folded, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, mime_group_setup,
				      mime_group_teardown);
}
