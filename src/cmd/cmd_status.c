/*
 * lamplight status [--json]: is anything stuck?  Per mailbox its last
 * run and what it found; the outbox queue; the quarantine; the SOP
 * steps overdue by centre and the referrals overdue by partner agency.
 * Exits 1 when a person should look (a mailbox failing or not run for a
 * day, mail held or failing, a deadline a week past), so a monitor can
 * run it; a database it cannot read is an error (75 or 70), never "ok".
 * The figures are health.h's; this file only prints them.
 */
#include <stdio.h>
#include <string.h>

#include <json-glib/json-glib.h>

#include "calendar.h"
#include "cases.h"
#include "cmd.h"
#include "statedir.h"
#include "health.h"
#include "log.h"
#include "store.h"

static gboolean arg_json;

static const GOptionEntry status_options[] = {
	{ "json", 0, 0, G_OPTION_ARG_NONE, &arg_json, "one JSON object", NULL },
	{ NULL },
};

const struct cmd_info cmd_status_info = {
	.name = "status",
	.summary = "is anything stuck? mailboxes, outbox, quarantine, "
		   "deadlines",
	.args = "",
	.options = status_options,
};

static void
add_string(JsonBuilder *b, const char *member, const char *v)
{
	json_builder_set_member_name(b, member);
	if (v != NULL)
		json_builder_add_string_value(b, v);
	else
		json_builder_add_null_value(b);
}

static void
add_int(JsonBuilder *b, const char *member, gint64 v)
{
	json_builder_set_member_name(b, member);
	json_builder_add_int_value(b, v);
}

static void
print_mailboxes(const struct health *h, JsonBuilder *b)
{
	json_builder_set_member_name(b, "mailboxes");
	json_builder_begin_array(b);
	/* Each column says what it counts: the last run's fetches and
	 * the letters it left on the server; all the mailbox's letters
	 * filed; those set aside now. */
	if (!arg_json)
		printf("%-4s %-25s %-25s %7s %6s %9s %7s %s\n", "box",
		       "last run", "last success", "fetched", "filed",
		       "set aside", "too big", "last error");
	for (guint i = 0; i < h->mailboxes->len; i++) {
		const struct health_mailbox *m =
			&g_array_index(h->mailboxes, struct health_mailbox, i);

		if (arg_json) {
			json_builder_begin_object(b);
			add_string(b, "mailbox", m->id);
			add_string(b, "last_run", m->h.finished_at);
			add_string(b, "last_success", m->h.last_ok);
			add_string(b, "last_uid", m->h.last_uid);
			add_int(b, "uids_seen", m->h.uids);
			add_int(b, "new", m->h.fetched);
			add_int(b, "filed", m->h.filed);
			add_int(b, "quarantined", m->h.quarantined);
			add_int(b, "left_on_server", m->h.left_on_server);
			add_string(b, "error", m->h.error);
			json_builder_end_object(b);
		} else {
			printf("%-4s %-25s %-25s %7lld %6lld %9lld %7lld %s\n",
			       m->id, m->h.finished_at ? m->h.finished_at
						       : "never",
			       m->h.last_ok ? m->h.last_ok : "never",
			       (long long)m->h.fetched, (long long)m->h.filed,
			       (long long)m->h.quarantined,
			       (long long)m->h.left_on_server,
			       m->h.error ? m->h.error : "");
		}
	}
	json_builder_end_array(b);
}

/* The overdue steps or partner replies: into b and as lines into out. */
static void
print_overdue(const GPtrArray *list, const char *member, const char *title,
	      const char *what, JsonBuilder *b, GString *out)
{
	json_builder_set_member_name(b, member);
	json_builder_begin_array(b);
	for (guint i = 0; i < list->len; i++) {
		const struct case_overdue *o = list->pdata[i];

		json_builder_begin_object(b);
		add_string(b, "centre", o->centre);
		add_string(b, what, o->what);
		add_int(b, "count", o->count);
		add_string(b, "oldest_due", o->oldest_due);
		json_builder_end_object(b);
		g_string_append_printf(out, "%s: %s %s: %lld, oldest due %s\n",
				       title, o->centre, o->what,
				       (long long)o->count, o->oldest_due);
	}
	json_builder_end_array(b);
}

