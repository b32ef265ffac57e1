/* test_classify.c — the port/role policy and the cardinality cap. */
#include "../../collectors/classify.h"
#include "../../collectors/diag_compat.h"
#include "unit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static struct classify *c;
static const uint16_t listen_ports[] = { 1202, 3720 };
static const uint16_t client_ports[] = { 40000 };

static void setup_with(unsigned max_ports)
{
	const struct classify_config config = {
		.listen_ports = listen_ports, .n_listen_ports = 2,
		.client_ports = client_ports, .n_client_ports = 1,
		.max_ports = max_ports,
	};

	c = malloc(sizeof(*c));
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(classify_init(c, &config), 0);
	classify_begin(c, 32768, 60999);
}

static void setup(void)
{
	setup_with(250);
}

static void teardown(void)
{
	classify_fini(c);
	free(c);
}

/* Port label of a socket: a number, or -1 for "other". */
static int port_of(uint8_t state, uint16_t local, uint16_t remote, enum classify_role *role)
{
	unsigned slot = classify_socket(c, state, local, remote, role);

	return slot == classify_other_slot(c) ? -1 : classify_slot_port(c, *role, slot);
}

START_TEST(listener_is_server_on_local_port)
{
	enum classify_role role;

	ck_assert_int_eq(port_of(TCPH_LISTEN, 8080, 0, &role), 8080);
	ck_assert_int_eq(role, CLASSIFY_SERVER);
	ck_assert(classify_is_listening(c, 8080));
}
END_TEST

START_TEST(connection_on_listening_port_is_server_even_with_ephemeral_local_port)
{
	enum classify_role role;

	port_of(TCPH_LISTEN, 45000, 0, &role);
	ck_assert_int_eq(port_of(TCPH_ESTABLISHED, 45000, 50000, &role), 45000);
	ck_assert_int_eq(role, CLASSIFY_SERVER);
}
END_TEST

START_TEST(expected_port_without_listener_is_server)
{
	enum classify_role role;

	/* The listener died; its CLOSE_WAIT leftovers still count under the service port. */
	ck_assert_int_eq(port_of(TCPH_CLOSE_WAIT, 1202, 80, &role), 1202);
	ck_assert_int_eq(role, CLASSIFY_SERVER);
}
END_TEST

START_TEST(unexpected_non_ephemeral_local_with_ephemeral_remote_is_server)
{
	enum classify_role role;

	ck_assert_int_eq(port_of(TCPH_CLOSE_WAIT, 9000, 41000, &role), 9000);
	ck_assert_int_eq(role, CLASSIFY_SERVER);
}
END_TEST

START_TEST(client_to_well_known_port)
{
	enum classify_role role;

	ck_assert_int_eq(port_of(TCPH_ESTABLISHED, 41000, 443, &role), 443);
	ck_assert_int_eq(role, CLASSIFY_CLIENT);
	/* Both ports outside the ephemeral range and no listener: the remote one is the
	 * service (e.g. a client bound to a fixed source port). */
	ck_assert_int_eq(port_of(TCPH_SYN_SENT, 1023, 22, &role), 22);
	ck_assert_int_eq(role, CLASSIFY_CLIENT);
}
END_TEST

START_TEST(client_to_ephemeral_port_is_other_unless_configured)
{
	enum classify_role role;

	ck_assert_int_eq(port_of(TCPH_ESTABLISHED, 41000, 50000, &role), -1);
	ck_assert_int_eq(role, CLASSIFY_CLIENT);
	ck_assert_int_eq(port_of(TCPH_ESTABLISHED, 41000, 40000, &role), 40000);
	ck_assert_int_eq(role, CLASSIFY_CLIENT);
	ck_assert_uint_eq(c->roles[CLASSIFY_CLIENT].folded, 0);
}
END_TEST

START_TEST(ephemeral_range_comes_from_the_scan)
{
	enum classify_role role;

	classify_begin(c, 1024, 65535);
	ck_assert_int_eq(port_of(TCPH_ESTABLISHED, 41000, 8080, &role), -1);
	ck_assert_int_eq(role, CLASSIFY_CLIENT);
	ck_assert_int_eq(port_of(TCPH_ESTABLISHED, 1000, 8080, &role), 1000);
	ck_assert_int_eq(role, CLASSIFY_SERVER);
}
END_TEST

START_TEST(configured_ports_hold_slots_from_the_start)
{
	ck_assert_uint_eq(c->roles[CLASSIFY_SERVER].used, 2);
	ck_assert_uint_eq(c->roles[CLASSIFY_CLIENT].used, 1);
	ck_assert_uint_eq(classify_slot_port(c, CLASSIFY_SERVER, 0), 1202);
	ck_assert_uint_eq(classify_slot_port(c, CLASSIFY_CLIENT, 0), 40000);
}
END_TEST

