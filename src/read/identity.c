/*
 * Identity extraction.  Structure first (the form's labelled fields, the
 * sender's display name), then general patterns over the writer's own
 * words: numbers that are phones, strings that are Taiwanese addresses or
 * ID numbers, names introduced as names.  Nothing here is tuned to one
 * letter; every pattern says what it looks for.
 */
#include <pcre2.h>
#include <string.h>

#include "identity.h"

/* Common surnames in Taiwan, Traditional and Simplified spellings. */
static const char *const surnames[] = {
	"陳", "林", "黃", "張", "李", "王", "吳", "劉", "蔡", "楊", "許",
	"鄭", "謝", "郭", "洪", "曾", "邱", "廖", "賴", "周", "徐", "蘇",
	"葉", "莊", "呂", "江", "何", "蕭", "羅", "高", "簡", "朱", "鍾",
	"施", "游", "詹", "沈", "彭", "胡", "余", "盧", "潘", "顏", "梁",
	"趙", "柯", "翁", "魏", "方", "孫", "戴", "范", "宋", "鄧", "杜",
	"侯", "傅", "曹", "薛", "丁", "卓", "馬", "阮", "董", "唐", "温",
	"溫", "藍", "蔣", "石", "古", "紀", "姚", "連", "馮", "歐", "程",
	"湯", "黄", "田", "康", "姜", "汪", "白", "鄒", "尤", "巫", "鐘",
	"龔", "嚴", "韓", "袁", "金", "童", "陸", "夏", "柳", "凃", "涂",
	"邵", "錢", "伍", "倪", "溫", "于", "譚", "駱", "熊", "任", "甘",
	"秦", "顧", "毛", "章", "史", "官", "萬", "俞", "雷", "粘", "饒",
	"張簡", "歐陽", "范姜", "司馬", "諸葛", "上官",
	/* Simplified forms */
	"陈", "张", "刘", "杨", "郑", "谢", "赖", "苏", "庄", "吕", "萧",
	"罗", "钟", "卢", "颜", "赵", "魏", "孙", "邓", "傅", "冯", "欧",
	"汤", "邹", "龚", "严", "韩", "陆", "钱", "谭", "骆", "顾", "万",
	"饶", NULL,
};

/* Words that make a "name" a title, a role or a place instead. */
static const char *const not_names[] = {
	"先生", "小姐", "女士", "太太", "中心", "專員", "社工", "老師",
	"醫師", "管理", "系統", "客服", "服務", "公司", "市政府", "縣政府",
	"毒品", "防制", "媽媽", "爸爸", "阿姨", "同學", "朋友", "家屬",
	"匿名", "民眾", "阿嬤", "阿公", "阿伯", "阿婆", "阿桑", "大學",
	"學生",
	/* Closings that begin with a surname: 謝, 周, 高, 方. */
	"謝謝", "谢谢", "謝了", "感謝", "周末", "週末", "高興", "方便",
	"保重", "平安", NULL,
};

static pcre2_code *
re_compile(const char *pattern)
{
	int code;
	PCRE2_SIZE off;
	pcre2_code *re = pcre2_compile((PCRE2_SPTR)pattern,
				       PCRE2_ZERO_TERMINATED,
				       PCRE2_UTF | PCRE2_UCP, &code, &off,
				       NULL);

	g_assert(re != NULL);
	pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
	return re;
}

/* The patterns, compiled once for all threads. */
enum {
	RE_MOBILE,
	RE_LANDLINE,
	RE_NATIONAL_ID,
	RE_ADDRESS,
	RE_NAME_INTRO,
	RE_NAME_EN,
	RE_ROC_DATE,
	RE_DATE,
	RE_COUNT,
};

