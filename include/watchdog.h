/*
 * A time cap on reading one message.  Parsing is linear and the rules
 * have match limits, so this should never fire; it is the guarantee that
 * a message nobody foresaw cannot hang every cron run after it.  When a
 * message overruns, the callback runs on the watchdog's thread; it is
 * expected to record the message as poison and end the process, since a
 * stuck parser cannot be stopped from outside.
 */
#ifndef LAMPLIGHT_WATCHDOG_H
#define LAMPLIGHT_WATCHDOG_H

#include <glib.h>

typedef void (*watchdog_fn)(const char *name, void *data);

/* Default cap; LAMPLIGHT_READ_CAP_MS in the environment overrides it. */
#define WATCHDOG_READ_CAP_MS 30000

/* Starts the watch thread; fn is called once for an overrun. */
void watchdog_start(watchdog_fn fn, void *data);
/* Times name (copied) from now on; the previous one is forgotten. */
void watchdog_arm(const char *name);
void watchdog_disarm(void);
void watchdog_stop(void);
guint watchdog_cap_ms(void);

#endif
