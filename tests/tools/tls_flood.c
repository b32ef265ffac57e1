/* tls_flood.c — TLS clients that cost a server handshakes, for the integration tests and
 * the handshake bench.
 *
 * Usage: tls_flood [--source ADDR] [--threads N] [--duration SEC] [--count N]
 *                  [--priority GNUTLS-PRIORITIES] [--hold N] MODE HOST PORT
 *   abandon    each thread in a loop: connect, send a ClientHello, wait (at most 1 s) for
 *              the server's first answer (by then it has signed its key exchange), reset
 *              the connection; --count connections in all when given
 *   fire       the same without waiting: connect, send the ClientHello, close at once (the
 *              server still reads the hello and answers it, open loop: it queues up)
 *   hold       like abandon, but the connections stay open (at most --hold per thread, default
 *              32) until the server closes them; a thread at its cap waits for one to go
 *   handshake  --count full handshakes in all (default 1000), closed loop over the threads:
 *              connect, a whole handshake (a new session each time, no resumption), close
 *              without a request
 * The ClientHello is made once by gnutls with --priority (default NORMAL: TLS 1.3 and
 * 1.2) and sent as is on every connection. Runs for --duration seconds (default 20) or
 * until --count. Prints one line at the end:
 *   done mode=M connects=C answered=A refused=R silent=S errors=E handshakes=H elapsed_ms=T
 * (A: the server answered the hello, for fire: the hello was sent; R: closed or reset before answering; S: no answer in
 * 1 s; E: connect errors or failed handshakes). Exit 0; 1 on a usage or set-up error. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <gnutls/gnutls.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_THREADS 256
#define MAX_HOLD 1024

enum mode { ABANDON, FIRE, HOLD, HANDSHAKE };

static enum mode mode;
static const char *source, *host, *priority = "NORMAL";
static int port, threads, hold_max;
static long long deadline_ms, count = -1; /* -1: no --count */
static unsigned char hello[4096];
static size_t hello_len;
static atomic_llong connects, answered, refused, silent, errors, handshakes, started;

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void die(const char *what, const char *why)
{
	fprintf(stderr, "tls_flood: %s: %s\n", what, why);
	exit(1);
}

/* A blocking connection from `source`, or -1 (counted as an error). */
static int open_connection(void)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	struct timeval tv = { .tv_sec = 2 };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		goto fail;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (source) {
		struct sockaddr_in from = { .sin_family = AF_INET };

		inet_pton(AF_INET, source, &from.sin_addr);
		if (bind(fd, (struct sockaddr *)&from, sizeof(from)) < 0)
			goto fail;
	}
	inet_pton(AF_INET, host, &to.sin_addr);
	if (connect(fd, (struct sockaddr *)&to, sizeof(to)) < 0)
		goto fail;
	atomic_fetch_add(&connects, 1);
	return fd;
fail:
	atomic_fetch_add(&errors, 1);
	if (fd >= 0)
		close(fd);
	usleep(1000);
	return -1;
}

/* Closes with a reset: no TIME_WAIT left on the client's side. */
static void reset(int fd)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(fd);
}

/* Sends the hello and waits for the server's first bytes: true when they came. */
static bool send_hello(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char buf[256];
	ssize_t n;

	if (send(fd, hello, hello_len, MSG_NOSIGNAL) != (ssize_t)hello_len) {
		atomic_fetch_add(&refused, 1);
		return false;
	}
	if (poll(&p, 1, 1000) == 0) {
		atomic_fetch_add(&silent, 1);
		return false;
	}
	n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
	if (n <= 0) {
		atomic_fetch_add(&refused, 1);
		return false;
	}
	atomic_fetch_add(&answered, 1);
	return true;
}

static void *abandon_main(void *arg)
{
	(void)arg;
	while (now_ms() < deadline_ms && atomic_fetch_add(&started, 1) < count) {
		int fd = open_connection();

		if (fd < 0)
			continue;
		if (mode == FIRE) {
			if (send(fd, hello, hello_len, MSG_NOSIGNAL) == (ssize_t)hello_len)
				atomic_fetch_add(&answered, 1); /* sent, at least */
			else
				atomic_fetch_add(&refused, 1);
			close(fd);
			continue;
		}
		send_hello(fd);
		reset(fd);
	}
	return NULL;
}

/* Reaps the held connections the server has closed; waits up to `ms` for one. */
static void reap(int *fds, int *n, int ms)
{
	struct pollfd p[MAX_HOLD];
	char buf[4096];

	for (int i = 0; i < *n; i++)
		p[i] = (struct pollfd){ .fd = fds[i], .events = POLLIN };
	if (poll(p, (nfds_t)*n, ms) <= 0)
		return;
	for (int i = *n - 1; i >= 0; i--) {
		if (!p[i].revents)
			continue;
		if (recv(fds[i], buf, sizeof(buf), MSG_DONTWAIT) > 0)
			continue; /* the rest of the server's flight */
		close(fds[i]);
		fds[i] = fds[--*n];
	}
}

static void *hold_main(void *arg)
{
	int fds[MAX_HOLD], n = 0;

	(void)arg;
	while (now_ms() < deadline_ms) {
		int fd;

		if (n == hold_max) {
			reap(fds, &n, 100);
			continue;
		}
		fd = open_connection();
		if (fd < 0)
			continue;
		if (send_hello(fd))
			fds[n++] = fd;
		else
			reset(fd);
		reap(fds, &n, 0);
	}
	while (n)
		reset(fds[--n]);
	return NULL;
}

