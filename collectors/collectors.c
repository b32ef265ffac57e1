/* collectors.c — one row per collector, and the glue that gives each its own state. */
#include "collectors.h"

#include "../lib/log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- tcp: one inet_diag dump per family into the aggregate ---------------------------- */

struct tcp_state {
	struct tcpagg agg;
	struct sockdiag *sd; /* NULL until it can be opened; reopened after a failed dump */
	tcpagg_dump_fn dump;
	void *dump_ctx;
};

static int dump_with_sockdiag(void *ctx, int family, sockdiag_record_fn fn, void *fn_ctx)
{
	struct tcp_state *tcp = ctx;

	return sockdiag_dump(tcp->sd, family, fn, fn_ctx);
}

static int tcp_init(void **state, const struct collectors_config *config)
{
	struct tcp_state *tcp = calloc(1, sizeof(*tcp));
	int ret;

	if (!tcp)
		return -ENOMEM;
	ret = tcpagg_init(&tcp->agg, &config->classify, config->idle_threshold_seconds * 1000u);
	if (ret < 0) {
		free(tcp);
		return ret;
	}
	snprintf(tcp->agg.port_range_path, sizeof(tcp->agg.port_range_path),
		 "%s/sys/net/ipv4/ip_local_port_range", config->proc_root);
	tcp->dump = config->tcp_dump ? config->tcp_dump : dump_with_sockdiag;
	tcp->dump_ctx = config->tcp_dump ? config->tcp_dump_ctx : tcp;
	/* A socket that cannot be opened now (no permission, say) is retried at every scan,
	 * which then reports the collector as failed. */
	if (!config->tcp_dump) {
		ret = sockdiag_open(&tcp->sd);
		if (ret < 0)
			log_warn("cannot open NETLINK_SOCK_DIAG socket: %s", strerror(-ret));
	}
	*state = tcp;
	return 0;
}

static void tcp_fini(void *state)
{
	struct tcp_state *tcp = state;

	sockdiag_close(tcp->sd);
	tcpagg_fini(&tcp->agg);
	free(tcp);
}

static int tcp_scan(void *state, struct collectors_result *out)
{
	struct tcp_state *tcp = state;
	int ret = 0, copied;

	if (tcp->dump == dump_with_sockdiag && !tcp->sd) {
		ret = sockdiag_open(&tcp->sd);
		if (ret < 0)
			log_error("tcp collector: cannot open NETLINK_SOCK_DIAG socket: %s", strerror(-ret));
	}
	if (ret == 0) {
		ret = tcpagg_scan(&tcp->agg, tcp->dump, tcp->dump_ctx);
		if (ret < 0)
			log_error("tcp collector: socket dump failed: %s", strerror(-ret));
	}
	copied = tcpagg_result(&tcp->agg, ret == 0, &out->tcp);
	if (copied < 0)
		return copied;
	/* Classified with a stale range: the counts are served, the collector reports it. */
	if (ret == 0 && tcp->agg.port_range_error < 0)
		ret = tcp->agg.port_range_error;
	return ret;
}

/* ---- sysctl and netstat: procfs files ----------------------------------------------- */

struct procfs_state {
	char proc_root[256];
	char text[64 * 1024]; /* netstat's read buffer, reused scan after scan */
};

static int procfs_init(void **state, const struct collectors_config *config)
{
	struct procfs_state *p = calloc(1, sizeof(*p));

	if (!p)
		return -ENOMEM;
	snprintf(p->proc_root, sizeof(p->proc_root), "%s", config->proc_root);
	*state = p;
	return 0;
}

static void procfs_fini(void *state)
{
	free(state);
}

static int sysctl_collect(void *state, struct collectors_result *out)
{
	return sysctl_scan(((struct procfs_state *)state)->proc_root, &out->sysctl);
}

static int netstat_collect(void *state, struct collectors_result *out)
{
	struct procfs_state *p = state;

	return netstat_scan(p->proc_root, p->text, sizeof(p->text), &out->netstat);
}

const struct collector collectors_table[] = {
	{ "tcp", "per-port TCP socket states and listeners from one inet_diag dump per family",
	  true, tcp_init, tcp_fini, tcp_scan },
	{ "sysctl", "kernel TCP settings from /proc/sys (keepalive, retries, backlogs, port range)",
	  true, procfs_init, procfs_fini, sysctl_collect },
	{ "netstat", "kernel TCP counters from /proc/net/netstat and /proc/net/snmp",
	  true, procfs_init, procfs_fini, netstat_collect },
};

const unsigned collectors_count = sizeof(collectors_table) / sizeof(collectors_table[0]);

int collectors_find(const char *name)
{
	for (unsigned i = 0; i < collectors_count; i++)
		if (strcmp(collectors_table[i].name, name) == 0)
			return (int)i;
	return -1;
}

int collectors_init(struct collectors *c, const bool *enabled, const struct collectors_config *config)
{
	memset(c, 0, sizeof(*c));
	if (collectors_count > COLLECTORS_MAX)
		return -E2BIG;
	for (unsigned i = 0; i < collectors_count; i++) {
		int ret;

		if (!enabled[i])
			continue;
		ret = collectors_table[i].init(&c->state[i], config);
		if (ret < 0) {
			log_error("collector %s: init failed: %s", collectors_table[i].name, strerror(-ret));
			collectors_fini(c);
			return ret;
		}
		c->enabled[i] = true;
	}
	return 0;
}

void collectors_fini(struct collectors *c)
{
	for (unsigned i = collectors_count; i-- > 0;) {
		if (c->enabled[i])
			collectors_table[i].fini(c->state[i]);
		c->enabled[i] = false;
		c->state[i] = NULL;
	}
}

void collectors_result_free(struct collectors_result *result)
{
	tcpagg_result_free(result->tcp);
	result->tcp = NULL;
}
