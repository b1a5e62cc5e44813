#!/usr/bin/env bash
# Peak memory of a dry run over a JSON array input (issue 11): the reader
# holds one element at a time, so the input's size must not show.
#
#   cargo build --release --bin bulk-signup
#   BIN=target/release/bulk-signup benches/json_array_memory.sh [MB ...]
#
# For each size (default: 100 and 1000 MB) it writes a Firebase-style
# {"users": [...]} file of that many megabytes (one element per line, each
# with a nested "metadata" object) into a temp dir, runs
#   /usr/bin/time -v $BIN run FILE --dry-run --ignore-column metadata --report R
# and prints the rows, wall time and peak RSS. With ALSO_GZIP=1 it measures
# the same file gzip-compressed (gzip -1) too. The files are removed at the end.
set -euo pipefail
BIN=${BIN:-target/release/bulk-signup}
DIR=$(mktemp -d "${TMPDIR:-/tmp}/json-array-memory.XXXXXX")
trap 'rm -rf "$DIR"' EXIT
SIZES=("$@")
[ ${#SIZES[@]} -gt 0 ] || SIZES=(100 1000)

# One dry run of $1 under /usr/bin/time -v: its size, rows, wall time, peak RSS.
measure() {
    local bytes rss wall rows
    bytes=$(stat -c %s "$1")
    /usr/bin/time -v "$BIN" -q run "$1" --dry-run --ignore-column metadata \
        --report "$DIR/report.csv" --overwrite 2>"$DIR/time.txt" || true
    rss=$(grep 'Maximum resident set size' "$DIR/time.txt" | awk '{print $NF}')
    wall=$(grep 'Elapsed (wall clock)' "$DIR/time.txt" | awk '{print $NF}')
    rows=$(($(wc -l <"$DIR/report.csv") - 1))
    echo "$(basename "$1"): $bytes bytes, $rows rows reported, wall $wall, peak RSS $((rss / 1024)) MiB ($rss KiB)"
    grep -E 'rows in|error' "$DIR/time.txt" || true
}

for mb in "${SIZES[@]}"; do
    file="$DIR/users-${mb}mb.json"
    python3 - "$file" "$mb" <<'PY'
import sys
path, mb = sys.argv[1], int(sys.argv[2])
target = mb * 1_000_000
tiers = ("gold", "silver", "bronze")
def element(i):
    return ('{"username":"user%09d","password":"Pw%d-Secret#x","email":"user%d@example.com",'
            '"given_name":"Given%d","family_name":"Family%d","phone_number":"+1415%07d",'
            '"birthdate":"19%02d-%02d-%02d","custom:tier":"%s","metadata":{"createdAt":"%d",'
            '"lastSignedInAt":"%d","providers":["password","google.com"]}}'
            % (i, i, i, i % 977, i % 1231, i % 10_000_000, 50 + i % 50, 1 + i % 12,
               1 + i % 28, tiers[i % 3], 1_600_000_000_000 + i, 1_700_000_000_000 + i))
with open(path, "w") as out:
    out.write('{"kind": "identitytoolkit#DownloadAccountResponse", "users": [\n')
    written, i, chunk = 0, 0, []
    while written < target:
        line = (",\n" if i else "") + element(i)
        chunk.append(line)
        written += len(line)
        i += 1
        if len(chunk) == 10_000:
            out.write("".join(chunk))
            chunk = []
    out.write("".join(chunk))
    out.write("\n]}\n")
PY
    measure "$file"
    if [ -n "${ALSO_GZIP:-}" ]; then
        gzip -1 "$file"
        measure "$file.gz"
    fi
    rm -f "$file" "$file.gz"
done
