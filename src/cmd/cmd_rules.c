/*
 * lamplight rules check|test: "check" loads every rule file (a broken
 * rule is reported as FILE:LINE:COL) and builds the prefilter; "test"
 * runs the examples and counter-examples that rules carry.
 */
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "rules.h"

static char *arg_dir;

static const GOptionEntry rules_options[] = {
	{ "rules", 0, 0, G_OPTION_ARG_FILENAME, &arg_dir,
	  "rules directory (default: the config's rules_dir)", "DIR" },
	{ NULL },
};

static const struct cmd_verb rules_verbs[] = {
	{ "check", "", 0, 0, "load every rule file (a broken rule is said "
	  "as FILE:LINE:COL) and build the prefilter", NULL },
	{ "test", "", 0, 0, "run the examples and counter-examples the "
	  "rules carry", NULL },
	{ NULL },
};

const struct cmd_info cmd_rules_info = {
	.name = "rules",
	.summary = "check the triage rules and their examples",
	.verbs = rules_verbs,
	.options = rules_options,
};

int
cmd_rules(int argc, char **argv)
{
	g_autoptr(GPtrArray) failures = g_ptr_array_new_with_free_func(g_free);
	struct config *cfg = NULL;
	struct ruleset *rules = NULL;
	struct err err = { 0 };
	gboolean test;
	guint checks;
	int rc = EXIT_OK;

	cmd_parse(&argc, &argv, &cmd_rules_info);
	test = strcmp(argv[1], "test") == 0;
	if (arg_dir == NULL) {
		cfg = cmd_load_config();
		if (cfg == NULL)
			return EXIT_CONFIG;
	}
	if (rules_load_dir(arg_dir ? arg_dir : cfg->rules_dir, &rules,
			   &err) != ST_OK) {
		fprintf(stderr, "%s\n", err.msg);
		config_free(cfg);
		g_free(arg_dir);
		return EXIT_CONFIG;
	}
	if (test) {
		checks = rules_check_examples(rules, failures);
		for (guint i = 0; i < failures->len; i++)
			fprintf(stderr, "%s\n", (char *)failures->pdata[i]);
		printf("%u rules, %u examples: %u passed, %u failed\n",
		       ruleset_size(rules), checks, checks - failures->len,
		       failures->len);
		if (failures->len > 0)
			rc = EXIT_DATAERR;
	} else {
		/* Compiles (and caches) the prefilter, as the first triage
		 * would; says which rules it cannot screen. */
		printf("%u rules: ok; the prefilter screens %u of them\n",
		       ruleset_size(rules), rules_prepare(rules));
	}
	ruleset_free(rules);
	config_free(cfg);
	g_free(arg_dir);
	return rc;
}
