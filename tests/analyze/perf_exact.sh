#!/bin/bash
# Exactness against an independent tool: a workload recorded by pmt-record
# while `perf record -e sched:sched_migrate_task -a` runs on the same machine.
# pmt-record's chain of CPUs per workload thread (every migrate starts where
# the previous one ended) must have no gap that perf's lacks, and it must
# hold every migrate event perf holds, per thread, plus one for each gap in
# perf's chain that pmt's does not share (perf 6.1 on this kernel drops some
# hits without counting them);
# with losses on either side, the counts differ by at most the losses. The
# mover thread's CPU changes must equal its N moves (the CPU-1 idle quirk does
# not hide them).
source "$(dirname "$0")/../lib.sh"
A=$BIN/pmt-analyze
REC=$BIN/pmt-record
WL=$BIN/tests/workloads
if ! have_tracefs; then skip "tracefs cannot be mounted here: no recording"; finish; fi
if ! command -v perf >/dev/null; then skip "perf is not installed (Debian linux-perf)"; finish; fi
if ! command -v hackbench >/dev/null; then skip "hackbench is not installed (Debian rt-tests)"; finish; fi
[ -x "$REC" ] && [ -x "$A" ] && [ -x "$WL/mover" ] || { fail "tools not built"; finish; }

N=30
# perf runs pmt-record as its workload: perf records from before pmt-record
# starts until after it ends (a perf started alongside may still be setting
# up its per-CPU buffers on a loaded machine)
perf record -q -m 4096 -e sched:sched_migrate_task -a -o "$TMP/perf.data" -- \
	"$REC" -o "$TMP/t.pmt" -- sh -c "hackbench -g 4 -l 100 >/dev/null & '$WL/mover' $N > '$TMP/mover.out'; wait" \
	>/dev/null 2>"$TMP/rec.err"
check_eq "pmt-record of the workload, under perf record, exits 0" 0 $?
check "perf recorded" [ -s "$TMP/perf.data" ]

# Per thread: migrate events, and breaks in the chain of CPUs (a migrate
# whose from-CPU is not the previous migrate's to-CPU: the kernel fires
# sched_migrate_task for every change of a task's CPU, so a complete record
# has none). Workload threads: named hackbench or pmt-mover at some time
# (perf gives the name at each event, pmt-analyze the last one; a child
# forked by sh migrates under the name sh before its exec).
chains='{ if (p in last && last[p] != o) b[p]++; last[p] = d; n[p]++; if (c == "hackbench" || c == "pmt-mover") w[p] = 1 }
	END { for (p in n) if (p in w) print p, n[p], b[p] + 0 }'
perf script -i "$TMP/perf.data" -F trace 2>/dev/null |
	awk '{ delete f; for (i = 1; i <= NF; i++) { k = $i; sub(/=.*/, "", k); v = $i; sub(/^[^=]*=/, "", v); f[k] = v }
	       p = f["pid"]; o = f["orig_cpu"]; d = f["dest_cpu"]; c = f["comm"] }'"$chains" | sort > "$TMP/perf.cnt"
"$A" migrations "$TMP/t.pmt" --kind migrate --format csv |
	awk -F, '/^#/ || $1 == "time_ns" { next } { p = $3; o = $6; d = $7; c = $5 }'"$chains" | sort > "$TMP/pmt.cnt"
total=$(awk '{ s += $2 } END { print s + 0 }' "$TMP/perf.cnt")
check "the workload migrated (perf saw $total migrate events)" [ "$total" -ge "$N" ]
# perf's losses: the samples its ring buffers dropped (PERF_RECORD_LOST, all
# events) plus the migrate samples it counted as lost (LOST_SAMPLES under
# the sched_migrate_task stats of `perf report --stats`)
perf_lost=$( { perf script -i "$TMP/perf.data" --show-lost-events -F trace 2>/dev/null |
		awk '/PERF_RECORD_LOST lost/ { s += $NF } END { print s + 0 }'
	perf report -i "$TMP/perf.data" --stats 2>/dev/null |
		awk '/stats:$/ { m = ($1 == "sched:sched_migrate_task") } m && /LOST_SAMPLES events:/ { s += $3 } END { print s + 0 }'
	} | awk '{ s += $1 } END { print s + 0 }')
pmt_lost=$("$A" summary "$TMP/t.pmt" --format csv | awk -F, 'NR == 2 { for (i = 1; i <= NF; i++) if (h[i] == "lost_events") print $i } NR == 1 { for (i = 1; i <= NF; i++) h[i] = $i }')
# join: tid, perf count, pmt count, perf breaks, pmt breaks
join -a1 -a2 -e 0 -o 0,1.2,2.2,1.3,2.3 "$TMP/perf.cnt" "$TMP/pmt.cnt" > "$TMP/both"
perf_breaks=$(awk '{ s += $4 } END { print s + 0 }' "$TMP/both")
extra=$(awk '{ s += $3 - $2 } END { print s + 0 }' "$TMP/both")
if [ "${pmt_lost:-0}" -eq 0 ]; then
	# a gap both tools show is the kernel's own (a CPU change it made without
	# sched_migrate_task, seen once in a loaded run); pmt-record has no other
	check_eq "pmt-record's chain of CPUs has no gap perf's lacks ($(wc -l < "$TMP/both") threads)" \
		"" "$(awk '$5 > $4' "$TMP/both")"
fi
if [ "$perf_lost" -eq 0 ] && [ "${pmt_lost:-0}" -eq 0 ]; then
	# perf 6.1 on this newer kernel drops some sched_migrate_task hits
	# without counting them as lost: its own chain of CPUs then breaks, or
	# (seen for bursts of migrations at one instant at the end of a thread's
	# life) the last one is missing. So pmt-record must hold every migration
	# perf has, plus at least one per break of perf's chain that its own
	# chain does not share (above: pmt's has no break perf's lacks).
	check_eq "per thread pmt-record has perf's migrate events plus one per gap only perf's chain has" "" \
		"$(awk '$3 < $2 + $4 - $5' "$TMP/both")"
else
	diff=$(awk '{ d = $2 - $3; s += d < 0 ? -d : d } END { print s + 0 }' "$TMP/both")
	check "migrate events per thread differ ($diff) by at most the losses (perf $perf_lost, pmt $pmt_lost)" \
		[ "$diff" -le $((perf_lost + pmt_lost + perf_breaks)) ]
fi
echo "note: perf's chains have $perf_breaks gaps; pmt-record has $extra more migrate events than perf"
tid=$(sed -n 's/^tid=\([0-9]*\).*/\1/p' "$TMP/mover.out")
changes=$("$A" migrations "$TMP/t.pmt" --kind cpu-change --tid "$tid" --format csv | grep -vc '^#\|^time_ns')
check_eq "the mover's CPU changes equal its $N moves" "$N" "$changes"
finish
