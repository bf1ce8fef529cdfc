/*
 * Benchmark framework for `make bench`. Each file in bench/ registers functions
 * with BENCH(name); each function measures and reports figures with
 * bench_report(). Figures are printed as a table and written as JSON
 * (one key per figure) to the file given with --json.
 */
#ifndef VMKIT_BENCH_H
#define VMKIT_BENCH_H

#include <stddef.h>
#include <stdint.h>

typedef void (*bench_fn)(void);

void bench_register(const char *name, bench_fn fn);

#define BENCH(name)							\
	static void bench_##name(void);					\
	__attribute__((constructor)) static void bench_reg_##name(void)	\
	{ bench_register(#name, bench_##name); }			\
	static void bench_##name(void)

/* Monotonic time in nanoseconds. */
double bench_now_ns(void);

/* Median of v[0..n) (sorts v). */
double bench_median(double *v, size_t n);

/*
 * Run-to-run statistics of n repetitions: the median and the extremes, so
 * a figure carries its spread ((max - min) / median) into the table and
 * the JSON.
 */
struct bench_stat {
	double median, min, max;
	int n;
};

/* Statistics of v[0..n) (sorts v). */
struct bench_stat bench_stat(double *v, size_t n);

/*
 * Report a figure: median_ns per operation; baseline_ns is the median of
 * the baseline measured in the same process (0 if none applies), giving
 * ratio_to_baseline = median_ns / baseline_ns. note is printed (may be NULL).
 */
void bench_report(const char *key, double median_ns, double baseline_ns, const char *note);

/*
 * Report a figure with its spread. baseline_ns is the floor measured in the
 * same process (0: none; gives ratio_to_baseline); reference_ns a second
 * reference (0: none; gives ratio_to_reference), e.g. an out-of-line
 * floor next to the inline one.
 */
void bench_report_stat(const char *key, struct bench_stat s, double baseline_ns,
		       double reference_ns, const char *note);

/* Report a plain value (e.g. bytes_per_frame) under key. */
void bench_report_value(const char *key, double value, const char *unit);

/* Number of repetitions to take medians over (BENCH_REPS, default 11). */
int bench_reps(void);

/* Keep a value alive so the compiler cannot drop the work producing it. */
#define bench_keep(x) __asm__ volatile("" : : "r"(x) : "memory")

#endif
