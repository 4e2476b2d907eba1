"""The example external handler handlers/examples/localreg (build/handlers/localreg.so): loaded
by the real daemon from plugin_dir, it rejects KBLI codes closed by local regulation in the
configured regions with its own reason code and lets the same codes through elsewhere; and
`ossd --check-config` refuses its unknown keys, malformed rules and a plugin built for another
ABI version, with clear messages."""
import json
import os
import subprocess
import tempfile

import pytest

import harness
import oracle
from oracle import encode, submission

CHAIN = "identity, region, kbli, activity, scale, risk, localreg"
PLUGIN = os.path.join(harness.BUILD, "handlers", "localreg.so")
HEADER_DIR = os.path.join(harness.REPO, "handlers")


def decide(env, subs):
    """Produces the submissions (one key: in order) and returns {submission_id: event data}."""
    col = env.collector(harness.TOPICS[1])
    env.produce([(b"localreg", encode(s)) for s in subs])
    msgs = col.wait(lambda m: len({json.loads(x.value())["data"]["submission_id"]
                                   for x in m}) >= len(subs), 60, "%d events" % len(subs))
    out = {}
    for m in msgs:
        ev = json.loads(m.value())
        out[ev["data"]["submission_id"]] = ev
    return out


def reasons(ev):
    return [(r["code"], r["path"]) for r in ev["data"]["reasons"]]


def test_localreg_rejects_the_configured_combinations(env):
    # a district outside Kota Semarang (Kedungreja, Kabupaten Cilacap), so that 47221 has a
    # known "elsewhere" with the shipped seed
    env.sql("INSERT INTO ref_regions (version, code, name) "
            "VALUES ('kemendagri-2025', '33.01.01', 'Kedungreja')")
    d = env.daemon(handlers=CHAIN, extra="[handler.localreg]\n"
                   "rules = 47221@33.74, 11010@33.74.10 ,20292@33.74\n")
    subs = [
        submission("lr-closed-regency", serial=1, kblis=["47221"], location="33.74.01"),
        submission("lr-open-elsewhere", serial=2, kblis=["47221"], location="33.01.01"),
        submission("lr-closed-district-village", serial=3, kblis=["11010"],
                   location="33.74.10.1005"),
        submission("lr-open-other-district", serial=4, kblis=["11010"], location="33.74.11"),
        submission("lr-second-activity", serial=5, kblis=["56102", "20292", "47112"],
                   location="33.74.02"),
        submission("lr-with-other-reasons", serial=6, kblis=["99999", "47221"],
                   location="33.74.03"),
        submission("lr-home-does-not-matter", serial=7, home="33.74.05", kblis=["47221"],
                   location="33.01.01"),
    ]
    subs[5]["applicant"]["gender"] = "F"  # NIK_MISMATCH as well
    evs = decide(env, subs)

    def is_rejected(sid, want):
        ev = evs[sid]
        assert ev["type"].endswith("rejected.v1"), (sid, ev["data"])
        assert reasons(ev) == want, sid
        for r in ev["data"]["reasons"]:
            if r["code"] == "LOCAL_REGULATION":
                assert "local regulation" in r["message"]

    def is_issued(sid, kblis):
        ev = evs[sid]
        assert ev["type"].endswith("issued.v1"), (sid, ev["data"])
        assert [a["kbli"] for a in ev["data"]["activities"]] == kblis

    is_rejected("lr-closed-regency", [("LOCAL_REGULATION", "/business/activities/0/kbli")])
    is_issued("lr-open-elsewhere", ["47221"])
    assert evs["lr-open-elsewhere"]["data"]["authority"] == "33.01"
    assert evs["lr-open-elsewhere"]["data"]["activities"][0]["permit"] == "IZIN"
    is_rejected("lr-closed-district-village",
                [("LOCAL_REGULATION", "/business/activities/0/kbli")])
    is_issued("lr-open-other-district", ["11010"])
    is_rejected("lr-second-activity", [("LOCAL_REGULATION", "/business/activities/1/kbli")])
    # the built-in reasons first (docs/rules.md order), the plugin's after them
    is_rejected("lr-with-other-reasons", [("NIK_MISMATCH", "/applicant/gender"),
                                          ("KBLI_UNKNOWN", "/business/activities/0/kbli"),
                                          ("LOCAL_REGULATION", "/business/activities/1/kbli")])
    is_issued("lr-home-does-not-matter", ["47221"])
    # the rejected events still match their schema (plugins may add codes)
    with tempfile.TemporaryDirectory() as tmp:
        files = []
        for sid, ev in evs.items():
            if ev["type"].endswith("rejected.v1"):
                p = os.path.join(tmp, sid + ".json")
                with open(p, "w") as f:
                    json.dump(ev, f)
                files.append(p)
        r = subprocess.run([harness.OSSCTL, "validate", "--schema",
                            os.path.join(harness.REPO, "schemas", "events", "rejected.v1.json"),
                            *files], capture_output=True, text=True)
        assert r.returncode == 0, r.stdout + r.stderr
    assert d.alive()


