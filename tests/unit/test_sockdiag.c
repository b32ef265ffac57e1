/* test_sockdiag.c — the netlink parser against crafted and recorded buffers. */
#include "../../collectors/diag_compat.h"
#include "../../collectors/sockdiag.h"
#include "unit.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define SEQ 77

/* ---- crafting ----------------------------------------------------------------------- */

/* The socket records' nlmsg_type the crafted buffers carry and the parse expects. */
static uint16_t record_type = SOCK_DIAG_BY_FAMILY;

struct craft {
	char buf[16384] __attribute__((aligned(8)));
	size_t len;
};

static struct nlmsghdr *put_header(struct craft *c, uint16_t type, uint32_t seq)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(c->buf + c->len);

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_MULTI;
	nlh->nlmsg_seq = seq;
	return nlh;
}

static void finish(struct craft *c, struct nlmsghdr *nlh)
{
	c->len += NLMSG_ALIGN(nlh->nlmsg_len);
}

static struct nlmsghdr *craft_socket(struct craft *c, uint8_t family, uint8_t state, uint16_t sport,
				     uint16_t dport, const void *info, size_t info_len)
{
	struct nlmsghdr *nlh = put_header(c, record_type, SEQ);
	struct inet_diag_msg *msg = mnl_nlmsg_put_extra_header(nlh, sizeof(*msg));

	msg->idiag_family = family;
	msg->idiag_state = state;
	msg->idiag_timer = TCPH_TIMER_KEEPALIVE;
	msg->idiag_retrans = 2;
	msg->idiag_expires = 1500;
	msg->idiag_rqueue = 3;
	msg->idiag_wqueue = 128;
	msg->idiag_uid = 1000;
	msg->idiag_inode = 4242;
	msg->id.idiag_sport = htons(sport);
	msg->id.idiag_dport = htons(dport);
	msg->id.idiag_src[0] = htonl(0x7f000001);
	if (info)
		mnl_attr_put(nlh, INET_DIAG_INFO, info_len, info);
	finish(c, nlh);
	return nlh;
}

static void craft_done(struct craft *c, int status)
{
	struct nlmsghdr *nlh = put_header(c, NLMSG_DONE, SEQ);
	int *payload = mnl_nlmsg_put_extra_header(nlh, sizeof(int));

	*payload = status;
	finish(c, nlh);
}

static void craft_error(struct craft *c, int error)
{
	struct nlmsghdr *nlh = put_header(c, NLMSG_ERROR, SEQ);
	struct nlmsgerr *err = mnl_nlmsg_put_extra_header(nlh, sizeof(*err));

	err->error = error;
	finish(c, nlh);
}

/* ---- a collecting callback ------------------------------------------------------------ */

#define MAX_SEEN 64

struct seen {
	unsigned n;
	struct sockdiag_record records[MAX_SEEN];
	int fail_at; /* return -ECANCELED on this record (1-based), 0: never */
};

static int collect(const struct sockdiag_record *record, void *ctx)
{
	struct seen *seen = ctx;

	if (seen->n < MAX_SEEN)
		seen->records[seen->n] = *record;
	seen->n++;
	return seen->fail_at && seen->n == (unsigned)seen->fail_at ? -ECANCELED : 0;
}

static struct craft c;
static struct seen seen;

static void setup(void)
{
	memset(&c, 0, sizeof(c));
	memset(&seen, 0, sizeof(seen));
}

/* The crafted tests run twice: for v2 dumps (SOCK_DIAG_BY_FAMILY records, through
 * sockdiag_parse) and for the one walk (TCPDIAG_GETSOCK records), which must be parsed
 * exactly as strictly. */
static void setup_one_walk(void)
{
	setup();
	record_type = TCPDIAG_GETSOCK;
}

static void teardown_one_walk(void)
{
	record_type = SOCK_DIAG_BY_FAMILY;
}

static int parse(const void *buf, size_t len, uint32_t seq, sockdiag_record_fn fn, void *ctx)
{
	if (record_type == SOCK_DIAG_BY_FAMILY)
		return sockdiag_parse(buf, len, seq, fn, ctx);
	return sockdiag_parse_type(buf, len, seq, record_type, fn, ctx);
}

/* ---- crafted buffers -------------------------------------------------------------------- */

