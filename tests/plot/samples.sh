#!/bin/bash
# tests/plot/samples.sh - pmt-plot on the sample traces with pmt-analyze's
# own reports: every figure in every format is a valid file, and the data
# behind it holds what the scenarios are known to contain
# (sample-traces/README.md: lockholder, gang, free; synthetic-mixed).
source "$(dirname "$0")/../lib.sh"
PLOT=$BIN/pmt-plot
SAMPLES=$TOP/sample-traces
unset PMT_ANALYZE

command -v gnuplot >/dev/null || { skip "gnuplot is not installed (apt-get install gnuplot-nox)"; finish; }
command -v pdfinfo >/dev/null || { skip "pdfinfo missing (apt-get install poppler-utils)"; finish; }
for s in lockholder gang free; do
	"$BIN/pmt-synth" "$SAMPLES/$s.synth" -o "$TMP/$s.pmt" || fail "pmt-synth $s"
done
MIXED=$SAMPLES/synthetic-mixed.pmt

png_size() { python3 -c 'import struct,sys; d=open(sys.argv[1],"rb").read(24); print(*struct.unpack(">II", d[16:24])) if d[:8]==b"\x89PNG\r\n\x1a\n" else print("not-png")' "$1"; }
valid() {
	case $1 in
	*.pdf) head -c 5 "$1" | grep -q '^%PDF-' && [ "$(pdfinfo "$1" 2>/dev/null | awk '/^Pages:/ {print $2}')" = 1 ] ;;
	*.svg) python3 -c 'import sys, xml.etree.ElementTree as E; sys.exit(0 if E.parse(sys.argv[1]).getroot().tag.endswith("svg") else 1)' "$1" ;;
	*.png) local s; s=$(png_size "$1"); [ "$s" != not-png ] && [ "${s%% *}" -ge 700 ] ;;
	esac
}
# Which reports this pmt-analyze has (the export arrived later than others).
has_export() { "$BIN/pmt-analyze" export --to csv "$TMP/exp-probe" "$TMP/lockholder.pmt" >/dev/null 2>&1; }
need_export=" timeline vcpus "

# render FIG TRACE STEM: every format, valid files, data kept in $TMP/k-STEM
render() {
	local fig=$1 trace=$2 stem=$3 ext
	if [[ $need_export == *" $fig "* ]] && ! has_export; then
		skip "$fig: pmt-analyze export is not available"
		return 1
	fi
	for ext in pdf svg png; do
		# shellcheck disable=SC2086 # trace may be several files
		if "$PLOT" -q "$fig" $trace -o "$TMP/$stem.$ext" --keep "$TMP/k-$stem"; then
			check "$stem.$ext is valid" valid "$TMP/$stem.$ext"
		else
			fail "$stem.$ext: pmt-plot failed"
			return 1
		fi
	done
}
rows() { grep -c "$1" "$2"; }

# ---- lockholder: 4 vCPUs (host threads 101-104) on 2 pCPUs, guest tasks 11-15
L=$TMP/lockholder.pmt
if render residency "$L" res; then
	d=$TMP/k-res/res-cells.dat
	check_eq "residency: one row per guest task (holder, waiter1-3, helper)" 5 "$(rows '^# lane ' "$d")"
	check_eq "residency: 5 tasks x 4 vCPUs" 20 "$(rows '^[0-9]' "$d")"
	check "residency: holder ran 16 ms, all on vCPU 0" grep -q '^0 0 16 100.000 "100%"' "$d"
fi
"$PLOT" -q residency "$L" -o "$TMP/resh.png" --level host --keep "$TMP/k-resh" &&
	check_eq "residency --level host: vCPU threads and the noise task" 5 \
		"$(rows '^# lane ' "$TMP/k-resh/resh-cells.dat")"
