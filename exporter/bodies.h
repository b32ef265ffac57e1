/* bodies.h — the views of a snapshot as shared libmicrohttpd responses: the metrics (text,
 * or gzip when the client accepts it), the status document (JSON) and the status page,
 * with their headers (Vary, Cache-Control, the page's Content-Security-Policy), and the
 * memory they hold.
 *
 * Each view is made once per snapshot and kept with it (snapshot_view), so every client of
 * one snapshot is sent the same bytes. A body counts in its `struct bodies` until the last
 * response carrying it is done; it holds a reference to it, never a pointer into the
 * server, so a snapshot may outlive the server that rendered it. No lock: the counters
 * are atomics, the rest is immutable once made. The only module that includes the
 * renderers. */
#ifndef TCPH_BODIES_H
#define TCPH_BODIES_H

#include "snapshot.h"

#include <microhttpd.h>
#include <stdint.h>

struct bodies;

/* `telemetry_path` is linked from the status page. 0 or -ENOMEM. */
int bodies_create(struct bodies **out, const char *telemetry_path);
/* Drops the creator's reference; the last body still held drops the last one. NULL is
 * ignored. */
void bodies_unref(struct bodies *b);

/* The response for `view` of `s` (for SNAPSHOT_VIEW_METRICS_TEXT: gzip when
 * `accept_encoding` admits it and compression works, else text), made on first use and
 * shared. The snapshot keeps it: queue it, never destroy it. NULL when out of memory. */
struct MHD_Response *bodies_view(struct bodies *b, struct snapshot *s, enum snapshot_view_id view,
				 const char *accept_encoding);

/* Bytes of bodies held now. */
uint64_t bodies_held(struct bodies *b);
/* Bytes held by bodies of snapshots other than `latest`: clients still reading them. */
uint64_t bodies_held_by_older(struct bodies *b, struct snapshot *latest);

/* True when an Accept-Encoding header value admits gzip (q > 0). */
int bodies_accepts_gzip(const char *accept_encoding);

#endif
