#!/usr/bin/env bash
# Runs every benchmark bench/*.sh against the corpus made by
# ../shared/tools/make-corpus.sh (or `make corpus`). Each prints ratios
# against its peer tool measured in the same run.
# Usage: bench/run.sh CORPUS_DIR [NAME...]
set -euo pipefail
cd "$(dirname "$0")/.."
corpus=${1:?usage: bench/run.sh CORPUS_DIR}
[ -d "$corpus" ] || { echo "bench: no corpus at $corpus (run: make corpus)" >&2; exit 1; }
shift
names=("$@")
if [ ${#names[@]} -eq 0 ]; then
  for f in bench/*.sh; do n=$(basename "$f" .sh); [ "$n" = run ] || [ "$n" = lib ] || names+=("$n"); done
fi
for n in "${names[@]}"; do echo "== bench $n"; bash "bench/$n.sh" "$corpus"; done