START_TEST(full_record_and_done)
{
	struct tcp_info info = { 0 };

	info.tcpi_rtt = 1234;
	info.tcpi_total_retrans = 9;
	craft_socket(&c, AF_INET, TCPH_ESTABLISHED, 3720, 46220, &info, sizeof(info));
	craft_done(&c, 0);
	ck_assert_int_eq(parse(c.buf, c.len, SEQ, collect, &seen), 1);
	ck_assert_uint_eq(seen.n, 1);
	ck_assert_uint_eq(seen.records[0].family, AF_INET);
	ck_assert_uint_eq(seen.records[0].state, TCPH_ESTABLISHED);
	ck_assert_uint_eq(seen.records[0].sport, 3720);
	ck_assert_uint_eq(seen.records[0].dport, 46220);
	ck_assert_uint_eq(seen.records[0].timer, TCPH_TIMER_KEEPALIVE);
	ck_assert_uint_eq(seen.records[0].retrans, 2);
	ck_assert_uint_eq(seen.records[0].expires_ms, 1500);
	ck_assert_uint_eq(seen.records[0].rqueue, 3);
	ck_assert_uint_eq(seen.records[0].wqueue, 128);
	ck_assert_uint_eq(seen.records[0].inode, 4242);
	ck_assert_uint_eq(seen.records[0].saddr[0], 127);
	ck_assert_uint_eq(seen.records[0].saddr[3], 1);
	ck_assert_uint_eq(seen.records[0].info_len, sizeof(info));
	ck_assert_uint_eq(seen.records[0].info.tcpi_rtt, 1234);
	ck_assert_uint_eq(seen.records[0].info.tcpi_total_retrans, 9);
}
END_TEST

START_TEST(short_tcp_info_from_old_kernel_is_zero_filled)
{
	struct tcp_info info;

	memset(&info, 0xab, sizeof(info));
	info.tcpi_last_data_recv = 5000;
	/* Linux 3.x sent tcp_info up to tcpi_total_retrans. */
	size_t old_len = offsetof(struct tcp_info, tcpi_total_retrans) + sizeof(info.tcpi_total_retrans);

	craft_socket(&c, AF_INET6, TCPH_ESTABLISHED, 1720, 50000, &info, old_len);
	craft_done(&c, 0);
	ck_assert_int_eq(parse(c.buf, c.len, SEQ, collect, &seen), 1);
	ck_assert_uint_eq(seen.records[0].info_len, old_len);
	ck_assert_uint_eq(seen.records[0].info.tcpi_last_data_recv, 5000);
	ck_assert_uint_eq(seen.records[0].info.tcpi_segs_out, 0);
	ck_assert_uint_eq(seen.records[0].info.tcpi_snd_wnd, 0);
}
END_TEST

START_TEST(longer_tcp_info_from_new_kernel_is_cut)
{
	char info[sizeof(struct tcp_info) + 40];

	memset(info, 0, sizeof(info));
	craft_socket(&c, AF_INET, TCPH_ESTABLISHED, 80, 50000, info, sizeof(info));
	craft_done(&c, 0);
	ck_assert_int_eq(parse(c.buf, c.len, SEQ, collect, &seen), 1);
	ck_assert_uint_eq(seen.records[0].info_len, sizeof(struct tcp_info));
}
END_TEST

START_TEST(record_without_info_and_more_to_come)
{
	craft_socket(&c, AF_INET, TCPH_TIME_WAIT, 46244, 3720, NULL, 0);
	craft_socket(&c, AF_INET, TCPH_LISTEN, 3720, 0, NULL, 0);
	ck_assert_int_eq(parse(c.buf, c.len, SEQ, collect, &seen), 0);
	ck_assert_uint_eq(seen.n, 2);
	ck_assert_uint_eq(seen.records[0].info_len, 0);
	ck_assert_uint_eq(seen.records[1].state, TCPH_LISTEN);
}
END_TEST

START_TEST(dump_interrupted)
{
	struct nlmsghdr *nlh;

	craft_socket(&c, AF_INET, TCPH_ESTABLISHED, 80, 50000, NULL, 0);
	nlh = craft_socket(&c, AF_INET, TCPH_ESTABLISHED, 80, 50001, NULL, 0);
	nlh->nlmsg_flags |= NLM_F_DUMP_INTR;
	craft_done(&c, 0);
	ck_assert_int_eq(parse(c.buf, c.len, SEQ, collect, &seen), -EINTR);
}
END_TEST

