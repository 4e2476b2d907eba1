"""Against a real Apache Kafka 4.x broker only (OSSD_E2E_KAFKA=apache; skipped otherwise): what
the mock broker cannot show. A consumer group of three ossd (classic protocol, librdkafka 2.0)
rebalancing while one is killed and restarted; input compressed with lz4 and zstd (checked on
the broker's disk) decided exactly as the oracle says; the broker stopped and started again
mid-stream (deploy/devstack kafka-down / kafka-up, data kept); topics that do not exist (the
broker, like production, does not auto-create them): ossd creates none, keeps running and
picks them up once they exist.

Every scenario ends with exact accounting: every submission decided once in PostgreSQL and
published under one event id, nothing left in the outbox."""
import glob
import os
import re
import struct
import subprocess
import threading
import time

import pytest
from confluent_kafka import KafkaError, KafkaException

import harness
import oracle
import sample
from test_metrics import get, scrape

apache_only = pytest.mark.skipif(
    not harness.APACHE, reason="needs a real Apache Kafka broker (OSSD_E2E_KAFKA=apache)")


def group_of(env, group):
    """The consumer group as the broker describes it (DescribeGroups: classic groups), or None
    while its coordinator is not ready (a young broker loads __consumer_offsets first)."""
    try:
        groups = harness.kafka_admin(env.broker.bootstrap).list_groups(group, timeout=10)
    except KafkaException as e:
        if e.args[0].code() in (KafkaError.COORDINATOR_LOAD_IN_PROGRESS,
                                KafkaError.COORDINATOR_NOT_AVAILABLE,
                                KafkaError._TIMED_OUT):
            return None
        raise
    return groups[0] if groups else None


def wait_members(env, group, n, timeout=60):
    def ok():
        g = group_of(env, group)
        return g if g is not None and g.state == "Stable" and len(g.members) == n else None
    return harness.wait_for(ok, timeout, "group %s stable with %d members" % (group, n), 0.5)


CODECS = {0: "none", 1: "gzip", 2: "snappy", 3: "lz4", 4: "zstd"}


def records_by_codec(log_dir, topic):
    """{codec: records} over the record batches of the topic's segments on the broker's disk
    (Kafka's v2 batch header: the codec is attributes & 7, at byte 21; the count at byte 57)."""
    out = {}
    for d in glob.glob(os.path.join(glob.escape(log_dir), glob.escape(topic) + "-*")):
        if not re.fullmatch(re.escape(topic) + r"-\d+", os.path.basename(d)):
            continue
        for seg in glob.glob(os.path.join(d, "*.log")):
            with open(seg, "rb") as f:
                data = f.read()
            pos = 0
            while pos + 61 <= len(data):
                length = struct.unpack_from(">i", data, pos + 8)[0]
                if length <= 0 or pos + 12 + length > len(data):
                    break
                magic = data[pos + 16]
                attrs = struct.unpack_from(">h", data, pos + 21)[0]
                count = struct.unpack_from(">i", data, pos + 57)[0]
                if magic == 2 and not attrs & 0x20:  # not a control batch
                    codec = CODECS.get(attrs & 7, str(attrs & 7))
                    out[codec] = out.get(codec, 0) + count
                pos += 12 + length
    return out


# ---- a group of three: rebalances, one member killed and restarted ---------------------------

