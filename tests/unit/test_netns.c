/* test_netns.c — labels from cgroup paths, namespace names and labels, the --netns flag,
 * one classify shared by targets in turn (classify_carry), and the workers' repeated
 * errors logged once per interval. */
#include "../../collectors/classify.h"
#include "../../collectors/collectors.h"
#include "../../collectors/netns.h"
#include "../../collectors/workers.h"
#include "../../lib/log.h"
#include "../../exporter/snapshot.h"
#include "../../exporter/flags.h"
#include "unit.h"

#include <errno.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define UID "0b0d6a1e-3c9f-4d2a-9e1b-7c5f2a8d4e60"
#define UID_ "0b0d6a1e_3c9f_4d2a_9e1b_7c5f2a8d4e60"
#define ID "4f7e0c1d2b3a49586776a5b4c3d2e1f00112233445566778899aabbccddeeff0"
#define ID2 "aa7e0c1d2b3a49586776a5b4c3d2e1f00112233445566778899aabbccddeeff1"

static char pod[NETNS_POD_UID_LEN + 1], cid[NETNS_CONTAINER_ID_LEN + 1];

static void labels(const char *cgroup)
{
	memset(pod, 'x', sizeof(pod));
	memset(cid, 'x', sizeof(cid));
	netns_cgroup_labels(cgroup, pod, cid);
}

START_TEST(kubelet_systemd_layouts)
{
	/* containerd under the systemd cgroup driver, cgroup v2 */
	labels("0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" UID_
	       ".slice/cri-containerd-" ID ".scope\n");
	ck_assert_str_eq(pod, UID);
	ck_assert_str_eq(cid, ID);
	/* Guaranteed QoS has no QoS slice; CRI-O names its scopes crio-<id>. */
	labels("0::/kubepods.slice/kubepods-pod" UID_ ".slice/crio-" ID ".scope\n");
	ck_assert_str_eq(pod, UID);
	ck_assert_str_eq(cid, ID);
	labels("0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_
	       ".slice/docker-" ID ".scope\n");
	ck_assert_str_eq(pod, UID);
	ck_assert_str_eq(cid, ID);
	/* CRI-O's conmon runs in a scope of its own: a pod, but not a container. */
	labels("0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_
	       ".slice/crio-conmon-" ID ".scope\n");
	ck_assert_str_eq(pod, UID);
	ck_assert_str_eq(cid, "");
	/* The pod's own slice (a process placed there directly). */
	labels("0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" UID_ ".slice\n");
	ck_assert_str_eq(pod, UID);
	ck_assert_str_eq(cid, "");
}
END_TEST

START_TEST(kubelet_cgroupfs_layouts)
{
	labels("0::/kubepods/besteffort/pod" UID "/" ID "\n");
	ck_assert_str_eq(pod, UID);
	ck_assert_str_eq(cid, ID);
	labels("0::/kubepods/pod" UID "/" ID "\n"); /* Guaranteed */
	ck_assert_str_eq(pod, UID);
	ck_assert_str_eq(cid, ID);
	/* cgroup v1 only (no "0::" line), as on older nodes. */
	labels("12:memory:/kubepods/burstable/pod" UID "/" ID "\n"
	       "1:name=systemd:/kubepods/burstable/pod" UID "/" ID "\n");
	ck_assert_str_eq(pod, UID);
	ck_assert_str_eq(cid, ID);
}
END_TEST

START_TEST(docker_podman_containerd_layouts)
{
	labels("0::/system.slice/docker-" ID ".scope\n");
	ck_assert_str_eq(pod, "");
	ck_assert_str_eq(cid, ID);
	labels("11:cpu,cpuacct:/docker/" ID "\n0::/\n");
	ck_assert_str_eq(cid, ID);
	/* podman: systemd driver (the container's processes sit in a "container" child),
	 * cgroupfs driver */
	labels("0::/machine.slice/libpod-" ID ".scope/container\n");
	ck_assert_str_eq(cid, ID);
	labels("0::/libpod_parent/libpod-" ID "\n");
	ck_assert_str_eq(cid, ID);
	labels("0::/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-conmon-" ID
	       ".scope\n");
	ck_assert_str_eq(cid, "");
	/* containerd without Kubernetes: /<namespace>/<id> */
	labels("0::/default/" ID "\n");
	ck_assert_str_eq(cid, ID);
	/* Nested: the innermost id is the process's own container. */
	labels("0::/docker/" ID "/docker/" ID2 "\n");
	ck_assert_str_eq(cid, ID2);
}
END_TEST

