"""Regenerates the converter-made fixtures in this directory with the TensorFlow Lite converter.

Run with the oracle environment (tools/oracle/setup.sh):
    tools/oracle/.venv/bin/python nn-dsl/tests/tflite/converter/generate.py
The network is untrained (random weights) and only exercises the reader: a strided SAME conv, a
depthwise conv, a 1x1 conv, ADD, average and max pooling, MEAN, RESHAPE, CONCATENATION,
FULLY_CONNECTED (no bias) and SOFTMAX, converted once to full int8 and once to float32.
"""

import os

import numpy as np
import tensorflow as tf

HERE = os.path.dirname(os.path.abspath(__file__))


def build():
    tf.keras.utils.set_random_seed(0)
    inp = tf.keras.Input((12, 12, 3), batch_size=1)
    x = tf.keras.layers.Conv2D(8, 3, strides=2, padding="same", activation="relu")(inp)
    x = tf.keras.layers.DepthwiseConv2D(3, padding="same", activation="relu6")(x)
    y = tf.keras.layers.Conv2D(8, 1)(x)
    x = tf.keras.layers.Add()([x, y])
    x = tf.keras.layers.AveragePooling2D(2)(x)
    x = tf.keras.layers.MaxPooling2D(1)(x)
    a = tf.keras.layers.Reshape((72,))(x)
    b = tf.keras.layers.Concatenate()([a, a])
    m = tf.keras.ops.mean(x, axis=[1, 2])
    x = tf.keras.layers.Dense(10)(b)
    x = tf.keras.layers.Concatenate()([x, m])
    x = tf.keras.layers.Softmax()(x)
    return tf.keras.Model(inp, x)


def representative():
    rng = np.random.default_rng(0)
    for _ in range(20):
        yield [rng.standard_normal((1, 12, 12, 3)).astype(np.float32)]


def main():
    model = build()
    c = tf.lite.TFLiteConverter.from_keras_model(model)
    c.optimizations = [tf.lite.Optimize.DEFAULT]
    c.representative_dataset = representative
    c.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    c.inference_input_type = tf.int8
    c.inference_output_type = tf.int8
    with open(os.path.join(HERE, "mixed_int8.tflite"), "wb") as f:
        f.write(c.convert())
    c = tf.lite.TFLiteConverter.from_keras_model(model)
    with open(os.path.join(HERE, "mixed_f32.tflite"), "wb") as f:
        f.write(c.convert())


if __name__ == "__main__":
    main()
