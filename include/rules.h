/*
 * Triage rules: PCRE2 patterns kept as data in the .rules files of
 * rules/, each voting
 * for an urgency level or a need with a weight.  Loaded and JIT-compiled
 * once per run; matching reports every hit with its place in the text, so
 * each decision can show its reasons.
 *
 * File format (one rule per block; '#' starts a comment line):
 *
 *	rule emergency.suicide.method
 *		pattern  燒炭|跳樓
 *		urgency  emergency
 *		weight   10
 *		example  我今晚就去燒炭
 *		counter  朋友以前說過想燒炭，現在好多了
 *
 *	include more.rules
 *
 * Keys: pattern (required); what it votes for, at least one of urgency,
 * need (may repeat), writer (self, family, friend, public) and kind (spam,
 * other);
 * weight (default 5); guard (negation, hypothetical, past; may repeat: a
 * hit preceded in its clause by 沒有/不會/從未…, 如果/萬一…, or 以前/曾經…
 * does not count); about (self: the hit counts only if its clause is not
 * about someone else; other: only if it is); quoted (yes: the rule also
 * reads the quoted history of a reply; default no); example and counter
 * (text the rule must or must not match; checked by
 * rules_check_examples()).
 */
#ifndef LAMPLIGHT_RULES_H
#define LAMPLIGHT_RULES_H

#include <glib.h>

#include "err.h"

enum urgency {
	URGENCY_NONE,		/* not a letter from a seeker */
	URGENCY_CONSULTATION,	/* 諮詢案件 */
	URGENCY_APPLICATION,	/* 申請協助案件 */
	URGENCY_EMERGENCY,	/* 緊急求助案件 */
};

/* Sums of weights at or above which a level is decided. */
#define RULES_EMERGENCY_AT 10
#define RULES_APPLICATION_AT 5
#define RULES_WRITER_AT 5		/* a writer, when no form says */
#define RULES_WRITER_OVERRIDE_AT 10	/* self, over the form's 一般民眾 */
#define RULES_WRITER_STATEMENT_AT 20	/* an outright statement, over any */
#define RULES_KIND_AT 10		/* spam, or other */
#define RULES_MAX_NEEDS 3		/* more needs one rule may add */

const char *urgency_name(enum urgency u);	/* "emergency"; NULL: none */
const char *urgency_label(enum urgency u);	/* "緊急"; NULL: none */
gboolean urgency_parse(const char *s, enum urgency *out);

/* Whether s is one of the 14 needs of LABELS.md. */
gboolean need_valid(const char *s);

/* Who wrote, as LABELS.md says. */
enum writer {
	WRITER_UNKNOWN,
	WRITER_SELF,
	WRITER_FAMILY,
	WRITER_FRIEND,
	WRITER_PUBLIC,
	WRITER_COUNT,
};

const char *writer_name(enum writer w);	/* "family"; NULL: unknown */

/* Kinds that text alone can vote for. */
enum kind_vote {
	KIND_VOTE_NONE,
	KIND_VOTE_SPAM,
	KIND_VOTE_OTHER,
	KIND_VOTE_COUNT,
};

struct rule;
struct ruleset;

struct rule_hit {
	const struct rule *rule;	/* borrowed from the ruleset */
	glong start, end;		/* character offsets into the text */
	char *match;			/* the matched text; hit owns it */
	gboolean quoted;		/* found in the quoted history; the
					 * offsets are into the whole body */
};

struct triage {
	enum urgency urgency;
	int emergency_score, application_score;
	int writer_score[WRITER_COUNT];
	int kind_score[KIND_VOTE_COUNT];
	GPtrArray *needs;	/* need names (static strings), sorted */
	GArray *hits;		/* struct rule_hit, in text order */
};

/*
 * Loads every *.rules file in dir (sorted by name).  A broken rule fails
 * the load: err says "rules/urgency.rules:12:7: missing ')'".
 */
enum status rules_load_dir(const char *dir, struct ruleset **out,
			   struct err *err);
/* Loads one file (and its includes). */
enum status rules_load_file(const char *path, struct ruleset **out,
			    struct err *err);
void ruleset_free(struct ruleset *rs);
guint ruleset_size(const struct ruleset *rs);

const char *rule_id(const struct rule *r);
const char *rule_file(const struct rule *r);
int rule_line(const struct rule *r);
enum urgency rule_urgency(const struct rule *r);
const char *rule_need(const struct rule *r);
enum writer rule_writer(const struct rule *r);
enum kind_vote rule_kind(const struct rule *r);
/* What the rule votes for, as a word for reasons ("emergency", "hiv"). */
const char *rule_vote(const struct rule *r);
int rule_weight(const struct rule *r);

/*
 * Matches every rule against text (valid UTF-8) and decides urgency and
 * needs.  *out is new (triage_free()).  ST_FATAL when a rule hits the
 * match limits is not possible: such a rule counts as not matching.
 */
enum status rules_triage(const struct ruleset *rs, const char *text,
			 struct triage **out, struct err *err);

/*
 * As rules_triage(), but only the rules that vote for a kind (spam,
 * other): a cheap first look that spares mail which is no letter the
 * rest of the rules.
 */
enum status rules_triage_kind(const struct ruleset *rs, const char *text,
			      struct triage **out, struct err *err);
/* The complement: every rule but those, once a letter is a seeker's. */
enum status rules_triage_seeker(const struct ruleset *rs, const char *text,
				struct triage **out, struct err *err);

/*
 * As rules_triage_seeker(), where rules marked "quoted yes" also read
 * body, the whole text with its quoted history (may be NULL).
 */
enum status rules_triage_seeker_quoted(const struct ruleset *rs,
				       const char *text, const char *body,
				       struct triage **out, struct err *err);
void triage_free(struct triage *t);

/*
 * Runs each rule's examples and counters.  Every failure is appended to
 * failures as "file:line: rule ID: ..."; returns the number of checks run.
 */
guint rules_check_examples(const struct ruleset *rs, GPtrArray *failures);

/*
 * Whether triage screens the text first with a prefilter, so that only
 * rules that may match are run (the default).  Results are the same
 * either way; tests turn it off to show that.
 */
void rules_set_prefilter(struct ruleset *rs, gboolean on);

/* Where compiled prefilters are cached (default: the user's cache). */
void rules_set_cache_dir(struct ruleset *rs, const char *dir);

/*
 * Builds now what the first triage would (the prefilters, compiled or
 * read from the cache), so that processes forked afterwards share it.
 * Returns how many rules the prefilters screen; the others always run.
 */
guint rules_prepare(struct ruleset *rs);

#endif
