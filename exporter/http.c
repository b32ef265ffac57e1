/* http.c — libmicrohttpd daemon, routes and limits.
 *
 * One internal polling thread: scrapes are served one at a time, which is what keeps
 * the collectors' module state safe without locks. We bind the listening socket
 * ourselves so that a bad or busy address is reported precisely at start-up. */
#include "http.h"

#include "expfmt.h"
#include "log.h"
#include "scrape.h"
#include "webconfig.h"

#include <arpa/inet.h>
#include <errno.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

static struct MHD_Daemon *http_daemon;
static int http_listen_fd = -1; /* ours until MHD starts with it */
static const char *http_telemetry_path;
static struct webconfig *http_web;
static const char auth_realm[] = "tcp_health_exporter";
static size_t http_last_size = 16384; /* next scrape buffer starts at the last size */

static const char landing_page_fmt[] =
	"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>TCP health exporter</title>"
	"</head>\n<body><h1>TCP health exporter</h1>\n<p>Per-port TCP connection health for "
	"Prometheus.</p>\n<p><a href=\"%s\">Metrics</a></p>\n</body></html>\n";

int http_parse_listen_address(const char *text, struct sockaddr_storage *addr, socklen_t *len,
			      int *wildcard, char *err, size_t errlen)
{
	char host[256];
	const char *colon, *port_text;
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE };
	struct addrinfo *res = NULL;
	char *end;
	long port;
	int rc;

	if (text[0] == '[') {
		const char *close = strchr(text, ']');

		if (!close || close[1] != ':') {
			snprintf(err, errlen, "invalid --web.listen-address '%s': want [IPv6]:PORT", text);
			return -EINVAL;
		}
		if ((size_t)(close - text - 1) >= sizeof(host)) {
			snprintf(err, errlen, "invalid --web.listen-address '%s': host too long", text);
			return -EINVAL;
		}
		memcpy(host, text + 1, (size_t)(close - text - 1));
		host[close - text - 1] = '\0';
		port_text = close + 2;
		hints.ai_family = AF_INET6;
		hints.ai_flags |= AI_NUMERICHOST;
	} else {
		colon = strrchr(text, ':');
		if (!colon || strchr(text, ':') != colon) {
			snprintf(err, errlen,
				 "invalid --web.listen-address '%s': want HOST:PORT, :PORT or [IPv6]:PORT",
				 text);
			return -EINVAL;
		}
		if ((size_t)(colon - text) >= sizeof(host)) {
			snprintf(err, errlen, "invalid --web.listen-address '%s': host too long", text);
			return -EINVAL;
		}
		memcpy(host, text, (size_t)(colon - text));
		host[colon - text] = '\0';
		port_text = colon + 1;
	}
	errno = 0;
	port = strtol(port_text, &end, 10);
	if (!*port_text || *end || errno || port < 1 || port > 65535) {
		snprintf(err, errlen, "invalid --web.listen-address '%s': port must be 1-65535", text);
		return -EINVAL;
	}

	*wildcard = host[0] == '\0';
	memset(addr, 0, sizeof(*addr));
	if (*wildcard) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)addr;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_addr = in6addr_any;
		sin6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*sin6);
		return 0;
	}
	rc = getaddrinfo(host, port_text, &hints, &res);
	if (rc != 0 || !res) {
		snprintf(err, errlen, "invalid --web.listen-address '%s': %s", text,
			 rc ? gai_strerror(rc) : "no address");
		return -EINVAL;
	}
	memcpy(addr, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

static int bind_listen_socket(const struct sockaddr_storage *addr, socklen_t len, int wildcard,
			      const char *text, char *err, size_t errlen)
{
	const int on = 1, off = 0;
	int fd, ret;

	fd = socket(addr->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 && wildcard && errno == EAFNOSUPPORT) {
		/* No IPv6 in this kernel: every address means every IPv4 address. */
		struct sockaddr_in sin = { .sin_family = AF_INET,
					   .sin_port = ((const struct sockaddr_in6 *)addr)->sin6_port };

		return bind_listen_socket((const struct sockaddr_storage *)&sin, sizeof(sin), 0, text,
					  err, errlen);
	}
	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "cannot listen on '%s': socket: %s", text, strerror(errno));
		return ret;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	if (wildcard)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off));
	if (bind(fd, (const struct sockaddr *)addr, len) < 0 || listen(fd, 64) < 0) {
		ret = -errno;
		snprintf(err, errlen, "cannot listen on '%s': %s", text, strerror(errno));
		close(fd);
		return ret;
	}
	return fd;
}

