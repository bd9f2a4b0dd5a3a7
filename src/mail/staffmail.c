/*
 * Staff replying to case mail (staffmail.h): verified, then their
 * commands (staffcmd.h), then the rest relayed (relay.h) or kept as a
 * note, and a transcript back to them (staffnote.h).
 */
#include <string.h>

#include "command.h"
#include "log.h"
#include "quote.h"
#include "relay.h"
#include "staffcmd.h"
#include "staffmail.h"
#include "staffnote.h"
#include "verify.h"

/* Whether m was written to a note address ("tnn+note.TOKEN@..."). */
static gboolean
to_note_address(const struct mail_msg *m)
{
	for (guint i = 0; m->to != NULL && i < m->to->len; i++)
		if (strstr(m->to->pdata[i], "+note.") != NULL)
			return TRUE;
	return FALSE;
}

enum status
staffmail_reply(const struct casemail *cm, const struct mail_msg *m,
		gint64 case_id, GDateTime *now, const char **said,
		struct err *err)
{
	g_autoptr(GPtrArray) numbers = NULL, lines = NULL;
	g_autofree char *text = NULL, *typed = NULL, *unsigned_rest = NULL;
	struct command_block *b = NULL;
	struct case_view cr;
	GString *told = NULL;
	gboolean tell = FALSE;
	const char *secret = NULL;
	size_t head = 0;
	const char *who = m->from_addr;
	guint quoted;
	enum verdict v;
	enum status st;

	numbers = g_ptr_array_new_with_free_func(g_free);
	st = cases_view(cm->store, case_id, &cr, err);
	if (st == ST_OK)
		st = cases_numbers(cm->store, case_id, numbers, err);
	if (st != ST_OK || cr.number == NULL) {
		case_view_clear(&cr);
		return st;
	}
	g_ptr_array_add(numbers, NULL);
	/* Commands and what is relayed come only from what the staff
	 * member typed: the first text of their own message, never an
	 * attached message, another part or the quoted history. */
	typed = quote_typed(m->own_text, &head);
	text = g_strndup(typed, head);
	b = command_parse(text);
	if (typed[head] != '\0') {
		char *all = g_strconcat(b->rest, "\n", typed + head, NULL);

		g_free(b->rest);
		b->rest = all;
	}
	/* A staff secret, in the command block like the commands. */
	for (guint i = 0; i < b->commands->len; i++) {
		const struct command *cmd = b->commands->pdata[i];

		if (cmd->verb == CMD_SECRET && secret == NULL)
			secret = cmd->arg;
	}
	v = verify_staff(cm->centre, cm->cfg->trusted_authserv, cm->tokens,
			 m, (char **)numbers->pdata, cr.state == CASE_CLOSED,
			 secret);
	if (v != VERIFY_OK) {
		/* Kept on the case for a person to see; nothing acts. */
		log_warn("refused a reply as staff on case %s: %s", cr.number,
			 verify_reason(v));
		st = cases_event_add(cm->store, case_id, NULL, "lamplight",
				     "staff mail refused", verify_reason(v),
				     err);
		if (st == ST_OK)
			st = staffnote_refused(cm, case_id, cr.number, m, v,
					       now, err);
		*said = "staff mail refused; the centre is alerted";
		command_block_free(b);
		case_view_clear(&cr);
		return st;
	}

