#!/bin/sh
# Reference-data versions in practice (docs/operations.md, "A new KBLI table"): a KBLI 2025-style
# table is imported beside the active one without activating it, `ossctl redecide` says which
# stored decisions it would change, then it is activated and a running ossd takes it on SIGHUP.
#
#   tests/demo_kbli2025.sh CONFIG [OSSD_PID]
#
# CONFIG is the daemon's config (its handler chain and [postgres] url; $OSSD_PG_URL overrides
# the url for psql). OSSD_PID, when given, gets the SIGHUP. $OSSCTL (default build/ossctl) and
# $DEMO_DIR (default a new temporary directory: kbli2025.csv, changes.csv) may be set.
#
# The table is made here from the active one, for the demonstration only (the official KBLI 2025
# is not shipped): 56102 renumbered 56109, 47112 split into 47117 and 47118, 96111 retired.
set -eu

conf=${1:?usage: tests/demo_kbli2025.sh CONFIG [OSSD_PID]}
pid=${2:-}
here=$(cd "$(dirname "$0")/.." && pwd)
ossctl=${OSSCTL:-$here/build/ossctl}
dir=${DEMO_DIR:-$(mktemp -d)}
version=${DEMO_VERSION:-2025-demo}
url=${OSSD_PG_URL:-$(sed -n 's/^[[:space:]]*url[[:space:]]*=[[:space:]]*//p' "$conf" | head -n 1)}

echo "== 1. a KBLI 2025-style table, made from the active one: $dir/kbli2025.csv"
psql -X -q -v ON_ERROR_STOP=1 "$url" -c "COPY (
    WITH a AS (SELECT k.* FROM ref_kbli k JOIN ref_versions v
               ON v.kind = 'kbli' AND v.active AND v.version = k.version)
    SELECT CASE code WHEN '56102' THEN '56109' ELSE code END AS code, title, description, risk
      FROM a WHERE code NOT IN ('47112', '96111')
    UNION ALL
    SELECT '47117', title || ' (Toko)', description, risk FROM a WHERE code = '47112'
    UNION ALL
    SELECT '47118', title || ' (Warung)', description, risk FROM a WHERE code = '47112'
    ORDER BY 1) TO STDOUT WITH (FORMAT csv, HEADER)" >"$dir/kbli2025.csv"
echo "   $(($(wc -l <"$dir/kbli2025.csv") - 1)) codes: 56102 -> 56109, 47112 -> 47117 + 47118, 96111 retired"

echo "== 2. import it beside the active version, not activated"
"$ossctl" --config "$conf" refdata import kbli "$dir/kbli2025.csv" --version "$version" --no-activate
"$ossctl" --config "$conf" refdata list

echo "== 3. which stored decisions would it change? (nothing is written)"
"$ossctl" --config "$conf" redecide --refdata-version "kbli=$version" --out "$dir/changes.csv"
echo "   one row per changed submission: $dir/changes.csv"
head -n 6 "$dir/changes.csv"

echo "== 4. activate it; the running ossd takes it on SIGHUP"
"$ossctl" --config "$conf" refdata activate kbli "$version"
if [ -n "$pid" ]; then
    kill -HUP "$pid"
    echo "   SIGHUP sent to ossd (pid $pid)"
fi
