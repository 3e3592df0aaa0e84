#!/bin/bash
# tests/twolevel/scenarios.sh - vcpus, cosched and stalls against scenarios
# with exact answers (pmt-synth). Every expected figure is derived here from
# the scenario's parameters (tests/twolevel/scen-lib.sh explains each
# scenario), never copied from the tools' output.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/scen-lib.sh"

SYN=$BIN/pmt-synth AN=$BIN/pmt-analyze
[ -x "$SYN" ] && [ -x "$AN" ] || { skip "pmt-synth or pmt-analyze not built"; finish; }

# expect CSV TABLE COLUMN "KEYS" VALUE: one cell
expect() {
	local got
	got=$(cell "$1" "$2" "$3" $4)
	check_eq "$(basename "$1" .csv) $2.$3 [$4]" "$5" "$got"
}
us() { echo $(($1 * 1000)); } # us -> ns

T=20000 # span of the lockholder scenario (us)

# ---------------------------------------------------------------- lockholder
# Two parameter sets: (A, B, B3, R) = (5, 8, 6, 9) ms and (4, 7.5, 6, 9) ms.
lockholder_checks() {
	local A=$1 B=$2 B3=$3 R=$4 tag=$5
	local D=$((B - A))
	lockholder $A $B $B3 $R > "$TMP/$tag.synth"
	if ! $SYN "$TMP/$tag.synth" -o "$TMP/$tag.pmt"; then fail "$tag: pmt-synth"; return; fi
	$AN vcpus --matrix --format csv "$TMP/$tag.pmt" > "$TMP/$tag-vcpus.csv" || fail "$tag: vcpus failed"
	$AN cosched --format csv "$TMP/$tag.pmt" > "$TMP/$tag-cosched.csv" || fail "$tag: cosched failed"
	$AN stalls --worst 2 --format csv "$TMP/$tag.pmt" > "$TMP/$tag-stalls.csv" || fail "$tag: stalls failed"
	local v=$TMP/$tag-vcpus.csv c=$TMP/$tag-cosched.csv s=$TMP/$tag-stalls.csv
	# vCPU0 runs [0,A) on pCPU0 and [B,T) on pCPU1, runnable (preempted) [A,B)
	expect $v "" running_ns "vcpu 0" $(us $((A + T - B)))
	expect $v "" runnable_ns "vcpu 0" $(us $D)
	expect $v "" steal_ns "vcpu 0" $(us $D)
	expect $v "" harmful_steal_ns "vcpu 0" $(us $D)
	expect $v "" blocked_ns "vcpu 0" 0
	expect $v "" busy_ns "vcpu 0" $(us $T)
	expect $v "" pcpu_changes "vcpu 0" 1
	# vCPU1 runs [0,1) and [R,R+1), never waits on the host
	expect $v "" running_ns "vcpu 1" $(us 2000)
	expect $v "" runnable_ns "vcpu 1" 0
	expect $v "" blocked_ns "vcpu 1" $(us $((T - 2000)))
	expect $v "" idle_ns "vcpu 1" $(us $((T - 2000)))
	# vCPU2: runnable [0,1) (busy: harmful) and [R,R+1) (idle in the guest: not harmful)
	expect $v "" runnable_ns "vcpu 2" $(us 2000)
	expect $v "" harmful_steal_ns "vcpu 2" $(us 1000)
	expect $v "" busy_ns "vcpu 2" $(us 3000)
	expect $v "" blocked_ns "vcpu 2" $(us $((T - 4000)))
	# vCPU3: runs [2,B3) and [R+2,R+3); runnable [0,2) and [R,R+2)
	expect $v "" running_ns "vcpu 3" $(us $((B3 - 2000 + 1000)))
	expect $v "" runnable_ns "vcpu 3" $(us 4000)
	expect $v "" harmful_steal_ns "vcpu 3" $(us 2000)
	expect $v "" busy_ns "vcpu 3" $(us $((B3 + 1000)))
	expect $v "" unknown_ns "vcpu 3" 0
	expect $v matrix run_ns "vcpu 0 pcpu 0" $(us $A)
	expect $v matrix run_ns "vcpu 0 pcpu 1" $(us $((T - B)))
	expect $v matrix run_ns "vcpu 3 pcpu 1" $(us $((B3 - 2000)))
	# partition: skewed [0,2) and [A,B3), stalled [B3,B), co-running the rest
	expect $c "" idle_ns "guest vm" 0
	expect $c "" corunning_ns "guest vm" $(us $((A - 2000 + T - B)))
	expect $c "" skewed_ns "guest vm" $(us $((2000 + B3 - A)))
	expect $c "" stalled_ns "guest vm" $(us $((B - B3)))
	expect $c "" unknown_ns "guest vm" 0
	expect $c busy_hist busy_ns "k 4" $(us 1000)
	expect $c busy_hist busy_ns "k 3" $(us 1000)
	expect $c busy_hist busy_ns "k 2" $(us $((B3 + 1000)))
	expect $c busy_hist busy_ns "k 1" $(us $((T - B3 - 3000)))
	expect $c busy_hist running_busy_ns "k 0" $(us $((B - B3)))
	expect $c busy_hist running_busy_ns "k 1" $(us $((B3 - A + T - B - 3000)))
	expect $c busy_hist running_busy_ns "k 2" $(us $((A + 3000)))
	# skew = the largest lag: vCPU3's 2 ms from [0,2), then vCPU0's (t - A)
	# once it passes 2 ms (needs D > 2), D from B on. 2 x area in us^2:
	local area2=$((2 * 2000 * 2000 / 2 + 2 * 2000 * A + (2000 + D) * (D - 2000) + 2 * D * (T - B)))
	expect $c "" skew_max_ns "guest vm" $(us $D)
	expect $c "" skew_mean_ns "guest vm" $((area2 * 1000 / (2 * T)))
	local above=0
	[ $D -gt 3000 ] && above=$(us $((T - A - 3000)))
	expect $c "" skew_above_ns "guest vm" $above
	# stalls: waiters blocked at 1 ms, 2 ms, B3 until R; the holder's vCPU is
	# preempted over [A,B): stall = overlap
	expect $s "" stall_ns "tid 12" $(us $D)
	expect $s "" stall_ns "tid 13" $(us $D)
	expect $s "" stall_ns "tid 14" $(us $((B - B3)))
	expect $s "" stall_ns "tid 11" 0
	expect $s "" stall_count "tid 12" 1
	expect $s "" max_stall_ns "tid 14" $(us $((B - B3)))
	# blocked: [1,R) + [R+1,T) etc.; the holder [16,T)
	expect $s "" blocked_ns "tid 12" $(us $((T - 2000)))
	expect $s "" blocked_ns "tid 13" $(us $((T - 4000)))
	expect $s "" blocked_ns "tid 14" $(us $((T - B3 - 3000)))
	expect $s "" blocked_ns "tid 11" $(us $((T - 16000)))
	# stolen: the holder over [A,B), waiter2 [0,1), waiter3 [0,2)
	expect $s "" stolen_ns "tid 11" $(us $D)
	expect $s "" stolen_ns "tid 13" $(us 1000)
	expect $s "" stolen_ns "tid 14" $(us 2000)
	expect $s processes stall_ns "pid 10" $(us $((2 * D + B - B3)))
	expect $s processes stall_count "pid 10" 3
	expect $s guests stall_ns "guest vm" $(us $((2 * D + B - B3)))
	expect $s guests max_stall_ns "guest vm" $(us $D)
	expect $s guests blocked_ns "guest vm" $(us $((3 * T - 2000 - 4000 - B3 - 3000 + T - 16000)))
	# latency split: waiter2's vCPU waits 1 ms on the host, waiter3's 2 ms;
	# the helper waits 1 ms in the guest (vCPU0 busy with the holder)
	expect $s latency host_delay_ns "tid 12" 0
	expect $s latency host_delay_ns "tid 13" $(us 1000)
	expect $s latency host_delay_ns "tid 14" $(us 2000)
	expect $s latency guest_delay_ns "tid 14" 0
	expect $s latency guest_delay_ns "tid 15" $(us 1000)
	expect $s latency host_delay_ns "tid 15" 0
	# worst: waiter1 first (largest, earliest), with host task 200 on pCPU0
	expect $s worst tid "start_ns $(us 1000)" 12
	expect $s worst stall_ns "tid 12" $(us $D)
	expect $s worst waker "tid 12" 11
	expect $s worst waker_vcpu "tid 12" 0
	expect $s worst pcpu "tid 12" 0
	expect $s worst host_entities "tid 12" "200 noise $(us $D)ns"
}
lockholder_checks 5000 8000 6000 9000 lh1
lockholder_checks 4000 7500 6000 9000 lh2

