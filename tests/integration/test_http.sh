#!/usr/bin/env bash
# test_http.sh — the HTTP endpoint of a running exporter (the ASan/UBSan build), in a
# network namespace: status codes, headers, HEAD without a body, the landing page, the
# header size limit, a custom telemetry path, a dual-stack :PORT listener, 50 scrapes in a
# row; after SIGTERM every instance must exit 0 with no sanitizer report.
# shellcheck source=tests/integration/lib.sh disable=SC1091
source "$(dirname "$0")/lib.sh"
it_begin awk

if [ -z "${TCPH_ASAN_BIN:-}" ] || [ ! -x "$TCPH_ASAN_BIN" ]; then
	die "TCPH_ASAN_BIN '${TCPH_ASAN_BIN:-}' is not an executable"
fi
# Leaks are reported at exit; any UBSan finding aborts (the build has no recovery).
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:exitcode=86"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
# The sanitizer build starts more slowly (read by exporter_start).
# shellcheck disable=SC2034
EXPORTER_START_TIMEOUT=30

# request NS CURL_ARGS...: runs curl; headers to $IT_TMP/h, body to $IT_TMP/b; prints the
# HTTP status (000 when there was no response).
request() {
	local ns=$1 code
	shift
	: >"$IT_TMP/h"
	: >"$IT_TMP/b"
	code=$(in_ns "$ns" curl -sS --max-time 10 -D "$IT_TMP/h" -o "$IT_TMP/b" -w '%{http_code}' "$@" \
		2>"$IT_TMP/curl.err") || true
	echo "${code:-000}"
}

# header NAME: the value of response header NAME in $IT_TMP/h (CR stripped).
header() {
	awk -v n="$1" 'BEGIN { n = tolower(n) ":" }
		{ sub(/\r$/, "") }
		tolower(substr($0, 1, length(n))) == n { v = substr($0, length(n) + 1); sub(/^[ \t]+/, "", v); print v; exit }' "$IT_TMP/h"
}

netns_create NS
# A few sockets so that the scrapes have something to write.
sockstate_start sockets "$NS" listen 127.0.0.1 1202 established 127.0.0.1 1202 2 listen :: 1720

# ---- the default telemetry path ------------------------------------------------------
section "routes, methods, headers (127.0.0.1:9978, /metrics)"
exporter_start http "$NS" "$TCPH_ASAN_BIN" 127.0.0.1:9978
BASE=http://127.0.0.1:9978

assert_eq "GET /metrics status" 200 "$(request "$NS" "$BASE/metrics")"
assert_eq "GET /metrics Content-Type" "text/plain; version=0.0.4; charset=utf-8" "$(header Content-Type)"
assert_contains "GET /metrics body has the tcp collector's success" "$IT_TMP/b" \
	'tcp_health_scrape_collector_success{collector="tcp"} 1'
metrics_length=$(wc -c <"$IT_TMP/b")
scans_before=$(awk '/^tcp_health_exporter_scans_total / { print $2 }' "$IT_TMP/b")
assert_eq "GET /-/healthy status" 200 "$(request "$NS" "$BASE/-/healthy")"
assert_eq "GET /-/healthy Content-Type" "text/plain; charset=utf-8" "$(header Content-Type)"
assert_eq "GET /-/healthy body" "Healthy." "$(cat "$IT_TMP/b")"
assert_eq "HEAD /-/healthy status" 200 "$(request "$NS" -I "$BASE/-/healthy")"
request "$NS" "$BASE/metrics" >/dev/null
assert_eq "/-/healthy cost no scan (scans_total +1 for the next scrape only)" "$((scans_before + 1))" \
	"$(awk '/^tcp_health_exporter_scans_total / { print $2 }' "$IT_TMP/b")"

