/* flags.c — getopt_long table, validation, --help text. */
#include "flags.h"

#include "../collectors/collectors.h"
#include "version.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_LISTEN_ADDRESS ":9978"
#define DEFAULT_TELEMETRY_PATH "/metrics"
#define DEFAULT_MAX_PORTS 250
#define DEFAULT_IDLE_THRESHOLD 300
#define MAX_IDLE_THRESHOLD (7 * 24 * 3600)
#define DEFAULT_MAX_REQUESTS 40
#define DEFAULT_MAX_CONNECTIONS 4096
#define MAX_MAX_CONNECTIONS 65536
#define DEFAULT_MAX_CONNECTIONS_PER_IP 128
#define DEFAULT_READ_TIMEOUT_MS 10000
#define DEFAULT_WRITE_TIMEOUT_MS 60000
#define MAX_HTTP_TIMEOUT_MS (3600 * 1000)

enum {
	OPT_LISTEN_ADDRESS = 256,
	OPT_TELEMETRY_PATH,
	OPT_WEB_CONFIG_FILE,
	OPT_LISTEN_PORTS,
	OPT_CLIENT_PORTS,
	OPT_MAX_PORTS,
	OPT_IDLE_THRESHOLD,
	OPT_LOG_LEVEL,
	OPT_MAX_REQUESTS,
	OPT_MAX_CONNECTIONS,
	OPT_MAX_CONNECTIONS_PER_IP,
	OPT_READ_TIMEOUT,
	OPT_WRITE_TIMEOUT,
	OPT_HELP,
	OPT_VERSION,
	OPT_NETNS,
	OPT_NETNS_MAX,
	OPT_NETNS_WORKERS,
	OPT_PROCFS,
	OPT_HISTOGRAMS_ON,
	OPT_HISTOGRAMS_OFF,
	OPT_WORST_CONNECTIONS,
	OPT_DISABLE_EXPORTER_METRICS,
	OPT_LOG_FORMAT,
	OPT_DISABLE_DEFAULTS,
	OPT_SYSTEMD_SOCKET,
	OPT_EXCLUDE_SELF_ON,
	OPT_EXCLUDE_SELF_OFF,
	OPT_COLLECTOR_ON = 512,	 /* + collector index */
	OPT_COLLECTOR_OFF = 768, /* + collector index */
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: tcp_health_exporter [FLAGS]\n"
		"Prometheus exporter of per-port TCP connection health (Linux inet_diag).\n\n"
		"  --web.listen-address=ADDR   where to serve HTTP (default \"" DEFAULT_LISTEN_ADDRESS
		"\";\n"
		"                              :PORT = all IPv6 and IPv4 addresses, HOST:PORT, [IPv6]:PORT);\n"
		"                              repeat it to serve on several (at most %d)\n"
		"  --web.systemd-socket        serve on the sockets systemd passes (socket activation,\n"
		"                              tcp_health_exporter.socket) instead of --web.listen-address\n"
		"  --web.telemetry-path=PATH   path of the metrics (default \"" DEFAULT_TELEMETRY_PATH
		"\")\n"
		"  --web.config.file=FILE      TLS and basic auth, in the Prometheus exporter-toolkit\n"
		"                              format (tls_server_config, basic_auth_users); SIGHUP\n"
		"                              re-reads it\n"
		"  --web.max-requests=N        concurrent scrapes; beyond them 503 at once (default %d,\n"
		"                              0: no limit)\n"
		"  --web.max-connections=N     open HTTP connections in all (default %d)\n"
		"  --web.max-connections-per-ip=N\n"
		"                              open HTTP connections from one client address\n"
		"                              (default %d, 0: no limit)\n"
		"  --web.read-timeout=DURATION time to receive a whole request, from the connection or\n"
		"                              the end of the previous response; trickled bytes do not\n"
		"                              extend it (default 10s)\n"
		"  --web.write-timeout=DURATION time to send a whole response (default 60s)\n"
		"  --listen-ports=LIST         expected listening ports, e.g. 1202,3720,1720 or 8000-8010;\n"
		"                              each is reported by tcp_health_listener_up, 0 when down\n"
		"  --client-ports=LIST         remote ports always labelled for outgoing connections,\n"
		"                              even inside the ephemeral port range\n"
		"  --max-ports=N               distinct port label values per role, 1-%d (default %d);\n"
		"                              the rest fold into port=\"other\"\n"
		"  --idle-threshold=DURATION   silence after which an ESTABLISHED connection without\n"
		"                              keepalive counts as unprotected idle (default %ds)\n"
		"  --netns=MODE                self: this network namespace only (default); all: every\n"
		"                              network namespace on the host (needs CAP_SYS_ADMIN and\n"
		"                              CAP_SYS_PTRACE), labelled netns, pod_uid, container_id;\n"
		"                              NAME[,NAME...]: those namespaces under /run/netns\n"
		"  --netns.max=N               namespaces scanned per scrape, 1-%d (default %d); the\n"
		"                              rest are counted in tcp_health_exporter_netns_over_limit\n"
		"  --netns.workers=N           threads scanning namespaces in parallel, 1-%d (default:\n"
		"                              one per online CPU)\n"
		"  --path.procfs=PATH          procfs mount point (default /proc), e.g. the host's\n"
		"                              procfs mounted into a container\n"
		"  --collector.disable-defaults\n"
		"                              run only the collectors enabled with --collector.NAME\n"
		"  --[no-]collector.tcp.histograms\n"
		"                              the idle and RTT histograms (default on; off saves 22\n"
		"                              series per port label set)\n"
		"  --web.disable-exporter-metrics\n"
		"                              leave out process_* and tcp_health_exporter_http_*\n"
		"  --[no-]web.status.exclude-self  the status page hides the exporter's own port(s) (default on)\n"
		"  --collector.tcp.worst-connections=N\n"
		"                              connections listed per problem kind on the status page\n"
		"                              and /api/v1/status, 1-%d (default %d); never labels\n"
		"  --log.level=LEVEL           debug, info, warn or error (default info)\n"
		"  --log.format=FORMAT         logfmt or json, one line a message on stderr (default\n"
		"                              logfmt)\n"
		"DURATION: 500ms, 10s, 5m, 1h, 1d, sums such as 1m30s, or a number of seconds.\n",
		FLAGS_MAX_LISTEN_ADDRESSES, DEFAULT_MAX_REQUESTS, DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_CONNECTIONS_PER_IP,
		CLASSIFY_MAX_PORTS_LIMIT, DEFAULT_MAX_PORTS, DEFAULT_IDLE_THRESHOLD,
		COLLECTORS_NETNS_MAX_LIMIT, COLLECTORS_NETNS_MAX_DEFAULT, COLLECTORS_WORKERS_MAX,
		TCPAGG_WORST_LIMIT, TCPAGG_WORST_DEFAULT);
	for (unsigned i = 0; i < collectors_count; i++)
		fprintf(out, "  --[no-]collector.%-10s %s (default %s)\n", collectors_table[i].name,
			collectors_table[i].description,
			collectors_table[i].default_enabled ? "on" : "off");
	fprintf(out, "  --help                      this text\n"
		     "  --version                   print the version\n");
}

