# pmt - one Makefile for the whole tree.
#
#   make              build libpmt and the tools into $(O)/ (default build/)
#   make test         install missing Debian packages, build, run the test suite
#   make check        the same suite built with ASan + UBSan, plus a short fuzz run
#   make demo         install, build, record a built-in workload, analyze, plot
#   make install PREFIX=/usr/local   tools, header, library, libpmt.pc
#   make V=1          show full commands
#
# Each area adds its programs and tests in its own fragment (*/module.mk,
# */*/module.mk):
#   PROGS += name;  name_SRCS := ...;  name_LIBS := ...
#   UNIT_TESTS += name (a CUnit program, tests/unit/name.c + name_SRCS)
#   SCRIPT_TESTS += path/to/test.sh
# so areas never edit each other's build rules.

O ?= build
# fragments included below define rules before "all": keep "all" the default
.DEFAULT_GOAL := all
PREFIX ?= /usr/local
CC ?= cc
PKG_CONFIG ?= pkg-config

ifeq ($(V),1)
Q :=
else
Q := @
endif

OPT ?= -O2
CFLAGS_BASE := -std=c11 $(OPT) -g -Wall -Wextra -Wshadow -Wstrict-prototypes \
	-Wno-unused-parameter -fno-strict-aliasing
CPPFLAGS_BASE := -D_GNU_SOURCE -Iformat/include -I.
ifneq ($(SAN),)
CFLAGS_BASE += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS_BASE += -fsanitize=address,undefined
endif
ifneq ($(WERROR),)
CFLAGS_BASE += -Werror
endif
ALL_CFLAGS = $(CPPFLAGS_BASE) $(CPPFLAGS) $(CFLAGS_BASE) $(CFLAGS)
ALL_LDFLAGS = $(LDFLAGS_BASE) $(LDFLAGS)

# ---------------------------------------------------------------- probes
# pkg-config name, Debian package; a missing required one stops the build
# with the package to install.
probe = $(shell $(PKG_CONFIG) --exists $(1) 2>/dev/null && echo yes)
need = $(if $(call probe,$(1)),,$(error $(1) not found: install the Debian package $(2) (apt-get install $(2)), or run 'make deps'))

HAVE_TRACEFS := $(call probe,libtracefs)
HAVE_TRACEEVENT := $(call probe,libtraceevent)
HAVE_TRACECMD := $(call probe,libtracecmd)
HAVE_CUNIT := $(call probe,cunit)
HAVE_XENCTRL := $(call probe,xencontrol)
HAVE_DEFLATE := $(if $(wildcard /usr/include/libdeflate.h),yes)

ZLIB_CFLAGS := $(shell $(PKG_CONFIG) --cflags zlib 2>/dev/null)
ZLIB_LIBS := $(shell $(PKG_CONFIG) --libs zlib 2>/dev/null || echo -lz)
TRACEFS_CFLAGS := $(shell $(PKG_CONFIG) --cflags libtracefs libtraceevent 2>/dev/null)
TRACEFS_LIBS := $(shell $(PKG_CONFIG) --libs libtracefs libtraceevent 2>/dev/null)
TRACECMD_CFLAGS := $(shell $(PKG_CONFIG) --cflags libtracecmd 2>/dev/null)
TRACECMD_LIBS := $(shell $(PKG_CONFIG) --libs libtracecmd 2>/dev/null)
CUNIT_CFLAGS := $(shell $(PKG_CONFIG) --cflags cunit 2>/dev/null)
CUNIT_LIBS := $(shell $(PKG_CONFIG) --libs cunit 2>/dev/null || echo -lcunit)
XENCTRL_CFLAGS := $(shell $(PKG_CONFIG) --cflags xencontrol xenevtchn 2>/dev/null)
XENCTRL_LIBS := $(shell $(PKG_CONFIG) --libs xencontrol xenevtchn 2>/dev/null)
DEFLATE_LIBS := $(if $(HAVE_DEFLATE),-ldeflate)

# ------------------------------------------------------------ Debian packages
# What a fresh Debian 12 machine needs; 'make deps' installs the missing ones.
DEB_BUILD := gcc make pkg-config zlib1g-dev libdeflate-dev libtracefs-dev \
	libtraceevent-dev libtracecmd-dev libcunit1-dev libxen-dev
DEB_RUN := gnuplot-nox
DEB_TEST := trace-cmd linux-perf rt-tests poppler-utils python3 \
	qemu-system-x86 busybox-static cpio clang libclang-rt-14-dev time groff-base man-db
