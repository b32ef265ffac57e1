/* gzip.c — a growing deflate stream fed by an expfmt sink. */
#include "gzip.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int gzip_writer_init(struct gzip_writer *g, size_t initial_cap)
{
	memset(g, 0, sizeof(*g));
	/* 15 + 16: a gzip header rather than a zlib one; level 1: the exposition compresses
	 * well even at the fastest level, and the scrape stays cheap. */
	if (deflateInit2(&g->zs, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return -ENOMEM;
	g->cap = initial_cap ? initial_cap : 65536;
	g->data = malloc(g->cap);
	if (!g->data) {
		deflateEnd(&g->zs);
		return -ENOMEM;
	}
	g->zs.next_out = (Bytef *)g->data;
	g->zs.avail_out = (uInt)g->cap;
	return 0;
}

/* Runs deflate until it has taken all the input (Z_NO_FLUSH) or ended the stream
 * (Z_FINISH), growing the output as needed. 0, -ENOMEM or -EIO. */
static int run(struct gzip_writer *g, int flush)
{
	for (;;) {
		int ret;

		if (g->zs.avail_out == 0) {
			size_t used = g->cap;
			char *grown = realloc(g->data, g->cap * 2);

			if (!grown)
				return -ENOMEM;
			g->data = grown;
			g->cap *= 2;
			g->zs.next_out = (Bytef *)g->data + used;
			g->zs.avail_out = (uInt)(g->cap - used);
		}
		ret = deflate(&g->zs, flush);
		if (ret == Z_STREAM_END)
			return 0;
		if (ret != Z_OK && ret != Z_BUF_ERROR)
			return -EIO;
		if (flush == Z_NO_FLUSH && g->zs.avail_in == 0)
			return 0;
	}
}

int gzip_writer_sink(void *ctx, const char *data, size_t len)
{
	struct gzip_writer *g = ctx;

	g->zs.next_in = (Bytef *)data;
	g->zs.avail_in = (uInt)len; /* expfmt hands over at most its buffer, far below 4 GiB */
	return run(g, Z_NO_FLUSH);
}

int gzip_writer_finish(struct gzip_writer *g, char **data, size_t *len)
{
	int ret = run(g, Z_FINISH);

	if (ret < 0)
		return ret;
	*len = g->zs.total_out;
	*data = g->data;
	if (g->cap > *len + 4096) { /* kept as a shared body: give back the unused tail */
		char *shrunk = realloc(g->data, *len ? *len : 1);

		if (shrunk)
			*data = shrunk;
	}
	g->data = NULL;
	return 0;
}

void gzip_writer_fini(struct gzip_writer *g)
{
	deflateEnd(&g->zs);
	free(g->data);
	g->data = NULL;
}
