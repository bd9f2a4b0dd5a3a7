/*
 * The outbox: its table's states, then its SMTP side.  Every statement
 * on the outbox table is in this file.  One curl handle is reused for
 * the whole run so that every message after the first rides the same
 * connection.
 */
#include <curl/curl.h>
#include <string.h>

#include "cases.h"
#include "log.h"
#include "notify.h"
#include "outbox.h"
#include "twtime.h"

/* Retries back off from 5 minutes to at most 6 hours. */
#define OUTBOX_BACKOFF_FIRST 300
#define OUTBOX_BACKOFF_MAX (6 * 3600)

/* ---- the table ---- */

static char *
now_iso(void)
{
	g_autoptr(GDateTime) now = twtime_now();

	return twtime_iso(now);
}

void
outbox_item_free(struct outbox_item *it)
{
	if (it == NULL)
		return;
	g_free(it->case_number);
	g_free(it->kind);
	g_free(it->message_id);
	g_free(it->env_from);
	g_free(it->rcpt);
	if (it->data != NULL)
		g_bytes_unref(it->data);
	g_free(it);
}

gboolean
outbox_to_writer(const char *kind)
{
	/* A referrer's address came with its mail, not the config. */
	static const char *const writer[] = { "ack", "followup", "relay",
					      "referrer-result", NULL };

	return kind != NULL && g_strv_contains(writer, kind);
}

/*
 * Held back (run --no-send): why, once set, and how many since.  Set
 * once, before any mail is queued, and read by the main thread; the
 * count is atomic all the same.
 */
static char *hold_why;
static gint held_back;

void
outbox_hold_new(const char *why)
{
	g_free(hold_why);
	hold_why = g_strdup(why);
}

guint
outbox_held_back(void)
{
	return (guint)g_atomic_int_get(&held_back);
}

enum status
outbox_add(struct store *s, gint64 case_id, const char *kind, int priority,
	   const char *message_id, const char *env_from, const char *rcpt,
	   const char *data, gsize len, struct err *err)
{
	g_autofree char *now = now_iso();
	g_autofree char *canon = address_canonical(rcpt);
	enum status st;

	/* A writer's address sealed, staff's and partners' as configured;
	 * every one keyed for the daily limit.  Held back, it is cancelled
	 * in the same statement: no crash can leave it to be sent. */
	st = store_run(s, err,
		       "INSERT INTO outbox (case_id, kind, priority, "
		       "message_id, env_from, rcpt, rcpt_key, data, next_at, "
		       "created_at, state, held_back, last_error) VALUES "
		       "(nullif(?1, 0), ?2, ?3, ?4, ?5, "
		       "CASE WHEN ?10 THEN seal(?6, 'outbox.rcpt') ELSE ?6 "
		       "END, keyed(?7), seal(?8, 'outbox.data'), ?9, ?9, "
		       "CASE WHEN ?11 IS NULL THEN 'queued' ELSE 'cancelled' "
		       "END, ?11 IS NOT NULL, seal(?11, 'outbox.last_error'))",
		       "itittttbtit", case_id, kind, (gint64)priority,
		       message_id, env_from, rcpt, canon, (const void *)data,
		       len, now, (gint64)outbox_to_writer(kind), hold_why);
	if (st == ST_OK && hold_why != NULL)
		g_atomic_int_inc(&held_back);
	return st;
}

enum status
outbox_queue(struct store *s, gint64 case_id, const char *kind,
	     int priority, const struct outgoing *o, struct err *err)
{
	return outbox_add(s, case_id, kind, priority, o->message_id,
			  o->env_from, o->rcpt, o->data, o->len, err);
}

