//! The `.tflite` front end: a bounds-checked reader of TensorFlow Lite flatbuffers.
//!
//! [`read`] turns the bytes of a `.tflite` file into a plain [`Model`] description (tensors,
//! operators, buffers, decoded builtin options) or a [`ReadError`] that says what is wrong and
//! where. Mapping that description to the IR is the importer's job, not this module's.
//!
//! # How a file is read
//! 1. The header is checked: at least 8 bytes, file identifier `TFL3` at bytes 4..8.
//! 2. The `flatbuffers` crate's verifier checks every table, vector and string the reader will
//!    touch (hand-written `Verifiable` implementations for the schema's tables, see `schema.rs`),
//!    with limits: nesting depth 16 (the schema itself nests at most 4 tables deep), at most
//!    `len / 4 + 16` tables, and an apparent size (the object graph expanded into a tree) of at
//!    most `8 * len + 64 KiB`. Option tables of union types that are not decoded are not visited.
//! 3. The decoder reads the fields through its own accessors over the byte slice, which check
//!    every offset and length again (no `unsafe`, no trust in step 2), and charges every
//!    allocation against a budget of `64 * len + 1 MiB` bytes.
//! 4. Model invariants are checked (see below).
//!
//! # Guarantees
//! - `read` never panics, never recurses (the schema's nesting is followed by straight-line code),
//!   and its allocations are linear in the input size: a vector length of `u32::MAX` in a 1 KB
//!   file is an error before anything is allocated, because a vector is only accepted when all of
//!   its elements lie inside the file.
//! - On success: there is exactly one subgraph; every tensor index (operator inputs and outputs,
//!   subgraph inputs and outputs), buffer index and opcode index is in range (an absent optional
//!   input, -1 in the file, is `None`); every shape dimension is non-negative and the element count
//!   fits in 64 bits; a constant tensor's data has exactly `elements * element size` bytes (INT4
//!   packed two per byte); quantisation has as many zero points as scales, finite positive scales,
//!   and per-channel scales match the size of a valid `quantized_dimension`; option enums
//!   (padding, activation, weights format) hold schema values; operators are in execution order
//!   (each input is produced by an earlier operator, or is a subgraph input, a constant, a
//!   variable or an empty tensor; each tensor has at most one producer; no operator writes a
//!   constant or a subgraph input), which also excludes cycles; every subgraph output is produced.
//!
//! # Limits
//! - Buffers stored outside the flatbuffer (`Buffer.offset`/`size`, used by models over 2 GB) are
//!   supported: the region must lie inside the given bytes and the buffer must not also have
//!   inline data. The whole file must be passed to [`read`].
//! - Rejected as unsupported: more than one subgraph (control flow), sparse tensors, custom
//!   quantisation details.
//! - Not read: `shape_signature`, metadata, signature definitions, `builtin_options_2`, custom
//!   options, and the option tables of operators other than those [`BuiltinOptions`] decodes
//!   (those are kept as [`BuiltinOptions::NotDecoded`]).
//! - Operator-specific semantics (input counts, dtypes per operator, option values such as
//!   strides) are not checked here; that is the importer's job.
#![forbid(unsafe_code)]

mod decode;
mod error;
mod fb;
pub mod import;
mod model;
pub mod opnames;
mod schema;
mod validate;

pub use error::{ReadError, ReadErrorKind};
pub use import::{dead_operators, import, ImportError, UnsupportedOp};
pub use model::{
    Activation, Buffer, BuiltinOp, BuiltinOptions, Conv2dOptions, DepthwiseConv2dOptions,
    FullyConnectedOptions, Model, Operator, OperatorCode, Padding, Pool2dOptions, Quantization,
    StridedSliceOptions, Subgraph, Tensor, TensorType, TransposeConvOptions, WeightsFormat,
};

/// The four-byte file identifier of TensorFlow Lite models (schema version 3).
pub const FILE_IDENTIFIER: &[u8; 4] = b"TFL3";

/// Maximum table nesting accepted by the verifier.
const MAX_DEPTH: usize = 16;

/// Reads a `.tflite` model from its bytes. See the [module documentation](self) for what is
/// checked.
pub fn read(bytes: &[u8]) -> Result<Model, ReadError> {
    let Some(ident) = bytes.get(4..8) else {
        return Err(ReadError::TooShort { len: bytes.len() });
    };
    if ident != FILE_IDENTIFIER {
        return Err(ReadError::FileIdentifier {
            found: ident.escape_ascii().to_string(),
        });
    }
    let opts = flatbuffers::VerifierOptions {
        max_depth: MAX_DEPTH,
        max_tables: bytes.len() / 4 + 16,
        max_apparent_size: bytes.len().saturating_mul(8).saturating_add(1 << 16),
        ignore_missing_null_terminator: false,
    };
    let mut verifier = flatbuffers::Verifier::new(&opts, bytes);
    <flatbuffers::ForwardsUOffset<schema::ModelV> as flatbuffers::Verifiable>::run_verifier(
        &mut verifier,
        0,
    )
    .map_err(|e| ReadError::Flatbuffer {
        detail: one_line(&e.to_string()),
    })?;
    let model = decode::decode(bytes)?;
    validate::validate(&model)?;
    Ok(model)
}

/// The verifier's multi-line message folded onto one line.
fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}
