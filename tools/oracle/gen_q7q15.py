#!/usr/bin/env python3
"""Vectors for the power-of-two q7/q15 kernels (nn_kernels::q7q15).

There is no pip oracle for CMSIS-NN's legacy `_q7` / `_q15` functions, so this script is the
oracle: a transcription, in plain Python integers, of the reference (non-DSP, Cortex-M0/M3) loops
as CMSIS 5's documentation and source define them, with C's semantics made explicit:

- the accumulator is a 32-bit signed integer (`q31_t`); the generator refuses any case in which
  an intermediate sum leaves its range, so no case depends on wrapping (undefined in C);
- `>>` on a negative value is arithmetic (as on every Arm compiler);
- `/` truncates toward zero (C99);
- `__SSAT(x, n)` clamps to the signed n-bit range, `__USAT(x, n)` to 0 .. 2^n - 1;
- `NN_ROUND(s)` is `(1 << s) >> 1` (CMSIS 5.9's definition; 0 with ARM_NN_TRUNCATE).

It needs only the Python standard library. Output is byte-identical for the same seed.

    python3 tools/oracle/gen_q7q15.py --seed 1 --out tests/vectors/q7q15
"""

import argparse
import hashlib
import json
import math
import random
import struct
from pathlib import Path

INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1


def ssat(x, bits):
    lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    return max(lo, min(hi, x))


def usat(x, bits):
    return max(0, min((1 << bits) - 1, x))


def c_div(a, b):
    """C99 integer division: the quotient truncated toward zero."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b > 0) else -q


def nn_round(out_shift, rounding):
    return ((1 << out_shift) >> 1) if rounding == "nearest" else 0


class Acc:
    """A q31 accumulator that refuses to leave the 32-bit range."""

    def __init__(self, v):
        self.v = self._check(v)

    @staticmethod
    def _check(v):
        if not INT32_MIN <= v <= INT32_MAX:
            raise OverflowError(v)
        return v

    def add(self, v):
        self.v = self._check(self.v + v)


# ---- reference loops ----------------------------------------------------------------------------


def conv_hwc(w, inp, wt, bias, bias_shift, out_shift, rounding, bits):
    """arm_convolve_HWC_q7_basic_nonsquare / arm_convolve_HWC_q15_basic: loops over output
    channel, row, column; kernel row, column; input channel. Out-of-image taps are skipped."""
    H, W, C = w["input_h"], w["input_w"], w["input_c"]
    OH, OW, OC = w["output_h"], w["output_w"], w["output_c"]
    KH, KW = w["kernel_h"], w["kernel_w"]
    out = [0] * (OH * OW * OC)
    for i in range(OC):
        for j in range(OH):
            for k in range(OW):
                acc = Acc((bias[i] << bias_shift) + nn_round(out_shift, rounding))
                for m in range(KH):
                    for n in range(KW):
                        r = w["stride_h"] * j + m - w["pad_top"]
                        c = w["stride_w"] * k + n - w["pad_left"]
                        if 0 <= r < H and 0 <= c < W:
                            for l in range(C):
                                acc.add(inp[(r * W + c) * C + l] * wt[i * KH * KW * C + (m * KW + n) * C + l])
                out[i + (j * OW + k) * OC] = ssat(acc.v >> out_shift, bits)
    return out


def depthwise_hwc(w, inp, wt, bias, bias_shift, out_shift, rounding, bits):
    """arm_depthwise_separable_conv_HWC_q7_nonsquare's reference loops; weights [KH, KW, C]."""
    H, W, C = w["input_h"], w["input_w"], w["input_c"]
    OH, OW = w["output_h"], w["output_w"]
    KH, KW = w["kernel_h"], w["kernel_w"]
    out = [0] * (OH * OW * C)
    for y in range(OH):
        for x in range(OW):
            for ch in range(C):
                acc = Acc((bias[ch] << bias_shift) + nn_round(out_shift, rounding))
                for ky in range(KH):
                    for kx in range(KW):
                        r = w["stride_h"] * y + ky - w["pad_top"]
                        c = w["stride_w"] * x + kx - w["pad_left"]
                        if 0 <= r < H and 0 <= c < W:
                            acc.add(inp[(r * W + c) * C + ch] * wt[(ky * KW + kx) * C + ch])
                out[(y * OW + x) * C + ch] = ssat(acc.v >> out_shift, bits)
    return out


