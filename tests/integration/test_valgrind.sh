#!/usr/bin/env bash
# test_valgrind.sh — the optimised build under valgrind memcheck, in a network namespace
# with a few sockets: five scrapes, then SIGTERM; exit status 0 and no valgrind error
# (invalid accesses, uninitialised values, definite or indirect leaks).
# shellcheck source=tests/integration/lib.sh disable=SC1091
source "$(dirname "$0")/lib.sh"
it_begin valgrind

netns_create NS
sockstate_start sockets "$NS" \
	listen 127.0.0.1 1202 established 127.0.0.1 1202 2 closewait 127.0.0.1 1202 \
	listen :: 1720 established ::1 1720 1

VG_LOG=$IT_TMP/valgrind.log
# `ip netns exec` execs valgrind, which runs the exporter in the same process: the pid
# that gets SIGTERM is the exporter's.
bg_start exporter "$NS" valgrind --error-exitcode=99 --leak-check=full \
	--errors-for-leak-kinds=definite,indirect --track-origins=yes --log-file="$VG_LOG" \
	"$TCPH_BIN" --web.listen-address=127.0.0.1:9978 --listen-ports 1202,1720,5060
# Valgrind starts the exporter slowly.
http_wait exporter "$NS" http://127.0.0.1:9978/ 60

good=0
for i in 1 2 3 4 5; do
	if scrape "$NS" http://127.0.0.1:9978/metrics "$IT_TMP/scrape$i.prom" &&
		grep -q '^tcp_health_scrape_collector_success{collector="tcp"} 1$' "$IT_TMP/scrape$i.prom"; then
		good=$((good + 1))
	fi
done
assert_eq "successful scrapes under valgrind" 5 "$good"
assert_metric "$IT_TMP/scrape5.prom" 'tcp_health_connections{port="1202",role="server",state="established"}' 2
assert_metric "$IT_TMP/scrape5.prom" 'tcp_health_connections{port="1202",role="server",state="close_wait"}' 1
assert_metric "$IT_TMP/scrape5.prom" 'tcp_health_listener_up{port="5060"}' 0

it_stop exporter TERM 30
assert_eq "exit status after SIGTERM under valgrind" 0 "$IT_STOP_RC"
summary=$(grep -o 'ERROR SUMMARY: [0-9]* errors from [0-9]* contexts' "$VG_LOG" | tail -n 1 || true)
if [ "$summary" = "ERROR SUMMARY: 0 errors from 0 contexts" ]; then
	ok "valgrind: $summary"
else
	fail "valgrind: expected 'ERROR SUMMARY: 0 errors from 0 contexts' got '${summary:-no summary}':"
	grep -v '^==[0-9]*== *$' "$VG_LOG" | sed 's/^/  | /' | head -n 80
fi
leaks=$(grep -E '(definitely|indirectly) lost: [1-9]' "$VG_LOG" || true)
if [ -z "$leaks" ]; then
	ok "valgrind: no definite or indirect leak"
else
	fail "valgrind: $(printf '%s' "$leaks" | sed 's/^==[0-9]*== *//' | tr '\n' ';')"
fi

it_end
