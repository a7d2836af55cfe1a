/*
 * odid.c - ASTM F3411 message and message-pack decoding (layouts in
 * radio/odid_int.h). Every read goes through dv_rd over the 25 bytes of one
 * message; a pack is walked with its declared size and count checked
 * against the bytes that are really there.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "radio/odid_int.h"
#include "core/rd_int.h"

void dv_odid_problem(dv_odid_frame *f, const char *fmt, ...)
{
	if (f->nproblems >= DV_ODID_MAX_PROBLEMS) return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(f->problems[f->nproblems], DV_ODID_PROBLEM_LEN, fmt, ap);
	va_end(ap);
	f->nproblems++;
}

/* The message is known to have 25 bytes, so these reads cannot fail; the
 * reader still bounds them. */
static uint8_t g8(dv_rd *r)
{
	uint8_t v = 0;
	(void)dv_rd_u8(r, &v);
	return v;
}

static uint16_t g16(dv_rd *r)
{
	uint16_t v = 0;
	(void)dv_rd_u16le(r, &v);
	return v;
}

static uint32_t g32(dv_rd *r)
{
	uint32_t v = 0;
	(void)dv_rd_u32le(r, &v);
	return v;
}

/* Inlined so that the copy has a constant size (hot path: every ID). */
static inline __attribute__((always_inline)) void gbytes(dv_rd *r, void *out, size_t n)
{
	if (dv_rd_bytes(r, out, n) < 0) memset(out, 0, n);
}

/* True when n bytes at p are all zero. */
static bool all_zero(const uint8_t *p, size_t n)
{
	static const uint8_t zeros[64];
	while (n > 0) {
		size_t k = n < sizeof(zeros) ? n : sizeof(zeros);
		if (memcmp(p, zeros, k)) return false;
		p += k;
		n -= k;
	}
	return true;
}

int dv_odid_decode_msg(const uint8_t *p, size_t len, dv_odid_msg *out)
{
	if (len < DV_ODID_MSG_SIZE) return DV_ETRUNC;
	dv_rd r = dv_rd_init(p, DV_ODID_MSG_SIZE, NULL, 0);
	memset(out, 0, sizeof(*out));
	uint8_t h = g8(&r);
	out->type = h >> 4;
	out->version = h & 0x0f;
	out->known = true;
	uint8_t b;
	switch (out->type) {
	case DV_ODID_BASIC_ID:
		b = g8(&r);
		out->u.basic.id_type = b >> 4;
		out->u.basic.ua_type = b & 0x0f;
		gbytes(&r, out->u.basic.id, sizeof(out->u.basic.id));
		break;
	case DV_ODID_LOCATION: {
		dv_odid_location *l = &out->u.loc;
		b = g8(&r);
		l->status = b >> 4;
		l->height_type = (b >> 2) & 1;
		l->ew_segment = (b >> 1) & 1;
		l->speed_mult = b & 1;
		l->direction = g8(&r);
		l->speed = g8(&r);
		l->vspeed = (int8_t)g8(&r);
		l->lat = (int32_t)g32(&r);
		l->lon = (int32_t)g32(&r);
		l->press_alt = g16(&r);
		l->geo_alt = g16(&r);
		l->height = g16(&r);
		b = g8(&r);
		l->v_accuracy = b >> 4;
		l->h_accuracy = b & 0x0f;
		b = g8(&r);
		l->baro_accuracy = b >> 4;
		l->speed_accuracy = b & 0x0f;
		l->timestamp = g16(&r);
		l->ts_accuracy = g8(&r) & 0x0f;
		break;
	}
	case DV_ODID_AUTH: {
		dv_odid_auth *a = &out->u.auth;
		b = g8(&r);
		a->auth_type = b >> 4;
		a->page = b & 0x0f;
		if (a->page == 0) {
			a->last_page = g8(&r);
			a->length = g8(&r);
			a->timestamp = g32(&r);
			a->data_len = 17;
		} else {
			a->data_len = 23;
		}
		gbytes(&r, a->data, a->data_len);
		break;
	}
	case DV_ODID_SELF_ID:
		out->u.self.desc_type = g8(&r);
		gbytes(&r, out->u.self.desc, sizeof(out->u.self.desc));
		break;
	case DV_ODID_SYSTEM: {
		dv_odid_system *s = &out->u.sys;
		b = g8(&r);
		s->class_type = (b >> 2) & 0x07;
		s->op_loc_type = b & 0x03;
		s->op_lat = (int32_t)g32(&r);
		s->op_lon = (int32_t)g32(&r);
		s->area_count = g16(&r);
		s->area_radius = g8(&r);
		s->area_ceiling = g16(&r);
		s->area_floor = g16(&r);
		b = g8(&r);
		s->ua_category = b >> 4;
		s->ua_class = b & 0x0f;
		s->op_geo_alt = g16(&r);
		s->timestamp = g32(&r);
		break;
	}
	case DV_ODID_OPERATOR_ID:
		out->u.op.id_type = g8(&r);
		gbytes(&r, out->u.op.id, sizeof(out->u.op.id));
		break;
	case DV_ODID_PACK:
		out->u.pack.msg_size = g8(&r);
		out->u.pack.quantity = g8(&r);
		break;
	default:
		out->known = false;
		break;
	}
	return 0;
}

