#!/bin/bash
# tests/plot/plot.sh - pmt-plot's options and failure paths, with
# pmt-analyze's reports on traces of a known schedule (tests/plot/mktrace.c):
# every figure in every format is a valid file (PDF header and page count,
# SVG parses, PNG size), the data behind it has the rows the schedule implies
# (lanes = entities, bars = guests), --top/--tasks/--time/--size/--composed
# do what they say, a --keep script renders the same figure with gnuplot
# alone, and a missing, old or failing gnuplot leaves nothing behind.
# (samples.sh checks the figures' contents on the sample traces.)
source "$(dirname "$0")/../lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
PLOT=$BIN/pmt-plot

if ! command -v gnuplot >/dev/null; then
	skip "gnuplot is not installed (apt-get install gnuplot-nox)"
	finish
fi
command -v pdfinfo >/dev/null || { skip "pdfinfo missing (apt-get install poppler-utils)"; finish; }

"$BIN/tests/plot-mktrace" two "$TMP/two.pmt" || fail "mktrace two"
"$BIN/tests/plot-mktrace" one "$TMP/one.pmt" || fail "mktrace one"

unset PMT_ANALYZE # the pmt-analyze beside pmt-plot

# png_size FILE -> "W H" from the IHDR chunk
png_size() { python3 -c 'import struct,sys; d=open(sys.argv[1],"rb").read(24); print(*struct.unpack(">II", d[16:24])) if d[:8]==b"\x89PNG\r\n\x1a\n" else print("not-png")' "$1"; }
pdf_pages() { head -c 5 "$1" | grep -q '^%PDF-' && pdfinfo "$1" 2>/dev/null | awk '/^Pages:/ {print $2}'; }
svg_ok() { python3 -c 'import sys, xml.etree.ElementTree as E; r=E.parse(sys.argv[1]).getroot(); sys.exit(0 if r.tag.endswith("svg") else 1)' "$1"; }

valid() { # FILE: a valid figure of its extension
	case $1 in
	*.pdf) [ "$(pdf_pages "$1")" = 1 ] ;;
	*.svg) svg_ok "$1" ;;
	*.png) local s; s=$(png_size "$1"); [ "$s" != not-png ] && [ "${s%% *}" -gt 100 ] ;;
	esac
}

# ---- every figure the two-level trace allows (each format: samples.sh)
for fig in timeline vcpus residency migrations cosched stalls latency; do
	for ext in png; do
		out=$TMP/$fig.$ext
		if "$PLOT" -q "$fig" "$TMP/two.pmt" -o "$out" --keep "$TMP/keep-$fig"; then
			check "$fig.$ext is a valid $ext" valid "$out"
		else
			fail "$fig.$ext: pmt-plot failed"
		fi
	done
done
check_eq "png of --size single is 3.5 x 2.4 in at 200 dpi" "700 480" "$(png_size "$TMP/migrations.png")"
"$PLOT" -q migrations "$TMP/two.pmt" -o "$TMP/migrations.pdf"
check_eq "pdf of --size single is 3.5 x 2.4 in" "252 172" \
	"$(pdfinfo "$TMP/migrations.pdf" | awk '/^Page size/ {print int($3), int($5)}')"

# ---- the data behind the figures
k=$TMP/keep-timeline
check_eq "timeline: one lane per guest task (6)" 6 "$(grep -c '^# lane ' "$k/timeline-lanes.dat")"
check_eq "timeline: lanes coloured by the 4 vCPUs" 4 "$(grep -c '^# CPU ' "$k/timeline-lanes.dat")"
# schedule: every task changes vCPU at each of its 20 ms slots after the first
n=$(grep -vc '^#' "$k/timeline-marks.dat")
check "timeline: migrations marked ($n)" test "$n" -gt 300
k=$TMP/keep-vcpus
check_eq "vcpus: one lane per vCPU (4)" 4 "$(grep -c '^# lane ' "$k/vcpus-lanes.dat")"
check_eq "vcpus: coloured by the 2 pCPUs" 2 "$(grep -c '^# pCPU ' "$k/vcpus-lanes.dat")"
# each vCPU waits in 2 of every 4 10 ms slots: 100 runnable intervals each
n=$(grep -vc '^#' "$k/vcpus-runnable.dat")
check "vcpus: runnable (steal) intervals between runs, 99 or 100 per vCPU ($n)" \
	test "$n" -ge 396 -a "$n" -le 400
k=$TMP/keep-residency
check_eq "residency: one row per guest task (6)" 6 "$(grep -c '^# lane ' "$k/residency-cells.dat")"
check_eq "residency: 6 tasks x 4 vCPUs cells" 24 "$(grep -vc '^#' "$k/residency-cells.dat")"
k=$TMP/keep-cosched
check_eq "cosched: one bar per guest, 5 parts" 5 "$(grep -c '^[0-9]' "$k/cosched-parts.dat")"
# 4 busy vCPUs, 2 running at any time: skewed but for the 1 us switches and
# the 10 ms before vCPUs 1 and 3 first run (unknown)
check "cosched: the guest is skewed at least 99% of the time" \
	awk '/^# skewed/{b=1;next} /^#/{b=0} b && /^0 / && $7 >= 99 {f=1} END {exit !f}' "$k/cosched-parts.dat"