def fully_connected(inp, wt, bias, bias_shift, out_shift, rounding, bits):
    """arm_fully_connected_q7 / _q15 / _mat_q7_vec_q15: weights row-major [rows, dim_vec]."""
    n = len(inp)
    out = []
    for i in range(len(bias)):
        acc = Acc((bias[i] << bias_shift) + nn_round(out_shift, rounding))
        for j in range(n):
            acc.add(inp[j] * wt[i * n + j])
        out.append(ssat(acc.v >> out_shift, bits))
    return out


def pool_hwc_q7(w, inp, kind):
    """arm_maxpool_q7_HWC / arm_avepool_q7_HWC (_nonsquare) reference loops: per channel, row,
    column; taps outside the image are skipped; the average is sum / count in C."""
    H, W, C = w["input_h"], w["input_w"], w["input_c"]
    OH, OW = w["output_h"], w["output_w"]
    out = [0] * (OH * OW * C)
    for ch in range(C):
        for y in range(OH):
            for x in range(OW):
                best, total, count = -129, 0, 0
                r0 = y * w["stride_h"] - w["pad_top"]
                c0 = x * w["stride_w"] - w["pad_left"]
                for r in range(r0, r0 + w["kernel_h"]):
                    for c in range(c0, c0 + w["kernel_w"]):
                        if 0 <= r < H and 0 <= c < W:
                            v = inp[ch + C * (c + r * W)]
                            best = max(best, v)
                            total += v
                            count += 1
                out[ch + C * (x + y * OW)] = best if kind == "max" else c_div(total, count)
    return out


def softmax_q7(vec):
    """arm_softmax_q7 of CMSIS 5.9 (reference path)."""
    base = -128
    for v in vec:
        base = max(base, v)
    base -= 8
    total = 0
    for v in vec:
        total += 1 << usat(v - base, 3)
    output_base = c_div(1 << 20, total)
    return [ssat(output_base >> usat(13 + base - v, 5), 8) for v in vec]


def softmax_q15(vec):
    """arm_softmax_q15 of CMSIS 5.9."""
    base = -0x100000
    for v in vec:
        base = max(base, v)
    base -= 16
    total = 0
    for v in vec:
        if v > base:
            total += 1 << usat(v - base, 5)
    output_base = c_div(0x100000000, total)
    # (int32_t) of the 64-bit quotient: sum >= 2^16 keeps it at most 2^16.
    out = []
    for v in vec:
        out.append(ssat(output_base >> usat(17 + base - v, 5), 16) if v > base else 0)
    return out


# ---- case drawing -------------------------------------------------------------------------------


def draw_data(rng, n, bits, mode):
    top = (1 << (bits - 1)) - 1
    if mode == "full":
        return [rng.randint(-top - 1, top) for _ in range(n)]
    if mode == "narrow":
        span = max(1, top >> 3)
        return [rng.randint(-span, span) for _ in range(n)]
    # "extreme": half the values at the ends of the range
    return [rng.choice([-top - 1, top]) if rng.random() < 0.5 else rng.randint(-top - 1, top) for _ in range(n)]


def pick_out_shift(rng, magnitude, bits):
    """A right shift that brings the largest accumulator near the output range, +-2, so that
    some outputs saturate and most do not."""
    shift = max(0, magnitude.bit_length() - (bits - 1) + rng.choice([-2, -1, 0, 1, 2]))
    return min(shift, 31)


def draw_window(rng, max_hw, max_c, same_channels):
    while True:
        w = {
            "input_h": rng.randint(1, max_hw),
            "input_w": rng.randint(1, max_hw),
            "input_c": rng.randint(1, max_c),
            "kernel_h": rng.randint(1, 5),
            "kernel_w": rng.randint(1, 5),
            "stride_h": rng.randint(1, 3),
            "stride_w": rng.randint(1, 3),
        }
        w["pad_top"] = rng.randint(0, w["kernel_h"] - 1)
        w["pad_left"] = rng.randint(0, w["kernel_w"] - 1)
        oh = (w["input_h"] + 2 * w["pad_top"] - w["kernel_h"]) // w["stride_h"] + 1
        ow = (w["input_w"] + 2 * w["pad_left"] - w["kernel_w"]) // w["stride_w"] + 1
        if oh < 1 or ow < 1:
            continue
        w["output_h"], w["output_w"] = oh, ow
        w["output_c"] = w["input_c"] if same_channels else rng.randint(1, max_c)
        return w


