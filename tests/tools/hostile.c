/* hostile.c — misbehaving HTTP clients for the integration tests.
 *
 * Usage: hostile [--source ADDR] [--count N] [--interval MS] [--duration SEC]
 *                [--auth USER:PASS] [--path PATH] MODE HOST PORT
 *   stall      N connections send half a request line and headers, then nothing
 *   trickle    N connections send a request one byte every --interval ms (default 5000),
 *              never finishing the headers
 *   noread     N connections send a whole GET and never read the answer (small receive
 *              buffer, so the server's writes back up)
 *   wrongpass  N connections in parallel, each a loop: connect, GET with --auth (a wrong
 *              password), read the answer, close
 * Connections are made from --source (default: any address). Prints
 *   ready connected=C refused=R
 * once every connection is up (R: closed by the server at once, e.g. by a connection
 * limit), then keeps going until --duration seconds (default 60) or SIGTERM, and prints
 *   done connected=C refused=R closed=K first_close_ms=A last_close_ms=B
 * (K: connections the server closed later; A, B: how long after connecting the first
 * and the last of them were closed), or for wrongpass
 *   done requests=N s401=a s429=b s503=c other=d
 * Exit 0; 1 on a usage or set-up error. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNECTIONS 4096

struct client {
	int fd;
	size_t sent;	   /* bytes of the request sent (trickle) */
	long long opened;  /* ms */
	long long closed;  /* ms, 0 while open */
	bool refused;
};

static struct client clients[MAX_CONNECTIONS];
static volatile sig_atomic_t stop;
static const char *source, *host, *path = "/metrics", *auth;
static int port;

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void die(const char *what)
{
	fprintf(stderr, "hostile: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* A blocking connection from `source`, with a small receive buffer when asked. */
static int open_connection(int rcvbuf)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		die("socket");
	if (rcvbuf)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (source) {
		struct sockaddr_in from = { .sin_family = AF_INET };
		const int on = 1;

		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
		if (inet_pton(AF_INET, source, &from.sin_addr) != 1 ||
		    bind(fd, (struct sockaddr *)&from, sizeof(from)) < 0)
			die("bind --source");
	}
	if (inet_pton(AF_INET, host, &to.sin_addr) != 1)
		die("HOST must be an IPv4 address");
	if (connect(fd, (struct sockaddr *)&to, sizeof(to)) < 0)
		die("connect");
	return fd;
}

static void base64(const char *in, char *out)
{
	static const char table[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t n = strlen(in), o = 0;

	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned char)in[i] << 16;

		if (i + 1 < n)
			v |= (unsigned char)in[i + 1] << 8;
		if (i + 2 < n)
			v |= (unsigned char)in[i + 2];
		out[o++] = table[(v >> 18) & 63];
		out[o++] = table[(v >> 12) & 63];
		out[o++] = i + 1 < n ? table[(v >> 6) & 63] : '=';
		out[o++] = i + 2 < n ? table[v & 63] : '=';
	}
	out[o] = '\0';
}

/* The server closed the connection (EOF or reset), without waiting. */
static bool closed_by_server(int fd)
{
	char buf[4096];
	ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);

	return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
}

static int wrongpass_loop(int count, long long deadline)
{
	char credentials[512], request[1024];
	unsigned long requests = 0, s401 = 0, s429 = 0, s503 = 0, other = 0;

	if (!auth || strlen(auth) > 300) {
		fprintf(stderr, "hostile: wrongpass needs --auth USER:PASS\n");
		return 1;
	}
	base64(auth, credentials);
	snprintf(request, sizeof(request),
		 "GET %s HTTP/1.1\r\nHost: %s\r\nAuthorization: Basic %s\r\nConnection: close\r\n\r\n",
		 path, host, credentials);
	/* `count` parallel loops: one process each, so that a slow answer does not pace the others. */
	for (int i = 1; i < count; i++) {
		pid_t pid = fork();

		if (pid < 0)
			die("fork");
		if (pid == 0)
			break;
	}
	printf("ready connected=%d refused=0\n", count);
	fflush(stdout);
	while (!stop && now_ms() < deadline) {
		char answer[256];
		ssize_t n;
		int fd = open_connection(0), status = 0;

		if (write(fd, request, strlen(request)) < 0) {
			close(fd);
			continue;
		}
		n = read(fd, answer, sizeof(answer) - 1);
		close(fd);
		requests++;
		if (n > 12) {
			answer[n] = '\0';
			sscanf(answer, "HTTP/1.%*d %d", &status);
		}
		if (status == 401)
			s401++;
		else if (status == 429)
			s429++;
		else if (status == 503)
			s503++;
		else
			other++;
	}
	printf("done requests=%lu s401=%lu s429=%lu s503=%lu other=%lu\n", requests, s401, s429, s503,
	       other);
	return 0;
}

