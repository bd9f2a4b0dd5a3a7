/*
 * What the rules and the prefilter need to know of PCRE2's pattern
 * syntax to walk a pattern: where each element ends, so that a '(' or
 * a '{' inside an escape, a character class or a \Q...\E is not taken
 * for a group or a word list.
 */
#ifndef LAMPLIGHT_RESYNTAX_H
#define LAMPLIGHT_RESYNTAX_H

#include <stddef.h>

/*
 * The length in bytes of the pattern element at p: an escape
 * (\x{3000}, \p{Han}, a backslash and one character), a quoted run
 * \Q...\E, a character class to its closing ']' ([^]a], [[:alpha:]],
 * escapes inside), or else one character.  An element left open runs to
 * the end of the pattern; 0 at its end.
 */
size_t re_element_len(const char *p);

#endif
