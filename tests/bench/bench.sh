#!/usr/bin/env bash
# bench.sh — speed and memory of a scrape against many real sockets.
#
# In a fresh network namespace: the exporter, then BENCH_SOCKETS sockets (ESTABLISHED
# pairs on loopback, spread over processes: the fd limit is per process). Reports scrape
# time, the tcp collector's own duration, sockets per second and the exporter's memory
# before and after. Asserts the promise of the design: memory is bounded by the number of
# label sets, not by the number of sockets (peak RSS may grow by BENCH_MAX_RSS_GROWTH_KB at
# most). Time is reported, never asserted: it depends on the machine.
#
# Quick mode (BENCH_QUICK=1, what make check runs; make bench runs the full sizes):
# 10,000 sockets, 10 scrapes, the same checks and limits. The published figures come
# from make bench.
#
# Environment: TCPH_BIN, TOOLS (as for the integration tests), BENCH_SOCKETS (40000),
# BENCH_SCRAPES (20), BENCH_MAX_RSS_GROWTH_KB (2048), BENCH_QUICK=1.
source "$(dirname "$0")/../integration/lib.sh"
it_begin

if [ "${BENCH_QUICK:-0}" = 1 ]; then
	SOCKETS=${BENCH_SOCKETS:-10000}
	SCRAPES=${BENCH_SCRAPES:-10}
	section "quick mode (BENCH_QUICK=1): sizes $SOCKETS sockets, $SCRAPES scrapes; the same checks; the published figures come from make bench"
else
	SOCKETS=${BENCH_SOCKETS:-40000}
	SCRAPES=${BENCH_SCRAPES:-20}
fi
MAX_GROWTH_KB=${BENCH_MAX_RSS_GROWTH_KB:-2048}
PER_PROCESS=5000 # connections per sockstate: 10,001 fds, under the 20,000 hard limit
PORT=19300

proc_kb() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }

# scrape_times NS COUNT [PORT]: prints the median and the maximum scrape time in ms.
scrape_times() {
	local i
	for ((i = 0; i < $2; i++)); do
		in_ns "$1" curl -s -o /dev/null --max-time 30 -w '%{time_total}\n' "http://127.0.0.1:${3:-$PORT}/metrics"
	done | sort -n | awk '{ t[NR] = $1 * 1000 } END { printf "%.2f %.2f\n", t[int((NR + 1) / 2)], t[NR] }'
}

# status_times NS COUNT PATH: the median time in ms of PATH (/ or /api/v1/status) right after
# a scrape, so that it renders the scrape's snapshot (no scan of its own); then its bytes.
status_times() {
	local i
	for ((i = 0; i < $2; i++)); do
		in_ns "$1" curl -s -o /dev/null --max-time 30 "http://127.0.0.1:$PORT/metrics"
		in_ns "$1" curl -s -o "$IT_TMP/status.body" --max-time 30 -w '%{time_total}\n' "http://127.0.0.1:$PORT$3"
	done | sort -n | awk '{ t[NR] = $1 * 1000 } END { printf "%.2f\n", t[int((NR + 1) / 2)] }'
}

netns_create bench_ns
ns=$bench_ns
exporter_start exporter "$ns" "$TCPH_BIN" "127.0.0.1:$PORT"
# The worst-connection lists at their most expensive: with a 1 s idle threshold every
# established socket is unprotected idle, so every one of them is offered to the list.
exporter_start exporter_idle "$ns" "$TCPH_BIN" "127.0.0.1:$((PORT + 1))" --idle-threshold=1s
pid=$(bg_pid exporter)
read -r base_median base_max < <(scrape_times "$ns" "$SCRAPES")
base_rss=$(proc_kb "$pid" VmRSS)
base_hwm=$(proc_kb "$pid" VmHWM)

connections=$((SOCKETS / 2))
made=0 n=0
start=$(now_ms)
while [ "$made" -lt "$connections" ]; do
	batch=$((connections - made < PER_PROCESS ? connections - made : PER_PROCESS))
	sockstate_start "sockets$n" "$ns" listen 127.0.0.1 $((20000 + n)) 4096 \
		established 127.0.0.1 $((20000 + n)) "$batch"
	made=$((made + batch))
	n=$((n + 1))
done
echo "  -- $((made * 2)) sockets in $n processes made in $(($(now_ms) - start)) ms"

# The first scrape after the sockets looks up the owners of the new listeners: a walk of
# /proc/PID/fd over every process (these hold 40,000 fds), bounded per scrape.
first_ms=$(in_ns "$ns" curl -s -o "$IT_TMP/metrics" --max-time 30 -w '%{time_total}' \
	"http://127.0.0.1:$PORT/metrics" | awk '{ printf "%.2f", $1 * 1000 }') || die "scrape failed"
