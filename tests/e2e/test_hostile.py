"""Hostile input: every message gets the contract's answer, nothing crashes, nothing is lost.

One corpus (cases() below; tests/fuzz/make_seeds.py seeds the fuzzers from it too):
truncated JSON, invalid UTF-8 (overlongs, surrogates, lone continuation bytes, code points
beyond U+10FFFF), NUL raw and as \\u0000, 10,000-deep nesting, exactly 256 KiB and one byte
more, huge numbers and exponents, duplicate keys, every field of the schema with the wrong
type (one message per field), SQL and shell metacharacters in every string field, and
right-to-left and emoji text. The answers follow docs/submissions.md, docs/rules.md,
docs/events.md, docs/dead-letters.md and the README's choices (duplicate keys, \\u0000 and
integers beyond 64 bits are PARSE_ERROR).

Then: decisions + dead letters + duplicates = messages; one row per submission and one event
id per submission; values byte-exact where stored (dead_letters, the outbox, the payload
hash); free text carried exactly and escaped correctly in events; every table intact; no full
NIK in any event, dead-letter header or log line (debug level); the daemon still up and
stopping cleanly."""
import collections
import copy
import hashlib
import json
import re
import sys

import pytest

import harness
import sample

Case = collections.namedtuple("Case", "name key value expect")
# expect: ("dead", CODE) | ("issued",) | ("rejected", {(code, path), ...}) | ("skip",)

_gen = sample.Generator(seed=4242, invalid_ratio=0.0, repeat_ratio=0.0, prefix="hostile")

METACHARS = [
    "'; DROP TABLE submissions; --",
    "Robert'); DELETE FROM business_actors WHERE ('a'='a",
    "$(rm -rf /)",
    "`id`; echo pwned > /tmp/ossd-pwned",
    "back\\slash \\\\ \\x00 \\u0000 \\n",
    "tab\there\tand\nnew\nline\r\nCRLF",
    "\"double\" and 'single' quotes",
    "%s%n%x%p %1$s",
    "E'\\\\' || chr(0) || $$dollar$$",
    "<script>alert(1)</script>&amp;",
    "{{7*7}} ${jndi:ldap://x/a}",
    "| & ; < > ( ) * ? [ ] # ~ ! ^",
]
TEXTS = [
    "\u202eSiti Rahayu\u202c",                  # right-to-left override
    "\u0645\u062d\u0645\u062f \u0639\u0628\u062f \u0627\u0644\u0644\u0647",  # Arabic
    "\u05e9\u05dc\u05d5\u05dd \u05e2\u05dc\u05d9\u05db\u05dd",  # Hebrew
    "\U0001f469\U0001f3fd\u200d\U0001f33e Sri Lestari",  # woman farmer, skin tone, ZWJ
    "\U0001f1ee\U0001f1e9 Warung \U0001f35c",    # flag, noodles
    "Zo\u00eb e\u0301\u0301\u0301 \u4e01",         # combining marks, CJK
    "\u2028line separator\u2029",
    "\u00a0\ufeffzero\u200bwidth",
]


def fresh(**top):
    """A new valid submission (its own actor, so it is issued) as a dict."""
    d = _gen.valid()
    d.update(top)
    return d


def enc(d):
    return sample.encode(d)


def set_path(d, path, value):
    o = d
    for p in path[:-1]:
        o = o[p]
    o[path[-1]] = value
    return d


def pointer(path):
    return "/" + "/".join(str(p) for p in path)


# Every field of the schema (docs/submissions.md), with a value of the wrong type.
FIELDS = [
    (("submitted_at",), 20261128),
    (("channel",), ["online"]),
    (("applicant",), "applicant"),
    (("applicant", "type"), 2),
    (("applicant", "nik"), 3374105203950001),
    (("applicant", "name"), {"first": "Siti"}),
    (("applicant", "birth_date"), None),
    (("applicant", "gender"), True),
    (("applicant", "npwp"), 12345678901234),
    (("applicant", "phone"), 81234567890),
    (("applicant", "email"), ["a@b.id"]),
    (("applicant", "address"), ["Jl. Pemuda"]),
    (("applicant", "address", "street"), 12),
    (("applicant", "address", "region_code"), 33.7401),
    (("business",), None),
    (("business", "name"), False),
    (("business", "capital_idr"), "1000000"),
    (("business", "annual_sales_idr"), {"idr": 5}),
    (("business", "workers"), "2"),
    (("business", "location"), "Semarang"),
    (("business", "location", "region_code"), None),
    (("business", "location", "street"), []),
    (("business", "activities"), {"kbli": "56102"}),
    (("business", "activities", 0), "56102"),
    (("business", "activities", 0, "kbli"), 56102),
    (("business", "activities", 0, "description"), 1.5),
]
FREE_TEXT = [("applicant", "name"), ("applicant", "address", "street"), ("business", "name"),
             ("business", "location", "street"), ("business", "activities", 0, "description"),
             ("applicant", "phone")]
