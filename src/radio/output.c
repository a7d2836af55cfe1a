/*
 * output.c - the radio report as text, JSON and GeoJSON (json-c).
 */
#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/geojson_int.h"
#include "dv/err.h"
#include "dv/radio.h"
#include "dv/util.h"
#include "radio/odid_int.h"
#include "radio/droneid_int.h"

static const char *ua_type_name(int t)
{
	static const char *n[16] = { "not declared", "aeroplane", "helicopter/multirotor", "gyroplane",
	                             "hybrid lift", "ornithopter", "glider", "kite", "free balloon",
	                             "captive balloon", "airship", "free fall/parachute", "rocket",
	                             "tethered powered aircraft", "ground obstacle", "other" };
	return t >= 0 && t < 16 ? n[t] : "?";
}

static const char *op_loc_name(int t)
{
	switch (t) {
	case 0: return "take-off position";
	case 1: return "live GNSS";
	case 2: return "fixed location";
	default: return "reserved";
	}
}

static void transports_text(char *out, size_t size, unsigned t, bool coded)
{
	out[0] = '\0';
	size_t o = 0;
	for (unsigned bit = 1; bit <= DV_RADIO_TRANSPORT_LAST; bit <<= 1) {
		if (!(t & bit)) continue;
		int n = snprintf(out + o, size - o, "%s%s%s", o ? ", " : "",
		                 dv_radio_transport_name((dv_radio_transport)bit),
		                 bit == DV_RADIO_BT_EXTENDED && coded ? " (Long Range, coded PHY)" : "");
		if (n < 0 || (size_t)n >= size - o) return;
		o += (size_t)n;
	}
}

static void versions_text(char *out, size_t size, unsigned v)
{
	out[0] = '\0';
	size_t o = 0;
	for (int i = 0; i < 16; i++) {
		if (!(v & (1u << i))) continue;
		int n = snprintf(out + o, size - o, "%s%s", o ? ", " : "", dv_odid_version_name(i));
		if (n < 0 || (size_t)n >= size - o) return;
		o += (size_t)n;
	}
}

/* "1-25, 27, 30-31" for up to max frames, then "...". */
static void frames_text(char *out, size_t size, const uint64_t *fr, size_t n)
{
	size_t o = 0;
	out[0] = '\0';
	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j + 1 < n && fr[j + 1] == fr[j] + 1) j++;
		int w = j > i ? snprintf(out + o, size - o, "%s%llu-%llu", o ? ", " : "",
		                         (unsigned long long)fr[i], (unsigned long long)fr[j])
		              : snprintf(out + o, size - o, "%s%llu", o ? ", " : "", (unsigned long long)fr[i]);
		if (w < 0 || (size_t)w >= size - o - 5) {
			snprintf(out + o, size - o, ", ...");
			return;
		}
		o += (size_t)w;
		i = j + 1;
	}
}

/* Other transmitters that broadcast one of an aircraft's UAS IDs: the same
 * aircraft seen over Wi-Fi and Bluetooth has two addresses. An index sorted
 * by ID text keeps this O(n log n) however many transmitters there are. */
typedef struct idref {
	const char *text;
	size_t ac;
} idref;

typedef struct id_index {
	idref *v;
	size_t n;
} id_index;

static int cmp_idref(const void *pa, const void *pb)
{
	const idref *a = pa, *b = pb;
	int c = strcmp(a->text, b->text);
	return c ? c : (a->ac > b->ac) - (a->ac < b->ac);
}

static void id_index_build(id_index *x, const dv_radio_report *r)
{
	size_t n = 0;
	for (size_t i = 0; i < r->naircraft; i++) n += r->aircraft[i].nids;
	x->n = 0;
	x->v = malloc((n ? n : 1) * sizeof(*x->v));
	if (!x->v) return; /* no cross-references then */
	for (size_t i = 0; i < r->naircraft; i++)
		for (size_t k = 0; k < r->aircraft[i].nids; k++) x->v[x->n++] = (idref){ r->aircraft[i].ids[k].text, i };
	qsort(x->v, x->n, sizeof(*x->v), cmp_idref);
}

