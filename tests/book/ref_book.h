/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ref_book.h - a deliberately simple reference model of the matching engine
 * in book/gv_book.h, for the randomised differential test.
 *
 * Same API shape and the same public types (struct gv_cmd, struct
 * gv_event, the wire enums, the views) as gv_book, so that a test can feed
 * one command stream to both and compare the events and the books field by
 * field. Clarity over speed: plain arrays, linear scans, no bitmaps. Every
 * operation is O(live orders) (the FOK dry run copies the state). The one
 * rule left out is CAPACITY for a full set of price-level pages: configure
 * the engine with enough pages that it never applies. See ref_book.c for
 * the details the spec leaves open and what the model chose.
 */
#ifndef REF_BOOK_H
#define REF_BOOK_H

#include "gv_book.h"

struct ref_book;

/* NULL on a bad parameter or out of memory. */
struct ref_book *ref_book_create(const struct gv_book_params *p);

/* NULL is a no-op. */
void ref_book_free(struct ref_book *b);

/* 0, -EINVAL, -EEXIST (id or symbol taken), -ENOSPC. */
int ref_book_add_instrument(struct ref_book *b,
                            const struct gv_instrument_params *p);

/* 0, -EINVAL (id or account 0), -EEXIST, -ENOSPC. */
int ref_book_add_session(struct ref_book *b, uint32_t session_id,
                         uint32_t account);

/* As gv_book_apply(): returns the number of events appended to `out`. */
uint32_t ref_book_apply(struct ref_book *b, const struct gv_cmd *cmd,
                        struct gv_evbuf *out);

/* As gv_book_depth(): levels best first; count or -ENOENT. */
int ref_book_depth(const struct ref_book *b, uint32_t instrument,
                   enum gv_side side, struct gv_level_view *lv, uint32_t n);

/* As gv_book_foreach_order(): resting orders, price-time order. */
int ref_book_foreach_order(const struct ref_book *b, uint32_t instrument,
                           enum gv_side side,
                           void (*fn)(void *arg,
                                      const struct gv_order_view *o),
                           void *arg);

/*
 * Test helper: every live order (resting and pending stops) of the shard,
 * in the model's slot order (deterministic, not acceptance order).
 * Returns the number of orders.
 */
int ref_book_foreach_live(const struct ref_book *b,
                          void (*fn)(void *arg, const struct gv_order_view *o),
                          void *arg);

uint32_t ref_book_live_orders(const struct ref_book *b);

/* 0 if no trade yet or unknown instrument. */
int64_t ref_book_last_price(const struct ref_book *b, uint32_t instrument);

/* 1 if the instrument is halted, 0 if not, -ENOENT if unknown. */
int ref_book_halted(const struct ref_book *b, uint32_t instrument);

/* 1 if the session is killed, 0 if not, -ENOENT if unknown. */
int ref_book_killed(const struct ref_book *b, uint32_t session_id);

/* Commands counted as GV_CNT_BAD_CMD (unknown session or type). */
uint64_t ref_book_bad_cmds(const struct ref_book *b);

#endif /* REF_BOOK_H */
