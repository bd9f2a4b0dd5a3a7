/*
 * The government office calendar (政府行政機關辦公日曆表): which days
 * the centres work, and the deadlines counted on it.
 *
 * Two ways of counting, both used by the SOP:
 *   - working days (工作天): a partner's reply is due 5 working days
 *     after the referral, the day of referral not counted;
 *   - days (日): the SOP's "3 日內" steps and the 7 days an agency
 *     referral allows are counted as the Administrative Procedure Act
 *     counts a period in days (行政程序法 第48條): the first day is not
 *     counted, and when the last day is not a working day the period
 *     ends on the next working day.
 * Dates are civil dates in Taiwan (Asia/Taipei).
 */
#ifndef LAMPLIGHT_CALENDAR_H
#define LAMPLIGHT_CALENDAR_H

#include <glib.h>

#include "err.h"

struct calendar;

/* Reads a calendar file (data/calendar/tw-gov.cal documents the form);
 * a mistake is reported as FILE:LINE: message. */
enum status calendar_load(const char *path, struct calendar **out,
			  struct err *err);
/* The same from text already read; name is used in messages. */
enum status calendar_parse(const char *name, const char *text,
			   struct calendar **out, struct err *err);
void calendar_free(struct calendar *cal);

/* The version the file declares ("2026-11-23.1"). */
const char *calendar_version(const struct calendar *cal);
/* The text it was read from, to be kept with the deadlines it sets. */
const char *calendar_text(const struct calendar *cal);

/* Whether the calendar covers d; outside, Monday to Friday work. */
gboolean calendar_covers(const struct calendar *cal, const GDate *d);
gboolean calendar_is_working_day(const struct calendar *cal, const GDate *d);
/* The name of the holiday or make-up day d, or NULL. */
const char *calendar_day_name(const struct calendar *cal, const GDate *d);

enum deadline_rule {
	DEADLINE_DAYS,		/* n days, ending on a working day */
	DEADLINE_WORKING_DAYS,	/* n working days */
};

/* The last day of a period of n days or working days from start. */
void calendar_due(const struct calendar *cal, const GDate *start,
		  enum deadline_rule rule, guint n, GDate *due);

/* "2025-02-08" for d: new string.  calendar_date_parse() reads it. */
char *calendar_date_string(const GDate *d);
gboolean calendar_date_parse(const char *s, GDate *d);
/* Today in Taiwan, whatever the machine's time zone. */
void calendar_today(GDate *d);
/* The day of t in Taiwan. */
void calendar_day_of(GDateTime *t, GDate *d);

#endif
