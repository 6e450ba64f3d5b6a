#!/usr/bin/env bash
# HTTP load test of deflect's JSON search API, on loopback only. Builds the
# release binary, serves both real corpora from ../shared/corpora (unpacked
# into a temp dir; the bundled articles/ when ../shared is absent) with a
# fresh index in a temp dir and no watcher, and drives it with wrk
# (benches/load.lua) from the same machine. Two query streams, reported
# apart: whole customer questions (CovidFAQ's user queries and every
# BANKING77 message, about 14,000 distinct) and short title phrases (the
# first three words of 1,000 titles).
#
#   phase 1  fresh index, result cache on: each stream twice (the first run
#            fills the cache, the second is what repeated questions cost),
#            then /api/v1/suggest.
#   phase 2  restart on the index it built, result cache off: the engine.
#            First the questions for UNIQUE_DURATION, shorter than one pass,
#            so every query is new to the process (cold per-generation
#            memos too: the realistic worst case); then each stream for
#            DURATION (after one pass the queries repeat, but nothing is
#            answered from a cache of results); then SOAK of questions.
#   phase 3  only with MEILI_BIN=path/to/meilisearch: Meilisearch on the
#            same articles (title + text), queries and load generator,
#            without and with snippets (cropped, highlighted text).
#
# Resident memory of the server is sampled every 10 s throughout (VmRSS,
# anonymous / file-backed parts) and printed at the end with the summary;
# the soak tells whether it stays flat (SOAK=10m for the 10-minute figure).
# Each wrk line also gives the server's CPU milliseconds per request, which
# is steadier than requests/s on a shared machine.
#
# Bounded: every wait has a deadline, wrk stops by itself (with a timeout
# as a backstop), and servers are killed on exit.
#
# Environment: CORPORA (names of ../shared/corpora archives, space
# separated: "officedocs-support powershell-docs"; "officedocs-support" is
# the support corpus alone), CONNECTIONS (32), THREADS (2), DURATION (15s),
# UNIQUE_DURATION (4s), SOAK (2m; 0 skips it), PORT (0: any free port),
# STARTUP_DEADLINE seconds (300), MEILI_BIN (unset: phase 3 skipped),
# MEILI_PORT (7700).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
shared="$here/../shared"
CONNECTIONS=${CONNECTIONS:-32}
THREADS=${THREADS:-2}
DURATION=${DURATION:-15s}
UNIQUE_DURATION=${UNIQUE_DURATION:-4s}
SOAK=${SOAK:-2m}
PORT=${PORT:-0}
STARTUP_DEADLINE=${STARTUP_DEADLINE:-300}
MEILI_BIN=${MEILI_BIN:-}
MEILI_PORT=${MEILI_PORT:-7700}
CORPORA=${CORPORA:-officedocs-support powershell-docs}

if ! command -v wrk >/dev/null; then
    echo "wrk not found: installing the Debian package" >&2
    if [[ $(id -u) -eq 0 ]]; then apt-get install -y wrk; else sudo apt-get install -y wrk; fi
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/deflect-load.XXXXXX")
server_pid=
sampler_pid=
stop_pid() {
    local pid=$1
    if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then
        kill "$pid" 2>/dev/null || true
        # Give it a moment to shut down gracefully, then insist.
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    fi
}
stop_server() {
    stop_pid "$sampler_pid"
    stop_pid "$server_pid"
    server_pid=
    sampler_pid=
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
banking=()
if compgen -G "$shared/corpora/*.tar.gz" >/dev/null; then
    articles="$tmp/articles"
    mkdir -p "$articles"
    for name in $CORPORA; do
        tar xzf "$shared/corpora/$name.tar.gz" -C "$articles"
    done
    covid="$shared/data/covidfaq/query_answer_pairs.json"
    banking=("$shared/data/banking77/test.csv" "$shared/data/banking77/train.csv")
    echo "== corpora: $(ls "$articles" | tr '\n' ' ')($(find "$articles" -name '*.md' | wc -l) .md files)"
else
    echo "== ../shared absent: serving the bundled $articles"
fi

# Samples the server's memory every 10 s, labelled with the phase.
sample_memory() {
    local label=$1 started=$SECONDS
    while kill -0 "$server_pid" 2>/dev/null; do
        printf '%-10s t=%4ss  %s\n' "$label" "$((SECONDS - started))" "$(memory)" >>"$tmp/memory"
        sleep 10
    done
}

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
    wait_healthy "$base/healthz" "$started"
    echo "== serving on $base after $((SECONDS - started))s (pid $server_pid)"
    sample_memory "$log" >/dev/null 2>&1 &
    sampler_pid=$!
}

