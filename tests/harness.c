#include "harness.h"

#include <sys/stat.h>
#include <unistd.h>
#include <time.h>

char *th_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (!f)
		fail_msg("cannot open %s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	if (fread(buf, 1, (size_t)n, f) != (size_t)n)
		fail_msg("cannot read %s", path);
	fclose(f);
	buf[n] = '\0';
	if (len)
		*len = (size_t)n;
	return buf;
}

const char *th_data_path(const char *rel)
{
	static char path[4096];
	static const char *const roots[] = { "tests/data", "data", "../tests/data" };
	struct stat st;

	for (size_t i = 0; i < sizeof(roots) / sizeof(roots[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", roots[i], rel);
		if (stat(path, &st) == 0)
			return path;
	}
	snprintf(path, sizeof(path), "tests/data/%s", rel);
	return path;
}

char *th_read_data(const char *rel, size_t *len)
{
	return th_read_file(th_data_path(rel), len);
}

unsigned long th_seed(void)
{
	static unsigned long seed;
	static bool done;

	if (!done) {
		const char *e = getenv("VMK_SEED");

		seed = e ? strtoul(e, NULL, 0) : (unsigned long)time(NULL);
		fprintf(stderr, "random seed: %lu (replay with VMK_SEED=%lu)\n", seed, seed);
		done = true;
	}
	return seed;
}
