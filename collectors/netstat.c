/* netstat.c — the kernel's TCP counters that the failures we watch for move. */
#include "netstat.h"

#include "../exporter/expfmt.h"
#include "../exporter/log.h"
#include "collectors.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define K(section, name, metric, help) { section, name, "tcp_health_kernel_" metric "_total", false, help }

const struct netstat_counter netstat_counters[] = {
	K("TcpExt", "ListenOverflows", "listen_overflows",
	  "TcpExt ListenOverflows: connections dropped because a listener's accept queue was full."),
	K("TcpExt", "ListenDrops", "listen_drops",
	  "TcpExt ListenDrops: connections dropped at a listener for any reason (overflows included)."),
	K("TcpExt", "TCPAbortOnTimeout", "abort_on_timeout",
	  "TcpExt TCPAbortOnTimeout: connections aborted after retransmission or keepalive gave up "
	  "(a dead peer detected)."),
	K("TcpExt", "TCPAbortOnClose", "abort_on_close",
	  "TcpExt TCPAbortOnClose: connections reset because the application closed with unread data."),
	K("TcpExt", "TCPAbortOnData", "abort_on_data",
	  "TcpExt TCPAbortOnData: connections reset because data arrived after close."),
	K("TcpExt", "TCPAbortOnLinger", "abort_on_linger",
	  "TcpExt TCPAbortOnLinger: connections reset when the SO_LINGER/FIN_WAIT2 timeout expired."),
	K("TcpExt", "TCPAbortOnMemory", "abort_on_memory",
	  "TcpExt TCPAbortOnMemory: connections aborted because TCP memory or orphan limits were hit."),
	K("TcpExt", "TCPTimeouts", "timeouts",
	  "TcpExt TCPTimeouts: retransmission timer expirations."),
	K("TcpExt", "TCPKeepAlive", "keep_alive",
	  "TcpExt TCPKeepAlive: keepalive probes sent."),
	K("TcpExt", "TCPSynRetrans", "syn_retrans",
	  "TcpExt TCPSynRetrans: SYN and SYN-ACK retransmissions."),
	K("TcpExt", "TCPTimeWaitOverflow", "time_wait_overflow",
	  "TcpExt TCPTimeWaitOverflow: TIME_WAIT sockets not created because tcp_max_tw_buckets was reached."),
	K("TcpExt", "TCPReqQFullDrop", "req_q_full_drop",
	  "TcpExt TCPReqQFullDrop: SYNs dropped because the SYN queue was full and SYN cookies were off."),
	K("TcpExt", "TCPReqQFullDoCookies", "req_q_full_do_cookies",
	  "TcpExt TCPReqQFullDoCookies: SYN cookies sent because the SYN queue was full (a SYN flood)."),
	K("Tcp", "RetransSegs", "retrans_segs", "Tcp RetransSegs: segments retransmitted."),
	K("Tcp", "OutSegs", "out_segs", "Tcp OutSegs: segments sent."),
	K("Tcp", "EstabResets", "estab_resets",
	  "Tcp EstabResets: resets of ESTABLISHED or CLOSE_WAIT connections."),
	K("Tcp", "AttemptFails", "attempt_fails",
	  "Tcp AttemptFails: connection attempts that failed (SYN_SENT or SYN_RECV to CLOSED or LISTEN)."),
	K("Tcp", "OutRsts", "out_rsts", "Tcp OutRsts: segments sent with the RST flag."),
	{ "Tcp", "CurrEstab", "tcp_health_kernel_curr_estab", true,
	  "Tcp CurrEstab: connections in ESTABLISHED or CLOSE_WAIT now." },
};

const unsigned netstat_counters_count = sizeof(netstat_counters) / sizeof(netstat_counters[0]);

static const char *netstat_proc_root = "/proc";

int netstat_init(const struct collectors_config *config)
{
	if (config->proc_root)
		netstat_proc_root = config->proc_root;
	return 0;
}

/* Length of the token at p (up to a space or end of line). */
static size_t token_len(const char *p)
{
	return strcspn(p, " \t\n");
}

