"""Stateful oracle vectors: networks with SVDF or LSTM layers run over sequences by TFLM.

    tools/oracle/.venv/bin/python tools/oracle/gen_stateful.py --seed 1 --out tests/vectors/stateful

TensorFlow's converter emits no SVDF from Keras, and the pinned converter (TensorFlow 2.21)
crashes (SIGSEGV in the calibrator's _feed_tensors) when it quantises a Keras LSTM, so the
flatbuffers are written here with the TFLM package's schema bindings. LSTM weights are those of a
Keras `LSTM` layer (its initialisers; a check below runs the Keras layer and the float reference
used here side by side, so the gate order and formulas are Keras's). Otherwise float weights drawn at random, a float forward pass over random
sequences measures every activation range, and the int8 / int16 quantisation follows from those
ranges as the converter would choose it (symmetric int8 weights, int32 bias at input scale x weight
scale, activations from their min/max; an LSTM's int16 cell state gets the power-of-two scale
TFLM's integer LSTM requires). The state tensors (an SVDF's memory, an LSTM's hidden and cell
state) are variable tensors, which TFLM keeps between invocations and resets with `reset()`.

Each case is one sequence: the interpreter is reset, then invoked once per step (an LSTM network
takes a window of several time steps per invocation); every step's inputs and outputs are recorded (docs/vectors.md, "Stateful networks"). Written per network:
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


def dense_softmax(graph, x, x_q, fc_w, fc_b, logit_q):
    """Adds a classifier head reading tensor `x` (quantised `x_q`): FULLY_CONNECTED with weights
    `fc_w` [classes, n] and bias `fc_b`, then SOFTMAX into int8 probabilities (scale 1/256, zero
    point -128); returns the probabilities' tensor."""
    classes, n = fc_w.shape
    w_q, w_scale = symmetric(fc_w)
    w = graph.tensor("dense/weights", [classes, n], fb.TensorType.INT8, w_scale, 0, w_q)
    b_scale = float(np.float32(x_q[0] * w_scale))
    bias = np.round(fc_b / b_scale).astype(np.int32)
    b = graph.tensor("dense/bias", [classes], fb.TensorType.INT32, b_scale, 0, bias)
    logit = graph.tensor("dense", [1, classes], fb.TensorType.INT8, *logit_q)
    fco = fb.FullyConnectedOptionsT()
    graph.op(fb.BuiltinOperator.FULLY_CONNECTED, [x, w, b], [logit], fb.BuiltinOptions.FullyConnectedOptions, fco)
    probs = graph.tensor("probs", [1, classes], fb.TensorType.INT8, 1 / 256, -128)
    so = fb.SoftmaxOptionsT()
    so.beta = 1.0
    graph.op(fb.BuiltinOperator.SOFTMAX, [logit], [probs], fb.BuiltinOptions.SoftmaxOptions, so)
    return probs


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
    probs = dense_softmax(g, y2, q2, fc_w, fc_b, q3)
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


# --- LSTM ---

GATES = ("input", "forget", "cell", "output")


def sigmoid(v):
    return 1.0 / (1.0 + np.exp(-v))


def keras_lstm(rng, n_input, units):
    """The weights of a Keras LSTM layer (glorot / orthogonal initialisers, unit forget bias),
    with a random bias added so that no gate sits at its initial value: {"w": [4, units, n_input],
    "r": [4, units, units], "b": [4, units]} in Keras's gate order (input, forget, cell, output)."""
    import tensorflow as tf

    tf.keras.utils.set_random_seed(int(rng.integers(1 << 30)))
    layer = tf.keras.layers.LSTM(units, return_sequences=True)
    layer.build((1, None, n_input))
    kernel, recurrent, bias = layer.get_weights()
    bias = bias + 0.3 * rng.standard_normal(bias.shape)
    layer.set_weights([kernel, recurrent, bias])
    weights = {
        "w": kernel.T.reshape(4, units, n_input).astype(np.float64),
        "r": recurrent.T.reshape(4, units, units).astype(np.float64),
        "b": bias.reshape(4, units).astype(np.float64),
    }
    # The float reference below is Keras's LSTM: same outputs on a random sequence.
    probe = rng.standard_normal((1, 5, n_input)).astype(np.float32)
    ours, _ = lstm_float(weights, probe[0], np.zeros(units), np.zeros(units))
    theirs = np.asarray(layer(probe))[0]
    if not np.allclose(ours, theirs, atol=1e-5):
        raise ol.OracleError(f"float LSTM reference differs from Keras by {np.abs(ours - theirs).max()}")
    return weights


