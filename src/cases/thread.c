/*
 * Threading over the outbox, arrivals, cases and case_parties tables.
 */
#include <string.h>

#include "classify.h"
#include "outbox.h"
#include "thread.h"

/* The id of case number in county (or of the case it was merged
 * into), or 0. */
static enum status
case_in(struct store *s, const char *number, const char *county,
	gint64 *id, struct err *err)
{
	*id = 0;
	return store_query(s, err, store_read_int, id,
			   "SELECT coalesce(merged_into, id) FROM cases "
			   "WHERE number = ? AND "
			   "(?2 IS NULL OR county = ?2)",
			   "tt", number, county);
}

/* The case of a mail we sent or filed with Message-ID id, or 0. */
static enum status
case_of_message(struct store *s, const char *id, const char *county,
		gint64 *out, struct err *err)
{
	gint64 ours = 0;
	enum status st;

	*out = 0;
	st = outbox_case_of(s, id, &ours, err);
	if (st != ST_OK)
		return st;
	return store_query(s, err, store_read_int, out,
			   "SELECT coalesce(c.merged_into, c.id) FROM cases c "
			   "WHERE (?2 IS NULL OR "
			   "c.county = ?2) AND c.id IN ("
			   "  SELECT nullif(?3, 0)"
			   "  UNION ALL SELECT case_id FROM arrivals"
			   "  WHERE message_id = keyed(?1)) LIMIT 1",
			   "tti", id, county, ours);
}

static enum status
by_token(struct store *s, const struct tokens *t, const struct mail_msg *m,
	 const char *county, gint64 *id, struct err *err)
{
	g_autoptr(GPtrArray) found = token_find_all(m);
	enum status st = ST_OK;

	*id = 0;
	for (guint i = 0; st == ST_OK && *id == 0 && i < found->len; i++) {
		const char *senders[2] = { m->from_addr, m->reply_to };

		for (int k = 0; k < 2 && *id == 0 && st == ST_OK; k++) {
			g_autofree char *number = NULL;

			if (senders[k] != NULL &&
			    token_check(t, found->pdata[i], senders[k],
					&number))
				st = case_in(s, number, county, id, err);
		}
	}
	return st;
}

static enum status
by_reference(struct store *s, const struct mail_msg *m, const char *county,
	     gint64 *id, struct err *err)
{
	enum status st = ST_OK;

	*id = 0;
	if (m->in_reply_to != NULL)
		st = case_of_message(s, m->in_reply_to, county, id, err);
	for (guint i = m->references->len; st == ST_OK && *id == 0 && i > 0;
	     i--)
		st = case_of_message(s, m->references->pdata[i - 1], county,
				     id, err);
	return st;
}

static enum status
by_subject(struct store *s, const struct tokens *t,
	   const struct mail_msg *m, const char *county, gint64 *id,
	   struct err *err)
{
	g_autofree char *number = case_ref_find(m->subject);
	g_autofree char *party = NULL;
	gint64 cid = 0;
	enum status st;

	*id = 0;
	if (number == NULL || m->from_addr == NULL)
		return ST_OK;
	st = case_in(s, number, county, &cid, err);
	if (st != ST_OK || cid == 0)
		return st;
	party = token_party_hash(t, m->from_addr);
	return store_query(s, err, store_read_int, id,
			   "SELECT case_id FROM case_parties WHERE "
			   "case_id = ? AND party = ?",
			   "it", cid, party);
}

enum status
thread_find(struct store *s, const struct tokens *t,
	    const struct mail_msg *m, const char *county,
	    const char *case_ref, struct thread_match *out, struct err *err)
{
	enum status st;

	memset(out, 0, sizeof *out);
	st = by_token(s, t, m, county, &out->case_id, err);
	if (st == ST_OK && out->case_id != 0) {
		out->how = "token";
		return ST_OK;
	}
	if (st == ST_OK)
		st = by_reference(s, m, county, &out->case_id, err);
	if (st == ST_OK && out->case_id != 0) {
		out->how = "in-reply-to";
		return ST_OK;
	}
	if (st == ST_OK)
		st = by_subject(s, t, m, county, &out->case_id, err);
	if (st == ST_OK && out->case_id != 0) {
		out->how = "subject";
		return ST_OK;
	}
	if (st == ST_OK && case_ref != NULL)
		st = case_in(s, case_ref, county, &out->possible_of, err);
	return st;
}

enum status
thread_is_party(struct store *s, const struct tokens *t, gint64 case_id,
		const char *addr, gboolean *yes, struct err *err)
{
	g_autofree char *party = NULL;
	gint64 n = 0;
	enum status st;

	*yes = FALSE;
	if (addr == NULL)
		return ST_OK;
	party = token_party_hash(t, addr);
	st = store_query(s, err, store_read_int, &n,
			 "SELECT count(*) FROM case_parties WHERE "
			 "case_id = ? AND party = ?", "it", case_id, party);
	*yes = st == ST_OK && n > 0;
	return st;
}

enum status
thread_add_party(struct store *s, const struct tokens *t, gint64 case_id,
		 const char *addr, const char *role, struct err *err)
{
	g_autofree char *party = NULL;

	if (addr == NULL || *addr == '\0')
		return ST_OK;
	party = token_party_hash(t, addr);
	return store_run(s, err,
			 "INSERT INTO case_parties (case_id, party, role) "
			 "VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
			 "itt", case_id, party, role);
}
