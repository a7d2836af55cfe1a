/*
 * dv/enforce.h - keeping the drone segment off the Internet (docs/enforce.md):
 * the policy file shared by audit, watch and lockdown, checked with every
 * error's line and column; lockdown rules for the hotspot or gateway that
 * serves the drone segment (nftables, dnsmasq, unbound, hosts), generated as
 * text an administrator reviews and loads.
 *
 *     dv_policy_problem *pp; size_t n, total;
 *     dv_policy_check(&pp, &n, &total, "agency.policy");   // n kept of total found
 *
 *     char *rules;
 *     dv_lockdown_opts o = { .policy_path = NULL, .format = DV_LOCKDOWN_NFT };
 *     dv_lockdown_generate(&rules, &o);                      // malloc'd text
 *     dv_lockdown_nft(rules, DV_NFT_CHECK);                  // nft -c -f
 */
#ifndef DV_ENFORCE_H
#define DV_ENFORCE_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* One error of a policy file: 1-based line and column (bytes). */
typedef struct dv_policy_problem {
	size_t line, col;
	char msg[160];
} dv_policy_problem;

/*
 * Reads and checks the policy file at path, every line. *out (malloc'd,
 * caller frees; NULL when none) holds the first *n of *total problems.
 * Returns 0 when the file could be read (problems or not), else an error
 * (DV_ENOTFOUND, DV_EIO, DV_ENOMEM over 4 MiB).
 */
int dv_policy_check(dv_policy_problem **out, size_t *n, size_t *total, const char *path);

typedef enum dv_lockdown_format {
	DV_LOCKDOWN_NFT = 0,    /* an nftables ruleset (inet table "dronevault") */
	DV_LOCKDOWN_DNSMASQ,    /* dnsmasq configuration lines (address=/.../) */
	DV_LOCKDOWN_UNBOUND,    /* unbound server: local-zone lines */
	DV_LOCKDOWN_HOSTS       /* /etc/hosts lines (no wildcards: warned) */
} dv_lockdown_format;

/* "nft", "dnsmasq", ... ; parse: -1 when unknown. */
const char *dv_lockdown_format_name(dv_lockdown_format f);
int dv_lockdown_format_parse(const char *s);

typedef struct dv_lockdown_opts {
	const char *policy_path;    /* NULL: the built-in policy (nothing external allowed) */
	dv_lockdown_format format;
	const char *resolver;       /* the one DNS resolver the segment may use; NULL: policy's, else the gateway */
	const char *sinkhole;       /* DNS formats: NULL/"nxdomain" or an IPv4 address (0.0.0.0); hosts: 0.0.0.0 */
	int third_party;            /* 1: also sinkhole the third-party SDK endpoints of the maker's apps */
	const char *endpoints_path; /* more endpoints (data/endpoints.tsv format) */
} dv_lockdown_opts;

/*
 * The rules as text (*out malloc'd, NUL-terminated). *warnings (may be
 * NULL; malloc'd or NULL) says what the format cannot express (hosts:
 * wildcards; nft: names, countries and ASNs of the policy). Errors: the
 * policy's first problem (line, column), a bad resolver or sinkhole.
 */
int dv_lockdown_generate(char **out, char **warnings, const dv_lockdown_opts *o);

enum { DV_NFT_CHECK = 0, DV_NFT_APPLY = 1 };
/*
 * Runs the nft tool on ruleset text: DV_NFT_CHECK is `nft -c -f`, DV_NFT_APPLY
 * checks first and loads only when the check passed. nft's messages go to
 * *diag (malloc'd, may be NULL). DV_ENOTFOUND when nft is not installed,
 * DV_EINVAL when it refuses the rules, DV_EPERM when it may not load them.
 */
int dv_lockdown_nft(char **diag, const char *rules, int mode);

#ifdef __cplusplus
}
#endif
#endif
