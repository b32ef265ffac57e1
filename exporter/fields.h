/* fields.h — the one table of fields every view renders, and the names the views share.
 *
 * As HAProxy renders CSV, JSON and HTML from one column table (stat_cols), the tcp
 * collector's signals are rows of fields_tcp[]: each says its metric family (name, type,
 * help), where its value lives in the snapshot (kind, offset), its key in the status
 * document, its title and place on the status page, and the alert threshold it is judged
 * against. render_metrics.c writes /metrics from the rows, status_fields.c their values in
 * the document, and render_html_fields.c the page's cells from the document by the same
 * rows. A new per-port signal is one field in struct tcpagg_slot and one row here, and it
 * appears in all three views.
 *
 * Alerts and thresholds come only from the generated table (build/gen/alert_thresholds.h,
 * made by exporter/alert_thresholds.awk from the rules file): rows name them as enum
 * constants, so a row whose threshold the rules lose does not compile. */
#ifndef TCPH_FIELDS_H
#define TCPH_FIELDS_H

#include "../collectors/collectors.h"
#include "alert_thresholds.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- alerts and thresholds (generated) --------------------------------------------------- */

enum alert_id {
#define ALERT(name, severity, for_duration) ALERT_##name,
	ALERT_ROWS
#undef ALERT
	ALERTS_COUNT
};

enum threshold_id {
#define THRESHOLD(name, alert, op, value) THRESHOLD_##name,
	THRESHOLD_ROWS
#undef THRESHOLD
	THRESHOLDS_COUNT,
	THRESHOLD_NONE = -1,
};

struct fields_alert {
	const char *name;	  /* the rule's "- alert:" */
	const char *severity;	  /* its labels' severity: critical, warning or info */
	const char *for_duration; /* its for: ("0s" without one) */
};

struct fields_threshold {
	const char *name; /* its "# threshold: NAME" marker */
	enum alert_id alert;
	const char *op; /* ">", ">=", "<", "<=", "==" */
	double value;
};

extern const struct fields_alert fields_alerts[ALERTS_COUNT];
extern const struct fields_threshold fields_thresholds[THRESHOLDS_COUNT];

/* The threshold called `name`, or NULL. */
const struct fields_threshold *fields_threshold_find(const char *name);
/* Whether `value` crosses threshold `id` (NaN crosses none). */
bool fields_threshold_crossed(enum threshold_id id, double value);

/* ---- shared names ------------------------------------------------------------------------- */

/* Label values of role="..." and family="...", and their JSON keys. */
extern const char *const fields_role_names[CLASSIFY_ROLES];
extern const char *const fields_family_names[TCPAGG_FAMILIES];
#define FIELDS_ROLE_LEGEND                                                                  \
	"server: the local port is a listening or expected port; client: the remote service " \
	"port of an outgoing connection"

/* "ipv4" or "ipv6" for an address family (AF_INET6 or anything else). */
const char *fields_family_of(int af);
/* Socket states and kernel timers by number (the collector's names: tcpagg.h). */
const char *fields_state_name(unsigned state);
const char *fields_timer_name(unsigned timer);

/* Ports of a role: ports[r][0 .. n_ports[r]-1], sorted, with "other" the last entry. The
 * server role's named ports (all but "other") are the ones with a listeners[] entry. */
unsigned fields_named_ports(const struct tcp_result *tcp, int role);
/* "1720" or "other". */
void fields_port_text(char text[8], const struct tcp_port *p);

/* The socket states in the order of the page's columns: the first four always shown, the
 * rest only when some port has them; each with the threshold it is judged against. */
struct fields_state {
	unsigned state; /* TCPH_* */
	bool always;	/* a column even when every port has 0 */
	enum threshold_id threshold;
	bool server_only; /* judged for the server role only */
};
extern const struct fields_state fields_page_states[];
extern const unsigned fields_page_states_count;

/* ---- the tcp collector's field table ------------------------------------------------------ */

enum fields_kind {
	FIELD_SLOT_U32,	     /* one sample per (port, role): a uint32_t field of the slot */
	FIELD_SLOT_U64,	     /* ... a uint64_t field */
	FIELD_SLOT_STATES,   /* per (port, role, state): the slot's states[] */
	FIELD_SLOT_TIMERS,   /* per (port, role, timer): the slot's timers[] */
	FIELD_SLOT_HISTOGRAM, /* per (port, role): a struct tcpagg_histogram field */
	FIELD_LISTENER_UP,   /* per server port with a listener or expected: 1 or 0 */
	FIELD_LISTENER_INFO, /* per (port, address, family) a listener is bound to */
	FIELD_LISTENER_U64,  /* per server port with a listener: a uint64_t listener field */
	FIELD_SOCKETS_SCANNED, /* per family */
	FIELD_PORTS_FOLDED,  /* per role */
	FIELD_DUMP_RETRIES,
	FIELD_DUMP_REQUESTS, /* per target: the requests of one attempt (1 or 2) */
};

