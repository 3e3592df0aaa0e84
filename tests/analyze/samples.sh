#!/bin/bash
# pmt-analyze reports on the sample traces (sample-traces/): compared with
# expected files (tests/analyze/expected/, made once and checked against the
# samples' known figures), and the per-task figures recomputed independently
# from the raw events (`pmt-analyze dump`) by a few lines of python.
# UPDATE=1 rewrites the expected files (then review the diff).
source "$(dirname "$0")/../lib.sh"
A=$BIN/pmt-analyze
EXP=$TOP/tests/analyze/expected
[ -x "$A" ] || { fail "pmt-analyze not built"; finish; }
cd "$TOP" || exit 1

# expect NAME COMMAND...: the command's stdout equals expected/NAME
expect() {
	local name=$1; shift
	"$@" > "$TMP/$name" 2> "$TMP/$name.err"
	local rc=$?
	if [ -n "${UPDATE:-}" ]; then cp "$TMP/$name" "$EXP/$name"; fi
	if [ $rc -ne 0 ]; then fail "$name: exit $rc: $(head -c 300 "$TMP/$name.err")"; return; fi
	if diff -u "$EXP/$name" "$TMP/$name" > "$TMP/$name.diff"; then
		ok "$name equals the expected output"
	else
		fail "$name differs from tests/analyze/expected/$name:"; head -20 "$TMP/$name.diff"
	fi
}

for s in pingpong mixed; do
	f=sample-traces/synthetic-$s.pmt
	[ -f "$f" ] || { skip "$f missing"; continue; }
	expect "$s.summary.txt" "$A" summary "$f"
	expect "$s.affinity.csv" "$A" affinity "$f" --format csv
	expect "$s.latency.csv" "$A" latency "$f" --format csv
	expect "$s.migrations.json" "$A" migrations "$f" --time 0,1ms --format json
	# independent recomputation from the raw events
	"$A" dump "$f" --format csv > "$TMP/$s.dump.csv"
	"$A" affinity "$f" --format csv > "$TMP/$s.aff.csv"
	python3 - "$TMP/$s.dump.csv" "$TMP/$s.aff.csv" > "$TMP/$s.py" <<'PY'
import csv, sys, collections
ev = list(csv.DictReader(open(sys.argv[1])))
t0, t1 = int(ev[0]['time_ns']), int(ev[-1]['time_ns'])
cur, since = {}, {}
last_cpu, last_change = {}, collections.defaultdict(lambda: t0)
run, changes, migr = collections.Counter(), collections.Counter(), collections.Counter()
state = {}
for e in ev:
    t, cpu, kind = int(e['time_ns']), e['cpu'], e['event']
    if kind == 'migrate':
        migr[e['tid']] += 1
    elif kind == 'wakeup':
        if state.get(e['tid']) in (None, 'blocked'):
            state[e['tid']] = 'runnable'; last_change[e['tid']] = t
    elif kind == 'switch':
        p, n = e['tid'], e['other_tid']
        if cpu not in cur:              # first switch here: prev ran since the start (or its wakeup)
            start = max(t0, last_change[p]) if p != '0' else t0
            if p != '0':
                if p in last_cpu and last_cpu[p] != cpu: changes[p] += 1
                last_cpu[p] = cpu
            cur[cpu], since[cpu] = p, start
        if p != '0':
            run[p] += t - since[cpu]
            state[p] = 'runnable' if e['state'] == 'R' else 'blocked'; last_change[p] = t
        if n != '0':
            if n in last_cpu and last_cpu[n] != cpu: changes[n] += 1
            last_cpu[n] = cpu; state[n] = 'running'
        cur[cpu], since[cpu] = n, t
for cpu, p in cur.items():
    if p != '0': run[p] += t1 - since[cpu]
aff = {r['tid']: r for r in csv.DictReader(l for l in open(sys.argv[2]) if not l.startswith('#'))}
tids = set(run) | set(changes) | set(migr)
bad = [t for t in tids if t not in aff or int(aff[t]['run_ns']) != run[t] or int(aff[t]['cpu_changes']) != changes[t] or int(aff[t]['migrations']) != migr[t]]
print(("ok" if not bad and tids else "FAIL") + ": %d tasks: run time, CPU changes, migrations equal a recomputation from the raw events" % len(tids), bad[:5])
PY
	while IFS= read -r l; do case $l in ok:*) ok "$s: ${l#ok: }";; FAIL:*) fail "$s: ${l#FAIL: }";; esac; done < "$TMP/$s.py"
done
# facts the samples' README states
check_eq "pingpong: no migrations, no CPU changes" "0 0" \
	"$(awk '$1 == "migrations" || $1 == "cpu_changes" { printf "%s%s", s, $2; s = " " }' "$EXP/pingpong.summary.txt")"
