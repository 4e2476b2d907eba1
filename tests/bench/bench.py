"""make bench: ossd's throughput, the raw limit, latency and peak RSS, in one run on the dev stack.

Phases (tests/bench/README.md explains each figure):
  1. throughput  BENCH_N submissions (default 200,000) through ossd, fresh database:
                 produced before ossd starts (N <= 200,000) or streamed while it runs;
                 timed from ossd's partition assignment to every submission decided
                 in PostgreSQL and every event published; peak RSS (VmHWM). With a
                 status stream (BENCH_STATUS_SHARE, default 0.2; 0 = off): once half of
                 the N are stored, loadgen --status-permits produces the agencies'
                 oss.license-status.v1 updates for that share of the permits pending
                 verification so far, and the phase also waits for their offsets
  2. raw limit   the same messages copied into one table with COPY (build/ossd-rawcopy)
  1b. redecide   `ossctl redecide` over what phase 1 just decided (examined / its seconds)
  3. latency     BENCH_RATE submissions/s (default 5,000) for BENCH_LAT_SECONDS (20 s)
                 into a running ossd; input CreateTime -> event CreateTime, p50/p99

The last line of output is one JSON object:
  {"messages": N, "ossd_msgs_per_s": X, "raw_msgs_per_s": Y, "ratio": X/Y,
   "p50_ms": A, "p99_ms": B, "max_rss_mb": C, "ossd_cpu_us_per_msg": D,
   "pg_cpu_us_per_msg": E, "redecide_msgs_per_s": F, "status_msgs": S}
ossd_msgs_per_s stays N / elapsed: the S status updates (status_msgs, how many loadgen
produced) are extra work inside the same wall time, as is their CPU in the CPU figures.
raw_msgs_per_s is the fastest raw configuration of the run (ossd's consumer settings and
a BENCH_RAW_PREFETCH_MB prefetch); redecide_msgs_per_s is null when the decisions have no
stored input to re-decide (streamed input, N > BENCH_STREAM_ABOVE, on a database without the
decision record).
BENCH_PHASES (default all: throughput,redecide,raw,latency) runs only the phases named
(redecide needs throughput), e.g. BENCH_PHASES=throughput,redecide BENCH_N=20000 to try the
redecide phase alone.
Other knobs: BENCH_KEEP=1 keeps the run directory (logs, manifests),
BENCH_PROFILE=1 records a system-wide perf profile of the throughput phase and, in the
bench's own cluster, pg_stat_statements and sampled wait events of ossd's backends,
BENCH_CALLGRIND=1 runs the throughput phase's ossd under callgrind (use a small N),
BENCH_RAW_PREFETCH_MB (default 64; 0 = skip) is the prefetch of the second raw run,
BENCH_CONF="section:key=value;..." changes the ossd config of every phase (rawcopy
reads the same file, so consumer settings stay identical), e.g.
BENCH_CONF="kafka.consumer:fetch.wait.max.ms=20;ossd:batch_max=5000",
BENCH_STREAM_ABOVE (default 200,000) is the N above which the input is streamed.
"""
import json
import math
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from benchlib import (DEVSTACK, LOADGEN, OSSCTL, OSSD, RAWCOPY, BenchError, Broker,  # noqa: E402
                      CpuSnapshot, CreditFeeder, Db, Manifest, Ossd, PgBackends, Proc, Stack,
                      StatusManifest, WaitSampler, format_cpu, free_port, log, proc_cpu, run,
                      scrape_metrics, tail, verify, verify_status, wait_for, write_config)

N = int(os.environ.get("BENCH_N", "200000"))
RATE = float(os.environ.get("BENCH_RATE", "5000"))
LAT_SECONDS = float(os.environ.get("BENCH_LAT_SECONDS", "20"))
KEEP = os.environ.get("BENCH_KEEP", "") not in ("", "0")
PROFILE = os.environ.get("BENCH_PROFILE", "") not in ("", "0")
CALLGRIND = os.environ.get("BENCH_CALLGRIND", "") not in ("", "0")
RAW_PREFETCH_MB = int(os.environ.get("BENCH_RAW_PREFETCH_MB", "64"))
PHASES = {p.strip() for p in os.environ.get("BENCH_PHASES",
                                            "throughput,redecide,raw,latency").split(",")}


def parse_conf(spec):
    out = {}
    for item in filter(None, (x.strip() for x in spec.split(";"))):
        m = re.match(r"^([\w.]+):([\w.]+)=(.*)$", item)
        if not m:
            raise SystemExit("BENCH_CONF: expected section:key=value, got %r" % item)
        out[(m.group(1), m.group(2))] = m.group(3).strip()
    return out


CONF_EXTRA = parse_conf(os.environ.get("BENCH_CONF", ""))

# Above this many messages the input topic cannot hold them all (the mock
# broker keeps ~5 MB per partition: 64 x 5 MB = 320 MB, 200,000 x ~545 B =
# 109 MB): the producer then streams, at most WINDOW messages (~65 MB, ~1 MB
# per partition) ahead of what the consumer has committed.
STREAM_ABOVE = int(os.environ.get("BENCH_STREAM_ABOVE", "200000"))
WINDOW = 120000
PARTITIONS = 64
SEED = 2026

STATUS_SHARE = float(os.environ.get("BENCH_STATUS_SHARE", "0.2"))
STATUS_AFTER = 0.5  # the share of the N submissions stored before the status stream starts

TOPIC_IN, TOPIC_EV, TOPIC_DLQ = "oss.submissions.v1", "oss.issuance.v1", "oss.submissions.v1.dlq"
# the lifecycle topics ossd consumes in the same group: [topics] license_status, nib_actions
TOPIC_ST, TOPIC_ST_DLQ = "oss.license-status.v1", "oss.license-status.v1.dlq"
TOPIC_NIB, TOPIC_NIB_DLQ = "oss.nib-actions.v1", "oss.nib-actions.v1.dlq"
LIFECYCLE = (TOPIC_ST, TOPIC_ST_DLQ, TOPIC_NIB, TOPIC_NIB_DLQ)
LAT_IN, LAT_EV, LAT_DLQ = "bench.latency.submissions", "bench.latency.issuance", "bench.latency.dlq"
# the latency phase's own (empty) lifecycle topics: it must not consume phase 1's status stream
LAT_LIFECYCLE = ("bench.latency.status", "bench.latency.status.dlq", "bench.latency.nib-actions",
                 "bench.latency.nib-actions.dlq")
