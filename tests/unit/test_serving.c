/* test_serving.c — the pieces of the HTTP server that stand alone: the per-address
 * connection, handshake and place counts (clients.c) against a model, through wrap-around,
 * deletion inside probe runs and a full table; the fair admission rule of --web.max-requests,
 * played out as a flood would; the token buckets of new TLS connections (buckets.c); the
 * route table; the listening sockets' ports and URL. */
#include "../../exporter/buckets.h"
#include "../../exporter/clients.h"
#include "../../exporter/listen.h"
#include "../../exporter/routes.h"
#include "unit.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MODEL_ADDRESSES 12
#define MODEL_MAX 8 /* the smallest table: 16 slots, half of them used at most */

static struct client_address model_address(int i)
{
	struct client_address a;

	memset(&a, 0, sizeof(a));
	a.family = i % 2 ? AF_INET : AF_INET6;
	a.addr[0] = (uint8_t)i;
	a.addr[15] = (uint8_t)(i * 7);
	return a;
}

START_TEST(clients_agree_with_a_model)
{
	struct clients *c;
	unsigned model[MODEL_ADDRESSES] = { 0 }, hs[MODEL_ADDRESSES] = { 0 };
	unsigned places[MODEL_ADDRESSES] = { 0 }, used = 0;
	unsigned refused = 0, placed_max = 0;

	ck_assert_int_eq(clients_create(&c, MODEL_MAX), 0);
	srand(17);
	for (int step = 0; step < 20000; step++) {
		int i = rand() % MODEL_ADDRESSES;
		struct client_address a = model_address(i);

		int op = rand() % 4;

		if (op == 3) { /* a place taken or returned */
			if (rand() % 2) {
				ck_assert(clients_take_place(c, &a) == (model[i] > 0));
				if (model[i])
					places[i]++;
			} else {
				clients_return_place(c, &a); /* also when it holds none: ignored */
				if (places[i])
					places[i]--;
			}
		} else if (op == 2) { /* a handshake of one of its connections begins or ends */
			bool begins = rand() % 2;

			clients_handshake(c, &a, begins); /* ignored for an address not counted */
			if (begins && hs[i] < model[i])
				hs[i]++;
			else if (!begins && hs[i])
				hs[i]--;
		} else if (op == 1) {
			bool room = model[i] > 0 || used < MODEL_MAX;

			ck_assert(clients_add(c, &a) == room);
			if (!room) {
				refused++;
				continue;
			}
			if (model[i]++ == 0)
				used++;
		} else {
			clients_release(c, &a); /* also for an address not counted: ignored */
			if (hs[i] && hs[i] >= model[i])
				hs[i]--;
			/* its last connection gone: its places with it */
			if (model[i] && --model[i] == 0) {
				used--;
				places[i] = 0;
			}
		}
		ck_assert_uint_eq(clients_used(c), used);
		{
			unsigned placed = 0;

			for (int k = 0; k < MODEL_ADDRESSES; k++) {
				struct client_address b = model_address(k);

				ck_assert_uint_eq(clients_count(c, &b), model[k]);
				ck_assert_uint_eq(clients_handshakes(c, &b), hs[k]);
				ck_assert_uint_eq(clients_places(c, &b), places[k]);
				placed += places[k] > 0;
			}
			ck_assert_uint_eq(clients_placed(c), placed);
			if (placed > placed_max)
				placed_max = placed;
		}
	}
	ck_assert_uint_gt(refused, 0); /* the table was full at times */
	ck_assert_uint_gt(placed_max, 2); /* places were held by several addresses at once */
	clients_destroy(c);
}
END_TEST

START_TEST(place_rule_edges)
{
	/* 40 places: a first place while any is free, extra ones from a pool of 20 */
	ck_assert(clients_place_allowed(39, 40, 0, 39));
	ck_assert(!clients_place_allowed(40, 40, 0, 0));
	ck_assert(clients_place_allowed(20, 40, 20, 1));   /* alone: 1 + 20 at most */
	ck_assert(!clients_place_allowed(21, 40, 21, 1));
	ck_assert(!clients_place_allowed(22, 40, 11, 2)); /* two: 10 each from the pool */
	ck_assert(clients_place_allowed(21, 40, 10, 2));
	ck_assert(!clients_place_allowed(36, 40, 1, 16)); /* the pool is used up */
	ck_assert(clients_place_allowed(0, 0, 1000, 1));  /* no limit */
	ck_assert(clients_place_allowed(0, 1, 0, 0));
	ck_assert(clients_place_allowed(1, 2, 1, 1)); /* 2 places: a pool of 1 */
	ck_assert(!clients_place_allowed(2, 2, 1, 2)); /* 1 + 1 held: full */
	ck_assert(clients_place_allowed(1, 3, 1, 1));
	ck_assert(!clients_place_allowed(2, 3, 2, 1)); /* 3 places: a pool of 1, the third for another */
	ck_assert(clients_place_allowed(2, 3, 0, 1));
}
END_TEST

