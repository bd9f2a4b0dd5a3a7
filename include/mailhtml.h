/*
 * The HTML twin of a plain-text mail to staff, for the webmail and the
 * phone that show a list better than aligned text.  It is made from the
 * text itself, so the two never say different things: paragraphs apart
 * by blank lines; a line ending in "：" over indented lines is a heading
 * over a list; a block between two rules of dashes is a quoted letter,
 * shown as written.  Every byte of the text is escaped: a letter's words
 * can never become markup, and only addresses at our own domain (reply
 * and note addresses, the centre's) become mailto: links, never inside
 * the quoted letter.
 */
#ifndef LAMPLIGHT_MAILHTML_H
#define LAMPLIGHT_MAILHTML_H

#include <glib.h>

/*
 * A whole HTML document for text (UTF-8), titled title, the addresses
 * at domain ("centers.moj-help.example"; NULL: none) linked.  New
 * string.
 */
char *mailhtml_from_text(const char *title, const char *text,
			 const char *domain);

#endif
