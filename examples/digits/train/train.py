"""Trains the digits example: a small CNN on scikit-learn's 8x8 handwritten digits, quantised to int8.

Run with the oracle venv extended by setup.sh:

    examples/digits/train/setup.sh
    tools/oracle/.venv/bin/python examples/digits/train/train.py

Writes, under examples/digits/model/:
  * digits.tflite    the fully int8 model (int8 input 1x8x8x1, int8 output 1x10);
  * test.bin         the held-out split for Rust, no Python needed: N*64 int8 inputs (already
                     quantised with the model's input scale and zero point, row-major 8x8), then N
                     uint8 labels;
  * test.json        N, the quantisation of the input and output, the float and TFLM accuracies,
                     TFLM's predicted label and TFLM's raw int8 output for every held-out sample.

The predictions and outputs in test.json come from TensorFlow Lite for Microcontrollers' Python
interpreter (the project's oracle), not from TensorFlow's own interpreter.
"""

import json
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
sys.path.insert(0, str(ROOT / "tools" / "oracle"))

import numpy as np  # noqa: E402
import sklearn  # noqa: E402
import tensorflow as tf  # noqa: E402
from oracle_lib import Oracle, op_names, parse_model, quiet_fds, versions  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

SEED = 7
TEST_FRACTION = 0.2
EPOCHS = 60
MIN_FLOAT_ACCURACY = 0.97
MIN_INT8_ACCURACY = 0.95
OUT = HERE.parent / "model"


def load_split():
    """The digits (pixel values 0..16 scaled to [0, 1]) with a fixed, stratified train/test split."""
    digits = load_digits()
    x = (digits.images.astype(np.float32) / 16.0)[..., np.newaxis]
    y = digits.target.astype(np.int64)
    return train_test_split(x, y, test_size=TEST_FRACTION, random_state=SEED, stratify=y)


def build_model():
    inputs = tf.keras.Input(shape=(8, 8, 1), batch_size=1, name="image")
    h = tf.keras.layers.Conv2D(8, 3, padding="same", activation="relu", name="c1")(inputs)
    h = tf.keras.layers.Conv2D(16, 3, padding="same", activation="relu", name="c2")(h)
    h = tf.keras.layers.MaxPooling2D(2, name="p1")(h)
    # A fixed-shape Reshape, not Flatten (which converts to SHAPE/STRIDED_SLICE/PACK).
    h = tf.keras.layers.Reshape((4 * 4 * 16,), name="flat")(h)
    h = tf.keras.layers.Dropout(0.25, name="drop")(h)
    h = tf.keras.layers.Dense(10, name="logits")(h)
    outputs = tf.keras.layers.Softmax(name="probs")(h)
    return tf.keras.Model(inputs, outputs, name="digits")


def train(x_train, y_train):
    """Trains with batch 32 on a copy of the model whose batch dimension is free, then copies the
    weights into the batch-1 model that is converted (TFLite and nnd run one image at a time)."""
    trainer = build_model()
    free = tf.keras.Model.from_config(_free_batch(trainer.get_config()))
    free.compile(
        optimizer=tf.keras.optimizers.Adam(2e-3),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    free.fit(x_train, y_train, epochs=EPOCHS, batch_size=32, shuffle=True, verbose=0)
    trainer.set_weights(free.get_weights())
    return trainer


def _free_batch(config):
    for layer in config["layers"]:
        if layer["class_name"] == "InputLayer":
            layer["config"]["batch_shape"] = [None, *layer["config"]["batch_shape"][1:]]
    return config


def float_accuracy(model, x, y):
    probs = np.concatenate([model(x[i : i + 1], training=False).numpy() for i in range(len(x))])
    return float(np.mean(np.argmax(probs, axis=1) == y))


def convert(model, x_train):
    """Full int8 conversion, calibrated on the training images."""

    def representative_dataset():
        for i in range(0, len(x_train), 4):
            yield [x_train[i : i + 1]]

    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = representative_dataset
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = tf.int8
    converter.inference_output_type = tf.int8
    with quiet_fds():
        return bytes(converter.convert())


def tensor_quant(model, tensor_index):
    q = model.subgraphs[0].tensors[tensor_index].quantization
    return float(np.float32(q.scale[0])), int(q.zeroPoint[0])


def quantize(x, scale, zero_point):
    return np.clip(np.rint(x / scale) + zero_point, -128, 127).astype(np.int8)


def main():
    np.random.seed(SEED)
    tf.keras.utils.set_random_seed(SEED)
    tf.config.experimental.enable_op_determinism()

    x_train, x_test, y_train, y_test = load_split()
    model = train(x_train, y_train)
    acc_float = float_accuracy(model, x_test, y_test)
    print(f"float test accuracy: {acc_float:.4f} ({len(x_test)} samples)")
    if acc_float < MIN_FLOAT_ACCURACY:
        sys.exit(f"float accuracy {acc_float:.4f} < {MIN_FLOAT_ACCURACY}: improve training")

    tflite = convert(model, x_train)
    fb_model = parse_model(tflite)
    ops = op_names(fb_model)
    print("int8 operators:", " ".join(ops))
    subgraph = fb_model.subgraphs[0]
    in_scale, in_zp = tensor_quant(fb_model, subgraph.inputs[0])
    out_scale, out_zp = tensor_quant(fb_model, subgraph.outputs[0])

    q_test = quantize(x_test, in_scale, in_zp)
    oracle = Oracle(tflite)
    outputs = np.stack([oracle.run([q_test[i : i + 1]])[0].reshape(10) for i in range(len(q_test))])
    predicted = np.argmax(outputs, axis=1)
    acc_tflm = float(np.mean(predicted == y_test))
    print(f"int8 TFLM test accuracy: {acc_tflm:.4f}")
    if acc_tflm < MIN_INT8_ACCURACY:
        sys.exit(f"int8 accuracy {acc_tflm:.4f} < {MIN_INT8_ACCURACY}: improve training")

    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "digits.tflite").write_bytes(tflite)
    (OUT / "test.bin").write_bytes(q_test.reshape(-1).tobytes() + y_test.astype(np.uint8).tobytes())
    meta = {
        "n": len(y_test),
        "seed": SEED,
        "test_fraction": TEST_FRACTION,
        "operators": ops,
        "input": {"shape": [1, 8, 8, 1], "scale": in_scale, "zero_point": in_zp},
        "output": {"shape": [1, 10], "scale": out_scale, "zero_point": out_zp},
        "float_accuracy": acc_float,
        "tflm_accuracy": acc_tflm,
        "tflm_correct": int(np.sum(predicted == y_test)),
        "tflm_arena_bytes": oracle.arena_bytes_used(),
        "tflm_predictions": [int(p) for p in predicted],
        "tflm_outputs": [[int(v) for v in row] for row in outputs],
        "versions": {**versions(), "scikit_learn": sklearn.__version__},
    }
    (OUT / "test.json").write_text(json.dumps(meta, separators=(",", ":")) + "\n")
    print(f"wrote {OUT / 'digits.tflite'} ({len(tflite)} bytes), test.bin, test.json")


if __name__ == "__main__":
    main()
