"""The lifecycle model of tests/pylib/lifecycle.py against the C module daemon/permit.c (through
`build/tests/test_permit --cli`, built by `make unit`'s rules): the tricky corpus of
tests/data/lifecycle_cases.json (every row of the status table, the refusals, stops across
weekends, holidays and year ends, out-of-order status_at, deemed approval with frozen and revoked
NIBs) must give the same result in both and the results the corpus expects; then a random corpus
must give the same result in both. No servers are needed."""
import json
import os
import random
import subprocess

import pytest

import harness
import lifecycle

CLI = os.path.join(harness.BUILD, "tests", "test_permit")
CORPUS = os.path.join(harness.REPO, "tests", "data", "lifecycle_cases.json")


@pytest.fixture(scope="module")
def c_module():
    r = subprocess.run(["make", "-s", "build/tests/test_permit"], cwd=harness.REPO,
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr

    def run(cases):
        text = "".join(json.dumps(c) + "\n" for c in cases)
        p = subprocess.run([CLI, "--cli"], input=text, capture_output=True, text=True,
                           timeout=300)
        assert p.returncode == 0, p.stderr
        out = [json.loads(line) for line in p.stdout.splitlines()]
        assert len(out) == len(cases), p.stderr
        return out
    return run


def load_corpus():
    with open(CORPUS, encoding="utf-8") as f:
        return json.load(f)


def compare(cases, c_results):
    for case, got in zip(cases, c_results):
        want = lifecycle.run_case(case)
        assert got == want, "%s:\nC      %s\nPython %s" % (case["name"], got, want)


def test_corpus_agrees_and_matches_expectations(c_module):
    cases = load_corpus()
    c_results = c_module(cases)
    compare(cases, c_results)
    for case, res in zip(cases, c_results):
        assert [lifecycle.short(r) for r in res["results"]] == case["expect"], case["name"]
        for key, want in case.get("expect_final", {}).items():
            got = res["final"][key]
            if key == "sla_due" and want is not None:
                want = lifecycle.parse_instant(want)
            assert got == want, "%s: final %s %r, wanted %r" % (case["name"], key, got, want)


def test_corpus_covers_every_code_and_status():
    cases = load_corpus()
    codes = {s["code"] for c in cases for s in c["steps"] if "code" in s}
    assert lifecycle.KNOWN | {"57", "91", "92"} <= codes
    finals = set()
    for c in cases:
        for r in lifecycle.run_case(c)["results"]:
            if r["outcome"] == "applied":
                finals.add(r["status"])
    assert finals == set(lifecycle.STATUSES)


def random_case(rng, i):
    """A random sequence for one permit: codes mostly from the table (and some unknown ones),
    status_at mostly moving forward (sometimes back), sweeps, NIB changes, random holidays."""
    start = lifecycle.parse_instant("2026-11-23T00:00:00+07:00")
    day_ms = 86400 * 1000
    holidays = sorted({(lifecycle.jakarta_date(start + rng.randrange(0, 60) * day_ms)).isoformat()
                       for _ in range(rng.randrange(0, 8))})
    decided = start + rng.randrange(0, 14 * day_ms)
    codes = sorted(lifecycle.KNOWN) + ["41", "42", "43", "44", "41", "42", "43", "44",
                                       "57", "91", "92", "00", "99"]
    t, steps = decided, []
    for _ in range(rng.randrange(1, 14)):
        r = rng.random()
        t += rng.choice((0, 1000, 3600 * 1000, day_ms // 2, day_ms, 3 * day_ms))
        if rng.random() < 0.08:
            t -= rng.choice((1, 3600 * 1000, 2 * day_ms))
        at = iso(t, rng)
        if r < 0.75:
            steps.append({"code": rng.choice(codes), "status_at": at})
        elif r < 0.92:
            steps.append({"sweep": at})
        else:
            steps.append({"nib": rng.choice(("01", "05", "06", "01"))})
    return {"name": "random %d" % i, "risk": rng.choice(("MT", "T", "MT", "R", "MR")),
            "decided_at": iso(decided, rng), "n": rng.choice((1, 2, 3, 5, 5, 5, 10)),
            "holidays": holidays, "steps": steps}


def iso(ms, rng):
    """ms as RFC 3339 with milliseconds, in UTC or Jakarta time."""
    import datetime
    tz = rng.choice((lifecycle.JAKARTA, datetime.timezone.utc))
    t = lifecycle.EPOCH + datetime.timedelta(milliseconds=ms)
    return t.astimezone(tz).isoformat(timespec="milliseconds")


def test_random_corpus_agrees(c_module):
    rng = random.Random(int(os.environ.get("OSSD_LIFECYCLE_SEED", "13")))
    cases = [random_case(rng, i) for i in range(int(os.environ.get("OSSD_LIFECYCLE_N", "3000")))]
    compare(cases, c_module(cases))
    applied = sum(r["outcome"] == "applied" for c in cases for r in lifecycle.run_case(c)["results"])
    assert applied > len(cases)  # the corpus reaches past the first step
