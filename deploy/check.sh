#!/usr/bin/env bash
# deploy/check.sh — checks the deployment files with the tools that understand them:
# systemd-analyze (verify and the offline security score) for the unit, promtool for the
# Prometheus configurations, and the hardening promised by the Kubernetes and compose
# files asserted field by field (python3-yaml). Nothing here deploys anything.
# Environment: PROMTOOL, TCPH_BIN.
set -uo pipefail
cd "$(dirname "$0")/.."
passed=0 failed=0
ok() { passed=$((passed + 1)); echo "  ok   $*"; }
bad() { failed=$((failed + 1)); echo "  FAIL: $*"; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "-- systemd unit"
unit=deploy/systemd/tcp_health_exporter.service
# verify wants the binary where ExecStart says: check a copy that points at the build.
sed "s#/usr/local/bin/tcp_health_exporter#$(realpath "$TCPH_BIN")#" "$unit" >"$tmp/tcp_health_exporter.service"
if out=$(systemd-analyze verify "$tmp/tcp_health_exporter.service" 2>&1) && [ -z "$out" ]; then
	ok "systemd-analyze verify"
else
	bad "systemd-analyze verify: $out"
fi
score=$(systemd-analyze security --offline=yes "$tmp/tcp_health_exporter.service" 2>/dev/null |
	sed -n 's/.*Overall exposure level for [^:]*: \([0-9][0-9.]*\) .*/\1/p')
if [[ $score =~ ^[0-9.]+$ ]] && awk -v s="$score" 'BEGIN { exit !(s + 0 <= 2.0) }'; then
	ok "systemd-analyze security: exposure $score (at most 2.0)"
else
	bad "systemd-analyze security: exposure '${score:-?}' (want at most 2.0)"
fi
for setting in DynamicUser=yes ProtectSystem=strict NoNewPrivileges=yes \
	'RestrictAddressFamilies=AF_NETLINK AF_INET AF_INET6 AF_UNIX' CapabilityBoundingSet=; do
	grep -qx -- "$setting" "$unit" && ok "unit has $setting" || bad "unit lacks $setting"
done

echo "-- Prometheus configurations"
for cfg in deploy/prometheus/prometheus.yml; do
	if out=$("$PROMTOOL" check config "$cfg" 2>&1); then ok "promtool check config $cfg"; else bad "$cfg: $out"; fi
done
# The compose one names its rules as mounted in the container: check it with them in place.
mkdir -p "$tmp/compose/rules"
cp deploy/compose/prometheus.yml "$tmp/compose/"
cp dashboards/prometheus/*.rules.yml "$tmp/compose/rules/"
if out=$("$PROMTOOL" check config "$tmp/compose/prometheus.yml" 2>&1); then
	ok "promtool check config deploy/compose/prometheus.yml"
else
	bad "deploy/compose/prometheus.yml: $out"
fi

echo "-- Kubernetes and compose manifests"
if out=$(python3 - <<'PY' 2>&1
import os, sys, yaml

problems = []
def need(cond, what):
    if not cond:
        problems.append(what)

ds = yaml.safe_load(open("deploy/kubernetes/daemonset.yaml"))
need(ds["kind"] == "DaemonSet", "daemonset.yaml is not a DaemonSet")
pod = ds["spec"]["template"]["spec"]
need(pod.get("hostNetwork") is True, "DaemonSet without hostNetwork")
need(pod["securityContext"].get("runAsNonRoot") is True, "pod not runAsNonRoot")
need(ds["spec"]["selector"]["matchLabels"].items() <= ds["spec"]["template"]["metadata"]["labels"].items(),
     "selector does not match the template labels")
c = pod["containers"][0]
sc = c["securityContext"]
need(sc.get("readOnlyRootFilesystem") is True, "root filesystem not read-only")
need(sc.get("allowPrivilegeEscalation") is False, "privilege escalation allowed")
need(sc.get("capabilities", {}).get("drop") == ["ALL"], "capabilities not all dropped")
need(not sc.get("capabilities", {}).get("add"), "capabilities added")
need(c["resources"]["requests"] and c["resources"]["limits"], "no resource requests/limits")
need(c["livenessProbe"]["httpGet"]["path"] == "/", "liveness not on /")
need(c["ports"][0]["containerPort"] == 9978, "not on port 9978")

svc = yaml.safe_load(open("deploy/kubernetes/service.yaml"))
need(svc["kind"] == "Service", "service.yaml is not a Service")
need(svc["spec"]["selector"] == {"app.kubernetes.io/name": "tcp-health-exporter"}, "service selector")
need(svc["metadata"]["annotations"].get("prometheus.io/scrape") == "true", "no scrape annotation")
scrape = yaml.safe_load(open("deploy/kubernetes/prometheus-scrape.yaml"))
need(scrape["scrape_configs"][0]["kubernetes_sd_configs"][0]["role"] == "pod", "k8s scrape job")

compose = yaml.safe_load(open("deploy/compose/compose.yaml"))
services = compose["services"]
need(set(services) == {"tcp-health-exporter", "prometheus", "grafana"}, "compose services")
need(services["tcp-health-exporter"]["network_mode"] == "host", "exporter not on the host network")
need(services["tcp-health-exporter"].get("read_only") is True, "exporter root fs not read-only")
for name, svc in services.items():
    for vol in svc.get("volumes", []):
        src = vol.split(":")[0]
        if src.startswith("."):
            need(os.path.exists(os.path.join("deploy/compose", src)), f"{name}: {src} does not exist")
for f in ("deploy/compose/grafana/provisioning/datasources/prometheus.yaml",
          "deploy/compose/grafana/provisioning/dashboards/tcp_health.yaml"):
    need(yaml.safe_load(open(f))["apiVersion"] == 1, f"{f}: apiVersion")
print("\n".join(problems))
sys.exit(1 if problems else 0)
PY
); then
	ok "DaemonSet, Service, scrape job and compose file hold the promised settings"
else
	bad "manifests: $out"
fi
echo "deploy check: $passed ok, $failed failed"
[ "$failed" = 0 ]
