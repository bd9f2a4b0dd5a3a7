/*
 * GMime's start-up for the unit tests that parse mail: one group set-up
 * and tear-down (mime_init, mime_done) for cmocka_run_group_tests.
 */
#ifndef LAMPLIGHT_TESTMIME_H
#define LAMPLIGHT_TESTMIME_H

#include "mime.h"

static inline int
mime_group_setup(void **state)
{
	(void)state;
	mime_init();
	return 0;
}

static inline int
mime_group_teardown(void **state)
{
	(void)state;
	mime_done();
	return 0;
}

#endif
