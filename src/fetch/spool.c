/*
 * Maildir delivery done the careful way (qmail's maildir(5), Postfix's
 * local/maildir.c): O_EXCL in tmp/, fsync, check close(), rename into
 * new/, fsync the directory.  A crash at any line leaves either nothing
 * in new/ or a complete message; stray tmp/ files are swept on open.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "spool.h"

struct spool {
	char *dir;
	char *tmp, *new, *cur;
	gint seq;	/* atomic */
};

static enum status
fsync_dir(const char *dir, struct err *err)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return err_io(err, ST_TEMP, "cannot open '%s'", dir);
	if (fsync(fd) != 0) {
		err_io(err, ST_TEMP, "cannot sync '%s'", dir);
		close(fd);
		return err->status;
	}
	close(fd);
	return ST_OK;
}

static enum status
mkdir_p(const char *dir, struct err *err)
{
	if (g_mkdir_with_parents(dir, 0700) != 0)
		return err_io(err, ST_FATAL, "cannot create '%s'", dir);
	return ST_OK;
}

/* Files in tmp/ older than a day are leftovers of a crashed write. */
static void
sweep_tmp(struct spool *sp)
{
	DIR *d = opendir(sp->tmp);
	struct dirent *e;
	time_t now = time(NULL);

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		g_autofree char *p = NULL;
		struct stat st;

		if (e->d_name[0] == '.')
			continue;
		p = g_build_filename(sp->tmp, e->d_name, NULL);
		if (stat(p, &st) == 0 && now - st.st_mtime > 86400)
			unlink(p);
	}
	closedir(d);
}

enum status
spool_open(const char *dir, struct spool **out, struct err *err)
{
	struct spool *sp = g_new0(struct spool, 1);
	enum status st;

	sp->dir = g_strdup(dir);
	sp->tmp = g_build_filename(dir, "tmp", NULL);
	sp->new = g_build_filename(dir, "new", NULL);
	sp->cur = g_build_filename(dir, "cur", NULL);
	st = mkdir_p(sp->tmp, err);
	if (st == ST_OK)
		st = mkdir_p(sp->new, err);
	if (st == ST_OK)
		st = mkdir_p(sp->cur, err);
	if (st != ST_OK) {
		spool_close(sp);
		return st;
	}
	sweep_tmp(sp);
	*out = sp;
	return ST_OK;
}

void
spool_close(struct spool *sp)
{
	if (sp == NULL)
		return;
	g_free(sp->dir);
	g_free(sp->tmp);
	g_free(sp->new);
	g_free(sp->cur);
	g_free(sp);
}

static gboolean
source_valid(const char *s)
{
	if (*s == '\0' || strlen(s) > 32)
		return FALSE;
	for (; *s; s++)
		if (!g_ascii_islower(*s) && !g_ascii_isdigit(*s) && *s != '-')
			return FALSE;
	return TRUE;
}

static enum status
write_all(int fd, const char *path, const void *data, size_t len,
	  struct err *err)
{
	const char *p = data;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return err_io(err, ST_TEMP, "cannot write '%s'", path);
		p += n;
		len -= (size_t)n;
	}
	return ST_OK;
}

/* Writes into an open O_EXCL file, syncs if asked, closes; unlinks on
 * failure. */
static enum status
write_synced(int fd, const char *path, const void *data, size_t len,
	     gboolean sync, struct err *err)
{
	enum status st = write_all(fd, path, data, len, err);

	if (st == ST_OK && sync && fsync(fd) != 0)
		st = err_io(err, ST_TEMP, "cannot sync '%s'", path);
	/* close() can report a deferred write error (NFS, quota). */
	if (close(fd) != 0 && st == ST_OK)
		st = err_io(err, ST_TEMP, "cannot close '%s'", path);
	if (st != ST_OK)
		unlink(path);
	return st;
}

/*
 * A new Maildir name: time, pid and a counter (fetch threads deliver at
 * once), then the source id.
 */
static char *
unique_name(struct spool *sp, const char *source)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return g_strdup_printf("%lld.M%06ldP%dQ%u.%s", (long long)tv.tv_sec,
			       (long)tv.tv_usec, (int)getpid(),
			       (unsigned)g_atomic_int_add(&sp->seq, 1) + 1,
			       source);
}

/*
 * A new file in tmp/ for a message from source: *fd open for writing,
 * and its name and the paths in tmp/ and new/ (new strings).
 */