if render cosched "$L" co; then
	d=$TMP/k-co/co-parts.dat
	check_eq "cosched: one bar (guest vm) per part" 5 "$(rows '^[0-9]' "$d")"
	check "cosched: co-running 75% (15 of 20 ms)" grep -q '^0 37.5000 .* 75.0000 "75%" "vm"$' "$d"
	check "cosched: skewed 15%, stalled 10%" \
		bash -c "grep -q ' 15.0000 \"15%\" \"vm\"$' '$d' && grep -q ' 10.0000 \"10%\" \"vm\"$' '$d'"
fi
if render stalls "$L" st; then
	d=$TMP/k-st/st-cdf.dat
	check_eq "stalls: one CDF (guest vm) of 3 stalls" "# guest vm: 3 stalls" "$(grep '^# guest' "$d")"
	check_eq "stalls: CDF points 2 ms (1/3), 3 ms (1)" "2 0|2 0.333333|3 0.666667|3 1.000000" \
		"$(grep '^[0-9]' "$d" | tr '\n' '|' | sed 's/|$//')"
fi
if render latency "$L" lat; then
	d=$TMP/k-lat/lat-split.dat
	check_eq "latency: wakeup and runnable at 2 levels" 4 "$(rows '^# [a-z]* (' "$TMP/k-lat/lat-quantiles.dat")"
	check_eq "latency split: one bar per woken guest task" 4 "$(rows '^[0-9]' "$d")"
	check "latency split: waiter3 waits 2 ms for its vCPU (host delay)" grep -q '^0 0 2 1 "waiter3 14"$' "$d"
	check "latency split: the helper waits 1 ms in the guest" grep -q ' 1 0 1 "helper 15"$' "$d"
fi
if render migrations "$L" mig; then
	d=$TMP/k-mig/mig-rate.dat
	check_eq "migrations: one line per level (host, vm)" 2 "$(rows '^# level ' "$d")"
	check_eq "migrations: the 4 vCPU pCPU changes at the host" 4 \
		"$(awk '/^# level host/{b=1;next} /^# level/{b=0} b && /^[0-9]/ {s+=$3} END {print s}' "$d")"
fi
if render vcpus "$L" vc; then
	d=$TMP/k-vc/vc-lanes.dat
	check_eq "vcpus: one lane per vCPU" 4 "$(rows '^# lane ' "$d")"
	check_eq "vcpus: coloured by 2 pCPUs" 2 "$(rows '^# pCPU ' "$d")"
fi
if render timeline "$L" tl; then
	check_eq "timeline: one lane per guest task" 5 "$(rows '^# lane ' "$TMP/k-tl/tl-lanes.dat")"
	check_eq "timeline: the holder runs on vCPU 0 from 0 to 16 ms" "0 16 0" \
		"$(awk '/^# CPU 0/{b=1;next} /^#/{b=0} b && $3 == 0' "$TMP/k-tl/tl-lanes.dat")"
fi
if [ -f "$TMP/k-vc/vc-runnable.dat" ]; then
	check_eq "vcpus: steal of vCPU0 5-8 ms, vCPU2 0-1 and 9-10, vCPU3 0-2 and 9-11" \
		"0 1 2|0 2 3|5 8 0|9 10 2|9 11 3" \
		"$(grep '^[0-9]' "$TMP/k-vc/vc-runnable.dat" | sort -n | tr '\n' '|' | sed 's/|$//')"
fi
if "$PLOT" -q timeline "$L" --composed -o "$TMP/comp.png" --keep "$TMP/k-comp"; then
	check "timeline --composed: valid" valid "$TMP/comp.png"
	check_eq "--composed: stolen: holder 5-8 ms, waiter2 0-1, waiter3 0-2" "0 1 2|0 2 3|5 8 0" \
		"$(grep '^[0-9]' "$TMP/k-comp/comp-stolen.dat" | sort -n | tr '\n' '|' | sed 's/|$//')"
	check_eq "--composed: the holder on pCPU 0 (0-5 ms) then pCPU 1 (8-16 ms)" "0 5 0|8 16 0" \
		"$(awk '/^# pCPU/{b=1;next} /^#/{b=0} b && $3 == 0 {print $1, $2, $3}' "$TMP/k-comp/comp-lanes.dat" | sort -n | tr '\n' '|' | sed 's/|$//')"
