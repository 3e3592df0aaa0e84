# tests/vm/module.mk - the two-level VM test bed (the two-level area).
#   make vmtest    build what the guest and the host need, boot the guest twice,
#                  record both levels, merge, check (tests/vm/vmtest.sh)
#   make static    a statically linked pmt-record for the guest, in build-static/
# The guest's programs are static so the initramfs needs no libraries.

VM_GUEST_CFLAGS := -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -I. -static -pthread

$(O)/vm/workload: tests/vm/workload.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo '  CC      $@')
	$(Q)$(CC) $(VM_GUEST_CFLAGS) -o $@ $^

$(O)/vm/pulse: tests/vm/pulse.c record/sync.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo '  CC      $@')
	$(Q)$(CC) $(VM_GUEST_CFLAGS) -o $@ $^

$(O)/tests/vmcheck: $(O)/obj/tests/vm/vmcheck.o $(LIBPMT)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo '  LD      $@')
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $(O)/obj/tests/vm/vmcheck.o $(LIBPMT) $(ZLIB_LIBS) $(DEFLATE_LIBS) -lpthread -lm

TEST_EXTRA += $(O)/vm/workload $(O)/vm/pulse $(O)/tests/vmcheck static
# About 40 s on an idle 2-CPU machine; skips without root, QEMU or tracefs.
SCRIPT_TESTS += tests/vm/vmtest.sh

# build-static/pmt-record: the same sources linked with -static, without Xen
# (a guest has no use for it). libtracefs, libtraceevent, zlib and libdeflate
# have static archives in their -dev packages. --no-warnings: static glibc
# warns about dlopen in libtraceevent's plugin loader, which pmt never calls.
# SAN= and OPT=: 'make check' (SAN=1) reaches this rule too, and a sanitized
# static binary does not run.
# If the binary does not run (objects left from a sanitized build), build afresh.
STATIC_MAKE = $(MAKE) -s --no-print-directory O=build-static SAN= OPT=-O2 \
	"LDFLAGS_BASE=-static -Wl,--no-warnings" HAVE_XENCTRL= build-static/pmt-record
static:
	+$(Q)$(STATIC_MAKE)
	+$(Q)build-static/pmt-record --help >/dev/null 2>&1 || { rm -rf build-static && $(STATIC_MAKE); }

vmtest: static
	$(Q)$(MAKE) --no-print-directory all $(O)/vm/workload $(O)/vm/pulse $(O)/tests/vmcheck
	$(Q)O=$(O) tests/run-tests tests/vm/merge.sh tests/vm/vmtest.sh

# make vmruns: run the test bed and keep its merged traces: tests/vm/runs/free.pmt
# and pinned.pmt (the same workload with vCPU threads free / pinned to pCPU 0, the
# pair 'pmt-analyze diff' compares) and sample-traces/vm-tcg-free.pmt.
vmruns: static
	$(Q)$(MAKE) --no-print-directory all $(O)/vm/workload $(O)/vm/pulse $(O)/tests/vmcheck
	$(Q)rm -rf $(O)/vmruns && PMT_VM_KEEP=$(O)/vmruns O=$(O) bash tests/vm/vmtest.sh
	$(Q)mkdir -p tests/vm/runs
	$(Q)cp $(O)/vmruns/free/merged.pmt tests/vm/runs/free.pmt
	$(Q)cp $(O)/vmruns/pinned/merged.pmt tests/vm/runs/pinned.pmt
	$(Q)cp $(O)/vmruns/free/merged.pmt sample-traces/vm-tcg-free.pmt
	$(Q)cp $(O)/vmruns/free/check.txt tests/vm/runs/free.check
	$(Q)cp $(O)/vmruns/pinned/check.txt tests/vm/runs/pinned.check

# pmt-merge on generated pairs (no VM, no root).
$(O)/tests/mkpair: $(O)/obj/tests/vm/mkpair.o $(O)/obj/record/sync.o $(LIBPMT)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo '  LD      $@')
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $(O)/obj/tests/vm/mkpair.o $(O)/obj/record/sync.o $(LIBPMT) $(ZLIB_LIBS) $(DEFLATE_LIBS) -lpthread -lm
TEST_EXTRA += $(O)/tests/mkpair
SCRIPT_TESTS += tests/vm/merge.sh
