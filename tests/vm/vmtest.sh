#!/bin/bash
# tests/vm/vmtest.sh - the two-level test bed, end to end.
#
# Boots a QEMU TCG guest with 4 vCPUs twice (vCPU threads free; then all
# pinned to pCPU 0), records the host with `pmt-record --vm` and the guest with
# the static `pmt-record --sync-pulses` around a synchronization-heavy
# workload with a known answer, merges with pmt-merge, and checks the merged
# file with tests/vm/vmcheck (see docs/VM.md, "The test bed"):
#   - the workload's shared counter is right, the guest recorded its tasks;
#   - the pulse fit is consistent and its uncertainty is under 100 us, and every
#     pulse's guest CPU matched the host thread that wrote it;
#   - every guest switch on vCPU n, in host time, lies inside a host run of the
#     vCPU n thread: at most 0.1 % exceptions (reported); and, as a control
#     that the check can fail, over 1 % when the guest clock is 100 us off;
#   - pinned: zero pCPU changes of the vCPU threads, never two of them running
#     at once; free: some pCPU changes, two running at once;
#   - pmt-merge refuses inconsistent inputs (no pulses, wrong binding, vCPU
#     count mismatch) with the reason, writing nothing.
# PMT_VM_KEEP=DIR keeps the run directories (host.pmt, guest.pmt, merged.pmt).
source "$(dirname "$0")/../lib.sh"
source "$TOP/tests/vm/vm-lib.sh"

STATIC=${PMT_STATIC_RECORD:-$TOP/build-static/pmt-record}
WORKLOAD=$BIN/vm/workload
WL_ARGS=${PMT_VM_WORKLOAD:-"6 300 20 20000"}
PULSES=20

if [ "$(id -u)" -ne 0 ]; then skip "the VM test bed needs root (tracefs, 9p share)"; finish; fi
if ! vm_have_qemu; then skip "qemu-system-x86_64, busybox or cpio missing (apt-get install qemu-system-x86 busybox-static cpio)"; finish; fi
if ! have_tracefs; then skip "tracefs is not available"; finish; fi
for f in "$STATIC" "$WORKLOAD" "$BIN/pmt-record" "$BIN/pmt-merge" "$BIN/tests/vmcheck"; do
	[ -x "$f" ] || { fail "missing $f (run 'make vmtest')"; finish; }
done
t_start=$(date +%s)
# One test bed at a time fills the cache.
mkdir -p "$VM_CACHE" && exec 9>"$VM_CACHE/lock" && flock 9
vm_kernel || { fail "cannot get the guest kernel"; finish; }
vm_initramfs || { fail "cannot build the initramfs"; finish; }
flock -u 9

HOST_PID=
# SIGINT, then up to 60 s to drain; a recorder that cannot keep up (a
# sanitized build on a loaded machine) is killed rather than waited for.
stop_host() {
	[ -n "$HOST_PID" ] || return 0
	kill -INT "$HOST_PID" 2>/dev/null
	local i
	for i in $(seq 600); do
		kill -0 "$HOST_PID" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$HOST_PID" 2>/dev/null; then
		echo "    the host recorder did not stop in 60 s: killed"
		kill -KILL "$HOST_PID" 2>/dev/null
	fi
	wait "$HOST_PID" 2>/dev/null
	HOST_PID=
}
at_exit stop_host
at_exit vm_kill