k=$TMP/keep-migrations
check_eq "migrations: one line per level (host, vm)" 2 "$(grep -c '^# level ' "$k/migrations-rate.dat")"

# (stalls and latency contents: samples.sh, on scenarios with wakeups)

# ---- a kept script renders the same figure with gnuplot alone
for fig in timeline cosched; do
	k=$TMP/keep-$fig
	rm -f "$k/$fig.png"
	if (cd "$k" && gnuplot "$fig.gp" 2>/dev/null) && [ -s "$k/$fig.png" ]; then
		check "$fig: the kept script renders the same PNG" cmp -s "$k/$fig.png" "$TMP/$fig.png"
	else
		fail "$fig: the kept script does not render"
	fi
done

# ---- all: only what the trace's levels allow
out=$("$PLOT" -q all "$TMP/one.pmt" -o "$TMP/all-one" --format pdf,png)
check_eq "all on a host-only trace: timeline, residency, migrations, latency" \
	"timeline.pdf timeline.png residency.pdf residency.png migrations.pdf migrations.png latency.pdf latency.png" \
	"$(echo "$out" | xargs -n1 basename | tr '\n' ' ' | sed 's/ $//')"
for f in "$TMP"/all-one/*; do check "all: $(basename "$f") valid" valid "$f"; done
check_eq "all: no work directory left" "" "$(ls -A "$TMP/all-one" | grep '^\.' || true)"
out=$("$PLOT" -q all "$TMP/two.pmt" -o "$TMP/all-two")
check_eq "all on a two-level trace: 7 figures" 7 "$(echo "$out" | wc -l)"

# ---- selection and sizes
"$PLOT" -q timeline "$TMP/two.pmt" -o "$TMP/top.png" --top 3 --keep "$TMP/k-top"
check_eq "--top 3: 3 lanes" 3 "$(grep -c '^# lane ' "$TMP/k-top/top-lanes.dat")"
"$PLOT" -q timeline "$TMP/two.pmt" -o "$TMP/sel.png" --tasks 1001,worker_5 --keep "$TMP/k-sel"
check_eq "--tasks by tid and name: 2 lanes" "worker_1 worker_5" \
	"$(sed -n 's/^# lane [0-9]*: \([^ ]*\).*/\1/p' "$TMP/k-sel/sel-lanes.dat" | tr '\n' ' ' | sed 's/ $//')"
"$PLOT" -q timeline "$TMP/two.pmt" -o "$TMP/win.png" --time 100ms,300ms --keep "$TMP/k-win"
check "--time: x range is the window" grep -q '^set xrange \[100:300\]' "$TMP/k-win/win.gp"
"$PLOT" -q migrations "$TMP/two.pmt" -o "$TMP/dbl.png" --size double
check_eq "--size double is 7 in wide" "1400 560" "$(png_size "$TMP/dbl.png")"
"$PLOT" -q migrations "$TMP/two.pmt" -o "$TMP/cm.png" --size 8cmx5cm
check_eq "--size 8cmx5cm" "630 393" "$(png_size "$TMP/cm.png")"
"$PLOT" -q timeline "$TMP/two.pmt" -o "$TMP/comp.png" --composed --keep "$TMP/k-comp"
# composed: guest tasks run only while their vCPU's thread runs: half the time
check "--composed: stolen time shaded" test "$(grep -vc '^#' "$TMP/k-comp/comp-stolen.dat")" -gt 0
check "--composed: coloured by pCPU" grep -q '^# pCPU 1' "$TMP/k-comp/comp-lanes.dat"

# ---- names that need quoting in scripts, data files and CSV
"$BIN/tests/plot-mktrace" odd "$TMP/odd.pmt" || fail "mktrace odd"
for fig in timeline residency migrations latency; do
	if "$PLOT" -q "$fig" "$TMP/odd.pmt" -o "$TMP/odd-$fig.svg" --keep "$TMP/k-odd"; then
		check "odd names: $fig.svg valid" valid "$TMP/odd-$fig.svg"
	else
		fail "odd names: $fig failed"
	fi
done
check_eq "odd names: 6 lanes" 6 "$(grep -c '^# lane ' "$TMP/k-odd/odd-timeline-lanes.dat")"
check "odd names: a\"b'c is a lane label" grep -q "a\"b''c 1000" "$TMP/k-odd/odd-timeline.gp"

