/*
 * Loading and filling mail templates.  The files are data, reviewed like
 * code: they are checked at load so a run never sends a half-filled mail.
 */
#include <string.h>

#include "template.h"

const char *const template_vars[] = {
	"case_number", "centre_name", "centre_address", "county_name",
	"received_date", "crisis_lines", "reasons", "contact",
	"referral_number", "group_label", "agency", "person", "needs",
	"due_date", "items", "message", "event", "event_detail",
	"urgency_label", "state_label", "letter", "note_address",
	"staff_name", "count", "results", "relayed", "reason",
	"claimed_from", "risk_flag", "title", "owner", "next_step",
	"alerted", "commands", "reply_how", "files", "returning", NULL,
};

void
template_free(struct template *t)
{
	if (t == NULL)
		return;
	g_free(t->name);
	g_free(t->subject);
	g_free(t->body);
	g_free(t);
}

/* Checks every {{...}} in text; line is the line number text starts at. */
static enum status
check_vars(const char *path, const char *text, int line, struct err *err)
{
	for (const char *p = text; *p; p++) {
		const char *end;
		g_autofree char *name = NULL;

		if (*p == '\n')
			line++;
		if (p[0] != '{' || p[1] != '{')
			continue;
		end = strstr(p + 2, "}}");
		if (end == NULL || memchr(p, '\n', end - p) != NULL)
			return err_set(err, ST_FATAL, "%s:%d: '{{' without "
				       "'}}'", path, line);
		name = g_strstrip(g_strndup(p + 2, end - p - 2));
		if (!g_strv_contains(template_vars, name))
			return err_set(err, ST_FATAL, "%s:%d: unknown "
				       "variable '%s'", path, line, name);
		p = end + 1;
	}
	return ST_OK;
}

enum status
template_load(const char *dir, const char *name, struct template **out,
	      struct err *err)
{
	g_autofree char *file = g_strconcat(name, ".txt", NULL);
	g_autofree char *path = g_build_filename(dir, file, NULL);
	g_autofree char *text = NULL;
	g_autoptr(GError) gerr = NULL;
	struct template *t;
	enum status st;
	char *nl, *body;
	gsize len;

	if (!g_file_get_contents(path, &text, &len, &gerr))
		return err_set(err, ST_FATAL, "cannot read template: %s",
			       gerr->message);
	if (!g_utf8_validate(text, len, NULL) || strlen(text) != len)
		return err_set(err, ST_FATAL, "%s:1: not UTF-8 text", path);
	/* Templates are edited on any system: accept CRLF. */
	{
		g_autoptr(GString) s = g_string_new(text);

		g_free(text);

		g_string_replace(s, "\r\n", "\n", 0);
		text = g_string_free(g_steal_pointer(&s), FALSE);
	}
	if (!g_str_has_prefix(text, "Subject:"))
		return err_set(err, ST_FATAL, "%s:1: must start with "
			       "'Subject: '", path);
	nl = strchr(text, '\n');
	if (nl == NULL || nl[1] != '\n')
		return err_set(err, ST_FATAL, "%s:2: an empty line must follow "
			       "the subject", path);
	*nl = '\0';
	body = nl + 2;
	st = check_vars(path, text, 1, err);
	if (st == ST_OK)
		st = check_vars(path, body, 3, err);
	if (st != ST_OK)
		return st;
	t = g_new0(struct template, 1);
	t->name = g_strdup(name);
	t->subject = g_strstrip(g_strdup(text + strlen("Subject:")));
	t->body = g_strdup(body);
	*out = t;
	return ST_OK;
}

char *
template_expand(const char *text, GHashTable *vars)
{
	GString *out = g_string_sized_new(strlen(text) + 64);
	const char *p = text;

	while (*p) {
		const char *open = strstr(p, "{{"), *close;
		g_autofree char *name = NULL;
		const char *v;

		if (open == NULL || (close = strstr(open + 2, "}}")) == NULL) {
			g_string_append(out, p);
			break;
		}
		g_string_append_len(out, p, open - p);
		name = g_strstrip(g_strndup(open + 2, close - open - 2));
		v = g_hash_table_lookup(vars, name);
		if (v != NULL)
			g_string_append(out, v);
		p = close + 2;
	}
	return g_string_free(out, FALSE);
}
