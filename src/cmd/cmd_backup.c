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

/* The one argument DIR of command, or NULL after saying why. */
static const char *
dir_arg(int argc, char **argv, const char *command)
{
	if (argc == 2)
		return argv[1];
	fprintf(stderr, "lamplight %s: %s\n", command,
		argc < 2 ? "which directory? (DIR)" : "one DIR only");
	return NULL;
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

	cmd_parse(&argc, &argv, "DIR",
		  "Copy the database and the spool into DIR (new or empty, "
		  "outside the state directory), never the keys; runs may "
		  "go on meanwhile.",
		  no_options);
	dir = dir_arg(argc, argv, "backup");
	if (dir == NULL)
		return EXIT_USAGE;
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

	cmd_parse(&argc, &argv, "DIR",
		  "Restore the backup in DIR into the state directory, "
		  "which must be empty or missing; the configured keys must "
		  "be the backup's.",
		  no_options);
	dir = dir_arg(argc, argv, "restore");
	if (dir == NULL)
		return EXIT_USAGE;
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
