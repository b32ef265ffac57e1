/* main.c — start-up order, signals, exit codes. The only place that exits.
 *
 * Exit codes: 0 clean shutdown (SIGTERM/SIGINT) or --help/--version; 2 bad flags, a bad
 * --web.config.file or an address that cannot be served; 1 anything else that stops
 * start-up. SIGHUP re-reads --web.config.file. */
#include "../collectors/collectors.h"
#include "../lib/log.h"
#include "../lib/procfs.h"
#include "flags.h"
#include "http.h"

/* Every --web.listen-address the flags accept gets a listening socket. */
_Static_assert(WEB_FLAGS_MAX_LISTEN_ADDRESSES == HTTP_MAX_LISTENERS, "listen address limits differ");
#include "scrape.h"
#include "version.h"
#include "webconfig.h"

#include <dirent.h>
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

/* File descriptors the exporter needs besides its HTTP connections are counted by the
 * modules that open them (http_fds_needed, collectors_fds_needed) and what is open at start;
 * these are the libraries' (gnutls, the resolver at start). */
#define LIBRARY_FDS 4
#define MIN_CONNECTIONS 4 /* fewer than this under the open-file limit: exit 2 */
#define CAP_SYS_PTRACE_BIT 19 /* linux/capability.h, without the libcap dependency */
#define CAP_SYS_ADMIN_BIT 21

static struct flags flags;

/* Bad input gets exactly one line on stderr, whatever characters the input held. */
static void print_error(const char *message)
{
	fputs("tcp_health_exporter: ", stderr);
	for (const unsigned char *p = (const unsigned char *)message; *p; p++) {
		if (*p < 0x20 || *p == 0x7f)
			fprintf(stderr, "\\x%02x", *p);
		else
			fputc(*p, stderr);
	}
	fputc('\n', stderr);
}

/* The scanner asks for the serving figures through this; set once HTTP has started. */
static _Atomic(struct http *) stats_http;

/* ctx: the flags. */
static void fill_stats(void *ctx, struct exporter_stats *out)
{
	const struct flags *flags = ctx;
	struct http *h = atomic_load(&stats_http);

	if (h)
		http_stats(h, out);
	out->exporter_metrics = !flags->web.disable_exporter_metrics;
	out->status_exclude_self = flags->web.status_exclude_self;
	if (out->exporter_metrics && process_stats_read(&out->process) < 0)
		log_debug("cannot read the exporter's own /proc/self figures");
}

/* Descriptors open now (stdio, inherited ones, systemd's sockets), by /proc/self/fd less
 * the directory's own; 3 when it cannot be read. */
static unsigned fds_open_now(void)
{
	DIR *dir = opendir("/proc/self/fd");
	unsigned n = 0;

	if (!dir)
		return 3;
	while (readdir(dir))
		n++;
	closedir(dir);
	return n > 3 ? n - 3 : 3; /* ".", ".." and the directory's own descriptor */
}

/* Raises the open-file limit to its hard limit (as Go programs do) so that
 * --web.max-connections can be honoured; below what the connections need besides the
 * exporter's own descriptors, lowers the connection limit (and a per-address limit above
 * half of it) with a warning. Refuses (-EMFILE, `err` set) a limit that leaves fewer than
 * MIN_CONNECTIONS besides the fixed descriptors. The namespaces' descriptors of
 * --netns=all (two or three per namespace, up to --netns.max, but a host may have far fewer) never
 * refuse a start: when connections and --netns.max namespaces cannot both fit, each gets
 * at least half of what is left, and the warning says how many namespaces fit. */
