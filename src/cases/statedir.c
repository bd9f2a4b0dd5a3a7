/*
 * The identity of a state directory's database (statedir.h).  The
 * database file and database-id are checked before anything is written:
 * an opening that finds something wrong changes nothing.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "keyfile.h"
#include "log.h"
#include "outbox.h"
#include "people.h"
#include "spool.h"
#include "statedir.h"
#include "token.h"
#include "twtime.h"

#define DB_NAME "lamplight.db"
#define ID_NAME "database-id"
#define ID_HEX 32
/* The meta mark of the sealed columns: raised when one joins them. */
#define SEALED_COLUMNS_MARK "2"

/* The keys a database goes with: what names them, where, how long. */
struct key {
	const char *what;	/* "token key" */
	const char *meta;	/* its fingerprint's name in meta */
	const char *path;
	gsize n;
};

static void
keys_of(const struct config *cfg, struct key k[2])
{
	k[0] = (struct key){ "token key", "token_key", cfg->token_key_file,
			     TOKEN_KEY_BYTES };
	k[1] = (struct key){ "data key", "data_key", cfg->data_key_file,
			     VAULT_KEY_BYTES };
}

/* The fingerprint of the key file k into fp (with create, made first if
 * missing); ST_OK only if it reads. */
static enum status
fingerprint(const struct key *k, gboolean create, char fp[17],
	    struct err *err)
{
	guint8 key[32];
	enum status st;

	g_assert(k->n <= sizeof key);
	st = keyfile_load(k->path, create, key, k->n, k->what, err);
	if (st == ST_OK)
		keyfile_fingerprint(key, k->n, fp);
	memset(key, 0, sizeof key);
	return st;
}

/* The identity written in the state directory, or NULL if none. */
static char *
id_file_read(const char *dir)
{
	g_autofree char *path = g_build_filename(dir, ID_NAME, NULL);
	char *text = NULL;

	if (!g_file_get_contents(path, &text, NULL, NULL))
		return NULL;
	return g_strstrip(text);
}

static enum status
id_file_write(const char *dir, const char *id, struct err *err)
{
	g_autofree char *path = g_build_filename(dir, ID_NAME, NULL);
	g_autofree char *text = g_strconcat(id, "\n", NULL);

	return file_write_durable(path, text, strlen(text), err);
}

static char *
meta_get(struct store *s, const char *name)
{
	char *v = NULL;

	if (store_query(s, NULL, store_read_text, &v,
			"SELECT value FROM meta WHERE name = ?", "t",
			name) != ST_OK)
		return NULL;
	return v;
}

char *
statedir_database_id(struct store *s)
{
	return meta_get(s, "database_id");
}

static enum status
meta_set(struct store *s, const char *name, const char *value,
	 struct err *err)
{
	return store_run(s, err, "INSERT OR REPLACE INTO meta (name, value) "
			 "VALUES (?, ?)", "tt", name, value);
}

static char *
new_id(void)
{
	guint8 raw[ID_HEX / 2];
	GString *hex = g_string_sized_new(ID_HEX);

	if (getrandom(raw, sizeof raw, 0) != (ssize_t)sizeof raw)
		g_error("getrandom: %s", g_strerror(errno));
	for (size_t i = 0; i < sizeof raw; i++)
		g_string_append_printf(hex, "%02x", raw[i]);
	return g_string_free(hex, FALSE);
}

typedef enum status once_fn(struct store *s, const struct vault *v,
			    struct err *err);

/* fn, once in the life of the database: in one transaction with the
 * meta mark name that says it is done. */
static enum status
once_in_its_life(struct store *s, const struct vault *v, const char *name,
		 once_fn *fn, struct err *err)
{
	g_autofree char *done = meta_get(s, name);
	enum status st;

	if (done != NULL)
		return ST_OK;
	st = store_begin(s, err);
	if (st == ST_OK)
		st = fn(s, v, err);
	if (st == ST_OK)
		st = meta_set(s, name, "1", err);
	st = store_end(s, st, err);
	return st;
}

static enum status
key_message_ids(struct store *s, const struct vault *v, struct err *err)
{
	return store_key_message_ids(s, err);
}

/*
 * The database's personal columns are sealed with the data key from now
 * on (store.h); what a version before sealing wrote in the clear is
 * sealed once.
 */
static enum status
seal_with_key(const struct config *cfg, struct store *s, struct err *err)
{
	g_autofree char *done = NULL;
	struct vault *v = NULL;
	guint n = 0;
	enum status st;

	st = vault_open(cfg->data_key_file, FALSE, &v, err);
	if (st != ST_OK)
		return st;
	vault_attach(v, s);
	/* Once: keyed twice, an id would not be found again. */
	st = once_in_its_life(s, v, "keyed_message_ids", key_message_ids,
			      err);
	/* Once: the cases filed before schema 9 get their person's hashes,
	 * so that a person coming back is known by them too. */
	if (st == ST_OK)
		st = once_in_its_life(s, v, "people_keys",
				      people_key_existing, err);
	if (st != ST_OK)
		return st;
	/* 2: cases.referrer_addr joined the sealed columns (schema 8);
	 * sealing again leaves what is sealed as it is. */
	done = meta_get(s, "sealed_columns");
	if (done != NULL && strcmp(done, SEALED_COLUMNS_MARK) == 0)
		return ST_OK;
	st = outbox_seal_existing(s, err);
	if (st == ST_OK)
		st = store_seal_existing(s, &n, err);
	if (st == ST_OK)
		st = meta_set(s, "sealed_columns", SEALED_COLUMNS_MARK, err);
	if (st == ST_OK && n > 0)
		log_info("sealed %u values written in the clear before", n);
	return st;
}

