#!/usr/bin/env bash
# test_bootstrap.sh — the README's run command on a bare Debian 12: a fresh container of
# the minimal debootstrapped bookworm (tests/container/base-image.sh: no make, no compiler,
# no pkg-config) gets a copy of this working tree and runs, as root,
#   sh deploy/bootstrap.sh run ARGS="..."
# exactly as README says. It must install what is missing (make first, then the Makefile's
# BUILD_DEPS), build, and serve /metrics, which the test scrapes from the host. The
# container uses the host's network (apt must reach the Debian mirror), so the exporter
# listens on 127.0.0.1 on a port checked free; container names carry this run's pid, and
# the container is removed on every exit.
source "$(dirname "$0")/../integration/lib.sh"
it_begin podman debootstrap curl tar

NAME=tcph-bootstrap-$$
RUN=(podman run --runtime runc --cgroup-manager=cgroupfs --ulimit nofile=8192:8192 --ulimit nproc=512:512)
trap 'rc=$?; set +e; trap - ERR; podman rm -f "$NAME" >/dev/null 2>&1; (exit "$rc"); it_cleanup' EXIT

# A free port on the host's loopback (the container shares the host's network).
free_ports PORTS 1
PORT=${PORTS[0]}

section "a bare Debian 12"
bash "$IT_ROOT/tests/container/base-image.sh" || die "cannot make the base image"
BASE_IMAGE=$(bash "$IT_ROOT/tests/container/base-image.sh" --name)
for tool in make cc gcc pkg-config; do
	# The container must run and answer (rc=N): a podman failure is not "missing".
	answer=$("${RUN[@]}" --rm --network none "$BASE_IMAGE" sh -c "command -v $tool >/dev/null; echo rc=\$?" 2>&1) ||
		die "podman run of the base image failed: $answer"
	# Not found: command -v fails (dash, /bin/sh here, says 127; bash 1). rc=0 is found.
	case $answer in
	rc=0) fail "the base image already has $tool: it would not prove the bare set-up" ;;
	rc=[1-9]*) ok "the base image has no $tool (command -v: $answer)" ;;
	*) die "unexpected answer from the base image: $answer" ;;
	esac
done

# The working tree as a clone would have it: no build/ output, no .git.
mkdir -p "$IT_TMP/src"
tar -C "$IT_ROOT" --exclude=./build --exclude=./.git -cf - . | tar -C "$IT_TMP/src" -xf - ||
	die "cannot copy the working tree"

section "sh deploy/bootstrap.sh run (README's run command)"
start=$(now_ms)
"${RUN[@]}" -d --name "$NAME" --network host -v "$IT_TMP/src:/src" -w /src "$BASE_IMAGE" \
	sh deploy/bootstrap.sh run ARGS="--web.listen-address=127.0.0.1:$PORT --listen-ports=$PORT" >/dev/null ||
	die "podman run failed"
# apt-get downloads and installs about 100 MB and the build takes a while on 2 cores.
deadline=$(($(now_ms) + 600000))
until curl -s -o "$IT_TMP/metrics" --max-time 2 "http://127.0.0.1:$PORT/metrics"; do
	state=$(podman inspect --format '{{.State.Status}}' "$NAME" 2>/dev/null || echo gone)
	if [ "$state" != running ] || [ "$(now_ms)" -gt "$deadline" ]; then
		podman logs "$NAME" 2>&1 | tail -n 30 | sed 's/^/  | /'
		die "the bootstrapped exporter did not serve /metrics (container $state)"
	fi
	sleep 1
done
ok "installed, built and serving after $((($(now_ms) - start) / 1000)) s"
podman logs "$NAME" >"$IT_TMP/log" 2>&1
assert_contains "it installed make first" "$IT_TMP/log" "bootstrap.sh: installing make"
assert_contains "then the Makefile installed the build dependencies" "$IT_TMP/log" "installing: gcc"
assert_metric "$IT_TMP/metrics" "tcp_health_listener_up{port=\"$PORT\"}" 1
assert_metric "$IT_TMP/metrics" 'tcp_health_scrape_collector_success{collector="tcp"}' 1
if grep -q "^tcp_health_exporter_build_info{version=\"$(cat "$IT_ROOT/VERSION")\"" "$IT_TMP/metrics"; then
	ok "build_info of version $(cat "$IT_ROOT/VERSION")"
else
	fail "no build_info of version $(cat "$IT_ROOT/VERSION")"
fi
assert_eq "make is there now" 0 "$(podman exec "$NAME" sh -c 'command -v make >/dev/null; echo $?')"
podman stop -t 10 "$NAME" >/dev/null || fail "podman stop"

section "bad use: one line, exit code 2"
rc=0
"${RUN[@]}" --rm --network none -v "$IT_TMP/src:/src" -w /src "$BASE_IMAGE" sh deploy/bootstrap.sh install \
	>"$IT_TMP/bad.out" 2>"$IT_TMP/bad.err" || rc=$?
assert_eq "unknown target: exit code" 2 "$rc"
assert_contains "unknown target: usage line" "$IT_TMP/bad.err" "usage: sh deploy/bootstrap.sh run|check"
it_end