START_TEST(kernel_error_message)
{
	craft_error(&c, -EPERM);
	ck_assert_int_eq(parse(c.buf, c.len, SEQ, collect, &seen), -EPERM);
	setup();
	craft_error(&c, 0); /* an ACK has no place in a dump */
	ck_assert_int_eq(parse(c.buf, c.len, SEQ, collect, &seen), -EBADMSG);
}
END_TEST

START_TEST(short_error_message)
{
	struct nlmsghdr *nlh = put_header(&c, NLMSG_ERROR, SEQ);

	mnl_nlmsg_put_extra_header(nlh, 4);
	finish(&c, nlh);
	ck_assert_int_eq(parse(c.buf, c.len, SEQ, collect, &seen), -EBADMSG);
}
END_TEST

START_TEST(done_carrying_an_error)
{
	craft_socket(&c, AF_INET, TCPH_ESTABLISHED, 80, 50000, NULL, 0);
	craft_done(&c, -ENOBUFS);
	ck_assert_int_eq(parse(c.buf, c.len, SEQ, collect, &seen), -ENOBUFS);
}
END_TEST

START_TEST(truncated_message)
{
	craft_socket(&c, AF_INET, TCPH_ESTABLISHED, 80, 50000, NULL, 0);
	craft_socket(&c, AF_INET, TCPH_ESTABLISHED, 80, 50001, NULL, 0);
	/* The second message claims more bytes than the buffer holds. */
	ck_assert_int_eq(parse(c.buf, c.len - 8, SEQ, collect, &seen), -EBADMSG);
	ck_assert_uint_eq(seen.n, 1);
	/* A tail shorter than a netlink header is malformed too. */
	setup();
	craft_socket(&c, AF_INET, TCPH_ESTABLISHED, 80, 50000, NULL, 0);
	ck_assert_int_eq(parse(c.buf, c.len + 8, SEQ, collect, &seen), -EBADMSG);
}
END_TEST

START_TEST(huge_length_field)
{
	struct nlmsghdr *nlh = craft_socket(&c, AF_INET, TCPH_ESTABLISHED, 80, 50000, NULL, 0);

	/* Past INT_MAX: libmnl's own check would take it for a negative, fitting length. */
	nlh->nlmsg_len = 0x80000010u;
	ck_assert_int_eq(parse(c.buf, c.len, SEQ, collect, &seen), -EBADMSG);
	nlh->nlmsg_len = 0xffffffffu;
	ck_assert_int_eq(parse(c.buf, c.len, SEQ, collect, &seen), -EBADMSG);
	ck_assert_uint_eq(seen.n, 0);
}
END_TEST

START_TEST(payload_shorter_than_inet_diag_msg)
{
	struct nlmsghdr *nlh = put_header(&c, record_type, SEQ);

	mnl_nlmsg_put_extra_header(nlh, sizeof(struct inet_diag_msg) - 4);
	finish(&c, nlh);
	ck_assert_int_eq(parse(c.buf, c.len, SEQ, collect, &seen), -EBADMSG);
	ck_assert_uint_eq(seen.n, 0);
}
END_TEST

START_TEST(attribute_overrunning_its_message)
{
	struct tcp_info info = { 0 };
	struct nlmsghdr *nlh = craft_socket(&c, AF_INET, TCPH_ESTABLISHED, 80, 50000, &info, sizeof(info));
	struct nlattr *attr = (struct nlattr *)((char *)mnl_nlmsg_get_payload(nlh) +
						MNL_ALIGN(sizeof(struct inet_diag_msg)));

	attr->nla_len = (uint16_t)(sizeof(info) + 64);
	craft_done(&c, 0);
	ck_assert_int_eq(parse(c.buf, c.len, SEQ, collect, &seen), -EBADMSG);
}
END_TEST

START_TEST(attribute_header_cut_short)
{
	struct nlmsghdr *nlh = craft_socket(&c, AF_INET, TCPH_ESTABLISHED, 80, 50000, NULL, 0);

	/* Two stray bytes after the fixed header: not even an attribute header. */
	nlh->nlmsg_len += 2;
	c.len = NLMSG_ALIGN(nlh->nlmsg_len);
	ck_assert_int_eq(parse(c.buf, c.len, SEQ, collect, &seen), -EBADMSG);
}
END_TEST

