#!/usr/bin/env bash
# bench_netns.sh — what scanning every network namespace (--netns=all) costs.
#
# The exporter runs with --netns=all in a namespace of its own and is scraped from there.
# Each scenario is compared with its floor: tests/tools/netns_floor doing bare inet_diag
# dumps (the exporter's request, both families) of exactly the namespaces the exporter
# scanned (read from its netns labels: the bench's, its own, whatever else the host has;
# their number is checked against tcp_health_exporter_netns_scanned), one namespace after
# the other: the sum of the bare dumps.
#   E   BENCH_NETNS (100) empty namespaces: the fixed cost of a namespace
#   A0  the same namespaces, one connection each (the label sets of A, 3 sockets)
#   A/2 the same namespaces, half the sockets of A each
#   A   the same namespaces, BENCH_NETNS_SOCKETS (1,000) sockets each
#   B   one namespace with BENCH_NETNS_BIG (100,000) sockets; beside it, inside that
#       namespace, the exporter with --netns=self and node_exporter's tcpstat (when
#       prometheus-node-exporter is installed)
# Scrapes and floor passes alternate, round after round (BENCH_NETNS_ROUNDS, 15; A:
# BENCH_NETNS_ROUNDS_A, 5: a pass there takes seconds), so that a machine busy with
# something else slows both alike. Reported: scrape time (median curl time_total; also
# with --netns.workers=1, which scans one namespace after the other as the floor does),
# the floor (median), their ratios (the target is 1.2 at most), the fixed overhead per
# namespace, CPU time per scrape and per floor pass, response sizes, VmRSS and VmHWM.
# Time is reported, never asserted: it depends on the machine. Asserted: the floor covered
# the namespaces the exporter scanned, every socket was seen, and memory is bounded by
# namespaces and label sets, not by sockets. Peak RSS may grow by
#   - BENCH_NETNS_MAX_KB_PER_NS (128) KiB per empty namespace (E),
#   - BENCH_MAX_RSS_GROWTH_KB (2048, as bench.sh) when A doubles the sockets of A/2, and
#     when B's sockets arrive,
#   - that plus 64 KiB per namespace from A0 to A: each namespace's sock_diag socket keeps
#     a 64 KiB receive buffer (collectors/sockdiag.c), resident once a dump fills it,
# each plus BENCH_NETNS_KB_PER_LABEL_SET (16) KiB per port label set that appeared
# meanwhile (other programs' namespaces are scanned too, and come and go).
#
# The scenarios run in the order of SCENARIOS (below), each a function; a new one is a
# function and a row there.
#
# Quick mode (BENCH_QUICK=1, what make check runs; make bench runs the full sizes): every
# scenario marked quick in SCENARIOS (today all) at smaller sizes: 10 namespaces (A: 1,000
# sockets each, as in full), 20,000 sockets in B, 3 rounds. The same checks, the same
# limits; the figures are printed, but the published ones (docs/benchmarks.md) come from
# make bench.
#
# Environment: TCPH_BIN, TOOLS (as for the integration tests); NODE_EXPORTER (default:
# prometheus-node-exporter from PATH); BENCH_NETNS_CHILD_EHASH=N makes the bench's
# namespaces with a TCP hash table of N buckets each (see below) instead of the host's;
# BENCH_QUICK=1; the sizes BENCH_NETNS, BENCH_NETNS_SOCKETS, BENCH_NETNS_BIG,
# BENCH_NETNS_ROUNDS, BENCH_NETNS_ROUNDS_A (also in quick mode).
source "$(dirname "$0")/../integration/lib.sh"
it_begin stat xargs awk sort sed nsenter sysctl

QUICK=${BENCH_QUICK:-0}
if [ "$QUICK" = 1 ]; then
	NS_COUNT=${BENCH_NETNS:-10}
	PER_NS_SOCKETS=${BENCH_NETNS_SOCKETS:-1000}
	BIG_SOCKETS=${BENCH_NETNS_BIG:-20000}
	ROUNDS=${BENCH_NETNS_ROUNDS:-3}
	ROUNDS_A=${BENCH_NETNS_ROUNDS_A:-3}
else
	NS_COUNT=${BENCH_NETNS:-100}
	PER_NS_SOCKETS=${BENCH_NETNS_SOCKETS:-1000}
	BIG_SOCKETS=${BENCH_NETNS_BIG:-100000}
	ROUNDS=${BENCH_NETNS_ROUNDS:-15}
	ROUNDS_A=${BENCH_NETNS_ROUNDS_A:-5}
