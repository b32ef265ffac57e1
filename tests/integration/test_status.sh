#!/usr/bin/env bash
# test_status.sh — the status page (/) and /api/v1/status against real sockets, read as a
# browser reads them (Chromium --dump-dom, screenshots) and as scripts do (jq, python3):
#   host (198.18.0.1): the exporter (--netns=self, --listen-ports=7100-7102,7105) and
#       7100  expected, nothing listens: a down tile and TcpHealthListenerDown
#       7101  0.0.0.0, owned by "svc_known" (a copy of sockstate under that name)
#       7102  127.0.0.1 only (svc_known): the loopback-only flag
#       7105  "cw_holder": a connection to itself whose client end shut down: CLOSE_WAIT
#       clients to the peer: 7001 sending data, 7000 keepalive, 7002 idle
#       later 7103, 7104, 7106: python3 listeners whose comm is HTML, each also holding a
#       CLOSE_WAIT connection to itself (so the name is in the worst-connections table too)
#   peer (198.18.0.2): listeners on 7000-7002 that never accept; then it vanishes for
#       7000 and 7001 (nftables drop at the peer's prerouting, as in test_deadpeer.sh)
#   1. tiles and listeners: down, up with its process, loopback only
#   2. the dead peer and CLOSE_WAIT in the worst connections (JSON and page)
#   3. HTTP: content types, HEAD, 404, 405, basic auth
#   1. also: the exporter's own port 19700 marked in the JSON and hidden from the page's
#      per-port table with a one-line note (--web.status.exclude-self, the default); the
#      critical TcpHealthListenerDown in red, the role legend
#   2. also: warnings in yellow (keepalive probes), info in blue (unprotected idle)
#   4. screenshots, 1280x800 and 390x844, kept in build/artifacts/, and 1280x2200 written to
#      docs/status-page.png (README's picture, so it always shows this version): the page
#      then shows the version, a red critical alert, the legend and the hidden-port note
#      (before the HTML-named processes exist, once the dead peer's back-off crosses the
#      alert threshold)
#   5. HTML process names in Chromium's DOM: no injected element, text intact; JSON intact
#   6. one snapshot through /metrics, the JSON and the page agrees number for number
#      (status_check.py agree), the "more signals by port" table and the scan line included
#   7. --netns=NAMES: one JSON entry and one page section per namespace; agreement there;
#      only the exporter's own namespace has its port hidden (the peer listens on the same
#      number, which is not ours)
#   8. --no-web.status.exclude-self: the exporter's port shown on the page, still marked
# shellcheck source=tests/integration/lib.sh disable=SC1091
source "$(dirname "$0")/lib.sh"
it_begin nft jq python3 chromium od

[ -x "$TOOLS/tcpclient" ] || die "'$TOOLS/tcpclient' is not an executable"
[ -x "$TOOLS/bcrypt" ] || die "'$TOOLS/bcrypt' is not an executable"
[ -x "$TOOLS/evconn" ] || die "'$TOOLS/evconn' is not an executable"
PORT=19700       # the exporter under test
AUTH_PORT=19701  # the same with basic auth
NAMES_PORT=19702 # the same with --netns=host,peer
NOEX_PORT=19703  # the same with --no-web.status.exclude-self
DOCS_PNG=$IT_ROOT/docs/status-page.png
VERSION=$(cat "$IT_ROOT/VERSION") || die "cannot read VERSION"
BASE=http://127.0.0.1:$PORT
ARTIFACTS=$IT_ROOT/build/artifacts
# The new views run in the ASan/UBSan build when there is one.
SERVER_BIN=${TCPH_ASAN_BIN:-$TCPH_BIN}

# ---- helpers ------------------------------------------------------------------------------

# The interpreter itself (lib.sh): a version manager's shim costs half a second a call.
status_python
PYTHON=$IT_PYTHON

# jqr FILE FILTER...: jq -r.
jqr() {
	local f=$1
	shift
	jq -r "$@" "$f"
}

# code NS CURL-ARGS...: the HTTP status of one request ("000" when curl failed).
code() {
	local ns=$1
	shift
	in_ns "$ns" curl -s -o /dev/null --max-time 10 -w '%{http_code}' "$@" || true
}

# fetch_views NAME NS PORT: /metrics (which always scans), then /api/v1/status and / at
# once, so all three show the same snapshot (the status views reuse one younger than 5 s):
# $IT_TMP/NAME.prom, .json, .html.
fetch_views() {
	local name=$1 ns=$2 base=http://127.0.0.1:$3
	scrape "$ns" "$base/metrics" "$IT_TMP/$name.prom" || die "$name: GET /metrics failed"
	scrape "$ns" "$base/api/v1/status" "$IT_TMP/$name.json" || die "$name: GET /api/v1/status failed"
	scrape "$ns" "$base/" "$IT_TMP/$name.html" || die "$name: GET / failed"
}

# wait_json DESCRIPTION NS PORT SECONDS JQ-CONDITION: scans (GET /metrics) and reads the
# JSON until the condition holds, at most SECONDS. One ok or one failure.
wait_json() {
	local what=$1 ns=$2 base=http://127.0.0.1:$3 secs=$4 cond=$5 start deadline
	start=$(now_ms)
	deadline=$((start + secs * 1000))
	while :; do
		if scrape "$ns" "$base/metrics" "$IT_TMP/wait.prom" &&
			scrape "$ns" "$base/api/v1/status" "$IT_TMP/wait.json" &&
			jq -e "$cond" "$IT_TMP/wait.json" >/dev/null 2>&1; then
			ok "$what (after $(($(now_ms) - start)) ms)"
			return 0
		fi
		if [ "$(now_ms)" -gt "$deadline" ]; then
			fail "$what: not within $secs s"
			return 0
		fi
		sleep 0.25
	done
}

