/*
 * Loading and matching triage rules.  Patterns are compiled with UTF and
 * UCP and JIT-compiled; one match context caps backtracking so that no
 * letter, however hostile, stalls a run.
 */
#include <pcre2.h>
#include <stdio.h>
#include <string.h>

#include "prefilter.h"
#include "rules.h"

#define RULES_MAX_INCLUDE_DEPTH 8
#define RULES_MATCH_LIMIT 100000
#define RULES_DEPTH_LIMIT 5000
#define RULES_MAX_HITS_PER_RULE 16

struct rule {
	char *id;
	char *file;
	int line;
	char *pattern;
	pcre2_code *re;
	enum urgency urgency;
	const char *need;	/* the first need voted for, or NULL */
	const char *more_needs[RULES_MAX_NEEDS];	/* and the others */
	enum writer writer;
	enum kind_vote kind;
	int weight;
	guint guards;		/* GUARD_* bits */
	gboolean quoted;	/* also reads the quoted history */
	GPtrArray *examples;	/* must match */
	GPtrArray *counters;	/* must not match */
};

/*
 * Guards: a hit does not count when, within its clause and a few
 * characters before it, the writer negates it or speaks of the past or
 * of a hypothesis ("沒有想自殺", "以前曾經想過", "如果再用").
 */
enum {
	GUARD_NEGATION = 1 << 0,
	GUARD_HYPOTHETICAL = 1 << 1,
	GUARD_PAST = 1 << 2,
	GUARD_ABOUT_SELF = 1 << 3,	/* counts only said of the writer */
	GUARD_ABOUT_OTHER = 1 << 4,	/* counts only said of another */
};

#define GUARD_WINDOW 5		/* characters looked back for a negation */
#define GUARD_WINDOW_WIDE 10	/* ... for a hypothesis or the past */

/*
 * Negations that bind to what follows.  A bare 不 is left out: it is in
 * too many words (不知道, 不好) to void a hit safely, and a missed
 * emergency costs far more than a false alarm.
 */
static const char *const negations[] = {
	"沒有", "没有", "沒", "没", "不會", "不会", "不再", "從未", "从未",
	"未曾", "並非", "不是", "never", "not ", "don't ", "no longer",
	NULL,
};
static const char *const hypotheticals[] = {
	"如果", "假如", "萬一", "万一", "要是", "若", "怕", "擔心", "担心",
	"會不會", "会不会", "if ", NULL,
};
/* Who a clause is about: the writer, or someone else. */
static const char *const selves[] = {
	"我", "本人", "自己", "i ", "i'm", "i've", "me ", "my ", "myself",
	NULL,
};
static const char *const others[] = {
	"他", "她", "兒子", "儿子", "女兒", "女儿", "孩子", "小孩", "先生",
	"老公", "太太", "老婆", "朋友", "同學", "爸", "媽", "妈", "哥", "弟",
	"姊", "姐", "妹", "孫", "he ", "she ", "his ", "her ", "my son",
	"my daughter", "my husband", "my wife", "my friend", NULL,
};

static const char *const pasts[] = {
	"以前", "之前", "曾經", "曾经", "過去", "过去", "當年", "那時",
	"小時候", "used to", NULL,
};

/* Which rules a triage runs. */
enum triage_scope {
	SCOPE_ALL,
	SCOPE_KIND,		/* only those voting for a kind */
	SCOPE_SEEKER,		/* all but those */
	SCOPE_COUNT,
};

/*
 * A prefilter over the rules of one scope, built on the first triage
 * in that scope (most commands that load rules never triage).
 */
struct screen {
	struct prefilter *pf;
	gboolean tried;		/* to build it */
	guint n;		/* rules in the scope */
	guint *rule_of;		/* n: the rule each pattern is */
	gboolean *may;		/* n: what a scan found */
};

struct ruleset {
	GPtrArray *rules;	/* struct rule *, in load order */
	pcre2_match_context *mctx;
	pcre2_match_data *md;
	struct screen *screens;	/* SCOPE_COUNT of them */
	gboolean unscreened;	/* every rule runs: for tests */
	char *cache_dir;	/* of the compiled prefilters */
	gboolean *may;		/* per rule: may match the text */
	gboolean *may_body;	/* ... the quoted body */
};

static const char *const needs[] = {
	"counseling", "crisis", "business_loan", "detox_treatment",
	"employment", "family", "financial_aid", "halfway_house", "hiv",
	"legal", "locate_person", "schooling", "substitution_therapy",
	"vocational_training", NULL,
};

