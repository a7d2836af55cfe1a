/*
 * report.c - per-aircraft aggregation of Remote ID frames and the exposure
 * of the operator's position.
 *
 * Aircraft are keyed by the transmitter address (802.11 source, BLE
 * advertiser address): Wi-Fi NAN and Bluetooth 4 send one message per
 * frame, so only the address ties a Location to its Basic ID - that is how
 * receivers (the Open Drone ID apps) group them too. Frames whose FCS/CRC
 * the sniffer marked wrong are counted and listed but never merged: a bit
 * error in a latitude is a wrong position.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dv/err.h"
#include "dv/radio.h"
#include "radio/odid_int.h"
#include "radio/droneid_int.h"

/* ---- distance -------------------------------------------------------------- */

static double haversine_m(double lat1, double lon1, double lat2, double lon2)
{
	const double R = 6371008.8; /* mean Earth radius (IUGG), metres */
	double p1 = lat1 * M_PI / 180, p2 = lat2 * M_PI / 180;
	double dp = p2 - p1, dl = (lon2 - lon1) * M_PI / 180;
	double a = sin(dp / 2) * sin(dp / 2) + cos(p1) * cos(p2) * sin(dl / 2) * sin(dl / 2);
	if (a > 1) a = 1;
	return 2 * R * asin(sqrt(a));
}

double dv_radio_distance_m(double lat1, double lon1, double lat2, double lon2)
{
	/* Vincenty (1975) inverse on WGS84. */
	const double a = 6378137.0, f = 1 / 298.257223563, b = a * (1 - f);
	if (!isfinite(lat1) || !isfinite(lon1) || !isfinite(lat2) || !isfinite(lon2)) return NAN;
	if (lat1 == lat2 && lon1 == lon2) return 0;
	double L = (lon2 - lon1) * M_PI / 180;
	double U1 = atan((1 - f) * tan(lat1 * M_PI / 180));
	double U2 = atan((1 - f) * tan(lat2 * M_PI / 180));
	double sU1 = sin(U1), cU1 = cos(U1), sU2 = sin(U2), cU2 = cos(U2);
	double lambda = L, prev;
	double sS = 0, cS = 0, sigma = 0, ca2 = 0, c2sm = 0;
	int iter = 0;
	do {
		double sl = sin(lambda), cl = cos(lambda);
		sS = sqrt((cU2 * sl) * (cU2 * sl) + (cU1 * sU2 - sU1 * cU2 * cl) * (cU1 * sU2 - sU1 * cU2 * cl));
		if (sS == 0) return 0; /* coincident */
		cS = sU1 * sU2 + cU1 * cU2 * cl;
		sigma = atan2(sS, cS);
		double sa = cU1 * cU2 * sl / sS;
		ca2 = 1 - sa * sa;
		c2sm = ca2 != 0 ? cS - 2 * sU1 * sU2 / ca2 : 0; /* equatorial line */
		double C = f / 16 * ca2 * (4 + f * (4 - 3 * ca2));
		prev = lambda;
		lambda = L + (1 - C) * f * sa * (sigma + C * sS * (c2sm + C * cS * (-1 + 2 * c2sm * c2sm)));
	} while (fabs(lambda - prev) > 1e-12 && ++iter < 200);
	if (iter >= 200) return haversine_m(lat1, lon1, lat2, lon2); /* near-antipodal */
	double u2 = ca2 * (a * a - b * b) / (b * b);
	double A = 1 + u2 / 16384 * (4096 + u2 * (-768 + u2 * (320 - 175 * u2)));
	double B = u2 / 1024 * (256 + u2 * (-128 + u2 * (74 - 47 * u2)));
	double ds = B * sS * (c2sm + B / 4 * (cS * (-1 + 2 * c2sm * c2sm) -
	                                      B / 6 * c2sm * (-3 + 4 * sS * sS) * (-3 + 4 * c2sm * c2sm)));
	return b * A * (sigma - ds);
}

