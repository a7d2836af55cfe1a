/*
 * The court package: the case's files bit for bit under files/, a DFXML
 * document, a CASE/UCO JSON-LD document with its context inline, a
 * readable report (report.html), VERIFY.md, and custody/ (the case's
 * custody chain, written by the custody area: see write_custody below).
 */
#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <ftw.h>
#include <json-c/json.h>
#include <math.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dv/catalog.h"
#include "dv/custody.h"
#include "dv/custody_actions.h"
#include "dv/err.h"
#include "dv/util.h"
#include "exports/exports_int.h"
#include "exports/write_int.h"


/* the report computes the coverage up to this many photos */
#define COVERAGE_MAX_PHOTOS 5000

struct cfile {
	dv_file_rec f;
	char *rel;       /* under the package */
	const dv_xphoto *photo;
};

struct court {
	dv_vault *v;
	const dv_xcourt_info *info;
	const dv_xphoto *p;
	size_t np;
	dv_ingest_rec *ing;
	size_t ning, caping;
	struct cfile *files;
	size_t nf, capf;
	int64_t cur_ingest;
	int rc;
	json_object *log;   /* the case's custody entries (bodies) */
	bool map, map_base;
	bool has_cov;            /* coverage.geojson written */
	dv_coverage_result cov;
	char cov_why[256];       /* why not, when not */
	uint64_t custody_entries; /* custody/: the case's chain (write_custody) */
	char custody_head[65];
};

static int on_ingest(const dv_ingest_rec *r, void *payload)
{
	struct court *c = payload;
	if (c->ning == c->caping) {
		size_t cap = c->caping ? c->caping * 2 : 4;
		dv_ingest_rec *n = realloc(c->ing, cap * sizeof(*n));
		if (!n) return dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
		c->ing = n;
		c->caping = cap;
	}
	c->ing[c->ning++] = *r;
	return 0;
}

static int on_file(const dv_file_rec *f, void *payload)
{
	struct court *c = payload;
	if (c->nf == c->capf) {
		size_t cap = c->capf ? c->capf * 2 : 64;
		struct cfile *n = realloc(c->files, cap * sizeof(*n));
		if (!n) return dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
		c->files = n;
		c->capf = cap;
	}
	struct cfile *x = &c->files[c->nf++];
	memset(x, 0, sizeof(*x));
	x->f = *f;
	for (size_t i = 0; i < c->np; i++)
		if (c->p[i].f.id == f->id) x->photo = &c->p[i];
	return 0;
}

static int on_entry(const dv_custody_entry *e, json_object *body, void *payload)
{
	struct court *c = payload;
	json_object *cn;
	if (!body || !json_object_object_get_ex(body, "case", &cn) || !json_object_is_type(cn, json_type_string) ||
	    strcmp(json_object_get_string(cn), c->info->case_name))
		return 0;
	json_object *o = json_object_new_object();
	json_object_object_add(o, "seq", json_object_new_int64((int64_t)e->seq));
	json_object_object_add(o, "time_ns", json_object_new_int64(e->time_ns));
	char hex[65];
	dv_hex(hex, e->hash, 32);
	json_object_object_add(o, "entry_hash", json_object_new_string(hex));
	json_object_object_add(o, "body", json_object_get(body));
	json_object_array_add(c->log, o);
	return 0;
}

static void on_problem(const char *msg, void *payload)
{
	(void)msg;
	(void)payload;
}

/* XML 1.0 text: markup escaped; control bytes and invalid UTF-8 (a hostile
 * card's names) as '?', the exact bytes being in the CASE document. */
static void xml_text(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		unsigned char c = *p;
		if (c == '&') fputs("&amp;", f);
		else if (c == '<') fputs("&lt;", f);
		else if (c == '>') fputs("&gt;", f);
		else if (c == '"') fputs("&quot;", f);
		else if (c == '\'') fputs("&apos;", f);
		else if (c < 0x20 && c != '\t') fputc('?', f);
		else if (c < 0x80) fputc(c, f);
		else {
			int len = (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;
			bool ok = len > 0 && !(c == 0xc0 || c == 0xc1) && c <= 0xf4;
			for (int i = 1; ok && i < len; i++) ok = (p[i] & 0xc0) == 0x80;
			if (!ok) {
				fputc('?', f);
				p++;
				continue;
			}
			fwrite(p, 1, (size_t)len, f);
			p += len;
			continue;
		}
		p++;
	}
}

