/*
 * Threading (thread.h): which case a message belongs to, most trusted
 * first (a reply token made for its sender, then In-Reply-To or
 * References naming a mail of the case, then a case number in the
 * subject from a party of the case), never another centre's case, and a
 * merged case's letters going to the case it was merged into.
 */
#include <string.h>

#include "testutil.h"
#include "testvault.h"
#include "testmime.h"

#include "cases.h"
#include "outbox.h"
#include "store.h"
#include "thread.h"
#include "token.h"
#include "twtime.h"

struct fx {
	char *dir;
	struct store *s;
	struct tokens *t;
	gint64 tpe, khh;	/* a case of each centre */
	char *tpe_number, *khh_number;
};

static gint64
new_case(struct fx *f, const char *county, char **number)
{
	g_autoptr(GDateTime) at = g_date_time_new(twtime_zone(), 2026, 12, 1,
						  10, 0, 0);
	struct case_new cn = { .county = county, .urgency = "application",
			       .source = "direct", .subject = "求助" };
	struct err err = { 0 };
	gint64 id;

	assert_int_equal(store_begin(f->s, &err), ST_OK);
	assert_int_equal(cases_add(f->s, &cn, at, &id, number, &err),
			 ST_OK);
	assert_int_equal(store_commit(f->s, &err), ST_OK);
	return id;
}

static int
setup(void **state)
{
	struct fx *f = g_new0(struct fx, 1);
	g_autofree char *db = NULL, *key = NULL;
	struct err err = { 0 };

	f->dir = scratch_new();
	db = g_build_filename(f->dir, "t.db", NULL);
	key = g_build_filename(f->dir, "token.key", NULL);
	if (store_open(db, &f->s, &err) != ST_OK || !test_seal(f->s, f->dir) ||
	    tokens_open(key, TRUE, &f->t, &err) != ST_OK)
		return -1;
	f->tpe = new_case(f, "TPE", &f->tpe_number);
	f->khh = new_case(f, "KHH", &f->khh_number);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	tokens_free(f->t);
	store_close(f->s);
	scratch_remove(f->dir);
	g_free(f->tpe_number);
	g_free(f->khh_number);
	g_free(f->dir);
	g_free(f);
	return 0;
}

/* A message from `from` with subject and the extra header lines. */
static struct mail_msg *
msg(const char *from, const char *subject, const char *headers)
{
	g_autofree char *raw = g_strdup_printf(
		"From: %s\nTo: tpe@centers.example\nSubject: %s\n"
		"Message-ID: <new-%u@writer.example>\n%s\n您好\n",
		from, subject, g_random_int(), headers);
	struct mail_msg *m = NULL;
	struct err err = { 0 };

	assert_int_equal(mail_parse(raw, strlen(raw), &m, &err), ST_OK);
	return m;
}

/* thread_find for m in county; the match in *out. */
static void
find(struct fx *f, const struct mail_msg *m, const char *county,
     const char *case_ref, struct thread_match *out)
{
	struct err err = { 0 };

	assert_int_equal(thread_find(f->s, f->t, m, county, case_ref, out,
				     &err),
			 ST_OK);
}

/* A mail we sent on case_id, with Message-ID mid (kept without <>). */
static void
sent(struct fx *f, gint64 case_id, const char *mid)
{
	struct err err = { 0 };

	assert_int_equal(store_begin(f->s, &err), ST_OK);
	assert_int_equal(outbox_add(f->s, case_id, "ack", 5, mid,
				    "tpe@centers.example", "w@writer.example",
				    "DATA", 4, &err),
			 ST_OK);
	assert_int_equal(store_commit(f->s, &err), ST_OK);
}

/* A token: found for the sender it was made for, in any case of
 * letters, and for nobody else. */
static void
test_token_is_the_senders_own(void **state)
{
	struct fx *f = *state;
	g_autofree char *tok = token_make(f->t, f->tpe_number,
					  "Writer@Example.org");
	g_autofree char *to = token_reply_to(tok, "tpe@centers.example");
	g_autofree char *hdr = g_strdup_printf("Cc: %s\n", to);
	struct mail_msg *own = msg("writer@example.org", "Re: 回覆", hdr);
	struct mail_msg *other = msg("someone@else.example", "Re: 回覆", hdr);
	struct thread_match tm;

	find(f, own, "TPE", NULL, &tm);
	assert_int_equal(tm.case_id, f->tpe);
	assert_string_equal(tm.how, "token");
	/* Someone else carrying it: not found by it. */
	find(f, other, "TPE", NULL, &tm);
	assert_int_equal(tm.case_id, 0);
	/* The token of a TPE case never finds it from KHH's mailbox. */
	find(f, own, "KHH", NULL, &tm);
	assert_int_equal(tm.case_id, 0);
	mail_msg_free(own);
	mail_msg_free(other);
}

