/*
 * Loading and matching triage rules.  Patterns are compiled with UTF and
 * UCP and JIT-compiled; one match context caps backtracking so that no
 * letter, however hostile, stalls a run.
 */
#include <pcre2.h>
#include <stdio.h>
#include <string.h>

#include "hanzi.h"
#include "prefilter.h"
#include "resyntax.h"
#include "rules.h"
#include "watchdog.h"

#define RULES_MAX_INCLUDE_DEPTH 8
#define RULES_MATCH_LIMIT 100000
#define RULES_DEPTH_LIMIT 5000
#define RULES_MAX_HITS_PER_RULE 16
#define RULES_MAX_GUARDS 8
#define RISK_NEAR 60		/* characters: a weak sign adds to a strong one */
#define WORDS_GAP "[^。！？!?\\n]{0,8}"	/* "..." in a phrase */

/* Where a guard looks for its words, around a hit. */
enum reach {
	REACH_CLAUSE,		/* to the nearest comma or full stop */
	REACH_SENTENCE,		/* to the nearest full stop or line end */
	REACH_LETTER,		/* anywhere in the text */
};

struct guard {
	char *name;
	char *label;		/* "為過去的事件" */
	char *file;
	int line;
	GPtrArray *patterns;	/* expanded, joined into re */
	pcre2_code *re;
	enum reach reach;
	int before, after;	/* characters; -1: the whole scope */
	GPtrArray *examples;	/* "text | words": must clear */
	GPtrArray *counters;	/* ... must not clear */
};

struct rule {
	char *id;
	char *file;
	int line;
	GPtrArray *patterns;	/* expanded; any of them */
	char *pattern;		/* them joined */
	GPtrArray *screens;	/* what the prefilter looks for instead */
	char *screen;		/* them joined */
	pcre2_code *re;
	GPtrArray *lists;	/* the word list of each pattern that is one */
	pcre2_code *anchored;	/* re, anchored: for a rule of word lists */
	GPtrArray *rests;	/* its patterns that start with no list */
	pcre2_code *rest;	/* them joined: where they start is searched */
	gboolean re_jit, anchored_jit, rest_jit; /* compiled to machine code */
	GPtrArray *withs;	/* pcre2_code *: each in the sentence too */
	enum risk risk;
	enum risk_level level;
	enum urgency urgency;
	const char *need;	/* the first need voted for, or NULL */
	const char *more_needs[RULES_MAX_NEEDS];	/* and the others */
	enum writer writer;
	enum kind_vote kind;
	int weight;
	guint about;		/* ABOUT_* bits */
	char *guard_names[RULES_MAX_GUARDS];
	int guard_lines[RULES_MAX_GUARDS], guard_cols[RULES_MAX_GUARDS];
	const struct guard *guards[RULES_MAX_GUARDS];
	gboolean quoted;	/* also reads the quoted history */
	GPtrArray *examples;	/* must match */
	GPtrArray *counters;	/* must not match */
};

enum {
	ABOUT_SELF = 1 << 0,	/* counts only said of the writer */
	ABOUT_OTHER = 1 << 1,	/* counts only said of another */
};

/* A word list: its phrases, and them as one alternation. */
struct wordlist {
	char *path;
	GPtrArray *phrases;	/* as written, longest first */
	GPtrArray *nots;	/* "!" lines, as written: where the text
				 * reads one, no phrase starts ("!打我的手機":
				 * there 打我 is "call me") */
	GHashTable *line_of;	/* phrase or "!" line -> its line */
	char *alt;		/* "(?:...|...)" */
	char *screen;		/* the same for the prefilter: each phrase
				 * up to its first gap, a superset */
};

/* Which rules a triage runs. */
enum triage_scope {
	SCOPE_ALL,
	SCOPE_KIND,		/* only those voting for a kind */
	SCOPE_SEEKER,		/* all but those */
	SCOPE_RISK,		/* only those finding a risk */
	SCOPE_QUOTED,		/* only those reading quoted history */
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

/*
 * Where the phrases of the rules made of word lists can start: each
 * phrase's head (up to its first gap or space) is a literal, found with
 * where it starts.  Such a rule is then tried only there, anchored,
 * instead of at every character of a letter.
 */
struct heads {
	struct prefilter *pf;
	gboolean tried;		/* to build it */
	guint8 **of_rule;	/* per rule: a bit per head of it, or NULL */
	gboolean *off;		/* per rule: a head of it is not found */
};

/* A head found in a text: which, and where it starts. */
struct head_at {
	guint head;
	size_t from;
};

struct ruleset {
	GPtrArray *rules;	/* struct rule *, in load order */
	GPtrArray *guards;	/* struct guard * */
	GHashTable *lists;	/* path of a .words file -> struct wordlist */
	const struct wordlist *self_words, *other_words;	/* for about */
	pcre2_match_context *mctx;
	pcre2_match_data *md;
	struct screen *screens;	/* SCOPE_COUNT of them */
	gboolean unscreened;	/* every rule runs: for tests */
	char *cache_dir;	/* of the compiled prefilters */
	GArray *scoped[SCOPE_COUNT];	/* of each scope: its rules' indices */
	gboolean *may_body;	/* per rule: may match the quoted body */
	gboolean *may_fwd;	/* ... the forwarded text */
	struct heads heads;
	/* Per reading (the letter, its quoted body, forwarded text): the
	 * heads found in it, in the order found, numbered by the finding
	 * (found_gen); then per rule where it can start, sorted, made from
	 * them when the rule is first tried (built: the finding they are
	 * from).  Most rules are never tried on a letter. */
	GArray *found[3];
	guint64 found_gen[3];
	GArray **starts[3];
	guint64 *built[3];
	guint64 texts;		/* rules_text made so far: their serials */
	guint64 starts_of;	/* the rules_text whose found[0] holds */
};

/*
 * A text the rules read in several passes (the kind, the risk, the
 * letter): validated and measured once, screened once by the prefilter
 * of every rule, its heads found once.  The heads live in the ruleset's
 * found[0], marked with the serial of the text they are for: a serial
 * is never reused, so heads found for one text never serve another.
 */
struct rules_text {
	const struct ruleset *rs;
	const char *text;
	size_t len;
	guint64 serial;
	gboolean *may;		/* per rule: may match, as far as screened */
	guint screened;		/* bits 1 << scope: the screens applied */
	int headed;		/* 0: not yet looked; 1: starts hold; -1: no */
	char *owned;		/* text, when this reading made it */
	gboolean converted;	/* trad is known */
	struct rules_text *trad;	/* in Traditional, if it was not */
};

static const char *const kind_vote_names[KIND_VOTE_COUNT] = {
	NULL, "spam", "other",
};

static const char *const risk_names[RISK_COUNT] = {
	NULL, "suicide", "overdose", "violence", "psychosis", "child",
	"missing", "withdrawal", "shelter", "now",
};

static const char *const risk_labels[RISK_COUNT] = {
	NULL, "自殺或自傷", "用藥過量或身體危急", "暴力", "精神症狀可能傷人",
	"兒少有危險", "高風險者失聯", "危險的戒斷症狀", "今晚無安全處所",
	"時間緊迫",
};

static const char *const level_names[] = {
	NULL, "watch", "high", "acute",
};

static const char *const level_labels[] = {
	NULL, "留意", "高", "緊急",
};

const char *
risk_name(enum risk r)
{
	return r < RISK_COUNT ? risk_names[r] : NULL;
}

const char *
risk_label(enum risk r)
{
	return r < RISK_COUNT ? risk_labels[r] : NULL;
}

const char *
risk_level_name(enum risk_level l)
{
	return l <= RISK_LEVEL_ACUTE ? level_names[l] : NULL;
}

const char *
risk_level_label(enum risk_level l)
{
	return l <= RISK_LEVEL_ACUTE ? level_labels[l] : NULL;
}

static void
rule_free(struct rule *r)
{
	if (r == NULL)
		return;
	g_free(r->id);
	g_free(r->file);
	g_ptr_array_free(r->patterns, TRUE);
	g_free(r->pattern);
	if (r->screens != NULL)
		g_ptr_array_free(r->screens, TRUE);
	g_free(r->screen);
	pcre2_code_free(r->re);
	pcre2_code_free(r->anchored);
	pcre2_code_free(r->rest);
	if (r->lists != NULL)
		g_ptr_array_free(r->lists, TRUE);
	if (r->rests != NULL)
		g_ptr_array_free(r->rests, TRUE);
	g_ptr_array_free(r->withs, TRUE);
	for (int i = 0; i < RULES_MAX_GUARDS; i++)
		g_free(r->guard_names[i]);
	g_ptr_array_free(r->examples, TRUE);
	g_ptr_array_free(r->counters, TRUE);
	g_free(r);
}

static void
guard_free(struct guard *g)
{
	if (g == NULL)
		return;
	g_free(g->name);
	g_free(g->label);
	g_free(g->file);
	g_ptr_array_free(g->patterns, TRUE);
	pcre2_code_free(g->re);
	g_ptr_array_free(g->examples, TRUE);
	g_ptr_array_free(g->counters, TRUE);
	g_free(g);
}

static void
wordlist_free(struct wordlist *w)
{
	g_ptr_array_free(w->phrases, TRUE);
	g_ptr_array_free(w->nots, TRUE);
	if (w->line_of != NULL)
		g_hash_table_destroy(w->line_of);
	g_free(w->path);
	g_free(w->alt);
	g_free(w->screen);
	g_free(w);
}

void
ruleset_free(struct ruleset *rs)
{
	if (rs == NULL)
		return;
	/* Before the rules: one array of starts per rule. */
	for (int k = 0; k < 3; k++) {
		for (guint i = 0; rs->starts[k] != NULL && i < rs->rules->len;
		     i++)
			g_array_unref(rs->starts[k][i]);
		g_free(rs->starts[k]);
		g_free(rs->built[k]);
		if (rs->found[k] != NULL)
			g_array_unref(rs->found[k]);
	}
	for (guint i = 0; rs->heads.of_rule != NULL && i < rs->rules->len;
	     i++)
		g_free(rs->heads.of_rule[i]);
	g_free(rs->heads.of_rule);
	g_ptr_array_free(rs->rules, TRUE);
	g_ptr_array_free(rs->guards, TRUE);
	g_hash_table_destroy(rs->lists);
	pcre2_match_context_free(rs->mctx);
	pcre2_match_data_free(rs->md);
	for (int i = 0; i < SCOPE_COUNT; i++) {
		prefilter_free(rs->screens[i].pf);
		g_free(rs->screens[i].rule_of);
		g_free(rs->screens[i].may);
	}
	g_free(rs->screens);
	for (int i = 0; i < SCOPE_COUNT; i++)
		if (rs->scoped[i] != NULL)
			g_array_free(rs->scoped[i], TRUE);
	g_free(rs->may_body);
	g_free(rs->may_fwd);
	prefilter_free(rs->heads.pf);
	g_free(rs->heads.off);
	g_free(rs->cache_dir);
	g_free(rs);
}

guint
ruleset_size(const struct ruleset *rs)
{
	return rs->rules->len;
}

const char *
ruleset_rule_id(const struct ruleset *rs, guint i)
{
	return i < rs->rules->len
		       ? ((const struct rule *)rs->rules->pdata[i])->id
		       : NULL;
}

const char *rule_id(const struct rule *r) { return r->id; }
const char *rule_file(const struct rule *r) { return r->file; }
int rule_line(const struct rule *r) { return r->line; }
enum urgency rule_urgency(const struct rule *r) { return r->urgency; }
enum writer rule_writer(const struct rule *r) { return r->writer; }
enum kind_vote rule_kind(const struct rule *r) { return r->kind; }
enum risk rule_risk(const struct rule *r) { return r->risk; }
enum risk_level rule_level(const struct rule *r) { return r->level; }
const char *guard_name(const struct guard *g) { return g->name; }
const char *guard_label(const struct guard *g) { return g->label; }

const char *
rule_vote(const struct rule *r)
{
	if (r->risk != RISK_NONE)
		return risk_names[r->risk];
	if (r->urgency != URGENCY_NONE)
		return urgency_name(r->urgency);
	if (r->need != NULL)
		return r->need;
	if (r->writer != WRITER_UNKNOWN)
		return writer_name(r->writer);
	return kind_vote_names[r->kind];
}
const char *rule_need(const struct rule *r) { return r->need; }

int
rule_weight(const struct rule *r)
{
	/* A risk rule has a level, not a weight: shown as 10, 6 or 3. */
	static const int by_level[] = { 0, 3, 6, 10 };

	return r->risk != RISK_NONE ? by_level[r->level] : r->weight;
}

static struct ruleset *
ruleset_new(void)
{
	struct ruleset *rs = g_new0(struct ruleset, 1);

	rs->rules = g_ptr_array_new_with_free_func((GDestroyNotify)rule_free);
	rs->guards =
		g_ptr_array_new_with_free_func((GDestroyNotify)guard_free);
	rs->lists = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					  (GDestroyNotify)wordlist_free);
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
	int at = 0;
	size_t n;

