"""What operators' tools read: the Prometheus alerting rules (promtool check and unit tests),
the Grafana dashboard and the rules on exactly the metric names a running ossd exports, and
the journald message catalog (a MESSAGE_ID on each entry an operator acts on, explained by
`journalctl -x` once the catalog is compiled)."""
import json
import os
import re
import shutil
import signal
import subprocess

import pytest
import yaml

import harness
import sample
from test_journal import REASON as JOURNAL_MISSING
from test_journal import Journald
from test_metrics import scrape

REPO = harness.REPO
RULES = os.path.join(REPO, "deploy", "prometheus", "ossd.rules.yml")
RULES_TEST = os.path.join(REPO, "deploy", "prometheus", "ossd.rules.test.yml")
DASHBOARD = os.path.join(REPO, "deploy", "grafana", "ossd.json")
CATALOG = os.path.join(REPO, "systemd", "ossd.catalog")
METRIC = re.compile(r"\bossd_[a-z0-9_]+\b")


def promtool():
    if not shutil.which("promtool"):
        pytest.skip("promtool is missing (deploy/deps.sh installs the prometheus package)")
    return "promtool"


def test_promtool_checks_the_rules():
    r = subprocess.run([promtool(), "check", "rules", RULES], capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "SUCCESS: 6 rules found" in r.stdout, r.stdout


def test_promtool_unit_tests_of_the_rules():
    r = subprocess.run([promtool(), "test", "rules", os.path.basename(RULES_TEST)],
                       cwd=os.path.dirname(RULES_TEST), capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    # every alert of the rules has a test
    alerts = {r["alert"] for g in yaml.safe_load(open(RULES))["groups"] for r in g["rules"]}
    tested = {t["alertname"] for case in yaml.safe_load(open(RULES_TEST))["tests"]
              for t in case["alert_rule_test"]}
    assert alerts == tested, alerts ^ tested


def dashboard_expressions():
    dash = json.load(open(DASHBOARD))
    exprs = []
    for p in dash["panels"]:
        for t in p.get("targets", []):
            exprs.append((p["title"], t["expr"]))
    for v in dash["templating"]["list"]:
        exprs.append(("$" + v["name"], v["definition"]))
    return dash, exprs


def rules_expressions():
    return [(r["alert"], r["expr"]) for g in yaml.safe_load(open(RULES))["groups"]
            for r in g["rules"]]


def test_dashboard_and_rules_use_exactly_the_exported_metrics(env):
    """Scrapes a running ossd: every metric name in an expression of the dashboard or of the
    rules (and in the rules' texts) is exported; every exported family is on the dashboard."""
    port = harness.free_port()
    d = env.daemon(extra_ossd="metrics_listen = 127.0.0.1:%d" % port)
    gen = sample.Generator(seed=5, invalid_ratio=0)
    ok, bad = gen.valid(), gen.valid()
    bad["business"]["activities"][0]["kbli"] = "99999"  # a rejection, with its reason code
    env.produce([(sample.key_of(s), sample.encode(s)) for s in (ok, bad)] +
                [(b"eco-bad", b"{not json")])
    env.wait_decided(2)

    def complete():
        f, types = scrape(port)
        names = {n for n, _ in f}
        want = ("ossd_consumer_lag", "ossd_outbox_backlog", "ossd_dead_letters_total",
                "ossd_rejections_by_reason_total")
        return (names, types) if all(w in names for w in want) else None
    names, types = harness.wait_for(complete, 60, "every metric family in /metrics")
    assert d.alive()

    dash, dexprs = dashboard_expressions()
    problems = []
    for where, expr in dexprs + rules_expressions():
        used = set(METRIC.findall(expr))
        if not used:
            problems.append("%s: no ossd metric in %r" % (where, expr))
        problems += ["%s: %s is not exported" % (where, n) for n in used - names]
    texts = open(RULES).read()
    problems += ["rules: %s is not exported" % n  # a histogram's family name in a text
                 for n in set(METRIC.findall(texts)) - names - set(types)]
    assert not problems, problems
    on_dashboard = set(METRIC.findall(json.dumps(dash)))
    for family, kind in types.items():
        if kind == "histogram":
            assert {family + "_bucket", family + "_count"} & on_dashboard, family
        else:
            assert family in on_dashboard, "%s is not on the dashboard" % family


def message_ids():
    """LOG_MSG_* of daemon/log.h: name -> 32 hex digits."""
    src = open(os.path.join(REPO, "daemon", "log.h")).read()
    ids = dict(re.findall(r'#define\s+(LOG_MSG_\w+)\s+"MESSAGE_ID=([0-9a-f]{32})"', src))
    assert len(ids) >= 7, ids
    assert len(set(ids.values())) == len(ids), "two messages share an id"
    return ids


def catalog_entries():
    return dict(re.findall(r"^-- ([0-9a-f]{32})\nSubject: (.+)$", open(CATALOG).read(), re.M))


def test_every_message_id_has_a_catalog_entry_and_a_call_site():
    ids = message_ids()
    entries = catalog_entries()
    assert set(entries) == set(ids.values())
    sources = ""
    for name in os.listdir(os.path.join(REPO, "daemon")):
        if name.endswith(".c"):
            sources += open(os.path.join(REPO, "daemon", name)).read()
    for name in ids:
        assert re.search(r"\b%s\b" % name, sources), "%s is logged nowhere" % name


def compiled_catalog(root):
    os.makedirs(os.path.join(root, "usr", "lib", "systemd", "catalog"))
    shutil.copy(CATALOG, os.path.join(root, "usr", "lib", "systemd", "catalog"))
    r = subprocess.run(["journalctl", "--root", root, "--update-catalog"], capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert os.path.exists(os.path.join(root, "var", "lib", "systemd", "catalog", "database"))


def test_journalctl_compiles_the_catalog_and_reads_an_entry_back(tmp_path):
    if not shutil.which("journalctl"):
        pytest.skip("journalctl is missing (deploy/deps.sh installs systemd)")
    root = str(tmp_path / "root")
    compiled_catalog(root)
    r = subprocess.run(["journalctl", "--root", root, "--list-catalog"], capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    listed = dict(re.findall(r"^([0-9a-f]{32}) (.+)$", r.stdout, re.M))
    for mid, subject in catalog_entries().items():
        assert listed.get(mid) == "ossd: " + subject, (mid, r.stdout)
    dead = message_ids()["LOG_MSG_DEAD_LETTER"]
    r = subprocess.run(["journalctl", "--root", root, "--dump-catalog", dead],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert "Subject: ossd dead-lettered a message (@ERROR_CODE@)" in r.stdout
    assert "ossctl dlq replay" in r.stdout


def test_message_ids_on_the_entries_an_operator_acts_on(env):
    """Through stderr (the fields follow the text): started, dead letter, broker down,
    reload refused, PostgreSQL down and up, stopped."""
    ids = message_ids()
    d = env.daemon()

    def seen(name, timeout=60):
        harness.wait_for(lambda: "MESSAGE_ID=" + ids[name] in d.log_since_start(), timeout,
                         name + " in the log")
        return [ln for ln in d.log_since_start().splitlines() if ids[name] in ln]

    assert "started:" in seen("LOG_MSG_STARTED")[0]
    env.produce([(b"eco-dead", b"[1, 2]")])
    line = seen("LOG_MSG_DEAD_LETTER")[0]
    assert "dead letter NOT_AN_OBJECT" in line and "ERROR_CODE=NOT_AN_OBJECT" in line

    # the mock broker's down() closes every connection at once; a stopped Apache Kafka node
    # is reported by librdkafka in other words and later, so the lane checks it on the mock only
    if not harness.APACHE:
        env.broker.down()
        try:
            assert "brokers are down" in seen("LOG_MSG_BROKER_DOWN", timeout=120)[0]
        finally:
            env.broker.up()

    with open(d.conf, "a") as f:
        f.write("\n[ossd]\nno_such_key = 1\n")
    d.proc.send_signal(signal.SIGHUP)
    assert "reload failed" in seen("LOG_MSG_RELOAD_REFUSED")[0]

    env.stack.devstack("stop", "pg")
    try:
        env.produce([(b"eco-wait", sample.encode(sample.Generator(seed=6).valid()))])
        assert "PostgreSQL unavailable" in seen("LOG_MSG_PG_DOWN", timeout=120)[0]
    finally:
        env.stack.devstack("start", "pg")
    assert "available again" in seen("LOG_MSG_PG_UP", timeout=120)[0]
    assert d.alive()
    assert d.stop() == 0
    with open(d.log_path) as f:
        assert "MESSAGE_ID=" + ids["LOG_MSG_STOPPED"] in f.read()


@pytest.mark.skipif(JOURNAL_MISSING is not None, reason=JOURNAL_MISSING or "")
def test_journalctl_x_explains_an_entry(env, monkeypatch):
    """A private journald (tests/e2e/test_journal.py): the dead-letter entry carries its
    MESSAGE_ID, and `journalctl -x` on a root with the compiled catalog explains it."""
    journald = Journald(env.workdir)
    try:
        monkeypatch.setattr(harness, "OSSD", journald.wrapper(env.workdir))
        d = env.daemon(start=False)
        d.start(wait=False, args=["--log-target", "journal"])
        dead = message_ids()["LOG_MSG_DEAD_LETTER"]
        harness.wait_for(lambda: journald.entries("MESSAGE_ID=" + message_ids()["LOG_MSG_STARTED"])
                         or not d.alive(), 60, "ossd's start in the journal")
        assert d.alive(), d.log()
        env.produce([(b"eco-j", b"\"a string\"")])
        e = harness.wait_for(lambda: journald.entries("MESSAGE_ID=" + dead), 60,
                             "the dead letter in the journal")[0]
        assert e["ERROR_CODE"] == "NOT_AN_OBJECT"
        assert d.stop() == 0
    finally:
        journald.stop()
    # journalctl -x reads /var/lib/systemd/catalog/database whatever the journal it reads:
    # in a private mount namespace, the database compiled in a private root covers it
    root = os.path.join(env.workdir, "root")
    compiled_catalog(root)
    script = ('mkdir -p /var/lib/systemd/catalog && '
              'mount --bind "$0" /var/lib/systemd/catalog && exec "$@"')
    r = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c", script,
                        os.path.join(root, "var", "lib", "systemd", "catalog"),
                        "journalctl", "--directory", os.path.join(journald.store, "journal"),
                        "-x", "--no-pager", "MESSAGE_ID=" + dead],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert "dead letter NOT_AN_OBJECT" in r.stdout, r.stdout
    assert "Subject: ossd dead-lettered a message (NOT_AN_OBJECT)" in r.stdout, r.stdout
    assert "ossctl dlq list --code" in r.stdout and "NOT_AN_OBJECT" in r.stdout, r.stdout


def package_gate():
    if not (os.environ.get("CI") == "true" or os.environ.get("OSSD_TEST_PACKAGE") == "1"):
        return "builds the Debian package: runs in CI (CI=true) or with OSSD_TEST_PACKAGE=1"
    for tool in ("dpkg-buildpackage", "dh", "lintian", "git"):
        if not shutil.which(tool):
            return "%s is missing (deploy/deps.sh installs it)" % tool
    return None


def test_deb_is_lintian_clean_and_ships_the_ecosystem_files():
    """`make deb`, then lintian: no error and no warning (overrides, if any, carry a reason);
    the package holds the AsyncAPI document, the rules, the dashboard, the catalog, docs/."""
    reason = package_gate()
    if reason:
        pytest.skip(reason)
    r = subprocess.run(["make", "--no-print-directory", "deb"], cwd=REPO, capture_output=True,
                       text=True, timeout=1800)
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-4000:]
    deb = r.stdout.strip().splitlines()[-1]
    deb = deb if os.path.isabs(deb) else os.path.join(REPO, deb)
    lint = subprocess.run(["lintian", "--pedantic", "--display-info", deb], capture_output=True,
                          text=True, timeout=900)
    tags = [ln for ln in lint.stdout.splitlines() if re.match(r"^[EW]: ", ln)]
    assert not tags, lint.stdout
    assert lint.returncode == 0, lint.stdout + lint.stderr
    files = subprocess.run(["dpkg-deb", "-c", deb], capture_output=True, text=True,
                           check=True).stdout
    for path in ("./usr/share/ossd/asyncapi.yaml", "./usr/share/ossd/submission.v1.json",
                 "./usr/share/ossd/events/issued.v1.json",
                 "./usr/share/ossd/prometheus/ossd.rules.yml",
                 "./usr/share/ossd/grafana/ossd.json", "./usr/lib/systemd/catalog/ossd.catalog",
                 "./usr/share/doc/ossd/copyright", "./usr/share/doc/ossd/README.md",
                 "./usr/share/doc/ossd/docs/"):
        assert re.search(r" %s(\.gz)?$" % re.escape(path), files, re.M), path
