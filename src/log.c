/*
 * The one place that writes diagnostics.  Library code reports through
 * struct err; commands call log_*() once per event.
 */
#include <stdarg.h>
#include <stdio.h>
#include <syslog.h>

#include "log.h"

static enum log_level log_max = LOG_LEVEL_WARN;
static gboolean log_syslog;

void
log_init(enum log_level level, gboolean use_syslog)
{
	log_max = level;
	log_syslog = use_syslog;
	if (use_syslog)
		openlog("lamplight", LOG_PID, LOG_MAIL);
}

void
log_msg(enum log_level level, const char *fmt, ...)
{
	static const char *const prefix[] = {
		"error: ", "warning: ", "", "debug: ",
	};
	static const int prio[] = {
		LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG,
	};
	g_autofree char *text = NULL;
	va_list ap;

	if (level > log_max)
		return;
	va_start(ap, fmt);
	text = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	fprintf(stderr, "lamplight: %s%s\n", prefix[level], text);
	if (log_syslog)
		syslog(prio[level], "%s%s", prefix[level], text);
}