START_TEST(hybrid_prefers_v2_then_systemd)
{
	/* v2 line first, whatever the order in the file */
	labels("12:pids:/docker/" ID2 "\n1:name=systemd:/docker/" ID2 "\n0::/system.slice/docker-" ID
	       ".scope\n");
	ck_assert_str_eq(cid, ID);
	/* An empty v2 path (hybrid hosts often leave everything in the root) falls through
	 * to name=systemd, then to the v1 controllers. */
	labels("0::/\n1:name=systemd:/system.slice/docker-" ID ".scope\n12:pids:/docker/" ID2 "\n");
	ck_assert_str_eq(cid, ID);
	labels("0::/\n1:name=systemd:/user.slice\n12:pids:/docker/" ID2 "\n");
	ck_assert_str_eq(cid, ID2);
}
END_TEST

START_TEST(no_labels_from_lookalikes)
{
	labels("");
	ck_assert_str_eq(pod, "");
	ck_assert_str_eq(cid, "");
	labels("0::/init.scope\n");
	ck_assert_str_eq(pod, "");
	ck_assert_str_eq(cid, "");
	/* pod<uid> outside a kubepods hierarchy is someone else's naming */
	labels("0::/user.slice/pod" UID "/x\n");
	ck_assert_str_eq(pod, "");
	/* upper-case, short, long, or wrongly punctuated ids and uids */
	labels("0::/system.slice/docker-4F7E0C1D2B3A49586776A5B4C3D2E1F00112233445566778899AABBCCDDEEFF0.scope\n");
	ck_assert_str_eq(cid, "");
	labels("0::/docker/" "4f7e0c1d2b3a49586776a5b4c3d2e1f00112233445566778899aabbccddeeff" "\n");
	ck_assert_str_eq(cid, "");
	labels("0::/docker/" ID "0\n");
	ck_assert_str_eq(cid, "");
	labels("0::/kubepods/besteffort/pod0b0d6a1e3c9f4d2a9e1b7c5f2a8d4e60aaaa/" ID "\n");
	ck_assert_str_eq(pod, "");
	ck_assert_str_eq(cid, ID);
	labels("0::/kubepods/besteffort/xpod" UID "\n");
	ck_assert_str_eq(pod, "");
	labels("0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" UID_ ".slicex\n");
	ck_assert_str_eq(pod, "");
	/* malformed lines: no colons, one colon, no newline at the end */
	labels("garbage\n0:/docker/" ID "\n::\n0::/docker/" ID);
	ck_assert_str_eq(cid, ID);
	labels("0");
	ck_assert_str_eq(cid, "");
}
END_TEST

START_TEST(names_and_labels)
{
	struct netns_found f = { .ino = 4026532001ull };
	char label[NETNS_NAME_MAX + 24];

	ck_assert(netns_name_valid("blue"));
	ck_assert(netns_name_valid("cni-1f2e3d4c-0000-1111-2222-333344445555"));
	ck_assert(!netns_name_valid(""));
	ck_assert(!netns_name_valid("."));
	ck_assert(!netns_name_valid(".."));
	ck_assert(!netns_name_valid("a/b"));
	ck_assert(!netns_name_valid("tab\there"));
	ck_assert(!netns_name_valid("0123456789012345678901234567890123456789012345678901234567890123x"));
	ck_assert(netns_name_valid("0123456789012345678901234567890123456789012345678901234567890123"));

	/* UTF-8 only: the text format needs it in label values */
	ck_assert(netns_name_valid("caf\xc3\xa9-\xe2\x82\xac-\xf0\x9f\x90\xa7"));
	ck_assert(!netns_name_valid("rvw\xff"));
	ck_assert(!netns_name_valid("\xc0\xaf"));	    /* overlong '/' */
	ck_assert(!netns_name_valid("\xed\xa0\x80"));	    /* a surrogate */
	ck_assert(!netns_name_valid("\xf4\x90\x80\x80")); /* above U+10FFFF */
	ck_assert(!netns_name_valid("\xe2\x82"));	    /* cut short */

	netns_label(&f, label, sizeof(label));
	ck_assert_str_eq(label, "ino_4026532001");
	f.named = true; /* a bind mount whose name cannot be a label */
	snprintf(f.name, sizeof(f.name), "rvw\xff");
	netns_label(&f, label, sizeof(label));
	ck_assert_str_eq(label, "ino_4026532001");
	f.named = false;
	/* Names that read like the labels made up for unnamed namespaces are not used. */
	f.named = true;
	snprintf(f.name, sizeof(f.name), "ino_77");
	netns_label(&f, label, sizeof(label));
	ck_assert_str_eq(label, "ino_4026532001");
	snprintf(f.name, sizeof(f.name), "host");
	netns_label(&f, label, sizeof(label));
	ck_assert_str_eq(label, "ino_4026532001");
	snprintf(f.name, sizeof(f.name), "ino_x");
	netns_label(&f, label, sizeof(label));
	ck_assert_str_eq(label, "ino_x");
	f.host = true;
	snprintf(f.name, sizeof(f.name), "default"); /* Docker's name for the host's */
	netns_label(&f, label, sizeof(label));	      /* PID 1's namespace: "host", named or not */
	ck_assert_str_eq(label, "host");
	f.named = false;
	netns_label(&f, label, sizeof(label));
	ck_assert_str_eq(label, "host");
}
END_TEST

