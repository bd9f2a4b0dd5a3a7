/*
 * One vocabulary: every value lamplight names, with the name it is kept
 * and written under (the database, JSON, the command line), the label
 * people read (Traditional Chinese) and its parsing.  An unknown value
 * is an error for the caller (NULL or FALSE), never a default.
 */
#include <string.h>

#include "suggest.h"
#include "vocab.h"

/* --- urgency ------------------------------------------------------ */

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
	for (enum urgency u = URGENCY_CONSULTATION;
	     s != NULL && u <= URGENCY_EMERGENCY; u++) {
		if (strcmp(s, urgency_name(u)) == 0 ||
		    strcmp(s, urgency_label(u)) == 0) {
			*out = u;
			return TRUE;
		}
	}
	return FALSE;
}

/* --- writer ------------------------------------------------------- */

static const struct {
	const char *name, *label;
} writers[WRITER_COUNT] = {
	{ NULL, NULL },
	{ "self", "本人" },
	{ "family", "家屬" },
	{ "friend", "朋友" },
	{ "public", "一般民眾" },
};

const char *
writer_name(enum writer w)
{
	return w < WRITER_COUNT ? writers[w].name : NULL;
}

const char *
writer_label(enum writer w)
{
	return w < WRITER_COUNT ? writers[w].label : NULL;
}

gboolean
writer_parse(const char *s, enum writer *out)
{
	for (int i = WRITER_SELF; s != NULL && i < WRITER_COUNT; i++)
		if (strcmp(s, writers[i].name) == 0 ||
		    strcmp(s, writers[i].label) == 0) {
			*out = (enum writer)i;
			return TRUE;
		}
	return FALSE;
}

/* --- kind ---------------------------------------------------------- */

static const struct {
	const char *name, *label;
} kinds[KIND_COUNT] = {
	{ "help_request", "求助來信" },
	{ "seeker_followup", "來信者再來信" },
	{ "staff_reply", "同仁回覆" },
	{ "referral_reply", "合作單位回覆" },
	{ "auto_reply", "自動回覆" },
	{ "bounce", "退信" },
	{ "spam", "垃圾郵件" },
	{ "other", "其他郵件" },
};

const char *
kind_name(enum kind k)
{
	return k < KIND_COUNT ? kinds[k].name : NULL;
}

const char *
kind_label(enum kind k)
{
	return k < KIND_COUNT ? kinds[k].label : NULL;
}

gboolean
kind_parse(const char *s, enum kind *out)
{
	for (int i = 0; s != NULL && i < KIND_COUNT; i++)
		if (strcmp(s, kinds[i].name) == 0 ||
		    strcmp(s, kinds[i].label) == 0) {
			*out = (enum kind)i;
			return TRUE;
		}
	return FALSE;
}

/* --- case states, closing reasons, sources, needs ------------------ */

static const struct {
	const char *name, *label;
} states[CASE_STATE_COUNT] = {
	{ "received", "收件" },
	{ "registered", "編號列冊" },
	{ "contacted", "訪視" },
	{ "assessed", "轉介評估" },
	{ "referred", "轉介" },
	{ "follow_up", "追蹤輔導" },
	{ "closed", "結案" },
};

static const struct {
	const char *name, *label;
} reasons[CLOSE_REASON_COUNT] = {
	{ "improved", "問題改善" },
	{ "reimprisoned", "再入監" },
	{ "unreachable", "無法聯繫" },
	{ "deceased", "死亡" },
	{ "moved", "遷出" },
};

static const struct {
	const char *name, *label;
} person_keys[] = {
	{ "national_id", "身分證字號" },
	{ "phone", "電話" },
	{ "address", "地址" },
};

const char *
person_key_label(const char *kind)
{
	for (size_t i = 0; kind != NULL && i < G_N_ELEMENTS(person_keys); i++)
		if (strcmp(kind, person_keys[i].name) == 0)
			return person_keys[i].label;
	return NULL;
}

static const struct {
	const char *name, *label;
	gboolean agency;
} sources[] = {
	{ "webform", "我要求助網頁", FALSE },
	{ "direct", "直接來信", FALSE },
	{ "dispatch", "0800 專線電子派案", FALSE },
	{ "hotline", "0800 專線電話諮詢紀錄", FALSE },
	{ "corrections", "矯正機關轉介", TRUE },
	{ "probation", "地檢署觀護人室轉介", TRUE },
	{ "aftercare", "更生保護會轉介", TRUE },
	{ "police", "司法警察機關轉介", TRUE },
	{ "centre", "其他縣市毒品危害防制中心轉介", TRUE },
	/* The SOP's 其他: 社會、衛生醫療等機構團體或其他毒危中心, by
	 * mail from an address a centre lists as referrers.other. */
	{ "other", "其他機構團體轉介（社會、衛生醫療機構或其他毒危中心）",
	  TRUE },
};

