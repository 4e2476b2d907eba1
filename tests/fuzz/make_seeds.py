#!/usr/bin/python3
"""Writes the seed corpora of the fuzz harnesses (tests/fuzz/corpus/NAME/), deterministically:
realistic submissions from tests/pylib/sample.py, the hostile corpus of tests/e2e/test_hostile.py,
every dead-letter case, the JSON-Schema-Test-Suite draft-07 cases (schema NUL instance) and
identity-number shapes for the rule parsers. Run it again after changing the generators; the
corpora are kept small (the fuzzers grow their own under build/fuzz/corpus/)."""
import glob
import hashlib
import json
import os
import random
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tests", "pylib"))
sys.path.insert(0, os.path.join(REPO, "tests", "e2e"))

import sample  # noqa: E402


def write(name, data):
    d = os.path.join(HERE, "corpus", name)
    os.makedirs(d, exist_ok=True)
    h = hashlib.sha1(data).hexdigest()[:16]
    with open(os.path.join(d, "seed-" + h), "wb") as f:
        f.write(data)


def submissions():
    gen = sample.Generator(seed=2024, invalid_ratio=0.0, prefix="seed")
    out = [sample.encode(gen.valid()) for _ in range(12)]
    out += [sample.encode(gen.invalid()) for _ in range(12)]
    return out


def hostile():
    import test_hostile  # the hostile corpus of the end-to-end test
    small = []
    for case in test_hostile.cases():
        if len(case.value) <= 64 * 1024:
            small.append(case.value)
    return small


def schema_suite():
    out = []
    for path in sorted(glob.glob("/usr/share/json-schema-test-suite/tests/draft7/*.json")):
        with open(path) as f:
            groups = json.load(f)
        for g in groups:
            schema = json.dumps(g["schema"]).encode()
            for t in g["tests"][:3]:
                out.append(schema + b"\0" + json.dumps(t["data"]).encode())
    with open(os.path.join(REPO, "schemas", "submission.v1.json"), "rb") as f:
        sub = f.read()
    for doc in submissions()[:4]:
        out.append(sub + b"\0" + doc)
    return out


def rules():
    rnd = random.Random(5)
    out = []
    niks = ["3374105203950001", "3374100000000000", "9974105203950001", "3374107113990000",
            "3374102902000001", "337410520395000", "33741052039500011", "abcd105203950001"]
    dates = ["1995-03-12", "2000-02-29", "1900-02-29", "2008-11-28", "0000-01-01", "1995-13-01",
             "2026-11-28T08:00:00+07:00", "2026-11-28T08:00:00.5Z", "2026-02-29T00:00:00Z"]
    npwps = ["012345678901234", "0123456789012345", "3374105203950001", "1123456789012345", ""]
    regions = ["33.74.10", "33.74.10.1005", "33.74", "33", "3.74.10", "33.74.10.", "33.74.10.99999"]
    for i in range(40):
        parts = [rnd.choice(niks), rnd.choice(dates), rnd.choice(["01", "02", "03", ""]),
                 rnd.choice(npwps), rnd.choice(regions), rnd.choice(["R", "MR", "MT", "T", "X"])]
        blob = b"\xff".join(p.encode() for p in parts) + b"\xff"
        blob += struct.pack(">qq", rnd.randint(-2**40, 2**40), rnd.randint(0, 2**63 - 1))
        out.append(blob)
    return out


def main():
    for name in ("gate", "submission"):
        for v in submissions() + hostile():
            write(name, v)
    for v in schema_suite():
        write("jsonschema", v)
    for v in rules():
        write("rules", v)
    rnd = random.Random(9)
    for i in range(16):
        write("chain", bytes(rnd.randrange(256) for _ in range(rnd.randint(64, 600))))


if __name__ == "__main__":
    main()
