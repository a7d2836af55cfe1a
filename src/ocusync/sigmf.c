/*
 * ocusync/sigmf.c - SigMF metadata and IQ sample formats.
 *
 * The metadata is hostile input like any other: at most OS_META_MAX bytes,
 * parsed by json-c with a depth limit, only the keys we use read, each
 * checked for its type and range.
 */
#include <complex.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>
#include <math.h>
#include <string.h>

#include "dv/err.h"
#include "ocusync/sigmf_int.h"

os_iq_fmt os_iq_format(const char *s)
{
	if (!s) return OS_IQ_NONE;
	if (!strcmp(s, "cf32") || !strcmp(s, "cf32_le")) return OS_IQ_CF32;
	if (!strcmp(s, "ci16") || !strcmp(s, "ci16_le")) return OS_IQ_CI16;
	if (!strcmp(s, "cu8") || !strcmp(s, "cu8_le")) return OS_IQ_CU8;
	if (!strcmp(s, "ci8") || !strcmp(s, "ci8_le")) return OS_IQ_CI8;
	return OS_IQ_NONE;
}

size_t os_iq_size(os_iq_fmt f)
{
	switch (f) {
	case OS_IQ_CF32: return 8;
	case OS_IQ_CI16: return 4;
	case OS_IQ_CU8:
	case OS_IQ_CI8: return 2;
	default: return 0;
	}
}

void os_iq_convert(float complex *out, const uint8_t *in, size_t n, os_iq_fmt f, uint64_t *bad, uint64_t *clipped)
{
	for (size_t i = 0; i < n; i++) {
		float re = 0, im = 0;
		switch (f) {
		case OS_IQ_CF32: {
			memcpy(&re, in + 8 * i, 4);
			memcpy(&im, in + 8 * i + 4, 4);
			if (!isfinite(re) || !isfinite(im) || fabsf(re) > 1e18f || fabsf(im) > 1e18f) {
				re = im = 0;
				(*bad)++;
			}
			break;
		}
		case OS_IQ_CI16: {
			int16_t a = (int16_t)(in[4 * i] | in[4 * i + 1] << 8), b = (int16_t)(in[4 * i + 2] | in[4 * i + 3] << 8);
			if (a == INT16_MIN || a == INT16_MAX || b == INT16_MIN || b == INT16_MAX) (*clipped)++;
			re = a / 32768.0f, im = b / 32768.0f;
			break;
		}
		case OS_IQ_CU8: {
			uint8_t a = in[2 * i], b = in[2 * i + 1];
			if (a == 0 || a == 255 || b == 0 || b == 255) (*clipped)++;
			re = (a - 127.5f) / 127.5f, im = (b - 127.5f) / 127.5f;
			break;
		}
		case OS_IQ_CI8: {
			int8_t a = (int8_t)in[2 * i], b = (int8_t)in[2 * i + 1];
			if (a == INT8_MIN || a == INT8_MAX || b == INT8_MIN || b == INT8_MAX) (*clipped)++;
			re = a / 128.0f, im = b / 128.0f;
			break;
		}
		default: break;
		}
		out[i] = re + I * im;
	}
}

static bool get_num(json_object *o, const char *k, double *out)
{
	json_object *v;
	if (!json_object_object_get_ex(o, k, &v)) return false;
	if (!json_object_is_type(v, json_type_int) && !json_object_is_type(v, json_type_double)) return false;
	*out = json_object_get_double(v);
	return isfinite(*out);
}

/* largest sample index the captures and annotations reach */
static uint64_t reach(json_object *arr)
{
	uint64_t m = 0;
	if (!arr || !json_object_is_type(arr, json_type_array)) return 0;
	size_t n = json_object_array_length(arr);
	for (size_t i = 0; i < n && i < 100000; i++) {
		json_object *e = json_object_array_get_idx(arr, i);
		double s = 0, c = 0;
		if (!json_object_is_type(e, json_type_object) || !get_num(e, "core:sample_start", &s) || s < 0 || s > 1e18)
			continue;
		if (!get_num(e, "core:sample_count", &c) || c < 0 || c > 1e18) c = 0;
		uint64_t r = (uint64_t)s + (uint64_t)c;
		if (r > m) m = r;
	}
	return m;
}

int os_sigmf_parse(os_sigmf *out, const char *buf, size_t len, const char *name)
{
	memset(out, 0, sizeof(*out));
	if (len > OS_META_MAX) return dv_error_set(DV_ENOMEM, name, -1, "SigMF metadata larger than %u bytes", OS_META_MAX);
	json_tokener *tok = json_tokener_new_ex(32);
	if (!tok) return dv_error_set(DV_ENOMEM, name, -1, "out of memory");
	json_object *root = json_tokener_parse_ex(tok, buf, (int)len);
	enum json_tokener_error jerr = json_tokener_get_error(tok);
	size_t used = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (!root || jerr != json_tokener_success) {
		json_object_put(root);
		return dv_error_set(DV_EINVAL, name, (int64_t)used, "not valid JSON (%s)", json_tokener_error_desc(jerr));
	}
	int rc = 0;
	json_object *g, *v;
	if (!json_object_is_type(root, json_type_object) || !json_object_object_get_ex(root, "global", &g) ||
	    !json_object_is_type(g, json_type_object)) {
		rc = dv_error_set(DV_EINVAL, name, -1, "no SigMF \"global\" object");
		goto done;
	}
	if (!json_object_object_get_ex(g, "core:datatype", &v) || !json_object_is_type(v, json_type_string)) {
		rc = dv_error_set(DV_EINVAL, name, -1, "SigMF core:datatype missing");
		goto done;
	}
	const char *dt = json_object_get_string(v);
	out->fmt = os_iq_format(dt);
	snprintf(out->datatype, sizeof(out->datatype), "%.15s", dt);
	if (out->fmt == OS_IQ_NONE) {
		rc = dv_error_set(DV_EUNSUPPORTED, name, -1, "SigMF datatype \"%.40s\" not supported (cf32_le, ci16_le, cu8, ci8)", dt);
		goto done;
	}
	double sr = 0;
	if (json_object_object_get_ex(g, "core:sample_rate", &v)) {
		if (!get_num(g, "core:sample_rate", &sr) || sr <= 0 || sr > 1e12) {
			rc = dv_error_set(DV_EINVAL, name, -1, "SigMF core:sample_rate is not a positive number");
			goto done;
		}
		out->sample_rate = sr;
	}
	if (json_object_object_get_ex(g, "core:dataset", &v)) {
		const char *ds = json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
		if (!ds || !*ds || strchr(ds, '/') || !strcmp(ds, ".") || !strcmp(ds, "..") ||
		    strlen(ds) >= sizeof(out->dataset)) {
			rc = dv_error_set(DV_EINVAL, name, -1, "SigMF core:dataset must be a file name beside the metadata");
			goto done;
		}
		snprintf(out->dataset, sizeof(out->dataset), "%s", ds);
	}
	json_object *caps = NULL, *ann = NULL;
	json_object_object_get_ex(root, "captures", &caps);
	json_object_object_get_ex(root, "annotations", &ann);
	if (caps && json_object_is_type(caps, json_type_array) && json_object_array_length(caps) > 0) {
		json_object *c0 = json_object_array_get_idx(caps, 0);
		double f = 0;
		if (json_object_is_type(c0, json_type_object) && get_num(c0, "core:frequency", &f) && f > 0 && f < 1e12)
			out->center_freq = f;
	}
	uint64_t a = reach(caps), b = reach(ann);
	out->declared = a > b ? a : b;
done:
	json_object_put(root);
	return rc;
}