section "/-/ready: waits for the first scan, then costs none"
exporter_start ready "$NS" "$TCPH_BIN" 127.0.0.1:9980
assert_eq "GET /-/ready on a fresh exporter" 200 "$(request "$NS" http://127.0.0.1:9980/-/ready)"
assert_eq "GET /-/ready body" "Ready." "$(cat "$IT_TMP/b")"
assert_eq "GET /-/ready again" 200 "$(request "$NS" http://127.0.0.1:9980/-/ready)"
request "$NS" http://127.0.0.1:9980/metrics >/dev/null
assert_eq "the first /-/ready made the one scan, the second none (scans_total at the next scrape)" 2 \
	"$(metric_value "$IT_TMP/b" tcp_health_exporter_scans_total)"
it_stop ready TERM 10

section "process_* self-metrics, and --web.disable-exporter-metrics"
pid=$(bg_pid http)
request "$NS" "$BASE/metrics" >/dev/null
fds_now=$(ls "/proc/$pid/fd" | wc -l)
open_fds=$(metric_value "$IT_TMP/b" process_open_fds)
# The scrape's own connection was open while the figure was taken, perhaps not any more.
if [ -n "$open_fds" ] && [ "$open_fds" -ge $((fds_now - 2)) ] && [ "$open_fds" -le $((fds_now + 2)) ]; then
	ok "process_open_fds $open_fds, /proc/$pid/fd holds $fds_now"
else
	fail "process_open_fds '$open_fds', /proc/$pid/fd holds $fds_now"
fi
assert_eq "process_max_fds is the soft open-file limit" \
	"$(awk '/^Max open files/ { print $4 }' "/proc/$pid/limits")" "$(metric_value "$IT_TMP/b" process_max_fds)"
# Start time: boot time + the process's starttime (field 22 of stat) in clock ticks.
want_start=$(awk -v btime="$(awk '/^btime / { print $2 }' /proc/stat)" -v hz="$(getconf CLK_TCK)" \
	'{ sub(/.*\) /, ""); printf "%.2f", btime + $20 / hz }' "/proc/$pid/stat")
assert_eq "process_start_time_seconds" "$want_start" \
	"$(awk -v v="$(metric_value "$IT_TMP/b" process_start_time_seconds)" 'BEGIN { printf "%.2f", v }')"
rss_kb=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status")
rss=$(metric_value "$IT_TMP/b" process_resident_memory_bytes)
if [ -n "$rss" ] && [ "$rss" -gt $((rss_kb * 1024 / 2)) ] && [ "$rss" -lt $((rss_kb * 1024 * 2)) ]; then
	ok "process_resident_memory_bytes $rss, VmRSS $rss_kb KiB"
else
	fail "process_resident_memory_bytes '$rss', VmRSS $rss_kb KiB"
fi
for m in process_cpu_seconds_total process_virtual_memory_bytes; do
	assert_contains "$m is served" "$IT_TMP/b" "# TYPE $m "
done
exporter_start noself "$NS" "$TCPH_BIN" 127.0.0.1:9979 --web.disable-exporter-metrics
assert_eq "GET /metrics with --web.disable-exporter-metrics" 200 "$(request "$NS" http://127.0.0.1:9979/metrics)"
assert_eq "no process_* families with --web.disable-exporter-metrics" 0 "$(grep -c '^process_' "$IT_TMP/b" || true)"
assert_eq "no tcp_health_exporter_http_* with --web.disable-exporter-metrics" 0 \
	"$(grep -c '^tcp_health_exporter_http_' "$IT_TMP/b" || true)"
assert_contains "the scan figures stay" "$IT_TMP/b" 'tcp_health_exporter_scans_total '
it_stop noself TERM 10

section "compression and keep-alive"
assert_eq "GET /metrics with Accept-Encoding: gzip" 200 \
	"$(request "$NS" -H 'Accept-Encoding: gzip' "$BASE/metrics")"
assert_eq "Content-Encoding with Accept-Encoding: gzip" gzip "$(header Content-Encoding)"
assert_eq "Vary with Accept-Encoding: gzip" Accept-Encoding "$(header Vary)"
if gzip -dc <"$IT_TMP/b" >"$IT_TMP/gunzipped" 2>"$IT_TMP/gzip.err"; then
	assert_contains "the gzip body decompresses to the text format" "$IT_TMP/gunzipped" \
		'tcp_health_scrape_collector_success{collector="tcp"} 1'
