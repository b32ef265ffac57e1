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
# As shipped, only the plain job is live (the TLS job's CA file does not exist on a fresh
# host, and Prometheus would log an error for it at every start); the TLS job is a
# commented example whose lines start with "#  ". Uncommented, in a copy at the same depth
# so that the relative rule_files still resolve, it must be a valid configuration too.
cfg=deploy/prometheus/prometheus.yml
live_jobs=$(sed -n 's/^  - job_name: //p' "$cfg" | paste -sd ' ')
[ "$live_jobs" = tcp_health ] && ok "$cfg: the only live job is tcp_health" ||
	bad "$cfg: live jobs '$live_jobs', want only tcp_health (the TLS job stays commented)"
grep -q 'tcp_health_ca\.crt' <(grep -v '^#' "$cfg") &&
	bad "$cfg: a live line names the example CA certificate" || ok "$cfg: no live line names the example CA certificate"
mkdir -p "$tmp/tls/deploy/prometheus"
ln -s "$PWD/dashboards" "$tmp/tls/dashboards"
sed -E 's/^#(  )/\1/' "$cfg" >"$tmp/tls/deploy/prometheus/prometheus.yml"
tls_jobs=$(sed -n 's/^  - job_name: //p' "$tmp/tls/deploy/prometheus/prometheus.yml" | paste -sd ' ')
if [ "$tls_jobs" != "tcp_health tcp_health_tls" ]; then
	bad "$cfg uncommented: jobs '$tls_jobs', want 'tcp_health tcp_health_tls'"
elif out=$("$PROMTOOL" check config "$tmp/tls/deploy/prometheus/prometheus.yml" 2>&1); then
	ok "promtool check config $cfg with the TLS example uncommented (jobs $tls_jobs)"
else
	bad "$cfg with the TLS example uncommented: $out"
fi
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

echo "-- Prometheus Operator: PrometheusRule, ServiceMonitor, PodMonitor"
# The PrometheusRule is generated from the rule files: the checked-in one must be what the
# generator writes now (an edit of the rules without regenerating fails here).
if bash dashboards/prometheusrule.sh >"$tmp/prometheusrule.yaml" 2>"$tmp/prometheusrule.err" &&
	diff -u deploy/kubernetes/prometheusrule.yaml "$tmp/prometheusrule.yaml" >"$tmp/prometheusrule.diff"; then
	ok "prometheusrule.yaml is what dashboards/prometheusrule.sh writes now"
else
	bad "prometheusrule.yaml differs from a fresh generation (run: dashboards/prometheusrule.sh > deploy/kubernetes/prometheusrule.yaml): $(cat "$tmp/prometheusrule.err"; head -n 20 "$tmp/prometheusrule.diff")"
