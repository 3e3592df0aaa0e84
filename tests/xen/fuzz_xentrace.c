/*
 * fuzz_xentrace.c - libFuzzer target for the xentrace importer: any input
 * is indexed, merged, decoded twice and written (to /dev/null); nothing may
 * crash, leak or trip the sanitizers. `make fuzz-xen` (tests/xen/module.mk).
 */
#include <stddef.h>
#include <stdint.h>

#include "record/xen/xen_import.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t empty[1];
	char msg[256];
	struct pmt_xen_import_opts o = { .tolerant = (size & 1) != 0 };
	pmt_xen_import_mem(size ? data : empty, size, "/dev/null", &o, NULL, msg, sizeof(msg));
	return 0;
}
