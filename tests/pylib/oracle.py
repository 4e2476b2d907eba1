"""A reference oracle for ossd's decisions: an independent Python reading of docs/submissions.md,
docs/rules.md and docs/dead-letters.md (and of the choices the README documents).

It shares no code with the daemon: the JSON Schema is re-implemented here for the one schema
ossd uses (enough to know every SCHEMA_INVALID path), the rules are re-derived from the text of
docs/rules.md, and the reference data is read from the shipped seed
(schemas/sql/003_refdata_seed.sql) or from the official CSVs.

    o = Oracle(RefData.seed())
    for key, value in messages:          # in the order they are produced
        outcome = o.feed(value)          # see Outcome
    o.outcomes                           # every outcome, in order
    o.run(values)                        # the same, {submission_id: Outcome} of the decided

run_corpus(), compare() and privacy_problems() drive a corpus through the real daemon (the e2e
harness) and list every difference from the oracle.

Decisions are made in order per business actor, so a test that feeds messages through Kafka
must put every message of one actor (and every copy of one submission_id) under one key; the
oracle's `partition_key(value)` gives such a key.

Choices the first specification left open, as the README and docs/rules.md document them:
- reasons are compared as a SET of (code, path); the daemon sorts them (REASON_ORDER);
- a rejected submission whose actor is already known is also checked for ACTIVITY_DUPLICATE;
- born on 29 February: the 17th birthday counts from 1 March in a non-leap year;
- a KBLI code the reference data holds without a risk level is treated as T;
- duplicate keys, \\u0000, numbers beyond 64-bit integers and numbers a double cannot hold
  (1e400, and 1e-400: not zero, yet rounded to zero) are a PARSE_ERROR;
- type 01: the NIK is the responsible person's and is still checked; the actor is the NPWP.
"""
import collections
import hashlib
import json
import math
import os
import re

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SEED_SQL = os.path.join(REPO, "schemas", "sql", "003_refdata_seed.sql")
CALENDAR_SQL = os.path.join(REPO, "schemas", "sql", "004_refdata_calendar.sql")
MAX_BYTES = 256 * 1024
EVENT_CONTENT_TYPE = b"application/cloudevents+json; charset=UTF-8"

# The reason codes in the order of docs/rules.md's table (the daemon's sort order).
REASON_ORDER = ["SCHEMA_INVALID", "NIK_INVALID", "NIK_MISMATCH", "APPLICANT_UNDERAGE",
                "NPWP_REQUIRED", "NPWP_INVALID", "REGION_UNKNOWN", "KBLI_UNKNOWN",
                "ACTIVITY_DUPLICATE"]
# Reasons that follow from what the store holds about the NIB, not from a corpus of
# submissions alone (set_nib_status); they sort after the others.
NIB_REASONS = ["NIB_FROZEN", "NIB_REVOKED"]
SLA_DEFAULT_DAYS = 5  # the statutory deadline when no SLA row applies
NIB_REFUSED = {"05": "NIB_FROZEN", "06": "NIB_REVOKED"}
PERMIT = {"R": ("NIB", "issued"), "MR": ("SS", "issued"), "MT": ("SS", "pending_verification"),
          "T": ("IZIN", "pending_verification")}


# ---- reference data ----------------------------------------------------------------------------

def _sql_tuples(sql, table):
    """The value tuples of every `INSERT INTO <table> (...) VALUES (...), ...;` in sql."""
    out = []
    for m in re.finditer(r"INSERT INTO %s\s*\([^)]*\)\s*VALUES\s*" % re.escape(table), sql):
        i = m.end()
        while True:
            while sql[i] in " \n\t,":
                i += 1
            if sql[i] != "(":
                break
            i += 1
            row = []
            while True:
                while sql[i] in " \n\t":
                    i += 1
                if sql[i] == "'":
                    j = i + 1
                    buf = []
                    while True:
                        if sql[j] == "'" and sql[j + 1] == "'":
                            buf.append("'")
                            j += 2
                        elif sql[j] == "'":
                            break
                        else:
                            buf.append(sql[j])
                            j += 1
                    row.append("".join(buf))
                    i = j + 1
                elif sql.startswith("NULL", i):
                    row.append(None)
                    i += 4
                else:
                    raise ValueError("unexpected SQL at %d: %r" % (i, sql[i:i + 40]))
                while sql[i] in " \n\t":
                    i += 1
                if sql[i] == ",":
                    i += 1
                    continue
                if sql[i] == ")":
                    i += 1
                    break
                raise ValueError("unexpected SQL at %d: %r" % (i, sql[i:i + 40]))
            out.append(tuple(row))
    return out