	for (const char *p = pattern; *p; p += n) {
		n = re_element_len(p);
		if (*p == '(')
			g_array_append_val(open, at);
		else if (*p == ')' && open->len > 0)
			g_array_set_size(open, open->len - 1);
		at += (int)g_utf8_strlen(p, (gssize)n);
	}
	return open->len > 0 ? g_array_index(open, int, open->len - 1) : at;
}

/* Compiles pattern; jit for one that will match (a check needs none). */
static pcre2_code *
compile_re_opts(const char *pattern, gboolean jit, uint32_t opts, int *code,
		PCRE2_SIZE *off)
{
	pcre2_code *re = pcre2_compile(
		(PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED,
		PCRE2_UTF | PCRE2_UCP | PCRE2_CASELESS | opts, code, off, NULL);

	/* No JIT (an exotic CPU) is slower, not wrong. */
	if (re != NULL && jit)
		pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
	return re;
}

/*
 * Compiles re (a rule's, its anchored form or its rests) to machine code
 * the first time it is tried: a rule of word lists is mostly tried
 * anchored, and in a run of a few letters many rules are never tried.
 * A ruleset is used by one thread at a time, so the flag needs no lock.
 * Without JIT (an exotic CPU) PCRE2 interprets: slower, not wrong.
 */
static const pcre2_code *
jitted(const pcre2_code *re, gboolean *done)
{
	if (!*done) {
		*done = TRUE;
		pcre2_jit_compile((pcre2_code *)re, PCRE2_JIT_COMPLETE);
	}
	return re;
}

static pcre2_code *
compile_re(const char *pattern, gboolean jit, int *code, PCRE2_SIZE *off)
{
	return compile_re_opts(pattern, jit, 0, code, off);
}

/*
 * Compiles pattern as written at column col of line p, or says where it
 * is wrong.  With lists expanded the column points into the expansion,
 * so errors of a pattern with lists point at its start.
 */
static enum status
pattern_compile(const char *pattern, gboolean expanded, gboolean jit,
		const struct pos *p, int col, pcre2_code **out,
		struct err *err)
{
	PCRE2_SIZE off;
	int code;

	*out = compile_re(pattern, jit, &code, &off);
	if (*out == NULL) {
		PCRE2_UCHAR buf[256];
		int ccol = expanded ? col
				    : col + (int)g_utf8_pointer_to_offset(
						    pattern, pattern + off);

		/* Point at the '(' left open, not at the pattern's end. */
		if (code == 114 && !expanded)
			return rule_error(err, p, col + unclosed_paren(pattern),
					  "missing ')'");
		pcre2_get_error_message(code, buf, sizeof buf);
		return rule_error(err, p, ccol, "%s", (char *)buf);
	}
	return ST_OK;
}

/* --- word lists ---------------------------------------------------- */

static gboolean
is_word_char(gunichar c)
{
	return c < 0x80 && g_ascii_isalnum(c);
}

/* The length of the gap ("..." or "…") a phrase has at p, or 0. */
static size_t
gap_at(const char *p)
{
	/* Not g_str_has_prefix(): it measures all of p, at every byte. */
	if (strncmp(p, "...", 3) == 0)
		return 3;
	if (strncmp(p, "…", strlen("…")) == 0)
		return strlen("…");
	return 0;
}

/* Whether phrase has a gap anywhere. */
static gboolean
has_gap(const char *phrase)
{
	for (const char *p = phrase; *p != '\0'; p++)
		if (gap_at(p) > 0)
			return TRUE;
	return FALSE;
}

/* Appends phrase as a regular expression that matches it literally. */
static void
phrase_regex(GString *out, const char *phrase, gboolean whole)
{
	const char *p = phrase;
	gunichar first = g_utf8_get_char(phrase);
	gunichar last = g_utf8_get_char(g_utf8_find_prev_char(
		phrase, phrase + strlen(phrase)));

	/* Latin words match whole: "K" is not the k of "kind". */
	if (whole && is_word_char(first))
		g_string_append(out, "(?<![a-z0-9])");
	while (*p) {
		if (gap_at(p) > 0) {
			g_string_append(out, WORDS_GAP);
			p += gap_at(p);
		} else if (*p == ' ') {
			g_string_append(out, "\\s*");
			while (*p == ' ')
				p++;
		} else if (strchr("\\^$.|?*+()[]{}#", *p) != NULL) {
			g_string_append_c(out, '\\');
			g_string_append_c(out, *p++);
		} else {
			const char *n = g_utf8_next_char(p);

			g_string_append_len(out, p, n - p);
			p = n;
		}
	}
	if (whole && is_word_char(last))
		g_string_append(out, "(?![a-z0-9])");
}

static gint
cmp_longer_first(gconstpointer a, gconstpointer b)
{
	const char *x = *(char *const *)a, *y = *(char *const *)b;
	size_t lx = strlen(x), ly = strlen(y);

	if (lx != ly)
		return lx > ly ? -1 : 1;
	return strcmp(x, y);
}

/*
 * The longest of a phrase's segments between gaps ("在...橋上" as "橋上"):
 * every match holds each of them, and the longest is the rarest guess.
 * New.
 */
static char *
phrase_screen_segment(const char *ph)
{
	const char *best = ph, *seg = ph, *p = ph;
	size_t best_n = 0;

	for (;; p++) {
		size_t gap = gap_at(p);

		if (gap == 0 && *p != '\0')
			continue;
		if ((size_t)(p - seg) > best_n) {
			best = seg;
			best_n = p - seg;
		}
		if (*p == '\0')
			break;
		p += gap - 1;
		seg = p + 1;
	}
	return best_n > 0 ? g_strndup(best, best_n) : g_strdup(ph);
}

/*
 * What the prefilter looks for instead of a word list: each phrase's
 * longest segment between gaps, which any match contains.  Plain
 * literals compile in Hyperscan in a fraction of the time gaps take,
 * and a long one is seldom found where the phrase is not.
 */
static char *
wordlist_screen(const struct wordlist *w)
{
	g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash,
							   g_str_equal, g_free,
							   NULL);
	GString *s = g_string_new("(?:");
	gboolean first = TRUE;

	for (guint i = 0; i < w->phrases->len; i++) {
		g_autofree char *seg =
			phrase_screen_segment(w->phrases->pdata[i]);
		GString *re = g_string_new(NULL);
		char *rx;

		/* Part of a phrase is a part of a word too. */
		phrase_regex(re, seg, strcmp(seg, w->phrases->pdata[i]) == 0);
		rx = g_string_free(re, FALSE);
		if (!g_hash_table_add(seen, rx))
			continue;	/* the table keeps rx */
		if (!first)
			g_string_append_c(s, '|');
		first = FALSE;
		g_string_append(s, rx);
	}
	g_string_append_c(s, ')');
	return g_string_free(s, FALSE);
}

/* Reads a .words file: one phrase per line, '#' comment lines. */
static enum status
wordlist_load(const char *path, struct wordlist **out, struct err *err)
{
	g_autofree char *text = NULL;
	g_autoptr(GError) gerr = NULL;
	g_auto(GStrv) lines = NULL;
	g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);
	struct wordlist *w;
	GPtrArray *array;
	GString *alt;
	gsize len;
	struct pos p = { path, 0 };

	if (!g_file_get_contents(path, &text, &len, &gerr))
		return err_set(err, ST_FATAL, "cannot read word list: %s",
			       gerr->message);
	if (!g_utf8_validate(text, len, NULL))
		return err_set(err, ST_FATAL, "%s:1:1: not valid UTF-8", path);
	w = g_new0(struct wordlist, 1);
	w->path = g_strdup(path);
	w->phrases = g_ptr_array_new_with_free_func(g_free);
	w->nots = g_ptr_array_new_with_free_func(g_free);
	w->line_of = g_hash_table_new(g_str_hash, g_str_equal);
	lines = g_strsplit(text, "\n", -1);
	for (int i = 0; lines[i] != NULL; i++) {
		char *line = g_strstrip(lines[i]);

		p.line = i + 1;
		if (*line == '\0' || *line == '#')
			continue;
		for (char *c = line; *c; c++)
			if ((unsigned char)*c < 0x20 && *c != '\t') {
				wordlist_free(w);
				return rule_error(err, &p, utf8_col(line, c),
						  "control character 0x%02x",
						  (unsigned char)*c);
			}
		if (strcmp(line, "...") == 0 || strcmp(line, "…") == 0) {
			wordlist_free(w);
			return rule_error(err, &p, 1, "a phrase needs words, "
					  "not only a gap");
		}
		if (line[0] == '!' && (line[1] == '\0' || has_gap(line))) {
			wordlist_free(w);
			return rule_error(err, &p, 1, "a '!' line needs the "
					  "words it excludes, with no gap");
		}
		if (g_hash_table_contains(seen, line))
			continue;
		array = line[0] == '!' ? w->nots : w->phrases;
		g_ptr_array_add(array, g_strdup(line));
		g_hash_table_add(seen, array->pdata[array->len - 1]);
		g_hash_table_insert(w->line_of, array->pdata[array->len - 1],
				    GINT_TO_POINTER(p.line));
	}
	/* A "!" line excludes a longer reading of a phrase: one that starts
	 * with none excludes nothing, and is a mistake. */
	for (guint i = 0; i < w->nots->len; i++) {
		const char *no = (const char *)w->nots->pdata[i] + 1;
		gboolean starts = FALSE;

		for (guint k = 0; k < w->phrases->len && !starts; k++)
			starts = !has_gap(w->phrases->pdata[k]) &&
				 g_str_has_prefix(no, w->phrases->pdata[k]);
		if (!starts) {
			g_autofree char *bad = g_strdup(no);

			p.line = GPOINTER_TO_INT(g_hash_table_lookup(
				w->line_of, w->nots->pdata[i]));
			wordlist_free(w);
			return rule_error(err, &p, 1, "'!%s' starts with no "
					  "phrase of the list", bad);
		}
	}
	if (w->phrases->len == 0) {
		wordlist_free(w);
		p.line = 1;
		return rule_error(err, &p, 1, "the word list is empty");
	}
	g_ptr_array_sort(w->phrases, cmp_longer_first);
	/* "(?:p|q)", or "(?:(?!n|m)(?:p|q))" with "!" lines. */
	alt = g_string_new("(?:");
	for (guint i = 0; i < w->nots->len; i++) {
		g_string_append(alt, i == 0 ? "(?!" : "|");
		phrase_regex(alt, (const char *)w->nots->pdata[i] + 1, FALSE);
	}
	if (w->nots->len > 0)
		g_string_append(alt, ")(?:");
	for (guint i = 0; i < w->phrases->len; i++) {
		if (i > 0)
			g_string_append_c(alt, '|');
		phrase_regex(alt, w->phrases->pdata[i], TRUE);
	}
	g_string_append(alt, w->nots->len > 0 ? "))" : ")");
	w->alt = g_string_free(alt, FALSE);
	w->screen = wordlist_screen(w);
	*out = w;
	return ST_OK;
}

