/* SPDX-License-Identifier: Apache-2.0 */
/*
 * goe_client - a scripted GOE/1 client for the control-plane integration
 * test: it sends signed datagrams on a raw AF_PACKET socket (one end of a
 * veth pair) and prints every reply it receives, one line per message.
 * Commands come on stdin, one per line, so a test can interleave them with
 * REST calls:
 *   logon SESSION                  new SESSION SYMBOL_ID B|S PRICE QTY
 *   cancel SESSION CL_ORD_ID       wait MS        quit
 * Output lines: "reply s=ID seq=N TYPE cl=.. reason=.. oid=.. qty=.."
 *
 *   goe_client CONFIG IFACE SRC_IP GAVEL_MAC_IGNORED
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "gv_clock.h"
#include "gv_config.h"
#include "gv_goe.h"

static int g_fd;
static uint32_t g_src_ip, g_dst_ip;
static uint16_t g_dst_port;
static uint64_t g_seq[GV_MAX_SESSIONS], g_cl[GV_MAX_SESSIONS];
static const struct gv_config *g_cfg;

static int sess_index(uint32_t id)
{
	uint32_t i;

	for (i = 0; i < g_cfg->n_sessions; i++)
		if (g_cfg->sessions[i].id == id)
			return (int)i;
	return -1;
}

static uint16_t csum(const uint8_t *p, size_t n)
{
	uint32_t s = 0;
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static void send_payload(const uint8_t *pl, uint32_t len, uint16_t sport)
{
	uint8_t f[14 + 20 + 8 + GV_DGRAM_MAX];
	uint16_t v;

	memset(f, 0xff, 6);                      /* broadcast: any gavel */
	memcpy(f + 6, "\x02\x00\x00\x00\x20\x01", 6);
	f[12] = 0x08;
	f[13] = 0x00;
	memset(f + 14, 0, 20);
	f[14] = 0x45;
	v = htons((uint16_t)(28 + len));
	memcpy(f + 16, &v, 2);
	f[22] = 64;
	f[23] = 17;
	memcpy(f + 26, &(uint32_t){ htonl(g_src_ip) }, 4);
	memcpy(f + 30, &(uint32_t){ htonl(g_dst_ip) }, 4);
	v = htons(csum(f + 14, 20));
	memcpy(f + 24, &v, 2);
	v = htons(sport);
	memcpy(f + 34, &v, 2);
	v = htons(g_dst_port);
	memcpy(f + 36, &v, 2);
	v = htons((uint16_t)(8 + len));
	memcpy(f + 38, &v, 2);
	memset(f + 40, 0, 2);
	memcpy(f + 42, pl, len);
	if (send(g_fd, f, 42 + len, 0) < 0)
		perror("goe_client: send");
}

/* One sequenced or unsequenced datagram with one message. */
static void send_one(uint32_t id, const struct gv_cmd *c, bool logon)
{
	int i = sess_index(id);
	uint8_t buf[GV_DGRAM_MAX];
	struct gv_goe_writer w;

	if (i < 0) {
		printf("error unknown session %u\n", id);
		return;
	}
	gv_goe_begin(&w, buf, id, logon ? 0 : ++g_seq[i],
	             gv_clock_realtime_ns());
	if (logon)
		gv_goe_put_logon(&w, 5000, true);
	else
		gv_goe_put_cmd(&w, c);
	send_payload(buf, gv_goe_finish(&w, g_cfg->sessions[i].key),
	             (uint16_t)(41000 + i));
}

static void print_replies(const uint8_t *p, uint32_t len)
{
	static struct gv_goe_reply r[GV_DGRAM_MSGS_MAX];
	int n, k;

	if (len < 42 || p[12] != 0x08 || p[13] != 0x00 || p[23] != 17 ||
	    p[42] != 'G' || p[43] != 'V')
		return;
	n = gv_goe_parse_replies(p + 42, len - 42, r, GV_DGRAM_MSGS_MAX);
	for (k = 0; k < n; k++)
		printf("reply s=%u seq=%" PRIu64 " %c cl=%" PRIu64
		       " reason=%u oid=%" PRIu64 " qty=%" PRIu64 "\n",
		       r[k].ev.session, r[k].seq, r[k].type,
		       r[k].ev.u.ord.cl_ord_id, r[k].ev.u.ord.reason,
		       r[k].ev.u.ord.order_id, r[k].ev.u.ord.qty);
	fflush(stdout);
}

