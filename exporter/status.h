/* status.h — the status document of a snapshot: what the status page (/) and
 * /api/v1/status show, as one JSON tree (jansson).
 *
 * Built from the snapshot alone, so the page, the JSON and /metrics agree by construction;
 * the page is rendered from this same tree (render_html.c), never from the snapshot. Its
 * tcp fields follow the views' field table (fields.h). The document also carries the
 * judgements the views share: which of the alert rules' thresholds
 * (dashboards/prometheus/alerts.rules.yml, through fields.h) a value crosses, which ports
 * are the exporter's own, and the kernel's settings in words. docs/status-api.md describes
 * the schema. */
#ifndef TCPH_STATUS_H
#define TCPH_STATUS_H

#include "snapshot.h"

#include <jansson.h>
#include <stddef.h>

#define STATUS_SCHEMA "tcp_health_exporter/status/v1"

/* "2 h 11 min 15 s", "15 min 25 s", "45 s", "200 ms": a duration for people. */
void status_duration_text(double seconds, char *out, size_t size);

/* The status document of `s`, or NULL when out of memory. The caller owns the reference. */
json_t *status_document(const struct snapshot *s);

#endif
