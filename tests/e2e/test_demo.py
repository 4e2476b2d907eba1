"""make demo (tests/demo.py) on a small sample: it exits 0 and its summary adds up, the
licence lifecycle included (status updates applied or refused, permits by status, a deemed
approval on the faked clock)."""
import os
import re
import subprocess
import sys

import pytest

import harness

DEMO = os.path.join(harness.REPO, "tests", "demo.py")

pytestmark = pytest.mark.skipif(harness.APACHE, reason="the demo runs its own mock-broker stack")


def section(out, title):
    """The rows [(label, number)] of the summary table under `title:`."""
    m = re.search(r"^%s:\n  .*\n  -[- ]*\n((?:  .*\n)*)" % re.escape(title), out, re.M)
    assert m, "no table %r in:\n%s" % (title, out)
    rows = []
    for line in m.group(1).splitlines():
        parts = line.split()
        rows.append((" ".join(parts[:-1]), int(parts[-1])))
    return rows


def test_demo_summary_adds_up():
    r = subprocess.run([sys.executable, DEMO], env=dict(os.environ, DEMO_N="400"),
                       capture_output=True, text=True, timeout=900)
    out = r.stdout
    assert r.returncode == 0, out + r.stderr
    activities = sum(n for _, n in section(out, "activities by risk"))
    by_status = dict(section(out, "permits by status"))
    # every activity of an issued submission is one permit
    assert sum(by_status.values()) == activities, (by_status, activities)
    m = re.search(r"^status updates: (\d+) sent, (\d+) applied, (\d+) refused \(dead letters\); "
                  r"deemed approvals \(code 57\): (\d+)$", out, re.M)
    assert m, out
    sent, applied, refused, deemed = map(int, m.groups())
    assert sent > 0 and sent == applied + refused
    assert refused == sum(n for _, n in section(out, "status dead letters"))
    assert {c for c, _ in section(out, "status dead letters")} >= {
        "PERMIT_UNKNOWN", "CODE_UNKNOWN", "SCHEMA_INVALID"}
    for status in ("issued", "provisional", "rejected", "approved_deemed"):
        assert by_status.get(status, 0) >= 1, (status, by_status)
    assert deemed >= 1 and by_status["approved_deemed"] == deemed
    assert by_status.get("pending_verification", 0) == 0  # the deadline passed for every one
    assert re.search(r"^a deemed approval: permit \d{13}-\d{5}-\d{6}, deadline .* "
                     r"approved_deemed", out, re.M)


# ---- ossd-loadgen --status-permits: the same mix for a load run -------------------------------

LOADGEN = os.path.join(harness.BUILD, "ossd-loadgen")


def test_loadgen_status_updates_are_applied_or_refused_as_its_manifest_says(env, tmp_path):
    import sample
    gen = sample.Generator(seed=13, invalid_ratio=0, repeat_ratio=0, prefix="lgst")
    msgs = []
    for _ in range(30):
        s = gen.valid()
        s["applicant"]["type"] = "02"
        s["applicant"].pop("npwp", None)
        s["business"]["activities"] = [{"kbli": "56290"}]  # MT: pending verification
        msgs.append((sample.key_of(s), sample.encode(s)))
    env.daemon()
    env.produce(msgs)
    env.wait_decided(30)
    rows = env.sql("SELECT permit_id FROM permits WHERE status = 'pending_verification' "
                   "ORDER BY permit_id")
    assert len(rows) == 30
    listing = tmp_path / "permits.txt"
    listing.write_text("".join(p + "\n" for (p,) in rows))
    manifest = tmp_path / "manifest.tsv"
    topic = harness.lifecycle_topics()[0]
    r = subprocess.run([LOADGEN, "--brokers", env.broker.bootstrap, "--status-permits",
                        str(listing), "--status-share", "0.8", "--status-topic", topic,
                        "--prefix", "lgst", "--seed", "5", "--manifest", str(manifest)],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    lines = [ln.split("\t") for ln in manifest.read_text().splitlines()]
    assert lines and all(k == "status" for _, _, _, k in lines)
    n = len(lines)
    assert "delivered=%d " % n in r.stdout

    def offsets():
        return env.sql("SELECT coalesce(sum(next_offset), 0) FROM consumer_offsets "
                       "WHERE topic = %s", topic)[0][0]

    harness.wait_for(lambda: offsets() >= n, 180, "every status update consumed", 0.2)
    assert offsets() == n
    applied = {s for (s,) in env.sql("SELECT status_id FROM permit_history "
                                     "WHERE status_id IS NOT NULL AND dead_letter_id IS NULL")}
    dead = dict(env.sql("SELECT d.error_code, count(*) FROM dead_letters d "
                        "WHERE d.src_topic = %s GROUP BY 1", topic))
    want_applied = {sid for _, sid, exp, _ in lines if exp == "applied"}
    want_dead = {}
    for _, _, exp, _ in lines:
        if exp.startswith("dead:"):
            want_dead[exp[5:]] = want_dead.get(exp[5:], 0) + 1
    assert applied == want_applied
    assert dead == want_dead
    assert set(want_dead) >= {"PERMIT_UNKNOWN", "CODE_UNKNOWN", "SCHEMA_INVALID"}
    codes = dict(env.sql("SELECT status, count(*) FROM permits GROUP BY 1"))
    assert codes.get("issued", 0) >= 1 and codes.get("provisional", 0) >= 1
    assert codes.get("rejected", 0) >= 1 and codes.get("pending_verification", 0) >= 1
