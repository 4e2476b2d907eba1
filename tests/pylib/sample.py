"""Realistic OSS submissions for tests, the demo and the benchmark.

The sector mix follows the Semarang study (services 920 : handicraft 955 :
processed food 1,260 registered UMKM), plus retail and food stalls; most
businesses are micro, registered online, at the counter or by outreach
officers ("jemput bola"). Identities are synthetic but consistent: the NIK
encodes the district, birth date (+40 for women) and a serial.
"""
import datetime
import json
import os
import random
import re

SEMARANG_DISTRICTS = ["33.74.%02d" % i for i in range(1, 17)]

_ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
SEED_SQL = os.path.join(_ROOT, "schemas", "sql", "003_refdata_seed.sql")
SECTORS_TSV = os.path.join(_ROOT, "schemas", "seed", "sectors.tsv")


def _seed_risk(path=SEED_SQL):
    """{KBLI code: risk level} of the shipped seed's KBLI 2020 rows."""
    rows = re.findall(r"\('2020', '(\d{5})', .*'(R|MR|MT|T)'\)", open(path, encoding="utf-8").read())
    return dict(rows)


def _sectors(path=SECTORS_TSV):
    """{sector: (weight, [codes])} and {sector: [business name stems]}, in the file's order
    (schemas/seed/sectors.tsv, which ossd-loadgen's table is generated from too)."""
    sectors, business = {}, {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.startswith("#") or line.startswith("sector\t") or not line.strip():
                continue
            sector, weight, code, what, _desc = line.rstrip("\n").split("\t")
            sectors.setdefault(sector, (int(weight), []))[1].append(code)
            business.setdefault(sector, []).append(what)
    return sectors, business


# The seed's KBLI codes by sector, and each code's seed risk level: read, not copied.
RISK = _seed_risk()
SECTORS, BUSINESS = _sectors()
FIRST = ["Siti", "Budi", "Sri", "Agus", "Dewi", "Slamet", "Wahyu", "Rina", "Eko", "Nur",
         "Tri", "Endang", "Joko", "Yuni", "Bambang", "Lestari", "Hadi", "Ani"]
LAST = ["Rahayu", "Santoso", "Wulandari", "Prasetyo", "Kusuma", "Hidayat", "Lestari",
        "Saputra", "Purnomo", "Setiawan", "Utami", "Nugroho"]
STREETS = ["Jl. Pemuda", "Jl. Pandanaran", "Jl. Gajahmada", "Jl. Majapahit", "Jl. Setiabudi",
           "Jl. Ngesrep Timur", "Jl. Kedungmundu", "Jl. Fatmawati", "Jl. Wolter Monginsidi"]


def make_nik(district, birth, female, serial):
    """A structurally valid NIK: district code digits, DDMMYY (+40 for women), serial."""
    day = birth.day + (40 if female else 0)
    return "%s%02d%02d%02d%04d" % (district.replace(".", ""), day, birth.month,
                                   birth.year % 100, serial)


class Generator:
    """Deterministic stream of submissions (seeded), with repeat actors."""

    def __init__(self, seed=1, invalid_ratio=0.05, repeat_ratio=0.15, prefix="sub",
                 submitted_at=None):
        self.rnd = random.Random(seed)
        self.invalid_ratio = invalid_ratio
        self.repeat_ratio = repeat_ratio
        self.prefix = prefix
        self.n = 0
        self.actors = []
        self.serial = 1
        self.now = submitted_at or datetime.datetime(2026, 11, 28, 9, 0, 0,
                                                     tzinfo=datetime.timezone(
                                                         datetime.timedelta(hours=7)))
        weights = [w for w, _ in SECTORS.values()]
        self.sector_names = list(SECTORS)
        self.weights = weights

    def _actor(self):
        r = self.rnd
        if self.actors and r.random() < self.repeat_ratio:
            return r.choice(self.actors)
        female = r.random() < 0.55
        age_days = r.randint(18 * 366, 70 * 365)
        birth = (self.now - datetime.timedelta(days=age_days)).date()
        district = r.choice(SEMARANG_DISTRICTS)
        self.serial += 1
        nik = make_nik(district, birth, female, self.serial % 9999 + 1)
        actor = {
            "type": "02",
            "nik": nik,
            "name": "%s %s" % (r.choice(FIRST), r.choice(LAST)),
            "birth_date": birth.isoformat(),
            "gender": "F" if female else "M",
            "phone": "08%010d" % r.randint(0, 9999999999),
            "email": None,
            "address": {"street": "%s No. %d" % (r.choice(STREETS), r.randint(1, 200)),
                        "region_code": district},
            "_used": set(),
        }
        if r.random() < 0.3:
            actor["email"] = "%s.%d@contoh.id" % (actor["name"].split()[0].lower(), self.serial)
        if r.random() < 0.08:  # a small company: type 01 with an NPWP
            actor["type"] = "01"
            actor["npwp"] = "0%015d" % r.randint(10**13, 10**15 - 1)
        self.actors.append(actor)
        return actor

    def valid(self):
        r = self.rnd
        self.n += 1
        a = self._actor()
        sector = r.choices(self.sector_names, self.weights)[0]
        codes = SECTORS[sector][1]
        k = r.choices([1, 2, 3], [70, 22, 8])[0]
        # a repeat actor registers activities it does not hold yet
        fresh = [c for c in codes if c not in a["_used"]] or codes
        kblis = r.sample(fresh, min(k, len(fresh)))
        a["_used"].update(kblis)
        district = a["address"]["region_code"]
        applicant = {key: v for key, v in a.items() if not key.startswith("_") and v is not None}
        capital = r.choice([r.randint(5, 900) * 10**6, r.randint(1, 4) * 10**9 + 10**8])
        if r.random() < 0.9:
            capital = r.randint(5, 900) * 10**6
        business = {
            "name": "%s %s" % (r.choice(BUSINESS[sector]), a["name"].split()[0]),
            "capital_idr": capital,
            "workers": r.randint(0, 12),
            "location": {"street": a["address"]["street"], "region_code": district},
            "activities": [{"kbli": c, "description": BUSINESS[sector][0]} for c in kblis],
        }
        if r.random() < 0.2:
            del business["capital_idr"]
            business["annual_sales_idr"] = r.randint(20, 1900) * 10**6
        sub = {
            "schema": "oss.submission.v1",
            "submission_id": "%s-%08d" % (self.prefix, self.n),
            "submitted_at": (self.now + datetime.timedelta(seconds=self.n)).isoformat(),
            "channel": r.choices(["online", "counter", "outreach"], [60, 15, 25])[0],
            "applicant": applicant,
            "business": business,
        }
        return sub

    def invalid(self):
        """A submission broken in one of several realistic ways."""
        sub = self.valid()
        r = self.rnd
        kind = r.randrange(8)
        a, b = sub["applicant"], sub["business"]
        if kind == 0:
            a["nik"] = a["nik"][:15]                      # SCHEMA_INVALID
        elif kind == 1:
            a["birth_date"] = "1990-01-01"                # NIK_MISMATCH (usually)
        elif kind == 2:
            a["nik"] = a["nik"][:12] + "0000"             # NIK_INVALID serial
        elif kind == 3:
            b["activities"][0]["kbli"] = "99999"          # KBLI_UNKNOWN
        elif kind == 4:
            b["location"]["region_code"] = "33.74.99"     # REGION_UNKNOWN
        elif kind == 5:
            a["type"] = "01"                              # NPWP_REQUIRED
            a.pop("npwp", None)
        elif kind == 6:
            b["activities"].append(dict(b["activities"][0]))  # ACTIVITY_DUPLICATE
        else:
            del b["workers"]                              # SCHEMA_INVALID
        return sub

    def next(self):
        return self.invalid() if self.rnd.random() < self.invalid_ratio else self.valid()


def key_of(sub):
    a = sub.get("applicant", {})
    return (a.get("npwp") or a.get("nik") or sub.get("submission_id", "")).encode()


def encode(sub):
    return json.dumps(sub, separators=(",", ":"), ensure_ascii=False).encode()


def corpus(n, seed, prefix, invalid_ratio=0.05):
    """n encoded submissions as (key, value) pairs and the set of their ids (all distinct)."""
    gen = Generator(seed=seed, invalid_ratio=invalid_ratio, prefix=prefix)
    msgs = []
    for _ in range(n):
        s = gen.next()
        msgs.append((key_of(s), encode(s)))
    ids = {json.loads(v)["submission_id"] for _, v in msgs}
    assert len(ids) == n
    return msgs, ids
