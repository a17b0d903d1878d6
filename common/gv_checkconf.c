/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gavel-checkconf - check a gavel configuration file and print it back with
 * every default filled in (docs/config.md).
 *
 *   gavel-checkconf [--show-keys] FILE
 *
 * Exit 0: valid; the config on stdout, a one-line summary on stderr.
 * Exit 1: invalid or unreadable; the one-line reason on stderr.
 * Exit 2: bad usage.
 * Session keys are printed as 32 'x' unless --show-keys is given; only
 * output with keys shown loads back.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "gv_config.h"
#include "gv_errno.h"

static void usage(FILE *out)
{
	fputs("usage: gavel-checkconf [--show-keys] FILE\n"
	      "Check a gavel configuration file and print it with every "
	      "default filled in.\n"
	      "  -k, --show-keys  print session keys (hidden by default)\n"
	      "  -h, --help       show this help\n"
	      "Exit status: 0 valid, 1 invalid or unreadable, 2 bad usage.\n",
	      out);
}

static const char *plural(uint32_t n)
{
	return n == 1 ? "" : "s";
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "show-keys", no_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct gv_config *cfg;
	bool show_keys = false;
	char err[512];
	int opt, rc;

	while ((opt = getopt_long(argc, argv, "kh", opts, NULL)) != -1) {
		switch (opt) {
		case 'k':
			show_keys = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind + 1 != argc) {
		usage(stderr);
		return 2;
	}

	cfg = gv_config_load(argv[optind], err, sizeof(err));
	if (cfg == NULL) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	rc = gv_config_dump(cfg, stdout, show_keys);
	if (rc < 0) {
		fprintf(stderr, "gavel-checkconf: writing the config: %s\n",
		        gv_strerror(rc));
		gv_config_free(cfg);
		return 1;
	}
	fprintf(stderr, "%s: ok: %u shard%s, %u instrument%s, %u session%s\n",
	        argv[optind], cfg->engine.n_shards,
	        plural(cfg->engine.n_shards), cfg->n_instruments,
	        plural(cfg->n_instruments), cfg->n_sessions,
	        plural(cfg->n_sessions));
	gv_config_free(cfg);
	return 0;
}
