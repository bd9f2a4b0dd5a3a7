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
	case VERIFY_BAD_SECRET: return "the staff secret given is wrong";
	case VERIFY_NO_SECRET:
		return "the sender must give a staff secret and gave none";
	}
	return "refused";
}

/*
 * An RFC 8601 reader.  A header is read whole or not at all: anything
 * that does not parse (an unclosed comment or quote, a stray character)
 * makes the whole header worthless, since a hostile value written
 * unquoted by the server is exactly what fails to parse.
 */
struct lex {
	const char *p;
	gboolean bad;
};

/* Skips white space and comments, nested, with quoted pairs. */
static void
skip_cfws(struct lex *x)
{
	for (;;) {
		while (*x->p == ' ' || *x->p == '\t' || *x->p == '\r' ||
		       *x->p == '\n')
			x->p++;
		if (*x->p != '(')
			return;
		{
			int depth = 0;

			do {
				if (*x->p == '\0') {
					x->bad = TRUE;
					return;
				}
				if (*x->p == '\\' && x->p[1] != '\0')
					x->p++;
				else if (*x->p == '(')
					depth++;
				else if (*x->p == ')')
					depth--;
				x->p++;
			} while (depth > 0);
		}
	}
}

/* A quoted-string at x->p, unquoted: new, or NULL (x->bad). */
static char *
read_quoted(struct lex *x)
{
	GString *s = g_string_new(NULL);

	x->p++;
	for (;;) {
		if (*x->p == '\0') {
			x->bad = TRUE;
			g_string_free(s, TRUE);
			return NULL;
		}
		if (*x->p == '"')
			break;
		if (*x->p == '\\' && x->p[1] != '\0')
			x->p++;
		g_string_append_c(s, *x->p++);
	}
	x->p++;
	return g_string_free(s, FALSE);
}

/* RFC 2045 token characters: no space, controls or tspecials. */
static gboolean
token_char(char c)
{
	return (unsigned char)c > ' ' && (unsigned char)c < 0x7f &&
	       strchr("()<>@,;:\\\"/[]?=", c) == NULL;
}

/* RFC 5322 atext, and '.' (a dot-atom's letters). */
static gboolean
atom_char(char c)
{
	return c != '\0' && (g_ascii_isalnum(c) ||
			     strchr("!#$%&'*+-/=?^_`{|}~.", c) != NULL);
}

/* A value (token or quoted-string): new, or NULL (x->bad). */
static char *
read_value(struct lex *x)
{
	const char *s = x->p;

	skip_cfws(x);
	if (x->bad)
		return NULL;
	if (*x->p == '"')
		return read_quoted(x);
	s = x->p;
	while (token_char(*x->p))
		x->p++;
	if (x->p == s) {
		x->bad = TRUE;
		return NULL;
	}
	return g_strndup(s, x->p - s);
}

/* A keyword (letters, digits, '-', '_'): new, or NULL (x->bad). */
static char *
read_keyword(struct lex *x)
{
	const char *s;

	skip_cfws(x);
	s = x->p;
	while (g_ascii_isalnum(*x->p) || *x->p == '-' || *x->p == '_')
		x->p++;
	if (x->bad || x->p == s) {
		x->bad = TRUE;
		return NULL;
	}
	return g_strndup(s, x->p - s);
}

static gboolean
expect(struct lex *x, char c)
{
	skip_cfws(x);
	if (x->bad || *x->p != c) {
		x->bad = TRUE;
		return FALSE;
	}
	x->p++;
	return TRUE;
}

/* A pvalue: a value, or [local-part] "@" domain; new or NULL. */
static char *
read_pvalue(struct lex *x)
{
	GString *s;
	guint ats = 0;

	skip_cfws(x);
	if (x->bad)
		return NULL;
	s = g_string_new(NULL);
	if (*x->p == '"') {
		char *q = read_quoted(x);

		if (q == NULL) {
			g_string_free(s, TRUE);
			return NULL;
		}
		g_string_append(s, q);
		g_free(q);
		if (*x->p != '@')
			return g_string_free(s, FALSE);
	}
	while (atom_char(*x->p) || *x->p == '@') {
		ats += *x->p == '@';
		g_string_append_c(s, *x->p++);
	}
	if (s->len == 0 || ats > 1) {
		x->bad = TRUE;
		g_string_free(s, TRUE);
		return NULL;
	}
	return g_string_free(s, FALSE);
}

static void
authres_result_free(gpointer p)
{
	struct authres_result *r = p;

	g_free(r->method);
	g_free(r->result);
	g_free(r->reason);
	g_strfreev(r->props);
	g_free(r);
}

