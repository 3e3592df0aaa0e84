/*
 * tl.c - the two-level state machine and the analyses built on it (tl.h).
 *
 * Time is accounted in advance() between consecutive events: every guest's
 * vCPUs add the elapsed time to the counters of the states they are in. The
 * stall of a blocked interval [t0, t1] of task p woken by w is the overlap of
 * [t0, t1] with w's stolen episodes (w running in the guest on a vCPU whose
 * thread does not run on the host), which each task keeps in a small ring.
 *
 *   host  vCPU0 thread  ====run====|..runnable..|====run====
 *   guest vCPU0         ======== w (lock holder) ===========
 *   guest vCPU1         == p ==|....blocked.................|== p ==
 *                              t0   [ stolen episode of w ] t1 (w wakes p)
 *                                   \_______ stall of p ___/
 */
#include "analyze/twolevel/tl_int.h"

#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ small hash */

/* Open addressing, key -> value + 1 (0: empty slot). */
static uint32_t hslot(const uint32_t *keys, const uint32_t *vals, uint32_t cap, uint32_t key)
{
	uint32_t i = (key * 2654435761u) & (cap - 1);
	while (vals[i] && keys[i] != key)
		i = (i + 1) & (cap - 1);
	return i;
}

static int hgrow(uint32_t **keys, uint32_t **vals, uint32_t *cap, uint32_t n)
{
	if (*cap && n * 2 < *cap)
		return 0;
	uint32_t ncap = *cap ? *cap * 2 : 64;
	uint32_t *nk = calloc(ncap, sizeof(*nk)), *nv = calloc(ncap, sizeof(*nv));
	if (!nk || !nv) {
		free(nk);
		free(nv);
		return -1;
	}
	for (uint32_t i = 0; i < *cap; i++)
		if ((*vals)[i]) {
			uint32_t j = hslot(nk, nv, ncap, (*keys)[i]);
			nk[j] = (*keys)[i];
			nv[j] = (*vals)[i];
		}
	free(*keys);
	free(*vals);
	*keys = nk;
	*vals = nv;
	*cap = ncap;
	return 0;
}

/* ------------------------------------------------------------ lookups */

static struct tl_guest *guest_of_level(struct tl *t, uint16_t level);

static int vcpu_of(const struct tl *t, uint32_t host_tid, uint32_t *g, uint32_t *v)
{
	if (!t->vt_cap || host_tid == PMT_TID_IDLE)
		return 0;
	uint32_t i = hslot(t->vt_key, t->vt_val, t->vt_cap, host_tid);
	if (!t->vt_val[i])
		return 0;
	uint32_t x = t->vt_val[i] - 1;
	*g = x >> 16;
	*v = x & 0xffffu;
	return 1;
}

/* Task tid of guest g, created when missing (NULL when out of memory). */
struct tl_task *tl_task_get(struct tl *t, struct tl_guest *g, uint32_t tid)
{
	uint32_t *keys = g->hash, *vals = g->hash ? g->hash + g->hashcap : NULL;
	if (g->hashcap) {
		uint32_t i = hslot(keys, vals, g->hashcap, tid);
		if (vals[i])
			return &g->tasks[vals[i] - 1];
	}
	if (g->ntasks == g->captasks) {
		uint32_t cap = g->captasks ? g->captasks * 2 : 64;
		void *n = realloc(g->tasks, cap * sizeof(*g->tasks));
		if (!n) {
			t->oom = 1;
			return NULL;
		}
		g->tasks = n;
		g->captasks = cap;
	}
	if (!g->hashcap || g->ntasks * 2 >= g->hashcap) {
		/* keys and values live in one block: [keys | values] */
		uint32_t ncap = g->hashcap ? g->hashcap * 2 : 128;
		uint32_t *nb = calloc(2 * (size_t)ncap, sizeof(uint32_t));
		if (!nb) {
			t->oom = 1;
			return NULL;
		}
		for (uint32_t i = 0; i < g->hashcap; i++)
			if (vals[i]) {
				uint32_t j = hslot(nb, nb + ncap, ncap, keys[i]);
				nb[j] = keys[i];
				nb[ncap + j] = vals[i];
			}
		free(g->hash);
		g->hash = nb;
		g->hashcap = ncap;
		keys = nb;
		vals = nb + ncap;
	}
	struct tl_task *k = &g->tasks[g->ntasks];
	memset(k, 0, sizeof(*k));
	k->tid = tid;
	k->pid = tid;
	k->state = TL_UNKNOWN;
	k->last_pcpu = -1;
	uint32_t i = hslot(keys, vals, g->hashcap, tid);
	keys[i] = tid;
	vals[i] = ++g->ntasks;
	return k;
}