static const char *const patterns[RE_COUNT] = {
	/* 0912-345-678, 0912 345678, 09 1234 5678, +886 912 345 678. */
	[RE_MOBILE] = "(?<![0-9])(?:\\+?886[- ]?|0)9(?:[- .]?[0-9]){8}"
		      "(?![0-9])",
	[RE_LANDLINE] = "(?<![0-9])(?:\\(0[2-8][0-9]{0,2}\\)|0[2-8][0-9]{0,2})"
			"[- ]?[2-9][0-9]{2,3}[- ]?[0-9]{3,4}(?![0-9])",
	/* Spaces or dashes between the digits are how some type it. */
	[RE_NATIONAL_ID] = "(?<![A-Za-z0-9])[A-Za-z][ -]?[1289]"
			   "(?:[ -]?[0-9]){8}(?![0-9])",
	[RE_ADDRESS] = "(?:[臺台][北中南東]|新北|桃園|高雄|基隆|新竹|苗栗|彰化|"
		       "南投|雲林|嘉義|屏東|宜蘭|花蓮|澎湖|金門|連江)[市縣]"
		       "(?:\\p{Han}{1,3}?[區鄉鎮市])?"
		       "(?:\\p{Han}{1,4}?[村里](?:[0-9]+鄰)?)?"
		       "(?:\\p{Han}{1,6}?(?:路|街|大道)"
		       "(?:[一二三四五六七八九十]段)?)?"
		       "(?:[0-9]+巷)?(?:[0-9]+弄)?[0-9]+(?:之[0-9]+)?號"
		       "(?:[0-9]+樓)?(?:之[0-9]+)?",
	/* "我是陳建宏", "我是新竹市的郭士文", "漢名 潘建文". */
	[RE_NAME_INTRO] = "(?:(?:我是|我叫|敝人|本人|我的名字是|名字叫|我姓名是|"
			  "姓名(?:是|[：:])?)"
			  "(?:[^，。！？,.!?\\s的]{1,10}的)?|"
			  "(?:漢名|中文名字?|本名)(?:是|叫|[：:])?)"
			  "\\s*(\\p{Han}{2,4})",
	[RE_NAME_EN] = "(?i:my name is|this is|I am|I'm) "
		       "((?-i:[A-Z][a-z]+)(?: (?-i:[A-Z][a-z]+))?)",
	[RE_ROC_DATE] = "(?:民國|民)\\s*([0-9]{2,3})\\s*年\\s*([0-9]{1,2})\\s*"
			"月\\s*([0-9]{1,2})",
	[RE_DATE] = "^\\s*([0-9]{2,4})\\s*[-/.年]\\s*([0-9]{1,2})\\s*[-/.月]"
		    "\\s*([0-9]{1,2})\\s*日?\\s*$",
};

/*
 * Words of which every match of a pattern holds one, looked for before
 * the pattern runs (most letters hold none, and PCRE2 tries a pattern
 * led by Han characters at nearly every character); NULL: none known.
 * An address ends with 號; "my name is", "this is", "I am" and "I'm"
 * end with "is ", "am " or "'m " in any case (and caseless s is also
 * ſ, U+017F, to PCRE2).
 */
static const char *const address_needs[] = { "號", NULL };
static const char *const name_intro_needs[] = {
	"我是", "我叫", "敝人", "本人", "名字", "姓名", "漢名", "中文名", "本名",
	NULL,
};
static const char *const name_en_needs[] = {
	"is ", "IS ", "Is ", "iS ", "iſ ", "Iſ ", "am ", "AM ", "Am ", "aM ",
	"'m ", "'M ", NULL,
};
static const char *const *const needs[RE_COUNT] = {
	[RE_ADDRESS] = address_needs,
	[RE_NAME_INTRO] = name_intro_needs,
	[RE_NAME_EN] = name_en_needs,
};

/* Whether one of words (NULL-terminated) is in s, as written. */
static gboolean
holds_any(const char *s, const char *const *words)
{
	for (int i = 0; words[i] != NULL; i++)
		if (strstr(s, words[i]) != NULL)
			return TRUE;
	return FALSE;
}

/* Whether s may hold a match of pattern which, by its needs. */
static gboolean
may_hold(int which, const char *s)
{
	return needs[which] == NULL || holds_any(s, needs[which]);
}

static pcre2_code *
re_get(int which)
{
	static pcre2_code *compiled[RE_COUNT];
	static gsize once;

	if (g_once_init_enter(&once)) {
		for (int i = 0; i < RE_COUNT; i++)
			compiled[i] = re_compile(patterns[i]);
		g_once_init_leave(&once, 1);
	}
	return compiled[which];
}

/*
 * The first match of pattern which in s at or after *from: a new string
 * of group group (0: the whole match), and *from moved past it; NULL if
 * none.  s must be valid UTF-8 (identity_from_text() sees to it): PCRE2
 * would otherwise check all of it again on every call.
 */
