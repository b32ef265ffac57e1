/* requests.c — the request state machine, the answer table and the auth bridge (see
 * requests.h). A request goes:
 *
 *   headers in ──► check_request: client certificate, basic auth (maybe suspended for the
 *                  password thread, or held), method
 *   complete   ──► route (routes.h) ──► start_scrape: admission, then a snapshot now or
 *                  suspended until the scanner has one
 *   snapshot   ──► answer_scrape: the view from bodies.c, queued
 *
 * and every refusal on the way is one row of the answer table. */
#include "requests.h"

#include "../lib/clock.h"
#include "auth.h"
#include "bodies.h"
#include "conns.h"
#include "routes.h"
#include "scrape.h"
#include "stats.h"
#include "webconfig.h"

#include <errno.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>

static const char auth_realm[] = "tcp_health_exporter";
static const char text_plain[] = "text/plain; charset=utf-8";

struct requests {
	struct scrape *scrape;
	struct auth *auth;
	struct conns *conns;
	struct bodies *bodies;
	char telemetry_path[300];
	unsigned max_requests;

	pthread_mutex_t lock;
	struct webconfig *web; /* (lock) current: users for basic auth; NULL for none */

	atomic_uint_fast64_t stale_scrapes;
};

enum request_state {
	REQ_NEW,
	REQ_AUTH_WAIT,	   /* suspended: queued for bcrypt, or held after a wrong password */
	REQ_AUTH_DONE,	   /* resumed: req->auth says how it went */
	REQ_READY,	   /* allowed; answered once the request is complete */
	REQ_SNAPSHOT_WAIT, /* suspended: the scanner has it */
	REQ_SNAPSHOT_READY,
	REQ_ANSWERED,
};

/* One request (libmicrohttpd's request context). */
struct request {
	struct scrape_waiter waiter; /* first: scrape_done casts back */
	struct auth_request auth;    /* auth_done finds the request from it */
	struct requests_server *server;
	struct MHD_Connection *connection;
	enum request_state state;
	/* the scrape */
	enum snapshot_view_id view; /* what it asks for: the metrics (text or gzip) or a status view */
	bool ready_probe;	    /* /-/ready: any snapshot will do, no view */
	bool counted;		    /* holds a --web.max-requests place (conns_take_place) */
	struct snapshot *snapshot;
};

/* ---- the answer table ------------------------------------------------------------------ */

enum answer {
	ANSWER_HEALTHY,
	ANSWER_READY,
	ANSWER_BAD_PATH,
	ANSWER_NO_HOST,
	ANSWER_CLIENT_CERTIFICATE,
	ANSWER_UNAUTHORIZED,
	ANSWER_AUTH_QUEUE_FULL,
	ANSWER_AUTH_THROTTLED,
	ANSWER_NOT_FOUND,
	ANSWER_METHOD_NOT_ALLOWED,
	ANSWER_MAX_REQUESTS,
	ANSWER_NO_SNAPSHOT,
	ANSWER_SCRAPE_FAILED,
};

#define ANSWER_ALLOW 1u	      /* Allow: GET, HEAD */
#define ANSWER_RETRY_AFTER 2u /* Retry-After: 1 */
#define ANSWER_BASIC_AUTH 4u  /* WWW-Authenticate: Basic (libmicrohttpd's auth-fail response) */