/* The 14 needs of LABELS.md, in words, and the group each is sent to. */
static const struct {
	const char *need, *label;
	enum group group;
} need_groups[] = {
	{ "crisis", "危機處理", GROUP_HEALTH },
	{ "detox_treatment", "戒癮治療", GROUP_HEALTH },
	{ "substitution_therapy", "替代療法", GROUP_HEALTH },
	{ "hiv", "愛滋篩檢與治療", GROUP_HEALTH },
	{ "counseling", "心理諮商", GROUP_HEALTH },
	{ "financial_aid", "經濟補助", GROUP_SOCIAL },
	{ "family", "家庭支持", GROUP_SOCIAL },
	{ "halfway_house", "中途之家與安置", GROUP_SOCIAL },
	{ "legal", "法律協助", GROUP_SOCIAL },
	{ "employment", "就業服務", GROUP_EMPLOYMENT },
	{ "vocational_training", "職業訓練", GROUP_EMPLOYMENT },
	{ "business_loan", "創業貸款", GROUP_EMPLOYMENT },
	{ "schooling", "就學協助", GROUP_EDUCATION },
	{ "locate_person", "協尋", GROUP_POLICE },
};

const char *
need_name(guint i)
{
	return i < G_N_ELEMENTS(need_groups) ? need_groups[i].need : NULL;
}

const char *
need_find(const char *s)
{
	for (size_t i = 0; s != NULL && i < G_N_ELEMENTS(need_groups); i++)
		if (strcmp(s, need_groups[i].need) == 0)
			return need_groups[i].need;
	return NULL;
}

gboolean
need_valid(const char *s)
{
	return need_find(s) != NULL;
}

const char *
need_label(const char *need)
{
	for (size_t i = 0; need != NULL && i < G_N_ELEMENTS(need_groups); i++)
		if (strcmp(need, need_groups[i].need) == 0)
			return need_groups[i].label;
	return NULL;
}

gboolean
need_group(const char *need, enum group *out)
{
	for (size_t i = 0; need != NULL && i < G_N_ELEMENTS(need_groups); i++)
		if (strcmp(need, need_groups[i].need) == 0) {
			*out = need_groups[i].group;
			return TRUE;
		}
	return FALSE;
}

const char *
case_source_name(guint i)
{
	return i < G_N_ELEMENTS(sources) ? sources[i].name : NULL;
}

const char *
case_state_name(enum case_state s)
{
	return s < CASE_STATE_COUNT ? states[s].name : NULL;
}

const char *
case_state_label(enum case_state s)
{
	return s < CASE_STATE_COUNT ? states[s].label : NULL;
}

gboolean
case_state_parse(const char *s, enum case_state *out)
{
	for (int i = 0; s != NULL && i < CASE_STATE_COUNT; i++)
		if (g_ascii_strcasecmp(s, states[i].name) == 0 ||
		    strcmp(s, states[i].label) == 0) {
			*out = (enum case_state)i;
			return TRUE;
		}
	return FALSE;
}

const char *
close_reason_name(enum close_reason r)
{
	return r < CLOSE_REASON_COUNT ? reasons[r].name : NULL;
}

const char *
close_reason_label(enum close_reason r)
{
	return r < CLOSE_REASON_COUNT ? reasons[r].label : NULL;
}

gboolean
close_reason_parse(const char *s, enum close_reason *out)
{
	for (int i = 0; s != NULL && i < CLOSE_REASON_COUNT; i++)
		if (g_ascii_strcasecmp(s, reasons[i].name) == 0 ||
		    strcmp(s, reasons[i].label) == 0) {
			*out = (enum close_reason)i;
			return TRUE;
		}
	return FALSE;
}

static int
source_index(const char *source)
{
	for (size_t i = 0; source != NULL && i < G_N_ELEMENTS(sources); i++)
		if (strcmp(source, sources[i].name) == 0)
			return (int)i;
	return -1;
}

const char *
case_source_label(const char *source)
{
	int i = source_index(source);

	return i >= 0 ? sources[i].label : NULL;
}

gboolean
case_source_valid(const char *source)
{
	return source_index(source) >= 0;
}

