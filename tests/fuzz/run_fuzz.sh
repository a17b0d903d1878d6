#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
#
# run_fuzz.sh OUTDIR SECONDS - build the GOE/1 libFuzzer target with clang
# (ASan + UBSan) into OUTDIR and run it for SECONDS on a copy of
# tests/fuzz/corpus/goe.
#
# The project builds with gcc by default and libFuzzer is clang's, so the
# target is compiled here rather than by meson. Exit status: 0 when the run
# found nothing, 77 (meson: skipped) when clang or libFuzzer is missing,
# anything else on a build failure or a crash (the crashing input is left
# in OUTDIR as crash-*, reproduce with: OUTDIR/fuzz_goe OUTDIR/crash-...).
# CLANG picks the compiler (default clang), GV_SOURCE_ROOT the tree
# (default: two levels up from this script).
set -u

if [ $# -ne 2 ]; then
	echo "usage: $0 OUTDIR SECONDS" >&2
	exit 2
fi
out=$1
secs=$2
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
# shellcheck disable=SC2086 # $sodium is a list of flags
"$cc" -g -O1 -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=all -fno-omit-frame-pointer \
	-D_GNU_SOURCE -DGV_DEBUG_ASSERTS=1 -std=gnu11 \
	-Wall -Wextra -Wpedantic -Werror -Wshadow -Wstrict-prototypes \
	-Wmissing-prototypes -Wformat=2 -Wvla -Wno-unused-parameter \
	-I"$root/common" -I"$root/book" -I"$root/dataplane" \
	"$root/tests/fuzz/fuzz_goe.c" "$root/dataplane/gv_goe.c" \
	"$root/common/gv_errno.c" \
	-o "$out/fuzz_goe" $sodium || exit 1

# libFuzzer adds what it finds to its first corpus directory: use a copy.
rm -rf "$out/corpus-goe"
cp -R "$root/tests/fuzz/corpus/goe" "$out/corpus-goe" || exit 1
cd "$out" || exit 1
# libFuzzer's own failure code is 77, which meson reads as "skipped".
./fuzz_goe -max_total_time="$secs" -print_final_stats=1 -timeout=10 \
	-error_exitcode=1 -timeout_exitcode=1 -max_len=2048 \
	-artifact_prefix="$out/" corpus-goe
rc=$?
[ "$rc" -eq 77 ] && rc=1
exit "$rc"
