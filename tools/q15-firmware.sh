#!/usr/bin/env bash
# Builds the Q15 example firmware (examples/q15-firmware: MLPerf Tiny KWS compiled by nnd, fed a
# CMSIS-DSP-style Q8.7 MFCC buffer through the generated module's `fixed`-typed conversions,
# probabilities read back in Q15) for thumbv7m-none-eabi (Cortex-M3, no FPU; release, --locked),
# checks that the linked image holds no floating-point code, and runs it under
# `qemu-system-arm -M mps2-an385` (Cortex-M3) with semihosting. The firmware prints the Q15
# probabilities and the expected ones (TFLM's output written in Q15), then PASS or FAIL; the exit
# status is 0 only on PASS and a clean float check.
#
# The float check: llvm-nm finds no soft-float routine (`__aeabi_fadd`, `__aeabi_i2f`, ...,
# `__addsf3`, `__floatsisf`, ..., core's float formatting) and llvm-objdump no VFP instruction
# (`vmov`, `vadd`, ...) in the ELF. Self-test: the same firmware with feature `float-probe` (one
# f32 sum, printed) must FAIL the check, so an empty grep cannot pass by accident.
#
#   tools/q15-firmware.sh
#
# Needs: rustup target thumbv7m-none-eabi, component llvm-tools; qemu-system-arm >= 10 (Debian
# bookworm-backports). Installs nothing: .ci/run does (docs/q15-firmware.md).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

case ${1:-} in
    "") ;;
    -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
    *) echo "error: unknown argument \`$1\` (usage: tools/q15-firmware.sh)" >&2; exit 2 ;;
esac

triple=thumbv7m-none-eabi
host=$(rustc -vV | sed -n 's/^host: //p')
bin=$(rustc --print sysroot)/lib/rustlib/$host/bin
missing=0
if command -v rustup >/dev/null && ! rustup target list --installed | grep -qx "$triple"; then
    echo "error: the Rust target $triple is not installed (rustup target add $triple)" >&2
    missing=1
fi
if [[ ! -x $bin/llvm-nm || ! -x $bin/llvm-objdump ]]; then
    echo "error: llvm-nm / llvm-objdump not found (rustup component add llvm-tools)" >&2
    missing=1
fi
if ! command -v qemu-system-arm >/dev/null; then
    echo "error: qemu-system-arm not found (QEMU 10 from bookworm-backports, see .ci/run)" >&2
    missing=1
fi
[[ $missing == 0 ]] || exit 2

target_dir=${CARGO_TARGET_DIR:-target}
case $target_dir in /*) ;; *) target_dir=$root/$target_dir ;; esac
# The directory of tests/cortex-m (tools/cortex-m-test.sh): the build script's host dependencies
# (nn-dsl, most of a cold build) are shared; only the firmware and its target crates are built.
target_dir=$target_dir/cortex-m-test
manifest=examples/q15-firmware/Cargo.toml
elf=$target_dir/$triple/release/nnd-q15-firmware

# Prints the floating-point symbols and instructions of an ELF, if any.
floats() {
    "$bin/llvm-nm" -C "$1" | grep -E \
        '__aeabi_([fd][a-z]|u?l?2[fd]|u?i2[fd]|h2f|f2h)|__(add|sub|mul|div|neg)[sdht]f3|__(float|fix)(un)?[sdt]?[isdt][isfd]|__(extend|trunc)[sdh]f|__(eq|ne|lt|le|gt|ge|unord|cmp)[sd]f2|__powi[sd]f2|flt2dec|dec2flt|fmt::float' \
        || true
    "$bin/llvm-objdump" -d --no-show-raw-insn "$1" \
        | grep -E $'^\\s+[0-9a-f]+:\\s+v[a-z0-9]*(\\.[a-z0-9]+)*\\s' | head -5 || true
}

echo "examples/q15-firmware: self-test of the float check (feature float-probe)"
cargo build -q --locked --release --target $triple --manifest-path $manifest \
    --target-dir "$target_dir" --features float-probe
found=$(floats "$elf")
if [[ -z $found ]]; then
    echo "error: the float check found nothing in the float-probe build: the check is broken" >&2
    exit 1
fi
echo "  float-probe build: $(wc -l <<<"$found") floating-point symbols/instructions found, as expected"

echo "examples/q15-firmware for $triple (Cortex-M3, no FPU)"
cargo build -q --locked --release --target $triple --manifest-path $manifest \
    --target-dir "$target_dir"
found=$(floats "$elf")
if [[ -n $found ]]; then
    echo "error: floating-point code linked into the firmware:" >&2
    echo "$found" >&2
    exit 1
fi
echo "  no soft-float routine, float formatting or VFP instruction in the ELF"
"$bin/llvm-size" "$elf" | sed 's/^/  /'

# The runner is set here, not in a .cargo/config.toml, as for the other emulated runners; cargo
# appends the ELF's path. `timeout`: a hang fails after 2 minutes (status 124).
qemu="qemu-system-arm -M mps2-an385 -nographic -semihosting-config enable=on,target=native"
export CARGO_TARGET_THUMBV7M_NONE_EABI_RUNNER="timeout 120 $qemu -kernel"
echo "examples/q15-firmware on $qemu"
t0=$SECONDS
status=0
cargo run -q --locked --release --target $triple --manifest-path $manifest \
    --target-dir "$target_dir" || status=$?
echo "examples/q15-firmware: exit status $status after $((SECONDS - t0)) s (run)"
exit $status
