/* A reader that breaks the protocol on purpose, chosen by the base name of
 * the source it is asked to open. It installs the real policy first (the
 * parent refuses a reader without its seccomp filter). */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dv/reader.h"
#include "privsep/privsep_int.h"
#include "privsep/sandbox_int.h"

#define FD DV_READER_FD

static void frame(uint8_t type, const dv_msg_buf *b)
{
	(void)dv_chan_send(FD, type, b ? b->p : NULL, b ? b->len : 0, NULL, 0);
}

static void raw_header(uint32_t len, uint8_t type)
{
	uint8_t h[5];
	dv_put_u32be(h, len);
	h[4] = type;
	(void)!write(FD, h, 5);
}

static void info_kind(const char *kind)
{
	dv_msg_buf b = { 0 };
	dv_msg_str(&b, kind);
	dv_msg_str(&b, "");
	dv_msg_str(&b, "");
	dv_msg_u64(&b, 0);
	frame(DV_MSG_INFO, &b);
	dv_msg_free(&b);
}

static void info(void) { info_kind("directory"); }

static void file(const char *path, uint64_t size)
{
	dv_msg_buf b = { 0 };
	dv_msg_str(&b, path);
	dv_msg_u64(&b, size);
	for (int i = 0; i < 4; i++) dv_msg_u64(&b, 0);
	dv_msg_u32(&b, 0100644);
	frame(DV_MSG_FILE, &b);
	dv_msg_free(&b);
}

static void list_end(uint64_t n)
{
	dv_msg_buf b = { 0 };
	dv_msg_u64(&b, n);
	dv_msg_u64(&b, 0);
	frame(DV_MSG_LIST_END, &b);
	dv_msg_free(&b);
}

static void wait_read(void)
{
	uint8_t h[9];
	size_t got = 0;
	while (got < sizeof(h)) {
		ssize_t r = read(FD, h + got, sizeof(h) - got);
		if (r <= 0) _exit(1);
		got += (size_t)r;
	}
}

/* dv-reader --job that misbehaves by its job's name (dv_reader_run_io) */
static int job(const char *p, uint32_t n)
{
	if (n < 2) return 1;
	char mode[64];
	size_t l = ((size_t)(uint8_t)p[0] << 8) | (uint8_t)p[1];
	if (l >= sizeof(mode) || l + 2 > n) return 1;
	memcpy(mode, p + 2, l);
	mode[l] = '\0';
	if (!strcmp(mode, "job-ask")) {
		/* the output first, closed; then the question; exit 7 on the right answer */
		(void)!write(DV_READER_OUT_FD, "hello", 5);
		close(DV_READER_OUT_FD);
		const char *q = "{\"q\":1}";
		(void)dv_chan_send(FD, DV_MSG_ASK, q, strlen(q), NULL, 0);
		uint8_t h[5];
		char a[64] = "";
		/* _exit: LeakSanitizer's exit-time check cannot run under the filter */
		if (read(FD, h, 5) != 5 || h[4] != DV_MSG_REPLY || h[3] >= sizeof(a) || read(FD, a, h[3]) != h[3]) _exit(8);
		_exit(!strcmp(a, "{\"a\":2}") ? 7 : 9);
	}
	if (!strcmp(mode, "job-asknul")) {
		close(DV_READER_OUT_FD);
		(void)dv_chan_send(FD, DV_MSG_ASK, "{}\0x", 4, NULL, 0);
	}
	if (!strcmp(mode, "job-askopen")) (void)dv_chan_send(FD, DV_MSG_ASK, "{}", 2, NULL, 0);
	if (!strcmp(mode, "job-askbig")) raw_header(DV_READER_ASK_MAX + 1, DV_MSG_ASK);
	if (!strcmp(mode, "job-badtype")) raw_header(0, DV_MSG_DATA);
	if (!strcmp(mode, "job-outbig")) {
		char buf[2000];
		memset(buf, 'x', sizeof(buf));
		(void)!write(DV_READER_OUT_FD, buf, sizeof(buf));
	}
	pause();
	return 0;
}

