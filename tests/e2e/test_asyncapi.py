"""schemas/asyncapi.yaml: valid for the official AsyncAPI parser (@asyncapi/parser, pinned by
tests/asyncapi/package.json and package-lock.json, installed with `npm ci` into
~/.cache/ossd/), every example valid against its schema (build/ossctl validate), and every
topic, event type, dead-letter header and code the daemon knows described in it."""
import glob
import hashlib
import json
import os
import re
import shutil
import subprocess

import pytest
import yaml

import harness

REPO = harness.REPO
DOC = os.path.join(REPO, "schemas", "asyncapi.yaml")
NPM_DIR = os.path.join(REPO, "tests", "asyncapi")
OSSCTL = os.path.join(REPO, "build", "ossctl")


def load():
    with open(DOC) as f:
        return yaml.safe_load(f)


def parser_modules():
    """node_modules holding @asyncapi/parser, installed from the lock file once per version."""
    lock = open(os.path.join(NPM_DIR, "package-lock.json"), "rb").read()
    cache = os.path.join(os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")),
                         "ossd", "asyncapi-" + hashlib.sha256(lock).hexdigest()[:16])
    modules = os.path.join(cache, "node_modules")
    if os.path.exists(os.path.join(modules, "@asyncapi", "parser", "package.json")):
        return modules
    tmp = cache + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    for f in ("package.json", "package-lock.json"):
        shutil.copy(os.path.join(NPM_DIR, f), tmp)
    # no install scripts: the parser needs none (one dependency's is telemetry)
    r = subprocess.run(["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund"], cwd=tmp,
                       capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, "npm ci failed:\n" + r.stdout + r.stderr
    shutil.rmtree(cache, ignore_errors=True)
    os.rename(tmp, cache)
    return modules


def test_official_parser_accepts_it():
    for tool in ("node", "npm"):
        if not shutil.which(tool):
            pytest.skip("%s is missing: the AsyncAPI document is not checked by the official "
                        "parser here (install Node.js 18+ with npm)" % tool)
    r = subprocess.run(["node", os.path.join(NPM_DIR, "validate.cjs"), DOC],
                       env=dict(os.environ, OSSD_ASYNCAPI_MODULES=parser_modules()),
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "asyncapi 3.0.0: 7 channels" in r.stdout, r.stdout


def message_schemas(doc):
    """(message id, payload schema file or None, headers schema) of every message."""
    out = []
    for mid, msg in doc["components"]["messages"].items():
        ref = msg["payload"].get("$ref")
        payload = os.path.normpath(os.path.join(REPO, "schemas", ref)) if ref else None
        headers = msg.get("headers")
        if headers and "$ref" in headers:
            headers = doc["components"]["schemas"][headers["$ref"].rsplit("/", 1)[1]]
        out.append((mid, payload, headers))
    return out


def validate(schema_file, value, tmp_path, name):
    doc = tmp_path / (name + ".json")
    doc.write_text(json.dumps(value))
    r = subprocess.run([OSSCTL, "validate", "--schema", str(schema_file), str(doc)],
                       capture_output=True, text=True, timeout=60)
    return r.returncode, r.stdout + r.stderr


def test_every_example_validates_against_its_schemas(tmp_path):
    doc = load()
    checked = 0
    for mid, payload, headers in message_schemas(doc):
        examples = doc["components"]["messages"][mid].get("examples") or []
        assert len(examples) >= 1, "message %s has no example" % mid
        for i, ex in enumerate(examples):
            name = "%s-%d" % (mid, i)
            if payload:
                rc, out = validate(payload, ex["payload"], tmp_path, name + "-payload")
                assert rc == 0, "%s: the payload example does not validate: %s" % (name, out)
                checked += 1
            if headers:
                hs = tmp_path / (name + "-headers.schema.json")
                hs.write_text(json.dumps(dict(headers, **{
                    "$schema": "http://json-schema.org/draft-07/schema#"})))
                rc, out = validate(hs, ex.get("headers", {}), tmp_path, name + "-headers")
                assert rc == 0, "%s: the headers example does not validate: %s" % (name, out)
                checked += 1
    assert checked >= 6
    # the validation itself works: a broken example is refused
    issued = doc["components"]["messages"]["issued"]
    bad = dict(issued["examples"][0]["payload"], type="id.go.oss.submission.nope.v1")
    rc, _ = validate(os.path.join(REPO, "schemas", issued["payload"]["$ref"]), bad, tmp_path, "bad")
    assert rc == 1


def daemon_topics():
    """[topics] of `ossd --config-reference`: key -> default topic."""
    ref = subprocess.run([harness.OSSD, "--config-reference"], capture_output=True, text=True,
                         check=True).stdout
    section, topics = None, {}
    for line in ref.splitlines():
        m = re.match(r"^\[(.+)\]$", line)
        if m:
            section = m.group(1)
        elif section == "topics" and " = " in line and not line.startswith(";"):
            key, value = line.split(" = ", 1)
            topics[key] = value.strip()
    return topics


def test_every_topic_and_event_type_the_daemon_knows_is_described():
    doc = load()
    topics = daemon_topics()
    assert len(topics) >= 3, topics
    addresses = {ch["address"] for ch in doc["channels"].values()}
    assert addresses == set(topics.values()), (addresses, topics)
    for ch in doc["channels"].values():
        assert ch["bindings"]["kafka"]["topic"] == ch["address"]
    # the operations cover every channel, in the direction the daemon uses it
    ops = {op["channel"]["$ref"].rsplit("/", 1)[1]: op["action"]
           for op in doc["operations"].values()}
    by_address = {ch["address"]: cid for cid, ch in doc["channels"].items()}
    assert ops[by_address[topics["submissions"]]] == "receive"
    assert ops[by_address[topics["issuance"]]] == "send"
    assert ops[by_address[topics["dlq"]]] == "send"
    for key in ("license_status", "nib_actions"):
        assert ops[by_address[topics[key]]] == "receive"
        assert ops[by_address[topics[key + "_dlq"]]] == "send"

    # event types: the daemon's EVENT_TYPE_* and every schema in schemas/events/
    types = set()
    for h in ("event.h", "event_permit.h", "event_nib.h"):
        types |= set(re.findall(r'#define\s+EVENT_TYPE_\w+\s+"([^"]+)"',
                                open(os.path.join(REPO, "daemon", h)).read()))
    assert len(types) >= 4, types
    messages = doc["components"]["messages"]
    issuance = doc["channels"][by_address[topics["issuance"]]]["messages"]
    on_issuance = {messages[m["$ref"].rsplit("/", 1)[1]]["name"] for m in issuance.values()}
    assert on_issuance == types
    refs = {os.path.normpath(os.path.join(REPO, "schemas", m["payload"]["$ref"]))
            for m in messages.values() if "$ref" in m["payload"]}
    # every event schema of a type the daemon emits is a payload
    emitted = 0
    for schema in glob.glob(os.path.join(REPO, "schemas", "events", "*.json")):
        if json.load(open(schema))["properties"]["type"]["const"] in types:
            assert schema in refs, "%s is not the payload of any message" % schema
            emitted += 1
    assert emitted == len(types)
    assert os.path.join(REPO, "schemas", "submission.v1.json") in refs
    for m in messages.values():
        if m["name"] in types:
            s = json.load(open(os.path.join(REPO, "schemas", m["payload"]["$ref"])))
            assert s["properties"]["type"]["const"] == m["name"]
            for ex in m["examples"]:
                assert ex["payload"]["type"] == m["name"]


def test_dead_letter_headers_and_codes_are_the_daemons():
    doc = load()
    headers = doc["components"]["schemas"]["deadLetterHeaders"]
    src = open(os.path.join(REPO, "daemon", "store_batch.c")).read()
    body = src[src.index("json_t *store_dead_headers"):]
    body = body[:body.index("\n}\n")]
    names = set(re.findall(r'"(ossd\.[a-z_.]+)"', body))
    assert len(names) == 6, names
    assert set(headers["properties"]) == names
    assert set(headers["required"]) == names
    # the codes of docs/dead-letters.md
    table = open(os.path.join(REPO, "docs", "dead-letters.md")).read()
    codes = set(re.findall(r"^\| \d+ \| `([A-Z_]+)` \|", table, re.M))
    assert len(codes) >= 7, codes
    assert set(headers["properties"]["ossd.error.code"]["enum"]) == codes
    # the CloudEvents content type is the one the daemon sets
    ce = doc["components"]["schemas"]["cloudEventsHeaders"]["properties"]["content-type"]
    assert re.search(r'#define\s+EVENT_CONTENT_TYPE\s+"%s"' % re.escape(ce["const"]),
                     open(os.path.join(REPO, "daemon", "event.h")).read())