static enum status
open_tmp(struct spool *sp, const char *source, char **name, char **tmp,
	 char **dst, int *fd, struct err *err)
{
	if (!source_valid(source))
		return err_set(err, ST_FATAL, "invalid spool source id '%s'",
			       source);
	*name = unique_name(sp, source);
	*tmp = g_build_filename(sp->tmp, *name, NULL);
	*dst = g_build_filename(sp->new, *name, NULL);
	*fd = open(*tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (*fd < 0)
		return err_io(err, ST_TEMP, "cannot create '%s'", *tmp);
	return ST_OK;
}

/* The rename that makes a written message visible; tmp/ cleaned on error. */
static enum status
move_to_new(const char *tmp, const char *dst, const char *name,
	    struct err *err)
{
	enum status st;

	if (rename(tmp, dst) == 0)
		return ST_OK;
	st = err_io(err, ST_TEMP, "cannot move '%s' into new/", name);
	unlink(tmp);
	return st;
}

/*
 * Writes data as a new message of source into tmp/; delivered, it is
 * also synced and moved into new/ (spool_deliver), else it waits there
 * for spool_sync's one flush of the batch (spool_write).
 */
static enum status
put(struct spool *sp, const char *source, const void *data, size_t len,
    gboolean deliver, char **name_out, struct err *err)
{
	g_autofree char *name = NULL, *tmp = NULL, *dst = NULL;
	enum status st;
	int fd;

	st = open_tmp(sp, source, &name, &tmp, &dst, &fd, err);
	if (st != ST_OK)
		return st;
	st = write_synced(fd, tmp, data, len, deliver, err);
	if (st == ST_OK && deliver)
		st = move_to_new(tmp, dst, name, err);
	if (st == ST_OK && deliver)
		st = fsync_dir(sp->new, err);
	if (st != ST_OK)
		return st;
	*name_out = g_steal_pointer(&name);
	return ST_OK;
}

enum status
spool_write(struct spool *sp, const char *source, const void *data,
	    size_t len, char **name_out, struct err *err)
{
	return put(sp, source, data, len, FALSE, name_out, err);
}

enum status
spool_sync(struct spool *sp, GPtrArray *names, struct err *err)
{
	enum status st = ST_OK;
	int fd;

	if (names->len == 0)
		return ST_OK;
	/* One flush of the file system for the whole batch; where syncfs()
	 * is missing, each file on its own. */
	fd = open(sp->tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return err_io(err, ST_TEMP, "cannot open '%s'", sp->tmp);
	if (syncfs(fd) != 0) {
		for (guint i = 0; st == ST_OK && i < names->len; i++) {
			g_autofree char *p = g_build_filename(
				sp->tmp, (char *)names->pdata[i], NULL);
			int f = open(p, O_RDONLY | O_CLOEXEC);

			if (f < 0 || fsync(f) != 0)
				st = err_io(err, ST_TEMP, "cannot sync '%s'", p);
			if (f >= 0)
				close(f);
		}
	}
	close(fd);
	/* Only now, whole, do they appear in new/. */
	for (guint i = 0; st == ST_OK && i < names->len; i++) {
		const char *name = names->pdata[i];
		g_autofree char *tmp = g_build_filename(sp->tmp, name, NULL);
		g_autofree char *dst = g_build_filename(sp->new, name, NULL);

		st = move_to_new(tmp, dst, name, err);
	}
	if (st == ST_OK)
		st = fsync_dir(sp->new, err);
	/* What did not make it stays in tmp/ and is swept later. */
	return st;
}

enum status
spool_deliver(struct spool *sp, const char *source, const void *data,
	      size_t len, char **name_out, struct err *err)
{
	return put(sp, source, data, len, TRUE, name_out, err);
}

enum status
spool_deliver_fd(struct spool *sp, const char *source, int in,
		 char **name_out, guint64 *size, struct err *err)
{
	g_autofree char *name = NULL, *tmp = NULL, *dst = NULL;
	g_autofree char *buf = g_malloc(65536);
	enum status st = ST_OK;
	guint64 total = 0;
	int fd;

	st = open_tmp(sp, source, &name, &tmp, &dst, &fd, err);
	if (st != ST_OK)
		return st;
	/* Streamed, never held whole in memory: the sender sets the size. */
	for (;;) {
		ssize_t n = read(in, buf, 65536);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			st = err_sys(err, ST_TEMP, "cannot read the message");
			break;
		}
		if (n == 0)
			break;
		st = write_all(fd, tmp, buf, (size_t)n, err);
		if (st != ST_OK)
			break;
		total += (guint64)n;
	}
	if (st == ST_OK && total == 0)
		st = err_set(err, ST_MSG_BAD, "empty message");
	if (st != ST_OK) {
		close(fd);
		unlink(tmp);
		return st;
	}
	st = write_synced(fd, tmp, "", 0, TRUE, err);
	if (st == ST_OK)
		st = move_to_new(tmp, dst, name, err);
	if (st == ST_OK)
		st = fsync_dir(sp->new, err);
	if (st != ST_OK)
		return st;
	*size = total;
	*name_out = g_steal_pointer(&name);
	return ST_OK;
}

static gint
cmp_names(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

enum status
spool_list_new(struct spool *sp, GPtrArray **out, struct err *err)
{
	GPtrArray *names;
	struct dirent *e;
	DIR *d = opendir(sp->new);

	if (d == NULL)
		return err_io(err, ST_FATAL, "cannot open '%s'", sp->new);
	names = g_ptr_array_new_with_free_func(g_free);
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			g_ptr_array_add(names, g_strdup(e->d_name));
	closedir(d);
	/* Names begin with the delivery time: sorting gives arrival order. */
	g_ptr_array_sort(names, cmp_names);
	*out = names;
	return ST_OK;
}

static char *
cur_name(const char *name)
{
	return strchr(name, ':') ? g_strdup(name)
				 : g_strconcat(name, ":2,S", NULL);
}

char *
spool_path(struct spool *sp, const char *name)
{
	g_autofree char *cn = cur_name(name);
	char *p = g_build_filename(sp->new, name, NULL);

	if (access(p, F_OK) == 0)
		return p;
	g_free(p);
	return g_build_filename(sp->cur, cn, NULL);
}

gboolean
spool_has(struct spool *sp, const char *name)
{
	g_autofree char *p = spool_path(sp, name);

	return access(p, F_OK) == 0;
}

enum status
spool_read(struct spool *sp, const char *name, gsize max, GBytes **out,
	   struct err *err)
{
	g_autofree char *path = spool_path(sp, name);
	g_autoptr(GMappedFile) mf = NULL;
	g_autoptr(GError) gerr = NULL;

	mf = g_mapped_file_new(path, FALSE, &gerr);
	if (mf == NULL)
		return err_set(err, ST_TEMP, "cannot read spool file '%s': %s",
			       name, gerr->message);
	if (g_mapped_file_get_length(mf) > max)
		return err_set(err, ST_MSG_BAD, "message '%s' is over the "
			       "size cap (%zu bytes)", name,
			       g_mapped_file_get_length(mf));
	*out = g_mapped_file_get_bytes(mf);
	return ST_OK;
}

enum status
spool_mark_done(struct spool *sp, const char *name, struct err *err)
{
	g_autofree char *cn = cur_name(name);
	g_autofree char *from = g_build_filename(sp->new, name, NULL);
	g_autofree char *to = g_build_filename(sp->cur, cn, NULL);

	/*
	 * No fsync: if a crash undoes the rename, the message is back in
	 * new/, its arrival is found in the store, and it is moved again.
	 */
	if (rename(from, to) != 0)
		return err_io(err, ST_TEMP, "cannot move '%s' into cur/",
			      name);
	return ST_OK;
}

char *
spool_name_source(const char *name)
{
	const char *end = strchr(name, ':');
	g_autofree char *base = end ? g_strndup(name, end - name)
				    : g_strdup(name);
	const char *dot = strrchr(base, '.');

	if (dot == NULL || !source_valid(dot + 1))
		return NULL;
	return g_strdup(dot + 1);
}

enum status
file_write_durable(const char *path, const void *data, size_t len,
		   struct err *err)
{
	g_autofree char *tmp = g_strconcat(path, ".new", NULL);
	g_autofree char *dir = g_path_get_dirname(path);
	enum status st;
	int fd;

	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return err_io(err, ST_TEMP, "cannot create '%s'", tmp);
	st = write_synced(fd, tmp, data, len, TRUE, err);
	if (st != ST_OK)
		return st;
	if (rename(tmp, path) != 0) {
		st = err_io(err, ST_TEMP, "cannot rename '%s'", tmp);
		unlink(tmp);
		return st;
	}
	return fsync_dir(dir, err);
}
