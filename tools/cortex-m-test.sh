#!/usr/bin/env bash
# Runs every TFLM oracle case (511 single-op cases, every whole-network model and recorded input)
# compiled for a Cortex-M target, on an emulated core: tests/cortex-m built for
# thumbv7em-none-eabihf, run under qemu-system-arm with semihosting. Exit status 0 only when
# every output equals TFLM's, byte for byte.
#
#   tools/cortex-m-test.sh [--target cortex-m4|cortex-m7|generic]
#
# cortex-m4 and generic run on `-M mps2-an386` (Cortex-M4F), cortex-m7 on `-M mps2-an500`
# (Cortex-M7). Needs: rustup target thumbv7em-none-eabihf, qemu-system-arm >= 10 (see
# docs/codegen.md; .ci/run installs both).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

target=cortex-m4
while [[ $# -gt 0 ]]; do
    case $1 in
        --target) target=${2:?--target needs a name}; shift 2 ;;
        --target=*) target=${1#--target=}; shift ;;
        -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
        *) echo "error: unknown argument \`$1\` (usage: tools/cortex-m-test.sh [--target NAME])" >&2; exit 2 ;;
    esac
done
case $target in
    cortex-m4|generic) machine=mps2-an386 ;;
    cortex-m7) machine=mps2-an500 ;;
    *) echo "error: no emulated machine for target \`$target\` (cortex-m4, cortex-m7, generic)" >&2; exit 2 ;;
esac
if ! command -v qemu-system-arm >/dev/null; then
    echo "error: qemu-system-arm not found (install QEMU 10 from bookworm-backports, see .ci/run)" >&2
    exit 2
fi

target_dir=${CARGO_TARGET_DIR:-target}
case $target_dir in /*) ;; *) target_dir=$root/$target_dir ;; esac
triple=thumbv7em-none-eabihf
NND_TARGET=$target cargo build -q --locked --release --target $triple \
    --manifest-path tests/cortex-m/Cargo.toml --target-dir "$target_dir/cortex-m-test/$target"
elf=$target_dir/cortex-m-test/$target/$triple/release/nnd-cortex-m-test
echo "running $elf on qemu-system-arm -M $machine (target $target)"
timeout 900 qemu-system-arm -M "$machine" -nographic \
    -semihosting-config enable=on,target=native -kernel "$elf"