# browser NS ARGS...: headless Chromium inside NS (so that 127.0.0.1 is the exporter's),
# bounded; its dbus complaints go to chromium.log.
browser() {
	local ns=$1
	shift
	timeout -k 5 60 ip netns exec "$ns" chromium --headless --no-sandbox --disable-gpu \
		--user-data-dir="$IT_TMP/chromium" --no-first-run "$@" 2>>"$IT_TMP/chromium.log"
}

# started NAME NS BIN ARGS...: a tool under a name of our own, waited for (its "ready").
started() {
	local name=$1 ns=$2
	shift 2
	bg_start "$name" "$ns" "$@"
	bg_wait_ready "$name" 10
}

# backoff: the retransmission back-off of the connection to 198.18.0.2:7001 (ss -tio),
# empty when there is none.
backoff() {
	in_ns "$host" ss -tinoH dst 198.18.0.2 dport = :7001 | grep -o 'backoff:[0-9]*' | head -n 1 |
		cut -d: -f2 || true
}

# wait_backoff MIN SECONDS: bounded wait until backoff >= MIN; a set-up failure if not.
wait_backoff() {
	local deadline=$(($(now_ms) + $2 * 1000))
	until [ "$(backoff)" -ge "$1" ] 2>/dev/null; do
		[ "$(now_ms)" -lt "$deadline" ] ||
			die "no retransmission back-off >= $1 to 198.18.0.2:7001 within $2 s (ss: $(in_ns "$host" ss -tinoH dst 198.18.0.2 | tr '\n' ' '))"
		sleep 0.1
	done
}

# ---- set-up -------------------------------------------------------------------------------

peer_pair_create
sockstate_start peer_listeners "$peer" listen 0.0.0.0 7000 128 listen 0.0.0.0 7001 128 \
	listen 0.0.0.0 7002 128
cp "$TOOLS/sockstate" "$IT_TMP/svc_known"
cp "$TOOLS/sockstate" "$IT_TMP/cw_holder"
started svc "$host" "$IT_TMP/svc_known" --timeout 300 listen 0.0.0.0 7101 listen 127.0.0.1 7102
started cw "$host" "$IT_TMP/cw_holder" --timeout 300 listen 127.0.0.1 7105 closewait 127.0.0.1 7105
tcpclient_start sender "$host" --timeout 300 --send-every 200 198.18.0.2 7001
tcpclient_start keepalive "$host" --timeout 300 --keepalive 1,1,100 198.18.0.2 7000
tcpclient_start idle "$host" --timeout 300 198.18.0.2 7002
exporter_start exporter "$host" "$SERVER_BIN" "127.0.0.1:$PORT" --netns=self \
	--listen-ports=7100-7102,7105 --idle-threshold=1s
# Three connects refused by the peer (nothing listens on 7010): rows of "What happened
# since" (tcp.events) on every page below, README's picture included.
refused=$(in_ns "$host" "$TOOLS/evconn" connect 198.18.0.2 7010 3) || die "evconn connect failed"
[ "$refused" = "connect ok=0 refused=3 timedout=0 other=0" ] || die "evconn: $refused"

# ---- 1 ------------------------------------------------------------------------------------
section "1. expected services: down, up with its process, loopback only"
fetch_views s1 "$host" "$PORT"
J=$IT_TMP/s1.json
H=$IT_TMP/s1.html
L='.namespaces[0].tcp.listeners[]'
assert_eq "JSON schema" tcp_health_exporter/status/v1 "$(jqr "$J" .schema)"
assert_eq "scan.netns_mode" self "$(jqr "$J" .scan.netns_mode)"
assert_eq ".netns in self mode" null "$(jq -c .netns "$J")"
assert_eq "namespaces[] in self mode" 1 "$(jq '.namespaces | length' "$J")"
assert_eq "the page and the JSON show the same scan" "$(jqr "$J" .scan.number)" \
	"$(q "$H" 'header#top' attr:data-scan)"

assert_eq "7100 (nothing listens): tile data-state" down "$(q "$H" 'div.tile[data-port=7100]' attr:data-state)"
assert_eq "7100: listeners[] up, expected, sockets" "false true 0" \
	"$(jqr "$J" "$L | select(.port == 7100) | \"\\(.up) \\(.expected) \\(.sockets)\"")"
assert_eq "7100: TcpHealthListenerDown in the namespace's alerts[]" 1 \
	"$(jq '[.namespaces[0].alerts[] | select(.alert == "TcpHealthListenerDown" and .port == 7100)] | length' "$J")"
assert_eq "TcpHealthListenerDown only for 7100" 7100 \
	"$(jqr "$J" '[.namespaces[0].alerts[] | select(.alert == "TcpHealthListenerDown") | .port] | sort | map(tostring) | join(" ")')"
assert_eq "7100: the page's alert list names it" 1 \
	"$(q "$H" 'li[data-alert=TcpHealthListenerDown]' text | grep -c 'port 7100$' || true)"