def shifted_layer(rng, i, compute, bits):
    """Draw the shifts of a layer: bias_shift 0..8, then out_shift from the accumulators' size
    (compute(bias_shift, out_shift, rounding) unsaturated, with shift 0 and no rounding)."""
    bias_shift = rng.randint(0, 8)
    raw = compute(bias_shift, 0, "truncate")
    out_shift = pick_out_shift(rng, max(abs(v) for v in raw), bits)
    rounding = "nearest" if i % 2 == 0 else "truncate"
    return bias_shift, out_shift, rounding


def conv_cases(rng, count, bits):
    cases = []
    while len(cases) < count:
        i = len(cases)
        w = draw_window(rng, 10, 8, False)
        mode = ["full", "narrow", "extreme"][i % 3]
        inp = draw_data(rng, w["input_h"] * w["input_w"] * w["input_c"], bits, mode)
        taps = w["kernel_h"] * w["kernel_w"] * w["input_c"]
        wt = draw_data(rng, w["output_c"] * taps, bits, "full" if bits == 8 else "narrow")
        bias = draw_data(rng, w["output_c"], bits, "full")
        try:
            bs, os_, rnd = shifted_layer(
                rng, i, lambda b, o, r: conv_hwc(w, inp, wt, bias, b, o, r, 32), bits)
            out = conv_hwc(w, inp, wt, bias, bs, os_, rnd, bits)
        except OverflowError:
            continue
        cases.append({"window": w, "bias_shift": bs, "out_shift": os_, "rounding": rnd,
                      "input": inp, "weights": wt, "bias": bias, "output": out})
    return cases


def depthwise_cases(rng, count):
    cases = []
    while len(cases) < count:
        i = len(cases)
        w = draw_window(rng, 10, 12, True)
        mode = ["full", "narrow", "extreme"][i % 3]
        inp = draw_data(rng, w["input_h"] * w["input_w"] * w["input_c"], 8, mode)
        wt = draw_data(rng, w["kernel_h"] * w["kernel_w"] * w["input_c"], 8, "full")
        bias = draw_data(rng, w["input_c"], 8, "full")
        bs, os_, rnd = shifted_layer(
            rng, i, lambda b, o, r: depthwise_hwc(w, inp, wt, bias, b, o, r, 32), 8)
        out = depthwise_hwc(w, inp, wt, bias, bs, os_, rnd, 8)
        cases.append({"window": w, "bias_shift": bs, "out_shift": os_, "rounding": rnd,
                      "input": inp, "weights": wt, "bias": bias, "output": out})
    return cases


def fc_cases(rng, count, in_bits, w_bits, out_bits):
    cases = []
    while len(cases) < count:
        i = len(cases)
        n, rows = rng.randint(1, 64), rng.randint(1, 24)
        mode = ["full", "narrow", "extreme"][i % 3]
        inp = draw_data(rng, n, in_bits, mode)
        wt = draw_data(rng, rows * n, w_bits, "full" if w_bits == 8 else "narrow")
        bias = draw_data(rng, rows, w_bits, "full")
        try:
            bs, os_, rnd = shifted_layer(
                rng, i, lambda b, o, r: fully_connected(inp, wt, bias, b, o, r, 32), out_bits)
            out = fully_connected(inp, wt, bias, bs, os_, rnd, out_bits)
        except OverflowError:
            continue
        cases.append({"bias_shift": bs, "out_shift": os_, "rounding": rnd,
                      "input": inp, "weights": wt, "bias": bias, "output": out})
    return cases


def pool_cases(rng, count, kind):
    cases = []
    while len(cases) < count:
        i = len(cases)
        w = draw_window(rng, 12, 10, True)
        inp = draw_data(rng, w["input_h"] * w["input_w"] * w["input_c"], 8, ["full", "narrow", "extreme"][i % 3])
        cases.append({"window": w, "input": inp, "output": pool_hwc_q7(w, inp, kind)})
    return cases


def relu_cases(rng, count, bits):
    cases = []
    for i in range(count):
        inp = draw_data(rng, rng.randint(1, 64), bits, ["full", "narrow", "extreme"][i % 3])
        cases.append({"input": inp, "output": [max(v, 0) for v in inp]})
    return cases


