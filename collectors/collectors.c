/* collectors.c — one row per collector. */
#include "collectors.h"

#include "netstat.h"
#include "sysctl.h"
#include "tcpagg.h"

#include <string.h>

static int tcp_init(const struct collectors_config *config)
{
	return tcpagg_collector_init(&config->classify, config->idle_threshold_seconds * 1000u,
				     config->proc_root);
}

const struct collector collectors_table[] = {
	{ "tcp", "per-port TCP socket states and listeners from one inet_diag dump per family",
	  true, tcp_init, tcpagg_collector_fini, tcpagg_collect },
	{ "sysctl", "kernel TCP settings from /proc/sys (keepalive, retries, backlogs, port range)",
	  true, sysctl_init, NULL, sysctl_collect },
	{ "netstat", "kernel TCP counters from /proc/net/netstat and /proc/net/snmp",
	  true, netstat_init, NULL, netstat_collect },
};

const unsigned collectors_count = sizeof(collectors_table) / sizeof(collectors_table[0]);

int collectors_find(const char *name)
{
	for (unsigned i = 0; i < collectors_count; i++)
		if (strcmp(collectors_table[i].name, name) == 0)
			return (int)i;
	return -1;
}
