#!/usr/bin/env python3
"""status_check.py — reads the status page, /api/v1/status and /metrics for test_status.sh.

  status_check.py q HTML SELECTOR [text|count|attr:NAME|onattrs]
      The elements of HTML (the server's body or Chromium's --dump-dom) matching SELECTOR,
      a small subset of CSS: descendant combinators (spaces) between compound selectors
      made of an optional tag, #id, .class and [attr] / [attr=value] / [attr="value"].
      "*" matches any element. Prints per match its text content (text; the default), the
      attribute NAME (an absent one prints nothing) or the texts of its td descendants
      joined by tabs (cells), one a line; or the number of matches (count); or the
      number of matching elements that carry an event-handler attribute, on* (onattrs).

  status_check.py agree METRICS JSON HTML
      Compares every number the three views of one snapshot share (see agree()), the
      tcp.events counters and the recent ring included; prints
      "ok TEXT" per family compared and "FAIL TEXT" per disagreement.

Exit status: 0 when it ran (failures are reported as FAIL lines), 2 on bad usage or
unreadable input (a traceback).
"""
import json
import math
import re
import sys
from html.parser import HTMLParser

# ---- a DOM of sorts ----------------------------------------------------------------------

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
        "source", "track", "wbr"}


class Node:
    def __init__(self, tag, attrs, parent):
        self.tag = tag
        self.attrs = attrs
        self.parent = parent
        self.children = []

    def text(self):
        out = []
        for c in self.children:
            out.append(c if isinstance(c, str) else c.text())
        return "".join(out)

    def elements(self):
        for c in self.children:
            if isinstance(c, Node):
                yield c
                yield from c.elements()

    def classes(self):
        return (self.attrs.get("class") or "").split()


class Builder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {}, None)
        self.cur = self.root

    def handle_starttag(self, tag, attrs):
        node = Node(tag, {k: (v if v is not None else "") for k, v in attrs}, self.cur)
        self.cur.children.append(node)
        if tag not in VOID:
            self.cur = node

    def handle_startendtag(self, tag, attrs):
        node = Node(tag, {k: (v if v is not None else "") for k, v in attrs}, self.cur)
        self.cur.children.append(node)

    def handle_endtag(self, tag):
        n = self.cur
        while n is not None and n.tag != tag:
            n = n.parent
        if n is not None and n.parent is not None:
            self.cur = n.parent

    def handle_data(self, data):
        self.cur.children.append(data)


def parse_html(path):
    b = Builder()
    with open(path, encoding="utf-8") as f:
        b.feed(f.read())
    b.close()
    return b.root


COMPOUND = re.compile(r'([a-zA-Z][a-zA-Z0-9]*)|#([\w-]+)|\.([\w-]+)|\[([\w-]+)(?:=("[^"]*"|[^\]]*))?\]')


def parse_compound(text):
    tag, conds, pos = None, [], 0
    if text == "*":
        return tag, conds
    while pos < len(text):
        m = COMPOUND.match(text, pos)
        if not m:
            raise SystemExit("bad selector: %r" % text)
        if m.group(1):
            tag = m.group(1).lower()
        elif m.group(2):
            conds.append(("attr", "id", m.group(2)))
        elif m.group(3):
            conds.append(("class", m.group(3)))
        else:
            v = m.group(5)
            if v is not None and v.startswith('"'):
                v = v[1:-1]
            conds.append(("attr", m.group(4), v))
        pos = m.end()
    return tag, conds


def matches(node, compound):
    tag, conds = compound
    if tag and node.tag != tag:
        return False
    for c in conds:
        if c[0] == "class":
            if c[1] not in node.classes():
                return False
        elif c[1] not in node.attrs or (c[2] is not None and node.attrs[c[1]] != c[2]):
            return False
    return True


def select(root, selector):
    """Elements matching a descendant chain of compound selectors, in document order."""
    parts = [parse_compound(p) for p in selector.split()]
    found = []
    for el in root.elements():
        if not matches(el, parts[-1]):
            continue
        i, n = len(parts) - 2, el.parent
        while i >= 0 and n is not None:
            if n.tag != "#document" and matches(n, parts[i]):
                i -= 1
            n = n.parent
        if i < 0:
            found.append(el)
    return found


def cmd_q(args):
    root = parse_html(args[0])
    els = select(root, args[1])
    what = args[2] if len(args) > 2 else "text"
    if what == "count":
        print(len(els))
    elif what == "onattrs":
        print(sum(1 for e in els if any(k.lower().startswith("on") for k in e.attrs)))
    elif what == "cells":
        for e in els:
            print("\t".join(td.text() for td in select(e, "td")))
    elif what.startswith("attr:"):
        for e in els:
            if what[5:] in e.attrs:
                print(e.attrs[what[5:]])
    else:
        for e in els:
            print(e.text())


# ---- the exposition ------------------------------------------------------------------------

LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def unescape_label(v):
    return re.sub(r'\\(.)', lambda m: "\n" if m.group(1) == "n" else m.group(1), v)


def parse_metrics(path):
    """[(name, {labels}, value)] of the sample lines."""
    samples = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            if "{" in line:
                name, rest = line.split("{", 1)
                labels_text, value = rest.rsplit("} ", 1)
                labels = {k: unescape_label(v) for k, v in LABEL.findall(labels_text)}
            else:
                name, value = line.split(" ", 1)
                labels = {}
            samples.append((name, labels, float(value)))
    return samples


# ---- agreement -----------------------------------------------------------------------------

class Report:
    def __init__(self):
        self.failures = 0

    def ok(self, text):
        print("ok " + text)

    def fail(self, text):
        self.failures += 1
        print("FAIL " + text)


def same(a, b):
    if a is None or b is None:
        return a is b
    return math.isclose(float(a), float(b), rel_tol=1e-12, abs_tol=1e-12)