static const char *skip_blanks(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* Matches a header line with its value line, field by field. */
static unsigned parse_pair(const char *section, size_t section_len, const char *names,
			   const char *vals, const struct netstat_counter *wanted, unsigned n,
			   int64_t *values, bool *found)
{
	unsigned hits = 0;

	for (;;) {
		size_t name_len, val_len;

		names = skip_blanks(names);
		vals = skip_blanks(vals);
		name_len = token_len(names);
		val_len = token_len(vals);
		if (name_len == 0 || val_len == 0)
			break; /* end of either line: fields without a partner are ignored */
		for (unsigned i = 0; i < n; i++) {
			char *end;
			long long v;

			if (found[i] || strlen(wanted[i].section) != section_len ||
			    strncmp(wanted[i].section, section, section_len) != 0 ||
			    strlen(wanted[i].name) != name_len ||
			    strncmp(wanted[i].name, names, name_len) != 0)
				continue;
			errno = 0;
			v = strtoll(vals, &end, 10);
			if (end != vals + val_len || errno) {
				log_debug("netstat: junk value for %s", wanted[i].name);
				break;
			}
			values[i] = v;
			found[i] = true;
			hits++;
			break;
		}
		names += name_len;
		vals += val_len;
	}
	return hits;
}

unsigned netstat_parse(const char *text, const struct netstat_counter *wanted, unsigned n,
		       int64_t *values, bool *found)
{
	const char *line = text, *header = NULL;
	size_t header_section = 0;
	unsigned hits = 0;

	while (*line) {
		const char *next = strchr(line, '\n');
		const char *colon = strchr(line, ':');
		size_t section_len;

		if (!next)
			next = line + strlen(line);
		if (!colon || colon > next) {
			header = NULL; /* not a "Section: ..." line */
		} else {
			section_len = (size_t)(colon - line);
			if (header && section_len == header_section &&
			    strncmp(header, line, section_len) == 0) {
				hits += parse_pair(line, section_len, header + section_len + 1,
						   colon + 1, wanted, n, values, found);
				header = NULL;
			} else {
				header = line;
				header_section = section_len;
			}
		}
		line = *next ? next + 1 : next;
	}
	return hits;
}

/* Reads a whole procfs file into buf (NUL-terminated). Returns 0 or -errno. */
static int read_file(const char *path, char *buf, size_t cap)
{
	size_t len = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	while (len < cap - 1) {
		ssize_t n = read(fd, buf + len, cap - 1 - len);

		if (n < 0) {
			int err = -errno;

			close(fd);
			return err;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	return 0;
}

int netstat_collect(struct expfmt_buf *out)
{
	static const char *const files[] = { "net/netstat", "net/snmp" };
	static char text[64 * 1024];
	int64_t values[sizeof(netstat_counters) / sizeof(netstat_counters[0])];
	bool found[sizeof(netstat_counters) / sizeof(netstat_counters[0])];
	int readable = 0, last_error = 0;

	memset(found, 0, sizeof(found));
	for (unsigned f = 0; f < 2; f++) {
		char path[256];
		int ret;

		snprintf(path, sizeof(path), "%s/%s", netstat_proc_root, files[f]);
		ret = read_file(path, text, sizeof(text));
		if (ret < 0) {
			log_error("netstat collector: cannot read %s: %s", path, strerror(-ret));
			last_error = ret;
			continue;
		}
		readable++;
		netstat_parse(text, netstat_counters, netstat_counters_count, values, found);
	}
	if (readable == 0)
		return last_error;
	for (unsigned i = 0; i < netstat_counters_count; i++) {
		const struct netstat_counter *c = &netstat_counters[i];

		if (!found[i])
			continue; /* this kernel does not have it */
		expfmt_family(out, c->metric, c->gauge ? "gauge" : "counter", c->help);
		if (values[i] >= 0)
			expfmt_sample_u64(out, c->metric, NULL, 0, (uint64_t)values[i]);
		else
			expfmt_sample(out, c->metric, NULL, 0, (double)values[i]);
	}
	return 0;
}
