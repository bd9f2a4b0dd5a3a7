/* Reply tokens: made for one recipient, found again, refused otherwise. */
#include <string.h>
#include <sys/stat.h>

#include "testutil.h"

#include "token.h"

static struct tokens *
open_key(const char *dir)
{
	g_autofree char *path = g_build_filename(dir, "token.key", NULL);
	struct tokens *t = NULL;
	struct err err = { 0 };

	assert_int_equal(tokens_open(path, TRUE, &t, &err), ST_OK);
	return t;
}

static void
test_made_for_one_recipient(void **state)
{
	g_autofree char *dir = scratch_new();
	struct tokens *t = open_key(dir);
	g_autofree char *tok = token_make(t, "TPE-1151123-0001",
					  "Seeker@Example.org");
	g_autofree char *num = NULL;
	g_autofree char *forged = g_strdup(tok);

	assert_true(g_str_has_prefix(tok, "TPE-1151123-0001."));
	assert_int_equal(strlen(tok), strlen("TPE-1151123-0001.") +
					      TOKEN_MAC_BYTES * 2);
	/* Addresses compare without case. */
	assert_true(token_check(t, tok, "seeker@example.org", &num));
	assert_string_equal(num, "TPE-1151123-0001");
	g_clear_pointer(&num, g_free);
	assert_false(token_check(t, tok, "other@example.org", &num));
	/* Another case number with the same mac: refused. */
	forged[15] = '2';
	assert_false(token_check(t, forged, "seeker@example.org", &num));
	/* A mac one digit off: refused. */
	g_free(forged);
	forged = g_strdup(tok);
	forged[strlen(forged) - 1] ^= 1;
	assert_false(token_check(t, forged, "seeker@example.org", &num));
	assert_false(token_check(t, "garbage", "seeker@example.org", &num));
	assert_null(num);
	tokens_free(t);

	/* The same key file again: the same tokens. */
	t = open_key(dir);
	{
		g_autofree char *again = token_make(t, "TPE-1151123-0001",
						    "seeker@example.org");

		assert_string_equal(again, tok);
	}
	tokens_free(t);
	scratch_remove(dir);
}

static void
test_key_file_guarded(void **state)
{
	g_autofree char *dir = scratch_new();
	g_autofree char *path = g_build_filename(dir, "token.key", NULL);
	struct tokens *t = NULL;
	struct err err = { 0 };
	struct stat sb;

	assert_int_equal(tokens_open(path, FALSE, &t, &err), ST_FATAL);
	t = open_key(dir);
	tokens_free(t);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_int_equal(sb.st_size, TOKEN_KEY_BYTES);
	chmod(path, 0644);
	assert_int_equal(tokens_open(path, TRUE, &t, &err), ST_FATAL);
	assert_non_null(strstr(err.msg, "readable by others"));
	scratch_remove(dir);
}

static void
test_found_in_replies(void **state)
{
	g_autofree char *dir = scratch_new();
	struct tokens *t = open_key(dir);
	g_autofree char *tok = token_make(t, "KHH-1151123-0042", "a@b.example");
	g_autofree char *mid = token_message_id(tok, "khh@centers.example");
	g_autofree char *reply = token_reply_to(tok, "khh@centers.example");
	g_autofree char *other = token_make(t, "KHH-1151123-0007",
					    "a@b.example");
	g_autofree char *mid2 = token_message_id(other, "khh@centers.example");
	struct mail_msg m = { 0 };
	g_autoptr(GPtrArray) found = NULL;

	assert_true(g_str_has_prefix(mid, "lamplight."));
	assert_true(g_str_has_suffix(mid, "@centers.example"));
	assert_true(g_str_has_prefix(reply, "khh+KHH-1151123-0042."));
	assert_true(g_str_has_suffix(reply, "@centers.example"));
	m.to = g_ptr_array_new();
	m.references = g_ptr_array_new();
	g_ptr_array_add(m.to, "someone@else.example");
	g_ptr_array_add(m.to, reply);
	m.in_reply_to = mid2;
	g_ptr_array_add(m.references, "unrelated@x.example");
	g_ptr_array_add(m.references, mid);
	g_ptr_array_add(m.references, "lamplight.not-a-token.1@x");
	found = token_find_all(&m);
	/* Recipient first, then In-Reply-To, then References newest first. */
	assert_int_equal(found->len, 3);
	assert_string_equal(found->pdata[0], tok);
	assert_string_equal(found->pdata[1], other);
	assert_string_equal(found->pdata[2], tok);
	g_ptr_array_free(m.to, TRUE);
	g_ptr_array_free(m.references, TRUE);
	tokens_free(t);
	scratch_remove(dir);
}

static void
test_party_hash(void **state)
{
	g_autofree char *dir = scratch_new();
	struct tokens *t = open_key(dir);
	g_autofree char *a = token_party_hash(t, "Seeker@example.org");
	g_autofree char *b = token_party_hash(t, "seeker@EXAMPLE.org");
	g_autofree char *c = token_party_hash(t, "other@example.org");

	assert_string_equal(a, b);
	assert_string_not_equal(a, c);
	assert_null(strchr(a, '@'));
	tokens_free(t);
	scratch_remove(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_made_for_one_recipient),
		cmocka_unit_test(test_key_file_guarded),
		cmocka_unit_test(test_found_in_replies),
		cmocka_unit_test(test_party_hash),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
