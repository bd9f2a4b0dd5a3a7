/*
 * lamplight backup DIR: a consistent copy of the state directory (the
 * database by SQLite's online backup, the spool, the database-id and a
 * manifest) into a new or empty DIR, while runs go on; never the keys.
 * lamplight restore DIR: that copy back into an empty or missing state
 * directory, when the configured keys are the backup's.  backup.h does
 * the work.
 */
#include <stdio.h>

#include "backup.h"
#include "cmd.h"
#include "statedir.h"

static const GOptionEntry no_options[] = {
	{ NULL },
};

const struct cmd_info cmd_backup_info = {
	.name = "backup",
	.summary = "copy the database and spool (never the keys) into DIR",
	.args = "DIR",
	.min_args = 1,
	.max_args = 1,
	.options = no_options,
};

const struct cmd_info cmd_restore_info = {
	.name = "restore",
	.summary = "a backup into an empty state directory",
	.args = "DIR",
	.min_args = 1,
	.max_args = 1,
	.options = no_options,
};

static void
manifest_print(const struct backup_manifest *m)
{
	printf("database %s (schema %d), lamplight %s, made %s\n"
	       "%" G_GINT64_FORMAT " cases, %" G_GINT64_FORMAT " letters, "
	       "%" G_GINT64_FORMAT " mails in the outbox, %u spool files\n"
	       "keys: token %s, data %s (fingerprints; the keys are not in "
	       "the backup)\n",
	       m->database_id, m->schema, m->version, m->made, m->cases,
	       m->arrivals, m->outbox, m->files, m->token_key, m->data_key);
	if (m->absent > 0)
		printf("%u letter(s) the database names were not in the "
		       "spool (erased or lost before the backup)\n",
		       m->absent);
}

int
cmd_backup(int argc, char **argv)
{
	struct backup_manifest m = { 0 };
	struct config *cfg;
	struct store *s = NULL;
	struct err err = { 0 };
	const char *dir;
	int rc;

	/* DIR new or empty, outside the state directory; runs may go on
	 * meanwhile. */
	cmd_parse(&argc, &argv, &cmd_backup_info);
	dir = argv[1];
	cfg = cmd_load_config();
	if (cfg == NULL)
		return EXIT_CONFIG;
	if (backup_target_check(cfg, dir, &err) != ST_OK) {
		fprintf(stderr, "lamplight backup: %s\n", err.msg);
		config_free(cfg);
		return EXIT_USAGE;
	}
	rc = cmd_open_store(cfg, "backup", &s);
	if (rc == 0 && backup_make(cfg, s, dir, &m, &err) != ST_OK) {
		fprintf(stderr, "lamplight backup: %s\n", err.msg);
		rc = cmd_exit_for(&err);
	} else if (rc == 0) {
		printf("backed up %s into %s\n", cfg->state_dir, dir);
		manifest_print(&m);
	}
	backup_manifest_clear(&m);
	store_close(s);
	config_free(cfg);
	return rc;
}

int
cmd_restore(int argc, char **argv)
{
	struct backup_manifest m = { 0 };
	struct config *cfg;
	struct store *s = NULL;
	struct err err = { 0 };
	const char *dir;
	int rc = EXIT_OK;

	/* Into an empty or missing state directory; the configured keys
	 * must be the backup's. */
	cmd_parse(&argc, &argv, &cmd_restore_info);
	dir = argv[1];
	cfg = cmd_load_config();
	if (cfg == NULL)
		return EXIT_CONFIG;
	if (backup_restore(cfg, dir, &m, &err) != ST_OK) {
		fprintf(stderr, "lamplight restore: %s\n", err.msg);
		rc = cmd_exit_for(&err);
	} else {
		/* Opened as a run would open it: identity and keys. */
		rc = cmd_open_store(cfg, "restore", &s);
	}
	if (rc == EXIT_OK) {
		printf("restored %s into %s\n", dir, cfg->state_dir);
		manifest_print(&m);
	}
	backup_manifest_clear(&m);
	store_close(s);
	config_free(cfg);
	return rc;
}
