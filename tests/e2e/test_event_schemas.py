"""Every decision event of a mixed corpus (the tricky hand-written one and a generated one) is
valid against its published schema (schemas/events/issued.v1.json, rejected.v1.json), checked
with `build/ossctl validate --schema FILE DOC...` (one process per schema for all documents),
and its `dataschema` is that schema's `$id`."""
import json
import os
import subprocess
import tempfile

import harness
import oracle
from test_rules_corpus import random_corpus, tricky_corpus

SCHEMAS = {t: os.path.join(harness.REPO, "schemas", "events", "%s.v1.json" % t)
           for t in ("issued", "rejected")}


def validate(schema, docs, tmp, tag):
    """Writes docs to files, runs one ossctl; returns (exit status, {file: [violation lines]},
    files)."""
    files = []
    for i, d in enumerate(docs):
        p = os.path.join(tmp, "%s-%05d.json" % (tag, i))
        with open(p, "wb") as f:
            f.write(d if isinstance(d, bytes) else json.dumps(d).encode())
        files.append(p)
    r = subprocess.run([harness.OSSCTL, "validate", "--schema", schema, *files],
                       capture_output=True, text=True, timeout=120)
    out = {p: [] for p in files}
    valid = set()
    for line in r.stdout.splitlines():
        p, _, rest = line.partition(": ")
        if rest == "valid":
            valid.add(p)
        elif p in out:
            out[p].append(rest)
    assert r.returncode in (0, 1), r.stderr
    assert valid | {p for p, v in out.items() if v} == set(files), "ossctl skipped documents"
    return r.returncode, out, files


def test_every_event_matches_its_schema(env):
    c = tricky_corpus()
    msgs_in = c.messages() + random_corpus(400, seed=77)
    env.daemon()
    o = oracle.Oracle()
    events, _dlq = oracle.run_corpus(env, msgs_in, o)
    by_type = {"issued": [], "rejected": []}
    for m in events:
        ev = json.loads(m.value())
        kind = ev["type"].split(".")[-2]
        by_type[kind].append(m.value())
    ids = {}
    for kind, path in SCHEMAS.items():
        with open(path) as f:
            ids[kind] = json.load(f)["$id"]
    for kind, vals in by_type.items():
        for v in vals:
            assert json.loads(v)["dataschema"] == ids[kind]
    with tempfile.TemporaryDirectory(prefix="ossd-ev-") as tmp:
        for kind, vals in by_type.items():
            assert len(vals) > 50, kind
            rc, out, _files = validate(SCHEMAS[kind], vals, tmp, kind)
            bad = {os.path.basename(p): v for p, v in out.items() if v}
            assert rc == 0 and not bad, "%d %s events break %s: %s" % (
                len(bad), kind, SCHEMAS[kind], list(bad.items())[:5])
        print("validated %d issued and %d rejected events" % (
            len(by_type["issued"]), len(by_type["rejected"])))

        # the schemas do bite: events that break them are refused
        issued = json.loads(by_type["issued"][0])
        rejected = json.loads(by_type["rejected"][0])
        broken = []
        e = json.loads(json.dumps(issued))
        e["data"]["applicant"]["nik"] = "3374011705850001"
        broken.append(e)
        e = json.loads(json.dumps(issued))
        e["data"]["applicant"]["nik_masked"] = "33740117********"
        broken.append(e)
        e = json.loads(json.dumps(issued))
        e["dataschema"] = ids["rejected"]
        broken.append(e)
        e = json.loads(json.dumps(issued))
        e["data"]["activities"][0]["risk"] = "X"
        broken.append(e)
        rc, out, files = validate(SCHEMAS["issued"], broken, tmp, "broken-issued")
        assert rc == 1 and all(out[p] for p in files), out
        e = json.loads(json.dumps(rejected))
        e["data"]["reasons"] = []
        rc, out, files = validate(SCHEMAS["rejected"], [e], tmp, "broken-rejected")
        assert rc == 1 and all(out[p] for p in files), out