gboolean
case_source_is_agency(const char *source)
{
	int i = source_index(source);

	return i >= 0 && sources[i].agency;
}

/* --- deadlines' steps --------------------------------------------- */

static const struct {
	const char *step, *label;
} steps[] = {
	{ "register", "編號列冊" },
	{ "contact", "訪視" },
	{ "assess", "轉介評估" },
	{ "agency_result", "回覆轉介機關結果" },
	{ "follow_up", "追蹤輔導聯繫" },
	{ "partner_reply", "合作單位回覆" },
	{ "partner_result", "合作單位回覆處理結果" },
};

const char *
deadline_step_name(guint i)
{
	return i < G_N_ELEMENTS(steps) ? steps[i].step : NULL;
}

const char *
deadline_step_label(const char *step)
{
	for (size_t i = 0; step != NULL && i < G_N_ELEMENTS(steps); i++)
		if (strcmp(steps[i].step, step) == 0)
			return steps[i].label;
	return NULL;
}

/* --- the rules that set deadlines --------------------------------- */

/*
 * Each deadline keeps the key of the rule that set it (deadlines.basis);
 * these are the rule's words, as staff read them beside the due day.
 */
static const struct {
	const char *basis, *label;
} bases[] = {
	{ "intake_register", "收案後3日內編號列冊（收案流程）" },
	{ "intake_visit", "收案後3日內（二、(二)2）" },
	{ "intake_assess", "收案後3日內（二、(二)3）" },
	{ "partner_result", "收案後5日內（二、(二)4(1)，個人求助）" },
	{ "partner_slip", "轉介後5個工作天內（收案流程圖：轉介回覆單）" },
	{ "referrer_result", "收案後7日內回覆轉介單位（收案流程）" },
	{ "follow_up", "追蹤輔導：前6個月每月、其後每3個月，至滿2年" },
	{ "staff_planned", "承辦人排定的日期" },
	/* Met before the SOP's clocks were kept as written (schema 8):
	 * a visit or assessment counted from the step before. */
	{ "previous_step", "前一步驟後3日內（舊版計算）" },
};

const char *
deadline_basis_name(guint i)
{
	return i < G_N_ELEMENTS(bases) ? bases[i].basis : NULL;
}

const char *
deadline_basis_label(const char *basis)
{
	for (size_t i = 0; basis != NULL && i < G_N_ELEMENTS(bases); i++)
		if (strcmp(bases[i].basis, basis) == 0)
			return bases[i].label;
	return NULL;
}

/* --- referral groups ----------------------------------------------- */

static const char *const group_keys[GROUP_COUNT] = {
	"health", "social", "employment", "education", "police",
};

static const char *const group_labels[GROUP_COUNT] = {
	"轉介服務組（衛生局）", "保護扶助組（社會處）", "就業服務站",
	"預防宣導組（教育處）", "警察局",
};

const char *
group_key(enum group g)
{
	return g < GROUP_COUNT ? group_keys[g] : NULL;
}

const char *
group_label(enum group g)
{
	return g < GROUP_COUNT ? group_labels[g] : NULL;
}

gboolean
group_parse(const char *s, enum group *out)
{
	for (int g = 0; s != NULL && g < GROUP_COUNT; g++)
		if (g_ascii_strcasecmp(s, group_keys[g]) == 0 ||
		    strcmp(s, group_labels[g]) == 0) {
			*out = (enum group)g;
			return TRUE;
		}
	return FALSE;
}

/* --- counties ------------------------------------------------------ */

static const struct county {
	const char *code;
	const char *name;
	const char *shortname;	/* NULL when ambiguous (新竹, 嘉義) */
} counties[COUNTY_COUNT] = {
	{ "TPE", "臺北市", "臺北" }, { "NWT", "新北市", "新北" },
	{ "TAO", "桃園市", "桃園" }, { "TXG", "臺中市", "臺中" },
	{ "TNN", "臺南市", "臺南" }, { "KHH", "高雄市", "高雄" },
	{ "KEE", "基隆市", "基隆" }, { "HSZ", "新竹市", NULL },
	{ "HSQ", "新竹縣", NULL }, { "MIA", "苗栗縣", "苗栗" },
	{ "CHA", "彰化縣", "彰化" }, { "NAN", "南投縣", "南投" },
	{ "YUN", "雲林縣", "雲林" }, { "CYI", "嘉義市", NULL },
	{ "CYQ", "嘉義縣", NULL }, { "PIF", "屏東縣", "屏東" },
	{ "ILA", "宜蘭縣", "宜蘭" }, { "HUA", "花蓮縣", "花蓮" },
	{ "TTT", "臺東縣", "臺東" }, { "PEN", "澎湖縣", "澎湖" },
	{ "KIN", "金門縣", "金門" }, { "LIE", "連江縣", "連江" },
};

