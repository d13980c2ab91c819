#!/usr/bin/env bash
# CI: a short pass of every libFuzzer harness over its committed seeds
# (FUZZ_CI_SECONDS each, default 20; about 3 minutes in all), through
# fuzz/run.sh. Fails on any crash, leak, timeout or sanitizer report; the
# reproducer is under build/fuzz/NAME.crashes/ and the log's tail is printed.
# Usage: fuzz/ci.sh [NAME...]   (wired into .ci/run after make check-asan)
set -euo pipefail
cd "$(dirname "$0")/.."
tools/deps.sh fuzz
secs=${FUZZ_CI_SECONDS:-20}
exec fuzz/run.sh "$secs" "$@"
