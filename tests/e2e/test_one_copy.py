"""Facts kept in one place: the benchmark's raw consumer (ossd-rawcopy) consumes with ossd's own
librdkafka configuration whether or not it is given ossd's config file, and the KBLI codes and
risk levels the tests and the load generator use are the shipped seed's."""
import os
import subprocess

import harness
import sample

RAWCOPY = os.path.join(harness.BUILD, "ossd-rawcopy")
# What rawcopy sets on purpose on top of ossd's consumer conf (a group that never joins) and
# what differs with the config file by construction (its brokers).
OWN = {"client.id", "group.id", "enable.auto.commit", "bootstrap.servers", "metadata.broker.list"}


def rawcopy_conf(*args):
    r = subprocess.run([RAWCOPY, "--print-conf", *args], capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0, r.stderr
    return dict(line.split("=", 1) for line in r.stdout.splitlines() if "=" in line)


def test_rawcopy_consumes_with_ossds_defaults_without_a_config_file(tmp_path):
    conf = tmp_path / "ossd.conf"
    conf.write_text("[postgres]\nurl = dbname=none\n[kafka]\nbootstrap.servers = 127.0.0.1:1\n")
    with_cfg = rawcopy_conf("--config", str(conf))
    without = rawcopy_conf("--brokers", "127.0.0.1:1", "--pg-url", "dbname=none")
    # ossd's own defaults (daemon/kafkaconf.c), as ossd runs with an empty [kafka.consumer]
    assert with_cfg["fetch.max.bytes"] == "1048576"
    assert with_cfg["fetch.wait.max.ms"] == "25"
    drift = {k: (without.get(k), v) for k, v in with_cfg.items()
             if k not in OWN and not v.startswith("0x") and without.get(k) != v}  # 0x: callbacks
    assert not drift, "rawcopy without --config drifts from ossd's consumer conf: %r" % drift


SEED_CODES = set(sample.RISK)


def test_the_sector_mix_names_only_seed_codes_and_the_build_refuses_others(tmp_path):
    codes = [c for _w, cs in sample.SECTORS.values() for c in cs]
    assert codes and set(codes) <= SEED_CODES, set(codes) - SEED_CODES
    assert sample.RISK["14120"] == "R" and sample.RISK["47721"] == "T"  # read from the seed SQL
    bad = tmp_path / "sectors.tsv"
    bad.write_text("services\t920\t12345\tPenjahit\tJahit\n")
    r = subprocess.run(["awk", "-F\t", "-f", os.path.join(harness.REPO, "tools", "loadgen_kbli.awk"),
                        sample.SEED_SQL, str(bad)], capture_output=True, text=True, timeout=60)
    assert r.returncode != 0 and "KBLI 12345 is not in the seed" in r.stderr, r


def test_no_hand_copy_of_the_seed_kbli_table_in_loadgen_or_sample():
    """The tables are read from (sample.py) or generated from (loadgen) schemas/seed/sectors.tsv
    and the seed SQL: no source repeats a seed code as a literal."""
    found = {}
    for rel in ("tools/loadgen.c", "tools/loadgen_gen.c", "tests/pylib/sample.py"):
        path = os.path.join(harness.REPO, rel)
        if not os.path.exists(path):
            continue
        text = open(path, encoding="utf-8").read()
        hits = sorted(c for c in SEED_CODES if '"%s"' % c in text)
        if hits:
            found[rel] = hits
    assert not found, "hand copies of seed KBLI codes: %r" % found


def test_the_tools_connect_to_postgresql_as_ossd_does_bounded_in_time():
    """ossctl and ossd-rawcopy open their PostgreSQL connections with ossd's helper
    (daemon/pgconn.c): against a server that accepts and never answers they give up after the
    connect timeout instead of hanging, with libpq's message whole."""
    from test_watchdog import BlackHole

    hole = BlackHole()
    try:
        url = "postgresql://ossd@127.0.0.1:%d/ossd" % hole.port
        for argv in ([harness.OSSCTL, "--pg-url", url, "status"],
                     [harness.OSSCTL, "--pg-url", url, "refdata", "list"],
                     [harness.OSSCTL, "--pg-url", url, "sla", "due"],
                     [RAWCOPY, "--pg-url", url, "--brokers", "127.0.0.1:1", "-n", "1"]):
            r = subprocess.run(argv, capture_output=True, text=True, timeout=120)
            assert r.returncode != 0, (argv, r.stdout)
            assert "timeout" in r.stderr.lower(), (argv, r.stderr)
    finally:
        hole.close()
