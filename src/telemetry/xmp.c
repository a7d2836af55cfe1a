/*
 * xmp.c - DJI XMP through libxml2 in recover mode (see dv/xmp.h).
 */
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dv/err.h"
#include "telemetry/xmp_int.h"
#include "tele_int.h"

#define XMP_INPUT_MAX (4u << 20) /* a packet (with extended XMP) stays far below */
#define XMP_DEPTH_MAX 64

static const struct {
	const char *href;
	const char *ns;
} known_ns[] = {
	{ "http://www.dji.com/drone-dji/1.0/", "drone-dji" },
	{ "http://www.dji.com/drone-dji/1.0", "drone-dji" },
	{ "http://www.dji.com/FLIR/1.0/", "FLIR" },
	{ "http://www.dji.com/FLIR/1.0", "FLIR" },
	{ "http://www.dji.com", "DJI" },
	{ "http://www.dji.com/", "DJI" },
};

static const char *ns_for_href(const xmlChar *href)
{
	if (!href) return NULL;
	for (size_t i = 0; i < sizeof(known_ns) / sizeof(known_ns[0]); i++)
		if (!strcmp((const char *)href, known_ns[i].href)) return known_ns[i].ns;
	return NULL;
}

/* When recovery leaves a prefix unbound, the name keeps "prefix:". */
static const char *ns_for_prefixed(const char *name, const char **local)
{
	static const char *prefixes[] = { "drone-dji", "DJI", "FLIR" };
	const char *colon = strchr(name, ':');
	if (!colon) return NULL;
	for (size_t i = 0; i < 3; i++) {
		size_t n = strlen(prefixes[i]);
		if ((size_t)(colon - name) == n && !strncmp(name, prefixes[i], n)) {
			*local = colon + 1;
			return prefixes[i];
		}
	}
	return NULL;
}

static int add_prop(dv_xmp *x, const char *ns, const char *name, const char *value, size_t cap)
{
	if (x->n_props >= DV_XMP_MAX_PROPS) {
		x->n_dropped++;
		return 0;
	}
	/* the same property twice (duplicated declarations): keep the first */
	if (dv_xmp_get(x, ns, name)) return 0;
	if (x->n_props == cap) return DV_ENOMEM; /* cap is DV_XMP_MAX_PROPS: unreachable */
	dv_xmp_prop *p = &x->props[x->n_props];
	memset(p, 0, sizeof(*p));
	snprintf(p->ns, sizeof(p->ns), "%s", ns);
	snprintf(p->name, sizeof(p->name), "%s", name);
	size_t n = strnlen(value, DV_XMP_VALUE_MAX);
	p->value = malloc(n + 1);
	if (!p->value) return DV_ENOMEM;
	memcpy(p->value, value, n);
	p->value[n] = 0;
	/* trim surrounding white space */
	char *s = p->value;
	size_t a = 0;
	while (s[a] == ' ' || s[a] == '\n' || s[a] == '\r' || s[a] == '\t') a++;
	if (a) memmove(s, s + a, n - a + 1), n -= a;
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == '\t')) s[--n] = 0;
	x->n_props++;
	return 0;
}

/* Text of an element: its own text, or its rdf:li items joined by ", ". */
static void element_text(xmlNode *el, char *buf, size_t size, size_t *len, int depth)
{
	for (xmlNode *c = el->children; c && depth < XMP_DEPTH_MAX; c = c->next) {
		if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) && c->content) {
			const char *t = (const char *)c->content;
			bool blank = true;
			for (const char *q = t; *q; q++)
				if (*q != ' ' && *q != '\n' && *q != '\r' && *q != '\t') blank = false;
			if (blank) continue;
			size_t n = strlen(t);
			if (*len + n >= size) n = size - 1 - *len;
			memcpy(buf + *len, t, n);
			*len += n;
			buf[*len] = 0;
		} else if (c->type == XML_ELEMENT_NODE) {
			bool li = c->name && !strcmp((const char *)c->name, "li");
			if (li && *len && *len + 2 < size) {
				memcpy(buf + *len, ", ", 2);
				*len += 2;
				buf[*len] = 0;
			}
			element_text(c, buf, size, len, depth + 1);
		}
	}
}

static int walk(dv_xmp *x, xmlNode *node, int depth)
{
	for (xmlNode *n = node; n; n = n->next) {
		if (n->type != XML_ELEMENT_NODE) continue;
		if (depth > XMP_DEPTH_MAX) return 0;
		for (xmlAttr *a = n->properties; a; a = a->next) {
			const char *ns = a->ns ? ns_for_href(a->ns->href) : NULL;
			const char *local = (const char *)a->name;
			if (!a->ns) ns = ns_for_prefixed(local, &local);
			if (!ns) continue;
			xmlChar *v = xmlNodeListGetString(n->doc, a->children, 1);
			int rc = add_prop(x, ns, local, v ? (const char *)v : "", DV_XMP_MAX_PROPS);
			xmlFree(v);
			if (rc < 0) return rc;
		}
		const char *ns = n->ns ? ns_for_href(n->ns->href) : NULL;
		const char *local = (const char *)n->name;
		if (!n->ns) ns = ns_for_prefixed(local, &local);
		if (ns) {
			char buf[DV_XMP_VALUE_MAX + 1];
			size_t len = 0;
			buf[0] = 0;
			element_text(n, buf, sizeof(buf), &len, depth);
			int rc = add_prop(x, ns, local, buf, DV_XMP_MAX_PROPS);
			if (rc < 0) return rc;
		} else {
			int rc = walk(x, n->children, depth + 1);
			if (rc < 0) return rc;
		}
	}
	return 0;
}

