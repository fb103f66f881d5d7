#!/usr/bin/env python3
"""RISC-V 64 benchmark driver (run through tools/bench-riscv64.sh; python3 standard library only).

For each model: builds bench/riscv64 for the target as a static Linux binary, runs one inference
under qemu-riscv64 7.2 (user mode) with the v1 region plugin of ../shared/tools/qemu-icount
(instructions between bench_start and bench_end), again with layer marks for per-layer counts,
and prints markdown tables beside the RV64 TFLM-ref figures of
../shared/baselines/aarch64-riscv64.md. The building and counting are common.UserBench's.
"""
import argparse

from common import SHARED, UserBench, baseline_rows, fmt, models_from_args, print_layer_details

BASELINE = SHARED / "baselines" / "aarch64-riscv64.md"
# nnd target -> (emulated CPU, extra RUSTFLAGS, build subdirectory). sifive-u54 is RV64GC
# (RV64IMAFDC), the K210's instruction set; instruction counts do not depend on the CPU model.
TARGETS = {
    "k210": ("sifive-u54", "", "rv64gc"),
    "generic": ("sifive-u54", "", "rv64gc"),
}
# Model file stem -> row of the baseline table.
BASELINE_KEYS = {
    "ds_cnn_kws": "KWS",
    "mobilenet_v1_025_vww": "VWW",
    "resnet8_cifar": "IC",
    "fc_autoencoder": "AD",
}


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--target", default="k210", choices=sorted(TARGETS))
    ap.add_argument("--no-layers", action="store_true", help="whole networks only")
    ap.add_argument("models", nargs="*")
    args = ap.parse_args()
    cpu = TARGETS[args.target][0]
    models = models_from_args(args.models)
    bench = UserBench("riscv64", "riscv64gc-unknown-linux-gnu", "riscv64-linux-gnu-gcc",
                      "gcc-riscv64-linux-gnu libc6-dev-riscv64-cross", "qemu-riscv64", TARGETS)
    bench.setup()
    base_rows = baseline_rows(
        BASELINE, lambda h: "tflm" if h.startswith("RV64 TFLM-ref") else None)
    rows, details = bench.measure(models, args.target, not args.no_layers)

    # Headings as in docs/performance.md ("### Target", "#### model"), so the output pastes in.
    print(f"### Target `{args.target}` (qemu-riscv64 `-cpu {cpu}`)\n")
    head = ["model", "MACs", "nnd insns", "MACs/insn", "TFLM-ref insns", "MACs/insn",
            "TFLM-ref / nnd", "nnd arena", "nnd stack of run", "nnd code", "nnd .rodata"]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for stem, m, n, arena, stack, code, rodata in rows:
        b = base_rows.get(BASELINE_KEYS.get(stem), {}).get("tflm")
        cells = [stem, fmt(m), fmt(n), f"{m / n:.3f}",
                 fmt(b) if b else "-", f"{m / b:.3f}" if b else "-",
                 f"{b / n:.2f}x" if b else "-",
                 fmt(arena), fmt(stack), fmt(code), fmt(rodata)]
        print("| " + " | ".join(cells) + " |")
    print()
    print(f"nnd insns: one `run` between `bench_start` and `bench_end`, int8 noise input, static "
          f"binary (rv64gc) under qemu-riscv64 7.2 `-cpu {cpu}` with the region plugin. "
          f"TFLM-ref: ../shared/baselines/aarch64-riscv64.md (TFLM reference kernels, g++ 12.2 "
          f"-O2, -march=rv64gc -mabi=lp64d); TFLM-ref / nnd above 1 means nnd executes fewer "
          f"instructions. nnd code: the sizes of the function symbols of the benchmark binary "
          f"(`llvm-nm -S`) minus the same sum for the binary with a one-layer network; "
          f"nnd .rodata: the same difference of `.rodata` (weights, biases, requantisation "
          f"constants). Stack: bytes below the stack pointer written during `run` (painted and "
          f"scanned; 256 is the floor).")
    print_layer_details(details)


if __name__ == "__main__":
    main()
