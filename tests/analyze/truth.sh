#!/bin/bash
# pmt-analyze against generated traces with exact ground truth (analyze-gen):
# run time, CPU changes, kernel migrations and wakeup latencies per task, with
# the CPU-1 idle quirk (switches out of idle not written on one CPU) and with
# a loss window; every output format carries the same numbers.
source "$(dirname "$0")/../lib.sh"
GEN=$BIN/tests/analyze-gen
A=$BIN/pmt-analyze
[ -x "$GEN" ] && [ -x "$A" ] || { fail "tools not built ($GEN, $A)"; finish; }

# compare_affinity TRUTH AFFINITY_CSV: per task run_ns = run_ns_seen,
# cpu_changes and migrations (written ones) equal; prints "tasks mismatches"
compare_affinity() {
	awk -F, 'NR==FNR { if (FNR>1) { run[$1]=$3; mig[$1]=$4-$5; chg[$1]=$6 }; next }
		/^#/ || $1=="level" { next }
		($2 in run) { n++; if ($5!=run[$2] || $7!=chg[$2] || $8!=mig[$2]) { bad++; print "mismatch tid " $2 ": run " $5 "/" run[$2] " changes " $7 "/" chg[$2] " migrations " $8 "/" mig[$2] > "/dev/stderr" } }
		END { print n+0, bad+0 }' "$1" "$2"
}
# compare_latency TRUTH LATENCY_CSV: wakeup count, max, excluded, mean
compare_latency() {
	awk -F, 'NR==FNR { if (FNR>1) { cnt[$1]=$7; sum[$1]=$8; mx[$1]=$9; ex[$1]=$10 }; next }
		/^#/ || $1=="level" { next }
		$5=="wakeup" && ($2 in cnt) { n++;
			mean = cnt[$2] ? sum[$2]/cnt[$2] : 0; d = $7 - mean; if (d < 0) d = -d;
			if ($6!=cnt[$2] || $11!=mx[$2] || $12!=ex[$2] || d > 0.1) { bad++; print "latency mismatch tid " $2 ": " $0 " truth " cnt[$2] " " mean " " mx[$2] " " ex[$2] > "/dev/stderr" } }
		END { print n+0, bad+0 }' "$1" "$2"
}

# 1. a clean trace
"$GEN" -o "$TMP/clean.pmt" --truth "$TMP/clean.csv" --cpus 4 --tasks 16 --events 40000 --seed 7 >/dev/null || fail "gen clean"
"$A" affinity "$TMP/clean.pmt" --format csv > "$TMP/aff.csv"
check_eq "clean trace: affinity exits 0" 0 $?
read -r n bad < <(compare_affinity "$TMP/clean.csv" "$TMP/aff.csv")
check "clean trace: tasks compared ($n)" [ "$n" -ge 10 ]
check_eq "clean trace: run time, CPU changes, migrations exact per task" 0 "$bad"
"$A" latency "$TMP/clean.pmt" --format csv > "$TMP/lat.csv"
read -r n bad < <(compare_latency "$TMP/clean.csv" "$TMP/lat.csv")
check "clean trace: latency rows compared ($n)" [ "$n" -ge 10 ]
check_eq "clean trace: wakeup count, mean, max exact per task" 0 "$bad"
# totals: summary equals the sum of the per-task truth (plus tasks still running)
mig_sum=$(awk -F, 'NR>1 { s += $4 } END { print s }' "$TMP/clean.csv")
"$A" summary "$TMP/clean.pmt" --format json > "$TMP/sum.json"
python3 - "$TMP/sum.json" "$TMP/aff.csv" <<'PY' || fail "summary json totals disagree with affinity csv"
import json, sys, csv
s = json.load(open(sys.argv[1]))
rows = [r for r in csv.DictReader(l for l in open(sys.argv[2]) if not l.startswith('#'))]
t = s["trace"]
assert t["migrations"] == sum(int(r["migrations"]) for r in rows), "migrations"
assert t["cpu_changes"] == sum(int(r["cpu_changes"]) for r in rows), "cpu changes"
assert t["inferred_switch_ins"] == 0 and t["unknown_ns"] == 0 and t["lost_events"] == 0
assert abs(sum(c["busy_ns"] for c in s["cpus"]) - sum(int(r["run_ns"]) for r in rows)) == 0, "busy vs run"
assert s["notes"] == [], s["notes"]
PY
ok "clean trace: summary totals (json) equal the sums of affinity rows (csv)"

