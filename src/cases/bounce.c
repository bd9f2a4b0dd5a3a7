/* Bounces of mail we sent (bounce.h). */
#include <string.h>

#include "bounce.h"
#include "outbox.h"

/* The first value of header name in a bounce's report, or NULL: new. */
static char *
report_field(const char *report, const char *name)
{
	g_auto(GStrv) lines = g_strsplit(report, "\n", -1);
	size_t n = strlen(name);

	for (int i = 0; lines[i] != NULL; i++)
		if (g_ascii_strncasecmp(lines[i], name, n) == 0 &&
		    lines[i][n] == ':') {
			char *v = g_strstrip(g_strdup(lines[i] + n + 1));

			if (*v == '<' && v[strlen(v) - 1] == '>') {
				char *inner = g_strndup(v + 1, strlen(v) - 2);

				g_free(v);
				v = inner;
			}
			return v;
		}
	return NULL;
}

enum status
bounce_file(struct store *s, struct run_stats *stats,
	    const struct mail_msg *m, gint64 arrival_id, struct err *err)
{
	g_autofree char *id = report_field(m->report, "Message-ID");
	g_autofree char *status = report_field(m->report, "Status");
	g_autofree char *diag = report_field(m->report, "Diagnostic-Code");
	g_autofree char *why = NULL, *kind = NULL;
	gint64 case_id = 0;
	enum status st;

	if (id == NULL)
		return ST_OK;
	why = g_strdup_printf("bounced: %s%s%s", status ? status : "",
			      status && diag ? " " : "", diag ? diag : "");
	st = outbox_bounced(s, id, why, &case_id, &kind, err);
	if (st != ST_OK || kind == NULL)
		return st;
	if (case_id != 0)
		st = store_arrival_on_case(s, arrival_id, case_id,
					   err);
	if (st == ST_OK)
		run_report(stats, "a bounce of our %s mail: marked in the "
			   "outbox", kind != NULL ? kind : "");
	return st;
}
