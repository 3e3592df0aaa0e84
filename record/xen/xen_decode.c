/*
 * xen_decode.c - Xen trace records to pmt events (see xen_decode.h).
 *
 * One context switch on a pCPU, as Xen 4.x writes it (runstate mode):
 *
 *   SWITCH_INFPREV  SWITCH_INFNEXT  SWITCH [p, n]  RUNSTATE p running->X  RUNSTATE n ->running
 *                                   |               |                      |
 *                                   sw_prev/next    out_tid/out_state      emit SWITCH(p, X, n)
 *
 * The switch is emitted at the switch-in (the time the next vCPU runs from),
 * with the previous vCPU from the pending switch-out, else from the SWITCH
 * record, else from what is known to run on the pCPU, else idle. Without
 * RUNSTATE_CHANGE records (a trace mask of TRC_SCHED_VERBOSE only) the
 * SWITCH record makes the switch, and BLOCK/SLEEP records say whether the
 * previous vCPU was blocked.
 */
#include "record/xen/xen_decode.h"

#include <stdlib.h>
#include <string.h>

#define NDOM 0x8000u

uint32_t xen_entity(uint32_t dom, uint32_t vcpu)
{
	dom &= 0xffffu;
	if (dom == XEN_DOMID_IDLE)
		return PMT_TID_IDLE;
	return PMT_XEN_ENTITY(dom, vcpu);
}

int xen_decoder_init(struct xen_decoder *d, uint32_t ncpus, int use_runstate,
		     xen_emit_fn emit, void *opaque)
{
	memset(d, 0, sizeof(*d));
	d->emit = emit;
	d->opaque = opaque;
	d->use_runstate = use_runstate;
	d->ncpus = ncpus;
	d->pcpu = calloc(ncpus ? ncpus : 1, sizeof(*d->pcpu));
	d->dom = calloc(NDOM, sizeof(*d->dom));
	d->guest_level = calloc(NDOM, sizeof(*d->guest_level));
	d->guest_level_ncpus = calloc(NDOM, sizeof(*d->guest_level_ncpus));
	if (!d->pcpu || !d->dom || !d->guest_level || !d->guest_level_ncpus) {
		xen_decoder_release(d);
		return PMT_ENOMEM;
	}
	return 0;
}

void xen_decoder_release(struct xen_decoder *d)
{
	if (d->dom)
		for (uint32_t i = 0; i < NDOM; i++) {
			free(d->dom[i].vcpu);
			free(d->dom[i].guest_last);
		}
	free(d->dom);
	free(d->pcpu);
	free(d->guest_level);
	free(d->guest_level_ncpus);
	memset(d, 0, sizeof(*d));
}

void xen_decoder_set_guest_level(struct xen_decoder *d, uint16_t dom, uint16_t level,
				 uint32_t ncpus)
{
	if (dom < NDOM) {
		d->guest_level[dom] = level;
		d->guest_level_ncpus[dom] = ncpus;
	}
}

const struct xen_domain_info *xen_decoder_domain(const struct xen_decoder *d, uint16_t dom)
{
	if (dom >= NDOM || !d->dom[dom].nvcpu)
		return NULL;
	return &d->dom[dom];
}

/* Bounds on what a damaged file can make the decoder allocate: Xen gives a
 * domain at most a few thousand vCPUs. */
#define MAX_VCPU_ID 8191u
#define MAX_VCPU_ENTRIES (1u << 20)

