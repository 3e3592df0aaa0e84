/* xen_tests.h - the suites of the Xen test program (tests/unit/test_xen.c). */
#ifndef PMT_TESTS_XEN_TESTS_H
#define PMT_TESTS_XEN_TESTS_H
void xen_register_decode(void);
void xen_register_tbuf(void);
void xen_register_import(void);
void xen_register_real(void);
#endif
