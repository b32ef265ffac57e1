/* status_fields.c — the tcp field table's rows in the status document (see status_build.h):
 * each row's value under its JSON key, in the shape of its kind. The document's other parts
 * and its judgements are status.c's. */
#include "status_build.h"

#include "expfmt.h"
#include "fields.h"

#include <stdio.h>
#include <string.h>

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
		default:
			continue;
		}
		status_put(b, tcp_json, row->json, o);
	}
}
