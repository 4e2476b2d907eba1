"""The example external handler handlers/examples/localreg (build/handlers/localreg.so): loaded
by the real daemon from plugin_dir, it rejects KBLI codes closed by local regulation in the
configured regions with its own reason code and lets the same codes through elsewhere; and
`ossd --check-config` refuses its unknown keys, badly typed values, malformed rules and a plugin
built for another ABI version (ABI 1 included), with clear messages. Two instances of the type
([handler.ID] type = localreg) run in one chain with their own configuration, and the example
builds out of the tree against include/ossd/ alone."""
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
HEADER_DIR = os.path.join(harness.REPO, "include")


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
    ("47221@33.74 11010@33.74", "the region must be"),
])
def test_check_config_refuses_a_malformed_rule(tmp, rules, message):
    rc, out, _ = check_config(tmp, section="[handler.localreg]\nrules = %s\n" % rules)
    assert rc == 1, out
    assert "handler localreg: rules: entry " in out and message in out, out


@pytest.mark.parametrize("rules", ["47221@33.74,", "47221@33.74,,11010@33.74"])
def test_check_config_refuses_an_empty_list_entry(tmp, rules):
    """ossd splits a list key (rules is one) and refuses an empty entry, naming the key."""
    rc, out, conf = check_config(tmp, section="[handler.localreg]\nrules = %s\n" % rules)
    assert rc == 1, out
    assert "handler localreg: key 'rules': entry 2 is empty" in out, out
    assert conf + ":" in out, "the message names the file and line: " + out


@pytest.mark.parametrize("value,message", [
    ("maybe", "key 'log_matches': \"maybe\" is not a boolean"),
    ("", "key 'log_matches': \"\" is not a boolean"),
])
def test_check_config_refuses_a_badly_typed_key(tmp, value, message):
    rc, out, conf = check_config(tmp, section="[handler.localreg]\nrules = 47221@33.74\n"
                                 "log_matches = %s\n" % value)
    assert rc == 1, out
    assert "handler localreg: " + message in out, out
    assert conf + ":12:" in out, "the message names the file and the line: " + out
    rc, out, _ = check_config(tmp, section="[handler.localreg]\nrules = 47221@33.74\n"
                              "log_matches = yes\n")
    assert rc == 0, out


def test_check_config_refuses_a_bad_code_and_missing_rules(tmp):
    rc, out, _ = check_config(tmp, section="[handler.localreg]\nrules = 47221@33.74\n"
                              "code = local-regulation\n")
    assert rc == 1 and "handler localreg: code:" in out, out
    rc, out, _ = check_config(tmp, section="")
    assert rc == 1 and "handler localreg: key 'rules' is required" in out, out


TINY = r"""
#include <ossd/handler.h>
static enum ossd_result tiny_process(void *i, const struct ossd_ctx *c,
                                     const struct ossd_submission *s, struct ossd_decision *d)
{ (void)i; (void)c; (void)s; (void)d; return OSSD_OK; }
static const struct ossd_handler_type t = {
    OSSD_HANDLER_TYPE_HEADER, .name = "%(name)s", .description = "test",
    .process = tiny_process, %(extra)s
};
const struct ossd_handler_type *%(sym)s(void);
const struct ossd_handler_type *%(sym)s(void) { return &t; }
"""

# A plugin of handler ABI 1 (the layout ossd 0.1 compiled into plugins: an int version first,
# no size, no spare slots), which ABI 2 refuses.
ABI1 = r"""
#include <stddef.h>
struct v1_key { const char *name, *description, *default_value; };
struct v1_type {
    int abi_version;
    const char *name, *description;
    const struct v1_key *config_keys;
    int (*init)(void **, const void *, char *, size_t);
    int (*process)(void *, const void *, const void *, void *);
    void (*destroy)(void *);
};
static int v1_process(void *i, const void *c, const void *s, void *d)
{ (void)i; (void)c; (void)s; (void)d; return 0; }
static const struct v1_key keys[] = {{NULL, NULL, NULL}};
static const struct v1_type t = {1, "old", "ABI 1", keys, NULL, v1_process, NULL};
const struct v1_type *ossd_handler_entry(void);
const struct v1_type *ossd_handler_entry(void) { return &t; }
"""


