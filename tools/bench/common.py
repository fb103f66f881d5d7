"""Helpers shared by the benchmark drivers (bench_cortex_m.py, bench_aarch64.py); python3
standard library only."""
import re
import subprocess
import sys
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
