"""The licensing rules (docs/rules.md, docs/dead-letters.md) proven against a reference oracle
(tests/pylib/oracle.py): a hand-written corpus of tricky submissions at every rule's boundary,
and a seeded random corpus of a few thousand, each fed through the real daemon; every decision
event must equal the oracle's outcome exactly (type, set of reasons, scale, UMK, authority,
activities with risk/permit/status, NIB identity and nib_new), every dead letter its code, and
no event may leak a NIK or echo personal values in a reason.

Ordering: decisions depend on each other only through the business actor (NIB reuse,
ACTIVITY_DUPLICATE) and through the submission_id (duplicates), so every message of one actor
and every copy of one submission_id is produced under one Kafka key (oracle.partition_key).
"""
import json
import random
import subprocess
import time

import pytest

import harness
import oracle
from oracle import encode, make_nik, submission


class Corpus:
    """Messages with the outcome a human expects (checked against the oracle first)."""

    def __init__(self):
        self.items = []  # (key or None, value bytes, expectation)
        self.serial = 100

    def nik(self, district="33.74.01", birth=(1985, 5, 17), female=False):
        self.serial += 1
        return make_nik(district, birth[0], birth[1], birth[2], female, self.serial)

    def sub(self, sid, birth=(1985, 5, 17), female=False, home="33.74.01", **kw):
        """A valid submission of a new person (unless nik= or the arguments say otherwise)."""
        if "nik" not in kw:
            kw["nik"] = self.nik(home, birth, female)
        return submission(sid, birth=birth, female=female, home=home, **kw)

    def add(self, doc, expect, key=None):
        value = doc if isinstance(doc, bytes) else encode(doc)
        self.items.append((key, value, expect))
        return value

    def messages(self):
        return [(k if k is not None else oracle.partition_key(v), v) for k, v, _ in self.items]


