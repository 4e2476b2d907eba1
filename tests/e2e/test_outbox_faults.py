"""Holes of the decision core, the outbox and the producer (issue 10): a KBLI twice in one
submission with a chain that lacks the activity handler, a fatal producer error, an event
the broker refuses as too large, a crashed peer's unpublished rows, idle HTTP clients and
a misbehaving handler plugin. Each checks exact accounting."""
import json
import socket
import time
import urllib.request

import harness
import sample
from oracle import submission

NO_ACTIVITY = "identity, region, kbli, scale, risk"


def events_by_sid(col):
    return {e["data"]["submission_id"]: e for e in harness.events(col.messages)}


def test_kbli_twice_without_the_activity_handler_is_rejected_by_the_core(env):
    """The core's own duplicate check covers the same KBLI twice in one submission: without
    it COPY activities hits its primary key on every attempt and nothing is decided."""
    msgs, ids = sample.corpus(60, 31, "dupk", invalid_ratio=0)
    twice = submission("dupk-twice", serial=77, kblis=("56102", "14120", "56102"))
    msgs.append((b"twice", sample.encode(twice)))
    ids.add("dupk-twice")
    env.daemon(handlers=NO_ACTIVITY, batch_max=100)
    env.produce(msgs)
    env.wait_decided(len(ids), timeout=120)
    rows = dict(env.sql("SELECT submission_id, status FROM submissions"))
    assert set(rows) == ids
    assert rows["dupk-twice"] == "rejected"
    assert env.sql("SELECT count(*) FROM dead_letters")[0][0] == 0
    col = env.collector(harness.TOPICS[1])
    col.wait(lambda m: "dupk-twice" in {e["data"]["submission_id"] for e in harness.events(m)},
             60, "the rejection")
    ev = events_by_sid(col)["dupk-twice"]
    assert ev["type"].endswith("rejected.v1")
    assert [(r["code"], r["path"]) for r in ev["data"]["reasons"]] == \
        [("ACTIVITY_DUPLICATE", "/business/activities/2/kbli")]
    assert env.sql("SELECT count(*) FROM activities WHERE submission_id = 'dupk-twice'") == [(0,)]
    # a rejected submission creates no business actor (every actor has an issued submission)
    assert env.sql("SELECT count(*) FROM business_actors") == \
        env.sql("SELECT count(DISTINCT actor_id) FROM submissions WHERE status = 'issued'")


def test_kbli_twice_with_the_activity_handler_gives_one_reason(env):
    """With the handler in the chain the core adds no second reason at the same path."""
    twice = submission("dupk-h", serial=78, kblis=("56102", "56102"))
    env.daemon()
    env.produce([(b"h", sample.encode(twice))])
    col = env.collector(harness.TOPICS[1])
    col.wait(lambda m: len(m) >= 1, 60, "the rejection")
    ev = events_by_sid(col)["dupk-h"]
    assert [(r["code"], r["path"]) for r in ev["data"]["reasons"]] == \
        [("ACTIVITY_DUPLICATE", "/business/activities/1/kbli")]


def metric(port, name):
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=10) as r:
        for line in r.read().decode().splitlines():
            if line.startswith(name + " "):
                return float(line.split()[1])
    return None


def test_fatal_producer_error_replaces_the_producer(env):
    """A fatal error of the idempotent producer (injected with rd_kafka_test_fatal_error
    through the test-only OSSD_TEST_PRODUCER_FATAL_AFTER) no longer stops publishing: the
    producer is replaced once, and every decision's event is published under its id."""
    port = harness.free_port()
    msgs, ids = sample.corpus(600, 33, "fatal", invalid_ratio=0)
    d = env.daemon(start=False, batch_max=50,
                   extra_ossd="metrics_listen = 127.0.0.1:%d" % port)
    d.start(env=dict(harness.os.environ, OSSD_TEST_PRODUCER_FATAL_AFTER="350"))
    env.produce(msgs[:300])
    env.wait_decided(300)
    # the error comes with the next events produced: some are lost with the producer
    env.produce(msgs[300:])
    env.check_exact(ids, daemons=[d])
    log = d.log_since_start()
    assert log.count("failed for good") == 1, log[-3000:]
    assert metric(port, "ossd_producer_rebuilds_total") == 1


