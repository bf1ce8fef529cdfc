/*
 * The whole `vmkit boot` of 4 GiB (the embedded q35 description), 64 GiB
 * and 1 TiB (examples/machines/numa-64G.machine, numa-1T.machine) with
 * lazy page-record initialisation: every phase the build runs, from the
 * firmware map to the kernel page tables and the kmem phases, timed as the
 * tool times them. The machine's simulated RAM is set up inside the
 * phases, so its cost is counted. No baseline: the figure is the boot.
 */
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../tools/vmkit/cmd_boot.h"
#include "../tools/vmkit/util.h"

#define MAXREPS 64

static int load(struct machine_desc *d, const char *path)
{
	size_t len;
	char *text;
	int r;

	if (!path)
		return machine_desc_parse(d, "<embedded q35-4G>", (const char *)vmkit_default_boot,
					  vmkit_default_boot_len);
	text = tool_read_file(path, &len);
	if (!text)
		return -1;
	r = machine_desc_parse(d, path, text, len);
	free(text);
	return r;
}

static void one(const char *key, const char *path)
{
	static struct machine_desc d;
	double total[MAXREPS], phase[PH_NPHASES][MAXREPS];
	int reps = bench_reps() > MAXREPS ? MAXREPS : bench_reps();
	char k[96], note[128];

	if (load(&d, path)) {
		fprintf(stderr, "bench: %s: cannot read the machine\n", key);
		return;
	}
	for (int i = 0; i < reps; i++) {
		struct boot *b = calloc(1, sizeof(*b));
		double t0 = bench_now_ns();

		if (!b || boot_run(b, &d, "examples/machines", !path, false)) {
			fprintf(stderr, "bench: %s: boot failed\n", key);
			free(b);
			return;
		}
		total[i] = bench_now_ns() - t0;
		for (int p = 0; p < PH_NPHASES; p++)
			phase[p][i] = b->ph[p].ns;
		boot_free(b);
		free(b);
	}
	snprintf(note, sizeof(note), "lazy init, wall time of boot_run (every phase the build runs)");
	bench_report(key, bench_median(total, (size_t)reps), 0, note);
	for (int p = 0; p < PH_NPHASES; p++) {
		double m = bench_median(phase[p], (size_t)reps);

		if (m <= 0)
			continue;
		snprintf(k, sizeof(k), "%s_%s", key, boot_phase_name(p));
		bench_report(k, m, 0, NULL);
	}
}

BENCH(boot)
{
	one("boot_4G", NULL);
	one("boot_64G", "examples/machines/numa-64G.machine");
	one("boot_1T", "examples/machines/numa-1T.machine");
}
