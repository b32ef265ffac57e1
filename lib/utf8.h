/* utf8.h — well-formed UTF-8: checking it, and forcing it on text from the kernel or /proc
 * (process names can hold any byte), which every view needs: the Prometheus text format,
 * JSON and HTML all require UTF-8. */
#ifndef TCPH_UTF8_H
#define TCPH_UTF8_H

#include <stdbool.h>

/* True when the NUL-terminated `text` is well-formed UTF-8: no overlong forms, surrogates or
 * code points above U+10FFFF. */
bool utf8_valid(const char *text);

/* Replaces, in place, every byte that does not belong to a well-formed sequence, and every
 * control character (C0, DEL, and C1 as two bytes), with '?': the length never changes.
 * Returns how many bytes were replaced. */
unsigned utf8_sanitize(char *text);

#endif
