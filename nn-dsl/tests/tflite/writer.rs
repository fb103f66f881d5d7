//! A small `.tflite` writer for tests (built on `flatbuffers::FlatBufferBuilder`).
//!
//! Every field is written raw, so tests can build both valid models and models that break one
//! invariant on purpose (out-of-range indices, negative dims, bad enum codes, ...). Field numbers
//! follow TensorFlow Lite's public schema (`schema.fbs`): a field's vtable slot is `4 + 2 * n`.
#![allow(dead_code)]

use flatbuffers::{FlatBufferBuilder, TableFinishedWIPOffset, WIPOffset};

type Fin = WIPOffset<TableFinishedWIPOffset>;

const fn slot(n: u16) -> u16 {
    4 + 2 * n
}

/// Quantisation parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct MQuant {
    pub scale: Vec<f32>,
    pub zero_point: Vec<i64>,
    pub quantized_dimension: i32,
}

impl MQuant {
    pub fn per_tensor(scale: f32, zero_point: i64) -> Self {
        Self {
            scale: vec![scale],
            zero_point: vec![zero_point],
            quantized_dimension: 0,
        }
    }
}

/// A tensor (raw fields).
#[derive(Debug, Clone, PartialEq)]
pub struct MTensor {
    pub name: Option<String>,
    pub shape: Vec<i32>,
    pub dtype: i8,
    pub buffer: u32,
    pub quant: Option<MQuant>,
    pub is_variable: bool,
    /// Write an (empty) `SparsityParameters` table.
    pub sparse: bool,
}

pub const FLOAT32: i8 = 0;
pub const INT32: i8 = 2;
pub const UINT8: i8 = 3;
pub const BOOL: i8 = 6;
pub const INT16: i8 = 7;
pub const INT8: i8 = 9;

impl MTensor {
    pub fn new(name: &str, shape: &[i32], dtype: i8, buffer: u32) -> Self {
        Self {
            name: Some(name.to_owned()),
            shape: shape.to_vec(),
            dtype,
            buffer,
            quant: None,
            is_variable: false,
            sparse: false,
        }
    }

    pub fn q(mut self, quant: MQuant) -> Self {
        self.quant = Some(quant);
        self
    }
}

/// Builtin options (raw codes).
#[derive(Debug, Clone, PartialEq)]
pub enum MOptions {
    None,
    Conv2d {
        padding: i8,
        stride_w: i32,
        stride_h: i32,
        act: i8,
        dilation_w: i32,
        dilation_h: i32,
    },
    Depthwise {
        padding: i8,
        stride_w: i32,
        stride_h: i32,
        depth_multiplier: i32,
        act: i8,
        dilation_w: i32,
        dilation_h: i32,
    },
    FullyConnected {
        act: i8,
        weights_format: i8,
        keep_num_dims: bool,
    },
    Pool2d {
        padding: i8,
        stride_w: i32,
        stride_h: i32,
        filter_w: i32,
        filter_h: i32,
        act: i8,
    },
    Softmax {
        beta: f32,
    },
    Concatenation {
        axis: i32,
        act: i8,
    },
    Add {
        act: i8,
    },
    Mul {
        act: i8,
    },
    Reshape {
        new_shape: Option<Vec<i32>>,
    },
    Reducer {
        keep_dims: bool,
    },
    StridedSlice {
        masks: [i32; 5],
    },
    Pack {
        values_count: i32,
        axis: i32,
    },
    Pad,
    PadV2,
    /// `StridedSliceOptions` with every mask 0 and `offset` set.
    StridedSliceOffset,
    ResizeNearestNeighbor {
        align_corners: bool,
        half_pixel_centers: bool,
    },
    /// `SplitOptions` (or `SplitVOptions` with `v`).
    Split {
        num_splits: i32,
        v: bool,
    },
    /// `TransposeConvOptions`.
    TransposeConv {
        padding: i8,
        stride_w: i32,
        stride_h: i32,
        act: i8,
        quantized_bias_type: i8,
    },
    /// An empty table tagged with an arbitrary union type code.
    Raw {
        type_code: u8,
    },
    /// The union type byte without a value (an inconsistent union).
    TypeWithoutValue {
        type_code: u8,
    },
}

