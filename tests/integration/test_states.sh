#!/usr/bin/env bash
# test_states.sh — real sockets in known states, in fresh network namespaces, scraped and
# compared with exact values and with `ss` run in the same namespace at the same moment.
#
#   A. the main scenario: listeners on 127.0.0.1, 0.0.0.0 and [::], an expected port with
#      no listener, ESTABLISHED / CLOSE_WAIT / FIN_WAIT2 / TIME_WAIT / SYN_SENT / SYN_RECV /
#      FIN_WAIT1 sockets, an accept queue, a port that stopped listening; exact values,
#      then every tcp_health_connections series against ss, promtool check metrics.
#   B. --max-ports: more listening ports than slots fold into port="other".
#   C. --client-ports: a remote port inside the ephemeral range (of that namespace)
#      is labelled only when listed.
#   D. 3600 sockets: the dump spans many netlink datagrams; still exact against ss.
# shellcheck source=tests/integration/lib.sh disable=SC1091
source "$(dirname "$0")/lib.sh"
it_begin nft awk

EXP_PORT=9978 # the exporter's own port in every scenario (outside the ephemeral range)

# scrape_with_ss LABEL NS URL EXCLUDE: ss snapshot, scrape, ss snapshot, into
# $IT_TMP/LABEL.{before,prom,after}. A failed scrape is a failed test.
scrape_with_ss() {
	local label=$1 ns=$2 url=$3 exclude=$4
	ss_snapshot "$ns" "$exclude" "$IT_TMP/$label.before"
	scrape "$ns" "$url" "$IT_TMP/$label.prom" || die "$label: scraping $url failed"
	ss_snapshot "$ns" "$exclude" "$IT_TMP/$label.after"
}

# ---- A. the main scenario --------------------------------------------------------------
section "A. listeners, states, accept queue; exact values and ss cross-check"
netns_create NS_A
# Keep handshakes half-done where the scenario wants it: SYNs to 4000 vanish (SYN_SENT),
# the handshake's final ACK to 4100 vanishes (server end stays SYN_RECV), FINs to 4200
# vanish (client end stays FIN_WAIT1).
in_ns "$NS_A" nft -f - <<'EOF' || die "nft rules in $NS_A failed"
table inet tcph_test {
	chain input {
		type filter hook input priority 0; policy accept;
		tcp dport 4000 tcp flags & (syn | ack) == syn drop
		tcp dport 4100 tcp flags & (syn | ack | fin | rst) == ack drop
		tcp dport 4200 tcp flags & fin == fin drop
	}
}
EOF
sockstate_start sockets_a "$NS_A" \
	listen 127.0.0.1 1202 7 \
	listen 0.0.0.0 3720 16 \
	listen :: 1720 9 \
	established 127.0.0.1 3720 5 \
	closewait 127.0.0.1 1202 \
	timewait 127.0.0.1 1202 \
	established ::1 1720 1 \
	listen 127.0.0.1 2600 3 pending 127.0.0.1 2600 2 \
	listen 127.0.0.1 2500 established 127.0.0.1 2500 2 unlisten 2500 \
	synsent 127.0.0.1 4000 \
	listen 127.0.0.1 4100 synrecv 127.0.0.1 4100 \
	listen 127.0.0.1 4200 finwait1 127.0.0.1 4200 \
	listen 127.0.0.1 7000 5 listen 127.0.0.2 7000 6
exporter_start exporter_a "$NS_A" "$TCPH_BIN" "127.0.0.1:$EXP_PORT" --listen-ports 1202,3720,1720,5060
scrape_with_ss A "$NS_A" "http://127.0.0.1:$EXP_PORT/metrics" "$EXP_PORT"
M=$IT_TMP/A.prom

assert_metric "$M" 'tcp_health_scrape_collector_success{collector="tcp"}' 1
promtool_check A "$M"

