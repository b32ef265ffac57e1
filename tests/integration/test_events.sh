#!/usr/bin/env bash
# test_events.sh — the tcp.events collector (issue 19): every outcome produced with real
# sockets and counted exactly under its port and role, between two scrapes.
#   client (198.18.0.1): the exporter (--netns=self) and every connecting side
#   peer   (198.18.0.2): listeners on 7100/7101 that never accept; 7102-7104 closed; an
#                         nftables prerouting chain through which ports vanish
#    1. non-blocking connects refused (7102)             -> connect_refused, client, 7102
#    2. non-blocking connects timed out (7103 dropped,
#       tcp_syn_retries=1)                               -> connect_timeout, client, 7103
#    3. blocking connects refused (7104): the kernel disconnects the socket first (remote
#       port 0, local port ephemeral)                    -> disconnected, client, "other"
#    4. data in flight to a vanished peer (7100,
#       tcp_retries2=3)                                  -> retransmit_timeout, client, 7100
#    5. keepalive 1/1/2 to a vanished peer (7101)        -> keepalive_timeout, client, 7101
#    6. 20 loopback connections closed (7200)            -> normal, server and client, 7200
#    7. a listener closed and reopened (7400)            -> listener_closed_total +1,
#                                                           listener_up 1 at both scrapes
#    8. 50,000 loopback connections (7300)               -> normal, server, exactly 50,000
#                                                           when no event was lost
#    9. --netns=all: two namespaces' closes under their own netns; one deleted: its series
#       gone, its destroy socket closed, nothing of it held
#   10. uid 65534 in its own namespace: a refused connect counted
#   11. --no-collector.tcp.events: no family, no destroy-group socket
# Every assertion on a counter is on its delta between two scrapes, for every outcome of
# the label set (the ones not expected to move must not). Every wait is bounded.
# shellcheck source=tests/integration/lib.sh disable=SC1091
source "$(dirname "$0")/lib.sh"
it_begin nft jq setpriv awk stat chromium python3 od

[ -x "$TOOLS/evconn" ] || die "'$TOOLS/evconn' is not an executable"
EV=$TOOLS/evconn
ARTIFACTS=$IT_ROOT/build/artifacts
OUTCOMES=(normal connect_refused connect_timeout retransmit_timeout keepalive_timeout disconnected unconnected)

# ---- helpers ----------------------------------------------------------------------------

# rand_port: a port for an exporter inside our own namespaces, below the ephemeral range
# (so that curl's connections to it count under its own port) and never 9978.
rand_port() {
	local p
	while :; do
		p=$((20000 + RANDOM % 12000))
		[ "$p" != 9978 ] && break
	done
	echo "$p"
}

# closed FILE PREFIX PORT ROLE OUTCOME: the closed_total sample (0 when absent). PREFIX: the
# leading labels (netns="x", in --netns=all; "" otherwise).
closed() {
	local v
	v=$(metric_value "$1" "tcp_health_connections_closed_total{$2port=\"$3\",role=\"$4\",outcome=\"$5\"}")
	echo "${v:-0}"
}

# delta BEFORE AFTER SERIES: SERIES in AFTER minus SERIES in BEFORE, a series absent from
# BEFORE counting as 0 (a label set appears with its first count); "absent" when AFTER has
# no such series.
delta() {
	local a b
	a=$(metric_value "$2" "$3")
	b=$(metric_value "$1" "$3")
	if [ -z "$a" ]; then echo absent; else echo $((a - ${b:-0})); fi
}

