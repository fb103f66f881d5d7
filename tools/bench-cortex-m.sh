#!/usr/bin/env bash
# The Cortex-M benchmark (docs/performance.md): instructions of one inference under
# qemu-system-arm -M mps2-an386 (Cortex-M4F), per network and per layer, MACs per instruction,
# arena, stack and code bytes, beside TFLM + CMSIS-NN (../shared/baselines). Not a test.
#
#   tools/bench-cortex-m.sh [--target cortex-m4|cortex-m7|generic] [--no-layers] [MODEL...]
#
# Default models: the four MLPerf Tiny models of tests/vectors/models. Needs qemu-system-arm 10
# (.ci/run installs it), rustup target thumbv7em-none-eabihf, llvm-tools, python3, and for the
# instruction-count plugin gcc, pkg-config, libglib2.0-dev and deb-src entries
# (../shared/env-recipes.md).
set -euo pipefail
cd "$(dirname "$0")/.."
exec python3 tools/bench/bench_cortex_m.py "$@"
