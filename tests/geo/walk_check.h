/*
 * walk_check.h - a property both geo tests assert: the entries and exits
 * dv_geofence_check reports along a route agree, at every route point,
 * with the zones dv_geofence_point finds there. (Route without altitude
 * and times, so every zone counts horizontally.)
 */
#ifndef DV_TEST_WALK_CHECK_H
#define DV_TEST_WALK_CHECK_H

#include <stdlib.h>
#include <string.h>

#include "dv/geofence.h"

static void walk_mark(size_t zone, void *payload)
{
	((unsigned char *)payload)[zone] |= 2;
}

/* number of route points where the two disagree (0 expected); *entries out */
static size_t walk_disagreements(dv_geofence *gf, const dv_zones *zs, const dv_route *r, size_t *entries)
{
	dv_fence_report *rep = NULL;
	if (dv_geofence_check(gf, r, NULL, &rep) < 0) return (size_t)-1;
	*entries = rep->nentries;
	unsigned char *st = calloc(zs->nzones ? zs->nzones : 1, 1);
	size_t bad = 0, e = 0;
	for (size_t i = 0; i < r->npts && st; i++) {
		/* events before point i: segments < i, and those at the very start of segment i */
		while (e < rep->nevents && (rep->events[e].segment < i ||
		                            (rep->events[e].segment == i && rep->events[e].frac <= 1e-12))) {
			st[rep->events[e].zone] = rep->events[e].kind == DV_FENCE_ENTRY;
			e++;
		}
		for (size_t z = 0; z < zs->nzones; z++) st[z] &= 1;
		dv_geofence_point(gf, r->pts[i].lon, r->pts[i].lat, walk_mark, st);
		for (size_t z = 0; z < zs->nzones; z++)
			if (st[z] == 1 || st[z] == 2) { bad++; break; }
	}
	free(st);
	dv_fence_report_free(rep);
	return bad;
}

#endif