DEB_ALL := $(DEB_BUILD) $(DEB_RUN) $(DEB_TEST)

# ------------------------------------------------------------- fragments
PROGS :=
UNIT_TESTS :=
SCRIPT_TESTS :=
LIBPMT := $(O)/libpmt.a

# format/ first: it defines libpmt, which every program links.
-include format/module.mk
-include $(filter-out format/module.mk,$(sort $(wildcard */module.mk */*/module.mk)))

.PHONY: all test check demo deps install clean vmtest static FORCE
all: $(addprefix $(O)/,$(PROGS))

# Objects of every source, one rule; dependency files from -MMD.
$(O)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo '  CC      $<')
	$(Q)$(CC) $(ALL_CFLAGS) $(EXTRA_CFLAGS_$(firstword $(subst /, ,$<))) -MMD -MP -c -o $@ $<

objs = $(patsubst %.c,$(O)/obj/%.o,$(1))

define PROG_template
$(O)/$(1): $$(call objs,$$($(1)_SRCS)) $$($(1)_DEPS) $(LIBPMT)
	@$$(if $$(Q),echo '  LD      $$@')
	$$(Q)$$(CC) $$(ALL_LDFLAGS) $$($(1)_LDFLAGS) -o $$@ $$(call objs,$$($(1)_SRCS)) $$($(1)_LIBS) $(LIBPMT) $$(ZLIB_LIBS) $$(DEFLATE_LIBS) -lpthread -lm
endef
$(foreach p,$(PROGS),$(eval $(call PROG_template,$(p))))

define UNIT_template
$(O)/tests/$(1): $$(call objs,tests/unit/$(1).c tests/unit/pmt_cu.c $$($(1)_SRCS)) $$($(1)_DEPS) $(LIBPMT)
	@mkdir -p $$(dir $$@)
	@$$(if $$(Q),echo '  LD      $$@')
	$$(Q)$$(CC) $$(ALL_LDFLAGS) -o $$@ $$(call objs,tests/unit/$(1).c tests/unit/pmt_cu.c $$($(1)_SRCS)) $$($(1)_LIBS) $(LIBPMT) $$(CUNIT_LIBS) $$(ZLIB_LIBS) $$(DEFLATE_LIBS) -lpthread -lm
endef
$(foreach t,$(UNIT_TESTS),$(eval $(call UNIT_template,$(t))))

-include $(shell find $(O)/obj -name '*.d' 2>/dev/null)

# ------------------------------------------------------------------ targets
deps:
	$(Q)missing=; for p in $(DEB_ALL); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages:$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null \
		|| { echo "make deps: apt-get install failed (run as root):$$missing" >&2; exit 1; }; \
	fi

# The test suite: unit programs and script tests, each ending with a line
# 'RESULT: P passed, F failed, S skipped'; tests/run-tests sums them.
TEST_BINS = $(addprefix $(O)/tests/,$(UNIT_TESTS))
test: deps
	$(Q)$(MAKE) --no-print-directory all-tests WERROR=1
	$(Q)O=$(O) tests/run-tests $(TEST_BINS) $(SCRIPT_TESTS)

all-tests: all $(TEST_BINS) $(TEST_EXTRA)

check: deps
	$(Q)$(MAKE) --no-print-directory O=build-san SAN=1 OPT=-O1 all-tests WERROR=1
	$(Q)O=build-san ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
		tests/run-tests $(addprefix build-san/tests/,$(UNIT_TESTS)) $(SCRIPT_TESTS)
	$(Q)$(MAKE) --no-print-directory fuzz-run

demo: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)O=$(O) tests/demo.sh

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/include
	install -m 755 $(addprefix $(O)/,$(PROGS)) $(DESTDIR)$(PREFIX)/bin/
	install -m 644 $(LIBPMT) $(DESTDIR)$(PREFIX)/lib/
	install -m 644 format/include/pmt.h $(DESTDIR)$(PREFIX)/include/
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@DEFLATE_PC@|$(if $(HAVE_DEFLATE), libdeflate)|' format/libpmt.pc.in > $(DESTDIR)$(PREFIX)/lib/pkgconfig/libpmt.pc
	$(if $(wildcard docs/man/*.1),install -d $(DESTDIR)$(PREFIX)/share/man/man1 && install -m 644 docs/man/*.1 $(DESTDIR)$(PREFIX)/share/man/man1/)

clean:
	rm -rf build build-san build-static build-fuzz

.DELETE_ON_ERROR:
