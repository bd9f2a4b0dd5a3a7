/*
 * lamplight classify [--json] FILE...: how lamplight reads each message,
 * without filing anything.  --json prints one object per file per line
 * with the field names of the labelled corpus (LABELS.md).
 *
 * Many files are shared among --jobs worker processes, one per processor
 * by default.  Worker k reads files k, k + jobs, k + 2 jobs, ... and
 * writes what it finds for each, ended by a NUL, to its own pipe; the
 * parent reads the pipes in turn, so the output keeps the files' order.
 * Processes, not threads: each has its own rules, caches and watchdog.
 *
 * A copy of another file given (the same Message-ID and body, as a run
 * tells a message delivered twice) is shown as a copy of the one
 * delivered first, whatever the files' order: a run files it once.
 */
#include <errno.h>
#include <fcntl.h>
#include <gmime/gmime.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "classify.h"
#include "cmd.h"
#include "log.h"
#include "mime.h"
#include "watchdog.h"

static gboolean arg_json;
static char *arg_rules;
static char *arg_files_from;
static int arg_jobs;

static const GOptionEntry classify_options[] = {
	{ "json", 0, 0, G_OPTION_ARG_NONE, &arg_json,
	  "one JSON object per file, on one line", NULL },
	{ "rules", 0, 0, G_OPTION_ARG_FILENAME, &arg_rules,
	  "rules directory (default: the config's rules_dir)", "DIR" },
	{ "files-from", 0, 0, G_OPTION_ARG_FILENAME, &arg_files_from,
	  "read the names of the files, one per line, from FILE (- for "
	  "standard input)", "FILE" },
	{ "jobs", 'j', 0, G_OPTION_ARG_INT, &arg_jobs,
	  "worker processes (default: one per processor)", "N" },
	{ NULL },
};

const struct cmd_info cmd_classify_info = {
	.name = "classify",
	.summary = "how messages would be read: kind, centre, urgency, reasons",
	.args = "FILE...",
	.max_args = G_MAXUINT,	/* none with --files-from */
	.options = classify_options,
};

static void
print_text(const char *file, const struct classification *c)
{
	printf("%s: %s", file, kind_name(c->kind));
	printf(", county %s", c->county[0] ? c->county : "unknown");
	if (c->triage != NULL) {
		printf(", urgency %s", urgency_name(c->triage->urgency));
		for (guint i = 0; i < c->triage->needs->len; i++)
			printf("%s%s", i ? " " : ", needs ",
			       (char *)c->triage->needs->pdata[i]);
	}
	if (c->case_ref != NULL)
		printf(", case %s", c->case_ref);
	printf(", %s\n", c->reply_addr ? "answerable" : "no answer");
	for (guint i = 0; c->triage != NULL && i < c->triage->hits->len; i++) {
		const struct rule_hit *h =
			&g_array_index(c->triage->hits, struct rule_hit, i);

		printf("  %s (%+d) at %ld-%ld: %s\n", rule_id(h->rule),
		       rule_weight(h->rule), h->start, h->end, h->match);
	}
}

/* What is printed for a copy of an earlier file: filed once, not again. */
static void
print_copy(const char *file, const struct classification *c,
	   const char *original)
{
	JsonObject *o;
	g_autoptr(JsonNode) node = NULL;
	g_autofree char *s = NULL;

	if (!arg_json) {
		printf("%s: a copy of %s (the same Message-ID and body), "
		       "filed once\n", file, original);
		return;
	}
	o = json_object_new();
	json_object_set_string_member(o, "file", file);
	json_object_set_string_member(o, "kind", kind_name(KIND_OTHER));
	json_object_set_string_member(o, "source", c->source);
	if (c->county[0] != '\0')
		json_object_set_string_member(o, "county", c->county);
	else
		json_object_set_null_member(o, "county");
	json_object_set_null_member(o, "urgency");
	json_object_set_array_member(o, "needs", json_array_new());
	json_object_set_null_member(o, "writer");
	json_object_set_boolean_member(o, "identified", FALSE);
	json_object_set_object_member(o, "identity", json_object_new());
	json_object_set_null_member(o, "case_ref");
	json_object_set_string_member(o, "duplicate_of", original);
	json_object_set_array_member(o, "reasons", json_array_new());
	node = json_node_init_object(json_node_alloc(), o);
	json_object_unref(o);
	s = json_to_string(node, FALSE);
	printf("%s\n", s);
}

