/*
 * The baseline of bench/parse: a bare GMime walk.  For each file named on
 * the command line (or one per line on stdin), parse it, and decode every
 * text part to UTF-8 with GMime's own conversion; nothing else.  Prints
 * the number of messages and text bytes, so the work cannot be skipped.
 */
#include <fcntl.h>
#include <gmime/gmime.h>
#include <stdio.h>
#include <string.h>

static void
walk(const char *path, guint64 *msgs, guint64 *chars)
{
	GMimeStream *stream = g_mime_stream_fs_open(path, O_RDONLY, 0, NULL);
	GMimeParser *parser;
	GMimeMessage *msg;
	GMimePartIter *it;

	if (stream == NULL)
		return;
	parser = g_mime_parser_new_with_stream(stream);
	msg = g_mime_parser_construct_message(parser, NULL);
	g_object_unref(parser);
	g_object_unref(stream);
	if (msg == NULL)
		return;
	(*msgs)++;
	it = g_mime_part_iter_new(GMIME_OBJECT(msg));
	do {
		GMimeObject *obj = g_mime_part_iter_get_current(it);

		if (obj != NULL && GMIME_IS_TEXT_PART(obj)) {
			char *t = g_mime_text_part_get_text(GMIME_TEXT_PART(obj));

			*chars += t != NULL ? strlen(t) : 0;
			g_free(t);
		}
	} while (g_mime_part_iter_next(it));
	g_mime_part_iter_free(it);
	g_object_unref(msg);
}

int
main(int argc, char **argv)
{
	guint64 msgs = 0, chars = 0;
	char line[4096];

	g_mime_init();
	if (argc > 1) {
		for (int i = 1; i < argc; i++)
			walk(argv[i], &msgs, &chars);
	} else {
		while (fgets(line, sizeof line, stdin) != NULL) {
			line[strcspn(line, "\n")] = '\0';
			walk(line, &msgs, &chars);
		}
	}
	printf("%" G_GUINT64_FORMAT " messages, %" G_GUINT64_FORMAT
	       " bytes of text\n", msgs, chars);
	g_mime_shutdown();
	return 0;
}
