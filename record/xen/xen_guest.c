/*
 * xen_guest.c - guest events as HVMOP_xentrace records (xen_guest.h); the
 * table of codes and words is docs/XEN.md's and xen_decode.h's.
 */
#include "record/xen/xen_guest.h"
#include "record/xen/xen_decode.h"

#include <string.h>

static uint32_t lo_hi(uint32_t vcpu, uint32_t hi)
{
	return (vcpu & 0xffffu) | (hi & 0xffu) << 16;
}

int xen_guest_encode(const struct pmt_event *ev, uint32_t vcpu, struct xen_guest_rec *out)
{
	memset(out, 0, sizeof(*out));
	if (vcpu > 0xffffu)
		return PMT_EINVAL;
	uint32_t *w = out->w, n;
	switch (ev->type) {
	case PMT_EV_SWITCH:
		out->event = XEN_GEV_SWITCH;
		w[0] = lo_hi(vcpu, ev->u.sw.prev_state);
		w[1] = ev->u.sw.prev_tid;
		w[2] = ev->u.sw.next_tid;
		n = 3;
		break;
	case PMT_EV_MIGRATE:
		out->event = XEN_GEV_MIGRATE;
		w[0] = vcpu;
		w[1] = ev->u.migrate.tid;
		w[2] = ev->u.migrate.from_cpu;
		w[3] = ev->u.migrate.to_cpu;
		n = 4;
		break;
	case PMT_EV_WAKEUP:
		out->event = XEN_GEV_WAKEUP;
		w[0] = lo_hi(vcpu, ev->u.wakeup.flags);
		w[1] = ev->u.wakeup.tid;
		w[2] = ev->u.wakeup.target_cpu;
		w[3] = ev->u.wakeup.waker_tid;
		n = 4;
		break;
	case PMT_EV_FORK:
		out->event = XEN_GEV_FORK;
		w[0] = lo_hi(vcpu, ev->u.fork.flags);
		w[1] = ev->u.fork.parent_tid;
		w[2] = ev->u.fork.child_tid;
		w[3] = ev->u.fork.child_pid;
		n = 4;
		break;
	case PMT_EV_EXIT:
		out->event = XEN_GEV_EXIT;
		w[0] = vcpu;
		w[1] = ev->u.exit.tid;
		n = 2;
		break;
	case PMT_EV_NAME: {
		out->event = XEN_GEV_NAME;
		w[0] = vcpu;
		w[1] = ev->u.name.tid;
		w[2] = ev->u.name.pid;
		uint32_t len = ev->u.name.comm.len < 16 ? ev->u.name.comm.len : 16;
		if (len && ev->u.name.comm.s)
			memcpy(&w[3], ev->u.name.comm.s, len);
		n = 7;
		break;
	}
	case PMT_EV_LOST:
		out->event = XEN_GEV_LOST;
		w[0] = vcpu;
		w[1] = ev->u.lost.count > UINT32_MAX ? UINT32_MAX : (uint32_t)ev->u.lost.count;
		n = 2;
		break;
	default:
		return PMT_EINVAL;
	}
	out->extra_bytes = (uint16_t)(4 * n);
	return 0;
}