gboolean
county_code_valid(const char *code)
{
	for (size_t i = 0; i < G_N_ELEMENTS(counties); i++)
		if (strcmp(counties[i].code, code) == 0)
			return TRUE;
	return FALSE;
}

char *
county_code_list(void)
{
	GString *s = g_string_new(NULL);

	for (size_t i = 0; i < G_N_ELEMENTS(counties); i++)
		g_string_append_printf(s, "%s%s", i > 0 ? " " : "",
				       counties[i].code);
	return g_string_free(s, FALSE);
}

const char *
county_code_nearest(const char *code)
{
	const char *codes[G_N_ELEMENTS(counties) + 1];

	for (size_t i = 0; i < G_N_ELEMENTS(counties); i++)
		codes[i] = counties[i].code;
	codes[G_N_ELEMENTS(counties)] = NULL;
	return suggest_nearest(code, codes);
}

const char *
county_code_for_address(const char *addr)
{
	const char *at = addr != NULL ? strchr(addr, '@') : NULL;
	char code[4];

	if (at == NULL || at - addr != 3)
		return NULL;
	for (int i = 0; i < 3; i++)
		code[i] = g_ascii_toupper(addr[i]);
	code[3] = '\0';
	for (size_t i = 0; i < G_N_ELEMENTS(counties); i++)
		if (strcmp(counties[i].code, code) == 0)
			return counties[i].code;
	return NULL;
}

const char *
county_name(const char *code)
{
	for (size_t i = 0; i < G_N_ELEMENTS(counties); i++)
		if (g_ascii_strcasecmp(counties[i].code, code) == 0)
			return counties[i].name;
	return NULL;
}

/*
 * Whether name is written at p, where writers mix 台 and 臺: both are
 * three bytes in UTF-8, so the text and the name keep in step.
 */
static size_t
name_at(const char *p, const char *name)
{
	size_t i = 0;

	for (; name[i] != '\0'; i += 3) {
		if (p[i] == '\0' || p[i + 1] == '\0' || p[i + 2] == '\0')
			return 0;
		if (memcmp(p + i, name + i, 3) != 0 &&
		    !(memcmp(name + i, "臺", 3) == 0 &&
		      memcmp(p + i, "台", 3) == 0))
			return 0;
	}
	return i;
}

/* Bit c is set when a county's name begins with U+c (or 台 for 臺). */
static guint8 first_chars[0x10000 / 8];

static gpointer
index_first_chars(gpointer unused)
{
	for (size_t i = 0; i < G_N_ELEMENTS(counties); i++) {
		const char *names[2] = { counties[i].name,
					 counties[i].shortname };

		for (int k = 0; k < 2; k++) {
			gunichar c;

			if (names[k] == NULL)
				continue;
			c = g_utf8_get_char(names[k]);
			first_chars[c / 8] |= 1 << (c % 8);
		}
	}
	first_chars[0x53F0 / 8] |= 1 << (0x53F0 % 8);	/* 台 */
	return NULL;
}

const char *
county_code_for_name(const char *text)
{
	static GOnce once = G_ONCE_INIT;

	if (text == NULL)
		return NULL;
	g_once(&once, index_first_chars, NULL);
	/*
	 * The earliest mention wins; at one place the longer name wins.
	 * Every name is of three-byte characters, so only those are read.
	 */
	for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
		const char *best = NULL;
		size_t best_len = 0;
		gunichar c;

		if ((*p & 0xF0) != 0xE0 || (p[1] & 0xC0) != 0x80 ||
		    (p[2] & 0xC0) != 0x80)
			continue;
		c = (gunichar)(*p & 0x0F) << 12 | (gunichar)(p[1] & 0x3F) << 6 |
		    (p[2] & 0x3F);
		if (!(first_chars[c / 8] & (1 << (c % 8))))
			continue;
		for (size_t i = 0; i < G_N_ELEMENTS(counties); i++) {
			const char *names[2] = { counties[i].name,
						 counties[i].shortname };

			for (int k = 0; k < 2; k++) {
				size_t len;

				if (names[k] == NULL)
					continue;
				len = name_at((const char *)p, names[k]);
				if (len > best_len) {
					best = counties[i].code;
					best_len = len;
				}
			}
		}
		if (best != NULL)
			return best;
	}
	return NULL;
}
