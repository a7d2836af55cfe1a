/*
 * dem.c - ground elevation through GDAL (see dv/dem.h).
 */
#include "dv/dem.h"

#include <dlfcn.h>
#include <gdal.h>
#include <stdbool.h>
#include <math.h>
#include <ogr_srs_api.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <threads.h>

#include "dv/err.h"

/*
 * GDAL is loaded on first use (dv_dem_open), not linked: it brings some
 * 34 MB of shared libraries into every start of dronevault, and only a
 * zone check with --dem needs it. The headers give the types; this table
 * the functions.
 */
#define DV_GDAL_FUNCS(X) \
	X(CPLErrorReset) \
	X(CPLGetLastErrorMsg) \
	X(CPLSetErrorHandler) \
	X(CPLQuietErrorHandler) \
	X(GDALAllRegister) \
	X(GDALClose) \
	X(GDALGetGeoTransform) \
	X(GDALGetProjectionRef) \
	X(GDALGetRasterBand) \
	X(GDALGetRasterCount) \
	X(GDALGetRasterNoDataValue) \
	X(GDALGetRasterXSize) \
	X(GDALGetRasterYSize) \
	X(GDALInvGeoTransform) \
	X(GDALOpenEx) \
	X(GDALRasterIO) \
	X(OCTDestroyCoordinateTransformation) \
	X(OCTNewCoordinateTransformation) \
	X(OCTTransform) \
	X(OSRDestroySpatialReference) \
	X(OSRGetName) \
	X(OSRIsSame) \
	X(OSRNewSpatialReference) \
	X(OSRSetAxisMappingStrategy) \
	X(OSRSetWellKnownGeogCS)

static struct {
#define X(fn) __typeof__(&fn) fn;
	DV_GDAL_FUNCS(X)
#undef X
} gdal;
static bool gdal_loaded;
static char gdal_missing[160];

