/*
 * lockdown.c - rules that keep the drone segment off the Internet, from the
 * policy file (audit/policy.c) and the maker's endpoints (data/endpoints.tsv):
 * an nftables ruleset for the hotspot or gateway, and DNS sinkhole lists
 * for dnsmasq, unbound and /etc/hosts. Text for an administrator to review;
 * loading it is nft's job (dv_lockdown_nft runs the tool, never libnftables).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "audit/audit_int.h"
#include "dv/audit.h"
#include "dv/enforce.h"
#include "dv/err.h"
#include "dv/util.h"

extern char **environ;

static const char *const fmt_names[] = { "nft", "dnsmasq", "unbound", "hosts" };

const char *dv_lockdown_format_name(dv_lockdown_format f)
{
	return (unsigned)f < 4 ? fmt_names[f] : "?";
}

int dv_lockdown_format_parse(const char *s)
{
	for (int i = 0; i < 4; i++)
		if (s && !strcmp(s, fmt_names[i])) return i;
	return -1;
}

int dv_policy_check(dv_policy_problem **out, size_t *n, size_t *total, const char *path)
{
	*out = NULL;
	*n = *total = 0;
	uint8_t *buf;
	size_t len;
	int rc = dv_read_file(&buf, &len, path, 4u << 20);
	if (rc < 0) return rc;
	dv__policy p;
	dv__policy_init(&p);
	dv__policy_errs *errs = malloc(sizeof(*errs));
	if (!errs) {
		free(buf);
		return dv_error_set(DV_ENOMEM, path, -1, "out of memory");
	}
	rc = dv__policy_parse(&p, (const char *)buf, len, path, errs);
	free(buf);
	dv__policy_dispose(&p);
	if (rc == DV_ENOMEM) {
		free(errs);
		return rc;
	}
	dv_error_clear();
	if (errs->n) {
		*out = calloc(errs->n, sizeof(**out));
		if (!*out) {
			free(errs);
			return dv_error_set(DV_ENOMEM, path, -1, "out of memory");
		}
		for (size_t i = 0; i < errs->n; i++) {
			(*out)[i].line = errs->v[i].line;
			(*out)[i].col = errs->v[i].col;
			memcpy((*out)[i].msg, errs->v[i].msg, sizeof((*out)[i].msg));
		}
	}
	*n = errs->n;
	*total = errs->total;
	free(errs);
	return 0;
}

/* ---- generation ---- */

typedef struct gen {
	dv__policy pol;
	dv__eplist eps;      /* the sinkholed patterns: maker (+ third party) + deny-name */
	bool builtin;
	const char *policy_name;
	dv__allow_net resolver[4];
	size_t nresolver;
	char sinkhole[64];   /* "" = NXDOMAIN */
} gen;

/* The patterns to sinkhole, without those a wildcard already covers
 * (for wildcard formats) and without allowed names. */
static bool covered(const dv__eplist *l, size_t i)
{
	const dv__endpoint *e = &l->v[i];
	size_t pl = strlen(e->pattern);
	for (size_t j = 0; j < l->n; j++) {
		if (j == i || !l->v[j].suffix) continue;
		const char *w = l->v[j].pattern;
		size_t wl = strlen(w);
		if (pl == wl && !strcmp(w, e->pattern) && (!e->suffix || j < i)) return true;
		if (pl > wl && e->pattern[pl - wl - 1] == '.' && !strcmp(e->pattern + pl - wl, w)) return true;
	}
	return false;
}

static void addr_list(FILE *f, const dv__allow_net *v, size_t n, int ipver, bool prefix)
{
	bool first = true;
	for (size_t i = 0; i < n; i++) {
		if (v[i].ipver != ipver) continue;
		char a[64];
		dv_addr_str(a, sizeof(a), v[i].ipver, v[i].addr);
		unsigned full = ipver == 4 ? 32 : 128;
		if (prefix && v[i].bits != full) fprintf(f, "%s%s/%u", first ? "" : ", ", a, v[i].bits);
		else fprintf(f, "%s%s", first ? "" : ", ", a);
		first = false;
	}
}

static size_t count_ver(const dv__allow_net *v, size_t n, int ipver)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++) k += v[i].ipver == ipver;
	return k;
}

static void set_decl(FILE *f, const char *name, const char *type, bool interval, const dv__allow_net *v, size_t n,
                     int ipver, const char *what)
{
	fprintf(f, "\t# %s\n\tset %s {\n\t\ttype %s\n", what, name, type);
	if (interval) fprintf(f, "\t\tflags interval\n");
	if (count_ver(v, n, ipver)) {
		fprintf(f, "\t\telements = { ");
		addr_list(f, v, n, ipver, interval);
		fprintf(f, " }\n");
	}
	fprintf(f, "\t}\n");
}

