#!/usr/bin/env bash
# test_collector_failure.sh — the netstat collector's failure made real: the running
# exporter's /proc/net/netstat is replaced, inside its own mount namespace, by an empty
# file and then by one it may not read. Each time tcp_health_scrape_collector_success
# {collector="netstat"} must be 0 with a log line naming the file, the Tcp counters must
# still come from the live /proc/net/snmp, the TcpExt ones must be absent, the other
# collectors must stay at 1; and success must come back once the real file is back.
#
# How: /proc/net is a symlink to self/net, so the exporter reads /proc/PID/net/netstat.
# A bind mount over that file is accepted by mount(2) but does not stay: /proc/PID/net/*
# dentries are never cached (proc_net_d_revalidate), so the next lookup drops them and
# detaches what is mounted there (checked and reported below). The directory
# /proc/PID/net itself does stay (a pid entry, valid while the process lives): the test
# mounts a tmpfs over it holding the netstat file of the case and a symlink `snmp` to the
# real file of the same namespace (/proc/PID/task/PID/net/snmp, a path the mount does not
# cover). The exporter runs as nobody without capabilities, as deployed (README); as root
# it would read a mode-000 file anyway.
# shellcheck source=tests/integration/lib.sh disable=SC1091
source "$(dirname "$0")/lib.sh"
it_begin unshare nsenter setpriv mount umount awk

PORT=19800
netns_create NS
# The exporter in a private mount namespace of its own (ip netns exec already gives it
# one, slave to the host's; private: nothing mounted here or there crosses over).
bg_start exporter "$NS" unshare -m --propagation private \
	setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all --bounding-set=-all \
	"$TCPH_BIN" --web.listen-address=127.0.0.1:$PORT
http_wait exporter "$NS" "http://127.0.0.1:$PORT/-/healthy" 10
PID=$(bg_pid exporter)
[ "$(readlink "/proc/$PID/exe")" = "$TCPH_BIN" ] || die "pid $PID is not the exporter: $(readlink "/proc/$PID/exe")"
[ "$(stat -c %u "/proc/$PID")" = 65534 ] || die "the exporter does not run as nobody"
URL=http://127.0.0.1:$PORT/metrics

in_mnt() { nsenter -t "$PID" -m "$@"; }
log_lines() { wc -l <"$(bg_err exporter)"; }

# scrape_until FILE SERIES VALUE: bounded wait (5 s) for a scrape in which SERIES is VALUE;
# the last scrape is left in FILE.
scrape_until() {
	local deadline=$(($(now_ms) + 5000))
	while :; do
		scrape "$NS" "$URL" "$1" || true
		[ "$(metric_value "$1" "$2")" = "$3" ] && return 0
		[ "$(now_ms)" -lt "$deadline" ] || return 1
		sleep 0.1
	done
}

section "the real files"
scrape "$NS" "$URL" "$IT_TMP/base" || die "first scrape failed"
for c in tcp sysctl netstat; do
	assert_metric "$IT_TMP/base" "tcp_health_scrape_collector_success{collector=\"$c\"}" 1
done
# Which series come from which file: the HELP text starts with the section (TcpExt or Tcp).
awk '$1 == "#" && $2 == "HELP" && $4 == "TcpExt" { print $3 }' "$IT_TMP/base" >"$IT_TMP/tcpext.names"
awk '$1 == "#" && $2 == "HELP" && $4 == "Tcp" { print $3 }' "$IT_TMP/base" >"$IT_TMP/tcp.names"
echo "  $(wc -l <"$IT_TMP/tcpext.names") TcpExt series (netstat), $(wc -l <"$IT_TMP/tcp.names") Tcp series (snmp)"
[ -s "$IT_TMP/tcpext.names" ] && [ -s "$IT_TMP/tcp.names" ] || die "no TcpExt or Tcp series in the scrape"
tcpext_re="^($(paste -sd'|' "$IT_TMP/tcpext.names"))[ {]"
assert_eq "the kernel counter from snmp is served" tcp_health_kernel_retrans_segs_total \
	"$(grep -x tcp_health_kernel_retrans_segs_total "$IT_TMP/tcp.names" || echo absent)"

