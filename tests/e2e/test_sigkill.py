"""SIGKILL at any moment loses nothing and decides nothing twice."""
import json
import os
import random
import threading
import time

import harness
import lifecycle
import pytest
import sample

N = int(os.environ.get("OSSD_SIGKILL_N", "20000"))
KILLS = int(os.environ.get("OSSD_SIGKILL_KILLS", "5"))


STRATEGIES = {
    "eager": "",
    "cooperative": "[kafka.consumer]\npartition.assignment.strategy = cooperative-sticky\n",
}


@pytest.mark.parametrize("strategy", sorted(STRATEGIES))
def test_sigkill_loop_exact_accounting(env, strategy):
    gen = sample.Generator(seed=42, invalid_ratio=0.05, prefix="kill")
    msgs = []
    for _ in range(N):
        s = gen.next()
        msgs.append((sample.key_of(s), sample.encode(s)))
    ids = {json.loads(v)["submission_id"] for _, v in msgs}
    assert len(ids) == N

    d = env.daemon(batch_max=500, extra=STRATEGIES[strategy])
    producer = threading.Thread(target=lambda: env.produce(msgs))
    producer.start()
    rnd = random.Random(7)
    for k in range(KILLS):
        # let it work a little, then kill it mid-batch
        time.sleep(rnd.uniform(0.5, 2.0))
        d.kill()
        d.start()
    producer.join()
    env.wait_decided(N, timeout=600)

    col = env.collector(harness.TOPICS[1])
    col.wait(lambda m: len({json.loads(x.value())["data"]["submission_id"] for x in m}) >= N,
             600, "an event for every submission")
    col.poll(2.0)
    assert d.stop() == 0

    rows = env.sql("SELECT submission_id, event_id::text, status FROM submissions")
    assert len(rows) == N, "decisions: %d, expected %d" % (len(rows), N)
    assert {r[0] for r in rows} == ids
    stored_id = {r[0]: r[1] for r in rows}
    seen = {}
    # one permit per issued activity, as its event announced it (the committed attempt's
    # decided_at and deadline, whatever the attempts killed before)
    permits = {r[0]: r[1:] for r in env.sql(
        "SELECT permit_id, submission_id, (extract(epoch FROM decided_at) * 1000)::bigint, "
        "(extract(epoch FROM sla_due) * 1000)::bigint FROM permits")}
    assert len(permits) == env.sql("SELECT count(*) FROM activities")[0][0]
    assert env.sql("SELECT count(*) FROM activities a JOIN business_actors b USING (actor_id) "
                   "LEFT JOIN permits p ON p.permit_id = b.nib || '-' || a.kbli || '-' || "
                   "replace(a.district, '.', '') AND p.submission_id = a.submission_id "
                   "WHERE p.permit_id IS NULL")[0][0] == 0
    checked = set()
    for m in col.messages:
        ev = json.loads(m.value())
        sid = ev["data"]["submission_id"]
        assert ev["id"] == stored_id[sid], "re-delivered event with another id"
        seen.setdefault(sid, set()).add(ev["id"])
        if ev["type"].endswith(".issued.v1") and sid not in checked:
            checked.add(sid)
            decided = lifecycle.parse_instant(ev["data"]["decided_at"])
            for a in ev["data"]["activities"]:
                due = lifecycle.parse_instant(a["sla_due"]) if "sla_due" in a else None
                assert permits.pop(a["permit_id"]) == (sid, decided, due), (sid, a)
    assert permits == {}, "permits no issued event announced: %r" % sorted(permits)[:5]
    assert set(seen) == ids
    assert all(len(v) == 1 for v in seen.values())
    # one NIB per business actor, never two
    dup_nib = env.sql("SELECT actor_key FROM business_actors GROUP BY actor_key "
                      "HAVING count(*) > 1")
    assert dup_nib == []
    assert env.sql("SELECT count(*) FROM dead_letters")[0][0] == 0
    assert env.sql("SELECT count(*) FROM outbox WHERE published_at IS NULL")[0][0] == 0
    assert d.starts == KILLS + 1
