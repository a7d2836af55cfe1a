/* The job's side of a question to the parent (dv/reader.h): the channel
 * at DV_READER_FD stays open for it while a job runs. */
#include "privsep/privsep_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dv/err.h"
#include "dv/reader.h"

static int read_all(int fd, void *p, size_t n)
{
	size_t done = 0;
	while (done < n) {
		ssize_t r = read(fd, (char *)p + done, n - done);
		if (r < 0 && errno == EINTR) continue;
		if (r < 0) return dv_error_errno(errno, "parent", (int64_t)done, "cannot read the answer");
		if (r == 0) return dv_error_set(DV_EIO, "parent", (int64_t)done, "the parent closed the channel");
		done += (size_t)r;
	}
	return 0;
}

int dv_reader_ask(const char *question, char **reply)
{
	*reply = NULL;
	size_t n = strlen(question);
	if (n > DV_READER_ASK_MAX) return dv_error_set(DV_ENOMEM, NULL, -1, "question of %zu bytes too large", n);
	int rc = dv_chan_send(DV_READER_FD, DV_MSG_ASK, question, n, NULL, 0);
	if (rc < 0) return rc;
	uint8_t h[DV_FRAME_HDR];
	if ((rc = read_all(DV_READER_FD, h, sizeof(h))) < 0) return rc;
	dv_rd r = dv_rd_init(h, sizeof(h), "parent", 0);
	uint32_t len;
	uint8_t t;
	if (dv_rd_u32be(&r, &len) < 0 || dv_rd_u8(&r, &t) < 0 || t != DV_MSG_REPLY || len > DV_READER_REPLY_MAX)
		return dv_error_set(DV_ECORRUPT, "parent", 0, "not an answer");
	char *s = malloc((size_t)len + 1);
	if (!s) return dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
	if (len && (rc = read_all(DV_READER_FD, s, len)) < 0) {
		free(s);
		return rc;
	}
	s[len] = '\0';
	*reply = s;
	return 0;
}
