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
