/*
 * lamplight case list|show|note|set: the case register for staff and the
 * operator.
 *
 * Staff name themselves with --as ADDRESS, which must be a staff address
 * of a centre in the config; they see and change only that centre's
 * cases, and every change records them.  Without --as (the operator)
 * list and show read every centre but nothing can be changed.  Personal
 * data is shown masked; --reveal (staff only) shows it and export gives
 * everything held on the person, each leaving an audit row.
 *
 *   case list [--centre CODE] [--state STATE] [--overdue] [--json]
 *   case show CASE [--json] [--reveal --as ADDRESS]
 *   case export CASE --as ADDRESS
 *   case note CASE TEXT --as ADDRESS
 *   case set CASE STATE [--why TEXT] --as ADDRESS
 *       STATE is registered, contacted, assessed or follow_up; and
 *   case set CASE referred --group GROUP --agency NAME
 *       [--client "NAME BIRTH PHONE"] --as ADDRESS   (the person referred,
 *       when someone else wrote: the notice names them, not the writer)
 *   case set CASE replied --group GROUP --as ADDRESS
 *   case set CASE result-sent [--result TEXT] --as ADDRESS
 *       with --result the text is mailed to the referrer (refused when
 *       the case keeps no address of theirs); without, staff sent it
 *       another way
 *   case set CASE contact-made [--why TEXT] --as ADDRESS   (in follow-up)
 *   case set CASE closed --reason REASON [--to CODE] [--why TEXT] --as ...
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "casemail.h"
#include "cases.h"
#include "cmd.h"
#include "people.h"
#include "referral.h"
#include "twtime.h"

static char *arg_as;
static char *arg_centre;
static char *arg_state;
static gboolean arg_overdue;
static gboolean arg_json;
static char *arg_why;
static char *arg_group;
static char *arg_agency;
static char *arg_client;
static char *arg_reason;
static char *arg_to;
static gboolean arg_reveal;
static char *arg_result;

static const GOptionEntry case_options[] = {
	{ "as", 0, 0, G_OPTION_ARG_STRING, &arg_as,
	  "act as this staff address (of the case's centre)", "ADDRESS" },
	{ "centre", 0, 0, G_OPTION_ARG_STRING, &arg_centre,
	  "list: only this centre's cases", "CODE" },
	{ "state", 0, 0, G_OPTION_ARG_STRING, &arg_state,
	  "list: only cases in this state", "STATE" },
	{ "overdue", 0, 0, G_OPTION_ARG_NONE, &arg_overdue,
	  "list: only cases with a deadline passed", NULL },
	{ "json", 0, 0, G_OPTION_ARG_NONE, &arg_json, "print JSON", NULL },
	{ "why", 0, 0, G_OPTION_ARG_STRING, &arg_why,
	  "set: the reason, kept in the audit trail", "TEXT" },
	{ "group", 0, 0, G_OPTION_ARG_STRING, &arg_group,
	  "set referred|replied: health, social, employment, education or "
	  "police", "GROUP" },
	{ "agency", 0, 0, G_OPTION_ARG_STRING, &arg_agency,
	  "set referred: the agency referred to", "NAME" },
	{ "client", 0, 0, G_OPTION_ARG_STRING, &arg_client,
	  "set referred: the person referred, when someone else wrote "
	  "(name, birth date, phone, in any order)", "PERSON" },
	{ "reason", 0, 0, G_OPTION_ARG_STRING, &arg_reason,
	  "set closed: improved, reimprisoned, unreachable, deceased or "
	  "moved", "REASON" },
	{ "to", 0, 0, G_OPTION_ARG_STRING, &arg_to,
	  "set closed --reason moved: the county moved to (its case has "
	  "deadlines if a centre here serves it)", "CODE" },
	{ "result", 0, 0, G_OPTION_ARG_STRING, &arg_result,
	  "set result-sent: the result, mailed to the referrer", "TEXT" },
	{ "reveal", 0, 0, G_OPTION_ARG_NONE, &arg_reveal,
	  "show: personal data unmasked (staff; recorded)", NULL },
	{ NULL },
};

static const struct cmd_verb case_verbs[] = {
	{ "list", "", 0, 0, "the cases, with their next step and when it is "
	  "due", "as centre state overdue json" },
	{ "show", "CASE", 1, 1, "one case: its person (masked), deadlines, "
	  "referrals, events, notes", "as reveal json" },
	{ "export", "CASE", 1, 1, "everything held on its person, as JSON "
	  "(staff; recorded)", "as" },
	{ "note", "CASE TEXT", 2, 2, "add a note (staff)", "as" },
	{ "set", "CASE STATE", 2, 2, "move a case on (staff): registered, "
	  "contacted, assessed, follow_up, referred, replied, result-sent, "
	  "contact-made or closed", "as why group agency client reason to "
	  "result" },
	{ NULL },
};

const struct cmd_info cmd_case_info = {
	.name = "case",
	.summary = "the case register: list, show, export, note, set",
	.verbs = case_verbs,
	.options = case_options,
};

struct session {
	struct config *cfg;
	/* The database and calendar; the data key (NULL until a run made
	 * it); for changes, reply tokens and templates.  Its centre is
	 * the actor's (NULL: the operator), for a referral's notice. */
	struct casemail cm;
	const struct centre *centre;	/* the actor's; NULL: operator */
};