START_TEST(cap_folds_into_other_and_counts)
{
	enum classify_role role;

	teardown();
	setup_with(3); /* 1202 and 3720 take two server slots */
	ck_assert_int_eq(port_of(TCPH_LISTEN, 80, 0, &role), 80);
	ck_assert_int_eq(port_of(TCPH_LISTEN, 443, 0, &role), -1);
	ck_assert_int_eq(port_of(TCPH_ESTABLISHED, 443, 41000, &role), -1);
	ck_assert_int_eq(role, CLASSIFY_SERVER);
	ck_assert_int_eq(port_of(TCPH_ESTABLISHED, 80, 41000, &role), 80);
	ck_assert_uint_eq(c->roles[CLASSIFY_SERVER].folded, 2);
	ck_assert_uint_eq(c->roles[CLASSIFY_SERVER].used, 3);

	/* A new scan: folded count and listeners reset; configured ports and the ports that
	 * had sockets keep their slots, so 443 still folds rather than taking 80's place. */
	classify_begin(c, 32768, 60999);
	ck_assert_uint_eq(c->roles[CLASSIFY_SERVER].used, 3);
	ck_assert_uint_eq(c->roles[CLASSIFY_SERVER].folded, 0);
	ck_assert(!classify_is_listening(c, 80));
	ck_assert_int_eq(port_of(TCPH_LISTEN, 443, 0, &role), -1);
	ck_assert_uint_eq(c->roles[CLASSIFY_SERVER].folded, 1);

	/* 80 had no socket in that scan: the next one frees its slot for 443. */
	classify_begin(c, 32768, 60999);
	ck_assert_uint_eq(c->roles[CLASSIFY_SERVER].used, 2);
	ck_assert_int_eq(port_of(TCPH_LISTEN, 443, 0, &role), 443);
}
END_TEST

START_TEST(slots_keep_their_order_across_scans)
{
	enum classify_role role;

	port_of(TCPH_ESTABLISHED, 41000, 9000, &role);
	port_of(TCPH_ESTABLISHED, 41001, 80, &role);
	classify_begin(c, 32768, 60999);
	/* 80 arrives first this time, but the slots carried over keep last scan's order. */
	ck_assert_uint_eq(c->roles[CLASSIFY_CLIENT].used, 3);
	ck_assert_uint_eq(classify_slot_port(c, CLASSIFY_CLIENT, 1), 9000);
	ck_assert_uint_eq(classify_slot_port(c, CLASSIFY_CLIENT, 2), 80);
}
END_TEST

START_TEST(invalid_configs_are_rejected)
{
	struct classify *d = malloc(sizeof(*d));
	struct classify_config config = { .listen_ports = listen_ports, .n_listen_ports = 2 };

	ck_assert_ptr_nonnull(d);
	config.max_ports = 0;
	ck_assert_int_eq(classify_init(d, &config), -EINVAL);
	config.max_ports = CLASSIFY_MAX_PORTS_LIMIT + 1;
	ck_assert_int_eq(classify_init(d, &config), -EINVAL);
	config.max_ports = 1; /* two expected ports cannot fit */
	ck_assert_int_eq(classify_init(d, &config), -EINVAL);
	free(d);
}
END_TEST

static const char *write_temp(const char *content)
{
	static char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "/tmp/tcph_unit_%d", (int)getpid());
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(content, f);
	fclose(f);
	return path;
}

START_TEST(ephemeral_range_file_parsing)
{
	uint16_t low = 0, high = 0;
	const char *path;

	path = write_temp("32768\t60999\n");
	ck_assert_int_eq(classify_read_ephemeral_range(path, &low, &high), 0);
	ck_assert_uint_eq(low, 32768);
	ck_assert_uint_eq(high, 60999);
	path = write_temp("1024 65535");
	ck_assert_int_eq(classify_read_ephemeral_range(path, &low, &high), 0);
	ck_assert_uint_eq(high, 65535);
	path = write_temp("60999 32768\n");
	ck_assert_int_eq(classify_read_ephemeral_range(path, &low, &high), -EINVAL);
	path = write_temp("32768\n");
	ck_assert_int_eq(classify_read_ephemeral_range(path, &low, &high), -EINVAL);
	path = write_temp("abc def\n");
	ck_assert_int_eq(classify_read_ephemeral_range(path, &low, &high), -EINVAL);
	path = write_temp("1 70000\n");
	ck_assert_int_eq(classify_read_ephemeral_range(path, &low, &high), -EINVAL);
	unlink(path);
	ck_assert_int_eq(classify_read_ephemeral_range(path, &low, &high), -ENOENT);
}
END_TEST

Suite *classify_suite(void)
{
	Suite *s = suite_create("classify");
	TCase *tc = tcase_create("policy");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, listener_is_server_on_local_port);
	tcase_add_test(tc, connection_on_listening_port_is_server_even_with_ephemeral_local_port);
	tcase_add_test(tc, expected_port_without_listener_is_server);
	tcase_add_test(tc, unexpected_non_ephemeral_local_with_ephemeral_remote_is_server);
	tcase_add_test(tc, client_to_well_known_port);
	tcase_add_test(tc, client_to_ephemeral_port_is_other_unless_configured);
	tcase_add_test(tc, ephemeral_range_comes_from_the_scan);
	tcase_add_test(tc, configured_ports_hold_slots_from_the_start);
	tcase_add_test(tc, cap_folds_into_other_and_counts);
	tcase_add_test(tc, slots_keep_their_order_across_scans);
	tcase_add_test(tc, invalid_configs_are_rejected);
	tcase_add_test(tc, ephemeral_range_file_parsing);
	suite_add_tcase(s, tc);
	return s;
}
