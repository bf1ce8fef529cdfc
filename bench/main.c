/* Runs the registered benchmarks, prints a table and writes JSON. */
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sim.h"
#include <vmkit/config.h>

/* What was measured: a release build unless `make bench BENCH_DEBUG=1`. */
#if VMK_DEBUG
#define BENCH_BUILD "debug (VMK_DEBUG=1)"
#else
#define BENCH_BUILD "release (VMK_DEBUG=0)"
#endif
#ifndef BENCH_OPT
#define BENCH_OPT "?"
#endif

#define MAX_BENCH 64
#define MAX_FIG 256

static struct { const char *name; bench_fn fn; } benches[MAX_BENCH];
static int nbench;

static struct fig {
	char key[96];
	double median_ns;
	double ratio;		/* < 0: none */
	double value;		/* for plain values */
	int plain;
	char note[128];
} figs[MAX_FIG];
static int nfig;

void bench_register(const char *name, bench_fn fn)
{
	if (nbench < MAX_BENCH) {
		benches[nbench].name = name;
		benches[nbench].fn = fn;
		nbench++;
	}
}

double bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

double bench_median(double *v, size_t n)
{
	qsort(v, n, sizeof(double), cmp_double);
	if (n == 0)
		return 0;
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int bench_reps(void)
{
	const char *e = getenv("BENCH_REPS");
	int r = e ? atoi(e) : 11;

	return r > 0 ? r : 11;
}

static struct fig *new_fig(const char *key)
{
	struct fig *f;

	if (nfig == MAX_FIG) {
		fprintf(stderr, "bench: too many figures\n");
		exit(1);
	}
	f = &figs[nfig++];
	memset(f, 0, sizeof(*f));
	snprintf(f->key, sizeof(f->key), "%s", key);
	return f;
}

void bench_report(const char *key, double median_ns, double baseline_ns, const char *note)
{
	struct fig *f = new_fig(key);

	f->median_ns = median_ns;
	f->ratio = baseline_ns > 0 ? median_ns / baseline_ns : -1;
	snprintf(f->note, sizeof(f->note), "%s", note ? note : "");
	if (f->ratio >= 0)
		printf("%-48s %14.1f ns  %8.2fx  %s\n", key, median_ns, f->ratio, f->note);
	else
		printf("%-48s %14.1f ns  %9s  %s\n", key, median_ns, "", f->note);
	fflush(stdout);
}

void bench_report_value(const char *key, double value, const char *unit)
{
	struct fig *f = new_fig(key);

	f->plain = 1;
	f->value = value;
	snprintf(f->note, sizeof(f->note), "%s", unit ? unit : "");
	printf("%-48s %14.2f %s\n", key, value, f->note);
	fflush(stdout);
}

static int write_json(const char *path)
{
	FILE *f = fopen(path, "w");

	if (!f) {
		perror(path);
		return -1;
	}
	fprintf(f, "{\n  \"build\": \"%s, %s\",\n", BENCH_BUILD, BENCH_OPT);
	for (int i = 0; i < nfig; i++) {
		struct fig *g = &figs[i];

		if (g->plain)
			fprintf(f, "  \"%s\": %.3f", g->key, g->value);
		else if (g->ratio >= 0)
			fprintf(f, "  \"%s\": {\"median_ns\": %.3f, \"ratio_to_baseline\": %.4f}",
				g->key, g->median_ns, g->ratio);
		else
			fprintf(f, "  \"%s\": {\"median_ns\": %.3f}", g->key, g->median_ns);
		fprintf(f, "%s\n", i + 1 < nfig ? "," : "");
	}
	fprintf(f, "}\n");
	fclose(f);
	return 0;
}

int main(int argc, char **argv)
{
	const char *json = NULL;
	const char *only = NULL;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0 && i + 1 < argc)
			json = argv[++i];
		else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc)
			only = argv[++i];
		else {
			fprintf(stderr, "usage: vmkit-bench [--json FILE] [--only SUBSTRING]\n");
			return 2;
		}
	}
	vmk_sim_install();
	printf("build: %s, %s\n", BENCH_BUILD, BENCH_OPT);
	printf("%-48s %17s  %9s\n", "benchmark (median)", "per op", "vs base");
	for (int i = 0; i < nbench; i++) {
		if (only && !strstr(benches[i].name, only))
			continue;
		benches[i].fn();
	}
	if (json && write_json(json))
		return 1;
	if (json)
		printf("figures written to %s\n", json);
	return 0;
}
