/*
 * IMAP and IMAPS with libetpan.  Messages are named by UID under the
 * mailbox's UIDVALIDITY, never by sequence number; bodies are fetched
 * with BODY.PEEK[] so that fetching alone marks nothing seen.
 */
#include <libetpan/libetpan.h>
#include <string.h>

#include "fetch.h"

struct imap_src {
	mailimap *imap;
	char *id;	/* mailbox id, for messages */
	const struct centre *centre;	/* borrowed: after_fetch */
};

static enum status
imap_fail(struct err *err, const char *id, const char *what, int r)
{
	enum status st = ST_SOURCE_BAD;

	return err_set(err, st, "mailbox %s: %s failed (libetpan %d)", id,
		       what, r);
}

static void
set_sni(struct mailstream_ssl_context *ctx, void *host)
{
	mailstream_ssl_set_server_name(ctx, host);
}

static enum status
imap_open(const struct centre *c, void **handle, guint32 *uidvalidity,
	  struct err *err)
{
	g_autoptr(GUri) uri = g_uri_parse(c->mailbox, G_URI_FLAGS_HAS_PASSWORD,
					  NULL);
	g_autofree char *folder = NULL;
	struct imap_src *s;
	const char *host, *path;
	gboolean tls, preauth;
	int port, r;
	enum status st;

	if (uri == NULL)
		return err_set(err, ST_SOURCE_BAD, "mailbox %s: bad URL",
			       c->id);
	tls = strcmp(g_uri_get_scheme(uri), "imaps") == 0;
	host = g_uri_get_host(uri);
	port = g_uri_get_port(uri) > 0 ? g_uri_get_port(uri)
				       : (tls ? 993 : 143);
	path = g_uri_get_path(uri);
	while (path != NULL && *path == '/')
		path++;
	folder = g_uri_unescape_string(path != NULL && *path ? path : "INBOX",
				       NULL);
	if (folder == NULL)
		folder = g_strdup("INBOX");

	s = g_new0(struct imap_src, 1);
	s->id = g_strdup(c->id);
	s->centre = c;
	s->imap = mailimap_new(0, NULL);
	mailimap_set_timeout(s->imap, c->timeout);
	if (tls)
		r = mailimap_ssl_connect_with_callback(s->imap, host,
						       (uint16_t)port, set_sni,
						       (void *)host);
	else
		r = mailimap_socket_connect(s->imap, host, (uint16_t)port);
	if (r != MAILIMAP_NO_ERROR_NON_AUTHENTICATED &&
	    r != MAILIMAP_NO_ERROR_AUTHENTICATED) {
		st = fetch_why_connect_failed(err, c->id, host, port, tls,
					      (int)c->timeout, r);
		goto fail;
	}
	preauth = r == MAILIMAP_NO_ERROR_AUTHENTICATED;
	if (!tls && c->starttls) {
		r = mailimap_socket_starttls_with_callback(s->imap, set_sni,
							   (void *)host);
		if (r != MAILIMAP_NO_ERROR) {
			st = err_set(err, ST_SOURCE_BAD, "mailbox %s: %s:%d: "
				     "STARTTLS failed (libetpan %d): the "
				     "server offers no TLS there, or the "
				     "handshake failed", c->id, host, port,
				     r);
			goto fail;
		}
		tls = TRUE;
	}
	if (tls) {
		/* Before LOGIN: a wrong certificate must not see a password. */
		st = tls_verify_stream(s->imap->imap_stream, host, c->ca_file,
				       err);
		if (st != ST_OK)
			goto fail;
	}
	if (!preauth) {
		r = mailimap_login(s->imap, g_uri_get_user(uri),
				   c->password ? c->password : "");
		if (r != MAILIMAP_NO_ERROR) {
			st = fetch_login_refused(err, c->id, host, port,
						 g_uri_get_user(uri),
						 s->imap->imap_response);
			goto fail;
		}
	}
	r = mailimap_select(s->imap, folder);
	if (r != MAILIMAP_NO_ERROR || s->imap->imap_selection_info == NULL) {
		st = imap_fail(err, c->id, "select", r);
		goto fail;
	}
	*uidvalidity = s->imap->imap_selection_info->sel_uidvalidity;
	*handle = s;
	return ST_OK;
fail:
	mailimap_free(s->imap);
	g_free(s->id);
	g_free(s);
	return st;
}

