"""The decision record (input bytes, basis, decision order) and `ossctl explain`."""
import hashlib
import json
import random
import re
import signal
import threading
import time

import psycopg2
import pytest

import harness
import sample

NOT_RECORDED = "not recorded: decided before the decision record"
HEX64 = re.compile(r"(?<![0-9a-f])[0-9a-f]{64}(?![0-9a-f])")


def no_identity(text):
    """No run of 16 digits (a NIK or an NPWP) outside the SHA-256 digests."""
    assert not re.search(r"[0-9]{16}", HEX64.sub("<digest>", text)), text


def explain(env, sid, *args, expect=0):
    r = harness.ossctl(env.pg_url, "explain", sid, *args, expect=expect)
    no_identity(r.stdout + r.stderr)
    return r


def explain_json(env, sid):
    out = explain(env, sid, "--json").stdout
    assert out.count("\n") == 1, "one object on one line"
    return json.loads(out)


def odd_bytes(sub):
    """The submission with odd whitespace and unicode escapes: valid JSON, unusual bytes."""
    text = json.dumps(sub, indent="\t", ensure_ascii=True)
    return (" \r\n" + text.replace(": ", " :  ") + "\n\n  ").encode()


def two_submissions():
    gen = sample.Generator(seed=11, invalid_ratio=0, prefix="exp")
    ok = gen.valid()
    ok["applicant"]["name"] = "Siti Nur\u00e9 \u2603 Rahayu"
    bad = gen.valid()
    bad["applicant"]["nik"] = bad["applicant"]["nik"][:12] + "0000"   # NIK_INVALID
    bad["business"]["activities"][0]["kbli"] = "99999"               # KBLI_UNKNOWN
    bad["business"]["location"]["region_code"] = "33.74.99"          # REGION_UNKNOWN
    return ok, bad


def test_explain_issued_rejected_and_exact_input(env):
    ok, bad = two_submissions()
    raw_ok, raw_bad = odd_bytes(ok), sample.encode(bad)
    again = json.loads(json.dumps(ok))  # the same actor and activity: ACTIVITY_DUPLICATE
    again["submission_id"] = "exp-again"
    env.daemon()
    env.produce([(sample.key_of(ok), raw_ok), (sample.key_of(bad), raw_bad),
                 (sample.key_of(again), sample.encode(again))])
    env.check_exact({ok["submission_id"], bad["submission_id"], "exp-again"})

    # the stored input is the produced bytes, exactly
    rows = dict(env.sql("SELECT submission_id, input FROM submissions"))
    assert bytes(rows[ok["submission_id"]]) == raw_ok
    assert bytes(rows[bad["submission_id"]]) == raw_bad
    assert env.sql("SELECT count(*) FROM submissions WHERE basis_id IS NULL "
                   "OR decision_seq IS NULL OR sha256(input) <> payload_sha256")[0][0] == 0

    text = explain(env, ok["submission_id"]).stdout
    assert re.search(r"^decision +issued$", text, re.M), text
    nib = env.sql("SELECT nib FROM submissions WHERE submission_id = %s", ok["submission_id"])[0][0]
    assert "nib           %s, status 01 (active)" % nib in text
    assert "  kbli        2020" in text
    for h in ("identity", "region", "kbli", "activity", "scale", "risk"):
        assert re.search(r"^    %s \(type %s, config sha256 [0-9a-f]{64}\)$" % (h, h), text,
                         re.M), text
    assert "ossd        " in text and NOT_RECORDED not in text
    assert hashlib.sha256(raw_ok).hexdigest() in text

    j = explain_json(env, ok["submission_id"])
    assert j["decision"]["status"] == "issued" and j["reasons"] == []
    assert j["nib"] == {"nib": nib, "status": "01", "status_name": "active"}
    assert j["input"] == {"recorded": True, "sha256": hashlib.sha256(raw_ok).hexdigest(),
                          "bytes": len(raw_ok)}
    assert j["basis"]["recorded"] and j["basis"]["kbli_version"] == "2020"
    assert [h["name"] for h in j["basis"]["chain"]] == \
        ["identity", "region", "kbli", "activity", "scale", "risk"]
    acts = j["permits"]
    assert len(acts) == len(ok["business"]["activities"])
    for a in acts:  # a permit of each activity, or explicitly none
        assert a["permit"] is None or a["permit"]["permit_id"].startswith(nib + "-" + a["kbli"])

    text = explain(env, bad["submission_id"]).stdout
    assert re.search(r"^decision +rejected$", text, re.M), text
    j = explain_json(env, bad["submission_id"])
    codes = {(r["code"], r["path"]) for r in j["reasons"]}
    assert ("NIK_INVALID", "/applicant/nik") in codes
    assert ("KBLI_UNKNOWN", "/business/activities/0/kbli") in codes
    assert ("REGION_UNKNOWN", "/business/location/region_code") in codes
    for r in j["reasons"]:
        assert r["rule"] and r["message"]
        assert "  %s at %s: " % (r["code"], r["path"]) in text
    assert text.count("      rule: ") == len(j["reasons"])
    assert j["permits"] == [] and "permits       0 activities" in text

    # a rejected submission of a known actor names the actor's NIB
    j = explain_json(env, "exp-again")
    assert [r["code"] for r in j["reasons"]] == ["ACTIVITY_DUPLICATE"]
    assert j["nib"] == {"nib": nib, "status": "01", "status_name": "active"}

    r = explain(env, "exp-nothing-here", expect=1)
    assert "no submission exp-nothing-here" in r.stderr and r.stdout == ""
    explain(env, "1234567890123456", expect=1)  # an id that looks like a NIK is masked


