# goescape — build the C core and the Lua binding, run specs, benches, fuzzers.
#   make                 build for LuaJIT 2.1 (default)
#   make LUA=lua5.4      build for PUC Lua 5.4 (lua5.1, lua5.3 likewise)
#   make check           the fast offline tier (spec/unit: committed fixtures only) under
#                        LuaJIT, Lua 5.1 and 5.4
#   make test            every busted spec, both tiers (LuaJIT, then Lua 5.1 and 5.4)
#   make check-asan      the specs against an ASan+UBSan build, leak-checked
#   make demo            build the demo Go program, profile it, print the report
#   make fuzz FUZZ_SECONDS=N   run each libFuzzer harness for N seconds
#   make fuzz-lua        random call sequences on the Lua API, under ASan+UBSan
#   make bench           benchmarks against peer tools (needs the corpus)
#   make install         install into INST_LIBDIR / INST_LUADIR / INST_BINDIR
LUA ?= luajit
BUILD ?= build/$(LUA)
SAN ?=

ifeq ($(LUA),luajit)
LUA_PC := luajit
else
LUA_PC := $(LUA)
endif
# Asked when a compile runs, not when the Makefile is read: on a fresh
# machine `make` installs the Lua headers (target deps) after reading it.
LUA_CFLAGS ?= $(shell pkg-config --cflags $(LUA_PC) 2>/dev/null)

CC ?= cc
CFLAGS ?= -O2 -g
GE_CFLAGS = -std=c11 -Wall -Wextra -Werror -fPIC -fvisibility=hidden \
	-D_DEFAULT_SOURCE -Iinclude -Isrc -I/usr/include/libdwarf $(LUA_CFLAGS) $(GE_EXTRA_CFLAGS) $(SAN)
LIBFLAG ?= -shared
GE_LIBS := $(GE_EXTRA_LDFLAGS) -lelf -ldwarf -lz -ldeflate -lcurl -lm -pthread

