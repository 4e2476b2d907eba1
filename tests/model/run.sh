#!/bin/bash
# run.sh [OUTDIR]: checks the spin models of the consumer/writer/rebalance
# protocol (README.md). model_v1 (the code before the fix) must show its
# counterexamples, model_v2 (the fixed design) must hold on every
# interleaving. Exits non-zero otherwise.
set -u
src=$(cd "$(dirname "$0")" && pwd)
out=${1:-build/model}
cc=${CC:-gcc}
status=0

mkdir -p "$out" || exit 1
out=$(cd "$out" && pwd)

# check NAME EXPECT MODEL "SPIN DEFINES" "PAN CFLAGS"; EXPECT: violation | none
check() {
    local name=$1 expect=$2 model=$3 defs=$4 cflags=$5 dir="$out/$1"
    rm -rf "$dir" && mkdir -p "$dir" && cp "$src"/*.pml "$dir"/ || return 1
    (
        cd "$dir" || exit 1
        # shellcheck disable=SC2086
        spin $defs -a "$model" >spin.out 2>&1 || { cat spin.out; exit 1; }
        # -O0: gcc -O2 on pan.c takes longer than it saves
        # shellcheck disable=SC2086
        $cc -O0 -w -DSAFETY $cflags -o pan pan.c || exit 1
        ./pan -m2000000 -w24 >pan.out 2>&1
        local errors states trans depth secs
        errors=$(sed -n 's/.*errors: \([0-9]*\).*/\1/p' pan.out)
        states=$(sed -n 's/^ *\([0-9.e+]*\) states, stored.*/\1/p' pan.out)
        trans=$(sed -n 's/^ *\([0-9.e+]*\) transitions.*/\1/p' pan.out)
        depth=$(sed -n 's/.*depth reached \([0-9]*\).*/\1/p' pan.out)
        secs=$(sed -n 's/.*elapsed time \([0-9.e+]*\) seconds.*/\1/p' pan.out)
        local figures="states stored $states, transitions $trans, depth $depth, ${secs:-?} s"
        # an incomplete search without a counterexample proves nothing
        if [ -z "$errors" ] || grep -q "max search depth too small\|MEMLIM bound\|out of memory" pan.out ||
            { [ "$errors" -eq 0 ] && grep -q "Search not completed" pan.out; }; then
            echo "model $name: FAIL: the search did not run to the end ($figures)"
            cat pan.out
            exit 1
        fi
        if [ "$expect" = violation ]; then
            if [ "$errors" -eq 0 ] || [ ! -f "$model.trail" ]; then
                echo "model $name: FAIL: expected a counterexample, spin found none ($figures)"
                exit 1
            fi
            echo "model $name: counterexample found, as expected ($figures):"
            # shellcheck disable=SC2086
            spin $defs -t -k "$model.trail" "$model" 2>&1 |
                sed -n 's/^ *\(A: \|W: \|O: \|VIOLATION\)/    \1/p'
        else
            if [ "$errors" -ne 0 ]; then
                echo "model $name: FAIL: $errors violation(s) ($figures):"
                # shellcheck disable=SC2086
                spin $defs -t -k "$model.trail" "$model" 2>&1 |
                    sed -n 's/^ *\(A: \|W: \|O: \|VIOLATION\)/    \1/p'
                exit 1
            fi
            echo "model $name: no violation on any interleaving ($figures)"
        fi
    ) || status=1
}

# The code at 94d772f: breadth first, for the shortest counterexample.
check v1-finding1 violation model_v1.pml "-DFINDING=1" "-DBFS"
check v1-finding2 violation model_v1.pml "-DFINDING=2" "-DBFS"
check v1-settle-skip violation model_v1.pml "-DFINDING=3 -DSTORED_ONLY" "-DBFS"
# The fixed design: every interleaving, both rebalance protocols.
check v2 none model_v2.pml "" "-DCOLLAPSE"
exit $status
