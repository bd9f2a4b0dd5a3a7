/*
 * Trying the servers before trusting them: log in to every mailbox and
 * to the SMTP server as a run would, fetch nothing, send nothing, and
 * say how each went (lamplight config check --connect).
 */
#ifndef LAMPLIGHT_PROBE_H
#define LAMPLIGHT_PROBE_H

#include <glib.h>

#include "config.h"
#include "err.h"

/*
 * Logs in to each mailbox of cfg, then to its SMTP server, and adds a
 * line per server to worked or to failed (new strings, owned by the
 * arrays, which should free them): the server's host and port, and
 * what went wrong.  Returns the worst: ST_OK; ST_FATAL when the SMTP
 * server refused the login or TLS (the set-up's to put right);
 * ST_SOURCE_BAD when any other server failed.
 */
enum status probe_servers(const struct config *cfg, GPtrArray *worked,
			  GPtrArray *failed);

#endif
