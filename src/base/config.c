/*
 * Reading lamplight.conf.  GLib's key file parser does the parsing; a
 * small scan of the same text beforehand finds line numbers, duplicate
 * groups and lines GLib would reject, so every problem names its line.
 */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "suggest.h"

static const char *const referrer_keys[REFERRER_COUNT] = {
	"dispatch", "corrections", "probation", "aftercare", "police",
	"other",
};

const char *
referrer_key(enum referrer r)
{
	return r < REFERRER_COUNT ? referrer_keys[r] : NULL;
}

gboolean
address_in(char **list, const char *addr)
{
	for (int i = 0; list != NULL && addr != NULL && list[i] != NULL; i++)
		if (g_ascii_strcasecmp(list[i], addr) == 0)
			return TRUE;
	return FALSE;
}

gboolean
centre_staff(const struct centre *c, const char *addr)
{
	return addr != NULL &&
	       (address_in(c->staff, addr) ||
		(c->duty != NULL && g_ascii_strcasecmp(c->duty, addr) == 0));
}

const char *
address_domain(const char *addr)
{
	const char *at = addr != NULL ? strrchr(addr, '@') : NULL;

	return at != NULL ? at + 1 : NULL;
}

char *
address_canonical(const char *addr)
{
	const char *at = addr != NULL ? strrchr(addr, '@') : NULL;
	g_autofree char *local = NULL, *dom = NULL;
	char *plus;

	if (at == NULL)
		return addr != NULL ? g_ascii_strdown(addr, -1) : NULL;
	local = g_ascii_strdown(addr, at - addr);
	dom = g_ascii_strdown(at + 1, -1);
	if ((plus = strchr(local, '+')) != NULL)
		*plus = '\0';
	/* Gmail delivers a.b@ and ab@ alike. */
	if (strcmp(dom, "gmail.com") == 0 || strcmp(dom, "googlemail.com") == 0) {
		char *w = local;

		for (const char *r = local; *r; r++)
			if (*r != '.')
				*w++ = *r;
		*w = '\0';
		g_free(dom);
		dom = g_strdup("gmail.com");
	}
	return g_strconcat(local, "@", dom, NULL);
}

gboolean
domain_within(const char *d, const char *dom)
{
	size_t dl, ml;

	if (d == NULL || dom == NULL)
		return FALSE;
	dl = strlen(d);
	ml = strlen(dom);
	if (dl == ml)
		return g_ascii_strcasecmp(d, dom) == 0;
	return dl > ml && d[dl - ml - 1] == '.' &&
	       g_ascii_strcasecmp(d + dl - ml, dom) == 0;
}

gboolean
config_referrer(const struct centre *c, const char *addr, enum referrer *r)
{
	for (int k = 0; c != NULL && k < REFERRER_COUNT; k++)
		if (address_in(c->referrers[k], addr)) {
			*r = (enum referrer)k;
			return TRUE;
		}
	return FALSE;
}


gboolean
address_valid(const char *s)
{
	const char *at;

	if (s == NULL || *s == '\0' || strlen(s) > 254)
		return FALSE;
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == '<' || *p == '>' ||
		    *p == ',' || *p == ';' || *p == '"' || *p == 0x7f)
			return FALSE;
	at = strchr(s, '@');
	if (at == NULL || at == s || strchr(at + 1, '@') != NULL)
		return FALSE;
	return at[1] != '\0' && at[1] != '.' && s[strlen(s) - 1] != '.';
}

/* Line numbers of groups and keys, found by scanning the raw text. */
struct lines {
	GHashTable *at;		/* "group" or "group\x1fkey" -> line */
	const char *path;
	GPtrArray *problems;
};

static void G_GNUC_PRINTF(3, 4)
problem(struct lines *ln, int line, const char *fmt, ...)
{
	g_autofree char *msg = NULL;
	va_list ap;

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_ptr_array_add(ln->problems,
			g_strdup_printf("%s:%d: %s", ln->path, line, msg));
}

static int
line_of(const struct lines *ln, const char *group, const char *key)
{
	g_autofree char *k = NULL;
	gpointer v;

	if (key != NULL) {
		k = g_strdup_printf("%s\x1f%s", group, key);
		v = g_hash_table_lookup(ln->at, k);
		if (v != NULL)
			return GPOINTER_TO_INT(v);
	}
	v = g_hash_table_lookup(ln->at, group);
	return v != NULL ? GPOINTER_TO_INT(v) : 1;
}