/* The vCPU's entry, created on first sight; NULL on a bad id or no memory. */
static struct xen_vcpu_info *vcpu_get(struct xen_decoder *d, uint32_t dom, uint32_t vcpu)
{
	if (dom >= NDOM || vcpu > MAX_VCPU_ID)
		return NULL;
	struct xen_domain_info *di = &d->dom[dom];
	if (vcpu >= di->nvcpu) {
		uint32_t n = vcpu + 1;
		if (d->vcpu_entries + (n - di->nvcpu) > MAX_VCPU_ENTRIES)
			return NULL;
		struct xen_vcpu_info *v = realloc(di->vcpu, n * sizeof(*v));
		if (!v)
			return NULL;
		d->vcpu_entries += n - di->nvcpu;
		for (uint32_t i = di->nvcpu; i < n; i++)
			v[i] = (struct xen_vcpu_info){ .last_pcpu = -1, .runstate = 0xff };
		di->vcpu = v;
		di->nvcpu = n;
	}
	di->vcpu[vcpu].seen = 1;
	return &di->vcpu[vcpu];
}

static uint32_t state_of(uint32_t runstate)
{
	switch (runstate) {
	case XEN_RUNSTATE_RUNNABLE: return PMT_STATE_RUNNABLE;
	case XEN_RUNSTATE_BLOCKED: return PMT_STATE_SLEEPING;
	case XEN_RUNSTATE_OFFLINE: return PMT_STATE_OFFLINE;
	default: return PMT_STATE_OTHER;
	}
}

static int emit(struct xen_decoder *d, struct pmt_event *ev)
{
	if (ev->level == 0 && ev->cpu < d->ncpus)
		d->pcpu[ev->cpu].last_ts = ev->ts;
	return d->emit ? d->emit(d->opaque, ev) : 0;
}

static struct pmt_event host_event(const struct xen_rec *r, uint16_t type)
{
	struct pmt_event ev;
	memset(&ev, 0, sizeof(ev));
	ev.ts = r->tsc;
	ev.level = 0;
	ev.type = type;
	ev.cpu = r->cpu;
	return ev;
}

/* Emit the switch to (ndom, nvcpu) on r's pCPU, from what is pending. */
static int do_switch(struct xen_decoder *d, const struct xen_rec *r, uint64_t ts,
		     uint32_t ndom, uint32_t nvcpu)
{
	struct xen_pcpu_state *p = &d->pcpu[r->cpu];
	uint32_t next = xen_entity(ndom, nvcpu);
	uint32_t prev, state;
	if (p->out_valid) {
		prev = p->out_tid;
		state = p->out_state;
	} else if (p->sw_valid && p->sw_next == next) {
		prev = p->sw_prev;
		state = PMT_STATE_RUNNABLE;
	} else if (p->cur_known) {
		prev = p->cur;
		state = PMT_STATE_RUNNABLE;
	} else {
		prev = PMT_TID_IDLE;
		state = PMT_STATE_RUNNABLE;
	}
	if (!d->use_runstate && prev != PMT_TID_IDLE) {
		/* Blocked or asleep since it ran: not runnable. */
		struct xen_vcpu_info *pv = vcpu_get(d, (prev >> 16) & 0x7fffu, prev & 0xffffu);
		if (pv && pv->blocked_hint)
			state = PMT_STATE_SLEEPING;
	}
	p->out_valid = 0;
	p->sw_valid = 0;
	p->cur = next;
	p->cur_known = 1;
	p->cur_dom = (uint16_t)ndom;
	p->cur_vcpu = (uint16_t)nvcpu;
	struct xen_vcpu_info *nv = vcpu_get(d, ndom & 0xffffu, nvcpu);
	if (nv) {
		nv->last_pcpu = (int32_t)r->cpu;
		nv->runstate = XEN_RUNSTATE_RUNNING;
		nv->blocked_hint = 0;
	}
	if (prev == next)
		return 0;
	struct pmt_event ev = host_event(r, PMT_EV_SWITCH);
	ev.ts = ts;
	ev.u.sw.prev_tid = prev;
	ev.u.sw.prev_state = state;
	ev.u.sw.next_tid = next;
	d->st.switches++;
	return emit(d, &ev);
}

