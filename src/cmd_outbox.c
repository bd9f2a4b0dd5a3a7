/*
 * lamplight outbox list [--state STATE] [--json] | retry ID | cancel ID:
 * the mail lamplight has to send, has sent or could not send.  Seekers'
 * addresses are masked in the list.  retry sends a failed, bounced or
 * waiting mail on the next run (with the same Message-ID); cancel keeps
 * a queued or failed one from ever going.  Both are recorded on the
 * mail's case.
 */
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "people.h"
#include "store.h"
#include "twtime.h"

static char *arg_state;
static gboolean arg_json;
static char *arg_why;

static const GOptionEntry outbox_options[] = {
	{ "state", 0, 0, G_OPTION_ARG_STRING, &arg_state,
	  "list: queued, sent, failed, bounced or cancelled", "STATE" },
	{ "json", 0, 0, G_OPTION_ARG_NONE, &arg_json, "print JSON", NULL },
	{ "why", 0, 0, G_OPTION_ARG_STRING, &arg_why,
	  "retry, cancel: the reason, kept on the case", "TEXT" },
	{ NULL },
};

/* Columns of the list query: id, then these as text, attempts apart. */
static const char *const columns[] = {
	"id", "case", "kind", "rcpt", "state", "attempts", "next_at",
	"sent_at", "last_error",
};

static gboolean
list_row(const struct store_row *row, gpointer data)
{
	JsonObject *o = json_object_new();
	const char *kind = store_col_text(row, 2);

	json_object_set_int_member(o, "id", store_col_int(row, 0));
	json_object_set_int_member(o, "attempts", (int)store_col_int(row, 5));
	for (int i = 1; i < (int)G_N_ELEMENTS(columns); i++) {
		const char *v = store_col_text(row, i);

		if (i == 5)
			continue;
		/* Answers go to seekers: their address is personal data. */
		if (i == 3 && (strcmp(kind, "ack") == 0 ||
			       strcmp(kind, "followup") == 0)) {
			g_autofree char *m = people_mask("email", v);

			json_object_set_string_member(o, columns[i], m);
		} else if (v != NULL) {
			json_object_set_string_member(o, columns[i], v);
		} else {
			json_object_set_null_member(o, columns[i]);
		}
	}
	json_array_add_object_element(data, o);
	return TRUE;
}

static int
do_list(struct store *s)
{
	JsonArray *a = json_array_new();
	g_autoptr(JsonNode) node = json_node_new(JSON_NODE_ARRAY);
	struct err err = { 0 };

	json_node_take_array(node, a);
	if (store_query(s, &err, list_row, a,
			"SELECT o.id, c.number, o.kind, o.rcpt, o.state, "
			"o.attempts, o.next_at, o.sent_at, o.last_error "
			"FROM outbox o LEFT JOIN cases c ON c.id = o.case_id "
			"WHERE (?1 IS NULL OR o.state = ?1) ORDER BY o.id",
			"t", arg_state) != ST_OK) {
		fprintf(stderr, "lamplight outbox: %s\n", err.msg);
		return EXIT_SOFTWARE;
	}
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

static gboolean
read_row(const struct store_row *row, gpointer data)
{
	char **v = data;

	v[0] = store_col_dup(row, 0);
	v[1] = store_col_dup(row, 1);
	v[2] = store_col_dup(row, 2);
	return FALSE;
}

/* retry or cancel one mail, with an audit row on its case. */
static int
do_change(struct store *s, const char *verb, const char *id_text)
{
	g_autoptr(GDateTime) now = twtime_now();
	g_autofree char *at = twtime_iso(now);
	g_autofree char *what = NULL;
	char *row[3] = { NULL, NULL, NULL };	/* state, kind, case id */
	gboolean retry = strcmp(verb, "retry") == 0;
	gint64 id = g_ascii_strtoll(id_text, NULL, 10);
	struct err err = { 0 };
	enum status st;
	int rc = EXIT_OK;

	st = store_begin(s, &err);
	if (st == ST_OK)
		st = store_query(s, &err, read_row, row,
				 "SELECT state, kind, case_id FROM outbox "
				 "WHERE id = ?", "i", id);
	if (st == ST_OK && row[0] == NULL) {
		fprintf(stderr, "lamplight outbox: no mail %s\n", id_text);
		rc = EXIT_DATAERR;
	} else if (st == ST_OK &&
		   (retry ? strcmp(row[0], "sent") == 0 ||
				    strcmp(row[0], "cancelled") == 0
			  : strcmp(row[0], "queued") != 0 &&
				    strcmp(row[0], "failed") != 0)) {
		fprintf(stderr, "lamplight outbox: mail %s is %s: it cannot "
			"be %s\n", id_text, row[0],
			retry ? "retried" : "cancelled");
		rc = EXIT_DATAERR;
	} else if (st == ST_OK) {
		st = store_run(s, &err,
			       retry ? "UPDATE outbox SET state = 'queued', "
				       "next_at = ? WHERE id = ?"
				     : "UPDATE outbox SET state = 'cancelled', "
				       "next_at = ? WHERE id = ?",
			       "ti", at, id);
		what = g_strdup_printf("outbox %s: %s %s", verb, row[1],
				       id_text);
		if (st == ST_OK && row[2] != NULL)
			st = store_run(s, &err,
				       "INSERT INTO case_events (case_id, at, "
				       "who, what, why) VALUES (?, ?, "
				       "'operator', ?, ?)",
				       "ittt",
				       g_ascii_strtoll(row[2], NULL, 10), at,
				       what, arg_why);
	}
	if (st == ST_OK && rc == EXIT_OK) {
		st = store_commit(s, &err);
		if (st == ST_OK)
			printf("mail %s: %s\n", id_text,
			       retry ? "queued again" : "cancelled");
	} else {
		store_rollback(s);
	}
	if (st != ST_OK) {
		fprintf(stderr, "lamplight outbox: %s\n", err.msg);
		rc = st == ST_TEMP ? EXIT_TEMPFAIL : EXIT_SOFTWARE;
	}
	for (int i = 0; i < 3; i++)
		g_free(row[i]);
	return rc;
}

int
cmd_outbox(int argc, char **argv)
{
	struct config *cfg;
	struct store *s = NULL;
	g_autofree char *db = NULL;
	struct err err = { 0 };
	const char *verb;
	int rc;

	cmd_parse(&argc, &argv, "list | retry ID | cancel ID",
		  "The mail to send, sent, or not sent.", outbox_options);
	verb = argc > 1 ? argv[1] : "";
	if (!((strcmp(verb, "list") == 0 && argc == 2) ||
	      ((strcmp(verb, "retry") == 0 || strcmp(verb, "cancel") == 0) &&
	       argc == 3))) {
		fprintf(stderr, "usage: lamplight outbox list | retry ID | "
			"cancel ID\n");
		return EXIT_USAGE;
	}
	cfg = cmd_load_config();
	if (cfg == NULL)
		return EXIT_CONFIG;
	db = g_build_filename(cfg->state_dir, "lamplight.db", NULL);
	if (store_open(db, &s, &err) != ST_OK) {
		fprintf(stderr, "lamplight outbox: %s\n", err.msg);
		config_free(cfg);
		return err.status == ST_TEMP ? EXIT_TEMPFAIL : EXIT_SOFTWARE;
	}
	rc = strcmp(verb, "list") == 0 ? do_list(s)
				       : do_change(s, verb, argv[2]);
	store_close(s);
	config_free(cfg);
	return rc;
}
