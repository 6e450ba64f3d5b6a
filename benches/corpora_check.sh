#!/usr/bin/env bash
# Checks how deflect handles the two real corpora in ../shared/corpora: both
# are unpacked into one articles folder in a temp dir
# ($tmp/articles/officedocs-support/..., $tmp/articles/powershell-docs/...),
# then the release binary runs `deflect index` (fresh index in the temp dir)
# and `deflect check`. Prints the indexed count and the invalid-YAML files
# each command names, and asserts that exactly 5 files with invalid YAML are
# named with path and line, by both commands, and that the index holds every
# Markdown file but those 5. Any other outcome is printed in detail (which
# files, and why) and the script exits 1.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
shared="$here/../shared"
EXPECTED_INVALID_YAML=5

if ! compgen -G "$shared/corpora/*.tar.gz" >/dev/null; then
    echo "no corpora in $shared/corpora: nothing to check" >&2
    exit 0
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/deflect-corpora.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

echo "== building release"
(cd "$here" && cargo build --release --quiet) || { echo "release build failed" >&2; exit 2; }
bin="$here/target/release/deflect"

articles="$tmp/articles"
mkdir -p "$articles"
for archive in "$shared"/corpora/*.tar.gz; do
    tar xzf "$archive" -C "$articles" || { echo "cannot unpack $archive" >&2; exit 2; }
done
# What deflect counts as an article: *.md / *.markdown, nothing hidden.
find "$articles" -path '*/.*' -prune -o -type f \( -iname '*.md' -o -iname '*.markdown' \) -print \
    | sort >"$tmp/md-files"
md_count=$(wc -l <"$tmp/md-files")
echo "== unpacked into $articles:"
for dir in "$articles"/*/; do
    echo "   $(basename "$dir"): $(grep -cF "$dir" "$tmp/md-files") Markdown files"
done
echo "   total: $md_count"

cd "$tmp" || exit 2 # no deflect.toml from the caller's directory
echo "== deflect index"
"$bin" index --articles "$articles" --index "$tmp/index" >"$tmp/index.out" 2>"$tmp/index.err"
index_rc=$?
cat "$tmp/index.out"
indexed=$(grep -o 'indexed [0-9]* articles' "$tmp/index.out" | awk '{print $2}')
grep '^skipped ' "$tmp/index.err" | sed 's/^skipped //' >"$tmp/index-skipped"
grep 'invalid YAML' "$tmp/index-skipped" >"$tmp/index-yaml"

echo "== deflect check"
"$bin" check --articles "$articles" >"$tmp/check.out" 2>"$tmp/check.err"
check_rc=$?
echo "   exit code $check_rc; $(tail -1 "$tmp/check.err")"
grep 'invalid YAML' "$tmp/check.out" >"$tmp/check-yaml"
echo "   problems by kind:"
sed -E 's/^[^:]+:[0-9]+: //; s/`[^`]*`/`…`/g; s/: .*//' "$tmp/check.out" | sort | uniq -c | sort -rn | sed 's/^/     /'

failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

echo
echo "== invalid YAML named by deflect check ($(wc -l <"$tmp/check-yaml")):"
sed 's/^/   /' "$tmp/check-yaml"
echo "== invalid YAML skipped by deflect index ($(wc -l <"$tmp/index-yaml")):"
sed 's/^/   /' "$tmp/index-yaml"

[[ $index_rc -eq 0 ]] || fail "deflect index exited $index_rc: $(tail -3 "$tmp/index.err")"
[[ -n $indexed ]] || { fail "deflect index printed no 'indexed N articles' line"; indexed=0; }
yaml_count=$(wc -l <"$tmp/check-yaml")
[[ $yaml_count -eq $EXPECTED_INVALID_YAML ]] ||
    fail "deflect check names $yaml_count invalid-YAML files, expected $EXPECTED_INVALID_YAML"
# Each must be `<path under articles>.md:<line>: invalid YAML front matter: ...`.
while IFS= read -r line; do
    file=${line%%:*}
    [[ $line =~ ^$articles/.+\.md:[0-9]+:\ invalid\ YAML ]] || fail "not named with path and line: $line"
    [[ -f $file ]] || fail "names a file that does not exist: $file"
done <"$tmp/check-yaml"
cmp -s <(cut -d: -f1,2 "$tmp/check-yaml" | sort) <(cut -d: -f1,2 "$tmp/index-yaml" | sort) ||
    fail "deflect index and deflect check disagree on the invalid-YAML files"

expected=$((md_count - EXPECTED_INVALID_YAML))
echo
echo "== indexed $indexed of $md_count Markdown files (expected $md_count - $EXPECTED_INVALID_YAML = $expected)"
if [[ $indexed -ne $expected ]]; then
    fail "indexed $indexed articles, expected $expected ($((expected - indexed)) fewer)"
    skipped_count=$(wc -l <"$tmp/index-skipped")
    echo "   deflect index skipped $skipped_count files; besides invalid YAML:"
    grep -v 'invalid YAML' "$tmp/index-skipped" | sed 's/^/     /'
    grep -v 'invalid YAML' "$tmp/index-skipped" | cut -d: -f1 | sort -u | while IFS= read -r file; do
        echo "   --- first lines of $file:"
        head -5 "$file" | sed 's/^/     | /'
    done
    unaccounted=$((md_count - indexed - skipped_count))
    if [[ $unaccounted -ne 0 ]]; then
        echo "   $unaccounted files are neither indexed nor reported as skipped (> 0) or counted twice (< 0)"
    fi
fi

echo
if [[ $failures -eq 0 ]]; then
    echo "corpora_check: OK"
else
    echo "corpora_check: $failures check(s) failed"
    exit 1
fi
