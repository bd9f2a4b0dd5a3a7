/*
 * Commands in a staff member's reply: lines at the top of the new text,
 * before anything else, each starting with '#' (or the full-width '＃'
 * of Chinese input methods):
 *
 *   #refer <group or agency> [note]   #close <1-5> [county]
 *   #state <state>                    #assign <staff>
 *   #visit <date>                     #followup <date>
 *   #note <text>                      #merge <case>
 *   #secret <word>                    (the staff secret, verify.h)
 *   #confirm                          (the last unconfirmed partner
 *                                      reply is theirs: its clock stops)
 *   #thanks                           (ends the commands)
 *
 * Blank lines between them are skipped, since mail clients writing
 * HTML put paragraphs apart.  The block ends at "#thanks" or at the
 * first other line; what follows is the message.  Quoted history never
 * reaches the parser: it reads the text with the quote taken off.
 */
#ifndef LAMPLIGHT_COMMAND_H
#define LAMPLIGHT_COMMAND_H

#include <glib.h>

enum command_verb {
	CMD_REFER,
	CMD_CLOSE,
	CMD_STATE,
	CMD_ASSIGN,
	CMD_VISIT,
	CMD_FOLLOWUP,
	CMD_NOTE,
	CMD_MERGE,
	CMD_SECRET,		/* the staff member's secret (verify.h) */
	CMD_CONFIRM,		/* a partner reply without its token is theirs */
	CMD_UNKNOWN,		/* a '#' line naming no command */
};

struct command {
	enum command_verb verb;
	char *line;		/* the line as written, trimmed */
	char *arg;		/* the rest after the verb, trimmed; "" if none */
};

struct command_block {
	GPtrArray *commands;	/* struct command *, in order */
	char *rest;		/* the message after the block (new) */
};

/* Reads the command block at the top of text (UTF-8, unquoted). */
struct command_block *command_parse(const char *text);
void command_block_free(struct command_block *b);

const char *command_verb_name(enum command_verb v);	/* "refer" */

/* How many lines of text's quoted history ("> #close 3") are commands:
 * never run, but worth telling the centre about. */
guint command_quoted(const char *text);

/*
 * A date as staff write it: 2026-11-25, 2026/11/25, 11/25 (this year,
 * as of today), 115/11/25 or 115-11-25 (民國).  FALSE if none.
 */
gboolean command_date(const char *s, const GDate *today, GDate *out);

#endif
