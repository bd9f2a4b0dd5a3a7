/*
 * The read cap: a reading over it is told to give up and the caller
 * learns it; one that never asks is reported to the callback only after
 * the grace; a reading within the cap is never flagged.  Real time, no
 * clock of our own: each wait ends as soon as the watchdog acts.
 */
#include <stdlib.h>

#include "testutil.h"

#include "watchdog.h"

static gint called;
static char *called_for;

static void
on_stuck(const char *name, void *data)
{
	g_free(called_for);
	called_for = g_strdup(name);
	g_atomic_int_set(&called, 1);
}

/* Spins until ready() or limit seconds; whether ready() held. */
static gboolean
spin_until(gboolean (*ready)(void), int limit)
{
	gint64 end = g_get_monotonic_time() + (gint64)limit * G_USEC_PER_SEC;

	while (!ready())
		if (g_get_monotonic_time() > end)
			return FALSE;
	return TRUE;
}

static gboolean
stuck_reported(void)
{
	return g_atomic_int_get(&called) != 0;
}

static void
test_within_the_cap(void **state)
{
	watchdog_arm("quick");
	assert_false(watchdog_expired());
	assert_false(watchdog_disarm());
	assert_false(watchdog_expired());
}

static void
test_over_the_cap_gives_up(void **state)
{
	gint64 t0 = g_get_monotonic_time();

	watchdog_arm("slow");
	assert_true(spin_until(watchdog_expired, 10));
	/* Not before the cap (50 ms)... */
	assert_true(g_get_monotonic_time() - t0 >= 50 * 1000);
	/* ...and a reader that gives up is not stuck. */
	assert_false(stuck_reported());
	assert_true(watchdog_disarm());
	assert_false(watchdog_expired());
	/* The next reading starts clean. */
	watchdog_arm("next");
	assert_false(watchdog_expired());
	assert_false(watchdog_disarm());
}

static void
test_stuck_reading_is_reported(void **state)
{
	gint64 t0 = g_get_monotonic_time();

	watchdog_arm("stuck");
	/* A reader that never asks: the callback, after the grace. */
	assert_true(spin_until(stuck_reported, 30));
	assert_true(g_get_monotonic_time() - t0 >=
		    (gint64)WATCHDOG_STUCK_AFTER_MS * 1000);
	assert_string_equal(called_for, "stuck");
	watchdog_disarm();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_within_the_cap),
		cmocka_unit_test(test_over_the_cap_gives_up),
		cmocka_unit_test(test_stuck_reading_is_reported),
	};
	int rc;

	g_setenv("LAMPLIGHT_READ_CAP_MS", "50", TRUE);
	watchdog_start(on_stuck, NULL);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	watchdog_stop();
	g_free(called_for);
	return rc;
}
