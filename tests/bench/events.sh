#!/usr/bin/env bash
# events.sh — what the events collector (--collector.tcp.events) costs a host per closed
# connection, and whether it loses events.
#
# Everything runs in one network namespace of its own (destroy events are per namespace):
# tests/tools/churn (a listener and 4 client threads: connect, the server closes first,
# the client closes; two full sockets freed per connection, plus the listener at the end)
# and one subscriber at a time:
#   none              nothing subscribed to the destroy groups
#   reader            tests/tools/destroy_reader, the minimal C reader (recv() and count),
#                     with the exporter's receive buffer
#   exporter on       the exporter, --netns=self inside the namespace, collector on
#   exporter off      the same with --no-collector.tcp.events (should match none)
# 1. Max rate: churn as fast as it goes for BENCH_EVENTS_SECONDS (2.5) per subscriber, the
#    four in turn, BENCH_EVENTS_ROUNDS (3) rounds; each subscriber's round of median rate is
#    shown, with the range of its rates (the machine is shared). CPU per connection, two ways: "host",
#    /proc/stat (everything but idle and iowait, all CPUs), which also counts whatever else
#    the machine runs meanwhile; "ours", the churn's getrusage + the subscriber's CPU + every
#    kernel thread's (children of kthreadd, /proc/PID/stat: the sock_diag_events workqueue
#    that builds the messages, ksoftirqd), which a busy neighbour disturbs far less. Minus
#    the no-subscriber figure: what a subscriber costs the host per closed connection (and
#    per freed socket, half of it). The subscriber's own CPU per
#    event: the reader's getrusage, the exporter's utime + stime (/proc/PID/stat), over
#    the messages it received (reader) or its tcp_health_exporter_events_total delta.
# 2. Loss: churn paced at BENCH_EVENTS_RATE (20,000) connections/s for
#    BENCH_EVENTS_PACED_SECONDS (10): the reader with the kernel's default receive buffer
#    (net.core.rmem_default), the reader with the exporter's buffer, the exporter; and
#    their own CPU per event at the same load. No host CPU here: below saturation a paced
#    loop's CPU per connection follows how often its threads sleep and wake, which a
#    subscriber changes, by more than the subscriber's cost. Lost:
#    the reader's ENOBUFS overruns (and the messages missing from 2 per connection + 1),
#    the exporter's tcp_health_exporter_events_lost_total delta.
# Asserted: the exporter lost nothing at the paced rate with its buffer and counted exactly
# the events the churn made (2 per connection, the listener, the connection of the scrape
# before); the reader with the same buffer received exactly 2 per connection + 1. Rates and
# CPU are reported, never asserted: they depend on the machine. Before the exporter has the
# collector (no --[no-]collector.tcp.events in its --help) its rows print n/a.
#
# Quick mode (BENCH_QUICK=1, what make check runs; make bench runs the full sizes): one
# round of 1 s per subscriber, the paced phase at the same rate for 2 s; the same
# checks. The published figures (README, docs/benchmarks.md) come from make bench.
#
# Environment: TCPH_BIN, TOOLS (as for the integration tests); BENCH_EVENTS_SECONDS,
# BENCH_EVENTS_ROUNDS, BENCH_EVENTS_RATE, BENCH_EVENTS_PACED_SECONDS, BENCH_EVENTS_CLIENTS
# (4), BENCH_EVENTS_BUFFER (8388608, the exporter's default --collector.tcp.events.buffer,
# passed to both the exporter and the reader); BENCH_QUICK=1.
source "$(dirname "$0")/../integration/lib.sh"
it_begin awk getconf

if [ "${BENCH_QUICK:-0}" = 1 ]; then
	SECONDS_MAX=${BENCH_EVENTS_SECONDS:-1}
	ROUNDS=${BENCH_EVENTS_ROUNDS:-1}
	PACED_SECONDS=${BENCH_EVENTS_PACED_SECONDS:-2}
else
	SECONDS_MAX=${BENCH_EVENTS_SECONDS:-2.5}
	ROUNDS=${BENCH_EVENTS_ROUNDS:-3}
	PACED_SECONDS=${BENCH_EVENTS_PACED_SECONDS:-10}
fi
RATE=${BENCH_EVENTS_RATE:-20000}
CLIENTS=${BENCH_EVENTS_CLIENTS:-4}
BUFFER=${BENCH_EVENTS_BUFFER:-8388608}
PORT=19400 # churn; the exporter on PORT + 1
TICK_US=$((1000000 / $(getconf CLK_TCK)))
for tool in churn destroy_reader; do
	[ -x "$TOOLS/$tool" ] || die "'$TOOLS/$tool' is not an executable (make build/tools/$tool)"
