/* status_fields.c — the tcp field table's rows in the status document (see status_build.h):
 * each row's value under its JSON key, in the shape of its kind. The document's other parts
 * and its judgements are status.c's. */
#include "status_build.h"

#include "expfmt.h"
#include "fields.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

void status_put(struct status_builder *b, json_t *obj, const char *key, json_t *value)
{
	if (!value || json_object_set_new(obj, key, value) < 0)
		b->failed = true;
}

void status_append(struct status_builder *b, json_t *array, json_t *value)
{
	if (!value || json_array_append_new(array, value) < 0)
		b->failed = true;
}

json_t *status_uint_json(uint64_t v)
{
	return json_integer(v > (uint64_t)INT64_MAX ? INT64_MAX : (json_int_t)v);
}

void status_put_key(struct status_builder *b, json_t *obj, const char *key, json_t *value)
{
	const char *dot = strchr(key, '.');
	char outer[32];
	json_t *sub;

	if (!dot) {
		status_put(b, obj, key, value);
		return;
	}
	snprintf(outer, sizeof(outer), "%.*s", (int)(dot - key), key);
	sub = json_object_get(obj, outer);
	if (!sub) {
		sub = json_object();
		status_put(b, obj, outer, sub);
	}
	if (!json_is_object(sub)) {
		json_decref(value);
		b->failed = true;
		return;
	}
	status_put(b, sub, dot + 1, value);
}

/* {"count": N, "sum": S, "buckets": {"LE": cumulative, ..., "+Inf": N}}: the numbers of the
 * histogram's samples in /metrics, its le label values the keys. */
static json_t *histogram_json(struct status_builder *b, const struct fields_row *row,
			      const struct tcpagg_histogram *h)
{
	json_t *o = json_object(), *buckets = json_object();
	uint64_t cumulative = 0;
	char le[32];

	for (unsigned i = 0; i < row->nbounds; i++) {
		cumulative += h->buckets[i];
		expfmt_format_double(le, row->bounds[i]);
		status_put(b, buckets, le, status_uint_json(cumulative));
	}
	status_put(b, buckets, "+Inf", status_uint_json(h->count));
	status_put(b, o, "count", status_uint_json(h->count));
	status_put(b, o, "sum", json_real(h->sum));
	status_put(b, o, "buckets", buckets);
	return o;
}

/* {"name": count, ...} of the states (1..TCPH_STATE_MAX) or the timers (0..TCPH_TIMER_MAX). */
static json_t *by_name_json(struct status_builder *b, const uint32_t *counts, unsigned first,
			    unsigned last, const char *(*name_of)(unsigned), uint64_t *total)
{
	json_t *o = json_object();

	for (unsigned i = first; i <= last; i++) {
		const char *name = name_of(i);

		if (!name)
			continue;
		status_put(b, o, name, json_integer(counts[i]));
		*total += counts[i];
	}
	return o;
}

void status_slot_fields(struct status_builder *b, json_t *o, const struct tcpagg_slot *c, bool histograms)
{
	for (unsigned f = 0; f < FIELDS_TCP_COUNT; f++) {
		const struct fields_row *row = &fields_tcp[f];
		const void *at = (const char *)c + row->offset;
		uint64_t total = 0;

		switch (row->kind) {
		case FIELD_SLOT_STATES:
			status_put(b, o, row->json, by_name_json(b, at, 1, TCPH_STATE_MAX, fields_state_name, &total));
			status_put(b, o, "sockets", status_uint_json(total));
			break;
		case FIELD_SLOT_TIMERS:
			status_put(b, o, row->json, by_name_json(b, at, 0, TCPH_TIMER_MAX, fields_timer_name, &total));
			break;
		case FIELD_SLOT_U32:
		case FIELD_SLOT_U64:
			status_put(b, o, row->json, status_uint_json(fields_value(c, row->kind, row->offset)));
			break;
		case FIELD_SLOT_HISTOGRAM:
			status_put(b, o, row->json, histograms ? histogram_json(b, row, at) : json_null());
			break;
		default:
			break;
		}
	}
}

json_t *status_address_json(uint8_t family, const uint8_t *addr)
{
	char text[INET6_ADDRSTRLEN];

	if (!inet_ntop(family == AF_INET6 ? AF_INET6 : AF_INET, addr, text, sizeof(text)))
		snprintf(text, sizeof(text), "?");
	return json_string(text);
}

bool status_is_loopback(uint8_t family, const uint8_t *addr)
{
	static const uint8_t v6_loopback[16] = { [15] = 1 };
	static const uint8_t v4_mapped[12] = { [10] = 0xff, [11] = 0xff };

	if (family == AF_INET)
		return addr[0] == 127;
	if (memcmp(addr, v6_loopback, 16) == 0)
		return true;
	return memcmp(addr, v4_mapped, 12) == 0 && addr[12] == 127;
}

/* The addresses a listener is bound to: [{family, address, loopback, process}]. */
static json_t *addresses_json(struct status_builder *b, const struct tcpagg_listener *l)
{
	json_t *list = json_array();

	for (unsigned a = 0; a < l->n_addresses; a++) {
		const struct tcpagg_listener_address *la = &l->addresses[a];
		json_t *ao = json_object();

		status_put(b, ao, "family", json_string(fields_family_of(la->family)));
		status_put(b, ao, "address", status_address_json(la->family, la->addr));
		status_put(b, ao, "loopback", json_boolean(status_is_loopback(la->family, la->addr)));
		status_put(b, ao, "process", json_string(la->process));
		status_append(b, list, ao);
	}
	return list;
}

void status_listener_fields(struct status_builder *b, json_t *o, const struct tcpagg_listener *l)
{
	for (unsigned f = 0; f < FIELDS_TCP_COUNT; f++) {
		const struct fields_row *row = &fields_tcp[f];

		switch (row->kind) {
		case FIELD_LISTENER_UP:
			status_put_key(b, o, row->json, json_boolean(l->sockets > 0));
			break;
		case FIELD_LISTENER_INFO:
			status_put_key(b, o, row->json, addresses_json(b, l));
			break;
		case FIELD_LISTENER_U64:
			status_put_key(b, o, row->json, status_uint_json(fields_value(l, row->kind, row->offset)));
			break;
		default:
			break;
		}
	}
}

void status_target_fields(struct status_builder *b, json_t *tcp_json, const struct tcp_result *tcp)
{
	for (unsigned f = 0; f < FIELDS_TCP_COUNT; f++) {
		const struct fields_row *row = &fields_tcp[f];
		json_t *o;

		switch (row->kind) {
		case FIELD_SOCKETS_SCANNED:
			o = json_object();
			for (int i = 0; i < TCPAGG_FAMILIES; i++)
				status_put(b, o, fields_family_names[i], status_uint_json(tcp->sockets_scanned[i]));
			break;
		case FIELD_PORTS_FOLDED:
			o = json_object();
			for (int r = 0; r < CLASSIFY_ROLES; r++)
				status_put(b, o, fields_role_names[r], status_uint_json(tcp->folded[r]));
			break;
		case FIELD_DUMP_RETRIES:
			o = status_uint_json(tcp->dump_retries_total);
			break;
		case FIELD_DUMP_REQUESTS:
			o = status_uint_json(tcp->dump_requests);
			break;
		default:
			continue;
		}
		status_put(b, tcp_json, row->json, o);
	}
}
