/*
 * Who wrote and how to reach them: the identity fields of LABELS.md,
 * normalised (ISO dates, phone digits, M/F/X), from the web form's fields
 * or from free text, the national ID's check digit validated.  These are
 * personal data: they go to the case register only, never to logs.
 */
#ifndef LAMPLIGHT_IDENTITY_H
#define LAMPLIGHT_IDENTITY_H

#include <glib.h>
#include <json-glib/json-glib.h>

struct identity {
	char *name;
	char *sex;		/* "M", "F", "X" */
	char *birth_date;	/* "1985-03-02" */
	char *phone;		/* digits only */
	char *email;
	char *address;
	char *national_id;	/* as written, upper case */
	gboolean national_id_valid;
};

void identity_clear(struct identity *id);

/* Whether the writer disclosed who they are: a name and a way to reach
 * them or an ID (LABELS.md). */
gboolean identity_identified(const struct identity *id);

/*
 * Fills id from the web form's fields (form.c's table).  Fields left
 * empty stay NULL; when the writer chose not to disclose (是否表明身分：否)
 * only what they still gave is kept.
 */
void identity_from_form(struct identity *id, GHashTable *form);

/*
 * Fills what id still lacks from free text (the writer's new text) and
 * the sender: the display name when it is a person's name, "我是…",
 * "本人…", a signature; phone numbers, addresses, national IDs.
 */
void identity_from_text(struct identity *id, const char *text,
			const char *from_name, const char *from_addr);

/* Whether any field of id is set. */
gboolean identity_any(const struct identity *id);

/*
 * A person as staff name them in a command or an option: "王大明
 * 1999-01-02 0912345678 男", in any order, apart by blanks or commas: a
 * phone, a birth date (ISO or 民國), a national ID, 男 or 女, and the
 * rest the name.  FALSE when there is nothing at all.
 */
gboolean identity_parse_person(const char *text, struct identity *out);

/* Whether s (one letter and nine digits) has a valid check digit. */
gboolean national_id_valid(const char *s);

/* "民國74年3月2日", "74/3/2", "1985-03-02", "1985年3月2日" -> new
 * "1985-03-02"; NULL if it is not a date. */
char *birth_date_normalise(const char *s);

/* A phone number as digits, "(02)2345-6789" -> "0223456789"; NULL if it
 * does not look like a Taiwanese or international number. */
char *phone_normalise(const char *s);

/*
 * An address as one person writes it one way and another way: full-width
 * digits and letters made plain, 台 as 臺, no spaces or punctuation, a
 * dash between numbers as 之, no leading postcode or 臺灣: "700 台南市
 * 東區 大學路１２-３號" -> new "臺南市東區大學路12之3號".  NULL when it has
 * no house number (a city or district alone names no one).
 */
char *address_normalise(const char *s);

/* Whether s looks like a person's name (Chinese with a known surname,
 * or two or three capitalised Latin words). */
gboolean person_name_plausible(const char *s);

/* The fields that are set, as a JSON object (LABELS.md's "identity"). */
JsonNode *identity_to_json(const struct identity *id);

#endif