/*
 * The bytes of file: kept (kept_len bytes) when find_copies() kept them,
 * else read now into *read (new) and *len.  NULL if it cannot be read.
 */
static const char *
file_bytes(const char *file, const char *kept, gsize kept_len, char **read,
	   gsize *len, GError **gerr)
{
	*len = kept_len;
	if (kept != NULL)
		return kept;
	return g_file_get_contents(file, read, len, gerr) ? *read : NULL;
}

/*
 * Classifies file and prints what it is.  kept, when not NULL, is the
 * file's content (kept_len bytes) as find_copies() read it.
 */
static int
classify_file(const struct classify_ctx *ctx, const char *file,
	      const char *original, gsize max_bytes, const char *kept,
	      gsize kept_len)
{
	g_autofree char *read = NULL;
	g_autoptr(GError) gerr = NULL;
	struct mail_msg *m = NULL;
	struct classification *c = NULL;
	struct err err = { 0 };
	gsize len;
	const char *data = file_bytes(file, kept, kept_len, &read, &len,
				      &gerr);

	if (data == NULL) {
		log_error("%s", gerr->message);
		return EXIT_DATAERR;
	}
	if (len > max_bytes) {
		log_error("%s: over the size cap", file);
		return EXIT_DATAERR;
	}
	watchdog_arm(file);
	if (mail_parse(data, len, &m, &err) != ST_OK ||
	    classify_mail(ctx, m, &c, &err) != ST_OK) {
		watchdog_disarm();
		log_error("%s: %s", file, err.msg);
		mail_msg_free(m);
		return EXIT_DATAERR;
	}
	if (watchdog_disarm()) {
		/* It gave up early: what it found is not the letter's. */
		log_error("%s: reading it took over %u ms: set aside", file,
			  watchdog_cap_ms());
		classification_free(c);
		mail_msg_free(m);
		return EXIT_DATAERR;
	}
	if (original != NULL) {
		print_copy(file, c, original);
	} else if (arg_json) {
		g_autoptr(JsonNode) node =
			classification_to_json_full(c, m, file);
		g_autofree char *s = json_to_string(node, FALSE);

		printf("%s\n", s);
	} else {
		print_text(file, c);
	}
	classification_free(c);
	mail_msg_free(m);
	return EXIT_OK;
}

/* How much of a file is read for its Message-ID and Received lines,
 * and how much at a time. */
#define HEAD_MAX (64u << 10)
#define HEAD_FIRST (16u << 10)
#define HEAD_STEP (8u << 10)
/* How much of the files read whole by find_copies() is kept for
 * classify_file(), which would otherwise open and read them again. */
#define KEEP_MAX (64u << 20)

/*
 * What find_copies() keeps: the files read whole, one after the other in
 * one mapping of KEEP_MAX bytes, read straight into it.  One mapping
 * lets the kernel back it with huge pages, a fault for each 2 MiB
 * instead of each 4 KiB page (the faults cost more than the reads they
 * spare otherwise).  A pipe ("classify /dev/stdin") can be read only
 * once: it is always kept, in a buffer of its own.
 */
struct keep {
	char *arena;		/* KEEP_MAX bytes, or NULL */
	size_t used;
	const char **data;	/* of each file: its bytes, or NULL */
	gsize *len;
	GPtrArray *streams;	/* the pipes' buffers */
};

