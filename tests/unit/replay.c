/* replay.c — recorded netlink dumps replayed by family (see replay.h). */
#include "replay.h"
#include "../../collectors/collectors.h"
#include "../../exporter/snapshot.h"
#include "unit.h"

#include <stdbool.h>

#include <errno.h>
#include <linux/netlink.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

struct replay_call {
	struct replay *replay;
	int index;
	uint8_t family;
	sockdiag_record_fn fn;
	void *fn_ctx;
};

/* Passes each record on, refusing any of another family than the one asked for. */
static int feed(const struct sockdiag_record *record, void *ctx)
{
	struct replay_call *call = ctx;

	if (record->family != call->family)
		return -EPROTO;
	call->replay->records[call->index]++;
	return call->fn(record, call->fn_ctx);
}

/* One recording through sockdiag_parse, as a dump of `family` would deliver it. */
static int replay_one(struct replay *replay, int family, sockdiag_record_fn fn, void *fn_ctx)
{
	struct replay_call call = { replay, family == AF_INET6, (uint8_t)family, fn, fn_ctx };
	const struct nlmsghdr *first = replay->buf[call.index];
	int ret;

	replay->dumps[call.index]++;
	ret = sockdiag_parse(replay->buf[call.index], replay->len[call.index], first->nlmsg_seq, feed,
			     &call);
	if (ret < 0)
		return ret;
	return ret == 1 ? 0 : -EBADMSG; /* a recording ends with NLMSG_DONE */
}

int replay_dump(void *ctx, int family, sockdiag_record_fn fn, void *fn_ctx)
{
	struct replay *replay = ctx;
	int ret;

	if (family == SOCKDIAG_ONE_WALK) {
		replay->one_walks++;
		ret = replay_one(replay, AF_INET, fn, fn_ctx);
		return ret < 0 ? ret : replay_one(replay, AF_INET6, fn, fn_ctx);
	}
	if (family != AF_INET && family != AF_INET6)
		return -EAFNOSUPPORT;
	return replay_one(replay, family, fn, fn_ctx);
}

char *replay_load_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long size;

	if (!f)
		return NULL;
	ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
	size = ftell(f);
	ck_assert_int_ge(size, 0);
	rewind(f);
	buf = malloc((size_t)size + 1);
	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_eq(fread(buf, 1, (size_t)size, f), (size_t)size);
	fclose(f);
	buf[size] = '\0';
	*len = (size_t)size;
	return buf;
}

/* One recorded ending of each kind (tests/data/events/README.md), fed to the tcp.events
 * collector as one buffer: the golden file shows every outcome's line. */
static const char *const replay_events[] = {
	"a.client.0000", "b.client.0000", "c.client.0000", "d.client.0000", "e.client.0000",
	"e.server.0000", "e.server.0001", "f.client.0000", "g_cc_data.client.0000",
	"g_cc_data.server.0000", "h_queued.server.0000", "k.client.0000", "k.client.0001",
	"m.client.0000", "n_a.client.0000", "n_e.client.0000",
};

static void load_events(struct replay *replay)
{
	const unsigned n = sizeof(replay_events) / sizeof(replay_events[0]);
	char name[96];

	replay->events = malloc(n * 512);
	ck_assert_ptr_nonnull(replay->events);
	replay->events_len = 0;
	for (unsigned i = 0; i < n; i++) {
		size_t len;
		char *buf;

		snprintf(name, sizeof(name), "events/%s.bin", replay_events[i]);
		buf = replay_load_file(unit_data_path(name), &len);
		ck_assert_msg(buf != NULL && len <= 512 && len % 4 == 0, "cannot use %s", name);
		memcpy((char *)replay->events + replay->events_len, buf, len);
		replay->events_len += len;
		free(buf);
	}
}

void replay_load(struct replay *replay)
{
	static const char *const names[2] = { "dump_ipv4.bin", "dump_ipv6.bin" };

	memset(replay, 0, sizeof(*replay));
	for (int i = 0; i < 2; i++) {
		replay->buf[i] = replay_load_file(unit_data_path(names[i]), &replay->len[i]);
		ck_assert_msg(replay->buf[i] != NULL, "cannot read %s", unit_data_path(names[i]));
	}
	load_events(replay);
}

struct snapshot *replay_snapshot(struct replay *replay, uint64_t scan_number)
{
	static const uint16_t listen_ports[] = REPLAY_LISTEN_PORTS;
	struct collectors_config config = {
		.classify = { .listen_ports = listen_ports, .n_listen_ports = 3, .max_ports = 250 },
		.idle_threshold_seconds = 300,
		.tcp_dump = replay_dump,
		.tcp_dump_ctx = replay,
		.events_recent = 100,
	};
	bool enabled[COLLECTORS_MAX] = { false };
	char proc_root[512];
	struct collectors *c;
	struct snapshot *s = NULL;

	replay_load(replay);
	snprintf(proc_root, sizeof(proc_root), "%s", unit_data_path("proc"));
	config.proc_root = proc_root;
	config.events_replay = replay->events;
	config.events_replay_len = replay->events_len;
	for (unsigned i = 0; i < collectors_count; i++)
		enabled[i] = true;
	ck_assert_int_eq(collectors_create(&c, enabled, &config), 0);
	ck_assert_int_eq(snapshot_take(c, scan_number, &s), 0);
	collectors_destroy(c);
	ck_assert_uint_eq(s->data.n_targets, 1);
	ck_assert_ptr_nonnull(s->data.targets[0].tcp);
	return s;
}

void replay_free(struct replay *replay)
{
	for (int i = 0; i < 2; i++) {
		free(replay->buf[i]);
		replay->buf[i] = NULL;
	}
	free(replay->events);
	replay->events = NULL;
}

double unit_sample(const char *metrics, const char *name, const char *labels)
{
	char prefix[256];
	const char *p;

	snprintf(prefix, sizeof(prefix), "\n%s{%s} ", name, labels);
	p = strstr(metrics, prefix);
	ck_assert_msg(p != NULL, "no sample %s", prefix + 1);
	return strtod(p + strlen(prefix), NULL);
}

unsigned unit_count(const char *text, const char *needle)
{
	unsigned n = 0;

	for (const char *p = strstr(text, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}
