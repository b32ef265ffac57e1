/* stats.c — label values of the exporter's own figures. */
#include "stats.h"

const char *const stats_refusal_names[STATS_REFUSALS] = {
	[STATS_REFUSED_CONNECTION_LIMIT] = "connection_limit",
	[STATS_REFUSED_CLIENT_CONNECTION_LIMIT] = "client_connection_limit",
	[STATS_REFUSED_READ_TIMEOUT] = "read_timeout",
	[STATS_REFUSED_WRITE_TIMEOUT] = "write_timeout",
	[STATS_REFUSED_MAX_REQUESTS] = "max_requests",
	[STATS_REFUSED_AUTH_THROTTLED] = "auth_throttled",
	[STATS_REFUSED_AUTH_QUEUE_FULL] = "auth_queue_full",
	[STATS_REFUSED_UNAUTHORIZED] = "unauthorized",
	[STATS_REFUSED_OUT_OF_MEMORY] = "out_of_memory",
	[STATS_REFUSED_TLS_HANDSHAKE_LIMIT] = "tls_handshake_limit",
	[STATS_REFUSED_TLS_HANDSHAKE] = "tls_handshake",
	[STATS_REFUSED_CLIENT_CLOSED] = "client_closed",
};
