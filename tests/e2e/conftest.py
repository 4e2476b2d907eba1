"""Fixtures: one dev-stack PostgreSQL per session; per test a database, a mock
broker and the daemons the test starts (all stopped at the end).

OSSD_E2E_KAFKA=apache: one Apache Kafka broker per session instead, and per test topics and
a consumer group of its own on it (harness.ApacheBroker; harness.TOPICS names them)."""
import json
import os
import shutil
import sys
import tempfile

import psycopg2
import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "pylib"))

import harness  # noqa: E402


@pytest.fixture(scope="session")
def stack():
    s = harness.Stack()
    s.up()
    yield s
    s.down()
    shutil.rmtree(s.run_dir, ignore_errors=True)


def pytest_configure(config):
    if harness.KAFKA not in ("mock", "apache"):
        raise pytest.UsageError("OSSD_E2E_KAFKA must be mock or apache, not %r" % harness.KAFKA)


def pytest_report_header(config):
    if harness.APACHE:
        return "ossd e2e: Apache Kafka (OSSD_E2E_KAFKA=apache): one broker, topics per test"
    return None


class Env:
    def __init__(self, stack, workdir, test_name=None):
        self.stack = stack
        self.workdir = workdir
        self.pg_url = stack.new_database()
        harness.migrate(self.pg_url)
        self.broker = None
        self.daemons = []
        self.collectors = []
        if harness.APACHE:  # this test's topic names, known before its broker is "started"
            self.kafka_suffix = harness.kafka_suffix(test_name)
            harness.TOPICS = harness.apache_topics(self.kafka_suffix)

    def start_broker(self, **kw):
        if harness.APACHE:
            self.broker = harness.ApacheBroker(self.stack, self.kafka_suffix, **kw)
            return self.broker
        self.broker = harness.MockBroker(self.workdir, **kw)
        return self.broker

    def daemon(self, start=True, **kw):
        if self.broker is None:
            self.start_broker()
        if harness.APACHE:
            kw.setdefault("group", self.broker.group)
            kw.setdefault("topics", self.broker.topics)
        kw.setdefault("name", "ossd%d" % len(self.daemons))
        d = harness.Daemon(self.workdir, self.pg_url, self.broker.bootstrap, **kw)
        self.daemons.append(d)
        if start:
            d.start()
        return d

    def produce(self, messages, topic=None):
        return harness.produce(self.broker.bootstrap, messages, topic)  # None: TOPICS[0]

    def collector(self, topic):
        c = harness.Collector(self.broker.bootstrap, topic)
        self.collectors.append(c)
        return c

    def sql(self, query, *args):
        return harness.sql(self.pg_url, query, *args)

    def decided(self):
        """Decisions stored so far; -1 while PostgreSQL does not answer."""
        try:
            return self.sql("SELECT count(*) FROM submissions")[0][0]
        except psycopg2.Error:
            return -1

    def wait_decided(self, n, timeout=120):
        return harness.wait_for(lambda: self.decided() >= n or None,
                                timeout, "%d decisions" % n, interval=0.2)

    def check_exact(self, ids, timeout=300, topic=None, daemons=()):
        """Exact accounting: every id decided once in PostgreSQL and published (on topic,
        the issuance topic by default) only under its stored event id; no second business
        actor, no dead letter, the outbox drained, the daemons still running. Returns the
        collector of the events."""
        self.wait_decided(len(ids), timeout=timeout)
        rows = self.sql("SELECT submission_id, event_id::text FROM submissions")
        assert len(rows) == len(ids), "decisions: %d, expected %d" % (len(rows), len(ids))
        assert {r[0] for r in rows} == ids
        stored = dict(rows)
        col = self.collector(topic or harness.TOPICS[1])
        # decision events only: status and NIB events (lifecycle traffic) have no submission_id
        col.wait(lambda m: len({json.loads(x.value())["data"].get("submission_id") for x in m}
                               - {None}) >= len(ids), timeout, "an event for every submission")
        col.poll(1.0)
        seen = {}
        for m in col.messages:
            ev = json.loads(m.value())
            sid = ev["data"].get("submission_id")
            if sid is None:
                continue
            assert ev["id"] == stored[sid], "an event of %s under another id" % sid
            seen.setdefault(sid, set()).add(ev["id"])
        assert set(seen) == ids
        assert self.sql("SELECT actor_key FROM business_actors GROUP BY 1 HAVING count(*) > 1") \
            == []
        assert self.sql("SELECT count(*) FROM dead_letters WHERE src_topic <> ALL(%s)",
                        list(harness.lifecycle_topics()))[0][0] == 0  # of the submissions
        harness.wait_for(lambda: self.sql("SELECT count(*) FROM outbox WHERE published_at IS NULL")
                         [0][0] == 0, 60, "the outbox to drain")
        for d in daemons:
            assert d.alive(), d.name + " exited"
        return col

    def offsets_stored(self):
        """The offsets stored in PostgreSQL summed over partitions (each starts at 0): the
        number of messages consumed for good; -1 while PostgreSQL does not answer."""
        try:
            return self.sql("SELECT coalesce(sum(next_offset), 0) FROM consumer_offsets")[0][0]
        except psycopg2.Error:
            return -1

    def check_offsets(self, n, timeout=180):
        """Exact accounting of offsets: n stored (n produced), and then as many decisions and
        dead letters together: nothing skipped past. Returns (decisions, dead letters)."""
        harness.wait_for(lambda: self.offsets_stored() >= n, timeout, "%d offsets stored" % n,
                         interval=0.2)
        assert self.offsets_stored() == n
        counts = lambda: self.sql("SELECT (SELECT count(*) FROM submissions), "  # noqa: E731
                                  "(SELECT count(*) FROM dead_letters)")[0]
        try:
            harness.wait_for(lambda: sum(counts()) >= n, 60, "decisions + dead letters = %d" % n,
                             interval=0.2)
        except TimeoutError:
            pass
        decided, dead = counts()
        assert decided + dead == n, "offsets stored: %d, decisions %d + dead letters %d" % (
            n, decided, dead)
        return decided, dead


@pytest.fixture
def env(stack, request):
    workdir = tempfile.mkdtemp(prefix="ossd-t-")
    e = Env(stack, workdir, request.node.name)
    yield e
    failed = getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed
    for d in e.daemons:
        rc = d.stop()
        if rc not in (0, -9) and d.starts:
            failed = True
            print("%s exited with %s" % (d.name, rc))
    for c in e.collectors:
        c.close()
    if e.broker:
        e.broker.stop()
    harness.TOPICS = harness.BASE_TOPICS
    if failed or os.environ.get("OSSD_KEEP_WORKDIR"):
        for d in e.daemons:
            print("---- %s log (tail) ----" % d.name)
            print(d.log()[-6000:])
        print("workdir kept: " + workdir)
    else:
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, "rep_" + rep.when, rep)
