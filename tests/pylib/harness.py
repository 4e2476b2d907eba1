"""Test harness: a private PostgreSQL (deploy/devstack), one mock broker and one
database per test, the real build/ossd, and Kafka helpers (confluent_kafka).

OSSD_E2E_KAFKA=apache runs the same tests against a real Apache Kafka broker instead: the
session starts one (deploy/devstack up --kafka apache, or reuses the one of the devstack run
directory OSSD_E2E_KAFKA_RUN_DIR names) and each test gets topics and a consumer group of its
own (ApacheBroker); TOPICS then holds the running test's topic names."""
import json
import logging
import os
import re
import signal
import socket
import subprocess
import tempfile
import time
import uuid

import psycopg2
from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka import KafkaError, KafkaException  # apache mode
from confluent_kafka.admin import AdminClient, NewTopic

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.path.join(REPO, "build")
OSSD = os.path.join(BUILD, "ossd")


def preload(*libs):
    """An LD_PRELOAD value for libs (libfaketime and the shim). A build with AddressSanitizer
    (make SANITIZE=address,...) needs its runtime first in the library list, or the sanitized
    binary refuses to start: it is put in front when build/ossd links it."""
    try:
        out = subprocess.run(["ldd", OSSD], capture_output=True, text=True, check=False).stdout
    except OSError:
        out = ""
    first = [line.split("=>")[1].split()[0] for line in out.splitlines()
             if "libasan.so" in line and "=>" in line][:1]
    return ":".join(first + list(libs))
OSSCTL = os.path.join(BUILD, "ossctl")
MOCKBROKER = os.path.join(BUILD, "ossd-mockbroker")
TOPICS = ("oss.submissions.v1", "oss.issuance.v1", "oss.submissions.v1.dlq")
BASE_TOPICS = TOPICS  # TOPICS is rebound per test in apache mode
# The lifecycle inputs and their dead-letter topics ([topics] license_status, license_status_dlq,
# nib_actions, nib_actions_dlq); lifecycle_topics() gives the running test's names.
LIFECYCLE_TOPICS = ("oss.license-status.v1", "oss.license-status.v1.dlq", "oss.nib-actions.v1",
                    "oss.nib-actions.v1.dlq")
LIFECYCLE_PARTITIONS = 4

# The Kafka the end-to-end tests run against: "mock" (default: one ossd-mockbroker per test)
# or "apache" (one Apache Kafka broker per session, fresh topics per test).
KAFKA = (os.environ.get("OSSD_E2E_KAFKA") or "mock").strip().lower()
APACHE = KAFKA == "apache"


def wait_for(pred, timeout, what, interval=0.05):
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > deadline:
            raise TimeoutError("timed out after %.0f s waiting for %s" % (timeout, what))
        time.sleep(interval)


def read_env(path):
    env = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line.startswith("export ") and "=" in line:
                k, v = line[7:].split("=", 1)
                env[k] = v.strip("'\"")
    return env


