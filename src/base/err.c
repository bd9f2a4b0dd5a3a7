/*
 * Error contexts: formatting of status and message.  Nothing here prints;
 * main.c and the commands decide what reaches the operator.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "err.h"

void
err_clear(struct err *err)
{
	if (err == NULL)
		return;
	err->status = ST_OK;
	err->sys_errno = 0;
	err->setup = FALSE;
	err->msg[0] = '\0';
	memset(&err->refused, 0, sizeof err->refused);
}

static void G_GNUC_PRINTF(4, 0)
err_vformat(struct err *err, enum status st, int errnum, const char *fmt,
	    va_list ap)
{
	size_t n;

	if (err == NULL)
		return;
	err->status = st;
	err->sys_errno = errnum;
	err->setup = FALSE;
	memset(&err->refused, 0, sizeof err->refused);
	vsnprintf(err->msg, sizeof err->msg, fmt, ap);
	if (errnum != 0) {
		n = strlen(err->msg);
		snprintf(err->msg + n, sizeof err->msg - n, ": %s",
			 g_strerror(errnum));
	}
}

enum status
err_set(struct err *err, enum status st, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err_vformat(err, st, 0, fmt, ap);
	va_end(ap);
	return st;
}

enum status
err_setup(struct err *err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err_vformat(err, ST_FATAL, 0, fmt, ap);
	va_end(ap);
	if (err != NULL)
		err->setup = TRUE;
	return ST_FATAL;
}

gboolean
err_is_setup(const struct err *err)
{
	return err != NULL && err->status == ST_FATAL && err->setup;
}

enum status
err_sys(struct err *err, enum status st, const char *fmt, ...)
{
	int errnum = errno;
	va_list ap;

	va_start(ap, fmt);
	err_vformat(err, st, errnum, fmt, ap);
	va_end(ap);
	return st;
}

enum status
err_io(struct err *err, enum status st, const char *fmt, ...)
{
	int errnum = errno;
	va_list ap;

	/* A full disk, a file size limit or a failing device heals; the
	 * message is not at fault. */
	if (errnum == ENOSPC || errnum == EDQUOT || errnum == EIO ||
	    errnum == EFBIG)
		st = ST_TEMP;
	va_start(ap, fmt);
	err_vformat(err, st, errnum, fmt, ap);
	va_end(ap);
	return st;
}

const char *
status_name(enum status st)
{
	switch (st) {
	case ST_OK:
		return "ok";
	case ST_NOMEM:
		return "out of memory";
	case ST_TEMP:
		return "temporary failure";
	case ST_MSG_BAD:
		return "bad message";
	case ST_SOURCE_BAD:
		return "source failed";
	case ST_FATAL:
		return "fatal error";
	case ST_REFUSED:
		return "refused";
	}
	return "unknown status";
}

gboolean
err_is_disk(const struct err *err)
{
	return err->sys_errno == ENOSPC || err->sys_errno == EDQUOT ||
	       err->sys_errno == EFBIG || err->sys_errno == EIO;
}