# ---- gnuplot missing, too old, failing: one line, exit 1, nothing written
mkdir -p "$TMP/fake"
printf '#!/bin/sh\necho "gnuplot 4.6 patchlevel 6"\n' >"$TMP/fake/old"
printf '#!/bin/sh\n[ "$1" = --version ] && { echo "gnuplot 5.4 patchlevel 4"; exit 0; }\necho partial >cosched.pdf; echo "boom" >&2; exit 1\n' >"$TMP/fake/bad"
chmod +x "$TMP/fake/old" "$TMP/fake/bad"
mkdir -p "$TMP/out"
err=$(PMT_GNUPLOT=/nonexistent/gnuplot "$PLOT" cosched "$TMP/two.pmt" -o "$TMP/out/x.pdf" 2>&1); rc=$?
check_eq "gnuplot missing: exit 1" 1 "$rc"
check_eq "gnuplot missing: one line" 1 "$(echo "$err" | wc -l)"
check "gnuplot missing: says how to install" grep -q "apt-get install gnuplot-nox" <<<"$err"
err=$(PMT_GNUPLOT=$TMP/fake/old "$PLOT" cosched "$TMP/two.pmt" -o "$TMP/out/x.pdf" 2>&1); rc=$?
check_eq "gnuplot 4.6: exit 1" 1 "$rc"
check "gnuplot 4.6: too old, how to install" grep -q "4.6 is too old.*apt-get install gnuplot-nox" <<<"$err"
PMT_GNUPLOT=$TMP/fake/bad "$PLOT" cosched "$TMP/two.pmt" -o "$TMP/out/x.pdf" 2>/dev/null; rc=$?
check_eq "gnuplot failing: exit 1" 1 "$rc"
check_eq "gnuplot failing: nothing left in the output directory" "" "$(ls -A "$TMP/out")"
echo old >"$TMP/out/keep.pdf"
PMT_GNUPLOT=$TMP/fake/bad "$PLOT" cosched "$TMP/two.pmt" -o "$TMP/out/keep.pdf" 2>/dev/null
check_eq "gnuplot failing: an existing figure is untouched" old "$(cat "$TMP/out/keep.pdf")"

# killed while gnuplot runs: the work directory goes, nothing is written
printf '#!/bin/sh\n[ "$1" = --version ] && { echo "gnuplot 5.4 patchlevel 4"; exit 0; }\necho $$ >%s\nexec sleep 20\n' "$TMP/slow.pid" >"$TMP/fake/slow"
chmod +x "$TMP/fake/slow"
mkdir -p "$TMP/sig"
PMT_GNUPLOT=$TMP/fake/slow "$PLOT" cosched "$TMP/two.pmt" -o "$TMP/sig/x.pdf" 2>/dev/null &
pid=$!
for _ in $(seq 100); do [ -s "$TMP/slow.pid" ] && break; sleep 0.1; done
check "gnuplot started" test -s "$TMP/slow.pid"
kill -TERM "$pid"
wait "$pid"
check_eq "SIGTERM: nothing left in the output directory" "" "$(ls -A "$TMP/sig")"
check "SIGTERM: gnuplot was stopped too" bash -c "! kill -0 \$(cat '$TMP/slow.pid') 2>/dev/null"

# ---- usage errors and bad input
usage() { "$PLOT" "$@" >/dev/null 2>&1; echo $?; }
check_eq "no arguments: exit 2" 2 "$(usage)"
check_eq "unknown figure: exit 2" 2 "$(usage nosuch "$TMP/two.pmt" -o "$TMP/x.pdf")"
check_eq "unknown extension: exit 2" 2 "$(usage timeline "$TMP/two.pmt" -o "$TMP/x.jpg")"
check_eq "bad --size: exit 2" 2 "$(usage timeline "$TMP/two.pmt" -o "$TMP/x.pdf" --size huge)"
check_eq "bad --time: exit 2" 2 "$(usage timeline "$TMP/two.pmt" -o "$TMP/x.pdf" --time 5ms,1ms)"
check_eq "compare with one trace: exit 2" 2 "$(usage compare "$TMP/two.pmt" -o "$TMP/x.pdf")"
check_eq "timeline with two traces: exit 2" 2 "$(usage timeline "$TMP/two.pmt" "$TMP/one.pmt" -o "$TMP/x.pdf")"
check_eq "--composed elsewhere: exit 2" 2 "$(usage cosched "$TMP/two.pmt" -o "$TMP/x.pdf" --composed)"
check_eq "vcpus on a host-only trace: exit 1" 1 "$(usage vcpus "$TMP/one.pmt" -o "$TMP/x.pdf")"
check_eq "missing trace: exit 1" 1 "$(usage timeline "$TMP/none.pmt" -o "$TMP/x.pdf")"
head -c 100 /dev/urandom >"$TMP/junk.pmt"
check_eq "not a trace: exit 1" 1 "$(usage timeline "$TMP/junk.pmt" -o "$TMP/x.pdf")"
check "--help names every figure" bash -c "'$PLOT' --help | grep -q cosched"

finish
