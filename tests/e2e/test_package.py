"""The Debian package: `make deb` builds it, apt installs it, everything is in
place (binaries, data, units, user, config, man pages), `dpkg -r` removes it
and `dpkg -P` purges it (the ossd system user stays, as Debian does). It
changes the machine, so it runs only in CI (CI=true) or when asked
(OSSD_TEST_PACKAGE=1), as root, and never over an ossd installed otherwise.
Also checks the manual pages with groff (no package needed)."""
import glob
import grp
import os
import pwd
import re
import shutil
import stat
import subprocess

import pytest

import harness

MAN = os.path.join(harness.REPO, "man")
APT_LOCK = ["-o", "DPkg::Lock::Timeout=120"]


def run(*args, check=True, timeout=300, **kw):
    r = subprocess.run(list(args), capture_output=True, text=True, timeout=timeout, **kw)
    if check:
        assert r.returncode == 0, "%s: %d\n%s\n%s" % (" ".join(args), r.returncode, r.stdout,
                                                      r.stderr)
    return r


def installed():
    r = run("dpkg-query", "-W", "-f", "${Status}", "ossd", check=False)
    return r.returncode == 0 and "installed" in r.stdout


def skip_reason():
    if not (os.environ.get("CI") == "true" or os.environ.get("OSSD_TEST_PACKAGE") == "1"):
        return "installs a system package: runs in CI (CI=true) or with OSSD_TEST_PACKAGE=1"
    if os.geteuid() != 0:
        return "installs a package: needs root"
    for tool in ("dpkg-buildpackage", "dh", "apt-get", "git"):
        if not shutil.which(tool):
            return "%s is missing (deploy/deps.sh installs it)" % tool
    if installed():
        return "an ossd package is already installed here; not replacing it"
    return None


@pytest.mark.parametrize("page", ["ossd.8", "ossd.conf.5", "ossctl.1"])
def test_man_page_is_clean(page):
    if not shutil.which("groff"):
        pytest.skip("groff is missing")
    r = run("groff", "-man", "-Tutf8", "-ww", "-z", os.path.join(MAN, page))
    assert not r.stderr.strip(), r.stderr


def test_every_config_key_is_documented():
    """ossd.conf(5) has every key of `ossd --config-reference`, with its default."""
    ref = run(harness.OSSD, "--config-reference").stdout
    pairs = [line.split(" = ", 1) for line in ref.splitlines()
             if " = " in line and not line.startswith(";")]
    page = open(os.path.join(MAN, "ossd.conf.5")).read().replace("\\-", "-").replace('"', "")
    problems = []
    for key, default in pairs:
        if key in ("bootstrap.servers", "group.id"):  # examples of [kafka], not ossd keys
            continue
        lines = [ln for ln in page.splitlines() if re.match(r"\.BR? %s( |$)" % re.escape(key), ln)]
        if not lines:
            problems.append("%s: not documented" % key)
        elif default.strip() and key != "datadir" and not re.search(
                r"\(default\s+%s\s*[,)]" % re.escape(default.strip()), lines[0]):
            problems.append("%s: default %r not in %r" % (key, default, lines[0]))
    assert not problems, problems


def test_deb_build_install_remove():
    reason = skip_reason()
    if reason:
        pytest.skip(reason)
    version = open(os.path.join(harness.REPO, "VERSION")).read().strip()
    run("make", "-C", harness.REPO, "deb", timeout=600)
    debs = glob.glob(os.path.join(harness.BUILD, "ossd_%s_*.deb" % version))
    assert len(debs) == 1, debs
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    run("apt-get", "install", "-y", "-q", "--no-install-recommends", *APT_LOCK, debs[0], env=env)
    try:
        assert run("/usr/bin/ossd", "--version").stdout.strip() == "ossd " + version
        assert "usage: ossctl" in run("/usr/bin/ossctl", "--help").stdout
        # the compiled-in datadir is the package's
        assert "datadir = /usr/share/ossd" in run("/usr/bin/ossd", "--config-reference").stdout
        for f in ("/usr/share/ossd/submission.v1.json", "/usr/share/ossd/sql/001_core.sql",
                  "/usr/share/ossd/events/issued.v1.json", "/lib/systemd/system/ossd.service",
                  "/lib/systemd/system/ossd@.service", "/usr/lib/sysusers.d/ossd.conf",
                  "/usr/lib/tmpfiles.d/ossd.conf"):
            assert os.path.isfile(f), f
        assert os.path.isdir("/usr/lib/ossd/handlers")
        for page in ("ossd", "ossd.conf", "ossctl"):
            path = run("man", "-w", page).stdout.strip()
            assert path.startswith("/usr/share/man/"), path
        # postinst: the system user, and the config readable by root and ossd only
        user = pwd.getpwnam("ossd")
        assert user.pw_uid < 1000 and user.pw_shell.endswith("nologin")
        st = os.stat("/etc/ossd/ossd.conf")
        assert stat.S_IMODE(st.st_mode) == 0o640 and grp.getgrgid(st.st_gid).gr_name == "ossd"
        assert "/etc/ossd/ossd.conf" in run("dpkg-query", "--control-show", "ossd",
                                            "conffiles").stdout
        # the shipped sample config is valid with the installed data
        r = run("/usr/bin/ossd", "--config", "/etc/ossd/ossd.conf", "--check-config")
        assert "configuration OK" in r.stdout
        if shutil.which("systemd-analyze"):
            # the units are well-formed now that ExecStart exists
            r = run("systemd-analyze", "verify", "--man=no", "/lib/systemd/system/ossd.service",
                    check=False)
            assert not r.stderr.strip(), r.stderr
        run("dpkg", "-r", "ossd")
        assert not os.path.exists("/usr/bin/ossd")
        assert not os.path.exists("/lib/systemd/system/ossd.service")
        assert os.path.exists("/etc/ossd/ossd.conf")  # a removed package keeps its conffiles
    finally:
        run("dpkg", "-P", "ossd", check=False)
    assert not installed()
    assert not os.path.exists("/etc/ossd/ossd.conf")