/* The end of opening s: sealed with the data key and given to *out;
 * closed on any failure (st, or the sealing's). */
static enum status
hand_over(const struct config *cfg, struct store *s, enum status st,
	  struct store **out, struct err *err)
{
	if (st == ST_OK)
		st = seal_with_key(cfg, s, err);
	if (st != ST_OK) {
		store_close(s);
		return st;
	}
	*out = s;
	return ST_OK;
}

/* Records the fingerprints of cfg's keys in s; with create, a key not
 * there yet is made first. */
static enum status
record_keys(const struct config *cfg, struct store *s, gboolean create,
	    struct err *err)
{
	struct key k[2];
	enum status st = ST_OK;

	keys_of(cfg, k);
	for (int i = 0; st == ST_OK && i < 2; i++) {
		char fp[17];

		st = fingerprint(&k[i], create, fp, err);
		if (st == ST_OK)
			st = meta_set(s, k[i].meta, fp, err);
	}
	return st;
}

/*
 * The end of an initialisation, in the database s that has its identity
 * id: the keys made (those not there yet) and their fingerprints
 * recorded, then the identity written beside the database.  A crash
 * anywhere here is finished by the next opening, which finds the
 * identity without fingerprints.
 */
static enum status
finish_init(const struct config *cfg, struct store *s, const char *id,
	    struct err *err)
{
	enum status st = record_keys(cfg, s, TRUE, err);

	if (st == ST_OK)
		st = id_file_write(cfg->state_dir, id, err);
	if (st == ST_OK)
		log_info("initialised %s: database %s", cfg->state_dir, id);
	return st;
}

/*
 * A state directory with neither database nor identity: made new.  Keys
 * found already belong to some other database (a state_dir that points
 * to the wrong place, a database emptied and its identity removed):
 * they are not taken over.
 */
static enum status
initialise(const struct config *cfg, const char *db, struct store **out,
	   struct err *err)
{
	struct key k[2];
	g_autofree char *id = new_id();
	struct store *s = NULL;
	enum status st;

	keys_of(cfg, k);
	for (int i = 0; i < 2; i++)
		if (access(k[i].path, F_OK) == 0)
			return err_setup(
				err, "%s holds no database, but the %s %s "
				"exists: it belongs to another database.  Is "
				"state_dir right?  To start a new database, "
				"move the old keys away first", cfg->state_dir,
				k[i].what, k[i].path);
	st = store_open(db, &s, err);
	if (st == ST_OK)
		st = meta_set(s, "database_id", id, err);
	if (st == ST_OK)
		st = finish_init(cfg, s, id, err);
	return hand_over(cfg, s, st, out, err);
}

/* The keys of cfg are those recorded in s (or, in a database from
 * before identities, recorded now). */
static enum status
keys_check(const struct config *cfg, struct store *s, const char *id,
	   struct err *err)
{
	struct key k[2];
	char fps[2][17];

	keys_of(cfg, k);
	for (int i = 0; i < 2; i++) {
		g_autofree char *want = meta_get(s, k[i].meta);

		if (access(k[i].path, F_OK) != 0)
			return err_setup(
				err, "the %s %s is missing; database %s was "
				"made with key %s: restore the key file from "
				"the backup of the secrets (a new key cannot "
				"read what the old one sealed)", k[i].what,
				k[i].path, id, want != NULL ? want : "?");
		if (fingerprint(&k[i], FALSE, fps[i], err) != ST_OK) {
			err->setup = TRUE;
			return ST_FATAL;
		}
		if (want != NULL && strcmp(want, fps[i]) != 0)
			return err_setup(
				err, "the %s %s (%s) is not the key of "
				"database %s (%s): put its own key back",
				k[i].what, k[i].path, fps[i], id, want);
	}
	return ST_OK;
}

enum status
statedir_key_fingerprints(const struct config *cfg, char token_fp[17],
			  char data_fp[17], struct err *err)
{
	struct key k[2];
	char *fps[2] = { token_fp, data_fp };

	keys_of(cfg, k);
	for (int i = 0; i < 2; i++) {
		if (access(k[i].path, F_OK) != 0)
			return err_setup(err, "the %s %s is missing",
					 k[i].what, k[i].path);
		if (fingerprint(&k[i], FALSE, fps[i], err) != ST_OK) {
			err->setup = TRUE;
			return ST_FATAL;
		}
	}
	return ST_OK;
}

