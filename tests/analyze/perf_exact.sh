#!/bin/bash
# Exactness against an independent tool: a workload recorded by pmt-record
# while `perf record -e sched:sched_migrate_task -a` runs on the same machine;
# pmt-analyze's kernel migrations per thread of the workload must equal
# perf's, apart from events either tool counted as lost. The mover thread's
# CPU changes must equal its N moves (the CPU-1 idle quirk does not hide them).
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
perf record -q -m 1024 -e sched:sched_migrate_task -a -o "$TMP/perf.data" -- \
	"$REC" -o "$TMP/t.pmt" -- sh -c "hackbench -g 4 -l 100 >/dev/null & '$WL/mover' $N > '$TMP/mover.out'; wait" \
	>/dev/null 2>"$TMP/rec.err"
check_eq "pmt-record of the workload, under perf record, exits 0" 0 $?
check "perf recorded" [ -s "$TMP/perf.data" ]

# the workload's threads: named hackbench or pmt-mover at some time (perf
# gives the name at each event, pmt-analyze the last one; a child forked by
# sh migrates under the name sh before its exec)
perf script -i "$TMP/perf.data" -F trace 2>/dev/null |
	awk '{ delete f; for (i = 1; i <= NF; i++) { k = $i; sub(/=.*/, "", k); v = $i; sub(/^[^=]*=/, "", v); f[k] = v }
	       n[f["pid"]]++; if (f["comm"] == "hackbench" || f["comm"] == "pmt-mover") w[f["pid"]] = 1 }
	     END { for (p in n) print p, n[p], (p in w) }' | sort > "$TMP/perf.all"
"$A" migrations "$TMP/t.pmt" --kind migrate --format csv |
	awk -F, '/^#/ || $1 == "time_ns" { next } { n[$3]++; if ($5 == "hackbench" || $5 == "pmt-mover") w[$3] = 1 }
		 END { for (p in n) print p, n[p], (p in w) }' | sort > "$TMP/pmt.all"
join -a1 -a2 -e 0 -o 0,1.2,2.2,1.3,2.3 "$TMP/perf.all" "$TMP/pmt.all" |
	awk '$4 || $5 { print $1, $2 }' > "$TMP/perf.cnt"
join -a1 -a2 -e 0 -o 0,1.2,2.2,1.3,2.3 "$TMP/perf.all" "$TMP/pmt.all" |
	awk '$4 || $5 { print $1, $3 }' > "$TMP/pmt.cnt"
total=$(awk '{ s += $2 } END { print s + 0 }' "$TMP/perf.cnt")
check "the workload migrated (perf saw $total migrate events)" [ "$total" -ge "$N" ]
perf_lost=$(perf report -i "$TMP/perf.data" --stats 2>/dev/null | awk '/LOST/ { s += $NF } END { print s + 0 }')
pmt_lost=$("$A" summary "$TMP/t.pmt" --format csv | awk -F, 'NR == 2 { for (i = 1; i <= NF; i++) if (h[i] == "lost_events") print $i } NR == 1 { for (i = 1; i <= NF; i++) h[i] = $i }')
diff=$(join -a1 -a2 -e 0 -o 0,1.2,2.2 "$TMP/perf.cnt" "$TMP/pmt.cnt" | awk '{ d = $2 - $3; s += d < 0 ? -d : d } END { print s + 0 }')
if [ "$perf_lost" -eq 0 ] && [ "${pmt_lost:-0}" -eq 0 ]; then
	check_eq "migrate events per thread equal perf's ($(wc -l < "$TMP/perf.cnt") threads, no losses)" "" \
		"$(join -a1 -a2 -e 0 -o 0,1.2,2.2 "$TMP/perf.cnt" "$TMP/pmt.cnt" | awk '$2 != $3')"
else
	check "migrate events per thread differ ($diff) by at most the losses (perf $perf_lost, pmt $pmt_lost)" \
		[ "$diff" -le $((perf_lost + pmt_lost)) ]
fi
tid=$(sed -n 's/^tid=\([0-9]*\).*/\1/p' "$TMP/mover.out")
changes=$("$A" migrations "$TMP/t.pmt" --kind cpu-change --tid "$tid" --format csv | grep -vc '^#\|^time_ns')
check_eq "the mover's CPU changes equal its $N moves" "$N" "$changes"
finish
