//! Decoding a verified flatbuffer into the plain [`Model`] description, with an allocation budget.
//!
//! Per-element checks that need only local context (negative dimensions, out-of-range tensor and
//! opcode indices, option enum values, unsupported features) are done here, where the operator or
//! tensor being decoded is known; cross-object invariants are in [`super::validate`].

use super::error::ReadError;
use super::fb::{Fault, Table, VecRef};
use super::model::{
    Activation, Buffer, BuiltinOp, BuiltinOptions, Conv2dOptions, DepthwiseConv2dOptions,
    FullyConnectedOptions, Model, Operator, OperatorCode, Padding, Pool2dOptions, Quantization,
    StridedSliceOptions, Subgraph, Tensor, TensorType, TransposeConvOptions, WeightsFormat,
};
use super::schema::{
    buffer, model, operator, operator_code, options, options_type, quantization, subgraph, tensor,
};

/// Bytes of decoded data the reader may allocate per byte of input.
pub(crate) const BUDGET_PER_INPUT_BYTE: usize = 64;
/// Bytes of decoded data the reader may allocate regardless of the input size.
pub(crate) const BUDGET_BASE: usize = 1 << 20;

/// Decoding state: the file and the remaining allocation budget.
struct Decoder<'a> {
    buf: &'a [u8],
    limit: usize,
    spent: usize,
}

impl<'a> Decoder<'a> {
    fn fault(&self, f: Fault) -> ReadError {
        ReadError::OutOfBounds {
            what: f.what,
            pos: f.pos,
            len: self.buf.len(),
        }
    }

    /// Reserves room for `n` values of `T` against the budget.
    fn charge<T>(&mut self, n: usize, what: impl FnOnce() -> String) -> Result<(), ReadError> {
        let bytes = n.saturating_mul(core::mem::size_of::<T>().max(1));
        let spent = self.spent.saturating_add(bytes);
        if spent > self.limit {
            return Err(ReadError::TooLarge {
                what: what(),
                limit: self.limit,
                len: self.buf.len(),
            });
        }
        self.spent = spent;
        Ok(())
    }

    fn string(&mut self, s: Option<&str>, what: &str) -> Result<Option<String>, ReadError> {
        match s {
            Some(s) => {
                self.charge::<u8>(s.len(), || format!("{what} ({} bytes)", s.len()))?;
                Ok(Some(s.to_owned()))
            }
            None => Ok(None),
        }
    }

    /// A vector of `i32` copied out (absent = empty).
    fn i32s(&mut self, v: Option<VecRef<'a>>, what: &str) -> Result<Vec<i32>, ReadError> {
        let Some(v) = v else { return Ok(Vec::new()) };
        self.charge::<i32>(v.len(), || format!("{what} ({} entries)", v.len()))?;
        let mut out = Vec::with_capacity(v.len());
        for i in 0..v.len() {
            out.push(
                v.scalar::<i32>(i, "int vector element")
                    .map_err(|f| self.fault(f))?,
            );
        }
        Ok(out)
    }
}

/// Decodes the model rooted in `buf` (already checked by the flatbuffers verifier).
pub(crate) fn decode(buf: &[u8]) -> Result<Model, ReadError> {
    let limit = buf
        .len()
        .saturating_mul(BUDGET_PER_INPUT_BYTE)
        .saturating_add(BUDGET_BASE);
    let mut d = Decoder {
        buf,
        limit,
        spent: 0,
    };
    let root = Table::root(buf).map_err(|f| d.fault(f))?;
    let f = |e: Fault| ReadError::OutOfBounds {
        what: e.what,
        pos: e.pos,
        len: buf.len(),
    };

    let version = root
        .scalar::<u32>(model::VERSION, 0, "Model.version")
        .map_err(f)?;
    let description = root
        .string(model::DESCRIPTION, "Model.description")
        .map_err(f)?;
    let description = d.string(description, "model description")?;

    let operator_codes = decode_opcodes(&mut d, root)?;
    let buffers = decode_buffers(&mut d, root)?;

    let subgraphs_vec = root
        .vector(model::SUBGRAPHS, 4, "Model.subgraphs")
        .map_err(f)?;
    let count = subgraphs_vec.map_or(0, |v| v.len());
    let Some(subgraphs_vec) = subgraphs_vec.filter(|_| count == 1) else {
        return Err(ReadError::SubgraphCount { count });
    };
    let sg = subgraphs_vec.table(0, "SubGraph").map_err(f)?;
    let subgraph = decode_subgraph(&mut d, sg, &operator_codes)?;

    Ok(Model {
        version,
        description,
        subgraphs: vec![subgraph],
        operator_codes,
        buffers,
    })
}