@apache_only
def test_group_of_three_rebalances_with_one_killed_and_restarted(env):
    msgs, ids = sample.corpus(12000, 41, "rebal")
    ds = [env.daemon(batch_max=200, name="ossd%d" % i) for i in range(3)]
    group = env.broker.group
    g = wait_members(env, group, 3)
    # librdkafka 2.0 speaks the classic group protocol (JoinGroup/SyncGroup), which Kafka 4.x
    # still serves beside KIP-848's
    assert g.protocol_type == "consumer"
    assert g.protocol in ("range", "roundrobin", "cooperative-sticky"), g.protocol
    producer = threading.Thread(target=lambda: env.produce(msgs))
    producer.start()
    harness.wait_for(lambda: env.decided() > 1500, 120, "first decisions", 0.1)
    ds[1].kill()
    at_kill = env.decided()
    time.sleep(1)
    ds[1].start()
    producer.join()
    env.check_exact(ids)
    assert at_kill < len(ids), "the kill came after the end of the stream"
    wait_members(env, group, 3)
    assert all(d.alive() for d in ds)
    for d in ds:  # each member had partitions at some point, the restarted one after its restart
        assert re.search(r"assigned [1-9]\d* partition", d.log()), d.name
    assert re.search(r"assigned [1-9]\d* partition", ds[1].log_since_start())
    print("group of three (%s, assignor %s): %d submissions, one member killed at %d decided"
          % (g.protocol_type, g.protocol, len(ids), at_kill))


# ---- compressed input ----------------------------------------------------------------------

def produce_with(bootstrap, messages, topic, codec):
    p = harness.producer(bootstrap, **{"compression.type": codec, "linger.ms": 20})
    for key, value in messages:
        while True:
            try:
                p.produce(topic, value=value, key=key)
                break
            except BufferError:
                p.poll(0.1)
    assert p.flush(60) == 0


@apache_only
def test_lz4_and_zstd_input_decided_as_the_oracle_says(env):
    """Half the input with lz4, half with zstd (on the broker's disk as such); ossd publishes
    its own events with zstd. Every decision equals the oracle's."""
    gen = sample.Generator(seed=43, invalid_ratio=0.05, prefix="codec")
    values = [sample.encode(gen.next()) for _ in range(3000)]
    msgs = [(oracle.partition_key(v), v) for v in values]
    o = oracle.Oracle()
    for key, value in msgs:
        o.feed(value).key = key
    n_decided = sum(1 for x in o.outcomes if x.kind in ("issued", "rejected"))
    n_dead = sum(1 for x in o.outcomes if x.kind == "dead")
    d = env.daemon(extra="[kafka.producer]\ncompression.type = zstd\n")
    events = env.collector(harness.TOPICS[1])
    dlq = env.collector(harness.TOPICS[2])
    half = len(msgs) // 2
    produce_with(env.broker.bootstrap, msgs[:half], harness.TOPICS[0], "lz4")
    produce_with(env.broker.bootstrap, msgs[half:], harness.TOPICS[0], "zstd")
    env.wait_decided(n_decided, timeout=180)
    events.wait(lambda m: len({x.value() for x in m}) >= n_decided, 180, "the events")
    dlq.wait(lambda m: len(m) >= n_dead, 60, "the dead letters")
    events.poll(0.5)
    problems = oracle.compare(o, events.messages, dlq.messages)
    assert not problems, "%d differences:\n%s" % (len(problems), "\n".join(problems[:40]))
    assert d.alive()
    log_dir = env.stack.kafka_log_dir
    inp = records_by_codec(log_dir, harness.TOPICS[0])
    assert inp.get("lz4") == half and inp.get("zstd") == len(msgs) - half, inp
    out = records_by_codec(log_dir, harness.TOPICS[1])
    assert set(out) == {"zstd"} and out["zstd"] >= n_decided, out
    print("codecs on disk: input %r, events %r" % (inp, out))


# ---- the broker stopped and started again mid-stream ---------------------------------------------

