#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The pcap tools against each other: gavel-pcapgen writes captures (from the
# LOBSTER sample and from a lobgen stream), gavel-decode reads them back.
#  - decode's counts equal pcapgen's summary (datagrams, messages), nothing
#    is dropped, capture times strictly increase;
#  - every message decodes with a valid MAC (--mac-key-config), N included;
#  - with --loss/--dup/--reorder and --resend, the distinct sequenced
#    messages equal the clean capture's, and applying gavel's sequencing
#    rules (protocol.md 1.2: seq == expected_in applied, lower ignored,
#    higher dropped as a gap) to the lossy capture applies exactly the clean
#    capture's messages; without --resend it does not;
#  - bad input fails with FILE:LINE and exit status 1.
# usage: test_tools.sh PCAPGEN DECODE LOBGEN SHARED_DIR CONFIG
set -eu
if [ $# -ne 5 ]; then
	echo "usage: $0 PCAPGEN DECODE LOBGEN SHARED_DIR CONFIG" >&2
	exit 2
fi
pcapgen=$1
decode=$2
lobgen=$3
shared=$4
conf=$5
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

fail() {
	echo "FAIL: $*"
	exit 1
}

# val FILE KEY: the number after KEY= in a summary line.
val() {
	tr ' ' '\n' <"$1" | sed -n "s/^$2=\([0-9][0-9]*\)$/\1/p" | head -n 1
}

# Sequenced messages that gavel applies, in order (--no-time lines).
applied() {
	awk '{ s = substr($2, 3); q = substr($3, 5) + 0
	       if (q == 0) next
	       if (!(s in e)) e[s] = 1
	       if (q == e[s]) { e[s]++; print } }' "$1"
}

# check NAME: $dir/NAME.pcap with pcapgen's summary in $dir/NAME.gen.
check() {
	name=$1
	"$decode" --no-time --mac-key-config "$conf" "$dir/$name.pcap" \
		>"$dir/$name.txt" 2>"$dir/$name.dec"
	"$decode" "$dir/$name.pcap" >"$dir/$name.timed" 2>/dev/null
	dg=$(val "$dir/$name.gen" datagrams)
	msgs=$(val "$dir/$name.gen" messages)
	[ -n "$dg" ] && [ "$dg" -gt 0 ] || fail "$name: no datagram count"
	[ "$(val "$dir/$name.dec" packets)" = "$dg" ] ||
		fail "$name: decode packets != pcapgen datagrams ($dg)"
	[ "$(val "$dir/$name.dec" goe_datagrams)" = "$dg" ] ||
		fail "$name: decoded datagrams != $dg"
	[ "$(val "$dir/$name.dec" goe_messages)" = "$msgs" ] ||
		fail "$name: decoded messages != $msgs"
	[ "$(wc -l <"$dir/$name.txt")" -eq "$msgs" ] ||
		fail "$name: $(wc -l <"$dir/$name.txt") lines, $msgs messages"
	[ "$(val "$dir/$name.dec" goe_drops)" = 0 ] || fail "$name: drops"
	[ "$(val "$dir/$name.dec" mac_bad)" = 0 ] || fail "$name: bad MACs"
	n_new=$(grep -c ' N ' "$dir/$name.txt" || true)
	[ "$n_new" -gt 0 ] || fail "$name: no N message"
	if grep -v ' mac=ok$' "$dir/$name.txt" | grep -q .; then
		fail "$name: a message without mac=ok"
	fi
	# One capture time per datagram, never going back.
	awk '{ t = substr($1, 3)
	       if (NR > 1 && length(t) == length(p) && t < p) exit 1
	       p = t }' "$dir/$name.timed" ||
		fail "$name: capture times go back"
	[ "$(cut -d' ' -f1 "$dir/$name.timed" | uniq | wc -l)" -eq "$dg" ] ||
		fail "$name: capture times not distinct per datagram"
	echo "$name: ok: $dg datagrams, $msgs messages, $n_new N"
}

gen() {
	name=$1
	shift
	"$pcapgen" --config "$conf" --out "$dir/$name.pcap" "$@" \
		2>"$dir/$name.gen" || { cat "$dir/$name.gen"; fail "$name"; }
}

