/*
 * vm_proc.c - finding QEMU guests, their vCPU threads, their file-backed
 * serial ports and their KVM debugfs directory (see vm.h).
 * Owner: the two-level area.
 */
#include "record/vm.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define KVM_DEBUGFS "/sys/kernel/debug/kvm"

/* Read a whole small file; returns bytes read or -1. */
static ssize_t slurp(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n, got = 0;

	if (fd < 0)
		return -1;
	while ((size_t)got < len && (n = read(fd, buf + got, len - (size_t)got)) > 0)
		got += n;
	close(fd);
	return got;
}

/* Next argument of a NUL-separated argv, or NULL. An argument without its
 * NUL inside len (a cut command line) does not count. */
static const char *next_arg(const char *cmdline, size_t len, const char *cur)
{
	const char *end = cmdline + len;
	if (!cur)
		cur = cmdline;
	else
		cur += strnlen(cur, (size_t)(end - cur)) + 1;
	if (cur >= end || strnlen(cur, (size_t)(end - cur)) == (size_t)(end - cur))
		return NULL;
	return cur;
}

/* "-opt" or "--opt" */
static int is_opt(const char *a, const char *opt)
{
	if (a[0] != '-')
		return 0;
	a += a[1] == '-' ? 2 : 1;
	return strcmp(a, opt) == 0;
}

/* Value of key=V in a comma list (V copied up to the next comma), or -1. */
static int kv(const char *list, const char *key, char *out, size_t outlen)
{
	size_t k = strlen(key);
	const char *p = list;
	while (p && *p) {
		const char *comma = strchr(p, ',');
		size_t l = comma ? (size_t)(comma - p) : strlen(p);
		if (l > k && memcmp(p, key, k) == 0 && p[k] == '=') {
			size_t vl = l - k - 1;
			if (vl >= outlen)
				vl = outlen - 1;
			memcpy(out, p + k + 1, vl);
			out[vl] = 0;
			return 0;
		}
		p = comma ? comma + 1 : NULL;
	}
	return -1;
}

int pmt_vm_cmdline_name(const char *cmdline, size_t len, char *name, size_t namelen)
{
	for (const char *a = next_arg(cmdline, len, NULL); a; a = next_arg(cmdline, len, a)) {
		if (!is_opt(a, "name"))
			continue;
		const char *v = next_arg(cmdline, len, a);
		if (!v)
			return -1;
		if (kv(v, "guest", name, namelen) == 0)
			return 0;
		size_t l = strcspn(v, ",");
		if (strchr(v, '=') && strchr(v, '=') < v + l)
			return -1; /* only key=value items, no guest= */
		if (l >= namelen)
			l = namelen - 1;
		memcpy(name, v, l);
		name[l] = 0;
		return l ? 0 : -1;
	}
	return -1;
}

static const unsigned isa_ports[] = {0x3f8, 0x2f8, 0x3e8, 0x2e8};

/* Path of file chardev id in the command line, or -1. */
static int chardev_path(const char *cmdline, size_t len, const char *id, char *path, size_t plen)
{
	char v[64];
	for (const char *a = next_arg(cmdline, len, NULL); a; a = next_arg(cmdline, len, a)) {
		if (!is_opt(a, "chardev"))
			continue;
		const char *c = next_arg(cmdline, len, a);
		if (!c || strncmp(c, "file,", 5) != 0)
			continue;
		if (kv(c + 5, "id", v, sizeof(v)) == 0 && strcmp(v, id) == 0)
			return kv(c + 5, "path", path, plen);
	}
	return -1;
}

size_t pmt_vm_cmdline_serials(const char *cmdline, size_t len,
			      struct pmt_vm_serial *out, size_t max)
{
	size_t n = 0;
	unsigned index = 0;
	char id[64], v[64];