static int do_wakeup(struct xen_decoder *d, const struct xen_rec *r, uint32_t dom,
		     uint32_t vcpu, struct xen_vcpu_info *v)
{
	if ((dom & 0xffffu) == XEN_DOMID_IDLE)
		return 0;
	struct xen_pcpu_state *p = &d->pcpu[r->cpu];
	struct pmt_event ev = host_event(r, PMT_EV_WAKEUP);
	ev.u.wakeup.tid = xen_entity(dom, vcpu);
	ev.u.wakeup.target_cpu = v && v->last_pcpu >= 0 ? (uint32_t)v->last_pcpu : r->cpu;
	ev.u.wakeup.waker_tid = p->cur_known ? p->cur : PMT_TID_IDLE;
	ev.u.wakeup.flags = PMT_WAKE_WAKING;
	d->st.wakeups++;
	return emit(d, &ev);
}

static int runstate_change(struct xen_decoder *d, const struct xen_rec *r)
{
	if (r->nextra < 1) {
		d->st.malformed++;
		return 0;
	}
	uint32_t from = (r->event >> 8) & 0xfu, to = (r->event >> 4) & 0xfu;
	uint32_t dom = r->extra[0] >> 16, vcpu = r->extra[0] & 0xffffu;
	struct xen_pcpu_state *p = &d->pcpu[r->cpu];
	struct xen_vcpu_info *v = vcpu_get(d, dom, vcpu);
	uint32_t tid = xen_entity(dom, vcpu);
	if (!d->use_runstate)
		return 0;
	if (from == XEN_RUNSTATE_RUNNING && to != XEN_RUNSTATE_RUNNING) {
		if (p->cur_known && p->cur != tid)
			d->st.inconsistent++;
		p->out_valid = 1;
		p->out_tid = tid;
		p->out_state = state_of(to);
		if (v)
			v->runstate = (uint8_t)to;
		return 0;
	}
	if (to == XEN_RUNSTATE_RUNNING)
		return do_switch(d, r, r->tsc, dom, vcpu);
	if (v)
		v->runstate = (uint8_t)to;
	if (to == XEN_RUNSTATE_RUNNABLE &&
	    (from == XEN_RUNSTATE_BLOCKED || from == XEN_RUNSTATE_OFFLINE))
		return do_wakeup(d, r, dom, vcpu, v);
	/* Blocked <-> offline, runnable -> blocked/offline away from a pCPU:
	 * no pmt event says it (docs/XEN.md). */
	d->st.idle_changes++;
	return 0;
}

/* A SWITCH-only trace: the SWITCH record is the switch. */
static int switch_record(struct xen_decoder *d, const struct xen_rec *r)
{
	if (r->nextra < 4) {
		d->st.malformed++;
		return 0;
	}
	struct xen_pcpu_state *p = &d->pcpu[r->cpu];
	uint32_t pdom = r->extra[0], pv = r->extra[1], ndom = r->extra[2], nv = r->extra[3];
	vcpu_get(d, pdom & 0xffffu, pv & 0xffffu);
	if (d->use_runstate) {
		p->sw_valid = 1;
		p->sw_prev = xen_entity(pdom, pv);
		p->sw_next = xen_entity(ndom, nv);
		p->sw_ts = r->tsc;
		return 0;
	}
	p->out_valid = 0;
	p->sw_valid = 1;
	p->sw_prev = xen_entity(pdom, pv);
	p->sw_next = xen_entity(ndom, nv);
	if (p->cur_known && p->cur != p->sw_prev)
		d->st.inconsistent++;
	return do_switch(d, r, r->tsc, ndom & 0xffffu, nv & 0xffffu);
}

