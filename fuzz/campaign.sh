#!/usr/bin/env bash
# A long fuzzing campaign: each target (or those named) until it has run RUNS executions
# (default 10 million), one after another, from the seeded corpus in fuzz/corpus/.
# Prints and appends to fuzz/campaign.log the final libFuzzer figures of every target.
#
#   fuzz/campaign.sh                    # all six targets, 10M executions each
#   RUNS=1000000 fuzz/campaign.sh zip   # one target, 1M executions
#   MAX_LEN=16384 fuzz/campaign.sh page_tree   # inputs up to 16 KB (default 64 KB)
#   RUNS=3000 LOG=/dev/null fuzz/campaign.sh   # about what `./build.sh test` runs (it builds at
#                                             # opt-level 1 into TARGET_DIR=target-smoke)
#
# Built without a sanitizer (-s none): chatkeep has no unsafe code, so AddressSanitizer
# would only slow the search (2–3×); panics, overflows (debug assertions), hangs
# (-timeout) and memory (-rss_limit_mb, -malloc_limit_mb) are still caught.
set -euo pipefail
cd "$(dirname "$0")"
RUNS=${RUNS:-10000000}
LOG=${LOG:-campaign.log}
MAX_LEN=${MAX_LEN:-65536}
export RUSTC_BOOTSTRAP=1
targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || targets=(json_stream zip chat_html share_page page_tree writers)
failed=0
[[ -d corpus ]] || python3 seed.py
TARGET_DIR=${TARGET_DIR:-target-nosan}
cargo fuzz build -O -a -s none --target-dir "$TARGET_DIR"
for t in "${targets[@]}"; do
    bin=$TARGET_DIR/x86_64-unknown-linux-gnu/release/$t
    mkdir -p "corpus/$t" "artifacts/$t"
    log=$(mktemp)
    start=$(date +%s)
    args=(-runs="$RUNS" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=1024 -max_len="$MAX_LEN"
          -print_final_stats=1 -artifact_prefix="artifacts/$t/")
    status=0
    "$bin" "${args[@]}" "corpus/$t" >"$log" 2>&1 || status=$?
    secs=$(($(date +%s) - start))
    runs=$(grep -Eo 'stat::number_of_executed_units: *[0-9]+' "$log" | awk '{ s += $NF } END { if (NR) print s }')
    line="$(date -u +%FT%TZ) $t: exit $status, ${runs:-?} executions in ${secs}s, corpus $(ls "corpus/$t" | wc -l) files, artifacts $(ls "artifacts/$t" | wc -l)"
    echo "$line" | tee -a "$LOG"
    tail -n 30 "$log" > "campaign-$t.tail"
    if [[ $status != 0 ]]; then
        failed=1
        echo "--- $t: the end of libFuzzer's output (the input is in fuzz/artifacts/$t/):"
        tail -n 60 "$log"
    fi
    rm -f "$log"
done
exit $failed
