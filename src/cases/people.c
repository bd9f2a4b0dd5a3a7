/*
 * The sealed record is nonce || ciphertext of a JSON object, with the
 * case id as associated data.  The key is a key file (keyfile.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cases.h"
#include "keyfile.h"
#include "outbox.h"
#include "people.h"
#include "spool.h"
#include "twtime.h"

struct vault {
	guint8 key[VAULT_KEY_BYTES];
	char id[17];
};

enum status
vault_open(const char *path, gboolean create, struct vault **out,
	   struct err *err)
{
	struct vault *v;
	enum status st;

	if (sodium_init() < 0)
		return err_set(err, ST_FATAL, "libsodium cannot start");
	v = g_new0(struct vault, 1);
	st = keyfile_load(path, create, v->key, sizeof v->key, "data key",
			  err);
	if (st != ST_OK) {
		vault_free(v);
		return st;
	}
	keyfile_fingerprint(v->key, sizeof v->key, v->id);
	*out = v;
	return ST_OK;
}

void
vault_free(struct vault *v)
{
	if (v == NULL)
		return;
	sodium_memzero(v->key, sizeof v->key);
	g_free(v);
}

const char *
vault_key_id(const struct vault *v)
{
	return v->id;
}

static const char *const fields[] = {
	"name", "sex", "birth_date", "phone", "email", "address",
	"national_id", NULL,
};

static char **
field_slot(struct identity *id, const char *f)
{
	if (strcmp(f, "name") == 0) return &id->name;
	if (strcmp(f, "sex") == 0) return &id->sex;
	if (strcmp(f, "birth_date") == 0) return &id->birth_date;
	if (strcmp(f, "phone") == 0) return &id->phone;
	if (strcmp(f, "email") == 0) return &id->email;
	if (strcmp(f, "address") == 0) return &id->address;
	return &id->national_id;
}

/* id's fields that are set, as members of the object b is building. */
static void
add_fields(JsonBuilder *b, const struct identity *id)
{
	for (int i = 0; fields[i] != NULL; i++) {
		char *const *v = field_slot((struct identity *)id, fields[i]);

		if (*v == NULL)
			continue;
		json_builder_set_member_name(b, fields[i]);
		json_builder_add_string_value(b, *v);
	}
	json_builder_set_member_name(b, "national_id_valid");
	json_builder_add_boolean_value(b, id->national_id_valid);
}

/*
 * A record as sealed: the writer's fields (people_store_about() adds
 * "writer_kind", who the writer is to the person, and "client", the
 * person the case is about).
 */
static char *
to_plain(const struct identity *id)
{
	g_autoptr(JsonBuilder) b = json_builder_new();
	g_autoptr(JsonNode) root = NULL;

	json_builder_begin_object(b);
	add_fields(b, id);
	json_builder_end_object(b);
	root = json_builder_get_root(b);
	return json_to_string(root, FALSE);
}

/* Fills id from the members of o. */
static void
read_fields(JsonObject *o, struct identity *id)
{
	for (int i = 0; fields[i] != NULL; i++)
		if (json_object_has_member(o, fields[i]))
			*field_slot(id, fields[i]) = g_strdup(
				json_object_get_string_member(o, fields[i]));
	id->national_id_valid = json_object_get_boolean_member_with_default(
		o, "national_id_valid", FALSE);
}

/* ---- personal columns (store.h's codec) ---- */

/* A sealed value: MAGIC, 'b' or 't' (blob or text), nonce, cipher. */
#define MAGIC "\0LS1"
#define MAGIC_LEN 4
#define NONCE crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define TAG crypto_aead_xchacha20poly1305_ietf_ABYTES

static gboolean
column_is_sealed(const void *data, gsize len)
{
	return len >= MAGIC_LEN + 1 + NONCE + TAG &&
	       memcmp(data, MAGIC, MAGIC_LEN) == 0;
}

/* What binds a value to its column and type: moved, it does not open. */
static char *
column_ad(const char *column, char type)
{
	return g_strdup_printf("column %s %c", column, type);
}

static GBytes *
column_seal(const void *data, gsize len, gboolean blob, const char *column,
	    void *ctx)
{
	const struct vault *v = ctx;
	char type = blob ? 'b' : 't';
	g_autofree char *ad = column_ad(column, type);
	gsize n = MAGIC_LEN + 1 + NONCE + len + TAG;
	guint8 *out = g_malloc(n);
	guint8 *nonce = out + MAGIC_LEN + 1;
	unsigned long long clen = 0;

	memcpy(out, MAGIC, MAGIC_LEN);
	out[MAGIC_LEN] = (guint8)type;
	randombytes_buf(nonce, NONCE);
	crypto_aead_xchacha20poly1305_ietf_encrypt(
		nonce + NONCE, &clen, data, len, (const guchar *)ad,
		strlen(ad), NULL, nonce, v->key);
	return g_bytes_new_take(out, MAGIC_LEN + 1 + NONCE + (gsize)clen);
}

