/*
 * dv/custody_actions.h - every action a custody log entry can record, as
 * constants: write and compare these, never a string literal. The fields
 * each one carries are tabled in docs/design.md ("Custody actions"); every
 * body also has seq, time and station (dv_vault_log adds them).
 */
#ifndef DV_CUSTODY_ACTIONS_H
#define DV_CUSTODY_ACTIONS_H

#define DV_ACTION_VAULT_INIT "vault.init"                 /* the vault was created (entry 1) */
#define DV_ACTION_VAULT_CONFIG "vault.config"             /* vault.json got its MAC (a vault made before it had one) */
#define DV_ACTION_CONFIG_SET "config.set"                 /* a setting of vault.json changed (dronevault config) */
#define DV_ACTION_INGEST_START "ingest.start"             /* an acquisition began */
#define DV_ACTION_INGEST_RESUME "ingest.resume"           /* an open acquisition went on */
#define DV_ACTION_INGEST "ingest"                         /* an acquisition completed */
#define DV_ACTION_INGEST_INCOMPLETE "ingest.incomplete"   /* files could not be read; it stays open */
#define DV_ACTION_INGEST_INTERRUPTED "ingest.interrupted" /* stopped by Ctrl-C or a signal */
#define DV_ACTION_INGEST_FAILED "ingest.failed"           /* the vault side stopped it (disk full, ...) */
#define DV_ACTION_WIPE "wipe"                             /* a source wiped after a verified acquisition */
#define DV_ACTION_EXPORT_START "export.start"             /* an export began (before any byte left) */
#define DV_ACTION_EXPORT "export"                         /* a case was written out */
#define DV_ACTION_EXPORT_INCOMPLETE "export.incomplete"   /* an export failed after its start */
#define DV_ACTION_EXPORT_INTERRUPTED "export.interrupted" /* an export stopped by Ctrl-C or a signal */
#define DV_ACTION_ZONES_CHECK "zones.check"               /* flights checked against zones */
#define DV_ACTION_AUDIT "audit"                           /* a capture stored and its leak verdict */
#define DV_ACTION_RADIO "radio"                           /* a capture stored and its Remote ID findings */
#define DV_ACTION_WATCH "watch"                           /* a live watch: its capture, alarms and verdict */
#define DV_ACTION_LOG_REPAIR "log.repair"                 /* a torn, never acknowledged last entry was cut */
#define DV_ACTION_LOG_MIGRATE "log.migrate"               /* a version 1 log converted to version 2 (chain per case) */
#define DV_ACTION_DB_UPGRADE "db.upgrade"                 /* the PostgreSQL catalog's schema brought to a newer version */
#define DV_ACTION_STATION_ADD "station.add"               /* a station enrolled into a shared vault (its name, key, vault.json MAC) */
#define DV_ACTION_STATION_REVOKE "station.revoke"         /* a station of a shared vault revoked: its later entries are refused */
#define DV_ACTION_REINDEX "telemetry.reindex"             /* telemetry re-derived: new per-ingest digests */
#define DV_ACTION_CASE_RETENTION "case.retention"         /* a case's Object Lock retention set (S3 vaults) */
#define DV_ACTION_CASE_HOLD "case.hold"                   /* a case's legal hold on or off (S3 vaults) */
#define DV_ACTION_VAULT_MIGRATE "vault.migrate"           /* a laptop vault's ingests moved in (dronevault migrate) */
#define DV_ACTION_VAULT_MIGRATED "vault.migrated"         /* this vault's ingests moved into another (its id, head) */
#define DV_ACTION_SYNC "sync"                             /* an offline station's ingests pushed in (dronevault sync) */
#define DV_ACTION_SYNC_PUSHED "sync.pushed"               /* this vault's ingests pushed to the central vault */

#endif