def test_localreg_reason_code_is_configurable(env):
    env.daemon(handlers=CHAIN, extra="[handler.localreg]\nrules = 47221@33.74\n"
               "code = PERDA_TUTUP\n")
    evs = decide(env, [submission("lr-code", kblis=["56102", "47221"], location="33.74.16")])
    assert reasons(evs["lr-code"]) == [("PERDA_TUTUP", "/business/activities/1/kbli")]


# ---- --check-config ------------------------------------------------------------------------

def check_config(tmp, handlers=CHAIN, section="[handler.localreg]\nrules = 47221@33.74\n",
                 plugin_dir=None):
    conf = os.path.join(tmp, "ossd.conf")
    with open(conf, "w") as f:
        f.write("[ossd]\ndatadir = %s/schemas\n[postgres]\nurl = postgresql:///nowhere\n"
                "[kafka]\nbootstrap.servers = 127.0.0.1:1\n[pipeline]\nhandlers = %s\n"
                "plugin_dir = %s\n%s" % (harness.REPO, handlers,
                                         plugin_dir or os.path.dirname(PLUGIN), section))
    os.chmod(conf, 0o600)
    r = subprocess.run([harness.OSSD, "--config", conf, "--check-config"],
                       capture_output=True, text=True, timeout=30)
    return r.returncode, r.stdout + r.stderr, conf


@pytest.fixture
def tmp():
    with tempfile.TemporaryDirectory(prefix="ossd-plugin-") as d:
        yield d


def test_check_config_accepts_the_plugin(tmp):
    assert os.path.exists(PLUGIN), "make builds build/handlers/localreg.so"
    rc, out, _ = check_config(tmp, section="[handler.localreg]\n"
                              "rules = 47221@33.74 , 11010@33.74.10,20292@33.74\n"
                              "code = LOCAL_REGULATION_2\n")
    assert rc == 0, out
    assert "configuration OK (7 handler(s))" in out


def test_check_config_refuses_an_unknown_key(tmp):
    rc, out, conf = check_config(tmp, section="[handler.localreg]\nrules = 47221@33.74\n"
                                 "regions = 33.74\n")
    assert rc == 1
    assert "handler localreg has no setting 'regions'" in out, out
    assert conf + ":" in out, "the message names the file and line: " + out