static gboolean
parse_group(const char *s, enum group *out)
{
	for (int g = 0; s != NULL && g < GROUP_COUNT; g++)
		if (strcmp(s, group_key((enum group)g)) == 0) {
			*out = (enum group)g;
			return TRUE;
		}
	return FALSE;
}

/* The centre whose staff list holds addr, or NULL. */
static const struct centre *
staff_centre(const struct config *cfg, const char *addr)
{
	for (guint i = 0; i < cfg->centres->len; i++) {
		const struct centre *c = cfg->centres->pdata[i];

		if (address_in(c->staff, addr))
			return c;
	}
	return NULL;
}

/*
 * The exit code of a change's status: a refusal is bad input (the
 * request), a busy or full database is for later, anything else is
 * lamplight's or its database's fault.
 */
static int
exit_of(enum status st)
{
	switch (st) {
	case ST_OK:
		return EXIT_OK;
	case ST_REFUSED:
		return EXIT_DATAERR;
	case ST_TEMP:
		return EXIT_TEMPFAIL;
	default:
		return EXIT_SOFTWARE;
	}
}

/*
 * Finds CASE for the actor: another centre's case is reported as not
 * found, so that its very existence does not cross.
 */
static int
find_case(struct session *ss, const char *number, struct case_ref *c)
{
	struct err err = { 0 };
	enum status st = cases_find(ss->cm.store, number, c, &err);

	if (st != ST_OK && st != ST_REFUSED) {
		fprintf(stderr, "lamplight case: %s\n", err.msg);
		case_ref_clear(c);
		return exit_of(st);
	}
	if (st == ST_REFUSED ||
	    (ss->centre != NULL && strcmp(c->county, ss->centre->code) != 0)) {
		fprintf(stderr, "lamplight case: no case %s%s%s\n", number,
			ss->centre != NULL ? " at " : "",
			ss->centre != NULL ? ss->centre->code : "");
		case_ref_clear(c);
		return EXIT_DATAERR;
	}
	return EXIT_OK;
}

static void
print_json(JsonNode *node)
{
	g_autofree char *s = json_to_string(node, TRUE);

	printf("%s\n", s);
}

static const char *
member(JsonObject *o, const char *name)
{
	JsonNode *n = json_object_get_member(o, name);

	return n != NULL && !json_node_is_null(n) ? json_node_get_string(n)
						  : "";
}

static int
do_list(struct session *ss)
{
	struct case_filter f = { .state = -1, .overdue = arg_overdue };
	g_autoptr(JsonNode) list = NULL;
	struct err err = { 0 };
	enum case_state st;
	JsonArray *a;

	f.county = ss->centre != NULL ? ss->centre->code : arg_centre;
	if (ss->centre != NULL && arg_centre != NULL &&
	    strcmp(arg_centre, ss->centre->code) != 0) {
		fprintf(stderr, "lamplight case: %s is staff of %s and sees "
			"only its cases\n", arg_as, ss->centre->code);
		return EXIT_USAGE;
	}
	if (arg_state != NULL) {
		if (!case_state_parse(arg_state, &st)) {
			fprintf(stderr, "lamplight case: unknown state '%s'\n",
				arg_state);
			return EXIT_USAGE;
		}
		f.state = (int)st;
	}
	if (cases_list(ss->cm.store, &f, &list, &err) != ST_OK) {
		fprintf(stderr, "lamplight case: %s\n", err.msg);
		return EXIT_SOFTWARE;
	}
	if (arg_json) {
		print_json(list);
		return EXIT_OK;
	}
	a = json_node_get_array(list);
	for (guint i = 0; i < json_array_get_length(a); i++) {
		JsonObject *o = json_array_get_object_element(a, i);

		printf("%-18s %-10s %-12s %-12s next %s %s%s%s%s\n",
		       member(o, "number"), member(o, "state"),
		       member(o, "urgency"), member(o, "source"),
		       member(o, "next_step"), member(o, "next_due"),
		       json_object_get_boolean_member(o, "overdue")
			       ? " OVERDUE" : "",
		       json_object_has_member(o, "next_basis_label") ? " "
								      : "",
		       member(o, "next_basis_label"));
	}
	printf("%u cases\n", json_array_get_length(a));
	return EXIT_OK;
}

