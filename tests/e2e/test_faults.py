"""Faults mid-stream with exact accounting: PostgreSQL stopped and restarted,
Kafka brokers down and up, several instances with one killed (rebalances)."""
import json
import threading
import time

import harness
import pytest
import sample
from test_lifecycle_corpus import Flow


@pytest.mark.parametrize("lifecycle", [False, True], ids=["submissions", "lifecycle"])
def test_postgres_stopped_and_restarted_mid_stream(env, lifecycle):
    """With lifecycle: status updates and NIB actions flow through the outage too."""
    msgs, ids = sample.corpus(6000, 11, "pgout")
    d = env.daemon(batch_max=200)
    flow = Flow(env, prefix="pgout") if lifecycle else None
    if flow:
        ids |= flow.ids
    env.produce(msgs[:2000])
    harness.wait_for(lambda: env.sql("SELECT count(*) FROM submissions")[0][0] > 0, 60,
                     "first decisions")
    env.stack.devstack("stop", "pg")
    try:
        if flow:
            flow.start()  # produced while PostgreSQL is down, consumed as it comes back
        env.produce(msgs[2000:])
        harness.wait_for(lambda: "PostgreSQL unavailable" in d.log_since_start(), 30,
                         "the outage to be noticed")
        time.sleep(2)  # the daemon keeps retrying, and must not exit
        assert d.alive()
    finally:
        env.stack.devstack("start", "pg")
    env.check_exact(ids)
    if flow:
        flow.check()
    log = d.log_since_start()
    assert log.count("PostgreSQL unavailable") == 1, "state changes are logged once"
    assert "available again" in log
    assert d.alive()


def test_kafka_brokers_down_and_up(env):
    msgs, ids = sample.corpus(4000, 12, "kdown")
    d = env.daemon(batch_max=200)
    env.produce(msgs[:2000])
    harness.wait_for(lambda: env.sql("SELECT count(*) FROM submissions")[0][0] > 100, 60,
                     "first decisions")
    env.broker.down()
    time.sleep(3)
    assert d.alive()
    env.broker.up()
    env.produce(msgs[2000:])
    env.check_exact(ids)
    assert d.alive()


COOPERATIVE = "[kafka.consumer]\npartition.assignment.strategy = cooperative-sticky\n"


@pytest.mark.parametrize("strategy,lifecycle", [("eager", False), ("cooperative", False),
                                                ("eager", True), ("cooperative", True)],
                         ids=["eager", "cooperative", "eager-lifecycle", "cooperative-lifecycle"])
def test_three_instances_one_killed_and_restarted(env, strategy, lifecycle):
    """With lifecycle: status updates and NIB actions flow through the kill too."""
    msgs, ids = sample.corpus(9000, 13, "group")
    extra = COOPERATIVE if strategy == "cooperative" else ""
    ds = [env.daemon(batch_max=200, name="ossd%d" % i, extra=extra) for i in range(3)]
    flow = Flow(env, prefix="group") if lifecycle else None
    if flow:
        ids |= flow.ids
        flow.start()
    producer = threading.Thread(target=lambda: env.produce(msgs))
    producer.start()
    harness.wait_for(lambda: env.sql("SELECT count(*) FROM submissions")[0][0] > 500, 120,
                     "first decisions")
    ds[1].kill()
    time.sleep(1)
    ds[1].start()
    producer.join()
    env.check_exact(ids)
    if flow:
        flow.check()
    assert all(d.alive() for d in ds)



def test_three_instances_cooperative_sticky(env):
    """The incremental rebalance protocol: members join, one is killed, one stops and
    comes back; survivors give up only the partitions they lose (incremental revoke)."""
    msgs, ids = sample.corpus(9000, 31, "coop")
    ds = [env.daemon(batch_max=200, name="ossd%d" % i, extra=COOPERATIVE) for i in range(2)]
    producer = threading.Thread(target=lambda: env.produce(msgs))
    producer.start()
    harness.wait_for(lambda: env.sql("SELECT count(*) FROM submissions")[0][0] > 300, 120,
                     "first decisions")
    ds.append(env.daemon(batch_max=200, name="ossd2", extra=COOPERATIVE))  # a join
    harness.wait_for(lambda: "assigned" in ds[2].log_since_start(), 60, "the third member")
    ds[0].kill()
    time.sleep(1)
    ds[0].start()
    assert ds[1].stop() == 0  # a graceful leave
    ds[1].start()
    producer.join()
    env.check_exact(ids)
    assert all(d.alive() for d in ds)
    for d in ds:
        assert "(incremental rebalancing)" in d.log_since_start()


def test_a_message_the_database_refuses_does_not_stop_the_intake(env):
    """A data error nobody foresaw (here: a CHECK constraint added by hand)
    is retried, then the batch is committed message by message and the one
    message the database refuses becomes an INTERNAL_ERROR dead letter."""
    msgs, ids = sample.corpus(300, 14, "poison")
    poison = sorted(ids)[17]
    env.sql("ALTER TABLE submissions ADD CONSTRAINT no_poison CHECK (submission_id <> %s)",
            poison)
    d = env.daemon(batch_max=100)
    env.produce(msgs)
    dlq = env.collector(harness.TOPICS[2])
    dl = dlq.wait(lambda m: len(m) >= 1, 120, "the INTERNAL_ERROR dead letter")
    h = {k: v.decode() for k, v in dl[0].headers()}
    assert h["ossd.error.code"] == "INTERNAL_ERROR"
    assert json.loads(dl[0].value())["submission_id"] == poison
    env.wait_decided(len(ids) - 1)
    decided = {r[0] for r in env.sql("SELECT submission_id FROM submissions")}
    assert decided == ids - {poison}
    assert env.sql("SELECT error_code, submission_id FROM dead_letters") == \
        [("INTERNAL_ERROR", poison)]
    assert d.alive()