static const struct {
	unsigned status;
	const char *body;
	unsigned headers;
	enum stats_refusal refusal; /* counted when answered; STATS_REFUSALS: none */
} answers[] = {
	[ANSWER_HEALTHY] = { MHD_HTTP_OK, "Healthy.\n", 0, STATS_REFUSALS },
	[ANSWER_READY] = { MHD_HTTP_OK, "Ready.\n", 0, STATS_REFUSALS },
	[ANSWER_BAD_PATH] = { MHD_HTTP_BAD_REQUEST, "bad request: a control character in the path\n",
			      0, STATS_REFUSALS },
	[ANSWER_NO_HOST] = { MHD_HTTP_BAD_REQUEST, "bad request: HTTP/1.1 without Host\n", 0,
			     STATS_REFUSALS },
	[ANSWER_CLIENT_CERTIFICATE] = { MHD_HTTP_FORBIDDEN, "a trusted client certificate is required\n",
					0, STATS_REFUSALS },
	[ANSWER_UNAUTHORIZED] = { MHD_HTTP_UNAUTHORIZED, "unauthorized\n", ANSWER_BASIC_AUTH,
				  STATS_REFUSED_UNAUTHORIZED },
	[ANSWER_AUTH_QUEUE_FULL] = { MHD_HTTP_TOO_MANY_REQUESTS,
				     "too many password checks waiting: retry in a second\n",
				     ANSWER_RETRY_AFTER, STATS_REFUSED_AUTH_QUEUE_FULL },
	[ANSWER_AUTH_THROTTLED] = { MHD_HTTP_TOO_MANY_REQUESTS,
				    "wrong password a moment ago: retry in a second\n", ANSWER_RETRY_AFTER,
				    STATS_REFUSED_AUTH_THROTTLED },
	[ANSWER_NOT_FOUND] = { MHD_HTTP_NOT_FOUND, "not found\n", 0, STATS_REFUSALS },
	[ANSWER_METHOD_NOT_ALLOWED] = { MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed\n",
					ANSWER_ALLOW, STATS_REFUSALS },
	[ANSWER_MAX_REQUESTS] = { MHD_HTTP_SERVICE_UNAVAILABLE,
				  "too many scrapes in progress (--web.max-requests): retry shortly\n",
				  ANSWER_RETRY_AFTER, STATS_REFUSED_MAX_REQUESTS },
	[ANSWER_NO_SNAPSHOT] = { MHD_HTTP_SERVICE_UNAVAILABLE,
				 "no snapshot: the exporter is shutting down or out of memory\n",
				 ANSWER_RETRY_AFTER, STATS_REFUSALS },
	/* Not a fault of the exporter's to report as 500: memory may be back in a second. */
	[ANSWER_SCRAPE_FAILED] = { MHD_HTTP_SERVICE_UNAVAILABLE,
				   "out of memory rendering the answer: retry shortly\n", ANSWER_RETRY_AFTER,
				   STATS_REFUSED_OUT_OF_MEMORY },
};

/* Queues answer `a` (counting its refusal); the request is answered. */
static enum MHD_Result answer(struct request *req, enum answer a)
{
	const char *body = answers[a].body;
	struct MHD_Response *response;
	enum MHD_Result ret;

	req->state = REQ_ANSWERED;
	if (answers[a].refusal != STATS_REFUSALS)
		conns_refuse(req->server->requests->conns, answers[a].refusal,
			     req->auth.has_address ? &req->auth.address : NULL);
	response = MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_PERSISTENT);
	if (!response)
		return MHD_NO;
	MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, text_plain);
	if (answers[a].headers & ANSWER_ALLOW)
		MHD_add_response_header(response, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	if (answers[a].headers & ANSWER_RETRY_AFTER)
		MHD_add_response_header(response, MHD_HTTP_HEADER_RETRY_AFTER, "1");
	if (answers[a].headers & ANSWER_BASIC_AUTH)
		ret = MHD_queue_basic_auth_fail_response(req->connection, auth_realm, response);
	else
		ret = MHD_queue_response(req->connection, answers[a].status, response);
	MHD_destroy_response(response);
	return ret;
}

/* ---- the auth bridge --------------------------------------------------------------------- */

/* Client certificate policy of tls_server_config.client_auth_type, checked once the
 * request arrives (libmicrohttpd asks for a certificate when a client CA is set;
 * verification is ours). 0 when the connection may go on. */
static int check_client_certificate(struct MHD_Connection *connection, const struct webconfig *web)
{
	const union MHD_ConnectionInfo *info;
	gnutls_session_t session;
	unsigned int count = 0, status = 0;
	enum webconfig_client_auth policy = web->client_auth;

	if (policy == WEBCONFIG_NO_CLIENT_CERT || policy == WEBCONFIG_REQUEST_CLIENT_CERT)
		return 0;
	info = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	if (!info || !info->tls_session)
		return -EACCES;
	session = (gnutls_session_t)info->tls_session;
	if (!gnutls_certificate_get_peers(session, &count) || count == 0)
		return policy == WEBCONFIG_VERIFY_CLIENT_CERT_IF_GIVEN ? 0 : -EACCES;
	if (policy == WEBCONFIG_REQUIRE_ANY_CLIENT_CERT)
		return 0;
	{
		/* Chain to the client CA and a certificate fit for TLS client authentication (a
		 * server-only certificate from the same CA is refused, as in Go's crypto/tls). */
		gnutls_typed_vdata_st purpose = { GNUTLS_DT_KEY_PURPOSE_OID,
						  (unsigned char *)GNUTLS_KP_TLS_WWW_CLIENT, 0 };

		if (gnutls_certificate_verify_peers(session, &purpose, 1, &status) < 0 || status != 0)
			return -EACCES;
	}
	return 0;
}