def softmax_cases(rng, count, bits, fn):
    cases = []
    for i in range(count):
        n = rng.randint(1, 40)
        if i % 4 == 3:
            # values within a few steps of each other: many elements inside the window, ties
            centre = rng.randint(-100, 100) * (1 if bits == 8 else 200)
            inp = [centre + rng.randint(-10, 10) for _ in range(n)]
        else:
            inp = draw_data(rng, n, bits, ["full", "narrow", "extreme"][i % 3])
        cases.append({"input": inp, "output": fn(inp)})
    return cases



# ---- table activations (arm_nn_activations_direct_q7 / _q15) ----------------------------------
#
# CMSIS 5 looks sigmoid and tanh up in four 256-entry tables (arm_nntables.c). Entry i stands for
# the input x = s / 16, s being i read as a signed byte (0..127 are x = 0 .. 7.9375, 128..255 are
# x = -8 .. -0.0625): a Q3.4 grid over [-8, 8). Each entry is f(x) * 2^7 (q7) or f(x) * 2^15
# (q15), rounded half up and saturated to the signed range. The tables are computed from that
# formula here, and their SHA-256 over the little-endian entries is compared with the one of the
# tables read from CMSIS_5 (arm_nntables.c, commit 9528797): every one of the 1024 entries agrees.
CMSIS_TABLE_SHA256 = {
    ("sigmoid", 8): "a61d142dfe84fd31f8c3f3baae7dcbe5533e9abac43667ea6ebd2f11de25807f",
    ("sigmoid", 16): "6a17b3138cf64710f1cfde8b835a086f1c765f634c9c7be888ce9243ce6a98d8",
    ("tanh", 8): "48232af37746772a07f357c9c872354949479821f11e030ccf6d409c36662031",
    ("tanh", 16): "b14b5ffdb9a9ee3e8d212ee37e96461007516a9b409330f04a97566cc2e43514",
}
ACTIVATIONS = {"sigmoid": lambda x: 1.0 / (1.0 + math.exp(-x)), "tanh": math.tanh}


def activation_table(fn, bits):
    one = 1 << (bits - 1)
    table = []
    for i in range(256):
        s = i - 256 if i >= 128 else i
        table.append(ssat(math.floor(ACTIVATIONS[fn](s / 16) * one + 0.5), bits))
    return table


def checked_table(fn, bits):
    table = activation_table(fn, bits)
    digest = hashlib.sha256(struct.pack("<256b" if bits == 8 else "<256h", *table)).hexdigest()
    if digest != CMSIS_TABLE_SHA256[(fn, bits)]:
        raise SystemExit(f"{fn} q{bits - 1} table differs from CMSIS's arm_nntables.c")
    return table


def activations_direct_q7(data, int_width, fn):
    """arm_nn_activations_direct_q7: shift the input right by 3 - int_width (to Q3.4), take the
    low byte of the result as the index."""
    table = checked_table(fn, 8)
    shift = 3 - int_width
    return [table[(x >> shift) & 0xFF] for x in data]


def activations_direct_q15(data, int_width, fn):
    """arm_nn_activations_direct_q15 (CMSIS 5.7 onward): the top bits (x >> (11 - int_width))
    index the table as in q7, the low bits interpolate linearly towards the next entry (the next
    index wrapping in 8 bits); index 127, the largest positive one, is returned as is. The sum
    is shifted right (arithmetic), no rounding."""
    table = checked_table(fn, 16)
    shift = 11 - int_width
    mask = 0x7FF >> int_width
    full = mask + 1
    out = []
    for x in data:
        hi = x >> shift
        value = table[hi & 0xFF]
        if hi == 0x7F:
            out.append(value)
            continue
        frac = x & mask
        value2 = table[((hi & 0xFF) + 1) & 0xFF]
        out.append(((full - frac) * value + value2 * frac) >> shift)
    return out


def activation_cases(rng, bits):
    cases = []
    for fn in ("sigmoid", "tanh"):
        for int_width in range(4):
            if bits == 8:
                inp = list(range(-128, 128))
            else:
                # every 97th value, the edges, and the neighbours of index 127's boundary
                inp = list(range(-32768, 32768, 97)) + [-32768, -1, 0, 1, 32767]
                inp += [(127 << (11 - int_width)) + d for d in (-1, 0, 1)]
                inp += [rng.randint(-32768, 32767) for _ in range(64)]
                inp = [v for v in inp if -32768 <= v <= 32767]
            run = activations_direct_q7 if bits == 8 else activations_direct_q15
            cases.append({"function": fn, "int_width": int_width, "input": inp,
                          "output": run(inp, int_width, fn)})
    return cases


