/*
 * libFuzzer target: arbitrary bytes through the whole reading of a
 * message (GMime parse, charsets, HTML, web form, classification and
 * triage with the shipped rules).  Build with -Dfuzz=true and clang;
 * run: build-fuzz/tests/fuzz_mail tests/corpus -max_total_time=60
 */
#include <stdint.h>
#include <stdlib.h>

#include "classify.h"
#include "mime.h"
#include "rules.h"

static struct ruleset *rules;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct err err = { 0 };

	mime_init();
	if (rules_load_dir(SOURCE_ROOT "/rules", &rules, &err) != ST_OK)
		abort();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct classify_ctx ctx = { .rules = rules };
	struct mail_msg *m = NULL;
	struct classification *c = NULL;
	struct err err = { 0 };

	if (len > 1 << 20)
		return 0;
	if (mail_parse(data, len, &m, &err) != ST_OK)
		return 0;
	/* The model promises UTF-8 everywhere. */
	if (!g_utf8_validate(m->text, -1, NULL) ||
	    !g_utf8_validate(m->forwarded_text, -1, NULL) ||
	    !g_utf8_validate(m->subject, -1, NULL) ||
	    (m->from_name && !g_utf8_validate(m->from_name, -1, NULL)) ||
	    (m->from_addr && !g_utf8_validate(m->from_addr, -1, NULL)) ||
	    (m->reply_to && !g_utf8_validate(m->reply_to, -1, NULL)) ||
	    !g_utf8_validate(m->report, -1, NULL))
		abort();
	if (classify_mail(&ctx, m, &c, &err) == ST_OK)
		classification_free(c);
	mail_msg_free(m);
	return 0;
}
