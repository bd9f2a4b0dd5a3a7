/*
 * What the writer wrote now, apart from what they quoted: "> " lines,
 * Outlook headers blocks (寄件者:/From: ... 主旨:/Subject:), "-----Original
 * Message-----" and forwarded blocks, Gmail's "On … wrote:" and "於 …
 * 寫道：", Apple Mail's quote headers, and signatures ("-- ", "Sent from
 * my iPhone", "從我的 iPhone 傳送").  Later stages classify only the new
 * text, so an answer that quotes our own mail is not read as a new plea.
 */
#ifndef LAMPLIGHT_QUOTE_H
#define LAMPLIGHT_QUOTE_H

#include <glib.h>

/* The new text of a body (UTF-8): a new string, never NULL. */
char *quote_strip(const char *text);

/*
 * What a staff member typed in a reply (UTF-8), stricter than
 * quote_strip(): the unquoted lines above the history and its
 * signature; when there are none, only those after the last '>' line
 * of a quote introduced by an attribution ("On ... wrote:", "於 ...
 * 寫道："), the answer written below it.  Nothing below an Outlook
 * header block or a forward's opener, which mark none of their lines.
 * A new string, never NULL; *head is the length of its start before
 * the first quoted line, where alone commands may stand.
 */
char *quote_typed(const char *text, size_t *head);

/*
 * text without the signature at its end, which quote_typed() leaves when
 * it has no "-- " line: a sign-off (敬上, 順頌 時祺, 祝 平安, Best regards)
 * and the few short lines after it, and paragraphs of nothing but the
 * sender's name (name: their display name, may be NULL), titles, the
 * centre's name, phone numbers and addresses.  A new string.
 */
char *quote_unsign(const char *text, const char *name);

#endif
