/* churn.c — a connect/accept/close load generator: the socket churn whose destroy events the
 * events collector counts (tests/bench/events.sh).
 *
 * Usage: churn [--addr A] [--port P] [--clients C] [--acceptors N] [--rate R]
 *              [--seconds S] [--count N]
 * One listener on A:P (127.0.0.1, port 19400), N acceptor threads (1) and C client threads
 * (4). A client: blocking connect(), read() until the server's FIN, close(). An acceptor:
 * accept(), close(). Without --rate as fast as the machine goes; with --rate R connections
 * per second in total, each client paced on an absolute schedule (R / C per second: a
 * client that slept too long catches up, one the machine cannot keep up with runs flat
 * out). Stops after S seconds (10) or N connections, whichever comes first, then closes the
 * listener.
 *
 * How the sockets are really freed: the SERVER closes first, with nothing unread, so both
 * ends close normally (FIN both ways, no RST): the server's socket is freed when it enters
 * TIME_WAIT, the client's when its FIN is acknowledged (LAST_ACK). Each connection frees two
 * full sockets, each one destroy event; the listener's close at the end one more. The
 * TIME_WAIT entries sit on the server's side (listener port, client port), so a client's
 * ephemeral port is free the moment its socket is: no port exhaustion at any rate, one
 * loopback source address. A new SYN that meets an old TIME_WAIT entry of the same four-tuple
 * is accepted by the kernel (higher sequence number). Not SO_LINGER 0: the kernel would
 * disconnect (RST) the socket before freeing it, which is not the normal close we measure.
 *
 * Prints one line: "connections=N elapsed_s=E rate=R cpu_s=U user_s=u sys_s=s errors=X"
 * (cpu: getrusage RUSAGE_SELF, every thread, from the first connection on: not the start-up). Exit 0; 1 when a connection failed (first
 * error on stderr) or on a set-up error; 2 on bad usage. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_THREADS 64

static struct sockaddr_in target;
static double rate_per_client;    /* 0: flat out */
static double deadline;           /* CLOCK_MONOTONIC seconds */
static long limit;                /* connections in total, 0: none */
static atomic_long claimed, made, errors;
static atomic_bool stopping;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_until(double t)
{
	struct timespec ts = { .tv_sec = (time_t)t, .tv_nsec = (long)((t - (double)(time_t)t) * 1e9) };

	if (ts.tv_nsec >= 1000000000L)
		ts.tv_nsec = 999999999L;
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

static void report_error(const char *what, int err)
{
	if (atomic_fetch_add(&errors, 1) == 0)
		fprintf(stderr, "churn: %s: %s\n", what, strerror(err));
}

/* One connection from the client's side: 0, or -1 (counted, first one printed). */
static int one_connection(void)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	char byte;
	ssize_t n;

	if (fd < 0) {
		report_error("socket", errno);
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&target, sizeof(target)) < 0) {
		report_error("connect", errno);
		close(fd);
		return -1;
	}
	do
		n = read(fd, &byte, 1); /* the server's FIN: 0 */
	while (n < 0 && errno == EINTR);
	if (n != 0)
		report_error("read (expected the server's FIN)", n < 0 ? errno : EPROTO);
	close(fd);
	return n == 0 ? 0 : -1;
}

static void *client(void *arg)
{
	double start = now_s();
	long mine = 0;

	(void)arg;
	prctl(PR_SET_TIMERSLACK, 1UL); /* pacing: sleeps of tens of microseconds */
	while (!atomic_load(&stopping)) {
		if (limit && atomic_fetch_add(&claimed, 1) >= limit)
			break;
		if (rate_per_client > 0) {
			double due = start + (double)mine / rate_per_client;

			if (due > deadline)
				break;
			if (due > now_s())
				sleep_until(due);
		}
		if (now_s() >= deadline)
			break;
		if (one_connection() < 0) {
			atomic_store(&stopping, true);
			break;
		}
		mine++;
		atomic_fetch_add(&made, 1);
	}
	return NULL;
}

static void *acceptor(void *arg)
{
	int lfd = *(int *)arg;

	for (;;) {
		int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

		if (fd >= 0) {
			close(fd); /* server first: FIN, nothing unread */
			continue;
		}
		if (errno == EINTR || errno == ECONNABORTED)
			continue;
		if (!atomic_load(&stopping)) /* shutdown() at the end wakes us with EINVAL */
			report_error("accept", errno);
		return NULL;
	}
}