SLOT_FIELDS = {  # ports[] key -> metric
    "retransmitting": "tcp_health_retransmitting_connections",
    "retransmit_backoff_max": "tcp_health_retransmit_backoff_max",
    "keepalive": "tcp_health_keepalive_connections",
    "keepalive_probes_outstanding": "tcp_health_keepalive_probes_outstanding",
    "keepalive_probes_max": "tcp_health_keepalive_probes_max",
    "unprotected_idle": "tcp_health_unprotected_idle_connections",
    "retransmitted_segments": "tcp_health_retransmitted_segments",
    "lost_segments": "tcp_health_lost_segments",
    "unacked_segments": "tcp_health_unacked_segments",
}

HISTOGRAMS = {  # ports[] key -> histogram family
    "idle_seconds": "tcp_health_connection_idle_seconds",
    "rtt_seconds": "tcp_health_rtt_seconds",
}

# ports[] keys that are not signals of their own (the label set, the row's judgements)
PORT_ROW_KEYS = {"role", "port", "other", "expected", "exporter_port", "sockets", "alerts"}

SYSCTL_METRICS = {  # kernel.settings key -> metric(s)
    "net.ipv4.tcp_keepalive_time": ["tcp_health_sysctl_keepalive_time_seconds"],
    "net.ipv4.tcp_keepalive_intvl": ["tcp_health_sysctl_keepalive_intvl_seconds"],
    "net.ipv4.tcp_keepalive_probes": ["tcp_health_sysctl_keepalive_probes"],
    "net.ipv4.tcp_retries1": ["tcp_health_sysctl_retries1"],
    "net.ipv4.tcp_retries2": ["tcp_health_sysctl_retries2"],
    "net.ipv4.tcp_syn_retries": ["tcp_health_sysctl_syn_retries"],
    "net.ipv4.tcp_synack_retries": ["tcp_health_sysctl_synack_retries"],
    "net.ipv4.tcp_fin_timeout": ["tcp_health_sysctl_fin_timeout_seconds"],
    "net.core.somaxconn": ["tcp_health_sysctl_somaxconn"],
    "net.ipv4.tcp_max_syn_backlog": ["tcp_health_sysctl_max_syn_backlog"],
    "net.ipv4.tcp_max_tw_buckets": ["tcp_health_sysctl_max_tw_buckets"],
    "net.ipv4.ip_local_port_range": ["tcp_health_sysctl_ip_local_port_range_low",
                                     "tcp_health_sysctl_ip_local_port_range_high"],
    "net.ipv4.tcp_tw_reuse": ["tcp_health_sysctl_tw_reuse"],
    "net.ipv4.tcp_ehash_entries": ["tcp_health_sysctl_ehash_entries"],
    "net.ipv4.tcp_child_ehash_entries": ["tcp_health_sysctl_child_ehash_entries"],
}


def counter_metric(name):
    """TcpExt/Tcp field name (counters{}) -> metric name, as render_metrics.c names them."""
    special = {"CurrEstab": "tcp_health_kernel_curr_estab"}
    if name in special:
        return special[name]
    words = {"ListenOverflows": "listen_overflows", "ListenDrops": "listen_drops",
             "TCPAbortOnTimeout": "abort_on_timeout", "TCPAbortOnClose": "abort_on_close",
             "TCPAbortOnData": "abort_on_data", "TCPAbortOnLinger": "abort_on_linger",
             "TCPAbortOnMemory": "abort_on_memory", "TCPTimeouts": "timeouts",
             "TCPKeepAlive": "keep_alive", "TCPSynRetrans": "syn_retrans",
             "TCPTimeWaitOverflow": "time_wait_overflow", "TCPReqQFullDrop": "req_q_full_drop",
             "TCPReqQFullDoCookies": "req_q_full_do_cookies", "RetransSegs": "retrans_segs",
             "OutSegs": "out_segs", "EstabResets": "estab_resets",
             "AttemptFails": "attempt_fails", "OutRsts": "out_rsts"}
    return "tcp_health_kernel_%s_total" % words[name] if name in words else None


def port_key(port_json, other):
    return "other" if other else str(port_json)


