/*
 * Did you mean: an edit distance and the threshold past which a word is
 * no longer taken for a slip.  What to say about it is the caller's.
 */
#include <string.h>

#include "suggest.h"

/* s as characters, folded to lower case: a new array of *n. */
static gunichar *
folded(const char *s, glong *n)
{
	g_autofree char *valid = g_utf8_make_valid(s, -1);
	g_autofree char *fold = g_utf8_casefold(valid, -1);

	return g_utf8_to_ucs4_fast(fold, -1, n);
}

guint
suggest_distance(const char *a, const char *b)
{
	glong n, m;
	g_autofree gunichar *s = folded(a, &n);
	g_autofree gunichar *t = folded(b, &m);
	/* Three rows of the table: a swap looks two rows back. */
	g_autofree guint *rows = g_new(guint, 3 * ((gsize)m + 1));
	guint *back2 = rows, *back = rows + m + 1, *cur = rows + 2 * (m + 1);

	for (glong j = 0; j <= m; j++)
		back[j] = (guint)j;
	for (glong i = 1; i <= n; i++) {
		guint *spare = back2;

		cur[0] = (guint)i;
		for (glong j = 1; j <= m; j++) {
			guint change = back[j - 1] + (s[i - 1] != t[j - 1]);
			guint d = MIN(MIN(back[j], cur[j - 1]) + 1, change);

			if (i > 1 && j > 1 && s[i - 1] == t[j - 2] &&
			    s[i - 2] == t[j - 1])
				d = MIN(d, back2[j - 2] + 1);
			cur[j] = d;
		}
		back2 = back;
		back = cur;
		cur = spare;
	}
	return back[m];
}

const char *
suggest_nearest(const char *word, const char *const *words)
{
	g_autofree char *valid = NULL;
	const char *best = NULL;
	guint best_d = G_MAXUINT;
	glong len;

	if (word == NULL || *word == '\0')
		return NULL;
	valid = g_utf8_make_valid(word, -1);
	len = g_utf8_strlen(valid, -1);
	for (int i = 0; words != NULL && words[i] != NULL; i++) {
		glong longer = MAX(len, g_utf8_strlen(words[i], -1));
		guint d = suggest_distance(word, words[i]);

		if (d <= MAX(1, longer / 3) && d < best_d) {
			best = words[i];
			best_d = d;
		}
	}
	return best;
}
