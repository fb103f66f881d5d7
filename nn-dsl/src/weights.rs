//! Weights: every constant tensor of a network (int8 weights, int32 biases, per-channel scales) and
//! every activation's quantisation, by name. On disk this is a safetensors file whose naming scheme
//! is documented in `docs/weights.md`; in memory it is a [`Weights`] map that the importer fills,
//! the binder ([`bind`]) checks against a module, and the executor and code generators read.
//!
//! Names (see `docs/weights.md`): for a layer (conv2d, depthwise_conv2d, dense) called `L`,
//! `L.weight` (i8), `L.bias` (i32, when the layer has a bias) and `L.weight_scale` (f32, one per
//! output channel or one for the whole tensor); for an int8 tensor `T`, `T.scale` (f32 `[1]`) and
//! `T.zero_point` (i64 or i32 `[1]`). The safetensors metadata is
//! `{"format": "nnd-weights", "version": "1"}`.

mod bind;

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

pub use bind::{bind, required, Required, Role};

/// Element type of a stored constant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum WDType {
    /// Signed 8-bit.
    I8,
    /// Signed 16-bit (an SVDF's time weights).
    I16,
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
            WDType::I16 => 2,
            WDType::I32 | WDType::F32 => 4,
            WDType::I64 => 8,
        }
    }

    /// Lower-case name (`i8`, `i16`, `i32`, `i64`, `f32`).
    pub fn name(self) -> &'static str {
        match self {
            WDType::I8 => "i8",
            WDType::I16 => "i16",
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

impl WDType {
    /// The dtype for a safetensors dtype nnd uses, `None` for the others.
    fn from_safetensors(d: safetensors::Dtype) -> Option<Self> {
        match d {
            safetensors::Dtype::I8 => Some(WDType::I8),
            safetensors::Dtype::I16 => Some(WDType::I16),
            safetensors::Dtype::I32 => Some(WDType::I32),
            safetensors::Dtype::I64 => Some(WDType::I64),
            safetensors::Dtype::F32 => Some(WDType::F32),
            _ => None,
        }
    }
}

impl fmt::Display for WDType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl WeightTensor {
    /// A tensor from its parts; `None` when `data` does not have
    /// `shape.product() * dtype.size_bytes()` bytes.
    pub fn new(dtype: WDType, shape: Vec<usize>, data: Vec<u8>) -> Option<Self> {
        let expected = shape
            .iter()
            .try_fold(dtype.size_bytes(), |acc, &d| acc.checked_mul(d))?;
        (expected == data.len()).then_some(WeightTensor { dtype, shape, data })
    }

    /// A one-element f32 tensor of shape `[1]`.
    pub fn scalar_f32(value: f32) -> Self {
        WeightTensor {
            dtype: WDType::F32,
            shape: vec![1],
            data: value.to_le_bytes().to_vec(),
        }
    }

    /// A one-element i64 tensor of shape `[1]`.
    pub fn scalar_i64(value: i64) -> Self {
        WeightTensor {
            dtype: WDType::I64,
            shape: vec![1],
            data: value.to_le_bytes().to_vec(),
        }
    }

    /// Number of elements.
    pub fn elements(&self) -> usize {
        self.data.len() / self.dtype.size_bytes()
    }

    /// The values of an i8 tensor.
    pub fn to_i8(&self) -> Option<Vec<i8>> {
        (self.dtype == WDType::I8).then(|| self.data.iter().map(|&b| b as i8).collect())
    }

    /// The values of an i32 tensor.
    pub fn to_i32(&self) -> Option<Vec<i32>> {
        (self.dtype == WDType::I32).then(|| {
            self.data
                .chunks_exact(4)
                .map(|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect()
        })
    }

    /// The values of an i16 tensor.
    pub fn to_i16(&self) -> Option<Vec<i16>> {
        (self.dtype == WDType::I16).then(|| {
            self.data
                .chunks_exact(2)
                .map(|c| i16::from_le_bytes([c[0], c[1]]))
                .collect()
        })
    }

    /// The values of an i32 or i64 tensor, widened to i64.
    pub fn to_i64(&self) -> Option<Vec<i64>> {
        match self.dtype {
            WDType::I32 => self
                .to_i32()
                .map(|v| v.into_iter().map(i64::from).collect()),
            WDType::I64 => Some(
                self.data
                    .chunks_exact(8)
                    .map(|c| i64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]))
                    .collect(),
            ),
            _ => None,
        }
    }

    /// The values of an f32 tensor.
    pub fn to_f32(&self) -> Option<Vec<f32>> {
        (self.dtype == WDType::F32).then(|| {
            self.data
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect()
        })
    }
}

