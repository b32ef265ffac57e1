#!/usr/bin/env bash
# test_fair_admission.sh — one address (or a few) asking as fast as they can cannot take the
# --web.max-requests places a real scraper from another address needs.
#  1. wrk -c 64 from 127.0.0.1 hammers /metrics for 10 s (defaults: 40 places); a scraper
#     from 127.0.0.2 asks every 0.5 s.
#  2. 16 client namespaces (198.18.1.11-26 on a bridge) each run wrk -c 8 for 10 s; the
#     scraper asks from 198.18.1.2 every 0.5 s.
#  3. The same as 1 with basic auth: wrk with the right password, and then with a wrong one
#     (held and throttled, never holding a place); the scraper has the right password.
#     Before, 8 concurrent first requests with the right password from one address: one
#     password check, all 200.
#  4. One client in a loop that connects, sends a GET and closes without reading (each such
#     request keeps its place until its scan is done).
# Each time the scraper's answers must be 200 in at least 99 % of cases and its p99 under
# 1 s; the hammering address must have been refused (503, counted as max_requests) — the
# limit was reached, so admission decided. Figures are printed.
# shellcheck source=tests/integration/lib.sh disable=SC1091
source "$(dirname "$0")/lib.sh"
it_begin awk wrk sort python3

[ -x "$TOOLS/bcrypt" ] || die "'$TOOLS/bcrypt' is not an executable"
PORT=19640
DURATION=10 # s of hammering; the scraper asks 2 × (DURATION - 1) times
SAMPLES=$((2 * (DURATION - 1)))
HASH=$("$TOOLS/bcrypt" s3cret) || die "cannot make a bcrypt hash"

netns_create NS
# Sockets for the scans to count, so that a scan is not free.
sockstate_start sockets "$NS" listen 127.0.0.1 19641 512 established 127.0.0.1 19641 250


# scraper PREFIX SRC URL [CURL-ARGS...]: SAMPLES scrapes every 0.5 s from SRC, starting
# 1 s from now; "CODE MS" lines to $IT_TMP/PREFIX.samples.
scraper() {
	local prefix=$1 src=$2 url=$3 start k wait_ms out
	shift 3
	start=$(($(now_ms) + 1000))
	: >"$IT_TMP/$prefix.samples"
	for ((k = 0; k < SAMPLES; k++)); do
		wait_ms=$((start + k * 500 - $(now_ms)))
		[ "$wait_ms" -le 0 ] || sleep "$(awk -v m="$wait_ms" 'BEGIN { printf "%.3f", m / 1000 }')"
		out=$(in_ns "$NS" curl -s -o /dev/null --max-time 5 --interface "$src" \
			-w '%{http_code} %{time_total}' "$@" "$url") || true
		awk -v o="${out:-000 5}" 'BEGIN { split(o, f, " "); printf "%s %d\n", f[1], f[2] * 1000 + 0.5 }' \
			>>"$IT_TMP/$prefix.samples"
	done
}

# check_scraper PREFIX: ≥ 99 % answered 200 and p99 under 1 s.
check_scraper() {
	local prefix=$1 stats n ok200
	awk '{ print $2 }' "$IT_TMP/$prefix.samples" >"$IT_TMP/$prefix.ms"
	stats=$(percentiles "$IT_TMP/$prefix.ms")
	n=$(wc -l <"$IT_TMP/$prefix.samples")
	ok200=$(awk '$1 == 200' "$IT_TMP/$prefix.samples" | wc -l)
	echo "  scraper ($prefix): $ok200 of $n answered 200; $stats ms; codes: $(awk '{ print $1 }' \
		"$IT_TMP/$prefix.samples" | sort | uniq -c | tr -s ' \n' ' ')"
	[ "$n" -eq "$SAMPLES" ] || fail "$prefix: $n samples, not $SAMPLES"
	[ $((ok200 * 100)) -ge $((n * 99)) ] && ok "$prefix: $ok200 of $n scrapes 200 (≥ 99 %)" ||
		fail "$prefix: only $ok200 of $n scrapes answered 200"
	[ "$(percentile_field "$stats" p99)" -lt 1000 ] && ok "$prefix: p99 $(percentile_field "$stats" p99) ms < 1000 ms" ||
		fail "$prefix: p99 $(percentile_field "$stats" p99) ms, not under 1 s ($stats)"
}

