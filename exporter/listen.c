/* listen.c — listen addresses parsed and bound, systemd's sockets taken, and described
 * for the log (see listen.h). */
#include "listen.h"

#include "address.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

int listen_parse_address(const char *text, struct sockaddr_storage *addr, socklen_t *len,
			      int *wildcard, char *err, size_t errlen)
{
	char host[256];
	const char *colon, *port_text;
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE };
	struct addrinfo *res = NULL;
	char *end;
	long port;
	int rc;

	if (text[0] == '[') {
		const char *close = strchr(text, ']');

		if (!close || close[1] != ':') {
			snprintf(err, errlen, "invalid --web.listen-address '%s': want [IPv6]:PORT", text);
			return -EINVAL;
		}
		if ((size_t)(close - text - 1) >= sizeof(host)) {
			snprintf(err, errlen, "invalid --web.listen-address '%s': host too long", text);
			return -EINVAL;
		}
		memcpy(host, text + 1, (size_t)(close - text - 1));
		host[close - text - 1] = '\0';
		port_text = close + 2;
		hints.ai_family = AF_INET6;
		hints.ai_flags |= AI_NUMERICHOST;
	} else {
		colon = strrchr(text, ':');
		if (!colon || strchr(text, ':') != colon) {
			snprintf(err, errlen,
				 "invalid --web.listen-address '%s': want HOST:PORT, :PORT or [IPv6]:PORT",
				 text);
			return -EINVAL;
		}
		if ((size_t)(colon - text) >= sizeof(host)) {
			snprintf(err, errlen, "invalid --web.listen-address '%s': host too long", text);
			return -EINVAL;
		}
		memcpy(host, text, (size_t)(colon - text));
		host[colon - text] = '\0';
		port_text = colon + 1;
	}
	errno = 0;
	port = strtol(port_text, &end, 10);
	if (!*port_text || *end || errno || port < 1 || port > 65535) {
		snprintf(err, errlen, "invalid --web.listen-address '%s': port must be 1-65535", text);
		return -EINVAL;
	}

	*wildcard = host[0] == '\0';
	memset(addr, 0, sizeof(*addr));
	if (*wildcard) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)addr;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_addr = in6addr_any;
		sin6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*sin6);
		return 0;
	}
	rc = getaddrinfo(host, port_text, &hints, &res);
	if (rc != 0 || !res) {
		snprintf(err, errlen, "invalid --web.listen-address '%s': %s", text,
			 rc ? gai_strerror(rc) : "no address");
		return -EINVAL;
	}
	memcpy(addr, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

static int bind_listen_socket(const struct sockaddr_storage *addr, socklen_t len, int wildcard,
			      const char *text, char *err, size_t errlen)
{
	const int on = 1, off = 0;
	int fd, ret;

	fd = socket(addr->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 && wildcard && errno == EAFNOSUPPORT) {
		/* No IPv6 in this kernel: every address means every IPv4 address. */
		struct sockaddr_in sin = { .sin_family = AF_INET,
					   .sin_port = ((const struct sockaddr_in6 *)addr)->sin6_port };

		return bind_listen_socket((const struct sockaddr_storage *)&sin, sizeof(sin), 0, text,
					  err, errlen);
	}
	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "cannot listen on '%s': socket: %s", text, strerror(errno));
		return ret;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	if (wildcard)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off));
	/* A deep backlog: a burst of hostile connections must not make the kernel drop the
	 * real scraper's SYN before a serving thread has accepted and refused them. */
	if (bind(fd, (const struct sockaddr *)addr, len) < 0 || listen(fd, 4096) < 0) {
		ret = -errno;
		snprintf(err, errlen, "cannot listen on '%s': %s", text, strerror(errno));
		close(fd);
		return ret;
	}
	return fd;
}

/* The address and port a listening socket is bound to. False when it cannot be read. */
static bool socket_address(int fd, struct client_address *a, uint16_t *port)
{
	struct sockaddr_storage ss = { 0 };
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0 || !address_of((struct sockaddr *)&ss, a))
		return false;
	*port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
					       : ((struct sockaddr_in *)&ss)->sin_port);
	return true;
}

/* "127.0.0.1:9978", "[::]:9978": where a listening socket is bound, for the log. */
static void describe_socket(int fd, char *out, size_t size)
{
	struct client_address a;
	char host[INET6_ADDRSTRLEN] = "?";
	bool v6 = false;
	uint16_t port = 0;

	if (socket_address(fd, &a, &port)) {
		address_text(&a, host, sizeof(host));
		v6 = a.family == AF_INET6;
	}
	snprintf(out, size, v6 ? "[%s]:%u" : "%s:%u", host, (unsigned)port);
}

