#!/usr/bin/env bash
# test_threads.sh — the ThreadSanitizer build under every kind of concurrency the exporter
# has at once: six scrapers (gzip and plain, sharing scans, some refused 503 by
# --web.max-requests 2), stalled connections cut by the reaper, a wrong-password flood
# (password thread, held and throttled clients), and SIGHUP reloads (a new server on the
# same socket, the old one drained and stopped) with basic auth, including a broken
# configuration, then a reload that turns TLS on. Then SIGTERM. Then --netns=all with two
# workers entering namespaces while scrapers share scans and namespaces come and go. Passes when every scrape got 200 or a documented
# 503, the exporter exits 0, and ThreadSanitizer reported nothing.
# shellcheck source=tests/integration/lib.sh disable=SC1091
source "$(dirname "$0")/lib.sh"
it_begin awk openssl

[ -n "${TCPH_TSAN_BIN:-}" ] || die "TCPH_TSAN_BIN is not set (make integration builds it)"
TCPH_TSAN_BIN=$(it_abs "$TCPH_TSAN_BIN")
[ -x "$TCPH_TSAN_BIN" ] || die "TCPH_TSAN_BIN '$TCPH_TSAN_BIN' is not an executable"
[ -x "$TOOLS/hostile" ] && [ -x "$TOOLS/bcrypt" ] || die "tests/tools hostile and bcrypt are needed"
export TSAN_OPTIONS="halt_on_error=0 second_deadlock_stack=1 history_size=4"
# shellcheck disable=SC2034 # read by exporter_start
EXPORTER_START_TIMEOUT=30

TLS=$IT_ROOT/tests/data/tls
cp "$TLS/server.crt" "$TLS/server.key" "$TLS/ca.crt" "$IT_TMP/"
config() { # config PASSWORD [tls]: basic auth for user prom, and TLS when asked
	{
		[ "${2:-}" != tls ] || printf 'tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n'
		printf 'basic_auth_users:\n  prom: %s\n' "$("$TOOLS/bcrypt" "$1" 10)"
	} >"$IT_TMP/web.yml.new" && mv "$IT_TMP/web.yml.new" "$IT_TMP/web.yml"
}
config good
tsan_reports() { # tsan_reports NAME: none in NAME's stderr
	local reports
	reports=$(grep -c 'WARNING: ThreadSanitizer' "$(bg_err "$1")" || true)
	assert_eq "ThreadSanitizer reports ($1)" 0 "$reports"
	if [ "$reports" != 0 ]; then grep -A 20 -m 2 'WARNING: ThreadSanitizer' "$(bg_err "$1")" | sed 's/^/  | /'; fi
}

