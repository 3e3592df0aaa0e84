/*
 * test_vmproc.c - reading a QEMU command line (record/vm_proc.c): the guest
 * name and which serial port each file-backed chardev is.
 */
#include <string.h>

#include "tests/unit/pmt_cu.h"
#include "record/vm.h"

/* argv as /proc/PID/cmdline has it: NUL-separated, NUL-terminated. */
static size_t argv_bytes(char *buf, size_t len, const char *const *argv)
{
	size_t n = 0;
	for (; *argv; argv++) {
		size_t l = strlen(*argv) + 1;
		if (n + l > len)
			break;
		memcpy(buf + n, *argv, l);
		n += l;
	}
	return n;
}

static void guest_name_from_name_option(void)
{
	char buf[1024], name[64];
	const char *a1[] = {"qemu-system-x86_64", "-name", "tb,debug-threads=on", "-smp", "4", NULL};
	const char *a2[] = {"qemu", "--name", "guest=web1,debug-threads=on", NULL};
	const char *a3[] = {"qemu", "-smp", "4", NULL};
	const char *a4[] = {"qemu", "-name", "debug-threads=on", NULL};
	const char *a5[] = {"qemu", "-name", NULL};

	CU_ASSERT_EQUAL(pmt_vm_cmdline_name(buf, argv_bytes(buf, sizeof(buf), a1), name, sizeof(name)), 0);
	CU_ASSERT_STRING_EQUAL(name, "tb");
	CU_ASSERT_EQUAL(pmt_vm_cmdline_name(buf, argv_bytes(buf, sizeof(buf), a2), name, sizeof(name)), 0);
	CU_ASSERT_STRING_EQUAL(name, "web1");
	CU_ASSERT_EQUAL(pmt_vm_cmdline_name(buf, argv_bytes(buf, sizeof(buf), a3), name, sizeof(name)), -1);
	CU_ASSERT_EQUAL(pmt_vm_cmdline_name(buf, argv_bytes(buf, sizeof(buf), a4), name, sizeof(name)), -1);
	CU_ASSERT_EQUAL(pmt_vm_cmdline_name(buf, argv_bytes(buf, sizeof(buf), a5), name, sizeof(name)), -1);
}

static void serial_ports_in_qemu_order(void)
{
	char buf[2048];
	struct pmt_vm_serial s[8];
	const char *a[] = {"qemu", "-serial", "file:/tmp/console.log", "-serial", "null",
			   "-serial", "file:sync.bin", "-chardev", "file,id=c4,path=/tmp/four",
			   "-serial", "chardev:c4",
			   "-chardev", "file,id=x,path=/tmp/x", "-device", "isa-serial,chardev=x,iobase=0x2f0",
			   "-chardev", "socket,id=s,path=/tmp/sock", "-device", "isa-serial,chardev=s",
			   NULL};
	size_t n = pmt_vm_cmdline_serials(buf, argv_bytes(buf, sizeof(buf), a), s, 8);

	CU_ASSERT_EQUAL_FATAL(n, 4);
	CU_ASSERT_EQUAL(s[0].port, 0x3f8);
	CU_ASSERT_STRING_EQUAL(s[0].path, "/tmp/console.log");
	CU_ASSERT_EQUAL(s[1].port, 0x3e8); /* the null one took 0x2f8 */
	CU_ASSERT_STRING_EQUAL(s[1].path, "sync.bin");
	CU_ASSERT_EQUAL(s[2].port, 0x2e8);
	CU_ASSERT_STRING_EQUAL(s[2].path, "/tmp/four");
	CU_ASSERT_EQUAL(s[3].port, 0x2f0);
	CU_ASSERT_STRING_EQUAL(s[3].path, "/tmp/x");
	CU_ASSERT_EQUAL(s[0].fd, -1);
}

static void truncated_command_lines_are_safe(void)
{
	char buf[256];
	struct pmt_vm_serial s[8];
	char name[8];
	const char *a[] = {"qemu", "-serial", "file:/a", "-name", "averyveryverylongname", NULL};
	size_t len = argv_bytes(buf, sizeof(buf), a);

	for (size_t cut = 0; cut <= len; cut++) {
		pmt_vm_cmdline_serials(buf, cut, s, 8);
		if (pmt_vm_cmdline_name(buf, cut, name, sizeof(name)) == 0)
			CU_ASSERT(strlen(name) < sizeof(name));
	}
	/* without a final NUL: the cut argument is not read */
	memset(buf, 'x', sizeof(buf));
	memcpy(buf, "-serial\0file:/abc", 17);
	CU_ASSERT_EQUAL(pmt_vm_cmdline_serials(buf, 17, s, 8), 0);
}

void pmt_cu_register(void)
{
	CU_pSuite su = CU_add_suite("vm command line", NULL, NULL);
	CU_add_test(su, "the guest name comes from -name", guest_name_from_name_option);
	CU_add_test(su, "file-backed serial ports get QEMU's port numbers", serial_ports_in_qemu_order);
	CU_add_test(su, "cut command lines are read without overrun", truncated_command_lines_are_safe);
}
