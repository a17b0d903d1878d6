/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gavel_decode.c - print every GOE/1 and MoldUDP64/ITCH message of a pcap,
 * one line each.
 *
 *   gavel-decode [--goe-only | --md-only] [--no-time] [--md-port P]
 *                [--mac-key-config FILE] FILE.pcap
 *
 * Link layers: Ethernet (with up to two 802.1Q/802.1ad tags), Linux cooked
 * (SLL) and raw IPv4. Then IPv4 (no fragments) and UDP. Anything else is
 * skipped and counted (summary on stderr at the end).
 *
 * A UDP payload that starts with 'G' 'V' is GOE/1 (unless it is on
 * --md-port): client datagrams are decoded with gv_goe_parse, gavel's
 * replies with gv_goe_parse_replies, told apart by the first message's type
 * (lower case = gavel's). Any other payload is MoldUDP64 if its framing
 * parses or if it is on --md-port. Line layout:
 *   [t=NS SRC:PORT>DST:PORT ]goe s=SESSION seq=SEQ TYPE fields[ mac=ok|BAD]
 *   [t=NS SRC:PORT>DST:PORT ]mold SESSION seq=SEQ TYPE fields
 * where seq is the message's own sequence number (header seq + index; 0
 * for unsequenced GOE/1 datagrams). A datagram that does not decode gives
 * one "DROP" line with the reason; that is never fatal. --no-time omits the
 * capture time, the addresses and every timestamp carried in the messages
 * (GOE/1 ts_ns, ITCH timestamp), so the output is stable for golden files.
 * Exit status: 0 (malformed packets included), 1 if the file cannot be
 * read or the options are bad.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gv_config.h"
#include "gv_goe.h"
#include "gv_itch.h"

#define PROG "gavel-decode"

#ifndef DLT_LINUX_SLL
#define DLT_LINUX_SLL 113
#endif

struct dec_cfg {
	const char *path;
	const char *mac_config;
	bool goe_only, md_only, no_time;
	int md_port;                   /* -1 = none */
};

enum skip_reason {
	SKIP_NON_IPV4,
	SKIP_NON_UDP,
	SKIP_FRAGMENT,
	SKIP_TRUNCATED,
	SKIP_BAD_IP,
	SKIP_OTHER_UDP,
	SKIP_MAX,
};

static const char *const skip_names[SKIP_MAX] = {
	"non_ipv4", "non_udp", "fragment", "truncated", "bad_ip",
	"other_udp",
};

struct dec {
	const struct dec_cfg *cfg;
	struct gv_config *keys;
	int linktype;
	char prefix[96];               /* "t=... a:p>b:p " or "" */
	uint64_t packets, skipped[SKIP_MAX];
	uint64_t goe_dgrams, goe_msgs, goe_drops, goe_mac_bad;
	uint64_t mold_packets, mold_msgs, mold_drops;
	/* the Mold packet being printed */
	const struct gv_mold_hdr *mh;
	uint64_t mold_idx;
};

/* ---- GOE/1 ------------------------------------------------------------- */

static const char *side_name(uint8_t s)
{
	return s == GV_SIDE_BUY ? "B" : s == GV_SIDE_SELL ? "S" : "side?";
}

static const char *type_name(uint8_t t)
{
	static const char *const n[] = { "type?", "LIMIT", "MARKET", "STOP",
	                                 "STOP_LIMIT" };

	return t < GV_ARRAY_SIZE(n) ? n[t] : "type?";
}

static const char *tif_name(uint8_t t)
{
	static const char *const n[] = { "tif?", "GTC", "IOC", "FOK", "DAY" };

	return t < GV_ARRAY_SIZE(n) ? n[t] : "tif?";
}

