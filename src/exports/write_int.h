/* exports/write_int.h - the writers of each package kind (run.c calls them). */
#ifndef DV_EXPORTS_WRITE_INT_H
#define DV_EXPORTS_WRITE_INT_H

#include <json-c/json.h>
#include <proj.h>

#include "exports/exports_int.h"

int dv_xwrite_images(dv_xpkg *pkg, dv_xphoto *p, size_t n);
/* GAPS.txt: one line per photo missing one of the relevant DV_XGAP_* */
int dv_xwrite_gaps(dv_xpkg *pkg, const dv_xphoto *p, size_t n, unsigned relevant, uint64_t *gaps);
int dv_xwrite_odm(dv_xpkg *pkg, dv_xphoto *p, size_t n, uint64_t *photos, uint64_t *gaps);
int dv_xwrite_colmap(dv_xpkg *pkg, dv_xphoto *p, size_t n, uint64_t *photos, uint64_t *gaps);

/* A local ENU frame (PROJ cart + topocentric) at lat0/lon0/h0. */
typedef struct dv_xenu {
	PJ_CONTEXT *ctx;
	PJ *pj;
	double lat0, lon0, h0;
} dv_xenu;
int dv_xenu_open(dv_xenu *e, double lat0, double lon0, double h0);
int dv_xenu_fwd(const dv_xenu *e, double lat, double lon, double h, double *x, double *y, double *z);
void dv_xenu_close(dv_xenu *e);

/* The court package's own files (court.c): files/, DFXML, CASE/UCO,
 * report, VERIFY.md and the custody/ call site. */
typedef struct dv_xcourt_info {
	const char *case_name, *operator_name, *tool_version;
	const char *basemap;   /* world-atlas TopoJSON, or NULL */
	bool pdf;              /* render report.pdf with headless Chromium when found */
	bool coverage;         /* compute the coverage for coverage.geojson and the report */
	int64_t now_ns;
	bool pdf_done;         /* out */
	double pdf_seconds;    /* out */
} dv_xcourt_info;
int dv_xwrite_court(dv_xpkg *pkg, dv_vault *v, dv_xcourt_info *info, const dv_xphoto *p, size_t n, uint64_t *gaps);

#endif