/* In-Reply-To or References naming a mail we sent, or one we filed. */
static void
test_references_name_our_mail(void **state)
{
	struct fx *f = *state;
	struct err err = { 0 };
	struct mail_msg *a, *b, *c;
	struct thread_match tm;
	struct arrival arr = { .spool_name = "1.M1", .mailbox = "tpe",
			       .message_id = "letter-1@writer.example",
			       .body_hash = "h", .kind = "help_request",
			       .county = "TPE" };
	gint64 arrival, dup;

	sent(f, f->tpe, "ack-1@centers.example");
	a = msg("w@writer.example", "Re: 收到",
		"In-Reply-To: <ack-1@centers.example>\n");
	find(f, a, "TPE", NULL, &tm);
	assert_int_equal(tm.case_id, f->tpe);
	assert_string_equal(tm.how, "in-reply-to");
	/* Our mail, but another centre's mailbox: not found. */
	find(f, a, "KHH", NULL, &tm);
	assert_int_equal(tm.case_id, 0);

	/* The newest reference counts: a letter filed on the case. */
	assert_int_equal(store_begin(f->s, &err), ST_OK);
	assert_int_equal(store_arrival_add(f->s, &arr, &arrival, &dup, &err),
			 ST_OK);
	assert_int_equal(store_run(f->s, &err, "UPDATE arrivals SET case_id "
				   "= ? WHERE id = ?", "ii", f->tpe, arrival),
			 ST_OK);
	assert_int_equal(store_commit(f->s, &err), ST_OK);
	b = msg("w@writer.example", "補充",
		"References: <unknown@x.example> <letter-1@writer.example>\n");
	find(f, b, "TPE", NULL, &tm);
	assert_int_equal(tm.case_id, f->tpe);
	/* A reference to nothing of ours: no case. */
	c = msg("w@writer.example", "補充",
		"In-Reply-To: <unknown@x.example>\n");
	find(f, c, "TPE", NULL, &tm);
	assert_int_equal(tm.case_id, 0);
	mail_msg_free(a);
	mail_msg_free(b);
	mail_msg_free(c);
}

/* A case number in the subject finds the case only for its parties;
 * for anyone else it is a possible follow-up, for staff to confirm. */
static void
test_subject_needs_a_party(void **state)
{
	struct fx *f = *state;
	g_autofree char *subject = g_strdup_printf("Re: 案號 %s",
						   f->tpe_number);
	struct mail_msg *party = msg("Mother@Family.example", subject, "");
	struct mail_msg *stranger = msg("x@attacker.example", subject, "");
	struct thread_match tm;
	struct err err = { 0 };
	gboolean yes = TRUE;

	assert_int_equal(thread_is_party(f->s, f->t, f->tpe,
					 "mother@family.example", &yes, &err),
			 ST_OK);
	assert_false(yes);
	assert_int_equal(thread_add_party(f->s, f->t, f->tpe,
					  "mother@family.example", "writer",
					  &err),
			 ST_OK);
	/* Twice is once. */
	assert_int_equal(thread_add_party(f->s, f->t, f->tpe,
					  "mother@family.example", "writer",
					  &err),
			 ST_OK);
	assert_int_equal(thread_is_party(f->s, f->t, f->tpe,
					 "MOTHER@family.example", &yes, &err),
			 ST_OK);
	assert_true(yes);

	find(f, party, "TPE", NULL, &tm);
	assert_int_equal(tm.case_id, f->tpe);
	assert_string_equal(tm.how, "subject");
	find(f, stranger, "TPE", f->tpe_number, &tm);
	assert_int_equal(tm.case_id, 0);
	assert_int_equal(tm.possible_of, f->tpe);
	/* Another centre's number is no possible follow-up here. */
	find(f, stranger, "TPE", f->khh_number, &tm);
	assert_int_equal(tm.possible_of, 0);
	mail_msg_free(party);
	mail_msg_free(stranger);
}

/* A merged case's mail goes to the case it was merged into. */
static void
test_merged_case_leads_on(void **state)
{
	struct fx *f = *state;
	g_autofree char *number = NULL;
	gint64 other = new_case(f, "TPE", &number);
	struct err err = { 0 };
	struct mail_msg *m;
	struct thread_match tm;

	assert_int_equal(store_run(f->s, &err, "UPDATE cases SET merged_into "
				   "= ? WHERE id = ?", "ii", f->tpe, other),
			 ST_OK);
	sent(f, other, "ack-old@centers.example");
	m = msg("w@writer.example", "Re: 收到",
		"In-Reply-To: <ack-old@centers.example>\n");
	find(f, m, "TPE", NULL, &tm);
	assert_int_equal(tm.case_id, f->tpe);
	mail_msg_free(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_token_is_the_senders_own,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_references_name_our_mail,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_subject_needs_a_party,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_merged_case_leads_on,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, mime_group_setup,
				      mime_group_teardown);
}
