/*
 * lamplight ingest [--centre CODE] < MESSAGE: the MTA pipe.  Exits 0 only
 * once the message is durable in the spool, and 75 (EX_TEMPFAIL) on a
 * temporary failure so that the MTA keeps it and tries again.  Then, if
 * no run holds the lock, it files the spool and sends at once.
 */
#include <stdio.h>
#include <unistd.h>

#include "cmd.h"
#include "log.h"
#include "run.h"
#include "spool.h"

static char *arg_centre;

static const GOptionEntry ingest_options[] = {
	{ "centre", 0, 0, G_OPTION_ARG_STRING, &arg_centre,
	  "the centre whose address received it (else told from To)",
	  "CODE" },
	{ NULL },
};

const struct cmd_info cmd_ingest_info = {
	.name = "ingest",
	.summary = "take one message on standard input (an MTA pipe)",
	.args = "< MESSAGE",
	.max_args = G_MAXUINT,	/* none, but said better than "unexpected" */
	.options = ingest_options,
};

int
cmd_ingest(int argc, char **argv)
{
	g_autofree char *dir = NULL, *name = NULL, *source = NULL;
	struct run_opts opts = { .no_fetch = TRUE };
	struct run_stats stats;
	struct spool *sp = NULL;
	struct config *cfg;
	struct err err = { 0 };
	gboolean locked = FALSE;
	guint64 size = 0;
	enum status st;

	cmd_parse(&argc, &argv, &cmd_ingest_info);
	if (argc > 1)
		return cmd_usage_error("the message comes on standard input, "
				       "not as '%s'", argv[1]);
	cfg = cmd_load_config();
	if (cfg == NULL)
		return EXIT_CONFIG;
	if (arg_centre != NULL) {
		const struct centre *c = cmd_centre_named(cfg, "ingest",
							  arg_centre);

		if (c == NULL) {
			config_free(cfg);
			return EXIT_USAGE;
		}
		source = g_strdup(c->id);
	} else {
		source = g_strdup("ingest");
	}
	dir = g_build_filename(cfg->state_dir, "spool", NULL);
	st = spool_open(dir, &sp, &err);
	if (st == ST_OK)
		st = spool_deliver_fd(sp, source, STDIN_FILENO, &name, &size,
				      &err);
	spool_close(sp);
	if (st != ST_OK) {
		log_error("%s", err.msg);
		config_free(cfg);
		g_free(arg_centre);
		/* The MTA keeps it on 75 and retries; 65 bounces it. */
		return st == ST_MSG_BAD ? EXIT_DATAERR : EXIT_TEMPFAIL;
	}
	log_info("ingested %s (%" G_GUINT64_FORMAT " bytes)", name, size);

	/* Durable now: whatever happens next, the MTA may forget it. */
	run_stats_init(&stats);
	err_clear(&err);
	st = run_once(cfg, &opts, &stats, &locked, &err);
	if (st != ST_OK && !locked)
		log_warn("filing postponed to the next run: %s", err.msg);
	if (arg_verbose)
		for (guint i = 0; i < stats.report->len; i++)
			printf("%s\n", (char *)stats.report->pdata[i]);
	run_stats_done(&stats);
	config_free(cfg);
	g_free(arg_centre);
	return EXIT_OK;
}
