/* sysctl.h — kernel TCP settings from /proc/sys (per network namespace): data only. */
#ifndef TCPH_SYSCTL_H
#define TCPH_SYSCTL_H

#include <stdbool.h>

enum sysctl_id {
	SYSCTL_KEEPALIVE_TIME,
	SYSCTL_KEEPALIVE_INTVL,
	SYSCTL_KEEPALIVE_PROBES,
	SYSCTL_RETRIES1,
	SYSCTL_RETRIES2,
	SYSCTL_SYN_RETRIES,
	SYSCTL_SYNACK_RETRIES,
	SYSCTL_FIN_TIMEOUT,
	SYSCTL_SOMAXCONN,
	SYSCTL_MAX_SYN_BACKLOG,
	SYSCTL_MAX_TW_BUCKETS,
	SYSCTL_IP_LOCAL_PORT_RANGE, /* two values: low, high */
	SYSCTL_TW_REUSE,
	/* Linux 6.1+: the size of the namespace's TCP established hash, negative when it shares
	 * the host's (the kernel shows -size), and what namespaces created from it get (0:
	 * the host's shared table). */
	SYSCTL_EHASH_ENTRIES,
	SYSCTL_CHILD_EHASH_ENTRIES,
	SYSCTL_COUNT
};

struct sysctl_setting {
	const char *path; /* below <proc>/sys/, e.g. "net/ipv4/tcp_keepalive_time" */
	int n_values;	  /* 1, or 2 for the port range */
};

extern const struct sysctl_setting sysctl_settings[SYSCTL_COUNT];

struct sysctl_result {
	bool present[SYSCTL_COUNT];
	long values[SYSCTL_COUNT][2];
	/* tcp_keepalive_time + tcp_keepalive_intvl * tcp_keepalive_probes, when all three read */
	bool has_keepalive_detection;
	long keepalive_detection_seconds;
};

/* Reads every setting under proc_root ("/proc"). A setting this kernel does not have
 * (ENOENT) is left out; any other failure to read one, or reading none at all, fails the
 * collector (-errno) with what could be read still in `out`. */
int sysctl_scan(const char *proc_root, struct sysctl_result *out);

#endif
