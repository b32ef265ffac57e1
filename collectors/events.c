/* events.c — the events thread, its destroy-group sockets (one per target), the counters
 * they are folded into and the ring of recent events (see events.h). */
#include "events_internal.h"

#include "../lib/clock.h"
#include "../lib/log.h"

#include <errno.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* ---- counters ---------------------------------------------------------------------------- */

static struct events_counts *table_find(struct events_table *t, uint16_t port, unsigned *pos)
{
	unsigned lo = 0, hi = t->n;

	while (lo < hi) {
		unsigned mid = (lo + hi) / 2;

		if (t->ports[mid] < port)
			lo = mid + 1;
		else
			hi = mid;
	}
	*pos = lo;
	return lo < t->n && t->ports[lo] == port ? &t->counts[t->index[lo]] : NULL;
}

static int table_grow(struct events_table *t, unsigned max)
{
	unsigned cap = t->cap ? t->cap * 2 : 16;
	void *p;

	if (cap > max)
		cap = max;
	if ((p = realloc(t->ports, cap * sizeof(*t->ports))) == NULL)
		return -ENOMEM;
	t->ports = p;
	if ((p = realloc(t->index, cap * sizeof(*t->index))) == NULL)
		return -ENOMEM;
	t->index = p;
	if ((p = realloc(t->counts, cap * sizeof(*t->counts))) == NULL)
		return -ENOMEM;
	t->counts = p;
	t->cap = cap;
	return 0;
}

/* The counters of a label set, given one while the cap allows (and memory: else "other"). */
struct events_counts *events_table_slot(struct events_table *t, const struct events_class *c,
					unsigned max, bool *folded)
{
	struct events_counts *counts;
	unsigned pos;

	*folded = false;
	if (c->other) {
		t->other_used = true;
		return &t->other;
	}
	counts = table_find(t, c->port, &pos);
	if (counts)
		return counts;
	if (t->n >= max || (t->n == t->cap && table_grow(t, max) < 0)) {
		*folded = true; /* the caller counts it, if it is an event */
		return &t->other;
	}
	memmove(t->ports + pos + 1, t->ports + pos, (t->n - pos) * sizeof(*t->ports));
	memmove(t->index + pos + 1, t->index + pos, (t->n - pos) * sizeof(*t->index));
	t->ports[pos] = c->port;
	t->index[pos] = (uint16_t)t->n;
	counts = &t->counts[t->n++];
	memset(counts, 0, sizeof(*counts));
	return counts;
}

static void table_fini(struct events_table *t)
{
	free(t->ports);
	free(t->index);
	free(t->counts);
	memset(t, 0, sizeof(*t));
}

/* ---- the ring of recent events (under the lock) ------------------------------------------ */

struct events_recent_entry *events_ring_add(struct events *ev, enum events_kind kind, double now,
					    const char *netns)
{
	struct events_recent_entry *e;

	if (!ev->config.recent)
		return NULL;
	e = &ev->ring[ev->ring_next];
	ev->ring_next = (ev->ring_next + 1) % ev->config.recent;
	ev->ring_total++;
	memset(e, 0, sizeof(*e));
	e->time = now;
	e->kind = (uint8_t)kind;
	snprintf(e->netns, sizeof(e->netns), "%s", netns);
	return e;
}

/* ---- folding one datagram (the thread, or a test's replay) ------------------------------- */

struct fold_ctx {
	struct events_source *src;
	double now;
};