fi
MAX_GROWTH_KB=${BENCH_MAX_RSS_GROWTH_KB:-2048}
MAX_KB_PER_NS=${BENCH_NETNS_MAX_KB_PER_NS:-128}
KB_PER_LABEL_SET=${BENCH_NETNS_KB_PER_LABEL_SET:-16}
CHILD_EHASH=${BENCH_NETNS_CHILD_EHASH:-0}
RECV_BUFFER_KB=64 # SOCKDIAG_RECV_BUFFER: one per namespace
PER_PROCESS=5000 # connections per sockstate: 10,001 fds, under the 20,000 hard limit
PORT=19310       # the exporter; +1 --netns.workers=1, +2 no histograms, +3 node_exporter, +4 --netns=self
NETNS_DIRS=(/run/netns /var/run/netns /run/docker/netns) # as collectors/netns.c
NODE_EXPORTER=${NODE_EXPORTER:-$(command -v prometheus-node-exporter || true)}
TICK_MS=$((1000 / $(getconf CLK_TCK)))
[ -x "$TOOLS/netns_floor" ] || die "'$TOOLS/netns_floor' is not an executable (make build/tools/netns_floor)"
if [ "$PER_NS_SOCKETS" -lt 4 ] || [ "$PER_NS_SOCKETS" -gt $((PER_PROCESS * 2)) ]; then
	die "BENCH_NETNS_SOCKETS must be 4..$((PER_PROCESS * 2))"
fi

proc_kb() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }
cpu_ticks() { awk '{ sub(/.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; } # utime + stime
ms() { awk -v s="$1" 'BEGIN { printf "%.2f", s * 1000 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a != "-" && b > 0) printf "%.2f", a / b; else print "-" }'; }
per_ns_us() { awk -v a="$1" -v b="$2" -v n="$3" 'BEGIN { if (a != "-") printf "%.0f", (a - b) * 1000 / n; else print "-" }'; }
median() { sort -n "$1" | awk '{ t[NR] = $1 } END { printf "%.2f\n", t[int((NR + 1) / 2)] }'; }
spread() { sort -n "$1" | awk 'NR == 1 { a = $1 } { b = $1 } END { if (NR) printf "%.0f-%.0f", a, b; else print "-" }'; }
maximum() { sort -n "$1" | tail -n 1; }
row() { printf '  %-58s %s\n' "$1" "$2"; }

# curl_ms NS URL [CURL ARGS...]: one GET; prints time_total in ms and the bytes received.
# The body goes to $CURL_OUT (default /dev/null).
curl_ms() {
	local ns=$1 url=$2
	shift 2
	in_ns "$ns" curl -s -o "${CURL_OUT:-/dev/null}" --max-time 120 -w '%{time_total} %{size_download}\n' "$@" "$url" |
		awk '{ printf "%.2f %d\n", $1 * 1000, $2 }'
}

# label_sets FILE: port label sets in a scrape (one tcp_health_retransmitting_connections
# sample each: netns, port, role).
label_sets() { grep -c '^tcp_health_retransmitting_connections{' "$1" || true; }

# rss_check WHAT GROWTH_KB LIMIT_KB SETS_BEFORE SETS_AFTER: peak RSS may grow by LIMIT_KB,
# plus KB_PER_LABEL_SET for each port label set that appeared meanwhile (the bench's, or
# those of another program's namespaces, which --netns=all scans as well).
rss_check() {
	local extra=$(($5 > $4 ? ($5 - $4) * KB_PER_LABEL_SET : 0)) note=""
	[ "$extra" = 0 ] || note=" + $KB_PER_LABEL_SET KiB x $(($5 - $4)) new label sets"
	if [ "$2" -le $(($3 + extra)) ]; then
		ok "$1: peak RSS grew by $2 KiB (limit $3 KiB$note)"
	else
		fail "$1: peak RSS grew by $2 KiB (limit $3 KiB$note): memory follows sockets"
	fi
}

# scanned_paths FILE: a file for each namespace the exporter scanned, from the netns labels
# of its scrape FILE: the name under a directory of named namespaces, /proc/1/ns/net for
# "host", /proc/PID/ns/net (lowest PID) for "ino_N". One that is gone is left out.
scanned_paths() {
	local label d ino p
	declare -A by_ino=()
	while read -r ino p; do
		[ -n "${by_ino[$ino]:-}" ] || by_ino[$ino]=$p
	done < <(printf '%s\n' /proc/[0-9]*/ns/net | sort -t/ -k3,3n |
		{ xargs -r -d '\n' stat -L -c '%i %n' 2>/dev/null || true; })
	while read -r label; do
		case $label in
		host) echo /proc/1/ns/net ;;
		ino_*) if [ -n "${by_ino[${label#ino_}]:-}" ]; then echo "${by_ino[${label#ino_}]}"; fi ;;
		*) for d in "${NETNS_DIRS[@]}"; do
			if [ -e "$d/$label" ]; then
				echo "$d/$label"
				break
			fi
		done ;;
		esac
	done < <(sed -n 's/^tcp_health_exporter_sockets_scanned{netns="\([^"]*\)".*family="ipv4".*/\1/p' "$1")
}