@apache_only
def test_broker_restart_mid_stream_loses_nothing(env):
    """The broker stops (controlled shutdown) while ossd works through the first part; the
    second part is produced while it is down (the idempotent producer holds and retries it);
    decisions made meanwhile wait in the outbox. After the restart nothing is missing."""
    msgs, ids = sample.corpus(8000, 44, "krestart")
    d = env.daemon(batch_max=200)
    env.produce(msgs[:3000])
    harness.wait_for(lambda: env.decided() > 300, 120, "first decisions", 0.05)
    t0 = time.monotonic()
    env.broker.down()
    down_s = time.monotonic() - t0
    at_down = env.decided()
    producer = threading.Thread(target=lambda: env.produce(msgs[3000:]))
    producer.start()
    time.sleep(3)
    assert d.alive()
    waiting = env.sql("SELECT count(*) FROM outbox WHERE published_at IS NULL")[0][0]
    t0 = time.monotonic()
    env.broker.up()
    up_s = time.monotonic() - t0
    producer.join()
    env.check_exact(ids)
    assert d.alive()
    assert d.stop() == 0
    print("broker restart: down in %.1f s, up in %.1f s; %d of %d decided when it was down, "
          "%d events waiting in the outbox" % (down_s, up_s, at_down, len(ids), waiting))


# ---- topics that do not exist ----------------------------------------------------------------

@apache_only
def test_missing_submissions_topic_is_not_created_and_is_picked_up_later(env):
    env.start_broker()
    missing = "oss.submissions.v1.missing-" + env.broker.suffix
    env.broker.names.append(missing)  # deleted at the end
    bs = env.broker.bootstrap
    d = env.daemon(topics=(missing, harness.TOPICS[1], harness.TOPICS[2]))
    # librdkafka's consumer error, which ossd logs as a warning (once) and goes on:
    # "warning consumer: Subscribed topic not available: NAME: Broker: Unknown topic or partition"
    line = harness.wait_for(lambda: [x for x in d.log_since_start().splitlines()
                                     if missing in x and "not available" in x], 30,
                            "ossd to log the missing topic")[0]
    assert re.search(r"\b(warning|error)\b", line), line
    time.sleep(3)
    assert d.alive()
    assert missing not in harness.topic_names(bs), "the topic was created"
    print("ossd logged: " + line)

    harness.create_topics(bs, [(missing, 16)])
    msgs, ids = sample.corpus(300, 45, "late")
    env.produce(msgs, topic=missing)
    env.check_exact(ids, timeout=120)
    assert d.alive()


@apache_only
def test_missing_issuance_topic_is_not_created_events_wait_in_the_outbox(env):
    """Decisions are committed; their events wait in the outbox (librdkafka holds them for
    the topic's metadata, then, about 30 s on, reports them undelivered: ossd logs one "not
    delivered ... (will be re-sent)" warning and then a count every 10 s, not a line per event,
    and sends them again later) and all go out, each under its id, once the topic exists."""
    env.start_broker()
    missing = "oss.issuance.v1.missing-" + env.broker.suffix
    env.broker.names.append(missing)
    bs = env.broker.bootstrap
    port = harness.free_port()
    d = env.daemon(topics=(harness.TOPICS[0], missing, harness.TOPICS[2]), resend_ms=2000,
                   extra_ossd="metrics_listen = 127.0.0.1:%d" % port)
    msgs, ids = sample.corpus(300, 46, "noiss")
    env.produce(msgs)
    env.wait_decided(len(ids))  # decisions do not wait for Kafka
    # re-send ticks claim the waiting rows every second; a row still in the producer
    # (waiting for the topic's metadata) is not produced again
    for _ in range(6):
        time.sleep(1)
        in_flight = get(scrape(port)[0], "ossd_outbox_in_flight")
        assert in_flight <= len(ids), "%d events in flight for %d rows" % (in_flight, len(ids))
    assert d.alive()
    assert missing not in harness.topic_names(bs), "the topic was created"
    waiting = env.sql("SELECT count(*) FROM outbox WHERE published_at IS NULL")[0][0]
    assert waiting == len(ids), "%d of %d events wait in the outbox" % (waiting, len(ids))
    # the first delivery reports (the topic's metadata never came): one line, not 300
    harness.wait_for(lambda: "not delivered" in d.log_since_start(), 120, "undelivered events")
    time.sleep(2)
    noisy = [x for x in d.log_since_start().splitlines() if "not delivered" in x]
    print("ossd logged:\n" + "\n".join(noisy)[:1500])
    assert len(noisy) <= 10, "%d lines about undelivered events" % len(noisy)
    assert env.sql("SELECT count(*) FROM outbox WHERE published_at IS NULL")[0][0] == len(ids)

    harness.create_topics(bs, [(missing, 16)])
    col = env.check_exact(ids, timeout=180, topic=missing)
    # a row still waiting in the producer is not queued again by each re-send: at most
    # one copy in flight per event (a re-send may race a late delivery report)
    assert len(col.messages) <= 2 * len(ids), "%d copies of %d events" % (len(col.messages),
                                                                          len(ids))
    assert d.alive()