static void print_cmd(const struct gv_cmd *c)
{
	switch (c->type) {
	case GV_CMD_NEW: {
		const __typeof__(c->u.new_order) *o = &c->u.new_order;

		printf("N sym=%u cl=%" PRIu64 " %s %s %s px=%" PRId64
		       " qty=%" PRIu64 " stop=%" PRId64 " disp=%" PRIu64
		       " flags=%u stp=%u", o->symbol, o->cl_ord_id,
		       side_name(o->side), type_name(o->type),
		       tif_name(o->tif), o->price, o->qty, o->stop_price,
		       o->display_qty, o->flags, o->stp);
		break;
	}
	case GV_CMD_CANCEL:
		printf("C cl=%" PRIu64, c->u.cancel.cl_ord_id);
		break;
	case GV_CMD_REPLACE:
		printf("R orig=%" PRIu64 " new=%" PRIu64 " px=%" PRId64
		       " qty=%" PRIu64, c->u.replace.orig_cl_ord_id,
		       c->u.replace.new_cl_ord_id, c->u.replace.new_price,
		       c->u.replace.new_qty);
		break;
	case GV_CMD_MASS_CANCEL:
		printf("M sym=%u side=%u", c->u.mass_cancel.symbol,
		       c->u.mass_cancel.side);
		break;
	default:
		printf("cmd?%u", c->type);
	}
}

static void print_client_msg(const struct gv_goe_msg *m)
{
	switch (m->type) {
	case GV_GOE_LOGON:
		printf("L hb=%u cod=%u", m->u.logon.heartbeat_ms,
		       m->u.logon.cancel_on_disconnect);
		break;
	case GV_GOE_LOGOUT:
		printf("O");
		break;
	case GV_GOE_HEARTBEAT:
		printf("H");
		break;
	case GV_GOE_RESEND:
		printf("Q from=%" PRIu64 " count=%u", m->u.resend.from_seq,
		       m->u.resend.count);
		break;
	default:
		print_cmd(&m->u.cmd);
	}
}

static void print_reply(const struct gv_goe_reply *r)
{
	const struct gv_event *e = &r->ev;

	printf("%c", r->type);
	switch (r->type) {
	case GV_GOE_LOGON_ACK:
		printf(" next_in=%" PRIu64 " next_out=%" PRIu64, r->next_in,
		       r->next_out);
		break;
	case GV_GOE_SEQ_GAP:
		printf(" expected=%" PRIu64, r->expected_in);
		break;
	case GV_GOE_HEARTBEAT_OUT:
		break;
	case GV_GOE_ACCEPTED:
		printf(" sym=%u cl=%" PRIu64 " oid=%" PRIu64 " %s %s %s px=%"
		       PRId64 " open=%" PRIu64, e->instrument, e->u.ord.cl_ord_id,
		       e->u.ord.order_id, side_name(e->side),
		       type_name(e->u.ord.ord_type), tif_name(e->u.ord.tif),
		       e->u.ord.price, e->u.ord.qty);
		break;
	case GV_GOE_REJECTED:
		printf(" cl=%" PRIu64 " reason=%u", e->u.ord.cl_ord_id,
		       e->u.ord.reason);
		break;
	case GV_GOE_FILL:
		printf(" sym=%u cl=%" PRIu64 " oid=%" PRIu64 " match=%" PRIu64
		       " px=%" PRId64 " qty=%" PRIu64 " open=%" PRIu64 " %s",
		       e->instrument, e->u.ord.cl_ord_id, e->u.ord.order_id,
		       e->u.ord.aux, e->u.ord.price, e->u.ord.qty,
		       e->u.ord.open_qty,
		       e->u.ord.liquidity == GV_LIQ_MAKER ? "maker"
		       : e->u.ord.liquidity == GV_LIQ_TAKER ? "taker" : "liq?");
		break;
	case GV_GOE_CANCELLED:
		printf(" cl=%" PRIu64 " oid=%" PRIu64 " qty=%" PRIu64
		       " reason=%u", e->u.ord.cl_ord_id, e->u.ord.order_id,
		       e->u.ord.qty, e->u.ord.reason);
		break;
	case GV_GOE_REPLACED:
		printf(" sym=%u orig=%" PRIu64 " new=%" PRIu64 " oid=%" PRIu64
		       " px=%" PRId64 " open=%" PRIu64 " kept=%u",
		       e->instrument, e->u.ord.aux, e->u.ord.cl_ord_id,
		       e->u.ord.order_id, e->u.ord.price, e->u.ord.open_qty,
		       e->u.ord.priority_kept);
		break;
	case GV_GOE_STOP_TRIGGERED:
		printf(" sym=%u cl=%" PRIu64 " oid=%" PRIu64, e->instrument,
		       e->u.ord.cl_ord_id, e->u.ord.order_id);
		break;
	case GV_GOE_MASS_CANCEL_ACK:
		printf(" sym=%u cancelled=%" PRIu64, e->instrument,
		       e->u.ord.qty);
		break;
	default:
		break;
	}
}