/* The list name of rules in dir, loaded once. */
static enum status
wordlist_get(struct ruleset *rs, const char *dir, const char *name,
	     const struct wordlist **out, struct err *err)
{
	g_autofree char *file = g_strconcat(name, ".words", NULL);
	char *path = g_build_filename(dir, "words", file, NULL);
	struct wordlist *w = g_hash_table_lookup(rs->lists, path);
	enum status st;

	if (w != NULL) {
		g_free(path);
		*out = w;
		return ST_OK;
	}
	st = wordlist_load(path, &w, err);
	if (st != ST_OK) {
		g_free(path);
		return st;
	}
	g_hash_table_insert(rs->lists, path, w);
	*out = w;
	return ST_OK;
}

/*
 * The length of the list name that at, the start of a pattern element,
 * opens: {name}, not a repeat {2,4}; 0 if none.  (\p{Han} is an
 * escape, one element with its braces.)
 */
static size_t
list_ref(const char *at)
{
	size_t n = 1;

	if (!g_ascii_islower(at[1]))
		return 0;
	while (g_ascii_islower(at[n]) || g_ascii_isdigit(at[n]) ||
	       at[n] == '-' || at[n] == '_')
		n++;
	return at[n] == '}' ? n + 1 : 0;
}

/*
 * The name of a word list that every match of pattern src contains, or
 * NULL: a {name} outside any group, in a pattern with no top-level
 * alternative, not made optional by ?, * or {0,.  The prefilter reads
 * that list's phrases instead of the whole pattern: Hyperscan's
 * approximation of "{a}[\s\S]{0,120}?{b}" matched every letter.
 */
static char *
required_list(const char *src)
{
	const char *found = NULL;
	size_t found_n = 0;
	int depth = 0;
	size_t n;

	for (const char *c = src; *c; c += n) {
		n = re_element_len(c);
		if (*c == '(') {
			depth++;
		} else if (*c == ')') {
			depth--;
		} else if (*c == '|' && depth == 0) {
			return NULL;
		} else if (*c == '{' && depth == 0 && found == NULL) {
			size_t list = list_ref(c);
			const char *q = c + list;

			if (list > 0 && *q != '?' && *q != '*' &&
			    strncmp(q, "{0,", 3) != 0) {
				found = c + 1;
				found_n = list - 2;
			}
			n = MAX(n, list);
		}
	}
	return found != NULL ? g_strndup(found, found_n) : NULL;
}

/*
 * Whether every match of pattern src starts with a phrase of the word
 * list name, its required list: src opens with {name}, never optional.
 */
static gboolean
leads_with_list(const char *src, const char *name)
{
	size_t n = src[0] == '{' ? list_ref(src) : 0;
	const char *q = src + n;

	return n == strlen(name) + 2 && strncmp(src + 1, name, n - 2) == 0 &&
	       *q != '?' && *q != '*' && strncmp(q, "{0,", 3) != 0;
}

/*
 * src with each {name} replaced by the word list's alternation.  *out is
 * new; *expanded says whether any list was used.
 */
static enum status
expand_lists(struct ruleset *rs, const char *dir, const char *src,
	     const struct pos *p, int col, char **out, gboolean *expanded,
	     struct err *err)
{
	GString *s = g_string_new(NULL);

	*expanded = FALSE;
	for (const char *c = src; *c;) {
		size_t n = *c == '{' ? list_ref(c) : 0;
		const struct wordlist *w;
		g_autofree char *name = NULL;
		enum status st;

		if (n == 0) {
			/* Escapes and classes whole: no list in them. */
			n = re_element_len(c);
			g_string_append_len(s, c, n);
			c += n;
			continue;
		}
		name = g_strndup(c + 1, n - 2);
		st = wordlist_get(rs, dir, name, &w, err);
		if (st != ST_OK) {
			char msg[ERR_MSG_MAX];

			g_strlcpy(msg, err->msg, sizeof msg);
			g_string_free(s, TRUE);
			return rule_error(err, p, col + utf8_col(src, c) - 1,
					  "word list {%s}: %s", name, msg);
		}
		g_string_append(s, w->alt);
		*expanded = TRUE;
		c += n;
	}
	*out = g_string_free(s, FALSE);
	return ST_OK;
}

/* Joins patterns into one: (?:a)|(?:b). */
static char *
join_patterns(const GPtrArray *pats)
{
	GString *s = g_string_new(NULL);

	if (pats->len == 1)
		return g_strdup(pats->pdata[0]);
	for (guint i = 0; i < pats->len; i++)
		g_string_append_printf(s, "%s(?:%s)", i > 0 ? "|" : "",
				       (char *)pats->pdata[i]);
	return g_string_free(s, FALSE);
}

/* --- loading ------------------------------------------------------- */

/* A phrase's head: up to its first gap or space; new, maybe empty. */
static char *
phrase_head(const char *ph)
{
	const char *p = ph;

	while (*p != '\0' && *p != ' ' && gap_at(p) == 0)
		p++;
	return g_strndup(ph, p - ph);
}

/*
 * Whether some patterns of r start with a word list whose phrases all
 * have a head: then r can only match where a head starts, or where one
 * of its other patterns (rests) does.
 */
static gboolean
rule_of_heads(const struct rule *r)
{
	if (r->lists->len == 0)
		return FALSE;
	for (guint i = 0; i < r->lists->len; i++) {
		const struct wordlist *w = r->lists->pdata[i];

		for (guint k = 0; k < w->phrases->len; k++) {
			g_autofree char *h = phrase_head(w->phrases->pdata[k]);

			if (*h == '\0')
				return FALSE;
		}
	}
	return TRUE;
}

/* Checks and compiles a finished rule block. */
static enum status
rule_finish(struct ruleset *rs, struct rule *r, struct err *err)
{
	struct pos p = { r->file, r->line };
	int code;
	PCRE2_SIZE off;

	if (r->patterns->len == 0)
		return rule_error(err, &p, 1, "rule %s has no pattern", r->id);
	if (r->risk == RISK_NONE && r->urgency == URGENCY_NONE &&
	    r->need == NULL && r->writer == WRITER_UNKNOWN &&
	    r->kind == KIND_VOTE_NONE)
		return rule_error(err, &p, 1, "rule %s votes for nothing "
				  "(add risk, urgency, need, writer or kind)",
				  r->id);
	if ((r->risk == RISK_NONE) != (r->level == RISK_LEVEL_NONE))
		return rule_error(err, &p, 1, "rule %s needs both risk and "
				  "level", r->id);
	if (r->risk != RISK_NONE && r->urgency != URGENCY_NONE)
		return rule_error(err, &p, 1, "rule %s: a risk rule finds a "
				  "risk, it does not vote for an urgency",
				  r->id);
	r->pattern = join_patterns(r->patterns);
	r->screen = join_patterns(r->screens);
	/* A rule of one pattern keeps the compile its check made; rules
	 * are compiled to machine code when first tried (jitted()). */
	if (r->patterns->len > 1)
		g_clear_pointer(&r->re, pcre2_code_free);
	if (r->re == NULL)
		r->re = compile_re(r->pattern, FALSE, &code, &off);
	if (r->re == NULL)
		return rule_error(err, &p, 1, "rule %s: its patterns do not "
				  "join", r->id);
	if (rule_of_heads(r)) {
		r->anchored = compile_re_opts(r->pattern, FALSE,
					      PCRE2_ANCHORED, &code, &off);
		if (r->rests->len > 0) {
			g_autofree char *rest = join_patterns(r->rests);

			r->rest = compile_re(rest, FALSE, &code, &off);
			if (r->rest == NULL)
				g_clear_pointer(&r->anchored, pcre2_code_free);
		}
	}
	for (guint i = 0; i < rs->rules->len; i++) {
		const struct rule *o = rs->rules->pdata[i];

		if (strcmp(o->id, r->id) == 0)
			return rule_error(err, &p, 6, "rule %s already "
					  "defined at %s:%d", r->id, o->file,
					  o->line);
	}
	g_ptr_array_add(rs->rules, r);
	return ST_OK;
}

static const struct guard *
guard_find(const struct ruleset *rs, const char *name)
{
	for (guint i = 0; i < rs->guards->len; i++) {
		const struct guard *g = rs->guards->pdata[i];

		if (strcmp(g->name, name) == 0)
			return g;
	}
	return NULL;
}

