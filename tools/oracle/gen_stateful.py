"""Stateful oracle vectors: networks with SVDF layers run over sequences by TFLM.

    tools/oracle/.venv/bin/python tools/oracle/gen_stateful.py --seed 1 --out tests/vectors/stateful

TensorFlow's converter emits no SVDF from Keras, so the flatbuffers are written here with the TFLM
package's schema bindings: float weights drawn at random, a float forward pass over random
sequences measures every activation range, and the int8 / int16 quantisation follows from those
ranges as the converter would choose it (symmetric int8 weights, int32 bias at input scale x weight
scale, activations from their min/max). The state tensor of each SVDF is a variable tensor, which
TFLM keeps between invocations and resets with `reset()`.

Each case is one sequence: the interpreter is reset, then invoked once per step; every step's
inputs and outputs are recorded (docs/vectors.md, "Stateful networks"). Written per network:
<name>.tflite, <name>.json and manifest.json for the set.
"""

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402

import oracle_lib as ol  # noqa: E402

fb = ol.fb
CASES_PER_MODEL = 6
STEPS_PER_CASE = 12
CALIBRATION_SEQUENCES = 16
INPUT_MODES = ("uniform", "narrow", "extreme")


# --- float reference of the networks (used only to choose quantisation ranges) ---


def svdf_float(layer, frames):
    """Float SVDF over a sequence `frames` [T, n_input]: the per-step feature activations (what the
    state stores) and outputs before activation."""
    wf, wt, bias, rank = layer["wf"], layer["wt"], layer["bias"], layer["rank"]
    filters, memory = wt.shape
    state = np.zeros((filters, memory))
    features, outputs = [], []
    for x in frames:
        state = np.roll(state, -1, axis=1)
        state[:, -1] = wf @ x
        features.append(state[:, -1].copy())
        per_filter = (state * wt).sum(axis=1)
        y = per_filter.reshape(-1, rank).sum(axis=1)
        if bias is not None:
            y = y + bias
        outputs.append(y)
    return np.array(features), np.array(outputs)


def relu_if(y, activation):
    return np.maximum(y, 0) if activation == "relu" else y


# --- flatbuffer assembly ---


class Graph:
    """Collects tensors, buffers and operators of one subgraph."""

    def __init__(self):
        self.tensors, self.buffers, self.operators, self.codes = [], [fb.BufferT()], [], []

    def tensor(self, name, shape, ttype, scale=None, zero_point=None, data=None, variable=False):
        t = fb.TensorT()
        t.name = name
        t.shape = np.array(shape, dtype=np.int32)
        t.type = ttype
        t.isVariable = variable
        if scale is not None:
            q = fb.QuantizationParametersT()
            q.scale = np.array([scale], dtype=np.float32)
            q.zeroPoint = np.array([zero_point], dtype=np.int64)
            t.quantization = q
        if data is None:
            t.buffer = 0
        else:
            b = fb.BufferT()
            b.data = np.frombuffer(np.ascontiguousarray(data).tobytes(), dtype=np.uint8)
            self.buffers.append(b)
            t.buffer = len(self.buffers) - 1
        self.tensors.append(t)
        return len(self.tensors) - 1

    def op(self, code, inputs, outputs, options_type, options):
        if code not in self.codes:
            self.codes.append(code)
        o = fb.OperatorT()
        o.opcodeIndex = self.codes.index(code)
        o.inputs = np.array(inputs, dtype=np.int32)
        o.outputs = np.array(outputs, dtype=np.int32)
        o.builtinOptionsType = options_type
        o.builtinOptions = options
        self.operators.append(o)

    def model(self, inputs, outputs):
        sg = fb.SubGraphT()
        sg.tensors, sg.operators = self.tensors, self.operators
        sg.inputs = np.array(inputs, dtype=np.int32)
        sg.outputs = np.array(outputs, dtype=np.int32)
        sg.name = "main"
        m = fb.ModelT()
        m.version = 3
        m.description = "nnd gen_stateful.py"
        m.subgraphs = [sg]
        m.buffers = self.buffers
        m.operatorCodes = []
        for code in self.codes:
            c = fb.OperatorCodeT()
            c.builtinCode = code
            c.deprecatedBuiltinCode = min(code, 127)
            c.version = 1
            m.operatorCodes.append(c)
        return ol.serialize_model(m)


def symmetric(w, bits=8):
    """Symmetric per-tensor quantisation of a float array: (integers, scale)."""
    qmax = (1 << (bits - 1)) - 1
    scale = float(np.float32(max(np.abs(w).max(), 1e-6) / qmax))
    q = np.clip(np.round(w / scale), -qmax, qmax)
    return q.astype(np.int8 if bits == 8 else np.int16), scale