void
authres_free(struct authres *a)
{
	if (a == NULL)
		return;
	g_free(a->authserv_id);
	if (a->results != NULL)
		g_ptr_array_free(a->results, TRUE);
	g_free(a);
}

/* One resinfo after its ';': new, or NULL (x->bad). */
static struct authres_result *
read_resinfo(struct lex *x)
{
	struct authres_result *r = g_new0(struct authres_result, 1);
	g_autoptr(GPtrArray) props = g_ptr_array_new_with_free_func(g_free);
	char *v;

	r->method = read_keyword(x);
	skip_cfws(x);
	/* "dkim/1": a method's version. */
	if (!x->bad && *x->p == '/') {
		x->p++;
		skip_cfws(x);
		if (!g_ascii_isdigit(*x->p))
			x->bad = TRUE;
		while (g_ascii_isdigit(*x->p))
			x->p++;
	}
	if (expect(x, '='))
		r->result = read_keyword(x);
	for (;;) {
		g_autofree char *ptype = NULL, *prop = NULL;

		skip_cfws(x);
		if (x->bad || *x->p == ';' || *x->p == '\0')
			break;
		ptype = read_keyword(x);
		skip_cfws(x);
		if (!x->bad && r->reason == NULL && props->len == 0 &&
		    g_ascii_strcasecmp(ptype, "reason") == 0 && *x->p == '=') {
			x->p++;
			r->reason = read_value(x);
			continue;
		}
		if (!expect(x, '.'))
			break;
		prop = read_keyword(x);
		if (!expect(x, '='))
			break;
		v = read_pvalue(x);
		if (v == NULL)
			break;
		g_ptr_array_add(props, g_strconcat(ptype, ".", prop, NULL));
		g_ptr_array_add(props, v);
	}
	if (x->bad) {
		authres_result_free(r);
		return NULL;
	}
	g_ptr_array_add(props, NULL);
	r->props = (char **)g_ptr_array_free(g_steal_pointer(&props), FALSE);
	return r;
}

struct authres *
authres_parse(const char *value)
{
	struct lex x = { .p = value != NULL ? value : "" };
	struct authres *a = g_new0(struct authres, 1);

	a->results = g_ptr_array_new_with_free_func(authres_result_free);
	a->authserv_id = read_value(&x);
	skip_cfws(&x);
	/* authres-version */
	while (!x.bad && g_ascii_isdigit(*x.p))
		x.p++;
	skip_cfws(&x);
	if (!x.bad && *x.p == '\0')
		x.bad = TRUE;	/* no result at all */
	while (!x.bad && *x.p == ';') {
		struct authres_result *r;

		x.p++;
		skip_cfws(&x);
		if (!x.bad && a->results->len == 0 &&
		    g_ascii_strncasecmp(x.p, "none", 4) == 0 &&
		    !g_ascii_isalnum(x.p[4]) && x.p[4] != '=') {
			x.p += 4;
			skip_cfws(&x);
			if (*x.p != '\0')
				x.bad = TRUE;
			break;
		}
		r = read_resinfo(&x);
		if (r == NULL)
			break;
		g_ptr_array_add(a->results, r);
		skip_cfws(&x);
	}
	if (!x.bad && *x.p != '\0')
		x.bad = TRUE;
	if (x.bad) {
		authres_free(a);
		return NULL;
	}
	return a;
}

/* The value of property name ("smtp.auth") of r, or NULL. */
static const char *
prop(const struct authres_result *r, const char *name)
{
	for (int i = 0; r->props[i] != NULL; i += 2)
		if (g_ascii_strcasecmp(r->props[i], name) == 0)
			return r->props[i + 1];
	return NULL;
}

