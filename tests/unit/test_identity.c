/*
 * Identity fields and the new text of replies: tables of inputs and what
 * must come out.  Every name, number and address here is invented.
 */
#include <string.h>

#include "testutil.h"

#include "identity.h"
#include "quote.h"

static void
test_national_id(void **state)
{
	static const struct {
		const char *id;
		gboolean valid;
	} t[] = {
		{ "A123456789", TRUE },	 { "A123456788", FALSE },
		{ "F131232216", TRUE },	 { "Z199999996", FALSE },
		{ "a123456789", FALSE }, { "A12345678", FALSE },
		{ "A1234567890", FALSE }, { "1123456789", FALSE },
		{ NULL, FALSE },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(t); i++)
		if (national_id_valid(t[i].id) != t[i].valid) {
			print_error("case %zu: %s\n", i, t[i].id);
			fail();
		}
}

static void
test_birth_dates(void **state)
{
	static const struct {
		const char *in, *out;
	} t[] = {
		{ "民國74年3月2日", "1985-03-02" },
		{ "民國 100 年 12 月 31 日", "2011-12-31" },
		{ "74/3/2", "1985-03-02" },
		{ "1985-03-02", "1985-03-02" },
		{ "1985/3/2", "1985-03-02" },
		{ "1985年3月2日", "1985-03-02" },
		{ "民國74年2月30日", NULL },
		{ "明天", NULL },
		{ "", NULL },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(t); i++) {
		g_autofree char *got = birth_date_normalise(t[i].in);

		if (g_strcmp0(got, t[i].out) != 0) {
			print_error("case %zu: %s -> %s\n", i, t[i].in, got);
			fail();
		}
	}
}

static void
test_phones(void **state)
{
	static const struct {
		const char *in, *out;
	} t[] = {
		{ "0912-345-678", "0912345678" },
		{ "(02)2345-6789", "0223456789" },
		{ "+886 912 345 678", "0912345678" },
		{ "037-261-540", "037261540" },
		{ "12345", NULL },
		{ "", NULL },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(t); i++) {
		g_autofree char *got = phone_normalise(t[i].in);

		if (g_strcmp0(got, t[i].out) != 0) {
			print_error("case %zu: %s -> %s\n", i, t[i].in, got);
			fail();
		}
	}
}

/* One address written two ways is one address; a city alone is none. */
static void
test_addresses(void **state)
{
	static const struct {
		const char *in, *out;
	} t[] = {
		{ "臺南市東區長榮路二段95巷12號", "臺南市東區長榮路二段95巷12號" },
		{ "台南市 東區長榮路二段９５巷１２號",
		  "臺南市東區長榮路二段95巷12號" },
		{ "701 臺南市東區長榮路二段95巷12號",
		  "臺南市東區長榮路二段95巷12號" },
		{ "台灣台南市東區長榮路二段95巷12號",
		  "臺南市東區長榮路二段95巷12號" },
		{ "高雄市前鎮區中華五路 12-3 號 5 樓", "高雄市前鎮區中華五路12之3號5樓" },
		{ "高雄市前鎮區中華五路12之3號5樓", "高雄市前鎮區中華五路12之3號5樓" },
		{ "臺南市", NULL },
		{ "臺南市東區", NULL },
		{ "中山路號", NULL },
		{ "", NULL },
		{ NULL, NULL },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(t); i++) {
		g_autofree char *got = address_normalise(t[i].in);

		if (g_strcmp0(got, t[i].out) != 0) {
			print_error("case %zu: %s -> %s\n", i, t[i].in, got);
			fail();
		}
	}
}

static void
test_names(void **state)
{
	static const struct {
		const char *s;
		gboolean ok;
	} t[] = {
		{ "王大同", TRUE },   { "歐陽小芬", TRUE }, { "刘志强", TRUE },
		{ "Mary Smith", TRUE }, { "阿凱", FALSE },  { "小芬", FALSE },
		{ "王", FALSE },       { "陳先生", FALSE }, { "求助網頁", FALSE },
		{ "mary smith", FALSE }, { "", FALSE },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(t); i++)
		if (person_name_plausible(t[i].s) != t[i].ok) {
			print_error("case %zu: %s\n", i, t[i].s);
			fail();
		}
}

static void
test_from_text(void **state)
{
	struct identity id = { 0 };
	const char *letter =
		"您好，我是林大明，想請問戒癮門診。\n"
		"如有需要可撥 0800-770-885 戒成專線，我的手機 0955-123-456。\n"
		"住址：臺中市西屯區文心路三段45號7樓\n"
		"身分證 B120000003\n";

	identity_from_text(&id, letter, NULL, "daming@example.org");
	assert_string_equal(id.name, "林大明");
	/* The hotline is a service number, not the writer's phone. */
	assert_string_equal(id.phone, "0955123456");
	assert_string_equal(id.address, "臺中市西屯區文心路三段45號7樓");
	assert_string_equal(id.email, "daming@example.org");
	assert_string_equal(id.national_id, "B120000003");
	assert_true(identity_identified(&id));
	identity_clear(&id);

	/* The display name, when it is a person's, wins. */
	identity_from_text(&id, "謝謝", "張小華", "h@example.org");
	assert_string_equal(id.name, "張小華");
	identity_clear(&id);

	/* A nickname and no contact: not identified. */
	identity_from_text(&id, "阿明", "阿明", NULL);
	assert_null(id.name);
	assert_false(identity_identified(&id));
	identity_clear(&id);
}

