/*
 * Years of history in a test database, and how many pages a step reads:
 * what status and the daily rounds must not read grows, what they must
 * read does not (bench/years times the same on two years of mail).
 */
#ifndef LAMPLIGHT_TESTHISTORY_H
#define LAMPLIGHT_TESTHISTORY_H

#include <sqlite3.h>

#include "store.h"

/*
 * Cases first..last of mailbox tpe's centre TPE, as a year leaves them:
 * each letter filed and marked at its source, its case closed and
 * erased, its deadline met (with a calendar loaded), its answer sent
 * (8 KiB, as sealed mail).
 */
static inline void
test_history_add(struct store *s, gint64 first, gint64 last)
{
	static const char *const sql[] = {
		"INSERT INTO cases (id, number, county, state, urgency, "
		"source, created_at, state_at, closed_reason, closed_at, "
		"erased_at) SELECT i, 'TPE-1140101-' || i, 'TPE', 'closed', "
		"'consultation', 'direct', '2025-01-01T10:00:00+08:00', "
		"'2025-01-20T10:00:00+08:00', 'unreachable', "
		"'2025-01-20T10:00:00+08:00', '2026-01-21T10:00:00+08:00' "
		"FROM k",
		"INSERT INTO arrivals (spool_name, mailbox, message_id, "
		"body_hash, kind, county, received_at, sealed_at, case_id) "
		"SELECT 'h' || i, 'tpe', 'h' || i, 'b' || i, 'seeker', 'TPE', "
		"'2025-01-01T10:00:00+08:00', '2025-01-01T10:00:00+08:00', i "
		"FROM k",
		"INSERT INTO fetched (mailbox, uidvalidity, uid, spool_name, "
		"fetched_at, done_at_source) SELECT 'tpe', 1, i, 'h' || i, "
		"'2025-01-01T10:00:00+08:00', 1 FROM k",
		"INSERT INTO deadlines (case_id, step, start_day, rule, n, "
		"due_day, calendar, met_at, outcome) SELECT i, 'register', "
		"'2025-01-01', 'days', 3, '2025-01-06', (SELECT version FROM "
		"calendars WHERE active = 1), '2025-01-02T10:00:00+08:00', "
		"'met' FROM k WHERE EXISTS (SELECT 1 FROM calendars WHERE "
		"active = 1)",
		"INSERT INTO outbox (case_id, kind, priority, message_id, "
		"env_from, rcpt, rcpt_key, data, state, attempts, next_at, "
		"created_at, sent_at) SELECT i, 'ack', 5, 'h' || i, "
		"'tpe@centers.moj-help.example', 'w' || i, 'w' || i, "
		"randomblob(8192), 'sent', 1, '2025-01-01T10:00:00+08:00', "
		"'2025-01-01T10:00:00+08:00', '2025-01-01T10:00:00+08:00' "
		"FROM k",
	};
	struct err err = { 0 };

	for (size_t i = 0; i < G_N_ELEMENTS(sql); i++) {
		g_autofree char *q = g_strdup_printf(
			"WITH RECURSIVE k(i) AS (SELECT ?1 UNION ALL SELECT "
			"i + 1 FROM k WHERE i < ?2) %s", sql[i]);

		assert_int_equal(store_run(s, &err, q, "ii", first, last),
				 ST_OK);
	}
}

/* Pages the connection asked its cache for since the last call (hits
 * and misses): what the statements in between read. */
static inline int
test_pages_read(struct store *s)
{
	int hit = 0, miss = 0, hi = 0;

	sqlite3_db_status(store_sqlite(s), SQLITE_DBSTATUS_CACHE_HIT, &hit,
			  &hi, 1);
	sqlite3_db_status(store_sqlite(s), SQLITE_DBSTATUS_CACHE_MISS, &miss,
			  &hi, 1);
	return hit + miss;
}

#endif
