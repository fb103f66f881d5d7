#!/usr/bin/env python3
"""AArch64 benchmark driver (run through tools/bench-aarch64.sh; python3 standard library only).

For each model: builds bench/aarch64 for the target as a static Linux binary, runs one inference
under qemu-aarch64 7.2 (user mode) with the v1 region plugin of ../shared/tools/qemu-icount
(instructions between bench_start and bench_end), again with layer marks for per-layer counts,
and prints markdown tables beside the TFLM-ref and LiteRT + XNNPACK figures of
../shared/baselines/aarch64-riscv64.md.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from common import DEFAULT_MODELS, ROOT, SHARED, die, fmt, llvm_tool, newest_layers, plugin, \
    run, section_bytes, symbol

BASELINE = SHARED / "baselines" / "aarch64-riscv64.md"
TRIPLE = "aarch64-unknown-linux-gnu"
PACKAGE = "nnd-bench-aarch64"
# Bookworm's qemu-user: dynamically linked, loads API v1 plugins (10.0.2's qemu-aarch64 is
# static and rejects them). Fetched with apt-get download, unpacked with dpkg -x.
QEMU_DEB = "qemu-user=1:7.2+dfsg-7+deb12u18+b3"
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
BASE_RUSTFLAGS = "-C target-feature=+crt-static -C relocation-model=static"
# Model file stem -> row of the baseline table.
BASELINE_KEYS = {
    "ds_cnn_kws": "KWS",
    "mobilenet_v1_025_vww": "VWW",
    "resnet8_cifar": "IC",
    "fc_autoencoder": "AD",
}


def need(tool, hint):
    if shutil.which(tool) is None:
        die(f"{tool} not found ({hint})")


def qemu(target_dir):
    """qemu-aarch64 7.2 under target/qemu-user-7.2, downloaded and unpacked when missing."""
    root = target_dir / "qemu-user-7.2"
    exe = root / "usr" / "bin" / "qemu-aarch64"
    if not exe.exists():
        need("apt-get", "Debian's apt, to download qemu-user 7.2")
        need("dpkg", "Debian's dpkg, to unpack qemu-user 7.2")
        with tempfile.TemporaryDirectory() as tmp:
            r = subprocess.run(["apt-get", "download", QEMU_DEB], cwd=tmp, text=True,
                               capture_output=True)
            debs = list(Path(tmp).glob("qemu-user_*.deb"))
            if r.returncode != 0 or not debs:
                die(f"cannot download {QEMU_DEB} (bookworm's main suite must be in the apt "
                    f"sources, then apt-get update; see ../shared/env-recipes.md):\n{r.stderr}")
            root.mkdir(parents=True, exist_ok=True)
            run(["dpkg", "-x", str(debs[0]), str(root)])
        if not exe.exists():
            die(f"{exe} not found after unpacking {QEMU_DEB}")
    return exe


def build(model, target, marks, target_dir):
    _, flags, sub, _ = TARGETS[target]
    env = dict(os.environ)
    env["NND_BENCH_MODEL"] = str(model) if model else ""
    env["NND_BENCH_TARGET"] = target
    env["NND_BENCH_MARKS"] = "1" if marks else "0"
    # Linker and flags through the environment, not a .cargo/config.toml. The target's own
    # RUSTFLAGS variable leaves the host build script alone.
    env["CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER"] = "aarch64-linux-gnu-gcc"
    env["CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUSTFLAGS"] = BASE_RUSTFLAGS + flags
    env.pop("RUSTFLAGS", None)
    env.pop("CARGO_ENCODED_RUSTFLAGS", None)
    # One target directory per flag set: different RUSTFLAGS rebuild everything.
    tdir = target_dir / "bench-aarch64" / sub
    run(["cargo", "build", "-q", "--locked", "--release", "--target", TRIPLE,
         "--manifest-path", "bench/aarch64/Cargo.toml", "--target-dir", str(tdir)], env=env)
    elf = tdir / TRIPLE / "release" / PACKAGE
    # The newest build-script output holds this build's layer list.
    return elf, newest_layers(tdir / TRIPLE / "release" / "build", PACKAGE)


def count(exe, cpu, elf, lib, nm, start, end):
    log = elf.with_suffix(".plugin.log")
    cmd = ["timeout", "600", "env", "-i", str(exe), "-cpu", cpu,
           "-plugin", f"{lib},start={symbol(nm, elf, start):#x},end={symbol(nm, elf, end):#x}",
           "-d", "plugin", "-D", str(log), str(elf)]
    if log.exists():
        log.unlink()
    r = subprocess.run(cmd, text=True, capture_output=True)
    if r.returncode != 0:
        die(f"qemu failed ({r.returncode}): {' '.join(cmd)}\n{r.stdout}{r.stderr}")
    if not log.exists():
        die(f"{exe} wrote no plugin log (did it load {lib}?)\n{r.stderr}")
    regions = [int(m.group(1)) for m in re.finditer(r"region \d+: (\d+) insns", log.read_text())]
    info = dict(re.findall(r"^(\w+): (.*)$", r.stdout, re.M))
    if info.get("result") != "ok":
        die(f"{elf}: the inference failed:\n{r.stdout}")
    if not regions:
        die(f"{elf}: no region between {start} and {end} was counted")
    return regions, info


def code_bytes(nm, elf):
    """Sum of the sizes of the function symbols of `elf` (the static binary's `.text` also holds
    alignment padding, up to 4 KiB in glibc, that moves with the layout)."""
    total = 0
    for line in run([nm, "-S", str(elf)]).splitlines():
        parts = line.split(None, 3)
        if len(parts) == 4 and parts[2] in ("t", "T", "W", "w"):
            total += int(parts[1], 16)
    return total


def baseline():
    """Rows of the baseline table: {"KWS": {"tflm": n, "max,sme=off": n, "neoverse-n1": n,
    "cortex-a53": n}, ...} (executed instructions)."""
    if not BASELINE.exists():
        die(f"{BASELINE} not found")
    columns, rows = None, {}
    for line in BASELINE.read_text().splitlines():
        if not line.startswith("|"):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if cells[0] == "model":
            columns = {}
            for i, c in enumerate(cells):
                if c.startswith("AArch64 TFLM-ref"):
                    columns["tflm"] = i
                for cpu in ("max,sme=off", "neoverse-n1", "cortex-a53"):
                    if f"`-cpu {cpu}`" in c:
                        columns[cpu] = i
            continue
        if columns is None or cells[0].startswith("---"):
            continue
        row = {}
        for key, i in columns.items():
            m = re.match(r"([\d,]+)", cells[i]) if i < len(cells) else None
            if m:
                row[key] = int(m.group(1).replace(",", ""))
        rows[cells[0]] = row
    if not rows:
        die(f"{BASELINE}: no baseline rows found")
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--target", default="aarch64", choices=sorted(TARGETS))
    ap.add_argument("--no-layers", action="store_true", help="whole networks only")
    ap.add_argument("models", nargs="*")
    args = ap.parse_args()
    cpu, _, _, xnn_cpus = TARGETS[args.target]
    target_dir = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    if not target_dir.is_absolute():
        target_dir = ROOT / target_dir
    models = [Path(m).resolve() for m in args.models] or \
        [ROOT / "tests" / "vectors" / "models" / f"{m}.tflite" for m in DEFAULT_MODELS]
    for m in models:
        if not m.is_file():
            die(f"{m}: no such model file (a .tflite, or a .nnd beside its weights)")
    for tool, hint in [("cargo", "Rust from rustup"), ("rustc", "Rust from rustup"),
                       ("aarch64-linux-gnu-gcc",
                        "apt-get install gcc-aarch64-linux-gnu libc6-dev-arm64-cross"),
                       ("timeout", "coreutils")]:
        need(tool, hint)
    sysroot = Path(run(["rustc", "--print", "sysroot"]).strip())
    if not (sysroot / "lib" / "rustlib" / TRIPLE).is_dir():
        die(f"the Rust standard library for {TRIPLE} is not installed "
            f"(rustup target add {TRIPLE})")
    nm, size = llvm_tool("llvm-nm"), llvm_tool("llvm-size")
    exe = qemu(target_dir)
    lib = plugin(target_dir, "libregion_v1.so")
    base_rows = baseline()
    nndc = ["cargo", "run", "-q", "--locked", "-p", "nn-dsl", "--bin", "nndc", "--"]

    # The binary with a one-layer network: its code and .rodata are subtracted to get the
    # network's code and constants.
    elf, _ = build(None, args.target, False, target_dir)
    base_code = code_bytes(nm, elf)
    base_rodata = section_bytes(size, elf, ".rodata")

    rows, details = [], []
    for model in models:
        stem = model.stem
        info = json.loads(run(nndc + ["info", str(model), "--json"]))
        macs = {l["name"]: l["macs"] for l in info["layers"]}
        total_macs = info["total"]["macs"]
        elf, _ = build(model, args.target, False, target_dir)
        regions, out = count(exe, cpu, elf, lib, nm, "bench_start", "bench_end")
        insns = regions[0]
        code = code_bytes(nm, elf) - base_code
        rodata = section_bytes(size, elf, ".rodata") - base_rodata
        rows.append((stem, total_macs, insns, base_rows.get(BASELINE_KEYS.get(stem), {}),
                     int(out["arena_bytes"]), int(out["stack_bytes"]), code, rodata))
        if args.no_layers:
            continue
        elf, layers = build(model, args.target, True, target_dir)
        per, _ = count(exe, cpu, elf, lib, nm, "layer_begin", "layer_end")
        if len(per) != len(layers):
            die(f"{stem}: {len(per)} marked regions for {len(layers)} labelled blocks")
        total, layer_macs = sum(per), 0
        lines = [f"#### {stem} (`{args.target}`, `-cpu {cpu}`)", "",
                 "| # | layer | MACs | nnd insns | MACs/insn | share |",
                 "|---|---|---|---|---|---|"]
        for i, (name, n) in enumerate(zip(layers, per)):
            node = re.match(r"`([^`]*)`", name).group(1)
            m = macs.get(node, 0)
            layer_macs += m
            lines.append("| {} | {} | {} | {} | {} | {:.1f}% |".format(
                i, name, fmt(m), fmt(n), f"{m / n:.3f}" if m else "", 100 * n / total))
        lines.append(f"| | sum | {fmt(layer_macs)} | {fmt(total)} | {layer_macs / total:.3f} | |")
        details.append("\n".join(lines))

    # Headings as in docs/performance.md ("### Target", "#### model"), so the output pastes in.
    print(f"### Target `{args.target}` (qemu-aarch64 `-cpu {cpu}`)\n")
    head = ["model", "MACs", "nnd insns", "MACs/insn"]
    for c in xnn_cpus:
        head += [f"XNNPACK `{c}` insns", "MACs/insn", "XNNPACK / nnd"]
    head += ["TFLM-ref insns", "TFLM-ref / nnd", "nnd arena", "nnd stack of run", "nnd code",
             "nnd .rodata"]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for stem, m, n, base, arena, stack, code, rodata in rows:
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
    for d in details:
        print()
        print(d)
    if details:
        print()
        print("Per-layer counts come from a second build with `layer_begin()`/`layer_end()` calls "
              "around each node (a few instructions each; the calls also change inlining, so the "
              "sum differs slightly from the whole-network count). Reshape aliases emit no code "
              "and have no row.")


if __name__ == "__main__":
    main()
