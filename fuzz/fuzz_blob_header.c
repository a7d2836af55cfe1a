/* Fuzzes the blob header parser. */
#include <stdint.h>

#include "dv/blob.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	dv_blob_header h;
	if (dv_blob_header_parse(data, size, "fuzz", &h) == 0) {
		/* the stored size a backend reports: taken from the input's tail */
		uint64_t stored = 0;
		for (size_t i = size > 8 ? size - 8 : 0; i < size; i++) stored = stored << 8 | data[i];
		if (dv_blob_header_geometry(&h, stored, "fuzz") == 0) (void)dv_blob_stored_size(&h);
	}
	return 0;
}