# ------------------------------------------- lockholder, host-only variant
# busy = wants a CPU on the host; the waiters' vCPUs are runnable [R,R+1) and
# [R,R+2) too. (A, B, B3, R) = (5, 8, 6, 9) ms and (4, 7.5, 6, 9) ms: D in (2, 4).
hostonly_checks() {
	local A=$1 B=$2 B3=$3 R=$4 tag=$5
	local D=$((B - A))
	lockholder $A $B $B3 $R | $SYN --host-only - -o "$TMP/$tag.pmt" || { fail "$tag: pmt-synth"; return; }
	$AN cosched --format csv "$TMP/$tag.pmt" > "$TMP/$tag-cosched.csv" || fail "$tag: cosched failed"
	$AN vcpus --format csv "$TMP/$tag.pmt" > "$TMP/$tag-vcpus.csv" || fail "$tag: vcpus failed"
	$AN stalls --format csv "$TMP/$tag.pmt" > "$TMP/$tag-stalls.csv" || fail "$tag: stalls failed"
	local c=$TMP/$tag-cosched.csv v=$TMP/$tag-vcpus.csv s=$TMP/$tag-stalls.csv
	expect $c "" busy_from "guest vm" host
	expect $c "" corunning_ns "guest vm" $(us $((A + T - B - 4000)))
	expect $c "" skewed_ns "guest vm" $(us $((B3 - A + 4000)))
	expect $c "" stalled_ns "guest vm" $(us $((B - B3)))
	expect $c busy_hist busy_ns "k 4" $(us 2000)
	expect $c busy_hist busy_ns "k 3" $(us 2000)
	expect $c busy_hist busy_ns "k 2" $(us $((B3 - 1000)))
	expect $c busy_hist busy_ns "k 1" $(us $((T - B3 - 3000)))
	# lags: vCPU0 D over [A,B); vCPU3 2 ms over [0,2) and 2 more over [R,R+2)
	local area2=$((2 * 2000 * 2000 / 2 + 2 * 2000 * A + (2000 + D) * (D - 2000) + 2 * D * (R - B) \
		+ 2 * D * (D - 2000) + (D + 4000) * (4000 - D) + 2 * 4000 * (T - R - 2000)))
	expect $c "" skew_max_ns "guest vm" $(us 4000)
	expect $c "" skew_mean_ns "guest vm" $((area2 * 1000 / (2 * T)))
	local above=$(us $((T - R - 1000)))
	[ $D -gt 3000 ] && above=$(us $((T - A - 3000)))
	expect $c "" skew_above_ns "guest vm" $above
	# host states are measured, guest views are absent (empty, not 0)
	expect $v "" steal_ns "vcpu 0" $(us $D)
	expect $v "" busy_ns "vcpu 0" ""
	expect $v "" harmful_steal_ns "vcpu 0" ""
	check "$tag: vcpus says the guest level is missing" grep -q "note: guest 'vm': the guest level is missing" "$v"
	check "$tag: stalls says the guest level is missing" grep -q "guest level is missing" "$s"
	expect $s guests stall_ns "guest vm" ""
}
hostonly_checks 5000 8000 6000 9000 ho1
hostonly_checks 4000 7500 6000 9000 ho2

