/*
 * The one place that writes diagnostics.  Library code reports through
 * struct err; commands call log_*() once per event.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <syslog.h>

#include "log.h"

static enum log_level log_max = LOG_LEVEL_WARN;
static gboolean log_syslog;
static gboolean log_journal;

/*
 * Whether stderr is the systemd journal (a service's): JOURNAL_STREAM
 * names its device and inode.  Lines then start with "<N>", the level
 * the journal files them under.
 */
static gboolean
stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat sb;

	return js != NULL && sscanf(js, "%llu:%llu", &dev, &ino) == 2 &&
	       fstat(2, &sb) == 0 && (unsigned long long)sb.st_dev == dev &&
	       (unsigned long long)sb.st_ino == ino;
}

void
log_init(enum log_level level, gboolean use_syslog)
{
	log_max = level;
	if (use_syslog && !log_syslog)
		openlog("lamplight", LOG_PID, LOG_MAIL);
	log_syslog = use_syslog;
	log_journal = stderr_is_journal();
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
	if (log_journal)
		fprintf(stderr, "<%d>%s%s\n", prio[level], prefix[level], text);
	else
		fprintf(stderr, "lamplight: %s%s\n", prefix[level], text);
	if (log_syslog)
		syslog(prio[level], "%s%s", prefix[level], text);
}