static enum status
guard_finish(struct ruleset *rs, struct guard *g, struct err *err)
{
	const struct guard *o;
	struct pos p = { g->file, g->line };
	int code;
	PCRE2_SIZE off;
	g_autofree char *joined = NULL;

	if (g->patterns->len == 0)
		return rule_error(err, &p, 1, "guard %s has no pattern",
				  g->name);
	if (g->label == NULL)
		return rule_error(err, &p, 1, "guard %s has no label (what a "
				  "case worker reads)", g->name);
	joined = join_patterns(g->patterns);
	g->re = compile_re(joined, TRUE, &code, &off);
	if (g->re == NULL)
		return rule_error(err, &p, 1, "guard %s: its patterns do not "
				  "join", g->name);
	o = guard_find(rs, g->name);
	if (o != NULL)
		return rule_error(err, &p, 7, "guard %s already defined at "
				  "%s:%d", g->name, o->file, o->line);
	g_ptr_array_add(rs->guards, g);
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

/* The value of enum-like key: the index of val in names[1..n), or 0. */
static int
name_index(const char *const *names, int n, const char *val)
{
	for (int i = 1; i < n; i++)
		if (names[i] != NULL && strcmp(val, names[i]) == 0)
			return i;
	return 0;
}

static enum status load_file(struct ruleset *rs, const char *path,
			     int depth, struct err *err);

/*
 * A pattern as written at column vcol of line p: its word lists expanded
 * into *x (new) and compiled into *re (jit for one that will match).
 */
static enum status
pattern_read(struct ruleset *rs, const char *dir, const char *val,
	     const struct pos *p, int vcol, gboolean jit, char **x,
	     pcre2_code **re, struct err *err)
{
	gboolean expanded;
	enum status st = expand_lists(rs, dir, val, p, vcol, x, &expanded,
				      err);

	if (st != ST_OK)
		return st;
	return pattern_compile(*x, expanded, jit, p, vcol, re, err);
}

/* One key of a rule block. */
static enum status
rule_key(struct ruleset *rs, struct rule *r, const char *dir,
	 const struct pos *p, const char *line, const char *key,
	 const char *val, struct err *err)
{
	int vcol = utf8_col(line, val);

	if (strcmp(key, "pattern") == 0 || strcmp(key, "with") == 0) {
		g_autofree char *x = NULL;
		pcre2_code *re;
		enum status st = pattern_read(rs, dir, val, p, vcol,
					      strcmp(key, "with") == 0, &x,
					      &re, err);

		if (st != ST_OK)
			return st;
		if (strcmp(key, "with") == 0) {
			g_ptr_array_add(r->withs, re);
		} else {
			const struct wordlist *w = NULL;

			/* The first is kept: alone, it is the rule's. */
			if (r->patterns->len == 0)
				r->re = re;
			else
				pcre2_code_free(re);
			/* A pattern that holds a word list in every match:
			 * the prefilter reads that list's phrases up to
			 * their gaps. */
			g_autofree char *name = required_list(val);

			if (name != NULL)
				wordlist_get(rs, dir, name, &w, err);
			/* A pattern that starts with a word list: its
			 * heads say where it can start. */
			if (w != NULL && leads_with_list(val, name))
				g_ptr_array_add(r->lists, (gpointer)w);
			else
				g_ptr_array_add(r->rests, g_strdup(x));
			g_ptr_array_add(r->screens, w != NULL
							    ? g_strdup(w->screen)
							    : g_strdup(x));
			g_ptr_array_add(r->patterns, g_steal_pointer(&x));
		}
	} else if (strcmp(key, "risk") == 0) {
		r->risk = name_index(risk_names, RISK_COUNT, val);
		if (r->risk == RISK_NONE)
			return rule_error(err, p, vcol, "risk must be suicide, "
					  "overdose, violence, psychosis, "
					  "child, missing, withdrawal, shelter "
					  "or now");
	} else if (strcmp(key, "level") == 0) {
		r->level = name_index(level_names, G_N_ELEMENTS(level_names),
				      val);
		if (r->level == RISK_LEVEL_NONE)
			return rule_error(err, p, vcol, "level must be acute, "
					  "high or watch");
	} else if (strcmp(key, "urgency") == 0) {
		if (strcmp(val, "emergency") == 0)
			return rule_error(err, p, vcol, "an emergency is found "
					  "by risk and level, not voted for "
					  "(risk suicide, level acute)");
		if (!urgency_parse(val, &r->urgency))
			return rule_error(err, p, vcol, "urgency must be "
					  "application or consultation");
	} else if (strcmp(key, "need") == 0) {
		const char *nd = need_find(val);
		int k = 0;

		if (nd == NULL)
			return rule_error(err, p, vcol, "unknown need '%s'",
					  val);
		if (r->need == NULL) {
			r->need = nd;
			return ST_OK;
		}
		/* A rule may vote for several needs. */
		while (k < RULES_MAX_NEEDS && r->more_needs[k])
			k++;
		if (k == RULES_MAX_NEEDS)
			return rule_error(err, p, 1, "rule %s votes for too "
					  "many needs", r->id);
		r->more_needs[k] = nd;
	} else if (strcmp(key, "writer") == 0) {
		/* Only the names: labels are for people reading mail. */
		if (!writer_parse(val, &r->writer) ||
		    strcmp(val, writer_name(r->writer)) != 0)
			return rule_error(err, p, vcol, "writer must be self, "
					  "family, friend or public");
	} else if (strcmp(key, "kind") == 0) {
		r->kind = name_index(kind_vote_names, KIND_VOTE_COUNT, val);
		if (r->kind == KIND_VOTE_NONE)
			return rule_error(err, p, vcol, "kind must be spam or "
					  "other");
	} else if (strcmp(key, "weight") == 0) {
		char *end;
		long w = strtol(val, &end, 10);

		if (*end != '\0' || w < -100 || w > 100)
			return rule_error(err, p, vcol, "weight must be a "
					  "whole number from -100 to 100");
		r->weight = (int)w;
	} else if (strcmp(key, "guard") == 0) {
		int k = 0;

		while (k < RULES_MAX_GUARDS && r->guard_names[k])
			k++;
		if (k == RULES_MAX_GUARDS)
			return rule_error(err, p, vcol, "rule %s has too many "
					  "guards", r->id);
		r->guard_names[k] = g_strdup(val);
		r->guard_lines[k] = p->line;
		r->guard_cols[k] = vcol;
	} else if (strcmp(key, "quoted") == 0) {
		if (strcmp(val, "yes") != 0 && strcmp(val, "no") != 0)
			return rule_error(err, p, vcol, "quoted must be yes or "
					  "no");
		r->quoted = strcmp(val, "yes") == 0;
	} else if (strcmp(key, "about") == 0) {
		const struct wordlist *w;
		enum status st;

		if (strcmp(val, "self") == 0)
			r->about |= ABOUT_SELF;
		else if (strcmp(val, "other") == 0)
			r->about |= ABOUT_OTHER;
		else
			return rule_error(err, p, vcol, "about must be self or "
					  "other");
		/* Who is named: the lists self and other-person. */
		st = wordlist_get(rs, dir, "self", &w, err);
		if (st == ST_OK)
			rs->self_words = w;
		if (st == ST_OK)
			st = wordlist_get(rs, dir, "other-person", &w, err);
		if (st != ST_OK) {
			char msg[ERR_MSG_MAX];

			g_strlcpy(msg, err->msg, sizeof msg);
			return rule_error(err, p, vcol, "about needs the word "
					  "lists self and other-person: %s",
					  msg);
		}
		rs->other_words = w;
	} else if (strcmp(key, "example") == 0) {
		g_ptr_array_add(r->examples, g_strdup(val));
	} else if (strcmp(key, "counter") == 0) {
		g_ptr_array_add(r->counters, g_strdup(val));
	} else {
		return rule_error(err, p, utf8_col(line, key),
				  "unknown key '%s'", key);
	}
	return ST_OK;
}

/* "text | words" of a guard's example. */
static gboolean
example_split(const char *val, char **text, char **words)
{
	const char *bar = strstr(val, " | ");

	if (bar == NULL || bar == val || bar[3] == '\0')
		return FALSE;
	*text = g_strndup(val, bar - val);
	*words = g_strdup(bar + 3);
	return strstr(*text, *words) != NULL;
}

/* One key of a guard block. */
static enum status
guard_key(struct ruleset *rs, struct guard *g, const char *dir,
	  const struct pos *p, const char *line, const char *key,
	  const char *val, struct err *err)
{
	int vcol = utf8_col(line, val);

	if (strcmp(key, "pattern") == 0) {
		g_autofree char *x = NULL;
		pcre2_code *re;
		enum status st = pattern_read(rs, dir, val, p, vcol, FALSE,
					      &x, &re, err);

		if (st != ST_OK)
			return st;
		pcre2_code_free(re);
		g_ptr_array_add(g->patterns, g_steal_pointer(&x));
	} else if (strcmp(key, "label") == 0) {
		g_free(g->label);
		g->label = g_strdup(val);
	} else if (strcmp(key, "scope") == 0) {
		if (strcmp(val, "clause") == 0)
			g->reach = REACH_CLAUSE;
		else if (strcmp(val, "sentence") == 0)
			g->reach = REACH_SENTENCE;
		else if (strcmp(val, "letter") == 0)
			g->reach = REACH_LETTER;
		else
			return rule_error(err, p, vcol, "scope must be clause, "
					  "sentence or letter");
	} else if (strcmp(key, "before") == 0 || strcmp(key, "after") == 0) {
		char *end;
		long n = strtol(val, &end, 10);

		if (*end != '\0' || n < 0 || n > 1000)
			return rule_error(err, p, vcol, "%s must be a number of "
					  "characters from 0 to 1000", key);
		if (key[0] == 'b')
			g->before = (int)n;
		else
			g->after = (int)n;
	} else if (strcmp(key, "example") == 0 ||
		   strcmp(key, "counter") == 0) {
		g_autofree char *text = NULL, *words = NULL;

		if (!example_split(val, &text, &words))
			return rule_error(err, p, vcol, "a guard's %s is "
					  "\"text | words\", the words in the "
					  "text", key);
		g_ptr_array_add(key[0] == 'e' ? g->examples : g->counters,
				g_strdup(val));
	} else {
		return rule_error(err, p, utf8_col(line, key),
				  "unknown key '%s'", key);
	}
	return ST_OK;
}

static enum status
load_text(struct ruleset *rs, const char *path, char *text, int depth,
	  struct err *err)
{
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
	g_autofree char *dir = g_path_get_dirname(path);
	struct rule *r = NULL;
	struct guard *g = NULL;
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
			/* A new top-level statement ends the open block. */
			if (r != NULL) {
				st = rule_finish(rs, r, err);
				if (st != ST_OK)
					break;
				r = NULL;
			}
			if (g != NULL) {
				st = guard_finish(rs, g, err);
				if (st != ST_OK)
					break;
				g = NULL;
			}
			val = key + strcspn(key, " \t");
			if (*val != '\0')
				*val++ = '\0';
			val += strspn(val, " \t");
			g_strchomp(val);
			if (strcmp(key, "rule") == 0 ||
			    strcmp(key, "guard") == 0) {
				if (!id_valid(val)) {
					st = rule_error(err, &p,
							(int)strlen(key) + 2,
							"%s needs a name of "
							"letters, digits and "
							". _ -", key);
					break;
				}
				if (key[0] == 'r') {
					r = g_new0(struct rule, 1);
					r->id = g_strdup(val);
					r->file = g_strdup(path);
					r->line = p.line;
					r->weight = 5;
					r->patterns = g_ptr_array_new_with_free_func(g_free);
					r->screens = g_ptr_array_new_with_free_func(g_free);
					r->lists = g_ptr_array_new();
					r->rests = g_ptr_array_new_with_free_func(
						g_free);
					r->withs = g_ptr_array_new_with_free_func(
						(GDestroyNotify)pcre2_code_free);
					r->examples = g_ptr_array_new_with_free_func(g_free);
					r->counters = g_ptr_array_new_with_free_func(g_free);
				} else {
					g = g_new0(struct guard, 1);
					g->name = g_strdup(val);
					g->file = g_strdup(path);
					g->line = p.line;
					g->before = -1;
					g->patterns = g_ptr_array_new_with_free_func(g_free);
					g->examples = g_ptr_array_new_with_free_func(g_free);
					g->counters = g_ptr_array_new_with_free_func(g_free);
				}
			} else if (strcmp(key, "include") == 0) {
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
				st = rule_error(err, &p, 1, "expected 'rule ID', "
						"'guard NAME' or 'include "
						"FILE', found '%s'", key);
			}
			continue;
		}
		if (r == NULL && g == NULL) {
			st = rule_error(err, &p, utf8_col(line, key),
					"indented line outside a rule");
			break;
		}
		val = key + strcspn(key, " \t");
		if (*val != '\0')
			*val++ = '\0';
		val += strspn(val, " \t");
		g_strchomp(val);
		if (*val == '\0')
			st = rule_error(err, &p, utf8_col(line, key),
					"'%s' needs a value", key);
		else if (r != NULL)
			st = rule_key(rs, r, dir, &p, line, key, val, err);
		else
			st = guard_key(rs, g, dir, &p, line, key, val, err);
	}
	if (st == ST_OK && r != NULL) {
		st = rule_finish(rs, r, err);
		if (st == ST_OK)
			r = NULL;	/* the ruleset owns it now */
	}
	if (st == ST_OK && g != NULL) {
		st = guard_finish(rs, g, err);
		if (st == ST_OK)
			g = NULL;
	}
	rule_free(r);
	guard_free(g);
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

