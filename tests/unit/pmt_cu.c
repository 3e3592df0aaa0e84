/* pmt_cu.c - main() of the CUnit test programs: see pmt_cu.h. */
#include "pmt_cu.h"

#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>

static unsigned skipped;

void pmt_cu_skip_note(const char *why)
{
	skipped++;
	printf("\n  skip: %s\n", why);
}

const char *pmt_cu_shared_dir(void)
{
	const char *d = getenv("PMT_SHARED");
	return d && *d ? d : "../shared";
}

int main(void)
{
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	pmt_cu_register();
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	unsigned run = CU_get_number_of_tests_run();
	unsigned failed = CU_get_number_of_tests_failed();
	unsigned passed = run - failed - (skipped <= run - failed ? skipped : 0);
	printf("\nRESULT: %u passed, %u failed, %u skipped\n", passed, failed, skipped);
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
