#!/usr/bin/env python3
"""
Hostile and careless clients must not stall or crash Vireo (issue #13,
"found" items 1, 3, 4 and 6).  Each case starts $BUILD/vireo (SeaBIOS, no
display) with G_DEBUG=fatal-criticals, so a GLib-CRITICAL aborts it, and
checks what a user would see:

  hmp-pipeline   an HMP client pipelines output-heavy commands and never
                 reads: QMP on another socket keeps answering, the HMP
                 client is dropped with a logged reason, quit still works.
  hmp-2mb-line   a 2 MB HMP line from a client that never reads: same.
  serial-stall   a -serial chardev client that stops reading: the UART holds
                 its THR (LSR.THRE/TEMT read 0) so a driver that waits for
                 THRE waits, the monitor answers meanwhile, and once the
                 client reads again every byte arrives, in order.
  parallel-stall the same for LPT1: the printer reads BUSY while it holds
                 its byte, and acknowledges it once the client reads.
  debugcon-stall port 0xe9 has no status: its output is dropped while the
                 client does not read (the guest never stalls), with one
                 warning, and a count of the bytes lost once it reads again.
  gdbserver      HMP "gdbserver" six times: the old ports are closed (no
                 stale listener, no fd growth), "gdbserver none" closes the
                 last, the VM lives on.
  fd-limit       at the fd limit a gdb connection cannot be accepted: the
                 main loop does not spin, and the connection is accepted
                 once fds are available again.
  qmp-hangup     QMP clients that hang up while replies are being written:
                 no GLib-CRITICAL, Vireo keeps serving.
  mux-typeahead  -nographic: text typed for the guest before Ctrl-A c stays
                 with the serial port; the monitor sees only what was typed
                 after the switch.

Usage: clients.py [CASE...]   (BUILD selects the build dir, default build)
Prints "ok - CASE" / "not ok - CASE: reason" lines; exit 1 if any failed.
"""
import atexit
import json
import os
import resource
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback

# every test's sockets and logs go under one directory, removed at exit
TMP_ROOT = tempfile.mkdtemp(prefix="vireo-rel-")
atexit.register(shutil.rmtree, TMP_ROOT, True)

BUILD = os.environ.get("BUILD", "build")
VIREO = os.path.abspath(os.path.join(BUILD, "vireo"))