/* How a row's value is judged against its threshold. */
enum fields_judge {
	FIELD_NOT_JUDGED,	       /* (no threshold, or the page marks it with another row's) */
	FIELD_JUDGED,		       /* value against the threshold */
	FIELD_JUDGED_IF_RETRANSMITTING, /* the same, on ports with a retransmitting socket */
};

enum fields_tcp_id {
	FIELD_CONNECTIONS,
	FIELD_LISTENER_UP_ROW,
	FIELD_LISTENER_INFO_ROW,
	FIELD_LISTEN_QUEUE_LENGTH,
	FIELD_LISTEN_QUEUE_MAX,
	FIELD_TIMER_CONNECTIONS,
	FIELD_RETRANSMITTING,
	FIELD_RETRANSMIT_BACKOFF_MAX,
	FIELD_RETRANSMITTED_SEGMENTS,
	FIELD_LOST_SEGMENTS,
	FIELD_UNACKED_SEGMENTS,
	FIELD_KEEPALIVE,
	FIELD_KEEPALIVE_PROBES_OUTSTANDING,
	FIELD_KEEPALIVE_PROBES_MAX,
	FIELD_IDLE_SECONDS,
	FIELD_UNPROTECTED_IDLE,
	FIELD_RTT_SECONDS,
	FIELD_SOCKETS_SCANNED_ROW,
	FIELD_PORTS_FOLDED_ROW,
	FIELD_DUMP_RETRIES_ROW,
	FIELD_DUMP_REQUESTS_ROW,
	FIELDS_TCP_COUNT
};

/* Where a row is on the status page; every row is somewhere (0 is no place: a missing row). */
enum fields_page {
	FIELD_PAGE_PORTS = 1, /* a column of the per-port table (FIELD_SLOT_STATES: one per state
			       * of fields_page_states) */
	FIELD_PAGE_SIGNALS,   /* a column of the namespace's "more signals by port" table (one per
			       * timer for FIELD_SLOT_TIMERS; count and median for a histogram) */
	FIELD_PAGE_LISTENERS, /* a column of the listening ports table */
	FIELD_PAGE_SCAN,      /* the namespace's scan line: one figure per label value */
};

struct fields_row {
	/* /metrics */
	const char *metric;
	const char *type;
	const char *help;
	/* where the value lives */
	enum fields_kind kind;
	size_t offset;	      /* of the field in struct tcpagg_slot or struct tcpagg_listener */
	const double *bounds; /* FIELD_SLOT_HISTOGRAM */
	unsigned nbounds;
	/* /api/v1/status: the key in the object of its kind (a ports[] row for slot kinds, a
	 * listeners[] entry, or the namespace's "tcp"), "a.b" inside a sub-object. */
	const char *json;
	/* the page: the title (HTML) of its column, or of its figures on the scan line */
	const char *column;
	enum fields_page page;
	/* the alert rules */
	enum threshold_id threshold;
	enum fields_judge judge;
	enum alert_id alert; /* an alert judged without a threshold (ListenerDown); else ALERTS_COUNT */
};

/* Every row is written with FIELDS_ROW (fields.c): its metric, type, JSON key and page title
 * must be non-empty string literals, so a row without a key or a place on the page does not
 * compile; the unit test (test_fields.c) finds every row in all three views. */
#define FIELDS_LITERAL(s) ((const char *)("" s) + 0 * sizeof(char[sizeof(s) > 1 ? 1 : -1]))
#define FIELDS_ROW(metric, type, help, kind, offset, bounds, nbounds, json, column, page, ...)       \
	{ FIELDS_LITERAL(metric), FIELDS_LITERAL(type), FIELDS_LITERAL(help), kind, offset, bounds, \
	  nbounds, FIELDS_LITERAL(json), FIELDS_LITERAL(column), page, __VA_ARGS__ }

extern const struct fields_row fields_tcp[FIELDS_TCP_COUNT];

/* The alert a row's cells are marked with on the page: its threshold's, or its own; NULL. */
const char *fields_row_alert(const struct fields_row *row);

/* A uint32_t or uint64_t field of a slot or listener at `offset`. */
uint64_t fields_value(const void *base, enum fields_kind kind, size_t offset);

/* ---- the worst connections ------------------------------------------------------------------ */

/* The worst-connection kinds: unit, whether the value is in ms (shown in seconds), what
 * the kind means and the page's heading. */
struct fields_worst {
	const char *unit;
	bool milliseconds;
	const char *description;
	const char *title;
};
extern const struct fields_worst fields_worst[TCPAGG_WORST_KINDS];

#endif
