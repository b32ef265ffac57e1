/* replay.h — the recorded dumps tests/data/dump_ipv4.bin and dump_ipv6.bin (tests/data/
 * record.sh says what they hold), replayed by family in place of the netlink dump
 * (collectors_config.tcp_dump), for the tests that take a whole snapshot. */
#ifndef TCPH_UNIT_REPLAY_H
#define TCPH_UNIT_REPLAY_H

#include "../../collectors/sockdiag.h"

#include <stddef.h>
#include <stdint.h>

struct replay {
	void *buf[2]; /* [0] IPv4, [1] IPv6 */
	size_t len[2];
	unsigned dumps[2];   /* dumps asked for, per family (a one walk counts in both) */
	unsigned one_walks;  /* of them, one-walk dumps (SOCKDIAG_ONE_WALK) */
	unsigned records[2]; /* records fed, per family */
	void *events;	     /* recorded destroy messages, one after the other */
	size_t events_len;
};

/* Loads both recordings (the test fails if one cannot be read). */
void replay_load(struct replay *replay);
void replay_free(struct replay *replay);
/* A tcpagg_dump_fn: ctx is the struct replay. The one walk (SOCKDIAG_ONE_WALK) is served
 * with both recordings, IPv4 then IPv6: one walk of the same sockets cannot be recorded
 * identically, and tcpagg's result does not depend on how the families interleave. */
int replay_dump(void *ctx, int family, sockdiag_record_fn fn, void *fn_ctx);

/* One scan of every collector on the test data: procfs is tests/data/proc, the dumps are
 * replayed, --listen-ports 1202,3720,5060 (REPLAY_LISTEN_PORTS). `replay` is loaded here and
 * left with its counts; the caller frees both. */
#define REPLAY_LISTEN_PORTS { 1202, 3720, 5060 }
struct snapshot;
struct snapshot *replay_snapshot(struct replay *replay, uint64_t scan_number);

/* Reads a whole file into a malloc'd (so aligned) NUL-terminated buffer; NULL if it cannot
 * be opened. */
char *replay_load_file(const char *path, size_t *len);

/* The value of the sample `name{labels}` in an exposition that starts with a newline (so
 * every sample line follows one); the test fails when it is missing. */
double unit_sample(const char *metrics, const char *name, const char *labels);
/* How often `needle` occurs in `text`. */
unsigned unit_count(const char *text, const char *needle);

#endif