/* First entry of x whose text is >= text (upper: > text). */
static size_t id_index_bound(const id_index *x, const char *text, bool upper)
{
	size_t lo = 0, hi = x->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(x->v[mid].text, text);
		if (c < 0 || (upper && c == 0)) lo = mid + 1;
		else hi = mid;
	}
	return lo;
}

/* Calls fn for up to max (<= 8) other aircraft sharing an ID with aircraft
 * i; returns how many others share its most shared ID. */
static size_t id_index_others(const id_index *x, const dv_radio_report *r, size_t i, size_t max,
                              void (*fn)(const char *key, void *arg), void *arg)
{
	size_t total = 0, seen[8], nseen = 0;
	const dv_radio_aircraft *a = &r->aircraft[i];
	if (max > 8) max = 8;
	for (size_t k = 0; k < a->nids && x->v; k++) {
		size_t lo = id_index_bound(x, a->ids[k].text, false);
		size_t hi = id_index_bound(x, a->ids[k].text, true);
		if (hi - lo > 1 && hi - lo - 1 > total) total = hi - lo - 1;
		for (size_t j = lo; j < hi && nseen < max; j++) {
			size_t o = x->v[j].ac;
			bool dup = o == i;
			for (size_t q = 0; q < nseen && !dup; q++) dup = seen[q] == o;
			if (dup) continue;
			seen[nseen++] = o;
			fn(r->aircraft[o].key, arg);
		}
	}
	return total > nseen ? total : nseen;
}

static void print_same(const char *key, void *arg)
{
	fprintf(arg, "  same UAS ID as %s (another transmitter address: same aircraft, other radio)\n", key);
}

static void json_same(const char *key, void *arg)
{
	json_object_array_add(arg, json_object_new_string(key));
}

static void print_issues(const dv_radio_report *r, size_t cap, FILE *out)
{
	bool *done = calloc(r->nissues ? r->nissues : 1, sizeof(bool));
	uint64_t *fr = malloc((r->nissues ? r->nissues : 1) * sizeof(uint64_t));
	if (!done || !fr) {
		free(done);
		free(fr);
		return;
	}
	bool any = false;
	for (size_t i = 0; i < r->nissues; i++) {
		if (done[i] || r->issues[i].capture != cap) continue;
		size_t n = 0;
		for (size_t j = i; j < r->nissues; j++) {
			if (done[j] || r->issues[j].capture != cap || strcmp(r->issues[j].text, r->issues[i].text))
				continue;
			done[j] = true;
			if (!n || fr[n - 1] != r->issues[j].frame_no) fr[n++] = r->issues[j].frame_no;
		}
		char ft[160];
		frames_text(ft, sizeof(ft), fr, n);
		if (!any) fprintf(out, "  empty or malformed:\n");
		any = true;
		fprintf(out, "    %s: %zu frame%s (%s)\n", r->issues[i].text, n, n == 1 ? "" : "s", ft);
	}
	free(done);
	free(fr);
}

static void fmt_alt(char *b, size_t n, double v)
{
	if (isnan(v)) snprintf(b, n, "unknown");
	else snprintf(b, n, "%.1f m", v);
}

