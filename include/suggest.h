/*
 * "Did you mean": the word a slip was most likely meant to be, among the
 * words a place takes (county codes, config keys, commands, their
 * sub-commands and options).  The one owner of how near is near.
 */
#ifndef LAMPLIGHT_SUGGEST_H
#define LAMPLIGHT_SUGGEST_H

#include <glib.h>

/*
 * The edit distance between a and b in characters, case ignored: the
 * fewest insertions, deletions, changes and swaps of two neighbours
 * ("lsit": "list" is one) that make one the other, a character changed
 * only once (optimal string alignment).  What is not UTF-8 counts as
 * U+FFFD, the replacement character.
 */
guint suggest_distance(const char *a, const char *b);

/*
 * The word of words (NULL-terminated; NULL for none) that word is most
 * likely a slip for: the nearest, the first of those as near, when it is
 * near enough to be meant (a distance of at most a third of the longer
 * one's length, and one for short words); else NULL.  Borrowed from
 * words.
 */
const char *suggest_nearest(const char *word, const char *const *words);

#endif
