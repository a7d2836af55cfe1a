/*
 * tsv.c - one frame in the column layout of the Open Drone ID Wireshark
 * dissector's ground truth (tshark -T fields). Values are the raw integers
 * of F3411; several messages of one kind are comma-joined in frame order;
 * the ID of a Basic ID with id type 4 (binary session ID) is not a text
 * field there and is left out the same way.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "dv/err.h"
#include "radio/odid_int.h"

typedef struct out {
	char *p;
	size_t size, len;
	bool overflow;
} out;

static void put(out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(out *o, const char *fmt, ...)
{
	if (o->overflow) return;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(o->p + o->len, o->size - o->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->size - o->len) {
		o->overflow = true;
		return;
	}
	o->len += (size_t)n;
}

enum col {
	C_MSGTYPE, C_IDTYPE, C_UATYPE, C_ID, C_STATUS, C_LAT, C_LON, C_GEOALT, C_HEIGHT,
	C_SPEED, C_DIR, C_SYSLAT, C_SYSLON, C_OPID, C_SELF, C_N
};

/* Which message type feeds a column (C_MSGTYPE: all). */
static int col_type(enum col c)
{
	switch (c) {
	case C_IDTYPE: case C_UATYPE: case C_ID: return DV_ODID_BASIC_ID;
	case C_STATUS: case C_LAT: case C_LON: case C_GEOALT: case C_HEIGHT:
	case C_SPEED: case C_DIR: return DV_ODID_LOCATION;
	case C_SYSLAT: case C_SYSLON: return DV_ODID_SYSTEM;
	case C_OPID: return DV_ODID_OPERATOR_ID;
	case C_SELF: return DV_ODID_SELF_ID;
	default: return -1;
	}
}

static void put_value(out *o, enum col c, const dv_odid_msg *m, bool esc)
{
	char text[4 * 23 + 1];
	switch (c) {
	case C_MSGTYPE: put(o, "%u", m->type); break;
	case C_IDTYPE: put(o, "%u", m->u.basic.id_type); break;
	case C_UATYPE: put(o, "%u", m->u.basic.ua_type); break;
	case C_ID:
		dv_odid_text(text, m->u.basic.id, sizeof(m->u.basic.id), esc);
		put(o, "%s", text);
		break;
	case C_STATUS: put(o, "%u", m->u.loc.status); break;
	case C_LAT: put(o, "%" PRId32, m->u.loc.lat); break;
	case C_LON: put(o, "%" PRId32, m->u.loc.lon); break;
	case C_GEOALT: put(o, "%u", m->u.loc.geo_alt); break;
	case C_HEIGHT: put(o, "%u", m->u.loc.height); break;
	case C_SPEED: put(o, "%u", m->u.loc.speed); break;
	case C_DIR: put(o, "%u", m->u.loc.direction); break;
	case C_SYSLAT: put(o, "%" PRId32, m->u.sys.op_lat); break;
	case C_SYSLON: put(o, "%" PRId32, m->u.sys.op_lon); break;
	case C_OPID:
		dv_odid_text(text, m->u.op.id, sizeof(m->u.op.id), esc);
		put(o, "%s", text);
		break;
	case C_SELF:
		dv_odid_text(text, m->u.self.desc, sizeof(m->u.self.desc), esc);
		put(o, "%s", text);
		break;
	default: break;
	}
}

int dv_odid_frame_tsv(const dv_odid_frame *f, char *buf, size_t size, unsigned flags)
{
	out o = { buf, size, 0, false };
	if (size == 0) return DV_ENOMEM;
	buf[0] = '\0';
	size_t known = 0;
	for (size_t i = 0; i < f->nmsg; i++)
		known += f->msgs[i].known;
	if (known == 0 || (f->pack_overrun && !(flags & DV_ODID_TSV_CUT))) return 1;
	put(&o, "%" PRIu64, f->frame_no);
	for (int c = 0; c < C_N; c++) {
		int want = col_type((enum col)c);
		bool first = true;
		put(&o, "\t");
		for (size_t i = 0; i < f->nmsg; i++) {
			const dv_odid_msg *m = &f->msgs[i];
			if (!m->known) continue;
			if (want >= 0 && m->type != want) continue;
			if (c == C_ID && m->u.basic.id_type == 4) continue;
			if (!first) put(&o, ",");
			first = false;
			put_value(&o, (enum col)c, m, (flags & DV_ODID_TSV_ESCAPE) != 0);
		}
	}
	if (o.overflow) {
		buf[0] = '\0';
		return DV_ENOMEM;
	}
	return 0;
}

const char *dv_radio_frames_header(unsigned flags)
{
	if (flags & DV_RADIO_FRAMES_DRONEID) return dv_droneid_tsv_header;
	return "# frame\tmsgType\tbasicID_idType\tbasicID_uaType\tbasicID_id_asc\tloc_status\tloc_lat\tloc_lon"
	       "\tloc_geoAlt\tloc_height\tloc_speed\tloc_direction\tsystem_lat\tsystem_lon\toperator_id\tself_desc";
}

int dv_radio_frame_lines(const dv_odid_frame *f, unsigned flags, char *buf, size_t size)
{
	out o = { buf, size, 0, false };
	if (size == 0) return DV_ENOMEM;
	buf[0] = '\0';
	unsigned long long no = (unsigned long long)f->frame_no;
	if (flags & DV_RADIO_FRAMES_DRONEID) {
		if (!f->has_droneid) return 0;
		if (dv_droneid_tsv(&f->droneid, f->frame_no, buf, size > 1 ? size - 1 : 0,
		                   (flags & DV_ODID_TSV_ESCAPE) != 0) < 0)
			return DV_ENOMEM;
		o.len = strlen(buf);
		put(&o, "\n");
	} else {
		int rc = dv_odid_frame_tsv(f, buf, size, (flags & DV_ODID_TSV_ESCAPE) | DV_ODID_TSV_CUT);
		if (rc < 0) return rc;
		if (rc == 0) {
			o.len = strlen(buf);
			put(&o, "\n");
			if (f->pack_overrun) put(&o, "# frame %llu: message pack cut at byte %zu\n", no, f->pack_cut_at);
		} else if (f->has_droneid && f->transport == DV_RADIO_WIFI_DJI) {
			put(&o, "# frame %llu: DJI DroneID (%s), see --frames=droneid\n", no,
			    dv_droneid_status_name(f->droneid.status));
		} else {
			put(&o, "# frame %llu: no Remote ID message of a known type%s\n", no, f->empty ? " (empty)" : "");
		}
		if (f->crc_bad) put(&o, "# frame %llu: bad CRC/FCS, the report does not use its content\n", no);
	}
	if (o.overflow) {
		buf[0] = '\0';
		return DV_ENOMEM;
	}
	return 0;
}