# measure NAME ROUNDS: scrapes the exporter, reads which namespaces it scanned, then
# ROUNDS rounds of a scrape, a scrape of the --netns.workers=1 exporter when it runs, and
# one floor pass over those namespaces. Sets the variables `report` prints.
measure() {
	local name=$1 m="$IT_TMP/$1.prom" r n_sets out cpu0 cpu1 w1_cpu0=0 w1_cpu1=0
	scrape "$exp_ns" "$URL" "$m" || die "scrape failed"
	# Other programs may add and remove namespaces meanwhile: until every one is found.
	rounds=$2
	for _ in $(seq 20); do
		scrape "$exp_ns" "$URL" "$m" || die "scrape failed"
		mapfile -t paths < <(scanned_paths "$m")
		scanned=$(metric_value "$m" tcp_health_exporter_netns_scanned)
		[ "${#paths[@]}" = "$scanned" ] && break
		sleep 0.2
	done
	found=$(metric_value "$m" tcp_health_exporter_netns_found)
	tcp_s=$(metric_value "$m" 'tcp_health_scrape_collector_duration_seconds{collector="tcp"}')
	sysctl_s=$(metric_value "$m" 'tcp_health_scrape_collector_duration_seconds{collector="sysctl"}')
	netstat_s=$(metric_value "$m" 'tcp_health_scrape_collector_duration_seconds{collector="netstat"}')
	discovery_s=$(metric_value "$m" tcp_health_exporter_netns_discovery_seconds)
	sockets=$(awk '/^tcp_health_exporter_sockets_scanned\{/ { s += $NF } END { print s + 0 }' "$m")
	label_sets=$(label_sets "$m")
	max_sets=$label_sets
	floor_ns=${#paths[@]}
	floor_lost=0
	: >"$IT_TMP/scrape.ms"
	: >"$IT_TMP/w1.ms"
	: >"$IT_TMP/floor.ms"
	: >"$IT_TMP/floor_cpu.ms"
	cpu0=$(cpu_ticks "$exp_pid")
	[ -z "${IT_PID[w1]:-}" ] || w1_cpu0=$(cpu_ticks "$(bg_pid w1)")
	for ((r = 0; r < rounds; r++)); do
		CURL_OUT="$IT_TMP/round.prom" curl_ms "$exp_ns" "$URL" >>"$IT_TMP/scrape.ms"
		n_sets=$(label_sets "$IT_TMP/round.prom")
		[ "$n_sets" -le "$max_sets" ] || max_sets=$n_sets
		[ -z "${IT_PID[w1]:-}" ] || curl_ms "$exp_ns" "http://127.0.0.1:$((PORT + 1))/metrics" >>"$IT_TMP/w1.ms"
		until out=$("$TOOLS/netns_floor" "${paths[@]}" 2>"$IT_TMP/floor.err"); do
			# A namespace of another program went away: the floor goes on without it.
			mapfile -t paths < <(for p in "${paths[@]}"; do [ ! -e "$p" ] || echo "$p"; done)
			floor_lost=$((floor_lost + 1))
			[ "$floor_lost" -le 10 ] || die "netns_floor failed: $(cat "$IT_TMP/floor.err")"
		done
		sed -n 's/.* median_ms=\([0-9.]*\).*/\1/p' <<<"$out" >>"$IT_TMP/floor.ms"
		sed -n 's/.* cpu_ms=\([0-9.]*\).*/\1/p' <<<"$out" >>"$IT_TMP/floor_cpu.ms"
		floor_records=$(sed -n 's/.* records=\([0-9]*\).*/\1/p' <<<"$out")
	done
	cpu1=$(cpu_ticks "$exp_pid")
	[ -z "${IT_PID[w1]:-}" ] || w1_cpu1=$(cpu_ticks "$(bg_pid w1)")
	scrape_ms=$(median "$IT_TMP/scrape.ms")
	spreads="$(spread "$IT_TMP/scrape.ms") / $(spread "$IT_TMP/w1.ms") / $(spread "$IT_TMP/floor.ms")"
	scrape_max=$(maximum "$IT_TMP/scrape.ms" | cut -d' ' -f1)
	bytes=$(tail -n 1 "$IT_TMP/scrape.ms" | cut -d' ' -f2)
	floor_ms=$(median "$IT_TMP/floor.ms")
	floor_cpu=$(median "$IT_TMP/floor_cpu.ms")
	scrape_cpu=$(((cpu1 - cpu0) * TICK_MS / rounds))
	if [ -n "${IT_PID[w1]:-}" ]; then
		w1_ms=$(median "$IT_TMP/w1.ms")
		w1_cpu=$(((w1_cpu1 - w1_cpu0) * TICK_MS / rounds))
	else
		w1_ms=- w1_cpu=-
	fi
	rss=$(proc_kb "$exp_pid" VmRSS)
	hwm=$(proc_kb "$exp_pid" VmHWM)
}

# report TITLE BENCH_NAMESPACES: prints the figures of the last measure.
report() {
	local ours=$2
	section "$1"
	row "namespaces: found / scanned / in the floor" "$found / $scanned / $floor_ns ($ours of the bench, the exporter's,$parent_text $((floor_ns - ours - 1 - ${#parent_ns[@]})) other)"
	row "sockets scanned / floor records; port label sets (max)" "$sockets / $floor_records; $label_sets ($max_sets)"
	row "scrape, median / max of $rounds (ms)" "$scrape_ms / $scrape_max"
	row "scrape with --netns.workers=1, median (ms)" "$w1_ms"
	row "floor: sum of bare dumps, median (ms)" "$floor_ms"
	one_dump_ms=$("$TOOLS/netns_floor" --one-dump --reps 3 "${paths[@]}" 2>/dev/null |
		sed -n 's/.* median_ms=\([0-9.]*\).*/\1/p') || true
	one_dump_ms=${one_dump_ms:--}
	row "floor with one legacy dump for both families, median of 3 (ms)" "$one_dump_ms"
	row "range: scrape / --netns.workers=1 / floor (ms)" "$spreads"
	row "scrape / floor; with --netns.workers=1 / floor (target <= 1.2)" "$(ratio "$scrape_ms" "$floor_ms"); $(ratio "$w1_ms" "$floor_ms")"
	row "(scrape - floor) / namespaces; with --netns.workers=1 (us)" "$(per_ns_us "$scrape_ms" "$floor_ms" "$floor_ns"); $(per_ns_us "$w1_ms" "$floor_ms" "$floor_ns")"
	row "CPU per scrape; --netns.workers=1; floor pass (ms)" "$scrape_cpu; $w1_cpu; $floor_cpu"
	row "collectors summed over namespaces: tcp / sysctl / netstat (ms)" "$(ms "$tcp_s") / $(ms "$sysctl_s") / $(ms "$netstat_s")"
	row "discovery (ms)" "$(ms "$discovery_s")"
	row "response bytes" "$bytes"
	row "exporter RSS / peak RSS (KiB)" "$rss / $hwm"
	[ "$floor_lost" = 0 ] || row "note: namespaces of other programs gone during the floor" "$floor_lost"
	if [ "$scanned" = "$floor_ns" ] || [ "$floor_lost" != 0 ]; then
		ok "$1: the floor covered the $floor_ns namespaces the exporter scanned ($scanned)"
	else
		fail "$1: the exporter scanned $scanned namespaces, the floor found $floor_ns of them"
	fi
}

# bench_ns NAME [child]: a namespace with lo up, deleted at exit (numbered names: with 100
# of them, netns_create's $RANDOM would collide now and then). A child (one that holds the
# bench's sockets) keeps no TIME_WAIT sockets, and is made from inside $parent_ns when there
# is one (BENCH_NETNS_CHILD_EHASH), and so gets its own TCP hash table.
bench_ns() {
	if [ "${2:-}" = child ] && [ "${#parent_ns[@]}" = 1 ]; then
		nsenter --net="/run/netns/${parent_ns[0]}" ip netns add "$1" || die "ip netns add $1 (in ${parent_ns[0]}) failed"
	else
		ip netns add "$1" || die "ip netns add $1 failed"
	fi
	IT_NETNS+=("$1")
	ip -n "$1" link set lo up || die "cannot bring lo up in $1"
	# The connections of one scenario, closed, would stay in the next as TIME_WAIT sockets.
	if [ "${2:-}" = child ]; then
		in_ns "$1" sysctl -q -w net.ipv4.tcp_max_tw_buckets=0 || die "cannot set tcp_max_tw_buckets in $1"
	fi
}

# sockets_start NS NAME SOCKETS: SOCKETS sockets (ESTABLISHED pairs on 127.0.0.1 plus one
# listener per process, port 20000 onwards) in NS, in the background; their names go to
# STARTED. sockets_wait waits until all of STARTED are ready; sockets_stop stops them.
sockets_start() {
	local ns=$1 name=$2 connections=$(($3 / 2)) made=0 n=0 batch
	while [ "$made" -lt "$connections" ]; do
		batch=$((connections - made < PER_PROCESS ? connections - made : PER_PROCESS))
		bg_start "$name-$n" "$ns" "$TOOLS/sockstate" --timeout 600 listen 127.0.0.1 $((20000 + n)) 4096 \
			established 127.0.0.1 $((20000 + n)) "$batch"
		STARTED+=("$name-$n")
		made=$((made + batch))
		n=$((n + 1))
	done
}
sockets_wait() {
	local name
	for name in "${STARTED[@]}"; do bg_wait_ready "$name" 120; done
}
# del_bench_ns: deletes the namespaces of E and A.
del_bench_ns() {
	local keep=() ns
	for ns in "${IT_NETNS[@]}"; do
		case $ns in
		"tcph-bench-$$-a"*) ip netns del "$ns" || die "cannot delete $ns" ;;
		*) keep+=("$ns") ;;
		esac
	done
	IT_NETNS=("${keep[@]}")
}
sockets_stop() {
	local name
	for name in "${STARTED[@]}"; do kill -TERM "${IT_PID[$name]}" 2>/dev/null || true; done
	for name in "${STARTED[@]}"; do it_stop "$name" none 10; done
	STARTED=()
}

