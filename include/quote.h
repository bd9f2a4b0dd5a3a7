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

#endif