def lstm_float(layer, frames, h, c, clip=0.0):
    """Float LSTM over `frames` [T, n_input] from state (h, c): the outputs [T, units], and the
    final (h, c) plus the largest |c| seen, as a tuple."""
    w, r, b = layer["w"], layer["r"], layer["b"]
    outs, c_max = [], 0.0
    for x in frames:
        pre = np.einsum("gun,n->gu", w, x) + np.einsum("guv,v->gu", r, h) + b
        i, f, g, o = sigmoid(pre[0]), sigmoid(pre[1]), np.tanh(pre[2]), sigmoid(pre[3])
        c = f * c + i * g
        if clip > 0:
            c = np.clip(c, -clip, clip)
        c_max = max(c_max, float(np.abs(c).max()))
        h = o * np.tanh(c)
        outs.append(h)
    return np.array(outs), (h, c, c_max)


def calibrate_lstm(layer, windows_per_sequence, clip=0.0):
    """Runs the float layer over calibration sequences (each a list of windows, the state carried
    across windows as TFLM carries it across invocations); returns the per-sequence list of output
    windows and sets the layer's hidden (= output) and cell state quantisation."""
    units = layer["b"].shape[1]
    outputs, c_max, lo, hi = [], 0.0, 0.0, 0.0
    for windows in windows_per_sequence:
        h, c, seq = np.zeros(units), np.zeros(units), []
        for frames in windows:
            y, (h, c, m) = lstm_float(layer, frames, h, c, clip)
            c_max, lo, hi = max(c_max, m), min(lo, y.min()), max(hi, y.max())
            seq.append(y)
        outputs.append(seq)
    layer["hidden_q"] = asymmetric(lo, hi)
    # TFLM's integer LSTM needs a power-of-two cell scale: the smallest covering the range.
    layer["cell_pow"] = int(np.ceil(np.log2(max(c_max, 1e-3)))) - 15
    return outputs


def lstm_layer(graph, name, x, x_q, layer, time_steps, clip=0.0):
    """Adds one int8 UNIDIRECTIONAL_SEQUENCE_LSTM (batch-major [1, T, n_input] -> [1, T, units],
    int16 cell state, hidden state = output quantisation) reading tensor `x`."""
    units, n_input = layer["w"].shape[1], layer["w"].shape[2]
    inputs = [x]
    w_scales = []
    for k, gate in enumerate(GATES):
        q, scale = symmetric(layer["w"][k])
        w_scales.append(scale)
        inputs.append(graph.tensor(f"{name}/input_to_{gate}", [units, n_input], fb.TensorType.INT8, scale, 0, q))
    for k, gate in enumerate(GATES):
        q, scale = symmetric(layer["r"][k])
        inputs.append(graph.tensor(f"{name}/recurrent_to_{gate}", [units, units], fb.TensorType.INT8, scale, 0, q))
    inputs += [-1, -1, -1]  # no peepholes
    for k, gate in enumerate(GATES):
        scale = float(np.float32(x_q[0] * w_scales[k]))
        q = np.round(layer["b"][k] / scale).astype(np.int32)
        inputs.append(graph.tensor(f"{name}/{gate}_bias", [units], fb.TensorType.INT32, scale, 0, q))
    inputs += [-1, -1]  # no projection
    h_q = layer["hidden_q"]
    inputs.append(graph.tensor(f"{name}/hidden_state", [1, units], fb.TensorType.INT8, *h_q, variable=True))
    cell_scale = float(2.0 ** layer["cell_pow"])
    inputs.append(graph.tensor(f"{name}/cell_state", [1, units], fb.TensorType.INT16, cell_scale, 0, variable=True))
    inputs += [-1, -1, -1, -1]  # no layer normalisation
    y = graph.tensor(name, [1, time_steps, units], fb.TensorType.INT8, *h_q)
    options = fb.UnidirectionalSequenceLSTMOptionsT()
    options.fusedActivationFunction = fb.ActivationFunctionType.TANH
    options.cellClip = float(clip)
    options.projClip = 0.0
    options.timeMajor = False
    graph.op(
        fb.BuiltinOperator.UNIDIRECTIONAL_SEQUENCE_LSTM,
        inputs,
        [y],
        fb.BuiltinOptions.UnidirectionalSequenceLSTMOptions,
        options,
    )
    return y


