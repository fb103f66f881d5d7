//! The malformed `.tflite` corpus: every case's bytes, what is wrong with it, and the error kind
//! the reader must report. `tests/tflite_malformed.rs` checks the committed files against this
//! list and regenerates them (`cargo test -p nn-dsl --test tflite_malformed -- --ignored`).
#![allow(dead_code)]

use super::writer::*;
use nn_dsl::front::tflite::ReadErrorKind as K;

/// One corpus entry.
pub struct Case {
    /// File name under `tests/tflite/malformed/`.
    pub file: &'static str,
    /// What is wrong (copied into the README).
    pub what: &'static str,
    /// The error kind the reader must report.
    pub kind: K,
    /// The file's bytes.
    pub bytes: Vec<u8>,
}

fn case(file: &'static str, kind: K, what: &'static str, bytes: Vec<u8>) -> Case {
    Case {
        file,
        what,
        kind,
        bytes,
    }
}

fn conv() -> Vec<u8> {
    conv_softmax().build()
}

fn truncated(frac_num: usize, frac_den: usize) -> Vec<u8> {
    let b = conv();
    let n = b.len() * frac_num / frac_den;
    b[..n].to_vec()
}

/// A model with the conv model's tensors edited by `f`.
fn conv_with(f: impl FnOnce(&mut MModel)) -> Vec<u8> {
    let mut m = conv_softmax();
    f(&mut m);
    m.build()
}

fn fc_with(f: impl FnOnce(&mut MModel)) -> Vec<u8> {
    let mut m = fc_per_channel();
    f(&mut m);
    m.build()
}

fn add_with(f: impl FnOnce(&mut MModel)) -> Vec<u8> {
    let mut m = add_pool_mean();
    f(&mut m);
    m.build()
}

/// 1 000 nested tables hung under `Model.subgraphs`: each level is a table whose field 0 is a
/// one-element vector pointing at the next level.
fn deep_nesting() -> Vec<u8> {
    use flatbuffers::{FlatBufferBuilder, TableFinishedWIPOffset, WIPOffset};
    let mut fbb = FlatBufferBuilder::new();
    let start = fbb.start_table();
    let mut inner: WIPOffset<TableFinishedWIPOffset> = fbb.end_table(start);
    for _ in 0..1_000 {
        let v = fbb.create_vector(&[inner]);
        let start = fbb.start_table();
        fbb.push_slot_always(4, v);
        inner = fbb.end_table(start);
    }
    let subgraphs = fbb.create_vector(&[inner]);
    let start = fbb.start_table();
    fbb.push_slot::<u32>(4, 3, 0);
    fbb.push_slot_always(8, subgraphs);
    let root = fbb.end_table(start);
    fbb.finish(root, Some("TFL3"));
    fbb.finished_data().to_vec()
}

/// One subgraph table shared 400 times, whose tensor list holds one tensor table 400 times:
/// small on disk, 160 000 tensors if expanded.
fn shared_subtrees() -> Vec<u8> {
    use flatbuffers::FlatBufferBuilder;
    let mut fbb = FlatBufferBuilder::new();
    let shape = fbb.create_vector(&[1i32, 2, 3, 4]);
    let name = fbb.create_string("shared");
    let start = fbb.start_table();
    fbb.push_slot_always(4, shape);
    fbb.push_slot_always(10, name);
    let tensor = fbb.end_table(start);
    let tensors = fbb.create_vector(&vec![tensor; 400]);
    let start = fbb.start_table();
    fbb.push_slot_always(4, tensors);
    let sg = fbb.end_table(start);
    let sgs = fbb.create_vector(&vec![sg; 400]);
    let start = fbb.start_table();
    fbb.push_slot::<u32>(4, 3, 0);
    fbb.push_slot_always(8, sgs);
    let root = fbb.end_table(start);
    fbb.finish(root, Some("TFL3"));
    fbb.finished_data().to_vec()
}