/* ---- --netns -------------------------------------------------------------------------- */

static int parse(struct flags *flags, const char *arg, char *err, size_t errlen)
{
	const char *argv[] = { "x", arg, NULL };
	FILE *devnull = fopen("/dev/null", "w");
	int ret = flags_parse(arg ? 2 : 1, (char **)argv, flags, devnull, err, errlen);

	fclose(devnull);
	return ret;
}

START_TEST(netns_flag)
{
	struct flags *flags = malloc(sizeof(*flags));
	char err[512];

	ck_assert_ptr_nonnull(flags);
	ck_assert_int_eq(parse(flags, NULL, err, sizeof(err)), FLAGS_RUN);
	ck_assert_int_eq(flags->netns.mode, NETNS_SELF);
	ck_assert_uint_eq(flags->netns.max, 256);
	ck_assert_uint_eq(flags->netns.workers, 0);
	ck_assert(flags->tcp.histograms);
	ck_assert_str_eq(flags->collectors.proc_root, "/proc");
	ck_assert_int_eq(parse(flags, "--netns=all", err, sizeof(err)), FLAGS_RUN);
	ck_assert_int_eq(flags->netns.mode, NETNS_ALL);
	ck_assert_int_eq(parse(flags, "--netns=self", err, sizeof(err)), FLAGS_RUN);
	ck_assert_int_eq(flags->netns.mode, NETNS_SELF);
	ck_assert_int_eq(parse(flags, "--netns=blue,red", err, sizeof(err)), FLAGS_RUN);
	ck_assert_int_eq(flags->netns.mode, NETNS_NAMES);
	ck_assert_uint_eq(flags->netns.n_names, 2);
	ck_assert_str_eq(flags->netns.names[0], "blue");
	ck_assert_str_eq(flags->netns.names[1], "red");
	ck_assert_int_eq(parse(flags, "--no-collector.tcp.histograms", err, sizeof(err)), FLAGS_RUN);
	ck_assert(!flags->tcp.histograms);
	ck_assert_int_eq(parse(flags, "--netns.max=3", err, sizeof(err)), FLAGS_RUN);
	ck_assert_uint_eq(flags->netns.max, 3);
	ck_assert_int_eq(parse(flags, "--netns.workers=4", err, sizeof(err)), FLAGS_RUN);
	ck_assert_uint_eq(flags->netns.workers, 4);
	ck_assert_int_eq(parse(flags, "--path.procfs=/host/proc", err, sizeof(err)), FLAGS_RUN);
	ck_assert_str_eq(flags->collectors.proc_root, "/host/proc");

	static const char *const bad[] = {
		"--netns=",	    "--netns=a,,b",	"--netns=,a",	  "--netns=a,",
		"--netns=../etc",   "--netns=a/b",	"--netns=a,a",	  "--netns.max=0",
		"--netns.max=x",    "--netns.workers=0", "--netns.workers=65", "--path.procfs=proc",
		"--netns.max=4097",
	};
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		ck_assert_msg(parse(flags, bad[i], err, sizeof(err)) == -EINVAL, "%s accepted", bad[i]);
		ck_assert_msg(err[0] && !strchr(err, '\n'), "%s: no one-line reason", bad[i]);
	}
	free(flags);
}
END_TEST

/* ---- one classify, many targets ------------------------------------------------------- */

