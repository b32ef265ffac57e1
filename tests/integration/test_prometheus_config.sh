#!/usr/bin/env bash
# test_prometheus_config.sh — deploy/prometheus/prometheus.yml as shipped, loaded by the real
# Prometheus (Debian's, unpacked beside promtool by the Makefile): it starts without an error
# or a warning in its log (no "unable to load specified CA cert" from the TLS example, which
# stays commented), loads the rule files it names, scrapes the exporter (target up, up == 1)
# and evaluates every rule without error.
#
# The shipped file is used in place, unedited (its rule_files are relative to it). Its target
# is localhost:9978, so the exporter runs on exactly that port — inside a network namespace
# of the test's own, where 9978 is always free and two runs at once cannot clash; Prometheus
# listens there too, on 127.0.0.1:9090. Every wait is bounded.
source "$(dirname "$0")/lib.sh"
it_begin jq

CONFIG=$IT_ROOT/deploy/prometheus/prometheus.yml
PROM=http://127.0.0.1:9090
: "${PROMTOOL:?PROMTOOL is not set}"
PROMETHEUS=$(dirname "$PROMTOOL")/prometheus
[ -x "$PROMETHEUS" ] || die "no Prometheus server at $PROMETHEUS (the Makefile unpacks it beside promtool)"
[ -r "$CONFIG" ] || die "cannot read $CONFIG"

# The shipped target, which the exporter must serve: one localhost (or 127.0.0.1) address.
target=$(sed -n 's/^ *- targets: \["\([^"]*\)"\]$/\1/p' "$CONFIG" | paste -sd ' ')
[[ $target =~ ^(localhost|127\.0\.0\.1):([0-9]+)$ ]] ||
	die "$CONFIG: expected one live target on localhost, found '$target'"
port=${BASH_REMATCH[2]}
job=$(sed -n 's/^  - job_name: //p' "$CONFIG" | paste -sd ' ')
[ "$job" = tcp_health ] || die "$CONFIG: expected the one live job tcp_health, found '$job'"

netns_create NS
exporter_start exporter "$NS" "$TCPH_BIN" ":$port"
ok "exporter on :$port in $NS (the shipped target $target)"

section "Prometheus $("$PROMETHEUS" --version 2>&1 | awk 'NR == 1 { print $3 }') on $CONFIG, as shipped"
t0=$(now_ms)
bg_start prometheus "$NS" "$PROMETHEUS" --config.file="$CONFIG" --storage.tsdb.path="$IT_TMP/tsdb" \
	--web.listen-address=127.0.0.1:9090
prom() { in_ns "$NS" curl -sS --max-time 5 "$PROM$1"; }
# Its web server first (http_wait fails the set-up if Prometheus exits meanwhile); the API
# answers 503 until the configuration is loaded, which the loop below waits out.
http_wait prometheus "$NS" "$PROM/-/healthy" 20
ok "Prometheus answers on $PROM after $(($(now_ms) - t0)) ms"

# The first scrape comes within one scrape interval (15 s in the file) of the start.
deadline=$(($(now_ms) + 40000))
while :; do
	bg_running prometheus || die "Prometheus exited: $(tail -n 20 "$(bg_err prometheus)")"
	targets=$(prom /api/v1/targets 2>/dev/null || true)
	health=$(jq -r '[.data.activeTargets[]? | "\(.labels.job)/\(.labels.instance)/\(.health)"] | join(" ")' \
		<<<"$targets" 2>/dev/null || true)
	[ "$health" = "tcp_health/$target/up" ] && break
	[ "$(now_ms)" -lt "$deadline" ] || { fail "target not up within 40 s: $health $(jq -c '.data.activeTargets[]?.lastError' <<<"$targets" 2>/dev/null)"; break; }
	sleep 0.5
done
[ "$health" = "tcp_health/$target/up" ] && ok "/api/v1/targets: the only target, job tcp_health instance $target, is up ($(($(now_ms) - t0)) ms)"
up=$(prom '/api/v1/query?query=up' | jq -r '[.data.result[] | "\(.metric.job)/\(.metric.instance)=\(.value[1])"] | join(" ")')
assert_eq "query up" "tcp_health/$target=1" "$up"
scraped=$(prom '/api/v1/query?query=count(tcp_health_listener_up)' | jq -r '.data.result[0].value[1] // "none"')
[[ $scraped =~ ^[1-9][0-9]*$ ]] && ok "the exporter's series are in Prometheus (count(tcp_health_listener_up) = $scraped)" ||
	fail "no tcp_health_listener_up series in Prometheus: $scraped"

# The rule files the config names (relative to it) are loaded: the groups of both.
want_groups=$(cat "$IT_ROOT"/dashboards/prometheus/{recording,alerts}.rules.yml | grep -cE '^  - name:')
rules=$(prom /api/v1/rules) || die "GET /api/v1/rules failed"
assert_eq "rule groups loaded from the config's rule_files" "$want_groups" "$(jq '.data.groups | length' <<<"$rules")"

# Every rule evaluated at least once (evaluation_interval 15 s), and without error.
deadline=$(($(now_ms) + 40000))
while :; do
	rules=$(prom /api/v1/rules 2>/dev/null || true)
	summary=$(jq -r '[.data.groups[]?.rules[]] | "\(length) \([.[] | select(.health == "ok")] | length) \([.[] | select(.health == "err")] | length)"' \
		<<<"$rules" 2>/dev/null || echo "0 0 0")
	read -r n_rules n_ok n_err <<<"$summary"
	[ "$n_rules" -gt 0 ] && { [ "$n_ok" = "$n_rules" ] || [ "$n_err" != 0 ]; } && break
	[ "$(now_ms)" -lt "$deadline" ] || break
	sleep 0.5
done
if [ "$n_rules" -gt 0 ] && [ "$n_ok" = "$n_rules" ]; then
	ok "every rule evaluated without error ($n_rules rules, $(($(now_ms) - t0)) ms)"
else
	fail "rules: $n_ok of $n_rules ok, $n_err with errors: $(jq -c '[.data.groups[].rules[] | select(.health != "ok") | {name, health, lastError}] | .[:3]' <<<"$rules" 2>/dev/null)"
fi

# The log as it stands while Prometheus runs: its own shutdown logs at warn level
# ("Received SIGTERM, exiting gracefully...").
log=$IT_TMP/prometheus-running.log
cp "$(bg_err prometheus)" "$log"
it_stop prometheus TERM 15
assert_eq "Prometheus: exit status after SIGTERM" 0 "$IT_STOP_RC"
echo "  -- Prometheus logged $(wc -l <"$log") lines while running, by level: $(grep -oE 'level=[a-z]+' "$log" | sort | uniq -c | awk '{ printf "%s %s ", $2, $1 }')"
assert_contains "Prometheus loaded the file" "$log" "Completed loading of configuration file\" filename=$CONFIG"
bad=$(grep -E 'level=(error|warn)' "$log" || true)
[ -z "$bad" ] && ok "no level=error or level=warn line in Prometheus's log" ||
	fail "Prometheus's log: $(head -n 5 <<<"$bad" | tr '\n' ' ')"
assert_not_contains "no CA certificate complaint in Prometheus's log" "$log" "unable to load specified CA cert"
stop_clean exporter
it_end
