/*
 * Simplified Chinese, read as Traditional for matching.  The rules are
 * written in Traditional Chinese as used in Taiwan; letters in Simplified
 * Chinese (from writers raised in China, or phones set that way) are
 * converted with OpenCC (s2tw) before triage.  The original text is kept
 * for everything else.
 */
#ifndef LAMPLIGHT_HANZI_H
#define LAMPLIGHT_HANZI_H

#include <glib.h>

/* Whether text has characters that exist only in Simplified Chinese. */
gboolean hanzi_has_simplified(const char *text);

/*
 * The text in Traditional characters (Taiwan variants): a new string, or
 * NULL when there is nothing to convert.  The conversion is character
 * for character, so offsets keep their meaning.  Not for concurrent use
 * from several threads (OpenCC is opened on first need, for characters
 * beyond the Basic Multilingual Plane).
 */
char *hanzi_to_traditional(const char *text);
/* The same without the test: text known to be Simplified (its mail was
 * labelled GB2312, GBK or GB18030). */
char *hanzi_convert(const char *text);

/*
 * text (a word list's phrase) in Simplified characters: a new string,
 * or NULL when it is the same or OpenCC is unavailable.  For matching
 * letters in either script without converting them.
 */
char *hanzi_to_simplified(const char *text);

#endif
