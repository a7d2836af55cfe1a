/*
 * cmd_watch.c - `dronevault watch -i IFACE`: live watch of the drone
 * hotspot (dv/enforce.h). Who holds what:
 *   this process (privileged) opens the interface and keeps the capture
 *   handle, the events file, syslog, the report file and the vault; after
 *   opening it drops to the vault owner's uid (inside a user namespace it
 *   stays, and says so). A capture thread copies each frame in the record
 *   framing of dv/capture.h into a pipe (a bounded buffer: when the parser
 *   falls behind, the kernel's capture buffer fills and pcap_stats counts
 *   the drops, which the summary and the verdict report);
 *   the sandboxed reader (job "watch") parses the frames with the audit
 *   engine (a snapshot every 50 ms while frames come) and asks this
 *   process to raise each alarm (dv_reader_ask), to
 *   print the summary and, at the end, for the kernel's counters.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#include <grp.h>

#include <json-c/json.h>

#include "cli.h"
#include "dv/audit.h"
#include "dv/custody_actions.h"
#include "dv/enforce.h"
#include "dv/err.h"
#include "dv/crypto.h"
#include "dv/ingest.h"
#include "dv/spool.h"
#include "dv/radio.h"
#include "dv/reader.h"
#include "dv/vault.h"

static void help(FILE *out)
{
	fprintf(out,
	        "usage: dronevault watch -i IFACE [--policy FILE] [--events FILE|-] [--seconds N]\n"
	        "                        [--report FILE.html] [--json] [--summary SECONDS]\n"
	        "                        [--case ID --operator NAME [--note TEXT] [--key-file FILE]]\n"
	        "                        [--rotate MIB] [--buffer MIB] [--immediate] [--from-file CAPTURE] [--endpoints FILE]\n"
	        "                        [--geo-db FILE | --no-geo] [--no-ndpi] [--max-flows N]\n"
	        "\n"
	        "Watches the drone segment live (the hotspot's interface) with the same engine as\n"
	        "'dronevault audit' and raises an alarm within a second of the first packet of\n"
	        "anything the policy does not allow: a destination outside the policy (the maker's\n"
	        "cloud above all), a DNS query for a maker endpoint (even unanswered), positions or\n"
	        "images sent in clear, a request to the maker's update servers. Each alarm is a line\n"
	        "on stderr, a JSON line on --events (packet_ts: the kernel's capture time, alarm_ts:\n"
	        "when it was raised, both seconds since 1970) and a syslog message. A summary line\n"
	        "every --summary seconds (default 10) gives flows, bytes, alarms and the kernel's\n"
	        "drops. Stops on Ctrl-C / SIGTERM or after --seconds, then prints the audit's report\n"
	        "(--json: its JSON document; --report: the HTML report). A watch that lost packets\n"
	        "(kernel drops) never says clean.\n"
	        "\n"
	        "  -i, --interface IFACE  the interface to capture on (root or CAP_NET_RAW)\n"
	        "  --policy FILE          what is allowed, and alarm severities (dronevault policy --help)\n"
	        "  --events FILE|-        append one JSON line per alarm and summary (- : stdout)\n"
	        "  --seconds N            stop after N seconds\n"
	        "  --summary SECONDS      summary line interval (0: none)\n"
	        "  --buffer MIB           kernel capture buffer (default 64)\n"
	        "  --immediate            pcap immediate mode: each packet at once instead of within\n"
	        "                         10 ms (costs a ring slot per packet: drops come sooner)\n"
	        "  --from-file CAPTURE    feed a capture file through the live code instead of an\n"
	        "                         interface (tests; Remote ID from a monitor-mode capture)\n"
	        "  --case ID              store the capture (pcapng files of --rotate MIB, default 256)\n"
	        "                         and the report as evidence in case ID, the alarms and the\n"
	        "                         verdict in the custody log; until the watch ends the capture\n"
	        "                         is kept sealed (never in clear) under $TMPDIR, else /tmp\n"
	        "  --operator NAME        who ran the watch (required with --case)\n"
	        "  --note TEXT, --key-file FILE, --endpoints FILE, --geo-db FILE, --no-geo, --no-ndpi,\n"
	        "  --max-flows N          as for dronevault audit\n"
	        "\n"
	        "Started as root it drops to the vault owner's uid once the interface is open (the\n"
	        "owner of --vault DIR / $DRONEVAULT_VAULT / ./vault; else $SUDO_UID's; else it says it\n"
	        "stays root). Inside a user namespace it stays as it is. Monitor-mode Wi-Fi\n"
	        "interfaces give Remote ID / DroneID broadcasts too (reported, not alarms; untested\n"
	        "on real hardware, see docs/enforce.md).\n"
	        "Exit: 0 clean, 4 leak, 5 inconclusive (drops, encrypted DNS, ...), 1 failure\n"
	        "(no such interface, interface down, no permission), 2 usage.\n");
}

/* ---- the parent: capture thread ---- */

typedef struct capture_ctx {
	dv_live *live;
	int wfd;
	double seconds;
	atomic_bool stop;
	atomic_bool done;
	pthread_mutex_t mu;
	dv_live_stats st;       /* under mu */
	int error;              /* a dv_code that stopped the capture, under mu */
	char error_text[256];
	/* the bounded ring between the capture and the reader: chunks of
	 * records, at most QUEUE_MAX bytes; beyond that frames are counted as
	 * lost (ring_dropped), never waited for (the kernel buffer would fill) */
	struct chunk *head, *tail;
	size_t queued;
	uint64_t ring_dropped;    /* under mu */
	bool gone;                /* the reader stopped reading */
	/* --case: the rolling capture, pcapng files of at most rotate bytes,
	 * each a sealed spool (dv/spool.h) under a key of this process's only
	 * (random, never on disk): nothing of the capture is in clear on disk
	 * before it is in the vault. A crash loses the spooled capture with
	 * the key (the alarms and events already written stay). */
	bool dumping;
	char dump_dir[256];
	unsigned dump_files;
	dv_spool *dump;
	uint8_t spool_key[DV_SPOOL_KEY_BYTES];
	uint64_t *seg_bytes;      /* per file, its plaintext bytes (DUMP_FILES_MAX) */
	int dump_linktype;
	uint64_t dump_bytes, dump_file_bytes, rotate;
	int dump_errno;
} capture_ctx;

#define CHUNK (1u << 20)         /* >= a record of the largest frame */
#define QUEUE_MAX (256u << 20)

typedef struct chunk {
	struct chunk *next;
	size_t len, off;
	uint8_t data[CHUNK];
} chunk;

