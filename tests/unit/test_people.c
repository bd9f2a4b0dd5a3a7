/*
 * Personal data at rest: sealed, bound to its case and its key, masked
 * in views, erased after the retention period.
 */
#include <sqlite3.h>
#include <string.h>

#include "testutil.h"
#include "testvault.h"
#include "testhistory.h"

#include "cases.h"
#include "people.h"
#include "twtime.h"

struct fx {
	char *dir;
	struct store *s;
	struct vault *v;
	GPtrArray *forgotten;
};

static int
setup(void **state)
{
	struct fx *f = g_new0(struct fx, 1);
	g_autofree char *db = NULL, *key = NULL;
	struct err err = { 0 };

	f->dir = scratch_new();
	db = g_build_filename(f->dir, "t.db", NULL);
	key = g_build_filename(f->dir, "data.key", NULL);
	if (store_open(db, &f->s, &err) != ST_OK || !test_seal(f->s, f->dir) ||
	    vault_open(key, TRUE, &f->v, &err) != ST_OK)
		return -1;
	f->forgotten = g_ptr_array_new_with_free_func(g_free);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	vault_free(f->v);
	store_close(f->s);
	scratch_remove(f->dir);
	g_ptr_array_free(f->forgotten, TRUE);
	g_free(f->dir);
	g_free(f);
	return 0;
}

static gint64
new_case_in(struct fx *f, const char *county, const char *subject,
	    GDateTime *at)
{
	struct case_new cn = { .county = county, .urgency = "application",
			       .source = "webform", .subject = subject,
			       .reply_addr = "yc@example.org" };
	g_autofree char *number = NULL;
	struct err err = { 0 };
	gint64 id;

	assert_int_equal(cases_add(f->s, &cn, at, &id, &number, &err),
			 ST_OK);
	return id;
}

static gint64
new_case(struct fx *f, const char *subject, GDateTime *at)
{
	return new_case_in(f, "TNN", subject, at);
}

static void
fill(struct identity *id)
{
	id->name = g_strdup("李怡君");
	id->sex = g_strdup("F");
	id->birth_date = g_strdup("1992-02-17");
	id->phone = g_strdup("0975830142");
	id->email = g_strdup("yc@example.org");
	id->address = g_strdup("臺南市東區長榮路二段95巷12號");
	id->national_id = g_strdup("D266190436");
	id->national_id_valid = TRUE;
}

static gboolean
db_holds(struct fx *f, const char *needle)
{
	g_autofree char *path = g_build_filename(f->dir, "t.db", NULL);
	g_autofree char *wal = g_build_filename(f->dir, "t.db-wal", NULL);
	const char *files[] = { path, wal };

	for (int i = 0; i < 2; i++) {
		g_autofree char *data = NULL;
		gsize len = 0;

		if (g_file_get_contents(files[i], &data, &len, NULL) &&
		    memmem(data, len, needle, strlen(needle)) != NULL)
			return TRUE;
	}
	return FALSE;
}

/*
 * Who a case is about: the writer's kind and the person staff name,
 * sealed with the writer's record; each kept when the other is set; the
 * writer's own fields untouched; nothing in the clear.
 */