section "a bind mount over /proc/PID/net/netstat itself"
: >"$IT_TMP/empty"
if in_mnt mount --bind "$IT_TMP/empty" "/proc/$PID/net/netstat"; then
	# A lookup, as the exporter's open is, then what the exporter itself makes of it.
	size=$(in_mnt sh -c "wc -c </proc/$PID/net/netstat")
	scrape "$NS" "$URL" "$IT_TMP/bind" || true
	seen=$(metric_value "$IT_TMP/bind" 'tcp_health_scrape_collector_success{collector="netstat"}')
	if in_mnt grep -q " /proc/$PID/net/netstat " "/proc/$PID/mountinfo"; then
		echo "  note: the bind mount stayed (reads $size bytes, netstat success $seen); undoing it"
		in_mnt umount "/proc/$PID/net/netstat" || die "cannot undo the bind mount"
	else
		echo "  note: mount(2) accepted the bind mount, procfs dropped it at the next lookup: the file" \
			"still reads $size bytes, the exporter's netstat success is $seen; covering /proc/$PID/net instead"
	fi
else
	echo "  note: procfs refused the bind mount; covering /proc/$PID/net instead"
fi

# cover_net NETSTAT-SETUP: a tmpfs over /proc/PID/net with `snmp` -> the real one and
# whatever the shell command NETSTAT-SETUP makes of `netstat` (run in that directory).
cover_net() {
	in_mnt mount -t tmpfs -o size=64k,mode=0755 tcph-net "/proc/$PID/net" || die "tmpfs over /proc/$PID/net"
	in_mnt sh -ec "cd /proc/$PID/net && ln -s /proc/$PID/task/$PID/net/snmp snmp && $1" ||
		die "cannot set up the covered /proc/$PID/net"
}
uncover_net() { in_mnt umount "/proc/$PID/net" || die "umount /proc/$PID/net"; }

# failure_case NAME LOG-TEXT: scrapes with the covered directory and checks the lot.
failure_case() {
	local name=$1 text=$2 f=$IT_TMP/$1 out1 out2 mark=$3
	if scrape_until "$f" 'tcp_health_scrape_collector_success{collector="netstat"}' 0; then
		ok "$name: collector netstat success 0"
	else
		fail "$name: collector netstat success stayed $(metric_value "$f" 'tcp_health_scrape_collector_success{collector="netstat"}')"
	fi
	assert_metric "$f" 'tcp_health_scrape_collector_success{collector="tcp"}' 1
	assert_metric "$f" 'tcp_health_scrape_collector_success{collector="sysctl"}' 1
	assert_no_series "$f" "$tcpext_re" "$name: no TcpExt series"
	missing=$(while read -r n; do [ -n "$(metric_value "$f" "$n")" ] || echo "$n"; done <"$IT_TMP/tcp.names")
	assert_eq "$name: every Tcp series from snmp still served (missing)" "" "$missing"
	# Live, not a copy: OutSegs counts the scrapes' own segments.
	out1=$(metric_value "$f" tcp_health_kernel_out_segs_total)
	scrape "$NS" "$URL" "$f.2" || true
	out2=$(metric_value "$f.2" tcp_health_kernel_out_segs_total)
	[ -n "$out1" ] && [ -n "$out2" ] && [ "$out2" -gt "$out1" ] &&
		ok "$name: snmp read live (OutSegs $out1 -> $out2)" || fail "$name: OutSegs '$out1' -> '$out2'"
	tail -n "+$((mark + 1))" "$(bg_err exporter)" >"$f.log"
	echo "  log: $(grep -m1 'netstat collector' "$f.log" || echo '(none)')"
	assert_contains "$name: the log says why, naming the file" "$f.log" "netstat collector: $text"
}

recovery_case() {
	local name=$1 f=$IT_TMP/$1.back
	if scrape_until "$f" 'tcp_health_scrape_collector_success{collector="netstat"}' 1; then
		ok "$name, file back: collector netstat success 1"
	else
		fail "$name, file back: collector netstat success stayed $(metric_value "$f" 'tcp_health_scrape_collector_success{collector="netstat"}')"
	fi
	assert_eq "$name, file back: listen overflows (TcpExt) served again" 0 \
		"$(metric_value "$f" tcp_health_kernel_listen_overflows_total)"
}

section "/proc/net/netstat empty"
mark=$(log_lines)
cover_net ': >netstat'
failure_case empty "/proc/net/netstat holds no TcpExt counters (0 bytes read)" "$mark"
uncover_net
recovery_case empty

section "/proc/net/netstat unreadable (mode 000, exporter without CAP_DAC_OVERRIDE)"
mark=$(log_lines)
cover_net ': >netstat && chmod 000 netstat'
failure_case unreadable "cannot read /proc/net/netstat: Permission denied" "$mark"
uncover_net
recovery_case unreadable

section "/proc/net/netstat missing"
mark=$(log_lines)
cover_net 'true'
failure_case missing "cannot read /proc/net/netstat: No such file or directory" "$mark"
uncover_net
recovery_case missing

it_stop exporter TERM 10
assert_eq "exporter exit status" 0 "$IT_STOP_RC"
it_end