static void
scan_lines(struct lines *ln, const char *text)
{
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
	g_autofree char *group = NULL;

	for (int i = 0; lines[i] != NULL; i++) {
		int no = i + 1;
		char *l = g_strstrip(lines[i]);
		char *eq;

		if (*l == '\0' || *l == '#')
			continue;
		if (*l == '[') {
			char *end = strchr(l, ']');

			if (end == NULL || end[1] != '\0') {
				problem(ln, no, "malformed group header");
				continue;
			}
			g_free(group);
			group = g_strndup(l + 1, end - l - 1);
			if (g_hash_table_contains(ln->at, group))
				problem(ln, no, "group [%s] repeated (first "
					"on line %d)", group,
					line_of(ln, group, NULL));
			else
				g_hash_table_insert(ln->at, g_strdup(group),
						    GINT_TO_POINTER(no));
			continue;
		}
		eq = strchr(l, '=');
		if (eq == NULL) {
			problem(ln, no, "expected 'key = value'");
			continue;
		}
		if (group == NULL) {
			problem(ln, no, "key before the first [group]");
			continue;
		}
		*eq = '\0';
		g_strchomp(l);
		{
			g_autofree char *k =
				g_strdup_printf("%s\x1f%s", group, l);
			if (g_hash_table_contains(ln->at, k))
				problem(ln, no, "key '%s' repeated in [%s]", l,
					group);
			else
				g_hash_table_insert(ln->at,
						    g_steal_pointer(&k),
						    GINT_TO_POINTER(no));
		}
	}
}

static char *
resolve_path(const struct config *cfg, const char *p)
{
	if (p == NULL || *p == '\0')
		return NULL;
	if (g_path_is_absolute(p))
		return g_strdup(p);
	return g_build_filename(cfg->dir, p, NULL);
}

/* A string value, or NULL when absent or empty. */
static char *
get_string(GKeyFile *kf, const char *group, const char *key)
{
	char *v = g_key_file_get_string(kf, group, key, NULL);

	if (v != NULL)
		g_strstrip(v);
	if (v != NULL && *v == '\0') {
		g_free(v);
		v = NULL;
	}
	return v;
}

/*
 * Reads a secret file: refused when others may read it, trailing newline
 * dropped.  Returns a new string, or NULL after recording a problem.
 */
static char *
read_secret(struct lines *ln, const char *group, const char *key,
	    const char *path)
{
	g_autofree char *data = NULL;
	g_autoptr(GError) gerr = NULL;
	struct stat st;
	size_t len;
	int line = line_of(ln, group, key);

	if (stat(path, &st) != 0) {
		problem(ln, line, "cannot read %s '%s': %s", key, path,
			g_strerror(errno));
		return NULL;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		problem(ln, line, "%s '%s' is readable by others "
			"(chmod 600 it)", key, path);
		return NULL;
	}
	/* The file, the system's reason and who asked: the error of
	 * g_file_get_contents() alone does not say which user failed. */
	if (!g_file_get_contents(path, &data, &len, &gerr)) {
		problem(ln, line, "cannot read %s '%s': %s (as uid %u): the "
			"user lamplight runs as must be able to read it",
			key, path, access(path, R_OK) != 0 ? g_strerror(errno)
							   : gerr->message,
			(unsigned)geteuid());
		return NULL;
	}
	while (len > 0 && (data[len - 1] == '\n' || data[len - 1] == '\r'))
		data[--len] = '\0';
	if (len == 0 || strlen(data) != len) {
		problem(ln, line, "%s '%s' is empty or not text", key, path);
		return NULL;
	}
	return g_steal_pointer(&data);
}

static const char *const main_keys[] = {
	"state_dir", "rules_dir", "templates_dir", "calendar", "token_key_file",
	"data_key_file", "retention_days", "auto_mail_per_day",
	"max_message_size", "trusted_authserv",
	"fetch_concurrency", "timeout", "busy_timeout", "lock_warn_after",
	"first_run_limit", NULL,
};
static const char *const smtp_keys[] = {
	"url", "starttls", "ca_file", "user", "password_file", NULL,
};
static const char *const centre_keys[] = {
	"name", "address", "mailbox", "password_file", "ca_file",
	"after_fetch", "starttls", "staff", "duty", "staff_notices",
	"staff_secrets_file", "staff_require_secret",
	"ack_discreet", "ack_sender_name", "ack_subject",
	"partners.health",
	"partners.social",
	"partners.employment", "partners.education", "partners.police",
	"referrers.dispatch", "referrers.corrections", "referrers.probation",
	"referrers.aftercare", "referrers.police", "referrers.other", NULL,
};