static void put32(uint8_t *b, uint32_t v) { memcpy(b, &v, 4); }
static void put16(uint8_t *b, uint16_t v) { memcpy(b, &v, 2); }

#define DUMP_FILES_MAX 1000u

/* The next file of the rolling capture: a pcapng section header and one
 * interface (nanosecond time stamps). */
static int dump_next(capture_ctx *c)
{
	if (c->dump && dv_spool_close(c->dump, &c->seg_bytes[c->dump_files - 1]) < 0 && !c->dump_errno)
		c->dump_errno = errno ? errno : EIO;
	c->dump = NULL;
	if (c->dump_errno) return -1;
	if (c->dump_files >= DUMP_FILES_MAX) {
		c->dump_errno = EFBIG;
		return -1;
	}
	char path[300];
	snprintf(path, sizeof(path), "%s/watch-%04u.pcapng", c->dump_dir, c->dump_files + 1);
	dv_spool *f = NULL;
	int orc = dv_spool_create(&f, path, c->spool_key);
	uint8_t h[28 + 32];
	memset(h, 0, sizeof(h));
	put32(h, 0x0A0D0D0A);            /* section header block */
	put32(h + 4, 28);
	put32(h + 8, 0x1A2B3C4D);
	put16(h + 12, 1);
	memset(h + 16, 0xff, 8);         /* section length unknown */
	put32(h + 24, 28);
	put32(h + 28, 1);                /* interface description block */
	put32(h + 32, 32);
	put16(h + 36, (uint16_t)c->dump_linktype);
	put32(h + 40, 262144);
	put16(h + 44, 9);                /* if_tsresol = 10^-9 */
	put16(h + 46, 1);
	h[48] = 9;
	put32(h + 56, 32);               /* (opt_endofopt at 52) */
	if (orc < 0 || dv_spool_write(f, h, sizeof(h)) < 0) {
		c->dump_errno = errno ? errno : EIO;
		if (f) dv_spool_close(f, NULL);
		return -1;
	}
	c->dump = f;
	c->dump_files++;
	c->dump_file_bytes = sizeof(h);
	c->dump_bytes += sizeof(h);
	return 0;
}

/* One enhanced packet block; a full disk stops the stored capture (the
 * watch goes on and says what it lost). */
static void dump_frame(capture_ctx *c, const dv_frame *fr)
{
	size_t pad = (4 - fr->caplen % 4) % 4, len = 32 + fr->caplen + pad;
	if ((!c->dump || c->dump_file_bytes + len > c->rotate) && dump_next(c) < 0) return;
	uint8_t h[28], z[4] = { 0 }, t[4];
	uint64_t ts = (uint64_t)fr->ts_ns;
	put32(h, 6);
	put32(h + 4, (uint32_t)len);
	put32(h + 8, 0);
	put32(h + 12, (uint32_t)(ts >> 32));
	put32(h + 16, (uint32_t)ts);
	put32(h + 20, fr->caplen);
	put32(h + 24, fr->wirelen);
	put32(t, (uint32_t)len);
	if (dv_spool_write(c->dump, h, 28) < 0 || dv_spool_write(c->dump, fr->data, fr->caplen) < 0 ||
	    dv_spool_write(c->dump, z, pad) < 0 || dv_spool_write(c->dump, t, 4) < 0)
		c->dump_errno = errno ? errno : EIO;
	c->dump_file_bytes += len;
	c->dump_bytes += len;
}

static int on_frame(void *u, const dv_frame *fr)
{
	capture_ctx *c = u;
	size_t need = DV_CAPTURE_RECORD_HDR + fr->caplen;
	if (c->queued + need > QUEUE_MAX) {
		pthread_mutex_lock(&c->mu);
		c->ring_dropped++;
		pthread_mutex_unlock(&c->mu);
		return 0;
	}
	if (!c->tail || c->tail->len + need > CHUNK) {
		chunk *k = malloc(sizeof(*k));
		if (!k) {
			pthread_mutex_lock(&c->mu);
			c->ring_dropped++;
			pthread_mutex_unlock(&c->mu);
			return 0;
		}
		k->next = NULL;
		k->len = k->off = 0;
		if (c->tail) c->tail->next = k;
		else c->head = k;
		c->tail = k;
	}
	size_t n = dv_capture_record_put(c->tail->data + c->tail->len, CHUNK - c->tail->len, fr);
	c->tail->len += n;
	c->queued += n;
	if (c->dumping && !c->dump_errno) dump_frame(c, fr);
	return 0;
}

/* Writes what the ring holds to the reader: as much as the pipe takes
 * (block: all of it). */
static void flush_ring(capture_ctx *c, bool block)
{
	while (c->head && !c->gone) {
		chunk *k = c->head;
		if (k->off < k->len) {
			ssize_t w = write(c->wfd, k->data + k->off, k->len - k->off);
			if (w < 0 && errno == EINTR) continue;
			if (w < 0 && errno == EAGAIN) {
				if (!block) return;
				struct pollfd pf = { c->wfd, POLLOUT, 0 };
				(void)poll(&pf, 1, 100);
				continue;
			}
			if (w <= 0) {
				c->gone = true; /* the reader is gone */
				return;
			}
			k->off += (size_t)w;
			c->queued -= (size_t)w;
			continue;
		}
		if (k == c->tail) {
			k->len = k->off = 0;
			return;
		}
		c->head = k->next;
		free(k);
	}
}

static void free_ring(capture_ctx *c)
{
	while (c->head) {
		chunk *k = c->head;
		c->head = k->next;
		free(k);
	}
	c->tail = NULL;
}