/* Attackers ask for a place as fast as they can, taking places from every address in turn,
 * while places are returned at random (scrapes answered): whatever the order, a request
 * from an address that holds none always finds a place while fewer than max / 2 addresses
 * hold one, and no address ends up with more than 1 + max / 2. */
START_TEST(place_rule_under_a_flood)
{
	enum { MAX = 40, ADDRESSES = 19 };
	unsigned held[ADDRESSES] = { 0 }, total = 0, placed = 0;

	srand(7);
	for (int step = 0; step < 200000; step++) {
		int i = rand() % ADDRESSES;

		if (rand() % 3 == 0) {
			if (held[i]) {
				total--;
				if (--held[i] == 0)
					placed--;
			}
			continue;
		}
		if (clients_place_allowed(total, MAX, held[i], placed)) {
			total++;
			if (held[i]++ == 0)
				placed++;
		}
		ck_assert_uint_le(held[i], 1 + MAX / 2);
		ck_assert_uint_le(total, placed + MAX / 2);
		/* another address, holding none: never refused */
		ck_assert(clients_place_allowed(total, MAX, 0, placed));
	}
}
END_TEST

/* Rate 10 a second, burst 20: a full bucket gives 20 at once, then one every 100 ms; an
 * address's bucket is its own; other addresses, however many, do not refill a drained one
 * (the entry nearest to full is the one given up); a second of rest refills half. */
START_TEST(buckets_rate_and_burst)
{
	struct buckets *b;
	struct client_address a = model_address(1), other = model_address(2);
	const long long t0 = 1000000000LL, ms = 1000000LL;
	unsigned n = 0;

	ck_assert_int_eq(buckets_create(&b, 0), -EINVAL);
	ck_assert_int_eq(buckets_create(&b, BUCKETS_MAX_RATE + 1), -EINVAL);
	ck_assert_int_eq(buckets_create(&b, 10), 0);
	while (buckets_take(b, &a, t0))
		n++;
	ck_assert_uint_eq(n, 20);
	ck_assert(buckets_take(b, &other, t0)); /* another address: a bucket of its own */
	ck_assert(!buckets_take(b, &a, t0 + 99 * ms));
	ck_assert(buckets_take(b, &a, t0 + 100 * ms));
	ck_assert(!buckets_take(b, &a, t0 + 100 * ms));
	for (unsigned i = 0; i < 100000; i++) { /* 100,000 addresses, far more than the table */
		struct client_address x = { .family = AF_INET6 };

		memcpy(x.addr, &i, sizeof(i));
		x.addr[15] = 0xee;
		ck_assert(buckets_take(b, &x, t0 + 100 * ms));
	}
	ck_assert(!buckets_take(b, &a, t0 + 150 * ms)); /* still drained */
	n = 0;
	while (buckets_take(b, &a, t0 + 1100 * ms))
		n++;
	ck_assert_uint_eq(n, 10);
	buckets_destroy(b);
}
END_TEST

START_TEST(routes_table)
{
	const struct route *r;

	ck_assert_ptr_nonnull(r = routes_find("/metrics", "/metrics"));
	ck_assert_int_eq(r->kind, ROUTE_VIEW);
	ck_assert_int_eq(r->view, SNAPSHOT_VIEW_METRICS_TEXT);
	ck_assert_ptr_nonnull(r = routes_find("/custom", "/custom"));
	ck_assert_int_eq(r->view, SNAPSHOT_VIEW_METRICS_TEXT);
	ck_assert_ptr_null(routes_find("/metrics", "/custom"));
	ck_assert_int_eq(routes_find("/", "/metrics")->view, SNAPSHOT_VIEW_STATUS_HTML);
	ck_assert_int_eq(routes_find(HTTP_STATUS_API_PATH, "/metrics")->view, SNAPSHOT_VIEW_STATUS_JSON);
	ck_assert_int_eq(routes_find(HTTP_HEALTHY_PATH, "/metrics")->kind, ROUTE_HEALTHY);
	ck_assert_int_eq(routes_find(HTTP_READY_PATH, "/metrics")->kind, ROUTE_READY);
	ck_assert_ptr_null(routes_find("/-/healthy/", "/metrics"));
	ck_assert(routes_reserved("/-/healthy"));
	ck_assert(routes_reserved("/-/ready"));
	ck_assert(routes_reserved("/api/v1/status"));
	ck_assert(!routes_reserved("/metrics"));
	ck_assert(!routes_reserved("/api/v1/status/x"));
}
END_TEST