static void iso(char *buf, size_t n, int64_t ns)
{
	if (ns <= 0) {
		buf[0] = '\0';
		return;
	}
	time_t t = (time_t)(ns / 1000000000);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int write_dfxml(dv_xpkg *pkg, struct court *c)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f) return dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
	char when[40];
	iso(when, sizeof(when), c->info->now_ns);
	fputs("<?xml version='1.0' encoding='UTF-8'?>\n"
	      "<dfxml xmlns='http://www.forensicswiki.org/wiki/Category:Digital_Forensics_XML'\n"
	      "       xmlns:dc='http://purl.org/dc/elements/1.1/' version='2.0.0-beta.0'>\n"
	      "  <metadata>\n    <dc:type>Court package file list</dc:type>\n    <dc:title>Case ", f);
	xml_text(f, c->info->case_name);
	fputs("</dc:title>\n  </metadata>\n  <creator version='1.0'>\n    <program>dronevault</program>\n    <version>", f);
	xml_text(f, c->info->tool_version);
	fputs("</version>\n    <execution_environment>\n", f);
	fputs("      <username>", f);
	xml_text(f, c->info->operator_name);
	fprintf(f, "</username>\n      <start_time>%s</start_time>\n    </execution_environment>\n  </creator>\n  <source>\n", when);
	for (size_t i = 0; i < c->ning; i++) {
		fputs("    <image_filename>", f);
		xml_text(f, c->ing[i].source);
		fputs("</image_filename>\n", f);
	}
	fputs("  </source>\n", f);
	for (size_t i = 0; i < c->nf; i++) {
		const dv_file_rec *r = &c->files[i].f;
		char hex[65], t[40];
		dv_hex(hex, r->sha256, 32);
		fputs("  <fileobject>\n    <filename>", f);
		xml_text(f, r->path);
		fprintf(f, "</filename>\n    <id>%lld</id>\n    <filesize>%llu</filesize>\n", (long long)r->id,
		        (unsigned long long)r->size);
		iso(t, sizeof(t), r->mtime_ns);
		if (t[0]) fprintf(f, "    <mtime>%s</mtime>\n", t);
		iso(t, sizeof(t), r->atime_ns);
		if (t[0]) fprintf(f, "    <atime>%s</atime>\n", t);
		if (r->crtime_ns != INT64_MIN) {
			iso(t, sizeof(t), r->crtime_ns);
			if (t[0]) fprintf(f, "    <crtime>%s</crtime>\n", t);
		}
		fprintf(f, "    <hashdigest type='sha256'>%s</hashdigest>\n  </fileobject>\n", hex);
	}
	fputs("</dfxml>\n", f);
	return dv_xpkg_stream(pkg, "case.dfxml", f, &buf, &len);
}

static json_object *jstr(const char *s)
{
	return json_object_new_string(s);
}

static json_object *typed(const char *type, const char *value)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "@type", jstr(type));
	json_object_object_add(o, "@value", jstr(value));
	return o;
}

static json_object *ref(const char *id)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "@id", jstr(id));
	return o;
}

static json_object *node(const char *id, const char *type)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "@id", jstr(id));
	json_object_object_add(o, "@type", jstr(type));
	return o;
}

/* A CASE/UCO ContentDataFacet: the SHA-256 and the size of some content
 * (a file, or a card's image). */
static json_object *content_facet(const uint8_t sha256[32], uint64_t size)
{
	char hex[65];
	dv_hex(hex, sha256, 32);
	json_object *cd = json_object_new_object(), *hs = json_object_new_array(), *h = json_object_new_object();
	json_object_object_add(cd, "@type", jstr("uco-observable:ContentDataFacet"));
	json_object_object_add(h, "@type", jstr("uco-types:Hash"));
	json_object_object_add(h, "uco-types:hashMethod", typed("uco-vocabulary:HashNameVocab", "SHA256"));
	json_object_object_add(h, "uco-types:hashValue", typed("xsd:hexBinary", hex));
	json_object_array_add(hs, h);
	json_object_object_add(cd, "uco-observable:hash", hs);
	json_object_object_add(cd, "uco-observable:sizeInBytes", json_object_new_int64((int64_t)size));
	return cd;
}

