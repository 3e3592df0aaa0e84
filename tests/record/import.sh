#!/bin/bash
# pmt-import against pmt-record on one run of the mover: the kernel's own
# text interface (an instance's 'trace' file), trace-cmd (trace.dat, and its
# 'report' text) and pmt-record all record the same run at the same time;
# each path must give the mover thread's N migrations and the same number of
# switches into it. Also: bad input to pmt-import.
source "$(dirname "$0")/../lib.sh"
REC=$BIN/pmt-record
IMP=$BIN/pmt-import
DUMP=$BIN/tests/evdump
INST=/sys/kernel/tracing/instances
N=30

# Bad input first: needs no tracefs.
printf 'not a trace\n' >"$TMP/junk.txt"
"$IMP" ftrace "$TMP/junk.txt" -o "$TMP/junk.pmt" 2>"$TMP/junk.err"
check_eq "ftrace: a file without event lines: status 1" 1 $?
check "ftrace: says what was expected" grep -q "no ftrace event lines" "$TMP/junk.err"
"$IMP" trace.dat "$TMP/junk.txt" -o "$TMP/junk2.pmt" 2>"$TMP/junk2.err"
check_eq "trace.dat: not a trace.dat: status 1" 1 $?
check_eq "trace.dat: one line" 1 "$(wc -l <"$TMP/junk2.err")"
"$IMP" nosuch "$TMP/junk.txt" 2>/dev/null
check_eq "unknown format: usage error 2" 2 $?
"$IMP" ftrace /nonexistent 2>"$TMP/ne.err"
check_eq "missing input: status 1" 1 $?

if ! have_tracefs; then
	skip "tracefs cannot be mounted here: no recording to import"
	finish
fi
EVENTS="sched:sched_switch sched:sched_migrate_task sched:sched_waking sched:sched_wakeup_new task:task_newtask sched:sched_process_exec sched:sched_process_exit"

# The kernel's text interface: a private instance, read at the end.
TI=$INST/pmt-test-text-$$
mkdir "$TI"
rm_text() { rmdir "$TI"; }
at_exit rm_text
echo 0 >"$TI/tracing_on"
echo 16384 >"$TI/buffer_size_kb"
# The same clock as pmt-record's, so both recordings can be cut to one window.
tsc=0
grep -qw x86-tsc "$TI/trace_clock" && echo x86-tsc >"$TI/trace_clock" && tsc=1
for e in $EVENTS; do echo 1 >"$TI/events/${e%%:*}/${e#*:}/enable"; done
echo 1 >"$TI/tracing_on"

# trace-cmd, with the shim that keeps it away from the locked function-tracer files.
tc=
if command -v trace-cmd >/dev/null && [ -f "$SHARED/bench/ftrace_shim.c" ] &&
	gcc -shared -fPIC -O2 -o "$TMP/shim.so" "$SHARED/bench/ftrace_shim.c" -ldl 2>/dev/null; then
	TCI=pmt-test-tc-$$
	args=()
	for e in $EVENTS; do args+=(-e "$e"); done
	[ $tsc = 1 ] && args+=(-C x86-tsc)
	LD_PRELOAD=$TMP/shim.so trace-cmd record --file-version 7 --compression zstd -B "$TCI" -b 16384 "${args[@]}" -o "$TMP/t.dat" \
		>"$TMP/tc.out" 2>&1 &
	tc=$!
	stop_tc() { kill "$tc" 2>/dev/null; [ ! -d "$INST/$TCI" ] || rmdir "$INST/$TCI"; }
	at_exit stop_tc
	for _ in $(seq 50); do
		[ "$(cat "$INST/$TCI/tracing_on" 2>/dev/null)" = 1 ] && break
		sleep 0.1
	done
	sleep 0.5
fi

"$REC" -o "$TMP/p.pmt" -- sh -c "'$BIN/tests/workloads/mover' $N && '$BIN/tests/workloads/pmt-demo-work' 0.5 4" \
	>"$TMP/mover.out" 2>"$TMP/rec.err"
check_eq "pmt-record ran the mover" 0 $?
tid=$(sed -n 's/^tid=\([0-9]*\).*/\1/p' "$TMP/mover.out")

echo 0 >"$TI/tracing_on"
cat "$TI/trace" >"$TMP/text.txt"
if [ -n "$tc" ]; then
	kill -INT $tc
	wait $tc
	trace-cmd report "$TMP/t.dat" >"$TMP/report.txt" 2>/dev/null
fi

# counts FILE.pmt: "MIGRATIONS SWITCH-INS" of the mover thread.
counts() {
	"$DUMP" "$1" | awk -v t="$tid" '
		$4 == "migrate" && $5 == "tid=" t {m++}
		$4 == "switch" && $7 == "next=" t {s++}
		END {print m + 0, s + 0}'
}
want=$(counts "$TMP/p.pmt")
check_eq "pmt-record: $N migrations of the mover" $N "${want%% *}"
check "pmt-record: the mover was switched in" test "${want##* }" -gt 0

"$IMP" ftrace "$TMP/text.txt" -o "$TMP/text.pmt" 2>"$TMP/imp1.err"
check_eq "ftrace text of the instance: imported" 0 $?
check_eq "ftrace text: same migrations and switch-ins as pmt-record" "$want" "$(counts "$TMP/text.pmt")"
check "ftrace text: summary names the output" grep -q "wrote '$TMP/text.pmt'" "$TMP/imp1.err"

