/*
 * test_audit_golden - dronevault audit against tshark 4.0.17 on the peer
 * captures in $DV_SHARED/audit/peer-pcaps (expected/<file>.tshark.txt, see
 * its MANIFEST): the same DNS questions with the same counts, the same
 * TLS/QUIC ClientHello SNIs and HTTP requests, and for every flow exactly
 * the same packets, frame bytes and payload bytes each way. Also reads the
 * Open Drone ID captures (802.11 radiotap, BLE) without error.
 * Skips (77) when ../shared is absent.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "audit/flow_int.h"
#include "dv/audit.h"
#include "dv/err.h"

#define MAXL 4096

typedef struct lines {
	char **v;
	size_t n, cap;
} lines;

static void lines_add(lines *l, const char *s)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 64;
		l->v = realloc(l->v, l->cap * sizeof(char *));
	}
	l->v[l->n++] = strdup(s);
}

static int cmpstr(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void lines_uniq(lines *l)
{
	if (l->n > 1) qsort(l->v, l->n, sizeof(char *), cmpstr);
	size_t o = 0;
	for (size_t i = 0; i < l->n; i++) {
		if (o && !strcmp(l->v[o - 1], l->v[i])) { free(l->v[i]); continue; }
		l->v[o++] = l->v[i];
	}
	l->n = o;
}

static void lines_free(lines *l)
{
	for (size_t i = 0; i < l->n; i++) free(l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

/* Compares two sorted unique sets; prints differences; returns mismatches. */
static int compare_sets(const char *file, const char *what, lines *want, lines *got)
{
	lines_uniq(want);
	lines_uniq(got);
	int bad = 0;
	size_t i = 0, j = 0;
	while (i < want->n || j < got->n) {
		int c = i >= want->n ? 1 : j >= got->n ? -1 : strcmp(want->v[i], got->v[j]);
		if (c == 0) { i++; j++; continue; }
		bad++;
		if (c < 0) fprintf(stderr, "%s %s: missing  [%s]\n", file, what, want->v[i++]);
		else fprintf(stderr, "%s %s: extra    [%s]\n", file, what, got->v[j++]);
	}
	return bad;
}

static void addr(char *b, size_t n, int v, const uint8_t *a) { dv_addr_str(b, n, v, a); }

