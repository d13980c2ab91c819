#!/usr/bin/env bash
# Re-creates the escape seed corpora from the committed compiler fixtures.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p fuzz/corpus/escape_text fuzz/corpus/escape_logopt
for f in spec/fixtures/escape/go1.*.log; do
  [ -s "$f" ] || continue
  b=$(basename "$f" .log)
  head -c 4096 "$f" > "fuzz/corpus/escape_text/$b.head"
  tail -c 4096 "$f" > "fuzz/corpus/escape_text/$b.tail"
done
for f in spec/fixtures/escape/go1.*.logopt/*/*.json; do
  b=$(echo "$f" | sed 's|spec/fixtures/escape/||; s|[/%]|_|g')
  head -c 4096 "$f" > "fuzz/corpus/escape_logopt/$b"
done
