"""The calendar reference data of the licence lifecycle: `ossctl refdata import holidays|sla`
(a new version of the whole table each import, active unless --no-activate, bad rows refused
with FILE:LINE and nothing imported), the shipped seed (the fixed-date national holidays of 2026
and 2027, no SLA rows), and a running ossd taking the active versions on SIGHUP."""
import os
import re
import signal
import subprocess

import harness

SEED_HOLIDAYS = "national-fixed-2026-2027"
FIXED_DATES = ["%d-%s" % (y, md) for y in (2026, 2027)
               for md in ("01-01", "05-01", "06-01", "08-17", "12-25")]


def ossctl(env, *args, expect=0):
    r = subprocess.run([harness.OSSCTL, "--pg-url", env.pg_url, *args], capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == expect, "exit %d:\n%s%s" % (r.returncode, r.stdout, r.stderr)
    return r


def write(env, name, text):
    path = os.path.join(env.workdir, name)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return path


def versions(env, kind):
    """[(version, active)] of a kind, oldest first."""
    return env.sql("SELECT version, active FROM ref_versions WHERE kind = %s "
                   "ORDER BY loaded_at, version", kind)


def active(env, kind):
    rows = env.sql("SELECT version FROM ref_versions WHERE kind = %s AND active", kind)
    return rows[0][0] if rows else None


def imported_version(out, kind):
    m = re.match(r"%s (\S+): " % kind, out)
    assert m, out
    return m.group(1)


def test_seed_holds_fixed_holidays_and_no_sla(env):
    assert active(env, "holidays") == SEED_HOLIDAYS
    days = [r[0].isoformat() for r in env.sql(
        "SELECT day FROM ref_holidays WHERE version = %s ORDER BY day", SEED_HOLIDAYS)]
    assert days == FIXED_DATES
    assert active(env, "sla") == "statutory"
    assert env.sql("SELECT count(*) FROM ref_sla")[0][0] == 0
    listing = ossctl(env, "refdata", "list").stdout
    hol = [ln for ln in listing.splitlines() if ln.startswith("holidays ")]
    sla = [ln for ln in listing.splitlines() if ln.startswith("sla ")]
    assert len(hol) == 1 and " yes " in hol[0] and "10 dates, 2026-01-01 to 2027-12-25" in hol[0]
    assert len(sla) == 1 and " yes " in sla[0] and "0 deadlines" in sla[0], listing
    # migrating again changes nothing (every migration is applied once, and is idempotent)
    harness.migrate(env.pg_url)
    assert active(env, "holidays") == SEED_HOLIDAYS and len(versions(env, "holidays")) == 1


def test_import_holidays_new_version_each_time(env):
    csv1 = write(env, "h1.csv", "date,name\n2026-12-25,Hari Raya Natal\n2026-12-24,Cuti Bersama\n"
                                "2027-03-20,Hari Raya Idul Fitri\n")
    out = ossctl(env, "refdata", "import", "holidays", csv1).stdout
    v1 = imported_version(out, "holidays")
    assert "3 dates from %s; active" % csv1 in out, out
    assert active(env, "holidays") == v1 != SEED_HOLIDAYS
    assert sorted(r[0].isoformat() for r in env.sql(
        "SELECT day FROM ref_holidays WHERE version = %s", v1)) == \
        ["2026-12-24", "2026-12-25", "2027-03-20"]

    # the same file again: another version, the first one kept, inactive
    out = ossctl(env, "refdata", "import", "holidays", csv1).stdout
    v2 = imported_version(out, "holidays")
    assert v2 != v1 and active(env, "holidays") == v2
    assert [v for v, _ in versions(env, "holidays")] == [SEED_HOLIDAYS, v1, v2]

    # --no-activate: stored, listed, not active
    csv2 = write(env, "h2.csv", "Name,Date\nTahun Baru,2028-01-01\n")
    out = ossctl(env, "refdata", "import", "holidays", csv2, "--no-activate").stdout
    v3 = imported_version(out, "holidays")
    assert "1 date from %s; not activated" % csv2 in out, out
    assert active(env, "holidays") == v2
    assert (v3, False) in versions(env, "holidays")
    listing = ossctl(env, "refdata", "list").stdout
    assert re.search(r"^holidays +%s +no " % re.escape(v3), listing, re.M), listing

    # an explicit version name
    out = ossctl(env, "refdata", "import", "holidays", csv2, "--version", "ops-2028").stdout
    assert out.startswith("holidays ops-2028: 1 date from"), out
    assert active(env, "holidays") == "ops-2028"


def test_import_sla(env):
    csv = write(env, "sla.csv", "kbli,scale,working_days\n56102,,10\n56102,04,20\n"
                                "10710,01,3\n11010,,60\n")
    out = ossctl(env, "refdata", "import", "sla", csv).stdout
    v1 = imported_version(out, "sla")
    assert "4 deadlines from %s (2 for every scale, 2 for one scale; any other KBLI code: " \
           "5 working days); active" % csv in out, out
    assert active(env, "sla") == v1
    assert sorted(env.sql("SELECT kbli, scale, working_days FROM ref_sla WHERE version = %s",
                          v1)) == [("10710", "01", 3), ("11010", "", 60), ("56102", "", 10),
                                   ("56102", "04", 20)]
    csv2 = write(env, "sla2.csv", "kbli,working_days\n56102,7\n")
    out = ossctl(env, "refdata", "import", "sla", csv2, "--no-activate").stdout
    v2 = imported_version(out, "sla")
    assert "not activated" in out and active(env, "sla") == v1
    assert env.sql("SELECT kbli, scale, working_days FROM ref_sla WHERE version = %s", v2) == \
        [("56102", "", 7)]
    # a header alone: a version with no rows (every KBLI code gets the statutory 5 again)
    out = ossctl(env, "refdata", "import", "sla", write(env, "none.csv", "kbli,scale,working_days\n"))
    v3 = imported_version(out.stdout, "sla")
    assert "0 deadlines" in out.stdout and active(env, "sla") == v3
    assert env.sql("SELECT count(*) FROM ref_sla WHERE version = %s", v3)[0][0] == 0


BAD = [
    ("holidays", "date,name\n2026-12-25,Natal\n2026-02-30,Salah\n",
     "bad.csv:3: date '2026-02-30' is not a calendar date YYYY-MM-DD"),
    ("holidays", "date,name\n2026-12-25,Natal\n\n2026-12-25,Natal lagi\n",
     "bad.csv:4: duplicate date 2026-12-25"),
    ("holidays", "date,name\n2026-12-25,\n", "bad.csv:2: empty name for date 2026-12-25"),
    ("holidays", "date,name\n25-12-2026,Natal\n", "bad.csv:2: date '25-12-2026'"),
    ("holidays", "day,name\n2026-12-25,Natal\n",
     "bad.csv:1: the header must name the columns date and name"),
    ("holidays", "date,name\n", "bad.csv: no data rows"),
    ("holidays", "date,name\n2026-12-25,\"Natal\n", "bad.csv:2: unterminated"),
    ("holidays", "date,name\n2026-12-25,Natal,extra\n", "bad.csv:2: 3 fields where the header"),
    ("sla", "kbli,scale,working_days\n56102,,10\n561,,10\n",
     "bad.csv:3: KBLI code '561' is not 5 digits"),
    ("sla", "kbli,scale,working_days\n56102,05,10\n",
     "bad.csv:2: scale '05' of KBLI 56102 is not 01, 02, 03, 04 or empty"),
    ("sla", "kbli,scale,working_days\n56102,,0\n",
     "bad.csv:2: working_days '0' of KBLI 56102 is not a whole number 1-1000"),
    ("sla", "kbli,scale,working_days\n56102,,lima\n", "bad.csv:2: working_days 'lima'"),
    ("sla", "kbli,scale,working_days\n56102,01,10\n10710,,5\n56102,01,12\n",
     "bad.csv:4: duplicate KBLI 56102 for scale 01"),
    ("sla", "kbli,scale\n56102,01\n",
     "bad.csv:1: the header must name the columns kbli and working_days"),
]


def test_bad_rows_refused_with_line_numbers(env):
    before = {k: versions(env, k) for k in ("holidays", "sla")}
    for kind, text, want in BAD:
        path = write(env, "bad.csv", text)
        r = ossctl(env, "refdata", "import", kind, path, expect=1)
        err = r.stderr.replace(path, "bad.csv")
        assert want in err and "nothing imported" in err, (kind, text, err)
        assert r.stdout == ""
    assert {k: versions(env, k) for k in ("holidays", "sla")} == before
    assert env.sql("SELECT count(*) FROM ref_holidays")[0][0] == 10
    assert env.sql("SELECT count(*) FROM ref_sla")[0][0] == 0
    # a kind that does not exist, a missing file: usage errors
    ossctl(env, "refdata", "import", "holiday", write(env, "x.csv", "date,name\n"), expect=2)
    ossctl(env, "refdata", "import", "sla", os.path.join(env.workdir, "missing.csv"), expect=2)


def calendar_lines(log):
    return re.findall(r"reference data: holidays (\S+) \((\d+) dates\), SLA (\S+) \((\d+) "
                      r"deadlines", log)


def test_running_ossd_takes_imports_on_sighup(env):
    d = env.daemon()
    assert calendar_lines(d.log_since_start()) == [(SEED_HOLIDAYS, "10", "statutory", "0")]

    hol = write(env, "h.csv", "date,name\n" + "".join("%s,Libur\n" % x for x in FIXED_DATES) +
                "2026-12-24,Cuti Bersama Natal\n2027-03-10,Hari Raya Idul Fitri\n")
    vh = imported_version(ossctl(env, "refdata", "import", "holidays", hol).stdout, "holidays")
    sla = write(env, "s.csv", "kbli,scale,working_days\n56102,,10\n10710,04,20\n")
    vs = imported_version(ossctl(env, "refdata", "import", "sla", sla).stdout, "sla")
    # not yet: the running daemon keeps what it loaded until it is told
    assert len(calendar_lines(d.log_since_start())) == 1

    d.proc.send_signal(signal.SIGHUP)
    harness.wait_for(lambda: "reloaded:" in d.log_since_start(), 60, "the reload")
    assert calendar_lines(d.log_since_start())[-1] == (vh, "12", vs, "2"), \
        d.log_since_start()[-3000:]

    # an import with --no-activate changes nothing at the next reload
    ossctl(env, "refdata", "import", "holidays", write(env, "h2.csv", "date,name\n2030-01-01,x\n"),
           "--no-activate")
    n = d.log_since_start().count("reloaded:")
    d.proc.send_signal(signal.SIGHUP)
    harness.wait_for(lambda: d.log_since_start().count("reloaded:") > n, 60, "the second reload")
    assert calendar_lines(d.log_since_start())[-1] == (vh, "12", vs, "2")
    assert d.alive()


def test_refdata_unit_tests_against_postgresql(env):
    """tests/unit/test_refdata.c's PostgreSQL part (skipped by `make unit`, which has no
    database) on this test's migrated database; it rolls back whatever it changes."""
    binary = os.path.join(harness.BUILD, "tests", "test_refdata")
    if not os.path.exists(binary):
        subprocess.run(["make", "-C", harness.REPO, "build/tests/test_refdata"], check=True,
                       capture_output=True, timeout=600)
    r = subprocess.run([binary], capture_output=True, text=True, timeout=300,
                       env=dict(os.environ, OSSD_TEST_PG_URL=env.pg_url, OSSD_SRCDIR=harness.REPO))
    out = r.stdout + r.stderr
    assert r.returncode == 0, out
    assert "[       OK ] test_load_pg" in out, out
    assert active(env, "holidays") == SEED_HOLIDAYS  # left as found
