/* sockstate.c — puts real TCP sockets into known states for the integration tests.
 *
 * Usage: sockstate [--timeout SEC] COMMAND... where the commands run in order:
 *   listen ADDR PORT [BACKLOG]  a listener (BACKLOG default 128); [::] stays dual-stack
 *   established ADDR PORT N     N connections to a listener made earlier on PORT, all
 *                               accepted, both ends kept open: 2N ESTABLISHED sockets
 *   pending ADDR PORT N         N connections left in the listener's accept queue (the
 *                               client end and the queued server end are ESTABLISHED);
 *                               later commands may not accept on PORT any more
 *   closewait ADDR PORT         connect + accept, then the client shuts down its side:
 *                               server end CLOSE_WAIT, client end FIN_WAIT2. The client
 *                               fd stays open (shutdown, not close), so its FIN_WAIT2 does
 *                               not expire after tcp_fin_timeout as an orphan would.
 *   timewait ADDR PORT          connect + accept, the client closes first, then the
 *                               server: the client end lands in TIME_WAIT (60 s), the
 *                               server end is gone
 *   finwait1 ADDR PORT          connect + accept, the client shuts down its side; stays in
 *                               FIN_WAIT1 only if the test drops FINs to PORT (nftables)
 *   synsent ADDR PORT           a non-blocking connect; stays in SYN_SENT only if the test
 *                               drops SYNs to PORT
 *   synrecv ADDR PORT           a non-blocking connect that completes on the client side;
 *                               the server end stays a SYN_RECV request socket only if the
 *                               test drops the handshake's final ACK to PORT
 *   unlisten PORT               closes the listeners on PORT, keeping their connections
 *
 * Prints "ready" on stdout once every socket is in place, then keeps every fd open until
 * SIGTERM or SIGINT (exit 0) or until --timeout seconds pass (default 600; exit 3), so a
 * forgotten instance cannot linger. Any error: one message on stderr and exit 1. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* accept4 */
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_SOCKETS 16384
#define STATE_TIMEOUT_MS 5000 /* how long a socket may take to reach its state */

struct sock {
	int fd;
	uint16_t port;
	bool listener;
};

static struct sock socks[MAX_SOCKETS];
static unsigned n_socks;
/* Ports with connections left in their accept queue: a later accept() on such a port
 * would take one of those instead of the connection just made. */
static uint8_t pending_ports[65536 / 8];
static const char *current_command = "";

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "sockstate: %s: ", current_command);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static const char *const state_names[] = {
	"?",	      "ESTABLISHED", "SYN_SENT",   "SYN_RECV",	 "FIN_WAIT1", "FIN_WAIT2",
	"TIME_WAIT",  "CLOSE",	     "CLOSE_WAIT", "LAST_ACK",	 "LISTEN",    "CLOSING",
};

static const char *state_name(int state)
{
	if (state >= 0 && (size_t)state < sizeof(state_names) / sizeof(state_names[0]))
		return state_names[state];
	return "?";
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static long parse_number(const char *text, long min, long max, const char *what)
{
	char *end;
	long value;

	errno = 0;
	value = strtol(text, &end, 10);
	if (end == text || *end || errno || value < min || value > max)
		die("bad %s '%s' (want %ld-%ld)", what, text, min, max);
	return value;
}

static bool is_number(const char *text)
{
	if (!*text)
		return false;
	for (; *text; text++)
		if (*text < '0' || *text > '9')
			return false;
	return true;
}

/* "127.0.0.1", "::1" or "[::1]" with a port. */
static void parse_address(const char *text, uint16_t port, struct sockaddr_storage *addr,
			  socklen_t *len)
{
	char host[INET6_ADDRSTRLEN + 2];
	size_t n = strlen(text);
	struct sockaddr_in *sin = (struct sockaddr_in *)addr;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)addr;

	if (n >= 2 && text[0] == '[' && text[n - 1] == ']') {
		text++;
		n -= 2;
	}
	if (n >= sizeof(host))
		die("bad address '%s'", text);
	memcpy(host, text, n);
	host[n] = '\0';
	memset(addr, 0, sizeof(*addr));
	if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		*len = sizeof(*sin);
	} else if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		*len = sizeof(*sin6);
	} else {
		die("bad address '%s'", host);
	}
}