static const char *const writer_names[WRITER_COUNT] = {
	NULL, "self", "family", "friend", "public",
};

static const char *const kind_vote_names[KIND_VOTE_COUNT] = {
	NULL, "spam", "other",
};

const char *
writer_name(enum writer w)
{
	return w < WRITER_COUNT ? writer_names[w] : NULL;
}

const char *
urgency_label(enum urgency u)
{
	switch (u) {
	case URGENCY_CONSULTATION:
		return "諮詢";
	case URGENCY_APPLICATION:
		return "申請協助";
	case URGENCY_EMERGENCY:
		return "緊急";
	case URGENCY_NONE:
		break;
	}
	return NULL;
}

const char *
urgency_name(enum urgency u)
{
	switch (u) {
	case URGENCY_CONSULTATION:
		return "consultation";
	case URGENCY_APPLICATION:
		return "application";
	case URGENCY_EMERGENCY:
		return "emergency";
	case URGENCY_NONE:
		break;
	}
	return NULL;
}

gboolean
urgency_parse(const char *s, enum urgency *out)
{
	for (enum urgency u = URGENCY_CONSULTATION; u <= URGENCY_EMERGENCY;
	     u++) {
		if (strcmp(s, urgency_name(u)) == 0) {
			*out = u;
			return TRUE;
		}
	}
	return FALSE;
}

static const char *
need_static(const char *s)
{
	for (int i = 0; needs[i] != NULL; i++)
		if (strcmp(s, needs[i]) == 0)
			return needs[i];
	return NULL;
}

gboolean
need_valid(const char *s)
{
	return need_static(s) != NULL;
}

static void
rule_free(struct rule *r)
{
	if (r == NULL)
		return;
	g_free(r->id);
	g_free(r->file);
	g_free(r->pattern);
	pcre2_code_free(r->re);
	g_ptr_array_free(r->examples, TRUE);
	g_ptr_array_free(r->counters, TRUE);
	g_free(r);
}

void
ruleset_free(struct ruleset *rs)
{
	if (rs == NULL)
		return;
	g_ptr_array_free(rs->rules, TRUE);
	pcre2_match_context_free(rs->mctx);
	pcre2_match_data_free(rs->md);
	for (int i = 0; i < SCOPE_COUNT; i++) {
		prefilter_free(rs->screens[i].pf);
		g_free(rs->screens[i].rule_of);
		g_free(rs->screens[i].may);
	}
	g_free(rs->screens);
	g_free(rs->may);
	g_free(rs->may_body);
	g_free(rs->cache_dir);
	g_free(rs);
}

guint
ruleset_size(const struct ruleset *rs)
{
	return rs->rules->len;
}

const char *rule_id(const struct rule *r) { return r->id; }
const char *rule_file(const struct rule *r) { return r->file; }
int rule_line(const struct rule *r) { return r->line; }
enum urgency rule_urgency(const struct rule *r) { return r->urgency; }
enum writer rule_writer(const struct rule *r) { return r->writer; }
enum kind_vote rule_kind(const struct rule *r) { return r->kind; }

const char *
rule_vote(const struct rule *r)
{
	if (r->urgency != URGENCY_NONE)
		return urgency_name(r->urgency);
	if (r->need != NULL)
		return r->need;
	if (r->writer != WRITER_UNKNOWN)
		return writer_names[r->writer];
	return kind_vote_names[r->kind];
}
const char *rule_need(const struct rule *r) { return r->need; }
int rule_weight(const struct rule *r) { return r->weight; }

static struct ruleset *
ruleset_new(void)
{
	struct ruleset *rs = g_new0(struct ruleset, 1);

	rs->rules = g_ptr_array_new_with_free_func((GDestroyNotify)rule_free);
	rs->mctx = pcre2_match_context_create(NULL);
	pcre2_set_match_limit(rs->mctx, RULES_MATCH_LIMIT);
	pcre2_set_depth_limit(rs->mctx, RULES_DEPTH_LIMIT);
	rs->screens = g_new0(struct screen, SCOPE_COUNT);
	/* For measuring, and a way out should the prefilter misbehave. */
	rs->unscreened =
		g_strcmp0(g_getenv("LAMPLIGHT_PREFILTER"), "off") == 0;
	return rs;
}

/* A parse position, for messages of the form file:line:col: what. */
struct pos {
	const char *file;
	int line;
};