static int lost_records(struct xen_decoder *d, const struct xen_rec *r)
{
	struct xen_pcpu_state *p = &d->pcpu[r->cpu];
	d->st.lost_records++;
	uint64_t count = r->nextra >= 1 ? r->extra[0] : 0;
	d->st.lost_events += count;
	struct pmt_event ev = host_event(r, PMT_EV_LOST);
	ev.u.lost.count = count;
	if (r->nextra >= 4) {
		/* The gap runs from the first lost record to this one; it never
		 * starts before what this pCPU wrote last (the stream stays in
		 * time order). */
		uint64_t first = (uint64_t)r->extra[2] | (uint64_t)r->extra[3] << 32;
		if (first <= r->tsc) {
			ev.ts = first > p->last_ts ? first : p->last_ts;
			if (ev.ts > r->tsc)
				ev.ts = r->tsc;
			ev.u.lost.span = r->tsc - ev.ts;
		}
	}
	p->out_valid = 0;
	p->sw_valid = 0;
	p->cur_known = 0;
	if (r->nextra >= 2) {
		/* Xen names the vCPU running when it wrote the record. */
		uint32_t dom = r->extra[1] & 0xffffu, vcpu = r->extra[1] >> 16;
		p->cur = xen_entity(dom, vcpu);
		p->cur_dom = (uint16_t)dom;
		p->cur_vcpu = (uint16_t)vcpu;
		p->cur_known = 1;
	}
	return emit(d, &ev);
}

static int guest_record(struct xen_decoder *d, const struct xen_rec *r)
{
	uint32_t e = r->event & 0xfffu;
	struct xen_pcpu_state *p = &d->pcpu[r->cpu];
	if (e == 0 || e > XEN_GEV_PMT_MAX || r->nextra < 1 || !p->cur_known ||
	    p->cur == PMT_TID_IDLE) {
		d->st.guest_dropped++;
		return 0;
	}
	uint32_t dom = p->cur_dom, vcpu = r->extra[0] & 0xffffu, hi = r->extra[0] >> 16;
	if (dom >= NDOM) {              /* not a domain id Xen gives out */
		d->st.guest_dropped++;
		return 0;
	}
	struct xen_domain_info *di = &d->dom[dom];
	di->guest_records++;
	if (vcpu + 1 > di->guest_ncpus)
		di->guest_ncpus = vcpu + 1;
	if (vcpu != p->cur_vcpu)
		d->st.guest_vcpu_mismatch++;
	uint16_t level = d->guest_level[dom];
	if (level == 0 || vcpu >= d->guest_level_ncpus[dom]) {
		d->st.guest_dropped++;
		return 0;
	}
	static const uint8_t words[] = { 0, 3, 4, 4, 4, 2, 7, 2 };
	if (e >= sizeof(words) || r->nextra < words[e]) {
		d->st.guest_dropped++;
		return 0;
	}
	if (di->nguest_last <= vcpu) {
		uint32_t n = d->guest_level_ncpus[dom];
		uint64_t *gl = realloc(di->guest_last, n * sizeof(*gl));
		if (!gl)
			return PMT_ENOMEM;
		memset(gl + di->nguest_last, 0, (n - di->nguest_last) * sizeof(*gl));
		di->guest_last = gl;
		di->nguest_last = n;
	}
	struct pmt_event ev;
	memset(&ev, 0, sizeof(ev));
	ev.ts = r->tsc;
	if (ev.ts < di->guest_last[vcpu]) {
		/* Only a live merge can release a record after a later one of
		 * another pCPU; the stream must not go backwards. */
		ev.ts = di->guest_last[vcpu];
		d->st.guest_late++;
	}
	di->guest_last[vcpu] = ev.ts;
	ev.level = level;
	ev.cpu = vcpu;
	const uint32_t *w = r->extra;
	char comm[17];
	switch (e) {
	case XEN_GEV_SWITCH:
		ev.type = PMT_EV_SWITCH;
		ev.u.sw.prev_state = hi < PMT_STATE_MAX_ ? hi : PMT_STATE_OTHER;
		ev.u.sw.prev_tid = w[1];
		ev.u.sw.next_tid = w[2];
		break;
	case XEN_GEV_MIGRATE:
		ev.type = PMT_EV_MIGRATE;
		ev.u.migrate.tid = w[1];
		ev.u.migrate.from_cpu = w[2];
		ev.u.migrate.to_cpu = w[3];
		break;
	case XEN_GEV_WAKEUP:
		ev.type = PMT_EV_WAKEUP;
		ev.u.wakeup.flags = hi;
		ev.u.wakeup.tid = w[1];
		ev.u.wakeup.target_cpu = w[2];
		ev.u.wakeup.waker_tid = w[3];
		break;
	case XEN_GEV_FORK:
		ev.type = PMT_EV_FORK;
		ev.u.fork.flags = hi;
		ev.u.fork.parent_tid = w[1];
		ev.u.fork.child_tid = w[2];
		ev.u.fork.child_pid = w[3];
		break;
	case XEN_GEV_EXIT:
		ev.type = PMT_EV_EXIT;
		ev.u.exit.tid = w[1];
		break;
	case XEN_GEV_NAME:
		ev.type = PMT_EV_NAME;
		ev.u.name.tid = w[1];
		ev.u.name.pid = w[2];
		memcpy(comm, &w[3], 16);
		comm[16] = 0;
		ev.u.name.comm.s = comm;
		ev.u.name.comm.len = (uint32_t)strlen(comm);
		break;
	case XEN_GEV_LOST:
		ev.type = PMT_EV_LOST;
		ev.u.lost.count = w[1];
		break;
	}
	d->st.guest_events++;
	p->guest_open++;
	return emit(d, &ev);
}

