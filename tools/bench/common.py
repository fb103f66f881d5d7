"""Helpers shared by the benchmark drivers (bench_cortex_m.py, bench_aarch64.py,
bench_riscv64.py); python3 standard library only. `UserBench` is the common part of the two
Linux user-mode drivers (bench/aarch64 and bench/riscv64 under qemu-user 7.2)."""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared"
DEFAULT_MODELS = ["ds_cnn_kws", "mobilenet_v1_025_vww", "resnet8_cifar", "fc_autoencoder"]


def die(msg):
    print(f"error: {msg}", file=sys.stderr)
    sys.exit(2)


def run(cmd, env=None, capture=True):
    try:
        r = subprocess.run(cmd, env=env, cwd=ROOT, text=True,
                           stdout=subprocess.PIPE if capture else None,
                           stderr=subprocess.PIPE if capture else None)
    except FileNotFoundError:
        die(f"{cmd[0]} not found")
    if r.returncode != 0:
        die(f"`{' '.join(map(str, cmd))}` failed:\n{r.stderr or ''}{r.stdout or ''}")
    return r.stdout


def llvm_tool(name):
    sysroot = run(["rustc", "--print", "sysroot"]).strip()
    host = re.search(r"host: (\S+)", run(["rustc", "-vV"])).group(1)
    p = Path(sysroot) / "lib" / "rustlib" / host / "bin" / name
    if not p.exists():
        die(f"{p} not found (rustup component add llvm-tools)")
    return str(p)


def plugin(target_dir, name):
    """The instruction-count plugin `name` (libregion_v4.so for QEMU 10, libregion_v1.so for
    QEMU 7.2), built with ../shared/tools/qemu-icount/build.sh (both at once) into
    target/qemu-icount when missing."""
    out = target_dir / "qemu-icount"
    lib = out / name
    if not lib.exists():
        script = SHARED / "tools" / "qemu-icount" / "build.sh"
        r = subprocess.run(["sh", str(script), str(out)], text=True, capture_output=True)
        if r.returncode != 0 or not lib.exists():
            die("cannot build the qemu-icount plugin: it needs gcc, pkg-config, libglib2.0-dev and "
                "deb-src entries for bookworm and bookworm-backports (see ../shared/env-recipes.md)\n"
                + r.stderr)
    return lib


def symbol(nm, elf, name):
    for line in run([nm, str(elf)]).splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[2] == name:
            return int(parts[0], 16) & ~1
    die(f"no symbol {name} in {elf}")


def section_bytes(size, elf, name):
    """Size of section `name` (".text", ".rodata") of `elf`, 0 when absent."""
    for line in run([size, "-A", str(elf)]).splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0] == name:
            return int(parts[1])
    return 0


def newest_layers(build_dir, package):
    """The marked blocks written by the newest build-script run of `package` (layers.txt)."""
    outs = sorted(build_dir.glob(f"{package}-*/out/layers.txt"), key=lambda p: p.stat().st_mtime)
    layers = outs[-1].read_text().split("\n") if outs else []
    return [l for l in layers if l]


def fmt(n):
    return f"{n:,}"


def need(tool, hint):
    if shutil.which(tool) is None:
        die(f"{tool} not found ({hint})")


# Bookworm's qemu-user: dynamically linked, loads API v1 plugins (10.0.2's qemu-aarch64 and
# qemu-riscv64 are static and reject them). Fetched with apt-get download, unpacked with dpkg -x.
QEMU_USER_DEB = "qemu-user=1:7.2+dfsg-7+deb12u18+b3"


def qemu_user(target_dir, name):
    """`name` (qemu-aarch64, qemu-riscv64) of qemu-user 7.2 under target/qemu-user-7.2,
    downloaded and unpacked when missing."""
    root = target_dir / "qemu-user-7.2"
    exe = root / "usr" / "bin" / name
    if not exe.exists():
        need("apt-get", "Debian's apt, to download qemu-user 7.2")
        need("dpkg", "Debian's dpkg, to unpack qemu-user 7.2")
        with tempfile.TemporaryDirectory() as tmp:
            r = subprocess.run(["apt-get", "download", QEMU_USER_DEB], cwd=tmp, text=True,
                               capture_output=True)
            debs = list(Path(tmp).glob("qemu-user_*.deb"))
            if r.returncode != 0 or not debs:
                die(f"cannot download {QEMU_USER_DEB} (bookworm's main suite must be in the apt "
                    f"sources, then apt-get update; see ../shared/env-recipes.md):\n{r.stderr}")
            root.mkdir(parents=True, exist_ok=True)
            run(["dpkg", "-x", str(debs[0]), str(root)])
        if not exe.exists():
            die(f"{exe} not found after unpacking {QEMU_USER_DEB}")
    return exe