int dv_radio_exposure(double op_lat, double op_lon, const double *lat, const double *lon,
                      size_t n, double *min_m, double *max_m)
{
	if (n == 0 || !lat || !lon) return dv_error_set(DV_EINVAL, NULL, -1, "exposure needs a track");
	double mn = INFINITY, mx = 0;
	for (size_t i = 0; i < n; i++) {
		double d = dv_radio_distance_m(op_lat, op_lon, lat[i], lon[i]);
		if (!isfinite(d)) continue;
		if (d < mn) mn = d;
		if (d > mx) mx = d;
	}
	if (!isfinite(mn)) return dv_error_set(DV_EINVAL, NULL, -1, "exposure: no valid track point");
	if (min_m) *min_m = mn;
	if (max_m) *max_m = mx;
	return 0;
}

/* ---- report ------------------------------------------------------------------ */

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap) return 0;
	size_t n = *cap ? *cap * 2 : 8;
	while (n < need) n *= 2;
	void *q = realloc(*p, n * elem);
	if (!q) return dv_error_set(DV_ENOMEM, NULL, -1, "out of memory (radio report)");
	memset((char *)q + *cap * elem, 0, (n - *cap) * elem);
	*p = q;
	*cap = n;
	return 0;
}

int dv_radio_report_new(dv_radio_report **out)
{
	*out = calloc(1, sizeof(**out));
	if (!*out) return dv_error_set(DV_ENOMEM, NULL, -1, "out of memory (radio report)");
	return 0;
}

void dv_radio_report_free(dv_radio_report *r)
{
	if (!r) return;
	for (size_t i = 0; i < r->ncaptures; i++) free(r->captures[i].path);
	for (size_t i = 0; i < r->naircraft; i++) {
		free(r->aircraft[i].track);
		free(r->aircraft[i].operators);
	}
	free(r->captures);
	free(r->aircraft);
	free(r->issues);
	free(r->index);
	free(r);
}

static void add_issue(dv_radio_report *r, size_t capture, uint64_t frame, const char *aircraft,
                      const char *text)
{
	if (r->nissues >= DV_RADIO_MAX_ISSUES ||
	    grow((void **)&r->issues, &r->issues_cap, r->nissues + 1, sizeof(*r->issues)) < 0) {
		r->issues_dropped++;
		return;
	}
	dv_radio_issue *is = &r->issues[r->nissues++];
	is->capture = capture;
	is->frame_no = frame;
	snprintf(is->aircraft, sizeof(is->aircraft), "%s", aircraft ? aircraft : "");
	snprintf(is->text, sizeof(is->text), "%s", text);
}

static bool same_transmitter(const dv_radio_aircraft *a, const dv_odid_frame *f)
{
	return !a->by_serial && a->has_mac == f->has_mac && (!f->has_mac || !memcmp(a->mac, f->mac, 6));
}

static uint64_t mac_hash(bool has_mac, const uint8_t *mac)
{
	uint64_t h = has_mac ? 0x9E3779B97F4A7C15ull : 0x2545F4914F6CDD1Dull;
	for (int i = 0; i < 6; i++) h = (h ^ mac[i]) * 0x100000001B3ull;
	return h ^ (h >> 29);
}

/* Keeps lookups O(1): a capture can hold any number of (spoofed)
 * transmitter addresses. */
static int index_insert(dv_radio_report *r, size_t idx)
{
	if ((r->naircraft + 1) * 2 > r->index_cap) {
		size_t cap = r->index_cap ? r->index_cap * 2 : 64;
		size_t *t = calloc(cap, sizeof(*t));
		if (!t) return dv_error_set(DV_ENOMEM, NULL, -1, "out of memory (radio report)");
		for (size_t i = 0; i < r->naircraft; i++) {
			size_t h = (size_t)mac_hash(r->aircraft[i].has_mac, r->aircraft[i].mac) & (cap - 1);
			while (t[h]) h = (h + 1) & (cap - 1);
			t[h] = i + 1;
		}
		free(r->index);
		r->index = t;
		r->index_cap = cap;
	}
	size_t h = (size_t)mac_hash(r->aircraft[idx].has_mac, r->aircraft[idx].mac) & (r->index_cap - 1);
	while (r->index[h]) h = (h + 1) & (r->index_cap - 1);
	r->index[h] = idx + 1;
	return 0;
}