static void hname_set(struct tl *t, uint32_t tid, const char *comm, size_t len)
{
	if (hgrow(&t->hn_key, &t->hn_val, &t->hn_cap, t->nhn) < 0) {
		t->oom = 1;
		return;
	}
	uint32_t i = hslot(t->hn_key, t->hn_val, t->hn_cap, tid);
	uint32_t x;
	if (t->hn_val[i]) {
		x = t->hn_val[i] - 1;
	} else {
		if (t->nhn == t->caphn) {
			uint32_t cap = t->caphn ? t->caphn * 2 : 64;
			void *n = realloc(t->hn_comm, cap * sizeof(*t->hn_comm));
			if (!n) {
				t->oom = 1;
				return;
			}
			t->hn_comm = n;
			t->caphn = cap;
		}
		x = t->nhn++;
		t->hn_key[i] = tid;
		t->hn_val[i] = x + 1;
	}
	if (len > sizeof(t->hn_comm[0]) - 1)
		len = sizeof(t->hn_comm[0]) - 1;
	memcpy(t->hn_comm[x], comm, len);
	t->hn_comm[x][len] = 0;
}

struct tl_guest *tl_guest_find(struct tl *t, uint16_t level)
{
	return guest_of_level(t, level);
}

struct tl_task *tl_task_find(struct tl *t, uint16_t level, uint32_t tid)
{
	struct tl_guest *g = guest_of_level(t, level);
	if (!g || !g->hashcap)
		return NULL;
	uint32_t i = hslot(g->hash, g->hash + g->hashcap, g->hashcap, tid);
	return g->hash[g->hashcap + i] ? &g->tasks[g->hash[g->hashcap + i] - 1] : NULL;
}

int32_t tl_vcpu_pcpu(struct tl *t, uint16_t level, uint32_t v)
{
	struct tl_guest *g = guest_of_level(t, level);
	if (!g || v >= g->nvcpus || !g->has_host)
		return -1;
	return g->vcpus[v].pcpu;
}

const char *tl_host_comm(const struct tl *t, uint32_t tid)
{
	if (tid == PMT_TID_IDLE)
		return "idle";
	if (!t->hn_cap)
		return "";
	uint32_t i = hslot(t->hn_key, t->hn_val, t->hn_cap, tid);
	return t->hn_val[i] ? t->hn_comm[t->hn_val[i] - 1] : "";
}

static void set_comm(char *dst, size_t cap, const char *s, size_t len)
{
	if (len > cap - 1)
		len = cap - 1;
	memcpy(dst, s, len);
	dst[len] = 0;
}

static struct tl_guest *guest_of_level(struct tl *t, uint16_t level)
{
	for (uint32_t i = 0; i < t->nguests; i++)
		if (t->guests[i].level == level)
			return &t->guests[i];
	return NULL;
}

/* ------------------------------------------------------------ setup */

static int level_has_events(const struct pmt_info *info, uint16_t level)
{
	for (size_t i = 0; i < info->nstreams; i++)
		if (info->streams[i].level == level && info->streams[i].events)
			return 1;
	return 0;
}

static int guest_init(struct tl *t, struct tl_guest *g, uint16_t level, uint32_t nvcpus)
{
	const struct pmt_info *info = t->info;
	g->level = level;
	g->name = info->levels[level].name;
	g->nvcpus = nvcpus;
	g->has_guest = level_has_events(info, level);
	g->last_loss_end = INT64_MIN;
	g->skew_reset = 1;
	g->vcpus = calloc(nvcpus ? nvcpus : 1, sizeof(*g->vcpus));
	g->busy_hist = calloc(nvcpus + 1, sizeof(int64_t));
	g->runbusy_hist = calloc(nvcpus + 1, sizeof(int64_t));
	g->gap = calloc(nvcpus ? nvcpus : 1, 1);
	if (!g->vcpus || !g->busy_hist || !g->runbusy_hist || !g->gap)
		return -1;
	for (uint32_t v = 0; v < nvcpus; v++) {
		struct tl_vcpu *vc = &g->vcpus[v];
		vc->vcpu = v;
		vc->pcpu = -1;
		vc->hstate = TL_UNKNOWN;
		vc->run_pcpu = calloc(t->npcpus ? t->npcpus : 1, sizeof(int64_t));
		if (!vc->run_pcpu)
			return -1;
	}
	return 0;
}

