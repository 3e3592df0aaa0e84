# tests/twolevel/scen-lib.sh - scenario generators for pmt-synth with
# parameters, and a CSV cell reader. Sourced by the two-level tests.
# All parameters are in microseconds.

# lockholder A B B3 R: 4 vCPUs (host threads 101-104) on 2 pCPUs, span 20 ms.
# Guest task 11 (holder) runs on vCPU0 [0, 16 ms) and holds a lock; waiters
# 12, 13, 14 on vCPUs 1-3 block on it at 1 ms, 2 ms and B3. The host preempts
# vCPU0 with host task 200 (noise) on pCPU0 over [A, B); vCPU0 resumes on
# pCPU1 at B. At R the holder wakes the waiters; their vCPU threads, woken on
# the host at R, run one after the other on pCPU0 for 1 ms each. At 15 ms the
# holder wakes helper 15, which runs once the holder blocks at 16 ms.
# Needs 2000 < A < B3 < B < R and R + 3000 <= 16000.
lockholder() {
	local A=$1 B=$2 B3=$3 R=$4
	cat <<EOS
span 20ms
host 2
guest vm 4 pid 100 offset 1s threads 101 102 103 104
task host 200 200 noise
task vm 11 10 holder
task vm 12 10 waiter1
task vm 13 10 waiter2
task vm 14 10 waiter3
task vm 15 10 helper
run host 0 0 ${A}us 101 R
run host 0 ${A}us ${B}us 200 S
run host 0 ${R}us $((R + 1000))us 102 S
run host 0 $((R + 1000))us $((R + 2000))us 103 S
run host 0 $((R + 2000))us $((R + 3000))us 104 S
run host 1 0 1ms 102 S
run host 1 1ms 2ms 103 S
run host 1 2ms ${B3}us 104 S
run host 1 ${B}us 20ms 101
wake host 103 0 1
wake host 104 0 1
wake host 102 ${R}us 0 by 101
wake host 103 ${R}us 0 by 101
wake host 104 ${R}us 0 by 101
run vm 0 0 16ms 11 S
run vm 0 16ms 20ms 15
run vm 1 0 1ms 12 S
run vm 1 ${R}us $((R + 1000))us 12 S
run vm 2 0 2ms 13 S
run vm 2 $((R + 1000))us $((R + 2000))us 13 S
run vm 3 0 ${B3}us 14 S
run vm 3 $((R + 2000))us $((R + 3000))us 14 S
wake vm 12 ${R}us 1 by 11
wake vm 13 ${R}us 2 by 11
wake vm 14 ${R}us 3 by 11
wake vm 15 15ms 0 by 11
EOS
}

# gangfree MODE Q N: 2 vCPUs (threads 101, 102) of a guest whose two tasks
# (11, 12) spin, on 2 pCPUs shared with host hogs 201, 202, in 2N slots of Q.
# Both vCPU threads want a CPU from 0.
#  gang: the hogs run in even slots, both vCPUs in odd slots; after the last
#        slot the guest tasks and the vCPUs block and all is idle for one
#        more slot (span (2N+1)Q).
#  free: pCPU0 runs hog1 in even slots and vCPU0 in odd ones, pCPU1 runs
#        vCPU1 in even slots and hog2 in odd ones: exactly one vCPU runs at
#        any time (span 2NQ).
gangfree() {
	local mode=$1 Q=$2 N=$3 k t0 t1 st
	local end=$((2 * N * Q))
	if [ "$mode" = gang ]; then echo "span $((end + Q))us"; else echo "span ${end}us"; fi
	echo "host 2"
	echo "guest vm 2 pid 100 threads 101 102"
	echo "task host 201 201 hog1"
	echo "task host 202 202 hog2"
	echo "task vm 11 10 spin1"
	echo "task vm 12 10 spin2"
	echo "run vm 0 0 ${end}us 11 S"
	echo "run vm 1 0 ${end}us 12 S"
	echo "wake host 101 0 0"
	[ "$mode" = gang ] && echo "wake host 102 0 1"
	for ((k = 0; k < 2 * N; k++)); do
		t0=$((k * Q)) t1=$(((k + 1) * Q))
		st=R
		[ $k -eq $((2 * N - 1)) ] && st=S
		if [ "$mode" = gang ]; then
			if [ $((k % 2)) -eq 0 ]; then
				echo "run host 0 ${t0}us ${t1}us 201 R"
				echo "run host 1 ${t0}us ${t1}us 202 R"
			else
				echo "run host 0 ${t0}us ${t1}us 101 $st"
				echo "run host 1 ${t0}us ${t1}us 102 $st"
			fi
		elif [ $((k % 2)) -eq 0 ]; then
			echo "run host 0 ${t0}us ${t1}us 201 R"
			echo "run host 1 ${t0}us ${t1}us 102 R"
		else
			echo "run host 0 ${t0}us ${t1}us 101 R"
			echo "run host 1 ${t0}us ${t1}us 202 R"
		fi
	done
}

# cell CSV TABLE COLUMN [KEYCOL VALUE]...: one cell of a --format csv report
# (TABLE "" is the first table); empty when absent, "-" never appears in csv.
cell() {
	local f=$1 table=$2 col=$3
	shift 3
	awk -F, -v table="$table" -v col="$col" -v keys="$*" '
		BEGIN { cur = ""; first = 1; nk = split(keys, kv, " ") }
		/^# table: / { cur = substr($0, 10); header = 1; next }
		/^#/ || /^$/ { next }
		{
			if (cur != table) { header = 0; next }
			if (header || first) {
				for (i = 1; i <= NF; i++) idx[$i] = i
				header = 0; first = 0; next
			}
			ok = 1
			for (i = 1; i < nk; i += 2) if ($(idx[kv[i]]) != kv[i + 1]) ok = 0
			if (ok) { print $(idx[col]); exit }
		}' "$f"
}
