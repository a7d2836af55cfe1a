/*
 * cmd_lockdown.c - `dronevault lockdown`: the rules that keep the drone
 * segment off the Internet, for the hotspot or gateway serving it
 * (dv/enforce.h). The policy file is parsed in the sandboxed reader, which
 * hands back the rules' text; this process writes --out and, with --apply
 * only, runs nft (never before nft -c -f accepted the rules).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "dv/enforce.h"
#include "dv/err.h"
#include "dv/reader.h"

static void help(FILE *out)
{
	fprintf(out,
	        "usage: dronevault lockdown --format nft|dnsmasq|unbound|hosts [--policy FILE] [--out FILE]\n"
	        "                           [--resolver ADDR] [--sinkhole nxdomain|ADDR] [--third-party]\n"
	        "                           [--endpoints FILE] [--check | --apply]\n"
	        "\n"
	        "Writes the rules that keep the drone segment (drone, controller, the tablet or phone\n"
	        "running the app) off the Internet, for the hotspot or gateway that serves it:\n"
	        "  nft      an nftables ruleset (table inet dronevault): traffic forwarded from the\n"
	        "           drone segment is dropped unless the policy allows its destination;\n"
	        "           drops are counted (nft list counters) and logged with the prefix\n"
	        "           'dronevault-drop: '; IPv4 and IPv6; DNS only to the resolver\n"
	        "  dnsmasq  a sinkhole list of the maker's domains (address=/domain/, subdomains too)\n"
	        "  unbound  the same as local-zone lines\n"
	        "  hosts    /etc/hosts lines: no wildcards there, so only the names listed (warned)\n"
	        "Without --policy: the built-in policy, nothing external allowed, every maker endpoint\n"
	        "of dronevault's list sinkholed. The policy format: dronevault policy --help.\n"
	        "\n"
	        "  --policy FILE     the policy (segment-interface, segment-net, allow-net, resolver, ...)\n"
	        "  --out FILE        write the rules there (default: standard output)\n"
	        "  --resolver ADDR   the only DNS server the segment may use (default: the policy's;\n"
	        "                    none: DNS only to this host itself)\n"
	        "  --sinkhole X      DNS answer for a sinkholed name: nxdomain (default) or an IPv4\n"
	        "                    address such as 0.0.0.0 (hosts: always an address)\n"
	        "  --third-party     also sinkhole the SDKs embedded in the maker's apps (maps, analytics)\n"
	        "  --endpoints FILE  more endpoints (format of data/endpoints.tsv)\n"
	        "  --check           nft only: have 'nft -c -f' validate the rules (nothing loaded)\n"
	        "  --apply           nft only: validate with 'nft -c -f', then load them (root)\n"
	        "\n"
	        "Review the rules before loading them: nft -f FILE. See docs/enforce.md.\n"
	        "Exit: 0 done, 1 failure (nft refused the rules: its messages are shown), 2 usage.\n");
}

static int write_out(const char *path, const unsigned char *p, size_t n)
{
	char tmp[4200];
	int k = snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
	if (k < 0 || (size_t)k >= sizeof(tmp)) return dv_error_set(DV_EINVAL, path, -1, "path too long");
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0) return dv_error_errno(errno, path, -1, "cannot create");
	size_t off = 0;
	while (off < n) {
		ssize_t w = write(fd, p + off, n - off);
		if (w < 0 && errno == EINTR) continue;
		if (w <= 0) {
			int e = errno;
			close(fd);
			unlink(tmp);
			return dv_error_errno(e, path, (int64_t)off, "cannot write");
		}
		off += (size_t)w;
	}
	if (fsync(fd) < 0 || close(fd) < 0 || rename(tmp, path) < 0) {
		int e = errno;
		unlink(tmp);
		return dv_error_errno(e, path, -1, "cannot write");
	}
	return 0;
}

int cmd_lockdown(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "policy", required_argument, NULL, 'p' },
		{ "format", required_argument, NULL, 'f' },
		{ "out", required_argument, NULL, 'o' },
		{ "resolver", required_argument, NULL, 'r' },
		{ "sinkhole", required_argument, NULL, 's' },
		{ "third-party", no_argument, NULL, 't' },
		{ "endpoints", required_argument, NULL, 'e' },
		{ "check", no_argument, NULL, 'c' },
		{ "apply", no_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ "x-reader-out", no_argument, NULL, 'X' },
		{ NULL, 0, NULL, 0 }
	};
	dv_lockdown_opts o = { .format = DV_LOCKDOWN_NFT };
	const char *out = NULL, *fmt = NULL;
	bool check = false, apply = false, reader_out = false;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'p': o.policy_path = optarg; break;
		case 'f': fmt = optarg; break;
		case 'o': out = optarg; break;
		case 'r': o.resolver = optarg; break;
		case 's': o.sinkhole = optarg; break;
		case 't': o.third_party = 1; break;
		case 'e': o.endpoints_path = optarg; break;
		case 'c': check = true; break;
		case 'a': apply = true; break;
		case 'X':
			if (!cli_in_reader) return cli_usage("lockdown", "unknown option '--x-reader-out'");
			reader_out = true;
			break;
		case 'h': help(stdout); return CLI_OK;
		default: return cli_usage("lockdown", "unknown option");
		}
	}
	if (optind != argc) return cli_usage("lockdown", "unexpected argument '%s'", cli_esc(argv[optind]));
	if (!fmt) return cli_usage("lockdown", "--format nft|dnsmasq|unbound|hosts is required");
	int f = dv_lockdown_format_parse(fmt);
	if (f < 0) return cli_usage("lockdown", "unknown --format '%s' (nft, dnsmasq, unbound, hosts)", cli_esc(fmt));
	o.format = (dv_lockdown_format)f;
	if ((check || apply) && o.format != DV_LOCKDOWN_NFT) return cli_usage("lockdown", "--check and --apply are for --format nft");
	if (cli_in_reader) {
		/* the job: parse the policy, write the rules to the parent's pipe */
		char *rules, *warn;
		if (dv_lockdown_generate(&rules, &warn, &o) < 0) return cli_fail("lockdown");
		if (warn) fprintf(stderr, "dronevault lockdown: warning: %s", warn);
		FILE *rf = reader_out ? fdopen(DV_READER_OUT_FD, "w") : stdout;
		int rc = CLI_OK;
		if (!rf || fputs(rules, rf) < 0 || fflush(rf) != 0) rc = CLI_FAIL;
		if (rf && rf != stdout) fclose(rf);
		free(rules);
		free(warn);
		return rc;
	}
	char *av[24];
	int n = 0;
	av[n++] = (char *)"lockdown";
	av[n++] = (char *)"--format";
	av[n++] = (char *)fmt;
