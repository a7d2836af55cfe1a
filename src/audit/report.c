/*
 * report.c - the audit as JSON (json-c), a terminal table, and a
 * self-contained HTML page (inline CSS and SVG, no scripts, no external
 * resources).
 */
#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/flow_int.h"
#include "audit/tunnel_int.h"
#include "dv/audit.h"
#include "dv/err.h"
#include "dv/util.h"

static const char *const flag_names[] = {
	"tls", "quic", "gquic", "http", "dns", "doh", "dot", "ech", "fragments", "handshake-seen",
	"midstream", "cleartext", "content-found", "snaplen-cut", "no-sni", "tunnel", "inside-tunnel",
	"encrypted-tunnel", "undecoded"
};

static const char *proto_name(int p)
{
	const char *n = dv_ip_proto_name((unsigned)p);
	return n ? n : "ip";
}

static json_object *reasons_array(const char *r)
{
	json_object *arr = json_object_new_array();
	const char *s = r;
	while (s && *s) {
		const char *e = strstr(s, "; ");
		size_t l = e ? (size_t)(e - s) : strlen(s);
		json_object_array_add(arr, json_object_new_string_len(s, (int)l));
		s = e ? e + 2 : NULL;
	}
	return arr;
}

static json_object *jstr_addr(int ipver, const uint8_t *addr)
{
	char b[64];
	dv_addr_str(b, sizeof(b), ipver, addr);
	return json_object_new_string(b);
}

static json_object *jtime(int64_t ns)
{
	char b[40];
	dv_time_iso(b, sizeof(b), ns);
	return json_object_new_string(b);
}

static json_object *endpoint_json(int ipver, const uint8_t *addr, uint16_t port)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "address", jstr_addr(ipver, addr));
	json_object_object_add(o, "port", json_object_new_int(port));
	return o;
}

#define U64(x) json_object_new_uint64((uint64_t)(x))

