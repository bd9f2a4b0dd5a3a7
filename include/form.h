/*
 * The help webpage's form mail (spec/webform.md): one "label：value" field
 * per line, 內容 last and running to the end.  Tolerant of half-width
 * colons, spaces around labels, 台/臺 and fields out of order.
 */
#ifndef LAMPLIGHT_FORM_H
#define LAMPLIGHT_FORM_H

#include <glib.h>

#define FORM_FROM_ADDRESS "webform@moj-help.example"
#define FORM_SUBJECT_PREFIX "[求助網頁]"

/*
 * Reads the fields of a form body (UTF-8).  Returns a new hash table of
 * label -> value (both new strings; labels in the spec's spelling), or
 * NULL when text holds fewer than three known fields.
 */
GHashTable *form_parse(const char *text);

#endif
