/* gzip.h — gzip compression of a text while it is written: an expfmt sink, so a rendered
 * body is compressed through a small buffer and never held whole as text. */
#ifndef TCPH_GZIP_H
#define TCPH_GZIP_H

#include <stddef.h>
#include <zlib.h>

struct gzip_writer {
	z_stream zs;
	char *data; /* the compressed bytes so far */
	size_t cap;
};

/* Starts a gzip stream with room for `initial_cap` compressed bytes (it grows). 0 or
 * -ENOMEM. */
int gzip_writer_init(struct gzip_writer *g, size_t initial_cap);
/* The expfmt sink (struct expfmt_buf.sink, with sink_ctx the writer). 0 or -errno. */
int gzip_writer_sink(void *ctx, const char *data, size_t len);
/* Ends the stream and hands the bytes over (free() them). 0 or -errno. */
int gzip_writer_finish(struct gzip_writer *g, char **data, size_t *len);
/* Frees what the writer still holds (after finish, or instead of it). */
void gzip_writer_fini(struct gzip_writer *g);

#endif
