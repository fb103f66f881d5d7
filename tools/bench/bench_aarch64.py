#!/usr/bin/env python3
"""AArch64 benchmark driver (run through tools/bench-aarch64.sh; python3 standard library only).

For each model: builds bench/aarch64 for the target as a static Linux binary, runs one inference
under qemu-aarch64 7.2 (user mode) with the v1 region plugin of ../shared/tools/qemu-icount
(instructions between bench_start and bench_end), again with layer marks for per-layer counts,
and prints markdown tables beside the TFLM-ref and LiteRT + XNNPACK figures of
../shared/baselines/aarch64-riscv64.md. The building and counting are common.UserBench's.
"""
import argparse

from common import SHARED, UserBench, baseline_rows, fmt, models_from_args, print_layer_details

BASELINE = SHARED / "baselines" / "aarch64-riscv64.md"
# nnd target -> (emulated CPU, extra RUSTFLAGS, build subdirectory, XNNPACK columns to compare).
TARGETS = {
    "aarch64": ("cortex-a53", "", "plain", ["cortex-a53"]),
    "generic": ("cortex-a53", "", "plain", ["cortex-a53"]),
    "aarch64-dotprod": ("neoverse-n1", " -C target-feature=+dotprod", "dotprod",
                        ["neoverse-n1", "max,sme=off"]),
    # qemu-user 7.2 has no neoverse-v1 model: `max` (with SME off, as for the baseline) has
    # dotprod and i8mm. Instruction counts do not depend on the CPU model.
    "aarch64-i8mm": ("max,sme=off", " -C target-feature=+dotprod,+i8mm", "i8mm",
                     ["max,sme=off"]),
}
# Model file stem -> row of the baseline table.
BASELINE_KEYS = {
    "ds_cnn_kws": "KWS",
    "mobilenet_v1_025_vww": "VWW",
    "resnet8_cifar": "IC",
    "fc_autoencoder": "AD",
}


def baseline_column(header):
    """The baseline's columns read here: "tflm" and the XNNPACK CPUs."""
    if header.startswith("AArch64 TFLM-ref"):
        return "tflm"
    for cpu in ("max,sme=off", "neoverse-n1", "cortex-a53"):
        if f"`-cpu {cpu}`" in header:
            return cpu
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--target", default="aarch64", choices=sorted(TARGETS))
    ap.add_argument("--no-layers", action="store_true", help="whole networks only")
    ap.add_argument("models", nargs="*")
    args = ap.parse_args()
    cpu, _, _, xnn_cpus = TARGETS[args.target]
    models = models_from_args(args.models)
    bench = UserBench("aarch64", "aarch64-unknown-linux-gnu", "aarch64-linux-gnu-gcc",
                      "gcc-aarch64-linux-gnu libc6-dev-arm64-cross", "qemu-aarch64",
                      {t: v[:3] for t, v in TARGETS.items()})
    bench.setup()
    base_rows = baseline_rows(BASELINE, baseline_column)
    rows, details = bench.measure(models, args.target, not args.no_layers)

    # Headings as in docs/performance.md ("### Target", "#### model"), so the output pastes in.
    print(f"### Target `{args.target}` (qemu-aarch64 `-cpu {cpu}`)\n")
    head = ["model", "MACs", "nnd insns", "MACs/insn"]
    for c in xnn_cpus:
        head += [f"XNNPACK `{c}` insns", "MACs/insn", "XNNPACK / nnd"]
    head += ["TFLM-ref insns", "TFLM-ref / nnd", "nnd arena", "nnd stack of run", "nnd code",
             "nnd .rodata"]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for stem, m, n, arena, stack, code, rodata in rows:
        base = base_rows.get(BASELINE_KEYS.get(stem), {})
        cells = [stem, fmt(m), fmt(n), f"{m / n:.3f}"]
        for key in xnn_cpus + ["tflm"]:
            b = base.get(key)
            if key == "tflm":
                cells += [fmt(b) if b else "-", f"{b / n:.1f}x" if b else "-"]
            else:
                cells += [fmt(b) if b else "-", f"{m / b:.3f}" if b else "-",
                          f"{b / n:.2f}x" if b else "-"]
        cells += [fmt(arena), fmt(stack), fmt(code), fmt(rodata)]
        print("| " + " | ".join(cells) + " |")
    print()
    print(f"nnd insns: one `run` between `bench_start` and `bench_end`, int8 noise input, static "
          f"binary under qemu-aarch64 7.2 `-cpu {cpu}` with the region plugin. XNNPACK and "
          f"TFLM-ref: ../shared/baselines/aarch64-riscv64.md (LiteRT 2.3.0 + XNNPACK, one "
          f"thread; TFLM reference kernels, g++ -O2); X / nnd above 1 means nnd executes fewer "
          f"instructions. nnd code: the sizes of the function symbols of the benchmark binary "
          f"(`llvm-nm -S`) minus the same sum for the binary with a one-layer network (both "
          f"link the same static Rust std and glibc; the plain `.text` difference would include "
          f"alignment padding that moves with the layout); "
          f"nnd .rodata: the same difference of `.rodata` (weights, biases, requantisation "
          f"constants). Stack: bytes below the stack pointer written during `run` (painted and "
          f"scanned; 256 is the floor).")
    print_layer_details(details)


if __name__ == "__main__":
    main()