# run_vm MODE DIR: one boot; MODE free|pinned. Leaves DIR/{host,guest,merged}.pmt.
run_vm() {
	# The guest is found by PID, so every run can call it 'tb' (stable level
	# names in the kept files) even when two test beds run at once.
	local mode=$1 dir=$2 name=tb
	mkdir -p "$dir/share/bin"
	cp "$STATIC" "$dir/share/bin/pmt-record"
	cp "$WORKLOAD" "$dir/share/bin/workload"
	cat >"$dir/share/guest.sh" <<-G
	cp /out/bin/* /bin/
	# booted: the host starts its recorder now, and says go
	touch /out/ready
	while [ ! -e /out/go ]; do sleep 0.1; done
	pmt-record --sync-pulses $PULSES --sync-port $VM_PORT --buffer-size 8192 -o /tmp/guest.pmt \
		-- workload $WL_ARGS >/out/workload.out
	echo "record status \$?"
	cp /tmp/guest.pmt /out/guest.pmt
	G
	local t0=$SECONDS
	vm_boot "$name" "$dir/share" "$dir/pulses.bin" "$dir/console.log"
	local tids
	tids=$(vm_vcpu_tids "$VM_QEMU_PID") || { echo "no vCPU threads"; return 1; }
	if [ "$mode" = free ]; then
		# Finding the guest by name and with 'all': its vCPU threads are bound
		# (another test bed's guest may be called tb too, and one of the two is
		# then tb-PID: ours is told by its guest_id, the QEMU pid).
		local spec want got
		want=$(echo "$tids" | awk '{ print $1 "," $2 }' | sort)
		for spec in tb all; do
			"$BIN/pmt-record" --vm $spec -o "$dir/by-$spec.pmt" --duration 0.2 >/dev/null 2>&1
			got=$("$BIN/pmt-analyze" info "$dir/by-$spec.pmt" --format csv 2>/dev/null |
				awk -F, -v pid="$VM_QEMU_PID" '/^# table: levels/ { t = "l"; next }
					/^# table: bindings/ { t = "b"; next } /^#/ { t = "" }
					t == "l" && $6 == pid { ours[$1] = 1 }
					t == "b" && ($1 in ours) { print $2 "," $4 }' | sort)
			check_eq "pmt-record --vm $spec binds vCPU n to thread CPU n/TCG" "$want" "$got"
		done
	fi
	# Record the host from the guest's boot end only (smaller files).
	local i on=
	for i in $(seq $((VM_TIMEOUT * 10))); do
		[ -e "$dir/share/ready" ] && break
		kill -0 "$VM_QEMU_PID" 2>/dev/null || { echo "the guest died while booting"; return 1; }
		sleep 0.1
	done
	# Pinned once booted (the boot has both pCPUs; the checks cover the
	# guest recording only).
	if [ "$mode" = pinned ]; then
		echo "$tids" | while read -r n t; do taskset -p -c 0 "$t" >/dev/null; done
	fi
	local tr=$SECONDS
	"$BIN/pmt-record" --vm "$VM_QEMU_PID" -o "$dir/host.pmt" >"$dir/host.log" 2>&1 &
	HOST_PID=$!
	# Tracing is on when the recorder's instance (instances/pmt-PID) says so.
	for i in $(seq 300); do
		on=$(cat "$TRACEFS/instances/pmt-$HOST_PID/tracing_on" 2>/dev/null)
		[ "$on" = 1 ] && break
		kill -0 "$HOST_PID" 2>/dev/null || break
		sleep 0.1
	done
	[ "$on" = 1 ] || { echo "the host recorder did not start:"; cat "$dir/host.log"; return 1; }
	touch "$dir/share/go"
	local t1=$SECONDS
	vm_wait || return 1
	stop_host
	echo "    $mode: boot $((tr - t0)) s, host recorder start $((t1 - tr)) s, guest run and power-off $((SECONDS - t1)) s"
	cat "$dir/host.log" "$dir/share/guest.log" 2>/dev/null | sed 's/^/    /'
	[ -s "$dir/share/guest.pmt" ] || { echo "no guest trace"; return 1; }
	"$BIN/pmt-merge" "$dir/host.pmt" "$dir/share/guest.pmt" -o "$dir/merged.pmt" || return 1
	"$BIN/tests/vmcheck" "$dir/merged.pmt" >"$dir/check.txt" || return 1
	sed 's/^/    /' "$dir/check.txt"
}

# val FILE KEY: the number after KEY on the line that has it
val() { sed -n "s/.*\b$2 \([0-9-]*\).*/\1/p" "$1" | head -n 1; }

for mode in free pinned; do
	dir=$TMP/$mode
	if ! run_vm $mode "$dir"; then
		fail "$mode: the two-level run failed"
		stop_host
		vm_kill # before the next run takes VM_QEMU_PID
		continue
	fi
	ok "$mode: recorded both levels and merged"
	check_eq "$mode: the workload's counter is right" 0 \
		"$(grep -c 'counter=\([0-9]*\) expected=\1$' "$dir/share/workload.out" | sed 's/^1$/0/')"
	unc=$(val "$dir/check.txt" uncertainty_ns)
	check "$mode: pulse fit uncertainty ${unc} ns is under 100 us" [ "${unc:-999999999}" -lt 100000 ]
	sw=$(val "$dir/check.txt" guest_switches)
	out=$(val "$dir/check.txt" outside)
	beyond=$(val "$dir/check.txt" outside_beyond)
	echo "    $mode: $out of $sw guest switches outside a host run of their vCPU thread ($beyond beyond the uncertainty)"
	check "$mode: the guest recorded switches on its vCPUs" [ "${sw:-0}" -gt 100 ]
	check "$mode: at most 0.1 % of guest switches ($out of $sw) outside a run of their vCPU thread" \
		[ $((${out:-1} * 1000)) -le "${sw:-0}" ]
	# Control: the same check with the guest clock 100 us off must see it.
	sout=$("$BIN/tests/vmcheck" --shift 100000 "$dir/merged.pmt" | sed -n 's/.*\boutside \([0-9]*\).*/\1/p')
	check "$mode: control: with the guest clock 100 us off, over 1 % ($sout of $sw) are outside" \
		[ $((${sout:-0} * 100)) -gt "${sw:-0}" ]
	changes=$(awk '$1 == "vcpu" { s += $8 } END { print s + 0 }' "$dir/check.txt")
	echo "    $mode: $changes pCPU changes of the vCPU threads"
	maxrun=$(val "$dir/check.txt" max_running_vcpus)
	multi=$(val "$dir/check.txt" two_running_ns)
	echo "    $mode: at most $maxrun vCPU threads ran at once; two or more for $multi ns"
	if [ $mode = pinned ]; then
		check_eq "pinned: vCPU threads have no pCPU changes" 0 "$changes"
		check_eq "pinned: never two vCPU threads running at once" "1 0" "$maxrun $multi"
	else
		check "free: vCPU threads change pCPUs ($changes)" [ "$changes" -gt 0 ]
		check "free: vCPU threads run at once on several pCPUs ($maxrun)" [ "${maxrun:-0}" -ge 2 ]
	fi
	[ -n "${PMT_VM_KEEP:-}" ] && mkdir -p "$PMT_VM_KEEP" && cp -r "$dir" "$PMT_VM_KEEP/"
done

# pmt-record --vm on what is not a QEMU guest: one line, exit 1, no file.
rec_bad() { # rec_bad DESCRIPTION EXPECTED-TEXT SPEC
	rm -f "$TMP/badrec.pmt"
	"$BIN/pmt-record" --vm "$3" -o "$TMP/badrec.pmt" --duration 0.1 >/dev/null 2>"$TMP/badrec.err"
	local rc=$?
	if [ $rc -eq 1 ] && grep -q "$2" "$TMP/badrec.err" && [ ! -s "$TMP/badrec.pmt" ]; then
		ok "pmt-record --vm refuses $1: $(head -n 1 "$TMP/badrec.err")"
	else
		fail "pmt-record --vm on $1: status $rc, '$(head -n 3 "$TMP/badrec.err")'"
	fi
}
rec_bad "a process without vCPU threads" "no vCPU threads" $$
rec_bad "a guest name no QEMU has" "no QEMU guest named" "no-such-guest-$$"

# A KVM guest (where /dev/kvm works; whether its kernel boots does not
# matter): threads 'CPU n/KVM', kvm events, KVM's TSC offsets from debugfs.
kvm_check() {
	local q pid tids i
	[ -c /dev/kvm ] || { skip "KVM: no /dev/kvm"; return; }
	qemu-system-x86_64 -name kvmtb,debug-threads=on -enable-kvm -smp 2 -m 256 \
		-display none -monitor none -nodefaults -serial null -serial null \
		-serial "file:$TMP/kvm-sync" -kernel "$VM_KERNEL" -append console=ttyS0 \
		</dev/null >"$TMP/kvm.log" 2>&1 &
	VM_QEMU_PID=$!
	pid=$VM_QEMU_PID
	if ! tids=$(VM_NCPUS=2 vm_vcpu_tids "$pid"); then
		skip "KVM: QEMU does not run with -enable-kvm here: $(head -c 200 "$TMP/kvm.log")"
		vm_kill
		return
	fi
	local dbg=
	ls -d /sys/kernel/debug/kvm/"$pid"-* >/dev/null 2>&1 && dbg=1
	"$BIN/pmt-record" --vm "$pid" -o "$TMP/kvm.pmt" --duration 0.5 >/dev/null 2>"$TMP/kvm.err"
	vm_kill
	"$BIN/pmt-analyze" info "$TMP/kvm.pmt" --format csv >"$TMP/kvm.csv" 2>&1
	check "KVM: the guest's level has 2 vCPUs bound to its threads" \
		grep -q "^1,kvmtb,guest,2,.*,$pid," "$TMP/kvm.csv"
	check "KVM: the recorder enables the kvm events this kernel has" \
		grep -q 'kvm:kvm_exit,kvm:kvm_pio' "$TMP/kvm.csv"
	if [ -n "$dbg" ]; then
		check "KVM: each vCPU's tsc-offset from debugfs is in the file" \
			[ "$(grep -c '^vm\.kvmtb\.vcpu[01]\.tsc_offset,' "$TMP/kvm.csv")" -eq 2 ]
	else
		skip "KVM: no debugfs directory for the guest"
	fi
}
kvm_check

# Inconsistent inputs, from the free run's files: refused, nothing written.
dir=$TMP/free
if [ -s "$dir/host.pmt" ] && [ -s "$dir/share/guest.pmt" ]; then
	name=$(sed -n 's/^guest \([^ ]*\) .*/\1/p' "$dir/check.txt")
	tids=$(vm_bindings_of "$dir/check.txt")
	bad() { # bad DESCRIPTION EXPECTED-TEXT ARGS...
		local d=$1 want=$2; shift 2
		rm -f "$TMP/bad.pmt"
		"$BIN/pmt-merge" "$@" -o "$TMP/bad.pmt" 2>"$TMP/bad.err"
		local rc=$?
		if [ $rc -eq 1 ] && grep -q "$want" "$TMP/bad.err" && [ ! -e "$TMP/bad.pmt" ]; then
			ok "pmt-merge refuses $d: $(cat "$TMP/bad.err")"
		else
			fail "pmt-merge on $d: status $rc, '$(cat "$TMP/bad.err")'"
		fi
	}
	# A recording of this machine's CPUs, as a guest without pulses.
	ncpu=$(nproc)
	if "$BIN/pmt-record" -o "$TMP/plain.pmt" --duration 0.2 >/dev/null 2>&1; then
		bad "a guest without pulses" "no sync pulses" \
			"$dir/host.pmt" "$TMP/plain.pmt=x" --bind "x=$(echo "$tids" | tr ' ' '\n' | head -n "$ncpu" | paste -sd,)"
	fi
	rev=$(echo "$tids" | tr ' ' '\n' | tac | paste -sd,)
	bad "a wrong vCPU binding" "binding is wrong" \
		"$dir/host.pmt" "$dir/share/guest.pmt=$name" --bind "$name=$rev"
	bad "a vCPU count mismatch" "vCPU count mismatch" \
		"$dir/host.pmt" "$dir/share/guest.pmt=$name" --bind "$name=$(echo "$tids" | cut -d' ' -f1-3 | tr ' ' ,)"
fi
echo "    test bed time: $(( $(date +%s) - t_start )) s"
finish
