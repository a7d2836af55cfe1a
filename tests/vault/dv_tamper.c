/*
 * dv_tamper - the tamper tests' hook into a catalog backend (tests only;
 * not installed, not a dronevault command). Every edit goes through the
 * backend's operations table, so tests/e2e/tamper.sh runs unchanged
 * against any backend (--backend postgresql: CATALOG is the connection string):
 *
 *   dv_tamper [--backend sqlite] CATALOG sealed-hex TABLE ID OFFSET LEN
 *   dv_tamper [--backend sqlite] CATALOG copy-sealed TABLE FROM TO
 *   dv_tamper [--backend sqlite] CATALOG flip-sealed TABLE ID OFFSET
 *   dv_tamper [--backend sqlite] CATALOG set TABLE ID COLUMN VALUE
 *   dv_tamper [--backend sqlite] CATALOG delete TABLE ID
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dv/err.h"
#include "tamper_ops.h"

static int64_t num(const char *s)
{
	char *end;
	long long v = strtoll(s, &end, 10);
	if (*end || end == s) {
		fprintf(stderr, "dv_tamper: not a number: %s\n", s);
		exit(2);
	}
	return (int64_t)v;
}

int main(int argc, char **argv)
{
	const char *backend = "sqlite";
	int a = 1;
	if (argc > 2 && !strcmp(argv[1], "--backend")) {
		backend = argv[2];
		a = 3;
	}
	if (argc - a < 4) {
		fprintf(stderr, "usage: dv_tamper [--backend NAME] CATALOG sealed-hex|copy-sealed|flip-sealed|set|delete TABLE ID ...\n");
		return 2;
	}
	const char *path = argv[a], *verb = argv[a + 1];
	dv_catalog_table tb;
	const char *side;
	tamper t;
	if (tamper_table(argv[a + 2], &tb, &side) < 0 || tamper_open(&t, backend, path) < 0) {
		fprintf(stderr, "dv_tamper: %s\n", dv_error_text());
		return 1;
	}
	int64_t id = num(argv[a + 3]);
	int n = argc - a - 4, rc;
	char **rest = argv + a + 4;
	if (!strcmp(verb, "sealed-hex") && n == 2) {
		size_t len = (size_t)num(rest[1]);
		char *hex = len < (1u << 20) ? malloc(2 * len + 1) : NULL;
		rc = hex ? tamper_sealed_hex(&t, tb, side, id, (size_t)num(rest[0]), len, hex) : -1;
		if (rc == 0) printf("%s\n", hex);
		free(hex);
	} else if (!strcmp(verb, "copy-sealed") && n == 1) {
		rc = tamper_copy_sealed(&t, tb, side, id, num(rest[0]));
	} else if (!strcmp(verb, "flip-sealed") && n == 1) {
		rc = tamper_flip_sealed(&t, tb, side, id, (size_t)num(rest[0]));
	} else if (!strcmp(verb, "set") && n == 2) {
		rc = tamper_set(&t, tb, id, rest[0], num(rest[1]));
	} else if (!strcmp(verb, "delete") && n == 0) {
		rc = tamper_delete(&t, tb, side, id);
	} else {
		fprintf(stderr, "dv_tamper: bad verb or arguments: %s\n", verb);
		tamper_close(&t);
		return 2;
	}
	if (rc < 0) fprintf(stderr, "dv_tamper: %s\n", dv_error_text());
	tamper_close(&t);
	return rc < 0 ? 1 : 0;
}
