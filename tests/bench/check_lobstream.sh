#!/bin/sh
# The book benchmark's own check: for a few seeds, the result line gavel's
# book prints (book_bench) must equal the one lobgen computes from its
# independent model of the same stream (lobgen --expect).
# usage: check_lobstream.sh LOBGEN BOOK_BENCH
set -eu
lobgen=$1
bench=$2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fail=0
for seed in 1 2 3 11 42; do
	"$lobgen" --seed "$seed" --n 50000 --warmup 1000 --out "$dir/s.txt" \
		--expect 2>"$dir/expect.txt"
	want=$(grep '^result:' "$dir/expect.txt")
	got=$("$bench" "$dir/s.txt" | grep '^result:')
	if [ "$want" = "$got" ]; then
		echo "seed $seed: ok: $got"
	else
		echo "seed $seed: MISMATCH"
		echo "  lobgen --expect: $want"
		echo "  book_bench:      $got"
		fail=1
	fi
done
exit $fail
