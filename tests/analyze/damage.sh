#!/bin/bash
# pmt-analyze on damaged files: every engine report, with bytes flipped at
# many offsets and the file cut short, never crashes; a damaged file gives
# exit 1 with the damage named on stderr (FILE: offset N: ...) and a note in
# the report; --tolerant gives exit 0 and reports what could be read.
source "$(dirname "$0")/../lib.sh"
GEN=$BIN/tests/analyze-gen
A=$BIN/pmt-analyze
[ -x "$GEN" ] && [ -x "$A" ] || { fail "tools not built"; finish; }
"$GEN" -o "$TMP/t.pmt" --cpus 4 --tasks 12 --events 20000 --quirk-cpu 1 >/dev/null || fail "gen"
size=$(stat -c %s "$TMP/t.pmt")
crashes=0 silent=0 notol=0 runs=0
for off in 100 700 3000 $((size / 3)) $((size / 2)) $((size * 2 / 3)) $((size - 200)) $((size - 20)); do
	cp "$TMP/t.pmt" "$TMP/d.pmt"
	printf '\xa5\x5a\xff' | dd of="$TMP/d.pmt" bs=1 seek="$off" conv=notrunc status=none
	for cmd in summary migrations affinity latency "export --to csv $TMP/x"; do
		runs=$((runs + 1))
		# shellcheck disable=SC2086
		"$A" $cmd "$TMP/d.pmt" > "$TMP/out" 2> "$TMP/err"
		rc=$?
		[ $rc -ge 2 ] && { crashes=$((crashes + 1)); echo "offset $off: '$cmd' exit $rc: $(head -c 200 "$TMP/err")"; }
		if [ $rc -eq 1 ] && ! grep -q "offset [0-9]*\|damaged\|recovered\|not a .pmt\|truncated" "$TMP/err"; then
			silent=$((silent + 1)); echo "offset $off: '$cmd' exit 1 without naming the damage: $(head -c 200 "$TMP/err")"
		fi
		# shellcheck disable=SC2086
		"$A" $cmd "$TMP/d.pmt" --tolerant > "$TMP/out" 2> "$TMP/err"
		rc=$?
		[ $rc -ge 2 ] && { crashes=$((crashes + 1)); echo "offset $off: '$cmd --tolerant' exit $rc"; }
		# a file the reader cannot open at all (header hit) still exits 1
		if [ $rc -ne 0 ] && ! grep -q "magic\|header\|section\|not a .pmt\|offset [0-9]*: " "$TMP/err"; then
			notol=$((notol + 1)); echo "offset $off: '$cmd --tolerant' exit $rc: $(head -c 200 "$TMP/err")"
		fi
	done
done
check_eq "no crash and no usage exit on $runs damaged runs" 0 "$crashes"
check_eq "every exit 1 names the damage on stderr" 0 "$silent"
check_eq "--tolerant exits 0 unless the file cannot be opened at all" 0 "$notol"
# a damaged chunk: the report carries a note
cp "$TMP/t.pmt" "$TMP/d.pmt"
printf '\xa5\x5a\xff' | dd of="$TMP/d.pmt" bs=1 seek=$((size / 2)) conv=notrunc status=none
"$A" summary "$TMP/d.pmt" --tolerant > "$TMP/out" 2>/dev/null
check "a damaged chunk: the tolerant report has a note" grep -q "^note: " "$TMP/out"
"$A" summary "$TMP/d.pmt" > "$TMP/out" 2>"$TMP/err"
check_eq "a damaged chunk: exit 1 without --tolerant" 1 $?
check "a damaged chunk: stderr names the offset" grep -q "d.pmt: offset [0-9]*:" "$TMP/err"
finish
