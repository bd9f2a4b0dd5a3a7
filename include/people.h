/*
 * Personal data of a case (name, national ID, phone, address, birth
 * date, sex, e-mail) at rest: sealed as one record with XChaCha20-
 * Poly1305 (libsodium) under a data key kept in a file outside the
 * database, bound to its case so that records cannot be swapped.  Views
 * mask it unless a person with the right asks to see it; logs never
 * see it; closed cases lose it after the retention period.
 */
#ifndef LAMPLIGHT_PEOPLE_H
#define LAMPLIGHT_PEOPLE_H

#include <glib.h>
#include <json-glib/json-glib.h>

#include "err.h"
#include "identity.h"
#include "store.h"

#define VAULT_KEY_BYTES 32

struct vault;

/* Reads the data key (mode 0600); with create, makes a missing one. */
enum status vault_open(const char *path, gboolean create,
		       struct vault **out, struct err *err);
void vault_free(struct vault *v);
/* A short public name of the key, stored beside what it sealed. */
const char *vault_key_id(const struct vault *v);

/* s seals its personal columns with v (store.h), and owns v from now
 * on: it is freed with s. */
void vault_attach(struct vault *v, struct store *s);

/*
 * Seals id for case_id (inside the caller's transaction), and keeps a
 * keyed hash of each of its national ID, phone and address that names
 * one person (not a placeholder, a toll-free line, a bare city), each
 * kind under a key of its own, to know the person again.
 */
enum status people_store(struct store *s, const struct vault *v,
			 gint64 case_id, const struct identity *id,
			 struct err *err);
/* A phone or an address shared by more of a centre's cases than this is
 * no one person's: it links nothing. */
#define PEOPLE_SHARED_MAX 5

/*
 * Inside the caller's transaction, after people_store(): links case_id
 * to the earlier cases of its centre, in any state, whose person shares
 * a hash with its own (cases_link_person()); never to another centre's.
 * *linked counts the cases.
 */
enum status people_link_returning(struct store *s, gint64 case_id,
				  guint *linked, struct err *err);

/* Inside the caller's transaction: the hashes of every sealed record
 * not erased (those filed before they were kept), made again. */
enum status people_key_existing(struct store *s, const struct vault *v,
				struct err *err);

/*
 * Opens the record of case_id into id (left empty when there is none or
 * it was erased).  ST_FATAL if it was sealed with another key or
 * tampered with.
 */
enum status people_load(struct store *s, const struct vault *v,
			gint64 case_id, struct identity *id,
			struct err *err);

/*
 * Who the case is about, sealed with the writer's record: kind, who the
 * writer is to that person (writer_name(): a mother writing for her son
 * is "family"), and client, the person, when staff have named them (a
 * referral goes to them, not to the writer).  people_store_about() keeps
 * what it is not given (NULL); people_load_about() gives NULL (*kind,
 * new) and an empty client when nothing is kept.
 */
enum status people_store_about(struct store *s, const struct vault *v,
			       gint64 case_id, const char *kind,
			       const struct identity *client,
			       struct err *err);
enum status people_load_about(struct store *s, const struct vault *v,
			      gint64 case_id, char **kind,
			      struct identity *client, struct err *err);

/*
 * Raw letters at rest.  people_seal_file() replaces the file at path by
 * path + ".sealed" (sealed like the records, bound to the file's name),
 * written durably before the original goes; a sealed file already there
 * is kept.  people_open_file() reads one back.
 */
enum status people_seal_file(const struct vault *v, const char *path,
			     struct err *err);
enum status people_open_file(const struct vault *v, const char *sealed,
			     GBytes **out, struct err *err);

/*
 * Reads the letter name from the spool, in the clear or sealed (v may be
 * NULL when no key exists yet).
 */
struct spool;
enum status people_read_letter(struct spool *sp, const struct vault *v,
			       const char *name, GBytes **out,
			       struct err *err);

/*
 * Seals the letters filed that are not sealed yet, with or without a
 * case, quarantined or not (those a crash left, and those just filed): path(name) gives each file, or
 * NULL for one not to be sealed yet.
 */
typedef char *(*people_path_fn)(const char *spool_name, gpointer data);
enum status people_seal_letters(struct store *s, const struct vault *v,
				people_path_fn path, gpointer data,
				guint *sealed, struct err *err);

/* id as JSON: every field masked (王*明, 09**-***-142) unless reveal. */
JsonNode *people_to_json(const struct identity *id, gboolean reveal);
/* One value masked, by its field name ("name", "phone"...): new. */
char *people_mask(const char *field, const char *value);

/*
 * Erases the personal data of cases closed more than days before now:
 * the sealed record and its hashes, the reply address and subject, matched words,
 * what the outbox kept of their mail, their parties, and the raw
 * letters (spool files, through forget(spool_name, data)).  *erased
 * counts the cases.  Each leaves an audit row.
 */
typedef enum status (*people_forget_fn)(const char *spool_name,
					gpointer data, struct err *err);
enum status people_erase_expired(struct store *s, GDateTime *now,
				 guint days, people_forget_fn forget,
				 gpointer data, guint *erased,
				 struct err *err);

#endif