CORE_SRC := $(sort $(wildcard src/core/*.c src/escape/*.c src/profile/*.c src/binary/*.c src/trace/*.c src/bench/*.c src/memory/*.c src/net/*.c src/perf/*.c src/heapdump/*.c))
LUA_SRC := $(sort $(wildcard src/lua/*.c))
CORE_OBJ := $(CORE_SRC:%.c=$(BUILD)/obj/%.o)
LUA_OBJ := $(LUA_SRC:%.c=$(BUILD)/obj/%.o)
HEADERS := $(wildcard include/*.h include/goescape/*.h src/*/*.h)
MODULE := $(BUILD)/goescape/core.so
STATIC := $(BUILD)/libgoescape.a

TEST_LUAS ?= luajit lua5.1 lua5.4
BUSTED_ARGS ?=   # e.g. spec/escape_spec.lua (default: every spec)

.PHONY: all module deps check test test-one check-asan asan-build fuzz-lua demo bench fuzz lint install clean corpus
all: deps $(MODULE)

# The module alone, without the Debian package check (LuaRocks builds this).
module: $(MODULE)

# Checks only: a plain `make` never installs anything. The set-up targets
# (demo, test, check-asan, fuzz, bench, corpus) install what they need first,
# then build in a fresh make that reads the installed headers' flags.
deps:
	@tools/deps.sh --check build

ifeq ($(V),1)
Q :=
else
Q := @
endif

$(BUILD)/obj/%.o: %.c $(HEADERS)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC $<")
	$(Q)$(CC) $(CFLAGS) $(GE_CFLAGS) -c -o $@ $<

$(STATIC): $(CORE_OBJ)
	@mkdir -p $(dir $@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(MODULE): $(LUA_OBJ) $(STATIC)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD $@")
	$(Q)$(CC) $(CFLAGS) $(SAN) $(LIBFLAG) -o $@ $(LUA_OBJ) $(STATIC) $(GE_LIBS)
	@tools/check-exports.sh $@

# One interpreter: build for it, then run busted with it.
test-one: deps $(MODULE)
	@tools/deps.sh --check test
	GOESCAPE_LUA=$(LUA) GOESCAPE_CPATH='$(BUILD)/?.so' $(LUA) /usr/bin/busted \
		--lpath='lua/?.lua;lua/?/init.lua' --cpath='$(BUILD)/?.so' $(if $(BUSTED_ARGS),$(BUSTED_ARGS),spec)

# The unit tier: no compiler, network or browser; committed fixtures only.
check:
	@tools/deps.sh --check build test
	@set -e; for l in $(TEST_LUAS); do \
		echo "== unit specs under $$l"; $(MAKE) --no-print-directory test-one LUA=$$l BUSTED_ARGS=spec/unit; done

# The first interpreter builds the fixtures; the others then run at once
# (the specs are single-threaded; each interpreter has its own scratch
# directory), their output printed in order as each ends.
test:
	@tools/deps.sh build test
	@first=$$(echo $(TEST_LUAS) | cut -d' ' -f1); rest=$$(echo $(TEST_LUAS) | cut -s -d' ' -f2-); \
	echo "== specs under $$first"; $(MAKE) --no-print-directory test-one LUA=$$first || exit 1; \
	pids=""; for l in $$rest; do \
		$(MAKE) --no-print-directory test-one LUA=$$l > build/test-$$l.log 2>&1 & pids="$$pids $$!"; done; \
	rc=0; set -- $$pids; for l in $$rest; do \
		wait $$1 || rc=1; shift; echo "== specs under $$l"; cat build/test-$$l.log; done; exit $$rc

# ASan+UBSan build of the module; the (uninstrumented) interpreter gets the
# runtime preloaded. Lua 5.4 allocates with malloc, so LeakSanitizer sees
# through its heap; it closes the state at exit, so leaks are real leaks.
ASAN_LUA ?= lua5.4
# intercept_tls_get_addr=0: with glibc 2.36, GCC 12's LeakSanitizer reads
# garbage from the dynamic TLS entries it tracks through __tls_get_addr (the
# libraries the module loads, libcurl's among them, use dynamic TLS) and its
# tracer dies at exit ("Tracer caught signal 11") depending on the memory
# layout, with no error of ASan's. Static TLS and every thread's stack are
# still scanned for roots.
ASAN_ENV = LD_PRELOAD="$$($(CC) -print-file-name=libasan.so) $$($(CC) -print-file-name=libubsan.so)" \
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=23:intercept_tls_get_addr=0 \
	LSAN_OPTIONS=suppressions=$(CURDIR)/tools/lsan.supp:print_suppressions=0 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

# The sanitized module for $(ASAN_LUA) in build/asan-$(ASAN_LUA).
asan-build:
	@tools/deps.sh --check build asan
	$(MAKE) --no-print-directory all LUA=$(ASAN_LUA) BUILD=build/asan-$(ASAN_LUA) \
		CFLAGS='-O1 -g' SAN='-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer'

# The specs that feed the C core's readers and queries (every input kind,
# hostile and corrupted inputs, the Lua API fuzzer, the CLI children they
# run): those that only compose their results in Lua, or wait on programs
# the sanitizers do not see (Go benchmarks, LuaRocks, Neovim, Chromium,
# perf), are left to make test, so that CI keeps to its 30 minutes; so is
# binary_spec's addr2line comparison over three compilers' builds (binaries
# reach the sanitized core through robustness, hostile and the binary
# libFuzzer harnesses, which run in CI too).
# BUSTED_ARGS=spec runs them all.
ASAN_KEEP = hostile robustness escape profile memory net \
	trace trace_allocfree trace_annot trace_clock trace_export \
	heapdump heapdump_sites heapdump_diff heapdump_patterns heapdump_stackvars
ASAN_SPECS = spec/unit $(ASAN_KEEP:%=spec/%_spec.lua)

check-asan:
	@tools/deps.sh build test asan
	@$(MAKE) --no-print-directory asan-build
	$(ASAN_ENV) GOESCAPE_LUA=$(ASAN_LUA) GOESCAPE_CPATH='build/asan-$(ASAN_LUA)/?.so' GOESCAPE_ASAN=1 \
		$(ASAN_LUA) /usr/bin/busted --lpath='lua/?.lua;lua/?/init.lua' \
		--cpath='build/asan-$(ASAN_LUA)/?.so' $(if $(BUSTED_ARGS),$(BUSTED_ARGS),$(ASAN_SPECS))

# fuzz/lua_api.lua on each of FUZZ_LUA_LUAS against its sanitized build:
# FUZZ_LUA_N sequences at most, new ones started for FUZZ_LUA_SECS seconds,
# from FUZZ_LUA_SEED (printed; default: the time). Fixtures that the specs
# build (profiles, binaries) are used when present. stdin is /dev/null.
FUZZ_LUA_LUAS ?= luajit lua5.4
FUZZ_LUA_N ?= 1000000
FUZZ_LUA_SECS ?= 10
FUZZ_LUA_SEED ?= $(shell date +%s)
fuzz-lua:
	@tools/deps.sh build test asan
	@set -e; for l in $(FUZZ_LUA_LUAS); do \
		$(MAKE) --no-print-directory asan-build ASAN_LUA=$$l; \
		$(ASAN_ENV) $$l fuzz/lua_api.lua run --seed $(FUZZ_LUA_SEED) --n $(FUZZ_LUA_N) \
			--secs $(FUZZ_LUA_SECS) --cpath 'build/asan-'$$l'/?.so' < /dev/null; done

demo:
	@tools/deps.sh build demo
	@$(MAKE) --no-print-directory all
	@examples/demo/run.sh

FUZZ_SECONDS ?= 60
fuzz:
	@tools/deps.sh build fuzz
	@fuzz/run.sh $(FUZZ_SECONDS)

CORPUS ?= build/corpus
corpus:
	@tools/deps.sh demo bench
	@tools/make-corpus.sh $(CORPUS)

bench:
	@tools/deps.sh build bench
	@$(MAKE) --no-print-directory all
	@bench/run.sh $(CORPUS)

lint:
	@tools/deps.sh --check lint
	luacheck lua bin/goescape spec examples
	luacheck plugin

INST_LIBDIR ?= /usr/local/lib/lua/5.1
INST_LUADIR ?= /usr/local/share/lua/5.1
INST_BINDIR ?= /usr/local/bin
install: $(MODULE)
	mkdir -p $(INST_LIBDIR)/goescape $(INST_LUADIR)
	cp $(MODULE) $(INST_LIBDIR)/goescape/core.so
	cp -r lua/goescape $(INST_LUADIR)/
	$(if $(INST_BINDIR),mkdir -p $(INST_BINDIR) && cp bin/goescape $(INST_BINDIR)/goescape)

clean:
	rm -rf build