START_TEST(classify_serves_targets_in_turn)
{
	struct classify_config config = { .max_ports = 2 };
	struct classify c;
	enum classify_role role;
	uint16_t a_ports[2], b_ports[2];
	const uint16_t *a[CLASSIFY_ROLES] = { a_ports, NULL }, *b[CLASSIFY_ROLES] = { b_ports, NULL };
	unsigned na[CLASSIFY_ROLES] = { 0, 0 }, nb[CLASSIFY_ROLES] = { 0, 0 };

	ck_assert_int_eq(classify_init(&c, &config), 0);
	/* Target A's first scan: 80 and 443 take the two server slots, 22 folds. */
	classify_carry(&c, a, na);
	classify_begin(&c, 32768, 60999);
	classify_socket(&c, 10, 80, 0, &role);
	classify_socket(&c, 10, 443, 0, &role);
	ck_assert_uint_eq(classify_socket(&c, 10, 22, 0, &role), classify_other_slot(&c));
	na[0] = c.roles[CLASSIFY_SERVER].used;
	for (unsigned i = 0; i < na[0]; i++)
		a_ports[i] = classify_slot_port(&c, CLASSIFY_SERVER, i);
	/* Target B in between, with other ports. */
	classify_carry(&c, b, nb);
	classify_begin(&c, 32768, 60999);
	classify_socket(&c, 10, 22, 0, &role);
	ck_assert_uint_ne(classify_socket(&c, 10, 5432, 0, &role), classify_other_slot(&c));
	nb[0] = c.roles[CLASSIFY_SERVER].used;
	for (unsigned i = 0; i < nb[0]; i++)
		b_ports[i] = classify_slot_port(&c, CLASSIFY_SERVER, i);
	ck_assert_uint_eq(nb[0], 2);
	/* A again, its listeners now met in another order: it keeps 80 and 443, 22 folds. */
	classify_carry(&c, a, na);
	classify_begin(&c, 32768, 60999);
	ck_assert_uint_eq(classify_socket(&c, 10, 22, 0, &role), classify_other_slot(&c));
	ck_assert_uint_ne(classify_socket(&c, 10, 443, 0, &role), classify_other_slot(&c));
	ck_assert_uint_ne(classify_socket(&c, 10, 80, 0, &role), classify_other_slot(&c));
	classify_fini(&c);
}
END_TEST

/* ---- a port leaves once its sockets are gone (through the collectors, as in production) */

struct fake_dump {
	unsigned scan;
	uint16_t listen_port; /* 0: no socket this time */
};

static int fake_dump(void *ctx, int family, sockdiag_record_fn fn, void *fn_ctx)
{
	struct fake_dump *d = ctx;
	struct sockdiag_record r;

	if ((family != AF_INET && family != SOCKDIAG_ONE_WALK) || !d->listen_port)
		return 0;
	memset(&r, 0, sizeof(r));
	r.family = AF_INET;
	r.state = TCPH_LISTEN;
	r.sport = d->listen_port;
	return fn(&r, fn_ctx);
}

static bool has_server_port(const struct snapshot *s, uint16_t port)
{
	const struct tcp_result *tcp = s->data.targets[0].tcp;

	for (unsigned i = 0; i + 1 < tcp->n_ports[CLASSIFY_SERVER]; i++)
		if (tcp->ports[CLASSIFY_SERVER][i].port == port)
			return true;
	return false;
}

START_TEST(port_leaves_after_its_last_socket)
{
	struct fake_dump dump = { .listen_port = 19961 };
	struct collectors_config config = {
		.classify = { .max_ports = 4 },
		.idle_threshold_seconds = 300,
		.proc_root = "/nonexistent",
		.tcp_dump = fake_dump,
		.tcp_dump_ctx = &dump,
	};
	bool enabled[COLLECTORS_MAX] = { false };
	struct collectors *c;
	struct snapshot *s[4];

	enabled[collectors_find("tcp")] = true;
	ck_assert_int_eq(collectors_create(&c, enabled, &config), 0);
	for (unsigned i = 0; i < 4; i++) {
		if (i == 1)
			dump.listen_port = 0; /* the listener closes */
		ck_assert_int_eq(snapshot_take(c, i + 1, &s[i]), 0);
	}
	collectors_destroy(c);
	ck_assert(has_server_port(s[0], 19961));
	/* Kept for one more scan (its series drop to 0 before they end), then gone. */
	ck_assert(has_server_port(s[1], 19961));
	ck_assert(!has_server_port(s[2], 19961));
	ck_assert(!has_server_port(s[3], 19961));
	for (unsigned i = 0; i < 4; i++)
		snapshot_unref(s[i]);
}
END_TEST

/* ---- the workers' repeated errors: once per interval, then with a count ---------------- */

/* Lines of `path` holding `text`; the last of them into `last`. */
static unsigned lines_with(const char *path, const char *text, char *last, size_t size)
{
	FILE *f = fopen(path, "r");
	char line[2048];
	unsigned n = 0;

	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f))
		if (strstr(line, text)) {
			n++;
			snprintf(last, size, "%s", line);
		}
	fclose(f);
	return n;
}