void dv_radio_report_print(const dv_radio_report *r, FILE *out)
{
	fprintf(out, "Remote ID broadcast (ASTM F3411 / ASD-STAN EN 4709-002, DJI DroneID): what anyone nearby received\n");
	for (size_t c = 0; c < r->ncaptures; c++) {
		const dv_radio_capture *cp = &r->captures[c];
		fprintf(out, "\ncapture %s\n", cp->path);
		if (cp->error && cp->stats.frames == 0) {
			fprintf(out, "  not read: %s\n", cp->error_text);
			continue;
		}
		fprintf(out, "  %llu frames, link type %d (%s), %llu with Remote ID",
		        (unsigned long long)cp->stats.frames, cp->stats.linktype,
		        dv_radio_linktype_name(cp->stats.linktype), (unsigned long long)cp->stats.odid_frames);
		if (cp->stats.crc_bad)
			fprintf(out, ", %llu of them with a bad CRC (not used)", (unsigned long long)cp->stats.crc_bad);
		fprintf(out, "\n");
		if (!cp->stats.linktype_supported)
			fprintf(out, "  this link type cannot carry broadcast Remote ID (needs 802.11 or Bluetooth LE)\n");
		if (cp->error) fprintf(out, "  read stopped: %s\n", cp->error_text);
		print_issues(r, c, out);
	}
	if (r->issues_dropped)
		fprintf(out, "\n(%llu further issues not listed)\n", (unsigned long long)r->issues_dropped);
	id_index ids;
	id_index_build(&ids, r);
	for (size_t i = 0; i < r->naircraft; i++) {
		const dv_radio_aircraft *a = &r->aircraft[i];
		char buf[256], t0[40], t1[40];
		transports_text(buf, sizeof(buf), a->transports, a->coded_phy);
		fprintf(out, "\naircraft %s (%s), via %s\n", a->key, a->by_serial ? "DroneID serial" : "transmitter address",
		        buf);
		for (size_t k = 0; k < a->nids; k++)
			fprintf(out, "  UAS ID         %s (id type: %s, UA type: %s), %llu messages\n", a->ids[k].text,
			        dv_odid_id_type_name(a->ids[k].id_type), ua_type_name(a->ids[k].ua_type),
			        (unsigned long long)a->ids[k].frames);
		if (!a->nids && !a->droneid_frames) fprintf(out, "  UAS ID         none broadcast\n");
		if (a->droneid_frames) {
			for (size_t k = 0; k < a->ndroneid_serials; k++)
				fprintf(out, "  DJI DroneID    serial %s, %llu frames\n", a->droneid_serials[k].text,
				        (unsigned long long)a->droneid_serials[k].frames);
			if (!a->ndroneid_serials) fprintf(out, "  DJI DroneID    no serial broadcast\n");
			fprintf(out, "  DroneID        %llu frames", (unsigned long long)a->droneid_frames);
			for (int v = 1; v < 16; v++)
				if (a->droneid_versions & (1u << v)) fprintf(out, ", flight information version %d", v);
			if (a->droneid_device_type >= 0)
				fprintf(out, ", device type %d%s%s%s", a->droneid_device_type,
				        dv_droneid_device_name((unsigned)a->droneid_device_type)[0] ? " (" : "",
				        dv_droneid_device_name((unsigned)a->droneid_device_type),
				        dv_droneid_device_name((unsigned)a->droneid_device_type)[0] ? ")" : "");
			fprintf(out, "\n");
			if (a->droneid_undecoded)
				fprintf(out, "  DroneID        %llu frames look like DroneID but could not be decoded (see issues)\n",
				        (unsigned long long)a->droneid_undecoded);
			if (a->droneid_uuid[0]) fprintf(out, "  DroneID UUID   %s\n", a->droneid_uuid);
			if (a->droneid_purpose[0]) fprintf(out, "  flight purpose %s\n", a->droneid_purpose);
			if (a->droneid_has_home)
				fprintf(out, "  home point     %.7f,%.7f (DJI DroneID: where it took off, often where the pilot stands)\n",
				        a->droneid_home_lat, a->droneid_home_lon);
		}
		size_t same = id_index_others(&ids, r, i, 8, print_same, out);
		if (same > 8) fprintf(out, "  same UAS ID as %zu more transmitter addresses\n", same - 8);
		for (size_t k = 0; k < a->noperator_ids; k++)
			fprintf(out, "  operator ID    %s\n", a->operator_ids[k].text);
		for (size_t k = 0; k < a->nself_ids; k++)
			fprintf(out, "  self ID        %s\n", a->self_ids[k].text);
		if (a->has_class && a->class_type == 1)
			fprintf(out, "  classification EU, category %u, class %u\n", a->ua_category, a->ua_class);
		if (a->has_area) {
			char c[32], fl[32];
			fmt_alt(c, sizeof(c), a->area_ceiling_m);
			fmt_alt(fl, sizeof(fl), a->area_floor_m);
			fprintf(out, "  operating area %u aircraft, radius %.0f m, floor %s, ceiling %s\n", a->area_count,
			        a->area_radius_m, fl, c);
		}
		versions_text(buf, sizeof(buf), a->versions);
		fprintf(out, "  protocol       %s\n", buf[0] ? buf : "-");
		dv_time_iso(t0, sizeof(t0), a->first_ns);
		dv_time_iso(t1, sizeof(t1), a->last_ns);
		fprintf(out, "  received       %s .. %s, %llu frames, %llu messages", t0, t1,
		        (unsigned long long)a->frames, (unsigned long long)a->messages);
		if (a->empty_frames) fprintf(out, ", %llu empty", (unsigned long long)a->empty_frames);
		fprintf(out, "\n");
		if (a->auth_pages) fprintf(out, "  authentication %llu pages\n", (unsigned long long)a->auth_pages);
		if (a->ntrack) {
			const dv_radio_point *p0 = &a->track[0], *pn = &a->track[a->ntrack - 1];
			char al[32];
			fmt_alt(al, sizeof(al), p0->geo_alt_m);
			fprintf(out, "  track          %zu positions, %.7f,%.7f (frame %llu, alt %s) .. %.7f,%.7f (frame %llu)\n",
			        a->ntrack, p0->lat, p0->lon, (unsigned long long)p0->frame_no, al, pn->lat, pn->lon,
			        (unsigned long long)pn->frame_no);
		} else {
			fprintf(out, "  track          no position broadcast\n");
		}
		if (a->track_dropped)
			fprintf(out, "  track          %llu further positions not kept (limit %d)\n",
			        (unsigned long long)a->track_dropped, DV_RADIO_MAX_TRACK);
		/* A moving pilot (live GNSS) gives many positions: list a few, sum up the rest. */
		size_t shown = a->noperators <= 5 ? a->noperators : 3;
		for (size_t k = 0; k < shown; k++) {
			const dv_radio_operator_pos *o = &a->operators[k];
			fprintf(out, "  operator       %.7f,%.7f (%s), in %llu frames from frame %llu\n", o->lat, o->lon,
			        o->source == DV_RADIO_SRC_DRONEID ? "DJI DroneID: the pilot app's position" : op_loc_name(o->loc_type),
			        (unsigned long long)o->frames, (unsigned long long)o->first_frame);
			fprintf(out, "  EXPOSURE       anyone within radio range learned where the pilot stood %s",
			        o->source == DV_RADIO_SRC_DRONEID ? "(DroneID: to 1e-7 rad, about 0.6 m)" : "(encoded to 1e-7 deg, about 1 cm)");
			if (o->has_distance)
				fprintf(out, ":\n                 %.0f to %.0f m from the aircraft while it broadcast "
				             "(%.0f m from its first broadcast position)",
				        o->dist_min_m, o->dist_max_m, o->dist_first_m);
			fprintf(out, "\n");
		}
		if (shown < a->noperators) {
			double mn = INFINITY, mx = 0;
			for (size_t k = 0; k < a->noperators; k++) {
				if (!a->operators[k].has_distance) continue;
				if (a->operators[k].dist_min_m < mn) mn = a->operators[k].dist_min_m;
				if (a->operators[k].dist_max_m > mx) mx = a->operators[k].dist_max_m;
			}
			fprintf(out, "  operator       %zu more positions (the pilot moved; all in --json/--geojson)", a->noperators - shown);
			if (isfinite(mn)) fprintf(out, ", all %.0f to %.0f m from the aircraft", mn, mx);
			fprintf(out, "\n");
		}
		if (a->operators_dropped)
			fprintf(out, "  operator       %llu further distinct positions not listed\n",
			        (unsigned long long)a->operators_dropped);
		if (!a->noperators) fprintf(out, "  operator       no position broadcast\n");
	}
	free(ids.v);
	if (!r->naircraft) fprintf(out, "\nno broadcasting aircraft found\n");
}