static char *
re_find(int which, const char *s, size_t *from, int group)
{
	pcre2_code *re;
	pcre2_match_data *md;
	size_t len = strlen(s);
	char *out = NULL;

	if (*from > len || !may_hold(which, s + *from))
		return NULL;
	re = re_get(which);
	md = pcre2_match_data_create_from_pattern(re, NULL);
	if (pcre2_match(re, (PCRE2_SPTR)s, len, *from, PCRE2_NO_UTF_CHECK, md,
			NULL) > group) {
		PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);

		if (ov[2 * group] != PCRE2_UNSET) {
			out = g_strndup(s + ov[2 * group],
					ov[2 * group + 1] - ov[2 * group]);
			*from = ov[1];
		}
	}
	pcre2_match_data_free(md);
	return out;
}

/*
 * s with full-width ASCII (０９１２－３４５, Ａ１２３…) and the ideographic
 * space made plain ASCII, as phones and ID numbers are matched.  New.
 */
static char *
fold_fullwidth(const char *s)
{
	size_t len = strlen(s);
	GString *out = g_string_sized_new(len);
	const char *p = s, *end = s + len;

	/* Both forms are three bytes, led by 0xEF or 0xE3: the rest is
	 * copied as it is, a run at a time. */
	while (p < end) {
		const char *lead = p;
		gunichar c;

		while (lead < end && (unsigned char)*lead != 0xEF &&
		       (unsigned char)*lead != 0xE3)
			lead++;
		g_string_append_len(out, p, lead - p);
		if (lead == end)
			break;
		c = g_utf8_get_char_validated(lead, end - lead);
		p = MIN(g_utf8_next_char(lead), end);
		if (c >= 0xFF01 && c <= 0xFF5E)
			g_string_append_c(out, (char)(c - 0xFF01 + '!'));
		else if (c == 0x3000)
			g_string_append_c(out, ' ');
		else
			g_string_append_len(out, lead, p - lead);
	}
	return g_string_free(out, FALSE);
}

/* An ID number as written, without spaces or dashes, upper case.  New. */
static char *
national_id_normalise(const char *s)
{
	g_autofree char *plain = fold_fullwidth(s);
	GString *out = g_string_new(NULL);

	for (const char *p = plain; *p; p++)
		if (!g_ascii_isspace(*p) && *p != '-')
			g_string_append_c(out, g_ascii_toupper(*p));
	if (out->len == 0) {
		g_string_free(out, TRUE);
		return NULL;
	}
	return g_string_free(out, FALSE);
}

void
identity_clear(struct identity *id)
{
	g_free(id->name);
	g_free(id->sex);
	g_free(id->birth_date);
	g_free(id->phone);
	g_free(id->email);
	g_free(id->address);
	g_free(id->national_id);
	memset(id, 0, sizeof *id);
}

gboolean
identity_identified(const struct identity *id)
{
	return id->name != NULL &&
	       (id->phone != NULL || id->email != NULL ||
		id->address != NULL || id->national_id != NULL);
}

gboolean
identity_any(const struct identity *id)
{
	return id->name != NULL || id->sex != NULL || id->birth_date != NULL ||
	       id->phone != NULL || id->email != NULL || id->address != NULL ||
	       id->national_id != NULL;
}