RAW_STREAM = "bench.raw.submissions"
RAW_STREAM2 = "bench.raw2.submissions"  # the second streamed raw run (a larger prefetch)
TOPICS = ["%s:%d" % (TOPIC_IN, PARTITIONS), "%s:%d" % (TOPIC_EV, PARTITIONS), TOPIC_DLQ + ":16",
          "%s:%d" % (LAT_IN, PARTITIONS), "%s:%d" % (LAT_EV, PARTITIONS), LAT_DLQ + ":16",
          "%s:%d" % (RAW_STREAM, PARTITIONS), "%s:%d" % (RAW_STREAM2, PARTITIONS)] + [
              t + ":16" for t in LIFECYCLE + LAT_LIFECYCLE]


class LoadgenWatch:
    """A loadgen run as a phase waits on it: its manifest once it has exited (manifest(),
    kept in done), and check(), which fails the phase when it (or its credit feeder) failed.
    live=False: the run ended before the phase began and its manifest is given."""

    def __init__(self, bench, gen, manifest_path, manifest=None, feeder=None, live=True):
        self.bench, self.gen, self.path = bench, gen, manifest_path
        self.done, self.feeder, self.live = manifest, feeder, live

    def manifest(self):
        if self.done is None and not self.gen.alive():
            self.bench.loadgen_summary(self.gen)
            self.done = Manifest(self.path)
        return self.done

    def check(self):
        if self.feeder and self.feeder.error:
            raise BenchError("credit feeder: %s" % self.feeder.error)
        if self.live and not self.gen.alive() and self.gen.proc.returncode != 0:
            raise BenchError("loadgen failed (exit %s):\n%s" % (self.gen.proc.returncode,
                                                                tail(self.gen.log_path)))


class StatusStream:
    """The throughput phase's status stream: once ossd has stored the offsets of
    STATUS_AFTER of the N submissions, the permits pending verification decided so far are
    listed and `ossd-loadgen --status-permits` produces the agencies' updates for
    STATUS_SHARE of them into TOPIC_ST at full speed, while ossd works on the rest.
    poll() is called by wait_done on every round; done() once every update produced has its
    offset stored. share 0: no stream (done at once)."""

    def __init__(self, bench, db, share):
        self.bench, self.db, self.share = bench, db, share
        self.state = "off" if share <= 0 else "waiting"
        self.gen = self.manifest = None
        self.produced = self.listed = self.consumed = 0
        self.at_submissions = self.t_start = self.t_produced = None
        self.t_stored = self.t_submissions = None  # every status / submission offset stored
        self.permits_path = bench.path("status.permits")
        self.manifest_path = bench.path("status.manifest")

    def poll(self, submissions_consumed):
        if self.t_submissions is None and submissions_consumed >= N:
            self.t_submissions = time.time()
        if self.state == "waiting" and submissions_consumed >= STATUS_AFTER * N:
            rows = self.db.all("SELECT permit_id FROM permits "
                               "WHERE status = 'pending_verification' ORDER BY permit_id")
            with open(self.permits_path, "w") as f:
                f.write("".join(r[0] + "\n" for r in rows))
            self.listed, self.at_submissions = len(rows), submissions_consumed
            b = self.bench
            self.t_start = time.time()
            self.gen = b.start(Proc("loadgen", [
                LOADGEN, "--brokers", b.broker.bootstrap, "--status-permits", self.permits_path,
                "--status-share", repr(self.share), "--status-topic", TOPIC_ST, "--prefix",
                b.prefix, "--seed", str(SEED), "--manifest", self.manifest_path, "--stats"],
                b.path("loadgen-status.log")))
            self.state = "producing"
        elif self.state == "producing":
            if not self.gen.alive():
                self.produced, _ = self.bench.loadgen_summary(self.gen)  # raises on a failure
                self.t_produced = time.time()
                self.manifest = StatusManifest(self.manifest_path)
                if self.manifest.n != self.produced:
                    raise BenchError("status: loadgen produced %d, its manifest lists %d"
                                     % (self.produced, self.manifest.n))
                self.state = "produced"
        if self.state in ("producing", "produced"):
            self.consumed = self.db.consumed(TOPIC_ST)
            if self.t_stored is None and self.done():
                self.t_stored = time.time()

    def progress(self):
        return (self.state, self.consumed)

    def done(self):
        return self.state == "off" or (self.state == "produced" and
                                       self.consumed >= self.produced)

    def report(self):
        if self.state in ("producing", "produced"):
            return "; status %d of %s" % (self.consumed, self.produced if
                                         self.state == "produced" else "?")
        return ""


