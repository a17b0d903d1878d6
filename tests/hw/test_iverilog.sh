#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
#
# test_iverilog.sh [SOURCE_ROOT] - the RTL in hw/ through Icarus Verilog:
# it must compile as SystemVerilog 2012, and the test bench tb_core.sv
# (a few commands through the register bus, results checked) must pass at
# a small and the default depth. Exit 77 without iverilog.
set -eu
root=${1:-$(cd "$(dirname "$0")/../.." && pwd)}
command -v iverilog >/dev/null 2>&1 || { echo "iverilog not found" >&2; exit 77; }
command -v vvp >/dev/null 2>&1 || { echo "vvp not found" >&2; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Icarus says "sorry: constant selects in always_* processes" for the
# sensitivity of always_comb; it is a note, not an error.
iverilog -g2012 -o /dev/null "$root"/hw/*.sv
for depth in 4 64; do
	iverilog -g2012 -DTB_DEPTH=$depth -s tb_core -o "$tmp/tb$depth" \
		"$root"/hw/*.sv "$root/tests/hw/tb_core.sv"
	vvp -n "$tmp/tb$depth" | tee "$tmp/out$depth"
	grep -q "^tb_core: PASS" "$tmp/out$depth"
done
