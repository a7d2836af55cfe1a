#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "dv/err.h"
#include "dv/index.h"
#include "dv/ingest.h"
#include "dv/util.h"

static const char ingest_help[] =
	"usage: dronevault ingest --case ID --operator NAME [--note TEXT] [--again] [--json] SOURCE\n"
	"\n"
	"Acquires SOURCE into case ID of the vault: every file is hashed (SHA-256),\n"
	"encrypted and stored once by content; its path, size and times are recorded;\n"
	"the ingest is signed into the custody log. Photos, SRT sidecars and flight\n"
	"records are understood on the way in (see 'dronevault flights').\n"
	"\n"
	"SOURCE is one of\n"
	"  a directory     a mounted card, a DCIM folder, the drone's storage over USB\n"
	"  a card image    a raw image (dd) or a block device holding FAT or exFAT, read\n"
	"                  with The Sleuth Kit without mounting; the whole image is\n"
	"                  hashed too, as forensic imagers do\n"
	"  an E01 image    Expert Witness (EWF1, e.g. ewfacquire, Guymager): its\n"
	"                  embedded MD5/SHA-1 are checked against its data (a mismatch\n"
	"                  is refused) and recorded; Ex01 (EWF2) is refused, convert it\n"
	"\n"
	"The source is opened read-only and never written. It is read and parsed by\n"
	"a sandboxed helper (dv-reader: no network, no programs, no writes; seccomp\n"
	"and Landlock); this process only hashes, encrypts and stores. Ctrl-C stops cleanly;\n"
	"after Ctrl-C, a crash or a power cut, run the same command again: it goes on\n"
	"where it stopped and stores nothing twice. Run again after it completed, it\n"
	"reads the source once more and, when every path, time and SHA-256 (an image:\n"
	"the image's SHA-256) is that of the complete ingest, says so and records\n"
	"nothing (--again records a new ingest anyway).\n"
	"\n"
	"An entry that cannot be read or even listed (a path over 4095 bytes,\n"
	"directories nested deeper than 64, a file changed or a directory swapped for\n"
	"a link while it is read) is a failed file: named, not stored, the rest is\n"
	"stored and the ingest stays open (exit 1; a re-run retries the failed ones).\n"
	"\n"
	"Options:\n"
	"  --case ID         case to file it under (created if new), e.g. 2026-0042\n"
	"  --operator NAME   who acquires it (custody log)\n"
	"  --note TEXT       free text for the custody log (seal number, drone serial...)\n"
	"  --vault DIR       the vault (default $DRONEVAULT_VAULT or ./vault)\n"
	"  --key-file FILE   open the vault with a key file instead of a passphrase\n"
	"  --again           record a new ingest even if this source is already\n"
	"                    complete in the case with the identical files\n"
	"  --recover-deleted an image's deleted files (FAT, exFAT: the entries of its\n"
	"                    directories, with the clusters they pointed to) instead of\n"
	"                    its allocated ones, as an ingest of their own (kind\n"
	"                    \"recovered\", exported under its own ingest-N/): never mixed\n"
	"                    with the card's files. The custody entry lists per file\n"
	"                    how many bytes lay in still-free clusters and whether some\n"
	"                    were reallocated to another file since (then what was read\n"
	"                    there is not the deleted file's)\n"
	"  --no-telemetry    store only; do not index positions and times now\n"
	"                    ('dronevault reindex' can do it later)\n"
	"  --json            print a JSON summary on stdout; its counts:\n"
	"                    files = files_new + files_resumed + files_failed, every\n"
	"                    file of the source once; files_new: recorded by this run;\n"
	"                    files_deduplicated: of those, content the vault already\n"
	"                    held (stored once); files_resumed: recorded by an earlier\n"
	"                    run (or, with already_complete, by the complete ingest);\n"
	"                    files_failed: not stored (unreadable or unlistable);\n"
	"                    already_complete: true when nothing was recorded because\n"
	"                    ingest N already holds exactly these files (exit 0)\n"
	"  --wait[=SECONDS]  if another writer holds the vault, wait for it (for ever,\n"
	"                    or SECONDS) instead of failing at once\n"
	"\n"
	"Exit status: 0 all files stored (or already complete), 1 some files failed or the vault refused\n"
	"(e.g. disk full; everything stored before is kept), 3 wrong passphrase,\n"
	CLI_BUSY_HELP
	"130 interrupted.\n"
	"\n"
	"Example:\n"
	"  dronevault ingest --case 2026-0042 --operator 'PC Weber' /media/pcw/DJI_CARD\n"
	"  dronevault ingest --case 2026-0042 --operator 'PC Weber' card.img\n";

