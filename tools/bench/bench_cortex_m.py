#!/usr/bin/env python3
"""Cortex-M benchmark driver (run through tools/bench-cortex-m.sh; python3 standard library only).

For each model: builds bench/cortex-m for the target, runs one inference under
qemu-system-arm -M mps2-an386 with the region plugin of ../shared/tools/qemu-icount (instructions
between bench_start and bench_end), again with layer marks for per-layer counts, and prints
markdown tables beside the TFLM + CMSIS-NN figures of ../shared/baselines.
"""
import argparse
import json
import os
import re
import subprocess
from pathlib import Path

from common import DEFAULT_MODELS, ROOT, SHARED, die, fmt, llvm_tool, newest_layers, plugin, \
    run, section_bytes, symbol

BASELINE = SHARED / "baselines" / "tflm-cmsis-nn-cortex-m4.md"
TRIPLE = "thumbv7em-none-eabihf"
# Model file stem -> (row label in the whole-network table, section in the per-layer tables).
BASELINE_KEYS = {
    "ds_cnn_kws": ("keyword spotting", "kws"),
    "mobilenet_v1_025_vww": ("visual wake words", "vww"),
    "resnet8_cifar": ("image classification", "resnet"),
    "fc_autoencoder": ("anomaly detection", "ad"),
}


def build(model, target, marks, target_dir, in_place=False):
    env = dict(os.environ)
    env["NND_BENCH_MODEL"] = str(model) if model else ""
    env["NND_BENCH_TARGET"] = target
    env["NND_BENCH_MARKS"] = "1" if marks else "0"
    env["NND_BENCH_IN_PLACE"] = "1" if in_place else "0"
    tdir = target_dir / "bench-cortex-m"
    run(["cargo", "build", "-q", "--locked", "--release", "--target", TRIPLE,
         "--manifest-path", "bench/cortex-m/Cargo.toml", "--target-dir", str(tdir)], env=env)
    elf = tdir / TRIPLE / "release" / "nnd-bench-cortex-m"
    # The newest build-script output holds this build's layer list.
    return elf, newest_layers(tdir / TRIPLE / "release" / "build", "nnd-bench-cortex-m")


def count(elf, lib, nm, start, end):
    log = elf.with_suffix(".plugin.log")
    cmd = ["timeout", "600", "qemu-system-arm", "-M", "mps2-an386", "-nographic",
           "-semihosting-config", "enable=on,target=native",
           "-plugin", f"{lib},start={symbol(nm, elf, start):#x},end={symbol(nm, elf, end):#x}",
           "-d", "plugin", "-D", str(log), "-kernel", str(elf)]
    r = subprocess.run(cmd, text=True, capture_output=True)
    if r.returncode != 0:
        die(f"qemu failed ({r.returncode}):\n{r.stdout}{r.stderr}")
    regions = [int(m.group(1)) for m in re.finditer(r"region \d+: (\d+) insns", log.read_text())]
    info = dict(re.findall(r"^(\w+): (.*)$", r.stdout, re.M))
    if info.get("result") != "ok":
        die(f"{elf}: the inference failed:\n{r.stdout}")
    return regions, info


def text_bytes(size, elf):
    return section_bytes(size, elf, ".text")


