/*
 * Refusals as data (refusal.h): one table of each reason's words, in
 * English and in Traditional Chinese, filled in from the reason's case
 * number, state and word.
 */
#include <string.h>

#include "cases.h"
#include "refusal.h"
#include "vocab.h"

/*
 * Each reason's words.  {case} is the case number, {state} its state,
 * {allowed} the states it may move to, {word} what was asked for and
 * {group} that word as a referral group.
 */
static const struct {
	const char *en, *zh;
} words[REFUSED_COUNT] = {
	[REFUSED_NONE] = { "", "" },
	[REFUSED_NO_CASE] = { "no case {case}", "找不到案件 {case}" },
	[REFUSED_NO_CASE_HERE] = { "no case {case} at {word}",
				   "本中心沒有案號 {case} 的案件" },
	[REFUSED_STEP] = { "case {case} is {state}; it may become {allowed}",
			   "案件目前是「{state}」，下一步只能是：{allowed}" },
	[REFUSED_USE_REFER] = {
		"a referral names its group and agency: use refer",
		"轉介請用 #refer 指令，寫明組別" },
	[REFUSED_USE_CLOSE] = {
		"closing needs one of the five reasons: use close",
		"結案請用 #close 指令，寫明 1 到 5 的結案原因" },
	[REFUSED_REFER_EARLY] = {
		"case {case} is {state}: a referral follows the assessment",
		"案件目前是「{state}」：轉介要在轉介評估之後" },
	[REFUSED_NO_AGENCY] = { "a referral names the agency",
				"轉介要寫明合作單位" },
	[REFUSED_NO_REFERRAL] = {
		"case {case} has no referral to {word} awaiting a reply",
		"本案沒有等待{group}回覆的轉介" },
	[REFUSED_NO_RESULT_OWED] = { "case {case} owes no agency a result",
				     "本案沒有要回報轉介單位的結果" },
	[REFUSED_NO_REFERRER_ADDR] = {
		"case {case} keeps no usable mail address of its referrer: "
		"nothing "
		"was mailed and the result is still owed; send it another "
		"way, then record it with 'case set {case} result-sent' "
		"without --result",
		"本案沒有留下可用的轉介單位信箱，處理結果沒有寄出，仍待回覆；"
		"請以其他方式送達轉介單位後，再登記已回覆" },
	[REFUSED_NOT_FOLLOW_UP] = {
		"case {case} is {state}, not in follow-up",
		"案件目前是「{state}」，不在追蹤輔導階段" },
	[REFUSED_CLOSED] = { "case {case} is closed", "本案已結案" },
	[REFUSED_CLOSED_ALREADY] = { "case {case} is already closed",
				     "本案已結案" },
	[REFUSED_MOVED_COUNTY] = {
		"遷出 names the county the person moved to (another "
		"centre's code)",
		"遷出請寫明遷往的縣市代碼（例如 #close 5 KHH）" },
	[REFUSED_IMPROVED_EARLY] = {
		"問題改善 closes a case after two years of follow-up; case "
		"{case} is {state}",
		"問題改善須在追蹤輔導滿兩年後才能結案" },
	[REFUSED_IMPROVED_RELAPSE] = {
		"問題改善 needs two years of follow-up without relapse; case "
		"{case} has not had them",
		"問題改善須追蹤輔導滿兩年且未再使用" },
	[REFUSED_NOTE_EMPTY] = { "a note needs its text", "內部紀錄沒有內容" },
	[REFUSED_DAY_PAST] = { "{word} is not a day to come",
			       "排定的日期須在今天之後" },
	[REFUSED_MERGE_SELF] = { "a case cannot merge into itself",
				 "不能併入本案自己" },
	[REFUSED_MERGE_CLOSED] = { "closed cases are not merged",
				   "已結案的案件不能合併" },
	[REFUSED_MERGED_ALREADY] = { "one of the cases is merged already",
				     "其中一案已經併入其他案件" },
	[REFUSED_UNKNOWN_STATE] = { "unknown state '{word}'",
				    "不認得狀態「{word}」" },
	[REFUSED_UNKNOWN_GROUP] = {
		"'{word}' is no referral group (health, social, employment, "
		"education, police) or partner address",
		"「{word}」不是轉介組別（health、social、employment、"
		"education、police）或合作單位信箱" },
	[REFUSED_BAD_REASON] = {
		"a closing reason is 1 to 5 (1 improved, 2 reimprisoned, 3 "
		"unreachable, 4 deceased, 5 moved)",
		"結案理由請寫 1 到 5（1 問題改善、2 再入監、3 無法聯繫、4 "
		"死亡、5 遷出）" },
	[REFUSED_NOT_STAFF] = { "'{word}' is no address of the centre's staff",
				"「{word}」不是本中心同仁的信箱" },
	[REFUSED_BAD_DATE] = {
		"'{word}' is not a date (such as 2026-12-01 or 115/12/01)",
		"「{word}」不是日期（例如 2026-12-01 或 115/12/01）" },
	[REFUSED_UNKNOWN_COMMAND] = { "no such command", "沒有這個指令" },
	[REFUSED_NO_PARTNER_REPLY] = {
		"case {case} has no partner reply to confirm",
		"本案沒有待確認的合作單位回覆" },
};

