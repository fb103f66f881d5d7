"""Whole-network oracle vectors: int8 networks run end to end through TFLM.

    tools/oracle/.venv/bin/python tools/oracle/gen_models.py --seed 1 --out tests/vectors/models

Builds the four MLPerf Tiny reference architectures (DS-CNN KWS, MobileNetV1-0.25 VWW, ResNet-8,
FC autoencoder), a small network with CONCATENATION and MUL, one that uses Keras Flatten, a 1-D
sensor network, and one with RESIZE_NEAREST_NEIGHBOR, SPLIT and STRIDED_SLICE. Each
gets random weights with batch-norm statistics measured on random data (see randomize), is
converted to int8 and run by TFLM on random int8 inputs. Written per network:
<name>.tflite, <name>.json (docs/vectors.md, "Whole networks") and manifest.json for the set.
"""

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import keras  # noqa: E402
import numpy as np  # noqa: E402

import oracle_lib as ol  # noqa: E402
from oracle_lib import RepInput  # noqa: E402

L = keras.layers
CASES_PER_MODEL = 20
STAT_SAMPLES = 64
INPUT_MODES = ("uniform", "narrow", "extreme")


def bn_relu(x):
    return L.ReLU()(L.BatchNormalization()(x))


def ds_cnn_kws(batch_size):
    """MLPerf Tiny keyword spotting: DS-CNN (49x10 MFCC -> 12 classes)."""
    x = inputs = keras.Input((49, 10, 1), batch_size=batch_size, name="x0")
    x = bn_relu(L.Conv2D(64, (10, 4), strides=(2, 2), padding="same", use_bias=False)(x))
    for _ in range(4):
        x = bn_relu(L.DepthwiseConv2D(3, padding="same", use_bias=False)(x))
        x = bn_relu(L.Conv2D(64, 1, use_bias=False)(x))
    x = L.AveragePooling2D(pool_size=(25, 5))(x)
    x = L.Reshape((64,))(x)
    x = L.Softmax()(L.Dense(12)(x))
    return keras.Model(inputs, x, name="ds_cnn_kws")


def mobilenet_v1_025_vww(batch_size):
    """MLPerf Tiny visual wake words: MobileNetV1 width 0.25 (96x96x3 -> 2 classes)."""
    x = inputs = keras.Input((96, 96, 3), batch_size=batch_size, name="x0")
    x = bn_relu(L.Conv2D(8, 3, strides=2, padding="same", use_bias=False)(x))
    for filters, stride in (
        [(16, 1), (32, 2), (32, 1), (64, 2), (64, 1), (128, 2)]
        + [(128, 1)] * 5
        + [
            (256, 2),
            (256, 1),
        ]
    ):
        x = bn_relu(L.DepthwiseConv2D(3, strides=stride, padding="same", use_bias=False)(x))
        x = bn_relu(L.Conv2D(filters, 1, use_bias=False)(x))
    x = L.AveragePooling2D(pool_size=(3, 3))(x)
    x = L.Reshape((256,))(x)
    x = L.Softmax()(L.Dense(2)(x))
    return keras.Model(inputs, x, name="mobilenet_v1_025_vww")


def resnet8_cifar(batch_size):
    """MLPerf Tiny image classification: ResNet-8 (32x32x3 -> 10 classes), residual ADDs."""
    x = inputs = keras.Input((32, 32, 3), batch_size=batch_size, name="x0")
    x = bn_relu(L.Conv2D(16, 3, padding="same")(x))
    for filters, stride in [(16, 1), (32, 2), (64, 2)]:
        y = bn_relu(L.Conv2D(filters, 3, strides=stride, padding="same")(x))
        y = L.BatchNormalization()(L.Conv2D(filters, 3, padding="same")(y))
        if stride != 1:
            x = L.Conv2D(filters, 1, strides=stride, padding="same")(x)
        x = L.ReLU()(L.Add()([x, y]))
    x = L.AveragePooling2D(pool_size=(8, 8))(x)
    x = L.Reshape((64,))(x)
    x = L.Softmax()(L.Dense(10)(x))
    return keras.Model(inputs, x, name="resnet8_cifar")


