/* evconn.c — TCP connections that end in a chosen way, for the tcp.events tests.
 *
 * Usage: evconn MODE ...
 *   connect [--block] [--wait MS] ADDR PORT N
 *       N connects to ADDR:PORT: non-blocking (the default; all issued at once, then waited
 *       for with poll, at most --wait ms, default 10000) or blocking, one after the other.
 *       Each socket is closed once its connect has finished, whatever the result. Prints:
 *       "connect ok=A refused=B timedout=C other=D" (other: any other errno, or still
 *       pending at --wait). Exit 0 however the connects ended.
 *   abort [--keepalive I,V,C] [--send-every MS] [--wait SEC] ADDR PORT
 *       one blocking connect; SO_KEEPALIVE with TCP_KEEPIDLE I, TCP_KEEPINTVL V,
 *       TCP_KEEPCNT C; with --send-every, 100 bytes every MS ms. Prints "ready", then waits
 *       (at most --wait s, default 60) until the kernel reports an error on the socket,
 *       prints "closed ERRNO-NAME after MS ms retransmits=R probes=P total_retrans=T"
 *       (tcp_info just before the close), closes it and exits 0; exit 3 on --wait.
 *   churn ADDR PORT N NSRC
 *       listens on ADDR:PORT and prints "ready"; on SIGUSR1 makes N connections to it, each
 *       from 127.0.0.(1 + i % NSRC) (IP_BIND_ADDRESS_NO_PORT, so each source address has its
 *       own ephemeral ports), accepted, closed client first, then the server end; prints
 *       "done N in MS ms"; then keeps the listener until SIGTERM (exit 0).
 * Any set-up error: one message on stderr and exit 1. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

static void die(const char *what)
{
	fprintf(stderr, "evconn: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void usage(void)
{
	fprintf(stderr, "usage: evconn connect [--block] [--wait MS] ADDR PORT N\n"
			"       evconn abort [--keepalive I,V,C] [--send-every MS] [--wait SEC] ADDR PORT\n"
			"       evconn churn ADDR PORT N NSRC\n");
	exit(1);
}

static long number(const char *s, long lo, long hi)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi) {
		fprintf(stderr, "evconn: bad number '%s'\n", s);
		exit(1);
	}
	return v;
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct sockaddr_in address(const char *addr, const char *port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };

	if (inet_pton(AF_INET, addr, &sin.sin_addr) != 1) {
		fprintf(stderr, "evconn: bad address '%s'\n", addr);
		exit(1);
	}
	sin.sin_port = htons((uint16_t)number(port, 1, 65535));
	return sin;
}

/* N blocking connects one after the other, or N non-blocking ones issued at once and then
 * waited for together (at most wait_ms): the errno each ended with (0 connected, -1 still
 * pending) into err[]. Every socket is closed once its connect has finished. */
static void connect_all(const struct sockaddr_in *to, bool block, int wait_ms, long n, int *err)
{
	struct pollfd *p = calloc((size_t)n, sizeof(*p));
	long deadline = now_ms() + wait_ms, left = 0;

	if (!p)
		die("calloc");
	for (long k = 0; k < n; k++) {
		p[k].fd = socket(AF_INET, SOCK_STREAM | (block ? 0 : SOCK_NONBLOCK), 0);
		p[k].events = POLLOUT;
		if (p[k].fd < 0)
			die("socket");
		err[k] = 0;
		if (connect(p[k].fd, (const struct sockaddr *)to, sizeof(*to)) < 0)
			err[k] = errno;
		if (!block && err[k] == EINPROGRESS) {
			left++;
			continue;
		}
		close(p[k].fd);
		p[k].fd = -1;
	}
	while (left > 0 && now_ms() < deadline) {
		if (poll(p, (nfds_t)n, (int)(deadline - now_ms())) <= 0)
			continue;
		for (long k = 0; k < n; k++) {
			socklen_t len = sizeof(err[k]);

			if (p[k].fd < 0 || !p[k].revents)
				continue;
			if (getsockopt(p[k].fd, SOL_SOCKET, SO_ERROR, &err[k], &len) < 0)
				die("getsockopt SO_ERROR");
			close(p[k].fd);
			p[k].fd = -1;
			left--;
		}
	}
	for (long k = 0; k < n; k++) {
		if (p[k].fd >= 0) {
			err[k] = -1;
			close(p[k].fd);
		}
	}
	free(p);
}

static int mode_connect(int argc, char **argv)
{
	bool block = false;
	int wait_ms = 10000, i = 0;
	unsigned ok = 0, refused = 0, timedout = 0, other = 0;
	struct sockaddr_in to;
	int *err;
	long n;

	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--block") == 0)
			block = true;
		else if (strcmp(argv[i], "--wait") == 0 && i + 1 < argc)
			wait_ms = (int)number(argv[++i], 1, 600000);
		else
			usage();
	}
	if (argc - i != 3)
		usage();
	to = address(argv[i], argv[i + 1]);
	n = number(argv[i + 2], 1, 1000);
	err = calloc((size_t)n, sizeof(*err));
	if (!err)
		die("calloc");
	connect_all(&to, block, wait_ms, n, err);
	for (long k = 0; k < n; k++) {
		if (err[k] == 0)
			ok++;
		else if (err[k] == ECONNREFUSED)
			refused++;
		else if (err[k] == ETIMEDOUT)
			timedout++;
		else
			other++;
	}
	free(err);
	printf("connect ok=%u refused=%u timedout=%u other=%u\n", ok, refused, timedout, other);
	return 0;
}