static const char *
state_words(int state, enum refusal_lang lang)
{
	if (state < 0 || state >= CASE_STATE_COUNT)
		return "?";
	return lang == REFUSAL_ZH ? case_state_label((enum case_state)state)
				  : case_state_name((enum case_state)state);
}

/*
 * The states a case in state may move to, as a list ("registered, or
 * closed"; "登記列冊，或結案"), from cases_may_become().
 */
static void
append_allowed(GString *out, int state, enum refusal_lang lang)
{
	gboolean zh = lang == REFUSAL_ZH;
	enum case_state to[CASE_STATE_COUNT];
	int n = 0, last_open = -1;

	for (int s = 0; state >= 0 && s < CASE_STATE_COUNT; s++)
		if (s != state && cases_may_become((enum case_state)state,
						   (enum case_state)s)) {
			if (s != CASE_CLOSED)
				last_open = n;
			to[n++] = (enum case_state)s;
		}
	if (n == 0) {
		g_string_append(out, zh ? "無（已結案）"
					: "nothing: the case is closed");
		return;
	}
	for (int i = 0; i < n; i++) {
		if (i > 0)
			g_string_append(out, i < n - 1 ? (zh ? "、" : ", ")
						       : (zh ? "，或" : ", or "));
		g_string_append(out, state_words(to[i], lang));
		/* A referred case may be referred again. */
		if (i == last_open &&
		    cases_may_become((enum case_state)state,
				     (enum case_state)state))
			g_string_append(out, zh ? "（或再轉介）"
						: " (or another referral)");
	}
}

static void
append_group(GString *out, const char *key)
{
	enum group g;

	g_string_append(out, group_parse(key, &g) ? group_label(g) : key);
}

/* words' template t with its fields filled in from r. */
static char *
render(const char *t, const struct refusal *r, enum refusal_lang lang)
{
	GString *out = g_string_new(NULL);

	while (*t != '\0') {
		const char *open = strchr(t, '{');
		const char *close = open != NULL ? strchr(open, '}') : NULL;
		size_t n;

		if (close == NULL) {
			g_string_append(out, t);
			break;
		}
		g_string_append_len(out, t, open - t);
		n = close - open - 1;
		if (n == 4 && strncmp(open + 1, "case", n) == 0)
			g_string_append(out, r->number);
		else if (n == 4 && strncmp(open + 1, "word", n) == 0)
			g_string_append(out, r->word);
		else if (n == 5 && strncmp(open + 1, "state", n) == 0)
			g_string_append(out, state_words(r->state, lang));
		else if (n == 5 && strncmp(open + 1, "group", n) == 0)
			append_group(out, r->word);
		else if (n == 7 && strncmp(open + 1, "allowed", n) == 0)
			append_allowed(out, r->state, lang);
		else
			g_string_append_len(out, open, close - open + 1);
		t = close + 1;
	}
	return g_string_free(out, FALSE);
}

enum status
refuse(struct err *err, enum refusal_code code, const char *number,
       int state, const char *word)
{
	struct refusal r = { 0 };
	g_autofree char *en = NULL;

	g_return_val_if_fail(code > REFUSED_NONE && code < REFUSED_COUNT,
			     ST_FATAL);
	r.code = code;
	r.state = state;
	g_strlcpy(r.number, number != NULL ? number : "", sizeof r.number);
	g_strlcpy(r.word, word != NULL ? word : "", sizeof r.word);
	en = render(words[code].en, &r, REFUSAL_EN);
	err_set(err, ST_REFUSED, "%s", en);
	if (err != NULL)
		err->refused = r;
	return ST_REFUSED;
}

char *
refusal_text(const struct err *err, enum refusal_lang lang)
{
	const struct refusal *r = &err->refused;

	if (err->status != ST_REFUSED || r->code <= REFUSED_NONE ||
	    r->code >= REFUSED_COUNT)
		return g_strdup("");
	return render(lang == REFUSAL_ZH ? words[r->code].zh
					 : words[r->code].en,
		      r, lang);
}
