/* routes.h — the route table: which path serves what. requests.c routes every request by
 * it, and flags.c refuses a --web.telemetry-path that is one of its fixed paths. A new
 * endpoint is one row (and, if it is a new view, a view in bodies.c). */
#ifndef TCPH_ROUTES_H
#define TCPH_ROUTES_H

#include "snapshot.h"

#include <stdbool.h>

#define HTTP_STATUS_API_PATH "/api/v1/status"
#define HTTP_HEALTHY_PATH "/-/healthy" /* 200 while the server answers; no scan */
#define HTTP_READY_PATH "/-/ready"     /* 200 once a scan has been published (waits for the first) */

enum route_kind {
	ROUTE_HEALTHY, /* answered at once, no snapshot */
	ROUTE_READY,   /* answered once any snapshot exists, no view */
	ROUTE_VIEW,    /* a view of a snapshot */
};

struct route {
	const char *path; /* NULL: the telemetry path (--web.telemetry-path) */
	enum route_kind kind;
	enum snapshot_view_id view; /* ROUTE_VIEW: SNAPSHOT_VIEW_METRICS_TEXT means text or gzip */
};

/* The route of `path`, the first row that matches; NULL for none (404). */
const struct route *routes_find(const char *path, const char *telemetry_path);
/* True when `path` is one of the table's fixed paths (not to be the telemetry path). */
bool routes_reserved(const char *path);

#endif