static void
keep_init(struct keep *kp, guint files)
{
	kp->arena = mmap(NULL, KEEP_MAX, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (kp->arena == MAP_FAILED)
		kp->arena = NULL;	/* nothing kept: each is read again */
	else
		madvise(kp->arena, KEEP_MAX, MADV_HUGEPAGE);
	kp->used = 0;
	kp->data = g_new0(const char *, files);
	kp->len = g_new0(gsize, files);
	kp->streams = g_ptr_array_new_with_free_func(g_free);
}

static void
keep_clear(struct keep *kp)
{
	if (kp->arena != NULL)
		munmap(kp->arena, KEEP_MAX);
	g_free(kp->data);
	g_free(kp->len);
	g_ptr_array_free(kp->streams, TRUE);
}

/* Where the next file's first read goes: the arena while a file of
 * HEAD_MAX bytes fits in what is left of it, else buf. */
static char *
keep_room(const struct keep *kp, char *buf)
{
	return kp->arena != NULL && KEEP_MAX - kp->used > HEAD_MAX
		       ? kp->arena + kp->used
		       : buf;
}

/*
 * The value of the first header name in the header block of data (len
 * bytes), unfolded, or NULL.  name ends with ':'.
 */
static char *
head_value(const char *data, size_t len, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = data, *end = data + len; p < end;) {
		const char *eol = memchr(p, '\n', end - p);
		size_t line = (eol != NULL ? eol : end) - p;

		if (line == 0 || (line == 1 && *p == '\r'))
			return NULL;	/* the end of the header */
		if (line >= n && g_ascii_strncasecmp(p, name, n) == 0) {
			GString *v = g_string_new_len(p + n, line - n);

			/* Continuation lines start with blanks. */
			while (eol != NULL && eol + 1 < end &&
			       (eol[1] == ' ' || eol[1] == '\t')) {
				p = eol + 1;
				eol = memchr(p, '\n', end - p);
				g_string_append_len(
					v, p, (eol != NULL ? eol : end) - p);
			}
			return g_strstrip(g_string_free(v, FALSE));
		}
		p = eol != NULL ? eol + 1 : end;
	}
	return NULL;
}

/*
 * The header block of file (up to HEAD_MAX bytes) into buf; its length,
 * or 0.  Read a few kilobytes at a time: most headers end in the first,
 * and most letters too: then *whole is TRUE and buf holds all of file
 * (a read that returns less than asked of a file is at its end).  What
 * is not a file (a pipe: "classify /dev/stdin") is read to its end, up
 * to max_bytes and one more, into *stream (new, NUL-terminated; whole).
 */
static size_t
head_read(const char *file, char *buf, gsize max_bytes, gboolean *whole,
	  GByteArray **stream)
{
	int fd = open(file, O_RDONLY | O_CLOEXEC);
	size_t n = 0;
	struct stat st;

	*whole = FALSE;
	*stream = NULL;
	if (fd < 0)
		return 0;
	if (fstat(fd, &st) != 0) {
		close(fd);
		return 0;	/* classify_file() will say why */
	}
	if (!S_ISREG(st.st_mode)) {
		GByteArray *all = g_byte_array_new();
		guint8 chunk[HEAD_STEP];
		ssize_t got;

		while (all->len <= max_bytes &&
		       (got = read(fd, chunk, sizeof chunk)) > 0)
			g_byte_array_append(all, chunk, (guint)got);
		n = all->len;
		g_byte_array_append(all, (const guint8 *)"", 1);
		close(fd);
		*stream = all;
		*whole = TRUE;
		return n;
	}
	while (n < HEAD_MAX) {
		size_t ask = MIN(n == 0 ? HEAD_FIRST : HEAD_STEP, HEAD_MAX - n);
		ssize_t got = read(fd, buf + n, ask);
		size_t from = n >= 2 ? n - 2 : 0;	/* a blank line may */
		size_t span;				/* straddle reads */

		if (got < 0)
			break;
		n += got;
		if ((size_t)got < ask) {
			*whole = TRUE;
			break;
		}
		span = n - from;
		if (memmem(buf + from, span, "\n\n", 2) != NULL ||
		    memmem(buf + from, span, "\n\r\n", 3) != NULL)
			break;	/* the end of the header */
	}
	/* A file that grew as it was read is not known whole. */
	if (*whole && (guint64)st.st_size != n)
		*whole = FALSE;
	close(fd);
	return n;
}