static GBytes *
column_open(const void *data, gsize len, const char *column, gboolean *blob,
	    void *ctx)
{
	const struct vault *v = ctx;
	const guint8 *in = data;
	char type;
	g_autofree char *ad = NULL;
	const guint8 *nonce = in + MAGIC_LEN + 1;
	unsigned long long plen = 0;
	guint8 *out;

	if (!column_is_sealed(data, len))
		return NULL;
	type = (char)in[MAGIC_LEN];
	ad = column_ad(column, type);
	out = g_malloc(len);
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(
		    out, &plen, NULL, nonce + NONCE,
		    len - MAGIC_LEN - 1 - NONCE, (const guchar *)ad,
		    strlen(ad), nonce, v->key) != 0) {
		g_free(out);
		return NULL;
	}
	*blob = type == 'b';
	return g_bytes_new_take(out, (gsize)plen);
}

/* A hash as lower-case hex: new. */
static char *
hash_hex(const guint8 *hash, size_t n)
{
	GString *hex = g_string_sized_new(2 * n);

	for (size_t i = 0; i < n; i++)
		g_string_append_printf(hex, "%02x", hash[i]);
	return g_string_free(hex, FALSE);
}

static char *
column_keyed(const char *text, void *ctx)
{
	const struct vault *v = ctx;
	guint8 hash[16];
	crypto_generichash_state st;

	/* Apart from sealing by what it hashes: "keyed\0" first. */
	crypto_generichash_init(&st, v->key, sizeof v->key, sizeof hash);
	crypto_generichash_update(&st, (const guchar *)"keyed", 6);
	crypto_generichash_update(&st, (const guchar *)text, strlen(text));
	crypto_generichash_final(&st, hash, sizeof hash);
	return hash_hex(hash, sizeof hash);
}

static void
vault_unref(void *ctx)
{
	vault_free(ctx);
}

void
vault_attach(struct vault *v, struct store *s)
{
	struct store_codec codec = {
		.seal = column_seal,
		.open = column_open,
		.is_sealed = column_is_sealed,
		.keyed = column_keyed,
		.free = vault_unref,
		.ctx = v,
	};

	store_set_codec(s, &codec);
}

static void
associated(gint64 case_id, char ad[32])
{
	g_snprintf(ad, 32, "case %" G_GINT64_FORMAT, case_id);
}

/* ---- who a person is across cases ---- */

/* The kinds of value that identify a person, in the order staff read
 * them; each is hashed under a key of its own (its index + 1). */
static const char *const person_kinds[] = {
	"national_id", "phone", "address",
};

/*
 * Whether the digits s end in a placeholder rather than a person's
 * number: their last eight use at most two digits (0000000000,
 * 0912121212) or run up or down (A123456789, 0912345678).
 */
static gboolean
digits_placeholder(const char *s)
{
	size_t n = strlen(s);
	const char *t = s + (n > 8 ? n - 8 : 0);
	gboolean up = TRUE, down = TRUE;
	guint seen = 0, distinct = 0;

	for (const char *p = t; *p; p++) {
		int d = *p - '0';

		if ((seen & (1u << d)) == 0)
			distinct++;
		seen |= 1u << d;
		if (p > t && d != (p[-1] - '0' + 1) % 10)
			up = FALSE;
		if (p > t && d != (p[-1] - '0' + 9) % 10)
			down = FALSE;
	}
	return distinct <= 2 || up || down;
}

static gboolean
all_digits(const char *s, size_t from)
{
	return strlen(s) > from && strspn(s + from, "0123456789") ==
					   strlen(s + from);
}

/*
 * The value of kind k in id as it is hashed, new; NULL when it names
 * nobody in particular: an ID whose check digit fails, a phone without
 * its area code, a toll-free line (0800: the centres' own and other
 * services'), a placeholder, an address without a house number.
 */
