#!/usr/bin/env bash
# Peak RSS of bulk-signup runs (issue 14, part 3): real runs against the
# built-in emulator (no quota; --concurrency 64 --rate 0) and dry runs.
#
#   cargo build --release --bin bulk-signup
#   BIN=target/release/bulk-signup benches/memory_runs.sh [CASE ...]
#
# A CASE is MODE:ROWS with MODE `real` or `dry` (default: real:100000
# real:1000000 dry:1000000 dry:10000000). For each case it writes ROWS users
# (the columns of benches/common/mod.rs) into a temp dir, runs the client
# under /usr/bin/time -v and prints rows reported, wall time, CPU time and
# peak RSS. A real run gets a fresh emulator (its own memory is not counted).
# Inputs of more than 2,000,000 rows are written gzip-compressed (a 10 M-row
# CSV is about 1 GB); GZIP=1 compresses every input. Everything is removed
# at the end.
set -euo pipefail
BIN=${BIN:-target/release/bulk-signup}
# shellcheck source=benches/bench_env.sh
source "$(dirname "$0")/bench_env.sh"
bench_dir memory-runs
CASES=("$@")
[ ${#CASES[@]} -gt 0 ] || CASES=(real:100000 real:1000000 dry:1000000 dry:10000000)

for case in "${CASES[@]}"; do
    mode=${case%%:*}
    rows=${case#*:}
    input="$DIR/users-$rows.csv"
    if [ "$rows" -gt 2000000 ] || [ -n "${GZIP:-}" ]; then input="$input.gz"; fi
    write_input "$input" "$rows"
    args=(-q run "$input" --report "$DIR/report.csv" --overwrite --pool "$POOL")
    if [ "$mode" = real ]; then
        start_emulator
        args+=(--endpoint-url "$ENDPOINT" --client-id "$CLIENT_ID" --region us-east-1
            --concurrency 64 --rate 0)
    else
        args+=(--dry-run)
    fi
    /usr/bin/time -v "$BIN" "${args[@]}" 2>"$DIR/time.txt" >/dev/null || true
    [ "$mode" = real ] && stop_emulator
    rss=$(awk '/Maximum resident set size/ {print $NF}' "$DIR/time.txt")
    wall=$(awk '/Elapsed \(wall clock\)/ {print $NF}' "$DIR/time.txt")
    cpu=$(awk '/User time|System time/ {s += $NF} END {printf "%.2f", s}' "$DIR/time.txt")
    reported=$(($(wc -l <"$DIR/report.csv") - 1))
    printf '%s %s rows: %s reported, wall %s, cpu %s s, peak RSS %.1f MiB (%s KiB)\n' \
        "$mode" "$rows" "$reported" "$wall" "$cpu" "$(echo "$rss / 1024" | bc -l)" "$rss"
    grep -iE 'error|panic' "$DIR/time.txt" || true
    rm -f "$input" "$DIR/report.csv" "$DIR"/errors*
done
