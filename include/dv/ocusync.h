/*
 * dv/ocusync.h - DJI's OcuSync DroneID, decoded from SDR recordings.
 *
 * DJI aircraft with an OcuSync link broadcast DroneID in their own radio
 * protocol, unencrypted, every ~600 ms: serial number, the aircraft's
 * position, altitude and speed, the home point and the pilot's (app's)
 * position. dronevault reads a recording (SigMF, or raw IQ with a format
 * and sample rate), finds the bursts, and reports every frame with its CRC
 * verdict; a frame whose CRC fails is reported as such, never as decoded.
 *
 *     dv_ocusync_result *r;
 *     dv_ocusync_opts o = { 0 };        // a .sigmf-meta says the rest
 *     if (dv_ocusync_decode(&r, "rec.sigmf-meta", &o) < 0) ... dv_error_text()
 *     dv_ocusync_print(r, stdout);
 *     dv_ocusync_result_free(r);
 */
#ifndef DV_OCUSYNC_H
#define DV_OCUSYNC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* One DroneID frame (one burst that carried DroneID pilots). */
typedef struct dv_ocusync_frame {
	uint64_t sample;       /* burst start, samples into the recording */
	double time_s;         /* the same in seconds */
	double freq_offset_hz; /* burst centre relative to the recording's centre */
	double snr_db;         /* Es/N0 estimated from the pilots */
	bool crc24_ok;         /* the turbo block's CRC24A (TS 36.212) */
	bool crc16_ok;         /* the DroneID packet's own CRC-16 */
	bool decoded;          /* both CRCs hold: the fields below are what was sent */
	int turbo_iterations;
	uint8_t raw[176];      /* the decoded block (payload + CRC24A) */
	/* OcuSync 2 payload (version 2); meaningful only when decoded */
	unsigned pkt_len, version, sequence, state_info;
	char serial[17];
	double lat, lon;          /* aircraft, degrees */
	double altitude_m, height_m;
	int v_north, v_east, v_up; /* as broadcast (cm/s) */
	int yaw;                   /* "d_1_angle", as broadcast */
	uint64_t gps_time_ms;      /* Unix time in ms */
	double app_lat, app_lon;   /* the pilot's phone/app */
	double home_lat, home_lon;
	unsigned device_type;
	const char *device_name;   /* static string or NULL */
	unsigned uuid_len;
	char uuid[21];
	uint16_t crc_packet, crc_calculated;
} dv_ocusync_frame;

typedef struct dv_ocusync_warning {
	uint64_t sample;
	char text[160];
} dv_ocusync_warning;

typedef struct dv_ocusync_result {
	char path[512];            /* the recording as given */
	char data_path[1024];      /* the sample file read */
	char datatype[16];         /* cf32_le, ci16_le, cu8, ci8 */
	double sample_rate, center_freq; /* center_freq 0: unknown */
	uint64_t samples;          /* complex samples read */
	uint64_t candidates;       /* bursts of DroneID length */
	uint64_t nan_samples, clipped_samples;
	dv_ocusync_frame *frames;  /* every burst with DroneID pilots */
	size_t nframes;
	size_t crc_ok, crc_bad;
	dv_ocusync_warning *warnings;
	size_t nwarnings;
} dv_ocusync_result;

typedef struct dv_ocusync_opts {
	const char *iq_format;  /* raw input: cf32 | ci16 | cu8 | ci8 (NULL: SigMF) */
	double sample_rate;     /* raw input: Hz (> 0); overrides SigMF if set */
	double center_freq;     /* optional, Hz */
} dv_ocusync_opts;

/* Whether path names a SigMF recording (.sigmf-meta or .sigmf-data). */
bool dv_ocusync_is_sigmf(const char *path);

int dv_ocusync_decode(dv_ocusync_result **out, const char *path, const dv_ocusync_opts *o);
void dv_ocusync_result_free(dv_ocusync_result *r);

/* Reports over one or more recordings. */
void dv_ocusync_print(const dv_ocusync_result *const *r, size_t n, FILE *out);
int dv_ocusync_json(char **out, const dv_ocusync_result *const *r, size_t n);
int dv_ocusync_geojson(char **out, const dv_ocusync_result *const *r, size_t n);

#ifdef __cplusplus
}
#endif
#endif