def test_an_event_too_large_stays_in_the_outbox(env):
    """An event larger than the producer accepts is not deleted from the outbox: it stays
    unpublished, parked (not re-sent in a loop), logged once and counted; the others flow."""
    port = harness.free_port()
    msgs, ids = sample.corpus(50, 34, "large", invalid_ratio=0)
    if harness.APACHE:  # the broker refuses it (delivery report MSG_SIZE_TOO_LARGE)
        from confluent_kafka.admin import ConfigResource
        env.start_broker()
        res = ConfigResource("topic", harness.TOPICS[2], set_config={"max.message.bytes": "6000"})
        admin = harness.kafka_admin(env.broker.bootstrap)
        for f in admin.alter_configs([res]).values():
            f.result(30)
        limit = ""
    else:  # the producer refuses it
        limit = "[kafka.producer]\nmessage.max.bytes = 6000\n"
    d = env.daemon(resend_ms=500, extra_ossd="metrics_listen = 127.0.0.1:%d" % port,
                   extra=limit)
    col = env.collector(harness.TOPICS[1])
    # not JSON: a dead letter, which carries the message's 9,000 bytes
    env.produce(msgs + [(b"big", b"x" * 9000)])
    col.wait(lambda m: len({e["data"]["submission_id"] for e in harness.events(m)}) >= len(ids),
             180, "the decision events")
    harness.wait_for(lambda: env.sql("SELECT count(*) FROM dead_letters")[0][0] == 1 or None,
                     60, "the dead letter")
    harness.wait_for(lambda: env.sql("SELECT count(*) FROM outbox")[0][0] == 1 or None,
                     60, "the outbox to keep only the large row")
    time.sleep(3)  # several re-send periods
    rows = env.sql("SELECT topic, length(msg_value), published_at IS NULL, "
                   "attempted_at = 'infinity' FROM outbox")
    assert rows == [(harness.TOPICS[2], rows[0][1], True, True)], rows
    assert rows[0][1] > 6000
    log = d.log_since_start()
    assert log.count("is larger than") == 1, log[-3000:]
    assert metric(port, "ossd_outbox_undeliverable_total") == 1
    assert len({e["data"]["submission_id"] for e in harness.events(col.messages)}) == len(ids)
    assert d.alive()


def test_an_idle_survivor_publishes_a_crashed_peers_rows(env):
    """Instance A decides but cannot publish (its producer points at a closed port) and is
    killed; instance B, idle (it consumes an empty topic) and started before A wrote a row,
    re-sends A's rows: the re-send claims by age, not only below its own highest id."""
    idle = "idle." + harness.TOPICS[0]
    env.start_broker(extra_topics=[idle + ":1"])
    b = env.daemon(name="survivor", group=env.broker.__dict__.get("group", "ossd") + ".b",
                   topics=(idle, harness.TOPICS[1], harness.TOPICS[2]))
    msgs, ids = sample.corpus(200, 35, "peer", invalid_ratio=0)
    a = env.daemon(name="crashed",
                   extra="[kafka.producer]\nbootstrap.servers = 127.0.0.1:%d\n"
                         % harness.free_port())
    env.produce(msgs)
    env.wait_decided(len(ids))
    assert env.sql("SELECT count(*) FROM outbox WHERE published_at IS NULL")[0][0] >= len(ids)
    a.kill()
    env.check_exact(ids, daemons=[b])
    assert "re-sending" in b.log_since_start()


def test_idle_http_clients_do_not_starve_a_scrape(env):
    """40 idle connections (half of them with a request begun and never finished) do not
    keep /metrics from answering within a few seconds."""
    port = harness.free_port()
    env.daemon(extra_ossd="metrics_listen = 127.0.0.1:%d" % port)
    idle = []
    try:
        for i in range(40):
            s = socket.create_connection(("127.0.0.1", port), timeout=5)
            if i % 2:
                s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n")
            idle.append(s)
        time.sleep(0.5)
        for _ in range(3):
            t0 = time.monotonic()
            with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=5) as r:
                assert r.status == 200
                assert b"ossd_postgres_up" in r.read()
            assert time.monotonic() - t0 < 5
    finally:
        for s in idle:
            s.close()