wait_healthy() {
    local url=$1 started=$2
    until curl -fsS --max-time 2 "$url" >/dev/null 2>&1; do
        if ((SECONDS - started > STARTUP_DEADLINE)); then
            echo "$url not healthy after ${STARTUP_DEADLINE}s" >&2
            exit 1
        fi
        sleep 0.2
    done
}

# VmRSS with its anonymous / file-backed (mmapped index) parts, and the peak.
memory() {
    awk '$1 ~ /^(VmRSS|RssAnon|RssFile|VmHWM):$/ { printf "%s %.0f MB  ", $1, $2 / 1024 }' "/proc/$server_pid/status" 2>/dev/null || true
}

# CPU ticks (user + system) the server has used so far.
cpu_ticks() {
    awk '{ print $14 + $15 }' "/proc/$server_pid/stat" 2>/dev/null || echo 0
}

# A wrk duration (`15s`, `2m`, `1h`) in seconds.
seconds() {
    local d=$1
    case $d in
        *h) echo $((${d%h} * 3600)) ;;
        *m) echo $((${d%m} * 60)) ;;
        *s) echo "${d%s}" ;;
        *) echo "$d" ;;
    esac
}

# run_wrk LABEL MODE STREAM DURATION [URL]
run_wrk() {
    local label=$1 mode=$2 stream=$3 duration=$4 url=${5:-$base}
    echo "== $label: $mode $stream, $CONNECTIONS connections, $THREADS threads, $duration"
    local before after
    before=$(cpu_ticks)
    # wrk stops by itself after the duration; the timeout is a backstop.
    LOAD_THREADS=$THREADS timeout $(($(seconds "$duration") + 120)) \
        wrk --latency -c "$CONNECTIONS" -t "$THREADS" -d "$duration" --timeout 5s \
        -s "$here/benches/load.lua" "$url" -- "$mode" "$stream" "$tmp/titles.json" "$covid" \
        ${banking[@]+"${banking[@]}"} | tee "$tmp/wrk.out"
    after=$(cpu_ticks)
    local result requests cpu=""
    result=$(grep '^RESULT' "$tmp/wrk.out" || true)
    requests=$(sed -n 's/.*requests=\([0-9]*\).*/\1/p' <<<"$result")
    if [[ -n $requests && $requests -gt 0 && $after -gt $before ]]; then
        # Ticks are 1/100 s.
        cpu=$(awk -v t="$((after - before))" -v n="$requests" 'BEGIN { printf " server_cpu_ms_per_req=%.3f", t * 10 / n }')
    fi
    printf '%-34s %s%s\n' "$label" "${result#RESULT }" "$cpu" >>"$tmp/summary"
}

: >"$tmp/summary"
: >"$tmp/memory"
echo "== phase 1: serve builds a fresh index at start, result cache on"
start_server fresh
curl -fsS --max-time 10 "$base/api/v1/articles?locale=en" >"$tmp/titles.json"
echo "   sample: 'reset password' → $(curl -fsS --max-time 5 "$base/api/v1/search?q=reset%20password" | grep -o '"total":[0-9]*')"
run_wrk "questions, cache on (filling)" search questions "$DURATION"
run_wrk "questions, cache on (warm)" search questions "$DURATION"
run_wrk "titles, cache on (filling)" search titles "$DURATION"
run_wrk "titles, cache on (warm)" search titles "$DURATION"
run_wrk "suggest" suggest all "$DURATION"
if grep -q ' ERROR ' "$tmp/fresh.err"; then
    echo "server logged errors:"
    grep ' ERROR ' "$tmp/fresh.err" | head -5