struct tl *tl_new(const struct pmt_info *info, const struct tl_opts *o)
{
	struct tl *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->info = info;
	t->o = *o;
	if (t->o.skew_threshold_ns <= 0)
		t->o.skew_threshold_ns = 3000000;
	if (!t->o.t_hi)
		t->o.t_hi = INT64_MAX;
	if (!t->o.t_lo)
		t->o.t_lo = INT64_MIN;
	/* bindings naming a level the file does not have are ignored */
	size_t nb = info->nbindings;
	if (nb && (info->bindings[0].host_level >= info->nlevels))
		nb = 0;
	if (nb)
		t->host_level = info->bindings[0].host_level;
	t->nbound = nb;
	t->npcpus = nb ? info->levels[t->host_level].ncpus : 0;
	t->has_host_events = nb && level_has_events(info, t->host_level);
	t->pcpu_tid = calloc(t->npcpus ? t->npcpus : 1, sizeof(uint32_t));
	t->pcpu_known = calloc(t->npcpus ? t->npcpus : 1, 1);
	t->host_gap = calloc(t->npcpus ? t->npcpus : 1, 1);
	t->guests = calloc(info->nlevels ? info->nlevels : 1, sizeof(*t->guests));
	if (!t->pcpu_tid || !t->pcpu_known || !t->host_gap || !t->guests)
		goto fail;
	/* guests with bindings, in level order; then guest levels without */
	for (size_t l = 0; l < info->nlevels; l++) {
		uint32_t nv = 0;
		int bound = 0;
		for (size_t b = 0; b < nb; b++)
			if (info->bindings[b].guest_level == l &&
			    info->bindings[b].host_level == t->host_level &&
			    info->bindings[b].guest_cpu < PMT_MAX_CPUS) {
				bound = 1;
				if (info->bindings[b].guest_cpu + 1 > nv)
					nv = info->bindings[b].guest_cpu + 1;
			}
		if (!bound && info->levels[l].kind != PMT_LEVEL_GUEST)
			continue;
		if (info->levels[l].ncpus > nv)
			nv = info->levels[l].ncpus;
		if (nv > 0xffff)
			goto fail;
		struct tl_guest *g = &t->guests[t->nguests++];
		if (guest_init(t, g, (uint16_t)l, nv) < 0)
			goto fail;
		g->host_level = t->host_level;
		g->has_host = bound && t->has_host_events;
		for (size_t b = 0; bound && b < nb; b++) {
			const struct pmt_binding *pb = &info->bindings[b];
			if (pb->guest_level != l || pb->host_level != t->host_level ||
			    pb->guest_cpu >= nv)
				continue;
			g->vcpus[pb->guest_cpu].host_tid = pb->host_tid;
			if (hgrow(&t->vt_key, &t->vt_val, &t->vt_cap, (uint32_t)b + 1) < 0)
				goto fail;
			uint32_t i = hslot(t->vt_key, t->vt_val, t->vt_cap, pb->host_tid);
			t->vt_key[i] = pb->host_tid;
			t->vt_val[i] = ((uint32_t)(t->nguests - 1) << 16 | pb->guest_cpu) + 1;
		}
	}
	for (size_t i = 0; i < info->ntasks; i++) {
		const struct pmt_task *pt = &info->tasks[i];
		const char *comm = pt->comm ? pt->comm : "";
		if (nb && pt->level == t->host_level) {
			hname_set(t, pt->tid, comm, strlen(comm));
			continue;
		}
		struct tl_guest *g = guest_of_level(t, pt->level);
		if (!g)
			continue;
		struct tl_task *k = tl_task_get(t, g, pt->tid);
		if (!k)
			goto fail;
		k->pid = pt->pid;
		set_comm(k->comm, sizeof(k->comm), comm, strlen(comm));
	}
	if (t->o.worst > 0 && !(t->worst = calloc((size_t)t->o.worst, sizeof(*t->worst))))
		goto fail;
	if (t->oom)
		goto fail;
	return t;
fail:
	tl_free(t);
	return NULL;
}

/* ------------------------------------------------------------ accounting */

static int vcpu_busy_known(const struct tl_guest *g, const struct tl_vcpu *vc)
{
	return g->has_guest ? vc->gknown : (g->has_host && vc->hstate != TL_UNKNOWN);
}

