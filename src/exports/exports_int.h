/*
 * exports/exports_int.h - the parts of the exports area the tests see:
 * the photos of a case with their poses, the camera table, the pose
 * conventions and the ground footprint of a photo.
 *
 * Angle conventions (docs/exports.md):
 *   DJI XMP: GimbalYawDegree clockwise from true north (-180..180),
 *   GimbalPitchDegree 0 = horizontal, -90 = straight down (nadir),
 *   GimbalRollDegree positive = right side down. Absolute angles (the
 *   gimbal's attitude in the world, not relative to the airframe).
 *   Camera axes (COLMAP / OpenCV): x right, y down, z forward (the view).
 *   World: local ENU (x east, y north, z up).
 *   At yaw 0, pitch 0, roll 0 the camera looks north, x east, y down.
 *   ODM geo.txt: yaw as DJI (normalised to 0..360), pitch = 90 + DJI pitch
 *   (0 = nadir, 90 = looking at the horizon), roll as DJI: what ODM itself
 *   does with DJI XMP (opendm/photo.py), so both sources agree.
 */
#ifndef DV_EXPORTS_INT_H
#define DV_EXPORTS_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dv/catalog.h"
#include "dv/exports.h"
#include "dv/telemetry.h"
#include "dv/vault.h"

typedef struct dv_xcamera {
	const char *model;        /* EXIF Model as DJI writes it */
	const char *name;         /* what it is */
	double focal_mm;          /* nominal focal length */
	double sensor_w_mm, sensor_h_mm; /* active area */
	const char *source;       /* where the figures come from */
} dv_xcamera;

/* The camera of EXIF model (exact match, case-insensitive), or NULL. */
const dv_xcamera *dv_xcamera_find(const char *model);
size_t dv_xcamera_count(void);
const dv_xcamera *dv_xcamera_at(size_t i);

enum {
	DV_XGAP_POS = 1,       /* no position */
	DV_XGAP_ALT = 2,       /* no absolute altitude */
	DV_XGAP_REL = 4,       /* no relative altitude */
	DV_XGAP_ANGLES = 8,    /* no gimbal angles */
	DV_XGAP_CAMERA = 16,   /* camera not in the table and EXIF cannot say */
	DV_XGAP_TELEMETRY = 32 /* the index holds nothing for it (reindex?) */
};

typedef struct dv_xphoto {
	dv_file_rec f;            /* the catalog's record */
	char flight[24];          /* "F<id>", "" when none */
	char make[64], model[64];
	char time_text[40];
	int64_t time_us;
	dv_time_kind time_kind;
	bool has_pos;
	double lat, lon, abs_alt, rel_alt; /* NAN when absent */
	double yaw, pitch, roll;  /* DJI gimbal angles, NAN when absent */
	double focal_mm, focal35_mm;
	int64_t width, height;    /* pixels, -1 when unknown */
	/* the camera: the table's, else from EXIF focal + 35 mm equivalent */
	bool has_camera;
	double cam_focal_mm, cam_sensor_w, cam_sensor_h;
	const char *cam_source;   /* "table: <name>" or "EXIF 35 mm equivalent" */
	unsigned gaps;            /* DV_XGAP_* */
	char name[256];           /* unique flat name for images/ */
} dv_xphoto;

/* The photos of a case chosen by sel (JPEG/DNG the index knows as photos),
 * in time order, with unique flat names. *out malloc'd. */
int dv_xphotos_load(dv_xphoto **out, size_t *n, dv_vault *v, const char *case_name, const dv_exports_select *sel);

/* "no position, no gimbal angles" for the gaps of p; "" when none. */
void dv_xgaps_text(char *buf, size_t size, unsigned gaps);

/* ---- pose ----------------------------------------------------------------- */

/* The camera-to-world rotation (ENU) of the DJI angles in degrees:
 * columns are the camera's x (right), y (down), z (view) in the world. */
void dv_xpose_c2w(double r[3][3], double yaw_deg, double pitch_deg, double roll_deg);
/* The unit quaternion (w, x, y, z) of rotation matrix m, w >= 0. */
void dv_xpose_quat(double q[4], const double m[3][3]);
/* ODM geo.txt angles of the DJI ones. */
void dv_xpose_odm(double *yaw, double *pitch, double *roll, double dji_yaw, double dji_pitch, double dji_roll);

/* ---- footprint ------------------------------------------------------------ */

#define DV_XFOOT_SAMPLES 8    /* points per image edge */
#define DV_XFOOT_MAX_RANGE 20 /* rays are cut at this many heights from the nadir point */

typedef struct dv_xfoot {
	size_t n;                 /* ring points (closed: first == last not repeated) */
	double x[4 * DV_XFOOT_SAMPLES], y[4 * DV_XFOOT_SAMPLES]; /* metres east / north of the camera */
	bool clipped;             /* some rays missed the ground or went past the cut */
} dv_xfoot;

/* The ground footprint of a camera height_m above flat ground with the
 * given optics and DJI angles. DV_EINVAL when height_m <= 0 or optics are
 * not positive, or when no ray at all reaches the ground. */
int dv_xfoot_compute(dv_xfoot *out, double height_m, double focal_mm, double sensor_w_mm, double sensor_h_mm,
                     double yaw_deg, double pitch_deg, double roll_deg);