else
	fail "the gzip body does not decompress: $(cat "$IT_TMP/gzip.err")"
fi
assert_eq "GET /metrics with Accept-Encoding: gzip;q=0" 200 \
	"$(request "$NS" -H 'Accept-Encoding: gzip;q=0' "$BASE/metrics")"
assert_eq "Content-Encoding with gzip;q=0 (gzip refused)" "" "$(header Content-Encoding)"
assert_eq "GET /metrics with Accept-Encoding: identity" 200 \
	"$(request "$NS" -H 'Accept-Encoding: identity' "$BASE/metrics")"
assert_eq "Content-Encoding with identity" "" "$(header Content-Encoding)"
# Two scrapes through one curl: the second must reuse the first connection.
keepalive=$(in_ns "$NS" curl -s --max-time 10 -o /dev/null -o /dev/null \
	-w '%{http_code}/%{num_connects} ' "$BASE/metrics" "$BASE/metrics" || true)
assert_eq "two GETs on one connection (status/new connections)" "200/1 200/0" "${keepalive% }"

section "HEAD, landing page, errors"
assert_eq "HEAD /metrics status (curl -I)" 200 "$(request "$NS" -I "$BASE/metrics")"
assert_eq "HEAD /metrics Content-Type" "text/plain; version=0.0.4; charset=utf-8" "$(header Content-Type)"
# curl never reads a body after HEAD, so ask by hand: HTTP/1.0, the server closes after
# the response, and everything after the blank line would be body.
raw=$IT_TMP/head.raw
in_ns "$NS" timeout 10 bash -c 'exec 3<>/dev/tcp/127.0.0.1/9978 &&
	printf "HEAD /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n" >&3 && cat <&3' >"$raw" || true
assert_eq "raw HEAD /metrics status line" "200" "$(head -n 1 "$raw" | awk '{ print $2 }')"
head_body=$(awk 'body { n += length($0) + 1 } /^\r?$/ && !body { body = 1 } END { print n + 0 }' "$raw")
assert_eq "raw HEAD /metrics: bytes after the header block" 0 "$head_body"
assert_eq "raw HEAD /metrics: header block ends" 1 "$(grep -c $'^\r$' "$raw" || true)"
if [ "$metrics_length" -gt 0 ]; then ok "GET /metrics body is not empty ($metrics_length bytes)"; else fail "GET /metrics body is empty"; fi

assert_eq "GET / status" 200 "$(request "$NS" "$BASE/")"
assert_contains "GET / is HTML" "$IT_TMP/h" "text/html"
assert_contains "GET / links to the metrics path" "$IT_TMP/b" 'href="/metrics"'

assert_eq "GET /nope status" 404 "$(request "$NS" "$BASE/nope")"
assert_eq "GET /metrics/ status (no prefix match)" 404 "$(request "$NS" "$BASE/metrics/")"

assert_eq "POST /metrics status" 405 "$(request "$NS" -X POST --data x "$BASE/metrics")"
assert_eq "POST /metrics Allow header" "GET, HEAD" "$(header Allow)"
assert_eq "PUT / status" 405 "$(request "$NS" -X PUT --data x "$BASE/")"
assert_eq "PUT / Allow header" "GET, HEAD" "$(header Allow)"
assert_eq "DELETE /metrics status" 405 "$(request "$NS" -X DELETE "$BASE/metrics")"

# 40 headers of 1000 bytes each: beyond the per-connection memory of 32 KiB.
big=()
filler=$(printf '%1000s' '' | tr ' ' a)
for i in $(seq 40); do big+=(-H "X-Filler-$i: $filler"); done
assert_eq "GET /metrics with 40 KB of headers" 431 "$(request "$NS" "${big[@]}" "$BASE/metrics")"
assert_eq "GET /metrics after the 431" 200 "$(request "$NS" "$BASE/metrics")"