def agree(metrics_path, json_path, html_path):
    r = Report()
    samples = parse_metrics(metrics_path)
    with open(json_path, encoding="utf-8") as f:
        doc = json.load(f)
    page = parse_html(html_path)
    per_netns = doc["netns"] is not None

    def one(name, labels=None):
        hits = [v for n, l, v in samples if n == name and l == (labels or {})]
        return hits[0] if len(hits) == 1 else None

    # -- the scan: one snapshot --
    scans = one("tcp_health_exporter_scans_total")
    header = select(page, "header#top")
    page_scan = header[0].attrs.get("data-scan") if header else None
    if scans is not None and same(scans, doc["scan"]["number"]) and page_scan == str(doc["scan"]["number"]):
        r.ok("one snapshot: scan #%d in /metrics (tcp_health_exporter_scans_total), .scan.number "
             "and the page's data-scan" % doc["scan"]["number"])
    else:
        r.fail("not one snapshot: metrics %s, JSON %s, page %s" % (scans, doc["scan"]["number"], page_scan))
        return r  # every comparison below would be noise

    # -- exporter-wide --
    n, before = 0, r.failures
    for c in doc["collectors"]:
        if not c["enabled"]:
            if one("tcp_health_scrape_collector_success", {"collector": c["name"]}) is not None:
                r.fail("collector %s: disabled in JSON but has a success sample" % c["name"])
            continue
        s = one("tcp_health_scrape_collector_success", {"collector": c["name"]})
        d = one("tcp_health_scrape_collector_duration_seconds", {"collector": c["name"]})
        if not same(s, 1 if c["success"] else 0):
            r.fail("collector %s: success %s in JSON, %s in metrics" % (c["name"], c["success"], s))
        elif not same(d, c["duration_seconds"]):
            r.fail("collector %s: duration %s in JSON, %s in metrics" % (c["name"], c["duration_seconds"], d))
        else:
            n += 1
    if n and r.failures == before:
        r.ok("%d collectors: success and duration_seconds equal the scrape_collector_* samples" % n)
    elif not n:
        r.fail("no enabled collector compared")
    failures_shown = [li.attrs.get("data-collector") for li in select(page, "#collector-failures li")]
    failed_json = [c["name"] for c in doc["collectors"] if c["enabled"] and not c["success"]]
    if failures_shown == failed_json:
        r.ok("#collector-failures lists the failed collectors of the JSON: %s" % (failed_json or "none"))
    else:
        r.fail("#collector-failures lists %s, JSON says %s" % (failures_shown, failed_json))
    for key, metric in (("duration_seconds", "tcp_health_exporter_scan_duration_seconds"),
                        ("cpu_seconds_total", "tcp_health_exporter_scan_cpu_seconds_total")):
        v = one(metric)
        if same(v, doc["scan"][key]):
            r.ok("scan.%s = %s = %s" % (key, metric, v))
        else:
            r.fail("scan.%s %s, %s %s" % (key, doc["scan"][key], metric, v))
    if doc["owners"] is not None:
        v = one("tcp_health_exporter_listener_owners_unresolved")
        if same(v, doc["owners"]["unresolved"]):
            r.ok("owners.unresolved = tcp_health_exporter_listener_owners_unresolved = %d" % v)
        else:
            r.fail("owners.unresolved %s, metrics %s" % (doc["owners"]["unresolved"], v))
    if per_netns:
        for key, metric in (("found", "tcp_health_exporter_netns_found"),
                            ("scanned", "tcp_health_exporter_netns_scanned"),
                            ("over_limit", "tcp_health_exporter_netns_over_limit")):
            v = one(metric)
            if same(v, doc["netns"][key]):
                r.ok("netns.%s = %s = %d" % (key, metric, v))
            else:
                r.fail("netns.%s %s, %s %s" % (key, doc["netns"][key], metric, v))
        for reason, total in doc["netns"]["skipped_total"].items():
            v = one("tcp_health_exporter_netns_skipped_total", {"reason": reason})
            if not same(v, total):
                r.fail("netns.skipped_total.%s %s, metrics %s" % (reason, total, v))

    ns_labels = {ns["netns"] for ns in doc["namespaces"]}
    metric_ns = {l["netns"] for n_, l, v in samples if "netns" in l}
    if per_netns and metric_ns != ns_labels:
        r.fail("namespaces: JSON %s, netns labels in metrics %s" % (sorted(ns_labels), sorted(metric_ns)))
    elif per_netns:
        r.ok("namespaces[].netns = the netns label values of the metrics: %s" % sorted(ns_labels))

    for ns in doc["namespaces"]:
        agree_namespace(r, samples, doc, ns, page, per_netns)
    agree_recent(r, doc, page)
    return r


EVENT_FIGURES = {  # namespaces[].events key -> metric (exporter-wide per namespace)
    "events_total": "tcp_health_exporter_events_total",
    "lost_total": "tcp_health_exporter_events_lost_total",
    "unparsed_total": "tcp_health_exporter_events_unparsed_total",
    "receive_buffer_bytes": "tcp_health_exporter_events_receive_buffer_bytes",
}

EVENT_SUMS = {  # namespaces[].events.ports[] key -> metric {port, role}
    "segments_sent_total": "tcp_health_closed_segments_sent_total",
    "segments_retransmitted_total": "tcp_health_closed_segments_retransmitted_total",
    "bytes_acked_total": "tcp_health_closed_bytes_acked_total",
    "bytes_received_total": "tcp_health_closed_bytes_received_total",
}


def agree_events(r, name, fam, get, doc, ns, part):
    """namespaces[].events against the tcp.events families and the page's closes table and
    down-since notes."""
    ev = ns.get("events")
    if ev is None:
        if fam.get("tcp_health_connections_closed_total"):
            r.fail("%s: events null but tcp_health_connections_closed_total has samples" % name)
        else:
            r.ok("%s: events null and no tcp.events samples (the collector is off)" % name)
        return
    problems, n = [], 0
    for key, metric in EVENT_FIGURES.items():
        if not same(get(metric), ev[key]):
            problems.append("%s %s, %s %s" % (key, ev[key], metric, get(metric)))
    json_sets = set()
    for p in ev["ports"]:
        port, role = port_key(p["port"], p["other"]), p["role"]
        json_sets.add((port, role))
        for outcome, v in p["closed"].items():
            m = get("tcp_health_connections_closed_total", port=port, role=role, outcome=outcome)
            if not same(m, v):
                problems.append("%s %s %s: closed %s, metrics %s" % (role, port, outcome, v, m))
            n += 1
        if p["closed_total"] != sum(p["closed"].values()):
            problems.append("%s %s: closed_total %s, sum %s" % (role, port, p["closed_total"], sum(p["closed"].values())))
        for key, metric in EVENT_SUMS.items():
            m = get(metric, port=port, role=role)
            if not same(m, p[key]):
                problems.append("%s %s: %s %s, %s %s" % (role, port, key, p[key], metric, m))
            n += 1
        want = p["listener_closed_total"] if role == "server" else None
        if not same(get("tcp_health_listener_closed_total", port=port) if role == "server" else None, want):
            problems.append("%s %s: listener_closed_total %s, metrics %s" % (
                role, port, want, get("tcp_health_listener_closed_total", port=port)))
    metric_sets = {(l["port"], l["role"]) for l, v in fam.get("tcp_health_connections_closed_total", [])}
    if metric_sets != json_sets:
        problems.append("label sets: JSON %s, metrics %s" % (sorted(json_sets), sorted(metric_sets)))
    # The page: a row per label set with a close, each shown figure the JSON's.
    hide_self = doc["exporter"]["status_exclude_self"]
    want_rows = {(port_key(p["port"], p["other"]), p["role"]): p for p in ev["ports"]
                 if (p["closed_total"] or (p["listener_closed_total"] or 0)) and not (hide_self and p["exporter_port"])}
    rows = {(tr.attrs.get("data-port"), tr.attrs.get("data-role")): tr for tr in select(part, "table.closes tr[data-port]")}
    if set(rows) != set(want_rows):
        problems.append("table.closes rows %s, JSON rows with a close %s" % (sorted(rows), sorted(want_rows)))
    cells = 0
    for key, tr in rows.items():
        p = want_rows.get(key)
        if p is None:
            continue
        for td in select(tr, "td[data-key]"):
            k = td.attrs["data-key"]
            if k == "retransmission_ratio":
                sent, retr = p["segments_sent_total"], p["segments_retransmitted_total"]
                want = "%.2f %%" % (100.0 * retr / sent) if sent else "\u2013"
            elif k.startswith("closed."):
                want = str(p["closed"][k[len("closed."):]])
            else:
                want = str(p[k])
            if td.text() != want:
                problems.append("table.closes %s %s %s: %r, JSON %r" % (key[1], key[0], k, td.text(), want))
            cells += 1
    down = {str(d["port"]) for d in ev["listeners_down"]}
    notes = {s.attrs.get("data-port") for s in select(part, "#listeners-down span.down-since")}
    if notes != down:
        problems.append("#listeners-down ports %s, listeners_down %s" % (sorted(notes), sorted(down)))
    for s in select(part, "div.tile span.down-since"):
        if s.attrs.get("data-port") not in down:
            problems.append("tile %s says down since, not in listeners_down" % s.attrs.get("data-port"))
    if problems:
        for p in problems:
            r.fail("%s: events: %s" % (name, p))
    else:
        r.ok("%s: events: %d label sets, %d numbers equal the tcp.events samples; table.closes: %d rows, "
             "%d cells; listeners down %s" % (name, len(json_sets), n, len(rows), cells, sorted(down) or "none"))


