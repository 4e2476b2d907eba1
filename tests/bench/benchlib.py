"""Helpers of tests/bench/bench.py: processes, the ossd config, PostgreSQL checks, CPU accounting.

Everything here has a bounded wait and raises BenchError with a readable
message (and the tail of the relevant log) when something does not happen.
"""
import os
import re
import signal
import subprocess
import threading
import time
import uuid

import psycopg2

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.path.join(REPO, "build")
OSSD = os.path.join(BUILD, "ossd")
OSSCTL = os.path.join(BUILD, "ossctl")
MOCKBROKER = os.path.join(BUILD, "ossd-mockbroker")
LOADGEN = os.path.join(BUILD, "ossd-loadgen")
RAWCOPY = os.path.join(BUILD, "ossd-rawcopy")
DEVSTACK = os.path.join(REPO, "deploy", "devstack")
CLK_TCK = os.sysconf("SC_CLK_TCK")


class BenchError(Exception):
    """A phase could not complete; the message says what and why."""


def log(msg=""):
    print(msg, flush=True)


def tail(path, lines=25):
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-lines:])
    except OSError:
        return "(no log at %s)" % path


def wait_for(pred, timeout, what, interval=0.05, log_path=None):
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > deadline:
            extra = "\n--- last lines of %s:\n%s" % (log_path, tail(log_path)) if log_path else ""
            raise BenchError("timed out after %.0f s waiting for %s%s" % (timeout, what, extra))
        time.sleep(interval)


# ---- processes ------------------------------------------------------------------------


