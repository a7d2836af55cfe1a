/*
 * watch.c - the live watch's engine (runs in the sandboxed reader): frames
 * from the privileged parent, in the record framing of dv/capture.h, go
 * through the same audit engine as `dronevault audit` (dv_audit_add_frame,
 * dv_audit_snapshot); each poll turns what is new into alarms: a
 * destination the policy does not allow, a DNS query for a maker endpoint
 * (answered or not), readable content in clear, a request to the maker's
 * update endpoints; Remote ID broadcasts on radio link types.
 */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit/audit_int.h"
#include "core/rd_int.h"
#include "dv/audit.h"
#include "dv/enforce.h"
#include "dv/err.h"
#include "dv/radio.h"
#include "radio/odid_int.h"

#define TS_RING 65536u          /* capture times of the last frames, by number */
#define SEEN_MAX 65536u         /* alarmed destinations / names kept */
#define ALARMS_MAX 1024u        /* alarms returned by one poll */

typedef struct seen_dest {
	uint8_t ipver;
	uint8_t addr[16];
} seen_dest;

struct dv_watch {
	dv_audit *audit;
	dv__policy pol;
	dv__eplist eps;
	int linktype;
	char label[64];
	uint64_t frames, bytes;
	int64_t *ts;              /* TS_RING */
	int64_t batch_first_ns;   /* first frame since the last poll, 0: none */
	bool dirty;
	seen_dest *dests;
	size_t ndests;
	char (*names)[128];
	size_t nnames;
	size_t findings_done, http_done, aircraft_done;
	uint64_t alarms_total;
	dv_watch_alarm *out;
	size_t nout;
	dv_radio_report *radio;
	int radio_capture;
	dv_odid_frame *odid;
	uint64_t rid_frames;
	/* the record stream */
	uint8_t *buf;
	size_t len;
};

static int64_t now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_REALTIME, &t);
	return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

int dv_watch_new(dv_watch **out, const dv_audit_opts *o, int linktype, const char *label)
{
	*out = NULL;
	dv_watch *w = calloc(1, sizeof(*w));
	if (!w) return dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
	dv__policy_init(&w->pol);
	w->linktype = linktype;
	snprintf(w->label, sizeof(w->label), "%s", label ? label : "live");
	int rc;
	w->ts = calloc(TS_RING, sizeof(*w->ts));
	w->dests = calloc(SEEN_MAX, sizeof(*w->dests));
	w->names = calloc(4096, sizeof(*w->names));
	w->out = calloc(ALARMS_MAX, sizeof(*w->out));
	w->buf = malloc(DV_CAPTURE_RECORD_HDR + DV_CAPTURE_MAX_FRAME);
	w->odid = calloc(1, sizeof(*w->odid));
	if (!w->ts || !w->dests || !w->names || !w->out || !w->buf || !w->odid) {
		rc = dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
		goto fail;
	}
	if ((rc = dv_audit_new(&w->audit, o)) < 0) goto fail;
	if (o->policy_path && (rc = dv__policy_load(&w->pol, o->policy_path)) < 0) goto fail;
	if ((rc = dv__eplist_load_text(&w->eps, (const char *)dv__endpoints_tsv, dv__endpoints_tsv_len, "endpoints.tsv")) < 0 ||
	    (o->endpoints_path && (rc = dv__eplist_load_file(&w->eps, o->endpoints_path)) < 0))
		goto fail;
	if (dv_linktype_caps(linktype) & DV_LINKTYPE_RID) {
		if ((rc = dv_radio_report_new(&w->radio)) < 0) goto fail;
		if ((w->radio_capture = dv_radio_report_begin_capture(w->radio, w->label)) < 0) {
			rc = w->radio_capture;
			goto fail;
		}
	}
	*out = w;
	return 0;
fail:
	dv_watch_free(w);
	return rc;
}

