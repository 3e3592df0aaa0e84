# tests/vm/vm-lib.sh - the VM test bed's building blocks, sourced by the
# scripts in tests/vm/ (after tests/lib.sh).
#
# What it does, and where things go:
#  - VM_CACHE (default /var/cache/pmt-vm, outside the tree so 'make clean'
#    keeps it; a fresh machine re-creates it): the guest kernel, extracted
#    from the Debian package 'linux-image-amd64' depends on (only boot/vmlinuz
#    and the virtio/9p modules), and the initramfs (busybox-static, /init,
#    modules). The guest's programs are not in it: they come over the 9p
#    share with each run, so rebuilding them needs no new initramfs.
#  - vm_boot: QEMU TCG, 4 vCPUs, thread=multi, debug-threads=on (vCPU
#    threads are named 'CPU n/TCG'), a 9p share OUT for the guest's files,
#    COM3 (port 0x3e8) as a file chardev for the sync pulses.
# QEMU is killed by its own PID on exit (at_exit), never by name.

VM_CACHE=${PMT_VM_CACHE:-/var/cache/pmt-vm}
VM_PORT=0x3e8
VM_NCPUS=4
VM_TIMEOUT=${PMT_VM_TIMEOUT:-300}
VM_QEMU_PID=

vm_have_qemu() { command -v qemu-system-x86_64 >/dev/null && command -v busybox >/dev/null && command -v cpio >/dev/null; }

