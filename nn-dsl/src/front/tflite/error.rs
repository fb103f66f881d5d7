//! The error type of the `.tflite` reader.

use thiserror::Error;

/// Why a `.tflite` file was rejected. Each message says what is wrong and where (tensor index and
/// name, operator index and operator name, buffer index, byte position).
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum ReadError {
    /// The file is too short to hold a flatbuffer header.
    #[error("file is {len} bytes long; a .tflite file needs at least 8 (root offset and file identifier)")]
    TooShort {
        /// File length in bytes.
        len: usize,
    },
    /// The file identifier (bytes 4..8) is not `TFL3`.
    #[error("file identifier is {found:?}, expected \"TFL3\" (not a TensorFlow Lite model)")]
    FileIdentifier {
        /// The four bytes found, escaped.
        found: String,
    },
    /// The flatbuffer structure is invalid (the `flatbuffers` verifier rejected it).
    #[error("malformed flatbuffer: {detail}")]
    Flatbuffer {
        /// The verifier's description.
        detail: String,
    },
    /// An offset or length read while decoding points outside the file.
    #[error("malformed flatbuffer: {what} at byte {pos} points outside the {len}-byte file")]
    OutOfBounds {
        /// The object being read.
        what: &'static str,
        /// Byte position.
        pos: usize,
        /// File length.
        len: usize,
    },
    /// Decoding would allocate more than the reader's budget for a file of this size.
    #[error("{what} would need more memory than the {limit}-byte budget for a {len}-byte file")]
    TooLarge {
        /// What was being decoded.
        what: String,
        /// The budget in bytes.
        limit: usize,
        /// File length.
        len: usize,
    },
    /// The model does not have exactly one subgraph.
    #[error("the model has {count} subgraphs; exactly one is supported")]
    SubgraphCount {
        /// Number of subgraphs in the file.
        count: usize,
    },
    /// A feature of the format this reader does not support.
    #[error("{location}: {what} is not supported")]
    Unsupported {
        /// Where it was found.
        location: String,
        /// What is unsupported.
        what: String,
    },
    /// An operator's opcode index is out of range.
    #[error(
        "operator {op} refers to operator code {index} but the model has {count} operator codes"
    )]
    OpcodeIndex {
        /// Operator index.
        op: usize,
        /// The opcode index found.
        index: u32,
        /// Number of operator codes.
        count: usize,
    },
    /// A tensor index (operator input/output, subgraph input/output) is out of range.
    #[error("{location} refers to tensor {index} but the subgraph has {count} tensors")]
    TensorIndex {
        /// Where the index was found, e.g. "operator 3 (CONV_2D) input 1".
        location: String,
        /// The index found (may be negative).
        index: i64,
        /// Number of tensors.
        count: usize,
    },
    /// A tensor's buffer index is out of range.
    #[error("tensor {tensor} {name:?} refers to buffer {index} but the model has {count} buffers")]
    BufferIndex {
        /// Tensor index.
        tensor: usize,
        /// Tensor name.
        name: String,
        /// The buffer index found.
        index: usize,
        /// Number of buffers.
        count: usize,
    },
    /// A constant tensor's data does not have the size its shape and type require.
    #[error(
        "tensor {tensor} {name:?} ({dtype} {shape:?}) needs {expected} bytes of data but buffer {buffer} has {actual}"
    )]
    BufferSize {
        /// Tensor index.
        tensor: usize,
        /// Tensor name.
        name: String,
        /// Element type name.
        dtype: String,
        /// Shape.
        shape: Vec<usize>,
        /// Buffer index.
        buffer: usize,
        /// Bytes required.
        expected: u64,
        /// Bytes present.
        actual: usize,
    },
    /// A buffer stored outside the flatbuffer is out of range or ambiguous.
    #[error("buffer {buffer}: {problem}")]
    ExternalBuffer {
        /// Buffer index.
        buffer: usize,
        /// What is wrong.
        problem: String,
    },
    /// A tensor's shape has a negative dimension or an element count that overflows.
    #[error("tensor {tensor} {name:?}: {problem}")]
    Shape {
        /// Tensor index.
        tensor: usize,
        /// Tensor name.
        name: String,
        /// What is wrong.
        problem: String,
    },
    /// A tensor's element type is unknown or does not fit its use.
    #[error("tensor {tensor} {name:?}: {problem}")]
    Dtype {
        /// Tensor index.
        tensor: usize,
        /// Tensor name.
        name: String,
        /// What is wrong.
        problem: String,
    },
    /// A tensor's quantisation parameters are inconsistent.
    #[error("tensor {tensor} {name:?}: {problem}")]
    Quantization {
        /// Tensor index.
        tensor: usize,
        /// Tensor name.
        name: String,
        /// What is wrong.
        problem: String,
    },
    /// An operator's options hold a value outside the schema's enumeration.
    #[error("operator {op} ({op_name}): {problem}")]
    Options {
        /// Operator index.
        op: usize,
        /// Operator name.
        op_name: String,
        /// What is wrong.
        problem: String,
    },
    /// Operators are not in execution order, a tensor has two producers, or an operator writes a
    /// tensor that must not be written (a constant or a subgraph input).
    #[error("{problem}")]
    Graph {
        /// What is wrong, naming the operators and tensors involved.
        problem: String,
    },
}

