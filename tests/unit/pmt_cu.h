/*
 * pmt_cu.h - the common main of the CUnit test programs.
 * A test program defines pmt_cu_register() (adds its suites) and links
 * pmt_cu.c, whose main() runs every suite, prints CUnit's summary and then
 * 'RESULT: P passed, F failed, S skipped', which tests/run-tests adds up.
 */
#ifndef PMT_CU_H
#define PMT_CU_H
#include <CUnit/CUnit.h>

/* Defined by each test program: add suites with CU_add_suite/CU_add_test. */
void pmt_cu_register(void);

/* Count the current test as skipped (with a reason printed) and return. */
void pmt_cu_skip_note(const char *why);
#define PMT_CU_SKIP(why) do { pmt_cu_skip_note(why); return; } while (0)

/* Directory of ../shared as seen from the top of the tree (or $PMT_SHARED). */
const char *pmt_cu_shared_dir(void);
#endif
