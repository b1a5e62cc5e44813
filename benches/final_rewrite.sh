#!/usr/bin/env bash
# CPU, wall time and peak RSS of the final rewrite alone (the report log
# rewritten in row order at the end of a run), on the log of a real run.
#
#   cargo build --release --bin bulk-signup
#   BIN=target/release/bulk-signup benches/final_rewrite.sh [ROWS] [REPS]
#
# Writes ROWS users (default 300000; the columns of benches/memory_runs.sh),
# runs them against the built-in emulator (--concurrency 64 --rate 0) and,
# when the run's rewrite starts (its temporary `.final-*` file appears),
# stops the client, copies the log and lets it go on. RESUMED=1 then appends
# an `exists` entry for every tenth row, as a resumed run retrying failures
# leaves it (the one-pass path falls back). Then it runs the unit-test
# harness `report::finalize_timing` (built with `cargo test --release --lib`)
# REPS times (default 3) per path, alternating `chunked` (the chunked sort
# alone) and `run` (what a run does), each on a fresh copy, under
# /usr/bin/time, and prints user+sys CPU, wall and peak RSS of the process.
set -euo pipefail
BIN=${BIN:-target/release/bulk-signup}
ROWS=${1:-300000}
REPS=${2:-3}
# shellcheck source=benches/bench_env.sh
source "$(dirname "$0")/bench_env.sh"
bench_dir final-rewrite

HARNESS=$(cd "$HERE/.." && cargo test --release --lib --no-run --message-format=json 2>"$DIR/build.err" |
    sed -n 's/.*"executable":"\([^"]*\)".*/\1/p' | tail -1)
[ -x "$HARNESS" ] || { cat "$DIR/build.err" >&2; echo "no unit-test binary built" >&2; exit 1; }

write_input "$DIR/users.csv" "$ROWS"

start_emulator
mkdir "$DIR/run"
"$BIN" run "$DIR/users.csv" --endpoint-url "$ENDPOINT" --client-id "$CLIENT_ID" \
    --region us-east-1 -q --report "$DIR/run/report.csv" --concurrency 64 --rate 0 \
    > /dev/null 2> "$DIR/run.err" &
CLIENT_PID=$!
while kill -0 "$CLIENT_PID" 2>/dev/null; do
    if ls -A "$DIR/run" | grep -q '^\.final'; then
        kill -STOP "$CLIENT_PID"
        # Still there once stopped: the rewrite has not replaced the log yet.
        if ls -A "$DIR/run" | grep -q '^\.final'; then
            cp "$DIR/run/report.csv" "$DIR/log.csv"
        fi
        kill -CONT "$CLIENT_PID"
        break
    fi
    sleep 0.005
done
wait "$CLIENT_PID" || true
CLIENT_PID=
[ -s "$DIR/log.csv" ] || { echo "the run's log was not caught before its rewrite" >&2; exit 1; }
if [ "${RESUMED:-0}" = 1 ]; then
    awk -F, 'NR > 1 && $1 % 10 == 0 { OFS = ","; $3 = "exists"; print }' "$DIR/log.csv" \
        > "$DIR/resumed.csv"
    cat "$DIR/resumed.csv" >> "$DIR/log.csv"
fi
echo "final rewrite of a $ROWS-row run's log ($(wc -l < "$DIR/log.csv") lines, $(($(stat -c %s "$DIR/log.csv") >> 20)) MiB)"
for rep in $(seq "$REPS"); do
    for path in chunked run; do
        cp "$DIR/log.csv" "$DIR/rewrite.csv"
        FINALIZE_LOG="$DIR/rewrite.csv" FINALIZE_PATH=$path \
            /usr/bin/time -f "%U %S %e %M" -o "$DIR/time.out" \
            "$HARNESS" --ignored --exact report::finalize_timing::time_final_rewrite \
            > /dev/null 2> "$DIR/harness.err" || { cat "$DIR/harness.err" >&2; exit 1; }
        read -r user sys wall rss < "$DIR/time.out"
        awk -v r="$rep" -v p="$path" -v u="$user" -v s="$sys" -v w="$wall" -v m="$rss" 'BEGIN {
            printf "  rep %d %-7s cpu %.2f s (user %.2f sys %.2f)  wall %.2f s  peak RSS %.1f MiB\n",
                r, p, u + s, u, s, w, m / 1024 }'
    done
done