void dv_watch_free(dv_watch *w)
{
	if (!w) return;
	dv_audit_free(w->audit);
	dv__policy_dispose(&w->pol);
	dv__eplist_dispose(&w->eps);
	if (w->radio) dv_radio_report_free(w->radio);
	free(w->odid);
	free(w->ts);
	free(w->dests);
	free(w->names);
	free(w->out);
	free(w->buf);
	free(w);
}

dv_audit *dv_watch_audit(dv_watch *w)
{
	return w->audit;
}

dv_radio_report *dv_watch_radio(dv_watch *w)
{
	return w->radio && w->radio->naircraft ? w->radio : NULL;
}

void dv_watch_counts(const dv_watch *w, uint64_t *frames, uint64_t *bytes, uint64_t *alarms)
{
	*frames = w->frames;
	*bytes = w->bytes;
	*alarms = w->alarms_total;
}

void dv_watch_frame(dv_watch *w, const dv_frame *in)
{
	dv_frame fr = *in;
	fr.number = ++w->frames;
	w->bytes += fr.wirelen;
	w->ts[fr.number % TS_RING] = fr.ts_ns;
	if (!w->batch_first_ns) w->batch_first_ns = fr.ts_ns;
	w->dirty = true;
	dv_audit_add_frame(w->audit, w->linktype, &fr, w->label);
	if (w->radio) {
		memset(w->odid, 0, sizeof(*w->odid));
		w->odid->frame_no = fr.number;
		w->odid->ts_ns = fr.ts_ns;
		if (dv_radio_decode_frame(w->linktype, fr.data, fr.caplen, w->odid) == 1) {
			w->rid_frames++;
			(void)dv_radio_report_add_frame(w->radio, (size_t)w->radio_capture, w->odid);
		}
	}
}

int dv_watch_feed(dv_watch *w, const uint8_t *p, size_t n)
{
	size_t cap = DV_CAPTURE_RECORD_HDR + DV_CAPTURE_MAX_FRAME;
	while (n) {
		/* fill the header, then the frame, into w->buf */
		size_t need = DV_CAPTURE_RECORD_HDR;
		if (w->len >= DV_CAPTURE_RECORD_HDR) {
			dv_rd r = dv_rd_init(w->buf, DV_CAPTURE_RECORD_HDR, w->label, 0);
			uint32_t caplen = 0;
			(void)dv_rd_u32le(&r, &caplen);
			if (caplen > DV_CAPTURE_MAX_FRAME)
				return dv_error_set(DV_EINVAL, w->label, -1, "frame record of %u bytes (at most %u)", caplen,
				                    DV_CAPTURE_MAX_FRAME);
			need += caplen;
		}
		size_t take = need - w->len;
		if (take > n) take = n;
		memcpy(w->buf + w->len, p, take);
		w->len += take;
		p += take;
		n -= take;
		if (w->len < DV_CAPTURE_RECORD_HDR) break;
		dv_rd r = dv_rd_init(w->buf, DV_CAPTURE_RECORD_HDR, w->label, 0);
		uint32_t caplen = 0, wirelen = 0;
		uint64_t tsu = 0;
		(void)dv_rd_u32le(&r, &caplen);
		(void)dv_rd_u32le(&r, &wirelen);
		(void)dv_rd_u64le(&r, &tsu);
		int64_t ts = tsu > (uint64_t)INT64_MAX ? 0 : (int64_t)tsu;
		if (caplen > DV_CAPTURE_MAX_FRAME || DV_CAPTURE_RECORD_HDR + (size_t)caplen > cap)
			return dv_error_set(DV_EINVAL, w->label, -1, "frame record of %u bytes (at most %u)", caplen, DV_CAPTURE_MAX_FRAME);
		if (w->len < DV_CAPTURE_RECORD_HDR + (size_t)caplen) continue;
		dv_frame fr = { .ts_ns = ts, .caplen = caplen, .wirelen = wirelen < caplen ? caplen : wirelen,
			        .data = w->buf + DV_CAPTURE_RECORD_HDR };
		dv_watch_frame(w, &fr);
		w->len = 0;
	}
	return 0;
}

static int sev_of(const dv_watch *w, int cat)
{
	return w->pol.severity[cat];
}

