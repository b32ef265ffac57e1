/* expfmt.h — Prometheus text exposition format 0.0.4 writer.
 *
 * A growable buffer with a sticky error: writers never check each call, the
 * caller checks expfmt_buf.error once at the end (0 or -ENOMEM). */
#ifndef TCPH_EXPFMT_H
#define TCPH_EXPFMT_H

#include <stddef.h>
#include <stdint.h>

#define EXPFMT_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

struct expfmt_buf {
	char *data;
	size_t len;
	size_t cap;
	int error;
	/* Optional: when set, a full buffer is handed to sink (which returns 0 or -errno)
	 * and emptied instead of grown, so the text streams through a fixed buffer. */
	int (*sink)(void *ctx, const char *data, size_t len);
	void *sink_ctx;
};

struct expfmt_label {
	const char *name;
	const char *value;
};

int expfmt_init(struct expfmt_buf *buf, size_t initial_cap);
void expfmt_fini(struct expfmt_buf *buf);
/* Hands what is buffered to the sink (see struct expfmt_buf). 0 or the sticky error. */
int expfmt_flush(struct expfmt_buf *buf);
/* Hands the bytes to the caller (free() them); the buffer is left empty. */
char *expfmt_detach(struct expfmt_buf *buf, size_t *len);
/* Drops everything written after `len` (used to discard a failed collector). */
void expfmt_truncate(struct expfmt_buf *buf, size_t len);

void expfmt_append(struct expfmt_buf *buf, const char *bytes, size_t n);
void expfmt_printf(struct expfmt_buf *buf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* "# HELP name help" and "# TYPE name type", with HELP escaping. */
void expfmt_family(struct expfmt_buf *buf, const char *name, const char *type, const char *help);
/* One sample line: name{labels} value. Label values are escaped. */
void expfmt_sample(struct expfmt_buf *buf, const char *name, const struct expfmt_label *labels,
		   size_t nlabels, double value);
void expfmt_sample_u64(struct expfmt_buf *buf, const char *name, const struct expfmt_label *labels,
		       size_t nlabels, uint64_t value);
/* Cumulative histogram: `counts[i]` observations fell at or below bounds[i] (not cumulative;
 * this function accumulates), `total` is the observation count and `sum` their sum. Writes
 * name_bucket{...,le=...}, name_sum and name_count. */
void expfmt_histogram(struct expfmt_buf *buf, const char *name, const struct expfmt_label *labels,
		      size_t nlabels, const double *bounds, const uint64_t *counts, size_t nbounds,
		      uint64_t total, double sum);

/* Formats a float the way Prometheus reads it back exactly: NaN, +Inf, -Inf or the
 * shortest %g that round-trips. Returns the length written (dst holds 32 bytes). */
size_t expfmt_format_double(char dst[32], double value);

#endif
