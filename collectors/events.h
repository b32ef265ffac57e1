/* events.h — the tcp.events collector: what the kernel saw close between two scans.
 *
 * Every TCP socket the kernel frees is announced to the sock_diag destroy groups
 * (SKNLGRP_INET_TCP_DESTROY, SKNLGRP_INET6_TCP_DESTROY) of its network namespace with its
 * ports, addresses and final tcp_info. One events thread reads one such socket per target,
 * classifies each message once (event_classify.c) with the target's last scan (listening
 * ports, expected ports, ephemeral range, owners) and folds it into counters per (port, role)
 * that belong to the target; closes that were not normal go into a fixed ring of recent
 * events. A scan copies both into the snapshot. Nothing is allocated per event.
 *
 * Locks: `events.lock` covers the sources' counters, views and the ring. The events thread
 * takes it per batch of datagrams (never while it waits or reads); a scan takes it to copy
 * the counters of one target and to swap in a new view (a pointer). Neither waits for the
 * kernel or a client while holding it. */
#ifndef TCPH_EVENTS_H
#define TCPH_EVENTS_H

#include "classify.h"
#include "netns.h"
#include "sockdiag.h"
#include "tcpagg.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

/* How a connection ended, as far as its last message tells (README "Closed connections"). */
enum events_outcome {
	EVENTS_NORMAL,		   /* none of the signs below */
	EVENTS_CONNECT_REFUSED,	   /* never established; the peer answered the SYN with a reset */
	EVENTS_CONNECT_TIMEOUT,	   /* never established; SYNs unanswered until the kernel gave up */
	EVENTS_RETRANSMIT_TIMEOUT, /* established; the kernel gave up retransmitting to the peer */
	EVENTS_KEEPALIVE_TIMEOUT,  /* established; keepalive probes unanswered until it gave up */
	EVENTS_ZERO_WINDOW_TIMEOUT, /* the peer's window stayed shut until the kernel gave up */
	EVENTS_CLOSED_UNREAD,	   /* the application closed with data unread: the kernel reset it */
	EVENTS_DISCONNECTED,	   /* remote port gone: disconnected before it was freed (a refused
				    * blocking connect, SO_LINGER 0, a queued connection dropped with
				    * its listener): counters zeroed, cause unknown */
	EVENTS_UNCONNECTED,	   /* never bound, or bound but never connected nor listening */
	EVENTS_OUTCOMES
};

extern const char *const events_outcome_names[EVENTS_OUTCOMES];

/* What one recent entry records. */
enum events_kind {
	EVENTS_KIND_CLOSE,	     /* a connection closed not normally */
	EVENTS_KIND_LISTENER_CLOSED, /* a listening socket was freed (a destroy message) */
	EVENTS_KIND_LISTENER_DOWN,   /* a scan no longer saw a port listening that the last one did */
	EVENTS_KIND_LISTENER_UP,     /* a scan saw a port listening again that had been down */
	EVENTS_KINDS
};

extern const char *const events_kind_names[EVENTS_KINDS];

/* Everything counted for one (port, role) label set of one target, since start. */
struct events_counts {
	uint64_t closed[EVENTS_OUTCOMES];
	uint64_t segs_out;	    /* sums over the closed connections' final tcp_info */
	uint64_t retrans_segs;	    /* tcpi_total_retrans */
	uint64_t bytes_acked;	    /* bytes sent and acknowledged */
	uint64_t bytes_received;
	uint64_t listener_closed; /* server role: listening sockets freed */
};

struct events_port {
	uint16_t port; /* 0 for "other" */
	bool other;
	struct events_counts counts;
};

#define EVENTS_DOWN_MAX 64 /* ports remembered as down per target */

/* One target's counters as a scan copied them. ports[r] sorted by port, "other" last (when
 * it counted anything). One allocation. */
struct events_result {
	bool subscribed;   /* a destroy-group socket is open in the namespace */
	unsigned n_ports[CLASSIFY_ROLES];
	struct events_port *ports[CLASSIFY_ROLES];
	uint64_t events_total;	   /* messages received */
	uint64_t lost_total;	   /* receive-buffer overruns (ENOBUFS): events were lost */
	uint64_t unparsed_total;   /* datagrams that were not valid destroy messages */
	uint64_t folded[CLASSIFY_ROLES]; /* events counted under "other" by the cap */
	int receive_buffer_bytes;  /* SO_RCVBUF as the kernel reports it (twice what was set) */
	/* Ports a scan saw stop listening and no scan since saw listen again. */
	unsigned n_down;
	struct { uint16_t port; double since; } down[EVENTS_DOWN_MAX];
};

/* One recent event, for the status page and its JSON (never labels: addresses). */
struct events_recent_entry {
	double time; /* Unix time */
	uint8_t kind; /* enum events_kind */
	uint8_t outcome; /* enum events_outcome (EVENTS_KIND_CLOSE) */
	uint8_t family;
	uint8_t role;	/* enum classify_role of the label set it counted under */
	bool other;	/* ... which is port="other" */
	uint16_t port;	/* ... or this port */
	uint16_t sport, dport;
	uint8_t saddr[16], daddr[16];
	uint32_t retransmits; /* tcpi_retransmits: consecutive retransmissions at the end */
	uint32_t probes;      /* tcpi_probes: unanswered keepalive or zero-window probes */
	uint32_t total_retrans;
	uint64_t bytes_acked, bytes_received;
	char netns[sizeof(((struct netns_labels *)0)->netns)];
	char process[TCPAGG_PROCESS_NAME]; /* its listener's or its own owner, "" when unknown */
};