fn decode_opcodes<'a>(
    d: &mut Decoder<'a>,
    root: Table<'a>,
) -> Result<Vec<OperatorCode>, ReadError> {
    let Some(v) = root
        .vector(model::OPERATOR_CODES, 4, "Model.operator_codes")
        .map_err(|f| d.fault(f))?
    else {
        return Ok(Vec::new());
    };
    d.charge::<OperatorCode>(v.len(), || {
        format!("operator code list ({} entries)", v.len())
    })?;
    let mut out = Vec::with_capacity(v.len());
    for i in 0..v.len() {
        let t = v.table(i, "OperatorCode").map_err(|f| d.fault(f))?;
        let read = || -> Result<_, Fault> {
            let deprecated = t.scalar::<i8>(
                operator_code::DEPRECATED_BUILTIN_CODE,
                0,
                "OperatorCode.deprecated_builtin_code",
            )?;
            let code =
                t.scalar::<i32>(operator_code::BUILTIN_CODE, 0, "OperatorCode.builtin_code")?;
            let version = t.scalar::<i32>(operator_code::VERSION, 1, "OperatorCode.version")?;
            let custom = t.string(operator_code::CUSTOM_CODE, "OperatorCode.custom_code")?;
            Ok((deprecated, code, version, custom))
        };
        let (deprecated, code, version, custom) = read().map_err(|f| d.fault(f))?;
        let custom_code = d.string(custom, "custom operator code")?;
        // The schema keeps the old byte code for codes below 127 and the 32-bit code for the rest;
        // the larger of the two is the operator.
        let builtin = BuiltinOp::from_code(i32::from(deprecated).max(code));
        out.push(OperatorCode {
            builtin,
            custom_code,
            version,
        });
    }
    Ok(out)
}

fn decode_buffers<'a>(d: &mut Decoder<'a>, root: Table<'a>) -> Result<Vec<Buffer>, ReadError> {
    let Some(v) = root
        .vector(model::BUFFERS, 4, "Model.buffers")
        .map_err(|f| d.fault(f))?
    else {
        return Ok(Vec::new());
    };
    d.charge::<Buffer>(v.len(), || format!("buffer list ({} entries)", v.len()))?;
    let mut out = Vec::with_capacity(v.len());
    for i in 0..v.len() {
        let t = v.table(i, "Buffer").map_err(|f| d.fault(f))?;
        let read = || -> Result<_, Fault> {
            let data = t.vector(buffer::DATA, 1, "Buffer.data")?;
            let offset = t.scalar::<u64>(buffer::OFFSET, 0, "Buffer.offset")?;
            let size = t.scalar::<u64>(buffer::SIZE, 0, "Buffer.size")?;
            Ok((data.map_or(&[][..], |v| v.bytes()), offset, size))
        };
        let (inline, offset, size) = read().map_err(|f| d.fault(f))?;
        // The schema reserves offsets 0 and 1 for "no external data".
        let (bytes, external) = if offset > 1 {
            if !inline.is_empty() {
                return Err(ReadError::ExternalBuffer {
                    buffer: i,
                    problem: format!(
                        "has both {} bytes of inline data and external data at offset {offset}",
                        inline.len()
                    ),
                });
            }
            let file_len = d.buf.len();
            let range = usize::try_from(offset)
                .ok()
                .zip(usize::try_from(size).ok())
                .and_then(|(o, s)| Some(o..o.checked_add(s)?))
                .filter(|r| r.end <= file_len);
            let Some(bytes) = range.and_then(|r| d.buf.get(r)) else {
                return Err(ReadError::ExternalBuffer {
                    buffer: i,
                    problem: format!(
                        "external data at offset {offset} with size {size} lies outside the {file_len}-byte file"
                    ),
                });
            };
            (bytes, true)
        } else {
            (inline, false)
        };
        d.charge::<u8>(bytes.len(), || {
            format!("buffer {i} ({} bytes)", bytes.len())
        })?;
        out.push(Buffer {
            data: bytes.to_vec(),
            external,
        });
    }
    Ok(out)
}

