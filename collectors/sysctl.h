/* sysctl.h — kernel TCP settings from /proc/sys (per network namespace) as gauges. */
#ifndef TCPH_SYSCTL_H
#define TCPH_SYSCTL_H

struct collectors_config;
struct expfmt_buf;

int sysctl_init(const struct collectors_config *config);
/* Writes every setting it could read; fails (-errno) only when it could read none. */
int sysctl_collect(struct expfmt_buf *out);

#endif
