/*
 * Triage rules, kept as data in the .rules files of rules/ and the word
 * lists of rules/words/.  Loaded and JIT-compiled once per run; matching
 * reports every hit with its place in the text, so each decision can
 * show its reasons.
 *
 * Urgency is decided in two steps.  First the risk concepts (suicide,
 * an overdose, violence, ...): each rule that finds one gives it a
 * level (acute, high, watch) with the words as evidence.  An acute level
 * is an emergency, and so is a high one with any other sign; nothing an
 * application rule finds can outvote it.  Only then application against
 * consultation, by the weights of the application rules.
 *
 * File format (one block per rule or guard; '#' starts a comment line):
 *
 *	rule suicide.plan.means
 *		pattern  {suicide-means}
 *		pattern  存了...藥
 *		with     {time-now}
 *		risk     suicide
 *		level    acute
 *		guard    negation
 *		example  炭已經買好了，今晚就燒炭
 *		counter  朋友以前說過想燒炭，現在好多了
 *
 *	guard past
 *		label    為過去的事件
 *		pattern  {past}
 *		scope    clause
 *		before   10
 *		example  以前曾經想過輕生 | 輕生
 *		counter  我現在很想輕生 | 輕生
 *
 *	include more.rules
 *
 * Rule keys: pattern (required, may repeat: any of them), a PCRE2
 * pattern in which {name} stands for the word list rules/words/
 * name.words; with (may repeat: each must also match in the hit's
 * sentence); what it finds or votes for, at least one of risk with
 * level, urgency (application or consultation) with weight, need (may
 * repeat), writer (self, family, friend, public) and kind (spam, other);
 * weight (default 5); guard (a guard's name, may repeat); about (self:
 * the hit counts only if its clause is not about someone else; other:
 * only if it is; the lists self and other-person say who is named);
 * quoted (yes: the rule also reads the quoted history of a reply);
 * example and counter (text the rule must or must not match).
 *
 * Guard keys: pattern (may repeat) with scope (clause, sentence or
 * letter: where the guard's words are looked for), before and after (how
 * many characters before and after the hit, within the scope; default
 * the whole scope before, nothing after); label (the reason a case
 * worker reads: "提到自殺，但<label>"); example and counter: "text |
 * words", a hit on words in text that the guard must or must not clear.
 *
 * A word list has one phrase per line, as people write it: no regular
 * expressions.  "..." (or "…") stands for a few characters of the same
 * sentence; a phrase of Latin letters or digits matches whole words;
 * a list holds each phrase in both scripts (rules test names one missing).
 */
#ifndef LAMPLIGHT_RULES_H
#define LAMPLIGHT_RULES_H

#include <glib.h>

#include "err.h"
#include "vocab.h"

/* What puts a person in danger, as the rules name it. */
enum risk {
	RISK_NONE,
	RISK_SUICIDE,		/* intent, plan, means, farewell, finality */
	RISK_OVERDOSE,		/* an overdose or a medical danger sign */
	RISK_VIOLENCE,		/* against the writer or by them */
	RISK_PSYCHOSIS,		/* with danger to others */
	RISK_CHILD,		/* a child in danger now */
	RISK_MISSING,		/* someone at risk who cannot be found */
	RISK_WITHDRAWAL,	/* dangerous withdrawal */
	RISK_SHELTER,		/* nowhere safe tonight, no food today */
	RISK_NOW,		/* time: "now", "tonight"; adds, never alone */
	RISK_COUNT,
};

/* How strongly a hit shows its risk. */
enum risk_level {
	RISK_LEVEL_NONE,
	RISK_LEVEL_WATCH,	/* a weak sign: adds to others */
	RISK_LEVEL_HIGH,	/* a strong sign: with any other, acute */
	RISK_LEVEL_ACUTE,	/* an emergency alone */
};

const char *risk_name(enum risk r);		/* "suicide" */
const char *risk_label(enum risk r);		/* "自殺或自傷" */
const char *risk_level_name(enum risk_level l);	/* "acute" */
const char *risk_level_label(enum risk_level l);	/* "緊急" */

/* Sums of weights at or above which a level is decided. */
#define RULES_APPLICATION_AT 5
#define RULES_WRITER_AT 5		/* a writer, when no form says */
#define RULES_WRITER_OVERRIDE_AT 10	/* self, over the form's 一般民眾 */
#define RULES_WRITER_STATEMENT_AT 20	/* an outright statement, over any */
#define RULES_KIND_AT 10		/* spam, or other */
#define RULES_MAX_NEEDS 3		/* more needs one rule may add */

/* Whether s is one of the 14 needs of LABELS.md. */
gboolean need_valid(const char *s);