/* ---- JSON -------------------------------------------------------------------- */

/* A double printed with prec decimals (json-c would print 17 digits). */
static json_object *jdbl(double v, int prec)
{
	char b[48];
	if (!isfinite(v)) return NULL;
	snprintf(b, sizeof(b), "%.*f", prec, v);
	return json_object_new_double_s(v, b);
}

static json_object *jnum(double v)
{
	return jdbl(v, 2);
}

static json_object *jdeg(double v)
{
	return jdbl(v, 7);
}

static json_object *jtime(int64_t ns)
{
	char t[40];
	dv_time_iso(t, sizeof(t), ns);
	return json_object_new_string(t);
}

static json_object *ident_array(const dv_radio_ident *ids, size_t n, bool basic)
{
	json_object *arr = json_object_new_array();
	for (size_t i = 0; i < n; i++) {
		json_object *o = json_object_new_object();
		if (basic) {
			json_object_object_add(o, "id_type", json_object_new_string(dv_odid_id_type_name(ids[i].id_type)));
			json_object_object_add(o, "ua_type", json_object_new_string(ua_type_name(ids[i].ua_type)));
		} else {
			json_object_object_add(o, "type", json_object_new_int(ids[i].id_type));
		}
		json_object_object_add(o, "value", json_object_new_string(ids[i].text));
		json_object_object_add(o, "messages", json_object_new_int64((int64_t)ids[i].frames));
		json_object_array_add(arr, o);
	}
	return arr;
}

