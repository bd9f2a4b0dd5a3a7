/*
 * libFuzzer target: command extraction from MIME trees, as a staff
 * reply is read (staffmail.c): the message's first text, what the staff
 * member typed of it, the command block and the text relayed without
 * its signature.  A command must come from the message's own first text
 * and never from a forwarded message, another part or the quote.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "command.h"
#include "mime.h"
#include "quote.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);
int LLVMFuzzerInitialize(int *argc, char ***argv);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	mime_init();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct mail_msg *m = NULL;
	struct err err = { 0 };
	struct command_block *b;
	g_autofree char *typed = NULL, *cmds = NULL, *unsigned_text = NULL;
	size_t head = 0;

	if (len > 1 << 16 || mail_parse(data, len, &m, &err) != ST_OK)
		return 0;
	if (m->own_text == NULL || !g_utf8_validate(m->own_text, -1, NULL))
		abort();
	typed = quote_typed(m->own_text, &head);
	if (head > strlen(typed) || !g_utf8_validate(typed, -1, NULL))
		abort();
	cmds = g_strndup(typed, head);
	b = command_parse(cmds);
	for (guint i = 0; i < b->commands->len; i++) {
		const struct command *c = b->commands->pdata[i];

		/* Every command line is a line the staff member wrote in
		 * the first text of their own message. */
		if (strstr(m->own_text, c->line) == NULL)
			abort();
	}
	unsigned_text = quote_unsign(b->rest, m->from_name);
	if (!g_utf8_validate(unsigned_text, -1, NULL) ||
	    strlen(unsigned_text) > strlen(b->rest))
		abort();
	command_block_free(b);
	mail_msg_free(m);
	return 0;
}