FORMATTED = [("submitted_at",), ("channel",), ("applicant", "type"), ("applicant", "nik"),
             ("applicant", "birth_date"), ("applicant", "gender"), ("applicant", "npwp"),
             ("applicant", "email"), ("applicant", "address", "region_code"),
             ("business", "location", "region_code"), ("business", "activities", 0, "kbli")]


def _deep(n, inner=b"1"):
    return b"[" * n + inner + b"]" * n


def cases():
    out = []

    def add(name, value, expect, key=None):
        out.append(Case(name, key if key is not None else ("h-" + name).encode(), value, expect))

    base = enc(fresh())
    # --- framing: truncated JSON, empty, BOM, trailing garbage
    for cut in (1, 2, len(base) // 3, len(base) // 2, len(base) - 2, len(base) - 1):
        add("truncated-%d" % cut, base[:cut], ("dead", "PARSE_ERROR"))
    add("empty", b"", ("dead", "PARSE_ERROR"))
    add("whitespace", b" \t\r\n ", ("dead", "PARSE_ERROR"))
    add("bom", b"\xef\xbb\xbf" + enc(fresh()), ("dead", "PARSE_ERROR"))
    add("trailing-garbage", enc(fresh()) + b" {}", ("dead", "PARSE_ERROR"))
    add("two-objects", enc(fresh()) + enc(fresh()), ("dead", "PARSE_ERROR"))
    add("nan", enc(fresh())[:-1] + b',"x":NaN}', ("dead", "PARSE_ERROR"))
    # --- invalid UTF-8 inside a string (the name), raw bytes
    for label, bad in [("overlong-2", b"\xc0\xaf"), ("overlong-3", b"\xe0\x80\xaf"),
                       ("overlong-4", b"\xf0\x80\x80\xaf"), ("overlong-nul", b"\xc0\x80"),
                       ("surrogate-hi", b"\xed\xa0\x80"), ("surrogate-lo", b"\xed\xbf\xbf"),
                       ("lone-cont", b"\x80"), ("lone-cont-bf", b"\xbf\xbf"),
                       ("truncated-seq", b"\xe2\x82"), ("byte-fe", b"\xfe"), ("byte-ff", b"\xff"),
                       ("beyond-10ffff", b"\xf4\x90\x80\x80"), ("latin1", b"Jos\xe9")]:
        v = enc(fresh()).replace(b'"name":"', b'"name":"' + bad, 1)
        add("utf8-" + label, v, ("dead", "PARSE_ERROR"))
    add("utf8-in-key", enc(fresh())[:-1] + b',"\xc3\x28":1}', ("dead", "PARSE_ERROR"))
    add("escaped-lone-surrogate", enc(fresh())[:-1] + b',"x":"\\ud800"}', ("dead", "PARSE_ERROR"))
    add("escaped-lone-low", enc(fresh())[:-1] + b',"x":"\\udc00x"}', ("dead", "PARSE_ERROR"))
    d = fresh()
    d["applicant"]["name"] = "Sri \U0001f600"  # a valid pair, written as escapes below
    add("escaped-valid-pair", json.dumps(d, ensure_ascii=True, separators=(",", ":")).encode(),
        ("issued",))
    # --- NUL, raw and escaped
    v = enc(fresh())
    add("nul-raw-in-string", v.replace(b'"name":"', b'"name":"\x00', 1), ("dead", "PARSE_ERROR"))
    add("nul-raw-after", v + b"\x00", ("dead", "PARSE_ERROR"))
    add("nul-raw-before", b"\x00" + enc(fresh()), ("dead", "PARSE_ERROR"))
    add("nul-escaped-name", enc(fresh()).replace(b'"name":"', b'"name":"\\u0000', 1),
        ("dead", "PARSE_ERROR"))
    add("nul-escaped-unknown", enc(fresh())[:-1] + b',"note":"a\\u0000b"}', ("dead", "PARSE_ERROR"))
    add("nul-escaped-key", enc(fresh())[:-1] + b',"a\\u0000b":1}', ("dead", "PARSE_ERROR"))
    # --- nesting
    add("deep-10000-top", _deep(10000), ("dead", "PARSE_ERROR"))
    add("deep-10000-objects", b'{"a":' * 10000 + b"1" + b"}" * 10000, ("dead", "PARSE_ERROR"))
    add("deep-10000-field", enc(fresh())[:-1] + b',"x":' + _deep(10000) + b"}",
        ("dead", "PARSE_ERROR"))
    add("deep-1000-unknown-field", enc(fresh())[:-1] + b',"x":' + _deep(1000) + b"}", ("issued",))
    d = fresh()
    add("deep-1000-in-name", enc(d).replace(
        b'"name":' + json.dumps(d["applicant"]["name"], ensure_ascii=False).encode(),
        b'"name":' + _deep(1000, b'"x"'), 1),
        ("rejected", {("SCHEMA_INVALID", "/applicant/name")}))
    # --- size: exactly 256 KiB is decided, one byte more is TOO_LARGE
    for extra, expect in ((0, ("issued",)), (1, ("dead", "TOO_LARGE"))):
        d = fresh(pad="")
        n = 256 * 1024 - len(enc(d)) + extra
        d["pad"] = "x" * n
        v = enc(d)
        assert len(v) == 256 * 1024 + extra
        add("size-%d" % len(v), v, expect)
    d = fresh(pad="")
    d["pad"] = "\U0001f600" * ((256 * 1024 - len(enc(d))) // 4)
    v = enc(d)
    v = v[:-2] + b" " * (256 * 1024 - len(v)) + v[-2:]
    assert len(v) == 256 * 1024
    add("size-262144-emoji", v, ("issued",))
    add("size-600k", b"{" + b" " * (600 * 1024) + b"}", ("dead", "TOO_LARGE"))
    # --- numbers
    for label, lit, expect in [
            ("capital-1e400", b"1e400", ("dead", "PARSE_ERROR")),
            ("capital-bigint", b"123456789012345678901234567890", ("dead", "PARSE_ERROR")),
            ("capital-2pow63", b"9223372036854775808", ("dead", "PARSE_ERROR")),
            ("capital-int64max", b"9223372036854775807", ("issued",)),
            ("capital-1e300", b"1e300", ("issued",)),
            ("capital-1e9-real", b"1e9", ("issued",)),
            ("capital-minus-zero", b"-0", ("issued",)),
            ("capital-minus-zero-real", b"-0.0", ("issued",)),
            ("capital-negative", b"-1",
             ("rejected", {("SCHEMA_INVALID", "/business/capital_idr")})),
            ("capital-int64min", b"-9223372036854775808",
             ("rejected", {("SCHEMA_INVALID", "/business/capital_idr")})),
            ("capital-fraction", b"1000.5",
             ("rejected", {("SCHEMA_INVALID", "/business/capital_idr")}))]:
        d = fresh()
        d["business"].pop("annual_sales_idr", None)
        d["business"]["capital_idr"] = 424242
        add("number-" + label, enc(d).replace(b'"capital_idr":424242', b'"capital_idr":' + lit),
            expect)
    for label, lit, expect in [
            ("workers-1.0", b"1.0", ("issued",)),
            ("workers-1e2", b"1e2", ("issued",)),
            ("workers-minus-zero", b"-0", ("issued",)),
            ("workers-100001", b"100001", ("rejected", {("SCHEMA_INVALID", "/business/workers")})),
            ("workers-1.5", b"1.5", ("rejected", {("SCHEMA_INVALID", "/business/workers")})),
            ("workers-1e400", b"1e400", ("dead", "PARSE_ERROR")),
            ("workers-hex", b"0x10", ("dead", "PARSE_ERROR")),
            ("workers-plus", b"+1", ("dead", "PARSE_ERROR")),
            ("workers-leading-zero", b"01", ("dead", "PARSE_ERROR"))]:
        d = fresh()
        d["business"]["workers"] = 424242
        add("number-" + label, enc(d).replace(b'"workers":424242', b'"workers":' + lit), expect)
    # --- duplicate keys, at the top, in a nested object, of the id itself
    v = enc(fresh())
    add("dupkey-schema", b'{"schema":"oss.submission.v1",' + v[1:], ("dead", "PARSE_ERROR"))
    d = fresh()
    add("dupkey-id", enc(d)[:-1] + b',"submission_id":' + json.dumps(d["submission_id"]).encode()
        + b"}", ("dead", "PARSE_ERROR"))
    add("dupkey-nested", enc(fresh()).replace(b'"applicant":{', b'"applicant":{"gender":"M",', 1),
        ("dead", "PARSE_ERROR"))
    add("dupkey-unknown", enc(fresh())[:-1] + b',"x":1,"x":1}', ("dead", "PARSE_ERROR"))
    # --- the gate's fields with the wrong type
    add("wrongtype-schema", enc(fresh(schema=1)), ("dead", "UNSUPPORTED_SCHEMA"))
    add("wrongtype-submission_id", enc(fresh(submission_id=123)), ("dead", "MISSING_ID"))
    add("wrongtype-top-array", b"[" + enc(fresh()) + b"]", ("dead", "NOT_AN_OBJECT"))
    add("wrongtype-top-null", b"null", ("dead", "NOT_AN_OBJECT"))
    # --- every schema field with the wrong type, one message per field
    for path, bad in FIELDS:
        d = fresh()
        if path[-1] == "description":
            d["business"]["activities"][0]["description"] = "x"
        if path[-1] == "annual_sales_idr":
            d["business"]["capital_idr"] = 1000000
        if path[-1] in ("npwp", "email", "phone"):
            d["applicant"].setdefault(path[-1], "x")
        set_path(d, path, bad)
        add("wrongtype-" + "-".join(str(p) for p in path), enc(d),
            ("rejected", {("SCHEMA_INVALID", pointer(path))}))
    # --- SQL and shell metacharacters in every string field
    for i, s in enumerate(METACHARS):
        for path in FREE_TEXT:
            d = fresh()
            if path[-1] == "phone":
                s32 = s[:32]
                set_path(d, path, s32)
            else:
                set_path(d, path, s)
            add("meta-%d-%s" % (i, "-".join(str(p) for p in path)), enc(d), ("issued",))
    for i, path in enumerate(FORMATTED):
        d = fresh()
        set_path(d, path, METACHARS[i % len(METACHARS)])
        add("meta-formatted-" + "-".join(str(p) for p in path), enc(d),
            ("rejected", {("SCHEMA_INVALID", pointer(path))}))
    d = fresh()
    d["applicant"]["email"] = "o'neil$x|y{z}~`'--@contoh.id"  # atext only: a valid mailbox
    add("meta-email-valid", enc(d), ("issued",))
    add("meta-schema", enc(fresh(schema="oss.submission.v1'; DROP TABLE submissions; --")),
        ("dead", "UNSUPPORTED_SCHEMA"))
    add("meta-submission_id", enc(fresh(submission_id="x'; DROP TABLE submissions; --")),
        ("dead", "MISSING_ID"))
    add("meta-submission_id-allowed", enc(fresh(submission_id="sql--comment:a.b_c-%d" % 1)),
        ("issued",))
    add("meta-key", enc(fresh(schema=2)), ("dead", "UNSUPPORTED_SCHEMA"),
        key=b"k\x00'; DROP TABLE dead_letters; --\xff\\")
    d = fresh()
    d["applicant"]["name"] = METACHARS[0]
    d["applicant"]["nik"] = d["applicant"]["nik"][:15]  # rejected, and still carries the name
    add("meta-rejected-name", enc(d), ("rejected", {("SCHEMA_INVALID", "/applicant/nik")}))
    # --- right-to-left and emoji text
    for i, t in enumerate(TEXTS):
        d = fresh()
        d["applicant"]["name"] = t
        d["business"]["name"] = t[::-1]
        add("text-%d" % i, enc(d), ("issued",))
    d = fresh()
    d["applicant"]["name"] = "\U0001f600" * 200
    add("text-200-emoji", enc(d), ("issued",))
    d = fresh()
    d["applicant"]["name"] = "\U0001f600" * 201
    add("text-201-emoji", enc(d), ("rejected", {("SCHEMA_INVALID", "/applicant/name")}))
    d = fresh()
    d["applicant"]["name"] = ""
    add("text-empty-name", enc(d), ("rejected", {("SCHEMA_INVALID", "/applicant/name")}))
    # --- duplicates on one key (one partition, so in order)
    d = fresh()
    v = enc(d)
    add("dup-original", v, ("issued",), key=b"dup-key")
    add("dup-same-bytes", v, ("skip",), key=b"dup-key")
    d2 = copy.deepcopy(d)
    d2["channel"] = "counter" if d["channel"] != "counter" else "online"
    add("dup-conflict", enc(d2), ("dead", "DUPLICATE_CONFLICT"), key=b"dup-key")
    return out


NIK_RE = re.compile(rb"(?<![0-9])[0-9]{16}(?![0-9])")


def niks_of(cases_):
    """Every full NIK the inputs hold (16-digit runs in nik fields and the inputs)."""
    out = set()
    for c in cases_:
        for m in re.finditer(rb'"nik":"([0-9]{16})"', c.value):
            out.add(m.group(1))
    return out


def loads_deep(value):
    """json.loads for the 1000-deep cases (Python's default recursion limit is 1000)."""
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(max(old, 20000))
    try:
        return json.loads(value)
    finally:
        sys.setrecursionlimit(old)


def sid_of(value):
    m = re.match(rb'.*?"submission_id":"([A-Za-z0-9._:-]{1,64})"', value, re.S)
    return m.group(1).decode() if m else None


def test_hostile_corpus_gets_the_contracts_answers(env):
    cs = cases()
    names = [c.name for c in cs]
    assert len(names) == len(set(names))
    n_dead = sum(1 for c in cs if c.expect[0] == "dead")
    n_skip = sum(1 for c in cs if c.expect[0] == "skip")
    decided = {sid_of(c.value): c for c in cs if c.expect[0] in ("issued", "rejected")}
    assert len(decided) == len(cs) - n_dead - n_skip, "one submission_id per decided case"

    d = env.daemon(log_level="debug", extra_ossd="outbox_retention_s = 3600")
    events = env.collector(harness.TOPICS[1])
    dlq = env.collector(harness.TOPICS[2])
    env.produce([(c.key, c.value) for c in cs])

    harness.wait_for(lambda: env.sql("SELECT (SELECT count(*) FROM submissions) + "
                                      "(SELECT count(*) FROM dead_letters)")[0][0]
                     >= len(decided) + n_dead, 180, "every message decided or dead-lettered")
    events.wait(lambda m: len({json.loads(x.value())["data"]["submission_id"] for x in m})
                >= len(decided), 120, "an event per decision")
    dlq.wait(lambda m: len(m) >= n_dead, 120, "every dead letter")
    events.poll(1.0)
    dlq.poll(0.5)

    # exact accounting
    rows = env.sql("SELECT submission_id, status, reasons, payload_sha256, event_id::text "
                   "FROM submissions")
    assert len(rows) == len(decided)
    assert {r[0] for r in rows} == set(decided)
    dead_rows = env.sql("SELECT error_code, error_message, msg_key, msg_value FROM dead_letters")
    assert len(dead_rows) == n_dead

    # each decided case: the contract's answer, the payload hash of the exact bytes
    for sid, status, reasons, sha, _ in rows:
        c = decided[sid]
        assert bytes(sha) == hashlib.sha256(c.value).digest(), c.name
        assert status == c.expect[0], "%s: %s %s" % (c.name, status, reasons)
        if c.expect[0] == "rejected":
            got = {(r["code"], r["path"]) for r in reasons}
            assert c.expect[1] <= got, "%s: %s" % (c.name, reasons)

    # each dead case: its code, its value and key byte-exact (table and topic)
    by_key = collections.defaultdict(list)
    for r in dead_rows:
        by_key[bytes(r[2]) if r[2] is not None else None].append(r)
    for c in cs:
        if c.expect[0] != "dead":
            continue
        rs = [r for r in by_key[c.key] if bytes(r[3]) == c.value]
        assert len(rs) == 1, c.name
        assert rs[0][0] == c.expect[1], "%s: %s (%s)" % (c.name, rs[0][0], rs[0][1])
    dlq_by_value = {}
    for m in dlq.messages:
        h = {k: v for k, v in m.headers()}
        dlq_by_value.setdefault((m.key(), m.value()), set()).add(h["ossd.error.code"].decode())
    for c in cs:
        if c.expect[0] == "dead":
            assert dlq_by_value.get((c.key, c.value)) == {c.expect[1]}, c.name

    # events: strict JSON (control characters escaped), valid UTF-8, one id per submission,
    # free text carried exactly, the Kafka key as the contract says
    stored = {r[0]: r for r in rows}
    ids = collections.defaultdict(set)
    for m in events.messages:
        raw = m.value()
        raw.decode("utf-8")
        ev = json.loads(raw)  # strict: a raw control character would fail
        data = ev["data"]
        sid = data["submission_id"]
        ids[sid].add(ev["id"])
        assert ev["id"] == stored[sid][4]
        src = loads_deep(decided[sid].value)
        app = src.get("applicant", {})
        if ev["type"].endswith("issued.v1"):
            assert m.key().decode() == data["nib"] == ev["partitionkey"]
            assert data["applicant"]["nik_masked"] == app["nik"][:4] + "*" * 12
        else:
            assert m.key().decode() == sid == ev["partitionkey"]
        for f in ("name", "phone", "email"):
            if f in data["applicant"]:
                assert data["applicant"][f] == app[f], (decided[sid].name, f)
        for f in ("nik", "npwp"):
            assert f not in data["applicant"]
    assert set(ids) == set(decided)
    assert all(len(v) == 1 for v in ids.values())
    # the outbox kept the exact bytes that were published
    published = {bytes(m.value()) for m in events.messages}
    kept = env.sql("SELECT msg_value FROM outbox WHERE topic = %s", harness.TOPICS[1])
    assert {bytes(r[0]) for r in kept} == published

    # no full NIK in anything ossd wrote (the DLQ value is the original, by contract)
    niks = niks_of(cs)
    assert niks
    for m in events.messages:
        assert not NIK_RE.search(m.value()), m.value()[:200]
    for m in dlq.messages:
        for k, v in m.headers():
            assert not NIK_RE.search(v), (k, v)
    for r in dead_rows:
        assert not NIK_RE.search(r[1].encode()), r[1]
    for _, _, reasons, _, _ in rows:
        assert not NIK_RE.search(json.dumps(reasons or []).encode())
    log = d.log().encode()
    assert "decided" in d.log() or "issued" in d.log()
    leaked = [n for n in niks if n in log]
    assert not leaked, "full NIKs in the log: %d" % len(leaked)

    # tables intact, the daemon up and stopping cleanly
    tables = {r[0] for r in env.sql("SELECT tablename FROM pg_tables WHERE schemaname='public'")}
    assert {"submissions", "business_actors", "activities", "outbox", "consumer_offsets",
            "dead_letters"} <= tables
    assert d.alive()
    assert d.stop() == 0


def test_number_underflow_is_not_silently_zero(env):
    d = fresh()
    d["business"].pop("annual_sales_idr", None)
    d["business"]["capital_idr"] = 424242
    v = enc(d).replace(b'"capital_idr":424242', b'"capital_idr":1e-400')
    env.daemon()
    env.produce([(b"k", v)])
    harness.wait_for(lambda: env.sql("SELECT (SELECT count(*) FROM submissions) + "
                                      "(SELECT count(*) FROM dead_letters)")[0][0] >= 1, 60,
                     "the answer")
    # 1e-400 is not 0 but a double cannot hold it: refused like 1e400, never decided as 0
    assert env.sql("SELECT count(*) FROM submissions")[0][0] == 0
    assert env.sql("SELECT error_code FROM dead_letters") == [("PARSE_ERROR",)]


def test_too_large_message_reaches_the_dlq(env):
    d = env.daemon()
    dlq = env.collector(harness.TOPICS[2])
    big = b"{" + b" " * 1040000 + b"}"
    p = harness.producer(env.broker.bootstrap, **{"message.max.bytes": 2000000})
    p.produce(harness.TOPICS[0], value=big, key=b"big")
    p.produce(harness.TOPICS[0], value=b"[1]", key=b"after")
    assert p.flush(30) == 0
    harness.wait_for(lambda: env.sql("SELECT count(*) FROM dead_letters")[0][0] == 2, 60,
                     "both dead letters recorded")
    dlq.wait(lambda m: len(m) >= 2, 30, "both dead letters on the DLQ topic")
    assert {len(m.value()) for m in dlq.messages} == {len(big), 3}
    assert d.alive()