/* The ring as a scan copied it: newest first. */
struct events_recent {
	unsigned n;
	struct events_recent_entry *entries;
	unsigned capacity; /* --collector.tcp.events.recent: entries kept at most */
	uint64_t total; /* entries ever recorded (n of them are kept) */
	double since;	/* Unix time the collector started: "what happened since" */
};

/* ---- classification (event_classify.c): pure, for the thread and the tests ------------- */

/* What the last scan of a target knew, for classifying its events. Filled by the scanner,
 * then only read (double-buffered by the source). */
struct events_owner {
	uint8_t family;
	uint16_t sport, dport;
	uint8_t saddr[16], daddr[16];
	char process[TCPAGG_PROCESS_NAME];
};

struct events_view {
	uint16_t eph_low, eph_high;
	const uint8_t *expected;     /* bits: --listen-ports here, or NULL (config's) */
	const uint8_t *client_ports; /* bits: --client-ports (config's) */
	uint8_t listening[CLASSIFY_PORT_LIMIT / 8];
	/* Owners of listening ports (sorted by port) and of the last scan's worst connections. */
	unsigned n_listeners, max_listeners;
	struct { uint16_t port; char process[TCPAGG_PROCESS_NAME]; } *listeners;
	unsigned n_owners, max_owners;
	struct events_owner *owners;
};

/* The label set and outcome of one message. */
struct events_class {
	enum events_kind kind; /* EVENTS_KIND_CLOSE or EVENTS_KIND_LISTENER_CLOSED */
	enum events_outcome outcome;
	enum classify_role role;
	bool other;    /* port="other" by the policy (the cap is the caller's) */
	uint16_t port;
};

void events_classify(const struct events_view *view, const struct sockdiag_record *r,
		     struct events_class *out);
/* The owner's comm of a classified message: its listener's (server role) or the last
 * scan's for the same connection; NULL when unknown. */
const char *events_owner_of(const struct events_view *view, const struct sockdiag_record *r,
			    const struct events_class *c);
/* The owner's comm of a port the view lists as listening; NULL when not listed or unknown. */
const char *events_view_listener(const struct events_view *view, uint16_t port);
/* Fills `view` from a target's last scan (NULL: no scan yet, the default range only). */
void events_view_fill(struct events_view *view, const struct tcp_result *tcp,
		      const uint8_t *expected, const uint8_t *client_ports);
int events_view_init(struct events_view *view, unsigned max_ports, unsigned worst_max);
void events_view_fini(struct events_view *view);

/* ---- the collector ---------------------------------------------------------------------- */

struct events;
struct events_source;

struct events_config {
	unsigned max_ports;	      /* per role, as the tcp collector's --max-ports */
	unsigned worst_max;	      /* worst connections a view keeps owners of, per kind */
	unsigned recent;	      /* --collector.tcp.events.recent */
	int receive_buffer;	      /* --collector.tcp.events.buffer, bytes */
	const uint16_t *listen_ports; /* --listen-ports */
	unsigned n_listen_ports;
	const uint16_t *client_ports;
	unsigned n_client_ports;
};

/* Starts the events thread (its epoll set and wake-up eventfd). 0 or -errno. */
int events_create(struct events **out, const struct events_config *config);
/* Stops the thread and frees every source. */
void events_destroy(struct events *ev);

/* A source for a target, subscribed from the calling thread's network namespace (call it
 * inside the target's). 0 or -errno (nothing is kept then). */
int events_source_open(struct events *ev, const char *netns, struct events_source **out);
/* For tests: a source without a socket, fed by events_source_feed with recorded datagrams
 * through the same path as the thread's. */
int events_source_open_replay(struct events *ev, const char *netns, struct events_source **out);
int events_source_feed(struct events *ev, struct events_source *src, const void *buf, size_t len);
/* Gives the source up: the events thread closes its socket at once (it would keep the
 * namespace alive) and frees it. */
void events_source_close(struct events_source *src);
/* A new view from the target's last scan, `expect`: --listen-ports apply there. Ports the
 * last scan saw listening and this one does not are noted down (and up again) in the ring.
 * A failed or missing tcp scan keeps the last view. */
void events_source_update(struct events *ev, struct events_source *src, const struct tcp_result *tcp,
			  bool expect, const char *netns);
/* Copies the source's counters into `out` (a new allocation; free with events_result_free).
 * Returns 0, -ENOMEM, or -ENOBUFS when events were lost since the last copy (the counts are
 * still copied), or another -errno (events_broken()): the socket failed and was left; the caller gives the
 * source up and opens a new one (the counts are copied and then lost with it). */
int events_source_copy(struct events *ev, struct events_source *src, struct events_result *out);
/* Copies the ports noted down again into `out` (a copy made before this scan's
 * events_source_update), so that a snapshot's down list and its ring agree. */
void events_source_down(struct events *ev, struct events_source *src, struct events_result *out);
void events_result_free(struct events_result *result);
static inline bool events_broken(int ret)
{
	return ret < 0 && ret != -ENOMEM && ret != -ENOBUFS;
}

/* Copies the ring, newest first. 0 or -ENOMEM. */
int events_recent_copy(struct events *ev, struct events_recent *out);
void events_recent_free(struct events_recent *recent);

/* Descriptors the collector holds besides one socket per target: epoll and eventfd. */
#define EVENTS_FIXED_FDS 2

#endif