# ------------------------------------------ lockholder, guest-only variant
# --guest-only is what pmt-record writes inside the guest: one host-kind level
# on the guest's own clock (lockholder's guest reads host ns + 1 s). Alone it
# has no guest to report on; merged with the --host-only file (the host's
# recording with --vm) at the known offset, every two-level report is the
# combined scenario's, with the figures derived above.
lockholder 5000 8000 6000 9000 > "$TMP/go.synth"
$SYN --guest-only "$TMP/go.synth" -o "$TMP/go.pmt" || fail "guest-only: pmt-synth"
$SYN --host-only "$TMP/go.synth" -o "$TMP/goh.pmt" || fail "guest-only: pmt-synth --host-only"
$SYN "$TMP/go.synth" -o "$TMP/goall.pmt" || fail "guest-only: pmt-synth (both levels)"
check "guest-only: one host-kind level, as an in-guest recording" \
	grep -qE '^ *0 +host +host +4 ' <<<"$($AN info "$TMP/go.pmt")"
$AN vcpus "$TMP/go.pmt" >/dev/null 2>"$TMP/go.err"
check "guest-only alone: vcpus says there is no guest ($(cat "$TMP/go.err"))" grep -q "no guest in this trace" "$TMP/go.err"
$BIN/pmt-merge "$TMP/goh.pmt" "$TMP/go.pmt" -o "$TMP/gom.pmt" --clock-offset vm=-1000000000 >"$TMP/gom.out" 2>&1
check_eq "guest-only: pmt-merge accepts it with --clock-offset ($(cat "$TMP/gom.out"))" 0 $?
for rep in vcpus cosched stalls "migrations --composed" "affinity --composed" "latency --split"; do
	check_eq "guest-only + host-only merged: $rep as the combined file" \
		"$($AN $rep --format csv "$TMP/goall.pmt" 2>&1)" "$($AN $rep --format csv "$TMP/gom.pmt" 2>&1)"