static char *
person_value(const struct identity *id, size_t k)
{
	const char *nid = id->national_id, *phone = id->phone;

	switch (k) {
	case 0:
		if (nid == NULL || !id->national_id_valid ||
		    strlen(nid) != 10 || !all_digits(nid, 1) ||
		    digits_placeholder(nid + 1))
			return NULL;
		return g_strdup(nid);
	case 1:
		if (phone == NULL || !all_digits(phone, 0) ||
		    strlen(phone) < 9 || g_str_has_prefix(phone, "080") ||
		    digits_placeholder(phone))
			return NULL;
		return g_strdup(phone);
	default:
		return address_normalise(id->address);
	}
}

/* The keyed hash of value as kind k: under a key derived from the data
 * key for that kind alone, so that equal strings of two kinds differ. */
static char *
person_hash(const struct vault *v, size_t k, const char *value)
{
	guint8 sub[crypto_kdf_KEYBYTES], hash[16];

	crypto_kdf_derive_from_key(sub, sizeof sub, (uint64_t)k + 1,
				   "lpperson", v->key);
	crypto_generichash(hash, sizeof hash, (const guchar *)value,
			   strlen(value), sub, sizeof sub);
	sodium_memzero(sub, sizeof sub);
	return hash_hex(hash, sizeof hash);
}

/* The keyed hashes of id's person for case_id, replacing any. */
static enum status
store_keys(struct store *s, const struct vault *v, gint64 case_id,
	   const struct identity *id, struct err *err)
{
	enum status st = store_run(s, err, "DELETE FROM case_people_keys "
				   "WHERE case_id = ?", "i", case_id);

	for (size_t k = 0; st == ST_OK && k < G_N_ELEMENTS(person_kinds);
	     k++) {
		g_autofree char *value = person_value(id, k);
		g_autofree char *hash = NULL;

		if (value == NULL)
			continue;
		hash = person_hash(v, k, value);
		sodium_memzero(value, strlen(value));
		st = store_run(s, err, "INSERT OR IGNORE INTO "
			       "case_people_keys (case_id, kind, hash) "
			       "VALUES (?, ?, ?)", "itt", case_id,
			       person_kinds[k], hash);
	}
	return st;
}

/* An earlier case sharing a hash with the new one, and how. */
struct match {
	gint64 other;
	GString *kinds;
};

static gboolean
read_match(const struct store_row *row, gpointer data)
{
	GArray *a = data;
	gint64 other = store_col_int(row, 0);
	struct match *last = a->len > 0 ? &g_array_index(a, struct match,
							  a->len - 1)
					: NULL;

	if (last == NULL || last->other != other) {
		struct match m = { other, g_string_new(NULL) };

		g_array_append_val(a, m);
		last = &g_array_index(a, struct match, a->len - 1);
	} else {
		g_string_append_c(last->kinds, ' ');
	}
	g_string_append(last->kinds, store_col_text(row, 1));
	return TRUE;
}

enum status
people_link_returning(struct store *s, gint64 case_id, guint *linked,
		      struct err *err)
{
	g_autoptr(GArray) found = g_array_new(FALSE, FALSE,
					      sizeof(struct match));
	enum status st;

	*linked = 0;
	/*
	 * The centre's own cases only, any state, a merged one as the case
	 * it was merged into.  A phone or address more than
	 * PEOPLE_SHARED_MAX of the centre's cases share is no one person's
	 * (an agency's, a shelter's) and links nothing.
	 */
	st = store_query(s, err, read_match, found,
			 "SELECT coalesce(o.merged_into, o.id) AS other, "
			 "k.kind FROM case_people_keys n "
			 "JOIN cases me ON me.id = n.case_id "
			 "JOIN case_people_keys k ON k.kind = n.kind AND "
			 "k.hash = n.hash AND k.case_id < n.case_id "
			 "JOIN cases o ON o.id = k.case_id AND "
			 "o.county = me.county "
			 "WHERE n.case_id = ?1 AND (n.kind = 'national_id' OR "
			 "(SELECT count(DISTINCT x.case_id) FROM "
			 "case_people_keys x JOIN cases xc ON xc.id = "
			 "x.case_id WHERE x.kind = n.kind AND x.hash = n.hash "
			 "AND xc.county = me.county) <= ?2) "
			 "GROUP BY other, k.kind HAVING other <> ?1 "
			 "ORDER BY other, CASE k.kind WHEN 'national_id' "
			 "THEN 0 WHEN 'phone' THEN 1 ELSE 2 END",
			 "ii", case_id, (gint64)PEOPLE_SHARED_MAX);
	for (guint i = 0; st == ST_OK && i < found->len; i++) {
		struct match *m = &g_array_index(found, struct match, i);

		st = cases_link_person(s, case_id, m->other, m->kinds->str,
				       err);
		if (st == ST_OK)
			(*linked)++;
	}
	for (guint i = 0; i < found->len; i++)
		g_string_free(g_array_index(found, struct match, i).kinds,
			      TRUE);
	return st;
}

