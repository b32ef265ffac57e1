# shellcheck shell=bash
# shellcheck disable=SC2034 # IT_STOP_RC and the like are read by the tests
# lib.sh — shared helpers of the integration tests; sourced by every tests/integration/test_*.sh.
#
# A test sources this file, calls `it_begin` (root check, tools, cleanup trap), makes its
# namespaces and processes with the helpers below, asserts with assert_* (which count and
# never abort the script), and ends with `it_end`. Exit status: 0 passed, 1 failed,
# 77 skipped (not root).
#
# Environment (set by run.sh / `make integration`): TCPH_BIN, TCPH_ASAN_BIN, PROMTOOL, TOOLS.

set -euo pipefail

IT_NAME=$(basename "$0" .sh)
IT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
IT_ROOT=$(cd "$IT_DIR/../.." && pwd)
IT_OK=0
IT_FAILED=0
IT_TMP=""
IT_NETNS=()           # namespaces to delete at exit
declare -A IT_PID=()  # name -> pid of a background process to stop at exit
IT_STOP_RC=""         # exit status left by it_stop
IT_REPORTED=0         # 1 once a fatal problem has been printed

# Relative paths from the environment are relative to the repository root.
it_abs() {
	case $1 in
	/*) printf '%s\n' "$1" ;;
	*) printf '%s\n' "$IT_ROOT/$1" ;;
	esac
}

# ---- results ---------------------------------------------------------------------------

ok() {
	IT_OK=$((IT_OK + 1))
	printf '  ok   %s\n' "$*"
}

fail() {
	IT_FAILED=$((IT_FAILED + 1))
	printf '  FAIL: %s\n' "$*"
}

# A failure of the test's own set-up (as root): loud, and the test stops here.
die() {
	printf '  FAIL: %s: set-up: %s\n' "$IT_NAME" "$*"
	IT_FAILED=$((IT_FAILED + 1))
	IT_REPORTED=1
	exit 1
}

# set -e stops the script at a command nothing expected to fail: say which.
it_on_error() {
	printf '  FAIL: %s: unexpected status %s at line %s: %s\n' "$IT_NAME" "$1" "$2" "$3"
	IT_FAILED=$((IT_FAILED + 1))
	IT_REPORTED=1
}

section() {
	printf '  -- %s\n' "$*"
}

# ---- start, cleanup, end ---------------------------------------------------------------

it_begin() {
	if [ "$(id -u)" != 0 ]; then
		echo "SKIPPED: $IT_NAME needs root"
		exit 77
	fi
	local tool
	for tool in ip ss curl timeout "$@"; do
		command -v "$tool" >/dev/null 2>&1 || die "'$tool' is not installed (make check-deps)"
	done
	: "${TCPH_BIN:?TCPH_BIN is not set}" "${TOOLS:?TOOLS is not set}"
	TCPH_BIN=$(it_abs "$TCPH_BIN")
	TOOLS=$(it_abs "$TOOLS")
	[ -x "$TCPH_BIN" ] || die "TCPH_BIN '$TCPH_BIN' is not an executable"
	[ -x "$TOOLS/sockstate" ] || die "'$TOOLS/sockstate' is not an executable"
	if [ -n "${TCPH_ASAN_BIN:-}" ]; then TCPH_ASAN_BIN=$(it_abs "$TCPH_ASAN_BIN"); fi
	if [ -n "${PROMTOOL:-}" ]; then PROMTOOL=$(it_abs "$PROMTOOL"); fi
	IT_TMP=$(mktemp -d "/tmp/tcph-it-$IT_NAME.XXXXXX") || die "mktemp failed"
	# Not `set -E`: the trap would then also fire inside command substitutions whose
	# failure the caller handles. Failures inside functions are reported at exit.
	trap 'it_on_error $? $LINENO "$BASH_COMMAND"' ERR
	trap it_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
}

# Stops every process we started (by pid), deletes our namespaces, removes temp files.
# Runs on every exit, including set-up failures and unexpected errors (set -e).
it_cleanup() {
	local rc=$? name pid ns f
	set +e
	trap - EXIT ERR
	for name in "${!IT_PID[@]}"; do
		pid=${IT_PID[$name]}
		if kill -0 "$pid" 2>/dev/null; then
			kill -TERM "$pid" 2>/dev/null
			it_wait_gone "$pid" 5 || kill -KILL "$pid" 2>/dev/null
		fi
		wait "$pid" 2>/dev/null
	done
	for ns in "${IT_NETNS[@]}"; do
		# Anything left inside one of our own namespaces was started by this test.
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			echo "  note: killing leftover pid $pid in $ns" >&2
			kill -KILL "$pid" 2>/dev/null
		done
		ip netns del "$ns" 2>/dev/null || echo "  warning: could not delete netns $ns" >&2
	done
	if [ "$rc" != 0 ] && [ "$rc" != 77 ] && [ -n "$IT_TMP" ]; then
		# What the processes said is usually the quickest way to the cause.
		for f in "$IT_TMP"/*.err; do
			[ -s "$f" ] || continue
			echo "  --- last lines of $(basename "$f"):"
			tail -n 15 "$f" | sed 's/^/  | /'
		done
	fi
	if [ -n "$IT_TMP" ] && [ -z "${IT_KEEP_TMP:-}" ]; then rm -rf "$IT_TMP"; fi
	if [ "$rc" != 0 ] && [ "$rc" != 77 ] && [ "$IT_REPORTED" = 0 ] &&
		! { [ "$rc" = 1 ] && [ "$IT_FAILED" != 0 ]; }; then
		printf '  FAIL: %s: aborted with status %s\n' "$IT_NAME" "$rc"
	fi
	[ "$rc" = 0 ] || [ "$rc" = 77 ] || rc=1
	exit "$rc"
}

it_end() {
	printf '  %s: %d ok, %d failed\n' "$IT_NAME" "$IT_OK" "$IT_FAILED"
	[ "$IT_FAILED" = 0 ] || exit 1
	exit 0
}

# ---- time ------------------------------------------------------------------------------

now_ms() {
	local t=${EPOCHREALTIME/./}
	echo $((t / 1000))
}

# it_wait_gone PID SECONDS: waits (bounded) until PID has exited; 1 if it has not.
it_wait_gone() {
	local pid=$1 deadline=$(($(now_ms) + $2 * 1000))
	while kill -0 "$pid" 2>/dev/null; do
		# A zombie child of ours has exited: kill -0 still succeeds on it.
		[ "$(ps -o stat= -p "$pid" 2>/dev/null | cut -c1)" = Z ] && return 0
		[ "$(now_ms)" -lt "$deadline" ] || return 1
		sleep 0.02
	done
	return 0
}

# ---- namespaces ------------------------------------------------------------------------

# netns_create VAR: a fresh, uniquely named namespace with lo up; its name goes to VAR.
netns_create() {
	local var=$1 ns
	ns="tcph-${IT_NAME#test_}-$$-$RANDOM"
	ip netns add "$ns" || die "ip netns add $ns failed"
	IT_NETNS+=("$ns")
	ip -n "$ns" link set lo up || die "cannot bring lo up in $ns"
	printf -v "$var" '%s' "$ns"
}

# in_ns NS CMD...: runs CMD inside NS.
in_ns() {
	local ns=$1
	shift
	ip netns exec "$ns" "$@"
}

# ---- background processes --------------------------------------------------------------

# bg_start NAME NS CMD...: starts CMD inside NS in the background; stdout and stderr go
# to $IT_TMP/NAME.out and .err. `ip netns exec` execs CMD, so the pid is CMD's own.
bg_start() {
	local name=$1 ns=$2
	shift 2
	ip netns exec "$ns" "$@" >"$IT_TMP/$name.out" 2>"$IT_TMP/$name.err" &
	IT_PID[$name]=$!
}

bg_pid() { echo "${IT_PID[$1]}"; }
bg_err() { echo "$IT_TMP/$1.err"; }
bg_out() { echo "$IT_TMP/$1.out"; }

# it_stop NAME [SIGNAL] [SECONDS]: sends SIGNAL (TERM; "none" sends nothing), waits up to
# SECONDS (5) and sets IT_STOP_RC to the exit status, or to "timeout" (then the process
# is killed).
it_stop() {
	local name=$1 sig=${2:-TERM} secs=${3:-5} pid rc=0
	pid=${IT_PID[$name]}
	[ "$sig" = none ] || kill "-$sig" "$pid" 2>/dev/null || true
	if it_wait_gone "$pid" "$secs"; then
		wait "$pid" || rc=$?
		IT_STOP_RC=$rc
	else
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
		IT_STOP_RC=timeout
	fi
	unset "IT_PID[$name]"
}

# sockstate_start NAME NS ARGS...: runs tests/tools/sockstate inside NS and waits (bounded)
# for its "ready"; a sockstate that fails is a set-up failure.
sockstate_start() {
	local name=$1 ns=$2 deadline
	shift 2
	bg_start "$name" "$ns" "$TOOLS/sockstate" --timeout 300 "$@"
	deadline=$(($(now_ms) + 15000))
	while ! grep -qx ready "$(bg_out "$name")" 2>/dev/null; do
		if ! kill -0 "${IT_PID[$name]}" 2>/dev/null || [ "$(now_ms)" -gt "$deadline" ]; then
			die "sockstate $* did not get ready: $(cat "$(bg_err "$name")")"
		fi
		sleep 0.02
	done
}

# exporter_start NAME NS BIN ADDRESS [FLAGS...]: starts the exporter listening on
# ADDRESS inside NS and waits (bounded) until its / answers. The probe's connection
# leaves a TIME_WAIT socket on the exporter's port, which the tests account for.
exporter_start() {
	local name=$1 ns=$2 bin=$3 addr=$4 url
	shift 4
	bg_start "$name" "$ns" "$bin" "--web.listen-address=$addr" "$@"
	case $addr in
	:*) url="http://127.0.0.1$addr/" ;;
	*) url="http://$addr/" ;;
	esac
	http_wait "$name" "$ns" "$url" "${EXPORTER_START_TIMEOUT:-10}"
}

# http_wait NAME NS URL SECONDS: bounded wait until URL answers; the process NAME must
# stay alive meanwhile.
http_wait() {
	local name=$1 ns=$2 url=$3 deadline
	deadline=$(($(now_ms) + $4 * 1000))
	until in_ns "$ns" curl -s -o /dev/null --max-time 1 "$url"; do
		if ! kill -0 "${IT_PID[$name]}" 2>/dev/null; then
			die "$name exited before answering on $url: $(tail -n 20 "$(bg_err "$name")")"
		fi
		[ "$(now_ms)" -lt "$deadline" ] || die "$name did not answer on $url within $4 s"
		sleep 0.05
	done
}

# ---- HTTP and metrics ------------------------------------------------------------------

# scrape NS URL FILE: GET URL into FILE; 0 on HTTP 200.
scrape() {
	local code
	code=$(in_ns "$1" curl -sS --max-time 10 -o "$3" -w '%{http_code}' "$2") || return 1
	[ "$code" = 200 ]
}

# metric_value FILE SERIES: the value of the sample whose series is exactly SERIES
# (name and labels as the exporter writes them), or nothing when absent.
metric_value() {
	awk -v s="$2" 'substr($0, 1, length(s) + 1) == s " " { print substr($0, length(s) + 2); exit }' "$1"
}

# same_number A B: numerically equal (so 1 and 1.0 agree), or equal as strings.
same_number() {
	awk -v a="$1" -v b="$2" 'BEGIN {
		num = "^[-+]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][-+]?[0-9]+)?$"
		if (a ~ num && b ~ num) exit !(a + 0 == b + 0)
		exit !(a == b)
	}'
}

# ---- asserts: each prints one line and counts; none aborts the script -----------------

# assert_eq DESCRIPTION EXPECTED ACTUAL
assert_eq() {
	if [ "$2" = "$3" ]; then
		ok "$1 = $2"
	else
		fail "$1: expected '$2' got '$3'"
	fi
}

# assert_metric FILE SERIES EXPECTED
assert_metric() {
	local v
	v=$(metric_value "$1" "$2")
	if [ -z "$v" ]; then
		fail "$2: expected $3 got (absent)"
	elif same_number "$3" "$v"; then
		ok "$2 $v"
	else
		fail "$2: expected $3 got $v"
	fi
}

# assert_no_series FILE REGEX DESCRIPTION: no sample line matches REGEX (ERE).
assert_no_series() {
	local hits
	hits=$(grep -v '^#' "$1" | grep -E -- "$2" | head -n 3 || true)
	if [ -z "$hits" ]; then
		ok "$3"
	else
		fail "$3: found $(printf '%s' "$hits" | tr '\n' ' ')"
	fi
}

# assert_contains DESCRIPTION FILE STRING: FILE contains STRING (fixed string).
assert_contains() {
	if grep -qF -- "$3" "$2"; then
		ok "$1"
	else
		fail "$1: '$3' not found in: $(head -c 300 "$2" | tr '\n' ' ')"
	fi
}

# assert_not_contains DESCRIPTION FILE STRING
assert_not_contains() {
	if [ ! -r "$2" ]; then
		fail "$1: $2 does not exist, so it proves nothing"
	elif grep -qF -- "$3" "$2"; then
		fail "$1: found '$(grep -F -m1 -- "$3" "$2")'"
	else
		ok "$1"
	fi
}

# stop_clean NAME: SIGTERM, exit status 0 within 10 s, no sanitizer report on stderr (for
# the ASan/UBSan build).
stop_clean() {
	local name=$1 err
	err=$(bg_err "$name")
	it_stop "$name" TERM 10
	assert_eq "$name: exit status after SIGTERM" 0 "$IT_STOP_RC"
	assert_not_contains "$name: no AddressSanitizer report" "$err" "ERROR: AddressSanitizer"
	assert_not_contains "$name: no LeakSanitizer report" "$err" "LeakSanitizer"
	assert_not_contains "$name: no UBSan runtime error" "$err" "runtime error"
}

# ---- more background-process helpers ---------------------------------------------------

# bg_running NAME: the background process NAME is alive (a zombie, i.e. exited but not yet
# reaped, counts as gone).
bg_running() {
	local pid=${IT_PID[$1]:-}
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null &&
		[ "$(ps -o stat= -p "$pid" 2>/dev/null | cut -c1)" != Z ]
}

# bg_wait_ready NAME SECONDS: bounded wait until the background process NAME (sockstate,
# tcpclient) has printed its "ready" line. One that exits first or is late is a set-up
# failure. Lets a test start several tools at once and then wait for all of them.
bg_wait_ready() {
	local name=$1 deadline
	deadline=$(($(now_ms) + $2 * 1000))
	until grep -qx ready "$(bg_out "$name")" 2>/dev/null; do
		bg_running "$name" || die "$name exited before it was ready: $(tail -n 5 "$(bg_err "$name")")"
		[ "$(now_ms)" -lt "$deadline" ] || die "$name was not ready within $2 s"
		sleep 0.02
	done
}

# tcpclient_start NAME NS ARGS...: runs tests/tools/tcpclient inside NS and waits (bounded)
# for its "ready".
tcpclient_start() {
	local name=$1 ns=$2
	shift 2
	bg_start "$name" "$ns" "$TOOLS/tcpclient" "$@"
	bg_wait_ready "$name" 10
}

# ---- two hosts and a vanishing peer ------------------------------------------------------

# peer_pair_create: namespaces $host (198.18.0.1, veth-host) and $peer (198.18.0.2,
# veth-peer) joined by a veth pair, and an nftables prerouting chain in the peer through
# which peer_blackhole makes it vanish.
peer_pair_create() {
	netns_create host
	netns_create peer
	ip link add veth-host netns "$host" type veth peer name veth-peer netns "$peer" ||
		die "cannot create the veth pair"
	ip -n "$host" addr add 198.18.0.1/24 dev veth-host || die "address on host"
	ip -n "$peer" addr add 198.18.0.2/24 dev veth-peer || die "address on peer"
	ip -n "$host" link set veth-host up || die "veth-host up"
	ip -n "$peer" link set veth-peer up || die "veth-peer up"
	in_ns "$peer" nft add table inet tcph || die "nft table in peer"
	in_ns "$peer" nft add chain inet tcph prerouting \
		'{ type filter hook prerouting priority -300; policy accept; }' || die "nft chain in peer"
}

# peer_blackhole PORT: the peer silently drops everything that arrives for PORT — to the
# host's TCP a dead peer. (A drop in the host's own output path would be a local error.)
peer_blackhole() {
	in_ns "$peer" nft add rule inet tcph prerouting iifname veth-peer tcp dport "$1" drop ||
		die "nft rule for port $1 failed"
}