gboolean
identity_parse_person(const char *text, struct identity *out)
{
	g_auto(GStrv) words = NULL;
	GString *name = g_string_new(NULL);
	g_autofree char *flat = g_strdup(text != NULL ? text : "");

	memset(out, 0, sizeof *out);
	/* Commas and slashes of either width part the words too. */
	for (const char *sep = "，、,／/"; *sep;
	     sep = g_utf8_next_char(sep)) {
		char one[8] = { 0 };
		char **parts;

		g_unichar_to_utf8(g_utf8_get_char(sep), one);
		parts = g_strsplit(flat, one, -1);
		g_free(flat);
		flat = g_strjoinv(" ", parts);
		g_strfreev(parts);
	}
	words = g_strsplit_set(flat, " \t　", -1);
	for (int i = 0; words[i] != NULL; i++) {
		const char *w = words[i];
		char *v;

		if (*w == '\0')
			continue;
		if (out->phone == NULL && (v = phone_normalise(w)) != NULL) {
			out->phone = v;
		} else if (out->birth_date == NULL &&
			   (v = birth_date_normalise(w)) != NULL) {
			out->birth_date = v;
		} else if (out->national_id == NULL && strlen(w) == 10 &&
			   g_ascii_isalpha(w[0]) &&
			   strspn(w + 1, "0123456789") == 9) {
			out->national_id = g_ascii_strup(w, -1);
			out->national_id_valid =
				national_id_valid(out->national_id);
		} else if (out->sex == NULL &&
			   (strcmp(w, "男") == 0 || strcmp(w, "女") == 0)) {
			out->sex = g_strdup(strcmp(w, "男") == 0 ? "M" : "F");
		} else {
			if (name->len > 0)
				g_string_append_c(name, ' ');
			g_string_append(name, w);
		}
	}
	out->name = name->len > 0 ? g_string_free(name, FALSE)
				  : (g_string_free(name, TRUE), NULL);
	return identity_any(out);
}

gboolean
national_id_valid(const char *s)
{
	/* Letter values: A=10 ... with I, O, W, X, Y, Z out of order. */
	static const int letter[26] = {
		10, 11, 12, 13, 14, 15, 16, 17, 34, 18, 19, 20, 21,
		22, 35, 23, 24, 25, 26, 27, 28, 29, 32, 30, 31, 33,
	};
	int v, sum;

	if (s == NULL || strlen(s) != 10 || !g_ascii_isupper(s[0]))
		return FALSE;
	for (int i = 1; i < 10; i++)
		if (!g_ascii_isdigit(s[i]))
			return FALSE;
	v = letter[s[0] - 'A'];
	sum = v / 10 + (v % 10) * 9;
	for (int i = 1; i <= 8; i++)
		sum += (s[i] - '0') * (9 - i);
	sum += s[9] - '0';
	return sum % 10 == 0;
}

char *
birth_date_normalise(const char *s)
{
	g_autofree char *y = NULL, *m = NULL, *d = NULL;
	gint64 year, month, day;
	size_t from = 0;
	pcre2_match_data *md;
	pcre2_code *re;
	gboolean roc = FALSE;
	int rc;

	if (s == NULL)
		return NULL;
	re = re_get(RE_ROC_DATE);
	md = pcre2_match_data_create_from_pattern(re, NULL);
	rc = pcre2_match(re, (PCRE2_SPTR)s, strlen(s), from, 0, md, NULL);
	if (rc >= 4) {
		roc = TRUE;
	} else {
		pcre2_match_data_free(md);
		re = re_get(RE_DATE);
		md = pcre2_match_data_create_from_pattern(re, NULL);
		rc = pcre2_match(re, (PCRE2_SPTR)s, strlen(s), 0, 0, md, NULL);
	}
	if (rc >= 4) {
		PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);

		y = g_strndup(s + ov[2], ov[3] - ov[2]);
		m = g_strndup(s + ov[4], ov[5] - ov[4]);
		d = g_strndup(s + ov[6], ov[7] - ov[6]);
	}
	pcre2_match_data_free(md);
	if (y == NULL)
		return NULL;
	year = g_ascii_strtoll(y, NULL, 10);
	month = g_ascii_strtoll(m, NULL, 10);
	day = g_ascii_strtoll(d, NULL, 10);
	/* Three digits or fewer is an ROC year. */
	if (roc || year < 1000)
		year += 1911;
	if (year < 1900 || year > 2100 || month < 1 || month > 12 ||
	    !g_date_valid_dmy((GDateDay)day, (GDateMonth)month,
			      (GDateYear)year))
		return NULL;
	return g_strdup_printf("%04d-%02d-%02d", (int)year, (int)month,
			       (int)day);
}

char *
phone_normalise(const char *s)
{
	GString *d;

	if (s == NULL)
		return NULL;
	d = g_string_new(NULL);
	for (const char *p = s; *p; p++) {
		if (g_ascii_isdigit(*p))
			g_string_append_c(d, *p);
		else if (*p == '#' || g_ascii_isalpha(*p))
			break;	/* an extension or a note follows */
	}
	/* +886 9xx... is 09xx... at home. */
	if (g_str_has_prefix(d->str, "886") && d->len >= 11)
		g_string_erase(d, 0, 3), g_string_prepend_c(d, '0');
	if (d->len < 8 || d->len > 12 || d->str[0] != '0') {
		g_string_free(d, TRUE);
		return NULL;
	}
	return g_string_free(d, FALSE);
}