static enum status G_GNUC_PRINTF(4, 5)
rule_error(struct err *err, const struct pos *p, int col, const char *fmt,
	   ...)
{
	char msg[ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return err_set(err, ST_FATAL, "%s:%d:%d: %s", p->file, p->line, col,
		       msg);
}

static int
utf8_col(const char *line, const char *at)
{
	return (int)g_utf8_pointer_to_offset(line, at) + 1;
}

/* The character offset of the last '(' never closed in pattern. */
static int
unclosed_paren(const char *pattern)
{
	g_autoptr(GArray) open = g_array_new(FALSE, FALSE, sizeof(int));
	gboolean in_class = FALSE;
	int at = 0;

	for (const char *p = pattern; *p; p = g_utf8_next_char(p), at++) {
		if (*p == '\\' && p[1] != '\0') {
			/* Skip the backslash; the loop steps over the
			 * escaped character, whatever its length. */
			p++;
			at++;
			continue;
		}
		if (in_class) {
			in_class = *p != ']';
		} else if (*p == '[') {
			in_class = TRUE;
			if (p[1] == ']')
				p++, at++;
		} else if (*p == '(') {
			g_array_append_val(open, at);
		} else if (*p == ')' && open->len > 0) {
			g_array_set_size(open, open->len - 1);
		}
	}
	return open->len > 0 ? g_array_index(open, int, open->len - 1) : at;
}

static enum status
rule_compile(struct rule *r, const struct pos *p, int col, struct err *err)
{
	PCRE2_SIZE off;
	int code;

	r->re = pcre2_compile((PCRE2_SPTR)r->pattern, PCRE2_ZERO_TERMINATED,
			      PCRE2_UTF | PCRE2_UCP | PCRE2_CASELESS, &code,
			      &off, NULL);
	if (r->re == NULL) {
		PCRE2_UCHAR buf[256];
		int ccol = col + (int)g_utf8_pointer_to_offset(
					 r->pattern, r->pattern + off);

		/* Point at the '(' left open, not at the pattern's end. */
		if (code == 114)
			return rule_error(err, p, col + unclosed_paren(r->pattern),
					  "missing ')'");
		pcre2_get_error_message(code, buf, sizeof buf);
		return rule_error(err, p, ccol, "%s", (char *)buf);
	}
	/* No JIT (an exotic CPU) is slower, not wrong. */
	pcre2_jit_compile(r->re, PCRE2_JIT_COMPLETE);
	return ST_OK;
}

/* Checks and compiles a finished rule block. */
static enum status
rule_finish(struct ruleset *rs, struct rule *r, int pattern_col,
	    int pattern_line, struct err *err)
{
	struct pos p = { r->file, r->line };
	enum status st;

	if (r->pattern == NULL)
		return rule_error(err, &p, 1, "rule %s has no pattern", r->id);
	if (r->urgency == URGENCY_NONE && r->need == NULL &&
	    r->writer == WRITER_UNKNOWN && r->kind == KIND_VOTE_NONE)
		return rule_error(err, &p, 1, "rule %s votes for nothing "
				  "(add urgency, need, writer or kind)", r->id);
	p.line = pattern_line;
	st = rule_compile(r, &p, pattern_col, err);
	if (st != ST_OK)
		return st;
	for (guint i = 0; i < rs->rules->len; i++) {
		const struct rule *o = rs->rules->pdata[i];

		if (strcmp(o->id, r->id) == 0) {
			p.line = r->line;
			return rule_error(err, &p, 6, "rule %s already "
					  "defined at %s:%d", r->id, o->file,
					  o->line);
		}
	}
	g_ptr_array_add(rs->rules, r);
	return ST_OK;
}

static gboolean
id_valid(const char *s)
{
	if (*s == '\0')
		return FALSE;
	for (; *s; s++)
		if (!g_ascii_isalnum(*s) && *s != '.' && *s != '_' &&
		    *s != '-')
			return FALSE;
	return TRUE;
}

static enum status load_file(struct ruleset *rs, const char *path,
			     int depth, struct err *err);

static enum status
load_text(struct ruleset *rs, const char *path, char *text, int depth,
	  struct err *err)
{
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
	struct rule *r = NULL;
	int pattern_col = 0, pattern_line = 0;
	enum status st = ST_OK;
	struct pos p = { path, 0 };

	for (int i = 0; lines[i] != NULL && st == ST_OK; i++) {
		char *line = lines[i];
		char *key, *val;
		size_t n = strlen(line);

		p.line = i + 1;
		if (n > 0 && line[n - 1] == '\r')
			line[--n] = '\0';
		/* A stray control character is an editing accident. */
		for (char *c = line; *c; c++)
			if ((unsigned char)*c < 0x20 && *c != '\t') {
				st = rule_error(err, &p, utf8_col(line, c),
						"control character 0x%02x",
						(unsigned char)*c);
				break;
			}
		if (st != ST_OK)
			break;
		key = line + strspn(line, " \t");
		if (*key == '\0' || *key == '#')
			continue;
		if (key == line) {
			/* A new top-level statement ends the open rule. */
			if (r != NULL) {
				st = rule_finish(rs, r, pattern_col,
						 pattern_line, err);
				if (st != ST_OK)
					break;
				r = NULL;
			}
			val = key + strcspn(key, " \t");
			if (*val != '\0')
				*val++ = '\0';
			val += strspn(val, " \t");
			g_strchomp(val);
			if (strcmp(key, "rule") == 0) {
				if (!id_valid(val)) {
					st = rule_error(err, &p, 6, "rule needs "
							"an id of letters, "
							"digits and . _ -");
					break;
				}
				r = g_new0(struct rule, 1);
				r->id = g_strdup(val);
				r->file = g_strdup(path);
				r->line = p.line;
				r->weight = 5;
				r->examples =
					g_ptr_array_new_with_free_func(g_free);
				r->counters =
					g_ptr_array_new_with_free_func(g_free);
			} else if (strcmp(key, "include") == 0) {
				g_autofree char *dir = g_path_get_dirname(path);
				g_autofree char *inc =
					g_path_is_absolute(val)
						? g_strdup(val)
						: g_build_filename(dir, val, NULL);

				if (depth >= RULES_MAX_INCLUDE_DEPTH)
					st = rule_error(err, &p, 9, "includes "
							"nested too deep");
				else
					st = load_file(rs, inc, depth + 1, err);
			} else {
				st = rule_error(err, &p, 1, "expected 'rule ID' "
						"or 'include FILE', found '%s'",
						key);
			}
			continue;
		}
		if (r == NULL) {
			st = rule_error(err, &p, utf8_col(line, key),
					"indented line outside a rule");
			break;
		}
		val = key + strcspn(key, " \t");
		if (*val != '\0')
			*val++ = '\0';
		val += strspn(val, " \t");
		g_strchomp(val);
		if (*val == '\0') {
			st = rule_error(err, &p, utf8_col(line, key),
					"'%s' needs a value", key);
		} else if (strcmp(key, "pattern") == 0) {
			if (r->pattern != NULL) {
				st = rule_error(err, &p, utf8_col(line, key),
						"rule %s has two patterns "
						"(use | inside one)", r->id);
				break;
			}
			r->pattern = g_strdup(val);
			pattern_col = utf8_col(line, val);
			pattern_line = p.line;
		} else if (strcmp(key, "urgency") == 0) {
			if (!urgency_parse(val, &r->urgency))
				st = rule_error(err, &p, utf8_col(line, val),
						"urgency must be emergency, "
						"application or consultation");
		} else if (strcmp(key, "need") == 0) {
			const char *nd = need_static(val);
			int k = 0;

			if (nd == NULL) {
				st = rule_error(err, &p, utf8_col(line, val),
						"unknown need '%s'", val);
			} else if (r->need == NULL) {
				r->need = nd;
			} else {
				/* A rule may vote for several needs. */
				while (k < RULES_MAX_NEEDS && r->more_needs[k])
					k++;
				if (k == RULES_MAX_NEEDS)
					st = rule_error(err, &p, 1, "rule %s "
							"votes for too many "
							"needs", r->id);
				else
					r->more_needs[k] = nd;
			}
		} else if (strcmp(key, "writer") == 0) {
			for (int w = 1; w < WRITER_COUNT; w++)
				if (strcmp(val, writer_names[w]) == 0)
					r->writer = (enum writer)w;
			if (r->writer == WRITER_UNKNOWN)
				st = rule_error(err, &p, utf8_col(line, val),
						"writer must be self, family, "
						"friend or public");
		} else if (strcmp(key, "kind") == 0) {
			for (int k = 1; k < KIND_VOTE_COUNT; k++)
				if (strcmp(val, kind_vote_names[k]) == 0)
					r->kind = (enum kind_vote)k;
			if (r->kind == KIND_VOTE_NONE)
				st = rule_error(err, &p, utf8_col(line, val),
						"kind must be spam or other");
		} else if (strcmp(key, "weight") == 0) {
			char *end;
			long w = strtol(val, &end, 10);

			if (*end != '\0' || w < -100 || w > 100)
				st = rule_error(err, &p, utf8_col(line, val),
						"weight must be a whole "
						"number from -100 to 100");
			r->weight = (int)w;
		} else if (strcmp(key, "guard") == 0) {
			if (strcmp(val, "negation") == 0)
				r->guards |= GUARD_NEGATION;
			else if (strcmp(val, "hypothetical") == 0)
				r->guards |= GUARD_HYPOTHETICAL;
			else if (strcmp(val, "past") == 0)
				r->guards |= GUARD_PAST;
			else
				st = rule_error(err, &p, utf8_col(line, val),
						"guard must be negation, "
						"hypothetical or past");
		} else if (strcmp(key, "quoted") == 0) {
			if (strcmp(val, "yes") == 0 || strcmp(val, "no") == 0)
				r->quoted = strcmp(val, "yes") == 0;
			else
				st = rule_error(err, &p, utf8_col(line, val),
						"quoted must be yes or no");
		} else if (strcmp(key, "about") == 0) {
			if (strcmp(val, "self") == 0)
				r->guards |= GUARD_ABOUT_SELF;
			else if (strcmp(val, "other") == 0)
				r->guards |= GUARD_ABOUT_OTHER;
			else
				st = rule_error(err, &p, utf8_col(line, val),
						"about must be self or other");
		} else if (strcmp(key, "example") == 0) {
			g_ptr_array_add(r->examples, g_strdup(val));
		} else if (strcmp(key, "counter") == 0) {
			g_ptr_array_add(r->counters, g_strdup(val));
		} else {
			st = rule_error(err, &p, utf8_col(line, key),
					"unknown key '%s'", key);
		}
	}
	if (st == ST_OK && r != NULL) {
		st = rule_finish(rs, r, pattern_col, pattern_line, err);
		if (st == ST_OK)
			r = NULL;	/* the ruleset owns it now */
	}
	rule_free(r);
	return st;
}

static enum status
load_file(struct ruleset *rs, const char *path, int depth, struct err *err)
{
	g_autofree char *text = NULL;
	g_autoptr(GError) gerr = NULL;
	gsize len;

	if (!g_file_get_contents(path, &text, &len, &gerr))
		return err_set(err, ST_FATAL, "cannot read rules: %s",
			       gerr->message);
	if (!g_utf8_validate(text, len, NULL))
		return err_set(err, ST_FATAL, "%s:1:1: not valid UTF-8", path);
	return load_text(rs, path, text, depth, err);
}

static void
ruleset_finish(struct ruleset *rs)
{
	rs->md = pcre2_match_data_create(64, NULL);
	rs->may = g_new(gboolean, rs->rules->len);
	rs->may_body = g_new(gboolean, rs->rules->len);
}

static void screen_build(const struct ruleset *rs, enum triage_scope scope);

guint
rules_prepare(struct ruleset *rs)
{
	guint screened = 0;

	if (rs->unscreened)
		return 0;
	for (int scope = SCOPE_KIND; scope <= SCOPE_SEEKER; scope++) {
		const struct screen *sc = &rs->screens[scope];

		if (!sc->tried)
			screen_build(rs, scope);
		if (sc->pf != NULL)
			screened += prefilter_screened(sc->pf);
	}
	return screened;
}

void
rules_set_cache_dir(struct ruleset *rs, const char *dir)
{
	g_free(rs->cache_dir);
	rs->cache_dir = g_strdup(dir);
}

void
rules_set_prefilter(struct ruleset *rs, gboolean on)
{
	rs->unscreened = !on;
}

static gboolean
in_scope(const struct rule *r, enum triage_scope scope)
{
	return scope == SCOPE_ALL ||
	       (scope == SCOPE_KIND) == (r->kind != KIND_VOTE_NONE);
}

static void
screen_build(const struct ruleset *rs, enum triage_scope scope)
{
	struct screen *sc = &rs->screens[scope];
	g_autofree const char **pats = g_new(const char *, rs->rules->len);
	g_autofree char *dir = rs->cache_dir != NULL
				       ? g_strdup(rs->cache_dir)
				       : prefilter_default_cache_dir();

	sc->rule_of = g_new(guint, rs->rules->len);
	for (guint i = 0; i < rs->rules->len; i++) {
		const struct rule *r = rs->rules->pdata[i];

		if (in_scope(r, scope)) {
			pats[sc->n] = r->pattern;
			sc->rule_of[sc->n++] = i;
		}
	}
	sc->may = g_new(gboolean, sc->n);
	sc->pf = sc->n > 0 ? prefilter_new(pats, sc->n, dir) : NULL;
	sc->tried = TRUE;
}

/*
 * Fills may (one flag per rule) for text: whether a rule of the scope
 * can match there.  Without a prefilter every rule can.
 */
static void
screen_text(const struct ruleset *rs, enum triage_scope scope,
	    const char *text, size_t len, gboolean *may)
{
	struct screen *sc = &rs->screens[scope];

	for (guint i = 0; i < rs->rules->len; i++)
		may[i] = TRUE;
	if (rs->unscreened)
		return;
	if (!sc->tried)
		screen_build(rs, scope);
	if (sc->pf == NULL)
		return;
	prefilter_scan(sc->pf, text, len, sc->may);
	for (guint k = 0; k < sc->n; k++)
		may[sc->rule_of[k]] = sc->may[k];
}

enum status
rules_load_file(const char *path, struct ruleset **out, struct err *err)
{
	struct ruleset *rs = ruleset_new();
	enum status st = load_file(rs, path, 0, err);

	if (st != ST_OK) {
		ruleset_free(rs);
		return st;
	}
	ruleset_finish(rs);
	*out = rs;
	return ST_OK;
}

static gint
cmp_str(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

enum status
rules_load_dir(const char *dir, struct ruleset **out, struct err *err)
{
	g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GError) gerr = NULL;
	GDir *d = g_dir_open(dir, 0, &gerr);
	struct ruleset *rs;
	const char *name;
	enum status st = ST_OK;

	if (d == NULL)
		return err_set(err, ST_FATAL, "cannot open rules: %s",
			       gerr->message);
	while ((name = g_dir_read_name(d)) != NULL)
		if (g_str_has_suffix(name, ".rules") && name[0] != '.')
			g_ptr_array_add(files,
					g_build_filename(dir, name, NULL));
	g_dir_close(d);
	g_ptr_array_sort(files, cmp_str);
	if (files->len == 0)
		return err_set(err, ST_FATAL, "no *.rules files in '%s'", dir);
	rs = ruleset_new();
	for (guint i = 0; i < files->len && st == ST_OK; i++)
		st = load_file(rs, files->pdata[i], 0, err);
	if (st != ST_OK) {
		ruleset_free(rs);
		return st;
	}
	ruleset_finish(rs);
	*out = rs;
	return ST_OK;
}

void
triage_free(struct triage *t)
{
	if (t == NULL)
		return;
	for (guint i = 0; t->hits != NULL && i < t->hits->len; i++)
		g_free(g_array_index(t->hits, struct rule_hit, i).match);
	if (t->hits != NULL)
		g_array_free(t->hits, TRUE);
	if (t->needs != NULL)
		g_ptr_array_free(t->needs, TRUE);
	g_free(t);
}

/* The clause before byte at: back to punctuation, at most window chars. */
static char *
clause_before(const char *text, size_t at, int window)
{
	const char *end = text + at, *p = end;

	for (int n = 0; n < window && p > text; n++) {
		const char *q = g_utf8_find_prev_char(text, p);
		gunichar c;

		if (q == NULL)
			break;
		c = g_utf8_get_char(q);
		if (c == '\n' || c == 0x3002 || c == 0xFF0C || c == 0xFF01 ||
		    c == 0xFF1F || c == 0xFF1B || c == ',' || c == '.' ||
		    c == '!' || c == '?' || c == ';')
			break;
		p = q;
	}
	return g_ascii_strdown(p, end - p);
}

static gboolean
contains_any(const char *s, const char *const *words)
{
	for (int i = 0; words[i] != NULL; i++)
		if (strstr(s, words[i]) != NULL)
			return TRUE;
	return FALSE;
}

/*
 * Whether s names the writer: "我" not as a possessive ("我兒子" is about
 * the son), or an English first person.
 */
static gboolean
names_self(const char *s)
{
	for (const char *p = s; (p = strstr(p, "我")) != NULL;) {
		const char *q = p + strlen("我");
		gboolean possessive = FALSE;

		if (g_str_has_prefix(q, "的"))
			q += strlen("的");
		for (int i = 0; others[i] != NULL && !possessive; i++)
			possessive = (unsigned char)others[i][0] >= 0x80 &&
				     g_str_has_prefix(q, others[i]);
		if (!possessive)
			return TRUE;
		p = q;
	}
	for (int i = 0; selves[i] != NULL; i++)
		if ((unsigned char)selves[i][0] < 0x80 &&
		    strstr(s, selves[i]) != NULL)
			return TRUE;
	return strstr(s, "本人") != NULL || strstr(s, "自己") != NULL;
}

/* Whether a guard of r voids the hit at byte offset at. */
static gboolean
guarded(const struct rule *r, const char *text, size_t at)
{
	g_autofree char *near = NULL, *wide = NULL;

	if (r->guards == 0)
		return FALSE;
	near = clause_before(text, at, GUARD_WINDOW);
	wide = clause_before(text, at, GUARD_WINDOW_WIDE);
	/*
	 * "about self": someone else is named in the clause before the hit
	 * and the writer is not; "about other": the other way round.  A
	 * clause naming nobody is the writer's own.
	 */
	if ((r->guards & GUARD_ABOUT_SELF) && contains_any(wide, others) &&
	    !names_self(wide))
		return TRUE;
	if ((r->guards & GUARD_ABOUT_OTHER) && !contains_any(wide, others))
		return TRUE;
	return ((r->guards & GUARD_NEGATION) &&
		contains_any(near, negations)) ||
	       ((r->guards & GUARD_HYPOTHETICAL) &&
		contains_any(wide, hypotheticals)) ||
	       ((r->guards & GUARD_PAST) && contains_any(wide, pasts));
}

/*
 * Appends the hits of r in text (len bytes) to hits, leaving out those a
 * guard voids.  Character offsets are counted on from the previous hit,
 * not from the start each time.
 */
static void
rule_match(const struct ruleset *rs, const struct rule *r, const char *text,
	   size_t len, GArray *hits)
{
	PCRE2_SIZE start = 0, at = 0;
	glong chars = 0;

	for (int n = 0; n < RULES_MAX_HITS_PER_RULE && start <= len; n++) {
		PCRE2_SIZE *ov;
		struct rule_hit h;
		int rc = pcre2_match(r->re, (PCRE2_SPTR)text, len, start,
				     PCRE2_NO_UTF_CHECK, rs->md, rs->mctx);

		/* No match, or a match limit hit: either way, no vote. */
		if (rc < 0)
			break;
		ov = pcre2_get_ovector_pointer(rs->md);
		if (guarded(r, text, ov[0])) {
			start = ov[1] > ov[0] ? ov[1]
					      : (PCRE2_SIZE)(g_utf8_next_char(
							text + ov[1]) - text);
			continue;
		}
		chars += g_utf8_pointer_to_offset(text + at, text + ov[0]);
		h.rule = r;
		h.start = chars;
		h.end = chars + g_utf8_pointer_to_offset(text + ov[0],
							  text + ov[1]);
		h.match = g_strndup(text + ov[0], ov[1] - ov[0]);
		h.quoted = FALSE;
		g_array_append_val(hits, h);
		at = ov[0];
		if (ov[1] == ov[0]) {
			/* An empty match: step over one character. */
			if (ov[1] >= len)
				break;
			start = g_utf8_next_char(text + ov[1]) - text;
		} else {
			start = ov[1];
		}
	}
}

static gint
cmp_hits(gconstpointer a, gconstpointer b)
{
	const struct rule_hit *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return strcmp(x->rule->id, y->rule->id);
}

static gint
cmp_needs(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static enum status triage_run(const struct ruleset *rs, const char *text,
			      const char *body, enum triage_scope scope,
			      struct triage **out, struct err *err);

enum status
rules_triage(const struct ruleset *rs, const char *text,
	     struct triage **out, struct err *err)
{
	return triage_run(rs, text, NULL, SCOPE_ALL, out, err);
}

enum status
rules_triage_kind(const struct ruleset *rs, const char *text,
		  struct triage **out, struct err *err)
{
	return triage_run(rs, text, NULL, SCOPE_KIND, out, err);
}

enum status
rules_triage_seeker(const struct ruleset *rs, const char *text,
		    struct triage **out, struct err *err)
{
	return triage_run(rs, text, NULL, SCOPE_SEEKER, out, err);
}

enum status
rules_triage_seeker_quoted(const struct ruleset *rs, const char *text,
			   const char *body, struct triage **out,
			   struct err *err)
{
	return triage_run(rs, text, body, SCOPE_SEEKER, out, err);
}

static enum status
triage_run(const struct ruleset *rs, const char *text, const char *body,
	   enum triage_scope scope, struct triage **out, struct err *err)
{
	struct triage *t;
	size_t len = strlen(text);
	gboolean *may = rs->may, *may_body = rs->may_body;
	gboolean body_screened = FALSE;

	if (!g_utf8_validate(text, len, NULL))
		return err_set(err, ST_FATAL, "triage text is not UTF-8");
	t = g_new0(struct triage, 1);
	t->hits = g_array_new(FALSE, FALSE, sizeof(struct rule_hit));
	t->needs = g_ptr_array_new();
	screen_text(rs, scope, text, len, may);
	for (guint i = 0; i < rs->rules->len; i++) {
		const struct rule *r = rs->rules->pdata[i];
		guint before = t->hits->len;

		if (!in_scope(r, scope))
			continue;
		if (may[i])
			rule_match(rs, r, text, len, t->hits);
		if (r->quoted && body != NULL && t->hits->len == before) {
			/* Not in the new text: perhaps in what it quotes. */
			if (!body_screened) {
				/* Read only now that it is needed. */
				if (!g_utf8_validate(body, -1, NULL)) {
					triage_free(t);
					return err_set(err, ST_FATAL,
						       "triage text is not "
						       "UTF-8");
				}
				screen_text(rs, scope, body, strlen(body),
					    may_body);
				body_screened = TRUE;
			}
			if (!may_body[i])
				continue;
			rule_match(rs, r, body, strlen(body), t->hits);
			for (guint k = before; k < t->hits->len; k++)
				g_array_index(t->hits, struct rule_hit, k)
					.quoted = TRUE;
		}
		if (t->hits->len == before)
			continue;
		/* A rule votes once however often it matches. */
		if (r->urgency == URGENCY_EMERGENCY)
			t->emergency_score += r->weight;
		else if (r->urgency == URGENCY_APPLICATION)
			t->application_score += r->weight;
		if (r->need != NULL &&
		    !g_ptr_array_find(t->needs, r->need, NULL))
			g_ptr_array_add(t->needs, (gpointer)r->need);
		for (int k = 0; k < RULES_MAX_NEEDS && r->more_needs[k]; k++)
			if (!g_ptr_array_find(t->needs, r->more_needs[k], NULL))
				g_ptr_array_add(t->needs,
						(gpointer)r->more_needs[k]);
		t->writer_score[r->writer] += r->writer ? r->weight : 0;
		t->kind_score[r->kind] += r->kind ? r->weight : 0;
	}
	g_array_sort(t->hits, cmp_hits);
	g_ptr_array_sort(t->needs, cmp_needs);
	if (t->emergency_score >= RULES_EMERGENCY_AT)
		t->urgency = URGENCY_EMERGENCY;
	else if (t->application_score >= RULES_APPLICATION_AT)
		t->urgency = URGENCY_APPLICATION;
	else
		t->urgency = URGENCY_CONSULTATION;
	*out = t;
	return ST_OK;
}

static gboolean
rule_matches(const struct ruleset *rs, const struct rule *r,
	     const char *text)
{
	g_autoptr(GArray) hits = g_array_new(FALSE, FALSE,
					     sizeof(struct rule_hit));
	gboolean any;

	rule_match(rs, r, text, strlen(text), hits);
	any = hits->len > 0;
	for (guint i = 0; i < hits->len; i++)
		g_free(g_array_index(hits, struct rule_hit, i).match);
	return any;
}

guint
rules_check_examples(const struct ruleset *rs, GPtrArray *failures)
{
	guint checks = 0;

	for (guint i = 0; i < rs->rules->len; i++) {
		const struct rule *r = rs->rules->pdata[i];

		for (guint k = 0; k < r->examples->len; k++, checks++)
			if (!rule_matches(rs, r, r->examples->pdata[k]))
				g_ptr_array_add(failures, g_strdup_printf(
					"%s:%d: rule %s does not match its "
					"example %u", r->file, r->line, r->id,
					k + 1));
		for (guint k = 0; k < r->counters->len; k++, checks++)
			if (rule_matches(rs, r, r->counters->pdata[k]))
				g_ptr_array_add(failures, g_strdup_printf(
					"%s:%d: rule %s matches its counter "
					"%u", r->file, r->line, r->id, k + 1));
	}
	return checks;
}