static gboolean
read_item(const struct store_row *row, gpointer data)
{
	struct outbox_item *it = g_new0(struct outbox_item, 1);

	it->id = store_col_int(row, 0);
	it->case_id = store_col_int(row, 1);
	it->kind = store_col_dup(row, 2);
	it->message_id = store_col_dup(row, 3);
	it->env_from = store_col_dup(row, 4);
	it->rcpt = store_col_dup(row, 5);
	it->data = store_col_bytes(row, 6);
	it->attempts = (int)store_col_int(row, 7);
	it->priority = (int)store_col_int(row, 8);
	it->case_number = store_col_dup(row, 9);
	g_ptr_array_add(data, it);
	return TRUE;
}

enum status
outbox_due(struct store *s, GDateTime *now, int max_priority,
	   GPtrArray **out, struct err *err)
{
	g_autofree char *at = twtime_iso(now);
	GPtrArray *items = g_ptr_array_new_with_free_func(
		(GDestroyNotify)outbox_item_free);
	enum status st;

	st = store_query(s, err, read_item, items,
			 "SELECT id, coalesce(case_id, 0), kind, message_id, "
			 "env_from, unseal(rcpt, 'outbox.rcpt'), unseal(data, "
			 "'outbox.data'), attempts, priority, (SELECT number "
			 "FROM cases c WHERE c.id = outbox.case_id) FROM outbox "
			 "WHERE "
			 "state = 'queued' AND next_at <= ? AND priority <= ? "
			 "ORDER BY priority, id",
			 "ti", at, (gint64)max_priority);
	if (st != ST_OK) {
		g_ptr_array_free(items, TRUE);
		return st;
	}
	*out = items;
	return ST_OK;
}

/*
 * That these sends begin, on record before any of them (one sync for
 * all): a run that dies after the server took a mail and before it is
 * marked sent sends it again, with the same Message-ID, and the count
 * says so.
 */
static enum status
sends_begin(struct store *s, GPtrArray *items, struct err *err)
{
	enum status st = store_begin(s, err);

	for (guint i = 0; i < items->len && st == ST_OK; i++)
		st = store_run(s, err,
			       "UPDATE outbox SET sends = sends + 1 "
			       "WHERE id = ?",
			       "i", ((const struct outbox_item *)
					     items->pdata[i])->id);
	if (st == ST_OK)
		st = store_commit(s, err);
	if (st != ST_OK)
		store_rollback(s);
	return st;
}

enum status
outbox_sent(struct store *s, gint64 id, const char *reply, struct err *err)
{
	g_autofree char *now = now_iso();

	return store_run(s, err,
			 "UPDATE outbox SET state = 'sent', sent_at = ?, "
			 "attempts = attempts + 1, last_error = seal(?, "
			 "'outbox.last_error') WHERE id = ?",
			 "tti", now, reply, id);
}

enum status
outbox_failed(struct store *s, gint64 id, gboolean temp, const char *why,
	      GDateTime *next_at, struct err *err)
{
	g_autofree char *next = twtime_iso(next_at);

	return store_run(s, err,
			 "UPDATE outbox SET state = ?, "
			 "attempts = attempts + 1, last_error = seal(?, "
			 "'outbox.last_error'), "
			 "next_at = ? WHERE id = ?",
			 "ttti", temp ? "queued" : "failed", why, next, id);
}

enum status
outbox_bounced(struct store *s, const char *message_id, const char *why,
	       gint64 *case_id, char **kind, struct err *err)
{
	g_autofree char *what = NULL;
	enum status st;

	*case_id = 0;
	*kind = NULL;
	st = store_run(s, err,
		       "UPDATE outbox SET state = 'bounced', last_error = "
		       "seal(?, 'outbox.last_error') "
		       "WHERE message_id = ? AND state <> 'cancelled'",
		       "tt", why, message_id);
	if (st != ST_OK || store_changes(s) == 0)
		return st;
	st = store_query(s, err, store_read_int, case_id,
			 "SELECT coalesce(case_id, 0) FROM outbox "
			 "WHERE message_id = ?", "t", message_id);
	if (st == ST_OK)
		st = store_query(s, err, store_read_text, kind,
				 "SELECT kind FROM outbox WHERE message_id = ?",
				 "t", message_id);
	if (st == ST_OK && *case_id != 0) {
		what = g_strdup_printf("mail bounced: %s", *kind);
		st = cases_event_add(s, *case_id, NULL, "lamplight", what, why,
				     err);
	}
	if (st != ST_OK)
		g_clear_pointer(kind, g_free);
	return st;
}