def fc_autoencoder(batch_size):
    """MLPerf Tiny anomaly detection: fully-connected autoencoder (640 -> 640)."""
    x = inputs = keras.Input((640,), batch_size=batch_size, name="x0")
    for units in [128, 128, 128, 128, 8, 128, 128, 128, 128]:
        x = bn_relu(L.Dense(units)(x))
    x = L.Dense(640)(x)
    return keras.Model(inputs, x, name="fc_autoencoder")


def concat_mul(batch_size):
    """Small CNN with a concatenation of two branches and a squeeze-excitation style MUL gate."""
    x = inputs = keras.Input((16, 16, 3), batch_size=batch_size, name="x0")
    x = L.Conv2D(8, 3, strides=2, padding="same", activation="relu")(x)
    a = L.Conv2D(8, 1, activation="relu")(x)
    b = L.DepthwiseConv2D(3, padding="same", activation="relu6")(x)
    x = L.Concatenate()([a, b])
    gate = L.GlobalAveragePooling2D(keepdims=True)(x)
    gate = L.Activation("sigmoid")(L.Dense(16)(L.Dense(4, activation="relu")(gate)))
    x = L.Multiply()([x, gate])
    x = L.MaxPooling2D(2)(x)
    x = L.Conv2D(12, 3, padding="valid", activation="relu")(x)
    x = L.Reshape((2 * 2 * 12,))(x)
    x = L.Softmax()(L.Dense(5)(x))
    return keras.Model(inputs, x, name="concat_mul")


def flatten_cnn(batch_size):
    """Small CNN ending in Keras Flatten. Converted with an unknown batch size (DYNAMIC_BATCH), the
    flattened shape is computed at run time: SHAPE, STRIDED_SLICE, PACK, RESHAPE."""
    x = inputs = keras.Input((12, 12, 3), batch_size=batch_size, name="x0")
    x = L.Conv2D(6, 3, activation="relu")(x)
    x = L.MaxPooling2D(2)(x)
    x = L.Flatten()(x)
    x = L.Softmax()(L.Dense(4)(x))
    return keras.Model(inputs, x, name="flatten_cnn")


def sensor_conv1d(batch_size):
    """A Keras 1-D sensor model (128 steps x 3 axes, e.g. an accelerometer window): Conv1D layers
    with LeakyReLU and hard-swish, a 1-D pool and a Dense head. The converter wraps each Conv1D in
    EXPAND_DIMS / RESHAPE around a CONV_2D."""
    x = inputs = keras.Input((128, 3), batch_size=batch_size, name="x0")
    x = L.Conv1D(8, 5, strides=2, padding="same")(x)
    x = L.LeakyReLU(negative_slope=0.2)(x)
    x = L.Conv1D(16, 3, padding="valid")(x)
    x = L.Activation("hard_swish")(x)
    x = L.MaxPooling1D(2)(x)
    x = L.Conv1D(16, 3, padding="same", activation="relu")(x)
    x = L.GlobalAveragePooling1D()(x)
    x = L.Softmax()(L.Dense(4)(x))
    return keras.Model(inputs, x, name="sensor_conv1d")


def upsample_split(batch_size):
    """Nearest-neighbour upsampling (tf.image.resize, half-pixel centres: RESIZE_NEAREST_NEIGHBOR), a
    SPLIT whose two halves feed a CONCATENATION in swapped order and an ADD, a SPLIT_V (2 + 4
    channels) concatenated back in swapped order, and a STRIDED_SLICE with a negative stride."""
    x = inputs = keras.Input((8, 8, 3), batch_size=batch_size, name="x0")
    x = L.Conv2D(8, 3, strides=2, padding="same", activation="relu")(x)
    x = L.Lambda(lambda t: ol.tf.image.resize(t, (8, 8), method="nearest"))(x)
    a, b = L.Lambda(lambda t: ol.tf.split(t, 2, axis=-1))(x)
    c = L.Conv2D(6, 1)(L.Concatenate()([b, a]))
    p, q = L.Lambda(lambda t: ol.tf.split(t, [2, 4], axis=-1))(c)
    s = L.Lambda(lambda t: t[:, 1::2, ::-1, :])(L.Add()([a, b]))
    x = L.Concatenate()([L.MaxPooling2D(2)(L.Concatenate()([q, p])), s[:, :, ::2, :]])
    x = L.Conv2D(8, 3, padding="valid", activation="relu")(x)
    x = L.GlobalAveragePooling2D()(x)
    x = L.Softmax()(L.Dense(4)(x))
    return keras.Model(inputs, x, name="upsample_split")