#define OPT2(name, val) if (val) { av[n++] = (char *)name; av[n++] = (char *)(val); }
	OPT2("--policy", o.policy_path);
	OPT2("--resolver", o.resolver);
	OPT2("--sinkhole", o.sinkhole);
	OPT2("--endpoints", o.endpoints_path);
#undef OPT2
	if (o.third_party) av[n++] = (char *)"--third-party";
	av[n++] = (char *)"--x-reader-out";
	av[n] = NULL;
	dv_reader_io io = { .nout = 1, .out_max = 64u << 20 };
	int code;
	if (dv_reader_run_io("lockdown", n, av, &io, &code) < 0) {
		fprintf(stderr, "dronevault lockdown: %s\n", dv_error_text());
		dv_reader_io_dispose(&io);
		return CLI_FAIL;
	}
	if (code != CLI_OK) {
		dv_reader_io_dispose(&io);
		return code;
	}
	/* the rules as text: one NUL-terminated copy */
	size_t len = io.out[0].len;
	char *rules = malloc(len + 1);
	if (!rules) {
		dv_reader_io_dispose(&io);
		return cli_usage("lockdown", "out of memory");
	}
	if (len) memcpy(rules, io.out[0].data, len);
	rules[len] = 0;
	dv_reader_io_dispose(&io);
	if (strlen(rules) != len) {
		free(rules);
		dv_error_set(DV_ECORRUPT, "reader", -1, "protocol fault: the rules hold a NUL byte");
		return cli_fail("lockdown");
	}
	int rc = CLI_OK;
	if (out ? write_out(out, (const unsigned char *)rules, len) < 0 : fputs(rules, stdout) < 0) rc = cli_fail("lockdown");
	if (rc == CLI_OK && (check || apply)) {
		char *diag = NULL;
		if (dv_lockdown_nft(&diag, rules, apply ? DV_NFT_APPLY : DV_NFT_CHECK) < 0) {
			if (diag && *diag) fprintf(stderr, "%s", diag);
			rc = cli_fail("lockdown");
		} else {
			fprintf(stderr, "dronevault lockdown: nft -c -f accepted the rules%s\n",
			        apply ? "; loaded (nft list table inet dronevault)" : "");
		}
		free(diag);
	}
	free(rules);
	return rc;
}