/*
 * What tells copies apart, from one reading of file: the SHA-256 of its
 * body, as a run keys copies, and when it reached us (the date of its
 * topmost Received line, else never).  FALSE if it cannot be read.
 */
static gboolean
copy_key(const char *file, const char *kept, gsize kept_len,
	 gsize max_bytes, char hash[65], gint64 *at)
{
	g_autofree char *read = NULL, *recv = NULL;
	const char *data, *semi;
	GDateTime *t = NULL;
	gsize len;

	*at = G_MAXINT64;
	data = file_bytes(file, kept, kept_len, &read, &len, NULL);
	if (data == NULL || len > max_bytes)
		return FALSE;
	mail_body_hash(data, len, hash);
	recv = head_value(data, MIN(len, HEAD_MAX), "Received:");
	semi = recv != NULL ? strrchr(recv, ';') : NULL;
	if (semi != NULL)
		t = g_mime_utils_header_decode_date(semi + 1);
	if (t != NULL) {
		*at = g_date_time_to_unix(t);
		g_date_time_unref(t);
	}
	return TRUE;
}

/* Whether copy a was delivered before copy b (then by name). */
static gboolean
delivered_before(const char *a, gint64 at_a, const char *b, gint64 at_b)
{
	return at_a != at_b ? at_a < at_b : strcmp(a, b) < 0;
}

/* The body length of a file not read whole; of one kept whole in a
 * struct keep, not measured yet. */
#define UNREAD G_MAXSIZE
#define KEPT (G_MAXSIZE - 1)

/* Whether the k-th file of same may share its body length with another
 * of them (one not read whole may). */
static gboolean
length_shared(const gsize *body_len, const GArray *same, guint k)
{
	gsize mine = body_len[g_array_index(same, guint, k)];

	for (guint j = 0; j < same->len; j++) {
		gsize other = body_len[g_array_index(same, guint, j)];

		if (j != k && (other == mine || other == UNREAD ||
			       mine == UNREAD))
			return TRUE;
	}
	return FALSE;
}

/*
 * For each file that is a copy of another (the same Message-ID and
 * body hash), the name of the copy delivered first; NULL for the rest.
 * Only files that share a Message-ID and a body length are read whole.
 * The files that the first read took whole (most letters) are kept in
 * kp, NUL-terminated, as long as its arena has room.
 */