static enum MHD_Result queue_text(struct MHD_Connection *conn, unsigned status, const char *text,
				  const char *content_type)
{
	struct MHD_Response *response =
		MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ret;

	if (!response)
		return MHD_NO;
	MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(response, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	if (status == MHD_HTTP_TOO_MANY_REQUESTS)
		MHD_add_response_header(response, MHD_HTTP_HEADER_RETRY_AFTER, "1");
	ret = MHD_queue_response(conn, status, response);
	MHD_destroy_response(response);
	return ret;
}

/* True when the client accepts gzip: a "gzip" coding in Accept-Encoding whose q-value is
 * not 0, or, when gzip is not named, a "*" whose q-value is not 0 (RFC 9110 12.5.3). */
int http_accepts_gzip(const char *accept_encoding)
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

/* gzip-compresses `len` bytes into a new buffer. NULL on failure (the caller then sends
 * the plain text: compression is an optimisation, never a reason to fail a scrape). */
static char *gzip_compress(const char *data, size_t len, size_t *out_len)
{
	z_stream zs = { 0 };
	size_t cap;
	char *out;

	/* 15 + 16: a gzip header rather than a zlib one; level 1: the text compresses well
	 * even at the fastest level, and the scrape stays cheap. */
	if (deflateInit2(&zs, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return NULL;
	cap = deflateBound(&zs, len) + 32;
	out = malloc(cap);
	if (!out) {
		deflateEnd(&zs);
		return NULL;
	}
	zs.next_in = (Bytef *)data;
	zs.avail_in = (uInt)len;
	zs.next_out = (Bytef *)out;
	zs.avail_out = (uInt)cap;
	if (deflate(&zs, Z_FINISH) != Z_STREAM_END) {
		deflateEnd(&zs);
		free(out);
		return NULL;
	}
	*out_len = zs.total_out;
	deflateEnd(&zs);
	return out;
}

static enum MHD_Result serve_metrics(struct MHD_Connection *conn)
{
	const char *accept_encoding;
	int gzip = 0;
	struct expfmt_buf buf;
	struct MHD_Response *response;
	enum MHD_Result ret;
	size_t len;
	char *body;

	if (expfmt_init(&buf, http_last_size) < 0 || scrape_run(&buf) < 0) {
		expfmt_fini(&buf);
		log_error("scrape failed: out of memory");
		return queue_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "scrape failed: out of memory\n",
				  "text/plain; charset=utf-8");
	}
	body = expfmt_detach(&buf, &len);
	http_last_size = len + len / 4 + 1024;
	accept_encoding = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
						      MHD_HTTP_HEADER_ACCEPT_ENCODING);
	if (accept_encoding && http_accepts_gzip(accept_encoding) && len <= UINT32_MAX) {
		size_t zlen;
		char *zbody = gzip_compress(body, len, &zlen);

		if (zbody) {
			free(body);
			body = zbody;
			len = zlen;
			gzip = 1;
		} else {
			log_warn("gzip compression failed; sending the scrape uncompressed");
		}
	}
	/* MHD owns the bytes until the (possibly slow) client has them all. */
	response = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (!response) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, EXPFMT_CONTENT_TYPE);
	MHD_add_response_header(response, MHD_HTTP_HEADER_VARY, MHD_HTTP_HEADER_ACCEPT_ENCODING);
	if (gzip)
		MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
	ret = MHD_queue_response(conn, MHD_HTTP_OK, response);
	MHD_destroy_response(response);
	return ret;
}

/* Client certificate policy of tls_server_config.client_auth_type, checked once the
 * request arrives (MHD asks for a certificate when a client CA is set; verification is
 * ours). Returns 0 when the connection may go on. */
