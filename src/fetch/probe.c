/*
 * lamplight config check --connect: each mailbox opened and closed
 * through its fetch driver (connect, TLS and its certificate, login,
 * select) and the SMTP server logged in to through the outbox's own
 * curl settings, so that what works here works in a run.
 */
#include "fetch.h"
#include "outbox.h"
#include "probe.h"

enum status
probe_servers(const struct config *cfg, GPtrArray *worked, GPtrArray *failed)
{
	struct err err = { 0 };
	enum status worst = ST_OK;

	for (guint i = 0; i < cfg->centres->len; i++) {
		const struct centre *c = cfg->centres->pdata[i];
		const struct fetch_ops *ops;
		guint32 uidvalidity = 0;
		void *h = NULL;

		if (c->mailbox == NULL)
			continue;
		err_clear(&err);
		ops = fetch_ops_for(c->mailbox, &err);
		if (ops == NULL || ops->open(c, &h, &uidvalidity, &err) !=
					   ST_OK) {
			/* The certificate check names the host alone. */
			g_ptr_array_add(failed,
					g_str_has_prefix(err.msg, "mailbox ")
						? g_strdup(err.msg)
						: g_strdup_printf("mailbox %s: %s",
								  c->id,
								  err.msg));
			if (worst == ST_OK)
				worst = ST_SOURCE_BAD;
			continue;
		}
		ops->close(h);
		g_ptr_array_add(worked, g_strdup_printf("mailbox %s: %s: ok, "
							"logged in", c->id,
							c->mailbox));
	}
	err_clear(&err);
	if (outbox_check_server(cfg, &err) == ST_OK) {
		g_ptr_array_add(worked, g_strdup_printf(
				"SMTP %s: ok, %s", cfg->smtp_url,
				cfg->smtp_user != NULL ? "logged in"
						       : "connected"));
	} else {
		g_ptr_array_add(failed, g_strdup(err.msg));
		worst = err_is_setup(&err) ? ST_FATAL : ST_SOURCE_BAD;
	}
	return worst;
}