# exporters_start: the exporter (--netns=all) and the --netns.workers=1 one, in $exp_ns.
exporters_start() {
	exporter_start exporter "$exp_ns" "$TCPH_BIN" "127.0.0.1:$PORT" --netns=all
	exp_pid=$(bg_pid exporter)
	exporter_start w1 "$exp_ns" "$TCPH_BIN" "127.0.0.1:$((PORT + 1))" --netns=all --netns.workers=1
}

# summary_add NAME NAMESPACES SCRAPE W1 FLOOR ONE_DUMP HWM: a row of the closing summary.
SUMMARY=()
summary_add() { SUMMARY+=("$(printf '%s\037' "$@")"); }

# bench_namespaces: the NS_COUNT namespaces that E, A0, A/2 and A share (made once).
bench_namespaces() {
	local i start
	[ -z "${made_bench_ns:-}" ] || return 0
	start=$(now_ms)
	for ((i = 0; i < NS_COUNT; i++)); do bench_ns "tcph-bench-$$-a$i" child; done
	section "$NS_COUNT namespaces made in $(($(now_ms) - start)) ms"
	made_bench_ns=1
}

# ---- E: empty namespaces -----------------------------------------------------------------
scenario_empty() {
	bench_namespaces
	measure empty "$ROUNDS"
	report "E: $NS_COUNT empty namespaces" "$NS_COUNT"
	e_one=$one_dump_ms e_scrape=$scrape_ms e_floor=$floor_ms e_w1=$w1_ms e_hwm=$hwm e_ns=$floor_ns e_bytes=$bytes e_sets=$max_sets
	local added=$((e_ns - base_ns))
	row "each namespace added: scrape / --netns.workers=1 / floor (us)" \
		"$(per_ns_us "$e_scrape" "$base_scrape" "$added") / $(per_ns_us "$e_w1" "$base_w1" "$added") / $(per_ns_us "$e_floor" "$base_floor" "$added")"
	row "each namespace added: response bytes" "$(((e_bytes - base_bytes) / added))"
	row "each namespace added: peak RSS (KiB)" "$(((e_hwm - base_hwm) / added))"
	rss_check "E: $added empty namespaces" "$((e_hwm - base_hwm))" "$((added * MAX_KB_PER_NS))" "$base_sets" "$e_sets"
	summary_add "E: $NS_COUNT empty" "$e_ns" "$e_scrape" "$e_w1" "$e_floor" "$e_one" "$e_hwm"
}

