"""The reference documentation agrees with the code: ossd.conf(5) and docs/configuration.md list
exactly the keys of the daemon's config table (`build/ossd --config-reference`) with their
defaults, and no tracked file cites a document outside the repository. Needs no servers."""
import os
import re
import subprocess

import pytest

import harness

MAN = os.path.join(harness.REPO, "man", "ossd.conf.5")
CONFIG_DOC = os.path.join(harness.REPO, "docs", "configuration.md")

# Sections of the reference that are passed through (librdkafka, handlers): their lines are
# examples, not keys of the daemon's table.
PASSTHROUGH = re.compile(r"^(kafka|kafka\.consumer|kafka\.producer|handler\..*)$")


def reference(reload=None):
    """{(section, key): default} of the daemon's own table. reload, when given, receives
    {(section, key): "yes" or "no"} from the `; reload: ...` line before each key, and
    {(section,): ...} for each pass-through section."""
    out = subprocess.run([harness.OSSD, "--config-reference"], capture_output=True, text=True,
                         timeout=60, check=True).stdout
    keys, section, flag = {}, None, None
    for line in out.splitlines():
        line = line.strip()
        m = re.match(r"^; reload: (yes|no)$", line)
        if m:
            assert flag is None, "two reload flags in a row: %r" % line
            flag = m.group(1)
            if PASSTHROUGH.match(section or "") and reload is not None:
                reload[(section,)] = flag
            if PASSTHROUGH.match(section or ""):
                flag = None
            continue
        if not line or line[0] in ";#":
            continue
        m = re.match(r"^\[(.+)\]$", line)
        if m:
            section = m.group(1)
            continue
        name, sep, value = line.partition("=")
        assert sep and section, "unexpected line in --config-reference: %r" % line
        if PASSTHROUGH.match(section):
            continue
        # a trailing " ; ..." is a remark, not part of the default
        keys[(section, name.strip())] = re.sub(r"\s+;.*$", "", value).strip()
        assert flag, "no reload flag for [%s] %s" % (section, name.strip())
        if reload is not None:
            reload[(section, name.strip())] = flag
        flag = None
    assert len(keys) > 10, out
    return keys


def same_default(key, documented, actual):
    """datadir is compiled in from PREFIX: the documents write it as PREFIX/share/ossd."""
    if key == ("ossd", "datadir"):
        return documented == "PREFIX/share/ossd" and actual.endswith("/share/ossd")
    return documented == actual


def roff_text(s):
    """The text of a roff fragment: font escapes dropped, \\- as -."""
    s = re.sub(r"\\f[BIRP]", "", s)
    return s.replace("\\-", "-").replace("\\&", "").replace("\\ ", " ")


def man_keys():
    """{(section, key): default} of ossd.conf(5): every .TP tag under a `.SH [section]`
    heading of a table section. The tag is `.B key` (empty default) or
    `.BR key " (default " VALUE ...` / `.BR key " (default empty ...)"`."""
    keys, section, tag_next = {}, None, False
    with open(MAN, encoding="utf-8") as f:
        for raw in f:
            line = raw.rstrip("\n")
            if line.startswith(".SH "):
                m = re.match(r"^\.SH \[([^\]]+)\]$", line)
                section = m.group(1) if m else None
                tag_next = False
                continue
            if section is None:
                continue
            if line == ".TP":
                tag_next = True
                continue
            if not tag_next:
                continue
            tag_next = False
            words = [q if q else w for q, w in re.findall(r'"([^"]*)"|(\S+)', line)]
            assert words[0] in (".B", ".BR"), "unexpected tag in [%s]: %r" % (section, line)
            name = roff_text(words[1])
            rest = [roff_text(w) for w in words[2:]]
            default = ""
            if rest and rest[0].strip() == "(default":
                default = rest[1] if len(rest) > 1 else ""
            elif rest and not rest[0].strip().startswith("(default empty"):
                raise AssertionError("unexpected tag in [%s]: %r" % (section, line))
            keys[(section, name)] = default.strip()
    return keys


def doc_keys(types=None, reload=None):
    """{(section, key): default} of the key table of docs/configuration.md: the rows whose
    first cell is a `[section]` and whose second is a `key` (default `(empty)` is empty).
    types, when given, receives {(section, key): the type cell}; reload {(section, key): the
    reload cell}, and {(section,): the reload cell} of the pass-through sections' table."""
    keys = {}
    with open(CONFIG_DOC, encoding="utf-8") as f:
        for line in f:
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if len(cells) == 3 and reload is not None:
                m = re.match(r"^`\[([^\]]+)\]`$", cells[0])
                if m and PASSTHROUGH.match(m.group(1)):
                    reload[(m.group(1),)] = cells[1]
            if len(cells) < 6:
                continue
            m = re.match(r"^`\[([^\]]+)\]`$", cells[0])
            k = re.match(r"^`([^`]+)`$", cells[1])
            if not m or not k:
                continue
            default = cells[3]
            default = "" if default == "(empty)" else default.strip("`")
            assert (m.group(1), k.group(1)) not in keys, "listed twice: %s" % cells[1]
            keys[(m.group(1), k.group(1))] = default
            if types is not None:
                types[(m.group(1), k.group(1))] = cells[2]
            if reload is not None:
                reload[(m.group(1), k.group(1))] = cells[4]
    return keys


# The sentences of ossd.conf(5) that give a key's reload flag.
MAN_RELOAD = {"yes": re.compile(r"A reload applies (it|them)\b"),
              "no": re.compile(r"A reload does not change (it|Kafka settings)\b")}


