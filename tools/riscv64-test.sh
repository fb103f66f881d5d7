#!/usr/bin/env bash
# Runs every TFLM oracle case (511 single-op cases, every whole-network model and recorded input)
# compiled for a RISC-V 64 target, under user-mode QEMU: tests/riscv64 built for
# riscv64gc-unknown-linux-gnu (release, --locked), run by `cargo run` with qemu-riscv64 as the
# runner. Then, for k210, the RV64 kernels' property tests against the portable kernels
# (nn-kernels, `--lib rv64`) on the same CPU. Exit status 0 only when every output equals TFLM's.
#
#   tools/riscv64-test.sh [--target-name NAME]     (NAME: k210 (default), generic;
#                                                   `--target NAME` is the same)
#
# Both run on `-cpu sifive-u54` (RV64GC = RV64IMAFDC, the K210's ISA: no vector or bit-manipulation
# extension, so an instruction the K210 lacks raises SIGILL). QEMU_CPU=... overrides the CPU.
# Needs: rustup target riscv64gc-unknown-linux-gnu, gcc-riscv64-linux-gnu +
# libc6-dev-riscv64-cross (the linker and C runtime), qemu-user (.ci/run installs them;
# docs/codegen.md, "Running on emulated RISC-V 64").
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

target=k210
while [[ $# -gt 0 ]]; do
    case $1 in
        --target|--target-name) target=${2:?$1 needs a name}; shift 2 ;;
        --target=*|--target-name=*) target=${1#*=}; shift ;;
        -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
        *) echo "error: unknown argument \`$1\` (usage: tools/riscv64-test.sh [--target-name NAME])" >&2; exit 2 ;;
    esac
done
case $target in
    k210|generic) cpu=sifive-u54 ;;
    *) echo "error: no emulated CPU for target \`$target\` (k210, generic)" >&2; exit 2 ;;
esac
cpu=${QEMU_CPU:-$cpu}
for tool in qemu-riscv64 riscv64-linux-gnu-gcc; do
    if ! command -v $tool >/dev/null; then
        echo "error: $tool not found (install qemu-user, gcc-riscv64-linux-gnu and libc6-dev-riscv64-cross, see .ci/run)" >&2
        exit 2
    fi
done

target_dir=${CARGO_TARGET_DIR:-target}
case $target_dir in /*) ;; *) target_dir=$root/$target_dir ;; esac
triple=riscv64gc-unknown-linux-gnu
# Linker and runner are set here, not in a .cargo/config.toml (a runner there would break
# `cargo miri`). Cargo appends the binary's path. `timeout`: a hang fails the run after 15
# minutes (status 124).
export CARGO_TARGET_RISCV64GC_UNKNOWN_LINUX_GNU_LINKER=riscv64-linux-gnu-gcc
export CARGO_TARGET_RISCV64GC_UNKNOWN_LINUX_GNU_RUNNER="timeout 900 qemu-riscv64 -cpu $cpu -L /usr/riscv64-linux-gnu"
export CARGO_TARGET_RISCV64GC_UNKNOWN_LINUX_GNU_RUSTFLAGS=
sub=riscv64-test
echo "tests/riscv64 for target $target on qemu-riscv64 -cpu $cpu"
t0=$SECONDS
status=0
NND_TARGET=$target cargo run -q --locked --release --target $triple \
    --manifest-path tests/riscv64/Cargo.toml --target-dir "$target_dir/$sub" || status=$?
echo "tests/riscv64 ($target): exit status $status after $((SECONDS - t0)) s (build and run)"
if [[ $status -ne 0 ]]; then exit $status; fi
if [[ $target != generic ]]; then
    t0=$SECONDS
    cargo test -q --locked -p nn-kernels --target $triple --target-dir "$target_dir/$sub" \
        --lib rv64 || status=$?
    echo "nn-kernels rv64 property tests ($target): exit status $status after $((SECONDS - t0)) s"
fi
exit $status
