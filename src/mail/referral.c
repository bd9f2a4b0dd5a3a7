/* A referral's notice to the partners of its group, and a referred
 * case's result to its referrer (referral.h). */
#include "outbox.h"
#include "referral.h"
#include "thread.h"
#include "twtime.h"

enum status
referral_notice(struct store *s, const struct case_ref *c, enum group g,
		const char *agency, const char *referral_number,
		const char *due_day, gpointer data, struct err *err)
{
	const struct casemail *cm = data;
	char **to = cm->centre->partners[g];
	g_autoptr(GDateTime) now = twtime_now();
	g_autofree char *needs = NULL;
	struct identity id = { 0 }, client = { 0 };
	g_autofree char *kind = NULL;
	enum status st;

	if (to == NULL || to[0] == NULL)
		return cases_note_event(s, c, "lamplight",
					"no referral notice: no partner "
					"address", now, err);
	st = cases_needs_text(s, c, g, &needs, err);
	if (st == ST_OK && cm->vault != NULL)
		st = people_load(s, cm->vault, c->id, &id, err);
	if (st == ST_OK && cm->vault != NULL)
		st = people_load_about(s, cm->vault, c->id, &kind, &client,
				       err);
	for (int i = 0; st == ST_OK && to[i] != NULL; i++) {
		g_autofree char *token = token_make(cm->tokens, c->number,
						    to[i]);
		struct outgoing *o = NULL;

		st = notify_build_referral(cm->notify, cm->centre,
					   referral_number, token, g, agency,
					   to[i], &id, kind,
					   identity_any(&client) ? &client : NULL,
					   needs, due_day, now, &o, err);
		if (st == ST_OK)
			st = outbox_queue(cm->store, c->id, "referral",
					  OUTBOX_PRIORITY_NORMAL, o, err);
		if (st == ST_OK)
			st = thread_add_party(s, cm->tokens, c->id, to[i],
					      "partner", err);
		outgoing_free(o);
	}
	identity_clear(&id);
	identity_clear(&client);
	return st;
}

enum status
referral_result(struct store *s, const struct case_ref *c,
		const struct case_referrer *r, const char *text,
		gpointer data, struct err *err)
{
	const struct casemail *cm = data;
	g_autoptr(GDateTime) now = twtime_now();
	g_autofree char *token = token_make(cm->tokens, c->number, r->addr);
	struct outgoing *o = NULL;
	enum status st;

	st = notify_build_result(cm->notify, cm->centre, c->number, token,
				 r->unit, r->addr, text, now, &o, err);
	if (st == ST_OK)
		st = outbox_queue(s, c->id, "referrer-result",
				  OUTBOX_PRIORITY_NORMAL, o, err);
	/* Its answer, if any, finds the case. */
	if (st == ST_OK)
		st = thread_add_party(s, cm->tokens, c->id, r->addr,
				      "referrer", err);
	outgoing_free(o);
	return st;
}
