#!/usr/bin/env bash
# Regenerates the committed seed corpora (fuzz/corpus/<target>/) and fixtures (fuzz/fixtures/) from
# files already in the repository; the .npy seeds are written byte by byte (no numpy needed).
# Run from anywhere: bash fuzz/make-corpus.sh. Keeps the corpus small (under 200 KB).
set -euo pipefail
cd "$(dirname "$0")/.."
c=fuzz/corpus
rm -rf "$c" fuzz/fixtures
mkdir -p "$c"/nnd "$c"/tflite "$c"/npy "$c"/weights fuzz/fixtures

# .nnd: the MLPerf Tiny networks, the test networks, every diagnostic and parse-error case.
cp examples/mlperf/*.nnd "$c"/nnd/
for f in nn-macros/tests/ui/data/*.nnd nn-dsl/tests/cli/*.nnd nn-dsl/tests/import/*.nnd; do
    cp "$f" "$c/nnd/$(basename "$(dirname "$f")")_$(basename "$f")"
done
for f in tests/diagnostics/*.nnd; do cp "$f" "$c/nnd/diag_$(basename "$f")"; done
for f in nn-dsl/tests/parse/errors/*.nnd; do cp "$f" "$c/nnd/parse_$(basename "$f")"; done

# .tflite: the small models (under 50 KB) and every malformed case of the reader's tests.
for f in tests/vectors/models/flatten_cnn.tflite tests/vectors/models/concat_mul.tflite \
    tests/vectors/models/ds_cnn_kws.tflite examples/digits/model/digits.tflite \
    nn-dsl/tests/tflite/converter/mixed_int8.tflite nn-dsl/tests/tflite/converter/mixed_f32.tflite \
    nn-macros/tests/ui/data/unsupported_ops.tflite; do
    cp "$f" "$c"/tflite/
done
for f in nn-dsl/tests/tflite/malformed/*.tflite; do cp "$f" "$c/tflite/malformed_$(basename "$f")"; done

# Weights (safetensors) and the networks they belong to (fixtures of the weights target).
for n in shift flatten_cnn concat_mul ds_cnn_kws; do
    cp "nn-macros/tests/ui/data/$n.safetensors" "$c"/weights/
    cp "nn-macros/tests/ui/data/$n.nnd" fuzz/fixtures/
done

# .npy: int8 and float32 [2, 3] and [1, 2, 3] (the batch), version 1 and 2 headers, Fortran
# order, a float64 and a uint8 file, a header with a list shape.
python3 - "$c"/npy <<'PY'
import struct, sys
out = sys.argv[1]
def npy(name, descr, shape, data, version=1, fortran=False, shape_text=None):
    shape_text = shape_text or "(" + "".join(f"{d}, " for d in shape).rstrip(" ") + ")"
    if len(shape) > 1 and shape_text.endswith(",)"):
        shape_text = shape_text[:-2] + ")"
    header = "{'descr': '%s', 'fortran_order': %s, 'shape': %s, }" % (descr, fortran, shape_text)
    pre = 10 if version == 1 else 12
    pad = (-(pre + len(header) + 1)) % 64
    header = (header + " " * pad + "\n").encode()
    size = struct.pack("<H", len(header)) if version == 1 else struct.pack("<I", len(header))
    with open(f"{out}/{name}.npy", "wb") as f:
        f.write(b"\x93NUMPY" + bytes([version, 0]) + size + header + data)
i8 = bytes([0, 1, 255, 127, 128, 2])
f4 = struct.pack("<6f", 0.0, 1.5, -2.0, 0.25, 100.0, -0.125)
npy("i8_2x3", "|i1", [2, 3], i8)
npy("i8_1x2x3", "|i1", [1, 2, 3], i8)
npy("f4_2x3", "<f4", [2, 3], f4)
npy("f4_1x2x3_v2", "<f4", [1, 2, 3], f4, version=2)
npy("i8_2x3_fortran", "|i1", [2, 3], i8, fortran=True)
npy("f8_2x3", "<f8", [2, 3], struct.pack("<6d", 0, 1, 2, 3, 4, 5))
npy("u1_2x3", "|u1", [2, 3], i8)
npy("i8_list_shape", "|i1", [2, 3], i8, shape_text="[2, 3]")
npy("i8_4", "|i1", [4], bytes([1, 2, 3, 4]))
npy("f4_scalar", "<f4", [], struct.pack("<f", 1.0), shape_text="()")
PY
du -sh "$c" fuzz/fixtures