static void add_sock(int fd, uint16_t port, bool listener)
{
	if (n_socks == MAX_SOCKETS)
		die("more than %d sockets", MAX_SOCKETS);
	socks[n_socks++] = (struct sock){ .fd = fd, .port = port, .listener = listener };
}

static void forget_sock(int fd)
{
	for (unsigned i = 0; i < n_socks; i++) {
		if (socks[i].fd == fd) {
			socks[i] = socks[--n_socks];
			return;
		}
	}
}

static struct tcp_info get_info(int fd)
{
	struct tcp_info info;
	socklen_t len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &len) < 0)
		die("getsockopt(TCP_INFO): %s", strerror(errno));
	return info;
}

/* Waits, bounded, until the socket is in `state`. */
static void wait_state(int fd, int state, const char *which)
{
	long long deadline = now_ms() + STATE_TIMEOUT_MS;
	int now;

	for (;;) {
		now = get_info(fd).tcpi_state;
		if (now == state)
			return;
		if (now_ms() > deadline)
			die("%s end still %s after %d ms, want %s", which, state_name(now),
			    STATE_TIMEOUT_MS, state_name(state));
		sleep_ms(1);
	}
}

static int new_socket(int family)
{
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_TCP);

	if (fd < 0)
		die("socket: %s", strerror(errno));
	return fd;
}

static void cmd_listen(const char *host, uint16_t port, int backlog)
{
	struct sockaddr_storage addr;
	socklen_t len;
	const int on = 1;
	int fd;

	parse_address(host, port, &addr, &len);
	fd = new_socket(addr.ss_family);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	if (bind(fd, (struct sockaddr *)&addr, len) < 0)
		die("bind %s port %u: %s", host, port, strerror(errno));
	if (listen(fd, backlog) < 0)
		die("listen: %s", strerror(errno));
	wait_state(fd, TCP_LISTEN, "listening");
	add_sock(fd, port, true);
}

static unsigned listeners_on(uint16_t port, struct pollfd *pfds, unsigned max)
{
	unsigned n = 0;

	for (unsigned i = 0; i < n_socks && n < max; i++) {
		if (socks[i].listener && socks[i].port == port)
			pfds[n++] = (struct pollfd){ .fd = socks[i].fd, .events = POLLIN };
	}
	if (n == 0)
		die("no listener on port %u made earlier in this process", port);
	return n;
}

/* Total accept-queue length of the listeners on `port` (TCP_INFO reports it in
 * tcpi_unacked for a listening socket). */
static unsigned queued_on(uint16_t port)
{
	struct pollfd pfds[64];
	unsigned n = listeners_on(port, pfds, 64), total = 0;

	for (unsigned i = 0; i < n; i++)
		total += get_info(pfds[i].fd).tcpi_unacked;
	return total;
}

/* Accepts one connection from whichever listener on `port` has it, bounded. */
static int accept_one(uint16_t port)
{
	struct pollfd pfds[64];
	unsigned n = listeners_on(port, pfds, 64);
	long long deadline = now_ms() + STATE_TIMEOUT_MS;

	for (;;) {
		long long left = deadline - now_ms();
		int ret;

		if (left <= 0)
			die("no connection to accept on port %u after %d ms", port, STATE_TIMEOUT_MS);
		ret = poll(pfds, n, (int)left);
		if (ret < 0 && errno != EINTR)
			die("poll: %s", strerror(errno));
		for (unsigned i = 0; ret > 0 && i < n; i++) {
			if (pfds[i].revents & POLLIN) {
				int fd = accept4(pfds[i].fd, NULL, NULL, SOCK_CLOEXEC);

				if (fd < 0)
					die("accept: %s", strerror(errno));
				return fd;
			}
		}
	}
}

static int connect_to(const char *host, uint16_t port, bool nonblocking)
{
	struct sockaddr_storage addr;
	socklen_t len;
	int fd;

	parse_address(host, port, &addr, &len);
	fd = new_socket(addr.ss_family);
	if (nonblocking && fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0)
		die("fcntl: %s", strerror(errno));
	if (connect(fd, (struct sockaddr *)&addr, len) < 0 &&
	    !(nonblocking && errno == EINPROGRESS))
		die("connect %s port %u: %s", host, port, strerror(errno));
	return fd;
}