def test_explain_decision_before_the_record(env):
    """Rows as an ossd before migration 009 wrote them: no input, basis or decision_seq."""
    raw = b'{"schema":"oss.submission.v1","submission_id":"old-1"}'
    env.sql("INSERT INTO business_actors (actor_key) VALUES ('nik:3374014101900001')")
    actor, nib = env.sql("SELECT actor_id, nib FROM business_actors")[0]
    for sid, status, reasons in (
            ("old-1", "issued", None),
            ("old-2", "rejected",
             '[{"code":"NIK_INVALID","path":"/applicant/nik","message":"serial 0000"}]')):
        env.sql("INSERT INTO submissions (submission_id, payload_sha256, status, actor_id, nib, "
                "nib_new, channel, scale, authority, reasons, event_id, decided_at, src_topic, "
                "src_partition, src_offset) VALUES (%s, sha256(%s), %s, %s, %s, %s, 'online', "
                "%s, %s, %s::jsonb, gen_random_uuid(), now(), 'oss.submissions.v1', 0, %s)",
                sid, raw, status, actor if status == "issued" else None,
                nib if status == "issued" else None, status == "issued" or None,
                "01" if status == "issued" else None, "33.74" if status == "issued" else None,
                reasons, 1 if status == "issued" else 2)
    env.sql("INSERT INTO activities VALUES (%s, '33.74.01', '47111', 'R', 'NIB', 'issued', "
            "'old-1')", actor)

    text = explain(env, "old-1").stdout
    assert "versions, chain, ossd: " + NOT_RECORDED in text
    assert "decision_seq  " + NOT_RECORDED in text
    assert "input         sha256 %s, bytes %s" % (hashlib.sha256(raw).hexdigest(),
                                                   NOT_RECORDED) in text
    assert "nib           %s, status 01 (active)" % nib in text
    assert "kbli 47111 at 33.74.01 risk R: no permit" in text
    j = explain_json(env, "old-1")
    assert j["basis"] == {"recorded": False, "note": NOT_RECORDED}
    assert j["input"] == {"recorded": False, "sha256": hashlib.sha256(raw).hexdigest(),
                          "note": NOT_RECORDED}
    assert j["decision"]["decision_seq"] is None
    assert j["permits"][0]["permit"] is None

    j = explain_json(env, "old-2")
    assert j["decision"]["status"] == "rejected" and j["nib"] is None
    assert j["reasons"][0]["code"] == "NIK_INVALID" and j["reasons"][0]["rule"]


def test_explain_after_a_reload_that_changes_the_chain(env):
    gen = sample.Generator(seed=12, invalid_ratio=0, prefix="rel")
    first, second = gen.valid(), gen.valid()
    d = env.daemon()
    env.produce([(sample.key_of(first), sample.encode(first))])
    env.check_exact({first["submission_id"]})

    conf = open(d.conf).read()
    assert "handlers = identity, region, kbli, activity, scale, risk" in conf
    with open(d.conf, "w") as f:
        f.write(conf.replace("handlers = identity, region, kbli, activity, scale, risk",
                             "handlers = identity, region, kbli, scale, risk"))
    d.proc.send_signal(signal.SIGHUP)
    harness.wait_for(lambda: "reloaded:" in d.log_since_start(), 60, "the reload")
    env.produce([(sample.key_of(second), sample.encode(second))])
    env.check_exact({first["submission_id"], second["submission_id"]})

    a, b = explain_json(env, first["submission_id"]), explain_json(env, second["submission_id"])
    assert a["basis"]["basis_id"] != b["basis"]["basis_id"]
    assert "activity" in [h["name"] for h in a["basis"]["chain"]]
    assert [h["name"] for h in b["basis"]["chain"]] == ["identity", "region", "kbli", "scale",
                                                        "risk"]
    assert env.sql("SELECT count(*) FROM decision_basis")[0][0] == 2
    # the same chain again (a restart, another reload) finds its row: no new basis
    d.proc.send_signal(signal.SIGHUP)
    harness.wait_for(lambda: d.log_since_start().count("reloaded:") >= 2, 60, "a second reload")
    assert env.sql("SELECT count(*) FROM decision_basis")[0][0] == 2