static gboolean in_scope(const struct rule *r, enum triage_scope scope);

/* Once every file is read: guards named by rules exist, wherever. */
static enum status
ruleset_finish(struct ruleset *rs, struct err *err)
{
	for (guint i = 0; i < rs->rules->len; i++) {
		struct rule *r = rs->rules->pdata[i];

		for (int k = 0; k < RULES_MAX_GUARDS && r->guard_names[k];
		     k++) {
			struct pos p = { r->file, r->guard_lines[k] };

			r->guards[k] = guard_find(rs, r->guard_names[k]);
			if (r->guards[k] == NULL)
				return rule_error(err, &p, r->guard_cols[k],
						  "no guard named '%s'",
						  r->guard_names[k]);
		}
	}
	/* A pass loops over its own rules, not over all of them. */
	for (int sc = 0; sc < SCOPE_COUNT; sc++) {
		rs->scoped[sc] = g_array_new(FALSE, FALSE, sizeof(guint));
		for (guint i = 0; i < rs->rules->len; i++)
			if (in_scope(rs->rules->pdata[i], sc))
				g_array_append_val(rs->scoped[sc], i);
	}
	rs->md = pcre2_match_data_create(64, NULL);
	rs->may_body = g_new(gboolean, rs->rules->len);
	rs->may_fwd = g_new(gboolean, rs->rules->len);
	return ST_OK;
}

/* --- the prefilter ------------------------------------------------- */

static void screen_build(const struct ruleset *rs, enum triage_scope scope);
static void heads_build(const struct ruleset *rs);

guint
rules_prepare(struct ruleset *rs)
{
	g_autofree gboolean *by = NULL;
	guint screened = 0;

	if (rs->unscreened)
		return 0;
	by = g_new0(gboolean, rs->rules->len);
	for (int scope = SCOPE_KIND; scope < SCOPE_COUNT; scope++) {
		const struct screen *sc = &rs->screens[scope];

		if (!sc->tried)
			screen_build(rs, scope);
		/* Every rule is in the kind or the seekers' screen (the
		 * risk rules in both): counted once. */
		for (guint k = 0; sc->pf != NULL && k < sc->n &&
				  (scope == SCOPE_KIND || scope == SCOPE_SEEKER);
		     k++)
			if (!prefilter_always(sc->pf, k))
				by[sc->rule_of[k]] = TRUE;
	}
	for (guint i = 0; i < rs->rules->len; i++)
		screened += by[i];
	if (!rs->heads.tried)
		heads_build(rs);
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

gboolean
rules_prefilter_on(const struct ruleset *rs)
{
	return !rs->unscreened;
}

const char *
rules_cache_dir(const struct ruleset *rs)
{
	return rs->cache_dir;
}

static gboolean
in_scope(const struct rule *r, enum triage_scope scope)
{
	switch (scope) {
	case SCOPE_KIND:
		return r->kind != KIND_VOTE_NONE;
	case SCOPE_SEEKER:
		return r->kind == KIND_VOTE_NONE;
	case SCOPE_RISK:
		return r->risk != RISK_NONE;
	case SCOPE_QUOTED:
		return r->quoted;
	default:
		return TRUE;
	}
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

		/* The kind screen holds the risk rules too: mail about to
		 * be set aside is read for risk with no second pass. */
		if (in_scope(r, scope) ||
		    (scope == SCOPE_KIND && in_scope(r, SCOPE_RISK))) {
			pats[sc->n] = r->screen;
			sc->rule_of[sc->n++] = i;
		}
	}
	sc->may = g_new(gboolean, sc->n);
	sc->pf = sc->n > 0 ? prefilter_new(pats, sc->n, dir) : NULL;
	sc->tried = TRUE;
}

/* Sets the flags of may for the rules of scope, from its prefilter. */
static void
screen_apply(const struct ruleset *rs, enum triage_scope scope,
	     const char *text, size_t len, gboolean *may)
{
	struct screen *sc = &rs->screens[scope];

	if (!sc->tried)
		screen_build(rs, scope);
	if (sc->pf == NULL)
		return;
	prefilter_scan(sc->pf, text, len, sc->may);
	for (guint k = 0; k < sc->n; k++)
		may[sc->rule_of[k]] = sc->may[k];
}

/*
 * Fills may (one flag per rule) for text: whether a rule of the scope
 * can match there.  Without a prefilter every rule can.  Four
 * prefilters serve every scope: the kind rules' with the risk rules'
 * (mail about to be set aside is read for risk from it), the seekers'
 * (all rules are in one of the two); for forwarded text the risk rules'
 * alone, a fraction of the seekers' to scan; for the quoted history,
 * the few rules that read it.
 * (One prefilter of every rule scans slower than the two it would
 * replace.)
 */
static void
screen_text(const struct ruleset *rs, enum triage_scope scope,
	    const char *text, size_t len, gboolean *may)
{
	for (guint i = 0; i < rs->rules->len; i++)
		may[i] = TRUE;
	if (rs->unscreened)
		return;
	if (scope == SCOPE_RISK || scope == SCOPE_QUOTED) {
		screen_apply(rs, scope, text, len, may);
		return;
	}
	if (scope == SCOPE_ALL || scope == SCOPE_KIND)
		screen_apply(rs, SCOPE_KIND, text, len, may);
	if (scope != SCOPE_KIND)
		screen_apply(rs, SCOPE_SEEKER, text, len, may);
}

/* Builds the finder of the heads of the rules made of word lists. */
static void
heads_build(const struct ruleset *rs)
{
	struct heads *hd = (struct heads *)&rs->heads;
	g_autoptr(GHashTable) id_of = g_hash_table_new_full(
		g_str_hash, g_str_equal, g_free, NULL);
	g_autoptr(GPtrArray) pats = g_ptr_array_new_with_free_func(g_free);
	/* Per head: GArray of guint, the rules it is of. */
	g_autoptr(GPtrArray) rules_of = g_ptr_array_new_with_free_func(
		(GDestroyNotify)g_array_unref);
	g_autofree char *dir = rs->cache_dir != NULL
				       ? g_strdup(rs->cache_dir)
				       : prefilter_default_cache_dir();

	hd->tried = TRUE;
	hd->off = g_new0(gboolean, rs->rules->len);
	for (guint i = 0; i < rs->rules->len; i++) {
		const struct rule *r = rs->rules->pdata[i];

		for (guint l = 0; r->anchored != NULL && l < r->lists->len;
		     l++) {
			const struct wordlist *w = r->lists->pdata[l];

			for (guint k = 0; k < w->phrases->len; k++) {
				char *h = phrase_head(w->phrases->pdata[k]);
				gpointer id;
				GArray *of;

				if (!g_hash_table_lookup_extended(id_of, h,
								  NULL, &id)) {
					GString *re = g_string_new(NULL);

					phrase_regex(re, h, FALSE);
					id = GUINT_TO_POINTER(pats->len);
					g_ptr_array_add(pats,
							g_string_free(re, FALSE));
					g_ptr_array_add(rules_of,
							g_array_new(FALSE, FALSE,
								    sizeof(guint)));
					g_hash_table_insert(id_of, h, id);
				} else {
					g_free(h);
				}
				of = rules_of->pdata[GPOINTER_TO_UINT(id)];
				if (of->len == 0 ||
				    g_array_index(of, guint, of->len - 1) != i)
					g_array_append_val(of, i);
			}
		}
	}
	if (pats->len == 0)
		return;
	hd->pf = prefilter_new_starts((const char *const *)pats->pdata,
				      pats->len, dir);
	/* Each rule's heads as bits; a head left out of the finder: its
	 * rules are tried everywhere. */
	hd->of_rule = g_new0(guint8 *, rs->rules->len);
	for (guint id = 0; id < pats->len; id++) {
		GArray *of = rules_of->pdata[id];

		for (guint k = 0; k < of->len; k++) {
			guint i = g_array_index(of, guint, k);

			if (hd->of_rule[i] == NULL)
				hd->of_rule[i] = g_new0(guint8,
							pats->len / 8 + 1);
			hd->of_rule[i][id / 8] |= 1u << (id % 8);
			if (hd->pf != NULL && prefilter_always(hd->pf, id))
				hd->off[i] = TRUE;
		}
	}
	for (int k = 0; k < 3; k++) {
		((struct ruleset *)rs)->found[k] =
			g_array_new(FALSE, FALSE, sizeof(struct head_at));
		((struct ruleset *)rs)->starts[k] =
			g_new(GArray *, rs->rules->len);
		((struct ruleset *)rs)->built[k] =
			g_new0(guint64, rs->rules->len);
		for (guint i = 0; i < rs->rules->len; i++)
			rs->starts[k][i] =
				g_array_new(FALSE, FALSE, sizeof(size_t));
	}
}

static void
on_head(guint id, size_t from, void *data)
{
	struct head_at at = { id, from };

	g_array_append_val((GArray *)data, at);
}

static gint
cmp_size(gconstpointer a, gconstpointer b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return x < y ? -1 : x > y;
}

/* Sorts starts and drops repeats: a text read by several passes may
 * have a rule's other starts added again. */
static void
starts_sort_unique(GArray *starts)
{
	guint n = 0;

	g_array_sort(starts, cmp_size);
	for (guint i = 0; i < starts->len; i++)
		if (n == 0 || g_array_index(starts, size_t, i) !=
				      g_array_index(starts, size_t, n - 1))
			g_array_index(starts, size_t, n++) =
				g_array_index(starts, size_t, i);
	g_array_set_size(starts, n);
}

/*
 * Adds to starts, sorted, each place where a pattern of r that starts
 * with no word list matches: with the heads of its lists, every place
 * where r can start.  FALSE if it cannot tell (a match limit): then r
 * is tried everywhere.
 */
