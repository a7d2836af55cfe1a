/*
 * dronevault inspect FILE... - what a photo, SRT sidecar or other drone
 * file says about where, when and by what it was taken. Works without a
 * vault. A thin layer over dv_inspect_json (dv/inspect.h).
 *
 * Runs inside the sandboxed reader (dv-reader --job): the CLI's inspect
 * hands its arguments over (dv/reader.h) and copies out what this writes.
 */
#include <dirent.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "privsep/job_int.h"
#include "dv/err.h"
#include "dv/inspect.h"
#include "dv/util.h"
#include "telemetry/photo_int.h"

#define INSPECT_DEPTH_MAX 32

static void help(FILE *out)
{
	fprintf(out,
	        "usage: dronevault inspect [--json] [--points] [--utc-offset +HH:MM] FILE|DIR...\n"
	        "       dronevault inspect --track geojson|gpx|kml|csv [--utc-offset +HH:MM] FILE|DIR...\n"
	        "\n"
	        "Reads what DJI photos (EXIF, DJI XMP), SRT video sidecars, MP4/MOV\n"
	        "videos and DJI flight records (DJIFlightRecord_*.txt) say about where\n"
	        "and when they were taken and by which aircraft and camera.\n"
	        "Needs no vault and never changes the files. Photos are read up to the\n"
	        "start of the image data only. Directories are walked (hidden entries\n"
	        "skipped).\n"
	        "\n"
	        "  --json     one JSON object per file, one per line (JSON Lines)\n"
	        "  --points   with --json: every SRT cue and flight record position in\n"
	        "             \"points\" (streamed: memory stays small for any file size)\n"
	        "  --track F  instead: one track of every SRT cue, flight record position\n"
	        "             and photo position, in file order, as GeoJSON (RFC 7946),\n"
	        "             GPX 1.1, KML 2.2 or CSV\n"
	        "  --utc-offset +HH:MM\n"
	        "             the zone the drone's clock was set to (e.g. +02:00): local\n"
	        "             times (SRT, EXIF) also get a UTC time, marked as derived\n"
	        "             from this option; tracks then carry UTC times\n"
	        "\n"
	        "SRT times are the drone's local wall-clock without a zone and are shown\n"
	        "as such (time_kind \"local\"); a position of 0,0 before the first GPS fix\n"
	        "is reported as no position. Damage is reported in \"warnings\" with the\n"
	        "byte offset; everything readable is still shown. Flight records of\n"
	        "format 13 and later keep their records encrypted with keys only DJI\n"
	        "hands out: their details are shown, their records are not, and\n"
	        "dronevault never contacts DJI.\n"
	        "\n"
	        "Exit status: 0 when every file was read, 1 when some could not be or a\n"
	        "FILE named here is of no kind dronevault reads (kinds are told by content).\n");
}

/* Messages name files from a card: no raw control byte reaches the
 * terminal (dv_escape_term). what may be NULL. */
static void say(const char *path, const char *what)
{
	char *p = dv_escape_term_dup(path ? path : dv_error_text());
	fprintf(stderr, "dronevault inspect: %s%s%s\n", p ? p : "?", what ? ": " : "", what ? what : "");
	free(p);
}

typedef struct opts {
	bool json;
	unsigned flags;
	bool has_offset;          /* --utc-offset */
	int offset_min;
	int failed;
	bool track;               /* --track: collect points instead of printing */
	dv_track_format format;
	dv_track_point *pts;      /* collected points (owned) */
	size_t npts, cap;
} opts;

/* --track: the file's points appended to o->pts */
static void collect_one(opts *o, const char *path)
{
	struct stat st;
	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
		say(path, "not a regular file");
		o->failed++;
		return;
	}
	dv_media_kind k = dv_media_kind_of(path);
	dv_track_point *v = NULL, one;
	size_t n = 0;
	if (k == DV_MEDIA_SRT || k == DV_MEDIA_FLIGHT_RECORD) {
		int rc = k == DV_MEDIA_SRT ? dv_srt_points(&v, &n, path, 0) : dv_flightrec_points(&v, &n, path, 0);
		if (rc < 0) {
			say(NULL, NULL);
			o->failed++;
			return;
		}
	} else if (k == DV_MEDIA_PHOTO) {
		dv_photo p;
		int rc = dv_photo_read_file(&p, path);
		if (rc == 0 && dv_photo_point(&p, &one) && one.has_pos) {
			v = &one;
			n = 1;
		} else if (rc < 0) {
			say(NULL, NULL);
			o->failed++;
		}
		dv_photo_dispose(&p);
	}
	if (n && o->has_offset) dv_track_local_to_utc(v, n, o->offset_min);
	if (n && o->npts + n > o->cap) {
		size_t cap = (o->npts + n) * 2;
		dv_track_point *g = realloc(o->pts, cap * sizeof(*g));
		if (!g) {
			fprintf(stderr, "dronevault inspect: out of memory\n");
			o->failed++;
			n = 0;
		} else {
			o->pts = g;
			o->cap = cap;
		}
	}
	if (n) memcpy(o->pts + o->npts, v, n * sizeof(*v));
	o->npts += n;
	if (v != &one) free(v);
}