assert_eq "7100: the listeners row is marked down" DOWN "$(q "$H" 'table.listeners tr[data-port=7100] b' text)"
assert_metric "$IT_TMP/s1.prom" 'tcp_health_listener_up{port="7100"}' 0
assert_eq "7100: TcpHealthListenerDown is critical in the JSON" critical \
	"$(jqr "$J" '.namespaces[0].alerts[] | select(.alert == "TcpHealthListenerDown") | .severity')"
assert_eq "7100: the alert list shows it red (data-severity, class)" "critical critical" \
	"$(q "$H" 'li[data-alert=TcpHealthListenerDown]' attr:data-severity) $(q "$H" 'li[data-alert=TcpHealthListenerDown]' attr:class)"
assert_eq "7100: in the red banner" 1 "$(q "$H" 'div.banner.bad li[data-alert=TcpHealthListenerDown]' count)"
assert_eq "7100: the tile is red (critical)" "critical" "$(q "$H" 'div.tile[data-port=7100]' attr:data-severity)"
assert_eq "7100: the listeners row's state cell is red" "alert critical" \
	"$(q "$H" 'table.listeners tr[data-port=7100] td[data-alert=TcpHealthListenerDown]' attr:class)"
assert_contains "the page's style colours critical cells red, warnings yellow" "$H" \
	'td.alert.critical{background:#ffcdd2;color:#8e0000}'
assert_contains "the page's style colours warnings yellow" "$H" 'td.alert.warning{background:#fff3c4;color:#6d4c00}'
assert_eq "the role legend, once" 1 "$(q "$H" 'p#role-legend' count)"
assert_eq "the role legend explains server and client" \
	"Role — server: the local port is a listening or expected port; client: the remote service port of an outgoing connection." \
	"$(q "$H" 'p#role-legend' text)"

# --web.status.exclude-self (the default): the exporter's own port, whose scrape
# connections would fill the table, is marked in the JSON and left out of the page's.
assert_eq "exporter.web_listen_ports, status_exclude_self" "[$PORT] true" \
	"$(jq -c '.exporter.web_listen_ports' "$J") $(jqr "$J" .exporter.status_exclude_self)"
assert_eq "ports[]: the exporter's port marked exporter_port (server row)" true \
	"$(jqr "$J" ".namespaces[0].tcp.ports[] | select(.role == \"server\" and .port == $PORT) | .exporter_port")"
assert_eq "ports[]: only rows of port $PORT are marked" "$PORT" \
	"$(jqr "$J" '[.namespaces[0].tcp.ports[] | select(.exporter_port) | .port] | unique | map(tostring) | join(" ")')"
assert_eq "ports[]: 7101 is not marked" false \
	"$(jqr "$J" '.namespaces[0].tcp.ports[] | select(.role == "server" and .port == 7101) | .exporter_port')"
assert_eq "listeners[]: $PORT marked exporter_port" true "$(jqr "$J" "$L | select(.port == $PORT) | .exporter_port")"
assert_eq "the page: no table.ports row for $PORT" 0 "$(q "$H" "table.ports tr[data-port=$PORT]" count)"
assert_eq "the page: a table.ports row for 7101" 1 "$(q "$H" 'table.ports tr[data-role=server][data-port=7101]' count)"
assert_eq "the page: one line says port $PORT is hidden" "$PORT" "$(q "$H" 'p.self-hidden' attr:data-ports)"
if q "$H" 'p.self-hidden' text | grep -q -- "port $PORT, this exporter's own.*--no-web.status.exclude-self shows them"; then
	ok "the note names the port and the flag that shows it: $(q "$H" 'p.self-hidden' text)"
else
	fail "the note: '$(q "$H" 'p.self-hidden' text)'"
fi
assert_eq "the page: $PORT still in the listening ports table" 1 "$(q "$H" "table.listeners tr[data-port=$PORT]" count)"

assert_eq "7101: tile data-state" up "$(q "$H" 'div.tile[data-port=7101]' attr:data-state)"
assert_eq "7101: tile span.proc" svc_known "$(q "$H" 'div.tile[data-port=7101] span.proc' text)"
assert_eq "7101: listeners row span.proc" svc_known "$(q "$H" 'table.listeners tr[data-port=7101] span.proc' text)"
assert_eq "7101: tile span.addr" 0.0.0.0 "$(q "$H" 'div.tile[data-port=7101] span.addr' text)"
assert_eq "7101: listeners[].addresses[].process" svc_known \
	"$(jqr "$J" "$L | select(.port == 7101) | .addresses[].process")"
assert_eq "7101 (0.0.0.0): loopback_only" false "$(jqr "$J" "$L | select(.port == 7101) | .loopback_only")"
assert_eq "7101: no loopback flag on its tile" 0 "$(q "$H" 'div.tile[data-port=7101] span.flag.loopback' count)"

assert_eq "7102 (127.0.0.1): tile data-state" up "$(q "$H" 'div.tile[data-port=7102]' attr:data-state)"
assert_eq "7102: span.flag.loopback on its tile" 1 "$(q "$H" 'div.tile[data-port=7102] span.flag.loopback' count)"
assert_eq "7102: span.flag.loopback on its listeners row" 1 \
	"$(q "$H" 'table.listeners tr[data-port=7102] span.flag.loopback' count)"
assert_eq "7102: loopback_only, address, loopback, process" "true 127.0.0.1 true svc_known" \
	"$(jqr "$J" "$L | select(.port == 7102) | \"\\(.loopback_only) \\(.addresses[0].address) \\(.addresses[0].loopback) \\(.addresses[0].process)\"")"