/// The `format` value of the safetensors metadata of an nnd weights file.
pub const FORMAT: &str = "nnd-weights";
/// The `version` value of the safetensors metadata this library reads and writes.
pub const VERSION: &str = "1";

/// A weights file that cannot be read or written. Every message names the file.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum WeightsError {
    /// The file cannot be opened, read or written.
    #[error("cannot {action} `{file}`: {message}")]
    Io {
        /// `read` or `write`.
        action: &'static str,
        /// The path as given.
        file: String,
        /// The operating system's message.
        message: String,
    },
    /// The bytes are not a valid safetensors file (truncated, bad header, bad offsets).
    #[error("`{file}` is not a valid safetensors file: {detail}")]
    Format {
        /// The path as given.
        file: String,
        /// The safetensors crate's description.
        detail: String,
    },
    /// A valid safetensors file that is not an nnd weights file of a known version.
    #[error("`{file}` is not an nnd weights file: {detail}")]
    Header {
        /// The path as given.
        file: String,
        /// What is wrong with the metadata.
        detail: String,
    },
    /// A tensor of a dtype nnd does not use.
    #[error("`{file}`: tensor `{name}` has dtype {dtype}; nnd weights files hold only I8, I32, I64 and F32 tensors")]
    DType {
        /// The path as given.
        file: String,
        /// The tensor's name.
        name: String,
        /// Its safetensors dtype.
        dtype: String,
    },
    /// An in-memory tensor whose data length does not match its shape (writing only).
    #[error("cannot write `{file}`: tensor `{name}` has {len} bytes, which does not match its shape {shape:?} and dtype {dtype}")]
    Inconsistent {
        /// The path as given.
        file: String,
        /// The tensor's name.
        name: String,
        /// Its shape.
        shape: Vec<usize>,
        /// Its dtype.
        dtype: WDType,
        /// Its data length.
        len: usize,
    },
}

impl Weights {
    /// The tensor called `name`.
    pub fn get(&self, name: &str) -> Option<&WeightTensor> {
        self.tensors.get(name)
    }

    /// Parses the bytes of a safetensors file (named `file` in errors). The metadata must say
    /// `{"format": "nnd-weights", "version": "1"}`.
    pub fn from_safetensors(bytes: &[u8], file: &str) -> Result<Weights, WeightsError> {
        let st =
            safetensors::SafeTensors::deserialize(bytes).map_err(|e| WeightsError::Format {
                file: file.to_owned(),
                detail: e.to_string(),
            })?;
        let (_, meta) =
            safetensors::SafeTensors::read_metadata(bytes).map_err(|e| WeightsError::Format {
                file: file.to_owned(),
                detail: e.to_string(),
            })?;
        let header = |detail: String| WeightsError::Header {
            file: file.to_owned(),
            detail,
        };
        let Some(info) = meta.metadata() else {
            return Err(header(format!(
                "the header has no `__metadata__` (expected {{\"format\": \"{FORMAT}\", \"version\": \"{VERSION}\"}})"
            )));
        };
        match info.get("format") {
            Some(f) if f == FORMAT => {}
            Some(f) => {
                return Err(header(format!(
                    "metadata format is {f:?}, expected {FORMAT:?}"
                )))
            }
            None => {
                return Err(header(format!(
                    "metadata has no `format` (expected {FORMAT:?})"
                )))
            }
        }
        match info.get("version") {
            Some(v) if v == VERSION => {}
            Some(v) => {
                return Err(header(format!(
                    "version {v:?} is not supported (this nnd reads version {VERSION:?})"
                )))
            }
            None => return Err(header("metadata has no `version`".into())),
        }
        let mut tensors = BTreeMap::new();
        for (name, view) in st.tensors() {
            let Some(dtype) = WDType::from_safetensors(view.dtype()) else {
                return Err(WeightsError::DType {
                    file: file.to_owned(),
                    name,
                    dtype: format!("{:?}", view.dtype()),
                });
            };
            tensors.insert(
                name,
                WeightTensor {
                    dtype,
                    shape: view.shape().to_vec(),
                    data: view.data().to_vec(),
                },
            );
        }
        Ok(Weights { tensors })
    }

