/*
 * vmkit stress: the shared state of the soak (cmd_stress.c runs the
 * machine, the checkpoints and the accounting; cmd_stress_work.c is what
 * each simulated CPU does).
 */
#ifndef VMKIT_TOOL_CMD_STRESS_H
#define VMKIT_TOOL_CMD_STRESS_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <vmkit/kmem.h>
#include <vmkit/phys.h>
#include <vmkit/pmap.h>
#include <vmkit/vmem.h>

#define ST_MAX_CPUS	16
#define ST_CHUNKS	4			/* 2 MiB chunks of user space per CPU */
#define ST_SLOTS	(ST_CHUNKS * 512)	/* 4 KiB user pages per CPU */
#define ST_HELD		48			/* physical allocations a CPU holds at most */
#define ST_KM		24			/* kmem allocations a CPU holds at most */
#define ST_VM		24			/* vmem allocations a CPU holds at most */
#define ST_KPAGES	64			/* kernel pages a CPU maps at once */
#define ST_MAX_BAD	64			/* frames marked bad at run time, whole run */
#define ST_BAD_NONE	(~(vmk_paddr_t)0)	/* a slot whose frame could not be marked */
#define ST_NOFREE_MAX	512			/* NOFREE pages taken, whole run */

/* Deliberate bugs, to prove the checks catch them (--inject-bug). */
enum st_bug {
	ST_BUG_NONE,
	ST_BUG_SHOOTDOWN,	/* TLB invalidations reach only the calling CPU */
	ST_BUG_LEAK,		/* teardown forgets one page */
	ST_BUG_KMAP,		/* teardown frees a kernel page it leaves mapped */
};

/* What backs a 2 MiB chunk of a CPU's user slice. */
enum st_chunk_mode {
	ST_CHUNK_EMPTY,		/* nothing mapped */
	ST_CHUNK_PAGES,		/* each mapped slot has its own order-0 page */
	ST_CHUNK_BLOCK,		/* slots map the pages of one 2 MiB block (promotion, 64 KiB runs) */
};

struct st_slot {
	bool valid;
	uint32_t prot;
	vmk_paddr_t pa;
	struct vmk_page *pg;	/* ST_CHUNK_PAGES: the slot's own page */
};

struct st_chunk {
	enum st_chunk_mode mode;
	struct vmk_page *block;	/* ST_CHUNK_BLOCK */
	unsigned int mapped;	/* valid slots */
};

/* A physical allocation a CPU holds. */
struct st_held {
	enum { ST_H_ORDER, ST_H_CONTIG, ST_H_BULK } kind;
	struct vmk_page *pg;
	unsigned int order;	/* ST_H_ORDER */
	size_t n;		/* ST_H_CONTIG / ST_H_BULK: pages */
	struct vmk_page **bulk;	/* ST_H_BULK */
};

struct st_km {
	vmk_vaddr_t va;
	vmk_size_t size;
};

struct st_cpu {
	pthread_t th;
	unsigned int cpu;
	uint64_t rng;
	uint64_t ops;		/* operations done (read by the progress line) */
	uint64_t failed;	/* operations that failed cleanly (injected or no memory) */
	struct st_slot slot[ST_SLOTS];
	struct st_chunk chunk[ST_CHUNKS];
	struct st_held held[ST_HELD];
	unsigned int nheld;
	struct st_km km[ST_KM];
	unsigned int nkm;
	struct st_km vm[ST_VM];
	unsigned int nvm;
	char err[320];
};

struct st_run {
	enum vmk_pmap_arch_id arch;
	unsigned int ncpus;
	uint64_t seed;
	enum st_bug bug;
	struct vmk_pmap *shared;	/* one user address space every CPU runs in */
	vmk_vaddr_t uva, kslice, kmem_start, kmem_end;
	struct vmk_vmem vmem;		/* an arena of the stress's own */
	struct st_cpu cpu[ST_MAX_CPUS];
	/* Checkpoints: the controller asks, every CPU parks between operations. */
	int pause, stop, parked;
	/* Run-wide tallies (atomics). */
	uint64_t nofree_pages;		/* NOFREE pages taken (kept for ever) */
	uint64_t bad_added;
	vmk_paddr_t bad[ST_MAX_BAD];
	uint64_t private_spaces;	/* user pmaps created and destroyed */
};

extern struct st_run st;

/* The worker thread of one simulated CPU (arg: its struct st_cpu). */
void *st_worker(void *arg);

/* Called by a worker between operations: parks while a checkpoint runs. */
void st_maybe_park(void);

/* Give back everything cpu c holds (after it stopped). Returns false with c->err set on a failure. */
bool st_teardown(struct st_cpu *c);

/* Compare cpu c's user slice with the pmap (quiescent). Returns false with msg set. */
bool st_verify_slice(struct st_cpu *c, char *msg, size_t len);

/* The user virtual address of slot s of cpu c. */
vmk_vaddr_t st_slot_va(const struct st_cpu *c, unsigned int s);

uint64_t st_rand(uint64_t *s);

#endif
