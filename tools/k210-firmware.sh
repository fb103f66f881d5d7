#!/usr/bin/env bash
# Builds the K210 example firmware (examples/k210-firmware: the MLPerf Tiny KWS network compiled
# by nnd, bare metal, no std, no alloc) for riscv64gc-unknown-none-elf (release, --locked) and runs
# it under qemu-system-riscv64 on the `virt` machine with the K210's memory size (8 MiB at
# 0x8000_0000) and two harts, as the K210 has, on `-cpu sifive-u54`: RV64GC and nothing more, like
# the K210, so an instruction the K210 lacks would trap (the firmware reports a trap as a failure).
# The firmware prints its outputs, TFLM's, the arena, the stack's peak and the image size, then
# PASS or FAIL; the exit status is 0 only on PASS. Also builds the image for the K210 itself
# (UARTHS console, `--no-default-features`), only linked here, never run (no K210 model in QEMU;
# untested on silicon).
#
#   tools/k210-firmware.sh
#
# Needs: rustup target riscv64gc-unknown-none-elf; qemu-system-riscv64 (Debian package
# qemu-system-misc, QEMU 10 from bookworm-backports). Installs nothing: .ci/run does
# (docs/k210-firmware.md).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

case ${1:-} in
    "") ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "error: unknown argument \`$1\` (usage: tools/k210-firmware.sh)" >&2; exit 2 ;;
esac

triple=riscv64gc-unknown-none-elf
missing=0
if command -v rustup >/dev/null && ! rustup target list --installed | grep -qx "$triple"; then
    echo "error: the Rust target $triple is not installed (rustup target add $triple)" >&2
    missing=1
fi
if ! command -v qemu-system-riscv64 >/dev/null; then
    echo "error: qemu-system-riscv64 not found (Debian: apt-get install -y -t bookworm-backports" \
        "--no-install-recommends qemu-system-misc; see .ci/run)" >&2
    missing=1
fi
if ! command -v timeout >/dev/null; then
    echo "error: timeout not found (coreutils)" >&2
    missing=1
fi
[[ $missing == 0 ]] || exit 2

target_dir=${CARGO_TARGET_DIR:-target}
case $target_dir in /*) ;; *) target_dir=$root/$target_dir ;; esac
target_dir=$target_dir/k210-firmware
manifest=examples/k210-firmware/Cargo.toml

# The K210 image (UARTHS console): built and linked, so the linker script's size checks hold
# for it too. One target directory for both images: the build script's host dependencies (nn-dsl,
# most of a cold build: about 3 minutes on 2 cores) are compiled once; the QEMU build below
# recompiles only the firmware crate (and overwrites this ELF).
echo "examples/k210-firmware for the K210 (UARTHS console): build only"
cargo build -q --locked --release --target $triple --no-default-features \
    --manifest-path $manifest --target-dir "$target_dir"

# The QEMU image. The runner is set here, not in a .cargo/config.toml, as for the other emulated
# runners; cargo appends the ELF's path. `-bios none`: no firmware, the ELF's entry runs in M-mode
# at reset, as on the K210. `timeout`: a hang fails after 2 minutes (status 124) instead of
# blocking forever (one run takes well under a second).
qemu="qemu-system-riscv64 -M virt -cpu sifive-u54 -smp 2 -m 8M -bios none -nographic"
export CARGO_TARGET_RISCV64GC_UNKNOWN_NONE_ELF_RUNNER="timeout 120 $qemu -kernel"
echo "examples/k210-firmware on $qemu"
t0=$SECONDS
status=0
cargo run -q --locked --release --target $triple --manifest-path $manifest \
    --target-dir "$target_dir" || status=$?
echo "examples/k210-firmware: exit status $status after $((SECONDS - t0)) s (build and run)"
exit $status