static json_object *point_json(const dv_radio_point *p)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "frame", json_object_new_int64((int64_t)p->frame_no));
	json_object_object_add(o, "time", jtime(p->ts_ns));
	json_object_object_add(o, "lat", jdeg(p->lat));
	json_object_object_add(o, "lon", jdeg(p->lon));
	json_object_object_add(o, "geodetic_alt_m", jnum(p->geo_alt_m));
	json_object_object_add(o, "pressure_alt_m", jnum(p->press_alt_m));
	json_object_object_add(o, "height_m", jnum(p->height_m));
	json_object_object_add(o, "height_above", json_object_new_string(p->height_type ? "ground" : "take-off"));
	json_object_object_add(o, "speed_mps", jnum(p->speed_mps));
	json_object_object_add(o, "vertical_speed_mps", jnum(p->vspeed_mps));
	json_object_object_add(o, "direction_deg", jnum(p->direction_deg));
	json_object_object_add(o, "status", json_object_new_int(p->status));
	if (p->source == DV_RADIO_SRC_DRONEID) {
		json_object_object_add(o, "source", json_object_new_string("DJI DroneID"));
		json_object_object_add(o, "droneid_altitude_m", jnum(p->alt_m));
		json_object_object_add(o, "yaw_deg", jnum(p->yaw_deg));
	}
	return o;
}

static json_object *operator_json(const dv_radio_operator_pos *o)
{
	json_object *j = json_object_new_object();
	json_object_object_add(j, "lat", jdeg(o->lat));
	json_object_object_add(j, "lon", jdeg(o->lon));
	json_object_object_add(j, "geodetic_alt_m", jnum(o->geo_alt_m));
	json_object_object_add(j, "location_type", json_object_new_string(o->source == DV_RADIO_SRC_DRONEID
	                                                                      ? "pilot app position (DJI DroneID)"
	                                                                      : op_loc_name(o->loc_type)));
	json_object_object_add(j, "source", json_object_new_string(o->source == DV_RADIO_SRC_DRONEID ? "DJI DroneID"
	                                                                                           : "ASTM F3411"));
	json_object_object_add(j, "frames", json_object_new_int64((int64_t)o->frames));
	json_object_object_add(j, "first_frame", json_object_new_int64((int64_t)o->first_frame));
	json_object_object_add(j, "last_frame", json_object_new_int64((int64_t)o->last_frame));
	if (o->has_distance) {
		json_object_object_add(j, "distance_to_track_min_m", jdbl(o->dist_min_m, 1));
		json_object_object_add(j, "distance_to_track_max_m", jdbl(o->dist_max_m, 1));
		json_object_object_add(j, "distance_to_first_position_m", jdbl(o->dist_first_m, 1));
	}
	return j;
}