static int vcpu_busy(const struct tl_guest *g, const struct tl_vcpu *vc)
{
	return g->has_guest ? vc->gtid != PMT_TID_IDLE
			    : (vc->hstate == TL_RUN || vc->hstate == TL_RUNNABLE);
}

static void ep_other(struct tl_episode *ep, uint32_t tid, int64_t dt)
{
	for (int i = 0; i < ep->nothers; i++)
		if (ep->other_tid[i] == tid) {
			ep->other_ns[i] += dt;
			return;
		}
	if (ep->nothers < TL_EP_OTHERS) {
		ep->other_tid[ep->nothers] = tid;
		ep->other_ns[ep->nothers++] = dt;
	}
}

static void guest_advance(struct tl *t, struct tl_guest *g, int64_t dt, int64_t cdt)
{
	uint8_t rate_small[64];
	uint8_t *rate = g->nvcpus <= 64 ? rate_small : malloc(g->nvcpus);
	int known = g->has_host || g->has_guest;
	uint32_t nbusy = 0, nrun = 0;
	for (uint32_t v = 0; v < g->nvcpus; v++) {
		struct tl_vcpu *vc = &g->vcpus[v];
		/* private clocks: the whole time, not just the window */
		if (vc->hstate != TL_UNKNOWN && vc->hstate != TL_RUN)
			vc->notrun_ns += dt;
		if (vc->in_ep && vc->ep.pcpu >= 0 && t->pcpu_known[vc->ep.pcpu])
			ep_other(&vc->ep, t->pcpu_tid[vc->ep.pcpu], dt);
		if (!cdt)
			continue;
		vc->hns[vc->hstate] += cdt;
		if (vc->hstate == TL_RUN && vc->pcpu >= 0)
			vc->run_pcpu[vc->pcpu] += cdt;
		if (g->has_guest) {
			if (!vc->gknown) {
				vc->gunknown_ns += cdt;
			} else if (vc->gtid == PMT_TID_IDLE) {
				vc->idle_ns += cdt;
			} else {
				vc->busy_ns += cdt;
				if (vc->hstate == TL_RUNNABLE)
					vc->harmful_ns += cdt;
				struct tl_task *k = tl_task_get(t, g, vc->gtid);
				if (k) {
					k->run_ns += cdt;
					if (!g->has_host || vc->hstate == TL_UNKNOWN) {
						k->stolen_unknown_ns += cdt;
					} else if (vc->hstate == TL_RUN) {
						if (!k->run_pcpu)
							k->run_pcpu = calloc(t->npcpus ? t->npcpus : 1,
									     sizeof(int64_t));
						if (k->run_pcpu && vc->pcpu >= 0)
							k->run_pcpu[vc->pcpu] += cdt;
						if (vc->pcpu >= 0)
							k->last_pcpu = vc->pcpu;
						else if (!k->run_pcpu)
							t->oom = 1;
					} else {
						k->stolen_ns += cdt;
					}
				}
			}
		}
		if (!vcpu_busy_known(g, vc) || !g->has_host || vc->hstate == TL_UNKNOWN) {
			known = 0;
			continue;
		}
		int busy = vcpu_busy(g, vc), run = vc->hstate == TL_RUN;
		nbusy += busy;
		nrun += busy && run;
		if (rate)
			rate[v] = run || !busy;
	}
	if (cdt) {
		if (!known || !rate) {
			g->unknown_ns += cdt;
			g->skew_reset = 1;
		} else {
			int cls = !nbusy ? TL_C_IDLE : nrun == nbusy ? TL_C_CORUN
					: nrun ? TL_C_SKEWED : TL_C_STALLED;
			g->class_ns[cls] += cdt;
			g->busy_hist[nbusy] += cdt;
			g->runbusy_hist[nrun] += cdt;
			if (g->skew_reset) {
				for (uint32_t v = 0; v < g->nvcpus; v++)
					g->vcpus[v].prog = 0;
				g->skew_reset = 0;
			}
			tl_skew_advance(g, rate, cdt, t->o.skew_threshold_ns);
		}
	}
	if (rate != rate_small)
		free(rate);
}