# ---- A0, A/2, A: the same namespaces with sockets ------------------------------------------
scenario_labels() {
	local i
	bench_namespaces
	for ((i = 0; i < NS_COUNT; i++)); do sockets_start "tcph-bench-$$-a$i" "a0-$i" 2; done
	sockets_wait
	measure labels "$ROUNDS"
	report "A0: $NS_COUNT namespaces x 1 connection (the label sets of A)" "$NS_COUNT"
	a0_hwm=$hwm a0_bytes=$bytes a0_sets=$max_sets
	row "A0: peak RSS per port label set added to E (KiB)" \
		"$(awk -v a="$a0_hwm" -v e="$e_hwm" -v n="$((a0_sets - e_sets))" 'BEGIN { if (n > 0) printf "%.1f", (a - e) / n; else print "-" }')"
	sockets_stop
}

# Half the sockets of A: every receive buffer is filled already (see A), the label sets are
# the same; what A adds to it follows the sockets alone.
scenario_half() {
	local i half=$((PER_NS_SOCKETS / 2 - PER_NS_SOCKETS / 2 % 2)) # even: pairs
	bench_namespaces
	for ((i = 0; i < NS_COUNT; i++)); do sockets_start "tcph-bench-$$-a$i" "ah-$i" "$half"; done
	sockets_wait
	measure half 3
	report "A/2: $NS_COUNT namespaces x $half sockets" "$NS_COUNT"
	ah_hwm=$hwm ah_sets=$max_sets
	sockets_stop
}

