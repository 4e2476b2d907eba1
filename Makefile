# ossd: build, test, demo and benchmark. `make help` lists the targets.

CC       ?= gcc
PYTHON   ?= /usr/bin/python3
PREFIX   ?= /usr/local
SANITIZE ?=
BUILD    ?= build

PKGS     := rdkafka libpq jansson libsystemd inih libcrypto libmicrohttpd libpcre2-8
VERSION  := $(shell cat VERSION 2>/dev/null || echo 0.0.0)

# The Debian -dev package of each pkg-config module in PKGS (deploy/deps.sh installs them).
DEBPKG_rdkafka       := librdkafka-dev
DEBPKG_libpq         := libpq-dev
DEBPKG_jansson       := libjansson-dev
DEBPKG_libsystemd    := libsystemd-dev
DEBPKG_inih          := libinih-dev
DEBPKG_libcrypto     := libssl-dev
DEBPKG_libmicrohttpd := libmicrohttpd-dev
DEBPKG_libpcre2-8    := libpcre2-dev

# Goals that need no compiler (demo and check install the packages, then build in a sub-make).
NOBUILD_GOALS := deps demo check fresh-check clean help format format-check unit-security deb
ifneq ($(filter-out $(NOBUILD_GOALS),$(or $(MAKECMDGOALS),all)),)
ifeq ($(shell command -v $(CC) 2>/dev/null),)
$(error $(CC) not found: the build needs build-essential (and more); run make deps as root)
endif
ifeq ($(shell command -v pkg-config 2>/dev/null),)
$(error pkg-config not found: the build needs the pkg-config package (and more); run make deps as root)
endif
PKGS_MISSING := $(strip $(foreach m,$(PKGS),$(if $(shell pkg-config --exists $(m) && echo y),,$(m))))
ifneq ($(PKGS_MISSING),)
$(error missing build dependencies: $(foreach m,$(PKGS_MISSING),$(DEBPKG_$(m)) (pkg-config $(m))); run make deps as root to install them)
endif
endif

# CFLAGS, CPPFLAGS and LDFLAGS are the builder's (debian/rules passes dpkg-buildflags');
# warnings are errors in development builds only: a package build sets WERROR= .
WERROR   ?= -Werror
CFLAGS   ?= -O2 -g
CFLAGS   += -std=c11 -D_GNU_SOURCE -Wall -Wextra $(WERROR) -Wshadow -Wstrict-prototypes \
            -Wmissing-prototypes -fno-strict-aliasing -pthread
ifneq ($(SANITIZE),)
CFLAGS   += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS  += -fsanitize=$(SANITIZE)
endif

# Layers, each compiled with only the include paths it may use:
#   lib/jsonschema/  the JSON Schema validator: its own directory, jansson and PCRE2; it knows
#                    nothing of ossd (make check compiles a probe that proves it);
#   lib/base/        generic containers (strmap, idset), CSV reader, working-day calendar,
#                    allocation, buffers, time helpers and the PostgreSQL COPY encoder: only its
#                    own directory and libc (make layers proves it);
#   include/ossd/    the handler ABI (handler.h): the only ossd header a handler includes;
#   handlers/        the built-in handlers: include/ossd/, their own directory, lib/base and libc,
#                    no daemon header and no package's flags (make layers proves it);
#   daemon/, tools/, tests/  ossd itself: its own headers, include/, lib/base and lib/jsonschema.
BASE_INC := -Ilib/base
BASE_SRC := $(wildcard lib/base/*.c)
BASE_OBJ := $(BASE_SRC:%.c=$(BUILD)/obj/%.o)
BASE_LIB := $(BUILD)/libbase.a
JS_PKGS  := jansson libpcre2-8
JS_INC   := -Ilib/jsonschema $(shell pkg-config --cflags $(JS_PKGS) 2>/dev/null)
JS_LIBS  := $(shell pkg-config --libs $(JS_PKGS) 2>/dev/null) -lm
JS_SRC   := $(wildcard lib/jsonschema/*.c)
JS_OBJ   := $(JS_SRC:%.c=$(BUILD)/obj/%.o)
JS_LIB   := $(BUILD)/libjsonschema.a

HANDLER_INC := -Iinclude -Ihandlers -Ilib/base
APP_INC  := -Idaemon -Ihandlers -Iinclude -Ilib/base -Ilib/jsonschema -DOSSD_VERSION=\"$(VERSION)\" \
            -DOSSD_DATADIR=\"$(PREFIX)/share/ossd\" \
            $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
# Each program links only the libraries it uses (pkg-config modules).
LIBS_of   = $(shell pkg-config --libs $(1) 2>/dev/null) -pthread
LDLIBS   += $(call LIBS_of,$(PKGS)) -ldl -lm
OSSCTL_LIBS  := $(call LIBS_of,rdkafka libpq jansson libsystemd inih libcrypto libpcre2-8) -lm
LOADGEN_LIBS := $(call LIBS_of,rdkafka libcrypto)
RAWCOPY_LIBS := $(call LIBS_of,rdkafka libpq libsystemd inih libcrypto)
MOCK_LIBS    := $(call LIBS_of,rdkafka)

# The core library: every daemon module but main, and the built-in handlers.
LIB_SRC  := $(filter-out daemon/main.c,$(wildcard daemon/*.c)) \
            $(filter-out handlers/examples/%,$(wildcard handlers/*.c handlers/*/*.c))
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
LIB      := $(BUILD)/libossd.a

