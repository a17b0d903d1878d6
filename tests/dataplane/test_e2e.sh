#!/bin/sh
# End-to-end on DPDK virtual devices (no NIC, no hugepages): a generated
# order flow as a GOE/1 capture -> gavel (net_pcap in and out) -> decoded,
# and compared with
#   1. the reference replay (replay_ref: the same shard engines fed straight
#      from the capture, no DPDK): every output message, in order within
#      each stream (each session's replies, the market-data stream) — gavel
#      packs the replies to a burst of input into shared datagrams, so only
#      the cut into datagrams may differ;
#   2. what the book must produce for that flow: fills and volume equal the
#      result line lobgen computes from its own book model;
#   3. the pipelined layout (rx lcore -> shard lcore over rings): identical;
#   4. a lossy network: 5 % loss, 5 % duplicates, 5 % reordering plus the
#      client's resends (one session, so the exchange sees one order of
#      events): exactly the same fills as the clean run;
#   5. the matching step on every offload backend: the config's "sw" (its
#      matches counted, no fault), none, and fpga-sim (the Verilated RTL,
#      when built): identical output.
# usage: test_e2e.sh GAVEL PCAPGEN DECODE REPLAY_REF LOBGEN CONFIG
set -eu
abs() { echo "$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"; }
gavel=$(abs "$1") pcapgen=$(abs "$2") decode=$(abs "$3") ref=$(abs "$4")
lobgen=$(abs "$5") conf=$(abs "$6")
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cd "$dir"

eal() { # eal NAME LCORES IN OUT
	echo "-l $2 --no-huge --no-pci -m 256 --file-prefix gv-e2e-$1-$$" \
	     "--log-level=*:error --vdev=net_pcap0,rx_pcap=$3,tx_pcap=$4"
}

run_gavel() { # run_gavel NAME LCORES IN OUT [gavel options]
	name=$1 lc=$2 in=$3 out=$4
	shift 4
	# shellcheck disable=SC2046
	if ! "$gavel" $(eal "$name" "$lc" "$in" "$out") -- --config "$conf" \
	        --replay "$@" > "$name.log" 2>&1; then
		if grep -q "EAL: " "$name.log" && ! grep -q "gavel:" "$name.log"; then
			cat "$name.log"
			echo "SKIP: DPDK EAL cannot start here"
			exit 77
		fi
		cat "$name.log"
		echo "FAIL: gavel ($name) exited non-zero"
		exit 1
	fi
	sed -n '/^gavel: replay/,$p' "$name.log"
}

fail=0
# Decoded messages per stream: market data in order, then each session's
# replies in order (a stable sort on the session field).
streams() {
	"$decode" --no-time "$1" > "$1.all"
	grep '^mold' "$1.all" || true
	grep '^goe' "$1.all" | sort -s -k2,2 || true
}
check() { # check WHAT CONDITION...
	what=$1
	shift
	if "$@"; then echo "ok: $what"; else echo "FAIL: $what"; fail=1; fi
}

"$lobgen" --seed 5 --n 20000 --warmup 1000 --out lob.txt --expect 2> expect.txt
"$pcapgen" --lobstream lob.txt --config "$conf" --sessions 4 --out in.pcap \
	2> gen.log || { cat gen.log; exit 1; }
run_gavel rtc 0 in.pcap out.pcap
"$ref" "$conf" in.pcap ref.pcap 2> ref.log || { cat ref.log; exit 1; }
streams out.pcap > out.txt
streams ref.pcap > ref.txt
check "gavel's output equals the reference replay ($(wc -l < out.txt) messages)" \
	cmp -s out.txt ref.txt
[ $fail = 0 ] || diff out.txt ref.txt | head -20

