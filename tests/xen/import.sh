#!/bin/bash
# pmt-import xentrace on the real capture and on damaged copies of it, and
# pmt-record --xen away from a Xen dom0. Expected counts come from
# xentrace_count.py, an independent reading of Xen's records.
source "$(dirname "$0")/../lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
CAP=$SHARED/data/xentrace/xen-4.x-credit2-8pcpu.xentrace
EVDUMP=$BIN/tests/evdump
count() { python3 "$HERE/xentrace_count.py" "$@"; }
switches() { "$EVDUMP" "$1" | awk '$1 == 0 && $4 == "switch"' | wc -l; }

# Not a xentrace file, at all: one line, offset 0, exit 1, no output.
printf '#!/bin/sh\necho hello\n' > "$TMP/text"
"$BIN/pmt-import" xentrace "$TMP/text" -o "$TMP/text.pmt" 2> "$TMP/err"
check_eq "text: exit status 1" 1 $?
check_eq "text: one line" 1 "$(wc -l < "$TMP/err")"
check "text: names offset 0 and the record expected" \
	grep -q "^$TMP/text: offset 0: expected a TRC_TRACE_CPU_CHANGE" "$TMP/err"
check "text: no output file" test ! -e "$TMP/text.pmt"
"$BIN/pmt-import" xentrace "$TMP/text" -o "$TMP/text.pmt" --tolerant 2> /dev/null
check_eq "text --tolerant: nothing precedes the damage, exit 1" 1 $?

# Usage errors.
"$BIN/pmt-import" xentrace "$TMP/text" -o "$TMP/x.pmt" --cpu-hz fast 2> /dev/null
check_eq "--cpu-hz fast: exit 2" 2 $?
"$BIN/pmt-import" ftrace "$TMP/text" -o "$TMP/x.pmt" --tolerant 2> /dev/null
check_eq "--tolerant on another format: exit 2" 2 $?

# pmt-record --xen on a machine that is not a dom0.
if grep -qs control_d /proc/xen/capabilities; then
	skip "pmt-record --xen away from dom0: this machine is a Xen dom0"
else
	"$BIN/pmt-record" --xen -o "$TMP/live.pmt" --duration 1 2> "$TMP/err"
	check_eq "pmt-record --xen off dom0: exit 1" 1 $?
	check "pmt-record --xen off dom0: says so" grep -q "not a Xen dom0" "$TMP/err"
	check "pmt-record --xen off dom0: no output file" test ! -e "$TMP/live.pmt"
fi

if [ ! -r "$CAP" ]; then
	skip "the real capture is absent ($CAP): import checks not run"
	finish
fi
size=$(stat -c %s "$CAP")

# The whole capture: every switch-in Xen wrote is a switch in the file.
"$BIN/pmt-import" xentrace "$CAP" -o "$TMP/all.pmt" --cpu-hz 2.4e9 2> "$TMP/err"
check_eq "capture: exit status 0" 0 $?
read -r _ wins _ sw _ _ <<< "$(count "$CAP")"
check_eq "capture: 187 windows" 187 "$wins"
check_eq "capture: switches = Xen's switch-ins" "$sw" "$(switches "$TMP/all.pmt")"

# Without RUNSTATE_CHANGE records (a trace mask of TRC_SCHED_VERBOSE only),
# the SWITCH records give the same switches: same pCPU, previous and next
# vCPU, in the same order (their states are guessed from BLOCK/SLEEP).
python3 - "$CAP" "$TMP/noruns.xt" <<'PY'
import struct, sys
d = open(sys.argv[1], 'rb').read()
out, off = bytearray(), 0
while off < len(d):
    h, cpu, size = struct.unpack_from('<IiI', d, off)
    body, pos, end = bytearray(), off + 12, off + 12 + size
    while pos < end:
        w, = struct.unpack_from('<I', d, pos)
        n, ev = 4 + 8 * (w >> 31) + 4 * ((w >> 28) & 7), w & 0x0fffffff
        if ev & 0xfffff00f != 0x21001 and ev != 0x21002:
            body += d[pos:pos + n]
        pos += n
    out += struct.pack('<IiI', h, cpu, len(body)) + body
    off = end
open(sys.argv[2], 'wb').write(out)
PY
"$BIN/pmt-import" xentrace "$TMP/noruns.xt" -o "$TMP/noruns.pmt" 2> /dev/null
check_eq "SWITCH records only: exit status 0" 0 $?
sw_of() { "$EVDUMP" "$1" | awk '$1 == 0 && $4 == "switch" {print $2, $5, $7}'; }
check_eq "SWITCH records only: the same switches in the same order" \
	"$(sw_of "$TMP/all.pmt" | md5sum)" "$(sw_of "$TMP/noruns.pmt" | md5sum)"

# Truncated inside a window: exit 1 with the window's size field offset;
# --tolerant keeps every switch-in of the whole records before the cut.
cut=$((size / 2 + 1))
head -c $cut "$CAP" > "$TMP/cut.xt"
read -r _ _ _ sw_cut _ off <<< "$(count "$CAP" $cut)"
"$BIN/pmt-import" xentrace "$TMP/cut.xt" -o "$TMP/cut.pmt" 2> "$TMP/err"
check_eq "truncated: exit status 1" 1 $?
check_eq "truncated: one line" 1 "$(wc -l < "$TMP/err")"
check "truncated: offset $off and the cause" \
	grep -q "offset $off: window size [0-9]* reaches past the end" "$TMP/err"
check "truncated: no output file" test ! -e "$TMP/cut.pmt"
"$BIN/pmt-import" xentrace "$TMP/cut.xt" -o "$TMP/cut.pmt" --tolerant 2> "$TMP/err"
check_eq "truncated --tolerant: exit status 0" 0 $?
check "truncated --tolerant: says what it kept" grep -q "offset $off: .*kept what precedes" "$TMP/err"
check_eq "truncated --tolerant: the switch-ins before the cut" "$sw_cut" "$(switches "$TMP/cut.pmt")"

# A window size past the end of the file, in the middle of it.
# (the 100th window's size field; the script prints its offset)
off=$(python3 - "$CAP" "$TMP/big.xt" <<'PY'
import struct, sys
d = bytearray(open(sys.argv[1], 'rb').read())
off = 0
for _ in range(99):
    off += 12 + struct.unpack_from('<I', d, off + 8)[0]
struct.pack_into('<I', d, off + 8, 0x7fffffff)
open(sys.argv[2], 'wb').write(d)
print(off + 8)
PY
)
"$BIN/pmt-import" xentrace "$TMP/big.xt" -o "$TMP/big.pmt" 2> "$TMP/err"
check_eq "window past the end: exit status 1" 1 $?
check "window past the end: offset $off" grep -q "offset $off: window size 2147483647 reaches past the end" "$TMP/err"
finish