def agree_recent(r, doc, page):
    """The top-level recent ring against the page's "What happened since" table."""
    ev = doc.get("events")
    section = select(page, "section#events")
    if ev is None:
        if section:
            r.fail("events null, yet the page has section#events")
        else:
            r.ok("events null and no section#events on the page")
        return
    problems = []
    if len(section) != 1:
        r.fail("%d section#events on the page, want 1" % len(section))
        return
    rows = select(section[0], "table.events tr[data-kind]")
    recent = ev["recent"]
    if len(recent) > ev["capacity"] or len(recent) > ev["recorded_total"]:
        problems.append("%d entries, capacity %d, recorded %d" % (len(recent), ev["capacity"], ev["recorded_total"]))
    if section[0].attrs.get("data-recorded") != str(ev["recorded_total"]):
        problems.append("data-recorded %s, recorded_total %s" % (section[0].attrs.get("data-recorded"), ev["recorded_total"]))
    if len(rows) != len(recent):
        problems.append("%d rows, %d entries" % (len(rows), len(recent)))
    times = [e["time"] for e in recent]
    if times != sorted(times, reverse=True):
        problems.append("entries not newest first")
    for tr, e in zip(rows, recent):
        def ep(which):
            end = e[which]
            if end is None:
                return "\u2013"
            if end["address"] is None:
                return "port %d" % end["port"]
            return ("[%s]" % end["address"] if e["family"] == "ipv6" else end["address"]) + ":%d" % end["port"]
        got = (tr.attrs.get("data-kind"), tr.attrs.get("data-outcome"), tr.attrs.get("data-role"),
               tr.attrs.get("data-port"), select(tr, "td.local")[0].text(), select(tr, "td.remote")[0].text(),
               select(tr, "span.proc")[0].text(), select(tr, "time")[0].attrs.get("datetime"))
        want = (e["kind"], e["outcome"] or "", e["role"], port_key(e["port"], e["other"]), ep("local"),
                ep("remote"), e["process"], e["time_utc"])
        if got != want:
            problems.append("row %s, JSON %s" % (got, want))
    if problems:
        for p in problems:
            r.fail("events.recent: %s" % p)
    else:
        r.ok("events.recent: %d entries (of %d recorded) newest first, each row of table.events "
             "(kind, outcome, role, port, local, remote, process, time) the JSON's" % (len(recent), ev["recorded_total"]))


def of_port(fam, metric, role, port):
    """{other labels: value} of one (role, port) label set's samples of `metric`."""
    return {tuple(sorted((k, x) for k, x in l.items() if k not in ("role", "port"))): v
            for l, v in fam.get(metric, []) if l.get("role") == role and l.get("port") == port}


def agree_port_signals(r, name, fam, json_ports):
    """ports[].timers and the histograms against their samples, label set by label set."""
    before, compared, nonzero = r.failures, 0, 0
    for (role, port), p in sorted(json_ports.items()):
        timers = {dict(k)["timer"]: v for k, v in of_port(fam, "tcp_health_timer_connections", role, port).items()}
        if set(timers) != set(p["timers"]):
            r.fail("%s: %s %s: timers in metrics %s, in JSON %s" % (name, role, port, sorted(timers), sorted(p["timers"])))
        for t, v in p["timers"].items():
            compared += 1
            nonzero += v != 0
            if not same(timers.get(t), v):
                r.fail("%s: tcp_health_timer_connections{port=%s,role=%s,timer=%s} = %s, JSON %s" % (
                    name, port, role, t, timers.get(t), v))
        for key, metric in HISTOGRAMS.items():
            h = p[key]
            buckets = {dict(k)["le"]: v for k, v in of_port(fam, metric + "_bucket", role, port).items()}
            if h is None:
                if buckets:
                    r.fail("%s: %s %s: %s null in JSON, %d buckets in metrics" % (name, role, port, key, len(buckets)))
                continue
            count = of_port(fam, metric + "_count", role, port).get(())
            total = of_port(fam, metric + "_sum", role, port).get(())
            if list(buckets) != list(h["buckets"]) or not all(same(buckets[le], h["buckets"][le]) for le in buckets):
                r.fail("%s: %s{port=%s,role=%s} buckets %s, JSON %s" % (name, metric, port, role, buckets, h["buckets"]))
            elif not same(count, h["count"]) or not same(total, h["sum"]):
                r.fail("%s: %s{port=%s,role=%s} count/sum %s/%s, JSON %s/%s" % (
                    name, metric, port, role, count, total, h["count"], h["sum"]))
            compared += len(buckets) + 2
            nonzero += sum(1 for v in h["buckets"].values() if v)
    if r.failures == before and json_ports:
        r.ok("%s: timers and histograms of %d (role, port) rows: %d numbers equal the metrics (%d nonzero)" % (
            name, len(json_ports), compared, nonzero))


