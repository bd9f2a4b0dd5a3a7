/*
 * Backups of a state directory and their restore (backup.h).  The
 * database is copied with SQLite's online backup, the spool file by
 * file; the keys are never read here beyond their fingerprints
 * (statedir.h), and never copied.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backup.h"
#include "spool.h"
#include "statedir.h"
#include "twtime.h"

#define DB_NAME "lamplight.db"
#define ID_NAME "database-id"
#define MANIFEST_NAME "manifest"
#define MANIFEST_MAGIC "lamplight-backup 1"
/* Passes over the spool while a run moves letters under our feet. */
#define SPOOL_PASSES 8

void
backup_manifest_clear(struct backup_manifest *m)
{
	if (m == NULL)
		return;
	g_free(m->made);
	g_free(m->version);
	g_free(m->database_id);
	memset(m, 0, sizeof *m);
}

/* The real path of p, which may not exist yet (its parent must). */
static char *
real_path(const char *p)
{
	g_autofree char *parent = NULL, *base = NULL;
	char buf[PATH_MAX];

	if (realpath(p, buf) != NULL)
		return g_strdup(buf);
	parent = g_path_get_dirname(p);
	base = g_path_get_basename(p);
	if (realpath(parent, buf) == NULL)
		return NULL;
	return g_build_filename(buf, base, NULL);
}

/* Whether dir holds nothing but the names in keep (NULL-terminated);
 * a missing dir is empty. */
static enum status
dir_empty_but(const char *dir, const char *const *keep, gboolean *empty,
	      struct err *err)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	*empty = TRUE;
	if (d == NULL) {
		if (errno == ENOENT)
			return ST_OK;
		return err_sys(err, ST_FATAL, "cannot read %s", dir);
	}
	while (*empty && (e = readdir(d)) != NULL) {
		g_autofree char *p = NULL;

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		p = g_build_filename(dir, e->d_name, NULL);
		*empty = FALSE;
		for (int i = 0; keep != NULL && keep[i] != NULL; i++)
			if (strcmp(p, keep[i]) == 0)
				*empty = TRUE;
	}
	closedir(d);
	return ST_OK;
}

enum status
backup_target_check(const struct config *cfg, const char *dir,
		    struct err *err)
{
	g_autofree char *state = real_path(cfg->state_dir);
	g_autofree char *target = real_path(dir);
	gboolean empty;
	enum status st;

	if (target == NULL)
		return err_sys(err, ST_FATAL, "cannot reach %s", dir);
	if (state != NULL &&
	    (strcmp(state, target) == 0 ||
	     (g_str_has_prefix(target, state) &&
	      target[strlen(state)] == '/')))
		return err_set(err, ST_FATAL, "%s is inside the state "
			       "directory %s: a backup goes elsewhere", dir,
			       cfg->state_dir);
	st = dir_empty_but(target, NULL, &empty, err);
	if (st == ST_OK && !empty)
		st = err_set(err, ST_FATAL, "%s is not empty: give each "
			     "backup a new directory (e.g. one named by the "
			     "date)", dir);
	return st;
}

/* fsyncs the file or directory at path. */
static enum status
sync_path(const char *path, struct err *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	enum status st = ST_OK;

	if (fd < 0)
		return err_io(err, ST_TEMP, "cannot open %s", path);
	if (fsync(fd) != 0)
		st = err_io(err, ST_TEMP, "cannot sync %s", path);
	close(fd);
	return st;
}

/*
 * Copies the file from to a new file to (mode 0600), synced.  *gone is
 * TRUE, and nothing is made, when from is not there (moved meanwhile).
 */