# Every event, not only the mover's: inside pmt-record's time span (less 2 ms
# at each edge, where the two instances' own time stamps differ by
# microseconds), the kernel's text and pmt-record hold the same switches,
# migrations and wakeups.
if [ $tsc = 1 ]; then
	"$DUMP" "$TMP/p.pmt" >"$TMP/p.txt"
	"$DUMP" "$TMP/text.pmt" >"$TMP/t.txt"
	read -r lo hi < <(awk '$1 == 0 && $3 ~ /^[0-9]+$/ && ($4 == "switch" || $4 == "migrate" || $4 == "wakeup") {
		if (lo == "" || $3 < lo) lo = $3; if ($3 > hi) hi = $3} END {printf "%.0f %.0f\n", lo, hi}' "$TMP/p.txt")
	freq=$("$BIN/pmt-analyze" info "$TMP/p.pmt" --format csv 2>/dev/null |
		awk -F, '/^# table: clocks/ {c = 1; next} c == 1 {c = 2; next} c == 2 {print $3; exit}')
	margin=$(( ${freq:-3000000000} / 500 ))
	# Cut in the middle of the widest gap between events near each edge: the
	# two instances time-stamp one event microseconds apart, never across a
	# gap that wide.
	read -r clo chi < <(awk -v lo=$((lo + margin)) -v hi=$((hi - margin)) -v m=$margin '
		$1 == 0 && ($4 == "switch" || $4 == "migrate" || $4 == "wakeup") {print $3}' "$TMP/p.txt" |
		sort -n | awk -v lo=$((lo + margin)) -v hi=$((hi - margin)) -v m=$margin '
		NR > 1 && $1 > lo && $1 < lo + m && $1 - prev > g1 {g1 = $1 - prev; c1 = prev + int(g1 / 2)}
		NR > 1 && prev > hi - m && prev < hi && $1 - prev > g2 {g2 = $1 - prev; c2 = prev + int(g2 / 2)}
		{prev = $1}
		END { # no event in an edge region (a slow build): cut in its middle
			if (c1 == "") c1 = lo + int(m / 2); if (c2 == "") c2 = hi - int(m / 2)
			printf "%.0f %.0f\n", c1, c2}')
	cut_events() {
		awk -v lo="$clo" -v hi="$chi" '
			($4 == "switch" || $4 == "migrate" || $4 == "wakeup") && $3 >= lo && $3 <= hi {
				$3 = ""; print}' "$1" | sort
	}
	echo "# window $lo $hi cut $clo $chi margin $margin"
	cut_events "$TMP/p.txt" >"$TMP/p.cut"
	cut_events "$TMP/t.txt" >"$TMP/t.cut"
	n=$(wc -l <"$TMP/p.cut")
	check "same window: pmt-record has events there ($n)" test "$n" -gt 100
	check_eq "same window: the kernel's text holds exactly pmt-record's switches, migrations, wakeups" \
		"0" "$(comm -3 "$TMP/p.cut" "$TMP/t.cut" | wc -l)"
else
	skip "no x86-tsc clock: the two recordings cannot be cut to one window"
fi

if [ -n "$tc" ]; then
	"$IMP" trace.dat "$TMP/t.dat" -o "$TMP/dat.pmt" 2>"$TMP/imp2.err"
	check_eq "trace.dat: imported" 0 $?
	check_eq "trace.dat: same migrations and switch-ins as pmt-record" "$want" "$(counts "$TMP/dat.pmt")"
	if [ $tsc = 1 ]; then
		"$DUMP" "$TMP/dat.pmt" >"$TMP/d.txt"
		cut_events "$TMP/d.txt" >"$TMP/d.cut"
		check_eq "same window: trace-cmd's trace.dat holds exactly pmt-record's events" \
			"0" "$(comm -3 "$TMP/p.cut" "$TMP/d.cut" | wc -l)"
	fi
	# Cut or damaged trace.dat files: an answer (0 or 1), never a crash.
	sz=$(stat -c %s "$TMP/t.dat") crashes=0
	for n in 64 4096 $((sz / 3)) $((sz / 2)) $((sz - 64)); do
		head -c "$n" "$TMP/t.dat" >"$TMP/cut.dat"
		"$IMP" trace.dat "$TMP/cut.dat" -o "$TMP/cut.pmt" >/dev/null 2>&1
		[ $? -le 1 ] || crashes=$((crashes + 1))
	done
	check_eq "trace.dat: cut files give status 0 or 1" 0 $crashes
	"$IMP" ftrace "$TMP/report.txt" -o "$TMP/report.pmt" 2>"$TMP/imp3.err"
	check_eq "trace-cmd report text: imported" 0 $?
	check_eq "trace-cmd report text: same migrations and switch-ins as pmt-record" "$want" \
		"$(counts "$TMP/report.pmt")"
	# The states of one switch out of the mover: the kernel's format gives
	# the same state through trace.dat as pmt-record's decoding does.
	st_p=$("$DUMP" "$TMP/p.pmt" | awk -v t="prev=$tid" '$4 == "switch" && $5 == t && $6 != "state=X" {print $6}' | sort | uniq -c | tr -s ' ')
	st_d=$("$DUMP" "$TMP/dat.pmt" | awk -v t="prev=$tid" '$4 == "switch" && $5 == t && $6 != "state=X" {print $6}' | sort | uniq -c | tr -s ' ')
	check_eq "trace.dat: states at switch-out of the mover match pmt-record" "$st_p" "$st_d"
else
	skip "trace-cmd (or the shim) missing: trace.dat and report paths not tested (install trace-cmd)"
fi
finish