/// The category of a [`ReadError`], for tests and callers that branch on the cause.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ReadErrorKind {
    /// [`ReadError::TooShort`].
    TooShort,
    /// [`ReadError::FileIdentifier`].
    FileIdentifier,
    /// [`ReadError::Flatbuffer`] or [`ReadError::OutOfBounds`].
    Flatbuffer,
    /// [`ReadError::TooLarge`].
    TooLarge,
    /// [`ReadError::SubgraphCount`].
    SubgraphCount,
    /// [`ReadError::Unsupported`].
    Unsupported,
    /// [`ReadError::OpcodeIndex`].
    OpcodeIndex,
    /// [`ReadError::TensorIndex`].
    TensorIndex,
    /// [`ReadError::BufferIndex`].
    BufferIndex,
    /// [`ReadError::BufferSize`].
    BufferSize,
    /// [`ReadError::ExternalBuffer`].
    ExternalBuffer,
    /// [`ReadError::Shape`].
    Shape,
    /// [`ReadError::Dtype`].
    Dtype,
    /// [`ReadError::Quantization`].
    Quantization,
    /// [`ReadError::Options`].
    Options,
    /// [`ReadError::Graph`].
    Graph,
}

impl ReadError {
    /// The error's category.
    pub fn kind(&self) -> ReadErrorKind {
        match self {
            Self::TooShort { .. } => ReadErrorKind::TooShort,
            Self::FileIdentifier { .. } => ReadErrorKind::FileIdentifier,
            Self::Flatbuffer { .. } | Self::OutOfBounds { .. } => ReadErrorKind::Flatbuffer,
            Self::TooLarge { .. } => ReadErrorKind::TooLarge,
            Self::SubgraphCount { .. } => ReadErrorKind::SubgraphCount,
            Self::Unsupported { .. } => ReadErrorKind::Unsupported,
            Self::OpcodeIndex { .. } => ReadErrorKind::OpcodeIndex,
            Self::TensorIndex { .. } => ReadErrorKind::TensorIndex,
            Self::BufferIndex { .. } => ReadErrorKind::BufferIndex,
            Self::BufferSize { .. } => ReadErrorKind::BufferSize,
            Self::ExternalBuffer { .. } => ReadErrorKind::ExternalBuffer,
            Self::Shape { .. } => ReadErrorKind::Shape,
            Self::Dtype { .. } => ReadErrorKind::Dtype,
            Self::Quantization { .. } => ReadErrorKind::Quantization,
            Self::Options { .. } => ReadErrorKind::Options,
            Self::Graph { .. } => ReadErrorKind::Graph,
        }
    }
}
