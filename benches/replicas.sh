#!/usr/bin/env bash
# Two deflect replicas and PostgreSQL on this machine, on loopback only:
# what running several replicas costs and gives. Starts a throwaway
# PostgreSQL cluster (initdb in a temp dir, Unix socket, fsync on), builds
# the release binary and serves both real corpora of ../shared/corpora (the
# bundled articles/ when absent) from one folder, as a shared volume would.
#
#   1. one replica on the PostgreSQL store: wrk on /api/v1/search with whole
#      customer questions, result cache off (the engine);
#   2. two replicas on the same store and folder: the same load split over
#      both (two wrk at once, half the connections each), summed;
#   3. an article written to the shared folder (what a publication on a
#      replica writes), ROUNDS times: until replica B's search finds it.
#
# The machine has 2 cores: two replicas share them, so phase 2 shows the
# overhead of a second process, not scaling (each replica is CPU-bound).
#
# Environment: CORPORA ("officedocs-support powershell-docs"), CONNECTIONS
# (32), THREADS (2), DURATION (10s), ROUNDS (20), STARTUP_DEADLINE (300 s).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
shared="$here/../shared"
CONNECTIONS=${CONNECTIONS:-32}
THREADS=${THREADS:-2}
DURATION=${DURATION:-10s}
ROUNDS=${ROUNDS:-20}
STARTUP_DEADLINE=${STARTUP_DEADLINE:-300}
CORPORA=${CORPORA:-officedocs-support powershell-docs}

command -v wrk >/dev/null || { echo "wrk not found (apt-get install -y wrk)" >&2; exit 1; }
pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[[ -x $pg_bin/initdb ]] || { echo "PostgreSQL not found (apt-get install -y postgresql)" >&2; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/deflect-replicas.XXXXXX")
pids=()
as_pg() { if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    as_pg "$pg_bin/pg_ctl" -D "$tmp/pg/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "== PostgreSQL ($pg_bin)"
mkdir -p "$tmp/pg"
if [[ $(id -u) -eq 0 ]]; then chmod 755 "$tmp"; chown postgres: "$tmp/pg"; fi
as_pg "$pg_bin/initdb" -D "$tmp/pg/data" -U postgres --auth=trust -E UTF8 >/dev/null
as_pg "$pg_bin/pg_ctl" -D "$tmp/pg/data" -l "$tmp/pg/log" -w \
    -o "-c listen_addresses='' -k $tmp/pg" start >/dev/null
as_pg "$pg_bin/psql" -h "$tmp/pg" -U postgres -qc "CREATE DATABASE deflect"
store="postgresql://postgres@localhost/deflect?host=$tmp/pg"

echo "== building release"
(cd "$here" && cargo build --release --quiet)
bin="$here/target/release/deflect"

articles="$tmp/articles"
mkdir -p "$articles"
covid=
banking=()
if compgen -G "$shared/corpora/*.tar.gz" >/dev/null; then
    for name in $CORPORA; do tar xzf "$shared/corpora/$name.tar.gz" -C "$articles"; done
    covid="$shared/data/covidfaq/query_answer_pairs.json"
    banking=("$shared/data/banking77/test.csv" "$shared/data/banking77/train.csv")
else
    cp -r "$here/articles/." "$articles"
fi
echo "== $(find "$articles" -name '*.md' | wc -l) articles in the shared folder"

# start NAME: a replica on the shared store and folder; sets $url.
start() {
    local name=$1 started=$SECONDS
    (cd "$tmp" && exec env DEFLECT_STORE="$store" DEFLECT_SEARCH_CACHE_MB=0 DEFLECT_DEBOUNCE_MS=50 \
        "$bin" serve --addr 127.0.0.1:0 --articles "$articles" --index "$tmp/index-$name" \
        >"$tmp/$name.out" 2>"$tmp/$name.err") &
    pids+=($!)
    url=
    until [[ -n $url ]] && curl -fsS --max-time 2 "$url/healthz" >/dev/null 2>&1; do
        ((SECONDS - started < STARTUP_DEADLINE)) || { echo "$name did not start:" >&2; cat "$tmp/$name.err" >&2; exit 1; }
        url=$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$tmp/$name.out" 2>/dev/null | head -1 || true)
        sleep 0.2
    done
    echo "== replica $name on $url after $((SECONDS - started))s"
}

# load URL CONNECTIONS OUT: wrk with whole customer questions.
load() {
    LOAD_THREADS=$THREADS timeout 300 wrk --latency -c "$2" -t "$THREADS" -d "$DURATION" --timeout 5s \
        -s "$here/benches/load.lua" "$1" -- search questions "$tmp/titles.json" "$covid" \
        ${banking[@]+"${banking[@]}"} >"$3"
    grep '^RESULT' "$3"
}

start a
a=$url
curl -fsS --max-time 10 "$a/api/v1/articles?locale=en" >"$tmp/titles.json"
echo "== 1. one replica, $CONNECTIONS connections"
load "$a" "$CONNECTIONS" "$tmp/one.out"

start b
b=$url
echo "== 2. two replicas, $((CONNECTIONS / 2)) connections each, at once"
load "$a" $((CONNECTIONS / 2)) "$tmp/two-a.out" &
wa=$!
load "$b" $((CONNECTIONS / 2)) "$tmp/two-b.out" &
wb=$!
wait "$wa" "$wb"
awk '/^RESULT/ { for (i = 2; i <= NF; i++) { split($i, kv, "="); if (kv[1] == "rps") s += kv[2]; if (kv[1] == "p99_us" && kv[2] > m) m = kv[2] } }
     END { printf "   both: %.0f req/s in all, worst p99 %.1f ms\n", s, m / 1000 }' "$tmp/two-a.out" "$tmp/two-b.out"

echo "== 3. written to the shared folder → found by replica B's search, $ROUNDS times"
mkdir -p "$articles/bench-replicas"
for i in $(seq "$ROUNDS"); do
    word="replicaword$RANDOM$i"
    start_ns=$(date +%s%N)
    printf -- '---\ntitle: Replica check %s\n---\nThe word is %s.\n' "$i" "$word" >"$articles/bench-replicas/a$i.md"
    deadline=$((SECONDS + 30))
    until curl -fsS --max-time 2 "$b/api/v1/search?q=$word" | grep -q "bench-replicas/a$i"; do
        ((SECONDS < deadline)) || { echo "not found on B after 30 s" >&2; exit 1; }
        sleep 0.01
    done
    echo $((($(date +%s%N) - start_ns) / 1000000))
done | sort -n >"$tmp/visible"
awk '{ v[NR] = $1 } END { printf "   visible on B: p50 %d ms, max %d ms (%d rounds)\n", v[int((NR + 1) / 2)], v[NR], NR }' "$tmp/visible"
if grep -h ' ERROR ' "$tmp"/a.err "$tmp"/b.err | head -5; then echo "(errors above were logged)"; fi
