"""The build's own promises: a missing -dev package is named before the compiler runs,
make deps is quick when everything is installed, and the validator's layer is enforced."""
import os
import subprocess

import harness


def make(*args, env=None, timeout=300):
    return subprocess.run(["make", "-C", harness.REPO, *args], capture_output=True, text=True,
                          timeout=timeout, env=dict(os.environ, **(env or {})))


def pc_dir_without(tmp_path, *names):
    """A pkg-config directory with every installed module but NAMES."""
    d = tmp_path / "pkgconfig"
    d.mkdir()
    path = subprocess.run(["pkg-config", "--variable", "pc_path", "pkg-config"],
                          capture_output=True, text=True, check=True).stdout.strip()
    for src in path.split(":"):
        if not os.path.isdir(src):
            continue
        for f in os.listdir(src):
            if f.endswith(".pc") and f[:-3] not in names and not (d / f).exists():
                (d / f).symlink_to(os.path.join(src, f))
    return str(d)


def test_make_names_a_missing_dev_package(tmp_path):
    r = make("-n", "all", env={"PKG_CONFIG_LIBDIR": pc_dir_without(tmp_path, "jansson")})
    assert r.returncode != 0
    assert "libjansson-dev (pkg-config jansson)" in r.stderr, r.stderr
    assert "run make deps" in r.stderr, r.stderr
    assert "librdkafka-dev" not in r.stderr, r.stderr  # only what is missing
    # goals that compile nothing still work
    r = make("-n", "clean", env={"PKG_CONFIG_LIBDIR": str(tmp_path)})
    assert r.returncode == 0, r.stderr


def test_deps_is_quick_and_offline_when_everything_is_installed(tmp_path):
    # apt-get must not run at all: a stub first on PATH would leave a mark
    stub = tmp_path / "bin"
    stub.mkdir()
    mark = tmp_path / "apt-get-ran"
    (stub / "apt-get").write_text("#!/bin/sh\ntouch %s\nexit 1\n" % mark)
    (stub / "apt-get").chmod(0o755)
    r = make("-s", "deps", env={"PATH": "%s:%s" % (stub, os.environ["PATH"])}, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "packages present" in r.stdout, r.stdout
    assert not mark.exists()


def test_the_validator_cannot_see_ossd_headers():
    r = make("-s", "layers")
    assert r.returncode == 0, r.stdout + r.stderr
    # the probe notices when the validator's flags let ossd's headers in
    r = make("-s", "layers", "JS_INC=-Ilib/jsonschema -Idaemon -Ihandlers")
    assert r.returncode != 0
    assert "lib/jsonschema sees ossd's headers" in r.stderr, r.stderr


def test_lib_base_cannot_see_ossd_or_validator_headers(tmp_path):
    r = make("-s", "layers")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "lib/base compiles with only its own include path" in r.stdout, r.stdout
    # the probe notices when lib/base's flags let a header above it in
    r = make("-s", "layers", "BASE_INC=-Ilib/base -Idaemon")
    assert r.returncode != 0
    assert "lib/base sees headers above it" in r.stderr, r.stderr
    # and a lib/base source that includes an ossd header does not compile with its flags
    bad = tmp_path / "bad.c"
    bad.write_text('#include "base.h"\n#include "util.h"\n')
    r = subprocess.run(["cc", "-I" + os.path.join(harness.REPO, "lib", "base"), "-fsyntax-only",
                        str(bad)], capture_output=True, text=True, timeout=60)
    assert r.returncode != 0 and "util.h" in r.stderr, r.stderr


# The Debian package of each Python module the tests, the bench and the tools import that is not
# in the standard library (a bare Debian 12 has none of them; make deps must install each).
PY_PACKAGES = {"pytest": "python3-pytest", "psycopg2": "python3-psycopg2",
               "confluent_kafka": "python3-confluent-kafka", "yaml": "python3-yaml"}


def test_deps_installs_every_python_module_the_tests_import():
    """A bare machine's make check stopped at collection (no module named 'yaml'): the
    development machines had python3-yaml from elsewhere."""
    import ast
    import sys
    local = set()
    imported = {}
    for top in ("tests", "tools", "deploy", "docs"):
        for root, _, files in os.walk(os.path.join(harness.REPO, top)):
            for f in files:
                if not f.endswith(".py"):
                    continue
                local.add(f[:-3])
                path = os.path.join(root, f)
                for node in ast.walk(ast.parse(open(path).read(), path)):
                    names = []
                    if isinstance(node, ast.Import):
                        names = [a.name for a in node.names]
                    elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                        names = [node.module]
                    for n in names:
                        imported.setdefault(n.split(".")[0], path)
    third = {m: p for m, p in imported.items()
             if m not in sys.stdlib_module_names and m not in local}
    unknown = {m: p for m, p in third.items() if m not in PY_PACKAGES}
    assert not unknown, "imports with no Debian package listed here: %r" % unknown
    deps = open(os.path.join(harness.REPO, "deploy", "deps.sh")).read()
    missing = sorted({PY_PACKAGES[m] for m in third} - set(deps.split()))
    assert not missing, "deploy/deps.sh does not install %s" % missing