def zero_pad_cnn(batch_size):
    """Keras ZeroPadding2D before convolutions, as MobileNetV2 pads before its stride-2 layers: the
    converter keeps each as a PAD operator. Before a convolution nnd folds it into the convolution's
    padding; before a pool, a 1x1 convolution or as a second reader's input it stays a PAD."""
    x = inputs = keras.Input((15, 15, 3), batch_size=batch_size, name="x0")
    x = L.ZeroPadding2D(((0, 1), (0, 1)))(x)
    x = L.Conv2D(8, 3, strides=2, padding="valid", activation="relu")(x)
    x = L.ZeroPadding2D(((1, 0), (2, 1)))(x)
    x = L.DepthwiseConv2D(3, padding="valid", activation="relu6")(x)
    p = L.ZeroPadding2D(((1, 1), (0, 1)))(x)
    x = L.Conv2D(12, 3, padding="same")(p)
    y = L.Conv2D(12, 1)(p)
    x = L.Add()([x, y])
    x = L.ZeroPadding2D(1)(x)
    x = L.MaxPooling2D(2)(x)
    x = L.ZeroPadding2D(((0, 1), (1, 0)))(x)
    x = L.Conv2D(8, 1, activation="relu")(x)
    x = L.GlobalAveragePooling2D()(x)
    x = L.Softmax()(L.Dense(4)(x))
    return keras.Model(inputs, x, name="zero_pad_cnn")


def cnn_16x8(batch_size):
    """A small CNN converted with TFLite's 16x8 scheme (int16 activations, int8 weights, int64
    biases; int16 input and output): PAD (nnd folds it into the convolution after it), convolutions, a
    STRIDED_SLICE, RESIZE_NEAREST_NEIGHBOR, depthwise, both pools, a residual ADD, a MUL gate, a
    Reshape, a Dense without bias and a Dense head."""
    x = inputs = keras.Input((12, 12, 3), batch_size=batch_size, name="x0")
    x = L.ZeroPadding2D(((1, 0), (0, 1)))(x)
    x = L.Conv2D(8, 3, padding="valid", activation="relu")(x)
    x = L.Lambda(lambda t: t[:, ::2, ::2, :])(x)
    x = L.Lambda(lambda t: ol.tf.image.resize(t, (12, 12), method="nearest"))(x)
    x = L.MaxPooling2D(2)(x)
    y = L.DepthwiseConv2D(3, padding="same", activation="relu6")(x)
    y = L.Conv2D(8, 1)(y)
    x = L.Add()([x, y])
    g = L.Conv2D(8, 1, strides=2)(x)
    x = L.Conv2D(8, 3, strides=2, padding="same")(x)
    x = L.Multiply()([x, g])
    x = L.AveragePooling2D(3)(x)
    x = L.Reshape((8,))(x)
    x = L.Dense(12, use_bias=False, activation="relu")(x)  # FULLY_CONNECTED without a bias
    x = L.Dense(5)(x)
    return keras.Model(inputs, x, name="cnn_16x8")


def branches_16x8(batch_size):
    """A 16x8 network with two differently scaled branches concatenated (the converter requantises
    one with an int16 -> int16 QUANTIZE before the CONCATENATION), a TANH branch, a LOGISTIC gate,
    and a SOFTMAX head."""
    x = inputs = keras.Input((10, 10, 3), batch_size=batch_size, name="x0")
    a = L.Conv2D(6, 3, padding="same", activation="relu")(x)
    b = L.Conv2D(4, 1, activation="tanh")(x)
    x = L.Concatenate()([a, b])
    g = L.Conv2D(10, 1, activation="sigmoid")(x)
    x = L.Multiply()([x, g])
    x = L.AveragePooling2D(10)(x)
    x = L.Reshape((10,))(x)
    x = L.Softmax()(L.Dense(5)(x))
    return keras.Model(inputs, x, name="branches_16x8")