/// An operator.
#[derive(Debug, Clone, PartialEq)]
pub struct MOp {
    pub opcode_index: u32,
    pub inputs: Vec<i32>,
    pub outputs: Vec<i32>,
    pub options: MOptions,
}

impl MOp {
    pub fn new(opcode_index: u32, inputs: &[i32], outputs: &[i32], options: MOptions) -> Self {
        Self {
            opcode_index,
            inputs: inputs.to_vec(),
            outputs: outputs.to_vec(),
            options,
        }
    }
}

/// An operator code.
#[derive(Debug, Clone, PartialEq)]
pub struct MOpcode {
    pub builtin: i32,
    pub custom: Option<String>,
    pub version: i32,
}

impl MOpcode {
    pub fn builtin(code: i32) -> Self {
        Self {
            builtin: code,
            custom: None,
            version: 1,
        }
    }
}

/// A subgraph.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MSubgraph {
    pub name: Option<String>,
    pub tensors: Vec<MTensor>,
    pub inputs: Vec<i32>,
    pub outputs: Vec<i32>,
    pub operators: Vec<MOp>,
}

/// A buffer.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MBuffer {
    pub data: Vec<u8>,
    pub offset: u64,
    pub size: u64,
}

impl MBuffer {
    pub fn empty() -> Self {
        Self::default()
    }

    pub fn data(bytes: Vec<u8>) -> Self {
        Self {
            data: bytes,
            offset: 0,
            size: 0,
        }
    }
}

/// A whole model.
#[derive(Debug, Clone, PartialEq)]
pub struct MModel {
    pub version: u32,
    pub description: Option<String>,
    pub opcodes: Vec<MOpcode>,
    /// `None` writes no `subgraphs` field at all.
    pub subgraphs: Option<Vec<MSubgraph>>,
    /// `None` writes no `buffers` field at all.
    pub buffers: Option<Vec<MBuffer>>,
    pub file_identifier: &'static str,
}

impl MModel {
    pub fn new(opcodes: Vec<MOpcode>, subgraph: MSubgraph, buffers: Vec<MBuffer>) -> Self {
        Self {
            version: 3,
            description: Some("nnd test model".to_owned()),
            opcodes,
            subgraphs: Some(vec![subgraph]),
            buffers: Some(buffers),
            file_identifier: "TFL3",
        }
    }

    pub fn sg(&mut self) -> &mut MSubgraph {
        match self.subgraphs.as_mut().and_then(|s| s.first_mut()) {
            Some(s) => s,
            None => panic!("model has no subgraph"),
        }
    }

    /// Serialises the model.
    pub fn build(&self) -> Vec<u8> {
        let mut fbb = FlatBufferBuilder::new();
        let root = write_model(&mut fbb, self);
        fbb.finish(root, Some(self.file_identifier));
        fbb.finished_data().to_vec()
    }
}

fn write_model(fbb: &mut FlatBufferBuilder<'_>, m: &MModel) -> Fin {
    let opcodes: Vec<Fin> = m.opcodes.iter().map(|c| write_opcode(fbb, c)).collect();
    let opcodes = fbb.create_vector(&opcodes);
    let subgraphs = m.subgraphs.as_ref().map(|sgs| {
        let v: Vec<Fin> = sgs.iter().map(|s| write_subgraph(fbb, s)).collect();
        fbb.create_vector(&v)
    });
    let buffers = m.buffers.as_ref().map(|bs| {
        let v: Vec<Fin> = bs.iter().map(|b| write_buffer(fbb, b)).collect();
        fbb.create_vector(&v)
    });
    let description = m.description.as_ref().map(|d| fbb.create_string(d));
    let start = fbb.start_table();
    fbb.push_slot::<u32>(slot(0), m.version, 0);
    fbb.push_slot_always(slot(1), opcodes);
    if let Some(s) = subgraphs {
        fbb.push_slot_always(slot(2), s);
    }
    if let Some(d) = description {
        fbb.push_slot_always(slot(3), d);
    }
    if let Some(b) = buffers {
        fbb.push_slot_always(slot(4), b);
    }
    fbb.end_table(start)
}

