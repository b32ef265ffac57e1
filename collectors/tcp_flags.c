/* tcp_flags.c — the rows of the tcp collector's flags, and how they configure it. */
#include "tcp_flags.h"

#include "collectors.h"

#include <errno.h>

_Static_assert(CLASSIFY_MAX_PORTS_LIMIT <= FLAGTAB_PORTS_MAX, "a port list holds --max-ports ports");

#define MAX_IDLE_THRESHOLD_MS (7 * 24 * 3600 * 1000ull)
#define AT(field) offsetof(struct tcp_flags, field)
#define STR_(x) #x
#define STR(x) STR_(x)

static const struct flagtab_row rows[] = {
	{ .name = "listen-ports", .kind = FLAGTAB_PORTS, .arg = "LIST", .at = AT(listen_ports),
	  .max = CLASSIFY_MAX_PORTS_LIMIT,
	  .help = "expected listening ports, e.g. 1202,3720,1720 or 8000-8010; each is reported by "
		  "tcp_health_listener_up, 0 when down" },
	{ .name = "client-ports", .kind = FLAGTAB_PORTS, .arg = "LIST", .at = AT(client_ports),
	  .max = CLASSIFY_MAX_PORTS_LIMIT,
	  .help = "remote ports always labelled for outgoing connections, even inside the ephemeral "
		  "port range" },
	{ .name = "max-ports", .kind = FLAGTAB_NUMBER, .arg = "N", .at = AT(max_ports), .min = 1,
	  .max = CLASSIFY_MAX_PORTS_LIMIT, .def = "250",
	  .help = "distinct port label values per role; the rest fold into port=\"other\"" },
	{ .name = "idle-threshold", .kind = FLAGTAB_DURATION, .arg = "DURATION",
	  .at = AT(idle_threshold_seconds), .min = 1000, .max = MAX_IDLE_THRESHOLD_MS, .unit_ms = 1000,
	  .def = "300s",
	  .help = "silence after which an ESTABLISHED connection without keepalive counts as "
		  "unprotected idle, in whole seconds" },
	{ .name = "collector.tcp.histograms", .kind = FLAGTAB_BOOL, .at = AT(histograms), .def = "on",
	  .flags = FLAGTAB_NEGATABLE,
	  .help = "the idle and RTT histograms; off saves 22 series per port label set" },
	{ .name = "collector.tcp.worst-connections", .kind = FLAGTAB_NUMBER, .arg = "N",
	  .at = AT(worst_connections), .min = 1, .max = TCPAGG_WORST_LIMIT,
	  .def = STR(TCPAGG_WORST_DEFAULT),
	  .help = "connections listed per problem kind on the status page and /api/v1/status; "
		  "never labels" },
	{ .name = "collector.tcp.events.recent", .kind = FLAGTAB_NUMBER, .arg = "N",
	  .at = AT(events_recent), .min = 0, .max = COLLECTORS_EVENTS_RECENT_LIMIT,
	  .def = STR(COLLECTORS_EVENTS_RECENT_DEFAULT),
	  .help = "closes that were not normal, listener closes and listener transitions kept for "
		  "the status page and /api/v1/status (all namespaces together); never labels" },
	{ .name = "collector.tcp.events.buffer", .kind = FLAGTAB_NUMBER, .arg = "BYTES",
	  .at = AT(events_buffer), .min = 65536, .max = 1073741824, .def = "8388608",
	  .help = "receive buffer of each namespace's socket-destroy subscription; a burst larger "
		  "than it loses events (tcp_health_exporter_events_lost_total). Beyond "
		  "net.core.rmem_max it needs CAP_NET_ADMIN" },
};

/* A port list may hold no more ports than --max-ports allows, wherever either stands. */
static int finish(void *config, const bool *given, char *err, size_t errlen)
{
	const struct tcp_flags *f = config;
	const struct flagtab_ports *lists[] = { &f->listen_ports, &f->client_ports };

	(void)given;
	for (unsigned i = 0; i < 2; i++)
		if (lists[i]->n > f->max_ports) {
			snprintf(err, errlen, "invalid --%s '%s': more than %u ports (raise --max-ports)",
				 rows[i].name, lists[i]->text, f->max_ports);
			return -EINVAL;
		}
	return 0;
}

const struct flagtab tcp_flags_table = {
	.owner = "tcp",
	.title = "The tcp collector",
	.rows = rows,
	.n_rows = sizeof(rows) / sizeof(rows[0]),
	.finish = finish,
};

void tcp_flags_apply(const struct tcp_flags *flags, struct collectors_config *config)
{
	config->classify = (struct classify_config){
		.listen_ports = flags->listen_ports.ports,
		.n_listen_ports = flags->listen_ports.n,
		.client_ports = flags->client_ports.ports,
		.n_client_ports = flags->client_ports.n,
		.max_ports = flags->max_ports,
	};
	config->idle_threshold_seconds = flags->idle_threshold_seconds;
	config->no_histograms = !flags->histograms;
	config->worst_connections = flags->worst_connections;
	config->events_recent = flags->events_recent;
	config->events_buffer = (int)flags->events_buffer;
}
