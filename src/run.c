/*
 * The cron run.  Order matters, and each comment says why:
 *
 *   lock -> per mailbox: fetch into spool/new (synced) -> record fetched
 *        -> file spool/new in one transaction each -> move to cur/
 *        -> mark the server copy -> then send the outbox.
 *
 * A message is touched at its source only after its arrival is committed;
 * a crash anywhere costs at most a re-fetch that files as a duplicate.
 * The steps are modules of their own: fetchpool.c fetches, filing.c
 * files, casework.c decides what a letter does to the cases and has
 * rounds.c do the steps after filing.
 */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "casework.h"
#include "fetchpool.h"
#include "filing.h"
#include "run.h"
#include "spool.h"
#include "statedir.h"
#include "store.h"
#include "twtime.h"

/* Durable steps so far, counted across threads for --stop-after. */
static gint run_steps;

void
run_stats_init(struct run_stats *rs)
{
	memset(rs, 0, sizeof *rs);
	rs->report = g_ptr_array_new_with_free_func(g_free);
}

void
run_stats_done(struct run_stats *rs)
{
	if (rs->report != NULL)
		g_ptr_array_free(rs->report, TRUE);
	rs->report = NULL;
}

void
run_step(const struct run_opts *opts)
{
	gint n = g_atomic_int_add(&run_steps, 1) + 1;

	if (opts->stop_after != 0 && (guint)n >= opts->stop_after)
		_exit(RUN_EXIT_STOPPED);
}

void
run_mail_sent(gpointer opts)
{
	run_step(opts);
}

void
run_report(struct run_stats *rs, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	g_ptr_array_add(rs->report, g_strdup_vprintf(fmt, ap));
	va_end(ap);
}

void
run_progress(const struct run_opts *opts, const struct run_stats *rs)
{
	if (opts->progress != NULL)
		opts->progress(rs, opts->progress_data);
}

/*
 * root working in a state directory that is the service user's would
 * leave files the service cannot read (a key, the database, the lock):
 * refused, naming the command that runs it as that user.
 */
static enum status
not_root_in_theirs(const char *state_dir, const struct stat *sb,
		   const char *command, struct err *err)
{
	const struct passwd *pw;

	if (geteuid() != 0 || sb->st_uid == 0)
		return ST_OK;
	pw = getpwuid(sb->st_uid);
	if (pw == NULL)
		return err_setup(err, "running as root in '%s', which belongs "
				 "to uid %u: run as that user", state_dir,
				 (unsigned)sb->st_uid);
	return err_setup(err, "running as root in '%s', which belongs to %s: "
			 "what root made there %s could not read.  Run it as "
			 "%s: runuser -u %s -- lamplight %s", state_dir,
			 pw->pw_name, pw->pw_name, pw->pw_name, pw->pw_name,
			 command);
}

/* Whether errno e says the user may not: the set-up's to put right. */
static gboolean
denied(int e)
{
	return e == EACCES || e == EPERM || e == EROFS;
}

enum status
run_check_state_dir(const char *state_dir, const char *command,
		    struct err *err)
{
	struct stat sb;

	if (stat(state_dir, &sb) != 0)
		return denied(errno)
			       ? err_setup(err, "cannot reach the state "
					   "directory '%s': %s", state_dir,
					   g_strerror(errno))
			       : err_sys(err, ST_FATAL, "state directory "
					 "'%s'", state_dir);
	if (not_root_in_theirs(state_dir, &sb, command, err) != ST_OK)
		return ST_FATAL;
	/* Private whatever the umask it was made with. */
	if ((sb.st_mode & 077) != 0)
		return err_setup(err, "state directory '%s' can be read by "
				 "others (mode %04o); make it private: chmod "
				 "700 '%s'", state_dir,
				 (unsigned)(sb.st_mode & 07777), state_dir);
	return ST_OK;
}