static uint64_t get_le(const uint8_t *p, int n)
{
	uint64_t v = 0;

	while (n-- > 0)
		v = v << 8 | p[n];
	return v;
}

/* " mac=ok|BAD|nokey", or nothing without --mac-key-config. */
static const char *mac_note(struct dec *d, const uint8_t *buf, uint32_t len,
                            uint32_t session)
{
	const struct gv_session_config *sc;

	if (d->keys == NULL)
		return "";
	sc = gv_config_session(d->keys, session);
	if (sc == NULL)
		return " mac=nokey";
	if (gv_goe_mac_ok(buf, len, sc->key))
		return " mac=ok";
	d->goe_mac_bad++;
	return " mac=BAD";
}

static void goe_drop(struct dec *d, const uint8_t *buf, uint32_t len,
                     enum gv_goe_drop why)
{
	d->goe_drops++;
	printf("%sgoe DROP reason=%s len=%u", d->prefix, gv_goe_drop_name(why),
	       len);
	if (len >= GV_DGRAM_HDR_LEN)
		printf(" s=%" PRIu64 " seq=%" PRIu64, get_le(buf + 4, 4),
		       get_le(buf + 8, 8));
	printf("\n");
}

static void goe_client(struct dec *d, const uint8_t *buf, uint32_t len)
{
	static struct gv_goe_dgram dg;
	enum gv_goe_drop why = gv_goe_parse(buf, len, &dg);
	const char *mac;
	uint32_t i;

	if (why != GV_GOE_OK) {
		goe_drop(d, buf, len, why);
		return;
	}
	mac = mac_note(d, buf, len, dg.session);
	d->goe_dgrams++;
	if (dg.count == 0)
		printf("%sgoe s=%u seq=%" PRIu64 " empty%s\n", d->prefix,
		       dg.session, dg.seq, mac);
	for (i = 0; i < dg.count; i++) {
		printf("%sgoe s=%u seq=%" PRIu64 " ", d->prefix, dg.session,
		       dg.sequenced ? dg.seq + i : 0);
		print_client_msg(&dg.msg[i]);
		if (!d->cfg->no_time)
			printf(" ts=%" PRIu64, dg.ts_ns);
		printf("%s\n", mac);
		d->goe_msgs++;
	}
}

static void goe_replies(struct dec *d, const uint8_t *buf, uint32_t len)
{
	static struct gv_goe_reply r[GV_DGRAM_MSGS_MAX];
	uint32_t session = (uint32_t)get_le(buf + 4, 4);
	int n = gv_goe_parse_replies(buf, len, r, GV_DGRAM_MSGS_MAX);
	const char *mac;
	int i;

	if (n < 0) {
		goe_drop(d, buf, len, (enum gv_goe_drop)-n);
		return;
	}
	mac = mac_note(d, buf, len, session);
	d->goe_dgrams++;
	if (n == 0)
		printf("%sgoe s=%u seq=0 empty%s\n", d->prefix, session, mac);
	for (i = 0; i < n; i++) {
		printf("%sgoe s=%u seq=%" PRIu64 " ", d->prefix, session,
		       r[i].seq);
		print_reply(&r[i]);
		if (!d->cfg->no_time)
			printf(" ts=%" PRIu64, get_le(buf + 16, 8));
		printf("%s\n", mac);
		d->goe_msgs++;
	}
}

static void goe(struct dec *d, const uint8_t *buf, uint32_t len)
{
	/* The first message's type says who sent it. */
	bool reply = len >= GV_DGRAM_HDR_LEN + GV_MSG_HDR_LEN && buf[3] > 0 &&
	             buf[GV_DGRAM_HDR_LEN + 2] >= 'a' &&
	             buf[GV_DGRAM_HDR_LEN + 2] <= 'z';

	if (reply)
		goe_replies(d, buf, len);
	else
		goe_client(d, buf, len);
}

