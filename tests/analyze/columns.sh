#!/bin/bash
# Every engine report in every format: JSON parses, CSV and JSON carry the
# same columns, and every column name is defined in docs/METRICS.md.
source "$(dirname "$0")/../lib.sh"
A=$BIN/pmt-analyze
GEN=$BIN/tests/analyze-gen
[ -x "$A" ] && [ -x "$GEN" ] || { fail "tools not built"; finish; }
"$GEN" -o "$TMP/t.pmt" --cpus 2 --tasks 6 --events 3000 --quirk-cpu 1 >/dev/null || fail "gen"
i=0
for cmd in "summary" "migrations" "affinity" "affinity --matrix" "latency"; do
	i=$((i + 1))
	# shellcheck disable=SC2086
	"$A" $cmd "$TMP/t.pmt" --format json > "$TMP/$i.json" &&
	"$A" $cmd "$TMP/t.pmt" --format csv > "$TMP/$i.csv" &&
	"$A" $cmd "$TMP/t.pmt" > "$TMP/$i.txt" || { fail "$cmd: exit status"; continue; }
	python3 - "$TMP/$i.json" "$TMP/$i.csv" "$TOP/docs/METRICS.md" "$cmd" > "$TMP/$i.py" <<'PY'
import json, sys, re
js = json.load(open(sys.argv[1]))
doc = open(sys.argv[3]).read()
cmd = sys.argv[4]
# csv: header lines are the first line and those after "# table:"
heads, lines = [], open(sys.argv[2]).read().split('\n')
take = True
for l in lines:
    if l.startswith('# table:'): take = True; continue
    if l.startswith('#') or not l: continue
    if take: heads.append(l.split(',')); take = False
jcols = []
for k, v in js.items():
    if k == 'notes': continue
    rows = v if isinstance(v, list) else [v]
    if rows and rows[0]: jcols.append(list(rows[0].keys()))
same = all(h in heads for h in jcols) and len(heads) >= 1
print(("ok" if same else "FAIL") + ": %s: json and csv columns agree" % cmd)
undoc = sorted({c for h in heads for c in h if not re.search(r'`%s`|\| %s \|' % (re.escape(c), re.escape(c)), doc)})
print(("ok" if not undoc else "FAIL") + ": %s: every column is in docs/METRICS.md %s" % (cmd, undoc))
PY
	while IFS= read -r l; do case $l in ok:*) ok "${l#ok: }";; FAIL:*) fail "${l#FAIL: }";; esac; done < "$TMP/$i.py"
	check "$cmd: text output has a header line" grep -q "level" "$TMP/$i.txt"
done
finish
