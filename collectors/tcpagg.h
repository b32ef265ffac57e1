/* tcpagg.h — the per-(port, role) aggregate of one socket scan, and its published result.
 *
 * A scan streams every socket record into a `struct tcpagg` (memory fixed at init:
 * max_ports + 1 slots per role, whatever the socket count). When the scan ends,
 * tcpagg_result() copies the used slots, sorted by port with "other" last, into one
 * compact `struct tcp_result`: the immutable data a snapshot holds and every view reads. */
#ifndef TCPH_TCPAGG_H
#define TCPH_TCPAGG_H

#include "classify.h"
#include "diag_compat.h"
#include "sockdiag.h"

#include <stdbool.h>
#include <stdint.h>

#define TCPAGG_MAX_DUMP_RETRIES 3   /* retries of an interrupted scan before failing */
#define TCPAGG_LISTENER_ADDRESSES 16 /* distinct bound addresses listed per port */

#define TCPAGG_IDLE_BUCKETS 7
#define TCPAGG_RTT_BUCKETS 9
#define TCPAGG_MAX_BUCKETS 9

/* Histogram bounds in seconds (upper bounds, inclusive). */
extern const double tcpagg_idle_bounds[TCPAGG_IDLE_BUCKETS];
extern const double tcpagg_rtt_bounds[TCPAGG_RTT_BUCKETS];

/* Non-cumulative bucket counts; observations above the last bound count only in `count`. */
struct tcpagg_histogram {
	uint64_t buckets[TCPAGG_MAX_BUCKETS];
	uint64_t count;
	double sum;
};

/* Everything counted for one (port, role) label set. */
struct tcpagg_slot {
	uint32_t states[TCPH_STATE_MAX + 1];
	uint32_t timers[TCPH_TIMER_MAX + 1];
	uint32_t retransmitting;	 /* retransmit timer with >= 1 consecutive retransmission */
	uint32_t retransmit_backoff_max; /* largest consecutive-retransmission count */
	uint64_t retransmitted_segments; /* sum of tcpi_total_retrans */
	uint64_t lost_segments;		 /* sum of tcpi_lost */
	uint64_t unacked_segments;	 /* sum of tcpi_unacked */
	uint32_t keepalive;		 /* keepalive timer armed */
	uint64_t keepalive_probes;	 /* sum of unanswered keepalive probes */
	uint32_t keepalive_probes_max;
	uint32_t unprotected_idle; /* ESTABLISHED, no timer, silent longer than the threshold */
	struct tcpagg_histogram idle; /* ESTABLISHED: seconds since data was last received */
	struct tcpagg_histogram rtt;  /* ESTABLISHED: smoothed RTT in seconds */
};

#define TCPAGG_PROCESS_NAME 16 /* comm: 15 bytes and the NUL */

struct tcpagg_listener_address {
	uint8_t family;
	uint8_t addr[16];
	uint32_t inode;			   /* of the first LISTEN socket seen on this address */
	char process[TCPAGG_PROCESS_NAME]; /* its owner's comm, "" when unknown (owners.h) */
};

struct tcpagg_listener {
	uint32_t sockets; /* LISTEN sockets on the port (SO_REUSEPORT groups count each) */
	uint64_t queue_length;
	uint64_t queue_max;
	uint8_t n_addresses;
	bool more_addresses; /* bound to more than TCPAGG_LISTENER_ADDRESSES: not all listed */
	struct tcpagg_listener_address addresses[TCPAGG_LISTENER_ADDRESSES];
};

enum tcpagg_family { TCPAGG_IPV4 = 0, TCPAGG_IPV6 = 1, TCPAGG_FAMILIES = 2 };

/* The worst connections: per problem kind, the top N sockets of the scan, kept in the same
 * pass in fixed arrays (no allocation per socket). They are for the status page and its
 * JSON, never metric labels: addresses are unbounded. */
enum tcpagg_worst_kind {
	TCPAGG_WORST_RETRANSMITTING, /* counted in retransmitting; value: consecutive retransmissions */
	TCPAGG_WORST_KEEPALIVE,	     /* keepalive probes unanswered; value: probes */
	TCPAGG_WORST_IDLE,	     /* counted in unprotected_idle; value: ms of silence */
	TCPAGG_WORST_CLOSE_WAIT,     /* value: ms since the peer last sent data */
	TCPAGG_WORST_SYN_RECV,	     /* value: SYN-ACK retransmissions */
	TCPAGG_WORST_KINDS
};

#define TCPAGG_WORST_DEFAULT 10
#define TCPAGG_WORST_LIMIT 100

struct tcpagg_connection {
	uint8_t family;
	uint8_t state;
	uint8_t timer;
	uint8_t role;	/* enum classify_role of the label set it counts under */
	bool other;	/* ... which is port="other" */
	uint16_t port;	/* ... or this port */
	uint16_t sport, dport;
	uint8_t saddr[16], daddr[16];
	uint32_t retrans;    /* idiag_retrans: consecutive retransmissions, or probes out */
	uint32_t expires_ms; /* until the pending timer fires */
	uint32_t silent_ms;  /* since anything (data or ACK) was received; 0 without tcp_info */
	uint32_t last_data_recv_ms;
	uint32_t rqueue, wqueue; /* bytes received but not read, bytes not yet acknowledged */
	uint32_t uid;
	uint32_t inode;		 /* 0 for request sockets (SYN_RECV) and orphans */
	uint64_t value;		 /* what ranks it in its list (see enum tcpagg_worst_kind) */
	char process[TCPAGG_PROCESS_NAME]; /* its owner's comm, "" when unknown */
};