/* Print what arrives during `ms` milliseconds. */
static void drain(int ms)
{
	uint64_t end = gv_clock_realtime_ns() + (uint64_t)ms * 1000000u;
	struct pollfd pfd = { .fd = g_fd, .events = POLLIN };
	uint8_t buf[2048];
	ssize_t n;

	while (gv_clock_realtime_ns() < end) {
		if (poll(&pfd, 1, 10) <= 0)
			continue;
		n = recv(g_fd, buf, sizeof(buf), 0);
		if (n > 0 && memcmp(buf + 6, "\x02\x00\x00\x00\x20\x01", 6) != 0)
			print_replies(buf, (uint32_t)n);
	}
}

static void command(char *line)
{
	struct gv_cmd c = { 0 };
	char side;
	unsigned id, sym;
	long long px, qty, cl;
	int i, ms;

	if (sscanf(line, "logon %u", &id) == 1) {
		send_one(id, NULL, true);
	} else if (sscanf(line, "new %u %u %c %lld %lld", &id, &sym, &side, &px,
	                  &qty) == 5 && (i = sess_index(id)) >= 0) {
		c.type = GV_CMD_NEW;
		c.session = id;
		c.u.new_order.symbol = sym;
		c.u.new_order.side = side == 'B' ? GV_SIDE_BUY : GV_SIDE_SELL;
		c.u.new_order.type = GV_TYPE_LIMIT;
		c.u.new_order.tif = GV_TIF_GTC;
		c.u.new_order.cl_ord_id = ++g_cl[i];
		c.u.new_order.price = px;
		c.u.new_order.qty = (uint64_t)qty;
		send_one(id, &c, false);
	} else if (sscanf(line, "cancel %u %lld", &id, &cl) == 2) {
		c.type = GV_CMD_CANCEL;
		c.session = id;
		c.u.cancel.cl_ord_id = (uint64_t)cl;
		send_one(id, &c, false);
	} else if (sscanf(line, "wait %d", &ms) == 1) {
		drain(ms);
	} else {
		printf("error bad command: %s", line);
	}
	fflush(stdout);
}

int main(int argc, char **argv)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET };
	char err[256], line[256];
	struct gv_config *cfg;
	struct in_addr a;

	if (argc != 4 || inet_pton(AF_INET, argv[3], &a) != 1) {
		fprintf(stderr, "usage: goe_client CONFIG IFACE SRC_IP\n");
		return 2;
	}
	gv_clock_init(0);
	cfg = gv_config_load(argv[1], err, sizeof(err));
	if (cfg == NULL) {
		fprintf(stderr, "goe_client: %s\n", err);
		return 1;
	}
	g_cfg = cfg;
	g_src_ip = ntohl(a.s_addr);
	g_dst_ip = (uint32_t)cfg->engine.order_entry.addr[0] << 24 |
	           (uint32_t)cfg->engine.order_entry.addr[1] << 16 |
	           (uint32_t)cfg->engine.order_entry.addr[2] << 8 |
	           cfg->engine.order_entry.addr[3];
	g_dst_port = cfg->engine.order_entry.port;
	g_fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
	sll.sll_protocol = htons(ETH_P_ALL);
	sll.sll_ifindex = (int)if_nametoindex(argv[2]);
	if (g_fd < 0 || sll.sll_ifindex == 0 ||
	    bind(g_fd, (struct sockaddr *)&sll, sizeof(sll)) != 0) {
		perror("goe_client: AF_PACKET");
		return 77;
	}
	printf("ready\n");
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin) != NULL &&
	       strncmp(line, "quit", 4) != 0)
		command(line);
	close(g_fd);
	gv_config_free(cfg);
	return 0;
}