def test_decision_record_survives_sigkill(env):
    n, kills = 3000, 3
    gen = sample.Generator(seed=13, invalid_ratio=0.1, prefix="rk")
    msgs = []
    for _ in range(n):
        s = gen.next()
        msgs.append((sample.key_of(s), sample.encode(s)))
    produced = {json.loads(v)["submission_id"]: v for _, v in msgs}
    d = env.daemon(batch_max=200)
    producer = threading.Thread(target=lambda: env.produce(msgs))
    producer.start()
    rnd = random.Random(5)
    for _ in range(kills):
        time.sleep(rnd.uniform(0.5, 2.0))
        d.kill()
        d.start()
    producer.join()
    env.check_exact(set(produced), timeout=600, daemons=[d])

    rows = env.sql("SELECT submission_id, input, basis_id, decision_seq, src_partition, "
                   "src_offset FROM submissions")
    assert len(rows) == n
    seqs = [r[3] for r in rows]
    assert None not in seqs and len(set(seqs)) == n, "a unique decision_seq each"
    for sid, inp, basis, _, _, _ in rows:
        assert bytes(inp) == produced[sid] and basis is not None
    by_part = {}
    for r in rows:
        by_part.setdefault(r[4], []).append((r[5], r[3]))
    for part, pairs in by_part.items():
        pairs.sort()
        assert [s for _, s in pairs] == sorted(s for _, s in pairs), \
            "decision order follows the offsets in partition %d" % part
    # one basis: every restart found the same row
    assert env.sql("SELECT count(*) FROM decision_basis")[0][0] == 1


def test_decision_record_when_committed_one_by_one(env):
    """A batch the database keeps refusing is committed one message at a time (the writer's
    fallback, as in test_poison): those decisions keep their record too."""
    msgs, ids = sample.corpus(150, 83, "obo")
    poison = sorted(ids)[7]
    env.sql("CREATE FUNCTION poison_uv() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            "RAISE EXCEPTION 'duplicate key value violates unique constraint \"poison\"' "
            "USING ERRCODE = 'unique_violation'; END $$")
    env.sql("CREATE TRIGGER poison_uv BEFORE INSERT ON submissions FOR EACH ROW "
            "WHEN (NEW.submission_id = '%s') EXECUTE FUNCTION poison_uv()" % poison)
    d = env.daemon(batch_max=200)
    env.produce(msgs)
    assert env.check_offsets(len(msgs), timeout=180) == (len(msgs) - 1, 1)
    assert "one by one" in d.log_since_start()
    produced = {json.loads(v)["submission_id"]: v for _, v in msgs}
    rows = env.sql("SELECT submission_id, input, basis_id, decision_seq FROM submissions")
    assert len(rows) == len(msgs) - 1
    for sid, inp, basis, seq in rows:
        assert bytes(inp) == produced[sid] and basis is not None and seq is not None, sid
    assert len({r[3] for r in rows}) == len(rows)


def test_the_basis_reference_costs_no_check_per_row_and_the_basis_cannot_change(env):
    """Migration 010: submissions.basis_id has no foreign-key trigger (its RI check per row was
    half the decision record's cost on the write path); decision_basis is append-only instead,
    so a basis decisions were made with can be neither changed nor removed."""
    msgs, _ = sample.corpus(40, 91, "bref")
    env.daemon()
    env.produce(msgs)
    assert env.check_offsets(len(msgs), timeout=120)[0] > 0
    assert env.sql("SELECT count(*) FROM pg_constraint WHERE conrelid = 'submissions'::regclass "
                   "AND contype = 'f'")[0][0] == 0
    assert env.sql("SELECT count(*) FROM submissions s LEFT JOIN decision_basis b "
                   "USING (basis_id) WHERE b.basis_id IS NULL")[0][0] == 0
    for stmt in ("UPDATE decision_basis SET ossd_version = 'x'", "DELETE FROM decision_basis",
                 "TRUNCATE decision_basis CASCADE"):
        with pytest.raises(psycopg2.Error, match="append-only"):
            env.sql(stmt)
    assert env.sql("SELECT count(*) FROM decision_basis WHERE ossd_version <> 'x'")[0][0] == 1


def test_explain_on_a_database_without_the_record(env):
    """A database that was not migrated to 009 is named as such, not a bare SQL error."""
    env.sql("ALTER TABLE submissions DROP COLUMN input, DROP COLUMN basis_id, "
            "DROP COLUMN decision_seq")
    r = explain(env, "any", expect=2)
    assert "no decision record yet: run `ossctl migrate`" in r.stderr, r.stderr


def test_start_waits_to_record_a_new_basis_while_read_only(env):
    """A start with a basis not recorded yet needs one write: while PostgreSQL is read-only
    ossd waits (as it waits for a connection) instead of exiting, then decides as usual."""
    from test_rebalance_outage import read_only
    msgs, ids = sample.corpus(50, 84, "ro")
    d = env.daemon(start=False)
    read_only(env, True)
    try:
        d.start(wait=False)
        harness.wait_for(lambda: "cannot record the decision basis yet" in d.log_since_start()
                         or not d.alive(), 60, "ossd to wait for the basis")
        time.sleep(2)
        assert d.alive(), d.log_since_start()
        assert " started" not in d.log_since_start()
    finally:
        read_only(env, False)
    harness.wait_for(lambda: " started" in d.log_since_start(), 60, "the start")
    env.produce(msgs)
    env.check_exact(ids, daemons=[d])
    assert env.sql("SELECT count(*) FROM submissions WHERE basis_id IS NULL")[0][0] == 0