static int golden_one(const char *dir, const char *name)
{
	char path[MAXL], exp[MAXL];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	snprintf(exp, sizeof(exp), "%s/expected/%s.tshark.txt", dir, name);
	FILE *e = fopen(exp, "r");
	if (!e) {
		fprintf(stderr, "%s: no expected file\n", name);
		return 1;
	}
	dv_audit_opts o = { .no_geo = 1 };
	dv_audit *a;
	if (dv_audit_new(&a, &o) < 0 || dv_audit_add_capture(a, path) < 0 || dv_audit_finish(a) < 0) {
		fprintf(stderr, "%s: %s\n", name, dv_error_text());
		fclose(e);
		return 1;
	}
	lines want_dns = { 0 }, got_dns = { 0 }, want_tls = { 0 }, got_tls = { 0 }, want_quic = { 0 }, got_quic = { 0 },
	      want_http = { 0 }, got_http = { 0 }, want_flow = { 0 }, got_flow = { 0 };
	char line[MAXL], sect[MAXL] = "";
	while (fgets(line, sizeof(line), e)) {
		line[strcspn(line, "\n")] = 0;
		if (!strncmp(line, "## ", 3)) { snprintf(sect, sizeof(sect), "%s", line + 3); continue; }
		if (line[0] == '#' || !line[0]) continue;
		if (!strcmp(sect, "DNS_QUERIES")) lines_add(&want_dns, line);
		else if (!strcmp(sect, "TLS_SNI")) lines_add(&want_tls, line);
		else if (!strcmp(sect, "QUIC_SNI")) lines_add(&want_quic, line);
		else if (!strcmp(sect, "HTTP_HOSTS")) {
			/* src dst dport method host uri: drop dport (empty for SSDP over UDP) */
			char *f[6] = { 0 };
			char *s = line;
			for (int k = 0; k < 6; k++) { f[k] = s; s = strchr(s, '\t'); if (!s) break; *s++ = 0; }
			char b[2 * MAXL + 16];
			snprintf(b, sizeof(b), "%s\t%s\t%s\t%s\t%s", f[0], f[1] ? f[1] : "", f[3] ? f[3] : "", f[4] ? f[4] : "",
			         f[5] ? f[5] : "");
			lines_add(&want_http, b);
		} else if (!strcmp(sect, "FLOWS")) {
			/* drop the stream number: proto a ap b bp counts... */
			char *t1 = strchr(line, '\t');
			char *t2 = t1 ? strchr(t1 + 1, '\t') : NULL;
			if (!t2) continue;
			*t1 = 0;
			char b[2 * MAXL + 16];
			snprintf(b, sizeof(b), "%s\t%s", line, t2 + 1);
			lines_add(&want_flow, b);
		}
	}
	fclose(e);

	size_t n;
	char b[MAXL], s1[64], s2[64];
	const dv_audit_dnsq *q = dv_audit_dns_queries(a, &n);
	for (size_t i = 0; i < n; i++) {
		snprintf(b, sizeof(b), "%u\t%s\t%u", q[i].count, q[i].qname, q[i].qtype);
		lines_add(&got_dns, b);
	}
	const dv_audit_hello *h = dv_audit_hellos(a, &n);
	for (size_t i = 0; i < n; i++) {
		addr(s1, sizeof(s1), h[i].ipver, h[i].src);
		addr(s2, sizeof(s2), h[i].ipver, h[i].dst);
		snprintf(b, sizeof(b), "%s\t%u\t%s\t%u\t%s", s1, h[i].sport, s2, h[i].dport, h[i].sni);
		lines_add(h[i].kind == DV_HELLO_TLS ? &got_tls : &got_quic, b);
	}
	const dv_audit_http *hr = dv_audit_http_requests(a, &n);
	for (size_t i = 0; i < n; i++) {
		addr(s1, sizeof(s1), hr[i].ipver, hr[i].src);
		addr(s2, sizeof(s2), hr[i].ipver, hr[i].dst);
		snprintf(b, sizeof(b), "%s\t%s\t%s\t%s\t%s", s1, s2, hr[i].method, hr[i].host, hr[i].uri);
		lines_add(&got_http, b);
	}
	const dv_flow *const *fl = dv_audit_flows(a, &n);
	uint64_t in_flows = 0;
	for (size_t i = 0; i < n; i++) {
		const dv_flow *f = fl[i];
		in_flows += f->pkts[0] + f->pkts[1];
		/* tshark numbers TCP and UDP streams only; ICMP, IGMP ... flows are
		 * checked below by the packet total */
		if (f->proto != 6 && f->proto != 17) continue;
		addr(s1, sizeof(s1), f->ipver, f->addr[0]);
		addr(s2, sizeof(s2), f->ipver, f->addr[1]);
		snprintf(b, sizeof(b), "%s\t%s\t%u\t%s\t%u\t%llu\t%llu\t%llu\t%llu\t%llu\t%llu", f->proto == 6 ? "tcp" : "udp",
		         s1, f->port[0], s2, f->port[1], (unsigned long long)f->pkts[0], (unsigned long long)f->frame_bytes[0],
		         (unsigned long long)f->payload_bytes[0], (unsigned long long)f->pkts[1],
		         (unsigned long long)f->frame_bytes[1], (unsigned long long)f->payload_bytes[1]);
		lines_add(&got_flow, b);
	}
	int bad = 0;
	/* every IP packet is on some flow (none of these captures has damaged
	 * frames, tunnels or evictions) */
	const dv_audit_stats *st = dv_audit_get_stats(a);
	if (in_flows != st->frames - st->non_ip - st->unsupported_link) {
		printf("%s: %llu packets on flows, %llu IP frames\n", name, (unsigned long long)in_flows,
		       (unsigned long long)(st->frames - st->non_ip - st->unsupported_link));
		bad++;
	}
	bad += compare_sets(name, "DNS_QUERIES", &want_dns, &got_dns);
	bad += compare_sets(name, "TLS_SNI", &want_tls, &got_tls);
	bad += compare_sets(name, "QUIC_SNI", &want_quic, &got_quic);
	bad += compare_sets(name, "HTTP_HOSTS", &want_http, &got_http);
	size_t nflows = want_flow.n;
	bad += compare_sets(name, "FLOWS", &want_flow, &got_flow);
	printf("%-32s flows=%zu dns=%zu sni=%zu quic=%zu http=%zu verdict=%s %s\n", name, nflows, want_dns.n, want_tls.n,
	       want_quic.n, want_http.n, dv_verdict_name(dv_audit_verdict(a)), bad ? "MISMATCH" : "exact");
	lines_free(&want_dns); lines_free(&got_dns); lines_free(&want_tls); lines_free(&got_tls);
	lines_free(&want_quic); lines_free(&got_quic); lines_free(&want_http); lines_free(&got_http);
	lines_free(&want_flow); lines_free(&got_flow);
	dv_audit_free(a);
	return bad;
}