static const char *str(json_object *o, const char *k)
{
	json_object *v;
	if (!json_object_object_get_ex(o, k, &v) || !v) return "-";
	const char *s = json_object_get_string(v);
	return s && *s ? s : "-";
}

static void print_table(const char *text)
{
	json_object *o = json_tokener_parse(text);
	if (!o) return;
	printf("%s\n", str(o, "file"));
	printf("  kind      %s\n", str(o, "kind"));
	json_object *pos;
	if (json_object_object_get_ex(o, "position", &pos) && pos) {
		printf("  position  %s, %s", str(pos, "lat"), str(pos, "lon"));
		if (strcmp(str(pos, "alt"), "-")) printf("  alt %s m", str(pos, "alt"));
		printf("  (%s)\n", str(pos, "source"));
	} else {
		printf("  position  none\n");
	}
	if (strcmp(str(o, "time_source"), "-"))
		printf("  time      %s (%s, %s)\n", str(o, "time"), str(o, "time_kind"), str(o, "time_source"));
	else
		printf("  time      %s (%s)\n", str(o, "time"), str(o, "time_kind"));
	if (!strcmp(str(o, "kind"), "photo")) {
		printf("  camera    %s %s, firmware %s, serial %s\n", str(o, "make"), str(o, "model"),
		       str(o, "software"), str(o, "serial"));
		printf("  image     %s x %s, focal %s mm (35mm: %s)\n", str(o, "width"), str(o, "height"),
		       str(o, "focal_length"), str(o, "focal_length_35mm"));
		json_object *x;
		if (json_object_object_get_ex(o, "xmp", &x) && x) {
			printf("  aircraft  %s, serial %s\n", str(x, "drone_model"), str(x, "drone_serial"));
			printf("  altitude  absolute %s m, relative %s m\n", str(x, "absolute_altitude"),
			       str(x, "relative_altitude"));
			json_object *g;
			if (json_object_object_get_ex(x, "gimbal", &g) && g)
				printf("  gimbal    roll %s, yaw %s, pitch %s\n", str(g, "roll"), str(g, "yaw"), str(g, "pitch"));
			if (json_object_object_get_ex(x, "flight", &g) && g)
				printf("  flight    roll %s, yaw %s, pitch %s\n", str(g, "roll"), str(g, "yaw"), str(g, "pitch"));
			if (strcmp(str(x, "utc_at_exposure"), "-"))
				printf("  utc       %s\n", str(x, "utc_at_exposure"));
		}
	} else if (!strcmp(str(o, "kind"), "srt")) {
		printf("  cues      %s (%s with a fix, %s before a fix)\n", str(o, "cues"), str(o, "fixes"),
		       str(o, "zero_fixes"));
		printf("  formats   %s\n", str(o, "formats"));
		printf("  duration  %s ms, until %s\n", str(o, "duration_ms"), str(o, "time_end"));
		printf("  bbox      %s\n", str(o, "bbox"));
	} else if (!strcmp(str(o, "kind"), "video")) {
		printf("  video     %s %s x %s, %s ms, %s fps\n", str(o, "codec"), str(o, "width"), str(o, "height"),
		       str(o, "duration_ms"), str(o, "fps"));
		printf("  sidecar   %s\n", str(o, "sidecar"));
	} else if (!strcmp(str(o, "kind"), "flight_record")) {
		json_object *d;
		printf("  format    %s%s\n", str(o, "format_version"),
		       json_object_get_boolean(json_object_object_get_ex(o, "encrypted", &d) ? d : NULL) ? " (records encrypted)" : "");
		if (json_object_object_get_ex(o, "details", &d) && d) {
			printf("  aircraft  %s (%s), serial %s\n", str(d, "aircraft_name"), str(d, "product"), str(d, "aircraft_sn"));
			printf("  serials   camera %s, rc %s, battery %s\n", str(d, "camera_sn"), str(d, "rc_sn"), str(d, "battery_sn"));
			printf("  totals    %s s, %s m, max height %s m\n", str(d, "total_time_s"), str(d, "total_distance_m"),
			       str(d, "max_height_m"));
			printf("  app       %s %s\n", str(d, "app_platform"), str(d, "app_version"));
		}
		printf("  records   %s (%s positions), %s thumbnails\n", str(o, "records"), str(o, "fixes"), str(o, "thumbnails"));
	}
	json_object *w;
	if (json_object_object_get_ex(o, "warnings", &w) && w)
		for (size_t i = 0; i < json_object_array_length(w); i++)
			printf("  warning   %s\n", json_object_get_string(json_object_array_get_idx(w, i)));
	json_object_put(o);
}