START_TEST(unknown_family_is_malformed)
{
	craft_socket(&c, AF_UNIX, TCPH_ESTABLISHED, 80, 50000, NULL, 0);
	ck_assert_int_eq(parse(c.buf, c.len, SEQ, collect, &seen), -EBADMSG);
}
END_TEST

START_TEST(foreign_sequence_number)
{
	craft_socket(&c, AF_INET, TCPH_ESTABLISHED, 80, 50000, NULL, 0);
	ck_assert_int_eq(parse(c.buf, c.len, SEQ + 1, collect, &seen), -EPROTO);
}
END_TEST

START_TEST(callback_error_stops_the_walk)
{
	seen.fail_at = 2;
	for (int i = 0; i < 4; i++)
		craft_socket(&c, AF_INET, TCPH_ESTABLISHED, 80, (uint16_t)(50000 + i), NULL, 0);
	craft_done(&c, 0);
	ck_assert_int_eq(parse(c.buf, c.len, SEQ, collect, &seen), -ECANCELED);
	ck_assert_uint_eq(seen.n, 2);
}
END_TEST

START_TEST(noop_messages_are_skipped)
{
	struct nlmsghdr *nlh = put_header(&c, NLMSG_NOOP, SEQ);

	finish(&c, nlh);
	craft_socket(&c, AF_INET, TCPH_LISTEN, 22, 0, NULL, 0);
	craft_done(&c, 0);
	ck_assert_int_eq(parse(c.buf, c.len, SEQ, collect, &seen), 1);
	ck_assert_uint_eq(seen.n, 1);
}
END_TEST

START_TEST(request_asks_for_all_states_and_tcp_info)
{
	char buf[256];
	size_t len = sockdiag_build_request(buf, AF_INET6, 9);
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
	const struct inet_diag_req_v2 *req = mnl_nlmsg_get_payload(nlh);

	ck_assert_uint_eq(len, NLMSG_LENGTH(sizeof(*req)));
	ck_assert_uint_eq(nlh->nlmsg_type, SOCK_DIAG_BY_FAMILY);
	ck_assert_uint_eq(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_DUMP);
	ck_assert_uint_eq(nlh->nlmsg_seq, 9);
	ck_assert_uint_eq(req->sdiag_family, AF_INET6);
	ck_assert_uint_eq(req->sdiag_protocol, IPPROTO_TCP);
	ck_assert_uint_eq(req->idiag_states, 0xffe); /* ESTABLISHED (1) .. CLOSING (11) */
	ck_assert_uint_eq(req->idiag_ext, 1u << (INET_DIAG_INFO - 1));
}
END_TEST

/* A dump answers with its request's record type only: the other kind is not this dump's. */
START_TEST(socket_record_of_the_other_kind_is_malformed)
{
	uint16_t own = record_type;

	craft_socket(&c, AF_INET, TCPH_LISTEN, 22, 0, NULL, 0);
	record_type = own == TCPDIAG_GETSOCK ? SOCK_DIAG_BY_FAMILY : TCPDIAG_GETSOCK;
	craft_socket(&c, AF_INET6, TCPH_LISTEN, 22, 0, NULL, 0);
	record_type = own;
	craft_done(&c, 0);
	ck_assert_int_eq(parse(c.buf, c.len, SEQ, collect, &seen), -EBADMSG);
	ck_assert_uint_eq(seen.n, 1);
}
END_TEST

/* Types that carry no socket (DCCP's compat type among them) are skipped, as before. */
START_TEST(other_types_are_skipped)
{
	struct nlmsghdr *nlh = put_header(&c, DCCPDIAG_GETSOCK, SEQ);

	mnl_nlmsg_put_extra_header(nlh, sizeof(struct inet_diag_msg));
	finish(&c, nlh);
	craft_socket(&c, AF_INET6, TCPH_ESTABLISHED, 443, 50000, NULL, 0);
	craft_socket(&c, AF_INET, TCPH_ESTABLISHED, 80, 50001, NULL, 0);
	craft_done(&c, 0);
	ck_assert_int_eq(parse(c.buf, c.len, SEQ, collect, &seen), 1);
	ck_assert_uint_eq(seen.n, 2);
	ck_assert_uint_eq(seen.records[0].family, AF_INET6);
	ck_assert_uint_eq(seen.records[1].family, AF_INET);
}
END_TEST