/* ---- MoldUDP64 / ITCH -------------------------------------------------- */

static void print_stock(const char *s)
{
	int n = (int)strlen(s);

	while (n > 0 && s[n - 1] == ' ')
		n--;
	printf("%.*s", n, s);
}

static void print_itch(const struct dec *d, const struct gv_itch_msg *m)
{
	printf("%c", m->type);
	switch (m->type) {
	case 'S':
		printf(" code=%c", m->code);
		break;
	case 'R':
		printf(" loc=%u stock=", m->locate);
		print_stock(m->stock);
		break;
	case 'H':
		printf(" loc=%u stock=", m->locate);
		print_stock(m->stock);
		printf(" state=%c", m->code);
		break;
	case 'A':
		printf(" ref=%" PRIu64 " %c %u@%u loc=%u stock=", m->ref,
		       m->side, m->shares, m->price, m->locate);
		print_stock(m->stock);
		break;
	case 'E':
		printf(" ref=%" PRIu64 " qty=%u match=%" PRIu64, m->ref,
		       m->shares, m->match);
		break;
	case 'X':
		printf(" ref=%" PRIu64 " qty=%u", m->ref, m->shares);
		break;
	case 'D':
		printf(" ref=%" PRIu64, m->ref);
		break;
	case 'U':
		printf(" ref=%" PRIu64 " new=%" PRIu64 " %u@%u", m->ref,
		       m->new_ref, m->shares, m->price);
		break;
	case 'P':
		printf(" ref=%" PRIu64 " %c %u@%u match=%" PRIu64 " loc=%u "
		       "stock=", m->ref, m->side, m->shares, m->price,
		       m->match, m->locate);
		print_stock(m->stock);
		break;
	default:
		break;
	}
	printf(" trk=%u", m->tracking);
	if (!d->cfg->no_time)
		printf(" ts=%" PRIu64, m->ts_ns);
}

static void mold_msg(void *arg, const uint8_t *msg, uint32_t len)
{
	struct dec *d = arg;
	struct gv_itch_msg m;

	printf("%smold %.*s seq=%" PRIu64 " ", d->prefix, GV_MOLD_SESSION_LEN,
	       d->mh->session, d->mh->seq + d->mold_idx++);
	if (gv_itch_decode(msg, len, &m) != 0) {
		d->mold_drops++;
		printf("DROP itch type=0x%02x len=%u\n", len ? msg[0] : 0, len);
		return;
	}
	print_itch(d, &m);
	printf("\n");
	d->mold_msgs++;
}

/* Returns false if the framing does not parse (nothing printed). */
static bool mold(struct dec *d, const uint8_t *buf, uint32_t len, bool must)
{
	struct gv_mold_hdr h;
	int n;

	/* Check the framing first: print only what parses whole. */
	n = gv_mold_parse(buf, len, &h, NULL, NULL);
	if (n < 0) {
		if (must) {
			d->mold_drops++;
			printf("%smold DROP framing len=%u\n", d->prefix, len);
		}
		return must;
	}
	d->mold_packets++;
	if (h.count == GV_MOLD_END_OF_SESSION || h.count == 0) {
		printf("%smold %.*s seq=%" PRIu64 " %s\n", d->prefix,
		       GV_MOLD_SESSION_LEN, h.session, h.seq,
		       h.count == 0 ? "heartbeat" : "end-of-session");
		return true;
	}
	d->mh = &h;
	d->mold_idx = 0;
	gv_mold_parse(buf, len, &h, mold_msg, d);
	d->mh = NULL;
	return true;
}

/* ---- packets ----------------------------------------------------------- */

