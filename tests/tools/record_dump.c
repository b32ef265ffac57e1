/* record_dump.c — records the raw netlink datagrams of one inet_diag TCP dump, exactly
 * as the exporter requests it, for the parser tests in tests/data/.
 *
 * Usage: record_dump ipv4|ipv6|one-walk OUTFILE
 * one-walk: the request for both families at once (SOCKDIAG_ONE_WALK: TCPDIAG_GETSOCK), whose
 * records are TCPDIAG_GETSOCK messages (sockdiag_parse_type). The datagrams are written back to back; every netlink message is self-delimiting, so
 * the file parses as one buffer (sockdiag_parse) with the sequence number of its first
 * message. */
#include "../../collectors/sockdiag.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/netlink.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

int main(int argc, char **argv)
{
	static char buf[64 * 1024];
	char request[256];
	struct mnl_socket *nl;
	const struct nlmsghdr *last;
	FILE *out;
	size_t len;
	int family;

	if (argc != 3 || (strcmp(argv[1], "ipv4") != 0 && strcmp(argv[1], "ipv6") != 0 &&
			  strcmp(argv[1], "one-walk") != 0)) {
		fprintf(stderr, "usage: record_dump ipv4|ipv6|one-walk OUTFILE\n");
		return 2;
	}
	family = strcmp(argv[1], "ipv4") == 0 ? AF_INET :
		 strcmp(argv[1], "ipv6") == 0 ? AF_INET6 : SOCKDIAG_ONE_WALK;
	nl = mnl_socket_open(NETLINK_SOCK_DIAG);
	if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		perror("netlink");
		return 1;
	}
	out = fopen(argv[2], "wb");
	if (!out) {
		perror(argv[2]);
		return 1;
	}
	len = sockdiag_build_request(request, family, 4242);
	if (mnl_socket_sendto(nl, request, len) < 0) {
		perror("sendto");
		return 1;
	}
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		int remaining;

		if (n <= 0) {
			perror("recv");
			return 1;
		}
		fwrite(buf, 1, (size_t)n, out);
		/* Stop after the datagram that holds NLMSG_DONE or NLMSG_ERROR. */
		remaining = (int)n;
		for (last = (const struct nlmsghdr *)buf; mnl_nlmsg_ok(last, remaining);
		     last = mnl_nlmsg_next(last, &remaining))
			if (last->nlmsg_type == NLMSG_DONE || last->nlmsg_type == NLMSG_ERROR)
				goto done;
	}
done:
	if (fclose(out) != 0) {
		perror(argv[2]);
		return 1;
	}
	mnl_socket_close(nl);
	return 0;
}
