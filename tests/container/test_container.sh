#!/usr/bin/env bash
# test_container.sh — builds the image with podman and runs it for real with host
# networking: the container must report a listener the test opened outside it on the
# host, run as non-root, accept flags through its ENTRYPOINT, and stop cleanly.
# Then --netns=all against containers of the same image that have network namespaces of
# their own: the host's build/tcp_health_exporter must see both and label them with their
# full container IDs; the image run the way deploy/ documents (host PID and network
# namespaces, only CAP_SYS_ADMIN and CAP_SYS_PTRACE) must see them too; without those
# capabilities it must refuse to start with one line and exit code 2.
#
# Uses the host's own network namespace (that is what --network host means); everything
# it opens there is on 127.0.0.1, on ports checked free first. Podman on these machines
# needs --isolation chroot to build and runc with cgroupfs and explicit ulimits to run.
source "$(dirname "$0")/../integration/lib.sh"
it_begin podman debootstrap

IMAGE=localhost/tcp_health_exporter:test-$$
NAME=tcph-container-test-$$
# The host-network ones are picked free at random: two runs at once must not clash.
free_ports HOST_PORTS 4
PORT=${HOST_PORTS[0]}
LISTEN_PORT=${HOST_PORTS[1]}
MISSING_PORT=${HOST_PORTS[2]}
PRIV_PORT=${HOST_PORTS[3]}
# --netns=all: the two containers' exporters listen on these inside their own network
# namespaces; the host's exporter serves in a namespace of its own (SCAN_PORT), the one
# in the privileged container on the host's 127.0.0.1 (PRIV_PORT).
NS_PORT_A=19703
NS_PORT_B=19704
SCAN_PORT=19705
RUN=(podman run --runtime runc --cgroup-manager=cgroupfs --ulimit nofile=8192:8192 --ulimit nproc=512:512)

for p in $PORT $LISTEN_PORT $PRIV_PORT; do
	! ss -Htln "sport = :$p" | grep -q . || die "port $p is already in use on this host"
done
cleanup_container() {
	local n
	for n in "$NAME" "$NAME-a" "$NAME-b" "$NAME-all" "$NAME-nocap"; do
		podman rm -f "$n" >/dev/null 2>&1 || true
	done
	# This run's image; its untagged build stage goes with `make clean-images`.
	podman rmi -f "$IMAGE" >/dev/null 2>&1 || true
}
# it_cleanup takes the exit status from $?: hand it the test's, not cleanup_container's
# (which is always 0, and once made every failure of this test exit 0). set +e and no ERR
# trap first: under set -e the failing `(exit "$rc")` of a failed test would end the trap
# right there, and it_cleanup (stopping processes, deleting namespaces) would never run.
trap 'rc=$?; set +e; trap - ERR; cleanup_container; (exit "$rc"); it_cleanup' EXIT

section "base image and build"
bash "$IT_ROOT/tests/container/base-image.sh" || die "cannot make the base image"
BASE_IMAGE=$(bash "$IT_ROOT/tests/container/base-image.sh" --name)
start=$(now_ms)
if podman build --isolation chroot --build-arg BASE_IMAGE="$BASE_IMAGE" --build-arg REVISION="$(git -C "$IT_ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)" \
	-t "$IMAGE" "$IT_ROOT" >"$IT_TMP/build.log" 2>&1; then
	ok "podman build ($(($(now_ms) - start)) ms)"
else
	tail -n 30 "$IT_TMP/build.log"
	die "podman build failed"
fi
size=$(podman image inspect "$IMAGE" --format '{{.Size}}')
echo "  -- image size: $((size / 1000 / 1000)) MB ($size bytes)"
user=$(podman image inspect "$IMAGE" --format '{{.Config.User}}')
assert_eq "image user" "65534:65534" "$user"
assert_eq "exposed port" "9978/tcp" "$(podman image inspect "$IMAGE" --format '{{range $p, $v := .Config.ExposedPorts}}{{$p}}{{end}}')"

section "flags through the ENTRYPOINT"
version=$("${RUN[@]}" --rm "$IMAGE" --version 2>&1) || true
assert_contains "--version" <(echo "$version") "tcp_health_exporter version $(cat "$IT_ROOT/VERSION")"
rc=0
"${RUN[@]}" --rm "$IMAGE" --listen-ports 0 >/dev/null 2>"$IT_TMP/bad.err" || rc=$?
assert_eq "bad flag: exit status through the container" 2 "$rc"
assert_contains "bad flag: one clear line" "$IT_TMP/bad.err" "invalid --listen-ports '0'"

section "host networking: the host's sockets are seen"
"$TOOLS/sockstate" --timeout 120 listen 127.0.0.1 "$LISTEN_PORT" 7 >"$IT_TMP/listener.out" 2>&1 &
IT_PID[listener]=$!
deadline=$(($(now_ms) + 5000))
until grep -qx ready "$IT_TMP/listener.out"; do
	[ "$(now_ms)" -lt "$deadline" ] || die "listener on $LISTEN_PORT not ready"
	sleep 0.02