static double cpu_s(const struct timeval *tv)
{
	return (double)tv->tv_sec + (double)tv->tv_usec / 1e6;
}

static int usage(void)
{
	fprintf(stderr, "usage: churn [--addr IPV4] [--port 1-65535] [--clients 1-%d] "
			"[--acceptors 1-%d] [--rate N>0] [--seconds S>0] [--count N>0]\n",
		MAX_THREADS, MAX_THREADS);
	return 2;
}

/* A number of the command line in [min, max], or -1. */
static double number(const char *s, double min, double max)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || v < min || v > max)
		return -1;
	return v;
}

int main(int argc, char **argv)
{
	const char *addr = "127.0.0.1";
	double port = 19400, clients = 4, acceptors = 1, rate = 0, seconds = 10, count = 0;
	pthread_t cl[MAX_THREADS], ac[MAX_THREADS];
	struct rusage ru0, ru;
	double start, elapsed;
	int lfd, one = 1;

	for (int i = 1; i < argc; i += 2) {
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		double *slot = NULL, min = 1, max = 1e9;

		if (!v)
			return usage();
		if (strcmp(argv[i], "--addr") == 0) {
			addr = v;
			continue;
		}
		if (strcmp(argv[i], "--port") == 0)
			slot = &port, max = 65535;
		else if (strcmp(argv[i], "--clients") == 0)
			slot = &clients, max = MAX_THREADS;
		else if (strcmp(argv[i], "--acceptors") == 0)
			slot = &acceptors, max = MAX_THREADS;
		else if (strcmp(argv[i], "--rate") == 0)
			slot = &rate;
		else if (strcmp(argv[i], "--seconds") == 0)
			slot = &seconds, min = 0.001;
		else if (strcmp(argv[i], "--count") == 0)
			slot = &count;
		else
			return usage();
		*slot = number(v, min, max);
		if (*slot < 0 || (slot != &seconds && *slot != (double)(long)*slot))
			return usage();
	}
	target = (struct sockaddr_in){ .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	if (inet_pton(AF_INET, addr, &target.sin_addr) != 1)
		return usage();
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 || setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(lfd, (struct sockaddr *)&target, sizeof(target)) < 0 || listen(lfd, 4096) < 0) {
		fprintf(stderr, "churn: listen on %s:%.0f: %s\n", addr, port, strerror(errno));
		return 1;
	}
	rate_per_client = rate / clients;
	limit = (long)count;
	getrusage(RUSAGE_SELF, &ru0);
	start = now_s();
	deadline = start + seconds;
	for (int i = 0; i < (int)acceptors; i++)
		if (pthread_create(&ac[i], NULL, acceptor, &lfd) != 0) {
			fprintf(stderr, "churn: pthread_create failed\n");
			return 1;
		}
	for (int i = 0; i < (int)clients; i++)
		if (pthread_create(&cl[i], NULL, client, NULL) != 0) {
			fprintf(stderr, "churn: pthread_create failed\n");
			return 1;
		}
	for (int i = 0; i < (int)clients; i++)
		pthread_join(cl[i], NULL);
	elapsed = now_s() - start;
	atomic_store(&stopping, true);
	shutdown(lfd, SHUT_RD);
	for (int i = 0; i < (int)acceptors; i++)
		pthread_join(ac[i], NULL);
	close(lfd);
	getrusage(RUSAGE_SELF, &ru);
	printf("connections=%ld elapsed_s=%.3f rate=%.0f cpu_s=%.3f user_s=%.3f sys_s=%.3f errors=%ld\n",
	       atomic_load(&made), elapsed, (double)atomic_load(&made) / elapsed,
	       cpu_s(&ru.ru_utime) + cpu_s(&ru.ru_stime) - cpu_s(&ru0.ru_utime) - cpu_s(&ru0.ru_stime),
	       cpu_s(&ru.ru_utime) - cpu_s(&ru0.ru_utime), cpu_s(&ru.ru_stime) - cpu_s(&ru0.ru_stime),
	       atomic_load(&errors));
	return atomic_load(&errors) ? 1 : 0;
}
