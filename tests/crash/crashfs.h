/*
 * tests/crash/crashfs.h - a simulated power cut for the vault's durable
 * writers (after SQLite's crash VFS, src/test6.c).
 *
 * Two doors into one model: a dv_fs table (core/fs_int.h) for the blob
 * store, the custody log and exports, and a SQLite VFS wrapping "unix"
 * (registered as the default by crash_init) for the catalog. Both really
 * write; the model remembers, per file (by inode), its durable image (what
 * the last fsync/fdatasync/syncfs covered) and the writes since, and the
 * namespace changes (create, rename, unlink, mkdir) since the last fsync
 * of the directory holding them (or a syncfs). Every mutating operation
 * is counted; at operation number crash_at the power goes: a write is done
 * (and so may end up torn), anything else is not; it and everything after
 * it fail with EIO / SQLITE_IOERR, so the command stops as a machine would
 * have. crash_realize then puts on disk what a real disk might hold after
 * the cut: each file its durable image plus each later write kept, dropped
 * or torn at a random byte; each undurable namespace change kept or undone
 * (a directory undone takes what is in it). Randomness is seeded.
 *
 * Model limits, on purpose: fsync of a file does not make its name durable
 * (POSIX; ext4 would); SQLite's own directory fsync after creating a WAL or
 * journal (unixSync with UNIXFILE_DIRSYNC) is taken to happen at that
 * file's first sync; a rename is durable once its target directory is
 * synced; directory renames are not modelled (nothing durable renames one).
 */
#ifndef DV_TEST_CRASHFS_H
#define DV_TEST_CRASHFS_H

#include <stdbool.h>
#include <stdint.h>

#include "core/fs_int.h"

/* Registers the crash VFS as SQLite's default (once per process). */
int crash_init(void);
/* Starts a run: a fresh model; power goes at mutating op crash_at (0: never). */
void crash_begin(uint64_t crash_at, uint64_t seed);
/* The table to open a vault with (dv_vault_open_fs). */
const dv_fs *crash_fs(void);
/* Mutating operations so far in this run. */
uint64_t crash_ops(void);
/* Whether the power went in this run. */
bool crash_happened(void);
/* What the cut left, on disk; then no model (everything real again).
 * *kept, *dropped, *torn count pending writes, *undone namespace changes. */
void crash_realize(unsigned *kept, unsigned *dropped, unsigned *torn, unsigned *undone);
/* Ends a run without a cut (the model is dropped, the disk left as is). */
void crash_end(void);

#endif
