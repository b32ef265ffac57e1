#!/usr/bin/env bash
# test_one_walk.sh — the scan's one walk of the kernel's TCP tables for both address
# families (TCPDIAG_GETSOCK) equals the two v2 dumps, one per family, on live sockets.
#
# Two namespaces A and B joined by a veth (198.18.0.1-2/24, ULAs fd00:18::1-2/64) each hold
# IPv4 sockets, IPv6 ones on ::1 and on the veth's ULA, and v4-mapped ones (IPv4 clients
# of a dual-stack [::] listener), in LISTEN (port 7000 on four addresses of both families), ESTABLISHED, an accept queue, CLOSE_WAIT,
# FIN_WAIT2, TIME_WAIT, FIN_WAIT1 (FINs to 4200/4201 dropped), SYN_SENT over the veth in
# both families (the peer drops SYNs to 4000 at its prerouting) and SYN_RECV from IPv4 and
# IPv6 clients of a dual-stack listener (a v4-mapped request socket) and of an IPv4 one (the
# handshakes' final ACKs to 4100/4101 dropped).
#
#   A. In each namespace, tests/tools/walk_compare records: family by family, the sorted
#      records of one walk equal those of the v2 dump (every field but expiry, retransmit
#      counts and tcp_info), and tcpagg's aggregates are equal, per family and for both.
#   B. The exporter (--netns=all, one walk) against walk_compare's scan with the exporter's
#      collectors forced to two dumps (every one-walk request refused, so each target goes
#      through the fall-back): the tcp collector's series of A and B are the same lines;
#      dump_requests_per_scan is 1 in the exporter, 2 in the forced scan.
# shellcheck source=tests/integration/lib.sh disable=SC1091
source "$(dirname "$0")/lib.sh"
it_begin nft awk diff

[ -x "$TOOLS/walk_compare" ] || die "'$TOOLS/walk_compare' is not an executable"
# A (host, veth-host, 198.18.0.1) and B (peer, veth-peer, 198.18.0.2), and a ULA on each end.
peer_pair_create
NS_A=$host NS_B=$peer
ip -n "$NS_A" addr add fd00:18::1/64 dev veth-host nodad || die "ULA in A"
ip -n "$NS_B" addr add fd00:18::2/64 dev veth-peer nodad || die "ULA in B"

# nft_rules NS IFACE: SYNs to 4000 arriving on IFACE vanish at prerouting (the peer's
# SYN_SENT); the handshakes' final ACKs to 4100 (our SYN_RECV) and FINs to 4200/4201
# (FIN_WAIT1) vanish on input.
nft_rules() {
	in_ns "$1" nft -f - <<EOF || die "nft rules in $1 failed"
table inet tcph_walk {
	chain prerouting {
		type filter hook prerouting priority -300; policy accept;
		iifname "$2" tcp dport 4000 tcp flags & (syn | ack) == syn drop
	}
	chain input {
		type filter hook input priority 0; policy accept;
		tcp dport { 4100, 4101 } tcp flags & (syn | ack | fin | rst) == ack drop
		tcp dport { 4200, 4201 } tcp flags & fin == fin drop
	}
}
EOF
}
nft_rules "$NS_A" veth-host
nft_rules "$NS_B" veth-peer

# sockets NAME NS OWN4 OWN6 PEER4 PEER6: every state this namespace can hold, SYN_SENT
# towards the peer over the veth.
sockets() {
	local name=$1 ns=$2 own4=$3 own6=$4 peer4=$5 peer6=$6
	sockstate_start "$name" "$ns" \
		listen 127.0.0.1 1202 7 \
		listen 0.0.0.0 3720 16 \
		listen :: 1720 9 \
		listen ::1 1721 5 \
		listen "$own6" 1722 4 \
		listen "$own4" 1723 3 \
		listen 127.0.0.1 7000 listen ::1 7000 listen "$own4" 7000 listen "$own6" 7000 \
		established 127.0.0.1 3720 3 \
		established "$own4" 1723 1 \
		established 127.0.0.1 1720 2 \
		established ::1 1720 1 \
		established ::1 1721 2 \
		established "$own6" 1722 2 \
		closewait 127.0.0.1 1202 \
		closewait ::1 1721 \
		timewait 127.0.0.1 1202 \
		timewait ::1 1721 \
		listen 127.0.0.1 2600 3 pending 127.0.0.1 2600 2 \
		listen ::1 2601 3 pending ::1 2601 1 \
		listen 127.0.0.1 4200 finwait1 127.0.0.1 4200 \
		listen ::1 4201 finwait1 ::1 4201 \
		synsent "$peer4" 4000 \
		synsent "$peer6" 4000 \
		listen :: 4100 16 \
		synrecv 127.0.0.1 4100 \
		synrecv ::1 4100 \
		listen 127.0.0.1 4101 16 \
		synrecv 127.0.0.1 4101
}
sockets sockets_a "$NS_A" 198.18.0.1 fd00:18::1 198.18.0.2 fd00:18::2
sockets sockets_b "$NS_B" 198.18.0.2 fd00:18::2 198.18.0.1 fd00:18::1

