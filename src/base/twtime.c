/*
 * Clocks in Taiwan time.  Taiwan has kept UTC+8 without daylight saving
 * since 1980, so the fixed fallback is exact for every date we file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "twtime.h"

GTimeZone *
twtime_zone(void)
{
	static GTimeZone *tz;

	if (tz == NULL) {
		tz = g_time_zone_new_identifier("Asia/Taipei");
		if (tz == NULL)
			tz = g_time_zone_new_offset(8 * 3600);
	}
	return tz;
}

GDateTime *
twtime_now(void)
{
	const char *fixed = getenv("LAMPLIGHT_NOW");
	GDateTime *t = NULL;

	if (fixed != NULL && *fixed) {
		g_autoptr(GDateTime) u = g_date_time_new_from_iso8601(fixed,
								      NULL);

		if (u != NULL)
			t = g_date_time_to_timezone(u, twtime_zone());
	}
	if (t == NULL)
		t = g_date_time_new_now(twtime_zone());
	return t;
}

char *
twtime_roc_date(GDateTime *t)
{
	g_autoptr(GDateTime) tw = g_date_time_to_timezone(t, twtime_zone());

	return g_strdup_printf("%03d%02d%02d",
			       g_date_time_get_year(tw) - 1911,
			       g_date_time_get_month(tw),
			       g_date_time_get_day_of_month(tw));
}

/* y-m-d in the ROC calendar, as a person writes it. */
static char *
roc_long(int y, int m, int d)
{
	if (y <= 1911)
		return g_strdup_printf("%d年%d月%d日", y, m, d);
	return g_strdup_printf("民國%d年%d月%d日", y - 1911, m, d);
}

char *
twtime_roc_long(GDateTime *t)
{
	g_autoptr(GDateTime) tw = g_date_time_to_timezone(t, twtime_zone());

	return roc_long(g_date_time_get_year(tw), g_date_time_get_month(tw),
			g_date_time_get_day_of_month(tw));
}

char *
twtime_roc_day(const char *day)
{
	int y, m, d;

	if (day == NULL)
		return NULL;
	/* "2026-11-03", alone or starting a time ("2026-11-03T..."). */
	if (strlen(day) < 10 || sscanf(day, "%4d-%2d-%2d", &y, &m, &d) != 3 ||
	    day[4] != '-' || day[7] != '-' ||
	    (day[10] != '\0' && day[10] != 'T' && day[10] != ' ') ||
	    !g_date_valid_dmy(d, m, y))
		return g_strdup(day);
	return roc_long(y, m, d);
}

char *
twtime_iso(GDateTime *t)
{
	g_autoptr(GDateTime) tw = g_date_time_to_timezone(t, twtime_zone());

	return g_date_time_format(tw, "%Y-%m-%dT%H:%M:%S%:z");
}
