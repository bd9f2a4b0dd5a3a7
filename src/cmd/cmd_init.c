/*
 * lamplight init: initialises the state directory of the config, as the
 * first run into an empty one would: the database, its identity and its
 * two keys (statedir.h).  Nothing is fetched or sent.  A directory that
 * holds a database already is only checked.
 */
#include <stdio.h>
#include <unistd.h>

#include "cmd.h"
#include "run.h"
#include "statedir.h"

static const GOptionEntry init_options[] = {
	{ NULL },
};

const struct cmd_info cmd_init_info = {
	.name = "init",
	.summary = "make the state directory: database, identity and keys",
	.args = "",
	.options = init_options,
};

int
cmd_init(int argc, char **argv)
{
	g_autofree char *id_path = NULL, *id = NULL;
	struct config *cfg;
	struct store *s = NULL;
	struct err err = { 0 };
	gboolean locked = FALSE, was;
	int fd = -1, rc = EXIT_OK;

	cmd_parse(&argc, &argv, &cmd_init_info);
	cfg = cmd_load_config();
	if (cfg == NULL)
		return EXIT_CONFIG;
	id_path = g_build_filename(cfg->state_dir, "database-id", NULL);
	was = access(id_path, F_OK) == 0;
	if (run_lock(cfg->state_dir, "init", &fd, &locked, &err) != ST_OK ||
	    statedir_open(cfg, TRUE, &s, &err) != ST_OK) {
		fprintf(stderr, "lamplight init: %s\n", err.msg);
		rc = locked ? EXIT_LOCKED : cmd_exit_for(&err);
	} else {
		id = statedir_database_id(s);
		printf("%s %s: database %s\ntoken key %s\ndata key %s\n",
		       cfg->state_dir, was ? "was made already" : "made",
		       id, cfg->token_key_file, cfg->data_key_file);
	}
	store_close(s);
	if (fd >= 0)
		close(fd);
	config_free(cfg);
	return rc;
}
