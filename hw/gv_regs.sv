// SPDX-License-Identifier: Apache-2.0
//
// gv_regs.sv - the card: register file, command and event rings around
// gv_match_core, behind one 32-bit register bus (docs/offload.md has the
// map). The same bus is what the Verilator shim drives and what a PCIe
// BAR0 would expose: 32-bit reads and writes only.
//
// Bus: a write (we) takes effect at the clock edge it is sampled on; a read
// (re) returns rdata with rvalid one cycle later. we and re are exclusive.
//
// Rings (NVMe style): the command ring is CQ slots of 4 words in the
// CMD window; the host fills slots at its tail and writes the new
// free-running tail count to CMD_TAIL (the doorbell). The core consumes
// from CMD_HEAD. The event ring is EQ slots in the EVT window; the core
// produces at EVT_TAIL and stalls while the ring is full; the host reads
// slots at its head and writes the new free-running head to EVT_HEAD.
// Each ring word is a block RAM (gv_ram): one write port, one read port.

/* verilator lint_off DECLFILENAME */
module gv_ram #(
    parameter AW = 5
) (
    input  logic          clk,
    input  logic          we,
    input  logic [AW-1:0] waddr,
    input  logic [31:0]   wdata,
    input  logic [AW-1:0] raddr,
    output logic [31:0]   rdata
);
    logic [31:0] mem [0:(1 << AW) - 1];

    always_ff @(posedge clk) begin
        if (we)
            mem[waddr] <= wdata;
        rdata <= mem[raddr];
    end
endmodule
/* verilator lint_on DECLFILENAME */

