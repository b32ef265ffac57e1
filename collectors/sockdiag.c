/* sockdiag.c — inet_diag dumps over NETLINK_SOCK_DIAG with libmnl.
 *
 * One request walks the kernel's TCP tables once for both address families: the compat
 * TCPDIAG_GETSOCK request (struct inet_diag_req), which inet_diag_dump_compat serves with
 * sdiag_family = AF_UNSPEC, answered with TCPDIAG_GETSOCK records. The v2 request
 * (SOCK_DIAG_BY_FAMILY, struct inet_diag_req_v2) dumps one family; it is what a kernel that
 * refuses the compat request gets instead (tcpagg_scan). Either way the kernel answers
 * with as many datagrams as it needs, each holding whole messages. We walk them ourselves (with libmnl's message and
 * attribute helpers) instead of mnl_cb_run, because mnl_cb_run stops silently at a
 * truncated message, and a silently short dump would undercount. */
#include "sockdiag.h"

#include "diag_compat.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

/* A dump that stalls this long fails the collector instead of hanging the scrape. */
#define SOCKDIAG_RECV_TIMEOUT_SEC 5

struct sockdiag {
	struct mnl_socket *nl;
	uint32_t seq;
};

static int connect_netlink(struct sockdiag *sd)
{
	struct timeval timeout = { .tv_sec = SOCKDIAG_RECV_TIMEOUT_SEC };
	int err;

	sd->nl = mnl_socket_open(NETLINK_SOCK_DIAG);
	if (!sd->nl)
		return -errno;
	if (mnl_socket_bind(sd->nl, 0, MNL_SOCKET_AUTOPID) < 0 ||
	    setsockopt(mnl_socket_get_fd(sd->nl), SOL_SOCKET, SO_RCVTIMEO, &timeout,
		       sizeof(timeout)) < 0) {
		err = -errno;
		mnl_socket_close(sd->nl);
		sd->nl = NULL;
		return err;
	}
	return 0;
}

int sockdiag_open(struct sockdiag **out)
{
	struct sockdiag *sd = calloc(1, sizeof(*sd));
	int err;

	if (!sd)
		return -ENOMEM;
	err = connect_netlink(sd);
	if (err < 0) {
		free(sd);
		return err;
	}
	sd->seq = (uint32_t)time(NULL);
	*out = sd;
	return 0;
}

void sockdiag_close(struct sockdiag *sd)
{
	if (!sd)
		return;
	if (sd->nl)
		mnl_socket_close(sd->nl);
	free(sd);
}

uint16_t sockdiag_record_type(int family)
{
	return family == SOCKDIAG_ONE_WALK ? TCPDIAG_GETSOCK : SOCK_DIAG_BY_FAMILY;
}

size_t sockdiag_build_request(void *buf, int family, uint32_t seq)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);

	nlh->nlmsg_type = sockdiag_record_type(family);
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	if (family == SOCKDIAG_ONE_WALK) {
		/* The kernel ignores idiag_family in a compat dump (AF_UNSPEC: both). */
		struct inet_diag_req *req = mnl_nlmsg_put_extra_header(nlh, sizeof(*req));

		req->idiag_family = AF_UNSPEC;
		req->idiag_states = TCPH_ALL_STATES_MASK;
		req->idiag_ext = 1u << (INET_DIAG_INFO - 1);
	} else {
		struct inet_diag_req_v2 *req = mnl_nlmsg_put_extra_header(nlh, sizeof(*req));

		req->sdiag_family = (uint8_t)family;
		req->sdiag_protocol = IPPROTO_TCP;
		req->idiag_states = TCPH_ALL_STATES_MASK;
		req->idiag_ext = 1u << (INET_DIAG_INFO - 1);
	}
	return nlh->nlmsg_len;
}

int sockdiag_decode(const struct nlmsghdr *nlh, struct sockdiag_record *record)
{
	const struct inet_diag_msg *msg;
	const struct nlattr *attr;
	size_t payload_len = mnl_nlmsg_get_payload_len(nlh);
	int remaining;

	if (payload_len < sizeof(*msg))
		return -EBADMSG;
	msg = mnl_nlmsg_get_payload(nlh);
	if (msg->idiag_family != AF_INET && msg->idiag_family != AF_INET6)
		return -EBADMSG;

	record->family = msg->idiag_family;
	record->state = msg->idiag_state;
	record->timer = msg->idiag_timer;
	record->retrans = msg->idiag_retrans;
	record->sport = ntohs(msg->id.idiag_sport);
	record->dport = ntohs(msg->id.idiag_dport);
	memcpy(record->saddr, msg->id.idiag_src, sizeof(record->saddr));
	memcpy(record->daddr, msg->id.idiag_dst, sizeof(record->daddr));
	record->expires_ms = msg->idiag_expires;
	record->rqueue = msg->idiag_rqueue;
	record->wqueue = msg->idiag_wqueue;
	record->uid = msg->idiag_uid;
	record->inode = msg->idiag_inode;
	record->info_len = 0;
	memset(&record->info, 0, sizeof(record->info));

	/* Attributes follow the fixed header; every byte must belong to a valid one. */
	if (payload_len < MNL_ALIGN(sizeof(*msg)))
		return -EBADMSG;
	remaining = (int)(payload_len - MNL_ALIGN(sizeof(*msg)));
	attr = (const struct nlattr *)((const char *)msg + MNL_ALIGN(sizeof(*msg)));
	while (remaining > 0) {
		if (!mnl_attr_ok(attr, remaining))
			return -EBADMSG;
		if (mnl_attr_get_type(attr) == INET_DIAG_INFO) {
			size_t len = mnl_attr_get_payload_len(attr);

			if (len > sizeof(record->info))
				len = sizeof(record->info); /* newer kernel: longer struct */
			memcpy(&record->info, mnl_attr_get_payload(attr), len);
			record->info_len = (uint32_t)len;
		}
		remaining -= (int)MNL_ALIGN(attr->nla_len);
		attr = mnl_attr_next(attr);
	}
	return 0;
}

