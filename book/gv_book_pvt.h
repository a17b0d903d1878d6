/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gv_book_pvt.h - the book's internal structures (shared by gv_book.c and
 * white-box tests).
 */
#ifndef GV_BOOK_PVT_H
#define GV_BOOK_PVT_H

#include "gv_book.h"
#include "gv_pool.h"

#define NO_SLOT     UINT32_MAX
#define NO_PAGE     UINT32_MAX
#define NO_INS      UINT16_MAX
#define PAGE_SHIFT  6
#define PAGE_LEVELS (1u << PAGE_SHIFT)
#define HBM_LEVELS_MAX 5 /* 64^5 bits > 2^26 pages of 64 ticks = 2^32 */

enum order_state {
	ST_ACTIVE = 0,     /* being matched; in no structure */
	ST_RESTING = 1,    /* in a price level */
	ST_PENDING = 2,    /* untriggered stop, in the instrument's stop list */
};

/*
 * A live order: exactly one cache line. Prices and quantities fit in 32
 * bits because instruments are refused at start unless their max price
 * and max qty do (protocol.md section 3).
 */
struct order {
	uint64_t order_id;
	uint64_t cl_ord_id;
	uint64_t md_ref;          /* ITCH reference of the displayed slice */
	uint32_t price;           /* limit price; 0 for market and stop */
	uint32_t next, prev;      /* level FIFO, or the stop list */
	uint32_t open_qty;        /* visible + hidden */
	union {
		uint32_t visible_qty; /* resting: displayed slice left */
		uint32_t stop_price;  /* pending stop */
	};
	uint32_t display_qty;     /* iceberg slice size; 0 = all visible */
	uint32_t sess_next, sess_prev; /* the session's live orders */
	uint16_t session;         /* index into book->sess */
	uint16_t account;         /* index of the session's account */
	uint16_t ins;             /* index into book->ins */
	unsigned side : 2, type : 3, tif : 3, post_only : 1, stp : 3,
	        state : 2, linked : 1, pad : 1;
};

GV_STATIC_ASSERT(sizeof(struct order) == 64, "an order is one cache line");

struct level {
	uint32_t head, tail;      /* FIFO of slots */
	uint32_t count;
	uint32_t pad;
	uint64_t visible_qty;
	uint64_t total_qty;
};

struct page {
	uint64_t occ;             /* bit i: level i has orders */
	uint32_t pageno;          /* price >> PAGE_SHIFT */
	uint32_t pad[13];
	struct level lv[PAGE_LEVELS];
};

GV_STATIC_ASSERT(sizeof(struct level) == 32, "level size");
GV_STATIC_ASSERT(sizeof(struct page) % GV_CACHE_LINE == 0, "page size");

/* Hierarchical occupancy bitmap over page numbers. */
struct hbm {
	uint32_t nlv;
	uint32_t nbits[HBM_LEVELS_MAX];
	uint64_t *w[HBM_LEVELS_MAX];
};

struct side {
	uint64_t key_base;        /* page map key of page 0 of this side */
	uint32_t cache_pn;        /* last page looked up (UINT32_MAX: none) */
	uint32_t cache_slot;      /* ... and its slot */
	struct hbm occ;           /* pages with orders */
	uint32_t npages;
	uint32_t best;            /* best price, 0 if the side is empty */
	uint32_t norders;
	uint32_t nlevels;
};

/*
 * The instrument's price-level mirror in an offload backend
 * (docs/offload.md). Level changes are queued as SETs of the level's new
 * total (consecutive changes of one level coalesce) and reach the backend
 * in one burst before the next MATCH, or when the queue fills.
 */
#define MIRROR_Q 64u

struct mirror {
	struct gv_offload *off;     /* in use; NULL: the host walks alone */
	struct gv_offload *primary; /* the configured backend */
	struct gv_offload *standby; /* "sw", made at start; NULL if primary is */
	uint32_t nq;
	struct gv_off_cmd q[MIRROR_Q];
};

struct instrument {
	struct gv_instrument_params p;
	struct mirror *m;         /* NULL without offload */
	struct side side[2];      /* 0 bids, 1 asks */
	uint32_t stop_head, stop_tail; /* pending stops, acceptance order */
	uint32_t nstops;
	uint32_t min_buy_stop;    /* UINT32_MAX if none */
	uint32_t max_sell_stop;   /* 0 if none */
	uint32_t last_price;      /* 0 until the first trade */
	bool halted;
	uint64_t accepted, fills, volume; /* statistics, not state */
};

struct session {
	uint32_t id;
	uint16_t account;
	bool killed;
	uint64_t last_cl_ord_id;
	uint32_t head, tail;      /* live orders in acceptance order */
	uint32_t nlive;
};

struct omap_entry {               /* (session, cl_ord_id) -> slot */
	uint64_t cl_ord_id;
	uint32_t slot;            /* NO_SLOT = empty */
	uint16_t session;
	uint16_t pad;
};

struct pmap_entry {               /* (instrument, side, page no) -> slot */
	uint64_t key;
	uint32_t slot;            /* NO_PAGE = empty */
	uint32_t pad;
};

struct smap_entry {               /* session id -> index */
	uint32_t id;              /* 0 = empty */
	uint16_t idx;
	uint16_t pad;
};

struct gv_book {
	struct gv_book_params p;
	struct gv_pool *pool;
	struct order *ord;        /* pool->base, indexed by slot */
	struct page *pages;
	uint32_t *free_pages;
	uint32_t nfree_pages;
	uint32_t pages_reserved;  /* for pending GTC/DAY stop-limits */
	struct pmap_entry *pmap;  /* pages in use, by key */
	uint32_t pmap_mask;
	uint32_t pmap_shift;
	struct instrument *ins;
	uint32_t nins;
	uint16_t *ins_by_id;      /* 65536 entries, NO_INS if absent */
	struct session *sess;
	uint32_t nsess;
	struct smap_entry *smap;
	uint32_t smap_mask;
	uint32_t last_session;    /* lookup cache: last session id ... */
	uint16_t last_si;         /* ... and its index (not state) */
	uint32_t *accounts;       /* account ids, by index */
	uint32_t naccounts;
	struct omap_entry *omap;
	uint32_t omap_mask;
	uint32_t omap_shift;      /* 64 - log2(map size): Fibonacci hashing */
	uint32_t omap_count;
	uint64_t next_seq;        /* order_id sequence */
	uint64_t next_ref;        /* MD reference */
	uint64_t next_match;
	uint64_t cnt[GV_CNT_MAX];
	uint64_t rejects[GV_REJ_MAX];    /* by reason */
	uint64_t cancels[GV_CXL_MAX];    /* by reason */
	uint64_t nevents;         /* events produced, for gv_book_apply */
	/* offload (not state: the book is the same whichever backend runs) */
	struct gv_off_ev *off_lv; /* MATCH results, GV_OFFLOAD_DEPTH_MAX */
	uint64_t off_matches, off_faults, off_fallbacks;
	char off_why[160];
	char off_name[32], off_inner[32], off_device[64]; /* p.offload... */
};

#endif /* GV_BOOK_PVT_H */
