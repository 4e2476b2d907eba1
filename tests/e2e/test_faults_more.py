"""More faults mid-stream, with exact accounting (every submission decided once, every event
published under one id, nothing lost, the daemon still running): a read-only PostgreSQL
(server-wide by ALTER SYSTEM + reload; per database for new sessions), a full disk (a small
tmpfs tablespace), PostgreSQL stopped and started again and again, the brokers down while
ossd is SIGKILLed and restarted.

The scenarios are functions of (env, n, cycles): this file runs them small (make check);
tests/soak/ runs them big, with OSSD_SOAK_* sizes. test_faults.py covers one PostgreSQL
outage, one broker outage and one killed member of a group."""
import contextlib
import os
import random
import shutil
import subprocess
import tempfile
import threading
import time

import psycopg2
import pytest

import harness
import sample
from test_lifecycle_corpus import Flow
from test_nib_actions import offsets

N = int(os.environ.get("OSSD_FAULTS_N", "3000"))
CYCLES = int(os.environ.get("OSSD_FAULTS_CYCLES", "3"))


# ---- helpers ------------------------------------------------------------------------------


def admin(env, sql, *args, db=None):
    """A statement as the superuser, outside a transaction (ALTER SYSTEM, ALTER DATABASE)."""
    url = env.stack.pg_url if db is None else env.stack.pg_url.rpartition("/")[0] + "/" + db
    conn = psycopg2.connect(url)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(sql, args)
            return cur.fetchall() if cur.description else None
    finally:
        conn.close()


def dbname(env):
    return env.pg_url.rpartition("/")[2]


def terminate_ossd(env):
    """Ends every session ossd holds on the test database; returns how many."""
    rows = admin(env, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                      "WHERE datname = %s AND application_name = 'ossd'", dbname(env))
    return len(rows)