static dv_radio_aircraft *find_aircraft(dv_radio_report *r, const dv_odid_frame *f)
{
	char key[24];
	if (r->last_aircraft < r->naircraft && same_transmitter(&r->aircraft[r->last_aircraft], f))
		return &r->aircraft[r->last_aircraft];
	if (r->index_cap) {
		uint8_t zero[6] = { 0 };
		const uint8_t *mac = f->has_mac ? f->mac : zero;
		size_t h = (size_t)mac_hash(f->has_mac, mac) & (r->index_cap - 1);
		for (; r->index[h]; h = (h + 1) & (r->index_cap - 1))
			if (same_transmitter(&r->aircraft[r->index[h] - 1], f)) {
				r->last_aircraft = r->index[h] - 1;
				return &r->aircraft[r->last_aircraft];
			}
	}
	if (f->has_mac)
		snprintf(key, sizeof(key), "%02x:%02x:%02x:%02x:%02x:%02x", f->mac[0], f->mac[1],
		         f->mac[2], f->mac[3], f->mac[4], f->mac[5]);
	else
		snprintf(key, sizeof(key), "unknown");
	if (grow((void **)&r->aircraft, &r->aircraft_cap, r->naircraft + 1, sizeof(*r->aircraft)) < 0)
		return NULL;
	dv_radio_aircraft *a = &r->aircraft[r->naircraft];
	memset(a, 0, sizeof(*a));
	memcpy(a->key, key, sizeof(key));
	a->droneid_device_type = -1;
	a->has_mac = f->has_mac;
	if (f->has_mac) memcpy(a->mac, f->mac, 6);
	a->first_ns = f->ts_ns;
	a->last_ns = f->ts_ns;
	if (index_insert(r, r->naircraft) < 0) return NULL;
	r->last_aircraft = r->naircraft++;
	return a;
}

/* Printable form of a broadcast ID: text when it is text, else hex. */
static void id_text(char *out, size_t size, const uint8_t *id, size_t n, bool binary)
{
	size_t len = 0;
	while (len < n && id[len]) len++;
	bool printable = !binary;
	for (size_t i = 0; i < len && printable; i++)
		if (id[i] < 0x20 || id[i] > 0x7e) printable = false;
	if (printable) {
		snprintf(out, size, "%.*s", (int)len, (const char *)id);
		return;
	}
	size_t o = 0;
	for (size_t i = 0; i < n && o + 3 <= size; i++) o += (size_t)snprintf(out + o, size - o, "%02x", id[i]);
	out[o < size ? o : size - 1] = '\0';
}

/* Counts a broadcast ID; the text is made only the first time it is seen
 * (the same bytes repeat in every frame). */
static void add_ident(dv_radio_ident *arr, size_t *n, uint8_t t1, uint8_t t2, const uint8_t *raw,
                      size_t len, bool binary)
{
	for (size_t i = 0; i < *n; i++)
		if (arr[i].id_type == t1 && arr[i].ua_type == t2 && arr[i].raw_len == len &&
		    !memcmp(arr[i].raw, raw, len)) {
			arr[i].frames++;
			return;
		}
	char t[DV_RADIO_TEXT];
	id_text(t, sizeof(t), raw, len, binary);
	if (!t[0] || *n >= DV_RADIO_MAX_IDS) return;
	dv_radio_ident *d = &arr[*n];
	d->id_type = t1;
	d->ua_type = t2;
	memcpy(d->text, t, sizeof(t));
	memcpy(d->raw, raw, len);
	d->raw_len = (uint8_t)len;
	d->frames = 1;
	(*n)++;
}

