/* fuzz_policy - the policy file parser (audit, watch, lockdown), with every
 * error collected, then the lookups a parsed policy answers. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "audit/audit_int.h"
#include "dv/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);
int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	static dv__policy_errs errs;
	dv__policy p;
	dv__policy_init(&p);
	int rc = dv__policy_parse(&p, (const char *)d, n, "fuzz", &errs);
	if ((rc == 0) != (errs.total == 0)) abort();
	for (size_t i = 0; i < errs.n; i++)
		if (errs.v[i].line == 0 || errs.v[i].col == 0) abort();
	static const uint8_t a4[16] = { 198, 51, 100, 7 };
	(void)dv__policy_net(&p, 4, a4);
	(void)dv__policy_name(&p, "flysafe.dji.com");
	dv__policy_dispose(&p);
	dv_error_clear();
	return 0;
}
