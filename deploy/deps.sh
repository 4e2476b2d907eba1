#!/usr/bin/env bash
# Installs every Debian 12 package that the build, the tests, the demo and the
# benchmark need. Idempotent; run as root (or with sudo available).
set -euo pipefail

pkgs=(
    build-essential pkg-config git ca-certificates procps
    librdkafka-dev libpq-dev libjansson-dev libsystemd-dev libinih-dev
    libssl-dev libmicrohttpd-dev libpcre2-dev libcmocka-dev
    postgresql postgresql-client
    json-schema-test-suite clang-format
    systemd debhelper  # systemd-analyze, systemd-journald (tests); make deb
    python3 python3-pytest python3-psycopg2 python3-confluent-kafka python3-yaml
    clang libclang-rt-14-dev  # libFuzzer harnesses (make fuzz, fuzz-regress in make check)
    valgrind openssl          # make soak (memcheck); deploy/pgtls.sh (a dev CA)
    spin                      # make model (tests/model: the rebalance protocol)
    prometheus lintian        # promtool (alert rule tests); lintian (the built .deb)
    linux-perf                # BENCH_PROFILE=1 make bench (perf record); BENCH_CALLGRIND uses valgrind
    faketime                  # tests/e2e/test_deemed_approval.py (ossd in the future; with build/libcndshim.so)
)

# One dpkg-query for the whole list: well under a second when everything is present, and
# then no apt-get update (make demo and make check run this first, every time).
missing=()
installed=$(dpkg-query -W -f='${Package} ${db:Status-Abbrev}\n' "${pkgs[@]}" 2>/dev/null || true)
for p in "${pkgs[@]}"; do
    grep -qxF "$p ii " <<<"$installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
    echo "deps: all ${#pkgs[@]} packages present"
    exit 0
fi
SUDO=
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "deps: run as root to install ${missing[*]}" >&2; exit 1; }
    SUDO=sudo
fi
echo "deps: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