fi
stop_server

echo "== phase 2: restart on the existing index, result cache off"
cache_mb=0 start_server nocache
run_wrk "questions, no cache, each once" search questions "$UNIQUE_DURATION"
if awk '{ for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] } }
        END { exit !(v["requests"] > v["distinct_queries"]) }' <<<"$(grep '^RESULT' "$tmp/wrk.out")"; then
    echo "warning: more requests than distinct questions: shorten UNIQUE_DURATION for a run of new queries only" >&2
fi
run_wrk "questions, no cache" search questions "$DURATION"
run_wrk "titles, no cache" search titles "$DURATION"
if [[ $SOAK != 0 ]]; then
    run_wrk "questions, no cache, soak" search questions "$SOAK"
fi
stop_server

if [[ -n $MEILI_BIN ]]; then
    echo "== phase 3: Meilisearch ($MEILI_BIN) on the same articles"
    meili_url="http://127.0.0.1:$MEILI_PORT"
    (exec "$MEILI_BIN" --db-path "$tmp/meili" --http-addr "127.0.0.1:$MEILI_PORT" --env development \
        --no-analytics >"$tmp/meili.log" 2>&1) &
    server_pid=$!
    wait_healthy "$meili_url/health" "$SECONDS"
    # Title and text (front matter removed) of every article.
    python3 - "$articles" >"$tmp/docs.json" <<'PY'
import json, os, re, sys
docs = []
for root, _, files in os.walk(sys.argv[1]):
    for name in files:
        if not name.endswith(".md"):
            continue
        text = open(os.path.join(root, name), encoding="utf-8", errors="replace").read()
        title = os.path.splitext(name)[0]
        m = re.match(r"(?s)^(---|\+\+\+)\n(.*?)\n\1\n", text)
        if m:
            t = re.search(r"(?m)^title\s*[:=]\s*[\"']?(.*?)[\"']?\s*$", m.group(2))
            title = t.group(1) if t else title
            text = text[m.end():]
        docs.append({"id": len(docs), "title": title, "text": text})
json.dump(docs, sys.stdout)
PY
    curl -fsS --max-time 60 -X PATCH "$meili_url/indexes/articles/settings" -H 'Content-Type: application/json' \
        --data '{"searchableAttributes":["title","text"]}' >/dev/null || true
    task=$(curl -fsS --max-time 120 -X POST "$meili_url/indexes/articles/documents?primaryKey=id" \
        -H 'Content-Type: application/json' --data-binary "@$tmp/docs.json" | grep -Eo '"taskUid": *[0-9]+' | grep -Eo '[0-9]+$') ||
        { echo "Meilisearch did not accept the documents" >&2; exit 1; }
    started=$SECONDS
    until curl -fsS --max-time 5 "$meili_url/tasks/$task" | grep -Eq '"status": *"succeeded"'; do
        if curl -fsS --max-time 5 "$meili_url/tasks/$task" | grep -Eq '"status": *"failed"'; then
            echo "Meilisearch could not index the articles:" >&2
            curl -fsS --max-time 5 "$meili_url/tasks/$task" >&2
            exit 1
        fi
        if ((SECONDS - started > STARTUP_DEADLINE)); then
            echo "Meilisearch did not index within ${STARTUP_DEADLINE}s" >&2
            exit 1
        fi
        sleep 1
    done
    echo "   indexed in $((SECONDS - started))s"
    run_wrk "meili questions" meili questions "$DURATION" "$meili_url"
    run_wrk "meili titles" meili titles "$DURATION" "$meili_url"
    run_wrk "meili questions, snippets" meili-snippets questions "$DURATION" "$meili_url"
    run_wrk "meili titles, snippets" meili-snippets titles "$DURATION" "$meili_url"
    stop_server
fi

echo
echo "== summary ($CONNECTIONS connections, $THREADS wrk threads; $(nproc) cores shared by wrk and the server)"
cat "$tmp/summary"
echo "== server memory every 10 s (/proc/PID/status)"
cat "$tmp/memory"