static enum status
copy_file(const char *from, const char *to, gboolean *gone, struct err *err)
{
	char buf[65536];
	enum status st = ST_OK;
	int in, out;
	ssize_t n;

	*gone = FALSE;
	in = open(from, O_RDONLY | O_CLOEXEC);
	if (in < 0) {
		if (errno == ENOENT) {
			*gone = TRUE;
			return ST_OK;
		}
		return err_io(err, ST_TEMP, "cannot read %s", from);
	}
	out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (out < 0) {
		close(in);
		return err_io(err, ST_TEMP, "cannot create %s", to);
	}
	while (st == ST_OK && (n = read(in, buf, sizeof buf)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			st = err_io(err, ST_TEMP, "cannot read %s", from);
		else if (write(out, buf, (size_t)n) != n)
			st = err_io(err, ST_TEMP, "cannot write %s", to);
	}
	if (st == ST_OK && fsync(out) != 0)
		st = err_io(err, ST_TEMP, "cannot sync %s", to);
	if (close(out) != 0 && st == ST_OK)
		st = err_io(err, ST_TEMP, "cannot write %s", to);
	close(in);
	if (st != ST_OK)
		unlink(to);
	return st;
}

/*
 * The online backup of s into the new file path, in one step: the
 * pages are read in one read transaction, so the copy is the database
 * as one commit left it, whatever a run writes meanwhile (WAL: the run
 * is not held up).  A writer that locks the source out is waited for.
 */
static enum status
db_snapshot(struct store *s, const char *path, struct err *err)
{
	sqlite3 *dst = NULL;
	sqlite3_backup *b;
	enum status st = ST_OK;
	int rc, tries = 0;

	rc = sqlite3_open_v2(path, &dst, SQLITE_OPEN_READWRITE |
			     SQLITE_OPEN_CREATE | SQLITE_OPEN_EXCLUSIVE, NULL);
	if (rc != SQLITE_OK) {
		st = err_set(err, ST_TEMP, "cannot create %s: %s", path,
			     dst != NULL ? sqlite3_errmsg(dst) : "no memory");
		sqlite3_close(dst);
		return st;
	}
	b = sqlite3_backup_init(dst, "main", store_sqlite(s), "main");
	if (b == NULL) {
		st = err_set(err, ST_TEMP, "cannot back up the database: %s",
			     sqlite3_errmsg(dst));
		sqlite3_close(dst);
		return st;
	}
	do {
		rc = sqlite3_backup_step(b, -1);
		if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
			sqlite3_sleep(100);
	} while ((rc == SQLITE_BUSY || rc == SQLITE_LOCKED) && ++tries < 300);
	sqlite3_backup_finish(b);
	if (rc != SQLITE_DONE)
		st = err_set(err, ST_TEMP, "cannot back up the database: %s",
			     sqlite3_errstr(rc));
	if (sqlite3_close(dst) != SQLITE_OK && st == ST_OK)
		st = err_set(err, ST_TEMP, "cannot close %s", path);
	if (st == ST_OK)
		st = sync_path(path, err);
	return st;
}

static gint64
count_of(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *q = NULL;
	gint64 n = -1;

	if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) == SQLITE_OK &&
	    sqlite3_step(q) == SQLITE_ROW)
		n = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	return n;
}

static char *
text_of(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *q = NULL;
	char *v = NULL;

	if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) == SQLITE_OK &&
	    sqlite3_step(q) == SQLITE_ROW &&
	    sqlite3_column_text(q, 0) != NULL)
		v = g_strdup((const char *)sqlite3_column_text(q, 0));
	sqlite3_finalize(q);
	return v;
}

static void
fp_of(sqlite3 *db, const char *sql, char fp[17])
{
	g_autofree char *v = text_of(db, sql);

	g_strlcpy(fp, v != NULL ? v : "", 17);
}

/* The facts of the snapshot at path into m, and the spool names it
 * refers to into names (new strings). */
static enum status
snapshot_facts(const char *path, struct backup_manifest *m,
	       GPtrArray *names, struct err *err)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *q = NULL;
	enum status st = ST_OK;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) !=
	    SQLITE_OK) {
		st = err_set(err, ST_TEMP, "cannot open the copy %s", path);
		sqlite3_close(db);
		return st;
	}
	m->schema = (int)count_of(db, "PRAGMA user_version");
	m->database_id = text_of(db, "SELECT value FROM meta "
				 "WHERE name = 'database_id'");
	fp_of(db, "SELECT value FROM meta WHERE name = 'token_key'",
	      m->token_key);
	fp_of(db, "SELECT value FROM meta WHERE name = 'data_key'",
	      m->data_key);
	m->cases = count_of(db, "SELECT count(*) FROM cases");
	m->arrivals = count_of(db, "SELECT count(*) FROM arrivals");
	m->outbox = count_of(db, "SELECT count(*) FROM outbox");
	if (sqlite3_prepare_v2(db, "SELECT spool_name FROM arrivals UNION "
			       "SELECT spool_name FROM fetched", -1, &q,
			       NULL) != SQLITE_OK)
		st = err_set(err, ST_FATAL, "the copy %s: %s", path,
			     sqlite3_errmsg(db));
	while (st == ST_OK && sqlite3_step(q) == SQLITE_ROW)
		g_ptr_array_add(names, g_strdup((const char *)
						sqlite3_column_text(q, 0)));
	sqlite3_finalize(q);
	sqlite3_close(db);
	if (st == ST_OK && (m->cases < 0 || m->database_id == NULL))
		st = err_set(err, ST_FATAL, "the copy %s has no cases table "
			     "or no identity", path);
	return st;
}

