"""Rebalances while the writer cannot commit, with both rebalance protocols and exact
accounting: a member joins while PostgreSQL is read-only or its disk is full, a member leaves
while PostgreSQL is down. A revoke gives up only the revoked partitions' messages that are not
in a transaction yet; the partitions an instance keeps never skip a message (offsets stored =
decisions + dead letters, every submission decided once, one event id per decision)."""
import threading
import time

import pytest

import harness
import sample
from test_faults_more import admin, small_tablespace

COOPERATIVE = "[kafka.consumer]\npartition.assignment.strategy = cooperative-sticky\n"
EAGER = "[kafka.consumer]\npartition.assignment.strategy = range,roundrobin\n"
STRATEGIES = pytest.mark.parametrize("strategy", ["eager", "cooperative"])


def conf(strategy):
    return COOPERATIVE if strategy == "cooperative" else EAGER


def trickle_in_background(env, msgs, k, pause_s):
    """msgs produced k at a time, pause_s apart, from a thread (a stream that lasts)."""
    def run():
        for i in range(0, len(msgs), k):
            env.produce(msgs[i:i + k])
            time.sleep(pause_s)
    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t


def read_only(env, on):
    if on:
        admin(env, "ALTER SYSTEM SET default_transaction_read_only = on")
    else:
        admin(env, "ALTER SYSTEM RESET default_transaction_read_only")
    admin(env, "SELECT pg_reload_conf()")


def join_during_outage(env, strategy, outage_on, outage_off, refused, seed):
    """One member decides 300, the writes fail, 600 more arrive (the member holds batches it
    cannot commit), a second member joins (a revoke on the first), the writes work again, 100
    more arrive."""
    msgs, ids = sample.corpus(1000, seed, "rb-" + strategy[:4])
    a = env.daemon(batch_max=100, name="ossd-a", extra=conf(strategy))
    env.produce(msgs[:300])
    env.wait_decided(300)
    outage_on()
    b = None
    try:
        env.produce(msgs[300:900])
        harness.wait_for(lambda: refused in a.log_since_start(), 90, "a write refused")
        mark = a.log_since_start().count("revoking")
        b = env.daemon(batch_max=100, name="ossd-b", extra=conf(strategy))
        harness.wait_for(lambda: a.log_since_start().count("revoking") > mark, 90,
                         "a revoke on the first member")
        harness.wait_for(lambda: any("assigned" in ln and "assigned 0 " not in ln
                                     for ln in b.log_since_start().splitlines()), 90,
                         "partitions assigned to the second member")
        # the writes still fail for a while after the rebalance
        harness.wait_for(lambda: a.log_since_start().count(refused) >= 3, 60, "more refusals")
        assert a.alive() and b.alive()
    finally:
        outage_off()
    env.produce(msgs[900:])
    decided, dead = env.check_offsets(len(msgs))
    assert (decided, dead) == (len(msgs), 0)
    env.check_exact(ids, daemons=[a, b])
    assert "(incremental rebalancing)" in a.log_since_start() or strategy == "eager"


@STRATEGIES
def test_join_while_postgres_is_read_only(env, strategy):
    join_during_outage(env, strategy, lambda: read_only(env, True), lambda: read_only(env, False),
                       "read-only transaction", 61)


@STRATEGIES
def test_join_while_the_disk_is_full(env, strategy):
    with small_tablespace(env) as fs:
        join_during_outage(env, strategy, lambda: fs.fill(leave=64 * 1024), fs.unfill,
                           "No space left on device", 62)


@STRATEGIES
def test_members_join_and_leave_while_postgres_is_down(env, strategy):
    """Two members decide a stream; a third joins and PostgreSQL stops at once (the revokes
    of the join meet batches that cannot be committed), then one member leaves (SIGTERM:
    its drain gives its batches up) while PostgreSQL is still down."""
    msgs, ids = sample.corpus(1500, 63, "rbdown-" + strategy[:4])
    ds = [env.daemon(batch_max=50, name="ossd-%d" % i, extra=conf(strategy)) for i in range(2)]
    env.produce(msgs[:300])
    env.wait_decided(300)
    producer = trickle_in_background(env, msgs[300:1300], 40, 0.4)
    harness.wait_for(lambda: env.decided() > 400, 60, "decisions of the stream")
    marks = [d.log_since_start().count("revoking") for d in ds]
    ds.append(env.daemon(batch_max=50, name="ossd-2", extra=conf(strategy)))  # a join
    env.stack.devstack("stop", "pg")
    try:
        harness.wait_for(lambda: any(d.log_since_start().count("revoking") > m
                                     for d, m in zip(ds, marks)), 60, "a revoke")
        producer.join()
        time.sleep(3)  # the members poll, pause and retry meanwhile
        assert ds[1].stop() == 0  # a graceful leave
        assert ds[0].alive() and ds[2].alive()
    finally:
        env.stack.devstack("start", "pg")
    ds[1].start()
    env.produce(msgs[1300:])
    decided, dead = env.check_offsets(len(msgs))
    assert (decided, dead) == (len(msgs), 0)
    env.check_exact(ids, daemons=ds)
