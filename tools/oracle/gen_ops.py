"""Single-op oracle vectors: random int8 TFLite models run through TFLM.

    tools/oracle/.venv/bin/python tools/oracle/gen_ops.py --seed 1 --out tests/vectors

For each op a builder draws a random single-layer Keras model (shapes, kernel, stride, dilation,
padding, activation, weights), the converter quantises it to int8 with a representative dataset,
and the flatbuffer is checked to hold exactly the one operator with the options asked for (a model
that fails the check is redrawn). Every model is run on a few random int8 inputs by the TFLM
interpreter; each (model, input) pair is one case. The layout is docs/vectors.md.

Where the converter never emits a lone operator (QUANTIZE float->int8, DEQUANTIZE, QUANTIZE
int8->int8) the op is cut out of a converted float-I/O model, and for int8->int8 QUANTIZE and
softmax beta != 1 a stored field is rewritten; see tools/oracle/README.md.
"""

import argparse
import json
import math
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import keras  # noqa: E402
import numpy as np  # noqa: E402

import oracle_lib as ol  # noqa: E402
from oracle_lib import OracleError, RepInput  # noqa: E402

L = keras.layers

# Cases per op (at least 40 for conv2d, depthwise_conv2d, fully_connected, 15 for the others, 500 in
# all); each model is run on INPUTS_PER_MODEL inputs.
CASE_COUNTS = {
    "conv2d": 70,
    "depthwise_conv2d": 70,
    "fully_connected": 56,
    "max_pool2d": 25,
    "avg_pool2d": 25,
    "add": 30,
    "mul": 25,
    "softmax": 25,
    "logistic": 20,
    "tanh": 20,
    "pad": 20,
    "concat": 25,
    "mean": 25,
    "requantize": 15,
    "quantize": 15,
    "dequantize": 15,
    "relu": 15,
    "relu6": 15,
    "leaky_relu": 20,
    "hard_swish": 25,
    "sub": 30,
    "maximum": 20,
    "minimum": 20,
    "prelu": 30,
    "add_const": 20,
    "mul_const": 20,
    "conv2d_grouped": 30,
    "resize_nearest_neighbor": 30,
    "split": 24,
    "strided_slice": 30,
    "transpose_conv": 30,
    # TFLite's 16x8 scheme (int16 activations, int8 weights, int64 bias): the int8 op's builder,
    # converted with int16=True (see SUFFIX_16X8).
    "conv2d_16x8": 30,
    "depthwise_conv2d_16x8": 30,
    "fully_connected_16x8": 30,
    "max_pool2d_16x8": 15,
    "avg_pool2d_16x8": 15,
    "add_16x8": 20,
    "mul_16x8": 20,
    "quantize_16x8": 10,
    "dequantize_16x8": 10,
    "pad_16x8": 15,
    "strided_slice_16x8": 15,
    "split_16x8": 12,
    "resize_nearest_neighbor_16x8": 15,
    "logistic_16x8": 20,
    "tanh_16x8": 20,
    "softmax_16x8": 20,
    "concat_16x8": 20,
    "requantize_16x8": 15,
}
SUFFIX_16X8 = "_16x8"
INPUTS_PER_MODEL = 2
INPUT_MODES = ("uniform", "narrow", "extreme")
MAX_ATTEMPTS_PER_MODEL = 20
SOFTMAX_BETAS = (0.5, 2.0, 0.25, 1.5, 0.1)
TFLITE_OP = {
    "conv2d": "CONV_2D",
    "depthwise_conv2d": "DEPTHWISE_CONV_2D",
    "fully_connected": "FULLY_CONNECTED",
    "max_pool2d": "MAX_POOL_2D",
    "avg_pool2d": "AVERAGE_POOL_2D",
    "add": "ADD",
    "mul": "MUL",
    "softmax": "SOFTMAX",
    "logistic": "LOGISTIC",
    "tanh": "TANH",
    "pad": "PAD",
    "concat": "CONCATENATION",
    "mean": "MEAN",
    "requantize": "QUANTIZE",
    "quantize": "QUANTIZE",
    "dequantize": "DEQUANTIZE",
    "relu": "RELU",
    "relu6": "RELU6",
    "leaky_relu": "LEAKY_RELU",
    "hard_swish": "HARD_SWISH",
    "sub": "SUB",
    "maximum": "MAXIMUM",
    "minimum": "MINIMUM",
    "prelu": "PRELU",
    "add_const": "ADD",
    "mul_const": "MUL",
    "conv2d_grouped": "CONV_2D",
    "resize_nearest_neighbor": "RESIZE_NEAREST_NEIGHBOR",
    "split": "SPLIT",
    "strided_slice": "STRIDED_SLICE",
    "transpose_conv": "TRANSPOSE_CONV",
}


@dataclass
class Draw:
    """One random model: the Keras graph, its calibration data and what the flatbuffer must hold."""

    model: keras.Model
    rep: list
    expect: dict = field(default_factory=dict)  # params that must be stored exactly so
    per_channel_dense: bool = True
    float_io: bool = False
    # Rewrites the converted model (cut out one op, retype a tensor, set an option); None keeps it.
    rewrite: object = None


# ----------------------------------------------------------------------------- random choices


def pick(rng, options):
    return options[int(rng.integers(len(options)))]


def activation_layer(name):
    return {"none": None, "relu": L.ReLU(), "relu6": L.ReLU(max_value=6.0)}[name]


def rep_input(rng, name, shape, spread=1.0):
    """Calibration distribution: a random centre and a standard deviation between 0.1 and 4 (x spread)."""
    std = float(math.exp(rng.uniform(math.log(0.1), math.log(4.0)))) * spread
    return RepInput(name, tuple(shape), float(0.3 * std * rng.standard_normal()), std)


