/*
 * Reminders (remind.h): a digest a day to each of a centre's staff of
 * its steps overdue or due by tomorrow, and to a partner of the
 * referrals awaiting its reply; never twice a day, never another
 * centre's cases, never a person's data.
 */
#include <string.h>

#include "testutil.h"
#include "testvault.h"
#include "testconfig.h"
#include "testmime.h"
#include "testhistory.h"

#include "cases.h"
#include "config.h"
#include "notify.h"
#include "outbox.h"
#include "remind.h"
#include "store.h"
#include "token.h"
#include "twtime.h"

struct fx {
	char *dir;
	struct config *cfg;
	struct store *s;
	struct calendar *cal;
	struct notify *n;
	struct tokens *tk;
};

static int
setup(void **state)
{
	struct fx *f = g_new0(struct fx, 1);
	g_autofree char *db = NULL, *key = NULL;
	struct err err = { 0 };

	f->dir = scratch_new();
	f->cfg = test_config(f->dir,
		"[centre TPE]\nname = 臺北市政府毒品危害防制中心\n"
		"address = tpe@centers.moj-help.example\n"
		"staff = lin@tpe.centers.example;chen@tpe.centers.example\n"
		"duty = duty@tpe.centers.example\n"
		"partners.health = clinic@health.partners.example\n");
	db = g_build_filename(f->dir, "t.db", NULL);
	key = g_build_filename(f->dir, "token.key", NULL);
	if (f->cfg == NULL || tokens_open(key, TRUE, &f->tk, &err) != ST_OK || store_open(db, &f->s, &err) != ST_OK || !test_seal(f->s, f->dir) ||
	    cases_calendar(f->s, f->cfg->calendar, &f->cal, &err) != ST_OK ||
	    notify_open(f->cfg->templates_dir, &f->n, &err) != ST_OK) {
		print_error("%s\n", err.msg);
		return -1;
	}
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	notify_close(f->n);
	tokens_free(f->tk);
	calendar_free(f->cal);
	store_close(f->s);
	config_free(f->cfg);
	scratch_remove(f->dir);
	g_free(f->dir);
	g_free(f);
	return 0;
}

static GDateTime *
taipei(int mo, int d, int h)
{
	return g_date_time_new(twtime_zone(), 2026, mo, d, h, 0, 0);
}

/* A case of county received at `at`, its SOP clocks started. */
static void
new_case_of(struct fx *f, const char *county, const char *urgency,
	    GDateTime *at, struct case_ref *c)
{
	struct case_new cn = { .county = county, .urgency = urgency,
			       .source = "direct", .subject = "陳小明 求助" };
	g_autofree char *number = NULL;
	struct err err = { 0 };
	gint64 id;

	assert_int_equal(store_begin(f->s, &err), ST_OK);
	assert_int_equal(cases_add(f->s, &cn, at, &id, &number, &err),
			 ST_OK);
	assert_int_equal(cases_opened(f->s, f->cal, id, at, &err), ST_OK);
	assert_int_equal(store_commit(f->s, &err), ST_OK);
	assert_int_equal(cases_find(f->s, number, c, &err), ST_OK);
}

static void
new_case(struct fx *f, const char *county, GDateTime *at,
	 struct case_ref *c)
{
	new_case_of(f, county, "application", at, c);
}

static guint
remind(struct fx *f, GDateTime *now)
{
	struct err err = { 0 };
	guint queued = 0;

	assert_int_equal(remind_all(f->s, f->cfg, f->n, f->tk, now, &queued,
				    &err),
			 ST_OK);
	return queued;
}

static gboolean
read_bytes(const struct store_row *row, gpointer data)
{
	*(GBytes **)data = store_col_bytes(row, 0);
	return FALSE;
}