static void gen_nft(FILE *f, FILE *w, const gen *g)
{
	const dv__policy *p = &g->pol;
	char when[32];
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	fprintf(f, "#!/usr/sbin/nft -f\n"
	           "# dronevault lockdown: keeps the drone segment off the Internet.\n"
	           "# Generated %s from %s. Review, then load with: nft -f THIS-FILE\n"
	           "# (dronevault lockdown --apply checks it with nft -c -f first.)\n"
	           "# Remove again with: nft delete table inet dronevault\n#\n",
	        when, g->builtin ? "the built-in policy (nothing external allowed)" : g->policy_name);
	bool by_if = p->segment_if[0] != 0, by_net = p->nsegment > 0;
	if (by_if) fprintf(f, "# drone segment: interface %s\n", p->segment_if);
	if (by_net) {
		fprintf(f, "# drone segment: addresses ");
		addr_list(f, p->segment, p->nsegment, 4, true);
		if (count_ver(p->segment, p->nsegment, 4) && count_ver(p->segment, p->nsegment, 6)) fprintf(f, ", ");
		addr_list(f, p->segment, p->nsegment, 6, true);
		fprintf(f, "\n");
	}
	if (!by_if && !by_net)
		fprintf(f, "# drone segment: not named in the policy (segment-interface, segment-net), so EVERY\n"
		           "# forwarded packet of this host counts as the drone segment's.\n");
	if (p->names.n || p->ncountries || p->nasns) {
		fprintf(f, "# Not expressible here (allowed by audit/watch, blocked by these rules):");
		if (p->names.n) fprintf(f, " %zu allow-name rule(s) (load dronevault's dnsmasq list: its nftset= lines add\n"
		                           "#   their answers to @named4/@named6)", p->names.n);
		if (p->ncountries) fprintf(f, "; %zu allow-country rule(s)", p->ncountries);
		if (p->nasns) fprintf(f, "; %zu allow-asn rule(s)", p->nasns);
		fprintf(f, "\n");
		if (p->ncountries || p->nasns)
			fprintf(w, "nft: allow-country and allow-asn cannot be expressed as addresses here; add their networks as allow-net rules (e.g. from libloc's 'location list-networks-by-as')\n");
	}
	fprintf(f, "\ntable inet dronevault\ndelete table inet dronevault\n\ntable inet dronevault {\n");
	set_decl(f, "allow4", "ipv4_addr", true, p->nets, p->nnets, 4, "allow-net (IPv4)");
	set_decl(f, "allow6", "ipv6_addr", true, p->nets, p->nnets, 6, "allow-net (IPv6)");
	fprintf(f, "\t# answers for allow-name names, filled by dnsmasq (nftset=)\n"
	           "\tset named4 {\n\t\ttype ipv4_addr\n\t\tflags timeout\n\t\ttimeout 1d\n\t}\n"
	           "\tset named6 {\n\t\ttype ipv6_addr\n\t\tflags timeout\n\t\ttimeout 1d\n\t}\n");
	set_decl(f, "resolver4", "ipv4_addr", false, g->resolver, g->nresolver, 4, "the DNS resolver(s) the segment may use");
	set_decl(f, "resolver6", "ipv6_addr", false, g->resolver, g->nresolver, 6, "the DNS resolver(s) the segment may use (IPv6)");
	if (by_net) {
		set_decl(f, "segment4", "ipv4_addr", true, p->segment, p->nsegment, 4, "the drone segment (IPv4)");
		set_decl(f, "segment6", "ipv6_addr", true, p->segment, p->nsegment, 6, "the drone segment (IPv6)");
	}
	fprintf(f, "\tcounter dropped_out {\n\t\tcomment \"drone segment to a non-allowed destination\"\n\t}\n"
	           "\tcounter dropped_dns {\n\t\tcomment \"DNS from the drone segment to another resolver\"\n\t}\n"
	           "\tcounter dropped_in {\n\t\tcomment \"new connections into the drone segment\"\n\t}\n\n");
	/* what the segment sends */
	fprintf(f, "\tchain from_drone {\n"
	           "\t\tmeta l4proto { tcp, udp } th dport { 53, 853 } ip daddr @resolver4 accept\n"
	           "\t\tmeta l4proto { tcp, udp } th dport { 53, 853 } ip6 daddr @resolver6 accept\n"
	           "\t\tmeta l4proto { tcp, udp } th dport { 53, 853 } counter name dropped_dns log prefix \"dronevault-dns: \" level warn drop\n"
	           "\t\tip daddr @allow4 accept\n\t\tip6 daddr @allow6 accept\n"
	           "\t\tip daddr @named4 accept\n\t\tip6 daddr @named6 accept\n"
	           "\t\tcounter name dropped_out log prefix \"dronevault-drop: \" level warn drop\n\t}\n\n");
	fprintf(f, "\tchain to_drone {\n\t\tct state established,related accept\n"
	           "\t\tcounter name dropped_in log prefix \"dronevault-in: \" level warn drop\n\t}\n\n");
	fprintf(f, "\tchain forward {\n\t\ttype filter hook forward priority filter - 10; policy accept;\n");
	if (by_if) {
		fprintf(f, "\t\tiifname \"%s\" jump from_drone\n", p->segment_if);
		fprintf(f, "\t\toifname \"%s\" jump to_drone\n", p->segment_if);
	}
	if (by_net) {
		if (count_ver(p->segment, p->nsegment, 4)) fprintf(f, "\t\tip saddr @segment4 jump from_drone\n\t\tip daddr @segment4 jump to_drone\n");
		if (count_ver(p->segment, p->nsegment, 6)) fprintf(f, "\t\tip6 saddr @segment6 jump from_drone\n\t\tip6 daddr @segment6 jump to_drone\n");
	}
	if (!by_if && !by_net) fprintf(f, "\t\tjump from_drone\n");
	fprintf(f, "\t}\n");
	/* DNS to this host itself: only when no other resolver is named */
	if (g->nresolver && (by_if || by_net)) {
		fprintf(f, "\n\t# a resolver is named: DNS to this host from the segment is refused as well\n"
		           "\tchain input {\n\t\ttype filter hook input priority filter - 10; policy accept;\n");
		const char *dns = "meta l4proto { tcp, udp } th dport { 53, 853 }";
		if (by_if)
			fprintf(f, "\t\tiifname \"%s\" %s ip daddr != @resolver4 counter name dropped_dns drop\n"
			           "\t\tiifname \"%s\" %s ip6 daddr != @resolver6 counter name dropped_dns drop\n",
			        p->segment_if, dns, p->segment_if, dns);
		if (by_net && count_ver(p->segment, p->nsegment, 4))
			fprintf(f, "\t\tip saddr @segment4 %s ip daddr != @resolver4 counter name dropped_dns drop\n", dns);
		if (by_net && count_ver(p->segment, p->nsegment, 6))
			fprintf(f, "\t\tip6 saddr @segment6 %s ip6 daddr != @resolver6 counter name dropped_dns drop\n", dns);
		fprintf(f, "\t}\n");
	}
	fprintf(f, "}\n");
}

