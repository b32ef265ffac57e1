#!/usr/bin/env python3
"""Compact table of destroy_events output: summary.py OUTDIR"""
import glob, os, sys
K = "family idiag_state sport dport saddr daddr wqueue uid retransmits probes backoff options rtt bytes_acked bytes_received segs_out segs_in total_retrans data_segs_in data_segs_out last_data_recv last_ack_recv last_data_sent snd_wnd unacked lost rcv_space ca_state delivered bytes_sent bytes_retrans".split()
for f in sorted(glob.glob(os.path.join(sys.argv[1], "*.txt"))):
    for line in open(f):
        if not line.startswith("family="):
            if line.strip() != "ready": print(os.path.basename(f), line.strip())
            continue
        d = dict(kv.split("=", 1) for kv in line.split() if "=" in kv)
        print(os.path.basename(f)[:-4], " ".join("%s=%s" % (k.replace("idiag_", "").replace("bytes_", "b_").replace("data_segs", "dsegs").replace("last_", "l_"), d.get(k, "-")) for k in K))