static int emit(json_object *root, char **out)
{
	const char *s = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
	*out = s ? strdup(s) : NULL;
	json_object_put(root);
	if (!*out) return dv_error_set(DV_ENOMEM, NULL, -1, "out of memory (radio JSON)");
	return 0;
}

int dv_radio_report_json(const dv_radio_report *r, char **out)
{
	json_object *root = json_object_new_object();
	json_object *caps = json_object_new_array();
	for (size_t c = 0; c < r->ncaptures; c++) {
		const dv_radio_capture *cp = &r->captures[c];
		json_object *o = json_object_new_object();
		json_object_object_add(o, "path", json_object_new_string(cp->path));
		json_object_object_add(o, "frames", json_object_new_int64((int64_t)cp->stats.frames));
		json_object_object_add(o, "linktype", json_object_new_int(cp->stats.linktype));
		json_object_object_add(o, "linktype_name", json_object_new_string(dv_radio_linktype_name(cp->stats.linktype)));
		json_object_object_add(o, "remote_id_frames", json_object_new_int64((int64_t)cp->stats.odid_frames));
		json_object_object_add(o, "bad_crc_frames", json_object_new_int64((int64_t)cp->stats.crc_bad));
		if (cp->error) json_object_object_add(o, "error", json_object_new_string(cp->error_text));
		json_object *iss = json_object_new_array();
		for (size_t i = 0; i < r->nissues; i++) {
			if (r->issues[i].capture != c) continue;
			json_object *io = json_object_new_object();
			json_object_object_add(io, "frame", json_object_new_int64((int64_t)r->issues[i].frame_no));
			if (r->issues[i].aircraft[0])
				json_object_object_add(io, "aircraft", json_object_new_string(r->issues[i].aircraft));
			json_object_object_add(io, "problem", json_object_new_string(r->issues[i].text));
			json_object_array_add(iss, io);
		}
		json_object_object_add(o, "issues", iss);
		json_object_array_add(caps, o);
	}
	json_object_object_add(root, "captures", caps);
	if (r->issues_dropped)
		json_object_object_add(root, "issues_not_listed", json_object_new_int64((int64_t)r->issues_dropped));
	json_object *acs = json_object_new_array();
	id_index ids;
	id_index_build(&ids, r);
	for (size_t i = 0; i < r->naircraft; i++) {
		const dv_radio_aircraft *a = &r->aircraft[i];
		json_object *o = json_object_new_object();
		char buf[256];
		json_object_object_add(o, "transmitter", json_object_new_string(a->key));
		json_object *tr = json_object_new_array();
		for (unsigned bit = 1; bit <= DV_RADIO_TRANSPORT_LAST; bit <<= 1)
			if (a->transports & bit)
				json_object_array_add(tr, json_object_new_string(dv_radio_transport_name((dv_radio_transport)bit)));
		json_object_object_add(o, "transports", tr);
		json_object_object_add(o, "coded_phy", json_object_new_boolean(a->coded_phy));
		versions_text(buf, sizeof(buf), a->versions);
		json_object_object_add(o, "protocol_versions", json_object_new_string(buf));
		json_object_object_add(o, "uas_ids", ident_array(a->ids, a->nids, true));
		json_object *same = json_object_new_array();
		size_t nsame = id_index_others(&ids, r, i, 8, json_same, same);
		json_object_object_add(o, "same_uas_id_as", same);
		if (nsame > 8)
			json_object_object_add(o, "same_uas_id_as_not_listed", json_object_new_int64((int64_t)(nsame - 8)));
		json_object_object_add(o, "operator_ids", ident_array(a->operator_ids, a->noperator_ids, false));
		json_object_object_add(o, "self_ids", ident_array(a->self_ids, a->nself_ids, false));
		if (a->has_class && a->class_type == 1) {
			json_object *cl = json_object_new_object();
			json_object_object_add(cl, "eu_category", json_object_new_int(a->ua_category));
			json_object_object_add(cl, "eu_class", json_object_new_int(a->ua_class));
			json_object_object_add(o, "classification", cl);
		}
		if (a->has_area) {
			json_object *ar = json_object_new_object();
			json_object_object_add(ar, "aircraft", json_object_new_int(a->area_count));
			json_object_object_add(ar, "radius_m", jdbl(a->area_radius_m, 0));
			json_object_object_add(ar, "floor_m", jnum(a->area_floor_m));
			json_object_object_add(ar, "ceiling_m", jnum(a->area_ceiling_m));
			json_object_object_add(o, "operating_area", ar);
		}
		json_object_object_add(o, "first_seen", jtime(a->first_ns));
		json_object_object_add(o, "last_seen", jtime(a->last_ns));
		json_object_object_add(o, "frames", json_object_new_int64((int64_t)a->frames));
		json_object_object_add(o, "messages", json_object_new_int64((int64_t)a->messages));
		json_object_object_add(o, "empty_frames", json_object_new_int64((int64_t)a->empty_frames));
		json_object_object_add(o, "authentication_pages", json_object_new_int64((int64_t)a->auth_pages));
		if (a->droneid_frames) {
			json_object *dj = json_object_new_object();
			json_object_object_add(dj, "serials", ident_array(a->droneid_serials, a->ndroneid_serials, false));
			json_object_object_add(dj, "frames", json_object_new_int64((int64_t)a->droneid_frames));
			json_object_object_add(dj, "undecodable_frames", json_object_new_int64((int64_t)a->droneid_undecoded));
			json_object *vs = json_object_new_array();
			for (int v = 1; v < 16; v++)
				if (a->droneid_versions & (1u << v)) json_object_array_add(vs, json_object_new_int(v));
			json_object_object_add(dj, "flight_info_versions", vs);
			if (a->droneid_device_type >= 0) {
				json_object_object_add(dj, "device_type", json_object_new_int(a->droneid_device_type));
				const char *dn = dv_droneid_device_name((unsigned)a->droneid_device_type);
				if (dn[0]) json_object_object_add(dj, "device", json_object_new_string(dn));
			}
			if (a->droneid_uuid[0]) json_object_object_add(dj, "uuid", json_object_new_string(a->droneid_uuid));
			if (a->droneid_purpose[0]) json_object_object_add(dj, "flight_purpose", json_object_new_string(a->droneid_purpose));
			if (a->droneid_has_home) {
				json_object *h = json_object_new_object();
				json_object_object_add(h, "lat", jdeg(a->droneid_home_lat));
				json_object_object_add(h, "lon", jdeg(a->droneid_home_lon));
				json_object_object_add(dj, "home", h);
			}
			json_object_object_add(o, "dji_droneid", dj);
		}
		json_object *trk = json_object_new_array();
		for (size_t k = 0; k < a->ntrack; k++) json_object_array_add(trk, point_json(&a->track[k]));
		json_object_object_add(o, "track", trk);
		if (a->track_dropped)
			json_object_object_add(o, "track_positions_not_kept", json_object_new_int64((int64_t)a->track_dropped));
		json_object *ops = json_object_new_array();
		for (size_t k = 0; k < a->noperators; k++) json_object_array_add(ops, operator_json(&a->operators[k]));
		json_object_object_add(o, "operator_positions", ops);
		if (a->operators_dropped)
			json_object_object_add(o, "operator_positions_not_listed", json_object_new_int64((int64_t)a->operators_dropped));
		json_object_array_add(acs, o);
	}
	free(ids.v);
	json_object_object_add(root, "aircraft", acs);
	return emit(root, out);
}

