#!/usr/bin/env python3
"""xentrace_count.py FILE [LIMIT]: independent reading of a xentrace file for
the Xen script tests. Prints 'windows N switchins N' counted from Xen's own
records (RUNSTATE_CHANGE to running), over whole records that end before
byte LIMIT (default: the whole file), and 'cut OFF' = the offset of the size
field of the window that LIMIT falls in (or -1)."""
import struct, sys

data = open(sys.argv[1], 'rb').read()
limit = int(sys.argv[2]) if len(sys.argv) > 2 else len(data)
off, windows, switchins, cut = 0, 0, 0, -1
while off + 12 <= limit:
    hdr, cpu, size = struct.unpack_from('<IiI', data, off)
    if hdr != 0x2001f003:
        break
    start, end = off + 12, off + 12 + size
    if end > limit:
        cut = off + 8
    windows += 1
    pos = start
    while pos + 4 <= min(end, limit):
        h, = struct.unpack_from('<I', data, pos)
        n = 4 + 8 * (h >> 31) + 4 * ((h >> 28) & 7)
        if pos + n > min(end, limit):
            break
        ev = h & 0x0fffffff
        if ev & 0xfffff00f == 0x21001 and (ev >> 4) & 0xf == 0:
            switchins += 1
        pos += n
    off = end
print('windows %d switchins %d cut %d' % (windows, switchins, cut))