TABLE_FILE = """// @generated by tools/oracle/gen_q7q15.py (activation_table); do not edit.

//! CMSIS-NN's legacy sigmoid and tanh tables: entry `i` is `f(s / 16)` with `s` the entry's
//! index read as an `i8` (a Q3.4 grid over [-8, 8)), times 2^7 (q7) or 2^15 (q15), rounded half
//! up and saturated. The generator checks that these equal CMSIS 5's arm_nntables.c entry for
//! entry.
"""


def write_tables(path):
    def rust(name, ty, doc, values):
        body = []
        line = "   "
        for v in values:
            item = f" {v},"
            if len(line) + len(item) > 99:
                body.append(line)
                line = "   "
            line += item
        body.append(line)
        return f"\n/// {doc}\npub const {name}: [{ty}; 256] = [\n" + "\n".join(body) + "\n];\n"

    text = TABLE_FILE
    for fn in ("sigmoid", "tanh"):
        text += rust(f"{fn.upper()}_Q7", "i8", f"`{fn}` in Q0.7 (`{fn}Table_q7`).",
                     checked_table(fn, 8))
        text += rust(f"{fn.upper()}_Q15", "i16", f"`{fn}` in Q0.15 (`{fn}Table_q15`).",
                     checked_table(fn, 16))
    path.write_text(text)


# ---- a whole q7 network -------------------------------------------------------------------------

NETWORK = """// A small q7 (power-of-two) CNN: CMSIS-NN's legacy arithmetic end to end.
// Written by tools/oracle/gen_q7q15.py with its weights file; outputs in
// tests/vectors/q7q15/q7_cnn.json are the generator's reference loops composed.
network Q7Cnn {
    input x: q7<7>[12, 12, 2];
    weights "q7_cnn.safetensors";

    let c1 = conv2d(x, filters = 6, kernel = 3, padding = same, frac = FRAC_C1);
    let r1 = relu(c1);
    let p1 = max_pool2d(r1, size = 2);
    let d1 = depthwise_conv2d(p1, kernel = 3, padding = same, frac = FRAC_D1);
    let r2 = relu(d1);
    let c2 = conv2d(r2, filters = 8, kernel = 1, frac = FRAC_C2);
    let a1 = avg_pool2d(c2, size = 2, padding = same);
    let f = flatten(a1);
    let logits = dense(f, units = 5, frac = FRAC_FC);
    output probs = softmax(logits);
}
"""