/* --web.listen-address, each given one: parsed and bound in order. */
static int bind_listen_sockets(struct listeners *l, const char *const *addresses, unsigned n,
			       char *err, size_t errlen)
{
	/* Refused first when a service manager hands us sockets we were not told to use: we
	 * would hold them open without serving, and (the usual case: the same port as the
	 * .socket unit) fail to bind with a misleading "Address already in use". */
	if (sd_listen_fds(0) > 0) {
		snprintf(err, errlen, "started with %d listening socket(s) from systemd (socket activation) "
			 "but without --web.systemd-socket", sd_listen_fds(0));
		return -EINVAL;
	}
	if (n > HTTP_MAX_LISTENERS) {
		snprintf(err, errlen, "too many listen addresses: at most %d", HTTP_MAX_LISTENERS);
		return -EINVAL;
	}
	for (unsigned i = 0; i < n; i++) {
		const char *text = addresses[i];
		struct sockaddr_storage addr;
		socklen_t len;
		int wildcard, fd;
		int ret = listen_parse_address(text, &addr, &len, &wildcard, err, errlen);

		if (ret < 0)
			return ret;
		fd = bind_listen_socket(&addr, len, wildcard, text, err, errlen);
		if (fd < 0)
			return fd;
		l->fds[l->n++] = fd;
	}
	return 0;
}

/* --web.systemd-socket: the listening sockets systemd passes (LISTEN_FDS, from
 * tcp_health_exporter.socket). Each must be a listening stream socket. */
static int take_systemd_sockets(struct listeners *l, char *err, size_t errlen)
{
	int n = sd_listen_fds(1);

	if (n < 0) {
		snprintf(err, errlen, "--web.systemd-socket: cannot read the sockets systemd passes: %s",
			 strerror(-n));
		return n;
	}
	if (n == 0) {
		snprintf(err, errlen, "--web.systemd-socket: systemd passed no sockets (start the exporter "
			 "through tcp_health_exporter.socket, or use --web.listen-address)");
		return -EINVAL;
	}
	if (n > HTTP_MAX_LISTENERS) {
		snprintf(err, errlen, "--web.systemd-socket: systemd passed %d sockets, at most %d are served",
			 n, HTTP_MAX_LISTENERS);
		return -EINVAL;
	}
	for (int i = 0; i < n; i++) {
		int fd = SD_LISTEN_FDS_START + i;

		/* TCP only: the connection limits and logs work on client IP addresses. */
		if (sd_is_socket_inet(fd, AF_UNSPEC, SOCK_STREAM, 1, 0) <= 0) {
			snprintf(err, errlen, "--web.systemd-socket: passed descriptor %d is not a listening "
				 "TCP socket (want ListenStream=[ADDRESS:]PORT in the .socket unit)", fd);
			return -EINVAL;
		}
		fcntl(fd, F_SETFD, FD_CLOEXEC);
		l->fds[l->n++] = fd;
	}
	return 0;
}

int listen_open(struct listeners *l, const char *const *addresses, unsigned n_addresses,
		bool systemd, char *err, size_t errlen)
{
	l->n = 0;
	return systemd ? take_systemd_sockets(l, err, errlen)
		       : bind_listen_sockets(l, addresses, n_addresses, err, errlen);
}

void listen_close(struct listeners *l)
{
	for (unsigned i = 0; i < l->n; i++)
		close(l->fds[i]);
	l->n = 0;
}

void listen_describe(const struct listeners *l, char *out, size_t size)
{
	size_t used = 0;

	out[0] = '\0';
	for (unsigned i = 0; i < l->n && used < size; i++) {
		char one[INET6_ADDRSTRLEN + 16];

		describe_socket(l->fds[i], one, sizeof(one));
		used += (size_t)snprintf(out + used, size - used, "%s%s", used ? ", " : "", one);
	}
}

unsigned listen_ports(const struct listeners *l, uint16_t *ports, unsigned max)
{
	unsigned n = 0;

	for (unsigned i = 0; i < l->n && n < max; i++) {
		struct client_address a;
		uint16_t port;
		bool seen = false;

		if (!socket_address(l->fds[i], &a, &port))
			continue;
		for (unsigned j = 0; j < n && !seen; j++)
			seen = ports[j] == port;
		if (!seen)
			ports[n++] = port;
	}
	return n;
}

void listen_url(const struct listeners *l, bool tls, char *out, size_t size)
{
	static const uint8_t any[16];
	struct client_address a;
	char host[INET6_ADDRSTRLEN + 2] = "localhost";
	uint16_t port = 0;

	if (l->n && socket_address(l->fds[0], &a, &port) &&
	    memcmp(a.addr, any, a.family == AF_INET6 ? 16 : 4) != 0) {
		char text[INET6_ADDRSTRLEN];

		address_text(&a, text, sizeof(text));
		snprintf(host, sizeof(host), a.family == AF_INET6 ? "[%s]" : "%s", text);
	}
	snprintf(out, size, "%s://%s:%u/", tls ? "https" : "http", host, (unsigned)port);
}