static void on_progress(const dv_ingest_progress *p, void *payload)
{
	(void)payload;
	cli_progress(p->phase, p->files_done, p->files_total, p->bytes_done, p->bytes_total);
}

static unsigned failures;
static void on_file_error(const char *path, const char *msg, void *payload)
{
	(void)path;
	(void)payload;
	failures++;
	cli_progress_end();
	fprintf(stderr, "dronevault ingest: %s\n", cli_esc(msg));
}

static void hexstr(json_object *o, const char *k, const uint8_t *b)
{
	char h[65];
	dv_hex(h, b, 32);
	json_object_object_add(o, k, json_object_new_string(h));
}

int cmd_ingest(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "case", required_argument, NULL, 'c' }, { "operator", required_argument, NULL, 'o' },
		{ "note", required_argument, NULL, 'n' }, { "vault", required_argument, NULL, 'v' },
		{ "key-file", required_argument, NULL, 'k' }, { "json", no_argument, NULL, 'j' },
		{ "no-telemetry", no_argument, NULL, 'T' }, { "wait", optional_argument, NULL, 'W' },
		{ "again", no_argument, NULL, 'A' }, { "recover-deleted", no_argument, NULL, 'R' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 }
	};
	const char *vault = NULL, *key_file = NULL;
	dv_ingest_opts io = { 0 };
	bool json = false, telemetry_on = true;
	double wait = 0;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': io.case_name = optarg; break;
		case 'o': io.operator_name = optarg; break;
		case 'n': io.note = optarg; break;
		case 'v': vault = optarg; break;
		case 'k': key_file = optarg; break;
		case 'j': json = true; break;
		case 'T': telemetry_on = false; break;
		case 'A': io.again = true; break;
		case 'R': io.recover_deleted = true; break;
		case 'W':
			if (cli_parse_wait("ingest", optarg, &wait)) return CLI_USAGE;
			break;
		case 'h': fputs(ingest_help, stdout); return CLI_OK;
		default: return cli_usage("ingest", "unknown option");
		}
	}
	if (!io.case_name || !*io.case_name) return cli_usage("ingest", "--case ID is required");
	if (!io.operator_name || !*io.operator_name) return cli_usage("ingest", "--operator NAME is required");
	if (optind != argc - 1) return cli_usage("ingest", "give exactly one SOURCE (a directory, image or device)");
	if (strlen(io.case_name) > 200) return cli_usage("ingest", "case ID longer than 200 characters");
	if (io.note && strlen(io.note) > 1000) return cli_usage("ingest", "--note longer than 1000 characters");
	io.source = argv[optind];
	io.progress = on_progress;
	io.file_error = on_file_error;
	io.interrupted = &cli_interrupted;
	dv_ingest_observer telemetry;
	dv_index_observer(&telemetry);   /* positions, times, serials: as the bytes stream in */
	io.observer = telemetry_on ? &telemetry : NULL;

	dv_vault *v;
	char holder[300];
	snprintf(holder, sizeof(holder), "ingest by %s", io.operator_name);
	int rc = cli_open_vault_writer("ingest", vault, key_file, holder, wait, &v);
	if (rc) return rc;
	cli_catch_signals();
	dv_ingest_result res;
	rc = dv_ingest(v, &io, &res);
	cli_progress_end();
	int exit_code = CLI_OK;
	if (rc < 0) {
		exit_code = cli_fail("ingest");
		if (rc == DV_EINTR)
			fprintf(stderr, "dronevault ingest: stopped after %llu of %llu files; run the same command again to resume\n",
			        (unsigned long long)(res.files_new + res.files_resumed), (unsigned long long)res.files_total);
	}
	if (json) {
		json_object *o = json_object_new_object();
		json_object_object_add(o, "case", json_object_new_string(io.case_name));
		json_object_object_add(o, "ingest", json_object_new_int64(res.ingest_id));
		json_object_object_add(o, "source", json_object_new_string(io.source));
		json_object_object_add(o, "kind", json_object_new_string(res.kind));
		if (res.fs_type[0]) json_object_object_add(o, "fs_type", json_object_new_string(res.fs_type));
		json_object_object_add(o, "complete", json_object_new_boolean(res.complete));
		json_object_object_add(o, "resumed", json_object_new_boolean(res.resumed));
		json_object_object_add(o, "already_complete", json_object_new_boolean(res.already_complete));
		json_object_object_add(o, "files", json_object_new_int64((int64_t)res.files_total));
		json_object_object_add(o, "files_new", json_object_new_int64((int64_t)res.files_new));
		json_object_object_add(o, "files_resumed", json_object_new_int64((int64_t)res.files_resumed));
		json_object_object_add(o, "files_deduplicated", json_object_new_int64((int64_t)res.files_dedup));
		json_object_object_add(o, "files_failed", json_object_new_int64((int64_t)res.files_failed));
		json_object_object_add(o, "files_skipped_special", json_object_new_int64((int64_t)res.specials_skipped));
		json_object_object_add(o, "bytes", json_object_new_int64((int64_t)res.bytes_total));
		json_object_object_add(o, "bytes_read", json_object_new_int64((int64_t)res.bytes_read));
		if (res.has_image_hash) {
			hexstr(o, "image_sha256", res.image_sha256);
			json_object_object_add(o, "image_size", json_object_new_int64((int64_t)res.image_size));
		}
		if (res.image_format[0]) json_object_object_add(o, "image_format", json_object_new_string(res.image_format));
		if (res.ewf_md5[0]) {
			json_object_object_add(o, "e01_md5", json_object_new_string(res.ewf_md5));
			json_object_object_add(o, "e01_md5_verified", json_object_new_boolean(res.ewf_md5_verified));
		}
		if (res.ewf_sha1[0]) {
			json_object_object_add(o, "e01_sha1", json_object_new_string(res.ewf_sha1));
			json_object_object_add(o, "e01_sha1_verified", json_object_new_boolean(res.ewf_sha1_verified));
		}
		if (res.complete) {
			hexstr(o, "manifest_sha256", res.manifest);
			json_object_object_add(o, "custody_entry", json_object_new_int64((int64_t)res.log_seq));
		}
		if (io.recover_deleted)
			json_object_object_add(o, "files_reallocated", json_object_new_int64((int64_t)res.files_reallocated));
		json_object_object_add(o, "network_sandbox", json_object_new_boolean(res.sandboxed));
		json_object_object_add(o, "seconds", json_object_new_double(res.seconds));
		if (rc < 0) json_object_object_add(o, "error", json_object_new_string(dv_error_text()));
		cli_print_json(o);
		json_object_put(o);
	} else if (rc == 0 && res.already_complete) {
		printf("already complete: ingest %lld of case %s holds exactly these %llu files from %s; nothing recorded "
		       "(--again records a new ingest)\n",
		       (long long)res.ingest_id, cli_esc(io.case_name), (unsigned long long)res.files_total, cli_esc(io.source));
		char hex[65];
		dv_hex(hex, res.manifest, 32);
		printf("  manifest SHA-256  %s\n  custody entry     %llu\n", hex, (unsigned long long)res.log_seq);
	} else if (rc == 0 || res.ingest_id) {
		char total[32], speed[32], hex[65];
		cli_human_bytes(total, sizeof(total), res.bytes_total);
		cli_human_bytes(speed, sizeof(speed), res.seconds > 0 ? (uint64_t)((double)res.bytes_read / res.seconds) : 0);
		printf("%s ingest %lld of case %s: %llu %sfiles, %s, from %s (%s%s%s)\n",
		       res.complete ? "completed" : "unfinished", (long long)res.ingest_id, cli_esc(io.case_name),
		       (unsigned long long)res.files_total, io.recover_deleted ? "deleted " : "", total, cli_esc(io.source), res.kind,
		       res.fs_type[0] ? ", " : "",
		       res.fs_type);
		/* N + M + F = files: new content, already in the vault (by content,
		 * or recorded by an earlier run of this ingest), failed */
		printf("  stored %llu new, %llu already in the vault, %llu failed%s; %llu special files skipped\n",
		       (unsigned long long)(res.files_new - res.files_dedup),
		       (unsigned long long)(res.files_dedup + res.files_resumed), (unsigned long long)res.files_failed,
		       res.resumed ? " (resumed)" : "", (unsigned long long)res.specials_skipped);
		if (res.has_image_hash) {
			dv_hex(hex, res.image_sha256, 32);
			printf("  image SHA-256     %s%s\n", hex, !strcmp(res.image_format, "e01") ? " (the E01 file)" : "");
		}
		if (res.ewf_md5[0]) printf("  E01 MD5           %s (%s)\n", res.ewf_md5, res.ewf_md5_verified ? "matches the data" : "NOT MATCHED");
		if (res.ewf_sha1[0]) printf("  E01 SHA-1         %s (%s)\n", res.ewf_sha1, res.ewf_sha1_verified ? "matches the data" : "NOT MATCHED");
		if (res.complete) {
			dv_hex(hex, res.manifest, 32);
			printf("  manifest SHA-256  %s\n  custody entry     %llu\n", hex, (unsigned long long)res.log_seq);
		}
		printf("  %.1f s, %s/s, network sandbox %s\n", res.seconds, speed, res.sandboxed ? "on" : "OFF");
	}
	dv_vault_close(v);
	return exit_code;
}