class Stack:
    """The dev stack's PostgreSQL, started once per test session."""

    def __init__(self, prefix="ossd-e2e-"):
        self.run_dir = tempfile.mkdtemp(prefix=prefix)
        os.chmod(self.run_dir, 0o755)
        self.env = dict(os.environ, OSSD_RUN_DIR=self.run_dir)

    def devstack(self, *args, check=True):
        return subprocess.run([os.path.join(REPO, "deploy", "devstack"), *args], env=self.env,
                              check=check, capture_output=True, text=True, timeout=300)

    def up(self):
        if APACHE:
            return self._up_apache()
        r = self.devstack("up", check=False)
        if r.returncode != 0:
            raise RuntimeError("devstack up failed:\n%s\n%s" % (r.stdout, r.stderr))
        e = read_env(os.path.join(self.run_dir, "env"))
        self.pg_url = e["OSSD_PG_URL"]
        self.brokers = e["OSSD_BROKERS"]

    # ---- apache mode ---------------------------------------------------------------------

    def _up_apache(self):
        """PostgreSQL and an Apache Kafka broker: both from `devstack up --kafka apache` in the
        session's run directory or, with OSSD_E2E_KAFKA_RUN_DIR, the broker of that (already
        up) devstack run directory, which is left running (PostgreSQL is still our own)."""
        reuse = os.environ.get("OSSD_E2E_KAFKA_RUN_DIR")
        t0 = time.monotonic()
        r = self.devstack("up", *(() if reuse else ("--kafka", "apache")), check=False)
        if r.returncode != 0:
            self.devstack("down", check=False)  # what did start (PostgreSQL), before the error
            raise RuntimeError("devstack up%s failed:\n%s\n%s"
                               % ("" if reuse else " --kafka apache", r.stdout, r.stderr))
        e = read_env(os.path.join(self.run_dir, "env"))
        self.pg_url = e["OSSD_PG_URL"]
        self.kafka_run_dir = os.path.abspath(reuse) if reuse else self.run_dir
        self.kafka_env = dict(os.environ, OSSD_RUN_DIR=self.kafka_run_dir)
        with open(os.path.join(self.kafka_run_dir, "kafka.kind")) as f:
            assert f.read().strip() == "apache", "%s is no apache devstack" % self.kafka_run_dir
        st = self.kafka_devstack("status", check=False)
        if "broker:    up, Apache Kafka" not in st.stdout:
            raise RuntimeError("the Apache Kafka broker of %s is not up:\n%s"
                               % (self.kafka_run_dir, st.stdout))
        with open(os.path.join(self.kafka_run_dir, "kafka.bootstrap")) as f:
            self.brokers = f.read().strip()
        self.kafka_start_s = time.monotonic() - t0
        self.kafka_log_dir = os.path.join(self.kafka_run_dir, "kafka", "data")

    def kafka_devstack(self, *args, check=True):
        """deploy/devstack on the run directory of the Apache broker (apache mode)."""
        r = subprocess.run([os.path.join(REPO, "deploy", "devstack"), *args],
                           env=self.kafka_env, capture_output=True, text=True, timeout=300)
        if check and r.returncode != 0:
            raise RuntimeError("devstack %s failed (%d):\n%s\n%s"
                               % (" ".join(args), r.returncode, r.stdout, r.stderr))
        return r

    def down(self):
        self.devstack("down", check=False)

    def new_database(self):
        """A fresh database with every migration applied; returns its URL."""
        name = "t_" + uuid.uuid4().hex[:12]
        conn = psycopg2.connect(self.pg_url)
        conn.autocommit = True
        conn.cursor().execute("CREATE DATABASE " + name)
        conn.close()
        base, _, _ = self.pg_url.rpartition("/")
        return base + "/" + name


class MockBroker:
    """One ossd-mockbroker process (its own topics and data)."""

    def __init__(self, workdir, partitions=16, extra_topics=()):
        self.workdir = workdir
        self.bootstrap_file = os.path.join(workdir, "bootstrap")
        args = [MOCKBROKER, "--bootstrap-file", self.bootstrap_file]
        specs = {t: partitions for t in TOPICS}
        specs.update((t, LIFECYCLE_PARTITIONS) for t in LIFECYCLE_TOPICS)
        for t in extra_topics:  # NAME:PARTITIONS; a default topic's partitions can be changed
            name, _, parts = t.rpartition(":")
            specs[name] = int(parts)
        for name, parts in specs.items():
            args += ["--topic", "%s:%d" % (name, parts)]
        self.log = open(os.path.join(workdir, "mockbroker.log"), "w")
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        self.bootstrap = wait_for(self._read, 10, "the mock broker's bootstrap file")

    def _read(self):
        try:
            with open(self.bootstrap_file) as f:
                return f.read().strip() or None
        except FileNotFoundError:
            return None

    def _set(self, sig, said):
        """Sends sig and returns once the broker has logged that it acted on it: the signal
        is handled by its main loop, up to 100 ms later, so a client started right after an
        unacknowledged down() could still connect (a flaky test_replay did)."""
        def count():
            with open(self.log.name, errors="replace") as f:
                return f.read().count(said)
        before = count()
        self.proc.send_signal(sig)
        wait_for(lambda: count() > before, 10, "the mock broker to log %r" % said, interval=0.02)

    def down(self):
        self._set(signal.SIGUSR1, "down: connections closed")

    def up(self):
        self._set(signal.SIGUSR2, "up: accepting connections")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def kafka_admin(bootstrap):
    """An AdminClient whose librdkafka log (connection refused...) goes nowhere."""
    quiet = logging.getLogger("harness.kafka-admin")
    quiet.addHandler(logging.NullHandler())
    quiet.propagate = False
    return AdminClient({"bootstrap.servers": bootstrap, "logger": quiet})


def create_topics(bootstrap, specs, timeout=60):
    """specs: [(name, partitions)]; creates them (replication 1) and waits until every
    partition of each has a leader (a Collector assigns the partitions it sees at once)."""
    a = kafka_admin(bootstrap)
    futs = a.create_topics([NewTopic(n, p, 1) for n, p in specs], operation_timeout=30,
                           request_timeout=30)
    for name, f in futs.items():
        try:
            f.result()
        except KafkaException as e:
            if e.args[0].code() != KafkaError.TOPIC_ALREADY_EXISTS:
                raise

    def ready():
        md = a.list_topics(timeout=10).topics
        return all(n in md and md[n].error is None and len(md[n].partitions) == p
                   and all(x.leader >= 0 for x in md[n].partitions.values())
                   for n, p in specs)
    wait_for(ready, timeout, "topics %s to have leaders" % ", ".join(n for n, _ in specs), 0.1)


