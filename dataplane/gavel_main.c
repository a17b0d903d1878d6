/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gavel_main.c - the gavel program: EAL options, then gavel's, then the
 * packet path until SIGINT/SIGTERM (or the end of a replayed capture), and
 * a summary.
 *
 *   gavel [EAL options] -- --config FILE [--layout rtc|pipeline] [--replay]
 *         [--duration SEC] [--offload=auto|sw|fpga-sim|fpga|none]
 *         [--offload-depth N]
 *   gavel                  the embedded default: replay the bundled capture
 *                          through net_pcap (no NIC, no hugepages)
 */
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf_dyn.h>

#include "dp_pvt.h"
#include "gv_errno.h"

#ifndef GV_DEMO_CONFIG
#define GV_DEMO_CONFIG "dataplane/demo.conf"
#endif
#ifndef GV_DEMO_PCAP
#define GV_DEMO_PCAP "demo.pcap"
#endif
#define DEMO_OUT "gavel-demo-out.pcap"

struct opts {
	const char *config;
	enum dp_layout layout;
	bool replay;
	double duration_s;
	int control;                  /* -1 default, 0 off, 1 on */
	char control_addr[64];
	uint16_t control_port;
	const char *token_file;
	bool standby;
	const char *offload;          /* overrides engine.offload.backend */
	uint32_t offload_depth;       /* ... and .depth; 0: the config's */
};

static volatile bool g_stop;

static void on_signal(int sig)
{
	(void)sig;
	g_stop = true;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: gavel [EAL options] -- --config FILE "
	        "[--layout rtc|pipeline] [--replay] [--duration SEC]\n"
	        "         [--control ADDR:PORT | --no-control] "
	        "[--control-token FILE] [--standby]\n"
	        "         [--offload=auto|sw|fpga-sim|fpga|none] "
	        "[--offload-depth N]\n"
	        "       gavel   (no arguments: replay the bundled demo capture)\n"
	        "The control plane (REST) listens on 127.0.0.1:8080 unless "
	        "--no-control;\nin a replay it is off unless --control is "
	        "given.\n");
}

/* "ADDR:PORT" for the control plane. */
static int parse_endpoint(const char *arg, struct opts *o)
{
	const char *colon = strrchr(arg, ':');
	char *end;
	long port;

	if (colon == NULL || colon == arg ||
	    (size_t)(colon - arg) >= sizeof(o->control_addr))
		return -1;
	port = strtol(colon + 1, &end, 10);
	if (*end != '\0' || port < 0 || port > 65535)
		return -1;
	memcpy(o->control_addr, arg, (size_t)(colon - arg));
	o->control_addr[colon - arg] = '\0';
	o->control_port = (uint16_t)port;
	return 0;
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "layout", required_argument, NULL, 'l' },
		{ "replay", no_argument, NULL, 'r' },
		{ "duration", required_argument, NULL, 'd' },
		{ "control", required_argument, NULL, 'C' },
		{ "no-control", no_argument, NULL, 'N' },
		{ "control-token", required_argument, NULL, 'T' },
		{ "standby", no_argument, NULL, 'S' },
		{ "offload", required_argument, NULL, 'O' },
		{ "offload-depth", required_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "c:h", lo, NULL)) != -1) {
		switch (c) {
		case 'c':
			o->config = optarg;
			break;
		case 'l':
			if (strcmp(optarg, "rtc") == 0)
				o->layout = DP_LAYOUT_RTC;
			else if (strcmp(optarg, "pipeline") == 0)
				o->layout = DP_LAYOUT_PIPELINE;
			else
				return -1;
			break;
		case 'r':
			o->replay = true;
			break;
		case 'd':
			o->duration_s = atof(optarg);
			break;
		case 'C':
			if (parse_endpoint(optarg, o) != 0)
				return -1;
			o->control = 1;
			break;
		case 'N':
			o->control = 0;
			break;
		case 'T':
			o->token_file = optarg;
			break;
		case 'S':
			o->standby = true;
			break;
		case 'O':
			o->offload = optarg;
			break;
		case 'D':
			o->offload_depth = (uint32_t)strtoul(optarg, NULL, 10);
			if (o->offload_depth == 0)
				return -1;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			return -1;
		}
	}
	if (optind != argc || o->config == NULL)
		return -1;
	return 0;
}

/* No arguments: the embedded default, as EAL and gavel options. */
static char **demo_argv(int *argc)
{
	static char prefix[64], vdev[1024];
	static char *av[] = {
		"gavel", "-l", "0", "--no-huge", "--no-pci", "-m", "256",
		"--log-level=*:warning", prefix, vdev, "--",
		"--config", GV_DEMO_CONFIG, "--replay", NULL,
	};

	snprintf(prefix, sizeof(prefix), "--file-prefix=gavel-demo-%d",
	         (int)getpid());
	snprintf(vdev, sizeof(vdev), "--vdev=net_pcap0,rx_pcap=%s,tx_pcap=%s",
	         GV_DEMO_PCAP, DEMO_OUT);
	*argc = (int)GV_ARRAY_SIZE(av) - 1;
	printf("gavel: no arguments: replaying the bundled capture %s\n"
	       "gavel: config %s, output %s\n", GV_DEMO_PCAP, GV_DEMO_CONFIG,
	       DEMO_OUT);
	return av;
}

/*
 * The offload, chosen before any shard starts: --offload overrides the
 * config; one trial instance proves the backend works here (each
 * instrument gets its own when its shard starts), so a missing card or
 * simulator is a clear start-up error, not a failure in a shard.
 */
