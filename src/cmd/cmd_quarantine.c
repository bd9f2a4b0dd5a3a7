/*
 * lamplight quarantine list|show|retry|release: what could not be filed,
 * kept byte for byte in the spool with its reason.  "retry" files it
 * again (after a fix or a raised limit); "release" says a person has
 * dealt with it.  "forget MAILBOX UID" gives up on a letter lost from
 * the spool before it was filed that its source no longer has (status
 * lists them).  Shows headers only on the terminal, never in logs.
 */
#include <gmime/gmime.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "log.h"
#include "mime.h"
#include "people.h"
#include "run.h"
#include "spool.h"
#include "store.h"

static gboolean arg_all;

static const GOptionEntry quarantine_options[] = {
	{ "all", 'a', 0, G_OPTION_ARG_NONE, &arg_all,
	  "list retried and released messages too", NULL },
	{ NULL },
};

static const struct cmd_verb quarantine_verbs[] = {
	{ "list", "", 0, 0, "what is held, with its reason", NULL },
	{ "show", "ID", 1, 1, "one message: its reason, file and headers", "" },
	{ "retry", "ID", 1, 1, "file it again now (after a fix or a raised "
	  "limit)", "" },
	{ "release", "ID", 1, 1, "a person has dealt with it", "" },
	{ "forget", "MAILBOX UID", 2, 2, "give up a letter lost from the "
	  "spool before it was filed, which its mailbox no longer has "
	  "(status lists them)", "" },
	{ NULL },
};

const struct cmd_info cmd_quarantine_info = {
	.name = "quarantine",
	.summary = "what could not be filed: list, show, retry, release",
	.verbs = quarantine_verbs,
	.options = quarantine_options,
};

struct qctx {
	struct config *cfg;
	struct store *store;
	struct spool *spool;
	struct vault *vault;	/* filed letters are sealed; NULL: no key */
};

static int
q_list(struct qctx *q)
{
	g_autoptr(GPtrArray) list = NULL;
	struct err err = { 0 };

	if (store_quarantine_list(q->store, arg_all, &list, &err) != ST_OK) {
		log_error("%s", err.msg);
		return EXIT_TEMPFAIL;
	}
	for (guint i = 0; i < list->len; i++) {
		const struct quarantined *m = list->pdata[i];

		printf("%-6lld %s  %-6s %-8s %s\n", (long long)m->id,
		       m->received_at, m->mailbox, m->state, m->reason);
	}
	if (list->len == 0)
		printf("nothing in quarantine\n");
	return EXIT_OK;
}

static struct quarantined *
q_find(struct qctx *q, const char *arg)
{
	struct quarantined *m = NULL;
	struct err err = { 0 };
	char *end;
	gint64 id = g_ascii_strtoll(arg, &end, 10);

	if (*arg == '\0' || *end != '\0') {
		fprintf(stderr, "lamplight quarantine: '%s' is not an id\n",
			arg);
		return NULL;
	}
	if (store_quarantine_get(q->store, id, &m, &err) != ST_OK)
		log_error("%s", err.msg);
	else if (m == NULL)
		fprintf(stderr, "lamplight quarantine: no quarantined message "
				"%lld\n", (long long)id);
	return m;
}

static int
q_show(struct qctx *q, const struct quarantined *m)
{
	g_autofree char *path = spool_path(q->spool, m->spool_name);
	g_autoptr(GBytes) data = NULL;
	struct mail_msg *msg = NULL;
	struct err err = { 0 };
	gsize len = 0;

	printf("id:       %lld\nmailbox:  %s\nreceived: %s\nstate:    %s\n"
	       "reason:   %s\nfile:     %s\n", (long long)m->id, m->mailbox,
	       m->received_at, m->state, m->reason, path);
	if (people_read_letter(q->spool, q->vault, m->spool_name, &data,
			       &err) != ST_OK) {
		printf("bytes:    unreadable: %s\n", err.msg);
		return EXIT_PARTIAL;
	}
	g_bytes_get_data(data, &len);
	printf("size:     %zu bytes\n", len);
	if (mail_parse(g_bytes_get_data(data, NULL), len, &msg, &err) ==
	    ST_OK) {
		printf("from:     %s\nsubject:  %s\nmessage:  %s\n",
		       msg->from_addr ? msg->from_addr : "(none)",
		       msg->subject,
		       msg->message_id ? msg->message_id : "(none)");
		mail_msg_free(msg);
	}
	return EXIT_OK;
}

/* A copy goes back into spool/new under the same mailbox, then a run
 * without fetching files it (now, if no other run holds the lock). */