def delete_topics(bootstrap, names, timeout=30):
    """Deletes the topics (those that exist); waits for the broker's answer, not for the files."""
    if not names:
        return
    a = kafka_admin(bootstrap)
    for name, f in a.delete_topics(list(names), operation_timeout=timeout,
                                   request_timeout=timeout).items():
        try:
            f.result()
        except Exception:  # already gone, or the broker is down: the next session's problem
            pass


def topic_names(bootstrap):
    return set(kafka_admin(bootstrap).list_topics(timeout=10).topics)


def kafka_suffix(name):
    """A Kafka-legal, unique suffix for a test's topics and group: no '_' (Kafka refuses a topic
    whose name differs from another's only by '.' versus '_'), no '.'."""
    base = re.sub(r"[^a-z0-9]+", "-", (name or "t").lower()).strip("-")[:80] or "t"
    return "%s-%s" % (base, uuid.uuid4().hex[:6])


def apache_topics(suffix):
    """The topics of one test in apache mode: the usual names, suffixed."""
    return tuple("%s.%s" % (t, suffix) for t in BASE_TOPICS)


def lifecycle_topics():
    """The running test's lifecycle topics (LIFECYCLE_TOPICS order): in apache mode the names
    carry the suffix of TOPICS."""
    suffix = TOPICS[0][len(BASE_TOPICS[0]):]  # "" or ".<suffix>"
    return tuple(t + suffix for t in LIFECYCLE_TOPICS)


class ApacheBroker:
    """Apache mode: what a test sees of the session's Apache Kafka broker (the place of one
    MockBroker): its bootstrap, topics of its own (16 partitions, created now, deleted by
    stop()), a consumer group name of its own, and down()/up(), which stop and start the Java
    broker with its data kept (deploy/devstack kafka-down / kafka-up) and return once it is
    down (connections refused) or serving again."""

    def __init__(self, stack, suffix, partitions=16, extra_topics=()):
        self.stack = stack
        self.bootstrap = stack.brokers
        self.suffix = suffix
        self.topics = apache_topics(suffix)
        self.group = "ossd." + suffix
        self.is_down = False
        by_name = {t: partitions for t in self.topics}
        by_name.update(("%s.%s" % (t, suffix), LIFECYCLE_PARTITIONS) for t in LIFECYCLE_TOPICS)
        for t in extra_topics:  # the mock's NAME:PARTITIONS; overrides a default topic
            name, _, parts = t.rpartition(":")
            by_name[name] = int(parts)
        specs = list(by_name.items())
        self.names = [n for n, _ in specs]
        create_topics(self.bootstrap, specs)

    def down(self):
        self.stack.kafka_devstack("kafka-down")
        self.is_down = True

    def up(self):
        self.stack.kafka_devstack("kafka-up")
        self.is_down = False

    def stop(self):
        if self.is_down:  # a test that failed with the broker down: up for the next one
            self.up()
        delete_topics(self.bootstrap, self.names)


CONFIG = """\
[ossd]
datadir = {repo}/schemas
batch_max = {batch_max}
batch_ms = 20
log_level = {log_level}
stats_interval_s = 5
outbox_resend_after_ms = {resend}
retry_backoff_max_ms = 1000
{extra_ossd}
[postgres]
url = {pg_url}

[kafka]
bootstrap.servers = {bootstrap}
group.id = {group}
topic.metadata.refresh.interval.ms = 1000
; a killed member is noticed in seconds, not 45 s
session.timeout.ms = 6000
heartbeat.interval.ms = 500
{extra_kafka}
[pipeline]
handlers = {handlers}
plugin_dir = {repo}/build/handlers
{extra}
"""


