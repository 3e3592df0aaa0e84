/*
 * tl_stall.c - synchronization stalls (tl_int.h): each guest task keeps its
 * last TL_RING stolen episodes; the stall of a blocked interval [t0, t1]
 * ended by waker w is its overlap with w's episodes (and w's open one).
 */
#include "analyze/twolevel/tl_int.h"

#include <string.h>

void tl_ring_push(struct tl_task *k, const struct tl_episode *ep)
{
	if (k->ring_n == TL_RING) {
		struct tl_episode *old = &k->ring[k->ring_head];
		if (old->t1 > k->evicted_end)
			k->evicted_end = old->t1;
		k->ring[k->ring_head] = *ep;
		k->ring_head = (k->ring_head + 1) % TL_RING;
	} else {
		k->ring[(k->ring_head + k->ring_n) % TL_RING] = *ep;
		k->ring_n++;
	}
}

static int64_t overlap(int64_t a0, int64_t a1, int64_t b0, int64_t b1)
{
	int64_t lo = a0 > b0 ? a0 : b0, hi = a1 < b1 ? a1 : b1;
	return hi > lo ? hi - lo : 0;
}

static void worst_add(struct tl *t, const struct tl_stall *s)
{
	if (!t->worst)
		return;
	if (t->nworst < t->o.worst) {
		t->worst[t->nworst++] = *s;
		return;
	}
	int min = 0;
	for (int i = 1; i < t->nworst; i++)
		if (t->worst[i].stall_ns < t->worst[min].stall_ns)
			min = i;
	if (s->stall_ns > t->worst[min].stall_ns)
		t->worst[min] = *s;
}

/* p's blocked interval [p->since, now] ends with a wakeup by waker. */
void tl_blocked_end(struct tl *t, struct tl_guest *g, struct tl_task *p, uint32_t waker)
{
	int64_t t0 = p->since, t1 = t->now;
	int lossy = tl_lossy_since(t, g, t0);
	if (t1 >= t->o.t_lo && t1 <= t->o.t_hi) {
		p->blocked_count++;
		p->woken_count++;
		if (!lossy)
			p->blocked_ns += t1 - t0;
	} else {
		return;
	}
	if (lossy || !g->has_host || !g->has_guest) {
		p->stall_unknown++;
		return;
	}
	if (waker == PMT_TID_IDLE)
		return;
	struct tl_task *w = tl_task_get(t, g, waker);
	if (!w)
		return;
	if (w->evicted_end > t0) {
		p->stall_unknown++;
		return;
	}
	int64_t sum = 0, best = -1;
	struct tl_episode bestep;
	memset(&bestep, 0, sizeof(bestep));
	for (int i = 0; i < w->ring_n; i++) {
		const struct tl_episode *e = &w->ring[(w->ring_head + i) % TL_RING];
		int64_t o = overlap(e->t0, e->t1, t0, t1);
		sum += o;
		if (o > best && o > 0) {
			best = o;
			bestep = *e;
		}
	}
	for (uint32_t v = 0; v < g->nvcpus; v++) {
		const struct tl_vcpu *vc = &g->vcpus[v];
		if (!vc->in_ep || vc->ep_task != waker)
			continue;
		int64_t o = overlap(vc->ep.t0, t1, t0, t1);
		sum += o;
		if (o > best && o > 0) {
			best = o;
			bestep = vc->ep;
			bestep.t1 = t1;
		}
	}
	if (sum <= 0)
		return;
	p->stall_ns += sum;
	p->stall_count++;
	hist_add(&g->stall_hist, (uint64_t)sum);
	if (sum > p->max_stall_ns)
		p->max_stall_ns = sum;
	struct tl_stall s = { sum, t0, t1, p->tid, waker, (uint32_t)(g - t->guests), bestep };
	worst_add(t, &s);
}

