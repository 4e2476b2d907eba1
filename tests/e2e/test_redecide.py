"""`ossctl redecide` (docs/lifecycle.md, "Explanations and re-decision"; docs/operations.md):
today's rules, or named reference-data versions, over the stored inputs in their decision order,
changing nothing; the differences from the stored decisions, checked against the Python oracle
(tests/pylib/oracle.py) run over the same inputs with the same reference data."""
import collections
import csv
import json
import os
import subprocess

import psycopg2

import harness
import oracle
import sample

N = 400


def redecide(env, conf, *args, expect=0):
    r = subprocess.run([harness.OSSCTL, "--config", conf, "redecide", *args],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == expect, "exit %d:\n%s%s" % (r.returncode, r.stdout, r.stderr)
    return r


def last_json(r):
    lines = r.stdout.rstrip("\n").split("\n")
    out = json.loads(lines[-1])
    assert set(out) == {"examined", "changed", "seconds"}, lines[-1]
    assert isinstance(out["seconds"], float) and out["seconds"] >= 0
    return out


def record_inputs(env, messages):
    """The stored inputs and decision order, as ossd records them once the decision record
    (migration 009) is in: where a row has no input yet, the test writes the bytes it produced
    and their production order (each actor's messages share a key, so this is an order ossd
    could have decided them in)."""
    env.sql("ALTER TABLE submissions ADD COLUMN IF NOT EXISTS input bytea, "
            "ADD COLUMN IF NOT EXISTS decision_seq bigint")
    rows = [(json.loads(v)["submission_id"], v) for _, v in messages]
    conn = psycopg2.connect(env.pg_url)
    try:
        with conn, conn.cursor() as cur:
            for seq, (sid, value) in enumerate(rows, 1):
                cur.execute("UPDATE submissions SET input = %s, decision_seq = %s "
                            "WHERE submission_id = %s AND input IS NULL", (value, seq, sid))
    finally:
        conn.close()


def decided_corpus(env, n=N, seed=11, prefix="rd"):
    """A started ossd that decided n generated submissions; (daemon, messages, oracle)."""
    d = env.daemon()
    msgs, _ids = sample.corpus(n, seed, prefix, invalid_ratio=0.15)
    orc = oracle.Oracle(oracle.RefData.seed())
    events, dlq = oracle.run_corpus(env, msgs, orc)
    assert oracle.compare(orc, events, dlq) == []
    record_inputs(env, msgs)
    return d, msgs, orc


def checksum(env):
    """One digest per table of the public schema (every row) and each sequence's state."""
    out = {}
    for (t,) in env.sql("SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                        "ORDER BY 1"):
        out[t] = env.sql('SELECT count(*), md5(coalesce(string_agg(x::text, \'|\' '
                         'ORDER BY x::text), \'\')) FROM "%s" x' % t)[0]
    for (s,) in env.sql("SELECT sequencename FROM pg_sequences WHERE schemaname = 'public'"):
        out["seq:" + s] = env.sql('SELECT last_value, is_called FROM "%s"' % s)[0]
    return out


def n_decided(orc):
    return sum(1 for o in orc.outcomes if o.kind in ("issued", "rejected"))


def codes(o):
    return collections.Counter(c for c, _p in (o.reasons or ()))


def risks(o):
    return sorted((a[0], a[2]) for a in o.activities) if o.kind == "issued" else None


def expected_changes(old, new):
    """{sid: (old kind, new kind, gained codes, lost codes)} between two oracle runs."""
    out = {}
    for sid, o in old.items():
        n = new[sid]
        if (o.kind, o.reasons or set(), risks(o), o.nib_new if o.kind == "issued" else None) == \
                (n.kind, n.reasons or set(), risks(n), n.nib_new if n.kind == "issued" else None):
            continue
        oc, nc = codes(o), codes(n)
        moved = set()
        if o.kind == n.kind == "issued":
            was = dict(risks(o))
            moved = {"risk:%s:%s>%s" % (k, was.get(k, "-"), r) for k, r in risks(n)
                     if was.get(k) != r}
            if o.nib_new != n.nib_new:
                moved.add("nib_new:%s>%s" % (str(o.nib_new).lower(), str(n.nib_new).lower()))
        out[sid] = (o.kind, n.kind, {c for c in nc if nc[c] > oc[c]},
                    {c for c in oc if oc[c] > nc[c]}, moved)
    return out


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def check_against(rows, exp):
    """The --out rows are exactly the oracle's changes, transition and reasons included."""
    got = {r["submission_id"]: r for r in rows}
    assert set(got) == set(exp), "extra %s, missing %s" % (
        sorted(set(got) - set(exp))[:5], sorted(set(exp) - set(got))[:5])
    for sid, (ok, nk, gained, lost, moved) in exp.items():
        r = got[sid]
        assert (r["old"], r["new"]) == (ok, nk), (sid, r)
        words = r["reasons"].split()
        assert {w[1:] for w in words if w.startswith("+")} == gained, (sid, r)
        assert {w[1:] for w in words if w.startswith("-")} == lost, (sid, r)
        assert {w for w in words if w.startswith(("risk:", "nib_new:"))} == moved, (sid, r)


def summary_counts(stdout, title):
    """The lines under a summary heading, as {label: count}."""
    out, on = {}, False
    for line in stdout.split("\n"):
        if line.startswith(title + ":"):
            on = True
            continue
        if on:
            if not line.startswith("  "):
                break
            label, n = line.strip().rsplit(None, 1)
            out[label] = int(n)
    return out


def test_nothing_changed_and_nothing_written(env):
    d, msgs, orc = decided_corpus(env)
    d.stop()
    before = checksum(env)
    r = redecide(env, d.conf, "--out", os.path.join(env.workdir, "none.csv"))
    assert last_json(r) == {"examined": n_decided(orc), "changed": 0,
                            "seconds": last_json(r)["seconds"]}
    assert "not examinable" not in r.stdout
    assert read_csv(os.path.join(env.workdir, "none.csv")) == []
    assert r.stderr == ""  # no terminal: no progress bar
    assert checksum(env) == before
    # one worker gives the same answer
    assert last_json(redecide(env, d.conf, "--jobs", "1"))["changed"] == 0


def make_risk_version(env, version, code, risk):
    """A copy of the active KBLI table as version (not active) with code at risk."""
    env.sql("INSERT INTO ref_versions (kind, version) VALUES ('kbli', %s)", version)
    env.sql("INSERT INTO ref_kbli SELECT %s, code, title, description, "
            "CASE WHEN code = %s THEN %s ELSE risk END FROM ref_kbli "
            "WHERE version = (SELECT version FROM ref_versions WHERE kind = 'kbli' AND active)",
            version, code, risk)
    env.sql("INSERT INTO ref_kbli_risk SELECT %s, code, scale, risk FROM ref_kbli_risk "
            "WHERE version = (SELECT version FROM ref_versions WHERE kind = 'kbli' AND active) "
            "AND code <> %s", version, code)


def test_risk_version_changes_what_the_oracle_says(env):
    d, msgs, orc = decided_corpus(env)
    old = {o.sid: o for o in orc.outcomes if o.kind in ("issued", "rejected")}
    # the most common issued KBLI of the corpus, now T
    counter = collections.Counter(a[0] for o in old.values() if o.kind == "issued"
                                  for a in o.activities)
    code = counter.most_common(1)[0][0]
    rd = oracle.RefData.seed()
    rd.kbli[code][1] = "T"
    for key in [k for k in rd.scale_risk if k[0] == code]:
        del rd.scale_risk[key]
    new = oracle.Oracle(rd).run([v for _, v in msgs])
    exp = expected_changes(old, new)
    assert exp, "the risk change changes nothing in this corpus"
    out = os.path.join(env.workdir, "risk.csv")
    r = redecide(env, d.conf, "--refdata-version", "kbli=risk-test-0", "--out", out,
                 expect=2)
    assert "no kbli version 'risk-test-0'" in r.stderr
    make_risk_version(env, "risk-test", code, "T")
    before = checksum(env)
    r = redecide(env, d.conf, "--refdata-version", "kbli=risk-test", "--out", out)
    assert last_json(r)["changed"] == len(exp)
    assert last_json(r)["examined"] == len(old)
    check_against(read_csv(out), exp)
    assert summary_counts(r.stdout, "transitions (old -> new)") == dict(collections.Counter(
        "%s -> %s" % (e[0], e[1]) for e in exp.values()))
    assert checksum(env) == before
    # the active version is still the old one: no change with today's data
    assert last_json(redecide(env, d.conf))["changed"] == 0

    # --since / --until: the replay still starts at the first input; only the window counts
    times = env.sql("SELECT submission_id, decided_at FROM submissions ORDER BY decided_at")
    mid = times[len(times) // 2][1]
    after = {sid for sid, t in times if t >= mid}
    upto = {sid for sid, t in times if t <= mid}
    r = redecide(env, d.conf, "--refdata-version", "kbli=risk-test", "--since", mid.isoformat(),
                 "--out", out)
    assert last_json(r)["examined"] == len(after)
    assert {x["submission_id"] for x in read_csv(out)} == set(exp) & after
    r = redecide(env, d.conf, "--refdata-version", "kbli=risk-test", "--until", mid.isoformat(),
                 "--out", out)
    assert last_json(r)["examined"] == len(upto)
    assert {x["submission_id"] for x in read_csv(out)} == set(exp) & upto


def test_rows_without_input_are_counted_not_examined(env):
    d, msgs, orc = decided_corpus(env, n=60)
    env.sql("UPDATE submissions SET input = NULL WHERE submission_id IN "
            "(SELECT submission_id FROM submissions ORDER BY submission_id LIMIT 7)")
    r = redecide(env, d.conf)
    assert "not examinable (decided before ossd kept its input): 7" in r.stdout
    assert last_json(r)["examined"] == n_decided(orc) - 7


def test_usage(env):
    conf = os.path.join(env.workdir, "x.conf")
    with open(conf, "w") as f:
        f.write("[postgres]\nurl = %s\n[kafka]\nbootstrap.servers = 127.0.0.1:9\n" % env.pg_url)
    for args in (["--jobs", "0"], ["--refdata-version", "kbli"],
                 ["--refdata-version", "colour=1"], ["extra"]):
        r = redecide(env, conf, *args, expect=2)
        assert "usage" in r.stderr or "redecide" in r.stderr
    r = subprocess.run([harness.OSSCTL, "--pg-url", env.pg_url, "redecide"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "needs --config" in r.stderr


DEMO = os.path.join(harness.REPO, "tests", "demo_kbli2025.sh")


def kbli2025(rd):
    """What tests/demo_kbli2025.sh makes of the table: 56102 renumbered 56109, 47112 split into
    47117 and 47118, 96111 retired (per-scale levels of the codes that go go with them)."""
    rd.kbli["56109"] = rd.kbli.pop("56102")
    title, risk = rd.kbli.pop("47112")
    rd.kbli["47117"] = [title + " (Toko)", risk]
    rd.kbli["47118"] = [title + " (Warung)", risk]
    del rd.kbli["96111"]
    for key in [k for k in rd.scale_risk if k[0] in ("56102", "47112", "96111")]:
        del rd.scale_risk[key]
    return rd


def test_kbli2025_walkthrough(env):
    d, msgs, orc = decided_corpus(env)
    old = {o.sid: o for o in orc.outcomes if o.kind in ("issued", "rejected")}
    new = oracle.Oracle(kbli2025(oracle.RefData.seed())).run([v for _, v in msgs])
    exp = expected_changes(old, new)
    assert any(e[1] == "rejected" and "KBLI_UNKNOWN" in e[2] for e in exp.values())
    before = checksum(env)
    r = subprocess.run(["sh", DEMO, d.conf, str(d.proc.pid)], capture_output=True, text=True,
                       timeout=300, env=dict(os.environ, DEMO_DIR=env.workdir,
                                             OSSD_PG_URL=env.pg_url))
    assert r.returncode == 0, r.stdout + r.stderr
    line = [x for x in r.stdout.split("\n") if x.startswith('{"examined"')]
    assert len(line) == 1, r.stdout
    assert json.loads(line[0])["changed"] == len(exp)
    check_against(read_csv(os.path.join(env.workdir, "changes.csv")), exp)
    # only the import and the activation changed the database (and ossd, reloading, may record
    # its new decision basis)
    after = checksum(env)
    changed = {t for t in set(before) | set(after) if before.get(t) != after.get(t)}
    assert changed <= {"ref_versions", "ref_kbli", "ref_kbli_risk", "decision_basis",
                       "seq:decision_basis_basis_id_seq"}, changed
    assert env.sql("SELECT version FROM ref_versions WHERE kind = 'kbli' AND active") == \
        [("2025-demo",)]
    harness.wait_for(lambda: "reloaded" in d.log_since_start() and "KBLI 2025-demo"
                     in d.log_since_start(), 60, "ossd to take the new KBLI table")
    # the running ossd decides with it: the new code is known, the renumbered one is not
    env.produce([(b"k1", oracle.encode(oracle.submission("after-1", kblis=("56109",), serial=71))),
                 (b"k2", oracle.encode(oracle.submission("after-2", kblis=("56102",), serial=72)))])
    env.wait_decided(len(old) + 2)
    got = dict(env.sql("SELECT submission_id, status FROM submissions "
                       "WHERE submission_id LIKE %s", "after-%"))
    assert got == {"after-1": "issued", "after-2": "rejected"}
    assert "KBLI_UNKNOWN" in str(env.sql("SELECT reasons FROM submissions "
                                         "WHERE submission_id = 'after-2'"))


def test_refdata_activate(env):
    r = harness.ossctl(env.pg_url, "refdata", "activate", "kbli", "nope", expect=1)
    assert "no kbli version 'nope'" in r.stderr
    harness.ossctl(env.pg_url, "refdata", "activate", "colour", "x", expect=2)
    make_risk_version(env, "other", "56102", "T")
    r = harness.ossctl(env.pg_url, "refdata", "activate", "kbli", "other")
    assert "active" in r.stdout
    assert env.sql("SELECT version FROM ref_versions WHERE kind = 'kbli' AND active") == \
        [("other",)]


# ---- NIB actions in the replay ------------------------------------------------------------------

def nib_topic():
    return harness.lifecycle_topics()[2]


def nib_action(aid, nib, what, i):
    from test_nib_actions import action
    from test_status_intake import H, T0
    return oracle.encode(action(aid, nib, what, T0 + i * H))


def lifecycle_corpus(env):
    """A corpus, then one actor's submissions around a freeze, an unfreeze and a revoke of its
    NIB (and two actions refused: an unfreeze of an active NIB, an unknown NIB), each phase
    decided before the next. (daemon, steps, oracle): steps in decision order, ("msg", value)
    or ("nib", actor key or None (an NIB no actor holds), action)."""
    d = env.daemon()
    msgs, _ids = sample.corpus(120, 23, "lc", invalid_ratio=0.15)
    orc = oracle.Oracle(oracle.RefData.seed())
    steps = [("msg", v) for _, v in msgs]

    def sub(sid, kbli):
        return oracle.encode(oracle.submission(sid, birth=(1977, 3, 3), serial=9001,
                                               kblis=(kbli,)))

    first = sub("nib-a1", "56103")
    key = oracle.actor_key(json.loads(first))
    oracle.run_corpus(env, msgs + [(b"nib-a", first)], orc)
    steps.append(("msg", first))
    nib = env.sql("SELECT nib FROM submissions WHERE submission_id = 'nib-a1'")[0][0]
    n_actions = 0

    def act(what, status, aid_nib=None):
        steps.append(("nib", None if aid_nib else key, what))
        nonlocal n_actions
        n_actions += 1
        env.produce([(nib.encode(), nib_action("rd-na-%d" % n_actions, aid_nib or nib, what,
                                               n_actions))], nib_topic())
        harness.wait_for(lambda: env.sql("SELECT count(*) FROM nib_actions")[0][0] >= n_actions,
                         120, "%d NIB actions" % n_actions, interval=0.2)
        if status:
            orc.set_nib_status(key, status)

    def subs(*pairs):
        for sid, kbli in pairs:
            v = sub(sid, kbli)
            orc.feed(v)
            steps.append(("msg", v))
            env.produce([(b"nib-a", v)])
        env.wait_decided(n_decided(orc))

    act("freeze", "05")
    subs(("nib-a2", "47112"), ("nib-a3", "10710"))
    act("unfreeze", "01")
    act("unfreeze", None)  # refused: TRANSITION_INVALID
    act("freeze", None, aid_nib="8129999999999")  # refused: NIB_UNKNOWN
    subs(("nib-a4", "14111"), ("nib-a5", "56103"))  # a5: ACTIVITY_DUPLICATE of a1
    act("revoke", "06")
    subs(("nib-a6", "45202"))
    got = dict(env.sql("SELECT submission_id, status FROM submissions "
                       "WHERE submission_id LIKE %s", "nib-a%"))
    assert got == {"nib-a1": "issued", "nib-a2": "rejected", "nib-a3": "rejected",
                   "nib-a4": "issued", "nib-a5": "rejected", "nib-a6": "rejected"}, got
    assert "NIB_FROZEN" in str(env.sql("SELECT reasons FROM submissions "
                                       "WHERE submission_id = 'nib-a2'"))
    assert "NIB_REVOKED" in str(env.sql("SELECT reasons FROM submissions "
                                        "WHERE submission_id = 'nib-a6'"))
    assert env.sql("SELECT action, applied, coalesce(error_code, '') FROM nib_actions "
                   "ORDER BY decision_seq") == [
        ("freeze", True, ""), ("unfreeze", True, ""), ("unfreeze", False, "TRANSITION_INVALID"),
        ("freeze", False, "NIB_UNKNOWN"), ("revoke", True, "")]
    return d, steps, orc


NIB_NEXT = {("freeze", "01"): "05", ("unfreeze", "05"): "01", ("revoke", "01"): "06",
            ("revoke", "05"): "06"}


def replay_steps(steps, rd, actions=None):
    """The oracle over steps with reference data rd: {submission_id: Outcome} of the decided;
    each NIB action's outcome ("applied" or its code) appended to actions. An action on an
    actor the oracle does not hold (yet) is NIB_UNKNOWN, one the status refuses
    TRANSITION_INVALID (docs/lifecycle.md "NIB status")."""
    o = oracle.Oracle(rd)
    for s in steps:
        if s[0] == "msg":
            o.feed(s[1])
            continue
        _, key, what = s
        if key not in o.actors:
            got = "NIB_UNKNOWN"
        else:
            nxt = NIB_NEXT.get((what, o.nib_status.get(key, "01")))
            got = "applied" if nxt else "TRANSITION_INVALID"
            if nxt:
                o.set_nib_status(key, nxt)
        if actions is not None:
            actions.append(got)
    return {x.sid: x for x in o.outcomes if x.kind in ("issued", "rejected")}


def test_nib_actions_replayed_in_decision_order(env):
    d, steps, orc = lifecycle_corpus(env)
    d.stop()
    before = checksum(env)
    out = os.path.join(env.workdir, "nib.csv")
    r = redecide(env, d.conf, "--out", out)
    assert read_csv(out) == [], r.stdout
    assert last_json(r)["examined"] == n_decided(orc)
    assert last_json(r)["changed"] == 0
    assert "NIB actions: replayed 5; examined 5; 0 would be decided differently" in r.stdout
    assert last_json(redecide(env, d.conf, "--jobs", "1"))["changed"] == 0
    assert checksum(env) == before

    # a risk change: exactly the oracle's changes, with the NIB statuses set between the same
    # decisions as they were
    old = replay_steps(steps, oracle.RefData.seed())
    rd = oracle.RefData.seed()
    rd.kbli["14111"][1] = "T"
    for k in [k for k in rd.scale_risk if k[0] == "14111"]:
        del rd.scale_risk[k]
    exp = expected_changes(old, replay_steps(steps, rd))
    assert "nib-a4" in exp and not {"nib-a2", "nib-a3", "nib-a6"} & set(exp), exp
    make_risk_version(env, "risk-nib", "14111", "T")
    before = checksum(env)
    r = redecide(env, d.conf, "--refdata-version", "kbli=risk-nib", "--out", out)
    assert last_json(r)["changed"] == len(exp)
    check_against(read_csv(out), exp)
    assert "NIB actions: replayed 5; examined 5; 0 would be decided differently" in r.stdout
    assert checksum(env) == before


def test_nib_actions_follow_the_replayed_actors(env):
    """A retired KBLI rejects the actor's first submission: in the replay its NIB is created
    later, by the submission decided while it was frozen, so the freeze finds no NIB
    (NIB_UNKNOWN), the unfreeze an active one (TRANSITION_INVALID), and the submissions in
    between are issued: exactly the oracle's changes, the actions derived again."""
    d, steps, orc = lifecycle_corpus(env)
    d.stop()
    stored = []
    old = replay_steps(steps, oracle.RefData.seed(), stored)
    assert stored == [r[2] or "applied" for r in env.sql(
        "SELECT action, applied, error_code FROM nib_actions ORDER BY decision_seq")]
    rd = oracle.RefData.seed()
    del rd.kbli["56103"]
    for k in [k for k in rd.scale_risk if k[0] == "56103"]:
        del rd.scale_risk[k]
    now = []
    exp = expected_changes(old, replay_steps(steps, rd, now))
    assert now == ["NIB_UNKNOWN", "TRANSITION_INVALID", "TRANSITION_INVALID", "NIB_UNKNOWN",
                   "applied"], now
    assert {"nib-a1", "nib-a2", "nib-a3"} <= set(exp) and "nib-a6" not in exp, exp
    env.sql("INSERT INTO ref_versions (kind, version) VALUES ('kbli', 'retired')")
    env.sql("INSERT INTO ref_kbli SELECT 'retired', code, title, description, risk FROM ref_kbli "
            "WHERE version = (SELECT version FROM ref_versions WHERE kind = 'kbli' AND active) "
            "AND code <> '56103'")
    env.sql("INSERT INTO ref_kbli_risk SELECT 'retired', code, scale, risk FROM ref_kbli_risk "
            "WHERE version = (SELECT version FROM ref_versions WHERE kind = 'kbli' AND active) "
            "AND code <> '56103'")
    before = checksum(env)
    out = os.path.join(env.workdir, "retired.csv")
    r = redecide(env, d.conf, "--refdata-version", "kbli=retired", "--out", out)
    assert last_json(r)["changed"] == len(exp), r.stdout
    check_against(read_csv(out), exp)
    assert "NIB actions: replayed 5; examined 5; 2 would be decided differently" in r.stdout
    assert summary_counts(r.stdout, "NIB actions (old -> new)") == {
        "applied -> NIB_UNKNOWN": 1, "applied -> TRANSITION_INVALID": 1}
    assert checksum(env) == before
