/*
 * vault/source_int.h - what an ingest reads from: a directory (a mounted card, a
 * DCIM folder, the drone's storage over USB) or a raw image / block device
 * holding FAT or exFAT, read with The Sleuth Kit (libtsk) without mounting.
 *
 * Sources are opened read-only (O_RDONLY, plus O_NOATIME where the kernel
 * allows it) and are never written. Files are listed sorted by path, so an
 * interrupted ingest resumes in the same order.
 */
#ifndef DV_SOURCE_INT_H
#define DV_SOURCE_INT_H

#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct dv_source dv_source;

typedef struct dv_source_file {
	char *path;          /* relative, '/' separated (owned by the source) */
	uint64_t size;
	int64_t mtime_ns;
	int64_t atime_ns;
	int64_t ctime_ns;
	int64_t crtime_ns;   /* FAT/exFAT creation time; INT64_MIN when unknown */
	uint32_t mode;
	uint64_t inode;      /* image: metadata address; directory: st_ino */
	uint64_t dev;        /* directory: st_dev (with inode: the file opened
	                      * must be the one listed); 0 for images */
	/* recovery of deleted entries (dv_source_set_recover): the size its
	 * entry gives, while size is what can be read of it as it was (its
	 * clusters up to the first one that now belongs to another file), and
	 * whether some of its clusters were reallocated */
	uint64_t recoverable;   /* the entry's own size */
	bool reallocated;
} dv_source_file;

/* An entry of the source that could not be listed (a path longer than
 * DV_SOURCE_PATH_MAX - 1 bytes, directories nested deeper than
 * DV_SOURCE_MAX_DEPTH, an entry that cannot be looked at): a per-file
 * failure like an unreadable file, reported and not stored, while the rest
 * of the source is. path is a printable-length label (a long path is cut in
 * the middle, marked with "..."). */
typedef struct dv_source_failure {
	char *path;
	char *message;
} dv_source_failure;

#define DV_SOURCE_PATH_MAX 4096  /* a stored path is at most 4095 bytes */
#define DV_SOURCE_MAX_DEPTH 64

typedef struct dv_source_info {
	char kind[16];       /* "directory" or "image" */
	char fs_type[32];    /* image: "fat12", "fat16", "fat32", "exfat" */
	char path[4096];     /* absolute path of the source */
	uint64_t image_size; /* image: bytes */
	char volume_label[64]; /* image: FAT/exFAT volume label, if any */
	/* image: "raw" (dd, a device) or "e01" (Expert Witness EWF1, read
	 * through libtsk's libewf; image_size is the media size). An E01's
	 * embedded MD5/SHA-1 (lower-case hex, "" when it has none) and the ones
	 * computed here over all its media data. */
	char format[8];
	char ewf_md5[33], ewf_sha1[41];
	char media_md5[33], media_sha1[41];
} dv_source_info;

/* Opens path as a directory or an image (by what it is, not its name):
 * a raw image or device, or an E01 (EWF1) image, whose media data is read
 * whole once to check its embedded hashes. An Ex01 (EWF2) image is refused
 * (DV_EUNSUPPORTED, saying so): Debian's libewf reads EWF1 only. */
int dv_source_open(dv_source **out, const char *path);
/*
 * A list of single files (captures, reports) as one source of kind
 * "files": each is stored under its base name (a later duplicate name gets
 * "N-" in front). info.path names the first file.
 */
int dv_source_open_files(dv_source **out, const char *const *paths, size_t n);
void dv_source_close(dv_source *s);
const dv_source_info *dv_source_get_info(const dv_source *s);

/*
 * The regular files of the source, sorted by path (borrowed; valid until
 * dv_source_close). Symbolic links, devices and other special files are
 * counted in *skipped and left out.
 */
int dv_source_list(dv_source *s, const dv_source_file **files, size_t *n, size_t *skipped);
/* Images only, before dv_source_list: list the deleted (unallocated)
 * regular-file entries of every directory (deleted ones too) instead of the
 * allocated files, with what can be recovered of each. A name that occurs
 * twice gets its entry's metadata address in front ("ADDR-NAME"). */
int dv_source_set_recover(dv_source *s);
/* What dv_source_list could not list (borrowed, after dv_source_list). */
void dv_source_failures(const dv_source *s, const dv_source_failure **out, size_t *n);

/* Streams a file's content to fn in pieces of at most bufsize bytes. */
typedef int (*dv_source_sink)(const uint8_t *data, size_t n, void *payload);
int dv_source_read(dv_source *s, const dv_source_file *f, uint8_t *buf, size_t bufsize,
                   dv_source_sink fn, void *payload);
/* The same, reading the pieces into bufs[0], bufs[1], ... in turn (each of
 * bufsize bytes): the sink may keep a piece until the same buffer comes
 * round again (the reader's shared-memory ring). */
int dv_source_read_ring(dv_source *s, const dv_source_file *f, uint8_t *const *bufs, size_t nbufs, size_t bufsize,
                        dv_source_sink fn, void *payload);

/* A directory (or "files") source's file opened read-only (O_NOATIME where
 * allowed): a descriptor the caller owns. A directory's file is reached one
 * component at a time from the source's own descriptor with O_NOFOLLOW
 * (never a symbolic link, never out of the source, whatever was swapped
 * since the listing), and must be the inode listed (st_dev, st_ino): else
 * DV_EIO "changed since it was listed". Images: DV_EUNSUPPORTED (their
 * files are read through dv_source_read). */
int dv_source_open_file(dv_source *s, const dv_source_file *f);

#endif