int dv_audit_to_json(const dv_audit *a, char **out)
{
	json_object *root = json_object_new_object();
	size_t n;
	const dv_audit_stats *st = dv_audit_get_stats(a);
	json_object_object_add(root, "tool", json_object_new_string("dronevault audit"));
	json_object_object_add(root, "verdict", json_object_new_string(dv_verdict_name(dv_audit_verdict(a))));
	json_object_object_add(root, "reasons", reasons_array(dv_audit_reasons(a)));

	json_object *cap = json_object_new_object();
	json_object_object_add(cap, "files", U64(st->files));
	json_object_object_add(cap, "frames", U64(st->frames));
	json_object_object_add(cap, "frame_bytes", U64(st->frame_bytes));
	json_object_object_add(cap, "non_ip_frames", U64(st->non_ip));
	json_object_object_add(cap, "ip_not_tcp_udp", U64(st->ip_other));
	json_object_object_add(cap, "ip_undecoded", U64(st->ip_undecoded));
	json_object_object_add(cap, "ethertype_undecoded_frames", U64(st->l2_undecoded));
	json_object_object_add(cap, "tunnel_inner_packets", U64(st->tunnel_packets));
	json_object_object_add(cap, "tunnel_undecoded", U64(st->tunnel_undecoded));
	json_object_object_add(cap, "fragments", U64(st->fragments));
	json_object_object_add(cap, "fragmented_datagrams_reassembled", U64(st->fragments_reassembled));
	json_object_object_add(cap, "damaged_frames", U64(st->damaged));
	json_object_object_add(cap, "snaplen_cut_frames", U64(st->snapcut));
	json_object_object_add(cap, "unsupported_link_frames", U64(st->unsupported_link));
	json_object_object_add(cap, "capture_errors", U64(st->capture_errors));
	json_object_object_add(cap, "flows", U64(st->flows));
	json_object_object_add(cap, "flows_evicted", U64(st->flows_evicted));
	json_object_object_add(cap, "records_over_cap", U64(st->names_dropped));
	if (st->frames) {
		json_object_object_add(cap, "first", jtime(st->first_ns));
		json_object_object_add(cap, "last", jtime(st->last_ns));
	}
	json_object_object_add(root, "capture", cap);
	json_object_object_add(root, "geo_source", json_object_new_string(dv_audit_geo_source(a)));

	const dv_audit_dest *d = dv_audit_dests(a, &n);
	json_object *dests = json_object_new_array();
	for (size_t i = 0; i < n; i++) {
		json_object *o = json_object_new_object();
		json_object_object_add(o, "address", jstr_addr(d[i].ipver, d[i].addr));
		json_object_object_add(o, "scope", json_object_new_string(dv_scope_name(d[i].place.scope)));
		json_object *names = json_object_new_array();
		for (unsigned k = 0; k < d[i].nnames; k++) json_object_array_add(names, json_object_new_string(d[i].names[k]));
		json_object_object_add(o, "names", names);
		json_object_object_add(o, "country", d[i].place.cc[0] && !d[i].place.anycast ? json_object_new_string(d[i].place.cc) : NULL);
		json_object_object_add(o, "anycast", json_object_new_boolean(d[i].place.anycast));
		json_object_object_add(o, "asn", d[i].place.asn ? json_object_new_int64(d[i].place.asn) : NULL);
		json_object_object_add(o, "as_name", d[i].place.as_name[0] ? json_object_new_string(d[i].place.as_name) : NULL);
		json_object_object_add(o, "network", d[i].place.network[0] ? json_object_new_string(d[i].place.network) : NULL);
		if (d[i].endpoint[0]) {
			json_object *e = json_object_new_object();
			json_object_object_add(e, "pattern", json_object_new_string(d[i].endpoint));
			json_object_object_add(e, "owner", json_object_new_string(d[i].endpoint_owner));
			json_object_object_add(e, "category", json_object_new_string(d[i].endpoint_category));
			json_object_object_add(e, "maker", json_object_new_boolean(d[i].flags & DV_DEST_MAKER));
			json_object_object_add(o, "endpoint", e);
		} else {
			json_object_object_add(o, "endpoint", NULL);
		}
		json_object_object_add(o, "allowed", json_object_new_boolean(d[i].flags & DV_DEST_ALLOWED));
		json_object_object_add(o, "names_hidden", json_object_new_boolean(d[i].flags & DV_DEST_HIDDEN));
		json_object_object_add(o, "content_hidden_by", d[i].hidden_by[0] ? json_object_new_string(d[i].hidden_by) : NULL);
		json_object_object_add(o, "tunnel_endpoint", d[i].tunnel[0] ? json_object_new_string(d[i].tunnel) : NULL);
		json_object_object_add(o, "via_tunnel", json_object_new_boolean(d[i].flags & DV_DEST_VIA_TUNNEL));
		json_object *pr = json_object_new_array();
		for (unsigned k = 0; k < d[i].nprotos; k++) json_object_array_add(pr, json_object_new_string(proto_name(d[i].protos[k])));
		json_object_object_add(o, "protocols", pr);
		json_object_object_add(o, "flows", U64(d[i].flows));
		json_object_object_add(o, "packets_out", U64(d[i].pkts_out));
		json_object_object_add(o, "packets_in", U64(d[i].pkts_in));
		json_object_object_add(o, "bytes_out", U64(d[i].bytes_out));
		json_object_object_add(o, "bytes_in", U64(d[i].bytes_in));
		json_object_object_add(o, "payload_bytes_out", U64(d[i].payload_bytes_out));
		json_object_object_add(o, "payload_bytes_in", U64(d[i].payload_bytes_in));
		json_object_object_add(o, "content_findings_out", U64(d[i].findings_out));
		json_object_object_add(o, "first", jtime(d[i].first_ns));
		json_object_object_add(o, "last", jtime(d[i].last_ns));
		json_object_object_add(o, "verdict", json_object_new_string(dv_verdict_name(d[i].verdict)));
		json_object_object_add(o, "reasons", reasons_array(d[i].reasons));
		json_object_array_add(dests, o);
	}
	json_object_object_add(root, "destinations", dests);

	const dv_flow *const *fl = dv_audit_flows(a, &n);
	json_object *flows = json_object_new_array();
	for (size_t i = 0; i < n; i++) {
		const dv_flow *f = fl[i];
		int r = dv_audit_flow_remote(f), l = r ^ 1;
		json_object *o = json_object_new_object();
		json_object_object_add(o, "id", U64(f->id));
		json_object_object_add(o, "proto", json_object_new_string(proto_name(f->proto)));
		json_object_object_add(o, "local", endpoint_json(f->ipver, f->addr[l], f->port[l]));
		json_object_object_add(o, "remote", endpoint_json(f->ipver, f->addr[r], f->port[r]));
		const dv_audit_dest *fd = dv_audit_flow_dest(a, f);
		json_object_object_add(o, "remote_scope", json_object_new_string(dv_scope_name(dv_addr_scope(f->ipver, f->addr[r]))));
		json_object_object_add(o, "country", fd && fd->place.cc[0] && !fd->place.anycast ? json_object_new_string(fd->place.cc) : NULL);
		json_object_object_add(o, "asn", fd && fd->place.asn ? json_object_new_int64(fd->place.asn) : NULL);
		json_object_object_add(o, "as_name", fd && fd->place.as_name[0] ? json_object_new_string(fd->place.as_name) : NULL);
		json_object_object_add(o, "client", json_object_new_string(f->client == l ? "local" : "remote"));
		json_object_object_add(o, "client_from_handshake", json_object_new_boolean(f->client_by_syn));
		json_object_object_add(o, "first_sender", json_object_new_string(l == 0 ? "local" : "remote"));
		json_object_object_add(o, "name", json_object_new_string(dv_audit_flow_name(a, f)));
		json_object_object_add(o, "sni", f->sni[0] ? json_object_new_string(f->sni) : NULL);
		json_object_object_add(o, "http_host", f->http_host[0] ? json_object_new_string(f->http_host) : NULL);
		json_object_object_add(o, "http_request", f->http_url[0] ? json_object_new_string(f->http_url) : NULL);
		json_object_object_add(o, "alpn", f->alpn[0] ? json_object_new_string(f->alpn) : NULL);
		json_object_object_add(o, "ip_proto", U64(f->proto));
		const char *eng = NULL, *app = dv_flow_app(f, &eng), *dva = dv_flow_app_dronevault(f);
		json_object_object_add(o, "app_protocol", app ? json_object_new_string(app) : NULL);
		json_object *en = json_object_new_object();
		json_object_object_add(en, "dronevault", dva ? json_object_new_string(dva) : NULL);
		json_object_object_add(en, "ndpi", f->app[0] ? json_object_new_string(f->app) : NULL);
		json_object_object_add(en, "used", eng ? json_object_new_string(eng) : NULL);
		json_object_object_add(o, "app_engines", en);
		json_object_object_add(o, "encrypted_tunnel", f->flags & DV_FLOW_VPN ? json_object_new_string(dv_vpn_name(f->vpn)) : NULL);
		json_object_object_add(o, "carries_tunnel", f->flags & DV_FLOW_TUNNEL ? json_object_new_string(dv_tunnel_name(f->carries)) : NULL);
		if (f->flags & DV_FLOW_INNER) {
			json_object *t = json_object_new_object();
			json_object_object_add(t, "kind", json_object_new_string(dv_tunnel_name(f->tunnel)));
			json_object_object_add(t, "depth", U64(f->tunnel_depth));
			json_object_object_add(t, "outer_remote", jstr_addr(f->tunnel_ipver, f->tunnel_peer));
			json_object_object_add(t, "key", f->tunnel_has_key ? U64(f->tunnel_key) : NULL);
			json_object_object_add(o, "tunnel", t);
		} else {
			json_object_object_add(o, "tunnel", NULL);
		}
		json_object_object_add(o, "app_category", f->app_category[0] ? json_object_new_string(f->app_category) : NULL);
		json_object *fa = json_object_new_array();
		for (unsigned b = 0; b < sizeof(flag_names) / sizeof(flag_names[0]); b++)
			if (f->flags & (1u << b)) json_object_array_add(fa, json_object_new_string(flag_names[b]));
		json_object_object_add(o, "flags", fa);
		json_object_object_add(o, "packets_out", U64(f->pkts[l]));
		json_object_object_add(o, "packets_in", U64(f->pkts[r]));
		json_object_object_add(o, "bytes_out", U64(f->frame_bytes[l]));
		json_object_object_add(o, "bytes_in", U64(f->frame_bytes[r]));
		json_object_object_add(o, "payload_bytes_out", U64(f->payload_bytes[l]));
		json_object_object_add(o, "payload_bytes_in", U64(f->payload_bytes[r]));
		json_object_object_add(o, "first", jtime(f->first_ns));
		json_object_object_add(o, "last", jtime(f->last_ns));
		json_object_object_add(o, "verdict", json_object_new_string(dv_verdict_name(dv_audit_flow_verdict(a, f))));
		json_object_array_add(flows, o);
	}
	json_object_object_add(root, "flows", flows);

	const dv_audit_dnsq *q = dv_audit_dns_queries(a, &n);
	json_object *qa = json_object_new_array();
	for (size_t i = 0; i < n; i++) {
		json_object *o = json_object_new_object();
		json_object_object_add(o, "name", json_object_new_string(q[i].qname));
		json_object_object_add(o, "type", json_object_new_int(q[i].qtype));
		json_object_object_add(o, "count", U64(q[i].count));
		json_object_array_add(qa, o);
	}
	json_object_object_add(root, "dns_queries", qa);

	const dv_audit_finding *fd = dv_audit_findings(a, &n);
	json_object *fa = json_object_new_array();
	for (size_t i = 0; i < n; i++) {
		json_object *o = json_object_new_object();
		json_object_object_add(o, "flow", U64(fd[i].flow_id));
		json_object_object_add(o, "frame", U64(fd[i].frame));
		json_object_object_add(o, "direction", json_object_new_string(fd[i].outbound ? "out" : "in"));
		json_object_object_add(o, "kind", json_object_new_string(dv_scan_kind_name(fd[i].hit.kind)));
		json_object_object_add(o, "payload_offset", U64(fd[i].hit.offset));
		if (fd[i].spans_segments) json_object_object_add(o, "starts_in_previous_segment", json_object_new_boolean(1));
		json_object_object_add(o, "excerpt", json_object_new_string(fd[i].hit.excerpt));
		if (fd[i].hit.kind == DV_SCAN_COORD) {
			json_object_object_add(o, "lat", json_object_new_double(fd[i].hit.lat));
			if (!isnan(fd[i].hit.lon)) json_object_object_add(o, "lon", json_object_new_double(fd[i].hit.lon));
		}
		json_object_array_add(fa, o);
	}
	json_object_object_add(root, "findings", fa);

	size_t nw;
	const char *w = dv_audit_warnings(a, &nw);
	json_object *wa = json_object_new_array();
	for (const char *s = w; *s;) {
		const char *e = strchr(s, '\n');
		size_t l = e ? (size_t)(e - s) : strlen(s);
		json_object_array_add(wa, json_object_new_string_len(s, (int)l));
		s = e ? e + 1 : s + l;
	}
	json_object_object_add(root, "warnings", wa);
	json_object_object_add(root, "warnings_total", U64(nw));

	const char *txt = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE);
	*out = txt ? strdup(txt) : NULL;
	json_object_put(root);
	return *out ? 0 : dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
}

