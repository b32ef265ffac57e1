/* utf8.c — well-formed UTF-8 checks. */
#include "utf8.h"

#include <stddef.h>

/* Length of the well-formed sequence at p (1-4), or 0. */
static unsigned sequence_length(const unsigned char *p)
{
	unsigned n, cp;

	if (*p < 0x80)
		return 1;
	if (*p >= 0xc2 && *p <= 0xdf)
		n = 1, cp = *p & 0x1f;
	else if (*p >= 0xe0 && *p <= 0xef)
		n = 2, cp = *p & 0x0f;
	else if (*p >= 0xf0 && *p <= 0xf4)
		n = 3, cp = *p & 0x07;
	else
		return 0;
	for (unsigned i = 1; i <= n; i++) {
		if ((p[i] & 0xc0) != 0x80) /* also stops at the NUL */
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if ((n == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (n == 3 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return n + 1;
}

bool utf8_valid(const char *text)
{
	const unsigned char *p = (const unsigned char *)text;

	while (*p) {
		unsigned n = sequence_length(p);

		if (n == 0)
			return false;
		p += n;
	}
	return true;
}

unsigned utf8_sanitize(char *text)
{
	unsigned char *p = (unsigned char *)text;
	unsigned replaced = 0;

	while (*p) {
		unsigned n = sequence_length(p);

		if (n == 0 || *p < 0x20 || *p == 0x7f) {
			*p++ = '?';
			replaced++;
			continue;
		}
		if (n == 2 && p[0] == 0xc2 && p[1] < 0xa0) { /* C1 controls, U+0080-U+009F */
			p[0] = p[1] = '?';
			replaced += 2;
		}
		p += n;
	}
	return replaced;
}
