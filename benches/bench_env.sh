# Shared by the benchmark scripts (sourced, not run): a temporary directory
# removed on exit with the emulator, a clean environment, the users writer
# and the emulator's start and stop. The sourcing script sets BIN first and
# calls bench_dir NAME.

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
POOL="$HERE/../samples/pool.json"
EMULATOR_PID=
# A client the sourcing script started and may have stopped (SIGSTOP).
CLIENT_PID=

cleanup() {
    if [ -n "$CLIENT_PID" ]; then
        kill -CONT "$CLIENT_PID" 2>/dev/null || true
        kill "$CLIENT_PID" 2>/dev/null || true
    fi
    [ -z "$EMULATOR_PID" ] || kill "$EMULATOR_PID" 2>/dev/null || true
    [ -z "${DIR:-}" ] || rm -rf "$DIR"
}
trap cleanup EXIT

# Nothing from the caller's environment may point the client elsewhere.
unset AWS_ENDPOINT_URL AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER COGNITO_CLIENT_ID \
    COGNITO_CLIENT_SECRET AWS_PROFILE

# Makes the temporary directory DIR, named after $1.
bench_dir() {
    DIR=$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX")
}

# Writes $2 users to $1 (gzip-compressed when $1 ends in .gz), the columns
# and values of benches/common's write_users.
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
