#!/usr/bin/env bash
# The module exports only luaopen_goescape_core and the ge_ C API (libdeflate's
# habit): anything else is a helper that leaked out of its file.
set -euo pipefail
bad=$(nm -D --defined-only "$1" | awk '{print $3}' | grep -v -E '^(luaopen_goescape_core|ge_[a-z0-9_]+|_init|_fini|__bss_start|_edata|_end)$' || true)
if [ -n "$bad" ]; then echo "check-exports: $1 exports unexpected symbols:" >&2; echo "$bad" >&2; exit 1; fi
