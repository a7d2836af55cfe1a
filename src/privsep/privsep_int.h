/*
 * privsep/privsep_int.h - the sandboxed reader (dv-reader) and its channel.
 *
 * Hostile bytes (cards, images, captures, ...) are parsed in a helper
 * process, dv-reader, started with posix_spawn (never a bare fork of a
 * process that may have threads) with its end of a socketpair at fd 3
 * (DV_READER_FD), /dev/null at 0, 1 and 2 (the caller's stderr with
 * DV_READER_STDERR=1, for debugging), every other descriptor closed and a clean
 * environment. Before it reads any input it installs its policy
 * (privsep/sandbox_int.h): no sockets, no exec, no ptrace, nothing opened
 * for writing. The parent holds the keys and the vault; it decodes every
 * frame through dv_rd and re-checks what each message means.
 *
 * Frame: 4-byte big-endian payload length, 1-byte type, payload. Each
 * phase of a conversation has a table of the messages allowed in it, with
 * a length cap per message checked before anything is allocated, and
 * once-only flags (HELLO once, INFO once, ...). A frame that breaks the
 * table is a protocol fault: DV_ECORRUPT naming "reader" and the stream
 * offset of the frame; the parent then kills the child.
 */
#ifndef DV_PRIVSEP_INT_H
#define DV_PRIVSEP_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/rd_int.h"

#define DV_READER_FD 3
/* The plaintext ring: a sealed memfd of DV_RING_SLOTS slots of
 * DV_RING_SLOT bytes, shared with the reader at this fd (ingest only). The
 * reader reads a file's bytes straight into a free slot and says so in a
 * small DATA_REF frame; the parent copies the slot out (the reader can
 * rewrite shared memory at any time: only the copy is hashed and stored)
 * and hands the slot back with ACK. Slots go round in order. */
#define DV_READER_RING_FD 4
#define DV_RING_SLOTS 8u
#define DV_RING_SLOT (256u << 10)
#define DV_READER_VERSION 1
#define DV_FRAME_HDR 5
/* the largest frame of any type: a telemetry record with its points */
#define DV_FRAME_MAX ((128u << 20) + 65536u)
#define DV_CHUNK_MAX (1u << 20)      /* a DATA frame's payload */
#define DV_MSG_STR_MAX 4096          /* any string field */

/* Every message of the reader protocol (c->p: child to parent). */
enum dv_msg {
	DV_MSG_HELLO = 1,    /* c->p u32 version, u32 landlock ABI (0: none) */
	DV_MSG_OPEN,         /* p->c u8 what (0 source, 1 files), u8 flags, u32 n, n x str path */
	DV_MSG_INFO,         /* c->p str kind, str fs_type, str volume label, u64 image size, and
	                      * (optional, images) str format ("raw", "e01"), str E01 MD5, str E01
	                      * SHA-1 (embedded), str media MD5, str media SHA-1 (computed) */
	DV_MSG_FILE,         /* c->p str path, u64 size, i64 mtime, atime, ctime, crtime, u32 mode */
	DV_MSG_LIST_END,     /* c->p u64 files, u64 specials skipped */
	DV_MSG_READ,         /* p->c u32 index into the listing */
	DV_MSG_DATA,         /* c->p the file's next plaintext bytes */
	DV_MSG_TELEMETRY,    /* c->p u32 json length, json, packed points */
	DV_MSG_FILE_END,     /* c->p u8 ok, str message (why not) */
	DV_MSG_ERROR,        /* c->p i32 code, i64 offset, str path, str message: the child stops */
	DV_MSG_BYE,          /* p->c: done, exit 0 */
	DV_MSG_JOB,          /* p->c str job, u32 argc, argc x str argument, u8 tty (1 stdout, 2 stderr)
	                      * (dv-reader --job) */
	DV_MSG_EXTRACT,      /* p->c str path, u64 size: telemetry of stored plaintext follows (DATA) */
	DV_MSG_EXTRACT_END,  /* p->c: that file's plaintext is complete */
	DV_MSG_DATA_REF,     /* c->p u32 slot, u32 length: the file's next bytes are in that ring slot */
	DV_MSG_ACK,          /* p->c u32 slot: copied out, the slot is the reader's again */
	DV_MSG_FILE_FD,      /* c->p no payload, one descriptor (SCM_RIGHTS): a directory source's
	                      * file, opened read-only; the parent reads its bytes itself */
	DV_MSG_ASK,          /* c->p a job's question (JSON text, at most DV_READER_ASK_MAX bytes) */
	DV_MSG_REPLY,        /* p->c the parent's answer (JSON text, at most DV_READER_REPLY_MAX) */
	DV_MSG_FILE_FAILED,  /* c->p str path (a label: a long path is cut), str why: an entry of the
	                      * source that could not be listed (too deep, too long): a per-file failure */
	DV_MSG_RECOVERY,     /* c->p u64 the deleted entry's own size (>= the FILE's size, what can be
	                      * recovered), u8 reallocated: about the FILE just sent (DV_OPEN_RECOVER) */
	DV_MSG_COUNT
};

#define DV_OPEN_TELEMETRY 1u  /* OPEN flag: run the telemetry extraction */
#define DV_OPEN_RECOVER 2u    /* OPEN flag: list an image's deleted files instead (dv_source_set_recover) */
#define DV_OPEN_SOURCE 0      /* OPEN what: a directory, image or device */
#define DV_OPEN_FILES 1       /* OPEN what: a list of single files */
#define DV_OPEN_EXTRACT 2     /* OPEN what: no source; files come as EXTRACT + DATA (reindex) */