static void *handshake_main(void *arg)
{
	gnutls_certificate_credentials_t cred = arg;

	while (now_ms() < deadline_ms && atomic_fetch_add(&started, 1) < count) {
		gnutls_session_t s;
		int fd = open_connection(), ret;

		if (fd < 0)
			continue;
		if (gnutls_init(&s, GNUTLS_CLIENT) < 0 ||
		    gnutls_priority_set_direct(s, priority, NULL) < 0 ||
		    gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, cred) < 0)
			die("gnutls", "cannot set up a session");
		gnutls_server_name_set(s, GNUTLS_NAME_DNS, "localhost", 9);
		gnutls_transport_set_int(s, fd);
		do
			ret = gnutls_handshake(s);
		while (ret < 0 && !gnutls_error_is_fatal(ret));
		atomic_fetch_add(ret < 0 ? &errors : &handshakes, 1);
		gnutls_deinit(s);
		close(fd);
	}
	return NULL;
}

static ssize_t capture_push(gnutls_transport_ptr_t p, const void *data, size_t len)
{
	(void)p;
	if (hello_len + len > sizeof(hello))
		die("ClientHello", "larger than 4 KiB");
	memcpy(hello + hello_len, data, len);
	hello_len += len;
	return (ssize_t)len;
}

static ssize_t eagain_pull(gnutls_transport_ptr_t p, void *data, size_t len)
{
	(void)data;
	(void)len;
	gnutls_transport_set_errno((gnutls_session_t)p, EAGAIN);
	return -1;
}

/* The first flight of a gnutls client with `priority`, captured instead of sent. */
static void make_hello(gnutls_certificate_credentials_t cred)
{
	gnutls_session_t s;
	int ret;

	if (gnutls_init(&s, GNUTLS_CLIENT | GNUTLS_NONBLOCK) < 0)
		die("gnutls_init", "failed");
	ret = gnutls_priority_set_direct(s, priority, NULL);
	if (ret < 0)
		die("--priority", gnutls_strerror(ret));
	gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, cred);
	gnutls_server_name_set(s, GNUTLS_NAME_DNS, "localhost", 9);
	gnutls_transport_set_ptr(s, s);
	gnutls_transport_set_push_function(s, capture_push);
	gnutls_transport_set_pull_function(s, eagain_pull);
	ret = gnutls_handshake(s);
	if (ret != GNUTLS_E_AGAIN || hello_len == 0)
		die("ClientHello", gnutls_strerror(ret));
	gnutls_deinit(s);
}

static void usage(void);

/* A whole number in [min, max], or usage. */
static long long number(const char *text, long long min, long long max)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(text, &end, 10);
	if (errno || end == text || *end || v < min || v > max)
		usage();
	return v;
}

static void usage(void)
{
	fprintf(stderr, "usage: tls_flood [--source ADDR] [--threads N] [--duration SEC] [--count N] "
		"[--priority P] [--hold N] abandon|fire|hold|handshake HOST PORT\n");
	exit(1);
}

int main(int argc, char **argv)
{
	pthread_t tids[MAX_THREADS];
	gnutls_certificate_credentials_t cred;
	void *(*run)(void *);
	const char *threads_text = "8", *hold_text = "32", *duration_text = "20", *count_text = NULL;
	const struct {
		const char *name;
		const char **value;
	} options[] = {
		{ "source", &source },	     { "threads", &threads_text }, { "duration", &duration_text },
		{ "count", &count_text },    { "priority", &priority },	   { "hold", &hold_text },
	};
	long long start, duration;
	int i;

	for (i = 1; i + 1 < argc && strncmp(argv[i], "--", 2) == 0; i += 2) {
		unsigned k = 0;

		while (k < sizeof(options) / sizeof(options[0]) && strcmp(options[k].name, argv[i] + 2) != 0)
			k++;
		if (k == sizeof(options) / sizeof(options[0]))
			usage();
		*options[k].value = argv[i + 1];
	}
	threads = (int)number(threads_text, 1, MAX_THREADS);
	hold_max = (int)number(hold_text, 1, MAX_HOLD);
	duration = number(duration_text, 1, 86400);
	count = count_text ? number(count_text, 1, (long long)1 << 62) : -1;
	if (argc - i != 3)
		usage();
	mode = strcmp(argv[i], "abandon") == 0 ? ABANDON
	       : strcmp(argv[i], "fire") == 0  ? FIRE
	       : strcmp(argv[i], "hold") == 0  ? HOLD
	       : strcmp(argv[i], "handshake") == 0 ? HANDSHAKE
						   : (usage(), ABANDON);
	run = mode == ABANDON || mode == FIRE ? abandon_main : mode == HOLD ? hold_main : handshake_main;
	if (count < 0)
		count = mode == HANDSHAKE ? 1000 : (long long)1 << 62;
	host = argv[i + 1];
	port = (int)number(argv[i + 2], 1, 65535);
	if (gnutls_certificate_allocate_credentials(&cred) < 0)
		die("gnutls", "no credentials");
	make_hello(cred);
	start = now_ms();
	deadline_ms = start + duration * 1000;
	for (i = 0; i < threads; i++)
		if (pthread_create(&tids[i], NULL, run, cred) != 0)
			die("pthread_create", strerror(errno));
	for (i = 0; i < threads; i++)
		pthread_join(tids[i], NULL);
	printf("done mode=%s connects=%lld answered=%lld refused=%lld silent=%lld errors=%lld "
	       "handshakes=%lld elapsed_ms=%lld\n",
	       mode == ABANDON ? "abandon" : mode == FIRE ? "fire" : mode == HOLD ? "hold" : "handshake",
	       (long long)connects, (long long)answered, (long long)refused, (long long)silent,
	       (long long)errors, (long long)handshakes, now_ms() - start);
	gnutls_certificate_free_credentials(cred);
	return 0;
}
