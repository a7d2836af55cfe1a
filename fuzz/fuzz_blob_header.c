/* Fuzzes the blob header parser. */
#include <stdint.h>

#include "dv/blob.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	dv_blob_header h;
	if (dv_blob_header_parse(data, size, "fuzz", &h) == 0)
		(void)dv_blob_stored_size(&h);
	return 0;
}