static int fold_record(const struct sockdiag_record *r, void *arg)
{
	struct fold_ctx *ctx = arg;
	struct events_source *src = ctx->src;
	const struct events_view *view = src->view;
	struct events_class c;
	struct events_counts *counts;
	struct events_recent_entry *e;
	const char *process;
	bool folded;

	events_classify(view, r, &c);
	counts = events_table_slot(&src->roles[c.role], &c, src->ev->config.max_ports, &folded);
	if (folded) {
		src->roles[c.role].folded++;
		src->roles[c.role].other_used = true;
		c.other = true;
		c.port = 0;
	}
	src->events_total++;
	if (c.kind == EVENTS_KIND_LISTENER_CLOSED) {
		counts->listener_closed++;
	} else {
		counts->closed[c.outcome]++;
		counts->segs_out += r->info.tcpi_segs_out;
		counts->retrans_segs += r->info.tcpi_total_retrans;
		counts->bytes_acked += r->info.tcpi_bytes_acked;
		counts->bytes_received += r->info.tcpi_bytes_received;
		/* Normal closes and sockets never used are what every host does all day. */
		if (c.outcome == EVENTS_NORMAL || c.outcome == EVENTS_UNCONNECTED)
			return 0;
	}
	e = events_ring_add(src->ev, c.kind, ctx->now, src->netns);
	if (!e)
		return 0;
	e->outcome = (uint8_t)c.outcome;
	e->family = r->family;
	e->role = (uint8_t)c.role;
	e->other = c.other;
	e->port = c.port;
	e->sport = r->sport;
	e->dport = r->dport;
	memcpy(e->saddr, r->saddr, sizeof(e->saddr));
	memcpy(e->daddr, r->daddr, sizeof(e->daddr));
	e->retransmits = r->info.tcpi_retransmits;
	e->probes = r->info.tcpi_probes;
	e->total_retrans = r->info.tcpi_total_retrans;
	e->bytes_acked = r->info.tcpi_bytes_acked;
	e->bytes_received = r->info.tcpi_bytes_received;
	process = events_owner_of(view, r, &c);
	if (process)
		snprintf(e->process, sizeof(e->process), "%s", process);
	return 0;
}

/* One datagram, under the lock. A datagram that does not parse is counted, never folded in
 * part: the kernel sends one message per datagram. */
static void fold_datagram(struct events_source *src, const void *buf, size_t len, double now)
{
	struct fold_ctx ctx = { src, now };

	if (sockdiag_parse(buf, len, 0, fold_record, &ctx) != 0)
		src->unparsed_total++;
}

int events_source_feed(struct events *ev, struct events_source *src, const void *buf, size_t len)
{
	pthread_mutex_lock(&ev->lock);
	fold_datagram(src, buf, len, clock_seconds(CLOCK_REALTIME));
	pthread_mutex_unlock(&ev->lock);
	return 0;
}

/* ---- the thread ------------------------------------------------------------------------- */

static void free_source(struct events_source *src)
{
	if (src->fd >= 0)
		close(src->fd);
	for (int r = 0; r < CLASSIFY_ROLES; r++)
		table_fini(&src->roles[r]);
	events_view_fini(&src->views[0]);
	events_view_fini(&src->views[1]);
	free(src);
}

/* Up to EVENTS_BATCHES_PER_WAKE batches from one source; epoll is level-triggered, so what
 * is left is read at the next turn. */
static void read_source(struct events *ev, struct events_source *src)
{
	for (int b = 0; b < EVENTS_BATCHES_PER_WAKE; b++) {
		int n, err = 0;

		for (int i = 0; i < EVENTS_BATCH; i++) {
			ev->iov[i] = (struct iovec){ ev->datagrams[i], EVENTS_DATAGRAM };
			ev->msgs[i].msg_hdr = (struct msghdr){ .msg_iov = &ev->iov[i], .msg_iovlen = 1 };
		}
		n = recvmmsg(src->fd, ev->msgs, EVENTS_BATCH, MSG_DONTWAIT, NULL);
		if (n < 0) {
			err = errno;
			if (err == EAGAIN || err == EINTR)
				return;
		}
		pthread_mutex_lock(&ev->lock);
		if (!src->dead) {
			double now = clock_seconds(CLOCK_REALTIME);

			for (int i = 0; i < n; i++) {
				if (ev->msgs[i].msg_hdr.msg_flags & MSG_TRUNC)
					src->unparsed_total++;
				else
					fold_datagram(src, ev->datagrams[i], ev->msgs[i].msg_len, now);
			}
			if (err == ENOBUFS) {
				src->lost_total++;
			} else if (err) {
				/* Level-triggered: a socket that keeps failing would spin. */
				src->error = -err;
				epoll_ctl(ev->epfd, EPOLL_CTL_DEL, src->fd, NULL);
			}
		}
		pthread_mutex_unlock(&ev->lock);
		if (err == ENOBUFS) {
			log_warn("tcp.events collector: receive buffer overrun in netns %s: events were "
				 "lost (raise --collector.tcp.events.buffer)", src->netns);
			continue;
		}
		if (err) {
			log_error("tcp.events collector: cannot read destroy events in netns %s: %s",
				  src->netns, strerror(err));
			return;
		}
		if (n < EVENTS_BATCH)
			return;
	}
}

