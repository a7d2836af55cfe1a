/*
 * geo_int.h - what the files of src/geo share (not public).
 */
#ifndef DV_GEO_INT_H
#define DV_GEO_INT_H

#include <geos_c.h>

#include "dv/zones.h"

/* A GEOS context whose error and notice messages land in msg. */
typedef struct dv__geos {
	GEOSContextHandle_t h;
	char msg[256];
} dv__geos;

int dv__geos_init(dv__geos *g);
void dv__geos_finish(dv__geos *g);

/* A GEOS Polygon for a polygon zone (NULL with g->msg on failure). */
GEOSGeometry *dv__zone_polygon(dv__geos *g, const dv_zone *z);

/* Growable array helper: makes room for one more element of size sz. */
int dv__grow(void **arr, size_t *cap, size_t n, size_t sz, size_t max);

#endif