fi
mkdir -p "$tmp/pr/tests"
if out=$(python3 - "$tmp/pr" <<'PY' 2>&1
import re, sys, yaml

problems = []
def need(cond, what):
    if not cond:
        problems.append(what)
def load(path):
    return yaml.safe_load(open(path))

def selects(sel, labels):
    """Whether a Kubernetes LabelSelector (matchLabels, matchExpressions) selects labels."""
    for k, v in (sel.get("matchLabels") or {}).items():
        if labels.get(k) != v:
            return False
    for e in sel.get("matchExpressions") or []:
        k, op, vals = e["key"], e["operator"], e.get("values") or []
        if op == "In" and labels.get(k) not in vals:
            return False
        if op == "NotIn" and k in labels and labels[k] in vals:
            return False
        if op == "Exists" and k not in labels:
            return False
        if op == "DoesNotExist" and k in labels:
            return False
        if op not in ("In", "NotIn", "Exists", "DoesNotExist"):
            raise ValueError(f"selector operator {op}")
    return True
def watches(mon, ns):
    """Whether a ServiceMonitor/PodMonitor looks into namespace ns."""
    nsel = mon["spec"].get("namespaceSelector") or {}
    if nsel.get("any"):
        return True
    return ns in nsel["matchNames"] if nsel.get("matchNames") else ns == mon["metadata"].get("namespace")
def container_ports(d):
    c = d["spec"]["template"]["spec"]["containers"][0]
    return {p.get("name"): p["containerPort"] for p in c.get("ports", [])}
def pod_labels(d):
    return d["spec"]["template"]["metadata"]["labels"]

ds = load("deploy/kubernetes/daemonset.yaml")
nds = load("deploy/kubernetes/daemonset-netns.yaml")
svc = load("deploy/kubernetes/service.yaml")
pr = load("deploy/kubernetes/prometheusrule.yaml")
sm = load("deploy/kubernetes/servicemonitor.yaml")
pm = load("deploy/kubernetes/podmonitor.yaml")
alerts = load("dashboards/prometheus/alerts.rules.yml")
recording = load("dashboards/prometheus/recording.rules.yml")

# --- PrometheusRule: exactly the rule files' groups, in order.
need(pr.get("apiVersion") == "monitoring.coreos.com/v1" and pr.get("kind") == "PrometheusRule",
     "prometheusrule.yaml is not a monitoring.coreos.com/v1 PrometheusRule")
groups = pr.get("spec", {}).get("groups", [])
need(groups == alerts["groups"] + recording["groups"],
     "PrometheusRule spec.groups differ from alerts.rules.yml's and recording.rules.yml's groups")
need(len({g["name"] for g in groups}) == len(groups), "PrometheusRule: group names repeat")
prefix = "file:///usr/share/doc/tcp-health-exporter/runbook.md#"
n_alerts = 0
for g in groups:
    for r in g["rules"]:
        if "alert" in r:
            n_alerts += 1
            need(r.get("annotations", {}).get("runbook_url") == prefix + r["alert"].lower(),
                 f"PrometheusRule: {r['alert']}'s runbook_url is not {prefix}{r['alert'].lower()}")
need(n_alerts == sum(1 for g in alerts["groups"] for r in g["rules"] if "alert" in r) and n_alerts > 0,
     "PrometheusRule: not every alert of alerts.rules.yml")
# Back into the two files, for promtool check and the unit tests (which name ../alerts.rules.yml).
out = sys.argv[1]
alerting = [g for g in groups if any("alert" in r for r in g["rules"])]
for name, gs in (("alerts", alerting), ("recording", [g for g in groups if g not in alerting])):
    with open(f"{out}/{name}.rules.yml", "w") as f:
        yaml.safe_dump({"groups": gs}, f, sort_keys=False, width=1000)

# The exporter's job as the alerts find it: the same matcher in TcpHealthExporterDown and
# TcpHealthExporterAbsent. PromQL anchors =~ regexes, as re.fullmatch does.
exprs = {r["alert"]: r["expr"] for g in alerts["groups"] for r in g["rules"] if "alert" in r}
matchers = {a: re.findall(r'job=~"([^"]*)"', exprs.get(a, "")) for a in ("TcpHealthExporterDown", "TcpHealthExporterAbsent")}
need(all(len(m) == 1 for m in matchers.values()) and len({m[0] for m in matchers.values()}) == 1,
     f"TcpHealthExporterDown and TcpHealthExporterAbsent do not share one job=~ matcher: {matchers}")
job_re = matchers["TcpHealthExporterDown"][0] if matchers["TcpHealthExporterDown"] else "(none)"

# --- /metrics and port 9978 as the exporter serves them.
readme = open("README.md").read()
m = re.search(r"^\| `--web\.telemetry-path=PATH` \| `([^`]*)` \|", readme, re.M)
need(m is not None and m.group(1) == "/metrics", "README: the default --web.telemetry-path is not /metrics")
for d in (ds, nds):
    name = d["metadata"]["name"]
    c = d["spec"]["template"]["spec"]["containers"][0]
    args = c.get("args", [])
    path = next((a.split("=", 1)[1] for a in args if a.startswith("--web.telemetry-path=")), "/metrics")
    need(path == "/metrics", f"{name}: --web.telemetry-path={path}, the monitors scrape /metrics")
    need(d["spec"]["template"]["metadata"].get("annotations", {}).get("prometheus.io/path") == "/metrics",
         f"{name}: annotation prometheus.io/path is not /metrics")
    listen = [a.split("=", 1)[1] for a in args if a.startswith("--web.listen-address=")]
    need(listen and all(l.rsplit(":", 1)[-1] == str(container_ports(d).get("metrics")) for l in listen),
         f"{name}: --web.listen-address {listen} is not on the container port metrics ({container_ports(d).get('metrics')})")
    for probe in ("livenessProbe", "readinessProbe"):
        port = c[probe]["httpGet"]["port"]
        need(port in container_ports(d) or port in container_ports(d).values(),
             f"{name}: {probe} port {port} is not a container port")

# --- ServiceMonitor -> service.yaml -> daemonset.yaml's pods.
need(sm.get("apiVersion") == "monitoring.coreos.com/v1" and sm.get("kind") == "ServiceMonitor",
     "servicemonitor.yaml is not a monitoring.coreos.com/v1 ServiceMonitor")
ssel = sm["spec"].get("selector") or {}
need(ssel.get("matchLabels") or ssel.get("matchExpressions"), "ServiceMonitor: empty selector (every Service)")
need(selects(ssel, svc["metadata"].get("labels", {})), "ServiceMonitor: selector does not match service.yaml's labels")
need(watches(sm, svc["metadata"]["namespace"]), "ServiceMonitor: does not look into the Service's namespace")
svc_ports = {p.get("name"): p for p in svc["spec"]["ports"]}
need(sm["spec"].get("endpoints"), "ServiceMonitor: no endpoints")
for ep in sm["spec"].get("endpoints", []):
    need(ep.get("port") in svc_ports, f"ServiceMonitor: endpoint port {ep.get('port')!r} is not a port name of the Service ({sorted(svc_ports)})")
    need(ep.get("path", "/metrics") == "/metrics", f"ServiceMonitor: endpoint path {ep.get('path')}, not /metrics")
    need(ep.get("scheme", "http") == "http", f"ServiceMonitor: scheme {ep.get('scheme')} (the DaemonSet serves plain HTTP)")
need(selects({"matchLabels": svc["spec"]["selector"]}, pod_labels(ds)), "service.yaml: selector does not match daemonset.yaml's pods")
need(svc["metadata"]["namespace"] == ds["metadata"]["namespace"], "service.yaml and daemonset.yaml in different namespaces")
for p in svc["spec"]["ports"]:
    tp = p.get("targetPort", p["port"])
    need(tp in container_ports(ds) or tp in container_ports(ds).values(),
         f"service.yaml: targetPort {tp} is not a container port of daemonset.yaml")
    need(container_ports(ds).get(tp, tp) == 9978, f"service.yaml: port {p.get('name')} does not reach 9978")
sm_job = svc["metadata"]["labels"].get(sm["spec"]["jobLabel"]) if sm["spec"].get("jobLabel") else svc["metadata"]["name"]
need(sm_job and re.fullmatch(job_re, sm_job), f"ServiceMonitor: job {sm_job!r} does not match the alerts' job=~\"{job_re}\"")

# --- PodMonitor -> both DaemonSets' pods.
need(pm.get("apiVersion") == "monitoring.coreos.com/v1" and pm.get("kind") == "PodMonitor",
     "podmonitor.yaml is not a monitoring.coreos.com/v1 PodMonitor")
psel = pm["spec"].get("selector") or {}
need(psel.get("matchLabels") or psel.get("matchExpressions"), "PodMonitor: empty selector (every pod)")
need(not selects(psel, {"app.kubernetes.io/name": "some-other-app"}), "PodMonitor: selects other applications' pods")
need(pm["spec"].get("podMetricsEndpoints"), "PodMonitor: no podMetricsEndpoints")
for d in (ds, nds):
    name = d["metadata"]["name"]
    need(selects(psel, pod_labels(d)), f"PodMonitor: selector does not match {name}'s pod labels {pod_labels(d)}")
    need(watches(pm, d["metadata"]["namespace"]), f"PodMonitor: does not look into {name}'s namespace")
    for ep in pm["spec"].get("podMetricsEndpoints", []):
        need(ep.get("port") in container_ports(d),
             f"PodMonitor: port {ep.get('port')!r} is not a container port name of {name} ({sorted(container_ports(d))})")
for ep in pm["spec"].get("podMetricsEndpoints", []):
    need(ep.get("path", "/metrics") == "/metrics", f"PodMonitor: path {ep.get('path')}, not /metrics")
    need(ep.get("scheme", "http") == "http", f"PodMonitor: scheme {ep.get('scheme')} (the DaemonSets serve plain HTTP)")
if pm["spec"].get("jobLabel"):
    pm_jobs = [pod_labels(d).get(pm["spec"]["jobLabel"]) for d in (ds, nds)]
else:
    pm_jobs = [f"{pm['metadata']['namespace']}/{pm['metadata']['name']}"]
for j in pm_jobs:
    need(j and re.fullmatch(job_re, j), f"PodMonitor: job {j!r} does not match the alerts' job=~\"{job_re}\"")

# Either monitor labels the series alike (node, instance = node:port), so that switching
# between them, or from prometheus-scrape.yaml, keeps each series' identity but for job.
rel = [ep.get("relabelings") for ep in sm["spec"].get("endpoints", []) + pm["spec"].get("podMetricsEndpoints", [])]
need(rel and all(r == rel[0] for r in rel), "ServiceMonitor and PodMonitor relabel differently")
inst = [r for r in (rel[0] or []) if r.get("targetLabel") == "instance"] if rel else []
need(len(inst) == 1 and inst[0].get("sourceLabels", [""])[0] == "__meta_kubernetes_pod_node_name"
     and inst[0].get("separator") == ":", "monitors: instance is not node:port")
scrape = load("deploy/kubernetes/prometheus-scrape.yaml")["scrape_configs"][0]["relabel_configs"]
need(any(r.get("target_label") == "instance" and r["source_labels"][0] == "__meta_kubernetes_pod_node_name"
         and r.get("separator") == ":" for r in scrape), "prometheus-scrape.yaml: instance is no longer node:port")
print("\n".join(problems))
sys.exit(1 if problems else 0)
PY
); then
	ok "PrometheusRule holds the rule files' groups; ServiceMonitor selects service.yaml (port metrics, /metrics), PodMonitor both DaemonSets' pods (port metrics, /metrics); both jobs match the alerts' job matcher"
else
	bad "operator manifests: $out"
fi
if out=$("$PROMTOOL" check rules "$tmp/pr/alerts.rules.yml" "$tmp/pr/recording.rules.yml" 2>&1); then
	ok "promtool check rules: the PrometheusRule's groups ($(grep -c 'SUCCESS' <<<"$out") files)"
else
	bad "promtool check rules on the PrometheusRule's groups: $out"
fi
cp dashboards/prometheus/tests/*.yml "$tmp/pr/tests/"
if out=$("$PROMTOOL" test rules "$tmp/pr/tests"/*.yml 2>&1); then
	ok "promtool test rules: dashboards/prometheus/tests/*.yml pass against the PrometheusRule's groups"
else
	bad "promtool test rules against the PrometheusRule's groups: $out"
fi
echo "deploy check: $passed ok, $failed failed"
[ "$failed" = 0 ]