static void reap_dead(struct events *ev)
{
	struct events_source *dead;

	pthread_mutex_lock(&ev->lock);
	dead = ev->dead;
	ev->dead = NULL;
	pthread_mutex_unlock(&ev->lock);
	while (dead) {
		struct events_source *next = dead->next_dead;

		free_source(dead);
		dead = next;
	}
}

static void *events_main(void *arg)
{
	struct events *ev = arg;
	struct epoll_event ready[16];

	/* An overrun that repeats (a host closing faster than we read) is logged once a minute. */
	log_limit_repeats(true);
	for (;;) {
		bool stopping;
		int n;

		/* Only here, between two epoll_waits: a source given up while its readiness was
		 * in hand is freed after that readiness was dealt with. */
		reap_dead(ev);
		pthread_mutex_lock(&ev->lock);
		stopping = ev->stopping;
		pthread_mutex_unlock(&ev->lock);
		if (stopping)
			return NULL;
		n = epoll_wait(ev->epfd, ready, 16, -1);
		for (int i = 0; i < n; i++) {
			if (ready[i].data.ptr == ev) {
				uint64_t count;

				if (read(ev->wakefd, &count, sizeof(count)) < 0 && errno != EAGAIN)
					log_debug("tcp.events collector: eventfd: %s", strerror(errno));
				continue;
			}
			read_source(ev, ready[i].data.ptr);
		}
	}
}