first_collector=$(metric_value "$IT_TMP/metrics" 'tcp_health_scrape_collector_duration_seconds{collector="tcp"}')
unresolved=$(metric_value "$IT_TMP/metrics" tcp_health_exporter_listener_owners_unresolved)
scanned=$(metric_value "$IT_TMP/metrics" 'tcp_health_exporter_sockets_scanned{family="ipv4"}')
read -r median max < <(scrape_times "$ns" "$SCRAPES")
scrape "$ns" "http://127.0.0.1:$PORT/metrics" "$IT_TMP/metrics" || die "scrape failed"
collector=$(metric_value "$IT_TMP/metrics" 'tcp_health_scrape_collector_duration_seconds{collector="tcp"}')
bytes=$(wc -c <"$IT_TMP/metrics")
rss=$(proc_kb "$pid" VmRSS)
hwm=$(proc_kb "$pid" VmHWM)
html_ms=$(status_times "$ns" 5 /)
html_bytes=$(wc -c <"$IT_TMP/status.body")
json_ms=$(status_times "$ns" 5 /api/v1/status)
json_bytes=$(wc -c <"$IT_TMP/status.body")
read -r idle_median idle_max < <(scrape_times "$ns" "$SCRAPES" $((PORT + 1)))
scrape "$ns" "http://127.0.0.1:$((PORT + 1))/metrics" "$IT_TMP/idle.prom" || die "scrape failed"
idle_offered=$(awk '/^tcp_health_unprotected_idle_connections\{/ { n += $2 } END { print n + 0 }' "$IT_TMP/idle.prom")

printf '  %-34s %12s %12s\n' "" "idle" "loaded"
printf '  %-34s %12s %12s\n' "IPv4 sockets scanned" "-" "$scanned"
printf '  %-34s %12s %12s\n' "scrape time, median (ms)" "$base_median" "$median"
printf '  %-34s %12s %12s\n' "scrape time, max (ms)" "$base_max" "$max"
printf '  %-34s %12s %12s\n' "tcp collector (ms)" "-" "$(awk -v s="$collector" 'BEGIN { printf "%.2f", s * 1000 }')"
printf '  %-34s %12s %12s\n' "sockets per second (collector)" "-" "$(awk -v s="$collector" -v n="$scanned" 'BEGIN { printf "%.0f", n / s }')"
printf '  %-34s %12s %12s\n' "first scrape, owner lookup (ms)" "-" "$first_ms"
printf '  %-34s %12s %12s\n' "  its tcp collector (ms)" "-" "$(awk -v s="$first_collector" 'BEGIN { printf "%.2f", s * 1000 }')"
printf '  %-34s %12s %12s\n' "  listeners without owner after it" "-" "$unresolved"
printf '  %-34s %12s %12s\n' "response bytes" "-" "$bytes"
printf '  %-34s %12s %12s\n' "status page / : render (ms)" "-" "$html_ms"
printf '  %-34s %12s %12s\n' "  its bytes" "-" "$html_bytes"
printf '  %-34s %12s %12s\n' "/api/v1/status: render (ms)" "-" "$json_ms"
printf '  %-34s %12s %12s\n' "  its bytes" "-" "$json_bytes"
printf '  %-34s %12s %12s\n' "scrape, all offered to worst (ms)" "-" "$idle_median"
printf '  %-34s %12s %12s\n' "  sockets offered (1 s idle)" "-" "$idle_offered"
printf '  %-34s %12s %12s\n' "RSS (KiB)" "$base_rss" "$rss"
printf '  %-34s %12s %12s\n' "peak RSS (KiB)" "$base_hwm" "$hwm"

# Every connection is on loopback, so the scan also sees both ends of each pair.
if [ "$scanned" -ge $((made * 2)) ]; then
	ok "the scan saw all $((made * 2)) sockets ($scanned)"
else
	fail "the scan saw $scanned sockets, expected at least $((made * 2))"
fi
growth=$((hwm - base_hwm))
if [ "$growth" -le "$MAX_GROWTH_KB" ]; then
	ok "peak RSS grew by $growth KiB for $scanned sockets (limit $MAX_GROWTH_KB KiB)"
else
	fail "peak RSS grew by $growth KiB for $scanned sockets (limit $MAX_GROWTH_KB KiB): memory follows sockets"
fi
if [ "$idle_offered" -ge "$made" ]; then
	ok "with --idle-threshold=1s every established socket was a worst-list candidate ($idle_offered)"
else
	fail "with --idle-threshold=1s only $idle_offered of $((made * 2)) sockets were unprotected idle"
fi
# The walk is bounded (50,000 fd entries a scrape) and resumed: by the last scrape every
# listener has its owner.
assert_eq "listeners without a known owner after $SCRAPES scrapes" 0 \
	"$(metric_value "$IT_TMP/metrics" tcp_health_exporter_listener_owners_unresolved)"
it_end
