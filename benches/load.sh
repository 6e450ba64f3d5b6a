#!/usr/bin/env bash
# HTTP load test of deflect's JSON search API, on loopback only. Builds the
# release binary, serves both real corpora from ../shared/corpora (unpacked
# into a temp dir; the bundled articles/ when ../shared is absent) with a
# fresh index in a temp dir and no watcher, then runs wrk (benches/load.lua:
# real customer questions from ../shared/data plus title topics, cycled)
# against /api/v1/search and then /api/v1/suggest, and prints requests/s,
# p50 and p99 of each and the server's resident memory afterwards. Then it
# restarts the server on the index it built (the usual restart: no rebuild)
# with the result cache off, and measures memory and search load again: the
# search figures of phase 1 are with the cache (filling, then warm), those
# of phase 2 without it. Bounded: every wait has a
# deadline, wrk stops by itself, and the server is killed on exit.
#
# Environment: CONNECTIONS (32), THREADS (2), DURATION (15s), PORT (0: any
# free port), STARTUP_DEADLINE seconds (300), RESTART (1; 0 skips phase 2).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
shared="$here/../shared"
CONNECTIONS=${CONNECTIONS:-32}
THREADS=${THREADS:-2}
DURATION=${DURATION:-15s}
PORT=${PORT:-0}
STARTUP_DEADLINE=${STARTUP_DEADLINE:-300}
RESTART=${RESTART:-1}

if ! command -v wrk >/dev/null; then
    echo "wrk not found: installing the Debian package" >&2
    if [[ $(id -u) -eq 0 ]]; then apt-get install -y wrk; else sudo apt-get install -y wrk; fi
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/deflect-load.XXXXXX")
server_pid=
stop_server() {
    if [[ -n $server_pid ]] && kill -0 "$server_pid" 2>/dev/null; then
        kill "$server_pid" 2>/dev/null || true
        # Give it a moment to shut down gracefully, then insist.
        for _ in $(seq 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    server_pid=
}
cleanup() {
    stop_server
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "== building release"
(cd "$here" && cargo build --release --quiet)
bin="$here/target/release/deflect"

articles="$here/articles"
covid=
banking=
if compgen -G "$shared/corpora/*.tar.gz" >/dev/null; then
    articles="$tmp/articles"
    mkdir -p "$articles"
    for archive in "$shared"/corpora/*.tar.gz; do
        tar xzf "$archive" -C "$articles"
    done
    covid="$shared/data/covidfaq/query_answer_pairs.json"
    banking="$shared/data/banking77/test.csv"
    echo "== corpora: $(ls "$articles" | tr '\n' ' ')($(find "$articles" -name '*.md' | wc -l) .md files)"
else
    echo "== ../shared absent: serving the bundled $articles"
fi

base=
start_server() {
    local log=$1
    # The working directory is the temp dir, so no deflect.toml is picked up.
    (cd "$tmp" && exec env DEFLECT_SEARCH_CACHE_MB="${cache_mb:-64}" "$bin" serve --addr "127.0.0.1:$PORT" --no-watch \
        --articles "$articles" --index "$tmp/index" >"$tmp/$log.out" 2>"$tmp/$log.err") &
    server_pid=$!
    local started=$SECONDS
    base=
    while [[ -z $base ]]; do
        if ! kill -0 "$server_pid" 2>/dev/null; then
            echo "deflect serve exited early:" >&2
            cat "$tmp/$log.out" "$tmp/$log.err" >&2
            exit 1
        fi
        if ((SECONDS - started > STARTUP_DEADLINE)); then
            echo "deflect serve not listening after ${STARTUP_DEADLINE}s" >&2
            exit 1
        fi
        base=$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$tmp/$log.out" 2>/dev/null | head -1 || true)
        [[ -n $base ]] || sleep 0.2
    done
    until curl -fsS --max-time 2 "$base/healthz" >/dev/null 2>&1; do
        if ((SECONDS - started > STARTUP_DEADLINE)); then
            echo "$base/healthz not healthy after ${STARTUP_DEADLINE}s" >&2
            exit 1
        fi
        sleep 0.2
    done
    echo "== serving on $base after $((SECONDS - started))s (pid $server_pid)"
}

# VmRSS with its anonymous / file-backed (mmapped index) parts, and the peak.
memory() {
    awk '$1 ~ /^(VmRSS|RssAnon|RssFile|VmHWM):$/ { printf "%s %.0f MB  ", $1, $2 / 1024 }' "/proc/$server_pid/status"
}

run_wrk() {
    local label=$1 mode=$2
    echo "== wrk: /api/v1/$mode, $CONNECTIONS connections, $THREADS threads, $DURATION"
    # wrk stops by itself after DURATION; the timeout is a backstop.
    timeout 120 wrk --latency -c "$CONNECTIONS" -t "$THREADS" -d "$DURATION" --timeout 5s \
        -s "$here/benches/load.lua" "$base" -- "$mode" "$tmp/titles.json" "$covid" "$banking" |
        tee "$tmp/wrk.out"
    local result
    result=$(grep '^RESULT' "$tmp/wrk.out" || true)
    printf '%-24s %s\n' "$label" "${result#RESULT }" >>"$tmp/summary"
}

: >"$tmp/summary"
echo "== phase 1: serve builds a fresh index at start"
start_server fresh
echo "   memory after start-up: $(memory)"
echo "after start-up (fresh index)   $(memory)" >>"$tmp/memory"
curl -fsS --max-time 10 "$base/api/v1/articles?locale=en" >"$tmp/titles.json"
echo "   sample: 'reset password' → $(curl -fsS --max-time 5 "$base/api/v1/search?q=reset%20password" | grep -o '"total":[0-9]*')"
# The first run also fills the result cache (each query's first time is a
# real search); the second one is what repeated questions cost.
run_wrk "search (cache filling)" search
run_wrk "search (cache warm)" search
run_wrk suggest suggest
echo "after search+suggest load      $(memory)" >>"$tmp/memory"
if grep -q ' ERROR ' "$tmp/fresh.err"; then
    echo "server logged errors:"
    grep ' ERROR ' "$tmp/fresh.err" | head -5
fi
stop_server

if [[ $RESTART == 1 ]]; then
    echo "== phase 2: restart on the existing index, result cache off"
    cache_mb=0 start_server restart
    echo "restart: after start-up         $(memory)" >>"$tmp/memory"
    run_wrk "search (no cache)" search
    echo "restart: after search load      $(memory)" >>"$tmp/memory"
    stop_server
fi

echo
echo "== summary ($CONNECTIONS connections, $THREADS wrk threads, $DURATION each; $(nproc) cores shared by wrk and the server)"
cat "$tmp/summary"
echo "== server memory (/proc/PID/status)"
cat "$tmp/memory"
