/*
 * The fetch thread pool: each configured mailbox is fetched into the
 * spool by a job of its own, and what they spool is filed by the main
 * thread as it arrives (filing.h); a source is marked done only after
 * what it gave is filed.
 */
#ifndef LAMPLIGHT_FETCHPOOL_H
#define LAMPLIGHT_FETCHPOOL_H

#include "err.h"
#include "filing.h"
#include "run.h"
#include "spool.h"

/* Fetches every mailbox of cfg (opts->only: one), filing with f.  Each
 * job opens db_path itself. */
enum status fetchpool_run(const struct config *cfg,
			  const struct run_opts *opts,
			  struct run_stats *stats, struct spool *spool,
			  const char *db_path, struct filing *f,
			  struct err *err);

#endif
