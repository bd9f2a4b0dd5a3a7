/*
 * lamplight config check: loads the config as a run would, and also the
 * rules and templates it names, reporting every problem as FILE:LINE.
 */
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "notify.h"
#include "rules.h"

int
cmd_config(int argc, char **argv)
{
	struct config *cfg;
	struct ruleset *rules = NULL;
	struct notify *notify = NULL;
	struct err err = { 0 };
	guint fetched = 0;
	int rc = EXIT_OK;

	cmd_parse(&argc, &argv, "check",
		  "Check the configuration and what it names.", NULL);
	if (argc != 2 || strcmp(argv[1], "check") != 0) {
		fprintf(stderr, "usage: lamplight config check [-c FILE]\n");
		return EXIT_USAGE;
	}
	cfg = cmd_load_config();
	if (cfg == NULL)
		return EXIT_CONFIG;
	if (rules_load_dir(cfg->rules_dir, &rules, &err) != ST_OK) {
		fprintf(stderr, "%s\n", err.msg);
		rc = EXIT_CONFIG;
	}
	err_clear(&err);
	if (notify_open(cfg->templates_dir, &notify, &err) != ST_OK) {
		fprintf(stderr, "%s\n", err.msg);
		rc = EXIT_CONFIG;
	}
	for (guint i = 0; i < cfg->centres->len; i++)
		if (((struct centre *)cfg->centres->pdata[i])->mailbox)
			fetched++;
	if (rc == EXIT_OK)
		printf("%s: ok: %u centres, %u mailboxes, %u rules\n",
		       cfg->path, cfg->centres->len, fetched,
		       ruleset_size(rules));
	notify_close(notify);
	ruleset_free(rules);
	config_free(cfg);
	return rc;
}