static void udp_payload(struct dec *d, uint16_t dport, uint16_t sport,
                        const uint8_t *p, uint32_t len)
{
	const struct dec_cfg *c = d->cfg;
	bool md_port = c->md_port >= 0 && (dport == c->md_port ||
	                                   sport == c->md_port);

	if (!md_port && len >= 2 && p[0] == 'G' && p[1] == 'V') {
		if (!c->md_only)
			goe(d, p, len);
		return;
	}
	if (c->goe_only) {
		if (!md_port)
			d->skipped[SKIP_OTHER_UDP]++;
		return;
	}
	if (!mold(d, p, len, md_port))
		d->skipped[SKIP_OTHER_UDP]++;
}

/* Offset of the IPv4 header in the frame, or -1 (counted). */
static int l3_offset(struct dec *d, const uint8_t *f, uint32_t caplen)
{
	uint32_t off;
	uint16_t et;
	int tags;

	if (d->linktype == DLT_RAW)
		return 0;
	if (d->linktype == DLT_LINUX_SLL) {
		off = 16;
		et = caplen >= 16 ? (uint16_t)(f[14] << 8 | f[15]) : 0;
	} else {
		off = 14;
		et = caplen >= 14 ? (uint16_t)(f[12] << 8 | f[13]) : 0;
		for (tags = 0; tags < 2 && (et == 0x8100 || et == 0x88a8) &&
		               caplen >= off + 4; tags++) {
			et = (uint16_t)(f[off + 2] << 8 | f[off + 3]);
			off += 4;
		}
	}
	if (caplen < off) {
		d->skipped[SKIP_TRUNCATED]++;
		return -1;
	}
	if (et != 0x0800) {
		d->skipped[SKIP_NON_IPV4]++;
		return -1;
	}
	return (int)off;
}

static void packet(struct dec *d, const struct pcap_pkthdr *h,
                   const uint8_t *f)
{
	char src[INET_ADDRSTRLEN], dst[INET_ADDRSTRLEN];
	uint32_t caplen = h->caplen, ihl, tot, ulen;
	const uint8_t *ip, *udp;
	int off = l3_offset(d, f, caplen);
	uint64_t t;

	d->packets++;
	if (off < 0)
		return;
	ip = f + off;
	caplen -= (uint32_t)off;
	if (caplen < 20 || (ip[0] >> 4) != 4) {
		d->skipped[caplen < 20 ? SKIP_TRUNCATED : SKIP_NON_IPV4]++;
		return;
	}
	ihl = (uint32_t)(ip[0] & 0x0f) * 4;
	tot = (uint32_t)ip[2] << 8 | ip[3];
	if (ihl < 20 || tot < ihl) {
		d->skipped[SKIP_BAD_IP]++;
		return;
	}
	if (ip[9] != 17) {
		d->skipped[SKIP_NON_UDP]++;
		return;
	}
	if ((ip[6] & 0x3f) != 0 || ip[7] != 0) {   /* MF or an offset */
		d->skipped[SKIP_FRAGMENT]++;
		return;
	}
	if (tot > caplen || tot < ihl + 8) {
		d->skipped[tot > caplen ? SKIP_TRUNCATED : SKIP_BAD_IP]++;
		return;
	}
	udp = ip + ihl;
	ulen = (uint32_t)udp[4] << 8 | udp[5];
	if (ulen < 8 || ulen > tot - ihl) {
		d->skipped[SKIP_BAD_IP]++;
		return;
	}
	d->prefix[0] = '\0';
	if (!d->cfg->no_time) {
		t = (uint64_t)h->ts.tv_sec * 1000000000u +
		    (uint64_t)h->ts.tv_usec;
		inet_ntop(AF_INET, ip + 12, src, sizeof(src));
		inet_ntop(AF_INET, ip + 16, dst, sizeof(dst));
		snprintf(d->prefix, sizeof(d->prefix), "t=%" PRIu64
		         " %s:%u>%s:%u ", t, src, udp[0] << 8 | udp[1], dst,
		         udp[2] << 8 | udp[3]);
	}
	udp_payload(d, (uint16_t)(udp[2] << 8 | udp[3]),
	            (uint16_t)(udp[0] << 8 | udp[1]), udp + 8, ulen - 8);
}

