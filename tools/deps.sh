#!/usr/bin/env bash
# Installs the Debian packages a make target needs (when run as root), or says
# clearly which are missing. Usage: tools/deps.sh [--check] GROUP...
# --check never installs (a plain `make` checks; only the set-up targets
# demo, test, check-asan, fuzz, bench and corpus install).
#   build  compilers and libraries for the C core and the Lua binding
#   test   busted, the Lua interpreters and libraries, Go compilers for fixtures
#          (Neovim and tmux for the editor plugin's specs)
#   asan   the sanitizer runtimes          fuzz  clang + libFuzzer
#   bench  peer tools (llvm-symbolizer)    demo  Go for the demo program
#   lint   luacheck
set -euo pipefail
check=0
if [ "${1:-}" = --check ]; then check=1; shift; fi
pkgs=()
for g in "$@"; do
  case "$g" in
    build) pkgs+=(gcc make pkg-config luajit libluajit-5.1-dev liblua5.1-0-dev liblua5.4-dev
                  libelf-dev libdwarf-dev zlib1g-dev libdeflate-dev libcurl4-openssl-dev) ;;
    test)  pkgs+=(luajit lua5.1 lua5.4 lua-busted lua-cjson lua-argparse lua-penlight
                  luarocks golang-1.19-go llvm binutils python3 graphviz chromium
                  python3-jsonschema linux-perf
                  neovim tmux) ;;
    asan)  pkgs+=(gcc libclang-rt-14-dev) ;;
    fuzz)  pkgs+=(clang libclang-rt-14-dev) ;;
    bench) pkgs+=(llvm hyperfine gawk) ;;
    demo)  pkgs+=(luajit lua-cjson lua-argparse golang-1.19-go) ;;
    lint)  pkgs+=(lua-check) ;;
    *) echo "deps.sh: unknown group $g" >&2; exit 2 ;;
  esac
done
command -v dpkg-query > /dev/null || exit 0 # not Debian: the build says what is missing
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ $check = 0 ] && [ "$(id -u)" = 0 ] && command -v apt-get > /dev/null; then
  echo "deps: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq > /dev/null || true
  apt-get install -y -qq --no-install-recommends "${missing[@]}" > /dev/null
else
  echo "deps: missing Debian packages: ${missing[*]}" >&2
  echo "deps: install them with: sudo apt-get install ${missing[*]}" >&2
  [ $check = 1 ] && echo "deps: or run a set-up target as root (make demo, make test), which installs them" >&2
  exit 1
fi
