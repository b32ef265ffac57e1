#!/usr/bin/env bash
# test_container.sh — builds the image with podman and runs it for real with host
# networking: the container must report a listener the test opened outside it on the
# host, run as non-root, accept flags through its ENTRYPOINT, and stop cleanly.
#
# Uses the host's own network namespace (that is what --network host means); everything
# it opens is on 127.0.0.1, on ports checked free first. Podman on these machines needs
# --isolation chroot to build and runc with cgroupfs and explicit ulimits to run.
source "$(dirname "$0")/../integration/lib.sh"
it_begin podman debootstrap

IMAGE=localhost/tcp_health_exporter:test
NAME=tcph-container-test-$$
PORT=19700
LISTEN_PORT=19701
MISSING_PORT=19702
RUN=(podman run --runtime runc --cgroup-manager=cgroupfs --ulimit nofile=8192:8192 --ulimit nproc=512:512)

for p in $PORT $LISTEN_PORT; do
	! ss -Htln "sport = :$p" | grep -q . || die "port $p is already in use on this host"
done
cleanup_container() { podman rm -f "$NAME" >/dev/null 2>&1 || true; }
# it_cleanup takes the exit status from $?: hand it the test's, not cleanup_container's
# (which is always 0, and once made every failure of this test exit 0).
trap 'rc=$?; cleanup_container; (exit "$rc"); it_cleanup' EXIT

section "base image and build"
bash "$IT_ROOT/tests/container/base-image.sh" || die "cannot make the base image"
start=$(now_ms)
if podman build --isolation chroot --build-arg REVISION="$(git -C "$IT_ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)" \
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
it_end