fn write_opcode(fbb: &mut FlatBufferBuilder<'_>, c: &MOpcode) -> Fin {
    let custom = c.custom.as_ref().map(|s| fbb.create_string(s));
    let start = fbb.start_table();
    // Like the converter: the byte code holds min(code, 127), the 32-bit field the real code.
    let deprecated = i8::try_from(c.builtin.clamp(0, 127)).unwrap_or(127);
    fbb.push_slot::<i8>(slot(0), deprecated, 0);
    if let Some(s) = custom {
        fbb.push_slot_always(slot(1), s);
    }
    fbb.push_slot::<i32>(slot(2), c.version, 1);
    fbb.push_slot::<i32>(slot(3), c.builtin, 0);
    fbb.end_table(start)
}

fn write_buffer(fbb: &mut FlatBufferBuilder<'_>, b: &MBuffer) -> Fin {
    let data = if b.data.is_empty() {
        None
    } else {
        Some(fbb.create_vector(&b.data))
    };
    let start = fbb.start_table();
    if let Some(d) = data {
        fbb.push_slot_always(slot(0), d);
    }
    fbb.push_slot::<u64>(slot(1), b.offset, 0);
    fbb.push_slot::<u64>(slot(2), b.size, 0);
    fbb.end_table(start)
}

fn write_subgraph(fbb: &mut FlatBufferBuilder<'_>, s: &MSubgraph) -> Fin {
    let tensors: Vec<Fin> = s.tensors.iter().map(|t| write_tensor(fbb, t)).collect();
    let tensors = fbb.create_vector(&tensors);
    let inputs = fbb.create_vector(&s.inputs);
    let outputs = fbb.create_vector(&s.outputs);
    let ops: Vec<Fin> = s.operators.iter().map(|o| write_op(fbb, o)).collect();
    let ops = fbb.create_vector(&ops);
    let name = s.name.as_ref().map(|n| fbb.create_string(n));
    let start = fbb.start_table();
    fbb.push_slot_always(slot(0), tensors);
    fbb.push_slot_always(slot(1), inputs);
    fbb.push_slot_always(slot(2), outputs);
    fbb.push_slot_always(slot(3), ops);
    if let Some(n) = name {
        fbb.push_slot_always(slot(4), n);
    }
    fbb.end_table(start)
}

fn write_tensor(fbb: &mut FlatBufferBuilder<'_>, t: &MTensor) -> Fin {
    let shape = fbb.create_vector(&t.shape);
    let name = t.name.as_ref().map(|n| fbb.create_string(n));
    let quant = t.quant.as_ref().map(|q| {
        let scale = fbb.create_vector(&q.scale);
        let zp = fbb.create_vector(&q.zero_point);
        let start = fbb.start_table();
        fbb.push_slot_always(slot(2), scale);
        fbb.push_slot_always(slot(3), zp);
        fbb.push_slot::<i32>(slot(6), q.quantized_dimension, 0);
        fbb.end_table(start)
    });
    let sparsity = if t.sparse {
        let start = fbb.start_table();
        Some(fbb.end_table(start))
    } else {
        None
    };
    let start = fbb.start_table();
    fbb.push_slot_always(slot(0), shape);
    fbb.push_slot::<i8>(slot(1), t.dtype, 0);
    fbb.push_slot::<u32>(slot(2), t.buffer, 0);
    if let Some(n) = name {
        fbb.push_slot_always(slot(3), n);
    }
    if let Some(q) = quant {
        fbb.push_slot_always(slot(4), q);
    }
    fbb.push_slot::<bool>(slot(5), t.is_variable, false);
    if let Some(s) = sparsity {
        fbb.push_slot_always(slot(6), s);
    }
    fbb.end_table(start)
}

