"""deploy/devstack itself: up (and up again: a no-op), status, stop/start pg,
kafka-down/up, recovery from a crashed stack, down. Each stack lives in its own
run directory (OSSD_RUN_DIR under tmp_path) beside any developer's stack."""
import os
import re
import signal
import socket
import subprocess
import time

import psycopg2
import pytest
from confluent_kafka import Consumer, Producer, TopicPartition, OFFSET_BEGINNING

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEVSTACK = os.path.join(REPO, "deploy", "devstack")
TOPIC = "oss.submissions.v1"


def devstack(run_dir, *args, timeout=180):
    env = dict(os.environ, OSSD_RUN_DIR=str(run_dir))
    return subprocess.run([DEVSTACK, *args], env=env, capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)


def ok(r):
    assert r.returncode == 0, "rc %d\n%s\n%s" % (r.returncode, r.stdout, r.stderr)
    return r


def read_env(run_dir):
    env = {}
    with open(os.path.join(run_dir, "env")) as f:
        for line in f:
            m = re.match(r"export (\w+)=(.*)$", line.strip())
            assert m, "not an export line: %r" % line
            env[m.group(1)] = m.group(2)
    return env


def state(run_dir, name):
    with open(os.path.join(run_dir, name)) as f:
        return f.read().strip()