char *
address_normalise(const char *s)
{
	static const char *const lead[] = { "中華民國", "臺灣省", "臺灣", NULL };
	g_autofree char *nfkc = NULL;
	GString *out;
	const char *p, *num;
	size_t skip;

	/* NFKC makes full-width digits and letters plain. */
	nfkc = s != NULL ? g_utf8_normalize(s, -1, G_NORMALIZE_NFKC) : NULL;
	if (nfkc == NULL)
		return NULL;
	out = g_string_new(NULL);
	for (p = nfkc; *p; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);

		if (c == 0x53F0)	/* 台 */
			c = 0x81FA;	/* 臺 */
		/* 12-3號 is 12之3號. */
		if (c == '-' && g_ascii_isdigit(p[1]) && out->len > 0 &&
		    g_ascii_isdigit(out->str[out->len - 1]))
			g_string_append(out, "之");
		else if (!g_unichar_isspace(c) && !g_unichar_ispunct(c))
			g_string_append_unichar(out, c);
	}
	skip = strspn(out->str, "0123456789");
	g_string_erase(out, 0, (gssize)skip);
	for (int i = 0; lead[i] != NULL; i++)
		if (g_str_has_prefix(out->str, lead[i]))
			g_string_erase(out, 0, (gssize)strlen(lead[i]));
	num = strstr(out->str, "號");
	if (num == NULL || num == out->str || !g_ascii_isdigit(num[-1])) {
		g_string_free(out, TRUE);
		return NULL;
	}
	return g_string_free(out, FALSE);
}

/* Whether s holds a title or a role rather than only a name. */
static gboolean
titled(const char *s)
{
	for (int i = 0; not_names[i] != NULL; i++)
		if (strstr(s, not_names[i]) != NULL)
			return TRUE;
	return FALSE;
}

static gboolean
all_han(const char *s)
{
	for (const char *p = s; *p; p = g_utf8_next_char(p))
		if (g_unichar_get_script(g_utf8_get_char(p)) !=
		    G_UNICODE_SCRIPT_HAN)
			return FALSE;
	return TRUE;
}

gboolean
person_name_plausible(const char *s)
{
	glong n;

	if (s == NULL || *s == '\0' || titled(s))
		return FALSE;
	n = g_utf8_strlen(s, -1);
	if (all_han(s)) {
		if (n < 2 || n > 4)
			return FALSE;
		for (int i = 0; surnames[i] != NULL; i++) {
			glong sl = g_utf8_strlen(surnames[i], -1);

			/* A surname alone, or surname + one character, is
			 * not enough when the surname is two long. */
			if (g_str_has_prefix(s, surnames[i]) && n > sl)
				return TRUE;
		}
		return FALSE;
	}
	/* "Emily Carter", "Lukas Weber": two or three capitalised words. */
	{
		g_auto(GStrv) w = g_strsplit(s, " ", -1);
		guint k = g_strv_length(w);

		if (k < 2 || k > 3)
			return FALSE;
		for (guint i = 0; i < k; i++) {
			if (!g_ascii_isupper(w[i][0]) || strlen(w[i]) < 2)
				return FALSE;
			for (const char *p = w[i] + 1; *p; p++)
				if (!g_ascii_isalpha(*p) && *p != '-' &&
				    *p != '\'')
					return FALSE;
		}
		return TRUE;
	}
}

static char *find_phone(const char *text);
static char *find_email(const char *text);

static char *
field(GHashTable *form, const char *label)
{
	const char *v = g_hash_table_lookup(form, label);

	if (v == NULL)
		return NULL;
	while (*v == ' ')
		v++;
	return *v ? g_strstrip(g_strdup(v)) : NULL;
}