TOOLS    := $(BUILD)/ossd $(BUILD)/ossctl $(BUILD)/ossd-mockbroker
TOOLS    += $(if $(wildcard tools/loadgen*.c),$(BUILD)/ossd-loadgen)
TOOLS    += $(if $(wildcard tools/rawcopy*.c),$(BUILD)/ossd-rawcopy)
PLUGINS  := $(patsubst handlers/examples/%/,$(BUILD)/handlers/%.so,$(sort $(dir $(wildcard handlers/examples/*/*.c))))
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
JS_TEST_SRC := $(wildcard lib/jsonschema/tests/test_*.c)
JS_TEST_BIN := $(JS_TEST_SRC:lib/jsonschema/tests/%.c=$(BUILD)/tests/jsonschema/%)
# The libfaketime companion of the end-to-end tests that run ossd in the future (test only).
CNDSHIM  := $(BUILD)/libcndshim.so

.SECONDARY:
.PHONY: all deps check fresh-check unit e2e demo bench format format-check clean help install
all: $(TOOLS) $(PLUGINS) $(CNDSHIM)

help:
	@echo "make deps     install the Debian packages the build, tests and demo need"
	@echo "make          build build/ossd, build/ossctl and the dev-stack tools"
	@echo "make check    make deps, then every test: layers, unit (cmocka), end-to-end (pytest, dev stack), fuzz-regress"
	@echo "make layers   lib/jsonschema, lib/base and handlers/ compile with only the include paths they may use"
	@echo "make demo     dev stack + a realistic sample through ossd, with a summary"
	@echo "make fresh-check  make demo, then make check, on a bare Debian 12 (chroot; root)"
	@echo "make bench    the benchmark; last line is one JSON object"
	@echo "make fuzz     libFuzzer harnesses, FUZZ_SECONDS each (make fuzz-regress: replay)"
	@echo "make cpu-profile  instructions per message of gate, schema, chain and events (callgrind)"
	@echo "make soak     the long fault and accounting tests"
	@echo "make deb      the Debian package into build/ (make install: DESTDIR, PREFIX)"
	@echo "make unit-security  systemd-analyze exposure of the units (<= 2.0)"
	@echo "make format   clang-format every C file"

deps:
	bash deploy/deps.sh

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(APP_INC) $(CFLAGS) -MMD -MP -c -o $@ $<

# The generic base: its own directory only, no package's flags, no ossd defines.
$(BUILD)/obj/lib/base/%.o: lib/base/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(BASE_INC) $(CFLAGS) -MMD -MP -c -o $@ $<

# The built-in handlers: the public ABI, their own directory and lib/base; no daemon header.
$(BUILD)/obj/handlers/%.o: handlers/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(HANDLER_INC) $(CFLAGS) -MMD -MP -c -o $@ $<

$(BASE_LIB): $(BASE_OBJ)
	@rm -f $@
	ar rcs $@ $^

# The validator: no -Idaemon, -Ihandlers, no ossd defines.
$(BUILD)/obj/lib/jsonschema/%.o: lib/jsonschema/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(JS_INC) $(CFLAGS) -MMD -MP -c -o $@ $<

$(JS_LIB): $(JS_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(LIB): $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

# ossd exports the handler ABI's functions (daemon/handler.sym) to the plugins it dlopens.
HANDLER_EXPORTS := -Wl,--dynamic-list=daemon/handler.sym
$(BUILD)/ossd: $(BUILD)/obj/daemon/main.o $(LIB) $(JS_LIB) $(BASE_LIB) daemon/handler.sym
	$(CC) $(LDFLAGS) $(HANDLER_EXPORTS) -o $@ $(filter-out daemon/handler.sym,$^) $(LDLIBS)

$(BUILD)/ossctl: $(patsubst %.c,$(BUILD)/obj/%.o,$(wildcard tools/ossctl*.c)) $(LIB) $(JS_LIB) $(BASE_LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(OSSCTL_LIBS)

$(BUILD)/ossd-mockbroker: $(BUILD)/obj/tools/mockbroker.o
	$(CC) $(LDFLAGS) -o $@ $^ $(MOCK_LIBS)

$(BUILD)/ossd-loadgen: $(patsubst %.c,$(BUILD)/obj/%.o,$(wildcard tools/loadgen*.c)) $(LIB) $(JS_LIB) $(BASE_LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(LOADGEN_LIBS)

# The load generator's KBLI and sector tables, from the sector mix and the seed SQL (one copy:
# tests/pylib/sample.py reads the same file); the build fails on a code the seed lacks.
$(BUILD)/gen/loadgen_kbli.h: tools/loadgen_kbli.awk schemas/seed/sectors.tsv schemas/sql/003_refdata_seed.sql
	@mkdir -p $(dir $@)
	awk -F'\t' -f tools/loadgen_kbli.awk schemas/sql/003_refdata_seed.sql schemas/seed/sectors.tsv >$@.tmp
	mv $@.tmp $@

$(BUILD)/obj/tools/loadgen_gen.o: $(BUILD)/gen/loadgen_kbli.h
$(BUILD)/obj/tools/loadgen_gen.o: APP_INC += -I$(BUILD)/gen

$(BUILD)/ossd-rawcopy: $(patsubst %.c,$(BUILD)/obj/%.o,$(wildcard tools/rawcopy*.c)) $(LIB) $(JS_LIB) $(BASE_LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(RAWCOPY_LIBS)

# An example plugin: include/ only, as it builds out of the tree.
$(BUILD)/handlers/%.so: $(wildcard handlers/examples/*/*.c) include/ossd/handler.h
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Iinclude $(CFLAGS) -fPIC -shared -o $@ $(wildcard handlers/examples/$*/*.c) $(LDFLAGS)

$(CNDSHIM): tests/faketime/cndshim.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -fPIC -shared -o $@ $< $(LDFLAGS)

$(BUILD)/tests/%: $(BUILD)/obj/tests/unit/%.o $(LIB) $(JS_LIB) $(BASE_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lcmocka

# The validator's own tests (the draft-07 suite among them): its include path and libraries only.
$(BUILD)/obj/lib/jsonschema/tests/%.o: lib/jsonschema/tests/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(JS_INC) $(CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/tests/jsonschema/%: $(BUILD)/obj/lib/jsonschema/tests/%.o $(JS_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(JS_LIBS) -lcmocka -pthread

# The layer rules, checked by the compiler: with the validator's flags, and with lib/base's,
# no header of a layer above is reachable (__has_include, so a header that would fail for
# another reason still counts as reachable); each layer's own headers compile alone.
.PHONY: layers
layers:
	@mkdir -p $(BUILD)/layers
	@printf '#include "jsonschema.h"\nint layers_probe(void);\nint layers_probe(void) { return JSONSCHEMA_MAX_DEPTH; }\n' \
	    >$(BUILD)/layers/ok.c
	@printf '#include "jsonschema.h"\n#if !__has_include("util.h")\n#error out of reach\n#endif\n' >$(BUILD)/layers/bad.c
	@$(CC) $(CPPFLAGS) $(JS_INC) $(CFLAGS) -c -o $(BUILD)/layers/ok.o $(BUILD)/layers/ok.c || \
	    { echo "layers: lib/jsonschema/jsonschema.h does not compile with only its own include path" >&2; exit 1; }
	@if $(CC) $(CPPFLAGS) $(JS_INC) $(CFLAGS) -c -o $(BUILD)/layers/bad.o $(BUILD)/layers/bad.c 2>/dev/null; then \
	    echo "layers: a validator source can include daemon/util.h: lib/jsonschema sees ossd's headers" >&2; exit 1; fi
	@echo "layers: lib/jsonschema compiles with only its own include path, and ossd's headers are out of its reach"
	@printf '#include "base.h"\n#include "calendar.h"\n#include "csv.h"\n#include "idset.h"\n#include "pgcopy.h"\n#include "strmap.h"\n#include "timeutil.h"\nint layers_base_probe(void);\nint layers_base_probe(void) { return (int)ARRAY_SIZE("ok"); }\n' \
	    >$(BUILD)/layers/base_ok.c
	@$(CC) $(CPPFLAGS) $(BASE_INC) $(CFLAGS) -c -o $(BUILD)/layers/base_ok.o $(BUILD)/layers/base_ok.c || \
	    { echo "layers: lib/base's headers do not compile with only lib/base's include path" >&2; exit 1; }
	@for f in $(BASE_SRC); do \
	    $(CC) $(CPPFLAGS) $(BASE_INC) $(CFLAGS) -fsyntax-only $$f || \
	        { echo "layers: $$f does not compile with only lib/base's include path" >&2; exit 1; }; \
	done
	@for h in util.h store.h config.h ossd_handler.h jsonschema.h; do \
	    printf '#include "base.h"\n#if !__has_include("%s")\n#error out of reach\n#endif\n' $$h >$(BUILD)/layers/base_bad.c; \
	    if $(CC) $(CPPFLAGS) $(BASE_INC) $(CFLAGS) -c -o $(BUILD)/layers/base_bad.o $(BUILD)/layers/base_bad.c 2>/dev/null; then \
	        echo "layers: a lib/base source can include $$h: lib/base sees headers above it" >&2; exit 1; fi; \
	done
	@echo "layers: lib/base compiles with only its own include path, and the headers of ossd and of the validator are out of its reach"
	@printf '#include <ossd/handler.h>\n#include "base.h"\n#include "builtin.h"\n#include "rules.h"\nint layers_handler_probe(void);\nint layers_handler_probe(void) { return OSSD_HANDLER_ABI_MAJOR; }\n' \
	    >$(BUILD)/layers/handler_ok.c
	@$(CC) $(CPPFLAGS) $(HANDLER_INC) $(CFLAGS) -c -o $(BUILD)/layers/handler_ok.o $(BUILD)/layers/handler_ok.c || \
	    { echo "layers: the handler ABI does not compile with only the handlers' include path" >&2; exit 1; }
	@for h in util.h pipeline.h config.h ossd_handler.h jsonschema.h item.h; do \
	    printf '#include <ossd/handler.h>\n#include "%s"\n' $$h >$(BUILD)/layers/handler_bad.c; \
	    if $(CC) $(CPPFLAGS) $(HANDLER_INC) $(CFLAGS) -c -o $(BUILD)/layers/handler_bad.o $(BUILD)/layers/handler_bad.c 2>/dev/null; then \
	        echo "layers: a handler can include $$h: handlers/ sees headers above the ABI" >&2; exit 1; fi; \
	done
	@printf '#include <ossd/handler.h>\nint layers_abi_probe(void);\nint layers_abi_probe(void) { return OSSD_HANDLER_ABI_MINOR; }\n' \
	    >$(BUILD)/layers/abi_ok.c
	@$(CC) $(CPPFLAGS) -Iinclude $(CFLAGS) -c -o $(BUILD)/layers/abi_ok.o $(BUILD)/layers/abi_ok.c || \
	    { echo "layers: include/ossd/handler.h does not compile alone" >&2; exit 1; }
	@echo "layers: handlers/ compile with only include/ossd, their own directory and lib/base; the headers of the daemon and of the validator are out of their reach"

unit: $(JS_TEST_BIN) $(UNIT_BIN)
	@set -e; for t in $(JS_TEST_BIN) $(UNIT_BIN); do echo "== $$t"; OSSD_SRCDIR=$(CURDIR) $$t; done

e2e: all
	$(PYTHON) -m pytest -q tests/e2e $(PYTEST_ARGS)

# demo and check install the packages first (quick and without apt-get update when all are
# present), then build and run in a sub-make, which sees the new pkg-config flags.
check: deps
	$(MAKE) all
	$(MAKE) layers unit model e2e fuzz-regress

# The spin models of the consumer/writer/rebalance protocol (tests/model/README.md):
# v1, the code before issue 10's fix, must show its counterexamples; v2 must hold.
.PHONY: model
model:
	bash tests/model/run.sh $(BUILD)/model

demo: deps
	$(MAKE) all
	$(PYTHON) tests/demo.py

# make demo then make check on a bare Debian 12 in a chroot (root, debootstrap; not in CI).
fresh-check:
	bash deploy/fresh-check

bench: all
	$(PYTHON) tests/bench/bench.py

# Every C source and header in the repository (build output and .git aside).
C_FILES   = $(shell find . \( -path ./.git -o -path './$(BUILD)' -o -path ./debian/ossd \) -prune -o \
                -type f \( -name '*.c' -o -name '*.h' \) -print | sort)

format:
	clang-format -i $(C_FILES)

format-check:
	clang-format --dry-run -Werror $(C_FILES)

# FHS layout under PREFIX; DESTDIR for staging (the Debian package uses
# PREFIX=/usr, which is also the compiled-in datadir: build with the same PREFIX).
# Units, sysusers.d and tmpfiles.d go to /lib/systemd and /usr/lib for
# PREFIX=/usr, else under PREFIX; the config only if absent.
SYSTEMDUNITDIR ?= $(if $(filter /usr,$(PREFIX)),/lib/systemd/system,$(PREFIX)/lib/systemd/system)
SYSUSERSDIR    ?= $(PREFIX)/lib/sysusers.d
TMPFILESDIR    ?= $(PREFIX)/lib/tmpfiles.d
MANDIR         ?= $(PREFIX)/share/man
SYSCONFDIR     ?= /etc

install: $(BUILD)/ossd $(BUILD)/ossctl $(PLUGINS)
	@$(BUILD)/ossd --config-reference | grep -qx 'datadir = $(PREFIX)/share/ossd' || \
	    { echo "install: $(BUILD)/ossd was built for another PREFIX; run make clean, then make PREFIX=$(PREFIX)" >&2; exit 1; }
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/ossd/sql \
	    $(DESTDIR)$(PREFIX)/share/ossd/events $(DESTDIR)$(PREFIX)/lib/ossd/handlers \
	    $(DESTDIR)$(SYSTEMDUNITDIR) $(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(TMPFILESDIR) \
	    $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8 \
	    $(DESTDIR)$(SYSCONFDIR)/ossd
	install -m 0755 $(BUILD)/ossd $(BUILD)/ossctl $(DESTDIR)$(PREFIX)/bin/
	install -m 0644 schemas/*.v1.json $(DESTDIR)$(PREFIX)/share/ossd/
	install -m 0644 schemas/sql/*.sql $(DESTDIR)$(PREFIX)/share/ossd/sql/
	install -m 0644 schemas/events/*.json $(DESTDIR)$(PREFIX)/share/ossd/events/
	install -D -m 0644 schemas/asyncapi.yaml $(DESTDIR)$(PREFIX)/share/ossd/asyncapi.yaml
	install -D -m 0644 include/ossd/handler.h $(DESTDIR)$(PREFIX)/include/ossd/handler.h
	install -D -m 0644 deploy/prometheus/ossd.rules.yml $(DESTDIR)$(PREFIX)/share/ossd/prometheus/ossd.rules.yml
	install -D -m 0644 deploy/grafana/ossd.json $(DESTDIR)$(PREFIX)/share/ossd/grafana/ossd.json
	install -D -m 0644 systemd/ossd.catalog $(DESTDIR)$(PREFIX)/lib/systemd/catalog/ossd.catalog
	$(if $(PLUGINS),install -m 0644 $(PLUGINS) $(DESTDIR)$(PREFIX)/lib/ossd/handlers/)
	for u in ossd.service ossd@.service; do \
	    sed 's|/usr/bin/ossd|$(PREFIX)/bin/ossd|' systemd/$$u > $(DESTDIR)$(SYSTEMDUNITDIR)/$$u && \
	    chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/$$u || exit 1; \
	done
	install -m 0644 systemd/ossd.sysusers $(DESTDIR)$(SYSUSERSDIR)/ossd.conf
	install -m 0644 systemd/ossd.tmpfiles $(DESTDIR)$(TMPFILESDIR)/ossd.conf
	install -m 0644 man/ossctl.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 0644 man/ossd.conf.5 $(DESTDIR)$(MANDIR)/man5/
	install -m 0644 man/ossd.8 $(DESTDIR)$(MANDIR)/man8/
	[ -e $(DESTDIR)$(SYSCONFDIR)/ossd/ossd.conf ] || { \
	    sed 's|/usr/share/ossd|$(PREFIX)/share/ossd|; s|/usr/lib/ossd|$(PREFIX)/lib/ossd|' \
	        deploy/ossd.conf.sample > $(DESTDIR)$(SYSCONFDIR)/ossd/ossd.conf && \
	    chmod 0640 $(DESTDIR)$(SYSCONFDIR)/ossd/ossd.conf; }

.PHONY: deb unit-security
# The Debian package, built from a copy of the working tree in $(BUILD)/deb
# (PREFIX=/usr, objects apart from the dev build); the .deb ends up in $(BUILD)/.
deb:
	@[ "$$(dpkg-parsechangelog -S Version)" = "$(VERSION)" ] || \
	    { echo "deb: debian/changelog is not at VERSION $(VERSION)" >&2; exit 1; }
	rm -rf $(BUILD)/deb && mkdir -p $(BUILD)/deb/ossd-$(VERSION)
	git ls-files -z --cached --others --exclude-standard | \
	    xargs -0 sh -c 'for f; do [ -e "$$f" ] && printf "%s\0" "$$f"; done' sh | \
	    tar --null -T - -cf - | tar -xf - -C $(BUILD)/deb/ossd-$(VERSION)
	cd $(BUILD)/deb/ossd-$(VERSION) && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL dpkg-buildpackage -us -uc -b
	mv $(BUILD)/deb/*.deb $(BUILD)/deb/*.buildinfo $(BUILD)/deb/*.changes $(BUILD)/
	@ls -1 $(BUILD)/ossd_$(VERSION)_*.deb

# The systemd-analyze exposure of the shipped units (at most 2.0).
unit-security:
	@cd systemd && for u in ossd.service ossd@.service; do \
	    out=$$(systemd-analyze security --offline=yes --threshold=20 --no-pager $$u); rc=$$?; \
	    echo "$$out" | tail -1; [ $$rc -eq 0 ] || { echo "$$out"; exit 1; }; \
	done

# ---- CPU per message -----------------------------------------------------------------
# `make cpu-profile`: CPU_N realistic messages (tests/cpu/messages.py) through gate, JSON
# Schema, the handler chain and the event encoding (tests/cpu/cpu_chain.c, no servers) under
# callgrind; prints the instructions per message of that work alone (start-up excluded), the
# outcome counts with a digest of every event (unchanged by an optimisation), and the costliest
# functions (inclusive). CPU_ROUNDS repeats the input.
CPU_N      ?= 2000
CPU_SEED   ?= 7
CPU_ROUNDS ?= 1
CPU_BUILD  := $(BUILD)/cpu
.PHONY: cpu-profile

$(CPU_BUILD)/ossd-cpu-chain: tests/cpu/cpu_chain.c tests/fuzz/common.c tests/fuzz/common.h $(LIB) $(JS_LIB) $(BASE_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(APP_INC) -Itests/fuzz -DFUZZ_SRCDIR=\"$(CURDIR)\" $(CFLAGS) $(LDFLAGS) \
	    -o $@ tests/cpu/cpu_chain.c tests/fuzz/common.c $(LIB) $(JS_LIB) $(BASE_LIB) $(LDLIBS)

$(CPU_BUILD)/messages-$(CPU_N)-$(CPU_SEED).jsonl: tests/cpu/messages.py tests/pylib/sample.py
	@mkdir -p $(dir $@)
	$(PYTHON) tests/cpu/messages.py $(CPU_N) $(CPU_SEED) $@

cpu-profile: $(CPU_BUILD)/ossd-cpu-chain $(CPU_BUILD)/messages-$(CPU_N)-$(CPU_SEED).jsonl
	@rm -f $(CPU_BUILD)/callgrind.out
	valgrind --tool=callgrind --callgrind-out-file=$(CPU_BUILD)/callgrind.out \
	    --toggle-collect=cpu_chain_run $(CPU_BUILD)/ossd-cpu-chain \
	    $(CPU_BUILD)/messages-$(CPU_N)-$(CPU_SEED).jsonl $(CPU_ROUNDS) 2>$(CPU_BUILD)/valgrind.log
	@callgrind_annotate --inclusive=yes $(CPU_BUILD)/callgrind.out 2>/dev/null \
	    >$(CPU_BUILD)/annotate.txt
	@ir=$$(awk '/PROGRAM TOTALS/ {gsub(",", "", $$1); print $$1; exit}' $(CPU_BUILD)/annotate.txt); \
	    echo "cpu-profile: $$ir instructions for $(CPU_N) x $(CPU_ROUNDS) messages:" \
	        "$$(( ir / ($(CPU_N) * $(CPU_ROUNDS)) )) per message"
	@grep -E '^ *[0-9,]+ \([ 0-9.]+%\)' $(CPU_BUILD)/annotate.txt | grep -v ' $(CURDIR)/' | head -n 40

# ---- fuzzing (libFuzzer: Debian clang 14 + libclang-rt-14-dev) -------------------------
# Each tests/fuzz/fuzz_NAME.c is linked with the core sources compiled by clang under
# ASan + UBSan + libFuzzer coverage into $(FUZZ_BUILD)/fuzz_NAME. `make fuzz` fuzzes each
# harness for FUZZ_SECONDS (new inputs go to $(FUZZ_BUILD)/corpus/NAME, crashes to
# $(FUZZ_BUILD)/artifacts/NAME/); `make fuzz-regress` replays the seed corpora
# (tests/fuzz/corpus/NAME) and every saved crash (tests/fuzz/regress/NAME) once, and checks
# that each reproducer of a reported, unfixed bug (tests/fuzz/known/NAME) still fails.
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_ARGS    ?=
FUZZ_BUILD   := $(BUILD)/fuzz
FUZZ_NAMES   := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS    := $(FUZZ_NAMES:%=$(FUZZ_BUILD)/fuzz_%)
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_CFLAGS  := -O1 -g -std=c11 -D_GNU_SOURCE -pthread -Idaemon -Ihandlers -Iinclude -Ilib/base -Ilib/jsonschema -Itests/fuzz \
                -DOSSD_VERSION=\"$(VERSION)\" -DOSSD_DATADIR=\"$(CURDIR)/schemas\" \
                -DFUZZ_SRCDIR=\"$(CURDIR)\" $(FUZZ_SAN) -fsanitize=fuzzer-no-link \
                $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
FUZZ_OBJ     := $(LIB_SRC:%.c=$(FUZZ_BUILD)/obj/%.o) $(JS_SRC:%.c=$(FUZZ_BUILD)/obj/%.o) \
                $(BASE_SRC:%.c=$(FUZZ_BUILD)/obj/%.o) \
                $(FUZZ_BUILD)/obj/tests/fuzz/common.o
FUZZ_ENV     := ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
                OSSD_FUZZ_KNOWN=
# Reported daemon bugs the harnesses tolerate while fuzzing (not in fuzz-regress, which checks
# that their reproducers in tests/fuzz/known/ still fail); drop a name once its bug is fixed.
FUZZ_KNOWN   ?=
.PHONY: fuzz fuzz-build fuzz-regress

$(FUZZ_BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -MMD -MP -c -o $@ $<

$(FUZZ_BUILD)/libossd-fuzz.a: $(FUZZ_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(FUZZ_BUILD)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/common.h $(FUZZ_BUILD)/libossd-fuzz.a
	$(FUZZ_CC) $(FUZZ_CFLAGS) -Wall -Wextra -Werror -fsanitize=fuzzer -o $@ $< \
	    $(FUZZ_BUILD)/libossd-fuzz.a $(LDLIBS)

fuzz-build: $(FUZZ_BINS)

fuzz-regress: $(FUZZ_BINS)
	@set -e; for n in $(FUZZ_NAMES); do \
	    dirs=$$(ls -d tests/fuzz/corpus/$$n tests/fuzz/regress/$$n 2>/dev/null || true); \
	    [ -n "$$dirs" ] || { echo "fuzz-regress: no inputs for $$n" >&2; exit 1; }; \
	    printf '== fuzz-regress %-12s %5s inputs\n' $$n $$(find $$dirs -type f | wc -l); \
	    $(FUZZ_ENV) $(FUZZ_BUILD)/fuzz_$$n -runs=0 -timeout=25 -rss_limit_mb=4096 $$dirs \
	        >$(FUZZ_BUILD)/regress-$$n.log 2>&1 || \
	        { tail -n 60 $(FUZZ_BUILD)/regress-$$n.log; echo "fuzz-regress: $$n failed" >&2; exit 1; }; \
	done; \
	for f in $$(find tests/fuzz/known -type f 2>/dev/null | sort); do \
	    n=$$(basename $$(dirname $$f)); \
	    if $(FUZZ_ENV) $(FUZZ_BUILD)/fuzz_$$n -runs=0 $$f >$(FUZZ_BUILD)/known.log 2>&1; then \
	        echo "fuzz-regress: $$f no longer fails: the bug is fixed, move it to tests/fuzz/regress/$$n/" >&2; exit 1; \
	    fi; \
	    echo "== fuzz-regress known bug, still failing as expected: $$f"; \
	done

fuzz: $(FUZZ_BINS)
	@set -e; for n in $(FUZZ_NAMES); do \
	    mkdir -p $(FUZZ_BUILD)/corpus/$$n $(FUZZ_BUILD)/artifacts/$$n; \
	    dict=; [ -f tests/fuzz/dict/$$n.dict ] && dict=-dict=tests/fuzz/dict/$$n.dict; \
	    echo "== fuzz $$n for $(FUZZ_SECONDS) s"; \
	    $(FUZZ_ENV) OSSD_FUZZ_KNOWN=$(FUZZ_KNOWN) $(FUZZ_BUILD)/fuzz_$$n -max_total_time=$(FUZZ_SECONDS) -timeout=25 \
	        -rss_limit_mb=4096 -print_final_stats=1 $$dict \
	        -artifact_prefix=$(FUZZ_BUILD)/artifacts/$$n/ $(FUZZ_ARGS) \
	        $(FUZZ_BUILD)/corpus/$$n tests/fuzz/corpus/$$n $$(ls -d tests/fuzz/regress/$$n 2>/dev/null) \
	        >$(FUZZ_BUILD)/fuzz-$$n.log 2>&1 || \
	        { tail -n 80 $(FUZZ_BUILD)/fuzz-$$n.log; echo "fuzz: $$n found a crash in $(FUZZ_BUILD)/artifacts/$$n/" >&2; exit 1; }; \
	    grep -E 'stat::number_of_executed_units|stat::peak_rss_mb|#[0-9]+.*DONE' $(FUZZ_BUILD)/fuzz-$$n.log | tail -n 3; \
	done

# ---- soak (long fault tests, mutated messages, valgrind) --------------------------------------
# tests/soak/ runs the fault scenarios of tests/e2e/test_faults_more.py big, three instances
# killed and restarted again and again, and mutated messages through the real daemon; then the
# SIGKILL loop of tests/e2e/test_sigkill.py long, and valgrind memcheck over a demo-like run.
SOAK_N      ?= 30000
SOAK_CYCLES ?= 10
SOAK_KILLS  ?= 12
.PHONY: soak
soak: all
	OSSD_SOAK_N=$(SOAK_N) OSSD_SOAK_CYCLES=$(SOAK_CYCLES) OSSD_SOAK_KILLS=$(SOAK_KILLS) \
	    $(PYTHON) -m pytest -q tests/soak $(PYTEST_ARGS)
	OSSD_SIGKILL_N=$$(( $(SOAK_N) * 3 )) OSSD_SIGKILL_KILLS=$$(( $(SOAK_KILLS) * 2 )) \
	    $(PYTHON) -m pytest -q tests/e2e/test_sigkill.py $(PYTEST_ARGS)
	$(PYTHON) tests/soak/valgrind_demo.py

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
-include $(shell find $(FUZZ_BUILD)/obj -name '*.d' 2>/dev/null)