class Bench:
    def __init__(self):
        self.work = tempfile.mkdtemp(prefix="ossd-bench-")
        os.chmod(self.work, 0o755)
        self.stack = Stack(os.path.join(self.work, "stack"))
        self.broker = None
        self.procs = []  # everything to stop at the end
        self.tag = uuid.uuid4().hex[:6]
        self.epoch = int(time.time())  # submitted_at clock: the same for both productions
        self.results = {}
        self.notes = []

    # ---- helpers ---------------------------------------------------------------------

    def path(self, name):
        return os.path.join(self.work, name)

    def start(self, proc):
        self.procs.append(proc)
        return proc

    def ossd_config(self, name, url, group, topics=(TOPIC_IN, TOPIC_EV, TOPIC_DLQ), extra=None,
                    lifecycle=LIFECYCLE):
        """The devstack's ossd.conf pointed at our broker, url and topics, the lifecycle
        ones included (and the extra {(section, key): value} settings)."""
        settings = dict(CONF_EXTRA)
        settings.update(extra or {})
        settings.update({
            ("postgres", "url"): url,
            ("kafka", "bootstrap.servers"): self.broker.bootstrap,
            ("kafka", "group.id"): group,
            ("topics", "submissions"): topics[0],
            ("topics", "issuance"): topics[1],
            ("topics", "dlq"): topics[2],
            ("topics", "license_status"): lifecycle[0],
            ("topics", "license_status_dlq"): lifecycle[1],
            ("topics", "nib_actions"): lifecycle[2],
            ("topics", "nib_actions_dlq"): lifecycle[3],
        })
        return write_config(self.path(name + ".conf"), self.stack.ossd_conf, settings)

    def loadgen_args(self, topic, n, prefix, manifest, rate=0, seed=SEED, credits=False):
        args = [LOADGEN, "--brokers", self.broker.bootstrap, "--topic", topic, "-n", str(n),
                "--seed", str(seed), "--epoch", str(self.epoch), "--prefix", prefix,
                "--manifest", manifest, "--stats"]
        if rate:
            args += ["--rate", str(rate)]
        if credits:
            args.append("--credits-stdin")
        return args

    @staticmethod
    def loadgen_summary(proc):
        out = proc.output()
        m = re.search(r"loadgen: produced=(\d+) delivered=(\d+) failed=(\d+) undelivered=(\d+) "
                      r"elapsed_s=([\d.]+) rate=(\d+)", out)
        if proc.proc.returncode != 0 or not m or m.group(1) != m.group(2):
            raise BenchError("loadgen failed (exit %s):\n%s" % (proc.proc.returncode,
                                                                tail(proc.log_path)))
        return int(m.group(1)), float(m.group(6))

    def wait_done(self, ossd, db, topic, n, manifest_fn, t_start, what, extra_check=None,
                  stream=None):
        """Polls PostgreSQL every 50 ms until every message of topic is consumed
        and committed, every decision stored and every event published (and, with
        stream, a StatusStream, every status update consumed and committed). Fails
        when nothing moves for 60 s, ossd exits, or it takes far too long.
        Returns the wall-clock time of completion."""
        deadline = time.monotonic() + 120 + n / 200.0
        last_state, last_change = None, time.monotonic()
        next_report, last_rss = time.monotonic() + 5, 0.0
        last_consumed, last_t = 0, time.time()
        while True:
            if not ossd.alive():
                raise BenchError("ossd exited during %s (exit %s):\n%s"
                                 % (what, ossd.proc.returncode, tail(ossd.log_path)))
            if extra_check:
                extra_check()
            now = time.monotonic()
            if now - last_rss >= 0.5:
                ossd.sample_rss()
                last_rss = now
            consumed = db.consumed(topic)
            state = (consumed,)
            if stream:
                stream.poll(consumed)
                state += stream.progress()
            if consumed >= n and (stream is None or stream.done()):
                manifest = manifest_fn()
                if manifest is not None:
                    decided, unpublished = db.decided(topic), db.unpublished()
                    state += (decided, unpublished)
                    if decided >= manifest.rows and unpublished == 0:
                        return time.time()
            if state != last_state:
                last_state, last_change = state, now
            elif now - last_change > 60:
                raise BenchError("%s: no progress for 60 s (consumed %d of %d%s, state %s)\n"
                                 "--- last lines of %s:\n%s"
                                 % (what, consumed, n, stream.report() if stream else "",
                                    state, ossd.log_path, tail(ossd.log_path)))
            if now > deadline:
                raise BenchError("%s: not done after %.0f s (consumed %d of %d)"
                                 % (what, time.time() - t_start, consumed, n))
            if now >= next_report:
                t = time.time()
                log("    %5.1f s: %d of %d consumed and committed (%.0f/s lately), "
                    "RSS %.1f MiB%s" % (t - t_start, consumed, n,
                                        (consumed - last_consumed) / (t - last_t),
                                        ossd.rss_samples[-1] / 1024 if ossd.rss_samples else 0,
                                        stream.report() if stream else ""))
                last_consumed, last_t = consumed, t
                next_report = now + 5
            time.sleep(0.05)

    @staticmethod
    def scrape(addr):
        def once():
            try:
                return scrape_metrics(addr)
            except OSError:
                return None
        return wait_for(once, 15, "ossd's /metrics at " + addr)

    def start_perf(self):
        if not PROFILE:
            return None
        p = Proc("perf", ["perf", "record", "-a", "-g", "-F", "999", "-e", "cpu-clock",
                          "-o", self.path("perf.data")], self.path("perf.log"))
        return self.start(p)

    def report_perf(self, perf, ossd_pid=None):
        if not perf:
            return
        perf.stop(30, signal.SIGINT)
        views = [("by comm,dso (%% of all samples)", ["--sort", "comm,dso", "--percent-limit",
                                                      "0.5"], 20),
                 ("by comm,dso,symbol (%% of all samples)",
                  ["--sort", "comm,dso,symbol", "--percent-limit", "0.4"], 40)]
        if ossd_pid:
            views.append(("ossd's process only, by symbol (%% of ossd's samples)",
                          ["--pid", str(ossd_pid), "--percentage", "relative", "--sort",
                           "dso,symbol", "--percent-limit", "0.7"], 30))
        views.append(("PostgreSQL's processes only, by symbol (%% of PostgreSQL's samples)",
                      ["--comms", "postgres", "--percentage", "relative", "--sort", "dso,symbol",
                       "--percent-limit", "0.7"], 30))
        for what, args, rows in views:
            r = subprocess.run(["perf", "report", "-i", self.path("perf.data"), "--stdio",
                                "--no-children", "-g", "none"] + args, capture_output=True,
                               text=True, timeout=300)
            lines = [ln for ln in r.stdout.splitlines() if ln.strip() and not
                     ln.startswith("#") and "swapper" not in ln]
            log("  perf, system-wide cpu-clock samples, %s:" % (what % ()))
            for ln in lines[:rows]:
                log("    " + re.sub(r"\s+-\s+-\s*$", "", ln.rstrip()))

    def report_callgrind(self):
        """ossd's functions by inclusive and by exclusive cost (instructions),
        from valgrind --tool=callgrind (BENCH_CALLGRIND=1; slow: use a small N)."""
        for inclusive, rows in (("yes", 45), ("no", 30)):
            r = subprocess.run(["callgrind_annotate", "--inclusive=" + inclusive,
                                self.path("callgrind.out")], capture_output=True, text=True,
                               timeout=300)
            lines = [ln for ln in r.stdout.splitlines() if re.match(r"^\s*[\d,]+ \(", ln)]
            log("  callgrind, ossd's %s cost (instructions, %% of the whole run):"
                % ("inclusive" if inclusive == "yes" else "exclusive"))
            for ln in lines[:rows]:
                log("    " + ln.strip()[:150])

    def enable_pgss(self):
        """pg_stat_statements in the bench's private cluster (a restart: it
        must be preloaded); BENCH_PROFILE only."""
        db = Db(self.stack.pg_url)
        cur = db.conn.cursor()
        cur.execute("ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'")
        db.close()
        run([DEVSTACK, "stop", "pg"], 120, "deploy/devstack stop pg", env=self.stack.env)
        run([DEVSTACK, "start", "pg"], 120, "deploy/devstack start pg", env=self.stack.env)
        self.postmaster = self.stack.postmaster_pid()
        log("   pg_stat_statements preloaded in the bench's cluster (BENCH_PROFILE)")

    def report_pg_profile(self, db, sampler):
        rows = db.all(
            "SELECT s.calls, s.total_exec_time, s.total_plan_time, s.rows, s.wal_bytes, "
            "regexp_replace(s.query, '\\s+', ' ', 'g') FROM pg_stat_statements s "
            "JOIN pg_database d ON d.oid = s.dbid WHERE d.datname = current_database() "
            "AND s.query NOT ILIKE '%%pg_stat%%' ORDER BY s.total_exec_time DESC LIMIT 15")
        total = sum(r[1] for r in rows) or 1e-9
        log("  pg_stat_statements over the phase (this database; top 15 by total time):")
        log("    %8s %10s %6s %8s %10s %9s  %s" % ("calls", "total ms", "%", "mean ms", "rows",
                                                 "WAL MB", "statement"))
        for calls, tot, plan, nrows, wal, q in rows:
            log("    %8d %10.0f %5.1f%% %8.2f %10d %9.1f  %s"
                % (calls, tot, 100 * tot / total, tot / max(calls, 1), nrows,
                   float(wal or 0) / 1e6, q[:110]))
        sampler.stop()
        if sampler.error:
            log("  wait events: sampler failed: %s" % sampler.error)
            return
        per_pid = {}
        for (pid, state, wtype, wev), c in sampler.counts.items():
            per_pid.setdefault(pid, {})[(state, wtype, wev)] = c
        log("  ossd's backends, pg_stat_activity sampled every %.0f ms (%d samples): "
            "state / wait_event_type / wait_event (CPU: no wait event)"
            % (sampler.interval * 1000, sampler.samples))

        def busy(rows):
            return sum(c for (st, _, _), c in rows.items() if st != "idle")
        for pid, rows in sorted(per_pid.items(), key=lambda kv: -busy(kv[1])):
            n = sum(rows.values())
            log("    backend %d: %d samples, %.0f%% not idle" % (pid, n, 100.0 * busy(rows) / n))
            for (state, wtype, wev), c in sorted(rows.items(), key=lambda kv: -kv[1])[:10]:
                if 100.0 * c / n >= 0.5:
                    log("      %5.1f%%  %-20s %-10s %s" % (100.0 * c / n, state, wtype, wev))

    # ---- phases ----------------------------------------------------------------------

    def setup(self):
        log("== ossd benchmark: N=%d, latency at %g/s for %g s; %d CPUs; run dir %s"
            % (N, RATE, LAT_SECONDS, os.cpu_count(), self.work))
        if CONF_EXTRA:
            log("   config changes (BENCH_CONF): %s" % ", ".join(
                "[%s] %s = %s" % (k[0], k[1], v) for k, v in CONF_EXTRA.items()))
        for b in (OSSD, LOADGEN, RAWCOPY):
            if not os.access(b, os.X_OK):
                raise BenchError("%s is missing: run make" % b)
        log("== dev stack (PostgreSQL) and our own mock broker (%s)" % ", ".join(TOPICS))
        self.stack.up()
        self.broker = Broker(self.work, TOPICS)
        self.procs.append(self.broker.proc)
        self.postmaster = self.stack.postmaster_pid()
        if PROFILE:
            self.enable_pgss()

    def throughput(self):
        streaming = N > STREAM_ABOVE
        log("\n== phase 1: ossd throughput, %d submissions (%s)"
            % (N, "streamed while ossd runs" if streaming else "produced before ossd starts"))
        url = self.stack.new_database("bench_tp")
        datname = url.rpartition("/")[2]
        metrics_addr = "127.0.0.1:%d" % free_port()
        conf = self.ossd_config("tp", url, "bench-tp-" + self.tag,
                                extra={("ossd", "metrics_listen"): metrics_addr})
        self.tp_url, self.tp_conf = url, conf
        manifest_path = self.path("tp.manifest")
        self.prefix = "tp-" + self.tag
        db = Db(url)
        if PROFILE:
            db.conn.cursor().execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        gen = None
        if not streaming:
            gen = self.start(Proc("loadgen", self.loadgen_args(TOPIC_IN, N, self.prefix,
                                                               manifest_path),
                                  self.path("loadgen-tp.log")))
            gen.wait(120 + N / 10000.0, "loadgen to produce %d messages" % N)
            n, rate = self.loadgen_summary(gen)
            log("  loadgen: %d messages produced at %.0f msgs/s" % (n, rate))
            self.results["loadgen_msgs_per_s"] = rate
            manifest = Manifest(manifest_path)

        wrapper = ()
        if CALLGRIND:
            wrapper = ("valgrind", "--tool=callgrind", "--quiet",
                       "--callgrind-out-file=" + self.path("callgrind.out"))
        ossd = self.start(Ossd(conf, self.path("ossd-tp.log"), wrapper))
        t_assigned = ossd.wait_assigned()
        log("  ossd assigned its partitions %.2f s after start" % (t_assigned - ossd.t_spawn))
        others = [("mock broker", self.broker.proc.pid)]
        feeder = None
        if streaming:
            feed_db = Db(url)
            gen = self.start(Proc("loadgen", self.loadgen_args(TOPIC_IN, N, self.prefix,
                                                               manifest_path, credits=True),
                                  self.path("loadgen-tp.log"), stdin=subprocess.PIPE))
            t_start = time.time()
            feeder = CreditFeeder(gen.proc.stdin, lambda: feed_db.consumed(TOPIC_IN), WINDOW, N)
            feeder.start()
            others.append(("loadgen", gen.pid))
            manifest = None
        else:
            t_start = t_assigned
        cpu0 = CpuSnapshot(ossd.pid, self.postmaster, others)
        ossd_cpu0 = proc_cpu(ossd.pid)
        backends = PgBackends(db, datname)
        backends.start()
        metrics0 = self.scrape(metrics_addr)
        sampler = None
        if PROFILE:
            db.one("SELECT pg_stat_statements_reset()")
            sampler = WaitSampler(url, datname)
            sampler.start()
        perf = self.start_perf()

        watch = LoadgenWatch(self, gen, manifest_path, manifest, feeder, live=streaming)
        status = StatusStream(self, db, STATUS_SHARE)
        t_end = self.wait_done(ossd, db, TOPIC_IN, N, watch.manifest, t_start, "throughput",
                               watch.check, status)
        cpu1 = CpuSnapshot(ossd.pid, self.postmaster, others)
        ossd_cpu1 = proc_cpu(ossd.pid)
        pg_cpu, pg_seen, pg_gone = backends.stop()
        metrics1 = self.scrape(metrics_addr)
        hwm = ossd.status().get("VmHWM", 0)
        if sampler:
            self.report_pg_profile(db, sampler)
        self.report_perf(perf, ossd.pid)
        manifest = watch.done
        elapsed = t_end - t_start
        if streaming:
            _, rate = self.loadgen_summary(gen)
            self.results["loadgen_msgs_per_s"] = rate
            feeder.stop()

        rc = ossd.stop(300 if CALLGRIND else 60)  # first: its backend's statistics are flushed
        if CALLGRIND:
            self.report_callgrind()
        tables = db.all(
            "SELECT relname, seq_scan, seq_tup_read, coalesce(idx_scan, 0), n_tup_ins, "
            "n_tup_upd, n_tup_del FROM pg_stat_user_tables "
            "WHERE seq_tup_read + coalesce(idx_scan, 0) + n_tup_ins + n_tup_upd + n_tup_del > 0 "
            "ORDER BY seq_tup_read DESC, n_tup_ins DESC LIMIT 8")
        errors, notes = verify(db, manifest, TOPIC_IN)
        status_summary = None
        if status.state != "off":
            lc = {r: metrics1.get('ossd_status_updates_total{result="%s"}' % r, 0.0) -
                  metrics0.get('ossd_status_updates_total{result="%s"}' % r, 0.0)
                  for r in ("applied", "skipped", "refused")}
            st_errors, status_summary = verify_status(db, status.manifest, TOPIC_ST,
                                                      read_dead_letters(self.broker.bootstrap,
                                                                        TOPIC_ST_DLQ), lc)
            errors += st_errors
        outbox = db.one("SELECT count(*) FROM outbox")
        decided = dict(db.all("SELECT status, count(*) FROM submissions GROUP BY 1"))
        db.close()
        ossd_cpu = ossd_cpu1 - ossd_cpu0
        self.results.update({
            "ossd_cpu_us_per_msg": ossd_cpu * 1e6 / N, "pg_cpu_us_per_msg": pg_cpu * 1e6 / N,
            "ossd_msgs_per_s": N / elapsed, "tp_elapsed_s": elapsed,
            "tp_from_spawn_s": t_end - ossd.t_spawn, "tp_hwm_kb": hwm,
            "tp_rss_max_kb": max(ossd.rss_samples or [0]), "status_msgs": status.produced,
        })
        log("  ossd: %d messages in %.2f s = %.0f msgs/s (%.2f s from process start)"
            % (N, elapsed, N / elapsed, t_end - ossd.t_spawn))
        log("  decided: %s; dead letters %s; %d re-deliveries ignored; %d outbox rows"
            % (decided, manifest.dead, manifest.expect.get("duplicate", 0), outbox))
        if status.state == "off":
            log("  status stream: off (BENCH_STATUS_SHARE=0)")
        else:
            log("  status stream: started %.2f s into the phase, with %d of %d submissions "
                "stored: %d pending permits listed, %d updates for a share of %g, produced "
                "in %.2f s; every status offset stored %.2f s, every submission offset "
                "%.2f s into the phase"
                % (status.t_start - t_start, status.at_submissions, N, status.listed,
                   status.produced, STATUS_SHARE, status.t_produced - status.t_start,
                   status.t_stored - t_start, status.t_submissions - t_start))
            log("  status: " + status_summary)
        log("  peak RSS (VmHWM) %.1f MiB; largest sampled VmRSS %.1f MiB; exit %s"
            % (hwm / 1024, max(ossd.rss_samples or [0]) / 1024, rc))
        cpu_rows, cpu_wall = cpu1.delta(cpu0)
        log(format_cpu(cpu_rows, cpu_wall))
        log("  CPU per message: ossd %.1f us (%.2f s, every thread), PostgreSQL %.1f us (%.2f s, "
            "the %d backend(s) serving ossd's connections%s)"
            % (ossd_cpu * 1e6 / N, ossd_cpu, pg_cpu * 1e6 / N, pg_cpu, pg_seen,
               "; %d exited during the phase, their CPU is missing" % pg_gone if pg_gone else ""))
        log(format_walltime(elapsed, metrics0, metrics1, dict((r[0], r[1]) for r in cpu_rows),
                            pg_cpu))
        log("  PostgreSQL table access (pg_stat_user_tables; migrations included):")
        log("    %-20s %9s %13s %9s %9s %9s %9s" % ("table", "seq scans", "rows seq-read",
                                                  "idx scans", "inserted", "updated",
                                                  "deleted"))
        for t in tables:
            log("    %-20s %9d %13d %9d %9d %9d %9d" % t)
        for n in notes:
            self.notes.append("throughput: " + n)
            log("  NOTE: " + n)
        if rc != 0:
            self.notes.append("throughput: ossd exited %s on SIGTERM" % rc)
        if errors:
            raise BenchError("throughput phase: exactness check failed:\n  " +
                             "\n  ".join(errors))
        log("  exactness: every submission decided once, dead letters as expected%s: OK"
            % ("" if status.state == "off" else "; every status update applied or refused "
               "once, as planned"))

    def fill_inputs(self, db):
        """Decisions stored without their input (ossd before the decision record, migration
        009) get it from the input topic, matched by source partition and offset, and a
        decision order (decided_at, partition, offset): what that ossd would have stored.
        Returns how many rows were filled."""
        import io
        cur = db.conn.cursor()
        cur.execute("ALTER TABLE submissions ADD COLUMN IF NOT EXISTS input bytea, "
                    "ADD COLUMN IF NOT EXISTS decision_seq bigint")
        missing = db.one("SELECT count(*) FROM submissions WHERE input IS NULL")
        if missing == 0:
            return 0
        cur.execute("CREATE TEMP TABLE bench_inputs (p integer, o bigint, v bytea)")
        from confluent_kafka import Consumer, TopicPartition
        c = Consumer({"bootstrap.servers": self.broker.bootstrap,
                      "group.id": "bench-fill-" + uuid.uuid4().hex,
                      "enable.auto.commit": False, "enable.partition.eof": False})
        try:
            md = c.list_topics(TOPIC_IN, timeout=10)
            want = {}
            for p in sorted(md.topics[TOPIC_IN].partitions):
                lo, hi = c.get_watermark_offsets(TopicPartition(TOPIC_IN, p), timeout=10)
                if hi > lo:
                    want[p] = hi
            c.assign([TopicPartition(TOPIC_IN, p, 0) for p in want])
            pos = {p: 0 for p in want}
            deadline = time.monotonic() + 300
            while any(pos[p] < want[p] for p in want):
                if time.monotonic() > deadline:
                    raise BenchError("timed out reading %s" % TOPIC_IN)
                buf = io.StringIO()
                for m in c.consume(10000, 0.5):
                    if m.error() or m.value() is None:
                        continue
                    buf.write("%d\t%d\t\\\\x%s\n" % (m.partition(), m.offset(), m.value().hex()))
                    pos[m.partition()] = m.offset() + 1
                buf.seek(0)
                cur.copy_expert("COPY bench_inputs FROM STDIN", buf)
        finally:
            c.close()
        cur.execute("UPDATE submissions s SET input = v FROM bench_inputs b "
                    "WHERE s.src_partition = b.p AND s.src_offset = b.o AND s.input IS NULL")
        cur.execute("DROP TABLE bench_inputs")
        filled = missing - db.one("SELECT count(*) FROM submissions WHERE input IS NULL")
        cur.execute("UPDATE submissions s SET decision_seq = r.n FROM (SELECT submission_id, "
                    "row_number() OVER (ORDER BY decided_at, src_partition, src_offset) AS n "
                    "FROM submissions WHERE decision_seq IS NULL) r "
                    "WHERE s.submission_id = r.submission_id")
        return filled

    def redecide(self):
        """Phase 1b: `ossctl redecide` over the decisions phase 1 stored, all cores."""
        log("\n== phase 1b: ossctl redecide over the %d decisions just stored" % N)
        self.results["redecide_msgs_per_s"] = None
        db = Db(self.tp_url)
        try:
            if N > STREAM_ABOVE and (not self.has_input(db) or db.one(
                    "SELECT count(*) FROM submissions WHERE input IS NOT NULL") == 0):
                log("  not measured: the input was streamed (the topic no longer holds it) and "
                    "the decisions hold none (null)")
                return
            t0 = time.time()
            filled = self.fill_inputs(db)
            if filled:
                log("  %d decisions had no stored input (no decision record in this ossd): "
                    "filled from %s in %.1f s" % (filled, TOPIC_IN, time.time() - t0))
            rows = db.one("SELECT count(*) FROM submissions")
            # What autovacuum does to the freshly loaded tables a little later: without it the
            # first read of 200,000 new rows also sets their hint bits and competes with an
            # autovacuum that starts in the middle of the measurement.
            t0 = time.time()
            db.conn.cursor().execute("VACUUM (ANALYZE) submissions, activities")
            log("  VACUUM (ANALYZE) submissions, activities first: %.1f s" % (time.time() - t0))
        finally:
            db.close()
        t0 = time.time()
        out = run([OSSCTL, "--config", self.tp_conf, "redecide"], 600, "ossctl redecide")
        wall = time.time() - t0
        last = json.loads(out.rstrip("\n").split("\n")[-1])
        for line in out.rstrip("\n").split("\n")[:-1]:
            log("  | " + line)
        if last["examined"] != rows:
            self.notes.append("redecide: examined %d of %d decisions" % (last["examined"], rows))
        if last["changed"] != 0:
            self.notes.append("redecide: %d decisions would change with the same rules and "
                              "data (expected 0)" % last["changed"])
        rate = last["examined"] / last["seconds"] if last["seconds"] > 0 else None
        self.results["redecide_msgs_per_s"] = rate
        self.results["redecide_wall_s"] = wall
        log("  ossctl redecide: %d examined, %d changed, in %.2f s (%.2f s with start-up) = "
            "%.0f msgs/s on %d CPUs" % (last["examined"], last["changed"], last["seconds"], wall,
                                        rate or 0, os.cpu_count()))

    @staticmethod
    def has_input(db):
        return db.one("SELECT count(*) FROM pg_attribute WHERE attrelid = 'submissions'::regclass "
                      "AND attname = 'input' AND NOT attisdropped") > 0

    def rawcopy(self, label, extra=(), stream_topic=RAW_STREAM):
        streaming = N > STREAM_ABOVE
        url = self.stack.new_database("bench_raw", migrate=False)
        topic = stream_topic if streaming else TOPIC_IN
        conf = self.ossd_config("raw", url, "bench-raw-" + self.tag,
                                (topic, TOPIC_EV, TOPIC_DLQ))
        args = [RAWCOPY, "--config", conf, "-n", str(N), "--idle-timeout", "120"]
        for x in extra:
            args += ["-X", x]
        if streaming:
            args.append("--progress")
        raw = self.start(Proc("rawcopy", args, self.path("rawcopy-%s.log" % label)))
        others = [("rawcopy", raw.pid), ("mock broker", self.broker.proc.pid)]
        gen = feeder = None
        if streaming:
            wait_for(lambda: "assigned" in raw.output() or not raw.alive(), 60,
                     "rawcopy's assignment", log_path=raw.log_path)

            def progress():
                m = re.findall(r"^progress (\d+)$", raw.output(), re.M)
                return int(m[-1]) if m else 0
            gen = self.start(Proc("loadgen", self.loadgen_args(topic, N, self.prefix,
                                                               self.path(topic + ".manifest"),
                                                               credits=True),
                                  self.path("loadgen-%s.log" % topic), stdin=subprocess.PIPE))
            feeder = CreditFeeder(gen.proc.stdin, progress, WINDOW, N)
            feeder.start()
            others.append(("loadgen", gen.pid))
        cpu0 = cpu1 = CpuSnapshot(None, self.postmaster, others)
        deadline = time.monotonic() + 180 + N / 500.0
        while raw.alive():  # CPU times can only be read while the processes live
            if time.monotonic() > deadline:
                raise BenchError("rawcopy did not copy %d messages in time:\n%s"
                                 % (N, tail(raw.log_path)))
            cpu1 = CpuSnapshot(None, self.postmaster, others)
            time.sleep(0.05)
        raw.wait(10)
        if feeder:
            feeder.stop()
            gen.wait(60)
            self.loadgen_summary(gen)
        m = re.search(r"rawcopy: messages=(\d+) elapsed_s=([\d.]+) rate=([\d.]+)", raw.output())
        if raw.proc.returncode != 0 or not m:
            raise BenchError("rawcopy failed (exit %s):\n%s" % (raw.proc.returncode,
                                                                tail(raw.log_path)))
        rate = float(m.group(3))
        db = Db(url)
        rows = db.one("SELECT count(*) FROM raw_copy")
        db.close()
        if rows != N:
            raise BenchError("rawcopy: %d rows in raw_copy, expected %d" % (rows, N))
        log("  %s: %d messages in %s s = %.0f msgs/s" % (label, N, m.group(2), rate))
        log(format_cpu(*cpu1.delta(cpu0)))
        return rate

    def raw_limit(self):
        log("\n== phase 2: raw limit (build/ossd-rawcopy: consume, COPY into one table, "
            "commit per batch), %s" % ("same generator, streamed into %s" % RAW_STREAM
                                       if N > STREAM_ABOVE else "the same messages, same topic"))
        runs = [("ossd's consumer settings",
                 self.rawcopy("rawcopy (ossd's consumer settings)"))]
        if RAW_PREFETCH_MB > 0:
            kb = RAW_PREFETCH_MB * 1024
            runs.append(("queued.max.messages.kbytes=%d" % kb,
                         self.rawcopy("rawcopy (queued.max.messages.kbytes=%d)" % kb,
                                      ["queued.max.messages.kbytes=%d" % kb], RAW_STREAM2)))
        best = max(runs, key=lambda r: r[1])
        self.results["raw_runs"] = runs
        self.results["raw_msgs_per_s"], self.results["raw_best"] = best[1], best[0]
        log("  raw limit: %.0f msgs/s, the fastest of %d configuration(s) (%s)"
            % (best[1], len(runs), best[0]))

    def latency(self):
        n = max(1, int(RATE * LAT_SECONDS))
        log("\n== phase 3: latency, %d submissions at %g/s into a running ossd" % (n, RATE))
        url = self.stack.new_database("bench_lat")
        conf = self.ossd_config("lat", url, "bench-lat-" + self.tag, (LAT_IN, LAT_EV, LAT_DLQ),
                                lifecycle=LAT_LIFECYCLE)
        db = Db(url)
        ossd = self.start(Ossd(conf, self.path("ossd-lat.log")))
        ossd.wait_assigned()
        time.sleep(1.0)  # fetchers running, nothing to catch up on
        manifest_path = self.path("lat.manifest")
        t_start = time.time()
        gen = self.start(Proc("loadgen", self.loadgen_args(LAT_IN, n, "lat-" + self.tag,
                                                           manifest_path, rate=RATE,
                                                           seed=SEED + 1),
                              self.path("loadgen-lat.log")))
        watch = LoadgenWatch(self, gen, manifest_path)
        self.wait_done(ossd, db, LAT_IN, n, watch.manifest, t_start, "latency", watch.check)
        _, offered = self.loadgen_summary(gen)
        hwm = ossd.status().get("VmHWM", 0)
        manifest = watch.done
        errors, notes = verify(db, manifest, LAT_IN)
        db.close()
        rc = ossd.stop(60)
        if rc != 0:
            self.notes.append("latency: ossd exited %s on SIGTERM" % rc)
        if errors:
            raise BenchError("latency phase: exactness check failed:\n  " + "\n  ".join(errors))
        for note in notes:
            self.notes.append("latency: " + note)

        inputs = read_topic(self.broker.bootstrap, LAT_IN)
        events = read_topic(self.broker.bootstrap, LAT_EV)
        in_ts, seen_twice, t_first = {}, set(), None
        for value, ts in inputs:
            m = re.search(rb'"submission_id":"([^"]+)"', value)
            t_first = ts if t_first is None else min(t_first, ts)
            if not m:
                continue
            sid = m.group(1).decode()
            if sid in in_ts:
                seen_twice.add(sid)  # re-deliveries and conflicts: ambiguous input time
            else:
                in_ts[sid] = ts
        lat, warm, done = [], 0, set()
        for value, ts in sorted(events, key=lambda e: e[1]):
            sid = json.loads(value)["data"]["submission_id"]
            if sid not in in_ts or sid in seen_twice or sid in done:
                continue
            done.add(sid)  # an event sent again (at least once) counts once, the first
            if in_ts[sid] < t_first + 1000:
                warm += 1  # the first second: connections and caches warming up
                continue
            lat.append(ts - in_ts[sid])
        if len(done) + warm + len(seen_twice & set(in_ts)) < manifest.decisions:
            raise BenchError("latency: %d events on %s for %d decisions"
                             % (len(events), LAT_EV, manifest.decisions))
        if len(events) > manifest.decisions:
            self.notes.append("latency: %d events for %d decisions (sent again)"
                              % (len(events), manifest.decisions))
        if not lat:
            raise BenchError("latency: no event could be matched to its input")
        lat.sort()

        def pct(p):
            return float(lat[max(0, math.ceil(p / 100.0 * len(lat)) - 1)])

        self.results.update({"p50_ms": pct(50), "p99_ms": pct(99), "lat_hwm_kb": hwm,
                             "lat_offered": offered})
        log("  offered %.0f msgs/s; %d events, %d measured (first second skipped: %d; "
            "ids sent twice skipped: %d)" % (offered, len(events), len(lat), warm,
                                             len(seen_twice)))
        log("  latency ms: p50 %.0f  p90 %.0f  p99 %.0f  p99.9 %.0f  max %.0f  mean %.1f"
            % (pct(50), pct(90), pct(99), pct(99.9), lat[-1], sum(lat) / len(lat)))
        log("  peak RSS (VmHWM) %.1f MiB; exit %s" % (hwm / 1024, rc))

    def cleanup(self, ok):
        for p in reversed(self.procs):
            try:
                p.stop(30)
            except Exception as e:  # noqa: BLE001 (best effort, keep stopping the rest)
                log("warning: stopping %s: %s" % (p.name, e))
        self.stack.down()
        if ok and not KEEP:
            shutil.rmtree(self.work, ignore_errors=True)
        else:
            log("run directory kept: %s" % self.work)


