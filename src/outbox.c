/*
 * The SMTP side of the outbox.  One curl handle is reused for the whole
 * run so that every message after the first rides the same connection.
 */
#include <curl/curl.h>
#include <string.h>

#include "cases.h"
#include "log.h"
#include "notify.h"
#include "outbox.h"

/* Retries back off from 5 minutes to at most 6 hours. */
#define OUTBOX_BACKOFF_FIRST 300
#define OUTBOX_BACKOFF_MAX (6 * 3600)

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

static GDateTime *
backoff(GDateTime *now, int attempts)
{
	gint64 delay = OUTBOX_BACKOFF_FIRST;

	for (int i = 0; i < attempts && delay < OUTBOX_BACKOFF_MAX; i++)
		delay *= 2;
	return g_date_time_add_seconds(now, (gdouble)MIN(delay,
						       OUTBOX_BACKOFF_MAX));
}

/* Whether a curl failure is worth retrying (not a 5xx refusal). */
static gboolean
failure_is_temporary(CURLcode rc, long reply)
{
	if (reply >= 500 && reply < 600)
		return FALSE;
	return rc != CURLE_URL_MALFORMAT && rc != CURLE_UNSUPPORTED_PROTOCOL;
}

static gboolean
server_unreachable(CURLcode rc)
{
	return rc == CURLE_COULDNT_CONNECT ||
	       rc == CURLE_COULDNT_RESOLVE_HOST ||
	       rc == CURLE_OPERATION_TIMEDOUT ||
	       rc == CURLE_SSL_CONNECT_ERROR ||
	       rc == CURLE_PEER_FAILED_VERIFICATION;
}

enum status
outbox_queue(struct store *s, gint64 case_id, const char *kind,
	     int priority, const struct outgoing *o, struct err *err)
{
	return store_outbox_add(s, case_id, kind, priority, o->message_id,
				o->env_from, o->rcpt, o->data, o->len, err);
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

	st = store_outbox_due(s, now, max_priority, &items, err);
	if (st != ST_OK || items->len == 0)
		return st;
	/* That these sends begin, on record before any of them (one sync
	 * for all): a run that dies after the server took a mail and before
	 * it is marked sent sends it again, with the same Message-ID, and
	 * the count says so. */
	st = store_begin(s, err);
	for (guint i = 0; i < items->len && st == ST_OK; i++)
		st = store_run(s, err,
			       "UPDATE outbox SET sends = sends + 1 WHERE id = ?",
			       "i", ((const struct outbox_item *)
					     items->pdata[i])->id);
	if (st == ST_OK)
		st = store_commit(s, err);
	if (st != ST_OK) {
		store_rollback(s);
		return st;
	}
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

			st = store_outbox_failed(s, it->id, TRUE,
						 "server unreachable", next, err);
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

			st = store_outbox_sent(s, it->id, ok, err);
			stats->sent++;
			if (st == ST_OK && sent != NULL)
				sent(data);
			log_info("sent %s for case %lld (outbox %lld)",
				 it->kind, (long long)it->case_id,
				 (long long)it->id);
			continue;
		}
		why = g_strdup_printf("%s (reply %ld)", curl_easy_strerror(rc),
				      reply);
		if (failure_is_temporary(rc, reply)) {
			g_autoptr(GDateTime) next = backoff(now, it->attempts);

			st = store_outbox_failed(s, it->id, TRUE, why, next,
						 err);
			stats->deferred++;
			down = server_unreachable(rc);
			log_warn("outbox %lld deferred: %s", (long long)it->id,
				 why);
		} else {
			st = store_outbox_failed(s, it->id, FALSE, why, now,
						 err);
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
