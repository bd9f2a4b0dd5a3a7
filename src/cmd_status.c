/*
 * lamplight status [--json]: is anything stuck?  Per mailbox its last
 * run and what it found; the outbox queue; the quarantine; the SOP
 * steps overdue by centre and the referrals overdue by partner agency.
 * Exits 1 when a person should look (a mailbox failing or not run for a
 * day, mail held or failing, a deadline a week past), so a monitor can
 * run it.  Counts, codes and agency names only: no personal data.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include <json-glib/json-glib.h>

#include "calendar.h"
#include "cmd.h"
#include "log.h"
#include "store.h"

/* A deadline this many days past is stuck, not just late. */
#define STATUS_STUCK_DAYS 7

static gboolean arg_json;

static const GOptionEntry status_options[] = {
	{ "json", 0, 0, G_OPTION_ARG_NONE, &arg_json, "one JSON object", NULL },
	{ NULL },
};

/* One integer from a query with up to one text parameter. */
static gint64
count(sqlite3 *db, const char *sql, const char *arg)
{
	sqlite3_stmt *stmt = NULL;
	gint64 n = -1;

	if (sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) != SQLITE_OK)
		return -1;
	if (arg != NULL)
		sqlite3_bind_text(stmt, 1, arg, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(stmt) == SQLITE_ROW)
		n = sqlite3_column_int64(stmt, 0);
	sqlite3_finalize(stmt);
	return n;
}

struct mbox_health {
	const char *id;
	char *finished_at;	/* NULL: never run */
	char *last_uid;
	char *error;
	gint64 listed, fetched, left, filed, quarantined, uids;
};

static void
mbox_read(sqlite3 *db, struct mbox_health *h)
{
	sqlite3_stmt *stmt = NULL;

	if (sqlite3_prepare_v2(db,
			       "SELECT finished_at, last_uid, error, listed, "
			       "fetched, left_on_server FROM mailbox_runs "
			       "WHERE mailbox = ? ORDER BY id DESC LIMIT 1",
			       -1, &stmt, NULL) == SQLITE_OK) {
		sqlite3_bind_text(stmt, 1, h->id, -1, SQLITE_TRANSIENT);
		if (sqlite3_step(stmt) == SQLITE_ROW) {
			h->finished_at = g_strdup(
				(const char *)sqlite3_column_text(stmt, 0));
			h->last_uid = g_strdup(
				(const char *)sqlite3_column_text(stmt, 1));
			h->error = g_strdup(
				(const char *)sqlite3_column_text(stmt, 2));
			h->listed = sqlite3_column_int64(stmt, 3);
			h->fetched = sqlite3_column_int64(stmt, 4);
			h->left = sqlite3_column_int64(stmt, 5);
		}
	}
	sqlite3_finalize(stmt);
	h->filed = count(db, "SELECT count(*) FROM arrivals WHERE mailbox = ? "
			     "AND quarantine IS NULL AND duplicate_of IS NULL",
			 h->id);
	h->quarantined = count(db, "SELECT count(*) FROM arrivals WHERE "
				   "mailbox = ? AND quarantine_state = 'held'",
			       h->id);
	h->uids = count(db, "SELECT count(*) FROM fetched WHERE mailbox = ?",
			h->id);
}

static void
add_string(JsonBuilder *b, const char *member, const char *v)
{
	json_builder_set_member_name(b, member);
	if (v != NULL)
		json_builder_add_string_value(b, v);
	else
		json_builder_add_null_value(b);
}

static void
mbox_free(struct mbox_health *h)
{
	g_free(h->finished_at);
	g_free(h->last_uid);
	g_free(h->error);
}

/*
 * The overdue SOP steps by centre and step, and the overdue partner
 * replies by centre and agency: into b (members "overdue_steps",
 * "overdue_referrals") and as text lines into out.  TRUE when one is
 * STATUS_STUCK_DAYS past its day.
 */