/* Keys that would put a secret into the config text itself. */
static gboolean
key_is_secret(const char *key)
{
	return strcmp(key, "password") == 0 || strcmp(key, "secret") == 0 ||
	       strcmp(key, "pass") == 0 || g_str_has_suffix(key, "_key") ||
	       strcmp(key, "key") == 0;
}

/* A key none of known: the one it is likely a slip for, else them all. */
static void
unknown_key(struct lines *ln, int line, const char *group, const char *key,
	    const char *const *known)
{
	const char *near = suggest_nearest(key, known);
	g_autofree char *all = NULL;

	if (near != NULL) {
		problem(ln, line, "unknown key '%s' in [%s]: did you mean "
			"'%s'?", key, group, near);
		return;
	}
	all = g_strjoinv(" ", (char **)known);
	problem(ln, line, "unknown key '%s' in [%s] (the keys: %s)", key,
		group, all);
}

static void
check_keys(struct lines *ln, GKeyFile *kf, const char *group,
	   const char *const *known)
{
	g_auto(GStrv) keys = g_key_file_get_keys(kf, group, NULL, NULL);

	for (int i = 0; keys != NULL && keys[i] != NULL; i++) {
		int line = line_of(ln, group, keys[i]);

		if (key_is_secret(keys[i])) {
			problem(ln, line, "secret '%s' in the config text: "
				"put it in a file and name it with "
				"password_file", keys[i]);
			continue;
		}
		if (!g_strv_contains(known, keys[i]))
			unknown_key(ln, line, group, keys[i], known);
	}
}

/* A group none of ours: [smpt] or [center TPE] is likely a slip. */
static void
unknown_group(struct lines *ln, const char *group)
{
	static const char *const heads[] = { "lamplight", "smtp", "centre",
					     NULL };
	const char *code = strchr(group, ' ');
	g_autofree char *head = g_strndup(group, code != NULL
							 ? (gsize)(code - group)
							 : strlen(group));
	const char *near = suggest_nearest(head, heads);
	int line = line_of(ln, group, NULL);

	/* Only [centre CODE] has a code. */
	if (near != NULL && (code != NULL) == (strcmp(near, "centre") == 0))
		problem(ln, line, "unknown group [%s]: did you mean [%s%s]?",
			group, near, code != NULL ? code : "");
	else
		problem(ln, line, "unknown group [%s] (the groups: [lamplight] "
			"[smtp] [centre CODE])", group);
}

static char **
get_addresses(struct lines *ln, GKeyFile *kf, const char *group,
	      const char *key)
{
	g_auto(GStrv) list = NULL;
	GPtrArray *out = g_ptr_array_new();

	list = g_key_file_get_string_list(kf, group, key, NULL, NULL);
	for (int i = 0; list != NULL && list[i] != NULL; i++) {
		char *a = g_strstrip(list[i]);

		if (*a == '\0')
			continue;
		if (!address_valid(a))
			problem(ln, line_of(ln, group, key),
				"'%s' in %s is not a mail address", a, key);
		else
			g_ptr_array_add(out, g_strdup(a));
	}
	g_ptr_array_add(out, NULL);
	return (char **)g_ptr_array_free(out, FALSE);
}

static gboolean
mailbox_url_valid(struct lines *ln, int line, const char *url)
{
	static const char *const schemes[] = {
		"imap", "imaps", "pop3", "pop3s", NULL,
	};
	g_autoptr(GUri) uri = NULL;
	g_autoptr(GError) gerr = NULL;

	if (g_str_has_prefix(url, "maildir:")) {
		if (url[8] == '\0') {
			problem(ln, line, "maildir: needs a path");
			return FALSE;
		}
		return TRUE;
	}
	uri = g_uri_parse(url, G_URI_FLAGS_HAS_PASSWORD, &gerr);
	if (uri == NULL) {
		problem(ln, line, "mailbox is not a URL: %s", gerr->message);
		return FALSE;
	}
	if (!g_strv_contains(schemes, g_uri_get_scheme(uri))) {
		problem(ln, line, "mailbox scheme '%s' is not one of imap, "
			"imaps, pop3, pop3s, maildir", g_uri_get_scheme(uri));
		return FALSE;
	}
	if (g_uri_get_host(uri) == NULL || g_uri_get_user(uri) == NULL) {
		problem(ln, line, "mailbox URL needs a user and a host "
			"(imap://user@host/INBOX)");
		return FALSE;
	}
	if (g_uri_get_password(uri) != NULL) {
		problem(ln, line, "password in the mailbox URL: put it in a "
			"file and name it with password_file");
		return FALSE;
	}
	return TRUE;
}