/* One value as text: strings as they are, null as "-". */
static void
print_value(JsonNode *n)
{
	if (n == NULL || json_node_is_null(n))
		printf(" -");
	else if (json_node_get_value_type(n) == G_TYPE_STRING)
		printf(" %s", json_node_get_string(n));
	else if (json_node_get_value_type(n) == G_TYPE_BOOLEAN)
		printf(" %s", json_node_get_boolean(n) ? "yes" : "no");
	else
		printf(" %" G_GINT64_FORMAT, json_node_get_int(n));
}

static void
print_rows(JsonObject *o, const char *name, const char *const *fields)
{
	JsonArray *a = json_object_get_array_member(o, name);

	printf("%s:\n", name);
	for (guint i = 0; i < json_array_get_length(a); i++) {
		JsonObject *r = json_array_get_object_element(a, i);

		printf(" ");
		for (int k = 0; fields[k] != NULL; k++)
			print_value(json_object_get_member(r, fields[k]));
		printf("\n");
	}
}

/*
 * Adds "person" to o: masked, or (for staff, recorded with what) in the
 * clear.  Nothing when no data key exists yet.
 */
static int
add_person(struct session *ss, const struct case_ref *c, JsonObject *o,
	   gboolean reveal, const char *what)
{
	g_autoptr(GDateTime) now = twtime_now();
	struct identity id = { 0 };
	struct err err = { 0 };

	if (reveal && ss->centre == NULL) {
		fprintf(stderr, "lamplight case: personal data is shown only "
			"to staff of the case's centre (--as)\n");
		return EXIT_USAGE;
	}
	if (ss->cm.vault == NULL)
		return EXIT_OK;
	if (people_load(ss->cm.store, ss->cm.vault, c->id, &id, &err) !=
	    ST_OK) {
		fprintf(stderr, "lamplight case: %s\n", err.msg);
		return EXIT_SOFTWARE;
	}
	if (reveal && cases_note_event(ss->cm.store, c, arg_as, what, now,
				       &err) != ST_OK) {
		fprintf(stderr, "lamplight case: %s\n", err.msg);
		identity_clear(&id);
		return EXIT_TEMPFAIL;
	}
	json_object_set_member(o, "person", people_to_json(&id, reveal));
	identity_clear(&id);
	return EXIT_OK;
}

/* Everything held on the person of one case, for a subject access
 * request: staff only, recorded. */
static int
do_export(struct session *ss, const char *number)
{
	g_autoptr(JsonNode) node = NULL;
	struct case_ref c;
	struct err err = { 0 };
	int rc;

	if (ss->centre == NULL) {
		fprintf(stderr, "lamplight case: export needs --as ADDRESS\n");
		return EXIT_USAGE;
	}
	rc = find_case(ss, number, &c);
	if (rc != EXIT_OK)
		return rc;
	if (cases_export(ss->cm.store, &c, &node, &err) != ST_OK) {
		fprintf(stderr, "lamplight case: %s\n", err.msg);
		case_ref_clear(&c);
		return EXIT_SOFTWARE;
	}
	rc = add_person(ss, &c, json_node_get_object(node), TRUE,
			"exported");
	case_ref_clear(&c);
	if (rc == EXIT_OK)
		print_json(node);
	return rc;
}