/* A connected and accepted pair, both ESTABLISHED. */
static void connected_pair(const char *host, uint16_t port, int *client, int *server)
{
	if (pending_ports[port / 8] & (1u << (port % 8)))
		die("port %u already has pending connections: put 'pending' after the other "
		    "commands on that port", port);
	*client = connect_to(host, port, false);
	*server = accept_one(port);
	wait_state(*client, TCP_ESTABLISHED, "client");
	wait_state(*server, TCP_ESTABLISHED, "server");
}

static void cmd_established(const char *host, uint16_t port, long count)
{
	for (long i = 0; i < count; i++) {
		int client, server;

		connected_pair(host, port, &client, &server);
		add_sock(client, 0, false);
		add_sock(server, port, false);
	}
}

static void cmd_pending(const char *host, uint16_t port, long count)
{
	unsigned want = queued_on(port) + (unsigned)count;
	long long deadline;

	for (long i = 0; i < count; i++) {
		int client = connect_to(host, port, false);

		wait_state(client, TCP_ESTABLISHED, "client");
		add_sock(client, 0, false);
	}
	pending_ports[port / 8] |= (uint8_t)(1u << (port % 8));
	/* The server ends exist once the listeners' accept queues hold them. */
	deadline = now_ms() + STATE_TIMEOUT_MS;
	while (queued_on(port) < want) {
		if (now_ms() > deadline)
			die("accept queue of port %u holds %u, want %u", port, queued_on(port), want);
		sleep_ms(1);
	}
}

static void cmd_closewait(const char *host, uint16_t port)
{
	int client, server;

	connected_pair(host, port, &client, &server);
	if (shutdown(client, SHUT_WR) < 0)
		die("shutdown: %s", strerror(errno));
	wait_state(server, TCP_CLOSE_WAIT, "server");
	wait_state(client, TCP_FIN_WAIT2, "client");
	add_sock(client, 0, false);
	add_sock(server, port, false);
}

static void cmd_timewait(const char *host, uint16_t port)
{
	int client, server;

	connected_pair(host, port, &client, &server);
	/* shutdown() rather than close() keeps both fds, so each step can be watched:
	 * once the client has the server's FIN it hands its connection to a TIME_WAIT
	 * socket and its own fd reads CLOSE; the server reads CLOSE once its FIN is acked. */
	if (shutdown(client, SHUT_WR) < 0)
		die("shutdown: %s", strerror(errno));
	wait_state(server, TCP_CLOSE_WAIT, "server");
	wait_state(client, TCP_FIN_WAIT2, "client");
	if (shutdown(server, SHUT_WR) < 0)
		die("shutdown: %s", strerror(errno));
	wait_state(client, TCP_CLOSE, "client");
	wait_state(server, TCP_CLOSE, "server");
	close(client);
	close(server);
}

static void cmd_finwait1(const char *host, uint16_t port)
{
	int client, server;

	connected_pair(host, port, &client, &server);
	if (shutdown(client, SHUT_WR) < 0)
		die("shutdown: %s", strerror(errno));
	/* Give an acknowledgement that the test failed to drop time to arrive, so that a
	 * missing firewall rule fails here rather than as a flaky count later. */
	sleep_ms(20);
	wait_state(client, TCP_FIN_WAIT1, "client");
	wait_state(server, TCP_ESTABLISHED, "server");
	add_sock(client, 0, false);
	add_sock(server, port, false);
}

static void cmd_synsent(const char *host, uint16_t port)
{
	int client = connect_to(host, port, true);

	sleep_ms(20);
	wait_state(client, TCP_SYN_SENT, "client");
	add_sock(client, 0, false);
}

static void cmd_synrecv(const char *host, uint16_t port)
{
	unsigned queued = queued_on(port);
	int client = connect_to(host, port, true);

	/* The client is ESTABLISHED once it has the SYN-ACK, so the server's request socket
	 * exists by then; nothing on the server side can be watched through an fd. */
	wait_state(client, TCP_ESTABLISHED, "client");
	sleep_ms(20);
	if (queued_on(port) != queued)
		die("the handshake's final ACK reached port %u (is it dropped?)", port);
	add_sock(client, 0, false);
}

static void cmd_unlisten(uint16_t port)
{
	struct pollfd pfds[64];
	unsigned n = listeners_on(port, pfds, 64);

	for (unsigned i = 0; i < n; i++) {
		close(pfds[i].fd);
		forget_sock(pfds[i].fd);
	}
}

