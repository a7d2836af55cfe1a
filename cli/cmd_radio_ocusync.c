/*
 * dronevault radio on SDR recordings: OcuSync DroneID (dv/ocusync.h).
 * Runs where cmd_radio runs the pcap path: in the sandboxed reader; with
 * --geojson or --case the GeoJSON and the question go to the parent
 * (cli_radio_io_question), whose radio_ask stores the files and compares
 * the broadcast pilot positions with the case's own flights.
 */
#include <json-c/json.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "dv/err.h"
#include "dv/ocusync.h"
#include "dv/util.h"

static int parse_hz(const char *s, double *out)
{
	char *end;
	if (!s) return 0;
	*out = strtod(s, &end);
	return *end == 0 && isfinite(*out) && *out > 0 ? 0 : -1;
}

/* The question in the layout of the Remote ID one: aircraft by serial,
 * the pilot positions as "operators". */
static json_object *question(const dv_ocusync_result *const *r, size_t n, bool ok)
{
	json_object *d = json_object_new_object(), *ac = json_object_new_array(), *ops = json_object_new_array();
	size_t bad = 0, nac = 0;
	for (size_t i = 0; i < n; i++) {
		bad += r[i]->crc_bad;
		for (size_t k = 0; k < r[i]->nframes; k++) {
			const dv_ocusync_frame *f = &r[i]->frames[k];
			if (!f->decoded || f->pkt_len != 88) continue;
			json_object *found = NULL;
			for (size_t a = 0; a < json_object_array_length(ac); a++) {
				json_object *o = json_object_array_get_idx(ac, a), *t;
				if (json_object_object_get_ex(o, "transmitter", &t) && !strcmp(json_object_get_string(t), f->serial))
					found = o;
			}
			if (!found && nac < 32) {
				found = json_object_new_object();
				json_object *ids = json_object_new_array();
				json_object_array_add(ids, json_object_new_string(f->serial));
				json_object_object_add(found, "transmitter", json_object_new_string(f->serial));
				json_object_object_add(found, "uas_ids", ids);
				json_object_object_add(found, "operator_positions", json_object_new_int64(0));
				json_object_object_add(found, "track_points", json_object_new_int64(0));
				json_object_array_add(ac, found);
				nac++;
			}
			if (!found) continue;
			json_object *t;
			json_object_object_get_ex(found, "track_points", &t);
			json_object_set_int64(t, json_object_get_int64(t) + 1);
			if ((f->app_lat != 0 || f->app_lon != 0) && fabs(f->app_lat) <= 90 && fabs(f->app_lon) <= 180 &&
			    json_object_array_length(ops) < 100000) {
				json_object_object_get_ex(found, "operator_positions", &t);
				json_object_set_int64(t, json_object_get_int64(t) + 1);
				json_object *o = json_object_new_object();
				json_object_object_add(o, "transmitter", json_object_new_string(f->serial));
				json_object_object_add(o, "lat", json_object_new_double(f->app_lat));
				json_object_object_add(o, "lon", json_object_new_double(f->app_lon));
				json_object_array_add(ops, o);
			}
		}
	}
	json_object_object_add(d, "broadcast", json_object_new_string("ocusync-droneid"));
	json_object_object_add(d, "remote_id_aircraft", json_object_new_int64((int64_t)nac));
	json_object_object_add(d, "aircraft", ac);
	json_object_object_add(d, "crc_bad_frames", json_object_new_int64((int64_t)bad));
	json_object *q = json_object_new_object();
	json_object_object_add(q, "ok", json_object_new_boolean(ok));
	json_object_object_add(q, "detail", d);
	json_object_object_add(q, "operators", ops);
	/* the sample files read, by name: core:dataset may name one the parent
	 * cannot guess from the metadata's name (it does not parse it) */
	json_object *ds = json_object_new_array();
	for (size_t i = 0; i < n; i++) {
		const char *b = strrchr(r[i]->data_path, '/');
		json_object_array_add(ds, json_object_new_string(b ? b + 1 : r[i]->data_path));
	}
	json_object_object_add(q, "datasets", ds);
	return q;
}