/* Kinds that text alone can vote for. */
enum kind_vote {
	KIND_VOTE_NONE,
	KIND_VOTE_SPAM,
	KIND_VOTE_OTHER,
	KIND_VOTE_COUNT,
};

struct rule;
struct guard;
/* A loaded rule set.  Its matching state (scratch space, rules compiled
 * to machine code when first tried) is its own: one thread at a time. */
struct ruleset;

/* Where a hit was found. */
enum hit_place {
	HIT_TEXT,		/* what the writer wrote now */
	HIT_QUOTED,		/* the quoted history of a reply */
	HIT_FORWARDED,		/* a forwarded message: about another */
};

struct rule_hit {
	const struct rule *rule;	/* borrowed from the ruleset */
	glong start, end;		/* character offsets into the text
					 * it was found in (see place) */
	char *match;			/* the matched text; hit owns it */
	enum hit_place place;
	const struct guard *cleared;	/* the guard that cleared it, in
					 * triage.cleared; else NULL */
};

struct triage {
	enum urgency urgency;
	int application_score;
	enum risk_level risk[RISK_COUNT];	/* the highest, per concept */
	gboolean acute_by_sum;	/* emergency from signs added up */
	gboolean possible_risk;	/* no emergency, but a weak sign, or a
				 * sign a guard cleared: a person reads it
				 * today */
	int writer_score[WRITER_COUNT];
	int kind_score[KIND_VOTE_COUNT];
	GPtrArray *needs;	/* need names (static strings), sorted */
	GArray *hits;		/* struct rule_hit, in text order */
	GArray *cleared;	/* struct rule_hit of risk rules that a
				 * guard cleared, in text order */
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
/* The id of the i-th rule loaded ("suicide.intent"), or NULL past them. */
const char *ruleset_rule_id(const struct ruleset *rs, guint i);

const char *rule_id(const struct rule *r);
const char *rule_file(const struct rule *r);
int rule_line(const struct rule *r);
enum urgency rule_urgency(const struct rule *r);
const char *rule_need(const struct rule *r);
enum writer rule_writer(const struct rule *r);
enum kind_vote rule_kind(const struct rule *r);
enum risk rule_risk(const struct rule *r);
enum risk_level rule_level(const struct rule *r);
const char *guard_name(const struct guard *g);
const char *guard_label(const struct guard *g);	/* "為過去的事件" */
/* What the rule votes for, as a word for reasons ("suicide", "hiv"). */
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
 * A letter's text as the passes below read it (valid UTF-8, else
 * ST_FATAL): screened and searched once for all of them.  It borrows
 * text, which must outlive it; one at a time per ruleset is fastest.
 */
struct rules_text;
enum status rules_text_new(const struct ruleset *rs, const char *text,
			   struct rules_text **out, struct err *err);
void rules_text_free(struct rules_text *tx);

/*
 * As rules_triage(), but only the rules that vote for a kind (spam,
 * other): a first look that spares mail which is no letter the rest of
 * the rules.  A look for votes: each rule's first hit alone is kept.
 */
enum status rules_triage_kind(struct rules_text *tx, struct triage **out,
			      struct err *err);
/*
 * The complement, once a letter is a seeker's: every rule but those,
 * over the text in Traditional Chinese (Simplified is converted, once).
 * Rules marked "quoted yes" also read body, the whole text with its
 * quoted history (may be NULL), and risk rules also read forwarded, the
 * text of messages the writer forwards (may be NULL, converted too):
 * evidence about another person, which counts as risk but never as the
 * writer's own words (writer, kind, application).  Hits are placed in
 * the text as converted.
 */
enum status rules_triage_letter(struct rules_text *tx, const char *body,
				const char *forwarded, struct triage **out,
				struct err *err);

/*
 * Only the risk rules: whether the text shows a person in danger now
 * (what the whole triage would call an emergency).  Read before a
 * letter may be set aside as spam or other mail.
 */
enum status rules_risk_sign(struct rules_text *tx, gboolean *out,
			    struct err *err);
void triage_free(struct triage *t);

/*
 * Runs each rule's and each guard's examples and counters.  Every
 * failure is appended to failures as "file:line: rule ID: ..."; returns
 * the number of checks run.
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

/* The two settings above, for other screens to do as the rules do: the
 * cache directory is NULL for the default. */
gboolean rules_prefilter_on(const struct ruleset *rs);
const char *rules_cache_dir(const struct ruleset *rs);

/*
 * Builds now what the first triage would (the prefilters, compiled or
 * read from the cache), so that processes forked afterwards share it.
 * Returns how many rules the prefilters screen; the others always run.
 */
guint rules_prepare(struct ruleset *rs);

#endif
