# ossd: build, test, demo and benchmark. `make help` lists the targets.

CC       ?= gcc
PYTHON   ?= /usr/bin/python3
PREFIX   ?= /usr/local
SANITIZE ?=
BUILD    ?= build

PKGS     := rdkafka libpq jansson libsystemd inih libcrypto libmicrohttpd libpcre2-8
VERSION  := $(shell cat VERSION 2>/dev/null || echo 0.0.0)

CFLAGS   ?= -O2 -g
CFLAGS   += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
            -Wmissing-prototypes -fno-strict-aliasing -pthread \
            -Idaemon -Ihandlers -DOSSD_VERSION=\"$(VERSION)\" \
            -DOSSD_DATADIR=\"$(PREFIX)/share/ossd\" \
            $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDLIBS   += $(shell pkg-config --libs $(PKGS) 2>/dev/null) -ldl -lm -pthread
ifneq ($(SANITIZE),)
CFLAGS   += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS  += -fsanitize=$(SANITIZE)
endif

# The core library: every daemon module but main, and the built-in handlers.
LIB_SRC  := $(filter-out daemon/main.c,$(wildcard daemon/*.c)) \
            $(filter-out handlers/examples/%,$(wildcard handlers/*.c handlers/*/*.c))
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
LIB      := $(BUILD)/libossd.a

TOOLS    := $(BUILD)/ossd $(BUILD)/ossctl $(BUILD)/ossd-mockbroker
TOOLS    += $(if $(wildcard tools/loadgen.c),$(BUILD)/ossd-loadgen)
TOOLS    += $(if $(wildcard tools/rawcopy.c),$(BUILD)/ossd-rawcopy)
PLUGINS  := $(patsubst handlers/examples/%/,$(BUILD)/handlers/%.so,$(sort $(dir $(wildcard handlers/examples/*/*.c))))
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)

.SECONDARY:
.PHONY: all deps check unit e2e demo bench format format-check clean help install
all: $(TOOLS) $(PLUGINS)

help:
	@echo "make deps     install the Debian packages the build, tests and demo need"
	@echo "make          build build/ossd, build/ossctl and the dev-stack tools"
	@echo "make check    every test: unit (cmocka) and end-to-end (pytest, dev stack)"
	@echo "make demo     dev stack + a realistic sample through ossd, with a summary"
	@echo "make bench    the benchmark; last line is one JSON object"
	@echo "make format   clang-format every C file"

deps:
	bash deploy/deps.sh

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

$(LIB): $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/ossd: $(BUILD)/obj/daemon/main.o $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/ossctl: $(patsubst %.c,$(BUILD)/obj/%.o,$(wildcard tools/ossctl*.c)) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/ossd-mockbroker: $(BUILD)/obj/tools/mockbroker.o
	$(CC) $(LDFLAGS) -o $@ $^ $(shell pkg-config --libs rdkafka) -pthread

$(BUILD)/ossd-%: $(BUILD)/obj/tools/%.o $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/handlers/%.so: $(wildcard handlers/examples/*/*.c) handlers/ossd_handler.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -fPIC -shared -o $@ $(wildcard handlers/examples/$*/*.c) $(LDFLAGS)

$(BUILD)/tests/%: $(BUILD)/obj/tests/unit/%.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lcmocka

unit: $(UNIT_BIN)
	@set -e; for t in $(UNIT_BIN); do echo "== $$t"; OSSD_SRCDIR=$(CURDIR) $$t; done

e2e: all
	$(PYTHON) -m pytest -q tests/e2e $(PYTEST_ARGS)

check: all unit e2e

demo: all
	$(PYTHON) tests/demo.py

bench: all
	$(PYTHON) tests/bench/bench.py

format:
	clang-format -i $(wildcard daemon/*.[ch] handlers/*.h handlers/*/*.[ch] handlers/examples/*/*.[ch] tools/*.[ch] tests/unit/*.[ch])

format-check:
	clang-format --dry-run -Werror $(wildcard daemon/*.[ch] handlers/*.h handlers/*/*.[ch] handlers/examples/*/*.[ch] tools/*.[ch] tests/unit/*.[ch])

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
	install -m 0644 schemas/submission.v1.json $(DESTDIR)$(PREFIX)/share/ossd/
	install -m 0644 schemas/sql/*.sql $(DESTDIR)$(PREFIX)/share/ossd/sql/
	install -m 0644 schemas/events/*.json $(DESTDIR)$(PREFIX)/share/ossd/events/
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

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
