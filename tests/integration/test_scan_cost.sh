#!/usr/bin/env bash
# test_scan_cost.sh — what scans cost, as the exporter reports it, and the shared TCP hash:
#   1. --netns=self with real sockets (SCAN_COST_SOCKETS, default 2,000): over SCAN_COST_SCRAPES
#      scrapes (default 5) tcp_health_exporter_scan_cpu_seconds_total grows, by no more than
#      ..._scan_seconds_total (one thread scans) nor process_cpu_seconds_total, and each scrape's
#      ..._scan_duration_seconds is the sum of its tcp_health_scrape_collector_duration_seconds
#      within 20 % + 5 ms (the same work, timed around the whole scan).
#   2. --netns=all, --netns.workers=2, over SCAN_COST_NAMESPACES namespaces (default 6) of
#      SCAN_COST_NS_SOCKETS sockets each (default 400): the CPU grows, by at most
#      (workers + 1) × the wall time; the collectors' durations, summed over namespaces scanned
#      in parallel, are at most workers × the scan's wall time, and the wall time at most their
#      sum + discovery (+ 20 % + 10 ms).
#   3. tcp_health_sysctl_ehash_entries of each namespace is its net.ipv4.tcp_ehash_entries
#      (negative when it shares the host's table), tcp_health_sysctl_child_ehash_entries its
#      tcp_child_ehash_entries (absent before Linux 6.1, and the sysctl collector still
#      succeeds); the status document explains a shared table in words.
# Each mode prints its wall time and CPU per scrape (README's cost table:
# SCAN_COST_SOCKETS=10000 SCAN_COST_NAMESPACES=20 SCAN_COST_NS_SOCKETS=1000 SCAN_COST_SCRAPES=10).
# shellcheck source=tests/integration/lib.sh disable=SC1091
source "$(dirname "$0")/lib.sh"
it_begin awk python3

SOCKETS=${SCAN_COST_SOCKETS:-2000}
NAMESPACES=${SCAN_COST_NAMESPACES:-6}
NS_SOCKETS=${SCAN_COST_NS_SOCKETS:-400}
SCRAPES=${SCAN_COST_SCRAPES:-5}
WORKERS=2
ADDR=127.0.0.1:19978
URL=http://$ADDR/metrics

# check DESCRIPTION AWK-CONDITION VAR=VALUE...: one line, ok when the condition holds.
check() {
	local desc=$1 cond=$2 args=()
	shift 2
	for a in "$@"; do args+=(-v "$a"); done
	if awk "${args[@]}" "BEGIN { exit !($cond) }"; then
		ok "$desc ($*)"
	else
		fail "$desc: not $cond ($*)"
	fi
}

# collectors_sum FILE: the sum of the scrape's tcp_health_scrape_collector_duration_seconds.
collectors_sum() {
	awk '/^tcp_health_scrape_collector_duration_seconds\{/ { s += $2 } END { printf "%.9f\n", s }' "$1"
}

# cost_run NAME NS: SCRAPES scrapes of the exporter in NS after a first one, each checked by
# per_scrape (a function of FILE); sets FIRST and LAST to the first and last scrape's files.
cost_run() {
	local name=$1 ns=$2 i
	FIRST=$IT_TMP/$name.0.prom
	scrape "$ns" "$URL" "$FIRST" || die "$name: the first scrape failed"
	for i in $(seq 1 "$SCRAPES"); do
		LAST=$IT_TMP/$name.$i.prom
		scrape "$ns" "$URL" "$LAST" || die "$name: scrape $i failed"
		per_scrape "$LAST"
	done
}

# delta FAMILY: the growth of the unlabelled FAMILY from FIRST to LAST.
delta() {
	awk -v a="$(metric_value "$FIRST" "$1")" -v b="$(metric_value "$LAST" "$1")" \
		'BEGIN { printf "%.9f\n", b - a }'
}

# report MODE: the figures of the run, per scrape, and the checks common to both modes.
report() {
	local scans cpu wall
	scans=$(delta tcp_health_exporter_scans_total)
	scans=${scans%.*}
	cpu=$(delta tcp_health_exporter_scan_cpu_seconds_total)
	wall=$(delta tcp_health_exporter_scan_seconds_total)
	assert_eq "$1: scans between the first and the last scrape" "$SCRAPES" "$scans"
	check "$1: the CPU counter grows" "cpu > 0" "cpu=$cpu"
	check "$1: the wall-time counter grows by the scans' durations" "wall > 0" "wall=$wall"
	# The threads' clocks cannot add up to more than the whole process used (its
	# /proc/self/stat figure moves in clock ticks: 10 ms of slack per read).
	check "$1: the scan's CPU is within the process's" "cpu <= proc + 0.02" "cpu=$cpu" \
		"proc=$(delta process_cpu_seconds_total)"
	printf '  figures: %s: %s namespaces, %s sockets scanned, wall %.1f ms and CPU %.1f ms per scrape (%d scrapes)\n' \
		"$1" "$(v=$(metric_value "$LAST" tcp_health_exporter_netns_scanned); echo "${v:-1}")" \
		"$(awk '/^tcp_health_exporter_sockets_scanned/ { s += $2 } END { print s + 0 }' "$LAST")" \
		"$(awk -v w="$wall" -v n="$scans" 'BEGIN { print w / n * 1000 }')" \
		"$(awk -v c="$cpu" -v n="$scans" 'BEGIN { print c / n * 1000 }')" "$scans"
	CPU=$cpu WALL=$wall
}