done
$AN vcpus --format csv "$TMP/gom.pmt" > "$TMP/gom-vcpus.csv"
$AN stalls --format csv "$TMP/gom.pmt" > "$TMP/gom-stalls.csv"
expect "$TMP/gom-vcpus.csv" "" steal_ns "vcpu 0" $(us 3000)
expect "$TMP/gom-stalls.csv" "" stall_ns "tid 12" $(us 3000)
$BIN/pmt-merge -q "$TMP/goh.pmt" "$TMP/go.pmt" -o "$TMP/gom1.pmt" --clock-offset vm=-999000000
check "guest-only merged 1 ms off: the reports differ" [ "$($AN vcpus --format csv "$TMP/goall.pmt")" != "$($AN vcpus --format csv "$TMP/gom1.pmt")" ]
printf 'guest vm2 1 pid 300 threads 301\nrun vm2 0 0 1ms 31\n' | cat "$TMP/go.synth" - |
	$SYN --guest-only - -o "$TMP/go2.pmt" 2>"$TMP/go2.err"
check_eq "guest-only with two guests: refused" 1 $?
check "says an in-guest recording holds one ($(cat "$TMP/go2.err"))" grep -q "holds one" "$TMP/go2.err"

# --------------------------------- lockholder with lost events mid-stall
# A loss on pCPU0 at L in (B3, B); the stream's next event is B (task 200
# leaves): every vCPU thread not running elsewhere is unknown from L to its
# next event (vCPU0: B; the others: their wakeup at R).
A=5000 B=8000 B3=6000 R=9000 L=6500
(lockholder $A $B $B3 $R; echo "lost host 0 ${L}us 7ms 5") | $SYN - -o "$TMP/lost.pmt" || fail "lost: pmt-synth"
$AN vcpus --format csv "$TMP/lost.pmt" > "$TMP/lost-vcpus.csv"
$AN cosched --format csv "$TMP/lost.pmt" > "$TMP/lost-cosched.csv"
$AN stalls --format csv "$TMP/lost.pmt" > "$TMP/lost-stalls.csv"
v=$TMP/lost-vcpus.csv c=$TMP/lost-cosched.csv s=$TMP/lost-stalls.csv
expect $v "" runnable_ns "vcpu 0" $(us $((L - A)))
expect $v "" unknown_ns "vcpu 0" $(us $((B - L)))
expect $v "" unknown_ns "vcpu 1" $(us $((R - L)))
expect $v "" blocked_ns "vcpu 1" $(us $((T - 2000 - (R - L))))
expect $v "" harmful_steal_ns "vcpu 0" $(us $((L - A)))
expect $c "" unknown_ns "guest vm" $(us $((R - L)))
expect $c "" stalled_ns "guest vm" $(us $((L - B3)))
expect $c "" corunning_ns "guest vm" $(us $((A - 2000 + T - R)))
expect $c "" skewed_ns "guest vm" $(us $((2000 + B3 - A)))
# skew restarts at 0 after the unknown stretch; before it: t on [0,2), 2 ms to L
expect $c "" skew_max_ns "guest vm" $(us 2000)
expect $c "" skew_mean_ns "guest vm" $(((2000 * 2000 + 2 * 2000 * (L - 2000)) * 1000 / (2 * (T - (R - L)))))
# the three stalls cross the loss: unknown, not zero
for tid in 12 13 14; do
	expect $s "" stall_unknown "tid $tid" 1
	expect $s "" stall_ns "tid $tid" ""
