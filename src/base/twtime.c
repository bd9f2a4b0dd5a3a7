/*
 * Clocks in Taiwan time.  Taiwan has kept UTC+8 without daylight saving
 * since 1980, so the fixed fallback is exact for every date we file.
 */
#include <stdlib.h>

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

char *
twtime_iso(GDateTime *t)
{
	g_autoptr(GDateTime) tw = g_date_time_to_timezone(t, twtime_zone());

	return g_date_time_format(tw, "%Y-%m-%dT%H:%M:%S%:z");
}
