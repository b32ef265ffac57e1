#!/usr/bin/env bash
# test_deadpeer.sh — the dead-peer signals of issue 3, each shown by its metric under the
# right port and role, with real TCP between two network namespaces:
#   host (198.18.0.1): the exporter and the client connections
#   peer (198.18.0.2): listeners on 7000-7002, never accepting (the kernel completes the
#                      handshakes and ACKs data all the same)
# A peer "vanishes" through an nftables rule in the *peer's* namespace dropping what
# arrives on its veth at prerouting: to the host's TCP that is a silent peer. (A drop in
# the host's own output path would be a local error, not a dead peer; this kernel has no
# netem.) Every wait is bounded.
#   7000  keepalive 1 s / 1 s / 3 probes, then the peer vanishes: probes outstanding,
#         then the kernel aborts the connection (TCPAbortOnTimeout rises)
#   7001  data every 200 ms, then the peer vanishes: retransmitting, back-off grows, and
#         with tcp_retries2=4 in the host namespace the connection aborts in seconds
#   7002  idle, no keepalive, --idle-threshold 1: unprotected idle
#   7003  (host, loopback) a listener with backlog 1 that never accepts: the accept queue
#         fills to its limit and ListenOverflows rises
source "$(dirname "$0")/lib.sh"
it_begin nft

PORT=19400
URL="http://127.0.0.1:$PORT/metrics"
M="$IT_TMP/metrics"

# wait_for DESCRIPTION SECONDS AWK-CONDITION SERIES...: scrapes until the condition holds
# for the values of the SERIES (v[1], v[2], ...; absent = -1), at most SECONDS. Counts one
# ok or one failure; never aborts the script.
wait_for() {
	local what=$1 secs=$2 cond=$3 start deadline values s
	shift 3
	start=$(now_ms)
	deadline=$((start + secs * 1000))
	while :; do
		values=""
		if scrape "$host" "$URL" "$M"; then
			for s in "$@"; do
				v=$(metric_value "$M" "$s")
				values="$values ${v:--1}"
			done
			if awk -v vals="$values" "BEGIN { split(vals, v, \" \"); exit !($cond) }"; then
				ok "$what (after $(($(now_ms) - start)) ms:$values)"
				return 0
			fi
		fi
		if [ "$(now_ms)" -gt "$deadline" ]; then
			fail "$what: not within $secs s (last values:$values)"
			return 0
		fi
		sleep 0.25
	done
}

kernel() { metric_value "$M" "tcp_health_kernel_$1"; }

peer_pair_create
# Give up on unacknowledged data after ~6 s instead of ~15 min (this namespace only).
in_ns "$host" sysctl -qw net.ipv4.tcp_retries2=4 || die "sysctl tcp_retries2"

sockstate_start peer_listeners "$peer" listen 0.0.0.0 7000 128 listen 0.0.0.0 7001 128 \
	listen 0.0.0.0 7002 128
sockstate_start overflow_listener "$host" listen 127.0.0.1 7003 1
exporter_start exporter "$host" "$TCPH_BIN" "127.0.0.1:$PORT" --idle-threshold 1

scrape "$host" "$URL" "$M" || die "first scrape failed"
aborts_before=$(kernel abort_on_timeout_total)
overflows_before=$(kernel listen_overflows_total)
assert_metric "$M" 'tcp_health_sysctl_retries2' 4
assert_metric "$M" 'tcp_health_scrape_collector_success{collector="netstat"}' 1
assert_metric "$M" 'tcp_health_scrape_collector_success{collector="sysctl"}' 1

section "keepalive, idle and retransmitting connections to a live peer"
tcpclient_start keepalive "$host" --timeout 120 --keepalive 1,1,3 198.18.0.2 7000
tcpclient_start sender "$host" --timeout 120 --send-every 200 198.18.0.2 7001
tcpclient_start idle "$host" --timeout 120 198.18.0.2 7002
tcpclient_start overflow "$host" --timeout 120 --nowait --count 6 127.0.0.1 7003

wait_for "idle connection without keepalive counted as unprotected idle" 10 'v[1] == 1 && v[2] == 0' \
	'tcp_health_unprotected_idle_connections{port="7002",role="client"}' \
	'tcp_health_unprotected_idle_connections{port="7000",role="client"}'
assert_metric "$M" 'tcp_health_keepalive_connections{port="7000",role="client"}' 1
assert_metric "$M" 'tcp_health_keepalive_probes_outstanding{port="7000",role="client"}' 0
assert_metric "$M" 'tcp_health_connection_idle_seconds_count{port="7002",role="client"}' 1
assert_metric "$M" 'tcp_health_connection_idle_seconds_bucket{port="7002",role="client",le="1"}' 0
assert_metric "$M" 'tcp_health_rtt_seconds_count{port="7002",role="client"}' 1
assert_metric "$M" 'tcp_health_retransmitting_connections{port="7001",role="client"}' 0
# The sender keeps receiving ACKs: not silent, however long since data was received.
assert_metric "$M" 'tcp_health_unprotected_idle_connections{port="7001",role="client"}' 0

section "accept queue of a listener that never accepts"
wait_for "accept queue of port 7003 reached its limit" 10 'v[2] > 0 && v[1] >= v[2]' \
	'tcp_health_listen_queue_length{port="7003"}' 'tcp_health_listen_queue_max{port="7003"}'
assert_metric "$M" 'tcp_health_listen_queue_max{port="7003"}' 1
wait_for "ListenOverflows rose" 10 "v[1] > $overflows_before" 'tcp_health_kernel_listen_overflows_total'

section "the peer vanishes"
peer_blackhole 7000
peer_blackhole 7001
wait_for "keepalive probes outstanding on port 7000" 10 'v[1] >= 1 && v[2] >= 1' \
	'tcp_health_keepalive_probes_outstanding{port="7000",role="client"}' \
	'tcp_health_keepalive_probes_max{port="7000",role="client"}'
wait_for "data to the vanished peer retransmitting on port 7001" 10 'v[1] == 1 && v[2] >= 1' \
	'tcp_health_retransmitting_connections{port="7001",role="client"}' \
	'tcp_health_retransmit_backoff_max{port="7001",role="client"}'
first_backoff=$(metric_value "$M" 'tcp_health_retransmit_backoff_max{port="7001",role="client"}')
assert_metric "$M" 'tcp_health_timer_connections{port="7001",role="client",timer="retransmit"}' 1
wait_for "retransmission back-off on port 7001 grows" 10 "v[1] > $first_backoff" \
	'tcp_health_retransmit_backoff_max{port="7001",role="client"}'
# Once a port has no socket left its series go to 0 for one scrape, then end (-1 here).
wait_for "the kernel aborts both connections (keepalive and retransmission gave up)" 30 \
	"v[1] <= 0 && v[2] <= 0 && v[3] >= $aborts_before + 2" \
	'tcp_health_connections{port="7000",role="client",state="established"}' \
	'tcp_health_connections{port="7001",role="client",state="established"}' \
	'tcp_health_kernel_abort_on_timeout_total'
wait_for "no retransmitting or probing connection left" 5 'v[1] <= 0 && v[2] <= 0' \
	'tcp_health_retransmitting_connections{port="7001",role="client"}' \
	'tcp_health_keepalive_probes_outstanding{port="7000",role="client"}'

section "exposition format"
if out=$("$PROMTOOL" check metrics <"$M" 2>&1); then
	ok "promtool check metrics is clean"
else
	fail "promtool check metrics: $out"
fi
it_end
