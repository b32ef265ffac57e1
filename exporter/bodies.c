/* bodies.c — snapshot views as shared responses, gzip negotiation and body memory (see
 * bodies.h). */
#include "bodies.h"

#include "../lib/log.h"
#include "expfmt.h"
#include "gzip.h"
#include "render_html.h"
#include "render_metrics.h"
#include "status.h"

#include <errno.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct bodies {
	atomic_uint refs; /* the creator's and one per body */
	atomic_uint_fast64_t held; /* bytes of bodies alive */
	atomic_size_t hint; /* the size to start the next render's buffer at */
	char telemetry_path[300];
	/* Of the status views: nothing but inline style and the page's own script (by hash),
	 * so that even a name that escaped escaping could not run. */
	char content_security_policy[256];
};

/* A rendered body, shared by every response that carries it. */
struct body {
	struct bodies *bodies;
	size_t size;
	char *data;
};

/* "default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-…'; …": the page's
 * inline style and its one script, nothing else. 0 or -ENOMEM. */
static int content_security_policy(char *out, size_t size)
{
	unsigned char digest[32];
	gnutls_datum_t raw = { digest, sizeof(digest) }, b64 = { NULL, 0 };

	if (gnutls_hash_fast(GNUTLS_DIG_SHA256, render_html_script, strlen(render_html_script), digest) < 0 ||
	    gnutls_base64_encode2(&raw, &b64) < 0)
		return -ENOMEM;
	snprintf(out, size, "default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-%.*s'; "
			    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
		 (int)b64.size, (const char *)b64.data);
	gnutls_free(b64.data);
	return 0;
}

int bodies_create(struct bodies **out, const char *telemetry_path)
{
	struct bodies *b = calloc(1, sizeof(*b));

	if (!b)
		return -ENOMEM;
	if (content_security_policy(b->content_security_policy, sizeof(b->content_security_policy)) < 0) {
		free(b);
		return -ENOMEM;
	}
	snprintf(b->telemetry_path, sizeof(b->telemetry_path), "%s", telemetry_path);
	atomic_init(&b->refs, 1);
	atomic_init(&b->hint, 16384);
	*out = b;
	return 0;
}

void bodies_unref(struct bodies *b)
{
	if (b && atomic_fetch_sub_explicit(&b->refs, 1, memory_order_acq_rel) == 1)
		free(b);
}

uint64_t bodies_held(struct bodies *b)
{
	return atomic_load_explicit(&b->held, memory_order_relaxed);
}

uint64_t bodies_held_by_older(struct bodies *b, struct snapshot *latest)
{
	uint64_t total = bodies_held(b), own = 0;

	/* Not under views_lock: a render of `latest` in progress holds it. */
	for (unsigned v = 0; v < SNAPSHOT_VIEWS; v++)
		own += atomic_load_explicit(&latest->view_bytes[v], memory_order_relaxed);
	return total > own ? total - own : 0;
}

/* True when the client accepts gzip: a "gzip" coding in Accept-Encoding whose q-value is
 * not 0, or, when gzip is not named, a "*" whose q-value is not 0 (RFC 9110 12.5.3). */
int bodies_accepts_gzip(const char *accept_encoding)
{
	const char *item = accept_encoding;
	int wildcard = 0;

	while (*item) {
		size_t item_len, name_len;
		const char *q;
		int accepted;

		item += strspn(item, " \t,");
		item_len = strcspn(item, ",");
		name_len = strcspn(item, " \t;,");
		q = NULL;
		for (size_t i = name_len; i + 1 < item_len && !q; i++)
			if ((item[i] == 'q' || item[i] == 'Q') && item[i + 1] == '=')
				q = item + i;
		accepted = !q || strtod(q + 2, NULL) > 0;
		if (name_len == 4 && strncasecmp(item, "gzip", 4) == 0)
			return accepted;
		if (name_len == 1 && item[0] == '*')
			wildcard = accepted;
		item += item_len;
	}
	return wildcard;
}

static void body_free(void *cls)
{
	struct body *body = cls;

	atomic_fetch_sub_explicit(&body->bodies->held, body->size, memory_order_relaxed);
	bodies_unref(body->bodies);
	free(body->data);
	free(body);
}

/* A response carrying `data` (taken over), shared by every connection it is queued on;
 * its memory counts in `held` until the last of them is done with it. */
