#!/usr/bin/env python3
"""gen_twolevel.py OUT: a small xentrace file carrying both levels, for
tests/xen/twolevel.sh. Host: pCPUs 0 and 1, HVM domain 3 with vCPUs 0 and 1,
and dom0's vCPU 0. Guest (records a guest agent writes with HVMOP_xentrace,
docs/XEN.md): task 77 'worker' runs on vCPU 0, is migrated to vCPU 1, runs
there while vCPU 1 is preempted on pCPU 1 and then runs on pCPU 0, is
migrated back to vCPU 0 and runs there. TSC at 1 GHz (import with
--cpu-hz 1e9: a tick is a ns). Ground truth, in ticks:
  77 runs in the guest [1200,1300) v0, [1700,2600) v1, [3100,3200) v0: 1100
  really on a pCPU: [1200,1300) p0, [1700,2004) p1, [2504,2600) p0,
  [3100,3200) p0: 600 (p0 296, p1 304); stolen [2004,2504): 500
  migrations: 0->1 at 1600 (pCPU from 0, to 1), 1->0 at 2650 (from 0, to 0)
  host: d3v1 changes pCPU once (1 -> 0), d3v0 never."""
import struct, sys

def rec(ev, tsc=None, words=()):
    h = ev | len(words) << 28 | (0x80000000 if tsc is not None else 0)
    b = struct.pack('<I', h)
    if tsc is not None:
        b += struct.pack('<Q', tsc)
    return b + b''.join(struct.pack('<I', w & 0xffffffff) for w in words)

def cswitch(t, pd, pv, to, nd, nv):
    """Xen's records of one context switch; the switch-in is at t + 4."""
    return (rec(0x2800e, t, (pd, pv, 100)) + rec(0x2800f, t + 1, (nd, nv, 10, 0xffffffff)) +
            rec(0x2800a, t + 2, (pd, pv, nd, nv)) + rec(0x21001 | to << 4, t + 3, (pd << 16 | pv,)) +
            rec(0x21101, t + 4, (nd << 16 | nv,)))

def guest(t, e, words):
    """The VM exit of the hypercall (with its TSC), then the guest record."""
    return rec(0x81001, t) + rec(0x0800f000 | e, None, words)

def window(cpu, body):
    return struct.pack('<IiI', 0x2001f003, cpu, len(body)) + body

IDLE, R, B = 0x7fff, 1, 2
comm = struct.unpack('<4I', b'worker'.ljust(16, b'\0'))
p0a = (cswitch(1000, IDLE, 0, R, 3, 0) +                   # d3v0 on p0 from 1004
       guest(1100, 0x006, (0, 77, 77) + comm) +             # name 77 'worker'
       guest(1200, 0x001, (0 | 0 << 16, 0, 77)) +           # v0: idle -> 77
       guest(1300, 0x001, (0 | 0 << 16, 77, 0)))            # v0: 77 (R) -> idle
p1a = (cswitch(1500, IDLE, 1, R, 3, 1) +                   # d3v1 on p1 from 1504
       guest(1600, 0x002, (1, 77, 0, 1)) +                  # migrate 77: v0 -> v1
       guest(1700, 0x001, (1 | 0 << 16, 0, 77)) +           # v1: idle -> 77
       cswitch(2000, 3, 1, R, 0, 0))                        # d0v0 preempts d3v1 on p1
p0b = (cswitch(2500, 3, 0, B, 3, 1) +                      # d3v0 blocks; d3v1 on p0 from 2504
       guest(2600, 0x001, (1 | 0 << 16, 77, 0)) +           # v1: 77 (R) -> idle
       guest(2650, 0x002, (1, 77, 1, 0)) +                  # migrate 77: v1 -> v0
       cswitch(3000, 3, 1, B, 3, 0) +                       # d3v1 blocks; d3v0 on p0 from 3004
       guest(3100, 0x001, (0 | 0 << 16, 0, 77)) +           # v0: idle -> 77
       guest(3200, 0x001, (0 | 1 << 16, 77, 0)) +           # v0: 77 sleeps (S) -> idle
       cswitch(3500, 3, 0, B, IDLE, 0))                     # d3v0 blocks
open(sys.argv[1], 'wb').write(window(0, p0a) + window(1, p1a) + window(0, p0b))
