#!/usr/bin/env python3
"""xen_figures.py FILE HZ: what Xen's own records in a xentrace file say, for
comparison with pmt-analyze on the imported file (tests/xen/analyze.sh).
Independent of pmt: it reads RUNSTATE_CHANGE records per pCPU window and
applies the conventions docs/XEN.md states for the analyses:
 - a vCPU runs on a pCPU from its switch-in (RUNSTATE_CHANGE to running)
   to the next switch-in on that pCPU;
 - before a pCPU's first switch-in, the vCPU its first switch-out names
   runs there from the trace start; after its last switch-in, that vCPU runs
   to the trace end (start and end: the first and last switch-in or wakeup);
 - times in ns: floor((tsc - first tsc of the file) * 1e9 / HZ) per event.
Prints CSV lines:
  run,COMM,CPU,RUN_NS        per vCPU and pCPU (idle vCPUs left out)
  entity,COMM,RUNS,CHANGES   runs (switch-ins, plus one when running at the
                             start) and pCPU changes (switch-ins on another
                             pCPU than the previous run), in TSC order.
  vcpu,DOM,V,RUNNING,RUNNABLE,BLOCKED,UNKNOWN
                             host states of each vCPU, the vcpus report's
                             rules: unknown until the vCPU's first event; a
                             switch-in makes it running; the switch that
                             ends its run (the next switch-in on that pCPU)
                             makes it runnable, or blocked (blocked, offline);
                             a wakeup (blocked/offline -> runnable) runnable.
  cosched,DOM,IDLE,CORUNNING,SKEWED,STALLED,UNKNOWN
                             per domain, busy = running or runnable (no guest
                             trace): no busy vCPU; every busy vCPU running;
                             some; none; some vCPU unknown."""
import collections, struct, sys

data = open(sys.argv[1], 'rb').read()
hz = int(float(sys.argv[2]))
per = collections.defaultdict(list)
first = None
off = 0
while off + 12 <= len(data):
    hdr, cpu, size = struct.unpack_from('<IiI', data, off)
    end, pos, last = off + 12 + size, off + 12, None
    while pos < end:
        h, = struct.unpack_from('<I', data, pos)
        t, n, ev = h >> 31, (h >> 28) & 7, h & 0x0fffffff
        if t:
            last, = struct.unpack_from('<Q', data, pos + 4)
            first = last if first is None else min(first, last)
        if ev & 0xfffff00f == 0x21001 and n >= 1:
            w, = struct.unpack_from('<I', data, pos + 4 + 8 * t)
            dom, v = w >> 16, w & 0xffff
            ent = None if dom == 0x7fff else 'd%dv%d' % (dom, v)
            per[cpu].append((last, (ev >> 8) & 0xf, (ev >> 4) & 0xf, ent))
        pos += 4 + 8 * t + 4 * n
    off = end

def ns(t):
    return (t - first) * 10**9 // hz

times = [ns(t) for l in per.values() for (t, o, nw, e) in l
         if nw == 0 or (nw == 1 and o in (2, 3))]
start, stop = min(times), max(times)
run = collections.Counter()
runs = collections.Counter()
seq = []                        # (tsc, cpu, vcpu) of runs, for pCPU changes
for cpu, l in per.items():
    ins = [(t, e) for (t, o, nw, e) in l if nw == 0]
    outs = [(t, e) for (t, o, nw, e) in l if o == 0 and nw != 0]
    if outs and (not ins or outs[0][0] <= ins[0][0]):
        t0, e0 = outs[0]
        run[(e0, cpu)] += (ns(ins[0][0]) if ins else stop) - start
        runs[e0] += 1
        seq.append((0, cpu, e0))
    for (t, e), nxt in zip(ins, ins[1:] + [(None, None)]):
        run[(e, cpu)] += (ns(nxt[0]) if nxt[0] is not None else stop) - ns(t)
        runs[e] += 1
        seq.append((t, cpu, e))
for (e, cpu), v in sorted(run.items(), key=lambda x: (str(x[0][0]), x[0][1])):
    if e is not None:
        print('run,%s,%d,%d' % (e, cpu, v))
seq.sort(key=lambda x: (x[0], x[1]))
lastcpu, changes = {}, collections.Counter()
for t, cpu, e in seq:
    if e in lastcpu and lastcpu[e] != cpu:
        changes[e] += 1
    lastcpu[e] = cpu
for e in sorted(k for k in runs if k is not None):
    print('entity,%s,%d,%d' % (e, runs[e], changes[e]))

# Host states over time: events (ns, order, vcpu, new state) in TSC order.
events = []
for cpu, l in per.items():
    pending_state = None
    cur = None
    for (t, o, nw, e) in l:
        if o == 0 and nw != 0:
            pending_state = 'runnable' if nw == 1 else 'blocked'
            pending_vcpu = e
        elif nw == 0:
            if pending_state is not None and pending_vcpu is not None:
                events.append((ns(t), t, cpu, 0, pending_vcpu, pending_state))
            pending_state = None
            if e is not None:
                events.append((ns(t), t, cpu, 1, e, 'running'))
        elif nw == 1 and o in (2, 3) and e is not None:
            events.append((ns(t), t, cpu, 2, e, 'runnable'))
events.sort(key=lambda x: (x[1], x[2], x[3]))
state = {}
since = {}
acc = collections.defaultdict(collections.Counter)
doms = collections.defaultdict(set)
for e in runs:
    if e is not None:
        d, v = e[1:].split('v')
        doms[int(d)].add(int(v))

def dom_of(e):
    return int(e[1:].split('v')[0])

cos = collections.defaultdict(collections.Counter)
def classify(d):
    vs = ['d%dv%d' % (d, v) for v in sorted(doms[d])]
    st = [state.get(v) for v in vs]
    if any(x is None for x in st):
        return 'unknown'
    busy = [x for x in st if x in ('running', 'runnable')]
    runningn = sum(1 for x in busy if x == 'running')
    if not busy:
        return 'idle'
    if runningn == len(busy):
        return 'corunning'
    return 'skewed' if runningn else 'stalled'

last_t = start
for (tn, t, cpu, order, e, new) in events:
    for d in doms:
        cos[d][classify(d)] += tn - last_t
    for v in state:
        acc[v][state[v]] += tn - last_t
    last_t = tn
    state[e] = new
for d in doms:
    cos[d][classify(d)] += stop - last_t
for v in state:
    acc[v][state[v]] += stop - last_t
for d in sorted(doms):
    for v in sorted(doms[d]):
        a = acc['d%dv%d' % (d, v)]
        known = a['running'] + a['runnable'] + a['blocked']
        print('vcpu,%d,%d,%d,%d,%d,%d' % (d, v, a['running'], a['runnable'], a['blocked'],
                                          stop - start - known))
    c = cos[d]
    print('cosched,%d,%d,%d,%d,%d,%d' % (d, c['idle'], c['corunning'], c['skewed'],
                                         c['stalled'], c['unknown']))
