"""Fixtures: one dev-stack PostgreSQL per session; per test a database, a mock
broker and the daemons the test starts (all stopped at the end)."""
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


class Env:
    def __init__(self, stack, workdir):
        self.stack = stack
        self.workdir = workdir
        self.pg_url = stack.new_database()
        harness.migrate(self.pg_url)
        self.broker = None
        self.daemons = []
        self.collectors = []

    def start_broker(self, **kw):
        self.broker = harness.MockBroker(self.workdir, **kw)
        return self.broker

    def daemon(self, start=True, **kw):
        if self.broker is None:
            self.start_broker()
        kw.setdefault("name", "ossd%d" % len(self.daemons))
        d = harness.Daemon(self.workdir, self.pg_url, self.broker.bootstrap, **kw)
        self.daemons.append(d)
        if start:
            d.start()
        return d

    def produce(self, messages, topic=harness.TOPICS[0]):
        return harness.produce(self.broker.bootstrap, messages, topic)

    def collector(self, topic):
        c = harness.Collector(self.broker.bootstrap, topic)
        self.collectors.append(c)
        return c

    def sql(self, query, *args):
        conn = psycopg2.connect(self.pg_url)
        try:
            with conn, conn.cursor() as cur:
                cur.execute(query, args)
                return cur.fetchall() if cur.description else None
        finally:
            conn.close()

    def wait_decided(self, n, timeout=120):
        return harness.wait_for(
            lambda: self.sql("SELECT count(*) FROM submissions")[0][0] >= n or None,
            timeout, "%d decisions" % n, interval=0.2)


@pytest.fixture
def env(stack, request):
    workdir = tempfile.mkdtemp(prefix="ossd-t-")
    e = Env(stack, workdir)
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
    if failed:
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