/* The UID, size and body section of one FETCH response (each optional). */
static void
att_read(struct mailimap_msg_att *ma, guint32 *uid, guint32 *size,
	 struct mailimap_msg_att_body_section **section)
{
	for (clistiter *k = clist_begin(ma->att_list); k; k = k->next) {
		struct mailimap_msg_att_item *it = clist_content(k);
		struct mailimap_msg_att_static *st;

		if (it->att_type != MAILIMAP_MSG_ATT_ITEM_STATIC)
			continue;
		st = it->att_data.att_static;
		if (st->att_type == MAILIMAP_MSG_ATT_UID)
			*uid = st->att_data.att_uid;
		else if (st->att_type == MAILIMAP_MSG_ATT_RFC822_SIZE &&
			 size != NULL)
			*size = st->att_data.att_rfc822_size;
		else if (st->att_type == MAILIMAP_MSG_ATT_BODY_SECTION &&
			 section != NULL)
			*section = st->att_data.att_body_section;
	}
}

static enum status
imap_list(void *handle, guint32 since, GPtrArray **out, struct err *err)
{
	struct imap_src *s = handle;
	struct mailimap_set *set;
	struct mailimap_fetch_type *ft;
	clist *result = NULL;
	GPtrArray *list;
	int r;

	if (s->imap->imap_selection_info->sel_exists == 0) {
		*out = g_ptr_array_new_with_free_func(
			(GDestroyNotify)fetch_entry_free);
		return ST_OK;
	}
	set = mailimap_set_new_interval(since + 1, 0);
	ft = mailimap_fetch_type_new_fetch_att_list_empty();
	mailimap_fetch_type_new_fetch_att_list_add(ft,
						   mailimap_fetch_att_new_uid());
	mailimap_fetch_type_new_fetch_att_list_add(
		ft, mailimap_fetch_att_new_rfc822_size());
	r = mailimap_uid_fetch(s->imap, set, ft, &result);
	mailimap_fetch_type_free(ft);
	mailimap_set_free(set);
	if (r != MAILIMAP_NO_ERROR)
		return imap_fail(err, s->id, "UID FETCH", r);
	list = g_ptr_array_new_with_free_func((GDestroyNotify)fetch_entry_free);
	for (clistiter *i = clist_begin(result); i != NULL; i = i->next) {
		guint32 uid = 0, size = 0;

		att_read(clist_content(i), &uid, &size, NULL);
		/* "n:*" always returns the last message, even below n. */
		if (uid > since) {
			struct fetch_entry *e = g_new0(struct fetch_entry, 1);

			e->uid = g_strdup_printf("%u", uid);
			e->size = size;
			g_ptr_array_add(list, e);
		}
	}
	mailimap_fetch_list_free(result);
	*out = list;
	return ST_OK;
}

/* One UID FETCH for the whole batch: one round trip, not n. */
static enum status
imap_fetch(void *handle, const char *const *uids, guint n, GBytes **out,
	   struct err *err)
{
	struct imap_src *s = handle;
	struct mailimap_set *set = mailimap_set_new_empty();
	struct mailimap_fetch_type *ft;
	g_autoptr(GHashTable) at = g_hash_table_new(NULL, NULL);
	clist *result = NULL;
	int r;