static void header_dns(FILE *f, const gen *g, const char *c, const char *what)
{
	fprintf(f, "%s dronevault lockdown: %s for the drone segment's resolver.\n"
	           "%s %s sinkholed (%s); source: %s.\n",
	        c, what, c, g->eps.n == 1 ? "1 pattern" : "patterns", g->sinkhole[0] ? g->sinkhole : "NXDOMAIN",
	        g->builtin ? "the maker endpoints of dronevault's list" : g->policy_name);
}

static void gen_dnsmasq(FILE *f, const gen *g)
{
	header_dns(f, g, "#", "dnsmasq configuration (conf-file= or /etc/dnsmasq.d/)");
	fprintf(f, "# address=/NAME/ covers NAME and every name below it.\n");
	for (size_t i = 0; i < g->eps.n; i++) {
		if (covered(&g->eps, i)) continue;
		const dv__endpoint *e = &g->eps.v[i];
		if (g->sinkhole[0]) fprintf(f, "address=/%s/%s\naddress=/%s/::\n", e->pattern, g->sinkhole, e->pattern);
		else fprintf(f, "address=/%s/\n", e->pattern);
	}
	for (size_t i = 0; i < g->pol.names.n; i++)
		fprintf(f, "# allow-name %s%s: its answers open the firewall (dronevault nft table)\nnftset=/%s/4#inet#dronevault#named4,6#inet#dronevault#named6\n",
		        g->pol.names.v[i].suffix ? "*." : "", g->pol.names.v[i].pattern, g->pol.names.v[i].pattern);
}