static struct MHD_Response *shared_response(struct bodies *b, char *data, size_t size, bool gzip,
					    const char *content_type)
{
	struct body *body = malloc(sizeof(*body));
	struct MHD_Response *response;

	if (!body) {
		free(data);
		return NULL;
	}
	atomic_fetch_add_explicit(&b->refs, 1, memory_order_relaxed);
	body->bodies = b;
	body->size = size;
	body->data = data;
	atomic_fetch_add_explicit(&b->held, size, memory_order_relaxed);
	response = MHD_create_response_from_buffer_with_free_callback_cls(size, data, body_free, body);
	if (!response) {
		body_free(body);
		return NULL;
	}
	MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
	if (strcmp(content_type, EXPFMT_CONTENT_TYPE) == 0)
		MHD_add_response_header(response, MHD_HTTP_HEADER_VARY, MHD_HTTP_HEADER_ACCEPT_ENCODING);
	else { /* the status views: a snapshot of now, and a page that must not run foreign code */
		MHD_add_response_header(response, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
		MHD_add_response_header(response, "X-Content-Type-Options", "nosniff");
		MHD_add_response_header(response, "Content-Security-Policy", b->content_security_policy);
	}
	if (gzip)
		MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
	return response;
}

/* A snapshot view is its shared response; the snapshot's reference is dropped with it. */
static void response_view_free(void *view)
{
	MHD_destroy_response(view);
}

static void *make_text_view(const struct snapshot *s, void *ctx, size_t *bytes)
{
	struct bodies *b = ctx;
	struct expfmt_buf buf;
	size_t len;
	char *body;

	if (expfmt_init(&buf, atomic_load_explicit(&b->hint, memory_order_relaxed)) < 0 ||
	    render_metrics(s, &buf) < 0) {
		expfmt_fini(&buf);
		log_error("rendering the metrics failed: out of memory");
		return NULL;
	}
	body = expfmt_detach(&buf, &len);
	atomic_store_explicit(&b->hint, len + len / 8 + 4096, memory_order_relaxed);
	*bytes = len;
	return shared_response(b, body, len, false, EXPFMT_CONTENT_TYPE);
}

/* The gzip body: the text is rendered through a 64 KiB buffer straight into the deflate
 * stream, so that neither the whole text nor a text body is kept for a snapshot asked only
 * for gzip (as Prometheus asks). */
static void *make_gzip_view(const struct snapshot *s, void *ctx, size_t *bytes)
{
	struct bodies *b = ctx;
	struct gzip_writer g;
	struct expfmt_buf buf;
	char *data = NULL;
	size_t len = 0;
	int ret;

	ret = gzip_writer_init(&g, atomic_load_explicit(&b->hint, memory_order_relaxed) / 8 + 65536);
	if (ret < 0)
		return NULL;
	ret = expfmt_init(&buf, 65536);
	if (ret == 0) {
		buf.sink = gzip_writer_sink;
		buf.sink_ctx = &g;
		ret = render_metrics(s, &buf);
		if (ret == 0)
			ret = expfmt_flush(&buf);
		if (ret == 0)
			ret = gzip_writer_finish(&g, &data, &len);
		expfmt_fini(&buf);
	}
	gzip_writer_fini(&g);
	if (ret < 0) {
		log_warn("gzip compression failed (%s); sending the scrape uncompressed", strerror(-ret));
		return NULL;
	}
	*bytes = len;
	return shared_response(b, data, len, true, EXPFMT_CONTENT_TYPE);
}

static void *make_status_json_view(const struct snapshot *s, void *ctx, size_t *bytes)
{
	struct bodies *b = ctx;
	json_t *doc = status_document(s);
	char *text;

	if (!doc) {
		log_error("building the status document failed: out of memory");
		return NULL;
	}
	text = json_dumps(doc, JSON_INDENT(1) | JSON_ENSURE_ASCII);
	json_decref(doc);
	if (!text) {
		log_error("writing the status document failed: out of memory");
		return NULL;
	}
	*bytes = strlen(text);
	return shared_response(b, text, *bytes, false, "application/json");
}

static void *make_status_html_view(const struct snapshot *s, void *ctx, size_t *bytes)
{
	struct bodies *b = ctx;
	json_t *doc = status_document(s);
	struct expfmt_buf buf;
	char *body;
	size_t len;

	if (!doc || expfmt_init(&buf, 64 * 1024) < 0) {
		json_decref(doc);
		log_error("rendering the status page failed: out of memory");
		return NULL;
	}
	if (render_html(doc, b->telemetry_path, &buf) < 0) {
		json_decref(doc);
		expfmt_fini(&buf);
		log_error("rendering the status page failed: out of memory");
		return NULL;
	}
	json_decref(doc);
	body = expfmt_detach(&buf, &len);
	*bytes = len;
	return shared_response(b, body, len, false, "text/html; charset=utf-8");
}

struct MHD_Response *bodies_view(struct bodies *b, struct snapshot *s, enum snapshot_view_id view,
				 const char *accept_encoding)
{
	struct MHD_Response *response = NULL;

	if (view == SNAPSHOT_VIEW_STATUS_JSON)
		return snapshot_view(s, view, make_status_json_view, response_view_free, b);
	if (view == SNAPSHOT_VIEW_STATUS_HTML)
		return snapshot_view(s, view, make_status_html_view, response_view_free, b);
	if (accept_encoding && bodies_accepts_gzip(accept_encoding))
		response = snapshot_view(s, SNAPSHOT_VIEW_METRICS_GZIP, make_gzip_view, response_view_free, b);
	if (!response) /* no gzip wanted, or it failed: the text */
		response = snapshot_view(s, SNAPSHOT_VIEW_METRICS_TEXT, make_text_view, response_view_free, b);
	return response;
}
