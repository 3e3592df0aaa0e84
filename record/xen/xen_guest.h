/*
 * xen_guest.h - the guest side of "both levels in one Xen trace": how a
 * guest agent encodes its scheduler events as HVMOP_xentrace records
 * (docs/XEN.md, "Guest events"). Pure code, no Xen headers: an agent copies
 * the result into struct xen_hvm_xentrace { u16 event, extra_bytes;
 * u8 extra[28]; } and issues hvm_op 11; xen_decode.c reads it back.
 */
#ifndef PMT_XEN_GUEST_H
#define PMT_XEN_GUEST_H

#include <stdint.h>

#include "pmt.h"

struct xen_guest_rec {
	uint16_t event;         /* e: Xen writes TRC_GUEST | e                    */
	uint16_t extra_bytes;   /* 4 * words used                                 */
	uint32_t w[7];          /* host-endian words (the 28 bytes of extra)      */
};

/*
 * Encode ev (a switch, migrate, wakeup, fork, exit, name or lost event of
 * the guest) as written by guest CPU vcpu (< 65536). Returns 0, or
 * PMT_EINVAL for an event the encoding does not carry (exec: send a name;
 * markers, hypervisor events) or a vcpu out of range.
 */
int xen_guest_encode(const struct pmt_event *ev, uint32_t vcpu, struct xen_guest_rec *out);

#endif