static void gdal_load(void)
{
	static const char *const sonames[] = { "libgdal.so.32", "libgdal.so.33", "libgdal.so.34", "libgdal.so" };
	void *h = NULL;
	for (size_t i = 0; !h && i < sizeof(sonames) / sizeof(sonames[0]); i++)
		h = dlopen(sonames[i], RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		snprintf(gdal_missing, sizeof(gdal_missing), "libgdal.so.32");
		return;
	}
#define X(fn)                                                                \
	if (!(*(void **)&gdal.fn = dlsym(h, #fn))) {                         \
		snprintf(gdal_missing, sizeof(gdal_missing), "%s in libgdal", #fn); \
		return;                                                      \
	}
	DV_GDAL_FUNCS(X)
#undef X
	gdal_loaded = true;
}

/* From here on the calls below go through the table. */
#define CPLErrorReset (*gdal.CPLErrorReset)
#define CPLGetLastErrorMsg (*gdal.CPLGetLastErrorMsg)
#define CPLSetErrorHandler (*gdal.CPLSetErrorHandler)
#define GDALAllRegister (*gdal.GDALAllRegister)
#define GDALClose (*gdal.GDALClose)
#define GDALGetGeoTransform (*gdal.GDALGetGeoTransform)
#define GDALGetProjectionRef (*gdal.GDALGetProjectionRef)
#define GDALGetRasterBand (*gdal.GDALGetRasterBand)
#define GDALGetRasterCount (*gdal.GDALGetRasterCount)
#define GDALGetRasterNoDataValue (*gdal.GDALGetRasterNoDataValue)
#define GDALGetRasterXSize (*gdal.GDALGetRasterXSize)
#define GDALGetRasterYSize (*gdal.GDALGetRasterYSize)
#define GDALInvGeoTransform (*gdal.GDALInvGeoTransform)
#define GDALOpenEx (*gdal.GDALOpenEx)
#define GDALRasterIO (*gdal.GDALRasterIO)
#define OCTDestroyCoordinateTransformation (*gdal.OCTDestroyCoordinateTransformation)
#define OCTNewCoordinateTransformation (*gdal.OCTNewCoordinateTransformation)
#define OCTTransform (*gdal.OCTTransform)
#define OSRDestroySpatialReference (*gdal.OSRDestroySpatialReference)
#define OSRGetName (*gdal.OSRGetName)
#define OSRIsSame (*gdal.OSRIsSame)
#define OSRNewSpatialReference (*gdal.OSRNewSpatialReference)
#define OSRSetAxisMappingStrategy (*gdal.OSRSetAxisMappingStrategy)
#define OSRSetWellKnownGeogCS (*gdal.OSRSetWellKnownGeogCS)

struct dv_dem {
	GDALDatasetH ds;
	GDALRasterBandH band;
	OGRCoordinateTransformationH ct;  /* WGS84 lon/lat -> raster CRS, or NULL */
	double inv[6];                    /* georeferenced -> pixel/line */
	int w, h;
	int has_nodata;
	double nodata;
	char desc[512];
};

static once_flag gdal_once = ONCE_FLAG_INIT;

static void gdal_init(void)
{
	gdal_load();
	if (!gdal_loaded) return;
	GDALAllRegister();
	CPLSetErrorHandler(gdal.CPLQuietErrorHandler);
}

void dv_dem_free(dv_dem *d)
{
	if (!d) return;
	if (d->ct) OCTDestroyCoordinateTransformation(d->ct);
	if (d->ds) GDALClose(d->ds);
	free(d);
}

int dv_dem_open(dv_dem **out, const char *path)
{
	*out = NULL;
	call_once(&gdal_once, gdal_init);
	if (!gdal_loaded)
		return dv_error_set(DV_EUNSUPPORTED, path, -1, "a DEM needs GDAL (%s not found: apt-get install libgdal32)", gdal_missing);
	dv_dem *d = calloc(1, sizeof(*d));
	if (!d) return dv_error_set(DV_ENOMEM, path, -1, "out of memory");
	CPLErrorReset();
	d->ds = GDALOpenEx(path, GDAL_OF_RASTER | GDAL_OF_READONLY, NULL, NULL, NULL);
	if (!d->ds) {
		int rc = dv_error_set(DV_EINVAL, path, -1, "cannot open DEM: %s", CPLGetLastErrorMsg());
		dv_dem_free(d);
		return rc;
	}
	d->w = GDALGetRasterXSize(d->ds);
	d->h = GDALGetRasterYSize(d->ds);
	if (GDALGetRasterCount(d->ds) < 1 || d->w < 2 || d->h < 2) {
		dv_dem_free(d);
		return dv_error_set(DV_EINVAL, path, -1, "DEM needs one band of at least 2 x 2 pixels");
	}
	d->band = GDALGetRasterBand(d->ds, 1);
	double gt[6];
	if (GDALGetGeoTransform(d->ds, gt) != CE_None || !GDALInvGeoTransform(gt, d->inv)) {
		dv_dem_free(d);
		return dv_error_set(DV_EINVAL, path, -1, "DEM has no usable georeferencing");
	}
	d->nodata = GDALGetRasterNoDataValue(d->band, &d->has_nodata);
	const char *wkt = GDALGetProjectionRef(d->ds);
	const char *crs = "unknown CRS: WGS84 assumed";
	if (wkt && *wkt) {
		OGRSpatialReferenceH dst = OSRNewSpatialReference(wkt), src = OSRNewSpatialReference(NULL);
		OSRSetWellKnownGeogCS(src, "WGS84");
		OSRSetAxisMappingStrategy(src, OAMS_TRADITIONAL_GIS_ORDER);
		if (dst) OSRSetAxisMappingStrategy(dst, OAMS_TRADITIONAL_GIS_ORDER);
		if (dst && !OSRIsSame(src, dst)) {
			d->ct = OCTNewCoordinateTransformation(src, dst);
			crs = d->ct ? OSRGetName(dst) : NULL;
		} else {
			crs = "WGS84";
		}
		if (!crs && !d->ct) {
			OSRDestroySpatialReference(src);
			if (dst) OSRDestroySpatialReference(dst);
			dv_dem_free(d);
			return dv_error_set(DV_EUNSUPPORTED, path, -1, "cannot transform WGS84 into the DEM's CRS");
		}
		snprintf(d->desc, sizeof(d->desc), "%s (%d x %d, %s)", path, d->w, d->h, crs ? crs : "?");
		OSRDestroySpatialReference(src);
		if (dst) OSRDestroySpatialReference(dst);
	} else {
		snprintf(d->desc, sizeof(d->desc), "%s (%d x %d, %s)", path, d->w, d->h, crs);
	}
	*out = d;
	return 0;
}

const char *dv_dem_describe(const dv_dem *d)
{
	return d->desc;
}

int dv_dem_elevation(dv_dem *d, double lon, double lat, double *out)
{
	double x = lon, y = lat;
	if (d->ct && !OCTTransform(d->ct, 1, &x, &y, NULL))
		return dv_error_set(DV_ENOTFOUND, NULL, -1, "point %.7f, %.7f cannot be put in the DEM's CRS", lon, lat);
	/* pixel coordinates, relative to pixel centres */
	double px = d->inv[0] + x * d->inv[1] + y * d->inv[2] - 0.5;
	double py = d->inv[3] + x * d->inv[4] + y * d->inv[5] - 0.5;
	if (!(px >= 0 && py >= 0 && px <= d->w - 1 && py <= d->h - 1))
		return dv_error_set(DV_ENOTFOUND, NULL, -1, "point %.7f, %.7f is outside the DEM", lon, lat);
	int ix = (int)px, iy = (int)py;
	if (ix > d->w - 2) ix = d->w - 2;
	if (iy > d->h - 2) iy = d->h - 2;
	double v[4];
	if (GDALRasterIO(d->band, GF_Read, ix, iy, 2, 2, v, 2, 2, GDT_Float64, 0, 0) != CE_None)
		return dv_error_set(DV_EIO, NULL, -1, "cannot read the DEM: %s", CPLGetLastErrorMsg());
	for (int i = 0; i < 4; i++)
		if (!isfinite(v[i]) || (d->has_nodata && v[i] == d->nodata))
			return dv_error_set(DV_ENOTFOUND, NULL, -1, "no elevation at %.7f, %.7f", lon, lat);
	double fx = px - ix, fy = py - iy;
	*out = v[0] * (1 - fx) * (1 - fy) + v[1] * fx * (1 - fy) + v[2] * (1 - fx) * fy + v[3] * fx * fy;
	return 0;
}
