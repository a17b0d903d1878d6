#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
#
# synth.sh DEPTH [LOG] - synthesize gv_top for a Xilinx 7-series part with
# yosys (synth_xilinx, flattened) at mirror depth DEPTH and print resource
# use and the longest combinational path in logic levels. The yosys log
# goes to LOG (default /tmp/gv_synth_DEPTH.log). Exit 77 without yosys.
#
# ltp -noff only knows yosys' internal flip-flop cells, and after mapping
# the flip-flops are FDRE/FDSE primitives; so after `stat` the sequential
# primitives (FD*, block and distributed RAM: every read here is
# registered) and the I/O and clock buffers are deleted and ltp measures
# what is left: register to register, in cells (LUT, MUXF7/8, CARRY4).
set -eu
depth=${1:?usage: synth.sh DEPTH [LOG]}
here=$(cd "$(dirname "$0")" && pwd)
log=${2:-/tmp/gv_synth_$depth.log}
command -v yosys >/dev/null 2>&1 || { echo "yosys not found" >&2; exit 77; }

yosys -q -l "$log" -p "
read_verilog -sv $here/gv_match_core.sv $here/gv_regs.sv
chparam -set DEPTH $depth gv_top
synth_xilinx -top gv_top -flatten
tee -o $log.stat stat
delete t:FD* t:RAM* t:BUFG t:IBUF t:OBUF
tee -o $log.ltp ltp -noff
" >/dev/null 2>&1 || { echo "yosys failed, see $log" >&2; exit 1; }

cells() { # sum the counts of cell types matching $1 in the stat output
	awk -v re="$1" '$1 ~ re && $2 ~ /^[0-9]+$/ { s += $2 } END { print s + 0 }' \
		"$log.stat"
}
luts=$(cells '^LUT[1-6]$')
lutram=$(cells '^RAM(32|64|128|256)')
ffs=$(cells '^FD')
bram=$(cells '^RAMB(18|36)')
carry=$(cells '^CARRY4$')
levels=$(sed -n 's/.*Longest topological path in gv_top (length=\([0-9]*\)).*/\1/p' "$log.ltp")
echo "depth=$depth LUT=$luts LUTRAM=$lutram FF=$ffs BRAM=$bram CARRY4=$carry levels=$levels"
[ -n "$levels" ] && [ "$luts" -gt 0 ]
