/* netstat.c — the kernel's TCP counters that the failures we watch for move. */
#include "netstat.h"

#include "../lib/log.h"
#include "../lib/procfs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const struct netstat_counter netstat_counters[NETSTAT_COUNT] = {
	[NETSTAT_LISTEN_OVERFLOWS] = { "TcpExt", "ListenOverflows" },
	[NETSTAT_LISTEN_DROPS] = { "TcpExt", "ListenDrops" },
	[NETSTAT_ABORT_ON_TIMEOUT] = { "TcpExt", "TCPAbortOnTimeout" },
	[NETSTAT_ABORT_ON_CLOSE] = { "TcpExt", "TCPAbortOnClose" },
	[NETSTAT_ABORT_ON_DATA] = { "TcpExt", "TCPAbortOnData" },
	[NETSTAT_ABORT_ON_LINGER] = { "TcpExt", "TCPAbortOnLinger" },
	[NETSTAT_ABORT_ON_MEMORY] = { "TcpExt", "TCPAbortOnMemory" },
	[NETSTAT_TIMEOUTS] = { "TcpExt", "TCPTimeouts" },
	[NETSTAT_KEEP_ALIVE] = { "TcpExt", "TCPKeepAlive" },
	[NETSTAT_SYN_RETRANS] = { "TcpExt", "TCPSynRetrans" },
	[NETSTAT_TIME_WAIT_OVERFLOW] = { "TcpExt", "TCPTimeWaitOverflow" },
	[NETSTAT_REQ_Q_FULL_DROP] = { "TcpExt", "TCPReqQFullDrop" },
	[NETSTAT_REQ_Q_FULL_DO_COOKIES] = { "TcpExt", "TCPReqQFullDoCookies" },
	[NETSTAT_RETRANS_SEGS] = { "Tcp", "RetransSegs" },
	[NETSTAT_OUT_SEGS] = { "Tcp", "OutSegs" },
	[NETSTAT_ESTAB_RESETS] = { "Tcp", "EstabResets" },
	[NETSTAT_ATTEMPT_FAILS] = { "Tcp", "AttemptFails" },
	[NETSTAT_OUT_RSTS] = { "Tcp", "OutRsts" },
	[NETSTAT_CURR_ESTAB] = { "Tcp", "CurrEstab" },
};

const unsigned netstat_counters_count = NETSTAT_COUNT;

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

/* Each file must be readable and hold at least one counter of its section: an empty or
 * unreadable /proc/net/netstat must not pass for a kernel without those counters. */
static const struct {
	const char *file;
	const char *section;
} netstat_files[] = { { "net/netstat", "TcpExt" }, { "net/snmp", "Tcp" } };

int netstat_scan(const char *proc_root, char *text, size_t text_size, struct netstat_result *out)
{
	int error = 0;

	memset(out, 0, sizeof(*out));
	for (unsigned f = 0; f < sizeof(netstat_files) / sizeof(netstat_files[0]); f++) {
		bool found[NETSTAT_COUNT];
		unsigned hits = 0;
		char path[256];
		ssize_t n;

		snprintf(path, sizeof(path), "%s/%s", proc_root, netstat_files[f].file);
		n = procfs_read_file(path, text, text_size);
		if (n < 0) {
			error = (int)n;
			log_error("netstat collector: cannot read %s: %s", path, strerror(-error));
			continue;
		}
		memset(found, 0, sizeof(found));
		netstat_parse(text, netstat_counters, NETSTAT_COUNT, out->values, found);
		for (unsigned i = 0; i < NETSTAT_COUNT; i++) {
			if (!found[i] || strcmp(netstat_counters[i].section, netstat_files[f].section) != 0)
				continue;
			out->found[i] = true;
			hits++;
		}
		if (hits == 0) {
			error = -ENODATA;
			log_error("netstat collector: %s holds no %s counters (%zd bytes read)", path,
				  netstat_files[f].section, n);
		}
	}
	return error;
}