static dv_odid_msg *next_msg(dv_odid_frame *f)
{
	if (f->nmsg >= DV_ODID_MAX_MSGS) return NULL;
	return &f->msgs[f->nmsg];
}

/* A pack starts at p (its header byte); len bytes are available. */
static void decode_pack(const uint8_t *p, size_t len, dv_odid_frame *f, dv_odid_msg *pm)
{
	dv_rd r = dv_rd_init(p, len, NULL, 0);
	uint8_t hdr, size, qty;
	if (dv_rd_u8(&r, &hdr) < 0 || dv_rd_u8(&r, &size) < 0 || dv_rd_u8(&r, &qty) < 0) {
		dv_odid_problem(f, "truncated message pack header (%zu bytes)", len);
		return;
	}
	memset(pm, 0, sizeof(*pm));
	pm->type = DV_ODID_PACK;
	pm->version = hdr & 0x0f;
	pm->known = true;
	pm->u.pack.msg_size = size;
	pm->u.pack.quantity = qty;
	f->nmsg++;
	if (qty == 0) {
		f->empty = true;
		dv_odid_problem(f, "empty message pack (quantity 0)");
		return;
	}
	if (size != DV_ODID_MSG_SIZE)
		dv_odid_problem(f, "message pack declares message size %u (standard: 25)", size);
	if (size < DV_ODID_MSG_SIZE) return; /* messages would overlap: nothing to trust */
	if ((size_t)size * qty > dv_rd_left(&r)) {
		f->pack_overrun = true;
		f->pack_end = p + len;
	}
	if (qty > 9)
		dv_odid_problem(f, "message pack declares %u messages (standard: at most 9)", qty);
	for (unsigned n = 1; n <= qty; n++) {
		const uint8_t *mp;
		if (dv_rd_left(&r) < size) {
			dv_odid_problem(f, "message pack truncated: message %u of %u needs %u bytes, %zu left",
			                n, qty, size, dv_rd_left(&r));
			return;
		}
		dv_odid_msg *m = next_msg(f);
		if (!m) {
			dv_odid_problem(f, "message pack holds more than %d messages; rest not decoded",
			                DV_ODID_MAX_MSGS - 1);
			return;
		}
		(void)dv_rd_view(&r, size, &mp);
		(void)dv_odid_decode_msg(mp, size, m);
		m->in_pack = true;
		f->nmsg++;
		if (!m->known)
			dv_odid_problem(f, "message %u of pack: unknown message type %u", n, m->type);
		else if (m->type == DV_ODID_PACK)
			dv_odid_problem(f, "message %u of pack is itself a pack (not allowed)", n);
		else if (m->version > 2 && m->version != 15)
			dv_odid_problem(f, "message %u of pack: unknown protocol version %u", n, m->version);
	}
	/* Transmitters pad the element to a fixed size with zeros: only other
	 * bytes after the pack are worth a report. */
	size_t rest = dv_rd_left(&r);
	if (!all_zero(dv_rd_ptr(&r), rest))
		dv_odid_problem(f, "%zu bytes after the %u messages of the pack", rest, qty);
}