assert_eq "only 7102, 7105 and the exporter's own port are flagged loopback only on the page" "7102 7105 $PORT" \
	"$(q "$H" 'table.listeners tr[data-port]' attr:data-port | while read -r p; do
		[ "$(q "$H" "table.listeners tr[data-port=$p] span.flag.loopback" count)" = 0 ] || printf '%s ' "$p"
	done | sed 's/ $//')"

# ---- 2 ------------------------------------------------------------------------------------
section "2. a dead peer: retransmitting, probing, idle; CLOSE_WAIT with its owner"
peer_blackhole 7001
peer_blackhole 7000
wait_backoff 2 15
ok "ss -tio: the connection to 198.18.0.2:7001 has retransmitted (backoff $(backoff))"
wait_json "keepalive probes unanswered on client 7000, unprotected idle on client 7002" "$host" "$PORT" 10 \
	'[.namespaces[0].tcp.ports[] | select(.role == "client" and ((.port == 7000 and .keepalive_probes_outstanding >= 1) or (.port == 7002 and .unprotected_idle == 1)))] | length == 2'
sender_port=$(in_ns "$host" ss -tnH dst 198.18.0.2 dport = :7001 | awk '{ n = split($4, a, ":"); print a[n] }')
# (With a state filter ss leaves out its State column: the local address is then $3.)
cw_client_port=$(in_ns "$host" ss -tnH state fin-wait-2 dport = :7105 | awk '{ n = split($3, a, ":"); print a[n] }')
if [ -z "$sender_port" ] || [ -z "$cw_client_port" ]; then
	die "ss did not show the sender ('$sender_port') or the FIN_WAIT2 end ('$cw_client_port')"
fi
fetch_views s2 "$host" "$PORT"
J=$IT_TMP/s2.json
H=$IT_TMP/s2.html
W='.namespaces[0].tcp.worst_connections'
assert_eq "retransmitting: the connection to 198.18.0.2:7001 listed once" 1 \
	"$(jq "[$W.retransmitting.connections[] | select(.remote_address == \"198.18.0.2\" and .remote_port == 7001)] | length" "$J")"
assert_eq "retransmitting: its local port, state, role, port, process" \
	"198.18.0.1:$sender_port established client 7001 tcpclient" \
	"$(jqr "$J" "$W.retransmitting.connections[] | select(.remote_port == 7001) | \"\\(.local_address):\\(.local_port) \\(.state) \\(.role) \\(.port) \\(.process)\"")"
value=$(jqr "$J" "$W.retransmitting.connections[] | select(.remote_port == 7001) | .value")
if [ "${value:-0}" -ge 2 ] 2>/dev/null; then ok "retransmitting: value (back-off) $value >= 2"; else fail "retransmitting: value '$value', want >= 2"; fi
assert_eq "retransmitting: unit" retransmissions "$(jqr "$J" "$W.retransmitting.unit")"
assert_eq "ports[] client 7001: retransmitting" 1 \
	"$(jqr "$J" '.namespaces[0].tcp.ports[] | select(.role == "client" and .port == 7001) | .retransmitting')"
if q "$H" 'table.worst[data-kind=retransmitting] td.remote' text | grep -qFx "198.18.0.2:7001"; then
	ok "the page: table.worst[data-kind=retransmitting] has td.remote 198.18.0.2:7001"
else
	fail "the page: no td.remote 198.18.0.2:7001 in the retransmitting table: $(q "$H" 'table.worst[data-kind=retransmitting] td.remote' text | tr '\n' ' ')"
fi
assert_eq "the page: that row (local, remote, state, process)" \
	"198.18.0.1:$sender_port 198.18.0.2:7001 established tcpclient" \
	"$(q "$H" 'table.worst[data-kind=retransmitting] tr' cells | awk -F'\t' '$2 == "198.18.0.2:7001" { print $1, $2, $3, $7 }')"

assert_eq "close_wait: cw_holder's connection 127.0.0.1:7105 <- 127.0.0.1:$cw_client_port" \
	"close_wait server 7105 cw_holder" \
	"$(jqr "$J" "$W.close_wait.connections[] | select(.local_port == 7105 and .remote_port == $cw_client_port and .remote_address == \"127.0.0.1\") | \"\\(.state) \\(.role) \\(.port) \\(.process)\"")"
assert_eq "the page: its row in table.worst[data-kind=close_wait] (remote, state, process)" \
	"127.0.0.1:$cw_client_port close_wait cw_holder" \
	"$(q "$H" 'table.worst[data-kind=close_wait] tr' cells | awk -F'\t' -v r="127.0.0.1:$cw_client_port" '$2 == r { print $2, $3, $7 }')"
