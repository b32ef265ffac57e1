/* fuzz_names.c — libFuzzer harness for what happens to a name read from /proc (a process's
 * comm can hold any byte): utf8_sanitize, then the status page's HTML escaping. Whatever the
 * input, the sanitised name is well-formed UTF-8 without control characters and of the same
 * length, and the escaped text has no '<', '>', '"' or '\'' left and decodes back. */
#include "../../exporter/render_html.h"
#include "../../lib/utf8.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	struct expfmt_buf out;
	char *name = malloc(size + 1);

	if (!name)
		return 0;
	memcpy(name, data, size);
	name[size] = '\0';
	size = strlen(name); /* a comm ends at its first NUL */
	utf8_sanitize(name);
	if (strlen(name) != size || !utf8_valid(name))
		abort();
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		if (*p < 0x20 || *p == 0x7f || (p[0] == 0xc2 && p[1] >= 0x80 && p[1] < 0xa0))
			abort();
	if (expfmt_init(&out, 64) == 0) {
		render_html_escape(&out, name);
		if (out.error == 0) {
			/* Unescape and compare: nothing lost, nothing added. */
			size_t j = 0;

			for (size_t i = 0; i < out.len; i++) {
				char c = out.data[i];

				if (c == '<' || c == '>' || c == '"' || c == '\'')
					abort();
				if (c == '&') {
					static const struct { const char *entity; char c; } map[] = {
						{ "&amp;", '&' }, { "&lt;", '<' }, { "&gt;", '>' },
						{ "&quot;", '"' }, { "&#39;", '\'' },
					};
					unsigned k;

					for (k = 0; k < 5; k++)
						if (out.len - i >= strlen(map[k].entity) &&
						    memcmp(out.data + i, map[k].entity, strlen(map[k].entity)) == 0)
							break;
					if (k == 5 || name[j] != map[k].c)
						abort();
					i += strlen(map[k].entity) - 1;
				} else if (name[j] != c) {
					abort();
				}
				j++;
			}
			if (j != size)
				abort();
		}
		expfmt_fini(&out);
	}
	free(name);
	return 0;
}
