/*
 * A configuration for the unit tests that need one: its state in
 * DIR/state, the tree's rules, templates and calendar, an SMTP server
 * nobody listens on (mail waits in the outbox), and the centres given.
 */
#ifndef LAMPLIGHT_TESTCONFIG_H
#define LAMPLIGHT_TESTCONFIG_H

#include "config.h"

/* Writes DIR/t.conf with centres (their [centre] blocks) and loads it;
 * NULL, each problem printed, if it does not load. */
static inline struct config *
test_config(const char *dir, const char *centres)
{
	g_autoptr(GPtrArray) problems = g_ptr_array_new_with_free_func(g_free);
	g_autofree char *path = g_build_filename(dir, "t.conf", NULL);
	g_autofree char *text = g_strdup_printf(
		"[lamplight]\nstate_dir = %s/state\nrules_dir = %s/rules\n"
		"templates_dir = %s/templates\n"
		"calendar = %s/data/calendar/tw-gov.cal\n\n"
		"[smtp]\nurl = smtp://127.0.0.1:1/lamplight.test\n\n%s",
		dir, SOURCE_ROOT, SOURCE_ROOT, SOURCE_ROOT, centres);
	struct config *cfg = NULL;
	struct err err = { 0 };

	if (!g_file_set_contents(path, text, -1, NULL))
		return NULL;
	if (config_load(path, &cfg, problems, &err) != ST_OK) {
		for (guint i = 0; i < problems->len; i++)
			print_error("%s\n", (char *)problems->pdata[i]);
		print_error("%s\n", err.msg);
		return NULL;
	}
	return cfg;
}

#endif
