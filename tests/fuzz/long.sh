#!/usr/bin/env bash
# tests/fuzz/long.sh NAME EXECUTIONS [SECONDS_PER_ROUND]: fuzzes build/fuzz/fuzz_NAME until it
# has run EXECUTIONS inputs in total, in rounds (a crash ends a round: its input is kept in
# build/fuzz/artifacts/NAME/ and the next round goes on). Appends one line per round to
# build/fuzz/long/NAME$TAG.tsv (round, executions, total, corpus files, crashes, status) and
# prints the totals. A second run of the same harness at the same time (another core) takes
# another TAG (e.g. TAG=-b); both share the corpus. Runs niced: the machine is shared. Build
# first: make fuzz-build.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
name=${1:?usage: tests/fuzz/long.sh NAME EXECUTIONS [SECONDS_PER_ROUND]}
target=${2:?usage: tests/fuzz/long.sh NAME EXECUTIONS [SECONDS_PER_ROUND]}
round_s=${3:-600}
bin=build/fuzz/fuzz_$name
[[ -x $bin ]] || { echo "long.sh: $bin missing (make fuzz-build)" >&2; exit 2; }
mkdir -p build/fuzz/long build/fuzz/corpus/"$name" build/fuzz/artifacts/"$name"
tag=${TAG:-}
tsv=build/fuzz/long/$name$tag.tsv
total=0
[[ -s $tsv ]] && total=$(tail -n 1 "$tsv" | cut -f3)
dict=()
[[ -f tests/fuzz/dict/$name.dict ]] && dict=(-dict="tests/fuzz/dict/$name.dict")
extra=()
[[ -d tests/fuzz/regress/$name ]] && extra+=(tests/fuzz/regress/"$name")
round=1
[[ -s $tsv ]] && round=$(($(wc -l <"$tsv") + 1))
while ((total < target)); do
    log=build/fuzz/long/$name$tag.$round.log
    left=$((target - total))
    set +e
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
        nice -n 10 "$bin" -max_total_time="$round_s" -runs="$left" -timeout=25 -rss_limit_mb=4096 \
        -print_final_stats=1 "${dict[@]}" -artifact_prefix=build/fuzz/artifacts/"$name"/ \
        build/fuzz/corpus/"$name" tests/fuzz/corpus/"$name" "${extra[@]}" >"$log" 2>&1
    rc=$?
    set -e
    n=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    if [[ -z $n ]]; then # a crash: libFuzzer prints no final stats; take the last status line
        n=$(grep -oE '^#[0-9]+' "$log" | tail -n 1 | tr -d '#')
    fi
    n=${n:-0}
    total=$((total + n))
    crashes=$(find build/fuzz/artifacts/"$name" -type f | wc -l)
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "$n" "$total" \
        "$(find build/fuzz/corpus/"$name" -type f | wc -l)" "$crashes" "$rc" >>"$tsv"
    echo "fuzz $name round $round: $n executions (total $total of $target), rc $rc, $crashes crash file(s)"
    round=$((round + 1))
    ((n > 0)) || { echo "long.sh: no progress in round $((round - 1)), see $log" >&2; exit 1; }
done
echo "fuzz $name: $total executions, corpus $(find build/fuzz/corpus/"$name" -type f | wc -l) files"