class Failure(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Failure(what)


class Vm:
    """A Vireo process with its stderr captured to a file."""

    def __init__(self, args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL):
        self.dir = tempfile.mkdtemp(dir=TMP_ROOT)
        self.errpath = os.path.join(self.dir, "stderr")
        env = dict(os.environ, G_DEBUG="fatal-criticals")
        self.err = open(self.errpath, "w")
        self.proc = subprocess.Popen([VIREO, "-display", "none", "-m", "64"] + args,
                                     stdin=stdin, stdout=stdout, stderr=self.err, env=env)

    def path(self, name):
        return os.path.join(self.dir, name)

    def stderr(self):
        with open(self.errpath) as f:
            return f.read()

    def alive(self):
        return self.proc.poll() is None

    def nfds(self):
        return len(os.listdir("/proc/%d/fd" % self.proc.pid))

    def cpu_seconds(self):
        with open("/proc/%d/stat" % self.proc.pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def wait(self, timeout=10):
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise Failure("Vireo did not exit within %d s" % timeout)

    def kill(self):
        if self.alive():
            self.proc.kill()
            self.proc.wait()
        self.err.close()


def connect_unix(path, timeout=10):
    deadline = time.time() + timeout
    while True:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.connect(path)
            return s
        except OSError:
            s.close()
            if time.time() > deadline:
                raise Failure("cannot connect to %s" % path)
            time.sleep(0.02)


class Qmp:
    def __init__(self, path):
        self.sock = connect_unix(path)
        self.buf = b""
        greeting = self.recv(10)
        check("QMP" in greeting, "no QMP greeting: %r" % greeting)
        self.cmd("qmp_capabilities")

    def recv(self, timeout):
        deadline = time.time() + timeout
        while b"\n" not in self.buf:
            left = deadline - time.time()
            if left <= 0 or not select.select([self.sock], [], [], left)[0]:
                raise Failure("QMP: no answer within %.1f s" % timeout)
            data = self.sock.recv(65536)
            if not data:
                raise Failure("QMP: connection closed")
            self.buf += data
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

    def cmd(self, name, timeout=5, **args):
        msg = {"execute": name}
        if args:
            msg["arguments"] = args
        self.sock.sendall(json.dumps(msg).encode() + b"\n")
        while True:
            r = self.recv(timeout)
            if "return" in r or "error" in r:
                return r

    def latency(self):
        t = time.time()
        r = self.cmd("query-status", timeout=2)
        check("return" in r, "query-status failed: %r" % r)
        return time.time() - t


def hmp_cmd(sock, line, timeout=5):
    """Send an HMP line and return the output up to the next prompt."""
    sock.sendall(line.encode() + b"\r\n")
    out = b""
    deadline = time.time() + timeout
    while not out.endswith(b"(qemu) "):
        left = deadline - time.time()
        if left <= 0 or not select.select([sock], [], [], left)[0]:
            raise Failure("HMP: no prompt after %r (got %r)" % (line, out[-200:]))
        data = sock.recv(65536)
        if not data:
            raise Failure("HMP: connection closed after %r" % line)
        out += data
    return out.decode(errors="replace")


def hmp_open(path):
    s = connect_unix(path)
    out = b""
    deadline = time.time() + 10
    while not out.endswith(b"(qemu) "):
        check(time.time() < deadline, "no HMP banner")
        if select.select([s], [], [], 1)[0]:
            out += s.recv(4096)
    return s


def probe_monitor(qmp, seconds, limit):
    """query-status repeatedly for a while; the slowest answer must be under limit."""
    worst = 0.0
    end = time.time() + seconds
    while time.time() < end:
        worst = max(worst, qmp.latency())
        time.sleep(0.05)
    check(worst < limit, "QMP answered in %.3f s (limit %.1f s)" % (worst, limit))
    return worst


def drain_until_eof(sock, timeout):
    sock.setblocking(True)
    sock.settimeout(timeout)
    total = 0
    try:
        while True:
            data = sock.recv(1 << 20)
            if not data:
                return total
            total += len(data)
    except ConnectionResetError:
        return total                    # closed with our input unread: RST
    except socket.timeout:
        raise Failure("client was not disconnected (read %d bytes, no EOF)" % total)


def stuff_without_reading(sock, payload, max_bytes):
    """Write payload repeatedly until the socket is full or max_bytes went."""
    sock.setblocking(False)
    sent = 0
    stalls = 0
    while sent < max_bytes and stalls < 20:
        off = sent % len(payload)
        try:
            sent += sock.send(payload[off:off + max_bytes - sent])
            stalls = 0
        except BlockingIOError:
            stalls += 1
            time.sleep(0.05)
        except OSError:
            break          # dropped already
    return sent


def run_flood(payload, expect_drop):
    """A client writes payload over and over (or once) without reading."""
    d = tempfile.mkdtemp(dir=TMP_ROOT)
    qpath, hpath = os.path.join(d, "q"), os.path.join(d, "h")
    vm = Vm(["-qmp", "unix:%s,server=on,wait=off" % qpath,
             "-monitor", "unix:%s,server=on,wait=off" % hpath])
    try:
        qmp = Qmp(qpath)
        h = hmp_open(hpath)
        sent = stuff_without_reading(h, payload, 64 << 20 if expect_drop else len(payload))
        worst = probe_monitor(qmp, 2.0, 1.0)
        if expect_drop:
            got = drain_until_eof(h, 10)
            check("dropping the client" in vm.stderr(),
                  "no log line about the dropped client; stderr: %r" % vm.stderr()[-300:])
            h = hmp_open(hpath)          # the next client is served normally
            what = "dropped after reading %d bytes" % got
        else:
            h.setblocking(True)
            rest = b""
            deadline = time.time() + 10
            while not rest.endswith(b"(qemu) "):
                check(time.time() < deadline, "no prompt after the long line: %r" % rest[-200:])
                rest += h.recv(1 << 20)
            check(b"unknown command" in rest, "long line: %r" % rest[-200:])
            what = "the long line was cut at %d bytes" % (len(rest) - 64)
        check("VM status: running" in hmp_cmd(h, "info status"), "HMP client not served")
        r = qmp.cmd("quit")
        check("return" in r, "quit failed: %r" % r)
        check(vm.wait() == 0, "exit status %s" % vm.proc.returncode)
        return "sent %d bytes, %s, worst QMP latency %.3f s" % (sent, what, worst)
    finally:
        vm.kill()


def case_hmp_pipeline():
    return run_flood(("info registers\r\ninfo mtree\r\nxp /512x 0\r\n" * 64).encode(), True)


def case_hmp_2mb_line():
    return run_flood(b"a" * (2 << 20) + b"\r\n", False)


# ---- serial back-pressure, driven through qtest ----

class Qtest:
    """Vireo connects to our listening socket (as with libqtest)."""

    def __init__(self, d, extra):
        self.lpath = os.path.join(d, "qtest")
        lsock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        lsock.bind(self.lpath)
        lsock.listen(1)
        self.vm = Vm(["-qtest", "unix:" + self.lpath, "-qtest-log", "/dev/null",
                      "-accel", "qtest"] + extra)
        lsock.settimeout(10)
        self.sock, _ = lsock.accept()
        lsock.close()
        self.f = self.sock.makefile("rb")

    def batch(self, cmds):
        self.sock.sendall(("".join(c + "\n" for c in cmds)).encode())
        out = []
        for _ in cmds:
            line = self.f.readline()
            check(line, "qtest: connection closed")
            out.append(line.decode().strip())
        return out


def pattern(i):
    return (i * 7 + 3) % 251


class Uart:
    """A driver of the COM1 UART: THR at 0x3f8, ready when LSR.THRE is set."""
    name, status_port = "THR", 0x3fd
    device = ["-serial", "chardev:out"]

    @staticmethod
    def ready(status):
        return status & 0x20

    @staticmethod
    def check_held(status):
        check(not status & 0x40, "TEMT set while THR is held (LSR %#x)" % status)

    @staticmethod
    def send(byte):
        return ["outb 0x3f8 0x%x" % byte]


class Printer:
    """A driver of LPT1: data at 0x378, STROBE pulsed in the control register
    at 0x37a, ready when the status register at 0x379 reads not BUSY."""
    name, status_port = "the printer", 0x379
    device = ["-parallel", "chardev:out"]

    @staticmethod
    def ready(status):
        return status & 0x80

    @staticmethod
    def check_held(status):
        check(status & 0x40, "nACK asserted while the byte is held (status %#x)" % status)

    @staticmethod
    def send(byte):
        return ["outb 0x378 0x%x" % byte, "outb 0x37a 0xd", "outb 0x37a 0xc"]


def stall_case(drv):
    """A client of the port's chardev stops reading: the port holds its byte
    and says so in its status register, a driver that polls the status waits,
    the monitor answers meanwhile, and once the client reads again every
    byte arrives, in order."""
    d = tempfile.mkdtemp(dir=TMP_ROOT)
    spath, qpath = os.path.join(d, "out"), os.path.join(d, "qmp")
    qt = Qtest(d, ["-chardev", "socket,id=out,path=%s,server=on,wait=off" % spath] + drv.device +
               ["-qmp", "unix:%s,server=on,wait=off" % qpath])
    vm = qt.vm
    status_cmd = "inb 0x%x" % drv.status_port
    per = len(drv.send(0))
    try:
        client = connect_unix(spath)
        qmp = Qmp(qpath)
        # phase 1: the driver sends a byte and reads the status after each;
        # the client does not read.  Stop at the first "not ready" status.
        n, held = 0, None
        while held is None:
            check(n < (8 << 20), "%s never became busy after %d bytes" % (drv.name, n))
            cmds = []
            for i in range(n, n + 2048):
                cmds += drv.send(pattern(i)) + [status_cmd]
            replies = qt.batch(cmds)
            for k in range(2048):
                r = replies[(per + 1) * k:(per + 1) * (k + 1)]
                check(all(x == "OK" for x in r[:per]), "out: %r" % r[:per])
                status = int(r[per].split()[1], 16)
                if not drv.ready(status):
                    held = n + k
                    drv.check_held(status)
                    break
            n += 2048
        # the port stays busy while nobody reads; the monitor answers
        for _ in range(5):
            status = int(qt.batch([status_cmd])[0].split()[1], 16)
            check(not drv.ready(status), "%s became ready while the client was not reading" % drv.name)
            time.sleep(0.1)
        worst = probe_monitor(qmp, 1.0, 1.0)
        # phase 2: the client reads; the driver waits until ready before each byte
        client.setblocking(False)
        got = bytearray()

        def pump():
            try:
                while True:
                    data = client.recv(1 << 20)
                    if not data:
                        break
                    got.extend(data)
            except BlockingIOError:
                pass
        extra = 4096
        j = 0
        deadline = time.time() + 30
        while j < extra:
            check(time.time() < deadline, "%s did not become ready after the client read" % drv.name)
            pump()
            status = int(qt.batch([status_cmd])[0].split()[1], 16)
            if drv.ready(status):
                qt.batch(drv.send(pattern(held + 1 + j)))
                j += 1
        want = bytes(pattern(i) for i in range(held + 1 + extra))
        deadline = time.time() + 10
        while len(got) < len(want) and time.time() < deadline:
            pump()
            time.sleep(0.01)
        pump()
        check(len(got) == len(want) and got == want,
              "output lost or reordered: got %d bytes, want %d, first difference at %s" % (
                  len(got), len(want),
                  next((i for i in range(min(len(got), len(want))) if got[i] != want[i]), "end")))
        return "%s held after %d bytes; worst QMP latency %.3f s; all %d bytes arrived in order" % (
            drv.name, held + 1, worst, len(got))
    finally:
        vm.kill()


def case_serial_stall():
    return stall_case(Uart)


def case_parallel_stall():
    return stall_case(Printer)


def case_debugcon_stall():
    """Port 0xe9 has no status: while the client does not read, output is
    dropped (never stalls the guest), Vireo warns once, and says how much was
    lost once the client reads again; later output arrives whole."""
    d = tempfile.mkdtemp(dir=TMP_ROOT)
    spath, qpath = os.path.join(d, "out"), os.path.join(d, "qmp")
    qt = Qtest(d, ["-chardev", "socket,id=out,path=%s,server=on,wait=off" % spath,
                   "-debugcon", "chardev:out", "-qmp", "unix:%s,server=on,wait=off" % qpath])
    vm = qt.vm
    try:
        client = connect_unix(spath)
        qmp = Qmp(qpath)
        total = 0
        t0 = time.time()
        while "dropping debug output" not in vm.stderr():
            check(total < (16 << 20), "no warning after %d bytes to port 0xe9" % total)
            qt.batch(["outb 0xe9 0x41"] * 4096)
            total += 4096
        qt.batch(["outb 0xe9 0x41"] * 4096)     # more, dropped, without a stall
        total += 4096
        worst = probe_monitor(qmp, 0.5, 1.0)
        check(vm.stderr().count("dropping debug output") == 1, "the warning is repeated:\n" + vm.stderr())
        client.setblocking(False)
        got = bytearray()
        deadline = time.time() + 20
        while "bytes of debug output were dropped" not in vm.stderr():
            check(time.time() < deadline, "no count of dropped bytes after the client read")
            try:
                got.extend(client.recv(1 << 20))
            except BlockingIOError:
                time.sleep(0.01)
        line = [l for l in vm.stderr().splitlines() if "were dropped" in l][0]
        dropped = int(line.split("vireo: warning: isa-debugcon: ")[1].split()[0])
        tail = b"after the stall\n"
        qt.batch(["outb 0xe9 0x%x" % b for b in tail])
        deadline = time.time() + 10
        while not got.endswith(tail) and time.time() < deadline:
            try:
                got.extend(client.recv(1 << 20))
            except BlockingIOError:
                time.sleep(0.01)
        check(got.endswith(tail), "output after the stall did not arrive: %r" % bytes(got[-40:]))
        check(len(got) - len(tail) + dropped == total,
              "%d bytes arrived and %d were reported dropped, of %d written" % (
                  len(got) - len(tail), dropped, total))
        return "%d of %d bytes dropped and reported; worst QMP latency %.3f s" % (dropped, total, worst)
    finally:
        vm.kill()


# ---- gdbserver: no leaked listeners ----

def port_listening(port):
    s = socket.socket()
    try:
        s.connect(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def case_gdbserver():
    d = tempfile.mkdtemp(dir=TMP_ROOT)
    hpath = os.path.join(d, "h")
    vm = Vm(["-monitor", "unix:%s,server=on,wait=off" % hpath])
    try:
        h = hmp_open(hpath)
        ports = []
        fds = []
        for i in range(6):
            port = free_port()
            out = hmp_cmd(h, "gdbserver tcp::%d" % port)
            check("Waiting for gdb connection" in out, "gdbserver said %r" % out)
            ports.append(port)
            fds.append(vm.nfds())
        # the same port again is possible too: the old listener is gone
        out = hmp_cmd(h, "gdbserver tcp::%d" % ports[-1])
        check("Waiting for gdb connection" in out, "same port again: %r" % out)
        check(port_listening(ports[-1]), "the current gdb port does not listen")
        for p in ports[:-1]:
            check(not port_listening(p), "old gdb port %d still accepts connections" % p)
        check(fds[-1] == fds[0], "fds grew from %d to %d over six gdbserver calls" % (fds[0], fds[-1]))
        # a gdb on the live port is answered
        g = socket.create_connection(("127.0.0.1", ports[-1]), timeout=5)
        g.sendall(b"+$?#3f")
        reply = b""
        while b"#" not in reply:
            data = g.recv(100)
            check(data, "gdb: connection closed")
            reply += data
        check(b"$T" in reply or b"$S" in reply, "gdb stop reply: %r" % reply)
        g.close()
        out = hmp_cmd(h, "gdbserver none")
        check(not port_listening(ports[-1]), "gdbserver none left the port open")
        check("VM status" in hmp_cmd(h, "info status"), "VM gone after gdbserver none")
        h.sendall(b"quit\r\n")
        check(vm.wait() == 0, "exit status %s" % vm.proc.returncode)
        return "fds stayed at %d over 7 calls" % fds[0]
    finally:
        vm.kill()


# ---- the fd limit: accept() failing must not spin the main loop ----

def case_fd_limit():
    d = tempfile.mkdtemp(dir=TMP_ROOT)
    gpath = os.path.join(d, "gdb")
    vm = Vm(["-S", "-gdb", "unix:%s,server=on,wait=off" % gpath])
    try:
        deadline = time.time() + 10
        while not os.path.exists(gpath):
            check(time.time() < deadline, "gdb socket never appeared")
            time.sleep(0.02)
        time.sleep(0.2)
        n = vm.nfds()
        soft, hard = resource.prlimit(vm.proc.pid, resource.RLIMIT_NOFILE)
        resource.prlimit(vm.proc.pid, resource.RLIMIT_NOFILE, (n, hard))
        g = connect_unix(gpath)          # queued in the backlog; accept() fails
        time.sleep(0.3)
        c0 = vm.cpu_seconds()
        time.sleep(2.0)
        used = vm.cpu_seconds() - c0
        check(used < 0.5, "main loop spun at the fd limit: %.2f s CPU in 2 s" % used)
        check("cannot accept" in vm.stderr(), "no log line about the failed accept: %r" %
              vm.stderr()[-300:])
        resource.prlimit(vm.proc.pid, resource.RLIMIT_NOFILE, (soft, hard))
        g.settimeout(5)
        g.sendall(b"+$?#3f")
        # the ack and the stop reply may come in separate segments
        reply = b""
        end = time.time() + 5
        while b"$" not in reply and time.time() < end:
            chunk = g.recv(100)
            if not chunk:
                break
            reply += chunk
        check(b"$" in reply, "gdb not served once fds were available: %r" % reply)
        return "%.2f s CPU in 2 s at the limit" % used
    finally:
        vm.kill()


# ---- peers hanging up while replies are written ----

def case_qmp_hangup():
    d = tempfile.mkdtemp(dir=TMP_ROOT)
    qpath, q2path = os.path.join(d, "q"), os.path.join(d, "q2")
    vm = Vm(["-qmp", "unix:%s,server=on,wait=off" % qpath,
             "-qmp", "unix:%s,server=on,wait=off" % q2path])
    try:
        probe = Qmp(q2path)
        burst = (b'{"execute":"qmp_capabilities"}\n' +
                 b'{"execute":"query-commands"}\n' * 50 +
                 b'{"execute":"human-monitor-command","arguments":{"command-line":"info mtree"}}\n' * 20)
        for i in range(30):
            s = connect_unix(qpath)
            s.settimeout(5)
            try:
                greeting = s.recv(4096)            # Vireo has accepted us
            except OSError as e:
                raise Failure("hang-up %d: %s; Vireo %s; stderr: %r" % (
                    i, e, "alive" if vm.alive() else "died", vm.stderr()[-300:]))
            check(b"QMP" in greeting, "no greeting")
            s.sendall(burst)
            if i % 2:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\1\0\0\0\0\0\0\0")
            s.close()
        worst = probe_monitor(probe, 1.0, 1.0)
        check(vm.alive(), "Vireo died: %r" % vm.stderr()[-500:])
        check("CRITICAL" not in vm.stderr(), "GLib-CRITICAL: %r" % vm.stderr()[-500:])
        r = probe.cmd("quit")
        check(vm.wait() == 0, "exit status %s" % vm.proc.returncode)
        return "30 hang-ups, worst QMP latency %.3f s" % worst
    finally:
        vm.kill()


# ---- -nographic: typeahead stays with the serial port ----

def case_mux_typeahead():
    vm = Vm(["-S", "-nographic"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        out = bytearray()

        def read_for(seconds, until=None):
            end = time.time() + seconds
            while time.time() < end:
                if until and until in out:
                    return True
                if select.select([vm.proc.stdout], [], [], 0.1)[0]:
                    data = os.read(vm.proc.stdout.fileno(), 65536)
                    if not data:
                        break
                    out.extend(data)
            return until in out if until else True
        # the CPU is stopped, so the UART's receive FIFO (16 bytes) fills and
        # the rest of this line waits; it must stay addressed to the serial port
        typed = b"echo typed-for-the-guest-0123456789abcdefghij"
        vm.proc.stdin.write(typed + b"\x01c")
        vm.proc.stdin.flush()
        check(read_for(5, b"(qemu) "), "no monitor prompt after Ctrl-A c: %r" % bytes(out))
        vm.proc.stdin.write(b"info status\r")
        vm.proc.stdin.flush()
        check(read_for(5, b"VM status: paused"), "monitor did not answer: %r" % bytes(out))
        text = bytes(out).decode(errors="replace")
        check("unknown command" not in text and "typed-for" not in text,
              "guest typeahead reached the monitor: %r" % text)
        vm.proc.stdin.write(b"\x01x")
        vm.proc.stdin.flush()
        check(vm.wait() == 0, "Ctrl-A x: exit status %s" % vm.proc.returncode)
        return "monitor saw only its own line"
    finally:
        vm.kill()


CASE_TIMEOUT = 60

CASES = {
    "hmp-pipeline": case_hmp_pipeline,
    "hmp-2mb-line": case_hmp_2mb_line,
    "serial-stall": case_serial_stall,
    "parallel-stall": case_parallel_stall,
    "debugcon-stall": case_debugcon_stall,
    "gdbserver": case_gdbserver,
    "fd-limit": case_fd_limit,
    "qmp-hangup": case_qmp_hangup,
    "mux-typeahead": case_mux_typeahead,
}


def main():
    names = sys.argv[1:] or list(CASES)
    failed = 0
    def on_alarm(sig, frame):
        raise Failure("case timed out after %d s" % CASE_TIMEOUT)
    signal.signal(signal.SIGALRM, on_alarm)
    for name in names:
        t = time.time()
        signal.alarm(CASE_TIMEOUT)
        try:
            detail = CASES[name]()
            print("ok - %s (%.1f s): %s" % (name, time.time() - t, detail), flush=True)
        except Failure as e:
            failed += 1
            print("not ok - %s: %s" % (name, e), flush=True)
        except Exception:
            failed += 1
            print("not ok - %s: %s" % (name, traceback.format_exc().replace("\n", " | ")), flush=True)
        signal.alarm(0)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