/* Seals plain (a record's JSON) for case_id, and wipes it. */
static enum status
seal_record(struct store *s, const struct vault *v, gint64 case_id,
	    char *plain, struct err *err)
{
	gsize plen = strlen(plain);
	gsize clen = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES + plen +
		     crypto_aead_xchacha20poly1305_ietf_ABYTES;
	g_autofree guint8 *sealed = g_malloc(clen);
	unsigned long long outlen = 0;
	char ad[32];

	associated(case_id, ad);
	randombytes_buf(sealed, crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
	crypto_aead_xchacha20poly1305_ietf_encrypt(
		sealed + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES, &outlen,
		(const guchar *)plain, plen, (const guchar *)ad, strlen(ad),
		NULL, sealed, v->key);
	sodium_memzero(plain, plen);
	return store_run(s, err,
			 "INSERT INTO case_people (case_id, key_id, sealed) "
			 "VALUES (?, ?, ?) ON CONFLICT (case_id) DO UPDATE SET "
			 "key_id = excluded.key_id, sealed = excluded.sealed",
			 "itb", case_id, v->id, (const void *)sealed,
			 (gsize)(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES +
				 outlen));
}

enum status
people_store(struct store *s, const struct vault *v, gint64 case_id,
	     const struct identity *id, struct err *err)
{
	g_autofree char *plain = to_plain(id);
	enum status st = seal_record(s, v, case_id, plain, err);

	/* Who the person is across cases, as keyed hashes. */
	if (st == ST_OK)
		st = store_keys(s, v, case_id, id, err);
	return st;
}

struct sealed_row {
	char *key_id;
	GBytes *sealed;
};

static gboolean
read_sealed(const struct store_row *row, gpointer data)
{
	struct sealed_row *r = data;

	r->key_id = store_col_dup(row, 0);
	r->sealed = store_col_bytes(row, 1);
	return FALSE;
}

/*
 * Opens the record of case_id into *out (a parser holding its object;
 * NULL when there is none or it was erased).
 */
static enum status
open_record(struct store *s, const struct vault *v, gint64 case_id,
	    JsonParser **out, struct err *err)
{
	struct sealed_row r = { 0 };
	g_autoptr(JsonParser) p = NULL;
	g_autofree guint8 *plain = NULL;
	unsigned long long plen = 0;
	const guint8 *data;
	gsize len;
	char ad[32];
	enum status st;

	*out = NULL;
	st = store_query(s, err, read_sealed, &r,
			 "SELECT key_id, sealed FROM case_people "
			 "WHERE case_id = ?", "i", case_id);
	if (st != ST_OK || r.sealed == NULL) {
		g_free(r.key_id);
		return st;
	}
	data = g_bytes_get_data(r.sealed, &len);
	if (strcmp(r.key_id, v->id) != 0)
		st = err_set(err, ST_FATAL, "the personal data of case %lld "
			     "was sealed with key %s, not %s",
			     (long long)case_id, r.key_id, v->id);
	else if (len < crypto_aead_xchacha20poly1305_ietf_NPUBBYTES +
			       crypto_aead_xchacha20poly1305_ietf_ABYTES)
		st = err_set(err, ST_FATAL, "the personal data of case %lld "
			     "is cut short", (long long)case_id);
	if (st == ST_OK) {
		associated(case_id, ad);
		plain = g_malloc(len + 1);
		if (crypto_aead_xchacha20poly1305_ietf_decrypt(
			    plain, &plen, NULL,
			    data + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES,
			    len - crypto_aead_xchacha20poly1305_ietf_NPUBBYTES,
			    (const guchar *)ad, strlen(ad), data,
			    v->key) != 0)
			st = err_set(err, ST_FATAL, "the personal data of "
				     "case %lld does not open: altered or "
				     "moved", (long long)case_id);
	}
	g_free(r.key_id);
	g_bytes_unref(r.sealed);
	if (st != ST_OK)
		return st;
	p = json_parser_new();
	if (!json_parser_load_from_data(p, (const char *)plain, (gssize)plen,
					NULL) ||
	    !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(p))) {
		sodium_memzero(plain, plen);
		return err_set(err, ST_FATAL, "the personal data of case %lld "
			       "is not readable", (long long)case_id);
	}
	sodium_memzero(plain, plen);
	*out = g_steal_pointer(&p);
	return ST_OK;
}

