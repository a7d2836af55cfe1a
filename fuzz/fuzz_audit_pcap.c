/* fuzz_audit_pcap - a whole capture file (pcap or pcapng, through libpcap)
 * through the audit: decoder, flows, DNS, TLS/QUIC, HTTP, scanner, verdict
 * and JSON. A small flow table makes eviction happen. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "dv/audit.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);
int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	char path[] = "/tmp/dv-fuzz-pcap-XXXXXX";
	int fd = mkstemp(path);
	if (fd < 0) return 0;
	if (write(fd, d, n) != (ssize_t)n) { close(fd); unlink(path); return 0; }
	close(fd);
	/* nDPI is third-party code (not instrumented); our decoder, parsers
	 * and bookkeeping are what is fuzzed here */
	dv_audit_opts o = { .max_flows = 16, .no_geo = 1, .no_ndpi = 1 };
	dv_audit *a;
	if (dv_audit_new(&a, &o) == 0) {
		if (dv_audit_add_capture(a, path) == 0 && dv_audit_finish(a) == 0) {
			char *js = NULL;
			if (dv_audit_to_json(a, &js) == 0) free(js);
		}
		dv_audit_free(a);
	}
	unlink(path);
	return 0;
}