done
if "$TCPH_BIN" --help 2>&1 | grep -qF -- '--[no-]collector.tcp.events'; then
	COLLECTOR=1
else
	COLLECTOR=0
fi
NA="n/a (collector not built)"

# A namespace of our own, deleted at exit by it_cleanup.
ns="evb-$$-$RANDOM"
ip netns add "$ns" || die "ip netns add $ns failed"
IT_NETNS+=("$ns")
ip -n "$ns" link set lo up || die "cannot bring lo up in $ns"
host_busy() { awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat; }
proc_ticks() { awk '{ sub(/.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; } # utime + stime
# kthread_ticks FILE: "pid ticks" of every kernel thread (a child of kthreadd) into FILE.
kthread_ticks() {
	{ cat /proc/[0-9]*/stat 2>/dev/null || true; } | awk '{ pid = $1; sub(/.*\) /, ""); if ($2 == 2) print pid, $12 + $13 }' >"$1"
}
# kthread_delta BEFORE AFTER: ticks the kernel threads used in between (new ones: all theirs).
kthread_delta() { awk 'NR == FNR { a[$1] = $2; next } { s += $2 - a[$1] } END { print s + 0 }' "$1" "$2"; }
field() { printf '%s\n' "$1" | tr ' ' '\n' | awk -F= -v k="$2" '$1 == k { print $2 }'; }
# sum_metric FILE NAME: the sum of every sample of NAME (any labels), nothing when absent.
sum_metric() {
	awk -v n="$2" '$1 == n || index($1, n "{") == 1 { s += $2; seen = 1 } END { if (seen) printf "%.0f\n", s }' "$1"
}
calc() { awk "BEGIN { $1 }"; }
# per A B: A / B with two decimals; "-" when either is "-" or B is 0.
per() { awk -v a="$1" -v b="$2" 'BEGIN { if (a != "-" && b != "-" && b > 0) printf "%.2f", a / b; else print "-" }'; }
# delta A B: A - B signed, two decimals; "-" when either is "-".
delta() { awk -v a="$1" -v b="$2" 'BEGIN { if (a != "-" && b != "-") printf "%+.2f", a - b; else print "-" }'; }

# exporter_up NAME [FLAGS...]: the exporter in the namespace; with the collector on, waits
# (bounded) until its events socket is open (the receive-buffer gauge appears).
exporter_up() {
	local name=$1 deadline
	shift
	exporter_start "$name" "$ns" "$TCPH_BIN" "127.0.0.1:$((PORT + 1))" --netns=self "$@"
	deadline=$(($(now_ms) + 5000))
	while :; do
		scrape "$ns" "http://127.0.0.1:$((PORT + 1))/metrics" "$IT_TMP/up.prom" || die "$name: scrape failed"
		[[ " $* " == *" --no-collector.tcp.events "* ]] && break
		[ -n "$(sum_metric "$IT_TMP/up.prom" tcp_health_exporter_events_receive_buffer_bytes)" ] && break
		[ "$(now_ms)" -lt "$deadline" ] || die "$name: no tcp_health_exporter_events_receive_buffer_bytes within 5 s"
		sleep 0.1
	done
	sleep 0.2 # the probes' and that scrape's connections are freed
}

# exporter_events FILE: "events lost rcvbuf" of a scrape into FILE.
exporter_events() {
	scrape "$ns" "http://127.0.0.1:$((PORT + 1))/metrics" "$1" || die "scrape failed"
	echo "$(sum_metric "$1" tcp_health_exporter_events_total) $(sum_metric "$1" tcp_health_exporter_events_lost_total)" \
		"$(sum_metric "$1" tcp_health_exporter_events_receive_buffer_bytes)"
}

# measure WHO [CHURN ARGS...]: one churn run with subscriber WHO (none, reader, reader_default,
# exporter_on, exporter_off). Sets, per connection (µs): R_HOST (/proc/stat), R_OURS (churn
# + subscriber + kernel threads), R_KTHREADS; and R_CONN R_RATE, R_EVENTS (received),
# R_LOST, R_CPU_US (the subscriber's CPU, µs), R_RCVBUF, R_EXPECTED (events the churn made,
# plus what the subscriber also sees of its own scrapes); "-" where they do not apply.
measure() {
	local who=$1 out t0 t1 e0 e1 l0 l1 busy kt churn_us
	shift
	R_EVENTS=- R_LOST=- R_CPU_US=- R_RCVBUF=- R_EXPECTED=-
	case $who in
	reader | reader_default)
		if [ "$who" = reader ]; then
			bg_start reader "$ns" "$TOOLS/destroy_reader" --buffer "$BUFFER"
		else
			bg_start reader "$ns" "$TOOLS/destroy_reader"
		fi
		bg_wait_ready reader 5
		;;
	exporter_on)
		exporter_up exporter "--collector.tcp.events.buffer=$BUFFER"
		out=$(exporter_events "$IT_TMP/before.prom")
		read -r e0 l0 _ <<<"$out"
		t0=$(proc_ticks "$(bg_pid exporter)")
		;;
	exporter_off)
		exporter_up exporter --no-collector.tcp.events
		t0=$(proc_ticks "$(bg_pid exporter)")
		;;
	esac
	kthread_ticks "$IT_TMP/kt0"
	busy=$(host_busy)
	out=$(in_ns "$ns" "$TOOLS/churn" --port "$PORT" --clients "$CLIENTS" "$@") || die "churn $* failed: $out"
	busy=$(($(host_busy) - busy))
	sleep 0.3 # the last events drained, the kernel's deferred frees done
	kthread_ticks "$IT_TMP/kt1"
	kt=$(kthread_delta "$IT_TMP/kt0" "$IT_TMP/kt1")
	R_CONN=$(field "$out" connections)
	R_RATE=$(field "$out" rate)
	churn_us=$(calc "printf \"%.0f\", $(field "$out" cpu_s) * 1e6")
	case $who in
	reader | reader_default)
		it_stop reader TERM 5
		[ "$IT_STOP_RC" = 0 ] || die "destroy_reader exited with $IT_STOP_RC: $(cat "$(bg_err reader)")"
		out=$(tail -n 1 "$(bg_out reader)")
		R_RCVBUF=$(field "$(head -n 1 "$(bg_out reader)")" rcvbuf)
		R_EVENTS=$(field "$out" messages)
		R_LOST=$(field "$out" overruns)
		R_CPU_US=$(calc "printf \"%.0f\", $(field "$out" cpu_s) * 1e6")
		R_EXPECTED=$((R_CONN * 2 + 1))
		;;
	exporter_on)
		t1=$(proc_ticks "$(bg_pid exporter)")
		out=$(exporter_events "$IT_TMP/after.prom")
		read -r e1 l1 R_RCVBUF <<<"$out"
		R_EVENTS=$((e1 - e0))
		R_LOST=$((l1 - l0))
		R_CPU_US=$(((t1 - t0) * TICK_US))
		R_EXPECTED=$((R_CONN * 2 + 1 + 2)) # + the scrape before: its two ends
		it_stop exporter TERM 10
		;;
	exporter_off)
		t1=$(proc_ticks "$(bg_pid exporter)")
		R_CPU_US=$(((t1 - t0) * TICK_US))
		it_stop exporter TERM 10
		;;
	esac
	R_HOST=$(per "$((busy * TICK_US))" "$R_CONN")
	R_KTHREADS=$(per "$((kt * TICK_US))" "$R_CONN")
	R_OURS=$(per "$((churn_us + kt * TICK_US + ${R_CPU_US/-/0}))" "$R_CONN")
}