enum status
people_load(struct store *s, const struct vault *v, gint64 case_id,
	    struct identity *id, struct err *err)
{
	g_autoptr(JsonParser) p = NULL;
	enum status st;

	memset(id, 0, sizeof *id);
	st = open_record(s, v, case_id, &p, err);
	if (st == ST_OK && p != NULL)
		read_fields(json_node_get_object(json_parser_get_root(p)), id);
	return st;
}

enum status
people_load_about(struct store *s, const struct vault *v, gint64 case_id,
		  char **kind, struct identity *client, struct err *err)
{
	g_autoptr(JsonParser) p = NULL;
	JsonObject *o;
	enum status st;

	*kind = NULL;
	memset(client, 0, sizeof *client);
	st = open_record(s, v, case_id, &p, err);
	if (st != ST_OK || p == NULL)
		return st;
	o = json_node_get_object(json_parser_get_root(p));
	if (json_object_has_member(o, "writer_kind"))
		*kind = g_strdup(
			json_object_get_string_member(o, "writer_kind"));
	if (json_object_has_member(o, "client") &&
	    JSON_NODE_HOLDS_OBJECT(json_object_get_member(o, "client")))
		read_fields(json_object_get_object_member(o, "client"),
			    client);
	return ST_OK;
}

enum status
people_store_about(struct store *s, const struct vault *v, gint64 case_id,
		   const char *kind, const struct identity *client,
		   struct err *err)
{
	g_autoptr(JsonParser) p = NULL;
	g_autoptr(JsonBuilder) b = NULL;
	g_autoptr(JsonNode) node = NULL;
	g_autofree char *plain = NULL;
	JsonObject *o;
	enum status st;

	if (v == NULL)
		return err_set(err, ST_FATAL, "no data key to keep who case "
			       "%lld is about", (long long)case_id);
	st = open_record(s, v, case_id, &p, err);
	if (st != ST_OK)
		return st;
	/* What is not given stays as it was. */
	o = p != NULL ? json_node_get_object(json_parser_get_root(p))
		      : json_object_new();
	if (kind != NULL)
		json_object_set_string_member(o, "writer_kind", kind);
	if (client != NULL) {
		b = json_builder_new();
		json_builder_begin_object(b);
		add_fields(b, client);
		json_builder_end_object(b);
		json_object_set_member(o, "client", json_builder_get_root(b));
	}
	node = json_node_init_object(json_node_alloc(), o);
	if (p == NULL)
		json_object_unref(o);
	plain = json_to_string(node, FALSE);
	return seal_record(s, v, case_id, plain, err);
}

static gboolean
read_id(const struct store_row *row, gpointer data)
{
	gint64 id = store_col_int(row, 0);

	g_array_append_val(data, id);
	return TRUE;
}

enum status
people_key_existing(struct store *s, const struct vault *v, struct err *err)
{
	g_autoptr(GArray) ids = g_array_new(FALSE, FALSE, sizeof(gint64));
	enum status st;

	st = store_query(s, err, read_id, ids,
			 "SELECT case_id FROM case_people ORDER BY case_id",
			 "");
	for (guint i = 0; st == ST_OK && i < ids->len; i++) {
		gint64 id = g_array_index(ids, gint64, i);
		struct identity who = { 0 };
		struct err e2 = { 0 };

		/* A record that does not open stays without hashes; case
		 * show reports it, not the opening of the database. */
		if (people_load(s, v, id, &who, &e2) == ST_OK)
			st = store_keys(s, v, id, &who, err);
		identity_clear(&who);
	}
	return st;
}

/* value with all but the first keep_head and last keep_tail characters
 * replaced by '*' (characters, not bytes). */
static char *
mask_middle(const char *value, glong keep_head, glong keep_tail)
{
	glong n = g_utf8_strlen(value, -1);
	GString *out = g_string_new(NULL);
	const char *p = value;

	for (glong i = 0; i < n; i++, p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);

		if (i < keep_head || i >= n - keep_tail || c == ' ' ||
		    c == '-' || c == '@' || c == '.')
			g_string_append_unichar(out, c);
		else
			g_string_append_c(out, '*');
	}
	return g_string_free(out, FALSE);
}

