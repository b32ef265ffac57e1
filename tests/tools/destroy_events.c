/* destroy_events.c — prints every sock_diag TCP socket-destroy event of the caller's network
 * namespace (groups SKNLGRP_INET_TCP_DESTROY and SKNLGRP_INET6_TCP_DESTROY, as `ss -E`), one
 * key=value line per message, with every tcp_info field; research tool for issue 19.
 *
 * Usage: destroy_events [--record DIR] [--count N] [--timeout SEC]
 * Prints "ready" once subscribed. --record DIR writes each received datagram, byte for byte,
 * to DIR/NNNN.bin (one file per datagram, numbered from 0000; DIR must exist), the layout of
 * tests/fuzz/corpus/. ENOBUFS on recv prints "overrun" and goes on. Errors: one line on
 * stderr, exit 1 (bad usage: exit 2). */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static void print_addr(const char *key, int family, const __be32 *a)
{
	char s[INET6_ADDRSTRLEN];

	if (!inet_ntop(family, a, s, sizeof(s)))
		snprintf(s, sizeof(s), "?");
	printf(" %s=%s", key, s);
}

#define U(f) printf(" " #f "=%" PRIu64, (uint64_t)ti.tcpi_##f)
static void print_info(const void *data, size_t len)
{
	struct tcp_info ti;

	memset(&ti, 0, sizeof(ti));
	memcpy(&ti, data, len < sizeof(ti) ? len : sizeof(ti));
	printf(" info_len=%zu", len);
	U(state); U(ca_state); U(retransmits); U(probes); U(backoff); U(options);
	U(snd_wscale); U(rcv_wscale); U(delivery_rate_app_limited); U(fastopen_client_fail);
	U(rto); U(ato); U(snd_mss); U(rcv_mss); U(unacked); U(sacked); U(lost); U(retrans);
	U(fackets); U(last_data_sent); U(last_ack_sent); U(last_data_recv); U(last_ack_recv);
	U(pmtu); U(rcv_ssthresh); U(rtt); U(rttvar); U(snd_ssthresh); U(snd_cwnd); U(advmss);
	U(reordering); U(rcv_rtt); U(rcv_space); U(total_retrans); U(pacing_rate);
	U(max_pacing_rate); U(bytes_acked); U(bytes_received); U(segs_out); U(segs_in);
	U(notsent_bytes); U(min_rtt); U(data_segs_in); U(data_segs_out); U(delivery_rate);
	U(busy_time); U(rwnd_limited); U(sndbuf_limited); U(delivered); U(delivered_ce);
	U(bytes_sent); U(bytes_retrans); U(dsack_dups); U(reord_seen); U(rcv_ooopack);
	U(snd_wnd);
}
#undef U

static void print_msg(const struct nlmsghdr *nh)
{
	const struct inet_diag_msg *m = NLMSG_DATA(nh);
	const struct rtattr *rta;
	int rlen;

	if (nh->nlmsg_len < NLMSG_LENGTH(sizeof(*m))) {
		printf("short nlmsg_type=%u len=%u\n", nh->nlmsg_type, nh->nlmsg_len);
		return;
	}
	printf("family=%u idiag_state=%u sport=%u dport=%u", m->idiag_family, m->idiag_state,
	       ntohs(m->id.idiag_sport), ntohs(m->id.idiag_dport));
	print_addr("saddr", m->idiag_family, m->id.idiag_src);
	print_addr("daddr", m->idiag_family, m->id.idiag_dst);
	printf(" cookie=%" PRIu64 " if=%u idiag_timer=%u idiag_retrans=%u idiag_expires=%u"
	       " rqueue=%u wqueue=%u uid=%u inode=%u attrs=",
	       (uint64_t)m->id.idiag_cookie[0] | (uint64_t)m->id.idiag_cookie[1] << 32,
	       m->id.idiag_if, m->idiag_timer, m->idiag_retrans, m->idiag_expires, m->idiag_rqueue,
	       m->idiag_wqueue, m->idiag_uid, m->idiag_inode);
	rlen = (int)nh->nlmsg_len - (int)NLMSG_LENGTH(sizeof(*m));
	rta = (const struct rtattr *)((const char *)m + NLMSG_ALIGN(sizeof(*m)));
	for (const struct rtattr *a = rta; RTA_OK(a, rlen); a = RTA_NEXT(a, rlen))
		printf("%s%u:%u", a == rta ? "" : ",", a->rta_type, (unsigned)RTA_PAYLOAD(a));
	rlen = (int)nh->nlmsg_len - (int)NLMSG_LENGTH(sizeof(*m));
	for (const struct rtattr *a = rta; RTA_OK(a, rlen); a = RTA_NEXT(a, rlen)) {
		if (a->rta_type == INET_DIAG_INFO)
			print_info(RTA_DATA(a), RTA_PAYLOAD(a));
		else if (a->rta_type == INET_DIAG_CONG)
			printf(" cong=%.*s", (int)RTA_PAYLOAD(a), (const char *)RTA_DATA(a));
		else if (a->rta_type == INET_DIAG_SHUTDOWN && RTA_PAYLOAD(a) >= 1)
			printf(" shutdown=%u", *(const unsigned char *)RTA_DATA(a));
		else if (a->rta_type == INET_DIAG_MARK && RTA_PAYLOAD(a) >= 4)
			printf(" mark=%u", *(const unsigned *)RTA_DATA(a));
		else if (a->rta_type == INET_DIAG_SOCKOPT && RTA_PAYLOAD(a) >= 2)
			printf(" sockopt=0x%x", *(const unsigned short *)RTA_DATA(a));
	}
	printf("\n");
}