int main(void)
{
	dv_sandbox_state sb;
	if (dv_sandbox_child(&sb) < 0) return 3;
	dv_msg_buf b = { 0 };
	dv_msg_u32(&b, DV_READER_VERSION);
	dv_msg_u32(&b, sb.landlock_abi);
	frame(DV_MSG_HELLO, &b);
	dv_msg_free(&b);
	uint8_t h[5];
	if (read(FD, h, 5) != 5) return 1;
	uint32_t n = ((uint32_t)h[0] << 24) | ((uint32_t)h[1] << 16) | ((uint32_t)h[2] << 8) | h[3];
	char *p = calloc(1, n + 1);
	size_t got = 0;
	while (got < n) {
		ssize_t r = read(FD, p + got, n - got);
		if (r <= 0) return 1;
		got += (size_t)r;
	}
	if (h[4] == DV_MSG_JOB) return job(p, n);
	const char *src = p + 8;   /* what, flags, n, u16 length */
	const char *mode = strrchr(src, '/') ? strrchr(src, '/') + 1 : src;
	if (!strcmp(mode, "oversize")) {
		info();
		raw_header(0xffffffffu, DV_MSG_FILE);
	} else if (!strcmp(mode, "badtype")) {
		info();
		raw_header(0, 99);
	} else if (!strcmp(mode, "twice")) {
		info();
		info();
	} else if (!strcmp(mode, "emptypath")) {
		info();
		file("", 1);
		list_end(1);
	} else if (!strcmp(mode, "dup")) {
		info();
		file("a.jpg", 1);
		file("a.jpg", 1);
		list_end(2);
	} else if (!strcmp(mode, "wrongkind")) {
		dv_msg_str(&b, "image");
		dv_msg_str(&b, "fat32");
		dv_msg_str(&b, "");
		dv_msg_u64(&b, 0);
		frame(DV_MSG_INFO, &b);
	} else if (!strcmp(mode, "filesfd")) {
		/* files mode: a descriptor of another readable file than the one given */
		info_kind("files");
		file("filesfd", 10);
		list_end(1);
		wait_read();
		int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
		(void)dv_chan_send_fd(FD, DV_MSG_FILE_FD, fd);
		dv_msg_u8(&b, 1);
		dv_msg_str(&b, "");
		frame(DV_MSG_FILE_END, &b);
		/* then BYE: exit as the real reader does */
		if (read(FD, h, 5) == 5 && h[4] == DV_MSG_BYE) _exit(0);
	} else if (!strcmp(mode, "long") || !strcmp(mode, "short") || !strcmp(mode, "die") || !strcmp(mode, "sigsys") ||
	           !strcmp(mode, "badref") || !strcmp(mode, "badfd") || !strcmp(mode, "outside")) {
		info();
		file("a.bin", 10);
		list_end(1);
		wait_read();
		uint8_t data[16] = { 0 };
		if (!strcmp(mode, "die")) {
			(void)dv_chan_send(FD, DV_MSG_DATA, data, 4, NULL, 0);
			_exit(0);
		}
		if (!strcmp(mode, "sigsys")) raise(SIGSYS);
		if (!strcmp(mode, "badfd")) {
			(void)dv_chan_send_fd(FD, DV_MSG_FILE_FD, 0);  /* /dev/null: not a regular file */
			pause();
		}
		if (!strcmp(mode, "outside")) {
			/* a readable file that is not on the card: our own binary */
			int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
			(void)dv_chan_send_fd(FD, DV_MSG_FILE_FD, fd);
			pause();
		}
		if (!strcmp(mode, "badref")) {
			uint8_t ref[8];
			dv_put_u32be(ref, 9);          /* no such ring slot */
			dv_put_u32be(ref + 4, 10);
			(void)dv_chan_send(FD, DV_MSG_DATA_REF, ref, 8, NULL, 0);
			pause();
		}
		(void)dv_chan_send(FD, DV_MSG_DATA, data, !strcmp(mode, "long") ? 16 : 5, NULL, 0);
		dv_msg_u8(&b, 1);
		dv_msg_str(&b, "");
		frame(DV_MSG_FILE_END, &b);
	}
	pause();
	return 0;
}
