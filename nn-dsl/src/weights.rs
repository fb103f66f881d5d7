//! Weights: every constant tensor of a network (int8 weights, int32 biases, per-channel scales) and
//! every activation's quantisation, by name. On disk this is a safetensors file whose naming scheme
//! is documented in `docs/weights.md`; in memory it is a [`Weights`] map that the importer fills,
//! the binder checks against a module, and the executor and code generators read.

use std::collections::BTreeMap;

/// Element type of a stored constant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum WDType {
    /// Signed 8-bit.
    I8,
    /// Signed 32-bit (biases).
    I32,
    /// Signed 64-bit (zero points as TFLite stores them).
    I64,
    /// IEEE single (scales).
    F32,
}

impl WDType {
    /// Bytes per element.
    pub fn size_bytes(self) -> usize {
        match self {
            WDType::I8 => 1,
            WDType::I32 | WDType::F32 => 4,
            WDType::I64 => 8,
        }
    }

    /// Lower-case name (`i8`, `i32`, `i64`, `f32`).
    pub fn name(self) -> &'static str {
        match self {
            WDType::I8 => "i8",
            WDType::I32 => "i32",
            WDType::I64 => "i64",
            WDType::F32 => "f32",
        }
    }
}

/// One named constant: dtype, shape and little-endian data.
#[derive(Clone, Debug, PartialEq)]
pub struct WeightTensor {
    /// Element type.
    pub dtype: WDType,
    /// Dimensions (product equals the element count of `data`).
    pub shape: Vec<usize>,
    /// Raw little-endian bytes, `shape.product() * dtype.size_bytes()` long.
    pub data: Vec<u8>,
}

/// Every constant of a network, by name (see `docs/weights.md` for the names).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Weights {
    /// Sorted by name, so files written from it are deterministic.
    pub tensors: BTreeMap<String, WeightTensor>,
}