/// Writes the options table; returns (union type code, table).
fn write_options(fbb: &mut FlatBufferBuilder<'_>, o: &MOptions) -> Option<(u8, Option<Fin>)> {
    let (code, table) = match o {
        MOptions::None => return None,
        MOptions::TypeWithoutValue { type_code } => return Some((*type_code, None)),
        MOptions::Conv2d {
            padding,
            stride_w,
            stride_h,
            act,
            dilation_w,
            dilation_h,
        } => {
            let s = fbb.start_table();
            fbb.push_slot::<i8>(slot(0), *padding, 0);
            fbb.push_slot::<i32>(slot(1), *stride_w, 0);
            fbb.push_slot::<i32>(slot(2), *stride_h, 0);
            fbb.push_slot::<i8>(slot(3), *act, 0);
            fbb.push_slot::<i32>(slot(4), *dilation_w, 1);
            fbb.push_slot::<i32>(slot(5), *dilation_h, 1);
            (1, fbb.end_table(s))
        }
        MOptions::Depthwise {
            padding,
            stride_w,
            stride_h,
            depth_multiplier,
            act,
            dilation_w,
            dilation_h,
        } => {
            let s = fbb.start_table();
            fbb.push_slot::<i8>(slot(0), *padding, 0);
            fbb.push_slot::<i32>(slot(1), *stride_w, 0);
            fbb.push_slot::<i32>(slot(2), *stride_h, 0);
            fbb.push_slot::<i32>(slot(3), *depth_multiplier, 0);
            fbb.push_slot::<i8>(slot(4), *act, 0);
            fbb.push_slot::<i32>(slot(5), *dilation_w, 1);
            fbb.push_slot::<i32>(slot(6), *dilation_h, 1);
            (2, fbb.end_table(s))
        }
        MOptions::Pool2d {
            padding,
            stride_w,
            stride_h,
            filter_w,
            filter_h,
            act,
        } => {
            let s = fbb.start_table();
            fbb.push_slot::<i8>(slot(0), *padding, 0);
            fbb.push_slot::<i32>(slot(1), *stride_w, 0);
            fbb.push_slot::<i32>(slot(2), *stride_h, 0);
            fbb.push_slot::<i32>(slot(3), *filter_w, 0);
            fbb.push_slot::<i32>(slot(4), *filter_h, 0);
            fbb.push_slot::<i8>(slot(5), *act, 0);
            (5, fbb.end_table(s))
        }
        MOptions::FullyConnected {
            act,
            weights_format,
            keep_num_dims,
        } => {
            let s = fbb.start_table();
            fbb.push_slot::<i8>(slot(0), *act, 0);
            fbb.push_slot::<i8>(slot(1), *weights_format, 0);
            fbb.push_slot::<bool>(slot(2), *keep_num_dims, false);
            (8, fbb.end_table(s))
        }
        MOptions::Softmax { beta } => {
            let s = fbb.start_table();
            fbb.push_slot::<f32>(slot(0), *beta, 0.0);
            (9, fbb.end_table(s))
        }
        MOptions::Concatenation { axis, act } => {
            let s = fbb.start_table();
            fbb.push_slot::<i32>(slot(0), *axis, 0);
            fbb.push_slot::<i8>(slot(1), *act, 0);
            (10, fbb.end_table(s))
        }
        MOptions::Add { act } => {
            let s = fbb.start_table();
            fbb.push_slot::<i8>(slot(0), *act, 0);
            (11, fbb.end_table(s))
        }
        MOptions::Reshape { new_shape } => {
            let v = new_shape.as_ref().map(|ns| fbb.create_vector(ns));
            let s = fbb.start_table();
            if let Some(v) = v {
                fbb.push_slot_always(slot(0), v);
            }
            (17, fbb.end_table(s))
        }
        MOptions::Mul { act } => {
            let s = fbb.start_table();
            fbb.push_slot::<i8>(slot(0), *act, 0);
            (21, fbb.end_table(s))
        }
        MOptions::Pad => {
            let s = fbb.start_table();
            (22, fbb.end_table(s))
        }
        MOptions::Reducer { keep_dims } => {
            let s = fbb.start_table();
            fbb.push_slot::<bool>(slot(0), *keep_dims, false);
            (27, fbb.end_table(s))
        }
        MOptions::StridedSlice { masks } => {
            let s = fbb.start_table();
            for (i, m) in (0u16..).zip(masks.iter()) {
                fbb.push_slot::<i32>(slot(i), *m, 0);
            }
            (32, fbb.end_table(s))
        }
        MOptions::PadV2 => {
            let s = fbb.start_table();
            (43, fbb.end_table(s))
        }
        MOptions::StridedSliceOffset => {
            let s = fbb.start_table();
            fbb.push_slot::<bool>(slot(5), true, false);
            (32, fbb.end_table(s))
        }
        MOptions::ResizeNearestNeighbor {
            align_corners,
            half_pixel_centers,
        } => {
            let s = fbb.start_table();
            fbb.push_slot::<bool>(slot(0), *align_corners, false);
            fbb.push_slot::<bool>(slot(1), *half_pixel_centers, false);
            (74, fbb.end_table(s))
        }
        MOptions::Split { num_splits, v } => {
            let s = fbb.start_table();
            fbb.push_slot::<i32>(slot(0), *num_splits, 0);
            (if *v { 79 } else { 35 }, fbb.end_table(s))
        }
        MOptions::TransposeConv {
            padding,
            stride_w,
            stride_h,
            act,
            quantized_bias_type,
        } => {
            let s = fbb.start_table();
            fbb.push_slot::<i8>(slot(0), *padding, 0);
            fbb.push_slot::<i32>(slot(1), *stride_w, 0);
            fbb.push_slot::<i32>(slot(2), *stride_h, 0);
            fbb.push_slot::<i8>(slot(3), *act, 0);
            fbb.push_slot::<i8>(slot(4), *quantized_bias_type, 0);
            (49, fbb.end_table(s))
        }
        MOptions::Pack { values_count, axis } => {
            let s = fbb.start_table();
            fbb.push_slot::<i32>(slot(0), *values_count, 0);
            fbb.push_slot::<i32>(slot(1), *axis, 0);
            (59, fbb.end_table(s))
        }
        MOptions::Raw { type_code } => {
            let s = fbb.start_table();
            (*type_code, fbb.end_table(s))
        }
    };
    Some((code, Some(table)))
}

