/*
 * The configuration: one GLib key file naming the state directory, the
 * rules and templates, the SMTP submission server and the centres, each
 * with its mailbox, staff, duty address and partner agencies.  Secrets are
 * read from files the config names, never from the config text.
 */
#ifndef LAMPLIGHT_CONFIG_H
#define LAMPLIGHT_CONFIG_H

#include <glib.h>

#include "err.h"
#include "vocab.h"

#define CENTRE_COUNT COUNTY_COUNT

/* What happens to the server copy once a message is filed. */
enum after_fetch {
	AFTER_FETCH_SEEN,	/* flag \Seen (IMAP); maildir: move to cur/ */
	AFTER_FETCH_KEEP,	/* leave it; our own state skips it */
	AFTER_FETCH_DELETE,	/* expunge or unlink */
	AFTER_FETCH_MOVE,	/* into the folder move_to (IMAP, Maildir) */
};

/* Senders of referrals by mail, as the case sources they are. */
enum referrer {
	REFERRER_DISPATCH,	/* the 0800 line: 電子派案, 諮詢紀錄 */
	REFERRER_CORRECTIONS,	/* 矯正機關 */
	REFERRER_PROBATION,	/* 地檢署觀護人室 */
	REFERRER_AFTERCARE,	/* 更生保護會 */
	REFERRER_POLICE,	/* 司法警察 */
	REFERRER_OTHER,		/* 其他: 社會、衛生醫療等機構團體或其他毒危中心 */
	REFERRER_COUNT,
};

/* The config key ("dispatch") and case source of each; NULL past. */
const char *referrer_key(enum referrer r);

struct centre {
	char code[4];		/* "TPE", as in spec/webform.md */
	char *id;		/* "tpe": mailbox id in state and spool */
	char *name;		/* 臺北市政府毒品危害防制中心 */
	char *address;		/* the centre's own mail address */
	char *mailbox;		/* URL, or NULL when not fetched */
	char *password;		/* from password_file; never printed */
	char *ca_file;		/* NULL: the system trust store */
	gboolean starttls;	/* imap://, pop3://: require STARTTLS/STLS */
	guint timeout;		/* seconds; copied from the config's */
	enum after_fetch after_fetch;
	char *move_to;		/* folder for AFTER_FETCH_MOVE */
	char **staff;		/* NULL-terminated; may be empty */
	char *duty;		/* duty officer's address, or NULL */
	/* Staff secrets (verify.h): lowercased address -> secret, from
	 * staff_secrets_file; NULL when none.  Never printed. */
	GHashTable *staff_secrets;
	char **secret_required;	/* staff who must give theirs; may be
				 * NULL */
	gboolean staff_notices;	/* staff get each new case and letter */
	char **partners[GROUP_COUNT];	/* NULL-terminated each */
	/* Who may refer cases in by mail (docs/referral-mail.md), by the
	 * source they stand for: referrers[REFERRER_POLICE]... */
	char **referrers[REFERRER_COUNT];
	/* Mail to writers under a neutral sender name and subject, for
	 * writers who share a phone (notify.h): ack_discreet, and the
	 * name and subject it uses (defaults filled in when on). */
	gboolean ack_discreet;
	char *ack_sender_name;	/* "服務通知" */
	char *ack_subject;	/* "您的來信已收到" */
};

struct config {
	char *path;		/* as given */
	char *dir;		/* relative paths are taken from here */
	char *state_dir;
	char *rules_dir;
	char *templates_dir;
	char *calendar;		/* the office calendar file (calendar.h) */
	char *token_key_file;	/* HMAC key of reply tokens (token.h) */
	char *data_key_file;	/* key sealing personal data (people.h) */
	guint retention_days;	/* personal data kept after closing */
	guint auto_mail_per_day;	/* answers to one address a day */
	/* authserv-ids whose Authentication-Results vouch for staff
	 * (verify.h); NULL-terminated, may be empty */
	char **trusted_authserv;
	guint64 max_message_bytes;
	guint fetch_concurrency;	/* mailboxes fetched at once */
	guint timeout;		/* seconds a server may stay silent */
	guint busy_timeout;	/* seconds to wait for the database */
	/* A run finding the lock held says so only once it is older than
	 * this (minutes): before, it is a run still at work. */
	guint lock_warn_after;
	/* A mailbox's first run with more letters than this waits for a
	 * backfill (run --no-send); 0: no limit. */
	guint first_run_limit;
	char *smtp_url;
	char *smtp_ca_file;
	char *smtp_user;
	char *smtp_password;
	gboolean smtp_starttls;	/* require STARTTLS on smtp:// */
	GPtrArray *centres;	/* of struct centre *, in file order */
};

/*
 * Loads and checks the key file at path.  Every problem found is appended
 * to problems (new strings, "path:LINE: message"), and the status is then
 * ST_FATAL; on ST_OK *out is a new config, freed with config_free().
 */
enum status config_load(const char *path, struct config **out,
			GPtrArray *problems, struct err *err);
void config_free(struct config *cfg);

/* The centre with this code ("TPE"/"tpe") or mailbox id; NULL if none. */
const struct centre *config_centre_find(const struct config *cfg,
					const char *code);

/* The centre whose own address is addr (case-insensitive); NULL if none. */
const struct centre *config_centre_by_address(const struct config *cfg,
					      const char *addr);

/*
 * Whether addr may refer cases in to centre c; *r says as what.
 */
gboolean config_referrer(const struct centre *c, const char *addr,
			 enum referrer *r);

/* Whether s looks like a usable mail address (no spaces, one @, no CR/LF). */
gboolean address_valid(const char *s);
/* Whether addr is in list (NULL-terminated, may be NULL), without case. */
gboolean address_in(char **list, const char *addr);
/* Whether addr is a staff or the duty address of centre c. */
gboolean centre_staff(const struct centre *c, const char *addr);
/* The part of addr after its last '@' (a pointer into it), or NULL. */
const char *address_domain(const char *addr);
/*
 * addr as one mailbox, the way limits count it: lower case, without a
 * +tag ("victim+8@" is "victim@"), and at Gmail without the dots it
 * ignores.  New.
 */
char *address_canonical(const char *addr);
/* Whether domain d is dom or one of its subdomains (without case). */
gboolean domain_within(const char *d, const char *dom);

#endif