static void
test_from_form(void **state)
{
	g_autoptr(GHashTable) f = g_hash_table_new(g_str_hash, g_str_equal);
	struct identity id = { 0 };

	g_hash_table_insert(f, "姓名", "陳小明");
	g_hash_table_insert(f, "性別", "男");
	g_hash_table_insert(f, "出生年月日", "民國80年1月2日");
	g_hash_table_insert(f, "聯絡電話", "(07)712-3456");
	g_hash_table_insert(f, "電子郵件", "");
	g_hash_table_insert(f, "身分證統一編號", "e100000000");
	identity_from_form(&id, f);
	assert_string_equal(id.sex, "M");
	assert_string_equal(id.birth_date, "1991-01-02");
	assert_string_equal(id.phone, "077123456");
	assert_null(id.email);
	assert_string_equal(id.national_id, "E100000000");
	assert_false(id.national_id_valid);
	assert_true(identity_identified(&id));
	identity_clear(&id);
}

/* Whose number: the line says it is the client's, a parent's or the
 * writer's own; otherwise the first, in the order written. */
static void
test_whose_phone(void **state)
{
	static const struct {
		const char *letter, *phone;
	} t[] = {
		{ "個案聯絡電話：0930-000-111（母親）\n\n王小美 社會工作師\n"
		  "(04)723-0000 分機 12\n", "047230000" },
		{ "他的手機是 0926-000-111，晚上比較好聯絡。\n"
		  "我的電話是 0912-000-222。\n", "0912000222" },
		{ "本人負責之個案，個案手機：0975-000-333。\n觀護人 江小明\n"
		  "(037)330-000 分機 5\n", "037330000" },
		{ "陳小華 輔導員\n(03)587-0000\n0932-000-444\n", "035870000" },
		{ "我媽 林阿雪 07-746-0000\n", NULL },
		{ "電話是 03-950-0000，阿嬤攏佇厝。\n", "039500000" },
		{ "聯絡電話：０９５８－０００－５５５\n", "0958000555" },
		{ "手機 09 1234 0000，晚上都可以\n", "0912340000" },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(t); i++) {
		struct identity id = { 0 };

		identity_from_text(&id, t[i].letter, NULL, NULL);
		if (g_strcmp0(id.phone, t[i].phone) != 0) {
			print_error("case %zu: got %s\n", i, id.phone);
			fail();
		}
		identity_clear(&id);
	}
}

/* Names introduced with a place, or as the Han name beside another. */
static void
test_name_intro(void **state)
{
	static const struct {
		const char *letter, *name;
	} t[] = {
		{ "我是新竹市的郭大文，三十五歲。", "郭大文" },
		{ "我叫Kaliting（漢名 潘小文），三十四歲。", "潘小文" },
		{ "我是南投埔里的黃阿嬤，今年六十八歲。", NULL },
		{ "我是他的媽媽，想問問題。", NULL },
		/* English, in any case; a long s is an s to PCRE2. */
		{ "Hello, MY NAME IS Peter Wang.", "Peter Wang" },
		{ "hi, i'M Mary Lin", "Mary Lin" },
		{ "Dear all, thi\u017f i\u017f John Lee", "John Lee" },
		/* Words the patterns need, but no name after them. */
		{ "this is urgent, I am scared", NULL },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(t); i++) {
		struct identity id = { 0 };

		identity_from_text(&id, t[i].letter, NULL, NULL);
		if (g_strcmp0(id.name, t[i].name) != 0) {
			print_error("case %zu: got %s\n", i, id.name);
			fail();
		}
		identity_clear(&id);
	}
}

/* Signatures that give a role or a phone beside the name, and an
 * address given for answers over the sender's. */
static void
test_signature_and_reply_address(void **state)
{
	static const struct {
		const char *letter, *name;
	} t[] = {
		{ "想請貴中心協助。\n\n蔡小惠 護理師\n○○醫院\n", "蔡小惠" },
		{ "特函請貴中心協助。\n觀護人 江小哲\n", "江小哲" },
		{ "拜託快回\n涂小偉 0915-000-777\n", "涂小偉" },
		{ "謝謝\n護理師 很忙\n", NULL },
	};
	struct identity id = { 0 };

	for (size_t i = 0; i < G_N_ELEMENTS(t); i++) {
		identity_from_text(&id, t[i].letter, NULL, NULL);
		if (g_strcmp0(id.name, t[i].name) != 0) {
			print_error("case %zu: got %s\n", i, id.name);
			fail();
		}
		identity_clear(&id);
	}
	identity_from_text(&id, "這是我朋友的信箱，請回信到 mine@example.org 謝謝",
			   NULL, "friend@example.org");
	assert_string_equal(id.email, "mine@example.org");
	identity_clear(&id);
	identity_from_text(&id, "我朋友 other@example.org 也想知道", NULL,
			   "me@example.org");
	assert_string_equal(id.email, "me@example.org");
	identity_clear(&id);
}