# own_per_event: the subscriber's CPU per event of the last measure (µs), or its CPU in ms
# when it received none (the exporter without the collector).
own_per_event() {
	if [ "$R_EVENTS" != - ]; then
		per "$R_CPU_US" "$R_EVENTS"
	elif [ "$R_CPU_US" != - ]; then
		echo "$(calc "printf \"%.0f\", $R_CPU_US / 1000")ms"
	else
		echo -
	fi
}

if [ "${BENCH_QUICK:-0}" = 1 ]; then
	section "quick mode (BENCH_QUICK=1): sizes $ROUNDS round of $SECONDS_MAX s, paced $PACED_SECONDS s at $RATE/s; the same checks; the published figures come from make bench"
fi

# ---- 1. max rate -------------------------------------------------------------------------
WHOS=(none reader exporter_on exporter_off)
declare -A LABEL=([none]="no subscriber" [reader]="minimal reader" [exporter_on]="exporter, collector on"
	[exporter_off]="exporter, --no-collector.tcp.events")
declare -A B_RATE B_HOST B_OURS B_KT B_EVENTS B_EV B_RANGE
for ((r = 1; r <= ROUNDS; r++)); do
	for who in "${WHOS[@]}"; do
		[ "$COLLECTOR" = 1 ] || [ "${who#exporter}" = "$who" ] || continue
		measure "$who" --seconds "$SECONDS_MAX"
		B_RATE[$who,$r]=$R_RATE B_HOST[$who,$r]=$R_HOST B_OURS[$who,$r]=$R_OURS B_KT[$who,$r]=$R_KTHREADS
		B_EVENTS[$who,$r]=$R_EVENTS B_EV[$who,$r]=$(own_per_event)
	done