section "control characters in the path, HTTP/1.1 without Host (400)"
# libmicrohttpd decodes %00 into the C string it hands over: /metrics%00 was /metrics, 200.
for path in '/metrics%00' '/metrics%00junk' '/metrics%0a' '/metrics%0D' '/metrics%7f' '/-/healthy%01' '/%1b'; do
	assert_eq "GET $path (a percent-encoded control character)" 400 "$(request "$NS" --path-as-is "$BASE$path")"
done
assert_eq "GET /metrics%00: the body says why" "bad request: a control character in the path" "$(cat "$IT_TMP/b")"
assert_eq "GET /metrics%20 (encoded, not a control character) is just not found" 404 "$(request "$NS" --path-as-is "$BASE/metrics%20")"
assert_eq "GET /metrics after them" 200 "$(request "$NS" "$BASE/metrics")"
# raw_answer REQUEST: sends it (printf format) over a new connection; the whole answer,
# until the server closes, into $IT_TMP/raw.
raw_answer() {
	in_ns "$NS" python3 -c '
import socket, sys
s = socket.create_connection(("127.0.0.1", 9978), timeout=10)
s.sendall(sys.argv[1].encode("latin-1").decode("unicode_escape").encode("latin-1"))
data = b""
while True:
    chunk = s.recv(65536)
    if not chunk:
        break
    data += chunk
sys.stdout.buffer.write(data)' "$1" >"$IT_TMP/raw"
}
# raw_request REQUEST: raw_answer, and prints the status line.
raw_request() {
	raw_answer "$1"
	head -n 1 "$IT_TMP/raw" | tr -d '\r'
}
assert_eq "a raw control character (\\x01) in the path" "HTTP/1.1 400 Bad Request" \
	"$(raw_request 'GET /-/healthy\x01 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')"
# RFC 9112 §3.2: an HTTP/1.1 request without Host is answered 400; HTTP/1.0 need not send one.
assert_eq "HTTP/1.1 without Host" "HTTP/1.1 400 Bad Request" \
	"$(raw_request 'GET /metrics HTTP/1.1\r\nConnection: close\r\n\r\n')"
assert_eq "HTTP/1.1 with Host" "HTTP/1.1 200 OK" \
	"$(raw_request 'GET /-/healthy HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n')"
assert_eq "HTTP/1.1 with an empty Host (allowed)" "HTTP/1.1 200 OK" \
	"$(raw_request 'GET /-/healthy HTTP/1.1\r\nHost:\r\nConnection: close\r\n\r\n')"
assert_eq "HTTP/1.0 without Host is still served" "HTTP/1.1 200 OK" \
	"$(raw_request 'GET /-/healthy HTTP/1.0\r\n\r\n')"

section "a bad Content-Length: 400 and 413 from libmicrohttpd"
# libmicrohttpd answers these itself, before any handler of ours runs, and 0.9.75 sends the
# header block twice (MHD_connection_handle_idle overwrites the state its error answer set;
# fixed in 1.0.0 by f1bfbe71): tests/upstream/README.md. Asserted exactly, so that a fixed
# library (one block) or a worse one shows here.
mhd_version=$(pkg-config --modversion libmicrohttpd)
blocks=2
[ "$(printf '%s\n1.0.0\n' "$mhd_version" | sort -V | head -n 1)" = 1.0.0 ] && blocks=1
# header_blocks REQUEST: "STATUS_LINE BLOCKS OK" for the answer to REQUEST (printf format):
# BLOCKS identical header blocks before a body of exactly the Content-Length they give.
header_blocks() {
	raw_answer "$1"
	python3 -c '
import sys
data = open(sys.argv[1], "rb").read()
block = data[:data.index(b"\r\n\r\n") + 4]
length = int([l for l in block.split(b"\r\n") if l.lower().startswith(b"content-length:")][0].split(b":")[1])
n = 0
while data.startswith(block):
    data = data[len(block):]
    n += 1
print(block.split(b"\r\n")[0].decode("latin-1").replace(" ", "_"), n, "body-ok" if len(data) == length else "body-%d-of-%d" % (len(data), length))' "$IT_TMP/raw"
}
echo "  libmicrohttpd $mhd_version: expecting $blocks header block(s)"
assert_eq "Content-Length: abc" "HTTP/1.1_400_Bad_Request $blocks body-ok" \
	"$(header_blocks 'GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n')"