done
"${RUN[@]}" -d --name "$NAME" --network host --read-only --cap-drop ALL "$IMAGE" --web.listen-address=127.0.0.1:$PORT \
	--listen-ports "$LISTEN_PORT,$MISSING_PORT" >/dev/null || die "podman run failed"
deadline=$(($(now_ms) + 15000))
until curl -s -o "$IT_TMP/metrics" --max-time 1 "http://127.0.0.1:$PORT/metrics"; do
	[ "$(now_ms)" -lt "$deadline" ] || { podman logs "$NAME" | tail; die "container did not answer"; }
	sleep 0.1
done
assert_metric "$IT_TMP/metrics" "tcp_health_listener_up{port=\"$LISTEN_PORT\"}" 1
assert_metric "$IT_TMP/metrics" "tcp_health_listen_queue_max{port=\"$LISTEN_PORT\"}" 7
assert_metric "$IT_TMP/metrics" "tcp_health_listener_up{port=\"$MISSING_PORT\"}" 0
assert_metric "$IT_TMP/metrics" 'tcp_health_scrape_collector_success{collector="tcp"}' 1
assert_metric "$IT_TMP/metrics" 'tcp_health_scrape_collector_success{collector="sysctl"}' 1
assert_metric "$IT_TMP/metrics" 'tcp_health_scrape_collector_success{collector="netstat"}' 1
assert_eq "process user inside the container" 65534 "$(podman exec "$NAME" id -u)"
podman stop -t 10 "$NAME" >/dev/null || fail "podman stop"
assert_eq "exit code after podman stop (SIGTERM)" 0 "$(podman inspect "$NAME" --format '{{.State.ExitCode}}')"

section "--netns=all: two containers with network namespaces of their own"
# Each runs the image's exporter, unprivileged, as the listener to be found. Bridge
# networking (podman's CNI default) when it works here, else --network=none: either way
# the container gets a namespace of its own.
net_mode=bridge
start_ns_container() { # NAME PORT
	"${RUN[@]}" -d --name "$1" --network "$net_mode" --read-only --cap-drop ALL "$IMAGE" \
		--web.listen-address=":$2" --listen-ports "$2" >/dev/null
}
if ! start_ns_container "$NAME-a" "$NS_PORT_A" 2>"$IT_TMP/podman-run.log"; then
	echo "  -- --network=bridge failed here ($(tail -n 1 "$IT_TMP/podman-run.log")); using --network=none"
	podman rm -f "$NAME-a" >/dev/null 2>&1 || true
	net_mode=none
	start_ns_container "$NAME-a" "$NS_PORT_A" || die "podman run --network=none failed"