struct change_row {
	char *state, *kind;
	gint64 case_id;
};

static gboolean
read_change(const struct store_row *row, gpointer data)
{
	struct change_row *c = data;

	c->state = store_col_dup(row, 0);
	c->kind = store_col_dup(row, 1);
	c->case_id = store_col_int(row, 2);
	return FALSE;
}

enum status
outbox_change(struct store *s, gint64 id, gboolean retry, const char *why,
	      GDateTime *now, char **was, gboolean *done, struct err *err)
{
	g_autofree char *at = twtime_iso(now);
	g_autofree char *what = NULL;
	struct change_row c = { NULL, NULL, 0 };
	enum status st;

	*was = NULL;
	*done = FALSE;
	st = store_begin(s, err);
	if (st != ST_OK)
		return st;
	st = store_query(s, err, read_change, &c,
			 "SELECT state, kind, coalesce(case_id, 0) FROM outbox "
			 "WHERE id = ?", "i", id);
	if (st == ST_OK && c.state != NULL &&
	    (retry ? strcmp(c.state, "sent") != 0 &&
			     strcmp(c.state, "cancelled") != 0
		   : strcmp(c.state, "queued") == 0 ||
			     strcmp(c.state, "failed") == 0)) {
		st = store_run(s, err,
			       retry ? "UPDATE outbox SET state = 'queued', "
				       "next_at = ? WHERE id = ?"
				     : "UPDATE outbox SET state = 'cancelled', "
				       "next_at = ? WHERE id = ?",
			       "ti", at, id);
		what = g_strdup_printf("outbox %s: %s %lld",
				       retry ? "retry" : "cancel", c.kind,
				       (long long)id);
		if (st == ST_OK && c.case_id != 0)
			st = cases_event_add(s, c.case_id, at, "operator",
					     what, why, err);
		if (st == ST_OK)
			st = store_commit(s, err);
		*done = st == ST_OK;
	}
	if (!*done)
		store_rollback(s);
	*was = c.state;
	g_free(c.kind);
	return st;
}

enum status
outbox_count_for(struct store *s, const char *rcpt, const char *kind,
		 const char *also, const char *since, gboolean at_too,
		 gint64 *n, struct err *err)
{
	g_autofree char *canon = address_canonical(rcpt);

	/* By the keyed canonical address (outbox_add): lower case, no
	 * +tag, Gmail without dots, as address_canonical() writes it. */
	*n = 0;
	return store_query(s, err, store_read_int, n,
			   "SELECT count(*) FROM outbox WHERE rcpt_key = "
			   "keyed(?1) AND kind IN (?2, ?3) AND (created_at > ?4 "
			   "OR (?5 AND created_at = ?4))",
			   "tttti", canon, kind, also, since,
			   (gint64)at_too);
}

struct unkeyed {
	gint64 id;
	char *rcpt, *kind;
};

static void
unkeyed_clear(gpointer p)
{
	struct unkeyed *u = p;

	g_free(u->rcpt);
	g_free(u->kind);
}

static gboolean
read_unkeyed(const struct store_row *row, gpointer data)
{
	struct unkeyed u = {
		.id = store_col_int(row, 0),
		.rcpt = store_col_dup(row, 1),
		.kind = store_col_dup(row, 2),
	};

	g_array_append_val(data, u);
	return TRUE;
}