/* The credentials of `Authorization: Basic TOKEN`, the scheme in any case (RFC 9110
 * §11.1), decoded into `buf` (size `size`) as "user\0password\0": 0 with *user and
 * *password pointing into it. -EINVAL when there are none, the scheme is another, the
 * token is not base64 or has no ':', or either part holds a NUL (libmicrohttpd's
 * MHD_basic_auth_get_username_password returned C strings: "secretpw\0junk" passed as
 * "secretpw"). */
static int basic_credentials(struct MHD_Connection *connection, char *buf, size_t size,
			     size_t *used, const char **user, const char **password)
{
	const char *header = MHD_lookup_connection_value(connection, MHD_HEADER_KIND,
							   MHD_HTTP_HEADER_AUTHORIZATION);
	gnutls_datum_t token, plain = { NULL, 0 };
	size_t len;
	char *colon;
	int ret = -EINVAL;

	*used = 0;
	if (!header || strncasecmp(header, "Basic", 5) != 0 || (header[5] != ' ' && header[5] != '\t'))
		return -EINVAL;
	header += 5 + strspn(header + 5, " \t");
	for (len = strlen(header); len && (header[len - 1] == ' ' || header[len - 1] == '\t'); len--)
		;
	/* Padded standard base64, as Go's exporter-toolkit reads it (GnuTLS decodes it). */
	token = (gnutls_datum_t){ (unsigned char *)header, (unsigned)len };
	if (len == 0 || len > size || gnutls_base64_decode2(&token, &plain) < 0)
		goto out;
	if (plain.size >= size)
		goto out;
	memcpy(buf, plain.data, plain.size);
	*used = plain.size;
	buf[plain.size] = '\0';
	colon = memchr(buf, ':', plain.size);
	if (!colon || memchr(buf, '\0', plain.size))
		goto out;
	*colon = '\0';
	*user = buf;
	*password = colon + 1;
	ret = 0;
out:
	if (plain.data) {
		explicit_bzero(plain.data, plain.size);
		gnutls_free(plain.data);
	}
	return ret;
}

/* Basic auth against the current users (auth.c decides; the credentials come from here). */
static enum auth_outcome check_basic_auth(struct requests *r, struct request *req)
{
	struct webconfig *web;
	const char *user = NULL, *password = NULL;
	char buf[1024]; /* a token longer than the users' limits is refused */
	size_t used = 0;
	enum auth_outcome outcome;

	pthread_mutex_lock(&r->lock);
	web = r->web && r->web->n_users ? webconfig_ref(r->web) : NULL;
	pthread_mutex_unlock(&r->lock);
	if (!web)
		return AUTH_OK;
	if (basic_credentials(req->connection, buf, sizeof(buf), &used, &user, &password) < 0)
		user = password = NULL; /* denied at once */
	outcome = auth_check(r->auth, web, user, password, &req->auth);
	explicit_bzero(buf, used + 1 < sizeof(buf) ? used + 1 : sizeof(buf));
	webconfig_unref(web);
	return outcome;
}

/* The password thread or the reaper is done with the request. */
static void auth_done(struct auth_request *a)
{
	struct request *req = (struct request *)((char *)a - offsetof(struct request, auth));

	req->state = REQ_AUTH_DONE;
	MHD_resume_connection(req->connection);
}

/* ---- scrapes --------------------------------------------------------------------------- */

static void scrape_done(struct scrape_waiter *w, struct snapshot *snapshot)
{
	struct request *req = (struct request *)w;

	req->snapshot = snapshot;
	req->state = REQ_SNAPSHOT_READY;
	MHD_resume_connection(req->connection);
}

enum scrape_start { SCRAPE_REFUSED, SCRAPE_SUSPENDED, SCRAPE_READY };

