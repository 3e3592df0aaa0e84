/*
 * vm.c - pmt-record's VM source: `--vm PID|NAME|all` (repeatable).
 *
 * For each QEMU guest found (record/vm_proc.c) it describes, in the file
 * header, a guest level with one CPU per vCPU and no events of its own (the
 * guest's recorder fills it; pmt-merge joins them), the binding 'guest CPU n =
 * host thread CPU n/TCG|KVM', and the vCPU threads as PMT_TASK_VCPU tasks.
 * Through the Linux source's instance (record/linux.h) it records:
 *  - syscalls:sys_enter_writev / sys_enter_write of the vCPU threads on the
 *    fds of the guest's file-backed serial ports: PMT_HV_SYNC_WRITE (a = port,
 *    b = fd). A guest sync pulse is such a write (docs/VM.md);
 *  - for KVM guests, the kvm events this kernel has: kvm_exit (PMT_HV_EXIT),
 *    kvm_pio (PMT_HV_PIO), kvm_write_tsc_offset (PMT_HV_TSC_OFFSET);
 *  - KVM's per-vCPU tsc-offset / tsc-scaling-ratio / frac bits from debugfs
 *    at start and end, as metadata vm.G.vcpuN.tsc_offset[_end] and friends.
 * Owner: the two-level area.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <traceevent/event-parse.h>

#include "record/linux.h"
#include "record/source.h"
#include "record/vm.h"

#define MAX_SPECS 64
#define MAX_VMS 64

struct vm_state {
	size_t nvms;
	struct pmt_vm *vms[MAX_VMS];
	uint16_t level[MAX_VMS];
};

static const char *specs[MAX_SPECS];
static size_t nspecs;

static const struct pmt_source_opt vm_opts[] = {
	{"vm", 1, "PID|NAME|all", "also record the vCPU threads of a QEMU guest (repeatable)"},
	{NULL, 0, NULL, NULL},
};

static int vm_option(struct pmt_rec *r, const char *name, const char *arg)
{
	if (nspecs == MAX_SPECS) {
		pmt_rec_usage(r, "too many --vm options (at most %d)", MAX_SPECS);
		return -1;
	}
	if (!arg || !*arg) {
		pmt_rec_usage(r, "--vm needs a PID, a guest name or 'all'");
		return -1;
	}
	specs[nspecs++] = arg;
	return 0;
}

static int vm_active(struct pmt_rec *r)
{
	return nspecs > 0;
}

static struct vm_state *the_state; /* for the add callback */

static int add_vm(void *ctx, const struct pmt_vm *vm)
{
	struct pmt_rec *r = ctx;
	struct vm_state *st = the_state;

	for (size_t i = 0; i < st->nvms; i++)
		if (st->vms[i]->pid == vm->pid)
			return 0; /* named twice */
	if (st->nvms == MAX_VMS) {
		pmt_rec_err(r, "too many guests (at most %d)", MAX_VMS);
		return -1;
	}
	struct pmt_vm *copy = malloc(sizeof(*copy));
	if (!copy) {
		pmt_rec_err(r, "out of memory");
		return -1;
	}
	*copy = *vm;
	/* Two guests with one name: the later is NAME-PID (levels and the
	 * vm.NAME.* metadata keys must tell them apart). */
	for (size_t i = 0; i < st->nvms; i++)
		if (strcmp(st->vms[i]->name, copy->name) == 0) {
			char n[sizeof(copy->name)];
			snprintf(n, sizeof(n), "%.40s-%d", copy->name, (int)copy->pid);
			memcpy(copy->name, n, sizeof(n));
			break;
		}
	st->vms[st->nvms++] = copy;
	return 0;
}

