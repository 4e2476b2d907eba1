"""The deemed-approval sweep (fiktif positif, docs/lifecycle.md "Deadlines and deemed approval"),
on the real build/ossd moved into the future with libfaketime (and build/libcndshim.so, without
which a faked ossd never stops): a due permit becomes approved_deemed with code 57 and
status_at = sla_due, with one event that validates; a permit not due, or of a frozen NIB, is
left alone; the watermark gate holds the sweep while a status update produced before the
deadline waits unconsumed; two instances, SIGKILLs in the middle of sweeps and PostgreSQL down
at the deadline all end with exactly one history row and one event id per permit.

The permits come from decided MT/T submissions and ossd_backfill_permits() (ossd does not write
permits itself on this branch); the status-update consumer is simulated in SQL (an applied
update and its stored offset) where a test needs one."""
import json
import os
import re
import signal
import time
import urllib.request
import uuid

import pytest

import harness
import sample

FAKETIME_LIB = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1"
CNDSHIM = os.path.join(harness.BUILD, "libcndshim.so")
LICENSE_TOPIC = "oss.license-status.v1"
OSSD_NS = uuid.UUID(bytes=bytes([0x2f, 0x3c, 0x8e, 0x41, 0x5d, 0x6a, 0x5b, 0x1e,
                                 0x9a, 0x43, 0x7c, 0x0d, 0x1e, 0x52, 0x64, 0x8b]))
SCHEMA = os.path.join(harness.REPO, "schemas", "events", "permit-status-changed.v1.json")

pytestmark = pytest.mark.skipif(not os.path.exists(FAKETIME_LIB),
                                reason="libfaketime is not installed")
# (the Apache lane: deploy/devstack raises log.message.timestamp.after.max.ms, which Kafka 4
# sets to 1 h, so that the faked ossd's events are accepted)


def faked_env(offset="+40d"):
    return dict(os.environ, FAKETIME=offset, FAKETIME_DONT_RESET="1",
                LD_PRELOAD=harness.preload(CNDSHIM, FAKETIME_LIB))


def sweep_conf(interval=1):
    return "\n[sla]\nsweep_interval_s = %d\n" % interval


def deemed_id(permit_id):
    return str(uuid.uuid5(OSSD_NS, "deemed:%s:57" % permit_id))


def metric(port, name):
    text = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=10).read()
    m = re.search(r"^%s (\S+)$" % re.escape(name), text.decode(), re.M)
    return float(m.group(1)) if m else None


def pending_permits(env, n_subs=60, seed=57):
    """Decides n_subs submissions with a real-clock ossd (then stopped), backfills the permits;
    returns the ids of the pending_verification ones (a week or so from due)."""
    gen = sample.Generator(seed=seed, invalid_ratio=0, prefix="dm%d" % seed)
    high = sorted(k for k, r in sample.RISK.items() if r in ("MT", "T"))
    msgs, ids = [], set()
    for i in range(n_subs):
        sub = gen.valid()
        sub["business"]["activities"] = [{"kbli": high[i % len(high)],
                                          "description": "kegiatan usaha"}]
        msgs.append((sample.key_of(sub), sample.encode(sub)))
        ids.add(sub["submission_id"])
    d = env.daemon()
    env.produce(msgs)
    env.wait_decided(len(ids))
    assert d.stop() == 0
    env.sql("SELECT ossd_backfill_permits()")
    rows = env.sql("SELECT permit_id FROM permits WHERE status = 'pending_verification' "
                   "AND clock = 'running' ORDER BY 1")
    assert rows, "no MT/T activity in the sample"
    return [r[0] for r in rows]


def deemed(env):
    return {r[0] for r in env.sql("SELECT permit_id FROM permits WHERE status = 'approved_deemed'")}


