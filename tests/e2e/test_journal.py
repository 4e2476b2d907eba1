"""Logging to journald: ossd's native fields reach a private systemd-journald
and read back with journalctl; no full NIK in any entry at any level.

systemd-journald runs without systemd as PID 1: in a private mount namespace
(unshare -m) a tmpfs covers /run, its sockets are bind-mounted from a test
folder and its runtime journal goes to another one; /var/log/journal (if
any) is covered too, so nothing reaches the host's journal. ossd runs in its
own mount namespace where /run/systemd/journal is that socket folder, so
sd_journal_send() finds the private journald at its usual path."""
import json
import os
import shlex
import shutil
import subprocess

import pytest

import harness
import sample

JOURNALD = next((p for p in ("/lib/systemd/systemd-journald", "/usr/lib/systemd/systemd-journald")
                 if os.path.exists(p)), None)

JOURNALD_CONF = """\
[Journal]
Storage=volatile
ReadKMsg=no
ForwardToSyslog=no
ForwardToWall=no
RateLimitBurst=0
"""


def missing():
    if os.geteuid() != 0:
        return "needs root (mount namespaces)"
    if not JOURNALD:
        return "systemd-journald is not installed (deploy/deps.sh installs systemd)"
    for tool in ("unshare", "journalctl"):
        if not shutil.which(tool):
            return tool + " is missing"
    if not os.path.isdir("/run/systemd"):
        return "no /run/systemd to cover in ossd's namespace"
    r = subprocess.run(["unshare", "-m", "--propagation", "private", "true"],
                       capture_output=True, text=True)
    if r.returncode != 0:
        return "cannot create a mount namespace here: " + r.stderr.strip()
    return None


REASON = missing()
pytestmark = pytest.mark.skipif(REASON is not None, reason=REASON or "")


class Journald:
    """A private systemd-journald; entries are read back with journalctl."""

    def __init__(self, workdir):
        self.sock = os.path.join(workdir, "journal-sock")
        self.store = os.path.join(workdir, "journal-store")
        os.makedirs(self.sock)
        os.makedirs(self.store)
        conf = os.path.join(workdir, "journald.conf")
        with open(conf, "w") as f:
            f.write(JOURNALD_CONF)
        q = shlex.quote
        script = ["set -e",
                  "mount -t tmpfs -o mode=0755 tmpfs /run",
                  "mkdir -p /run/systemd/journal /run/log",
                  "mount --bind %s /run/systemd/journal" % q(self.sock),
                  "mount --bind %s /run/log" % q(self.store),
                  "if [ -d /var/log/journal ]; then mount -t tmpfs tmpfs /var/log/journal; fi",
                  "if [ -f /etc/systemd/journald.conf ]; then "
                  "mount --bind %s /etc/systemd/journald.conf; fi" % q(conf),
                  "exec %s" % JOURNALD]
        self.log = open(os.path.join(workdir, "journald.log"), "w")
        self.proc = subprocess.Popen(["unshare", "-m", "--propagation", "private", "sh", "-c",
                                      "\n".join(script)], stdout=self.log,
                                     stderr=subprocess.STDOUT)
        harness.wait_for(lambda: os.path.exists(os.path.join(self.sock, "socket"))
                         or self.proc.poll() is not None, 10, "journald's socket")
        assert self.proc.poll() is None, "journald exited: " + open(self.log.name).read()

    def wrapper(self, workdir):
        """A script that runs build/ossd with this journald at the usual path."""
        path = os.path.join(workdir, "ossd-in-journal-ns")
        inner = ('mount -t tmpfs -o mode=0755 tmpfs /run/systemd && '
                 'mkdir /run/systemd/journal && mount --bind "$0" /run/systemd/journal && '
                 'exec "$@"')
        with open(path, "w") as f:
            f.write("#!/bin/sh\nexec unshare -m --propagation private sh -c %s %s %s \"$@\"\n"
                    % (shlex.quote(inner), shlex.quote(self.sock), shlex.quote(harness.OSSD)))
        os.chmod(path, 0o755)
        return path

    def entries(self, *matches):
        r = subprocess.run(["journalctl", "--directory", os.path.join(self.store, "journal"),
                            "-o", "json", "--no-pager", "--all", *matches],
                           capture_output=True, text=True, timeout=30)
        assert r.returncode == 0, r.stderr
        return [json.loads(line) for line in r.stdout.splitlines() if line.strip()]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)
        self.log.close()