int cli_radio_sdr(const cli_sdr_args *a, int n, char **paths)
{
	dv_ocusync_opts o = { .iq_format = a->iq_format };
	if (parse_hz(a->rate, &o.sample_rate) < 0) return cli_usage("radio", "--sample-rate needs a frequency in Hz");
	if (parse_hz(a->freq, &o.center_freq) < 0) return cli_usage("radio", "--center-freq needs a frequency in Hz");
	dv_ocusync_result **r = calloc((size_t)n, sizeof(*r));
	if (!r) return cli_usage("radio", "out of memory");
	size_t nr = 0;
	int rc = CLI_OK;
	for (int i = 0; i < n; i++) {
		if (dv_ocusync_decode(&r[nr], paths[i], &o) < 0) {
			fprintf(stderr, "dronevault radio: %s\n", cli_esc(dv_error_text()));
			rc = CLI_FAIL;
			continue;
		}
		nr++;
	}
	const dv_ocusync_result *const *rr = (const dv_ocusync_result *const *)r;
	bool found = false;
	for (size_t i = 0; i < nr; i++) found |= r[i]->nframes > 0;
	char *s = NULL;
	if (a->json) {
		if (dv_ocusync_json(&s, rr, nr) < 0) rc = cli_fail("radio");
		else printf("%s\n", s);
		free(s);
		s = NULL;
	} else {
		dv_ocusync_print(rr, nr, stdout);
	}
	if (a->reader_io) {
		if (a->reader_geojson && dv_ocusync_geojson(&s, rr, nr) < 0) rc = cli_fail("radio");
		int irc = cli_radio_io_question(question(rr, nr, rc == CLI_OK), s, n);
		if (irc != CLI_OK && rc == CLI_OK) rc = irc;
	} else if (a->geojson) {
		if (dv_ocusync_geojson(&s, rr, nr) < 0 || dv_write_file_atomic(a->geojson, s, strlen(s), 0644) < 0)
			rc = cli_fail("radio");
	}
	free(s);
	for (size_t i = 0; i < nr; i++) dv_ocusync_result_free(r[i]);
	free(r);
	if (rc != CLI_OK) return rc;
	return found ? CLI_FINDING : CLI_OK;
}

static bool is_file(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

char **cli_radio_sdr_files(int n, char **paths)
{
	static const char *const ext[] = { ".sigmf-meta", ".sigmf-data", ".cf32", ".ci16", ".cu8", ".ci8" };
	size_t cap = (size_t)n * 6 + 1, k = 0;
	char **out = calloc(cap, sizeof(*out));
	if (!out) return NULL;
	for (int i = 0; i < n; i++) {
		size_t len = strlen(paths[i]);
		if (!dv_ocusync_is_sigmf(paths[i])) {
			out[k++] = strdup(paths[i]);
			continue;
		}
		for (size_t e = 0; e < sizeof(ext) / sizeof(ext[0]); e++) {
			char *p = malloc(len + 16);
			if (!p) continue;
			snprintf(p, len + 16, "%.*s%s", (int)(len - 11), paths[i], ext[e]);
			bool dup = false;
			for (size_t j = 0; j < k; j++) dup |= out[j] && !strcmp(out[j], p);
			if (!dup && is_file(p)) out[k++] = p;
			else free(p);
		}
	}
	return out;
}

void cli_radio_sdr_files_free(char **files)
{
	for (size_t i = 0; files && files[i]; i++) free(files[i]);
	free(files);
}

/*
 * files, plus the sample files the reader says it read (a SigMF
 * core:dataset of another name than REC.sigmf-data): only a plain file name
 * (no '/', no leading '.', printable, at most 255 bytes), looked for beside
 * each .sigmf-meta given, a regular file, not listed yet. The reader's word
 * is untrusted: at worst it names another file of that directory, which
 * is then stored (and listed) as evidence too.
 */
char **cli_radio_sdr_with_datasets(const char *const *files, size_t n, json_object *datasets)
{
	size_t nd = datasets && json_object_is_type(datasets, json_type_array) ? json_object_array_length(datasets) : 0;
	if (nd > 64) nd = 64;
	char **out = calloc(n + nd * n + 1, sizeof(*out));
	if (!out) return NULL;
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (!(out[k++] = strdup(files[i]))) goto fail;
	for (size_t d = 0; d < nd; d++) {
		json_object *o = json_object_array_get_idx(datasets, d);
		const char *name = json_object_is_type(o, json_type_string) ? json_object_get_string(o) : NULL;
		size_t nl = name ? strlen(name) : 0;
		bool ok = nl > 0 && nl <= 255 && name[0] != '.';
		for (size_t c = 0; ok && c < nl; c++) ok = (unsigned char)name[c] >= 0x20 && name[c] != 0x7f && name[c] != '/';
		if (!ok) continue;
		for (size_t i = 0; i < n; i++) {
			if (!dv_ocusync_is_sigmf(files[i])) continue;
			const char *slash = strrchr(files[i], '/');
			int dl = slash ? (int)(slash - files[i] + 1) : 0;
			size_t len = (size_t)dl + nl + 1;
			char *p = malloc(len);
			if (!p) goto fail;
			snprintf(p, len, "%.*s%s", dl, files[i], name);
			bool dup = false;
			for (size_t j = 0; j < k; j++) dup |= !strcmp(out[j], p);
			if (!dup && is_file(p)) out[k++] = p;
			else free(p);
		}
	}
	return out;
fail:
	cli_radio_sdr_files_free(out);
	return NULL;
}