class Daemon:
    """build/ossd on a config written for one test."""

    def __init__(self, workdir, pg_url, bootstrap, group="ossd", batch_max=500,
                 log_level="info", resend_ms=2000, extra="", extra_ossd="", extra_kafka="",
                 handlers="identity, region, kbli, activity, scale, risk", name="ossd",
                 topics=None, lifecycle=None):
        self.workdir = workdir
        self.name = name
        self.conf = os.path.join(workdir, name + ".conf")
        if topics is None and APACHE:
            topics = TOPICS  # the running test's
        with open(self.conf, "w") as f:
            f.write(CONFIG.format(repo=REPO, batch_max=batch_max, log_level=log_level,
                                  resend=resend_ms, pg_url=pg_url, bootstrap=bootstrap,
                                  group=group, handlers=handlers, extra=extra,
                                  extra_ossd=extra_ossd, extra_kafka=extra_kafka))
            if topics is not None or lifecycle is not None:
                f.write("\n[topics]\n")
            if topics is not None:
                f.write("submissions = %s\nissuance = %s\ndlq = %s\n" % tuple(topics))
            if topics is not None or lifecycle is not None:  # lifecycle: LIFECYCLE_TOPICS' order
                f.write("license_status = %s\nlicense_status_dlq = %s\nnib_actions = %s\n"
                        "nib_actions_dlq = %s\n" % tuple(lifecycle or lifecycle_topics()))
        os.chmod(self.conf, 0o600)
        self.log_path = os.path.join(workdir, name + ".log")
        self.proc = None
        self.starts = 0

    def start(self, wait=True, env=None, args=()):
        self.starts += 1
        self.logf = open(self.log_path, "a")
        self.logf.write("\n==== start %d ====\n" % self.starts)
        self.logf.flush()
        self._mark = os.path.getsize(self.log_path)
        self.proc = subprocess.Popen([OSSD, "--config", self.conf, "--log-target", "stderr",
                                      *args],
                                     stdout=self.logf, stderr=subprocess.STDOUT,
                                     env=env or dict(os.environ))
        if wait:
            wait_for(lambda: "started" in self.log_since_start() or self.proc.poll() is not None,
                     60, "ossd to start")
            assert self.proc.poll() is None, "ossd exited at start:\n" + self.log_since_start()
        return self

    def log_since_start(self):
        with open(self.log_path, errors="replace") as f:
            f.seek(self._mark)
            return f.read()

    def log(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def kill(self):
        self.proc.kill()
        self.proc.wait()
        self.logf.close()

    def stop(self, timeout=60):
        """SIGTERM; returns the exit code."""
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else 0
        self.proc.terminate()
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            rc = "timeout"
        self.logf.close()
        return rc


def sql(pg_url, query, *args):
    """Runs one statement in its own connection and transaction; its rows, or None."""
    conn = psycopg2.connect(pg_url)
    try:
        with conn, conn.cursor() as cur:
            cur.execute(query, args)
            return cur.fetchall() if cur.description else None
    finally:
        conn.close()


def ossctl(pg_url, *args, expect=0):
    """build/ossctl --pg-url pg_url ARGS; asserts its exit status, returns the run."""
    r = subprocess.run([OSSCTL, "--pg-url", pg_url, *args], capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == expect, "exit %d:\n%s%s" % (r.returncode, r.stdout, r.stderr)
    return r


def migrate(pg_url):
    r = subprocess.run([OSSCTL, "--pg-url", pg_url, "migrate"],
                       env=dict(os.environ, OSSD_DATADIR=os.path.join(REPO, "schemas")),
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr


def producer(bootstrap, **conf):
    return Producer({"bootstrap.servers": bootstrap, "linger.ms": 5,
                     "enable.idempotence": True, **conf})


def produce(bootstrap, messages, topic=None):
    """messages: iterable of (key bytes or None, value bytes[, headers]); topic: TOPICS[0]."""
    if topic is None:
        topic = TOPICS[0]  # at call time: apache mode rebinds TOPICS per test
    p = producer(bootstrap)
    n = 0
    for m in messages:
        key, value = m[0], m[1]
        headers = m[2] if len(m) > 2 else None
        while True:
            try:
                p.produce(topic, value=value, key=key, headers=headers)
                break
            except BufferError:
                p.poll(0.1)
        n += 1
        if n % 1000 == 0:
            p.poll(0)
    left = p.flush(60)
    assert left == 0, "%d messages not delivered" % left
    return n


class Collector:
    """Reads a topic from the beginning (all partitions), keeps every message."""

    def __init__(self, bootstrap, topic):
        self.c = Consumer({"bootstrap.servers": bootstrap, "group.id": "t-" + uuid.uuid4().hex,
                           "auto.offset.reset": "earliest", "enable.auto.commit": False,
                           "enable.partition.eof": False})
        md = self.c.list_topics(topic, timeout=10)
        parts = md.topics[topic].partitions
        self.c.assign([TopicPartition(topic, p, 0) for p in parts])
        self.messages = []

    def poll(self, seconds=0.2):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            batch = self.c.consume(1000, 0.1)
            for m in batch:
                if m.error():
                    continue
                self.messages.append(m)

    def wait(self, pred, timeout, what):
        deadline = time.monotonic() + timeout
        while not pred(self.messages):
            if time.monotonic() > deadline:
                raise TimeoutError("timed out waiting for %s (have %d messages)"
                                   % (what, len(self.messages)))
            self.poll(0.3)
        return self.messages

    def close(self):
        self.c.close()


def events(messages):
    return [json.loads(m.value()) for m in messages]


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port