static void
centre_free(struct centre *c)
{
	if (c == NULL)
		return;
	g_free(c->id);
	g_free(c->name);
	g_free(c->address);
	g_free(c->mailbox);
	if (c->password != NULL)
		explicit_bzero(c->password, strlen(c->password));
	g_free(c->password);
	g_free(c->ca_file);
	g_free(c->move_to);
	g_strfreev(c->staff);
	g_free(c->duty);
	if (c->staff_secrets != NULL)
		g_hash_table_destroy(c->staff_secrets);
	g_strfreev(c->secret_required);
	for (int g = 0; g < GROUP_COUNT; g++)
		g_strfreev(c->partners[g]);
	for (int r = 0; r < REFERRER_COUNT; r++)
		g_strfreev(c->referrers[r]);
	g_free(c->ack_sender_name);
	g_free(c->ack_subject);
	g_free(c);
}

/* Wipes a secret as it goes. */
static void
secret_free(gpointer p)
{
	char *s = p;

	if (s != NULL)
		explicit_bzero(s, strlen(s));
	g_free(s);
}

/*
 * The staff secrets of a centre (verify.h): staff_secrets_file, lines
 * "address secret", readable by its owner alone; staff_require_secret,
 * the staff who never act without theirs.
 */
static void
load_staff_secrets(struct config *cfg, struct lines *ln, GKeyFile *kf,
		   const char *group, struct centre *c)
{
	g_autofree char *file = get_string(kf, group, "staff_secrets_file");
	g_autofree char *path = NULL;
	char *data = NULL;
	int line = line_of(ln, group, "staff_secrets_file");

	c->secret_required = get_addresses(ln, kf, group,
					   "staff_require_secret");
	if (file != NULL) {
		path = resolve_path(cfg, file);
		data = read_secret(ln, group, "staff_secrets_file", path);
	}
	if (data != NULL) {
		g_auto(GStrv) lines = g_strsplit(data, "\n", -1);

		c->staff_secrets = g_hash_table_new_full(g_str_hash,
							 g_str_equal, g_free,
							 secret_free);
		for (int i = 0; lines[i] != NULL; i++) {
			char *l = g_strstrip(lines[i]);
			size_t n = strcspn(l, " \t");
			g_autofree char *a = NULL;
			char *w;

			if (*l == '\0' || *l == '#')
				continue;
			a = g_ascii_strdown(l, n);
			w = g_strstrip(l + n);
			if (!centre_staff(c, a) || *w == '\0' ||
			    strpbrk(w, " \t") != NULL ||
			    g_utf8_strlen(w, -1) < 6) {
				problem(ln, line, "staff_secrets_file line %d: "
					"want a staff address and a secret of "
					"six characters or more, no spaces",
					i + 1);
				continue;
			}
			g_hash_table_replace(c->staff_secrets,
					     g_steal_pointer(&a), g_strdup(w));
		}
		explicit_bzero(data, strlen(data));
		g_free(data);
	}
	for (int i = 0; c->secret_required != NULL &&
			c->secret_required[i] != NULL; i++) {
		g_autofree char *a = g_ascii_strdown(c->secret_required[i], -1);

		if (c->staff_secrets == NULL ||
		    !g_hash_table_contains(c->staff_secrets, a))
			problem(ln, line_of(ln, group, "staff_require_secret"),
				"staff_require_secret: %s has no secret in "
				"staff_secrets_file", c->secret_required[i]);
	}
}

/*
 * A neutral name or subject for mail to writers: one line of at most
 * 40 characters that names neither the centre nor drugs (毒, 戒, 癮),
 * else a problem and NULL.  Absent: def.
 */
static char *
discreet_text(struct lines *ln, GKeyFile *kf, const char *group,
	      const struct centre *c, const char *key, const char *def)
{
	static const char *const telling[] = { "毒", "戒", "癮", NULL };
	g_autofree char *v = get_string(kf, group, key);
	const char *why = NULL;

	if (v == NULL)
		return g_strdup(def);
	for (const char *p = v; *p != '\0' && why == NULL; p++)
		if ((unsigned char)*p < ' ' || *p == 0x7f)
			why = "must be one line of text";
	if (why == NULL && g_utf8_strlen(v, -1) > 40)
		why = "must be 40 characters or fewer";
	for (int i = 0; why == NULL && telling[i] != NULL; i++)
		if (strstr(v, telling[i]) != NULL)
			why = "must not speak of drugs (毒, 戒, 癮)";
	if (why == NULL && c->name != NULL && strstr(v, c->name) != NULL)
		why = "must not name the centre";
	if (why != NULL) {
		problem(ln, line_of(ln, group, key), "%s %s", key, why);
		return NULL;
	}
	return g_steal_pointer(&v);
}