refused() {
	local v
	v=$(metric_value "$1" "tcp_health_exporter_http_refused_total{reason=\"$2\"}")
	echo "${v:-0}"
}

# counters NAME URL [CURL-ARGS]: a scrape of the exporter's counters into $IT_TMP/NAME.
counters() {
	local name=$1 url=$2
	shift 2
	in_ns "$NS" curl -s --max-time 10 --interface 127.0.0.3 "$@" -o "$IT_TMP/$name" "$url" ||
		die "scrape of the counters failed"
}

# check_refused BEFORE AFTER WHO: max_requests refusals were counted between the two
# counter scrapes — the limit was reached, so admission was what decided.
check_refused() {
	local n
	n=$(($(refused "$IT_TMP/$2" max_requests) - $(refused "$IT_TMP/$1" max_requests)))
	[ "$n" -gt 0 ] && ok "$3 were refused places ($n × 503, max_requests)" ||
		fail "$3: no max_requests refusal: the limit was never reached, admission not tested"
}

# wrk_summary FILE: "N requests, M non-2xx" from wrk's output.
wrk_summary() {
	awk '/requests in/ { r = $1 } /Non-2xx/ { n = $NF } END { printf "%s requests, %s non-2xx", r, n + 0 }' "$1"
}

# ---- 1. wrk -c 64 from one address ---------------------------------------------------------
section "wrk -c 64 from 127.0.0.1 for $DURATION s; a scraper from 127.0.0.2"
exporter_start exp "$NS" "$TCPH_BIN" :$PORT
URL=http://127.0.0.1:$PORT/metrics
counters c1a "$URL"
bg_start wrk1 "$NS" wrk -t 2 -c 64 -d "${DURATION}s" --timeout 10s "$URL"
scraper one 127.0.0.2 "$URL"
it_stop wrk1 none 10
sed 's/^/  | /' "$(bg_out wrk1)"
counters c1b "$URL"
echo "  wrk: $(wrk_summary "$(bg_out wrk1)")"
check_scraper one
check_refused c1a c1b "the 64 connections"

# ---- 2. 8 connections from each of 16 addresses -------------------------------------------
section "wrk -c 8 from each of 16 addresses for $DURATION s; a scraper from 198.18.1.2"
ip -n "$NS" link add br0 type bridge || die "cannot add a bridge"
ip -n "$NS" addr add 198.18.1.1/24 dev br0 || die "cannot address the bridge"
ip -n "$NS" addr add 198.18.1.2/24 dev br0 || die "cannot address the bridge"
ip -n "$NS" link set br0 up || die "cannot bring the bridge up"
for ((i = 0; i < 16; i++)); do
	netns_create "C$i"
	ns=C$i
	ip link add "tcphfa$$x$i" type veth peer name "tcphfb$$x$i" || die "cannot add a veth pair"
	ip link set "tcphfa$$x$i" netns "$NS" || die "cannot move a veth end"
	ip link set "tcphfb$$x$i" netns "${!ns}" || die "cannot move a veth end"
	ip -n "$NS" link set "tcphfa$$x$i" master br0 up || die "cannot attach a veth end"
	ip -n "${!ns}" addr add "198.18.1.$((11 + i))/24" dev "tcphfb$$x$i" || die "cannot address a veth end"
	ip -n "${!ns}" link set "tcphfb$$x$i" up || die "cannot bring a veth end up"
done
tries=0
URL2=http://198.18.1.1:$PORT/metrics
for ((i = 0; i < 16; i++)); do
	ns=C$i
	until in_ns "${!ns}" curl -s -o /dev/null --max-time 1 "http://198.18.1.1:$PORT/-/healthy"; do
		[ "$((++tries))" -lt 200 ] || die "client namespace $i cannot reach the exporter"
		sleep 0.05
	done
done
counters c2a "$URL"
for ((i = 0; i < 16; i++)); do
	ns=C$i
	bg_start "wrk2_$i" "${!ns}" wrk -t 1 -c 8 -d "${DURATION}s" --timeout 10s "$URL2"
