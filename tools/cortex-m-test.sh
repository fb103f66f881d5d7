#!/usr/bin/env bash
# Runs every TFLM oracle case (511 single-op cases, every whole-network model and recorded input)
# compiled for a Cortex-M target, on an emulated core: tests/cortex-m built for
# thumbv7em-none-eabihf (release, --locked), run by `cargo run` through qemu-system-arm with
# semihosting as the runner. Exit status 0 only when every output equals TFLM's, byte for byte.
#
#   tools/cortex-m-test.sh [--target-name NAME]     (NAME: cortex-m4 (default), cortex-m7, generic;
#                                                    `--target NAME` is the same)
#
# cortex-m4 and generic run on `-M mps2-an386` (Cortex-M4F), cortex-m7 on `-M mps2-an500`
# (Cortex-M7). QEMU_MACHINE=... overrides the machine. Needs: rustup target thumbv7em-none-eabihf,
# qemu-system-arm >= 10 (.ci/run installs both; docs/codegen.md, "Running on an emulated Cortex-M").
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

target=cortex-m4
while [[ $# -gt 0 ]]; do
    case $1 in
        --target|--target-name) target=${2:?$1 needs a name}; shift 2 ;;
        --target=*|--target-name=*) target=${1#*=}; shift ;;
        -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
        *) echo "error: unknown argument \`$1\` (usage: tools/cortex-m-test.sh [--target-name NAME])" >&2; exit 2 ;;
    esac
done
case $target in
    cortex-m4|generic) machine=mps2-an386 ;;
    cortex-m7) machine=mps2-an500 ;;
    *) echo "error: no emulated machine for target \`$target\` (cortex-m4, cortex-m7, generic)" >&2; exit 2 ;;
esac
machine=${QEMU_MACHINE:-$machine}
if ! command -v qemu-system-arm >/dev/null; then
    echo "error: qemu-system-arm not found (install QEMU 10 from bookworm-backports, see .ci/run)" >&2
    exit 2
fi

target_dir=${CARGO_TARGET_DIR:-target}
case $target_dir in /*) ;; *) target_dir=$root/$target_dir ;; esac
triple=thumbv7em-none-eabihf
# The runner is set here, not in a .cargo/config.toml (a runner there would break `cargo miri`).
# Cargo appends the ELF's path. `timeout`: a hang (a fault the handler cannot report) fails the
# run after 15 minutes instead of blocking forever; its status is 124. The firmware's semihosting
# exit status becomes qemu's, then cargo's, then this script's.
export CARGO_TARGET_THUMBV7EM_NONE_EABIHF_RUNNER="timeout 900 qemu-system-arm -M $machine -nographic -semihosting-config enable=on,target=native -kernel"
# One target directory for every target name: the build script's host dependencies (nn-dsl and
# its crates, most of a cold build) are compiled once; a change of NND_TARGET reruns the build
# script and recompiles only the firmware crate.
# Every case does not fit the 4 MiB of code memory in one image: the cases are generated in
# SHARDS parts (NND_RUNNER_SHARD=k/SHARDS, every SHARDS-th op file and model), each built and run
# in turn; together they are every case.
shards=${NND_RUNNER_SHARDS:-2}
echo "tests/cortex-m for target $target on qemu-system-arm -M $machine ($shards parts)"
t0=$SECONDS
status=0
for ((k = 0; k < shards; k++)); do
    NND_RUNNER_SHARD=$k/$shards NND_TARGET=$target cargo run -q --locked --release \
        --target $triple --manifest-path tests/cortex-m/Cargo.toml \
        --target-dir "$target_dir/cortex-m-test" || status=$?
done
echo "tests/cortex-m ($target): exit status $status after $((SECONDS - t0)) s (build and run)"
exit $status