/*
 * ack_discreet = yes: mail to writers goes out under a neutral sender
 * name and subject (ack_sender_name, ack_subject), for writers who
 * share a phone.  The two are refused without it: a centre that sets
 * them believes it is discreet.
 */
static void
load_discreet(struct lines *ln, GKeyFile *kf, const char *group,
	      struct centre *c)
{
	g_autofree char *on = get_string(kf, group, "ack_discreet");

	if (on == NULL || g_ascii_strcasecmp(on, "no") == 0 ||
	    g_ascii_strcasecmp(on, "false") == 0) {
		c->ack_discreet = FALSE;
	} else if (g_ascii_strcasecmp(on, "yes") == 0 ||
		   g_ascii_strcasecmp(on, "true") == 0) {
		c->ack_discreet = TRUE;
	} else {
		problem(ln, line_of(ln, group, "ack_discreet"),
			"ack_discreet must be yes or no");
		return;
	}
	if (!c->ack_discreet) {
		static const char *const keys[] = { "ack_sender_name",
						    "ack_subject", NULL };

		for (int i = 0; keys[i] != NULL; i++)
			if (g_key_file_has_key(kf, group, keys[i], NULL))
				problem(ln, line_of(ln, group, keys[i]),
					"%s needs ack_discreet = yes",
					keys[i]);
		return;
	}
	c->ack_sender_name = discreet_text(ln, kf, group, c,
					   "ack_sender_name", "服務通知");
	c->ack_subject = discreet_text(ln, kf, group, c, "ack_subject",
				       "您的來信已收到");
}

