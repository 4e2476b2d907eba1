"""`ossctl validate`: the command line over the JSON Schema validator (lib/jsonschema).

The validator itself, the official draft-07 suite among its tests (with the one list of what is
not run, and why), is tested in C by lib/jsonschema/tests/test_jsonschema.c (`make unit`). Here,
a few cases check what the command adds: one process for many documents, one "D: valid" line per
valid document, one "D: /path: message (keyword)" line per violation, and the exit status (0 all
valid, 1 some invalid, 2 a usage error or a file that is not JSON).
"""
import json
import os
import subprocess

import harness

SCHEMA = {
    "type": "object",
    "required": ["id", "tags"],
    "properties": {
        "id": {"type": "string", "pattern": "^[0-9]{4}$"},
        "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 2},
        "n": {"type": "integer", "maximum": 10},
    },
}


def write(tmp_path, name, value):
    p = tmp_path / name
    p.write_text(value if isinstance(value, str) else json.dumps(value), encoding="utf-8")
    return str(p)


def validate(*args):
    return subprocess.run([harness.OSSCTL, "validate", *args], capture_output=True, text=True,
                          timeout=60)


def test_valid_and_invalid_documents_in_one_run(tmp_path):
    schema = write(tmp_path, "schema.json", SCHEMA)
    ok = write(tmp_path, "ok.json", {"id": "0042", "tags": ["a"], "n": 10})
    bad = write(tmp_path, "bad.json", {"id": "42", "tags": ["a", 1, "c"], "n": 10.5})
    big = write(tmp_path, "big.json", '{"id": "0001", "tags": [], "n": 123456789012345678901234}')
    r = validate("--schema", schema, ok, bad, big)
    assert r.returncode == 1, r
    # every violation, one line each, in the order the schema is applied
    assert r.stdout.splitlines() == [
        ok + ": valid",
        bad + ": /id: must match the pattern ^[0-9]{4}$ (pattern)",
        bad + ": /tags: must have at most 2 items (maxItems)",
        bad + ": /tags/1: must be of type string (type)",
        bad + ": /n: must be of type integer (type)",
        bad + ": /n: must be less than or equal to 10 (maximum)",
        # an integer beyond 64 bits is read as a number, and compared as one
        big + ": /n: must be less than or equal to 10 (maximum)",
    ]
    assert r.stderr == ""


def test_all_valid_is_exit_0(tmp_path):
    schema = write(tmp_path, "schema.json", SCHEMA)
    docs = [write(tmp_path, "d%d.json" % i, {"id": "%04d" % i, "tags": []}) for i in range(3)]
    r = validate("--schema=" + schema, *docs)
    assert r.returncode == 0, r
    assert r.stdout.splitlines() == [d + ": valid" for d in docs]


def test_boolean_schemas_at_the_root(tmp_path):
    doc = write(tmp_path, "doc.json", {"anything": 1})
    r = validate("--schema", write(tmp_path, "true.json", "true"), doc)
    assert (r.returncode, r.stdout) == (0, doc + ": valid\n"), r
    r = validate("--schema", write(tmp_path, "false.json", "false"), doc)
    assert r.returncode == 1, r
    assert r.stdout.startswith(doc + ": /: ") and r.stdout.endswith(")\n"), r


def test_usage_and_unreadable_inputs_are_exit_2(tmp_path):
    schema = write(tmp_path, "schema.json", SCHEMA)
    ok = write(tmp_path, "ok.json", {"id": "0042", "tags": []})
    r = validate(ok)
    assert r.returncode == 2 and "usage: ossctl validate" in r.stderr, r
    r = validate("--schema", schema)
    assert r.returncode == 2 and "usage: ossctl validate" in r.stderr, r
    r = validate("--schema", write(tmp_path, "broken.json", '{"type": '), ok)
    assert r.returncode == 2 and r.stdout == "", r
    r = validate("--schema", write(tmp_path, "wrong.json", {"type": 12}), ok)
    assert r.returncode == 2 and r.stdout == "", r
    # a document that is not JSON: said on stderr, the others still checked
    notjson = write(tmp_path, "notjson.json", "{,}")
    missing = os.path.join(str(tmp_path), "missing.json")
    r = validate("--schema", schema, notjson, ok, missing)
    assert r.returncode == 2, r
    assert r.stdout.splitlines() == [ok + ": valid"]
    assert notjson in r.stderr and missing in r.stderr, r


def test_submission_schema_gives_the_daemons_answer(env, tmp_path):
    """Against the submission schema, `ossctl validate` runs the daemon's gate first: a
    duplicate key and 1e-400 (which jansson alone accepts, and the schema then passes) are
    the PARSE_ERROR dead letters the daemon makes of them, not "valid"."""
    import oracle
    good = oracle.encode(oracle.submission("gate-good"))
    docs = {
        "good": (good, None),
        "dup-key": (good[:-1] + b',"channel":"online"}', "PARSE_ERROR"),
        "underflow": (good[:-1] + b',"x":1e-400}', "PARSE_ERROR"),
        "capital-underflow": (good.replace(b'"capital_idr":50000000', b'"capital_idr":1e-400'),
                              "PARSE_ERROR"),
        "no-id": (b'{"schema":"oss.submission.v1"}', "MISSING_ID"),
        "v2": (good.replace(b'oss.submission.v1', b'oss.submission.v2'), "UNSUPPORTED_SCHEMA"),
        "array": (b"[1]", "NOT_AN_OBJECT"),
    }
    assert docs["capital-underflow"][0] != good
    paths = {}
    for name, (value, _) in docs.items():
        paths[name] = str(tmp_path / (name + ".json"))
        with open(paths[name], "wb") as f:
            f.write(value)
    schema = os.path.join(harness.REPO, "schemas", "submission.v1.json")
    r = subprocess.run([harness.OSSCTL, "validate", "--schema", schema, *paths.values()],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 1, r.stdout + r.stderr
    said = {}
    for name, p in paths.items():
        lines = [ln[len(p) + 2:] for ln in r.stdout.splitlines() if ln.startswith(p + ": ")]
        assert len(lines) == 1, (name, r.stdout)
        said[name] = lines[0]
    assert said["good"] == "valid"
    for name, (_, code) in docs.items():
        if code:
            assert said[name].startswith("dead letter %s: " % code), (name, said[name])
    # the daemon, fed the same bytes, dead-letters the same ones with the same codes
    env.daemon()
    dlq = env.collector(harness.TOPICS[2])
    env.produce([(name.encode(), value) for name, (value, _) in docs.items()])
    msgs = dlq.wait(lambda m: len(m) >= len(docs) - 1, 60, "the dead letters")
    got = {m.key().decode(): dict(m.headers())["ossd.error.code"].decode() for m in msgs}
    assert got == {name: code for name, (_, code) in docs.items() if code}
    env.wait_decided(1)
