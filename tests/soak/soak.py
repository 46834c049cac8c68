#!/usr/bin/env python3
"""Vireo soak test (issue #13): boot Debian's Linux with every kind of client
Vireo serves (QMP, HMP, gdb, a serial console on a socket) attached, let
misbehaving clients connect, flood, stall and disconnect at random for a
while, and check that Vireo stays healthy.  Python 3 standard library only.

  tests/soak/soak.py --vireo build/vireo --kernel K --initrd I [--time 60]
  (normally run through tests/soak/run-soak.sh or `make soak`)

The VM gets one socket per client kind (a socket chardev takes one peer at
a time):
  qmp-probe.sock  -qmp        the well-behaved QMP prober (query-status)
  hmp-probe.sock  -monitor    the well-behaved HMP prober (info status)
  qmp.sock        -chardev socket + -mon mode=control   abusive QMP clients
  hmp.sock        -monitor    abusive HMP clients
  gdb.sock        -gdb        abusive gdb clients
  serial.sock     -serial     COM1: the guest's console, read by the
                              heartbeat reader (which is also the
                              misbehaving serial client)
The guest's /init (scripts/make-linux-guest.sh, vireo.cmd=) runs
  while :; do echo HB $n; echo PAD <200 zeros>; n=$((n+1)); sleep 1; done
The PAD line makes enough output that a console nobody reads backs up
within a second.

Misbehaviour, chosen by one random.Random per client kind seeded from the
seed printed at start (SOAK_SEED=N repeats the choices; thread timing still
varies):
  qmp/hmp: churn (connect/disconnect rapidly), garbage (random bytes,
    broken and wrong-shaped JSON, nesting past the limit; HMP: unknown
    commands, escape sequences), flood (hundreds of pipelined output-heavy
    commands: info registers, info mtree, x /1000x 0, ... read by a drain
    thread), bigline (a 2 MB line, then a query-status; no answer within
    30 s is a note in the summary, not a failure), idle (connect, read the greeting, say nothing, leave),
    stall* (pipeline output-heavy commands, never read, sleep, vanish);
  gdb: session (+$?#3f, $g#67, Ctrl-C, $c#63, reading replies), churn,
    idle ($c#63, then hold the connection, reading),
    garbage (bad checksums, random bytes, then $c#63), bigline (a 2 MB
    packet), flood (pipelined $g and $m with a drain), stall* (+$?#3f,
    $g#67 many times, Ctrl-C, $c#63 without reading, sleep, vanish);
  serial: reconnect (drop the console socket and reconnect: heartbeats
    printed meanwhile are lost, as with QEMU), slow* (read 32 bytes every
    250 ms), stop* (read nothing for a while).
  Actions marked * are the stalling ones; SOAK_NO_STALL=1 leaves them out.

Assertions (each failure is printed as "FAIL: <assertion>: <detail>"):
  heartbeat  After boot the heartbeat counter increases by exactly 1 from
             line to line (by more only across a serial reconnect), and no
             gap between two heartbeats (or after the last one) is longer
             than SOAK_MAX_GAP seconds (default 5) once the time spent in
             "excused" windows is taken out: a gdb client is connected or
             the QMP prober sees the VM not running (a debugger that
             attaches stops the VM, as with QEMU), or the serial reader
             deliberately reads slowly or not at all (plus 1 s of grace
             after each).  The VM must be running at the end (query-status).
  latency    Every query-status (QMP) and `info status` (HMP) of the probers,
             sent every 100-300 ms for the whole run, is answered within
             SOAK_MAX_LATENCY_MS (default 100 ms), measured from the send to
             the end of the answer; no exceptions, no percentile cut-off.
             A request unanswered after 30 s counts as 30 s.  The summary
             gives max and p99; a failure names the clients active then.
             (The probers are Python threads: expect a few ms of noise.)
  fds        The number of Vireo's open fds (/proc/PID/fd) after the chaos
             (all misbehaving clients gone, 10 s allowed for Vireo to
             notice) exceeds the count after boot by at most SOAK_FD_SLACK
             (default 2).
  rss        Vireo's RSS outside the guest RAM mapping (/proc/PID/smaps,
             mappings of -m bytes or more excluded: the guest RAM, possibly
             merged with a neighbour; the guest touching fresh pages is not
             a leak) grows by at most SOAK_RSS_MARGIN_MB
             (default 24) from after boot to the end.  VmRSS is reported too.
  health     Vireo stays alive until we stop it (SIGTERM, then SIGKILL after
             10 s), its stderr has no GLib CRITICAL/WARNING (it runs with
             G_DEBUG=fatal-criticals, so a critical is also a crash).
             SOAK_IGNORE_CRITICAL=REGEX waives a known bug: Vireo then runs
             without fatal-criticals and stderr lines matching REGEX are
             reported but do not fail the test.
The whole run has its own deadline (boot timeout + time + 120 s): past it,
the test prints "FAIL: overall timeout", kills Vireo and exits 1.
Exit status: 0 pass, 1 fail, 77 skip (never from here: run-soak.sh skips).
Logs (Vireo's stdout/stderr, the serial console, every action with its
time) go to --logdir (default $SOAK_LOGDIR, else $BUILD/tests/soak).
"""
import argparse
import ctypes
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

QMP_HEAVY = [
    'info registers', 'info mtree', 'x /1000x 0', 'xp /1000x 0xf0000',
    'info pci', 'info irq', 'help', 'x /200i 0xffff0',
]
HMP_HEAVY = QMP_HEAVY
QMP_LIGHT = ['query-status', 'query-version', 'query-commands', 'query-name',
             'query-kvm', 'query-chardev', 'query-cpus-fast']
TWO_MB = 2 * 1024 * 1024


def env_num(name, default, conv=float):
    v = os.environ.get(name)
    return conv(v) if v not in (None, '') else default


