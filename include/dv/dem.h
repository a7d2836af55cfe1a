/*
 * dv/dem.h - ground elevation from a digital elevation model, read with
 * GDAL (GeoTIFF, SRTM .hgt, ESRI ASCII grid, ... any raster GDAL opens).
 *
 * Band 1 holds the ground elevation in metres above mean sea level (as
 * SRTM, Copernicus DEM and national DEMs do); the raster may be in any
 * CRS GDAL can transform WGS84 longitude/latitude into. Elevations are
 * interpolated bilinearly between pixel centres.
 *
 *     dv_dem *dem;
 *     if (dv_dem_open(&dem, "swissalti3d.tif") < 0) ...
 *     dv_geofence_set_dem(gf, dem);   // AGL limits become comparable
 *     ...
 *     dv_dem_free(dem);               // after the geofence is done with it
 */
#ifndef DV_DEM_H
#define DV_DEM_H

#ifdef __cplusplus
extern "C" {
#endif

typedef struct dv_dem dv_dem;

/* Opens a DEM; *out belongs to the caller (dv_dem_free). */
int dv_dem_open(dv_dem **out, const char *path);

/*
 * Ground elevation (m AMSL) at lon/lat. DV_ENOTFOUND when the point is
 * outside the raster or on a no-data pixel.
 */
int dv_dem_elevation(dv_dem *dem, double lon, double lat, double *out_m);

/* "name (W x H, CRS)" for messages; borrowed. */
const char *dv_dem_describe(const dv_dem *dem);

void dv_dem_free(dv_dem *dem);

#ifdef __cplusplus
}
#endif
#endif
