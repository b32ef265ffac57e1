/* render_metrics.h — the Prometheus text exposition (format 0.0.4) of a snapshot. */
#ifndef TCPH_RENDER_METRICS_H
#define TCPH_RENDER_METRICS_H

#include "snapshot.h"

struct expfmt_buf;

/* Appends the whole exposition to `out`. 0, or -ENOMEM when the buffer could not grow. */
int render_metrics(const struct snapshot *s, struct expfmt_buf *out);

#endif
