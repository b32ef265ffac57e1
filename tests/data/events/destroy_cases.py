#!/usr/bin/env python3
"""Socket scenarios for docs/destroy-events.md (issue 19), run by destroy_cases.sh.
Usage: destroy_cases.py client|server CASE. Client in netns evr-a (198.18.50.1, 2001:db8:50::1),
server in evr-b (198.18.50.2, 2001:db8:50::2)."""
import errno, os, select, socket, struct, sys, time

S4, S6 = "198.18.50.2", "2001:db8:50::2"
LING0 = struct.pack("ii", 1, 0)

def nbconnect(fam, addr, port, wait=30):
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.setblocking(False)
    try:
        s.connect((addr, port))
    except BlockingIOError:
        pass
    select.select([], [s], [], wait)
    print("nbconnect", addr, port, "SO_ERROR", errno.errorcode.get(s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)), flush=True)
    s.close()

def bconnect(fam, addr, port):
    s = socket.socket(fam, socket.SOCK_STREAM)
    try:
        s.connect((addr, port))
        print("connected?!")
    except OSError as e:
        print("bconnect", addr, port, e, flush=True)
    s.close()

def wait_err(s, wait=60):
    t = time.time()
    select.select([s], [], [s], wait)
    e = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
    print("err after %.1fs" % (time.time() - t), errno.errorcode.get(e), flush=True)
    s.close()

def listener(fam, addr, port, backlog=16):
    l = socket.socket(fam, socket.SOCK_STREAM)
    l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    l.bind((addr, port)); l.listen(backlog)
    return l

def blackhole(port, fam="ip"):
    os.system("ip netns exec evr-b nft add rule inet evr pre tcp dport %d drop" % port)

def client(case):
    A = socket.AF_INET
    if case == "a": nbconnect(A, S4, 81)
    elif case == "b": blackhole(82); nbconnect(A, S4, 82)
    elif case == "c": bconnect(A, S4, 81)
    elif case == "d": blackhole(84); bconnect(A, S4, 84)
    elif case in ("e", "e_uto", "n_e"):
        fam, addr, port = (socket.AF_INET6, S6, 93) if case == "n_e" else (A, S4, 85 if case == "e" else 86)
        s = socket.create_connection((addr, port))
        if case == "e_uto":
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_USER_TIMEOUT, 3000)
        s.sendall(b"x" * 1000); time.sleep(0.3)
        blackhole(port, "ip6" if case == "n_e" else "ip")
        s.send(b"y" * 2000); wait_err(s)
    elif case == "f":
        s = socket.create_connection((S4, 87))
        s.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 1)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, 1)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT, 2)
        s.sendall(b"hello"); time.sleep(0.3); blackhole(87); wait_err(s)
    elif case == "g_cc_nodata":
        s = socket.create_connection((S4, 88)); time.sleep(0.2); s.close(); time.sleep(0.5)
    elif case == "g_cc_data":
        s = socket.create_connection((S4, 88)); s.sendall(b"ping" * 100); s.recv(100); time.sleep(0.2); s.close(); time.sleep(0.5)
    elif case == "g_sc_data":
        s = socket.create_connection((S4, 89)); s.sendall(b"ping" * 100)
        while s.recv(4096): pass
        s.close(); time.sleep(0.5)
    elif case == "g_sc_nodata":
        s = socket.create_connection((S4, 89))
        while s.recv(4096): pass
        s.close(); time.sleep(0.5)
    elif case == "g_retr":
        s = socket.create_connection((S4, 90)); s.sendall(b"a" * 100); time.sleep(0.2)
        os.system("ip netns exec evr-b nft add rule inet evr pre ip saddr 198.18.50.1 tcp dport 90 drop")
        s.sendall(b"b" * 3000); time.sleep(1.5)
        os.system("ip netns exec evr-b nft flush chain inet evr pre")
        time.sleep(2.5); s.close(); time.sleep(0.5)
    elif case in ("h_queued", "n_h_queued"):
        addr = S6 if case == "n_h_queued" else S4
        fam = socket.AF_INET6 if case == "n_h_queued" else A
        cs = [socket.create_connection((addr, 91)) for _ in range(2)]
        time.sleep(1.5)
        for c in cs: c.close()
    elif case == "h_mapped":
        s = socket.create_connection((S4, 92)); s.sendall(b"m"); time.sleep(0.3); s.close(); time.sleep(0.5)
    elif case == "i_client":
        s = socket.create_connection((S4, 94)); s.sendall(b"d" * 100); time.sleep(0.2)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, LING0); s.close(); time.sleep(0.3)
    elif case in ("i_server", "j"):
        s = socket.create_connection((S4, 95)); s.sendall(b"d" * 100)
        try:
            while s.recv(4096): pass
            print("eof")
        except OSError as e: print("recv", e)
        s.close(); time.sleep(0.3)
    elif case == "k":
        s = socket.socket(); s.close()
        s = socket.socket(); s.bind(("198.18.50.1", 0)); print("bound", s.getsockname()); s.close()
        s = socket.socket(); s.bind(("0.0.0.0", 0)); s.listen(1); print("listen", s.getsockname()); s.close()
        s = socket.socket(); s.listen(1); print("autobind listen", s.getsockname()); s.close()
        time.sleep(0.3)
    elif case == "l":
        s = socket.create_connection((S4, 96)); s.sendall(b"q"); time.sleep(0.3); s.close(); time.sleep(0.5)
    elif case == "m":
        s = socket.create_connection((S4, 97)); s.setblocking(False)
        tot = 0
        for _ in range(200):
            try: tot += s.send(b"z" * 65536)
            except BlockingIOError: time.sleep(0.05)
        print("sent", tot, flush=True); time.sleep(1.0)
        blackhole(97); wait_err(s, 120)
    elif case == "n_a": nbconnect(socket.AF_INET6, S6, 81)
    elif case == "n_mapped":
        s = socket.create_connection((S4, 98)); s.sendall(b"v4"); s.recv(10); s.close(); time.sleep(0.5)
    else: sys.exit("unknown client case " + case)

