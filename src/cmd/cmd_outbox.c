/*
 * lamplight outbox list [--state STATE] [--json] | show ID | retry ID |
 * retry --failed | retry --all | cancel ID: the mail lamplight has to
 * send, has sent or could not send.  Seekers' addresses are masked in
 * the list; show prints one mail whole, as it went (it is sealed at
 * rest: the data key opens it).
 * retry sends a failed, bounced or waiting mail on the next run (with the
 * same Message-ID): one, every failed one (after a wrong password was put
 * right, say), or every one not sent; cancel keeps a queued or failed one
 * from ever going.  Both are recorded on the mail's case.
 */
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "outbox.h"
#include "people.h"
#include "store.h"
#include "twtime.h"

static char *arg_state;
static gboolean arg_json;
static char *arg_why;
static gboolean arg_failed, arg_all, arg_reveal;

static const GOptionEntry outbox_options[] = {
	{ "state", 0, 0, G_OPTION_ARG_STRING, &arg_state,
	  "list: queued, sent, failed, bounced or cancelled", "STATE" },
	{ "json", 0, 0, G_OPTION_ARG_NONE, &arg_json, "print JSON", NULL },
	{ "reveal", 0, 0, G_OPTION_ARG_NONE, &arg_reveal,
	  "list: writers' addresses unmasked (sealed at rest)", NULL },
	{ "why", 0, 0, G_OPTION_ARG_STRING, &arg_why,
	  "retry, cancel: the reason, kept on the case", "TEXT" },
	{ "failed", 0, 0, G_OPTION_ARG_NONE, &arg_failed,
	  "retry: every failed mail", NULL },
	{ "all", 0, 0, G_OPTION_ARG_NONE, &arg_all,
	  "retry: every mail not sent (failed, bounced or waiting)", NULL },
	{ NULL },
};

static const struct cmd_verb outbox_verbs[] = {
	{ "list", "", 0, 0, "the mail to send, sent and not sent (writers' "
	  "addresses masked)", "state json reveal" },
	{ "show", "ID", 1, 1, "one mail whole, as it went", "" },
	{ "retry", "ID | --failed | --all", 0, 1, "send again on the next "
	  "run, with the same Message-ID: one mail, every failed one, or "
	  "every one not sent", "why failed all" },
	{ "cancel", "ID", 1, 1, "keep a queued or failed mail from ever "
	  "going", "why" },
	{ NULL },
};

const struct cmd_info cmd_outbox_info = {
	.name = "outbox",
	.summary = "mail to send and sent: list, show, retry, cancel",
	.verbs = outbox_verbs,
	.options = outbox_options,
};

/* The text members of a listed mail, in the order they are shown. */
static void
set_text(JsonObject *o, const char *member, const char *v)
{
	if (v != NULL)
		json_object_set_string_member(o, member, v);
	else
		json_object_set_null_member(o, member);
}

static JsonObject *
entry_json(const struct outbox_entry *e)
{
	JsonObject *o = json_object_new();

	json_object_set_int_member(o, "id", e->id);
	json_object_set_int_member(o, "attempts", e->attempts);
	set_text(o, "case", e->case_number);
	set_text(o, "kind", e->kind);
	/* Answers go to seekers: their address is personal data. */
	if (!arg_reveal && outbox_to_writer(e->kind)) {
		g_autofree char *m = people_mask("email", e->rcpt);

		set_text(o, "rcpt", m);
	} else {
		set_text(o, "rcpt", e->rcpt);
	}
	set_text(o, "state", e->state);
	set_text(o, "next_at", e->next_at);
	set_text(o, "sent_at", e->sent_at);
	set_text(o, "last_error", e->last_error);
	return o;
}

static int
do_list(struct store *s)
{
	JsonArray *a = json_array_new();
	g_autoptr(JsonNode) node = json_node_new(JSON_NODE_ARRAY);
	g_autoptr(GPtrArray) list = NULL;
	struct err err = { 0 };

	json_node_take_array(node, a);
	if (outbox_list(s, arg_state, &list, &err) != ST_OK) {
		fprintf(stderr, "lamplight outbox: %s\n", err.msg);
		return EXIT_SOFTWARE;
	}
	for (guint i = 0; i < list->len; i++)
		json_array_add_object_element(a, entry_json(list->pdata[i]));
	if (arg_json) {
		g_autofree char *text = json_to_string(node, TRUE);

		printf("%s\n", text);
		return EXIT_OK;
	}
	for (guint i = 0; i < json_array_get_length(a); i++) {
		JsonObject *o = json_array_get_object_element(a, i);
		const char *err_text =
			json_object_get_string_member_with_default(
				o, "last_error", NULL);

		printf("%5" G_GINT64_FORMAT " %-9s %-8s %-18s %-30s %s\n",
		       json_object_get_int_member(o, "id"),
		       json_object_get_string_member(o, "state"),
		       json_object_get_string_member(o, "kind"),
		       json_object_get_string_member_with_default(o, "case",
								  "-"),
		       json_object_get_string_member(o, "rcpt"),
		       err_text != NULL ? err_text : "");
	}
	printf("%u mails\n", json_array_get_length(a));
	return EXIT_OK;
}