static void *capture_main(void *u)
{
	capture_ctx *c = u;
	struct timespec t0, t;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	double last_stats = 0;
	while (!atomic_load(&c->stop) && !cli_interrupted) {
		clock_gettime(CLOCK_MONOTONIC, &t);
		double el = (double)(t.tv_sec - t0.tv_sec) + (double)(t.tv_nsec - t0.tv_nsec) / 1e9;
		if (c->seconds > 0 && el >= c->seconds) break;
		int eof = 0, n = 0;
		int lfd = dv_live_fd(c->live);
		struct pollfd pf[2] = { { lfd, POLLIN, 0 }, { c->queued ? c->wfd : -1, POLLOUT, 0 } };
		if (lfd < 0 || poll(pf, 2, 100) > 0) {
			if (lfd < 0 || (pf[0].revents & (POLLIN | POLLERR | POLLHUP | POLLNVAL)))
				n = dv_live_dispatch(c->live, 0, on_frame, c, &eof);
		}
		flush_ring(c, lfd < 0); /* a file source waits for the reader: nothing is lost */
		if (c->gone) break;
		if (n < 0) {
			pthread_mutex_lock(&c->mu);
			c->error = n;
			snprintf(c->error_text, sizeof(c->error_text), "%s", dv_error_text());
			pthread_mutex_unlock(&c->mu);
			/* a transient fault is retried; a vanished interface ends it */
			if (n == DV_EIO) break;
		}
		if (eof) break;
		if (el - last_stats >= 0.1) {
			dv_live_stats s;
			if (dv_live_get_stats(c->live, &s) == 0) {
				pthread_mutex_lock(&c->mu);
				c->st = s;
				pthread_mutex_unlock(&c->mu);
			}
			last_stats = el;
		}
	}
	dv_live_stats s;
	if (dv_live_get_stats(c->live, &s) == 0) {
		pthread_mutex_lock(&c->mu);
		c->st = s;
		pthread_mutex_unlock(&c->mu);
	}
	flush_ring(c, true); /* what was captured is analysed */
	free_ring(c);
	close(c->wfd); /* EOF: the reader finishes */
	c->wfd = -1;
	atomic_store(&c->done, true);
	return NULL;
}

/* ---- the parent: alarms, summaries, the end ---- */