void
identity_from_form(struct identity *id, GHashTable *form)
{
	g_autofree char *sex = NULL, *birth = NULL, *phone = NULL;
	g_autofree char *email = NULL, *nid = NULL;
	const char *content;

	if (form == NULL)
		return;
	sex = field(form, "性別");
	birth = field(form, "出生年月日");
	phone = field(form, "聯絡電話");
	email = field(form, "電子郵件");
	nid = field(form, "身分證統一編號");
	id->name = field(form, "姓名");
	if (sex != NULL) {
		if (strcmp(sex, "男") == 0 || g_ascii_strcasecmp(sex, "M") == 0)
			id->sex = g_strdup("M");
		else if (strcmp(sex, "女") == 0 ||
			 g_ascii_strcasecmp(sex, "F") == 0)
			id->sex = g_strdup("F");
		else if (strcmp(sex, "其他") == 0)
			id->sex = g_strdup("X");
	}
	id->birth_date = birth_date_normalise(birth);
	if (phone != NULL) {
		g_autofree char *plain = fold_fullwidth(phone);

		id->phone = phone_normalise(plain);
	}
	if (email != NULL) {
		g_strstrip(email);
		if (strchr(email, '@') != NULL && strchr(email, ' ') == NULL)
			id->email = g_steal_pointer(&email);
	}
	id->address = field(form, "聯絡地址");
	if (nid != NULL) {
		id->national_id = national_id_normalise(nid);
		id->national_id_valid = national_id_valid(id->national_id);
	}
	/* A contact left out of its box but written in the letter
	 * ("要聯絡的話寫信給我：…") is still the writer's. */
	content = g_hash_table_lookup(form, "內容");
	if (content != NULL && g_utf8_validate(content, -1, NULL)) {
		if (id->email == NULL)
			id->email = find_email(content);
		if (id->phone == NULL)
			id->phone = find_phone(content);
	}
}

/* Hotlines and service numbers quoted in letters are not the writer's. */
static gboolean
service_number(const char *digits)
{
	return g_str_has_prefix(digits, "0800") ||
	       g_str_has_prefix(digits, "0809") ||
	       g_str_has_prefix(digits, "0203");
}

/* Words before a number on its line that make it someone else's. */
static const char *const others_phone[] = {
	"個案", "案主", "學員", "當事人", "他的", "她的", "他手機", "她手機",
	"他電話", "她電話", "兒子", "女兒", "先生的", "老公", "太太的",
	"老婆", "媽媽", "母親", "我媽", "阿母", "爸爸", "父親", "我爸",
	"哥哥", "弟弟", "姊姊", "姐姐", "妹妹", "阿嬤", "阿公", "房東",
	"派出所", "警察", "his ", "her ", "client", "patient", NULL,
};

/* Words before a number on its line that make it the writer's own. */
static const char *const own_phone[] = {
	"我的電話", "我的手機", "我的號碼", "我的联系", "我的電話號碼",
	"聯絡我", "联系我", "打給我", "找我", "my phone", "my number",
	"my mobile", "reach me", NULL,
};

/* Whether a word of words is in s (case folded). */
static gboolean
has_any(const char *s, const char *const *words)
{
	g_autofree char *low = g_ascii_strdown(s, -1);

	return holds_any(low, words);
}

/*
 * The writer's phone in plain (a text through fold_fullwidth()): the
 * first number, in the order written, that its line does not give as
 * someone else's ("個案手機：…", "他的手機是…", or after it "（母親）"),
 * unless another is said to be the writer's own ("我的電話是…").
 * Hotlines are nobody's.
 */
static char *
find_phone(const char *plain)
{
	static const int kinds[] = { RE_MOBILE, RE_LANDLINE };
	char *first = NULL, *own = NULL;
	size_t first_at = G_MAXSIZE;

	for (size_t k = 0; k < G_N_ELEMENTS(kinds) && own == NULL; k++) {
		size_t from = 0;
		char *m;

		while (own == NULL &&
		       (m = re_find(kinds[k], plain, &from, 0)) != NULL) {
			size_t end = from, start = end - strlen(m);
			const char *line = plain + start;
			g_autofree char *before = NULL, *after = NULL;
			char *d = phone_normalise(m);
			const char *nl;

			g_free(m);
			while (line > plain && line[-1] != '\n')
				line--;
			before = g_strndup(line, plain + start - line);
			nl = strchr(plain + end, '\n');
			after = nl != NULL ? g_strndup(plain + end,
						      MIN(nl - (plain + end), 12))
					   : g_strndup(plain + end, 12);
			if (d == NULL || service_number(d) ||
			    (has_any(before, others_phone) &&
			     !has_any(before, own_phone)) ||
			    (g_strchug(after)[0] == '(' &&
			     has_any(after, others_phone))) {
				g_free(d);
				continue;
			}
			if (has_any(before, own_phone)) {
				own = d;
			} else if (start < first_at) {
				g_free(first);
				first = d;
				first_at = start;
			} else {
				g_free(d);
			}
		}
	}
	if (own != NULL) {
		g_free(first);
		return own;
	}
	return first;
}