char *
people_mask(const char *field, const char *value)
{
	if (value == NULL)
		return NULL;
	if (strcmp(field, "sex") == 0)
		return g_strdup(value);
	if (strcmp(field, "name") == 0)
		return mask_middle(value, 1,
				   g_utf8_strlen(value, -1) > 2 ? 1 : 0);
	if (strcmp(field, "birth_date") == 0)
		return strlen(value) >= 4 ? g_strdup_printf("%.4s-**-**", value)
					  : g_strdup("****");
	if (strcmp(field, "phone") == 0 || strcmp(field, "national_id") == 0)
		return mask_middle(value, 2, 3);
	if (strcmp(field, "email") == 0) {
		const char *at = strchr(value, '@');
		g_autofree char *local =
			at != NULL ? g_strndup(value, at - value)
				   : g_strdup(value);
		g_autofree char *m = mask_middle(local, 1, 0);

		return g_strconcat(m, at != NULL ? at : "", NULL);
	}
	/* An address: the city and district stay, the rest does not. */
	{
		const char *cut = NULL;
		static const char *const ends[] = { "區", "鄉", "鎮", "市", NULL };

		for (int i = 0; ends[i] != NULL && cut == NULL; i++) {
			const char *e = strstr(value, ends[i]);

			/* 市 as a city (臺南市) is followed by a district. */
			if (e != NULL && (e - value) <= 18)
				cut = e + strlen(ends[i]);
		}
		if (cut != NULL) {
			const char *more = strstr(cut, "區");

			if (more != NULL && more - cut <= 9)
				cut = more + strlen("區");
			return g_strdup_printf("%.*s***", (int)(cut - value),
					       value);
		}
		return g_strdup("***");
	}
}

JsonNode *
people_to_json(const struct identity *id, gboolean reveal)
{
	JsonObject *o = json_object_new();
	JsonNode *node = json_node_new(JSON_NODE_OBJECT);

	for (int i = 0; fields[i] != NULL; i++) {
		const char *v = *field_slot((struct identity *)id, fields[i]);

		if (v == NULL)
			continue;
		if (reveal) {
			json_object_set_string_member(o, fields[i], v);
		} else {
			g_autofree char *m = people_mask(fields[i], v);

			json_object_set_string_member(o, fields[i], m);
		}
	}
	json_object_set_boolean_member(o, "masked", !reveal);
	json_node_take_object(node, o);
	return node;
}

struct expired {
	gint64 id;
	char *number;
};

static gboolean
collect_expired(const struct store_row *row, gpointer data)
{
	struct expired e = {
		.id = store_col_int(row, 0),
		.number = store_col_dup(row, 1),
	};

	g_array_append_val(data, e);
	return TRUE;
}

/* What retention erases of one case, each bound to its id. */
static const char *const erase_sql[] = {
	"DELETE FROM case_people WHERE case_id = ?",
	"DELETE FROM case_people_keys WHERE case_id = ?",
	"DELETE FROM case_parties WHERE case_id = ?",
	"UPDATE case_notes SET text = '' WHERE case_id = ?",
	"UPDATE reasons SET match = '' WHERE case_id = ?",
};

static enum status
erase_one(struct store *s, gint64 id, const char *at, guint days,
	  people_forget_fn forget, gpointer data, struct err *err)
{
	g_autoptr(GPtrArray) spools = g_ptr_array_new_with_free_func(g_free);
	g_autofree char *why = g_strdup_printf("closed over %u days", days);
	enum status st;

	st = store_query(s, err, store_read_texts, spools,
			 "SELECT spool_name FROM arrivals WHERE case_id = ?",
			 "i", id);
	for (size_t i = 0; st == ST_OK && i < G_N_ELEMENTS(erase_sql); i++)
		st = store_run(s, err, erase_sql[i], "i", id);
	if (st == ST_OK)
		st = outbox_erase_case(s, id, err);
	if (st == ST_OK)
		st = cases_erase(s, id, at, why, err);
	for (guint i = 0; st == ST_OK && forget != NULL && i < spools->len;
	     i++)
		st = forget(spools->pdata[i], data, err);
	return st;
}

enum status
people_erase_expired(struct store *s, GDateTime *now, guint days,
		     people_forget_fn forget, gpointer data, guint *erased,
		     struct err *err)
{
	g_autoptr(GArray) due = g_array_new(FALSE, FALSE,
					    sizeof(struct expired));
	g_autoptr(GDateTime) limit = g_date_time_add_days(now, -(gint)days);
	g_autofree char *before = twtime_iso(limit);
	g_autofree char *at = twtime_iso(now);
	enum status st;