def format_walltime(wall, m0, m1, cpu, pg_cpu):
    """Where ossd's wall time of the throughput phase goes: the writer thread's
    batch transactions (ossd_batch_commit_seconds of ossd's /metrics) and the
    CPU of each thread (/proc). ossd exports no finer split (time deciding,
    encoding, waiting on the consumer queue): those are its main thread's."""
    def d(name):
        return m1.get(name, 0.0) - m0.get(name, 0.0)
    commit, batches = d("ossd_batch_commit_seconds_sum"), d("ossd_batch_commit_seconds_count")
    size = d("ossd_batch_size_sum")
    main, writer = cpu.get("ossd ossd", 0.0), cpu.get("ossd ossd-writer", 0.0)
    rdk = sum(v for k, v in cpu.items() if k.startswith("ossd rdk:"))
    other = sum(v for k, v in cpu.items() if k.startswith("ossd ")) - main - writer - rdk

    def pct(x):
        return 100.0 * x / wall if wall > 0 else 0.0
    out = ["  where ossd's wall time goes (%.2f s; /metrics and /proc per thread):" % wall,
           "    writer thread in batch transactions  %7.2f s %5.1f%%  (%d batches, mean %.1f ms, "
           "mean %.0f messages; ossd_batch_commit_seconds)" % (commit, pct(commit), batches,
                                                               1000 * commit / max(batches, 1),
                                                               size / max(batches, 1)),
           "      of which on the writer's CPU       %7.2f s %5.1f%%  (COPY/SQL built, libpq)"
           % (writer, pct(writer)),
           "      of which waiting on PostgreSQL     %7.2f s %5.1f%%  (its backends' CPU %.2f s; "
           "the rest is WAL flush, locks, network)" % (max(commit - writer, 0.0),
                                                       pct(max(commit - writer, 0.0)), pg_cpu),
           "    writer thread idle (no batch ready)  %7.2f s %5.1f%%" % (max(wall - commit, 0.0),
                                                                         pct(max(wall - commit,
                                                                                 0.0))),
           "    main thread on CPU                   %7.2f s %5.1f%%  (poll, parse, validate, "
           "decide, encode, publish: not split by ossd's metrics)" % (main, pct(main)),
           "    main thread off CPU                  %7.2f s %5.1f%%  (waiting for the writer "
           "or the consumer queue)" % (max(wall - main, 0.0), pct(max(wall - main, 0.0))),
           "    librdkafka threads on CPU            %7.2f s %5.1f%%  (fetch, produce, network)"
           % (rdk, pct(rdk))]
    if other > 0.005:
        out.append("    ossd's other threads on CPU          %7.2f s %5.1f%%" % (other,
                                                                                 pct(other)))
    return "\n".join(out)


