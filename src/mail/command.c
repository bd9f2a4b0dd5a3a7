/* The command block of a staff reply (command.h). */
#include <stdlib.h>
#include <string.h>

#include "command.h"

static const char *const verbs[] = {
	[CMD_REFER] = "refer",	   [CMD_CLOSE] = "close",
	[CMD_STATE] = "state",	   [CMD_ASSIGN] = "assign",
	[CMD_VISIT] = "visit",	   [CMD_FOLLOWUP] = "followup",
	[CMD_NOTE] = "note",	   [CMD_MERGE] = "merge",
	[CMD_SECRET] = "secret",   [CMD_CONFIRM] = "confirm",
	[CMD_UNKNOWN] = "unknown",
};

const char *
command_verb_name(enum command_verb v)
{
	return v <= CMD_UNKNOWN ? verbs[v] : "unknown";
}

/* The text after a leading '#' or '＃', or NULL. */
static const char *
after_hash(const char *line)
{
	if (*line == '#')
		return line + 1;
	if (g_str_has_prefix(line, "＃"))
		return line + strlen("＃");
	return NULL;
}

static void
command_free(gpointer p)
{
	struct command *c = p;

	g_free(c->line);
	g_free(c->arg);
	g_free(c);
}

/* One '#' line: the verb (ASCII letters, any case) and its argument. */
static struct command *
command_read(const char *line, const char *body)
{
	struct command *c = g_new0(struct command, 1);
	size_t n = 0;

	while (g_ascii_isalpha(body[n]))
		n++;
	c->verb = CMD_UNKNOWN;
	for (int v = 0; v < CMD_UNKNOWN; v++)
		if (n == strlen(verbs[v]) &&
		    g_ascii_strncasecmp(body, verbs[v], n) == 0)
			c->verb = (enum command_verb)v;
	/* "#followup" is also written "#follow-up". */
	if (c->verb == CMD_UNKNOWN &&
	    g_ascii_strncasecmp(body, "follow-up", 9) == 0) {
		c->verb = CMD_FOLLOWUP;
		n = 9;
	}
	/* The verb ends at a space (or a full-width colon/space). */
	if (c->verb != CMD_UNKNOWN && body[n] != '\0' &&
	    !g_ascii_isspace(body[n]) && body[n] != ':' &&
	    !g_str_has_prefix(body + n, "：") &&
	    !g_str_has_prefix(body + n, "　"))
		c->verb = CMD_UNKNOWN;
	c->line = g_strdup(line);
	if (c->verb == CMD_UNKNOWN) {
		c->arg = g_strdup("");
		return c;
	}
	body += n;
	if (*body == ':')
		body++;
	else if (g_str_has_prefix(body, "："))
		body += strlen("：");
	c->arg = g_strstrip(g_strdup(body));
	/* A full-width space is a space too. */
	while (g_str_has_prefix(c->arg, "　")) {
		char *rest = g_strstrip(g_strdup(c->arg + strlen("　")));

		g_free(c->arg);
		c->arg = rest;
	}
	return c;
}

static gboolean
blank(const char *line)
{
	while (g_ascii_isspace(*line))
		line++;
	return *line == '\0';
}

struct command_block *
command_parse(const char *text)
{
	struct command_block *b = g_new0(struct command_block, 1);
	g_auto(GStrv) lines = g_strsplit(text != NULL ? text : "", "\n", -1);
	int i = 0;

	b->commands = g_ptr_array_new_with_free_func(command_free);
	for (; lines[i] != NULL; i++) {
		g_autofree char *line = g_strstrip(g_strdup(lines[i]));
		const char *body;

		if (*line == '\0')
			continue;
		body = after_hash(line);
		if (body == NULL)
			break;
		if (g_ascii_strncasecmp(body, "thanks", 6) == 0 &&
		    (body[6] == '\0' || !g_ascii_isalpha(body[6]))) {
			i++;
			break;
		}
		g_ptr_array_add(b->commands, command_read(line, body));
	}
	/* The message: the lines from here, leading blank ones dropped. */
	while (lines[i] != NULL && blank(lines[i]))
		i++;
	b->rest = lines[i] != NULL ? g_strjoinv("\n", lines + i)
				   : g_strdup("");
	return b;
}

void
command_block_free(struct command_block *b)
{
	if (b == NULL)
		return;
	g_ptr_array_unref(b->commands);
	g_free(b->rest);
	g_free(b);
}

/* Up to three numbers split by '-', '/' or '.', nothing else. */
static int
numbers(const char *s, long out[3])
{
	int n = 0;

	while (*s != '\0' && n < 3) {
		char *end;

		if (!g_ascii_isdigit(*s))
			return 0;
		out[n++] = strtol(s, &end, 10);
		s = end;
		if (*s == '\0')
			break;
		if (strchr("-/.", *s) == NULL)
			return 0;
		s++;
	}
	return *s == '\0' ? n : 0;
}

gboolean
command_date(const char *s, const GDate *today, GDate *out)
{
	g_autofree char *t = g_strstrip(g_strdup(s != NULL ? s : ""));
	long v[3];
	long y, m, d;
	int n;

	/* The first word only: "2026-11-25 上午" is that day. */
	t[strcspn(t, " \t")] = '\0';
	n = numbers(t, v);
	if (n == 3) {
		y = v[0] < 1000 ? v[0] + 1911 : v[0];	/* 民國 */
		m = v[1];
		d = v[2];
	} else if (n == 2) {
		y = g_date_get_year(today);
		m = v[0];
		d = v[1];
	} else {
		return FALSE;
	}
	if (y < 1912 || y > 9999 || m < 1 || m > 12 || d < 1 || d > 31 ||
	    !g_date_valid_dmy((GDateDay)d, (GDateMonth)m, (GDateYear)y))
		return FALSE;
	g_date_clear(out, 1);
	g_date_set_dmy(out, (GDateDay)d, (GDateMonth)m, (GDateYear)y);
	return TRUE;
}

guint
command_quoted(const char *text)
{
	g_auto(GStrv) lines = g_strsplit(text != NULL ? text : "", "\n", -1);
	guint n = 0;

	for (int i = 0; lines[i] != NULL; i++) {
		const char *l = lines[i], *body;
		gboolean q = FALSE;

		/* Past the quote marks: "> > #close 3", "｜#close 3". */
		for (;;) {
			while (*l == ' ' || *l == '\t')
				l++;
			if (*l == '>')
				l++;
			else if (g_str_has_prefix(l, "｜"))
				l += strlen("｜");
			else
				break;
			q = TRUE;
		}
		if (!q || (body = after_hash(l)) == NULL)
			continue;
		{
			struct command *c = command_read(l, body);

			if (c->verb != CMD_UNKNOWN)
				n++;
			command_free(c);
		}
	}
	return n;
}