fn decode_subgraph<'a>(
    d: &mut Decoder<'a>,
    sg: Table<'a>,
    opcodes: &[OperatorCode],
) -> Result<Subgraph, ReadError> {
    let name = sg
        .string(subgraph::NAME, "SubGraph.name")
        .map_err(|f| d.fault(f))?;
    let name = d.string(name, "subgraph name")?;

    let tensors = match sg
        .vector(subgraph::TENSORS, 4, "SubGraph.tensors")
        .map_err(|f| d.fault(f))?
    {
        Some(v) => {
            d.charge::<Tensor>(v.len(), || format!("tensor list ({} entries)", v.len()))?;
            let mut out = Vec::with_capacity(v.len());
            for i in 0..v.len() {
                let t = v.table(i, "Tensor").map_err(|f| d.fault(f))?;
                out.push(decode_tensor(d, t, i)?);
            }
            out
        }
        None => Vec::new(),
    };
    let count = tensors.len();

    let index_list = |d: &mut Decoder<'a>, field, what: &str| -> Result<Vec<usize>, ReadError> {
        let v = sg
            .vector(field, 4, "SubGraph inputs/outputs")
            .map_err(|f| d.fault(f))?;
        let raw = d.i32s(v, what)?;
        raw.iter()
            .enumerate()
            .map(|(k, &index)| tensor_index(index, count, || format!("subgraph {what} {k}")))
            .collect()
    };
    let inputs = index_list(d, subgraph::INPUTS, "input")?;
    let outputs = index_list(d, subgraph::OUTPUTS, "output")?;

    let operators = match sg
        .vector(subgraph::OPERATORS, 4, "SubGraph.operators")
        .map_err(|f| d.fault(f))?
    {
        Some(v) => {
            d.charge::<Operator>(v.len(), || format!("operator list ({} entries)", v.len()))?;
            let mut out = Vec::with_capacity(v.len());
            for i in 0..v.len() {
                let t = v.table(i, "Operator").map_err(|f| d.fault(f))?;
                out.push(decode_operator(d, t, i, opcodes, count)?);
            }
            out
        }
        None => Vec::new(),
    };

    Ok(Subgraph {
        name,
        tensors,
        inputs,
        outputs,
        operators,
    })
}

/// Checks a tensor index read from the file.
fn tensor_index(
    index: i32,
    count: usize,
    location: impl FnOnce() -> String,
) -> Result<usize, ReadError> {
    match usize::try_from(index) {
        Ok(i) if i < count => Ok(i),
        _ => Err(ReadError::TensorIndex {
            location: location(),
            index: i64::from(index),
            count,
        }),
    }
}

fn decode_tensor<'a>(d: &mut Decoder<'a>, t: Table<'a>, index: usize) -> Result<Tensor, ReadError> {
    let read = || -> Result<_, Fault> {
        Ok((
            t.vector(tensor::SHAPE, 4, "Tensor.shape")?,
            t.scalar::<i8>(tensor::TYPE, 0, "Tensor.type")?,
            t.scalar::<u32>(tensor::BUFFER, 0, "Tensor.buffer")?,
            t.string(tensor::NAME, "Tensor.name")?,
            t.table(tensor::QUANTIZATION, "Tensor.quantization")?,
            t.scalar::<u8>(tensor::IS_VARIABLE, 0, "Tensor.is_variable")?,
            t.has(tensor::SPARSITY, "Tensor.sparsity")?,
        ))
    };
    let (shape, dtype, buffer, name, quant, is_variable, sparsity) =
        read().map_err(|f| d.fault(f))?;
    let name = d.string(name, "tensor name")?.unwrap_or_default();
    if sparsity {
        return Err(ReadError::Unsupported {
            location: format!("tensor {index} {name:?}"),
            what: "sparse tensor storage (SparsityParameters)".to_owned(),
        });
    }
    let raw_shape = d.i32s(shape, "tensor shape")?;
    let mut shape = Vec::with_capacity(raw_shape.len());
    for (axis, &dim) in raw_shape.iter().enumerate() {
        let Ok(dim) = usize::try_from(dim) else {
            return Err(ReadError::Shape {
                tensor: index,
                name,
                problem: format!("dimension {axis} of shape {raw_shape:?} is negative ({dim})"),
            });
        };
        shape.push(dim);
    }
    let quantization = match quant {
        Some(q) => decode_quantization(d, q, index, &name)?,
        None => None,
    };
    Ok(Tensor {
        name,
        shape,
        dtype: TensorType::from_code(dtype),
        buffer: usize::try_from(buffer).unwrap_or(usize::MAX),
        quantization,
        is_variable: is_variable != 0,
    })
}