/* retry or cancel one mail, with an audit row on its case. */
static int
do_change(struct store *s, const char *verb, const char *id_text)
{
	g_autoptr(GDateTime) now = twtime_now();
	g_autofree char *was = NULL;
	gboolean retry = strcmp(verb, "retry") == 0;
	gint64 id = g_ascii_strtoll(id_text, NULL, 10);
	gboolean done = FALSE;
	struct err err = { 0 };
	enum status st;

	st = outbox_change(s, id, retry, arg_why, now, &was, &done, &err);
	if (st != ST_OK) {
		fprintf(stderr, "lamplight outbox: %s\n", err.msg);
		return st == ST_TEMP ? EXIT_TEMPFAIL : EXIT_SOFTWARE;
	}
	if (was == NULL) {
		fprintf(stderr, "lamplight outbox: no mail %s\n", id_text);
		return EXIT_DATAERR;
	}
	if (!done) {
		fprintf(stderr, "lamplight outbox: mail %s is %s: it cannot "
			"be %s\n", id_text, was,
			retry ? "retried" : "cancelled");
		return EXIT_DATAERR;
	}
	printf("mail %s: %s\n", id_text, retry ? "queued again" : "cancelled");
	return EXIT_OK;
}

/* retry --failed or --all: each mail of those states, one by one. */
static int
do_show(struct store *s, const char *id_text)
{
	g_autoptr(GBytes) data = NULL;
	struct err err = { 0 };
	gint64 id = g_ascii_strtoll(id_text, NULL, 10);
	const char *p;
	gsize len;

	if (outbox_message(s, id, &data, &err) != ST_OK) {
		fprintf(stderr, "lamplight outbox: %s\n", err.msg);
		return cmd_exit_for(&err);
	}
	if (data == NULL) {
		fprintf(stderr, "lamplight outbox: no mail %s (or erased)\n",
			id_text);
		return EXIT_DATAERR;
	}
	p = g_bytes_get_data(data, &len);
	fwrite(p, 1, len, stdout);
	return EXIT_OK;
}

static int
do_retry_many(struct store *s)
{
	static const char *const failed[] = { "failed", NULL };
	static const char *const all[] = { "failed", "bounced", "queued",
					   NULL };
	const char *const *states = arg_all ? all : failed;
	guint n = 0;

	for (int k = 0; states[k] != NULL; k++) {
		g_autoptr(GPtrArray) list = NULL;
		struct err err = { 0 };

		if (outbox_list(s, states[k], &list, &err) != ST_OK) {
			fprintf(stderr, "lamplight outbox: %s\n", err.msg);
			return err.status == ST_TEMP ? EXIT_TEMPFAIL
						     : EXIT_SOFTWARE;
		}
		for (guint i = 0; i < list->len; i++) {
			const struct outbox_entry *e = list->pdata[i];
			g_autoptr(GDateTime) now = twtime_now();
			g_autofree char *was = NULL;
			gboolean done = FALSE;

			if (outbox_change(s, e->id, TRUE, arg_why, now, &was,
					  &done, &err) != ST_OK) {
				fprintf(stderr, "lamplight outbox: %s\n",
					err.msg);
				return err.status == ST_TEMP ? EXIT_TEMPFAIL
							     : EXIT_SOFTWARE;
			}
			n += done;
		}
	}
	printf("%u mail%s queued again\n", n, n == 1 ? "" : "s");
	return EXIT_OK;
}

int
cmd_outbox(int argc, char **argv)
{
	struct config *cfg;
	struct store *s = NULL;
	const char *verb;
	int rc;

	cmd_parse(&argc, &argv, &cmd_outbox_info);
	verb = argv[1];
	if ((arg_failed || arg_all) &&
	    (strcmp(verb, "retry") != 0 || argc == 3))
		return cmd_usage_error("--failed and --all are for retry "
				       "without an ID");
	if (strcmp(verb, "retry") == 0 && argc == 2 && !arg_failed &&
	    !arg_all)
		return cmd_usage_error("retry needs ID, --failed or --all");
	cfg = cmd_load_config();
	if (cfg == NULL)
		return EXIT_CONFIG;
	rc = cmd_open_store(cfg, "outbox", &s);
	if (rc != 0) {
		config_free(cfg);
		return rc;
	}
	if (strcmp(verb, "list") == 0)
		rc = do_list(s);
	else if (strcmp(verb, "show") == 0)
		rc = do_show(s, argv[2]);
	else if (argc == 2)
		rc = do_retry_many(s);
	else
		rc = do_change(s, verb, argv[2]);
	store_close(s);
	config_free(cfg);
	return rc;
}