static int add_point(dv_radio_aircraft *a, size_t capture, const dv_odid_frame *f, const dv_odid_location *l)
{
	if (l->lat == 0 && l->lon == 0) return 0; /* "unknown" */
	double lat = dv_odid_latlon_deg(l->lat), lon = dv_odid_latlon_deg(l->lon);
	if (fabs(lat) > 90 || fabs(lon) > 180) return 1;
	if (a->ntrack) {
		const dv_radio_point *q = &a->track[a->ntrack - 1];
		if (q->lat == lat && q->lon == lon && q->timestamp == l->timestamp) return 0; /* repeated */
	}
	if (a->ntrack >= DV_RADIO_MAX_TRACK) {
		a->track_dropped++;
		return 0;
	}
	if (grow((void **)&a->track, &a->track_cap, a->ntrack + 1, sizeof(*a->track)) < 0) return -1;
	dv_radio_point *p = &a->track[a->ntrack++];
	p->frame_no = f->frame_no;
	p->source = DV_RADIO_SRC_ASTM;
	p->alt_m = p->yaw_deg = NAN;
	p->capture = capture;
	p->ts_ns = f->ts_ns;
	p->lat = lat;
	p->lon = lon;
	p->geo_alt_m = dv_odid_alt_m(l->geo_alt);
	p->press_alt_m = dv_odid_alt_m(l->press_alt);
	p->height_m = dv_odid_alt_m(l->height);
	p->speed_mps = dv_odid_speed_mps(l->speed, l->speed_mult);
	p->vspeed_mps = dv_odid_vspeed_mps(l->vspeed);
	p->direction_deg = dv_odid_direction_deg(l->direction, l->ew_segment);
	p->status = l->status;
	p->height_type = l->height_type;
	p->timestamp = l->timestamp;
	return 0;
}

static int add_operator(dv_radio_aircraft *a, size_t capture, const dv_odid_frame *f, const dv_odid_system *s)
{
	if (s->op_lat == 0 && s->op_lon == 0) return 0;
	double lat = dv_odid_latlon_deg(s->op_lat), lon = dv_odid_latlon_deg(s->op_lon);
	if (fabs(lat) > 90 || fabs(lon) > 180) return 1;
	/* newest first: a repeated position is almost always the last one */
	for (size_t i = a->noperators; i-- > 0;) {
		dv_radio_operator_pos *o = &a->operators[i];
		if (o->lat == lat && o->lon == lon && o->source == DV_RADIO_SRC_ASTM) {
			o->frames++;
			o->last_frame = f->frame_no;
			return 0;
		}
	}
	if (a->noperators >= DV_RADIO_MAX_OPERATORS) {
		a->operators_dropped++;
		return 0;
	}
	if (grow((void **)&a->operators, &a->operators_cap, a->noperators + 1, sizeof(*a->operators)) < 0)
		return -1;
	dv_radio_operator_pos *o = &a->operators[a->noperators++];
	o->lat = lat;
	o->lon = lon;
	o->geo_alt_m = dv_odid_alt_m(s->op_geo_alt);
	o->loc_type = s->op_loc_type;
	o->frames = 1;
	o->first_frame = o->last_frame = f->frame_no;
	o->capture = capture;
	return 0;
}

/* A DroneID record into aircraft a: serial, track point, pilot position,
 * home point; an undecodable record is an issue of the frame. */