module gv_top #(
    parameter DEPTH = 64,
    parameter CQ_LOG2 = 5,             // 32 command slots
    parameter EQ_LOG2 = 7              // 128 event slots
) (
    input  logic        clk,
    input  logic        rst,
    input  logic [15:0] addr,          // byte address, 32-bit aligned
    input  logic [31:0] wdata,
    input  logic        we,
    input  logic        re,
    output logic [31:0] rdata,
    output logic        rvalid,
    output logic        irq            // events pending (an MSI on a card)
);
    localparam NW = $clog2(DEPTH + 1);
    localparam logic [31:0] ID = 32'h4756_4F46;       // "GVOF"
    localparam logic [31:0] VERSION = 32'h0001_0000;  // 1.0
    localparam logic [31:0] CAPS = 32'h0000_0007;     // MATCH|LEVELS|HW
    localparam logic [31:0] CQ = 32'd1 << CQ_LOG2;
    localparam logic [31:0] EQ = 32'd1 << EQ_LOG2;

    // Register offsets (bytes).
    localparam logic [15:0] R_ID = 16'h0000, R_VERSION = 16'h0004,
        R_CAPS = 16'h0008, R_DEPTH = 16'h000C, R_QSIZE = 16'h0010,
        R_CONTROL = 16'h0014, R_STATUS = 16'h0018, R_ERROR = 16'h001C,
        R_CMD_TAIL = 16'h0020, R_CMD_HEAD = 16'h0024,
        R_EVT_TAIL = 16'h0028, R_EVT_HEAD = 16'h002C,
        R_DEPTH_LIMIT = 16'h0030, R_CNT_CMDS = 16'h0034,
        R_CNT_EVTS = 16'h0038, R_CNT_ERRS = 16'h003C,
        R_CNT_STALLS = 16'h0040, R_CYCLES_LO = 16'h0044,
        R_CYCLES_HI = 16'h0048, R_LAST_CYCLES = 16'h004C;
    localparam logic [3:0] W_CMD = 4'h1, W_EVT = 4'h2;   // addr[15:12]

    // ERROR bits (sticky, write 1 to clear).
    localparam E_DOORBELL = 0, E_EVT_HEAD = 1, E_BAD_ADDR = 2;

    logic srst, rst_i;
    logic [31:0] cmd_tail, cmd_head, evt_tail, evt_head;
    logic [31:0] cnt_cmds, cnt_evts, cnt_errs, cnt_stalls;
    logic [63:0] cycles;
    logic [31:0] cycles_hi_shadow, last_cycles, cur_cycles;
    logic [2:0] error;
    logic [NW-1:0] lim;

    // Soft reset: CONTROL bit 0 resets the core, rings and counters at
    // the edge that samples the write (synchronous, like rst).
    assign srst = we && addr == R_CONTROL && wdata[0];
    assign rst_i = rst || srst;

    wire [3:0] win = addr[15:12];
    wire [1:0] word = addr[3:2];
    wire cmd_wr = we && win == W_CMD;

    // ---- command ring ----------------------------------------------------
    wire [31:0] cmd_used = cmd_tail - cmd_head;
    wire cmd_valid = (cmd_used != 32'd0);
    logic cmd_ready;
    wire cmd_take = cmd_valid && cmd_ready;
    wire [31:0] cmd_head_next = cmd_head + {31'd0, cmd_take};
    /* verilator lint_off UNUSEDSIGNAL */
    logic [31:0] cw0;  // [31:16] reserved
    /* verilator lint_on UNUSEDSIGNAL */
    logic [31:0] cw1, cw2, cw3;

    gv_ram #(.AW(CQ_LOG2)) u_cmd0 (.clk(clk),
        .we(cmd_wr && word == 2'd0), .waddr(addr[CQ_LOG2+3:4]),
        .wdata(wdata), .raddr(cmd_head_next[CQ_LOG2-1:0]), .rdata(cw0));
    gv_ram #(.AW(CQ_LOG2)) u_cmd1 (.clk(clk),
        .we(cmd_wr && word == 2'd1), .waddr(addr[CQ_LOG2+3:4]),
        .wdata(wdata), .raddr(cmd_head_next[CQ_LOG2-1:0]), .rdata(cw1));
    gv_ram #(.AW(CQ_LOG2)) u_cmd2 (.clk(clk),
        .we(cmd_wr && word == 2'd2), .waddr(addr[CQ_LOG2+3:4]),
        .wdata(wdata), .raddr(cmd_head_next[CQ_LOG2-1:0]), .rdata(cw2));
    gv_ram #(.AW(CQ_LOG2)) u_cmd3 (.clk(clk),
        .we(cmd_wr && word == 2'd3), .waddr(addr[CQ_LOG2+3:4]),
        .wdata(wdata), .raddr(cmd_head_next[CQ_LOG2-1:0]), .rdata(cw3));

    // ---- event ring ------------------------------------------------------
    wire [31:0] evt_used = evt_tail - evt_head;
    wire evt_full = (evt_used == EQ);
    logic ev_valid, ev_beyond, core_busy, core_done;
    logic [7:0] ev_type;
    logic [31:0] ev_tag, ev_price, ev_qty;
    wire ev_push = ev_valid && !evt_full;
    wire [EQ_LOG2-1:0] ev_slot = evt_tail[EQ_LOG2-1:0];
    logic [31:0] ew0, ew1, ew2, ew3;

    gv_ram #(.AW(EQ_LOG2)) u_evt0 (.clk(clk), .we(ev_push), .waddr(ev_slot),
        .wdata({23'd0, ev_beyond, ev_type}), .raddr(addr[EQ_LOG2+3:4]),
        .rdata(ew0));
    gv_ram #(.AW(EQ_LOG2)) u_evt1 (.clk(clk), .we(ev_push), .waddr(ev_slot),
        .wdata(ev_tag), .raddr(addr[EQ_LOG2+3:4]), .rdata(ew1));
    gv_ram #(.AW(EQ_LOG2)) u_evt2 (.clk(clk), .we(ev_push), .waddr(ev_slot),
        .wdata(ev_price), .raddr(addr[EQ_LOG2+3:4]), .rdata(ew2));
    gv_ram #(.AW(EQ_LOG2)) u_evt3 (.clk(clk), .we(ev_push), .waddr(ev_slot),
        .wdata(ev_qty), .raddr(addr[EQ_LOG2+3:4]), .rdata(ew3));

    gv_match_core #(.DEPTH(DEPTH)) u_core (
        .clk(clk), .rst(rst_i), .lim(lim),
        .cmd_valid(cmd_valid), .cmd_ready(cmd_ready),
        .cmd_type(cw0[7:0]), .cmd_side(cw0[15:8]), .cmd_tag(cw1),
        .cmd_price(cw2), .cmd_qty(cw3),
        .ev_valid(ev_valid), .ev_ready(!evt_full), .ev_type(ev_type),
        .ev_beyond(ev_beyond), .ev_tag(ev_tag), .ev_price(ev_price),
        .ev_qty(ev_qty), .busy(core_busy), .done(core_done));

    assign irq = (evt_tail != evt_head);

    // ---- register writes, pointers, counters -----------------------------
    wire [31:0] db_used = wdata - cmd_head;       // doorbell: new occupancy
    wire [31:0] eh_free = wdata - evt_head;       // head advance

    always_ff @(posedge clk) begin
        if (rst_i) begin
            cmd_tail <= '0;
            cmd_head <= '0;
            evt_tail <= '0;
            evt_head <= '0;
            cnt_cmds <= '0;
            cnt_evts <= '0;
            cnt_errs <= '0;
            cnt_stalls <= '0;
            cur_cycles <= '0;
            last_cycles <= '0;
            error <= '0;
            lim <= NW'(DEPTH);
        end else begin
            cmd_head <= cmd_head_next;
            if (ev_push) begin
                evt_tail <= evt_tail + 1'b1;
                cnt_evts <= cnt_evts + 1'b1;
                if (ev_type == 8'd3)
                    cnt_errs <= cnt_errs + 1'b1;
            end
            if (ev_valid && evt_full)
                cnt_stalls <= cnt_stalls + 1'b1;
            if (core_done) begin
                cnt_cmds <= cnt_cmds + 1'b1;
                last_cycles <= cur_cycles + 1'b1;
                cur_cycles <= '0;
            end else if (core_busy || cmd_valid)
                cur_cycles <= cur_cycles + 1'b1;
            if (we) begin
                case (addr)
                    R_CMD_TAIL:
                        if (db_used <= CQ && db_used >= cmd_used)
                            cmd_tail <= wdata;
                        else
                            error[E_DOORBELL] <= 1'b1;
                    R_EVT_HEAD:
                        if (eh_free <= evt_used)
                            evt_head <= wdata;
                        else
                            error[E_EVT_HEAD] <= 1'b1;
                    R_ERROR: error <= error & ~wdata[2:0];
                    R_DEPTH_LIMIT: lim <= wdata[NW-1:0];
                    R_CONTROL: ;
                    default:
                        if (win != W_CMD)
                            error[E_BAD_ADDR] <= 1'b1;
                endcase
            end
        end
    end

    always_ff @(posedge clk) begin
        if (rst)
            cycles <= '0;
        else
            cycles <= cycles + 1'b1;
    end

    // ---- register reads: one cycle ---------------------------------------
    logic [31:0] rreg;
    logic rsel_evt, bad_rd;
    logic [1:0] rword;
    wire [31:0] status = {27'd0, error != 3'd0, evt_full,
                          evt_tail == evt_head, cmd_used == CQ,
                          core_busy || cmd_valid};

    wire [31:0] cycles_lo = cycles[31:0];
    localparam logic [31:0] QSIZE = (EQ << 16) | CQ;
    wire [31:0] lim32 = {{(32 - NW){1'b0}}, lim};
    wire [31:0] err32 = {29'd0, error};

    always_comb begin
        bad_rd = 1'b0;
        case (addr)
            R_ID: rreg = ID;
            R_VERSION: rreg = VERSION;
            R_CAPS: rreg = CAPS;
            R_DEPTH: rreg = DEPTH;
            R_QSIZE: rreg = QSIZE;
            R_STATUS: rreg = status;
            R_ERROR: rreg = err32;
            R_CMD_TAIL: rreg = cmd_tail;
            R_CMD_HEAD: rreg = cmd_head;
            R_EVT_TAIL: rreg = evt_tail;
            R_EVT_HEAD: rreg = evt_head;
            R_DEPTH_LIMIT: rreg = lim32;
            R_CNT_CMDS: rreg = cnt_cmds;
            R_CNT_EVTS: rreg = cnt_evts;
            R_CNT_ERRS: rreg = cnt_errs;
            R_CNT_STALLS: rreg = cnt_stalls;
            R_CYCLES_LO: rreg = cycles_lo;
            R_CYCLES_HI: rreg = cycles_hi_shadow;
            R_LAST_CYCLES: rreg = last_cycles;
            default: begin
                rreg = 32'd0;
                bad_rd = (win != W_EVT);
            end
        endcase
    end

    logic [31:0] rreg_q;
    always_ff @(posedge clk) begin
        if (rst) begin
            rvalid <= 1'b0;
            cycles_hi_shadow <= '0;
        end else begin
            rvalid <= re;
            if (re && addr == R_CYCLES_LO)
                cycles_hi_shadow <= cycles[63:32];
        end
        if (re) begin
            rsel_evt <= (win == W_EVT);
            rword <= word;
            rreg_q <= rreg;
        end
    end

    // A bad read address is reported by returning all-ones, as PCIe does.
    logic bad_q;
    always_ff @(posedge clk) begin
        if (rst)
            bad_q <= 1'b0;
        else if (re)
            bad_q <= bad_rd;
    end

    always_comb begin
        if (bad_q)
            rdata = 32'hFFFF_FFFF;
        else if (!rsel_evt)
            rdata = rreg_q;
        else
            case (rword)
                2'd0: rdata = ew0;
                2'd1: rdata = ew1;
                2'd2: rdata = ew2;
                default: rdata = ew3;
            endcase
    end
endmodule