static void gen_unbound(FILE *f, const gen *g)
{
	header_dns(f, g, "#", "unbound configuration (include: it from unbound.conf)");
	fprintf(f, "server:\n");
	for (size_t i = 0; i < g->eps.n; i++) {
		if (covered(&g->eps, i)) continue;
		const dv__endpoint *e = &g->eps.v[i];
		if (g->sinkhole[0]) {
			fprintf(f, "\tlocal-zone: \"%s.\" redirect\n\tlocal-data: \"%s. A %s\"\n\tlocal-data: \"%s. AAAA ::\"\n",
			        e->pattern, e->pattern, g->sinkhole, e->pattern);
		} else {
			fprintf(f, "\tlocal-zone: \"%s.\" always_nxdomain\n", e->pattern);
		}
	}
}

static void gen_hosts(FILE *f, FILE *w, const gen *g)
{
	size_t wild = 0;
	for (size_t i = 0; i < g->eps.n; i++) wild += g->eps.v[i].suffix;
	header_dns(f, g, "#", "/etc/hosts lines");
	fprintf(f, "# WARNING: a hosts file has no wildcards: the %zu \"*.domain\" pattern(s) are covered only for\n"
	           "# the domain itself and the names listed; any other subdomain still resolves. Prefer the\n"
	           "# dnsmasq or unbound list and the nft rules.\n", wild);
	if (wild) fprintf(w, "hosts: wildcards are not covered: %zu *.domain pattern(s) block only the names listed\n", wild);
	const char *a = g->sinkhole[0] ? g->sinkhole : "0.0.0.0";
	for (size_t i = 0; i < g->eps.n; i++) {
		const dv__endpoint *e = &g->eps.v[i];
		bool dup = false;
		for (size_t j = 0; j < i && !dup; j++) dup = !strcmp(g->eps.v[j].pattern, e->pattern);
		if (!dup) fprintf(f, "%s %s\n:: %s\n", a, e->pattern, e->pattern);
	}
}

int dv_lockdown_generate(char **out, char **warnings, const dv_lockdown_opts *o)
{
	*out = NULL;
	if (warnings) *warnings = NULL;
	if ((unsigned)o->format > DV_LOCKDOWN_HOSTS) return dv_error_set(DV_EINVAL, NULL, -1, "unknown lockdown format");
	gen g;
	memset(&g, 0, sizeof(g));
	dv__policy_init(&g.pol);
	g.builtin = !o->policy_path;
	g.policy_name = o->policy_path ? o->policy_path : "built-in";
	int rc = 0;
	if (o->policy_path && (rc = dv__policy_load(&g.pol, o->policy_path)) < 0) goto out;
	if (o->sinkhole && strcmp(o->sinkhole, "nxdomain")) {
		struct in_addr ia;
		if (inet_pton(AF_INET, o->sinkhole, &ia) != 1) {
			rc = dv_error_set(DV_EINVAL, NULL, -1, "bad sinkhole '%s' (nxdomain or an IPv4 address such as 0.0.0.0)", o->sinkhole);
			goto out;
		}
		snprintf(g.sinkhole, sizeof(g.sinkhole), "%s", o->sinkhole);
	}
	if (o->resolver) {
		dv__policy tmp;
		dv__policy_init(&tmp);
		char line[96];
		int n = snprintf(line, sizeof(line), "resolver %s\n", o->resolver);
		if (n < 0 || (size_t)n >= sizeof(line) || dv__policy_parse(&tmp, line, (size_t)n, "--resolver", NULL) < 0) {
			dv__policy_dispose(&tmp);
			rc = dv_error_set(DV_EINVAL, NULL, -1, "bad --resolver '%s' (one IPv4 or IPv6 address)", o->resolver);
			goto out;
		}
		g.resolver[0] = tmp.resolver[0];
		g.nresolver = 1;
		dv__policy_dispose(&tmp);
	} else {
		memcpy(g.resolver, g.pol.resolver, sizeof(g.resolver));
		g.nresolver = g.pol.nresolver;
	}
	/* the maker's endpoints (and the SDKs' with third_party), then deny-name */
	dv__eplist all;
	memset(&all, 0, sizeof(all));
	if ((rc = dv__eplist_load_text(&all, (const char *)dv__endpoints_tsv, dv__endpoints_tsv_len, "endpoints.tsv")) < 0 ||
	    (o->endpoints_path && (rc = dv__eplist_load_file(&all, o->endpoints_path)) < 0)) {
		dv__eplist_dispose(&all);
		goto out;
	}
	size_t cap = all.n + g.pol.deny.n;
	g.eps.v = calloc(cap ? cap : 1, sizeof(*g.eps.v));
	if (!g.eps.v) {
		dv__eplist_dispose(&all);
		rc = dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
		goto out;
	}
	g.eps.cap = cap;
	for (size_t i = 0; i < all.n; i++) {
		const dv__endpoint *e = &all.v[i];
		if (!e->maker && !o->third_party) continue;
		/* an allowed name is not sinkholed */
		if (dv__policy_name(&g.pol, e->pattern)) continue;
		g.eps.v[g.eps.n++] = *e;
	}
	for (size_t i = 0; i < g.pol.deny.n; i++) g.eps.v[g.eps.n++] = g.pol.deny.v[i];
	dv__eplist_dispose(&all);

	char *text = NULL, *wtext = NULL;
	size_t tl = 0, wl = 0;
	FILE *f = open_memstream(&text, &tl), *w = open_memstream(&wtext, &wl);
	if (!f || !w) {
		if (f) fclose(f);
		if (w) fclose(w);
		free(text);
		free(wtext);
		rc = dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
		goto out;
	}
	switch (o->format) {
	case DV_LOCKDOWN_NFT: gen_nft(f, w, &g); break;
	case DV_LOCKDOWN_DNSMASQ: gen_dnsmasq(f, &g); break;
	case DV_LOCKDOWN_UNBOUND: gen_unbound(f, &g); break;
	case DV_LOCKDOWN_HOSTS: gen_hosts(f, w, &g); break;
	}
	bool bad = ferror(f) || ferror(w);
	fclose(f);
	fclose(w);
	if (bad || !text) {
		free(text);
		free(wtext);
		rc = dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
		goto out;
	}
	*out = text;
	if (warnings && wl) *warnings = wtext;
	else free(wtext);
out:
	free(g.eps.v);
	dv__policy_dispose(&g.pol);
	return rc;
}

