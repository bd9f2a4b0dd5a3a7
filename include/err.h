/*
 * Status codes and the error context passed down through every module.
 * A status says how far a failure reaches, so the caller knows what to do
 * next without reading the words; the words are for the operator.
 */
#ifndef LAMPLIGHT_ERR_H
#define LAMPLIGHT_ERR_H

#include <glib.h>

enum status {
	ST_OK = 0,
	ST_NOMEM,
	ST_TEMP,	/* retry next run: network, disk full, database busy */
	ST_MSG_BAD,	/* this message only: quarantine it and go on */
	ST_SOURCE_BAD,	/* this mailbox or server: skip it for this run */
	ST_FATAL,	/* bad configuration or a bug: stop the run */
	ST_REFUSED,	/* a request that is not allowed: err.refused says
			 * why (refusal.h); nothing went wrong */
};

#define ERR_MSG_MAX 512

/*
 * Why a request was refused (ST_REFUSED), as data: refusal.h names the
 * codes and renders them in the words of the command line or of mail.
 */
struct refusal {
	int code;		/* enum refusal_code, 0: none */
	int state;		/* the case's state (enum case_state), or -1 */
	char number[32];	/* the case it is about, or "" */
	char word[64];		/* what was asked for ("bogus", "TPQ"), or "" */
};

/* Embedded by the caller; err_clear() before reuse. */
struct err {
	enum status status;
	int sys_errno;		/* errno of err_sys()/err_io(), else 0 */
	char msg[ERR_MSG_MAX];	/* for a refusal, its English words */
	gboolean setup;		/* ST_FATAL that a person fixes in the set-up
				 * (exit 78), not a bug (70) */
	struct refusal refused;
};

/* Whether err is about the disk: full, over quota or a size limit. */
gboolean err_is_disk(const struct err *err);

/* Whether err is for a person to put right in the set-up (err_setup). */
gboolean err_is_setup(const struct err *err);

void err_clear(struct err *err);

/*
 * Records st and a message (printf format) in err, which may be NULL, and
 * returns st.  Messages never carry personal data: no names, addresses,
 * phone numbers or letter text, only ids, file names and counts.
 */
enum status err_set(struct err *err, enum status st, const char *fmt, ...)
	G_GNUC_PRINTF(3, 4);

/* As err_set() with ST_FATAL, marked as the set-up's to put right: a
 * path, a file's mode or owner, a database or key that is not there. */
enum status err_setup(struct err *err, const char *fmt, ...)
	G_GNUC_PRINTF(2, 3);

/* As err_set(), then appends ": " and strerror(errno). */
enum status err_sys(struct err *err, enum status st, const char *fmt, ...)
	G_GNUC_PRINTF(3, 4);

/* As err_sys(), but ENOSPC, EDQUOT and EIO become ST_TEMP. */
enum status err_io(struct err *err, enum status st, const char *fmt, ...)
	G_GNUC_PRINTF(3, 4);

/* A short English name for st ("temporary failure"); static string. */
const char *status_name(enum status st);

#endif