enum status
run_lock(const char *state_dir, const char *command, int *fd_out,
	 gboolean *locked, struct err *err)
{
	g_autofree char *path = g_build_filename(state_dir, "lock", NULL);
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	enum status st;
	int fd;

	if (g_mkdir_with_parents(state_dir, 0700) != 0)
		return denied(errno)
			       ? err_setup(err, "cannot create the state "
					   "directory '%s': %s", state_dir,
					   g_strerror(errno))
			       : err_io(err, ST_FATAL, "cannot create state "
					"dir '%s'", state_dir);
	st = run_check_state_dir(state_dir, command, err);
	if (st != ST_OK)
		return st;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return denied(errno)
			       ? err_setup(err, "cannot open '%s': %s", path,
					   g_strerror(errno))
			       : err_io(err, ST_FATAL, "cannot open '%s'",
					path);
	if (fcntl(fd, F_SETLK, &fl) != 0) {
		int e = errno;
		struct flock held = { .l_type = F_WRLCK,
				      .l_whence = SEEK_SET };
		gint64 age = run_lock_age(state_dir);

		if (e == EACCES || e == EAGAIN) {
			*locked = TRUE;
			if (fcntl(fd, F_GETLK, &held) != 0 ||
			    held.l_type == F_UNLCK)
				held.l_pid = 0;
			close(fd);
			return err_set(err, ST_TEMP, "another run (pid %ld) "
				       "has held '%s' for %lld min",
				       (long)held.l_pid, path,
				       (long long)MAX(age, 0) / 60);
		}
		close(fd);
		errno = e;
		return err_sys(err, ST_FATAL, "cannot lock '%s'", path);
	}
	/* The lock file's time says since when it is held: a run that
	 * finds it held tells a run at work from a stuck one by it.  Should
	 * it fail, the old time makes the next run speak up: not silent. */
	(void)futimens(fd, NULL);
	*fd_out = fd;
	return ST_OK;
}

gint64
run_lock_age(const char *state_dir)
{
	g_autofree char *path = g_build_filename(state_dir, "lock", NULL);
	struct stat sb;

	if (stat(path, &sb) != 0)
		return -1;
	return MAX((gint64)time(NULL) - (gint64)sb.st_mtime, 0);
}

enum status
run_once(const struct config *cfg, const struct run_opts *opts,
	 struct run_stats *stats, gboolean *locked, struct err *err)
{
	g_autofree char *spool_dir = NULL, *db_path = NULL;
	g_autoptr(GDateTime) now = NULL;
	struct spool *spool = NULL;
	struct store *store = NULL;
	struct casework *cw = NULL;
	struct filing *f = NULL;
	int lock_fd = -1;
	enum status st;

	*locked = FALSE;
	st = run_lock(cfg->state_dir, opts->no_fetch ? "ingest" : "run",
		      &lock_fd, locked, err);
	if (st != ST_OK)
		return st;
	spool_dir = g_build_filename(cfg->state_dir, "spool", NULL);
	db_path = g_build_filename(cfg->state_dir, "lamplight.db", NULL);
	st = spool_open(spool_dir, &spool, err);
	if (st == ST_OK)
		st = statedir_open(cfg, TRUE, &store, err);
	if (st == ST_OK)
		st = casework_open(cfg, opts, stats, store, spool, &cw, err);
	if (st == ST_OK)
		st = filing_open(cfg, opts, stats, spool, store, cw, &f, err);
	/* Leftovers of an interrupted run go first, in arrival order. */
	if (st == ST_OK && !opts->fetch_only)
		st = filing_spool(f, err);
	if (st == ST_OK)
		casework_send_urgent(cw);
	if (st == ST_OK && !opts->no_fetch)
		st = fetchpool_run(cfg, opts, stats, spool, db_path, f, err);
	run_progress(opts, stats);
	if (st == ST_OK && !opts->fetch_only)
		st = casework_seal_letters(cw, err);
	now = twtime_now();
	/* A backfill leaves the day's reminders to the next run, which
	 * sends them. */
	if (st == ST_OK && !opts->fetch_only && !opts->no_send)
		st = casework_remind(cw, now, err);
	if (st == ST_OK && !opts->fetch_only)
		st = casework_send_all(cw, now, err);
	if (st == ST_OK && !opts->fetch_only)
		st = casework_erase_expired(cw, now, err);
	filing_close(f);
	casework_close(cw);
	store_close(store);
	spool_close(spool);
	if (lock_fd >= 0)
		close(lock_fd);
	return st;
}