def code_bytes(nm, elf):
    """Sum of the sizes of the function symbols of `elf` (the static binary's `.text` also holds
    alignment padding, up to 4 KiB in glibc, that moves with the layout)."""
    total = 0
    for line in run([nm, "-S", str(elf)]).splitlines():
        parts = line.split(None, 3)
        if len(parts) == 4 and parts[2] in ("t", "T", "W", "w"):
            total += int(parts[1], 16)
    return total


def baseline_rows(path, column_key):
    """Rows of the markdown table of `path`, keyed by their first cell: {"KWS": {key: n}, ...}
    (the leading number of each cell). `column_key(header_cell)` names the columns to read
    (None for the others)."""
    if not path.exists():
        die(f"{path} not found")
    columns, rows = None, {}
    for line in path.read_text().splitlines():
        if not line.startswith("|"):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if cells[0] == "model":
            columns = {}
            for i, c in enumerate(cells):
                key = column_key(c)
                if key:
                    columns[key] = i
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
        die(f"{path}: no baseline rows found")
    return rows


class UserBench:
    """A benchmark crate built as a static Linux binary and run under qemu-user 7.2 with the v1
    region plugin: `name` (aarch64, riscv64) is the crate bench/NAME and the script
    tools/bench-NAME.sh; `targets` maps an nnd target to (emulated CPU, extra RUSTFLAGS, build
    subdirectory)."""

    BASE_RUSTFLAGS = "-C target-feature=+crt-static -C relocation-model=static"

    def __init__(self, name, triple, linker, linker_package, qemu, targets):
        self.name, self.triple, self.linker = name, triple, linker
        self.linker_package, self.qemu_name, self.targets = linker_package, qemu, targets
        self.package = f"nnd-bench-{name}"
        self.env_prefix = "CARGO_TARGET_" + re.sub(r"[^A-Z0-9]", "_", triple.upper()) + "_"
        target_dir = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
        self.target_dir = target_dir if target_dir.is_absolute() else ROOT / target_dir

    def setup(self):
        """Checks the tools; fetches qemu-user 7.2 and builds the plugin when missing."""
        for tool, hint in [("cargo", "Rust from rustup"), ("rustc", "Rust from rustup"),
                           (self.linker, f"apt-get install {self.linker_package}"),
                           ("timeout", "coreutils")]:
            need(tool, hint)
        sysroot = Path(run(["rustc", "--print", "sysroot"]).strip())
        if not (sysroot / "lib" / "rustlib" / self.triple).is_dir():
            die(f"the Rust standard library for {self.triple} is not installed "
                f"(rustup target add {self.triple})")
        self.nm, self.size = llvm_tool("llvm-nm"), llvm_tool("llvm-size")
        self.exe = qemu_user(self.target_dir, self.qemu_name)
        self.lib = plugin(self.target_dir, "libregion_v1.so")

    def build(self, model, target, marks):
        _, flags, sub = self.targets[target]
        env = dict(os.environ)
        env["NND_BENCH_MODEL"] = str(model) if model else ""
        env["NND_BENCH_TARGET"] = target
        env["NND_BENCH_MARKS"] = "1" if marks else "0"
        # Linker and flags through the environment, not a .cargo/config.toml. The target's own
        # RUSTFLAGS variable leaves the host build script alone.
        env[self.env_prefix + "LINKER"] = self.linker
        env[self.env_prefix + "RUSTFLAGS"] = self.BASE_RUSTFLAGS + flags
        env.pop("RUSTFLAGS", None)
        env.pop("CARGO_ENCODED_RUSTFLAGS", None)
        # One target directory per flag set: different RUSTFLAGS rebuild everything.
        tdir = self.target_dir / f"bench-{self.name}" / sub
        run(["cargo", "build", "-q", "--locked", "--release", "--target", self.triple,
             "--manifest-path", f"bench/{self.name}/Cargo.toml", "--target-dir", str(tdir)],
            env=env)
        elf = tdir / self.triple / "release" / self.package
        # The newest build-script output holds this build's layer list.
        return elf, newest_layers(tdir / self.triple / "release" / "build", self.package)

    def count(self, cpu, elf, start, end):
        log = elf.with_suffix(".plugin.log")
        nm, lib = self.nm, self.lib
        cmd = ["timeout", "600", "env", "-i", str(self.exe), "-cpu", cpu,
               "-plugin",
               f"{lib},start={symbol(nm, elf, start):#x},end={symbol(nm, elf, end):#x}",
               "-d", "plugin", "-D", str(log), str(elf)]
        if log.exists():
            log.unlink()
        r = subprocess.run(cmd, text=True, capture_output=True)
        if r.returncode != 0:
            die(f"qemu failed ({r.returncode}): {' '.join(cmd)}\n{r.stdout}{r.stderr}")
        if not log.exists():
            die(f"{self.exe} wrote no plugin log (did it load {lib}?)\n{r.stderr}")
        regions = [int(m.group(1))
                   for m in re.finditer(r"region \d+: (\d+) insns", log.read_text())]
        info = dict(re.findall(r"^(\w+): (.*)$", r.stdout, re.M))
        if info.get("result") != "ok":
            die(f"{elf}: the inference failed:\n{r.stdout}")
        if not regions:
            die(f"{elf}: no region between {start} and {end} was counted")
        return regions, info

    def measure(self, models, target, layers):
        """Whole-network rows (stem, MACs, insns, arena, stack, code, rodata) of each model and,
        with `layers`, a markdown per-layer table of each."""
        cpu = self.targets[target][0]
        nndc = ["cargo", "run", "-q", "--locked", "-p", "nn-dsl", "--bin", "nndc", "--"]
        # The binary with a one-layer network: its code and .rodata are subtracted to get the
        # network's code and constants.
        elf, _ = self.build(None, target, False)
        base_code = code_bytes(self.nm, elf)
        base_rodata = section_bytes(self.size, elf, ".rodata")
        rows, details = [], []
        for model in models:
            stem = model.stem
            info = json.loads(run(nndc + ["info", str(model), "--json"]))
            macs = {l["name"]: l["macs"] for l in info["layers"]}
            elf, _ = self.build(model, target, False)
            regions, out = self.count(cpu, elf, "bench_start", "bench_end")
            rows.append((stem, info["total"]["macs"], regions[0], int(out["arena_bytes"]),
                         int(out["stack_bytes"]), code_bytes(self.nm, elf) - base_code,
                         section_bytes(self.size, elf, ".rodata") - base_rodata))
            if not layers:
                continue
            elf, names = self.build(model, target, True)
            per, _ = self.count(cpu, elf, "layer_begin", "layer_end")
            if len(per) != len(names):
                die(f"{stem}: {len(per)} marked regions for {len(names)} labelled blocks")
            total, layer_macs = sum(per), 0
            lines = [f"#### {stem} (`{target}`, `-cpu {cpu}`)", "",
                     "| # | layer | MACs | nnd insns | MACs/insn | share |",
                     "|---|---|---|---|---|---|"]
            for i, (name, n) in enumerate(zip(names, per)):
                node = re.match(r"`([^`]*)`", name).group(1)
                m = macs.get(node, 0)
                layer_macs += m
                lines.append("| {} | {} | {} | {} | {} | {:.1f}% |".format(
                    i, name, fmt(m), fmt(n), f"{m / n:.3f}" if m else "", 100 * n / total))
            lines.append(
                f"| | sum | {fmt(layer_macs)} | {fmt(total)} | {layer_macs / total:.3f} | |")
            details.append("\n".join(lines))
        return rows, details


def models_from_args(names):
    """The model files named on the command line, or the four MLPerf Tiny models."""
    models = [Path(m).resolve() for m in names] or \
        [ROOT / "tests" / "vectors" / "models" / f"{m}.tflite" for m in DEFAULT_MODELS]
    for m in models:
        if not m.is_file():
            die(f"{m}: no such model file (a .tflite, or a .nnd beside its weights)")
    return models


def print_layer_details(details):
    for d in details:
        print()
        print(d)
    if details:
        print()
        print("Per-layer counts come from a second build with `layer_begin()`/`layer_end()` calls "
              "around each node (a few instructions each; the calls also change inlining, so the "
              "sum differs slightly from the whole-network count). Reshape aliases emit no code "
              "and have no row.")
