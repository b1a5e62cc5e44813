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
HERE=$(cd "$(dirname "$0")" && pwd)
POOL="$HERE/../samples/pool.json"
DIR=$(mktemp -d "${TMPDIR:-/tmp}/final-rewrite.XXXXXX")
EMULATOR_PID=
cleanup() {
    [ -z "$EMULATOR_PID" ] || kill "$EMULATOR_PID" 2>/dev/null || true
    rm -rf "$DIR"
}
trap cleanup EXIT
unset AWS_ENDPOINT_URL AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER COGNITO_CLIENT_ID \
    COGNITO_CLIENT_SECRET AWS_PROFILE

HARNESS=$(cd "$HERE/.." && cargo test --release --lib --no-run --message-format=json 2>/dev/null |
    sed -n 's/.*"executable":"\([^"]*\)".*/\1/p' | tail -1)
[ -x "$HARNESS" ] || { echo "no unit-test binary built" >&2; exit 1; }

awk -v rows="$ROWS" 'BEGIN {
    print "username,password,email,given_name,family_name,phone_number,birthdate,custom:tier"
    split("gold silver bronze", tiers, " ")
    for (i = 0; i < rows; i++)
        printf "u%08d,Pw%d-Secret#x,u%d@example.com,Given%d,Family%d,+1415%07d,19%02d-%02d-%02d,%s\n",
            i, i, i, i % 977, i % 1231, i % 10000000, 50 + i % 50, 1 + i % 12, 1 + i % 28,
            tiers[i % 3 + 1]
}' > "$DIR/users.csv"

"$BIN" emulator --pool "$POOL" --host 127.0.0.1 --port 0 -q > "$DIR/emulator.out" 2>/dev/null &
EMULATOR_PID=$!
for _ in $(seq 100); do grep -q http "$DIR/emulator.out" && break; sleep 0.1; done
ENDPOINT=$(grep -o 'http://[0-9.:]*' "$DIR/emulator.out" | head -1)
CLIENT_ID=$(awk '/^client_id/ {print $2}' "$DIR/emulator.out")
mkdir "$DIR/run"
"$BIN" run "$DIR/users.csv" --endpoint-url "$ENDPOINT" --client-id "$CLIENT_ID" \
    --region us-east-1 -q --report "$DIR/run/report.csv" --concurrency 64 --rate 0 \
    > /dev/null 2> "$DIR/run.err" &
CLIENT_PID=$!
while kill -0 "$CLIENT_PID" 2>/dev/null; do
    if ls -A "$DIR/run" | grep -q '^\.final'; then
        kill -STOP "$CLIENT_PID"
        cp "$DIR/run/report.csv" "$DIR/log.csv"
        kill -CONT "$CLIENT_PID"
        break
    fi
    sleep 0.005
done
wait "$CLIENT_PID" || true
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