static void advance(struct tl *t, int64_t to)
{
	if (!t->started) {
		t->started = 1;
		t->now = to;
		t->start_ns = to;
		return;
	}
	if (to <= t->now)
		return;
	int64_t dt = to - t->now;
	int64_t a = t->now > t->o.t_lo ? t->now : t->o.t_lo;
	int64_t b = to < t->o.t_hi ? to : t->o.t_hi;
	int64_t cdt = b > a ? b - a : 0;
	for (uint32_t i = 0; i < t->nguests; i++)
		guest_advance(t, &t->guests[i], dt, cdt);
	t->now = to;
}

/* ------------------------------------------------------------ episodes */

/* Start or end stolen episodes after the states of g changed. */
static void episodes(struct tl *t, struct tl_guest *g)
{
	for (uint32_t v = 0; v < g->nvcpus; v++) {
		struct tl_vcpu *vc = &g->vcpus[v];
		int stolen = g->has_guest && g->has_host && vc->gknown &&
			     vc->gtid != PMT_TID_IDLE &&
			     (vc->hstate == TL_RUNNABLE || vc->hstate == TL_BLOCKED);
		if (vc->in_ep && (!stolen || vc->ep_task != vc->gtid)) {
			vc->in_ep = 0;
			vc->ep.t1 = t->now;
			struct tl_task *k = tl_task_get(t, g, vc->ep_task);
			if (k && vc->ep.t1 > vc->ep.t0)
				tl_ring_push(k, &vc->ep);
		}
		if (stolen && !vc->in_ep) {
			vc->in_ep = 1;
			vc->ep_task = vc->gtid;
			memset(&vc->ep, 0, sizeof(vc->ep));
			vc->ep.t0 = t->now;
			vc->ep.vcpu = v;
			vc->ep.pcpu = vc->pcpu;
		}
	}
}

static int gap_open(const struct tl *t, const struct tl_guest *g)
{
	for (uint32_t v = 0; v < g->nvcpus; v++)
		if (g->gap[v])
			return 1;
	for (uint32_t c = 0; c < t->npcpus; c++)
		if (t->host_gap[c])
			return 1;
	return 0;
}

/* Whether a loss may hide something in [t0, now]. */
int tl_lossy_since(const struct tl *t, const struct tl_guest *g, int64_t t0)
{
	return g->last_loss_end >= t0 || gap_open(t, g);
}

/* ------------------------------------------------------------ events */

static void host_event(struct tl *t, const struct pmt_event *ev)
{
	uint32_t gi, v;
	uint32_t c = ev->cpu;
	if (c < t->npcpus && t->host_gap[c] && ev->type != PMT_EV_LOST) {
		t->host_gap[c] = 0;
		for (uint32_t i = 0; i < t->nguests; i++)
			if (t->guests[i].last_loss_end < t->now)
				t->guests[i].last_loss_end = t->now;
	}
	switch (ev->type) {
	case PMT_EV_SWITCH:
		if (c >= t->npcpus)
			return;
		if (vcpu_of(t, ev->u.sw.prev_tid, &gi, &v)) {
			struct tl_vcpu *vc = &t->guests[gi].vcpus[v];
			vc->hstate = ev->u.sw.prev_state == PMT_STATE_RUNNABLE ? TL_RUNNABLE
									: TL_BLOCKED;
			vc->pcpu = (int32_t)c;
		}
		if (vcpu_of(t, ev->u.sw.next_tid, &gi, &v)) {
			struct tl_vcpu *vc = &t->guests[gi].vcpus[v];
			if (vc->pcpu >= 0 && vc->pcpu != (int32_t)c &&
			    t->now >= t->o.t_lo && t->now <= t->o.t_hi)
				vc->pcpu_changes++;
			vc->pcpu = (int32_t)c;
			vc->hstate = TL_RUN;
		}
		t->pcpu_tid[c] = ev->u.sw.next_tid;
		t->pcpu_known[c] = 1;
		break;
	case PMT_EV_WAKEUP:
		if (vcpu_of(t, ev->u.wakeup.tid, &gi, &v)) {
			struct tl_vcpu *vc = &t->guests[gi].vcpus[v];
			if (vc->hstate != TL_RUN)
				vc->hstate = TL_RUNNABLE;
		}
		break;
	case PMT_EV_LOST: {
		if (c >= t->npcpus)
			return;
		t->pcpu_known[c] = 0;
		t->host_gap[c] = 1;
		const struct pmt_level *lv = &t->info->levels[t->host_level];
		int64_t end = ev->u.lost.span && lv->clock < t->info->nclocks
			? pmt_clock_to_ns(&t->info->clocks[lv->clock], ev->ts + ev->u.lost.span)
			: t->now;
		for (uint32_t i = 0; i < t->nguests; i++) {
			struct tl_guest *g = &t->guests[i];
			g->lost_events += (int64_t)ev->u.lost.count;
			if (g->last_loss_end < end)
				g->last_loss_end = end;
			for (uint32_t k = 0; k < g->nvcpus; k++) {
				struct tl_vcpu *vc = &g->vcpus[k];
				if (!(vc->hstate == TL_RUN && vc->pcpu != (int32_t)c))
					vc->hstate = TL_UNKNOWN;
			}
		}
		break;
	}
	case PMT_EV_NAME:
		hname_set(t, ev->u.name.tid, ev->u.name.comm.s, ev->u.name.comm.len);
		break;
	case PMT_EV_EXEC:
		hname_set(t, ev->u.exec.tid, ev->u.exec.comm.s, ev->u.exec.comm.len);
		break;
	default:
		break;
	}
}

