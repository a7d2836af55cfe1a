/*
 * ocusync_sigmf_fuzzer - libFuzzer target for the SigMF metadata parser
 * (json-c under a depth limit, then only typed, range-checked fields).
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "dv/err.h"
#include "ocusync/sigmf_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	os_sigmf m;
	if (os_sigmf_parse(&m, (const char *)data, size, "fuzz.sigmf-meta") == 0) {
		/* what the caller does with it: a file name without a directory */
		if (m.dataset[0] && (strchr(m.dataset, '/') || !strcmp(m.dataset, ".."))) __builtin_trap();
		if (m.fmt == OS_IQ_NONE || os_iq_size(m.fmt) == 0) __builtin_trap();
		if (m.sample_rate < 0) __builtin_trap();
	}
	dv_error_clear();
	return 0;
}