static int write_case(dv_xpkg *pkg, struct court *c)
{
	json_object *doc = json_object_new_object(), *ctx = json_object_new_object(), *g = json_object_new_array();
	static const char *const prefixes[][2] = {
		{ "kb", "urn:dronevault:kb:" },
		{ "case-investigation", "https://ontology.caseontology.org/case/investigation/" },
		{ "uco-core", "https://ontology.unifiedcyberontology.org/uco/core/" },
		{ "uco-action", "https://ontology.unifiedcyberontology.org/uco/action/" },
		{ "uco-identity", "https://ontology.unifiedcyberontology.org/uco/identity/" },
		{ "uco-observable", "https://ontology.unifiedcyberontology.org/uco/observable/" },
		{ "uco-tool", "https://ontology.unifiedcyberontology.org/uco/tool/" },
		{ "uco-types", "https://ontology.unifiedcyberontology.org/uco/types/" },
		{ "uco-vocabulary", "https://ontology.unifiedcyberontology.org/uco/vocabulary/" },
		{ "xsd", "http://www.w3.org/2001/XMLSchema#" },
	};
	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		json_object_object_add(ctx, prefixes[i][0], jstr(prefixes[i][1]));
	json_object_object_add(doc, "@context", ctx);
	char id[160], when[40];
	/* the instrument and the performers */
	json_object *tool = node("kb:tool-dronevault", "uco-tool:Tool");
	json_object_object_add(tool, "uco-core:name", jstr("dronevault"));
	json_object_object_add(tool, "uco-tool:version", jstr(c->info->tool_version));
	json_object_object_add(tool, "uco-tool:toolType", jstr("evidence vault"));
	json_object_array_add(g, tool);
	json_object *inv = node("kb:investigation", "case-investigation:Investigation");
	json_object_object_add(inv, "uco-core:name", jstr(c->info->case_name));
	json_object *inv_obj = json_object_new_array();
	json_object_object_add(inv, "uco-core:object", inv_obj);
	json_object_array_add(g, inv);
	for (size_t i = 0; i < c->ning; i++) {
		const dv_ingest_rec *r = &c->ing[i];
		char who[64], src[64], act[64], prov[64];
		snprintf(who, sizeof(who), "kb:identity-ingest-%lld", (long long)r->id);
		snprintf(src, sizeof(src), "kb:source-ingest-%lld", (long long)r->id);
		snprintf(act, sizeof(act), "kb:acquisition-%lld", (long long)r->id);
		snprintf(prov, sizeof(prov), "kb:provenance-%lld", (long long)r->id);
		json_object *pers = node(who, "uco-identity:Identity");
		json_object_object_add(pers, "uco-core:name", jstr(r->operator_name));
		json_object_array_add(g, pers);
		/* the source device: the card or its image, with the image hash */
		json_object *sd = node(src, "uco-observable:ObservableObject");
		json_object_object_add(sd, "uco-core:name", jstr(r->source));
		json_object *facets = json_object_new_array();
		json_object *dev = json_object_new_object();
		json_object_object_add(dev, "@type", jstr("uco-observable:DeviceFacet"));
		json_object_object_add(dev, "uco-observable:deviceType", jstr(r->kind));
		json_object_array_add(facets, dev);
		if (r->has_image_hash) json_object_array_add(facets, content_facet(r->image_sha256, r->image_size));
		json_object_object_add(sd, "uco-core:hasFacet", facets);
		json_object_array_add(g, sd);
		json_object *a = node(act, "case-investigation:InvestigativeAction");
		json_object_object_add(a, "uco-core:name", jstr("acquisition"));
		iso(when, sizeof(when), r->started_ns);
		if (when[0]) json_object_object_add(a, "uco-action:startTime", typed("xsd:dateTime", when));
		iso(when, sizeof(when), r->finished_ns);
		if (when[0]) json_object_object_add(a, "uco-action:endTime", typed("xsd:dateTime", when));
		json_object_object_add(a, "uco-action:performer", ref(who));
		json_object_object_add(a, "uco-action:instrument", ref("kb:tool-dronevault"));
		json_object *objs = json_object_new_array();
		json_object_array_add(objs, ref(src));
		json_object_object_add(a, "uco-action:object", objs);
		json_object *results = json_object_new_array(), *pobj = json_object_new_array();
		for (size_t k = 0; k < c->nf; k++) {
			if (c->files[k].f.ingest_id != r->id) continue;
			snprintf(id, sizeof(id), "kb:file-%lld", (long long)c->files[k].f.id);
			json_object_array_add(results, ref(id));
			json_object_array_add(pobj, ref(id));
		}
		json_object_array_add(results, ref(prov));
		json_object_object_add(a, "uco-action:result", results);
		json_object_array_add(g, a);
		json_object *pr = node(prov, "case-investigation:ProvenanceRecord");
		snprintf(id, sizeof(id), "ingest %lld of case %s", (long long)r->id, c->info->case_name);
		json_object_object_add(pr, "case-investigation:exhibitNumber", jstr(id));
		json_object_object_add(pr, "uco-core:object", pobj);
		json_object_array_add(g, pr);
		json_object_array_add(inv_obj, ref(act));
	}
	for (size_t k = 0; k < c->nf; k++) {
		const dv_file_rec *r = &c->files[k].f;
		snprintf(id, sizeof(id), "kb:file-%lld", (long long)r->id);
		json_object *fo = node(id, "uco-observable:File"), *facets = json_object_new_array();
		json_object *ff = json_object_new_object();
		json_object_object_add(ff, "@type", jstr("uco-observable:FileFacet"));
		const char *b = strrchr(r->path, '/');
		json_object_object_add(ff, "uco-observable:fileName", jstr(b ? b + 1 : r->path));
		json_object_object_add(ff, "uco-observable:filePath", jstr(r->path));
		json_object_object_add(ff, "uco-observable:sizeInBytes", json_object_new_int64((int64_t)r->size));
		iso(when, sizeof(when), r->mtime_ns);
		if (when[0]) json_object_object_add(ff, "uco-observable:modifiedTime", typed("xsd:dateTime", when));
		json_object_array_add(facets, ff);
		json_object_array_add(facets, content_facet(r->sha256, r->size));
		json_object_object_add(fo, "uco-core:hasFacet", facets);
		json_object_array_add(g, fo);
	}
	/* the custody log entries of the case, as the vault recorded them */
	size_t nl = json_object_array_length(c->log);
	for (size_t i = 0; i < nl; i++) {
		json_object *e = json_object_array_get_idx(c->log, i), *x;
		snprintf(id, sizeof(id), "kb:custody-entry-%lld",
		         json_object_object_get_ex(e, "seq", &x) ? (long long)json_object_get_int64(x) : (long long)i);
		json_object *an = node(id, "uco-core:Annotation");
		json_object_object_get_ex(e, "body", &x);
		json_object_object_add(an, "uco-core:statement", jstr(json_object_to_json_string_ext(x, JSON_C_TO_STRING_PLAIN)));
		json_object_object_get_ex(e, "entry_hash", &x);
		json_object_object_add(an, "uco-core:description", jstr(json_object_get_string(x)));
		json_object *tg = json_object_new_array();
		json_object_array_add(tg, ref("kb:investigation"));
		json_object_object_add(an, "uco-core:object", tg);
		json_object_array_add(g, an);
	}
	json_object_object_add(doc, "@graph", g);
	const char *js = json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
	int rc = dv_xpkg_text(pkg, "case.jsonld", js, strlen(js));
	json_object_put(doc);
	return rc;
}

