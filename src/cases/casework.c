/*
 * Case policy: what a filed letter does to the cases.  A bounce marks
 * the mail of ours it returns (bounce.h); a seeker's letter is filed on
 * its case or opens one (seeker.h); staff's and partners' replies act
 * on the case they answer (replies.h).  Then, after filing, the rounds
 * over all cases (rounds.h).  It holds what they need for a run
 * (casemail.h).
 */
#include "bounce.h"
#include "casework.h"
#include "replies.h"
#include "rounds.h"
#include "seeker.h"
#include "twtime.h"

struct casework {
	const struct run_opts *opts;
	struct run_stats *stats;
	struct spool *spool;
	struct casemail cm;	/* calendar, tokens, data key, templates */
	gboolean emergency;	/* an emergency was filed: send at once */
};

enum status
casework_open(const struct config *cfg, const struct run_opts *opts,
	      struct run_stats *stats, struct store *store,
	      struct spool *spool, struct casework **out, struct err *err)
{
	struct casework *cw = g_new0(struct casework, 1);
	enum status st;

	cw->opts = opts;
	cw->stats = stats;
	cw->spool = spool;
	cw->cm.cfg = cfg;
	cw->cm.store = store;
	rounds_hold(opts);
	st = casemail_open(&cw->cm, CASEMAIL_ALL, err);
	if (st != ST_OK) {
		casework_close(cw);
		return st;
	}
	*out = cw;
	return ST_OK;
}

void
casework_set_rules(struct casework *cw, const struct ruleset *rules)
{
	cw->cm.rules = rules;
}

void
casework_close(struct casework *cw)
{
	if (cw == NULL)
		return;
	casemail_done(&cw->cm);
	g_free(cw);
}

/* Whether mail of kind k is filed on a case (machine mail never is). */
static gboolean
threads(enum kind k)
{
	return kind_is_seeker(k) || k == KIND_STAFF_REPLY ||
	       k == KIND_REFERRAL_REPLY;
}

enum status
casework_file(struct casework *cw, const struct mail_msg *m,
	      const struct classification *c, const char *mailbox,
	      const char *body_hash, gint64 arrival_id, gboolean *on_case,
	      struct err *err)
{
	g_autoptr(GDateTime) now = twtime_now();
	struct casemail at = cw->cm;	/* at the letter's centre */
	enum status st = ST_OK;

	*on_case = FALSE;
	if (c->kind == KIND_BOUNCE)
		st = bounce_file(cw->cm.store, cw->stats, m, arrival_id, err);
	if (st != ST_OK || c->county[0] == '\0' || !threads(c->kind))
		return st;
	at.centre = config_centre_find(cw->cm.cfg, c->county);
	if (kind_is_seeker(c->kind))
		return seeker_file(&at, cw->stats, m, c, mailbox, body_hash,
				   arrival_id, now, on_case, &cw->emergency,
				   err);
	return replies_file(&at, cw->stats, m, c, arrival_id, now, on_case,
			    &cw->emergency, err);
}

/*
 * Sends the emergencies' mail as soon as one is filed, so that one slow
 * mailbox does not hold back an answer found in another.
 */
void
casework_send_urgent(struct casework *cw)
{
	if (!cw->emergency)
		return;
	cw->emergency = FALSE;
	rounds_send_urgent(&cw->cm, cw->opts, cw->stats);
}

enum status
casework_send_all(struct casework *cw, GDateTime *now, struct err *err)
{
	return rounds_send_all(&cw->cm, cw->opts, cw->stats, now, err);
}

enum status
casework_seal_letters(struct casework *cw, struct err *err)
{
	return rounds_seal_letters(&cw->cm, cw->spool, err);
}

enum status
casework_remind(struct casework *cw, GDateTime *now, struct err *err)
{
	return rounds_remind(&cw->cm, cw->stats, now, err);
}

enum status
casework_erase_expired(struct casework *cw, GDateTime *now, struct err *err)
{
	return rounds_erase_expired(&cw->cm, cw->spool, cw->stats, now, err);
}