static const char **
find_copies(GPtrArray *files, gsize max_bytes, struct keep *kp)
{
	const char **original = g_new0(const char *, files->len);
	g_autoptr(GHashTable) by_id = g_hash_table_new_full(
		g_str_hash, g_str_equal, g_free,
		(GDestroyNotify)g_array_unref);
	g_autofree char *buf = g_malloc(HEAD_MAX);
	g_autofree gsize *body_len = g_new0(gsize, files->len);
	GHashTableIter it;
	GArray *same;

	for (guint i = 0; i < files->len; i++) {
		gboolean whole;
		GByteArray *stream;
		char *head = keep_room(kp, buf);
		size_t n = head_read(files->pdata[i], head, max_bytes, &whole,
				     &stream);
		char *id;

		if (stream != NULL) {
			/* A pipe: what was read is all there is. */
			head = (char *)g_byte_array_free(stream, FALSE);
			g_ptr_array_add(kp->streams, head);
			kp->data[i] = head;
			kp->len[i] = n;
		} else if (whole && head != buf && n <= max_bytes) {
			/* A whole file read into the arena stays there
			 * (head_read() reads less than HEAD_MAX when it reads
			 * a file whole). */
			head[n] = '\0';
			kp->data[i] = head;
			kp->len[i] = n;
			kp->used += n + 1;
		}
		id = head_value(head, MIN(n, HEAD_MAX), "Message-ID:");

		if (id == NULL || *id == '\0') {
			g_free(id);
			continue;
		}
		/* Measured now only if it cannot be later, from kp: most
		 * files share their Message-ID with none. */
		body_len[i] = !whole		 ? UNREAD
			      : kp->data[i] != NULL ? KEPT
						    : mail_body_length(head, n);
		same = g_hash_table_lookup(by_id, id);
		if (same == NULL) {
			same = g_array_new(FALSE, FALSE, sizeof(guint));
			g_hash_table_insert(by_id, id, same);
		} else {
			g_free(id);
		}
		g_array_append_val(same, i);
	}
	g_hash_table_iter_init(&it, by_id);
	while (g_hash_table_iter_next(&it, NULL, (gpointer *)&same)) {
		guint n = same->len;
		g_autofree char(*hash)[65] = NULL;
		g_autofree gint64 *at = NULL;

		if (n < 2)
			continue;
		for (guint k = 0; k < n; k++) {
			guint fk = g_array_index(same, guint, k);

			if (body_len[fk] == KEPT)
				body_len[fk] = mail_body_length(kp->data[fk],
								kp->len[fk]);
		}
		hash = g_malloc0(n * sizeof *hash);
		at = g_new(gint64, n);
		for (guint k = 0; k < n; k++) {
			guint fk = g_array_index(same, guint, k);

			/* Read whole only what may have a copy: bodies of
			 * another length are not the same body. */
			if (!length_shared(body_len, same, k) ||
			    !copy_key(files->pdata[fk], kp->data[fk],
				      kp->len[fk], max_bytes, hash[k],
				      &at[k]))
				hash[k][0] = '\0';	/* no copy */
		}
		for (guint k = 0; k < n; k++) {
			guint fk = g_array_index(same, guint, k), first = fk;
			gint64 first_at = at[k];

			for (guint j = 0; hash[k][0] && j < n; j++) {
				guint fj = g_array_index(same, guint, j);

				if (strcmp(hash[j], hash[k]) == 0 &&
				    delivered_before(files->pdata[fj], at[j],
						     files->pdata[first],
						     first_at)) {
					first = fj;
					first_at = at[j];
				}
			}
			if (first != fk)
				original[fk] = files->pdata[first];
		}
	}
	return original;
}

/* A message that overran the time cap: say so, and stop. */
static void
overrun(const char *file, void *data)
{
	fflush(stdout);
	log_error("%s: reading it took over %u ms; stopping", file,
		  watchdog_cap_ms());
	_exit(EXIT_SOFTWARE);
}

/* Below this many files a second process costs more than it saves. */
#define JOB_MIN_FILES 16

/* Appends the names in file (- for standard input), one per line. */
static gboolean
read_names(const char *file, GPtrArray *names)
{
	FILE *f = strcmp(file, "-") == 0 ? stdin : fopen(file, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	if (f == NULL) {
		log_error("cannot read %s", file);
		return FALSE;
	}
	while ((n = getline(&line, &cap, f)) >= 0) {
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] != '\0')
			g_ptr_array_add(names, g_strdup(line));
	}
	free(line);
	if (f != stdin)
		fclose(f);
	return TRUE;
}

/*
 * Classifies files first, first + step, ...; with a separator, ends
 * each file's output with a NUL for the parent.  Returns the exit code
 * of the last file that failed, or EXIT_OK.
 */
static int
classify_range(const struct classify_ctx *ctx, GPtrArray *files,
	       const char **original, const struct keep *kp, guint first,
	       guint step, gsize max_bytes)
{
	int rc = EXIT_OK;

	watchdog_start(overrun, NULL);
	for (guint i = first; i < files->len; i += step) {
		int r = classify_file(ctx, files->pdata[i], original[i],
				      max_bytes, kp->data[i], kp->len[i]);

		if (r != EXIT_OK)
			rc = r;
		if (step > 1)
			putchar('\0');
	}
	watchdog_stop();
	fflush(stdout);
	return rc;
}