static void wake(struct events *ev)
{
	uint64_t one = 1;

	if (write(ev->wakefd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		log_debug("tcp.events collector: eventfd: %s", strerror(errno));
}

/* ---- set-up ----------------------------------------------------------------------------- */

static void set_bits(uint8_t *bits, const uint16_t *ports, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		bits[ports[i] >> 3] |= (uint8_t)(1u << (ports[i] & 7));
}

int events_create(struct events **out, const struct events_config *config)
{
	struct events *ev = calloc(1, sizeof(*ev));
	struct epoll_event wake_ev = { .events = EPOLLIN };
	int ret;

	if (!ev)
		return -ENOMEM;
	ev->config = *config;
	ev->epfd = ev->wakefd = -1;
	pthread_mutex_init(&ev->lock, NULL);
	set_bits(ev->expected, config->listen_ports, config->n_listen_ports);
	set_bits(ev->client_ports, config->client_ports, config->n_client_ports);
	ev->since = clock_seconds(CLOCK_REALTIME);
	ev->ring = calloc(config->recent ? config->recent : 1, sizeof(*ev->ring));
	ev->datagrams = calloc(EVENTS_BATCH, EVENTS_DATAGRAM);
	if (!ev->ring || !ev->datagrams) {
		events_destroy(ev);
		return -ENOMEM;
	}
	ev->epfd = epoll_create1(EPOLL_CLOEXEC);
	ev->wakefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	wake_ev.data.ptr = ev;
	if (ev->epfd < 0 || ev->wakefd < 0 ||
	    epoll_ctl(ev->epfd, EPOLL_CTL_ADD, ev->wakefd, &wake_ev) < 0) {
		ret = -errno;
		events_destroy(ev);
		return ret;
	}
	ret = -pthread_create(&ev->thread, NULL, events_main, ev);
	if (ret < 0) {
		events_destroy(ev);
		return ret;
	}
	ev->started = true;
	*out = ev;
	return 0;
}

void events_destroy(struct events *ev)
{
	if (!ev)
		return;
	if (ev->started) {
		pthread_mutex_lock(&ev->lock);
		ev->stopping = true;
		pthread_mutex_unlock(&ev->lock);
		wake(ev);
		pthread_join(ev->thread, NULL);
	}
	reap_dead(ev); /* the targets gave theirs up before */
	if (ev->epfd >= 0)
		close(ev->epfd);
	if (ev->wakefd >= 0)
		close(ev->wakefd);
	pthread_mutex_destroy(&ev->lock);
	free(ev->ring);
	free(ev->datagrams);
	free(ev);
}

static struct events_source *source_new(struct events *ev, const char *netns)
{
	struct events_source *src = calloc(1, sizeof(*src));

	if (!src)
		return NULL;
	src->ev = ev;
	src->fd = -1;
	snprintf(src->netns, sizeof(src->netns), "%s", netns);
	if (events_view_init(&src->views[0], ev->config.max_ports, ev->config.worst_max) < 0 ||
	    events_view_init(&src->views[1], ev->config.max_ports, ev->config.worst_max) < 0) {
		free_source(src);
		return NULL;
	}
	src->view = &src->views[0];
	events_view_fill(src->view, NULL, ev->expected, ev->client_ports);
	return src;
}

/* The destroy groups, with the receive buffer asked for: SO_RCVBUFFORCE when allowed
 * (CAP_NET_ADMIN), else SO_RCVBUF, which net.core.rmem_max caps. */
static int subscribe(struct events *ev, struct events_source *src)
{
	struct sockaddr_nl addr = {
		.nl_family = AF_NETLINK,
		.nl_groups = (1u << (SKNLGRP_INET_TCP_DESTROY - 1)) | (1u << (SKNLGRP_INET6_TCP_DESTROY - 1)),
	};
	int size = ev->config.receive_buffer;
	socklen_t len = sizeof(src->receive_buffer);

	src->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_SOCK_DIAG);
	if (src->fd < 0)
		return -errno;
	if (setsockopt(src->fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0 &&
	    setsockopt(src->fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size)) < 0)
		return -errno;
	if (getsockopt(src->fd, SOL_SOCKET, SO_RCVBUF, &src->receive_buffer, &len) < 0)
		return -errno;
	if (bind(src->fd, (struct sockaddr *)&addr, sizeof(addr)) < 0)
		return -errno;
	return 0;
}

int events_source_open(struct events *ev, const char *netns, struct events_source **out)
{
	struct events_source *src = source_new(ev, netns);
	struct epoll_event ready = { .events = EPOLLIN };
	int ret;

	if (!src)
		return -ENOMEM;
	ret = subscribe(ev, src);
	ready.data.ptr = src;
	if (ret == 0 && epoll_ctl(ev->epfd, EPOLL_CTL_ADD, src->fd, &ready) < 0)
		ret = -errno;
	if (ret < 0) {
		free_source(src);
		return ret;
	}
	if (src->receive_buffer / 2 < ev->config.receive_buffer)
		log_warn("tcp.events collector: receive buffer in netns %s is %d bytes, not the %d "
			 "asked for (raise net.core.rmem_max, or run with CAP_NET_ADMIN)",
			 netns, src->receive_buffer / 2, ev->config.receive_buffer);
	*out = src;
	return 0;
}

int events_source_open_replay(struct events *ev, const char *netns, struct events_source **out)
{
	*out = source_new(ev, netns);
	return *out ? 0 : -ENOMEM;
}

void events_source_close(struct events_source *src)
{
	struct events *ev;

	if (!src)
		return;
	ev = src->ev;
	pthread_mutex_lock(&ev->lock);
	src->dead = true;
	if (src->fd >= 0)
		epoll_ctl(ev->epfd, EPOLL_CTL_DEL, src->fd, NULL);
	src->next_dead = ev->dead;
	ev->dead = src;
	pthread_mutex_unlock(&ev->lock);
	wake(ev);
}

