/* netns_floor.c — the floor of a scan of many network namespaces: what it costs the kernel
 * to dump their TCP sockets, with nothing on top (tests/bench/bench_netns.sh).
 *
 * Usage: netns_floor [--reps R] [--buffer BYTES] [--one-dump] NSFILE...
 * NSFILE: a namespace file (/run/netns/NAME, /proc/PID/ns/net). Each repetition, for every
 * NSFILE in turn: open it, setns(CLONE_NEWNET), open a NETLINK_SOCK_DIAG socket, setns
 * back; then one dump per family (AF_INET, AF_INET6) with the exporter's own request
 * (collectors/sockdiag.c, sockdiag_build_request: SOCK_DIAG_BY_FAMILY, NLM_F_DUMP, TCP,
 * every state of TCPH_ALL_STATES_MASK = 0xffe, the INET_DIAG_INFO extension), read into a
 * BYTES buffer (default 64 KiB, the exporter's; the kernel sizes its dump datagrams after
 * it) until NLMSG_DONE, counting the socket messages; close both fds. No decoding, no
 * aggregation, one thread: the sum of bare dumps.
 *
 * --one-dump: one request per namespace instead, the legacy TCPDIAG_GETSOCK (struct
 * inet_diag_req, same states and extension), for which the kernel dumps both families in
 * one walk of its socket tables (inet_diag_dump_compat: sdiag_family = AF_UNSPEC). Not
 * what the exporter does: what it could do.
 *
 * Prints one line: "namespaces=N reps=R records=C median_ms=M min_ms=m max_ms=X cpu_ms=U":
 * records of the last repetition (both families, every namespace), wall time per
 * repetition, and the median CPU time (user + system) per repetition, which a busy machine
 * disturbs less than the wall time. Exit 1 on any error (message on stderr), 2 on bad
 * usage. */
#include "../../collectors/diag_compat.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_REPS 1000

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* One dump of `family` on `fd` (family 0: the legacy request, both families); the number
 * of socket messages, or -1 (message printed). */
static long dump(int fd, int family, uint32_t seq, char *buf, size_t size, const char *ns)
{
	struct {
		struct nlmsghdr nlh;
		struct inet_diag_req_v2 req;
	} msg = {
		.nlh = { .nlmsg_len = sizeof(msg), .nlmsg_type = SOCK_DIAG_BY_FAMILY,
			 .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP, .nlmsg_seq = seq },
		.req = { .sdiag_family = (uint8_t)family, .sdiag_protocol = IPPROTO_TCP,
			 .idiag_states = TCPH_ALL_STATES_MASK,
			 .idiag_ext = 1u << (INET_DIAG_INFO - 1) },
	};
	struct {
		struct nlmsghdr nlh;
		struct inet_diag_req req;
	} legacy = {
		.nlh = { .nlmsg_len = sizeof(legacy), .nlmsg_type = TCPDIAG_GETSOCK,
			 .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP, .nlmsg_seq = seq },
		.req = { .idiag_family = AF_INET, .idiag_states = TCPH_ALL_STATES_MASK,
			 .idiag_ext = 1u << (INET_DIAG_INFO - 1) },
	};
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	const void *req = family ? (const void *)&msg : (const void *)&legacy;
	size_t req_len = family ? sizeof(msg) : sizeof(legacy);
	long records = 0;

	if (sendto(fd, req, req_len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0) {
		fprintf(stderr, "netns_floor: %s: send: %s\n", ns, strerror(errno));
		return -1;
	}
	for (;;) {
		ssize_t n = recv(fd, buf, size, 0);
		const struct nlmsghdr *h = (const struct nlmsghdr *)buf;
		size_t left;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			fprintf(stderr, "netns_floor: %s: recv: %s\n", ns, n ? strerror(errno) : "EOF");
			return -1;
		}
		for (left = (size_t)n; NLMSG_OK(h, left); h = NLMSG_NEXT(h, left)) {
			if (h->nlmsg_seq != seq)
				continue;
			if (h->nlmsg_type == NLMSG_DONE)
				return records;
			if (h->nlmsg_type == NLMSG_ERROR) {
				fprintf(stderr, "netns_floor: %s: dump error\n", ns);
				return -1;
			}
			if (h->nlmsg_type == (family ? SOCK_DIAG_BY_FAMILY : TCPDIAG_GETSOCK))
				records++;
		}
	}
}

/* One pass over every namespace; records of all of them, or -1. */
static long pass(char **paths, int n, int self_fd, char *buf, size_t size, uint32_t *seq,
		 bool one_dump)
{
	long total = 0;

	for (int i = 0; i < n; i++) {
		int ns_fd = open(paths[i], O_RDONLY | O_CLOEXEC), fd;

		if (ns_fd < 0 || setns(ns_fd, CLONE_NEWNET) < 0) {
			fprintf(stderr, "netns_floor: %s: %s\n", paths[i], strerror(errno));
			return -1;
		}
		fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
		if (fd < 0 || setns(self_fd, CLONE_NEWNET) < 0) {
			fprintf(stderr, "netns_floor: %s: socket/setns back: %s\n", paths[i], strerror(errno));
			return -1;
		}
		for (int f = 0; f < (one_dump ? 1 : 2); f++) {
			long r = dump(fd, one_dump ? 0 : f ? AF_INET6 : AF_INET, ++*seq, buf, size, paths[i]);

			if (r < 0)
				return -1;
			total += r;
		}
		close(fd);
		close(ns_fd);
	}
	return total;
}

static double cpu_ms(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
}

static int compare_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	static double ms[MAX_REPS], cpu[MAX_REPS];
	int reps = 1, first = 1, self_fd;
	bool one_dump = false;
	size_t size = 64 * 1024;
	uint32_t seq = (uint32_t)time(NULL);
	long records = 0;
	char *buf;

	while (first + 1 < argc && argv[first][0] == '-') {
		if (strcmp(argv[first], "--one-dump") == 0) {
			one_dump = true;
			first++;
			continue;
		}
		if (strcmp(argv[first], "--reps") == 0)
			reps = atoi(argv[first + 1]);
		else if (strcmp(argv[first], "--buffer") == 0)
			size = (size_t)atol(argv[first + 1]);
		else
			break;
		first += 2;
	}
	if (first >= argc || reps < 1 || reps > MAX_REPS || size < 32 * 1024) {
		fprintf(stderr, "usage: netns_floor [--reps 1-%d] [--buffer BYTES>=32768] [--one-dump] "
				"NSFILE...\n",
			MAX_REPS);
		return 2;
	}
	buf = malloc(size);
	self_fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (!buf || self_fd < 0) {
		perror("netns_floor");
		return 1;
	}
	for (int r = 0; r < reps; r++) {
		double start = now_ms(), start_cpu = cpu_ms();

		records = pass(argv + first, argc - first, self_fd, buf, size, &seq, one_dump);
		if (records < 0)
			return 1;
		ms[r] = now_ms() - start;
		cpu[r] = cpu_ms() - start_cpu;
	}
	qsort(ms, (size_t)reps, sizeof(ms[0]), compare_double);
	qsort(cpu, (size_t)reps, sizeof(cpu[0]), compare_double);
	printf("namespaces=%d reps=%d records=%ld median_ms=%.3f min_ms=%.3f max_ms=%.3f cpu_ms=%.3f\n",
	       argc - first, reps, records, ms[(reps - 1) / 2], ms[0], ms[reps - 1],
	       cpu[(reps - 1) / 2]);
	free(buf);
	close(self_fd);
	return 0;
}
