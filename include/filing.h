/*
 * Filing the spool: read, classify and record each letter in spool/new,
 * with what it does to the cases (casework.h), in one transaction, then
 * move its file to cur/.  Reading (the rules, the read-time watchdog)
 * is reader.h's.
 */
#ifndef LAMPLIGHT_FILING_H
#define LAMPLIGHT_FILING_H

#include <glib.h>

#include "casework.h"
#include "err.h"
#include "run.h"
#include "spool.h"
#include "store.h"

struct filing;

/* Opens the reader (reader.h): the rules of cfg, the watchdog. */
enum status filing_open(const struct config *cfg, const struct run_opts *opts,
			struct run_stats *stats, struct spool *spool,
			struct store *store, struct casework *cw,
			struct filing **out, struct err *err);
void filing_close(struct filing *f);

/* Files everything waiting in spool/new, oldest first, emergencies
 * before all. */
enum status filing_spool(struct filing *f, struct err *err);

/*
 * Files the letters in pending (spool names, taken out as filed).
 * Emergencies first, each in its own transaction and its mail sent at
 * once; then (unless urgent_only) the others, a group to a transaction.
 * When events is given and mail arrives meanwhile, it returns after the
 * group, with the rest still pending, so that the new mail is looked at
 * first.
 */
enum status filing_pending(struct filing *f, GPtrArray *pending,
			   GAsyncQueue *events, gboolean urgent_only,
			   struct err *err);

#endif