static int fit_connection_limit(struct http_config *web, const struct collectors_config *collectors,
				char *err, size_t errlen)
{
	unsigned netns_fds = collectors_netns_fds(collectors);
	unsigned fixed = fds_open_now() + http_fds_needed(web) + collectors_fds_needed(collectors) -
			 netns_fds + LIBRARY_FDS;
	unsigned reserve = fixed + netns_fds, left, fit;
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return 0;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			getrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= (rlim_t)web->max_connections + reserve)
		return 0;
	if (rl.rlim_cur < (rlim_t)fixed + MIN_CONNECTIONS) {
		snprintf(err, errlen, "open-file limit %llu leaves no room for connections: the exporter "
			 "needs %u descriptors itself and at least %u for connections (raise the limit: "
			 "ulimit -n, LimitNOFILE=)",
			 (unsigned long long)rl.rlim_cur, fixed, MIN_CONNECTIONS);
		return -EMFILE;
	}
	left = (unsigned)(rl.rlim_cur - fixed);
	if (netns_fds && left < netns_fds + MIN_CONNECTIONS + web->max_connections) {
		/* Both cannot fit: connections get what --netns.max leaves, but at least half
		 * (never more than asked for); namespaces the rest. */
		fit = left > netns_fds ? left - netns_fds : 0;
		if (fit < left / 2)
			fit = left / 2;
		if (fit > web->max_connections)
			fit = web->max_connections;
		if (fit < MIN_CONNECTIONS)
			fit = MIN_CONNECTIONS;
		if (left - fit < netns_fds)
			log_warn("open-file limit %llu: descriptors for %u namespaces, not the %u of "
				 "--netns.max (more found are scanned until a scan hits the limit, which "
				 "then reports collector_success 0)",
				 (unsigned long long)rl.rlim_cur, (left - fit) / collectors_fds_per_netns(collectors),
				 netns_fds / collectors_fds_per_netns(collectors));
		reserve = (unsigned)(rl.rlim_cur - fit);
	}
	fit = (unsigned)(rl.rlim_cur - reserve);
	if (fit >= web->max_connections)
		return 0; /* only the namespaces were short */
	log_warn("open-file limit %llu, %u of them the exporter's own: serving at most %u connections, "
		 "not %u (--web.max-connections)", (unsigned long long)rl.rlim_cur, reserve, fit,
		 web->max_connections);
	web->max_connections = fit;
	/* One address must not be able to take every connection; 0 (no limit) stays as given. */
	if (web->max_connections_per_ip > fit / 2) {
		log_warn("open-file limit %llu: --web.max-connections-per-ip lowered from %u to %u, half "
			 "the connection limit of %u", (unsigned long long)rl.rlim_cur,
			 web->max_connections_per_ip, fit / 2, fit);
		web->max_connections_per_ip = fit / 2;
	}
	return 0;
}

static void reload(struct http *h, struct webconfig **web)
{
	struct webconfig *fresh = NULL;
	char err[512];
	int ret;

	if (!flags.web.config_file) {
		/* Nothing was loaded: the reload figures keep describing the start. */
		log_info("SIGHUP: no --web.config.file to re-read");
		return;
	}
	/* Bounded: a regular file of at most 1 MiB, nesting capped, no bcrypt; a SIGTERM
	 * waits for this well under a second (test_config_files.sh measures it). */
	ret = webconfig_load_new(flags.web.config_file, &fresh, err, sizeof(err));
	if (ret == 0) {
		webconfig_keep_cache(fresh, *web); /* unchanged users: no bcrypt, no 429 */
		ret = http_reload(h, fresh, err, sizeof(err));
	} else if (ret == -ENOMEM) {
		snprintf(err, sizeof(err), "out of memory reading %s", flags.web.config_file);
	}
	if (ret < 0) {
		log_error("SIGHUP: keeping the previous web configuration: %s", err);
		webconfig_unref(fresh);
		http_note_reload(h, false);
		return;
	}
	webconfig_unref(*web);
	*web = fresh;
	http_note_reload(h, true);
	log_info("SIGHUP: web configuration re-read from %s (%s%s)", flags.web.config_file,
		 fresh->tls ? "https" : "http", fresh->n_users ? ", basic auth" : "");
}

/* Whether this process may enter other namespaces (CAP_SYS_ADMIN, for setns) and, in
 * --netns=all, open other processes' namespace files (CAP_SYS_PTRACE). Checked once at
 * start so that a missing privilege is one clear error, not a scrape full of skips. */
static int check_netns_privileges(char *err, size_t errlen)
{
	char text[4096], missing[64] = "";
	const char *line;
	unsigned long long eff;

	if (procfs_read_file("/proc/self/status", text, sizeof(text)) < 0 ||
	    !(line = strstr(text, "\nCapEff:")) || sscanf(line + 8, "%llx", &eff) != 1) {
		snprintf(err, errlen, "--netns=%s: cannot read this process's capabilities from "
			 "/proc/self/status", flags.netns.mode == NETNS_ALL ? "all" : "NAMES");
		return -EPERM;
	}
	if (!(eff & (1ull << CAP_SYS_ADMIN_BIT)))
		strcat(missing, " CAP_SYS_ADMIN");
	if (flags.netns.mode == NETNS_ALL && !(eff & (1ull << CAP_SYS_PTRACE_BIT)))
		strcat(missing, " CAP_SYS_PTRACE");
	if (!missing[0])
		return 0;
	snprintf(err, errlen, "--netns=%s needs CAP_SYS_ADMIN (to enter namespaces)%s; missing:%s "
		 "(run as root, or see README \"Every network namespace\")",
		 flags.netns.mode == NETNS_ALL ? "all" : "NAMES",
		 flags.netns.mode == NETNS_ALL ? " and CAP_SYS_PTRACE (to open other processes' "
						 "namespace files)" : "",
		 missing);
	return -EPERM;
}