START_TEST(one_walk_request_is_the_compat_request)
{
	char buf[256];
	size_t len = sockdiag_build_request(buf, SOCKDIAG_ONE_WALK, 9);
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
	const struct inet_diag_req *req = mnl_nlmsg_get_payload(nlh);
	static const uint8_t zero[sizeof(req->id)];

	ck_assert_uint_eq(len, NLMSG_LENGTH(sizeof(*req)));
	ck_assert_uint_eq(nlh->nlmsg_type, TCPDIAG_GETSOCK);
	ck_assert_uint_eq(sockdiag_record_type(SOCKDIAG_ONE_WALK), TCPDIAG_GETSOCK);
	ck_assert_uint_eq(sockdiag_record_type(AF_INET), SOCK_DIAG_BY_FAMILY);
	ck_assert_uint_eq(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_DUMP);
	ck_assert_uint_eq(nlh->nlmsg_seq, 9);
	ck_assert_uint_eq(req->idiag_family, AF_UNSPEC);
	ck_assert_uint_eq(req->idiag_states, 0xffe); /* the same states as the v2 requests */
	ck_assert_uint_eq(req->idiag_ext, 1u << (INET_DIAG_INFO - 1));
	ck_assert_mem_eq(&req->id, zero, sizeof(zero)); /* no socket id: the whole table */
	ck_assert_uint_eq(req->idiag_dbs, 0);
}
END_TEST

/* ---- recorded dumps (tests/data/record.sh says what they hold) ---------------------------- */

static size_t load(const char *name, char *buf, size_t cap)
{
	FILE *f = fopen(unit_data_path(name), "rb");
	size_t n;

	ck_assert_msg(f != NULL, "cannot open %s", unit_data_path(name));
	n = fread(buf, 1, cap, f);
	ck_assert(feof(f));
	fclose(f);
	return n;
}

static unsigned count_state(uint8_t state, uint16_t sport)
{
	unsigned n = 0;

	for (unsigned i = 0; i < seen.n && i < MAX_SEEN; i++)
		if (seen.records[i].state == state && (!sport || seen.records[i].sport == sport))
			n++;
	return n;
}

START_TEST(recorded_ipv4_dump)
{
	size_t len = load("dump_ipv4.bin", c.buf, sizeof(c.buf));
	uint32_t seq = ((const struct nlmsghdr *)c.buf)->nlmsg_seq;

	ck_assert_int_eq(sockdiag_parse(c.buf, len, seq, collect, &seen), 1);
	ck_assert_uint_eq(seen.n, 9);
	ck_assert_uint_eq(count_state(TCPH_LISTEN, 0), 2);
	ck_assert_uint_eq(count_state(TCPH_ESTABLISHED, 3720), 2);
	ck_assert_uint_eq(count_state(TCPH_ESTABLISHED, 0), 4);
	ck_assert_uint_eq(count_state(TCPH_CLOSE_WAIT, 3720), 1);
	ck_assert_uint_eq(count_state(TCPH_FIN_WAIT2, 0), 1);
	ck_assert_uint_eq(count_state(TCPH_TIME_WAIT, 0), 1);
	for (unsigned i = 0; i < seen.n; i++) {
		const struct sockdiag_record *r = &seen.records[i];

		ck_assert_uint_eq(r->family, AF_INET);
		if (r->state == TCPH_LISTEN && r->sport == 1202) {
			ck_assert_uint_eq(r->wqueue, 5); /* backlog */
			ck_assert_uint_eq(r->saddr[0], 127);
		}
		if (r->state == TCPH_LISTEN && r->sport == 3720)
			ck_assert_uint_eq(r->wqueue, 16);
		/* TIME_WAIT sockets and orphaned FIN_WAIT2 ones (the kernel keeps those as
		 * timewait mini-sockets too) carry no tcp_info; full sockets do. */
		if (r->state == TCPH_TIME_WAIT || r->state == TCPH_FIN_WAIT2) {
			ck_assert_uint_eq(r->info_len, 0);
			ck_assert_uint_eq(r->timer, TCPH_TIMER_TIME_WAIT);
		} else {
			ck_assert_uint_gt(r->info_len, 0);
			ck_assert_uint_eq(r->info.tcpi_state, r->state);
		}
	}
}
END_TEST