done
expect $s guests stall_unknown "guest vm" 3
expect $s guests stall_ns "guest vm" ""
expect $s "" blocked_ns "tid 12" $(us $((T - R - 1000)))
expect $s "" stolen_ns "tid 11" $(us $((L - A)))
expect $s "" stolen_unknown_ns "tid 11" $(us $((B - L)))
check "lost: the report says events were lost" grep -q "^# note: 5 events were lost" $s

# ------------------------------------------------------- gang vs free vCPUs
for Q in 4000 2500; do
	N=5 THR=3000
	gangfree gang $Q $N | $SYN - -o "$TMP/gang.pmt" || fail "gang: pmt-synth"
	gangfree free $Q $N | $SYN - -o "$TMP/free.pmt" || fail "free: pmt-synth"
	for m in gang free; do
		$AN cosched --format csv "$TMP/$m.pmt" > "$TMP/$m-c.csv" || fail "$m: cosched"
		$AN vcpus --format csv "$TMP/$m.pmt" > "$TMP/$m-v.csv" || fail "$m: vcpus"
	done
	c=$TMP/gang-c.csv
	expect $c "" corunning_ns "guest vm" $(us $((N * Q)))
	expect $c "" stalled_ns "guest vm" $(us $((N * Q)))
	expect $c "" skewed_ns "guest vm" 0
	expect $c "" idle_ns "guest vm" $(us $Q)
	expect $c "" skew_max_ns "guest vm" 0
	expect $c "" skew_above_ns "guest vm" 0
	expect $c busy_hist running_busy_ns "k 2" $(us $((N * Q)))
	expect $c busy_hist running_busy_ns "k 0" $(us $((N * Q + Q)))
	expect $c busy_hist busy_ns "k 2" $(us $((2 * N * Q)))
	expect $TMP/gang-v.csv "" steal_ns "vcpu 1" $(us $((N * Q)))
	expect $TMP/gang-v.csv "" blocked_ns "vcpu 1" $(us $Q)
	c=$TMP/free-c.csv
	expect $c "" skewed_ns "guest vm" $(us $((2 * N * Q)))
	expect $c "" corunning_ns "guest vm" 0
	expect $c "" stalled_ns "guest vm" 0
	expect $c busy_hist running_busy_ns "k 1" $(us $((2 * N * Q)))
	# the lag swings between 0 and Q every slot: max Q, mean Q/2
	expect $c "" skew_max_ns "guest vm" $(us $Q)
	expect $c "" skew_mean_ns "guest vm" $(us $((Q / 2)))
	above=0
	[ $Q -gt $THR ] && above=$(us $((2 * N * (Q - THR))))
	expect $c "" skew_above_ns "guest vm" $above
	$AN cosched --skew-threshold 1ms --format csv "$TMP/free.pmt" > "$TMP/free-c1.csv"
	expect $TMP/free-c1.csv "" skew_above_ns "guest vm" $(us $((2 * N * (Q - 1000))))
	expect $TMP/free-v.csv "" harmful_steal_ns "vcpu 0" $(us $((N * Q)))
	expect $TMP/free-v.csv "" pcpu_changes "vcpu 0" 0
done

