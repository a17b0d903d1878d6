#!/bin/sh
# The dataplane benchmark (docs/benchmarks.md): gavel's packet path on a
# net_ring port fed with pre-built order frames (dp_bench), next to
# dpdk-testpmd io-forwarding on the same kind of device in the same run.
# usage: dp_bench.sh DP_BENCH LOBGEN PCAPGEN CONFIG [N_MESSAGES [SHARD_BENCH]]
#
# The headline runs use offload none (the engine's default: the book walks
# its own levels); the config's own backend (demo.conf: sw) is run too.
# With SHARD_BENCH, the shard engine alone (no DPDK) on the same captures.
set -eu
bench=$1 lobgen=$2 pcapgen=$3 conf=$4 n=${5:-1000000} shard=${6:-}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
eal="-l 0-1 --no-huge --no-pci -m 1024 --log-level=*:error"

echo "== reference: dpdk-testpmd io forward on net_ring0 (loopback), 3 s"
if command -v dpdk-testpmd >/dev/null; then
	# Forward for 3 s from the moment it says it forwards (EAL start-up
	# without hugepages can take seconds: a fixed sleep would cut it;
	# stdbuf, so that the line reaches the log when it is printed).
	mkfifo "$dir/in"
	# shellcheck disable=SC2086
	stdbuf -oL dpdk-testpmd $eal --file-prefix gvtp-$$ \
		--vdev=net_ring0 -- --forward-mode=io --total-num-mbufs=8192 \
		--tx-first --stats-period 0 < "$dir/in" > "$dir/testpmd.log" 2>&1 &
	tp=$!
	exec 3> "$dir/in"
	for _ in $(seq 300); do
		grep -q 'Press enter' "$dir/testpmd.log" 2>/dev/null && break
		kill -0 "$tp" 2>/dev/null || break
		sleep 0.1
	done
	sleep 3
	echo >&3
	exec 3>&-
	wait "$tp" || true
	rx=$(grep -m1 'RX-packets:' "$dir/testpmd.log" | awk '{print $2}')
	echo "testpmd: ${rx:-?} packets in 3 s: $(awk "BEGIN { printf \"%.0f\", ${rx:-0} / 3 }") packets/s"
else
	echo "testpmd: not installed"
fi

"$lobgen" --seed 7 --n "$n" --warmup 1000 --out "$dir/lob.txt"
for batch in 1 16; do
	"$pcapgen" --lobstream "$dir/lob.txt" --config "$conf" --sessions 4 \
		--batch "$batch" --out "$dir/b$batch.pcap" 2> /dev/null
	echo "== gavel, $batch order(s) per datagram, $n orders, offload none"
	# shellcheck disable=SC2086
	"$bench" $eal --file-prefix gvdb-$$ -- --config "$conf" \
		--pcap "$dir/b$batch.pcap" --offload none | grep -E '^(---|  (offered|rate|latency|per datagram|interruptions)|result)'
	if [ -n "$shard" ]; then
		echo "== the shard engine alone (no DPDK), $batch order(s) per datagram, offload none"
		"$shard" "$conf" "$dir/b$batch.pcap" --runs 5 --cpu 1 \
			--offload none | grep -E '^result'
	fi
done

echo "== gavel, 1 order per datagram, observed: 1,000 requests/s on /metrics and /health"
# shellcheck disable=SC2086
"$bench" $eal --file-prefix gvdb-$$ -- --config "$conf" --pcap "$dir/b1.pcap" --offload none \
	--http-load 1000 | grep -E '^(---|  (offered|rate|latency|per datagram|control plane|interruptions)|result)'

echo "== gavel, 16 orders per datagram, the config's offload (the book's matching through the mirror)"
# shellcheck disable=SC2086
"$bench" $eal --file-prefix gvdb-$$ -- --config "$conf" --pcap "$dir/b16.pcap" \
	| grep -E '^(dp_bench: offload|---|  (offered|rate|latency|per datagram|interruptions)|result)'