def json_at(p, key):
    """ports[] value at "a" or "a.b"."""
    outer, _, inner = key.partition(".")
    v = p.get(outer)
    return v.get(inner) if inner and isinstance(v, dict) else v


def agree_signals_table(r, name, part, json_ports, expected_rows, ports_columns):
    """table.signals: a cell per data-key, equal to the ports[] value; with table.ports every
    signal of ports[] is on the page."""
    tables = select(part, "table.signals")
    if not tables:
        if expected_rows:
            r.fail("%s: no table.signals on the page, JSON has %d rows to show" % (name, len(expected_rows)))
        return
    heads = [th.attrs["data-key"] for th in select(tables[0], "th[data-key]")]
    before, cells, seen = r.failures, 0, set()
    for tr in select(tables[0], "tr[data-role]"):
        key = (tr.attrs["data-role"], tr.attrs["data-port"])
        seen.add(key)
        p = json_ports.get(key)
        tds = select(tr, "td[data-key]")
        if p is None or [td.attrs["data-key"] for td in tds] != heads:
            r.fail("%s: table.signals row %s: %s" % (name, key, "not in JSON" if p is None else "cells differ from the header"))
            continue
        for td in tds:
            k, want, got = td.attrs["data-key"], json_at(p, td.attrs["data-key"]), td.text()
            cells += 1
            if isinstance(want, dict):  # a histogram: its count, every bucket in the tooltip
                first = got.split()[0] if got.split() else ""
                tip = [int(n) for n in re.findall(r": (\d+)", td.attrs.get("title", ""))]
                want_tip = list(want["buckets"].values()) if want["count"] else []
                if first != str(want["count"]) or tip != want_tip:
                    r.fail("%s: table.signals %s %s %s shows %r (tooltip %s), JSON count %s buckets %s" % (
                        name, key[0], key[1], k, got, tip, want["count"], want_tip))
            elif want is None:
                if got != "\u2013":
                    r.fail("%s: table.signals %s %s %s shows %r for null" % (name, key[0], key[1], k, got))
            elif got != str(want):
                r.fail("%s: table.signals %s %s %s shows %r, JSON %s" % (name, key[0], key[1], k, got, want))
    if seen != set(expected_rows):
        r.fail("%s: table.signals rows %s, want %s" % (name, sorted(seen), sorted(expected_rows)))
    on_page = PORT_ROW_KEYS | {"states"} | set(ports_columns.values()) | {h.split(".")[0] for h in heads}
    missing = sorted({k for p in json_ports.values() for k in p} - on_page)
    if missing:
        r.fail("%s: ports[] keys on neither per-port table: %s" % (name, missing))
    if r.failures == before:
        r.ok("%s: table.signals: %d rows, %d cells (%d columns) equal ports[]; every ports[] signal is on the page" % (
            name, len(seen), cells, len(heads)))


def agree_scan_line(r, name, part, tcp):
    """p.scan: a figure per per-target value of the namespace's tcp object."""
    want = {}
    for key in ("sockets_scanned", "ports_folded", "dump_retries_total", "dump_requests_per_scan"):
        if isinstance(tcp[key], dict):
            want.update({"%s.%s" % (key, k): v for k, v in tcp[key].items()})
        else:
            want[key] = tcp[key]
    got = {s.attrs["data-key"]: s.text() for s in select(part, "p.scan span[data-key]")}
    if got == {k: str(v) for k, v in want.items()}:
        r.ok("%s: p.scan shows %s" % (name, json.dumps(want, sort_keys=True)))
    else:
        r.fail("%s: p.scan %s, JSON %s" % (name, got, want))