class Soak:
    def __init__(self, args):
        self.args = args
        self.seed = args.seed
        self.no_stall = args.no_stall
        self.t0 = time.monotonic()
        self.lock = threading.Lock()
        self.stop = threading.Event()          # chaos and probers end
        self.chaos_go = threading.Event()      # boot done, chaos may start
        self.chaos_end = threading.Event()     # chaos clients must finish
        self.booted = threading.Event()
        self.heartbeats = []                   # (t, n)
        self.reconnects = []                   # t of serial reconnects
        self.excuses = []                      # [start, end or None, why]
        self.counts = {}                       # kind -> action -> n
        self.actions = []                      # (start, end, kind, action, note)
        self.latencies = {'qmp': [], 'hmp': []}  # (t, seconds)
        self.notes = []                        # findings worth reporting
        self.prober_errors = []
        self.last_status = None                # the QMP prober's latest
        self.ram_kb = args.mem * 1024
        os.makedirs(args.logdir, exist_ok=True)
        self.log_f = open(os.path.join(args.logdir, 'soak.log'), 'w')
        self.sock_dir = tempfile.mkdtemp(prefix='vireo-soak-')
        self.vireo = None

    # -- bookkeeping -----------------------------------------------------
    def now(self):
        return time.monotonic() - self.t0

    def log(self, msg, echo=False):
        line = '[%8.3f] %s' % (self.now(), msg)
        with self.lock:
            self.log_f.write(line + '\n')
            self.log_f.flush()
        if echo:
            print('soak: ' + msg, flush=True)

    def path(self, name):
        return os.path.join(self.sock_dir, name)

    def count(self, kind, action):
        with self.lock:
            d = self.counts.setdefault(kind, {})
            d[action] = d.get(action, 0) + 1

    def excuse_begin(self, why):
        e = [self.now(), None, why]
        with self.lock:
            self.excuses.append(e)
        return e

    def excuse_end(self, e, extra=0.0):
        e[1] = self.now() + extra

    def note(self, msg):
        with self.lock:
            self.notes.append(msg)
        self.log('NOTE ' + msg)

    # -- Vireo -----------------------------------------------------------
    def start_vireo(self):
        a = self.args
        pad = 'p=$(printf %0200d 0)'
        loop = ('dmesg -n 1; %s; n=0; while :; do echo HB $n; echo PAD $p; '
                'n=$((n+1)); sleep 1; done' % pad)
        append = 'console=ttyS0 vireo.cmd="%s" vireo.end' % loop
        so = lambda n: 'unix:%s,server=on,wait=off' % self.path(n)
        cmd = [a.vireo, '-m', str(a.mem), '-display', 'none', '-no-reboot',
               '-kernel', a.kernel, '-initrd', a.initrd, '-append', append,
               '-serial', so('serial.sock'),
               '-qmp', so('qmp-probe.sock'),
               '-monitor', so('hmp-probe.sock'),
               '-chardev', 'socket,id=qmpabuse,path=%s,server=on,wait=off' % self.path('qmp.sock'),
               '-mon', 'chardev=qmpabuse,mode=control',
               '-monitor', so('hmp.sock'),
               '-gdb', so('gdb.sock')]
        env = dict(os.environ)
        if not a.ignore_critical:
            env['G_DEBUG'] = 'fatal-criticals'
        else:
            env.pop('G_DEBUG', None)
        self.out_path = os.path.join(a.logdir, 'vireo.out')
        self.err_path = os.path.join(a.logdir, 'vireo.err')
        out = open(self.out_path, 'wb')
        err = open(self.err_path, 'wb')

        def child_setup():
            # Vireo dies with us even if we are SIGKILLed
            try:
                libc = ctypes.CDLL(None, use_errno=True)
                libc.prctl(1, signal.SIGKILL)      # PR_SET_PDEATHSIG
            except Exception:
                pass
        self.log('wall clock %s; vireo: %s' % (time.strftime('%H:%M:%S'), ' '.join(cmd)))
        self.vireo = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out,
                                      stderr=err, env=env, preexec_fn=child_setup)
        self.killed_by_us = False

    def vireo_alive(self):
        return self.vireo is not None and self.vireo.poll() is None

    def kill_vireo(self):
        if not self.vireo_alive():
            return
        self.killed_by_us = True
        self.vireo.send_signal(signal.SIGTERM)
        try:
            self.vireo.wait(10)
        except subprocess.TimeoutExpired:
            self.log('vireo ignored SIGTERM for 10 s: SIGKILL', echo=True)
            self.vireo.kill()
            self.vireo.wait()

    def fd_count(self):
        try:
            return len(os.listdir('/proc/%d/fd' % self.vireo.pid))
        except OSError:
            return -1

    def rss(self):
        """(VmRSS kB, RSS outside the guest RAM mapping kB)"""
        pid = self.vireo.pid
        vmrss = -1
        try:
            with open('/proc/%d/status' % pid) as f:
                for line in f:
                    if line.startswith('VmRSS:'):
                        vmrss = int(line.split()[1])
            total = 0
            size = 0
            with open('/proc/%d/smaps' % pid) as f:
                for line in f:
                    if line.startswith('Size:'):
                        size = int(line.split()[1])
                    elif line.startswith('Rss:') and size < self.ram_kb:
                        total += int(line.split()[1])
            return vmrss, total
        except OSError:
            return vmrss, -1


def connect(path, timeout=5.0):
    """Connect to a unix socket server, waiting up to timeout while its
    backlog is full (Vireo accepts the next peer only when the last one's
    input is consumed and its close seen): socket.timeout then."""
    end = time.monotonic() + timeout
    while True:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(timeout)
        try:
            s.connect(path)
            return s
        except BlockingIOError:
            s.close()
            if time.monotonic() > end:
                raise socket.timeout('%s: backlog full for %.0f s' % (os.path.basename(path), timeout))
            time.sleep(0.02)
        except Exception:
            s.close()
            raise


class Drain(threading.Thread):
    """Reads and discards everything a socket sends, until closed."""

    def __init__(self, sock, keep=0):
        super().__init__(daemon=True)
        self.sock, self.n, self.done, self.keep = sock, 0, False, keep
        self.buf = bytearray()

    def run(self):
        while not self.done:
            try:
                d = self.sock.recv(65536)
            except socket.timeout:
                continue
            except OSError:
                break
            if not d:
                break
            self.n += len(d)
            if self.keep:
                self.buf += d
                del self.buf[:-self.keep]

    def finish(self):
        self.done = True
        self.join(2)


