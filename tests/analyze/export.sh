#!/bin/bash
# pmt-analyze export: the CSV tables agree with the reports (run time per
# task, migrations, every event, CPU intervals partitioning each CPU's time)
# and the Perfetto text parses with the line format of Perfetto's ftrace-text
# importer and rebuilds the same per-task run time from its sched_switch lines
# (inferred switch-ins of the CPU-1 quirk included).
source "$(dirname "$0")/../lib.sh"
# pyreport: count the "ok: ..." / "FAIL: ..." lines a python check prints
pyreport() { local l; while IFS= read -r l; do case $l in ok:*) ok "${l#ok: }";; FAIL:*) fail "${l#FAIL: }";; *) echo "$l";; esac; done; }
GEN=$BIN/tests/analyze-gen
A=$BIN/pmt-analyze
[ -x "$GEN" ] && [ -x "$A" ] || { fail "tools not built"; finish; }
"$GEN" -o "$TMP/t.pmt" --cpus 4 --tasks 12 --events 30000 --quirk-cpu 1 --seed 21 >/dev/null || fail "gen"
"$A" affinity "$TMP/t.pmt" --format csv > "$TMP/aff.csv"
"$A" summary "$TMP/t.pmt" --format json > "$TMP/sum.json"
"$A" migrations "$TMP/t.pmt" --format csv > "$TMP/mig.csv"

"$A" export "$TMP/t.pmt" --to csv "$TMP/csv"
check_eq "export --to csv: exit 0" 0 $?
for f in intervals cpu_intervals migrations events entities; do
	check "export --to csv: $f.csv written" [ -s "$TMP/csv/$f.csv" ]
done
check_eq "migrations.csv equals the migrations report" "$(grep -v '^#' "$TMP/mig.csv")" "$(grep -v '^#' "$TMP/csv/migrations.csv")"
python3 - "$TMP" > "$TMP/py1.out" <<'PY'
import csv, json, sys, collections
d = sys.argv[1]
def rows(p): return list(csv.DictReader(l for l in open(p) if not l.startswith('#')))
aff = {r['tid']: int(r['run_ns']) for r in rows(d + '/aff.csv')}
run = collections.Counter()
for r in rows(d + '/csv/intervals.csv'):
    if r['state'] == 'running':
        run[r['tid']] += int(r['end_ns']) - int(r['start_ns'])
bad = [t for t in aff if aff[t] != run[t]]
print(("ok" if not bad else "FAIL") + ": intervals.csv running time per task equals affinity run_ns", bad[:5])
s = json.load(open(d + '/sum.json'))
span = s['trace']['span_ns']
per = collections.defaultdict(list)
for r in rows(d + '/csv/cpu_intervals.csv'):
    per[r['cpu']].append((int(r['start_ns']), int(r['end_ns'])))
ok = len(per) == 4
for c, iv in per.items():
    iv.sort()
    ok &= iv[0][0] == 0 and iv[-1][1] == span and all(a[1] == b[0] for a, b in zip(iv, iv[1:]))
print(("ok" if ok else "FAIL") + ": cpu_intervals.csv partitions each CPU's time from 0 to the span")
ev = rows(d + '/csv/events.csv')
print(("ok" if len(ev) == s['trace']['events'] else "FAIL") + ": events.csv has every event (%d)" % len(ev))
PY
pyreport < "$TMP/py1.out"
"$A" export "$TMP/t.pmt" --to perfetto "$TMP/p.txt"
check_eq "export --to perfetto: exit 0" 0 $?
python3 - "$TMP" > "$TMP/py2.out" <<'PY'
import re, csv, sys, collections
d = sys.argv[1]
# the line format of Perfetto's systrace/ftrace-text tokenizer
line_re = re.compile(r'-(\d+)\s+\(?\s*(\d+|-+)?\)?\s?\[(\d+)\]\s*[a-zA-Z0-9.]{0,4}\s+(\d+\.\d+):\s+(\S+):')
evs, bad = [], 0
lines = open(d + '/p.txt').read().splitlines()
print(("ok" if lines[0].startswith('# tracer') else "FAIL") + ": perfetto text starts with '# tracer'")
for l in lines:
    if l.startswith('#') or not l: continue
    m = line_re.search(l)
    if not m: bad += 1; continue
    args = dict(kv.split('=', 1) for kv in l[m.end():].split() if '=' in kv)
    evs.append((float(m.group(4)), int(m.group(3)), m.group(5), args))
print(("ok" if bad == 0 and evs else "FAIL") + ": every perfetto line tokenizes (%d lines, %d bad)" % (len(evs), bad))
sw = [e for e in evs if e[2] == 'sched_switch']
print(("ok" if all(k in e[3] for e in sw for k in ('prev_comm','prev_pid','prev_prio','prev_state','next_comm','next_pid','next_prio')) else "FAIL") + ": sched_switch lines carry every field Perfetto reads")
sw.sort(key=lambda e: e[0])
cur, since, run, runs = {}, {}, collections.Counter(), collections.Counter()
for t, cpu, _, a in sw:
    p = a['prev_pid']
    if cpu in cur and cur[cpu] == p and p != '0':
        run[p] += round((t - since[cpu]) * 1e9)
        runs[p] += 1
    cur[cpu], since[cpu] = a['next_pid'], t
aff = {r['tid']: int(r['run_ns']) for r in csv.DictReader(l for l in open(d + '/aff.csv') if not l.startswith('#'))}
# tasks running at the end have no closing switch: compare the others
end_running = set(cur.values())
bad = [t for t in aff if t not in end_running and abs(aff[t] - run[t]) > runs[t]]
n = len([t for t in aff if t not in end_running])
print(("ok" if not bad and n >= 6 else "FAIL") + ": run time rebuilt from perfetto switches equals affinity run_ns (%d tasks, 1 ns rounding per run)" % n, bad[:5])
PY
pyreport < "$TMP/py2.out"
finish