	/* Commands in the quoted history never run; someone may have
	 * hoped they would. */
	quoted = command_quoted(m->text);
	if (quoted > 0) {
		g_autofree char *why = g_strdup_printf("%u line(s)", quoted);

		log_warn("case %s: commands in the quoted text of a staff "
			 "reply were not run", cr.number);
		st = cases_event_add(cm->store, case_id, NULL, "lamplight",
				     "commands in quoted text not run", why,
				     err);
		if (st == ST_OK)
			st = staffnote_quoted(cm, case_id, cr.number, m, now,
					      err);
		if (st != ST_OK) {
			command_block_free(b);
			case_view_clear(&cr);
			return st;
		}
	}
	lines = g_ptr_array_new_with_free_func(g_free);
	for (guint i = 0; st == ST_OK && i < b->commands->len; i++) {
		const struct command *cmd = b->commands->pdata[i];
		struct staffcmd_outcome oc;

		st = staffcmd_run(cm, cmd, cr.number, who, now, &oc, err);
		/* The secret itself is never written back. */
		if (st == ST_OK)
			g_ptr_array_add(lines,
					g_strdup_printf("%s %s\n  → %s",
							oc.done ? "✔" : "✘",
							cmd->verb == CMD_SECRET
								? "#secret ******"
								: cmd->line,
							oc.text));
		g_free(oc.text);
	}
	/* What follows the commands: a note, or the writer's answer,
	 * without the signature. */
	g_strstrip(b->rest);
	unsigned_rest = quote_unsign(b->rest, m->from_name);
	told = g_string_new(NULL);
	if (st == ST_OK && to_note_address(m) &&
	    (*b->rest != '\0' || *m->forwarded_text != '\0')) {
		struct case_ref c = { 0 };
		/* A message forwarded to the note address is kept whole on
		 * the case, as evidence: someone else's words, never
		 * commands. */
		g_autofree char *note = g_strconcat(
			b->rest, *b->rest != '\0' && *m->forwarded_text != '\0'
					 ? "\n\n" : "",
			m->forwarded_text, NULL);

		st = cases_find(cm->store, cr.number, &c, err);
		if (st == ST_OK)
			st = cases_note(cm->store, &c, who, note, now, err);
		case_ref_clear(&c);
		g_string_append(told,
				*m->forwarded_text != '\0'
					? "其餘內容與轉寄的信件已記為內部紀錄，"
					  "沒有寄給來信者；轉寄信件中的指令一律"
					  "不執行。"
					: "其餘內容已記為內部紀錄，沒有寄給來信者。");
		*said = "note by mail";
		tell = *m->forwarded_text != '\0';
	} else if (st == ST_OK && *unsigned_rest != '\0') {
		st = relay_reply(cm, case_id, &cr, who, unsigned_rest, now,
				 said, err);
		if (strcmp(*said, "staff reply relayed to the writer") == 0) {
			g_string_append(told, "您寫的內容（不含引用的舊信與簽名"
					      "檔）已以中心名義轉寄給來信者。");
		} else if (cr.reply == NULL) {
			g_string_append(told, "您寫的內容沒有轉寄：來信者沒有"
					      "留下可用的信箱，無法聯絡。");
			tell = TRUE;
		} else if (strstr(*said, "last check") != NULL) {
			g_string_append(told, "您寫的內容沒有轉寄：其中有中心"
					      "內部的資料（同仁或紀錄信箱、回覆"
					      "代碼、規則名稱或通知的內容），"
					      "值班同仁已收到通知。請只寫要給"
					      "來信者的話，再回覆一次。");
			tell = TRUE;
		} else {
			g_string_append(told, "您寫的內容沒有轉寄：來信者的"
					      "信箱無法使用。");
			tell = TRUE;
		}
	} else if (st == ST_OK) {
		g_string_append(told, "這封回覆除了指令、引用的舊信和簽名檔"
				      "以外沒有內容，因此沒有轉寄任何東西給"
				      "來信者。");
		*said = b->commands->len > 0 ? "commands by mail"
					     : "staff reply with nothing new";
		tell = *b->rest != '\0' || b->commands->len == 0;
		if (b->commands->len == 0)
			st = cases_event_add(cm->store, case_id, NULL, who,
					     "staff reply not relayed",
					     *b->rest != '\0'
						     ? "nothing but a signature"
						     : "nothing new above the "
						       "quote", err);
	}
	/* What never goes to a writer: said, so that nobody counts on it. */
	if (!to_note_address(m) && *m->forwarded_text != '\0') {
		g_string_append(told, "\n轉寄的信件沒有轉給來信者，其中的指令"
				      "也不執行（要留存請寄到紀錄信箱）。");
		tell = TRUE;
	}
	if (m->attachments->len > 0 && *m->forwarded_text == '\0') {
		g_string_append_printf(told, "\n附件（%u 個）不會轉寄給來信者，"
				       "也不會存入案件。",
				       m->attachments->len);
		tell = TRUE;
	}
	if (st == ST_OK && (b->commands->len > 0 || tell))
		st = staffnote_transcript(cm, case_id, cr.number, m, lines,
					  told->str, now, err);
	g_string_free(told, TRUE);
	command_block_free(b);
	case_view_clear(&cr);
	return st;
}
