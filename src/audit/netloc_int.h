/*
 * audit/netloc_int.h - where an address is: its scope (local ranges recognised
 * without any database) and, for external addresses, country, ASN, AS name
 * and anycast flag from the IPFire location database through libloc
 * (Debian libloc-database; the database's age is part of the evidence).
 */
#ifndef DV_AUDIT_NETLOC_INT_H
#define DV_AUDIT_NETLOC_INT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "dv/audit.h"

/* dv_scope, dv_place, dv_scope_name, dv_addr_scope: dv/audit.h */

typedef struct dv_netloc dv_netloc;

/* Opens the location database (path NULL: Debian's default). DV_ENOTFOUND when absent. */
int dv_netloc_open(dv_netloc **out, const char *path);
void dv_netloc_free(dv_netloc *n);
/* Database description for reports: vendor, licence, creation time. */
const char *dv_netloc_vendor(const dv_netloc *n);
const char *dv_netloc_license(const dv_netloc *n);
time_t dv_netloc_created(const dv_netloc *n);
const char *dv_netloc_path(const dv_netloc *n);

/* Fills *out: scope always; country/ASN when n is not NULL and the address is external. */
void dv_netloc_lookup(dv_netloc *n, int ipver, const uint8_t *addr, dv_place *out);

#endif