typedef struct watch_local {
	capture_ctx *cap;
	const char *iface, *report, *case_name, *operator_name, *note, *key_file;
	FILE *events;
	uint64_t alarms, last_drops;
	json_object *alarm_log;   /* for the custody entry (at most 256) */
	int rc;
	bool stored;
	json_object *evidence;
	dv_vault *vault;          /* --case: held for writing from the start */
} watch_local;

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_REALTIME, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void event_line(watch_local *l, json_object *e)
{
	if (!l->events) return;
	fprintf(l->events, "%s\n", json_object_to_json_string_ext(e, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	fflush(l->events);
}

static int sev_prio(const char *sev)
{
	return !strcmp(sev, "critical") ? LOG_CRIT : !strcmp(sev, "alarm") ? LOG_ERR
	       : !strcmp(sev, "warning") ? LOG_WARNING : LOG_NOTICE;
}

static void raise_alarm(watch_local *l, const char *cat, const char *sev, const char *addr, const char *name,
                        const char *text, double packet_ts)
{
	double at = now_s();
	l->alarms++;
	char when[32];
	time_t pt = (time_t)packet_ts;
	struct tm tm;
	localtime_r(&pt, &tm);
	strftime(when, sizeof(when), "%H:%M:%S", &tm);
	fprintf(stderr, "%s [%s] %s: %s (packet %s.%03d, raised %+.0f ms later)\n", strcmp(sev, "info") ? "ALARM" : "SEEN",
	        cli_esc(sev), cli_esc(cat),
	        cli_esc(text), when, (int)((packet_ts - (double)pt) * 1000), (at - packet_ts) * 1000);
	syslog(sev_prio(sev), "alarm [%s] %s: %s", sev, cat, text);
	json_object *e = json_object_new_object();
	json_object_object_add(e, "type", json_object_new_string("alarm"));
	json_object_object_add(e, "interface", json_object_new_string(l->iface));
	json_object_object_add(e, "category", json_object_new_string(cat));
	json_object_object_add(e, "severity", json_object_new_string(sev));
	json_object_object_add(e, "address", json_object_new_string(addr));
	json_object_object_add(e, "name", json_object_new_string(name));
	json_object_object_add(e, "text", json_object_new_string(text));
	json_object_object_add(e, "packet_ts", json_object_new_double(packet_ts));
	json_object_object_add(e, "alarm_ts", json_object_new_double(at));
	event_line(l, e);
	if (json_object_array_length(l->alarm_log) < 256) {
		json_object_object_del(e, "type");
		json_object_array_add(l->alarm_log, e);
	} else {
		json_object_put(e);
	}
}

static void check_drops(watch_local *l, const dv_live_stats *st)
{
	if (st->dropped + st->if_dropped > l->last_drops) {
		char t[160];
		snprintf(t, sizeof(t), "the kernel dropped %llu packet(s) (%llu in all): what they held is unknown",
		         (unsigned long long)(st->dropped + st->if_dropped - l->last_drops),
		         (unsigned long long)(st->dropped + st->if_dropped));
		l->last_drops = st->dropped + st->if_dropped;
		raise_alarm(l, "drops", "warning", "", "", t, now_s());
	}
}

static json_object *stats_reply(watch_local *l)
{
	pthread_mutex_lock(&l->cap->mu);
	dv_live_stats st = l->cap->st;
	st.dropped += l->cap->ring_dropped;
	pthread_mutex_unlock(&l->cap->mu);
	check_drops(l, &st);
	json_object *r = json_object_new_object();
	json_object_object_add(r, "received", json_object_new_uint64(st.received));
	json_object_object_add(r, "dropped", json_object_new_uint64(st.dropped + st.if_dropped));
	json_object_object_add(r, "alarms", json_object_new_uint64(l->alarms));
	return r;
}

/* A spooled capture file, decrypted as the ingest reads it. */
struct spool_in {
	char path[300];
	const uint8_t *key;
	uint64_t size;
};

static int read_spool(void *ctx, int (*sink)(const uint8_t *data, size_t n, void *sp), void *sp)
{
	const struct spool_in *in = ctx;
	return dv_spool_read(in->path, in->key, in->size, sink, sp);
}

/* The HTML report the operator asked for (a file of theirs, in clear by their choice). */
static int read_plain(void *ctx, int (*sink)(const uint8_t *data, size_t n, void *sp), void *sp)
{
	const struct spool_in *in = ctx;
	FILE *f = fopen(in->path, "rbe");
	if (!f) return dv_error_errno(errno, in->path, -1, "cannot open the report");
	uint8_t buf[65536];
	size_t n;
	int rc = 0;
	while (rc == 0 && (n = fread(buf, 1, sizeof(buf), f)) > 0) rc = sink(buf, n, sp);
	if (rc == 0 && ferror(f)) rc = dv_error_errno(errno ? errno : EIO, in->path, -1, "cannot read the report");
	fclose(f);
	return rc;
}

static int store_watch(watch_local *l, json_object *detail)
{
	size_t nmax = (size_t)l->cap->dump_files + 1;
	dv_ingest_stream *st = calloc(nmax, sizeof(*st));
	struct spool_in *in = calloc(nmax, sizeof(*in));
	char (*names)[64] = calloc(nmax, sizeof(*names));
	if (!st || !in || !names) {
		free(st);
		free(in);
		free(names);
		dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
		return cli_fail("watch");
	}
	size_t n = 0;
	for (unsigned i = 0; i < l->cap->dump_files; i++, n++) {
		snprintf(names[n], sizeof(names[n]), "watch-%04u.pcapng", i + 1);
		snprintf(in[n].path, sizeof(in[n].path), "%s/%s", l->cap->dump_dir, names[n]);
		in[n].key = l->cap->spool_key;
		in[n].size = l->cap->seg_bytes[i];
		st[n] = (dv_ingest_stream){ names[n], in[n].size, read_spool, &in[n] };
	}
	struct stat rs;
	if (l->report && stat(l->report, &rs) == 0 && S_ISREG(rs.st_mode)) {
		const char *base = strrchr(l->report, '/');
		snprintf(names[n], sizeof(names[n]), "%s", base ? base + 1 : l->report);
		snprintf(in[n].path, sizeof(in[n].path), "%s", l->report);
		in[n].size = (uint64_t)rs.st_size;
		st[n] = (dv_ingest_stream){ names[n], in[n].size, read_plain, &in[n] };
		n++;
	}
	char label[400];
	snprintf(label, sizeof(label), "watch %s (capture %s)", l->iface, l->cap->dump_dir);
	dv_ingest_opts io = { .streams = st, .nstreams = n, .stream_label = label, .case_name = l->case_name,
		              .operator_name = l->operator_name, .note = l->note, .interrupted = NULL };
	dv_vault *v = l->vault;
	int rc = 0;
	dv_ingest_result res;
	uint64_t seq = 0;
	if (n == 0) {
		dv_error_set(DV_EINVAL, NULL, -1, "nothing was captured to store");
		rc = cli_fail("watch");
	} else if (dv_ingest_evidence(v, &io, DV_ACTION_WATCH, detail, &res, &seq) < 0) {
		rc = cli_fail("watch");
	} else {
		l->evidence = json_object_new_object();
		json_object_object_add(l->evidence, "case", json_object_new_string(l->case_name));
		json_object_object_add(l->evidence, "ingest", json_object_new_int64(res.ingest_id));
		json_object_object_add(l->evidence, "custody_entry", json_object_new_int64((int64_t)seq));
		if (l->cap->dump_errno) {
			json_object_object_add(l->evidence, "capture_incomplete", json_object_new_string(strerror(l->cap->dump_errno)));
			json_object_object_add(l->evidence, "capture_bytes", json_object_new_uint64(l->cap->dump_bytes));
		}
	}
	free(st);
	free(in);
	free(names);
	return rc;
}

static int watch_ask(void *ctx, const char *question, size_t len, const dv_reader_out *outs, char **reply)
{
	(void)len;
	(void)outs;
	watch_local *l = ctx;
	json_object *q = json_tokener_parse(question), *x;
	if (!q || !json_object_is_type(q, json_type_object)) {
		json_object_put(q);
		return dv_error_set(DV_ECORRUPT, "reader", -1, "protocol fault: a watch message is not a JSON object");
	}
	int rc = 0;
	if (json_object_object_get_ex(q, "alarms", &x)) {
		if (!json_object_is_type(x, json_type_array) || json_object_array_length(x) > 1024) rc = -1;
		for (size_t i = 0; rc == 0 && i < json_object_array_length(x); i++) {
			json_object *a = json_object_array_get_idx(x, i);
			const char *cat = cli_reader_str(a, "category", 15), *sev = cli_reader_str(a, "severity", 11), *addr = cli_reader_str(a, "address", 63),
			           *name = cli_reader_str(a, "name", 255), *text = cli_reader_str(a, "text", 767);
			int64_t pts;
			if (!cat || !sev || !addr || !name || !text || !cli_reader_int(a, "packet_ts_ns", &pts) || pts < 0) {
				rc = -1;
				break;
			}
			raise_alarm(l, cat, sev, addr, name, text, (double)pts / 1e9);
		}
	} else if (json_object_object_get_ex(q, "summary", &x)) {
		int64_t frames = 0, bytes = 0, flows = 0;
		if (!cli_reader_int(x, "frames", &frames) || !cli_reader_int(x, "bytes", &bytes) || !cli_reader_int(x, "flows", &flows)) rc = -1;
		else {
			pthread_mutex_lock(&l->cap->mu);
			dv_live_stats st = l->cap->st;
			st.dropped += l->cap->ring_dropped;
			int err = l->cap->error;
			char et[256];
			snprintf(et, sizeof(et), "%s", l->cap->error_text);
			l->cap->error = 0;
			pthread_mutex_unlock(&l->cap->mu);
			check_drops(l, &st);
			char hb[32];
			cli_human_bytes(hb, sizeof(hb), (uint64_t)bytes);
			fprintf(stderr, "watch %s: %lld frames, %s, %lld flows, %llu alarms, kernel drops %llu (received %llu)%s%s\n",
			        cli_esc(l->iface), (long long)frames, hb, (long long)flows, (unsigned long long)l->alarms,
			        (unsigned long long)(st.dropped + st.if_dropped), (unsigned long long)st.received,
			        err ? "; capture fault: " : "", err ? cli_esc(et) : "");
			if (l->cap->dump_errno)
				fprintf(stderr, "watch %s: the rolling capture stopped at %llu bytes: %s (the watch goes on)\n",
				        cli_esc(l->iface), (unsigned long long)l->cap->dump_bytes, strerror(l->cap->dump_errno));
			syslog(LOG_INFO, "summary %s: %lld frames, %lld flows, %llu alarms, kernel drops %llu", l->iface,
			       (long long)frames, (long long)flows, (unsigned long long)l->alarms,
			       (unsigned long long)(st.dropped + st.if_dropped));
			json_object *e = json_object_new_object();
			json_object_object_add(e, "type", json_object_new_string("summary"));
			json_object_object_add(e, "interface", json_object_new_string(l->iface));
			json_object_object_add(e, "frames", json_object_new_int64(frames));
			json_object_object_add(e, "bytes", json_object_new_int64(bytes));
			json_object_object_add(e, "flows", json_object_new_int64(flows));
			json_object_object_add(e, "alarms", json_object_new_uint64(l->alarms));
			json_object_object_add(e, "kernel_drops", json_object_new_uint64(st.dropped + st.if_dropped));
			json_object_object_add(e, "ts", json_object_new_double(now_s()));
			event_line(l, e);
			json_object_put(e);
		}
	} else if (json_object_object_get_ex(q, "final", &x)) {
		/* the report's bytes become the file; the verdict the custody entry */
		const char *verdict = cli_reader_str(x, "verdict", 32);
		if (!verdict) rc = -1;
		json_object *h = NULL;
		if (rc == 0 && l->report &&
		    (!json_object_object_get_ex(x, "report_html", &h) || !json_object_is_type(h, json_type_string)))
			rc = -1;
		if (rc == 0 && l->report) {
			size_t hl = (size_t)json_object_get_string_len(h);
			FILE *f = fopen(l->report, "w");
			bool ok = f && fwrite(json_object_get_string(h), 1, hl, f) == hl;
			if (f && fclose(f) != 0) ok = false;
			if (!ok) {
				dv_error_errno(errno ? errno : EIO, l->report, -1, "cannot write the report");
				l->rc = cli_fail("watch");
			}
		}
		if (rc == 0) {
			json_object *e = json_object_new_object();
			json_object_object_add(e, "type", json_object_new_string("verdict"));
			json_object_object_add(e, "interface", json_object_new_string(l->iface));
			json_object_object_add(e, "verdict", json_object_new_string(verdict));
			json_object_object_add(e, "alarms", json_object_new_uint64(l->alarms));
			json_object_object_add(e, "kernel_drops", json_object_new_uint64(l->last_drops));
			json_object_object_add(e, "ts", json_object_new_double(now_s()));
			event_line(l, e);
			json_object_put(e);
			syslog(LOG_NOTICE, "watch %s ended: %s, %llu alarms, kernel drops %llu", l->iface, verdict,
			       (unsigned long long)l->alarms, (unsigned long long)l->last_drops);
		}
		if (rc == 0 && l->case_name && !l->rc) {
			/* the capture thread has ended (EOF came first): the files are complete */
			if (l->cap->dump) {
				if (dv_spool_close(l->cap->dump, &l->cap->seg_bytes[l->cap->dump_files - 1]) < 0 && !l->cap->dump_errno)
					l->cap->dump_errno = errno ? errno : EIO;
				l->cap->dump = NULL;
			}
			json_object *d = json_object_new_object();
			json_object_object_add(d, "verdict", json_object_new_string(verdict));
			json_object_object_add(d, "interface", json_object_new_string(l->iface));
			json_object_object_add(d, "kernel_drops", json_object_new_uint64(l->last_drops));
			json_object_object_add(d, "alarms", json_object_get(l->alarm_log));
			json_object_object_add(d, "alarms_total", json_object_new_uint64(l->alarms));
			if (l->cap->dump_errno) json_object_object_add(d, "capture_incomplete", json_object_new_string(strerror(l->cap->dump_errno)));
			l->rc = store_watch(l, d);
			json_object_put(d);
		}
	} else if (!json_object_object_get_ex(q, "stats", &x)) {
		rc = -1;
	}
	json_object_put(q);
	if (rc < 0) return dv_error_set(DV_ECORRUPT, "reader", -1, "protocol fault: a malformed watch message");
	json_object *r = stats_reply(l);
	if (l->rc) json_object_object_add(r, "rc", json_object_new_int(l->rc));
	if (l->evidence) json_object_object_add(r, "evidence", json_object_get(l->evidence));
	*reply = strdup(json_object_to_json_string_ext(r, JSON_C_TO_STRING_PLAIN));
	json_object_put(r);
	return *reply ? 0 : dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
}

/* Root gives up root once the interface is open: to the vault owner (or
 * nobody). In a user namespace we stay (our root is no one's outside). */
static void drop_privileges(const char *vault_dir)
/* (the vault directory's owner; else the user sudo was run by) */
{
	if (geteuid() != 0) return;
	FILE *f = fopen("/proc/self/uid_map", "r");
	unsigned long a = 0, b = 0, c = 0;
	bool init_ns = f && fscanf(f, "%lu %lu %lu", &a, &b, &c) == 3 && a == 0 && b == 0 && c == 4294967295UL;
	if (f) fclose(f);
	if (!init_ns) {
		fprintf(stderr, "dronevault watch: running as root of a user namespace: staying as it is (no privileges outside it)\n");
		return;
	}
	uid_t uid = 0;
	gid_t gid = 0;
	struct stat st;
	const char *who = NULL, *sudo_uid = getenv("SUDO_UID"), *sudo_gid = getenv("SUDO_GID");
	if (vault_dir && stat(vault_dir, &st) == 0 && st.st_uid != 0) {
		uid = st.st_uid;
		gid = st.st_gid;
		who = "the vault owner";
	} else if (sudo_uid && sudo_gid && atoi(sudo_uid) > 0 && atoi(sudo_gid) >= 0) {
		uid = (uid_t)atoi(sudo_uid);
		gid = (gid_t)atoi(sudo_gid);
		who = "the user who ran sudo";
	}
	if (!who) {
		fprintf(stderr, "dronevault watch: warning: staying root: no vault owned by a user (--vault) and no SUDO_UID to drop to\n");
		return;
	}
	if (setgroups(0, NULL) < 0 || setgid(gid) < 0 || setuid(uid) < 0) {
		fprintf(stderr, "dronevault watch: cannot drop to uid %u: %s\n", (unsigned)uid, strerror(errno));
		exit(CLI_FAIL);
	}
	fprintf(stderr, "dronevault watch: capturing as uid %u (%s)\n", (unsigned)uid, who);
}

/* ---- the job, in the sandboxed reader ---- */

static json_object *alarm_json(const dv_watch_alarm *a)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "category", json_object_new_string(a->category));
	json_object_object_add(o, "severity", json_object_new_string(a->severity));
	json_object_object_add(o, "address", json_object_new_string(a->addr));
	json_object_object_add(o, "name", json_object_new_string(a->name));
	json_object_object_add(o, "text", json_object_new_string(a->text));
	json_object_object_add(o, "packet_ts_ns", json_object_new_int64(a->packet_ts_ns));
	json_object_object_add(o, "detect_ts_ns", json_object_new_int64(a->detect_ts_ns));
	return o;
}

