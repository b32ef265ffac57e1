/* owner_names.c — listeners' and worst connections' processes, looked up in the owner
 * cache for every target of a result at once. */
#include "owner_names.h"

#include <stdio.h>
#include <string.h>

/* The listener of server port `port` in `tcp`, or NULL (ports are sorted, "other" last). */
static const struct tcpagg_listener *listener_of(const struct tcp_result *tcp, uint16_t port)
{
	unsigned low = 0, high = tcp->n_ports[CLASSIFY_SERVER] ? tcp->n_ports[CLASSIFY_SERVER] - 1 : 0;

	while (low < high) {
		unsigned mid = low + (high - low) / 2;
		uint16_t p = tcp->ports[CLASSIFY_SERVER][mid].port;

		if (p == port)
			return tcp->listeners[mid].sockets ? &tcp->listeners[mid] : NULL;
		if (p < port)
			low = mid + 1;
		else
			high = mid;
	}
	return NULL;
}

/* A request socket (SYN_RECV) has no inode of its own: it belongs to the process of the
 * listener it arrived on (an address of the same family first). */
static void name_by_listener(const struct tcp_result *tcp, struct tcpagg_connection *conn)
{
	const struct tcpagg_listener *l;
	const char *any = NULL;

	if (conn->state != TCPH_SYN_RECV || conn->role != CLASSIFY_SERVER ||
	    !(l = listener_of(tcp, conn->sport)))
		return;
	for (unsigned a = 0; a < l->n_addresses; a++) {
		if (!l->addresses[a].process[0])
			continue;
		if (l->addresses[a].family == conn->family) {
			any = l->addresses[a].process;
			break;
		}
		if (!any)
			any = l->addresses[a].process;
	}
	if (any)
		memcpy(conn->process, any, sizeof(conn->process));
}

/* Calls fn on every listening address (listeners) or worst connection (!listeners) of every
 * target. */
static void for_each_inode(struct collectors_result *out, bool listeners,
			   void (*fn)(struct owners *o, uint32_t inode, char process[TCPAGG_PROCESS_NAME],
				      bool listener),
			   struct owners *o)
{
	for (unsigned t = 0; t < out->n_targets; t++) {
		struct tcp_result *tcp = out->targets[t].tcp;

		if (!tcp || !tcp->has_sockets)
			continue;
		if (listeners) {
			for (unsigned i = 0; i + 1 < tcp->n_ports[CLASSIFY_SERVER]; i++) {
				struct tcpagg_listener *l = &tcp->listeners[i];

				for (unsigned a = 0; a < l->n_addresses; a++)
					fn(o, l->addresses[a].inode, l->addresses[a].process, true);
			}
			continue;
		}
		for (int k = 0; k < TCPAGG_WORST_KINDS; k++)
			for (unsigned i = 0; i < tcp->worst[k].n; i++)
				fn(o, tcp->worst[k].top[i].inode, tcp->worst[k].top[i].process, false);
	}
}

static void want_owner(struct owners *o, uint32_t inode, char process[TCPAGG_PROCESS_NAME], bool listener)
{
	(void)process;
	owners_want(o, inode, listener);
}

static void name_owner(struct owners *o, uint32_t inode, char process[TCPAGG_PROCESS_NAME], bool listener)
{
	const char *comm = inode ? owners_get(o, inode) : NULL;

	(void)listener;
	if (comm)
		snprintf(process, TCPAGG_PROCESS_NAME, "%s", comm);
}

/* Fills in the process of every listening address and every worst connection of every
 * target (the scanner's own work, after the workers: one cache for all namespaces).
 * Listeners are wanted first, all targets' before any connection's: the cache is bounded. */
void owner_names_fill(struct owners *o, struct collectors_result *out)
{
	owners_begin(o);
	for_each_inode(out, true, want_owner, o);
	for_each_inode(out, false, want_owner, o);
	owners_resolve(o);
	for_each_inode(out, true, name_owner, o);
	for_each_inode(out, false, name_owner, o);
	for (unsigned t = 0; t < out->n_targets; t++) {
		struct tcp_result *tcp = out->targets[t].tcp;

		for (int k = 0; tcp && tcp->has_sockets && k < TCPAGG_WORST_KINDS; k++)
			for (unsigned i = 0; i < tcp->worst[k].n; i++)
				if (!tcp->worst[k].top[i].inode)
					name_by_listener(tcp, &tcp->worst[k].top[i]);
	}
	owners_stats(o, &out->owners);
	out->has_owners = true;
	owners_end(o);
}
