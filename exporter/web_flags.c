/* web_flags.c — the rows of the --web.* flags and the checks between them. */
#include "web_flags.h"

#include "buckets.h"

#include <errno.h>
#include <string.h>

#define AT(field) offsetof(struct web_flags, field)
#define MAX_HTTP_TIMEOUT_MS (3600 * 1000)

/* Letters, digits and -._~/ only: it is matched against the request path and linked from
 * the status page (which escapes it anyway). The paths the exporter serves itself are
 * refused by flags.c, which knows the routes. */
static int check_telemetry_path(const char *path, void *config, char *err, size_t errlen)
{
	(void)config;
	if (path[0] != '/' || strcmp(path, "/") == 0 || strlen(path) > 256 ||
	    path[strspn(path, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~/")]) {
		snprintf(err, errlen, "invalid --web.telemetry-path '%s': want an absolute path other "
			 "than / of at most 256 letters, digits and -._~/", path);
		return -EINVAL;
	}
	return 0;
}

static const struct flagtab_row rows[] = {
	{ .name = "web.listen-address", .kind = FLAGTAB_STRINGS, .arg = "ADDR",
	  .at = AT(listen_addresses), .count_at = AT(n_listen_addresses),
	  .max = WEB_FLAGS_MAX_LISTEN_ADDRESSES, .def = WEB_FLAGS_DEFAULT_LISTEN_ADDRESS,
	  .flags = FLAGTAB_REPEATABLE,
	  .help = "where to serve HTTP (:PORT = all IPv6 and IPv4 addresses, HOST:PORT, [IPv6]:PORT); "
		  "repeat it to serve on several" },
	{ .name = "web.systemd-socket", .kind = FLAGTAB_BOOL, .at = AT(systemd_socket),
	  .help = "serve on the sockets systemd passes (socket activation, "
		  "tcp_health_exporter.socket) instead of --web.listen-address" },
	{ .name = "web.telemetry-path", .kind = FLAGTAB_STRING, .arg = "PATH", .at = AT(telemetry_path),
	  .parse = check_telemetry_path, .def = "/metrics", .help = "path of the metrics" },
	{ .name = "web.config.file", .kind = FLAGTAB_STRING, .arg = "FILE", .at = AT(config_file),
	  .help = "TLS and basic auth, in the Prometheus exporter-toolkit format (tls_server_config, "
		  "basic_auth_users); SIGHUP re-reads it" },
	{ .name = "web.max-requests", .kind = FLAGTAB_NUMBER, .arg = "N", .at = AT(max_requests),
	  .min = 0, .max = 100000, .def = "40",
	  .help = "concurrent scrapes, shared fairly between client addresses; beyond 503 at once; 0: no limit" },
	{ .name = "web.max-connections", .kind = FLAGTAB_NUMBER, .arg = "N", .at = AT(max_connections),
	  .min = 1, .max = 65536, .def = "4096", .help = "open HTTP connections in all" },
	{ .name = "web.max-connections-per-ip", .kind = FLAGTAB_NUMBER, .arg = "N",
	  .at = AT(max_connections_per_ip), .min = 0, .max = 65536, .def = "128",
	  .help = "open HTTP connections from one client address; 0: no limit" },
	{ .name = "web.max-tls-handshakes-per-ip", .kind = FLAGTAB_NUMBER, .arg = "N",
	  .at = AT(max_tls_handshakes_per_ip), .min = 0, .max = 65536, .def = "8",
	  .help = "TLS connections from one client address that have not sent a request yet; "
		  "beyond, refused at accept; 0: no limit" },
	{ .name = "web.tls-handshake-rate-per-ip", .kind = FLAGTAB_NUMBER, .arg = "N",
	  .at = AT(tls_handshake_rate_per_ip), .min = 0, .max = BUCKETS_MAX_RATE, .def = "16",
	  .help = "new TLS connections per second from one client address (bursts of twice "
		  "that); beyond, refused at accept; 0: no limit" },
	{ .name = "web.read-timeout", .kind = FLAGTAB_DURATION, .arg = "DURATION",
	  .at = AT(read_timeout_ms), .min = 100, .max = MAX_HTTP_TIMEOUT_MS, .unit_ms = 1, .def = "10s",
	  .help = "time to receive a whole request, from the connection or the end of the previous "
		  "response; trickled bytes do not extend it" },
	{ .name = "web.write-timeout", .kind = FLAGTAB_DURATION, .arg = "DURATION",
	  .at = AT(write_timeout_ms), .min = 100, .max = MAX_HTTP_TIMEOUT_MS, .unit_ms = 1,
	  .def = "60s", .help = "time to send a whole response" },
	{ .name = "web.disable-exporter-metrics", .kind = FLAGTAB_BOOL,
	  .at = AT(disable_exporter_metrics),
	  .help = "leave out process_* and tcp_health_exporter_http_*" },
	{ .name = "web.status.exclude-self", .kind = FLAGTAB_BOOL, .at = AT(status_exclude_self),
	  .def = "on", .flags = FLAGTAB_NEGATABLE,
	  .help = "hide the exporter's own listening port(s) from the status page's per-port table" },
};

/* With socket activation the .socket unit says where to listen; otherwise the default
 * address stands when none is given. */
static int finish(void *config, const bool *given, char *err, size_t errlen)
{
	struct web_flags *f = config;

	(void)given;
	if (f->systemd_socket && f->n_listen_addresses) {
		snprintf(err, errlen, "--web.systemd-socket and --web.listen-address exclude each other: "
			 "with socket activation the .socket unit says where to listen");
		return -EINVAL;
	}
	if (!f->systemd_socket && !f->n_listen_addresses)
		f->listen_addresses[f->n_listen_addresses++] = WEB_FLAGS_DEFAULT_LISTEN_ADDRESS;
	return 0;
}

const struct flagtab web_flags_table = {
	.owner = "web",
	.title = "HTTP server",
	.rows = rows,
	.n_rows = sizeof(rows) / sizeof(rows[0]),
	.finish = finish,
};