# ---- the dev stack itself ------------------------------------------------------------------

@apache_only
def test_devstack_reports_the_apache_broker(env):
    r = env.stack.kafka_devstack("status")
    assert re.search(r"^broker:    up, Apache Kafka 4\.\d+\.\d+, pid \d+, 127\.0\.0\.1:\d+",
                     r.stdout, re.M), r.stdout
    with open(os.path.join(env.stack.kafka_run_dir, "kafka", "server.properties")) as f:
        props = f.read()
    assert "auto.create.topics.enable=false" in props
    assert "process.roles=broker,controller" in props


# ---- deploy/devstack up --kafka apache without what it needs (no broker: runs in both modes) --

def devstack_up_apache(tmp_path, **env):
    e = dict(os.environ, OSSD_RUN_DIR=str(tmp_path / "run"),
             OSSD_KAFKA_CACHE=str(tmp_path / "cache"), **env)
    e.pop("JAVA_HOME", None)
    e.update(env)
    return subprocess.run([os.path.join(harness.REPO, "deploy", "devstack"), "up", "--kafka",
                           "apache"], env=e, capture_output=True, text=True, timeout=60)


def fake_java(tmp_path, version):
    home = tmp_path / "jdk"
    (home / "bin").mkdir(parents=True)
    java = home / "bin" / "java"
    java.write_text("#!/bin/sh\necho 'openjdk version \"%s\" 2020-01-01' >&2\n" % version)
    java.chmod(0o755)
    return str(home)


def assert_nothing_started(tmp_path):
    run = tmp_path / "run"
    left = sorted(p.name for p in run.iterdir()) if run.exists() else []
    assert set(left) <= {".lock", "kafka-fetch.log"}, left


def test_devstack_apache_refuses_java_older_than_17(tmp_path):
    r = devstack_up_apache(tmp_path, JAVA_HOME=fake_java(tmp_path, "11.0.2"))
    assert r.returncode != 0
    assert "needs Java 17 or newer" in r.stderr and "Java 11" in r.stderr, r.stderr
    assert_nothing_started(tmp_path)


def test_devstack_apache_without_maven_says_so(tmp_path):
    r = devstack_up_apache(tmp_path, JAVA_HOME=fake_java(tmp_path, "17.0.9"),
                           OSSD_KAFKA_MVN=str(tmp_path / "no-such-mvn"))
    assert r.returncode != 0
    assert "needs Maven" in r.stderr and "to fetch Apache Kafka" in r.stderr, r.stderr
    assert_nothing_started(tmp_path)


def test_devstack_up_kafka_usage(tmp_path):
    e = dict(os.environ, OSSD_RUN_DIR=str(tmp_path / "run"))
    up = [os.path.join(harness.REPO, "deploy", "devstack"), "up"]
    for args, msg in ((["--kafka", "redpanda"], "--kafka must be mock or apache"),
                      (["--kafka"], "--kafka needs mock or apache"),
                      (["--frobnicate"], "unknown argument")):
        r = subprocess.run(up + args, env=e, capture_output=True, text=True, timeout=60)
        assert r.returncode != 0 and msg in r.stderr, (args, r.stderr)