/* Whether every property of r is one its method may carry. */
static gboolean
props_fit(const struct authres_result *r)
{
	static const char *const auth[] = { "smtp.auth", "smtp.mailfrom",
					    NULL };
	static const char *const dkim[] = { "header.d", "header.i",
					    "header.s", "header.a",
					    "header.b", "policy.", NULL };
	static const char *const spf[] = { "smtp.mailfrom", "smtp.helo",
					   NULL };
	static const char *const dmarc[] = { "header.from", "policy.", NULL };
	static const struct {
		const char *method;
		const char *const *props;
	} fit[] = {
		{ "auth", auth }, { "dkim", dkim }, { "spf", spf },
		{ "dmarc", dmarc },
	};

	for (size_t k = 0; k < G_N_ELEMENTS(fit); k++) {
		if (g_ascii_strcasecmp(r->method, fit[k].method) != 0)
			continue;
		for (int i = 0; r->props[i] != NULL; i += 2) {
			gboolean ok = FALSE;

			for (int j = 0; !ok && fit[k].props[j] != NULL; j++) {
				const char *f = fit[k].props[j];

				ok = g_str_has_suffix(f, ".")
					     ? g_ascii_strncasecmp(
						       r->props[i], f,
						       strlen(f)) == 0
					     : g_ascii_strcasecmp(r->props[i],
								  f) == 0;
			}
			if (!ok)
				return FALSE;
		}
		return TRUE;
	}
	return TRUE;
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

/* Whether one result ("dkim=pass header.d=x") vouches for from. */
static gboolean
vouches(const struct authres_result *r, const char *from)
{
	const char *dom = domain_of(from);
	const char *v;

	if (g_ascii_strcasecmp(r->result, "pass") != 0)
		return FALSE;
	if (g_ascii_strcasecmp(r->method, "auth") == 0) {
		v = prop(r, "smtp.auth");
		return v != NULL && g_ascii_strcasecmp(v, from) == 0;
	}
	if (g_ascii_strcasecmp(r->method, "dkim") == 0) {
		v = prop(r, "header.d");
		if (v == NULL)
			v = prop(r, "header.i");
		return v != NULL && aligned(dom, domain_of(v));
	}
	if (g_ascii_strcasecmp(r->method, "spf") == 0) {
		v = prop(r, "smtp.mailfrom");
		return v != NULL && aligned(dom, domain_of(v)) &&
		       aligned(domain_of(v), dom);
	}
	if (g_ascii_strcasecmp(r->method, "dmarc") == 0) {
		v = prop(r, "header.from");
		return v != NULL && g_ascii_strcasecmp(domain_of(v), dom) == 0;
	}
	return FALSE;
}

/*
 * Whether a header from the trusted server is sound: each result with
 * only the properties its method carries, and one auth result at most
 * (a second, or an auth result dressed with a DKIM signature's tags,
 * is a hostile value the server wrote unquoted).
 */
static gboolean
authres_sound(const struct authres *a)
{
	guint auths = 0;

	for (guint i = 0; i < a->results->len; i++) {
		const struct authres_result *r = a->results->pdata[i];

		if (!props_fit(r))
			return FALSE;
		auths += g_ascii_strcasecmp(r->method, "auth") == 0;
	}
	return auths <= 1;
}

gboolean
verify_authenticated(char **trusted, const GPtrArray *auth_results,
		     const char *from)
{
	if (trusted == NULL || from == NULL || auth_results == NULL)
		return FALSE;
	/* The trusted server's headers are the topmost: read down to the
	 * first of any other server, which may say anything. */
	for (guint i = 0; i < auth_results->len; i++) {
		struct authres *a = authres_parse(auth_results->pdata[i]);
		gboolean ours, yes = FALSE;

		if (a == NULL) {
			/* Unreadable: its authserv-id too.  A trusted one
			 * stays worthless; stop, lest it was ours. */
			return FALSE;
		}
		ours = address_in(trusted, a->authserv_id);
		if (ours && authres_sound(a))
			for (guint k = 0; !yes && k < a->results->len; k++)
				yes = vouches(a->results->pdata[k], from);
		authres_free(a);
		if (yes)
			return TRUE;
		if (!ours)
			return FALSE;
	}
	return FALSE;
}

/* Secrets compared in time that does not depend on where they differ. */
static gboolean
secret_equal(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned char d = la != lb;

	for (size_t i = 0; i < la; i++)
		d |= (unsigned char)a[i] ^ (unsigned char)b[i % (lb ? lb : 1)];
	return d == 0 && lb > 0;
}

enum verdict
verify_staff(const struct centre *c, char **trusted, const struct tokens *t,
	     const struct mail_msg *m, char **numbers, gboolean closed,
	     const char *secret)
{
	g_autofree char *who = NULL;
	const char *want = NULL;
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
	who = g_ascii_strdown(m->from_addr, -1);
	if (c->staff_secrets != NULL)
		want = g_hash_table_lookup(c->staff_secrets, who);
	if (secret != NULL) {
		/* A secret given is right, or nothing acts. */
		if (want == NULL || !secret_equal(secret, want))
			return VERIFY_BAD_SECRET;
	} else if (address_in(c->secret_required, m->from_addr)) {
		return VERIFY_NO_SECRET;
	} else if (m->dkim_hostile ||
		   !verify_authenticated(trusted, m->auth_results,
					 m->from_addr)) {
		/* A DKIM signature with tags that break the header's
		 * syntax: whatever the server wrote of it may lie. */
		return VERIFY_UNAUTHENTICATED;
	}
	if (closed)
		return VERIFY_CLOSED;
	return VERIFY_OK;
}