enum status
outbox_seal_existing(struct store *s, struct err *err)
{
	g_autoptr(GArray) rows = g_array_new(FALSE, FALSE,
					     sizeof(struct unkeyed));
	enum status st;

	g_array_set_clear_func(rows, unkeyed_clear);
	st = store_query(s, err, read_unkeyed, rows,
			 "SELECT id, rcpt, kind FROM outbox WHERE rcpt_key IS "
			 "NULL AND NOT is_sealed(rcpt)", "");
	if (st != ST_OK || rows->len == 0)
		return st;
	st = store_begin(s, err);
	for (guint i = 0; st == ST_OK && i < rows->len; i++) {
		const struct unkeyed *u =
			&g_array_index(rows, struct unkeyed, i);
		g_autofree char *canon = address_canonical(u->rcpt);

		st = store_run(s, err, "UPDATE outbox SET rcpt_key = keyed(?1), "
			       "rcpt = CASE WHEN ?2 THEN seal(rcpt, "
			       "'outbox.rcpt') ELSE rcpt END WHERE id = ?3",
			       "tii", canon, (gint64)outbox_to_writer(u->kind),
			       u->id);
	}
	st = store_end(s, st, err);
	return st;
}

enum status
outbox_case_of(struct store *s, const char *message_id, gint64 *case_id,
	       struct err *err)
{
	*case_id = 0;
	return store_query(s, err, store_read_int, case_id,
			   "SELECT coalesce(case_id, 0) FROM outbox "
			   "WHERE message_id = ?", "t", message_id);
}

enum status
outbox_erase_case(struct store *s, gint64 case_id, struct err *err)
{
	return store_run(s, err,
			 "UPDATE outbox SET data = zeroblob(0), "
			 "rcpt = '(erased)' WHERE case_id = ? AND "
			 "state <> 'queued'", "i", case_id);
}

void
outbox_entry_free(struct outbox_entry *e)
{
	if (e == NULL)
		return;
	g_free(e->case_number);
	g_free(e->kind);
	g_free(e->rcpt);
	g_free(e->state);
	g_free(e->next_at);
	g_free(e->sent_at);
	g_free(e->last_error);
	g_free(e);
}

static gboolean
read_entry(const struct store_row *row, gpointer data)
{
	struct outbox_entry *e = g_new0(struct outbox_entry, 1);

	e->id = store_col_int(row, 0);
	e->case_number = store_col_dup(row, 1);
	e->kind = store_col_dup(row, 2);
	e->rcpt = store_col_dup(row, 3);
	e->state = store_col_dup(row, 4);
	e->attempts = (int)store_col_int(row, 5);
	e->next_at = store_col_dup(row, 6);
	e->sent_at = store_col_dup(row, 7);
	e->last_error = store_col_dup(row, 8);
	g_ptr_array_add(data, e);
	return TRUE;
}

enum status
outbox_list(struct store *s, const char *state, GPtrArray **out,
	    struct err *err)
{
	GPtrArray *list = g_ptr_array_new_with_free_func(
		(GDestroyNotify)outbox_entry_free);
	enum status st;

	st = store_query(s, err, read_entry, list,
			 "SELECT o.id, c.number, o.kind, unseal(o.rcpt, "
			 "'outbox.rcpt'), o.state, "
			 "o.attempts, o.next_at, o.sent_at, unseal(o.last_error, "
			 "'outbox.last_error') "
			 "FROM outbox o LEFT JOIN cases c ON c.id = o.case_id "
			 "WHERE (?1 IS NULL OR o.state = ?1) ORDER BY o.id",
			 "t", state);
	if (st != ST_OK) {
		g_ptr_array_free(list, TRUE);
		return st;
	}
	*out = list;
	return ST_OK;
}

enum status
outbox_of_case(struct store *s, gint64 case_id, store_row_fn fn,
	       gpointer data, struct err *err)
{
	return store_query(s, err, fn, data,
			   "SELECT kind, unseal(rcpt, 'outbox.rcpt') AS rcpt, "
			   "state, created_at, sent_at FROM outbox WHERE "
			   "case_id = ? ORDER BY id",
			   "i", case_id);
}

