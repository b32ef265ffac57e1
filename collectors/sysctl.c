/* sysctl.c — kernel TCP settings, read from /proc/sys at every scan. They are per network
 * namespace: /proc/sys/net shows the namespace of the reader. */
#include "sysctl.h"

#include "../lib/log.h"
#include "../lib/procfs.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

const struct sysctl_setting sysctl_settings[SYSCTL_COUNT] = {
	[SYSCTL_KEEPALIVE_TIME] = { "net/ipv4/tcp_keepalive_time", 1 },
	[SYSCTL_KEEPALIVE_INTVL] = { "net/ipv4/tcp_keepalive_intvl", 1 },
	[SYSCTL_KEEPALIVE_PROBES] = { "net/ipv4/tcp_keepalive_probes", 1 },
	[SYSCTL_RETRIES1] = { "net/ipv4/tcp_retries1", 1 },
	[SYSCTL_RETRIES2] = { "net/ipv4/tcp_retries2", 1 },
	[SYSCTL_SYN_RETRIES] = { "net/ipv4/tcp_syn_retries", 1 },
	[SYSCTL_SYNACK_RETRIES] = { "net/ipv4/tcp_synack_retries", 1 },
	[SYSCTL_FIN_TIMEOUT] = { "net/ipv4/tcp_fin_timeout", 1 },
	[SYSCTL_SOMAXCONN] = { "net/core/somaxconn", 1 },
	[SYSCTL_MAX_SYN_BACKLOG] = { "net/ipv4/tcp_max_syn_backlog", 1 },
	[SYSCTL_MAX_TW_BUCKETS] = { "net/ipv4/tcp_max_tw_buckets", 1 },
	[SYSCTL_IP_LOCAL_PORT_RANGE] = { "net/ipv4/ip_local_port_range", 2 },
	[SYSCTL_TW_REUSE] = { "net/ipv4/tcp_tw_reuse", 1 },
	[SYSCTL_EHASH_ENTRIES] = { "net/ipv4/tcp_ehash_entries", 1 },
	[SYSCTL_CHILD_EHASH_ENTRIES] = { "net/ipv4/tcp_child_ehash_entries", 1 },
};

int sysctl_scan(const char *proc_root, struct sysctl_result *out)
{
	int read_ok = 0, error = 0, last_missing = 0;

	memset(out, 0, sizeof(*out));
	for (unsigned i = 0; i < SYSCTL_COUNT; i++) {
		const struct sysctl_setting *setting = &sysctl_settings[i];
		char path[256];
		int n;

		snprintf(path, sizeof(path), "%s/sys/%s", proc_root, setting->path);
		n = procfs_read_longs(path, out->values[i], 2);
		if (n == -ENOENT) {
			/* Settings differ between kernels: one this kernel lacks is left out. */
			last_missing = n;
			log_debug("sysctl %s: not in this kernel", path);
			continue;
		}
		if (n < setting->n_values) {
			error = n < 0 ? n : -EINVAL;
			log_error("sysctl collector: cannot read %s: %s", path, strerror(-error));
			continue;
		}
		out->present[i] = true;
		read_ok++;
	}
	if (out->present[SYSCTL_KEEPALIVE_TIME] && out->present[SYSCTL_KEEPALIVE_INTVL] &&
	    out->present[SYSCTL_KEEPALIVE_PROBES]) {
		out->has_keepalive_detection = true;
		out->keepalive_detection_seconds =
			out->values[SYSCTL_KEEPALIVE_TIME][0] +
			out->values[SYSCTL_KEEPALIVE_INTVL][0] * out->values[SYSCTL_KEEPALIVE_PROBES][0];
	}
	if (read_ok == 0) {
		if (!error)
			error = last_missing;
		log_error("sysctl collector: no setting readable under %s/sys: %s", proc_root,
			  strerror(-error));
	}
	return error;
}