def asymmetric(lo, hi):
    """int8 (scale, zero point) covering [min(lo, 0), max(hi, 0)] as TFLite chooses them."""
    lo, hi = min(float(lo), 0.0), max(float(hi), 0.0)
    scale = float(np.float32(max(hi - lo, 1e-6) / 255.0))
    zero_point = int(np.clip(round(-128 - lo / scale), -128, 127))
    return scale, zero_point


def svdf_layer(graph, name, x, x_q, layer, out_q, state_bits):
    """Adds one int8 SVDF (int16 or int8 time weights and state) reading tensor `x`."""
    filters, memory = layer["wt"].shape
    units = filters // layer["rank"]
    wf_q, wf_scale = symmetric(layer["wf"])
    wt_q, wt_scale = symmetric(layer["wt"], state_bits)
    state_scale, state_zp = layer["state_q"]
    wf = graph.tensor(f"{name}/weights_feature", [filters, wf_q.shape[1]], fb.TensorType.INT8, wf_scale, 0, wf_q)
    ttype = fb.TensorType.INT16 if state_bits == 16 else fb.TensorType.INT8
    wt = graph.tensor(f"{name}/weights_time", [filters, memory], ttype, wt_scale, 0, wt_q)
    inputs = [x, wf, wt]
    if layer["bias"] is not None:
        bias_scale = float(np.float32(state_scale * wt_scale))
        b = np.round(layer["bias"] / bias_scale).astype(np.int32)
        inputs.append(graph.tensor(f"{name}/bias", [units], fb.TensorType.INT32, bias_scale, 0, b))
    else:
        inputs.append(-1)
    inputs.append(graph.tensor(f"{name}/state", [1, memory * filters], ttype, state_scale, state_zp, variable=True))
    y = graph.tensor(name, [1, units], fb.TensorType.INT8, *out_q)
    options = fb.SVDFOptionsT()
    options.rank = layer["rank"]
    options.fusedActivationFunction = {"relu": fb.ActivationFunctionType.RELU}.get(
        layer["activation"], fb.ActivationFunctionType.NONE
    )
    graph.op(fb.BuiltinOperator.SVDF, inputs, [y], fb.BuiltinOptions.SVDFOptions, options)
    return y


def random_svdf(rng, n_input, units, rank, memory, bias, activation):
    filters = units * rank
    return {
        "wf": rng.standard_normal((filters, n_input)) / np.sqrt(n_input),
        "wt": rng.standard_normal((filters, memory)) / np.sqrt(memory),
        "bias": 0.1 * rng.standard_normal(units) if bias else None,
        "rank": rank,
        "activation": activation,
    }


def calibrate_svdf(layer, sequences, state_bits, activate=True):
    """Runs the float layer over the calibration sequences; sets its state quantisation and returns
    the output range and the per-sequence outputs (after the activation unless `activate` is
    false)."""
    feats, outs = zip(*(svdf_float(layer, s) for s in sequences), strict=True)
    feats = np.concatenate(feats)
    if state_bits == 16:
        layer["state_q"] = (float(np.float32(np.abs(feats).max() / 32767)), 0)
    else:
        layer["state_q"] = asymmetric(feats.min(), feats.max())
    outs = [relu_if(o, layer["activation"] if activate else "none") for o in outs]
    cat = np.concatenate(outs)
    return (cat.min(), cat.max()), outs


def svdf_kws(rng):
    """A keyword-spotting style stack: two SVDF layers (int16 state; int8 state), a dense layer and
    softmax, fed one 40-value feature frame per step."""
    n_input = 40
    in_q = (float(np.float32(1 / 32)), 5)
    l1 = random_svdf(rng, n_input, units=24, rank=2, memory=8, bias=True, activation="relu")
    l2 = random_svdf(rng, 24, units=16, rank=1, memory=4, bias=True, activation="none")
    fc_w = rng.standard_normal((4, 16)) / 4
    fc_b = 0.1 * rng.standard_normal(4)
    seqs = [rng.standard_normal((STEPS_PER_CASE, n_input)) for _ in range(CALIBRATION_SEQUENCES)]
    r1, o1 = calibrate_svdf(l1, seqs, 16)
    q1 = asymmetric(*r1)
    r2, o2 = calibrate_svdf(l2, o1, 8)
    q2 = asymmetric(*r2)
    logits = np.concatenate([o @ fc_w.T + fc_b for o in o2])
    q3 = asymmetric(logits.min(), logits.max())

    g = Graph()
    x = g.tensor("x0", [1, n_input], fb.TensorType.INT8, *in_q)
    y1 = svdf_layer(g, "svdf1", x, in_q, l1, q1, 16)
    y2 = svdf_layer(g, "svdf2", y1, q1, l2, q2, 8)
    w_q, w_scale = symmetric(fc_w)
    w = g.tensor("dense/weights", [4, 16], fb.TensorType.INT8, w_scale, 0, w_q)
    b_scale = float(np.float32(q2[0] * w_scale))
    b = g.tensor("dense/bias", [4], fb.TensorType.INT32, b_scale, 0, np.round(fc_b / b_scale).astype(np.int32))
    logit = g.tensor("dense", [1, 4], fb.TensorType.INT8, *q3)
    fco = fb.FullyConnectedOptionsT()
    g.op(fb.BuiltinOperator.FULLY_CONNECTED, [y2, w, b], [logit], fb.BuiltinOptions.FullyConnectedOptions, fco)
    probs = g.tensor("probs", [1, 4], fb.TensorType.INT8, 1 / 256, -128)
    so = fb.SoftmaxOptionsT()
    so.beta = 1.0
    g.op(fb.BuiltinOperator.SOFTMAX, [logit], [probs], fb.BuiltinOptions.SoftmaxOptions, so)
    return g.model([x], [probs])