/* The first e-mail address in text.  New, or NULL. */
static char *
find_email(const char *text)
{
	static GRegex *re;
	static gsize once;
	g_autoptr(GMatchInfo) mi = NULL;
	char *out = NULL;

	if (g_once_init_enter(&once)) {
		re = g_regex_new("[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+"
				 "(?:\\.[A-Za-z0-9-]+)+",
				 G_REGEX_OPTIMIZE, 0, NULL);
		g_once_init_leave(&once, 1);
	}
	if (g_regex_match(re, text, 0, &mi))
		out = g_match_info_fetch(mi, 0);
	return out;
}

/* Whether s is a role or a title as signatures give it: 護理師, 觀護人,
 * 輔導主任, 社工, 牧師. */
static gboolean
role_word(const char *s)
{
	static const char *const tails[] = {
		"師", "員", "長", "人", "工", "主任", "傳道", "代表", "經理",
		"老闆", "組長", "校長", "督導", NULL,
	};

	if (!all_han(s) || g_utf8_strlen(s, -1) > 6)
		return FALSE;
	for (int i = 0; tails[i] != NULL; i++)
		if (g_str_has_suffix(s, tails[i]))
			return TRUE;
	return FALSE;
}

/* Whether s is a phone number as written beside a name. */
static gboolean
phone_word(const char *s)
{
	g_autofree char *d = phone_normalise(s);

	return d != NULL && strspn(s, "0123456789-()+ ") == strlen(s);
}

/*
 * A signature line of two words, a name and a role or a phone number:
 * "蔡小惠 護理師", "觀護人 江小哲", "涂小偉 0915-000-000".  New, or NULL.
 */
static char *
name_beside_role(const char *line)
{
	g_auto(GStrv) w = g_strsplit_set(line, " \t", -1);
	const char *words[2];
	int n = 0;

	for (int i = 0; w[i] != NULL; i++) {
		if (*w[i] == '\0')
			continue;
		if (n == 2)
			return NULL;
		words[n++] = w[i];
	}
	if (n != 2)
		return NULL;
	for (int k = 0; k < 2; k++) {
		const char *name = words[k], *other = words[1 - k];

		if (all_han(name) && person_name_plausible(name) &&
		    (role_word(other) || (k == 0 && phone_word(other))))
			return g_strdup(name);
	}
	return NULL;
}

/*
 * An address the letter gives for answers, over the sender's: "請回信到
 * …", "我的信箱是…" on its line.  New, or NULL.
 */
static char *
own_email(const char *text)
{
	static const char *const marks[] = {
		"回信", "回覆", "回复", "寄到", "寄給我", "聯絡我", "联系我",
		"我的信箱", "我的email", "我的e-mail", "我的電子郵件", "我的mail",
		"reply to", "write to me", "my email", "my e-mail", NULL,
	};
	g_auto(GStrv) lines = NULL;

	/* Most letters give none: no line to read. */
	if (strchr(text, '@') == NULL)
		return NULL;
	lines = g_strsplit(text, "\n", -1);
	for (int i = 0; lines[i] != NULL; i++) {
		g_autofree char *e = NULL;
		g_autofree char *before = NULL;

		if (strchr(lines[i], '@') == NULL)
			continue;
		e = find_email(lines[i]);
		if (e == NULL)
			continue;
		before = g_strndup(lines[i], strstr(lines[i], e) - lines[i]);
		if (has_any(before, marks))
			return g_steal_pointer(&e);
	}
	return NULL;
}

