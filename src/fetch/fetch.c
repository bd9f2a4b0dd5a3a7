/*
 * Choosing a fetch driver by the mailbox URL's scheme.
 */
#include "fetch.h"

void
fetch_entry_free(struct fetch_entry *e)
{
	if (e == NULL)
		return;
	g_free(e->uid);
	g_free(e);
}

const struct fetch_ops *
fetch_ops_for(const char *url, struct err *err)
{
	if (g_str_has_prefix(url, "maildir:"))
		return &fetch_maildir_ops;
	if (g_str_has_prefix(url, "imap://") ||
	    g_str_has_prefix(url, "imaps://"))
		return &fetch_imap_ops;
	if (g_str_has_prefix(url, "pop3://") ||
	    g_str_has_prefix(url, "pop3s://"))
		return &fetch_pop3_ops;
	err_set(err, ST_SOURCE_BAD, "no fetch driver for this mailbox URL");
	return NULL;
}
