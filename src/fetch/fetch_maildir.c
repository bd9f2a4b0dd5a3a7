/*
 * A local Maildir as a source: messages in new/, and in cur/ without the
 * S (seen) flag.  "seen" moves a message to cur/ and adds S, as a mail
 * client would; the base name (before ':') is its uid.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fetch.h"

struct maildir_src {
	char *dir;
	GHashTable *paths;	/* uid -> current full path */
	const struct centre *centre;	/* borrowed: after_fetch */
};

static gboolean
seen_flag(const char *name)
{
	const char *info = strstr(name, ":2,");

	return info != NULL && strchr(info + 3, 'S') != NULL;
}

static enum status
md_open(const struct centre *c, void **handle, guint32 *uidvalidity,
	struct err *err)
{
	const char *dir = c->mailbox + strlen("maildir:");
	g_autofree char *new = g_build_filename(dir, "new", NULL);
	struct maildir_src *m;

	if (!g_file_test(new, G_FILE_TEST_IS_DIR))
		return err_set(err, ST_SOURCE_BAD, "mailbox %s: '%s' is not a "
			       "Maildir", c->id, dir);
	m = g_new0(struct maildir_src, 1);
	m->dir = g_strdup(dir);
	m->centre = c;
	m->paths = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					 g_free);
	*handle = m;
	*uidvalidity = 0;
	return ST_OK;
}

static void
scan(struct maildir_src *m, const char *sub, GPtrArray *out)
{
	g_autofree char *dir = g_build_filename(m->dir, sub, NULL);
	GDir *d = g_dir_open(dir, 0, NULL);
	const char *name;

	if (d == NULL)
		return;
	while ((name = g_dir_read_name(d)) != NULL) {
		struct fetch_entry *e;
		const char *colon = strchr(name, ':');
		g_autofree char *path = NULL;
		struct stat st;

		if (name[0] == '.' || (strcmp(sub, "cur") == 0 &&
				       seen_flag(name)))
			continue;
		path = g_build_filename(dir, name, NULL);
		if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
			continue;
		e = g_new0(struct fetch_entry, 1);
		e->uid = colon ? g_strndup(name, colon - name) : g_strdup(name);
		e->size = (guint64)st.st_size;
		g_hash_table_replace(m->paths, g_strdup(e->uid),
				     g_steal_pointer(&path));
		g_ptr_array_add(out, e);
	}
	g_dir_close(d);
}

static gint
cmp_entries(gconstpointer a, gconstpointer b)
{
	const struct fetch_entry *x = *(struct fetch_entry *const *)a;
	const struct fetch_entry *y = *(struct fetch_entry *const *)b;

	return strcmp(x->uid, y->uid);
}

static enum status
md_list(void *handle, guint32 since, GPtrArray **out, struct err *err)
{
	struct maildir_src *m = handle;
	GPtrArray *list = g_ptr_array_new_with_free_func(
		(GDestroyNotify)fetch_entry_free);

	g_hash_table_remove_all(m->paths);
	scan(m, "new", list);
	scan(m, "cur", list);
	/* Maildir names start with the delivery time. */
	g_ptr_array_sort(list, cmp_entries);
	*out = list;
	return ST_OK;
}

static enum status
md_fetch(void *handle, const char *const *uids, guint n, GBytes **out,
	 struct err *err)
{
	struct maildir_src *m = handle;

	for (guint i = 0; i < n; i++) {
		const char *path = g_hash_table_lookup(m->paths, uids[i]);
		g_autoptr(GMappedFile) mf = NULL;
		g_autoptr(GError) gerr = NULL;

		out[i] = NULL;
		if (path == NULL)
			continue;	/* gone */
		mf = g_mapped_file_new(path, FALSE, &gerr);
		if (mf == NULL && g_error_matches(gerr, G_FILE_ERROR,
						  G_FILE_ERROR_NOENT))
			continue;
		if (mf == NULL)
			return err_set(err, ST_SOURCE_BAD, "cannot read "
				       "message %s: %s", uids[i],
				       gerr->message);
		out[i] = g_mapped_file_get_bytes(mf);
	}
	return ST_OK;
}

/* The name with the S flag added, as Maildir readers expect. */
static char *
seen_name(const char *uid, const char *base)
{
	const char *info = strstr(base, ":2,");
	GString *f = g_string_new(info != NULL ? info + 3 : "");
	gsize i = 0;

	if (strchr(f->str, 'S') == NULL) {
		/* Maildir flags are kept in ASCII order. */
		while (i < f->len && f->str[i] < 'S')
			i++;
		g_string_insert_c(f, i, 'S');
	}
	{
		g_autofree char *flags = g_string_free(f, FALSE);

		return g_strdup_printf("%s:2,%s", uid, flags);
	}
}

static enum status
md_done(void *handle, const char *uid, struct err *err)
{
	struct maildir_src *m = handle;
	const char *path = g_hash_table_lookup(m->paths, uid);
	g_autofree char *base = NULL, *name = NULL, *dir = NULL, *to = NULL;

	if (path == NULL || m->centre->after_fetch == AFTER_FETCH_KEEP)
		return ST_OK;
	if (m->centre->after_fetch == AFTER_FETCH_DELETE) {
		if (unlink(path) != 0 && errno != ENOENT)
			return err_sys(err, ST_SOURCE_BAD, "cannot delete "
				       "message %s", uid);
		return ST_OK;
	}
	base = g_path_get_basename(path);
	name = seen_name(uid, base);
	if (m->centre->after_fetch == AFTER_FETCH_MOVE) {
		/* Maildir++: a folder is ".Name" inside the Maildir. */
		g_autofree char *sub = g_strconcat(".", m->centre->move_to,
						   NULL);

		dir = g_build_filename(m->dir, sub, "cur", NULL);
		if (g_mkdir_with_parents(dir, 0700) != 0)
			return err_sys(err, ST_SOURCE_BAD, "cannot create "
				       "folder %s", m->centre->move_to);
	} else {
		dir = g_build_filename(m->dir, "cur", NULL);
	}
	to = g_build_filename(dir, name, NULL);
	if (rename(path, to) != 0 && errno != ENOENT)
		return err_sys(err, ST_SOURCE_BAD, "cannot mark message %s "
			       "seen", uid);
	g_hash_table_replace(m->paths, g_strdup(uid), g_steal_pointer(&to));
	return ST_OK;
}

static void
md_close(void *handle)
{
	struct maildir_src *m = handle;

	if (m == NULL)
		return;
	g_free(m->dir);
	g_hash_table_destroy(m->paths);
	g_free(m);
}

const struct fetch_ops fetch_maildir_ops = {
	.name = "maildir",
	.open = md_open,
	.list = md_list,
	.fetch = md_fetch,
	.done = md_done,
	.close = md_close,
};
