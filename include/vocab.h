/*
 * One vocabulary: each value lamplight names, in one place.  For each:
 * _name, what it is kept and written as (the database, JSON, the command
 * line, LABELS.md); _label, what people read (Traditional Chinese as
 * used in Taiwan); _parse, from either.  An unknown value is an error
 * (NULL or FALSE), never a default: the caller says what to do.
 */
#ifndef LAMPLIGHT_VOCAB_H
#define LAMPLIGHT_VOCAB_H

#include <glib.h>

/* How urgent a seeker's letter is (LABELS.md). */
enum urgency {
	URGENCY_NONE,		/* not a letter from a seeker */
	URGENCY_CONSULTATION,	/* 諮詢案件 */
	URGENCY_APPLICATION,	/* 申請協助案件 */
	URGENCY_EMERGENCY,	/* 緊急求助案件 */
};

const char *urgency_name(enum urgency u);	/* "emergency"; NULL: none */
const char *urgency_label(enum urgency u);	/* "緊急"; NULL: none */
gboolean urgency_parse(const char *s, enum urgency *out);

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
const char *writer_label(enum writer w);	/* "家屬" */
gboolean writer_parse(const char *s, enum writer *out);

/* What a message is (LABELS.md). */
enum kind {
	KIND_HELP_REQUEST,
	KIND_SEEKER_FOLLOWUP,
	KIND_STAFF_REPLY,
	KIND_REFERRAL_REPLY,
	KIND_AUTO_REPLY,
	KIND_BOUNCE,
	KIND_SPAM,
	KIND_OTHER,
	KIND_COUNT,
};

const char *kind_name(enum kind k);		/* "help_request" */
const char *kind_label(enum kind k);		/* "求助來信" */
gboolean kind_parse(const char *s, enum kind *out);

/* A case's step on the SOP (cases.h says how it moves). */
enum case_state {
	CASE_RECEIVED,
	CASE_REGISTERED,
	CASE_CONTACTED,
	CASE_ASSESSED,
	CASE_REFERRED,
	CASE_FOLLOW_UP,
	CASE_CLOSED,
	CASE_STATE_COUNT,
};

/* Why a case was closed: the SOP's five reasons. */
enum close_reason {
	CLOSE_IMPROVED,		/* 問題改善: two years without relapse */
	CLOSE_REIMPRISONED,	/* 再入監 */
	CLOSE_UNREACHABLE,	/* 無法聯繫 */
	CLOSE_DECEASED,		/* 死亡 */
	CLOSE_MOVED,		/* 遷出: handed over to another centre */
	CLOSE_REASON_COUNT,
};

const char *case_state_name(enum case_state s);	/* "registered" */
const char *case_state_label(enum case_state s);	/* "編號列冊" */
gboolean case_state_parse(const char *s, enum case_state *out);
const char *close_reason_name(enum close_reason r);
const char *close_reason_label(enum close_reason r);
gboolean close_reason_parse(const char *s, enum close_reason *out);

/* What a person who came back was known by (people.h): "national_id",
 * "phone", "address" -> "身分證字號"; NULL: none of these. */
const char *person_key_label(const char *kind);

/* Where a case came from: the values of cases.source. */
const char *case_source_label(const char *source);
gboolean case_source_valid(const char *source);
/* Whether an agency referred it in (and is owed a result); any other
 * source is a personal request (個人求助). */
gboolean case_source_is_agency(const char *source);

/* The centre's referral groups (LABELS.md: needs map to these). */
enum group {
	GROUP_HEALTH,		/* 轉介服務組 / 衛生局 */
	GROUP_SOCIAL,		/* 保護扶助組 / 社會處 */
	GROUP_EMPLOYMENT,	/* 就業服務站 */
	GROUP_EDUCATION,	/* 預防宣導組 / 教育處 */
	GROUP_POLICE,		/* 警察局 */
	GROUP_COUNT,
};

/* The group's key in the config ("health"), its Chinese name. */
const char *group_key(enum group g);
const char *group_label(enum group g);
gboolean group_parse(const char *s, enum group *out);

/*
 * The 14 needs of LABELS.md.  need_name(i): the i-th ("detox_treatment"),
 * NULL past the last.  need_find: the static copy of s, NULL if s is no
 * need.  need_label: its words ("戒癮治療").  need_group: the referral
 * group it is sent to; FALSE if need is unknown.
 */
const char *need_name(guint i);
const char *need_find(const char *s);
gboolean need_valid(const char *s);
const char *need_label(const char *need);
gboolean need_group(const char *need, enum group *out);

/* The i-th case source ("webform"), NULL past the last. */
const char *case_source_name(guint i);

/* The steps a deadline is set for ("contact"): the i-th, NULL past the
 * last; its words ("訪視"), NULL if unknown. */
const char *deadline_step_name(guint i);
const char *deadline_step_label(const char *step);

/* The SOP rules that set deadlines ("intake_visit"): the i-th, NULL past
 * the last; the rule as staff read it ("收案後3日內（二、(二)2）"), NULL
 * if unknown. */
const char *deadline_basis_name(guint i);
const char *deadline_basis_label(const char *basis);

/* The 22 counties, each with a centre. */
#define COUNTY_COUNT 22

/*
 * The county code for a place name as writers spell it ("台北市",
 * "臺北市政府毒品危害防制中心", "高雄"): a static string, or NULL.
 */
const char *county_code_for_name(const char *text);

/* Whether code is one of the 22 county codes (upper case). */
gboolean county_code_valid(const char *code);

/* The 22 codes, space-separated: a new string; caller frees. */
char *county_code_list(void);

/* The county code that code (any case) is most likely a slip for
 * ("TPQ", "tpe", "TPEE": "TPE"; suggest.h): a static string, or NULL
 * when none is near. */
const char *county_code_nearest(const char *code);

/*
 * The county of a centre mailbox address such as tpe@centers.example
 * (its local part is a county code): a static string, or NULL.
 */
const char *county_code_for_address(const char *addr);

/* The county's name in Traditional Chinese ("臺北市"), or NULL. */
const char *county_name(const char *code);

#endif