int flags_parse_port_list(const char *text, uint16_t *ports, unsigned max, unsigned *n, char *err,
			  size_t errlen)
{
	static uint8_t seen[65536 / 8];
	const char *p = text;
	unsigned count = 0;

	memset(seen, 0, sizeof(seen));
	if (!*text) {
		snprintf(err, errlen, "empty port list");
		return -EINVAL;
	}
	for (;;) {
		long low, high;
		char *end;

		errno = 0;
		low = strtol(p, &end, 10);
		if (end == p || errno || *p == '-' || *p == '+' || *p == ' ') {
			snprintf(err, errlen, "'%s': not a port number at '%s'", text, p);
			return -EINVAL;
		}
		high = low;
		if (*end == '-') {
			p = end + 1;
			high = strtol(p, &end, 10);
			if (end == p || errno || *p == '-' || *p == '+' || *p == ' ') {
				snprintf(err, errlen, "'%s': bad range end at '%s'", text, p);
				return -EINVAL;
			}
		}
		if (low < 1 || low > 65535 || high < 1 || high > 65535) {
			snprintf(err, errlen, "'%s': port must be 1-65535", text);
			return -EINVAL;
		}
		if (low > high) {
			snprintf(err, errlen, "'%s': range %ld-%ld is reversed", text, low, high);
			return -EINVAL;
		}
		for (long port = low; port <= high; port++) {
			if (seen[port >> 3] & (1u << (port & 7)))
				continue;
			if (count == max) {
				snprintf(err, errlen, "'%s': more than %u ports (raise --max-ports)", text, max);
				return -EINVAL;
			}
			seen[port >> 3] |= (uint8_t)(1u << (port & 7));
			count++;
		}
		if (*end == '\0')
			break;
		if (*end != ',' || end[1] == '\0') {
			snprintf(err, errlen, "'%s': unexpected '%s'", text, end);
			return -EINVAL;
		}
		p = end + 1;
	}
	*n = 0;
	for (unsigned port = 1; port < 65536; port++)
		if (seen[port >> 3] & (1u << (port & 7)))
			ports[(*n)++] = (uint16_t)port;
	return 0;
}