def compile_plugin(tmp, name, source):
    src = os.path.join(tmp, name + ".c")
    with open(src, "w") as f:
        f.write(source)
    r = subprocess.run(["gcc", "-std=c11", "-Wall", "-Wextra", "-Werror",
                        "-Wno-override-init", "-fPIC", "-shared",  # extra= overrides the header
                        "-I", HEADER_DIR, "-o", os.path.join(tmp, name + ".so"), src],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def build_tiny(tmp, name, sym="ossd_handler_entry", extra=""):
    compile_plugin(tmp, name, TINY % {"name": name, "sym": sym, "extra": extra})


def test_check_config_refuses_another_abi_version(tmp):
    build_tiny(tmp, "tiny")
    rc, out, _ = check_config(tmp, handlers="identity, tiny", section="", plugin_dir=tmp)
    assert rc == 0, out  # the same tiny handler at the right version loads
    compile_plugin(tmp, "old", ABI1)
    rc, out, _ = check_config(tmp, handlers="identity, old", section="", plugin_dir=tmp)
    assert rc == 1, out
    assert "handler 'old': %s/old.so: built for handler ABI 1, ossd " % tmp in out, out
    assert "supports ABI 2.0 only: rebuild it against include/ossd/handler.h" in out, out
    build_tiny(tmp, "major3", extra=".abi_major = 3,")
    rc, out, _ = check_config(tmp, handlers="identity, major3", section="", plugin_dir=tmp)
    assert rc == 1 and "built for handler ABI 3, ossd " in out, out
    build_tiny(tmp, "minor99", extra=".abi_minor = 99,")
    rc, out, _ = check_config(tmp, handlers="identity, minor99", section="", plugin_dir=tmp)
    assert rc == 1 and "built for handler ABI 2.99, newer than this ossd's 2.0" in out, out
    build_tiny(tmp, "small", extra=".struct_size = 16,")
    rc, out, _ = check_config(tmp, handlers="identity, small", section="", plugin_dir=tmp)
    assert rc == 1 and "struct ossd_handler_type of 16 bytes, ABI 2.0 needs" in out, out


def test_the_example_builds_out_of_tree_against_include_ossd_only(tmp):
    """localreg.c copied alone into an empty folder compiles with -I<ossd>/include and nothing
    else; what it calls of ossd is exported by the ossd executable, which loads it."""
    src = os.path.join(tmp, "localreg.c")
    with open(os.path.join(harness.REPO, "handlers/examples/localreg/localreg.c")) as f:
        text = f.read()
    with open(src, "w") as f:
        f.write(text)
    assert '#include "' not in text, "the example includes only <ossd/handler.h> and libc"
    r = subprocess.run(["gcc", "-std=c11", "-pedantic", "-Wall", "-Wextra", "-Werror", "-O2",
                        "-fPIC", "-shared", "-nostdinc", "-isystem", "/usr/include",
                        "-isystem", "/usr/lib/gcc/x86_64-linux-gnu/12/include",
                        "-I", HEADER_DIR, "-o", os.path.join(tmp, "localreg.so"), src],
                       capture_output=True, text=True, cwd=tmp)
    if r.returncode != 0 and "No such file" in r.stderr:  # another gcc: the default paths
        r = subprocess.run(["gcc", "-std=c11", "-pedantic", "-Wall", "-Wextra", "-Werror",
                            "-fPIC", "-shared", "-I", HEADER_DIR, "-o",
                            os.path.join(tmp, "localreg.so"), src],
                           capture_output=True, text=True, cwd=tmp)
    assert r.returncode == 0, r.stderr
    undefined = subprocess.run(["nm", "-D", "--undefined-only", os.path.join(tmp, "localreg.so")],
                               capture_output=True, text=True, check=True).stdout.split()
    wanted = {s for s in undefined if s.startswith("ossd_")}
    assert "ossd_add_reason" in wanted and "ossd_config_list_item" in wanted, wanted
    exported = set(subprocess.run(["nm", "-D", "--defined-only", harness.OSSD],
                                  capture_output=True, text=True, check=True).stdout.split())
    assert wanted <= exported, "ossd does not export %s" % sorted(wanted - exported)
    rc, out, _ = check_config(tmp, plugin_dir=tmp)
    assert rc == 0, out


TWO = ("[handler.closed_a]\ntype = localreg\nrules = 47221@33.74\ncode = CLOSED_A\n"
       "[handler.closed_b]\ntype = localreg\nrules = 11010@33.74.16, 10710@33.74.16\n"
       "code = CLOSED_B\nlog_matches = true\n")
TWO_CHAIN = "identity, region, kbli, activity, scale, risk, closed_a, closed_b"


def test_two_instances_of_one_type_run_with_their_own_configuration(env):
    d = env.daemon(handlers=TWO_CHAIN, extra=TWO)
    evs = decide(env, [
        submission("two-both", serial=11, kblis=["47221", "11010"], location="33.74.16"),
        submission("two-a", serial=12, kblis=["47221", "11010"], location="33.74.10"),
        submission("two-b", serial=13, kblis=["56102", "10710"], location="33.74.16"),
        submission("two-none", serial=14, kblis=["11010"], location="33.74.10"),
    ])
    assert reasons(evs["two-both"]) == [("CLOSED_A", "/business/activities/0/kbli"),
                                        ("CLOSED_B", "/business/activities/1/kbli")]
    assert reasons(evs["two-a"]) == [("CLOSED_A", "/business/activities/0/kbli")]
    assert reasons(evs["two-b"]) == [("CLOSED_B", "/business/activities/1/kbli")]
    assert ".issued." in evs["two-none"]["type"], evs["two-none"]["type"]
    log = harness.wait_for(lambda: (lambda t: t if "closed_b: KBLI 11010 closed in region "
                                    "33.74.16: CLOSED_B" in t else None)(d.log_since_start()),
                           30, "closed_b logs its closures (log_matches = true)")
    assert "closed_a: KBLI" not in log, "closed_a does not log (log_matches defaults to false)"
    assert d.alive()


def test_check_config_two_instances(tmp):
    rc, out, _ = check_config(tmp, handlers=TWO_CHAIN, section=TWO)
    assert rc == 0, out
    assert "configuration OK (8 handler(s))" in out
    # each instance's keys are checked on their own
    rc, out, _ = check_config(tmp, handlers=TWO_CHAIN,
                              section=TWO.replace("code = CLOSED_A", "code = closed"))
    assert rc == 1 and "handler closed_a: code:" in out, out
    rc, out, _ = check_config(tmp, handlers=TWO_CHAIN,
                              section=TWO.replace("log_matches = true", "log_matches = 2"))
    assert rc == 1 and "handler closed_b: key 'log_matches': \"2\" is not a boolean" in out, out
    rc, out, _ = check_config(tmp, handlers="identity, closed_a",
                              section="[handler.closed_a]\ntype = nosuchtype\n")
    assert rc == 1 and "nosuchtype" in out, out
    # a built-in type under another name; a built-in takes no keys
    rc, out, _ = check_config(tmp, handlers="identity, region, kbli_a, kbli_b",
                              section="[handler.kbli_a]\ntype = kbli\n[handler.kbli_b]\n"
                              "type = kbli\n")
    assert rc == 0 and "configuration OK (4 handler(s))" in out, out
    rc, out, _ = check_config(tmp, handlers="identity, kbli_a",
                              section="[handler.kbli_a]\ntype = kbli\nstrict = yes\n")
    assert rc == 1 and "handler kbli_a has no setting 'strict'" in out, out


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


# ---- layers: a handler sees the ABI, lib/base and its own headers only -----------------------

def test_a_handler_cannot_include_a_daemon_header(tmp):
    """make layers passes, and fails when the handlers' include path lets a daemon header in;
    a built-in handler that includes a daemon header does not compile with the flags the
    Makefile gives handlers/."""
    def make(*args):
        return subprocess.run(["make", "-s", "-C", harness.REPO] + list(args),
                              capture_output=True, text=True, timeout=300)
    r = make("layers")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "handlers/ compile with only include/ossd" in r.stdout, r.stdout
    r = make("layers", "HANDLER_INC=-Iinclude -Ihandlers -Ilib/base -Idaemon")
    assert r.returncode != 0
    assert "handlers/ sees headers above the ABI" in r.stderr, r.stderr
    flags = subprocess.run(["make", "-s", "-C", harness.REPO, "--no-print-directory", "-f",
                            "Makefile", "-f", "-", "print-handler-inc"],
                           input="print-handler-inc:\n\t@echo $(HANDLER_INC)\n",
                           capture_output=True, text=True, timeout=60).stdout.split()
    assert flags == ["-Iinclude", "-Ihandlers", "-Ilib/base"], flags
    with open(os.path.join(harness.REPO, "handlers/kbli/kbli.c")) as f:
        good = f.read()
    for header in ("util.h", "pipeline.h", "ossd_handler.h", "jsonschema.h"):
        bad = os.path.join(tmp, "kbli_bad.c")
        with open(bad, "w") as f:
            f.write('#include "%s"\n' % header + good)
        r = subprocess.run(["cc", "-std=c11", "-fsyntax-only"] + flags + [bad],
                           capture_output=True, text=True, timeout=60, cwd=harness.REPO)
        assert r.returncode != 0 and header in r.stderr, (header, r.stderr)
    ok = os.path.join(tmp, "kbli_ok.c")
    with open(ok, "w") as f:
        f.write(good)
    r = subprocess.run(["cc", "-std=c11", "-Wall", "-Werror", "-fsyntax-only"] + flags + [ok],
                       capture_output=True, text=True, timeout=60, cwd=harness.REPO)
    assert r.returncode == 0, r.stderr


PEEK = r"""
#include <stdio.h>
#include <string.h>
#include <ossd/handler.h>
/* Reads the document the ABI 2 way: by JSON Pointer and as raw bytes. */
static enum ossd_result peek_process(void *i, const struct ossd_ctx *c,
                                     const struct ossd_submission *s, struct ossd_decision *d)
{
    const char *id = ossd_submission_string(s, "/submission_id");
    const char *kbli = ossd_submission_string(s, "/business/activities/1/kbli");
    double capital = 0;
    size_t len = 0;
    (void)i; (void)c;
    if (!id || strncmp(id, "peek-", 5) != 0)
        return OSSD_OK;
    ossd_submission_raw(s, &len);
    ossd_submission_number(s, "/business/capital_idr", &capital);
    ossd_add_reason(d, "PEEK", "/business/activities/1/kbli",
                    "raw %zu bytes, %zu activities, second %s, capital %.0f, kind %d", len,
                    ossd_submission_size(s, "/business/activities"), kbli ? kbli : "-", capital,
                    (int)ossd_submission_kind(s, "/business/location"));
    return OSSD_REJECT;
}
static const struct ossd_handler_type t = {
    OSSD_HANDLER_TYPE_HEADER, .name = "peek", .description = "test", .process = peek_process,
};
const struct ossd_handler_type *ossd_handler_entry(void);
const struct ossd_handler_type *ossd_handler_entry(void) { return &t; }
"""


def test_a_plugin_reads_the_document_by_json_pointer_and_raw(env):
    plugdir = os.path.join(env.workdir, "peek")
    os.mkdir(plugdir)
    compile_plugin(plugdir, "peek", PEEK)
    d = env.daemon(start=False, handlers="identity, region, kbli, activity, scale, risk, peek")
    with open(d.conf) as f:
        conf = f.read().replace("plugin_dir = %s/build/handlers" % harness.REPO,
                                "plugin_dir = %s" % plugdir)
    with open(d.conf, "w") as f:
        f.write(conf)
    d.start()
    sub = submission("peek-1", kblis=["56102", "10710"], capital=75_000_000)
    evs = decide(env, [sub, submission("other-1", serial=2)])
    assert reasons(evs["peek-1"]) == [("PEEK", "/business/activities/1/kbli")]
    assert evs["peek-1"]["data"]["reasons"][0]["message"] == \
        "raw %d bytes, 2 activities, second 10710, capital 75000000, kind 6" % len(encode(sub))
    assert ".issued." in evs["other-1"]["type"]


def test_a_reload_checks_the_instances_keys_and_applies_them(env):
    """SIGHUP builds the chain again: a badly typed key is refused naming it and the running
    chain stays; a good change (closed_a's code) takes over."""
    import signal
    d = env.daemon(handlers=TWO_CHAIN, extra=TWO)
    col = env.collector(harness.TOPICS[1])

    def decide_one(sid, serial):
        env.produce([(b"reload", encode(submission(sid, serial=serial, kblis=["47221"],
                                                   location="33.74.10")))])
        for m in col.wait(lambda ms: any(json.loads(x.value())["data"]["submission_id"] == sid
                                         for x in ms), 60, "the event of " + sid):
            ev = json.loads(m.value())
            if ev["data"]["submission_id"] == sid:
                return reasons(ev)

    assert decide_one("rl-1", 21) == [("CLOSED_A", "/business/activities/0/kbli")]
    with open(d.conf) as f:
        good = f.read()
    with open(d.conf, "w") as f:
        f.write(good.replace("log_matches = true", "log_matches = sometimes"))
    d.proc.send_signal(signal.SIGHUP)
    harness.wait_for(lambda: "reload failed, keeping the running configuration" in
                     d.log_since_start() or None, 60, "the reload refused")
    log = d.log_since_start()
    assert "handler closed_b: key 'log_matches': \"sometimes\" is not a boolean" in log, log
    assert decide_one("rl-2", 22) == [("CLOSED_A", "/business/activities/0/kbli")]
    with open(d.conf, "w") as f:
        f.write(good.replace("code = CLOSED_A", "code = CLOSED_A2"))
    d.proc.send_signal(signal.SIGHUP)
    n = [0]

    def renamed():
        n[0] += 1
        return decide_one("rl-3-%d" % n[0], 30 + n[0]) == \
            [("CLOSED_A2", "/business/activities/0/kbli")] or None
    harness.wait_for(renamed, 120, "the reloaded closed_a", interval=1)
    assert d.alive()