static void summary(const struct dec *d)
{
	int i;

	fprintf(stderr, PROG ": packets=%" PRIu64 " goe_datagrams=%" PRIu64
	        " goe_messages=%" PRIu64 " goe_drops=%" PRIu64
	        " mac_bad=%" PRIu64 " mold_packets=%" PRIu64
	        " mold_messages=%" PRIu64 " mold_drops=%" PRIu64,
	        d->packets, d->goe_dgrams, d->goe_msgs, d->goe_drops,
	        d->goe_mac_bad, d->mold_packets, d->mold_msgs, d->mold_drops);
	for (i = 0; i < SKIP_MAX; i++)
		fprintf(stderr, " skip_%s=%" PRIu64, skip_names[i],
		        d->skipped[i]);
	fputc('\n', stderr);
}

/* ---- options ----------------------------------------------------------- */

static void usage(FILE *f)
{
	fputs("usage: " PROG " [--goe-only | --md-only] [--no-time] "
	      "[--md-port P]\n"
	      "       [--mac-key-config FILE] FILE.pcap\n", f);
}

static int parse_opts(int argc, char **argv, struct dec_cfg *c)
{
	static const struct option opts[] = {
		{ "goe-only", no_argument, NULL, 'g' },
		{ "md-only", no_argument, NULL, 'm' },
		{ "no-time", no_argument, NULL, 'n' },
		{ "md-port", required_argument, NULL, 'p' },
		{ "mac-key-config", required_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char *end;
	long v;
	int o;

	*c = (struct dec_cfg){ .md_port = -1 };
	while ((o = getopt_long(argc, argv, "gmnp:k:h", opts, NULL)) != -1) {
		switch (o) {
		case 'g': c->goe_only = true; break;
		case 'm': c->md_only = true; break;
		case 'n': c->no_time = true; break;
		case 'k': c->mac_config = optarg; break;
		case 'p':
			v = strtol(optarg, &end, 10);
			if (end == optarg || *end != '\0' || v < 1 ||
			    v > 65535) {
				fprintf(stderr, PROG ": --md-port: expected "
				        "1..65535, got '%s'\n", optarg);
				return -1;
			}
			c->md_port = (int)v;
			break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return -1;
		}
	}
	if (optind + 1 != argc || (c->goe_only && c->md_only)) {
		usage(stderr);
		return -1;
	}
	c->path = argv[optind];
	return 0;
}

int main(int argc, char **argv)
{
	char err[PCAP_ERRBUF_SIZE > 512 ? PCAP_ERRBUF_SIZE : 512];
	struct pcap_pkthdr *h;
	const u_char *data;
	struct dec_cfg cfg;
	struct dec d;
	pcap_t *p;
	int rc;

	if (parse_opts(argc, argv, &cfg) != 0)
		return 1;
	memset(&d, 0, sizeof(d));
	d.cfg = &cfg;
	if (cfg.mac_config != NULL) {
		d.keys = gv_config_load(cfg.mac_config, err, sizeof(err));
		if (d.keys == NULL) {
			fprintf(stderr, PROG ": %s\n", err);
			return 1;
		}
	}
	p = pcap_open_offline_with_tstamp_precision(
		cfg.path, PCAP_TSTAMP_PRECISION_NANO, err);
	if (p == NULL) {
		fprintf(stderr, PROG ": %s\n", err);
		gv_config_free(d.keys);
		return 1;
	}
	d.linktype = pcap_datalink(p);
	if (d.linktype != DLT_EN10MB && d.linktype != DLT_RAW &&
	    d.linktype != DLT_LINUX_SLL) {
		fprintf(stderr, PROG ": %s: link type %s not supported "
		        "(Ethernet, Linux SLL or raw IPv4)\n", cfg.path,
		        pcap_datalink_val_to_name(d.linktype));
		pcap_close(p);
		gv_config_free(d.keys);
		return 1;
	}
	while ((rc = pcap_next_ex(p, &h, &data)) == 1)
		packet(&d, h, data);
	if (rc == PCAP_ERROR)   /* a truncated file: report, keep what ran */
		fprintf(stderr, PROG ": %s: %s\n", cfg.path, pcap_geterr(p));
	fflush(stdout);
	summary(&d);
	pcap_close(p);
	gv_config_free(d.keys);
	return 0;
}