/* A listening socket on loopback (IPv4, or IPv6 when `v6`), any port; its port in *port. */
static int listening(bool v6, const char *host, uint16_t *port)
{
	struct sockaddr_storage ss = { 0 };
	socklen_t len;
	int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0);

	ck_assert_int_ge(fd, 0);
	if (v6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		sin6->sin6_family = AF_INET6;
		ck_assert_int_eq(inet_pton(AF_INET6, host, &sin6->sin6_addr), 1);
		len = sizeof(*sin6);
	} else {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		sin->sin_family = AF_INET;
		ck_assert_int_eq(inet_pton(AF_INET, host, &sin->sin_addr), 1);
		len = sizeof(*sin);
	}
	if (bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, 1) < 0) {
		close(fd);
		return -1; /* no IPv6 here */
	}
	len = sizeof(ss);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&ss, &len), 0);
	*port = ntohs(v6 ? ((struct sockaddr_in6 *)&ss)->sin6_port : ((struct sockaddr_in *)&ss)->sin_port);
	return fd;
}

START_TEST(listen_ports_and_url)
{
	uint16_t loop_port, any_port, v6_port, ports[4];
	int loop = listening(false, "127.0.0.1", &loop_port);
	int any = listening(false, "0.0.0.0", &any_port);
	int v6 = listening(true, "::1", &v6_port);
	struct listeners l = { .fds = { loop, any }, .n = 2 };
	char text[128], expected[128];

	ck_assert_int_ge(loop, 0);
	ck_assert_int_ge(any, 0);
	ck_assert_uint_eq(listen_ports(&l, ports, 4), 2);
	ck_assert_uint_eq(ports[0], loop_port);
	ck_assert_uint_eq(ports[1], any_port);
	ck_assert_uint_eq(listen_ports(&l, ports, 1), 1); /* at most max */
	listen_describe(&l, text, sizeof(text));
	snprintf(expected, sizeof(expected), "127.0.0.1:%u, 0.0.0.0:%u", loop_port, any_port);
	ck_assert_str_eq(text, expected);
	/* The URL is the first socket's: its address, or localhost for the wildcard. */
	listen_url(&l, false, text, sizeof(text));
	snprintf(expected, sizeof(expected), "http://127.0.0.1:%u/", loop_port);
	ck_assert_str_eq(text, expected);
	l.fds[0] = any;
	listen_url(&l, true, text, sizeof(text));
	snprintf(expected, sizeof(expected), "https://localhost:%u/", any_port);
	ck_assert_str_eq(text, expected);
	if (v6 >= 0) { /* the machine has IPv6 loopback */
		l.fds[0] = v6;
		listen_url(&l, false, text, sizeof(text));
		snprintf(expected, sizeof(expected), "http://[::1]:%u/", v6_port);
		ck_assert_str_eq(text, expected);
		close(v6);
	}
	close(loop);
	close(any);
}
END_TEST

Suite *serving_suite(void)
{
	Suite *s = suite_create("serving");
	TCase *tc = tcase_create("core");

	/* A guard against a hang, not a measure of speed: the model and flood cases take 2-3 s
	 * under ASan alone, more when make unit runs the ASan and valgrind runners at once on a
	 * loaded machine; Check's default 4 s cut them. */
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, clients_agree_with_a_model);
	tcase_add_test(tc, place_rule_edges);
	tcase_add_test(tc, place_rule_under_a_flood);
	tcase_add_test(tc, buckets_rate_and_burst);
	tcase_add_test(tc, routes_table);
	tcase_add_test(tc, listen_ports_and_url);
	suite_add_tcase(s, tc);
	return s;
}
