/*
 * Runs a libFuzzer target over a corpus without libFuzzer, so `make check`
 * replays every stored input (real maps and past crashers) on every build.
 * Arguments: files or directories; default: fuzz/corpus/<target> (and
 * tests/data/memmaps for the map parsers, built with FUZZ_MEMMAPS).
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "sim.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unsigned long ran;

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf;
	long n;

	if (!f) {
		perror(path);
		return -1;
	}
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc(n > 0 ? (size_t)n : 1);
	if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		fclose(f);
		free(buf);
		return -1;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(buf, (size_t)n);
	free(buf);
	ran++;
	return 0;
}

static int run_path(const char *path)
{
	struct stat st;
	DIR *d;
	struct dirent *e;
	char sub[4096];

	if (stat(path, &st) != 0)
		return 0;	/* a missing default corpus is fine */
	if (!S_ISDIR(st.st_mode))
		return run_file(path);
	d = opendir(path);
	if (!d)
		return -1;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
		if (run_path(sub))
			return -1;
	}
	closedir(d);
	return 0;
}

int main(int argc, char **argv)
{
	int err = 0;

	vmk_sim_install();
	if (argc > 1) {
		for (int i = 1; i < argc; i++)
			err |= run_path(argv[i]);
	} else {
#ifdef FUZZ_MEMMAPS
		err |= run_path("tests/data/memmaps");
#endif
		err |= run_path("fuzz/corpus/" FUZZ_NAME);
	}
	if (err || ran == 0) {
		printf("[  FAILED  ] replay: %lu inputs, errors reading the corpus\n", ran);
		return 1;
	}
	printf("[  PASSED  ] %lu inputs replayed\n", ran);
	return 0;
}
