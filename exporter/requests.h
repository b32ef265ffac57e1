/* requests.h — one request from its headers to its answer: the client certificate and
 * basic auth (through auth.c's password thread), the method, the route (routes.h),
 * admission (--web.max-requests, the response memory bound), the scrape (suspended until
 * the scanner hands over a snapshot) and the answer: a view from bodies.c, or one of the
 * fixed answers of the answer table (400, 401, 403, 404, 405, 429, 503, each written
 * once, with the refusal it counts).
 *
 * libmicrohttpd calls requests_handle and requests_completed directly, with a server
 * generation's `struct requests_server` as their context. requests.lock (in requests.c)
 * guards only the current web configuration; a request itself belongs to whichever thread
 * holds it (a serving thread, or the scanner or password thread while it is suspended).
 * Counters are atomics. */
#ifndef TCPH_REQUESTS_H
#define TCPH_REQUESTS_H

#include <microhttpd.h>
#include <stdint.h>

/* The status page (/) and HTTP_STATUS_API_PATH show the latest snapshot while it is younger
 * than this; older, they wait for a scan as a scrape does. */
#define HTTP_STATUS_MAX_AGE_SECONDS 5.0
/* While responses still being sent for older snapshots hold more than this, a scrape is
 * answered from the latest snapshot instead of a new scan (see README). */
#define HTTP_RESPONSE_MEMORY_BOUND (8u << 20)

struct auth;
struct bodies;
struct conns;
struct requests;
struct scrape;
struct webconfig;

struct requests_config {
	const char *telemetry_path; /* copied */
	unsigned max_requests;	    /* concurrent scrapes being prepared; 0: no limit */
};

/* What one server generation's daemons pass libmicrohttpd as the callbacks' context. */
struct requests_server {
	struct requests *requests;
	struct webconfig *tls; /* its TLS settings (the client certificate policy); NULL: plain */
};

/* Answers with the snapshots of `scrape`, checks passwords with `auth`, counts refusals in
 * `conns` and takes views from `bodies`: each must outlive it. `web` (NULL: no users) is
 * referenced. 0 or -ENOMEM. */
int requests_create(struct requests **out, const struct requests_config *config,
		    struct scrape *scrape, struct auth *auth, struct conns *conns,
		    struct bodies *bodies, struct webconfig *web);
void requests_destroy(struct requests *r);
/* The users every request is checked against from now on, on old connections too. */
void requests_set_web(struct requests *r, struct webconfig *web);
/* Scrapes answered from the latest snapshot without a scan. */
uint64_t requests_stale_scrapes(struct requests *r);

/* libmicrohttpd's MHD_AccessHandlerCallback and MHD_OPTION_NOTIFY_COMPLETED, `cls` a
 * struct requests_server. */
enum MHD_Result requests_handle(void *cls, struct MHD_Connection *connection, const char *url,
				const char *method, const char *version, const char *upload_data,
				size_t *upload_data_size, void **req_cls);
void requests_completed(void *cls, struct MHD_Connection *connection, void **req_cls,
			enum MHD_RequestTerminationCode toe);
/* libmicrohttpd's MHD_OPTION_UNESCAPE_CALLBACK: %HH decoded as libmicrohttpd does, but a
 * path (or query argument) that holds a control character, raw or encoded (%00, %0A,
 * %7F), is emptied, and requests_handle answers an empty path 400. Decoded, %00 ended the
 * C string libmicrohttpd hands over: /metrics%00 was served as /metrics. */
size_t requests_unescape(void *cls, struct MHD_Connection *connection, char *s);

#endif
