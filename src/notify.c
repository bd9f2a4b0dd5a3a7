/*
 * Building outgoing mail.  Values that reach headers come from the config
 * and the templates, except the recipient, which is checked; nothing from
 * the writer's letter is ever quoted back.
 */
#include <gmime/gmime.h>
#include <string.h>

#include "notify.h"
#include "template.h"
#include "token.h"
#include "twtime.h"

static const char *const ack_names[] = {
	[URGENCY_CONSULTATION] = "ack-consultation",
	[URGENCY_APPLICATION] = "ack-application",
	[URGENCY_EMERGENCY] = "ack-emergency",
};

struct notify {
	struct template *ack[URGENCY_EMERGENCY + 1];
};

void
outgoing_free(struct outgoing *o)
{
	if (o == NULL)
		return;
	g_free(o->message_id);
	g_free(o->env_from);
	g_free(o->rcpt);
	g_free(o->data);
	g_free(o);
}

enum status
notify_open(const char *dir, struct notify **out, struct err *err)
{
	struct notify *n = g_new0(struct notify, 1);
	enum status st = ST_OK;

	for (int u = URGENCY_CONSULTATION; u <= URGENCY_EMERGENCY && !st; u++)
		st = template_load(dir, ack_names[u], &n->ack[u], err);
	if (st != ST_OK) {
		notify_close(n);
		return st;
	}
	*out = n;
	return ST_OK;
}

void
notify_close(struct notify *n)
{
	if (n == NULL)
		return;
	for (int u = 0; u <= URGENCY_EMERGENCY; u++)
		template_free(n->ack[u]);
	g_free(n);
}

/* A Message-ID in the centre's domain, unique without coordination. */
static char *
new_message_id(const char *what, const char *address)
{
	const char *domain = strchr(address, '@');
	guint32 r[2] = { g_random_int(), g_random_int() };

	return g_strdup_printf("lamplight.%s.%08x%08x@%s", what, r[0], r[1],
			       domain != NULL ? domain + 1 : "localhost");
}

static gboolean
header_safe(const char *s)
{
	return s != NULL && strpbrk(s, "\r\n") == NULL;
}

/* Serialises msg with CRLF line ends into o->data. */
static void
to_crlf(GMimeMessage *msg, struct outgoing *o)
{
	GMimeFormatOptions *fo = g_mime_format_options_clone(NULL);

	g_mime_format_options_set_newline_format(fo,
						 GMIME_NEWLINE_FORMAT_DOS);
	o->data = g_mime_object_to_string(GMIME_OBJECT(msg), fo);
	o->len = strlen(o->data);
	g_mime_format_options_free(fo);
}

enum status
notify_build_ack(const struct notify *n, const struct centre *c,
		 const char *case_number, const char *token,
		 enum urgency urgency,
		 const char *rcpt, const char *in_reply_to, GDateTime *now,
		 struct outgoing **out, struct err *err)
{
	const struct template *t;
	g_autoptr(GHashTable) vars = NULL;
	g_autofree char *subject = NULL, *body = NULL, *date = NULL;
	g_autoptr(GDateTime) tw = NULL;
	GMimeMessage *msg;
	GMimeTextPart *part;
	struct outgoing *o;

	if (urgency < URGENCY_CONSULTATION || urgency > URGENCY_EMERGENCY)
		urgency = URGENCY_CONSULTATION;
	t = n->ack[urgency];
	if (!header_safe(rcpt) || !address_valid(rcpt))
		return err_set(err, ST_MSG_BAD, "reply address of case %s is "
			       "not usable", case_number);
	tw = g_date_time_to_timezone(now, twtime_zone());
	date = g_strdup_printf("%d年%d月%d日", g_date_time_get_year(tw),
			       g_date_time_get_month(tw),
			       g_date_time_get_day_of_month(tw));
	vars = g_hash_table_new(g_str_hash, g_str_equal);
	g_hash_table_insert(vars, "case_number", (gpointer)case_number);
	g_hash_table_insert(vars, "centre_name", c->name);
	g_hash_table_insert(vars, "centre_address", c->address);
	g_hash_table_insert(vars, "county_name",
			    (gpointer)county_name(c->code));
	g_hash_table_insert(vars, "received_date", date);
	subject = template_expand(t->subject, vars);
	body = template_expand(t->body, vars);

	o = g_new0(struct outgoing, 1);
	o->message_id = token != NULL
				 ? token_message_id(token, c->address)
				 : new_message_id(case_number, c->address);
	o->env_from = g_strdup(c->address);
	o->rcpt = g_strdup(rcpt);

	msg = g_mime_message_new(TRUE);
	g_mime_message_add_mailbox(msg, GMIME_ADDRESS_TYPE_FROM, c->name,
				   c->address);
	g_mime_message_add_mailbox(msg, GMIME_ADDRESS_TYPE_TO, NULL, rcpt);
	if (token != NULL) {
		g_autofree char *reply = token_reply_to(token, c->address);

		g_mime_message_add_mailbox(msg, GMIME_ADDRESS_TYPE_REPLY_TO,
					   c->name, reply);
	}
	g_mime_message_set_subject(msg, subject, "UTF-8");
	g_mime_message_set_date(msg, now);
	g_mime_message_set_message_id(msg, o->message_id);
	if (in_reply_to != NULL && header_safe(in_reply_to) &&
	    strpbrk(in_reply_to, "<> ") == NULL) {
		g_autofree char *ref = g_strdup_printf("<%s>", in_reply_to);

		g_mime_object_set_header(GMIME_OBJECT(msg), "In-Reply-To",
					 ref, NULL);
		g_mime_object_set_header(GMIME_OBJECT(msg), "References", ref,
					 NULL);
	}
	/* RFC 3834: an automatic answer, so other robots do not answer it. */
	g_mime_object_set_header(GMIME_OBJECT(msg), "Auto-Submitted",
				 "auto-replied", NULL);
	g_mime_object_set_header(GMIME_OBJECT(msg), "X-Lamplight-Case",
				 case_number, NULL);
	part = g_mime_text_part_new_with_subtype("plain");
	g_mime_text_part_set_charset(part, "UTF-8");
	g_mime_text_part_set_text(part, body);
	g_mime_part_set_content_encoding(
		GMIME_PART(part),
		g_mime_part_get_best_content_encoding(
			GMIME_PART(part), GMIME_ENCODING_CONSTRAINT_7BIT));
	g_mime_message_set_mime_part(msg, GMIME_OBJECT(part));
	g_object_unref(part);
	to_crlf(msg, o);
	g_object_unref(msg);
	*out = o;
	return ST_OK;
}