def same_window(h, w, c, oc, k, stride):
    """TFLite SAME: output ceil(in / stride), padding split with the smaller part first."""
    def axis(n):
        out = -(-n // stride)
        total = max((out - 1) * stride + k - n, 0)
        return out, total // 2
    (oh, pt), (ow, pl) = axis(h), axis(w)
    return {"input_h": h, "input_w": w, "input_c": c, "output_h": oh, "output_w": ow, "output_c": oc,
            "kernel_h": k, "kernel_w": k, "stride_h": stride, "stride_w": stride, "pad_top": pt, "pad_left": pl}


def valid_window(h, w, c, k, stride):
    return {"input_h": h, "input_w": w, "input_c": c, "output_h": (h - k) // stride + 1,
            "output_w": (w - k) // stride + 1, "output_c": c, "kernel_h": k, "kernel_w": k,
            "stride_h": stride, "stride_w": stride, "pad_top": 0, "pad_left": 0}


def safetensors_bytes(tensors):
    """A safetensors file (the format's header: little-endian u64 length, JSON, data) with the
    nnd weights metadata; tensors: name -> (dtype, shape, list of ints)."""
    header = {"__metadata__": {"format": "nnd-weights", "version": "1"}}
    data = bytearray()
    for name in sorted(tensors):
        dtype, shape, values = tensors[name]
        size = {"I8": 1, "I16": 2, "I32": 4}[dtype]
        raw = b"".join(v.to_bytes(size, "little", signed=True) for v in values)
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    text = json.dumps(header, separators=(",", ":"), sort_keys=True).encode()
    text += b" " * (-len(text) % 8)
    return len(text).to_bytes(8, "little") + text + bytes(data)


def network(rng, vectors_dir, data_dir):
    in_f = 7
    layers = {}

    def layer(name, wshape, channels, w_f, bias_shift):
        weights = [rng.randint(-128, 127) for _ in range(math.prod(wshape))]
        bias = [rng.randint(-128, 127) for _ in range(channels)]
        layers[name] = {"weight": weights, "bias": bias, "w_f": w_f, "bias_shift": bias_shift, "wshape": wshape}

    layer("c1", [6, 3, 3, 2], 6, 7, 2)
    layer("d1", [1, 3, 3, 6], 6, 6, 1)
    layer("c2", [8, 1, 1, 6], 8, 7, 3)
    layer("logits", [5, 72], 5, 8, 2)
    # Output formats: chosen so that typical inputs use most of the q7 range.
    fracs = {"c1": 5, "d1": 4, "c2": 4, "logits": 3}
    w_c1 = same_window(12, 12, 2, 6, 3, 1)
    w_p1 = valid_window(12, 12, 6, 2, 2)
    w_d1 = same_window(6, 6, 6, 6, 3, 1)
    w_c2 = same_window(6, 6, 6, 8, 1, 1)
    w_a1 = same_window(6, 6, 8, 8, 2, 2)

    def shifts(name, in_frac):
        L = layers[name]
        return L["bias_shift"], in_frac + L["w_f"] - fracs[name]

    def run(x):
        bs, os_ = shifts("c1", in_f)
        t = conv_hwc(w_c1, x, layers["c1"]["weight"], layers["c1"]["bias"], bs, os_, "nearest", 8)
        t = [max(v, 0) for v in t]
        t = pool_hwc_q7(w_p1, t, "max")
        bs, os_ = shifts("d1", fracs["c1"])
        t = depthwise_hwc(w_d1, t, layers["d1"]["weight"], layers["d1"]["bias"], bs, os_, "truncate", 8)
        t = [max(v, 0) for v in t]
        bs, os_ = shifts("c2", fracs["d1"])
        t = conv_hwc(w_c2, t, layers["c2"]["weight"], layers["c2"]["bias"], bs, os_, "nearest", 8)
        t = pool_hwc_q7(w_a1, t, "ave")
        bs, os_ = shifts("logits", fracs["c2"])
        t = fully_connected(t, layers["logits"]["weight"], layers["logits"]["bias"], bs, os_, "nearest", 8)
        return softmax_q7(t)

    tensors = {}
    in_fracs = {"c1": in_f, "d1": fracs["c1"], "c2": fracs["d1"], "logits": fracs["c2"]}
    for name, L in layers.items():
        tensors[f"{name}.weight"] = ("I8", L["wshape"], L["weight"])
        tensors[f"{name}.bias"] = ("I8", [len(L["bias"])], L["bias"])
        tensors[f"{name}.weight_frac"] = ("I32", [1], [L["w_f"]])
        # bias_shift = in + w - b
        tensors[f"{name}.bias_frac"] = ("I32", [1], [in_fracs[name] + L["w_f"] - L["bias_shift"]])
    source = NETWORK
    for key, name in [("FRAC_C1", "c1"), ("FRAC_D1", "d1"), ("FRAC_C2", "c2"), ("FRAC_FC", "logits")]:
        source = source.replace(key, str(fracs[name]))
    (data_dir / "q7_cnn.nnd").write_text(source)
    (data_dir / "q7_cnn.safetensors").write_bytes(safetensors_bytes(tensors))
    cases = []
    for i in range(20):
        x = draw_data(rng, 12 * 12 * 2, 8, ["full", "narrow", "extreme"][i % 3])
        cases.append({"input": x, "output": run(x)})
    lines = ",\n".join(json.dumps(c, separators=(",", ":")) for c in cases)
    (vectors_dir / "q7_cnn.json").write_text(f'{{"network":"q7_cnn","cases":[\n{lines}\n]}}\n')
    return len(cases)



# ---- a whole q15 network ------------------------------------------------------------------------

NETWORK_Q15 = """// A small q15 (power-of-two) CNN: CMSIS-NN's legacy `_q15` arithmetic end to end.
// Written by tools/oracle/gen_q7q15.py with its weights file; outputs in
// tests/vectors/q7q15/q15_net.json are the generator's reference loops composed.
network Q15Net {
    input x: q15<12>[8, 8, 2];
    weights "q15_net.safetensors";

    let c1 = conv2d(x, filters = 4, kernel = 3, padding = same, frac = FRAC_C1);
    let r1 = relu(c1);
    let c2 = conv2d(r1, filters = 6, kernel = 3, stride = 2, padding = same, frac = FRAC_C2);
    let r2 = relu(c2);
    let f = flatten(r2);
    // q15 weights in the weights file: fully_connected_q15.
    let h = dense(f, units = 8, frac = FRAC_H);
    let r3 = relu(h);
    // q7 weights in the weights file: fully_connected_mat_q7_vec_q15.
    let logits = dense(r3, units = 5, frac = FRAC_FC);
    // q15<15>: 32768 stands for 100%.
    output probs = softmax(logits);
}
"""


class Calibrated(Exception):
    """Carries a layer's raw accumulators out of the composed network (calibration)."""

    def __init__(self, acc):
        super().__init__()
        self.acc = acc


def network_q15(rng, vectors_dir, data_dir):
    """q15_net: every activation q15 (i16, scale 2^-frac); c1, c2, h with q15 weights and bias,
    logits with q7 weights and bias. Weight magnitudes keep every accumulator inside 32 bits for
    any input (the Acc class checks it anyway). The output formats are calibrated on inputs
    drawn apart from the cases: each layer's largest accumulator, shifted, lands near the top
    of the q15 range (the logits near 2^5, where the base-2 softmax is not one-hot)."""
    in_f = 12
    spec = [
        # name, weight shape, channels, weight bound, word bits, weight frac, bias shift
        ("c1", [4, 3, 3, 2], 4, 1 << 10, 16, 13, 3),
        ("c2", [6, 3, 3, 4], 6, 1 << 10, 16, 12, 2),
        ("h", [8, 96], 8, 1 << 9, 16, 12, 4),
        ("logits", [5, 8], 5, 127, 8, 7, 2),
    ]
    layers = {}
    for name, wshape, channels, bound, bits, w_f, bias_shift in spec:
        top = (1 << (bits - 1)) - 1
        layers[name] = {
            "weight": [rng.randint(-bound, bound) for _ in range(math.prod(wshape))],
            "bias": [rng.randint(-top - 1, top) for _ in range(channels)],
            "bits": bits, "w_f": w_f, "bias_shift": bias_shift, "wshape": wshape,
        }
    w_c1 = same_window(8, 8, 2, 4, 3, 1)
    w_c2 = same_window(8, 8, 4, 6, 3, 2)
    relu = lambda t: [max(v, 0) for v in t]

    def run(x, fracs, upto=None):
        """The network on x with output formats `fracs`; `upto` returns that layer's
        accumulators (shift 0, no rounding, unsaturated) instead, for the calibration."""
        def layer(name, in_frac, compute):
            L = layers[name]
            if name == upto:
                raise Calibrated(compute(L["bias_shift"], 0, "truncate", 64))
            return compute(L["bias_shift"], in_frac + L["w_f"] - fracs[name], "nearest", 16)
        L = layers
        t = layer("c1", in_f, lambda bs, os_, r, b: conv_hwc(w_c1, x, L["c1"]["weight"], L["c1"]["bias"], bs, os_, r, b))
        t = relu(t)
        t = layer("c2", fracs["c1"], lambda bs, os_, r, b: conv_hwc(w_c2, t, L["c2"]["weight"], L["c2"]["bias"], bs, os_, r, b))
        t = relu(t)
        t = layer("h", fracs["c2"], lambda bs, os_, r, b: fully_connected(t, L["h"]["weight"], L["h"]["bias"], bs, os_, r, b))
        t = relu(t)
        t = layer("logits", fracs["h"], lambda bs, os_, r, b: fully_connected(t, L["logits"]["weight"], L["logits"]["bias"], bs, os_, r, b))
        return softmax_q15(t)

    # Calibration: formats chosen one layer at a time, on inputs that are not cases.
    calibration = [draw_data(rng, 8 * 8 * 2, 16, ["full", "narrow"][i % 2]) for i in range(6)]
    fracs = {}
    in_fracs = {}
    prev = in_f
    for name, target in [("c1", 15), ("c2", 15), ("h", 15), ("logits", 5)]:
        peak = 0
        for x in calibration:
            try:
                run(x, fracs, upto=name)
            except Calibrated as c:
                peak = max(peak, max(abs(v) for v in c.acc))
        out_shift = max(0, peak.bit_length() - target)
        fracs[name] = prev + layers[name]["w_f"] - out_shift
        in_fracs[name] = prev
        prev = fracs[name]
    tensors = {}
    for name, L in layers.items():
        word = "I16" if L["bits"] == 16 else "I8"
        tensors[f"{name}.weight"] = (word, L["wshape"], L["weight"])
        tensors[f"{name}.bias"] = (word, [len(L["bias"])], L["bias"])
        tensors[f"{name}.weight_frac"] = ("I32", [1], [L["w_f"]])
        # bias_shift = in + w - b
        tensors[f"{name}.bias_frac"] = ("I32", [1], [in_fracs[name] + L["w_f"] - L["bias_shift"]])
    source = NETWORK_Q15
    for key, name in [("FRAC_C1", "c1"), ("FRAC_C2", "c2"), ("FRAC_H", "h"), ("FRAC_FC", "logits")]:
        source = source.replace(key, str(fracs[name]))
    (data_dir / "q15_net.nnd").write_text(source)
    (data_dir / "q15_net.safetensors").write_bytes(safetensors_bytes(tensors))
    cases = []
    for i in range(20):
        x = draw_data(rng, 8 * 8 * 2, 16, ["full", "narrow", "extreme"][i % 3])
        cases.append({"input": x, "output": run(x, fracs)})
    lines = ",\n".join(json.dumps(c, separators=(",", ":")) for c in cases)
    (vectors_dir / "q15_net.json").write_text(f'{{"network":"q15_net","cases":[\n{lines}\n]}}\n')
    return len(cases)


OPS = {
    "convolve_hwc_q7": lambda rng: conv_cases(rng, 30, 8),
    "convolve_hwc_q15": lambda rng: conv_cases(rng, 20, 16),
    "depthwise_conv_hwc_q7": lambda rng: depthwise_cases(rng, 25),
    "fully_connected_q7": lambda rng: fc_cases(rng, 20, 8, 8, 8),
    "fully_connected_q15": lambda rng: fc_cases(rng, 20, 16, 16, 16),
    "fully_connected_mat_q7_vec_q15": lambda rng: fc_cases(rng, 20, 16, 8, 16),
    "maxpool_hwc_q7": lambda rng: pool_cases(rng, 20, "max"),
    "avepool_hwc_q7": lambda rng: pool_cases(rng, 20, "ave"),
    "relu_q7": lambda rng: relu_cases(rng, 10, 8),
    "relu_q15": lambda rng: relu_cases(rng, 10, 16),
    "softmax_q7": lambda rng: softmax_cases(rng, 24, 8, softmax_q7),
    "softmax_q15": lambda rng: softmax_cases(rng, 24, 16, softmax_q15),
    "activations_direct_q7": lambda rng: activation_cases(rng, 8),
    "activations_direct_q15": lambda rng: activation_cases(rng, 16),
}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", type=Path, default=Path("tests/vectors/q7q15"))
    ap.add_argument("--tables", type=Path, default=Path("nn-kernels/src/q7q15_tables.rs"),
                    help="where the sigmoid and tanh tables' Rust file goes")
    ap.add_argument("--network-data", type=Path, default=Path("nn-macros/tests/ui/data"),
                    help="where the q7 and q15 networks' .nnd and weights files go")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    write_tables(args.tables)
    counts = {}
    for op, make in OPS.items():
        rng = random.Random(f"{args.seed}:{op}")
        cases = make(rng)
        for k, c in enumerate(cases):
            c["name"] = f"{op}_{k:03d}"
        counts[op] = len(cases)
        lines = ",\n".join(json.dumps(c, separators=(",", ":"), sort_keys=True) for c in cases)
        (args.out / f"{op}.json").write_text(f'{{"op":"{op}","cases":[\n{lines}\n]}}\n')
    counts["q7_cnn"] = network(random.Random(f"{args.seed}:q7_cnn"), args.out, args.network_data)
    counts["q15_net"] = network_q15(random.Random(f"{args.seed}:q15_net"), args.out, args.network_data)
    manifest = {"generator": "tools/oracle/gen_q7q15.py", "seed": args.seed, "cases": counts}
    (args.out / "manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    print(f"{sum(counts.values())} cases in {len(counts)} files under {args.out}")


if __name__ == "__main__":
    main()