static int
do_show(struct session *ss, const char *number)
{
	static const char *const dl[] = { "step", "start_day", "n", "rule",
					  "due_day", "outcome", "overdue",
					  "calendar", "basis_label", NULL };
	static const char *const rf[] = { "group", "agency", "referred_at",
					  "replied_at", NULL };
	static const char *const ev[] = { "at", "who", "what", "why", NULL };
	static const char *const nt[] = { "at", "who", "text", NULL };
	static const char *const ln[] = { "number", "state", "closed_reason",
					  "why", NULL };
	g_autoptr(JsonNode) node = NULL;
	struct case_ref c;
	struct err err = { 0 };
	JsonObject *o;
	int rc = find_case(ss, number, &c);

	if (rc != EXIT_OK)
		return rc;
	if (cases_show(ss->cm.store, &c, &node, &err) != ST_OK) {
		fprintf(stderr, "lamplight case: %s\n", err.msg);
		case_ref_clear(&c);
		return EXIT_SOFTWARE;
	}
	o = json_node_get_object(node);
	rc = add_person(ss, &c, o, arg_reveal, "personal data shown");
	case_ref_clear(&c);
	if (rc != EXIT_OK)
		return rc;
	if (arg_json) {
		print_json(node);
		return EXIT_OK;
	}
	printf("%s  %s (%s)  %s  %s\n", member(o, "number"),
	       member(o, "state_label"), member(o, "state"),
	       member(o, "urgency"), member(o, "source_label"));
	if (json_object_has_member(o, "person")) {
		JsonObject *p = json_object_get_object_member(o, "person");
		static const char *const pf[] = { "name", "sex", "birth_date",
						  "phone", "email", "address",
						  "national_id", NULL };

		printf("person%s:", json_object_get_boolean_member(p, "masked")
					    ? " (masked)" : "");
		for (int k = 0; pf[k] != NULL; k++)
			if (json_object_has_member(p, pf[k]))
				printf(" %s=%s", pf[k], member(p, pf[k]));
		printf("\n");
	}
	print_rows(o, "deadlines", dl);
	print_rows(o, "referrals", rf);
	print_rows(o, "events", ev);
	print_rows(o, "notes", nt);
	print_rows(o, "links", ln);
	return EXIT_OK;
}

static int
do_set(struct session *ss, const char *number, const char *what)
{
	g_autoptr(GDateTime) now = twtime_now();
	g_autofree char *handed = NULL;
	gboolean unserved = FALSE;	/* moved where nobody here works */
	struct case_ref c;
	struct err err = { 0 };
	enum case_state to;
	enum close_reason reason;
	enum group g;
	enum status st;
	int rc = find_case(ss, number, &c);

	if (rc != EXIT_OK)
		return rc;
	if (strcmp(what, "referred") == 0) {
		if (!parse_group(arg_group, &g)) {
			fprintf(stderr, "lamplight case: referred needs "
				"--group and --agency\n");
			case_ref_clear(&c);
			return EXIT_USAGE;
		}
		if (arg_client != NULL) {
			struct identity client = { 0 };

			if (!identity_parse_person(arg_client, &client)) {
				fprintf(stderr, "lamplight case: --client names "
					"no one: give a name, a birth date or "
					"a phone\n");
				case_ref_clear(&c);
				return EXIT_USAGE;
			}
			st = people_store_about(ss->cm.store, ss->cm.vault,
						c.id, NULL, &client,
						&err);
			identity_clear(&client);
			if (st != ST_OK) {
				case_ref_clear(&c);
				return cmd_exit_for(&err);
			}
		}
		st = cases_refer(ss->cm.store, ss->cm.calendar, &c, g,
				 arg_agency, arg_as, now, referral_notice,
				 &ss->cm, &err);
		if (st == ST_OK && (ss->centre->partners[g] == NULL ||
				    ss->centre->partners[g][0] == NULL))
			fprintf(stderr, "lamplight case: %s has no "
				"partners.%s address: no notice sent; tell the "
				"partner\n", ss->centre->code, group_key(g));
	} else if (strcmp(what, "replied") == 0) {
		if (!parse_group(arg_group, &g)) {
			fprintf(stderr, "lamplight case: replied needs "
				"--group\n");
			case_ref_clear(&c);
			return EXIT_USAGE;
		}
		st = cases_partner_replied(ss->cm.store, &c, g, arg_as, now,
					   &err);
	} else if (strcmp(what, "contact-made") == 0) {
		st = cases_follow_up_contact(ss->cm.store, &c, arg_as, arg_why,
					     now, &err);
	} else if (strcmp(what, "result-sent") == 0) {
		if (arg_result != NULL && *g_strstrip(arg_result) == '\0') {
			fprintf(stderr, "lamplight case: --result needs the "
				"result's text\n");
			case_ref_clear(&c);
			return EXIT_USAGE;
		}
		st = cases_result_sent(ss->cm.store, &c, arg_as, arg_result,
				       referral_result, &ss->cm, now, &err);
	} else if (strcmp(what, "closed") == 0) {
		if (!close_reason_parse(arg_reason, &reason)) {
			fprintf(stderr, "lamplight case: closed needs --reason "
				"improved, reimprisoned, unreachable, "
				"deceased or moved\n");
			case_ref_clear(&c);
			return EXIT_USAGE;
		}
		unserved = reason == CLOSE_MOVED && arg_to != NULL &&
			   config_centre_find(ss->cfg, arg_to) == NULL;
		st = cases_close(ss->cm.store, ss->cm.calendar, &c, reason,
				 arg_to, !unserved, arg_as, arg_why, now,
				 &handed, &err);
	} else if (case_state_parse(what, &to)) {
		st = cases_set_state(ss->cm.store, ss->cm.calendar, &c, to,
				     arg_as, arg_why, now, &err);
	} else {
		fprintf(stderr, "lamplight case: unknown state '%s'\n", what);
		case_ref_clear(&c);
		return EXIT_USAGE;
	}
	if (st != ST_OK) {
		fprintf(stderr, "lamplight case: %s\n", err.msg);
		case_ref_clear(&c);
		return exit_of(st);
	}
	printf("%s: %s%s%s%s%s\n", c.number, what,
	       handed ? ", handed over as " : "", handed ? handed : "",
	       unserved ? " (a centre not served here: no deadlines; hand "
			  "the person over by letter or phone)"
			: "",
	       arg_result != NULL ? ", mailed to the referrer" : "");
	case_ref_clear(&c);
	return EXIT_OK;
}