static gboolean
rest_starts(const struct ruleset *rs, const struct rule *r, const char *text,
	    size_t len, GArray *starts)
{
	const pcre2_code *re = jitted(r->rest, &((struct rule *)r)->rest_jit);
	PCRE2_SIZE from = 0;
	guint before = starts->len;
	int rc;

	while ((rc = pcre2_match(re, (PCRE2_SPTR)text, len, from,
				 PCRE2_NO_UTF_CHECK, rs->md, rs->mctx)) >= 0) {
		size_t at = pcre2_get_ovector_pointer(rs->md)[0];

		g_array_append_val(starts, at);
		if (at >= len)
			break;
		/* The next place it starts, which may be inside this match. */
		from = g_utf8_next_char(text + at) - text;
	}
	if (rc < 0 && rc != PCRE2_ERROR_NOMATCH)
		return FALSE;
	if (starts->len > before)
		starts_sort_unique(starts);
	return TRUE;
}

/*
 * Finds the heads in text, the k-th reading, for starts_of_rule().
 * FALSE if it cannot tell: then the rules made of word lists are tried
 * everywhere.
 */
static gboolean
heads_find(const struct ruleset *rs, const char *text, size_t len, int k)
{
	struct ruleset *w = (struct ruleset *)rs;	/* the finder's state */

	if (!rs->heads.tried)
		heads_build(rs);
	if (rs->heads.pf == NULL)
		return FALSE;
	g_array_set_size(w->found[k], 0);
	w->found_gen[k]++;	/* every rule's starts are stale */
	return prefilter_scan_starts(rs->heads.pf, text, len, on_head,
				     w->found[k]);
}

/* Where rule i can start in the k-th reading, from its heads found
 * there: made once for each finding. */
static GArray *
starts_of_rule(const struct ruleset *rs, int k, guint i)
{
	GArray *starts = rs->starts[k][i];
	const guint8 *mine = rs->heads.of_rule[i];

	if (rs->built[k][i] == rs->found_gen[k])
		return starts;
	rs->built[k][i] = rs->found_gen[k];
	g_array_set_size(starts, 0);
	for (guint n = 0; mine != NULL && n < rs->found[k]->len; n++) {
		const struct head_at *at =
			&g_array_index(rs->found[k], struct head_at, n);

		if (mine[at->head / 8] & (1u << (at->head % 8)))
			g_array_append_val(starts, at->from);
	}
	if (starts->len > 1)
		starts_sort_unique(starts);
	return starts;
}

static enum status
ruleset_load_done(struct ruleset *rs, enum status st, struct ruleset **out,
		  struct err *err)
{
	if (st == ST_OK)
		st = ruleset_finish(rs, err);
	if (st != ST_OK) {
		ruleset_free(rs);
		return st;
	}
	*out = rs;
	return ST_OK;
}

enum status
rules_load_file(const char *path, struct ruleset **out, struct err *err)
{
	struct ruleset *rs = ruleset_new();

	return ruleset_load_done(rs, load_file(rs, path, 0, err), out, err);
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
	/* Who is named, for the rules' about and for risk in mail that
	 * would be set aside; the lists are optional. */
	if (st == ST_OK && rs->self_words == NULL) {
		struct err ignored = { 0 };
		const struct wordlist *w;

		if (wordlist_get(rs, dir, "self", &w, &ignored) == ST_OK)
			rs->self_words = w;
		if (wordlist_get(rs, dir, "other-person", &w, &ignored) == ST_OK)
			rs->other_words = w;
	}
	return ruleset_load_done(rs, st, out, err);
}

static void
hits_free(GArray *hits)
{
	if (hits == NULL)
		return;
	for (guint i = 0; i < hits->len; i++)
		g_free(g_array_index(hits, struct rule_hit, i).match);
	g_array_free(hits, TRUE);
}

void
triage_free(struct triage *t)
{
	if (t == NULL)
		return;
	hits_free(t->hits);
	hits_free(t->cleared);
	if (t->needs != NULL)
		g_ptr_array_free(t->needs, TRUE);
	g_free(t);
}

/* --- matching ------------------------------------------------------ */

static gboolean
ends_clause(gunichar c)
{
	return c == '\n' || c == 0x3002 || c == 0xFF0C || c == 0xFF01 ||
	       c == 0xFF1F || c == 0xFF1B || c == 0x3001 || c == ',' ||
	       c == '.' || c == '!' || c == '?' || c == ';';
}

static gboolean
ends_sentence(gunichar c)
{
	return c == '\n' || c == 0x3002 || c == 0xFF01 || c == 0xFF1F ||
	       c == '!' || c == '?';
}

/*
 * Whether the space at byte p of text ends a clause: in Chinese written
 * without punctuation a space stands for the comma ("我說沒有 他就掐我");
 * between Latin words it does not.
 */
static gboolean
space_ends(const char *text, const char *p)
{
	gunichar c = g_utf8_get_char(p);
	const char *q;

	if (c != ' ' && c != 0x3000)
		return FALSE;
	q = g_utf8_find_prev_char(text, p);
	return q != NULL && g_utf8_get_char(q) >= 0x2E80;
}

/*
 * The start of the span before byte at that reach allows: back to its
 * boundary, at most max characters (-1: no limit).
 */
static size_t
span_start(const char *text, size_t at, enum reach reach, int max)
{
	const char *p = text + at;

	if (reach == REACH_LETTER)
		return max < 0 ? 0 : (size_t)(g_utf8_offset_to_pointer(
			      text + at, -MIN(max, (int)g_utf8_pointer_to_offset(
						       text, text + at))) - text);
	for (int n = 0; (max < 0 || n < max) && p > text; n++) {
		const char *q = g_utf8_find_prev_char(text, p);
		gunichar c;

		if (q == NULL)
			break;
		c = g_utf8_get_char(q);
		if (reach == REACH_CLAUSE ? ends_clause(c) || space_ends(text, q)
					  : ends_sentence(c))
			break;
		p = q;
	}
	return p - text;
}

/* The end of the span after byte at, as span_start() the other way. */
static size_t
span_end(const char *text, size_t len, size_t at, enum reach reach, int max)
{
	const char *p = text + at, *end = text + len;

	for (int n = 0; (max < 0 || n < max) && p < end; n++) {
		gunichar c = g_utf8_get_char(p);

		if (reach != REACH_LETTER &&
		    (reach == REACH_CLAUSE ? ends_clause(c) : ends_sentence(c)))
			break;
		p = g_utf8_next_char(p);
	}
	return p - text;
}

/* Whether re matches within text[from, to). */
static gboolean
matches_in(const struct ruleset *rs, const pcre2_code *re, const char *text,
	   size_t from, size_t to)
{
	return from < to &&
	       pcre2_match(re, (PCRE2_SPTR)text, to, from, PCRE2_NO_UTF_CHECK,
			   rs->md, rs->mctx) >= 0;
}

/*
 * Whether guard g clears a hit on text[s, e).  A guard that reads the
 * whole letter also reads letter, what the writer wrote now, when the
 * hit is in quoted or forwarded text ("that was in September; he was
 * found and is well").
 */
static gboolean
guard_clears(const struct ruleset *rs, const struct guard *g,
	     const char *text, size_t len, size_t s, size_t e,
	     const char *letter)
{
	size_t from, to;

	if (g->reach == REACH_LETTER && g->before < 0)
		return matches_in(rs, g->re, text, 0, len) ||
		       (letter != NULL && letter != text &&
			matches_in(rs, g->re, letter, 0, strlen(letter)));
	from = span_start(text, s, g->reach, g->before);
	if (matches_in(rs, g->re, text, from, s))
		return TRUE;
	if (g->after == 0)
		return FALSE;
	to = span_end(text, len, e, g->reach, g->after);
	return matches_in(rs, g->re, text, e, to);
}

/* Whether s holds phrase; a Latin word only as a whole word. */
static gboolean
has_phrase(const char *s, const char *phrase)
{
	size_t n = strlen(phrase);
	gboolean latin = g_ascii_isalnum(phrase[0]);

	for (const char *p = s; (p = strstr(p, phrase)) != NULL; p++)
		if (!latin || ((p == s || !g_ascii_isalnum(p[-1])) &&
			       !g_ascii_isalnum(p[n])))
			return TRUE;
	return FALSE;
}

static gboolean
has_word(const struct wordlist *w, const char *s)
{
	for (guint i = 0; w != NULL && i < w->phrases->len; i++)
		if (has_phrase(s, w->phrases->pdata[i]))
			return TRUE;
	return FALSE;
}

/*
 * Whether s names the writer: "我" not as a possessive ("我兒子" is about
 * the son), or another first person of the list self.
 */
static gboolean
names_self(const struct ruleset *rs, const char *s)
{
	const struct wordlist *o = rs->other_words, *me = rs->self_words;

	for (const char *p = s; (p = strstr(p, "我")) != NULL;) {
		const char *q = p + strlen("我");
		gboolean possessive = FALSE;

		if (g_str_has_prefix(q, "的"))
			q += strlen("的");
		for (guint i = 0; o != NULL && i < o->phrases->len &&
				  !possessive; i++)
			possessive = g_str_has_prefix(q, o->phrases->pdata[i]);
		if (!possessive)
			return TRUE;
		p = q;
	}
	for (guint i = 0; me != NULL && i < me->phrases->len; i++)
		if (strcmp(me->phrases->pdata[i], "我") != 0 &&
		    has_phrase(s, me->phrases->pdata[i]))
			return TRUE;
	return FALSE;
}

/* Whether the about test of r voids the hit at byte offset at. */
static gboolean
about_voids(const struct ruleset *rs, const struct rule *r,
	    const char *text, size_t at)
{
	size_t from;
	g_autofree char *wide = NULL;

	if (r->about == 0)
		return FALSE;
	from = span_start(text, at, REACH_CLAUSE, 10);
	wide = g_ascii_strdown(text + from, at - from);
	/*
	 * "about self": someone else is named in the clause before the hit
	 * and the writer is not; "about other": the other way round.  A
	 * clause naming nobody is the writer's own.
	 */
	if ((r->about & ABOUT_SELF) && has_word(rs->other_words, wide) &&
	    !names_self(rs, wide))
		return TRUE;
	return (r->about & ABOUT_OTHER) && !has_word(rs->other_words, wide);
}

/* Whether each "with" of r matches in the sentence of text[s, e). */
static gboolean
withs_hold(const struct ruleset *rs, const struct rule *r, const char *text,
	   size_t len, size_t s, size_t e)
{
	size_t from, to;

	if (r->withs->len == 0)
		return TRUE;
	from = span_start(text, s, REACH_SENTENCE, -1);
	to = span_end(text, len, e, REACH_SENTENCE, -1);
	for (guint i = 0; i < r->withs->len; i++)
		if (!matches_in(rs, r->withs->pdata[i], text, from, to))
			return FALSE;
	return TRUE;
}

/*
 * Character offsets in one text, counted once for all the rules that
 * read it: the count at a character's start every CHAR_MARK_STEP bytes,
 * made as far as a hit asks.  A hit is counted from the mark before it
 * (each rule's first hit deep in a long letter was counted from the
 * start).
 */
#define CHAR_MARK_STEP 1024

struct char_mark {
	size_t byte;	/* the first character's start at or after a step */
	glong chars;	/* characters before it */
};

/* The character offset of byte (a character's start) in text; marks
 * may be NULL (counted from the start), else zeroed before first use. */
