/*
 * dv/transfer.h - one vault's evidence into another: `dronevault migrate`
 * (a laptop vault into a central PostgreSQL + S3 one) and `dronevault sync`
 * (an offline station's local vault pushed to the central one later).
 *
 * What moves is every complete ingest of every case: its ingest row, its
 * file rows, its derived telemetry rows, and each file's content, read
 * from the source vault (decrypted, every chunk authenticated, SHA-256
 * checked against the file row) and stored again in the destination
 * (encrypted under the destination's own keys: the two vaults need not
 * share a master key; an S3 store reads each object back). Before the
 * destination acknowledges an ingest (its "ingest" custody entry, with
 * which the ingest is marked complete) it checks:
 *   - the source's custody log: every entry's signature, chain and body
 *     (any problem refuses the whole transfer, nothing is written);
 *   - that the source catalog still holds exactly what the source's signed
 *     "ingest" entry recorded (its manifest digest and telemetry digest);
 *   - that the destination's copy has that same manifest digest and the
 *     same telemetry rows, byte for byte.
 * The destination's entries carry the source's word: a "from" object with
 * the source vault's id, station, public key, ingest id, and the seq and
 * hash of the source entry that completed it (and its case head), so a
 * court can hold the copy against the laptop's own log.
 *
 * Resumable: a transferred ingest is found again by a "from" of the
 * destination's log; an interrupted one is open in the destination under a
 * source tag of its own and goes on where it stopped (files it holds are
 * not sent again). A re-run after everything arrived sends nothing and
 * checks every ingest again (present, complete, same manifest).
 *
 * At the end each side logs what happened: the destination an entry of
 * action `action_in` (no case: the station's chain) naming the source and
 * its log head, the source `action_out` naming the destination and its
 * head. Open (unfinished) ingests of the source are left out and counted.
 */
#ifndef DV_TRANSFER_H
#define DV_TRANSFER_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "dv/vault.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct dv_transfer_progress {
	const char *case_name;
	const char *path;          /* file being sent, or NULL */
	uint64_t ingests_done, ingests_total;
	uint64_t bytes_done, bytes_total;
} dv_transfer_progress;

typedef struct dv_transfer_opts {
	const char *operator_name;
	const char *action_in;     /* the destination's summary entry: "vault.migrate" or "sync" */
	const char *action_out;    /* the source's: "vault.migrated" or "sync.pushed" */
	void (*progress)(const dv_transfer_progress *p, void *payload);
	void *payload;
	volatile sig_atomic_t *interrupted;
} dv_transfer_opts;

typedef struct dv_transfer_result {
	uint64_t cases;
	uint64_t ingests_total;    /* complete ingests of the source */
	uint64_t ingests_sent;     /* transferred (or finished) by this run */
	uint64_t ingests_resumed;  /* of those, ones an earlier run had begun */
	uint64_t ingests_present;  /* already in the destination, checked again */
	uint64_t ingests_open;     /* unfinished in the source: not sent */
	uint64_t files_sent;       /* file rows recorded in the destination */
	uint64_t files_dedup;      /* of those, content the destination held already (not sent) */
	uint64_t bytes_sent;       /* content sent: the others' bytes */
	uint64_t src_head_seq, dst_head_seq;
	uint8_t src_head[32], dst_head[32];
	uint64_t dst_log_seq;      /* the destination's summary entry */
	double seconds;
} dv_transfer_result;

/*
 * Both vaults open for writing (dst and src distinct vaults). Returns 0
 * when every complete ingest of src is in dst and checked; an error
 * (naming the case, ingest and file) otherwise, with what was sent kept.
 */
int dv_vault_transfer(dv_vault *dst, dv_vault *src, const dv_transfer_opts *opts, dv_transfer_result *res);

/*
 * verify --witness: holds a station's own vault (an offline station, a
 * laptop once migrated) to what the central vault witnessed of it at its
 * last push (the head its vault.migrate / sync entry recorded). 0 when its
 * log still holds that head, or nothing was witnessed (*witnessed_seq 0);
 * DV_ECORRUPT naming the rollback otherwise. Either vault may be a reader.
 */
int dv_transfer_witness_check(dv_vault *central, dv_vault *station, uint64_t *witnessed_seq, uint8_t witnessed[32]);

#ifdef __cplusplus
}
#endif

#endif
