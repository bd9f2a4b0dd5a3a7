/*
 * Logging to stderr and, when asked, syslog.  Callers pass case numbers,
 * mailbox ids, spool file names and message-id hashes; never names, phone
 * numbers, ID numbers, addresses or letter text, not even at debug level.
 */
#ifndef LAMPLIGHT_LOG_H
#define LAMPLIGHT_LOG_H

#include <glib.h>

enum log_level {
	LOG_LEVEL_ERROR,
	LOG_LEVEL_WARN,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG,
};

/* Messages above level are dropped; use_syslog also sends to syslog. */
void log_init(enum log_level level, gboolean use_syslog);
void log_msg(enum log_level level, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

#define log_error(...) log_msg(LOG_LEVEL_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__)

#endif