class RefData:
    """Active reference data: provinces, regions (with villages per district), KBLI titles and
    risk levels (per scale where given)."""

    def __init__(self):
        self.regions = set()        # every code: NN, NN.NN, NN.NN.NN, NN.NN.NN.NNNN
        self.villages = {}          # district -> set of its village codes (only when it has any)
        self.kbli = {}              # code -> [title, risk or None]
        self.scale_risk = {}        # (code, scale) -> risk
        self.holidays = set()       # ISO dates
        self.sla = {}               # (code, scale or "") -> working days

    def add_region(self, code):
        self.regions.add(code)
        if len(code) == 13:
            self.villages.setdefault(code[:8], set()).add(code)

    @classmethod
    def seed(cls, path=SEED_SQL):
        rd = cls()
        with open(path, encoding="utf-8") as f:
            sql = f.read()
        for row in _sql_tuples(sql, "ref_kbli"):
            _version, code, title, _desc, risk = row
            rd.kbli[code] = [title, risk]
        for row in _sql_tuples(sql, "ref_kbli_risk"):
            _version, code, scale, risk = row
            rd.scale_risk[(code, scale)] = risk
        for row in _sql_tuples(sql, "ref_regions"):
            rd.add_region(row[1])
        with open(CALENDAR_SQL, encoding="utf-8") as f:
            cal = f.read()
        rd.holidays = {row[1] for row in _sql_tuples(cal, "ref_holidays")}
        rd.sla = {(row[1], row[2] or ""): int(row[3]) for row in _sql_tuples(cal, "ref_sla")}
        return rd

    def import_holidays_csv(self, path):
        """What `ossctl refdata import holidays` does: the file's dates replace the active ones."""
        import csv
        with open(path, newline="", encoding="utf-8-sig") as f:
            self.holidays = {r["date"] for r in csv.DictReader(f)}

    def import_sla_csv(self, path):
        """What `ossctl refdata import sla` does: the file's rows (kbli,scale,working_days; an
        empty scale for every scale) replace the active ones."""
        import csv
        with open(path, newline="", encoding="utf-8-sig") as f:
            self.sla = {(r["kbli"], r.get("scale") or ""): int(r["working_days"])
                        for r in csv.DictReader(f)}

    def sla_days(self, code, scale):
        """N of a permit: (code, scale), else (code, every scale), else the statutory 5."""
        return self.sla.get((code, scale), self.sla.get((code, ""), SLA_DEFAULT_DAYS))

    def import_kbli_csv(self, path):
        """What `ossctl refdata import kbli` does (schemas/seed/README.md): the file's codes and
        titles; a code the file gives no risk keeps the level it had, else none (T)."""
        import csv
        new = {}
        with open(path, newline="", encoding="utf-8-sig") as f:
            for r in csv.DictReader(f):
                old = self.kbli.get(r["code"])
                new[r["code"]] = [r["title"], r.get("risk") or (old[1] if old else None)]
        self.kbli = new

    def import_regions_csv(self, path):
        import csv
        self.regions = set()
        self.villages = {}
        with open(path, newline="", encoding="utf-8-sig") as f:
            for r in csv.DictReader(f):
                self.add_region(r["code"])

    def province_known(self, p2):
        return p2 in self.regions

    def region_known(self, code):
        """docs/rules.md: a region code whose district is not in the data is unknown; a village
        code is checked only where the data holds villages for that district."""
        district = code[:8]
        if district not in self.regions:
            return False
        if len(code) == 13 and district in self.villages:
            return code in self.villages[district]
        return True

    def kbli_title(self, code):
        k = self.kbli.get(code)
        return k[0] if k else None

    def kbli_risk(self, code, scale):
        if (code, scale) in self.scale_risk:
            return self.scale_risk[(code, scale)]
        k = self.kbli.get(code)
        if k is None:
            return None
        return k[1] or "T"


# ---- section 6: the gate -----------------------------------------------------------------------

class _ParseError(Exception):
    pass


def _no_dupes(pairs):
    d = {}
    for k, v in pairs:
        if k in d:
            raise _ParseError("duplicate key")
        d[k] = v
    return d


def _parse_int(s):
    v = int(s)
    if not -2 ** 63 <= v < 2 ** 63:
        raise _ParseError("integer beyond 64 bits")
    return v


def _parse_float(s):
    v = float(s)
    if math.isinf(v):
        raise _ParseError("real overflow")
    if v == 0.0 and any(c in "123456789" for c in s.lower().split("e")[0]):
        raise _ParseError("real underflow")
    return v


def _parse_constant(s):
    raise _ParseError("not JSON: " + s)


def _check_strings(v):
    if isinstance(v, str):
        if "\x00" in v or any(0xD800 <= ord(c) <= 0xDFFF for c in v):
            raise _ParseError("NUL or lone surrogate")
    elif isinstance(v, dict):
        for k, x in v.items():
            _check_strings(k)
            _check_strings(x)
    elif isinstance(v, list):
        for x in v:
            _check_strings(x)


