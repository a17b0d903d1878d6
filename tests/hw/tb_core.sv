// SPDX-License-Identifier: Apache-2.0
//
// tb_core.sv - Icarus Verilog test bench for gv_top: a few commands through
// the register bus, results checked; $fatal on the first mismatch, then
// "tb_core: PASS". Test-bench code: initial blocks and delays are fine.
`timescale 1ns/1ps
`ifndef TB_DEPTH
`define TB_DEPTH 64
`endif

module tb_core;
    logic clk = 1'b0, rst = 1'b1;
    logic [15:0] addr = '0;
    logic [31:0] wdata = '0, rdata;
    logic we = 1'b0, re = 1'b0, rvalid, irq;

    gv_top #(.DEPTH(`TB_DEPTH)) dut (
        .clk(clk), .rst(rst), .addr(addr), .wdata(wdata), .we(we),
        .re(re), .rdata(rdata), .rvalid(rvalid), .irq(irq));

    always #2 clk = ~clk;                  // 250 MHz

    task automatic wr(input [15:0] a, input [31:0] d);
        @(negedge clk);
        addr = a; wdata = d; we = 1'b1;
        @(negedge clk);
        we = 1'b0;
    endtask

    task automatic rd(input [15:0] a, output [31:0] d);
        @(negedge clk);
        addr = a; re = 1'b1;
        @(negedge clk);
        re = 1'b0;
        if (!rvalid) $fatal(1, "rvalid low after read of %h", a);
        d = rdata;
    endtask

    task automatic expect_rd(input [15:0] a, input [31:0] want);
        logic [31:0] got;
        rd(a, got);
        if (got !== want)
            $fatal(1, "read %h: got %h, want %h", a, got, want);
    endtask

    integer slot = 0;
    task automatic cmd(input [7:0] t, input [7:0] s, input [31:0] tag,
                       input [31:0] p, input [31:0] q);
        logic [15:0] b;
        b = 16'h1000 + 16'(slot * 16);
        wr(b, {16'd0, s, t});
        wr(b + 4, tag);
        wr(b + 8, p);
        wr(b + 12, q);
        slot = slot + 1;
    endtask

    task automatic expect_ev(input integer i, input [7:0] t, input beyond,
                             input [31:0] tag, input [31:0] p,
                             input [31:0] q);
        logic [15:0] b;
        b = 16'h2000 + 16'(i * 16);
        expect_rd(b, {23'd0, beyond, t});
        expect_rd(b + 4, tag);
        expect_rd(b + 8, p);
        expect_rd(b + 12, q);
    endtask

    initial begin
        repeat (4) @(posedge clk);
        rst = 1'b0;
        expect_rd(16'h0000, 32'h4756_4F46);     // ID
        expect_rd(16'h0004, 32'h0001_0000);     // VERSION
        expect_rd(16'h000C, `TB_DEPTH);         // DEPTH
        expect_rd(16'h0018, 32'h0000_0004);     // STATUS: EVT_EMPTY
        wr(16'h0030, 2);                        // DEPTH_LIMIT = 2
        cmd(1, 1, 1, 100, 5);                   // SET bid 100 x5
        cmd(1, 1, 2, 99, 6);                    // SET bid 99 x6
        cmd(1, 1, 3, 98, 7);                    // full: not held, truncated
        cmd(4, 2, 4, 0, 100);                   // MATCH sell <= 0 x100
        cmd(3, 1, 5, 50, 1);                    // REDUCE not held: -EINVAL
        cmd(2, 1, 6, 100, 32'hFFFF_FFFF);       // ADD overflow: -ERANGE
        cmd(4, 2, 7, 100, 3);                   // MATCH sell <= 100 x3
        wr(16'h0020, 7);                        // doorbell
        repeat (20) @(posedge clk);
        expect_rd(16'h0024, 7);                 // CMD_HEAD
        expect_rd(16'h0028, 7);                 // EVT_TAIL
        if (!irq) $fatal(1, "irq low with events pending");
        expect_ev(0, 1, 0, 4, 100, 5);
        expect_ev(1, 1, 0, 4, 99, 6);
        expect_ev(2, 2, 1, 4, 0, 89);           // DONE, beyond
        expect_ev(3, 3, 0, 5, 0, 32'hFFFF_FFEA);
        expect_ev(4, 3, 0, 6, 0, 32'hFFFF_FFDE);
        expect_ev(5, 1, 0, 7, 100, 3);
        expect_ev(6, 2, 0, 7, 0, 0);
        expect_rd(16'h004C, 3);                 // LAST_CYCLES: 1 level
        wr(16'h002C, 7);                        // EVT_HEAD
        expect_rd(16'h0018, 32'h0000_0004);
        expect_rd(16'h0034, 7);                 // CNT_CMDS
        expect_rd(16'h003C, 2);                 // CNT_ERRS
        $display("tb_core: PASS (DEPTH %0d)", `TB_DEPTH);
        $finish;
    end

    initial begin
        #100000 $fatal(1, "timeout");
    end
endmodule
