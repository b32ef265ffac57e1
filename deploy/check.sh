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

echo "-- systemd drop-in for --netns=all"
dropin=deploy/systemd/tcp_health_exporter.service.d/netns.conf
# The unit and its drop-in side by side, as in /etc/systemd/system: verify and the
# security analysis read <unit>.d/ next to the unit file.
mkdir -p "$tmp/netns/tcp_health_exporter.service.d"
cp "$tmp/tcp_health_exporter.service" "$tmp/netns/"
sed "s#/usr/local/bin/tcp_health_exporter#$(realpath "$TCPH_BIN")#" "$dropin" >"$tmp/netns/tcp_health_exporter.service.d/netns.conf"
if out=$(systemd-analyze verify "$tmp/netns/tcp_health_exporter.service" 2>&1) && [ -z "$out" ]; then
	ok "systemd-analyze verify with $dropin"
else
	bad "systemd-analyze verify with $dropin: $out"
fi
# What the drop-in may change, and to what: nothing else.
keys=$(sed -n 's/^\([A-Za-z]*\)=.*/\1/p' "$dropin" | sort -u | paste -sd ' ')
[ "$keys" = "AmbientCapabilities CapabilityBoundingSet ExecStart RestrictNamespaces" ] &&
	ok "drop-in sets only $keys" || bad "drop-in sets $keys"
for setting in ExecStart= 'ExecStart=/usr/local/bin/tcp_health_exporter --netns=all $ARGS' \
	'CapabilityBoundingSet=CAP_SYS_ADMIN CAP_SYS_PTRACE' 'AmbientCapabilities=CAP_SYS_ADMIN CAP_SYS_PTRACE' \
	RestrictNamespaces=net; do
	grep -qx -- "$setting" "$dropin" && ok "drop-in has $setting" || bad "drop-in lacks $setting"
done
# The merged result, as systemd sees it: the two capabilities and network namespaces let
# through, the rest of the hardening still there. In the C locale, whatever the caller's,
# so that the marks are "+" (hardened) and "-" (exposed), not glyphs.
analysis=$(LC_ALL=C systemd-analyze security --offline=yes "$tmp/netns/tcp_health_exporter.service" 2>/dev/null)
score=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9][0-9.]*\) .*/\1/p' <<<"$analysis")
if [[ $score =~ ^[0-9.]+$ ]] && awk -v s="$score" 'BEGIN { exit !(s + 0 <= 2.5) }'; then
	ok "systemd-analyze security with the drop-in: exposure $score (at most 2.5)"
else
	bad "systemd-analyze security with the drop-in: exposure '${score:-?}' (want at most 2.5)"
fi
for line in '- CapabilityBoundingSet=~CAP_SYS_ADMIN ' '- CapabilityBoundingSet=~CAP_SYS_PTRACE ' \
	'- AmbientCapabilities= ' '- RestrictNamespaces=~net ' '+ RestrictNamespaces=~user ' \
	'+ RestrictNamespaces=~mnt ' '+ CapabilityBoundingSet=~CAP_NET_ADMIN ' '+ User=/DynamicUser= ' \
	'+ SystemCallFilter=~@privileged ' '+ ProtectProc= '; do
	awk -v l="$line" 'index($0, l) == 1 { f = 1 } END { exit !f }' <<<"$analysis" && ok "merged: $line" ||
		bad "merged unit: '$line' not in the analysis"
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
import os, re, sys, yaml

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
need(c["livenessProbe"]["httpGet"]["path"] == "/-/healthy", "liveness not on /-/healthy")
need(c["readinessProbe"]["httpGet"]["path"] == "/-/ready", "readiness not on /-/ready")
need(c["ports"][0]["containerPort"] == 9978, "not on port 9978")