static void usage_error(void)
{
	fprintf(stderr, "usage: sockstate [--timeout SEC] COMMAND...\n"
			"  listen ADDR PORT [BACKLOG] | established ADDR PORT N | pending ADDR PORT N |\n"
			"  closewait ADDR PORT | timewait ADDR PORT | finwait1 ADDR PORT |\n"
			"  synsent ADDR PORT | synrecv ADDR PORT | unlisten PORT\n");
	exit(1);
}

int main(int argc, char **argv)
{
	long timeout_sec = 600;
	struct rlimit nofile;
	sigset_t stop;
	siginfo_t info;
	struct timespec wait;
	int i = 1, sig;

	/* Block the stop signals first: a SIGTERM that arrives while sockets are still
	 * being made is then taken by sigtimedwait below, not lost or fatal half-way. */
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	sigprocmask(SIG_BLOCK, &stop, NULL);

	/* Many connections need many fds: take the hard limit. */
	if (getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur < nofile.rlim_max) {
		nofile.rlim_cur = nofile.rlim_max;
		setrlimit(RLIMIT_NOFILE, &nofile);
	}

	if (i + 1 < argc && strcmp(argv[i], "--timeout") == 0) {
		timeout_sec = parse_number(argv[i + 1], 1, 86400, "--timeout");
		i += 2;
	}
	if (i >= argc)
		usage_error();
	while (i < argc) {
		const char *cmd = argv[i];
		int left = argc - i - 1;

		current_command = cmd;
		if (strcmp(cmd, "listen") == 0 && left >= 2) {
			uint16_t port = (uint16_t)parse_number(argv[i + 2], 1, 65535, "port");
			int backlog = 128;

			if (left >= 3 && is_number(argv[i + 3]))
				backlog = (int)parse_number(argv[i + 3], 0, INT_MAX, "backlog");
			cmd_listen(argv[i + 1], port, backlog);
			i += left >= 3 && is_number(argv[i + 3]) ? 4 : 3;
		} else if ((strcmp(cmd, "established") == 0 || strcmp(cmd, "pending") == 0) &&
			   left >= 3) {
			uint16_t port = (uint16_t)parse_number(argv[i + 2], 1, 65535, "port");
			long count = parse_number(argv[i + 3], 1, MAX_SOCKETS / 2, "count");

			if (cmd[0] == 'e')
				cmd_established(argv[i + 1], port, count);
			else
				cmd_pending(argv[i + 1], port, count);
			i += 4;
		} else if (left >= 2 && (strcmp(cmd, "closewait") == 0 || strcmp(cmd, "timewait") == 0 ||
					 strcmp(cmd, "finwait1") == 0 || strcmp(cmd, "synsent") == 0 ||
					 strcmp(cmd, "synrecv") == 0)) {
			uint16_t port = (uint16_t)parse_number(argv[i + 2], 1, 65535, "port");

			if (strcmp(cmd, "closewait") == 0)
				cmd_closewait(argv[i + 1], port);
			else if (strcmp(cmd, "timewait") == 0)
				cmd_timewait(argv[i + 1], port);
			else if (strcmp(cmd, "finwait1") == 0)
				cmd_finwait1(argv[i + 1], port);
			else if (strcmp(cmd, "synsent") == 0)
				cmd_synsent(argv[i + 1], port);
			else
				cmd_synrecv(argv[i + 1], port);
			i += 3;
		} else if (strcmp(cmd, "unlisten") == 0 && left >= 1) {
			cmd_unlisten((uint16_t)parse_number(argv[i + 1], 1, 65535, "port"));
			i += 2;
		} else {
			fprintf(stderr, "sockstate: unknown command or missing arguments at '%s'\n", cmd);
			usage_error();
		}
	}

	printf("ready\n");
	fflush(stdout);

	wait.tv_sec = timeout_sec;
	wait.tv_nsec = 0;
	do
		sig = sigtimedwait(&stop, &info, &wait);
	while (sig < 0 && errno == EINTR);
	if (sig < 0) {
		fprintf(stderr, "sockstate: no SIGTERM after %ld s, exiting\n", timeout_sec);
		return 3;
	}
	return 0;
}
