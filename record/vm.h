/*
 * vm.h - finding QEMU guests on this host (record/vm_proc.c), for the VM
 * source of pmt-record (record/vm.c). Owner: the two-level area.
 *
 * A guest is a QEMU process whose vCPU threads are named 'CPU n/TCG' or
 * 'CPU n/KVM' (QEMU names them with -name ...,debug-threads=on). Its serial
 * ports backed by files are where the guest's sync pulses land (docs/VM.md).
 */
#ifndef PMT_RECORD_VM_H
#define PMT_RECORD_VM_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define PMT_VM_MAX_VCPUS 1024
#define PMT_VM_MAX_SERIAL 8

/* A serial port whose QEMU chardev is a file. */
struct pmt_vm_serial {
	unsigned port;          /* I/O base (0x3f8, 0x2f8, 0x3e8, 0x2e8, or iobase=) */
	char path[256];         /* the file                                          */
	int fd;                 /* QEMU's fd on it, -1 when not found                */
};

struct pmt_vm {
	pid_t pid;
	char name[64];          /* -name's guest name, or "qemu-PID"               */
	int kvm;                /* 1: 'CPU n/KVM' threads, 0: TCG                   */
	uint32_t nvcpus;        /* vCPUs 0..nvcpus-1, all found                     */
	uint32_t tid[PMT_VM_MAX_VCPUS];
	size_t nserial;
	struct pmt_vm_serial serial[PMT_VM_MAX_SERIAL];
	char kvm_dir[300];      /* debugfs kvm/PID-FD, or "" when not found         */
};

/*
 * Fill vm from /proc/PID. Returns 0; -1 when the process does not exist, 1
 * when it has no (or an incomplete set of) vCPU threads. why gets the reason.
 */
int pmt_vm_probe(pid_t pid, struct pmt_vm *vm, char *why, size_t whylen);

/* Guest name of a QEMU command line (argv as NUL-separated bytes of
 * /proc/PID/cmdline): the value of -name (its guest= or first item). 0 when
 * found, -1 otherwise. */
int pmt_vm_cmdline_name(const char *cmdline, size_t len, char *name, size_t namelen);

/* Serial ports backed by files, from the command line (-serial file:P,
 * -chardev file,id=X,path=P with -serial chardev:X or -device
 * isa-serial,chardev=X[,iobase=N][,index=N]). fd left -1. Returns the count. */
size_t pmt_vm_cmdline_serials(const char *cmdline, size_t len,
			      struct pmt_vm_serial *out, size_t max);

/*
 * Resolve a --vm argument: a PID, a guest name, or "all". Calls fn for each
 * guest found; returns the number found (0: none, with the reason in why),
 * or -1 when fn failed.
 */
int pmt_vm_find(const char *spec, int (*fn)(void *ctx, const struct pmt_vm *vm),
		void *ctx, char *why, size_t whylen);

/* Read a u64 / s64 debugfs file of vCPU n (e.g. "tsc-offset"). 0 or -1. */
int pmt_vm_kvm_read(const struct pmt_vm *vm, uint32_t vcpu, const char *file, int64_t *v);

#endif
