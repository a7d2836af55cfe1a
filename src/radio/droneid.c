/*
 * droneid.c - DJI DroneID records (layout and sources in
 * radio/droneid_int.h). Every read goes through dv_rd over the element's
 * bytes; a record shorter than its layout is reported cut with what it
 * lacks, an undocumented subcommand or version as unknown.
 */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/rd_int.h"
#include "dv/err.h"
#include "radio/droneid_int.h"

#define V1_LEN 75
#define V2_LEN 87

const char *dv_droneid_status_name(dv_droneid_status s)
{
	switch (s) {
	case DV_DRONEID_OK: return "decoded";
	case DV_DRONEID_CUT: return "cut";
	case DV_DRONEID_UNKNOWN: return "unknown layout";
	case DV_DRONEID_BAD_VALUES: return "values out of range";
	case DV_DRONEID_CRC_BAD: return "bad CRC";
	default: return "?";
	}
}

/*
 * DroneID device types as the NDSS 2023 receiver names them
 * (RUB-SysSec/DroneSecurity, src/droneid_packet.py, DRONEID_DRONE_TYPES).
 * They are not the flight records' product codes.
 */
const char *dv_droneid_device_name(unsigned type)
{
	static const struct { unsigned c; const char *n; } t[] = {
		{ 1, "Inspire 1" }, { 2, "Phantom 3 series" }, { 3, "Phantom 3 series" }, { 4, "Phantom 3 Standard" },
		{ 5, "Matrice 100" }, { 6, "ACEONE" }, { 7, "WKM" }, { 8, "NAZA" }, { 9, "A2" }, { 10, "A3" },
		{ 11, "Phantom 4" }, { 12, "MG1" }, { 14, "Matrice 600" }, { 15, "Phantom 3 4K" },
		{ 16, "Mavic Pro" }, { 17, "Inspire 2" }, { 18, "Phantom 4 Pro" }, { 20, "N2" }, { 21, "Spark" },
		{ 23, "Matrice 600 Pro" }, { 24, "Mavic Air" }, { 25, "Matrice 200" }, { 26, "Phantom 4 series" },
		{ 27, "Phantom 4 Advanced" }, { 28, "Matrice 210" }, { 30, "Matrice 210 RTK" }, { 31, "A3 AG" },
		{ 32, "MG2" }, { 34, "MG1A" }, { 35, "Phantom 4 RTK" }, { 36, "Phantom 4 Pro V2.0" },
		{ 38, "MG1P" }, { 40, "MG1P RTK" }, { 41, "Mavic 2" }, { 44, "Matrice 200 V2 series" },
		{ 51, "Mavic 2 Enterprise" }, { 53, "Mavic Mini" }, { 58, "Mavic Air 2" },
		{ 59, "Phantom 4 Multispectral" }, { 60, "Matrice 300 RTK" }, { 61, "DJI FPV" }, { 63, "Mini 2" },
		{ 64, "Agras T10" }, { 65, "Agras T30" }, { 66, "Air 2S" }, { 67, "Matrice 30" },
		{ 68, "Mavic 3" }, { 69, "Mavic 2 Enterprise Advanced" }, { 70, "Mini SE" },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (t[i].c == type) return t[i].n;
	return "";
}

static void problem(dv_droneid_record *r, dv_droneid_status st, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void problem(dv_droneid_record *r, dv_droneid_status st, const char *fmt, ...)
{
	r->status = st;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->problem, sizeof(r->problem), fmt, ap);
	va_end(ap);
}

/* Printable copy of a NUL-padded text field (others as '?'). */
static void text_field(char *out, size_t size, const uint8_t *in, size_t n)
{
	size_t w = 0;
	for (size_t i = 0; i < n && in[i] && w + 1 < size; i++)
		out[w++] = in[i] >= 0x20 && in[i] < 0x7f ? (char)in[i] : '?';
	out[w] = 0;
}

static double rad7_deg(int32_t raw)
{
	return raw / 174533.0; /* radians * 1e7 -> degrees, as the receivers convert */
}

/* A position pair: false for 0,0 (not broadcast) or out of range. */
static bool position(double lat, double lon, bool *bad)
{
	if (lat == 0 && lon == 0) return false;
	if (!(fabs(lat) <= 90 && fabs(lon) <= 180)) {
		*bad = true;
		return false;
	}
	return true;
}

static void defaults(dv_droneid_record *r)
{
	memset(r, 0, sizeof(*r));
	r->lat = r->lon = r->alt_m = r->height_m = NAN;
	r->v_north_mps = r->v_east_mps = r->v_up_mps = NAN;
	r->pitch_deg = r->roll_deg = r->yaw_deg = NAN;
	r->home_lat = r->home_lon = r->pilot_lat = r->pilot_lon = NAN;
	r->gps_time_ms = -1;
}

static int16_t s16(dv_rd *r)
{
	uint16_t v = 0;
	(void)dv_rd_u16le(r, &v);
	return (int16_t)v;
}

static int32_t s32(dv_rd *r)
{
	uint32_t v = 0;
	(void)dv_rd_u32le(r, &v);
	return (int32_t)v;
}

static void flight_info(dv_droneid_record *o, dv_rd *r)
{
	size_t have = dv_rd_left(r);
	uint8_t ver = 0;
	if (dv_rd_u8(r, &ver) < 0) {
		problem(o, DV_DRONEID_CUT, "flight information cut: no version byte");
		return;
	}
	o->version = ver;
	size_t need = ver == 1 ? V1_LEN : ver == 2 ? V2_LEN : 0;
	if (!need) {
		problem(o, DV_DRONEID_UNKNOWN, "flight information of version %u (known: 1, 2)", ver);
		return;
	}
	if (have < need) {
		problem(o, DV_DRONEID_CUT, "flight information (version %u) cut: %zu of %zu bytes", ver, have,
		        need);
		return;
	}
	uint16_t u = 0;
	(void)dv_rd_u16le(r, &u);
	o->seq = u;
	(void)dv_rd_u16le(r, &u);
	o->state = u;
	const uint8_t *sn = NULL;
	if (dv_rd_view(r, 16, &sn) == 0) text_field(o->serial, sizeof(o->serial), sn, 16);
	double lon = rad7_deg(s32(r)), lat = rad7_deg(s32(r));
	o->alt_m = s16(r);
	o->height_m = s16(r);
	o->v_north_mps = s16(r) / 100.0;
	o->v_east_mps = s16(r) / 100.0;
	o->v_up_mps = s16(r) / 100.0;
	double plat = 0, plon = 0;
	if (ver == 1) {
		o->pitch_deg = s16(r) / 100.0;
		o->roll_deg = s16(r) / 100.0;
		o->yaw_deg = s16(r) / 100.0;
	} else {
		o->yaw_deg = s16(r) / 100.0;
		uint64_t t = 0;
		(void)dv_rd_u64le(r, &t);
		o->gps_time_ms = t > 0 && t < 7258118400000ULL ? (int64_t)t : -1; /* before 2200 */
		plat = rad7_deg(s32(r));
		plon = rad7_deg(s32(r));
	}
	double hlon = rad7_deg(s32(r)), hlat = rad7_deg(s32(r));
	uint8_t dt = 0, ul = 0;
	(void)dv_rd_u8(r, &dt);
	(void)dv_rd_u8(r, &ul);
	o->device_type = dt;
	o->uuid_len = ul;
	const uint8_t *uu = NULL;
	size_t n = ul < 20 ? ul : 20;
	if (dv_rd_view(r, 20, &uu) < 0) n = 0; /* cannot happen: the length was checked */
	bool printable = true;
	for (size_t i = 0; i < n; i++)
		if (uu[i] < 0x20 || uu[i] >= 0x7f) printable = false;
	if (printable) {
		memcpy(o->uuid, uu, n);
		o->uuid[n] = 0;
	} else {
		for (size_t i = 0; i < n; i++) snprintf(o->uuid + 2 * i, 3, "%02x", uu[i]);
	}
	bool bad = false;
	if (position(lat, lon, &bad)) {
		o->has_pos = true;
		o->lat = lat;
		o->lon = lon;
	}
	if (position(hlat, hlon, &bad)) {
		o->has_home = true;
		o->home_lat = hlat;
		o->home_lon = hlon;
	}
	if (ver == 2 && position(plat, plon, &bad)) {
		o->has_pilot = true;
		o->pilot_lat = plat;
		o->pilot_lon = plon;
	}
	if (bad) problem(o, DV_DRONEID_BAD_VALUES, "position out of range (serial '%s')", o->serial);
}

static void flight_purpose(dv_droneid_record *o, dv_rd *r)
{
	const uint8_t *sn = NULL, *id = NULL;
	uint64_t idlen, plen;
	if (dv_rd_view(r, 16, &sn) < 0 || dv_rd_u64le(r, &idlen) < 0 || dv_rd_view(r, 10, &id) < 0 ||
	    dv_rd_u64le(r, &plen) < 0) {
		problem(o, DV_DRONEID_CUT, "flight purpose cut: %zu bytes", dv_rd_left(r));
		return;
	}
	text_field(o->serial, sizeof(o->serial), sn, 16);
	text_field(o->drone_id, sizeof(o->drone_id), id, 10);
	size_t n = dv_rd_left(r) < 100 ? dv_rd_left(r) : 100; /* firmware cuts it: take what is there */
	text_field(o->purpose, sizeof(o->purpose), dv_rd_ptr(r), n);
}

int dv_droneid_decode_wifi(dv_droneid_record *out, const uint8_t *p, size_t len)
{
	defaults(out);
	out->carrier = DV_DRONEID_WIFI;
	dv_rd r = dv_rd_init(p, len, NULL, 0);
	uint8_t vtype, sub;
	if (dv_rd_u8(&r, &vtype) < 0 || dv_rd_skip(&r, 2) < 0 || dv_rd_u8(&r, &sub) < 0) {
		problem(out, DV_DRONEID_CUT, "element cut: %zu bytes after the OUI", len);
		return out->status;
	}
	out->subcommand = sub;
	if (sub == DV_DRONEID_SUB_FLIGHT_INFO) flight_info(out, &r);
	else if (sub == DV_DRONEID_SUB_PURPOSE) flight_purpose(out, &r);
	else problem(out, DV_DRONEID_UNKNOWN, "element with subcommand 0x%02x (known: 0x10, 0x11)", sub);
	return out->status;
}

const char dv_droneid_tsv_header[] =
	"# frame\tsubcommand\tversion\tseq\tstate\tserial\tlat\tlon\talt_m\theight_m\tv_north\tv_east\tv_up"
	"\tyaw\tpilot_lat\tpilot_lon\thome_lat\thome_lon\tgps_time_ms\tdevice_type\tuuid\tstatus";

static void num(char *b, size_t n, double v, int prec)
{
	if (isfinite(v)) snprintf(b, n, "%.*f", prec, v);
	else b[0] = 0;
}

int dv_droneid_tsv(const dv_droneid_record *rec, uint64_t frame_no, char *out, size_t size, bool escape)
{
	char v[12][32];
	num(v[0], 32, rec->has_pos ? rec->lat : NAN, 7);
	num(v[1], 32, rec->has_pos ? rec->lon : NAN, 7);
	num(v[2], 32, rec->alt_m, 1);
	num(v[3], 32, rec->height_m, 1);
	num(v[4], 32, rec->v_north_mps, 2);
	num(v[5], 32, rec->v_east_mps, 2);
	num(v[6], 32, rec->v_up_mps, 2);
	num(v[7], 32, rec->yaw_deg, 2);
	num(v[8], 32, rec->has_pilot ? rec->pilot_lat : NAN, 7);
	num(v[9], 32, rec->has_pilot ? rec->pilot_lon : NAN, 7);
	num(v[10], 32, rec->has_home ? rec->home_lat : NAN, 7);
	num(v[11], 32, rec->has_home ? rec->home_lon : NAN, 7);
	(void)escape; /* serial and uuid are printable by construction */
	char t[24] = "";
	if (rec->gps_time_ms >= 0) snprintf(t, sizeof(t), "%" PRId64, rec->gps_time_ms);
	int n = snprintf(out, size,
	                 "%" PRIu64 "\t0x%02x\t%u\t%u\t0x%04x\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%u\t%s\t%s",
	                 frame_no, rec->subcommand, rec->version, rec->seq, rec->state, rec->serial, v[0], v[1], v[2], v[3],
	                 v[4], v[5], v[6], v[7], v[8], v[9], v[10], v[11], t, rec->device_type, rec->uuid,
	                 dv_droneid_status_name(rec->status));
	if (n < 0 || (size_t)n >= size) {
		if (size) out[0] = 0;
		return DV_ENOMEM;
	}
	return 0;
}
