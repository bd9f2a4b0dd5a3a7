/* Reply tokens with GLib's HMAC; the key is a key file (keyfile.h). */
#include <string.h>

#include "keyfile.h"
#include "token.h"

struct tokens {
	guint8 key[TOKEN_KEY_BYTES];
};

enum status
tokens_open(const char *path, gboolean create, struct tokens **out,
	    struct err *err)
{
	struct tokens *t = g_new0(struct tokens, 1);
	enum status st = keyfile_load(path, create, t->key, sizeof t->key,
				      "token key", err);

	if (st != ST_OK) {
		tokens_free(t);
		return st;
	}
	*out = t;
	return ST_OK;
}

void
tokens_free(struct tokens *t)
{
	if (t == NULL)
		return;
	memset(t->key, 0, sizeof t->key);
	g_free(t);
}

/* HMAC-SHA256 of what "\n" addr (lower case), first bytes in hex. */
static char *
mac_hex(const struct tokens *t, const char *what, const char *addr,
	gsize bytes)
{
	g_autoptr(GHmac) h = g_hmac_new(G_CHECKSUM_SHA256, t->key,
					sizeof t->key);
	g_autofree char *low = g_ascii_strdown(addr, -1);
	guint8 digest[32];
	gsize len = sizeof digest;
	GString *hex = g_string_sized_new(bytes * 2);

	g_hmac_update(h, (const guchar *)what, -1);
	g_hmac_update(h, (const guchar *)"\n", 1);
	g_hmac_update(h, (const guchar *)low, -1);
	g_hmac_get_digest(h, digest, &len);
	for (gsize i = 0; i < bytes && i < len; i++)
		g_string_append_printf(hex, "%02x", digest[i]);
	return g_string_free(hex, FALSE);
}

char *
token_make(const struct tokens *t, const char *case_number, const char *rcpt)
{
	g_autofree char *mac = mac_hex(t, case_number, rcpt, TOKEN_MAC_BYTES);

	return g_strdup_printf("%s.%s", case_number, mac);
}

/* Compares without stopping at the first difference. */
static gboolean
same(const char *a, const char *b)
{
	size_t n = strlen(a);
	guint8 diff = n != strlen(b);

	for (size_t i = 0; i < n && b[i] != '\0'; i++)
		diff |= (guint8)(a[i] ^ b[i]);
	return diff == 0;
}

gboolean
token_check(const struct tokens *t, const char *token, const char *sender,
	    char **number)
{
	const char *dot = token != NULL ? strrchr(token, '.') : NULL;
	g_autofree char *num = NULL, *want = NULL, *given = NULL;

	if (dot == NULL || sender == NULL || dot == token ||
	    strlen(dot + 1) != TOKEN_MAC_BYTES * 2)
		return FALSE;
	num = g_strndup(token, dot - token);
	want = mac_hex(t, num, sender, TOKEN_MAC_BYTES);
	given = g_ascii_strdown(dot + 1, -1);
	if (!same(want, given))
		return FALSE;
	*number = g_steal_pointer(&num);
	return TRUE;
}

char *
token_message_id(const char *token, const char *from)
{
	const char *at = strchr(from, '@');
	guint32 r[2] = { g_random_int(), g_random_int() };

	return g_strdup_printf("lamplight.%s.%08x%08x@%s", token, r[0], r[1],
			       at != NULL ? at + 1 : "localhost");
}

char *
token_reply_to(const char *token, const char *from)
{
	const char *at = strchr(from, '@');

	if (at == NULL)
		return g_strdup(from);
	return g_strdup_printf("%.*s+%s%s", (int)(at - from), from, token, at);
}

/* Whether s looks like a token: COUNTY-yyyMMdd-NNNN.<hex>. */
static gboolean
token_shaped(const char *s, size_t len)
{
	static const char shape[] = "AAA-1999999-9999.";
	size_t head = sizeof shape - 1;

	if (len != head + TOKEN_MAC_BYTES * 2)
		return FALSE;
	for (size_t i = 0; i < head; i++) {
		char c = s[i];

		if ((shape[i] == 'A' && !g_ascii_isupper(c)) ||
		    (shape[i] == '9' && !g_ascii_isdigit(c)) ||
		    (shape[i] == '1' && c != '1') ||
		    (strchr("-.", shape[i]) && c != shape[i]))
			return FALSE;
	}
	for (size_t i = head; i < len; i++)
		if (!g_ascii_isxdigit(s[i]))
			return FALSE;
	return TRUE;
}

static void
add_from_address(GPtrArray *out, const char *addr)
{
	const char *plus = addr != NULL ? strchr(addr, '+') : NULL;
	const char *at = plus != NULL ? strchr(plus, '@') : NULL;

	/* The note address of a case mail: "tnn+note.TOKEN@...". */
	if (plus != NULL && g_str_has_prefix(plus + 1, "note."))
		plus += strlen("note.");

	if (at != NULL && token_shaped(plus + 1, at - plus - 1))
		g_ptr_array_add(out, g_strndup(plus + 1, at - plus - 1));
}

static void
add_from_message_id(GPtrArray *out, const char *id)
{
	const char *p, *end;

	if (id == NULL || !g_str_has_prefix(id, "lamplight."))
		return;
	p = id + strlen("lamplight.");
	end = strchr(p, '@');
	/* lamplight.<token>.<random>@domain */
	if (end == NULL)
		return;
	while (end > p && end[-1] != '.')
		end--;
	if (end > p && token_shaped(p, end - 1 - p))
		g_ptr_array_add(out, g_strndup(p, end - 1 - p));
}

GPtrArray *
token_find_all(const struct mail_msg *m)
{
	GPtrArray *out = g_ptr_array_new_with_free_func(g_free);

	for (guint i = 0; m->to != NULL && i < m->to->len; i++)
		add_from_address(out, m->to->pdata[i]);
	add_from_message_id(out, m->in_reply_to);
	for (guint i = m->references != NULL ? m->references->len : 0; i > 0;
	     i--)
		add_from_message_id(out, m->references->pdata[i - 1]);
	return out;
}

char *
token_party_hash(const struct tokens *t, const char *addr)
{
	return mac_hex(t, "party", addr, 16);
}