def parse(value):
    """The document of a message value as the daemon reads it, or raises _ParseError."""
    try:
        text = value.decode("utf-8")
        doc = json.loads(text, object_pairs_hook=_no_dupes, parse_int=_parse_int,
                         parse_float=_parse_float, parse_constant=_parse_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as e:
        raise _ParseError(str(e))
    _check_strings(doc)
    return doc


ID_RE = re.compile(r"[A-Za-z0-9._:-]{1,64}")


def gate(value):
    """(dead-letter code or None, doc or None), in the order of docs/dead-letters.md."""
    if len(value) > MAX_BYTES:
        return "TOO_LARGE", None
    if not value:
        return "PARSE_ERROR", None
    try:
        doc = parse(value)
    except _ParseError:
        return "PARSE_ERROR", None
    if not isinstance(doc, dict):
        return "NOT_AN_OBJECT", None
    sid = doc.get("submission_id")
    if not isinstance(sid, str) or not ID_RE.fullmatch(sid):
        return "MISSING_ID", None
    if doc.get("schema") != "oss.submission.v1":
        return "UNSUPPORTED_SCHEMA", None
    return None, doc


# ---- section 3: the submission schema -----------------------------------------------------------

def _is_int(v):
    if isinstance(v, bool):
        return False
    if isinstance(v, int):
        return True
    return isinstance(v, float) and v.is_integer()


def _is_num(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _days_in_month(y, m):
    if m == 2:
        return 29 if (y % 4 == 0 and y % 100 != 0) or y % 400 == 0 else 28
    return [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1]


def valid_date(y, m, d):
    return 1 <= m <= 12 and 1 <= d <= _days_in_month(y, m)


_DATE_RE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_TIME_RE = re.compile(r"([0-9]{2}):([0-9]{2}):([0-9]{2})(\.[0-9]+)?"
                      r"(?:([Zz])|([+-])([0-9]{2}):([0-9]{2}))")


def fmt_date(s):
    m = _DATE_RE.fullmatch(s)
    return bool(m) and valid_date(int(m[1]), int(m[2]), int(m[3]))


def fmt_date_time(s):
    """RFC 3339 date-time with an offset (T or t, Z or z); :60 only at 23:59 UTC."""
    if len(s) < 20 or s[10] not in "Tt" or not fmt_date(s[:10]):
        return False
    m = _TIME_RE.fullmatch(s[11:])
    if not m:
        return False
    hh, mm, ss = int(m[1]), int(m[2]), int(m[3])
    if hh > 23 or mm > 59 or ss > 60:
        return False
    off = 0
    if m[6]:
        oh, om = int(m[7]), int(m[8])
        if oh > 23 or om > 59:
            return False
        off = (oh * 60 + om) * (1 if m[6] == "+" else -1)
    if ss == 60 and (hh * 60 + mm - off) % 1440 != 23 * 60 + 59:
        return False
    return True


_ATEXT = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+")
_LABEL = re.compile(r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?")


def fmt_email(s):
    """RFC 5321 mailbox, the dot-atom form (the only one the corpora use) and host names."""
    local, at, domain = s.rpartition("@")
    if not at or not local or len(local.encode()) > 64:
        return False
    if not all(_ATEXT.fullmatch(p) for p in local.split(".")):
        return False
    if not domain or len(domain) > 253:
        return False
    return all(_LABEL.fullmatch(lb) for lb in domain.split("."))


class _V:
    """Collects the JSON Pointers of violations: paths (a set) and counts (one per keyword
    broken: each violation is its own reason, even two at one path)."""

    def __init__(self):
        self.paths = set()
        self.counts = collections.Counter()

    def bad(self, path):
        self.paths.add(path)
        self.counts[path] += 1

    def string(self, v, path, min_len=None, max_len=None, pattern=None, fmt=None, enum=None):
        if enum is not None and v not in enum:
            self.bad(path)
        if not isinstance(v, str):
            self.bad(path)
            return
        if min_len is not None and len(v) < min_len:
            self.bad(path)
        if max_len is not None and len(v) > max_len:
            self.bad(path)
        if pattern is not None and not re.fullmatch(pattern, v):
            self.bad(path)
        if fmt is not None and not fmt(v):
            self.bad(path)

    def integer(self, v, path, minimum=None, maximum=None):
        if not _is_int(v):
            self.bad(path)
        if _is_num(v):
            if minimum is not None and v < minimum:
                self.bad(path)
            if maximum is not None and v > maximum:
                self.bad(path)

    def obj(self, v, path, required):
        if not isinstance(v, dict):
            self.bad(path)
            return False
        for k in required:
            if k not in v:
                self.bad(path + "/" + k)
        return True


REGION_PATTERN = r"[0-9]{2}\.[0-9]{2}\.[0-9]{2}(\.[0-9]{4})?"


def schema_violations(doc):
    """The set of JSON Pointers where doc breaks schemas/submission.v1.json (docs/submissions.md).
    Empty when valid."""
    return _schema_check(doc).paths


def schema_violation_counts(doc):
    """{JSON Pointer: number of violations there} for doc (one SCHEMA_INVALID reason each)."""
    return _schema_check(doc).counts


def _schema_check(doc):
    v = _V()
    if not v.obj(doc, "", ["schema", "submission_id", "submitted_at", "channel", "applicant",
                           "business"]):
        return v
    if "schema" in doc:
        v.string(doc["schema"], "/schema", enum=["oss.submission.v1"])
    if "submission_id" in doc:
        v.string(doc["submission_id"], "/submission_id", pattern=r"[A-Za-z0-9._:-]{1,64}")
    if "submitted_at" in doc:
        v.string(doc["submitted_at"], "/submitted_at", fmt=fmt_date_time)
    if "channel" in doc:
        v.string(doc["channel"], "/channel", enum=["online", "counter", "outreach"])
    a = doc.get("applicant")
    if "applicant" in doc and v.obj(a, "/applicant",
                                    ["type", "nik", "name", "birth_date", "gender", "address"]):
        p = "/applicant/"
        if "type" in a:
            v.string(a["type"], p + "type", enum=["01", "02"])
        if "nik" in a:
            v.string(a["nik"], p + "nik", pattern=r"[0-9]{16}")
        if "name" in a:
            v.string(a["name"], p + "name", min_len=1, max_len=200)
        if "birth_date" in a:
            v.string(a["birth_date"], p + "birth_date", pattern=r"[0-9]{4}-[0-9]{2}-[0-9]{2}",
                     fmt=fmt_date)
        if "gender" in a:
            v.string(a["gender"], p + "gender", enum=["F", "M"])
        if "npwp" in a:
            v.string(a["npwp"], p + "npwp", pattern=r"[0-9]{15}|[0-9]{16}")
        if "phone" in a:
            v.string(a["phone"], p + "phone", min_len=1, max_len=32)
        if "email" in a:
            v.string(a["email"], p + "email", fmt=fmt_email)
        ad = a.get("address")
        if "address" in a and v.obj(ad, p + "address", ["street", "region_code"]):
            if "street" in ad:
                v.string(ad["street"], p + "address/street", min_len=1)
            if "region_code" in ad:
                v.string(ad["region_code"], p + "address/region_code", pattern=REGION_PATTERN)
    b = doc.get("business")
    if "business" in doc and v.obj(b, "/business", ["name", "workers", "location",
                                                   "activities"]):
        p = "/business/"
        if "capital_idr" not in b and "annual_sales_idr" not in b:
            v.bad("/business")  # anyOf: one of the two money fields is required
        if "name" in b:
            v.string(b["name"], p + "name", min_len=1, max_len=200)
        if "capital_idr" in b:
            v.integer(b["capital_idr"], p + "capital_idr", minimum=0)
        if "annual_sales_idr" in b:
            v.integer(b["annual_sales_idr"], p + "annual_sales_idr", minimum=0)
        if "workers" in b:
            v.integer(b["workers"], p + "workers", minimum=0, maximum=100000)
        loc = b.get("location")
        if "location" in b and v.obj(loc, p + "location", ["region_code", "street"]):
            if "region_code" in loc:
                v.string(loc["region_code"], p + "location/region_code", pattern=REGION_PATTERN)
            if "street" in loc:
                v.string(loc["street"], p + "location/street", min_len=1)
        acts = b.get("activities")
        if "activities" in b:
            if not isinstance(acts, list):
                v.bad(p + "activities")
            else:
                if not 1 <= len(acts) <= 20:
                    v.bad(p + "activities")
                for i, act in enumerate(acts):
                    ap = "%sactivities/%d" % (p, i)
                    if v.obj(act, ap, ["kbli"]):
                        if "kbli" in act:
                            v.string(act["kbli"], ap + "/kbli", pattern=r"[0-9]{5}")
                        if "description" in act:
                            v.string(act["description"], ap + "/description", max_len=500)
    return v


# ---- section 4: the rules ------------------------------------------------------------------------

def nik_decode(nik, submitted_year, rd):
    """(flaws, (y, m, d) or None, gender or None) for a 16-digit NIK."""
    flaws = []
    if not rd.province_known(nik[:2]):
        flaws.append("province")
    if nik[2:4] == "00":
        flaws.append("regency")
    if nik[4:6] == "00":
        flaws.append("district")
    if nik[12:] == "0000":
        flaws.append("serial")
    day_f, month, yy = int(nik[6:8]), int(nik[8:10]), int(nik[10:12])
    day_ok = 1 <= day_f <= 31 or 41 <= day_f <= 71
    if not day_ok:
        flaws.append("day")
    if not 1 <= month <= 12:
        flaws.append("month")
    if not day_ok or not 1 <= month <= 12:
        return flaws, None, None
    year = 2000 + yy if 2000 + yy <= submitted_year else 1900 + yy
    day = day_f - 40 if day_f > 40 else day_f
    if not valid_date(year, month, day):
        flaws.append("date")
        return flaws, None, None
    return flaws, (year, month, day), "F" if day_f > 40 else "M"


def age_years(birth, on):
    """Full years; (month, day) comparison, so 29 Feb turns a year older on 1 March."""
    age = on[0] - birth[0]
    if (on[1], on[2]) < (birth[1], birth[2]):
        age -= 1
    return age


def actor_key(doc):
    """One NIB per business actor: type 02 by NIK, type 01 by NPWP (15 digits == "0" + them).
    None when there is no actor (schema-invalid, type 01 without a usable NPWP)."""
    a = doc.get("applicant") if isinstance(doc, dict) else None
    if not isinstance(a, dict):
        return None
    nik, npwp = a.get("nik"), a.get("npwp")
    if a.get("type") == "02" and isinstance(nik, str) and re.fullmatch(r"[0-9]{16}", nik):
        return "nik:" + nik
    if a.get("type") == "01" and isinstance(npwp, str):
        if re.fullmatch(r"[0-9]{15}", npwp):
            return "npwp:0" + npwp
        if re.fullmatch(r"[0-9]{16}", npwp):
            return "npwp:" + npwp
    return None


def rule_reasons(doc, rd):
    """The (code, path) reasons of docs/rules.md for a schema-valid submission, before the
    actor-level ACTIVITY_DUPLICATE check."""
    r = set()
    a, b = doc["applicant"], doc["business"]
    local = tuple(int(x) for x in doc["submitted_at"][:10].split("-"))
    nik = a["nik"]
    flaws, nik_date, nik_gender = nik_decode(nik, local[0], rd)
    if flaws:
        r.add(("NIK_INVALID", "/applicant/nik"))
    if nik_date is not None:
        if a["birth_date"] != "%04d-%02d-%02d" % nik_date:
            r.add(("NIK_MISMATCH", "/applicant/birth_date"))
        if a["gender"] != nik_gender:
            r.add(("NIK_MISMATCH", "/applicant/gender"))
    birth = tuple(int(x) for x in a["birth_date"].split("-"))
    if age_years(birth, local) < 17:
        r.add(("APPLICANT_UNDERAGE", "/applicant/birth_date"))
    npwp = a.get("npwp")
    if npwp is None:
        if a["type"] == "01":
            r.add(("NPWP_REQUIRED", "/applicant/npwp"))
    elif len(npwp) == 16 and not npwp.startswith("0") and not (a["type"] == "02" and npwp == nik):
        r.add(("NPWP_INVALID", "/applicant/npwp"))
    if not rd.region_known(a["address"]["region_code"]):
        r.add(("REGION_UNKNOWN", "/applicant/address/region_code"))
    if not rd.region_known(b["location"]["region_code"]):
        r.add(("REGION_UNKNOWN", "/business/location/region_code"))
    seen = set()
    for i, act in enumerate(b["activities"]):
        k = act["kbli"]
        if rd.kbli_title(k) is None:
            r.add(("KBLI_UNKNOWN", "/business/activities/%d/kbli" % i))
        if k in seen:
            r.add(("ACTIVITY_DUPLICATE", "/business/activities/%d/kbli" % i))
        seen.add(k)
    return r


def scale_of(b):
    if "capital_idr" in b:
        c, limits = b["capital_idr"], (1e9, 5e9, 10e9)
    else:
        c, limits = b["annual_sales_idr"], (2e9, 15e9, 50e9)
    for code, limit in zip(("01", "02", "03"), limits):
        if c <= limit:
            return code
    return "04"


# ---- outcomes and the stateful oracle ------------------------------------------------------------

class Outcome:
    """kind: "issued", "rejected", "dead" (a dead letter; code), "duplicate" (no effect).
    issued: actor (the NIB's identity), nib_new, scale, umk, authority, channel, activities
    [(kbli, title, risk, permit, status)]; rejected: reasons, a set of (code, path)."""

    def __init__(self, kind, sid=None, **kw):
        self.kind = kind
        self.sid = sid
        self.code = None
        self.reasons = None
        self.actor = None
        self.__dict__.update(kw)

    def __repr__(self):
        return "Outcome(%s)" % ", ".join("%s=%r" % kv for kv in sorted(self.__dict__.items())
                                         if kv[1] is not None and kv[0] not in ("doc", "value"))


class Oracle:
    def __init__(self, refdata=None):
        self.rd = refdata or RefData.seed()
        self.decided = {}   # submission_id -> sha256 of the decided bytes
        self.actors = {}    # actor key -> set of (district, kbli) it holds
        self.nib_status = {}  # actor key -> "05" / "06" (business_actors.nib_status), else 01
        self.outcomes = []  # every Outcome, in feeding order

    def run(self, values):
        """Feeds values in order; returns {submission_id: Outcome} of the decided ones."""
        return {o.sid: o for o in (self.feed(v) for v in values)
                if o.kind in ("issued", "rejected")}

    def set_nib_status(self, key, status):
        """The NIB of the actor key (which must hold one) frozen ("05"), revoked ("06") or
        active again ("01"), as the NIB actions topic or an operator sets it."""
        assert key in self.actors, key
        self.nib_status[key] = status

    def feed(self, value):
        out = self._decide(value)
        out.value = value
        self.outcomes.append(out)
        return out

    def _decide(self, value):
        code, doc = gate(value)
        if code:
            return Outcome("dead", code=code)
        sid = doc["submission_id"]
        sha = hashlib.sha256(value).digest()
        if sid in self.decided:
            if self.decided[sid] == sha:
                return Outcome("duplicate", sid)
            return Outcome("dead", sid, code="DUPLICATE_CONFLICT")
        self.decided[sid] = sha
        counts = schema_violation_counts(doc)
        if counts:
            return Outcome("rejected", sid, reasons={("SCHEMA_INVALID", p) for p in counts},
                           reason_counts=collections.Counter(
                               {("SCHEMA_INVALID", p): n for p, n in counts.items()}),
                           doc=doc)
        reasons = rule_reasons(doc, self.rd)
        b = doc["business"]
        district = b["location"]["region_code"][:8]
        key = actor_key(doc)
        held = self.actors.get(key)
        if held is not None:
            for i, act in enumerate(b["activities"]):
                if (district, act["kbli"]) in held:
                    reasons.add(("ACTIVITY_DUPLICATE", "/business/activities/%d/kbli" % i))
            refused = NIB_REFUSED.get(self.nib_status.get(key))
            if refused:
                reasons.add((refused, "/applicant"))
        if reasons:
            return Outcome("rejected", sid, reasons=reasons, doc=doc)
        new = held is None
        if new:
            held = self.actors[key] = set()
        scale = scale_of(b)
        acts = []
        sla_days = []
        for act in b["activities"]:
            risk = self.rd.kbli_risk(act["kbli"], scale)
            acts.append((act["kbli"], self.rd.kbli_title(act["kbli"]), risk) + PERMIT[risk])
            sla_days.append(self.rd.sla_days(act["kbli"], scale))
            held.add((district, act["kbli"]))
        return Outcome("issued", sid, actor=key, nib_new=new, scale=scale,
                       umk=scale in ("01", "02"), authority=b["location"]["region_code"][:5],
                       channel=doc["channel"], activities=acts, district=district,
                       sla_days=sla_days, holidays=frozenset(self.rd.holidays), doc=doc)


def partition_key(value):
    """A Kafka key that keeps the messages whose decisions depend on each other on one partition:
    the actor key when there is one, else the submission_id, else a hash of the bytes."""
    code, doc = gate(value)
    if doc is None:
        try:
            d = parse(value)
            if isinstance(d, dict) and isinstance(d.get("submission_id"), str):
                return ("sid:" + d["submission_id"]).encode()
        except _ParseError:
            pass
        return ("raw:" + hashlib.sha256(value).hexdigest()[:16]).encode()
    if not schema_violations(doc):
        k = actor_key(doc)
        if k:
            return k.encode()
    return ("sid:" + doc["submission_id"]).encode()


# ---- submissions for corpora --------------------------------------------------------------------

def make_nik(district, y, m, d, female, serial):
    """16 digits: district code digits (6), DDMMYY (+40 to the day for women), serial (4)."""
    return "%s%02d%02d%02d%04d" % (district.replace(".", ""), d + (40 if female else 0), m,
                                   y % 100, serial)


def encode(doc):
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode()


def submission(sid, nik=None, birth=(1985, 5, 17), female=False, serial=1, type_="02",
               npwp=None, home="33.74.01", location=None, kblis=("56102",), capital=50_000_000,
               sales=None, submitted_at="2026-11-28T09:00:00+07:00", channel="online",
               name="Siti Rahayu", phone="081234567890", email=None, workers=2):
    """A valid submission (with the seed) unless the arguments say otherwise."""
    if nik is None:
        nik = make_nik(home[:8], birth[0], birth[1], birth[2], female, serial)
    a = {"type": type_, "nik": nik, "name": name,
         "birth_date": "%04d-%02d-%02d" % birth if isinstance(birth, tuple) else birth,
         "gender": "F" if female else "M",
         "address": {"street": "Jl. Pemuda No. 1", "region_code": home}}
    if npwp is not None:
        a["npwp"] = npwp
    if phone is not None:
        a["phone"] = phone
    if email is not None:
        a["email"] = email
    b = {"name": "Warung " + name.split()[0][:40], "workers": workers,
         "location": {"street": "Jl. Pandanaran No. 2", "region_code": location or home},
         "activities": [{"kbli": k} for k in kblis]}
    if capital is not None:
        b["capital_idr"] = capital
    if sales is not None:
        b["annual_sales_idr"] = sales
    return {"schema": "oss.submission.v1", "submission_id": sid, "submitted_at": submitted_at,
            "channel": channel, "applicant": a, "business": b}


def natural_key(path):
    return [(0, int(t), "") if t.isdigit() else (1, 0, t) for t in re.split(r"(\d+)", path)
            if t != ""]


def reason_sort_key(r):
    code = r["code"]
    order = REASON_ORDER + NIB_REASONS
    rank = order.index(code) if code in order else len(order)
    return (rank, code, natural_key(r["path"]))


# ---- running a corpus through ossd and comparing ------------------------------------------------

def run_corpus(env, messages, oracle, timeout=180):
    """Produces messages [(key, value)] (after feeding them, in order, to oracle), waits until
    ossd has decided all of them and published every event and dead letter, and returns
    (event messages, dead-letter messages). The daemon must already be started."""
    import harness
    for key, value in messages:
        oracle.feed(value).key = key
    n_decided = sum(1 for o in oracle.outcomes if o.kind in ("issued", "rejected"))
    n_dead = sum(1 for o in oracle.outcomes if o.kind == "dead")
    events = env.collector(harness.TOPICS[1])
    dlq = env.collector(harness.TOPICS[2])
    env.produce(messages)
    harness.wait_for(lambda: tuple(env.sql(
        "SELECT (SELECT count(*) FROM submissions), (SELECT count(*) FROM dead_letters)")[0])
        >= (n_decided, n_dead) or None, timeout,
        "%d decisions and %d dead letters" % (n_decided, n_dead), interval=0.2)
    events.wait(lambda m: len({x.value() for x in m}) >= n_decided, timeout,
                "%d decision events" % n_decided)
    dlq.wait(lambda m: len(m) >= n_dead, timeout, "%d dead letters" % n_dead)
    events.poll(0.3)
    dlq.poll(0.1)
    counts = env.sql("SELECT (SELECT count(*) FROM submissions), "
                     "(SELECT count(*) FROM dead_letters)")[0]
    assert tuple(counts) == (n_decided, n_dead), \
        "PostgreSQL holds %r decisions/dead letters, the oracle expects %r" % (
            counts, (n_decided, n_dead))
    return events.messages, dlq.messages


def compare(oracle, event_msgs, dlq_msgs):
    """Every difference between ossd's events/dead letters and the oracle, as text lines."""
    import collections
    problems = []
    by_sid = {}
    for m in event_msgs:
        ev = json.loads(m.value())
        sid = ev["data"]["submission_id"]
        prev = by_sid.get(sid)
        if prev is not None and prev[1]["id"] != ev["id"]:
            problems.append("%s: two different decision events (%s, %s)" % (
                sid, prev[1]["type"], ev["type"]))
            continue
        by_sid[sid] = (m, ev)
    expected = {o.sid: o for o in oracle.outcomes if o.kind in ("issued", "rejected")}
    for sid in sorted(set(by_sid) - set(expected)):
        problems.append("%s: an event the oracle does not expect (%s)" % (sid, by_sid[sid][1]))
    nib_of = {}
    actor_of = {}
    for sid, o in expected.items():
        if sid not in by_sid:
            problems.append("%s: no decision event (expected %r)" % (sid, o))
            continue
        m, ev = by_sid[sid]
        d = ev["data"]
        want_type = "id.go.oss.submission.%s.v1" % o.kind
        if ev["type"] != want_type:
            problems.append("%s: %s, expected %s %s" % (
                sid, ev["type"].split(".")[-2],
                o.kind, sorted(o.reasons) if o.reasons else ""))
            if "reasons" in d:
                problems[-1] += " (ossd reasons %s)" % sorted(
                    (r["code"], r["path"]) for r in d["reasons"])
            continue
        if o.kind == "rejected":
            got = [(r["code"], r["path"]) for r in d["reasons"]]
            counts = getattr(o, "reason_counts", None)  # schema failures: one per violation
            if set(got) != o.reasons or (collections.Counter(got) != counts if counts
                                         else len(got) != len(set(got))):
                problems.append("%s: reasons %s, expected %s" % (
                    sid, sorted(got), sorted(counts.elements() if counts else o.reasons)))
            if d["reasons"] != sorted(d["reasons"], key=reason_sort_key):
                problems.append("%s: reasons not sorted by code then path: %s" % (sid, got))
            if ev["subject"] != sid or ev["partitionkey"] != sid or m.key() != sid.encode():
                problems.append("%s: subject/partitionkey/key must be the submission_id" % sid)
            continue
        for f in ("nib_new", "scale", "umk", "authority", "channel"):
            if d.get(f) != getattr(o, f):
                problems.append("%s: %s = %r, expected %r" % (sid, f, d.get(f), getattr(o, f)))
        acts = [(a["kbli"], a["title"], a["risk"], a["permit"], a["status"])
                for a in d["activities"]]
        if acts != o.activities:
            problems.append("%s: activities %s, expected %s" % (sid, acts, o.activities))
        nib = d["nib"]
        if not re.fullmatch(r"[0-9]{13}", nib):
            problems.append("%s: NIB %r is not 13 digits" % (sid, nib))
        for a, want in zip(d["activities"], permits_of(o, nib, d["decided_at"])):
            got = (a.get("permit_id"), a.get("sla_due"))
            if got != want:
                problems.append("%s: activity %s permit_id/sla_due %r, expected %r" % (
                    sid, a["kbli"], got, want))
        if ev["subject"] != nib or ev["partitionkey"] != nib or m.key() != nib.encode():
            problems.append("%s: subject/partitionkey/key must be the NIB" % sid)
        if nib_of.setdefault(o.actor, nib) != nib:
            problems.append("%s: NIB %s, but this actor got %s before" % (sid, nib,
                                                                      nib_of[o.actor]))
        if actor_of.setdefault(nib, o.actor) != o.actor:
            problems.append("%s: NIB %s is shared by two actors (%s, %s)" % (
                sid, nib, actor_of[nib], o.actor))
        a = o.doc["applicant"]
        app = d["applicant"]
        if app.get("type") != a["type"] or app.get("name") != a["name"]:
            problems.append("%s: applicant type/name %r" % (sid, app))
        for f in ("phone", "email"):
            if app.get(f) != event_contact(a.get(f)):
                problems.append("%s: applicant %s %r, expected %r" % (sid, f, app.get(f),
                                                                     event_contact(a.get(f))))
    ids = {}
    for sid, (m, ev) in by_sid.items():
        if ids.setdefault(ev["id"], sid) != sid:
            problems.append("%s and %s share the event id %s" % (sid, ids[ev["id"]], ev["id"]))
        if (ev.get("specversion"), ev.get("source"), ev.get("datacontenttype")) != \
                ("1.0", "urn:ossd", "application/json") or \
                dict(m.headers() or []).get("content-type") != EVENT_CONTENT_TYPE:
            problems.append("%s: CloudEvents attributes or content-type header wrong" % sid)
    want_dead = collections.Counter()
    for o in oracle.outcomes:
        if o.kind == "dead":
            want_dead[(getattr(o, "key", None), o.value, o.code)] += 1
    got_dead = collections.Counter(
        (m.key(), m.value() or b"",
         dict(m.headers() or []).get("ossd.error.code", b"").decode()) for m in dlq_msgs)
    for k in sorted(set(want_dead) | set(got_dead), key=repr):
        if want_dead[k] != got_dead[k]:
            problems.append("dead letter %s key %r %.80r: %d in the DLQ, expected %d" % (
                k[2], k[0], k[1], got_dead[k], want_dead[k]))
    return problems


def format_instant(ms):
    """Epoch ms as ossd writes instants: RFC 3339 in UTC with milliseconds."""
    import datetime
    t = datetime.datetime(1970, 1, 1) + datetime.timedelta(milliseconds=ms)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (ms % 1000)


def permits_of(o, nib, decided_at):
    """[(permit_id, sla_due or None)] of an issued Outcome's activities, given the NIB and the
    decided_at of its event: the permit <nib>-<kbli>-<district without dots>; a pending one's
    deadline N working days (the SLA table) from decided_at with the holidays (lifecycle.py)."""
    import lifecycle
    cal = lifecycle.Calendar(o.holidays)
    start = lifecycle.parse_instant(decided_at)
    out = []
    for act, n in zip(o.activities, o.sla_days):
        pid = "%s-%s-%s" % (nib, act[0], o.district.replace(".", ""))
        due = format_instant(cal.deadline(start, n)[1]) if act[4] == "pending_verification" \
            else None
        out.append((pid, due))
    return out


def holds_id_number(s):
    """True when s holds 15 or more digits in one run, one space or punctuation character
    between two digits not ending the run: what could be a NIK (16) or an NPWP (15) typed into
    a contact field (an Indonesian phone number has at most 14 digits)."""
    return re.search(r"[0-9](?:[^0-9A-Za-z\u0080-\U0010ffff]?[0-9]){14}", s) is not None


def event_contact(v):
    """The phone or email a decision event carries for a schema-valid value v: v, unless it
    holds an id number (see holds_id_number). A value that fails the schema at its pointer
    never travels."""
    if not isinstance(v, str) or holds_id_number(v):
        return None
    return v


def corpus_niks(oracle):
    """Every 16-digit applicant NIK the oracle was fed (decided submissions)."""
    out = set()
    for o in oracle.outcomes:
        a = o.doc.get("applicant") if getattr(o, "doc", None) else None
        if isinstance(a, dict) and isinstance(a.get("nik"), str) and \
                re.fullmatch(r"[0-9]{16}", a["nik"]):
            out.add(a["nik"])
    return out


def privacy_problems(oracle, event_msgs):
    """docs/events.md: no full NIK in any event, nik_masked keeps at most the first 4 digits,
    reason messages never echo an identity or contact value (NIK, NPWP, phone, email, birth
    date)."""
    problems = []
    niks = corpus_niks(oracle)
    docs = {o.sid: o.doc for o in oracle.outcomes if o.kind in ("issued", "rejected")}
    for m in event_msgs:
        raw = m.value().decode()
        ev = json.loads(raw)
        sid = ev["data"]["submission_id"]
        for run in re.findall(r"[0-9]{16,}", raw):
            for i in range(len(run) - 15):
                if run[i:i + 16] in niks:
                    problems.append("%s: a full NIK appears in the event" % sid)
        a = docs.get(sid, {}).get("applicant")
        a = a if isinstance(a, dict) else {}
        secret = [a.get(k) for k in ("nik", "npwp")]
        secret = [s for s in secret if isinstance(s, str) and len(s) >= 6]
        for s in secret:
            if s in raw:
                problems.append("%s: the applicant's %s appears in the event" % (
                    sid, "NIK" if s == a.get("nik") else "NPWP"))
        personal = secret + [a.get(k) for k in ("phone", "email", "birth_date")]
        personal = [s for s in personal if isinstance(s, str) and len(s) >= 5]
        for r in ev["data"].get("reasons", []):
            for s in personal:
                if s in r["message"]:
                    problems.append("%s: reason %s echoes a personal value in %r" % (
                        sid, r["code"], r["message"]))
        app = ev["data"].get("applicant", {})
        bad_paths = schema_violations(docs[sid]) if sid in docs else set()
        for f in ("phone", "email"):
            if f not in app:
                continue
            if holds_id_number(app[f]):
                problems.append("%s: applicant.%s holds a NIK/NPWP-like number" % (sid, f))
            if "/applicant/" + f in bad_paths:
                problems.append("%s: applicant.%s failed the schema and still travels" % (sid, f))
        if "nik" in app:
            problems.append("%s: the event carries applicant.nik" % sid)
        if "nik_masked" in app:
            mk = app["nik_masked"]
            mm = re.fullmatch(r"([0-9]{0,4})\*+", mk)
            if not mm or not a.get("nik", "").startswith(mm[1]) or len(mk) != 16:
                problems.append("%s: nik_masked %r keeps more than the first 4 digits" % (
                    sid, mk))
        elif ev["type"].endswith("issued.v1"):
            problems.append("%s: issued event without nik_masked" % sid)
    return problems