fn decode_quantization<'a>(
    d: &mut Decoder<'a>,
    q: Table<'a>,
    index: usize,
    name: &str,
) -> Result<Option<Quantization>, ReadError> {
    let read = || -> Result<_, Fault> {
        Ok((
            q.vector(quantization::SCALE, 4, "QuantizationParameters.scale")?,
            q.vector(
                quantization::ZERO_POINT,
                8,
                "QuantizationParameters.zero_point",
            )?,
            q.scalar::<u8>(
                quantization::DETAILS_TYPE,
                0,
                "QuantizationParameters.details_type",
            )?,
            q.scalar::<i32>(
                quantization::QUANTIZED_DIMENSION,
                0,
                "QuantizationParameters.quantized_dimension",
            )?,
        ))
    };
    let (scale_v, zp_v, details, qdim) = read().map_err(|f| d.fault(f))?;
    if details != 0 {
        return Err(ReadError::Unsupported {
            location: format!("tensor {index} {name:?}"),
            what: format!("custom quantization details (union type {details})"),
        });
    }
    let n_scale = scale_v.map_or(0, |v| v.len());
    let n_zp = zp_v.map_or(0, |v| v.len());
    if n_scale == 0 && n_zp == 0 {
        return Ok(None);
    }
    d.charge::<f32>(n_scale, || {
        format!("scales of tensor {index} ({n_scale} entries)")
    })?;
    d.charge::<i64>(n_zp, || {
        format!("zero points of tensor {index} ({n_zp} entries)")
    })?;
    let mut scale = Vec::with_capacity(n_scale);
    if let Some(v) = scale_v {
        for i in 0..v.len() {
            scale.push(v.scalar::<f32>(i, "scale").map_err(|f| d.fault(f))?);
        }
    }
    let mut zero_point = Vec::with_capacity(n_zp);
    if let Some(v) = zp_v {
        for i in 0..v.len() {
            zero_point.push(v.scalar::<i64>(i, "zero point").map_err(|f| d.fault(f))?);
        }
    }
    let Ok(quantized_dimension) = usize::try_from(qdim) else {
        return Err(ReadError::Quantization {
            tensor: index,
            name: name.to_owned(),
            problem: format!("quantized_dimension is negative ({qdim})"),
        });
    };
    Ok(Some(Quantization {
        scale,
        zero_point,
        quantized_dimension,
    }))
}

fn decode_operator<'a>(
    d: &mut Decoder<'a>,
    t: Table<'a>,
    index: usize,
    opcodes: &[OperatorCode],
    tensor_count: usize,
) -> Result<Operator, ReadError> {
    let read = || -> Result<_, Fault> {
        Ok((
            t.scalar::<u32>(operator::OPCODE_INDEX, 0, "Operator.opcode_index")?,
            t.vector(operator::INPUTS, 4, "Operator.inputs")?,
            t.vector(operator::OUTPUTS, 4, "Operator.outputs")?,
            t.scalar::<u8>(
                operator::BUILTIN_OPTIONS_TYPE,
                0,
                "Operator.builtin_options_type",
            )?,
            t.table(operator::BUILTIN_OPTIONS, "Operator.builtin_options")?,
        ))
    };
    let (opcode, inputs, outputs, options_type, options_table) = read().map_err(|f| d.fault(f))?;
    let code = usize::try_from(opcode)
        .ok()
        .and_then(|i| opcodes.get(i).map(|c| (i, c)));
    let Some((opcode_index, code)) = code else {
        return Err(ReadError::OpcodeIndex {
            op: index,
            index: opcode,
            count: opcodes.len(),
        });
    };
    let op_name = code.name();

    let raw_inputs = d.i32s(inputs, "operator inputs")?;
    let mut ins = Vec::with_capacity(raw_inputs.len());
    for (k, &ti) in raw_inputs.iter().enumerate() {
        if ti == -1 {
            ins.push(None);
        } else {
            let loc = || format!("operator {index} ({op_name}) input {k}");
            ins.push(Some(tensor_index(ti, tensor_count, loc)?));
        }
    }
    let raw_outputs = d.i32s(outputs, "operator outputs")?;
    let mut outs = Vec::with_capacity(raw_outputs.len());
    for (k, &ti) in raw_outputs.iter().enumerate() {
        let loc = || format!("operator {index} ({op_name}) output {k}");
        outs.push(tensor_index(ti, tensor_count, loc)?);
    }

    let options = match options_table {
        Some(table) if options_type != 0 => {
            decode_options(d, options_type, table).map_err(|e| match e {
                OptError::Fault(f) => d.fault(f),
                OptError::Bad(problem) => ReadError::Options {
                    op: index,
                    op_name: op_name.clone(),
                    problem,
                },
                OptError::Read(e) => e,
            })?
        }
        _ => BuiltinOptions::None,
    };

    Ok(Operator {
        opcode_index,
        inputs: ins,
        outputs: outs,
        options,
    })
}