# Converted with the 16x8 scheme (int16 activations) instead of int8.
INT16_MODELS = {"cnn_16x8", "branches_16x8"}
# Converted with batch size None instead of 1 (Keras Flatten / Reshape then build the shape at run time).
DYNAMIC_BATCH = {"flatten_cnn"}
NETWORKS = {
    f.__name__: f
    for f in (
        ds_cnn_kws, mobilenet_v1_025_vww, resnet8_cifar, fc_autoencoder, concat_mul, flatten_cnn, sensor_conv1d,
        upsample_split, zero_pad_cnn, cnn_16x8, branches_16x8,
    )  # fmt: skip
}


# The random stream of each network: the first nine in name order (as when the set was made), later
# ones appended, so that adding a network leaves every other network's vectors byte-identical.
STREAMS = sorted(
    [
        "ds_cnn_kws", "mobilenet_v1_025_vww", "resnet8_cifar", "fc_autoencoder", "concat_mul", "flatten_cnn",
        "sensor_conv1d", "upsample_split", "zero_pad_cnn",
    ]
) + ["cnn_16x8", "branches_16x8"]  # fmt: skip


def randomize(model, rng):
    """Random weights with realistic statistics: Keras' seeded initialisers for kernels, random
    biases and batch-norm gamma/beta, and batch-norm moving statistics measured on random data (one
    training-mode pass with momentum 0 stores each layer's batch statistics)."""
    for layer in model.layers:
        if isinstance(layer, L.BatchNormalization):
            n = layer.gamma.shape[0]
            layer.gamma.assign(rng.uniform(0.5, 1.5, n).astype(np.float32))
            layer.beta.assign((0.3 * rng.standard_normal(n)).astype(np.float32))
            layer.momentum = 0.0
        elif getattr(layer, "bias", None) is not None:
            layer.bias.assign((0.1 * rng.standard_normal(layer.bias.shape)).astype(np.float32))
    x = rng.standard_normal((STAT_SAMPLES, *model.inputs[0].shape[1:])).astype(np.float32)
    model(x, training=True)


def build(name, seed, rng):
    """Randomises the network with a free batch size, copies the weights into the batch-1 graph that
    is converted (a fixed batch keeps Reshape static), and returns the int8 flatbuffer."""
    keras.backend.clear_session()
    keras.utils.set_random_seed(seed)
    free = NETWORKS[name](None)
    randomize(free, rng)
    model = free
    if name not in DYNAMIC_BATCH:
        model = NETWORKS[name](1)
        model.set_weights(free.get_weights())
    shape = (1, *free.inputs[0].shape[1:])
    int16 = name in INT16_MODELS
    return ol.convert_int8(model, [RepInput("x0", shape, 0.0, 1.0)], rng, samples=32, int16=int16)


def make_cases(model_bytes, rng):
    model = ol.parse_model(model_bytes)
    oracle = ol.Oracle(model_bytes)
    cases = []
    for k in range(CASES_PER_MODEL):
        feeds = ol.random_feeds(model, rng, INPUT_MODES[k % len(INPUT_MODES)])
        cases.append(ol.io_json(model, feeds, oracle.run(feeds)))
    return cases, oracle.arena_bytes_used(), ol.op_names(model)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=1, help="seed of every random choice (default 1)")
    parser.add_argument("--out", type=Path, default=Path("tests/vectors/models"), help="output directory")
    parser.add_argument("--models", nargs="*", choices=sorted(NETWORKS), help="only these networks (default all)")
    args = parser.parse_args()

    args.out.mkdir(parents=True, exist_ok=True)
    manifest_path = args.out / "manifest.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    entries = dict(manifest.get("models", {}))
    for name in args.models or list(NETWORKS):
        start = time.monotonic()
        rng = np.random.default_rng([args.seed, STREAMS.index(name)])
        model_bytes = build(name, args.seed, rng)
        cases, arena, ops = make_cases(model_bytes, rng)
        ol.write_network_vectors(args.out, name, model_bytes, cases, arena, ops)
        entries[name] = {"cases": len(cases), "operators": len(ops), "tflite_bytes": len(model_bytes)}
        print(
            f"{name}: {len(ops)} ops {sorted(set(ops))}, {len(model_bytes)} B, arena {arena} B, "
            f"{time.monotonic() - start:.1f} s",
            flush=True,
        )
    manifest = {
        "generator": "tools/oracle/gen_models.py",
        "seed": args.seed,
        **ol.versions(),
        "models": dict(sorted(entries.items())),
    }
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n")


if __name__ == "__main__":
    main()
