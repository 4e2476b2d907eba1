"""The full official reference tables (KBLI 2020, 1,790 codes; Kemendagri 2025, 91,599 regions)
loaded with `ossctl refdata import` into a running system: counts in `refdata list`, then after
SIGHUP the daemon knows KBLI codes outside the seed (risk T where the table gives none, the seed's
levels carried forward), checks villages where the data holds them, and knows districts outside
Jawa Tengah. A generated corpus over the whole tables is compared with the oracle loaded with
the same CSVs. Skipped when the CSVs (<repo>/../shared/data) are absent."""
import json
import os
import random
import re
import signal
import subprocess
import time

import pytest

import harness
import oracle
from oracle import encode, make_nik, submission

DATA = os.path.join(os.path.dirname(harness.REPO), "shared", "data")
KBLI_CSV = os.path.join(DATA, "kbli2020-kelompok.csv")
REGIONS_CSV = os.path.join(DATA, "regions-kemendagri-2025.csv")

pytestmark = pytest.mark.skipif(
    not (os.path.exists(KBLI_CSV) and os.path.exists(REGIONS_CSV)),
    reason="the official CSVs are not in %s" % DATA)


def ossctl(env, *args):
    r = subprocess.run([harness.OSSCTL, "--pg-url", env.pg_url, *args], capture_output=True,
                       text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout


def events_by_sid(msgs):
    return {json.loads(m.value())["data"]["submission_id"]: json.loads(m.value()) for m in msgs}


def reasons(ev):
    return [(r["code"], r["path"]) for r in ev["data"].get("reasons", [])]


def full_corpus(n, seed, rd):
    """Submissions over the whole tables: districts and villages anywhere (some made up), KBLI
    codes from the full list (some unknown), repeat actors."""
    r = random.Random(seed)
    districts = sorted(c for c in rd.regions if len(c) == 8)
    villages = sorted(v for vs in rd.villages.values() for v in vs)
    kblis = sorted(rd.kbli)
    actors = []
    out = []
    for i in range(n):
        if actors and r.random() < 0.3:
            a = r.choice(actors)
        else:
            home = r.choice(districts)
            birth = (r.randint(1950, 2005), r.randint(1, 12), r.randint(1, 28))
            a = {"home": home, "birth": birth, "female": r.random() < 0.5,
                 "nik": make_nik(home, *birth, False, len(actors) + 1)}
            if a["female"]:
                a["nik"] = make_nik(home, *birth, True, len(actors) + 1)
            actors.append(a)
        pick = r.random()
        if pick < 0.45:
            loc = r.choice(villages)
        elif pick < 0.55:
            loc = r.choice(districts) + ".%04d" % r.randint(1, 9999)  # mostly made up
        elif pick < 0.6:
            loc = "%02d.%02d.%02d" % (r.randint(10, 99), r.randint(1, 99), r.randint(1, 99))
        else:
            loc = r.choice(districts)
        ks = r.sample(kblis, r.choice([1, 1, 2, 3]))
        if r.random() < 0.05:
            ks[0] = "%05d" % r.randint(0, 99999)
        d = submission("full-%04d" % i, nik=a["nik"], birth=a["birth"], female=a["female"],
                       home=a["home"], location=loc, kblis=ks,
                       capital=r.choice([10**6, 2 * 10**9, 6 * 10**9, 20 * 10**9]))
        v = encode(d)
        out.append((oracle.partition_key(v), v))
    return out


def test_full_tables_imported_and_used(env):
    rd_seed = oracle.RefData.seed()
    d = env.daemon()
    # before: the seed knows neither 01111 nor villages nor Jakarta's districts
    before = [
        submission("before-01111", serial=1, kblis=["01111"]),
        submission("before-jakarta", serial=2, location="31.71.01"),
        submission("before-made-up-village", serial=3, location="33.74.10.1999"),
    ]
    o = oracle.Oracle(rd_seed)
    msgs, dlq = oracle.run_corpus(env, [(b"before", encode(s)) for s in before], o)
    evs = events_by_sid(msgs)
    assert reasons(evs["before-01111"]) == [("KBLI_UNKNOWN", "/business/activities/0/kbli")]
    assert reasons(evs["before-jakarta"]) == [("REGION_UNKNOWN",
                                               "/business/location/region_code")]
    assert evs["before-made-up-village"]["type"].endswith("issued.v1")  # no villages yet

    t0 = time.monotonic()
    out = ossctl(env, "refdata", "import", "kbli", KBLI_CSV)
    assert re.search(r"kbli 2020: 1790 codes .*26 carried forward, 1764 without", out), out
    out = ossctl(env, "refdata", "import", "regions", REGIONS_CSV)
    assert "91599 codes" in out and "83762 villages" in out, out
    listing = ossctl(env, "refdata", "list")
    kbli_line = [ln for ln in listing.splitlines() if ln.startswith("kbli ")]
    region_line = [ln for ln in listing.splitlines() if ln.startswith("regions ")]
    assert len(kbli_line) == 1 and " yes " in kbli_line[0], listing
    assert "1790 codes, 26 with a risk level" in kbli_line[0], listing
    assert len(region_line) == 1 and " yes " in region_line[0], listing
    assert "91599 codes: 38 provinces, 514 regencies, 7285 districts, 83762 villages" \
        in region_line[0], listing
    import_s = time.monotonic() - t0

    # the running daemon takes the new versions on SIGHUP
    d.proc.send_signal(signal.SIGHUP)
    harness.wait_for(lambda: "reloaded:" in d.log_since_start(), 60, "the reload")
    assert re.search(r"KBLI 2020 \(1790 codes\), regions kemendagri-2025 \(91599 codes\)",
                     d.log_since_start()), d.log_since_start()[-2000:]

    rd = oracle.RefData.seed()
    rd.import_kbli_csv(KBLI_CSV)
    rd.import_regions_csv(REGIONS_CSV)
    o.rd = rd  # the same actors and submission ids, new reference data
    n_before = len(o.outcomes)
    after = [
        submission("after-01111", serial=11, kblis=["01111"]),
        submission("after-seed-level-kept", serial=12, kblis=["56102", "10710", "01111"]),
        submission("after-unknown-kbli", serial=13, kblis=["99999"]),
        submission("after-real-village", serial=14, location="33.74.10.1005"),
        submission("after-made-up-village", serial=15, location="33.74.10.1999"),
        submission("after-made-up-home-village", serial=16, home="33.74.10.1999",
                   location="33.74.10"),
        submission("after-jakarta", serial=17, home="31.71.01", location="31.71.01.1001"),
        submission("after-aceh-village", serial=18, location="11.01.01.2001"),
        submission("after-unknown-district", serial=19, location="33.74.99"),
    ]
    msgs, dlq = oracle.run_corpus(env, [(b"after", encode(s)) for s in after], o)
    problems = oracle.compare(o, msgs, dlq)
    assert not problems, "\n".join(problems)
    evs = events_by_sid(msgs)
    a = evs["after-01111"]["data"]
    # permit_id and sla_due (a pending permit) are compared with the oracle by oracle.compare
    assert [{k: v for k, v in x.items() if k not in ("permit_id", "sla_due")}
            for x in a["activities"]] == [{"kbli": "01111", "title": "Pertanian Jagung",
                                           "risk": "T", "permit": "IZIN",
                                           "status": "pending_verification"}]
    assert re.fullmatch(r"[0-9]{13}-01111-[0-9]{6}", a["activities"][0]["permit_id"])
    assert "sla_due" in a["activities"][0]
    assert [x["risk"] for x in evs["after-seed-level-kept"]["data"]["activities"]] == \
        ["R", "MR", "T"]
    assert reasons(evs["after-unknown-kbli"]) == [("KBLI_UNKNOWN", "/business/activities/0/kbli")]
    assert evs["after-real-village"]["data"]["authority"] == "33.74"
    assert reasons(evs["after-made-up-village"]) == [("REGION_UNKNOWN",
                                                      "/business/location/region_code")]
    assert reasons(evs["after-made-up-home-village"]) == [("REGION_UNKNOWN",
                                                           "/applicant/address/region_code")]
    assert evs["after-jakarta"]["data"]["authority"] == "31.71"
    assert evs["after-aceh-village"]["data"]["authority"] == "11.01"
    assert reasons(evs["after-unknown-district"]) == [("REGION_UNKNOWN",
                                                       "/business/location/region_code")]

    # a generated corpus over the whole tables, against the oracle with the same tables
    t1 = time.monotonic()
    corpus = full_corpus(600, seed=2025, rd=rd)
    msgs, dlq = oracle.run_corpus(env, corpus, o)
    problems = oracle.compare(o, msgs, dlq) + oracle.privacy_problems(o, msgs)
    assert not problems, "%d differences:\n%s" % (len(problems), "\n".join(problems[:30]))
    kinds = {}
    for out in o.outcomes[n_before + len(after):]:
        kinds[out.kind] = kinds.get(out.kind, 0) + 1
    print("full tables: import %.1f s; generated corpus %d %r in %.1f s"
          % (import_s, len(corpus), kinds, time.monotonic() - t1))
    assert kinds.get("issued", 0) > 200 and kinds.get("rejected", 0) > 50