static void inspect_one(opts *o, const char *path)
{
	if (o->track) {
		collect_one(o, path);
		return;
	}
	char *text = NULL;
	dv_inspect_opts io = { o->flags, o->has_offset, o->offset_min };
	if (o->json) { /* streamed: constant memory even with --points */
		if (dv_inspect_write(stdout, path, &io) < 0) {
			say(NULL, NULL);
			o->failed++;
		}
		return;
	}
	if (dv_inspect_json_opts(&text, path, &io) < 0) {
		say(NULL, NULL);
		o->failed++;
		return;
	}
	print_table(text);
	free(text);
}

/* "+02:00", "-0530", "+2" -> minutes; false when malformed or beyond 14 h */
static bool parse_offset(const char *s, int *out)
{
	int sign = 1, h = 0, m = 0, digits = 0;
	if (*s == '+' || *s == '-') sign = *s++ == '-' ? -1 : 1;
	else return false;
	while (*s >= '0' && *s <= '9' && digits < 2) h = h * 10 + (*s++ - '0'), digits++;
	if (!digits) return false;
	if (*s == ':') s++;
	if (*s) {
		if (!(s[0] >= '0' && s[0] <= '5' && s[1] >= '0' && s[1] <= '9' && !s[2])) return false;
		m = (s[0] - '0') * 10 + (s[1] - '0');
	}
	if (h > 14 || (h == 14 && m)) return false;
	*out = sign * (h * 60 + m);
	return true;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The directories being walked, to refuse symlink cycles. */
typedef struct ancestors {
	dev_t dev[INSPECT_DEPTH_MAX];
	ino_t ino[INSPECT_DEPTH_MAX];
	int n;
} ancestors;

static void walk_in(opts *o, const char *path, int depth, ancestors *up);

static void walk(opts *o, const char *path, int depth)
{
	ancestors up = { .n = 0 };
	walk_in(o, path, depth, &up);
}

static void walk_in(opts *o, const char *path, int depth, ancestors *up)
{
	struct stat st;
	if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode)) {
		inspect_one(o, path);
		return;
	}
	for (int a = 0; a < up->n; a++)
		if (up->dev[a] == st.st_dev && up->ino[a] == st.st_ino) {
			say(path, "directory loop (symlink to an ancestor), skipped");
			return;
		}
	if (depth >= INSPECT_DEPTH_MAX || up->n >= INSPECT_DEPTH_MAX) {
		say(path, "directories nested too deep, skipped");
		o->failed++;
		return;
	}
	DIR *d = opendir(path);
	if (!d) {
		inspect_one(o, path); /* reports why */
		return;
	}
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.') continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			char **nn = realloc(names, cap * sizeof(*nn));
			if (!nn) break;
			names = nn;
		}
		names[n] = strdup(e->d_name);
		if (names[n]) n++;
	}
	closedir(d);
	qsort(names, n, sizeof(*names), cmp_names);
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(path) + strlen(names[i]) + 2;
		char *sub = malloc(len);
		if (sub) {
			size_t pl = strlen(path);
			snprintf(sub, len, "%s%s%s", path, pl && path[pl - 1] == '/' ? "" : "/", names[i]);
			up->dev[up->n] = st.st_dev;
			up->ino[up->n] = st.st_ino;
			up->n++;
			walk_in(o, sub, depth + 1, up);
			up->n--;
			free(sub);
		}
		free(names[i]);
	}
	free(names);
}

int dv_job_inspect(int argc, char **argv)
{
	opts o = { 0 };
	int i = 1;
	for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			help(stdout);
			return DV_JOB_OK;
		} else if (!strcmp(argv[i], "--json")) {
			o.json = true;
		} else if (!strcmp(argv[i], "--points")) {
			o.flags |= DV_INSPECT_POINTS;
		} else if (!strcmp(argv[i], "--utc-offset") && i + 1 < argc) {
			if (!parse_offset(argv[++i], &o.offset_min))
				return job_usage("inspect", "bad --utc-offset '%s' (want +HH:MM, at most 14 h)", argv[i]);
			o.has_offset = true;
		} else if (!strcmp(argv[i], "--track") && i + 1 < argc) {
			if (dv_track_format_parse(&o.format, argv[++i]) < 0)
				return job_usage("inspect", "%s", dv_error_last()->message);
			o.track = true;
		} else if (!strcmp(argv[i], "--")) {
			i++;
			break;
		} else {
			return job_usage("inspect", "unknown option '%s'", argv[i]);
		}
	}
	if (i >= argc) return job_usage("inspect", "no FILE given");
	for (; i < argc; i++) {
		walk(&o, argv[i], 0);
		/* a file named on the command line must be of a kind we read (by
		 * its bytes): saying nothing about it would look like "no data" */
		struct stat st;
		if (stat(argv[i], &st) == 0 && S_ISREG(st.st_mode) && dv_media_kind_of(argv[i]) == DV_MEDIA_UNKNOWN) {
			say(argv[i], "not a kind of file dronevault reads (photo, SRT, video, DJI flight record)");
			o.failed++;
		}
	}
	if (o.track) {
		if (dv_track_write(stdout, o.format, "dronevault inspect", o.pts, o.npts) < 0)
			o.failed++;
		free(o.pts);
	}
	return o.failed ? DV_JOB_FAIL : DV_JOB_OK;
}