static void
load_centre(struct config *cfg, struct lines *ln, GKeyFile *kf,
	    const char *group)
{
	struct centre *c = g_new0(struct centre, 1);
	const char *code = group + strlen("centre ");
	g_autofree char *pwfile = NULL, *after = NULL, *ca = NULL;
	int line = line_of(ln, group, NULL);

	check_keys(ln, kf, group, centre_keys);
	if (!county_code_valid(code)) {
		g_autofree char *codes = county_code_list();
		const char *near = county_code_nearest(code);

		if (near != NULL)
			problem(ln, line, "unknown county code '%s': did you "
				"mean %s? (the codes: %s)", code, near, codes);
		else
			problem(ln, line, "unknown county code '%s' (the "
				"codes: %s)", code, codes);
		centre_free(c);
		return;
	}
	g_strlcpy(c->code, code, sizeof c->code);
	c->id = g_ascii_strdown(code, -1);
	c->name = get_string(kf, group, "name");
	if (c->name == NULL)
		problem(ln, line, "[%s] needs a name", group);
	c->address = get_string(kf, group, "address");
	if (c->address == NULL)
		problem(ln, line, "[%s] needs an address", group);
	else if (!address_valid(c->address))
		problem(ln, line_of(ln, group, "address"),
			"address is not a mail address");
	else if (config_centre_by_address(cfg, c->address) != NULL)
		problem(ln, line_of(ln, group, "address"),
			"address is used by another centre");
	c->mailbox = get_string(kf, group, "mailbox");
	if (c->mailbox != NULL &&
	    !mailbox_url_valid(ln, line_of(ln, group, "mailbox"),
			       c->mailbox)) {
		g_clear_pointer(&c->mailbox, g_free);
	}
	if (c->mailbox != NULL && g_str_has_prefix(c->mailbox, "maildir:")) {
		char *p = resolve_path(cfg, c->mailbox + 8);

		g_free(c->mailbox);
		c->mailbox = g_strconcat("maildir:", p, NULL);
		g_free(p);
	}
	pwfile = get_string(kf, group, "password_file");
	if (pwfile != NULL) {
		g_autofree char *p = resolve_path(cfg, pwfile);

		c->password = read_secret(ln, group, "password_file", p);
	} else if (c->mailbox != NULL &&
		   !g_str_has_prefix(c->mailbox, "maildir:")) {
		problem(ln, line_of(ln, group, "mailbox"),
			"a network mailbox needs password_file");
	}
	ca = get_string(kf, group, "ca_file");
	c->ca_file = resolve_path(cfg, ca);
	{
		g_autofree char *tls = get_string(kf, group, "starttls");

		/* imap:// and pop3:// use STARTTLS unless told not to. */
		c->starttls = TRUE;
		if (tls != NULL && strcmp(tls, "no") == 0)
			c->starttls = FALSE;
		else if (tls != NULL && strcmp(tls, "required") != 0)
			problem(ln, line_of(ln, group, "starttls"),
				"starttls must be required or no");
	}
	after = get_string(kf, group, "after_fetch");
	if (after == NULL || strcmp(after, "seen") == 0)
		c->after_fetch = AFTER_FETCH_SEEN;
	else if (strcmp(after, "keep") == 0)
		c->after_fetch = AFTER_FETCH_KEEP;
	else if (strcmp(after, "delete") == 0)
		c->after_fetch = AFTER_FETCH_DELETE;
	else if (g_str_has_prefix(after, "move:") && after[5] != '\0' &&
		 strpbrk(after + 5, "\r\n\"/") == NULL) {
		c->after_fetch = AFTER_FETCH_MOVE;
		c->move_to = g_strdup(after + 5);
		if (c->mailbox != NULL && g_str_has_prefix(c->mailbox, "pop3"))
			problem(ln, line_of(ln, group, "after_fetch"),
				"POP3 has no folders: use seen, keep or "
				"delete");
	} else
		problem(ln, line_of(ln, group, "after_fetch"),
			"after_fetch must be seen, keep, delete or "
			"move:FOLDER");
	c->staff = get_addresses(ln, kf, group, "staff");
	c->duty = get_string(kf, group, "duty");
	{
		GError *e = NULL;

		c->staff_notices = TRUE;
		if (g_key_file_has_key(kf, group, "staff_notices", NULL)) {
			c->staff_notices = g_key_file_get_boolean(
				kf, group, "staff_notices", &e);
			if (e != NULL) {
				problem(ln, line_of(ln, group,
						    "staff_notices"),
					"staff_notices must be true or false");
				g_error_free(e);
			}
		}
	}
	if (c->duty != NULL && !address_valid(c->duty))
		problem(ln, line_of(ln, group, "duty"),
			"duty is not a mail address");
	load_staff_secrets(cfg, ln, kf, group, c);
	load_discreet(ln, kf, group, c);
	for (int g = 0; g < GROUP_COUNT; g++) {
		g_autofree char *k =
			g_strconcat("partners.", group_key(g), NULL);
		c->partners[g] = get_addresses(ln, kf, group, k);
	}
	for (int r = 0; r < REFERRER_COUNT; r++) {
		g_autofree char *k = g_strconcat(
			"referrers.", referrer_key((enum referrer)r), NULL);
		c->referrers[r] = get_addresses(ln, kf, group, k);
	}
	c->timeout = cfg->timeout;
	if (config_centre_find(cfg, c->code) != NULL) {
		problem(ln, line, "centre %s configured twice", c->code);
		centre_free(c);
		return;
	}
	g_ptr_array_add(cfg->centres, c);
}

static void
load_smtp(struct config *cfg, struct lines *ln, GKeyFile *kf)
{
	g_autofree char *ca = NULL, *pwfile = NULL, *tls = NULL;
	g_autoptr(GUri) uri = NULL;
	int line = line_of(ln, "smtp", NULL);

	if (!g_key_file_has_group(kf, "smtp")) {
		problem(ln, 1, "missing [smtp] group with the submission url");
		return;
	}
	check_keys(ln, kf, "smtp", smtp_keys);
	cfg->smtp_url = get_string(kf, "smtp", "url");
	if (cfg->smtp_url == NULL) {
		problem(ln, line, "[smtp] needs url (smtp://host:port or "
			"smtps://host:port)");
		return;
	}
	uri = g_uri_parse(cfg->smtp_url, G_URI_FLAGS_HAS_PASSWORD, NULL);
	if (uri == NULL || (strcmp(g_uri_get_scheme(uri), "smtp") != 0 &&
			    strcmp(g_uri_get_scheme(uri), "smtps") != 0) ||
	    g_uri_get_host(uri) == NULL)
		problem(ln, line_of(ln, "smtp", "url"),
			"smtp url must be smtp://host[:port] or "
			"smtps://host[:port]");
	else if (g_uri_get_password(uri) != NULL)
		problem(ln, line_of(ln, "smtp", "url"),
			"password in the smtp url: use password_file");
	tls = get_string(kf, "smtp", "starttls");
	cfg->smtp_starttls = TRUE;
	if (tls != NULL && strcmp(tls, "no") == 0)
		cfg->smtp_starttls = FALSE;
	else if (tls != NULL && strcmp(tls, "required") != 0)
		problem(ln, line_of(ln, "smtp", "starttls"),
			"starttls must be required or no");
	ca = get_string(kf, "smtp", "ca_file");
	cfg->smtp_ca_file = resolve_path(cfg, ca);
	cfg->smtp_user = get_string(kf, "smtp", "user");
	pwfile = get_string(kf, "smtp", "password_file");
	if (pwfile != NULL) {
		g_autofree char *p = resolve_path(cfg, pwfile);

		cfg->smtp_password =
			read_secret(ln, "smtp", "password_file", p);
	}
	if ((cfg->smtp_user == NULL) != (pwfile == NULL))
		problem(ln, line, "[smtp] user and password_file go together");
}

