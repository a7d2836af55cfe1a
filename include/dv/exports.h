/*
 * dv/exports.h - what leaves the vault for other tools: photogrammetry
 * projects (OpenDroneMap, COLMAP), the coverage of a scene, and the court
 * package (docs/exports.md describes every file and how to check it).
 *
 * Every package is written into DEST/.dronevault-partial-XXXXXX/ and
 * renamed to DEST/<case>-<YYYYMMDDTHHMMSSZ>[-N]/ when every file is
 * durable; COMPLETE (the package digest: SHA-256 of its SHA256SUMS) is
 * written last. DEST may be a mount point and may hold other things: only
 * the package directory is created in it, nothing else is touched. A
 * failure half-way leaves at most a .dronevault-partial-* directory, never
 * a package that looks complete.
 *
 * Custody: "export.start" before the first byte and "export" (with
 * "for", the package path and "package_sha256") after COMPLETE is durable;
 * "export.incomplete" when it fails after the start (as dv_export does).
 *
 * Photos are what the vault's telemetry index says of them (ingest and
 * `dronevault reindex` fill it). What a photo lacks (position, angles,
 * altitude, camera) is never invented: the photo is exported with what is
 * known and the gap goes into the package's GAPS.txt, one line per photo.
 */
#ifndef DV_EXPORTS_H
#define DV_EXPORTS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "dv/vault.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum dv_exports_kind {
	DV_EXPORTS_ODM = 1,     /* images/, geo.txt, image_groups.txt, cameras.json */
	DV_EXPORTS_COLMAP = 2,  /* images/, sparse/0/{cameras,images,points3D}.txt */
	DV_EXPORTS_COURT = 3    /* files/, SHA256SUMS, DFXML, CASE/UCO, report, custody/ */
} dv_exports_kind;

/* "odm", "colmap", "court" -> kind; DV_EINVAL otherwise. */
int dv_exports_kind_parse(dv_exports_kind *out, const char *name);

/* Which photos: all of the case when every field is unset. */
typedef struct dv_exports_select {
	const char *flight;     /* "F17" (dronevault flights), or NULL */
	bool has_since, has_until;
	int64_t since_us, until_us; /* compared with the photo's time as recorded (local or UTC) */
	const char *area_file;  /* GeoJSON Polygon/MultiPolygon (Feature, FeatureCollection), or NULL */
} dv_exports_select;

typedef struct dv_exports_opts {
	const char *case_name;
	const char *dest;           /* DEST: created if missing */
	const char *operator_name;
	dv_exports_kind kind;
	dv_exports_select sel;
	const char *tool_version;   /* for DFXML/CASE creator blocks; NULL = "unknown" */
	/* court: the report's base map, a world-atlas TopoJSON (Natural Earth);
	 * NULL = $DV_WORLD_ATLAS, else the one scripts/install-npm.sh installs */
	const char *basemap;
	bool no_pdf;                /* court: no report.pdf even when Chromium is there */
	bool no_coverage;           /* court: no coverage.geojson / coverage in the report */
} dv_exports_opts;

typedef struct dv_exports_result {
	char package[4096];         /* the final directory */
	uint64_t files;             /* evidence files written */
	uint64_t bytes;
	uint64_t photos;            /* photos with a position written into geo.txt / images.txt */
	uint64_t gaps;              /* photos with something missing (GAPS.txt lines) */
	uint8_t package_sha256[32]; /* SHA-256 of SHA256SUMS, also in COMPLETE */
	uint64_t start_seq, log_seq;
	bool pdf;                   /* court: report.pdf was rendered */
	double pdf_seconds;         /* of which rendering it took */
} dv_exports_result;

int dv_exports_run(dv_exports_result *res, dv_vault *v, const dv_exports_opts *opts);

/* ---- coverage ------------------------------------------------------------ */

typedef enum dv_coverage_format { DV_COVERAGE_GEOJSON = 0, DV_COVERAGE_KML = 1 } dv_coverage_format;

typedef struct dv_coverage_opts {
	const char *case_name;
	dv_exports_select sel;
	const char *dem_file;       /* GDAL DEM for the ground height, or NULL (relative altitude) */
	int min_images;             /* N; 0 = 3 */
	dv_coverage_format format;
} dv_coverage_opts;

typedef struct dv_coverage_result {
	uint64_t photos;            /* photos with a footprint */
	uint64_t skipped;           /* photos without one (reasons in the output) */
	double area_m2;             /* the area judged (given, or the footprints' convex hull) */
	double covered_m2;          /* of it, seen by >= N photos */
	double share;               /* covered / area, 0..1 */
	uint64_t holes;             /* polygons of the area seen by fewer than N */
	int min_images;
} dv_coverage_result;

/* Writes the footprints, the count layer and the holes to out. */
int dv_coverage_run(dv_coverage_result *res, dv_vault *v, const dv_coverage_opts *opts, FILE *out);

/* Parses "YYYY-MM-DD[THH:MM[:SS]][Z]" to microseconds since 1970 (digits as
 * written). DV_EINVAL when it is not such a time. */
int dv_exports_parse_time(int64_t *out_us, const char *s);

#ifdef __cplusplus
}
#endif
#endif