class Proc:
    """A child process with its output in a log file; stop() is idempotent."""

    def __init__(self, name, args, log_path, stdin=None, env=None, new_session=False):
        self.name = name
        self.log_path = log_path
        self.logf = open(log_path, "ab")
        self.proc = subprocess.Popen(args, stdout=self.logf, stderr=subprocess.STDOUT,
                                     stdin=stdin, env=env, start_new_session=new_session)
        self.pid = self.proc.pid

    def alive(self):
        return self.proc.poll() is None

    def wait(self, timeout, what=None):
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            raise BenchError("timed out after %.0f s waiting for %s\n--- last lines of %s:\n%s"
                             % (timeout, what or self.name + " to finish", self.log_path,
                                tail(self.log_path)))

    def stop(self, timeout=60, sig=signal.SIGTERM):
        """Signals the process (SIGTERM by default), then SIGKILL after timeout.
        Returns the exit code, or "killed"."""
        rc = self.proc.poll()
        if rc is None:
            try:
                self.proc.send_signal(sig)
                rc = self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                rc = "killed"
        if not self.logf.closed:
            self.logf.close()
        return rc

    def output(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()


def run(args, timeout, what, env=None):
    """Runs a command to completion; returns its stdout; raises on failure."""
    try:
        r = subprocess.run(args, capture_output=True, text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        raise BenchError("timed out after %d s: %s" % (timeout, what))
    if r.returncode != 0:
        raise BenchError("%s failed (exit %d):\n%s%s" % (what, r.returncode, r.stdout[-3000:],
                                                        r.stderr[-3000:]))
    return r.stdout


# ---- the dev stack's PostgreSQL and our own broker --------------------------------------


class Stack:
    """deploy/devstack in its own run directory (we use its PostgreSQL)."""

    def __init__(self, run_dir):
        self.run_dir = run_dir
        self.env = dict(os.environ, OSSD_RUN_DIR=run_dir)
        self.pg_url = None

    def up(self):
        run([DEVSTACK, "up"], 300, "deploy/devstack up", env=self.env)
        env = {}
        with open(os.path.join(self.run_dir, "env")) as f:
            for line in f:
                m = re.match(r"export (\w+)=(.*)$", line.strip())
                if m:
                    env[m.group(1)] = m.group(2).strip("'\"")
        self.pg_url = env["OSSD_PG_URL"]
        with open(os.path.join(self.run_dir, "ossd.conf")) as f:
            self.ossd_conf = f.read()

    def down(self):
        try:
            subprocess.run([DEVSTACK, "down"], env=self.env, capture_output=True, timeout=120)
        except subprocess.TimeoutExpired:
            log("warning: deploy/devstack down timed out")

    def postmaster_pid(self):
        try:
            with open(os.path.join(self.run_dir, "pgdata.path")) as f:
                d = f.readline().strip()
            with open(os.path.join(d, "postmaster.pid")) as f:
                return int(f.readline())
        except (OSError, ValueError):
            return None

    def new_database(self, prefix, migrate=True):
        """A fresh database (with every migration applied unless migrate is
        False); returns its URL."""
        name = "%s_%s" % (prefix, uuid.uuid4().hex[:8])
        conn = psycopg2.connect(self.pg_url)
        conn.autocommit = True
        conn.cursor().execute("CREATE DATABASE " + name)
        conn.close()
        url = self.pg_url.rpartition("/")[0] + "/" + name
        if migrate:
            run([OSSCTL, "--pg-url", url, "migrate"], 120, "ossctl migrate",
                env=dict(os.environ, OSSD_DATADIR=os.path.join(REPO, "schemas")))
        return url


class Broker:
    """Our own ossd-mockbroker with the benchmark's topics."""

    def __init__(self, work, topics):
        self.bootstrap_file = os.path.join(work, "broker.bootstrap")
        args = [MOCKBROKER, "--bootstrap-file", self.bootstrap_file]
        for t in topics:
            args += ["--topic", t]
        self.proc = Proc("mock broker", args, os.path.join(work, "broker.log"), new_session=True)

        def ready():
            if not self.proc.alive():
                raise BenchError("the mock broker exited:\n" + tail(self.proc.log_path))
            try:
                with open(self.bootstrap_file) as f:
                    return f.read().strip() or None
            except FileNotFoundError:
                return None

        self.bootstrap = wait_for(ready, 15, "the mock broker's bootstrap file")

    def stop(self):
        self.proc.stop(10)


# ---- the ossd config ----------------------------------------------------------------------


def ini_set(text, section, key, value):
    """Sets key = value in [section] of INI text (replacing the key, else
    adding it at the end of the section, else adding the section)."""
    lines = text.splitlines()
    cur, sec_end, sec_found = None, None, False
    for i, line in enumerate(lines):
        s = line.strip()
        if s.startswith("[") and s.endswith("]"):
            if cur == section:
                sec_end = i
            cur = s[1:-1].strip()
            if cur == section:
                sec_found = True
            continue
        if cur == section and "=" in s and not s.startswith((";", "#")):
            if s.split("=", 1)[0].strip() == key:
                lines[i] = "%s = %s" % (key, value)
                return "\n".join(lines) + "\n"
    if not sec_found:
        return "\n".join(lines) + "\n\n[%s]\n%s = %s\n" % (section, key, value)
    if sec_end is None:
        sec_end = len(lines)
    while sec_end > 0 and not lines[sec_end - 1].strip():
        sec_end -= 1
    lines.insert(sec_end, "%s = %s" % (key, value))
    return "\n".join(lines) + "\n"


def write_config(path, base, settings):
    """Writes the devstack's ossd.conf text `base` with settings
    {(section, key): value} applied, mode 0600."""
    text = base
    for (section, key), value in settings.items():
        text = ini_set(text, section, key, value)
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, 0o600)
    return path


# ---- ossd --------------------------------------------------------------------------------


class Ossd(Proc):
    """build/ossd as a direct child (so /proc/PID/status is ours to read)."""

    def __init__(self, conf, log_path, wrapper=()):
        super().__init__("ossd", list(wrapper) + [OSSD, "--config", conf, "--log-target",
                                                  "stderr"], log_path)
        self.t_spawn = time.time()
        self.rss_samples = []

    def wait_assigned(self, timeout=60):
        """Waits for the partition assignment; returns the wall-clock time it
        was seen (polled every 10 ms)."""
        def seen():
            if not self.alive():
                raise BenchError("ossd exited at start (exit %s):\n%s"
                                 % (self.proc.returncode, tail(self.log_path)))
            with open(self.log_path, errors="replace") as f:
                return re.search(r"\bassigned [1-9][0-9]* partition", f.read()) is not None
        wait_for(seen, timeout, "ossd's partition assignment", interval=0.01,
                 log_path=self.log_path)
        return time.time()

    def status(self):
        """{VmHWM: kB, VmRSS: kB, ...} from /proc/PID/status."""
        out = {}
        try:
            with open("/proc/%d/status" % self.pid) as f:
                for line in f:
                    k, _, v = line.partition(":")
                    if k.startswith("Vm"):
                        out[k] = int(v.split()[0])
        except (OSError, ValueError, IndexError):
            pass
        return out

    def sample_rss(self):
        st = self.status()
        if "VmRSS" in st:
            self.rss_samples.append(st["VmRSS"])


# ---- PostgreSQL progress and checks ---------------------------------------------------------


class Db:
    def __init__(self, url):
        self.url = url
        self.conn = psycopg2.connect(url)
        self.conn.autocommit = True

    def one(self, sql, args=None):
        cur = self.conn.cursor()
        cur.execute(sql, args)
        return cur.fetchone()[0]

    def all(self, sql, args=None):
        cur = self.conn.cursor()
        cur.execute(sql, args)
        return cur.fetchall()

    def consumed(self, topic):
        """Messages consumed and committed (the stored next offsets; the topic
        starts at offset 0 on our fresh broker)."""
        return self.one("SELECT coalesce(sum(next_offset), 0)::bigint FROM consumer_offsets "
                        "WHERE topic = %s", (topic,))

    def decided(self, topic):
        """Submissions decided: rows of submissions plus the dead letters of the
        submissions topic (those of the status topic are not decisions)."""
        return self.one("SELECT (SELECT count(*) FROM submissions) + "
                        "(SELECT count(*) FROM dead_letters WHERE src_topic = %s)", (topic,))

    def unpublished(self):
        return self.one("SELECT count(*) FROM outbox WHERE published_at IS NULL")

    def close(self):
        self.conn.close()


class Manifest:
    """What loadgen says ossd must do with each message it produced."""

    def __init__(self, path):
        self.path = path
        self.n = 0
        self.expect = {}  # expectation -> count
        with open(path) as f:
            for line in f:
                parts = line.rstrip("\n").split("\t")
                self.n += 1
                self.expect[parts[2]] = self.expect.get(parts[2], 0) + 1
        self.decisions = self.expect.get("issued", 0) + self.expect.get("rejected", 0)
        self.dead = {k[5:]: v for k, v in self.expect.items() if k.startswith("dead:")}
        self.rows = self.decisions + sum(self.dead.values())  # submissions + dead_letters


def verify(db, manifest, topic):
    """Checks that every submission_id of the manifest was decided exactly once
    and that the dead letters of the submissions topic are the expected ones.
    Returns (errors, notes): errors make the run fail, notes are reported."""
    errors, notes = [], []
    cur = db.conn.cursor()
    cur.execute("CREATE TEMP TABLE bench_expect (seq bigint, id text, expect text, kind text)")
    with open(manifest.path) as f:
        cur.copy_expert("COPY bench_expect FROM STDIN", f)
    cur.execute("CREATE INDEX ON bench_expect (id)")
    cur.execute("ANALYZE bench_expect")
    missing = db.all(
        "SELECT e.id, e.kind FROM bench_expect e WHERE e.expect IN ('issued', 'rejected') "
        "AND NOT EXISTS (SELECT 1 FROM submissions s WHERE s.submission_id = e.id) LIMIT 5")
    n_missing = db.one(
        "SELECT count(*) FROM bench_expect e WHERE e.expect IN ('issued', 'rejected') "
        "AND NOT EXISTS (SELECT 1 FROM submissions s WHERE s.submission_id = e.id)")
    n_extra = db.one(
        "SELECT count(*) FROM submissions s WHERE NOT EXISTS (SELECT 1 FROM bench_expect e "
        "WHERE e.id = s.submission_id AND e.expect IN ('issued', 'rejected'))")
    n_rows, n_ids = db.all("SELECT count(*), count(DISTINCT submission_id) FROM submissions")[0]
    if n_missing:
        errors.append("%d submission(s) not decided, e.g. %s" % (n_missing, missing))
    if n_extra:
        errors.append("%d decided submission(s) that were not expected" % n_extra)
    if n_rows != n_ids:
        errors.append("%d submission rows for %d ids" % (n_rows, n_ids))
    dead = dict(db.all("SELECT error_code, count(*) FROM dead_letters WHERE src_topic = %s "
                       "GROUP BY 1", (topic,)))
    if dead != manifest.dead:
        errors.append("dead letters %s, expected %s" % (dead, manifest.dead))
    wrong = db.all(
        "SELECT e.kind, e.expect, s.status, count(*), min(e.id), "
        "(array_agg(s.reasons::text ORDER BY e.id))[1] FROM submissions s "
        "JOIN bench_expect e ON e.id = s.submission_id AND e.expect IN ('issued', 'rejected') "
        "WHERE s.status <> e.expect GROUP BY 1, 2, 3 ORDER BY 4 DESC")
    for kind, exp, got, n, example, reasons in wrong:
        notes.append("%d %s submission(s) %s instead of %s (e.g. %s: %s)"
                     % (n, kind, got, exp, example, (reasons or "")[:300]))
    cur.execute("DROP TABLE bench_expect")
    return errors, notes


# ---- CPU accounting ---------------------------------------------------------------------------


def _stat(path):
    """(comm, utime+stime seconds, ppid) of /proc/.../stat."""
    with open(path) as f:
        s = f.read()
    comm = s[s.index("(") + 1:s.rindex(")")]
    fields = s[s.rindex(")") + 2:].split()
    return comm, (int(fields[11]) + int(fields[12])) / CLK_TCK, int(fields[1])


def _cmdline(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return ""


class CpuSnapshot:
    """CPU seconds of ossd's threads (by name), of PostgreSQL's processes (by
    role; backends by database) and of the other given processes."""

    def __init__(self, ossd_pid=None, postmaster=None, others=()):
        self.t = time.monotonic()
        self.cpu = {}
        if ossd_pid:
            try:
                for tid in os.listdir("/proc/%d/task" % ossd_pid):
                    try:
                        comm, cpu, _ = _stat("/proc/%d/task/%s/stat" % (ossd_pid, tid))
                    except OSError:
                        continue
                    self._add("ossd " + self._thread_name(comm), cpu)
            except OSError:
                pass
        if postmaster:
            for p in os.listdir("/proc"):
                if not p.isdigit():
                    continue
                try:
                    comm, cpu, ppid = _stat("/proc/%s/stat" % p)
                except (OSError, ValueError):
                    continue
                if int(p) == postmaster or ppid == postmaster:
                    self._add(self._pg_role(int(p), int(p) == postmaster), cpu)
        for name, pid in others:
            try:
                self._add(name, _stat("/proc/%d/stat" % pid)[1])
            except (OSError, ValueError):
                pass

    @staticmethod
    def _thread_name(comm):
        # librdkafka names its threads rdk:main, rdk:broker1, rdk:broker-1...
        if comm.startswith("rdk:broker"):
            return "rdk:broker*"
        return comm

    @staticmethod
    def _pg_role(pid, is_master):
        if is_master:
            return "postgres (postmaster)"
        # "postgres: walwriter", "postgres: USER DB 127.0.0.1(PORT) idle"
        parts = _cmdline(pid).split()
        if len(parts) >= 4 and ("(" in parts[3] or parts[3] == "[local]"):
            return "postgres backend " + parts[2]
        return "postgres " + (parts[1] if len(parts) > 1 else "?")

    def _add(self, key, cpu):
        self.cpu[key] = self.cpu.get(key, 0.0) + cpu

    def delta(self, before):
        """[(name, cpu seconds, share of one core)] between before and self."""
        wall = max(self.t - before.t, 1e-9)
        rows = []
        for k, v in self.cpu.items():
            d = v - before.cpu.get(k, 0.0)
            if d > 0.005:
                rows.append((k, d, d / wall))
        rows.sort(key=lambda r: -r[1])
        return rows, wall


def format_cpu(rows, wall):
    total = sum(r[1] for r in rows)
    out = ["  CPU over %.1f s of wall time (2 cores = 200%%), total %.1f s = %.0f%%:"
           % (wall, total, 100 * total / wall)]
    for name, secs, share in rows:
        out.append("    %-34s %7.2f s  %5.0f%%" % (name, secs, 100 * share))
    return "\n".join(out)


# ---- flow control for streaming runs ------------------------------------------------------


class CreditFeeder(threading.Thread):
    """Grants loadgen (--credits-stdin) at most progress() + window messages,
    so the backlog in the broker stays under its retention."""

    def __init__(self, proc_stdin, progress, window, total):
        super().__init__(daemon=True)
        self.stdin = proc_stdin
        self.progress = progress
        self.window = window
        self.total = total
        self.stop_evt = threading.Event()
        self.granted = 0
        self.error = None

    def run(self):
        try:
            while not self.stop_evt.is_set():
                want = min(self.total, self.progress() + self.window)
                if want > self.granted:
                    self.stdin.write(b"%d\n" % want)
                    self.stdin.flush()
                    self.granted = want
                if self.granted >= self.total:
                    break
                self.stop_evt.wait(0.05)
        except Exception as e:  # noqa: BLE001 (reported by the main thread)
            self.error = e
        finally:
            try:
                self.stdin.close()
            except OSError:
                pass

    def stop(self):
        self.stop_evt.set()


# ---- CPU per message: ossd's process and the PostgreSQL backends serving it ------------------


def proc_cpu(pid):
    """utime+stime seconds of a whole process (every thread, live or exited),
    or None once it is gone."""
    try:
        return _stat("/proc/%d/stat" % pid)[1]
    except (OSError, ValueError):
        return None


class PgBackends:
    """The PostgreSQL backends serving ossd's connections to one database
    (pg_stat_activity: application_name 'ossd', which ossd sets on every
    connection), and their CPU from /proc. Backends that appear during the
    phase (a reconnection) count from 0; the CPU of a backend that exits
    before the end is lost (a reconnection is rare and reported)."""

    def __init__(self, db, datname):
        self.db, self.datname = db, datname
        self.base = {}  # pid -> CPU seconds at start
        self.seen = set()

    def pids(self):
        return [r[0] for r in self.db.all(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND application_name = 'ossd' "
            "AND backend_type = 'client backend'", (self.datname,))]

    def start(self):
        for pid in self.pids():
            cpu = proc_cpu(pid)
            if cpu is not None:
                self.base[pid] = cpu
                self.seen.add(pid)
        return len(self.base)

    def stop(self):
        """(CPU seconds used over the phase, backends seen, backends gone)."""
        total, gone = 0.0, 0
        pids = set(self.pids()) | set(self.base)
        for pid in pids:
            cpu = proc_cpu(pid)
            if cpu is None:
                gone += 1
                continue
            self.seen.add(pid)
            total += cpu - self.base.get(pid, 0.0)
        return total, len(self.seen), gone


def free_port():
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def scrape_metrics(addr, timeout=5):
    """ossd's Prometheus text at http://addr/metrics as {name or name{labels}: value}."""
    import urllib.request
    with urllib.request.urlopen("http://%s/metrics" % addr, timeout=timeout) as r:
        text = r.read().decode()
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        name, _, value = line.rpartition(" ")
        try:
            out[name] = float(value)
        except ValueError:
            pass
    return out


class WaitSampler(threading.Thread):
    """Samples state and wait event of ossd's backends (pg_stat_activity) every
    interval seconds; counts[(pid, state, wait_event_type, wait_event)]
    (wait_event_type 'CPU' where there is no wait event)."""

    def __init__(self, url, datname, interval=0.02):
        super().__init__(daemon=True)
        self.url, self.datname, self.interval = url, datname, interval
        self.counts, self.samples = {}, 0
        self.stop_evt = threading.Event()
        self.error = None

    def run(self):
        try:
            db = Db(self.url)
            cur = db.conn.cursor()
            while not self.stop_evt.is_set():
                cur.execute("SELECT pid, state, coalesce(wait_event_type, 'CPU'), "
                            "coalesce(wait_event, '-') FROM pg_stat_activity "
                            "WHERE datname = %s AND application_name = 'ossd' "
                            "AND backend_type = 'client backend'", (self.datname,))
                for row in cur.fetchall():
                    self.counts[row] = self.counts.get(row, 0) + 1
                self.samples += 1
                self.stop_evt.wait(self.interval)
            db.close()
        except Exception as e:  # noqa: BLE001 (reported by the main thread)
            self.error = e

    def stop(self):
        self.stop_evt.set()
        self.join(10)


# ---- the status stream of the throughput phase ----------------------------------------------

# The refusals of a status update for a permit that exists: a dead letter and a row of the
# permit's history (docs/lifecycle.md); the others (PERMIT_UNKNOWN, SCHEMA_INVALID, ...) are
# only a dead letter.
HISTORY_REFUSALS = ("TRANSITION_INVALID", "CODE_UNKNOWN", "DUPLICATE_CONFLICT")


class StatusManifest:
    """What loadgen --status-permits says ossd must do with each status update:
    expect[status_id] = "applied" or "dead:CODE"."""

    def __init__(self, path):
        self.path = path
        self.expect = {}
        self.n = 0
        with open(path) as f:
            for line in f:
                _, sid, expect, _ = line.rstrip("\n").split("\t")
                self.n += 1
                self.expect[sid] = expect
        self.applied = sum(1 for e in self.expect.values() if e == "applied")
        self.dead = {}
        for e in self.expect.values():
            if e.startswith("dead:"):
                self.dead[e[5:]] = self.dead.get(e[5:], 0) + 1
        self.dead = dict(sorted(self.dead.items()))


def verify_status(db, manifest, topic, dlq, lc):
    """The exactness of the status stream. manifest: a StatusManifest; topic: the status
    topic; dlq: [(ossd.error.code, source partition, source offset)] of the messages read
    from its dead-letter topic; lc: ossd_status_updates_total over the phase,
    {"applied", "skipped", "refused"}. Returns (errors, summary)."""
    errors = []
    consumed = db.consumed(topic)
    if consumed != manifest.n:
        errors.append("status: %d offsets stored on %s, %d messages produced"
                      % (consumed, topic, manifest.n))
    # every status_id in the history once, as its plan says
    hist = db.all("SELECT status_id, coalesce(error_code, 'applied'), count(*) FROM permit_history "
                  "WHERE src_topic = %s GROUP BY 1, 2", (topic,))
    rows_of = {}
    for sid, _, n in hist:
        rows_of[sid] = rows_of.get(sid, 0) + n
    twice = sorted((sid, n) for sid, n in rows_of.items() if n > 1)
    if twice:
        errors.append("status: %d status_id(s) recorded more than once in permit_history, "
                      "e.g. %s" % (len(twice), twice[:3]))
    got = {sid: outcome for sid, outcome, _ in hist}
    want = {}
    for sid, e in manifest.expect.items():
        if e == "applied":
            want[sid] = "applied"
        elif e[5:] in HISTORY_REFUSALS:
            want[sid] = e[5:]
    missing = sorted(set(want) - set(got))
    extra = sorted(set(got) - set(want))
    wrong = sorted(sid for sid in set(want) & set(got) if want[sid] != got[sid])
    if missing:
        errors.append("status: %d update(s) not in permit_history, e.g. %s"
                      % (len(missing), missing[:3]))
    if extra:
        errors.append("status: %d unexpected update(s) in permit_history, e.g. %s"
                      % (len(extra), extra[:3]))
    if wrong:
        errors.append("status: %d update(s) recorded otherwise than planned, e.g. %s"
                      % (len(wrong), ["%s: %s, expected %s" % (s, got[s], want[s])
                                      for s in wrong[:3]]))
    # the dead letters: in PostgreSQL (their status_id) and on the dead-letter topic
    rows = db.all("SELECT submission_id, error_code FROM dead_letters WHERE src_topic = %s",
                  (topic,))
    dead_want = {sid: e[5:] for sid, e in manifest.expect.items() if e.startswith("dead:")}
    dead_got = dict(rows)
    if len(rows) != len(dead_got) or dead_got != dead_want:
        bad = sorted(s for s in set(dead_want) | set(dead_got)
                     if dead_want.get(s) != dead_got.get(s))
        errors.append("status: dead letters %s, expected %s (%d differ, e.g. %s)"
                      % (count_by(dead_got.values()), manifest.dead, len(bad), bad[:3]))
    on_topic = {}
    for code, part, off in set(dlq):  # at least once: a message sent again counts once
        on_topic[code] = on_topic.get(code, 0) + 1
    on_topic = dict(sorted(on_topic.items()))
    if on_topic != manifest.dead:
        errors.append("status: dead letters on the dead-letter topic %s, expected %s"
                      % (on_topic, manifest.dead))
    # each message once: applied or refused (history or dead letter), or a skipped re-delivery
    only_dead = sum(1 for sid in dead_got if sid not in got)
    n_hist = sum(rows_of.values())
    if n_hist + only_dead != manifest.n:
        errors.append("status: %d recorded in permit_history + %d dead letters only = %d, "
                      "%d produced" % (n_hist, only_dead, n_hist + only_dead, manifest.n))
    if lc["applied"] != manifest.applied or lc["refused"] != sum(manifest.dead.values()):
        errors.append("status: ossd_status_updates_total applied %d refused %d, expected %d "
                      "and %d" % (lc["applied"], lc["refused"], manifest.applied,
                                  sum(manifest.dead.values())))
    summary = ("%d status updates: %d offsets stored, %d applied, %d refused %s (%d also in "
               "the history), %d skipped re-deliveries"
               % (manifest.n, consumed, sum(1 for o in got.values() if o == "applied"),
                  len(dead_got), count_by(dead_got.values()), len(dead_got) - only_dead,
                  lc["skipped"]))
    return errors, summary


def count_by(values):
    out = {}
    for v in values:
        out[v] = out.get(v, 0) + 1
    return dict(sorted(out.items()))
