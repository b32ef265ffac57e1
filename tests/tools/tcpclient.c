/* tcpclient.c — outgoing TCP connections with the behaviours the dead-peer tests need.
 *
 * Usage: tcpclient [--count N] [--keepalive IDLE,INTVL,CNT] [--send-every MS] [--nowait]
 *                  [--timeout SEC] ADDR PORT
 *   --count N          N connections (default 1)
 *   --keepalive I,V,C  SO_KEEPALIVE with TCP_KEEPIDLE I s, TCP_KEEPINTVL V s, TCP_KEEPCNT C
 *   --send-every MS    write 100 bytes on every connection every MS milliseconds, so data
 *                      is in flight when the peer vanishes (write errors after the kernel
 *                      aborts a connection are expected and ignored)
 *   --nowait           do not wait for the handshakes (connects to a full accept queue
 *                      stay in SYN_SENT)
 * Prints "ready" once the connections are up (or issued, with --nowait), then keeps them
 * open until SIGTERM/SIGINT (exit 0) or --timeout seconds (default 300; exit 3). Errors:
 * a message on stderr and exit 1. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNECTIONS 1024

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void die(const char *what)
{
	fprintf(stderr, "tcpclient: %s: %s\n", what, strerror(errno));
	exit(1);
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

int main(int argc, char **argv)
{
	static int fds[MAX_CONNECTIONS];
	int count = 1, idle = 0, intvl = 0, cnt = 0, send_every = 0, nowait = 0, timeout = 300;
	struct sockaddr_storage addr;
	socklen_t addr_len;
	struct sigaction sa;
	long deadline, next_send;
	int i = 1;

	for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
		if (strcmp(argv[i], "--count") == 0 && i + 1 < argc)
			count = atoi(argv[++i]);
		else if (strcmp(argv[i], "--keepalive") == 0 && i + 1 < argc &&
			 sscanf(argv[i + 1], "%d,%d,%d", &idle, &intvl, &cnt) == 3)
			i++;
		else if (strcmp(argv[i], "--send-every") == 0 && i + 1 < argc)
			send_every = atoi(argv[++i]);
		else if (strcmp(argv[i], "--nowait") == 0)
			nowait = 1;
		else if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc)
			timeout = atoi(argv[++i]);
		else {
			fprintf(stderr, "tcpclient: bad option '%s'\n", argv[i]);
			return 1;
		}
	}
	if (argc - i != 2 || count < 1 || count > MAX_CONNECTIONS) {
		fprintf(stderr, "usage: tcpclient [--count N] [--keepalive I,V,C] [--send-every MS] "
				"[--nowait] [--timeout SEC] ADDR PORT\n");
		return 1;
	}
	memset(&addr, 0, sizeof(addr));
	if (inet_pton(AF_INET, argv[i], &((struct sockaddr_in *)&addr)->sin_addr) == 1) {
		((struct sockaddr_in *)&addr)->sin_family = AF_INET;
		((struct sockaddr_in *)&addr)->sin_port = htons((uint16_t)atoi(argv[i + 1]));
		addr_len = sizeof(struct sockaddr_in);
	} else if (inet_pton(AF_INET6, argv[i], &((struct sockaddr_in6 *)&addr)->sin6_addr) == 1) {
		((struct sockaddr_in6 *)&addr)->sin6_family = AF_INET6;
		((struct sockaddr_in6 *)&addr)->sin6_port = htons((uint16_t)atoi(argv[i + 1]));
		addr_len = sizeof(struct sockaddr_in6);
	} else {
		fprintf(stderr, "tcpclient: bad address '%s'\n", argv[i]);
		return 1;
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	for (int c = 0; c < count; c++) {
		const int on = 1;

		fds[c] = socket(addr.ss_family, SOCK_STREAM, 0);
		if (fds[c] < 0)
			die("socket");
		if (idle && (setsockopt(fds[c], SOL_SOCKET, SO_KEEPALIVE, &on, sizeof(on)) < 0 ||
			     setsockopt(fds[c], IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle)) < 0 ||
			     setsockopt(fds[c], IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl)) < 0 ||
			     setsockopt(fds[c], IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt)) < 0))
			die("keepalive options");
		if (nowait)
			fcntl(fds[c], F_SETFL, O_NONBLOCK);
		if (connect(fds[c], (struct sockaddr *)&addr, addr_len) < 0 &&
		    !(nowait && errno == EINPROGRESS))
			die("connect");
	}
	printf("ready\n");
	fflush(stdout);

	deadline = now_ms() + timeout * 1000L;
	next_send = now_ms();
	while (!stop) {
		if (now_ms() > deadline) {
			fprintf(stderr, "tcpclient: --timeout reached\n");
			return 3;
		}
		if (send_every && now_ms() >= next_send) {
			static const char payload[100] = "tcp_health_exporter dead-peer test payload";

			for (int c = 0; c < count; c++)
				if (send(fds[c], payload, sizeof(payload), MSG_DONTWAIT) < 0 &&
				    errno != EAGAIN && errno != ETIMEDOUT && errno != EPIPE)
					fprintf(stderr, "tcpclient: send: %s\n", strerror(errno));
			next_send = now_ms() + send_every;
		}
		poll(NULL, 0, 20);
	}
	return 0;
}