# Sets VM_KVER, VM_KERNEL, VM_MODDIR. Downloads once.
vm_kernel() {
	local pkg deb tmp
	vm_kpkg() { apt-cache depends linux-image-amd64 2>/dev/null | sed -n 's/^ *Depends: \(linux-image-[0-9].*\)$/\1/p' | head -n 1; }
	pkg=$(vm_kpkg)
	# A fresh machine may have no package lists yet.
	if [ -z "$pkg" ] && ! ls -d "$VM_CACHE"/kernel/linux-image-* >/dev/null 2>&1; then
		apt-get update -qq >/dev/null 2>&1
		pkg=$(vm_kpkg)
	fi
	if [ -z "$pkg" ]; then
		# Offline: take any kernel already in the cache.
		pkg=$(ls -d "$VM_CACHE"/kernel/linux-image-* 2>/dev/null | head -n 1 | xargs -r basename)
		[ -n "$pkg" ] || { echo "vm: cannot resolve linux-image-amd64 (apt-get update?)" >&2; return 1; }
	fi
	VM_KVER=${pkg#linux-image-}
	local dir=$VM_CACHE/kernel/$pkg
	if [ ! -s "$dir/vmlinuz" ]; then
		echo "vm: fetching $pkg into $VM_CACHE" >&2
		tmp=$(mktemp -d "$VM_CACHE.dl.XXXXXX" 2>/dev/null) || { mkdir -p "$VM_CACHE" && tmp=$(mktemp -d "$VM_CACHE/dl.XXXXXX"); } || return 1
		( cd "$tmp" && { apt-get download "$pkg" >/dev/null 2>&1 || { apt-get update -qq && apt-get download "$pkg" >/dev/null 2>&1; }; } ) \
			|| { echo "vm: apt-get download $pkg failed" >&2; rm -rf "$tmp"; return 1; }
		deb=$(ls "$tmp"/*.deb | head -n 1)
		mkdir -p "$tmp/x"
		dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$tmp/x" --wildcards './boot/vmlinuz-*' \
			'./lib/modules/*/kernel/drivers/virtio/*' './lib/modules/*/kernel/fs/9p/*' \
			'./lib/modules/*/kernel/fs/fscache/*' './lib/modules/*/kernel/fs/netfs/*' \
			'./lib/modules/*/kernel/net/9p/*' || { echo "vm: cannot extract $deb" >&2; rm -rf "$tmp"; return 1; }
		mkdir -p "$dir.new/modules"
		cp "$tmp"/x/boot/vmlinuz-* "$dir.new/vmlinuz"
		find "$tmp/x/lib/modules" -name '*.ko' -exec cp {} "$dir.new/modules/" \;
		rm -rf "$tmp" "$dir"
		mkdir -p "$(dirname "$dir")" && mv "$dir.new" "$dir"
	fi
	VM_KERNEL=$dir/vmlinuz
	VM_MODDIR=$dir/modules
}

# Sets VM_INITRD; rebuilt when init.sh is newer than it.
vm_initramfs() {
	local init=$TOP/tests/vm/init.sh
	VM_INITRD=$VM_CACHE/initramfs-$VM_KVER.cpio.gz
	[ -s "$VM_INITRD" ] && [ "$VM_INITRD" -nt "$init" ] && return 0
	local root
	root=$(mktemp -d "$TMP/initramfs.XXXXXX")
	mkdir -p "$root"/{bin,sbin,proc,sys,dev,tmp,out,lib/modules}
	cp "$(command -v busybox)" "$root/bin/busybox"
	ldd "$root/bin/busybox" >/dev/null 2>&1 && { echo "vm: busybox is not static (install busybox-static)" >&2; return 1; }
	ln -s busybox "$root/bin/sh"
	cp "$init" "$root/init" && chmod 755 "$root/init"
	cp "$VM_MODDIR"/*.ko "$root/lib/modules/"
	( cd "$root" && find . | cpio -o -H newc --quiet | gzip -1 ) >"$VM_INITRD.tmp" && mv "$VM_INITRD.tmp" "$VM_INITRD"
}

vm_kill() {
	if [ -n "$VM_QEMU_PID" ] && kill -0 "$VM_QEMU_PID" 2>/dev/null; then
		kill "$VM_QEMU_PID" 2>/dev/null
		sleep 0.5
		kill -9 "$VM_QEMU_PID" 2>/dev/null
	fi
	VM_QEMU_PID=
}

# vm_boot NAME SHARE PULSEFILE CONSOLE: start the guest in the background;
# sets VM_QEMU_PID. The guest runs SHARE/guest.sh and powers off.
vm_boot() {
	local name=$1 share=$2 pulses=$3 console=$4
	: >"$pulses"
	qemu-system-x86_64 -name "$name,debug-threads=on" \
		-accel tcg,thread=multi,tb-size=256 -cpu max -smp $VM_NCPUS -m 512 \
		-display none -monitor none -no-reboot -nodefaults \
		-kernel "$VM_KERNEL" -initrd "$VM_INITRD" \
		-append "console=ttyS0 quiet panic=-1 tsc=reliable" \
		-serial "file:$console" -serial null -serial "file:$pulses" \
		-virtfs "local,path=$share,mount_tag=out,security_model=none,id=out" \
		</dev/null >"$console.qemu" 2>&1 &
	VM_QEMU_PID=$!
}

# vm_vcpu_tids PID: prints 'n tid' per vCPU thread ('CPU n/TCG' or
# 'CPU n/KVM'); waits up to 10 s for all VM_NCPUS of them.
vm_vcpu_tids() {
	local pid=$1 i t c out
	for i in $(seq 100); do
		out=
		for t in /proc/$pid/task/*; do
			c=$(cat "$t/comm" 2>/dev/null) || continue
			case $c in "CPU "*/TCG|"CPU "*/KVM) c=${c#CPU }; out+="${c%/*} ${t##*/}"$'\n' ;; esac
		done
		if [ "$(printf %s "$out" | grep -c .)" -ge $VM_NCPUS ]; then
			printf %s "$out" | sort -n
			return 0
		fi
		sleep 0.1
	done
	return 1
}

# vm_chardev_fd PID FILE: the fd number QEMU holds open on FILE.
vm_chardev_fd() {
	local f
	for f in /proc/$1/fd/*; do
		[ "$(readlink "$f")" = "$2" ] && { echo "${f##*/}"; return 0; }
	done
	return 1
}

# vm_wait: wait for QEMU to exit (guest powered off), VM_TIMEOUT at most.
vm_wait() {
	local i
	for i in $(seq $((VM_TIMEOUT * 10))); do
		kill -0 "$VM_QEMU_PID" 2>/dev/null || { wait "$VM_QEMU_PID" 2>/dev/null; VM_QEMU_PID=; return 0; }
		sleep 0.1
	done
	echo "vm: guest did not finish in $VM_TIMEOUT s" >&2
	vm_kill
	return 1
}

# vm_bindings_of CHECK.txt: the vCPU thread ids in vCPU order, from vmcheck's output.
vm_bindings_of() { awk '$1 == "vcpu" { print $4 }' "$1" | paste -sd' '; }
