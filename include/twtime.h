/*
 * Taiwan time.  Every clock of the centres runs in Asia/Taipei whatever
 * the machine's zone; case numbers use the ROC calendar (year - 1911).
 */
#ifndef LAMPLIGHT_TWTIME_H
#define LAMPLIGHT_TWTIME_H

#include <glib.h>

/* The Asia/Taipei zone (fixed UTC+8 if tzdata is missing); borrowed. */
GTimeZone *twtime_zone(void);

/*
 * Now, in Taiwan time; a new reference.  The environment variable
 * LAMPLIGHT_NOW (ISO 8601 with a zone) fixes "now", for tests and for
 * replaying a day; it is read on every call.
 */
GDateTime *twtime_now(void);

/* "1151103" for 2026-11-03 in Taiwan: new string. */
char *twtime_roc_date(GDateTime *t);

/* "民國115年11月3日" for 2026-11-03 in Taiwan, as people write it: new
 * string. */
char *twtime_roc_long(GDateTime *t);

/*
 * A day written "2026-11-03" (or the start of an ISO 8601 time) as
 * "民國115年11月3日"; a day before the ROC (1912) as "1911年…"; anything
 * else as it is.  New string; NULL for NULL.
 */
char *twtime_roc_day(const char *day);

/* "2026-11-03T09:30:00+08:00": new string. */
char *twtime_iso(GDateTime *t);

#endif