	*erased = 0;
	st = store_query(s, err, collect_expired, due,
			 "SELECT id, number FROM cases WHERE state = 'closed' "
			 "AND erased_at IS NULL AND closed_at < ?",
			 "t", before);
	/* One transaction per case: a failure keeps what is done. */
	for (guint i = 0; st == ST_OK && i < due->len; i++) {
		struct expired *e = &g_array_index(due, struct expired, i);

		st = store_begin(s, err);
		if (st == ST_OK)
			st = erase_one(s, e->id, at, days, forget, data, err);
		st = store_end(s, st, err);
		if (st == ST_OK)
			(*erased)++;
	}
	for (guint i = 0; i < due->len; i++)
		g_free(g_array_index(due, struct expired, i).number);
	return st;
}

#define SEAL_MAGIC "lamplight sealed 1\n"

static void
file_ad(const char *path, char **ad)
{
	g_autofree char *base = g_path_get_basename(path);
	char *dot = g_str_has_suffix(base, ".sealed")
			    ? base + strlen(base) - strlen(".sealed")
			    : NULL;

	if (dot != NULL)
		*dot = '\0';
	*ad = g_strdup(base);
}

/* Whether sealed opens: a sealed copy a crash may have left torn. */
static gboolean
sealed_whole(const struct vault *v, const char *sealed)
{
	GBytes *b = NULL;
	struct err e = { 0 };

	if (people_open_file(v, sealed, &b, &e) != ST_OK)
		return FALSE;
	g_bytes_unref(b);
	return TRUE;
}

/*
 * Writes path + ".sealed" (not synced: the caller syncs).  *wrote is
 * FALSE when there was nothing to write: a whole sealed copy was there
 * already.
 */
static enum status
seal_write(const struct vault *v, const char *path, gboolean *wrote,
	   struct err *err)
{
	g_autofree char *sealed = g_strconcat(path, ".sealed", NULL);
	g_autofree char *data = NULL, *ad = NULL;
	g_autoptr(GByteArray) out = NULL;
	g_autoptr(GError) gerr = NULL;
	guint8 nonce[crypto_aead_xchacha20poly1305_ietf_NPUBBYTES];
	unsigned long long clen = 0;
	gsize len = 0;
	guint8 *c;

	*wrote = FALSE;
	if (access(sealed, F_OK) == 0 && sealed_whole(v, sealed))
		return ST_OK;
	if (!g_file_get_contents(path, &data, &len, &gerr))
		return err_set(err, ST_TEMP, "cannot seal: %s", gerr->message);
	file_ad(path, &ad);
	randombytes_buf(nonce, sizeof nonce);
	out = g_byte_array_sized_new(strlen(SEAL_MAGIC) + 16 + sizeof nonce +
				     len +
				     crypto_aead_xchacha20poly1305_ietf_ABYTES);
	g_byte_array_append(out, (const guint8 *)SEAL_MAGIC,
			    strlen(SEAL_MAGIC));
	g_byte_array_append(out, (const guint8 *)v->id, 16);
	g_byte_array_append(out, nonce, sizeof nonce);
	c = g_malloc(len + crypto_aead_xchacha20poly1305_ietf_ABYTES);
	crypto_aead_xchacha20poly1305_ietf_encrypt(
		c, &clen, (const guchar *)data, len, (const guchar *)ad,
		strlen(ad), NULL, nonce, v->key);
	g_byte_array_append(out, c, (guint)clen);
	g_free(c);
	sodium_memzero(data, len);
	/* Written in place: a copy torn by a crash does not open, and is
	 * written again while the clear letter is still there. */
	if (!g_file_set_contents_full(sealed, (const char *)out->data,
				      out->len, G_FILE_SET_CONTENTS_NONE, 0600,
				      &gerr))
		return err_set(err, ST_TEMP, "cannot seal: %s", gerr->message);
	*wrote = TRUE;
	return ST_OK;
}

/* Makes everything written so far under dir durable, in one call. */
static enum status
sync_all(const char *dir, struct err *err)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc;

	if (fd < 0)
		return err_sys(err, ST_TEMP, "cannot open %s", dir);
	rc = syncfs(fd);
	close(fd);
	return rc == 0 ? ST_OK : err_sys(err, ST_TEMP, "cannot sync %s", dir);
}

enum status
people_seal_file(const struct vault *v, const char *path, struct err *err)
{
	g_autofree char *dir = g_path_get_dirname(path);
	gboolean wrote;
	enum status st = seal_write(v, path, &wrote, err);

	if (st == ST_OK)
		st = sync_all(dir, err);
	if (st == ST_OK && unlink(path) != 0 && errno != ENOENT)
		st = err_sys(err, ST_TEMP, "cannot remove %s", path);
	return st;
}