static void task_switch_in(struct tl *t, struct tl_guest *g, struct tl_task *k, uint32_t v)
{
	if (k->woken) {
		k->woken = 0;
		if (t->now >= t->o.t_lo && t->now <= t->o.t_hi) {
			if (!g->has_host || !k->notrun_snap || tl_lossy_since(t, g, k->wake_t)) {
				k->lat_unknown++;
			} else {
				int64_t lat = t->now - k->wake_t;
				int64_t host = g->vcpus[v].notrun_ns - k->notrun_snap[v];
				if (host > lat)
					host = lat;
				k->wakeups++;
				k->lat_ns += lat;
				k->host_delay_ns += host;
				k->guest_delay_ns += lat - host;
				if (lat > k->max_lat_ns)
					k->max_lat_ns = lat;
			}
		}
	}
	if (k->has_vcpu && k->vcpu != v && k->state != TL_UNKNOWN &&
	    t->now >= t->o.t_lo && t->now <= t->o.t_hi)
		k->vcpu_changes++;
	k->state = TL_RUN;
	k->vcpu = v;
	k->has_vcpu = 1;
}

static void guest_event(struct tl *t, struct tl_guest *g, const struct pmt_event *ev)
{
	uint32_t v = ev->cpu;
	struct tl_task *k;
	if (v < g->nvcpus && g->gap[v] && ev->type != PMT_EV_LOST) {
		g->gap[v] = 0;
		if (g->last_loss_end < t->now)
			g->last_loss_end = t->now;
	}
	switch (ev->type) {
	case PMT_EV_SWITCH: {
		if (v >= g->nvcpus)
			return;
		uint32_t prev = ev->u.sw.prev_tid, next = ev->u.sw.next_tid;
		if (prev != PMT_TID_IDLE && (k = tl_task_get(t, g, prev))) {
			if (g->vcpus[v].hstate == TL_RUN && g->vcpus[v].pcpu >= 0)
				k->last_pcpu = g->vcpus[v].pcpu;
			if (ev->u.sw.prev_state == PMT_STATE_RUNNABLE) {
				k->state = TL_RUNNABLE;
			} else {
				k->state = TL_BLOCKED;
				k->since = t->now;
				k->blk_known = ev->u.sw.prev_state != PMT_STATE_DEAD;
			}
			k->woken = 0;
		}
		if (next != PMT_TID_IDLE && (k = tl_task_get(t, g, next)))
			task_switch_in(t, g, k, v);
		g->vcpus[v].gknown = 1;
		g->vcpus[v].gtid = next;
		break;
	}
	case PMT_EV_WAKEUP:
		if (!(k = tl_task_get(t, g, ev->u.wakeup.tid)))
			return;
		if (k->state == TL_BLOCKED && k->blk_known)
			tl_blocked_end(t, g, k, ev->u.wakeup.waker_tid);
		if (k->state != TL_RUN && !k->woken) {
			k->state = TL_RUNNABLE;
			k->blk_known = 0;
			k->woken = 1;
			k->wake_t = t->now;
			if (!k->notrun_snap)
				k->notrun_snap = calloc(g->nvcpus ? g->nvcpus : 1, sizeof(int64_t));
			if (k->notrun_snap)
				for (uint32_t i = 0; i < g->nvcpus; i++)
					k->notrun_snap[i] = g->vcpus[i].notrun_ns;
		}
		break;
	case PMT_EV_FORK: {
		struct tl_task *parent = tl_task_get(t, g, ev->u.fork.parent_tid);
		if (!parent || !(k = tl_task_get(t, g, ev->u.fork.child_tid)))
			return;
		k->pid = ev->u.fork.child_pid;
		memcpy(k->comm, parent->comm, sizeof(k->comm));
		break;
	}
	case PMT_EV_EXEC:
		if ((k = tl_task_get(t, g, ev->u.exec.tid)))
			set_comm(k->comm, sizeof(k->comm), ev->u.exec.comm.s, ev->u.exec.comm.len);
		break;
	case PMT_EV_NAME:
		if ((k = tl_task_get(t, g, ev->u.name.tid))) {
			k->pid = ev->u.name.pid;
			set_comm(k->comm, sizeof(k->comm), ev->u.name.comm.s, ev->u.name.comm.len);
		}
		break;
	case PMT_EV_EXIT:
		if ((k = tl_task_get(t, g, ev->u.exit.tid))) {
			k->blk_known = 0;
			k->woken = 0;
		}
		break;
	case PMT_EV_LOST: {
		if (v >= g->nvcpus)
			return;
		g->vcpus[v].gknown = 0;
		g->gap[v] = 1;
		g->lost_events += (int64_t)ev->u.lost.count;
		const struct pmt_level *lv = &t->info->levels[g->level];
		int64_t end = ev->u.lost.span && lv->clock < t->info->nclocks
			? pmt_clock_to_ns(&t->info->clocks[lv->clock], ev->ts + ev->u.lost.span)
			: t->now;
		if (g->last_loss_end < end)
			g->last_loss_end = end;
		/* any task not running on another vCPU may have moved in the gap */
		for (uint32_t i = 0; i < g->ntasks; i++) {
			k = &g->tasks[i];
			if (k->state == TL_RUN && k->vcpu != v)
				continue;
			k->state = TL_UNKNOWN;
			k->blk_known = 0;
			k->woken = 0;
		}
		break;
	}
	default:
		break;
	}
}

