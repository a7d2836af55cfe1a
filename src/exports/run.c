/*
 * dv_exports_run: one package of a case (ODM, COLMAP or court) with its
 * custody entries around it.
 */
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "dv/custody_actions.h"
#include "dv/err.h"
#include "dv/util.h"
#include "exports/exports_int.h"
#include "exports/write_int.h"

static const char *kind_name(dv_exports_kind k)
{
	return k == DV_EXPORTS_ODM ? "odm" : k == DV_EXPORTS_COLMAP ? "colmap" : "court";
}

static void common(json_object *b, const char *action, const dv_exports_opts *o, const char *dest)
{
	json_object_object_add(b, "action", json_object_new_string(action));
	json_object_object_add(b, "case", json_object_new_string(o->case_name));
	json_object_object_add(b, "operator", json_object_new_string(o->operator_name ? o->operator_name : ""));
	json_object_object_add(b, "destination", json_object_new_string(dest));
	json_object_object_add(b, "for", json_object_new_string(kind_name(o->kind)));
	/* LOG: "head the export was made from" goes here (issue 11) */
}

int dv_exports_run(dv_exports_result *res, dv_vault *v, const dv_exports_opts *o)
{
	memset(res, 0, sizeof(*res));
	if (!o->case_name || !o->dest) return dv_error_set(DV_EINVAL, NULL, -1, "a case and a destination are needed");
	if (o->kind != DV_EXPORTS_ODM && o->kind != DV_EXPORTS_COLMAP && o->kind != DV_EXPORTS_COURT)
		return dv_error_set(DV_EINVAL, NULL, -1, "unknown export kind");
	dv_xphoto *p = NULL;
	size_t n = 0;
	/* the court gets every file; its selection is the whole case */
	dv_exports_select none = { 0 };
	int rc = dv_xphotos_load(&p, &n, v, o->case_name, o->kind == DV_EXPORTS_COURT ? &none : &o->sel);
	if (rc < 0) return rc;
	if (o->kind != DV_EXPORTS_COURT && n == 0) {
		free(p);
		return dv_error_set(DV_ENOTFOUND, NULL, -1, "case %s has no photos matching the selection", o->case_name);
	}
	char *abs = realpath(o->dest, NULL);
	dv_xpkg pkg;
	bool started = false;
	if ((rc = dv_xpkg_open(&pkg, v, o->dest)) < 0) goto out;
	if (!abs) abs = realpath(o->dest, NULL);
	const char *dest = abs ? abs : o->dest;
	json_object *b = json_object_new_object();
	common(b, DV_ACTION_EXPORT_START, o, dest);
	json_object_object_add(b, "photos", json_object_new_int64((int64_t)n));
	json_object_object_add(b, "partial", json_object_new_string(pkg.partial));
	rc = dv_vault_log(v, b, &res->start_seq);
	json_object_put(b);
	if (rc < 0) goto out;
	started = true;
	switch (o->kind) {
	case DV_EXPORTS_ODM: rc = dv_xwrite_odm(&pkg, p, n, &res->photos, &res->gaps); break;
	case DV_EXPORTS_COLMAP: rc = dv_xwrite_colmap(&pkg, p, n, &res->photos, &res->gaps); break;
	default: {
		dv_xcourt_info info = { o->case_name, o->operator_name ? o->operator_name : "",
		                        o->tool_version ? o->tool_version : "unknown", NULL, !o->no_pdf, !o->no_coverage, dv_now_ns(), false, 0 };
		info.basemap = o->basemap ? o->basemap : getenv("DV_WORLD_ATLAS") ? getenv("DV_WORLD_ATLAS") : DV_WORLD_ATLAS_DEFAULT;
		rc = dv_xwrite_court(&pkg, v, &info, p, n, &res->gaps);
		res->pdf = info.pdf_done;
		res->pdf_seconds = info.pdf_seconds;
		break;
	}
	}
	if (rc < 0) goto out;
	if ((rc = dv_xpkg_finish(&pkg, o->case_name, res->package_sha256)) < 0) goto out;
	res->files = pkg.files;
	res->bytes = pkg.bytes;
	snprintf(res->package, sizeof(res->package), "%s", pkg.final_path);
	char hex[65];
	dv_hex(hex, res->package_sha256, 32);
	b = json_object_new_object();
	common(b, DV_ACTION_EXPORT, o, dest);
	json_object_object_add(b, "start_entry", json_object_new_int64((int64_t)res->start_seq));
	json_object_object_add(b, "package", json_object_new_string(pkg.final_path));
	json_object_object_add(b, "files", json_object_new_int64((int64_t)res->files));
	json_object_object_add(b, "bytes", json_object_new_int64((int64_t)res->bytes));
	json_object_object_add(b, "package_sha256", json_object_new_string(hex));
	json_object_object_add(b, "sha256sums_sha256", json_object_new_string(hex));
	json_object_object_add(b, "gaps", json_object_new_int64((int64_t)res->gaps));
	rc = dv_vault_log(v, b, &res->log_seq);
	json_object_put(b);
	started = false;
out:
	if (rc < 0 && started) {
		dv_error saved = *dv_error_last();
		json_object *x = json_object_new_object();
		common(x, DV_ACTION_EXPORT_INCOMPLETE, o, abs ? abs : o->dest);
		json_object_object_add(x, "start_entry", json_object_new_int64((int64_t)res->start_seq));
		json_object_object_add(x, "files_written", json_object_new_int64((int64_t)pkg.files));
		json_object_object_add(x, "partial", json_object_new_string(pkg.partial));
		json_object_object_add(x, "error", json_object_new_string(dv_error_text()));
		(void)dv_vault_log(v, x, NULL);
		json_object_put(x);
		dv_error_set(saved.code, saved.path[0] ? saved.path : NULL, saved.offset, "%s", saved.message);
	}
	dv_xpkg_close(&pkg);
	free(abs);
	free(p);
	return rc;
}