# Every frame gavel sent has a valid IPv4 header checksum, by tshark's own
# check (an independent implementation of RFC 1071).
if command -v tshark > /dev/null; then
	tshark -r out.pcap -o ip.check_checksum:TRUE -T fields \
		-e ip.checksum.status 2> /dev/null | sort | uniq -c > cksum.txt
	check "IPv4 header checksums of gavel's frames: $(tr -s ' \n' ' ' < cksum.txt)(1 = good)" \
		sh -c '[ "$(wc -l < cksum.txt)" = 1 ] && grep -q " 1$" cksum.txt'
else
	echo "note: tshark not installed; IPv4 checksums not checked"
fi

# Fills and volume against lobgen's own model of the same stream.
want_fills=$(sed -n 's/^result: fills=\([0-9]*\) .*/\1/p' expect.txt)
want_vol=$(sed -n 's/^result: .* volume=\([0-9]*\) .*/\1/p' expect.txt)
got_fills=$(grep -c ' f .* maker' out.txt || true)
got_vol=$(grep ' f .* maker' out.txt | sed 's/.* qty=\([0-9]*\) .*/\1/' |
	awk '{ s += $1 } END { print s + 0 }')
check "fills $got_fills = $want_fills (lobgen's model)" \
	[ "$got_fills" = "$want_fills" ]
check "volume $got_vol = $want_vol (lobgen's model)" \
	[ "$got_vol" = "$want_vol" ]
check "no reject, no drop" sh -c "grep -q 'rejects: 0' rtc.log &&
	grep -q 'frames dropped: not_ipv4=0 malformed=0 other_dst=0 unknown_session=0 ' rtc.log"

# Offload backends: the same output whichever plans the matches.
check "offload sw planned the matches, no fault" sh -c \
	"grep -Eq 'offload: sw, [1-9][0-9]* matches planned, [0-9]+ commands, 0 faults, 0 fallbacks' rtc.log"
for be in none fpga-sim; do
	if ! "$gavel" $(eal "off-$be" 0 in.pcap "off-$be.pcap") -- --config "$conf" \
	        --replay --offload="$be" > "off-$be.log" 2>&1; then
		if grep -q "no offload backend" "off-$be.log"; then
			echo "note: offload $be not built: not run"
			continue
		fi
		cat "off-$be.log"
		echo "FAIL: gavel --offload=$be exited non-zero"
		fail=1
		continue
	fi
	streams "off-$be.pcap" > "off-$be.txt"
	check "offload $be: the same output" cmp -s "off-$be.txt" out.txt
	check "offload $be: in use, no fault" grep -Eq \
		"offload: $be, .* 0 faults, 0 fallbacks" "off-$be.log"
done

if [ "$(nproc)" -ge 2 ]; then
	run_gavel pipe 0-1 in.pcap pipe.pcap --layout pipeline
	streams pipe.pcap > pipe.txt
	check "pipelined layout gives the same output" cmp -s pipe.txt out.txt
else
	echo "note: one CPU: pipelined layout not run"
fi

# Lossy network: same fills as the clean run.
"$pcapgen" --lobstream lob.txt --config "$conf" --sessions 1 --out clean1.pcap \
	2> /dev/null
"$pcapgen" --lobstream lob.txt --config "$conf" --sessions 1 --out lossy.pcap \
	--loss 5 --dup 5 --reorder 5 --seed 3 --resend 2> lossy-gen.log ||
	{ cat lossy-gen.log; exit 1; }
run_gavel clean1 0 clean1.pcap clean1-out.pcap
run_gavel lossy 0 lossy.pcap lossy-out.pcap
streams clean1-out.pcap | grep ' f ' > clean-fills.txt
streams lossy-out.pcap | grep ' f ' > lossy-fills.txt
check "lossy network: $(wc -l < lossy-fills.txt) fill reports, identical" \
	cmp -s clean-fills.txt lossy-fills.txt
check "lossy network: duplicates and gaps were seen" sh -c \
	"grep -q 'duplicates [1-9]' lossy.log && grep -q 'gaps [1-9]' lossy.log"
exit $fail