def tricky_corpus():
    c = Corpus()
    add, sub = c.add, c.sub
    ISSUED = "issued"

    def nik_raw(sid, digits, expect, birth="1990-01-15", female=False, **kw):
        """digits: a whole NIK, or its first 12 digits (a fresh serial is appended)."""
        if len(digits) == 12:
            c.serial += 1
            digits += "%04d" % c.serial
        d = submission(sid, nik=digits, birth=birth, female=female, **kw)
        add(d, expect)

    # ---- NIK: dates, leap days, women's day + 40 -------------------------------------------
    nik_raw("nik-leap-2004-m", "337401290204", ISSUED, birth="2004-02-29")
    nik_raw("nik-leap-2004-f", "337401690204", ISSUED, birth="2004-02-29", female=True)
    nik_raw("nik-feb29-2003", "337401290203", {"NIK_INVALID"}, birth="2003-03-01")
    nik_raw("nik-feb29-2000", "337401290200", ISSUED, birth="2000-02-29")
    nik_raw("nik-feb29-1900s", "337401290297", {"NIK_INVALID"}, birth="1997-02-28")
    nik_raw("nik-apr31", "337401310490", {"NIK_INVALID"}, birth="1990-04-30")
    nik_raw("nik-apr31-f", "337401710490", {"NIK_INVALID"}, birth="1990-04-30",
            female=True)
    nik_raw("nik-apr30-f", "337401700490", ISSUED, birth="1990-04-30", female=True)
    nik_raw("nik-day71-f", "337401710190", ISSUED, birth="1990-01-31", female=True)
    nik_raw("nik-day41-f", "337401410190", ISSUED, birth="1990-01-01", female=True)
    nik_raw("nik-day72", "337401720190", {"NIK_INVALID"}, birth="1990-01-31", female=True)
    nik_raw("nik-day40", "337401400190", {"NIK_INVALID"}, birth="1990-01-31")
    nik_raw("nik-day32", "337401320190", {"NIK_INVALID"}, birth="1990-01-31")
    nik_raw("nik-day00", "337401000190", {"NIK_INVALID"}, birth="1990-01-01")
    nik_raw("nik-month00", "337401150090", {"NIK_INVALID"})
    nik_raw("nik-month13", "337401151390", {"NIK_INVALID"})
    nik_raw("nik-day-month-bad", "337401991390", {"NIK_INVALID"})
    nik_raw("nik-serial0000", "3374011501900000", {"NIK_INVALID"})
    nik_raw("nik-serial0000-mismatch", "3374011501900000", {"NIK_INVALID", "NIK_MISMATCH"},
            birth="1990-01-16")
    nik_raw("nik-regency00", "330001150190", {"NIK_INVALID"})
    nik_raw("nik-district00", "337400150190", {"NIK_INVALID"})
    nik_raw("nik-province99", "997401150190", {"NIK_INVALID"})
    nik_raw("nik-province00", "007401150190", {"NIK_INVALID"})
    nik_raw("nik-province20", "207401150190", {"NIK_INVALID"})
    # any known province is enough (only the province is checked against the data)
    nik_raw("nik-province96", "969901150190", ISSUED)
    nik_raw("nik-province31", "317101150190", ISSUED)
    nik_raw("nik-all-flaws", "990000000000" + "0000", {"NIK_INVALID"})

    # ---- NIK_MISMATCH and the century rule ----------------------------------------------------
    add(sub("mm-gender-f-says-m", nik=c.nik(female=True), female=False), {"NIK_MISMATCH"})
    add(sub("mm-gender-m-says-f", nik=c.nik(female=False), female=True), {"NIK_MISMATCH"})
    add(sub("mm-birth-one-day", nik=c.nik(birth=(1985, 5, 18))), {"NIK_MISMATCH"})
    add(sub("mm-birth-and-gender", nik=c.nik(birth=(1985, 5, 18), female=True)),
        {"NIK_MISMATCH"})
    add(sub("mm-birth-century", nik=c.nik(birth=(1985, 5, 17)), birth=(2085, 5, 17)),
        {"NIK_MISMATCH", "APPLICANT_UNDERAGE"})
    # YY equal to the submission year's YY -> 20YY (2026), one after -> 19YY (1927)
    add(sub("century-yy26", birth=(2026, 1, 5)), {"APPLICANT_UNDERAGE"})
    add(sub("century-yy26-as-1926", nik=c.nik(birth=(2026, 1, 5)), birth=(1926, 1, 5)),
        {"NIK_MISMATCH"})
    add(sub("century-yy27", birth=(1927, 1, 5)), ISSUED)
    add(sub("century-yy27-as-2027", nik=c.nik(birth=(1927, 1, 5)), birth=(2027, 1, 5)),
        {"NIK_MISMATCH", "APPLICANT_UNDERAGE"})
    # the submission year is the LOCAL year of submitted_at: the same instant, two years
    add(sub("century-local-2026", birth=(1927, 6, 1), submitted_at="2026-12-31T20:00:00-05:00"),
        ISSUED)
    add(sub("century-local-2027", nik=c.nik(birth=(1927, 6, 1)), birth=(1927, 6, 1),
            submitted_at="2027-01-01T08:00:00+07:00"), {"NIK_MISMATCH"})
    add(sub("century-yy00", birth=(2000, 1, 1)), ISSUED)
    add(sub("century-yy99", birth=(1999, 12, 31)), ISSUED)

    # ---- APPLICANT_UNDERAGE: the 17th birthday, local dates -----------------------------------
    add(sub("age-17-today", birth=(2009, 11, 28)), ISSUED)
    add(sub("age-17-tomorrow", birth=(2009, 11, 29)), {"APPLICANT_UNDERAGE"})
    add(sub("age-17-yesterday", birth=(2009, 11, 27)), ISSUED)
    # 2026-11-27T23:30Z is 28 Nov 06:30 in Semarang, but the local date of the value is 27 Nov
    add(sub("age-z-before-midnight", birth=(2009, 11, 28),
            submitted_at="2026-11-27T23:30:00Z"), {"APPLICANT_UNDERAGE"})
    add(sub("age-wib-after-midnight", birth=(2009, 11, 28),
            submitted_at="2026-11-28T06:30:00+07:00"), ISSUED)
    add(sub("age-wib-midnight", birth=(2009, 11, 28),
            submitted_at="2026-11-28T00:00:00+07:00"), ISSUED)
    add(sub("age-wib-last-second", birth=(2009, 11, 28),
            submitted_at="2026-11-27T23:59:59.999+07:00"), {"APPLICANT_UNDERAGE"})
    add(sub("age-negative-offset", birth=(2009, 11, 28),
            submitted_at="2026-11-28T01:00:00-12:00"), ISSUED)
    add(sub("age-lowercase-tz", birth=(2009, 11, 28), submitted_at="2026-11-28t00:00:00z"),
        ISSUED)
    # born on 29 February: 17 on 1 March of a non-leap year
    add(sub("age-feb29-on-feb28", birth=(2008, 2, 29), submitted_at="2025-02-28T12:00:00+07:00"),
        {"APPLICANT_UNDERAGE"})
    add(sub("age-feb29-on-mar01", birth=(2008, 2, 29), submitted_at="2025-03-01T12:00:00+07:00"),
        ISSUED)
    add(sub("age-feb29-z-mar01", birth=(2008, 2, 29), submitted_at="2025-02-28T17:30:00Z"),
        {"APPLICANT_UNDERAGE"})
    add(sub("age-feb28-leap-year", birth=(2011, 2, 28), submitted_at="2028-02-28T08:00:00+07:00"),
        ISSUED)
    add(sub("age-feb27-leap-year", birth=(2011, 2, 28),
            submitted_at="2028-02-27T08:00:00+07:00"), {"APPLICANT_UNDERAGE"})
    add(sub("age-born-after-submission", birth=(2026, 12, 1)), {"APPLICANT_UNDERAGE"})

    # ---- NPWP -----------------------------------------------------------------------------
    add(sub("npwp-02-15", npwp="012345678901000"), ISSUED)
    add(sub("npwp-02-16-zero", npwp="0123456789012000"), ISSUED)
    n = c.nik()
    add(sub("npwp-02-16-own-nik", nik=n, npwp=n), ISSUED)
    n = c.nik()
    add(sub("npwp-02-16-other", npwp="3374010101900001"), {"NPWP_INVALID"})
    add(sub("npwp-01-16-own-nik", nik=n, npwp=n, type_="01"), {"NPWP_INVALID"})
    add(sub("npwp-01-missing", type_="01"), {"NPWP_REQUIRED"})
    add(sub("npwp-01-16-zero", type_="01", npwp="0987654321098000"), ISSUED)
    add(sub("npwp-14", npwp="01234567890123"), {"SCHEMA_INVALID"})
    add(sub("npwp-17", npwp="01234567890123456"), {"SCHEMA_INVALID"})
    add(sub("npwp-dotted", npwp="01.234.567.8-901.000"), {"SCHEMA_INVALID"})
    add(sub("npwp-number", npwp=12345678901234), {"SCHEMA_INVALID"})

    # ---- regions --------------------------------------------------------------------------
    add(sub("region-home-unknown-district", home="33.74.17", nik=c.nik(),
            location="33.74.01"), {"REGION_UNKNOWN"})
    add(sub("region-location-unknown", location="33.74.17"), {"REGION_UNKNOWN"})
    add(sub("region-both-unknown", home="33.74.00", nik=c.nik(), location="33.74.99"),
        {"REGION_UNKNOWN"})
    add(sub("region-village-of-seeded-district", location="33.74.10.1005"), ISSUED)
    add(sub("region-home-village", home="33.74.16.9999", nik=c.nik("33.74.16")), ISSUED)
    add(sub("region-village-of-unknown-district", location="33.74.17.1001"),
        {"REGION_UNKNOWN"})
    add(sub("region-other-regency-district", location="33.01.01"), {"REGION_UNKNOWN"})
    add(sub("region-jakarta", location="31.71.01"), {"REGION_UNKNOWN"})
    add(sub("region-short", location="33.74.1"), {"SCHEMA_INVALID"})
    add(sub("region-regency-only", location="33.74"), {"SCHEMA_INVALID"})
    add(sub("region-village-3", location="33.74.01.123"), {"SCHEMA_INVALID"})
    add(sub("region-undotted", location="337401"), {"SCHEMA_INVALID"})
    add(sub("region-trailing-newline", location="33.74.01\n"), {"SCHEMA_INVALID"})

    # ---- KBLI and ACTIVITY_DUPLICATE within a submission ---------------------------------------
    add(sub("kbli-unknown", kblis=["99999"]), {"KBLI_UNKNOWN"})
    add(sub("kbli-unknown-third", kblis=["56102", "10710", "01111"]), {"KBLI_UNKNOWN"})
    add(sub("kbli-4-digits", kblis=["5610"]), {"SCHEMA_INVALID"})
    add(sub("kbli-6-digits", kblis=["561020"]), {"SCHEMA_INVALID"})
    add(sub("kbli-number", kblis=[56102]), {"SCHEMA_INVALID"})
    add(sub("kbli-twice", kblis=["56102", "56102"]), {"ACTIVITY_DUPLICATE"})
    add(sub("kbli-thrice", kblis=["56102", "10710", "56102", "56102"]),
        {"ACTIVITY_DUPLICATE"})
    add(sub("kbli-unknown-twice", kblis=["99999", "99999"]),
        {"KBLI_UNKNOWN", "ACTIVITY_DUPLICATE"})
    all26 = sorted(oracle.RefData.seed().kbli)
    add(sub("kbli-20-distinct", kblis=all26[:20]), ISSUED)
    add(sub("kbli-21", kblis=all26[:21]), {"SCHEMA_INVALID"})
    add(sub("kbli-0", kblis=[]), {"SCHEMA_INVALID"})
    d = sub("kbli-description-500")
    d["business"]["activities"][0]["description"] = "x" * 500
    add(d, ISSUED)
    d = sub("kbli-description-501")
    d["business"]["activities"][0]["description"] = "x" * 501
    add(d, {"SCHEMA_INVALID"})
    d = sub("kbli-missing")
    d["business"]["activities"] = [{"description": "no code"}]
    add(d, {"SCHEMA_INVALID"})
    d = sub("kbli-activity-string")
    d["business"]["activities"] = ["56102"]
    add(d, {"SCHEMA_INVALID"})

    # ---- scale -----------------------------------------------------------------------------
    for cap, scale in [(0, "01"), (10**9, "01"), (10**9 + 1, "02"), (5 * 10**9, "02"),
                       (5 * 10**9 + 1, "03"), (10 * 10**9, "03"), (10 * 10**9 + 1, "04"),
                       (10**15, "04")]:
        add(sub("scale-capital-%d" % cap, capital=cap), ISSUED)
    for sales in [0, 2 * 10**9, 2 * 10**9 + 1, 15 * 10**9, 15 * 10**9 + 1, 50 * 10**9,
                  50 * 10**9 + 1]:
        add(sub("scale-sales-%d" % sales, capital=None, sales=sales), ISSUED)
    add(sub("scale-capital-wins", capital=2 * 10**9, sales=1000), ISSUED)
    add(sub("scale-capital-wins-low", capital=1000, sales=60 * 10**9), ISSUED)
    add(sub("scale-capital-1e9-real", capital=1e9), ISSUED)       # 1000000000.0: an integer
    add(sub("scale-capital-1e300", capital=1e300), ISSUED)
    raw = encode(sub("scale-capital-exp", capital=0)).replace(b'"capital_idr":0',
                                                              b'"capital_idr":5e9')
    add(raw, ISSUED)
    add(sub("scale-capital-fraction", capital=1.5), {"SCHEMA_INVALID"})
    add(sub("scale-capital-negative", capital=-1), {"SCHEMA_INVALID"})
    add(sub("scale-sales-negative", capital=None, sales=-1), {"SCHEMA_INVALID"})
    add(sub("scale-capital-string", capital="1000"), {"SCHEMA_INVALID"})
    add(sub("scale-capital-bool", capital=True), {"SCHEMA_INVALID"})
    add(sub("scale-none", capital=None), {"SCHEMA_INVALID"})
    d = sub("scale-capital-null")
    d["business"]["capital_idr"] = None
    add(d, {"SCHEMA_INVALID"})
    add(sub("workers-100000", workers=100000), ISSUED)
    add(sub("workers-100001", workers=100001), {"SCHEMA_INVALID"})
    add(sub("workers-negative", workers=-1), {"SCHEMA_INVALID"})
    add(sub("workers-real", workers=3.0), ISSUED)
    add(sub("workers-string", workers="3"), {"SCHEMA_INVALID"})

    # ---- risk --------------------------------------------------------------------------------
    add(sub("risk-mixed", kblis=["56102", "10710", "56290", "47721"]), ISSUED)
    add(sub("risk-mixed-large", kblis=["47221", "11040", "10750", "96111"],
            capital=20 * 10**9), ISSUED)
    add(sub("risk-all-t", kblis=["47721", "11010", "47221", "20292"], channel="counter"), ISSUED)

    # ---- NIB reuse, in order, for one actor (all under one Kafka key) -------------------------
    p = dict(nik=c.nik(birth=(1980, 3, 3)), birth=(1980, 3, 3))
    add(sub("seqA-1", location="33.74.01", kblis=["56102"], **p), ISSUED)
    add(sub("seqA-2-other-district", location="33.74.02", kblis=["56102"], **p), ISSUED)
    add(sub("seqA-3-dup", location="33.74.01", kblis=["56102"], **p), {"ACTIVITY_DUPLICATE"})
    add(sub("seqA-4-dup-via-village", location="33.74.01.2001", kblis=["10710", "56102"], **p),
        {"ACTIVITY_DUPLICATE"})
    add(sub("seqA-5", location="33.74.01", kblis=["10710"], channel="outreach", **p), ISSUED)
    add(sub("seqA-6-rejected-and-dup", location="33.74.01", kblis=["10710", "14120"],
            nik=p["nik"], birth=(1980, 3, 4)), {"NIK_MISMATCH", "ACTIVITY_DUPLICATE"})
    add(sub("seqA-7-dup-in-sub", location="33.74.03", kblis=["14120", "14120"], **p),
        {"ACTIVITY_DUPLICATE"})
    add(sub("seqA-8", location="33.74.03", kblis=["14120"], **p), ISSUED)
    add(sub("seqA-9-schema-stops", location="33.74.01", kblis=["56102"], workers=-1, **p),
        {"SCHEMA_INVALID"})
    add(sub("seqA-10-home-elsewhere", home="33.74.05", location="33.74.02", kblis=["10710"],
            **p), ISSUED)
    add(sub("seqA-11-kbli-unknown-and-dup", location="33.74.02", kblis=["10710", "99999"],
            **p), {"KBLI_UNKNOWN", "ACTIVITY_DUPLICATE"})
    # a type 01 actor whose responsible person is A: another actor (per NPWP)
    npwp15 = "019876543210000"
    add(sub("seqB-1-type01", type_="01", npwp=npwp15, location="33.74.01", kblis=["56102"],
            **p), ISSUED)
    other = dict(nik=c.nik(birth=(1975, 7, 7), female=True), birth=(1975, 7, 7), female=True)
    add(sub("seqB-2-16-form-dup", type_="01", npwp="0" + npwp15, location="33.74.01",
            kblis=["56102"], **other), {"ACTIVITY_DUPLICATE"})
    add(sub("seqB-3-16-form", type_="01", npwp="0" + npwp15, location="33.74.01",
            kblis=["47112"], **other), ISSUED)
    add(sub("seqB-4-15-form", type_="01", npwp=npwp15, location="33.74.05", kblis=["56102"],
            **other), ISSUED)
    add(sub("seqB-5-npwp-missing", type_="01", location="33.74.06", kblis=["56102"], **other),
        {"NPWP_REQUIRED"})
    add(sub("seqB-6-underage-person-dup", type_="01", npwp=npwp15, location="33.74.05",
            kblis=["56102"], birth=(2015, 1, 1)), {"APPLICANT_UNDERAGE", "ACTIVITY_DUPLICATE"})
    # the person behind type 01 is checked too, and the actor is still the NPWP's
    add(sub("seqB-7-person-nik-invalid", type_="01", npwp=npwp15, nik="3374011501900000",
            birth=(1990, 1, 15), kblis=["10792"]), {"NIK_INVALID"})
    # the 16-digit form first, then the 15-digit one
    npwp2 = "0112233445566000"
    add(sub("seqC-1", type_="01", npwp=npwp2, kblis=["13134"]), ISSUED)
    add(sub("seqC-2", type_="01", npwp=npwp2[1:], kblis=["13134"], location="33.74.09"), ISSUED)
    add(sub("seqC-3", type_="01", npwp=npwp2[1:], kblis=["13134"], location="33.74.09.1001"),
        {"ACTIVITY_DUPLICATE"})
    # type 02 with NPWP = NIK, then without NPWP, then with an invalid one
    q = dict(nik=c.nik(birth=(1991, 9, 9), female=True), birth=(1991, 9, 9), female=True)
    add(sub("seqD-1", npwp=q["nik"], kblis=["10794"], **q), ISSUED)
    add(sub("seqD-2-no-npwp", kblis=["10792"], **q), ISSUED)
    add(sub("seqD-3-npwp-invalid-and-dup", npwp="1" * 16, kblis=["10792"], **q),
        {"NPWP_INVALID", "ACTIVITY_DUPLICATE"})
    # rejected first: no NIB is made; the next issued one gets a new NIB
    r_ = dict(nik=c.nik(birth=(1970, 12, 31)), birth=(1970, 12, 31))
    add(sub("seqE-1-rejected", kblis=["99999"], **r_), {"KBLI_UNKNOWN"})
    add(sub("seqE-2-issued", kblis=["96111"], **r_), ISSUED)
    add(sub("seqE-3-issued", kblis=["45407"], **r_), ISSUED)

    # ---- duplicates and dead letters ----------------------------------------------------------
    dup = sub("dup-same-bytes", kblis=["47761"])
    v = add(dup, ISSUED)
    add(v, "duplicate")
    add(v, "duplicate", key=b"another-partition-1")
    add(v, "duplicate", key=b"another-partition-2")
    conf = sub("dup-conflict", kblis=["95291"])
    v = add(conf, ISSUED)
    add(dict(conf, channel="counter"), "dead:DUPLICATE_CONFLICT", key=oracle.partition_key(v))
    add(encode(conf).replace(b'{"schema"', b'{ "schema"'), "dead:DUPLICATE_CONFLICT",
        key=oracle.partition_key(v))
    bad = sub("dup-conflict-of-rejected", workers="many")
    v = add(bad, {"SCHEMA_INVALID"})
    fixed = sub("dup-conflict-of-rejected")
    add(fixed, "dead:DUPLICATE_CONFLICT", key=oracle.partition_key(v))
    # a dead letter does not decide its submission_id: the good one later is decided
    later = sub("dead-then-decided")
    add(dict(later, schema="oss.submission.v2"), "dead:UNSUPPORTED_SCHEMA", key=b"dtd")
    add(later, ISSUED, key=b"dtd")
    add(sub("bad id!"), "dead:MISSING_ID")
    add(sub(""), "dead:MISSING_ID")
    add(sub("x" * 65), "dead:MISSING_ID")
    add(sub("é-accent"), "dead:MISSING_ID")
    add(sub("y" * 64), ISSUED)
    add(sub("A.b_C:d-9"), ISSUED)
    d = sub("id-number")
    d["submission_id"] = 42
    add(d, "dead:MISSING_ID")
    add(b'{"schema":"oss.submission.v1","submission_id":"dupkey","submission_id":"dupkey"}',
        "dead:PARSE_ERROR")
    add(encode(sub("nul-in-name", name="Siti\u0000Rahayu")), "dead:PARSE_ERROR")
    add(encode(sub("bigint", capital=0)).replace(b'"capital_idr":0',
                                                 b'"capital_idr":99999999999999999999'),
        "dead:PARSE_ERROR")

    # the 256 KiB limit, exactly and one byte over (an unknown field pads the value)
    for sid, size, expect in [("size-256k", 256 * 1024, ISSUED),
                              ("size-256k-plus-1", 256 * 1024 + 1, "dead:TOO_LARGE")]:
        d = sub(sid)
        d["pad"] = ""
        d["pad"] = "x" * (size - len(encode(d)))
        v = encode(d)
        assert len(v) == size
        add(v, expect)
    v = encode(sub("whitespace-around"))
    add(b" \n\t" + v + b"\r\n ", ISSUED)
    add(b"\xef\xbb\xbf" + encode(sub("utf8-bom")), "dead:PARSE_ERROR")
    add(encode(sub("lone-surrogate")).replace(b'"name":"Siti Rahayu"', b'"name":"Siti \\ud800"'),
        "dead:PARSE_ERROR")
    add(encode(sub("surrogate-pair")).replace(b'"name":"Siti Rahayu"',
                                              b'"name":"Siti \\ud83d\\ude00"'), ISSUED)
    add(encode(sub("nested-dup-key")).replace(b'"gender":"M"', b'"gender":"M","gender":"M"'),
        "dead:PARSE_ERROR")
    add(encode(sub("not-utf8")).replace(b"Siti Rahayu", b"Siti \xc0\xaf"), "dead:PARSE_ERROR")
    add(encode(sub("schema-number")).replace(b'"schema":"oss.submission.v1"', b'"schema":1'),
        "dead:UNSUPPORTED_SCHEMA")
    add(b'["oss.submission.v1"]', "dead:NOT_AN_OBJECT")
    add(sub("nik-arabic-digits", nik="\u0663\u0663\u0667\u0664" + "0115019" + "00012"),
        {"SCHEMA_INVALID"})
    add(sub("nik-fullwidth", nik="\uff13" * 16), {"SCHEMA_INVALID"})

    # ---- several reasons at once ---------------------------------------------------------------
    add(sub("many-reasons", nik="3374017101260000", female=False, birth=(2016, 1, 1),
            npwp="9" * 16, home="33.74.17", location="33.75.01",
            kblis=["99999", "56102", "56102"]),
        {"NIK_INVALID", "NIK_MISMATCH", "APPLICANT_UNDERAGE", "NPWP_INVALID", "REGION_UNKNOWN",
         "KBLI_UNKNOWN", "ACTIVITY_DUPLICATE"})
    add(sub("type01-everything", type_="01", nik="9900000000000000", birth=(1990, 1, 1),
            location="99.99.99", kblis=["00000"]),
        {"NIK_INVALID", "NPWP_REQUIRED", "REGION_UNKNOWN", "KBLI_UNKNOWN"})
    # a schema failure stops the other checks
    add(sub("schema-stops-rules", nik="9900000000000000", birth=(2020, 1, 1), workers=100001,
            kblis=["99999", "99999"]), {"SCHEMA_INVALID"})

    # ---- schema violations ---------------------------------------------------------------------
    def broken(sid, edit, expect=frozenset({"SCHEMA_INVALID"})):
        d = sub(sid)
        edit(d)
        add(d, set(expect) if expect != ISSUED else ISSUED)

    broken("sch-no-gender", lambda d: d["applicant"].pop("gender"))
    broken("sch-no-applicant", lambda d: d.pop("applicant"))
    broken("sch-no-business", lambda d: d.pop("business"))
    broken("sch-no-submitted-at", lambda d: d.pop("submitted_at"))
    broken("sch-no-channel", lambda d: d.pop("channel"))
    broken("sch-channel-web", lambda d: d.update(channel="web"))
    broken("sch-channel-number", lambda d: d.update(channel=1))
    broken("sch-applicant-array", lambda d: d.update(applicant=[]))
    broken("sch-address-string", lambda d: d["applicant"].update(address="Jl. Pemuda"))
    broken("sch-no-address-region", lambda d: d["applicant"]["address"].pop("region_code"))
    broken("sch-street-empty", lambda d: d["business"]["location"].update(street=""))
    broken("sch-no-location", lambda d: d["business"].pop("location"))
    broken("sch-activities-object", lambda d: d["business"].update(activities={"kbli": "56102"}))
    broken("sch-nik-number", lambda d: d["applicant"].update(nik=3374011505850001))
    broken("sch-nik-15", lambda d: d["applicant"].update(nik=d["applicant"]["nik"][:15]))
    broken("sch-nik-letter", lambda d: d["applicant"].update(nik="33740115058500O1"))
    broken("sch-nik-17", lambda d: d["applicant"].update(nik=d["applicant"]["nik"] + "1"))
    broken("sch-type-03", lambda d: d["applicant"].update(type="03"))
    broken("sch-type-number", lambda d: d["applicant"].update(type=2))
    broken("sch-gender-lower", lambda d: d["applicant"].update(gender="f"))
    broken("sch-name-empty", lambda d: d["applicant"].update(name=""))
    broken("sch-name-201", lambda d: d["applicant"].update(name="a" * 201))
    broken("sch-name-200-multibyte", lambda d: d["applicant"].update(name="é" * 200), ISSUED)
    broken("sch-name-200-astral", lambda d: d["applicant"].update(name="\U0001D4D0" * 200),
           ISSUED)
    broken("sch-name-201-astral", lambda d: d["applicant"].update(name="\U0001D4D0" * 201))
    broken("sch-bizname-201", lambda d: d["business"].update(name="b" * 201))
    broken("sch-phone-33", lambda d: d["applicant"].update(phone="0" * 33))
    broken("sch-phone-32", lambda d: d["applicant"].update(
        phone="+62 812-3456-7890 ext. 123456789"), ISSUED)
    broken("sch-phone-empty", lambda d: d["applicant"].update(phone=""))
    broken("sch-phone-number", lambda d: d["applicant"].update(phone=81234567890))
    for i, (email, ok) in enumerate([("siti.rahayu@contoh.id", True), ("a@b", True),
                                     ("siti@", False), ("@contoh.id", False),
                                     ("siti..r@contoh.id", False), (".siti@contoh.id", False),
                                     ("siti@con_toh.id", False), ("siti rahayu@contoh.id", False),
                                     ("siti@-contoh.id", False), ("siti@contoh..id", False),
                                     ("siti+umkm@contoh.co.id", True)]):
        broken("sch-email-%d" % i, lambda d, e=email: d["applicant"].update(email=e),
               ISSUED if ok else {"SCHEMA_INVALID"})
    broken("sch-birth-short", lambda d: d["applicant"].update(birth_date="1985-5-17"))
    broken("sch-birth-feb30", lambda d: d["applicant"].update(birth_date="1985-02-30"))
    broken("sch-birth-compact", lambda d: d["applicant"].update(birth_date="19850517"))
    broken("sch-birth-slashes", lambda d: d["applicant"].update(birth_date="17/05/1985"))
    broken("sch-birth-datetime", lambda d: d["applicant"].update(
        birth_date="1985-05-17T00:00:00Z"))
    broken("sch-at-no-offset", lambda d: d.update(submitted_at="2026-11-28T09:00:00"))
    broken("sch-at-space", lambda d: d.update(submitted_at="2026-11-28 09:00:00+07:00"))
    broken("sch-at-date-only", lambda d: d.update(submitted_at="2026-11-28"))
    broken("sch-at-offset-24", lambda d: d.update(submitted_at="2026-11-28T09:00:00+24:00"))
    broken("sch-at-hour-24", lambda d: d.update(submitted_at="2026-11-28T24:00:00+07:00"))
    broken("sch-at-feb29-2026", lambda d: d.update(submitted_at="2026-02-29T09:00:00+07:00"))
    broken("sch-at-leap-second-ok", lambda d: d.update(submitted_at="2026-12-31T23:59:60Z"),
           ISSUED)
    broken("sch-at-leap-second-wib", lambda d: d.update(
        submitted_at="2027-01-01T06:59:60+07:00"), ISSUED)
    broken("sch-at-leap-second-bad", lambda d: d.update(submitted_at="2026-11-28T12:59:60Z"))
    broken("sch-at-fraction", lambda d: d.update(submitted_at="2026-11-28T09:00:00.5+07:00"),
           ISSUED)
    broken("sch-schema-extra-fields", lambda d: (
        d.update(extra={"x": 1}, trace_id="abc"), d["applicant"].update(rt="001", rw="002"),
        d["business"]["activities"][0].update(main=True), d["business"].update(npwp_badan=1)),
        ISSUED)
    broken("sch-many", lambda d: (d["applicant"].update(nik="1", gender="X", birth_date="x"),
                                  d["business"].update(workers=-5, capital_idr=-1),
                                  d["business"]["location"].pop("street"),
                                  d.update(channel=None)))
    return c


