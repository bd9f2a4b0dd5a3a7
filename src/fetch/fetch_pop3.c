/*
 * POP3, POP3 with STLS, and POP3S with libetpan.  Messages are named by
 * UIDL, never by their index, which changes between sessions.  POP3 has
 * no \Seen: "seen" keeps the message, and our own record of UIDLs skips
 * it next time; "delete" marks it with DELE, which the server carries out
 * at QUIT.
 */
#include <libetpan/libetpan.h>
#include <string.h>

#include "fetch.h"

struct pop3_src {
	mailpop3 *pop;
	char *id;
	GHashTable *index;	/* uidl -> message index (GUINT_TO_POINTER) */
	gboolean quit;		/* QUIT sent already */
	const struct centre *centre;	/* borrowed: after_fetch */
};

static enum status
pop3_fail(struct err *err, const char *id, const char *what, int r)
{
	return err_set(err, ST_SOURCE_BAD, "mailbox %s: %s failed "
		       "(libetpan %d)", id, what, r);
}

static void
set_sni(struct mailstream_ssl_context *ctx, void *host)
{
	mailstream_ssl_set_server_name(ctx, host);
}

static void
pop3_free(struct pop3_src *s)
{
	if (s == NULL)
		return;
	if (s->pop != NULL)
		mailpop3_free(s->pop);
	if (s->index != NULL)
		g_hash_table_destroy(s->index);
	g_free(s->id);
	g_free(s);
}

static enum status
pop3_open(const struct centre *c, void **handle, guint32 *uidvalidity,
	  struct err *err)
{
	g_autoptr(GUri) uri = g_uri_parse(c->mailbox, G_URI_FLAGS_HAS_PASSWORD,
					  NULL);
	struct pop3_src *s;
	const char *host;
	gboolean tls;
	int port, r;
	enum status st;

	if (uri == NULL)
		return err_set(err, ST_SOURCE_BAD, "mailbox %s: bad URL",
			       c->id);
	tls = strcmp(g_uri_get_scheme(uri), "pop3s") == 0;
	host = g_uri_get_host(uri);
	port = g_uri_get_port(uri) > 0 ? g_uri_get_port(uri)
				       : (tls ? 995 : 110);
	s = g_new0(struct pop3_src, 1);
	s->id = g_strdup(c->id);
	s->centre = c;
	s->index = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					 NULL);
	s->pop = mailpop3_new(0, NULL);
	mailpop3_set_timeout(s->pop, c->timeout);
	if (tls)
		r = mailpop3_ssl_connect_with_callback(s->pop, host,
						       (uint16_t)port, set_sni,
						       (void *)host);
	else
		r = mailpop3_socket_connect(s->pop, host, (uint16_t)port);
	if (r != MAILPOP3_NO_ERROR) {
		st = fetch_why_connect_failed(err, c->id, host, port, tls,
					      (int)c->timeout, r);
		goto fail;
	}
	if (!tls && c->starttls) {
		r = mailpop3_socket_starttls_with_callback(s->pop, set_sni,
							   (void *)host);
		if (r != MAILPOP3_NO_ERROR) {
			st = err_set(err, ST_SOURCE_BAD, "mailbox %s: %s:%d: "
				     "STLS failed (libetpan %d): the server "
				     "offers no TLS there, or the handshake "
				     "failed", c->id, host, port, r);
			goto fail;
		}
		tls = TRUE;
	}
	if (tls) {
		/* Before USER/PASS: a wrong certificate sees no password. */
		st = tls_verify_stream(s->pop->pop3_stream, host, c->ca_file,
				       err);
		if (st != ST_OK)
			goto fail;
	}
	r = mailpop3_login(s->pop, g_uri_get_user(uri),
			   c->password ? c->password : "");
	if (r != MAILPOP3_NO_ERROR) {
		st = fetch_login_refused(err, c->id, host, port,
					 g_uri_get_user(uri),
					 s->pop->pop3_response);
		goto fail;
	}
	*uidvalidity = 0;
	*handle = s;
	return ST_OK;
