#!/usr/bin/env bash
# test_concurrency.sh — concurrent scrapes share scans, and a load of 64 connections
# neither fails nor leaks (the normal build, real sockets in a network namespace).
#
#  1. 10,000 sockets, wrk -c 64 -d 15s on /metrics (after a 5 s warm-up): no socket
#     error, every non-2xx answer a documented 503 (--web.max-requests), RSS after the run
#     within 1 MiB of RSS after the warm-up, the same number of open fds.
#  2. 40,000 sockets: one scraper in a loop for 10 s, then eight at once for 10 s. The eight
#     cause no more scans than the one alone plus 10 % (they share them); every response is
#     complete, and each distinct body (clients of one snapshot get the same bytes) passes
#     `promtool check metrics`.
# Figures are printed; the timing of scrapes is reported, not asserted.
# shellcheck source=tests/integration/lib.sh disable=SC1091
source "$(dirname "$0")/lib.sh"
it_begin awk wrk sha256sum
[ -x "${PROMTOOL:-}" ] || die "PROMTOOL '${PROMTOOL:-}' is not an executable"

PORT=9978
URL=http://127.0.0.1:$PORT/metrics
DURATION=${CONCURRENCY_SECONDS:-10}
PER_PROCESS=5000 # connections per sockstate: 10,001 fds, under the 20,000 hard limit

proc_kb() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }
fd_count() { find "/proc/$1/fd" -mindepth 1 -maxdepth 1 | wc -l; }
scans() {
	in_ns "$NS" curl -s --max-time 10 "$URL" | awk '/^tcp_health_exporter_scans_total / { print $2 }'
}
http_connections() {
	in_ns "$NS" curl -s --max-time 10 "$URL" | awk '/^tcp_health_exporter_http_connections / { print $2 }'
}

# sockets_add N FIRST_PORT: N ESTABLISHED pairs on loopback over sockstate processes.
sockets_add() {
	local want=$1 port=$2 made=0 batch
	while [ "$made" -lt "$want" ]; do
		batch=$((want - made < PER_PROCESS ? want - made : PER_PROCESS))
		sockstate_start "sockets$port" "$NS" listen 127.0.0.1 "$port" 4096 established 127.0.0.1 "$port" "$batch"
		made=$((made + batch))
		port=$((port + 1))
	done
}

netns_create NS
exporter_start exporter "$NS" "$TCPH_BIN" "127.0.0.1:$PORT"
pid=$(bg_pid exporter)

# ---- 1. wrk ------------------------------------------------------------------------------
section "wrk -c 64 -d 15s with 10,000 sockets"
sockets_add 5000 21000
cat >"$IT_TMP/count.lua" <<'LUA'
-- Counts answers by status in every thread and adds them up at the end.
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) statuses = {} end
function response(status, headers, body) statuses[status] = (statuses[status] or 0) + 1 end
function done(summary, latency, requests)
  local total = {}
  for _, t in ipairs(threads) do
    for status, n in pairs(t:get("statuses")) do total[status] = (total[status] or 0) + n end
  end
  for status, n in pairs(total) do io.write(string.format("status %d %d\n", status, n)) end
  local e = summary.errors
  io.write(string.format("errors connect=%d read=%d write=%d status=%d timeout=%d\n",
    e.connect, e.read, e.write, e.status, e.timeout))
  io.write(string.format("latency p50_ms=%.2f p99_ms=%.2f max_ms=%.2f requests=%d\n",
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000, summary.requests))
end
LUA
in_ns "$NS" wrk -t 2 -c 64 -d 5s --timeout 10s -H 'Accept-Encoding: gzip' -s "$IT_TMP/count.lua" "$URL" \
	>"$IT_TMP/warmup.txt" 2>&1 || die "wrk warm-up failed: $(tail -n 5 "$IT_TMP/warmup.txt")"
# idle_rss: back to idle (wrk's connections closed), then past the exporter's 10 s
# malloc_trim, which gives the pages a burst freed back: RSS is read at the same point of
# that cycle after the warm-up and after the run.
idle_rss() {
	local deadline=$(($(now_ms) + 15000))
	until [ "$(http_connections)" = 1 ] || [ "$(now_ms)" -gt "$deadline" ]; do sleep 0.2; done
	sleep 11
	proc_kb "$pid" VmRSS
}
rss_warm=$(idle_rss)
fds_warm=$(fd_count "$pid")
in_ns "$NS" wrk -t 2 -c 64 -d 15s --timeout 10s -H 'Accept-Encoding: gzip' -s "$IT_TMP/count.lua" "$URL" \
	>"$IT_TMP/wrk.txt" 2>&1 || die "wrk failed: $(tail -n 5 "$IT_TMP/wrk.txt")"
sed 's/^/  | /' "$IT_TMP/wrk.txt"
rss_after=$(idle_rss)
fds_after=$(fd_count "$pid")

# wrk's "status" errors are answers other than 2xx/3xx, counted by status below.
errors=$(awk '/^errors/ { n = 0; for (i = 2; i <= NF; i++) { split($i, kv, "="); if (kv[1] != "status") n += kv[2] } print n }' "$IT_TMP/wrk.txt")
assert_eq "wrk socket errors (connect, read, write, timeout)" 0 "$errors"
ok_count=$(awk '$1 == "status" && $2 == 200 { print $3 }' "$IT_TMP/wrk.txt")
other=$(awk '$1 == "status" && $2 != 200 && $2 != 503 { n += $3 } END { print n + 0 }' "$IT_TMP/wrk.txt")
busy=$(awk '$1 == "status" && $2 == 503 { print $3 }' "$IT_TMP/wrk.txt")
if [ "${ok_count:-0}" -gt 1000 ]; then ok "wrk: ${ok_count} answers 200, ${busy:-0} answers 503 (--web.max-requests 40)"; else fail "wrk: only ${ok_count:-0} answers 200"; fi
assert_eq "wrk: answers other than 200 and 503" 0 "$other"
growth=$((rss_after - rss_warm))
echo "  RSS after warm-up ${rss_warm} KiB, after 15 s of wrk ${rss_after} KiB (${growth} KiB)"
if [ "${growth#-}" -le 1024 ]; then ok "RSS after wrk within 1 MiB of RSS after warm-up ($growth KiB)"; else fail "RSS grew by $growth KiB under wrk"; fi
assert_eq "open fds after wrk (as after warm-up)" "$fds_warm" "$fds_after"