static int record(const char *dir, unsigned n, const void *buf, size_t len)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%04u.bin", dir, n);
	f = fopen(path, "wb");
	if (!f || fwrite(buf, 1, len, f) != len || fclose(f) != 0)
		return -1;
	return 0;
}

int main(int argc, char **argv)
{
	static char buf[256 * 1024];
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	const char *dir = NULL;
	long count = -1, timeout = -1, seen = 0;
	unsigned nrec = 0;
	int fd, rcvbuf = 32 << 20;
	time_t end;

	for (int i = 1; i < argc; i++) {
		char *e = NULL;
		if (i + 1 < argc && strcmp(argv[i], "--record") == 0)
			dir = argv[++i];
		else if (i + 1 < argc && strcmp(argv[i], "--count") == 0)
			count = strtol(argv[++i], &e, 10);
		else if (i + 1 < argc && strcmp(argv[i], "--timeout") == 0)
			timeout = strtol(argv[++i], &e, 10);
		else {
			fprintf(stderr, "usage: destroy_events [--record DIR] [--count N] [--timeout SEC]\n");
			return 2;
		}
		if (e && (*e || e == argv[i] || strtol(argv[i], NULL, 10) < 0)) {
			fprintf(stderr, "destroy_events: bad number '%s'\n", argv[i]);
			return 2;
		}
	}
	if (dir && access(dir, W_OK | X_OK) != 0) {
		fprintf(stderr, "destroy_events: cannot write into %s: %s\n", dir, strerror(errno));
		return 1;
	}
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (fd < 0) {
		fprintf(stderr, "destroy_events: socket: %s\n", strerror(errno));
		return 1;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	sa.nl_groups = (1u << (SKNLGRP_INET_TCP_DESTROY - 1)) | (1u << (SKNLGRP_INET6_TCP_DESTROY - 1));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr, "destroy_events: bind: %s\n", strerror(errno));
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	end = time(NULL) + timeout;
	while (count < 0 || seen < count) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int left = timeout < 0 ? -1 : (int)(end - time(NULL)) * 1000;
		ssize_t n;

		if (timeout >= 0 && left <= 0)
			break;
		if (poll(&p, 1, left) == 0)
			break;
		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0 && errno == ENOBUFS) {
			printf("overrun\n");
			fflush(stdout);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fprintf(stderr, "destroy_events: recv: %s\n", strerror(errno));
			return 1;
		}
		if (dir && record(dir, nrec++, buf, (size_t)n) < 0) {
			fprintf(stderr, "destroy_events: cannot write into %s: %s\n", dir, strerror(errno));
			return 1;
		}
		for (struct nlmsghdr *nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, (size_t)n);
		     nh = NLMSG_NEXT(nh, n)) {
			print_msg(nh);
			seen++;
		}
		fflush(stdout);
	}
	return 0;
}