def hangup(c):
    """Close for real: shutdown() first, or a Drain thread blocked in recv()
    on the socket keeps it open (and Vireo connected to it) until its
    timeout, and the next client waits in the backlog meanwhile."""
    try:
        c.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    c.close()


def gdb_pkt(body):
    if isinstance(body, str):
        body = body.encode()
    return b'$' + body + b'#%02x' % (sum(body) & 0xff)


# -- the well-behaved clients -------------------------------------------------

class Prober(threading.Thread):
    """Sends one status request every 100-300 ms and times the answer."""
    ANSWER_CAP = 30.0

    def __init__(self, soak, kind):
        super().__init__(daemon=True, name='probe-' + kind)
        self.soak, self.kind = soak, kind
        self.rng = random.Random(soak.seed * 31 + (1 if kind == 'qmp' else 2))
        self.buf = b''
        self.stopped = None

    def read_until(self, pred, deadline):
        while not pred(self.buf):
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            self.sock.settimeout(min(left, 0.5))
            try:
                d = self.sock.recv(65536)
            except socket.timeout:
                continue
            if not d:
                raise ConnectionError('Vireo closed the %s prober socket' % self.kind)
            self.buf += d
        return True

    def run(self):
        s = self.soak
        try:
            self.sock = connect(s.path('%s-probe.sock' % self.kind), 10)
            if self.kind == 'qmp':
                self.qmp_loop()
            else:
                self.hmp_loop()
        except Exception as e:
            if not s.stop.is_set():
                s.prober_errors.append('%s prober: %s' % (self.kind, e))
                s.log('%s prober error: %s' % (self.kind, e), echo=True)

    def qmp_reply(self, want_id, deadline):
        while True:
            ok = self.read_until(lambda b: b'\n' in b, deadline)
            if not ok:
                return None
            line, _, self.buf = self.buf.partition(b'\n')
            try:
                msg = json.loads(line)
            except ValueError:
                raise ConnectionError('QMP prober got non-JSON: %r' % line[:200])
            if want_id is None or msg.get('id') == want_id:
                return msg

    def qmp_loop(self):
        s = self.soak
        if self.qmp_reply(None, time.monotonic() + 10) is None:
            raise ConnectionError('no QMP greeting in 10 s')
        self.sock.sendall(b'{"execute":"qmp_capabilities","id":"neg"}\n')
        if self.qmp_reply('neg', time.monotonic() + 10) is None:
            raise ConnectionError('no answer to qmp_capabilities in 10 s')
        n = 0
        while not s.stop.is_set():
            n += 1
            req = json.dumps({'execute': 'query-status', 'id': n}).encode() + b'\n'
            t = time.monotonic()
            self.sock.settimeout(self.ANSWER_CAP)
            self.sock.sendall(req)
            msg = self.qmp_reply(n, t + self.ANSWER_CAP)
            lat = time.monotonic() - t
            if msg is None:
                lat = self.ANSWER_CAP
                s.log('qmp prober: no answer in %.0f s' % lat)
            elif 'return' not in msg:
                raise ConnectionError('query-status failed: %r' % msg)
            else:
                self.track_status(msg['return'].get('status'))
            self.record(t, lat)
            self.pause()

    def track_status(self, status):
        """A VM that is not running (stopped by an attached gdb) prints no
        heartbeats: excused from when we see it stopped until we see it
        running again."""
        s = self.soak
        s.last_status = status
        if status != 'running' and self.stopped is None:
            self.stopped = s.excuse_begin('VM %s' % status)
        elif status == 'running' and self.stopped is not None:
            s.excuse_end(self.stopped, 0.5)
            self.stopped = None

    def hmp_loop(self):
        s = self.soak
        if not self.read_until(lambda b: b'(qemu) ' in b, time.monotonic() + 10):
            raise ConnectionError('no HMP prompt in 10 s')
        self.buf = b''
        done = lambda b: b'VM status' in b and b.endswith(b'(qemu) ')
        while not s.stop.is_set():
            t = time.monotonic()
            self.sock.settimeout(self.ANSWER_CAP)
            self.sock.sendall(b'info status\r\n')
            ok = self.read_until(done, t + self.ANSWER_CAP)
            lat = time.monotonic() - t
            if not ok:
                lat = self.ANSWER_CAP
                s.log('hmp prober: no answer in %.0f s' % lat)
            self.buf = b''
            self.record(t, lat)
            self.pause()

    def record(self, t, lat):
        s = self.soak
        with s.lock:
            s.latencies[self.kind].append((t - s.t0, lat))
        if lat * 1000 > s.args.max_latency_ms:
            s.log('%s prober: answer took %.1f ms' % (self.kind, lat * 1000))

    def pause(self):
        self.soak.stop.wait(self.rng.uniform(0.1, 0.3))


