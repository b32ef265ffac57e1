#!/usr/bin/env bash
# test_valgrind.sh — the optimised build under valgrind memcheck, in a network namespace
# with a few sockets (and, for the tcp.events thread, five refused connects): five scrapes,
# then SIGTERM; exit status 0 and no valgrind error
# (invalid accesses, uninitialised values, definite or indirect leaks). Once in the default
# mode, once with --netns=all while another namespace goes away.
# shellcheck source=tests/integration/lib.sh disable=SC1091
source "$(dirname "$0")/lib.sh"
it_begin valgrind

netns_create NS
sockstate_start sockets "$NS" \
	listen 127.0.0.1 1202 established 127.0.0.1 1202 2 closewait 127.0.0.1 1202 \
	listen :: 1720 established ::1 1720 1

# valgrind_run NAME LABELS FLAGS...: the exporter under memcheck with FLAGS, five scrapes,
# exact values for NS's sockets (LABELS: the series' leading labels, e.g. netns="x",),
# SIGTERM, then the verdict.
valgrind_run() {
	local name=$1 labels=$2 vg_log good i summary leaks
	shift 2
	vg_log=$IT_TMP/valgrind-$name.log
	section "valgrind: $name"
	# `ip netns exec` execs valgrind, which runs the exporter in the same process: the pid
	# that gets SIGTERM is the exporter's.
	bg_start "$name" "$NS" valgrind --error-exitcode=99 --leak-check=full \
		--errors-for-leak-kinds=definite,indirect --track-origins=yes --log-file="$vg_log" \
		"$TCPH_BIN" --web.listen-address=127.0.0.1:9978 --listen-ports 1202,1720,5060 "$@"
	# Valgrind starts the exporter slowly.
	http_wait "$name" "$NS" http://127.0.0.1:9978/-/healthy 60

	good=0
	for i in 1 2 3 4 5; do
		# Closes for the tcp.events thread to read while the scrapes run (counted in scrape
		# 5), once scrape 1 has opened the destroy sockets (named namespaces open theirs
		# in a scan).
		[ "$i" != 2 ] || assert_eq "5 refused connects to port 7600" "connect ok=0 refused=5 timedout=0 other=0" \
			"$(in_ns "$NS" "$TOOLS/evconn" connect 127.0.0.1 7600 5)"
		[ "$i" != 3 ] || [ -z "${VG_MIDWAY:-}" ] || "$VG_MIDWAY"
		if scrape "$NS" http://127.0.0.1:9978/metrics "$IT_TMP/$name$i.prom" &&
			grep -q '^tcp_health_scrape_collector_success{collector="tcp"} 1$' "$IT_TMP/$name$i.prom"; then
			good=$((good + 1))
		fi
	done
	assert_eq "successful scrapes under valgrind" 5 "$good"
	# The status views: the JSON document and the page rendered from it.
	assert_eq "GET /api/v1/status under valgrind" 200 \
		"$(in_ns "$NS" curl -s --max-time 60 -o "$IT_TMP/$name.json" -w '%{http_code}' http://127.0.0.1:9978/api/v1/status)"
	assert_eq "its schema" tcp_health_exporter/status/v1 "$(jq -r .schema "$IT_TMP/$name.json" 2>&1)"
	assert_eq "GET / under valgrind" 200 \
		"$(in_ns "$NS" curl -s --max-time 60 -o "$IT_TMP/$name.html" -w '%{http_code}' http://127.0.0.1:9978/)"
	assert_contains "the page shows port 5060 down" "$IT_TMP/$name.html" 'data-port="5060" data-state="down"'
	assert_metric "$IT_TMP/${name}5.prom" "tcp_health_connections{${labels}port=\"1202\",role=\"server\",state=\"established\"}" 2
	assert_metric "$IT_TMP/${name}5.prom" "tcp_health_connections{${labels}port=\"1202\",role=\"server\",state=\"close_wait\"}" 1
	assert_metric "$IT_TMP/${name}5.prom" "tcp_health_listener_up{${labels}port=\"5060\"}" 0
	assert_metric "$IT_TMP/${name}5.prom" "tcp_health_connections_closed_total{${labels}port=\"7600\",role=\"client\",outcome=\"connect_refused\"}" 5

	it_stop "$name" TERM 30
	assert_eq "exit status after SIGTERM under valgrind" 0 "$IT_STOP_RC"
	summary=$(grep -o 'ERROR SUMMARY: [0-9]* errors from [0-9]* contexts' "$vg_log" | tail -n 1 || true)
	if [ "$summary" = "ERROR SUMMARY: 0 errors from 0 contexts" ]; then
		ok "valgrind: $summary"
	else
		fail "valgrind: expected 'ERROR SUMMARY: 0 errors from 0 contexts' got '${summary:-no summary}':"
		grep -v '^==[0-9]*== *$' "$vg_log" | sed 's/^/  | /' | head -n 80
	fi
	leaks=$(grep -E '(definitely|indirectly) lost: [1-9]' "$vg_log" || true)
	if [ -z "$leaks" ]; then
		ok "valgrind: no definite or indirect leak"
	else
		fail "valgrind: $(printf '%s' "$leaks" | sed 's/^==[0-9]*== *//' | tr '\n' ';')"
	fi
}

valgrind_run self ""
# Named namespaces: worker threads, setns, a socket kept per namespace and closed when its
# namespace goes (OTHER is deleted between scrapes 2 and 3). Names, not --netns=all: under
# valgrind a scrape of every namespace on a busy machine would outlast the scrape timeout.
netns_create OTHER
sockstate_start other "$OTHER" listen 127.0.0.1 7000
delete_other() {
	# Events in its destroy socket when the namespace goes.
	in_ns "$OTHER" "$TOOLS/evconn" connect 127.0.0.1 7001 3 >/dev/null
	it_stop other
	ip netns del "$OTHER" || die "cannot delete $OTHER"
}
VG_MIDWAY=delete_other
valgrind_run all "netns=\"$NS\"," --netns="$NS,$OTHER" --netns.workers=2
assert_metric "$IT_TMP/all2.prom" "tcp_health_listener_up{netns=\"$OTHER\",port=\"7000\"}" 1
assert_no_series "$IT_TMP/all5.prom" "netns=\"$OTHER\"" "no series of the deleted namespace after it went"
it_end
