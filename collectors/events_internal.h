/* events_internal.h — the events collector's state, shared by events.c (the thread, the
 * sources) and events_scan.c (a scan's side). Private to those two files. */
#ifndef TCPH_EVENTS_INTERNAL_H
#define TCPH_EVENTS_INTERNAL_H

#include "events.h"

#include <pthread.h>
#include <sys/socket.h>

/* recvmmsg batch: a destroy message is about 300 bytes (header, inet_diag_msg, tcp_info);
 * a datagram holds one. */
#define EVENTS_BATCH 64
#define EVENTS_DATAGRAM 2048
#define EVENTS_BATCHES_PER_WAKE 16 /* then the other sources get their turn */

/* The (port, role) label sets of one role of one target: `ports` sorted, `index` beside it
 * into `counts` (in the order they came). A label set, once given, stays (counters persist);
 * beyond max_ports the rest count under "other". Grown by doubling: per label set, never
 * per event. */
struct events_table {
	unsigned n, cap;
	uint16_t *ports;
	uint16_t *index;
	struct events_counts *counts;
	struct events_counts other;
	bool other_used;
	uint64_t folded;
};

struct events_down {
	uint16_t port;
	double since;
};

struct events_source {
	struct events *ev;
	int fd;		/* -1 for a replayed source (tests) */
	bool dead;	/* given up by its target: the thread closes and frees it */
	bool has_view;	/* a scan filled the active view */
	struct events_source *next_dead;
	char netns[sizeof(((struct events_recent_entry *)0)->netns)];
	struct events_view views[2];
	struct events_view *view; /* the active one: read by the thread under the lock */
	struct events_table roles[CLASSIFY_ROLES];
	uint64_t events_total, lost_total, lost_copied, unparsed_total;
	int error; /* a read failed other than by an overrun: the socket is out of epoll, and the
		    * next copy tells the collector to open a new one */
	int receive_buffer;
	struct events_down down[EVENTS_DOWN_MAX]; /* scans saw these stop listening */
	unsigned n_down;
};

struct events {
	struct events_config config;
	uint8_t expected[CLASSIFY_PORT_LIMIT / 8];
	uint8_t client_ports[CLASSIFY_PORT_LIMIT / 8];
	int epfd, wakefd;
	pthread_t thread;
	bool started;

	pthread_mutex_t lock; /* everything below, and every source's fields but fd */
	bool stopping;
	struct events_source *dead;
	struct events_recent_entry *ring; /* config.recent entries */
	unsigned ring_next;
	uint64_t ring_total;
	double since;

	/* The thread's own. */
	struct mmsghdr msgs[EVENTS_BATCH];
	struct iovec iov[EVENTS_BATCH];
	char (*datagrams)[EVENTS_DATAGRAM];
};

/* The counters of a label set, given one while the cap allows (else "other", *folded). */
struct events_counts *events_table_slot(struct events_table *t, const struct events_class *c,
					unsigned max, bool *folded);
/* A new entry of the ring (under the lock), or NULL when --collector.tcp.events.recent=0. */
struct events_recent_entry *events_ring_add(struct events *ev, enum events_kind kind, double now,
					    const char *netns);

#endif