static glong
char_offset(GArray **marks, const char *text, size_t byte)
{
	const struct char_mark *m;
	guint k = (guint)(byte / CHAR_MARK_STEP);

	if (marks == NULL)
		return g_utf8_pointer_to_offset(text, text + byte);
	if (*marks == NULL) {
		struct char_mark start = { 0, 0 };

		*marks = g_array_new(FALSE, FALSE, sizeof(struct char_mark));
		g_array_append_val(*marks, start);
	}
	while ((*marks)->len <= k) {
		const struct char_mark *last = &g_array_index(
			*marks, struct char_mark, (*marks)->len - 1);
		struct char_mark next = {
			(size_t)(*marks)->len * CHAR_MARK_STEP, 0
		};

		/* Not past byte: it is a character's start after the step. */
		while (((guchar)text[next.byte] & 0xc0) == 0x80)
			next.byte++;
		next.chars = last->chars +
			     g_utf8_pointer_to_offset(text + last->byte,
						      text + next.byte);
		g_array_append_val(*marks, next);
	}
	m = &g_array_index(*marks, struct char_mark, k);
	return m->chars + g_utf8_pointer_to_offset(text + m->byte, text + byte);
}

/*
 * Appends the hits of r in text (len bytes) to hits, at most max_hits,
 * and those a guard clears to cleared (may be NULL: then they are
 * dropped).  Character offsets are counted on from the previous hit,
 * not from the start each time.  starts (NULL: anywhere) are the only
 * places, in order, where r can start; it is tried there anchored,
 * which finds what the search from each place would.
 */
static void
rule_match(const struct ruleset *rs, const struct rule *r, const char *text,
	   size_t len, const GArray *starts, const char *letter,
	   enum hit_place place, int max_hits, GArray *hits, GArray *cleared,
	   GArray **marks)
{
	PCRE2_SIZE start = 0;
	guint next = 0;
	struct rule *w = (struct rule *)r;	/* for jitted() alone */
	guint found = hits->len;

	for (int n = 0; n < RULES_MAX_HITS_PER_RULE && start <= len &&
			hits->len - found < (guint)max_hits;
	     n++) {
		PCRE2_SIZE *ov, s, e;
		struct rule_hit h = { 0 };
		const struct guard *by = NULL;
		int rc = -1;

		if (starts == NULL)
			rc = pcre2_match(jitted(r->re, &w->re_jit),
					 (PCRE2_SPTR)text, len, start,
					 PCRE2_NO_UTF_CHECK, rs->md, rs->mctx);
		for (; starts != NULL && next < starts->len; next++) {
			size_t from = g_array_index(starts, size_t, next);

			if (from < start ||
			    (next > 0 &&
			     from == g_array_index(starts, size_t, next - 1)))
				continue;
			rc = pcre2_match(jitted(r->anchored,
						&w->anchored_jit),
					 (PCRE2_SPTR)text, len, from,
					 PCRE2_NO_UTF_CHECK, rs->md, rs->mctx);
			if (rc >= 0)
				break;
		}

		/* No match, or a match limit hit: either way, no vote. */
		if (rc < 0)
			break;
		ov = pcre2_get_ovector_pointer(rs->md);
		s = ov[0];
		e = ov[1];
		start = e > s ? e
			      : (e >= len ? len + 1
					  : (PCRE2_SIZE)(g_utf8_next_char(
						    text + e) - text));
		if (about_voids(rs, r, text, s) ||
		    !withs_hold(rs, r, text, len, s, e))
			continue;
		for (int k = 0; k < RULES_MAX_GUARDS && r->guards[k] && !by;
		     k++)
			if (guard_clears(rs, r->guards[k], text, len, s, e,
					 letter))
				by = r->guards[k];
		if (by != NULL && (cleared == NULL || r->risk == RISK_NONE))
			continue;
		h.rule = r;
		h.start = char_offset(marks, text, s);
		h.end = h.start + g_utf8_pointer_to_offset(text + s, text + e);
		h.match = g_strndup(text + s, e - s);
		h.place = place;
		h.cleared = by;
		g_array_append_val(by != NULL ? cleared : hits, h);
	}
}

static gint
cmp_hits(gconstpointer a, gconstpointer b)
{
	const struct rule_hit *x = a, *y = b;

	if (x->place != y->place)
		return x->place < y->place ? -1 : 1;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return strcmp(x->rule->id, y->rule->id);
}

static gint
cmp_needs(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
add_need(struct triage *t, const char *need)
{
	if (!g_ptr_array_find(t->needs, need, NULL))
		g_ptr_array_add(t->needs, (gpointer)need);
}

/* What one text is to the triage, and what it may count for. */
struct reading {
	const char *text;
	enum hit_place place;
	gboolean *may;
	gboolean screened;	/* may is filled: only once needed */
	int headed;		/* 0: not yet looked; 1: heads found; -1: no */
	size_t len;		/* of text, once screened */
	GArray *marks;		/* char_offset()'s, once a hit asks */
};

/* Frees what the three readings of a triage counted. */
static void
readings_clear(struct reading rd[3])
{
	for (int k = 0; k < 3; k++)
		if (rd[k].marks != NULL)
			g_array_free(rd[k].marks, TRUE);
}

static enum status triage_run(struct rules_text *tx, const char *body,
			      const char *forwarded, enum triage_scope scope,
			      struct triage **out, struct err *err);

enum status
rules_text_new(const struct ruleset *rs, const char *text,
	       struct rules_text **out, struct err *err)
{
	struct rules_text *tx;

	if (!g_utf8_validate(text, -1, NULL))
		return err_set(err, ST_FATAL, "triage text is not UTF-8");
	tx = g_new0(struct rules_text, 1);
	tx->rs = rs;
	tx->text = text;
	tx->len = strlen(text);
	tx->serial = ++((struct ruleset *)rs)->texts;
	tx->may = g_new(gboolean, rs->rules->len);
	for (guint i = 0; i < rs->rules->len; i++)
		tx->may[i] = TRUE;
	*out = tx;
	return ST_OK;
}

void
rules_text_free(struct rules_text *tx)
{
	if (tx == NULL)
		return;
	rules_text_free(tx->trad);
	g_free(tx->may);
	g_free(tx->owned);
	g_free(tx);
}

/*
 * The rules are written in Traditional Chinese: the letter pass reads
 * tx converted when it has Simplified characters (tx itself when it has
 * none), converted once.  The kind and risk passes need not: their
 * words are listed in both scripts, and mail set aside is never
 * converted.
 */
static struct rules_text *
text_traditional(struct rules_text *tx)
{
	if (!tx->converted) {
		char *trad = hanzi_to_traditional(tx->text);

		tx->converted = TRUE;
		if (trad != NULL) {
			struct err err = { 0 };

			/* Conversion gives valid UTF-8: this cannot fail. */
			if (rules_text_new(tx->rs, trad, &tx->trad, &err) ==
			    ST_OK)
				tx->trad->owned = trad;
			else
				g_free(trad);
		}
	}
	return tx->trad != NULL ? tx->trad : tx;
}

/*
 * Fills tx->may for the rules of scope from the screens not yet applied
 * to it: the kind and the seekers' screens together cover every rule,
 * the risk rules' among them.
 */
static void
text_screen(struct rules_text *tx, enum triage_scope scope)
{
	static const guint kind = 1u << SCOPE_KIND, seeker = 1u << SCOPE_SEEKER,
			   risk = 1u << SCOPE_RISK;
	guint need = scope == SCOPE_KIND     ? kind
		     : scope == SCOPE_SEEKER ? seeker
		     : scope == SCOPE_RISK   ? risk
					     : kind | seeker;

	/* Each of the kind and the seekers' screens holds the risk rules. */
	if (scope == SCOPE_RISK && (tx->screened & (kind | seeker)) != 0)
		return;
	need &= ~tx->screened;
	if (tx->rs->unscreened)
		need = 0;
	for (int sc = SCOPE_KIND; sc < SCOPE_COUNT; sc++)
		if (need & (1u << sc))
			screen_apply(tx->rs, sc, tx->text, tx->len, tx->may);
	tx->screened |= need;
}

/*
 * The heads of the rules of word lists in tx (the ruleset's found[0]),
 * found unless they are there already for this text: 1, or -1 when it
 * cannot tell.
 */
static int
text_heads(struct rules_text *tx)
{
	struct ruleset *rs = (struct ruleset *)tx->rs;

	if (tx->headed != 0 && rs->starts_of == tx->serial)
		return tx->headed;
	tx->headed = heads_find(rs, tx->text, tx->len, 0) ? 1 : -1;
	rs->starts_of = tx->serial;
	return tx->headed;
}

/* One pass of scope over text alone. */
static enum status
triage_once(const struct ruleset *rs, const char *text,
	    enum triage_scope scope, struct triage **out, struct err *err)
{
	struct rules_text *tx = NULL;
	enum status st = rules_text_new(rs, text, &tx, err);

	if (st == ST_OK)
		st = triage_run(tx, NULL, NULL, scope, out, err);
	rules_text_free(tx);
	return st;
}

enum status
rules_triage(const struct ruleset *rs, const char *text,
	     struct triage **out, struct err *err)
{
	return triage_once(rs, text, SCOPE_ALL, out, err);
}

enum status
rules_triage_kind(struct rules_text *tx, struct triage **out,
		  struct err *err)
{
	return triage_run(tx, NULL, NULL, SCOPE_KIND, out, err);
}

enum status
rules_triage_letter(struct rules_text *tx, const char *body,
		    const char *forwarded, struct triage **out,
		    struct err *err)
{
	g_autofree char *fwd = hanzi_to_traditional(forwarded);

	return triage_run(text_traditional(tx), body,
			  fwd != NULL ? fwd : forwarded, SCOPE_SEEKER, out, err);
}

static void decide_risk(struct triage *t);

/* Whether byte at of text is inside quotation marks opened on its line. */
static gboolean
in_quotes(const char *text, size_t at)
{
	static const gunichar open[] = { 0x300C, 0x300E, 0x201C, 0x300A };
	static const gunichar close[] = { 0x300D, 0x300F, 0x201D, 0x300B };
	const char *p = text + at;
	int depth = 0;

	while (p > text && p[-1] != '\n')
		p--;
	for (; p < text + at; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);

		for (size_t i = 0; i < G_N_ELEMENTS(open); i++) {
			depth += c == open[i];
			depth -= c == close[i] && depth > 0;
		}
	}
	return depth > 0;
}

/* Whether the sentence around byte at names a person: I, he, my son. */
static gboolean
names_person(const struct ruleset *rs, const char *text, size_t at)
{
	size_t from = span_start(text, at, REACH_SENTENCE, -1);
	size_t to = span_end(text, strlen(text), at, REACH_SENTENCE, -1);
	g_autofree char *sentence = g_ascii_strdown(text + from, to - from);

	return has_word(rs->self_words, sentence) ||
	       has_word(rs->other_words, sentence) ||
	       strstr(sentence, "我") != NULL;
}