fn write_op(fbb: &mut FlatBufferBuilder<'_>, o: &MOp) -> Fin {
    let inputs = fbb.create_vector(&o.inputs);
    let outputs = fbb.create_vector(&o.outputs);
    let options = write_options(fbb, &o.options);
    let start = fbb.start_table();
    fbb.push_slot::<u32>(slot(0), o.opcode_index, 0);
    fbb.push_slot_always(slot(1), inputs);
    fbb.push_slot_always(slot(2), outputs);
    if let Some((code, table)) = options {
        fbb.push_slot_always::<u8>(slot(3), code);
        if let Some(t) = table {
            fbb.push_slot_always(slot(4), t);
        }
    }
    fbb.end_table(start)
}

// ---------------------------------------------------------------------------------------------
// Ready-made models.

/// Builtin codes used by the sample models.
pub const ADD: i32 = 0;
pub const CONV_2D: i32 = 3;
pub const DEPTHWISE_CONV_2D: i32 = 4;
pub const FULLY_CONNECTED: i32 = 9;
pub const MAX_POOL_2D: i32 = 17;
pub const RESHAPE: i32 = 22;
pub const SOFTMAX: i32 = 25;
pub const CUSTOM: i32 = 32;
pub const MEAN: i32 = 40;

fn bytes_i32(values: &[i32]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

fn ramp(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i * 37 % 251) as u8).collect()
}

