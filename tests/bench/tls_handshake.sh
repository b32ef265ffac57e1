#!/usr/bin/env bash
# tls_handshake.sh — the server's CPU per full TLS handshake, by key type: ECDSA P-256,
# RSA 2048, RSA 3072.
#
# In a fresh network namespace, for each key: the exporter with a self-signed certificate of
# that key and the per-address handshake limits off, then BENCH_HANDSHAKES full handshakes
# (TLS 1.3, a new session each, no resumption, closed without a request) from
# BENCH_TLS_THREADS client threads in a closed loop (tests/tools/tls_flood handshake). The
# exporter's CPU time (utime + stime of /proc/PID/stat) before and after gives the CPU per
# handshake; handshakes per second is over the wall time. Reported, never asserted (it
# depends on the machine), except that every handshake succeeded.
#
# Quick mode (BENCH_QUICK=1, what make check runs; make bench runs the full sizes): 250
# handshakes per key type, the same check. The published figures come from make bench.
#
# Environment: TCPH_BIN, TOOLS (as for the integration tests), BENCH_HANDSHAKES (1000),
# BENCH_TLS_THREADS (4), BENCH_QUICK=1.
source "$(dirname "$0")/../integration/lib.sh"
it_begin openssl awk

[ -x "$TOOLS/tls_flood" ] || die "'$TOOLS/tls_flood' is not an executable"
if [ "${BENCH_QUICK:-0}" = 1 ]; then
	N=${BENCH_HANDSHAKES:-250}
	section "quick mode (BENCH_QUICK=1): sizes $N handshakes per key type; the same check; the published figures come from make bench"
else
	N=${BENCH_HANDSHAKES:-1000}
fi
THREADS=${BENCH_TLS_THREADS:-4}
PORT=$((30000 + RANDOM % 20000))
TICKS=$(getconf CLK_TCK)
netns_create BENCH_NS

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

# bench NAME OPENSSL-NEWKEY-ARGS...: one key type.
bench() {
	local name=$1 dir=$IT_TMP/$1 pid cpu0 cpu1 got errors ms
	shift
	mkdir -p "$dir"
	openssl req -x509 -newkey "$@" -nodes -keyout "$dir/server.key" -out "$dir/server.crt" -days 2 \
		-subj "/CN=localhost" 2>"$dir/openssl.err" || die "openssl $name: $(cat "$dir/openssl.err")"
	printf 'tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n' >"$dir/tls.yml"
	bg_start "exp_$name" "$BENCH_NS" "$TCPH_BIN" --web.listen-address=127.0.0.1:$PORT --web.config.file="$dir/tls.yml" \
		--web.max-tls-handshakes-per-ip=0 --web.tls-handshake-rate-per-ip=0
	pid=$(bg_pid "exp_$name")
	in_ns "$BENCH_NS" "$TOOLS/tls_flood" --threads 1 --count 20 handshake 127.0.0.1 "$PORT" >/dev/null 2>&1 || true
	for _ in $(seq 100); do
		in_ns "$BENCH_NS" "$TOOLS/tls_flood" --threads 1 --count 1 handshake 127.0.0.1 "$PORT" 2>/dev/null | grep -q 'handshakes=1' && break
		kill -0 "$pid" 2>/dev/null || die "exporter with the $name key exited: $(cat "$(bg_err "exp_$name")")"
		sleep 0.1
	done
	cpu0=$(cpu_ticks "$pid")
	in_ns "$BENCH_NS" "$TOOLS/tls_flood" --threads "$THREADS" --count "$N" --duration 600 handshake 127.0.0.1 "$PORT" \
		>"$dir/flood.out" || die "tls_flood failed against the $name key"
	cpu1=$(cpu_ticks "$pid")
	got=$(awk '{ for (i = 2; i <= NF; i++) if ($i ~ /^handshakes=/) print substr($i, 12) }' "$dir/flood.out")
	errors=$(awk '{ for (i = 2; i <= NF; i++) if ($i ~ /^errors=/) print substr($i, 8) }' "$dir/flood.out")
	ms=$(awk '{ for (i = 2; i <= NF; i++) if ($i ~ /^elapsed_ms=/) print substr($i, 12) }' "$dir/flood.out")
	assert_eq "$name: full handshakes" "$N" "$got"
	awk -v name="$name" -v n="$got" -v t=$((cpu1 - cpu0)) -v hz="$TICKS" -v ms="$ms" -v e="$errors" 'BEGIN {
		printf "  %-11s %5d handshakes in %6.2f s: %6.3f ms of exporter CPU per handshake, %6.0f handshakes/s (%d errors)\n",
			name, n, ms / 1000, t * 1000 / hz / n, n * 1000 / ms, e }'
	it_stop "exp_$name" TERM 10
	[ "$IT_STOP_RC" = 0 ] || fail "$name: exporter exit status $IT_STOP_RC"
}

echo "  -- $N full TLS 1.3 handshakes from $THREADS threads, per key type"
bench ecdsa-p256 ec -pkeyopt ec_paramgen_curve:P-256
bench rsa-2048 rsa:2048
bench rsa-3072 rsa:3072
it_end