/* What copying the spool needs: the live spool and the copy, and what
 * was copied already ("new/NAME"). */
struct spool_copy {
	const char *live;	/* STATE/spool */
	const char *to;		/* DIR/spool */
	GHashTable *done;
	guint files;
};

/* Copies sub/name (sub: "new" or "cur") unless it was; *gone as
 * copy_file(). */
static enum status
copy_one(struct spool_copy *c, const char *sub, const char *name,
	 gboolean *gone, struct err *err)
{
	g_autofree char *rel = g_build_filename(sub, name, NULL);
	g_autofree char *from = NULL, *to = NULL;
	enum status st;

	*gone = FALSE;
	if (g_hash_table_contains(c->done, rel))
		return ST_OK;
	from = g_build_filename(c->live, rel, NULL);
	to = g_build_filename(c->to, rel, NULL);
	st = copy_file(from, to, gone, err);
	if (st == ST_OK && !*gone) {
		g_hash_table_add(c->done, g_steal_pointer(&rel));
		c->files++;
	}
	return st;
}

/* One pass over new/ then cur/; *moved if a file went meanwhile. */
static enum status
spool_pass(struct spool_copy *c, gboolean *moved, struct err *err)
{
	static const char *const subs[] = { "new", "cur" };
	enum status st = ST_OK;

	*moved = FALSE;
	for (int i = 0; st == ST_OK && i < 2; i++) {
		g_autofree char *d = g_build_filename(c->live, subs[i], NULL);
		DIR *dir = opendir(d);
		struct dirent *e;

		if (dir == NULL)
			return err_io(err, ST_TEMP, "cannot read %s", d);
		while (st == ST_OK && (e = readdir(dir)) != NULL) {
			gboolean gone;

			if (e->d_name[0] == '.')
				continue;
			st = copy_one(c, subs[i], e->d_name, &gone, err);
			*moved = *moved || gone;
		}
		closedir(dir);
	}
	return st;
}

/* Whether name is in spool sp, in the clear or sealed. */
static gboolean
has_letter(struct spool *sp, const char *name)
{
	g_autofree char *p = spool_path(sp, name);
	g_autofree char *sealed = g_strconcat(p, ".sealed", NULL);

	return access(p, F_OK) == 0 || access(sealed, F_OK) == 0;
}

/* A letter the snapshot names that the passes missed (a move and a seal
 * between two listings): fetched from wherever it is now.  *found is
 * FALSE if the live spool has it in no form: it was gone already. */
static enum status
fetch_missed(struct spool_copy *c, struct spool *live, const char *name,
	     gboolean *found, struct err *err)
{
	enum status st = ST_OK;

	*found = FALSE;
	for (int i = 0; st == ST_OK && !*found && i < 3; i++) {
		g_autofree char *p = spool_path(live, name);
		g_autofree char *dir = g_path_get_dirname(p);
		g_autofree char *sub = g_path_get_basename(dir);
		g_autofree char *base = g_path_get_basename(p);
		g_autofree char *sealed = g_strconcat(base, ".sealed", NULL);
		gboolean gone;

		st = copy_one(c, sub, base, &gone, err);
		if (st == ST_OK && gone)
			st = copy_one(c, sub, sealed, &gone, err);
		*found = st == ST_OK && !gone;
	}
	return st;
}