/* ---- area (GEOS) ---------------------------------------------------------- */
#include <geos_c.h>

/* A GeoJSON Polygon / MultiPolygon (bare, a Feature or the polygons of a
 * FeatureCollection) in lon/lat, read with GEOS's GeoJSON reader; *out
 * owned by the caller (GEOSGeom_destroy_r). At most 16 MiB. */
int dv_xarea_load(GEOSGeometry **out, GEOSContextHandle_t h, const char *path);
/* The same from memory (fuzz target). */
int dv_xarea_parse(GEOSGeometry **out, GEOSContextHandle_t h, const char *json, size_t n, const char *name);

/* ---- the package writer (package.c) -------------------------------------- */
#include <stdio.h>

typedef struct dv_xpkg {
	dv_vault *v;
	const char *dest;
	int dfd;                  /* DEST */
	int pfd;                  /* DEST/.dronevault-partial-XXXXXX */
	char partial[64];
	char final_path[4096];
	FILE *sums;
	char *sums_buf;
	size_t sums_len;
	uint64_t files, bytes, renamed;
	int cur_fd;
	const char *cur_path;
} dv_xpkg;

/* Creates DEST (if missing) and the partial directory in it. */
/* Gives each photo its flat name for images/ (the last component of its
 * card path, bytes that are no UTF-8 or that tools choke on as '_'), no two
 * of them one name on a case-folding file system (ASCII and Unicode case,
 * as FAT/exFAT/NTFS fold): clashes take the file id. */
int dv_xphotos_unique_names(dv_xphoto *p, size_t n);

/* name (a flat photo name, at most 200 bytes of UTF-8 plus an extension)
 * with "_<id>" (count 0) or "_<id>-<count>" before its extension, in place,
 * cut between code points. */
void dv_xname_add_id(char *name, size_t size, int64_t id, int count);

int dv_xpkg_open(dv_xpkg *p, dv_vault *v, const char *dest);
/* Writes rel (a path under the package, '/'-separated, created one
 * component at a time without following links) from the vault blob of f:
 * decrypted, checked against the catalog's SHA-256, fsynced, with f's
 * mtime; listed in SHA256SUMS when listed is set. A hostile rel is
 * refused (callers make safe names). */
int dv_xpkg_blob(dv_xpkg *p, const char *rel, const dv_file_rec *f, bool listed);
/* Writes a file the package makes; listed in SHA256SUMS. */
int dv_xpkg_text(dv_xpkg *p, const char *rel, const void *buf, size_t n);
/* The same from a memstream's buffer, which it frees. */
int dv_xpkg_stream(dv_xpkg *p, const char *rel, FILE *f, char **buf, size_t *len);
/* Lists a top-level file someone else wrote into the partial directory
 * (report.pdf): hashed, fsynced, mode 0600. */
int dv_xpkg_adopt(dv_xpkg *p, const char *name);
/* Writes SHA256SUMS, syncs, renames the partial directory to
 * DEST/<case>-<UTC time> (never over anything), then writes COMPLETE
 * ("<sha256 of SHA256SUMS>  SHA256SUMS", so `sha256sum -c COMPLETE`
 * checks it) last and syncs again. */
int dv_xpkg_finish(dv_xpkg *p, const char *case_name, uint8_t digest[32]);
/* Closes what is open; a partial directory is left as it is (never a
 * complete-looking package). */
void dv_xpkg_close(dv_xpkg *p);

/* "_dronevault_renamed/NNNNNN-<name>" style safe relative path of a card
 * path under prefix; the card path itself when it is safe. malloc'd. */
char *dv_xpkg_safe_rel(const char *prefix, const char *card_path, uint64_t *renamed_counter);
/* always: the renamed form even for a safe path (its name clashed with one
 * already written: a destination that folds case). */
char *dv_xpkg_safe_rel_ex(const char *prefix, const char *card_path, uint64_t *renamed_counter, bool always);

/* ---- coverage core (coverage.c), on planar footprints in metres --------- */
typedef struct dv_xcov {
	GEOSContextHandle_t h;
	GEOSGeometry **feet;      /* n footprints (owned) */
	size_t n;
	GEOSGeometry *area;       /* judged area (owned) */
	GEOSGeometry **faces;     /* the arrangement's faces inside the area (owned) */
	int *counts;              /* photos seeing each face */
	size_t nfaces;
	GEOSGeometry *holes;      /* area seen by fewer than min (owned, may be empty) */
	double area_m2, covered_m2;
} dv_xcov;

/* Computes faces, counts, covered area and holes of cov->feet within
 * cov->area (the footprints' convex hull when NULL). */
int dv_xcov_compute(dv_xcov *cov, int min_images);
void dv_xcov_free(dv_xcov *cov);

/* ---- the report's map (map.c) ---------------------------------------------- */
/* A 900 x 450 PNG: locator with the world-atlas TopoJSON at atlas (NULL or
 * unreadable: no base layer, *has_base false) and the flights' photos. */
int dv_xmap_png(uint8_t **out, size_t *len, bool *has_base, const dv_xphoto *p, size_t n, const char *atlas);

#endif