enum status
rules_risk_sign(struct rules_text *tx, gboolean *out, struct err *err)
{
	const struct ruleset *rs = tx->rs;
	const char *text = tx->text;
	struct triage *t = NULL;
	enum status st = triage_run(tx, NULL, NULL, SCOPE_RISK, &t, err);
	GArray *kept;

	if (st != ST_OK)
		return st;
	/*
	 * Mail otherwise set aside (a course advert, a research request, a
	 * sermon) keeps its case only for a person's own danger: words in
	 * quotation marks, or in a sentence naming no one, are a topic.
	 */
	kept = g_array_new(FALSE, FALSE, sizeof(struct rule_hit));
	for (guint i = 0; i < t->hits->len; i++) {
		struct rule_hit *h = &g_array_index(t->hits, struct rule_hit, i);
		size_t at = g_utf8_offset_to_pointer(text, h->start) - text;

		if (h->rule->risk == RISK_NOW ||
		    (!in_quotes(text, at) && names_person(rs, text, at))) {
			g_array_append_val(kept, *h);
			h->match = NULL;	/* kept owns it now */
		}
	}
	hits_free(t->hits);
	t->hits = kept;
	t->urgency = URGENCY_NONE;
	decide_risk(t);
	*out = t->urgency == URGENCY_EMERGENCY;
	triage_free(t);
	return ST_OK;
}

/* Whether a hit of a high-level rule is within RISK_NEAR of h. */
static gboolean
near_high(const struct triage *t, const struct rule_hit *h)
{
	for (guint i = 0; i < t->hits->len; i++) {
		const struct rule_hit *o = &g_array_index(t->hits,
							  struct rule_hit, i);

		if (o->rule->level == RISK_LEVEL_HIGH && o->place == h->place &&
		    ABS(o->start - h->start) <= RISK_NEAR)
			return TRUE;
	}
	return FALSE;
}

/*
 * The first step: risk.  An acute sign is an emergency; so are two
 * strong signs of different rules anywhere in the letter (a farewell and
 * silence, a plan and its means), and a strong sign with a weak one
 * close by (a danger sign and "now").  A sign that is not enough, or
 * one a guard cleared, makes the letter one to read today.
 */
static void
decide_risk(struct triage *t)
{
	g_autoptr(GHashTable) seen = g_hash_table_new(NULL, NULL);
	int highs = 0, signs = 0;
	gboolean acute = FALSE, near = FALSE;

	for (guint i = 0; i < t->hits->len; i++) {
		const struct rule_hit *h =
			&g_array_index(t->hits, struct rule_hit, i);
		const struct rule *r = h->rule;

		if (r->risk == RISK_NONE)
			continue;
		if (r->level == RISK_LEVEL_WATCH && !near)
			near = near_high(t, h);
		if (!g_hash_table_add(seen, (gpointer)r))
			continue;
		if (r->level > t->risk[r->risk])
			t->risk[r->risk] = r->level;
		acute |= r->level == RISK_LEVEL_ACUTE;
		highs += r->level == RISK_LEVEL_HIGH;
		signs++;
	}
	if (!acute && (highs >= 2 || (highs == 1 && near))) {
		acute = TRUE;
		t->acute_by_sum = TRUE;
	}
	if (acute) {
		t->urgency = URGENCY_EMERGENCY;
		add_need(t, "crisis");
	}
	t->possible_risk = !acute && (signs > 0 || t->cleared->len > 0);
}

static enum status
triage_run(struct rules_text *tx, const char *body, const char *forwarded,
	   enum triage_scope scope, struct triage **out, struct err *err)
{
	const struct ruleset *rs = tx->rs;
	const char *text = tx->text;
	struct triage *t;
	struct reading rd[3] = {
		{ text, HIT_TEXT, tx->may, FALSE, 0, tx->len },
		{ body, HIT_QUOTED, rs->may_body, FALSE, 0, 0 },
		{ forwarded, HIT_FORWARDED, rs->may_fwd, FALSE, 0, 0 },
	};
	/* The kind pass is read for its votes alone, and a rule votes
	 * once: its first hit is enough (a spam rule may find sixteen in
	 * an advertisement). */
	int max_hits = scope == SCOPE_KIND ? 1 : RULES_MAX_HITS_PER_RULE;

	t = g_new0(struct triage, 1);
	t->hits = g_array_new(FALSE, FALSE, sizeof(struct rule_hit));
	t->cleared = g_array_new(FALSE, FALSE, sizeof(struct rule_hit));
	t->needs = g_ptr_array_new();
	for (guint n = 0; n < rs->scoped[scope]->len; n++) {
		guint i = g_array_index(rs->scoped[scope], guint, n);
		const struct rule *r = rs->rules->pdata[i];
		guint before = t->hits->len;
		GArray *starts;

		if (watchdog_expired())
			break;	/* over the time cap: the caller sets it aside */
		for (int k = 0; k < 3 && t->hits->len == before; k++) {
			/* The quoted history only for rules that say so;
			 * a forwarded letter only as risk evidence. */
			if (rd[k].text == NULL || (k == 1 && !r->quoted) ||
			    (k == 2 && r->risk == RISK_NONE))
				continue;
			/* Screened once some rule needs it: the quoted
			 * history is read by few rules, forwarded text by
			 * the risk rules alone; the letter once for all
			 * the passes that read it. */
			if (k == 0) {
				text_screen(tx, scope);
			} else if (!rd[k].screened) {
				/* Read only now that it is needed. */
				if (!g_utf8_validate(rd[k].text, -1, NULL)) {
					triage_free(t);
					readings_clear(rd);
					return err_set(err, ST_FATAL, "triage "
						       "text is not UTF-8");
				}
				rd[k].len = strlen(rd[k].text);
				screen_text(rs, k == 2 ? SCOPE_RISK
						       : SCOPE_QUOTED,
					    rd[k].text, rd[k].len, rd[k].may);
				rd[k].screened = TRUE;
			}
			if (!rd[k].may[i])
				continue;
			/* A rule of word lists: tried where a head is. */
			if (r->anchored != NULL && !rs->unscreened &&
			    rd[k].headed == 0) {
				if (k == 0)
					rd[k].headed = text_heads(tx);
				else
					rd[k].headed = heads_find(rs,
								  rd[k].text,
								  rd[k].len, k)
							       ? 1
							       : -1;
			}
			starts = r->anchored != NULL && rd[k].headed == 1 &&
					 !rs->heads.off[i]
				 ? starts_of_rule(rs, k, i)
				 : NULL;
			if (starts != NULL && r->rest != NULL &&
			    !rest_starts(rs, r, rd[k].text, rd[k].len, starts))
				starts = NULL;
			rule_match(rs, r, rd[k].text, rd[k].len, starts, text,
				   rd[k].place, max_hits, t->hits,
				   r->risk != RISK_NONE ? t->cleared : NULL,
				   &rd[k].marks);
		}
		if (t->hits->len == before)
			continue;
		/* A rule votes once however often it matches. */
		if (r->urgency == URGENCY_APPLICATION)
			t->application_score += r->weight;
		if (r->need != NULL)
			add_need(t, r->need);
		for (int k = 0; k < RULES_MAX_NEEDS && r->more_needs[k]; k++)
			add_need(t, r->more_needs[k]);
		t->writer_score[r->writer] += r->writer ? r->weight : 0;
		t->kind_score[r->kind] += r->kind ? r->weight : 0;
	}
	readings_clear(rd);
	g_array_sort(t->hits, cmp_hits);
	g_array_sort(t->cleared, cmp_hits);
	decide_risk(t);
	if (t->urgency != URGENCY_EMERGENCY)
		t->urgency = t->application_score >= RULES_APPLICATION_AT
				     ? URGENCY_APPLICATION
				     : URGENCY_CONSULTATION;
	g_ptr_array_sort(t->needs, cmp_needs);
	*out = t;
	return ST_OK;
}

/* --- examples ------------------------------------------------------ */

static gboolean
rule_matches(const struct ruleset *rs, const struct rule *r,
	     const char *text)
{
	GArray *hits = g_array_new(FALSE, FALSE, sizeof(struct rule_hit));
	gboolean any;

	rule_match(rs, r, text, strlen(text), NULL, NULL, HIT_TEXT, 1, hits,
		   NULL, NULL);
	any = hits->len > 0;
	hits_free(hits);
	return any;
}

/* Whether guard g clears a hit on words in text ("text | words"). */
static gboolean
guard_example_clears(const struct ruleset *rs, const struct guard *g,
		     const char *example)
{
	g_autofree char *text = NULL, *words = NULL;
	const char *at;

	if (!example_split(example, &text, &words))
		return FALSE;
	at = strstr(text, words);
	return guard_clears(rs, g, text, strlen(text), at - text,
			    at - text + strlen(words), NULL);
}

/* Adds to failures each form of line (a phrase or a "!" line of w),
 * Traditional or Simplified, that w lacks. */
static void
check_scripts_of(const struct wordlist *w, const char *line,
		 GPtrArray *failures)
{
	g_autofree char *trad = hanzi_convert(line);
	g_autofree char *simp = hanzi_to_simplified(line);
	const char *want[2] = { trad, simp };
	const char *name[2] = { "Traditional", "Simplified" };

	for (int k = 0; k < 2; k++)
		if (want[k] != NULL && strcmp(want[k], line) != 0 &&
		    !g_hash_table_contains(w->line_of, want[k]))
			g_ptr_array_add(failures, g_strdup_printf(
				"%s:%d: '%s' has no %s form '%s' in the list",
				w->path,
				GPOINTER_TO_INT(
					g_hash_table_lookup(w->line_of, line)),
				line, name[k], want[k]));
}

/*
 * Each phrase of a word list in both scripts: letters set aside as spam
 * are read unconverted, seekers' in Traditional.  Converting at every
 * load cost more than the rest of it; the lists say both instead.
 */
static guint
check_both_scripts(const struct ruleset *rs, GPtrArray *failures)
{
	GHashTableIter it;
	gpointer v;
	guint checks = 0;

	g_hash_table_iter_init(&it, rs->lists);
	while (g_hash_table_iter_next(&it, NULL, &v)) {
		const struct wordlist *w = v;

		for (guint i = 0; i < w->phrases->len; i++, checks++)
			check_scripts_of(w, w->phrases->pdata[i], failures);
		for (guint i = 0; i < w->nots->len; i++, checks++)
			check_scripts_of(w, w->nots->pdata[i], failures);
	}
	return checks;
}

guint
rules_check_examples(const struct ruleset *rs, GPtrArray *failures)
{
	guint checks = check_both_scripts(rs, failures);

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
	for (guint i = 0; i < rs->guards->len; i++) {
		const struct guard *g = rs->guards->pdata[i];

		for (guint k = 0; k < g->examples->len; k++, checks++)
			if (!guard_example_clears(rs, g, g->examples->pdata[k]))
				g_ptr_array_add(failures, g_strdup_printf(
					"%s:%d: guard %s does not clear its "
					"example %u", g->file, g->line,
					g->name, k + 1));
		for (guint k = 0; k < g->counters->len; k++, checks++)
			if (guard_example_clears(rs, g, g->counters->pdata[k]))
				g_ptr_array_add(failures, g_strdup_printf(
					"%s:%d: guard %s clears its counter %u",
					g->file, g->line, g->name, k + 1));
	}
	return checks;
}
