# tests/xen: the Xen decoder, trace-buffer consumer, importer and real-capture
# tests (one CUnit program, tests/unit/test_xen.c + these suites), and the
# command-line checks of pmt-import xentrace.
UNIT_TESTS += test_xen
test_xen_SRCS := $(sort $(wildcard tests/xen/*.c)) $(XEN_SRCS)
SCRIPT_TESTS += tests/xen/import.sh
SCRIPT_TESTS += tests/xen/analyze.sh
