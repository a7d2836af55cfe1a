/* A reader that breaks the protocol on purpose, chosen by the base name of
 * the source it is asked to open. It installs the real policy first (the
 * parent refuses a reader without its seccomp filter). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

static void info(void)
{
	dv_msg_buf b = { 0 };
	dv_msg_str(&b, "directory");
	dv_msg_str(&b, "");
	dv_msg_str(&b, "");
	dv_msg_u64(&b, 0);
	frame(DV_MSG_INFO, &b);
	dv_msg_free(&b);
}

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
	} else if (!strcmp(mode, "dotdot")) {
		info();
		file("DCIM/../../etc/passwd", 1);
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
	} else if (!strcmp(mode, "long") || !strcmp(mode, "short") || !strcmp(mode, "die") || !strcmp(mode, "sigsys") ||
	           !strcmp(mode, "badref") || !strcmp(mode, "badfd")) {
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