/* One row of a phase's table of allowed messages. */
#define DV_MSG_ONCE 1u
typedef struct dv_msg_rule {
	uint8_t type;
	uint8_t flags;
	uint32_t max_len;
} dv_msg_rule;

typedef struct dv_phase {
	const char *name;
	const dv_msg_rule *rules;
	size_t n;
} dv_phase;

/* Phases of the ingest conversation, as the parent sees the child. */
extern const dv_phase dv_phase_hello, dv_phase_open, dv_phase_list, dv_phase_read, dv_phase_extract;

/* The parent's side of a channel: a reused buffer, the stream offset, the
 * once-only messages already seen. */
typedef struct dv_chan {
	int fd;
	uint8_t *buf;
	size_t cap;
	uint64_t offset;          /* bytes received so far (frame offsets in errors) */
	uint32_t seen_once;       /* bit per type, reset by dv_chan_phase */
	int pending_fd;           /* a descriptor that came with the last frames, or -1 */
	const dv_phase *phase;
} dv_chan;

/*
 * Checks a frame header against a phase: the type is allowed, a once-only
 * type comes once, the length is within the type's cap. *seen_once is
 * updated. Errors are DV_ECORRUPT at stream offset `offset`.
 */
int dv_frame_check(const uint8_t hdr[DV_FRAME_HDR], const dv_phase *ph, uint32_t *seen_once, uint64_t offset,
                   uint8_t *type, uint32_t *len);

/* A seccomp filter is in force in process pid (0: this one). */
bool dv_privsep_seccomp_filtered(pid_t pid);

void dv_chan_init(dv_chan *c, int fd);
void dv_chan_dispose(dv_chan *c);
void dv_chan_phase(dv_chan *c, const dv_phase *ph);
/* Receives one frame of the current phase; *payload reads the bytes (valid
 * until the next receive). EOF or a short read: DV_EIO. */
int dv_chan_recv(dv_chan *c, uint8_t *type, dv_rd *payload);
/* Sends one frame whose payload is a then b (either may be empty). */
int dv_chan_send(int fd, uint8_t type, const void *a, size_t na, const void *b, size_t nb);
/* An empty frame carrying descriptor passfd (SCM_RIGHTS). */
int dv_chan_send_fd(int fd, uint8_t type, int passfd);
/* The descriptor that came with the frame just received (owned by the
 * caller), or -1. A second descriptor before this one is taken is a fault. */
int dv_chan_take_fd(dv_chan *c);

/* ---- message bodies -------------------------------------------------------------- */
/* A length-prefixed string (u16be length, bytes, no NUL inside), copied
 * into out[cap] NUL-terminated; longer than cap-1 is an error. */
int dv_msg_get_str(dv_rd *r, char *out, size_t cap, const char *what);

/* A small builder for outgoing payloads (the child's side, and OPEN). */
typedef struct dv_msg_buf {
	uint8_t *p;
	size_t len, cap;
	bool failed;
} dv_msg_buf;
void dv_msg_put(dv_msg_buf *b, const void *p, size_t n);
void dv_msg_u8(dv_msg_buf *b, uint8_t v);
void dv_msg_u32(dv_msg_buf *b, uint32_t v);
void dv_msg_u64(dv_msg_buf *b, uint64_t v);
void dv_msg_str(dv_msg_buf *b, const char *s);
void dv_msg_free(dv_msg_buf *b);

typedef struct dv_msg_file {
	char path[DV_MSG_STR_MAX];
	uint64_t size;
	int64_t mtime_ns, atime_ns, ctime_ns, crtime_ns;
	uint32_t mode;
} dv_msg_file;

/* FILE: decoded, and the path checked: not empty (any other bytes are
 * the card's names, stored as they are; see dv_msg_path_clean). */
int dv_msg_file_decode(dv_rd *r, dv_msg_file *f);
/* True when p can label a file (not empty). */
bool dv_msg_path_clean(const char *p);
/* FILE_FAILED: a label and a message, both checked printable. */
int dv_msg_failed_decode(dv_rd *r, char *path, size_t pcap, char *msg, size_t mcap);
/* ERROR: sets the thread's error from the child's report (prefixed
 * "reader: ") and returns its code (always negative). */
int dv_msg_error_decode(dv_rd *r);

/* ---- the child process -------------------------------------------------------------- */
typedef struct dv_reader {
	pid_t pid;
	dv_chan ch;
	uint32_t landlock_abi;    /* from HELLO */
	uint8_t *ring;            /* the shared plaintext ring (ingest), or NULL */
	bool seccomp;             /* the parent saw Seccomp: 2 in /proc/PID/status */
} dv_reader;

/*
 * Where the helper is: $DV_READER, then next to the running program
 * (<dir of /proc/self/exe>/../libexec/dronevault/dv-reader), then the build
 * tree, then DV_LIBEXECDIR. Not found: DV_ENOTFOUND naming every place.
 */
int dv_reader_locate(char *out, size_t cap);

/* Starts dv-reader with `mode` as its argument ("--serve") and waits for
 * its HELLO. */
int dv_reader_start(dv_reader *r);
/* A fault seen by the parent: kills the child, keeps the error. */
void dv_reader_kill(dv_reader *r);
/* Normal end: BYE, then wait. Returns an error when the child did not exit 0. */
int dv_reader_stop(dv_reader *r);
/* After EOF on the channel: reaps the child and sets an error saying how it
 * died (SIGSYS: a sandbox violation). Returns that error. */
int dv_reader_died(dv_reader *r);

#endif