    /// Serialises to safetensors bytes with the nnd metadata (`file` names the destination in
    /// errors). Deterministic: the same weights always give the same bytes (the header is written
    /// here with its keys in a fixed order; the safetensors crate orders `__metadata__` by hash).
    /// Tensors are laid out by decreasing element size, then by name, so every tensor's data is
    /// aligned to its element size; the result is checked by parsing it back with the crate.
    pub fn to_safetensors(&self, file: &str) -> Result<Vec<u8>, WeightsError> {
        let mut order: Vec<(&String, &WeightTensor)> = self.tensors.iter().collect();
        order.sort_by(|(an, a), (bn, b)| {
            b.dtype
                .size_bytes()
                .cmp(&a.dtype.size_bytes())
                .then(an.cmp(bn))
        });
        let mut header =
            format!("{{\"__metadata__\":{{\"format\":\"{FORMAT}\",\"version\":\"{VERSION}\"}}");
        let mut offset = 0usize;
        for (name, t) in &order {
            let expected = t
                .shape
                .iter()
                .try_fold(t.dtype.size_bytes(), |a, &d| a.checked_mul(d));
            if expected != Some(t.data.len()) {
                return Err(WeightsError::Inconsistent {
                    file: file.to_owned(),
                    name: (*name).clone(),
                    shape: t.shape.clone(),
                    dtype: t.dtype,
                    len: t.data.len(),
                });
            }
            let dims: Vec<String> = t.shape.iter().map(usize::to_string).collect();
            let end = offset + t.data.len();
            header += &format!(
                ",{}:{{\"dtype\":\"{}\",\"shape\":[{}],\"data_offsets\":[{offset},{end}]}}",
                json_string(name),
                t.dtype.name().to_ascii_uppercase(),
                dims.join(",")
            );
            offset = end;
        }
        header.push('}');
        while header.len() % 8 != 0 {
            header.push(' ');
        }
        let mut out = Vec::with_capacity(8 + header.len() + offset);
        out.extend_from_slice(&(header.len() as u64).to_le_bytes());
        out.extend_from_slice(header.as_bytes());
        for (_, t) in &order {
            out.extend_from_slice(&t.data);
        }
        safetensors::SafeTensors::deserialize(&out).map_err(|e| WeightsError::Format {
            file: file.to_owned(),
            detail: format!("the written bytes do not parse back: {e}"),
        })?;
        Ok(out)
    }

    /// Reads a weights file.
    pub fn read(path: &Path) -> Result<Weights, WeightsError> {
        let file = path.display().to_string();
        let bytes = crate::files::read(path, crate::files::FileKind::Weights).map_err(|e| {
            WeightsError::Io {
                action: "read",
                file: file.clone(),
                message: e.to_string(),
            }
        })?;
        Weights::from_safetensors(&bytes, &file)
    }

    /// Writes a weights file (replacing any existing file atomically, never through a symbolic
    /// link: [`crate::files::write_atomic`]).
    pub fn write(&self, path: &Path) -> Result<(), WeightsError> {
        let file = path.display().to_string();
        let bytes = self.to_safetensors(&file)?;
        crate::files::write_atomic(path, &bytes).map_err(|e| WeightsError::Io {
            action: "write",
            file,
            message: e.to_string(),
        })
    }
}

/// `s` as a JSON string literal.
fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