# Listeners: expected-but-absent, bound to one address, to every IPv4, to every IPv6.
assert_metric "$M" 'tcp_health_listener_up{port="5060"}' 0
assert_metric "$M" 'tcp_health_listener_up{port="1202"}' 1
assert_metric "$M" 'tcp_health_listener_up{port="3720"}' 1
assert_metric "$M" 'tcp_health_listener_up{port="1720"}' 1
assert_metric "$M" 'tcp_health_listener_up{port="2600"}' 1
assert_metric "$M" "tcp_health_listener_up{port=\"$EXP_PORT\"}" 1
assert_no_series "$M" '^tcp_health_listener_up\{port="(2500|4000)"\}' \
	'no listener_up series for a port that stopped listening (2500) or never listened (4000)'
assert_metric "$M" 'tcp_health_listener_info{port="1202",address="127.0.0.1",family="ipv4",process="sockstate"}' 1
assert_metric "$M" 'tcp_health_listener_info{port="3720",address="0.0.0.0",family="ipv4",process="sockstate"}' 1
assert_metric "$M" 'tcp_health_listener_info{port="1720",address="::",family="ipv6",process="sockstate"}' 1
assert_eq 'listener_info series for port 1202 (one address)' 1 \
	"$(grep -c '^tcp_health_listener_info{port="1202",' "$M" || true)"
assert_no_series "$M" '^tcp_health_listener_info\{port="5060"' 'no listener_info for the absent port 5060'
assert_metric "$M" 'tcp_health_listen_queue_max{port="1202"}' 7
assert_metric "$M" 'tcp_health_listen_queue_max{port="3720"}' 16
assert_metric "$M" 'tcp_health_listen_queue_max{port="1720"}' 9
assert_metric "$M" 'tcp_health_listen_queue_max{port="2600"}' 3
assert_metric "$M" 'tcp_health_listen_queue_length{port="3720"}' 0
assert_metric "$M" 'tcp_health_listen_queue_length{port="2600"}' 2
assert_no_series "$M" '^tcp_health_listen_queue_(max|length)\{port="5060"\}' \
	'no accept-queue series for the absent port 5060'
# One port bound to two addresses: two listening sockets, one port.
assert_metric "$M" 'tcp_health_listener_up{port="7000"}' 1
assert_metric "$M" 'tcp_health_listener_info{port="7000",address="127.0.0.1",family="ipv4",process="sockstate"}' 1
assert_metric "$M" 'tcp_health_listener_info{port="7000",address="127.0.0.2",family="ipv4",process="sockstate"}' 1
assert_metric "$M" 'tcp_health_listen_queue_max{port="7000"}' 11
assert_metric "$M" 'tcp_health_connections{port="7000",role="server",state="listen"}' 2

# Connections by (port, role, state).
c() { assert_metric "$M" "tcp_health_connections{port=\"$1\",role=\"$2\",state=\"$3\"}" "$4"; }
c 3720 server listen 1
c 3720 server established 5
c 3720 client established 5
c 1202 server listen 1
c 1202 server close_wait 1
c 1202 client fin_wait2 1
c 1202 client time_wait 1
c 1202 server established 0
c 1720 server listen 1
c 1720 server established 1
c 1720 client established 1
c 2600 server listen 1
c 2600 server established 2 # still in the accept queue
c 2600 client established 2
c 2500 server established 2 # no listener any more: local port outside, remote inside the range
c 2500 client established 2
c 2500 server listen 0
c 4000 client syn_sent 1
c 4100 server listen 1
c 4100 server syn_recv 1
c 4100 client established 1
c 4200 server established 1
c 4200 client fin_wait1 1
for state in established syn_sent syn_recv fin_wait1 fin_wait2 time_wait close close_wait \
	last_ack listen closing; do
	c 5060 server "$state" 0
done
assert_no_series "$M" '^tcp_health_connections\{port="5060",role="client"' 'no client series for port 5060'
assert_no_series "$M" '^tcp_health_connections\{port="other",.*\} [1-9]' 'nothing counted under port="other"'
assert_metric "$M" 'tcp_health_exporter_sockets_scanned{family="ipv6"}' 3
assert_metric "$M" 'tcp_health_exporter_ports_folded_sockets{role="server"}' 0
# Timers of the half-open and closing sockets.
assert_metric "$M" 'tcp_health_timer_connections{port="4000",role="client",timer="retransmit"}' 1
assert_metric "$M" 'tcp_health_timer_connections{port="4100",role="server",timer="retransmit"}' 1
assert_metric "$M" 'tcp_health_timer_connections{port="4200",role="client",timer="retransmit"}' 1
assert_metric "$M" 'tcp_health_timer_connections{port="1202",role="client",timer="time_wait"}' 1
# Nothing was ever sent on the connections of port 2600: no segment is unacknowledged.
# (For a LISTEN socket tcp_info's tcpi_unacked is the accept-queue length, 2 here, which
# is not a segment count.)
assert_metric "$M" 'tcp_health_unacked_segments{port="2600",role="server"}' 0
assert_metric "$M" 'tcp_health_exporter_ports_folded_sockets{role="client"}' 0

