/* sockdiag.h — NETLINK_SOCK_DIAG inet_diag dumps of TCP sockets, streamed one
 * record at a time into a callback. No allocation per socket: each record lives on
 * the stack for the duration of the callback. */
#ifndef TCPH_SOCKDIAG_H
#define TCPH_SOCKDIAG_H

#include <linux/tcp.h>
#include <stddef.h>
#include <stdint.h>

struct nlmsghdr;

struct sockdiag_record {
	uint8_t family; /* AF_INET or AF_INET6 */
	uint8_t state;	/* TCPH_* from diag_compat.h */
	uint8_t timer;	/* TCPH_TIMER_* */
	uint8_t retrans;
	uint16_t sport; /* host byte order */
	uint16_t dport;
	uint8_t saddr[16]; /* 4 bytes used for AF_INET */
	uint8_t daddr[16];
	uint32_t expires_ms;
	uint32_t rqueue; /* LISTEN: accept queue now; otherwise bytes queued */
	uint32_t wqueue; /* LISTEN: backlog limit; otherwise bytes queued */
	uint32_t uid;
	uint32_t inode;
	/* Bytes of tcp_info the kernel sent (0: none, e.g. TIME_WAIT and request sockets);
	 * older kernels send a shorter struct, the rest of `info` is zero. */
	uint32_t info_len;
	struct tcp_info info;
};

typedef int (*sockdiag_record_fn)(const struct sockdiag_record *record, void *ctx);

struct sockdiag;

/* The kernel sizes dump batches from the largest read it has seen, up to about 32 KiB;
 * a smaller buffer would cut datagrams (MSG_TRUNC is still checked). The size callers use: */
#define SOCKDIAG_RECV_BUFFER_MIN (32 * 1024)
#define SOCKDIAG_RECV_BUFFER (64 * 1024)

/* Opens the netlink socket and its receive buffer (at least 32 KiB). 0 or -errno. */
int sockdiag_open(struct sockdiag **out);
void sockdiag_close(struct sockdiag *sd);

/* The `family` of a dump that walks the kernel's TCP tables once for both families: the
 * compat TCPDIAG_GETSOCK request (struct inet_diag_req; the kernel's
 * inet_diag_dump_compat dumps it as AF_UNSPEC), answered with TCPDIAG_GETSOCK records. */
#define SOCKDIAG_ONE_WALK 0 /* AF_UNSPEC */

/* One full dump of TCP sockets in `family` (AF_INET, AF_INET6, or SOCKDIAG_ONE_WALK for
 * both), all states, INET_DIAG_INFO requested.
 * Reads into `buf` (at least SOCKDIAG_RECV_BUFFER_MIN bytes, -EINVAL otherwise): the
 * caller's, so that many sockets (one per namespace) can share one buffer per thread.
 * Calls `fn` per socket; a negative return from `fn` aborts the dump with that value.
 * Returns 0, -EINTR when the kernel flagged the dump inconsistent (NLM_F_DUMP_INTR:
 * the caller discards what it aggregated and retries), or another -errno. */
int sockdiag_dump(struct sockdiag *sd, void *buf, size_t size, int family, sockdiag_record_fn fn,
		  void *ctx);

/* Parses one received buffer of netlink messages whose socket records have nlmsg_type
 * `type` (sockdiag_record_type of the request). Returns 1 when NLMSG_DONE was seen,
 * 0 when more messages are to come, -EINTR for a dump flagged NLM_F_DUMP_INTR,
 * -EBADMSG for truncated or malformed messages and for a socket record of the other kind
 * (SOCK_DIAG_BY_FAMILY in a TCPDIAG_GETSOCK dump, or the reverse), -EPROTO for a foreign
 * sequence number, the kernel's -errno for NLMSG_ERROR or for NLMSG_DONE's negative
 * status, or the callback's negative value. Other message types carry no socket and are
 * skipped. Pure: the unit tests feed it crafted and recorded buffers. */
int sockdiag_parse_type(const void *buf, size_t len, uint32_t seq, uint16_t type,
			sockdiag_record_fn fn, void *ctx);
/* sockdiag_parse_type of SOCK_DIAG_BY_FAMILY records (v2 dumps, destroy multicast). */
int sockdiag_parse(const void *buf, size_t len, uint32_t seq, sockdiag_record_fn fn, void *ctx);

/* nlmsg_type of the request for `family`, and of the records that answer it:
 * TCPDIAG_GETSOCK for SOCKDIAG_ONE_WALK, SOCK_DIAG_BY_FAMILY otherwise. */
uint16_t sockdiag_record_type(int family);

/* Decodes one socket record (an inet_diag_msg: SOCK_DIAG_BY_FAMILY or TCPDIAG_GETSOCK)
 * into `record`. 0 or -EBADMSG. */
int sockdiag_decode(const struct nlmsghdr *nlh, struct sockdiag_record *record);

/* Builds the dump request for `family` (SOCKDIAG_ONE_WALK: the compat request) into `buf`
 * (at least 256 bytes); returns its
 * length. Exposed for the recorder tool and the tests. */
size_t sockdiag_build_request(void *buf, int family, uint32_t seq);

#endif