def read_all(bootstrap, topic, take, timeout=120):
    """take(message) of every message of topic, all partitions up to their current high
    watermark."""
    from confluent_kafka import Consumer, TopicPartition
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "bench-read-" + uuid.uuid4().hex,
                  "enable.auto.commit": False, "enable.partition.eof": False})
    try:
        md = c.list_topics(topic, timeout=10)
        want = {}
        for p in sorted(md.topics[topic].partitions):
            lo, hi = c.get_watermark_offsets(TopicPartition(topic, p), timeout=10)
            if hi > lo:
                want[p] = hi
        c.assign([TopicPartition(topic, p, 0) for p in want])
        out, pos = [], {p: 0 for p in want}
        deadline = time.monotonic() + timeout
        while any(pos[p] < want[p] for p in want):
            if time.monotonic() > deadline:
                raise BenchError("timed out reading %s" % topic)
            for m in c.consume(10000, 0.5):
                if m.error():
                    continue
                out.append(take(m))
                pos[m.partition()] = m.offset() + 1
        return out
    finally:
        c.close()


def read_topic(bootstrap, topic, timeout=120):
    """Every message of topic as (value, CreateTime ms)."""
    from confluent_kafka import TIMESTAMP_CREATE_TIME

    def take(m):
        tstype, ts = m.timestamp()
        if tstype != TIMESTAMP_CREATE_TIME:
            raise BenchError("%s: message without CreateTime" % topic)
        return m.value(), ts
    return read_all(bootstrap, topic, take, timeout)