/// input [1,8,8,3] int8 -> CONV_2D (4 filters 3x3, per-channel) -> [1,8,8,4] -> RESHAPE [1,256]
/// -> SOFTMAX. Buffers: 0 empty, 1 conv weights, 2 conv bias, 3 reshape shape.
pub fn conv_softmax() -> MModel {
    let tensors = vec![
        MTensor::new("input", &[1, 8, 8, 3], INT8, 0).q(MQuant::per_tensor(0.5, -1)),
        MTensor::new("conv/weights", &[4, 3, 3, 3], INT8, 1).q(MQuant {
            scale: vec![0.01, 0.02, 0.03, 0.04],
            zero_point: vec![0; 4],
            quantized_dimension: 0,
        }),
        MTensor::new("conv/bias", &[4], INT32, 2).q(MQuant {
            scale: vec![0.005, 0.01, 0.015, 0.02],
            zero_point: vec![0; 4],
            quantized_dimension: 0,
        }),
        MTensor::new("conv/out", &[1, 8, 8, 4], INT8, 0).q(MQuant::per_tensor(0.25, 3)),
        MTensor::new("reshape/shape", &[2], INT32, 3),
        MTensor::new("flat", &[1, 256], INT8, 0).q(MQuant::per_tensor(0.25, 3)),
        MTensor::new("probs", &[1, 256], INT8, 0).q(MQuant::per_tensor(1.0 / 256.0, -128)),
    ];
    let operators = vec![
        MOp::new(
            0,
            &[0, 1, 2],
            &[3],
            MOptions::Conv2d {
                padding: 0,
                stride_w: 1,
                stride_h: 1,
                act: 1,
                dilation_w: 1,
                dilation_h: 1,
            },
        ),
        MOp::new(
            1,
            &[3, 4],
            &[5],
            MOptions::Reshape {
                new_shape: Some(vec![1, 256]),
            },
        ),
        MOp::new(2, &[5], &[6], MOptions::Softmax { beta: 1.0 }),
    ];
    MModel::new(
        vec![
            MOpcode::builtin(CONV_2D),
            MOpcode::builtin(RESHAPE),
            MOpcode::builtin(SOFTMAX),
        ],
        MSubgraph {
            name: Some("main".to_owned()),
            tensors,
            inputs: vec![0],
            outputs: vec![6],
            operators,
        },
        vec![
            MBuffer::empty(),
            MBuffer::data(ramp(4 * 3 * 3 * 3)),
            MBuffer::data(bytes_i32(&[10, -20, 30, -40])),
            MBuffer::data(bytes_i32(&[1, 256])),
        ],
    )
}

/// input [1,16] int8 -> FULLY_CONNECTED (10 units, per-channel weights, bias absent: -1)
/// -> [1,10].
pub fn fc_per_channel() -> MModel {
    let tensors = vec![
        MTensor::new("x", &[1, 16], INT8, 0).q(MQuant::per_tensor(0.1, 5)),
        MTensor::new("fc/weights", &[10, 16], INT8, 1).q(MQuant {
            scale: (1..=10).map(|i| i as f32 * 0.001).collect(),
            zero_point: vec![0; 10],
            quantized_dimension: 0,
        }),
        MTensor::new("y", &[1, 10], INT8, 0).q(MQuant::per_tensor(0.2, -3)),
    ];
    let operators = vec![MOp::new(
        0,
        &[0, 1, -1],
        &[2],
        MOptions::FullyConnected {
            act: 3,
            weights_format: 0,
            keep_num_dims: true,
        },
    )];
    MModel::new(
        vec![MOpcode::builtin(FULLY_CONNECTED)],
        MSubgraph {
            name: None,
            tensors,
            inputs: vec![0],
            outputs: vec![2],
            operators,
        },
        vec![MBuffer::empty(), MBuffer::data(ramp(160))],
    )
}