static int droneid_into(dv_radio_report *r, dv_radio_aircraft *a, size_t capture, uint64_t frame_no, int64_t ts_ns,
                        const dv_droneid_record *d)
{
	a->droneid_frames++;
	if (d->serial[0])
		add_ident(a->droneid_serials, &a->ndroneid_serials, 0, 0, (const uint8_t *)d->serial, strlen(d->serial),
		          false);
	if (d->status != DV_DRONEID_OK) {
		a->droneid_undecoded++;
		char text[DV_RADIO_ISSUE_LEN];
		snprintf(text, sizeof(text), "looks like DJI DroneID, not decodable: %.72s", d->problem);
		add_issue(r, capture, frame_no, a->key, text);
		if (d->status != DV_DRONEID_BAD_VALUES) return 0; /* the valid positions of a bad-values record still count */
	}
	if (d->subcommand == DV_DRONEID_SUB_PURPOSE) {
		if (d->purpose[0]) snprintf(a->droneid_purpose, sizeof(a->droneid_purpose), "%.63s", d->purpose);
		return 0;
	}
	if (d->version < 16) a->droneid_versions |= 1u << d->version;
	a->droneid_device_type = d->device_type;
	if (d->uuid[0]) snprintf(a->droneid_uuid, sizeof(a->droneid_uuid), "%s", d->uuid);
	if (d->has_home) {
		a->droneid_has_home = true;
		a->droneid_home_lat = d->home_lat;
		a->droneid_home_lon = d->home_lon;
	}
	if (d->has_pos) {
		bool repeat = false;
		if (a->ntrack) {
			const dv_radio_point *q = &a->track[a->ntrack - 1];
			repeat = q->source == DV_RADIO_SRC_DRONEID && q->lat == d->lat && q->lon == d->lon &&
			         (q->height_m == d->height_m || (isnan(q->height_m) && isnan(d->height_m)));
		}
		if (!repeat && a->ntrack >= DV_RADIO_MAX_TRACK) {
			a->track_dropped++;
		} else if (!repeat) {
			if (grow((void **)&a->track, &a->track_cap, a->ntrack + 1, sizeof(*a->track)) < 0) return DV_ENOMEM;
			dv_radio_point *p = &a->track[a->ntrack++];
			memset(p, 0, sizeof(*p));
			p->frame_no = frame_no;
			p->capture = capture;
			p->ts_ns = ts_ns;
			p->source = DV_RADIO_SRC_DRONEID;
			p->lat = d->lat;
			p->lon = d->lon;
			p->geo_alt_m = p->press_alt_m = NAN;
			p->alt_m = d->alt_m;
			p->height_m = d->height_m;
			p->height_type = 0; /* above take-off */
			p->speed_mps = isfinite(d->v_north_mps) ? hypot(d->v_north_mps, d->v_east_mps) : NAN;
			p->vspeed_mps = d->v_up_mps;
			double dir = atan2(d->v_east_mps, d->v_north_mps) * 180 / M_PI;
			p->direction_deg = isfinite(dir) && p->speed_mps > 0 ? (dir < 0 ? dir + 360 : dir) : NAN;
			p->yaw_deg = d->yaw_deg;
			p->status = (d->state & 0x20) ? 2 : (d->state & 0x10) ? 1 : 0; /* in the air / motors on */
			p->timestamp = 0xFFFF;
		}
	}
	if (d->has_pilot) {
		for (size_t i = a->noperators; i-- > 0;) {
			dv_radio_operator_pos *o = &a->operators[i];
			if (o->source == DV_RADIO_SRC_DRONEID && o->lat == d->pilot_lat && o->lon == d->pilot_lon) {
				o->frames++;
				o->last_frame = frame_no;
				return 0;
			}
		}
		if (a->noperators >= DV_RADIO_MAX_OPERATORS) {
			a->operators_dropped++;
			return 0;
		}
		if (grow((void **)&a->operators, &a->operators_cap, a->noperators + 1, sizeof(*a->operators)) < 0)
			return DV_ENOMEM;
		dv_radio_operator_pos *o = &a->operators[a->noperators++];
		memset(o, 0, sizeof(*o));
		o->lat = d->pilot_lat;
		o->lon = d->pilot_lon;
		o->geo_alt_m = NAN;
		o->loc_type = 1; /* the app's live GNSS */
		o->source = DV_RADIO_SRC_DRONEID;
		o->frames = 1;
		o->first_frame = o->last_frame = frame_no;
		o->capture = capture;
	}
	return 0;
}

