"""Side-by-side arena sizes: nnd's planned arena (`nndc info --json`) against TFLM's arena for the
same .tflite models (TFLM's `print_allocations()`: total, head = activations, tail = runtime data).

Usage (after tools/oracle/setup.sh and `cargo build --release -p nn-dsl --bin nndc`):
    tools/oracle/.venv/bin/python tools/oracle/arena_table.py --nndc target/release/nndc \
        tests/vectors/models/*.tflite
Prints a Markdown table (the one in docs/performance.md).
"""

import argparse
import json
import os
import re
import subprocess
import sys

from tflite_micro.python.tflite_micro import runtime


def tflm_arena(path):
    """(total, head, tail) bytes as TFLM's RecordingMicroAllocator reports them."""
    interpreter = runtime.Interpreter.from_file(path, arena_size=4 * 1024 * 1024)
    read_end, write_end = os.pipe()
    sys.stderr.flush()
    saved = os.dup(2)
    os.dup2(write_end, 2)
    try:
        interpreter.print_allocations()
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(write_end)
    with os.fdopen(read_end, "r") as pipe:
        report = pipe.read()
    values = {}
    for key in ("total", "head", "tail"):
        match = re.search(rf"Arena allocation {key} (\d+) bytes", report)
        if match is None:
            raise SystemExit(f"{path}: print_allocations() reported no arena {key}")
        values[key] = int(match.group(1))
    return values["total"], values["head"], values["tail"]


def nnd_arena(nndc, path):
    """nnd's arena bytes and lower bound from `nndc info --json`."""
    out = subprocess.run([nndc, "info", "--json", path], check=True, capture_output=True, text=True)
    total = json.loads(out.stdout)["total"]
    return total["arena_bytes"], total["arena_lower_bound_bytes"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nndc", required=True, help="path to the nndc binary")
    parser.add_argument("models", nargs="+", help=".tflite files")
    args = parser.parse_args()
    print("| model | nnd arena (bytes) | nnd lower bound | TFLM head (activations) | TFLM total | nnd / TFLM head |")
    print("|---|---|---|---|---|---|")
    for path in args.models:
        arena, bound = nnd_arena(args.nndc, path)
        total, head, _tail = tflm_arena(path)
        name = os.path.splitext(os.path.basename(path))[0]
        print(f"| {name} | {arena:,} | {bound:,} | {head:,} | {total:,} | {arena / head:.2f} |")


if __name__ == "__main__":
    main()