/* The text of the newest queued mail of kind to rcpt, decoded. */
static char *
digest(struct fx *f, const char *kind, const char *rcpt)
{
	g_autoptr(GBytes) data = NULL;
	struct mail_msg *m = NULL;
	struct err err = { 0 };
	char *text;

	assert_int_equal(store_query(f->s, &err, read_bytes, &data,
				     "SELECT unseal(data, 'outbox.data') FROM outbox "
				     "WHERE kind = ? "
				     "AND rcpt = ? ORDER BY id DESC LIMIT 1",
				     "tt", kind, rcpt),
			 ST_OK);
	assert_non_null(data);
	assert_int_equal(mail_parse(g_bytes_get_data(data, NULL),
				    g_bytes_get_size(data), &m, &err),
			 ST_OK);
	text = g_strdup(m->text);
	mail_msg_free(m);
	return text;
}

static void
test_staff_digest_once_a_day(void **state)
{
	struct fx *f = *state;
	/* The outbox keeps when a mail was queued by the clock: "today"
	 * is today's, and the case was received three weeks ago. */
	g_autoptr(GDateTime) now = twtime_now();
	g_autoptr(GDateTime) t0 = g_date_time_add_days(now, -21);
	g_autoptr(GDateTime) next = g_date_time_add_days(now, 1);
	struct case_ref c, k;
	g_autofree char *text = NULL;

	/* No case, no digest. */
	assert_int_equal(remind(f, t0), 0);
	new_case(f, "TPE", t0, &c);
	/* Another centre's case is never in TPE's digest. */
	new_case(f, "KHH", t0, &k);
	/* Overdue: one digest to each of the centre's staff. */
	assert_int_equal(remind(f, now), 2);
	text = digest(f, "reminder-staff", "lin@tpe.centers.example");
	assert_non_null(strstr(text, c.number));
	assert_non_null(strstr(text, "逾期"));
	assert_null(strstr(text, k.number));
	/* No person in it: the subject of the case names one. */
	assert_null(strstr(text, "陳小明"));
	g_clear_pointer(&text, g_free);
	text = digest(f, "reminder-staff", "chen@tpe.centers.example");
	assert_non_null(strstr(text, c.number));
	/* The same day again: none; the next day: again. */
	assert_int_equal(remind(f, now), 0);
	assert_int_equal(remind(f, next), 2);
	case_ref_clear(&c);
	case_ref_clear(&k);
}

/*
 * A digest a case worker acts on from the inbox: an emergency first and
 * marked, in the subject too; each case with a reply address of the
 * reader's own that carries its case; no terminal commands.
 */
static void
test_staff_digest_acts_by_reply(void **state)
{
	struct fx *f = *state;
	g_autoptr(GDateTime) now = twtime_now();
	g_autoptr(GDateTime) t0 = g_date_time_add_days(now, -21);
	g_autoptr(GDateTime) t1 = g_date_time_add_days(now, -22);
	g_autoptr(GBytes) data = NULL;
	struct mail_msg *m = NULL;
	struct case_ref plain, urgent;
	struct err err = { 0 };
	g_autofree char *text = NULL, *token = NULL, *reply = NULL;
	g_autofree char *number = NULL;
	const char *at_plain, *at_urgent, *line;

	/* The plain case is older: only urgency puts the other first. */
	new_case(f, "TPE", t1, &plain);
	new_case_of(f, "TPE", "emergency", t0, &urgent);
	assert_int_equal(remind(f, now), 2);
	text = digest(f, "reminder-staff", "lin@tpe.centers.example");
	at_plain = strstr(text, plain.number);
	at_urgent = strstr(text, urgent.number);
	assert_non_null(at_plain);
	assert_non_null(at_urgent);
	assert_true(at_urgent < at_plain);
	assert_non_null(strstr(text, "【緊急】"));
	assert_true(strstr(text, "【緊急】") < at_urgent);
	assert_null(strstr(text, "lamplight "));
	/* Its own reply address, verified as lin's for that case. */
	line = strstr(at_urgent, "回覆本案：");
	assert_non_null(line);
	reply = g_strndup(line + strlen("回覆本案："),
			  strcspn(line + strlen("回覆本案："), "\n"));
	assert_true(g_str_has_prefix(reply, "tpe+"));
	token = g_strndup(reply + 4, strcspn(reply + 4, "@"));
	assert_true(token_check(f->tk, token, "lin@tpe.centers.example",
				&number));
	assert_string_equal(number, urgent.number);
	/* The subject says an emergency is due. */
	assert_int_equal(store_query(f->s, &err, read_bytes, &data,
				     "SELECT unseal(data, 'outbox.data') FROM "
				     "outbox WHERE kind = 'reminder-staff' AND "
				     "rcpt = 'lin@tpe.centers.example'", ""),
			 ST_OK);
	assert_int_equal(mail_parse(g_bytes_get_data(data, NULL),
				    g_bytes_get_size(data), &m, &err),
			 ST_OK);
	assert_non_null(strstr(m->subject, "緊急個案到期"));
	mail_msg_free(m);
	case_ref_clear(&plain);
	case_ref_clear(&urgent);
}