	for (guint i = 0; i < n; i++) {
		guint32 uid = (guint32)g_ascii_strtoull(uids[i], NULL, 10);

		out[i] = NULL;
		mailimap_set_add_single(set, uid);
		g_hash_table_insert(at, GUINT_TO_POINTER(uid),
				    GUINT_TO_POINTER(i + 1));
	}
	ft = mailimap_fetch_type_new_fetch_att_list_empty();
	mailimap_fetch_type_new_fetch_att_list_add(ft,
						   mailimap_fetch_att_new_uid());
	mailimap_fetch_type_new_fetch_att_list_add(
		ft, mailimap_fetch_att_new_body_peek_section(
			    mailimap_section_new(NULL)));
	r = mailimap_uid_fetch(s->imap, set, ft, &result);
	mailimap_fetch_type_free(ft);
	mailimap_set_free(set);
	if (r != MAILIMAP_NO_ERROR)
		return imap_fail(err, s->id, "UID FETCH BODY", r);
	for (clistiter *i = clist_begin(result); i != NULL; i = i->next) {
		struct mailimap_msg_att_body_section *bs = NULL;
		guint32 uid = 0;
		guint k;

		att_read(clist_content(i), &uid, NULL, &bs);
		k = GPOINTER_TO_UINT(g_hash_table_lookup(at,
							 GUINT_TO_POINTER(uid)));
		/* The length, not strlen: mail may hold NUL bytes. */
		if (k > 0 && bs != NULL && out[k - 1] == NULL)
			out[k - 1] = g_bytes_new(bs->sec_body_part,
						 bs->sec_length);
	}
	mailimap_fetch_list_free(result);
	return ST_OK;
}

/* Adds flag to message n; with expunge, then removes it (UIDPLUS). */
static int
imap_flag(struct imap_src *s, guint32 n, struct mailimap_flag *flag,
	  gboolean expunge)
{
	struct mailimap_flag_list *flags = mailimap_flag_list_new_empty();
	struct mailimap_store_att_flags *sf;
	struct mailimap_set *set = mailimap_set_new_single(n);
	int r;

	mailimap_flag_list_add(flags, flag);
	sf = mailimap_store_att_flags_new_add_flags_silent(flags);
	r = mailimap_uid_store(s->imap, set, sf);
	if (r == MAILIMAP_NO_ERROR && expunge)
		r = mailimap_uid_expunge(s->imap, set);
	mailimap_store_att_flags_free(sf);
	mailimap_set_free(set);
	return r;
}

static enum status
imap_done(void *handle, const char *uid, struct err *err)
{
	struct imap_src *s = handle;
	guint32 n = (guint32)g_ascii_strtoull(uid, NULL, 10);
	struct mailimap_set *set;
	int r = MAILIMAP_NO_ERROR;

	switch (s->centre->after_fetch) {
	case AFTER_FETCH_KEEP:
		break;
	case AFTER_FETCH_SEEN:
		r = imap_flag(s, n, mailimap_flag_new_seen(), FALSE);
		break;
	case AFTER_FETCH_DELETE:
		r = imap_flag(s, n, mailimap_flag_new_deleted(), TRUE);
		break;
	case AFTER_FETCH_MOVE:
		/* MOVE (RFC 6851), else COPY and expunge the original. */
		set = mailimap_set_new_single(n);
		r = mailimap_uid_move(s->imap, set, s->centre->move_to);
		if (r != MAILIMAP_NO_ERROR) {
			/* The folder may not exist yet: make it, try again. */
			mailimap_create(s->imap, s->centre->move_to);
			r = mailimap_uid_move(s->imap, set,
					      s->centre->move_to);
		}
		if (r != MAILIMAP_NO_ERROR) {
			r = mailimap_uid_copy(s->imap, set,
					      s->centre->move_to);
			if (r == MAILIMAP_NO_ERROR)
				r = imap_flag(s, n, mailimap_flag_new_deleted(),
					      TRUE);
		}
		mailimap_set_free(set);
		break;
	}
	if (r != MAILIMAP_NO_ERROR)
		return imap_fail(err, s->id, "marking a filed message", r);
	return ST_OK;
}

static void
imap_close(void *handle)
{
	struct imap_src *s = handle;

	if (s == NULL)
		return;
	mailimap_logout(s->imap);
	mailimap_free(s->imap);
	g_free(s->id);
	g_free(s);
}

const struct fetch_ops fetch_imap_ops = {
	.name = "imap",
	.open = imap_open,
	.list = imap_list,
	.fetch = imap_fetch,
	.done = imap_done,
	.close = imap_close,
};