static gboolean
read_counts(const struct store_row *row, gpointer data)
{
	struct outbox_counts *c = data;

	c->queued = store_col_int(row, 0);
	c->stale = store_col_int(row, 1);
	c->failed = store_col_int(row, 2);
	c->urgent_undelivered = store_col_int(row, 3);
	c->held_back = store_col_int(row, 4);
	return FALSE;
}

static gboolean
read_blob(const struct store_row *row, gpointer data)
{
	if (!store_col_is_null(row, 0))
		*(GBytes **)data = store_col_bytes(row, 0);
	return FALSE;
}

enum status
outbox_message(struct store *s, gint64 id, GBytes **out, struct err *err)
{
	*out = NULL;
	return store_query(s, err, read_blob, out,
			   "SELECT unseal(data, 'outbox.data') FROM outbox "
			   "WHERE id = ? AND length(data) > 0", "i", id);
}

enum status
outbox_count(struct store *s, struct outbox_counts *out, struct err *err)
{
	memset(out, 0, sizeof *out);
	/* Queued for over an hour: the SMTP server is not taking mail.
	 * Each count through an index (outbox_due by state; the held back
	 * by their own): the sent mail of years is never read. */
	return store_query(s, err, read_counts, out,
			   "SELECT (SELECT count(*) FROM outbox WHERE "
			   "state = 'queued'), "
			   "(SELECT count(*) FROM outbox WHERE state = 'queued' "
			   "AND julianday('now') - julianday(created_at) > "
			   "1.0 / 24), "
			   "(SELECT count(*) FROM outbox WHERE state = 'failed'), "
			   "(SELECT count(*) FROM outbox WHERE state IN "
			   "('queued', 'failed') AND priority = ?1 AND "
			   "attempts > 0), "
			   "(SELECT count(*) FROM outbox WHERE held_back)",
			   "i", (gint64)OUTBOX_PRIORITY_EMERGENCY);
}

/* ---- sending ---- */

