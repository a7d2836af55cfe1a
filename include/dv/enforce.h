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
#include <stdint.h>

#include "dv/audit.h"
#include "dv/capture.h"

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


/* ---- the live watch (watch.c: the engine, in the sandboxed reader;
 * live.c: the capture, in the privileged parent) ---- */

struct dv_radio_report;

/* One alarm: what, how bad, and when the packet that caused it was captured. */
typedef struct dv_watch_alarm {
	int64_t packet_ts_ns;   /* the kernel's capture time of the first packet */
	int64_t detect_ts_ns;   /* wall clock when the engine saw it */
	char category[16];      /* maker, known, unknown, dns-maker, content, code, drops, remote-id */
	char severity[12];      /* info, warning, alarm, critical (policy: severity CAT LEVEL) */
	char addr[64];          /* destination address, "" */
	char name[256];         /* host name, DNS question, aircraft id, "" */
	char text[768];         /* one line for people */
} dv_watch_alarm;

typedef struct dv_watch dv_watch;

/* The engine for frames of one link type; label names the interface in
 * warnings. o as for dv_audit_new (its policy also gives the severities). */
int dv_watch_new(dv_watch **out, const dv_audit_opts *o, int linktype, const char *label);
void dv_watch_free(dv_watch *w);
/* One frame (its number is assigned here). */
void dv_watch_frame(dv_watch *w, const dv_frame *fr);
/* Bytes of a record stream (dv/capture.h framing), in any pieces; a record
 * over DV_CAPTURE_MAX_FRAME is DV_EINVAL (the stream is then unusable). */
int dv_watch_feed(dv_watch *w, const uint8_t *p, size_t n);
/* A snapshot of the audit and the alarms new since the last poll
 * (borrowed until the next poll). */
int dv_watch_poll(dv_watch *w, const dv_watch_alarm **alarms, size_t *n);
/* After the last frame: the audit's final results (dv_watch_audit). */
int dv_watch_finish(dv_watch *w);
dv_audit *dv_watch_audit(dv_watch *w);
/* Remote ID seen on a radio link type, or NULL. */
struct dv_radio_report *dv_watch_radio(dv_watch *w);
void dv_watch_counts(const dv_watch *w, uint64_t *frames, uint64_t *bytes, uint64_t *alarms);

/* A live capture (libpcap): opened by the privileged parent, which keeps it. */
typedef struct dv_live dv_live;
typedef struct dv_live_stats {
	uint64_t received, dropped, if_dropped;  /* pcap_stats: kernel counters */
} dv_live_stats;

/*
 * Opens iface for capture: pcap_create, snaplen 65535, a capture buffer of
 * buffer_bytes (0: 64 MiB), promiscuous; packets are handed over within
 * 10 ms (blocks), or each at once with immediate (pcap immediate mode:
 * one ring slot per packet, so bursts overflow sooner). Errors:
 * DV_ENOTFOUND (no such interface), DV_EPERM (no permission to capture),
 * DV_EINVAL (interface down, or another pcap error), naming iface.
 */
int dv_live_open(dv_live **out, const char *iface, size_t buffer_bytes, int immediate);
/* The same frame source over a capture file (tests, training: a savefile fed
 * through the live code). */
int dv_live_open_file(dv_live **out, const char *path);
int dv_live_linktype(const dv_live *l);
/* The descriptor to poll for frames; -1 for a file source (always ready). */
int dv_live_fd(const dv_live *l);
/*
 * Waits up to timeout_ms (0: does not wait) for frames and hands each to fn (return non-zero
 * to stop). Returns frames handed, 0 on timeout, DV_EINTR... < 0 on error;
 * *eof set at the end of a file source.
 */
int dv_live_dispatch(dv_live *l, int timeout_ms, int (*fn)(void *ctx, const dv_frame *fr), void *ctx, int *eof);
/* Kernel counters (0 for a file). */
int dv_live_get_stats(dv_live *l, dv_live_stats *out);
void dv_live_close(dv_live *l);

#ifdef __cplusplus
}
#endif
#endif