check "mixed: migrations happen" grep -q "^migrations  *[1-9]" "$EXP/mixed.summary.txt"

# migrations rows in time order: a switch-in the engine learns late (after a
# loss, or inferred) is printed in its place. Task 10's switch-in on CPU 1 at
# 2 ms is lost (gap [1.5, 2.5) ms), so its cpu-change is at the gap's end,
# 2.5 ms, known only at its switch-out (5 ms); task 11 moves at 3 ms.
if [ -x "$BIN/pmt-synth" ]; then
	printf '%s\n' 'span 6ms' 'host 2' 'task host 10 10 late' 'task host 11 11 early' \
		'run host 0 0 1ms 10 S' 'run host 1 0 1ms 11 S' 'run host 1 2ms 5ms 10 S' \
		'run host 0 3ms 4ms 11 S' 'lost host 1 1500us 2500us 3' |
		"$BIN/pmt-synth" - -o "$TMP/order.pmt" || fail "pmt-synth order"
	check_eq "migrations: a row learnt late comes in time order" "2500000,10,0,1 3000000,11,1,0" \
		"$("$A" migrations "$TMP/order.pmt" --format csv | awk -F, '/^[0-9]/ { printf "%s%s,%s,%s,%s", s, $1, $3, $6, $7; s = " " }')"
fi
# The TCG test bed sample has inferred switch-ins (its vCPUs miss some): every
# row in time order, and as many cpu-change rows as affinity counts changes.
vm=sample-traces/vm-tcg-free.pmt
"$A" migrations "$vm" --format csv >"$TMP/vm-mig.csv"
check "vm-tcg-free: some cpu-change rows are at inferred switch-ins" \
	awk -F, '/^[0-9]/ && $8 == "cpu-change" && $10 == 1 { n++ } END { exit !n }' "$TMP/vm-mig.csv"
check_eq "vm-tcg-free: migrations rows in time order (rows before an earlier one)" 0 \
	"$(awk -F, '/^[0-9]/ { if (n++ && $1 + 0 < p) bad++; p = $1 + 0 } END { print bad + 0 }' "$TMP/vm-mig.csv")"
check_eq "vm-tcg-free: cpu-change rows = affinity's cpu_changes" \
	"$("$A" affinity "$vm" --format csv | awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "cpu_changes") c = i; next } /^[a-z]/ && c { n += $c } END { print n + 0 }')" \
	"$(awk -F, '/^[0-9]/ && $8 == "cpu-change" { n++ } END { print n + 0 }' "$TMP/vm-mig.csv")"

# Results do not depend on the thread count: a generated trace of many
# chunks (the loader thread inflates ahead) read with and without --one-thread
"$BIN/tests/analyze-gen" -o "$TMP/chunks.pmt" --cpus 4 --tasks 24 --events 300000 --quirk-cpu 1 >/dev/null 2>&1 ||
	fail "analyze-gen for the thread-count comparison"
for c in summary "migrations --format csv" "affinity --matrix" "latency --split" "vcpus"; do
	for f in "$TMP/chunks.pmt" "$vm"; do
		$A $c "$f" >"$TMP/t2.out" 2>&1; r2=$?
		$A $c "$f" --one-thread >"$TMP/t1.out" 2>&1; r1=$?
		check_eq "$c on $(basename "$f"): output and status with --one-thread" \
			"$r2 $(md5sum <"$TMP/t2.out")" "$r1 $(md5sum <"$TMP/t1.out")"
	done
done

# two-level scenario (pmt-synth): what the script says about the host level
if [ -x "$BIN/pmt-synth" ] && [ -f sample-traces/lockholder.synth ]; then
	"$BIN/pmt-synth" sample-traces/lockholder.synth -o "$TMP/lockholder.pmt" >/dev/null 2>&1 || fail "pmt-synth lockholder"
	cd "$TMP" || exit 1   # the summary names the file as given
	expect lockholder.summary.txt "$A" summary lockholder.pmt
	expect lockholder.affinity.txt "$A" affinity lockholder.pmt
	expect lockholder.migrations.csv "$A" migrations lockholder.pmt --format csv
	cd "$TOP" || exit 1
	# vCPU0 is preempted by host task 200 over [5, 8) ms and resumes on pCPU1
	check_eq "lockholder: vCPU0 moves from pCPU0 to pCPU1 at 8 ms after 3 ms off" "8000000,0,1,3000000" \
		"$("$A" migrations "$TMP/lockholder.pmt" --tid 101 --format csv | awk -F, '$3 == 101 { print $1 "," $6 "," $7 "," $9 }')"
	check_eq "lockholder: host task 200 runs 3 ms" 3000000 \
		"$("$A" affinity "$TMP/lockholder.pmt" --level host --tid 200 --format csv | awk -F, '$2 == 200 { print $5 }')"
else
	skip "pmt-synth not built: two-level sample not checked"
fi
finish