def man_reload():
    """{(section, key): "yes" or "no"} of ossd.conf(5), from the one reload sentence of each
    key's paragraph (its .TP tag to the next .TP, .PP or .SH), and {(section,): ...} of the
    pass-through sections from their text (each `[a], [b]` heading gives all its sections)."""
    flags, texts, section, key = {}, {}, None, None
    with open(MAN, encoding="utf-8") as f:
        lines = [ln.rstrip("\n") for ln in f]
    for i, line in enumerate(lines):
        if line.startswith(".SH "):
            section = re.findall(r"\[([^\]]+)\]", line)
            key = None
            if section and PASSTHROUGH.match(section[0].replace("NAME", "x")):
                for s in section:
                    texts[(s,)] = ""
            continue
        if not section:
            continue
        if line == ".TP":
            tag = lines[i + 1]
            words = [q if q else w for q, w in re.findall(r'"([^"]*)"|(\S+)', tag)]
            key = (section[0], roff_text(words[1]))
            texts[key] = ""
            continue
        if line == ".PP":
            key = None
            continue
        if key:
            texts[key] += " " + roff_text(line)
        elif (section[0],) in texts:
            for s in section:
                texts[(s,)] += " " + roff_text(line)
    for key, text in texts.items():
        said = [flag for flag, rx in MAN_RELOAD.items() if rx.search(text)]
        assert len(said) == 1, "ossd.conf(5) says %s about reloading %s" % (said or "nothing",
                                                                             key)
        flags[key] = said[0]
    return flags


def compare_reload(documented, where):
    ref = {}
    reference(ref)
    missing = sorted(set(ref) - set(documented))
    assert not missing, "%s gives no reload flag for %s" % (where, missing)
    wrong = sorted("%s: documented %r, ossd says %r" % (k, documented[k], ref[k])
                   for k in ref if documented[k] != ref[k])
    assert not wrong, "%s has other reload flags than ossd: %s" % (where, wrong)


def compare(documented, where):
    ref = reference()
    missing = sorted(set(ref) - set(documented))
    extra = sorted(set(documented) - set(ref))
    assert not missing, "%s does not document %s" % (where, missing)
    assert not extra, "%s documents keys ossd does not have: %s" % (where, extra)
    wrong = sorted("[%s] %s: documented %r, ossd says %r" % (s, k, documented[(s, k)], ref[(s, k)])
                   for (s, k) in ref if not same_default((s, k), documented[(s, k)], ref[(s, k)]))
    assert not wrong, "%s has other defaults than ossd: %s" % (where, wrong)


def test_man_page_lists_every_config_key_with_its_default():
    compare(man_keys(), "man/ossd.conf.5")


def test_configuration_doc_lists_every_config_key_with_its_default():
    types = {}
    compare(doc_keys(types), "docs/configuration.md")
    # a key with a number for its default is an integer key (with its range), the rest strings
    wrong = ["[%s] %s: %s" % (s, k, t) for (s, k), t in sorted(types.items())
             if reference()[(s, k)].isdigit() != t.startswith("integer ")]
    assert not wrong, "docs/configuration.md gives the wrong type: %s" % wrong


def test_configuration_doc_gives_every_key_the_reload_flag_of_the_table():
    flags = {}
    doc_keys(reload=flags)
    compare_reload(flags, "docs/configuration.md")


def test_man_page_gives_every_key_the_reload_flag_of_the_table():
    compare_reload(man_reload(), "man/ossd.conf.5")


def test_the_reload_comparison_sees_a_drift():
    ref = {}
    reference(ref)
    assert ref[("ossd", "start_offset")] == "no" and ref[("ossd", "batch_max")] == "yes"
    assert ref[("kafka",)] == "no" and ref[("handler.NAME",)] == "yes"
    doc = dict(ref)
    doc[("ossd", "start_offset")] = "yes"
    try:
        compare_reload(doc, "drifted")
    except AssertionError as e:
        assert "start_offset" in str(e)
    else:
        raise AssertionError("a changed reload flag went unnoticed")


def test_the_comparison_sees_a_drift():
    """The parsers are not vacuous: a key left out and a changed default are both caught."""
    ref = reference()
    doc = dict(ref)
    doc.pop(("ossd", "batch_ms"))
    doc[("ossd", "batch_max")] = "999"
    doc[("ossd", "datadir")] = "PREFIX/share/ossd"
    try:
        compare(doc, "drifted")
    except AssertionError as e:
        assert "batch_ms" in str(e)
    else:
        raise AssertionError("a missing key went unnoticed")
    doc[("ossd", "batch_ms")] = ref[("ossd", "batch_ms")]
    try:
        compare(doc, "drifted")
    except AssertionError as e:
        assert "batch_max" in str(e)
    else:
        raise AssertionError("a changed default went unnoticed")


# Citations of the outside contract and of the other documents next to it.
OUTSIDE = re.compile(r"\bCONTRACT\b|CONTRACT\.md|shared/(CONTRACT|OSS-FACTS|ARCHITECTURE|STYLE)")


def test_no_tracked_file_cites_the_outside_contract():
    files = subprocess.run(["git", "-C", harness.REPO, "ls-files", "-z"], capture_output=True,
                           check=True, timeout=60).stdout.decode().split("\0")
    hits = []
    for name in files:
        if not name or name == "tests/e2e/test_docs.py":
            continue
        path = os.path.join(harness.REPO, name)
        if not os.path.isfile(path):
            continue
        with open(path, "rb") as f:
            data = f.read()
        if b"\0" in data:
            continue
        for n, line in enumerate(data.decode("utf-8", "replace").splitlines(), 1):
            if OUTSIDE.search(line):
                hits.append("%s:%d: %s" % (name, n, line.strip()[:100]))
    assert not hits, "files cite a document outside the repository (cite docs/):\n" + \
        "\n".join(hits)