/* ---- report.html ---------------------------------------------------------- */

static void html(FILE *f, const char *s)
{
	xml_text(f, s);
}

static bool log_has(struct court *c, const char *action, json_object **last)
{
	size_t nl = json_object_array_length(c->log);
	bool found = false;
	for (size_t i = 0; i < nl; i++) {
		json_object *e = json_object_array_get_idx(c->log, i), *b, *a;
		if (json_object_object_get_ex(e, "body", &b) && json_object_object_get_ex(b, "action", &a) &&
		    !strcmp(json_object_get_string(a), action)) {
			found = true;
			if (last) *last = b;
		}
	}
	return found;
}

/* A findings section: the case's last custody entry of that action as it
 * was logged, or "not shown" and why. True when shown. */
static bool finding(FILE *f, struct court *c, const char *title, const char *action, const char *why_not)
{
	json_object *last = NULL;
	fprintf(f, "<h3>%s</h3>\n", title);
	if (!log_has(c, action, &last)) {
		fprintf(f, "<p class='ns'>not shown: %s.</p>\n", why_not);
		return false;
	}
	fputs("<pre>", f);
	html(f, json_object_to_json_string_ext(last, JSON_C_TO_STRING_PRETTY));
	fputs("</pre>\n", f);
	return true;
}