static void
test_partner_digest_of_its_referrals(void **state)
{
	struct fx *f = *state;
	g_autoptr(GDateTime) t0 = taipei(12, 1, 10);
	g_autoptr(GDateTime) late = taipei(12, 28, 9);
	struct case_ref c;
	struct err err = { 0 };
	g_autofree char *text = NULL, *referral = NULL;
	gint64 n = 0;

	new_case(f, "TPE", t0, &c);
	for (enum case_state s = CASE_REGISTERED; s <= CASE_ASSESSED; s++) {
		assert_int_equal(cases_set_state(f->s, f->cal, &c, s, "lin",
						 NULL, t0, &err),
				 ST_OK);
		c.state = s;
	}
	assert_int_equal(cases_refer(f->s, f->cal, &c, GROUP_HEALTH,
				     "衛生局", "lin", t0, NULL, NULL, &err),
			 ST_OK);
	/* The steps to the referral are met: the partner's digest alone. */
	assert_int_equal(remind(f, late), 1);
	assert_int_equal(store_query(f->s, &err, store_read_int, &n,
				     "SELECT count(*) FROM outbox WHERE kind = "
				     "'reminder-partner' AND rcpt = ?",
				     "t", "clinic@health.partners.example"),
			 ST_OK);
	assert_int_equal(n, 1);
	text = digest(f, "reminder-partner",
		      "clinic@health.partners.example");
	referral = g_strdup_printf("%s-R1", c.number);
	assert_non_null(strstr(text, referral));
	assert_null(strstr(text, "陳小明"));
	case_ref_clear(&c);
}

/*
 * The daily pass reads the deadlines due by tomorrow, not the centre's
 * cases of all years: 4,000 more cases closed and erased add nothing to
 * what it reads, staff's and partners' digests alike.
 */
static void
test_history_is_not_read(void **state)
{
	struct fx *f = *state;
	g_autoptr(GDateTime) now = twtime_now();
	g_autoptr(GDateTime) t0 = g_date_time_add_days(now, -21);
	g_autoptr(GDateTime) next = g_date_time_add_days(now, 1);
	struct case_ref c;
	int week, years;

	test_history_add(f->s, 1, 100);
	new_case(f, "TPE", t0, &c);
	(void)test_pages_read(f->s);
	assert_int_equal(remind(f, now), 2);
	week = test_pages_read(f->s);
	test_history_add(f->s, 1001, 5000);
	(void)test_pages_read(f->s);
	assert_int_equal(remind(f, next), 2);
	years = test_pages_read(f->s);
	print_message("# the reminders read %d pages, then %d\n", week, years);
	/* Only the b-trees a level deeper: a few pages. */
	assert_true(years - week < 50);
	case_ref_clear(&c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_staff_digest_acts_by_reply,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_staff_digest_once_a_day,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_partner_digest_of_its_referrals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_history_is_not_read,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, mime_group_setup,
				      mime_group_teardown);
}