START_TEST(recorded_ipv6_dump)
{
	size_t len = load("dump_ipv6.bin", c.buf, sizeof(c.buf));
	uint32_t seq = ((const struct nlmsghdr *)c.buf)->nlmsg_seq;

	ck_assert_int_eq(sockdiag_parse(c.buf, len, seq, collect, &seen), 1);
	ck_assert_uint_eq(seen.n, 3);
	ck_assert_uint_eq(count_state(TCPH_LISTEN, 1720), 1);
	ck_assert_uint_eq(count_state(TCPH_ESTABLISHED, 0), 2);
	ck_assert_uint_eq(seen.records[0].family, AF_INET6);
}
END_TEST

/* The one-walk recording: the sockets of the two above, from one TCPDIAG_GETSOCK request. */
START_TEST(recorded_one_walk_dump)
{
	size_t len = load("dump_one_walk.bin", c.buf, sizeof(c.buf));
	uint32_t seq = ((const struct nlmsghdr *)c.buf)->nlmsg_seq;
	unsigned families[2] = { 0, 0 }, records = 0;
	int remaining = (int)len;

	for (const struct nlmsghdr *nlh = (const struct nlmsghdr *)c.buf; mnl_nlmsg_ok(nlh, remaining);
	     nlh = mnl_nlmsg_next(nlh, &remaining)) {
		ck_assert_msg(nlh->nlmsg_type == TCPDIAG_GETSOCK || nlh->nlmsg_type == NLMSG_DONE,
			      "type %u", nlh->nlmsg_type);
		records += nlh->nlmsg_type == TCPDIAG_GETSOCK;
	}
	ck_assert_uint_eq(records, 12);
	ck_assert_int_eq(sockdiag_parse_type(c.buf, len, seq, TCPDIAG_GETSOCK, collect, &seen), 1);
	ck_assert_uint_eq(seen.n, 12);
	for (unsigned i = 0; i < seen.n; i++)
		families[seen.records[i].family == AF_INET6]++;
	ck_assert_uint_eq(families[0], 9);
	ck_assert_uint_eq(families[1], 3);
	ck_assert_uint_eq(count_state(TCPH_LISTEN, 0), 3);
	ck_assert_uint_eq(count_state(TCPH_LISTEN, 1720), 1);
	ck_assert_uint_eq(count_state(TCPH_ESTABLISHED, 0), 6);
	ck_assert_uint_eq(count_state(TCPH_CLOSE_WAIT, 3720), 1);
	ck_assert_uint_eq(count_state(TCPH_FIN_WAIT2, 0), 1);
	ck_assert_uint_eq(count_state(TCPH_TIME_WAIT, 0), 1);
	/* Parsed as a v2 dump, its records are of the other kind; and the reverse. */
	memset(&seen, 0, sizeof(seen));
	ck_assert_int_eq(sockdiag_parse(c.buf, len, seq, collect, &seen), -EBADMSG);
	ck_assert_uint_eq(seen.n, 0);
	len = load("dump_ipv4.bin", c.buf, sizeof(c.buf));
	seq = ((const struct nlmsghdr *)c.buf)->nlmsg_seq;
	ck_assert_int_eq(sockdiag_parse_type(c.buf, len, seq, TCPDIAG_GETSOCK, collect, &seen), -EBADMSG);
}
END_TEST

START_TEST(recorded_dump_cut_anywhere_never_overreads)
{
	static const struct {
		const char *name;
		uint16_t type;
	} files[] = { { "dump_ipv4.bin", SOCK_DIAG_BY_FAMILY }, { "dump_one_walk.bin", TCPDIAG_GETSOCK } };

	for (unsigned f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
		size_t len = load(files[f].name, c.buf, sizeof(c.buf));
		uint32_t seq = ((const struct nlmsghdr *)c.buf)->nlmsg_seq;

		/* Every prefix is either a clean message boundary (0: more to come) or
		 * malformed; copied into an exactly sized heap block so ASan/valgrind catch any
		 * overread. */
		for (size_t n = 1; n < len; n++) {
			char *exact = malloc(n);
			int ret;

			ck_assert_ptr_nonnull(exact);
			memcpy(exact, c.buf, n);
			memset(&seen, 0, sizeof(seen));
			ret = sockdiag_parse_type(exact, n, seq, files[f].type, collect, &seen);
			ck_assert_msg(ret == 0 || ret == -EBADMSG, "%s prefix %zu: %d", files[f].name, n, ret);
			free(exact);
		}
	}
}
END_TEST