static int check_offload(struct gv_config *cfg, const struct opts *o)
{
	struct gv_offload_config *oc = &cfg->engine.offload;
	struct gv_offload_params p;
	struct gv_offload *off;
	char why[256];

	if (o->offload != NULL) {
		if (strlen(o->offload) >= sizeof(oc->backend)) {
			fprintf(stderr, "gavel: --offload %s: no such backend\n",
			        o->offload);
			return -EINVAL;
		}
		strcpy(oc->backend, o->offload);
	}
	if (o->offload_depth != 0)
		oc->depth = o->offload_depth;
	if (oc->backend[0] == '\0' || strcmp(oc->backend, "none") == 0) {
		printf("gavel: offload: none (the book walks its own levels)\n");
		return 0;
	}
	p = (struct gv_offload_params){
		.depth = oc->depth,
		.device = oc->device[0] != '\0' ? oc->device : NULL,
	};
	off = gv_offload_create(oc->backend, &p, why, sizeof(why));
	if (off == NULL) {
		fprintf(stderr, "gavel: offload %s: %s\n", oc->backend,
		        why[0] != '\0' ? why : gv_strerror(gv_errno));
		return -gv_errno;
	}
	printf("gavel: offload: %s (backend %s, %u levels per side, "
	       "fallback sw)\n", oc->backend, off->ops->name, oc->depth);
	/* "auto" resolved: every instrument gets the same backend. */
	snprintf(oc->backend, sizeof(oc->backend), "%s", off->ops->name);
	gv_offload_free(off);
	return 0;
}

static int start_control(struct dp_ctx *ctx, const struct opts *o,
                         struct gv_control **ctl)
{
	struct gv_control_params p = {
		.address = o->control_addr,
		.port = o->control_port,
		.token_file = o->token_file,
	};
	struct gv_ctl_provider prov;

	dp_control_provider(ctx, &prov);
	*ctl = gv_control_start(&p, &prov);
	if (*ctl == NULL) {
		fprintf(stderr, "gavel: control plane on %s:%u: %s\n",
		        o->control_addr, o->control_port, gv_strerror(gv_errno));
		return -gv_errno;
	}
	printf("gavel: control plane on http://%s:%u (%s, epoch %" PRIu64
	       ")\n", o->control_addr, gv_control_port(*ctl),
	       gv_role_name(ctx->role.role), ctx->role.epoch);
	fflush(stdout);
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o = { .layout = DP_LAYOUT_RTC, .control = -1,
	                  .control_addr = "127.0.0.1", .control_port = 8080 };
	struct gv_control *ctl = NULL;
	struct dp_ctx ctx = { .stop = &g_stop, .ts_off = -1 };
	struct gv_config *cfg;
	char err[512];
	int n, rc;

	if (argc == 1)
		argv = demo_argv(&argc);
	n = rte_eal_init(argc, argv);
	if (n < 0) {
		fprintf(stderr, "gavel: EAL: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	if (parse_opts(argc - n, argv + n, &o) != 0) {
		usage(stderr);
		rte_eal_cleanup();
		return 2;
	}
	cfg = gv_config_load(o.config, err, sizeof(err));
	if (cfg == NULL) {
		fprintf(stderr, "gavel: %s\n", err);
		rte_eal_cleanup();
		return 1;
	}
	if (check_offload(cfg, &o) != 0) {
		rte_eal_cleanup();
		gv_config_free(cfg);
		return 1;
	}
	gv_clock_init(0);
	ctx.cfg = cfg;
	ctx.layout = o.layout;
	ctx.replay = o.replay;
	ctx.tsc_hz = rte_get_tsc_hz();
	ctx.tsc0 = rte_rdtsc();
	ctx.wall0_ns = gv_clock_realtime_ns();
	ctx.start_wall_ns = ctx.wall0_ns;
	ctx.role.role = o.standby ? GV_ROLE_STANDBY : GV_ROLE_PRIMARY;
	ctx.role.epoch = o.standby ? 0 : 1;
	rc = dp_setup(&ctx);
	if (rc == 0)
		rc = dp_control_setup(&ctx);
	if (rc == 0 && !o.replay)
		rc = dp_start_all(&ctx, ctx.wall0_ns);
	if (rc == 0 && (o.control == 1 || (o.control == -1 && !o.replay)))
		rc = start_control(&ctx, &o, &ctl);
	if (rc != 0) {
		fprintf(stderr, "gavel: start-up failed: %s\n", gv_strerror(rc));
		rte_eal_cleanup();
		gv_config_free(cfg);
		return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	if (o.duration_s > 0) {
		signal(SIGALRM, on_signal);
		alarm((unsigned)(o.duration_s + 0.999));
	}
	if (o.layout == DP_LAYOUT_PIPELINE)
		dp_run_pipeline(&ctx);
	else
		dp_run_rtc(&ctx);
	gv_control_stop(ctl); /* before the shards go away */
	dp_summary(&ctx);
	dp_finish(&ctx, ctx.replay ? ctx.last_ns
	                           : ctx.wall0_ns + gv_clock_cycles_to_ns(
	                                     rte_rdtsc() - ctx.tsc0));
	/* Closing the ports flushes and closes pcap outputs. */
	rte_eth_dev_stop(ctx.port_oe);
	rte_eth_dev_close(ctx.port_oe);
	if (ctx.port_md != ctx.port_oe) {
		rte_eth_dev_stop(ctx.port_md);
		rte_eth_dev_close(ctx.port_md);
	}
	rte_eal_cleanup();
	gv_config_free(cfg);
	return 0;
}