# 1. The LOBSTER sample, two sessions, logouts.
lob="$shared/data/lobster"
if [ -d "$lob" ]; then
	gen lobster --lobster "$lob" --instrument 1 --sessions 2 --logout
	check lobster
	[ "$(grep -c ' L hb=1000 cod=0' "$dir/lobster.txt")" = 2 ] ||
		fail "lobster: expected 2 logons"
	[ "$(grep -c ' O ' "$dir/lobster.txt")" = 2 ] ||
		fail "lobster: expected 2 logouts"
else
	echo "lobster: skipped ($lob absent)"
fi

# 2. A lobgen stream: four sessions, batches of 4.
"$lobgen" --seed 7 --n 4000 --warmup 100 --out "$dir/s.txt"
gen clean --lobstream "$dir/s.txt" --instrument 2 --sessions 4 --batch 4 --cod
check clean
[ "$(grep -c ' L hb=1000 cod=1' "$dir/clean.txt")" = 4 ] ||
	fail "clean: expected 4 logons with cod=1"
grep -v ' seq=0 ' "$dir/clean.txt" | sort -u >"$dir/clean.set"
[ "$(wc -l <"$dir/clean.set")" = 4000 ] || fail "clean: not 4000 messages"
applied "$dir/clean.txt" | sort >"$dir/clean.applied"
cmp -s "$dir/clean.set" "$dir/clean.applied" ||
	fail "clean: gavel would not apply every message"

# 3. The same, impaired, with the client's recovery.
for seed in 1 2 3; do
	name=lossy$seed
	gen $name --lobstream "$dir/s.txt" --instrument 2 --sessions 4 \
		--batch 4 --cod --loss 5 --dup 3 --reorder 5 --seed $seed \
		--resend
	check $name
	for k in lost dups reordered resent_datagrams; do
		[ "$(val "$dir/$name.gen" $k)" -gt 0 ] || fail "$name: $k = 0"
	done
	grep -v ' seq=0 ' "$dir/$name.txt" | sort -u >"$dir/$name.set"
	cmp -s "$dir/clean.set" "$dir/$name.set" ||
		fail "$name: distinct messages differ from the clean capture"
	applied "$dir/$name.txt" | sort >"$dir/$name.applied"
	cmp -s "$dir/clean.applied" "$dir/$name.applied" ||
		fail "$name: gavel's sequencing would not apply the stream"
	echo "$name: ok: complete after gavel's gap/duplicate handling"
done

# 4. Without --resend the gaps stay: gavel applies less.
gen noresend --lobstream "$dir/s.txt" --instrument 2 --sessions 4 \
	--batch 4 --loss 5 --seed 1
check noresend
[ "$(applied "$dir/noresend.txt" | wc -l)" -lt 4000 ] ||
	fail "noresend: a lossy capture without resends is complete"

# 5. Quiet sessions get heartbeats; bad input is reported with FILE:LINE.
head -n 21 "$dir/s.txt" | sed 's/ n=4000$/ n=20/' >"$dir/short.txt"
gen slow --lobstream "$dir/short.txt" --instrument 2 --sessions 3 \
	--rate 2 --heartbeat-ms 500
check slow
[ "$(val "$dir/slow.gen" heartbeats)" -gt 0 ] || fail "slow: no heartbeat"
awk '{ t = substr($1, 3); split($2, a, ">"); s = a[1]
       if (s in last && t - last[s] > 1500000000) exit 1
       last[s] = t }' "$dir/slow.timed" ||
	fail "slow: a session silent for 3 x heartbeat"
printf '# lobstream v1 seed=1 warmup=0 n=2\nA 1 B 100 5\nC 9\n' \
	>"$dir/bad.txt"
if "$pcapgen" --config "$conf" --out "$dir/bad.pcap" \
	--lobstream "$dir/bad.txt" --instrument 2 2>"$dir/bad.err"; then
	fail "bad input accepted"
fi
grep -q "bad.txt:3: " "$dir/bad.err" || fail "no FILE:LINE: $(cat "$dir/bad.err")"
[ ! -e "$dir/bad.pcap" ] || fail "a partial capture was left behind"
printf 'not a pcap\n' >"$dir/junk.pcap"
if "$decode" "$dir/junk.pcap" >/dev/null 2>&1; then
	fail "decode accepted an unreadable file"
fi
echo "all ok"