/*
 * The spool is copied after the database's snapshot.  A letter is in the
 * spool (new/, durably) before the database records it, and stays there,
 * moved to cur/ and sealed (cur/NAME.sealed written before NAME goes),
 * until retention erases it: so every letter the snapshot names is in the
 * live spool afterwards, in one of these forms.  Passes over new/ then
 * cur/ follow a letter that moves meanwhile; then each letter the
 * snapshot names is looked for in the copy, and fetched if a move slipped
 * between two listings.  Files newer than the snapshot come along: a
 * restored run files what it finds in new/ (a no-op for a letter filed
 * already), and two forms of one letter are what a crash may leave too.
 */
static enum status
spool_copy(const char *state_dir, const char *dir, GPtrArray *names,
	   struct backup_manifest *m, struct err *err)
{
	g_autofree char *live_dir = g_build_filename(state_dir, "spool",
						     NULL);
	g_autofree char *to = g_build_filename(dir, "spool", NULL);
	struct spool_copy c = { live_dir, to, NULL, 0 };
	struct spool *live = NULL, *copy = NULL;
	gboolean moved = TRUE;
	enum status st;

	c.done = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	st = spool_open(live_dir, &live, err);
	if (st == ST_OK)
		st = spool_open(to, &copy, err);
	for (int i = 0; st == ST_OK && moved && i < SPOOL_PASSES; i++)
		st = spool_pass(&c, &moved, err);
	for (guint i = 0; st == ST_OK && i < names->len; i++) {
		gboolean found;

		if (has_letter(copy, names->pdata[i]))
			continue;
		st = fetch_missed(&c, live, names->pdata[i], &found, err);
		if (st == ST_OK && !found)
			m->absent++;
	}
	m->files = c.files;
	spool_close(live);
	spool_close(copy);
	g_hash_table_destroy(c.done);
	return st;
}

static enum status
manifest_write(const char *dir, const struct backup_manifest *m,
	       struct err *err)
{
	g_autofree char *path = g_build_filename(dir, MANIFEST_NAME, NULL);
	g_autofree char *text = g_strdup_printf(
		MANIFEST_MAGIC "\n"
		"made %s\nversion %s\nschema %d\ndatabase_id %s\n"
		"token_key %s\ndata_key %s\ncases %" G_GINT64_FORMAT "\n"
		"arrivals %" G_GINT64_FORMAT "\noutbox %" G_GINT64_FORMAT "\n"
		"files %u\nabsent %u\n",
		m->made, m->version, m->schema, m->database_id, m->token_key,
		m->data_key, m->cases, m->arrivals, m->outbox, m->files,
		m->absent);

	return file_write_durable(path, text, strlen(text), err);
}

enum status
backup_make(const struct config *cfg, struct store *s, const char *dir,
	    struct backup_manifest *m, struct err *err)
{
	g_autofree char *db = g_build_filename(dir, DB_NAME, NULL);
	g_autofree char *id_from = g_build_filename(cfg->state_dir, ID_NAME,
						    NULL);
	g_autofree char *id_to = g_build_filename(dir, ID_NAME, NULL);
	g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GDateTime) now = twtime_now();
	gboolean gone = FALSE;
	enum status st;

	memset(m, 0, sizeof *m);
	st = backup_target_check(cfg, dir, err);
	if (st != ST_OK)
		return st;
	if (g_mkdir_with_parents(dir, 0700) != 0 || chmod(dir, 0700) != 0)
		return err_io(err, ST_TEMP, "cannot create %s", dir);
	m->made = twtime_iso(now);
	m->version = g_strdup(LAMPLIGHT_VERSION);
	/* The database first, the spool after it (spool_copy()). */
	st = db_snapshot(s, db, err);
	if (st == ST_OK)
		st = snapshot_facts(db, m, names, err);
	if (st == ST_OK)
		st = spool_copy(cfg->state_dir, dir, names, m, err);
	if (st == ST_OK)
		st = copy_file(id_from, id_to, &gone, err);
	if (st == ST_OK && gone)
		st = err_setup(err, "%s is missing", id_from);
	/* The manifest last: a directory without one is no backup. */
	if (st == ST_OK)
		st = manifest_write(dir, m, err);
	if (st == ST_OK)
		st = sync_path(dir, err);
	return st;
}

enum status
backup_manifest_read(const char *dir, struct backup_manifest *m,
		     struct err *err)
{
	g_autofree char *path = g_build_filename(dir, MANIFEST_NAME, NULL);
	g_autofree char *text = NULL;
	g_auto(GStrv) lines = NULL;