def alive(pid):
    """True for a live process; a zombie (killed, not yet reaped) is dead."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except (FileNotFoundError, ProcessLookupError):
        return False


def tcp_open(port):
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


def wait(pred, timeout, what):
    deadline = time.monotonic() + timeout
    while not pred():
        assert time.monotonic() < deadline, "timed out waiting for " + what
        time.sleep(0.05)


def pg_query(url, sql):
    conn = psycopg2.connect(url, connect_timeout=5)
    try:
        with conn, conn.cursor() as cur:
            cur.execute(sql)
            return cur.fetchall() if cur.description else None
    finally:
        conn.close()


def broker_ports(bootstrap):
    return [int(hp.rsplit(":", 1)[1]) for hp in bootstrap.split(",")]


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    run_dir = tmp_path_factory.mktemp("devstack") / "run"
    r = ok(devstack(run_dir, "up"))
    yield run_dir, r
    devstack(run_dir, "down")


def test_up_writes_env_and_config(stack):
    run_dir, r = stack
    env = read_env(run_dir)
    assert set(env) == {"OSSD_BROKERS", "OSSD_PG_URL", "OSSD_RUN_DIR"}
    assert env["OSSD_RUN_DIR"] == str(run_dir)
    assert re.fullmatch(r"127\.0\.0\.1:\d+(,127\.0\.0\.1:\d+)*", env["OSSD_BROKERS"])
    m = re.fullmatch(r"postgresql://postgres@127\.0\.0\.1:(\d+)/ossd", env["OSSD_PG_URL"])
    assert m and int(m.group(1)) != 5432
    assert state(run_dir, "pg.port") == m.group(1)

    conf = state(run_dir, "ossd.conf")
    assert conf.startswith("; ossd configuration for the dev stack")
    assert "datadir = %s/schemas\n" % REPO in conf
    assert "plugin_dir = %s/build/handlers" % REPO in conf
    assert "url = %s\n" % env["OSSD_PG_URL"] in conf
    assert "bootstrap.servers = %s\n" % env["OSSD_BROKERS"] in conf
    for line in ("[topics]\nsubmissions = oss.submissions.v1\nissuance = oss.issuance.v1\n"
                 "dlq = oss.submissions.v1.dlq\n",
                 "group.id = ossd\n",
                 "handlers = identity, region, kbli, activity, scale, risk\n"):
        assert line in conf

    # The data directory is a postgres-owned temporary one, outside the run dir.
    pgdata = state(run_dir, "pgdata.path")
    assert pgdata.startswith("/tmp/ossd-pg.") and os.path.isfile(pgdata + "/PG_VERSION")

    # Migrations ran (through build/ossd --migrate).
    assert pg_query(env["OSSD_PG_URL"], "SELECT count(*) FROM schema_migrations")[0][0] >= 1
    # The config is one ossd accepts.
    chk = subprocess.run([os.path.join(REPO, "build", "ossd"), "--config",
                          os.path.join(run_dir, "ossd.conf"), "--check-config"],
                         capture_output=True, text=True, timeout=60)
    assert chk.returncode == 0, chk.stdout + chk.stderr


def test_everything_listens_on_loopback_only(stack):
    run_dir, _ = stack
    env = read_env(run_dir)
    ports = [int(state(run_dir, "pg.port"))] + broker_ports(env["OSSD_BROKERS"])
    with open("/proc/net/tcp") as f:
        rows = [line.split() for line in f.readlines()[1:]]
    listening = {}
    for row in rows:
        if row[3] == "0A":  # LISTEN
            addr, port = row[1].split(":")
            listening[int(port, 16)] = addr
    for p in ports:
        assert listening.get(p) == "0100007F", "port %d not bound to 127.0.0.1 only" % p


def test_up_again_is_a_noop(stack):
    run_dir, _ = stack
    before = (state(run_dir, "mockbroker.pid"), state(run_dir, "pgdata.path"),
              state(run_dir, "ossd.conf"))
    r = ok(devstack(run_dir, "up"))
    assert "already up" in r.stdout
    assert before == (state(run_dir, "mockbroker.pid"), state(run_dir, "pgdata.path"),
                      state(run_dir, "ossd.conf"))


def test_status_when_up(stack):
    run_dir, _ = stack
    r = ok(devstack(run_dir, "status"))
    assert "postgres:  up, pid " in r.stdout
    assert "broker:    up, pid " + state(run_dir, "mockbroker.pid") in r.stdout


def test_stop_and_start_pg_keep_data_and_port(stack):
    run_dir, _ = stack
    url = read_env(run_dir)["OSSD_PG_URL"]
    port = int(state(run_dir, "pg.port"))
    pg_query(url, "CREATE TABLE devstack_probe (x int); INSERT INTO devstack_probe VALUES (42)")
    ok(devstack(run_dir, "stop", "pg"))
    assert not tcp_open(port)
    r = devstack(run_dir, "status")
    assert r.returncode == 3 and "postgres:  stopped" in r.stdout
    ok(devstack(run_dir, "start", "pg"))
    assert state(run_dir, "pg.port") == str(port)
    assert pg_query(url, "SELECT x FROM devstack_probe") == [(42,)]
    ok(devstack(run_dir, "status"))


def test_kafka_down_and_up_keep_data(stack):
    run_dir, _ = stack
    bootstrap = read_env(run_dir)["OSSD_BROKERS"]
    p = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True})
    p.produce(TOPIC, key=b"k", value=b"kept across down/up", partition=3)
    assert p.flush(30) == 0

    ok(devstack(run_dir, "kafka-down"))
    assert not any(tcp_open(port) for port in broker_ports(bootstrap))
    r = devstack(run_dir, "status")
    assert r.returncode == 3 and "set down" in r.stdout
    ok(devstack(run_dir, "kafka-up"))
    assert all(tcp_open(port) for port in broker_ports(bootstrap))

    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "devstack-test",
                  "enable.auto.commit": False})
    try:
        c.assign([TopicPartition(TOPIC, 3, OFFSET_BEGINNING)])
        deadline = time.monotonic() + 30
        msg = None
        while msg is None and time.monotonic() < deadline:
            m = c.poll(0.5)
            if m is not None and not m.error():
                msg = m
        assert msg is not None and msg.value() == b"kept across down/up"
    finally:
        c.close()
    ok(devstack(run_dir, "status"))


def test_up_recovers_a_crashed_stack(tmp_path):
    run_dir = tmp_path / "run"
    ok(devstack(run_dir, "up"))
    try:
        url = read_env(run_dir)["OSSD_PG_URL"]
        pg_query(url, "CREATE TABLE crash_probe (x int); INSERT INTO crash_probe VALUES (7)")
        pgdata = state(run_dir, "pgdata.path")
        broker = int(state(run_dir, "mockbroker.pid"))
        with open(pgdata + "/postmaster.pid") as f:
            postmaster = int(f.readline())
        os.kill(broker, signal.SIGKILL)
        os.kill(postmaster, signal.SIGKILL)
        wait(lambda: not alive(broker) and not alive(postmaster), 10, "the kills")
        assert devstack(run_dir, "status").returncode == 3

        r = ok(devstack(run_dir, "up"))
        assert "already up" not in r.stdout
        assert state(run_dir, "pgdata.path") == pgdata
        assert pg_query(read_env(run_dir)["OSSD_PG_URL"], "SELECT x FROM crash_probe") == [(7,)]
        ok(devstack(run_dir, "status"))
    finally:
        devstack(run_dir, "down")


def test_down_removes_everything_and_is_idempotent(tmp_path):
    run_dir = tmp_path / "run"
    ok(devstack(run_dir, "up"))
    pgdata = state(run_dir, "pgdata.path")
    broker = int(state(run_dir, "mockbroker.pid"))
    with open(pgdata + "/postmaster.pid") as f:
        postmaster = int(f.readline())

    ok(devstack(run_dir, "down"))
    assert not os.path.exists(pgdata)
    wait(lambda: not alive(broker) and not alive(postmaster), 10, "the servers to exit")
    for name in ("env", "ossd.conf", "pgdata.path", "pg.port", "mockbroker.pid",
                 "mockbroker.bootstrap"):
        assert not os.path.exists(os.path.join(run_dir, name)), name
    r = devstack(run_dir, "status")
    assert r.returncode == 3 and "postgres:  down" in r.stdout and "broker:    down" in r.stdout
    ok(devstack(run_dir, "down"))
    ok(devstack(tmp_path / "never-used", "down"))


def test_usage_errors(tmp_path):
    r = devstack(tmp_path / "run", "frobnicate")
    assert r.returncode == 2 and "usage:" in r.stderr
    r = devstack(tmp_path / "run", "kafka-down")
    assert r.returncode == 1 and "not running" in r.stderr