static int check_client_certificate(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *info;
	gnutls_session_t session;
	unsigned int count = 0, status = 0;
	enum webconfig_client_auth policy = http_web->client_auth;

	if (policy == WEBCONFIG_NO_CLIENT_CERT || policy == WEBCONFIG_REQUEST_CLIENT_CERT)
		return 0;
	info = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
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

/* Clients whose last password was wrong: for AUTH_RETRY_MS they get 429 instead of another
 * bcrypt, so a stream of wrong passwords cannot keep the (single) serving thread busy and
 * stall scrapes. A password that matched before is still accepted at once (no bcrypt). */
#define AUTH_FAILED_CLIENTS 64
#define AUTH_RETRY_MS 1000

struct failed_client {
	int family;
	unsigned char addr[16];
	long long until_ms;
};

static struct failed_client failed_clients[AUTH_FAILED_CLIENTS];

static long long monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The client's address as family + bytes (the port does not matter). */
static int client_key(struct MHD_Connection *conn, int *family, unsigned char addr[16])
{
	const union MHD_ConnectionInfo *info =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = info ? info->client_addr : NULL;

	memset(addr, 0, 16);
	if (!sa)
		return -ENOENT;
	*family = sa->sa_family;
	if (sa->sa_family == AF_INET)
		memcpy(addr, &((const struct sockaddr_in *)sa)->sin_addr, 4);
	else if (sa->sa_family == AF_INET6)
		memcpy(addr, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
	else
		return -EAFNOSUPPORT;
	return 0;
}

/* The table entry of this client, or NULL. */
static struct failed_client *find_failed(int family, const unsigned char addr[16])
{
	for (unsigned i = 0; i < AUTH_FAILED_CLIENTS; i++)
		if (failed_clients[i].family == family && memcmp(failed_clients[i].addr, addr, 16) == 0)
			return &failed_clients[i];
	return NULL;
}

static void remember_failure(int family, const unsigned char addr[16], long long now)
{
	struct failed_client *slot = find_failed(family, addr);

	if (!slot) { /* the entry that expires first; unused and expired ones come first */
		slot = &failed_clients[0];
		for (unsigned i = 1; i < AUTH_FAILED_CLIENTS; i++)
			if (failed_clients[i].until_ms < slot->until_ms)
				slot = &failed_clients[i];
	}
	slot->family = family;
	memcpy(slot->addr, addr, 16);
	slot->until_ms = now + AUTH_RETRY_MS;
}

/* basic_auth_users: 0 when no users are configured or the credentials match, -EACCES when
 * they do not, -EAGAIN when this client must wait before its next attempt. */
static int check_basic_auth(struct MHD_Connection *conn)
{
	char *password = NULL;
	char *user;
	unsigned char addr[16];
	int family = 0, ret = -EACCES;
	long long now = monotonic_ms();
	struct failed_client *failed;

	if (!http_web->n_users)
		return 0;
	user = MHD_basic_auth_get_username_password(conn, &password);
	if (user && password) {
		bool known = client_key(conn, &family, addr) == 0;

		failed = known ? find_failed(family, addr) : NULL;
		if (webconfig_password_cached(http_web, user, password))
			ret = 0;
		else if (failed && failed->until_ms > now)
			ret = -EAGAIN;
		else if (webconfig_check_password(http_web, user, password))
			ret = 0;
		else if (known)
			remember_failure(family, addr, now);
		if (ret == 0 && failed)
			failed->until_ms = 0;
	}
	if (password) {
		explicit_bzero(password, strlen(password));
		MHD_free(password);
	}
	if (user)
		MHD_free(user);
	return ret;
}

static enum MHD_Result queue_unauthorized(struct MHD_Connection *conn)
{
	static const char text[] = "unauthorized\n";
	struct MHD_Response *response =
		MHD_create_response_from_buffer(sizeof(text) - 1, (void *)text, MHD_RESPMEM_PERSISTENT);
	enum MHD_Result ret;

	if (!response)
		return MHD_NO;
	MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
	ret = MHD_queue_basic_auth_fail_response(conn, auth_realm, response);
	MHD_destroy_response(response);
	return ret;
}

/* First call of a request, once its headers are in: everything that can refuse it is
 * decided here, once. A request that may go on is answered when complete (serve_request),
 * which lets MHD keep the connection alive for the next scrape. */
static enum MHD_Result check_request(struct MHD_Connection *conn, const char *method, void **req_cls)
{
	static int headers_seen;

	if (http_web && check_client_certificate(conn) < 0)
		return queue_text(conn, MHD_HTTP_FORBIDDEN, "a trusted client certificate is required\n",
				  "text/plain; charset=utf-8");
	if (http_web) {
		int auth = check_basic_auth(conn);

		if (auth == -EAGAIN)
			return queue_text(conn, MHD_HTTP_TOO_MANY_REQUESTS,
					  "wrong password a moment ago: retry in a second\n",
					  "text/plain; charset=utf-8");
		if (auth < 0)
			return queue_unauthorized(conn);
	}
	/* Refuse other methods at once (MHD then closes the connection, so a body is never
	 * read). */
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return queue_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed\n",
				  "text/plain; charset=utf-8");
	*req_cls = &headers_seen;
	return MHD_YES;
}

static enum MHD_Result serve_request(struct MHD_Connection *conn, const char *url)
{
	if (strcmp(url, http_telemetry_path) == 0)
		return serve_metrics(conn);
	if (strcmp(url, "/") == 0) {
		char page[sizeof(landing_page_fmt) + 512];

		snprintf(page, sizeof(page), landing_page_fmt, http_telemetry_path);
		return queue_text(conn, MHD_HTTP_OK, page, "text/html; charset=utf-8");
	}
	return queue_text(conn, MHD_HTTP_NOT_FOUND, "not found\n", "text/plain; charset=utf-8");
}

static enum MHD_Result handle_request(void *cls, struct MHD_Connection *conn, const char *url,
				      const char *method, const char *version,
				      const char *upload_data, size_t *upload_data_size,
				      void **req_cls)
{
	(void)cls;
	(void)version;
	(void)upload_data;

	if (*req_cls == NULL)
		return check_request(conn, method, req_cls);
	if (*upload_data_size != 0) {
		*upload_data_size = 0; /* a GET with a body: discard it */
		return MHD_YES;
	}
	return serve_request(conn, url);
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char text[512];
	size_t n;

	(void)cls;
	vsnprintf(text, sizeof(text), fmt, ap);
	n = strlen(text);
	while (n && text[n - 1] == '\n')
		text[--n] = '\0';
	log_debug("http: %s", text);
}

int http_start(const struct http_config *config, char *err, size_t errlen)
{
	struct sockaddr_storage addr;
	socklen_t len;
	int wildcard, ret;

	ret = http_parse_listen_address(config->listen_address, &addr, &len, &wildcard, err, errlen);
	if (ret < 0)
		return ret;
	ret = bind_listen_socket(&addr, len, wildcard, config->listen_address, err, errlen);
	if (ret < 0)
		return ret;
	http_listen_fd = ret;
	http_telemetry_path = config->telemetry_path;
	http_web = config->web;
	{
		struct MHD_OptionItem options[12];
		unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_USE_ERROR_LOG;
		unsigned n = 0;

		/* Two-pointer options pass the first pointer cast to intptr_t; the logger first, so
		 * that MHD reports problems with the options that follow. */
		options[n++] = (struct MHD_OptionItem){ MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)mhd_log, NULL };
		options[n++] = (struct MHD_OptionItem){ MHD_OPTION_LISTEN_SOCKET, http_listen_fd, NULL };
		options[n++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_LIMIT, HTTP_CONNECTION_LIMIT, NULL };
		options[n++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_TIMEOUT,
							HTTP_CONNECTION_TIMEOUT_SEC, NULL };
		options[n++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_MEMORY_LIMIT,
							HTTP_CONNECTION_MEMORY, NULL };
		if (http_web && http_web->tls) {
			flags |= MHD_USE_TLS;
			options[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_CERT, 0, http_web->cert_pem };
			options[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_KEY, 0, http_web->key_pem };
			options[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_PRIORITIES, 0,
								(void *)webconfig_tls_priorities(http_web) };
			if (http_web->client_ca_pem)
				options[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_TRUST, 0,
									http_web->client_ca_pem };
		}
		options[n] = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };
		http_daemon = MHD_start_daemon(flags, 0, NULL, NULL, handle_request, NULL,
					       MHD_OPTION_ARRAY, options, MHD_OPTION_END);
	}
	if (!http_daemon) {
		snprintf(err, errlen, "cannot start HTTP server on '%s'", config->listen_address);
		close(http_listen_fd);
		http_listen_fd = -1;
		return -EIO;
	}
	http_listen_fd = -1; /* MHD owns and closes the listening socket from now on */
	return 0;
}

void http_stop(void)
{
	if (http_daemon) {
		MHD_stop_daemon(http_daemon);
		http_daemon = NULL;
	}
}