int main(int argc, char **argv)
{
	struct collectors_config config;
	struct http_config http_config;
	struct webconfig *web = NULL;
	struct scrape *scrape = NULL;
	struct http *http = NULL;
	sigset_t signals;
	char err[512], addresses[HTTP_MAX_LISTENERS * 64];
	int ret, sig;

	ret = flags_parse(argc, argv, &flags, stdout, err, sizeof(err));
	if (ret == FLAGS_EXIT_OK)
		return 0;
	if (ret < 0) {
		print_error(err);
		return 2;
	}
	log_flags_apply(&flags.log);
	if (flags.netns.mode != NETNS_SELF && check_netns_privileges(err, sizeof(err)) < 0) {
		print_error(err);
		return 2;
	}
	if (flags.web.config_file) {
		ret = webconfig_load_new(flags.web.config_file, &web, err, sizeof(err));
		if (ret < 0) {
			print_error(ret == -ENOMEM ? "out of memory reading --web.config.file" : err);
			return 2;
		}
	}
	memset(&config, 0, sizeof(config));
	tcp_flags_apply(&flags.tcp, &config);
	netns_flags_apply(&flags.netns, &config);
	collectors_flags_apply(&flags.collectors, &config);
	http_config = (struct http_config){
		.listen_addresses = flags.web.listen_addresses,
		.n_listen_addresses = flags.web.n_listen_addresses,
		.systemd_socket = flags.web.systemd_socket,
		.telemetry_path = flags.web.telemetry_path,
		.max_requests = flags.web.max_requests,
		.max_connections = flags.web.max_connections,
		.max_connections_per_ip = flags.web.max_connections_per_ip,
		.max_tls_handshakes_per_ip = flags.web.max_tls_handshakes_per_ip,
		.tls_handshake_rate_per_ip = flags.web.tls_handshake_rate_per_ip,
		.read_timeout_ms = flags.web.read_timeout_ms,
		.write_timeout_ms = flags.web.write_timeout_ms,
	};
	if (fit_connection_limit(&http_config, &config, err, sizeof(err)) < 0) {
		print_error(err);
		webconfig_unref(web);
		return 2;
	}
	/* Rendered bodies can be megabytes: a fixed mmap threshold gives each its own mapping,
	 * returned to the system when the last client is done with it (glibc's dynamic
	 * threshold would otherwise keep them in the heap), and few arenas keep the serving
	 * threads from each holding on to freed memory. */
	mallopt(M_MMAP_THRESHOLD, 256 * 1024);
	mallopt(M_ARENA_MAX, 2);

	/* Block the signals before any thread starts, so that every thread inherits the mask
	 * and only sigwait() below receives them. */
	sigemptyset(&signals);
	sigaddset(&signals, SIGTERM);
	sigaddset(&signals, SIGINT);
	sigaddset(&signals, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &signals, NULL);
	signal(SIGPIPE, SIG_IGN);

	ret = scrape_create(&scrape, flags.collectors.enabled, &config, fill_stats, &flags);
	if (ret < 0) {
		fprintf(stderr, "tcp_health_exporter: cannot initialise collectors: %s\n", strerror(-ret));
		webconfig_unref(web);
		return 1;
	}

	ret = http_start(&http, &http_config, scrape, web, err, sizeof(err));
	if (ret < 0) {
		print_error(err);
		scrape_destroy(scrape);
		webconfig_unref(web);
		return 2;
	}
	atomic_store(&stats_http, http);
	http_listen_addresses(http, addresses, sizeof(addresses));
	log_info("tcp_health_exporter %s (revision %s) serving %s on %s%s (%s%s)", TCPH_VERSION,
		 TCPH_REVISION, flags.web.telemetry_path, addresses,
		 flags.web.systemd_socket ? " (from systemd)" : "",
		 web && web->tls ? "https" : "http", web && web->n_users ? ", basic auth" : "");
	http_status_url(http, addresses, sizeof(addresses));
	log_info("status page on %s", addresses);

	for (;;) {
		ret = sigwait(&signals, &sig);
		if (ret == EINTR)
			continue;
		if (sig != SIGHUP)
			break;
		reload(http, &web);
	}
	log_info("received signal %d, shutting down", sig);
	/* Stop the scanner first: requests waiting for it get a 503 and are resumed, so that
	 * no connection is left suspended when the servers stop. Then each is undone in the
	 * reverse order of its start: the snapshots' rendered bodies need nothing of the
	 * server (they account to a counter of their own, freed with the last of them). */
	scrape_stop(scrape);
	atomic_store(&stats_http, NULL);
	http_stop(http);
	http_free(http);
	scrape_destroy(scrape);
	webconfig_unref(web);
	return 0;
}