/* A line that is only a name (a signature), perhaps with 敬上 or 上. */
static char *
signature_name(const char *text)
{
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
	char *found = NULL;

	for (int i = 0; lines[i] != NULL && found == NULL; i++) {
		char *l = g_strstrip(lines[i]);
		size_t n = strlen(l);

		/* Two to four characters, perhaps with 敬上 (6 to 18 bytes),
		 * or beside a role or a phone. */
		if (n < 6 || n > 40 || (unsigned char)l[0] < 0xe0)
			continue;
		if (n > 18) {
			found = name_beside_role(l);
			continue;
		}
		static const char *const tails[] = {
			"敬上", "謹上", "拜上", "上", NULL,
		};

		for (int k = 0; tails[k] != NULL; k++) {
			if (g_str_has_suffix(l, tails[k]) &&
			    strlen(l) > strlen(tails[k])) {
				l[strlen(l) - strlen(tails[k])] = '\0';
				g_strstrip(l);
				break;
			}
		}
		if (person_name_plausible(l) && all_han(l))
			found = g_strdup(l);
		else
			found = name_beside_role(l);
	}
	return found;
}

void
identity_from_text(struct identity *id, const char *text,
		   const char *from_name, const char *from_addr)
{
	g_autofree char *valid = NULL, *plain = NULL;
	size_t from;

	if (text == NULL)
		text = "";
	if (!g_utf8_validate(text, -1, NULL))
		text = valid = g_utf8_make_valid(text, -1);
	/* Phones and ID numbers are read with full-width digits folded. */
	plain = fold_fullwidth(text);
	if (id->name == NULL && from_name != NULL) {
		g_autofree char *n = g_strstrip(g_strdup(from_name));

		if (person_name_plausible(n))
			id->name = g_steal_pointer(&n);
	}
	if (id->name == NULL) {
		from = 0;
		for (char *n; id->name == NULL &&
			      (n = re_find(RE_NAME_INTRO, text, &from, 1));) {
			/* "我是陳建宏，…": try the 3-, then 2-character
			 * prefix, since the name is not delimited; but
			 * "黃阿嬤" is a title, and "黃阿" no name. */
			glong len = g_utf8_strlen(n, -1);

			if (titled(n))
				len = 0;
			for (glong k = MIN(len, 3); k >= 2 && !id->name; k--) {
				g_autofree char *c = g_utf8_substring(n, 0, k);

				if (person_name_plausible(c))
					id->name = g_steal_pointer(&c);
			}
			g_free(n);
		}
	}
	if (id->name == NULL) {
		from = 0;
		id->name = re_find(RE_NAME_EN, text, &from, 1);
		if (id->name != NULL && !person_name_plausible(id->name))
			g_clear_pointer(&id->name, g_free);
	}
	if (id->name == NULL)
		id->name = signature_name(text);
	if (id->email == NULL)
		id->email = own_email(text);
	if (id->email == NULL && from_addr != NULL &&
	    strchr(from_addr, '@') != NULL)
		id->email = g_strdup(from_addr);
	if (id->phone == NULL)
		id->phone = find_phone(plain);
	if (id->address == NULL) {
		from = 0;
		id->address = re_find(RE_ADDRESS, text, &from, 0);
	}
	if (id->national_id == NULL) {
		g_autofree char *m = NULL;

		from = 0;
		m = re_find(RE_NATIONAL_ID, plain, &from, 0);
		if (m != NULL) {
			id->national_id = national_id_normalise(m);
			id->national_id_valid =
				national_id_valid(id->national_id);
		}
	}
}

JsonNode *
identity_to_json(const struct identity *id)
{
	JsonObject *o = json_object_new();
	JsonNode *node = json_node_new(JSON_NODE_OBJECT);
	const struct {
		const char *key, *value;
	} f[] = {
		{ "name", id->name },
		{ "sex", id->sex },
		{ "birth_date", id->birth_date },
		{ "phone", id->phone },
		{ "email", id->email },
		{ "address", id->address },
		{ "national_id", id->national_id },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(f); i++)
		if (f[i].value != NULL)
			json_object_set_string_member(o, f[i].key,
						      f[i].value);
	if (id->national_id != NULL)
		json_object_set_boolean_member(o, "national_id_valid",
					       id->national_id_valid);
	json_node_take_object(node, o);
	return node;
}