static void
test_about_sealed_with_the_writer(void **state)
{
	struct fx *f = *state;
	g_autoptr(GDateTime) now = twtime_now();
	struct identity in = { 0 }, out = { 0 }, client = { 0 }, got = { 0 };
	g_autofree char *kind = NULL;
	struct err err = { 0 };
	gint64 a = new_case(f, "求助", now), b = new_case(f, "求助", now);

	fill(&in);
	assert_int_equal(people_store(f->s, f->v, a, &in, &err), ST_OK);
	/* Nothing said yet: unknown, no one. */
	assert_int_equal(people_load_about(f->s, f->v, a, &kind, &got, &err),
			 ST_OK);
	assert_null(kind);
	assert_false(identity_any(&got));
	assert_int_equal(people_store_about(f->s, f->v, a, "family", NULL,
					    &err),
			 ST_OK);
	assert_true(identity_parse_person("王小華，男／民國89年5月6日 0911-222-333",
					  &client));
	assert_string_equal(client.name, "王小華");
	assert_string_equal(client.sex, "M");
	assert_string_equal(client.birth_date, "2000-05-06");
	assert_string_equal(client.phone, "0911222333");
	/* The client added later keeps the writer's kind. */
	assert_int_equal(people_store_about(f->s, f->v, a, NULL, &client,
					    &err),
			 ST_OK);
	assert_int_equal(people_load_about(f->s, f->v, a, &kind, &got, &err),
			 ST_OK);
	assert_string_equal(kind, "family");
	assert_string_equal(got.name, "王小華");
	assert_string_equal(got.phone, "0911222333");
	/* The writer's record is as it was. */
	assert_int_equal(people_load(f->s, f->v, a, &out, &err), ST_OK);
	assert_string_equal(out.name, "李怡君");
	assert_false(db_holds(f, "王小華"));
	assert_false(db_holds(f, "0911222333"));
	/* A case with no record gets one holding only what it is about. */
	assert_int_equal(people_store_about(f->s, f->v, b, "friend", NULL,
					    &err),
			 ST_OK);
	identity_clear(&got);
	g_clear_pointer(&kind, g_free);
	assert_int_equal(people_load_about(f->s, f->v, b, &kind, &got, &err),
			 ST_OK);
	assert_string_equal(kind, "friend");
	identity_clear(&out);
	assert_int_equal(people_load(f->s, f->v, b, &out, &err), ST_OK);
	assert_false(identity_any(&out));
	/* Names no one: nothing to keep. */
	identity_clear(&client);
	assert_false(identity_parse_person(" ，／ ", &client));
	identity_clear(&in);
	identity_clear(&out);
	identity_clear(&got);
	identity_clear(&client);
}