int flags_parse_duration(const char *text, uint64_t min_ms, uint64_t max_ms, uint64_t *ms)
{
	static const struct {
		const char *unit;
		uint64_t ms;
	} units[] = { { "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "h", 3600000 }, { "d", 86400000 } };
	const char *p = text;
	uint64_t total = 0;

	if (!*text)
		return -EINVAL;
	while (*p) {
		uint64_t value = 0, unit_ms = 0;
		const char *digits = p;
		size_t unit_len;

		while (*p >= '0' && *p <= '9') {
			uint64_t digit = (uint64_t)(*p - '0');

			/* Checked before it can wrap; also keeps the sums below from overflowing. */
			if (value > (max_ms - digit) / 10)
				return -EINVAL;
			value = value * 10 + digit;
			p++;
		}
		if (p == digits)
			return -EINVAL;
		unit_len = strspn(p, "abcdefghijklmnopqrstuvwxyz");
		if (unit_len == 0) {
			if (p != text + strlen(text) || digits != text)
				return -EINVAL; /* a bare number only as the whole text: seconds */
			unit_ms = 1000;
		}
		for (unsigned i = 0; i < sizeof(units) / sizeof(units[0]) && unit_len; i++)
			if (strlen(units[i].unit) == unit_len && strncmp(units[i].unit, p, unit_len) == 0)
				unit_ms = units[i].ms;
		if (unit_ms == 0)
			return -EINVAL;
		if (value > max_ms / unit_ms)
			return -EINVAL;
		total += value * unit_ms;
		if (total > max_ms)
			return -EINVAL;
		p += unit_len;
	}
	if (total < min_ms)
		return -EINVAL;
	*ms = total;
	return 0;
}

/* A duration flag, in milliseconds, with the one-line message on error. */
static int parse_duration_flag(const char *flag, const char *text, uint64_t min_ms, uint64_t max_ms,
			       uint64_t *ms, char *err, size_t errlen)
{
	if (flags_parse_duration(text, min_ms, max_ms, ms) == 0)
		return 0;
	snprintf(err, errlen,
		 "invalid %s '%s': want a duration from %llums to %llus (e.g. 500ms, 10s, 5m, 1h) "
		 "or a number of seconds",
		 flag, text, (unsigned long long)min_ms, (unsigned long long)(max_ms / 1000));
	return -EINVAL;
}

static int parse_number(const char *flag, const char *text, long min, long max, unsigned *out,
			char *err, size_t errlen)
{
	char *end;
	long value;

	errno = 0;
	value = strtol(text, &end, 10);
	if (end == text || *end || errno || value < min || value > max || text[0] == ' ') {
		snprintf(err, errlen, "invalid %s '%s': want a number from %ld to %ld", flag, text, min,
			 max);
		return -EINVAL;
	}
	*out = (unsigned)value;
	return 0;
}

/* "self", "all", or a comma list of names under /run/netns. */
static int parse_netns(const char *text, struct flags *flags, char *err, size_t errlen)
{
	char *name, *save = NULL;

	flags->n_netns_names = 0;
	if (strcmp(text, "self") == 0 || strcmp(text, "all") == 0) {
		flags->netns_mode = text[0] == 's' ? NETNS_SELF : NETNS_ALL;
		return 0;
	}
	if (strlen(text) >= sizeof(flags->netns_text)) {
		snprintf(err, errlen, "invalid --netns: the list is too long");
		return -EINVAL;
	}
	snprintf(flags->netns_text, sizeof(flags->netns_text), "%s", text);
	for (name = strtok_r(flags->netns_text, ",", &save); name; name = strtok_r(NULL, ",", &save)) {
		if (!netns_name_valid(name)) {
			snprintf(err, errlen, "invalid --netns '%s': '%s' is not a namespace name (want "
				 "self, all, or names under /run/netns separated by commas)", text, name);
			return -EINVAL;
		}
		for (unsigned i = 0; i < flags->n_netns_names; i++)
			if (strcmp(flags->netns_names[i], name) == 0) {
				snprintf(err, errlen, "invalid --netns '%s': '%s' is given twice", text, name);
				return -EINVAL;
			}
		if (flags->n_netns_names == NETNS_NAMES_MAX) {
			snprintf(err, errlen, "invalid --netns: more than %d names", NETNS_NAMES_MAX);
			return -EINVAL;
		}
		flags->netns_names[flags->n_netns_names++] = name;
	}
	if (flags->n_netns_names == 0 || text[strlen(text) - 1] == ',' || text[0] == ',' ||
	    strstr(text, ",,")) {
		snprintf(err, errlen, "invalid --netns '%s': want self, all, or names under /run/netns "
			 "separated by commas", text);
		return -EINVAL;
	}
	flags->netns_mode = NETNS_NAMES;
	return 0;
}

int flags_parse(int argc, char **argv, struct flags *flags, FILE *out, char *err, size_t errlen)
{
	static char collector_names[2 * FLAGS_MAX_COLLECTORS][64];
	struct option options[32 + 2 * FLAGS_MAX_COLLECTORS];
	uint64_t ms;
	const char *listen_ports = NULL, *client_ports = NULL;
	char list_err[160];
	bool disable_defaults = false, explicit_on[FLAGS_MAX_COLLECTORS] = { false };
	unsigned n = 0;
	int opt;

	static const struct option fixed[] = {
		{ "web.listen-address", required_argument, NULL, OPT_LISTEN_ADDRESS },
		{ "web.systemd-socket", no_argument, NULL, OPT_SYSTEMD_SOCKET },
		{ "web.telemetry-path", required_argument, NULL, OPT_TELEMETRY_PATH },
		{ "web.config.file", required_argument, NULL, OPT_WEB_CONFIG_FILE },
		{ "listen-ports", required_argument, NULL, OPT_LISTEN_PORTS },
		{ "client-ports", required_argument, NULL, OPT_CLIENT_PORTS },
		{ "max-ports", required_argument, NULL, OPT_MAX_PORTS },
		{ "idle-threshold", required_argument, NULL, OPT_IDLE_THRESHOLD },
		{ "log.level", required_argument, NULL, OPT_LOG_LEVEL },
		{ "web.max-requests", required_argument, NULL, OPT_MAX_REQUESTS },
		{ "web.max-connections", required_argument, NULL, OPT_MAX_CONNECTIONS },
		{ "web.max-connections-per-ip", required_argument, NULL, OPT_MAX_CONNECTIONS_PER_IP },
		{ "web.read-timeout", required_argument, NULL, OPT_READ_TIMEOUT },
		{ "web.write-timeout", required_argument, NULL, OPT_WRITE_TIMEOUT },
		{ "help", no_argument, NULL, OPT_HELP },
		{ "version", no_argument, NULL, OPT_VERSION },
		{ "netns", required_argument, NULL, OPT_NETNS },
		{ "netns.max", required_argument, NULL, OPT_NETNS_MAX },
		{ "netns.workers", required_argument, NULL, OPT_NETNS_WORKERS },
		{ "path.procfs", required_argument, NULL, OPT_PROCFS },
		{ "collector.tcp.histograms", no_argument, NULL, OPT_HISTOGRAMS_ON },
		{ "no-collector.tcp.histograms", no_argument, NULL, OPT_HISTOGRAMS_OFF },
		{ "collector.tcp.worst-connections", required_argument, NULL, OPT_WORST_CONNECTIONS },
		{ "web.disable-exporter-metrics", no_argument, NULL, OPT_DISABLE_EXPORTER_METRICS },
		{ "web.status.exclude-self", no_argument, NULL, OPT_EXCLUDE_SELF_ON },
		{ "no-web.status.exclude-self", no_argument, NULL, OPT_EXCLUDE_SELF_OFF },
		{ "log.format", required_argument, NULL, OPT_LOG_FORMAT },
		{ "collector.disable-defaults", no_argument, NULL, OPT_DISABLE_DEFAULTS },
	};

	memset(flags, 0, sizeof(*flags));
	flags->telemetry_path = DEFAULT_TELEMETRY_PATH;
	flags->max_ports = DEFAULT_MAX_PORTS;
	flags->idle_threshold_seconds = DEFAULT_IDLE_THRESHOLD;
	flags->log_level = LOG_LEVEL_INFO;
	flags->max_requests = DEFAULT_MAX_REQUESTS;
	flags->max_connections = DEFAULT_MAX_CONNECTIONS;
	flags->max_connections_per_ip = DEFAULT_MAX_CONNECTIONS_PER_IP;
	flags->read_timeout_ms = DEFAULT_READ_TIMEOUT_MS;
	flags->write_timeout_ms = DEFAULT_WRITE_TIMEOUT_MS;
	flags->tcp_histograms = true;
	flags->status_exclude_self = true;
	flags->worst_connections = TCPAGG_WORST_DEFAULT;
	flags->proc_root = "/proc";
	flags->netns_mode = NETNS_SELF;
	flags->netns_max = COLLECTORS_NETNS_MAX_DEFAULT;
	if (collectors_count > FLAGS_MAX_COLLECTORS) {
		snprintf(err, errlen, "too many collectors compiled in");
		return -EINVAL;
	}
	_Static_assert(sizeof(fixed) / sizeof(fixed[0]) < 32, "options[] has room for 31 fixed flags");
	for (unsigned i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		options[n++] = fixed[i];
	for (unsigned i = 0; i < collectors_count; i++) {
		flags->collector_enabled[i] = collectors_table[i].default_enabled;
		snprintf(collector_names[2 * i], 64, "collector.%s", collectors_table[i].name);
		snprintf(collector_names[2 * i + 1], 64, "no-collector.%s", collectors_table[i].name);
		options[n++] = (struct option){ collector_names[2 * i], no_argument, NULL,
						(int)(OPT_COLLECTOR_ON + i) };
		options[n++] = (struct option){ collector_names[2 * i + 1], no_argument, NULL,
						(int)(OPT_COLLECTOR_OFF + i) };
	}
	options[n] = (struct option){ NULL, 0, NULL, 0 };

	opterr = 0; /* our own one-line messages */
	optind = 0; /* full re-initialisation (glibc), so the tests can parse repeatedly */
	while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		switch (opt) {
		case OPT_LISTEN_ADDRESS:
			for (unsigned i = 0; i < flags->n_listen_addresses; i++)
				if (strcmp(flags->listen_addresses[i], optarg) == 0) {
					snprintf(err, errlen, "invalid --web.listen-address '%s': given twice", optarg);
					return -EINVAL;
				}
			if (flags->n_listen_addresses == FLAGS_MAX_LISTEN_ADDRESSES) {
				snprintf(err, errlen, "too many --web.listen-address: at most %d",
					 FLAGS_MAX_LISTEN_ADDRESSES);
				return -EINVAL;
			}
			flags->listen_addresses[flags->n_listen_addresses++] = optarg;
			break;
		case OPT_SYSTEMD_SOCKET:
			flags->systemd_socket = true;
			break;
		case OPT_TELEMETRY_PATH:
			/* Letters, digits and -._~/ only: it is matched against the request path and
			 * linked from the status page (which escapes it anyway). */
			if (optarg[0] != '/' || strcmp(optarg, "/") == 0 || strlen(optarg) > 256 ||
			    optarg[strspn(optarg, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
						  "0123456789-._~/")] != '\0') {
				snprintf(err, errlen,
					 "invalid --web.telemetry-path '%s': want an absolute path other than / "
					 "of at most 256 letters, digits and -._~/",
					 optarg);
				return -EINVAL;
			}
			if (strcmp(optarg, "/-/healthy") == 0 || strcmp(optarg, "/-/ready") == 0 ||
			    strcmp(optarg, "/api/v1/status") == 0) {
				snprintf(err, errlen, "invalid --web.telemetry-path '%s': the exporter serves "
					 "it already", optarg);
				return -EINVAL;
			}
			flags->telemetry_path = optarg;
			break;
		case OPT_WEB_CONFIG_FILE:
			flags->web_config_file = optarg;
			break;
		case OPT_LISTEN_PORTS:
			listen_ports = optarg;
			break;
		case OPT_CLIENT_PORTS:
			client_ports = optarg;
			break;
		case OPT_LOG_FORMAT:
			if (log_parse_format(optarg, &flags->log_format) < 0) {
				snprintf(err, errlen, "invalid --log.format '%s': want logfmt or json", optarg);
				return -EINVAL;
			}
			break;
		case OPT_DISABLE_EXPORTER_METRICS:
			flags->disable_exporter_metrics = true;
			break;
		case OPT_WORST_CONNECTIONS:
			if (parse_number("--collector.tcp.worst-connections", optarg, 1, TCPAGG_WORST_LIMIT,
					 &flags->worst_connections, err, errlen) < 0)
				return -EINVAL;
			break;
		case OPT_MAX_PORTS:
			if (parse_number("--max-ports", optarg, 1, CLASSIFY_MAX_PORTS_LIMIT,
					 &flags->max_ports, err, errlen) < 0)
				return -EINVAL;
			break;
		case OPT_IDLE_THRESHOLD:
			if (parse_duration_flag("--idle-threshold", optarg, 1000,
						MAX_IDLE_THRESHOLD * 1000ull, &ms, err, errlen) < 0)
				return -EINVAL;
			if (ms % 1000) {
				snprintf(err, errlen, "invalid --idle-threshold '%s': want whole seconds", optarg);
				return -EINVAL;
			}
			flags->idle_threshold_seconds = (unsigned)(ms / 1000);
			break;
		case OPT_MAX_REQUESTS:
			if (parse_number("--web.max-requests", optarg, 0, 100000, &flags->max_requests, err,
					 errlen) < 0)
				return -EINVAL;
			break;
		case OPT_MAX_CONNECTIONS:
			if (parse_number("--web.max-connections", optarg, 1, MAX_MAX_CONNECTIONS,
					 &flags->max_connections, err, errlen) < 0)
				return -EINVAL;
			break;
		case OPT_MAX_CONNECTIONS_PER_IP:
			if (parse_number("--web.max-connections-per-ip", optarg, 0, MAX_MAX_CONNECTIONS,
					 &flags->max_connections_per_ip, err, errlen) < 0)
				return -EINVAL;
			break;
		case OPT_READ_TIMEOUT:
		case OPT_WRITE_TIMEOUT:
			if (parse_duration_flag(opt == OPT_READ_TIMEOUT ? "--web.read-timeout"
									: "--web.write-timeout",
						optarg, 100, MAX_HTTP_TIMEOUT_MS, &ms, err, errlen) < 0)
				return -EINVAL;
			*(opt == OPT_READ_TIMEOUT ? &flags->read_timeout_ms : &flags->write_timeout_ms) =
				(unsigned)ms;
			break;
		case OPT_NETNS:
			if (parse_netns(optarg, flags, err, errlen) < 0)
				return -EINVAL;
			break;
		case OPT_NETNS_MAX:
			if (parse_number("--netns.max", optarg, 1, COLLECTORS_NETNS_MAX_LIMIT,
					 &flags->netns_max, err, errlen) < 0)
				return -EINVAL;
			break;
		case OPT_NETNS_WORKERS:
			if (parse_number("--netns.workers", optarg, 1, COLLECTORS_WORKERS_MAX,
					 &flags->netns_workers, err, errlen) < 0)
				return -EINVAL;
			break;
		case OPT_PROCFS:
			if (optarg[0] != '/' || strlen(optarg) > 200) {
				snprintf(err, errlen, "invalid --path.procfs '%s': want an absolute path "
					 "of at most 200 bytes", optarg);
				return -EINVAL;
			}
			flags->proc_root = optarg;
			break;
		case OPT_HISTOGRAMS_ON:
		case OPT_HISTOGRAMS_OFF:
			flags->tcp_histograms = opt == OPT_HISTOGRAMS_ON;
			break;
		case OPT_EXCLUDE_SELF_ON:
		case OPT_EXCLUDE_SELF_OFF:
			flags->status_exclude_self = opt == OPT_EXCLUDE_SELF_ON;
			break;
		case OPT_LOG_LEVEL:
			if (log_parse_level(optarg, &flags->log_level) < 0) {
				snprintf(err, errlen,
					 "invalid --log.level '%s': want debug, info, warn or error", optarg);
				return -EINVAL;
			}
			break;
		case 'h':
		case OPT_HELP:
			usage(out);
			return FLAGS_EXIT_OK;
		case OPT_VERSION:
			fprintf(out, "tcp_health_exporter version %s (revision %s)\n", TCPH_VERSION,
				TCPH_REVISION);
			return FLAGS_EXIT_OK;
		case ':':
			snprintf(err, errlen, "flag '%s' needs a value", argv[optind - 1]);
			return -EINVAL;
		case '?':
			if (optopt && optopt < 256)
				snprintf(err, errlen, "unknown flag '-%c' (see --help)", optopt);
			else if (optopt)
				snprintf(err, errlen, "flag '%s' needs a value or takes none",
					 argv[optind - 1]);
			else
				snprintf(err, errlen, "unknown flag '%s' (see --help)", argv[optind - 1]);
			return -EINVAL;
		case OPT_DISABLE_DEFAULTS:
			disable_defaults = true;
			break;
		default:
			if (opt >= OPT_COLLECTOR_OFF) {
				flags->collector_enabled[opt - OPT_COLLECTOR_OFF] = false;
				explicit_on[opt - OPT_COLLECTOR_OFF] = false;
			} else if (opt >= OPT_COLLECTOR_ON) {
				flags->collector_enabled[opt - OPT_COLLECTOR_ON] = true;
				explicit_on[opt - OPT_COLLECTOR_ON] = true;
			}
			break;
		}
	}
	/* As node_exporter's: only the collectors named with --collector.NAME run, wherever on
	 * the command line the flag stands. */
	if (disable_defaults)
		for (unsigned i = 0; i < collectors_count; i++)
			flags->collector_enabled[i] = explicit_on[i];
	if (optind < argc) {
		snprintf(err, errlen, "unexpected argument '%s' (flags start with --)", argv[optind]);
		return -EINVAL;
	}
	if (listen_ports && flags_parse_port_list(listen_ports, flags->listen_ports, flags->max_ports,
						  &flags->n_listen_ports, list_err,
						  sizeof(list_err)) < 0) {
		snprintf(err, errlen, "invalid --listen-ports %s", list_err);
		return -EINVAL;
	}
	if (client_ports && flags_parse_port_list(client_ports, flags->client_ports, flags->max_ports,
						  &flags->n_client_ports, list_err,
						  sizeof(list_err)) < 0) {
		snprintf(err, errlen, "invalid --client-ports %s", list_err);
		return -EINVAL;
	}
	if (flags->systemd_socket && flags->n_listen_addresses) {
		snprintf(err, errlen, "--web.systemd-socket and --web.listen-address exclude each other: "
			 "with socket activation the .socket unit says where to listen");
		return -EINVAL;
	}
	if (!flags->systemd_socket && !flags->n_listen_addresses)
		flags->listen_addresses[flags->n_listen_addresses++] = DEFAULT_LISTEN_ADDRESS;
	return FLAGS_RUN;
}