# --------------------------------------------------- filters: --time, --tid
# lockholder (5, 8, 6, 9) ms within [5, 8.5] ms (both ends included, as
# everywhere): [5,6) skewed, [6,8) stalled, [8,8.5) co-running; vCPU0
# runnable [5,8), running [8,8.5) and changes pCPU at 8 ms; vCPU1's change
# comes at 9 ms, outside
$AN cosched --time 5ms,8.5ms --format csv "$TMP/lh1.pmt" > "$TMP/tw.csv"
expect "$TMP/tw.csv" "" skewed_ns "guest vm" $(us 1000)
expect "$TMP/tw.csv" "" stalled_ns "guest vm" $(us 2000)
expect "$TMP/tw.csv" "" corunning_ns "guest vm" $(us 500)
expect "$TMP/tw.csv" "" idle_ns "guest vm" 0
$AN vcpus --time 5ms,8.5ms --format csv "$TMP/lh1.pmt" > "$TMP/tw.csv"
expect "$TMP/tw.csv" "" runnable_ns "vcpu 0" $(us 3000)
expect "$TMP/tw.csv" "" running_ns "vcpu 0" $(us 500)
expect "$TMP/tw.csv" "" pcpu_changes "vcpu 0" 1
expect "$TMP/tw.csv" "" pcpu_changes "vcpu 1" 0
# --tid keeps the task rows asked for; --worst keeps its order
$AN stalls --tid 13,14 --format csv "$TMP/lh1.pmt" > "$TMP/tid.csv"
expect "$TMP/tid.csv" "" stall_ns "tid 13" $(us 3000)
expect "$TMP/tid.csv" "" stall_ns "tid 12" ""
expect "$TMP/tid.csv" guests stall_ns "guest vm" $(us 5000)

# -------------------------------------- composition: --composed and --split
# Guest task 21 runs on vCPU0 [0,2) ms, sleeps, is woken at 3 ms and runs on
# vCPU1 [3,6) ms. vCPU0 runs on pCPU1 [0,2); vCPU1 on pCPU0 [0,4) and, after
# host task 300 ran there [4,5), on pCPU1 [5,6): task 21 is stolen over [4,5).
cat > "$TMP/mig.synth" <<EOS
span 6ms
host 2
guest vm 2 threads 101 102
task vm 21 21 mover
run host 1 0 2ms 101 S
run host 0 0 4ms 102 R
run host 0 4ms 5ms 300 S
run host 1 5ms 6ms 102
run vm 0 0 2ms 21 S
wake vm 21 3ms 1
run vm 1 3ms 6ms 21
EOS
$SYN "$TMP/mig.synth" -o "$TMP/mig.pmt" || fail "mig: pmt-synth"
$AN migrations --composed --level vm --format csv "$TMP/mig.pmt" > "$TMP/mig.csv" || fail "migrations --composed"
expect "$TMP/mig.csv" "" time_ns "tid 21" $(us 3000)
expect "$TMP/mig.csv" "" from_cpu "tid 21" 0
expect "$TMP/mig.csv" "" to_cpu "tid 21" 1
expect "$TMP/mig.csv" "" pcpu_from "tid 21" 1
expect "$TMP/mig.csv" "" pcpu_to "tid 21" 0
$AN affinity --composed --level vm --format csv "$TMP/mig.pmt" > "$TMP/aff.csv" || fail "affinity --composed"
expect "$TMP/aff.csv" composed run_ns "tid 21" $(us 5000)
expect "$TMP/aff.csv" composed pcpu_run_ns "tid 21" $(us 4000)
expect "$TMP/aff.csv" composed stolen_ns "tid 21" $(us 1000)
expect "$TMP/aff.csv" composed top_pcpu "tid 21" 1
$AN affinity --composed --matrix --level vm --format csv "$TMP/mig.pmt" > "$TMP/affm.csv"
expect "$TMP/affm.csv" composed_residency run_ns "tid 21 pcpu 0" $(us 1000)
expect "$TMP/affm.csv" composed_residency run_ns "tid 21 pcpu 1" $(us 3000)
# latency --split on the lockholder: the same split as stalls reports
$AN latency --split --format csv "$TMP/lh1.pmt" > "$TMP/split.csv" || fail "latency --split"
expect "$TMP/split.csv" latency_split host_delay_ns "tid 14" $(us 2000)
expect "$TMP/split.csv" latency_split guest_delay_ns "tid 15" $(us 1000)
expect "$TMP/split.csv" latency_split wakeups "tid 13" 1
$AN latency --split --format csv "$TMP/ho1.pmt" > "$TMP/split-ho.csv" || fail "latency --split host-only"
check "latency --split on a host-only trace names the missing level" \
	grep -q "guest 'vm': the guest level is missing: the latency split needs both levels" "$TMP/split-ho.csv"