fail:
	pop3_free(s);
	return st;
}

static enum status
pop3_list(void *handle, guint32 since, GPtrArray **out, struct err *err)
{
	struct pop3_src *s = handle;
	carray *msgs = NULL;
	GPtrArray *list;
	int r;

	/* The session owns the array; entries may be NULL. */
	r = mailpop3_list(s->pop, &msgs);
	if (r != MAILPOP3_NO_ERROR)
		return pop3_fail(err, s->id, "LIST", r);
	list = g_ptr_array_new_with_free_func((GDestroyNotify)fetch_entry_free);
	for (unsigned int i = 0; msgs != NULL && i < carray_count(msgs); i++) {
		struct mailpop3_msg_info *mi = carray_get(msgs, i);
		struct fetch_entry *e;

		if (mi == NULL || mi->msg_deleted)
			continue;
		if (mi->msg_uidl == NULL || *mi->msg_uidl == '\0') {
			g_ptr_array_free(list, TRUE);
			return err_set(err, ST_SOURCE_BAD, "mailbox %s: the "
				       "server gives no UIDL; refusing to "
				       "guess which mail is new", s->id);
		}
		e = g_new0(struct fetch_entry, 1);
		e->uid = g_strdup(mi->msg_uidl);
		e->size = mi->msg_size;
		g_hash_table_replace(s->index, g_strdup(e->uid),
				     GUINT_TO_POINTER(mi->msg_index));
		g_ptr_array_add(list, e);
	}
	*out = list;
	return ST_OK;
}

static enum status
pop3_fetch(void *handle, const char *const *uids, guint n, GBytes **out,
	   struct err *err)
{
	struct pop3_src *s = handle;

	for (guint i = 0; i < n; i++) {
		gpointer idx;
		char *buf = NULL;
		size_t len = 0;
		int r;

		out[i] = NULL;
		if (!g_hash_table_lookup_extended(s->index, uids[i], NULL,
						  &idx))
			continue;	/* gone */
		r = mailpop3_retr(s->pop, GPOINTER_TO_UINT(idx), &buf, &len);
		if (r != MAILPOP3_NO_ERROR)
			return pop3_fail(err, s->id, "RETR", r);
		out[i] = g_bytes_new(buf, len);
		mailpop3_retr_free(buf);
	}
	return ST_OK;
}

static enum status
pop3_done(void *handle, const char *uid, struct err *err)
{
	struct pop3_src *s = handle;
	gpointer idx;
	int r;

	if (s->centre->after_fetch != AFTER_FETCH_DELETE)
		return ST_OK;
	if (!g_hash_table_lookup_extended(s->index, uid, NULL, &idx))
		return ST_OK;	/* gone already */
	r = mailpop3_dele(s->pop, GPOINTER_TO_UINT(idx));
	if (r != MAILPOP3_NO_ERROR)
		return pop3_fail(err, s->id, "DELE", r);
	return ST_OK;
}

/* The server carries out DELE at QUIT, and only if QUIT succeeds. */
static enum status
pop3_commit(void *handle, struct err *err)
{
	struct pop3_src *s = handle;
	int r;

	s->quit = TRUE;
	r = mailpop3_quit(s->pop);
	if (r != MAILPOP3_NO_ERROR)
		return pop3_fail(err, s->id, "QUIT", r);
	return ST_OK;
}

static void
pop3_close(void *handle)
{
	struct pop3_src *s = handle;

	if (s == NULL)
		return;
	if (!s->quit)
		mailpop3_quit(s->pop);
	pop3_free(s);
}

const struct fetch_ops fetch_pop3_ops = {
	.name = "pop3",
	.open = pop3_open,
	.list = pop3_list,
	.fetch = pop3_fetch,
	.done = pop3_done,
	.commit = pop3_commit,
	.close = pop3_close,
};