/* Which guest and serial port a (tid, fd) belongs to; NULL if none. */
static const struct pmt_vm_serial *serial_of(struct vm_state *st, uint32_t tid, uint64_t fd)
{
	for (size_t i = 0; i < st->nvms; i++) {
		const struct pmt_vm *vm = st->vms[i];
		for (uint32_t v = 0; v < vm->nvcpus; v++) {
			if (vm->tid[v] != tid)
				continue;
			for (size_t s = 0; s < vm->nserial; s++)
				if (vm->serial[s].fd >= 0 && (uint64_t)vm->serial[s].fd == fd)
					return &vm->serial[s];
			return NULL;
		}
	}
	return NULL;
}

static int hv_append(struct pmt_rec *r, const struct pmt_linux_rec *rec, uint32_t kind,
		     uint64_t a, uint64_t b)
{
	struct pmt_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.ts = rec->ts;
	ev.level = r->host_level;
	ev.cpu = rec->cpu;
	ev.type = PMT_EV_HV;
	ev.u.hv.kind = kind;
	ev.u.hv.tid = (uint32_t)rec->common_pid;
	ev.u.hv.a = a;
	ev.u.hv.b = b;
	return pmt_rec_append(r, &ev);
}

static uint64_t field(const struct pmt_linux_rec *rec, const char *name)
{
	unsigned long long v = 0;
	struct tep_format_field *f = tep_find_field(rec->event, name);

	if (!f || f->offset + f->size > rec->size)
		return 0;
	if (tep_read_number_field(f, rec->data, &v) < 0)
		return 0;
	return v;
}

static int on_write(struct pmt_rec *r, void *ctx, const struct pmt_linux_rec *rec)
{
	struct vm_state *st = ctx;
	uint64_t fd = field(rec, "fd");
	const struct pmt_vm_serial *s = serial_of(st, (uint32_t)rec->common_pid, fd);

	if (!s)
		return 0; /* the kernel filter let through another write */
	return hv_append(r, rec, PMT_HV_SYNC_WRITE, s->port, fd);
}

static int on_kvm_exit(struct pmt_rec *r, void *ctx, const struct pmt_linux_rec *rec)
{
	return hv_append(r, rec, PMT_HV_EXIT, field(rec, "exit_reason"), field(rec, "info1"));
}

static int on_kvm_pio(struct pmt_rec *r, void *ctx, const struct pmt_linux_rec *rec)
{
	uint64_t b = field(rec, "val");
	if (!field(rec, "rw"))
		b |= 1ull << 63; /* rw = 0: a read (in) */
	return hv_append(r, rec, PMT_HV_PIO, field(rec, "port"), b);
}

static int on_kvm_tsc(struct pmt_rec *r, void *ctx, const struct pmt_linux_rec *rec)
{
	return hv_append(r, rec, PMT_HV_TSC_OFFSET, field(rec, "next_tsc_offset"),
			 field(rec, "previous_tsc_offset"));
}

/* "common_pid == A || common_pid == B ..." of every vCPU thread, appended. */
static int pid_filter(struct vm_state *st, int kvm_only, char *buf, size_t len)
{
	size_t used = strlen(buf);
	int n = 0;
	for (size_t i = 0; i < st->nvms; i++) {
		if (kvm_only && !st->vms[i]->kvm)
			continue;
		for (uint32_t v = 0; v < st->vms[i]->nvcpus; v++) {
			int k = snprintf(buf + used, len - used, "%scommon_pid == %u",
					 n++ ? " || " : "", st->vms[i]->tid[v]);
			if (k < 0 || (size_t)k >= len - used)
				return -1;
			used += (size_t)k;
		}
	}
	return n;
}

static void kvm_meta(struct pmt_rec *r, struct vm_state *st, const char *suffix)
{
	static const char *const files[][2] = {
		{"tsc-offset", "tsc_offset"},
		{"tsc-scaling-ratio", "tsc_scaling_ratio"},
		{"tsc-scaling-ratio-frac-bits", "tsc_scaling_frac_bits"},
	};
	for (size_t i = 0; i < st->nvms; i++) {
		const struct pmt_vm *vm = st->vms[i];
		if (!vm->kvm_dir[0])
			continue;
		for (uint32_t v = 0; v < vm->nvcpus; v++)
			for (size_t f = 0; f < 3; f++) {
				int64_t x;
				char k[160], val[32];
				if (pmt_vm_kvm_read(vm, v, files[f][0], &x) < 0)
					continue;
				snprintf(k, sizeof(k), "vm.%s.vcpu%u.%s%s", vm->name, v, files[f][1], suffix);
				snprintf(val, sizeof(val), "%" PRId64, x);
				pmt_writer_set_meta(r->w, k, val);
			}
	}
}

