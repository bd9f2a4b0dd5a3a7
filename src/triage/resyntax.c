/* Walking a PCRE2 pattern element by element (resyntax.h). */
#include <glib.h>
#include <string.h>

#include "resyntax.h"

/* The length of the escape at p ('\\' and what it names), in bytes. */
static size_t
escape_len(const char *p)
{
	const char *q = p + 1;

	if (*q == '\0')
		return 1;
	/* \x{3000}, \p{Han}, \N{U+3000}, \g{1}, \k{name}, \o{17} */
	if (strchr("xpPNgko", *q) != NULL && q[1] == '{') {
		const char *close = strchr(q, '}');

		if (close != NULL)
			return close + 1 - p;
	}
	return 1 + (size_t)(g_utf8_next_char(q) - q);
}

/* The length of the character class at p ('['), to its closing ']'. */
static size_t
class_len(const char *p)
{
	const char *q = p + 1;

	if (*q == '^')
		q++;
	if (*q == ']')
		q++;	/* a ']' first is itself */
	while (*q != '\0' && *q != ']') {
		if (*q == '\\')
			q += escape_len(q);
		else if (q[0] == '[' && q[1] == ':' &&
			 strstr(q + 2, ":]") != NULL)
			q = strstr(q + 2, ":]") + 2;	/* [:alpha:] */
		else
			q++;
	}
	return (*q == ']' ? q + 1 : q) - p;
}

size_t
re_element_len(const char *p)
{
	if (*p == '\0')
		return 0;
	if (p[0] == '\\' && p[1] == 'Q') {
		const char *end = strstr(p + 2, "\\E");

		return end != NULL ? (size_t)(end + 2 - p) : strlen(p);
	}
	if (*p == '\\')
		return escape_len(p);
	if (*p == '[')
		return class_len(p);
	return (size_t)(g_utf8_next_char(p) - p);
}