# The --netns=all DaemonSet: a DaemonSet of its own (name, selector), privileged exactly
# as far as setns() and other processes' /proc/PID/ns/net need.
nds = yaml.safe_load(open("deploy/kubernetes/daemonset-netns.yaml"))
need(nds["kind"] == "DaemonSet", "daemonset-netns.yaml is not a DaemonSet")
need(nds["metadata"]["name"] != ds["metadata"]["name"], "daemonset-netns.yaml reuses the DaemonSet name")
nsel = nds["spec"]["selector"]["matchLabels"]
nlabels = nds["spec"]["template"]["metadata"]["labels"]
need(nsel.items() <= nlabels.items(), "netns selector does not match its template labels")
need(not (ds["spec"]["selector"]["matchLabels"].items() <= nlabels.items())
     and not (nsel.items() <= ds["spec"]["template"]["metadata"]["labels"].items()),
     "the two DaemonSets' selectors overlap")
npod = nds["spec"]["template"]["spec"]
need(npod.get("hostPID") is True, "netns DaemonSet without hostPID")
need(npod.get("hostNetwork") is True, "netns DaemonSet without hostNetwork")
need(npod.get("tolerations") == pod.get("tolerations"), "netns DaemonSet tolerations differ")
nc = npod["containers"][0]
nsc = nc["securityContext"]
need(nsc.get("privileged") is not True, "netns container privileged")
need(nsc.get("readOnlyRootFilesystem") is True, "netns root filesystem not read-only")
caps = nsc.get("capabilities", {})
need(caps.get("drop") == ["ALL"], "netns capabilities not all dropped")
need(sorted(caps.get("add", [])) == ["SYS_ADMIN", "SYS_PTRACE"], f"netns capabilities added: {caps.get('add')}")
# The API rejects allowPrivilegeEscalation: false beside CAP_SYS_ADMIN.
need(nsc.get("allowPrivilegeEscalation") is not False, "allowPrivilegeEscalation false with SYS_ADMIN")
uid = nsc.get("runAsUser", npod.get("securityContext", {}).get("runAsUser"))
need(uid == 0, f"netns exporter runs as uid {uid}, not 0 (the capabilities would not be effective)")
need("--netns=all" in nc.get("args", []), "netns DaemonSet args lack --netns=all")
mounts = {m["mountPath"]: m for m in nc.get("volumeMounts", [])}
vols = {v["name"]: v for v in npod.get("volumes", [])}
m = mounts.get("/run/netns", {})
need(m.get("mountPropagation") == "HostToContainer" and m.get("readOnly") is True,
     "/run/netns not mounted read-only with HostToContainer propagation")
need(vols.get(m.get("name"), {}).get("hostPath", {}).get("path") == "/run/netns",
     "/run/netns is not the node's /run/netns")
need(nc["resources"]["requests"] and nc["resources"]["limits"], "netns: no resource requests/limits")
need(nc["ports"][0]["containerPort"] == 9978 and nc["ports"][0]["name"] == "metrics", "netns: not on port 9978")
need(nc["livenessProbe"]["httpGet"]["path"] == "/-/healthy" and nc["readinessProbe"]["httpGet"]["path"] == "/-/ready",
     "netns: probes not on /-/healthy and /-/ready")

svc = yaml.safe_load(open("deploy/kubernetes/service.yaml"))
need(svc["kind"] == "Service", "service.yaml is not a Service")
need(svc["spec"]["selector"] == {"app.kubernetes.io/name": "tcp-health-exporter"}, "service selector")
need(svc["metadata"]["annotations"].get("prometheus.io/scrape") == "true", "no scrape annotation")
scrape = yaml.safe_load(open("deploy/kubernetes/prometheus-scrape.yaml"))
need(scrape["scrape_configs"][0]["kubernetes_sd_configs"][0]["role"] == "pod", "k8s scrape job")
keep = scrape["scrape_configs"][0]["relabel_configs"][0]
for d in (ds, nds):
    name = d["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/name"]
    need(re.fullmatch(keep["regex"], name) is not None, f"the k8s scrape job drops {name}")

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
	ok "DaemonSets (default and --netns=all), Service, scrape job and compose file hold the promised settings"
else
	bad "manifests: $out"
fi
echo "deploy check: $passed ok, $failed failed"
[ "$failed" = 0 ]
