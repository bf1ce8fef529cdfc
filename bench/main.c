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
#if VMK_MD_INLINE_HOOKS
#undef BENCH_BUILD
#define BENCH_BUILD (VMK_DEBUG ? "debug (VMK_DEBUG=1), inline platform hooks (MD=1)" \
			       : "release (VMK_DEBUG=0), inline platform hooks (MD=1)")
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
	double ratio_ref;	/* < 0: none */
	struct bench_stat st;	/* st.n == 0: no spread recorded */
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

struct bench_stat bench_stat(double *v, size_t n)
{
	struct bench_stat s = { 0, 0, 0, (int)n };

	s.median = bench_median(v, n);
	if (n) {
		s.min = v[0];
		s.max = v[n - 1];
	}
	return s;
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

static void print_fig(const struct fig *f)
{
	char ratio[32] = "", spread[32] = "";

	if (f->ratio >= 0)
		snprintf(ratio, sizeof(ratio), "%8.2fx", f->ratio);
	if (f->st.n > 1 && f->median_ns > 0)
		snprintf(spread, sizeof(spread), "%5.1f%%",
			 100 * (f->st.max - f->st.min) / f->median_ns);
	printf("%-48s %14.1f ns  %9s  %6s  %s", f->key, f->median_ns, ratio, spread, f->note);
	if (f->ratio_ref >= 0)
		printf(" [%.2fx the reference]", f->ratio_ref);
	printf("\n");
	fflush(stdout);
}

void bench_report(const char *key, double median_ns, double baseline_ns, const char *note)
{
	struct fig *f = new_fig(key);

	f->median_ns = median_ns;
	f->ratio = baseline_ns > 0 ? median_ns / baseline_ns : -1;
	f->ratio_ref = -1;
	snprintf(f->note, sizeof(f->note), "%s", note ? note : "");
	print_fig(f);
}

void bench_report_stat(const char *key, struct bench_stat s, double baseline_ns,
		       double reference_ns, const char *note)
{
	struct fig *f = new_fig(key);

	f->median_ns = s.median;
	f->st = s;
	f->ratio = baseline_ns > 0 ? s.median / baseline_ns : -1;
	f->ratio_ref = reference_ns > 0 ? s.median / reference_ns : -1;
	snprintf(f->note, sizeof(f->note), "%s", note ? note : "");
	print_fig(f);
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

		if (g->plain) {
			fprintf(f, "  \"%s\": %.3f", g->key, g->value);
			fprintf(f, "%s\n", i + 1 < nfig ? "," : "");
			continue;
		}
		fprintf(f, "  \"%s\": {\"median_ns\": %.3f", g->key, g->median_ns);
		if (g->ratio >= 0)
			fprintf(f, ", \"ratio_to_baseline\": %.4f", g->ratio);
		if (g->ratio_ref >= 0)
			fprintf(f, ", \"ratio_to_reference\": %.4f", g->ratio_ref);
		if (g->st.n > 0)
			fprintf(f, ", \"min_ns\": %.3f, \"max_ns\": %.3f, \"runs\": %d, \"spread\": %.4f",
				g->st.min, g->st.max, g->st.n,
				g->median_ns > 0 ? (g->st.max - g->st.min) / g->median_ns : 0);
		fprintf(f, "}");
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
	printf("%-48s %17s  %9s  %6s\n", "benchmark (median)", "per op", "vs floor", "spread");
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