enum OptError {
    Fault(Fault),
    Bad(String),
    Read(ReadError),
}

impl From<Fault> for OptError {
    fn from(f: Fault) -> Self {
        Self::Fault(f)
    }
}

fn padding(code: i8) -> Result<Padding, OptError> {
    match code {
        0 => Ok(Padding::Same),
        1 => Ok(Padding::Valid),
        other => Err(OptError::Bad(format!(
            "padding code {other} is neither SAME (0) nor VALID (1)"
        ))),
    }
}

fn activation(code: i8) -> Result<Activation, OptError> {
    match code {
        0 => Ok(Activation::None),
        1 => Ok(Activation::Relu),
        2 => Ok(Activation::ReluN1To1),
        3 => Ok(Activation::Relu6),
        4 => Ok(Activation::Tanh),
        5 => Ok(Activation::SignBit),
        other => Err(OptError::Bad(format!(
            "fused activation code {other} is not a known activation (0..=5)"
        ))),
    }
}

fn decode_options<'a>(
    d: &mut Decoder<'a>,
    type_code: u8,
    t: Table<'a>,
) -> Result<BuiltinOptions, OptError> {
    use options as o;
    use options_type as ty;
    let i32f = |index, default, what| t.scalar::<i32>(index, default, what);
    let i8f = |index, what| t.scalar::<i8>(index, 0, what);
    let boolf = |index, what| t.scalar::<u8>(index, 0, what).map(|b| b != 0);
    Ok(match type_code {
        ty::CONV_2D => BuiltinOptions::Conv2d(Conv2dOptions {
            padding: padding(i8f(o::conv2d::PADDING, "Conv2DOptions.padding")?)?,
            stride_w: i32f(o::conv2d::STRIDE_W, 0, "Conv2DOptions.stride_w")?,
            stride_h: i32f(o::conv2d::STRIDE_H, 0, "Conv2DOptions.stride_h")?,
            activation: activation(i8f(o::conv2d::ACTIVATION, "Conv2DOptions.activation")?)?,
            dilation_w: i32f(o::conv2d::DILATION_W, 1, "Conv2DOptions.dilation_w_factor")?,
            dilation_h: i32f(o::conv2d::DILATION_H, 1, "Conv2DOptions.dilation_h_factor")?,
        }),
        ty::DEPTHWISE_CONV_2D => BuiltinOptions::DepthwiseConv2d(DepthwiseConv2dOptions {
            padding: padding(i8f(
                o::depthwise::PADDING,
                "DepthwiseConv2DOptions.padding",
            )?)?,
            stride_w: i32f(o::depthwise::STRIDE_W, 0, "DepthwiseConv2DOptions.stride_w")?,
            stride_h: i32f(o::depthwise::STRIDE_H, 0, "DepthwiseConv2DOptions.stride_h")?,
            depth_multiplier: i32f(
                o::depthwise::DEPTH_MULTIPLIER,
                0,
                "DepthwiseConv2DOptions.depth_multiplier",
            )?,
            activation: activation(i8f(
                o::depthwise::ACTIVATION,
                "DepthwiseConv2DOptions.activation",
            )?)?,
            dilation_w: i32f(
                o::depthwise::DILATION_W,
                1,
                "DepthwiseConv2DOptions.dilation_w",
            )?,
            dilation_h: i32f(
                o::depthwise::DILATION_H,
                1,
                "DepthwiseConv2DOptions.dilation_h",
            )?,
        }),
        ty::POOL_2D => BuiltinOptions::Pool2d(Pool2dOptions {
            padding: padding(i8f(o::pool2d::PADDING, "Pool2DOptions.padding")?)?,
            stride_w: i32f(o::pool2d::STRIDE_W, 0, "Pool2DOptions.stride_w")?,
            stride_h: i32f(o::pool2d::STRIDE_H, 0, "Pool2DOptions.stride_h")?,
            filter_width: i32f(o::pool2d::FILTER_W, 0, "Pool2DOptions.filter_width")?,
            filter_height: i32f(o::pool2d::FILTER_H, 0, "Pool2DOptions.filter_height")?,
            activation: activation(i8f(o::pool2d::ACTIVATION, "Pool2DOptions.activation")?)?,
        }),
        ty::FULLY_CONNECTED => {
            let wf = i8f(
                o::fully_connected::WEIGHTS_FORMAT,
                "FullyConnectedOptions.weights_format",
            )?;
            BuiltinOptions::FullyConnected(FullyConnectedOptions {
                activation: activation(i8f(
                    o::fully_connected::ACTIVATION,
                    "FullyConnectedOptions.activation",
                )?)?,
                weights_format: match wf {
                    0 => WeightsFormat::Default,
                    1 => WeightsFormat::Shuffled4x16Int8,
                    other => {
                        return Err(OptError::Bad(format!(
                            "fully-connected weights format code {other} is neither DEFAULT (0) nor SHUFFLED4x16INT8 (1)"
                        )))
                    }
                },
                keep_num_dims: boolf(
                    o::fully_connected::KEEP_NUM_DIMS,
                    "FullyConnectedOptions.keep_num_dims",
                )?,
            })
        }
        ty::UNIDIRECTIONAL_SEQUENCE_LSTM => BuiltinOptions::UnidirectionalSequenceLstm {
            activation: activation(i8f(
                o::lstm::ACTIVATION,
                "UnidirectionalSequenceLSTMOptions.fused_activation_function",
            )?)?,
            cell_clip: t.scalar::<f32>(
                o::lstm::CELL_CLIP,
                0.0,
                "UnidirectionalSequenceLSTMOptions.cell_clip",
            )?,
            proj_clip: t.scalar::<f32>(
                o::lstm::PROJ_CLIP,
                0.0,
                "UnidirectionalSequenceLSTMOptions.proj_clip",
            )?,
            time_major: boolf(
                o::lstm::TIME_MAJOR,
                "UnidirectionalSequenceLSTMOptions.time_major",
            )?,
            asymmetric_quantize_inputs: boolf(
                o::lstm::ASYMMETRIC_QUANTIZE_INPUTS,
                "UnidirectionalSequenceLSTMOptions.asymmetric_quantize_inputs",
            )?,
        },
        ty::SVDF => BuiltinOptions::Svdf {
            rank: i32f(o::svdf::RANK, 0, "SVDFOptions.rank")?,
            activation: activation(i8f(
                o::svdf::ACTIVATION,
                "SVDFOptions.fused_activation_function",
            )?)?,
            asymmetric_quantize_inputs: boolf(
                o::svdf::ASYMMETRIC_QUANTIZE_INPUTS,
                "SVDFOptions.asymmetric_quantize_inputs",
            )?,
        },
        ty::SOFTMAX => BuiltinOptions::Softmax {
            beta: t.scalar::<f32>(o::softmax::BETA, 0.0, "SoftmaxOptions.beta")?,
        },
        ty::LEAKY_RELU => BuiltinOptions::LeakyRelu {
            alpha: t.scalar::<f32>(o::leaky_relu::ALPHA, 0.0, "LeakyReluOptions.alpha")?,
        },
        ty::CONCATENATION => BuiltinOptions::Concatenation {
            axis: i32f(o::concatenation::AXIS, 0, "ConcatenationOptions.axis")?,
            activation: activation(i8f(
                o::concatenation::ACTIVATION,
                "ConcatenationOptions.activation",
            )?)?,
        },
        ty::ADD => BuiltinOptions::Add {
            activation: activation(i8f(o::add_mul::ACTIVATION, "AddOptions.activation")?)?,
        },
        ty::MUL => BuiltinOptions::Mul {
            activation: activation(i8f(o::add_mul::ACTIVATION, "MulOptions.activation")?)?,
        },
        ty::SUB => BuiltinOptions::Sub {
            activation: activation(i8f(o::sub::ACTIVATION, "SubOptions.activation")?)?,
        },
        ty::RESHAPE => {
            let v = t.vector(o::reshape::NEW_SHAPE, 4, "ReshapeOptions.new_shape")?;
            let new_shape = match v {
                Some(v) => Some(
                    d.i32s(Some(v), "reshape new_shape")
                        .map_err(OptError::Read)?,
                ),
                None => None,
            };
            BuiltinOptions::Reshape { new_shape }
        }
        ty::REDUCER => BuiltinOptions::Reducer {
            keep_dims: boolf(o::reducer::KEEP_DIMS, "ReducerOptions.keep_dims")?,
        },
        ty::STRIDED_SLICE => BuiltinOptions::StridedSlice(StridedSliceOptions {
            begin_mask: i32f(
                o::strided_slice::BEGIN_MASK,
                0,
                "StridedSliceOptions.begin_mask",
            )?,
            end_mask: i32f(
                o::strided_slice::END_MASK,
                0,
                "StridedSliceOptions.end_mask",
            )?,
            ellipsis_mask: i32f(
                o::strided_slice::ELLIPSIS_MASK,
                0,
                "StridedSliceOptions.ellipsis_mask",
            )?,
            new_axis_mask: i32f(
                o::strided_slice::NEW_AXIS_MASK,
                0,
                "StridedSliceOptions.new_axis_mask",
            )?,
            shrink_axis_mask: i32f(
                o::strided_slice::SHRINK_AXIS_MASK,
                0,
                "StridedSliceOptions.shrink_axis_mask",
            )?,
            offset: boolf(o::strided_slice::OFFSET, "StridedSliceOptions.offset")?,
        }),
        ty::TRANSPOSE_CONV => BuiltinOptions::TransposeConv(TransposeConvOptions {
            padding: padding(i8f(
                o::transpose_conv::PADDING,
                "TransposeConvOptions.padding",
            )?)?,
            stride_w: i32f(
                o::transpose_conv::STRIDE_W,
                0,
                "TransposeConvOptions.stride_w",
            )?,
            stride_h: i32f(
                o::transpose_conv::STRIDE_H,
                0,
                "TransposeConvOptions.stride_h",
            )?,
            activation: activation(i8f(
                o::transpose_conv::ACTIVATION,
                "TransposeConvOptions.fused_activation_function",
            )?)?,
            quantized_bias_type: TensorType::from_code(i8f(
                o::transpose_conv::QUANTIZED_BIAS_TYPE,
                "TransposeConvOptions.quantized_bias_type",
            )?),
        }),
        ty::RESIZE_NEAREST_NEIGHBOR => BuiltinOptions::ResizeNearestNeighbor {
            align_corners: boolf(
                o::resize_nearest::ALIGN_CORNERS,
                "ResizeNearestNeighborOptions.align_corners",
            )?,
            half_pixel_centers: boolf(
                o::resize_nearest::HALF_PIXEL_CENTERS,
                "ResizeNearestNeighborOptions.half_pixel_centers",
            )?,
        },
        ty::SPLIT | ty::SPLIT_V => BuiltinOptions::Split {
            num_splits: i32f(o::split::NUM_SPLITS, 0, "SplitOptions.num_splits")?,
        },
        ty::PACK => BuiltinOptions::Pack {
            values_count: i32f(o::pack::VALUES_COUNT, 0, "PackOptions.values_count")?,
            axis: i32f(o::pack::AXIS, 0, "PackOptions.axis")?,
        },
        ty::PAD => BuiltinOptions::Pad,
        ty::PAD_V2 => BuiltinOptions::PadV2,
        other => BuiltinOptions::NotDecoded { type_code: other },
    })
}