static int
do_note(struct session *ss, const char *number, const char *text)
{
	g_autoptr(GDateTime) now = twtime_now();
	struct case_ref c;
	struct err err = { 0 };
	int rc = find_case(ss, number, &c);

	if (rc != EXIT_OK)
		return rc;
	if (cases_note(ss->cm.store, &c, arg_as, text, now, &err) != ST_OK) {
		fprintf(stderr, "lamplight case: %s\n", err.msg);
		rc = exit_of(err.status);
	}
	case_ref_clear(&c);
	return rc;
}

int
cmd_case(int argc, char **argv)
{
	struct session ss = { 0 };
	struct err err = { 0 };
	const char *verb;
	gboolean changes;
	int rc = EXIT_USAGE;

	cmd_parse(&argc, &argv, &cmd_case_info);
	verb = argv[1];
	changes = strcmp(verb, "note") == 0 || strcmp(verb, "set") == 0;
	ss.cfg = cmd_load_config();
	if (ss.cfg == NULL)
		return EXIT_CONFIG;
	ss.cm.cfg = ss.cfg;
	if (arg_as != NULL) {
		ss.centre = staff_centre(ss.cfg, arg_as);
		ss.cm.centre = ss.centre;
		if (ss.centre == NULL) {
			fprintf(stderr, "lamplight case: %s is no centre's "
				"staff\n", arg_as);
			config_free(ss.cfg);
			return EXIT_USAGE;
		}
	} else if (changes) {
		fprintf(stderr, "lamplight case: %s needs --as ADDRESS: who "
			"acts is recorded\n", verb);
		config_free(ss.cfg);
		return EXIT_USAGE;
	}
	if ((rc = cmd_open_store(ss.cfg, "case", &ss.cm.store)) != 0) {
		/* said */
	} else if (casemail_open(&ss.cm, CASEMAIL_CALENDAR, &err) != ST_OK) {
		fprintf(stderr, "lamplight case: %s\n", err.msg);
		rc = cmd_exit_for(&err);
	} else if (access(ss.cfg->data_key_file, F_OK) == 0 &&
		   casemail_open(&ss.cm, CASEMAIL_VAULT, &err) != ST_OK) {
		fprintf(stderr, "lamplight case: %s\n", err.msg);
		rc = EXIT_CONFIG;
	} else if (changes &&
		   casemail_open(&ss.cm, CASEMAIL_SEND, &err) != ST_OK) {
		/* Changes may send mail: a referral's notice. */
		fprintf(stderr, "lamplight case: %s\n", err.msg);
		rc = EXIT_CONFIG;
	} else if (strcmp(verb, "list") == 0) {
		rc = do_list(&ss);
	} else if (strcmp(verb, "show") == 0) {
		rc = do_show(&ss, argv[2]);
	} else if (strcmp(verb, "export") == 0) {
		rc = do_export(&ss, argv[2]);
	} else if (strcmp(verb, "note") == 0) {
		rc = do_note(&ss, argv[2], argv[3]);
	} else {
		rc = do_set(&ss, argv[2], argv[3]);
	}
	casemail_done(&ss.cm);
	store_close(ss.cm.store);
	config_free(ss.cfg);
	return rc;
}
