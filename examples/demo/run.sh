#!/usr/bin/env bash
# make demo: build the demo program with -gcflags=-m=2, run it to write an
# allocation profile, and print the hotspot report with reasons and advice.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out=$root/build/demo
mkdir -p "$out"
GO=${GO:-}
if [ -z "$GO" ]; then
  if command -v go > /dev/null; then GO=go
  elif [ -x /usr/lib/go-1.19/bin/go ]; then GO=/usr/lib/go-1.19/bin/go
  else echo "demo: no Go compiler (apt-get install golang-1.19-go)" >&2; exit 1; fi
fi
export GOCACHE="$out/gocache" GOFLAGS=-mod=mod GOTOOLCHAIN=local
cd "$root/examples/demo"
echo "== $($GO version): go build -gcflags=-m=2 (log: build/demo/demo.m2.log)" >&2
"$GO" build -gcflags=-m=2 -o "$out/demo" . 2> "$out/demo.m2.log"
echo "== running the demo with MemProfileRate=1 (profile: build/demo/allocs.pb.gz)" >&2
"$out/demo" "$out/allocs.pb.gz" > /dev/null
cd "$root"
echo "== goescape summary" >&2
luajit bin/goescape summary -n 5 "$out/demo.m2.log"
echo
echo "== goescape hotspots (top allocating lines, the compiler's reasons, advice)" >&2
luajit bin/goescape hotspots --escape "$out/demo.m2.log" --profile "$out/allocs.pb.gz" \
  --binary "$out/demo" -n 8 --uncosted
echo >&2
luajit bin/goescape html --escape "$out/demo.m2.log" --profile "$out/allocs.pb.gz" \
  --binary "$out/demo" --title "goescape demo" -o "$out/report.html"
echo "== HTML report: $out/report.html (open it in a browser)" >&2