@pytest.mark.parametrize("rules,message", [
    ("4722@33.74", "rules: entry 1 \"4722@33.74\": the KBLI code must be 5 digits"),
    ("47221@33.74, 1101O@33.74",
     "rules: entry 2 \"1101O@33.74\": the KBLI code must be 5 digits"),
    ("47221-33.74", "rules: entry 1 \"47221-33.74\" is not KBLI@REGION"),
    ("47221@3374", "rules: entry 1 \"47221@3374\": the region must be a regency/city NN.NN"),
    ("47221@33", "the region must be a regency/city NN.NN or a district NN.NN.NN"),
    ("47221@33.74.10.1005", "the region must be a regency/city NN.NN or a district NN.NN.NN"),
    ("47221@33.74,", "rules: entry 2 is empty"),
    ("47221@33.74,,11010@33.74", "rules: entry 2 is empty"),
    ("47221@33.74 11010@33.74", "the region must be"),
])
def test_check_config_refuses_a_malformed_rule(tmp, rules, message):
    rc, out, _ = check_config(tmp, section="[handler.localreg]\nrules = %s\n" % rules)
    assert rc == 1, out
    assert "handler localreg: rules: entry " in out and message in out, out


def test_check_config_refuses_a_bad_code_and_missing_rules(tmp):
    rc, out, _ = check_config(tmp, section="[handler.localreg]\nrules = 47221@33.74\n"
                              "code = local-regulation\n")
    assert rc == 1 and "handler localreg: code:" in out, out
    rc, out, _ = check_config(tmp, section="")
    assert rc == 1 and "handler localreg: rules: required" in out, out


TINY = r"""
#include "ossd_handler.h"
static enum ossd_result tiny_process(void *i, const struct ossd_ctx *c,
                                     const struct ossd_submission *s, struct ossd_decision *d)
{ (void)i; (void)c; (void)s; (void)d; return OSSD_OK; }
static const struct ossd_config_key keys[] = {{NULL, NULL, NULL}};
static const struct ossd_handler_type t = {
    .abi_version = %(abi)d, .name = "%(name)s", .description = "test", .config_keys = keys,
    .process = tiny_process,
};
const struct ossd_handler_type *%(sym)s(void);
const struct ossd_handler_type *%(sym)s(void) { return &t; }
"""


def build_tiny(tmp, name, abi=1, sym="ossd_handler_entry"):
    src = os.path.join(tmp, name + ".c")
    with open(src, "w") as f:
        f.write(TINY % {"abi": abi, "name": name, "sym": sym})
    r = subprocess.run(["gcc", "-std=c11", "-Wall", "-Werror", "-fPIC", "-shared",
                        "-I", HEADER_DIR, "-o", os.path.join(tmp, name + ".so"), src],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def test_check_config_refuses_another_abi_version(tmp):
    build_tiny(tmp, "tiny")
    rc, out, _ = check_config(tmp, handlers="identity, tiny", section="", plugin_dir=tmp)
    assert rc == 0, out  # the same tiny handler at the right version loads
    build_tiny(tmp, "abi999", abi=999)
    rc, out, _ = check_config(tmp, handlers="identity, abi999", section="", plugin_dir=tmp)
    assert rc == 1
    assert "handler 'abi999': ABI version 999, ossd needs 1" in out, out


def test_check_config_refuses_a_plugin_without_entry_or_file(tmp):
    build_tiny(tmp, "noentry", sym="something_else")
    rc, out, _ = check_config(tmp, handlers="identity, noentry", section="", plugin_dir=tmp)
    assert rc == 1 and "exports no ossd_handler_entry" in out, out
    rc, out, _ = check_config(tmp, handlers="identity, missing", section="", plugin_dir=tmp)
    assert rc == 1 and "handler 'missing'" in out and "missing.so" in out, out


def test_localreg_section_needs_the_handler_in_the_chain(tmp):
    rc, out, _ = check_config(tmp, handlers="identity, region")
    assert rc == 1
    assert "[handler.localreg] names a handler that is not in [pipeline] handlers" in out, out


def test_oracle_and_localreg_agree_on_the_seed():
    """localreg adds reasons only; without rules that apply, decisions are the oracle's."""
    o = oracle.Oracle()
    out = o.feed(encode(submission("lr-oracle", kblis=["47221"], location="33.74.01")))
    assert out.kind == "issued" and out.activities[0][2] == "T"