fi
start_ns_container "$NAME-b" "$NS_PORT_B" || die "podman run --network=$net_mode failed"
echo "  -- containers run with --network=$net_mode"
host_ino=$(stat -L -c %i /proc/self/ns/net)
declare -A CT_ID=() CT_PID=() CT_NETNS=()
for c in a b; do
	CT_ID[$c]=$(podman inspect --format '{{.Id}}' "$NAME-$c")
	CT_PID[$c]=$(podman inspect --format '{{.State.Pid}}' "$NAME-$c")
	pid=${CT_PID[$c]}
	ino=$(stat -L -c %i "/proc/$pid/ns/net")
	[ "$ino" != "$host_ino" ] || die "container $c shares the host's network namespace"
	# The label the exporter gives it: its name where one of the directories of named
	# namespaces holds a bind mount of it (bridge: CNI's netns-<uuid>), else ino_<inode>.
	CT_NETNS[$c]=ino_$ino
	for f in /run/netns/* /var/run/netns/* /run/docker/netns/*; do
		if [ -e "$f" ] && [ "$(stat -L -c %i "$f" 2>/dev/null)" = "$ino" ]; then
			CT_NETNS[$c]=$(basename "$f")
			break
		fi
	done
	echo "  -- container $c: id ${CT_ID[$c]}, pid $pid, netns ${CT_NETNS[$c]}; /proc/$pid/cgroup:"
	sed 's/^/  |   /' "/proc/$pid/cgroup"
done
# Bounded wait for each listener, looked at from inside its namespace (not through the
# exporter under test).
for c in a b; do
	port=$NS_PORT_A
	[ "$c" = a ] || port=$NS_PORT_B
	deadline=$(($(now_ms) + 15000))
	until [ -n "$(nsenter --net="/proc/${CT_PID[$c]}/ns/net" ss -Htln "sport = :$port")" ]; do
		[ "$(now_ms)" -lt "$deadline" ] || { podman logs "$NAME-$c" | tail; die "container $c is not listening on $port"; }
		sleep 0.05
	done
done

# The host's exporter (as root), in a fresh namespace of its own so its port cannot clash.
# --netns.max above the default 256: on a busy test host other tests' namespaces must not
# push the containers' over the limit.
netns_create SCAN_NS
exporter_start scan "$SCAN_NS" "$TCPH_BIN" "127.0.0.1:$SCAN_PORT" --netns=all --netns.max=4096
scrape "$SCAN_NS" "http://127.0.0.1:$SCAN_PORT/metrics" "$IT_TMP/netns-all.prom" || die "scrape of --netns=all failed"
for c in a b; do
	port=$NS_PORT_A
	[ "$c" = a ] || port=$NS_PORT_B
	assert_metric "$IT_TMP/netns-all.prom" \
		"tcp_health_listener_up{netns=\"${CT_NETNS[$c]}\",container_id=\"${CT_ID[$c]}\",port=\"$port\"}" 1
done
assert_metric "$IT_TMP/netns-all.prom" "tcp_health_listener_up{netns=\"$SCAN_NS\",port=\"$SCAN_PORT\"}" 1
assert_metric "$IT_TMP/netns-all.prom" 'tcp_health_scrape_collector_success{collector="tcp"}' 1
stop_clean scan

section "--netns=all inside the image: host PID and network namespaces, two capabilities"
# As deploy/kubernetes/daemonset-netns.yaml runs it: uid 0 with every capability dropped
# but CAP_SYS_ADMIN (setns) and CAP_SYS_PTRACE (other processes' /proc/PID/ns/net), the
# host's /run/netns mounted so that named namespaces keep their names. (Podman would also
# hand the capabilities to the image's non-root user as ambient ones; Docker and
# Kubernetes do not, hence uid 0.) Not confined by AppArmor where the host has it: the
# default profiles allow ptrace-reads only of peers in the same profile, which would hide
# the host's own processes' /proc/PID/ns/net (this test's hosts have no AppArmor).
"${RUN[@]}" -d --name "$NAME-all" --pid=host --network=host --read-only --user 0:0 --cap-drop ALL \
	--cap-add SYS_ADMIN --cap-add SYS_PTRACE --security-opt apparmor=unconfined \
	-v /run/netns:/run/netns:rslave "$IMAGE" \
	--netns=all --netns.max=4096 --web.listen-address="127.0.0.1:$PRIV_PORT" >/dev/null ||
	die "podman run --netns=all failed"
deadline=$(($(now_ms) + 15000))
until curl -s -o "$IT_TMP/netns-priv.prom" --max-time 5 "http://127.0.0.1:$PRIV_PORT/metrics"; do
	[ "$(now_ms)" -lt "$deadline" ] || { podman logs "$NAME-all" | tail; die "the --netns=all container did not answer"; }
	sleep 0.1
done
pid=$(podman inspect --format '{{.State.Pid}}' "$NAME-all")
assert_eq "effective capabilities in the container (CAP_SYS_ADMIN|CAP_SYS_PTRACE)" 0000000000280000 \
	"$(awk '$1 == "CapEff:" { print $2 }' "/proc/$pid/status")"
for c in a b; do
	port=$NS_PORT_A
	[ "$c" = a ] || port=$NS_PORT_B
	assert_metric "$IT_TMP/netns-priv.prom" \
		"tcp_health_listener_up{netns=\"${CT_NETNS[$c]}\",container_id=\"${CT_ID[$c]}\",port=\"$port\"}" 1
done
if grep -Eq "^tcp_health_listener_up\{netns=\"[^\"]+\",port=\"$PRIV_PORT\"\} 1\$" "$IT_TMP/netns-priv.prom"; then
	ok "its own (the host's) namespace is seen: $(grep -E "^tcp_health_listener_up\{netns=\"[^\"]+\",port=\"$PRIV_PORT\"\}" "$IT_TMP/netns-priv.prom")"
else
	fail "the host's namespace with the listener on $PRIV_PORT is missing"
fi
podman stop -t 10 "$NAME-all" >/dev/null || fail "podman stop"
assert_eq "--netns=all container: exit code after podman stop" 0 "$(podman inspect "$NAME-all" --format '{{.State.ExitCode}}')"

section "--netns=all without the capabilities: one line, exit code 2"
"${RUN[@]}" -d --name "$NAME-nocap" "$IMAGE" --netns=all >/dev/null || die "podman run failed"
rc=$(podman wait "$NAME-nocap") || die "podman wait failed"
assert_eq "exit code of the image's default user without capabilities" 2 "$rc"
podman logs "$NAME-nocap" >"$IT_TMP/nocap.log" 2>&1
assert_eq "lines it logged" 1 "$(wc -l <"$IT_TMP/nocap.log")"
assert_contains "it names both missing capabilities" "$IT_TMP/nocap.log" \
	"--netns=all needs CAP_SYS_ADMIN (to enter namespaces) and CAP_SYS_PTRACE (to open other processes' namespace files); missing: CAP_SYS_ADMIN CAP_SYS_PTRACE"
rc=0
"${RUN[@]}" --rm --user 0:0 --cap-drop ALL "$IMAGE" --netns=all >/dev/null 2>"$IT_TMP/nocap-root.log" || rc=$?
assert_eq "exit code as uid 0 with every capability dropped" 2 "$rc"
assert_contains "uid 0 without capabilities is refused too" "$IT_TMP/nocap-root.log" "missing: CAP_SYS_ADMIN CAP_SYS_PTRACE"
it_end
