/* sysctl.c — kernel TCP settings, read from /proc/sys at every scrape. They are per
 * network namespace, so the exporter reports the namespace it runs in. */
#include "sysctl.h"

#include "../exporter/expfmt.h"
#include "../exporter/log.h"
#include "collectors.h"
#include "procfs.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

struct sysctl_setting {
	const char *path;   /* below <proc>/sys/ */
	const char *metric; /* tcp_health_sysctl_<metric>; for two-value files, two names */
	const char *metric_high;
	const char *help;
	int keepalive_term; /* 1-3: time, intvl, probes of keepalive_detection_seconds; 0: none */
};

static const struct sysctl_setting settings[] = {
	{ "net/ipv4/tcp_keepalive_time", "keepalive_time_seconds", NULL,
	  "net.ipv4.tcp_keepalive_time: idle time before the first keepalive probe.", 1 },
	{ "net/ipv4/tcp_keepalive_intvl", "keepalive_intvl_seconds", NULL,
	  "net.ipv4.tcp_keepalive_intvl: time between keepalive probes.", 2 },
	{ "net/ipv4/tcp_keepalive_probes", "keepalive_probes", NULL,
	  "net.ipv4.tcp_keepalive_probes: unanswered probes before the connection is dropped.", 3 },
	{ "net/ipv4/tcp_retries1", "retries1", NULL,
	  "net.ipv4.tcp_retries1: retransmissions before the route is re-checked.", 0 },
	{ "net/ipv4/tcp_retries2", "retries2", NULL,
	  "net.ipv4.tcp_retries2: retransmissions of data before the connection is dropped "
	  "(15 is about 15 minutes).", 0 },
	{ "net/ipv4/tcp_syn_retries", "syn_retries", NULL,
	  "net.ipv4.tcp_syn_retries: SYN retransmissions of an active open.", 0 },
	{ "net/ipv4/tcp_synack_retries", "synack_retries", NULL,
	  "net.ipv4.tcp_synack_retries: SYN-ACK retransmissions of a passive open.", 0 },
	{ "net/ipv4/tcp_fin_timeout", "fin_timeout_seconds", NULL,
	  "net.ipv4.tcp_fin_timeout: how long an orphaned connection stays in FIN_WAIT2.", 0 },
	{ "net/core/somaxconn", "somaxconn", NULL,
	  "net.core.somaxconn: upper limit of a listen() backlog.", 0 },
	{ "net/ipv4/tcp_max_syn_backlog", "max_syn_backlog", NULL,
	  "net.ipv4.tcp_max_syn_backlog: half-open connections remembered per listener.", 0 },
	{ "net/ipv4/tcp_max_tw_buckets", "max_tw_buckets", NULL,
	  "net.ipv4.tcp_max_tw_buckets: TIME_WAIT sockets held at most.", 0 },
	{ "net/ipv4/ip_local_port_range", "ip_local_port_range_low", "ip_local_port_range_high",
	  "net.ipv4.ip_local_port_range: the ephemeral port range.", 0 },
	{ "net/ipv4/tcp_tw_reuse", "tw_reuse", NULL,
	  "net.ipv4.tcp_tw_reuse: 0 off, 1 on, 2 loopback only: reuse TIME_WAIT sockets for "
	  "new outgoing connections.", 0 },
};

enum { SETTINGS = sizeof(settings) / sizeof(settings[0]) };

static const char *sysctl_proc_root = "/proc";

int sysctl_init(const struct collectors_config *config)
{
	if (config->proc_root)
		sysctl_proc_root = config->proc_root;
	return 0;
}

static int read_setting(const struct sysctl_setting *setting, long *values)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/sys/%s", sysctl_proc_root, setting->path);
	return procfs_read_longs(path, values, 2);
}

static void write_gauge(struct expfmt_buf *out, const char *metric, const char *help, double value)
{
	char name[96];

	snprintf(name, sizeof(name), "tcp_health_sysctl_%s", metric);
	expfmt_family(out, name, "gauge", help);
	expfmt_sample(out, name, NULL, 0, value);
}

int sysctl_collect(struct expfmt_buf *out)
{
	long keepalive[4] = { 0 }; /* indexed by keepalive_term */
	int have_keepalive = 0, read_ok = 0, last_error = 0;

	for (unsigned i = 0; i < SETTINGS; i++) {
		const struct sysctl_setting *setting = &settings[i];
		long values[2];
		int n = read_setting(setting, values);

		if (n < 0 || (setting->metric_high && n < 2)) {
			/* Settings differ between kernels: a missing one is left out, not fatal. */
			last_error = n < 0 ? n : -EINVAL;
			log_debug("sysctl %s: %s", setting->path, strerror(-last_error));
			continue;
		}
		read_ok++;
		write_gauge(out, setting->metric, setting->help, (double)values[0]);
		if (setting->metric_high)
			write_gauge(out, setting->metric_high, setting->help, (double)values[1]);
		if (setting->keepalive_term) {
			keepalive[setting->keepalive_term] = values[0];
			have_keepalive++;
		}
	}
	if (have_keepalive == 3) {
		expfmt_family(out, "tcp_health_keepalive_detection_seconds", "gauge",
			      "Time for keepalive to detect a dead idle peer with the kernel's default "
			      "settings: tcp_keepalive_time + tcp_keepalive_intvl * tcp_keepalive_probes "
			      "(applications may override them per socket).");
		expfmt_sample(out, "tcp_health_keepalive_detection_seconds", NULL, 0,
			      (double)(keepalive[1] + keepalive[2] * keepalive[3]));
	}
	if (read_ok == 0) {
		log_error("sysctl collector: no setting readable under %s/sys: %s", sysctl_proc_root,
			  strerror(-last_error));
		return last_error;
	}
	return 0;
}