/* One kind's list: `total` sockets of the kind this scan, the first n of them by value
 * (then by silence), worst first. */
struct tcpagg_worst {
	uint64_t total;
	unsigned n;
	struct tcpagg_connection *top;
};

/* The scan state: owned by one scanner, reused scan after scan. */
struct tcpagg {
	struct classify classify;
	struct tcpagg_slot *slots[CLASSIFY_ROLES]; /* max_ports + 1 each; last is "other" */
	struct tcpagg_listener *listeners;	   /* max_ports + 1, server role */
	uint32_t idle_threshold_ms;
	bool histograms; /* fill the idle and RTT histograms (true after init) */
	unsigned worst_max; /* connections kept per worst kind, <= TCPAGG_WORST_LIMIT (default after init) */
	struct tcpagg_worst worst[TCPAGG_WORST_KINDS]; /* each top[] holds TCPAGG_WORST_LIMIT */
	uint64_t sockets_scanned[TCPAGG_FAMILIES];
	uint64_t dump_retries_total;
	/* In and out, the target's like dump_retries_total: its kernel refused the one-walk
	 * request, so it is dumped one family at a time. */
	bool two_dumps;
	int one_walk_refused; /* set by the scan that fell back: the kernel's -errno; else 0 */
	int port_range_error; /* 0, or -errno of the last read of the ephemeral range */
	char port_range_path[256];
};

/* One (port, role) label set of a published result. */
struct tcp_port {
	uint16_t port;	/* 0 for "other" */
	bool other;	/* the port="other" label set (always last) */
	bool expected;	/* server role: a --listen-ports port */
	struct tcpagg_slot counts;
};

/* The immutable result of one scan. ports[r] holds n_ports[r] entries sorted by port with
 * "other" last; listeners[i] belongs to ports[CLASSIFY_SERVER][i]. One allocation. */
struct tcp_result {
	bool has_sockets; /* false when the dump failed: only dump_retries_total is known */
	bool has_histograms; /* the idle and RTT histograms were filled */
	unsigned n_ports[CLASSIFY_ROLES];
	struct tcp_port *ports[CLASSIFY_ROLES];
	struct tcpagg_listener *listeners;
	uint64_t sockets_scanned[TCPAGG_FAMILIES];
	uint64_t folded[CLASSIFY_ROLES];
	uint64_t dump_retries_total;
	unsigned dump_requests; /* per attempt: 1 (one walk, both families) or 2 (one per family) */
	uint16_t eph_low, eph_high; /* the ephemeral range the scan classified with */
	struct tcpagg_worst worst[TCPAGG_WORST_KINDS];
};

/* Dumps `family` into fn (SOCKDIAG_ONE_WALK: both families in one request); sockdiag_dump
 * in production, a fake in unit tests. */
typedef int (*tcpagg_dump_fn)(void *dump_ctx, int family, sockdiag_record_fn fn, void *fn_ctx);

int tcpagg_init(struct tcpagg *agg, const struct classify_config *config,
		uint32_t idle_threshold_ms);
void tcpagg_fini(struct tcpagg *agg);

/* Resets the aggregate and starts a scan (reads the ephemeral port range). */
void tcpagg_begin(struct tcpagg *agg);
/* Adds one socket record (the sockdiag_record_fn of the scan). Always returns 0. */
int tcpagg_add(const struct sockdiag_record *record, void *agg);
/* Before a scan of another target: the ports its last scan used (see classify_carry). */
void tcpagg_carry(struct tcpagg *agg, const uint16_t *const ports[CLASSIFY_ROLES],
		  const unsigned n[CLASSIFY_ROLES]);
/* A full scan: both families in one walk (SOCKDIAG_ONE_WALK), or one dump per family once
 * the kernel has refused the walk (tcpagg_one_walk_refused: then agg->two_dumps is set, for
 * good, and agg->one_walk_refused says why). Retried as a whole (bounded) when a dump is
 * interrupted. 0 or -errno (-EINTR after too many interrupted attempts). */
int tcpagg_scan(struct tcpagg *agg, tcpagg_dump_fn dump, void *dump_ctx);

/* Whether `err`, the end of a one-walk dump that delivered no socket, is a kernel saying
 * it does not serve that request: -EINVAL, -EOPNOTSUPP, -ENOENT, -EPROTONOSUPPORT or
 * -EAFNOSUPPORT. */
bool tcpagg_one_walk_refused(int err);

/* Copies the aggregate of the last scan into a new result (sockets == false: the scan
 * failed, only the counters are copied). 0 or -ENOMEM. */
int tcpagg_result(const struct tcpagg *agg, bool sockets, struct tcp_result **out);
void tcpagg_result_free(struct tcp_result *result);

/* "established", "close_wait", ... as ss spells them, lower case. NULL if unknown. */
const char *tcpagg_state_name(unsigned state);
/* "retransmitting", "keepalive_unanswered", "unprotected_idle", "close_wait", "syn_recv". */
const char *tcpagg_worst_name(unsigned kind);
/* "off", "retransmit", "keepalive", "time_wait", "zero_window_probe", "delayed_ack". */
const char *tcpagg_timer_name(unsigned timer);

#endif
