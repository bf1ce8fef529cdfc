/*
 * The TLB invalidation counts check: every request a pmap counted in its
 * statistics reached the platform, once, and nothing reached it for a
 * pmap that the pmap did not count.
 *
 * A pmap numbers its requests (vmk_tlb_req.seq: its count of requests,
 * this one included) and names itself (pmap_id, never reused, where its
 * address is once the pmap is destroyed). The simulator follows each
 * pmap by its address and id: a request numbered other than the last one
 * seen plus one (1 for a new id) means one was lost (a gap) or issued
 * without being counted (a repeat). At check time the last number seen
 * must be the pmap's count, and the requests seen by kind its counts by
 * kind (vmk_sim_tlb_check_counts).
 */
#include "tlb_internal.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PM_MIN	256u

struct pm_count {
	const void *pm;
	uint64_t id;			/* the pmap's id (a new one: a new pmap at that address) */
	uint64_t last;			/* number of the last request seen */
	uint64_t kinds[VMK_PMAP_TLB_KINDS];
};

/*
 * Every pmap address ever seen keeps its slot (a destroyed pmap's entry
 * is what tells its successor at that address by the id), so the table
 * grows: a full table would drop requests and report a pmap whose
 * requests all arrived as having lost them.
 */
static pthread_mutex_t cnt_lock = PTHREAD_MUTEX_INITIALIZER;
static struct pm_count *pms;
static size_t pm_cap, pm_used;
static unsigned long n_cviol;
static char cviol_msg[256];

static void cviol(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void cviol(const char *fmt, ...)
{
	va_list ap;

	if (n_cviol++ == 0) {
		va_start(ap, fmt);
		vsnprintf(cviol_msg, sizeof(cviol_msg), fmt, ap);
		va_end(ap);
	}
}

static struct pm_count *probe(struct pm_count *tab, size_t cap, const void *pm)
{
	size_t h = (size_t)(((uintptr_t)pm >> 6) * 0x9e3779b97f4a7c15ull >> 32);

	for (size_t i = 0; i < cap; i++) {
		struct pm_count *e = &tab[(h + i) % cap];

		if (e->pm == pm || !e->pm)
			return e;
	}
	return NULL;
}

/* Double the table (cnt_lock held); false if the host is out of memory. */
static bool grow(void)
{
	size_t cap = pm_cap ? 2 * pm_cap : PM_MIN;
	struct pm_count *tab = calloc(cap, sizeof(*tab));

	if (!tab)
		return false;
	for (size_t i = 0; i < pm_cap; i++)
		if (pms[i].pm)
			*probe(tab, cap, pms[i].pm) = pms[i];
	free(pms);
	pms = tab;
	pm_cap = cap;
	return true;
}

/* The slot of pm (open addressing by address; a new one if absent and add; NULL if absent). */
static struct pm_count *slot(const void *pm, bool add)
{
	struct pm_count *e;

	if (add && 2 * (pm_used + 1) > pm_cap && !grow())
		return NULL;
	e = pm_cap ? probe(pms, pm_cap, pm) : NULL;
	if (!e || e->pm == pm)
		return e;
	if (!add)
		return NULL;
	memset(e, 0, sizeof(*e));
	e->pm = pm;
	pm_used++;
	return e;
}

void vmk_sim__tlb_count(const struct vmk_tlb_req *req)
{
	struct pm_count *e;

	if (!req->pmap || !req->seq)
		return;		/* not a pmap's counted request (a test's own) */
	pthread_mutex_lock(&cnt_lock);
	e = slot(req->pmap, true);
	if (!e)
		cviol("TLB request %llu of pmap %p not followed: the simulator is out of memory",
		      (unsigned long long)req->seq, req->pmap);
	else {
		if (e->id != req->pmap_id) {
			/* A new pmap at this address (or the first seen). */
			memset(e->kinds, 0, sizeof(e->kinds));
			e->id = req->pmap_id;
			e->last = 0;
		}
		if (req->seq <= e->last)
			cviol("TLB request %llu of pmap %p arrived after request %llu: issued again, not counted",
			      (unsigned long long)req->seq, req->pmap, (unsigned long long)e->last);
		else if (req->seq != e->last + 1)
			cviol("TLB request %llu of pmap %p follows request %llu: %llu counted but never issued",
			      (unsigned long long)req->seq, req->pmap, (unsigned long long)e->last,
			      (unsigned long long)(req->seq - e->last - 1));
		if (req->seq > e->last)
			e->last = req->seq;
		if ((unsigned int)req->kind < VMK_PMAP_TLB_KINDS)
			e->kinds[req->kind]++;
	}
	pthread_mutex_unlock(&cnt_lock);
}

void vmk_sim__tlb_counts_reset(void)
{
	pthread_mutex_lock(&cnt_lock);
	if (pms)
		memset(pms, 0, pm_cap * sizeof(*pms));
	pm_used = 0;
	n_cviol = 0;
	cviol_msg[0] = '\0';
	pthread_mutex_unlock(&cnt_lock);
}

int vmk_sim_tlb_check_counts(const void *pmap, const uint64_t *tlbi, char *msg, size_t len)
{
	static const char *const kind[VMK_PMAP_TLB_KINDS] = { "page", "range", "asid", "all", "nonglobal" };
	struct pm_count *e;
	uint64_t all = 0;
	int r = 0;

	if (msg && len)
		msg[0] = '\0';
	for (unsigned int k = 0; k < VMK_PMAP_TLB_KINDS; k++)
		all += tlbi[k];
	pthread_mutex_lock(&cnt_lock);
	if (n_cviol) {
		snprintf(msg, len, "%s", cviol_msg);
		r = -1;
		goto out;
	}
	e = slot(pmap, false);
	if (all == 0)
		goto out;	/* nothing counted (an entry left by a destroyed pmap means nothing) */
	if (!e || e->last != all) {
		snprintf(msg, len, "pmap %p counted %llu TLB requests, the last that reached the platform is %llu",
			 pmap, (unsigned long long)all, (unsigned long long)(e ? e->last : 0));
		r = -1;
		goto out;
	}
	for (unsigned int k = 0; k < VMK_PMAP_TLB_KINDS; k++) {
		if (e->kinds[k] != tlbi[k]) {
			snprintf(msg, len, "pmap %p counted %llu '%s' TLB requests, the platform saw %llu", pmap,
				 (unsigned long long)tlbi[k], kind[k], (unsigned long long)e->kinds[k]);
			r = -1;
			break;
		}
	}
out:
	pthread_mutex_unlock(&cnt_lock);
	return r;
}

unsigned long vmk_sim_tlb_count_violations(void)
{
	unsigned long n;

	pthread_mutex_lock(&cnt_lock);
	n = n_cviol;
	pthread_mutex_unlock(&cnt_lock);
	return n;
}