def agree_namespace(r, samples, doc, ns, page, per_netns):
    name = ns["netns"] if per_netns else "self"
    tcp = ns["tcp"]

    def of_ns(labels):
        """The labels without the namespace's, or None when the sample is another's."""
        if not per_netns:
            return dict(labels) if "netns" not in labels else None
        if labels.get("netns") != ns["netns"]:
            return None
        rest = dict(labels)
        for k in ("netns", "pod_uid", "container_id"):
            rest.pop(k, None)
        if ns["pod_uid"] != labels.get("pod_uid", "") or ns["container_id"] != labels.get("container_id", ""):
            r.fail("%s: pod_uid/container_id labels %s differ from the JSON's" % (name, labels))
        return rest

    fam = {}  # metric -> [(labels, value)] of this namespace
    for n_, l, v in samples:
        rest = of_ns(l)
        if rest is not None:
            fam.setdefault(n_, []).append((rest, v))

    def get(metric, **labels):
        hits = [v for l, v in fam.get(metric, []) if l == {k: str(x) for k, x in labels.items()}]
        return hits[0] if len(hits) == 1 else None

    # the page's part for this namespace
    if per_netns:
        parts = [d for d in select(page, "details.ns") if d.attrs.get("data-netns") == ns["netns"]]
        if len(parts) != 1:
            r.fail("%s: %d details.ns[data-netns] on the page, want 1" % (name, len(parts)))
            return
        part = parts[0]
    else:
        part = page

    # -- kernel settings and counters --
    settings = ns["kernel"]["settings"]
    n = 0
    for key, value in settings.items():
        metrics = SYSCTL_METRICS.get(key)
        if metrics is None:
            r.fail("%s: kernel.settings.%s has no known metric" % (name, key))
            continue
        values = value if isinstance(value, list) else [value]
        for m, v in zip(metrics, values):
            if same(get(m), v):
                n += 1
            else:
                r.fail("%s: kernel.settings.%s = %s, %s = %s" % (name, key, v, m, get(m)))
    extra = [m for m in fam if m.startswith("tcp_health_sysctl_") and
             not any(m in ms for k, ms in SYSCTL_METRICS.items() if k in settings)]
    for m in extra:
        r.fail("%s: %s in the metrics, its setting not in kernel.settings" % (name, m))
    if n and not extra:
        r.ok("%s: %d sysctl values of kernel.settings equal their tcp_health_sysctl_* samples, "
             "none missing from the JSON" % (name, n))
    elif not n:
        r.fail("%s: no sysctl value compared" % name)
    ka = [e for e in ns["kernel"]["explained"] if e["setting"] == "net.ipv4.tcp_keepalive_time"]
    kd = get("tcp_health_keepalive_detection_seconds")
    if ka and same(ka[0]["seconds"], kd):
        r.ok("%s: keepalive detection %s s in kernel.explained = tcp_health_keepalive_detection_seconds" % (name, kd))
    elif ka or kd is not None:
        r.fail("%s: keepalive detection: JSON %s, metrics %s" % (name, ka and ka[0]["seconds"], kd))

    n = 0
    for key, value in ns["counters"].items():
        m = counter_metric(key)
        if m is None:
            r.fail("%s: counters.%s has no known metric" % (name, key))
        elif not same(get(m), value):
            r.fail("%s: counters.%s = %s, %s = %s" % (name, key, value, m, get(m)))
        else:
            n += 1
    json_counter_metrics = {counter_metric(k) for k in ns["counters"]}
    extra = [m for m in fam if m.startswith("tcp_health_kernel_") and m not in json_counter_metrics]
    for m in extra:
        r.fail("%s: %s in the metrics, not in counters" % (name, m))
    rows = {}
    for tr in select(part, "table.counters tr"):
        tds = select(tr, "td")
        if len(tds) == 2:
            rows[tds[0].text()] = tds[1].text()
    html_bad = [k for k, v in ns["counters"].items() if rows.get(k) != str(v)]
    if set(rows) != set(ns["counters"]):
        html_bad.append("rows %s" % sorted(set(rows) ^ set(ns["counters"])))
    if html_bad:
        r.fail("%s: the page's counters table differs from counters{}: %s" % (name, html_bad))
    if n and not extra and not html_bad:
        r.ok("%s: %d kernel counters equal in JSON, metrics and the page's table" % (name, n))
    elif not n:
        r.fail("%s: no kernel counter compared" % name)

    agree_events(r, name, fam, get, doc, ns, part)

    if tcp is None:
        if any(m.startswith("tcp_health_connections") and m != "tcp_health_connections_closed_total" for m in fam):
            r.fail("%s: tcp is null in JSON, but the metrics have connections" % name)
        return

    # -- sockets scanned, folded --
    for fam_key, metric, label in (("sockets_scanned", "tcp_health_exporter_sockets_scanned", "family"),
                                   ("ports_folded", "tcp_health_exporter_ports_folded_sockets", "role")):
        got = {l[label]: v for l, v in fam.get(metric, [])}
        want = tcp[fam_key]
        if set(got) == set(want) and all(same(got[k], want[k]) for k in want):
            r.ok("%s: tcp.%s %s = %s" % (name, fam_key, json.dumps(want, sort_keys=True), metric))
        else:
            r.fail("%s: tcp.%s %s, %s %s" % (name, fam_key, want, metric, got))

    v = get("tcp_health_exporter_dump_retries_total")
    if same(v, tcp["dump_retries_total"]):
        r.ok("%s: tcp.dump_retries_total %d = tcp_health_exporter_dump_retries_total" % (name, v))
    else:
        r.fail("%s: tcp.dump_retries_total %s, tcp_health_exporter_dump_retries_total %s" % (
            name, tcp["dump_retries_total"], v))

    # -- ports: states and the per-port gauges --
    before = r.failures
    json_ports = {(p["role"], port_key(p["port"], p["other"])): p for p in tcp["ports"]}
    metric_ports = {(l["role"], l["port"]) for l, v in fam.get("tcp_health_connections", [])}
    if set(json_ports) != metric_ports:
        r.fail("%s: (role, port) sets differ: only in JSON %s, only in metrics %s" % (
            name, sorted(set(json_ports) - metric_ports), sorted(metric_ports - set(json_ports))))
    compared = nonzero = 0
    nonzero_fields = set()
    for (role, port), p in sorted(json_ports.items()):
        metric_states = {l["state"]: v for l, v in fam.get("tcp_health_connections", [])
                         if l["role"] == role and l["port"] == port}
        if set(metric_states) != set(p["states"]):
            r.fail("%s: %s %s: states in metrics %s, in JSON %s" % (
                name, role, port, sorted(metric_states), sorted(p["states"])))
        for st, v in p["states"].items():
            compared += 1
            if not same(metric_states.get(st), v):
                r.fail("%s: tcp_health_connections{port=%s,role=%s,state=%s} = %s, JSON %s" % (
                    name, port, role, st, metric_states.get(st), v))
            elif v:
                nonzero += 1
                nonzero_fields.add(st)
        if not same(sum(metric_states.values()), p["sockets"]):
            r.fail("%s: %s %s: sockets %s, sum of the state samples %s" % (
                name, role, port, p["sockets"], sum(metric_states.values())))
        for key, metric in SLOT_FIELDS.items():
            compared += 1
            v = get(metric, port=port, role=role)
            if not same(v, p[key]):
                r.fail("%s: %s{port=%s,role=%s} = %s, JSON %s = %s" % (name, metric, port, role, v, key, p[key]))
            elif p[key]:
                nonzero += 1
                nonzero_fields.add(key)
    if r.failures == before and json_ports:
        r.ok("%s: %d (role, port) rows, %d numbers compared between ports[] and the metrics "
             "(%d nonzero: %s)" % (name, len(json_ports), compared, nonzero, ", ".join(sorted(nonzero_fields))))
    elif not json_ports:
        r.fail("%s: no (role, port) row at all" % name)
    agree_port_signals(r, name, fam, json_ports)
    tw = sum(p["states"].get("time_wait", 0) for (role, port), p in json_ports.items() if role == "client")
    if same(tw, tcp["client_time_wait"]):
        r.ok("%s: client_time_wait %d = the client rows' time_wait" % (name, tw))
    else:
        r.fail("%s: client_time_wait %s, the client rows' time_wait sum %s" % (name, tcp["client_time_wait"], tw))

    # -- listeners --
    up = {l["port"]: v for l, v in fam.get("tcp_health_listener_up", [])}
    jl = {str(l["port"]): l for l in tcp["listeners"]}
    if set(up) != set(jl):
        r.fail("%s: listener ports: tcp_health_listener_up %s, listeners[] %s" % (name, sorted(up), sorted(jl)))
    n = 0
    for port, l in jl.items():
        if not same(up.get(port), 1 if l["up"] else 0):
            r.fail("%s: listener %s: up %s, tcp_health_listener_up %s" % (name, port, l["up"], up.get(port)))
        if l["up"] != (l["sockets"] > 0):
            r.fail("%s: listener %s: up %s with %d sockets" % (name, port, l["up"], l["sockets"]))
        for key, metric in (("length", "tcp_health_listen_queue_length"), ("max", "tcp_health_listen_queue_max")):
            v = get(metric, port=port)
            want = l["accept_queue"][key] if l["sockets"] else None
            if not same(v, want):
                r.fail("%s: %s{port=%s} = %s, accept_queue.%s %s" % (name, metric, port, v, key, want))
            else:
                n += 1
    info = sorted((l["port"], l["address"], l["family"], l.get("process", ""))
                  for l, v in fam.get("tcp_health_listener_info", []))
    jinfo = sorted((str(l["port"]), a["address"], a["family"], a["process"])
                   for l in tcp["listeners"] for a in l["addresses"])
    if info == jinfo:
        r.ok("%s: %d listeners: up, accept queue length/max (%d numbers) and %d listener_info "
             "(port, address, family, process) equal listeners[]" % (name, len(jl), n, len(info)))
    else:
        r.fail("%s: tcp_health_listener_info %s, listeners[].addresses %s" % (name, info, jinfo))

    # -- the page: ports table --
    table = select(part, "table.ports")
    # --web.status.exclude-self (default): the exporter's own ports are marked in the JSON
    # and left out of the page's table, which says so in one line.
    exclude = doc["exporter"].get("status_exclude_self", False)
    hidden = {k for k, p in json_ports.items() if exclude and p.get("exporter_port")}
    expected_rows = {k: p for k, p in json_ports.items() if (p["sockets"] or p["expected"]) and k not in hidden}
    note = select(part, "p.self-hidden")
    want_note = " ".join(sorted({k[1] for k in hidden}, key=int))
    got_note = note[0].attrs.get("data-ports") if note else ""
    if len(note) > 1 or got_note != want_note:
        r.fail("%s: p.self-hidden data-ports %r, JSON's hidden exporter ports %r" % (name, got_note, want_note))
    else:
        r.ok("%s: the exporter's own ports hidden from table.ports: %r (exclude-self %s)" % (name, want_note, exclude))
    severity = {t["alert"]: t["severity"] for t in doc["thresholds"]}
    fixed = {}
    if not table:
        if expected_rows:
            r.fail("%s: no table.ports on the page, JSON has %d rows to show" % (name, len(expected_rows)))
    else:
        heads = [th.text().replace("\u00ad", "") for th in select(table[0], "th")]
        fixed = {"retransmitting": "retransmitting", "max back-off": "retransmit_backoff_max",
                 "keepalive probes unanswered": "keepalive_probes_outstanding",
                 "unprotected idle": "unprotected_idle"}
        alert_of = {"retransmitting": "TcpHealthRetransmittingToDeadPeer",
                    "retransmit_backoff_max": "TcpHealthRetransmittingToDeadPeer",
                    "keepalive_probes_outstanding": "TcpHealthKeepaliveProbesUnanswered",
                    "unprotected_idle": "TcpHealthUnprotectedIdleConnections",
                    "close_wait": "TcpHealthCloseWaitLeak", "syn_recv": "TcpHealthSynRecvFlood"}
        cells = compared = highlighted = 0
        seen, before = set(), r.failures
        for tr in select(table[0], "tr[data-role]"):
            key = (tr.attrs["data-role"], tr.attrs["data-port"])
            seen.add(key)
            p = json_ports.get(key)
            tds = select(tr, "td")
            if p is None or len(tds) != len(heads):
                r.fail("%s: page row %s: %s" % (name, key, "not in JSON" if p is None else "%d cells for %d columns" % (len(tds), len(heads))))
                continue
            if tds[0].text() != key[0] or tds[1].text() != key[1]:
                r.fail("%s: page row %s shows %s %s" % (name, key, tds[0].text(), tds[1].text()))
            for h, td in zip(heads[2:], tds[2:]):
                field = fixed.get(h, h)
                want = p[field] if field in fixed.values() else p["states"].get(field)
                compared += 1
                if td.text() != str(want):
                    r.fail("%s: page %s %s column %r shows %r, JSON %s" % (name, key[0], key[1], h, td.text(), want))
                hot = td.attrs.get("data-alert")
                want_hot = alert_of[field] if alert_of.get(field) in p["alerts"] else None
                if hot != want_hot:
                    r.fail("%s: page %s %s column %r: data-alert %s, JSON alerts %s" % (name, key[0], key[1], h, hot, p["alerts"]))
                elif hot and td.attrs.get("class") != "alert " + severity[hot]:
                    r.fail("%s: page %s %s column %r: class %r, %s is %s in the rules" % (
                        name, key[0], key[1], h, td.attrs.get("class"), hot, severity[hot]))
                highlighted += hot is not None
            cells += 1
        if seen != set(expected_rows):
            r.fail("%s: page rows %s, JSON rows with sockets or expected %s" % (name, sorted(seen), sorted(expected_rows)))
        if r.failures == before:
            r.ok("%s: table.ports: %d rows, %d cells equal ports[] (%d highlighted as in alerts[])" % (
                name, cells, compared, highlighted))

    agree_signals_table(r, name, part, json_ports, expected_rows, fixed if table else {})
    agree_scan_line(r, name, part, tcp)

    # -- the page: listening ports, tiles --
    rows = select(part, "table.listeners tr[data-port]")
    shown = {tr.attrs["data-port"]: tr for tr in rows}
    want = {p: l for p, l in jl.items() if l["up"] or l["expected"]}
    problems = []
    if set(shown) != set(want):
        problems.append("rows %s, want %s" % (sorted(shown), sorted(want)))
    for port, tr in shown.items():
        l = want.get(port)
        if l is None:
            continue
        tds = select(tr, "td")
        procs = [s.text() for s in select(tr, "span.proc")]
        want_procs = []
        for a in l["addresses"]:
            if a["process"] and a["process"] not in want_procs:
                want_procs.append(a["process"])
        if l["up"] and procs != want_procs:
            problems.append("%s: processes %s, JSON %s" % (port, procs, want_procs))
        addrs = [s.text() for s in select(tr, "span.addr")]
        if addrs != [a["address"] for a in l["addresses"]]:
            problems.append("%s: addresses %s, JSON %s" % (port, addrs, [a["address"] for a in l["addresses"]]))
        if bool(select(tr, "span.flag.loopback")) != l["loopback_only"]:
            problems.append("%s: loopback flag %s, loopback_only %s" % (port, not l["loopback_only"], l["loopback_only"]))
        q = l["accept_queue"]
        # A port nothing listens on has no accept queue: a dash.
        queue = "%d / %d (%.0f%%)" % (q["length"], q["max"], q["fill"] * 100) if l["up"] else "\u2013"
        if len(tds) != 6 or tds[4].text() != queue or tds[5].text() != str(l["sockets"]) or \
                tds[1].text() != ("up" if l["up"] else "DOWN"):
            problems.append("%s: cells %s, want state %s, queue %r, sockets %d" % (
                port, [t.text() for t in tds], l["up"], queue, l["sockets"]))
    tiles = {t.attrs.get("data-port"): t for t in select(part, "div.tile")}
    want_tiles = {p: l for p, l in jl.items() if l["expected"]}
    if set(tiles) != set(want_tiles):
        problems.append("tiles %s, expected listeners %s" % (sorted(tiles), sorted(want_tiles)))
    for port, t in tiles.items():
        l = want_tiles.get(port)
        if l and t.attrs.get("data-state") != ("up" if l["up"] else "down"):
            problems.append("tile %s: data-state %s, up %s" % (port, t.attrs.get("data-state"), l["up"]))
    if problems:
        for p in problems:
            r.fail("%s: page listeners: %s" % (name, p))
    else:
        r.ok("%s: table.listeners (%d rows: state, processes, addresses, loopback flag, accept "
             "queue, sockets) and %d tiles equal listeners[]" % (name, len(shown), len(tiles)))

    # -- the page: worst connections --
    problems = []
    n = 0
    for kind, w in tcp["worst_connections"].items():
        h4 = [h for h in select(part, "h4") if h.attrs.get("data-kind") == kind]
        if len(h4) != 1 or not h4[0].text().endswith(": %d" % w["total"]):
            problems.append("%s: heading %s, total %d" % (kind, [h.text() for h in h4], w["total"]))
        tables = [t for t in select(part, "table.worst") if t.attrs.get("data-kind") == kind]
        trs = [tr for tr in select(tables[0], "tr") if select(tr, "td")] if tables else []
        if len(trs) != len(w["connections"]):
            problems.append("%s: %d rows, %d connections" % (kind, len(trs), len(w["connections"])))
            continue
        if len(w["connections"]) > w["total"]:
            problems.append("%s: %d connections listed, total %d" % (kind, len(w["connections"]), w["total"]))
        for tr, c in zip(trs, w["connections"]):
            def ep(which):
                a = c[which + "_address"]
                return ("[%s]" % a if c["family"] == "ipv6" else a) + ":%d" % c[which + "_port"]
            tds = select(tr, "td")
            got = (tds[0].text(), select(tr, "td.remote")[0].text(), tds[2].text(), select(tr, "span.proc")[0].text())
            want_row = (ep("local"), ep("remote"), c["state"], c["process"])
            if got != want_row:
                problems.append("%s: row %s, JSON %s" % (kind, got, want_row))
            n += 1
    # Worst totals against the per-port figures counted in the same pass.
    sums = {"retransmitting": sum(p["retransmitting"] for p in tcp["ports"]),
            "unprotected_idle": sum(p["unprotected_idle"] for p in tcp["ports"]),
            "close_wait": sum(p["states"].get("close_wait", 0) for p in tcp["ports"]),
            "syn_recv": sum(p["states"].get("syn_recv", 0) for p in tcp["ports"])}
    for kind, total in sums.items():
        if tcp["worst_connections"][kind]["total"] != total:
            problems.append("%s: total %d, the ports' sum %d" % (kind, tcp["worst_connections"][kind]["total"], total))
    if problems:
        for p in problems:
            r.fail("%s: worst connections: %s" % (name, p))
    else:
        r.ok("%s: worst connections: %d page rows (local, remote, state, process) and the 5 totals equal "
             "the JSON; totals equal the ports' sums %s" % (name, n, json.dumps(sums, sort_keys=True)))


def main():
    if len(sys.argv) >= 3 and sys.argv[1] == "q":
        cmd_q(sys.argv[2:])
    elif len(sys.argv) == 5 and sys.argv[1] == "agree":
        agree(*sys.argv[2:])
    else:
        sys.stderr.write(__doc__)
        sys.exit(2)


if __name__ == "__main__":
    main()