/* Starts a scrape: suspended until the scanner hands over a snapshot, ready at once (the
 * latest snapshot), or refused (*ret holds the queued refusal). Admission is decided here:
 * --web.max-requests places (shared fairly between addresses), and the memory bound of
 * responses still being sent. */
static enum scrape_start start_scrape(struct requests *r, struct request *req, enum MHD_Result *ret)
{
	struct snapshot *latest;

	/* The status views show the latest snapshot while it is fresh: a page left open (it
	 * refreshes itself) or a script polling the JSON adds no scan of its own, and takes no
	 * --web.max-requests place either. */
	if (req->view >= SNAPSHOT_VIEW_STATUS_JSON || req->ready_probe) {
		latest = scrape_latest(r->scrape);
		/* Ready once a scan has been published; until then the probe waits for one. */
		if (latest && (req->ready_probe ||
			       clock_seconds(CLOCK_MONOTONIC) - latest->monotonic_time <= HTTP_STATUS_MAX_AGE_SECONDS)) {
			req->snapshot = latest;
			req->state = REQ_SNAPSHOT_READY;
			return SCRAPE_READY;
		}
		snapshot_unref(latest);
	}
	/* The places are shared between client addresses (conns_take_place): one address
	 * asking as fast as it can leaves the others theirs. */
	if (!conns_take_place(r->conns, req->connection, r->max_requests)) {
		*ret = answer(req, ANSWER_MAX_REQUESTS);
		return SCRAPE_REFUSED;
	}
	req->counted = true;
	/* Responses still being sent for older snapshots hold memory that only their clients
	 * can release: past the bound, answer from the latest snapshot without a new scan. */
	latest = scrape_latest(r->scrape);
	if (latest && bodies_held_by_older(r->bodies, latest) > HTTP_RESPONSE_MEMORY_BOUND) {
		atomic_fetch_add_explicit(&r->stale_scrapes, 1, memory_order_relaxed);
		req->snapshot = latest;
		req->state = REQ_SNAPSHOT_READY;
		return SCRAPE_READY;
	}
	snapshot_unref(latest);
	req->state = REQ_SNAPSHOT_WAIT;
	req->waiter.done = scrape_done;
	MHD_suspend_connection(req->connection);
	scrape_request(r->scrape, &req->waiter);
	*ret = MHD_YES;
	return SCRAPE_SUSPENDED;
}

static enum MHD_Result answer_scrape(struct requests *r, struct request *req)
{
	struct snapshot *s = req->snapshot;
	enum MHD_Result ret;

	if (!s) {
		ret = answer(req, ANSWER_NO_SNAPSHOT);
	} else if (req->ready_probe) {
		ret = answer(req, ANSWER_READY);
	} else {
		struct MHD_Response *view =
			bodies_view(r->bodies, s, req->view,
				    MHD_lookup_connection_value(req->connection, MHD_HEADER_KIND,
								MHD_HTTP_HEADER_ACCEPT_ENCODING));

		ret = view ? MHD_queue_response(req->connection, MHD_HTTP_OK, view)
			   : answer(req, ANSWER_SCRAPE_FAILED);
	}
	snapshot_unref(s);
	req->snapshot = NULL;
	req->state = REQ_ANSWERED;
	/* Prepared: the --web.max-requests place is free again. Sending the shared body to a
	 * slow client costs no place, or a few never-reading clients would lock scrapes out. */
	if (req->counted) {
		conns_return_place(r->conns, req->connection);
		req->counted = false;
	}
	return ret;
}

/* ---- the request handler --------------------------------------------------------------- */

/* Past auth: other methods are refused at once (libmicrohttpd then closes the connection,
 * so a body is never read); a GET or HEAD is answered once complete (route), so that
 * libmicrohttpd keeps the connection alive for the next scrape. */
static enum MHD_Result allow(struct request *req, const char *method, bool *answered)
{
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return answer(req, ANSWER_METHOD_NOT_ALLOWED);
	req->state = REQ_READY;
	*answered = false;
	return MHD_YES;
}

/* Basic auth, then the method: refused (*answered true), allowed (*answered false, state
 * REQ_READY) or handed to the password thread (*answered false, suspended). */