static guint64
parse_size(const char *s, gboolean *ok)
{
	char *end = NULL;
	guint64 n = g_ascii_strtoull(s, &end, 10);

	*ok = end != s;
	if (*ok && (*end == 'K' || *end == 'k'))
		n <<= 10, end++;
	else if (*ok && (*end == 'M' || *end == 'm'))
		n <<= 20, end++;
	*ok = *ok && *end == '\0' && n > 0;
	return n;
}

/* An optional whole number in [lamplight] between min and max. */
static guint
get_uint(struct lines *ln, GKeyFile *kf, const char *key, guint def,
	 guint min, guint max)
{
	g_autofree char *v = get_string(kf, "lamplight", key);
	char *end = NULL;
	guint64 n;

	if (v == NULL)
		return def;
	n = g_ascii_strtoull(v, &end, 10);
	if (end == v || *end != '\0' || n < min || n > max) {
		problem(ln, line_of(ln, "lamplight", key),
			"%s must be a whole number from %u to %u", key, min,
			max);
		return def;
	}
	return (guint)n;
}

static void
load_main(struct config *cfg, struct lines *ln, GKeyFile *kf)
{
	g_autofree char *state = NULL, *rules = NULL, *tmpl = NULL, *cal = NULL;
	g_autofree char *key = NULL, *dkey = NULL;
	g_autofree char *size = NULL;

	if (!g_key_file_has_group(kf, "lamplight")) {
		problem(ln, 1, "missing [lamplight] group with state_dir");
		return;
	}
	check_keys(ln, kf, "lamplight", main_keys);
	state = get_string(kf, "lamplight", "state_dir");
	if (state == NULL)
		problem(ln, line_of(ln, "lamplight", NULL),
			"[lamplight] needs state_dir");
	cfg->state_dir = resolve_path(cfg, state);
	rules = get_string(kf, "lamplight", "rules_dir");
	cfg->rules_dir = resolve_path(cfg, rules ? rules : "rules");
	tmpl = get_string(kf, "lamplight", "templates_dir");
	cfg->templates_dir = resolve_path(cfg, tmpl ? tmpl : "templates");
	key = get_string(kf, "lamplight", "token_key_file");
	cfg->token_key_file = key != NULL
				      ? resolve_path(cfg, key)
				      : g_build_filename(cfg->state_dir,
							 "token.key", NULL);
	dkey = get_string(kf, "lamplight", "data_key_file");
	cfg->data_key_file = dkey != NULL
				     ? resolve_path(cfg, dkey)
				     : g_build_filename(cfg->state_dir,
							"data.key", NULL);
	cfg->retention_days = get_uint(ln, kf, "retention_days", 365, 1,
				       36500);
	cfg->auto_mail_per_day = get_uint(ln, kf, "auto_mail_per_day", 5, 1,
					  1000);
	{
		g_auto(GStrv) ids = g_key_file_get_string_list(
			kf, "lamplight", "trusted_authserv", NULL, NULL);
		GPtrArray *out = g_ptr_array_new();

		for (int i = 0; ids != NULL && ids[i] != NULL; i++) {
			char *id = g_strstrip(ids[i]);

			if (*id != '\0')
				g_ptr_array_add(out, g_strdup(id));
		}
		g_ptr_array_add(out, NULL);
		cfg->trusted_authserv = (char **)g_ptr_array_free(out, FALSE);
	}
	cal = get_string(kf, "lamplight", "calendar");
	cfg->calendar = resolve_path(cfg, cal ? cal : "data/calendar/tw-gov.cal");
	cfg->max_message_bytes = 25u << 20;
	cfg->fetch_concurrency = get_uint(ln, kf, "fetch_concurrency", 4, 1,
					  CENTRE_COUNT);
	cfg->timeout = get_uint(ln, kf, "timeout", 60, 1, 3600);
	cfg->busy_timeout = get_uint(ln, kf, "busy_timeout", 10, 1, 3600);
	cfg->lock_warn_after = get_uint(ln, kf, "lock_warn_after", 30, 1,
					7 * 24 * 60);
	cfg->first_run_limit = get_uint(ln, kf, "first_run_limit", 50, 0,
					G_MAXINT);
	size = get_string(kf, "lamplight", "max_message_size");
	if (size != NULL) {
		gboolean ok;

		cfg->max_message_bytes = parse_size(size, &ok);
		if (!ok)
			problem(ln, line_of(ln, "lamplight",
					    "max_message_size"),
				"max_message_size must be a size such as "
				"25M");
	}
}