static gboolean
keys_recorded(struct store *s)
{
	g_autofree char *fp = meta_get(s, "data_key");

	return fp != NULL;
}

enum status
statedir_open(const struct config *cfg, gboolean init, struct store **out,
	      struct err *err)
{
	g_autofree char *db = g_build_filename(cfg->state_dir, DB_NAME, NULL);
	g_autofree char *was = id_file_read(cfg->state_dir);
	g_autofree char *id = NULL;
	struct store *s = NULL;
	struct stat sb;
	gboolean exists;
	enum status st;

	exists = stat(db, &sb) == 0;
	if (!exists || sb.st_size == 0) {
		if (was != NULL)
			return err_setup(
				err, "the database %s is %s, but %s held "
				"database %s: restore it (with its -wal file) "
				"from a backup; nothing was changed", db,
				exists ? "empty" : "missing", cfg->state_dir,
				was);
		if (!init)
			return err_setup(err, "%s holds no database yet: "
					 "`lamplight init` or a first run "
					 "makes it", cfg->state_dir);
		/* An empty file left by a crashed first run is no data. */
		if (exists && unlink(db) != 0)
			return err_sys(err, ST_FATAL, "cannot remove %s", db);
		return initialise(cfg, db, out, err);
	}
	st = store_open(db, &s, err);
	if (st != ST_OK)
		return st;
	id = statedir_database_id(s);
	if (id == NULL) {
		/* From before identities: given one now, with the keys it
		 * has been used with (never made here). */
		id = new_id();
		st = keys_check(cfg, s, id, err);
		if (st == ST_OK)
			st = meta_set(s, "database_id", id, err);
		if (st == ST_OK)
			st = record_keys(cfg, s, FALSE, err);
		if (st == ST_OK)
			log_info("%s: database given identity %s", db, id);
	} else if (was != NULL && strcmp(was, id) != 0) {
		st = err_setup(err, "%s holds database %s, but %s held "
			       "database %s: the database was replaced.  Put "
			       "the right one back (or remove %s/" ID_NAME
			       " if this one is meant to stay)", db, id,
			       cfg->state_dir, was, cfg->state_dir);
	} else if (!keys_recorded(s)) {
		/* An initialisation a crash cut short. */
		st = finish_init(cfg, s, id, err);
	} else {
		st = keys_check(cfg, s, id, err);
	}
	/* The directory's record, written again if it was lost. */
	if (st == ST_OK && (was == NULL || strcmp(was, id) != 0))
		st = id_file_write(cfg->state_dir, id, err);
	return hand_over(cfg, s, st, out, err);
}

#define RUN_NAME "last-run"

void
statedir_record_run(const struct config *cfg, int code, const char *why)
{
	g_autofree char *path = g_build_filename(cfg->state_dir, RUN_NAME,
						 NULL);
	g_autoptr(GDateTime) now = twtime_now();
	g_autofree char *at = twtime_iso(now);
	g_autofree char *words = g_strdup(why != NULL ? why : "");
	g_autofree char *text = NULL;
	g_autoptr(GError) gerr = NULL;
	struct stat sb;

	/* root refused in the service user's directory leaves nothing
	 * there (run.h). */
	if (geteuid() == 0 && stat(cfg->state_dir, &sb) == 0 &&
	    sb.st_uid != 0)
		return;
	/* One line of three fields. */
	g_strdelimit(words, "\t\r\n", ' ');
	text = g_strdup_printf("%d\t%s\t%s\n", code, at, words);
	if (!g_file_set_contents_full(path, text, -1,
				      G_FILE_SET_CONTENTS_CONSISTENT, 0600,
				      &gerr))
		log_warn("cannot record the run in %s: %s", path,
			 gerr->message);
}

gboolean
statedir_last_run(const struct config *cfg, struct statedir_run *out)
{
	g_autofree char *path = g_build_filename(cfg->state_dir, RUN_NAME,
						 NULL);
	g_autofree char *text = NULL;
	g_auto(GStrv) f = NULL;

	memset(out, 0, sizeof *out);
	if (!g_file_get_contents(path, &text, NULL, NULL))
		return FALSE;
	g_strchomp(text);
	f = g_strsplit(text, "\t", 3);
	if (g_strv_length(f) < 2)
		return FALSE;
	out->code = (int)g_ascii_strtoll(f[0], NULL, 10);
	out->at = g_strdup(f[1]);
	out->why = g_strdup(f[2] != NULL ? f[2] : "");
	return TRUE;
}

void
statedir_run_clear(struct statedir_run *r)
{
	g_free(r->at);
	g_free(r->why);
	memset(r, 0, sizeof *r);
}

enum status
statedir_check(const struct config *cfg, char **id, struct err *err)
{
	struct store *s = NULL;
	enum status st = statedir_open(cfg, FALSE, &s, err);

	if (st == ST_OK)
		*id = statedir_database_id(s);
	store_close(s);
	return st;
}