static int
q_retry(struct qctx *q, const struct quarantined *m)
{
	g_autoptr(GBytes) data = NULL;
	g_autofree char *name = NULL;
	struct run_opts opts = { .no_fetch = TRUE };
	struct run_stats stats;
	struct err err = { 0 };
	gboolean locked = FALSE;
	enum status st;
	gsize len;

	st = people_read_letter(q->spool, q->vault, m->spool_name, &data,
				&err);
	if (st == ST_OK) {
		const void *bytes = g_bytes_get_data(data, &len);

		st = spool_deliver(q->spool, m->mailbox, bytes, len, &name,
				   &err);
	}
	if (st == ST_OK)
		st = store_quarantine_set(q->store, m->id, "retried", &err);
	if (st != ST_OK) {
		log_error("%s", err.msg);
		return EXIT_TEMPFAIL;
	}
	printf("message %lld is back in the spool as %s\n", (long long)m->id,
	       name);
	run_stats_init(&stats);
	st = run_once(q->cfg, &opts, &stats, &locked, &err);
	for (guint i = 0; i < stats.report->len; i++)
		printf("%s\n", (char *)stats.report->pdata[i]);
	run_stats_done(&stats);
	if (locked)
		printf("another run holds the lock; it will be filed then\n");
	else if (st != ST_OK)
		log_error("%s", err.msg);
	return EXIT_OK;
}

/* A letter lost from the spool, given up by a person. */
static int
q_forget(struct qctx *q, const char *mailbox, const char *uid)
{
	struct err err = { 0 };
	gboolean found = FALSE;

	if (store_fetched_forget(q->store, mailbox, uid, &found, &err) !=
	    ST_OK) {
		log_error("%s", err.msg);
		return cmd_exit_for(&err);
	}
	if (!found) {
		fprintf(stderr, "lamplight quarantine: no letter %s of mailbox "
				"%s is lost\n", uid, mailbox);
		return EXIT_DATAERR;
	}
	log_warn("mailbox %s: lost message %s forgotten by a person",
		 mailbox, uid);
	printf("forgotten: mailbox %s message %s\n", mailbox, uid);
	return EXIT_OK;
}

int
cmd_quarantine(int argc, char **argv)
{
	g_autofree char *dir = NULL;
	struct quarantined *m = NULL;
	struct qctx q = { 0 };
	struct err err = { 0 };
	const char *verb;
	int rc = EXIT_USAGE;

	cmd_parse(&argc, &argv, &cmd_quarantine_info);
	verb = argv[1];
	q.cfg = cmd_load_config();
	if (q.cfg == NULL)
		return EXIT_CONFIG;
	dir = g_build_filename(q.cfg->state_dir, "spool", NULL);
	if ((rc = cmd_open_store(q.cfg, "quarantine", &q.store)) != 0)
		goto out;
	if (spool_open(dir, &q.spool, &err) != ST_OK) {
		log_error("%s", err.msg);
		rc = cmd_exit_for(&err);
		goto out;
	}
	if (strcmp(verb, "list") == 0) {
		rc = q_list(&q);
		goto out;
	}
	if (strcmp(verb, "forget") == 0) {
		rc = q_forget(&q, argv[2], argv[3]);
		goto out;
	}
	m = q_find(&q, argv[2]);
	if (m == NULL) {
		rc = EXIT_DATAERR;
		goto out;
	}
	if (access(q.cfg->data_key_file, F_OK) == 0 &&
	    vault_open(q.cfg->data_key_file, FALSE, &q.vault, &err) != ST_OK) {
		fprintf(stderr, "lamplight quarantine: %s\n", err.msg);
		rc = EXIT_CONFIG;
	} else if (strcmp(verb, "show") == 0) {
		rc = q_show(&q, m);
	} else if (strcmp(m->state, "held") != 0) {
		fprintf(stderr, "lamplight quarantine: message %lld was %s "
				"already\n", (long long)m->id, m->state);
		rc = EXIT_DATAERR;
	} else if (strcmp(verb, "retry") == 0) {
		rc = q_retry(&q, m);
	} else {
		if (store_quarantine_set(q.store, m->id, "released", &err) ==
		    ST_OK) {
			printf("message %lld released\n", (long long)m->id);
			rc = EXIT_OK;
		} else {
			log_error("%s", err.msg);
			rc = EXIT_TEMPFAIL;
		}
	}
out:
	quarantined_free(m);
	vault_free(q.vault);
	spool_close(q.spool);
	store_close(q.store);
	config_free(q.cfg);
	return rc;
}