class Serial(threading.Thread):
    """The heartbeat reader on COM1's socket, and the misbehaving serial
    client: between stretches of normal reading it reconnects, reads
    slowly or stops reading."""

    def __init__(self, soak):
        super().__init__(daemon=True, name='serial')
        self.soak = soak
        self.rng = random.Random(soak.seed * 31 + 3)
        self.buf = b''
        self.sock = None
        self.raw = open(os.path.join(soak.args.logdir, 'serial.log'), 'wb')

    def open(self, deadline):
        while True:
            try:
                self.sock = connect(self.soak.path('serial.sock'), 5)
                self.sock.settimeout(0.2)
                return
            except OSError:
                if time.monotonic() > deadline or not self.soak.vireo_alive():
                    raise
                time.sleep(0.02)

    def take(self, nbytes=65536):
        try:
            d = self.sock.recv(nbytes)
        except socket.timeout:
            return True
        except OSError:
            d = b''
        if not d:
            return False
        self.raw.write(d)
        self.raw.flush()
        self.buf += d
        *lines, self.buf = self.buf.split(b'\n')
        s = self.soak
        for line in lines:
            m = re.search(rb'\bHB (\d+)\b', line)
            if m:
                t = s.now()
                with s.lock:
                    s.heartbeats.append((t, int(m.group(1))))
                s.booted.set()
        return True

    def read_for(self, secs, nbytes=65536, delay=0.0):
        end = time.monotonic() + secs
        while time.monotonic() < end and not self.soak.stop.is_set():
            if not self.take(nbytes):
                self.soak.log('serial: Vireo closed the console socket', echo=True)
                self.reconnect()
            if delay:
                time.sleep(delay)

    def reconnect(self):
        s = self.soak
        self.sock.close()
        with s.lock:
            s.reconnects.append(s.now())
        self.buf = b''
        self.open(time.monotonic() + 10)

    def run(self):
        s = self.soak
        try:
            self.open(time.monotonic() + 10)
            while not s.stop.is_set():
                if not s.chaos_go.is_set() or s.chaos_end.is_set():
                    self.read_for(0.5)
                    continue
                self.read_for(self.rng.uniform(2, 8))
                if s.chaos_end.is_set():
                    continue
                acts = ['reconnect'] + ([] if s.no_stall else ['slow', 'stop'])
                act = self.rng.choice(acts)
                s.count('serial', act)
                start = s.now()
                secs = self.rng.uniform(2, 8)
                if act == 'reconnect':
                    self.reconnect()
                else:
                    e = s.excuse_begin('serial ' + act)
                    if act == 'slow':
                        self.read_for(secs, nbytes=32, delay=0.25)
                    else:
                        s.stop.wait(secs)
                    # the backlog drains at once: a second of grace
                    s.excuse_end(e, 1.0)
                s.actions.append((start, s.now(), 'serial', act, ''))
                s.log('serial %s done' % act)
        except Exception as e:
            if not s.stop.is_set():
                s.prober_errors.append('serial reader: %r' % e)
                s.log('serial reader error: %r' % e, echo=True)


# -- the misbehaving clients --------------------------------------------------

class Chaos(threading.Thread):
    kind = '?'
    sockname = '?'
    index = 0

    def __init__(self, soak):
        super().__init__(daemon=True, name='chaos-' + self.kind)
        self.soak = soak
        self.rng = random.Random(soak.seed * 31 + 10 + self.index)

    def actions(self):
        return [a[:-len('_act')] for a in dir(self) if a.endswith('_act')
                and not (self.soak.no_stall and a.startswith('stall'))]

    def run(self):
        s = self.soak
        s.chaos_go.wait()
        acts = sorted(self.actions())
        while not s.chaos_end.is_set() and not s.stop.is_set():
            act = self.rng.choice(acts)
            s.count(self.kind, act)
            start = s.now()
            s.log('%s %s start' % (self.kind, act))
            try:
                note = getattr(self, act + '_act')() or ''
            except (OSError, ConnectionError) as e:
                note = 'client error: %r' % e
            s.actions.append((start, s.now(), self.kind, act, note))
            s.log('%s %s done %s' % (self.kind, act, note))
            s.chaos_end.wait(self.rng.uniform(0, 1.0))

    def conn(self, timeout=20.0):
        return connect(self.soak.path(self.sockname), timeout)

    def stall_secs(self):
        return self.rng.uniform(1, 6)

    def rand_bytes(self, n, allowed=None):
        r = self.rng
        if allowed is None:
            return bytes(r.getrandbits(8) for _ in range(n))
        return bytes(r.choice(allowed) for _ in range(n))

    def churn_act(self):
        n = self.rng.randint(10, 60)
        timeouts = 0
        for i in range(n):
            try:
                c = self.conn(2)
            except socket.timeout:
                timeouts += 1
                continue
            how = self.rng.randrange(3)
            if how == 1:
                try:
                    c.recv(100)
                except OSError:
                    pass
            elif how == 2:
                c.shutdown(socket.SHUT_WR)
            hangup(c)
        return '%d connections%s' % (n, ', %d connect timeouts' % timeouts if timeouts else '')

    def idle_act(self):
        c = self.conn()
        d = Drain(c)
        d.start()
        self.soak.chaos_end.wait(self.rng.uniform(0.5, 3))
        hangup(c)
        d.finish()

    def send_all(self, c, data, timeout=30.0):
        c.settimeout(timeout)
        try:
            c.sendall(data)
            return ''
        except socket.timeout:
            return 'send timed out after %.0f s; ' % timeout


