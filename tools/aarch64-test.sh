#!/usr/bin/env bash
# Runs every TFLM oracle case (511 single-op cases, every whole-network model and recorded input)
# compiled for an AArch64 target, under user-mode QEMU: tests/aarch64 built for
# aarch64-unknown-linux-gnu (release, --locked), run by `cargo run` with qemu-aarch64 as the
# runner. Then the AArch64 kernels' property tests against the portable kernels (nn-kernels,
# `--lib aarch64`) on the same CPU. Exit status 0 only when every output equals TFLM's.
#
#   tools/aarch64-test.sh [--target-name NAME]     (NAME: aarch64 (default), aarch64-dotprod,
#                                                   aarch64-i8mm, generic; `--target NAME` is
#                                                   the same)
#
# aarch64 and generic run on `-cpu cortex-a53` (Armv8.0-A: an SDOT raises SIGILL, so the plain
# target is proven never to execute one); aarch64-dotprod is built with
# `-C target-feature=+dotprod` and runs on `-cpu neoverse-n1` (Armv8.2-A with dot product, no
# i8mm: an SMMLA would raise SIGILL); aarch64-i8mm is built with
# `-C target-feature=+dotprod,+i8mm` and runs on `-cpu neoverse-v1`. QEMU_CPU=... overrides the
# CPU. Needs: rustup target aarch64-unknown-linux-gnu,
# gcc-aarch64-linux-gnu + libc6-dev-arm64-cross (the linker and C runtime), qemu-user
# (.ci/run installs them; docs/codegen.md, "Running on emulated AArch64").
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

target=aarch64
while [[ $# -gt 0 ]]; do
    case $1 in
        --target|--target-name) target=${2:?$1 needs a name}; shift 2 ;;
        --target=*|--target-name=*) target=${1#*=}; shift ;;
        -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
        *) echo "error: unknown argument \`$1\` (usage: tools/aarch64-test.sh [--target-name NAME])" >&2; exit 2 ;;
    esac
done
flags=
case $target in
    aarch64|generic) cpu=cortex-a53 ;;
    aarch64-dotprod) cpu=neoverse-n1; flags="-C target-feature=+dotprod" ;;
    aarch64-i8mm) cpu=neoverse-v1; flags="-C target-feature=+dotprod,+i8mm" ;;
    *) echo "error: no emulated CPU for target \`$target\` (aarch64, aarch64-dotprod, aarch64-i8mm, generic)" >&2; exit 2 ;;
esac
cpu=${QEMU_CPU:-$cpu}
for tool in qemu-aarch64 aarch64-linux-gnu-gcc; do
    if ! command -v $tool >/dev/null; then
        echo "error: $tool not found (install qemu-user, gcc-aarch64-linux-gnu and libc6-dev-arm64-cross, see .ci/run)" >&2
        exit 2
    fi
done

target_dir=${CARGO_TARGET_DIR:-target}
case $target_dir in /*) ;; *) target_dir=$root/$target_dir ;; esac
triple=aarch64-unknown-linux-gnu
# Linker and runner are set here, not in a .cargo/config.toml (a runner there would break
# `cargo miri`). Cargo appends the binary's path. `timeout`: a hang fails the run after 15
# minutes (status 124).
export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc
export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUNNER="timeout 900 qemu-aarch64 -cpu $cpu -L /usr/aarch64-linux-gnu"
export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUSTFLAGS="$flags"
# A target directory per set of flags (different flags rebuild everything).
case $target in
    aarch64-dotprod|aarch64-i8mm) sub=aarch64-test-${target#aarch64-} ;;
    *) sub=aarch64-test ;;
esac
echo "tests/aarch64 for target $target on qemu-aarch64 -cpu $cpu${flags:+ ($flags)}"
t0=$SECONDS
status=0
NND_TARGET=$target cargo run -q --locked --release --target $triple \
    --manifest-path tests/aarch64/Cargo.toml --target-dir "$target_dir/$sub" || status=$?
echo "tests/aarch64 ($target): exit status $status after $((SECONDS - t0)) s (build and run)"
if [[ $status -ne 0 ]]; then exit $status; fi
if [[ $target != generic ]]; then
    t0=$SECONDS
    cargo test -q --locked -p nn-kernels --target $triple --target-dir "$target_dir/$sub" \
        --lib aarch64 || status=$?
    echo "nn-kernels aarch64 property tests ($target): exit status $status after $((SECONDS - t0)) s"
fi
exit $status