	/* -serial in order take COM1.. first; then -device isa-serial. */
	for (int pass = 0; pass < 2; pass++) {
		for (const char *a = next_arg(cmdline, len, NULL); a; a = next_arg(cmdline, len, a)) {
			const char *val = next_arg(cmdline, len, a);
			struct pmt_vm_serial s = {0, "", -1};
			int have = 0;

			if (!val)
				break;
			if (pass == 0 && is_opt(a, "serial")) {
				unsigned i = index++;
				if (i >= 4)
					continue;
				s.port = isa_ports[i];
				if (strncmp(val, "file:", 5) == 0) {
					snprintf(s.path, sizeof(s.path), "%s", val + 5);
					have = 1;
				} else if (strncmp(val, "chardev:", 8) == 0) {
					have = chardev_path(cmdline, len, val + 8, s.path, sizeof(s.path)) == 0;
				}
			} else if (pass == 1 && is_opt(a, "device") && strncmp(val, "isa-serial", 10) == 0 &&
				   (val[10] == ',' || val[10] == 0)) {
				unsigned i = index++;
				const char *props = val[10] ? val + 11 : "";
				if (kv(props, "index", v, sizeof(v)) == 0)
					i = (unsigned)strtoul(v, NULL, 0);
				if (kv(props, "iobase", v, sizeof(v)) == 0)
					s.port = (unsigned)strtoul(v, NULL, 0);
				else if (i < 4)
					s.port = isa_ports[i];
				if (s.port && kv(props, "chardev", id, sizeof(id)) == 0)
					have = chardev_path(cmdline, len, id, s.path, sizeof(s.path)) == 0;
			}
			if (have && s.path[0] && n < max)
				out[n++] = s;
		}
	}
	return n;
}

/* Fill fd of each serial from /proc/PID/fd (paths relative to QEMU's cwd). */
static void find_fds(struct pmt_vm *vm)
{
	char dir[64], link[PATH_MAX + 1], want[PATH_MAX], p[PATH_MAX + 300];
	DIR *d;
	struct dirent *e;

	for (size_t i = 0; i < vm->nserial; i++) {
		struct pmt_vm_serial *s = &vm->serial[i];
		if (s->path[0] == '/')
			snprintf(p, sizeof(p), "%s", s->path);
		else
			snprintf(p, sizeof(p), "/proc/%d/cwd/%s", (int)vm->pid, s->path);
		if (!realpath(p, want))
			continue;
		snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)vm->pid);
		if (!(d = opendir(dir)))
			return;
		while ((e = readdir(d))) {
			char fp[600];
			ssize_t l;
			if (!isdigit((unsigned char)e->d_name[0]))
				continue;
			snprintf(fp, sizeof(fp), "%s/%s", dir, e->d_name);
			l = readlink(fp, link, sizeof(link) - 1);
			if (l <= 0)
				continue;
			link[l] = 0;
			if (strcmp(link, want) == 0) {
				s->fd = atoi(e->d_name);
				break;
			}
		}
		closedir(d);
	}
}

static void find_kvm_dir(struct pmt_vm *vm)
{
	DIR *d = opendir(KVM_DEBUGFS);
	struct dirent *e;
	char pre[32];

	vm->kvm_dir[0] = 0;
	if (!d)
		return;
	snprintf(pre, sizeof(pre), "%d-", (int)vm->pid);
	while ((e = readdir(d)))
		if (strncmp(e->d_name, pre, strlen(pre)) == 0) {
			snprintf(vm->kvm_dir, sizeof(vm->kvm_dir), KVM_DEBUGFS "/%s", e->d_name);
			break;
		}
	closedir(d);
}

