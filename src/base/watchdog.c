/*
 * The watchdog thread wakes a few times per cap and checks whether the
 * message being read has overrun: then it raises the flag the readers
 * ask, and gives them as long again before calling the callback.
 * Arming and disarming only take a mutex and never wake it: they happen
 * once or twice per message.
 */
#include <stdlib.h>

#include "watchdog.h"

static GMutex lock;
static GCond cond;
static GThread *thread;
static gboolean stopping;
static char *armed;		/* the message being read, or NULL */
static gint64 deadline;		/* monotonic microseconds */
static gint expired;		/* the armed reading is over its cap */
static watchdog_fn callback;
static void *callback_data;

guint
watchdog_cap_ms(void)
{
	const char *env = g_getenv("LAMPLIGHT_READ_CAP_MS");
	guint64 v;

	if (env != NULL && *env) {
		v = g_ascii_strtoull(env, NULL, 10);
		if (v > 0 && v < G_MAXUINT)
			return (guint)v;
	}
	return WATCHDOG_READ_CAP_MS;
}

/* How long a reader over its cap has to give up: the cap again, and
 * never under STUCK_AFTER_MS (a library call may be long). */
static gint64
grace(void)
{
	return (gint64)MAX(watchdog_cap_ms(), WATCHDOG_STUCK_AFTER_MS) * 1000;
}

static gpointer
watch(gpointer unused)
{
	/* A few looks per cap, between 10 ms and a second apart. */
	gint64 step = CLAMP((gint64)watchdog_cap_ms() * 1000 / 4, 10000,
			    G_USEC_PER_SEC);

	g_mutex_lock(&lock);
	while (!stopping) {
		g_cond_wait_until(&cond, &lock, g_get_monotonic_time() + step);
		if (armed == NULL || g_get_monotonic_time() < deadline)
			continue;
		if (!g_atomic_int_get(&expired)) {
			/* Over the cap: the reader is to give up. */
			g_atomic_int_set(&expired, 1);
			deadline = g_get_monotonic_time() + grace();
			continue;
		}
		/* Stuck: the callback does not return in practice. */
		callback(armed, callback_data);
		g_clear_pointer(&armed, g_free);
	}
	g_mutex_unlock(&lock);
	return NULL;
}

void
watchdog_start(watchdog_fn fn, void *data)
{
	callback = fn;
	callback_data = data;
	stopping = FALSE;
	thread = g_thread_new("watchdog", watch, NULL);
}

void
watchdog_arm(const char *name)
{
	if (thread == NULL)
		return;
	g_mutex_lock(&lock);
	g_free(armed);
	armed = g_strdup(name);
	deadline = g_get_monotonic_time() + (gint64)watchdog_cap_ms() * 1000;
	g_atomic_int_set(&expired, 0);
	g_mutex_unlock(&lock);
}

gboolean
watchdog_expired(void)
{
	return g_atomic_int_get(&expired) != 0;
}

gboolean
watchdog_disarm(void)
{
	gboolean over;

	if (thread == NULL)
		return FALSE;
	g_mutex_lock(&lock);
	g_clear_pointer(&armed, g_free);
	over = g_atomic_int_get(&expired) != 0;
	g_atomic_int_set(&expired, 0);
	g_mutex_unlock(&lock);
	return over;
}

void
watchdog_stop(void)
{
	if (thread == NULL)
		return;
	g_mutex_lock(&lock);
	stopping = TRUE;
	g_cond_signal(&cond);
	g_mutex_unlock(&lock);
	g_thread_join(thread);
	thread = NULL;
	g_clear_pointer(&armed, g_free);
}