int dv_odid_decode_payload(const uint8_t *p, size_t len, bool with_counter, dv_odid_frame *f)
{
	dv_rd r = dv_rd_init(p, len, NULL, 0);
	size_t before = f->nmsg;
	if (with_counter) {
		if (dv_rd_u8(&r, &f->counter) < 0) {
			f->empty = true;
			dv_odid_problem(f, "no Remote ID message after the application code");
			return 0;
		}
	}
	if (dv_rd_left(&r) == 0) {
		f->empty = true;
		dv_odid_problem(f, "no Remote ID message after the message counter");
		return 0;
	}
	const uint8_t *mp = dv_rd_ptr(&r);
	size_t left = dv_rd_left(&r);
	dv_odid_msg *m = next_msg(f);
	if (!m) return 0;
	if ((mp[0] >> 4) == DV_ODID_PACK) {
		decode_pack(mp, left, f, m);
	} else if (dv_odid_decode_msg(mp, left, m) < 0) {
		dv_odid_problem(f, "truncated message: %zu of 25 bytes", left);
	} else {
		f->nmsg++;
		if (!m->known)
			dv_odid_problem(f, "unknown message type %u", m->type);
		else if (m->version > 2 && m->version != 15)
			dv_odid_problem(f, "unknown protocol version %u", m->version);
	}
	return (int)(f->nmsg - before);
}

double dv_odid_latlon_deg(int32_t raw)
{
	return raw / 1e7;
}

double dv_odid_alt_m(uint16_t raw)
{
	return raw == 0 ? NAN : raw * 0.5 - 1000.0;
}

double dv_odid_speed_mps(uint8_t raw, uint8_t mult)
{
	if (raw == 255) return NAN;
	return mult ? raw * 0.75 + 255 * 0.25 : raw * 0.25;
}

double dv_odid_vspeed_mps(int8_t raw)
{
	return raw == 126 ? NAN : raw * 0.5;
}

double dv_odid_direction_deg(uint8_t raw, uint8_t ew)
{
	unsigned d = raw + (ew ? 180u : 0u);
	return d >= 360 ? NAN : (double)d;
}

const char *dv_odid_type_name(int type)
{
	switch (type) {
	case DV_ODID_BASIC_ID: return "Basic ID";
	case DV_ODID_LOCATION: return "Location/Vector";
	case DV_ODID_AUTH: return "Authentication";
	case DV_ODID_SELF_ID: return "Self ID";
	case DV_ODID_SYSTEM: return "System";
	case DV_ODID_OPERATOR_ID: return "Operator ID";
	case DV_ODID_PACK: return "Message Pack";
	default: return "unknown";
	}
}

const char *dv_odid_version_name(int version)
{
	switch (version) {
	case 0: return "F3411-19";
	case 1: return "F3411-20";
	case 2: return "F3411-22a";
	case 15: return "private";
	default: return "unknown";
	}
}

const char *dv_odid_id_type_name(int id_type)
{
	switch (id_type) {
	case 0: return "none";
	case 1: return "serial number";
	case 2: return "CAA registration";
	case 3: return "UTM UUID";
	case 4: return "specific session ID";
	default: return "reserved";
	}
}

const char *dv_radio_transport_name(dv_radio_transport t)
{
	switch (t) {
	case DV_RADIO_WIFI_BEACON: return "Wi-Fi beacon";
	case DV_RADIO_WIFI_DJI: return "Wi-Fi beacon, DJI DroneID";
	case DV_RADIO_WIFI_NAN: return "Wi-Fi NAN";
	case DV_RADIO_BT_LEGACY: return "Bluetooth 4 legacy";
	case DV_RADIO_BT_EXTENDED: return "Bluetooth 5 extended";
	default: return "none";
	}
}

size_t dv_odid_text(char *out, const uint8_t *in, size_t n, bool escape)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;
	for (size_t i = 0; i < n && in[i]; i++) {
		if (escape && (in[i] < 0x20 || in[i] == 0x7f || in[i] == '\\')) {
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[in[i] >> 4];
			out[o++] = hex[in[i] & 15];
		} else if (in[i] < 0x80) {
			out[o++] = (char)in[i];
		} else { /* U+FFFD, as Wireshark's ENC_ASCII shows it */
			out[o++] = (char)0xEF;
			out[o++] = (char)0xBF;
			out[o++] = (char)0xBD;
		}
	}
	out[o] = '\0';
	return o;
}