static void human(char *b, size_t sz, uint64_t v)
{
	if (v < 10000) snprintf(b, sz, "%" PRIu64, v);
	else if (v < 10000000) snprintf(b, sz, "%.1fk", (double)v / 1e3);
	else snprintf(b, sz, "%.1fM", (double)v / 1e6);
}

void dv_audit_print(const dv_audit *a, FILE *out)
{
	size_t n;
	const dv_audit_dest *d = dv_audit_dests(a, &n);
	const dv_audit_stats *st = dv_audit_get_stats(a);
	fprintf(out, "%-12s %-39s %-34s %-3s %-8s %6s %8s %8s  %s\n", "VERDICT", "DESTINATION", "NAME", "CC", "ASN",
	        "FLOWS", "OUT", "IN", "ENDPOINT");
	for (size_t i = 0; i < n; i++) {
		char addr[64], o[16], in[16], asn[16] = "-";
		dv_addr_str(addr, sizeof(addr), d[i].ipver, d[i].addr);
		human(o, sizeof(o), d[i].bytes_out);
		human(in, sizeof(in), d[i].bytes_in);
		if (d[i].place.asn) snprintf(asn, sizeof(asn), "AS%u", d[i].place.asn);
		const char *cc = d[i].place.anycast ? "any" : d[i].place.cc[0] ? d[i].place.cc :
		                 d[i].place.scope != DV_SCOPE_EXTERNAL ? "lan" : "-";
		char nm[64];
		if (d[i].nnames) snprintf(nm, sizeof(nm), "%s", d[i].names[0]);
		else if (d[i].flags & DV_DEST_VPN) snprintf(nm, sizeof(nm), "(VPN: %s)", d[i].hidden_by);
		else if (d[i].flags & DV_DEST_TUNNEL) snprintf(nm, sizeof(nm), "(%s tunnel end)", d[i].tunnel);
		else snprintf(nm, sizeof(nm), "(no name)");
		fprintf(out, "%-12s %-39s %-34.34s %-3s %-8s %6u %8s %8s  %s\n", dv_verdict_name(d[i].verdict), addr,
		        nm, cc, asn, d[i].flows, o, in, d[i].endpoint[0] ? d[i].endpoint_owner : "");
	}
	const dv_audit_finding *fd = dv_audit_findings(a, &n);
	size_t shown = 0;
	for (size_t i = 0; i < n && shown < 20; i++) {
		if (!fd[i].outbound) continue;
		if (!shown++) fprintf(out, "\nreadable content sent in clear:\n");
		fprintf(out, "  flow %u frame %" PRIu64 " +%zu %s: %s\n", fd[i].flow_id, fd[i].frame, fd[i].hit.offset,
		        dv_scan_kind_name(fd[i].hit.kind), fd[i].hit.excerpt);
	}
	size_t nw;
	dv_audit_warnings(a, &nw);
	fprintf(out, "\n%" PRIu64 " frames, %" PRIu64 " flows (%" PRIu64 " evicted), %zu warnings\n", st->frames, st->flows,
	        st->flows_evicted, nw);
	fprintf(out, "verdict: %s - %s\n", dv_verdict_name(dv_audit_verdict(a)), dv_audit_reasons(a));
}

