/* status_build.h — building the status document with one failure flag, shared by status.c
 * (the document) and status_fields.c (the field table's rows in it). Internal to the status
 * module: nothing else includes it. */
#ifndef TCPH_STATUS_BUILD_H
#define TCPH_STATUS_BUILD_H

#include "snapshot.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

struct status_builder {
	bool failed; /* an allocation failed: the document is incomplete, not served */
};

/* json_object_set_new and json_array_append_new take `value` even when they fail (a NULL
 * container included), so nothing leaks on the way to a failed document. */
void status_put(struct status_builder *b, json_t *obj, const char *key, json_t *value);
void status_append(struct status_builder *b, json_t *array, json_t *value);
/* `value` at `key` of `obj`, or at "b" of its sub-object "a" for "a.b" (made on first use). */
void status_put_key(struct status_builder *b, json_t *obj, const char *key, json_t *value);
/* An integer, capped at INT64_MAX. */
json_t *status_uint_json(uint64_t v);

/* The document's fields of one (port, role) slot, row by row of the field table (a
 * histogram is null when the scan did not fill them). */
void status_slot_fields(struct status_builder *b, json_t *o, const struct tcpagg_slot *c, bool histograms);
/* The listener rows (up, addresses, accept queue) of one listening or expected port. */
void status_listener_fields(struct status_builder *b, json_t *o, const struct tcpagg_listener *l);
/* "198.18.0.1", "::1": an address of `family`; whether it is a loopback address (IPv4, IPv6
 * and IPv4-mapped). */
json_t *status_address_json(uint8_t family, const uint8_t *addr);
bool status_is_loopback(uint8_t family, const uint8_t *addr);
/* The per-target rows (sockets scanned, ports folded, dump retries) into the namespace's
 * "tcp" object. */
void status_target_fields(struct status_builder *b, json_t *tcp_json, const struct tcp_result *tcp);

/* Whether `port` (not "other") of target `t` is one the exporter itself listens on: only in
 * the exporter's own network namespace (in another, the same number is someone else's). */
bool status_exporter_port(const struct snapshot *s, const struct target_result *t, uint16_t port, bool other);

/* "2026-12-07T22:41:13Z" of a Unix time. */
json_t *status_time_json(double unix_time);

/* The tcp.events collector's parts (status_events.c): a namespace's "events" object, and
 * the document's top-level "events" (the recent ring); null where the collector did not
 * run. */
json_t *status_events_namespace(struct status_builder *b, const struct snapshot *s,
				const struct target_result *t);
json_t *status_events_recent(struct status_builder *b, const struct collectors_result *data);

#endif