class QmpChaos(Chaos):
    kind, sockname, index = 'qmp', 'qmp.sock', 0

    def negotiate(self, c, drain=True):
        c.sendall(b'{"execute":"qmp_capabilities"}\n')

    def hmc(self, cmd):
        return json.dumps({'execute': 'human-monitor-command',
                           'arguments': {'command-line': cmd}}).encode() + b'\n'

    def garbage_act(self):
        c = self.conn()
        d = Drain(c)
        d.start()
        r = self.rng
        if r.random() < 0.5:
            self.negotiate(c)
        out = []
        for _ in range(r.randint(5, 40)):
            k = r.randrange(8)
            if k == 0:
                out.append(self.rand_bytes(r.randint(1, 4000)))
            elif k == 1:
                out.append(b'{"execute":' * r.randint(1, 50))
            elif k == 2:
                out.append(b'}]' * r.randint(1, 100) + b'\n')
            elif k == 3:
                depth = r.choice([10, 1000, 1100, 5000])
                out.append(b'[' * depth + b']' * depth + b'\n')
            elif k == 4:
                out.append(b'{"execute":"no-such-%d","id":[1,{"a":null}]}\n' % r.randrange(1000))
            elif k == 5:
                out.append(b'{"execute":"query-status","arguments":[1,2]}\n'
                           b'{"execute":42}\n[1,2,3]\n"str"\n1e999999\n{"arguments":{}}\n')
            elif k == 6:
                out.append(b'{"execute":"\xff\xfe\xc0\x80"}\n\x00\x00\n')
            else:
                out.append(b'{"execute":"query-status", "id":"' + b'\\u0000' * 100 + b'"}\n')
        note = self.send_all(c, b''.join(out))
        self.soak.chaos_end.wait(0.2)
        hangup(c)
        d.finish()
        return note + 'read %d bytes' % d.n

    def flood_act(self):
        c = self.conn()
        d = Drain(c)
        d.start()
        self.negotiate(c)
        r = self.rng
        n = r.randint(50, 300)
        msgs = []
        for i in range(n):
            if r.random() < 0.7:
                msgs.append(self.hmc(r.choice(QMP_HEAVY)))
            else:
                msgs.append(json.dumps({'execute': r.choice(QMP_LIGHT), 'id': i}).encode() + b'\n')
        msgs.append(b'{"execute":"query-status","id":"last"}\n')
        note = self.send_all(c, b''.join(msgs))
        # wait for the last answer (the drain reads everything)
        end = time.monotonic() + 20
        d.keep = 4096
        while time.monotonic() < end and b'"last"' not in d.buf and d.is_alive():
            time.sleep(0.05)
        if b'"last"' not in d.buf:
            note += 'last answer missing after 20 s; '
        hangup(c)
        d.finish()
        return note + '%d commands, read %d bytes' % (n, d.n)

    def bigline_act(self):
        c = self.conn()
        d = Drain(c, keep=65536)
        d.start()
        self.negotiate(c)
        r = self.rng
        k = r.randrange(3)
        if k == 0:
            big = b'{"execute":"human-monitor-command","arguments":{"command-line":"' + \
                b'A' * TWO_MB + b'"}}\n'
        elif k == 1:
            big = b'{"execute":"query-status","id":"' + b'x' * TWO_MB + b'"}\n'
        else:
            big = b'[' + b'1,' * (TWO_MB // 2) + b'1]\n'
        note = self.send_all(c, big)
        c.sendall(b'{"execute":"query-status","id":"after-big"}\n')
        t = time.monotonic()
        while time.monotonic() < t + 30 and b'"after-big"' not in d.buf and d.is_alive():
            time.sleep(0.05)
        if b'"after-big"' not in d.buf:
            self.soak.note('QMP: no answer to query-status within 30 s after a 2 MB line '
                           '(variant %d; got %d bytes, last: %r)' % (k, d.n, bytes(d.buf[-200:])))
            note += 'no answer after the big line; '
        else:
            note += 'answered %.1f s after the big line was sent; ' % (time.monotonic() - t)
        hangup(c)
        d.finish()
        return note + 'variant %d, read %d bytes' % (k, d.n)

    def stall_act(self):
        """Pipeline output-heavy commands and never read: megabytes of
        answers back up in Vireo; then vanish."""
        c = self.conn()
        self.negotiate(c)
        n = self.rng.randint(100, 200)
        note = self.send_all(c, b''.join(self.hmc('x /1000x 0') for _ in range(n)), 5)
        self.soak.chaos_end.wait(self.stall_secs())
        hangup(c)
        return note + '%d commands unread' % n


class HmpChaos(Chaos):
    kind, sockname, index = 'hmp', 'hmp.sock', 1
    # printable bytes and a few harmless controls; no CR/LF (each garbage
    # line is ours to end), no backspace/DEL (which could erase our prefix
    # and turn random letters into "q" = quit or "c" = cont)
    SAFE = [b for b in range(256) if b not in (0x08, 0x7f, 0x0a, 0x0d, 0x03, 0x04)]

    def garbage_act(self):
        c = self.conn()
        d = Drain(c)
        d.start()
        r = self.rng
        out = []
        for _ in range(r.randint(5, 40)):
            k = r.randrange(4)
            if k == 0:
                body = self.rand_bytes(r.randint(1, 300), self.SAFE)
            elif k == 1:
                body = b'\x1b[A\x1b[B\x1b[C\x1b[D\x1bOH\x1b[3~' * r.randint(1, 20)
            elif k == 2:
                body = b' x /' + str(r.randrange(10 ** 6)).encode() + b'q $nosuchreg'
            else:
                body = b' print ' + b'(' * 100 + b'1' + b')' * 100
            out.append(b'zzgarbage' + body + b'\r\n')
        note = self.send_all(c, b''.join(out))
        self.soak.chaos_end.wait(0.2)
        hangup(c)
        d.finish()
        return note + 'read %d bytes' % d.n

    def flood_act(self):
        c = self.conn()
        d = Drain(c, keep=4096)
        d.start()
        r = self.rng
        n = r.randint(50, 300)
        cmds = b''.join(r.choice(HMP_HEAVY).encode() + b'\r\n' for _ in range(n))
        note = self.send_all(c, cmds + b'print /d 0x5eed\r\n')
        end = time.monotonic() + 20
        while time.monotonic() < end and b'24301' not in d.buf and d.is_alive():
            time.sleep(0.05)
        if b'24301' not in d.buf:
            note += 'last answer missing after 20 s; '
        hangup(c)
        d.finish()
        return note + '%d commands, read %d bytes' % (n, d.n)

    def bigline_act(self):
        c = self.conn()
        d = Drain(c, keep=65536)
        d.start()
        note = self.send_all(c, b'A' * TWO_MB + b'\r\nprint /d 0x5eed\r\n')
        t = time.monotonic()
        while time.monotonic() < t + 30 and b'24301' not in d.buf and d.is_alive():
            time.sleep(0.05)
        if b'24301' not in d.buf:
            self.soak.note('HMP: no answer to "print /d 0x5eed" within 30 s after a 2 MB line '
                           '(got %d bytes)' % d.n)
            note += 'no answer after the big line; '
        else:
            note += 'answered %.1f s after the big line was sent; ' % (time.monotonic() - t)
        hangup(c)
        d.finish()
        return note + 'read %d bytes' % d.n

    def stall_act(self):
        c = self.conn()
        n = self.rng.randint(100, 200)
        note = self.send_all(c, b''.join(b'x /1000x 0\r\n' for _ in range(n)), 5)
        self.soak.chaos_end.wait(self.stall_secs())
        hangup(c)
        return note + '%d commands unread' % n


class GdbChaos(Chaos):
    kind, sockname, index = 'gdb', 'gdb.sock', 2
    # a debugger attached stops the VM (as QEMU): heartbeats pause, excused

    def conn(self, timeout=20.0):
        c = super().conn(timeout)
        self.excuse = self.soak.excuse_begin('gdb attached')
        return c

    def close(self, c):
        hangup(c)
        # Vireo resumes the VM when it sees the close
        self.soak.excuse_end(self.excuse, 1.0)

    def expect(self, c, pat, secs=5.0):
        buf = b''
        end = time.monotonic() + secs
        c.settimeout(0.5)
        while not re.search(pat, buf):
            if time.monotonic() > end:
                raise ConnectionError('gdb: no %r in %.0f s (got %r)' % (pat, secs, buf[-100:]))
            try:
                d = c.recv(65536)
            except socket.timeout:
                continue
            if not d:
                raise ConnectionError('gdb: Vireo closed the connection')
            buf += d
        c.sendall(b'+')
        return buf

    def session_act(self):
        c = self.conn()
        try:
            c.sendall(b'+' + gdb_pkt('?'))
            self.expect(c, rb'\$[ST][0-9a-f]{2}.*#[0-9a-f]{2}')
            c.sendall(gdb_pkt('g'))
            self.expect(c, rb'\$[0-9a-fx]{64,}#[0-9a-f]{2}')
            c.sendall(b'\x03')
            self.soak.chaos_end.wait(0.05)
            c.sendall(gdb_pkt('c'))
            self.soak.chaos_end.wait(self.rng.uniform(0, 0.5))
        finally:
            self.close(c)

    def churn_act(self):
        n = self.rng.randint(5, 30)
        for i in range(n):
            c = self.conn(2)
            if self.rng.random() < 0.5:
                c.sendall(b'+' + gdb_pkt('?'))
            self.close(c)
        return '%d connections' % n

    def idle_act(self):
        c = self.conn()
        c.sendall(gdb_pkt('c'))
        d = Drain(c)
        d.start()
        self.soak.chaos_end.wait(self.rng.uniform(0.5, 3))
        self.close(c)
        d.finish()

    def garbage_act(self):
        c = self.conn()
        d = Drain(c)
        d.start()
        r = self.rng
        out = []
        for _ in range(r.randint(5, 40)):
            k = r.randrange(4)
            if k == 0:
                out.append(self.rand_bytes(r.randint(1, 2000),
                                           [b for b in range(256) if b != 0x03]))
            elif k == 1:
                out.append(b'$g#00$?#ff$c#zz')      # bad checksums: '-' each
            elif k == 2:
                out.append(gdb_pkt('m%x,%x' % (r.getrandbits(64), r.randrange(1, 5000))))
            else:
                out.append(gdb_pkt('qZZZ%d' % r.randrange(1000)) + gdb_pkt('vMustReplyEmpty'))
        out.append(gdb_pkt('c'))
        note = self.send_all(c, b''.join(out))
        self.soak.chaos_end.wait(0.3)
        self.close(c)
        d.finish()
        return note + 'read %d bytes' % d.n

    def bigline_act(self):
        c = self.conn()
        d = Drain(c)
        d.start()
        note = self.send_all(c, b'$' + b'A' * TWO_MB + b'#00' + gdb_pkt('c'))
        self.soak.chaos_end.wait(0.3)
        self.close(c)
        d.finish()
        return note + 'read %d bytes' % d.n

    def flood_act(self):
        c = self.conn()
        d = Drain(c)
        d.start()
        n = self.rng.randint(50, 300)
        cmds = b''.join(gdb_pkt('g') if i % 2 else gdb_pkt('m0,800') for i in range(n))
        note = self.send_all(c, b'+' + cmds + gdb_pkt('c'))
        self.soak.chaos_end.wait(1.0)
        self.close(c)
        d.finish()
        return note + '%d packets, read %d bytes' % (n, d.n)

    def stall_act(self):
        c = self.conn()
        n = self.rng.randint(100, 300)
        note = self.send_all(c, b'+' + gdb_pkt('?') + gdb_pkt('g') * n + b'\x03' + gdb_pkt('c'), 5)
        self.soak.chaos_end.wait(self.stall_secs())
        self.close(c)
        return note + '%d replies unread' % n


# -- checks and report --------------------------------------------------------

def excused(soak, a, b):
    """Seconds of [a, b] covered by excuse windows."""
    spans = []
    end_default = soak.now()
    for s, e, _ in soak.excuses:
        e = end_default if e is None else e
        lo, hi = max(a, s), min(b, e)
        if hi > lo:
            spans.append((lo, hi))
    spans.sort()
    total, cur_lo, cur_hi = 0.0, None, None
    for lo, hi in spans:
        if cur_hi is None or lo > cur_hi:
            if cur_hi is not None:
                total += cur_hi - cur_lo
            cur_lo, cur_hi = lo, hi
        else:
            cur_hi = max(cur_hi, hi)
    if cur_hi is not None:
        total += cur_hi - cur_lo
    return total


def active_at(soak, t, margin=0.5):
    return ['%s %s (%.1f-%.1f s)' % (k, a, s, e) for s, e, k, a, _ in soak.actions
            if s - margin <= t <= e + margin]


def percentile(vals, p):
    if not vals:
        return 0.0
    v = sorted(vals)
    return v[min(len(v) - 1, int(round(p / 100.0 * (len(v) - 1))))]


def main():
    ap = argparse.ArgumentParser(description='Vireo soak test')
    ap.add_argument('--vireo', required=True)
    ap.add_argument('--kernel', required=True)
    ap.add_argument('--initrd', required=True)
    ap.add_argument('--time', type=float, default=env_num('SOAK_TIME', 60))
    ap.add_argument('--seed', type=int, default=None)
    ap.add_argument('--no-stall', action='store_true',
                    default=os.environ.get('SOAK_NO_STALL', '') not in ('', '0'))
    ap.add_argument('--mem', type=int, default=256, help='guest RAM, MiB')
    ap.add_argument('--boot-timeout', type=float, default=env_num('SOAK_BOOT_TIMEOUT', 240))
    ap.add_argument('--max-latency-ms', type=float, default=env_num('SOAK_MAX_LATENCY_MS', 100))
    ap.add_argument('--max-gap', type=float, default=env_num('SOAK_MAX_GAP', 5))
    ap.add_argument('--fd-slack', type=int, default=env_num('SOAK_FD_SLACK', 2, int))
    ap.add_argument('--rss-margin-mb', type=float, default=env_num('SOAK_RSS_MARGIN_MB', 24))
    ap.add_argument('--ignore-critical', default=os.environ.get('SOAK_IGNORE_CRITICAL', ''),
                    metavar='REGEX', help='waive stderr lines matching REGEX (a known bug)')
    ap.add_argument('--logdir', default=os.environ.get('SOAK_LOGDIR') or
                    os.path.join(os.environ.get('BUILD', 'build'), 'tests', 'soak'))
    args = ap.parse_args()
    if args.seed is None:
        env_seed = os.environ.get('SOAK_SEED', '')
        args.seed = int(env_seed) if env_seed else random.SystemRandom().randrange(1, 10 ** 6)

    soak = Soak(args)
    print('soak: seed %d (SOAK_SEED=%d repeats it), %.0f s of chaos%s, logs in %s'
          % (args.seed, args.seed, args.time,
             ', stalling clients disabled (SOAK_NO_STALL)' if args.no_stall else '',
             args.logdir), flush=True)

    failures = []

    def finish(code):
        soak.stop.set()
        soak.chaos_end.set()
        soak.kill_vireo()
        shutil.rmtree(soak.sock_dir, ignore_errors=True)
        sys.stdout.flush()
        os._exit(code)

    # the test's own deadline and signals: never hang, never leave Vireo
    overall = args.boot_timeout + args.time + 120

    def watchdog():
        print('FAIL: overall timeout: the soak did not finish within %.0f s '
              '(boot timeout + time + 120 s); killing Vireo' % overall, flush=True)
        soak.log('overall timeout')
        finish(1)
    wd = threading.Timer(overall, watchdog)
    wd.daemon = True
    wd.start()
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, lambda n, f: (print('soak: signal %d: stopping Vireo' % n, flush=True),
                                         finish(1)))

    soak.start_vireo()
    serial = Serial(soak)
    serial.start()
    # boot: the first heartbeat
    boot_deadline = time.monotonic() + args.boot_timeout
    while not soak.booted.wait(0.5):
        if not soak.vireo_alive():
            print('FAIL: health: Vireo exited during boot with status %s; stderr:\n%s'
                  % (soak.vireo.returncode, open(soak.err_path, errors='replace').read()[-2000:]))
            finish(1)
        if time.monotonic() > boot_deadline:
            print('FAIL: heartbeat: no heartbeat from the guest within %.0f s of start '
                  '(serial log: %s/serial.log)' % (args.boot_timeout, args.logdir))
            finish(1)
    boot_t = soak.heartbeats[0][0]      # the first heartbeat
    probers = [Prober(soak, 'qmp'), Prober(soak, 'hmp')]
    for p in probers:
        p.start()
    time.sleep(1.0)      # probers connected and negotiated
    fd0 = soak.fd_count()
    rss0 = soak.rss()
    soak.log('booted after %.1f s; fds %d, VmRSS %d kB, RSS outside guest RAM %d kB'
             % (boot_t, fd0, rss0[0], rss0[1]), echo=True)

    chaos = [QmpChaos(soak), HmpChaos(soak), GdbChaos(soak)]
    for c in chaos:
        c.start()
    chaos_t0 = soak.now()
    soak.chaos_go.set()
    end = time.monotonic() + args.time
    next_report = time.monotonic() + 10
    died = False
    while time.monotonic() < end:
        time.sleep(0.25)
        if not soak.vireo_alive():
            died = True
            break
        if time.monotonic() >= next_report:
            next_report += 10
            with soak.lock:
                hb = soak.heartbeats[-1][1] if soak.heartbeats else -1
                lq = max((l for _, l in soak.latencies['qmp']), default=0)
                lh = max((l for _, l in soak.latencies['hmp']), default=0)
            print('soak: %5.0f s: last heartbeat %d, max latency qmp %.1f ms hmp %.1f ms'
                  % (soak.now() - chaos_t0, hb, lq * 1000, lh * 1000), flush=True)
    soak.chaos_end.set()
    for c in chaos:
        c.join(20)
    stuck = [c.name for c in chaos if c.is_alive()]
    chaos_t1 = soak.now()
    if not died:
        # the last misbehaving clients are gone: let Vireo notice, then sample
        fd1 = soak.fd_count()
        settle = time.monotonic() + 10
        while fd1 > fd0 + args.fd_slack and time.monotonic() < settle and soak.vireo_alive():
            time.sleep(0.25)
            fd1 = soak.fd_count()
        time.sleep(1.0)
        fd1 = soak.fd_count()
        rss1 = soak.rss()
        fd_list = ''
        try:
            fd_list = ' '.join('%s->%s' % (f, os.readlink('/proc/%d/fd/%s' % (soak.vireo.pid, f)))
                               for f in sorted(os.listdir('/proc/%d/fd' % soak.vireo.pid), key=int))
        except OSError:
            pass
        soak.log('end fds: ' + fd_list)
        died = not soak.vireo_alive()
    vm_status = soak.last_status
    soak.stop.set()
    end_t = soak.now()
    # excuses still open (a VM seen stopped, a client that never finished)
    # end with the chaos: no gdb is attached any more
    for e in soak.excuses:
        if e[1] is None or e[1] > chaos_t1 + 1.0:
            e[1] = min(e[1] if e[1] is not None else chaos_t1 + 1.0, chaos_t1 + 1.0)
    for p in probers:
        p.join(2)
    serial.join(2)
    if not died:
        soak.kill_vireo()
    rc = soak.vireo.returncode

    # ---- assertions ----
    if died:
        failures.append('health: Vireo exited by itself at %.1f s with status %s (%s)'
                        % (soak.now(), rc, 'signal %d' % -rc if rc < 0 else 'exit'))
    elif rc not in (0, -signal.SIGTERM, -signal.SIGKILL):
        failures.append('health: Vireo ended with status %s after SIGTERM' % rc)
    err = open(soak.err_path, 'rb').read().decode(errors='replace')
    bad = [l for l in err.splitlines() if re.search(r'CRITICAL|WARNING|\*\*', l)]
    if args.ignore_critical:
        waived = [l for l in bad if re.search(args.ignore_critical, l)]
        bad = [l for l in bad if l not in waived]
        if waived:
            soak.note('%d stderr line(s) waived by SOAK_IGNORE_CRITICAL, e.g. %s'
                      % (len(waived), waived[0]))
    if bad:
        failures.append('health: GLib criticals/warnings on Vireo\'s stderr: %s' % bad[:5])
    if stuck:
        failures.append('health: misbehaving clients still blocked on Vireo 20 s after '
                        'the end: %s' % stuck)
    if not died and vm_status != 'running':
        failures.append('heartbeat: the VM is not running at the end: query-status says %s'
                        % vm_status)
    if not died:      # after a crash these are only its echoes
        for e in soak.prober_errors:
            failures.append(('heartbeat: ' if e.startswith('serial') else 'latency: ') + e)

    hbs = [h for h in soak.heartbeats if h[0] >= boot_t]
    gaps = []
    order = []
    for (t1, n1), (t2, n2) in zip(hbs, hbs[1:]):
        if n2 != n1 + 1:
            recon = any(t1 <= r <= t2 for r in soak.reconnects)
            if not (recon and n2 > n1):
                order.append('HB %d then HB %d (at %.1f s)' % (n1, n2, t2))
        g = (t2 - t1) - excused(soak, t1, t2)
        if g > args.max_gap:
            gaps.append((g, t1, t2, n1, n2))
    if hbs and not died:
        t1 = hbs[-1][0]
        g = (end_t - t1) - excused(soak, t1, end_t)
        if g > args.max_gap:
            gaps.append((g, t1, end_t, hbs[-1][1], None))
    if order:
        failures.append('heartbeat: counter not consecutive (lost or repeated lines): %s%s'
                        % ('; '.join(order[:5]), ' ...' if len(order) > 5 else ''))
    if gaps:
        gaps.sort(reverse=True)
        g, t1, t2, n1, n2 = gaps[0]
        failures.append('heartbeat: %d gap(s) over %.0f s; the longest %.1f s unexcused, '
                        'from HB %d at %.1f s to %s at %.1f s; clients active then: %s'
                        % (len(gaps), args.max_gap, g, n1, t1,
                           'HB %d' % n2 if n2 is not None else 'the end', t2,
                           '; '.join(active_at(soak, t1)[:6] + active_at(soak, t2)[:6]) or 'none'))

    lat_summary = []
    for kind in ('qmp', 'hmp'):
        ls = soak.latencies[kind]
        vals = [l for _, l in ls]
        mx, p99 = (max(vals) if vals else 0), percentile(vals, 99)
        over = [(t, l) for t, l in ls if l * 1000 > args.max_latency_ms]
        lat_summary.append('%s: %d answers, max %.1f ms, p99 %.1f ms, %d over %.0f ms'
                           % (kind, len(vals), mx * 1000, p99 * 1000, len(over), args.max_latency_ms))
        if not vals and not died:
            failures.append('latency: the %s prober got no answer at all' % kind)
        if over:
            worst = max(over, key=lambda x: x[1])
            failures.append('latency: %s monitor: %d of %d answers took over %.0f ms, the worst '
                            '%.1f ms (asked at %.1f s; clients active then: %s)'
                            % (kind, len(over), len(vals), args.max_latency_ms, worst[1] * 1000,
                               worst[0], '; '.join(active_at(soak, worst[0])[:6]) or 'none'))

    if not died:
        if fd1 > fd0 + args.fd_slack:
            failures.append('fds: Vireo had %d fds after boot and %d at the end (slack %d): %s'
                            % (fd0, fd1, args.fd_slack, fd_list))
        grow_mb = (rss1[1] - rss0[1]) / 1024.0
        if grow_mb > args.rss_margin_mb:
            failures.append('rss: RSS outside guest RAM grew by %.1f MB (%d -> %d kB), margin %.0f MB'
                            % (grow_mb, rss0[1], rss1[1], args.rss_margin_mb))

    # ---- summary ----
    print('=== soak summary (seed %d%s)' % (args.seed, ', SOAK_NO_STALL' if args.no_stall else ''))
    print('duration: boot %.1f s, chaos %.1f s (asked %.0f s)' % (boot_t, chaos_t1 - chaos_t0, args.time))
    print('heartbeats: %d seen after boot (HB %s .. HB %s), %d serial reconnects'
          % (len(hbs), hbs[0][1] if hbs else '-', hbs[-1][1] if hbs else '-', len(soak.reconnects)))
    for kind in ('qmp', 'hmp', 'gdb', 'serial'):
        d = soak.counts.get(kind, {})
        print('actions %-6s: %s' % (kind, ', '.join('%s %d' % kv for kv in sorted(d.items())) or 'none'))
    for l in lat_summary:
        print('latency ' + l)
    if not died:
        print('fds: %d after boot, %d at the end' % (fd0, fd1))
        print('VmRSS: %d kB after boot, %d kB at the end; outside guest RAM: %d kB -> %d kB'
              % (rss0[0], rss1[0], rss0[1], rss1[1]))
    print('vireo exit status: %s' % rc)
    for n in soak.notes[:10]:
        print('note: ' + n)
    if failures:
        for f in failures:
            print('FAIL: ' + f)
        print('soak: FAILED (seed %d; logs in %s)' % (args.seed, args.logdir))
    else:
        print('soak: PASSED')
    soak.log_f.close()
    shutil.rmtree(soak.sock_dir, ignore_errors=True)
    sys.stdout.flush()
    os._exit(1 if failures else 0)


if __name__ == '__main__':
    main()