# assert_closed LABEL BEFORE AFTER PREFIX PORT ROLE OUTCOME=N...: the delta of every outcome
# of (PORT, ROLE) between the scrapes BEFORE and AFTER is exactly N for the outcomes listed
# and 0 for all others. Prints the deltas either way.
assert_closed() {
	local label=$1 before=$2 after=$3 prefix=$4 port=$5 role=$6 o want d line="" bad=""
	shift 6
	declare -A expect=()
	for o in "$@"; do expect[${o%=*}]=${o#*=}; done
	for o in "${OUTCOMES[@]}"; do
		d=$(($(closed "$after" "$prefix" "$port" "$role" "$o") - $(closed "$before" "$prefix" "$port" "$role" "$o")))
		want=${expect[$o]:-0}
		line="$line $o=$d"
		[ "$d" = "$want" ] || bad="$bad $o: expected +$want got +$d;"
	done
	if [ -z "$bad" ]; then
		ok "$label: closed_total{${prefix}port=\"$port\",role=\"$role\"} deltas:$line"
	else
		fail "$label: closed_total{${prefix}port=\"$port\",role=\"$role\"}:$bad (deltas:$line)"
	fi
}

# settle NS URL FILE SECONDS SERIES TARGET: scrapes into FILE until SERIES reaches TARGET
# (or SECONDS pass), then once more 300 ms later, so that a count still rising past TARGET
# shows. The events are read by the exporter's own thread: a scrape just after the closes
# may come before it has read them.
settle() {
	local ns=$1 url=$2 file=$3 deadline=$(($(now_ms) + $4 * 1000)) v
	while :; do
		scrape "$ns" "$url" "$file" || die "scrape of $url failed"
		v=$(metric_value "$file" "$5")
		[ "${v:-0}" -lt "$6" ] || break
		[ "$(now_ms)" -lt "$deadline" ] || break
		sleep 0.1
	done
	sleep 0.3
	scrape "$ns" "$url" "$file" || die "scrape of $url failed"
}

# destroy_sockets PID NS: the inodes of PID's netlink sock_diag sockets that belong to NS
# and have joined a multicast group (the destroy groups), one a line.
destroy_sockets() {
	local fds
	fds=$(find "/proc/$1/fd" -mindepth 1 -maxdepth 1 -lname 'socket:*' -printf '%l\n' 2>/dev/null |
		sed 's/^socket:\[//; s/\]$//' | sort -u)
	in_ns "$2" cat /proc/net/netlink | awk -v fds="$fds" '
		BEGIN { n = split(fds, f, "\n"); for (i = 1; i <= n; i++) mine[f[i]] = 1 }
		NR > 1 && $2 == 4 && $4 != "00000000" && ($NF in mine) { print $NF }'
}

# churn_start NAME NS PORT N NSRC: an evconn churn listening on 127.0.0.1:PORT, ready for
# its SIGUSR1 (N connections from NSRC source addresses).
churn_start() {
	bg_start "$1" "$2" "$EV" churn 127.0.0.1 "$3" "$4" "$5"
	bg_wait_ready "$1" 10
}

# wait_line NAME REGEX SECONDS: bounded wait for a line of NAME's stdout matching REGEX.
wait_line() {
	local deadline=$(($(now_ms) + $3 * 1000))
	until grep -qE -- "$2" "$(bg_out "$1")" 2>/dev/null; do
		if [ "$(now_ms)" -gt "$deadline" ]; then
			fail "$1: no line matching '$2' within $3 s (stdout: $(tr '\n' ' ' <"$(bg_out "$1")"); stderr: $(tr '\n' ' ' <"$(bg_err "$1")"))"
			return 1
		fi
		sleep 0.05
	done
}

# ---- the two hosts ----------------------------------------------------------------------

# Namespaces evt-PID-N: host (198.18.0.1) and peer (198.18.0.2) by lib.sh's veth pair,
# with the peer's nftables prerouting chain for peer_blackhole.
# shellcheck disable=SC2034 # read by lib.sh's netns_create
IT_NETNS_PREFIX=evt
peer_pair_create
# shellcheck disable=SC2154 # host and peer are set by peer_pair_create
C=$host P=$peer
# Short give-ups, in the client namespace only: a SYN retried once (~3 s), data
# retransmitted 3 times (~3 s at the 200 ms minimum RTO).
in_ns "$C" sysctl -qw net.ipv4.tcp_syn_retries=1 || die "sysctl tcp_syn_retries"
in_ns "$C" sysctl -qw net.ipv4.tcp_retries2=3 || die "sysctl tcp_retries2"

sockstate_start peer_listeners "$P" listen 0.0.0.0 7100 128 listen 0.0.0.0 7101 128
sockstate_start listener_a "$C" listen 127.0.0.1 7400 128
sockstate_start listener_e "$C" listen 0.0.0.0 7550 128
churn_start churn20 "$C" 7200 20 1
churn_start churn50k "$C" 7300 50000 4

PORT=$(rand_port)
URL="http://127.0.0.1:$PORT/metrics"
exporter_start exporter "$C" "$TCPH_BIN" "127.0.0.1:$PORT" --netns=self --listen-ports=7550
EPID=$(bg_pid exporter)
S0="$IT_TMP/s0.prom"
scrape "$C" "$URL" "$S0" || die "first scrape failed"
assert_metric "$S0" 'tcp_health_scrape_collector_success{collector="tcp.events"}' 1
lost0=$(metric_value "$S0" tcp_health_exporter_events_lost_total)
assert_eq "events_lost_total at start" 0 "${lost0:-absent}"
n=$(destroy_sockets "$EPID" "$C" | wc -l)
assert_eq "the exporter's destroy-group sockets in its namespace" 1 "$n"

section "1-5. connects refused, timed out, blocking; retransmission and keepalive aborts"
bg_start abort_rt "$C" "$EV" abort --send-every 100 --wait 40 198.18.0.2 7100
bg_start abort_ka "$C" "$EV" abort --keepalive 1,1,2 --wait 40 198.18.0.2 7101
bg_wait_ready abort_rt 10
bg_wait_ready abort_ka 10
S1="$IT_TMP/s1.prom"
scrape "$C" "$URL" "$S1" || die "scrape failed"
peer_blackhole 7100
peer_blackhole 7101
peer_blackhole 7103
out=$(in_ns "$C" "$EV" connect 198.18.0.2 7102 5)
assert_eq "evconn: 5 non-blocking connects to closed port 7102" "connect ok=0 refused=5 timedout=0 other=0" "$out"
out=$(in_ns "$C" "$EV" connect --wait 15000 198.18.0.2 7103 3)
assert_eq "evconn: 3 non-blocking connects to dropped port 7103" "connect ok=0 refused=0 timedout=3 other=0" "$out"
out=$(in_ns "$C" "$EV" connect --block 198.18.0.2 7104 4)
assert_eq "evconn: 4 blocking connects to closed port 7104" "connect ok=0 refused=4 timedout=0 other=0" "$out"
wait_line abort_rt '^closed ' 30 && printf '  retransmission abort (7100): %s\n' "$(grep '^closed' "$(bg_out abort_rt)")"
wait_line abort_ka '^closed ' 30 && printf '  keepalive abort (7101): %s\n' "$(grep '^closed' "$(bg_out abort_ka)")"
assert_contains "the kernel timed out the connection with data in flight" "$(bg_out abort_rt)" "closed ETIMEDOUT"
assert_contains "the kernel timed out the keepalive connection" "$(bg_out abort_ka)" "closed ETIMEDOUT"
S2="$IT_TMP/s2.prom"
settle "$C" "$URL" "$S2" 5 'tcp_health_connections_closed_total{port="7101",role="client",outcome="keepalive_timeout"}' 1
assert_closed "1. refused" "$S1" "$S2" "" 7102 client connect_refused=5
assert_closed "2. timed out" "$S1" "$S2" "" 7103 client connect_timeout=3
assert_closed "3. blocking connects" "$S1" "$S2" "" other client disconnected=4
assert_closed "4. retransmission abort" "$S1" "$S2" "" 7100 client retransmit_timeout=1
assert_closed "5. keepalive abort" "$S1" "$S2" "" 7101 client keepalive_timeout=1
# The sums over closed connections take the final tcp_info: the aborted connection's
# retransmissions as evconn read them just before its close.
rt=$(sed -n 's/^closed .* total_retrans=\([0-9]*\)$/\1/p' "$(bg_out abort_rt)")
seg='tcp_health_closed_segments_retransmitted_total{port="7100",role="client"}'
assert_eq "4. $seg delta (evconn's total_retrans)" "${rt:-none}" \
	"$(delta "$S1" "$S2" "$seg")"
for p in 7100 7101 7102 7103; do
	assert_no_series "$S2" "^tcp_health_connections_closed_total\\{port=\"$p\",role=\"server\"" \
		"no server-role closes on the peer's port $p (the peer is another namespace)"
done

section "4. what happened, in /api/v1/status and on the page (Chromium)"
# 7550 (expected) was listening at the first scrape; it closes now and the next scan sees it
# gone: a listener close in the ring, a down transition, "7550 down since HH:MM:SS".
before_down=$(date +%s)
it_stop listener_e TERM 5
scrape "$C" "$URL" "$IT_TMP/s2b.prom" || die "scrape failed"
after_down=$(date +%s)
# One snapshot for the three views: /metrics scans, the status views reuse it (< 5 s).
BASE="http://127.0.0.1:$PORT"
J="$IT_TMP/status.json"
H="$IT_TMP/status.html"
scrape "$C" "$URL" "$IT_TMP/agree.prom" || die "scrape failed"
in_ns "$C" curl -sS --max-time 10 -o "$J" "$BASE/api/v1/status" || die "GET /api/v1/status failed"
in_ns "$C" curl -sS --max-time 10 -o "$H" "$BASE/" || die "GET / failed"
jq -e '.events.recent' "$J" >/dev/null || die "/api/v1/status has no events.recent: $(jq -c 'keys' "$J")"
R='.events.recent[]'
got=$(jq -c "[$R | select(.remote.address == \"198.18.0.2\" and .remote.port == 7100) | {kind, outcome, role, port, family, local: .local.address}]" "$J")
assert_eq "4. events.recent: the vanished peer 198.18.0.2:7100 the kernel gave up on" \
	'[{"kind":"close","outcome":"retransmit_timeout","role":"client","port":7100,"family":"ipv4","local":"198.18.0.1"}]' "$got"
assert_eq "4. its total_retrans is evconn's last tcp_info (total_retrans=${rt:-none})" "${rt:-none}" \
	"$(jq "$R | select(.remote.port == 7100) | .total_retrans" "$J")"
assert_eq "4. its retransmits (> 0) and bytes_acked (> 0)" "true true" \
	"$(jq -r "$R | select(.remote.port == 7100) | \"\\(.retransmits > 0) \\(.bytes_acked > 0)\"" "$J")"