	memset(m, 0, sizeof *m);
	if (!g_file_get_contents(path, &text, NULL, NULL) ||
	    !g_str_has_prefix(text, MANIFEST_MAGIC "\n"))
		return err_setup(err, "%s is not a lamplight backup (no "
				 "manifest %s)", dir, path);
	lines = g_strsplit(text, "\n", -1);
	for (int i = 1; lines[i] != NULL; i++) {
		char *v = strchr(lines[i], ' ');
		const char *k = lines[i];

		if (v == NULL)
			continue;
		*v++ = '\0';
		if (strcmp(k, "made") == 0)
			m->made = g_strdup(v);
		else if (strcmp(k, "version") == 0)
			m->version = g_strdup(v);
		else if (strcmp(k, "schema") == 0)
			m->schema = atoi(v);
		else if (strcmp(k, "database_id") == 0)
			m->database_id = g_strdup(v);
		else if (strcmp(k, "token_key") == 0)
			g_strlcpy(m->token_key, v, sizeof m->token_key);
		else if (strcmp(k, "data_key") == 0)
			g_strlcpy(m->data_key, v, sizeof m->data_key);
		else if (strcmp(k, "cases") == 0)
			m->cases = g_ascii_strtoll(v, NULL, 10);
		else if (strcmp(k, "arrivals") == 0)
			m->arrivals = g_ascii_strtoll(v, NULL, 10);
		else if (strcmp(k, "outbox") == 0)
			m->outbox = g_ascii_strtoll(v, NULL, 10);
		else if (strcmp(k, "files") == 0)
			m->files = (guint)g_ascii_strtoull(v, NULL, 10);
		else if (strcmp(k, "absent") == 0)
			m->absent = (guint)g_ascii_strtoull(v, NULL, 10);
	}
	if (m->database_id == NULL || m->data_key[0] == '\0')
		return err_setup(err, "the manifest %s is incomplete", path);
	if (m->schema > store_schema_version())
		return err_setup(err, "%s is of schema %d, newer than this "
				 "lamplight's %d: restore it with lamplight "
				 "%s or later", dir, m->schema,
				 store_schema_version(), m->version);
	return ST_OK;
}

/* The configured keys are the backup's. */
static enum status
keys_match(const struct config *cfg, const char *dir,
	   const struct backup_manifest *m, struct err *err)
{
	char token[17], data[17];
	g_autofree char *why = NULL;
	enum status st = statedir_key_fingerprints(cfg, token, data, err);

	if (st != ST_OK) {
		why = g_strdup(err->msg);
		return err_setup(err, "%s: the backup in %s (data key %s) "
				 "is useless without its keys: copy them "
				 "from where the secrets are kept, then "
				 "restore", why, dir, m->data_key);
	}
	if (strcmp(data, m->data_key) != 0)
		return err_setup(err, "the data key %s (%s) is not the key "
				 "of the backup in %s (%s): without its own "
				 "data key nothing in it can be read",
				 cfg->data_key_file, data, dir, m->data_key);
	if (strcmp(token, m->token_key) != 0)
		return err_setup(err, "the token key %s (%s) is not the key "
				 "of the backup in %s (%s): put its own key "
				 "back", cfg->token_key_file, token, dir,
				 m->token_key);
	return ST_OK;
}

/* Copies the backup's spool sub/ into to/sub (made 0700). */
static enum status
restore_spool_dir(const char *from, const char *to, const char *sub,
		  struct err *err)
{
	g_autofree char *fd = g_build_filename(from, "spool", sub, NULL);
	g_autofree char *td = g_build_filename(to, "spool", sub, NULL);
	enum status st = ST_OK;
	struct dirent *e;
	DIR *d;

	if (g_mkdir_with_parents(td, 0700) != 0)
		return err_io(err, ST_TEMP, "cannot create %s", td);
	d = opendir(fd);
	if (d == NULL)
		return errno == ENOENT
			       ? ST_OK
			       : err_io(err, ST_TEMP, "cannot read %s", fd);
	while (st == ST_OK && (e = readdir(d)) != NULL) {
		g_autofree char *f = NULL, *t = NULL;
		gboolean gone;

		if (e->d_name[0] == '.')
			continue;
		f = g_build_filename(fd, e->d_name, NULL);
		t = g_build_filename(td, e->d_name, NULL);
		st = copy_file(f, t, &gone, err);
	}
	closedir(d);
	if (st == ST_OK)
		st = sync_path(td, err);
	return st;
}

