#!/usr/bin/env bash
# test_listener_owner.sh — which process owns a listening port: tcp_health_listener_info's
# process label, from the socket's inode in /proc/PID/fd.
#
#   A. as root: listeners of two processes under two users (root's sockstate, and a copy
#      of it named alice_srv run as nobody) and the exporter's own: every one labelled with
#      its comm, nothing unresolved.
#   B. as nobody without capabilities: only nobody's processes (alice_srv, the exporter
#      itself) can be read; root's listener has no process label and is counted unresolved.
#   C. --netns=all: a listener in another namespace is labelled too (one cache for all).
#   D. steady state: later scrapes keep every label and leave nothing unresolved (that they
#      read no fd at all is shown by tests/unit/test_owners.c, which counts the entries).
# shellcheck source=tests/integration/lib.sh disable=SC1091
source "$(dirname "$0")/lib.sh"
it_begin setpriv

netns_create NS
chmod 755 "$IT_TMP" # nobody runs a binary from here
cp "$TOOLS/sockstate" "$IT_TMP/alice_srv"
chmod 755 "$IT_TMP/alice_srv"
sockstate_start rootsrv "$NS" listen 127.0.0.1 7001
bg_start alice "$NS" setpriv --reuid=65534 --regid=65534 --clear-groups \
	"$IT_TMP/alice_srv" --timeout 300 listen 127.0.0.1 7002
deadline=$(($(now_ms) + 10000))
until grep -qx ready "$(bg_out alice)" 2>/dev/null; do
	[ "$(now_ms)" -lt "$deadline" ] && bg_running alice || die "alice_srv did not get ready: $(cat "$(bg_err alice)")"
	sleep 0.02
done

# scrape_until NAME URL FILE SERIES: scrapes (at most 10 times: the walk is bounded per
# scrape and resumed) until SERIES is present; FILE holds the last scrape.
scrape_until() {
	local i
	for i in 1 2 3 4 5 6 7 8 9 10; do
		scrape "$NS" "$2" "$3" || die "$1: scrape failed"
		grep -qF -- "$4 " "$3" && return 0
		sleep 0.2
	done
	return 0 # the assertions below say what is missing
}

info() { # info PORT PROCESS: the listener_info series of 127.0.0.1:PORT
	if [ -n "$2" ]; then
		echo "tcp_health_listener_info{port=\"$1\",address=\"127.0.0.1\",family=\"ipv4\",process=\"$2\"}"
	else
		echo "tcp_health_listener_info{port=\"$1\",address=\"127.0.0.1\",family=\"ipv4\"}"
	fi
}

section "A. as root: every listener labelled with its owner's comm"
exporter_start root "$NS" "$TCPH_BIN" 127.0.0.1:9978
f=$IT_TMP/root.prom
scrape_until root http://127.0.0.1:9978/metrics "$f" "$(info 7001 sockstate)"
assert_metric "$f" "$(info 7001 sockstate)" 1
assert_metric "$f" "$(info 7002 alice_srv)" 1
# comm is the executable's name cut to 15 bytes.
assert_metric "$f" "$(info 9978 tcp_health_expo)" 1
assert_metric "$f" tcp_health_exporter_listener_owners_unresolved 0
assert_no_series "$f" "^tcp_health_listener_info\\{port=\"700[12]\",address=\"127.0.0.1\",family=\"ipv4\"\\}" \
	"no listener left without its process"

section "D. steady state: the labels stay, no walk needed"
for i in 1 2 3; do scrape "$NS" http://127.0.0.1:9978/metrics "$IT_TMP/steady$i.prom" || die "scrape failed"; done
assert_metric "$IT_TMP/steady3.prom" "$(info 7001 sockstate)" 1
assert_metric "$IT_TMP/steady3.prom" tcp_health_exporter_listener_owners_unresolved 0
stop_clean root

section "B. as nobody without capabilities: other users' listeners unresolved, counted"
bg_start nobody "$NS" setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
	--bounding-set=-all "$TCPH_BIN" --web.listen-address=127.0.0.1:9979
http_wait nobody "$NS" http://127.0.0.1:9979/-/healthy 10
f=$IT_TMP/nobody.prom
scrape_until nobody http://127.0.0.1:9979/metrics "$f" "$(info 7002 alice_srv)"
assert_metric "$f" "$(info 7002 alice_srv)" 1
assert_metric "$f" "$(info 9979 tcp_health_expo)" 1
assert_metric "$f" "$(info 7001 "")" 1
assert_metric "$f" tcp_health_exporter_listener_owners_unresolved 1
stop_clean nobody

section "C. --netns=all: listeners of another namespace labelled too"
netns_create OTHER
cp "$TOOLS/sockstate" "$IT_TMP/other_svc"
sockstate_start othersrv "$OTHER" listen 127.0.0.1 7003
bg_start othersvc "$OTHER" "$IT_TMP/other_svc" --timeout 300 listen 127.0.0.1 7004
exporter_start all "$NS" "$TCPH_BIN" 127.0.0.1:9980 --netns=all --netns.max=4096
f=$IT_TMP/all.prom
want="tcp_health_listener_info{netns=\"$OTHER\",port=\"7004\",address=\"127.0.0.1\",family=\"ipv4\",process=\"other_svc\"}"
scrape_until all http://127.0.0.1:9980/metrics "$f" "$want"
assert_metric "$f" "$want" 1
assert_metric "$f" "tcp_health_listener_info{netns=\"$OTHER\",port=\"7003\",address=\"127.0.0.1\",family=\"ipv4\",process=\"sockstate\"}" 1
assert_metric "$f" "tcp_health_listener_info{netns=\"$NS\",port=\"7002\",address=\"127.0.0.1\",family=\"ipv4\",process=\"alice_srv\"}" 1
stop_clean all

it_end