def random_windows(rng, time_steps, n_input):
    return [
        [rng.standard_normal((time_steps, n_input)) for _ in range(STEPS_PER_CASE)]
        for _ in range(CALIBRATION_SEQUENCES)
    ]


def lstm_classifier(rng):
    """A gesture-style classifier on a stream of 6-axis sensor windows: two stacked LSTM layers
    (20 then 12 units), the last step taken by a strided slice (as Keras's return_sequences=False
    converts), a dense layer and softmax; each invocation takes a window of 8 time steps and the
    states carry over to the next."""
    t, n_input = 8, 6
    in_q = (float(np.float32(1 / 40)), 3)
    l1 = keras_lstm(rng, n_input, 20)
    l2 = keras_lstm(rng, 20, 12)
    fc_w = rng.standard_normal((5, 12)) / np.sqrt(12) * 2
    fc_b = 0.1 * rng.standard_normal(5)
    windows = random_windows(rng, t, n_input)
    o1 = calibrate_lstm(l1, windows)
    o2 = calibrate_lstm(l2, o1)
    logits = np.concatenate([w[-1] @ fc_w.T + fc_b for seq in o2 for w in seq])
    q3 = asymmetric(logits.min(), logits.max())

    g = Graph()
    x = g.tensor("x0", [1, t, n_input], fb.TensorType.INT8, *in_q)
    y1 = lstm_layer(g, "lstm1", x, in_q, l1, t)
    y2 = lstm_layer(g, "lstm2", y1, l1["hidden_q"], l2, t)
    begin = g.tensor("last/begin", [3], fb.TensorType.INT32, data=np.array([0, t - 1, 0], np.int32))
    end = g.tensor("last/end", [3], fb.TensorType.INT32, data=np.array([1, t, 12], np.int32))
    strides = g.tensor("last/strides", [3], fb.TensorType.INT32, data=np.array([1, 1, 1], np.int32))
    last = g.tensor("last", [1, 12], fb.TensorType.INT8, *l2["hidden_q"])
    so = fb.StridedSliceOptionsT()
    so.shrinkAxisMask = 2
    g.op(fb.BuiltinOperator.STRIDED_SLICE, [y2, begin, end, strides], [last], fb.BuiltinOptions.StridedSliceOptions, so)
    probs = dense_softmax(g, last, l2["hidden_q"], fc_w, fc_b, q3)
    return g.model([x], [probs])


def lstm_single(rng, units, n_input, t, clip_fraction):
    """One LSTM layer on its own, its whole output sequence recorded; with clip_fraction > 0 the
    cell clip is that fraction of the largest cell value seen in calibration, so it bites."""
    in_q = (float(np.float32(1 / 24)), -9)
    layer = keras_lstm(rng, n_input, units)
    windows = random_windows(rng, t, n_input)
    clip = 0.0
    if clip_fraction > 0:
        calibrate_lstm(layer, windows)
        clip = float(np.float32(clip_fraction * 2.0 ** (layer["cell_pow"] + 15)))
    calibrate_lstm(layer, windows, clip)
    g = Graph()
    x = g.tensor("x0", [1, t, n_input], fb.TensorType.INT8, *in_q)
    y = lstm_layer(g, "lstm", x, in_q, layer, t, clip)
    return g.model([x], [y])


NETWORKS = {
    "svdf_kws": svdf_kws,
    # rank 3, int16 state, RELU requested (TFLM's integer SVDF applies no fused activation). Every
    # layer has a bias: TFLM's SVDF prepare reads the bias tensor's scale unconditionally and crashes
    # without one.
    "svdf_rank3": lambda rng: svdf_single(rng, 5, 3, 6, True, "relu", 16, 12),
    # int8 time weights and int8 state with a non-zero state zero point, memory 1
    "svdf_int8_state": lambda rng: svdf_single(rng, 7, 1, 1, True, "none", 8, 9),
    "lstm_classifier": lstm_classifier,
    # 5 units over windows of 3 steps, the cell clipped at 0.4 of its calibrated range
    "lstm_clip": lambda rng: lstm_single(rng, 5, 7, 3, 0.4),
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
