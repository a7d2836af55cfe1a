#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "dv/err.h"
#include "dv/sample.h"

static const char sample_help[] =
	"usage: dronevault sample-card [--photos N] [--lat DEG --lon DEG] [--json] DIR\n"
	"\n"
	"Writes the card of a short, made-up survey flight into DIR, laid out as a\n"
	"DJI drone writes it: DCIM/100MEDIA/DJI_0001.JPG ... (real JPEGs with EXIF GPS\n"
	"and DJI XMP drone-dji: fields) and a video sidecar DJI_00NN.SRT. Positions,\n"
	"times and serial numbers are invented; use it to try dronevault, to train,\n"
	"and in tests.\n"
	"\n"
	"Options:\n"
	"  --photos N        photos to take (default 12)\n"
	"  --lat, --lon DEG  centre of the scene (default 46.9375, 7.3960)\n"
	"  --json            print what was written as JSON\n";

static int parse_double(const char *s, double *out)
{
	char *end;
	*out = strtod(s, &end);
	return *s && !*end ? 0 : -1;
}

int cmd_sample_card(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "photos", required_argument, NULL, 'p' }, { "lat", required_argument, NULL, 'a' },
		{ "lon", required_argument, NULL, 'o' }, { "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 }
	};
	dv_sample_opts so;
	dv_sample_defaults(&so);
	bool json = false;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'p': so.photos = atoi(optarg); break;
		case 'a':
			if (parse_double(optarg, &so.lat) < 0) return cli_usage("sample-card", "--lat takes degrees");
			break;
		case 'o':
			if (parse_double(optarg, &so.lon) < 0) return cli_usage("sample-card", "--lon takes degrees");
			break;
		case 'j': json = true; break;
		case 'h': fputs(sample_help, stdout); return CLI_OK;
		default: return cli_usage("sample-card", "unknown option");
		}
	}
	if (optind != argc - 1) return cli_usage("sample-card", "give the directory to write");
	int files = 0;
	if (dv_sample_card(argv[optind], &so, &files) < 0) return cli_fail("sample-card");
	if (json)
		printf("{\"card\":\"%s\",\"files\":%d,\"photos\":%d}\n", argv[optind], files, so.photos);
	else
		printf("wrote a sample card to %s: %d photos and a video sidecar (SRT)\n", argv[optind], so.photos);
	return CLI_OK;
}