START_TEST(worker_errors_rate_limited)
{
	struct collectors_config config = { .proc_root = "/nonexistent", .workers = 2 };
	bool enabled[COLLECTORS_MAX] = { false };
	struct collectors_target targets[2], *job[2];
	struct target_result results[2];
	struct workers ws;
	char path[] = "/tmp/tcph-unit-log.XXXXXX", last[2048] = "";
	const char *text = "netstat collector: cannot read /nonexistent/net/netstat:";
	int fd = mkstemp(path), saved = dup(STDERR_FILENO);

	ck_assert_int_ge(fd, 0);
	memset(&ws, 0, sizeof(ws));
	memset(targets, 0, sizeof(targets));
	memset(results, 0, sizeof(results));
	for (unsigned i = 0; i < 2; i++) {
		targets[i].ns_fd = -1; /* our own namespace, scanned in place by a worker thread */
		targets[i].out = &results[i];
		job[i] = &targets[i];
	}
	enabled[collectors_find("netstat")] = true;
	log_set_repeat_ms(1000);
	fflush(stderr);
	dup2(fd, STDERR_FILENO);
	workers_init(&ws, &config, enabled);
	ck_assert_int_eq(workers_start(&ws, true), 0);
	for (unsigned scan = 0; scan < 3; scan++) /* 6 failures: the first is written */
		workers_run(&ws, job, 2);
	usleep(1100 * 1000);
	workers_run(&ws, job, 2); /* past the interval: written with the 5 left out */
	workers_fini(&ws);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	close(fd);
	log_set_repeat_ms(0);
	ck_assert_int_eq(targets[0].error[collectors_find("netstat")], -ENOENT);
	ck_assert_uint_eq(lines_with(path, text, last, sizeof(last)), 2);
	ck_assert_ptr_nonnull(strstr(last, "(5 more times in the last 1 s)"));
	unlink(path);
}
END_TEST

/* lib/log.c's hash of a line (FNV-1a, low bit set), to find two lines that share a set. */
static uint64_t line_hash(const char *text)
{
	uint64_t hash = 1469598103934665603ull;

	for (const unsigned char *p = (const unsigned char *)text; *p; p++)
		hash = (hash ^ *p) * 1099511628211ull;
	return hash | 1;
}

/* Two lines repeating at once whose hashes share one of the 64 slots (so also a set of
 * the 8-way table) are each written once: with one way per slot they evicted each other
 * and both were written every time. */
START_TEST(repeated_lines_sharing_a_slot)
{
	char a[64], b[64], path[] = "/tmp/tcph-unit-log.XXXXXX", last[2048] = "";
	int fd = mkstemp(path), saved = dup(STDERR_FILENO);
	unsigned j = 1;

	ck_assert_int_ge(fd, 0);
	snprintf(a, sizeof(a), "repeat test line 0");
	do
		snprintf(b, sizeof(b), "repeat test line %u", j++);
	while (line_hash(a) % 64 != line_hash(b) % 64);
	fflush(stderr);
	dup2(fd, STDERR_FILENO);
	log_limit_repeats(true);
	for (unsigned k = 0; k < 5; k++) {
		log_error("%s", a);
		log_error("%s", b);
	}
	log_limit_repeats(false);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	close(fd);
	ck_assert_uint_eq(lines_with(path, a, last, sizeof(last)), 1);
	ck_assert_uint_eq(lines_with(path, b, last, sizeof(last)), 1);
	unlink(path);
}
END_TEST

Suite *netns_suite(void)
{
	Suite *s = suite_create("netns");
	TCase *tc = tcase_create("labels");

	tcase_add_test(tc, kubelet_systemd_layouts);
	tcase_add_test(tc, kubelet_cgroupfs_layouts);
	tcase_add_test(tc, docker_podman_containerd_layouts);
	tcase_add_test(tc, hybrid_prefers_v2_then_systemd);
	tcase_add_test(tc, no_labels_from_lookalikes);
	tcase_add_test(tc, names_and_labels);
	tcase_add_test(tc, netns_flag);
	tcase_add_test(tc, classify_serves_targets_in_turn);
	tcase_add_test(tc, port_leaves_after_its_last_socket);
	tcase_add_test(tc, worker_errors_rate_limited);
	tcase_add_test(tc, repeated_lines_sharing_a_slot);
	suite_add_tcase(s, tc);
	return s;
}