else
	fail "timeline --composed failed"
fi

# ---- gang vs free: the co-scheduling partitions the scripts imply
"$PLOT" -q cosched "$TMP/gang.pmt" -o "$TMP/gang.png" --keep "$TMP/k-gang" &&
	check "gang: co-running and stalled 20 of 44 ms each" \
		bash -c "[ \$(grep -c ' 45.4545 \"45%\" \"vm\"$' '$TMP/k-gang/gang-parts.dat') = 2 ]"
"$PLOT" -q cosched "$TMP/free.pmt" -o "$TMP/free.png" --keep "$TMP/k-free" &&
	check "free: skewed all the time" grep -q ' 100.0000 "100%" "vm"$' "$TMP/k-free/free-parts.dat"

# ---- compare: gang, free and lockholder side by side
if render compare "$TMP/gang.pmt $TMP/free.pmt $L" cmp; then
	d=$TMP/k-cmp/cmp-bars.dat
	check_eq "compare: 5 figures of 3 traces" 15 "$(rows '^[0-9]' "$d")"
	check_eq "compare: co-running gang 45%, free 0%, lockholder 75%" "45.4545 0 75" \
		"$(awk '/^# co-running/{b=1;next} /^#/{b=0} b && /^[0-9]/ {printf "%s ", $2}' "$d" | sed 's/ $//')"
	check_eq "compare: stall time 0, 0 and 8 ms" "0 0 8" \
		"$(awk '/^# stall time/{b=1;next} /^#/{b=0} b && /^[0-9]/ {printf "%s ", $2}' "$d" | sed 's/ $//')"
	check_eq "compare: the lockholder's 3 stalls in its CDF" 4 \
		"$(awk '/^# lockholder/{b=1;next} /^#/{b=0} b && /^[0-9]/' "$TMP/k-cmp/cmp-dist.dat" | wc -l)"
fi
"$PLOT" -q compare "$MIXED" "$SAMPLES/synthetic-pingpong.pmt" -o "$TMP/cmp1.png" --keep "$TMP/k-cmp1" &&
	check_eq "compare (host-only): migrations/s only; pingpong has none" 0 \
		"$(awk '/synthetic-pingpong"$/ {print $2}' "$TMP/k-cmp1/cmp1-bars.dat")"

# ---- host-only sample: only the figures its level allows
out=$("$PLOT" -q all "$MIXED" -o "$TMP/mixed" --format png 2>&1)
for f in residency migrations latency; do
	check "all (host-only): $f.png written and valid" valid "$TMP/mixed/$f.png"
done
for f in vcpus cosched stalls; do
	check "all (host-only): no $f figure" test ! -e "$TMP/mixed/$f.png"
done
"$PLOT" -q residency "$MIXED" -o "$TMP/mres.png" --keep "$TMP/k-mres"
check_eq "residency of 320 tasks: the 16 with the most run time" 16 \
	"$(rows '^# lane ' "$TMP/k-mres/mres-cells.dat")"
"$PLOT" -q residency "$MIXED" -o "$TMP/mres4.png" --top 4 --keep "$TMP/k-mres4"
check_eq "--top 4: 4 rows" 4 "$(rows '^# lane ' "$TMP/k-mres4/mres4-cells.dat")"

# ---- a kept script renders the same figure alone
for s in co st lat; do
	k=$TMP/k-$s
	[ -f "$k/$s.gp" ] || continue
	rm -f "$k/$s.png"
	if (cd "$k" && gnuplot "$s.gp" 2>/dev/null) && [ -s "$k/$s.png" ]; then
		check "$s: the kept script renders the same PNG" cmp -s "$k/$s.png" "$TMP/$s.png"
	else
		fail "$s: the kept script does not render"
	fi
done

finish
