/* expfmt.c — Prometheus text format writer (escaping, HELP/TYPE, values). */
#include "expfmt.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int expfmt_init(struct expfmt_buf *buf, size_t initial_cap)
{
	buf->len = 0;
	buf->error = 0;
	buf->sink = NULL;
	buf->sink_ctx = NULL;
	buf->cap = initial_cap ? initial_cap : 4096;
	buf->data = malloc(buf->cap);
	if (!buf->data) {
		buf->cap = 0;
		buf->error = -ENOMEM;
		return -ENOMEM;
	}
	return 0;
}

void expfmt_fini(struct expfmt_buf *buf)
{
	free(buf->data);
	buf->data = NULL;
	buf->len = buf->cap = 0;
}

int expfmt_flush(struct expfmt_buf *buf)
{
	int ret;

	if (buf->error || !buf->sink || buf->len == 0)
		return buf->error;
	ret = buf->sink(buf->sink_ctx, buf->data, buf->len);
	if (ret < 0)
		buf->error = ret;
	buf->len = 0;
	return buf->error;
}

char *expfmt_detach(struct expfmt_buf *buf, size_t *len)
{
	char *data = buf->data;

	/* Handed-over bytes may be kept a long time (a shared body): give back the unused tail
	 * of the doubling buffer. */
	if (data && buf->cap > buf->len + 4096) {
		char *shrunk = realloc(data, buf->len ? buf->len : 1);

		if (shrunk)
			data = shrunk;
	}

	*len = buf->len;
	buf->data = NULL;
	buf->len = buf->cap = 0;
	return data;
}

void expfmt_truncate(struct expfmt_buf *buf, size_t len)
{
	if (len < buf->len)
		buf->len = len;
}

static int reserve(struct expfmt_buf *buf, size_t extra)
{
	size_t need, cap;
	char *grown;

	if (buf->error)
		return buf->error;
	need = buf->len + extra;
	if (need <= buf->cap)
		return 0;
	if (buf->sink && buf->len) {
		if (expfmt_flush(buf) < 0)
			return buf->error;
		need = extra;
		if (need <= buf->cap)
			return 0;
	}
	cap = buf->cap ? buf->cap : 4096;
	while (cap < need)
		cap *= 2;
	grown = realloc(buf->data, cap);
	if (!grown) {
		buf->error = -ENOMEM;
		return buf->error;
	}
	buf->data = grown;
	buf->cap = cap;
	return 0;
}

void expfmt_append(struct expfmt_buf *buf, const char *bytes, size_t n)
{
	if (reserve(buf, n) < 0)
		return;
	memcpy(buf->data + buf->len, bytes, n);
	buf->len += n;
}

static void append_str(struct expfmt_buf *buf, const char *s)
{
	expfmt_append(buf, s, strlen(s));
}

void expfmt_printf(struct expfmt_buf *buf, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (buf->error)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf->data + buf->len, buf->cap - buf->len, fmt, ap);
	va_end(ap);
	if (n < 0) {
		buf->error = -EINVAL;
		return;
	}
	if ((size_t)n >= buf->cap - buf->len) {
		if (reserve(buf, (size_t)n + 1) < 0)
			return;
		va_start(ap, fmt);
		vsnprintf(buf->data + buf->len, buf->cap - buf->len, fmt, ap);
		va_end(ap);
	}
	buf->len += (size_t)n;
}

/* HELP escapes backslash and newline; label values also escape the double quote. */
static void append_escaped(struct expfmt_buf *buf, const char *s, int escape_quote)
{
	const char *run = s;

	for (; *s; s++) {
		const char *rep = NULL;

		if (*s == '\\')
			rep = "\\\\";
		else if (*s == '\n')
			rep = "\\n";
		else if (*s == '"' && escape_quote)
			rep = "\\\"";
		if (rep) {
			expfmt_append(buf, run, (size_t)(s - run));
			append_str(buf, rep);
			run = s + 1;
		}
	}
	expfmt_append(buf, run, (size_t)(s - run));
}