/* Asks the parent; *reply parsed (caller puts), NULL on failure. */
static json_object *ask(json_object *q)
{
	char *ans = NULL;
	json_object *r = NULL;
	if (dv_reader_ask(json_object_to_json_string_ext(q, JSON_C_TO_STRING_PLAIN), &ans) == 0) r = json_tokener_parse(ans);
	free(ans);
	json_object_put(q);
	return r;
}

static double mono_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int send_alarms(dv_watch *w)
{
	const dv_watch_alarm *al;
	size_t n;
	if (dv_watch_poll(w, &al, &n) < 0) return -1;
	if (!n) return 0;
	json_object *q = json_object_new_object(), *arr = json_object_new_array();
	for (size_t i = 0; i < n; i++) json_object_array_add(arr, alarm_json(&al[i]));
	json_object_object_add(q, "alarms", arr);
	json_object *r = ask(q);
	if (!r) return -1;
	json_object_put(r);
	return 0;
}

static int run_job(const dv_audit_opts *o, int linktype, const char *label, int in_fd, bool json, bool reader_report,
                   double summary_s)
{
	signal(SIGINT, SIG_IGN); /* the parent decides when to stop: EOF */
	signal(SIGTERM, SIG_IGN);
	dv_watch *w;
	if (dv_watch_new(&w, o, linktype, label) < 0) return cli_fail("watch");
	static uint8_t buf[256 * 1024];
	double last_poll = mono_s(), last_sum = last_poll;
	/* a snapshot every 50 ms, or every 4 x what the last one cost (a big
	 * flow table): alarms stay well inside the second */
	double every = 0.05;
	int rc = CLI_OK;
	for (;;) {
		struct pollfd pf = { in_fd, POLLIN, 0 };
		int pr = poll(&pf, 1, 20);
		bool eof = false;
		if (pr > 0) {
			ssize_t n = read(in_fd, buf, sizeof(buf));
			if (n < 0 && errno != EINTR && errno != EAGAIN) {
				rc = cli_fail("watch");
				break;
			}
			if (n == 0) eof = true;
			if (n > 0 && dv_watch_feed(w, buf, (size_t)n) < 0) {
				rc = cli_fail("watch");
				break;
			}
		}
		double t = mono_s();
		if (eof || t - last_poll >= every) {
			if (send_alarms(w) < 0) {
				rc = cli_fail("watch");
				break;
			}
			double cost = mono_s() - t;
			every = cost * 4 > 0.05 ? (cost * 4 < 0.5 ? cost * 4 : 0.5) : 0.05;
			last_poll = t;
		}
		if (summary_s > 0 && t - last_sum >= summary_s) {
			uint64_t fr, by, al;
			dv_watch_counts(w, &fr, &by, &al);
			const dv_audit_stats *st = dv_audit_get_stats(dv_watch_audit(w));
			json_object *q = json_object_new_object(), *s = json_object_new_object();
			json_object_object_add(s, "frames", json_object_new_uint64(fr));
			json_object_object_add(s, "bytes", json_object_new_uint64(by));
			json_object_object_add(s, "flows", json_object_new_uint64(st->flows));
			json_object_object_add(q, "summary", s);
			json_object *r = ask(q);
			if (!r) {
				rc = cli_fail("watch");
				break;
			}
			json_object_put(r);
			last_sum = t;
		}
		if (eof) break;
	}
	if (rc != CLI_OK) {
		dv_watch_free(w);
		return rc;
	}
	dv_audit *a = dv_watch_audit(w);
	if (dv_watch_finish(w) < 0) {
		rc = cli_fail("watch");
		dv_watch_free(w);
		return rc;
	}
	/* the kernel's counters: a watch that lost packets never says clean */
	json_object *q = json_object_new_object();
	json_object_object_add(q, "stats", json_object_new_boolean(1));
	json_object *r = ask(q), *x;
	uint64_t drops = 0, received = 0, alarms = 0;
	if (!r) {
		dv_watch_free(w);
		return cli_fail("watch");
	}
	if (json_object_object_get_ex(r, "dropped", &x)) drops = json_object_get_uint64(x);
	if (json_object_object_get_ex(r, "received", &x)) received = json_object_get_uint64(x);
	if (json_object_object_get_ex(r, "alarms", &x)) alarms = json_object_get_uint64(x);
	json_object_put(r);
	dv_verdict v = dv_audit_verdict(a);
	if (v == DV_VERDICT_CLEAN && drops) v = DV_VERDICT_INCONCLUSIVE;
	/* the HTML report goes with the final question (a job's output pipe
	 * must be closed before it asks, and this job asks all along) */
	char *html = NULL;
	size_t html_len = 0;
	if (reader_report) {
		FILE *rf = open_memstream(&html, &html_len);
		if (!rf || dv_audit_write_html_to(a, rf, "report") < 0) {
			free(html);
			dv_watch_free(w);
			return cli_fail("watch");
		}
	}
	q = json_object_new_object();
	json_object *fin = json_object_new_object();
	json_object_object_add(fin, "verdict", json_object_new_string(dv_verdict_name(v)));
	if (html) json_object_object_add(fin, "report_html", json_object_new_string_len(html, (int)html_len));
	free(html);
	json_object_object_add(q, "final", fin);
	r = ask(q);
	json_object *evidence = NULL;
	int prc = 0;
	if (!r) {
		dv_watch_free(w);
		return cli_fail("watch");
	}
	if (json_object_object_get_ex(r, "rc", &x)) prc = json_object_get_int(x);
	if (json_object_object_get_ex(r, "evidence", &x)) evidence = json_object_get(x);
	json_object_put(r);
	uint64_t frames, bytes, al2;
	dv_watch_counts(w, &frames, &bytes, &al2);
	dv_radio_report *rr = dv_watch_radio(w);
	if (json) {
		char *js;
		if (dv_audit_to_json(a, &js) < 0) {
			json_object_put(evidence);
			dv_watch_free(w);
			return cli_fail("watch");
		}
		json_object *doc = json_tokener_parse(js);
		free(js);
		if (!doc) doc = json_object_new_object();
		json_object *wj = json_object_new_object();
		json_object_object_add(wj, "interface", json_object_new_string(label));
		json_object_object_add(wj, "frames", json_object_new_uint64(frames));
		json_object_object_add(wj, "kernel_received", json_object_new_uint64(received));
		json_object_object_add(wj, "kernel_drops", json_object_new_uint64(drops));
		json_object_object_add(wj, "alarms", json_object_new_uint64(alarms));
		json_object_object_add(wj, "verdict", json_object_new_string(dv_verdict_name(v)));
		json_object_object_add(doc, "watch", wj);
		if (evidence) json_object_object_add(doc, "evidence", json_object_get(evidence));
		char *rj = NULL;
		if (rr && dv_radio_report_json(rr, &rj) == 0) json_object_object_add(doc, "remote_id", json_tokener_parse(rj));
		free(rj);
		fputs(json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
		                                              JSON_C_TO_STRING_NOSLASHESCAPE), stdout);
		fputc('\n', stdout);
		json_object_put(doc);
	} else {
		dv_audit_print(a, stdout);
		if (rr) {
			printf("\nRemote ID broadcasts seen (what anyone within radio range learned):\n");
			dv_radio_report_print(rr, stdout);
		}
		printf("watch: %llu frames, %llu alarms, kernel drops %llu of %llu received%s\n", (unsigned long long)frames,
		       (unsigned long long)alarms, (unsigned long long)drops, (unsigned long long)received,
		       drops ? ": packets were lost, so the watch cannot say clean" : "");
		printf("watch verdict: %s\n", dv_verdict_name(v));
		if (evidence) {
			json_object *ing = NULL, *seq = NULL, *cs = NULL;
			json_object_object_get_ex(evidence, "ingest", &ing);
			json_object_object_get_ex(evidence, "custody_entry", &seq);
			json_object_object_get_ex(evidence, "case", &cs);
			printf("evidence: stored in case %s (ingest %lld), verdict in custody entry %lld\n",
			       cli_esc(json_object_get_string(cs)), (long long)json_object_get_int64(ing),
			       (long long)json_object_get_int64(seq));
			json_object *inc = NULL, *cb = NULL;
			if (json_object_object_get_ex(evidence, "capture_incomplete", &inc) &&
			    json_object_object_get_ex(evidence, "capture_bytes", &cb))
				printf("evidence: the stored capture is incomplete: it stopped at %llu bytes (%s); "
				       "the watch and its verdict cover every frame\n",
				       (unsigned long long)json_object_get_uint64(cb), cli_esc(json_object_get_string(inc)));
		}
	}
	json_object_put(evidence);
	dv_watch_free(w);
	if (prc) return prc;
	return v == DV_VERDICT_LEAK ? CLI_FINDING : v == DV_VERDICT_INCONCLUSIVE ? CLI_INCONCLUSIVE : CLI_OK;
}