done
# Each subscriber's round of median rate (all its figures from that one round), and the
# range of its rates.
for who in "${WHOS[@]}"; do
	[ -n "${B_RATE[$who,1]:-}" ] || continue
	read -r r lo hi < <(for ((i = 1; i <= ROUNDS; i++)); do echo "${B_RATE[$who,$i]} $i"; done |
		sort -n | awk '{ v[NR] = $1; i[NR] = $2 } END { print i[int((NR + 1) / 2)], v[1], v[NR] }')
	B_RATE[$who]=${B_RATE[$who,$r]} B_HOST[$who]=${B_HOST[$who,$r]} B_OURS[$who]=${B_OURS[$who,$r]}
	B_KT[$who]=${B_KT[$who,$r]} B_EVENTS[$who]=${B_EVENTS[$who,$r]} B_EV[$who]=${B_EV[$who,$r]}
	B_RANGE[$who]="$lo-$hi"
done

FMT1='  %-36s %7s %9s %7s %9s %7s %7s %8s %8s %9s %7s %12s\n'
echo "  -- max rate: churn as fast as it goes, ${SECONDS_MAX} s, the round of median rate of $ROUNDS;" \
	"$(nproc) CPUs, Linux $(uname -r)"
echo "     CPU per connection (us): host = /proc/stat, all of the machine; ours = churn + subscriber +"
echo "     kernel threads (kthr); + = minus no subscriber; /sock = per freed socket (2 a connection)"
# shellcheck disable=SC2059
printf "$FMT1" "subscriber" "conn/s" "host us/c" "+host" "ours us/c" "+ours" "+/sock" "kthr" "events" \
	"own us/ev" "/reader" "conn/s range"
for who in "${WHOS[@]}"; do
	if [ -z "${B_RATE[$who]:-}" ]; then
		printf '  %-36s %s\n' "${LABEL[$who]}" "$NA"
		continue
	fi
	ratio=-
	[ "$who" = exporter_on ] && ratio=$(per "${B_EV[$who]}" "${B_EV[reader]}")
	# shellcheck disable=SC2059
	printf "$FMT1" "${LABEL[$who]}" "${B_RATE[$who]}" "${B_HOST[$who]}" "$(delta "${B_HOST[$who]}" "${B_HOST[none]}")" \
		"${B_OURS[$who]}" "$(delta "${B_OURS[$who]}" "${B_OURS[none]}")" \
		"$(per "$(delta "${B_OURS[$who]}" "${B_OURS[none]}")" 2)" "${B_KT[$who]}" "${B_EVENTS[$who]}" \
		"${B_EV[$who]}" "$ratio" "${B_RANGE[$who]}"
done

# ---- 2. loss at a paced rate -------------------------------------------------------------
FMT2='  %-36s %7s %9s %8s %8s %5s %9s %7s\n'
echo "  -- loss: churn paced at $RATE connections/s for $PACED_SECONDS s"
# shellcheck disable=SC2059
printf "$FMT2" "subscriber" "conn/s" "rcvbuf" "expected" "received" "lost" "own us/ev" "/reader"
PACED=(reader_default reader exporter_on)
declare -A PLABEL=([reader_default]="minimal reader, default buffer" [reader]="minimal reader, $BUFFER B"
	[exporter_on]="exporter, $BUFFER B")
paced_ev=-
for who in "${PACED[@]}"; do
	if [ "$who" = exporter_on ] && [ "$COLLECTOR" = 0 ]; then
		printf '  %-36s %s\n' "${PLABEL[$who]}" "$NA"
		continue
	fi
	measure "$who" --rate "$RATE" --seconds "$PACED_SECONDS"
	ev=$(own_per_event)
	ratio=-
	[ "$who" = reader ] && paced_ev=$ev
	[ "$who" = exporter_on ] && ratio=$(per "$ev" "$paced_ev")
	# shellcheck disable=SC2059
	printf "$FMT2" "${PLABEL[$who]}" "$R_RATE" "$R_RCVBUF" "$R_EXPECTED" "$R_EVENTS" "$R_LOST" "$ev" "$ratio"
	case $who in
	reader)
		if [ "$R_LOST" = 0 ]; then
			assert_eq "minimal reader, $BUFFER B: messages = 2 per connection + the listener" \
				"$R_EXPECTED" "$R_EVENTS"
		else
			section "minimal reader, $BUFFER B: $R_LOST overruns: the machine is too busy for this rate"
		fi
		;;
	exporter_on)
		assert_eq "exporter: tcp_health_exporter_events_lost_total delta at $R_RATE closes/s" 0 "$R_LOST"
		assert_eq "exporter: events_total delta = 2 per connection + the listener + the scrape before" \
			"$R_EXPECTED" "$R_EVENTS"
		;;
	esac
done
if [ "$COLLECTOR" = 0 ]; then
	section "the exporter has no events collector yet (no --[no-]collector.tcp.events): its rows are n/a"
fi
it_end
