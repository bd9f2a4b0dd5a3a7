/*
 * Made with getrandom() and written with O_EXCL: two first runs at once
 * cannot make two different keys, the second reads the first's.
 */
#include <errno.h>
#include <sodium.h>
#include <fcntl.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "keyfile.h"

static enum status
create(const char *path, gsize n, const char *what, struct err *err)
{
	g_autofree guint8 *key = g_malloc(n);
	int fd;
	ssize_t w;

	if (getrandom(key, n, 0) != (ssize_t)n)
		return err_sys(err, ST_FATAL, "%s: getrandom", what);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return errno == EEXIST ? ST_OK
				       : err_sys(err, ST_FATAL, "%s %s", what,
						 path);
	w = write(fd, key, n);
	memset(key, 0, n);
	if (w != (ssize_t)n || fsync(fd) != 0) {
		close(fd);
		unlink(path);
		return err_sys(err, ST_TEMP, "%s %s", what, path);
	}
	return close(fd) == 0 ? ST_OK
			      : err_sys(err, ST_TEMP, "%s %s", what, path);
}

enum status
keyfile_load(const char *path, gboolean create_missing, guint8 *key, gsize n,
	     const char *what, struct err *err)
{
	g_autofree char *data = NULL;
	gsize len = 0;
	struct stat sb;
	enum status st;

	if (create_missing && access(path, F_OK) != 0) {
		st = create(path, n, what, err);
		if (st != ST_OK)
			return st;
	}
	if (stat(path, &sb) != 0)
		return err_sys(err, ST_FATAL, "%s %s", what, path);
	if ((sb.st_mode & 077) != 0)
		return err_set(err, ST_FATAL, "%s %s is readable by others: "
			       "chmod 600 it", what, path);
	if (!g_file_get_contents(path, &data, &len, NULL) || len < n)
		return err_set(err, ST_FATAL, "%s %s: needs %zu bytes", what,
			       path, n);
	memcpy(key, data, n);
	memset(data, 0, len);
	return ST_OK;
}

void
keyfile_fingerprint(const guint8 *key, gsize n, char out[17])
{
	guint8 hash[8];

	crypto_generichash(hash, sizeof hash, key, n,
			   (const guchar *)"lamplight key id", 16);
	for (size_t i = 0; i < sizeof hash; i++)
		g_snprintf(out + 2 * i, 3, "%02x", hash[i]);
}