static gboolean
overdue(sqlite3 *db, JsonBuilder *b, GString **out)
{
	static const struct {
		const char *member, *title, *sql;
	} q[] = {
		{ "overdue_steps", "overdue steps",
		  "SELECT c.county, d.step, count(*), min(d.due_day) "
		  "FROM deadlines d JOIN cases c ON c.id = d.case_id "
		  "WHERE d.outcome IS NULL AND d.due_day < ?1 "
		  "AND d.step <> 'partner_reply' AND c.merged_into IS NULL "
		  "GROUP BY c.county, d.step ORDER BY c.county, d.step" },
		{ "overdue_referrals", "overdue partner replies",
		  "SELECT c.county, r.grp || ' ' || r.agency, count(*), "
		  "min(d.due_day) FROM deadlines d JOIN cases c ON "
		  "c.id = d.case_id JOIN referrals r ON r.id = d.referral_id "
		  "WHERE d.outcome IS NULL AND d.due_day < ?1 "
		  "AND d.step = 'partner_reply' AND c.merged_into IS NULL "
		  "GROUP BY c.county, r.grp, r.agency ORDER BY c.county" },
	};
	g_autofree char *today = NULL, *stuck_day = NULL;
	gboolean stuck = FALSE;
	GDate d;

	calendar_today(&d);
	today = calendar_date_string(&d);
	g_date_subtract_days(&d, STATUS_STUCK_DAYS);
	stuck_day = calendar_date_string(&d);
	for (size_t i = 0; i < G_N_ELEMENTS(q); i++) {
		sqlite3_stmt *stmt = NULL;

		json_builder_set_member_name(b, q[i].member);
		json_builder_begin_array(b);
		if (sqlite3_prepare_v2(db, q[i].sql, -1, &stmt, NULL) ==
		    SQLITE_OK) {
			sqlite3_bind_text(stmt, 1, today, -1, SQLITE_STATIC);
			while (sqlite3_step(stmt) == SQLITE_ROW) {
				const char *centre = (const char *)
					sqlite3_column_text(stmt, 0);
				const char *what = (const char *)
					sqlite3_column_text(stmt, 1);
				gint64 n = sqlite3_column_int64(stmt, 2);
				const char *oldest = (const char *)
					sqlite3_column_text(stmt, 3);

				json_builder_begin_object(b);
				add_string(b, "centre", centre);
				add_string(b, i == 0 ? "step" : "agency", what);
				json_builder_set_member_name(b, "count");
				json_builder_add_int_value(b, n);
				add_string(b, "oldest_due", oldest);
				json_builder_end_object(b);
				g_string_append_printf(*out, "%s: %s %s: %lld, "
						       "oldest due %s\n",
						       q[i].title, centre, what,
						       (long long)n, oldest);
				if (strcmp(oldest, stuck_day) < 0)
					stuck = TRUE;
			}
		}
		sqlite3_finalize(stmt);
		json_builder_end_array(b);
	}
	return stuck;
}