crosscheck A "$NS_A" "$M" "$IT_TMP/A.before" "$IT_TMP/A.after" "$EXP_PORT" 1202,3720,1720,5060 "" 250

# ---- B. --max-ports --------------------------------------------------------------------
section "B. --max-ports 2: ports beyond the cap fold into port=\"other\""
netns_create NS_B
# Both slots of each role are taken by configured ports (1202 and the exporter's own), so
# which ports fold does not depend on the order of the kernel's dump: 2001-2003 do.
sockstate_start sockets_b "$NS_B" \
	listen 127.0.0.1 1202 listen 127.0.0.1 2001 listen 127.0.0.1 2002 listen 127.0.0.1 2003 \
	established 127.0.0.1 1202 2 established 127.0.0.1 2001 3
exporter_start exporter_b "$NS_B" "$TCPH_BIN" "127.0.0.1:$EXP_PORT" --max-ports 2 \
	--listen-ports "1202,$EXP_PORT" --client-ports "1202,$EXP_PORT"
scrape_with_ss B "$NS_B" "http://127.0.0.1:$EXP_PORT/metrics" "$EXP_PORT"
M=$IT_TMP/B.prom
assert_metric "$M" 'tcp_health_scrape_collector_success{collector="tcp"}' 1
c 1202 server listen 1
c 1202 server established 2
c 1202 client established 2
c other server listen 3       # the listeners on 2001, 2002, 2003
c other server established 3  # the server ends on 2001
c other client established 3  # the client ends to 2001
assert_metric "$M" 'tcp_health_exporter_ports_folded_sockets{role="server"}' 6
assert_metric "$M" 'tcp_health_exporter_ports_folded_sockets{role="client"}' 3
assert_no_series "$M" 'port="200[123]"' 'no series labelled with a folded port (2001-2003)'
for role in server client; do
	assert_eq "distinct port values of role $role (2 slots + other)" "1202 $EXP_PORT other" \
		"$(grep "^tcp_health_connections{.*role=\"$role\"" "$M" | sed 's/.*port="\([^"]*\)".*/\1/' |
			sort -u | tr '\n' ' ' | sed 's/ $//')"
done
assert_metric "$M" 'tcp_health_listener_up{port="1202"}' 1
assert_no_series "$M" '^tcp_health_listener_up\{port="other"\}' 'no listener_up for port="other"'
promtool_check B "$M"
crosscheck B "$NS_B" "$M" "$IT_TMP/B.before" "$IT_TMP/B.after" "$EXP_PORT" "1202,$EXP_PORT" "1202,$EXP_PORT" 2

# ---- B2. stable labels at the cap -------------------------------------------------------
section "B2. --max-ports 2, nothing configured: the same ports keep their labels"
netns_create NS_B2
sockstate_start sockets_b2 "$NS_B2" \
	listen 127.0.0.1 2001 listen 127.0.0.1 2002 listen 127.0.0.1 2003 listen 127.0.0.1 2004 \
	established 127.0.0.1 2001 1 established 127.0.0.1 2002 1 established 127.0.0.1 2003 1 \
	established 127.0.0.1 2004 1
exporter_start exporter_b2 "$NS_B2" "$TCPH_BIN" "127.0.0.1:$EXP_PORT" --max-ports 2
# Which two of the five listening ports (2001-2004 and the exporter's) get labels depends
# on the first dump's order; after that the labelled ports must not change.
server_ports() {
	grep '^tcp_health_connections{.*role="server"' "$1" | sed 's/.*port="\([^"]*\)".*/\1/' |
		sort -u | tr '\n' ' ' | sed 's/ $//'
}
for i in 1 2 3 4 5; do
	scrape "$NS_B2" "http://127.0.0.1:$EXP_PORT/metrics" "$IT_TMP/B2.$i.prom" || die "B2: scrape $i failed"
