/* destroy_reader.c — the minimal reader of TCP socket-destroy events: the floor the events
 * collector's own CPU is compared with (tests/bench/events.sh).
 *
 * Usage: destroy_reader [--buffer BYTES]
 * One NETLINK_SOCK_DIAG socket of the current network namespace bound to the multicast
 * groups SKNLGRP_INET_TCP_DESTROY and SKNLGRP_INET6_TCP_DESTROY (nl_groups (1 << 0) |
 * (1 << 2), what `ss -E` joins). --buffer BYTES: its receive buffer, as the exporter sets
 * it (--collector.tcp.events.buffer): SO_RCVBUFFORCE, or SO_RCVBUF when that is not
 * permitted (then net.core.rmem_max caps it); without it the kernel's default
 * (net.core.rmem_default). NETLINK_NO_ENOBUFS is not set: an overrun shows as one recv()
 * failing with ENOBUFS. A plain blocking recv() loop counts the netlink messages and the
 * overruns; nothing is parsed. SO_RCVTIMEO of 100 ms lets the loop see SIGTERM/SIGINT.
 *
 * Prints "rcvbuf=B" (SO_RCVBUF as the kernel reports it: twice what was set) and "ready" once
 * subscribed, and on SIGTERM/SIGINT "messages=N overruns=O cpu_s=U" (getrusage
 * RUSAGE_SELF, user + system, since "ready": not the start-up, which loads the shared
 * libraries every tool is linked with). Exit 0; 1 on a set-up or receive error; 2 on bad usage. */
#include <errno.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static double cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK,
				  .nl_groups = (1u << (SKNLGRP_INET_TCP_DESTROY - 1)) |
					       (1u << (SKNLGRP_INET6_TCP_DESTROY - 1)) };
	struct timeval tick = { .tv_usec = 100000 };
	struct sigaction act = { .sa_handler = on_signal }; /* no SA_RESTART */
	static char buf[65536];
	unsigned long messages = 0, overruns = 0;
	long buffer = 0;
	double cpu_at_ready;
	socklen_t len = sizeof(int);
	int fd, rcvbuf = 0;

	if (argc == 3 && strcmp(argv[1], "--buffer") == 0) {
		char *end;

		errno = 0;
		buffer = strtol(argv[2], &end, 10);
		if (errno || end == argv[2] || *end || buffer < 1 || buffer > (1L << 30))
			argc = 0;
	}
	if (argc != 1 && argc != 3) {
		fprintf(stderr, "usage: destroy_reader [--buffer 1-1073741824]\n");
		return 2;
	}
	sigaction(SIGTERM, &act, NULL);
	sigaction(SIGINT, &act, NULL);
	fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (fd < 0) {
		perror("destroy_reader: socket");
		return 1;
	}
	if (buffer) {
		int b = (int)buffer;

		if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &b, sizeof(b)) < 0 &&
		    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &b, sizeof(b)) < 0) {
			perror("destroy_reader: SO_RCVBUF");
			return 1;
		}
	}
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tick, sizeof(tick)) < 0 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, &len) < 0) {
		perror("destroy_reader: subscribe");
		return 1;
	}
	printf("rcvbuf=%d\nready\n", rcvbuf);
	fflush(stdout);
	cpu_at_ready = cpu_s();
	while (!stop) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		const struct nlmsghdr *h = (const struct nlmsghdr *)buf;
		size_t left;

		if (n < 0) {
			if (errno == ENOBUFS)
				overruns++;
			else if (errno != EINTR && errno != EAGAIN) {
				perror("destroy_reader: recv");
				return 1;
			}
			continue;
		}
		for (left = (size_t)n; NLMSG_OK(h, left); h = NLMSG_NEXT(h, left))
			messages++;
	}
	printf("messages=%lu overruns=%lu cpu_s=%.6f\n", messages, overruns, cpu_s() - cpu_at_ready);
	return 0;
}
