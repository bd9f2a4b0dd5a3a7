/*
 * libFuzzer target: the Authentication-Results reader (verify.h) on
 * arbitrary header values, alone and as a stack of headers, the topmost
 * first.  A value read must hold together: an authserv-id, each result
 * with a method, a result and property pairs.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "verify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	g_autofree char *text = NULL;
	g_auto(GStrv) headers = NULL;
	g_autoptr(GPtrArray) ar = g_ptr_array_new();
	char *trusted[] = { "localhost", "mx.tpe.example", NULL };
	struct authres *a;

	if (len > 1 << 16 || memchr(data, '\0', len) != NULL)
		return 0;
	text = g_strndup((const char *)data, len);
	a = authres_parse(text);
	if (a != NULL) {
		if (a->authserv_id == NULL || a->results == NULL)
			abort();
		for (guint i = 0; i < a->results->len; i++) {
			const struct authres_result *r = a->results->pdata[i];
			int n = 0;

			if (r->method == NULL || *r->method == '\0' ||
			    r->result == NULL || r->props == NULL)
				abort();
			while (r->props[n] != NULL)
				n++;
			if (n % 2 != 0)
				abort();
		}
		authres_free(a);
	}
	/* One header a line, topmost first. */
	headers = g_strsplit(text, "\n\n", 16);
	for (int i = 0; headers[i] != NULL; i++)
		g_ptr_array_add(ar, headers[i]);
	(void)verify_authenticated(trusted, ar, "lin@tpe.centers.example");
	(void)verify_authenticated(trusted, ar, "");
	return 0;
}
