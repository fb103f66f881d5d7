#!/usr/bin/env bash
# The RISC-V 64 benchmark (the K210's cores; docs/performance.md): instructions of one inference
# under user-mode qemu-riscv64 7.2 with the instruction-count plugin, per network and per layer,
# MACs per instruction, arena, stack and code bytes, beside TFLM-ref on RV64
# (../shared/baselines/aarch64-riscv64.md). Not a test.
#
#   tools/bench-riscv64.sh [--target k210|generic] [--no-layers] [MODEL...]
#
# Both targets are built for riscv64gc-unknown-linux-gnu (RV64GC, the K210's instruction set)
# and run on `-cpu sifive-u54` (RV64GC). Default models: the four MLPerf Tiny models of
# tests/vectors/models. Needs rustup target riscv64gc-unknown-linux-gnu, llvm-tools,
# gcc-riscv64-linux-gnu + libc6-dev-riscv64-cross, python3, apt-get + dpkg (qemu-user 7.2 is
# downloaded into target/qemu-user-7.2: the installed qemu-riscv64 10 rejects plugins), and for
# the plugin gcc, pkg-config, libglib2.0-dev and deb-src entries (../shared/env-recipes.md).
set -euo pipefail
cd "$(dirname "$0")/.."
exec python3 tools/bench/bench_riscv64.py "$@"