# ---- 1. --netns=self ---------------------------------------------------------------------
section "1. --netns=self, $SOCKETS sockets: CPU within the wall time, wall time = the collectors'"
netns_create NS_SELF
sockstate_start s_self "$NS_SELF" listen 127.0.0.1 7100 1024 established 127.0.0.1 7100 $((SOCKETS / 2))
exporter_start self "$NS_SELF" "$TCPH_BIN" "$ADDR"
per_scrape() {
	check "self: scan duration = the collectors' durations (20 % + 5 ms)" \
		"d - s <= 0.2 * d + 0.005 && s - d <= 0.2 * d + 0.005" \
		"d=$(metric_value "$1" tcp_health_exporter_scan_duration_seconds)" "s=$(collectors_sum "$1")"
}
cost_run self "$NS_SELF"
report self
check "self: one thread scans, so its CPU is within the wall time" "cpu <= wall + 0.002" \
	"cpu=$CPU" "wall=$WALL"
assert_metric "$LAST" 'tcp_health_scrape_collector_success{collector="sysctl"}' 1
it_stop self
it_stop s_self

# ---- 2. --netns=all ----------------------------------------------------------------------
section "2. --netns=all, $NAMESPACES namespaces × $NS_SOCKETS sockets, $WORKERS workers"
MINE=()
for i in $(seq 1 "$NAMESPACES"); do
	netns_create NS_I # (not "ns": netns_create has a local of that name)
	MINE+=("$NS_I")
	sockstate_start "s$i" "$NS_I" listen 127.0.0.1 7200 1024 established 127.0.0.1 7200 $((NS_SOCKETS / 2))
done
netns_create NS_E
exporter_start all "$NS_E" "$TCPH_BIN" "$ADDR" --netns=all --netns.max=1024 \
	--netns.workers=$WORKERS
per_scrape() {
	local d s disc
	d=$(metric_value "$1" tcp_health_exporter_scan_duration_seconds)
	s=$(collectors_sum "$1")
	disc=$(metric_value "$1" tcp_health_exporter_netns_discovery_seconds)
	check "all: the collectors' busy time is at most $WORKERS × the scan's wall time" \
		"s <= $WORKERS * d * 1.05 + 0.005" "d=$d" "s=$s"
	check "all: the wall time is at most the collectors' + discovery (20 % + 10 ms)" \
		"d <= (s + disc) * 1.2 + 0.01" "d=$d" "s=$s" "disc=$disc"
}
cost_run all "$NS_E"
report all
check "all: CPU at most (workers + 1) × the wall time" "cpu <= ($WORKERS + 1) * wall + 0.005" \
	"cpu=$CPU" "wall=$WALL"

# ---- 3. the TCP hash table of each namespace ----------------------------------------------
section "3. tcp_ehash_entries per namespace, and in words on the status document"
in_ns "$NS_E" curl -sS --max-time 10 -o "$IT_TMP/status.json" "http://$ADDR/api/v1/status" ||
	die "GET /api/v1/status failed"
for ns in "${MINE[0]}" "$NS_E"; do
	for setting in ehash child_ehash; do
		want=$(in_ns "$ns" cat "/proc/sys/net/ipv4/tcp_${setting}_entries" 2>/dev/null || true)
		series="tcp_health_sysctl_${setting}_entries{netns=\"$ns\"}"
		if [ -n "$want" ]; then
			assert_metric "$LAST" "$series" "$want"
		else
			assert_eq "$series (this kernel has no tcp_${setting}_entries)" "" \
				"$(metric_value "$LAST" "$series")"
		fi
	done
done
assert_metric "$LAST" 'tcp_health_scrape_collector_success{collector="sysctl"}' 1
want=$(in_ns "${MINE[0]}" cat /proc/sys/net/ipv4/tcp_ehash_entries 2>/dev/null || true)
if [ -n "$want" ]; then
	rc=0
	out=$(python3 - "$IT_TMP/status.json" "${MINE[0]}" "$want" 2>&1 <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
value = int(sys.argv[3])
ns = next(n for n in doc["namespaces"] if n["netns"] == sys.argv[2])
assert ns["kernel"]["settings"]["net.ipv4.tcp_ehash_entries"] == value, ns["kernel"]["settings"]
e = next(e for e in ns["kernel"]["explained"] if e["setting"] == "net.ipv4.tcp_ehash_entries")
if value < 0:
    want = "shares the host's TCP hash table of %d buckets" % -value
    assert want in e["text"] and "tcp_child_ehash_entries" in e["text"], e["text"]
else:
    assert "TCP hash table of %d buckets" % value in e["text"], e["text"]
print(e["text"])
PY
	) || rc=$?
	if [ "$rc" = 0 ]; then
		ok "status: ${MINE[0]}: $out"
	else
		fail "status: tcp_ehash_entries=$want not explained: $out"
	fi
fi
it_stop all
it_end