def svdf_single(rng, units, rank, memory, bias, activation, state_bits, n_input):
    """One SVDF layer on its own (the op's corner cases: rank, bias, state width, zero points)."""
    in_q = (float(np.float32(1 / 16)), -7)
    layer = random_svdf(rng, n_input, units, rank, memory, bias, activation)
    seqs = [rng.standard_normal((STEPS_PER_CASE, n_input)) for _ in range(CALIBRATION_SEQUENCES)]
    # The output range is that of the values before the activation, widened by half, so that the
    # vectors show whether a fused RELU is applied and few outputs saturate.
    (lo, hi), _ = calibrate_svdf(layer, seqs, state_bits, activate=False)
    g = Graph()
    x = g.tensor("x0", [1, n_input], fb.TensorType.INT8, *in_q)
    y = svdf_layer(g, "svdf", x, in_q, layer, asymmetric(1.5 * lo, 1.5 * hi), state_bits)
    return g.model([x], [y])


NETWORKS = {
    "svdf_kws": svdf_kws,
    # rank 3, int16 state, RELU requested (TFLM's integer SVDF applies no fused activation). Every
    # layer has a bias: TFLM's SVDF prepare reads the bias tensor's scale unconditionally and crashes
    # without one.
    "svdf_rank3": lambda rng: svdf_single(rng, 5, 3, 6, True, "relu", 16, 12),
    # int8 time weights and int8 state with a non-zero state zero point, memory 1
    "svdf_int8_state": lambda rng: svdf_single(rng, 7, 1, 1, True, "none", 8, 9),
}


def make_cases(model_bytes, rng):
    model = ol.parse_model(model_bytes)
    oracle = ol.Oracle(model_bytes)
    cases = []
    for k in range(CASES_PER_MODEL):
        mode = INPUT_MODES[k % len(INPUT_MODES)]
        oracle.interpreter.reset()
        steps = []
        for _ in range(STEPS_PER_CASE):
            feeds = ol.random_feeds(model, rng, mode)
            steps.append(ol.io_json(model, feeds, oracle.run(feeds)))
        cases.append({"steps": steps})
    return cases, oracle.arena_bytes_used(), ol.op_names(model)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=1, help="seed of every random choice (default 1)")
    parser.add_argument("--out", type=Path, default=Path("tests/vectors/stateful"), help="output directory")
    parser.add_argument("--models", nargs="*", choices=sorted(NETWORKS), help="only these networks (default all)")
    args = parser.parse_args()

    args.out.mkdir(parents=True, exist_ok=True)
    manifest_path = args.out / "manifest.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    entries = dict(manifest.get("models", {}))
    streams = list(NETWORKS)
    for name in args.models or streams:
        start = time.monotonic()
        rng = np.random.default_rng([args.seed, streams.index(name)])
        model_bytes = NETWORKS[name](rng)
        cases, arena, ops = make_cases(model_bytes, rng)
        ol.write_network_vectors(args.out, name, model_bytes, cases, arena, ops)
        entries[name] = {
            "cases": len(cases),
            "steps": STEPS_PER_CASE,
            "operators": len(ops),
            "tflite_bytes": len(model_bytes),
        }
        print(f"{name}: {len(ops)} ops {sorted(set(ops))}, {len(model_bytes)} B, arena {arena} B, "
              f"{time.monotonic() - start:.1f} s", flush=True)  # fmt: skip
    manifest = {
        "generator": "tools/oracle/gen_stateful.py",
        "seed": args.seed,
        **ol.versions(),
        "models": dict(sorted(entries.items())),
    }
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n")


if __name__ == "__main__":
    main()