@pytest.fixture
def journald(env):
    j = Journald(env.workdir)
    yield j
    j.stop()


def test_fields_in_the_journal_and_no_nik(env, journald, monkeypatch):
    monkeypatch.setattr(harness, "OSSD", journald.wrapper(env.workdir))
    d = env.daemon(start=False, extra_ossd="stats_interval_s = 1")
    d.start(wait=False, args=["--log-target", "journal", "--log-level", "debug"])
    ossd = "SYSLOG_IDENTIFIER=ossd"
    harness.wait_for(lambda: any("started" in e["MESSAGE"] for e in journald.entries(ossd))
                     or not d.alive(), 60, "ossd's start in the journal")
    assert d.alive(), d.log()

    good = sample.Generator(seed=11, invalid_ratio=0).valid()
    good["submission_id"] = "journal-ok-1"
    nik = good["applicant"]["nik"]
    assert len(nik) == 16 and nik.isdigit()
    # malformed: the parser stops inside the NIK (a truncated message)
    broken = sample.encode(good).replace(b'"journal-ok-1"', b'"journal-bad-1"')
    broken = broken[:broken.index(nik.encode()) + len(nik)]
    env.produce([(b"j-ok", sample.encode(good)), (b"j-bad", broken)])

    sid = harness.wait_for(lambda: journald.entries(ossd, "SUBMISSION_ID=journal-ok-1"), 60,
                           "the decision in the journal")[0]
    assert "issued" in sid["MESSAGE"] and sid["PRIORITY"] == "7"
    assert sid["KAFKA_TOPIC"] == harness.TOPICS[0]
    assert int(sid["KAFKA_PARTITION"]) >= 0 and int(sid["KAFKA_OFFSET"]) >= 0

    dead = harness.wait_for(lambda: journald.entries(ossd, "ERROR_CODE=PARSE_ERROR"), 60,
                            "the dead letter in the journal")[0]
    assert dead["PRIORITY"] == "4"
    assert dead["KAFKA_TOPIC"] == harness.TOPICS[0]
    assert int(dead["KAFKA_OFFSET"]) >= 0 and int(dead["KAFKA_PARTITION"]) >= 0
    assert "dead letter PARSE_ERROR" in dead["MESSAGE"]

    # the periodic stats entry, with its figures as fields
    stats = harness.wait_for(lambda: journald.entries(ossd, "STATS_ISSUED=1",
                                                      "STATS_DEAD_LETTERS=1"), 30,
                             "a stats entry after the decision")[-1]
    for f in ("STATS_REJECTED", "STATS_DUPLICATES", "STATS_BATCHES", "STATS_LAG",
              "STATS_OUTBOX_BACKLOG", "STATS_RETRIES"):
        assert f in stats, f
    # the recipes of ossd(8): the last stats entry, the codes seen
    last = journald.entries(ossd, "-g", "^stats:", "-n", "1")
    assert len(last) == 1 and "STATS_ISSUED" in last[0]
    r = subprocess.run(["journalctl", "--directory", os.path.join(journald.store, "journal"),
                        "-F", "ERROR_CODE"], capture_output=True, text=True, timeout=30)
    assert r.stdout.split() == ["PARSE_ERROR"], r.stdout + r.stderr
    assert d.stop() == 0
    stopped = journald.entries(ossd)
    assert any(e["MESSAGE"].startswith("stopped:") for e in stopped)
    # every entry went to the journal: nothing fell back to stderr
    assert "issued" not in d.log() and "dead letter" not in d.log()

    # no full NIK in any field of any entry, at any level
    leaks = [e for e in stopped if any(nik in str(v) for v in e.values())]
    assert not leaks, leaks