static void html_esc(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		default: fputc(*s, f);
		}
	}
}

int dv_audit_write_html(const dv_audit *a, const char *path)
{
	FILE *f = fopen(path, "w");
	if (!f) return dv_error_errno(errno, path, -1, "cannot create report");
	return dv_audit_write_html_to(a, f, path);
}

int dv_audit_write_html_to(const dv_audit *a, FILE *f, const char *path)
{
	size_t n;
	const dv_audit_stats *st = dv_audit_get_stats(a);
	const dv_audit_dest *d = dv_audit_dests(a, &n);
	dv_verdict v = dv_audit_verdict(a);
	char t0[40], t1[40];
	dv_time_iso(t0, sizeof(t0), st->first_ns);
	dv_time_iso(t1, sizeof(t1), st->last_ns);
	fprintf(f, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	           "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">"
	           "<title>dronevault audit: %s</title>\n<style>\n"
	           "body{font:14px/1.4 sans-serif;margin:2em;color:#222}table{border-collapse:collapse;width:100%%}"
	           "th,td{border-bottom:1px solid #ddd;padding:4px 6px;text-align:left;vertical-align:top}"
	           "td.n{text-align:right;font-variant-numeric:tabular-nums}.v{font-weight:bold;padding:2px 6px;border-radius:3px}"
	           ".leak{background:#fdd;color:#900}.clean{background:#dfd;color:#060}.inconclusive{background:#ffd;color:#860}"
	           "code{font-size:12px}small{color:#666}svg{display:block}\n</style></head><body>\n",
	        dv_verdict_name(v));
	fprintf(f, "<h1>Leak audit: <span class=\"v %s\">%s</span></h1>\n<ul>", dv_verdict_name(v), dv_verdict_name(v));
	const char *r = dv_audit_reasons(a);
	while (r && *r) {
		const char *e = strstr(r, "; ");
		size_t l = e ? (size_t)(e - r) : strlen(r);
		char buf[1024];
		snprintf(buf, sizeof(buf), "%.*s", (int)l, r);
		fputs("<li>", f);
		html_esc(f, buf);
		fputs("</li>", f);
		r = e ? e + 2 : NULL;
	}
	fprintf(f, "</ul>\n<p><small>%" PRIu64 " frames, %" PRIu64 " bytes, %" PRIu64 " flows (%" PRIu64
	           " evicted) from %u capture(s), %s to %s. Location data: ",
	        st->frames, st->frame_bytes, st->flows, st->flows_evicted, st->files, t0, t1);
	html_esc(f, dv_audit_geo_source(a)[0] ? dv_audit_geo_source(a) : "none");
	fputs(".</small></p>\n<h2>Destinations</h2>\n<table><tr><th>verdict</th><th>address</th><th>names</th><th>where</th>"
	      "<th>flows</th><th>packets out/in</th><th>bytes out/in</th><th>timeline</th><th>why</th></tr>\n", f);
	double span = (double)(st->last_ns - st->first_ns);
	if (span <= 0) span = 1;
	for (size_t i = 0; i < n; i++) {
		char addr[64];
		dv_addr_str(addr, sizeof(addr), d[i].ipver, d[i].addr);
		fprintf(f, "<tr><td><span class=\"v %s\">%s</span></td><td><code>", dv_verdict_name(d[i].verdict),
		        dv_verdict_name(d[i].verdict));
		html_esc(f, addr);
		fputs("</code></td><td>", f);
		for (unsigned k = 0; k < d[i].nnames; k++) {
			html_esc(f, d[i].names[k]);
			fputs("<br>", f);
		}
		if (d[i].endpoint[0]) {
			fputs("<small>endpoint ", f);
			html_esc(f, d[i].endpoint);
			fputs(" (", f);
			html_esc(f, d[i].endpoint_owner);
			fputs(")</small>", f);
		}
		fputs("</td><td>", f);
		if (d[i].place.scope != DV_SCOPE_EXTERNAL) {
			html_esc(f, dv_scope_name(d[i].place.scope));
		} else {
			html_esc(f, d[i].place.anycast ? "anycast" : d[i].place.cc[0] ? d[i].place.cc : "?");
			if (d[i].place.asn) {
				fprintf(f, "<br><small>AS%u ", d[i].place.asn);
				html_esc(f, d[i].place.as_name);
				fputs("</small>", f);
			}
		}
		double x0 = (double)(d[i].first_ns - st->first_ns) / span * 200, x1 = (double)(d[i].last_ns - st->first_ns) / span * 200;
		if (x1 - x0 < 2) x1 = x0 + 2;
		fprintf(f, "</td><td class=\"n\">%u</td><td class=\"n\">%" PRIu64 " / %" PRIu64 "</td><td class=\"n\">%" PRIu64
		           " / %" PRIu64 "</td><td><svg width=\"204\" height=\"12\" role=\"img\"><rect x=\"0\" y=\"5\" width=\"204\" height=\"2\" fill=\"#eee\"/>"
		           "<rect x=\"%.1f\" y=\"1\" width=\"%.1f\" height=\"10\" fill=\"%s\"/></svg></td><td><small>",
		        d[i].flows, d[i].pkts_out, d[i].pkts_in, d[i].bytes_out, d[i].bytes_in, x0, x1 - x0,
		        d[i].verdict == DV_VERDICT_LEAK ? "#c33" : d[i].verdict == DV_VERDICT_INCONCLUSIVE ? "#c93" : "#393");
		html_esc(f, d[i].reasons);
		fputs("</small></td></tr>\n", f);
	}
	fputs("</table>\n", f);
	const dv_audit_finding *fd = dv_audit_findings(a, &n);
	if (n) {
		fputs("<h2>Readable content</h2>\n<table><tr><th>flow</th><th>frame</th><th>direction</th><th>kind</th><th>offset</th><th>excerpt</th></tr>\n", f);
		for (size_t i = 0; i < n; i++) {
			fprintf(f, "<tr><td>%u</td><td>%" PRIu64 "</td><td>%s</td><td>%s</td><td>%zu</td><td><code>", fd[i].flow_id,
			        fd[i].frame, fd[i].outbound ? "out" : "in", dv_scan_kind_name(fd[i].hit.kind), fd[i].hit.offset);
			html_esc(f, fd[i].hit.excerpt);
			fputs("</code></td></tr>\n", f);
		}
		fputs("</table>\n", f);
	}
	const dv_flow *const *fl = dv_audit_flows(a, &n);
	fputs("<h2>Flows</h2>\n<table><tr><th>#</th><th>proto</th><th>local</th><th>remote</th><th>name</th><th>app (engine: dronevault / nDPI)</th><th>packets out/in</th>"
	      "<th>bytes out/in</th><th>payload out/in</th><th>verdict</th></tr>\n", f);
	for (size_t i = 0; i < n; i++) {
		const dv_flow *fw = fl[i];
		int rr = dv_audit_flow_remote(fw), l = rr ^ 1;
		char la[64], ra[64];
		dv_addr_str(la, sizeof(la), fw->ipver, fw->addr[l]);
		dv_addr_str(ra, sizeof(ra), fw->ipver, fw->addr[rr]);
		fprintf(f, "<tr><td>%u</td><td>%s</td><td><code>", fw->id, proto_name(fw->proto));
		html_esc(f, la);
		fprintf(f, ":%u</code></td><td><code>", fw->port[l]);
		html_esc(f, ra);
		fprintf(f, ":%u</code></td><td>", fw->port[rr]);
		html_esc(f, dv_audit_flow_name(a, fw));
		if (fw->flags & DV_FLOW_INNER) {
			char tp[64];
			dv_addr_str(tp, sizeof(tp), fw->tunnel_ipver, fw->tunnel_peer);
			fprintf(f, "<br><small>inside %s via ", dv_tunnel_name(fw->tunnel));
			html_esc(f, tp);
			fputs("</small>", f);
		}
		fputs("</td><td>", f);
		const char *eng = NULL, *app = dv_flow_app(fw, &eng), *dva = dv_flow_app_dronevault(fw);
		html_esc(f, app ? app : "");
		if (app) {
			fprintf(f, "<br><small>%s; dronevault: ", eng);
			html_esc(f, dva ? dva : "-");
			fputs(", nDPI: ", f);
			html_esc(f, fw->app[0] ? fw->app : "-");
			fputs("</small>", f);
		}
		if (fw->flags & DV_FLOW_VPN) {
			fputs("<br><small>encrypted tunnel: content hidden</small>", f);
		}
		dv_verdict fv = dv_audit_flow_verdict(a, fw);
		fprintf(f, "</td><td class=\"n\">%" PRIu64 " / %" PRIu64 "</td><td class=\"n\">%" PRIu64 " / %" PRIu64
		           "</td><td class=\"n\">%" PRIu64 " / %" PRIu64 "</td><td><span class=\"v %s\">%s</span></td></tr>\n",
		        fw->pkts[l], fw->pkts[rr], fw->frame_bytes[l], fw->frame_bytes[rr], fw->payload_bytes[l],
		        fw->payload_bytes[rr], dv_verdict_name(fv), dv_verdict_name(fv));
	}
	fputs("</table>\n", f);
	size_t nw;
	const char *w = dv_audit_warnings(a, &nw);
	if (nw) {
		fprintf(f, "<h2>Warnings (%zu)</h2>\n<pre>", nw);
		html_esc(f, w);
		fputs("</pre>\n", f);
	}
	fputs("<p><small>Made by dronevault audit. Bytes are whole frames as captured (link header included); payload is TCP "
	      "segment or UDP payload bytes.</small></p>\n</body></html>\n", f);
	if (fclose(f) != 0) return dv_error_errno(errno, path, -1, "cannot write report");
	return 0;
}