void expfmt_family(struct expfmt_buf *buf, const char *name, const char *type, const char *help)
{
	append_str(buf, "# HELP ");
	append_str(buf, name);
	expfmt_append(buf, " ", 1);
	append_escaped(buf, help, 0);
	append_str(buf, "\n# TYPE ");
	append_str(buf, name);
	expfmt_append(buf, " ", 1);
	append_str(buf, type);
	expfmt_append(buf, "\n", 1);
}

static void append_labels(struct expfmt_buf *buf, const struct expfmt_label *labels, size_t n,
			  const char *le)
{
	if (n == 0 && !le)
		return;
	expfmt_append(buf, "{", 1);
	for (size_t i = 0; i < n; i++) {
		if (i)
			expfmt_append(buf, ",", 1);
		append_str(buf, labels[i].name);
		expfmt_append(buf, "=\"", 2);
		append_escaped(buf, labels[i].value, 1);
		expfmt_append(buf, "\"", 1);
	}
	if (le) {
		append_str(buf, n ? ",le=\"" : "le=\"");
		append_str(buf, le);
		expfmt_append(buf, "\"", 1);
	}
	expfmt_append(buf, "}", 1);
}

size_t expfmt_format_double(char dst[32], double value)
{
	int n;

	if (isnan(value))
		return (size_t)snprintf(dst, 32, "NaN");
	if (isinf(value))
		return (size_t)snprintf(dst, 32, value > 0 ? "+Inf" : "-Inf");
	/* Shortest of %.15g / %.17g that reads back as the same double. */
	n = snprintf(dst, 32, "%.15g", value);
	if (strtod(dst, NULL) != value)
		n = snprintf(dst, 32, "%.17g", value);
	return (size_t)n;
}

static void append_line(struct expfmt_buf *buf, const char *name, const char *suffix,
			const struct expfmt_label *labels, size_t nlabels, const char *le,
			const char *value, size_t value_len)
{
	append_str(buf, name);
	if (suffix)
		append_str(buf, suffix);
	append_labels(buf, labels, nlabels, le);
	expfmt_append(buf, " ", 1);
	expfmt_append(buf, value, value_len);
	expfmt_append(buf, "\n", 1);
}

void expfmt_sample(struct expfmt_buf *buf, const char *name, const struct expfmt_label *labels,
		   size_t nlabels, double value)
{
	char text[32];
	size_t n = expfmt_format_double(text, value);

	append_line(buf, name, NULL, labels, nlabels, NULL, text, n);
}

void expfmt_sample_u64(struct expfmt_buf *buf, const char *name, const struct expfmt_label *labels,
		       size_t nlabels, uint64_t value)
{
	char text[32];
	int n = snprintf(text, sizeof(text), "%llu", (unsigned long long)value);

	append_line(buf, name, NULL, labels, nlabels, NULL, text, (size_t)n);
}

void expfmt_histogram(struct expfmt_buf *buf, const char *name, const struct expfmt_label *labels,
		      size_t nlabels, const double *bounds, const uint64_t *counts, size_t nbounds,
		      uint64_t total, double sum)
{
	char le[32], text[32];
	uint64_t cumulative = 0;
	size_t n;

	for (size_t i = 0; i < nbounds; i++) {
		cumulative += counts[i];
		expfmt_format_double(le, bounds[i]);
		n = (size_t)snprintf(text, sizeof(text), "%llu", (unsigned long long)cumulative);
		append_line(buf, name, "_bucket", labels, nlabels, le, text, n);
	}
	n = (size_t)snprintf(text, sizeof(text), "%llu", (unsigned long long)total);
	append_line(buf, name, "_bucket", labels, nlabels, "+Inf", text, n);
	n = expfmt_format_double(le, sum);
	append_line(buf, name, "_sum", labels, nlabels, NULL, le, n);
	n = (size_t)snprintf(text, sizeof(text), "%llu", (unsigned long long)total);
	append_line(buf, name, "_count", labels, nlabels, NULL, text, n);
}