assert_eq "Content-Length: 10^23" "HTTP/1.1_413_Content_Too_Large $blocks body-ok" \
	"$(header_blocks 'GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999999\r\n\r\n')"
assert_eq "our own 400 (HTTP/1.1 without Host): one header block" "HTTP/1.1_400_Bad_Request 1 body-ok" \
	"$(header_blocks 'GET /metrics HTTP/1.1\r\nConnection: close\r\n\r\n')"
assert_eq "GET /metrics after them" 200 "$(request "$NS" "$BASE/metrics")"

section "a stalled client does not hold up scrapes"
# Half a request line, then silence: the single-threaded server must go on serving.
bg_start stalled "$NS" timeout 8 bash -c 'exec 3<>/dev/tcp/127.0.0.1/9978 &&
	printf "GET /metrics HTTP/1.1\r\nHost: x" >&3 && sleep 6'
sleep 0.2
start_ms=$(now_ms)
code=$(in_ns "$NS" curl -s --max-time 3 -o /dev/null -w '%{http_code}' "$BASE/metrics" || true)
assert_eq "GET /metrics while another client stalls mid-request" 200 "$code"
elapsed=$(($(now_ms) - start_ms))
if [ "$elapsed" -lt 2000 ]; then ok "answered in ${elapsed} ms"; else fail "answered only after ${elapsed} ms"; fi
it_stop stalled TERM 5

section "50 sequential scrapes"
good=0
for i in $(seq 50); do
	code=$(request "$NS" "$BASE/metrics")
	if [ "$code" = 200 ] && grep -q '^tcp_health_scrape_collector_success{collector="tcp"} 1$' "$IT_TMP/b"; then
		good=$((good + 1))
	else
		echo "  scrape $i: status $code, $(cat "$IT_TMP/curl.err")"
	fi
done
assert_eq "successful scrapes out of 50" 50 "$good"
if kill -0 "$(bg_pid http)" 2>/dev/null; then ok "exporter still running"; else fail "exporter died"; fi
stop_clean http

# ---- a custom telemetry path -----------------------------------------------------------
section "--web.telemetry-path /custom"
exporter_start custom "$NS" "$TCPH_ASAN_BIN" 127.0.0.1:9979 --web.telemetry-path /custom
assert_eq "GET /custom status" 200 "$(request "$NS" http://127.0.0.1:9979/custom)"
assert_eq "GET /custom Content-Type" "text/plain; version=0.0.4; charset=utf-8" "$(header Content-Type)"
assert_contains "GET /custom body has metrics" "$IT_TMP/b" "# TYPE tcp_health_connections gauge"
assert_eq "GET /metrics status when the path is /custom" 404 "$(request "$NS" http://127.0.0.1:9979/metrics)"
assert_eq "GET / status" 200 "$(request "$NS" http://127.0.0.1:9979/)"
assert_contains "GET / links to /custom" "$IT_TMP/b" 'href="/custom"'
stop_clean custom

# ---- every address ---------------------------------------------------------------------
section "--web.listen-address=:9980 answers on IPv4 and IPv6"
exporter_start any "$NS" "$TCPH_ASAN_BIN" :9980
assert_eq "GET http://127.0.0.1:9980/metrics" 200 "$(request "$NS" http://127.0.0.1:9980/metrics)"
assert_eq "GET http://[::1]:9980/metrics" 200 "$(request "$NS" 'http://[::1]:9980/metrics')"
# The start-up log's last line says where a person opens the status page: the wildcard
# address as localhost, which that person can type.
assert_contains "start-up log names the status page" "$(bg_err any)" "status page on http://localhost:9980/"
# Shutting down with a client connected (idle, mid-request) must still be quick and clean.
bg_start idle "$NS" timeout 8 bash -c 'exec 3<>/dev/tcp/127.0.0.1/9980 && printf "GET / HTTP/1.1\r\n" >&3 && sleep 6'
sleep 0.2
stop_clean any
it_stop idle TERM 5