assert_eq "keepalive_unanswered: the connection to 198.18.0.2:7000" "1 tcpclient" \
	"$(jqr "$J" "[$W.keepalive_unanswered.connections[] | select(.remote_address == \"198.18.0.2\" and .remote_port == 7000)] | \"\\(length) \\(.[0].process)\"")"
assert_eq "unprotected_idle: the connection to 198.18.0.2:7002" 1 \
	"$(jq "[$W.unprotected_idle.connections[] | select(.remote_address == \"198.18.0.2\" and .remote_port == 7002)] | length" "$J")"
assert_eq "the page: unprotected idle cell of client 7002 highlighted" TcpHealthUnprotectedIdleConnections \
	"$(q "$H" 'table.ports tr[data-role=client][data-port=7002] td[data-alert]' attr:data-alert)"
assert_eq "the page: keepalive probes cell of client 7000 highlighted" TcpHealthKeepaliveProbesUnanswered \
	"$(q "$H" 'table.ports tr[data-role=client][data-port=7000] td[data-alert]' attr:data-alert)"
assert_eq "the page: that warning is yellow (class)" "alert warning" \
	"$(q "$H" 'table.ports tr[data-role=client][data-port=7000] td[data-alert]' attr:class)"
assert_eq "the page: the alert list shows the warning yellow" "warning warning" \
	"$(q "$H" 'li[data-alert=TcpHealthKeepaliveProbesUnanswered]' attr:data-severity | head -n 1) $(q "$H" 'li[data-alert=TcpHealthKeepaliveProbesUnanswered]' attr:class | head -n 1)"
assert_eq "the page: the unprotected idle cell is info (blue)" "alert info" \
	"$(q "$H" 'table.ports tr[data-role=client][data-port=7002] td[data-alert]' attr:class)"
assert_eq "JSON: the rules' severities in thresholds[]" "warning info" \
	"$(jqr "$J" '[.thresholds[] | select(.name == "keepalive_probes_outstanding" or .name == "unprotected_idle_connections") | .severity] | join(" ")')"

# ---- 3 ------------------------------------------------------------------------------------
section "3. HTTP: content types, HEAD, 404, 405, basic auth"
ctype() { in_ns "$host" curl -s -o /dev/null --max-time 10 -w '%{content_type}' "$@" || true; }
assert_eq "/: Content-Type" "text/html; charset=utf-8" "$(ctype "$BASE/")"
assert_eq "/api/v1/status: Content-Type" application/json "$(ctype "$BASE/api/v1/status")"
in_ns "$host" curl -s -D "$IT_TMP/api.hdr" -o /dev/null "$BASE/api/v1/status" || true
assert_contains "/api/v1/status: Cache-Control: no-store" "$IT_TMP/api.hdr" "Cache-Control: no-store"
in_ns "$host" curl -s -D "$IT_TMP/page.hdr" -o /dev/null "$BASE/" || true
assert_contains "/: X-Content-Type-Options: nosniff" "$IT_TMP/page.hdr" "X-Content-Type-Options: nosniff"
assert_contains "/: a Content-Security-Policy that allows no script but its own, by hash" "$IT_TMP/page.hdr" \
	"Content-Security-Policy: default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-"
assert_eq "HEAD /" 200 "$(code "$host" -I "$BASE/")"
assert_eq "HEAD /: Content-Type" "text/html; charset=utf-8" "$(ctype -I "$BASE/")"
assert_eq "HEAD /api/v1/status" 200 "$(code "$host" -I "$BASE/api/v1/status")"
# curl never reads a body after HEAD: ask by hand (HTTP/1.0, so the server closes after
# the response); everything after the blank line would be body.
in_ns "$host" timeout 10 bash -c "exec 3<>/dev/tcp/127.0.0.1/$PORT &&
	printf 'HEAD / HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3 && cat <&3" >"$IT_TMP/head.raw" || true
assert_eq "raw HEAD /: status, bytes after the header block" "200 0" \
	"$(awk 'NR == 1 { code = $2 } body { n += length($0) + 1 } /^\r?$/ && !body { body = 1 } END { print code, n + 0 }' "$IT_TMP/head.raw")"
assert_eq "/api/v1/nope" 404 "$(code "$host" "$BASE/api/v1/nope")"
assert_eq "/api/v1/status/ (trailing slash)" 404 "$(code "$host" "$BASE/api/v1/status/")"
assert_eq "POST /" 405 "$(code "$host" -X POST "$BASE/")"

HASH=$("$TOOLS/bcrypt" s3cret) || die "cannot make a bcrypt hash"
printf 'basic_auth_users:\n  prom: %s\n' "'$HASH'" >"$IT_TMP/web.yml"
exporter_start auth "$host" "$SERVER_BIN" "127.0.0.1:$AUTH_PORT" --web.config.file="$IT_TMP/web.yml"
A=http://127.0.0.1:$AUTH_PORT
assert_eq "auth: / with credentials" 200 "$(code "$host" -u prom:s3cret "$A/")"
assert_eq "auth: /api/v1/status with credentials" 200 "$(code "$host" -u prom:s3cret "$A/api/v1/status")"
assert_eq "auth: HEAD / with credentials" 200 "$(code "$host" -I -u prom:s3cret "$A/")"
assert_eq "auth: /api/v1/nope with credentials" 404 "$(code "$host" -u prom:s3cret "$A/api/v1/nope")"
assert_eq "auth: / without credentials" 401 "$(code "$host" "$A/")"
assert_eq "auth: /api/v1/status without credentials" 401 "$(code "$host" "$A/api/v1/status")"
assert_eq "auth: HEAD / without credentials" 401 "$(code "$host" -I "$A/")"
in_ns "$host" curl -s -o "$IT_TMP/auth401.body" "$A/api/v1/status" || true
assert_not_contains "auth: the 401 body does not carry the status" "$IT_TMP/auth401.body" '"schema"'
assert_eq "auth: the remembered password still works" 200 "$(code "$host" -u prom:s3cret "$A/api/v1/status")"
stop_clean auth

# ---- 4 ------------------------------------------------------------------------------------
section "4. screenshots (build/artifacts)"
# With a back-off of 5 the dead peer crosses TcpHealthRetransmittingToDeadPeer's threshold:
# the picture then shows every kind of highlighted cell. A scan just before, so that the
# page shows it (the page reuses a snapshot younger than 5 s).
wait_backoff 5 20
mkdir -p "$ARTIFACTS"
# 1280x2200: the whole page (every section), README's picture: written to
# docs/status-page.png on every run, so that it shows the current version. What it shows is
# checked in the DOM Chromium renders from the same snapshot (the page reuses one younger
# than 5 s, so the screenshot and the dump below see one scan).
for size in 1280x800 390x844 1280x2200; do
	png=$ARTIFACTS/status-$size.png
	rm -f "$png"
	scrape "$host" "$BASE/metrics" "$IT_TMP/shot.prom" || die "scrape failed"
	browser "$host" --hide-scrollbars --window-size="${size/x/,}" --screenshot="$png" "$BASE/" >/dev/null ||
		fail "chromium --screenshot at $size exited with $?"
	if [ "$size" = 1280x2200 ]; then
		browser "$host" --dump-dom "$BASE/" >"$IT_TMP/shot-dom.html" || fail "chromium --dump-dom exited with $?"
		cp "$png" "$DOCS_PNG" || fail "cannot write $DOCS_PNG"
	fi
	bytes=$(stat -c %s "$png" 2>/dev/null || echo 0)
	magic=$(od -An -tx1 -N8 "$png" 2>/dev/null | tr -d ' \n')
	if [ "$magic" = 89504e470d0a1a0a ] && [ "$bytes" -gt 10240 ]; then
		ok "screenshot $size: $png is a PNG of $bytes bytes"
	else
		fail "screenshot $size: $png: magic '$magic', $bytes bytes"
	fi
done

S=$IT_TMP/shot-dom.html
if q "$S" 'header#top p.meta' text | grep -qF "tcp_health_exporter $VERSION"; then
	ok "README's picture: the page shows tcp_health_exporter $VERSION"
else
	fail "README's picture: the header does not show version $VERSION: $(q "$S" 'header#top p.meta' text)"
fi
assert_eq "README's picture: a red critical alert (TcpHealthListenerDown on 7100)" "critical 7100" \
	"$(q "$S" 'div.banner.bad li[data-alert=TcpHealthListenerDown]' attr:data-severity) $(q "$S" 'div.tile.critical' attr:data-port)"
assert_eq "README's picture: the role legend" 1 "$(q "$S" 'p#role-legend' count)"
assert_eq "README's picture: What happened since, with the 3 refused connects to 198.18.0.2:7010" \
	"198.18.0.2:7010 198.18.0.2:7010 198.18.0.2:7010" \
	"$(q "$S" 'section#events tr[data-outcome=connect_refused][data-port=7010] td.remote' text | tr '\n' ' ' | sed 's/ $//')"
assert_eq "README's picture: the hidden-port note" "$PORT" "$(q "$S" 'p.self-hidden' attr:data-ports)"
assert_eq "README's picture: the scan line (sockets read, folded, dump retries, dump requests)" 6 "$(q "$S" 'p.scan span[data-key]' count)"
# The dead peer in the signals table (folded on the picture): the retransmit timer and
# retransmitted segments of the client row 7001, as the JSON has them (agreement: section 6).
R7001='table.signals tr[data-role=client][data-port=7001]'
retx=$(q "$S" "$R7001 td[data-key=timers.retransmit]" text)
segs=$(q "$S" "$R7001 td[data-key=retransmitted_segments]" text)
if [ "${retx:-0}" -ge 1 ] && [ "${segs:-0}" -ge 1 ]; then
	ok "README's picture: table.signals shows the dead peer's client row 7001: retransmit timer $retx, $segs segments retransmitted"
else
	fail "README's picture: table.signals client 7001: retransmit timer '$retx', segments retransmitted '$segs'"
fi
assert_eq "README's picture: $DOCS_PNG is the 1280x2200 screenshot" "$(cksum <"$ARTIFACTS/status-1280x2200.png")" \
	"$(cksum <"$DOCS_PNG" 2>/dev/null)"

# ---- 5 ------------------------------------------------------------------------------------
section "5. process names that are HTML"
# comm holds 15 bytes: the kernel cuts '<script>alert(1)</script>' to '<script>alert(1'.
# That truncated form is what the exporter reads and what is asserted below.
XSS_WANTED='<script>alert(1)</script>'
XSS_SCRIPT='<script>alert(1'
XSS_SVG='"><svg onload=1'
XSS_B='<b>x</b>&amp;'
# The name is set before any socket exists (exec resets comm, so it cannot be set from
# outside beforehand). A listener, and a connection to itself whose client end shuts
# down: the accepted end stays in CLOSE_WAIT, listed under the name in the worst table.
LISTENER_PY='
import signal, socket, sys, time
with open("/proc/self/comm", "w") as f:
    f.write(sys.argv[1])
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[2])))
s.listen(8)
c = socket.create_connection(("127.0.0.1", int(sys.argv[2])))
a, _ = s.accept()
c.shutdown(socket.SHUT_WR)
signal.signal(signal.SIGTERM, lambda *x: sys.exit(0))
print("ready", flush=True)
time.sleep(300)
'
started xss_script "$host" "$PYTHON" -c "$LISTENER_PY" "$XSS_WANTED" 7103
started xss_svg "$host" "$PYTHON" -c "$LISTENER_PY" "$XSS_SVG" 7104
started xss_b "$host" "$PYTHON" -c "$LISTENER_PY" "$XSS_B" 7106
for pair in "xss_script:$XSS_SCRIPT" "xss_svg:$XSS_SVG" "xss_b:$XSS_B"; do
	comm=$(tr -d '\n' <"/proc/$(bg_pid "${pair%%:*}")/comm")
	[ "$comm" = "${pair#*:}" ] || die "${pair%%:*}: comm is '$comm', not '${pair#*:}'"
