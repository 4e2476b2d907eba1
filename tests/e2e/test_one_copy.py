"""Facts kept in one place: the benchmark's raw consumer (ossd-rawcopy) consumes with ossd's own
librdkafka configuration whether or not it is given ossd's config file, and the KBLI codes and
risk levels the tests and the load generator use are the shipped seed's."""
import os
import subprocess

import harness

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
