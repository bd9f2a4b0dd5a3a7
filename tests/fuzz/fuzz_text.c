/*
 * libFuzzer target: arbitrary text through the web form reader, identity
 * extraction, quote stripping, the date, phone and county helpers, the
 * command block of staff replies and Authentication-Results reading.
 * Mail text reaches them as valid UTF-8, so other input is skipped.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "command.h"
#include "config.h"
#include "form.h"
#include "identity.h"
#include "quote.h"
#include "verify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	g_autofree char *text = NULL, *plain = NULL, *d = NULL, *p = NULL;
	GHashTable *form;
	struct identity id = { 0 };

	if (len > 1 << 16 || !g_utf8_validate((const char *)data, len, NULL))
		return 0;
	text = g_strndup((const char *)data, len);
	form = form_parse(text);
	identity_from_form(&id, form);
	identity_from_text(&id, text, text, text);
	if (id.national_id != NULL)
		(void)national_id_valid(id.national_id);
	identity_clear(&id);
	if (form != NULL)
		g_hash_table_destroy(form);
	plain = quote_strip(text);
	if (!g_utf8_validate(plain, -1, NULL))
		abort();
	d = birth_date_normalise(text);
	p = phone_normalise(text);
	(void)county_code_for_name(text);
	(void)person_name_plausible(text);
	{
		struct command_block *b = command_parse(plain);
		char *trusted[] = { "localhost", NULL };
		GPtrArray *ar = g_ptr_array_new();
		GDate today, day;

		g_date_clear(&today, 1);
		g_date_set_dmy(&today, 23, 11, 2026);
		for (guint i = 0; i < b->commands->len; i++) {
			const struct command *c = b->commands->pdata[i];

			if (!g_utf8_validate(c->arg, -1, NULL))
				abort();
			if (command_date(c->arg, &today, &day) &&
			    !g_date_valid(&day))
				abort();
		}
		if (!g_utf8_validate(b->rest, -1, NULL))
			abort();
		command_block_free(b);
		g_ptr_array_add(ar, text);
		(void)verify_authenticated(trusted, ar, "a@b.example");
		g_ptr_array_free(ar, TRUE);
	}
	return 0;
}