/// Two inputs a, b [1,4,4,2] -> ADD -> MAX_POOL_2D -> MEAN (axis const) -> out.
pub fn add_pool_mean() -> MModel {
    let q = MQuant::per_tensor(0.05, 0);
    let tensors = vec![
        MTensor::new("a", &[1, 4, 4, 2], INT8, 0).q(q.clone()),
        MTensor::new("b", &[1, 4, 4, 2], INT8, 0).q(q.clone()),
        MTensor::new("sum", &[1, 4, 4, 2], INT8, 0).q(q.clone()),
        MTensor::new("pool", &[1, 2, 2, 2], INT8, 0).q(q.clone()),
        MTensor::new("mean/axis", &[2], INT32, 1),
        MTensor::new("mean", &[1, 1, 1, 2], INT8, 0).q(q),
    ];
    let operators = vec![
        MOp::new(0, &[0, 1], &[2], MOptions::Add { act: 0 }),
        MOp::new(
            1,
            &[2],
            &[3],
            MOptions::Pool2d {
                padding: 1,
                stride_w: 2,
                stride_h: 2,
                filter_w: 2,
                filter_h: 2,
                act: 0,
            },
        ),
        MOp::new(2, &[3, 4], &[5], MOptions::Reducer { keep_dims: true }),
    ];
    MModel::new(
        vec![
            MOpcode::builtin(ADD),
            MOpcode::builtin(MAX_POOL_2D),
            MOpcode::builtin(MEAN),
        ],
        MSubgraph {
            name: Some("main".to_owned()),
            tensors,
            inputs: vec![0, 1],
            outputs: vec![5],
            operators,
        },
        vec![MBuffer::empty(), MBuffer::data(bytes_i32(&[1, 2]))],
    )
}

// ---------------------------------------------------------------------------------------------
// Navigating serialised bytes (for targeted corruption in the malformed corpus).

pub fn get_u32(b: &[u8], pos: usize) -> u32 {
    u32::from_le_bytes([b[pos], b[pos + 1], b[pos + 2], b[pos + 3]])
}

pub fn set_u32(b: &mut [u8], pos: usize, v: u32) {
    b[pos..pos + 4].copy_from_slice(&v.to_le_bytes());
}

pub fn set_u16(b: &mut [u8], pos: usize, v: u16) {
    b[pos..pos + 2].copy_from_slice(&v.to_le_bytes());
}

/// Position of the root table.
pub fn root_table(b: &[u8]) -> usize {
    get_u32(b, 0) as usize
}

/// Position of the vtable of the table at `table`.
pub fn vtable_of(b: &[u8], table: usize) -> usize {
    let soff = get_u32(b, table) as i32;
    (table as i64 - i64::from(soff)) as usize
}

/// Position of the vtable entry of field `n` of the table at `table`.
pub fn vtable_entry(b: &[u8], table: usize, n: u16) -> usize {
    vtable_of(b, table) + usize::from(slot(n))
}

/// Position of field `n` of the table at `table` (panics if absent).
pub fn field(b: &[u8], table: usize, n: u16) -> usize {
    let e = vtable_entry(b, table, n);
    let voff = u16::from_le_bytes([b[e], b[e + 1]]);
    assert!(voff != 0, "field {n} absent");
    table + usize::from(voff)
}

/// Follows the uoffset at `pos`.
pub fn deref(b: &[u8], pos: usize) -> usize {
    pos + get_u32(b, pos) as usize
}

/// Position of element `i` of the vector of tables stored in field `n` of `table`: returns the
/// table position.
pub fn table_elem(b: &[u8], table: usize, n: u16, i: usize) -> usize {
    let v = deref(b, field(b, table, n));
    deref(b, v + 4 + 4 * i)
}

/// Position of the length word of the vector (or string) in field `n` of `table`.
pub fn vector_len_pos(b: &[u8], table: usize, n: u16) -> usize {
    deref(b, field(b, table, n))
}

/// The first subgraph table.
pub fn subgraph0(b: &[u8]) -> usize {
    table_elem(b, root_table(b), 2, 0)
}

/// Tensor `i` of the first subgraph.
pub fn tensor_table(b: &[u8], i: usize) -> usize {
    table_elem(b, subgraph0(b), 0, i)
}

/// Operator `i` of the first subgraph.
pub fn operator_table(b: &[u8], i: usize) -> usize {
    table_elem(b, subgraph0(b), 3, i)
}
