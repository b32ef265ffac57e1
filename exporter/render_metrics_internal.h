/* render_metrics_internal.h — what the Prometheus text view's files share: the labels that
 * tell targets apart. Private to render_metrics.c and render_metrics_events.c. */
#ifndef TCPH_RENDER_METRICS_INTERNAL_H
#define TCPH_RENDER_METRICS_INTERNAL_H

#include "expfmt.h"
#include "snapshot.h"

#include <stddef.h>

/* The labels that tell targets apart, first in every sample of a target (none outside
 * --netns=all/names). Empty pod_uid and container_id are left out: Prometheus reads an
 * empty label as an absent one. */
struct prefix {
	struct expfmt_label labels[3];
	size_t n;
};

void render_target_prefix(const struct snapshot *s, const struct target_result *t, struct prefix *p);

#define MAX_LABELS 8

/* labels = prefix, then `own`; returns the count. */
size_t render_with_prefix(struct expfmt_label *labels, const struct prefix *p,
			  const struct expfmt_label *own, size_t n_own);

/* The tcp.events collector's families (render_metrics_events.c). */
void render_events(const struct snapshot *s, struct expfmt_buf *out);

#endif