/// The whole corpus, in README order.
pub fn cases() -> Vec<Case> {
    vec![
        case("empty.tflite", K::TooShort, "zero bytes", Vec::new()),
        case(
            "truncated_4.tflite",
            K::TooShort,
            "the first 4 bytes of a valid model (root offset only, no identifier)",
            conv()[..4].to_vec(),
        ),
        case(
            "truncated_header_8.tflite",
            K::Flatbuffer,
            "the first 8 bytes of a valid model: header only, the root offset points past the end",
            conv()[..8].to_vec(),
        ),
        case(
            "truncated_64.tflite",
            K::Flatbuffer,
            "the first 64 bytes of a valid model",
            conv()[..64].to_vec(),
        ),
        case(
            "truncated_25pct.tflite",
            K::Flatbuffer,
            "a valid model cut at 25% of its length",
            truncated(1, 4),
        ),
        case(
            "truncated_50pct.tflite",
            K::Flatbuffer,
            "a valid model cut at 50% of its length",
            truncated(1, 2),
        ),
        case(
            "truncated_75pct.tflite",
            K::Flatbuffer,
            "a valid model cut at 75% of its length",
            truncated(3, 4),
        ),
        case(
            "truncated_minus_1.tflite",
            K::Flatbuffer,
            "a valid model without its last byte",
            {
                let b = conv();
                b[..b.len() - 1].to_vec()
            },
        ),
        case(
            "wrong_identifier.tflite",
            K::FileIdentifier,
            "file identifier \"TFL2\" instead of \"TFL3\"",
            conv_with(|m| m.file_identifier = "TFL2"),
        ),
        case(
            "root_offset_out_of_range.tflite",
            K::Flatbuffer,
            "root table offset 0xFFFFFF00, far past the end of the file",
            {
                let mut b = conv();
                set_u32(&mut b, 0, 0xFFFF_FF00);
                b
            },
        ),
        case(
            "root_offset_unaligned.tflite",
            K::Flatbuffer,
            "root table offset 1 (inside the header, unaligned)",
            {
                let mut b = conv();
                set_u32(&mut b, 0, 1);
                b
            },
        ),
        case(
            "vtable_offset_out_of_range.tflite",
            K::Flatbuffer,
            "the root table's signed offset to its vtable points 2^30 bytes before the file",
            {
                let mut b = conv();
                let root = root_table(&b);
                set_u32(&mut b, root, 0x4000_0000);
                b
            },
        ),
        case(
            "vtable_field_offset_out_of_range.tflite",
            K::Flatbuffer,
            "the vtable entry of Model.subgraphs holds 0xFFF0, beyond the table and the file",
            {
                let mut b = conv();
                let e = vtable_entry(&b, root_table(&b), 2);
                set_u16(&mut b, e, 0xFFF0);
                b
            },
        ),
        case(
            "vtable_length_out_of_range.tflite",
            K::Flatbuffer,
            "the root vtable's own length field says 0xFFFE bytes",
            {
                let mut b = conv();
                let vt = vtable_of(&b, root_table(&b));
                set_u16(&mut b, vt, 0xFFFE);
                b
            },
        ),
        case(
            "string_length_near_max.tflite",
            K::Flatbuffer,
            "the name of tensor 0 claims 0xFFFFFFF0 bytes",
            {
                let mut b = conv();
                let pos = vector_len_pos(&b, tensor_table(&b, 0), 3);
                set_u32(&mut b, pos, 0xFFFF_FFF0);
                b
            },
        ),
        case(
            "vector_length_max.tflite",
            K::Flatbuffer,
            "the shape vector of tensor 1 claims u32::MAX elements (16 GB) in a small file",
            {
                let mut b = conv();
                let pos = vector_len_pos(&b, tensor_table(&b, 1), 0);
                set_u32(&mut b, pos, u32::MAX);
                b
            },
        ),
        case(
            "tensor_list_length_near_max.tflite",
            K::Flatbuffer,
            "the subgraph's tensor list claims 0x3FFFFFFF tables",
            {
                let mut b = conv();
                let pos = vector_len_pos(&b, subgraph0(&b), 0);
                set_u32(&mut b, pos, 0x3FFF_FFFF);
                b
            },
        ),
        case(
            "buffer_data_length_near_max.tflite",
            K::Flatbuffer,
            "the data vector of buffer 1 claims 0xFFFFFFFE bytes",
            {
                let mut b = conv();
                let buf1 = table_elem(&b, root_table(&b), 4, 1);
                let pos = vector_len_pos(&b, buf1, 0);
                set_u32(&mut b, pos, 0xFFFF_FFFE);
                b
            },
        ),
        case(
            "name_invalid_utf8.tflite",
            K::Flatbuffer,
            "the name of tensor 0 contains the byte 0xFF (invalid UTF-8)",
            {
                let mut b = conv();
                let pos = vector_len_pos(&b, tensor_table(&b, 0), 3);
                b[pos + 4] = 0xFF;
                b
            },
        ),
        case(
            "union_type_without_value.tflite",
            K::Flatbuffer,
            "operator 0 has builtin_options_type Conv2DOptions but no options table",
            conv_with(|m| {
                m.sg().operators[0].options = MOptions::TypeWithoutValue { type_code: 1 }
            }),
        ),
        case(
            "deep_nesting.tflite",
            K::BufferIndex,
            "1 000 nested tables under Model.subgraphs; the reader follows only the schema's typed \
             fields (at most 4 tables deep), so the chain is read as a subgraph with one tensor \
             (whose shape vector is the next level's offset) and never recursed into; the file is \
             rejected because that tensor's buffer 0 does not exist (the model has no buffers)",
            deep_nesting(),
        ),
        case(
            "shared_subtrees.tflite",
            K::Flatbuffer,
            "one subgraph table listed 400 times, each listing one tensor table 400 times: a few KB \
             on disk, 160 000 tensors if expanded; the verifier's table-count limit (len / 4 + 16) rejects it",
            shared_subtrees(),
        ),
        case(
            "zero_subgraphs.tflite",
            K::SubgraphCount,
            "an empty subgraph list",
            conv_with(|m| m.subgraphs = Some(Vec::new())),
        ),
        case(
            "no_subgraphs_field.tflite",
            K::SubgraphCount,
            "no Model.subgraphs field at all",
            conv_with(|m| m.subgraphs = None),
        ),
        case(
            "two_subgraphs.tflite",
            K::SubgraphCount,
            "two subgraphs (control flow is not supported)",
            conv_with(|m| {
                let sg = m.sg().clone();
                m.subgraphs.as_mut().unwrap().push(sg);
            }),
        ),
        case(
            "missing_buffers.tflite",
            K::BufferIndex,
            "no Model.buffers field, so even the sentinel buffer 0 the tensors use is missing",
            conv_with(|m| m.buffers = None),
        ),
        case(
            "buffer_index_out_of_range.tflite",
            K::BufferIndex,
            "tensor 1 (conv/weights) refers to buffer 99; the model has 4",
            conv_with(|m| m.sg().tensors[1].buffer = 99),
        ),
        case(
            "buffer_too_short.tflite",
            K::BufferSize,
            "the conv weights [4,3,3,3] INT8 need 108 bytes; buffer 1 has 107",
            conv_with(|m| {
                m.buffers.as_mut().unwrap()[1].data.pop();
            }),
        ),
        case(
            "buffer_too_long.tflite",
            K::BufferSize,
            "the conv weights [4,3,3,3] INT8 need 108 bytes; buffer 1 has 109",
            conv_with(|m| m.buffers.as_mut().unwrap()[1].data.push(0)),
        ),
        case(
            "wrong_dtype_bias.tflite",
            K::BufferSize,
            "the conv bias is declared INT8 but its buffer holds 4 INT32 values (16 bytes, not 4)",
            conv_with(|m| m.sg().tensors[2].dtype = INT8),
        ),
        case(
            "unknown_dtype_constant.tflite",
            K::Dtype,
            "the conv weights have type code 99, so their data size cannot be checked",
            conv_with(|m| m.sg().tensors[1].dtype = 99),
        ),
        case(
            "quantized_bool.tflite",
            K::Dtype,
            "tensor 5 (flat) is BOOL yet carries a scale and zero point",
            conv_with(|m| m.sg().tensors[5].dtype = BOOL),
        ),
        case(
            "op_input_out_of_range.tflite",
            K::TensorIndex,
            "operator 0 (CONV_2D) input 1 refers to tensor 57; the subgraph has 7",
            conv_with(|m| m.sg().operators[0].inputs[1] = 57),
        ),
        case(
            "op_input_negative.tflite",
            K::TensorIndex,
            "operator 1 (RESHAPE) input 0 is -5 (only -1, an absent optional input, may be negative)",
            conv_with(|m| m.sg().operators[1].inputs[0] = -5),
        ),
        case(
            "op_output_out_of_range.tflite",
            K::TensorIndex,
            "operator 2 (SOFTMAX) output 0 refers to tensor 7; the subgraph has 7",
            conv_with(|m| m.sg().operators[2].outputs[0] = 7),
        ),
        case(
            "op_output_absent.tflite",
            K::TensorIndex,
            "operator 0 (CONV_2D) output 0 is -1 (outputs cannot be absent)",
            conv_with(|m| m.sg().operators[0].outputs[0] = -1),
        ),
        case(
            "subgraph_input_out_of_range.tflite",
            K::TensorIndex,
            "subgraph input 0 refers to tensor 1000",
            conv_with(|m| m.sg().inputs[0] = 1000),
        ),
        case(
            "subgraph_output_out_of_range.tflite",
            K::TensorIndex,
            "subgraph output 0 refers to tensor -2",
            conv_with(|m| m.sg().outputs[0] = -2),
        ),
        case(
            "opcode_index_out_of_range.tflite",
            K::OpcodeIndex,
            "operator 1 refers to operator code 3; the model has 3",
            conv_with(|m| m.sg().operators[1].opcode_index = 3),
        ),
        case(
            "negative_dim.tflite",
            K::Shape,
            "tensor 3 (conv/out) has shape [1, -8, 8, 4]",
            conv_with(|m| m.sg().tensors[3].shape[1] = -8),
        ),
        case(
            "shape_overflow.tflite",
            K::Shape,
            "tensor 3 has shape [2^31-1, 2^31-1, 2^31-1]: the element count overflows 64 bits",
            conv_with(|m| m.sg().tensors[3].shape = vec![i32::MAX; 3]),
        ),
        case(
            "scale_zero_point_length_mismatch.tflite",
            K::Quantization,
            "tensor 0 has 1 scale and 2 zero points",
            conv_with(|m| {
                m.sg().tensors[0].quant.as_mut().unwrap().zero_point = vec![0, 0];
            }),
        ),
        case(
            "per_channel_length_mismatch.tflite",
            K::Quantization,
            "the FC weights [10,16] have 8 per-channel scales along dimension 0 (size 10)",
            fc_with(|m| {
                let q = m.sg().tensors[1].quant.as_mut().unwrap();
                q.scale.truncate(8);
                q.zero_point.truncate(8);
            }),
        ),
        case(
            "quantized_dimension_out_of_range.tflite",
            K::Quantization,
            "the FC weights [10,16] are per-channel along quantized_dimension 2 (rank 2)",
            fc_with(|m| m.sg().tensors[1].quant.as_mut().unwrap().quantized_dimension = 2),
        ),
        case(
            "quantized_dimension_negative.tflite",
            K::Quantization,
            "the FC weights have quantized_dimension -1",
            fc_with(|m| m.sg().tensors[1].quant.as_mut().unwrap().quantized_dimension = -1),
        ),
        case(
            "scale_zero.tflite",
            K::Quantization,
            "the FC output has scale 0",
            fc_with(|m| m.sg().tensors[2].quant.as_mut().unwrap().scale[0] = 0.0),
        ),
        case(
            "scale_nan.tflite",
            K::Quantization,
            "the FC input has scale NaN",
            fc_with(|m| m.sg().tensors[0].quant.as_mut().unwrap().scale[0] = f32::NAN),
        ),
        case(
            "op_consumes_own_output.tflite",
            K::Graph,
            "operator 0 (ADD) reads tensor 2, which it writes itself",
            add_with(|m| m.sg().operators[0].inputs[1] = 2),
        ),
        case(
            "two_ops_feed_each_other.tflite",
            K::Graph,
            "ADD reads the output of MAX_POOL_2D, which reads the output of ADD (a cycle)",
            add_with(|m| m.sg().operators[0].inputs[1] = 3),
        ),
        case(
            "ops_out_of_order.tflite",
            K::Graph,
            "acyclic, but MAX_POOL_2D is listed before the ADD that produces its input",
            add_with(|m| m.sg().operators.swap(0, 1)),
        ),
        case(
            "tensor_two_producers.tflite",
            K::Graph,
            "ADD and MAX_POOL_2D both write tensor 2",
            add_with(|m| {
                let sg = m.sg();
                sg.operators[1].outputs[0] = 2;
                sg.operators[2].inputs[0] = 2;
            }),
        ),
        case(
            "op_writes_constant.tflite",
            K::Graph,
            "MEAN writes tensor 4, the constant axis tensor",
            add_with(|m| {
                let sg = m.sg();
                sg.operators[2].outputs[0] = 4;
                sg.outputs[0] = 4;
            }),
        ),
        case(
            "op_writes_input.tflite",
            K::Graph,
            "ADD writes tensor 0, a subgraph input",
            add_with(|m| m.sg().operators[0].outputs[0] = 0),
        ),
        case(
            "unproduced_input.tflite",
            K::Graph,
            "tensor 1 (b) is read by ADD but is neither produced, a subgraph input nor a constant",
            add_with(|m| m.sg().inputs = vec![0]),
        ),
        case(
            "unproduced_output.tflite",
            K::Graph,
            "subgraph output 1 is tensor 6 (orphan), which no operator produces",
            add_with(|m| {
                let sg = m.sg();
                sg.tensors.push(MTensor::new("orphan", &[1], INT8, 0));
                sg.outputs.push(6);
            }),
        ),
        case(
            "bad_padding_code.tflite",
            K::Options,
            "CONV_2D padding code 5 (only SAME = 0 and VALID = 1 exist)",
            conv_with(|m| {
                if let MOptions::Conv2d { padding, .. } = &mut m.sg().operators[0].options {
                    *padding = 5;
                }
            }),
        ),
        case(
            "bad_activation_code.tflite",
            K::Options,
            "FULLY_CONNECTED fused activation code 42",
            fc_with(|m| {
                if let MOptions::FullyConnected { act, .. } = &mut m.sg().operators[0].options {
                    *act = 42;
                }
            }),
        ),
        case(
            "external_buffer_out_of_range.tflite",
            K::ExternalBuffer,
            "buffer 1 is stored outside the flatbuffer at offset 4096 with size 108, past the end",
            conv_with(|m| {
                m.buffers.as_mut().unwrap()[1] = MBuffer {
                    data: Vec::new(),
                    offset: 4096,
                    size: 108,
                };
            }),
        ),
        case(
            "external_buffer_size_overflow.tflite",
            K::ExternalBuffer,
            "buffer 1 is stored outside the flatbuffer at offset 16 with size u64::MAX",
            conv_with(|m| {
                m.buffers.as_mut().unwrap()[1] = MBuffer {
                    data: Vec::new(),
                    offset: 16,
                    size: u64::MAX,
                };
            }),
        ),
        case(
            "external_and_inline_data.tflite",
            K::ExternalBuffer,
            "buffer 1 has inline data and also an external offset",
            conv_with(|m| {
                let b = &mut m.buffers.as_mut().unwrap()[1];
                b.offset = 16;
                b.size = 4;
            }),
        ),
        case(
            "sparse_tensor.tflite",
            K::Unsupported,
            "the conv weights carry SparsityParameters",
            conv_with(|m| m.sg().tensors[1].sparse = true),
        ),
    ]
}