BAD_PLUGIN = r"""
#include <string.h>
#include <ossd/handler.h>

static int starts(const char *s, const char *p) { return s && strncmp(s, p, strlen(p)) == 0; }

static enum ossd_result bad_process(void *instance, const struct ossd_ctx *ctx,
                                    const struct ossd_submission *s, struct ossd_decision *d)
{
    const char *id = ossd_submission_field(s, OSSD_SUBMISSION_ID);
    (void)instance; (void)ctx;
    if (starts(id, "retry-"))
        return OSSD_RETRY;                      /* forever */
    if (starts(id, "count-")) {
        ossd_set_scale(d, "07");                /* outside 01..04 */
        return OSSD_REJECT;
    }
    if (starts(id, "code-")) {
        ossd_add_reason(d, "not a code", "/business", "lower case");
        return OSSD_REJECT;
    }
    if (starts(id, "unterm-")) {
        ossd_set_activity(d, "56102", NULL, "XX", "NIB", "issued"); /* no such risk level */
        return OSSD_REJECT;
    }
    if (starts(id, "result-"))
        return (enum ossd_result)7;
    return OSSD_OK;
}

static const struct ossd_handler_type bad_type = {
    OSSD_HANDLER_TYPE_HEADER, .name = "badplug",
    .description = "misbehaves on purpose", .process = bad_process,
};
const struct ossd_handler_type *ossd_handler_entry(void);
const struct ossd_handler_type *ossd_handler_entry(void) { return &bad_type; }
"""


def test_a_misbehaving_plugin_cannot_stop_the_intake(env):
    """What a handler plugin does is checked: a scale outside 01..04, a malformed reason code,
    a risk level outside R..T, an unknown result and RETRY forever each make that one
    message an INTERNAL_ERROR dead letter (RETRY after [pipeline] handler_retry_max); the
    other messages are decided. Offsets stored = decisions + dead letters."""
    import os
    import subprocess
    plugdir = os.path.join(env.workdir, "plugins")
    os.mkdir(plugdir)
    src = os.path.join(plugdir, "badplug.c")
    with open(src, "w") as f:
        f.write(BAD_PLUGIN)
    subprocess.run(["cc", "-std=c11", "-Wall", "-Werror", "-fPIC", "-shared",
                    "-I", os.path.join(harness.REPO, "include"), "-o",
                    os.path.join(plugdir, "badplug.so"), src], check=True)
    msgs, ids = sample.corpus(120, 36, "good", invalid_ratio=0)
    bad = {}
    for n, prefix in enumerate(["retry-", "count-", "code-", "unterm-", "result-"]):
        sub = submission(prefix + "1", serial=300 + n)
        bad[prefix + "1"] = sample.encode(sub)
    # the misbehaving ones in the middle of the stream, each under its own key
    msgs = msgs[:60] + [(k.encode(), v) for k, v in bad.items()] + msgs[60:]
    d = env.daemon(start=False, batch_max=50, handlers="identity, region, kbli, activity, "
                   "scale, risk, badplug")
    with open(d.conf) as f:
        conf = f.read().replace("plugin_dir = %s/build/handlers" % harness.REPO,
                                "plugin_dir = %s\nhandler_retry_max = 3" % plugdir)
    with open(d.conf, "w") as f:
        f.write(conf)
    d.start()
    env.produce(msgs)
    harness.wait_for(lambda: env.sql("SELECT count(*) FROM dead_letters")[0][0] >= len(bad)
                     or None, 180, "a dead letter for each misbehaving message")
    env.wait_decided(len(ids), timeout=180)
    assert {r[0] for r in env.sql("SELECT submission_id FROM submissions")} == ids
    assert dict(env.sql("SELECT submission_id, error_code FROM dead_letters")) == \
        {sid: "INTERNAL_ERROR" for sid in bad}
    stored = env.sql("SELECT coalesce(sum(next_offset), 0) FROM consumer_offsets")[0][0]
    assert stored == len(ids) + len(bad)
    log = d.log_since_start()
    assert "asked to retry more than 3 times in a row" in log
    assert d.alive()