static int odid_one(const char *dir, const char *name)
{
	char path[MAXL];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	dv_audit_opts o = { .no_geo = 1 };
	dv_audit *a;
	int rc = dv_audit_new(&a, &o);
	if (rc == 0) rc = dv_audit_add_capture(a, path);
	if (rc == 0) rc = dv_audit_finish(a);
	if (rc < 0) {
		fprintf(stderr, "%s: %s\n", name, dv_error_text());
		return 1;
	}
	const dv_audit_stats *st = dv_audit_get_stats(a);
	printf("%-40s frames=%llu capture_errors=%llu verdict=%s\n", name, (unsigned long long)st->frames,
	       (unsigned long long)st->capture_errors, dv_verdict_name(dv_audit_verdict(a)));
	int bad = st->frames == 0 || st->capture_errors != 0 || dv_audit_verdict(a) != DV_VERDICT_INCONCLUSIVE;
	dv_audit_free(a);
	return bad;
}

static int each_capture(const char *dir, int (*fn)(const char *, const char *), int *files)
{
	DIR *d = opendir(dir);
	if (!d) return -1;
	struct dirent *de;
	int bad = 0;
	lines names = { 0 };
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);
		if ((l > 5 && !strcmp(de->d_name + l - 5, ".pcap")) || (l > 7 && !strcmp(de->d_name + l - 7, ".pcapng")))
			lines_add(&names, de->d_name);
	}
	closedir(d);
	lines_uniq(&names);
	for (size_t i = 0; i < names.n; i++) {
		int r = fn(dir, names.v[i]);
		CHECK(r == 0);
		bad += r != 0;
		(*files)++;
	}
	lines_free(&names);
	return bad;
}

int main(void)
{
	const char *sh = check_shared_dir();
	if (!sh) return check_skip("DV_SHARED (../shared) is absent");
	char dir[MAXL];
	int files = 0, bad;
	snprintf(dir, sizeof(dir), "%s/audit/peer-pcaps", sh);
	bad = each_capture(dir, golden_one, &files);
	if (bad < 0) return check_skip("no audit/peer-pcaps in DV_SHARED");
	printf("peer captures: %d of %d match tshark exactly\n", files - bad, files);
	CHECK(files >= 13);
	int ofiles = 0;
	snprintf(dir, sizeof(dir), "%s/audit/pcaps", sh);
	bad = each_capture(dir, odid_one, &ofiles);
	CHECK(bad == 0);
	CHECK(ofiles >= 3);
	return check_done();
}