enum status
config_load(const char *path, struct config **out, GPtrArray *problems,
	    struct err *err)
{
	g_autofree char *text = NULL, *abs = NULL;
	g_autoptr(GKeyFile) kf = g_key_file_new();
	g_autoptr(GError) gerr = NULL;
	g_auto(GStrv) groups = NULL;
	struct config *cfg;
	struct lines ln;
	guint before = problems->len;
	size_t len;

	if (!g_file_get_contents(path, &text, &len, &gerr))
		return err_set(err, ST_FATAL, "cannot read config: %s",
			       gerr->message);
	ln.at = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	ln.path = path;
	ln.problems = problems;
	if (!g_utf8_validate(text, len, NULL))
		problem(&ln, 1, "config is not valid UTF-8");
	scan_lines(&ln, text);

	cfg = g_new0(struct config, 1);
	cfg->path = g_strdup(path);
	abs = g_canonicalize_filename(path, NULL);
	cfg->dir = g_path_get_dirname(abs);
	cfg->centres = g_ptr_array_new_with_free_func(
		(GDestroyNotify)centre_free);

	if (problems->len == before &&
	    !g_key_file_load_from_data(kf, text, len, G_KEY_FILE_NONE,
				       &gerr))
		problem(&ln, 1, "%s", gerr->message);
	if (problems->len == before) {
		load_main(cfg, &ln, kf);
		load_smtp(cfg, &ln, kf);
		groups = g_key_file_get_groups(kf, NULL);
		for (int i = 0; groups[i] != NULL; i++) {
			if (g_str_has_prefix(groups[i], "centre "))
				load_centre(cfg, &ln, kf, groups[i]);
			else if (strcmp(groups[i], "lamplight") != 0 &&
				 strcmp(groups[i], "smtp") != 0)
				unknown_group(&ln, groups[i]);
		}
		if (cfg->centres->len == 0)
			problem(&ln, 1, "no [centre XXX] groups");
	}
	g_hash_table_destroy(ln.at);
	if (problems->len != before) {
		config_free(cfg);
		return err_set(err, ST_FATAL, "%s: %u problem(s)", path,
			       problems->len - before);
	}
	*out = cfg;
	return ST_OK;
}

void
config_free(struct config *cfg)
{
	if (cfg == NULL)
		return;
	g_free(cfg->path);
	g_free(cfg->dir);
	g_free(cfg->state_dir);
	g_free(cfg->rules_dir);
	g_free(cfg->templates_dir);
	g_free(cfg->calendar);
	g_free(cfg->token_key_file);
	g_free(cfg->data_key_file);
	g_strfreev(cfg->trusted_authserv);
	g_free(cfg->smtp_url);
	g_free(cfg->smtp_ca_file);
	g_free(cfg->smtp_user);
	if (cfg->smtp_password != NULL)
		explicit_bzero(cfg->smtp_password, strlen(cfg->smtp_password));
	g_free(cfg->smtp_password);
	if (cfg->centres != NULL)
		g_ptr_array_free(cfg->centres, TRUE);
	g_free(cfg);
}

const struct centre *
config_centre_find(const struct config *cfg, const char *code)
{
	for (guint i = 0; i < cfg->centres->len; i++) {
		const struct centre *c = cfg->centres->pdata[i];

		if (g_ascii_strcasecmp(c->code, code) == 0)
			return c;
	}
	return NULL;
}

const struct centre *
config_centre_by_address(const struct config *cfg, const char *addr)
{
	if (addr == NULL)
		return NULL;
	for (guint i = 0; i < cfg->centres->len; i++) {
		const struct centre *c = cfg->centres->pdata[i];

		if (c->address != NULL &&
		    g_ascii_strcasecmp(c->address, addr) == 0)
			return c;
	}
	return NULL;
}