static json_object *coord(double lon, double lat, double alt)
{
	json_object *c = json_object_new_array();
	json_object_array_add(c, jdeg(lon));
	json_object_array_add(c, jdeg(lat));
	if (isfinite(alt)) json_object_array_add(c, jdbl(alt, 1));
	return c;
}

int dv_radio_report_geojson(const dv_radio_report *r, char **out)
{
	json_object *root = json_object_new_object();
	json_object_object_add(root, "type", json_object_new_string("FeatureCollection"));
	json_object *feats = json_object_new_array();
	for (size_t i = 0; i < r->naircraft; i++) {
		const dv_radio_aircraft *a = &r->aircraft[i];
		const char *uas = a->nids ? a->ids[0].text : a->ndroneid_serials ? a->droneid_serials[0].text : "";
		if (a->droneid_has_home) {
			json_object *p = json_object_new_object();
			json_object_object_add(p, "role", json_object_new_string("home point (DJI DroneID broadcast)"));
			json_object_object_add(p, "transmitter", json_object_new_string(a->key));
			json_object_object_add(p, "uas_id", json_object_new_string(uas));
			json_object_array_add(feats,
			                      dv_geojson_feature("Point", coord(a->droneid_home_lon, a->droneid_home_lat, NAN), p));
		}
		if (a->ntrack) {
			json_object *f = json_object_new_object();
			json_object *g = json_object_new_object();
			json_object *cs = json_object_new_array();
			if (a->ntrack == 1) {
				json_object_object_add(g, "type", json_object_new_string("Point"));
				json_object_put(cs);
				cs = coord(a->track[0].lon, a->track[0].lat, a->track[0].geo_alt_m);
			} else {
				json_object_object_add(g, "type", json_object_new_string("LineString"));
				for (size_t k = 0; k < a->ntrack; k++)
					json_object_array_add(cs, coord(a->track[k].lon, a->track[k].lat, a->track[k].geo_alt_m));
			}
			json_object_object_add(g, "coordinates", cs);
			json_object *p = json_object_new_object();
			json_object_object_add(p, "role", json_object_new_string("aircraft track (broadcast)"));
			json_object_object_add(p, "transmitter", json_object_new_string(a->key));
			json_object_object_add(p, "uas_id", json_object_new_string(uas));
			json_object_object_add(p, "positions", json_object_new_int64((int64_t)a->ntrack));
			json_object_object_add(p, "first_seen", jtime(a->first_ns));
			json_object_object_add(p, "last_seen", jtime(a->last_ns));
			json_object_object_add(f, "type", json_object_new_string("Feature"));
			json_object_object_add(f, "geometry", g);
			json_object_object_add(f, "properties", p);
			json_object_array_add(feats, f);
		}
		for (size_t k = 0; k < a->noperators; k++) {
			const dv_radio_operator_pos *o = &a->operators[k];
			json_object *f = json_object_new_object();
			json_object *g = json_object_new_object();
			json_object_object_add(g, "type", json_object_new_string("Point"));
			json_object_object_add(g, "coordinates", coord(o->lon, o->lat, o->geo_alt_m));
			json_object *p = operator_json(o);
			json_object_object_add(p, "role", json_object_new_string("operator position (broadcast)"));
			json_object_object_add(p, "transmitter", json_object_new_string(a->key));
			json_object_object_add(p, "uas_id", json_object_new_string(uas));
			json_object_object_add(f, "type", json_object_new_string("Feature"));
			json_object_object_add(f, "geometry", g);
			json_object_object_add(f, "properties", p);
			json_object_array_add(feats, f);
		}
	}
	json_object_object_add(root, "features", feats);
	return emit(root, out);
}
