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
HERE=$(cd "$(dirname "$0")" && pwd)
POOL="$HERE/../samples/pool.json"
DIR=$(mktemp -d "${TMPDIR:-/tmp}/memory-runs.XXXXXX")
EMULATOR_PID=
cleanup() {
    [ -z "$EMULATOR_PID" ] || kill "$EMULATOR_PID" 2>/dev/null || true
    rm -rf "$DIR"
}
trap cleanup EXIT
CASES=("$@")
[ ${#CASES[@]} -gt 0 ] || CASES=(real:100000 real:1000000 dry:1000000 dry:10000000)
# Nothing from the caller's environment may point the client elsewhere.
unset AWS_ENDPOINT_URL AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER COGNITO_CLIENT_ID \
    COGNITO_CLIENT_SECRET AWS_PROFILE

# Writes $2 users to $1 (gzip-compressed when $1 ends in .gz).
write_input() {
    local gen='BEGIN {
        print "username,password,email,given_name,family_name,phone_number,birthdate,custom:tier"
        split("gold silver bronze", tiers, " ")
        for (i = 0; i < rows; i++)
            printf "u%08d,Pw%d-Secret#x,u%d@example.com,Given%d,Family%d,+1415%07d,19%02d-%02d-%02d,%s\n",
                i, i, i, i % 977, i % 1231, i % 10000000, 50 + i % 50, 1 + i % 12, 1 + i % 28,
                tiers[i % 3 + 1]
    }'
    if [[ $1 == *.gz ]]; then
        awk -v rows="$2" "$gen" | gzip -1 >"$1"
    else
        awk -v rows="$2" "$gen" >"$1"
    fi
}

# Starts an emulator with no quota; sets ENDPOINT and CLIENT_ID.
start_emulator() {
    local facts="$DIR/emulator.txt"
    "$BIN" emulator --pool "$POOL" --host 127.0.0.1 --port 0 -q >"$facts" 2>/dev/null &
    EMULATOR_PID=$!
    for _ in $(seq 200); do
        grep -q '^client_id ' "$facts" 2>/dev/null && grep -q '^endpoint ' "$facts" && break
        sleep 0.1
    done
    ENDPOINT=$(awk '$1 == "endpoint" {print $2}' "$facts")
    CLIENT_ID=$(awk '$1 == "client_id" {print $2}' "$facts")
    [ -n "$ENDPOINT" ] && [ -n "$CLIENT_ID" ] || { echo "emulator did not start" >&2; exit 1; }
}

stop_emulator() {
    kill "$EMULATOR_PID" 2>/dev/null || true
    wait "$EMULATOR_PID" 2>/dev/null || true
    EMULATOR_PID=
}

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