void tl_event(struct tl *t, const struct pmt_event *ev)
{
	advance(t, ev->time_ns);
	if (t->nbound && ev->level == t->host_level) {
		host_event(t, ev);
		for (uint32_t i = 0; i < t->nguests; i++)
			episodes(t, &t->guests[i]);
		return;
	}
	struct tl_guest *g = guest_of_level(t, ev->level);
	if (!g)
		return;
	guest_event(t, g, ev);
	episodes(t, g);
}

void tl_finish(struct tl *t, int64_t end_ns)
{
	if (!t->started)
		return;
	advance(t, end_ns);
	t->end_ns = end_ns > t->now ? end_ns : t->now;
	/* open blocked intervals count up to the end; open episodes end here */
	for (uint32_t i = 0; i < t->nguests; i++) {
		struct tl_guest *g = &t->guests[i];
		for (uint32_t n = 0; n < g->ntasks; n++) {
			struct tl_task *k = &g->tasks[n];
			if (k->state != TL_BLOCKED || !k->blk_known)
				continue;
			int64_t a = k->since > t->o.t_lo ? k->since : t->o.t_lo;
			int64_t b = t->now < t->o.t_hi ? t->now : t->o.t_hi;
			if (b <= a)
				continue;
			k->blocked_count++;
			if (!tl_lossy_since(t, g, k->since))
				k->blocked_ns += b - a;
		}
	}
}

void tl_free(struct tl *t)
{
	if (!t)
		return;
	for (uint32_t i = 0; i < t->nguests; i++) {
		struct tl_guest *g = &t->guests[i];
		for (uint32_t v = 0; g->vcpus && v < g->nvcpus; v++)
			free(g->vcpus[v].run_pcpu);
		for (uint32_t n = 0; n < g->ntasks; n++) {
			free(g->tasks[n].run_pcpu);
			free(g->tasks[n].notrun_snap);
		}
		free(g->vcpus);
		free(g->busy_hist);
		hist_release(&g->stall_hist);
		free(g->runbusy_hist);
		free(g->gap);
		free(g->tasks);
		free(g->hash);
	}
	free(t->guests);
	free(t->pcpu_tid);
	free(t->pcpu_known);
	free(t->host_gap);
	free(t->hn_key);
	free(t->hn_val);
	free(t->hn_comm);
	free(t->vt_key);
	free(t->vt_val);
	free(t->worst);
	free(t);
}
