#!/usr/bin/env python3
"""Network throughput and the cost of I/O: virtio-net-pci against e1000.

Debian's kernel (scripts/make-linux-guest.sh with the NIC modules) gets an
address from slirp (-nic user), then
  rx: wget fetches 64 MiB from an HTTP server on the host's 127.0.0.1
      (at about 100 MB/s a shorter transfer is mostly the guest clock's
      10 ms steps and start-up);
  tx: busybox nc sends 16 MiB to a TCP sink on the host's 127.0.0.1.
Throughput comes from the guest's own clock (/proc/uptime around each
transfer).  On Vireo the QMP query-iostats counters are read around each
phase (reset as the phase starts, read as it ends), giving exits,
interrupts and copies per packet, and the two phases fit the classic
overhead model  exits = C1*data_packets + C2*acks  for each NIC.
The same guest runs under qemu-system-x86_64 -accel tcg when installed.
    bench/net.sh [MODEL...]     (default: virtio-net-pci e1000)
"""
import json, os, re, shutil, socket, subprocess, sys, threading, time, http.server, functools

top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
build = os.environ.get("BUILD", os.path.join(top, "build"))
vireo = os.path.join(build, "vireo")
RX_SIZE = 64 << 20
SIZE = 16 << 20                 # tx
models = sys.argv[1:] or ["virtio-net-pci", "e1000"]
mods = {"e1000": "e1000", "virtio-net-pci": "virtio_pci virtio_net"}

env = dict(os.environ, GUEST_MODULES=" ".join(mods[m] for m in models))
kernel, initrd = subprocess.run([os.path.join(top, "scripts/make-linux-guest.sh")], env=env,
                                check=True, capture_output=True, text=True).stdout.split()[:2]
work = os.path.join(build, "bench-net")
os.makedirs(work, exist_ok=True)
with open(os.path.join(work, "blob"), "wb") as f:
    f.write(os.urandom(RX_SIZE))

# host side: an HTTP server and a TCP sink on loopback
class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *a):
        pass
httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=work))
threading.Thread(target=httpd.serve_forever, daemon=True).start()
sink = socket.socket()
sink.bind(("127.0.0.1", 0))
sink.listen(4)
sink_bytes = []
def sink_loop():
    while True:
        c, _ = sink.accept()
        n = 0
        while True:
            b = c.recv(1 << 16)
            if not b:
                break
            n += len(b)
        sink_bytes.append(n)
        c.close()
threading.Thread(target=sink_loop, daemon=True).start()
hport, sport = httpd.server_address[1], sink.getsockname()[1]

cmds = ("ip link set eth0 up; sleep 1; timeout 60 udhcpc -i eth0 -n -q -t 10 >/dev/null; "
        "echo phase-rx-start; sleep 2; t0=$(cut -d' ' -f1 /proc/uptime); "
        f"wget -q -O /dev/null http://10.0.2.2:{hport}/blob; t1=$(cut -d' ' -f1 /proc/uptime); "
        "echo phase-rx-end $t0 $t1; sleep 2; "
        "echo phase-tx-start; sleep 2; t0=$(cut -d' ' -f1 /proc/uptime); "
        f"dd if=/dev/zero bs=65536 count={SIZE >> 16} 2>/dev/null | nc 10.0.2.2 {sport}; "
        "t1=$(cut -d' ' -f1 /proc/uptime); echo phase-tx-end $t0 $t1; sleep 2")
append = f'console=ttyS0 quiet vireo.cmd="{cmds}" vireo.end'

def qmp_connect(path):
    for _ in range(200):
        try:
            s = socket.socket(socket.AF_UNIX)
            s.connect(path)
            f = s.makefile("rw")
            f.readline()
            f.write('{"execute":"qmp_capabilities"}\n'); f.flush(); f.readline()
            return f
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("no QMP")

def qmp(f, cmd, args=None):
    f.write(json.dumps({"execute": cmd, "arguments": args or {}}) + "\n"); f.flush()
    while True:
        r = json.loads(f.readline())
        if "return" in r or "error" in r:
            return r.get("return")