/* Copies what the backup holds into the new directory to. */
static enum status
restore_into(const char *dir, const char *to, struct err *err)
{
	static const char *const files[] = { DB_NAME, ID_NAME };
	static const char *const subs[] = { "tmp", "new", "cur" };
	enum status st = ST_OK;

	for (int i = 0; st == ST_OK && i < 3; i++)
		st = restore_spool_dir(dir, to, subs[i], err);
	for (int i = 0; st == ST_OK && i < 2; i++) {
		g_autofree char *f = g_build_filename(dir, files[i], NULL);
		g_autofree char *t = g_build_filename(to, files[i], NULL);
		gboolean gone;

		st = copy_file(f, t, &gone, err);
		if (st == ST_OK && gone)
			st = err_setup(err, "the backup %s has no %s", dir,
				       files[i]);
	}
	return st;
}

/* Moves name from the directory from into to. */
static enum status
move_in(const char *from, const char *to, const char *name,
	struct err *err)
{
	g_autofree char *f = g_build_filename(from, name, NULL);
	g_autofree char *t = g_build_filename(to, name, NULL);

	if (rename(f, t) != 0)
		return err_io(err, ST_TEMP, "cannot move %s into %s", f, to);
	return ST_OK;
}


/* nftw(): removes each entry, the deepest first. */
static int
remove_entry(const char *path, const struct stat *sb, int flag,
	     struct FTW *ftw)
{
	return remove(path) != 0 ? -1 : 0;
}

/*
 * A restore that failed leaves the state directory as it found it
 * (empty but for the keys): what it moved in, and its staging
 * directory, are removed, so that the next attempt is not refused.
 */
static void
undo_restore(const char *state_dir, const char *staging)
{
	static const char *const moved[] = { "spool", DB_NAME, ID_NAME };

	for (size_t i = 0; i < G_N_ELEMENTS(moved); i++) {
		g_autofree char *p = g_build_filename(state_dir, moved[i],
						      NULL);

		nftw(p, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	}
	nftw(staging, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

enum status
backup_restore(const struct config *cfg, const char *dir,
	       struct backup_manifest *m, struct err *err)
{
	const char *keep[] = { cfg->token_key_file, cfg->data_key_file, NULL };
	g_autofree char *staging = NULL;
	gboolean empty;
	enum status st;

	st = backup_manifest_read(dir, m, err);
	if (st == ST_OK)
		st = keys_match(cfg, dir, m, err);
	/* The keys may live in the state directory (their default): only
	 * they may be there already. */
	if (st == ST_OK)
		st = dir_empty_but(cfg->state_dir, keep, &empty, err);
	if (st == ST_OK && !empty)
		st = err_setup(err, "%s holds something already: a backup is "
			       "restored only into an empty or missing state "
			       "directory, never over one in use; nothing "
			       "was changed", cfg->state_dir);
	if (st != ST_OK)
		return st;
	if (g_mkdir_with_parents(cfg->state_dir, 0700) != 0 ||
	    chmod(cfg->state_dir, 0700) != 0)
		return err_io(err, ST_TEMP, "cannot create %s",
			      cfg->state_dir);
	/* Built aside in the state directory, then moved in: the database
	 * and its identity last, so that a crash leaves no database with
	 * half a spool. */
	staging = g_build_filename(cfg->state_dir, ".restore-XXXXXX", NULL);
	if (g_mkdtemp_full(staging, 0700) == NULL)
		return err_io(err, ST_TEMP, "cannot create %s", staging);
	st = restore_into(dir, staging, err);
	if (st == ST_OK)
		st = move_in(staging, cfg->state_dir, "spool", err);
	if (st == ST_OK)
		st = move_in(staging, cfg->state_dir, DB_NAME, err);
	if (st == ST_OK)
		st = move_in(staging, cfg->state_dir, ID_NAME, err);
	if (st == ST_OK && rmdir(staging) != 0)
		st = err_io(err, ST_TEMP, "cannot remove %s", staging);
	if (st == ST_OK)
		st = sync_path(cfg->state_dir, err);
	if (st != ST_OK)
		undo_restore(cfg->state_dir, staging);
	return st;
}