/* Runs jobs workers and prints what they write, in the files' order. */
static int
classify_parallel(const struct classify_ctx *ctx, GPtrArray *files,
		  const char **original, const struct keep *kp,
		  gsize max_bytes, int jobs)
{
	g_autofree pid_t *pids = g_new0(pid_t, jobs);
	g_autofree FILE **from = g_new0(FILE *, jobs);
	char *rec = NULL;
	size_t cap = 0;
	int rc = EXIT_OK;

	fflush(stdout);
	for (int k = 0; k < jobs; k++) {
		int fd[2];

		if (pipe(fd) != 0 || (pids[k] = fork()) < 0) {
			log_error("cannot start a worker: %s", g_strerror(errno));
			jobs = k;	/* the rest are not there */
			rc = EXIT_SOFTWARE;
			break;
		}
		if (pids[k] == 0) {
			/* The worker: its output goes to the pipe. */
			for (int j = 0; j < k; j++)
				fclose(from[j]);
			close(fd[0]);
			if (dup2(fd[1], STDOUT_FILENO) < 0)
				_exit(EXIT_SOFTWARE);
			close(fd[1]);
			_exit(classify_range(ctx, files, original, kp, k,
					     jobs, max_bytes));
		}
		close(fd[1]);
		from[k] = fdopen(fd[0], "r");
	}
	/* File i comes from worker i % jobs, after its earlier ones. */
	for (guint i = 0; rc == EXIT_OK && i < files->len; i++) {
		ssize_t n = getdelim(&rec, &cap, '\0', from[i % jobs]);

		if (n <= 0 || rec[n - 1] != '\0')
			break;	/* the worker stopped: its status says why */
		fwrite(rec, 1, n - 1, stdout);
	}
	fflush(stdout);
	free(rec);
	for (int k = 0; k < jobs; k++) {
		int status;

		fclose(from[k]);
		if (waitpid(pids[k], &status, 0) < 0)
			continue;
		if (WIFEXITED(status) && WEXITSTATUS(status) != EXIT_OK)
			rc = WEXITSTATUS(status);
		else if (WIFSIGNALED(status))
			rc = EXIT_SOFTWARE;
	}
	return rc;
}

int
cmd_classify(int argc, char **argv)
{
	struct config *cfg = NULL;
	struct ruleset *rules = NULL;
	struct classify_ctx ctx = { 0 };
	struct err err = { 0 };
	gsize max_bytes = 25u << 20;
	GPtrArray *files;
	g_autofree const char **original = NULL;
	struct keep kept;
	int rc = EXIT_OK, jobs;

	cmd_parse(&argc, &argv, &cmd_classify_info);
	if (argc < 2 && arg_files_from == NULL)
		return cmd_usage_error("name at least one FILE (or "
				       "--files-from)");
	if (arg_rules == NULL || arg_config != NULL) {
		cfg = cmd_load_config();
		if (cfg == NULL)
			return EXIT_CONFIG;
		max_bytes = cfg->max_message_bytes;
	}
	if (rules_load_dir(arg_rules ? arg_rules : cfg->rules_dir, &rules,
			   &err) != ST_OK) {
		fprintf(stderr, "%s\n", err.msg);
		config_free(cfg);
		return EXIT_CONFIG;
	}
	ctx.cfg = cfg;
	ctx.rules = rules;
	files = g_ptr_array_new_with_free_func(g_free);
	for (int i = 1; i < argc; i++)
		g_ptr_array_add(files, g_strdup(argv[i]));
	if (arg_files_from != NULL && !read_names(arg_files_from, files))
		rc = EXIT_DATAERR;
	jobs = arg_jobs > 0 ? arg_jobs : (int)g_get_num_processors();
	jobs = MIN(jobs, (int)(files->len / JOB_MIN_FILES));
	/* Compiled now, before any letter's read time is capped, and
	 * before workers fork so that they share it. */
	rules_prepare(rules);
	keep_init(&kept, files->len);
	original = find_copies(files, max_bytes, &kept);
	if (jobs > 1) {
		int r;

		r = classify_parallel(&ctx, files, original, &kept, max_bytes,
				      jobs);
		rc = r != EXIT_OK ? r : rc;
	} else {
		int r = classify_range(&ctx, files, original, &kept, 0, 1,
				       max_bytes);

		rc = r != EXIT_OK ? r : rc;
	}
	keep_clear(&kept);
	g_ptr_array_free(files, TRUE);
	ruleset_free(rules);
	config_free(cfg);
	g_free(arg_rules);
	g_free(arg_files_from);
	return rc;
}