/* ID numbers typed with spaces, dashes or full-width digits. */
static void
test_national_id_typed(void **state)
{
	g_autoptr(GHashTable) f = g_hash_table_new(g_str_hash, g_str_equal);
	struct identity id = { 0 };

	g_hash_table_insert(f, "身分證統一編號", "F 131 232 216");
	identity_from_form(&id, f);
	assert_string_equal(id.national_id, "F131232216");
	assert_true(id.national_id_valid);
	identity_clear(&id);

	g_hash_table_insert(f, "身分證統一編號", "Ａ１２３４５６７８９");
	identity_from_form(&id, f);
	assert_string_equal(id.national_id, "A123456789");
	assert_true(id.national_id_valid);
	identity_clear(&id);

	identity_from_text(&id, "身分證字號 a123-456-789 謝謝", NULL, NULL);
	assert_string_equal(id.national_id, "A123456789");
	assert_true(id.national_id_valid);
	identity_clear(&id);
}

/* A contact left out of the form's box but written in the letter. */
static void
test_form_contact_in_letter(void **state)
{
	g_autoptr(GHashTable) f = g_hash_table_new(g_str_hash, g_str_equal);
	struct identity id = { 0 };

	g_hash_table_insert(f, "姓名", "");
	g_hash_table_insert(f, "電子郵件", "");
	g_hash_table_insert(f, "聯絡電話", "");
	g_hash_table_insert(f, "內容", "想申請家庭諮商。\n要聯絡的話寫信給我：\n"
				      "電子郵件：xiaowen@example.com\n"
				      "他的手機 0912-000-666\n");
	identity_from_form(&id, f);
	assert_string_equal(id.email, "xiaowen@example.com");
	/* The number the letter gives as another's is not the writer's. */
	assert_null(id.phone);
	assert_null(id.name);
	identity_clear(&id);
}

static const struct {
	const char *name, *in, *out;
} quotes[] = {
	{ "plain > quoting",
	  "好的，謝謝\n\n> 您好，我們收到了\n> 中心敬上\n", "好的，謝謝" },
	{ "Gmail zh-TW",
	  "我明天會過去\n\n2026年11月2日 週一 下午3:00 某中心 <a@b.example> 寫道：\n"
	  "\n> 請問您方便的時間\n", "我明天會過去" },
	{ "Gmail zh-TW, date after 於",
	  "收到\n\n於 2026年11月2日 週一 下午3:00，中心 <a@b.example> 寫道：\n"
	  "> 原信\n", "收到" },
	{ "Gmail English",
	  "Thanks, see you.\n\nOn Mon, Nov 2, 2026 at 3:00 PM Centre "
	  "<a@b.example> wrote:\n> original\n", "Thanks, see you." },
	{ "Outlook zh-TW header block",
	  "已經處理了。\n\n寄件者: 某中心 <a@b.example>\n寄件日期: 2026年11月2日"
	  " 下午 03:00\n收件者: x@y.example\n主旨: 回覆\n\n原來的信\n",
	  "已經處理了。" },
	{ "Outlook English original message",
	  "Done.\n-----Original Message-----\nFrom: a@b\nSent: today\n"
	  "body\n", "Done." },
	{ "signature and phone footer",
	  "我想改約時間\n-- \n王小明\n0912-000-000\n", "我想改約時間" },
	{ "iPhone footer",
	  "可以\n\n從我的 iPhone 傳送\n\n> 原信\n", "可以" },
	{ "forwarded",
	  "請看下面\n---------- Forwarded message ---------\nFrom: x\n"
	  "內容\n", "請看下面" },
	{ "bottom posting keeps the answer",
	  "> 請問您哪天方便？\n禮拜三可以\n", "禮拜三可以" },
	{ "a From: line in a letter is not a header block",
	  "From: 我自己\n想問問題\n", "From: 我自己\n想問問題" },
};

static void
test_quote_strip(void **state)
{
	for (size_t i = 0; i < G_N_ELEMENTS(quotes); i++) {
		g_autofree char *got = quote_strip(quotes[i].in);

		if (strcmp(got, quotes[i].out) != 0) {
			print_error("%s: got '%s'\n", quotes[i].name, got);
			fail();
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_national_id),
		cmocka_unit_test(test_birth_dates),
		cmocka_unit_test(test_phones),
		cmocka_unit_test(test_addresses),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_from_text),
		cmocka_unit_test(test_from_form),
		cmocka_unit_test(test_whose_phone),
		cmocka_unit_test(test_name_intro),
		cmocka_unit_test(test_signature_and_reply_address),
		cmocka_unit_test(test_national_id_typed),
		cmocka_unit_test(test_form_contact_in_letter),
		cmocka_unit_test(test_quote_strip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