static int vm_open(struct pmt_rec *r, void **state)
{
	struct pmt_linux *l = pmt_linux_of(r);
	struct vm_state *st = calloc(1, sizeof(*st));
	char why[300], filter[16384];
	int any_kvm = 0, any_serial = 0;

	if (!st) {
		pmt_rec_err(r, "out of memory");
		return -1;
	}
	*state = st;
	if (!l) {
		pmt_rec_err(r, "--vm needs the Linux tracefs source");
		return -1;
	}
	the_state = st;
	for (size_t i = 0; i < nspecs; i++) {
		int n = pmt_vm_find(specs[i], add_vm, r, why, sizeof(why));
		if (n < 0)
			return -1;
		if (n == 0) {
			pmt_rec_err(r, "--vm %s: %s", specs[i], why);
			return -1;
		}
	}
	for (size_t i = 0; i < st->nvms; i++) {
		const struct pmt_vm *vm = st->vms[i];
		struct pmt_level lv = {0};
		char k[128], v[600];

		lv.kind = PMT_LEVEL_GUEST;
		lv.clock = r->host_clock; /* placeholder: pmt-merge gives the guest's clock */
		lv.name = vm->name;
		lv.ncpus = vm->nvcpus;
		lv.guest_id = (int32_t)vm->pid;
		int id = pmt_writer_add_level(r->w, &lv);
		if (id < 0) {
			pmt_rec_err(r, "cannot describe guest '%s': %s", vm->name, pmt_strerror(id));
			return -1;
		}
		st->level[i] = (uint16_t)id;
		for (uint32_t c = 0; c < vm->nvcpus; c++) {
			struct pmt_binding b = {(uint16_t)id, r->host_level, c, vm->tid[c]};
			struct pmt_task t = {r->host_level, vm->tid[c], (uint32_t)vm->pid, PMT_TASK_VCPU, k};
			snprintf(k, sizeof(k), "CPU %u/%s", c, vm->kvm ? "KVM" : "TCG");
			if (pmt_writer_add_binding(r->w, &b) < 0 || pmt_writer_add_task(r->w, &t) < 0) {
				pmt_rec_err(r, "cannot describe guest '%s'", vm->name);
				return -1;
			}
		}
		snprintf(k, sizeof(k), "vm.%s.pid", vm->name);
		snprintf(v, sizeof(v), "%d", (int)vm->pid);
		pmt_writer_set_meta(r->w, k, v);
		snprintf(k, sizeof(k), "vm.%s.accel", vm->name);
		pmt_writer_set_meta(r->w, k, vm->kvm ? "kvm" : "tcg");
		v[0] = 0;
		for (size_t s = 0; s < vm->nserial; s++) {
			size_t u = strlen(v);
			snprintf(v + u, sizeof(v) - u, "%s0x%x:%d:%s", s ? " " : "", vm->serial[s].port,
				 vm->serial[s].fd, vm->serial[s].path);
			any_serial |= vm->serial[s].fd >= 0;
		}
		snprintf(k, sizeof(k), "vm.%s.serial_files", vm->name);
		pmt_writer_set_meta(r->w, k, v);
		any_kvm |= vm->kvm;
		pmt_rec_note(r, "guest '%s': pid %d, %u vCPUs (%s), %zu file-backed serial ports",
			     vm->name, (int)vm->pid, vm->nvcpus, vm->kvm ? "KVM" : "TCG", vm->nserial);
	}
	/* Sync writes: the vCPU threads' writes on the serial files' fds. */
	if (any_serial) {
		int n = 0;
		strcpy(filter, "(");
		for (size_t i = 0; i < st->nvms; i++)
			for (size_t s = 0; s < st->vms[i]->nserial; s++) {
				int fd = st->vms[i]->serial[s].fd;
				size_t u = strlen(filter);
				if (fd >= 0)
					snprintf(filter + u, sizeof(filter) - u, "%sfd == %d", n++ ? " || " : "", fd);
			}
		strcat(filter, ") && (");
		if (pid_filter(st, 0, filter, sizeof(filter) - 2) < 0) {
			pmt_rec_err(r, "too many vCPU threads for a kernel filter");
			return -1;
		}
		strcat(filter, ")");
		const char *calls[] = {"sys_enter_writev", "sys_enter_write"};
		for (size_t c = 0; c < 2; c++) {
			int rc = pmt_linux_add_event(l, "syscalls", calls[c], on_write, st);
			if (rc < 0)
				return -1;
			if (rc == 0 && pmt_linux_set_filter(l, "syscalls", calls[c], filter) < 0)
				return -1;
		}
	} else {
		pmt_rec_warn(r, "no guest has a serial port backed by a file: no sync pulses can "
			     "be seen (add -serial file:PATH for the guest's sync port)");
	}
	if (any_kvm) {
		static const struct { const char *name; pmt_linux_handler fn; } kv[] = {
			{"kvm_exit", on_kvm_exit},
			{"kvm_pio", on_kvm_pio},
			{"kvm_write_tsc_offset", on_kvm_tsc},
		};
		filter[0] = 0;
		pid_filter(st, 1, filter, sizeof(filter));
		for (size_t i = 0; i < sizeof(kv) / sizeof(kv[0]); i++) {
			int rc = pmt_linux_add_event(l, "kvm", kv[i].name, kv[i].fn, st);
			if (rc < 0)
				return -1;
			/* kvm_write_tsc_offset fires in the ioctl's thread: no pid filter */
			if (rc == 0 && i < 2 && pmt_linux_set_filter(l, "kvm", kv[i].name, filter) < 0)
				return -1;
		}
		struct stat sb;
		DIR *d;
		if (stat("/sys/kernel/debug/kvm", &sb) < 0) {
			pmt_rec_warn(r, "no KVM debugfs (/sys/kernel/debug/kvm: %s): the guest's TSC "
				     "offset is not recorded, pmt-merge will need sync pulses (mount it "
				     "with 'mount -t debugfs none /sys/kernel/debug')", strerror(errno));
		} else if (!(d = opendir("/sys/kernel/debug/kvm"))) {
			/* there but unreadable (lockdown, no root): a setup error */
			pmt_rec_err(r, "cannot read KVM's debugfs '/sys/kernel/debug/kvm': %s",
				    strerror(errno));
			return -1;
		} else {
			closedir(d);
			for (size_t i = 0; i < st->nvms; i++)
				if (st->vms[i]->kvm && !st->vms[i]->kvm_dir[0])
					pmt_rec_warn(r, "guest '%s': no directory in KVM's debugfs: "
						     "its TSC offset is not recorded", st->vms[i]->name);
		}
		kvm_meta(r, st, "");
	}
	return 0;
}

static int vm_finish(struct pmt_rec *r, void *state)
{
	kvm_meta(r, state, "_end");
	return 0;
}

static void vm_close(struct pmt_rec *r, void *state)
{
	struct vm_state *st = state;
	if (!st)
		return;
	for (size_t i = 0; i < st->nvms; i++)
		free(st->vms[i]);
	free(st);
	the_state = NULL;
}

const struct pmt_source pmt_source_vm = {
	.name = "vm",
	.opts = vm_opts,
	.option = vm_option,
	.active = vm_active,
	.open = vm_open,
	.finish = vm_finish,
	.close = vm_close,
};
