/*
 * Mail templates: editable UTF-8 text files in the templates directory,
 * a "Subject: ..." line, an empty line, then the body.  {{name}} stands
 * for a value; unknown names fail the load, so a typo never reaches a
 * reader.  Only the mail to a centre's own people carries a letter or
 * how to reach its writer (letter, contact, reasons): what goes to
 * writers and partners is filled by code that never passes them.
 */
#ifndef LAMPLIGHT_TEMPLATE_H
#define LAMPLIGHT_TEMPLATE_H

#include <glib.h>

#include "err.h"

/* The variables every template may use, NULL-terminated. */
extern const char *const template_vars[];

struct template {
	char *name;	/* "ack-emergency" */
	char *subject;
	char *body;
};

/* Loads dir/name.txt; err names file and line of a problem. */
enum status template_load(const char *dir, const char *name,
			  struct template **out, struct err *err);
void template_free(struct template *t);

/* Replaces {{var}} by vars[var] (absent: empty); returns a new string. */
char *template_expand(const char *text, GHashTable *vars);

#endif
