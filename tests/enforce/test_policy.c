/* test_policy - the policy file shared by audit, watch and lockdown: the old
 * format still loads, every new rule parses, every error is named with its
 * line and column, and lockdown turns a policy into rules. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit_int.h"
#include "check.h"
#include "dv/enforce.h"

static int parse(dv__policy *p, const char *text, dv__policy_errs *e)
{
	dv__policy_init(p);
	return dv__policy_parse(p, text, strlen(text), "t.policy", e);
}

static const char *write_tmp(const char *name, const char *text)
{
	static char path[4096];
	const char *dir = getenv("DV_TMP");
	snprintf(path, sizeof(path), "%s/%s", dir ? dir : "/tmp", name);
	char cmd[4200];
	snprintf(cmd, sizeof(cmd), "mkdir -p '%s'", dir ? dir : "/tmp");
	if (system(cmd) != 0) return NULL;
	FILE *f = fopen(path, "w");
	if (!f) return NULL;
	fputs(text, f);
	fclose(f);
	return path;
}

int main(void)
{
	static dv__policy_errs e;
	dv__policy p;
	/* backward compatible: the audit's format, comments after the value */
	CHECK_EQ(parse(&p, "# c\nallow-net 203.0.113.0/24 agency servers\nallow-name *.agency.example\n"
	                   "allow-asn AS3320\nallow-country de\n\n", &e), 0);
	CHECK_EQ(p.nnets, 1);
	CHECK(!strcmp(p.nets[0].comment, "agency servers"));
	CHECK(dv__policy_name(&p, "x.agency.example") != NULL);
	CHECK(dv__policy_asn(&p, 3320));
	CHECK(dv__policy_country(&p, "DE"));
	CHECK_EQ(p.severity[DV_CAT_MAKER], DV_SEV_CRITICAL);
	dv__policy_dispose(&p);

	/* the new rules */
	CHECK_EQ(parse(&p, "segment-interface wlan0\nsegment-net 192.168.50.0/24\nsegment-net fd00:50::/64\n"
	                   "gateway 192.168.50.1\nresolver 192.168.50.1 # local dnsmasq\nresolver 2001:db8::53\n"
	                   "deny-name *.cloud.example\nseverity drops critical\nseverity known off\n", &e), 0);
	CHECK(!strcmp(p.segment_if, "wlan0"));
	CHECK_EQ(p.nsegment, 2);
	CHECK_EQ(p.segment[1].ipver, 6);
	CHECK_EQ(p.ngateway, 1);
	CHECK_EQ(p.nresolver, 2);
	CHECK_EQ(p.deny.n, 1);
	CHECK_EQ(p.severity[DV_CAT_DROPS], DV_SEV_CRITICAL);
	CHECK_EQ(p.severity[DV_CAT_KNOWN], DV_SEV_OFF);
	dv__policy_dispose(&p);

	/* every error, with line and column; the first is the thread's error */
	const char *bad = "allow-net 1.2.3.4/33\n"          /* 1:11 */
	                  "  frobnicate x\n"                /* 2:3 */
	                  "severity maker loud\n"           /* 3:16 */
	                  "segment-interface wlan0 extra\n" /* 4:25 */
	                  "allow-name bad..name\n"          /* 5:12 */
	                  "resolver 10.0.0.1/8\n"           /* 6:10 */
	                  "allow-country\n"                 /* 7:14 */
	                  "allow-net 10.0.0.0/8 fine\n";
	CHECK_EQ(parse(&p, bad, &e), DV_EINVAL);
	CHECK_EQ(e.total, 7);
	static const size_t want[][2] = { { 1, 11 }, { 2, 3 }, { 3, 16 }, { 4, 25 }, { 5, 12 }, { 6, 10 }, { 7, 14 } };
	for (size_t i = 0; i < 7 && i < e.n; i++) {
		CHECK_EQ(e.v[i].line, want[i][0]);
		CHECK_EQ(e.v[i].col, want[i][1]);
	}
	CHECK(strstr(dv_error_text(), "line 1, column 11") != NULL);
	CHECK_EQ(p.nnets, 1); /* the good line still counted */
	dv__policy_dispose(&p);
	/* NUL and CRLF */
	CHECK_EQ(parse(&p, "allow-net 10.0.0.0/8\r\nallow-name a\0b\n", &e), 0); /* strlen stops at NUL */
	dv__policy_dispose(&p);
	dv__policy_init(&p);
	CHECK_EQ(dv__policy_parse(&p, "allow-name a\0b\n", 15, "t", &e), DV_EINVAL);
	CHECK_EQ(e.v[0].col, 13);
	dv__policy_dispose(&p);

	/* dv_policy_check on a file */
	char path[4096];
	snprintf(path, sizeof(path), "%s", write_tmp("test_policy_bad.policy", bad));
	dv_policy_problem *pp = NULL;
	size_t n = 0, total = 0;
	CHECK_EQ(dv_policy_check(&pp, &n, &total, path), 0);
	CHECK_EQ(total, 7);
	CHECK(n == 7 && pp && pp[2].line == 3 && pp[2].col == 16);
	free(pp);
	CHECK(dv_policy_check(&pp, &n, &total, "/nonexistent/x.policy") < 0);

	/* lockdown: built-in policy sinkholes the maker, allows nothing */
	char *rules = NULL, *warn = NULL;
	dv_lockdown_opts o = { .format = DV_LOCKDOWN_DNSMASQ };
	CHECK_EQ(dv_lockdown_generate(&rules, &warn, &o), 0);
	CHECK(rules && strstr(rules, "address=/dji.com/\n"));
	CHECK(rules && !strstr(rules, "address=/flysafe.dji.com/")); /* covered by *.dji.com */
	CHECK(rules && !strstr(rules, "mapbox")); /* third party only on request */
	free(rules);
	free(warn);
	o.third_party = 1;
	o.sinkhole = "0.0.0.0";
	CHECK_EQ(dv_lockdown_generate(&rules, &warn, &o), 0);
	CHECK(rules && strstr(rules, "address=/mapbox.com/0.0.0.0\n"));
	free(rules);
	free(warn);
	o = (dv_lockdown_opts){ .format = DV_LOCKDOWN_HOSTS };
	CHECK_EQ(dv_lockdown_generate(&rules, &warn, &o), 0);
	CHECK(rules && strstr(rules, "0.0.0.0 flysafe.dji.com\n") && strstr(rules, "WARNING"));
	CHECK(warn && strstr(warn, "wildcards are not covered"));
	free(rules);
	free(warn);
	o = (dv_lockdown_opts){ .format = DV_LOCKDOWN_UNBOUND };
	CHECK_EQ(dv_lockdown_generate(&rules, &warn, &o), 0);
	CHECK(rules && strstr(rules, "local-zone: \"dji.com.\" always_nxdomain"));
	free(rules);
	free(warn);
	const char *pol = write_tmp("test_policy_seg.policy", "segment-interface wl0\nallow-net 198.51.100.0/24\n"
	                                                        "allow-net 2001:db8::/32\nallow-name dji.com\n");
	o = (dv_lockdown_opts){ .format = DV_LOCKDOWN_NFT, .policy_path = pol, .resolver = "192.0.2.53" };
	CHECK_EQ(dv_lockdown_generate(&rules, &warn, &o), 0);
	CHECK(rules && strstr(rules, "table inet dronevault {"));
	CHECK(rules && strstr(rules, "elements = { 198.51.100.0/24 }"));
	CHECK(rules && strstr(rules, "elements = { 2001:db8::/32 }"));
	CHECK(rules && strstr(rules, "elements = { 192.0.2.53 }"));
	CHECK(rules && strstr(rules, "iifname \"wl0\" jump from_drone"));
	CHECK(rules && strstr(rules, "log prefix \"dronevault-drop: \""));
	free(rules);
	free(warn);
	/* an allowed name is not sinkholed */
	o.format = DV_LOCKDOWN_DNSMASQ;
	CHECK_EQ(dv_lockdown_generate(&rules, &warn, &o), 0);
	CHECK(rules && !strstr(rules, "address=/dji.com/\n") && strstr(rules, "nftset=/dji.com/"));
	free(rules);
	free(warn);
	o.resolver = "not-an-address";
	CHECK(dv_lockdown_generate(&rules, &warn, &o) < 0);
	o.resolver = NULL;
	o.policy_path = path; /* the bad one */
	CHECK(dv_lockdown_generate(&rules, &warn, &o) < 0);
	CHECK(strstr(dv_error_text(), "line 1, column 11") != NULL);
	return check_done();
}
