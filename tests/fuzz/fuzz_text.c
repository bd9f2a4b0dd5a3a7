/*
 * libFuzzer target: arbitrary text through the web form reader, identity
 * extraction, quote stripping and the date, phone and county helpers.
 * Mail text reaches them as valid UTF-8, so other input is skipped.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "form.h"
#include "identity.h"
#include "quote.h"

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
	return 0;
}