done
# The owners' walk is bounded per scan and resumed: scan until all three are resolved.
for _ in 1 2 3 4 5 6 7 8 9 10; do
	scrape "$host" "$BASE/metrics" "$IT_TMP/xss.prom" || die "scrape failed"
	[ "$(grep -c '^tcp_health_listener_info{port="710[346]",.*,process=' "$IT_TMP/xss.prom")" = 3 ] && break
	sleep 0.2
done
browser "$host" --dump-dom "$BASE/" >"$IT_TMP/dom.html" || fail "chromium --dump-dom exited with $?"
scrape "$host" "$BASE/api/v1/status" "$IT_TMP/xss.json" || die "GET /api/v1/status failed"
scrape "$host" "$BASE/" "$IT_TMP/xss.html" || die "GET / failed"
D=$IT_TMP/dom.html
J=$IT_TMP/xss.json
[ -n "$(q "$D" 'header#top' attr:data-scan)" ] || die "Chromium's DOM is not the status page: $(head -c 300 "$D")"
assert_eq "the DOM has one script element (the page's own)" 1 "$(q "$D" script count)"
assert_eq "the page's own script is the age updater" 1 "$(q "$D" script text | grep -c "getElementById('age')" || true)"
# It ran under the Content-Security-Policy (its hash matches): the age reads "N s ago".
if q "$D" 'span#age' text | grep -Eq '^[0-9]+ s ago$'; then
	ok "the page's script ran under its Content-Security-Policy ($(q "$D" 'span#age' text))"