got=$(jq -c "[$R | select(.remote.address == \"198.18.0.2\" and .remote.port == 7101) | {outcome, port, probes_seen: (.probes > 0)}]" "$J")
assert_eq "4. events.recent: the keepalive peer 198.18.0.2:7101" \
	'[{"outcome":"keepalive_timeout","port":7101,"probes_seen":true}]' "$got"
assert_eq "4. events.recent: 5 refused connects to 198.18.0.2:7102" 5 \
	"$(jq "[$R | select(.outcome == \"connect_refused\" and .remote.port == 7102 and .port == 7102)] | length" "$J")"
assert_eq "4. events.recent: 3 timed-out connects to 198.18.0.2:7103" 3 \
	"$(jq "[$R | select(.outcome == \"connect_timeout\" and .remote.port == 7103 and .port == 7103)] | length" "$J")"
assert_eq "4. events.recent: 4 blocking refused connects, remote port gone, under other" 4 \
	"$(jq "[$R | select(.outcome == \"disconnected\" and .remote.address == \"198.18.0.2\" and .remote.port == 0 and .other and .port == null)] | length" "$J")"
assert_eq "4. events.recent: 7550's listener closed, by its owner" '[{"process":"sockstate","remote":null}]' \
	"$(jq -c "[$R | select(.kind == \"listener_closed\" and .port == 7550) | {process, remote}]" "$J")"
assert_eq "4. events.recent: 7550 seen down by a scan" 1 \
	"$(jq "[$R | select(.kind == \"listener_down\" and .port == 7550 and .local.port == 7550)] | length" "$J")"
since=$(jq '.namespaces[0].events.listeners_down[] | select(.port == 7550) | .since | floor' "$J")
if [ -n "$since" ] && [ "$since" -ge "$before_down" ] && [ "$since" -le "$after_down" ]; then
	ok "4. listeners_down: 7550 down since $since (the scan between $before_down and $after_down)"
else
	fail "4. listeners_down: 7550 since '${since:-missing}', want between $before_down and $after_down"
fi
assert_eq "4. recorded_total = entries (the ring did not wrap), newest first" "true true" \
	"$(jq -r '"\(.events.recorded_total == (.events.recent | length)) \([.events.recent[].time] == ([.events.recent[].time] | sort | reverse))"' "$J")"
pycheck agree "$IT_TMP/agree.prom" "$J" "$H"

# As a person sees it: Chromium's DOM and a screenshot (build/artifacts/status-events.png).
DOM="$IT_TMP/dom.html"
timeout -k 5 60 ip netns exec "$C" chromium --headless --no-sandbox --disable-gpu --no-first-run \
	--user-data-dir="$IT_TMP/chromium" --dump-dom "$BASE/" >"$DOM" 2>>"$IT_TMP/chromium.log" ||
	fail "chromium --dump-dom exited with $?"
want_since=$(jq -r '.events.since_utc[11:16]' "$J")
assert_eq "4. the page: What happened since (the collector's start, UTC)" "What happened since $want_since UTC" \
	"$(q "$DOM" 'section#events h2' text)"
assert_eq "4. the page: the dead peer's row, by address" "198.18.0.2:7100" \
	"$(q "$DOM" 'table.events tr[data-outcome=retransmit_timeout][data-port=7100] td.remote' text)"
assert_eq "4. the page: it says the kernel gave up" "Aborted: peer silent" \
	"$(q "$DOM" 'table.events tr[data-outcome=retransmit_timeout][data-port=7100] td.what' text)"
assert_eq "4. the page: the keepalive peer's row" "198.18.0.2:7101" \
	"$(q "$DOM" 'table.events tr[data-outcome=keepalive_timeout] td.remote' text)"
down_text=$(q "$DOM" 'div.tile[data-port=7550] span.down-since' text)
want_clock=$(jq -r '.namespaces[0].events.listeners_down[] | select(.port == 7550) | .since_utc[11:19]' "$J")
if [[ $down_text == "7550 down since $want_clock UTC ("*" ago)" ]]; then
	ok "4. the page: 7550's tile says '$down_text'"
else
	fail "4. the page: 7550's tile says '$down_text', want '7550 down since $want_clock UTC (… ago)'"
fi
assert_eq "4. the page: client 7102's refused connects in the closes table" 5 \
	"$(q "$DOM" 'table.closes tr[data-role=client][data-port=7102] td[data-key=closed.connect_refused]' text)"
mkdir -p "$ARTIFACTS"
png=$ARTIFACTS/status-events.png
rm -f "$png"
timeout -k 5 60 ip netns exec "$C" chromium --headless --no-sandbox --disable-gpu --no-first-run --hide-scrollbars \
	--user-data-dir="$IT_TMP/chromium" --window-size=1280,1400 --screenshot="$png" "$BASE/" >/dev/null 2>>"$IT_TMP/chromium.log" ||
	fail "chromium --screenshot exited with $?"
if [ "$(od -An -tx1 -N8 "$png" 2>/dev/null | tr -d ' \n')" = 89504e470d0a1a0a ] && [ "$(stat -c %s "$png")" -gt 10240 ]; then
	ok "4. screenshot: $png ($(stat -c %s "$png") bytes)"
else
	fail "4. screenshot: $png is not a PNG of more than 10 KiB"
fi

section "6. normal closes of 20 loopback connections (7200)"
S3="$IT_TMP/s3.prom"
kill -USR1 "$(bg_pid churn20)"
wait_line churn20 '^done ' 20
settle "$C" "$URL" "$S3" 5 'tcp_health_connections_closed_total{port="7200",role="server",outcome="normal"}' 20
assert_closed "6. normal, server side" "$S2" "$S3" "" 7200 server normal=20
assert_closed "6. normal, client side" "$S2" "$S3" "" 7200 client normal=20
lc2=$(metric_value "$S2" 'tcp_health_listener_closed_total{port="7200"}')
lc3=$(metric_value "$S3" 'tcp_health_listener_closed_total{port="7200"}')
assert_eq "6. listener_closed_total{port=\"7200\"} (${lc2:-absent} -> ${lc3:-absent}): connections are not listeners" \
	"0 0" "${lc2:-absent} ${lc3:-absent}"

section "7. a listener closed and reopened between two scrapes (7400)"
S4="$IT_TMP/s4.prom"
S5="$IT_TMP/s5.prom"
scrape "$C" "$URL" "$S4" || die "scrape failed"
assert_metric "$S4" 'tcp_health_listener_up{port="7400"}' 1
it_stop listener_a TERM 5
sockstate_start listener_b "$C" listen 127.0.0.1 7400 128
lc4=$(metric_value "$S4" 'tcp_health_listener_closed_total{port="7400"}')
settle "$C" "$URL" "$S5" 5 'tcp_health_listener_closed_total{port="7400"}' $((${lc4:-0} + 1))
assert_metric "$S5" 'tcp_health_listener_up{port="7400"}' 1
assert_eq "7. listener_closed_total{port=\"7400\"} delta (was ${lc4:-absent})" 1 \
	"$(delta "$S4" "$S5" 'tcp_health_listener_closed_total{port="7400"}')"
assert_closed "7. a listener's close is not a connection" "$S4" "$S5" "" 7400 server

section "8. 50,000 short connections to one port between two scrapes (7300)"
S6="$IT_TMP/s6.prom"
S7="$IT_TMP/s7.prom"
scrape "$C" "$URL" "$S6" || die "scrape failed"
kill -USR1 "$(bg_pid churn50k)"
wait_line churn50k '^done ' 60
settle "$C" "$URL" "$S7" 15 'tcp_health_connections_closed_total{port="7300",role="server",outcome="normal"}' 50000
printf '  churn: %s\n' "$(grep '^done' "$(bg_out churn50k)")"
lost=$(delta "$S6" "$S7" tcp_health_exporter_events_lost_total)
events=$(delta "$S6" "$S7" tcp_health_exporter_events_total)
server=$(($(closed "$S7" "" 7300 server normal) - $(closed "$S6" "" 7300 server normal)))
client=$(($(closed "$S7" "" 7300 client normal) - $(closed "$S6" "" 7300 client normal)))
printf '  figures: events_total +%s, events_lost_total +%s, server normal +%d, client normal +%d, receive buffer %s bytes\n' \
	"$events" "$lost" "$server" "$client" "$(metric_value "$S7" tcp_health_exporter_events_receive_buffer_bytes)"
if [ "$lost" != 0 ]; then
	fail "8. events were lost (events_lost_total +$lost; server closes counted +$server of 50000): the exact count cannot be claimed"
else
	assert_closed "8. 50,000 connections, server side, no event lost" "$S6" "$S7" "" 7300 server normal=50000
	assert_closed "8. 50,000 connections, client side" "$S6" "$S7" "" 7300 client normal=50000
fi
assert_metric "$S7" 'tcp_health_scrape_collector_success{collector="tcp.events"}' 1

section "9. --netns=all: two namespaces, each its own closes; one deleted"
netns_create A
netns_create B
netns_create E
churn_start churn_a "$A" 7500 30 1
churn_start churn_b "$B" 7500 40 1
APORT=$(rand_port)
AURL="http://127.0.0.1:$APORT/metrics"
exporter_start all "$E" "$TCPH_BIN" "127.0.0.1:$APORT" --netns=all --netns.max=1024
APID=$(bg_pid all)
N0="$IT_TMP/n0.prom"
N1="$IT_TMP/n1.prom"
# The first scan finds the namespaces and opens their destroy sockets.
scrape "$E" "$AURL" "$N0" || die "scrape failed"
for ns in "$A" "$B"; do
	assert_metric "$N0" "tcp_health_listener_up{netns=\"$ns\",port=\"7500\"}" 1
	assert_eq "9. the exporter's destroy-group sockets in $ns" 1 "$(destroy_sockets "$APID" "$ns" | wc -l)"
done
b_sockets=$(destroy_sockets "$APID" "$B")
b_inode=$(stat -L -c %i "/run/netns/$B") || die "stat /run/netns/$B"
kill -USR1 "$(bg_pid churn_a)" "$(bg_pid churn_b)"
wait_line churn_a '^done ' 20
wait_line churn_b '^done ' 20
settle "$E" "$AURL" "$N1" 5 "tcp_health_connections_closed_total{netns=\"$B\",port=\"7500\",role=\"server\",outcome=\"normal\"}" 40
assert_closed "9. namespace a" "$N0" "$N1" "netns=\"$A\"," 7500 server normal=30
assert_closed "9. namespace a" "$N0" "$N1" "netns=\"$A\"," 7500 client normal=30
assert_closed "9. namespace b" "$N0" "$N1" "netns=\"$B\"," 7500 server normal=40
assert_closed "9. namespace b" "$N0" "$N1" "netns=\"$B\"," 7500 client normal=40

it_stop churn_b TERM 5
ip netns del "$B" || die "ip netns del $B"
N2="$IT_TMP/n2.prom"
deadline=$(($(now_ms) + 10000))
while :; do
	scrape "$E" "$AURL" "$N2" || die "scrape failed"
	grep -q "netns=\"$B\"" "$N2" || break
	[ "$(now_ms)" -lt "$deadline" ] || break
	sleep 0.2
done
assert_no_series "$N2" "netns=\"$B\"" "9. no series of the deleted namespace $B"
assert_closed "9. namespace a still counted after b went" "$N0" "$N2" "netns=\"$A\"," 7500 server normal=30
left=$(find "/proc/$APID/fd" -mindepth 1 -maxdepth 1 -printf '%l\n' 2>/dev/null |
	sed 's/^socket:\[//; s/\]$//' | grep -cxF -f <(printf '%s\n' "$b_sockets") || true)
if [ -z "$b_sockets" ]; then
	fail "9. b's destroy socket was never seen, so its closing proves nothing"
else
	assert_eq "9. b's destroy socket (inode ${b_sockets//$'\n'/ }) no longer among the exporter's fds" 0 "$left"
fi
pinned=$( { find "/proc/$APID/fd" -mindepth 1 -maxdepth 1 -printf '%l\n'
	for t in /proc/"$APID"/task/*; do readlink "$t/ns/net"; done; } 2>/dev/null | grep -c "^net:\[$b_inode\]$" || true)
assert_eq "9. no fd or thread of the exporter in b's namespace (net:[$b_inode])" 0 "$pinned"
it_stop all TERM 10
assert_eq "9. --netns=all exporter: exit status after SIGTERM" 0 "$IT_STOP_RC"

section "10. uid 65534 in its own namespace"
netns_create U
UPORT=$(rand_port)
UURL="http://127.0.0.1:$UPORT/metrics"
bg_start nobody "$U" setpriv --reuid=65534 --regid=65534 --clear-groups \
	"$TCPH_BIN" "--web.listen-address=127.0.0.1:$UPORT" --netns=self
http_wait nobody "$U" "http://127.0.0.1:$UPORT/-/healthy" 10
assert_eq "10. the exporter runs as uid" 65534 "$(ps -o uid= -p "$(bg_pid nobody)" | tr -d ' ')"
U0="$IT_TMP/u0.prom"
U1="$IT_TMP/u1.prom"
scrape "$U" "$UURL" "$U0" || die "scrape failed"
assert_metric "$U0" 'tcp_health_scrape_collector_success{collector="tcp.events"}' 1
out=$(in_ns "$U" "$EV" connect 127.0.0.1 7600 3)
assert_eq "evconn: 3 connects to closed port 7600" "connect ok=0 refused=3 timedout=0 other=0" "$out"
settle "$U" "$UURL" "$U1" 5 'tcp_health_connections_closed_total{port="7600",role="client",outcome="connect_refused"}' 3
assert_closed "10. uid 65534" "$U0" "$U1" "" 7600 client connect_refused=3
printf '  receive buffer as uid 65534: %s bytes\n' "$(metric_value "$U1" tcp_health_exporter_events_receive_buffer_bytes)"

section "11. --no-collector.tcp.events"
OPORT=$(rand_port)
exporter_start off "$U" "$TCPH_BIN" "127.0.0.1:$OPORT" --netns=self --no-collector.tcp.events
O0="$IT_TMP/o0.prom"
out=$(in_ns "$U" "$EV" connect 127.0.0.1 7600 2)
scrape "$U" "http://127.0.0.1:$OPORT/metrics" "$O0" || die "scrape failed"
assert_not_contains "11. no tcp_health_connections_closed_total family" "$O0" "tcp_health_connections_closed_total"
assert_not_contains "11. no tcp_health_exporter_events_total" "$O0" "tcp_health_exporter_events_"
assert_not_contains "11. no tcp.events collector row" "$O0" 'collector="tcp.events"'
assert_metric "$O0" 'tcp_health_scrape_collector_success{collector="tcp"}' 1
assert_eq "11. destroy-group sockets of the exporter without the collector" 0 \
	"$(destroy_sockets "$(bg_pid off)" "$U" | wc -l)"
assert_eq "11. ... while the uid 65534 exporter beside it has" 1 \
	"$(destroy_sockets "$(bg_pid nobody)" "$U" | wc -l)"

for name in exporter nobody off; do
	it_stop "$name" TERM 10
	assert_eq "$name: exit status after SIGTERM" 0 "$IT_STOP_RC"
done

it_end