static int parse_num(const char *s, double max, double *out)
{
	char *e;
	errno = 0;
	double v = strtod(s, &e);
	if (errno || e == s || *e || !(v >= 0) || v > max) return -1;
	*out = v;
	return 0;
}

int cmd_watch(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "interface", required_argument, NULL, 'i' },
		{ "policy", required_argument, NULL, 'p' },
		{ "events", required_argument, NULL, 'E' },
		{ "seconds", required_argument, NULL, 's' },
		{ "summary", required_argument, NULL, 'S' },
		{ "report", required_argument, NULL, 'r' },
		{ "json", no_argument, NULL, 'j' },
		{ "buffer", required_argument, NULL, 'b' },
		{ "from-file", required_argument, NULL, 'F' },
		{ "immediate", no_argument, NULL, 'I' },
		{ "rotate", required_argument, NULL, 'T' },
		{ "endpoints", required_argument, NULL, 'e' },
		{ "geo-db", required_argument, NULL, 'g' },
		{ "no-geo", no_argument, NULL, 'G' },
		{ "no-ndpi", no_argument, NULL, 'N' },
		{ "max-flows", required_argument, NULL, 'm' },
		{ "case", required_argument, NULL, 'c' },
		{ "operator", required_argument, NULL, 'o' },
		{ "note", required_argument, NULL, 'n' },
		{ "key-file", required_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ "x-reader-linktype", required_argument, NULL, 'L' },
		{ "x-reader-report", no_argument, NULL, 'R' },
		{ NULL, 0, NULL, 0 }
	};
	dv_audit_opts o = { 0 };
	const char *iface = NULL, *events = NULL, *report = NULL, *from_file = NULL, *case_name = NULL,
	           *operator_name = NULL, *note = NULL, *key_file = NULL, *max_flows = NULL;
	double seconds = 0, summary = 10, buffer_mib = 64, linktype = -1, rotate_mib = 256;
	bool json = false, reader_report = false;
	int c, immediate = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "hi:", opts, NULL)) != -1) {
		switch (c) {
		case 'i': iface = optarg; break;
		case 'p': o.policy_path = optarg; break;
		case 'E': events = optarg; break;
		case 's': if (parse_num(optarg, 1e9, &seconds) < 0) return cli_usage("watch", "bad --seconds '%s'", cli_esc(optarg)); break;
		case 'S': if (parse_num(optarg, 86400, &summary) < 0) return cli_usage("watch", "bad --summary '%s'", cli_esc(optarg)); break;
		case 'b': if (parse_num(optarg, 2047, &buffer_mib) < 0 || buffer_mib < 1) return cli_usage("watch", "bad --buffer '%s' (1-2047 MiB)", cli_esc(optarg)); break;
		case 'r': report = optarg; break;
		case 'j': json = true; break;
		case 'F': from_file = optarg; break;
		case 'I': immediate = 1; break;
		case 'T': if (parse_num(optarg, 1e6, &rotate_mib) < 0 || rotate_mib < 0.001) return cli_usage("watch", "bad --rotate '%s' (MiB)", cli_esc(optarg)); break;
		case 'e': o.endpoints_path = optarg; break;
		case 'g': o.locdb_path = optarg; break;
		case 'G': o.no_geo = 1; break;
		case 'N': o.no_ndpi = 1; break;
		case 'm': {
			double v;
			if (parse_num(optarg, 1e8, &v) < 0) return cli_usage("watch", "bad --max-flows '%s'", cli_esc(optarg));
			o.max_flows = (size_t)v;
			max_flows = optarg;
			break;
		}
		case 'c': case_name = optarg; break;
		case 'o': operator_name = optarg; break;
		case 'n': note = optarg; break;
		case 'k': key_file = optarg; break;
		case 'L':
		case 'R':
			if (!cli_in_reader) return cli_usage("watch", "unknown option");
			if (c == 'R') reader_report = true;
			else if (parse_num(optarg, 65535, &linktype) < 0) return cli_usage("watch", "bad link type");
			break;
		case 'h': help(stdout); return CLI_OK;
		default: return cli_usage("watch", "unknown option");
		}
	}
	if (cli_in_reader) {
		if (linktype < 0 || !iface) return cli_usage("watch", "the reader needs the link type and the label");
		return run_job(&o, (int)linktype, iface, DV_READER_OUT_FD, json, reader_report, summary);
	}
	if (optind != argc) return cli_usage("watch", "unexpected argument '%s'", cli_esc(argv[optind]));
	if (!iface && !from_file) return cli_usage("watch", "-i IFACE is required (or --from-file CAPTURE)");
	if (iface && from_file) return cli_usage("watch", "-i and --from-file exclude each other");
	if (case_name && (!*case_name || strlen(case_name) > 200)) return cli_usage("watch", "bad --case ID");
	if (case_name && (!operator_name || !*operator_name)) return cli_usage("watch", "--case needs --operator NAME");
	if (!case_name && (operator_name || note || key_file))
		return cli_usage("watch", "--operator, --note and --key-file go with --case");
	/* the label of messages and events: the interface, or the file's name */
	char label_buf[61];
	const char *base = from_file ? strrchr(from_file, '/') : NULL;
	snprintf(label_buf, sizeof(label_buf), "%s", iface ? iface : base ? base + 1 : from_file);
	if (iface && strlen(iface) > 60) return cli_usage("watch", "interface name too long");
	const char *label = label_buf;

	/* the events file: opened before privileges are dropped, kept here */
	FILE *ev = NULL;
	if (events) {
		ev = strcmp(events, "-") ? fopen(events, "a") : stdout;
		if (!ev) {
			dv_error_errno(errno, events, -1, "cannot open the events file");
			return cli_fail("watch");
		}
	}
	/* --case: the vault is opened (and its key checked) before the watch
	 * starts, and held: other writers are told "watch by NAME" */
	dv_vault *vault = NULL;
	if (case_name) {
		char holder[256];
		snprintf(holder, sizeof(holder), "watch by %s", operator_name);
		int vrc = cli_open_vault_writer("watch", NULL, key_file, holder, 0, &vault);
		if (vrc) {
			if (ev && ev != stdout) fclose(ev);
			return vrc;
		}
	}
	dv_live *live;
	int orc = iface ? dv_live_open(&live, iface, (size_t)(buffer_mib * 1048576.0), immediate) : dv_live_open_file(&live, from_file);
	if (orc < 0) {
		if (ev && ev != stdout) fclose(ev);
		if (vault) dv_vault_close(vault);
		return cli_fail("watch");
	}
	openlog("dronevault-watch", LOG_PID, LOG_DAEMON);
	drop_privileges(cli_vault_dir(NULL));
	/* the rolling capture for --case: in a private directory, created as
	 * the user we now are (the ingest reads it as that user) */
	capture_ctx cap = { .live = live, .seconds = seconds, .rotate = (uint64_t)(rotate_mib * 1048576.0),
		            .dump_linktype = dv_live_linktype(live) };
	if (case_name) {
		/* $TMPDIR when it is an absolute path of a sane length (a disk
		 * with room for hours of capture), else /tmp */
		const char *td = getenv("TMPDIR");
		if (!td || td[0] != '/' || strlen(td) > 200) td = "/tmp";
		snprintf(cap.dump_dir, sizeof(cap.dump_dir), "%s/dronevault-watch-XXXXXX", td);
		if (!mkdtemp(cap.dump_dir)) {
			dv_error_errno(errno, td, -1, "cannot create a directory for the capture");
			dv_live_close(live);
			if (vault) dv_vault_close(vault);
			return cli_fail("watch");
		}
		cap.dumping = true;
		dv_random(cap.spool_key, sizeof(cap.spool_key));
		if (!(cap.seg_bytes = calloc(DUMP_FILES_MAX, sizeof(*cap.seg_bytes)))) {
			rmdir(cap.dump_dir);
			dv_live_close(live);
			if (vault) dv_vault_close(vault);
			dv_error_set(DV_ENOMEM, NULL, -1, "out of memory");
			return cli_fail("watch");
		}
	}
	signal(SIGPIPE, SIG_IGN);
	cli_catch_signals();

	int pfd[2];
	if (pipe2(pfd, O_CLOEXEC) < 0) {
		dv_error_errno(errno, "pipe", -1, "cannot create the frame pipe");
		dv_live_close(live);
		return cli_fail("watch");
	}
	(void)fcntl(pfd[1], F_SETPIPE_SZ, 1 << 20);
	(void)fcntl(pfd[1], F_SETFL, O_NONBLOCK); /* our end only: the ring never waits */
	cap.wfd = pfd[1];
	atomic_init(&cap.stop, false);
	atomic_init(&cap.done, false);
	pthread_mutex_init(&cap.mu, NULL);
	watch_local l = { .cap = &cap, .iface = label, .report = report, .case_name = case_name,
		          .operator_name = operator_name, .note = note, .key_file = key_file,
		          .events = ev, .alarm_log = json_object_new_array(),
		          .vault = vault };
	char lts[16];
	snprintf(lts, sizeof(lts), "%d", dv_live_linktype(live));
	char sums[32];
	snprintf(sums, sizeof(sums), "%g", summary);
	char *av[40];
	int n = 0;
	av[n++] = (char *)"watch";
	av[n++] = (char *)"-i";
	av[n++] = (char *)label;
	av[n++] = (char *)"--x-reader-linktype";
	av[n++] = lts;
	av[n++] = (char *)"--summary";
	av[n++] = sums;
	n = cli_audit_reader_args(av, n, &o, max_flows, json, report);
	av[n] = NULL;
	fprintf(stderr, "dronevault watch: watching %s (link type %s)%s; Ctrl-C stops\n", cli_esc(label),
	        dv_linktype_name(dv_live_linktype(live)), from_file ? ", a capture file fed through the live path" : "");
	pthread_t th;
	int code = CLI_FAIL;
	if (pthread_create(&th, NULL, capture_main, &cap) != 0) {
		dv_error_set(DV_ENOMEM, NULL, -1, "cannot start the capture thread");
		close(pfd[0]);
		close(pfd[1]);
		dv_live_close(live);
		return cli_fail("watch");
	}
	dv_reader_io io = { .nout = 0, .out_max = 512u << 20, .ask = watch_ask, .ctx = &l, .in_fd = pfd[0] };
	if (dv_reader_run_io("watch", n, av, &io, &code) < 0) {
		fprintf(stderr, "dronevault watch: %s\n", dv_error_text());
		code = CLI_FAIL;
	}
	atomic_store(&cap.stop, true);
	pthread_join(th, NULL);
	if (cap.wfd >= 0) close(cap.wfd);
	dv_reader_io_dispose(&io);
	if (l.rc && code == CLI_OK) code = l.rc;
	if (cli_interrupted) fprintf(stderr, "dronevault watch: stopped by a signal\n");
	json_object_put(l.alarm_log);
	json_object_put(l.evidence);
	if (cap.dump) dv_spool_close(cap.dump, NULL);
	dv_wipe(cap.spool_key, sizeof(cap.spool_key));
	free(cap.seg_bytes);
	if (case_name) {
		/* stored in the vault (or not): the working copies go */
		for (unsigned i = 0; i < cap.dump_files; i++) {
			char path[300];
			snprintf(path, sizeof(path), "%s/watch-%04u.pcapng", cap.dump_dir, i + 1);
			unlink(path);
		}
		rmdir(cap.dump_dir);
	}
	if (ev && ev != stdout) fclose(ev);
	dv_live_close(live);
	if (vault) dv_vault_close(vault);
	closelog();
	return code;
}