# 2. the CPU-1 quirk: switch-ins out of idle on CPU 1 are not written
"$GEN" -o "$TMP/quirk.pmt" --truth "$TMP/quirk.csv" --cpus 4 --tasks 12 --events 40000 --quirk-cpu 1 --seed 11 >/dev/null || fail "gen quirk"
"$A" affinity "$TMP/quirk.pmt" --format csv > "$TMP/aff.csv"
read -r n bad < <(compare_affinity "$TMP/quirk.csv" "$TMP/aff.csv")
check "quirk: tasks compared ($n)" [ "$n" -ge 8 ]
check_eq "quirk: CPU changes and migrations exact, run time as documented" 0 "$bad"
over=$(awk -F, 'NR>1 && $3 < $2 { print $1 }' "$TMP/quirk.csv")
check_eq "quirk: inferred run time never below the true run time" "" "$over"
"$A" latency "$TMP/quirk.pmt" --format csv > "$TMP/lat.csv"
read -r n bad < <(compare_latency "$TMP/quirk.csv" "$TMP/lat.csv")
check_eq "quirk: latencies at inferred switch-ins excluded and counted" 0 "$bad"
"$A" summary "$TMP/quirk.pmt" > "$TMP/sum.txt"
inf=$(awk '$1=="inferred_switch_ins" { print $2 }' "$TMP/sum.txt")
check "quirk: inferred switch-ins reported ($inf)" [ "${inf:-0}" -gt 100 ]
check "quirk: a note says switch-ins were inferred" grep -q "^note: .*inferred" "$TMP/sum.txt"

# 3. a loss window on CPU 2: migrate counts agree apart from counted losses
"$GEN" -o "$TMP/loss.pmt" --truth "$TMP/loss.csv" --cpus 4 --tasks 12 --events 40000 --loss 2:100000000:150000000 --seed 5 >/dev/null || fail "gen loss"
"$A" migrations "$TMP/loss.pmt" --kind migrate --format csv > "$TMP/mig.csv"
bad=$(awk -F, 'NR==FNR { if (FNR>1) { want[$1]=$4-$5 }; next } /^#/ || $1=="time_ns" { next } { got[$3]++ } END { for (t in want) if (want[t] != got[t]+0) print t }' "$TMP/loss.csv" "$TMP/mig.csv")
check_eq "loss: migrate rows per task = true migrations - lost ones" "" "$bad"
lost_truth=$(awk -F, 'NR>1 { s += $5 } END { print s }' "$TMP/loss.csv")
check "loss: some migrations fell in the loss ($lost_truth)" [ "$lost_truth" -gt 0 ]
"$A" summary "$TMP/loss.pmt" --format csv > "$TMP/sum.csv"
check "loss: a note in the csv output says events were lost" grep -q "^# note: .* events were lost" "$TMP/sum.csv"
unk=$(awk -F, '/^level,cpu,/ { t=1; next } t && $1=="host" && $2==2 { print $8 }' "$TMP/sum.csv")
check "loss: CPU 2 has unknown time ($unk ns)" [ "${unk:-0}" -ge 50000000 ]

# 4. filters and --time
"$A" affinity "$TMP/clean.pmt" --tid 1003 --format csv > "$TMP/one.csv"
check_eq "--tid keeps one row" 1 "$(grep -c '^host,1003,' "$TMP/one.csv")"
check_eq "--tid keeps nothing else" 2 "$(grep -vc '^#' "$TMP/one.csv")"
full=$(awk -F, '$1=="host" { s += $5 } END { print s }' "$TMP/aff.csv")
"$A" affinity "$TMP/clean.pmt" --time 0,100ms --format csv > "$TMP/w.csv"
"$A" affinity "$TMP/clean.pmt" --time 100ms, --format csv > "$TMP/w2.csv"
"$A" affinity "$TMP/clean.pmt" --format csv > "$TMP/all.csv"
sum_all=$(awk -F, '$1=="host" { s += $5 } END { print s }' "$TMP/all.csv")
sum_w=$(awk -F, '$1=="host" { s += $5 } END { print s }' "$TMP/w.csv" "$TMP/w2.csv")
check_eq "--time: run time of two windows adds up to the whole" "$sum_all" "$sum_w"

# 5. bad input
"$A" frobnicate "$TMP/clean.pmt" 2>/dev/null
check_eq "unknown subcommand: exit 2" 2 $?
"$A" summary "$TMP/clean.pmt" --bogus 2>/dev/null
check_eq "unknown option: exit 2" 2 $?
head -c 30000 "$TMP/clean.pmt" > "$TMP/trunc.pmt"
"$A" summary "$TMP/trunc.pmt" > "$TMP/t.out" 2> "$TMP/t.err"
check_eq "truncated file: exit 1" 1 $?
check "truncated file: stderr says so" grep -q "recovered\|truncated\|damage\|offset" "$TMP/t.err"
"$A" summary "$TMP/trunc.pmt" --tolerant > "$TMP/t.out" 2>/dev/null
check_eq "truncated file with --tolerant: exit 0" 0 $?
check "truncated file: a note in the output" grep -q "^note: " "$TMP/t.out"
finish