done
first=$(server_ports "$IT_TMP/B2.1.prom")
assert_eq "B2: server port labels in scrape 1 (two ports and other)" 3 "$(wc -w <<<"$first")"
for i in 2 3 4 5; do
	assert_eq "B2: server port labels in scrape $i as in scrape 1" "$first" "$(server_ports "$IT_TMP/B2.$i.prom")"
done
assert_metric "$IT_TMP/B2.5.prom" 'tcp_health_connections{port="other",role="server",state="listen"}' 3

# ---- C. --client-ports, with this namespace's own ephemeral range -----------------------
section "C. --client-ports labels a remote port inside the namespace's ephemeral range"
netns_create NS_C
# 21000 lies inside this namespace's range but outside the kernel default (32768-60999):
# an exporter that read the range from anywhere but its own namespace would label it.
in_ns "$NS_C" sysctl -q -w net.ipv4.ip_local_port_range="20000 50000" ||
	die "cannot set ip_local_port_range in $NS_C"
EXP_PORT2=9979
sockstate_start sockets_c "$NS_C" listen 127.0.0.1 21000 established 127.0.0.1 21000 2
exporter_start exporter_c1 "$NS_C" "$TCPH_BIN" "127.0.0.1:$EXP_PORT"
exporter_start exporter_c2 "$NS_C" "$TCPH_BIN" "127.0.0.1:$EXP_PORT2" --client-ports 21000
# Each exporter sees the other's sockets too: leave both exporter ports out.
scrape_with_ss C1 "$NS_C" "http://127.0.0.1:$EXP_PORT/metrics" "$EXP_PORT,$EXP_PORT2"
scrape_with_ss C2 "$NS_C" "http://127.0.0.1:$EXP_PORT2/metrics" "$EXP_PORT,$EXP_PORT2"
M=$IT_TMP/C1.prom
# The sysctl collector reads the namespace's own procfs too.
assert_metric "$M" 'tcp_health_sysctl_ip_local_port_range_low' 20000
assert_metric "$M" 'tcp_health_sysctl_ip_local_port_range_high' 50000
c 21000 server listen 1
c 21000 server established 2
c other client established 2 # remote port 21000 is ephemeral here and not listed
assert_no_series "$M" '^tcp_health_connections\{port="21000",role="client"' \
	'without --client-ports: no client series for port 21000'
crosscheck C1 "$NS_C" "$M" "$IT_TMP/C1.before" "$IT_TMP/C1.after" "$EXP_PORT,$EXP_PORT2" "" "" 250
M=$IT_TMP/C2.prom
c 21000 server listen 1
c 21000 server established 2
c 21000 client established 2 # listed in --client-ports
c other client established 0
crosscheck C2 "$NS_C" "$M" "$IT_TMP/C2.before" "$IT_TMP/C2.after" "$EXP_PORT,$EXP_PORT2" "" 21000 250

# ---- D. many sockets --------------------------------------------------------------------
section "D. thousands of sockets: a dump spread over many netlink datagrams"
netns_create NS_D
sockstate_start sockets_d "$NS_D" \
	listen 127.0.0.1 3720 4096 established 127.0.0.1 3720 1500 \
	listen ::1 1720 4096 established ::1 1720 300
exporter_start exporter_d "$NS_D" "$TCPH_BIN" "127.0.0.1:$EXP_PORT"
scrape_with_ss D "$NS_D" "http://127.0.0.1:$EXP_PORT/metrics" "$EXP_PORT"
M=$IT_TMP/D.prom
assert_metric "$M" 'tcp_health_scrape_collector_success{collector="tcp"}' 1
c 3720 server established 1500
c 3720 client established 1500
c 1720 server established 300
c 1720 client established 300
assert_metric "$M" 'tcp_health_exporter_sockets_scanned{family="ipv6"}' 601
crosscheck D "$NS_D" "$M" "$IT_TMP/D.before" "$IT_TMP/D.after" "$EXP_PORT" "" "" 250

it_end