static enum MHD_Result authenticate(struct request *req, const char *method, bool *answered,
				    bool *handed_over)
{
	struct requests *r = req->server->requests;
	enum auth_outcome outcome;

	*answered = true;
	*handed_over = false;
	switch ((outcome = check_basic_auth(r, req))) {
	case AUTH_OK:
		break;
	case AUTH_QUEUED:   /* the password thread resumes it */
	case AUTH_THROTTLED: /* the reaper (or the check it waits behind) resumes it */
		req->state = REQ_AUTH_WAIT;
		conns_set_phase(req->connection, CONNS_WAIT); /* waiting on us, not the client */
		MHD_suspend_connection(req->connection);
		*answered = false;
		*handed_over = true; /* from here on `req` is the password thread's or the reaper's */
		auth_hand_over(r->auth, &req->auth, outcome);
		return MHD_YES;
	case AUTH_QUEUE_FULL:
		return answer(req, ANSWER_AUTH_QUEUE_FULL);
	case AUTH_DENIED:
		return answer(req, ANSWER_UNAUTHORIZED);
	}
	return allow(req, method, answered);
}

/* First call, once the headers are in: everything that can refuse the request is decided
 * here (*answered true), or it is handed to the password thread (*answered false). */
static enum MHD_Result check_request(struct request *req, const char *url, const char *method,
				     const char *version, bool *answered)
{
	bool handed_over;

	*answered = true;
	/* requests_unescape empties a path with a control character in it. */
	if (url[0] == '\0')
		return answer(req, ANSWER_BAD_PATH);
	/* RFC 9112 §3.2: a server MUST answer 400 to an HTTP/1.1 request without Host; an
	 * HTTP/1.0 one need not have it. */
	if (strcmp(version, MHD_HTTP_VERSION_1_0) != 0 &&
	    !MHD_lookup_connection_value(req->connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST))
		return answer(req, ANSWER_NO_HOST);
	if (req->server->tls && check_client_certificate(req->connection, req->server->tls) < 0)
		return answer(req, ANSWER_CLIENT_CERTIFICATE);
	return authenticate(req, method, answered, &handed_over);
}

/* The password thread or the reaper resumed the request: refused, allowed (*answered
 * false) to go on, or (checked again) handed over once more (*handed_over). */
static enum MHD_Result check_auth_done(struct request *req, const char *method, bool *answered,
				       bool *handed_over)
{
	*answered = true;
	*handed_over = false;
	auth_request_clear(&req->auth);
	if (req->auth.recheck) { /* the check it was held behind succeeded: the cache may know it */
		req->auth.recheck = req->auth.behind = false;
		return authenticate(req, method, answered, handed_over);
	}
	if (req->auth.throttled)
		return answer(req, ANSWER_AUTH_THROTTLED);
	if (!req->auth.ok)
		return answer(req, ANSWER_UNAUTHORIZED);
	return allow(req, method, answered);
}

/* Answers a complete request, or hands it over (*answered false): from then on the
 * scanner owns `req` until it resumes the connection, so it is not touched again here. */
static enum MHD_Result route(struct request *req, const char *url, bool *answered)
{
	struct requests *r = req->server->requests;
	const struct route *route = routes_find(url, r->telemetry_path);
	enum MHD_Result ret = MHD_NO;

	*answered = true;
	if (!route)
		return answer(req, ANSWER_NOT_FOUND);
	/* Serving: for liveness probes, which must not cost a scan (/ does now). */
	if (route->kind == ROUTE_HEALTHY)
		return answer(req, ANSWER_HEALTHY);
	req->ready_probe = route->kind == ROUTE_READY;
	req->view = route->view; /* for the metrics, text or gzip: decided when answering */
	switch (start_scrape(r, req, &ret)) {
	case SCRAPE_READY:
		return answer_scrape(r, req);
	case SCRAPE_REFUSED:
		return ret;
	case SCRAPE_SUSPENDED:
		break;
	}
	*answered = false;
	return ret;
}