scenario_loaded() {
	local i start ours want
	bench_namespaces
	start=$(now_ms)
	for ((i = 0; i < NS_COUNT; i++)); do sockets_start "tcph-bench-$$-a$i" "a$i" "$PER_NS_SOCKETS"; done
	sockets_wait
	section "$((NS_COUNT * PER_NS_SOCKETS)) sockets in $NS_COUNT namespaces (${#STARTED[@]} processes) made in $(($(now_ms) - start)) ms"
	measure loaded "$ROUNDS_A"
	report "A: $NS_COUNT namespaces x $PER_NS_SOCKETS sockets" "$NS_COUNT"
	a_one=$one_dump_ms a_scrape=$scrape_ms a_floor=$floor_ms a_w1=$w1_ms a_hwm=$hwm a_ns=$floor_ns
	ours=$(awk -v p="tcph-bench-$$-a" 'index($0, "tcp_health_exporter_sockets_scanned{netns=\"" p) == 1 { s += $NF } END { print s + 0 }' "$IT_TMP/loaded.prom")
	want=$((NS_COUNT * (PER_NS_SOCKETS / 2 * 2 + 1))) # both ends of each loopback pair, the listener
	if [ "$ours" -ge "$want" ]; then
		ok "A: the scan saw all $want sockets of the bench's namespaces ($ours)"
	else
		fail "A: the scan saw $ours sockets in the bench's namespaces, expected at least $want"
	fi
	# Over A0, each namespace's sock_diag socket has filled its receive buffer (64 KiB each,
	# collectors/sockdiag.c): memory that follows namespaces, allowed as such.
	rss_check "A: $ours sockets where A/2 had half as many" "$((a_hwm - ah_hwm))" "$MAX_GROWTH_KB" "$ah_sets" "$max_sets"
	rss_check "A: $ours sockets where A0 had $NS_COUNT connections" "$((a_hwm - a0_hwm))" \
		"$((MAX_GROWTH_KB + NS_COUNT * RECV_BUFFER_KB))" "$a0_sets" "$max_sets"
	row "A: peak RSS over A0 / A/2 (KiB)" "$((a_hwm - a0_hwm)) / $((a_hwm - ah_hwm))"
	read -r gz_ms gz_bytes < <(curl_ms "$exp_ns" "$URL" -H 'Accept-Encoding: gzip')
	it_stop w1
	exporter_start nohist "$exp_ns" "$TCPH_BIN" "127.0.0.1:$((PORT + 2))" --netns=all --no-collector.tcp.histograms
	read -r nohist_ms nohist_bytes < <(curl_ms "$exp_ns" "http://127.0.0.1:$((PORT + 2))/metrics")
	read -r nohist_gz_ms nohist_gz_bytes < <(curl_ms "$exp_ns" "http://127.0.0.1:$((PORT + 2))/metrics" -H 'Accept-Encoding: gzip')
	it_stop nohist
	row "A: response bytes: plain / gzip (one gzip scrape: ms); A0 plain" "$bytes / $gz_bytes ($gz_ms); $a0_bytes"
	row "A: --no-collector.tcp.histograms: plain / gzip (bytes)" "$nohist_bytes / $nohist_gz_bytes"
	row "A: --no-collector.tcp.histograms: one scrape plain / gzip (ms)" "$nohist_ms / $nohist_gz_ms"
	sockets_stop
	summary_add "A: $NS_COUNT x $PER_NS_SOCKETS" "$a_ns" "$a_scrape" "$a_w1" "$a_floor" "$a_one" "$a_hwm"
}

# ---- B: one namespace, many sockets ------------------------------------------------------
# side NAME PORT: ROUNDS scrapes of NAME (the exporter with --netns=self, node_exporter's
# tcpstat) inside $big; sets side_ms side_max side_bytes side_cpu side_rss side_hwm.
side() {
	local pid r cpu0
	pid=$(bg_pid "$1")
	: >"$IT_TMP/side.ms"
	cpu0=$(cpu_ticks "$pid")
	for ((r = 0; r < ROUNDS; r++)); do curl_ms "$big" "http://127.0.0.1:$2/metrics" >>"$IT_TMP/side.ms"; done
	side_cpu=$((($(cpu_ticks "$pid") - cpu0) * TICK_MS / ROUNDS))
	side_ms=$(median "$IT_TMP/side.ms")
	side_max=$(maximum "$IT_TMP/side.ms" | cut -d' ' -f1)
	side_bytes=$(tail -n 1 "$IT_TMP/side.ms" | cut -d' ' -f2)
	side_rss=$(proc_kb "$pid" VmRSS)
	side_hwm=$(proc_kb "$pid" VmHWM)
}

