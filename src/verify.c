/* Verifying staff replies (verify.h). */
#include <string.h>

#include "verify.h"

const char *
verify_reason(enum verdict v)
{
	switch (v) {
	case VERIFY_OK: return "verified";
	case VERIFY_NOT_STAFF: return "the sender is not staff of this centre";
	case VERIFY_MANY_FROM: return "the mail names more than one sender";
	case VERIFY_NO_TOKEN:
		return "no reply token made for the sender on this case";
	case VERIFY_OTHER_CASE:
		return "the sender's reply token is of another case";
	case VERIFY_UNAUTHENTICATED:
		return "the receiving server did not authenticate the sender";
	case VERIFY_CLOSED: return "the case is closed";
	}
	return "refused";
}

/* Text without RFC 5322 comments (nested parentheses): new. */
static char *
uncomment(const char *s)
{
	GString *out = g_string_sized_new(strlen(s));
	int depth = 0;
	gboolean quoted = FALSE;

	for (; *s != '\0'; s++) {
		if (*s == '\\' && s[1] != '\0') {
			if (depth == 0)
				g_string_append_len(out, s, 2);
			s++;
		} else if (*s == '"' && depth == 0) {
			quoted = !quoted;
			g_string_append_c(out, *s);
		} else if (*s == '(' && !quoted) {
			depth++;
		} else if (*s == ')' && !quoted && depth > 0) {
			depth--;
			if (depth == 0)
				g_string_append_c(out, ' ');
		} else if (depth == 0) {
			g_string_append_c(out, *s);
		}
	}
	return g_string_free(out, FALSE);
}

/* The domain of an address, or a bare domain as it is. */
static const char *
domain_of(const char *v)
{
	const char *d = address_domain(v);

	return d != NULL ? d : v;
}

/* Whether d is dom or a subdomain of it (relaxed alignment). */
static gboolean
aligned(const char *d, const char *dom)
{
	return d != NULL && dom != NULL && *d != '\0' && *dom != '\0' &&
	       domain_within(d, dom);
}

/* The value of property name ("smtp.auth") in words, unquoted: new. */
static char *
property(char **words, const char *name)
{
	size_t n = strlen(name);

	for (int i = 1; words[i] != NULL; i++)
		if (g_ascii_strncasecmp(words[i], name, n) == 0 &&
		    words[i][n] == '=') {
			char *v = g_strdup(words[i] + n + 1);
			size_t l = strlen(v);

			if (l >= 2 && v[0] == '"' && v[l - 1] == '"') {
				memmove(v, v + 1, l - 2);
				v[l - 2] = '\0';
			}
			return v;
		}
	return NULL;
}

/* Whether one result ("dkim=pass header.d=x") vouches for from. */
static gboolean
vouches(const char *resinfo, const char *from)
{
	g_auto(GStrv) words = g_strsplit_set(g_strstrip((char *)resinfo),
					     " \t\r\n", -1);
	g_autoptr(GPtrArray) kept = g_ptr_array_new();
	g_autofree char *v = NULL;
	const char *dom = domain_of(from);
	char *eq, **w;

	for (int i = 0; words[i] != NULL; i++)
		if (*words[i] != '\0')
			g_ptr_array_add(kept, words[i]);
	g_ptr_array_add(kept, NULL);
	w = (char **)kept->pdata;
	if (w[0] == NULL || (eq = strchr(w[0], '=')) == NULL ||
	    g_ascii_strcasecmp(eq + 1, "pass") != 0)
		return FALSE;
	*eq = '\0';
	/* A method may carry a version: "dkim/1". */
	if (strchr(w[0], '/') != NULL)
		*strchr(w[0], '/') = '\0';
	if (g_ascii_strcasecmp(w[0], "auth") == 0) {
		v = property(w, "smtp.auth");
		return v != NULL && g_ascii_strcasecmp(v, from) == 0;
	}
	if (g_ascii_strcasecmp(w[0], "dkim") == 0) {
		v = property(w, "header.d");
		if (v == NULL)
			v = property(w, "header.i");
		return v != NULL && aligned(dom, domain_of(v));
	}
	if (g_ascii_strcasecmp(w[0], "spf") == 0) {
		v = property(w, "smtp.mailfrom");
		return v != NULL && aligned(dom, domain_of(v)) &&
		       aligned(domain_of(v), dom);
	}
	if (g_ascii_strcasecmp(w[0], "dmarc") == 0) {
		v = property(w, "header.from");
		return v != NULL && g_ascii_strcasecmp(domain_of(v), dom) == 0;
	}
	return FALSE;
}

gboolean
verify_authenticated(char **trusted, const GPtrArray *auth_results,
		     const char *from)
{
	if (trusted == NULL || from == NULL || auth_results == NULL)
		return FALSE;
	for (guint i = 0; i < auth_results->len; i++) {
		g_autofree char *text = uncomment(auth_results->pdata[i]);
		g_auto(GStrv) parts = g_strsplit(text, ";", -1);
		g_auto(GStrv) id = NULL;

		if (parts[0] == NULL)
			continue;
		/* authserv-id [version] */
		id = g_strsplit_set(g_strstrip(parts[0]), " \t\r\n", 2);
		if (id[0] == NULL || !address_in(trusted, id[0]))
			continue;
		for (int k = 1; parts[k] != NULL; k++)
			if (vouches(parts[k], from))
				return TRUE;
	}
	return FALSE;
}

enum verdict
verify_staff(const struct centre *c, char **trusted, const struct tokens *t,
	     const struct mail_msg *m, char **numbers, gboolean closed)
{
	g_autoptr(GPtrArray) found = NULL;
	gboolean ours = FALSE, other = FALSE;

	if (m->from_count > 1)
		return VERIFY_MANY_FROM;
	if (m->from_addr == NULL || c == NULL || !centre_staff(c, m->from_addr))
		return VERIFY_NOT_STAFF;
	found = token_find_all(m);
	for (guint i = 0; i < found->len; i++) {
		g_autofree char *n = NULL;

		if (!token_check(t, found->pdata[i], m->from_addr, &n))
			continue;
		if (g_strv_contains((const char *const *)numbers, n))
			ours = TRUE;
		else
			other = TRUE;
	}
	if (other)
		return VERIFY_OTHER_CASE;
	if (!ours)
		return VERIFY_NO_TOKEN;
	if (!verify_authenticated(trusted, m->auth_results, m->from_addr))
		return VERIFY_UNAUTHENTICATED;
	if (closed)
		return VERIFY_CLOSED;
	return VERIFY_OK;
}