static int write_report(dv_xpkg *pkg, struct court *c)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f) return dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
	char when[40];
	iso(when, sizeof(when), c->info->now_ns);
	fputs("<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'><title>Case ", f);
	html(f, c->info->case_name);
	fputs("</title>\n<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #999;"
	      "padding:2px 6px;font-size:11px}code{font-size:10px}.ns{color:#a40}h2{break-before:page}h2.first{break-before:auto}img{max-width:100%}</style></head><body>\n<h1>Case ", f);
	html(f, c->info->case_name);
	fprintf(f, "</h1>\n<p>Court package made %s by ", when);
	html(f, c->info->operator_name);
	fputs(" with dronevault ", f);
	html(f, c->info->tool_version);
	fputs(". Every file is in <code>files/</code> and listed in <code>SHA256SUMS</code>; VERIFY.md says how to check "
	      "them without dronevault.</p>\n<h2 class='first'>Acquisitions</h2>\n<table><tr><th>ingest</th><th>who</th><th>started</th>"
	      "<th>finished</th><th>source</th><th>kind</th><th>image SHA-256</th><th>files</th></tr>\n", f);
	for (size_t i = 0; i < c->ning; i++) {
		const dv_ingest_rec *r = &c->ing[i];
		char s[40], e[40], hex[65] = "-";
		iso(s, sizeof(s), r->started_ns);
		iso(e, sizeof(e), r->finished_ns);
		if (r->has_image_hash) dv_hex(hex, r->image_sha256, 32);
		fprintf(f, "<tr><td>%lld</td><td>", (long long)r->id);
		html(f, r->operator_name);
		fprintf(f, "</td><td>%s</td><td>%s</td><td>", s, e[0] ? e : "open");
		html(f, r->source);
		fputs("</td><td>", f);
		html(f, r->kind);
		fprintf(f, "</td><td><code>%s</code></td><td>%llu</td></tr>\n", hex, (unsigned long long)r->files);
	}
	fputs("</table>\n<h2>Files</h2>\n<table><tr><th>path</th><th>bytes</th><th>SHA-256</th><th>taken</th>"
	      "<th>position</th><th>gaps</th></tr>\n", f);
	for (size_t i = 0; i < c->nf; i++) {
		const struct cfile *x = &c->files[i];
		char hex[65];
		dv_hex(hex, x->f.sha256, 32);
		fputs("<tr><td>", f);
		html(f, x->f.path);
		fprintf(f, "</td><td>%llu</td><td><code>%s</code></td><td>", (unsigned long long)x->f.size, hex);
		if (x->photo) {
			html(f, x->photo->time_text);
			fputs("</td><td>", f);
			if (x->photo->has_pos) fprintf(f, "%.6f, %.6f", x->photo->lat, x->photo->lon);
			if (isfinite(x->photo->abs_alt)) fprintf(f, " (%.1f m)", x->photo->abs_alt);
			char g[512];
			dv_xgaps_text(g, sizeof(g), x->photo->gaps & (DV_XGAP_POS | DV_XGAP_ALT | DV_XGAP_TELEMETRY));
			fputs("</td><td>", f);
			html(f, g);
		} else {
			fputs("</td><td></td><td>", f);
		}
		fputs("</td></tr>\n", f);
	}
	fputs("</table>\n<h2>Flights</h2>\n", f);
	if (c->map)
		fprintf(f, "<p><img id='map' src='map.png' width='900' height='450' alt='map'></p>\n<p>Left: 12 x 12 degrees around "
		           "the scene (red square)%s. Right: the photos (dots) and each flight's track, 100 m bar.</p>\n",
		        c->map_base ? ", borders and coastlines from Natural Earth (world-atlas)" : "; no base map was available");
	else
		fputs("<p>No photo of the case has a position: no map.</p>\n", f);
	fputs("<h3>Coverage</h3>\n", f);
	if (c->has_cov)
		fprintf(f, "<p>%llu photos with a footprint (%llu without, listed in coverage.geojson): %.1f %% of %.0f m&sup2; "
		           "(the footprints' convex hull) seen by at least %d photos; %llu holes. Heights are relative "
		           "altitudes over flat ground at take-off (docs/exports.md).</p>\n",
		        (unsigned long long)c->cov.photos, (unsigned long long)c->cov.skipped, c->cov.share * 100, c->cov.area_m2,
		        c->cov.min_images, (unsigned long long)c->cov.holes);
	else {
		fputs("<p class='ns'>not shown: ", f);
		html(f, c->cov_why);
		fputs("</p>\n", f);
	}
	fputs("<h2>Findings</h2>\n", f);
	finding(f, c, "Zone findings", DV_ACTION_ZONES_CHECK, "the case holds no zones check");
	bool audit = finding(f, c, "Audit verdicts", DV_ACTION_AUDIT, "the case holds no audited capture");
	bool radio = finding(f, c, "Remote ID exposure", DV_ACTION_RADIO, "the case holds no radio capture");
	/* the regime: what this case shows of the agency's rules */
	fputs("<h2>Regime</h2>\n<table><tr><th>rule</th><th>what the case shows</th></tr>\n", f);
	/* what the ingest entries of the case record (keys other areas may add
	 * are looked for by name; absent = not shown) */
	long sandbox_seq = -1, untouched_seq = -1, cable_seq = -1;
	for (size_t i = 0; i < json_object_array_length(c->log); i++) {
		json_object *e = json_object_array_get_idx(c->log, i), *b, *a, *x, *sq;
		if (!json_object_object_get_ex(e, "body", &b) || !json_object_object_get_ex(b, "action", &a) ||
		    strcmp(json_object_get_string(a), DV_ACTION_INGEST))
			continue;
		long seq = json_object_object_get_ex(e, "seq", &sq) ? (long)json_object_get_int64(sq) : 0;
		if (json_object_object_get_ex(b, "sandbox", &x) && json_object_get_boolean(x)) sandbox_seq = seq;
		if (json_object_object_get_ex(b, "source_untouched", &x) && json_object_get_boolean(x)) untouched_seq = seq;
		if (json_object_object_get_ex(b, "connection", &x) && json_object_is_type(x, json_type_string) &&
		    !strcmp(json_object_get_string(x), "cable"))
			cable_seq = seq;
	}
	static const char ns[] = "<span class='ns'>not shown</span>";
	fputs("<tr><td>acquired by cable</td><td>", f);
	if (cable_seq >= 0) fprintf(f, "shown: custody entry %ld", cable_seq);
	else fputs(ns, f);
	fputs("</td></tr>\n<tr><td>source untouched</td><td>", f);
	if (untouched_seq >= 0) fprintf(f, "shown: custody entry %ld", untouched_seq);
	else fputs(ns, f);
	fputs("</td></tr>\n<tr><td>read in the sandbox (no network)</td><td>", f);
	if (sandbox_seq >= 0) fprintf(f, "shown: the sandboxed reader, custody entry %ld", sandbox_seq);
	else fputs(ns, f);
	fputs("</td></tr>\n", f);
	fprintf(f, "<tr><td>captures of the hotspot audited, verdicts</td><td>%s</td></tr>\n",
	        audit ? "shown (see Audit verdicts)" : "<span class='ns'>not shown</span>");
	fprintf(f, "<tr><td>zones checked</td><td>%s</td></tr>\n",
	        log_has(c, DV_ACTION_ZONES_CHECK, NULL) ? "shown (see Zone findings)" : "<span class='ns'>not shown</span>");
	fprintf(f, "<tr><td>what the drone broadcast</td><td>%s</td></tr>\n</table>\n",
	        radio ? "shown (see Remote ID exposure)" : "<span class='ns'>not shown</span>");
	fputs("<h3>Custody</h3>\n<p>", f);
	fprintf(f, "%zu custody log entries name this case (case.jsonld lists them). custody/ holds the case's signed "
	           "chain of %llu entries, checkable with coreutils and OpenSSL alone (VERIFY.md); its head is "
	           "<code>%s</code>.</p>\n",
	        json_object_array_length(c->log), (unsigned long long)c->custody_entries, c->custody_head);
	fputs("</body></html>\n", f);
	return dv_xpkg_stream(pkg, "report.html", f, &buf, &len);
}

