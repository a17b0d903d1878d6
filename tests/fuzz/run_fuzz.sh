#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
#
# run_fuzz.sh OUTDIR SECONDS [TARGET] - build a libFuzzer target with clang
# (ASan + UBSan) into OUTDIR and run it for SECONDS on a copy of
# tests/fuzz/corpus/TARGET. TARGET: goe (the GOE/1 decoder, default) or
# shard (the session layer, book and encoders behind it).
#
# The project builds with gcc by default and libFuzzer is clang's, so the
# target is compiled here rather than by meson. Exit status: 0 when the run
# found nothing, 77 (meson: skipped) when clang or libFuzzer is missing,
# anything else on a build failure or a crash (the crashing input is left
# in OUTDIR as crash-*, reproduce with: OUTDIR/fuzz_goe OUTDIR/crash-...).
# CLANG picks the compiler (default clang), GV_SOURCE_ROOT the tree
# (default: two levels up from this script).
set -u

if [ $# -lt 2 ] || [ $# -gt 3 ]; then
	echo "usage: $0 OUTDIR SECONDS [goe|shard]" >&2
	exit 2
fi
out=$1
secs=$2
target=${3:-goe}
root=${GV_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
cc=${CLANG:-clang}

if ! command -v "$cc" >/dev/null 2>&1; then
	echo "run_fuzz: $cc not found, skipping" >&2
	exit 77
fi
mkdir -p "$out" || exit 1
out=$(cd "$out" && pwd)

# Is libFuzzer there (clang's runtime, a separate package on some distros)?
probe="$out/fuzz_probe"
printf '%s\n' '#include <stddef.h>' '#include <stdint.h>' \
	'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);' \
	'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)' \
	'{ (void)d; (void)n; return 0; }' >"$probe.c"
if ! "$cc" -fsanitize=fuzzer,address,undefined "$probe.c" -o "$probe" \
	>/dev/null 2>&1; then
	echo "run_fuzz: $cc has no libFuzzer/sanitizer runtime, skipping" >&2
	exit 77
fi
rm -f "$probe" "$probe.c"

sodium=$(pkg-config --cflags --libs libsodium 2>/dev/null || echo -lsodium)
case $target in
goe)
	src="$root/tests/fuzz/fuzz_goe.c $root/dataplane/gv_goe.c
	     $root/common/gv_errno.c"
	libs=$sodium ;;
shard)
	src="$root/tests/fuzz/fuzz_shard.c $root/dataplane/gv_goe.c
	     $root/dataplane/gv_itch.c $root/dataplane/gv_mac.c
	     $root/dataplane/gv_shard.c
	     $root/book/gv_book.c $root/offload/gv_offload.c
	     $root/offload/gv_off_sw.c $root/common/gv_errno.c
	     $root/common/gv_pool.c $root/common/gv_clock.c
	     $root/common/gv_config.c"
	libs="$sodium -lconfig" ;;
*)
	echo "run_fuzz: unknown target $target" >&2
	exit 2 ;;
esac
# shellcheck disable=SC2086 # $src and $libs are lists
"$cc" -g -O1 -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=all -fno-omit-frame-pointer \
	-D_GNU_SOURCE -DGV_DEBUG_ASSERTS=1 -std=gnu11 \
	-Wall -Wextra -Wpedantic -Werror -Wshadow -Wstrict-prototypes \
	-Wmissing-prototypes -Wformat=2 -Wvla -Wno-unused-parameter \
	-I"$root/common" -I"$root/book" -I"$root/dataplane" -I"$root/offload" \
	$src -o "$out/fuzz_$target" $libs || exit 1

# libFuzzer adds what it finds to its first corpus directory: use a copy.
rm -rf "$out/corpus-$target"
cp -R "$root/tests/fuzz/corpus/$target" "$out/corpus-$target" || exit 1
cd "$out" || exit 1
# libFuzzer's own failure code is 77, which meson reads as "skipped".
./fuzz_"$target" -max_total_time="$secs" -print_final_stats=1 -timeout=10 \
	-error_exitcode=1 -timeout_exitcode=1 -max_len=8192 -rss_limit_mb=4096 \
	-artifact_prefix="$out/$target-" corpus-"$target"
rc=$?
[ "$rc" -eq 77 ] && rc=1
exit "$rc"