Suite *sockdiag_suite(void)
{
	Suite *s = suite_create("sockdiag");
	TCase *crafted = tcase_create("crafted");
	TCase *one_walk = tcase_create("crafted_one_walk");
	TCase *recorded = tcase_create("recorded");

	tcase_add_checked_fixture(crafted, setup, NULL);
	tcase_add_test(crafted, full_record_and_done);
	tcase_add_test(crafted, short_tcp_info_from_old_kernel_is_zero_filled);
	tcase_add_test(crafted, longer_tcp_info_from_new_kernel_is_cut);
	tcase_add_test(crafted, record_without_info_and_more_to_come);
	tcase_add_test(crafted, dump_interrupted);
	tcase_add_test(crafted, kernel_error_message);
	tcase_add_test(crafted, short_error_message);
	tcase_add_test(crafted, done_carrying_an_error);
	tcase_add_test(crafted, truncated_message);
	tcase_add_test(crafted, huge_length_field);
	tcase_add_test(crafted, payload_shorter_than_inet_diag_msg);
	tcase_add_test(crafted, attribute_overrunning_its_message);
	tcase_add_test(crafted, attribute_header_cut_short);
	tcase_add_test(crafted, unknown_family_is_malformed);
	tcase_add_test(crafted, foreign_sequence_number);
	tcase_add_test(crafted, callback_error_stops_the_walk);
	tcase_add_test(crafted, noop_messages_are_skipped);
	tcase_add_test(crafted, request_asks_for_all_states_and_tcp_info);
	tcase_add_test(crafted, one_walk_request_is_the_compat_request);
	tcase_add_test(crafted, socket_record_of_the_other_kind_is_malformed);
	tcase_add_test(crafted, other_types_are_skipped);
	suite_add_tcase(s, crafted);

	tcase_add_checked_fixture(one_walk, setup_one_walk, teardown_one_walk);
	tcase_add_test(one_walk, full_record_and_done);
	tcase_add_test(one_walk, short_tcp_info_from_old_kernel_is_zero_filled);
	tcase_add_test(one_walk, longer_tcp_info_from_new_kernel_is_cut);
	tcase_add_test(one_walk, record_without_info_and_more_to_come);
	tcase_add_test(one_walk, dump_interrupted);
	tcase_add_test(one_walk, kernel_error_message);
	tcase_add_test(one_walk, short_error_message);
	tcase_add_test(one_walk, done_carrying_an_error);
	tcase_add_test(one_walk, truncated_message);
	tcase_add_test(one_walk, huge_length_field);
	tcase_add_test(one_walk, payload_shorter_than_inet_diag_msg);
	tcase_add_test(one_walk, attribute_overrunning_its_message);
	tcase_add_test(one_walk, attribute_header_cut_short);
	tcase_add_test(one_walk, unknown_family_is_malformed);
	tcase_add_test(one_walk, foreign_sequence_number);
	tcase_add_test(one_walk, callback_error_stops_the_walk);
	tcase_add_test(one_walk, noop_messages_are_skipped);
	tcase_add_test(one_walk, socket_record_of_the_other_kind_is_malformed);
	tcase_add_test(one_walk, other_types_are_skipped);
	suite_add_tcase(s, one_walk);

	tcase_add_checked_fixture(recorded, setup, NULL);
	tcase_add_test(recorded, recorded_ipv4_dump);
	tcase_add_test(recorded, recorded_ipv6_dump);
	tcase_add_test(recorded, recorded_one_walk_dump);
	tcase_add_test(recorded, recorded_dump_cut_anywhere_never_overreads);
	tcase_set_timeout(recorded, 60);
	suite_add_tcase(s, recorded);
	return s;
}