static dv_watch_alarm *new_alarm(dv_watch *w, int cat, int64_t packet_ts)
{
	if (sev_of(w, cat) == DV_SEV_OFF || w->nout >= ALARMS_MAX) return NULL;
	dv_watch_alarm *a = &w->out[w->nout++];
	memset(a, 0, sizeof(*a));
	a->packet_ts_ns = packet_ts;
	a->detect_ts_ns = now_ns();
	snprintf(a->category, sizeof(a->category), "%s", dv__cat_names[cat]);
	snprintf(a->severity, sizeof(a->severity), "%s", dv__sev_names[sev_of(w, cat)]);
	w->alarms_total++;
	return a;
}

static bool seen_name(dv_watch *w, const char *kind, const char *name)
{
	char key[128];
	snprintf(key, sizeof(key), "%s:%s", kind, name);
	for (size_t i = 0; i < w->nnames; i++)
		if (!strcmp(w->names[i], key)) return true;
	if (w->nnames < 4096) snprintf(w->names[w->nnames++], sizeof(w->names[0]), "%s", key);
	return false;
}

static int64_t frame_ts(const dv_watch *w, uint64_t frame)
{
	if (frame && frame <= w->frames && w->frames - frame < TS_RING) return w->ts[frame % TS_RING];
	return w->batch_first_ns;
}