int xen_decoder_feed(struct xen_decoder *d, const struct xen_rec *r)
{
	if (r->cpu >= d->ncpus)
		return PMT_EINVAL;
	d->st.records++;
	if (!r->has_tsc) {
		d->st.no_tsc++;
	} else {
		/* Guest events took the previous TSC; this one bounds them. */
		struct xen_pcpu_state *g = &d->pcpu[r->cpu];
		if (g->guest_open) {
			uint64_t gap = r->tsc - g->guest_tsc;
			if (gap > d->st.guest_slack_max)
				d->st.guest_slack_max = gap;
			d->st.guest_slack_sum += gap * g->guest_open;
			g->guest_open = 0;
		}
		g->guest_tsc = r->tsc;
	}
	uint32_t ev = r->event;
	if ((ev & XEN_TRC_RUNSTATE_MASK) == XEN_TRC_RUNSTATE_BASE)
		return runstate_change(d, r);
	if ((ev & XEN_TRC_CLASS_MASK) == XEN_TRC_GUEST)
		return guest_record(d, r);
	struct xen_pcpu_state *p = &d->pcpu[r->cpu];
	switch (ev) {
	case XEN_TRC_LOST_RECORDS:
		return lost_records(d, r);
	case XEN_TRC_WRAP_BUFFER:
		d->st.wrap_records++;
		return 0;
	case XEN_TRC_SWITCH:
		return switch_record(d, r);
	case XEN_TRC_CONTINUE_RUNNING:
		if (r->nextra >= 1 && !p->cur_known) {
			uint32_t dom = r->extra[0] >> 16, vcpu = r->extra[0] & 0xffffu;
			p->cur = xen_entity(dom, vcpu);
			p->cur_dom = (uint16_t)dom;
			p->cur_vcpu = (uint16_t)vcpu;
			p->cur_known = 1;
		}
		return 0;
	case XEN_TRC_SLEEP:
	case XEN_TRC_BLOCK:
	case XEN_TRC_WAKE:
		if (r->nextra < 2) {
			d->st.malformed++;
			return 0;
		} else {
			struct xen_vcpu_info *v = vcpu_get(d, r->extra[0] & 0xffffu,
							   r->extra[1] & 0xffffu);
			if (d->use_runstate || !v)
				return 0;
			if (ev != XEN_TRC_WAKE) {
				v->blocked_hint = 1;
				return 0;
			}
			if (!v->blocked_hint)
				return 0;
			v->blocked_hint = 0;
			return do_wakeup(d, r, r->extra[0] & 0xffffu, r->extra[1] & 0xffffu, v);
		}
	default:
		d->st.skipped++;
		return 0;
	}
}