# B starts afresh: without the namespaces of E and A, with new exporters.
scenario_big() {
	local start ours want
	del_bench_ns
	made_bench_ns=
	[ -z "${IT_PID[w1]:-}" ] || it_stop w1
	it_stop exporter
	big="tcph-bench-$$-big"
	bench_ns "$big" child
	exporters_start
	measure big_empty 3
	b0_hwm=$hwm b0_rss=$rss b0_sets=$max_sets
	start=$(now_ms)
	sockets_start "$big" big "$BIG_SOCKETS"
	sockets_wait
	section "$BIG_SOCKETS sockets in one namespace (${#STARTED[@]} processes) made in $(($(now_ms) - start)) ms"
	measure big "$ROUNDS"
	report "B: 1 namespace x $BIG_SOCKETS sockets" 1
	b_one=$one_dump_ms b_scrape=$scrape_ms b_max=$scrape_max b_floor=$floor_ms b_w1=$w1_ms b_hwm=$hwm b_rss=$rss b_ns=$floor_ns
	b_bytes=$bytes b_cpu=$scrape_cpu
	ours=$(awk -v p="$big" 'index($0, "tcp_health_exporter_sockets_scanned{netns=\"" p "\"") == 1 { s += $NF } END { print s + 0 }' "$IT_TMP/big.prom")
	want=$((BIG_SOCKETS / 2 * 2 + ${#STARTED[@]}))
	if [ "$ours" -ge "$want" ]; then
		ok "B: the scan saw all $want sockets of the namespace ($ours)"
	else
		fail "B: the scan saw $ours sockets in $big, expected at least $want"
	fi
	row "B: exporter RSS / peak RSS before the sockets (KiB)" "$b0_rss / $b0_hwm"
	rss_check "B: $ours sockets" "$((b_hwm - b0_hwm))" "$MAX_GROWTH_KB" "$b0_sets" "$max_sets"
	it_stop w1
	summary_add "B: 1 x $BIG_SOCKETS" "$b_ns" "$b_scrape" "$b_w1" "$b_floor" "$b_one" "$b_hwm"
	big_side_by_side
}

# The same namespace by the exporter inside it (--netns=self) and by node_exporter's tcpstat.
big_side_by_side() {
	local self_ms self_max self_bytes self_cpu self_rss self_hwm ne_est
	local ne_ms=- ne_max=- ne_bytes=- ne_cpu=- ne_rss=- ne_hwm=- ne_ns=-
	exporter_start self "$big" "$TCPH_BIN" "127.0.0.1:$((PORT + 4))" --netns=self
	side self $((PORT + 4))
	self_ms=$side_ms self_max=$side_max self_bytes=$side_bytes self_cpu=$side_cpu self_rss=$side_rss self_hwm=$side_hwm
	it_stop self
	if [ -n "$NODE_EXPORTER" ] && [ -x "$NODE_EXPORTER" ]; then
		bg_start node_exporter "$big" "$NODE_EXPORTER" --collector.disable-defaults --collector.tcpstat \
			"--web.listen-address=127.0.0.1:$((PORT + 3))"
		http_wait node_exporter "$big" "http://127.0.0.1:$((PORT + 3))/" 10
		scrape "$big" "http://127.0.0.1:$((PORT + 3))/metrics" "$IT_TMP/node.prom" || die "node_exporter scrape failed"
		side node_exporter $((PORT + 3))
		ne_ms=$side_ms ne_max=$side_max ne_bytes=$side_bytes ne_cpu=$side_cpu ne_rss=$side_rss ne_hwm=$side_hwm ne_ns=1
		ne_est=$(metric_value "$IT_TMP/node.prom" 'node_tcp_connection_states{state="established"}')
		it_stop node_exporter
	fi
	section "B: the $BIG_SOCKETS-socket namespace side by side (median of $ROUNDS)"
	side_row() { printf '  %-30s %14s %14s %14s %14s\n' "$@"; }
	side_row "" "floor" "--netns=all" "--netns=self" "node_exporter"
	side_row "namespaces read" "$b_ns" "$b_ns" 1 "$ne_ns"
	side_row "scrape, median (ms)" "$b_floor" "$b_scrape" "$self_ms" "$ne_ms"
	side_row "scrape, max (ms)" "-" "$b_max" "$self_max" "$ne_max"
	side_row "CPU per scrape (ms)" "$floor_cpu" "$b_cpu" "$self_cpu" "$ne_cpu"
	side_row "response bytes" "-" "$b_bytes" "$self_bytes" "$ne_bytes"
	side_row "RSS (KiB)" "-" "$b_rss" "$self_rss" "$ne_rss"
	side_row "peak RSS (KiB)" "-" "$b_hwm" "$self_hwm" "$ne_hwm"
	if [ "$ne_ns" = 1 ]; then
		row "node_exporter's node_tcp_connection_states{state=\"established\"}" "$ne_est"
	else
		echo "  node_exporter comparison SKIPPED: prometheus-node-exporter is not installed" \
			"(apt-get install prometheus-node-exporter, or NODE_EXPORTER=/path/to/node_exporter)"
	fi
}

# The scenarios in the order they run: NAME, QUICK (1: quick mode runs it too), FUNCTION.
# E, A0, A/2 and A share the namespaces bench_namespaces makes, in this order (A's memory
# checks compare it with A0 and A/2); B starts afresh.
SCENARIOS=(
	"E   1 scenario_empty"
	"A0  1 scenario_labels"
	"A/2 1 scenario_half"
	"A   1 scenario_loaded"
	"B   1 scenario_big"
)

bench_start=$(now_ms)
STARTED=()
exp_ns="tcph-bench-$$-exp"
bench_ns "$exp_ns"
# BENCH_NETNS_CHILD_EHASH=N: the bench's namespaces get a TCP hash table of N buckets of
# their own (net.ipv4.tcp_child_ehash_entries, Linux 6.1+, set in a parent namespace they
# are made from) instead of sharing the host's, which every dump walks whole.
parent_ns=() parent_text=""
if [ "$CHILD_EHASH" != 0 ]; then
	parent_ns=("tcph-bench-$$-parent")
	parent_text=" the bench's parent,"
	bench_ns "${parent_ns[0]}"
	in_ns "${parent_ns[0]}" sysctl -q -w "net.ipv4.tcp_child_ehash_entries=$CHILD_EHASH" ||
		die "cannot set net.ipv4.tcp_child_ehash_entries (Linux 6.1+)"
	section "BENCH_NETNS_CHILD_EHASH=$CHILD_EHASH: each namespace of the bench has a TCP hash table of its own"
else
	section "the namespaces share the host's TCP hash table ($(sysctl -n net.ipv4.tcp_ehash_entries 2>/dev/null || echo '?') buckets; BENCH_NETNS_CHILD_EHASH=N gives each its own)"
fi
run=()
for s in "${SCENARIOS[@]}"; do
	read -r name quick _ <<<"$s"
	[ "$QUICK" != 1 ] || [ "$quick" = 1 ] || continue
	run+=("$name")
done
if [ "$QUICK" = 1 ]; then
	section "quick mode (BENCH_QUICK=1): scenarios ${run[*]} at sizes $NS_COUNT namespaces x $PER_NS_SOCKETS sockets, B $BIG_SOCKETS sockets, $ROUNDS rounds (A: $ROUNDS_A); the same checks; the published figures come from make bench"
fi
URL="http://127.0.0.1:$PORT/metrics"
exporters_start

measure base "$ROUNDS"
report "before: no namespace of the bench" 0
base_sets=$max_sets base_hwm=$hwm base_scrape=$scrape_ms base_floor=$floor_ms base_w1=$w1_ms base_ns=$floor_ns base_bytes=$bytes

for s in "${SCENARIOS[@]}"; do
	read -r name quick fn <<<"$s"
	[ "$QUICK" != 1 ] || [ "$quick" = 1 ] || continue
	"$fn"
done

section "summary: scrape against the floor (the same namespaces' bare dumps, one after the other)"
sum_row() { printf '  %-16s %5s %9s %9s %9s %6s %6s %8s %8s %9s %8s\n' "$@"; }
sum_row scenario netns "scrape ms" "w=1 ms" "floor ms" ratio "w=1" "us/netns" "w=1 us" "1-dump ms" "peak KiB"
for s in "${SUMMARY[@]}"; do # NAME NAMESPACES SCRAPE W1 FLOOR ONE_DUMP HWM
	IFS=$'\037' read -r -a f <<<"$s"
	sum_row "${f[0]}" "${f[1]}" "${f[2]}" "${f[3]}" "${f[4]}" "$(ratio "${f[2]}" "${f[4]}")" "$(ratio "${f[3]}" "${f[4]}")" \
		"$(per_ns_us "${f[2]}" "${f[4]}" "${f[1]}")" "$(per_ns_us "${f[3]}" "${f[4]}" "${f[1]}")" "${f[5]}" "${f[6]}"
done
section "bench_netns took $((($(now_ms) - bench_start) / 1000)) s"
it_end