int main(int argc, char **argv)
{
	int count = 1, interval = 5000, duration = 60, connected = 0, refused = 0, closed = 0, i;
	long long deadline, first_close = -1, last_close = -1;
	const char *mode;
	char request[512];
	struct rlimit rl;
	bool noread;

	for (i = 1; i + 1 < argc && argv[i][0] == '-' && argv[i][1] == '-'; i += 2) {
		if (strcmp(argv[i], "--source") == 0)
			source = argv[i + 1];
		else if (strcmp(argv[i], "--count") == 0)
			count = atoi(argv[i + 1]);
		else if (strcmp(argv[i], "--interval") == 0)
			interval = atoi(argv[i + 1]);
		else if (strcmp(argv[i], "--duration") == 0)
			duration = atoi(argv[i + 1]);
		else if (strcmp(argv[i], "--auth") == 0)
			auth = argv[i + 1];
		else if (strcmp(argv[i], "--path") == 0)
			path = argv[i + 1];
		else
			break;
	}
	if (argc - i != 3 || count < 1 || count > MAX_CONNECTIONS || interval < 1 || duration < 1) {
		fprintf(stderr, "usage: hostile [--source ADDR] [--count N] [--interval MS] "
				"[--duration SEC] [--auth USER:PASS] [--path PATH] "
				"stall|trickle|noread|wrongpass HOST PORT\n");
		return 1;
	}
	mode = argv[i];
	host = argv[i + 1];
	port = atoi(argv[i + 2]);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGPIPE, SIG_IGN);
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	deadline = now_ms() + duration * 1000LL;
	if (strcmp(mode, "wrongpass") == 0)
		return wrongpass_loop(count, deadline);
	noread = strcmp(mode, "noread") == 0;
	if (strcmp(mode, "stall") == 0)
		snprintf(request, sizeof(request), "GET %s HTTP/1.1\r\nHost: x", path);
	else if (strcmp(mode, "trickle") == 0)
		snprintf(request, sizeof(request), "GET %s HTTP/1.1\r\nHost: %s\r\nX-Trickle: ", path, host);
	else if (noread)
		snprintf(request, sizeof(request), "GET %s HTTP/1.1\r\nHost: %s\r\n\r\n", path, host);
	else {
		fprintf(stderr, "hostile: unknown mode '%s'\n", mode);
		return 1;
	}

	for (int c = 0; c < count; c++) {
		struct client *cl = &clients[c];
		size_t first = strcmp(mode, "trickle") == 0 ? 1 : strlen(request);

		cl->fd = open_connection(noread ? 4096 : 0);
		cl->opened = now_ms();
		if (write(cl->fd, request, first) < 0)
			cl->refused = true;
		cl->sent = first;
	}
	/* A refused connection is accepted by the kernel and closed by the server at once. */
	usleep(300 * 1000);
	for (int c = 0; c < count; c++) {
		struct client *cl = &clients[c];

		if (!noread && (cl->refused || closed_by_server(cl->fd))) {
			cl->refused = true;
			cl->closed = now_ms();
			close(cl->fd);
			cl->fd = -1;
			refused++;
		} else {
			connected++;
		}
	}
	printf("ready connected=%d refused=%d\n", connected, refused);
	fflush(stdout);

	while (!stop && now_ms() < deadline) {
		long long now;

		usleep((noread ? 200 : (interval < 200 ? interval : 200)) * 1000);
		now = now_ms();
		for (int c = 0; c < count; c++) {
			struct client *cl = &clients[c];

			if (cl->fd < 0)
				continue;
			if (!noread && closed_by_server(cl->fd)) {
				/* noread never reads, so only the write side could tell; not needed */
			} else if (strcmp(mode, "trickle") != 0 ||
				   (now - cl->opened) / interval < (long long)cl->sent) {
				continue;
			} else {
				char byte = 'a';

				if (write(cl->fd, &byte, 1) == 1) {
					cl->sent++;
					continue;
				}
			}
			cl->closed = now;
			close(cl->fd);
			cl->fd = -1;
			closed++;
			if (first_close < 0)
				first_close = now - cl->opened;
			last_close = now - cl->opened;
		}
	}
	printf("done connected=%d refused=%d closed=%d first_close_ms=%lld last_close_ms=%lld\n",
	       connected, refused, closed, first_close, last_close);
	return 0;
}
