"""Shared helpers of the TFLM oracle generators (gen_ops.py, gen_models.py).

Three jobs:
  * convert a Keras model to a fully int8 .tflite flatbuffer with TensorFlow's converter;
  * read what the flatbuffer stores (operators, options, tensors, quantisation, constant data)
    through the TFLM package's own flatbuffer schema bindings, and rewrite it when a case needs a
    graph the converter does not emit on its own;
  * run a model in the TFLM Python interpreter (the oracle) and write tensors in the JSON layout of
    docs/vectors.md.
"""

import contextlib
import copy
import json
import os
import re
import sys
from dataclasses import dataclass

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
# oneDNN's reordered float kernels could move calibration ranges (hence scales) between CPUs.
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import flatbuffers  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from tflite_micro.python.tflite_micro import runtime  # noqa: E402
from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as fb  # noqa: E402

OP_NAMES = {v: k for k, v in vars(fb.BuiltinOperator).items() if not k.startswith("_")}
ACTIVATIONS = {
    fb.ActivationFunctionType.NONE: "none",
    fb.ActivationFunctionType.RELU: "relu",
    fb.ActivationFunctionType.RELU6: "relu6",
}
PADDINGS = {fb.Padding.SAME: "same", fb.Padding.VALID: "valid"}
DTYPES = {
    fb.TensorType.INT8: ("int8", np.int8),
    fb.TensorType.INT16: ("int16", np.int16),
    fb.TensorType.INT32: ("int32", np.int32),
    fb.TensorType.INT64: ("int64", np.int64),
    fb.TensorType.FLOAT32: ("float32", np.float32),
}
TFLITE_FILE_IDENTIFIER = b"TFL3"
DEFAULT_ARENA_BYTES = 4 << 20


class OracleError(Exception):
    """A generated model is not what the generator asked for, or the oracle refused it."""