def check_oracle_against_expectations(c):
    """The oracle agrees with what a human wrote next to each case."""
    o = oracle.Oracle()
    wrong = []
    for key, value, expect in c.items:
        out = o.feed(value)
        if isinstance(expect, str):
            got = out.kind if out.kind != "dead" else "dead:" + out.code
        else:
            got = {r[0] for r in out.reasons} if out.kind == "rejected" else out.kind
        if got != expect:
            wrong.append("%.60r: oracle says %r, the corpus expects %r" % (value, got, expect))
    assert not wrong, "\n".join(wrong)
    return o


def test_oracle_matches_the_hand_written_expectations():
    c = tricky_corpus()
    o = check_oracle_against_expectations(c)
    kinds = {}
    for out in o.outcomes:
        kinds[out.kind] = kinds.get(out.kind, 0) + 1
    print("tricky corpus: %d messages, %r" % (len(c.items), kinds))
    # every reason code of docs/rules.md occurs
    codes = {r[0] for out in o.outcomes if out.reasons for r in out.reasons}
    assert codes == set(oracle.REASON_ORDER)


def test_oracle_schema_agrees_with_ossctl_validate(tmp_path):
    """The oracle's own reading of schemas/submission.v1.json gives the same violation paths as
    `ossctl validate` (the daemon's validator) on every document of both corpora."""
    docs = []
    for _k, v, _e in tricky_corpus().items:
        _code, doc = oracle.gate(v)
        if doc is not None:
            docs.append(doc)
    for _k, v in random_corpus(1500, seed=5):
        _code, doc = oracle.gate(v)
        if doc is not None:
            docs.append(doc)
    files = []
    for i, doc in enumerate(docs):
        p = tmp_path / ("%05d.json" % i)
        p.write_bytes(encode(doc))
        files.append(str(p))
    r = subprocess.run([harness.OSSCTL, "validate", "--schema",
                        harness.REPO + "/schemas/submission.v1.json", *files],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode in (0, 1), r.stderr
    got = {f: set() for f in files}
    for line in r.stdout.splitlines():
        f, _, rest = line.partition(": ")
        if rest != "valid":
            path = rest.split(": ", 1)[0]
            got[f].add("" if path == "/" else path)
    wrong = []
    for f, doc in zip(files, docs):
        want = oracle.schema_violations(doc)
        if got[f] != want:
            wrong.append("%s: ossctl %s, oracle %s" % (doc.get("submission_id"), sorted(got[f]),
                                                       sorted(want)))
    n_invalid = sum(1 for f in files if got[f])
    print("schema: %d documents, %d invalid, %d disagreements" % (len(docs), n_invalid,
                                                                  len(wrong)))
    assert not wrong, "\n".join(wrong[:30])
    assert n_invalid > 150


def _assert_same(o, msgs, dlq, daemon=None):
    problems = oracle.compare(o, msgs, dlq) + oracle.privacy_problems(o, msgs)
    if daemon is not None:
        log = daemon.log()
        leaked = [n for n in oracle.corpus_niks(o) if n in log]
        if leaked:
            problems.append("%d full NIKs appear in the daemon's log" % len(leaked))
    assert not problems, "%d differences:\n%s" % (len(problems), "\n".join(problems[:40]))


def test_tricky_corpus_through_ossd(env):
    """Small batches, so actors and their activities come back from PostgreSQL."""
    c = tricky_corpus()
    d = env.daemon(batch_max=4, log_level="debug")
    o = oracle.Oracle()
    t0 = time.monotonic()
    msgs, dlq = oracle.run_corpus(env, c.messages(), o)
    _assert_same(o, msgs, dlq, d)
    print("tricky corpus: %d messages, %d events, %d dead letters, %.1f s"
          % (len(c.items), len(msgs), len(dlq), time.monotonic() - t0))


# ---- the generated corpus --------------------------------------------------------------------

SEED_KBLI = sorted(oracle.RefData.seed().kbli)
DISTRICTS = ["33.74.%02d" % i for i in range(1, 17)]


class RandomCorpus:
    """Seeded: new and repeat actors (type 02 and 01, NPWP forms), boundary money values,
    villages, and mutations that break one or several rules (or the schema) at a time."""

    def __init__(self, seed):
        self.r = random.Random(seed)
        self.actors = []
        self.serial = 0
        self.n = 0
        self.values = []  # for re-delivery / conflicts

    def actor(self):
        r = self.r
        if self.actors and r.random() < 0.45:
            return r.choice(self.actors)
        self.serial += 1
        female = r.random() < 0.5
        birth = (r.randint(1940, 2009), r.randint(1, 12), 0)
        birth = (birth[0], birth[1], r.randint(1, oracle._days_in_month(birth[0], birth[1])))
        home = r.choice(DISTRICTS)
        a = {"birth": birth, "female": female, "home": home,
             "nik": make_nik(home, birth[0], birth[1], birth[2], female, self.serial)}
        kind = r.random()
        if kind < 0.15:
            a["type"] = "01"
            a["npwp"] = "0%014d" % r.randint(10**12, 10**14 - 1)  # 15 digits
        else:
            a["type"] = "02"
            a["npwp"] = r.choice([None, None, None, a["nik"], "0%015d" % self.serial])
        self.actors.append(a)
        return a

    def money(self):
        r = self.r
        pick = r.random()
        if pick < 0.3:
            cap = r.choice([0, 10**9, 10**9 + 1, 5 * 10**9, 5 * 10**9 + 1, 10**10, 10**10 + 1])
            return cap, None
        if pick < 0.5:
            return None, r.choice([0, 2 * 10**9, 2 * 10**9 + 1, 15 * 10**9, 15 * 10**9 + 1,
                                   50 * 10**9, 50 * 10**9 + 1, r.randint(0, 10**11)])
        return r.randint(0, 3 * 10**9), (r.randint(0, 10**10) if r.random() < 0.2 else None)

    def next(self):
        r = self.r
        self.n += 1
        if self.values and r.random() < 0.02:
            return r.choice(self.values)  # the same bytes again
        a = self.actor()
        sid = "gen-%05d" % self.n
        cap, sales = self.money()
        hist = a.setdefault("history", [])
        k = r.choices([1, 2, 3, 4], [60, 25, 10, 5])[0]
        kblis = r.sample(SEED_KBLI, k)
        if hist and r.random() < 0.5:
            # a repeat actor at a place it used before, often asking for a KBLI it holds there
            loc, used = r.choice(hist)
            loc = loc[:8]
            if r.random() < 0.5:
                kblis = list(dict.fromkeys(kblis[:k - 1] + [r.choice(used)]))
        else:
            loc = r.choice(DISTRICTS)
        if r.random() < 0.15:
            loc += ".%04d" % r.randint(1001, 2030)
        hist.append((loc, kblis))
        npwp = a["npwp"]
        if a["type"] == "01" and r.random() < 0.5:
            npwp = "0" + npwp  # the same actor, 16-digit form
        d = submission(sid, nik=a["nik"], birth=a["birth"], female=a["female"], type_=a["type"],
                       npwp=npwp, home=a["home"], location=loc,
                       kblis=kblis, capital=cap, sales=sales,
                       submitted_at="2026-%02d-%02dT%02d:%02d:00%s" % (
                           r.randint(1, 12), r.randint(1, 28), r.randint(0, 23),
                           r.randint(0, 59), r.choice(["+07:00", "Z", "+08:00", "+09:00"])),
                       channel=r.choice(["online", "counter", "outreach"]),
                       name=r.choice(["Siti Rahayu", "Budi Santoso", "Dewi Lestari"]),
                       phone="08%010d" % r.randint(0, 10**10 - 1),
                       email=r.choice([None, "u%d@contoh.id" % self.n]))
        if r.random() < 0.35:
            for _ in range(r.choices([1, 2, 3], [70, 20, 10])[0]):
                self.mutate(d)
        v = encode(d)
        if r.random() < 0.02 and self.values:
            # a conflict: an earlier submission_id with other bytes
            old = json.loads(r.choice(self.values))
            old["channel"] = "counter" if old["channel"] != "counter" else "online"
            v = encode(old)
        self.values.append(v)
        return v

    def mutate(self, d):
        r = self.r
        a, b = d["applicant"], d["business"]
        m = r.randrange(22)
        nik = a["nik"]
        if (m in (12, 13) and not b["activities"]) or \
                (m == 21 and not oracle.fmt_date(d["submitted_at"][:10])):
            m = 20
        if m == 0:
            a["nik"] = nik[:12] + "0000"
        elif m == 1:
            a["nik"] = r.choice(["99", "00", "20", "31", "94"]) + nik[2:]
        elif m == 2:
            a["nik"] = nik[:6] + r.choice(["00", "32", "40", "72", "99", "31", "71"]) + nik[8:]
        elif m == 3:
            a["nik"] = nik[:8] + r.choice(["00", "13", "02", "04"]) + nik[10:]
        elif m == 4:
            a["gender"] = "M" if a["gender"] == "F" else "F"
        elif m == 5:
            y, mo, dd = (int(x) for x in a["birth_date"].split("-"))
            a["birth_date"] = "%04d-%02d-%02d" % (y + r.choice([-100, -1, 1, 100]), mo,
                                                  min(dd, 28))
        elif m == 6:
            a["birth_date"] = "2012-%02d-15" % r.randint(1, 12)
        elif m == 7:
            a["npwp"] = r.choice(["1" * 16, a["nik"], "0" * 16, "12345678901234"])
        elif m == 8:
            a.pop("npwp", None)
            a["type"] = "01"
        elif m == 9:
            a["type"] = "01" if a["type"] == "02" else "02"
        elif m == 10:
            a["address"]["region_code"] = r.choice(["33.74.17", "33.01.01", "99.99.99"])
        elif m == 11:
            b["location"]["region_code"] = r.choice(["33.74.17", "33.74.00.1001", "31.71.01"])
        elif m == 12:
            b["activities"][r.randrange(len(b["activities"]))]["kbli"] = r.choice(
                ["99999", "01111", "00000"])
        elif m == 13:
            b["activities"].append(dict(r.choice(b["activities"])))
        elif m == 14:
            b["workers"] = r.choice([100001, -1, "3", 2.5])
        elif m == 15:
            a["nik"] = nik[:r.choice([15, 10])]
        elif m == 16:
            d["submitted_at"] = r.choice(["2026-11-28", "2026-11-28T09:00:00", "yesterday"])
        elif m == 17:
            a["email"] = r.choice(["x@", "a..b@c.id", "no-at-sign"])
        elif m == 18:
            b["activities"] = r.choice([[], [{"kbli": k} for k in SEED_KBLI[:21]]])
        elif m == 19:
            b.pop("capital_idr", None)
            b.pop("annual_sales_idr", None)
        elif m == 20:
            d["extra_field"] = {"nested": [1, 2, 3]}
        else:
            # a 17th birthday right at the submission's local date
            day = d["submitted_at"][:10]
            y = int(day[:4]) - 17
            mo, dd = int(day[5:7]), int(day[8:10])
            shift = r.choice([0, 1])
            if dd + shift > 28:
                shift = 0
            a["birth_date"] = "%04d-%02d-%02d" % (y, mo, dd + shift)
            if isinstance(a.get("nik"), str) and len(a["nik"]) == 16:
                a["nik"] = a["nik"][:6] + "%02d%02d%02d" % (
                    dd + shift + (40 if a["gender"] == "F" else 0), mo, y % 100) + a["nik"][12:]


def random_corpus(n, seed):
    rc = RandomCorpus(seed)
    values = [rc.next() for _ in range(n)]
    # each copy of a submission_id goes where its first copy went
    first_key = {}
    out = []
    for v in values:
        k = oracle.partition_key(v)
        try:
            sid = json.loads(v)["submission_id"]
        except (ValueError, KeyError, TypeError):
            sid = None
        if isinstance(sid, str):
            k = first_key.setdefault(sid, k)
        out.append((k, v))
    return out


def test_random_corpus_through_ossd(env):
    msgs_in = random_corpus(3000, seed=20261128)
    o = oracle.Oracle()
    d = env.daemon()
    t0 = time.monotonic()
    msgs, dlq = oracle.run_corpus(env, msgs_in, o)
    elapsed = time.monotonic() - t0
    kinds = {}
    for out in o.outcomes:
        kinds[out.kind] = kinds.get(out.kind, 0) + 1
    codes = {}
    for out in o.outcomes:
        for code, _path in out.reasons or ():
            codes[code] = codes.get(code, 0) + 1
    print("random corpus: %d messages %r, reasons %r, %.1f s" % (len(msgs_in), kinds, codes,
                                                                  elapsed))
    assert kinds.get("issued", 0) > 1000 and kinds.get("rejected", 0) > 500
    assert sum(1 for out in o.outcomes if out.kind == "issued" and not out.nib_new) > 300
    assert set(codes) == set(oracle.REASON_ORDER)
    _assert_same(o, msgs, dlq, d)


@pytest.mark.parametrize("seed", [1, 2])
def test_random_corpus_oracle_is_deterministic(seed):
    """The generated corpus (and so the test) is the same on every run."""
    assert random_corpus(200, seed) == random_corpus(200, seed)


# ---- regressions: daemon bugs this corpus found (fixed) -----------------------------------------

def test_issued_event_keeps_a_schema_valid_multibyte_phone(env):
    env.daemon()
    o = oracle.Oracle()
    s = submission("phone-multibyte", phone="\u260e" * 32)
    msgs, dlq = oracle.run_corpus(env, [(b"k", encode(s))], o)
    ev = json.loads(msgs[0].value())
    assert ev["type"].endswith("issued.v1")
    assert ev["data"]["applicant"].get("phone") == "\u260e" * 32


def test_every_schema_violation_is_a_reason(env):
    env.daemon()
    o = oracle.Oracle()
    s = submission("many-violations")
    s["business"]["activities"] = [{"kbli": "1"}] * 100
    msgs, dlq = oracle.run_corpus(env, [(b"k", encode(s))], o)
    ev = json.loads(msgs[0].value())
    assert len(o.outcomes[0].reasons) == 101
    assert len(ev["data"]["reasons"]) == 101


def test_chain_order_and_per_scale_risk(env):
    """The handlers in reverse order decide the same (the risk handler computes the scale itself
    when the scale handler has not run yet), and a per-scale risk level wins over the code's
    own level for that scale only."""
    env.sql("INSERT INTO ref_kbli_risk (version, code, scale, risk) VALUES "
            "('2020', '56102', '04', 'MT'), ('2020', '10710', '03', 'T'), "
            "('2020', '47221', '01', 'MR')")
    rd = oracle.RefData.seed()
    rd.scale_risk.update({("56102", "04"): "MT", ("10710", "03"): "T", ("47221", "01"): "MR"})
    c = tricky_corpus()
    for i, cap in enumerate([10**6, 6 * 10**9, 20 * 10**9]):
        c.add(c.sub("per-scale-%d" % i, kblis=["56102", "10710", "47221"], capital=cap),
              "issued")
    c.add(c.sub("per-scale-sales", kblis=["56102"], capital=None, sales=60 * 10**9), "issued")
    check_oracle_against_expectations(c)
    d = env.daemon(handlers="risk, scale, activity, kbli, region, identity")
    o = oracle.Oracle(rd)
    msgs, dlq = oracle.run_corpus(env, c.messages(), o)
    _assert_same(o, msgs, dlq, d)
    risks = {json.loads(m.value())["data"]["submission_id"]: [
        a["risk"] for a in json.loads(m.value())["data"].get("activities", [])] for m in msgs}
    assert risks["per-scale-0"] == ["R", "MR", "MR"]
    assert risks["per-scale-1"] == ["R", "T", "T"]
    assert risks["per-scale-2"] == ["MT", "MR", "T"]
    assert risks["per-scale-sales"] == ["MT"]


def test_a_chain_without_risk_does_not_wedge_the_daemon(env):
    d = env.daemon(handlers="identity, region, kbli, activity", start=False)
    r = subprocess.run([harness.OSSD, "--config", d.conf, "--check-config"],
                       capture_output=True, text=True, timeout=30)
    if r.returncode != 0:  # refusing such a chain up front is a fix too
        assert "risk" in r.stderr, r.stderr
        return
    d.start()
    env.produce([(b"k", encode(submission("no-risk-handler")))])
    try:
        harness.wait_for(lambda: env.sql("SELECT count(*) FROM submissions")[0][0] == 1 or
                         "batch transaction failed" in d.log(), 60, "a decision or a failure")
        assert env.sql("SELECT count(*) FROM submissions")[0][0] == 1, \
            "the submission is not decided: " + d.log()[-400:]
        col = env.collector(harness.TOPICS[1])
        ev = json.loads(col.wait(lambda m: len(m) >= 1, 30, "the event")[0].value())
        if ev["type"].endswith("issued.v1"):
            assert ev["data"]["scale"] in ("01", "02", "03", "04")
            assert all(a["risk"] in ("R", "MR", "MT", "T") for a in ev["data"]["activities"])
    finally:
        d.kill()  # a wedged daemon would take its drain deadline to stop
