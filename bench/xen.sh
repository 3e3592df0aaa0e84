#!/bin/bash
# bench/xen.sh - the real xentrace capture: pmt-import xentrace and
# pmt-analyze on its output against xenalyze --summary on the capture, side
# by side in one run (medians of N runs; ratios pmt / xenalyze). Not a test.
#   XENALYZE=/path/to/xenalyze  Xen's analyzer (tools/xentrace in Xen's
#                               source; not part of pmt). Without it only
#                               pmt's figures are printed.
#   N=15                        runs per command
#   PMT_SHARED=../shared        where data/xentrace/ is
set -u
O=${O:-build}
TOP=$(cd "$(dirname "$0")/.." && pwd)
BIN=$TOP/$O
SHARED=${PMT_SHARED:-$TOP/../shared}
CAP=$SHARED/data/xentrace/xen-4.x-credit2-8pcpu.xentrace
N=${N:-15}
XENALYZE=${XENALYZE:-$(command -v xenalyze || true)}
[ -r "$CAP" ] || { echo "bench-xen: the capture is absent ($CAP)"; exit 0; }
TMP=$(mktemp -d /tmp/pmt-bench-xen.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

calc() { awk "BEGIN {printf \"%.3f\", $1}"; }

# "WALL CPU": medians in ms of N runs of a shell command line, wall-clock
# time and CPU time (perf stat's task-clock, children included, when perf
# works here, else "-"). CPU time is what to compare on a shared machine.
HAVE_PERF=$(perf stat -x, -e task-clock true 2>&1 | grep -q task-clock && echo 1)
median_ms() {
	local i t0 t1 c ws=() cs=()
	for ((i = 0; i < N; i++)); do
		t0=$(date +%s%N)
		if [ -n "$HAVE_PERF" ]; then
			c=$(perf stat -x, -e task-clock -o "$TMP/perf" sh -c "$1" > /dev/null 2>&1;
			    awk -F, '/task-clock/ {print $1}' "$TMP/perf")
			cs+=("$c")
		else
			sh -c "$1" > /dev/null 2>&1
		fi
		t1=$(date +%s%N)
		ws+=($(((t1 - t0) / 1000)))
	done
	local w c_med=-
	w=$(printf '%s\n' "${ws[@]}" | sort -n | awk '{a[NR] = $1} END {printf "%.2f", a[int((NR + 1) / 2)] / 1000}')
	[ -n "$HAVE_PERF" ] && c_med=$(printf '%s\n' "${cs[@]}" | sort -g | awk '{a[NR] = $1} END {printf "%.2f", a[int((NR + 1) / 2)]}')
	echo "$w $c_med"
}

IMPORT="'$BIN/pmt-import' xentrace '$CAP' -o '$TMP/cap.pmt'"
AFFINITY="'$BIN/pmt-analyze' affinity '$TMP/cap.pmt'"
SUMMARY="'$BIN/pmt-analyze' summary '$TMP/cap.pmt'"
size=$(stat -c %s "$CAP")
records=$("$BIN/pmt-import" xentrace "$CAP" -o "$TMP/cap.pmt" -v 2>&1 |
	sed -n 's/.* windows, .* pCPUs, \([0-9]*\) records .*/\1/p')

read -r w_imp c_imp <<< "$(median_ms "$IMPORT")"
read -r w_sum c_sum <<< "$(median_ms "$SUMMARY")"
read -r w_aff c_aff <<< "$(median_ms "$AFFINITY")"
read -r w_both c_both <<< "$(median_ms "$IMPORT && $AFFINITY")"
echo "capture: $size bytes, $records records, .pmt $(stat -c %s "$TMP/cap.pmt") bytes; median of $N runs"
printf '%-36s %10s %10s\n' "" "wall ms" "CPU ms"
row() { printf '%-36s %10s %10s\n' "$1" "$2" "$3"; }
row "pmt-import xentrace" "$w_imp" "$c_imp"
row "pmt-analyze summary (on the .pmt)" "$w_sum" "$c_sum"
row "pmt-analyze affinity (on the .pmt)" "$w_aff" "$c_aff"
row "import + affinity" "$w_both" "$c_both"
t=$c_imp
[ "$t" = - ] && t=$w_imp
printf 'import speed: %.1f MB/s, %.2f M records/s (%s time)\n' "$(calc "$size / $t / 1000")" \
	"$(calc "$records / $t / 1000")" "$([ "$c_imp" = - ] && echo wall || echo CPU)"
if [ -z "$XENALYZE" ] || [ ! -x "$XENALYZE" ]; then
	echo "xenalyze: not found (set XENALYZE=path to compare)"
	exit 0
fi
read -r w_xa c_xa <<< "$(median_ms "'$XENALYZE' --summary '$CAP'")"
row "xenalyze --summary" "$w_xa" "$c_xa"
printf '%-36s %10s %10s\n' "ratio import / xenalyze" "$(calc "$w_imp / $w_xa")" \
	"$([ "$c_imp" = - ] && echo - || calc "$c_imp / $c_xa")"
printf '%-36s %10s %10s\n' "ratio import + affinity / xenalyze" "$(calc "$w_both / $w_xa")" \
	"$([ "$c_both" = - ] && echo - || calc "$c_both / $c_xa")"
printf '%-36s %10s %10s\n' "ratio affinity / xenalyze" "$(calc "$w_aff / $w_xa")" \
	"$([ "$c_aff" = - ] && echo - || calc "$c_aff / $c_xa")"