else
	fail "the page's script did not run under its CSP: #age reads '$(q "$D" 'span#age' text)'"
fi
assert_eq "no svg element in the DOM" 0 "$(q "$D" svg count)"
assert_eq "every b element in the DOM is the page's own DOWN" "" "$(q "$D" b text | grep -vx DOWN || true)"
assert_eq "no element in the DOM carries an on* attribute" 0 "$(q "$D" '*' onattrs)"
assert_eq "no element inside a span.proc" 0 "$(q "$D" 'span.proc *' count)"
if jq -e . "$J" >/dev/null; then ok "the JSON parses with jq"; else fail "the JSON does not parse with jq"; fi
for pair in "7103:$XSS_SCRIPT" "7104:$XSS_SVG" "7106:$XSS_B"; do
	port=${pair%%:*}
	name=${pair#*:}
	assert_eq "$port: listeners row span.proc text" "$name" \
		"$(q "$D" "table.listeners tr[data-port=$port] span.proc" text)"
	assert_eq "$port: CLOSE_WAIT row's process (worst table)" "$name" \
		"$(q "$D" 'table.worst[data-kind=close_wait] tr' cells | awk -F'\t' -v l="127.0.0.1:$port" '$1 == l { print $7 }')"
	assert_eq "$port: JSON listeners[].addresses[].process" "$name" \
		"$(jqr "$J" ".namespaces[0].tcp.listeners[] | select(.port == $port) | .addresses[].process")"
	assert_eq "$port: JSON close_wait connection's process" "$name" \
		"$(jqr "$J" ".namespaces[0].tcp.worst_connections.close_wait.connections[] | select(.local_port == $port) | .process")"
done
assert_contains "the served HTML escapes the name" "$IT_TMP/xss.html" \
	'<span class="proc">&lt;script&gt;alert(1</span>'
assert_contains "the served HTML escapes quotes" "$IT_TMP/xss.html" \
	'<span class="proc">&quot;&gt;&lt;svg onload=1</span>'
assert_contains "the served HTML escapes the ampersand" "$IT_TMP/xss.html" \
	'<span class="proc">&lt;b&gt;x&lt;/b&gt;&amp;amp;</span>'
assert_not_contains "the served HTML has no raw <svg" "$IT_TMP/xss.html" '<svg'
# (Not assert_metric: awk -v would eat the backslash of the escaped quote.)
assert_contains "the metrics escape the quote in the process label" "$IT_TMP/xss.prom" \
	'tcp_health_listener_info{port="7104",address="127.0.0.1",family="ipv4",process="\"><svg onload=1"} 1'

# ---- 6 ------------------------------------------------------------------------------------
section "6. one snapshot: /metrics, /api/v1/status and / agree"
fetch_views agree "$host" "$PORT"
pycheck agree "$IT_TMP/agree.prom" "$IT_TMP/agree.json" "$IT_TMP/agree.html"
# Not vacuous: the dead peer is past the alert threshold by now (back-off >= 5, section 4).
assert_eq "JSON: TcpHealthRetransmittingToDeadPeer on client 7001" 1 \
	"$(jq '[.namespaces[0].alerts[] | select(.alert == "TcpHealthRetransmittingToDeadPeer" and .port == 7001 and .value >= 5)] | length' "$IT_TMP/agree.json")"
assert_eq "the page: client 7001's retransmitting and back-off cells highlighted" \
	"TcpHealthRetransmittingToDeadPeer TcpHealthRetransmittingToDeadPeer" \
	"$(q "$IT_TMP/agree.html" 'table.ports tr[data-role=client][data-port=7001] td[data-alert]' attr:data-alert | tr '\n' ' ' | sed 's/ $//')"

# ---- 7 ------------------------------------------------------------------------------------
section "7. --netns=NAMES: one entry and one section per namespace"
# The peer listens on the exporter's port number too: that one is not the exporter's.
sockstate_start peer_same_port "$peer" listen 0.0.0.0 "$NAMES_PORT" 16
exporter_start names "$host" "$SERVER_BIN" "127.0.0.1:$NAMES_PORT" "--netns=$host,$peer" --listen-ports=7101 \
	--web.status.exclude-self
fetch_views names "$host" "$NAMES_PORT"
J=$IT_TMP/names.json
H=$IT_TMP/names.html
want=$(printf '%s\n' "$host" "$peer" | sort | tr '\n' ' ')
assert_eq "scan.netns_mode" names "$(jqr "$J" .scan.netns_mode)"
assert_eq "namespaces[].netns" "$want" "$(jqr "$J" '.namespaces[].netns' | sort | tr '\n' ' ')"
assert_eq "the page's details.ns[data-netns]" "$want" "$(q "$H" 'details.ns' attr:data-netns | sort | tr '\n' ' ')"
assert_eq "netns.found, netns.scanned" "2 2" "$(jqr "$J" '"\(.netns.found) \(.netns.scanned)"')"
# shellcheck disable=SC2016 # $ns is jq's
assert_eq "peer: its listeners" "7000 7001 7002 7101 $NAMES_PORT" \
	"$(jqr "$J" --arg ns "$peer" '[.namespaces[] | select(.netns == $ns) | .tcp.listeners[].port] | sort | map(tostring) | join(" ")')"
assert_eq "peer: 7101 expected and down (tile)" down "$(q "$H" "details.ns[data-netns=$peer] div.tile[data-port=7101]" attr:data-state)"
assert_eq "host: 7101 up (tile), its process" "up svc_known" \
	"$(q "$H" "details.ns[data-netns=$host] div.tile[data-port=7101]" attr:data-state) $(q "$H" "details.ns[data-netns=$host] div.tile[data-port=7101] span.proc" text)"
assert_eq "host: the retransmitting connection in its section" 1 \
	"$(q "$H" "details.ns[data-netns=$host] table.worst[data-kind=retransmitting] td.remote" text | grep -cFx 198.18.0.2:7001 || true)"
# shellcheck disable=SC2016 # $ns is jq's
assert_eq "host: its $NAMES_PORT (the exporter's) marked, the peer's not" "true false" \
	"$(jqr "$J" --arg h "$host" --arg p "$peer" "[(.namespaces[] | select(.netns == \$h) | .tcp.ports[] | select(.role == \"server\" and .port == $NAMES_PORT) | .exporter_port), (.namespaces[] | select(.netns == \$p) | .tcp.ports[] | select(.role == \"server\" and .port == $NAMES_PORT) | .exporter_port)] | map(tostring) | join(\" \")")"
assert_eq "host: $NAMES_PORT hidden from its table, with the note" "0 $NAMES_PORT" \
	"$(q "$H" "details.ns[data-netns=$host] table.ports tr[data-port=$NAMES_PORT]" count) $(q "$H" "details.ns[data-netns=$host] p.self-hidden" attr:data-ports)"
assert_eq "peer: its own $NAMES_PORT shown, no note" "1 0" \
	"$(q "$H" "details.ns[data-netns=$peer] table.ports tr[data-role=server][data-port=$NAMES_PORT]" count) $(q "$H" "details.ns[data-netns=$peer] p.self-hidden" count)"
pycheck agree "$IT_TMP/names.prom" "$J" "$H"
stop_clean names

# ---- 8 ------------------------------------------------------------------------------------
section "8. --no-web.status.exclude-self: the exporter's own port on the page"
exporter_start noex "$host" "$SERVER_BIN" "127.0.0.1:$NOEX_PORT" --netns=self --listen-ports=7101 \
	--no-web.status.exclude-self
scrape "$host" "http://127.0.0.1:$NOEX_PORT/metrics" "$IT_TMP/noex0.prom" || die "GET /metrics failed"
fetch_views noex "$host" "$NOEX_PORT"
J=$IT_TMP/noex.json
H=$IT_TMP/noex.html
assert_eq "status_exclude_self false, the port still marked in ports[]" "false true" \
	"$(jqr "$J" .exporter.status_exclude_self) $(jqr "$J" ".namespaces[0].tcp.ports[] | select(.role == \"server\" and .port == $NOEX_PORT) | .exporter_port")"
assert_eq "the page: a table.ports row for server $NOEX_PORT" 1 \
	"$(q "$H" "table.ports tr[data-role=server][data-port=$NOEX_PORT]" count)"
assert_eq "the page: no hidden-port note" 0 "$(q "$H" 'p.self-hidden' count)"
pycheck agree "$IT_TMP/noex.prom" "$J" "$H"
stop_clean noex
stop_clean exporter
it_end