int dv_radio_report_begin_capture(dv_radio_report *r, const char *path)
{
	if (grow((void **)&r->captures, &r->captures_cap, r->ncaptures + 1, sizeof(*r->captures)) < 0)
		return DV_ENOMEM;
	dv_radio_capture *c = &r->captures[r->ncaptures];
	memset(c, 0, sizeof(*c));
	c->path = strdup(path ? path : "");
	if (!c->path) return dv_error_set(DV_ENOMEM, NULL, -1, "out of memory (radio report)");
	return (int)r->ncaptures++;
}

int dv_radio_report_add_frame(dv_radio_report *r, size_t capture, const dv_odid_frame *f)
{
	char text[DV_ODID_PROBLEM_LEN]; /* an issue's text holds no more */
	if (f->crc_bad) {
		r->crc_bad_frames++;
		add_issue(r, capture, f->frame_no, "", "bad CRC/FCS: content not trusted, not used");
		for (size_t i = 0; i < f->nproblems; i++)
			add_issue(r, capture, f->frame_no, "", f->problems[i]);
		return 0;
	}
	dv_radio_aircraft *a = find_aircraft(r, f);
	if (!a) return DV_ENOMEM;
	for (size_t i = 0; i < f->nproblems; i++)
		add_issue(r, capture, f->frame_no, a->key, f->problems[i]);
	a->frames++;
	a->transports |= f->transport;
	a->coded_phy |= f->coded_phy;
	if (f->ts_ns < a->first_ns) a->first_ns = f->ts_ns;
	if (f->ts_ns > a->last_ns) a->last_ns = f->ts_ns;
	if (f->empty) a->empty_frames++;
	for (size_t i = 0; i < f->nmsg; i++) {
		const dv_odid_msg *m = &f->msgs[i];
		if (!m->known || m->type == DV_ODID_PACK) continue;
		a->messages++;
		if (m->version < 16) a->versions |= 1u << m->version;
		int bad = 0;
		switch (m->type) {
		case DV_ODID_BASIC_ID: /* even with id type 0 "none" some send an ID */
			add_ident(a->ids, &a->nids, m->u.basic.id_type, m->u.basic.ua_type, m->u.basic.id,
			          sizeof(m->u.basic.id), m->u.basic.id_type == 3 || m->u.basic.id_type == 4);
			break;
		case DV_ODID_OPERATOR_ID:
			add_ident(a->operator_ids, &a->noperator_ids, m->u.op.id_type, 0, m->u.op.id,
			          sizeof(m->u.op.id), false);
			break;
		case DV_ODID_SELF_ID:
			add_ident(a->self_ids, &a->nself_ids, m->u.self.desc_type, 0, m->u.self.desc,
			          sizeof(m->u.self.desc), false);
			break;
		case DV_ODID_LOCATION:
			bad = add_point(a, capture, f, &m->u.loc);
			break;
		case DV_ODID_SYSTEM:
			a->has_class = true;
			a->class_type = m->u.sys.class_type;
			a->ua_category = m->u.sys.ua_category;
			a->ua_class = m->u.sys.ua_class;
			if (m->u.sys.area_count > 1 || m->u.sys.area_radius > 0) {
				a->has_area = true;
				a->area_count = m->u.sys.area_count;
				a->area_radius_m = m->u.sys.area_radius * 10.0;
				a->area_ceiling_m = dv_odid_alt_m(m->u.sys.area_ceiling);
				a->area_floor_m = dv_odid_alt_m(m->u.sys.area_floor);
			}
			bad = add_operator(a, capture, f, &m->u.sys);
			break;
		case DV_ODID_AUTH:
			a->auth_pages++;
			break;
		default: break;
		}
		if (bad < 0) return bad;
		if (bad > 0) {
			snprintf(text, sizeof(text), "%s message: latitude/longitude out of range",
			         dv_odid_type_name(m->type));
			add_issue(r, capture, f->frame_no, a->key, text);
		}
	}
	if (f->has_droneid) {
		a->transports |= DV_RADIO_WIFI_DJI;
		return droneid_into(r, a, capture, f->frame_no, f->ts_ns, &f->droneid);
	}
	return 0;
}