def chunks(msgs, k):
    """msgs in k consecutive parts of (nearly) equal size."""
    n = len(msgs)
    return [msgs[i * n // k:(i + 1) * n // k] for i in range(k)]


def produce_in_background(env, msgs):
    t = threading.Thread(target=lambda: env.produce(msgs), daemon=True)
    t.start()
    return t


def wait_progress(env, more_than, timeout=120):
    return harness.wait_for(lambda: env.decided() > more_than or None, timeout,
                            "more than %d decisions" % more_than, interval=0.1)


def stalled(env, seconds):
    """True when no decision is committed for `seconds`."""
    before = env.decided()
    time.sleep(seconds)
    return env.decided() == before


# ---- read-only PostgreSQL -------------------------------------------------------------------

def run_read_only_system(env, n, hold_s=4.0):
    """ALTER SYSTEM default_transaction_read_only + reload: every session, ossd's included,
    answers SQLSTATE 25006 to writes. ossd retries with backoff, advances nothing, and goes on
    by itself when it is turned off (a reload reaches existing sessions)."""
    msgs, ids = sample.corpus(n, 21, "ro-sys")
    before, during = chunks(msgs, 2)
    d = env.daemon(batch_max=200)
    env.produce(before)
    wait_progress(env, len(before) // 4)
    t = None
    try:
        admin(env, "ALTER SYSTEM SET default_transaction_read_only = on")
        admin(env, "SELECT pg_reload_conf()")
        t = produce_in_background(env, during)
        harness.wait_for(lambda: "read-only transaction" in d.log_since_start(), 60,
                         "a write refused with 25006")
        mark = d.log_since_start().count("batch transaction failed")
        assert stalled(env, hold_s), "a decision was committed in a read-only database"
        retries = d.log_since_start().count("batch transaction failed") - mark
        # backoff: 100 ms doubling to retry_backoff_max_ms (1 s in the harness)
        assert retries <= hold_s * 2 + 4, "%d retries in %.0f s: no backoff" % (retries, hold_s)
        assert d.alive()
    finally:
        admin(env, "ALTER SYSTEM RESET default_transaction_read_only")
        admin(env, "SELECT pg_reload_conf()")
    if t:
        t.join()
    env.check_exact(ids, daemons=[d])
    return d


def run_read_only_database(env, n, cycles=1):
    """ALTER DATABASE ... SET default_transaction_read_only for new sessions, then ossd's
    sessions terminated: it reconnects into read-only sessions, retries with backoff; the
    setting reset and the sessions terminated again, it recovers."""
    msgs, ids = sample.corpus(n, 22, "ro-db")
    parts = chunks(msgs, cycles + 1)
    d = env.daemon(batch_max=200)
    db = dbname(env)
    env.produce(parts[0])
    for c in range(cycles):
        wait_progress(env, len(msgs) * c // (cycles + 1) + len(parts[c]) // 4)
        try:
            admin(env, "ALTER DATABASE %s SET default_transaction_read_only = on" % db)
            assert terminate_ossd(env) >= 1
            env.produce(parts[c + 1])
            harness.wait_for(lambda: d.log_since_start().count("read-only transaction") > c, 60,
                             "a write refused with 25006")
            assert stalled(env, 2.0)
            assert d.alive()
        finally:
            admin(env, "ALTER DATABASE %s RESET default_transaction_read_only" % db)
            terminate_ossd(env)
    env.check_exact(ids, daemons=[d])
    return d


def test_read_only_postgres_system_wide(env):
    run_read_only_system(env, N)


def test_read_only_postgres_new_sessions(env):
    run_read_only_database(env, N)


def test_read_only_session_recovers_without_being_terminated(env):
    msgs, ids = sample.corpus(600, 23, "ro-stuck")
    d = env.daemon(batch_max=100)
    db = dbname(env)
    env.produce(msgs[:200])
    env.wait_decided(200)
    try:
        admin(env, "ALTER DATABASE %s SET default_transaction_read_only = on" % db)
        assert terminate_ossd(env) >= 1
        env.produce(msgs[200:])
        harness.wait_for(lambda: "read-only transaction" in d.log_since_start(), 30,
                         "a write refused with 25006")
        # the control session (it marks events published) is read-only too before
        # the database becomes writable
        harness.wait_for(lambda: any("outbox rows" in line and "read-only transaction" in line
                                     for line in d.log_since_start().splitlines()), 30,
                         "the control session refused with 25006")
    finally:
        # writable again for every new session; ossd's sessions are left alone
        admin(env, "ALTER DATABASE %s RESET default_transaction_read_only" % db)
    env.wait_decided(len(ids), timeout=15)
    env.check_exact(ids, daemons=[d])


# ---- a full disk ------------------------------------------------------------------------------

class Tmpfs:
    """A small tmpfs owned by postgres, mounted for one test (root only)."""

    def __init__(self, size_mb):
        self.path = tempfile.mkdtemp(prefix="ossd-full-")
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%dm,mode=0700" % size_mb,
                            "tmpfs", self.path], capture_output=True, text=True)
        if r.returncode != 0:
            os.rmdir(self.path)
            raise OSError(r.stderr.strip() or "mount failed")
        shutil.chown(self.path, "postgres", "postgres")
        self.filler = os.path.join(self.path, "filler")

    def free_bytes(self):
        st = os.statvfs(self.path)
        return st.f_bavail * st.f_frsize

    def fill(self, leave):
        """Writes a filler file until the file system is full, then gives `leave` bytes back."""
        chunk = b"\0" * (1 << 20)
        written = 0
        with open(self.filler, "wb") as f:
            try:
                while True:
                    written += os.write(f.fileno(), chunk)
            except OSError as e:
                if e.errno != 28:  # ENOSPC
                    raise
        os.truncate(self.filler, max(0, written - leave))

    def unfill(self):
        if os.path.exists(self.filler):
            os.unlink(self.filler)

    def remove(self):
        subprocess.run(["umount", "-l", self.path], capture_output=True)
        try:
            os.rmdir(self.path)
        except OSError:
            pass


def can_mount():
    if os.geteuid() != 0:
        return "needs root to mount a tmpfs"
    try:
        Tmpfs(1).remove()
    except OSError as e:
        return "cannot mount a tmpfs here: %s" % e
    return None


@contextlib.contextmanager
def small_tablespace(env):
    """The test database moved to a tablespace on a 96 MiB tmpfs (yielded: fill() it to
    make writes fail with SQLSTATE 53100); on the way out the daemons are stopped and the
    database goes back to pg_default. Skips where tmpfs cannot be mounted."""
    why = can_mount()
    if why:
        pytest.skip(why)
    fs = Tmpfs(96)
    db = dbname(env)
    ts = "full_" + db
    try:
        admin(env, "CREATE TABLESPACE %s LOCATION '%s'" % (ts, fs.path))
        admin(env, "ALTER DATABASE %s SET TABLESPACE %s" % (db, ts))
        yield fs
    finally:
        for d in env.daemons:
            d.stop()
        fs.unfill()
        admin(env, "ALTER DATABASE %s SET TABLESPACE pg_default" % db)
        admin(env, "DROP TABLESPACE IF EXISTS %s" % ts)
        fs.remove()


def run_disk_full(env, n, cycles=1):
    """The test database lives in a tablespace on a small tmpfs; a filler file leaves it no
    room, so writes fail with SQLSTATE 53100 (could not extend file: No space left on device;
    the WAL stays on the main disk, so PostgreSQL itself stays up). ossd backs off and
    advances nothing; when the filler goes, it goes on."""
    with small_tablespace(env) as fs:
        msgs, ids = sample.corpus(n, 24, "full")
        parts = chunks(msgs, cycles + 1)
        d = env.daemon(batch_max=200)
        env.produce(parts[0])
        for c in range(cycles):
            wait_progress(env, len(msgs) * c // (cycles + 1) + len(parts[c]) // 4)
            fs.fill(leave=64 * 1024)
            try:
                env.produce(parts[c + 1])
                harness.wait_for(lambda: d.log_since_start().count("No space left on device") > c,
                                 90, "a write refused for want of space")
                # the 64 KiB left can still take a small batch or two: then nothing more
                harness.wait_for(lambda: stalled(env, 2.0), 60, "decisions to stop")
                assert d.alive()
            finally:
                fs.unfill()
        env.check_exact(ids, daemons=[d])
        assert d.stop() == 0


def test_disk_full_tablespace(env):
    run_disk_full(env, N)


# ---- PostgreSQL stopped and started again and again --------------------------------------------

def run_pg_restarts(env, n, cycles, seed=25):
    """PostgreSQL stopped (fast or immediate) and started again, once per part of the stream,
    each time while that part is being decided."""
    msgs, ids = sample.corpus(n, seed, "pgcyc")
    parts = chunks(msgs, cycles + 1)
    d = env.daemon(batch_max=200)
    rnd = random.Random(seed)
    modes = ["fast", "immediate"]
    done = 0
    for c in range(cycles):
        t = produce_in_background(env, parts[c])
        wait_progress(env, done + len(parts[c]) // 5, timeout=180)
        env.stack.devstack("stop", "pg", modes[c % 2])
        try:
            time.sleep(rnd.uniform(0.5, 2.5))
            assert d.alive()
        finally:
            env.stack.devstack("start", "pg")
        t.join()
        done += len(parts[c])
    env.produce(parts[-1])
    env.check_exact(ids, daemons=[d])
    log = d.log()
    assert log.count("PostgreSQL unavailable") <= cycles, "each outage is logged once"
    return d


def test_postgres_stopped_and_started_repeatedly(env):
    run_pg_restarts(env, N, CYCLES)


# ---- a clean stop while PostgreSQL is down ----------------------------------------------------

def run_sigterm_while_postgres_down(env, n, seed=28):
    """SIGTERM while PostgreSQL is down and a batch is in hand: ossd gives the batch up after
    its drain timeout, exits 0 (no leak under the sanitizers), and the batch is consumed again
    from the stored offsets by the next run."""
    msgs, ids = sample.corpus(n, seed, "termdown")
    before, during = chunks(msgs, 2)
    d = env.daemon(batch_max=200)
    env.produce(before)
    wait_progress(env, len(before) // 4)
    env.stack.devstack("stop", "pg", "immediate")
    try:
        env.produce(during)
        harness.wait_for(lambda: "PostgreSQL unavailable" in d.log_since_start(), 30,
                         "the outage to be noticed")
        time.sleep(1.0)
        t0 = time.monotonic()
        assert d.stop(timeout=60) == 0
        assert time.monotonic() - t0 < 40, "the drain must give up, not wait for PostgreSQL"
        assert "dropped" in d.log_since_start() or "stopped" in d.log_since_start()
    finally:
        env.stack.devstack("start", "pg")
    d.start()
    env.check_exact(ids, daemons=[d])
    assert d.stop() == 0


def test_sigterm_while_postgres_is_down(env):
    run_sigterm_while_postgres_down(env, N)


# ---- a backlog left by a previous run ----------------------------------------------------------

def test_outbox_backlog_of_a_previous_run_is_published(env):
    n = 5200  # more than one start-time claim (5,000)
    env.start_broker()
    headers = '[["content-type", "application/cloudevents+json; charset=UTF-8"]]'
    env.sql("INSERT INTO outbox (topic, msg_key, msg_value, headers) "
            "SELECT %s, convert_to('k' || i, 'UTF8'), convert_to('{\"i\":' || i || '}', 'UTF8'), "
            "%s::jsonb FROM generate_series(1, %s) AS i", harness.TOPICS[1], headers, n)
    col = env.collector(harness.TOPICS[1])
    d = env.daemon()
    col.wait(lambda m: len({x.key() for x in m}) >= n, 15, "every event of the backlog")
    harness.wait_for(lambda: env.sql("SELECT count(*) FROM outbox")[0][0] == 0, 30,
                     "the outbox to drain")
    assert d.alive()


# ---- brokers down while ossd is SIGKILLed ------------------------------------------------------

def run_broker_down_kills(env, n, cycles, seed=26, lifecycle=False):
    """Brokers down, ossd killed (-9) and restarted while they are down, brokers up: events
    committed but not published wait in the outbox and go out with their ids; consumption
    resumes from the stored offsets. With lifecycle: status updates and NIB actions (a Flow of
    tests/e2e/test_lifecycle_corpus.py), a part committed just before each outage, a part
    produced during it, the rest after."""
    msgs, ids = sample.corpus(n, seed, "bkill")
    d = env.daemon(batch_max=200)
    flow = Flow(env, prefix="bkill") if lifecycle else None  # decided before the stream
    if flow:
        assert not flow.ids & ids
        ids |= flow.ids
    env.produce(msgs)
    rnd = random.Random(seed)
    during = []
    for c in range(cycles):
        wait_progress(env, (c + 1) * n // (cycles + 2), timeout=180)
        if flow:  # a part committed just before the outage (its events may not be out yet)
            before = offsets(env, harness.lifecycle_topics()[0])
            flow.chunk(2 * c, 2 * cycles)
            harness.wait_for(lambda: offsets(env, harness.lifecycle_topics()[0]) > before or None,
                             60, "status updates committed", interval=0.01)
        env.broker.down()
        if flow:  # and a part produced during it (delivered once the brokers are up)
            during.append(threading.Thread(target=flow.chunk, args=(2 * c + 1, 2 * cycles)))
            during[-1].start()
        try:
            time.sleep(rnd.uniform(0.2, 1.0))
            d.kill()
            d.start(wait=False)
            harness.wait_for(lambda: "started" in d.log_since_start() or not d.alive(), 60,
                             "ossd to start with the brokers down")
            assert d.alive(), d.log_since_start()
            time.sleep(rnd.uniform(0.5, 2.0))
            if c % 2:  # and once more while they are still down
                d.kill()
                d.start(wait=False)
                time.sleep(1.0)
        finally:
            env.broker.up()
    for t in during:
        t.join()
    if flow:
        flow.chunk(2 * cycles, 2 * cycles)
    env.check_exact(ids, daemons=[d])
    if flow:
        flow.check()
    assert d.stop() == 0
    return d


@pytest.mark.parametrize("lifecycle", [False, True], ids=["submissions", "lifecycle"])
def test_brokers_down_while_ossd_is_killed(env, lifecycle):
    run_broker_down_kills(env, N, 2, lifecycle=lifecycle)


# ---- several instances, killed and restarted (rebalances): soak only ----------------------

def run_group_kills(env, n, kills, members=3, seed=27):
    """Several instances in one group; one (sometimes two) killed and restarted while each
    part of the stream is decided: partitions move (rebalances) again and again."""
    msgs, ids = sample.corpus(n, seed, "grp")
    parts = chunks(msgs, kills + 1)
    ds = [env.daemon(batch_max=200, name="ossd%d" % i) for i in range(members)]
    rnd = random.Random(seed)
    done = 0
    for k in range(kills):
        t = produce_in_background(env, parts[k])
        wait_progress(env, done + len(parts[k]) // 4, timeout=300)
        victim = rnd.choice(ds)
        victim.kill()
        time.sleep(rnd.uniform(0.2, 3.0))
        if rnd.random() < 0.3:  # sometimes a second member goes too
            other = rnd.choice([x for x in ds if x is not victim])
            other.kill()
            other.start()
        victim.start()
        t.join()
        done += len(parts[k])
    env.produce(parts[-1])
    env.check_exact(ids, timeout=600, daemons=ds)
    for x in ds:
        assert x.stop() == 0
    return ds