/* mnl_nlmsg_ok() casts nlmsg_len to int, so a length of 2^31 or more passes as negative
 * and sends the walk far outside the buffer (found by tests/fuzz): compare unsigned. */
static int message_fits(const struct nlmsghdr *nlh, int remaining)
{
	return remaining >= (int)sizeof(*nlh) && nlh->nlmsg_len >= sizeof(*nlh) &&
	       nlh->nlmsg_len <= (uint32_t)remaining;
}

/* The two kinds of socket record an inet_diag dump can carry (both an inet_diag_msg). */
static bool socket_record_type(uint16_t type)
{
	return type == SOCK_DIAG_BY_FAMILY || type == TCPDIAG_GETSOCK;
}

int sockdiag_parse_type(const void *buf, size_t len, uint32_t seq, uint16_t type,
			sockdiag_record_fn fn, void *ctx)
{
	const struct nlmsghdr *nlh = buf;
	int remaining;

	if (len > INT32_MAX)
		return -EMSGSIZE;
	remaining = (int)len;
	while (remaining > 0) {
		if (!message_fits(nlh, remaining))
			return -EBADMSG;
		if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
			return -EINTR;
		if (!mnl_nlmsg_seq_ok(nlh, seq))
			return -EPROTO;

		if (nlh->nlmsg_type == NLMSG_DONE) {
			/* A dump that failed part-way ends with a negative errno here. */
			if (mnl_nlmsg_get_payload_len(nlh) >= sizeof(int)) {
				int status;

				memcpy(&status, mnl_nlmsg_get_payload(nlh), sizeof(status));
				if (status < 0)
					return status;
			}
			return 1;
		}
		if (nlh->nlmsg_type == NLMSG_ERROR) {
			const struct nlmsgerr *err;

			if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*err))
				return -EBADMSG;
			err = mnl_nlmsg_get_payload(nlh);
			/* error 0 is an ACK, which a dump never sends: treat it as malformed. */
			return err->error < 0 ? err->error : -EBADMSG;
		}
		if (nlh->nlmsg_type == type) {
			struct sockdiag_record record;
			int ret = sockdiag_decode(nlh, &record);

			if (ret < 0)
				return ret;
			ret = fn(&record, ctx);
			if (ret < 0)
				return ret;
		} else if (socket_record_type(nlh->nlmsg_type)) {
			/* The kernel answers a dump with its request's type only: a socket record
			 * of the other kind is not this dump's. */
			return -EBADMSG;
		}
		/* NLMSG_NOOP, NLMSG_OVERRUN and unknown control types carry no socket. */
		nlh = mnl_nlmsg_next(nlh, &remaining);
	}
	return 0;
}

int sockdiag_parse(const void *buf, size_t len, uint32_t seq, sockdiag_record_fn fn, void *ctx)
{
	return sockdiag_parse_type(buf, len, seq, SOCK_DIAG_BY_FAMILY, fn, ctx);
}

int sockdiag_dump(struct sockdiag *sd, void *buf, size_t size, int family, sockdiag_record_fn fn,
		  void *ctx)
{
	char request[256];
	uint32_t seq;
	size_t request_len;
	int ret;

	if (size < SOCKDIAG_RECV_BUFFER_MIN)
		return -EINVAL;
	if (!sd->nl) {
		ret = connect_netlink(sd);
		if (ret < 0)
			return ret;
	}
	seq = ++sd->seq;
	request_len = sockdiag_build_request(request, family, seq);
	if (mnl_socket_sendto(sd->nl, request, request_len) < 0) {
		ret = -errno;
		goto reset;
	}
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(sd->nl, buf, size);

		if (n < 0 && errno == EINTR)
			continue; /* a signal, not NLM_F_DUMP_INTR: just receive again */
		if (n < 0) {
			/* ENOSPC: a datagram larger than our buffer (MSG_TRUNC). */
			ret = errno == EAGAIN ? -ETIMEDOUT : -errno;
			goto reset;
		}
		if (n == 0) {
			ret = -EBADMSG;
			goto reset;
		}
		ret = sockdiag_parse_type(buf, (size_t)n, seq, sockdiag_record_type(family), fn, ctx);
		if (ret == 1)
			return 0;
		if (ret < 0)
			goto reset;
	}
reset:
	/* The rest of an abandoned dump is still queued on the socket: start afresh with a
	 * new socket rather than reading and discarding it. */
	mnl_socket_close(sd->nl);
	sd->nl = NULL;
	return ret;
}
