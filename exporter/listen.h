/* listen.h — where the exporter listens: --web.listen-address parsed and bound, or the
 * sockets systemd passes (--web.systemd-socket), and how they are described in the log.
 *
 * The set is made once at start and never changes: every server generation (http.c) is
 * given duplicates of these descriptors, so the sockets outlive reloads. No lock: nothing
 * writes the set after listen_open. */
#ifndef TCPH_LISTEN_H
#define TCPH_LISTEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* Listening sockets served at once: --web.listen-address given repeatedly, or the sockets
 * of --web.systemd-socket. */
#define HTTP_MAX_LISTENERS 8

struct listeners {
	int fds[HTTP_MAX_LISTENERS];
	unsigned n;
};

/* Parses a listen address. An empty host (":9978") means every address, IPv6 and IPv4
 * (`*wildcard` set). 0 or -EINVAL with a reason in `err`. */
int listen_parse_address(const char *text, struct sockaddr_storage *addr, socklen_t *len,
			      int *wildcard, char *err, size_t errlen);

/* Binds each of `addresses` in order, or (systemd) takes systemd's sockets. Refused, with
 * one line in `err`, when systemd passed sockets but `systemd` is false, or the other way
 * round. On failure the sockets opened so far stay in `l` for listen_close. 0 or -errno. */
int listen_open(struct listeners *l, const char *const *addresses, unsigned n_addresses,
		bool systemd, char *err, size_t errlen);
void listen_close(struct listeners *l);

/* "127.0.0.1:9978, [::]:9978": the addresses served, for the start-up log line. */
void listen_describe(const struct listeners *l, char *out, size_t size);
/* The distinct TCP ports of the sockets, in their order: how many were stored (<= max). */
unsigned listen_ports(const struct listeners *l, uint16_t *ports, unsigned max);
/* "http://localhost:9978/": where a person opens the first socket; a wildcard address
 * becomes localhost (IPv6 and IPv4 wildcard alike: the socket takes loopback too). */
void listen_url(const struct listeners *l, bool tls, char *out, size_t size);

#endif
