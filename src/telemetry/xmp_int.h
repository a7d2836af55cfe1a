/*
 * dv/xmp.h - the DJI XMP packet of a photo: drone-dji (http://www.dji.com/
 * drone-dji/1.0/), the older DJI (http://www.dji.com) and FLIR
 * (http://www.dji.com/FLIR/1.0/) namespaces.
 *
 * DJI writes packets that are not well-formed (DJI_XTS.jpg: xmlns:DJI
 * declared twice, a NUL byte in the trailer), so the packet is read with
 * libxml2 in recover mode, NUL bytes turned into spaces, no network and no
 * entity substitution. Every property of those namespaces is kept verbatim
 * (attribute form and element form, rdf:Seq/Alt/Bag items joined by ", "),
 * and the known ones are also decoded into numbers. Numbers keep DJI's
 * explicit '+' sign in the verbatim text; the decoded doubles are plain.
 */
#ifndef DV_XMP_H
#define DV_XMP_H

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define DV_XMP_MAX_PROPS 256     /* further properties are counted, not kept */
#define DV_XMP_VALUE_MAX 1024    /* longer values are cut */

typedef struct dv_xmp_prop {
	char ns[16];        /* "drone-dji", "DJI" or "FLIR" (our names, not the file's prefixes) */
	char name[64];      /* local name, e.g. "GpsLatitude" */
	char *value;        /* verbatim text (owned by the dv_xmp) */
} dv_xmp_prop;

typedef struct dv_xmp {
	dv_xmp_prop *props; /* n_props entries, owned */
	size_t n_props;
	size_t n_dropped;   /* properties over DV_XMP_MAX_PROPS */
	bool recovered;     /* the packet was not well-formed XML */
	/* decoded values; NAN when absent */
	double lat, lon;                 /* GpsLatitude/GpsLongitude (also GPSLongtitude) */
	bool has_pos;                    /* both present, in range, not 0,0 */
	double abs_alt, rel_alt;         /* AbsoluteAltitude, RelativeAltitude */
	double gimbal_roll, gimbal_yaw, gimbal_pitch;
	double flight_roll, flight_yaw, flight_pitch;
	double speed_x, speed_y, speed_z; /* FlightXSpeed ... m/s */
	double lrf_distance, lrf_lat, lrf_lon, lrf_alt, lrf_abs_alt;
	bool has_lrf_pos;                /* LRFTargetLat/Lon non-zero */
	const char *utc_at_exposure;     /* borrowed from props, or NULL */
	const char *drone_model, *drone_serial, *camera_serial;
	const char *rtk_flag;            /* RtkFlag, or NULL */
} dv_xmp;

/*
 * Parses one XMP packet (bytes as found after the "http://ns.adobe.com/
 * xap/1.0/\0" APP1 header). name labels errors. out is caller-allocated and
 * filled even when the packet is damaged; release it with dv_xmp_dispose.
 * Returns 0 (possibly with nothing found), DV_EINVAL when no XML element at
 * all could be read, DV_ENOMEM.
 */
int dv_xmp_parse(dv_xmp *out, const void *buf, size_t len, const char *name);

/* The verbatim value of ns:name, or NULL (borrowed). */
const char *dv_xmp_get(const dv_xmp *x, const char *ns, const char *name);

void dv_xmp_dispose(dv_xmp *x);

#ifdef __cplusplus
}
#endif
#endif