const char *dv_xmp_get(const dv_xmp *x, const char *ns, const char *name)
{
	for (size_t i = 0; i < x->n_props; i++)
		if ((!ns || !strcmp(x->props[i].ns, ns)) && !strcasecmp(x->props[i].name, name))
			return x->props[i].value;
	return NULL;
}

/* Any of the DJI namespaces, first found. */
static double num_any(const dv_xmp *x, const char *name)
{
	const char *v = dv_xmp_get(x, NULL, name);
	double d;
	return v && dv__num_parse_str(v, &d) ? d : NAN;
}

static const char *str_any(const dv_xmp *x, const char *name)
{
	const char *v = dv_xmp_get(x, NULL, name);
	return v && *v ? v : NULL;
}

static void decode(dv_xmp *x)
{
	x->lat = num_any(x, "GpsLatitude");
	x->lon = num_any(x, "GpsLongitude");
	if (isnan(x->lon)) x->lon = num_any(x, "GpsLongtitude"); /* DJI's typo on some firmware */
	x->has_pos = isfinite(x->lat) && isfinite(x->lon) && fabs(x->lat) <= 90 &&
	             fabs(x->lon) <= 180 && !(x->lat == 0 && x->lon == 0);
	x->abs_alt = num_any(x, "AbsoluteAltitude");
	x->rel_alt = num_any(x, "RelativeAltitude");
	x->gimbal_roll = num_any(x, "GimbalRollDegree");
	x->gimbal_yaw = num_any(x, "GimbalYawDegree");
	x->gimbal_pitch = num_any(x, "GimbalPitchDegree");
	x->flight_roll = num_any(x, "FlightRollDegree");
	x->flight_yaw = num_any(x, "FlightYawDegree");
	x->flight_pitch = num_any(x, "FlightPitchDegree");
	x->speed_x = num_any(x, "FlightXSpeed");
	x->speed_y = num_any(x, "FlightYSpeed");
	x->speed_z = num_any(x, "FlightZSpeed");
	x->lrf_distance = num_any(x, "LRFTargetDistance");
	x->lrf_lat = num_any(x, "LRFTargetLat");
	x->lrf_lon = num_any(x, "LRFTargetLon");
	x->lrf_alt = num_any(x, "LRFTargetAlt");
	x->lrf_abs_alt = num_any(x, "LRFTargetAbsAlt");
	x->has_lrf_pos = isfinite(x->lrf_lat) && isfinite(x->lrf_lon) &&
	                 !(x->lrf_lat == 0 && x->lrf_lon == 0);
	x->utc_at_exposure = str_any(x, "UTCAtExposure");
	x->drone_model = str_any(x, "DroneModel");
	x->drone_serial = str_any(x, "DroneSerialNumber");
	x->camera_serial = str_any(x, "CameraSerialNumber");
	x->rtk_flag = str_any(x, "RtkFlag");
}

static void quiet(void *ctx, xmlErrorPtr e)
{
	(void)ctx;
	(void)e;
}

int dv_xmp_parse(dv_xmp *out, const void *buf, size_t len, const char *name)
{
	memset(out, 0, sizeof(*out));
	out->lat = out->lon = NAN;
	decode(out); /* every number NAN */
	if (len > XMP_INPUT_MAX) len = XMP_INPUT_MAX;
	char *copy = malloc(len + 1);
	out->props = calloc(DV_XMP_MAX_PROPS, sizeof(dv_xmp_prop));
	if (!copy || !out->props) {
		free(copy);
		free(out->props);
		out->props = NULL;
		return dv_error_set(DV_ENOMEM, name, -1, "cannot allocate xmp buffers");
	}
	memcpy(copy, buf, len);
	for (size_t i = 0; i < len; i++)
		if (copy[i] == 0) copy[i] = ' ';
	copy[len] = 0;

	int rc = 0;
	xmlParserCtxtPtr ctxt = xmlNewParserCtxt();
	if (!ctxt) {
		free(copy);
		return dv_error_set(DV_ENOMEM, name, -1, "cannot allocate xml parser");
	}
	xmlSetStructuredErrorFunc(NULL, quiet);
	xmlDocPtr doc = xmlCtxtReadMemory(ctxt, copy, (int)len, "xmp.xml", NULL,
	                                  XML_PARSE_RECOVER | XML_PARSE_NONET | XML_PARSE_NOERROR |
	                                  XML_PARSE_NOWARNING | XML_PARSE_NOCDATA);
	out->recovered = !ctxt->wellFormed;
	xmlSetStructuredErrorFunc(NULL, NULL);
	xmlNode *root = doc ? xmlDocGetRootElement(doc) : NULL;
	if (!root) {
		rc = dv_error_set(DV_EINVAL, name, -1, "xmp packet has no readable XML element");
	} else {
		rc = walk(out, root, 0);
		if (rc < 0) dv_error_set(rc, name, -1, "cannot store xmp properties");
	}
	decode(out);
	if (doc) xmlFreeDoc(doc);
	xmlFreeParserCtxt(ctxt);
	free(copy);
	return rc;
}

void dv_xmp_dispose(dv_xmp *x)
{
	if (!x) return;
	for (size_t i = 0; i < x->n_props; i++) free(x->props[i].value);
	free(x->props);
	memset(x, 0, sizeof(*x));
}