@contextlib.contextmanager
def quiet_fds():
    """Silences stdout/stderr at the file-descriptor level (TensorFlow's C++ logging ignores sys.stdout)."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for fd in (*saved, devnull):
            os.close(fd)


@dataclass
class RepInput:
    """Distribution of one Keras input in the representative (calibration) dataset."""

    name: str
    shape: tuple
    mean: float
    std: float


def convert_int8(model, rep_inputs, rng, samples=16, float_io=False, per_channel_dense=True, int16=False):
    """Converts a Keras model to int8 with a representative dataset drawn from `rep_inputs`.

    With float_io the model keeps float32 input/output (the converter then adds QUANTIZE /
    DEQUANTIZE at the edges); otherwise input and output are int8. With int16 the model uses
    TFLite's 16x8 scheme instead (int16 activations with zero point 0, int8 weights, int64
    biases; EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8) and int16 input/output.
    """
    batches = [
        {r.name: (r.mean + r.std * rng.standard_normal(r.shape)).astype(np.float32) for r in rep_inputs}
        for _ in range(samples)
    ]

    def representative_dataset():
        yield from batches

    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = representative_dataset
    if int16:
        ops = tf.lite.OpsSet.EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8
        converter.target_spec.supported_ops = [ops]
    else:
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    io_type = tf.float32 if float_io else (tf.int16 if int16 else tf.int8)
    converter.inference_input_type = io_type
    converter.inference_output_type = io_type
    # Dense layers are quantised per channel unless this private converter flag disables it.
    converter._experimental_disable_per_channel_quantization_for_dense_layers = not per_channel_dense
    with quiet_fds():
        return bytes(converter.convert())


def parse_model(model_bytes):
    return fb.ModelT.InitFromObj(fb.Model.GetRootAsModel(model_bytes, 0))


def serialize_model(model):
    builder = flatbuffers.Builder(1024)
    builder.Finish(model.Pack(builder), file_identifier=TFLITE_FILE_IDENTIFIER)
    return bytes(builder.Output())


def op_name(model, op):
    code = model.operatorCodes[op.opcodeIndex]
    return OP_NAMES[max(code.builtinCode, code.deprecatedBuiltinCode)]


def op_names(model):
    return [op_name(model, op) for op in model.subgraphs[0].operators]


def constant_data(model, tensor_index):
    """The constant data of a tensor as a numpy array in its stored shape, or None if it has none."""
    tensor = model.subgraphs[0].tensors[tensor_index]
    buffer = model.buffers[tensor.buffer]
    if buffer.offset:
        raise OracleError("tensor data stored outside the flatbuffer is not supported")
    if buffer.data is None or len(buffer.data) == 0:
        return None
    _, np_type = dtype_of(tensor)
    raw = np.asarray(buffer.data, dtype=np.uint8).tobytes()
    # A scalar may be stored with no shape at all (the 16x8 converter writes SPLIT's axis so).
    shape = () if tensor.shape is None else tuple(tensor.shape)
    return np.frombuffer(raw, dtype=np.dtype(np_type).newbyteorder("<")).reshape(shape)


def dtype_of(tensor):
    if tensor.type not in DTYPES:
        raise OracleError(f"unexpected tensor type {tensor.type} for {tensor.name!r}")
    return DTYPES[tensor.type]


def exact_float(value):
    """The float32 value as a Python float: its shortest decimal parses back to the same float32."""
    return float(np.float32(value))


def tensor_json(model, tensor_index, data):
    """One TENSOR object of docs/vectors.md: shape, dtype and quantisation as stored, plus data."""
    tensor = model.subgraphs[0].tensors[tensor_index]
    dtype, np_type = dtype_of(tensor)
    q = tensor.quantization
    scales = [] if q is None or q.scale is None else [exact_float(s) for s in q.scale]
    zero_points = [] if q is None or q.zeroPoint is None or not scales else [int(z) for z in q.zeroPoint]
    qdim = int(q.quantizedDimension) if q is not None and scales else 0
    array = np.asarray(data)
    shape = [int(d) for d in tensor.shape]
    if list(array.shape) != shape:
        raise OracleError(f"data shape {list(array.shape)} differs from stored shape {shape}")
    if array.dtype != np.dtype(np_type):
        raise OracleError(f"data type {array.dtype} differs from stored type {dtype}")
    flat = array.ravel(order="C")
    values = [exact_float(v) for v in flat] if dtype == "float32" else [int(v) for v in flat]
    return {
        "shape": shape,
        "dtype": dtype,
        "scale": scales,
        "zero_point": zero_points,
        "quantized_dimension": qdim,
        "data": values,
    }


def single_op_model(model, op_index):
    """A copy of `model` reduced to operator `op_index`; its non-constant inputs become graph inputs.

    Tensors are renumbered to those the operator touches; signatures are dropped (they name tensor
    indices of the original graph).
    """
    new = copy.deepcopy(model)
    subgraph = new.subgraphs[0]
    op = subgraph.operators[op_index]
    used = [t for t in list(op.inputs) + list(op.outputs) if t >= 0]
    remap = {old: new_index for new_index, old in enumerate(dict.fromkeys(used))}
    subgraph.tensors = [subgraph.tensors[old] for old in remap]
    op.inputs = np.array([remap[t] if t >= 0 else -1 for t in op.inputs], dtype=np.int32)
    op.outputs = np.array([remap[t] for t in op.outputs], dtype=np.int32)
    subgraph.operators = [op]
    subgraph.inputs = np.array(
        [remap[t] for t in model.subgraphs[0].operators[op_index].inputs if t >= 0 and constant_data(model, t) is None],
        dtype=np.int32,
    )
    subgraph.outputs = np.array(list(op.outputs), dtype=np.int32)
    new.signatureDefs = []
    return new


def graph_inputs_of_op(model):
    """Checks the graph is one operator whose non-constant inputs are exactly the graph inputs."""
    subgraph = model.subgraphs[0]
    if len(subgraph.operators) != 1:
        raise OracleError(f"expected one operator, got {op_names(model)}")
    op = subgraph.operators[0]
    variable = [t for t in op.inputs if t >= 0 and constant_data(model, t) is None]
    if sorted(variable) != sorted(subgraph.inputs) or list(op.outputs) != list(subgraph.outputs):
        raise OracleError("operator inputs/outputs are not the graph inputs/outputs")
    return op


class Oracle:
    """A model loaded in the TFLM Python interpreter."""

    def __init__(self, model_bytes, arena_bytes=DEFAULT_ARENA_BYTES):
        self.output_count = len(parse_model(model_bytes).subgraphs[0].outputs)
        self.interpreter = runtime.Interpreter.from_bytes(model_bytes, arena_size=arena_bytes)

    def run(self, inputs):
        """Runs one inference; `inputs` in graph-input order, returns the outputs in graph-output order."""
        for index, value in enumerate(inputs):
            self.interpreter.set_input(value, index)
        self.interpreter.invoke()
        return [np.array(self.interpreter.get_output(i)) for i in range(self.output_count)]

    def arena_bytes_used(self):
        """TFLM's recorded arena total, parsed from print_allocations() (written to the C++ stderr)."""
        read_end, write_end = os.pipe()
        sys.stderr.flush()
        saved = os.dup(2)
        os.dup2(write_end, 2)
        try:
            self.interpreter.print_allocations()
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            os.close(write_end)
        with os.fdopen(read_end, "r") as pipe:
            report = pipe.read()
        match = re.search(r"Arena allocation total (\d+) bytes", report)
        if match is None:
            raise OracleError("print_allocations() reported no arena total")
        return int(match.group(1))


