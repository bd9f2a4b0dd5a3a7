/*
 * lamplight classify [--json] FILE...: how lamplight reads each message,
 * without filing anything.  --json prints one object per file per line
 * with the field names of the labelled corpus (LABELS.md).
 */
#include <stdio.h>

#include <string.h>
#include <unistd.h>

#include "classify.h"
#include "cmd.h"
#include "log.h"
#include "watchdog.h"

static gboolean arg_json;
static char *arg_rules;
static char *arg_files_from;

static const GOptionEntry classify_options[] = {
	{ "json", 0, 0, G_OPTION_ARG_NONE, &arg_json,
	  "one JSON object per file, on one line", NULL },
	{ "rules", 0, 0, G_OPTION_ARG_FILENAME, &arg_rules,
	  "rules directory (default: the config's rules_dir)", "DIR" },
	{ "files-from", 0, 0, G_OPTION_ARG_FILENAME, &arg_files_from,
	  "read the names of the files, one per line, from FILE (- for "
	  "standard input)", "FILE" },
	{ NULL },
};

static void
print_text(const char *file, const struct classification *c)
{
	printf("%s: %s", file, kind_name(c->kind));
	printf(", county %s", c->county[0] ? c->county : "unknown");
	if (c->triage != NULL) {
		printf(", urgency %s", urgency_name(c->triage->urgency));
		for (guint i = 0; i < c->triage->needs->len; i++)
			printf("%s%s", i ? " " : ", needs ",
			       (char *)c->triage->needs->pdata[i]);
	}
	if (c->case_ref != NULL)
		printf(", case %s", c->case_ref);
	printf(", %s\n", c->reply_addr ? "answerable" : "no answer");
	for (guint i = 0; c->triage != NULL && i < c->triage->hits->len; i++) {
		const struct rule_hit *h =
			&g_array_index(c->triage->hits, struct rule_hit, i);

		printf("  %s (%+d) at %ld-%ld: %s\n", rule_id(h->rule),
		       rule_weight(h->rule), h->start, h->end, h->match);
	}
}

static int
classify_file(const struct classify_ctx *ctx, const char *file,
	      gsize max_bytes)
{
	g_autofree char *data = NULL;
	g_autoptr(GError) gerr = NULL;
	struct mail_msg *m = NULL;
	struct classification *c = NULL;
	struct err err = { 0 };
	gsize len;

	if (!g_file_get_contents(file, &data, &len, &gerr)) {
		log_error("%s", gerr->message);
		return EXIT_DATAERR;
	}
	if (len > max_bytes) {
		log_error("%s: over the size cap", file);
		return EXIT_DATAERR;
	}
	watchdog_arm(file);
	if (mail_parse(data, len, &m, &err) != ST_OK ||
	    classify_mail(ctx, m, &c, &err) != ST_OK) {
		watchdog_disarm();
		log_error("%s: %s", file, err.msg);
		mail_msg_free(m);
		return EXIT_DATAERR;
	}
	watchdog_disarm();
	if (arg_json) {
		g_autoptr(JsonNode) node =
			classification_to_json_full(c, m, file);
		g_autofree char *s = json_to_string(node, FALSE);

		printf("%s\n", s);
	} else {
		print_text(file, c);
	}
	classification_free(c);
	mail_msg_free(m);
	return EXIT_OK;
}

/* A message that overran the time cap: say so, and stop. */
static void
overrun(const char *file, void *data)
{
	fflush(stdout);
	log_error("%s: reading it took over %u ms; stopping", file,
		  watchdog_cap_ms());
	_exit(EXIT_SOFTWARE);
}

int
cmd_classify(int argc, char **argv)
{
	struct config *cfg = NULL;
	struct ruleset *rules = NULL;
	struct classify_ctx ctx = { 0 };
	struct err err = { 0 };
	gsize max_bytes = 25u << 20;
	int rc = EXIT_OK;

	cmd_parse(&argc, &argv, "FILE...",
		  "Show kind, centre, urgency, needs and reasons of each "
		  "message.", classify_options);
	if (argc < 2 && arg_files_from == NULL) {
		fprintf(stderr, "lamplight classify: name at least one FILE\n");
		return EXIT_USAGE;
	}
	if (arg_rules == NULL || arg_config != NULL) {
		cfg = cmd_load_config();
		if (cfg == NULL)
			return EXIT_CONFIG;
		max_bytes = cfg->max_message_bytes;
	}
	if (rules_load_dir(arg_rules ? arg_rules : cfg->rules_dir, &rules,
			   &err) != ST_OK) {
		fprintf(stderr, "%s\n", err.msg);
		config_free(cfg);
		return EXIT_CONFIG;
	}
	ctx.cfg = cfg;
	ctx.rules = rules;
	watchdog_start(overrun, NULL);
	for (int i = 1; i < argc; i++) {
		int r = classify_file(&ctx, argv[i], max_bytes);

		if (r != EXIT_OK)
			rc = r;
	}
	if (arg_files_from != NULL) {
		FILE *f = strcmp(arg_files_from, "-") == 0
				  ? stdin
				  : fopen(arg_files_from, "r");
		char line[4096];

		if (f == NULL) {
			log_error("cannot read %s", arg_files_from);
			rc = EXIT_DATAERR;
		}
		while (f != NULL && fgets(line, sizeof line, f) != NULL) {
			int r;

			line[strcspn(line, "\r\n")] = '\0';
			if (line[0] == '\0')
				continue;
			r = classify_file(&ctx, line, max_bytes);
			if (r != EXIT_OK)
				rc = r;
		}
		if (f != NULL && f != stdin)
			fclose(f);
	}
	watchdog_stop();
	ruleset_free(rules);
	config_free(cfg);
	g_free(arg_rules);
	g_free(arg_files_from);
	return rc;
}