def baseline():
    """Whole-network rows and per-layer rows of the TFLM + CMSIS-NN baseline."""
    if not BASELINE.exists():
        die(f"{BASELINE} not found")
    text = BASELINE.read_text()
    whole, layers, section = {}, {}, None
    for line in text.splitlines():
        m = re.match(r"^### (\w+)", line)
        if m:
            section = m.group(1)
            layers[section] = []
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 8 and cells[0] and not cells[0].startswith("model") and \
                not cells[0].startswith("---") and section is None and line.startswith("|"):
            whole[cells[0]] = {
                "insns": int(cells[2].replace(",", "")),
                "arena": int(cells[6].replace(",", "")),
                "text": int(cells[7].replace(",", "")),
            }
        elif section and len(cells) >= 11 and cells[0].isdigit():
            layers[section].append({"op": cells[1], "macs": int(cells[6]),
                                    "insns": int(cells[7])})
    return whole, layers


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--target", default="cortex-m4")
    ap.add_argument("--no-layers", action="store_true", help="whole networks only")
    ap.add_argument("--in-place", action="store_true",
                    help="also build each model with row-by-row in-place convolutions and its "
                         "input and output in the arena (nndc build --in-place --io-in-arena) "
                         "and print a memory table of both")
    ap.add_argument("models", nargs="*")
    args = ap.parse_args()
    target_dir = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    if not target_dir.is_absolute():
        target_dir = ROOT / target_dir
    models = [Path(m).resolve() for m in args.models] or \
        [ROOT / "tests" / "vectors" / "models" / f"{m}.tflite" for m in DEFAULT_MODELS]
    for m in models:
        if not m.is_file():
            die(f"{m}: no such model file (a .tflite, or a .nnd beside its weights)")
    lib = plugin(target_dir, "libregion_v4.so")
    nm, size = llvm_tool("llvm-nm"), llvm_tool("llvm-size")
    whole_base, layer_base = baseline()
    nndc = ["cargo", "run", "-q", "--locked", "-p", "nn-dsl", "--bin", "nndc", "--"]

    # The firmware with a one-layer network: its .text is subtracted to get the network's code.
    elf, _ = build(None, args.target, False, target_dir)
    base_text = text_bytes(size, elf)

    rows, details, memory = [], [], []
    for model in models:
        stem = model.stem
        info = json.loads(run(nndc + ["info", str(model), "--json"]))
        macs = {l["name"]: l["macs"] for l in info["layers"]}
        total_macs = info["total"]["macs"]
        elf, _ = build(model, args.target, False, target_dir)
        regions, out = count(elf, lib, nm, "bench_start", "bench_end")
        insns = regions[0]
        code = text_bytes(size, elf) - base_text
        label, section = BASELINE_KEYS.get(stem, (None, None))
        base = next((v for k, v in whole_base.items() if label and k.startswith(label)), None)
        rows.append((stem, total_macs, insns, base, int(out["arena_bytes"]),
                     int(out["stack_bytes"]), code))
        if args.in_place:
            ielf, _ = build(model, args.target, False, target_dir, in_place=True)
            iregions, iout = count(ielf, lib, nm, "bench_start", "bench_end")
            if iout.get("output") != out.get("output"):
                die(f"{stem}: in place gives other output bytes:\n{iout.get('output')}\n"
                    f"{out.get('output')}")
            memory.append((stem, base, insns, out, iregions[0], iout,
                           text_bytes(size, ielf) - base_text))
        if args.no_layers:
            continue
        elf, layers = build(model, args.target, True, target_dir)
        per, _ = count(elf, lib, nm, "layer_begin", "layer_end")
        if len(per) != len(layers):
            die(f"{stem}: {len(per)} marked regions for {len(layers)} labelled blocks")
        tflm = [r for r in layer_base.get(section, []) if r["op"] != "RESHAPE"]
        lines = [f"#### {stem} (`{args.target}`)", "",
                 "| # | layer | MACs | nnd insns | MACs/insn | TFLM+CMSIS-NN op | insns | MACs/insn | TFLM / nnd |",
                 "|---|---|---|---|---|---|---|---|---|"]
        for i, (name, n) in enumerate(zip(layers, per)):
            node = re.match(r"`([^`]*)`", name).group(1)
            m = macs.get(node, 0)
            t = tflm[i] if i < len(tflm) else None
            lines.append("| {} | {} | {} | {} | {} | {} | {} | {} | {} |".format(
                i, name, fmt(m), fmt(n), f"{m / n:.3f}" if m else "",
                t["op"] if t else "", fmt(t["insns"]) if t else "",
                f"{t['macs'] / t['insns']:.3f}" if t and t["macs"] else "",
                f"{t['insns'] / n:.2f}x" if t else ""))
        lines.append(f"| | sum | | {fmt(sum(per))} | | | {fmt(sum(t['insns'] for t in tflm))} | | |")
        details.append("\n".join(lines))

    # Headings as in docs/performance.md ("## Cortex-M4 under qemu"), so the output pastes in.
    print(f"### Target `{args.target}`\n")
    print("| model | MACs | nnd insns | MACs/insn | TFLM+CMSIS-NN insns | MACs/insn | TFLM / nnd | "
          "nnd arena | TFLM arena_used | nnd stack of run | nnd code | TFLM runtime .text |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for stem, m, n, base, arena, stack, code in rows:
        b = base or {}
        bi = b.get("insns")
        print("| {} | {} | {} | {:.3f} | {} | {} | {} | {} | {} | {} | {} | {} |".format(
            stem, fmt(m), fmt(n), m / n, fmt(bi) if bi else "-",
            f"{m / bi:.3f}" if bi else "-", f"{bi / n:.2f}x" if bi else "-", fmt(arena),
            fmt(b["arena"]) if b else "-", fmt(stack), fmt(code), fmt(b["text"]) if b else "-"))
    print()
    print("nnd insns: one `run` between `bench_start` and `bench_end`, int8 noise input. "
          "nnd code: `.text` of the benchmark firmware minus `.text` of the same firmware with a "
          "one-layer network (weights are in `.rodata`, not counted). Stack: bytes below the stack "
          "pointer written during `run` (painted and scanned).")
    if memory:
        print()
        print(f"#### RAM of one inference, plain and in place (`{args.target}`)\n")
        print("| model | plan | insns | arena | caller's input + output | stack of run | RAM | "
              "TFLM arena_used | half of it | cost in insns | code |")
        print("|---|---|---|---|---|---|---|---|---|---|---|")
        for stem, base, insns, out, iinsns, iout, icode in memory:
            b = base or {}
            half = b["arena"] // 2 if b else None
            plain_code = next(r[6] for r in rows if r[0] == stem)
            for plan, n, o, io, code in (("plain", insns, out, int(out["io_bytes"]), plain_code),
                                         ("in place, I/O in arena", iinsns, iout, 0, icode)):
                ram = int(o["arena_bytes"]) + io + int(o["stack_bytes"])
                cost = "" if plan == "plain" else f"{(n - insns) / insns * 100:+.1f}%"
                print("| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |".format(
                    stem, plan, fmt(n), fmt(int(o["arena_bytes"])), fmt(io),
                    fmt(int(o["stack_bytes"])), fmt(ram), fmt(b["arena"]) if b else "-",
                    fmt(half) if half else "-", cost, fmt(code)))
        print()
        print("RAM: arena + the caller's input and output arrays + the stack `run` used (kernel "
              "scratch lives there), the way TFLM's arena_used holds activations, input, output "
              "and scratch. In place the input and output are in the arena (`run_in_arena`; the "
              "benchmark calls `run`, which copies them in and out, counted in its insns). "
              "Outputs of both plans are checked equal.")
    for d in details:
        print()
        print(d)
    if details:
        print()
        print("Per-layer counts come from a second build with `layer_begin()`/`layer_end()` calls "
              "around each node (about 10 instructions each; the calls also change inlining, so "
              "the sum differs slightly from the whole-network count). TFLM rows are matched in "
              "order, skipping RESHAPE (an alias in nnd).")


if __name__ == "__main__":
    main()