def versions():
    import tflite_micro.python.tflite_micro._version as tflm_version

    return {
        "tflite_micro": tflm_version.__version__,
        "tensorflow": tf.__version__,
        "numpy": np.__version__,
    }


def int8_input(rng, shape, mode, zero_point):
    """Random int8 activations. Modes: 'uniform' over the whole range; 'narrow' near the zero point
    (typical of the calibration data); 'extreme' half saturated at -128/127 (drives clamps)."""
    if mode == "uniform":
        values = rng.integers(-128, 128, size=shape)
    elif mode == "narrow":
        values = np.rint(zero_point + 16.0 * rng.standard_normal(shape))
    elif mode == "extreme":
        edges = rng.choice(np.array([-128, 127]), size=shape)
        values = np.where(rng.random(shape) < 0.5, edges, rng.integers(-128, 128, size=shape))
    else:
        raise ValueError(f"unknown input mode {mode!r}")
    return np.clip(values, -128, 127).astype(np.int8)


def int16_input(rng, shape, mode):
    """Random int16 activations (zero point 0). Modes as int8_input: 'uniform' over the whole
    range; 'narrow' a few thousand around 0; 'extreme' half saturated at -32768/32767."""
    if mode == "uniform":
        values = rng.integers(-32768, 32768, size=shape)
    elif mode == "narrow":
        values = np.rint(3000.0 * rng.standard_normal(shape))
    elif mode == "extreme":
        edges = rng.choice(np.array([-32768, 32767]), size=shape)
        values = np.where(rng.random(shape) < 0.5, edges, rng.integers(-32768, 32768, size=shape))
    else:
        raise ValueError(f"unknown input mode {mode!r}")
    return np.clip(values, -32768, 32767).astype(np.int16)


def random_feeds(model, rng, mode):
    """One random value per graph input of `model`: int16 (zero point 0) or int8 at the input's
    zero point, drawn in `mode` (see int8_input)."""
    subgraph = model.subgraphs[0]
    feeds = []
    for t in subgraph.inputs:
        tensor = subgraph.tensors[t]
        shape = tuple(int(d) for d in tensor.shape)
        if tensor.type == fb.TensorType.INT16:
            feeds.append(int16_input(rng, shape, mode))
        else:
            feeds.append(int8_input(rng, shape, mode, int(tensor.quantization.zeroPoint[0])))
    return feeds


def io_json(model, feeds, outputs):
    """One recorded run: {"input": [TENSOR], "output": [TENSOR]} in graph order."""
    subgraph = model.subgraphs[0]
    return {
        "input": [tensor_json(model, int(t), v) for t, v in zip(subgraph.inputs, feeds, strict=True)],
        "output": [tensor_json(model, int(t), v) for t, v in zip(subgraph.outputs, outputs, strict=True)],
    }


def write_network_vectors(out, name, model_bytes, cases, arena, ops):
    """Writes <name>.tflite and <name>.json (one case per line) into `out`."""
    (out / f"{name}.tflite").write_bytes(model_bytes)
    lines = [json.dumps(case, separators=(",", ":")) for case in cases]
    head = {"model": f"{name}.tflite", "tflm_arena_bytes": arena, "ops": sorted(set(ops))}
    (out / f"{name}.json").write_text(json.dumps(head)[:-1] + ',"cases":[\n' + ",\n".join(lines) + "\n]}\n")