/* A new request (first call): tracked, then checked. */
static enum MHD_Result new_request(struct requests_server *srv, struct MHD_Connection *connection,
				   const char *url, const char *method, const char *version,
				   void **req_cls, bool *answered)
{
	const union MHD_ConnectionInfo *info =
		MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	struct request *req = calloc(1, sizeof(*req));

	if (!req) {
		*answered = false;
		return MHD_NO;
	}
	*req_cls = req;
	req->server = srv;
	req->connection = connection;
	req->auth.has_address = info && address_of(info->client_addr, &req->auth.address);
	req->auth.done = auth_done;
	/* Refused unless check_request says otherwise; it may hand the request to another
	 * thread, after which `req` is not read here. */
	req->state = REQ_ANSWERED;
	return check_request(req, url, method, version, answered);
}

enum MHD_Result requests_handle(void *cls, struct MHD_Connection *connection, const char *url,
				const char *method, const char *version, const char *upload_data,
				size_t *upload_data_size, void **req_cls)
{
	struct request *req = *req_cls;
	enum MHD_Result ret;
	bool answered = true;

	(void)upload_data;
	if (!req) {
		ret = new_request(cls, connection, url, method, version, req_cls, &answered);
	} else if (*upload_data_size != 0) {
		*upload_data_size = 0; /* a GET with a body: discard it */
		return MHD_YES;
	} else if (req->state == REQ_AUTH_DONE) {
		bool handed_over;

		ret = check_auth_done(req, method, &answered, &handed_over);
		/* The request may not be complete yet (libmicrohttpd calls again when it is): the
		 * rest of it is the client's to send, under the read deadline. */
		if (!answered && !handed_over)
			conns_set_phase(connection, CONNS_READ);
	} else if (req->state == REQ_READY) { /* the request is complete */
		conns_set_phase(connection, CONNS_WAIT);
		ret = route(req, url, &answered);
	} else if (req->state == REQ_SNAPSHOT_READY) { /* resumed by the scanner */
		ret = answer_scrape(req->server->requests, req);
	} else {
		return MHD_YES;
	}
	/* A queued response is the client's to take, under the write deadline. */
	if (answered)
		conns_set_phase(connection, CONNS_WRITE);
	return ret;
}

void requests_completed(void *cls, struct MHD_Connection *connection, void **req_cls,
			enum MHD_RequestTerminationCode toe)
{
	struct requests *r = ((struct requests_server *)cls)->requests;
	struct request *req = *req_cls;

	if (toe == MHD_REQUEST_TERMINATED_TIMEOUT_REACHED) /* libmicrohttpd's own inactivity timeout */
		conns_note_timeout(connection);
	if (!req)
		return;
	if (req->counted)
		conns_return_place(r->conns, connection);
	snapshot_unref(req->snapshot);
	auth_request_clear(&req->auth);
	free(req);
	*req_cls = NULL;
	conns_set_phase(connection, CONNS_READ); /* a kept-alive connection now waits for its next request */
}

size_t requests_unescape(void *cls, struct MHD_Connection *connection, char *s)
{
	size_t len = MHD_http_unescape(s);

	(void)cls;
	(void)connection;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) {
			s[0] = '\0';
			return 0;
		}
	return len;
}

/* ---- the module -------------------------------------------------------------------------- */

int requests_create(struct requests **out, const struct requests_config *config,
		    struct scrape *scrape, struct auth *auth, struct conns *conns,
		    struct bodies *bodies, struct webconfig *web)
{
	struct requests *r = calloc(1, sizeof(*r));

	if (!r)
		return -ENOMEM;
	r->scrape = scrape;
	r->auth = auth;
	r->conns = conns;
	r->bodies = bodies;
	snprintf(r->telemetry_path, sizeof(r->telemetry_path), "%s", config->telemetry_path);
	r->max_requests = config->max_requests;
	r->web = web ? webconfig_ref(web) : NULL;
	pthread_mutex_init(&r->lock, NULL);
	*out = r;
	return 0;
}

void requests_destroy(struct requests *r)
{
	if (!r)
		return;
	webconfig_unref(r->web);
	pthread_mutex_destroy(&r->lock);
	free(r);
}

void requests_set_web(struct requests *r, struct webconfig *web)
{
	struct webconfig *old;

	pthread_mutex_lock(&r->lock);
	old = r->web;
	r->web = web ? webconfig_ref(web) : NULL;
	pthread_mutex_unlock(&r->lock);
	webconfig_unref(old);
}

uint64_t requests_stale_scrapes(struct requests *r)
{
	return atomic_load_explicit(&r->stale_scrapes, memory_order_relaxed);
}
