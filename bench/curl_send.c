/*
 * The baseline of bench/send: a bare libcurl loop sending prepared
 * messages over one SMTP connection, as lamplight's outbox does, with
 * nothing stored.  Reads lines "FROM RCPT FILE" on stdin.
 *
 *   curl_send URL CA_FILE < list
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct reader {
	const char *data;
	size_t len, pos;
};

static size_t
read_cb(char *buf, size_t size, size_t nmemb, void *arg)
{
	struct reader *r = arg;
	size_t n = r->len - r->pos < size * nmemb ? r->len - r->pos
						  : size * nmemb;

	memcpy(buf, r->data + r->pos, n);
	r->pos += n;
	return n;
}

static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *data;
	long n;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0) {
		if (f != NULL)
			fclose(f);
		return NULL;
	}
	rewind(f);
	data = malloc((size_t)n + 1);
	*len = fread(data, 1, (size_t)n, f);
	fclose(f);
	return data;
}

int
main(int argc, char **argv)
{
	char from[512], rcpt[512], file[4096];
	unsigned sent = 0, failed = 0;
	CURL *c;

	if (argc != 3)
		return 64;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	c = curl_easy_init();
	curl_easy_setopt(c, CURLOPT_URL, argv[1]);
	curl_easy_setopt(c, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
	curl_easy_setopt(c, CURLOPT_CAINFO, argv[2]);
	curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(c, CURLOPT_READFUNCTION, read_cb);
	while (scanf("%511s %511s %4095s", from, rcpt, file) == 3) {
		struct curl_slist *to = curl_slist_append(NULL, rcpt);
		struct reader r = { 0 };
		char env[520];

		r.data = slurp(file, &r.len);
		if (r.data == NULL) {
			failed++;
			continue;
		}
		snprintf(env, sizeof env, "<%s>", from);
		curl_easy_setopt(c, CURLOPT_MAIL_FROM, env);
		curl_easy_setopt(c, CURLOPT_MAIL_RCPT, to);
		curl_easy_setopt(c, CURLOPT_READDATA, &r);
		curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE,
				 (curl_off_t)r.len);
		if (curl_easy_perform(c) == CURLE_OK)
			sent++;
		else
			failed++;
		curl_slist_free_all(to);
		free((void *)r.data);
	}
	curl_easy_cleanup(c);
	curl_global_cleanup();
	printf("%u sent, %u failed\n", sent, failed);
	return failed > 0;
}