# ------------------------------------------------------------------- diff
# gang (a) against free (b), Q = 4 ms, N = 5, and the two lockholder runs
Q=4000 N=5
gangfree gang $Q $N | $SYN - -o "$TMP/gang.pmt"
gangfree free $Q $N | $SYN - -o "$TMP/free.pmt"
$AN diff --format csv "$TMP/gang.pmt" "$TMP/free.pmt" > "$TMP/diff.csv" || fail "diff failed"
d=$TMP/diff.csv
expect $d "" a "metric vm.corunning_ns" "$(us $((N * Q))).000"
expect $d "" b "metric vm.corunning_ns" "0.000"
expect $d "" change_pct "metric vm.corunning_ns" "-100.0"
expect $d "" b "metric vm.skewed_ns" "$(us $((2 * N * Q))).000"
expect $d "" change "metric vm.skewed_ns" "$(us $((2 * N * Q))).000"
expect $d "" change_pct "metric vm.skewed_ns" ""
expect $d "" b "metric vm.skewed_share" "1.000"
expect $d "" b "metric vm.skew_max_ns" "$(us $Q).000"
expect $d "" a "metric vm.steal_ns" "$(us $((2 * N * Q))).000"
expect $d "" change "metric vm.steal_ns" "0.000"
expect $d "" a "metric vm.idle_ns" "$(us $Q).000"
# no stall at all: p50 not measurable (empty), totals 0
expect $d "" a "metric vm.stall_p50_ns" ""
expect $d "" a "metric vm.stall_ns" "0.000"
$AN diff --format csv "$TMP/lh1.pmt" "$TMP/lh2.pmt" > "$TMP/diff2.csv" || fail "diff lockholder"
# stalls: 2D + (B - B3): 8 ms in lh1, 2 x 3.5 + 1.5 = 8.5 ms in lh2
expect $TMP/diff2.csv "" a "metric vm.stall_ns" "8000000.000"
expect $TMP/diff2.csv "" b "metric vm.stall_ns" "8500000.000"
expect $TMP/diff2.csv "" change_pct "metric vm.stall_ns" "6.2"
expect $TMP/diff2.csv "" b "metric vm.stall_max_ns" "3500000.000"
# wakeup latency of the guest: 0, 1, 2, 1 ms in both: p50 1 ms within 1/32
p50=$(cell $TMP/diff2.csv "" a metric vm.latency_p50_ns)
check "guest latency p50 within 3.2% of 1 ms ($p50)" awk -v v="$p50" 'BEGIN { exit !(v >= 968000 && v <= 1032000) }'
expect $TMP/diff2.csv "" a "metric vm.latency_max_ns" "2000000.000"
expect $TMP/diff2.csv "" a "metric vm.host_delay_ns" "3000000.000"
$AN diff "$TMP/gang.pmt" 2> "$TMP/err"
check_eq "diff with one file: usage error" 2 $?

# ------------------------------------------------------------- bad input
# a plain host trace (no guest, no bindings): every two-level report says so
printf 'span 1ms\nhost 1\nrun host 0 0 1ms 7\n' | $SYN - -o "$TMP/plain.pmt"
for cmd in vcpus cosched stalls; do
	$AN $cmd "$TMP/plain.pmt" > "$TMP/out" 2> "$TMP/err"
	rc=$?
	check_eq "$cmd on a host trace without guests exits 1" 1 $rc
	check "$cmd names the missing guest level" grep -q "no guest in this trace" "$TMP/err"
	check "$cmd prints no table then" test ! -s "$TMP/out"
done
finish