def check_exactly_once(env, permits, timeout=120, verdicts=()):
    """Every permit of permits deemed approved once: one 57 history row with status_at =
    sla_due and the stable event id, the outbox drained, and on the issuance topic only that
    id for it (a re-send repeats it, never another). Returns the events by permit."""
    harness.wait_for(lambda: deemed(env) >= set(permits) or None, timeout,
                     "%d deemed approvals" % len(permits), interval=0.3)
    rows = env.sql("SELECT h.permit_id, h.event_id::text, h.status_at = p.sla_due, "
                   "p.last_status_at = p.sla_due, p.clock FROM permit_history h "
                   "JOIN permits p USING (permit_id) WHERE h.code = '57'")
    assert len(rows) == len({r[0] for r in rows}), "a permit with two 57 rows"
    by = {r[0]: r for r in rows}
    assert set(by) == deemed(env)
    for pid in permits:
        _, eid, at_due, last_at_due, clock = by[pid]
        assert eid == deemed_id(pid) and at_due and last_at_due and clock == "none"
    harness.wait_for(lambda: env.sql("SELECT count(*) FROM outbox WHERE published_at IS NULL")
                     [0][0] == 0, 60, "the outbox to drain")
    col = env.collector(harness.TOPICS[1])
    col.wait(lambda ms: {e["subject"] for e in harness.events(ms)
                         if e["type"] == "id.go.oss.permit.status-changed.v1"} >= set(by),
             60, "an event for every deemed approval")
    col.poll(1.0)
    seen = {}
    for m in col.messages:
        ev = json.loads(m.value())
        if ev["type"] != "id.go.oss.permit.status-changed.v1":
            continue
        assert m.key().decode() == ev["subject"] == ev["partitionkey"] == ev["data"]["permit_id"]
        seen.setdefault(ev["subject"], []).append(ev)
    for pid, evs in seen.items():
        if pid not in verdicts:  # a permit of verdicts has its status update's event instead
            assert {e["id"] for e in evs} == {deemed_id(pid)}, pid
    assert set(seen) - set(verdicts) == set(by)
    return seen


def validator():
    jsonschema = pytest.importorskip("jsonschema")
    with open(SCHEMA) as f:
        schema = json.load(f)
    return jsonschema.Draft7Validator(schema, format_checker=jsonschema.FormatChecker())


# ---- libfaketime and the shim -------------------------------------------------------------------

def test_a_faked_ossd_stops_on_sigterm(env):
    """librdkafka's threads wait with C11 cnd_timedwait, which libfaketime does not shift:
    without build/libcndshim.so a deadline 40 days away on the faked clock is waited for on the
    real one, and a faked ossd can hang at shutdown (it did, now and then: SIGTERM unanswered
    after 30 s). With it, SIGTERM stops it in seconds, every time."""
    for _ in range(3):
        d = env.daemon(start=False, extra=sweep_conf())
        d.start(env=faked_env())
        time.sleep(2)
        t0 = time.monotonic()
        assert d.stop(timeout=30) == 0 and time.monotonic() - t0 < 30
        assert "stopped:" in d.log_since_start()


# ---- the sweep ----------------------------------------------------------------------------------