# ---- A. records and aggregates, family by family -----------------------------------------
section "A. one walk = the two v2 dumps, records and aggregates, in each namespace"
for ns in "$NS_A" "$NS_B"; do
	out=$IT_TMP/records.$ns
	if in_ns "$ns" "$TOOLS/walk_compare" records >"$out" 2>"$out.err"; then
		ok "$ns: walk_compare records: equal"
	else
		fail "$ns: walk_compare records: $(cat "$out.err")"
	fi
	sed 's/^/     /' "$out"
	for family in ipv4 ipv6; do
		line=$(grep "^$family: " "$out" || true)
		n=$(sed -n 's/.* records=\([0-9]*\) .*/\1/p' <<<"$line")
		# What the scenario made, at least (the v4-mapped ones are IPv6 records).
		want=24
		if [ "${n:-0}" -ge "$want" ]; then
			ok "$ns: $family: $n records (at least $want)"
		else
			fail "$ns: $family: ${n:-no} records, want at least $want"
		fi
		for state in listen established syn_sent syn_recv fin_wait1 fin_wait2 time_wait close_wait; do
			if [[ $line == *"$state:"* ]]; then ok "$ns: $family: $state present"; else fail "$ns: $family: no $state socket"; fi
		done
	done
	mapped=$(sed -n 's/^ipv6: .* mapped=\([0-9]*\) .*/\1/p' "$out")
	if [ "${mapped:-0}" -ge 2 ]; then ok "$ns: $mapped v4-mapped IPv6 records"; else fail "$ns: ${mapped:-no} v4-mapped records"; fi
	for what in ipv4 ipv6 both; do
		assert_contains "$ns: aggregate $what compared" "$out" "aggregate $what: "
	done
done

# ---- B. the exporter's series against a scan forced to two dumps -------------------------
section "B. the exporter (--netns=all, one walk) = its collectors forced to two dumps"
netns_create NS_E
EXP_PORT=$((20000 + RANDOM % 10000)) # inside NS_E: any port
exporter_start exporter "$NS_E" "$TCPH_BIN" "127.0.0.1:$EXP_PORT" --netns=all
scrape "$NS_E" "http://127.0.0.1:$EXP_PORT/metrics" "$IT_TMP/exporter.prom" || die "scrape failed"
"$TOOLS/walk_compare" metrics two-dumps --netns=all >"$IT_TMP/two.prom" 2>"$IT_TMP/two.err" ||
	die "walk_compare metrics two-dumps failed: $(cat "$IT_TMP/two.err")"
"$TOOLS/walk_compare" metrics one-walk --netns=all >"$IT_TMP/one.prom" 2>"$IT_TMP/one.err" ||
	die "walk_compare metrics one-walk failed: $(cat "$IT_TMP/one.err")"

for ns in "$NS_A" "$NS_B"; do
	assert_metric "$IT_TMP/exporter.prom" "tcp_health_exporter_dump_requests_per_scan{netns=\"$ns\"}" 1
	assert_metric "$IT_TMP/one.prom" "tcp_health_exporter_dump_requests_per_scan{netns=\"$ns\"}" 1
	assert_metric "$IT_TMP/two.prom" "tcp_health_exporter_dump_requests_per_scan{netns=\"$ns\"}" 2
done
if grep -q "refused the one-walk socket dump (TCPDIAG_GETSOCK) in netns $NS_A: Invalid argument" "$IT_TMP/two.err"; then
	ok "the forced scan logged the refusal for $NS_A"
else
	fail "no refusal logged for $NS_A: $(head -n 5 "$IT_TMP/two.err")"
fi

# tcp_series FILE: the tcp collector's samples of A and B, without what moves between two
# scans a moment apart (the idle histogram's buckets and sums, the RTT sum, and what the
# retransmit timers of the SYN_SENT and FIN_WAIT1 sockets raise: their back-off, their
# retransmitted and lost segments) and without the owner's process label.
tcp_series() {
	grep -E "^tcp_health_[a-z_]+(_bucket|_count|_sum)?\{[^}]*netns=\"($NS_A|$NS_B)\"" "$1" |
		grep -Ev '^tcp_health_(scrape_|kernel_|sysctl_|keepalive_detection|exporter_dump_requests|exporter_dump_retries|closed_|listener_closes|exporter_events)' |
		grep -Ev '^tcp_health_connection_idle_seconds_(bucket|sum)|^tcp_health_rtt_seconds_sum' |
		grep -Ev '^tcp_health_((retransmitted|lost)_segments|retransmit_backoff_max)' |
		sed -E 's/,process="[^"]*"//'
}
tcp_series "$IT_TMP/exporter.prom" >"$IT_TMP/exporter.tcp"
tcp_series "$IT_TMP/two.prom" >"$IT_TMP/two.tcp"
tcp_series "$IT_TMP/one.prom" >"$IT_TMP/one.tcp"
n=$(wc -l <"$IT_TMP/exporter.tcp")
if [ "$n" -ge 100 ]; then ok "$n tcp series of A and B in the exporter's /metrics"; else fail "only $n tcp series of A and B"; fi
if diff -u "$IT_TMP/two.tcp" "$IT_TMP/exporter.tcp" >"$IT_TMP/diff"; then
	ok "the exporter's one walk = two dumps: $n series equal"
else
	fail "the exporter's series differ from two dumps: $(head -n 30 "$IT_TMP/diff")"
fi
if diff -u "$IT_TMP/two.tcp" "$IT_TMP/one.tcp" >"$IT_TMP/diff1"; then
	ok "walk_compare's one walk = its two dumps: $(wc -l <"$IT_TMP/one.tcp") series equal"
else
	fail "one walk and two dumps differ: $(head -n 30 "$IT_TMP/diff1")"
fi
for ns in "$NS_A" "$NS_B"; do
	for family in ipv4 ipv6; do
		v=$(metric_value "$IT_TMP/exporter.prom" "tcp_health_exporter_sockets_scanned{netns=\"$ns\",family=\"$family\"}")
		if [ "${v:-0}" -ge 24 ]; then ok "$ns: $family sockets scanned: $v"; else fail "$ns: $family sockets scanned: ${v:-none}"; fi
	done
done

it_end