# ---- repeated scan errors ----------------------------------------------------------------
section "the same scan error every scan is logged once a minute, not once a scan"
# An empty procfs: the sysctl and netstat collectors fail the same way at every scan.
mkdir -p "$IT_TMP/emptyproc"
exporter_start emptyproc "$NS" "$TCPH_ASAN_BIN" 127.0.0.1:9981 --path.procfs="$IT_TMP/emptyproc"
for i in $(seq 12); do request "$NS" http://127.0.0.1:9981/metrics >/dev/null; done
assert_eq "12 scans: their last has netstat failed" 0 \
	"$(awk '$1 == "tcp_health_scrape_collector_success{collector=\"netstat\"}" { print $2 }' "$IT_TMP/b")"
for text in "netstat collector: cannot read $IT_TMP/emptyproc/net/netstat" \
	"sysctl collector: no setting readable under $IT_TMP/emptyproc/sys"; do
	assert_eq "12 scans: '$text' logged once" 1 "$(grep -cF -- "$text" "$(bg_err emptyproc)" || true)"
done
stop_clean emptyproc

# ---- out of memory -------------------------------------------------------------------------
section "no memory to render an answer: 503 with Retry-After, counted, never 500"
# 3,000 listening ports make the views megabytes; the plain build (ASan reserves terabytes
# of address space), its address space then capped 24 MiB below what it maps already, so
# that a view needing fresh memory fails (capped at exactly its size, freed memory was
# often enough: 0-3 of 24 answers failed; 24 MiB below, 5 of 18 in each of 3 tries). This
# used to answer 500.
bg_start listeners "$NS" python3 -c '
import socket, time
held = []
for port in range(20000, 23000):
    s = socket.socket()
    s.bind(("127.0.0.1", port))
    s.listen(1)
    held.append(s)
print("ready", flush=True)
time.sleep(120)'
for _ in $(seq 100); do grep -q ready "$(bg_out listeners)" && break; sleep 0.1; done
exporter_start oom "$NS" "$TCPH_BIN" 127.0.0.1:9982 --max-ports=4096
OOM=http://127.0.0.1:9982
request "$NS" "$OOM/metrics" >/dev/null
vsz_kb=$(awk '/^VmSize:/ { print $2 }' "/proc/$(bg_pid oom)/status")
prlimit --pid "$(bg_pid oom)" --as=$(((vsz_kb - 24576) * 1024)):unlimited || die "prlimit failed"
codes="" n503=0 bad=""
for i in $(seq 8); do
	for path in /metrics / /api/v1/status; do
		code=$(request "$NS" "$OOM$path")
		codes="$codes $code"
		case $code in
		200) ;;
		503)
			n503=$((n503 + 1))
			[ "$(header Retry-After)" = 1 ] || bad="$bad $path:503-without-Retry-After"
			;;
		*) bad="$bad $path:$code" ;;
		esac
	done
done
prlimit --pid "$(bg_pid oom)" --as=unlimited:unlimited || fail "cannot lift the cap again"
echo "  answers under the cap:$codes"
assert_eq "under the cap: every answer 200 or 503 with Retry-After (no 500)" "" "$bad"
[ "$n503" -gt 0 ] && ok "under the cap: $n503 answers were 503 (a view ran out of memory)" ||
	fail "under the cap: no allocation failed (24 answers 200): the test proved nothing"
# The cap lifted: the next scrape counts what the capped ones were refused for.
oom_count=""
for _ in $(seq 20); do
	if [ "$(request "$NS" "$OOM/metrics")" = 200 ]; then
		oom_count=$(metric_value "$IT_TMP/b" 'tcp_health_exporter_http_refused_total{reason="out_of_memory"}')
		break
	fi
	sleep 0.1
done
[ -n "$oom_count" ] && [ "$oom_count" -ge 1 ] && [ "$oom_count" -le "$n503" ] &&
	ok "out_of_memory counted: $oom_count of the $n503 503s (the rest: a scan that found no memory)" ||
	fail "out_of_memory count '$oom_count', $n503 answers 503"
it_stop oom TERM 10
it_stop listeners TERM 5

it_end