int dv_radio_report_add_droneid(dv_radio_report *r, size_t capture, uint64_t frame_no, int64_t ts_ns,
                                const uint8_t *mac, const dv_droneid_record *rec)
{
	if (rec->has_crc && !rec->crc_ok) {
		r->crc_bad_frames++;
		add_issue(r, capture, frame_no, "", "DJI DroneID with a bad CRC: content not trusted, not used");
		return 0;
	}
	dv_radio_aircraft *a = NULL;
	if (mac) {
		dv_odid_frame *f = calloc(1, sizeof(*f)); /* only the address is read */
		if (!f) return dv_error_set(DV_ENOMEM, NULL, -1, "out of memory (radio report)");
		f->has_mac = true;
		memcpy(f->mac, mac, 6);
		f->ts_ns = ts_ns;
		a = find_aircraft(r, f);
		free(f);
	} else {
		/* no transmitter address (OcuSync from an SDR): the serial is the key */
		char key[24];
		snprintf(key, sizeof(key), "dji:%s", rec->serial[0] ? rec->serial : "unknown");
		for (size_t i = 0; i < r->naircraft && !a; i++)
			if (r->aircraft[i].by_serial && !strcmp(r->aircraft[i].key, key)) a = &r->aircraft[i];
		if (!a) {
			if (grow((void **)&r->aircraft, &r->aircraft_cap, r->naircraft + 1, sizeof(*r->aircraft)) < 0)
				return DV_ENOMEM;
			a = &r->aircraft[r->naircraft];
			memset(a, 0, sizeof(*a));
			memcpy(a->key, key, sizeof(key));
			a->by_serial = true;
			a->droneid_device_type = -1;
			a->first_ns = a->last_ns = ts_ns;
			if (index_insert(r, r->naircraft) < 0) return DV_ENOMEM;
			r->naircraft++;
		}
	}
	if (!a) return DV_ENOMEM;
	a->frames++;
	a->transports |= rec->carrier == DV_DRONEID_WIFI ? DV_RADIO_WIFI_DJI : 0;
	if (ts_ns < a->first_ns) a->first_ns = ts_ns;
	if (ts_ns > a->last_ns) a->last_ns = ts_ns;
	return droneid_into(r, a, capture, frame_no, ts_ns, rec);
}

typedef struct scan_ctx {
	dv_radio_report *r;
	size_t capture;
} scan_ctx;

static int on_frame(const dv_odid_frame *f, void *payload)
{
	scan_ctx *c = payload;
	return dv_radio_report_add_frame(c->r, c->capture, f);
}

/* Scans with scan() into a new capture entry named name. */
static int add_scanned(dv_radio_report *r, const char *name, int (*scan)(void *arg, scan_ctx *c, dv_radio_stats *st),
                       void *arg)
{
	int idx = dv_radio_report_begin_capture(r, name);
	if (idx < 0) return idx;
	scan_ctx c = { r, (size_t)idx };
	dv_radio_stats st = { 0 };
	int rc = scan(arg, &c, &st);
	dv_radio_capture *cap = &r->captures[idx]; /* captures do not grow during a scan */
	cap->stats = st;
	if (rc < 0) {
		cap->error = rc;
		snprintf(cap->error_text, sizeof(cap->error_text), "%s", dv_error_text());
	}
	return rc;
}

static int scan_source(void *arg, scan_ctx *c, dv_radio_stats *st)
{
	return dv_radio_scan_capture(arg, on_frame, c, st);
}