def run(emu, model):
    argv = [emu, "-nographic", "-no-reboot", "-m", "256", "-kernel", kernel, "-initrd", initrd,
            "-nic", f"user,model={model}", "-append", append]
    qpath = None
    if emu == vireo:
        qpath = os.path.join(work, f"qmp-{model}.sock")
        if os.path.exists(qpath):
            os.unlink(qpath)
        argv += ["-qmp", f"unix:{qpath},server=on,wait=off"]
    else:
        argv += ["-accel", "tcg"]
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                         errors="replace")
    q = qmp_connect(qpath) if qpath else None
    res = {}
    deadline = time.time() + 900
    for line in p.stdout:
        line = line.strip()
        m = re.match(r"phase-(rx|tx)-(start|end)(?: ([\d.]+) ([\d.]+))?", line)
        if m and q:
            if m.group(2) == "start":
                qmp(q, "query-iostats", {"reset": True})
            else:
                st = [d for d in qmp(q, "query-iostats") if d["device"].startswith(model)]
                res[m.group(1) + "-stats"] = st[0] if st else None
        if m and m.group(2) == "end":
            res[m.group(1)] = float(m.group(4)) - float(m.group(3))
        if time.time() > deadline:
            p.kill()
            break
    p.wait()
    return res

emus = [("vireo", vireo)]
if shutil.which("qemu-system-x86_64"):
    emus.append(("qemu", shutil.which("qemu-system-x86_64")))
results = {}
for model in models:
    for name, emu in emus:
        results[(name, model)] = run(emu, model)

size_mb = {"rx": RX_SIZE / 1e6, "tx": SIZE / 1e6}
print(f"{'NIC':16} {'direction':9} " + " ".join(f"{n + ' MB/s':>11}" for n, _ in emus) +
      ("   vireo/qemu" if len(emus) > 1 else ""))
for model in models:
    for d, label in (("rx", "host->guest"), ("tx", "guest->host")):
        vals = [results[(n, model)].get(d) for n, _ in emus]
        mb = size_mb[d]
        cols = " ".join(f"{mb / v:11.1f}" if v else f"{'failed':>11}" for v in vals)
        ratio = ""
        if len(vals) > 1 and vals[0] and vals[1]:
            ratio = f"   {(mb / vals[0]) / (mb / vals[1]):10.2f}"
        print(f"{model:16} {label:11} {cols}{ratio}")

print("\nVireo's I/O cost per packet (QMP query-iostats over each phase):")
print(f"{'NIC':16} {'phase':6} {'packets':>8} {'exits/pkt':>10} {'irqs/pkt':>9} {'kicks/pkt':>10} "
      f"{'copies/pkt':>11} {'bytes/pkt':>10}")
fits = {}
for model in models:
    rows = []
    for d in ("rx", "tx"):
        st = results[("vireo", model)].get(d + "-stats")
        if not st:
            print(f"{model:16} {d:6} (no statistics)")
            continue
        # packets as on the wire: a receive request virtio-net coalesced
        # from several of the backend's frames counts each of them
        pk = st["tx-requests"] + st["rx-requests"] + st.get("rx-coalesced", 0)
        per = lambda k: st[k] / pk if pk else 0
        print(f"{model:16} {d:6} {pk:8d} {per('exits'):10.2f} {per('interrupts'):9.3f} {per('kicks'):10.2f} "
              f"{per('copy-buffers'):11.2f} {per('copy-bytes'):10.0f}")
        rxp = st["rx-requests"] + st.get("rx-coalesced", 0)
        data, acks = (rxp, st["tx-requests"]) if d == "rx" else (st["tx-requests"], rxp)
        rows.append((data, acks, st["exits"]))
    if len(rows) == 2:
        (a1, b1, y1), (a2, b2, y2) = rows
        det = a1 * b2 - a2 * b1
        if det:
            fits[model] = ((y1 * b2 - y2 * b1) / det, (a1 * y2 - a2 * y1) / det)
print("\nOverhead model  exits = C1*data_packets + C2*acks  (fitted from the two phases):")
for model, (c1, c2) in fits.items():
    print(f"{model:16} C1 = {c1:7.2f} exits/data packet   C2 = {c2:7.2f} exits/ack")
if "e1000" in fits and "virtio-net-pci" in fits:
    def total(m):
        s = [results[("vireo", m)].get(d + "-stats") for d in ("rx", "tx")]
        pk = sum(x["tx-requests"] + x["rx-requests"] + x.get("rx-coalesced", 0) for x in s)
        return sum(x["exits"] for x in s) / pk
    print(f"\nexits per packet: e1000 {total('e1000'):.2f}, virtio-net-pci {total('virtio-net-pci'):.2f}, "
          f"ratio {total('e1000') / max(total('virtio-net-pci'), 1e-9):.1f}x")