# ---- 2. shared scans --------------------------------------------------------------------
section "$DURATION s of scrapes against 40,000 sockets: one scraper, then eight"
sockets_add 15000 21010
scrape "$NS" "$URL" "$IT_TMP/m.prom" || die "scrape failed"
echo "  sockets scanned: $(metric_value "$IT_TMP/m.prom" 'tcp_health_exporter_sockets_scanned{family="ipv4"}'), tcp collector $(metric_value "$IT_TMP/m.prom" 'tcp_health_scrape_collector_duration_seconds{collector="tcp"}') s"

# scrape_loop ID SECONDS: gzip scrapes back to back, as Prometheus asks; each body kept,
# one line per scrape: "status size expected_size seconds file".
scrape_loop() {
	in_ns "$NS" bash -c '
		dir=$1 id=$2 end=$((SECONDS + $3)) n=0
		while [ $SECONDS -lt $end ]; do
			n=$((n + 1)); f=$dir/body-$id-$n
			curl -s --max-time 10 --compressed -o "$f" -D "$f.h" \
				-w "%{http_code} %{size_download} %{time_total} $f\n" "$4" || echo "000 0 0 $f"
		done' _ "$IT_TMP/bodies" "$1" "$2" "$URL"
}
mkdir -p "$IT_TMP/bodies"
before=$(scans)
scrape_loop one "$DURATION" >"$IT_TMP/one.txt"
after=$(scans)
alone=$((after - before - 1)) # the last scans() call made one
pids=()
for i in 1 2 3 4 5 6 7 8; do
	scrape_loop "eight$i" "$DURATION" >"$IT_TMP/eight$i.txt" &
	pids+=($!)
done
wait "${pids[@]}"
shared=$(($(scans) - after - 1))
n_one=$(wc -l <"$IT_TMP/one.txt")
n_eight=$(cat "$IT_TMP"/eight*.txt | wc -l)
echo "  one scraper: $n_one scrapes, $alone scans; eight scrapers: $n_eight scrapes, $shared scans"
cat "$IT_TMP"/eight*.txt | sort -k3 -n | awk '{ t[NR] = $3 * 1000 } END { printf "  eight scrapers: scrape time p50 %.1f ms, p99 %.1f ms, max %.1f ms\n", t[int(NR * 0.5) + 1], t[int(NR * 0.99) + 1], t[NR] }'
limit=$((alone + alone / 10))
if [ "$shared" -le "$limit" ]; then
	ok "eight scrapers caused $shared scans, no more than one alone ($alone) + 10 % ($limit)"
else
	fail "eight scrapers caused $shared scans, more than one alone ($alone) + 10 % ($limit)"
fi
if [ "$n_eight" -gt "$shared" ]; then ok "scrapes shared scans: $n_eight scrapes, $shared scans"; else fail "no scan was shared ($n_eight scrapes, $shared scans)"; fi

section "every response complete, every distinct body valid"
bad=$(cat "$IT_TMP"/one.txt "$IT_TMP"/eight*.txt | awk '$1 != 200 { n++ } END { print n + 0 }')
assert_eq "scrapes not answered 200" 0 "$bad"
incomplete=0
while read -r _ _ _ f; do
	# curl fails a transfer shorter than Content-Length; the body must also end with the
	# last family of the exposition.
	if ! tail -n 1 "$f" | grep -q '^process_virtual_memory_bytes '; then
		incomplete=$((incomplete + 1))
		[ "$incomplete" -gt 3 ] || echo "  incomplete: $f ($(wc -c <"$f") bytes)"
	fi
done < <(cat "$IT_TMP"/one.txt "$IT_TMP"/eight*.txt)
assert_eq "responses without the exposition's last line" 0 "$incomplete"
sha256sum "$IT_TMP"/bodies/body-* 2>/dev/null | grep -v '\.h$' | sort -k1,1 -u >"$IT_TMP/distinct.txt"
distinct=$(wc -l <"$IT_TMP/distinct.txt")
# Two at a time (two cores); a rejected body leaves its name and promtool's words.
awk '{ print $2 }' "$IT_TMP/distinct.txt" | xargs -P 2 -I{} sh -c \
	'"$1" check metrics <"$2" >"$2.promtool" 2>&1 || echo "$2: $(head -c 300 "$2.promtool" | tr "\n" " ")"' \
	_ "$PROMTOOL" {} >"$IT_TMP/invalid.txt"
invalid=$(wc -l <"$IT_TMP/invalid.txt")
head -n 3 "$IT_TMP/invalid.txt" | sed 's/^/  promtool: /'
echo "  $((n_one + n_eight)) responses, $distinct distinct bodies checked with promtool"
assert_eq "distinct bodies promtool rejects" 0 "$invalid"
if [ "$distinct" -lt $((n_one + n_eight)) ]; then
	ok "clients of one snapshot got byte-identical bodies ($distinct distinct of $((n_one + n_eight)))"
else
	fail "no two responses were identical: bodies are not shared"
fi

it_stop exporter TERM 10
assert_eq "exit status after SIGTERM" 0 "$IT_STOP_RC"
it_end