int
cmd_status(int argc, char **argv)
{
	g_autofree char *db_path = NULL;
	g_autoptr(JsonBuilder) b = json_builder_new();
	struct config *cfg;
	struct store *store = NULL;
	struct err err = { 0 };
	gint64 queued, failed, held, stale;
	gboolean stuck = FALSE;
	g_autoptr(GString) late = g_string_new(NULL);
	sqlite3 *db;

	cmd_parse(&argc, &argv, "", "Show whether anything is stuck.",
		  status_options);
	cfg = cmd_load_config();
	if (cfg == NULL)
		return EXIT_CONFIG;
	db_path = g_build_filename(cfg->state_dir, "lamplight.db", NULL);
	if (store_open(db_path, &store, &err) != ST_OK) {
		log_error("%s", err.msg);
		config_free(cfg);
		return EXIT_TEMPFAIL;
	}
	db = store_sqlite(store);
	queued = count(db, "SELECT count(*) FROM outbox WHERE state = "
			   "'queued'", NULL);
	failed = count(db, "SELECT count(*) FROM outbox WHERE state = "
			   "'failed'", NULL);
	/* Queued for over an hour: the SMTP server is not taking mail. */
	stale = count(db, "SELECT count(*) FROM outbox WHERE state = 'queued' "
			  "AND julianday('now') - julianday(created_at) > "
			  "1.0 / 24", NULL);
	held = count(db, "SELECT count(*) FROM arrivals WHERE "
			 "quarantine_state = 'held'", NULL);
	stuck = failed > 0 || stale > 0 || held > 0;

	json_builder_begin_object(b);
	json_builder_set_member_name(b, "mailboxes");
	json_builder_begin_array(b);
	if (!arg_json)
		printf("%-4s %-25s %5s %6s %5s %4s %-12s %s\n", "box",
		       "last run", "new", "filed", "held", "big", "last uid",
		       "last error");
	for (guint i = 0; i < cfg->centres->len; i++) {
		const struct centre *c = cfg->centres->pdata[i];
		struct mbox_health h = { .id = c->id };

		if (c->mailbox == NULL)
			continue;
		mbox_read(db, &h);
		/* A failing mailbox, mail too big to take, or cron not
		 * running: a person. */
		if (h.error != NULL || h.left > 0 || h.finished_at == NULL ||
		    count(db, "SELECT julianday('now') - julianday(?) > 1",
			  h.finished_at) == 1)
			stuck = TRUE;
		if (arg_json) {
			json_builder_begin_object(b);
			add_string(b, "mailbox", c->id);
			add_string(b, "last_run", h.finished_at);
			add_string(b, "last_uid", h.last_uid);
			json_builder_set_member_name(b, "uids_seen");
			json_builder_add_int_value(b, h.uids);
			json_builder_set_member_name(b, "new");
			json_builder_add_int_value(b, h.fetched);
			json_builder_set_member_name(b, "filed");
			json_builder_add_int_value(b, h.filed);
			json_builder_set_member_name(b, "quarantined");
			json_builder_add_int_value(b, h.quarantined);
			json_builder_set_member_name(b, "left_on_server");
			json_builder_add_int_value(b, h.left);
			add_string(b, "error", h.error);
			json_builder_end_object(b);
		} else {
			printf("%-4s %-25s %5lld %6lld %5lld %4lld %-12.12s %s\n",
			       c->id, h.finished_at ? h.finished_at : "never",
			       (long long)h.fetched, (long long)h.filed,
			       (long long)h.quarantined, (long long)h.left,
			       h.last_uid ? h.last_uid : "-",
			       h.error ? h.error : "");
		}
		mbox_free(&h);
	}
	json_builder_end_array(b);
	stuck |= overdue(db, b, &late);
	json_builder_set_member_name(b, "outbox_queued");
	json_builder_add_int_value(b, queued);
	json_builder_set_member_name(b, "outbox_stale");
	json_builder_add_int_value(b, stale);
	json_builder_set_member_name(b, "outbox_failed");
	json_builder_add_int_value(b, failed);
	json_builder_set_member_name(b, "quarantine_held");
	json_builder_add_int_value(b, held);
	json_builder_set_member_name(b, "stuck");
	json_builder_add_boolean_value(b, stuck);
	json_builder_end_object(b);
	if (arg_json) {
		g_autoptr(JsonNode) root = json_builder_get_root(b);
		g_autofree char *s = json_to_string(root, FALSE);

		printf("%s\n", s);
	} else {
		printf("outbox: %lld queued (%lld for over an hour), %lld "
		       "failed; quarantine: %lld held\n", (long long)queued,
		       (long long)stale, (long long)failed, (long long)held);
		printf("%s", late->str);
		printf("%s\n", stuck ? "attention needed" : "ok");
	}
	store_close(store);
	config_free(cfg);
	return stuck ? EXIT_PARTIAL : EXIT_OK;
}