def serve_once(l, wait_close=0.0, read=True, linger0=False, close_first=False, reply=None):
    c, _ = l.accept()
    if linger0:
        c.recv(100); time.sleep(0.2)
        c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, LING0); c.close(); return
    if close_first:
        if read: c.recv(4096)
        c.close(); return
    if reply:
        c.recv(4096); c.sendall(reply)
    if read:
        while True:
            try:
                d = c.recv(65536)
            except OSError as e:
                print("server recv", e); break
            if not d: break
    else:
        time.sleep(wait_close)
    c.close()

def server(case):
    A, A6 = socket.AF_INET, socket.AF_INET6
    if case in ("e", "e_uto", "f"):
        port = {"e": 85, "e_uto": 86, "f": 87}[case]
        l = listener(A, S4, port); c, _ = l.accept(); time.sleep({"f": 8}.get(case, 25)); c.close(); l.close()
    elif case == "n_e":
        l = listener(A6, S6, 93); c, _ = l.accept(); time.sleep(25); c.close(); l.close()
    elif case in ("g_cc_nodata", "g_cc_data"):
        l = listener(A, S4, 88); serve_once(l, reply=b"pong" if case == "g_cc_data" else None); l.close()
    elif case in ("g_sc_data", "g_sc_nodata"):
        l = listener(A, S4, 89); serve_once(l, close_first=True, read=case == "g_sc_data"); time.sleep(0.5); l.close()
    elif case == "g_retr":
        l = listener(A, S4, 90); serve_once(l); l.close()
    elif case in ("h_queued", "n_h_queued"):
        fam, addr = (A6, S6) if case == "n_h_queued" else (A, S4)
        l = listener(fam, addr, 91); time.sleep(1.0); l.close(); time.sleep(0.5)
        l = listener(A, "0.0.0.0", 99); l.close()
        l = listener(A6, "::", 99); l.close()
    elif case == "h_mapped":
        l = listener(A6, "::", 92); serve_once(l); l.close()
    elif case == "i_client":
        l = listener(A, S4, 94); serve_once(l); l.close()
    elif case == "i_server":
        l = listener(A, S4, 95); serve_once(l, linger0=True); l.close()
    elif case == "j":
        l = listener(A, S4, 95); serve_once(l, linger0=True); l.close()
    elif case == "l":
        l = listener(A, S4, 96); c, _ = l.accept(); time.sleep(0.2)
        c.sendall(b"unread"); time.sleep(0.5); c.close(); time.sleep(0.5); l.close()
    elif case == "m":
        l = listener(A, S4, 97); c, _ = l.accept(); time.sleep(60); c.close(); l.close()
    elif case == "n_mapped":
        l = listener(A6, "::", 98); serve_once(l, reply=b"ok"); l.close()
    else: sys.exit("unknown server case " + case)

if __name__ == "__main__":
    (client if sys.argv[1] == "client" else server)(sys.argv[2])