# events_settled NS URL FILE PREFIX PORT N WHAT [CURL...]: scrapes (bounded, 15 s) until the
# tcp.events thread has counted N normal server closes on PORT (PREFIX: netns="x", or ""),
# then says whether it counted exactly N with no event lost.
events_settled() {
	local ns=$1 url=$2 file=$3 prefix=$4 port=$5 n=$6 what=$7 v lost deadline
	shift 7
	[ $# -gt 0 ] || set -- curl -s --max-time 20
	deadline=$(($(now_ms) + 15000))
	while :; do
		in_ns "$ns" "$@" -o "$file" "$url" || true
		v=$(metric_value "$file" "tcp_health_connections_closed_total{${prefix}port=\"$port\",role=\"server\",outcome=\"normal\"}")
		[ "${v:-0}" -lt "$n" ] && [ "$(now_ms)" -lt "$deadline" ] || break
		sleep 0.2
	done
	lost=$(metric_value "$file" "tcp_health_exporter_events_lost_total${prefix:+{${prefix%,}\}}")
	if [ "${lost:-x}" = 0 ]; then
		assert_eq "tcp.events under TSan${what:+ $what}: closes of port $port counted while scrapes ran" "$n" "${v:-absent}"
	else
		fail "tcp.events under TSan${what:+ $what}: events lost (${lost:-absent}); port $port server closes ${v:-absent} of $n"
	fi
}

netns_create NS
sockstate_start sockets "$NS" listen 127.0.0.1 1202 established 127.0.0.1 1202 200 listen :: 1720
# Two listening sockets (one serving daemon each, sharing the scanner and the password
# thread): half the scrapers below use the second.
bg_start tsan "$NS" "$TCPH_TSAN_BIN" --web.listen-address=:9978 --web.listen-address=127.0.0.1:9979 --web.config.file="$IT_TMP/web.yml" \
	--web.max-requests 2 --web.read-timeout 2s
pid=$(bg_pid tsan)
http_wait tsan "$NS" http://127.0.0.1:9978/-/healthy 30
URL=http://127.0.0.1:9978/metrics
CURL=(curl -s --max-time 20 -u prom:good)
code=$(in_ns "$NS" "${CURL[@]}" -o /dev/null -w '%{http_code}' "$URL" || true)
assert_eq "first scrape with basic auth" 200 "$code"

section "scrapers, stalled clients, wrong passwords and reloads at once"
bg_start stall "$NS" "$TOOLS/hostile" --source 127.0.0.9 --count 100 --duration 12 stall 127.0.0.1 9978
for i in 2 3 4 5; do
	bg_start "flood$i" "$NS" "$TOOLS/hostile" --source "127.0.0.$i" --count 1 --duration 10 \
		--auth prom:wrong wrongpass 127.0.0.1 9978
done
pids=()
for i in 1 2 3 4 5 6; do
	gzip=()
	url=$URL
	[ $((i % 2)) = 0 ] && gzip=(--compressed)
	[ $((i % 3)) = 0 ] && url=http://127.0.0.1:9979/metrics
	in_ns "$NS" bash -c 'for j in $(seq 25); do "$@" -o /dev/null -w "%{http_code}\n" || echo 000; done' \
		_ "${CURL[@]}" "${gzip[@]}" --interface "127.0.0.$((50 + i))" "$url" >"$IT_TMP/scrapes$i.txt" &
	pids+=($!)
done
# Connections closing while the scrapes run, for the tcp.events thread (counted below).
bg_start churn "$NS" "$TOOLS/evconn" churn 127.0.0.1 7300 5000 2
bg_wait_ready churn 10
kill -USR1 "$(bg_pid churn)"
sleep 2
kill -HUP "$pid"           # the same configuration again
sleep 1
echo 'tls_server_config: [' >"$IT_TMP/web.yml"
kill -HUP "$pid"           # broken: the previous one stays
sleep 1
config good
kill -HUP "$pid"           # good again
wait "${pids[@]}"
cat "$IT_TMP"/scrapes*.txt | sort | uniq -c | sed 's/^/  answers: /'
ok_count=$(cat "$IT_TMP"/scrapes*.txt | grep -c '^200$' || true)
other=$(cat "$IT_TMP"/scrapes*.txt | grep -vc -e '^200$' -e '^503$' || true)
if [ "$ok_count" -ge 30 ]; then ok "$ok_count of 150 scrapes answered 200"; else fail "only $ok_count of 150 scrapes answered 200"; fi
assert_eq "scrapes answered other than 200 or 503" 0 "$other"
it_stop stall TERM 15
for i in 2 3 4 5; do it_stop "flood$i" TERM 15; done
scrape_out=$IT_TMP/final.prom
in_ns "$NS" "${CURL[@]}" --interface 127.0.0.60 -o "$scrape_out" "$URL" || true
assert_metric "$scrape_out" tcp_health_exporter_config_last_reload_successful 1
grep -q '^done 5000 ' "$(bg_out churn)" || fail "the churn of 5000 connections did not finish: $(cat "$(bg_out churn)" "$(bg_err churn)")"
events_settled "$NS" "$URL" "$IT_TMP/events.prom" "" 7300 5000 "" "${CURL[@]}" --interface 127.0.0.61
it_stop churn TERM 5
for reason in read_timeout unauthorized auth_throttled max_requests; do
	v=$(metric_value "$scrape_out" "tcp_health_exporter_http_refused_total{reason=\"$reason\"}")
	if [ "${v:-0}" -gt 0 ]; then ok "refusals counted: $reason $v"; else fail "no refusal counted for $reason"; fi
done

section "a reload that turns TLS on"
config good tls
kill -HUP "$pid"
# The certificate is for localhost.
TLS_CURL=(curl -s --max-time 20 --cacert "$IT_TMP/ca.crt" --resolve localhost:9978:127.0.0.1 -u prom:good)
deadline=$(($(now_ms) + 20000))
code=000
until [ "$code" = 200 ] || [ "$(now_ms)" -gt "$deadline" ]; do
	code=$(in_ns "$NS" "${TLS_CURL[@]}" -o /dev/null -w '%{http_code}' https://localhost:9978/metrics || true)
	sleep 0.2
done
assert_eq "scrape over TLS after the reload" 200 "$code"

it_stop tsan TERM 20
assert_eq "exit status after SIGTERM" 0 "$IT_STOP_RC"
tsan_reports tsan

section "--netns=all: workers entering namespaces while namespaces come and go"
netns_create NSA
for i in 1 2 3; do
	netns_create "W$i"
	ns_var=W$i
	sockstate_start "w$i" "${!ns_var}" listen 127.0.0.1 $((4000 + i)) established 127.0.0.1 $((4000 + i)) 20
	bg_start "churn$i" "${!ns_var}" "$TOOLS/evconn" churn 127.0.0.1 $((4500 + i)) 2000 1
	bg_wait_ready "churn$i" 10
done
bg_start tsan_all "$NSA" "$TCPH_TSAN_BIN" --web.listen-address=:9978 --netns=all --netns.workers=2
http_wait tsan_all "$NSA" http://127.0.0.1:9978/-/healthy 30
pids=()
for i in 1 2 3; do
	in_ns "$NSA" bash -c 'for j in $(seq 15); do curl -s --max-time 20 -o /dev/null -w "%{http_code}\n" "$1" || echo 000; done' \
		_ http://127.0.0.1:9978/metrics >"$IT_TMP/all$i.txt" &
	pids+=($!)
done
# Closes in every namespace, once a scan has opened their destroy sockets.
in_ns "$NSA" curl -s --max-time 20 -o /dev/null http://127.0.0.1:9978/metrics || true
for i in 1 2 3; do kill -USR1 "$(bg_pid "churn$i")"; done
for round in 1 2 3 4 5; do # namespaces appear and vanish under the scrapers
	ip netns add "tcph-tsan-$$-$round" && ip netns del "tcph-tsan-$$-$round"
	sleep 0.3
done
# The status page and JSON at the same time: built and rendered on serving threads while
# the scanner publishes snapshots.
for path in / /api/v1/status; do
	in_ns "$NSA" bash -c 'for j in $(seq 10); do curl -s --max-time 20 -o /dev/null -w "%{http_code}\n" "$1" || echo 000; sleep 0.2; done' \
		_ "http://127.0.0.1:9978$path" >"$IT_TMP/status${path//\//_}.txt" &
	pids+=($!)
done
wait "${pids[@]}"
assert_eq "scrapes of every namespace answered 200" 45 "$(cat "$IT_TMP"/all*.txt | grep -c '^200$' || true)"
assert_eq "status page and JSON requests answered 200" 20 "$(cat "$IT_TMP"/status*.txt | grep -c '^200$' || true)"
in_ns "$NSA" curl -s --max-time 20 -o "$IT_TMP/all.prom" http://127.0.0.1:9978/metrics || true
assert_metric "$IT_TMP/all.prom" "tcp_health_listener_up{netns=\"$W2\",port=\"4002\"}" 1
events_settled "$NSA" http://127.0.0.1:9978/metrics "$IT_TMP/all.prom" "netns=\"$W2\"," 4502 2000 "with --netns=all"
it_stop tsan_all TERM 20
assert_eq "exit status after SIGTERM (--netns=all)" 0 "$IT_STOP_RC"
tsan_reports tsan_all
it_end