static int scan_path(void *arg, scan_ctx *c, dv_radio_stats *st)
{
	return dv_radio_scan_file(arg, on_frame, c, st);
}

int dv_radio_report_add_source(dv_radio_report *r, dv_capture *src)
{
	return add_scanned(r, dv_capture_name(src), scan_source, src);
}

int dv_radio_report_add_capture(dv_radio_report *r, const char *path)
{
	return add_scanned(r, path, scan_path, (void *)path);
}

/*
 * Closest and farthest track point from (lat0, lon0), exact (Vincenty) but
 * without an ellipsoidal solution per point: a local tangent-plane distance
 * (meridian and prime-vertical radii at lat0) picks the candidates, which
 * are within 10 % + 1 m of the approximate extremes, and only those get
 * Vincenty. Within 20 km and below 75 degrees of latitude the
 * approximation is better than 2 %; beyond that every point is computed.
 */
static void track_extremes(double lat0, double lon0, const dv_radio_point *t, size_t n, double *mn_out,
                           double *mx_out)
{
	const double a = 6378137.0, e2 = 6.69437999014e-3;
	double phi = lat0 * M_PI / 180, s = sin(phi), w = sqrt(1 - e2 * s * s);
	double kn = a / w * cos(phi) * M_PI / 180;           /* m per degree of longitude */
	double km = a * (1 - e2) / (w * w * w) * M_PI / 180; /* m per degree of latitude */
	double amn = INFINITY, amx = 0;
	bool exact = fabs(lat0) > 75;
	for (size_t k = 0; k < n && !exact; k++) {
		double dl = t[k].lon - lon0;
		if (dl > 180) dl -= 360;
		if (dl < -180) dl += 360;
		double d = hypot(dl * kn, (t[k].lat - lat0) * km);
		if (d > 20000 || fabs(t[k].lat) > 75) exact = true;
		if (d < amn) amn = d;
		if (d > amx) amx = d;
	}
	double mn = INFINITY, mx = 0;
	for (size_t k = 0; k < n; k++) {
		if (!exact) {
			double dl = t[k].lon - lon0;
			if (dl > 180) dl -= 360;
			if (dl < -180) dl += 360;
			double d = hypot(dl * kn, (t[k].lat - lat0) * km);
			if (d > amn * 1.10 + 1 && d < amx * 0.90 - 1) continue; /* neither extreme */
		}
		double d = dv_radio_distance_m(lat0, lon0, t[k].lat, t[k].lon);
		if (d < mn) mn = d;
		if (d > mx) mx = d;
	}
	*mn_out = mn;
	*mx_out = mx;
}

typedef struct mem_arg {
	const void *buf;
	size_t len;
	const char *name;
} mem_arg;

static int scan_memory(void *arg, scan_ctx *c, dv_radio_stats *st)
{
	const mem_arg *m = arg;
	return dv_radio_scan_mem(m->buf, m->len, m->name, on_frame, c, st);
}

int dv_radio_report_add_capture_mem(dv_radio_report *r, const char *name, const void *buf, size_t len)
{
	mem_arg m = { buf, len, name };
	return add_scanned(r, name, scan_memory, &m);
}

void dv_radio_report_finish(dv_radio_report *r)
{
	for (size_t i = 0; i < r->naircraft; i++) {
		dv_radio_aircraft *a = &r->aircraft[i];
		for (size_t j = 0; j < a->noperators; j++) {
			dv_radio_operator_pos *o = &a->operators[j];
			if (a->ntrack == 0) continue;
			double mn, mx;
			track_extremes(o->lat, o->lon, a->track, a->ntrack, &mn, &mx);
			o->has_distance = isfinite(mn);
			o->dist_min_m = mn;
			o->dist_max_m = mx;
			o->dist_first_m = dv_radio_distance_m(o->lat, o->lon, a->track[0].lat, a->track[0].lon);
		}
	}
}