/* ---- running nft ---- */

static int run_nft(char **diag, int memfd, bool check)
{
	int pfd[2];
	if (pipe2(pfd, O_CLOEXEC) < 0) return dv_error_errno(errno, "nft", -1, "pipe");
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, memfd, 0);
	posix_spawn_file_actions_adddup2(&fa, pfd[1], 1);
	posix_spawn_file_actions_adddup2(&fa, pfd[1], 2);
	char *argv_c[] = { (char *)"nft", (char *)"-c", (char *)"-f", (char *)"/dev/stdin", NULL };
	char *argv_a[] = { (char *)"nft", (char *)"-f", (char *)"/dev/stdin", NULL };
	pid_t pid;
	(void)lseek(memfd, 0, SEEK_SET);
	int e = posix_spawnp(&pid, "nft", &fa, NULL, check ? argv_c : argv_a, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(pfd[1]);
	if (e) {
		close(pfd[0]);
		return e == ENOENT ? dv_error_set(DV_ENOTFOUND, "nft", -1, "the nft tool is not installed (Debian: apt install nftables)")
		                   : dv_error_errno(e, "nft", -1, "cannot run nft");
	}
	char *msg = NULL;
	size_t ml = 0;
	FILE *m = open_memstream(&msg, &ml);
	char buf[4096];
	ssize_t r;
	while ((r = read(pfd[0], buf, sizeof(buf))) != 0) {
		if (r < 0) {
			if (errno == EINTR) continue;
			break;
		}
		if (m && ml < (1u << 20)) fwrite(buf, 1, (size_t)r, m);
	}
	close(pfd[0]);
	if (m) fclose(m);
	int st = 0;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {}
	if (diag) {
		free(*diag);
		*diag = msg;
	} else {
		free(msg);
	}
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0) return 0;
	const char *said = msg ? msg : "";
	if (strstr(said, "Operation not permitted") || strstr(said, "Permission denied"))
		return dv_error_set(DV_EPERM, "nft", -1, "nft may not %s the rules (root or CAP_NET_ADMIN needed)",
		                    check ? "check" : "load");
	return dv_error_set(DV_EINVAL, "nft", -1, "nft %s the rules (exit %d)", check ? "refused" : "could not load",
	                    WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
}

int dv_lockdown_nft(char **diag, const char *rules, int mode)
{
	if (diag) *diag = NULL;
	int fd = memfd_create("dronevault-lockdown", MFD_CLOEXEC);
	if (fd < 0) return dv_error_errno(errno, "nft", -1, "memfd_create");
	size_t len = strlen(rules), off = 0;
	while (off < len) {
		ssize_t w = write(fd, rules + off, len - off);
		if (w < 0) {
			if (errno == EINTR) continue;
			int rc = dv_error_errno(errno, "nft", -1, "cannot buffer the rules");
			close(fd);
			return rc;
		}
		off += (size_t)w;
	}
	int rc = run_nft(diag, fd, true);
	if (rc == 0 && mode == DV_NFT_APPLY) rc = run_nft(diag, fd, false);
	close(fd);
	return rc;
}
