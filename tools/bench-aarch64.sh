#!/usr/bin/env bash
# The AArch64 benchmark (docs/performance.md): instructions of one inference under user-mode
# qemu-aarch64 7.2 with the instruction-count plugin, per network and per layer, MACs per
# instruction, arena, stack and code bytes, beside TFLM-ref and LiteRT + XNNPACK
# (../shared/baselines/aarch64-riscv64.md). Not a test.
#
#   tools/bench-aarch64.sh [--target aarch64|aarch64-dotprod|aarch64-i8mm|generic] [--no-layers] [MODEL...]
#
# aarch64 and generic run on `-cpu cortex-a53` (beside XNNPACK on cortex-a53); aarch64-dotprod
# is built with `-C target-feature=+dotprod` and runs on `-cpu neoverse-n1` (beside XNNPACK on
# neoverse-n1 and on `max,sme=off`); aarch64-i8mm with `+dotprod,+i8mm` on `-cpu max,sme=off`
# (qemu-user 7.2 has no neoverse-v1; beside XNNPACK on `max,sme=off`). Default models: the four MLPerf Tiny models of
# tests/vectors/models. Needs rustup target aarch64-unknown-linux-gnu, llvm-tools,
# gcc-aarch64-linux-gnu + libc6-dev-arm64-cross, python3, apt-get + dpkg (qemu-user 7.2 is
# downloaded into target/qemu-user-7.2: the installed qemu-aarch64 10 rejects plugins), and for
# the plugin gcc, pkg-config, libglib2.0-dev and deb-src entries (../shared/env-recipes.md).
set -euo pipefail
cd "$(dirname "$0")/.."
exec python3 tools/bench/bench_aarch64.py "$@"
