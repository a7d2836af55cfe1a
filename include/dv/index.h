/*
 * dv/index.h - what the vault knows about its files' telemetry: extracted
 * while a file streams into the vault (dv_index_observer) or later from the
 * stored blob (dv_index_reindex), kept sealed in the catalog, and grouped
 * into flights with a track.
 *
 * Per file, two side tables of the catalog (dv_catalog_side_*), keyed by
 * the file's row id:
 *   "telemetry"  JSON: {"kind", "serial", "model", "start_us", "end_us",
 *                "time_kind", "points", "has_pos", "summary"{...}}
 *   "points"     the track points, packed (see index.c), in file order
 * What is read: photos (JPEG/DNG headers, at most 1 MiB), SRT sidecars
 * (streamed, any size, at most DV_INDEX_MAX_POINTS points kept), DJI
 * flight records (first 64 MiB). Videos are left to their SRT sidecar.
 *
 * Flights: a case's media sorted by time (local wall clock where the
 * drone wrote one, which is what SRT and EXIF carry), split where the gap
 * exceeds gap_s or the aircraft serial changes. A flight's id is "F" and
 * the row id of its first file, stable as long as the case's files are.
 */
#ifndef DV_INDEX_H
#define DV_INDEX_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "dv/ingest.h"
#include "dv/telemetry.h"
#include "dv/vault.h"

struct json_object;

#ifdef __cplusplus
extern "C" {
#endif

#define DV_INDEX_MAX_POINTS 2000000
#define DV_INDEX_GAP_DEFAULT 600

/* Fills an observer that indexes files during dv_ingest. */
void dv_index_observer(dv_ingest_observer *out);

/* Re-extracts the telemetry of every file of a case (NULL: all cases) from
 * its stored blob. *files counts the files indexed. */
int dv_index_reindex(dv_vault *v, const char *case_name, uint64_t *files, uint64_t *with_telemetry);

/* verify --deep: re-derives every file's telemetry from its blob through
 * the sandboxed reader (as reindex does) and compares it with the catalog's
 * rows, changing nothing; each file whose rows differ (or are missing, or
 * should not be there) is a problem sentence to problem. *files: checked;
 * *differ: problems. */
int dv_index_deep_check(dv_vault *v, const char *case_name, void (*problem)(const char *msg, void *payload), void *payload,
                        uint64_t *files, uint64_t *differ);

typedef struct dv_flight {
	char id[24];            /* "F<first file id>" */
	int64_t case_id;
	char serial[64];        /* aircraft serial, "" when no file said */
	char model[64];
	int64_t start_us, end_us;
	dv_time_kind time_kind; /* of start/end */
	uint64_t photos, srts, records;
	uint64_t points;        /* track points with a position */
	double min_lat, min_lon, max_lat, max_lon;
	int64_t *file_ids;      /* owned */
	size_t n_files;
} dv_flight;

/* The flights of a case (caller frees with dv_index_flights_free). */
int dv_index_flights(dv_flight **out, size_t *n, dv_vault *v, const char *case_name, int64_t gap_s);
void dv_index_flights_free(dv_flight *f, size_t n);
/* One flight as the JSON `flights --json` and the web page's API show
 * (a json_object *, caller puts it): id, serial, model, start, end,
 * time_kind, counts, and bbox [min_lon, min_lat, max_lon, max_lat] when the
 * flight has positions. */
struct json_object *dv_index_flight_json(const dv_flight *f);

/*
 * The time-ordered track of flight id (found in any case), photos and
 * SRT cues and flight-record points together; *out malloc'd.
 */
int dv_index_track(dv_track_point **out, size_t *n, dv_flight *flight_out, dv_vault *v, const char *flight_id, int64_t gap_s);

#ifdef __cplusplus
}
#endif
#endif