def test_due_permit_is_deemed_approved_once_with_a_valid_event(env):
    port = harness.free_port()
    permits = pending_permits(env)
    # a real-clock ossd: only the one permit made due by hand is deemed, the others not yet
    due_now = permits[0]
    env.sql("UPDATE permits SET sla_due = date_trunc('second', now()) - interval '1 minute' WHERE permit_id = %s",
            due_now)
    d = env.daemon(extra=sweep_conf(), extra_ossd="metrics_listen = 127.0.0.1:%d" % port)
    harness.wait_for(lambda: due_now in deemed(env) or None, 60, "the due permit deemed")
    sweeps = metric(port, "ossd_sweeps_total")
    harness.wait_for(lambda: metric(port, "ossd_sweeps_total") >= sweeps + 2, 60, "two sweeps")
    assert deemed(env) == {due_now}, "a permit deemed approved before its deadline"
    assert metric(port, "ossd_deemed_approvals_total") == 1
    assert d.stop() == 0
    assert "permit(s) deemed approved (code 57)" in d.log()

    # 40 days later: every one of them, once
    d2 = env.daemon(start=False, extra=sweep_conf(), extra_ossd="metrics_listen = 127.0.0.1:%d"
                    % port)
    d2.start(env=faked_env())
    seen = check_exactly_once(env, permits)
    v = validator()
    for pid in permits:
        ev = seen[pid][0]
        errors = sorted(e.message for e in v.iter_errors(ev))
        assert not errors, errors
        data = ev["data"]
        sla_due = env.sql("SELECT sla_due FROM permits WHERE permit_id = %s", pid)[0][0]
        assert data["code"] == "57" and data["status"] == "approved_deemed"
        assert data["previous_status"] == "pending_verification"
        assert data["agency"] is None and data["sla_due"] is None
        assert data["status_at"] == sla_due.astimezone(
            __import__("datetime").timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        assert data["nib"] == pid[:13] and data["kbli"] == pid[14:19]
    assert metric(port, "ossd_deemed_approvals_total") == len(permits) - 1
    assert d2.stop() == 0


def test_a_frozen_nib_holds_its_permits(env):
    permits = pending_permits(env, seed=58)
    frozen = permits[0][:13]
    env.sql("UPDATE business_actors SET nib_status = '05' WHERE nib = %s", frozen)
    held = [p for p in permits if p.startswith(frozen)]
    free = [p for p in permits if not p.startswith(frozen)]
    port = harness.free_port()
    d = env.daemon(start=False, extra=sweep_conf(),
                   extra_ossd="metrics_listen = 127.0.0.1:%d" % port)
    d.start(env=faked_env())
    check_exactly_once(env, free)
    time.sleep(3)  # more sweeps
    assert not deemed(env) & set(held)
    harness.wait_for(lambda: metric(port, "ossd_permits_overdue_waiting") == len(held), 30,
                     "the overdue gauge to count the frozen NIB's permits")
    # unfrozen: due, so the next sweep deems them
    env.sql("UPDATE business_actors SET nib_status = '01' WHERE nib = %s", frozen)
    check_exactly_once(env, permits)
    assert d.stop() == 0


def test_an_update_produced_before_the_deadline_wins(env):
    """A verdict produced before the deadline but consumed after it (ossd was down until 40
    days later) wins: the sweep waits until the stored offsets of license_status reach the high
    watermarks read after the deadline, so the intake applies the 50 first; the other permits
    are deemed approved, the verdict's permit is issued and never deemed."""
    topic = LICENSE_TOPIC + ("." + env.kafka_suffix if harness.APACHE else "")
    env.start_broker(extra_topics=("%s:4" % topic,))
    permits = pending_permits(env, seed=59)
    verdict = permits[0]
    status_at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    env.produce([(verdict.encode(), json.dumps({
        "schema": "oss.license-status.v1", "status_id": "st-verdict-1", "permit_id": verdict,
        "nib": verdict[:13], "code": "50", "status_at": status_at, "agency": "K-TEST",
        "permit_number": "PB-UMKU-1"}).encode())], topic=topic)
    d = env.daemon(start=False, extra=sweep_conf() + "\n[topics]\nlicense_status = %s\n" % topic)
    d.start(env=faked_env())
    seen = check_exactly_once(env, permits[1:], verdicts=(verdict,))
    assert env.sql("SELECT status, clock FROM permits WHERE permit_id = %s", verdict)[0] == \
        ("issued", "none")
    assert env.sql("SELECT status_id, code, error_code, status FROM permit_history "
                   "WHERE permit_id = %s ORDER BY id", verdict) == \
        [("st-verdict-1", "50", None, "issued")]
    assert {e["id"] for e in seen[verdict]} == \
        {str(uuid.uuid5(OSSD_NS, "status:st-verdict-1"))}
    assert d.stop() == 0


def test_two_instances_deem_each_permit_once(env):
    permits = pending_permits(env, n_subs=300, seed=60)
    ds = [env.daemon(start=False, extra=sweep_conf()) for _ in range(2)]
    for d in ds:
        d.start(env=faked_env(), wait=False)
    for d in ds:
        harness.wait_for(lambda: "started" in d.log_since_start(), 60, "ossd to start")
    check_exactly_once(env, permits)
    for d in ds:
        assert d.stop() == 0


def test_sigkill_during_sweeps_is_exactly_once(env):
    """Many due permits (several transactions of SWEEP_MAX_PER_TX), ossd killed again and again
    while it sweeps: each permit ends deemed once, with its one event id."""
    permits = pending_permits(env, n_subs=2500, seed=61)
    assert len(permits) > 1000, len(permits)
    d = env.daemon(start=False, extra=sweep_conf())
    counts = []
    for delay in (0.0, 0.5, 1.0, 0.7, 1.5, 0.3, 2.0, 1.2, 2.5):
        d.start(env=faked_env())  # up to "started": the first sweep starts at once
        time.sleep(delay)
        d.kill()
        counts.append(len(deemed(env)))
        if counts[-1] == len(permits):
            break
    print("deemed after each kill: %s of %d" % (counts, len(permits)))
    d.start(env=faked_env())
    check_exactly_once(env, permits, timeout=300)
    assert d.stop() == 0
    # recorded_at is the transaction's now(): one value per transaction, of at most 1000
    per_tx = [r[0] for r in env.sql("SELECT count(*) FROM permit_history WHERE code = '57' "
                                    "GROUP BY recorded_at")]
    print("deemed per transaction: %s" % per_tx)
    assert max(per_tx) <= 1000 and len(per_tx) >= 3, per_tx
    # kills landed before the first transaction and between transactions (a kill inside one
    # cannot be seen from outside: it leaves nothing, which the exact check above covers)
    assert counts[0] < len(permits), counts


def test_postgres_down_at_the_deadline_then_up(env):
    permits = pending_permits(env, seed=62)
    env.stack.devstack("stop", "pg")
    try:
        d = env.daemon(start=False, extra=sweep_conf())
        d.start(env=faked_env(), wait=False)
        harness.wait_for(lambda: "PostgreSQL unavailable" in d.log_since_start(), 60,
                         "the outage noticed")
        time.sleep(2)
        assert d.alive()
    finally:
        env.stack.devstack("start", "pg")
    check_exactly_once(env, permits)
    assert d.stop() == 0


def test_a_reload_applies_the_interval(env):
    """[sla] sweep_interval_s is reloadable: a sweep waiting an hour for its next round takes the
    new interval at SIGHUP, and a permit made due meanwhile is deemed within seconds."""
    port = harness.free_port()
    permits = pending_permits(env, seed=63)
    d = env.daemon(extra=sweep_conf(3600), extra_ossd="metrics_listen = 127.0.0.1:%d" % port)
    harness.wait_for(lambda: (metric(port, "ossd_sweeps_total") or 0) >= 1, 60, "the first sweep")
    env.sql("UPDATE permits SET sla_due = date_trunc('second', now()) - interval '1 minute' "
            "WHERE permit_id = %s", permits[0])
    time.sleep(3)
    assert deemed(env) == set(), "a round ran before the hour was up"
    with open(d.conf) as f:
        text = f.read()
    with open(d.conf, "w") as f:
        f.write(text.replace("sweep_interval_s = 3600", "sweep_interval_s = 1"))
    d.proc.send_signal(signal.SIGHUP)
    check_exactly_once(env, permits[:1], timeout=60)
    assert deemed(env) == {permits[0]}
    assert d.stop() == 0


def test_the_sweep_reconnects_after_a_postgres_outage(env):
    """PostgreSQL goes away under a running faked ossd (its sweep session breaks) and comes
    back: the permits that fall due meanwhile (their NIB unfrozen once it is back) are deemed
    approved once."""
    port = harness.free_port()
    permits = pending_permits(env, seed=64)
    env.sql("UPDATE business_actors SET nib_status = '05'")
    d = env.daemon(start=False, extra=sweep_conf(),
                   extra_ossd="metrics_listen = 127.0.0.1:%d" % port)
    d.start(env=faked_env())
    harness.wait_for(lambda: metric(port, "ossd_permits_overdue_waiting") == len(permits), 60,
                     "every permit overdue and waiting")
    env.stack.devstack("stop", "pg")
    try:
        time.sleep(4)  # sweeps fail meanwhile
        assert d.alive()
    finally:
        env.stack.devstack("start", "pg")
    env.sql("UPDATE business_actors SET nib_status = '01'")
    check_exactly_once(env, permits)
    assert "deemed-approval sweep: PostgreSQL available" in d.log_since_start()
    assert d.stop() == 0
