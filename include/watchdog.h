/*
 * A time cap on reading one message.  Parsing is linear and the rules
 * have match limits, so this should never fire; it is the guarantee that
 * a message nobody foresaw cannot hang every cron run after it.
 *
 * At the cap the reading is told to give up (watchdog_expired(), asked
 * by the readers' loops): it returns early, watchdog_disarm() says so,
 * and the caller sets the message aside and goes on with the others.
 * A reader stuck where it does not ask (inside a library) gets as long
 * again (WATCHDOG_STUCK_AFTER_MS at least); then the callback runs on the watchdog's thread, expected to
 * record the message as poison and end the process, since a stuck
 * parser cannot be stopped from outside.
 */
#ifndef LAMPLIGHT_WATCHDOG_H
#define LAMPLIGHT_WATCHDOG_H

#include <glib.h>

typedef void (*watchdog_fn)(const char *name, void *data);

/* Default cap; LAMPLIGHT_READ_CAP_MS in the environment overrides it. */
#define WATCHDOG_READ_CAP_MS 30000
/* The least time a reader over its cap has to give up before the
 * callback. */
#define WATCHDOG_STUCK_AFTER_MS 5000

/* Starts the watch thread; fn is called once for a stuck reading. */
void watchdog_start(watchdog_fn fn, void *data);
/* Times name (copied) from now on; the previous one is forgotten. */
void watchdog_arm(const char *name);
/* Whether the reading under way is over its cap: give up now.  Cheap
 * enough for every step of a loop. */
gboolean watchdog_expired(void);
/* Stops timing; TRUE if the reading went over its cap meanwhile (what
 * it found is not to be trusted: it gave up early). */
gboolean watchdog_disarm(void);
void watchdog_stop(void);
guint watchdog_cap_ms(void);

#endif
