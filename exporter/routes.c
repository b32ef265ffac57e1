/* routes.c — the route table (see routes.h). */
#include "routes.h"

#include <string.h>

/* In matching order: the probes, then the telemetry path, then the status views (flags.c
 * keeps the telemetry path off every fixed path here, so the order only matters should
 * that ever change). */
static const struct route routes[] = {
	{ HTTP_HEALTHY_PATH, ROUTE_HEALTHY, SNAPSHOT_VIEWS },
	{ HTTP_READY_PATH, ROUTE_READY, SNAPSHOT_VIEWS },
	{ NULL, ROUTE_VIEW, SNAPSHOT_VIEW_METRICS_TEXT },
	{ "/", ROUTE_VIEW, SNAPSHOT_VIEW_STATUS_HTML },
	{ HTTP_STATUS_API_PATH, ROUTE_VIEW, SNAPSHOT_VIEW_STATUS_JSON },
};

const struct route *routes_find(const char *path, const char *telemetry_path)
{
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
		if (strcmp(path, routes[i].path ? routes[i].path : telemetry_path) == 0)
			return &routes[i];
	return NULL;
}

bool routes_reserved(const char *path)
{
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
		if (routes[i].path && strcmp(path, routes[i].path) == 0)
			return true;
	return false;
}