static const char verify_md[] =
	"# How to check this package\n"
	"\n"
	"Nothing here needs dronevault or a vault key: coreutils and OpenSSL suffice.\n"
	"\n"
	"## 1. The package is complete\n"
	"\n"
	"`COMPLETE` is written last and holds the SHA-256 of `SHA256SUMS`:\n"
	"\n"
	"    sha256sum -c COMPLETE\n"
	"\n"
	"## 2. Every file is the one acquired\n"
	"\n"
	"    sha256sum -c SHA256SUMS\n"
	"\n"
	"Every line must say `OK`. The hashes are also in `case.dfxml` (DFXML\n"
	"`hashdigest`) and `case.jsonld` (CASE/UCO `uco-types:hashValue`), and each\n"
	"file's SHA-256 is the one the vault computed at acquisition.\n"
	"\n"
	"## 3. The custody chain\n"
	"\n"
	"`custody/` holds the case's chain: each entry's signed statement, its\n"
	"Ed25519 signature, its salt and its body in clear, the station's public\n"
	"key (`station.pem`) and the case head (`HEAD`). Run the commands of\n"
	"`custody/VERIFY.md` inside `custody/` (coreutils and `openssl pkeyutl\n"
	"-verify -rawin`): every signature, the chain and each body's commitment\n"
	"are checked, and the last line prints the case head, which must equal the\n"
	"head recorded outside the vault when the package was made (the export's\n"
	"custody entry records it as `case_head`).\n";

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Lists in SHA256SUMS, in name order, every file of the package directory
 * rel (one level) that the custody area wrote; its subdirectories too. */
static int adopt_dir(dv_xpkg *pkg, const char *rel, int depth)
{
	int fd = openat(pkg->pfd, rel, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);
	if (!d) {
		if (fd >= 0) close(fd);
		return dv_error_errno(errno, pkg->dest, -1, "cannot read %s of the package", rel);
	}
	char **names = NULL;
	size_t n = 0, cap = 0;
	int rc = 0;
	for (struct dirent *e; rc == 0 && (e = readdir(d));) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
		if (n == cap) {
			size_t nc = cap ? cap * 2 : 64;
			char **nn = realloc(names, nc * sizeof(*nn));
			if (!nn) { rc = dv_error_set(DV_ENOMEM, NULL, -1, "out of memory"); break; }
			names = nn;
			cap = nc;
		}
		size_t len = strlen(rel) + strlen(e->d_name) + 2;
		if (!(names[n] = malloc(len))) { rc = dv_error_set(DV_ENOMEM, NULL, -1, "out of memory"); break; }
		snprintf(names[n++], len, "%s/%s", rel, e->d_name);
	}
	closedir(d);
	if (rc == 0) qsort(names, n, sizeof(*names), cmp_name);
	for (size_t i = 0; rc == 0 && i < n; i++) {
		struct stat st;
		if (fstatat(pkg->pfd, names[i], &st, AT_SYMLINK_NOFOLLOW) < 0)
			rc = dv_error_errno(errno, pkg->dest, -1, "cannot stat %s", names[i]);
		else if (S_ISDIR(st.st_mode) && depth < 2)
			rc = adopt_dir(pkg, names[i], depth + 1);
		else
			rc = dv_xpkg_adopt(pkg, names[i]);
	}
	for (size_t i = 0; i < n; i++) free(names[i]);
	free(names);
	return rc;
}

/*
 * custody/: the case's custody chain as the custody area writes it for a
 * court (dv_vault_case_package: each entry's signed case statement, its
 * Ed25519 signature, its salt and clear body, the station's public key,
 * the case head and custody/VERIFY.md with the coreutils + openssl
 * commands), every file listed in SHA256SUMS. Nothing of other cases.
 */
static int write_custody(dv_xpkg *pkg, struct court *c)
{
	char dir[sizeof(pkg->final_path) + sizeof(pkg->partial) + 16];
	if ((size_t)snprintf(dir, sizeof(dir), "%s/%s/custody", pkg->dest, pkg->partial) >= sizeof(dir))
		return dv_error_set(DV_EINVAL, pkg->dest, -1, "destination path too long");
	uint64_t entries;
	uint8_t head[32];
	int rc = dv_vault_case_package(c->v, c->info->case_name, dir, &entries, head);
	if (rc < 0) return rc;
	c->custody_entries = entries;
	dv_hex(c->custody_head, head, 32);
	return adopt_dir(pkg, "custody", 0);
}

/* ---- report.pdf through headless Chromium ------------------------------------ */

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return flag == FTW_DP ? rmdir(path) : unlink(path);
}

