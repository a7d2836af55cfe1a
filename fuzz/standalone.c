/*
 * fuzz/standalone.c - replays fuzz corpora without libFuzzer (gcc builds,
 * and as a regression test in ctest). Every argument is a file or a
 * directory of files; each file is fed once to LLVMFuzzerTestOneInput.
 * Missing directories are skipped (e.g. ../shared absent).
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f) return 0;
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0;
	for (;;) {
		if (len == cap) {
			cap = cap ? cap * 2 : 65536;
			uint8_t *n = realloc(buf, cap);
			if (!n) { free(buf); fclose(f); return 0; }
			buf = n;
		}
		size_t r = fread(buf + len, 1, cap - len, f);
		if (r == 0) break;
		len += r;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(buf, len);
	free(buf);
	return 1;
}

static int run_path(const char *path)
{
	struct stat st;
	if (stat(path, &st) < 0) return 0;
	if (!S_ISDIR(st.st_mode)) return run_file(path);
	DIR *d = opendir(path);
	if (!d) return 0;
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.') continue;
		char sub[4096];
		snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
		n += run_path(sub);
	}
	closedir(d);
	return n;
}

int main(int argc, char **argv)
{
	int n = 0;
	for (int i = 1; i < argc; i++)
		n += run_path(argv[i]);
	printf("replayed %d inputs\n", n);
	return n > 0 ? 0 : 77;
}
