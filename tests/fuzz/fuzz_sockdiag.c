/* fuzz_sockdiag.c — libFuzzer harness for the netlink dump parser. The input is one
 * received buffer; its first message's sequence number is used, as the recorded-dump
 * tests do, so the fuzzer reaches the record decoder rather than stopping at -EPROTO.
 * Each input is parsed as both kinds of dump: a v2 one (SOCK_DIAG_BY_FAMILY records) and
 * the one walk (TCPDIAG_GETSOCK records; corpus/sockdiag/dump_one_walk). */
#include "../../collectors/sockdiag.h"

#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <stdlib.h>
#include <string.h>

static int count(const struct sockdiag_record *record, void *ctx)
{
	/* Touch every field so an uninitialised or out-of-bounds one shows up. */
	*(unsigned long *)ctx += record->state + record->sport + record->dport + record->info_len +
				 record->info.tcpi_rtt + record->info.tcpi_snd_wnd;
	return 0;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	unsigned long sum = 0;
	uint32_t seq = 0;
	void *copy;

	if (size >= sizeof(struct nlmsghdr))
		memcpy(&seq, data + offsetof(struct nlmsghdr, nlmsg_seq), sizeof(seq));
	/* An aligned copy: the kernel's buffers are aligned, and the parser may rely on it. */
	copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	sockdiag_parse(copy, size, seq, count, &sum);
	sockdiag_parse_type(copy, size, seq, TCPDIAG_GETSOCK, count, &sum);
	free(copy);
	return 0;
}