void
outbox_init(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

/*
 * The handle, kept between calls: the emergencies sent at once during a
 * run and the rest at its end ride one SMTP connection (curl notices a
 * connection the server has closed and opens a new one).
 */
static CURL *kept;
static const struct config *kept_for;

void
outbox_done(void)
{
	if (kept != NULL)
		curl_easy_cleanup(kept);	/* sends QUIT */
	kept = NULL;
	kept_for = NULL;
	curl_global_cleanup();
}

struct reader {
	const char *data;
	gsize len, pos;
};

static size_t
read_cb(char *buf, size_t size, size_t nmemb, void *arg)
{
	struct reader *r = arg;
	size_t n = MIN(size * nmemb, r->len - r->pos);

	memcpy(buf, r->data + r->pos, n);
	r->pos += n;
	return n;
}

static gboolean tls_failure(CURLcode rc);

static CURL *
smtp_handle(const struct config *cfg)
{
	CURL *c = curl_easy_init();

	if (c == NULL)
		return NULL;
	curl_easy_setopt(c, CURLOPT_URL, cfg->smtp_url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 20L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 120L);
	curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(c, CURLOPT_READFUNCTION, read_cb);
	if (cfg->smtp_starttls && g_str_has_prefix(cfg->smtp_url, "smtp:"))
		curl_easy_setopt(c, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
	if (cfg->smtp_ca_file != NULL)
		curl_easy_setopt(c, CURLOPT_CAINFO, cfg->smtp_ca_file);
	if (cfg->smtp_user != NULL) {
		curl_easy_setopt(c, CURLOPT_USERNAME, cfg->smtp_user);
		curl_easy_setopt(c, CURLOPT_PASSWORD, cfg->smtp_password);
	}
	return c;
}

enum status
outbox_check_server(const struct config *cfg, struct err *err)
{
	CURL *c = smtp_handle(cfg);
	char why[CURL_ERROR_SIZE] = "";
	CURLcode rc;

	if (c == NULL)
		return err_set(err, ST_NOMEM, "cannot make a curl handle");
	/* SMTP logs in while it connects: CONNECT_ONLY stops before any
	 * MAIL FROM, so that nothing is sent. */
	curl_easy_setopt(c, CURLOPT_CONNECT_ONLY, 1L);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, why);
	rc = curl_easy_perform(c);
	curl_easy_cleanup(c);	/* sends QUIT */
	if (why[0] == '\0')
		g_strlcpy(why, curl_easy_strerror(rc), sizeof why);
	if (rc == CURLE_OK)
		return ST_OK;
	if (rc == CURLE_LOGIN_DENIED)
		return err_setup(err, "SMTP %s refused the login of user '%s' "
				 "(%s): check [smtp] user and password_file",
				 cfg->smtp_url, cfg->smtp_user ? cfg->smtp_user
							       : "",
				 why);
	if (tls_failure(rc))
		return err_setup(err, "SMTP %s: TLS failed: %s: check [smtp] "
				 "url, starttls and ca_file", cfg->smtp_url,
				 why);
	return err_set(err, ST_SOURCE_BAD, "SMTP %s: cannot connect: %s",
		       cfg->smtp_url, why);
}

static GDateTime *
backoff(GDateTime *now, int attempts)
{
	gint64 delay = OUTBOX_BACKOFF_FIRST;

	for (int i = 0; i < attempts && delay < OUTBOX_BACKOFF_MAX; i++)
		delay *= 2;
	return g_date_time_add_seconds(now, (gdouble)MIN(delay,
						       OUTBOX_BACKOFF_MAX));
}

/* Whether TLS with the server failed: the handshake, its certificate,
 * our CA file, or STARTTLS not offered where it is required. */
static gboolean
tls_failure(CURLcode rc)
{
	switch (rc) {
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_USE_SSL_FAILED:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_CRL_BADFILE:
	case CURLE_SSL_ENGINE_INITFAILED:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
		return TRUE;
	default:
		return FALSE;
	}
}

/*
 * Whether a curl failure is worth retrying: not a 5xx refusal of the
 * mail.  A refused login (535) or a failed TLS is the server refusing
 * lamplight, not this mail: every mail waits until it is put right.
 */
static gboolean
failure_is_temporary(CURLcode rc, long reply)
{
	if (rc == CURLE_LOGIN_DENIED || tls_failure(rc))
		return TRUE;
	if (reply >= 500 && reply < 600)
		return FALSE;
	return rc != CURLE_URL_MALFORMAT && rc != CURLE_UNSUPPORTED_PROTOCOL;
}

/* Whether no other mail can go this run either. */
static gboolean
server_unreachable(CURLcode rc)
{
	return rc == CURLE_LOGIN_DENIED || rc == CURLE_COULDNT_CONNECT ||
	       rc == CURLE_COULDNT_RESOLVE_HOST ||
	       rc == CURLE_OPERATION_TIMEDOUT || tls_failure(rc);
}

enum status
outbox_send_due(struct store *s, const struct config *cfg, GDateTime *now,
		int max_priority, struct outbox_stats *stats,
		void (*sent)(gpointer data), gpointer data, struct err *err)
{
	g_autoptr(GPtrArray) items = NULL;
	enum status st;
	gboolean down = FALSE;
	CURL *c;

	st = outbox_due(s, now, max_priority, &items, err);
	if (st != ST_OK || items->len == 0)
		return st;
	st = sends_begin(s, items, err);
	if (st != ST_OK)
		return st;
	if (kept != NULL && kept_for != cfg) {
		curl_easy_cleanup(kept);
		kept = NULL;
	}
	if (kept == NULL) {
		kept = smtp_handle(cfg);
		kept_for = cfg;
	}
	c = kept;
	if (c == NULL)
		return err_set(err, ST_NOMEM, "cannot make a curl handle");
	for (guint i = 0; i < items->len && st == ST_OK; i++) {
		const struct outbox_item *it = items->pdata[i];
		g_autofree char *from = g_strdup_printf("<%s>", it->env_from);
		g_autofree char *why = NULL;
		struct curl_slist *rcpt = NULL;
		struct reader r = { 0 };
		CURLcode rc;
		long reply = 0;

		if (down) {
			/* One refused connection says enough for this run. */
			g_autoptr(GDateTime) next = backoff(now, it->attempts);

			st = outbox_failed(s, it->id, TRUE,
					   stats->login_refused
						   ? "login refused by the server"
					   : stats->tls_failed
						   ? "TLS with the server failed"
						   : "server unreachable",
					   next, err);
			stats->deferred++;
			continue;
		}
		r.data = g_bytes_get_data(it->data, &r.len);
		rcpt = curl_slist_append(NULL, it->rcpt);
		curl_easy_setopt(c, CURLOPT_MAIL_FROM, from);
		curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
		curl_easy_setopt(c, CURLOPT_READDATA, &r);
		curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE,
				 (curl_off_t)r.len);
		rc = curl_easy_perform(c);
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &reply);
		curl_slist_free_all(rcpt);
		if (rc == CURLE_OK) {
			g_autofree char *ok = g_strdup_printf("%ld", reply);

			st = outbox_sent(s, it->id, ok, err);
			stats->sent++;
			if (st == ST_OK && sent != NULL)
				sent(data);
			log_info("sent %s for %s (outbox %lld)", it->kind,
				 it->case_number != NULL ? it->case_number
							 : "no case",
				 (long long)it->id);
			continue;
		}
		why = g_strdup_printf("%s (reply %ld)", curl_easy_strerror(rc),
				      reply);
		if (failure_is_temporary(rc, reply)) {
			g_autoptr(GDateTime) next = backoff(now, it->attempts);

			st = outbox_failed(s, it->id, TRUE, why, next, err);
			stats->deferred++;
			down = server_unreachable(rc);
			stats->login_refused |= rc == CURLE_LOGIN_DENIED;
			stats->tls_failed |= tls_failure(rc);
			if (rc == CURLE_LOGIN_DENIED)
				log_error("the SMTP server refused lamplight's "
					  "login (%s): every mail stays queued; "
					  "check [smtp] user and password_file",
					  why);
			else if (tls_failure(rc))
				log_error("TLS with the SMTP server failed "
					  "(%s): every mail stays queued; check "
					  "[smtp] url, starttls and ca_file", why);
			if (it->priority == OUTBOX_PRIORITY_EMERGENCY)
				log_error("the %s of an emergency (%s, "
					  "outbox %lld) is not delivered yet: "
					  "%s", it->kind,
					  it->case_number != NULL
						  ? it->case_number
						  : "no case",
					  (long long)it->id, why);
			else if (rc != CURLE_LOGIN_DENIED && !tls_failure(rc))
				log_warn("outbox %lld (%s) deferred: %s",
					 (long long)it->id,
					 it->case_number != NULL
						 ? it->case_number
						 : "no case",
					 why);
		} else {
			st = outbox_failed(s, it->id, FALSE, why, now, err);
			/* Staff see on the case that the mail did not go. */
			if (st == ST_OK && it->case_id != 0) {
				g_autofree char *what = g_strdup_printf(
					"mail failed: %s", it->kind);

				st = cases_event_add(s, it->case_id, NULL,
						     "lamplight", what, why,
						     err);
			}
			stats->failed++;
			log_error("outbox %lld failed for good: %s",
				  (long long)it->id, why);
		}
	}
	/* A failed connection is not worth keeping. */
	if (down) {
		curl_easy_cleanup(kept);
		kept = NULL;
	}
	return st;
}
