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
IT_RMDIRS=()          # directories (cgroups) to remove at exit, innermost last
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

# Stops every process we started (by pid), removes our directories (IT_RMDIRS: cgroups,
# in reverse order of creation), deletes our namespaces, removes temp files.
# Runs on every exit, including set-up failures and unexpected errors (set -e).
it_cleanup() {
	local rc=$? name pid ns f i
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
	# Only now are the cgroups empty. A cgroup whose last process has just been reaped
	# can still be busy for a moment: a few bounded retries.
	for ((i = ${#IT_RMDIRS[@]} - 1; i >= 0; i--)); do
		f=${IT_RMDIRS[$i]}
		[ -d "$f" ] || continue
		for _ in 1 2 3 4 5 6 7 8 9 10; do
			rmdir "$f" 2>/dev/null && break
			sleep 0.1
		done
		[ ! -d "$f" ] || echo "  warning: could not remove $f" >&2
	done
	for ns in "${IT_NETNS[@]}"; do
		[ -e "/run/netns/$ns" ] || continue # the test deleted it itself
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
# IT_NETNS_PREFIX (default tcph-TESTNAME) starts the name.
netns_create() {
	local var=$1 ns
	ns="${IT_NETNS_PREFIX:-tcph-${IT_NAME#test_}}-$$-$RANDOM"
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

# free_ports VAR N: N distinct TCP ports free on this (the host's) namespace, picked at
# random from 20000-39999, into the array VAR. For the few tests that must listen in the
# host's namespace (containers with --network host): two runs of the suite at once must
# not clash there. Not a reservation: a port could still be taken before it is bound,
# which the test then reports as a set-up failure.
free_ports() {
	local var=$1 n=$2 p tries=0 picked=()
	while [ "${#picked[@]}" -lt "$n" ]; do
		tries=$((tries + 1))
		[ "$tries" -le 1000 ] || die "no $n free ports found"
		p=$((20000 + (RANDOM * 32768 + RANDOM) % 20000))
		[[ " ${picked[*]} " == *" $p "* ]] && continue
		ss -Htan "( sport = :$p or dport = :$p )" | grep -q . && continue
		picked+=("$p")
	done
	eval "$var=(\"\${picked[@]}\")"
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
# ADDRESS inside NS and waits (bounded) until its /-/healthy answers (no scan). The probe's connection
# leaves a TIME_WAIT socket on the exporter's port, which the tests account for.
exporter_start() {
	local name=$1 ns=$2 bin=$3 addr=$4 url
	shift 4
	bg_start "$name" "$ns" "$bin" "--web.listen-address=$addr" "$@"
	case $addr in
	:*) url="http://127.0.0.1$addr/-/healthy" ;;
	*) url="http://$addr/-/healthy" ;;
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

# percentiles FILE: "p50=A p99=B max=C n=N" over the numbers in FILE, one a line (nearest
# rank; with 20 samples p99 is the max). percentile_field STATS KEY: one of them.
percentiles() {
	sort -n "$1" | awk '{ v[NR] = $1 } END {
		p50 = int(NR * 0.50); if (p50 < NR * 0.50) p50++
		p99 = int(NR * 0.99); if (p99 < NR * 0.99) p99++
		printf "p50=%d p99=%d max=%d n=%d\n", v[p50], v[p99], v[NR], NR }'
}
percentile_field() { printf '%s\n' "$1" | tr ' ' '\n' | awk -F= -v k="$2" '$1 == k { print $2 }'; }

# metric_value FILE SERIES: the value of the sample whose series is exactly SERIES
# (name and labels as the exporter writes them), or nothing when absent.
metric_value() {
	# The series through the environment: awk -v would strip the backslashes of escaped
	# label values (process="\"><svg").
	S=$2 awk 'BEGIN { s = ENVIRON["S"] } substr($0, 1, length(s) + 1) == s " " { print substr($0, length(s) + 2); exit }' "$1"
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

# ---- log lines of a background process ---------------------------------------------------

# log_lines NAME: the lines NAME has logged so far (a mark for log_since and wait_log).
log_lines() { wc -l <"$(bg_err "$1")"; }
# log_since NAME MARK: the log lines of NAME after line MARK.
log_since() { tail -n "+$(($2 + 1))" "$(bg_err "$1")"; }
# wait_log NAME MARK STRING SECONDS: bounded wait (10 ms polling) for a line after MARK
# holding STRING; NAME must stay alive meanwhile.
wait_log() {
	local deadline=$(($(now_ms) + $4 * 1000))
	until log_since "$1" "$2" | grep -qF -- "$3"; do
		bg_running "$1" || { fail "$1 exited while waiting for '$3'"; return 1; }
		[ "$(now_ms)" -lt "$deadline" ] || { fail "$1: no '$3' in the log within $4 s"; return 1; }
		sleep 0.01
	done
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

# ---- the status views (status_check.py) ---------------------------------------------------
# Used by test_status and test_events. The interpreter is resolved once, on first use: a
# version manager's shim (pyenv) costs half a second a call.

status_python() {
	if [ -z "${IT_PYTHON:-}" ]; then
		IT_PYTHON=$(python3 -c 'import sys; print(sys.executable)') || die "python3 does not run"
		[ -x "$IT_PYTHON" ] || die "cannot find the python3 interpreter ('$IT_PYTHON')"
	fi
}

# q FILE SELECTOR [MODE]: elements of an HTML file (status_check.py q: text, count,
# attr:NAME, cells, onattrs).
q() {
	status_python
	"$IT_PYTHON" "$IT_DIR/status_check.py" q "$@"
}

# pycheck ARGS...: status_check.py ARGS; each "ok TEXT" / "FAIL TEXT" line it prints is
# counted. It must run to its end and assert something.
pycheck() {
	local out rc=0 line n=0
	status_python
	out=$("$IT_PYTHON" "$IT_DIR/status_check.py" "$@" 2>&1) || rc=$?
	while IFS= read -r line; do
		case $line in
		"ok "*) ok "${line#ok }" && n=$((n + 1)) ;;
		"FAIL "*) fail "${line#FAIL }" && n=$((n + 1)) ;;
		"") ;;
		*) printf '  | %s\n' "$line" ;;
		esac
	done <<<"$out"
	[ "$rc" = 0 ] || fail "status_check.py $1 exited with status $rc"
	[ "$n" -gt 0 ] || fail "status_check.py $1 asserted nothing"
}

# ---- the ss cross-check ----------------------------------------------------------------
# Used by test_states (one exporter per namespace) and test_netns (one exporter, many
# namespaces: its output is cut down to one namespace's series first).

# ss_snapshot NS EXCLUDE_PORTS FILE: the namespace's TCP sockets as
# "FAMILY STATE LOCAL PEER TIMER" (FAMILY 4 or 6; TIMER as ss -o names it, "off" when
# none), leaving out every socket whose local or peer port is in EXCLUDE_PORTS.
#
# Why exclude: the exporter's own port carries the scrape itself. Between ss and the
# exporter's dump the scrape connection moves (ESTABLISHED, then TIME_WAIT or CLOSE_WAIT /
# LAST_ACK), and readiness probes leave TIME_WAIT sockets, so no single ss run can predict
# those. Every such socket has the exporter's port on one side, and the exporter labels
# it with exactly that port (server role when the port is local, since it is listening;
# client role when it is the peer, as it lies outside the ephemeral range). So the
# comparison drops these sockets on the ss side and the port="<exporter port>" series on
# the exporter side — the same set of sockets on both sides.
ss_snapshot() {
	local ns=$1 exclude=$2 out=$3
	{
		in_ns "$ns" ss -tanoH -4 | sed 's/^/4 /'
		in_ns "$ns" ss -tanoH -6 | sed 's/^/6 /'
	} | awk -v exclude="$exclude" '
		function port(a) { sub(/.*:/, "", a); return a == "*" ? 0 : a + 0 }
		BEGIN { n = split(exclude, e, ","); for (i = 1; i <= n; i++) skip[e[i] + 0] = 1 }
		(port($5) in skip) || (port($6) in skip) { next }
		{
			timer = "off"
			if (match($0, /timer:\([a-z]+/)) timer = substr($0, RSTART + 7, RLENGTH - 7)
			print $1, $2, $5, $6, timer
		}' >"$out"
}

# ss_expected SNAPSHOT EPH_LOW EPH_HIGH LISTEN_PORTS CLIENT_PORTS MAX_PORTS: applies the
# exporter's port/role policy (collectors/classify.h) to a snapshot; prints
# "connections PORT ROLE STATE COUNT" and "timer PORT ROLE TIMER COUNT" per nonzero
# count, then "folded ROLE N" lines.
#   server, port = local port   if LISTEN, or the local port is listening, or it is
#                               expected (--listen-ports), or the local port is outside
#                               the ephemeral range while the remote port is inside;
#   client, port = remote port  if it is in --client-ports or outside the ephemeral range;
#   client, port = "other"      otherwise.
# The cap: configured ports hold their slots first, then (since the exporter keeps the
# previous scrape's ports) ports in an order ss cannot know. The model is exact when no
# unconfigured port competes for a slot under the cap; a scenario where one does is
# reported as "nondeterministic" so that the test says so instead of guessing.
ss_expected() {
	awk -v lo="$2" -v hi="$3" -v lports="$4" -v cports="$5" -v max="$6" '
		function port(a) { sub(/.*:/, "", a); return a == "*" ? 0 : a + 0 }
		function eph(p) { return p >= lo && p <= hi }
		function slot(role, p) {
			if ((role, p) in has) return p
			if (used[role] >= max) {
				folded[role]++
				return "other"
			}
			used[role]++
			has[role, p] = 1
			return p
		}
		BEGIN {
			split("ESTAB established SYN-SENT syn_sent SYN-RECV syn_recv FIN-WAIT-1 fin_wait1 " \
			      "FIN-WAIT-2 fin_wait2 TIME-WAIT time_wait UNCONN close CLOSE-WAIT close_wait " \
			      "LAST-ACK last_ack LISTEN listen CLOSING closing", m, " ")
			for (i = 1; i < 22; i += 2) name[m[i]] = m[i + 1]
			# ss -o timer names (ss.c tmr_name) to the exporter timer label; ss 6.1 calls
			# every code above 4 (delayed ACK) "unknown".
			split("off off on retransmit keepalive keepalive timewait time_wait " \
			      "persist zero_window_probe unknown delayed_ack", m, " ")
			for (i = 1; i < 12; i += 2) tname[m[i]] = m[i + 1]
			n = split(lports, a, ",")
			for (i = 1; i <= n; i++) { expected[a[i] + 0] = 1; slot("server", a[i] + 0) }
			n = split(cports, a, ",")
			for (i = 1; i <= n; i++) { clientp[a[i] + 0] = 1; slot("client", a[i] + 0) }
		}
		{ st[NR] = $2; lp[NR] = port($3); rp[NR] = port($4); tm[NR] = $5; if ($2 == "LISTEN") listening[lp[NR]] = 1 }
		END {
			for (i = 1; i <= NR; i++) {
				s = (st[i] in name) ? name[st[i]] : "unknown_ss_state_" st[i]
				t = (tm[i] in tname) ? tname[tm[i]] : "unknown_ss_timer_" tm[i]
				if (st[i] == "LISTEN" || (lp[i] in listening) || (lp[i] in expected) ||
				    (!eph(lp[i]) && eph(rp[i]))) {
					role = "server"
					p = lp[i]
				} else {
					role = "client"
					p = ((rp[i] in clientp) || !eph(rp[i])) ? rp[i] : "other"
				}
				if (p != "other") {
					before = used[role]
					p = slot(role, p)
					if (used[role] > before) unpinned[role] = 1
				}
				count["connections " p " " role " " s]++
				count["timer " p " " role " " t]++
			}
			for (k in count) print k, count[k]
			print "folded server", folded["server"] + 0
			print "folded client", folded["client"] + 0
			for (r in folded) if (folded[r] && unpinned[r]) print "nondeterministic"
		}' "$1"
}

# exporter_series SCRAPE METRIC LABEL EXCLUDE_PORTS: "PORT ROLE VALUE_OF_LABEL SAMPLE" for
# every METRIC{port,role,LABEL} sample whose port is not excluded.
exporter_series() {
	awk -v metric="$2" -v label="$3" -v exclude="$4" '
		BEGIN { n = split(exclude, e, ","); for (i = 1; i <= n; i++) skip[e[i]] = 1 }
		index($0, metric "{") == 1 {
			if (match($0, /port="[^"]*"/)) p = substr($0, RSTART + 6, RLENGTH - 7); else p = "?"
			if (match($0, /role="[^"]*"/)) r = substr($0, RSTART + 6, RLENGTH - 7); else r = "?"
			if (match($0, "[{,]" label "=\"[^\"]*\"")) v = substr($0, RSTART + length(label) + 3, RLENGTH - length(label) - 4); else v = "?"
			if (!(p in skip)) print p, r, v, $NF
		}' "$1"
}

# sum_connections SCRAPE PORTS: sum of the tcp_health_connections samples on PORTS.
sum_connections() {
	awk -v ports="$2" '
		BEGIN { n = split(ports, e, ","); for (i = 1; i <= n; i++) want["port=\"" e[i] "\""] = 1 }
		/^tcp_health_connections\{/ {
			match($0, /port="[^"]*"/)
			if (substr($0, RSTART, RLENGTH) in want) sum += $NF
		}
		END { print sum + 0 }' "$1"
}

# compare_family LABEL KIND METRIC LABEL3 EXPECTED SCRAPE EXCLUDE: every METRIC series
# (exporter ports aside) equals the ss model's KIND count of its (port, role, LABEL3),
# and every nonzero model count has its series.
compare_family() {
	local label=$1 kind=$2 metric=$3 label3=$4 expected=$5 scrape_file=$6 exclude=$7
	local got="$IT_TMP/$label.$kind" mismatches nseries nonzero line
	exporter_series "$scrape_file" "$metric" "$label3" "$exclude" >"$got"
	nseries=$(wc -l <"$got")
	nonzero=$(awk -v k="$kind" '$1 == k' "$expected" | wc -l)
	mismatches=$(awk -v k="$kind" -v metric="$metric" -v l3="$label3" '
		NR == FNR { if ($1 == k) ss[$2 " " $3 " " $4] = $5; next }
		{
			key = $1 " " $2 " " $3
			seen[key] = 1
			want = (key in ss) ? ss[key] : 0
			if ($4 + 0 != want + 0)
				printf "%s{port=\"%s\",role=\"%s\",%s=\"%s\"}: expected %s (ss) got %s\n", metric, $1, $2, l3, $3, want, $4
		}
		END {
			for (key in ss) if (!(key in seen)) {
				split(key, f, " ")
				printf "%s{port=\"%s\",role=\"%s\",%s=\"%s\"}: expected %s (ss) got (absent)\n", metric, f[1], f[2], l3, f[3], ss[key]
			}
		}' "$expected" "$got")
	if [ "$nseries" = 0 ]; then
		fail "$label: no $metric series at all"
	elif [ -z "$mismatches" ]; then
		ok "$label: all $nseries $metric series equal the ss counts ($nonzero nonzero in ss, all present)"
	else
		while IFS= read -r line; do fail "$label: $line"; done <<<"$mismatches"
	fi
}

# crosscheck LABEL NS SCRAPE SS_BEFORE SS_AFTER EXCLUDE_PORTS LISTEN CLIENT MAX_PORTS
# ("Done when" of the issue): every tcp_health_connections series (and every
# tcp_health_timer_connections series) equals the ss count of its (port, role, state /
# timer), every nonzero ss count has its series, the folded counts agree, and
# sockets_scanned per family equals ss -4 / ss -6. The exporter sockets are left out on
# both sides (see ss_snapshot). They are subtracted from the IPv4 count, so every socket on
# an excluded port must be IPv4 (test_states' exporters listen on 127.0.0.1); with no
# excluded port nothing is subtracted.
crosscheck() {
	local label=$1 ns=$2 scrape_file=$3 before=$4 after=$5 exclude=$6 lports=$7 cports=$8 max=$9
	local range lo hi expected v4 v6 scanned4 scanned6 own role
	if cmp -s "$before" "$after"; then
		ok "$label: the namespace's sockets (exporter's port aside) did not change during the scrape"
	else
		fail "$label: sockets changed between the ss runs before and after the scrape; diff: $(diff "$before" "$after" | tr '\n' ' ')"
		return
	fi
	range=$(in_ns "$ns" cat /proc/sys/net/ipv4/ip_local_port_range)
	read -r lo hi <<<"$range"
	expected="$IT_TMP/$label.ss_expected"
	ss_expected "$before" "$lo" "$hi" "$lports" "$cports" "$max" >"$expected"
	if grep -q nondeterministic "$expected"; then
		fail "$label: scenario error: the port cap makes the ss model depend on dump order"
		return
	fi
	compare_family "$label" connections tcp_health_connections state "$expected" "$scrape_file" "$exclude"
	compare_family "$label" timer tcp_health_timer_connections timer "$expected" "$scrape_file" "$exclude"
	for role in server client; do
		assert_eq "$label: tcp_health_exporter_ports_folded_sockets{role=\"$role\"} vs ss model" \
			"$(awk -v r="$role" '$1 == "folded" && $2 == r { print $3 }' "$expected")" \
			"$(metric_value "$scrape_file" "tcp_health_exporter_ports_folded_sockets{role=\"$role\"}")"
	done
	v4=$(awk '$1 == 4' "$before" | wc -l)
	v6=$(awk '$1 == 6' "$before" | wc -l)
	scanned4=$(metric_value "$scrape_file" 'tcp_health_exporter_sockets_scanned{family="ipv4"}')
	scanned6=$(metric_value "$scrape_file" 'tcp_health_exporter_sockets_scanned{family="ipv6"}')
	own=$(sum_connections "$scrape_file" "$exclude")
	assert_eq "$label: sockets_scanned{family=\"ipv4\"} minus the $own exporter-port sockets vs ss -4" \
		"$v4" "$((${scanned4:-0} - own))"
	assert_eq "$label: sockets_scanned{family=\"ipv6\"} vs ss -6" "$v6" "${scanned6:-absent}"
}

# promtool_check LABEL FILE: `promtool check metrics` passes: exit 0 and no output.
promtool_check() {
	local out rc=0
	if [ -z "${PROMTOOL:-}" ] || [ ! -x "$PROMTOOL" ]; then
		fail "$1: PROMTOOL '${PROMTOOL:-}' is not an executable"
		return
	fi
	out=$("$PROMTOOL" check metrics <"$2" 2>&1) || rc=$?
	if [ "$rc" = 0 ] && [ -z "$out" ]; then
		ok "$1: promtool check metrics: no problems"
	else
		fail "$1: promtool check metrics: exit $rc: $(printf '%s' "$out" | tr '\n' ' ')"
	fi
}