/* Letters lost from the spool that their source no longer has. */
static void
print_lost(const GArray *lost, JsonBuilder *b, GString *out)
{
	json_builder_set_member_name(b, "lost");
	json_builder_begin_array(b);
	for (guint i = 0; i < lost->len; i++) {
		const struct store_lost *l =
			&g_array_index(lost, struct store_lost, i);

		json_builder_begin_object(b);
		add_string(b, "mailbox", l->mailbox);
		add_string(b, "uid", l->uid);
		add_string(b, "since", l->since);
		json_builder_end_object(b);
		g_string_append_printf(
			out, "lost: mailbox %s message %s: fetched, then gone "
			"from the spool before it was filed (%s), and the "
			"mailbox no longer has it: put the file back in the "
			"spool's new/, or give it up with `lamplight "
			"quarantine forget %s %s`\n", l->mailbox, l->uid,
			l->since, l->mailbox, l->uid);
	}
	json_builder_end_array(b);
}

int
cmd_status(int argc, char **argv)
{
	g_autoptr(JsonBuilder) b = json_builder_new();
	g_autoptr(GString) late = g_string_new(NULL);
	struct config *cfg;
	struct store *store = NULL;
	struct health *h = NULL;
	struct statedir_run last;
	struct err err = { 0 };
	gboolean ran, failed;
	enum status st;
	GDate today;
	int rc;

	cmd_parse(&argc, &argv, &cmd_status_info);
	cfg = cmd_load_config();
	if (cfg == NULL)
		return EXIT_CONFIG;
	calendar_today(&today);
	/* How the last run ended: told even when nothing else can be. */
	ran = statedir_last_run(cfg, &last);
	failed = ran && last.code != EXIT_OK && last.code != EXIT_PARTIAL &&
		 last.code != EXIT_LOCKED;
	if (failed)
		g_string_append_printf(late, "last run: exit %d at %s: %s "
				       "(status is not ok until a run ends "
				       "cleanly)\n", last.code, last.at,
				       last.why);
	st = statedir_open(cfg, FALSE, &store, &err);
	if (st == ST_OK)
		st = health_read(store, cfg, &today, &h, &err);
	if (st != ST_OK) {
		log_error("%s", err.msg);
		fputs(late->str, stderr);
		store_close(store);
		statedir_run_clear(&last);
		config_free(cfg);
		return cmd_exit_for(&err);
	}
	h->stuck |= failed;

	json_builder_begin_object(b);
	print_mailboxes(h, b);
	print_overdue(h->overdue_steps, "overdue_steps", "overdue steps",
		      "step", b, late);
	print_overdue(h->overdue_referrals, "overdue_referrals",
		      "overdue partner replies", "agency", b, late);
	add_int(b, "outbox_queued", h->outbox.queued);
	add_int(b, "outbox_stale", h->outbox.stale);
	add_int(b, "outbox_failed", h->outbox.failed);
	add_int(b, "outbox_held_back", h->outbox.held_back);
	add_int(b, "emergency_mail_undelivered",
		h->outbox.urgent_undelivered);
	if (h->outbox.urgent_undelivered > 0)
		g_string_append_printf(late, "emergency mail not delivered: "
				       "%lld (duty alerts or their answers: "
				       "lamplight outbox list)\n",
				       (long long)h->outbox.urgent_undelivered);
	add_int(b, "quarantine_held", h->held);
	json_builder_set_member_name(b, "last_run");
	if (ran) {
		json_builder_begin_object(b);
		add_int(b, "exit", last.code);
		add_string(b, "at", last.at);
		add_string(b, "why", last.why);
		json_builder_end_object(b);
	} else {
		json_builder_add_null_value(b);
	}
	print_lost(h->lost, b, late);
	json_builder_set_member_name(b, "stuck");
	json_builder_add_boolean_value(b, h->stuck);
	json_builder_end_object(b);
	if (arg_json) {
		g_autoptr(JsonNode) root = json_builder_get_root(b);
		g_autofree char *s = json_to_string(root, FALSE);

		printf("%s\n", s);
	} else {
		printf("outbox: %lld queued (%lld for over an hour), %lld "
		       "failed; quarantine: %lld held\n",
		       (long long)h->outbox.queued, (long long)h->outbox.stale,
		       (long long)h->outbox.failed, (long long)h->held);
		/* Not a fault: what a backfill filed without answering. */
		if (h->outbox.held_back > 0)
			printf("held back by backfills (run --no-send): %lld "
			       "answers and notices, never to be sent\n",
			       (long long)h->outbox.held_back);
		printf("%s", late->str);
		printf("%s\n", h->stuck ? "attention needed" : "ok");
	}
	rc = h->stuck ? EXIT_PARTIAL : EXIT_OK;
	statedir_run_clear(&last);
	health_free(h);
	store_close(store);
	config_free(cfg);
	return rc;
}