enum status
people_open_file(const struct vault *v, const char *sealed, GBytes **out,
		 struct err *err)
{
	g_autofree char *data = NULL, *ad = NULL;
	g_autoptr(GError) gerr = NULL;
	gsize len = 0, head = strlen(SEAL_MAGIC) + 16 +
			      crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
	unsigned long long plen = 0;
	guint8 *plain;

	if (!g_file_get_contents(sealed, &data, &len, &gerr))
		return err_set(err, ST_FATAL, "%s", gerr->message);
	if (len < head + crypto_aead_xchacha20poly1305_ietf_ABYTES ||
	    memcmp(data, SEAL_MAGIC, strlen(SEAL_MAGIC)) != 0)
		return err_set(err, ST_FATAL, "%s is not a sealed letter",
			       sealed);
	if (memcmp(data + strlen(SEAL_MAGIC), v->id, 16) != 0)
		return err_set(err, ST_FATAL, "%s was sealed with another key",
			       sealed);
	file_ad(sealed, &ad);
	plain = g_malloc(len);
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(
		    plain, &plen, NULL, (const guchar *)data + head, len - head,
		    (const guchar *)ad, strlen(ad),
		    (const guchar *)data + head -
			    crypto_aead_xchacha20poly1305_ietf_NPUBBYTES,
		    v->key) != 0) {
		g_free(plain);
		return err_set(err, ST_FATAL, "%s does not open: altered or "
			       "renamed", sealed);
	}
	*out = g_bytes_new_take(plain, (gsize)plen);
	return ST_OK;
}

/*
 * In two passes, so that a batch costs two syncs, not two per letter:
 * write every sealed copy, sync the file system once, then remove the
 * clear letters and sync again; then one transaction records them all.
 * A crash in between leaves clear letters with their sealed copies,
 * which the next sweep checks and finishes.
 */
enum status
people_seal_letters(struct store *s, const struct vault *v,
		    people_path_fn path, gpointer data, guint *sealed,
		    struct err *err)
{
	g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GPtrArray) done = g_ptr_array_new();
	g_autoptr(GPtrArray) clear = g_ptr_array_new_with_free_func(g_free);
	g_autofree char *at = NULL, *dir = NULL;
	g_autoptr(GDateTime) now = twtime_now();
	enum status st;

	*sealed = 0;
	at = twtime_iso(now);
	st = store_query(s, err, store_read_texts, names,
			 "SELECT spool_name FROM arrivals WHERE sealed_at IS "
			 "NULL", "");
	for (guint i = 0; st == ST_OK && i < names->len; i++) {
		char *p = path(names->pdata[i], data);
		gboolean wrote = FALSE;

		if (p == NULL)
			continue;	/* not done with yet: next time */
		if (dir == NULL)
			dir = g_path_get_dirname(p);
		if (access(p, F_OK) == 0) {
			st = seal_write(v, p, &wrote, err);
			g_ptr_array_add(clear, p);
			(*sealed)++;
		} else {
			/* Gone (erased, or sealed before a crash). */
			g_free(p);
		}
		g_ptr_array_add(done, names->pdata[i]);
	}
	if (st == ST_OK && clear->len > 0)
		st = sync_all(dir, err);
	for (guint i = 0; st == ST_OK && i < clear->len; i++)
		if (unlink(clear->pdata[i]) != 0 && errno != ENOENT)
			st = err_sys(err, ST_TEMP, "cannot remove a letter");
	if (st == ST_OK && clear->len > 0)
		st = sync_all(dir, err);
	if (st == ST_OK && done->len > 0)
		st = store_begin(s, err);
	for (guint i = 0; st == ST_OK && i < done->len; i++)
		st = store_run(s, err, "UPDATE arrivals SET sealed_at = ? "
				       "WHERE spool_name = ?", "tt", at,
			       (const char *)done->pdata[i]);
	if (done->len > 0) {
		st = store_end(s, st, err);
	}
	return st;
}

enum status
people_read_letter(struct spool *sp, const struct vault *v, const char *name,
		   GBytes **out, struct err *err)
{
	g_autofree char *path = spool_path(sp, name);
	g_autofree char *sealed = g_strconcat(path, ".sealed", NULL);

	if (access(path, F_OK) == 0 || access(sealed, F_OK) != 0)
		return spool_read(sp, name, G_MAXSIZE, out, err);
	if (v == NULL)
		return err_set(err, ST_FATAL, "%s is sealed and no data key "
			       "is at hand", name);
	return people_open_file(v, sealed, out, err);
}