int dv_watch_poll(dv_watch *w, const dv_watch_alarm **alarms, size_t *n)
{
	*alarms = w->out;
	*n = 0;
	w->nout = 0;
	if (!w->dirty) return 0;
	int rc = dv_audit_snapshot(w->audit);
	if (rc < 0) return rc;
	/* destinations the policy does not allow */
	size_t nd;
	const dv_audit_dest *d = dv_audit_dests(w->audit, &nd);
	for (size_t i = 0; i < nd; i++) {
		if (d[i].verdict != DV_VERDICT_LEAK) continue;
		bool seen = false;
		for (size_t j = 0; j < w->ndests && !seen; j++)
			seen = w->dests[j].ipver == d[i].ipver && !memcmp(w->dests[j].addr, d[i].addr, 16);
		if (seen) continue;
		if (w->ndests < SEEN_MAX) {
			w->dests[w->ndests].ipver = d[i].ipver;
			memcpy(w->dests[w->ndests++].addr, d[i].addr, 16);
		}
		int cat = (d[i].flags & DV_DEST_MAKER) ? DV_CAT_MAKER : (d[i].flags & DV_DEST_KNOWN) ? DV_CAT_KNOWN : DV_CAT_UNKNOWN;
		dv_watch_alarm *a = new_alarm(w, cat, d[i].first_ns);
		if (!a) continue;
		dv_addr_str(a->addr, sizeof(a->addr), d[i].ipver, d[i].addr);
		snprintf(a->name, sizeof(a->name), "%s", d[i].nnames ? d[i].names[0] : "");
		snprintf(a->text, sizeof(a->text), "%s%s%s%s: %s", cat == DV_CAT_MAKER ? "maker endpoint " : "",
		         a->name, a->name[0] ? " at " : "", a->addr, d[i].reasons);
	}
	/* DNS queries for a maker endpoint, answered or not */
	size_t nq;
	const dv_audit_dnsq *q = dv_audit_dns_queries(w->audit, &nq);
	for (size_t i = 0; i < nq; i++) {
		const dv__endpoint *e = dv__eplist_match(&w->eps, q[i].qname);
		if (!e || !e->maker || dv__policy_name(&w->pol, q[i].qname)) continue;
		if (seen_name(w, "dns", q[i].qname)) continue;
		dv_watch_alarm *a = new_alarm(w, DV_CAT_DNS_MAKER, w->batch_first_ns);
		if (!a) continue;
		snprintf(a->name, sizeof(a->name), "%s", q[i].qname);
		snprintf(a->text, sizeof(a->text), "DNS query for the maker endpoint %s (%s, %s)", q[i].qname, e->owner, e->category);
	}
	/* readable content in clear */
	size_t nf;
	const dv_audit_finding *f = dv_audit_findings(w->audit, &nf);
	for (size_t i = w->findings_done; i < nf; i++) {
		if (f[i].hit.kind == DV_SCAN_CODE) {
			dv_watch_alarm *a = new_alarm(w, DV_CAT_CODE, frame_ts(w, f[i].frame));
			if (!a) continue;
			snprintf(a->name, sizeof(a->name), "executable");
			snprintf(a->text, sizeof(a->text), "download of executable content (frame %llu): %s",
			         (unsigned long long)f[i].frame, f[i].hit.excerpt);
			continue;
		}
		if (!f[i].outbound) continue;
		dv_watch_alarm *a = new_alarm(w, DV_CAT_CONTENT, frame_ts(w, f[i].frame));
		if (!a) continue;
		snprintf(a->name, sizeof(a->name), "%s", dv_scan_kind_name(f[i].hit.kind));
		snprintf(a->text, sizeof(a->text), "readable %s sent in clear (frame %llu): %s", dv_scan_kind_name(f[i].hit.kind),
		         (unsigned long long)f[i].frame, f[i].hit.excerpt);
	}
	w->findings_done = nf;
	/* requests to the maker's update/firmware endpoints */
	size_t nh;
	const dv_audit_http *h = dv_audit_http_requests(w->audit, &nh);
	for (size_t i = w->http_done; i < nh; i++) {
		const dv__endpoint *e = dv__eplist_match(&w->eps, h[i].host);
		if (!e || strcmp(e->category, "firmware")) continue;
		dv_watch_alarm *a = new_alarm(w, DV_CAT_CODE, frame_ts(w, h[i].frame));
		if (!a) continue;
		snprintf(a->name, sizeof(a->name), "%s", h[i].host);
		snprintf(a->text, sizeof(a->text), "request to the maker's update endpoint %s: %s %s", h[i].host, h[i].method, h[i].uri);
	}
	w->http_done = nh;
	size_t nhello;
	const dv_audit_hello *he = dv_audit_hellos(w->audit, &nhello);
	for (size_t i = 0; i < nhello; i++) {
		const dv__endpoint *e = he[i].sni[0] ? dv__eplist_match(&w->eps, he[i].sni) : NULL;
		if (!e || strcmp(e->category, "firmware") || seen_name(w, "fw", he[i].sni)) continue;
		dv_watch_alarm *a = new_alarm(w, DV_CAT_CODE, frame_ts(w, he[i].frame));
		if (!a) continue;
		snprintf(a->name, sizeof(a->name), "%s", he[i].sni);
		snprintf(a->text, sizeof(a->text), "connection to the maker's update endpoint %s", he[i].sni);
	}
	/* Remote ID: each new aircraft once */
	if (w->radio && w->radio->naircraft > w->aircraft_done) {
		for (size_t i = w->aircraft_done; i < w->radio->naircraft; i++) {
			const dv_radio_aircraft *ac = &w->radio->aircraft[i];
			dv_watch_alarm *a = w->nout < ALARMS_MAX ? &w->out[w->nout++] : NULL;
			if (!a) break;
			memset(a, 0, sizeof(*a));
			a->packet_ts_ns = ac->first_ns;
			a->detect_ts_ns = now_ns();
			snprintf(a->category, sizeof(a->category), "remote-id");
			snprintf(a->severity, sizeof(a->severity), "info");
			snprintf(a->name, sizeof(a->name), "%s", ac->nids ? ac->ids[0].text : ac->key);
			snprintf(a->text, sizeof(a->text), "Remote ID broadcast from %s (id %s)", ac->key, ac->nids ? ac->ids[0].text : "none");
		}
		w->aircraft_done = w->radio->naircraft;
	}
	w->batch_first_ns = 0;
	w->dirty = false;
	*n = w->nout;
	return 0;
}

int dv_watch_finish(dv_watch *w)
{
	if (w->radio) dv_radio_report_finish(w->radio);
	return dv_audit_finish(w->audit);
}