def read_dead_letters(bootstrap, topic, timeout=120):
    """The dead letters on a dead-letter topic as (ossd.error.code, ossd.source.partition,
    ossd.source.offset)."""
    def take(m):
        h = {k: (v or b"").decode(errors="replace") for k, v in (m.headers() or [])}
        return h.get("ossd.error.code"), h.get("ossd.source.partition"), h.get("ossd.source.offset")
    return read_all(bootstrap, topic, take, timeout)


def rnd(x):
    return None if x is None else round(x, 1)


def redecide_summary(r):
    if r.get("redecide_msgs_per_s") is None:
        log("  ossctl redecide        not measured (null)")
    else:
        log("  ossctl redecide        %.0f msgs/s (%.2f s with start-up; all %d CPUs)"
            % (r["redecide_msgs_per_s"], r["redecide_wall_s"], os.cpu_count()))


def main():
    def on_term(sig, frame):
        raise SystemExit("bench: terminated by signal %d" % sig)
    signal.signal(signal.SIGTERM, on_term)
    b = Bench()
    ok = False
    try:
        b.setup()
        if "throughput" in PHASES:
            b.throughput()
            if "redecide" in PHASES:
                b.redecide()
        if "raw" in PHASES:
            b.raw_limit()
        if "latency" in PHASES:
            b.latency()
        ok = True
    except BenchError as e:
        print("\nbench: FAILED: %s" % e, file=sys.stderr, flush=True)
    except Exception:  # noqa: BLE001 (a bug here: say so, and still clean up)
        import traceback
        traceback.print_exc()
        print("\nbench: FAILED (internal error above)", file=sys.stderr, flush=True)
    finally:
        b.cleanup(ok)
    if not ok:
        return 1
    r = b.results
    full = PHASES >= {"throughput", "redecide", "raw", "latency"}
    if not full:  # a partial run (BENCH_PHASES): the figures of the phases run, others null
        log("\n== partial run (%s): %s" % (",".join(sorted(PHASES)), json.dumps(
            {k: v for k, v in r.items() if not isinstance(v, (list, dict))})))
        redecide_summary(r)
        print(json.dumps({"messages": N, "status_msgs": r.get("status_msgs"),
                          "redecide_msgs_per_s": rnd(r.get("redecide_msgs_per_s"))}), flush=True)
        return 0
    hwm_mb = max(r["tp_hwm_kb"], r["lat_hwm_kb"]) / 1024.0
    ratio = r["ossd_msgs_per_s"] / r["raw_msgs_per_s"]
    log("\n== summary (%s)" % time.strftime("%Y-%m-%d %H:%M:%S %Z"))
    log("  messages               %d (%s at %.0f msgs/s)"
        % (N, "streamed by loadgen, paced by the consumer" if N > STREAM_ABOVE
           else "produced by loadgen beforehand", r["loadgen_msgs_per_s"]))
    log("  ossd throughput        %.0f msgs/s (%.2f s from assignment to the last event "
        "published)" % (r["ossd_msgs_per_s"], r["tp_elapsed_s"]))
    log("  status stream          %s" % ("%d updates, extra work in the same wall time"
                                         % r["status_msgs"] if STATUS_SHARE > 0 else
                                         "off (BENCH_STATUS_SHARE=0)"))
    for what, rate in r["raw_runs"]:
        log("  raw copy               %.0f msgs/s (%s)" % (rate, what))
    log("  raw limit              %.0f msgs/s (the fastest: %s)" % (r["raw_msgs_per_s"],
                                                                   r["raw_best"]))
    log("  ratio                  %.3f (against the raw limit)" % ratio)
    log("  CPU per message        ossd %.1f us, PostgreSQL %.1f us (its backends serving ossd)"
        % (r["ossd_cpu_us_per_msg"], r["pg_cpu_us_per_msg"]))
    redecide_summary(r)
    log("  latency at %.0f/s     p50 %.0f ms, p99 %.0f ms" % (r["lat_offered"], r["p50_ms"],
                                                            r["p99_ms"]))
    log("  peak RSS               %.1f MiB (throughput %.1f, latency %.1f)"
        % (hwm_mb, r["tp_hwm_kb"] / 1024.0, r["lat_hwm_kb"] / 1024.0))
    for n in b.notes:
        log("  note: " + n)
    print(json.dumps({"messages": N, "ossd_msgs_per_s": round(r["ossd_msgs_per_s"], 1),
                      "raw_msgs_per_s": round(r["raw_msgs_per_s"], 1), "ratio": round(ratio, 3),
                      "p50_ms": round(r["p50_ms"], 1), "p99_ms": round(r["p99_ms"], 1),
                      "max_rss_mb": round(hwm_mb, 1),
                      "ossd_cpu_us_per_msg": round(r["ossd_cpu_us_per_msg"], 1),
                      "pg_cpu_us_per_msg": round(r["pg_cpu_us_per_msg"], 1),
                      "redecide_msgs_per_s": rnd(r.get("redecide_msgs_per_s")),
                      "status_msgs": r["status_msgs"]}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