int pmt_vm_probe(pid_t pid, struct pmt_vm *vm, char *why, size_t whylen)
{
	char path[64], comm[64], cmd[16384];
	DIR *d;
	struct dirent *e;
	uint32_t maxn = 0;
	ssize_t n;

	memset(vm, 0, sizeof(*vm));
	vm->pid = pid;
	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	if (!(d = opendir(path))) {
		snprintf(why, whylen, "no process %d", (int)pid);
		return -1;
	}
	while ((e = readdir(d))) {
		char tp[400];
		unsigned vn;
		char kind[8];
		if (!isdigit((unsigned char)e->d_name[0]))
			continue;
		snprintf(tp, sizeof(tp), "%s/%s/comm", path, e->d_name);
		n = slurp(tp, comm, sizeof(comm) - 1);
		if (n <= 0)
			continue;
		comm[n] = 0;
		if (sscanf(comm, "CPU %u/%3[A-Z]", &vn, kind) != 2 || vn >= PMT_VM_MAX_VCPUS)
			continue;
		if (strcmp(kind, "TCG") && strcmp(kind, "KVM") && strcmp(kind, "HVF"))
			continue;
		vm->kvm = strcmp(kind, "KVM") == 0;
		vm->tid[vn] = (uint32_t)atoi(e->d_name);
		if (vn + 1 > maxn)
			maxn = vn + 1;
	}
	closedir(d);
	for (uint32_t i = 0; i < maxn; i++)
		if (!vm->tid[i]) {
			snprintf(why, whylen, "process %d: vCPU %u thread not found", (int)pid, i);
			return 1;
		}
	if (!maxn) {
		snprintf(why, whylen, "process %d has no vCPU threads named 'CPU n/TCG' or "
			 "'CPU n/KVM' (start QEMU with -name NAME,debug-threads=on)", (int)pid);
		return 1;
	}
	vm->nvcpus = maxn;
	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	n = slurp(path, cmd, sizeof(cmd));
	if (n < 0)
		n = 0;
	if (pmt_vm_cmdline_name(cmd, (size_t)n, vm->name, sizeof(vm->name)) < 0)
		snprintf(vm->name, sizeof(vm->name), "qemu-%d", (int)pid);
	vm->nserial = pmt_vm_cmdline_serials(cmd, (size_t)n, vm->serial, PMT_VM_MAX_SERIAL);
	find_fds(vm);
	if (vm->kvm)
		find_kvm_dir(vm);
	return 0;
}

int pmt_vm_find(const char *spec, int (*fn)(void *ctx, const struct pmt_vm *vm),
		void *ctx, char *why, size_t whylen)
{
	static struct pmt_vm vm; /* large */
	char *end;
	long pid = strtol(spec, &end, 10);
	int all = strcmp(spec, "all") == 0, found = 0;
	DIR *d;
	struct dirent *e;

	if (*spec && !*end) {
		if (pid <= 0 || pmt_vm_probe((pid_t)pid, &vm, why, whylen) != 0)
			return 0;
		return fn(ctx, &vm) < 0 ? -1 : 1;
	}
	if (!(d = opendir("/proc"))) {
		snprintf(why, whylen, "cannot read /proc: %s", strerror(errno));
		return 0;
	}
	while ((e = readdir(d))) {
		char path[300], comm[32], tmp[200];
		ssize_t n;
		if (!isdigit((unsigned char)e->d_name[0]))
			continue;
		/* Only QEMU processes ('qemu-system-x86', 'qemu-kvm', 'kvm'). */
		snprintf(path, sizeof(path), "/proc/%s/comm", e->d_name);
		n = slurp(path, comm, sizeof(comm) - 1);
		if (n <= 0)
			continue;
		comm[n] = 0;
		if (strncmp(comm, "qemu", 4) != 0 && strncmp(comm, "kvm", 3) != 0)
			continue;
		if (pmt_vm_probe((pid_t)atoi(e->d_name), &vm, tmp, sizeof(tmp)) != 0)
			continue;
		if (!all && strcmp(vm.name, spec) != 0)
			continue;
		if (fn(ctx, &vm) < 0) {
			closedir(d);
			return -1;
		}
		found++;
	}
	closedir(d);
	if (!found)
		snprintf(why, whylen, all ? "no QEMU guest with named vCPU threads is running "
			 "(start QEMU with -name NAME,debug-threads=on)" : "no QEMU guest named '%s'", spec);
	return found;
}

int pmt_vm_kvm_read(const struct pmt_vm *vm, uint32_t vcpu, const char *file, int64_t *v)
{
	char path[450], buf[64];
	ssize_t n;

	if (!vm->kvm_dir[0])
		return -1;
	snprintf(path, sizeof(path), "%s/vcpu%u/%s", vm->kvm_dir, vcpu, file);
	n = slurp(path, buf, sizeof(buf) - 1);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	errno = 0;
	*v = strtoll(buf, NULL, 0);
	if (errno == ERANGE)
		*v = (int64_t)strtoull(buf, NULL, 0);
	return 0;
}
