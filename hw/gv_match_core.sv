// SPDX-License-Identifier: Apache-2.0
//
// gv_match_core.sv - the price-level matching core (docs/offload.md).
//
// Structure: one gv_side per book side holds up to DEPTH levels as a sorted
// register array (best price at index 0) of (price u32, qty u32) entries.
// A SET/ADD/REDUCE is decided in one cycle: every entry compares itself with
// the command's price in parallel, giving an "entry is better" thermometer
// (bt) and an "entry is this price" one-hot (eq); insert, evict (the worst
// entry falls off the end) and remove are one shift of the array. A MATCH
// walks the opposite side best first, one LEVEL event per cycle, then DONE.
//
// The mirror rules are those of offload/gv_offload.h, bit for bit:
// truncation (a truncated side never takes a new price worse than its
// worst held level, full or not), eviction, -EINVAL/-ERANGE errors,
// `beyond`, MATCH read-only, CLEAR. `lim` is the run-time depth (1..DEPTH)
// so that one bitstream can serve any configured offload depth up to DEPTH.
//
// One clock, synchronous active-high reset, no initial blocks or delays;
// the data registers are not reset (only the level counts and flags are),
// so the arrays map to plain flip-flops with clock enables.

/* verilator lint_off DECLFILENAME */
module gv_side #(
    parameter DEPTH = 64,
    parameter BID = 1,                 // 1: bids (descending), 0: asks
    parameter NW = $clog2(DEPTH + 1)
) (
    input  logic              clk,
    input  logic              rst,
    input  logic [NW-1:0]     lim,     // levels held at most (1..DEPTH)
    input  logic              clr,     // CLEAR: empty, untruncate
    input  logic              apply,   // commit `op` this cycle (no error)
    input  logic [1:0]        op,      // 1 SET, 2 ADD, 3 REDUCE
    input  logic [31:0]       price,
    input  logic [31:0]       qty,
    output logic              err_inval,
    output logic              err_range,
    output logic [NW-1:0]     n,       // levels held
    output logic              trunc,
    output logic [DEPTH*32-1:0] prices,
    output logic [DEPTH*32-1:0] qtys
);
    localparam logic [1:0] OP_SET = 2'd1, OP_ADD = 2'd2, OP_RED = 2'd3;
    localparam logic [1:0] A_NONE = 2'd0, A_INS = 2'd1, A_REM = 2'd2,
                           A_UPD = 2'd3;

    logic [DEPTH-1:0] valid, eq, bt, ins_at, keep;
    logic [DEPTH*32-1:0] qmask;
    logic [31:0] cur;
    logic hit, full, worse_all, q0, t_set;
    logic [32:0] sum;
    logic [1:0] act;
    logic [31:0] newq;

    genvar i;
    generate
        for (i = 0; i < DEPTH; i = i + 1) begin : g_cmp
            wire [31:0] p = prices[i*32 +: 32];
            assign valid[i] = ({{(32 - NW){1'b0}}, n} > i);
            assign eq[i] = valid[i] && (p == price);
            if (BID != 0) begin : g_bid
                assign bt[i] = valid[i] && (p > price);
            end else begin : g_ask
                assign bt[i] = valid[i] && (p < price);
            end
            if (i == 0) begin : g_first
                assign ins_at[i] = !bt[i];
            end else begin : g_next
                assign ins_at[i] = !bt[i] && bt[i-1];
            end
            assign keep[i] = bt[i] | ~valid[i];
            assign qmask[i*32 +: 32] = {32{eq[i]}} & qtys[i*32 +: 32];
        end
    endgenerate

    // eq is one-hot (prices are unique), so OR-ing the masked qtys selects.
    logic [(DEPTH+1)*32-1:0] qacc /*verilator split_var*/;
    assign qacc[31:0] = 32'd0;
    generate
        for (i = 0; i < DEPTH; i = i + 1) begin : g_or
            assign qacc[(i+1)*32 +: 32] = qacc[i*32 +: 32] | qmask[i*32 +: 32];
        end
    endgenerate
    assign cur = qacc[DEPTH*32 +: 32];

    assign hit = |eq;
    assign full = (n >= lim);
    assign worse_all = &keep;            // worse than every held level
    assign q0 = (qty == 32'd0);
    assign sum = {1'b0, cur} + {1'b0, qty};
    wire sum_ovf = sum[32];
    wire [31:0] sum_lo = sum[31:0];

    always_comb begin
        act = A_NONE;
        newq = qty;
        t_set = 1'b0;
        err_inval = 1'b0;
        err_range = 1'b0;
        case (op)
            OP_SET, OP_ADD: begin
                if (hit) begin
                    if (op == OP_ADD) begin
                        if (sum_ovf)
                            err_range = 1'b1;
                        else begin
                            act = A_UPD;
                            newq = sum_lo;
                        end
                    end else if (q0)
                        act = A_REM;
                    else
                        act = A_UPD;
                end else if (!q0) begin
                    // A new price: held unless it is worse than all held
                    // levels (or none is held) and the side is full or
                    // truncated; a full side evicts its worst.
                    t_set = full;
                    if (!((full || trunc) && worse_all))
                        act = A_INS;
                end
            end
            OP_RED: begin
                if (!hit || qty > cur)
                    err_inval = 1'b1;
                else if (qty == cur)
                    act = A_REM;
                else begin
                    act = A_UPD;
                    newq = cur - qty;
                end
            end
            default: ;
        endcase
    end

    always_ff @(posedge clk) begin
        if (rst || clr) begin
            n <= '0;
            trunc <= 1'b0;
        end else if (apply) begin
            if (t_set)
                trunc <= 1'b1;
            if (act == A_INS && !full)
                n <= n + 1'b1;
            else if (act == A_REM)
                n <= n - 1'b1;
        end
    end

    generate
        for (i = 0; i < DEPTH; i = i + 1) begin : g_ent
            logic [31:0] p_r, q_r;
            wire [31:0] p_prev, q_prev, p_next, q_next;
            if (i == 0) begin : g_p0
                assign p_prev = price;
                assign q_prev = newq;
            end else begin : g_pn
                assign p_prev = prices[(i-1)*32 +: 32];
                assign q_prev = qtys[(i-1)*32 +: 32];
            end
            if (i == DEPTH - 1) begin : g_nl
                assign p_next = 32'd0;
                assign q_next = 32'd0;
            end else begin : g_nn
                assign p_next = prices[(i+1)*32 +: 32];
                assign q_next = qtys[(i+1)*32 +: 32];
            end
            always_ff @(posedge clk) begin
                if (apply && !bt[i]) begin
                    case (act)
                        A_INS: begin
                            p_r <= ins_at[i] ? price : p_prev;
                            q_r <= ins_at[i] ? newq : q_prev;
                        end
                        A_REM: begin
                            p_r <= p_next;
                            q_r <= q_next;
                        end
                        A_UPD: if (eq[i]) q_r <= newq;
                        default: ;
                    endcase
                end
            end
            assign prices[i*32 +: 32] = p_r;
            assign qtys[i*32 +: 32] = q_r;
        end
    endgenerate
endmodule
/* verilator lint_on DECLFILENAME */

module gv_match_core #(
    parameter DEPTH = 64,
    parameter NW = $clog2(DEPTH + 1)
) (
    input  logic          clk,
    input  logic          rst,
    input  logic [NW-1:0] lim,
    // command in (valid/ready)
    input  logic          cmd_valid,
    output logic          cmd_ready,
    input  logic [7:0]    cmd_type,
    input  logic [7:0]    cmd_side,
    input  logic [31:0]   cmd_tag,
    input  logic [31:0]   cmd_price,
    input  logic [31:0]   cmd_qty,
    // event out (valid/ready)
    output logic          ev_valid,
    input  logic          ev_ready,
    output logic [7:0]    ev_type,
    output logic          ev_beyond,
    output logic [31:0]   ev_tag,
    output logic [31:0]   ev_price,
    output logic [31:0]   ev_qty,    // LEVEL: traded, DONE: rest, ERROR: code
    output logic          busy,      // a command is being executed
    output logic          done       // a command completed this cycle
);
    localparam logic [7:0] C_SET = 8'd1, C_ADD = 8'd2, C_RED = 8'd3,
                           C_MATCH = 8'd4, C_CLEAR = 8'd5;
    localparam logic [7:0] E_LEVEL = 8'd1, E_DONE = 8'd2, E_ERROR = 8'd3;
    localparam logic [31:0] EINVAL = 32'hFFFF_FFEA;   // -22
    localparam logic [31:0] ERANGE = 32'hFFFF_FFDE;   // -34
    localparam KW = (DEPTH > 1) ? $clog2(DEPTH) : 1;

    logic [NW-1:0] lim_c;
    logic b_inval, b_range, a_inval, a_range, b_trunc, a_trunc;
    logic [NW-1:0] b_n, a_n;
    logic [DEPTH*32-1:0] b_p, b_q, a_p, a_q;
    logic upd, side_ok, is_upd, b_apply, a_apply, clr;
    logic err, serr_inval, serr_range;

    // The run-time depth, clamped to 1..DEPTH.
    assign lim_c = (lim == '0) ? NW'(1) :
                   (lim > NW'(DEPTH)) ? NW'(DEPTH) : lim;

    logic in_match;
    logic m_buy;
    logic [31:0] m_lim, m_rem, m_tag;
    logic [NW-1:0] m_k;

    assign side_ok = (cmd_side == 8'd1) || (cmd_side == 8'd2);
    assign is_upd = (cmd_type == C_SET) || (cmd_type == C_ADD) ||
                    (cmd_type == C_RED);
    assign serr_inval = (cmd_side == 8'd1) ? b_inval : a_inval;
    assign serr_range = (cmd_side == 8'd1) ? b_range : a_range;

    // Idle decode: an update that fails, an unknown type or a bad side is
    // one ERROR event; a good update or CLEAR produces nothing.
    always_comb begin
        err = 1'b0;
        upd = 1'b0;
        clr = 1'b0;
        if (!in_match && cmd_valid) begin
            if (cmd_type == C_CLEAR)
                clr = 1'b1;
            else if (!side_ok || !(is_upd || cmd_type == C_MATCH))
                err = 1'b1;
            else if (is_upd) begin
                err = serr_inval || serr_range;
                upd = !err;
            end
        end
    end
    assign b_apply = upd && (cmd_side == 8'd1);
    assign a_apply = upd && (cmd_side == 8'd2);

    gv_side #(.DEPTH(DEPTH), .BID(1)) u_bid (
        .clk(clk), .rst(rst), .lim(lim_c), .clr(clr), .apply(b_apply),
        .op(cmd_type[1:0]), .price(cmd_price), .qty(cmd_qty),
        .err_inval(b_inval), .err_range(b_range), .n(b_n), .trunc(b_trunc),
        .prices(b_p), .qtys(b_q));
    gv_side #(.DEPTH(DEPTH), .BID(0)) u_ask (
        .clk(clk), .rst(rst), .lim(lim_c), .clr(clr), .apply(a_apply),
        .op(cmd_type[1:0]), .price(cmd_price), .qty(cmd_qty),
        .err_inval(a_inval), .err_range(a_range), .n(a_n), .trunc(a_trunc),
        .prices(a_p), .qtys(a_q));

    // MATCH walk: the aggressor's opposite side, entry m_k.
    logic [DEPTH*32-1:0] o_p, o_q;
    logic [NW-1:0] o_n;
    logic o_trunc, k_valid, crosses, take_lvl;
    logic [31:0] pk, qk, tq;
    logic [KW-1:0] kidx;

    assign o_p = m_buy ? a_p : b_p;
    assign o_q = m_buy ? a_q : b_q;
    assign o_n = m_buy ? a_n : b_n;
    assign o_trunc = m_buy ? a_trunc : b_trunc;
    assign kidx = m_k[KW-1:0];
    assign pk = o_p[kidx*32 +: 32];
    assign qk = o_q[kidx*32 +: 32];
    assign k_valid = (m_k < o_n);
    assign crosses = m_buy ? (pk <= m_lim) : (pk >= m_lim);
    assign take_lvl = k_valid && crosses && (m_rem != 32'd0);
    assign tq = (qk < m_rem) ? qk : m_rem;

    always_comb begin
        ev_valid = 1'b0;
        ev_type = E_DONE;
        ev_beyond = 1'b0;
        ev_tag = m_tag;
        ev_price = 32'd0;
        ev_qty = m_rem;
        cmd_ready = 1'b0;
        if (in_match) begin
            ev_valid = 1'b1;
            if (take_lvl) begin
                ev_type = E_LEVEL;
                ev_price = pk;
                ev_qty = tq;
            end else begin
                ev_beyond = (m_rem != 32'd0) && (m_k == o_n) && o_trunc;
            end
        end else if (cmd_valid) begin
            ev_tag = cmd_tag;
            ev_type = E_ERROR;
            ev_qty = serr_range && side_ok && is_upd ? ERANGE : EINVAL;
            ev_valid = err;
            cmd_ready = err ? ev_ready : 1'b1;
        end
    end

    assign busy = in_match;
    assign done = (in_match && !take_lvl && ev_ready) ||
                  (!in_match && cmd_valid && cmd_ready &&
                   cmd_type != C_MATCH) ||
                  (!in_match && cmd_valid && err && ev_ready);

    always_ff @(posedge clk) begin
        if (rst) begin
            in_match <= 1'b0;
            m_k <= '0;
        end else if (in_match) begin
            if (ev_ready) begin
                if (take_lvl) begin
                    m_k <= m_k + 1'b1;
                    m_rem <= m_rem - tq;
                end else
                    in_match <= 1'b0;
            end
        end else if (cmd_valid && cmd_type == C_MATCH && side_ok) begin
            in_match <= 1'b1;
            m_buy <= (cmd_side == 8'd1);
            m_lim <= cmd_price;
            m_rem <= cmd_qty;
            m_tag <= cmd_tag;
            m_k <= '0;
        end
    end
endmodule