static int mode_abort(int argc, char **argv)
{
	int idle = 0, intvl = 0, cnt = 0, every = 0, wait_s = 60, i = 0, fd, err = 0, one = 1;
	socklen_t len = sizeof(err);
	struct tcp_info ti;
	struct sockaddr_in to;
	long start, next;
	char data[100];

	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--keepalive") == 0 && i + 1 < argc) {
			if (sscanf(argv[++i], "%d,%d,%d", &idle, &intvl, &cnt) != 3 || idle < 1 ||
			    intvl < 1 || cnt < 1)
				usage();
		} else if (strcmp(argv[i], "--send-every") == 0 && i + 1 < argc) {
			every = (int)number(argv[++i], 1, 60000);
		} else if (strcmp(argv[i], "--wait") == 0 && i + 1 < argc) {
			wait_s = (int)number(argv[++i], 1, 3600);
		} else {
			usage();
		}
	}
	if (argc - i != 2)
		usage();
	to = address(argv[i], argv[i + 1]);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		die("socket");
	if (idle && (setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one)) < 0 ||
		     setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle)) < 0 ||
		     setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl)) < 0 ||
		     setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt)) < 0))
		die("keepalive options");
	if (connect(fd, (struct sockaddr *)&to, sizeof(to)) < 0)
		die("connect");
	printf("ready\n");
	fflush(stdout);
	memset(data, 'x', sizeof(data));
	start = now_ms();
	next = start;
	for (;;) {
		struct pollfd p = { .fd = fd, .events = 0 };
		long t = now_ms();

		if (t - start > wait_s * 1000L) {
			fprintf(stderr, "evconn: no error within %d s\n", wait_s);
			return 3;
		}
		if (every && t >= next) {
			if (send(fd, data, sizeof(data), MSG_DONTWAIT | MSG_NOSIGNAL) < 0 &&
			    errno != EAGAIN)
				break; /* the error is read below */
			next = t + every;
		}
		if (poll(&p, 1, every ? every : 100) > 0 && (p.revents & (POLLERR | POLLHUP)))
			break;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		die("getsockopt SO_ERROR");
	len = sizeof(ti);
	memset(&ti, 0, sizeof(ti));
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) < 0)
		die("getsockopt TCP_INFO");
	printf("closed %s after %ld ms retransmits=%u probes=%u total_retrans=%u\n",
	       err == ETIMEDOUT ? "ETIMEDOUT" : err ? strerror(err) : "none", now_ms() - start,
	       ti.tcpi_retransmits, ti.tcpi_probes, ti.tcpi_total_retrans);
	fflush(stdout);
	close(fd);
	return 0;
}

static volatile sig_atomic_t go, stop;

static void on_signal(int sig)
{
	if (sig == SIGUSR1)
		go = 1;
	else
		stop = 1;
}

static void churn(const struct sockaddr_in *to, int lfd, long n, int nsrc)
{
	int one = 1;

	for (long k = 0; k < n; k++) {
		struct sockaddr_in from = { .sin_family = AF_INET };
		int c = socket(AF_INET, SOCK_STREAM, 0), s;

		if (c < 0)
			die("socket");
		from.sin_addr.s_addr = htonl(0x7f000001u + (uint32_t)(k % nsrc));
		if (setsockopt(c, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one)) < 0 ||
		    bind(c, (struct sockaddr *)&from, sizeof(from)) < 0)
			die("bind source address");
		if (connect(c, (const struct sockaddr *)to, sizeof(*to)) < 0)
			die("connect");
		s = accept(lfd, NULL, NULL);
		if (s < 0)
			die("accept");
		close(c);
		close(s);
	}
}

static int mode_churn(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct sockaddr_in to;
	sigset_t block, old;
	int lfd, one = 1, nsrc;
	long n, start;

	if (argc != 4)
		usage();
	to = address(argv[0], argv[1]);
	n = number(argv[2], 1, 10000000);
	nsrc = (int)number(argv[3], 1, 250);
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigprocmask(SIG_BLOCK, &block, &old);
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (lfd < 0)
		die("socket");
	if (setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(lfd, (struct sockaddr *)&to, sizeof(to)) < 0 || listen(lfd, 128) < 0)
		die("listen");
	printf("ready\n");
	fflush(stdout);
	while (!go && !stop)
		sigsuspend(&old);
	if (stop)
		return 0;
	start = now_ms();
	churn(&to, lfd, n, nsrc);
	printf("done %ld in %ld ms\n", n, now_ms() - start);
	fflush(stdout);
	while (!stop)
		sigsuspend(&old);
	close(lfd);
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2)
		usage();
	if (strcmp(argv[1], "connect") == 0)
		return mode_connect(argc - 2, argv + 2);
	if (strcmp(argv[1], "abort") == 0)
		return mode_abort(argc - 2, argv + 2);
	if (strcmp(argv[1], "churn") == 0)
		return mode_churn(argc - 2, argv + 2);
	usage();
}
