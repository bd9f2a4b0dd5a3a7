/*
 * lamplight config check: loads the config as a run would, and also the
 * rules, templates and calendar it names, reporting every problem as
 * FILE:LINE; then the files a run will use, as the user it runs as sees
 * them: the state directory (its owner and mode), the database and its
 * keys (statedir.h), the CA files and the Maildir mailboxes.  With
 * --connect it also logs in to every mailbox and the SMTP server.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "calendar.h"
#include "cmd.h"
#include "notify.h"
#include "probe.h"
#include "rules.h"
#include "run.h"
#include "statedir.h"

/* Prints a problem with path, for the user this runs as. */
static int
unusable(const char *what, const char *path, int mode)
{
	if (access(path, mode) == 0)
		return EXIT_OK;
	fprintf(stderr, "%s %s: %s (as uid %u)\n", what, path,
		g_strerror(errno), (unsigned)geteuid());
	return EXIT_CONFIG;
}

/* The state directory, its database and keys; what was found is added
 * to said, shown after the verdict. */
static int
check_state(const struct config *cfg, GString *said)
{
	g_autofree char *db = g_build_filename(cfg->state_dir, "lamplight.db",
					       NULL);
	g_autofree char *id = g_build_filename(cfg->state_dir, "database-id",
					       NULL);
	g_autofree char *parent = g_path_get_dirname(cfg->state_dir);
	g_autofree char *which = NULL;
	struct err err = { 0 };

	if (access(cfg->state_dir, F_OK) != 0) {
		g_string_append_printf(said, "%s: not there yet: the first "
				       "run (or lamplight init) makes it\n",
				       cfg->state_dir);
		/* Made with its parents: in the nearest that is there. */
		while (access(parent, F_OK) != 0 && strcmp(parent, "/") != 0 &&
		       strcmp(parent, ".") != 0) {
			char *up = g_path_get_dirname(parent);

			g_free(parent);
			parent = up;
		}
		return unusable("cannot make the state directory in", parent,
				W_OK | X_OK);
	}
	if (run_check_state_dir(cfg->state_dir, "config check", &err) !=
		    ST_OK ||
	    unusable("state directory", cfg->state_dir, R_OK | W_OK | X_OK) !=
		    EXIT_OK) {
		if (err.msg[0] != '\0')
			fprintf(stderr, "%s\n", err.msg);
		return EXIT_CONFIG;
	}
	if (access(db, F_OK) != 0 && access(id, F_OK) != 0) {
		g_string_append_printf(said, "%s: no database yet: the first "
				       "run (or lamplight init) makes it\n",
				       cfg->state_dir);
		return EXIT_OK;
	}
	if (statedir_check(cfg, &which, &err) != ST_OK) {
		fprintf(stderr, "%s\n", err.msg);
		return cmd_exit_for(&err);
	}
	g_string_append_printf(said, "%s: database %s, with its keys\n",
			       cfg->state_dir, which);
	return EXIT_OK;
}

/* What a run reads besides the config: CA files, Maildir mailboxes. */
static int
check_paths(const struct config *cfg)
{
	int rc = EXIT_OK;

	if (cfg->smtp_ca_file != NULL &&
	    unusable("[smtp] ca_file", cfg->smtp_ca_file, R_OK) != EXIT_OK)
		rc = EXIT_CONFIG;
	for (guint i = 0; i < cfg->centres->len; i++) {
		const struct centre *c = cfg->centres->pdata[i];

		if (c->ca_file != NULL &&
		    unusable("ca_file", c->ca_file, R_OK) != EXIT_OK)
			rc = EXIT_CONFIG;
		if (c->mailbox != NULL &&
		    g_str_has_prefix(c->mailbox, "maildir:")) {
			g_autofree char *nw = g_build_filename(
				c->mailbox + strlen("maildir:"), "new", NULL);

			if (unusable("Maildir", nw, R_OK | W_OK | X_OK) !=
			    EXIT_OK)
				rc = EXIT_CONFIG;
		}
	}
	return rc;
}

static gboolean arg_connect;

static const GOptionEntry config_options[] = {
	{ "connect", 0, 0, G_OPTION_ARG_NONE, &arg_connect,
	  "log in to every mailbox and the SMTP server (nothing fetched, "
	  "nothing sent)", NULL },
	{ NULL },
};

static const struct cmd_verb config_verbs[] = {
	{ "check", "", 0, 0, "load the config as a run would, and the rules, "
	  "templates and calendar it names; then the files a run uses, as "
	  "this user sees them", NULL },
	{ NULL },
};

const struct cmd_info cmd_config_info = {
	.name = "config",
	.summary = "check the configuration and what it names",
	.verbs = config_verbs,
	.options = config_options,
};

/* Each server logged in to, as a run would; see probe.h. */
static int
check_connect(const struct config *cfg)
{
	g_autoptr(GPtrArray) worked = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GPtrArray) failed = g_ptr_array_new_with_free_func(g_free);
	enum status st = probe_servers(cfg, worked, failed);

	for (guint i = 0; i < worked->len; i++)
		printf("%s\n", (char *)worked->pdata[i]);
	for (guint i = 0; i < failed->len; i++)
		fprintf(stderr, "%s\n", (char *)failed->pdata[i]);
	return st == ST_OK      ? EXIT_OK
	       : st == ST_FATAL ? EXIT_CONFIG
				: EXIT_UNAVAILABLE;
}

int
cmd_config(int argc, char **argv)
{
	struct config *cfg;
	struct ruleset *rules = NULL;
	struct notify *notify = NULL;
	struct calendar *cal = NULL;
	g_autoptr(GString) said = g_string_new(NULL);
	struct err err = { 0 };
	guint fetched = 0;
	int rc = EXIT_OK, state_rc;

	cmd_parse(&argc, &argv, &cmd_config_info);
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
	err_clear(&err);
	if (cfg->calendar != NULL &&
	    calendar_load(cfg->calendar, &cal, &err) != ST_OK) {
		fprintf(stderr, "%s\n", err.msg);
		rc = EXIT_CONFIG;
	}
	calendar_free(cal);
	if (check_paths(cfg) != EXIT_OK)
		rc = EXIT_CONFIG;
	state_rc = check_state(cfg, said);
	if (state_rc != EXIT_OK)
		rc = state_rc;
	for (guint i = 0; i < cfg->centres->len; i++)
		if (((struct centre *)cfg->centres->pdata[i])->mailbox)
			fetched++;
	if (rc == EXIT_OK)
		printf("%s: ok: %u centres, %u mailboxes, %u rules\n",
		       cfg->path, cfg->centres->len, fetched,
		       ruleset_size(rules));
	fputs(said->str, stdout);
	/* Only a configuration that loaded is worth trying out. */
	if (arg_connect && rc == EXIT_OK)
		rc = check_connect(cfg);
	notify_close(notify);
	ruleset_free(rules);
	config_free(cfg);
	return rc;
}