def keras_input(shape, index=0):
    # Names sort in creation order; the representative dataset is keyed by them.
    return keras.Input(tuple(shape[1:]), batch_size=shape[0], name=f"x{index}")


def spatial_window(rng, size, padding, dilation):
    """A kernel extent 1..5 that fits `size` under VALID padding."""
    limit = 5 if padding == "same" else max(1, min(5, (size - 1) // dilation + 1))
    return int(rng.integers(1, limit + 1))


def conv_geometry(rng):
    """Input size, kernel, stride, dilation and padding for a 2-D window (conv, depthwise)."""
    h, w = (int(v) for v in rng.integers(1, 13, size=2))
    if rng.random() < 0.25:  # stride 2 on even sizes is a classic off-by-one trap
        h, w = 2 * int(rng.integers(2, 7)), 2 * int(rng.integers(2, 7))
    padding = pick(rng, ["same", "valid"])
    dilation = pick(rng, [(1, 1)] * 4 + [(2, 2), (2, 2), (1, 2), (2, 1), (3, 3)])
    if dilation == (1, 1):
        stride = pick(rng, [(1, 1), (2, 2), (3, 3), (1, 2), (2, 1), (3, 1), (2, 3)])
    else:
        stride = (1, 1)  # Keras refuses strides > 1 together with dilation > 1
    kernel = (spatial_window(rng, h, padding, dilation[0]), spatial_window(rng, w, padding, dilation[1]))
    return (h, w), kernel, stride, dilation, padding


def weights(rng, shape, fan_in, channel_axis):
    """Random weights with a different magnitude per output channel (so per-channel scales differ),
    and now and then an all-zero channel."""
    w = rng.standard_normal(shape) / math.sqrt(fan_in)
    channels = shape[channel_axis]
    gains = np.exp(rng.uniform(-1.5, 1.5, size=channels))
    if channels > 1 and rng.random() < 0.15:
        gains[int(rng.integers(channels))] = 0.0
    gain_shape = [1] * len(shape)
    gain_shape[channel_axis] = channels
    return (w * gains.reshape(gain_shape)).astype(np.float32)


def bias(rng, n):
    # Never exactly zero: a zero bias would be dropped by the converter.
    return (0.5 * rng.standard_normal(n) + 1e-3).astype(np.float32)


# ----------------------------------------------------------------------------- builders


def draw_conv2d(rng, index):
    (h, w), kernel, stride, dilation, padding = conv_geometry(rng)
    ic, oc = int(rng.integers(1, 25)), int(rng.integers(1, 25))
    act = pick(rng, ["none", "relu", "relu6"])
    x = keras_input((1, h, w, ic))
    layer = L.Conv2D(oc, kernel, strides=stride, padding=padding, dilation_rate=dilation, activation=None)
    y = layer(x)
    if act != "none":
        y = activation_layer(act)(y)
    layer.set_weights([weights(rng, (*kernel, ic, oc), kernel[0] * kernel[1] * ic, 3), bias(rng, oc)])
    expect = {"padding": padding, "stride": list(stride), "dilation": list(dilation), "activation": act}
    return Draw(keras.Model(x, y), [rep_input(rng, "x0", (1, h, w, ic))], expect)


def draw_conv2d_grouped(rng, index):
    """Keras Conv2D(groups=g): TFLite stores a CONV_2D whose filter has IC / g input channels."""
    (h, w), kernel, stride, dilation, padding = conv_geometry(rng)
    groups = int(rng.integers(2, 5))
    ic, oc = groups * int(rng.integers(1, 7)), groups * int(rng.integers(1, 7))
    act = pick(rng, ["none", "relu", "relu6"])
    x = keras_input((1, h, w, ic))
    layer = L.Conv2D(
        oc, kernel, strides=stride, padding=padding, dilation_rate=dilation, groups=groups, activation=None
    )
    y = layer(x)
    if act != "none":
        y = activation_layer(act)(y)
    fan_in = kernel[0] * kernel[1] * (ic // groups)
    layer.set_weights([weights(rng, (*kernel, ic // groups, oc), fan_in, 3), bias(rng, oc)])
    expect = {"padding": padding, "stride": list(stride), "dilation": list(dilation), "activation": act}
    return Draw(keras.Model(x, y), [rep_input(rng, "x0", (1, h, w, ic))], expect)


def draw_depthwise_conv2d(rng, index):
    (h, w), kernel, stride, dilation, padding = conv_geometry(rng)
    multiplier = int(rng.integers(1, 4))
    ic = int(rng.integers(1, 24 // multiplier + 1))
    act = pick(rng, ["none", "relu", "relu6"])
    x = keras_input((1, h, w, ic))
    layer = L.DepthwiseConv2D(
        kernel, strides=stride, padding=padding, depth_multiplier=multiplier, dilation_rate=dilation
    )
    y = layer(x)
    if act != "none":
        y = activation_layer(act)(y)
    kernel_w = weights(rng, (*kernel, ic * multiplier), kernel[0] * kernel[1], 2).reshape(*kernel, ic, multiplier)
    layer.set_weights([kernel_w, bias(rng, ic * multiplier)])
    expect = {
        "padding": padding,
        "stride": list(stride),
        "dilation": list(dilation),
        "activation": act,
        "depth_multiplier": multiplier,
    }
    return Draw(keras.Model(x, y), [rep_input(rng, "x0", (1, h, w, ic))], expect)


def draw_fully_connected(rng, index):
    n_in, n_out = int(rng.integers(1, 65)), int(rng.integers(1, 33))
    keep_num_dims = rng.random() < 0.2
    shape = (1, int(rng.integers(2, 5)), n_in) if keep_num_dims else (1, n_in)
    act = pick(rng, ["none", "relu", "relu6"])
    x = keras_input(shape)
    layer = L.Dense(n_out)
    y = layer(x)
    if act != "none":
        y = activation_layer(act)(y)
    layer.set_weights([weights(rng, (n_in, n_out), n_in, 1), bias(rng, n_out)])
    expect = {"activation": act, "keep_num_dims": bool(keep_num_dims)}
    # Alternate per-channel (converter default) and per-tensor weight scales.
    return Draw(keras.Model(x, y), [rep_input(rng, "x0", shape)], expect, per_channel_dense=index % 2 == 0)


def draw_pool(rng, layer_type):
    h, w = (int(v) for v in rng.integers(1, 13, size=2))
    if rng.random() < 0.25:
        h, w = 2 * int(rng.integers(1, 7)), 2 * int(rng.integers(1, 7))
    c = int(rng.integers(1, 25))
    padding = pick(rng, ["same", "valid"])
    size = (spatial_window(rng, h, padding, 1), spatial_window(rng, w, padding, 1))
    size = (min(size[0], 4), min(size[1], 4))
    stride = (int(rng.integers(1, 4)), int(rng.integers(1, 4)))
    act = pick(rng, ["none", "relu", "relu6"])
    x = keras_input((1, h, w, c))
    y = layer_type(size, strides=stride, padding=padding)(x)
    if act != "none":
        y = activation_layer(act)(y)
    expect = {"padding": padding, "stride": list(stride), "filter": list(size), "activation": act}
    return Draw(keras.Model(x, y), [rep_input(rng, "x0", (1, h, w, c))], expect)


def draw_max_pool2d(rng, index):
    return draw_pool(rng, L.MaxPooling2D)


def draw_avg_pool2d(rng, index):
    return draw_pool(rng, L.AveragePooling2D)


def broadcast_pair(rng):
    """Shapes of two operands: equal, or the second broadcast along some axes."""
    h, w, c = int(rng.integers(1, 9)), int(rng.integers(1, 9)), int(rng.integers(1, 25))
    full = (1, h, w, c)
    kind = pick(rng, ["same", "same", "channel", "row", "column", "pixel", "rank1", "scalar_like"])
    other = {
        "same": full,
        "channel": (1, 1, 1, c),
        "row": (1, h, 1, c),
        "column": (1, 1, w, 1),
        "pixel": (1, h, w, 1),
        "rank1": (c,),
        "scalar_like": (1, 1, 1, 1),
    }[kind]
    return (full, other) if rng.random() < 0.7 else (other, full)


def draw_binary(rng, op):
    shape_a, shape_b = broadcast_pair(rng)
    act = pick(rng, ["none", "none", "relu", "relu6"])
    a, b = keras_input(shape_a, 0), keras_input(shape_b, 1)
    y = {"add": keras.ops.add, "mul": keras.ops.multiply, "sub": keras.ops.subtract}[op](a, b)
    if act != "none":
        y = activation_layer(act)(y)
    # Different calibration spreads give the two inputs different scales.
    rep = [rep_input(rng, "x0", shape_a), rep_input(rng, "x1", shape_b, spread=float(np.exp(rng.uniform(-2, 2))))]
    return Draw(keras.Model([a, b], y), rep, {"activation": act})


def draw_add(rng, index):
    return draw_binary(rng, "add")


def draw_mul(rng, index):
    return draw_binary(rng, "mul")


def draw_sub(rng, index):
    return draw_binary(rng, "sub")


def draw_max_min(rng, op):
    # TFLite requires one quantisation for both inputs and the output (the kernel compares raw
    # int8 values); the converter gives the graph inputs the output's parameters.
    shape_a, shape_b = broadcast_pair(rng)
    a, b = keras_input(shape_a, 0), keras_input(shape_b, 1)
    y = keras.ops.maximum(a, b) if op == "maximum" else keras.ops.minimum(a, b)
    spread = float(np.exp(rng.uniform(-1, 1)))
    rep = [rep_input(rng, "x0", shape_a), rep_input(rng, "x1", shape_b, spread=spread)]
    return Draw(keras.Model([a, b], y), rep)


def draw_maximum(rng, index):
    return draw_max_min(rng, "maximum")


def draw_minimum(rng, index):
    return draw_max_min(rng, "minimum")


def draw_prelu(rng, index):
    h, w, c = int(rng.integers(1, 9)), int(rng.integers(1, 9)), int(rng.integers(1, 17))
    shared = pick(rng, [None, [1, 2], [1, 2], [1], [2], [3]])
    x = keras_input((1, h, w, c))
    layer = L.PReLU(shared_axes=shared)
    y = layer(x)
    alpha_shape = layer.get_weights()[0].shape
    # Slopes below zero: mostly small positive, some negative and some above 1.
    alpha = rng.uniform(-0.5, 1.5, size=alpha_shape) * (rng.random(alpha_shape) < 0.9)
    layer.set_weights([alpha.astype(np.float32)])
    return Draw(keras.Model(x, y), [rep_input(rng, "x0", (1, h, w, c), spread=2.0)])


def draw_const_operand(rng, op):
    """x + c / x * c with a constant c of the input's shape or broadcast (channel, scalar, ...),
    on either side."""
    shape_x, shape_c = broadcast_pair(rng)
    if rng.random() < 0.5:
        shape_x = tuple(max(a, b) for a, b in zip(shape_x, shape_c)) if len(shape_c) == 4 else shape_x
    shape_c = shape_c[1:] if len(shape_c) == 4 else shape_c  # no batch on the constant
    if rng.random() < 0.15:
        shape_c = ()  # a scalar
    act = pick(rng, ["none", "none", "relu", "relu6"])
    x = keras_input(shape_x)
    c = (rng.standard_normal(shape_c) * float(np.exp(rng.uniform(-1.5, 1.5)))).astype(np.float32)
    f = keras.ops.add if op == "add" else keras.ops.multiply
    y = f(c, x) if rng.random() < 0.3 else f(x, c)
    if act != "none":
        y = activation_layer(act)(y)
    return Draw(keras.Model(x, y), [rep_input(rng, "x0", shape_x)], {"activation": act})


def draw_add_const(rng, index):
    return draw_const_operand(rng, "add")


def draw_mul_const(rng, index):
    return draw_const_operand(rng, "mul")


def random_activation_shape(rng):
    if rng.random() < 0.5:
        return (1, int(rng.integers(1, 65)))
    return (1, int(rng.integers(1, 7)), int(rng.integers(1, 7)), int(rng.integers(1, 17)))


def draw_unary(rng, layer):
    shape = random_activation_shape(rng)
    x = keras_input(shape)
    return Draw(keras.Model(x, layer(x)), [rep_input(rng, "x0", shape, spread=2.0)])


def set_softmax_beta(beta):
    def rewrite(model):
        model.subgraphs[0].operators[0].builtinOptions.beta = float(np.float32(beta))
        return model

    return rewrite


def draw_softmax(rng, index):
    shape = (
        (1, int(rng.integers(2, 41)))
        if rng.random() < 0.6
        else (1, int(rng.integers(1, 5)), int(rng.integers(1, 5)), int(rng.integers(2, 17)))
    )
    x = keras_input(shape)
    draw = Draw(keras.Model(x, L.Softmax()(x)), [rep_input(rng, "x0", shape, spread=3.0)])
    # The converter always stores beta = 1 (a Keras/TF scale in front of softmax stays a separate
    # MUL); every third model rewrites the stored beta so the kernel's beta path is covered.
    if index % 3 == 2:
        beta = SOFTMAX_BETAS[(index // 3) % len(SOFTMAX_BETAS)]
        draw.rewrite = set_softmax_beta(beta)
        draw.expect["beta"] = float(np.float32(beta))
    else:
        draw.expect["beta"] = 1.0
    return draw


def draw_logistic(rng, index):
    return draw_unary(rng, L.Activation("sigmoid"))


def draw_tanh(rng, index):
    return draw_unary(rng, L.Activation("tanh"))


def draw_relu(rng, index):
    return draw_unary(rng, L.ReLU())


def draw_relu6(rng, index):
    return draw_unary(rng, L.ReLU(max_value=6.0))


# Slopes below zero for LEAKY_RELU: Keras' and TF's defaults, small, large, and above 1.
LEAKY_ALPHAS = (0.2, 0.3, 0.01, 0.1, 0.5, 0.9, 1.5)


def draw_leaky_relu(rng, index):
    alpha = LEAKY_ALPHAS[index % len(LEAKY_ALPHAS)]
    draw = draw_unary(rng, L.LeakyReLU(negative_slope=alpha))
    draw.expect["alpha"] = float(np.float32(alpha))
    return draw


def draw_hard_swish(rng, index):
    return draw_unary(rng, L.Activation("hard_swish"))


def draw_pad(rng, index):
    if rng.random() < 0.7:
        h, w, c = (int(v) for v in rng.integers(1, 9, size=3))
        shape = (1, h, w, c)
        paddings = [[0, 0]] + [[int(v) for v in rng.integers(0, 4, size=2)] for _ in range(2)] + [[0, 0]]
        if rng.random() < 0.3:
            paddings[3] = [int(v) for v in rng.integers(0, 3, size=2)]
    else:
        shape = (1, int(rng.integers(1, 33)))
        paddings = [[0, 0], [int(v) for v in rng.integers(0, 5, size=2)]]
    if all(p == [0, 0] for p in paddings):
        paddings[-1] = [1, 0]
    x = keras_input(shape)
    y = keras.ops.pad(x, paddings)
    return Draw(keras.Model(x, y), [rep_input(rng, "x0", shape)], {"paddings": paddings})


def draw_concat(rng, index):
    n = int(rng.integers(2, 4))
    if rng.random() < 0.75:
        base = [1, int(rng.integers(1, 7)), int(rng.integers(1, 7)), int(rng.integers(1, 9))]
        axis = pick(rng, [-1, 3, 1, 2])
    else:
        base = [1, int(rng.integers(1, 17))]
        axis = pick(rng, [-1, 1])
    shapes = []
    for _ in range(n):
        shape = list(base)
        shape[axis] = int(rng.integers(1, 9))
        shapes.append(tuple(shape))
    inputs = [keras_input(s, i) for i, s in enumerate(shapes)]
    y = L.Concatenate(axis=axis)(inputs)
    # Different calibration ranges; the converter still gives all operands the output's scale.
    rep = [rep_input(rng, f"x{i}", s, spread=float(np.exp(rng.uniform(-2, 2)))) for i, s in enumerate(shapes)]
    # A ReLU after the concatenation is never fused (it stays a separate RELU): activation is always none.
    return Draw(keras.Model(inputs, y), rep, {"axis": axis, "activation": "none"})


def draw_concat_16x8(rng, index):
    """draw_concat for the 16x8 scheme: the converter requantises differently scaled operands with
    int16 QUANTIZE ops before the CONCATENATION; the case is the CONCATENATION alone (its inputs
    then carry the output's scale, which TFLM requires)."""
    draw = draw_concat(rng, index)
    draw.rewrite = cut_op("CONCATENATION")
    return draw


def draw_mean(rng, index):
    shape = (1, int(rng.integers(1, 9)), int(rng.integers(1, 9)), int(rng.integers(1, 25)))
    x = keras_input(shape)
    if index % 2 == 0:  # what Keras GlobalAveragePooling2D produces
        keep = index % 4 == 0
        y = L.GlobalAveragePooling2D(keepdims=keep)(x)
        axes = [1, 2]
    else:
        axes = pick(rng, [[1], [2], [3], [1, 2, 3], [2, 3]])
        keep = bool(rng.random() < 0.5)
        y = keras.ops.mean(x, axis=tuple(axes), keepdims=keep)
    return Draw(keras.Model(x, y), [rep_input(rng, "x0", shape)], {"axis": axes, "keep_dims": keep})


def float_io_draw(rng, rewrite):
    """A float-I/O model Input -> ReLU: converted it reads QUANTIZE, RELU, DEQUANTIZE."""
    shape = random_activation_shape(rng)
    x = keras_input(shape)
    return Draw(keras.Model(x, L.ReLU()(x)), [rep_input(rng, "x0", shape)], float_io=True, rewrite=rewrite)


def cut_op(wanted):
    def rewrite(model):
        names = ol.op_names(model)
        if names.count(wanted) != 1:
            raise OracleError(f"expected one {wanted} in {names}")
        return ol.single_op_model(model, names.index(wanted))

    return rewrite


def draw_quantize(rng, index):
    return float_io_draw(rng, cut_op("QUANTIZE"))


def draw_dequantize(rng, index):
    return float_io_draw(rng, cut_op("DEQUANTIZE"))


def requantize_draw(rng, index, int16):
    """The float->int QUANTIZE cut out, its input retyped to the output's integer type with a
    random scale (and, for int8, zero point; int16 keeps 0, as the 16x8 scheme has it): TFLM then
    runs its int8->int8 or int16->int16 requantisation. Every third case keeps the output scale."""
    ratio = 1.0 if index % 3 == 0 else float(np.exp(rng.uniform(-3, 3)))
    zero_point = 0 if int16 else int(rng.integers(-128, 128))
    cut = cut_op("QUANTIZE")

    def rewrite(model):
        model = cut(model)
        subgraph = model.subgraphs[0]
        out_q = subgraph.tensors[subgraph.outputs[0]].quantization
        tensor = subgraph.tensors[subgraph.inputs[0]]
        tensor.type = ol.fb.TensorType.INT16 if int16 else ol.fb.TensorType.INT8
        tensor.quantization = ol.fb.QuantizationParametersT()
        tensor.quantization.scale = np.array([out_q.scale[0] * ratio], dtype=np.float32)
        tensor.quantization.zeroPoint = np.array([zero_point], dtype=np.int64)
        return model

    return float_io_draw(rng, rewrite)


def draw_requantize(rng, index):
    return requantize_draw(rng, index, int16=False)


def draw_requantize_16x8(rng, index):
    return requantize_draw(rng, index, int16=True)


def draw_resize_nearest_neighbor(rng, index):
    """tf.image.resize(method="nearest") (half-pixel centres), the TF1 form with align_corners, or
    neither, each up- or downscaling (or both) to 1..12 rows and columns."""
    shape = (1, int(rng.integers(1, 9)), int(rng.integers(1, 9)), int(rng.integers(1, 6)))
    size = [int(rng.integers(1, 13)), int(rng.integers(1, 13))]
    align, half = [(False, True), (True, False), (False, False)][index % 3]
    x = keras_input(shape)
    y = L.Lambda(
        lambda t: ol.tf.compat.v1.image.resize_nearest_neighbor(
            t, size, align_corners=align, half_pixel_centers=half
        )
    )(x)
    expect = {"size": size, "align_corners": align, "half_pixel_centers": half}
    return Draw(keras.Model(x, y), [rep_input(rng, "x0", shape)], expect)


def random_slice(rng, dim):
    """One Python slice or index on an axis of size `dim`: positive and negative bounds, omitted
    bounds (masks), strides -3..3 but 0, or an integer index (shrink)."""
    r = rng.random()
    if r < 0.15:
        return int(rng.integers(-dim, dim))
    stride = pick(rng, [1, 1, 2, 3, -1, -2])
    def bound():
        if rng.random() < 0.25:
            return None
        return int(rng.integers(-dim - 1, dim + 2))
    return slice(bound(), bound(), None if stride == 1 and rng.random() < 0.3 else stride)


def draw_strided_slice(rng, index):
    """A Python slice of a rank-2..4 tensor (the batch axis kept whole), read back as the stored
    begin/end/strides and masks; every fourth case uses an ellipsis or a new axis."""
    rank = pick(rng, [4, 4, 3, 2])
    shape = (1,) + tuple(int(v) for v in rng.integers(1, 9, size=rank - 1))
    for _ in range(100):
        key = [slice(None)] + [random_slice(rng, d) for d in shape[1:]]
        if index % 4 == 3 and rank < 4:
            key.insert(int(rng.integers(1, len(key) + 1)), None)
        elif index % 4 == 3:
            cut = int(rng.integers(1, len(key)))
            key = key[:cut] + [Ellipsis]
        out = np.zeros(shape)[tuple(key)]
        if out.size > 0 and out.ndim >= 1 and out.shape[0] == 1 and out.shape != shape:
            break
    else:
        raise OracleError("no non-empty slice drawn")
    x = keras_input(shape)
    y = L.Lambda(lambda t: t[tuple(key)])(x)
    return Draw(keras.Model(x, y), [rep_input(rng, "x0", shape)])


def draw_split(rng, index):
    """keras.ops.split into 2..4 equal parts along a non-batch axis; one part (params.index) is the
    graph output, the others are computed and dropped."""
    parts = int(rng.integers(2, 5))
    if rng.random() < 0.7:
        shape = [1, int(rng.integers(1, 7)), int(rng.integers(1, 7)), int(rng.integers(1, 7))]
        axis = pick(rng, [1, 2, 3, -1, -3])
    else:
        shape = [1, int(rng.integers(1, 9))]
        axis = pick(rng, [1, -1])
    shape[axis] *= parts
    shape = tuple(shape)
    keep = int(rng.integers(parts))
    x = keras_input(shape)
    ys = L.Lambda(lambda t: ol.tf.split(t, parts, axis=axis))(x)

    def rewrite(model):
        subgraph = model.subgraphs[0]
        op = subgraph.operators[0]
        subgraph.outputs = np.array([op.outputs[keep]], dtype=np.int32)
        return model

    draw = Draw(keras.Model(x, list(ys)), [rep_input(rng, "x0", shape)], {"num_splits": parts}, rewrite=rewrite)
    draw.keep = keep
    return draw


def draw_transpose_conv(rng, index):
    """Keras Conv2DTranspose: 1..8 x 1..8 inputs, IC/OC 1..12, kernel 1..4 each side, strides 1..2
    (incl. 1x2 and 2x1), SAME/VALID (a VALID kernel below the stride gives Keras' larger output,
    in * stride), a fused none/relu/relu6, every third model without a bias (the converter fuses
    an activation only into a TRANSPOSE_CONV with a bias, so those have none)."""
    h, w = (int(v) for v in rng.integers(1, 9, size=2))
    ic, oc = int(rng.integers(1, 13)), int(rng.integers(1, 13))
    kernel = (int(rng.integers(1, 5)), int(rng.integers(1, 5)))
    stride = pick(rng, [(1, 1), (2, 2), (2, 2), (1, 2), (2, 1)])
    padding = pick(rng, ["same", "valid"])
    use_bias = index % 3 != 2
    act = pick(rng, ["none", "relu", "relu6"]) if use_bias else "none"
    x = keras_input((1, h, w, ic))
    layer = L.Conv2DTranspose(oc, kernel, strides=stride, padding=padding, use_bias=use_bias)
    y = layer(x)
    if act != "none":
        y = activation_layer(act)(y)
    # Keras' kernel is [KH, KW, OC, IC]: per-output-channel gains on axis 2.
    values = [weights(rng, (*kernel, oc, ic), kernel[0] * kernel[1] * ic, 2)]
    if use_bias:
        values.append(bias(rng, oc))
    layer.set_weights(values)
    expect = {"padding": padding, "stride": list(stride), "activation": act, "bias": use_bias}
    return Draw(keras.Model(x, y), [rep_input(rng, "x0", (1, h, w, ic))], expect)


def base_op(op_kind):
    """The int8 op a 16x8 op kind is drawn, checked and recorded as (`conv2d_16x8` -> `conv2d`)."""
    return op_kind.removesuffix(SUFFIX_16X8)


def is_16x8(op_kind):
    return op_kind.endswith(SUFFIX_16X8)


# A 16x8 op uses its int8 op's builder unless it has one of its own.
BUILDERS = {name: globals().get(f"draw_{name}") or globals()[f"draw_{base_op(name)}"] for name in CASE_COUNTS}

# The random stream of each op: the first 18 ops in name order (as when the set was made), later
# ops appended, so that adding an op leaves every other op's vectors byte-identical.
FIRST_OPS = sorted(
    [
        "conv2d", "depthwise_conv2d", "fully_connected", "max_pool2d", "avg_pool2d", "add", "mul",
        "softmax", "logistic", "tanh", "pad", "concat", "mean", "requantize", "quantize", "dequantize",
        "relu", "relu6",
    ]
)  # fmt: skip
STREAMS = FIRST_OPS + [
    "leaky_relu", "hard_swish", "sub", "maximum", "minimum", "prelu", "add_const", "mul_const",
    "conv2d_grouped", "resize_nearest_neighbor", "split", "strided_slice", "transpose_conv",
    "conv2d_16x8", "depthwise_conv2d_16x8", "fully_connected_16x8", "max_pool2d_16x8", "avg_pool2d_16x8",
    "add_16x8", "mul_16x8", "quantize_16x8", "dequantize_16x8", "pad_16x8",
    "strided_slice_16x8", "split_16x8", "resize_nearest_neighbor_16x8", "logistic_16x8", "tanh_16x8",
    "softmax_16x8", "concat_16x8", "requantize_16x8"]  # fmt: skip

# ----------------------------------------------------------------------------- reading the result


def stored_params(op_kind, model):
    """The op's parameters as the flatbuffer stores them (docs/vectors.md, 'params by op')."""
    op_kind = base_op(op_kind)
    op = model.subgraphs[0].operators[0]
    o = op.builtinOptions

    def activation():
        if o.fusedActivationFunction not in ol.ACTIVATIONS:
            raise OracleError(f"unsupported fused activation {o.fusedActivationFunction}")
        return ol.ACTIVATIONS[o.fusedActivationFunction]

    if op_kind in ("conv2d", "depthwise_conv2d", "conv2d_grouped"):
        params = {
            "padding": ol.PADDINGS[o.padding],
            "stride": [o.strideH, o.strideW],
            "dilation": [o.dilationHFactor, o.dilationWFactor],
            "activation": activation(),
        }
        if op_kind == "depthwise_conv2d":
            params["depth_multiplier"] = o.depthMultiplier
        return params
    if op_kind == "fully_connected":
        return {"activation": activation(), "keep_num_dims": bool(o.keepNumDims)}
    if op_kind in ("max_pool2d", "avg_pool2d"):
        return {
            "padding": ol.PADDINGS[o.padding],
            "stride": [o.strideH, o.strideW],
            "filter": [o.filterHeight, o.filterWidth],
            "activation": activation(),
        }
    if op_kind in ("add", "mul", "sub"):
        return {"activation": activation()}
    if op_kind in ("add_const", "mul_const"):
        graph_inputs = [int(t) for t in model.subgraphs[0].inputs]
        constant = [k for k, t in enumerate(op.inputs) if int(t) not in graph_inputs]
        if len(constant) != 1:
            raise OracleError(f"{len(constant)} constant operands, wanted 1")
        return {"activation": activation(), "constant": constant[0]}
    if op_kind == "softmax":
        return {"beta": ol.exact_float(o.beta)}
    if op_kind == "leaky_relu":
        return {"alpha": ol.exact_float(o.alpha)}
    if op_kind == "pad":
        return {"paddings": ol.constant_data(model, op.inputs[1]).astype(int).tolist()}
    if op_kind == "concat":
        return {"axis": int(o.axis), "activation": activation()}
    if op_kind == "resize_nearest_neighbor":
        return {
            "size": ol.constant_data(model, op.inputs[1]).astype(int).tolist(),
            "align_corners": bool(o.alignCorners),
            "half_pixel_centers": bool(o.halfPixelCenters),
        }
    if op_kind == "split":
        outputs = [int(t) for t in op.outputs]
        return {
            "axis": int(ol.constant_data(model, op.inputs[0]).ravel()[0]),
            "num_splits": int(o.numSplits),
            "index": outputs.index(int(model.subgraphs[0].outputs[0])),
        }
    if op_kind == "strided_slice":
        if getattr(o, "offset", False):
            raise OracleError("offset strided slice")
        return {
            "begin": ol.constant_data(model, op.inputs[1]).astype(int).tolist(),
            "end": ol.constant_data(model, op.inputs[2]).astype(int).tolist(),
            "strides": ol.constant_data(model, op.inputs[3]).astype(int).tolist(),
            "begin_mask": int(o.beginMask),
            "end_mask": int(o.endMask),
            "ellipsis_mask": int(o.ellipsisMask),
            "new_axis_mask": int(o.newAxisMask),
            "shrink_axis_mask": int(o.shrinkAxisMask),
        }
    if op_kind == "transpose_conv":
        if o.quantizedBiasType not in (0, ol.fb.TensorType.INT32):
            raise OracleError(f"quantized_bias_type {o.quantizedBiasType}")
        output_shape = ol.constant_data(model, op.inputs[0])
        if output_shape is None:
            raise OracleError("output_shape is not a constant")
        stored = [int(d) for d in model.subgraphs[0].tensors[op.outputs[0]].shape]
        if output_shape.astype(int).tolist() != stored:
            raise OracleError(f"output_shape {output_shape.tolist()} differs from the output's {stored}")
        return {
            "padding": ol.PADDINGS[o.padding],
            "stride": [o.strideH, o.strideW],
            "activation": activation(),
            "output_shape": output_shape.astype(int).tolist(),
            "bias": len(op.inputs) > 3 and int(op.inputs[3]) >= 0,
        }
    if op_kind == "mean":
        return {
            "axis": ol.constant_data(model, op.inputs[1]).astype(int).ravel().tolist(),
            "keep_dims": bool(o.keepDims),
        }
    return {}


def operand_tensors(op_kind, op):
    """The op's operands recorded in `inputs` (docs/vectors.md order): constants like PAD's paddings
    or MEAN's axes go to params instead."""
    operands = [int(t) for t in op.inputs]
    op_kind = base_op(op_kind)
    if op_kind in ("pad", "mean", "resize_nearest_neighbor", "strided_slice"):
        return operands[:1]
    if op_kind == "split":
        return operands[1:2]
    if op_kind == "transpose_conv":
        # TFLite's order is [output_shape, filter, input, bias]: recorded as conv2d's.
        return [operands[2], operands[1]] + [t for t in operands[3:] if t >= 0]
    if -1 in operands:
        raise OracleError("an optional operand (bias) is missing")
    return operands


def split_op(model):
    """SPLIT's check: one operator, the data input the graph input, one of its outputs the graph
    output (the others computed and dropped)."""
    subgraph = model.subgraphs[0]
    if len(subgraph.operators) != 1:
        raise OracleError(f"expected one operator, got {ol.op_names(model)}")
    op = subgraph.operators[0]
    if list(subgraph.inputs) != [op.inputs[1]] or len(subgraph.outputs) != 1:
        raise OracleError("SPLIT's data input/output are not the graph's")
    if int(subgraph.outputs[0]) not in [int(t) for t in op.outputs]:
        raise OracleError("the graph output is not a SPLIT output")
    return op


def check(op_kind, model, draw):
    """Raises OracleError unless the model is exactly the one operator with the params asked for."""
    op = split_op(model) if base_op(op_kind) == "split" else ol.graph_inputs_of_op(model)
    wanted = TFLITE_OP[base_op(op_kind)]
    if ol.op_name(model, op) != wanted:
        raise OracleError(f"got {ol.op_name(model, op)}, wanted {wanted}")
    params = stored_params(op_kind, model)
    if base_op(op_kind) == "split" and params["index"] != draw.keep:
        raise OracleError(f"index: stored {params['index']}, asked {draw.keep}")
    for key, value in draw.expect.items():
        if params.get(key) != value:
            raise OracleError(f"{key}: stored {params.get(key)!r}, asked {value!r}")
    subgraph = model.subgraphs[0]
    act_type = ol.fb.TensorType.INT16 if is_16x8(op_kind) else ol.fb.TensorType.INT8
    in_type = ol.fb.TensorType.FLOAT32 if base_op(op_kind) == "quantize" else act_type
    out_type = ol.fb.TensorType.FLOAT32 if base_op(op_kind) == "dequantize" else act_type
    if any(subgraph.tensors[t].type != in_type for t in subgraph.inputs):
        raise OracleError("unexpected graph input type")
    if subgraph.tensors[subgraph.outputs[0]].type != out_type:
        raise OracleError("unexpected graph output type")
    return op, params


def float_input(rng, shape, out_scale, out_zero_point, bits=8):
    """Float inputs for QUANTIZE: half spread over twice the output range (int8 or int16, so both
    clamps are hit), half near rounding ties (k + 1/2) * scale."""
    q_min, q_max = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    lo, hi = (q_min - out_zero_point) * out_scale, (q_max - out_zero_point) * out_scale
    centre, half = (lo + hi) / 2, (hi - lo)
    wide = centre + half * rng.uniform(-1, 1, size=shape)
    ties = (rng.integers(q_min, q_max + 1, size=shape) - out_zero_point + 0.5) * out_scale
    return np.where(rng.random(shape) < 0.5, wide, ties).astype(np.float32)


def make_cases(op_kind, index, draw, model_bytes, rng, first_case):
    model = ol.parse_model(model_bytes)
    op, params = check(op_kind, model, draw)
    subgraph = model.subgraphs[0]
    oracle = ol.Oracle(model_bytes)
    cases = []
    for k in range(INPUTS_PER_MODEL):
        mode = INPUT_MODES[(index + k) % len(INPUT_MODES)]
        feeds = []
        for t in subgraph.inputs:
            tensor = subgraph.tensors[t]
            shape = tuple(int(d) for d in tensor.shape)
            if tensor.type == ol.fb.TensorType.FLOAT32:
                out_q = subgraph.tensors[subgraph.outputs[0]].quantization
                bits = 16 if is_16x8(op_kind) else 8
                feeds.append(float_input(rng, shape, float(out_q.scale[0]), int(out_q.zeroPoint[0]), bits))
            elif tensor.type == ol.fb.TensorType.INT16:
                feeds.append(ol.int16_input(rng, shape, mode))
            else:
                feeds.append(ol.int8_input(rng, shape, mode, int(tensor.quantization.zeroPoint[0])))
        (output,) = oracle.run(feeds)
        values = {int(t): feeds[i] for i, t in enumerate(subgraph.inputs)}
        operands = []
        for t in operand_tensors(op_kind, op):
            data = values[t] if t in values else ol.constant_data(model, t)
            operands.append(ol.tensor_json(model, t, data))
        cases.append(
            {
                "name": f"{op_kind}_{first_case + k:03d}",
                "params": params,
                "inputs": operands,
                "output": ol.tensor_json(model, int(subgraph.outputs[0]), output),
            }
        )
    return cases


def generate_op(op_kind, count, rng):
    cases, skipped, index = [], [], 0
    while len(cases) < count:
        for _ in range(MAX_ATTEMPTS_PER_MODEL):
            try:
                keras.backend.clear_session()
                draw = BUILDERS[op_kind](rng, index)
                model_bytes = ol.convert_int8(
                    draw.model,
                    draw.rep,
                    rng,
                    float_io=draw.float_io,
                    per_channel_dense=draw.per_channel_dense,
                    int16=is_16x8(op_kind),
                )
                if draw.rewrite is not None:
                    model_bytes = ol.serialize_model(draw.rewrite(ol.parse_model(model_bytes)))
                new_cases = make_cases(op_kind, index, draw, model_bytes, rng, len(cases))
                break
            except OracleError as err:
                skipped.append(str(err))
        else:
            raise OracleError(f"{op_kind}: {MAX_ATTEMPTS_PER_MODEL} draws in a row rejected: {skipped[-3:]}")
        cases.extend(new_cases[: count - len(cases)])
        index += 1
    return cases, skipped


def write_op_file(path, op_kind, cases):
    """One case per line: small diffs when vectors are regenerated."""
    lines = [json.dumps(case, separators=(",", ":")) for case in cases]
    header = json.dumps({"op": op_kind}, separators=(",", ":"))[:-1]
    path.write_text(header + ',"cases":[\n' + ",\n".join(lines) + "\n]}\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=1, help="seed of every random choice (default 1)")
    parser.add_argument("--out", type=Path, default=Path("tests/vectors"), help="vector directory")
    parser.add_argument("--ops", nargs="*", choices=sorted(CASE_COUNTS), help="only these ops (default all)")
    args = parser.parse_args()

    keras.utils.set_random_seed(args.seed)
    (args.out / "ops").mkdir(parents=True, exist_ok=True)
    manifest_path = args.out / "manifest.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    counts = dict(manifest.get("ops", {}))
    for op_kind in args.ops or list(CASE_COUNTS):
        # One generator per op, seeded from (seed, op): regenerating one op leaves the others unchanged.
        rng = np.random.default_rng([args.seed, STREAMS.index(op_kind)])
        start = time.monotonic()
        cases, skipped = generate_op(op_kind, CASE_COUNTS[op_kind], rng)
        write_op_file(args.out / "ops" / f"{op_kind}.json", op_kind, cases)
        counts[op_kind] = len(cases)
        note = f", {len(skipped)} draws rejected ({skipped[0]})" if skipped else ""
        print(f"{op_kind}: {len(cases)} cases in {time.monotonic() - start:.1f} s{note}", flush=True)
    manifest = {
        "generator": "tools/oracle/gen_ops.py",
        "seed": args.seed,
        **ol.versions(),
        "ops": dict(sorted(counts.items())),
    }
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n")


if __name__ == "__main__":
    main()