done
scraper many 198.18.1.2 "$URL2"
total=0
for ((i = 0; i < 16; i++)); do
	it_stop "wrk2_$i" none 10
	n=$(awk '/requests in/ { print $1 }' "$(bg_out "wrk2_$i")")
	total=$((total + ${n:-0}))
done
counters c2b "$URL"
echo "  16 × wrk -c 8: $total requests in all (one: $(wrk_summary "$(bg_out wrk2_0)"))"
check_scraper many
check_refused c2a c2b "the 128 connections"
it_stop exp
assert_eq "the exporter stopped cleanly" 0 "$IT_STOP_RC"

# ---- 3. with basic auth --------------------------------------------------------------------
section "basic auth: wrk -c 64 from 127.0.0.1 with the right password, then a wrong one"
printf 'basic_auth_users:\n  prom: %s\n' "'$HASH'" >"$IT_TMP/auth.yml"
exporter_start auth "$NS" "$TCPH_BIN" :$PORT --web.config.file="$IT_TMP/auth.yml"
# A scraper opening 8 connections at once with a password not yet remembered: one bcrypt,
# and the 7 held behind it are checked again when it succeeds (not held, then 429).
: >"$IT_TMP/cold"
cold=()
for ((k = 0; k < 8; k++)); do
	in_ns "$NS" curl -s -o /dev/null --max-time 10 --interface 127.0.0.5 -u prom:s3cret \
		-w '%{http_code} %{time_total}\n' "$URL" >>"$IT_TMP/cold" &
	cold+=($!)
done
wait "${cold[@]}" || true
echo "  8 concurrent first requests with the right password: $(sort "$IT_TMP/cold" | tr '\n' ' ')"
assert_eq "8 concurrent first requests, right password: all 200" "8" "$(grep -c '^200 ' "$IT_TMP/cold")"
counters c3a "$URL" -u prom:s3cret
bg_start wrk3 "$NS" wrk -t 2 -c 64 -d "${DURATION}s" --timeout 10s \
	-H "Authorization: Basic $(printf prom:s3cret | base64)" "$URL"
scraper auth_right 127.0.0.2 "$URL" -u prom:s3cret
it_stop wrk3 none 10
counters c3b "$URL" -u prom:s3cret
echo "  wrk (right password): $(wrk_summary "$(bg_out wrk3)")"
check_scraper auth_right
check_refused c3a c3b "authenticated hammering"
bg_start wrk4 "$NS" wrk -t 2 -c 64 -d "${DURATION}s" --timeout 10s \
	-H "Authorization: Basic $(printf prom:wrong | base64)" "$URL"
scraper auth_wrong 127.0.0.2 "$URL" -u prom:s3cret
it_stop wrk4 none 10
counters c3c "$URL" -u prom:s3cret
echo "  wrk (wrong password): $(wrk_summary "$(bg_out wrk4)"); unauthorized $(($(refused "$IT_TMP/c3c" \
	unauthorized) - $(refused "$IT_TMP/c3b" unauthorized))), auth_throttled $(($(refused "$IT_TMP/c3c" \
	auth_throttled) - $(refused "$IT_TMP/c3b" auth_throttled)))"
check_scraper auth_wrong
it_stop auth
assert_eq "the exporter with auth stopped cleanly" 0 "$IT_STOP_RC"

# ---- 4. connect, GET, close ----------------------------------------------------------------
section "a loop from 127.0.0.1 that sends a GET and closes without reading"
exporter_start exp4 "$NS" "$TCPH_BIN" :$PORT
cat >"$IT_TMP/hit.py" <<'EOF'
import socket, sys, time
end = time.monotonic() + float(sys.argv[2])
n = 0
while time.monotonic() < end:
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
    s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
    s.close()
    n += 1
print(n)
EOF
counters c4a "$URL"
bg_start hit "$NS" python3 "$IT_TMP/hit.py" $PORT "$DURATION"
scraper hit 127.0.0.2 "$URL"
it_stop hit none 10
counters c4b "$URL"
echo "  the loop sent $(cat "$(bg_out hit)") requests; max_requests refusals: $(($(refused "$IT_TMP/c4b" \
	max_requests) - $(refused "$IT_TMP/c4a" max_requests)))"
check_scraper hit
it_stop exp4
assert_eq "the exporter stopped cleanly" 0 "$IT_STOP_RC"

it_end
