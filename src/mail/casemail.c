/* What acting on cases needs, opened and closed (casemail.h). */
#include "casemail.h"
#include "cases.h"

enum status
casemail_open(struct casemail *cm, unsigned parts, struct err *err)
{
	enum status st = ST_OK;

	if ((parts & CASEMAIL_CALENDAR) && cm->calendar == NULL)
		st = cases_calendar(cm->store, cm->cfg->calendar,
				    &cm->calendar, err);
	if (st == ST_OK && (parts & CASEMAIL_SEND) && cm->tokens == NULL)
		st = tokens_open(cm->cfg->token_key_file, FALSE, &cm->tokens,
				 err);
	if (st == ST_OK && (parts & CASEMAIL_VAULT) && cm->vault == NULL)
		st = vault_open(cm->cfg->data_key_file, FALSE, &cm->vault,
				err);
	if (st == ST_OK && (parts & CASEMAIL_SEND) && cm->notify == NULL)
		st = notify_open(cm->cfg->templates_dir, &cm->notify, err);
	return st;
}

void
casemail_done(struct casemail *cm)
{
	notify_close(cm->notify);
	calendar_free(cm->calendar);
	tokens_free(cm->tokens);
	vault_free(cm->vault);
	cm->notify = NULL;
	cm->calendar = NULL;
	cm->tokens = NULL;
	cm->vault = NULL;
}