/* One integer a query gives. */
static gint64
count(struct fx *f, const char *sql, gint64 id)
{
	sqlite3_stmt *st;
	gint64 n = -1;

	assert_int_equal(sqlite3_prepare_v2(store_sqlite(f->s), sql, -1, &st,
					    NULL),
			 SQLITE_OK);
	if (sqlite3_bind_parameter_count(st) > 0)
		sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

static void
test_sealed_and_bound(void **state)
{
	struct fx *f = *state;
	g_autoptr(GDateTime) now = twtime_now();
	struct identity in = { 0 }, out = { 0 };
	struct err err = { 0 };
	gint64 a = new_case(f, "求助", now), b = new_case(f, "求助", now);

	fill(&in);
	assert_int_equal(people_store(f->s, f->v, a, &in, &err), ST_OK);
	assert_int_equal(people_load(f->s, f->v, a, &out, &err), ST_OK);
	assert_string_equal(out.name, "李怡君");
	assert_string_equal(out.national_id, "D266190436");
	assert_string_equal(out.address, in.address);
	assert_true(out.national_id_valid);
	identity_clear(&out);
	/* Nowhere in the database file in the clear. */
	assert_false(db_holds(f, "李怡君"));
	assert_false(db_holds(f, "D266190436"));
	assert_false(db_holds(f, "0975830142"));

	/* Moved to another case: it does not open. */
	assert_int_equal(sqlite3_exec(store_sqlite(f->s),
				      "INSERT INTO case_people SELECT 2, "
				      "key_id, sealed FROM case_people "
				      "WHERE case_id = 1", NULL, NULL, NULL),
			 SQLITE_OK);
	assert_int_equal(b, 2);
	assert_int_equal(people_load(f->s, f->v, b, &out, &err), ST_FATAL);
	assert_non_null(strstr(err.msg, "does not open"));
	/* One bit changed: it does not open either. */
	assert_int_equal(sqlite3_exec(store_sqlite(f->s),
				      "UPDATE case_people SET sealed = "
				      "substr(sealed, 1, 30) || x'00' || "
				      "substr(sealed, 32) WHERE case_id = 1",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	assert_int_equal(people_load(f->s, f->v, a, &out, &err), ST_FATAL);
	identity_clear(&in);
}

static void
test_other_key_refused(void **state)
{
	struct fx *f = *state;
	g_autoptr(GDateTime) now = twtime_now();
	g_autofree char *key2 = g_build_filename(f->dir, "other.key", NULL);
	struct identity in = { 0 }, out = { 0 };
	struct vault *v2 = NULL;
	struct err err = { 0 };
	gint64 a = new_case(f, "求助", now);

	fill(&in);
	assert_int_equal(people_store(f->s, f->v, a, &in, &err), ST_OK);
	assert_int_equal(vault_open(key2, TRUE, &v2, &err), ST_OK);
	assert_string_not_equal(vault_key_id(v2), vault_key_id(f->v));
	assert_int_equal(people_load(f->s, v2, a, &out, &err), ST_FATAL);
	assert_non_null(strstr(err.msg, "sealed with key"));
	vault_free(v2);
	identity_clear(&in);
}

static void
test_masks(void **state)
{
	static const struct {
		const char *field, *value, *masked;
	} cases[] = {
		{ "name", "李怡君", "李*君" },
		{ "name", "王明", "王*" },
		{ "name", "歐陽小明", "歐**明" },
		{ "phone", "0975830142", "09*****142" },
		{ "national_id", "D266190436", "D2*****436" },
		{ "birth_date", "1992-02-17", "1992-**-**" },
		{ "email", "yc@example.org", "y*@example.org" },
		{ "address", "臺南市東區長榮路二段95巷12號", "臺南市東區***" },
		{ "address", "花蓮縣吉安鄉中山路一段1號", "花蓮縣吉安鄉***" },
		{ "address", "somewhere far", "***" },
	};
	struct identity id = { 0 };
	g_autoptr(JsonNode) masked = NULL, shown = NULL;
	g_autofree char *ms = NULL;

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *m = people_mask(cases[i].field,
						 cases[i].value);

		if (strcmp(m, cases[i].masked) != 0) {
			print_error("%s %s: got %s\n", cases[i].field,
				    cases[i].value, m);
			fail();
		}
	}
	fill(&id);
	masked = people_to_json(&id, FALSE);
	ms = json_to_string(masked, FALSE);
	assert_null(strstr(ms, "怡"));
	assert_null(strstr(ms, "0975830142"));
	assert_non_null(strstr(ms, "\"masked\":true"));
	shown = people_to_json(&id, TRUE);
	assert_string_equal(json_object_get_string_member(
				    json_node_get_object(shown), "name"),
			    "李怡君");
	identity_clear(&id);
}

static enum status
forget(const char *name, gpointer data, struct err *err)
{
	g_ptr_array_add(data, g_strdup(name));
	return ST_OK;
}

static void
test_erased_after_retention(void **state)
{
	struct fx *f = *state;
	g_autoptr(GDateTime) long_ago = g_date_time_new(twtime_zone(), 2024, 1,
							 5, 9, 0, 0);
	g_autoptr(GDateTime) now = g_date_time_new(twtime_zone(), 2025, 3, 1,
						    9, 0, 0);
	struct identity in = { 0 }, out = { 0 };
	struct arrival arr = { .spool_name = "123.M1.tnn", .mailbox = "tnn",
			       .body_hash = "h", .kind = "help_request" };
	struct err err = { 0 };
	gint64 old_case, open_case, arrival, dup;
	guint erased = 9;

	fill(&in);
	assert_int_equal(store_begin(f->s, &err), ST_OK);
	assert_int_equal(store_arrival_add(f->s, &arr, &arrival, &dup, &err),
			 ST_OK);
	old_case = new_case(f, "我叫李怡君", long_ago);
	open_case = new_case(f, "還在追蹤", long_ago);
	assert_int_equal(store_run(f->s, &err, "UPDATE arrivals SET case_id = ? "
					     "WHERE id = ?", "ii", old_case,
				   arrival),
			 ST_OK);
	assert_int_equal(people_store(f->s, f->v, old_case, &in, &err), ST_OK);
	assert_int_equal(people_store(f->s, f->v, open_case, &in, &err),
			 ST_OK);
	assert_int_equal(cases_reason_add(f->s, old_case, "r", "crisis", 10, 0,
					  3, "想自殺", &err),
			 ST_OK);
	assert_int_equal(store_run(f->s, &err,
				   "INSERT INTO case_notes (case_id, at, who, "
				   "text) VALUES (?, 'x', 'a@tnn', '李怡君已返家')",
				   "i", old_case),
			 ST_OK);
	/* Closed on 2024-02-01: 394 days before now. */
	assert_int_equal(store_run(f->s, &err,
				   "UPDATE cases SET state = 'closed', "
				   "closed_at = '2024-02-01T10:00:00+08:00' "
				   "WHERE id = ?", "i", old_case),
			 ST_OK);
	assert_int_equal(store_commit(f->s, &err), ST_OK);

	/* Not yet with a longer period. */
	assert_int_equal(people_erase_expired(f->s, now, 400, forget,
					      f->forgotten, &erased, &err),
			 ST_OK);
	assert_int_equal(erased, 0);
	assert_int_equal(people_erase_expired(f->s, now, 365, forget,
					      f->forgotten, &erased, &err),
			 ST_OK);
	assert_int_equal(erased, 1);
	assert_int_equal(f->forgotten->len, 1);
	assert_string_equal(f->forgotten->pdata[0], "123.M1.tnn");
	assert_int_equal(people_load(f->s, f->v, old_case, &out, &err), ST_OK);
	assert_null(out.name);
	/* Its hashes with it; the open case keeps its own. */
	assert_int_equal(count(f, "SELECT count(*) FROM case_people_keys "
			       "WHERE case_id = ?", old_case), 0);
	assert_int_equal(count(f, "SELECT count(*) FROM case_people_keys "
			       "WHERE case_id = ?", open_case), 3);
	/* The open case keeps its data. */
	assert_int_equal(people_load(f->s, f->v, open_case, &out, &err),
			 ST_OK);
	assert_string_equal(out.name, "李怡君");
	identity_clear(&out);
	{
		gint64 left = -1;
		sqlite3_stmt *st;

		sqlite3_prepare_v2(store_sqlite(f->s),
				   "SELECT (reply_addr IS NULL) + "
				   "(subject IS NULL) + (erased_at IS NOT NULL) "
				   "+ (SELECT count(*) FROM reasons WHERE "
				   "case_id = c.id AND match = '') + (SELECT "
				   "count(*) FROM case_events WHERE case_id = "
				   "c.id AND what = 'personal data erased') "
				   "FROM cases c WHERE id = ?",
				   -1, &st, NULL);
		sqlite3_bind_int64(st, 1, old_case);
		if (sqlite3_step(st) == SQLITE_ROW)
			left = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
		assert_int_equal(left, 5);
		sqlite3_prepare_v2(store_sqlite(f->s),
				   "SELECT count(*) FROM case_notes WHERE "
				   "text <> ''", -1, &st, NULL);
		if (sqlite3_step(st) == SQLITE_ROW)
			left = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
		assert_int_equal(left, 0);
	}
	/* Done once: a second pass finds nothing. */
	assert_int_equal(people_erase_expired(f->s, now, 365, forget,
					      f->forgotten, &erased, &err),
			 ST_OK);
	assert_int_equal(erased, 0);
	identity_clear(&in);
}

/* Retention finds the cases it is to erase by an index of those closed
 * and not yet erased: the cases erased before are never read again. */
static void
test_erased_are_not_read(void **state)
{
	struct fx *f = *state;
	g_autoptr(GDateTime) now = g_date_time_new(twtime_zone(), 2026, 6, 1,
						    9, 0, 0);
	struct err err = { 0 };
	guint erased = 9;
	int week, years;

	test_history_add(f->s, 1, 100);
	(void)test_pages_read(f->s);
	assert_int_equal(people_erase_expired(f->s, now, 365, forget,
					      f->forgotten, &erased, &err),
			 ST_OK);
	week = test_pages_read(f->s);
	test_history_add(f->s, 101, 4100);
	(void)test_pages_read(f->s);
	assert_int_equal(people_erase_expired(f->s, now, 365, forget,
					      f->forgotten, &erased, &err),
			 ST_OK);
	years = test_pages_read(f->s);
	print_message("# retention read %d pages, then %d\n", week, years);
	assert_int_equal(erased, 0);
	assert_true(years - week < 10);
}

static char *
same_path(const char *name, gpointer data)
{
	return g_build_filename(data, name, NULL);
}

static void
test_letters_sealed(void **state)
{
	struct fx *f = *state;
	g_autoptr(GDateTime) now = twtime_now();
	const char *letter = "From: a@b.example\n\n我是李怡君，電話0975830142\n";
	g_autofree char *path = g_build_filename(f->dir, "1.M1.tnn", NULL);
	g_autofree char *sealed = g_strconcat(path, ".sealed", NULL);
	g_autofree char *moved = g_build_filename(f->dir, "2.M2.tnn.sealed",
						  NULL);
	g_autofree char *data = NULL;
	struct arrival arr = { .spool_name = "1.M1.tnn", .mailbox = "tnn",
			       .body_hash = "h", .kind = "help_request" };
	GBytes *back = NULL;
	struct err err = { 0 };
	gint64 id, dup, cid;
	guint n = 0;
	gsize len;

	assert_true(g_file_set_contents(path, letter, -1, NULL));
	assert_int_equal(store_arrival_add(f->s, &arr, &id, &dup, &err), ST_OK);
	cid = new_case(f, "求助", now);
	assert_int_equal(store_run(f->s, &err, "UPDATE arrivals SET case_id = ?",
				   "i", cid),
			 ST_OK);
	assert_int_equal(people_seal_letters(f->s, f->v, same_path, f->dir, &n,
					     &err),
			 ST_OK);
	assert_int_equal(n, 1);
	assert_false(g_file_test(path, G_FILE_TEST_EXISTS));
	assert_true(g_file_get_contents(sealed, &data, &len, NULL));
	assert_null(memmem(data, len, "李怡君", strlen("李怡君")));
	assert_int_equal(people_open_file(f->v, sealed, &back, &err), ST_OK);
	assert_int_equal(g_bytes_get_size(back), strlen(letter));
	assert_memory_equal(g_bytes_get_data(back, NULL), letter,
			    strlen(letter));
	g_bytes_unref(back);
	/* Done: the sweep does not come back to it. */
	assert_int_equal(people_seal_letters(f->s, f->v, same_path, f->dir, &n,
					     &err),
			 ST_OK);
	assert_int_equal(n, 0);
	/* Renamed to another letter's name, or altered: it does not open. */
	assert_int_equal(rename(sealed, moved), 0);
	assert_int_equal(people_open_file(f->v, moved, &back, &err), ST_FATAL);
	data[len - 1] ^= 1;
	assert_true(g_file_set_contents(sealed, data, len, NULL));
	assert_int_equal(people_open_file(f->v, sealed, &back, &err), ST_FATAL);
}

/*
 * The personal columns (store.h): what is written through seal() is a
 * blob no one reads without the key, opens only for its own column,
 * not with another key; values from before sealing are sealed once;
 * without a codec nothing is written at all.
 */
static void
test_columns_sealed(void **state)
{
	struct fx *f = *state;
	g_autofree char *clear = NULL, *moved = NULL, *raw_type = NULL;
	g_autofree char *db = g_build_filename(f->dir, "plain.db", NULL);
	g_autofree char *tdb = g_build_filename(f->dir, "t.db", NULL);
	char *other_dir = scratch_new();
	struct store *plain = NULL, *other = NULL;
	struct err err = { 0 };
	gint64 id, n = -1;
	guint sealed = 0;

	assert_int_equal(store_run(f->s, &err, "INSERT INTO cases (number, "
				   "county, urgency, source, subject, "
				   "created_at) VALUES ('TPE-1150101-0009', "
				   "'TPE', 'normal', 'direct', seal(?, "
				   "'cases.subject'), 'x')", "t",
				   "張雅婷求助 0922333444"), ST_OK);
	id = store_last_id(f->s);
	assert_int_equal(store_query(f->s, &err, store_read_text, &raw_type,
				     "SELECT typeof(subject) FROM cases WHERE "
				     "id = ?", "i", id), ST_OK);
	assert_string_equal(raw_type, "blob");
	assert_int_equal(store_query(f->s, &err, store_read_int, &n,
				     "SELECT instr(subject, '0922333444') FROM "
				     "cases WHERE id = ?", "i", id), ST_OK);
	assert_int_equal(n, 0);
	assert_int_equal(store_query(f->s, &err, store_read_text, &clear,
				     "SELECT unseal(subject, 'cases.subject') "
				     "FROM cases WHERE id = ?", "i", id), ST_OK);
	assert_string_equal(clear, "張雅婷求助 0922333444");
	/* Read as another column's: it does not open. */
	assert_int_not_equal(store_query(f->s, &err, store_read_text, &moved,
					 "SELECT unseal(subject, "
					 "'cases.reply_addr') FROM cases WHERE "
					 "id = ?", "i", id), ST_OK);
	assert_null(moved);
	/* A value written before sealing reads as it is, and is sealed
	 * once by store_seal_existing(). */
	assert_int_equal(store_run(f->s, &err, "UPDATE cases SET reply_addr = "
				   "'a@b.example' WHERE id = ?", "i", id), ST_OK);
	g_clear_pointer(&clear, g_free);
	assert_int_equal(store_query(f->s, &err, store_read_text, &clear,
				     "SELECT unseal(reply_addr, "
				     "'cases.reply_addr') FROM cases WHERE id "
				     "= ?", "i", id), ST_OK);
	assert_string_equal(clear, "a@b.example");
	/* The audit trail too, though no row of it may change. */
	assert_int_equal(store_run(f->s, &err, "INSERT INTO case_events "
				   "(case_id, at, who, what, why) VALUES (?, "
				   "'x', 'lamplight', 'mail failed: ack', "
				   "'550 <a@b.example> unknown')", "i", id),
			 ST_OK);
	assert_int_equal(store_seal_existing(f->s, &sealed, &err), ST_OK);
	assert_int_equal(sealed, 2);
	g_clear_pointer(&raw_type, g_free);
	assert_int_equal(store_query(f->s, &err, store_read_text, &raw_type,
				     "SELECT typeof(why) FROM case_events "
				     "WHERE case_id = ?", "i", id), ST_OK);
	assert_string_equal(raw_type, "blob");
	assert_int_not_equal(store_run(f->s, &err, "UPDATE case_events SET "
				       "why = 'x'", ""), ST_OK);
	assert_non_null(strstr(err.msg, "append-only"));
	g_clear_pointer(&raw_type, g_free);
	assert_int_equal(store_query(f->s, &err, store_read_text, &raw_type,
				     "SELECT typeof(reply_addr) FROM cases "
				     "WHERE id = ?", "i", id), ST_OK);
	assert_string_equal(raw_type, "blob");
	/* The same file with another key: refused, not garbage. */
	assert_int_equal(store_open(tdb, &other, &err), ST_OK);
	assert_true(test_seal(other, other_dir));
	g_clear_pointer(&clear, g_free);
	assert_int_not_equal(store_query(other, &err, store_read_text, &clear,
					 "SELECT unseal(subject, "
					 "'cases.subject') FROM cases WHERE id "
					 "= ?", "i", id), ST_OK);
	assert_non_null(strstr(err.msg, "another data key"));
	store_close(other);
	/* No codec: seal() refuses; nothing goes in the clear. */
	assert_int_equal(store_open(db, &plain, &err), ST_OK);
	assert_int_not_equal(store_run(plain, &err, "INSERT INTO cases "
				       "(number, county, urgency, source, "
				       "subject, created_at) VALUES ('TPE-1', "
				       "'TPE', 'normal', 'direct', seal(?, "
				       "'cases.subject'), 'x')", "t", "秘密"),
			     ST_OK);
	assert_non_null(strstr(err.msg, "no data key"));
	store_close(plain);
	scratch_remove(other_dir);
	g_free(other_dir);
}

/*
 * A case of county for a person who wrote text (read as the pipeline
 * reads a letter) or gave id, filed and linked to earlier ones: how many
 * it was linked to.
 */
static guint
file_person(struct fx *f, const char *county, const char *text,
	    struct identity *id, gint64 *case_id)
{
	g_autoptr(GDateTime) now = twtime_now();
	struct identity read = { 0 };
	struct err err = { 0 };
	guint linked = 99;

	if (id == NULL) {
		identity_from_text(&read, text, NULL, NULL);
		id = &read;
	}
	*case_id = new_case_in(f, county, "求助", now);
	assert_int_equal(people_store(f->s, f->v, *case_id, id, &err), ST_OK);
	assert_int_equal(people_link_returning(f->s, *case_id, &linked, &err),
			 ST_OK);
	identity_clear(&read);
	return linked;
}

/* The earlier cases of id, as "NUMBER state reason kinds; ...". */
static char *
earlier(struct fx *f, gint64 id)
{
	g_autoptr(GPtrArray) a = g_ptr_array_new_with_free_func(
		(GDestroyNotify)case_earlier_free);
	GString *s = g_string_new(NULL);
	struct err err = { 0 };

	assert_int_equal(cases_earlier(f->s, id, a, &err), ST_OK);
	for (guint i = 0; i < a->len; i++) {
		const struct case_earlier *e = a->pdata[i];

		g_string_append_printf(s, "%s%s %s %s %s", i > 0 ? "; " : "",
				       e->number, case_state_name(e->state),
				       e->closed_reason != NULL
					       ? e->closed_reason
					       : "-",
				       e->kinds);
	}
	return g_string_free(s, FALSE);
}

static char *
number_of(struct fx *f, gint64 id)
{
	char *n = NULL;
	struct err err = { 0 };

	assert_int_equal(cases_number(f->s, id, &n, &err), ST_OK);
	return n;
}

/* A person back after 再入監 is known by their ID, in any state. */
static void
test_returning_by_id(void **state)
{
	struct fx *f = *state;
	struct identity a = { 0 }, b = { 0 };
	g_autofree char *was = NULL, *got = NULL, *want = NULL;
	gint64 first, again;

	fill(&a);
	assert_int_equal(file_person(f, "TNN", NULL, &a, &first), 0);
	assert_int_equal(store_run(f->s, NULL, "UPDATE cases SET state = "
				   "'closed', closed_reason = 'reimprisoned' "
				   "WHERE id = ?", "i", first),
			 ST_OK);
	/* A new phone and address, the same ID written another way. */
	b.name = g_strdup("李怡君");
	b.phone = g_strdup("0911223344");
	b.address = g_strdup("高雄市前鎮區中華五路12號");
	b.national_id = g_strdup("D266190436");
	b.national_id_valid = TRUE;
	assert_int_equal(file_person(f, "TNN", NULL, &b, &again), 1);
	was = number_of(f, first);
	want = g_strdup_printf("%s closed reimprisoned national_id", was);
	got = earlier(f, again);
	assert_string_equal(got, want);
	/* The earlier case does not call the later one earlier; both have
	 * the link and an audit row saying what matched. */
	g_free(got);
	got = earlier(f, first);
	assert_string_equal(got, "");
	assert_int_equal(count(f, "SELECT count(*) FROM case_links WHERE "
			       "why = 'same person: national_id'", 0), 2);
	assert_int_equal(count(f, "SELECT count(*) FROM case_events WHERE "
			       "what = 'returning person'", 0), 2);
	identity_clear(&a);
	identity_clear(&b);
}

/* A phone written another way, an address with 台 for 臺, full-width
 * digits: the same person. */
static void
test_returning_written_otherwise(void **state)
{
	struct fx *f = *state;
	g_autofree char *got = NULL;
	gint64 first, by_phone, by_address, both;

	assert_int_equal(file_person(f, "TNN", "我是李怡君，電話 0975-830-142。",
				     NULL, &first), 0);
	assert_int_equal(file_person(f, "TNN", "請打給我：０９７５ ８３０ １４２",
				     NULL, &by_phone), 1);
	got = earlier(f, by_phone);
	assert_non_null(strstr(got, " phone"));
	g_free(got);
	assert_int_equal(file_person(f, "TNN", "我住臺南市東區長榮路二段95巷12號",
				     NULL, &by_address), 0);
	assert_int_equal(file_person(f, "TNN",
				     "地址：台南市東區長榮路二段95巷12號",
				     NULL, &both), 1);
	got = earlier(f, both);
	assert_non_null(strstr(got, " address"));
	g_free(got);
	/* Phone and address at once: one link, saying both. */
	{
		g_autofree char *was = NULL, *want = NULL;
		gint64 last, again;

		assert_int_equal(
			file_person(f, "TNN",
				    "電話0975830142，住台南市東區長榮路二段"
				    "95巷12號", NULL, &last), 4);
		assert_int_equal(
			file_person(f, "TNN",
				    "住臺南市東區長榮路二段95巷12號，手機 "
				    "+886 975 830 142", NULL, &again), 5);
		got = earlier(f, again);
		was = number_of(f, last);
		want = g_strdup_printf("%s received - phone address", was);
		assert_non_null(strstr(got, want));
	}
}

/* Personal data never crosses between centres. */
static void
test_returning_not_across_centres(void **state)
{
	struct fx *f = *state;
	struct identity a = { 0 };
	gint64 there, here;

	fill(&a);
	assert_int_equal(file_person(f, "KHH", NULL, &a, &there), 0);
	assert_int_equal(file_person(f, "TNN", NULL, &a, &here), 0);
	assert_int_equal(count(f, "SELECT count(*) FROM case_links", 0), 0);
	identity_clear(&a);
}

/* Placeholders, a toll-free line, a city alone, a number shared by many
 * of the centre's cases: no one person's, so nobody is linked. */
static void
test_returning_not_on_placeholders(void **state)
{
	static const struct {
		const char *nid, *phone, *address;
	} t[] = {
		{ "A123456789", "0000000000", "臺南市" },
		{ "A123456789", "0912345678", "臺南市東區" },
		{ "F111111111", "0800770885", "台南市" },
		{ "D266190437", "0911111111", "臺南市中西區" },
	};
	struct fx *f = *state;
	gint64 id, shared;

	for (size_t i = 0; i < G_N_ELEMENTS(t); i++)
		for (int k = 0; k < 2; k++) {
			struct identity p = { 0 };

			p.national_id = g_strdup(t[i].nid);
			/* A123456789 has a valid check digit; D266190437
			 * not. */
			p.national_id_valid = t[i].nid[9] != '7';
			p.phone = g_strdup(t[i].phone);
			p.address = g_strdup(t[i].address);
			assert_int_equal(file_person(f, "TNN", NULL, &p, &id),
					 0);
			identity_clear(&p);
		}
	assert_int_equal(count(f, "SELECT count(*) FROM case_people_keys",
			       0), 0);
	/* An agency's phone on every referral links the first few, then
	 * nobody. */
	for (int i = 0; i < PEOPLE_SHARED_MAX + 3; i++) {
		struct identity p = { 0 };
		guint linked;

		p.phone = g_strdup("062951010");
		linked = file_person(f, "TNN", NULL, &p, &shared);
		identity_clear(&p);
		assert_int_equal(linked, i < PEOPLE_SHARED_MAX ? (guint)i : 0);
	}
}

/* The table holds hashes only: no value in the clear, nor encoded. */
static void
test_returning_hashes_only(void **state)
{
	struct fx *f = *state;
	const char *clear[] = { "D266190436", "0975830142",
				"臺南市東區長榮路二段95巷12號" };
	struct identity a = { 0 };
	sqlite3_stmt *st;
	gint64 id;
	int rows = 0;

	fill(&a);
	file_person(f, "TNN", NULL, &a, &id);
	assert_int_equal(sqlite3_prepare_v2(store_sqlite(f->s),
					    "SELECT kind, hash FROM "
					    "case_people_keys", -1, &st, NULL),
			 SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *hash = (const char *)sqlite3_column_text(st, 1);
		guint8 raw[16];

		rows++;
		assert_int_equal(strlen(hash), 2 * sizeof raw);
		for (size_t i = 0; i < sizeof raw; i++)
			raw[i] = (guint8)(g_ascii_xdigit_value(hash[2 * i]) *
						  16 +
					  g_ascii_xdigit_value(hash[2 * i + 1]));
		for (size_t k = 0; k < G_N_ELEMENTS(clear); k++) {
			assert_null(strstr(hash, clear[k]));
			assert_null(memmem(raw, sizeof raw, clear[k], 4));
		}
	}
	sqlite3_finalize(st);
	assert_int_equal(rows, 3);
	/* Nor anywhere in the file: as text, in hex, in base64. */
	for (size_t k = 0; k < G_N_ELEMENTS(clear); k++) {
		g_autofree char *b64 = g_base64_encode(
			(const guchar *)clear[k], strlen(clear[k]));
		GString *hex = g_string_new(NULL);

		for (const char *p = clear[k]; *p; p++)
			g_string_append_printf(hex, "%02x", (guint8)*p);
		assert_false(db_holds(f, clear[k]));
		assert_false(db_holds(f, hex->str));
		assert_false(db_holds(f, b64));
		g_string_free(hex, TRUE);
	}
	/* Each kind its own key: equal hashes only for equal kinds. */
	assert_int_equal(count(f, "SELECT count(DISTINCT hash) FROM "
			       "case_people_keys", 0), 3);
	identity_clear(&a);
}

/* A database from before the hashes gets them, once, from the sealed
 * records; a record that does not open is passed over. */
static void
test_returning_keys_existing(void **state)
{
	struct fx *f = *state;
	struct identity a = { 0 };
	struct err err = { 0 };
	gint64 id, broken;

	fill(&a);
	file_person(f, "TNN", NULL, &a, &id);
	file_person(f, "TNN", NULL, &a, &broken);
	assert_int_equal(store_run(f->s, &err, "DELETE FROM case_people_keys",
				   ""),
			 ST_OK);
	assert_int_equal(store_run(f->s, &err, "UPDATE case_people SET "
				   "sealed = x'00' WHERE case_id = ?", "i",
				   broken),
			 ST_OK);
	assert_int_equal(people_key_existing(f->s, f->v, &err), ST_OK);
	assert_int_equal(count(f, "SELECT count(*) FROM case_people_keys "
			       "WHERE case_id = ?", id), 3);
	assert_int_equal(count(f, "SELECT count(*) FROM case_people_keys "
			       "WHERE case_id = ?", broken), 0);
	identity_clear(&a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_about_sealed_with_the_writer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sealed_and_bound, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_other_key_refused, setup,
						teardown),
		cmocka_unit_test(test_masks),
		cmocka_unit_test_setup_teardown(test_erased_are_not_read, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_erased_after_retention,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_columns_sealed, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_letters_sealed, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_returning_by_id, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			test_returning_written_otherwise, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_returning_not_across_centres, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_returning_not_on_placeholders, setup, teardown),
		cmocka_unit_test_setup_teardown(test_returning_hashes_only,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_returning_keys_existing,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