static char *file_url(const char *path)
{
	size_t n = strlen(path);
	char *u = malloc(3 * n + 8);
	if (!u) return NULL;
	char *o = u + sprintf(u, "file://");
	for (const unsigned char *s = (const unsigned char *)path; *s; s++) {
		if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || strchr("/-._~", *s))
			*o++ = (char)*s;
		else o += sprintf(o, "%%%02X", *s);
	}
	*o = '\0';
	return u;
}

static const char *find_chromium(void)
{
	static const char *const c[] = { "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome" };
	const char *env = getenv("DV_CHROMIUM");
	if (env) return env[0] ? env : NULL; /* DV_CHROMIUM= turns it off */
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++)
		if (access(c[i], X_OK) == 0) return c[i];
	return NULL;
}

/* Renders the partial directory's report.html to report.pdf: Chromium in
 * a user + network namespace when the kernel allows (no network at all),
 * its own profile in a temporary directory, 120 s at most. 0 and *done
 * false when there is no Chromium. */
static int render_pdf(dv_xpkg *pkg, bool *done, double *secs)
{
	*done = false;
	const char *chromium = find_chromium();
	if (!chromium) return 0;
	char dir[4200], html[4300], pdf[4300], arg_pdf[4400], arg_prof[300];
	char *abs = realpath(pkg->dest, NULL);
	if (!abs) return dv_error_errno(errno, pkg->dest, -1, "cannot resolve");
	snprintf(dir, sizeof(dir), "%s/%s", abs, pkg->partial);
	free(abs);
	snprintf(html, sizeof(html), "%s/report.html", dir);
	snprintf(pdf, sizeof(pdf), "%s/report.pdf", dir);
	char prof[] = "/tmp/dronevault-chromium-XXXXXX";
	if (!mkdtemp(prof)) return dv_error_errno(errno, "/tmp", -1, "cannot make a Chromium profile directory");
	char *url = file_url(html);
	if (!url) {
		rmdir(prof);
		return dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
	}
	snprintf(arg_pdf, sizeof(arg_pdf), "--print-to-pdf=%s", pdf);
	snprintf(arg_prof, sizeof(arg_prof), "--user-data-dir=%s", prof);
	/* Chromium gets a clean environment: nothing of ours (a passphrase in
	 * DRONEVAULT_PASSPHRASE, say) reaches it */
	char home[320];
	snprintf(home, sizeof(home), "HOME=%s", prof);
	char *const envp[] = { "PATH=/usr/bin:/bin", home, "LANG=C.UTF-8", NULL };
	bool ns = false;
	if (access("/usr/bin/unshare", X_OK) == 0) {
		const char *probe[] = { "/usr/bin/unshare", "-rn", "/bin/true", NULL };
		pid_t pp;
		int st = -1;
		posix_spawn_file_actions_t pa;
		posix_spawn_file_actions_init(&pa);
		posix_spawn_file_actions_addopen(&pa, 2, "/dev/null", O_WRONLY, 0);
		if (posix_spawn(&pp, probe[0], &pa, NULL, (char *const *)probe, envp) == 0 && waitpid(pp, &st, 0) == pp)
			ns = WIFEXITED(st) && WEXITSTATUS(st) == 0;
		posix_spawn_file_actions_destroy(&pa);
	}
	const char *argv[16];
	int k = 0;
	if (ns) {
		argv[k++] = "/usr/bin/unshare";
		argv[k++] = "-rn";
	}
	argv[k++] = chromium;
	argv[k++] = "--headless=new";
	argv[k++] = "--no-sandbox";
	argv[k++] = "--disable-gpu";
	argv[k++] = "--disable-dev-shm-usage";
	argv[k++] = "--no-pdf-header-footer";
	argv[k++] = arg_prof;
	argv[k++] = arg_pdf;
	argv[k++] = url;
	argv[k] = NULL;
	int64_t t0 = dv_now_ns();
	pid_t pid;
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	int rc = posix_spawn(&pid, argv[0], &fa, NULL, (char *const *)argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	free(url);
	if (rc != 0) {
		nftw(prof, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
		return dv_error_errno(rc, chromium, -1, "cannot start");
	}
	int status = 0;
	for (int waited = 0;; waited++) {
		pid_t w = waitpid(pid, &status, WNOHANG);
		if (w == pid) break;
		if (w < 0 && errno != EINTR) break;
		if (waited > 1200) { /* 120 s */
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			status = -1;
			break;
		}
		struct timespec ts = { 0, 100000000 };
		nanosleep(&ts, NULL);
	}
	*secs = (double)(dv_now_ns() - t0) / 1e9;
	nftw(prof, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	struct stat st;
	if (status != 0 || fstatat(pkg->pfd, "report.pdf", &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode) ||
	    st.st_size < 100) {
		unlinkat(pkg->pfd, "report.pdf", 0);
		return dv_error_set(DV_EIO, chromium, -1, "headless Chromium did not render report.pdf (export again with --no-pdf)");
	}
	if ((rc = dv_xpkg_adopt(pkg, "report.pdf")) < 0) return rc;
	*done = true;
	return 0;
}

int dv_xwrite_court(dv_xpkg *pkg, dv_vault *v, dv_xcourt_info *info, const dv_xphoto *p, size_t n, uint64_t *gaps)
{
	struct court c = { .v = v, .info = info, .p = p, .np = n };
	dv_case cs;
	dv_catalog *cat = dv_vault_catalog(v);
	int rc = dv_catalog_case_find(&cs, cat, info->case_name);
	if (rc == 0) rc = dv_catalog_ingest_list(cat, cs.id, on_ingest, &c);
	for (size_t i = 0; rc == 0 && i < c.ning; i++) rc = dv_catalog_file_list(cat, c.ing[i].id, on_file, &c);
	c.log = json_object_new_array();
	if (rc == 0) rc = dv_vault_log_scan(v, on_entry, on_problem, &c);
	uint64_t renamed = 0;
	for (size_t i = 0; rc == 0 && i < c.nf; i++) {
		char pre[64];
		if (c.ning > 1) snprintf(pre, sizeof(pre), "files/ingest-%lld", (long long)c.files[i].f.ingest_id);
		else snprintf(pre, sizeof(pre), "files");
		if (!(c.files[i].rel = dv_xpkg_safe_rel(pre, c.files[i].f.path, &renamed)))
			rc = dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
		else rc = dv_xpkg_blob(pkg, c.files[i].rel, &c.files[i].f, true);
		if (rc == DV_EEXIST && !strstr(c.files[i].rel, "/_dronevault_renamed/")) {
			/* each name is written once into a new directory: the file
			 * system took it for an earlier one (exFAT/FAT/NTFS fold case) */
			free(c.files[i].rel);
			if (!(c.files[i].rel = dv_xpkg_safe_rel_ex(pre, c.files[i].f.path, &renamed, true)))
				rc = dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
			else rc = dv_xpkg_blob(pkg, c.files[i].rel, &c.files[i].f, true);
		}
	}
	if (rc == 0 && renamed) {
		json_object *m = json_object_new_array();
		for (size_t i = 0; i < c.nf; i++) {
			if (!strstr(c.files[i].rel, "/_dronevault_renamed/")) continue;
			json_object *o = json_object_new_object();
			json_object_object_add(o, "exported_as", jstr(c.files[i].rel));
			json_object_object_add(o, "original", jstr(c.files[i].f.path));
			json_object_array_add(m, o);
		}
		const char *js = json_object_to_json_string_ext(m, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
		rc = dv_xpkg_text(pkg, "files_renamed.json", js, strlen(js));
		json_object_put(m);
	}
	if (rc == 0) rc = write_dfxml(pkg, &c);
	if (rc == 0) rc = write_case(pkg, &c);
	if (rc == 0) {
		uint8_t *png = NULL;
		size_t pl = 0;
		for (size_t i = 0; i < n && !c.map; i++) c.map = p[i].has_pos;
		if (c.map) {
			rc = dv_xmap_png(&png, &pl, &c.map_base, p, n, info->basemap);
			if (rc == 0) rc = dv_xpkg_text(pkg, "map.png", png, pl);
			free(png);
		}
	}
	if (rc == 0) {
		/* the scene's coverage, as `dronevault coverage` gives it */
		char *cb = NULL;
		size_t cl = 0;
		FILE *cf = open_memstream(&cb, &cl);
		dv_coverage_opts co = { .case_name = info->case_name, .min_images = 3, .format = DV_COVERAGE_GEOJSON };
		if (!cf) rc = dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
		else if (!info->coverage) {
			snprintf(c.cov_why, sizeof(c.cov_why), "exported with --no-coverage: run dronevault coverage");
			fclose(cf);
			free(cb);
		} else if (n > COVERAGE_MAX_PHOTOS) {
			snprintf(c.cov_why, sizeof(c.cov_why), "more than %d photos: run dronevault coverage", COVERAGE_MAX_PHOTOS);
			fclose(cf);
			free(cb);
		} else if (dv_coverage_run(&c.cov, v, &co, cf) < 0) {
			snprintf(c.cov_why, sizeof(c.cov_why), "%s", dv_error_text());
			fclose(cf);
			free(cb);
		} else {
			c.has_cov = true;
			rc = dv_xpkg_stream(pkg, "coverage.geojson", cf, &cb, &cl);
		}
	}
	if (rc == 0) rc = write_custody(pkg, &c);
	if (rc == 0) rc = write_report(pkg, &c);
	if (rc == 0 && info->pdf) rc = render_pdf(pkg, &info->pdf_done, &info->pdf_seconds);
	if (rc == 0) rc = dv_xpkg_text(pkg, "VERIFY.md", verify_md, sizeof(verify_md) - 1);
	if (rc == 0) rc = dv_xwrite_gaps(pkg, p, n, DV_XGAP_TELEMETRY | DV_XGAP_POS | DV_XGAP_ALT, gaps);
	json_object_put(c.log);
	for (size_t i = 0; i < c.nf; i++) free(c.files[i].rel);
	free(c.files);
	free(c.ing);
	return rc;
}
